//! Attachments on the phone (ADR 0014): attach a photo or a PDF to a record offline, see each
//! file's state, read its bytes; and move the bytes to and from the server apart from the
//! record sync, resumably ([`Store::upload_attachments`], [`Store::download_attachment`]).
//!
//! The record's document holds only the reference ([`AttachmentRef`], keyed by SHA-256); the
//! bytes are a blob beside the store ([`super::blobs`]), encrypted with the store's key when
//! the store is encrypted. Photos are downscaled before anything is stored.

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::attachment::{AttachmentRef, AttachmentRules, sniff_media_type};
use crate::error::{CoreError, Result};
use crate::model::common::Timestamp;
use crate::record::Record;
use crate::sync::{
    BlobMethod, BlobReply, BlobRequest, BlobTransport, DeviceCredentials, NetworkError, SyncError,
    error_of,
};
use crate::validate::ValidationIssue;

use super::Store;
use super::blobs::sha256_hex;

/// Where an attachment's bytes are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttachmentState {
    /// Attached on this phone, not yet sent (đang chờ gửi).
    Waiting,
    /// Partly sent (đang gửi): [`AttachmentStatus::transferred`] bytes of the size.
    Uploading,
    /// On the server (đã gửi).
    Uploaded,
    /// Known from the record, on the server only (chưa tải về).
    Remote,
    /// Partly downloaded (đang tải về).
    Downloading,
    /// Downloaded to this phone (đã tải về).
    Downloaded,
}

impl AttachmentState {
    fn code(self) -> &'static str {
        match self {
            AttachmentState::Waiting => "waiting",
            AttachmentState::Uploading => "uploading",
            AttachmentState::Uploaded => "uploaded",
            AttachmentState::Remote => "remote",
            AttachmentState::Downloading => "downloading",
            AttachmentState::Downloaded => "downloaded",
        }
    }

    fn parse(s: &str) -> Option<AttachmentState> {
        [
            AttachmentState::Waiting,
            AttachmentState::Uploading,
            AttachmentState::Uploaded,
            AttachmentState::Remote,
            AttachmentState::Downloading,
            AttachmentState::Downloaded,
        ]
        .into_iter()
        .find(|st| st.code() == s)
    }

    /// Whether this phone holds the whole file.
    pub fn is_local(self) -> bool {
        matches!(
            self,
            AttachmentState::Waiting
                | AttachmentState::Uploading
                | AttachmentState::Uploaded
                | AttachmentState::Downloaded
        )
    }
}

/// One attachment of a record, with where its bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentStatus {
    /// SHA-256 of the file (its name).
    pub sha256: String,
    /// The reference in the record (size, type, name, item, who attached it and when).
    pub reference: AttachmentRef,
    /// Where the bytes are.
    pub state: AttachmentState,
    /// Bytes sent (uploading) or received (downloading) so far; the size once done.
    pub transferred: u64,
}

/// What one pass of [`Store::upload_attachments`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttachmentTransfer {
    /// Files now on the server (sent whole in this pass, or found there already).
    pub uploaded: u32,
    /// Bytes sent in this pass.
    pub bytes_sent: u64,
    /// Files still waiting: their record is not on the server yet (sync the records first), or
    /// the server refused them (see the log).
    pub waiting: u32,
}

/// Bytes sent per `PATCH` (the server takes up to 1 MiB): a cut loses at most this much.
pub const UPLOAD_PIECE: usize = 256 * 1024;
/// Bytes asked per ranged `GET`.
pub const DOWNLOAD_PIECE: u64 = 256 * 1024;

fn invalid(field: &str, code: &str, vi: &str, en: &str) -> CoreError {
    CoreError::Invalid(vec![ValidationIssue::new(field, code, vi, en)])
}

