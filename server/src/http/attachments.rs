//! `/v1/attachments/{sha256}?record=<id>`: the bytes of attached files, moved apart from the
//! record sync and resumable after a cut (ADR 0014), after the tus protocol:
//!
//! - `HEAD` answers `Upload-Offset` (bytes the server holds) and `Upload-Length`;
//! - `PATCH` with `Upload-Offset` and a piece of at most 1 MiB appends it; the last piece is
//!   checked against the hash before the file is kept (422 `hash_mismatch` otherwise);
//! - `GET` sends the file, or a `Range` of it.
//!
//! Every request names the record the file is attached to and is authorised like a pull of
//! that record: a device that may not read it gets 404, as for an id the server does not have
//! (nothing is disclosed), and the file must be referenced by the record as the server has it
//! (so a device can only upload what a record of its scope names, and only at the size it
//! names). Devices above the commune get 403 `attachments_forbidden`: attachments are personal
//! data and never de-identified. Files are kept on disk (`--attachments-dir`), one per hash,
//! shared by every record that names it.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, Query, Request, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use danvan_core::attachment::{AttachmentRef, is_sha256_hex};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use tower::ServiceExt;
use utoipa::IntoParams;

use super::auth::AuthDevice;
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

/// Largest piece one `PATCH` may carry.
pub const MAX_PIECE: usize = 1024 * 1024;

const UPLOAD_OFFSET: HeaderName = HeaderName::from_static("upload-offset");
const UPLOAD_LENGTH: HeaderName = HeaderName::from_static("upload-length");
const TUS_RESUMABLE: HeaderName = HeaderName::from_static("tus-resumable");

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route(
        "/v1/attachments/{sha256}",
        get(download).head(offset).patch(upload),
    )
}

/// The uploads in progress, by hash: one at a time per file.
#[derive(Debug, Default, Clone)]
pub struct Uploads(Arc<Mutex<HashSet<String>>>);

struct UploadTurn {
    uploads: Uploads,
    sha: String,
}

impl Uploads {
    fn take(&self, sha: &str) -> Option<UploadTurn> {
        let mut held = self.0.lock().unwrap_or_else(|p| p.into_inner());
        held.insert(sha.to_string()).then(|| UploadTurn {
            uploads: self.clone(),
            sha: sha.to_string(),
        })
    }
}

impl Drop for UploadTurn {
    fn drop(&mut self) {
        let mut held = self.uploads.0.lock().unwrap_or_else(|p| p.into_inner());
        held.remove(&self.sha);
    }
}

/// The record a file is asked for.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecordParam {
    /// Id of a record that names the file among its attachments (400 `bad_request` without it).
    #[param(value_type = String, format = Uuid, required = true)]
    pub record: Option<String>,
}

/// The file: its SHA-256.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ShaParam {
    /// SHA-256 of the file's bytes, 64 lowercase hex digits (400 `bad_hash` otherwise).
    #[param(pattern = "^[0-9a-f]{64}$")]
    pub sha256: String,
}

/// Where a piece goes.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct OffsetHeader {
    /// Bytes of the file the server holds, where this piece starts (the `HEAD`'s answer).
    #[serde(rename = "Upload-Offset")]
    #[param(rename = "Upload-Offset", minimum = 0)]
    pub upload_offset: u64,
}

/// Where a file's bytes are on disk.
struct Place {
    whole: PathBuf,
    partial: PathBuf,
}

fn place(dir: &Path, sha: &str) -> Place {
    Place {
        whole: whole_path(dir, sha),
        partial: dir.join("partial").join(sha),
    }
}

/// Where the server keeps file `sha` once whole: `<dir>/<first two digits>/<sha>`.
pub(crate) fn whole_path(dir: &Path, sha: &str) -> PathBuf {
    dir.join(sha.get(..2).unwrap_or("xx")).join(sha)
}

