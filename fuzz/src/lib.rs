//! The checks of danvan's fuzz targets, one module per target (`fuzz_targets/*.rs` only call
//! `run`). Kept in a library so that the seed generator (`examples/seed.rs`) and the replay
//! test (`tests/seeds.rs`) run exactly what the fuzzer runs.
//!
//! Every target asserts properties, not only "no panic": a check that fails is a crash that
//! libFuzzer reports and saves.

pub mod server_push;
pub mod units_csv;
pub mod wire_decode;

use uuid::Uuid;

/// The device whose pushes `server_push` decides (its actor id writes the pushed changes).
pub const PUSHER: Uuid = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0001);
/// Another device: it wrote the stored documents, and its changes pushed by [`PUSHER`] are
/// `foreign_actor`.
pub const STORER: Uuid = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0002);
/// The id of a record new to the server in the `server_push` seeds.
pub const NEW_ID: Uuid = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_00aa);

/// Let a panic raised while Automerge reads a client's changes unwind to the `catch_unwind`
/// that danvan puts around it (`danvan_core::sync::merge`: Automerge 0.12 and its `hexane`
/// column decoder panic on some crafted change bytes, and the server answers those pushes as
/// malformed), as it does in the server.
///
/// libFuzzer's panic hook aborts the process at the first panic, before unwinding, so without
/// this the fuzzer reports a crash for an input the server handles. Any other panic (a failed
/// check of the target, a panic in danvan's code, Automerge outside that guard) still goes to
/// libFuzzer's hook and is a crash. The guard is told by
/// [`danvan_core::sync::merge::reading_client_changes`], not by the panic's location: the first
/// version matched Automerge's source path and missed a panic in `hexane`. Called at the start
/// of each input; it wraps the hook once.
pub fn let_danvan_catch_automerge_panics() {
    danvan_core::sync::merge::pass_over_caught_panics();
}
