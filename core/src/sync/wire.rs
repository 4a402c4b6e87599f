//! The sync wire format, version 1.
//!
//! A frame is the 2-byte magic `DV`, the protocol version as a big-endian `u16`, then a
//! [postcard](https://docs.rs/postcard) body. Postcard writes integers as varints and has no
//! field names, so a no-change request is about 20 bytes. Any change to these types is a new
//! protocol version (the snapshot tests in `core/tests/integration/sync_wire.rs` make that a
//! deliberate edit). See `docs/sync-protocol.md`.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The protocol version this build speaks.
pub const PROTOCOL_VERSION: u16 = 1;
/// Oldest client version the server still answers (older ones get "upgrade required").
pub const MIN_SUPPORTED_VERSION: u16 = 1;
/// Frame magic.
pub const MAGIC: [u8; 2] = *b"DV";
/// Content type of sync frames.
pub const CONTENT_TYPE: &str = "application/x-danvan-sync";
/// Path of the sync endpoint.
pub const SYNC_PATH: &str = "/v1/sync";

/// A change hash (SHA-256) on the wire.
pub type Hash = [u8; 32];

/// A device's sync request: what it pushes and where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRequest {
    /// Server instance the cursor belongs to (0 on a first sync).
    pub epoch: u64,
    /// The device has every in-scope change the server sequenced up to here.
    pub cursor: u64,
    /// Changed records, at most one entry per record.
    pub pushes: Vec<Push>,
    /// Records the device holds only partly (a chunk arrived without its history): send whole.
    pub want_full: Vec<Uuid>,
    /// Upper bound on the documents' bytes in the response (the server may send one larger
    /// document alone).
    pub max_response_bytes: u32,
}

/// Changes to one record that the server does not have yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Push {
    /// Record id.
    pub id: Uuid,
    /// Automerge changes (`save_after(heads the server is known to have)`), or a whole document.
    pub changes: Vec<u8>,
    /// The device's heads after these changes.
    pub heads: Vec<Hash>,
}

/// The server's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncResponse {
    /// Server instance id.
    pub epoch: u64,
    /// `true` when the request's epoch was not this server's: the device must forget its cursor
    /// and what it believes the server has, and push everything again (the server drops
    /// duplicates).
    pub reset: bool,
    /// New cursor to send next time (commit it with the documents below, atomically).
    pub cursor: u64,
    /// One verdict per push, in push order.
    pub verdicts: Vec<Verdict>,
    /// Documents changed on the server that the device lacks.
    pub docs: Vec<PullDoc>,
    /// More documents are waiting past `cursor`: ask again.
    pub more: bool,
}

/// The server's decision on one pushed record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    /// Record id.
    pub id: Uuid,
    /// Accepted or rejected.
    pub outcome: Outcome,
}

/// Accepted (with the server's heads) or rejected (with a reason); rejected changes are not kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// Merged and stored; the server now has these heads.
    Accepted {
        /// Heads of the server's copy after the merge.
        heads: Vec<Hash>,
    },
    /// Not stored.
    Rejected {
        /// Machine-readable reason.
        reason: RejectReason,
        /// Human detail (validation field list, …), no personal data.
        detail: String,
    },
}

/// Why a push was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RejectReason {
    /// The merged record's unit is outside the device's scope.
    OutOfScope,
    /// The device's role may not write this kind of record.
    ForbiddenKind,
    /// The device's role is read-only.
    ReadOnly,
    /// The merged record breaks a validation rule.
    Invalid,
    /// The bytes are not a valid Automerge change set for this record.
    Malformed,
    /// The changes depend on history the server does not have: push the whole document.
    MissingHistory,
    /// The record is larger than the server accepts.
    TooLarge,
}