/// Check a file's type against its bytes and the rules, and downscale a photo: the bytes to
/// store and their media type. A photo larger than `max_image_px` is scaled and re-encoded
/// (JPEG quality 85, which keeps no metadata); a JPEG within the size keeps its image data and
/// loses its metadata segments (EXIF with the location, XMP, IPTC, comments: see
/// [`strip_jpeg_metadata`]); a PNG within the size and a PDF are kept as they are.
pub fn prepare_file(
    bytes: &[u8],
    media_type: &str,
    rules: &AttachmentRules,
) -> Result<(Vec<u8>, &'static str)> {
    let Some(sniffed) = sniff_media_type(bytes) else {
        return Err(invalid(
            "attachment.media_type",
            "media_type_not_allowed",
            "Tệp không phải ảnh JPEG, PNG hay tệp PDF.",
            "The file is not a JPEG or PNG photo or a PDF.",
        ));
    };
    if !media_type.is_empty() && media_type != sniffed {
        return Err(invalid(
            "attachment.media_type",
            "media_type_mismatch",
            "Loại tệp khai báo không khớp với nội dung tệp.",
            "The declared type of the file does not match its content.",
        ));
    }
    if !rules.media_types.iter().any(|t| t == sniffed) {
        return Err(invalid(
            "attachment.media_type",
            "media_type_not_allowed",
            "Loại tệp này không được đính kèm.",
            "This type of file may not be attached.",
        ));
    }
    let out = match sniffed {
        "image/jpeg" | "image/png" => downscale(bytes, sniffed, rules.max_image_px)?,
        _ => bytes.to_vec(),
    };
    if out.is_empty() || out.len() as u64 > u64::from(rules.max_file_bytes) {
        return Err(invalid(
            "attachment.size",
            "attachment_too_large",
            &format!(
                "Tệp đính kèm không quá {} MB.",
                rules.max_file_bytes / (1024 * 1024)
            ),
            &format!(
                "An attachment may be at most {} MB.",
                rules.max_file_bytes / (1024 * 1024)
            ),
        ));
    }
    Ok((out, sniffed))
}

fn downscale(bytes: &[u8], media_type: &'static str, max_px: u32) -> Result<Vec<u8>> {
    use image::ImageFormat;
    let format = if media_type == "image/png" {
        ImageFormat::Png
    } else {
        ImageFormat::Jpeg
    };
    let unreadable = || {
        invalid(
            "attachment",
            "unreadable_image",
            "Không đọc được ảnh.",
            "The photo cannot be read.",
        )
    };
    // A JPEG already within the size only loses its metadata: no decoding, no quality lost.
    if format == ImageFormat::Jpeg {
        let within = image::ImageReader::with_format(std::io::Cursor::new(bytes), format)
            .into_dimensions()
            .is_ok_and(|(w, h)| w.max(h) <= max_px.max(1));
        if within && let Some(stripped) = strip_jpeg_metadata(bytes) {
            return Ok(stripped);
        }
    }
    let mut reader = image::ImageReader::with_format(std::io::Cursor::new(bytes), format);
    // A photo claiming 100,000 × 100,000 pixels is refused before any memory is taken for it.
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(16_384);
    limits.max_image_height = Some(16_384);
    limits.max_alloc = Some(256 * 1024 * 1024);
    reader.limits(limits);
    let img = reader.decode().map_err(|_| unreadable())?;
    let too_large = img.width().max(img.height()) > max_px.max(1);
    if format == ImageFormat::Png && !too_large {
        return Ok(bytes.to_vec());
    }
    let img = if too_large {
        img.resize(max_px, max_px, image::imageops::FilterType::Triangle)
    } else {
        img
    };
    let mut out = Vec::new();
    if format == ImageFormat::Png {
        img.write_to(&mut std::io::Cursor::new(&mut out), ImageFormat::Png)
            .map_err(|_| unreadable())?;
    } else {
        let rgb = img.to_rgb8();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
            .encode_image(&rgb)
            .map_err(|_| unreadable())?;
    }
    Ok(out)
}

/// A JPEG without its metadata segments: APP1 (EXIF, with the GPS location and the camera's
/// serial number, and XMP), APP13 (IPTC: names, places) and comments. The image data, JFIF
/// (APP0), the colour profile (APP2) and Adobe's colour transform (APP14) are kept byte for
/// byte. `None` when the segments do not walk (the caller re-encodes the photo instead).
pub fn strip_jpeg_metadata(bytes: &[u8]) -> Option<Vec<u8>> {
    if !bytes.starts_with(&[0xff, 0xd8]) {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&bytes[..2]);
    let mut at = 2usize;
    loop {
        if *bytes.get(at)? != 0xff {
            return None;
        }
        let marker = *bytes.get(at + 1)?;
        match marker {
            // Fill bytes before a marker.
            0xff => at += 1,
            // Markers without a length.
            0x01 | 0xd0..=0xd7 => {
                out.extend_from_slice(&bytes[at..at + 2]);
                at += 2;
            }
            // Start of scan: the entropy-coded data and everything after it, as they are.
            0xda => {
                out.extend_from_slice(&bytes[at..]);
                return Some(out);
            }
            0xd9 => return None,
            _ => {
                let len = usize::from(u16::from_be_bytes([
                    *bytes.get(at + 2)?,
                    *bytes.get(at + 3)?,
                ]));
                let end = at
                    .checked_add(2 + len)
                    .filter(|&e| len >= 2 && e <= bytes.len())?;
                if !matches!(marker, 0xe1 | 0xed | 0xfe) {
                    out.extend_from_slice(&bytes[at..end]);
                }
                at = end;
            }
        }
    }
}

