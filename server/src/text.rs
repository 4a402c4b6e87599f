//! Text from clients, checked at the edge before it reaches SQL, the same way for both backends.
//!
//! PostgreSQL rejects a NUL byte in a `TEXT` value (a database error, so a 500) where SQLite
//! stores it; control characters have no place in names, labels or ids either (they hide text
//! in logs and pages). Every text field a request carries into a query goes through
//! [`clean_text`] (or one of its named shorthands), which answers 400 `invalid_text`: bound
//! length, no control characters (newlines and tabs only where a field allows several lines),
//! trimmed.

use crate::error::{ApiError, ErrorCode};

/// Longest username, in characters (login forms, `POST /api/v1/session`).
pub const MAX_USERNAME: usize = 100;
/// Longest record id, in characters (a UUID is 36).
pub const MAX_ID: usize = 64;
/// Longest device label, in characters (`POST /v1/enroll`).
pub const MAX_DEVICE_LABEL: usize = 100;
/// Longest person's name on an enrollment code.
pub const MAX_PERSON: usize = 200;

/// A text field, trimmed, checked the same way for both backends before anything is written or
/// looked up: at most `max` characters, no control characters (newlines and tabs allowed only
/// when `multiline`; PostgreSQL would reject NUL where SQLite stores it), not empty if
/// `required`. Refusals are 400 `invalid_text`, with what was wrong in the log only.
pub fn clean_text(
    value: &str,
    max: usize,
    multiline: bool,
    required: bool,
) -> Result<String, ApiError> {
    let v = value.trim();
    let bad = |detail: &str| ApiError::new(ErrorCode::InvalidText).with_detail(detail.to_string());
    if required && v.is_empty() {
        return Err(bad("empty"));
    }
    if v.chars().count() > max {
        return Err(bad("too long"));
    }
    if v.chars()
        .any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\t' || c == '\r')))
    {
        return Err(bad("control character"));
    }
    Ok(v.to_string())
}

/// A username as typed at login (may be empty: that is a failed login, not bad input).
pub fn username(value: &str) -> Result<String, ApiError> {
    clean_text(value, MAX_USERNAME, false, false)
}

/// An id in a path (a record's UUID as text).
pub fn id(value: &str) -> Result<String, ApiError> {
    clean_text(value, MAX_ID, false, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_checked_the_same_everywhere() {
        assert_eq!(clean_text("  Tổ 1 ", 10, false, true).unwrap(), "Tổ 1");
        assert!(clean_text("   ", 10, false, true).is_err());
        assert_eq!(clean_text("   ", 10, false, false).unwrap(), "");
        assert!(clean_text("a\u{0}b", 10, true, false).is_err());
        assert!(clean_text("a\u{1b}b", 10, false, false).is_err());
        assert!(clean_text("a\u{7f}b", 10, false, false).is_err());
        assert!(clean_text("a\u{85}b", 10, false, false).is_err());
        assert!(clean_text("a\nb", 10, false, false).is_err());
        assert_eq!(clean_text("a\nb", 10, true, false).unwrap(), "a\nb");
        // Characters, not bytes.
        assert!(clean_text("ắắắắắắắắắắ", 10, false, true).is_ok());
        assert!(clean_text("ắắắắắắắắắắắ", 10, false, true).is_err());
        let e = username("thu\u{0}").unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidText);
        assert!(id(&"a".repeat(MAX_ID + 1)).is_err());
        assert!(id("0190a000-0000-7000-8000-000000000000").is_ok());
    }
}

/// Text folded for searching names: lower case, Vietnamese tone marks and vowel marks dropped,
/// `đ` read as `d` ("Hòa Bình", "hoa binh" and "HOÀ BÌNH" fold alike).
pub fn fold(s: &str) -> String {
    const GROUPS: &[(char, &str)] = &[
        ('a', "àáảãạăằắẳẵặâầấẩẫậ"),
        ('e', "èéẻẽẹêềếểễệ"),
        ('i', "ìíỉĩị"),
        ('o', "òóỏõọôồốổỗộơờớởỡợ"),
        ('u', "ùúủũụưừứửữự"),
        ('y', "ỳýỷỹỵ"),
        ('d', "đ"),
    ];
    s.chars()
        .flat_map(char::to_lowercase)
        .map(|c| {
            GROUPS
                .iter()
                .find(|(_, marked)| marked.contains(c))
                .map_or(c, |(base, _)| *base)
        })
        .collect()
}

#[cfg(test)]
mod fold_tests {
    use super::fold;

    #[test]
    fn names_fold_without_marks() {
        assert_eq!(fold("Phường Hòa Bình"), "phuong hoa binh");
        assert_eq!(fold("HOÀ BÌNH"), "hoa binh");
        assert_eq!(fold("Xã Đồng Thái"), "xa dong thai");
        assert_eq!(fold("Thủy Nguyên 11560"), "thuy nguyen 11560");
    }
}
