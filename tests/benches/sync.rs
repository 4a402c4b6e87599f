//! Sync benchmark (see the bench branch).
fn main() {}