fn row_state(
    conn: &rusqlite::Connection,
    sha: &str,
) -> rusqlite::Result<Option<(AttachmentState, u64, String)>> {
    conn.query_row(
        "SELECT state, transferred, record_id FROM attachments WHERE sha256 = ?1",
        [sha],
        |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
            ))
        },
    )
    .optional()
    .map(|o| {
        o.and_then(|(s, t, rec)| {
            AttachmentState::parse(&s).map(|st| (st, u64::try_from(t).unwrap_or(0), rec))
        })
    })
}

fn set_state(
    conn: &rusqlite::Connection,
    sha: &str,
    record_id: &str,
    size: u32,
    state: AttachmentState,
    transferred: u64,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO attachments (sha256, record_id, size, state, transferred)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (sha256) DO UPDATE SET state = excluded.state,
             transferred = excluded.transferred",
    )?
    .execute(params![
        sha,
        record_id,
        size,
        state.code(),
        i64::try_from(transferred).unwrap_or(i64::MAX)
    ])?;
    Ok(())
}

/// The path of an attachment on the server for `record_id` (the record it is checked against).
fn blob_path(sha: &str, record_id: &str) -> String {
    format!("/v1/attachments/{sha}?record={record_id}")
}

impl Store {
    /// Attach a file to record `id`, offline: the photo is downscaled ([`prepare_file`]), the
    /// bytes stored beside the store (encrypted when the store is), and the reference written
    /// into the record as a local change, with the file `waiting` to be sent. `media_type` may
    /// be empty (it is read from the bytes); when given it must match them. `item` names the
    /// part of the record the file belongs to (a history entry, a party, a recommendation).
    ///
    /// Refused with [`CoreError::Invalid`] (nothing written) when the type is not allowed, the
    /// file or the record's files are too large, or the name is not a file name. Attaching the
    /// same bytes again changes nothing.
    pub fn attach(
        &mut self,
        id: &str,
        bytes: &[u8],
        media_type: &str,
        name: &str,
        item: Option<String>,
    ) -> Result<(String, Record)> {
        let _span = tracing::info_span!("store.attach", id, size = bytes.len()).entered();
        let (stored, media_type) = prepare_file(bytes, media_type, &self.cfg.attachments)?;
        let sha = sha256_hex(&stored);
        let size = u32::try_from(stored.len()).unwrap_or(u32::MAX);
        // The record must exist before anything is written.
        self.get(id)?;
        self.blobs.put(&sha, &stored)?;
        let by = self.device.to_string();
        let reference = AttachmentRef {
            size,
            media_type: media_type.to_string(),
            name: name.trim().to_string(),
            item,
            added_by: by,
            added_at: Timestamp::now(),
        };
        let key = sha.clone();
        let record_id = id.to_string();
        let record = self.write_local_with(
            id,
            "attachment",
            |r| {
                r.attachments.entry(key).or_insert(reference);
                Ok(())
            },
            |tx| {
                let known = row_state(tx, &sha)?;
                if known.is_none() {
                    set_state(tx, &sha, &record_id, size, AttachmentState::Waiting, 0)?;
                }
                Ok(())
            },
        )?;
        tracing::info!(id, sha = %sha, size, "file attached");
        Ok((sha, record))
    }

    /// Remove the reference to file `sha256` from record `id` (a local change). The bytes stay
    /// on the phone and the server: another record may name the same file.
    pub fn detach(&mut self, id: &str, sha256: &str) -> Result<Record> {
        let _span = tracing::info_span!("store.detach", id).entered();
        let key = sha256.to_string();
        self.write_local(id, "attachment removed", |r| {
            if r.attachments.remove(&key).is_none() {
                return Err(CoreError::NotFound(format!("attachment {key}")));
            }
            Ok(())
        })
    }

