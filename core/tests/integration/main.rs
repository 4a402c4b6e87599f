//! Integration tests of danvan-core: one binary, one module per concern.

// Test code: helpers outside `#[test]` functions may unwrap too.
#![allow(clippy::unwrap_used)]
// `CoreError` is 128 bytes (autosurgeon's and automerge's errors are 120): not a test concern.
#![allow(clippy::result_large_err)]

mod conflicts;
#[cfg(feature = "store")]
mod store;
