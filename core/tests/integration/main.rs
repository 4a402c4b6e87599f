//! Integration tests of danvan-core: one binary, one module per concern.

// Test helpers outside `#[test]` functions unwrap too.
#![allow(clippy::unwrap_used)]

mod conflicts;
mod convergence;
mod corrections;
mod democracy;
mod dialogue;
mod facts;
mod inspection;
mod interop;
mod mediation;
mod merge_property;
mod petition;
mod snapshots;
#[cfg(feature = "store")]
mod store;
mod support;
mod sync_merge;
mod sync_wire;