    /// The attachments of record `id`, by name, each with where its bytes are.
    pub fn attachments(&self, id: &str) -> Result<Vec<AttachmentStatus>> {
        let record = self.get(id)?;
        let mut out = Vec::with_capacity(record.attachments.len());
        for (sha, reference) in record.attachments {
            let (state, transferred) = match row_state(&self.conn, &sha)? {
                Some((st, t, _)) => (st, t),
                None if self.blobs.has(&sha) => {
                    (AttachmentState::Downloaded, u64::from(reference.size))
                }
                None => (AttachmentState::Remote, 0),
            };
            out.push(AttachmentStatus {
                sha256: sha,
                reference,
                state,
                transferred,
            });
        }
        out.sort_by(|a, b| {
            (a.reference.added_at, &a.reference.name)
                .cmp(&(b.reference.added_at, &b.reference.name))
        });
        Ok(out)
    }

    /// The bytes of file `sha256`, if this phone holds them ([`CoreError::NotFound`] if not:
    /// download it first). Checked against the hash.
    pub fn read_attachment(&self, sha256: &str) -> Result<Vec<u8>> {
        if !crate::attachment::is_sha256_hex(sha256) {
            return Err(CoreError::NotFound(format!("attachment {sha256}")));
        }
        self.blobs
            .get(sha256)?
            .ok_or_else(|| CoreError::NotFound(format!("attachment {sha256}")))
    }

    /// Send every `waiting` or half-sent file to the server, one at a time, in pieces of
    /// [`UPLOAD_PIECE`], resuming each from what the server says it has (`HEAD`), so a cut
    /// connection costs at most one piece. Run it after a record sync: a file whose record is
    /// not on the server yet stays waiting. `progress` is called after each piece.
    ///
    /// A network failure stops the pass with [`SyncError::Network`]; what was sent stays sent.
    pub fn upload_attachments(
        &mut self,
        transport: &impl BlobTransport,
        credentials: &DeviceCredentials,
        mut progress: impl FnMut(&AttachmentTransfer),
    ) -> Result<AttachmentTransfer> {
        let _span = tracing::info_span!("store.upload_attachments").entered();
        if credentials.device_id != self.device {
            return Err(wrong_device());
        }
        let auth = credentials.authorization();
        let pending: Vec<(String, String, u32)> = {
            let mut stmt = self.conn.prepare(
                "SELECT sha256, record_id, size FROM attachments
                 WHERE state IN ('waiting', 'uploading') ORDER BY sha256",
            )?;
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<rusqlite::Result<_>>()?
        };
        let mut done = AttachmentTransfer::default();
        for (sha, record_id, size) in pending {
            let path = blob_path(&sha, &record_id);
            let head = transport
                .blob(&BlobRequest {
                    method: BlobMethod::Head,
                    path: &path,
                    authorization: &auth,
                    upload_offset: None,
                    range: None,
                    body: &[],
                })
                .map_err(network)?;
            let Some(mut offset) = accepted_offset(&head, &mut done, &sha)? else {
                continue;
            };
            let bytes = match self.blobs.get(&sha) {
                Ok(Some(b)) => b,
                other => {
                    tracing::warn!(sha = %sha, ?other, "attachment bytes missing on the phone");
                    done.waiting += 1;
                    continue;
                }
            };
            while offset < u64::from(size) {
                let start = usize::try_from(offset)
                    .unwrap_or(usize::MAX)
                    .min(bytes.len());
                let end = (start + UPLOAD_PIECE).min(bytes.len());
                let reply = transport
                    .blob(&BlobRequest {
                        method: BlobMethod::Patch,
                        path: &path,
                        authorization: &auth,
                        upload_offset: Some(offset),
                        range: None,
                        body: &bytes[start..end],
                    })
                    .map_err(network)?;
                match (reply.status, reply.upload_offset) {
                    (204 | 200, Some(now)) if now > offset => {
                        done.bytes_sent += now - offset;
                        offset = now;
                    }
                    // The server has another offset (another piece arrived): go on from it.
                    (409, Some(now)) => offset = now,
                    (status, _) => {
                        tracing::warn!(sha = %sha, status, "attachment piece refused");
                        auth_error(&reply)?;
                        break;
                    }
                }
                // The last piece's state is written once, below.
                if offset < u64::from(size) {
                    set_state(
                        &self.conn,
                        &sha,
                        &record_id,
                        size,
                        AttachmentState::Uploading,
                        offset,
                    )?;
                    progress(&done);
                }
            }
            if offset >= u64::from(size) {
                set_state(
                    &self.conn,
                    &sha,
                    &record_id,
                    size,
                    AttachmentState::Uploaded,
                    offset,
                )?;
                done.uploaded += 1;
            } else {
                done.waiting += 1;
            }
            progress(&done);
        }
        tracing::info!(
            uploaded = done.uploaded,
            bytes = done.bytes_sent,
            waiting = done.waiting,
            "attachments sent"
        );
        Ok(done)
    }

