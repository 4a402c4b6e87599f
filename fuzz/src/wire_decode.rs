//! `wire_decode`: any bytes as a sync frame, decoded as the server decodes a request
//! ([`SyncRequest`]) and as a phone decodes an answer ([`SyncResponse`]).
//!
//! Asserts:
//! - every error is the right one: `NotAFrame` exactly when the frame is shorter than 4 bytes or
//!   lacks the magic, `Version` exactly when the version is outside the supported range (with
//!   the version found), `Body` otherwise;
//! - a frame that decodes re-encodes to a frame that decodes to the same message, and encoding
//!   is stable from then on (decode → encode → decode round trip); the re-encoded frame is no
//!   longer than the input (postcard's encoding is the shortest);
//! - no strict prefix of a frame that decodes decodes (the message ends the frame);
//! - heads and reject reasons convert to the core's types and back unchanged.

use std::fmt::Debug;

use danvan_core::sync::wire::{
    self, MAGIC, MIN_SUPPORTED_VERSION, Outcome, PROTOCOL_VERSION, RejectReason, SyncRequest,
    SyncResponse, WireError,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Run the target on one input.
pub fn run(data: &[u8]) {
    if let Some(req) = check::<SyncRequest>(data) {
        for p in &req.pushes {
            heads_round_trip(&p.heads);
        }
    }
    if let Some(resp) = check::<SyncResponse>(data) {
        for v in &resp.verdicts {
            match &v.outcome {
                Outcome::Accepted { heads } => heads_round_trip(heads),
                Outcome::Rejected { reason, .. } => {
                    assert_eq!(RejectReason::from_code(reason.code()), Some(*reason));
                    let label = reason.label();
                    assert!(!label.vi.is_empty() && !label.en.is_empty());
                }
            }
        }
        for d in &resp.docs {
            heads_round_trip(&d.heads);
        }
    }
}

fn heads_round_trip(heads: &[wire::Hash]) {
    assert_eq!(wire::to_wire_heads(&wire::from_wire_heads(heads)), heads);
}

/// Decode `data` as a `T` frame and check the properties above; the message if it decoded.
pub fn check<T>(data: &[u8]) -> Option<T>
where
    T: Serialize + DeserializeOwned + PartialEq + Debug,
{
    let framed = data.len() >= 4 && data[..2] == MAGIC;
    let version = framed.then(|| u16::from_be_bytes([data[2], data[3]]));
    let supported =
        version.is_some_and(|v| (MIN_SUPPORTED_VERSION..=PROTOCOL_VERSION).contains(&v));
    assert_eq!(wire::frame_version(data).ok(), version);
    match wire::decode::<T>(data) {
        Ok(msg) => {
            assert!(supported, "decoded a frame of version {version:?}");
            let again = wire::encode(&msg);
            assert_eq!(wire::frame_version(&again), Ok(PROTOCOL_VERSION));
            let back: T = match wire::decode(&again) {
                Ok(m) => m,
                Err(e) => panic!("a re-encoded frame does not decode: {e}"),
            };
            assert_eq!(back, msg, "decode → encode → decode changed the message");
            assert_eq!(wire::encode(&back), again, "encoding is not stable");
            assert!(
                again.len() <= data.len(),
                "re-encoded {} bytes from a frame of {}",
                again.len(),
                data.len()
            );
            for cut in [data.len() - 1, data.len().saturating_sub(2), 4] {
                if cut < data.len() {
                    assert!(
                        wire::decode::<T>(&data[..cut]).is_err(),
                        "a {cut}-byte prefix of a {}-byte frame decodes",
                        data.len()
                    );
                }
            }
            Some(msg)
        }
        Err(WireError::NotAFrame) => {
            assert!(!framed, "a frame with the magic reported as not a frame");
            None
        }
        Err(WireError::Version { found, min, max }) => {
            assert_eq!(Some(found), version);
            assert_eq!((min, max), (MIN_SUPPORTED_VERSION, PROTOCOL_VERSION));
            assert!(!supported, "supported version {found} refused");
            None
        }
        Err(WireError::Body(detail)) => {
            assert!(supported, "body error on an unsupported frame");
            assert!(!detail.is_empty());
            None
        }
    }
}
