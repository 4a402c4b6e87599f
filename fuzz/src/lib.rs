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
