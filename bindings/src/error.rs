//! The one error the apps see: [`DanvanError`], a few variants the app can act on, each with a
//! Vietnamese and an English message ([`error_message`]). Core errors are mapped here and only
//! here. No personal data or record content ever goes into error text: only codes, ids and
//! counts (core's own messages follow the same rule).

use danvan_core::CoreError;
use danvan_core::store::StoreError;
use danvan_core::sync::SyncError;

use crate::types::{Language, ValidationIssue};

/// Everything that can go wrong, as the app needs to tell it apart. Kotlin sees
/// `DanvanException.Network`, `DanvanException.InvalidInput`, … ; Swift `DanvanError.network`, …
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum DanvanError {
    /// No answer from the server (offline, timeout, server unavailable): keep working offline
    /// and try again later. `detail` is technical (for logs).
    #[error("network: {detail}")]
    Network {
        /// Technical detail.
        detail: String,
    },
    /// The server refused the request: a bad, used or expired enrollment code, a revoked or
    /// unknown device, a forbidden action. `code` is the server's stable code
    /// (`enroll_code_invalid`, `device_revoked`, …).
    #[error("rejected by the server: {code}")]
    Rejected {
        /// Stable machine-readable code.
        code: String,
    },
    /// The server no longer speaks this app's protocol: update the app.
    #[error("upgrade required")]
    UpgradeRequired,
    /// The input breaks one or more rules (validation, unknown code, bad date, a status change
    /// the lifecycle does not allow); nothing was written. Show each issue on its field.
    #[error("invalid input: {} issue(s)", issues.len())]
    InvalidInput {
        /// Every broken rule, with bilingual messages.
        issues: Vec<ValidationIssue>,
    },
    /// No such record (or conflict, or choice).
    #[error("not found: {what}")]
    NotFound {
        /// What was looked for (an id or a field path, never content).
        what: String,
    },
    /// The store is open elsewhere (another `DanvanStore` in this or another process): close
    /// the other one first.
    #[error("the store is already open")]
    StoreBusy,
    /// The store belongs to another device id, or was written by a newer app version, or is not
    /// a danvan store: it cannot be opened with this identity / this version.
    #[error("the store cannot be opened: {detail}")]
    StoreUnusable {
        /// Technical detail.
        detail: String,
    },
    /// The key given to `open_encrypted` does not open the store (or the file is not a store):
    /// nothing was changed. Another key from the keystore, or the store is lost with its key.
    #[error("the store could not be opened: wrong key")]
    WrongKey,
    /// This `DanvanStore` was closed.
    #[error("the store is closed")]
    StoreClosed,
    /// Anything else (a damaged file, a bug): report it. `detail` is technical.
    #[error("{detail}")]
    Other {
        /// Technical detail.
        detail: String,
    },
}

/// Result alias of the bindings.
pub type Result<T, E = DanvanError> = std::result::Result<T, E>;

impl DanvanError {
    /// One invalid-input issue (for inputs the bindings parse: dates, codes, JSON).
    pub(crate) fn invalid(field: &str, code: &str, vi: &str, en: &str) -> DanvanError {
        DanvanError::InvalidInput {
            issues: vec![ValidationIssue {
                field: field.to_string(),
                code: code.to_string(),
                vi: vi.to_string(),
                en: en.to_string(),
            }],
        }
    }