impl RejectReason {
    /// Stable code (as stored on the phone and shown in logs).
    pub fn code(&self) -> &'static str {
        match self {
            RejectReason::OutOfScope => "out_of_scope",
            RejectReason::ForbiddenKind => "forbidden_kind",
            RejectReason::ReadOnly => "read_only",
            RejectReason::Invalid => "invalid",
            RejectReason::Malformed => "malformed",
            RejectReason::MissingHistory => "missing_history",
            RejectReason::TooLarge => "too_large",
        }
    }

    /// Parse a stable code.
    pub fn from_code(code: &str) -> Option<RejectReason> {
        use RejectReason::*;
        [
            OutOfScope,
            ForbiddenKind,
            ReadOnly,
            Invalid,
            Malformed,
            MissingHistory,
            TooLarge,
        ]
        .into_iter()
        .find(|r| r.code() == code)
    }

    /// Message for the person holding the phone.
    pub fn label(&self) -> crate::Label {
        use crate::Label;
        match self {
            RejectReason::OutOfScope => Label {
                vi: "Hồ sơ thuộc đơn vị ngoài phạm vi của thiết bị này.",
                en: "The record belongs to a unit outside this device's scope.",
            },
            RejectReason::ForbiddenKind => Label {
                vi: "Vai trò của bạn không được ghi loại hồ sơ này.",
                en: "Your role may not write this kind of record.",
            },
            RejectReason::ReadOnly => Label {
                vi: "Vai trò của bạn chỉ được xem, không được sửa.",
                en: "Your role is read-only.",
            },
            RejectReason::Invalid => Label {
                vi: "Hồ sơ chưa hợp lệ; hãy sửa các trường được đánh dấu.",
                en: "The record is not valid; fix the marked fields.",
            },
            RejectReason::Malformed => Label {
                vi: "Dữ liệu gửi lên bị hỏng.",
                en: "The data sent was corrupt.",
            },
            RejectReason::MissingHistory => Label {
                vi: "Máy chủ thiếu lịch sử của hồ sơ; sẽ gửi lại toàn bộ.",
                en: "The server lacks this record's history; it will be sent whole.",
            },
            RejectReason::TooLarge => Label {
                vi: "Hồ sơ quá lớn.",
                en: "The record is too large.",
            },
        }
    }
}

/// A record document, or the part of it the device lacks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullDoc {
    /// Record id.
    pub id: Uuid,
    /// Automerge bytes: a whole document or incremental changes.
    pub bytes: Vec<u8>,
    /// The server's heads for this record.
    pub heads: Vec<Hash>,
}

/// A frame could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    /// Too short or wrong magic.
    #[error("not a danvan sync frame")]
    NotAFrame,
    /// A version this side does not speak.
    #[error("unsupported protocol version {found} (this side speaks {min}..={max})")]
    Version {
        /// Version in the frame.
        found: u16,
        /// Oldest supported.
        min: u16,
        /// Newest supported.
        max: u16,
    },
    /// The body does not decode.
    #[error("malformed sync body: {0}")]
    Body(String),
}

/// Encode a message as a versioned frame.
pub fn encode<T: Serialize>(msg: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&PROTOCOL_VERSION.to_be_bytes());
    // Serializing plain data into a Vec cannot fail.
    match postcard::to_extend(msg, out) {
        Ok(v) => v,
        Err(_) => unreachable!("postcard serialization of sync types into a Vec is infallible"),
    }
}

/// The version of a frame, without decoding it.
pub fn frame_version(bytes: &[u8]) -> Result<u16, WireError> {
    if bytes.len() < 4 || bytes[..2] != MAGIC {
        return Err(WireError::NotAFrame);
    }
    Ok(u16::from_be_bytes([bytes[2], bytes[3]]))
}

/// Decode a versioned frame. The message must end the frame: trailing bytes are a
/// [`WireError::Body`] error.
pub fn decode<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, WireError> {
    let v = frame_version(bytes)?;
    if !(MIN_SUPPORTED_VERSION..=PROTOCOL_VERSION).contains(&v) {
        return Err(WireError::Version {
            found: v,
            min: MIN_SUPPORTED_VERSION,
            max: PROTOCOL_VERSION,
        });
    }
    let (msg, rest) =
        postcard::take_from_bytes(&bytes[4..]).map_err(|e| WireError::Body(e.to_string()))?;
    if !rest.is_empty() {
        return Err(WireError::Body(format!(
            "{} trailing byte(s) after the message",
            rest.len()
        )));
    }
    Ok(msg)
}

/// Hashes for the wire.
pub fn to_wire_heads(heads: &[automerge::ChangeHash]) -> Vec<Hash> {
    heads.iter().map(|h| h.0).collect()
}

/// Hashes from the wire.
pub fn from_wire_heads(heads: &[Hash]) -> Vec<automerge::ChangeHash> {
    heads.iter().map(|h| automerge::ChangeHash(*h)).collect()
}
