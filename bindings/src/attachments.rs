//! Attachments on [`DanvanStore`] (ADR 0014): attach a photo or a PDF to any record offline, see
//! each file's state (waiting, uploading n of m bytes, uploaded, on the server only,
//! downloading, downloaded), read its bytes, and move them to and from the server apart from
//! the record sync — uploads resume after a cut, downloads are on demand and resume too.
//!
//! The transfers use the built-in HTTP transport (the app's own `SyncTransport` carries the
//! record sync only: the attachment protocol needs `HEAD`, `PATCH` and ranged `GET`).

use std::sync::Arc;

use danvan_core::store::{AttachmentState as CoreState, AttachmentStatus};

use crate::error::Result;
use crate::store::{DanvanStore, RecordView};
use crate::sync::DeviceCredentials;

/// Where an attachment's bytes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum AttachmentState {
    /// Attached on this phone, not sent yet (đang chờ gửi).
    Waiting,
    /// Partly sent (đang gửi).
    Uploading,
    /// On the server (đã gửi).
    Uploaded,
    /// On the server only: download it to see it (chưa tải về).
    Remote,
    /// Partly downloaded (đang tải về).
    Downloading,
    /// On this phone (đã tải về).
    Downloaded,
}

impl From<CoreState> for AttachmentState {
    fn from(s: CoreState) -> Self {
        match s {
            CoreState::Waiting => AttachmentState::Waiting,
            CoreState::Uploading => AttachmentState::Uploading,
            CoreState::Uploaded => AttachmentState::Uploaded,
            CoreState::Remote => AttachmentState::Remote,
            CoreState::Downloading => AttachmentState::Downloading,
            CoreState::Downloaded => AttachmentState::Downloaded,
        }
    }
}

/// One file attached to a record.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AttachmentInfo {
    /// SHA-256 of the file (lowercase hex): its id.
    pub sha256: String,
    /// File name shown to people.
    pub name: String,
    /// `image/jpeg`, `image/png` or `application/pdf`.
    pub media_type: String,
    /// Size in bytes (after downscaling).
    pub size: u64,
    /// The item of the record it belongs to (a history entry, a party…), if not the record.
    pub item: Option<String>,
    /// Device that attached it.
    pub added_by: String,
    /// Where its bytes are.
    pub state: AttachmentState,
    /// Bytes sent or received so far (the size once done).
    pub transferred: u64,
    /// The state in Vietnamese, for a list row (e.g. "Đang gửi 40%").
    pub state_vi: String,
    /// The state in English.
    pub state_en: String,
}

fn percent(done: u64, size: u64) -> u64 {
    (done * 100).checked_div(size).unwrap_or(0)
}

impl From<AttachmentStatus> for AttachmentInfo {
    fn from(a: AttachmentStatus) -> Self {
        let size = u64::from(a.reference.size);
        let p = percent(a.transferred, size);
        let (vi, en) = match a.state {
            CoreState::Waiting => ("Đang chờ gửi".to_string(), "Waiting to be sent".to_string()),
            CoreState::Uploading => (format!("Đang gửi {p}%"), format!("Sending, {p}%")),
            CoreState::Uploaded => ("Đã gửi".to_string(), "Sent".to_string()),
            CoreState::Remote => ("Chưa tải về".to_string(), "Not downloaded".to_string()),
            CoreState::Downloading => (format!("Đang tải về {p}%"), format!("Downloading, {p}%")),
            CoreState::Downloaded => ("Đã tải về".to_string(), "Downloaded".to_string()),
        };
        AttachmentInfo {
            sha256: a.sha256,
            name: a.reference.name,
            media_type: a.reference.media_type,
            size,
            item: a.reference.item,
            added_by: a.reference.added_by,
            state: a.state.into(),
            transferred: a.transferred,
            state_vi: vi,
            state_en: en,
        }
    }
}