    /// The message for the person holding the phone.
    pub fn message(&self, lang: Language) -> String {
        let (vi, en): (String, String) = match self {
            DanvanError::Network { .. } => (
                "Không kết nối được máy chủ. Dữ liệu vẫn được lưu trên máy; hãy đồng bộ lại sau.".into(),
                "Could not reach the server. Your data is kept on the phone; sync again later.".into(),
            ),
            DanvanError::Rejected { code } if code == "device_revoked" => (
                "Thiết bị này đã bị thu hồi quyền đồng bộ. Dữ liệu trên máy vẫn còn nhưng không \
                 gửi được nữa. Hãy liên hệ cán bộ quản trị để được cấp mã đăng ký mới."
                    .into(),
                "This device was revoked: it can no longer sync (the data on the phone is kept). \
                 Ask your administrator for a new enrollment code."
                    .into(),
            ),
            DanvanError::Rejected { code } => (
                format!("Máy chủ từ chối yêu cầu ({code})."),
                format!("The server refused the request ({code})."),
            ),
            DanvanError::UpgradeRequired => (
                "Máy chủ yêu cầu phiên bản ứng dụng mới hơn: hãy cập nhật ứng dụng.".into(),
                "The server needs a newer version of the app: please update it.".into(),
            ),
            DanvanError::InvalidInput { issues } => {
                let join = |f: fn(&ValidationIssue) -> &str| {
                    issues.iter().map(f).collect::<Vec<_>>().join(" ")
                };
                (
                    format!("Dữ liệu chưa hợp lệ: {}", join(|i| &i.vi)),
                    format!("The input is not valid: {}", join(|i| &i.en)),
                )
            }
            DanvanError::NotFound { what } => (
                format!("Không tìm thấy: {what}."),
                format!("Not found: {what}."),
            ),
            DanvanError::StoreBusy => (
                "Kho dữ liệu đang được mở ở nơi khác.".into(),
                "The store is already open elsewhere.".into(),
            ),
            DanvanError::StoreUnusable { .. } => (
                "Không mở được kho dữ liệu trên máy (khác thiết bị, phiên bản mới hơn hoặc tệp không hợp lệ).".into(),
                "The store on this phone cannot be opened (another device, a newer version or not a danvan file).".into(),
            ),
            DanvanError::WrongKey => (
                "Không mở được kho dữ liệu: khóa không đúng.".into(),
                "The store could not be opened: wrong key.".into(),
            ),
            DanvanError::StoreClosed => (
                "Kho dữ liệu đã đóng.".into(),
                "The store is closed.".into(),
            ),
            DanvanError::Other { .. } => (
                "Đã xảy ra lỗi không mong muốn. Hãy báo cho quản trị viên.".into(),
                "Something unexpected went wrong. Please tell your administrator.".into(),
            ),
        };
        match lang {
            Language::Vi => vi,
            Language::En => en,
        }
    }
}

/// The message of `error` in `lang`, for the person holding the phone (Kotlin/Swift cannot call
/// methods on an error, so this is a function).
#[uniffi::export]
pub fn error_message(error: DanvanError, lang: Language) -> String {
    error.message(lang)
}

impl From<CoreError> for DanvanError {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::Invalid(issues) => DanvanError::InvalidInput {
                issues: issues.into_iter().map(ValidationIssue::from).collect(),
            },
            CoreError::Transition { from, to } => DanvanError::invalid(
                "status",
                "transition_not_allowed",
                &format!("Không thể chuyển trạng thái từ “{from}” sang “{to}”."),
                &format!("The status cannot change from “{from}” to “{to}”."),
            ),
            CoreError::UnknownCode { what, code } => DanvanError::invalid(
                what,
                "unknown_code",
                &format!("Mã “{code}” không hợp lệ cho {what}."),
                &format!("“{code}” is not a valid code for {what}."),
            ),
            CoreError::NotFound(what) => DanvanError::NotFound { what },
            CoreError::Sync(e) => DanvanError::from(*e),
            CoreError::Store(e) => DanvanError::from(e),
            CoreError::Peer(p) => peer_error(p),
            other => DanvanError::Other {
                detail: other.to_string(),
            },
        }
    }
}

impl From<SyncError> for DanvanError {
    fn from(e: SyncError) -> Self {
        match e {
            SyncError::Network(n) => DanvanError::Network { detail: n.0 },
            SyncError::UpgradeRequired(_) => DanvanError::UpgradeRequired,
            SyncError::Unauthorized { code, .. } => DanvanError::Rejected { code },
            // A server in trouble is, for the phone, like no server: try again later.
            SyncError::Server { status, code, .. } if status >= 500 => DanvanError::Network {
                detail: format!("server error {status} ({code})"),
            },
            SyncError::Server { code, .. } => DanvanError::Rejected { code },
            SyncError::Wire(w) => DanvanError::Other {
                detail: w.to_string(),
            },
        }
    }
}

impl From<StoreError> for DanvanError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::InUse => DanvanError::StoreBusy,
            StoreError::WrongKey => DanvanError::WrongKey,
            StoreError::BadKeyLength(n) => DanvanError::invalid(
                "key",
                "bad_key_length",
                &format!("Khóa của kho dữ liệu phải dài 32 byte, không phải {n}."),
                &format!("The store key must be 32 bytes long, not {n}."),
            ),
            e @ (StoreError::WrongDevice { .. }
            | StoreError::TooNew { .. }
            | StoreError::NotADanvanStore) => DanvanError::StoreUnusable {
                detail: e.to_string(),
            },
            other => DanvanError::Other {
                detail: other.to_string(),
            },
        }
    }
}

