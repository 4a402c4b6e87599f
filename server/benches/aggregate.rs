//! Aggregation benchmark (ADR 0004): written in the next commit.

fn main() {}
