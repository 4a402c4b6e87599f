//! Batched sync of record documents with the server.
//!
//! The protocol (see `docs/sync-protocol.md`) costs one round trip of a few dozen bytes when
//! nothing changed, and sends only changed records, many per request, in bounded batches. The
//! engine is sans-I/O ([`SyncSession`]); [`run_sync`] drives it over any [`Transport`].

mod engine;
pub mod merge;
mod transport;
pub mod wire;

use serde::{Deserialize, Serialize};

pub use engine::{SyncMeta, SyncOptions, SyncProgress, SyncSession, SyncStore};
#[cfg(feature = "http")]
pub use transport::{BadCertificate, HttpTransport};
pub use transport::{
    BlobMethod, BlobReply, BlobRequest, BlobTransport, HttpReply, NetworkError, Transport,
};
pub use wire::{RejectReason, WireError};

/// A device's credentials, from enrollment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceCredentials {
    /// Device id issued by the server.
    pub device_id: uuid::Uuid,
    /// Device secret (keep it in the platform keystore).
    pub device_secret: String,
}

impl DeviceCredentials {
    /// The `Authorization` header value.
    pub fn authorization(&self) -> String {
        format!("Bearer {}.{}", self.device_id, self.device_secret)
    }
}

/// What the server told the device at enrollment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrollment {
    /// Device id.
    pub device_id: uuid::Uuid,
    /// Device secret.
    pub device_secret: String,
    /// Name of the person the device belongs to.
    pub person: String,
    /// Role code.
    pub role: String,
    /// Unit code the device works in.
    pub unit: String,
}

impl Enrollment {
    /// The credentials part.
    pub fn credentials(&self) -> DeviceCredentials {
        DeviceCredentials {
            device_id: self.device_id,
            device_secret: self.device_secret.clone(),
        }
    }
}