/// Check the request: a hash, a record the device may read that names the file. Returns the
/// reference and where the bytes go.
async fn locate(
    state: &AppState,
    device: &crate::storage::Device,
    sha: &str,
    param: &RecordParam,
) -> Result<(AttachmentRef, Place), ApiError> {
    let Some(dir) = state.config.attachments_dir.as_deref() else {
        return Err(ApiError::new(ErrorCode::Unavailable).with_detail("no attachments directory"));
    };
    if !is_sha256_hex(sha) {
        return Err(ErrorCode::BadHash.into());
    }
    let record_id = param
        .record
        .as_deref()
        .and_then(|r| uuid::Uuid::parse_str(r).ok())
        .ok_or_else(|| {
            ApiError::new(ErrorCode::BadRequest).with_detail("`record` must be a record id")
        })?
        .to_string();
    let (scope, readable) = super::sync::readable_scope(state, device)?;
    if scope.deidentified {
        return Err(ErrorCode::AttachmentsForbidden.into());
    }
    let not_found = || ApiError::new(ErrorCode::NotFound).with_detail("no such attachment");
    let storage = &state.storage;
    let Some(fact) = storage.fact(&record_id).await? else {
        return Err(not_found());
    };
    let kind_readable = fact
        .kind
        .parse::<danvan_core::RecordKind>()
        .is_ok_and(|k| scope.can_read_kinds.contains(&k));
    if !kind_readable || !readable.contains(&fact.unit) {
        return Err(not_found());
    }
    if scope.authored_only
        && !storage
            .not_authored_by(&device.id.to_string(), std::slice::from_ref(&record_id))
            .await?
            .is_empty()
    {
        return Err(not_found());
    }
    let Some((bytes, _)) = storage.full_document(&record_id).await? else {
        return Err(not_found());
    };
    let record = danvan_core::RecordDoc::load(&bytes, &uuid::Uuid::nil())
        .and_then(|doc| doc.record())
        .map_err(|e| ApiError::internal(format!("stored document {record_id}: {e}")))?;
    let Some(reference) = record.attachments.get(sha).cloned() else {
        return Err(not_found());
    };
    Ok((reference, place(dir, sha)))
}

async fn held(place: &Place, size: u32) -> std::io::Result<u64> {
    if tokio::fs::try_exists(&place.whole).await? {
        return Ok(u64::from(size));
    }
    match tokio::fs::metadata(&place.partial).await {
        Ok(m) => Ok(m.len()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(e),
    }
}

fn offset_headers(offset: u64, size: u32) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(UPLOAD_OFFSET, HeaderValue::from(offset));
    h.insert(UPLOAD_LENGTH, HeaderValue::from(size));
    h.insert(TUS_RESUMABLE, HeaderValue::from_static("1.0.0"));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h
}

fn io(e: std::io::Error) -> ApiError {
    ApiError::internal(format!("attachments directory: {e}"))
}

/// How many bytes of the file the server holds (`Upload-Offset`) and its size (`Upload-Length`).
#[utoipa::path(head, path = "/v1/attachments/{sha256}", tag = "device",
    params(ShaParam, RecordParam),
    responses((status = 200, description = "`Upload-Offset` and `Upload-Length` headers")))]
pub(crate) async fn offset(
    State(state): State<AppState>,
    AuthDevice(device): AuthDevice,
    UrlPath(sha): UrlPath<String>,
    Query(param): Query<RecordParam>,
) -> Result<Response, ApiError> {
    let (reference, place) = locate(&state, &device, &sha, &param).await?;
    let offset = held(&place, reference.size).await.map_err(io)?;
    Ok((StatusCode::OK, offset_headers(offset, reference.size)).into_response())
}

/// Append a piece of the file at `Upload-Offset` (content type `application/offset+octet-stream`,
/// at most 1 MiB). The piece that completes the file is checked against the hash. A file the
/// server has whole answers 204 at once, whatever the piece (another device sent it).
#[utoipa::path(patch, path = "/v1/attachments/{sha256}", tag = "device",
    params(ShaParam, RecordParam, OffsetHeader),
    request_body(content = inline(crate::web::api::Binary), content_type = "application/offset+octet-stream"),
    responses((status = 204, description = "Appended; `Upload-Offset` is the new offset"),
        (status = 409, description = "`offset_mismatch` (with the server's `Upload-Offset`) or `upload_in_progress`"),
        (status = 422, description = "`hash_mismatch`: the bytes were discarded")))]