    /// Download file `sha256` of record `id` from the server (on demand: the record sync never
    /// carries the bytes), in ranged pieces of [`DOWNLOAD_PIECE`] kept on disk as they arrive,
    /// so a cut download resumes where it stopped. Returns the bytes, checked against the hash.
    /// `progress` gets (bytes held, size) after each piece.
    pub fn download_attachment(
        &mut self,
        transport: &impl BlobTransport,
        credentials: &DeviceCredentials,
        id: &str,
        sha256: &str,
        mut progress: impl FnMut(u64, u64),
    ) -> Result<Vec<u8>> {
        let _span = tracing::info_span!("store.download_attachment", id).entered();
        if credentials.device_id != self.device {
            return Err(wrong_device());
        }
        let record = self.get(id)?;
        let Some(reference) = record.attachments.get(sha256) else {
            return Err(CoreError::NotFound(format!("attachment {sha256}")));
        };
        if let Some(bytes) = self.blobs.get(sha256)? {
            return Ok(bytes);
        }
        let size = u64::from(reference.size);
        let auth = credentials.authorization();
        let path = blob_path(sha256, id);
        let mut have = self.blobs.part_len(sha256)?;
        loop {
            if have >= size {
                if self.blobs.finish_part(sha256)? {
                    break;
                }
                // The bytes received do not hash to the name: start again once.
                return Err(SyncError::Server {
                    status: 422,
                    code: "hash_mismatch".into(),
                    message: "the downloaded file does not match its hash".into(),
                }
                .into());
            }
            let last = (have + DOWNLOAD_PIECE).min(size) - 1;
            let reply = transport
                .blob(&BlobRequest {
                    method: BlobMethod::Get,
                    path: &path,
                    authorization: &auth,
                    upload_offset: None,
                    range: Some((have, last)),
                    body: &[],
                })
                .map_err(network)?;
            let piece: &[u8] = match reply.status {
                206 => &reply.body,
                // A server that ignores ranges sends it all.
                200 => reply
                    .body
                    .get(usize::try_from(have).unwrap_or(usize::MAX)..)
                    .unwrap_or_default(),
                _ => {
                    auth_error(&reply)?;
                    return Err(server_error(&reply));
                }
            };
            if piece.is_empty() || have + piece.len() as u64 > size {
                return Err(server_error(&reply));
            }
            have = self.blobs.append_part(sha256, piece)?;
            set_state(
                &self.conn,
                sha256,
                id,
                reference.size,
                AttachmentState::Downloading,
                have,
            )?;
            progress(have, size);
        }
        set_state(
            &self.conn,
            sha256,
            id,
            reference.size,
            AttachmentState::Downloaded,
            size,
        )?;
        tracing::info!(id, sha = %sha256, size, "attachment downloaded");
        self.blobs
            .get(sha256)?
            .ok_or_else(|| CoreError::NotFound(format!("attachment {sha256}")))
    }
}

/// The offset to resume from after `HEAD`, or `None` when this file is skipped for now (its
/// record is not on the server yet, or the server refuses it).
fn accepted_offset(
    head: &BlobReply,
    done: &mut AttachmentTransfer,
    sha: &str,
) -> Result<Option<u64>> {
    match (head.status, head.upload_offset) {
        (200 | 204, Some(offset)) => Ok(Some(offset)),
        (404, _) => {
            tracing::debug!(sha = %sha, "record not on the server yet; the file waits");
            done.waiting += 1;
            Ok(None)
        }
        _ => {
            auth_error(head)?;
            tracing::warn!(sha = %sha, status = head.status, "attachment refused");
            done.waiting += 1;
            Ok(None)
        }
    }
}

