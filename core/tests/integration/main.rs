//! Integration tests of danvan-core: one binary, one module per concern.

mod conflicts;
#[cfg(feature = "store")]
mod store;