pub(crate) async fn upload(
    State(state): State<AppState>,
    AuthDevice(device): AuthDevice,
    UrlPath(sha): UrlPath<String>,
    Query(param): Query<RecordParam>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok());
    if content_type != Some("application/offset+octet-stream") {
        return Err(ErrorCode::UnsupportedMediaType.into());
    }
    let at: u64 = headers
        .get(UPLOAD_OFFSET)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| {
            ApiError::new(ErrorCode::BadRequest).with_detail("`Upload-Offset` must be a number")
        })?;
    if body.len() > MAX_PIECE {
        return Err(ApiError::new(ErrorCode::BodyTooLarge).with_detail("a piece is at most 1 MiB"));
    }
    let (reference, place) = locate(&state, &device, &sha, &param).await?;
    let size = reference.size;
    let Some(_turn) = state.uploads.take(&sha) else {
        return Err(ErrorCode::UploadInProgress.into());
    };
    let have = held(&place, size).await.map_err(io)?;
    if have == u64::from(size) {
        return Ok((StatusCode::NO_CONTENT, offset_headers(have, size)).into_response());
    }
    if at != have {
        return Ok((
            offset_headers(have, size),
            ApiError::new(ErrorCode::OffsetMismatch).with_detail(format!("at {at}, have {have}")),
        )
            .into_response());
    }
    if body.is_empty() || have + body.len() as u64 > u64::from(size) {
        return Err(ApiError::new(ErrorCode::BadRequest)
            .with_detail("the piece is empty or runs past the file's size"));
    }
    if let Some(parent) = place.partial.parent() {
        tokio::fs::create_dir_all(parent).await.map_err(io)?;
    }
    let mut file = tokio::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&place.partial)
        .await
        .map_err(io)?;
    file.write_all(&body).await.map_err(io)?;
    file.sync_data().await.map_err(io)?;
    drop(file);
    let now = have + body.len() as u64;
    if now == u64::from(size) {
        let bytes = tokio::fs::read(&place.partial).await.map_err(io)?;
        let digest = hex::encode(Sha256::digest(&bytes));
        if digest != sha {
            tokio::fs::remove_file(&place.partial).await.map_err(io)?;
            tracing::info!(device = %device.id, sha = %sha, "attachment discarded: hash mismatch");
            return Ok((
                offset_headers(0, size),
                ApiError::new(ErrorCode::HashMismatch),
            )
                .into_response());
        }
        if let Some(parent) = place.whole.parent() {
            tokio::fs::create_dir_all(parent).await.map_err(io)?;
        }
        tokio::fs::rename(&place.partial, &place.whole)
            .await
            .map_err(io)?;
        tracing::info!(device = %device.id, sha = %sha, size, "attachment received");
    }
    Ok((StatusCode::NO_CONTENT, offset_headers(now, size)).into_response())
}

/// The file, whole or a `Range` of it (206), with its media type.
#[utoipa::path(get, path = "/v1/attachments/{sha256}", tag = "device",
    params(ShaParam, RecordParam),
    responses((status = 200, description = "The file", content_type = "application/octet-stream",
        body = inline(crate::web::api::Binary)),
        (status = 206, description = "The range asked for")))]
pub(crate) async fn download(
    State(state): State<AppState>,
    AuthDevice(device): AuthDevice,
    UrlPath(sha): UrlPath<String>,
    Query(param): Query<RecordParam>,
    req: Request,
) -> Result<Response, ApiError> {
    let (reference, place) = locate(&state, &device, &sha, &param).await?;
    serve_file(&place.whole, &reference, req).await
}

/// Serve the whole file at `path` (ranges through tower-http's `ServeFile`) with the
/// reference's media type and name; 404 while it is not uploaded whole.
pub(crate) async fn serve_file(
    path: &Path,
    reference: &AttachmentRef,
    req: Request,
) -> Result<Response, ApiError> {
    if !tokio::fs::try_exists(path).await.map_err(io)? {
        return Err(ApiError::new(ErrorCode::NotFound).with_detail("not uploaded yet"));
    }
    let (parts, _) = req.into_parts();
    let req = Request::from_parts(parts, axum::body::Body::empty());
    let mut resp = tower_http::services::ServeFile::new(path)
        .oneshot(req)
        .await
        .map_err(|e| ApiError::internal(format!("serving an attachment: {e}")))?
        .map(axum::body::Body::new);
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&reference.media_type) {
        h.insert(CONTENT_TYPE, v);
    }
    let ascii: String = reference
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{ascii}\"")) {
        h.insert(CONTENT_DISPOSITION, v);
    }
    h.insert(CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    h.insert(
        HeaderName::from_static("x-content-type-options"),
        HeaderValue::from_static("nosniff"),
    );
    Ok(resp)
}