/// A 401 or 403 (unknown or revoked device) ends the pass.
fn auth_error(reply: &BlobReply) -> Result<()> {
    if matches!(reply.status, 401 | 403) {
        return Err(error_of(reply.status, &reply.body).into());
    }
    Ok(())
}

fn server_error(reply: &BlobReply) -> CoreError {
    error_of(reply.status, &reply.body).into()
}

fn network(e: NetworkError) -> CoreError {
    SyncError::Network(e).into()
}

fn wrong_device() -> CoreError {
    invalid(
        "credentials",
        "wrong_device",
        "Thông tin xác thực là của thiết bị khác.",
        "The credentials belong to another device.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small JPEG with an EXIF block holding a GPS position and a comment.
    fn jpeg_with_exif() -> Vec<u8> {
        let img =
            image::RgbImage::from_fn(64, 48, |x, y| image::Rgb([x as u8 * 3, y as u8 * 5, 77]));
        let mut plain = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut plain, 90)
            .encode_image(&img)
            .unwrap();
        let exif = b"Exif\0\0GPS 20.8449N 106.6881E";
        let mut out = plain[..2].to_vec();
        out.extend_from_slice(&[0xff, 0xe1]);
        out.extend_from_slice(&((exif.len() + 2) as u16).to_be_bytes());
        out.extend_from_slice(exif);
        let comment = b"Nguyen Thi Lan";
        out.extend_from_slice(&[0xff, 0xfe]);
        out.extend_from_slice(&((comment.len() + 2) as u16).to_be_bytes());
        out.extend_from_slice(comment);
        out.extend_from_slice(&plain[2..]);
        out
    }

    #[test]
    fn a_small_jpeg_loses_its_metadata_not_its_pixels() {
        let with = jpeg_with_exif();
        let (kept, ty) = prepare_file(&with, "", &AttachmentRules::default()).unwrap();
        assert_eq!(ty, "image/jpeg");
        assert!(!kept.windows(3).any(|w| w == b"GPS"), "the location stayed");
        assert!(
            !kept.windows(6).any(|w| w == b"Nguyen"),
            "the comment stayed"
        );
        // The two segments: marker and length (4 bytes) and 28 and 14 bytes of content.
        assert_eq!(kept.len(), with.len() - (4 + 28) - (4 + 14));
        let a = image::load_from_memory(&with).unwrap().to_rgb8();
        let b = image::load_from_memory(&kept).unwrap().to_rgb8();
        assert_eq!(a, b, "the image data is untouched");
    }

    #[test]
    fn a_large_photo_is_scaled_and_bad_files_are_refused() {
        let img = image::RgbImage::from_fn(3000, 1000, |x, _| image::Rgb([(x % 256) as u8, 0, 0]));
        let mut big = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut big, 90)
            .encode_image(&img)
            .unwrap();
        let (kept, _) = prepare_file(&big, "image/jpeg", &AttachmentRules::default()).unwrap();
        let d = image::load_from_memory(&kept).unwrap();
        assert_eq!((d.width(), d.height()), (2048, 683));
        let code = |r: Result<(Vec<u8>, &str)>| match r {
            Err(CoreError::Invalid(i)) => i[0].code.clone(),
            other => panic!("{:?}", other.map(|(b, t)| (b.len(), t))),
        };
        assert_eq!(
            code(prepare_file(&big, "image/png", &AttachmentRules::default())),
            "media_type_mismatch"
        );
        assert_eq!(
            code(prepare_file(b"GIF89a....", "", &AttachmentRules::default())),
            "media_type_not_allowed"
        );
        // A JPEG header with nothing behind it.
        assert_eq!(
            code(prepare_file(&big[..600], "", &AttachmentRules::default())),
            "unreadable_image"
        );
        let pdf_only = AttachmentRules {
            media_types: vec!["application/pdf".into()],
            ..AttachmentRules::default()
        };
        assert_eq!(
            code(prepare_file(&big, "", &pdf_only)),
            "media_type_not_allowed"
        );
        let tiny = AttachmentRules {
            max_file_bytes: 1000,
            ..AttachmentRules::default()
        };
        assert_eq!(code(prepare_file(&big, "", &tiny)), "attachment_too_large");
    }
}
