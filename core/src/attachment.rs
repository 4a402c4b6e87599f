//! Attachments: the signed paper kept with a record (a mediation agreement, an inspection's
//! minutes, a photo of a notice board), as **references** in the record's document. The bytes
//! never go into the CRDT: they are content-addressed blobs (SHA-256), kept on the phone beside
//! the store and on the server on disk, moved apart from the record sync (ADR 0014).

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::model::common::Timestamp;
use crate::validate::ValidationIssue;

/// One file attached to a record. A record's attachments are a map from the file's SHA-256 (of
/// its bytes as stored, after any downscaling; 64 lowercase hex digits, the blob's name on the
/// phone and on the server) to this: a map, not a list, so that two people attaching files
/// offline merge (each key is its own), and the same file attached twice is one entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct AttachmentRef {
    /// Size in bytes.
    #[autosurgeon(hydrate = "crate::model::numbers::u32")]
    pub size: u32,
    /// Media type: one of [`AttachmentRules::media_types`].
    pub media_type: String,
    /// File name shown to people (e.g. `bien-ban-hoa-giai.jpg`).
    pub name: String,
    /// The item of the record the file belongs to, when it is not the whole record: a history
    /// entry, a party, a recommendation or a commitment (its item id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[autosurgeon(missing = "Option::default")]
    pub item: Option<String>,
    /// Device that attached it.
    pub added_by: String,
    /// When it was attached.
    pub added_at: Timestamp,
}

/// Limits on attachments: the phone refuses a file past them before storing it, and the server
/// refuses a record whose references break them (the same check, [`check_refs`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AttachmentRules {
    /// Largest file, in bytes, after downscaling (default 10 MiB).
    pub max_file_bytes: u32,
    /// Largest total of one record's files, in bytes (default 40 MiB).
    pub max_record_bytes: u64,
    /// Most files on one record (default 20).
    pub max_files: u32,
    /// Photos are downscaled on the phone so that their longer side is at most this many
    /// pixels (default 2,048; JPEG quality 85; the EXIF block, location included, is dropped).
    pub max_image_px: u32,
    /// Media types accepted (default JPEG, PNG and PDF).
    pub media_types: Vec<String>,
}

impl Default for AttachmentRules {
    fn default() -> Self {
        AttachmentRules {
            max_file_bytes: 10 * 1024 * 1024,
            max_record_bytes: 40 * 1024 * 1024,
            max_files: 20,
            max_image_px: 2048,
            media_types: vec![
                "image/jpeg".into(),
                "image/png".into(),
                "application/pdf".into(),
            ],
        }
    }
}

/// The media types danvan can recognise from a file's first bytes.
pub const KNOWN_MEDIA_TYPES: [&str; 3] = ["image/jpeg", "image/png", "application/pdf"];

/// The media type of `bytes` from their signature (JPEG, PNG or PDF), if it is one of those.
pub fn sniff_media_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else {
        None
    }
}

/// Whether `s` is a SHA-256 in danvan's spelling: 64 lowercase hex digits.
pub fn is_sha256_hex(s: &str) -> bool {
    is_lower_hex(s, 64)
}