/// What one upload pass did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AttachmentUpload {
    /// Files now on the server.
    pub uploaded: u32,
    /// Bytes sent in this pass.
    pub bytes_sent: u64,
    /// Files still waiting (their record is not on the server yet, or refused).
    pub waiting: u32,
}

/// Hears the progress of an upload pass (after each piece) or a download (bytes so far, size).
#[uniffi::export(with_foreign)]
pub trait AttachmentListener: Send + Sync {
    /// Called after each piece.
    fn on_progress(&self, done_bytes: u64, total_bytes: u64);
}

#[uniffi::export]
impl DanvanStore {
    /// Attach a file to record `id`, offline: a photo is downscaled (longer side 2,048 px by
    /// default, its location data dropped), the bytes kept encrypted beside the store (when
    /// the store is), the reference written into the record (synced with it) and the file left
    /// `WAITING` to be sent. `media_type` may be empty (it is read from the bytes). Refused
    /// (`InvalidInput`, nothing written) for a type other than JPEG, PNG or PDF, a file or a
    /// record's files over the limits, or a bad file name.
    pub fn attach(
        &self,
        id: String,
        bytes: Vec<u8>,
        media_type: String,
        name: String,
        item: Option<String>,
    ) -> Result<AttachmentInfo> {
        self.with(|store| {
            let (sha, _) = store.attach(&id, &bytes, &media_type, &name, item)?;
            let found = store
                .attachments(&id)?
                .into_iter()
                .find(|a| a.sha256 == sha)
                .ok_or_else(|| danvan_core::CoreError::NotFound(format!("attachment {sha}")))?;
            Ok(found.into())
        })
    }

    /// Remove file `sha256` from record `id` (a change synced like any other).
    pub fn detach(&self, id: String, sha256: String) -> Result<RecordView> {
        self.with(|store| {
            let record = store.detach(&id, &sha256);
            DanvanStore::saved(store, record)
        })
    }

    /// The files of record `id`, oldest first, with their state.
    pub fn attachments(&self, id: String) -> Result<Vec<AttachmentInfo>> {
        self.with(|store| {
            Ok(store
                .attachments(&id)?
                .into_iter()
                .map(Into::into)
                .collect())
        })
    }

    /// The bytes of file `sha256` if this phone holds them (`NotFound` if not: download it).
    pub fn read_attachment(&self, sha256: String) -> Result<Vec<u8>> {
        self.with(|store| Ok(store.read_attachment(&sha256)?))
    }

    /// Send the waiting files to the server at `server_url`, resuming any cut upload. Run it
    /// after `sync` (a file waits until its record is on the server). A network failure ends
    /// the pass (`Network`); what was sent stays sent.
    pub fn upload_attachments(
        &self,
        server_url: String,
        credentials: DeviceCredentials,
        listener: Option<Arc<dyn AttachmentListener>>,
    ) -> Result<AttachmentUpload> {
        let t = crate::sync::http(&server_url)?;
        let creds = credentials.to_core()?;
        self.with(|store| {
            let done = store.upload_attachments(&t, &creds, |p| {
                if let Some(l) = &listener {
                    l.on_progress(p.bytes_sent, 0);
                }
            })?;
            Ok(AttachmentUpload {
                uploaded: done.uploaded,
                bytes_sent: done.bytes_sent,
                waiting: done.waiting,
            })
        })
    }

    /// Download file `sha256` of record `id` (on demand), resuming a cut download; returns its
    /// bytes, checked against the hash.
    pub fn download_attachment(
        &self,
        server_url: String,
        credentials: DeviceCredentials,
        id: String,
        sha256: String,
        listener: Option<Arc<dyn AttachmentListener>>,
    ) -> Result<Vec<u8>> {
        let t = crate::sync::http(&server_url)?;
        let creds = credentials.to_core()?;
        self.with(|store| {
            Ok(
                store.download_attachment(&t, &creds, &id, &sha256, |done, total| {
                    if let Some(l) = &listener {
                        l.on_progress(done, total);
                    }
                })?,
            )
        })
    }
}
