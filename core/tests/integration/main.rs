//! Integration tests of danvan-core: one binary, one module per concern.

mod conflicts;
mod sync_wire;