/// Whether `s` is exactly `digits` lowercase hex digits (hashes, keys and signatures as danvan
/// writes them).
pub fn is_lower_hex(s: &str, digits: usize) -> bool {
    s.len() == digits && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Longest file name kept, in characters.
pub const MAX_NAME_CHARS: usize = 200;

/// Every broken rule of a record's attachment references, against `rules`.
pub fn check_refs(
    refs: &std::collections::BTreeMap<String, AttachmentRef>,
    rules: &AttachmentRules,
    out: &mut Vec<ValidationIssue>,
) {
    let mut total: u64 = 0;
    if refs.len() > rules.max_files as usize {
        out.push(ValidationIssue::new(
            "attachments",
            "too_many_attachments",
            format!("Mỗi hồ sơ đính kèm tối đa {} tệp.", rules.max_files),
            format!("A record may have at most {} attachments.", rules.max_files),
        ));
    }
    for (sha256, a) in refs {
        let shown: String = sha256.chars().take(64).collect();
        let field = |f: &str| format!("attachments.{shown}.{f}");
        if !is_sha256_hex(sha256) {
            out.push(ValidationIssue::new(
                format!("attachments.{shown}"),
                "bad_hash",
                "Mã băm của tệp đính kèm không hợp lệ.",
                "The attachment's hash is not a SHA-256 in lowercase hex.",
            ));
        }
        if a.size == 0 || a.size > rules.max_file_bytes {
            out.push(ValidationIssue::new(
                field("size"),
                "attachment_too_large",
                format!(
                    "Tệp đính kèm phải khác rỗng và không quá {} MB.",
                    rules.max_file_bytes / (1024 * 1024)
                ),
                format!(
                    "An attachment must be non-empty and at most {} MB.",
                    rules.max_file_bytes / (1024 * 1024)
                ),
            ));
        }
        total += u64::from(a.size);
        if !rules.media_types.iter().any(|t| t == &a.media_type) {
            out.push(ValidationIssue::new(
                field("media_type"),
                "media_type_not_allowed",
                "Loại tệp này không được đính kèm (chỉ ảnh JPEG, PNG và PDF).",
                "This type of file may not be attached (JPEG, PNG and PDF only).",
            ));
        }
        let name_len = a.name.chars().count();
        if a.name.trim().is_empty()
            || name_len > MAX_NAME_CHARS
            || a.name
                .chars()
                .any(|c| c.is_control() || c == '/' || c == '\\')
        {
            out.push(ValidationIssue::new(
                field("name"),
                "bad_file_name",
                format!(
                    "Tên tệp phải có từ 1 đến {MAX_NAME_CHARS} ký tự, không có ký tự điều khiển hay dấu gạch chéo."
                ),
                format!(
                    "A file name has 1 to {MAX_NAME_CHARS} characters, no control characters or slashes."
                ),
            ));
        }
    }
    if total > rules.max_record_bytes {
        out.push(ValidationIssue::new(
            "attachments",
            "attachments_too_large",
            format!(
                "Tổng dung lượng tệp đính kèm của một hồ sơ không quá {} MB.",
                rules.max_record_bytes / (1024 * 1024)
            ),
            format!(
                "A record's attachments may total at most {} MB.",
                rules.max_record_bytes / (1024 * 1024)
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(sha: &str, size: u32, media_type: &str, name: &str) -> (String, AttachmentRef) {
        (
            sha.to_string(),
            AttachmentRef {
                size,
                media_type: media_type.into(),
                name: name.into(),
                item: None,
                added_by: "d".into(),
                added_at: Timestamp(0),
            },
        )
    }

    fn codes(refs: &[(String, AttachmentRef)], rules: &AttachmentRules) -> Vec<String> {
        let mut out = Vec::new();
        check_refs(&refs.iter().cloned().collect(), rules, &mut out);
        out.into_iter().map(|i| i.code).collect()
    }

    #[test]
    fn limits_hold() {
        let rules = AttachmentRules::default();
        let h1 = "a".repeat(64);
        let h2 = "b".repeat(64);
        assert!(codes(&[a(&h1, 1000, "image/jpeg", "bien-ban.jpg")], &rules).is_empty());
        assert_eq!(
            codes(&[a(&"A".repeat(64), 1, "image/jpeg", "x")], &rules),
            ["bad_hash"]
        );
        assert_eq!(
            codes(&[a(&h1, 10 * 1024 * 1024 + 1, "image/jpeg", "x")], &rules),
            ["attachment_too_large"]
        );
        assert_eq!(
            codes(&[a(&h1, 0, "image/jpeg", "x")], &rules),
            ["attachment_too_large"]
        );
        assert_eq!(
            codes(&[a(&h1, 5, "text/html", "x")], &rules),
            ["media_type_not_allowed"]
        );
        assert_eq!(
            codes(&[a(&h1, 5, "image/png", "../x")], &rules),
            ["bad_file_name"]
        );
        assert_eq!(
            codes(&[a(&h1, 5, "image/png", " ")], &rules),
            ["bad_file_name"]
        );
        let small = AttachmentRules {
            max_record_bytes: 1500,
            max_files: 1,
            ..AttachmentRules::default()
        };
        assert_eq!(
            codes(
                &[
                    a(&h1, 1000, "image/jpeg", "x"),
                    a(&h2, 1000, "image/jpeg", "y")
                ],
                &small
            ),
            ["too_many_attachments", "attachments_too_large"]
        );
    }

    #[test]
    fn sniffing() {
        assert_eq!(
            sniff_media_type(&[0xff, 0xd8, 0xff, 0xe0]),
            Some("image/jpeg")
        );
        assert_eq!(
            sniff_media_type(b"\x89PNG\r\n\x1a\n...."),
            Some("image/png")
        );
        assert_eq!(sniff_media_type(b"%PDF-1.7"), Some("application/pdf"));
        assert_eq!(sniff_media_type(b"<html>"), None);
    }
}
