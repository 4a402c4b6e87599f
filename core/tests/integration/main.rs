//! Integration tests of danvan-core: one binary, one module per concern.

// Test helpers outside `#[test]` functions unwrap too, and `RecordDoc::update` closures return
// the core's (large) error type.
#![allow(clippy::unwrap_used, clippy::result_large_err)]

mod conflicts;
mod convergence;
mod democracy;
mod facts;
mod inspection;
mod mediation;
mod snapshots;
#[cfg(feature = "store")]
mod store;
mod support;
mod sync_wire;