/// Why a sync (or enrollment) did not complete. What was applied before the failure stays
/// applied; the next sync resumes from there.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// No answer from the server.
    #[error(transparent)]
    Network(#[from] NetworkError),
    /// The server no longer speaks this app's protocol version: update the app.
    #[error("upgrade required: {0}")]
    UpgradeRequired(String),
    /// The server refused the device (unknown, revoked, bad credentials); `code` is the server's
    /// stable error code, e.g. `device_revoked`.
    #[error("device not authorised ({code}): {message}")]
    Unauthorized {
        /// Stable error code.
        code: String,
        /// Server message.
        message: String,
    },
    /// Any other HTTP error answer.
    #[error("server error {status} ({code}): {message}")]
    Server {
        /// HTTP status.
        status: u16,
        /// Stable error code.
        code: String,
        /// Server message.
        message: String,
    },
    /// A frame could not be read.
    #[error(transparent)]
    Wire(#[from] WireError),
}

impl From<SyncError> for crate::CoreError {
    fn from(e: SyncError) -> Self {
        crate::CoreError::Sync(Box::new(e))
    }
}

/// The JSON error body every server error carries.
#[derive(Debug, Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Debug, Deserialize)]
struct ErrorDetail {
    code: String,
    #[serde(default)]
    message: String,
}

fn reply_error(reply: &HttpReply) -> SyncError {
    error_of(reply.status, &reply.body)
}

/// The error a non-success answer with `status` and JSON error `body` stands for.
pub(crate) fn error_of(status: u16, body: &[u8]) -> SyncError {
    let reply = HttpReply {
        status,
        body: body.to_vec(),
    };
    let (code, message) = match serde_json::from_slice::<ErrorBody>(&reply.body) {
        Ok(b) => (b.error.code, b.error.message),
        Err(_) => (
            "unknown".to_string(),
            String::from_utf8_lossy(&reply.body)
                .chars()
                .take(200)
                .collect(),
        ),
    };
    match reply.status {
        426 => SyncError::UpgradeRequired(message),
        401 | 403 => SyncError::Unauthorized { code, message },
        status => SyncError::Server {
            status,
            code,
            message,
        },
    }
}

/// Run a whole sync session: rounds until nothing is left, calling `on_progress` after each.
pub fn run_sync(
    store: &mut dyn SyncStore,
    transport: &dyn Transport,
    credentials: &DeviceCredentials,
    opts: SyncOptions,
    mut on_progress: impl FnMut(&SyncProgress),
) -> crate::Result<SyncProgress> {
    let auth = credentials.authorization();
    let mut session = SyncSession::new(opts);
    let span = tracing::info_span!("sync", device = %credentials.device_id);
    let _g = span.enter();
    peer_exchange_setup(store, transport, &auth)?;
    while let Some(frame) = session.next_request(store)? {
        let answer = match transport.post(wire::SYNC_PATH, wire::CONTENT_TYPE, Some(&auth), &frame)
        {
            Ok(reply) if reply.status == 200 => session.handle_response(store, &reply.body),
            Ok(reply) => Err(reply_error(&reply).into()),
            Err(e) => Err(SyncError::from(e).into()),
        };
        if let Err(e) = answer {
            if let Err(undo) = session.request_failed(store) {
                tracing::warn!(error = %undo, "could not mark unanswered records as unsent");
            }
            return Err(e);
        }
        on_progress(&session.progress());
    }
    let p = session.progress();
    tracing::info!(
        rounds = p.rounds,
        pushed = p.pushed,
        pulled = p.pulled,
        "sync complete"
    );
    Ok(p)
}

/// Path of the device certificate request (ADR 0014).
pub const CERTIFICATE_PATH: &str = "/v1/device/certificate";
/// Path of the attestations a phone hands the server before pushing another phone's changes.
pub const ATTESTATIONS_PATH: &str = "/v1/attestations";

/// Before a sync: ask the server to certify the device's key if the store has none, and give
/// it the attestations of other phones' changes received in bundles. A server without these
/// routes (404) or a refusal is logged and the sync goes on: the record sync does not depend on
/// them (a relayed change without its attestation is refused as `foreign_actor` and stays
/// pending). A network failure ends the sync, as for any request.
fn peer_exchange_setup(
    store: &mut dyn SyncStore,
    transport: &dyn Transport,
    auth: &str,
) -> crate::Result<()> {
    if let Some(key) = store.wants_certificate()? {
        let body = serde_json::json!({ "public_key": hex_lower(&key) }).to_string();
        let reply = transport
            .post(
                CERTIFICATE_PATH,
                "application/json",
                Some(auth),
                body.as_bytes(),
            )
            .map_err(SyncError::from)?;
        if reply.status == 200 {
            if let Err(e) = store.set_certificate(&reply.body) {
                tracing::warn!(error = %e, "device certificate not kept");
            }
        } else {
            tracing::info!(
                status = reply.status,
                "no device certificate from the server"
            );
        }
    }
    let attestations = store.pending_attestations()?;
    for batch in attestations.chunks(MAX_ATTESTATIONS) {
        let list: Vec<serde_json::Value> = batch
            .iter()
            .map(|a| {
                serde_json::json!({
                    "hash": hex_lower(&a.hash),
                    "device": a.device,
                    "signature": hex_lower(&a.signature),
                })
            })
            .collect();
        let body = serde_json::json!({ "attestations": list }).to_string();
        let reply = transport
            .post(
                ATTESTATIONS_PATH,
                "application/json",
                Some(auth),
                body.as_bytes(),
            )
            .map_err(SyncError::from)?;
        if reply.status == 200 {
            let hashes: Vec<[u8; 32]> = batch.iter().map(|a| a.hash).collect();
            store.attestations_posted(&hashes)?;
        } else {
            tracing::warn!(
                status = reply.status,
                "attestations not taken by the server"
            );
            break;
        }
    }
    Ok(())
}

/// Attestations per request (the server takes at most this many).
pub const MAX_ATTESTATIONS: usize = 1000;

/// `bytes` as lowercase hex (hashes, keys and signatures as danvan writes them).
pub(crate) fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Exchange a one-time enrollment code for device credentials.
pub fn enroll(
    transport: &dyn Transport,
    code: &str,
    device_label: &str,
) -> Result<Enrollment, SyncError> {
    let body = serde_json::json!({ "code": code, "device_label": device_label });
    let reply = transport.post(
        "/v1/enroll",
        "application/json",
        None,
        body.to_string().as_bytes(),
    )?;
    if reply.status != 200 {
        return Err(reply_error(&reply));
    }
    serde_json::from_slice(&reply.body).map_err(|e| SyncError::Wire(WireError::Body(e.to_string())))
}
