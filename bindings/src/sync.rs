//! Enrollment and sync plumbing: the credentials and progress records, the transport the app may
//! implement with its platform's HTTP stack ([`SyncTransport`]), the progress callback
//! ([`SyncListener`]), and their adapters to core's `Transport`. The sync itself is core's
//! `run_sync`; see `DanvanStore::sync`.

use std::sync::Arc;
use std::time::Duration;

use danvan_core::sync::{self, HttpReply, HttpTransport, NetworkError, Transport};

use crate::error::{DanvanError, Result};

/// Whole-request timeout of the built-in HTTP transport.
const HTTP_TIMEOUT: Duration = Duration::from_secs(60);

/// A device's credentials (keep the secret in the platform keystore).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DeviceCredentials {
    /// Device id issued by the server (also the store's identity).
    pub device_id: String,
    /// Device secret.
    pub device_secret: String,
}

impl DeviceCredentials {
    pub(crate) fn to_core(&self) -> Result<sync::DeviceCredentials> {
        Ok(sync::DeviceCredentials {
            device_id: crate::store::device_uuid(&self.device_id)?,
            device_secret: self.device_secret.clone(),
        })
    }
}

/// What the server answered to an enrollment.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Enrollment {
    /// Credentials of the new device.
    pub credentials: DeviceCredentials,
    /// Name of the person the device belongs to.
    pub person: String,
    /// Role code (`mediator`, `team_leader`, `inspector`, …).
    pub role: String,
    /// Unit code the device works in (e.g. a village `11533-T01`).
    pub unit: String,
}

impl From<sync::Enrollment> for Enrollment {
    fn from(e: sync::Enrollment) -> Self {
        Enrollment {
            credentials: DeviceCredentials {
                device_id: e.device_id.to_string(),
                device_secret: e.device_secret,
            },
            person: e.person,
            role: e.role,
            unit: e.unit,
        }
    }
}

/// Progress of a sync session (after each round trip, and the final figures).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct SyncProgress {
    /// Round trips completed.
    pub rounds: u32,
    /// Records pushed so far.
    pub pushed: u64,
    /// Records that were pending when the session started.
    pub to_push: u64,
    /// Records the server accepted.
    pub accepted: u64,
    /// Records the server rejected (see each record's sync info).
    pub rejected: u64,
    /// Records received from the server.
    pub pulled: u64,
    /// Request bytes sent.
    pub bytes_sent: u64,
    /// Response bytes received.
    pub bytes_received: u64,
}

impl From<sync::SyncProgress> for SyncProgress {
    fn from(p: sync::SyncProgress) -> Self {
        SyncProgress {
            rounds: p.rounds,
            pushed: p.pushed,
            to_push: p.to_push,
            accepted: p.accepted,
            rejected: p.rejected,
            pulled: p.pulled,
            bytes_sent: p.bytes_sent,
            bytes_received: p.bytes_received,
        }
    }
}

/// An HTTP answer: status and body, whatever the status.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HttpResponse {
    /// HTTP status code.
    pub status: u16,
    /// Response body.
    pub body: Vec<u8>,
}

/// A transport the app implements with its platform's HTTP stack (OkHttp, URLSession, …).
///
/// `post` sends `body` with `POST` to the server's base URL + `path` (e.g. `/v1/sync`), with the
/// `Content-Type` header and, when given, the `Authorization` header; it returns the answer
/// whatever its status, and fails (with [`DanvanError::Network`]) only when there is no answer.
/// It is called on the thread that called `sync`, which must not be the UI thread.
#[uniffi::export(with_foreign)]
pub trait SyncTransport: Send + Sync {
    /// POST and return the answer.
    fn post(
        &self,
        path: String,
        content_type: String,
        authorization: Option<String>,
        body: Vec<u8>,
    ) -> Result<HttpResponse>;
}

/// Receives progress during a sync (on the syncing thread, after each round trip). It must not
/// call the store it is syncing (the store is busy until the sync ends).
#[uniffi::export(with_foreign)]
pub trait SyncListener: Send + Sync {
    /// Called after each round trip.
    fn on_progress(&self, progress: SyncProgress);
}

/// Core's transport over a foreign [`SyncTransport`].
pub(crate) struct ForeignTransport(pub Arc<dyn SyncTransport>);

impl Transport for ForeignTransport {
    fn post(
        &self,
        path: &str,
        content_type: &str,
        authorization: Option<&str>,
        body: &[u8],
    ) -> std::result::Result<HttpReply, NetworkError> {
        match self.0.post(
            path.to_string(),
            content_type.to_string(),
            authorization.map(str::to_string),
            body.to_vec(),
        ) {
            Ok(r) => Ok(HttpReply {
                status: r.status,
                body: r.body,
            }),
            Err(DanvanError::Network { detail }) => Err(NetworkError(detail)),
            Err(other) => Err(NetworkError(other.to_string())),
        }
    }
}

/// The built-in blocking HTTP(S) transport to `server_url`.
pub(crate) fn http(server_url: &str) -> Result<HttpTransport> {
    let url = server_url.trim();
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(DanvanError::invalid(
            "server_url",
            "bad_url",
            "Địa chỉ máy chủ phải bắt đầu bằng http:// hoặc https://.",
            "The server address must start with http:// or https://.",
        ));
    }
    Ok(HttpTransport::new(url, HTTP_TIMEOUT))
}

/// Exchange a one-time enrollment code for device credentials, over the built-in HTTP
/// transport. `device_label` names the phone in the administrator's device list.
#[uniffi::export]
pub fn enroll(server_url: String, code: String, device_label: String) -> Result<Enrollment> {
    let t = http(&server_url)?;
    Ok(sync::enroll(&t, code.trim(), &device_label)?.into())
}

/// [`enroll`] over the app's own transport.
#[uniffi::export]
pub fn enroll_with(
    transport: Arc<dyn SyncTransport>,
    code: String,
    device_label: String,
) -> Result<Enrollment> {
    let t = ForeignTransport(transport);
    Ok(sync::enroll(&t, code.trim(), &device_label)?.into())
}