/// A phone-to-phone file or certificate refused (ADR 0014), as input the person can act on.
fn peer_error(e: danvan_core::peer::PeerError) -> DanvanError {
    use danvan_core::peer::PeerError as P;
    let (code, vi, en) = match &e {
        P::Malformed(_) | P::BadSignature(_) => (
            "bundle_damaged",
            "Tệp nhận được bị hỏng hoặc đã bị sửa trên đường truyền; hãy gửi lại.".to_string(),
            "The file received is damaged or was changed on the way; send it again.".to_string(),
        ),
        P::OtherServer => (
            "bundle_other_server",
            "Tệp đến từ điện thoại đăng ký với máy chủ khác.".to_string(),
            "The file comes from a phone enrolled with another server.".to_string(),
        ),
        P::NotMyTeam(what) => (
            "bundle_not_from_team",
            format!("Tệp đến từ điện thoại không cùng tổ hòa giải ({what})."),
            format!("The file comes from a phone outside this mediation team ({what})."),
        ),
        P::NoCertificate => (
            "no_certificate",
            "Điện thoại chưa được máy chủ xác nhận; hãy đồng bộ một lần khi có mạng.".to_string(),
            "This phone has no certificate from the server yet; sync once when online.".to_string(),
        ),
        P::NotForMe => (
            "bundle_not_for_me",
            "Tệp này được tạo cho một điện thoại khác.".to_string(),
            "This file was made for another phone.".to_string(),
        ),
    };
    DanvanError::invalid("bundle", code, &vi, &en)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_speaks_both_languages() {
        let all = [
            DanvanError::Network { detail: "x".into() },
            DanvanError::Rejected {
                code: "enroll_code_invalid".into(),
            },
            DanvanError::UpgradeRequired,
            DanvanError::invalid("a", "b", "Sai.", "Wrong."),
            DanvanError::NotFound { what: "x".into() },
            DanvanError::StoreBusy,
            DanvanError::StoreUnusable { detail: "x".into() },
            DanvanError::WrongKey,
            DanvanError::StoreClosed,
            DanvanError::Other { detail: "x".into() },
        ];
        for e in all {
            let (vi, en) = (e.message(Language::Vi), e.message(Language::En));
            assert!(!vi.is_empty() && !en.is_empty());
            assert_ne!(vi, en, "{e:?}");
        }
    }

    #[test]
    fn a_revoked_device_is_told_so_and_what_to_do() {
        let e = DanvanError::Rejected {
            code: "device_revoked".into(),
        };
        let (vi, en) = (e.message(Language::Vi), e.message(Language::En));
        assert!(
            vi.contains("đã bị thu hồi") && vi.contains("mã đăng ký mới"),
            "{vi}"
        );
        assert!(
            en.contains("was revoked") && en.contains("new enrollment code"),
            "{en}"
        );
    }

    #[test]
    fn a_wrong_key_says_so_in_both_languages() {
        let e = DanvanError::from(CoreError::Store(StoreError::WrongKey));
        assert_eq!(e, DanvanError::WrongKey);
        assert_eq!(
            e.message(Language::Vi),
            "Không mở được kho dữ liệu: khóa không đúng."
        );
        assert_eq!(
            e.message(Language::En),
            "The store could not be opened: wrong key."
        );
        let e = DanvanError::from(StoreError::BadKeyLength(16));
        let DanvanError::InvalidInput { issues } = e else {
            panic!("{e:?}")
        };
        assert_eq!(issues[0].code, "bad_key_length");
    }

    #[test]
    fn store_in_use_is_busy_and_server_errors_are_retryable() {
        assert_eq!(
            DanvanError::from(CoreError::Store(StoreError::InUse)),
            DanvanError::StoreBusy
        );
        let e = SyncError::Server {
            status: 503,
            code: "unavailable".into(),
            message: String::new(),
        };
        assert!(matches!(DanvanError::from(e), DanvanError::Network { .. }));
        let e = SyncError::Unauthorized {
            code: "device_revoked".into(),
            message: String::new(),
        };
        assert_eq!(
            DanvanError::from(e),
            DanvanError::Rejected {
                code: "device_revoked".into()
            }
        );
    }
}
