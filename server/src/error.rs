//! Errors: [`Error`] for the crate's operations and [`ApiError`], the one HTTP error type.
//!
//! `ApiError` maps to a status code, a stable machine-readable code and a message in Vietnamese
//! (`message`) and English (`message_en`), all read from one table (the rows of
//! `error_codes!` below: a new code is one line there, and appears in the OpenAPI schema of
//! [`ErrorBody`], the body every error response carries). Internal details (database text, I/O
//! errors) never reach the client: the response carries only `internal`, and the logging
//! middleware logs the detail once, server-side.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// Result alias for the crate's operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong in the server's operations (storage, import, CLI).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A database query failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Running the embedded migrations failed.
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Reading or writing a file failed.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// The input given by an operator or a client is not acceptable.
    #[error("invalid input: {0}")]
    Invalid(String),
    /// The thing being created exists already (e.g. a username).
    #[error("already exists: {0}")]
    Conflict(String),
    /// The thing asked for does not exist (e.g. a unit on a date).
    #[error("not found: {0}")]
    NotFound(String),
    /// A value read back from the database does not parse (schema drift or manual edits).
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
    /// A unit CSV was rejected; nothing was imported.
    #[error("{0}")]
    UnitImport(#[from] crate::units::ImportError),
    /// A request refused for a reason with its own HTTP error code (e.g. a lock of a period
    /// that has not started), with a detail for the log.
    #[error("{1}")]
    Refused(ErrorCode, String),
}

/// Declares [`ErrorCode`] from one table: one row per code, `Variant = (code, HTTP status,
/// Vietnamese message, English message)`. The enum, its lookups and its OpenAPI schema (an
/// enum of the codes) all come from the rows.
macro_rules! error_codes {
    (
        $( $(#[$doc:meta])* $var:ident = ($code:tt, $status:ident, $vi:tt, $en:tt), )+
    ) => {
        /// The stable error codes of the HTTP API. Clients switch on these, never on messages.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
        pub enum ErrorCode {
            $(
                #[doc = concat!("`", $code, "` (", stringify!($status), "): ", $en)]
                $(#[$doc])*
                #[serde(rename = $code)]
                $var,
            )+
        }

        impl ErrorCode {
            /// Every code, in table order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$var),+];

            fn row(self) -> Row {
                match self {
                    $( ErrorCode::$var => Row {
                        code: $code,
                        status: StatusCode::$status,
                        vi: $vi,
                        en: $en,
                    }, )+
                }
            }
        }
    };
}

/// One row of the error table.
struct Row {
    code: &'static str,
    status: StatusCode,
    vi: &'static str,
    en: &'static str,
}

error_codes! {
    // Variant = (code, HTTP status, Vietnamese message, English message): one line per code.
    // The variant's doc is generated from its row; a `///` line above a row adds to it.
    /// The request body is not valid JSON or does not have the expected shape.
    BadRequest = ("bad_request", BAD_REQUEST, "Yêu cầu không hợp lệ.", "The request is not valid."),
    BodyTooLarge = ("body_too_large", PAYLOAD_TOO_LARGE, "Dữ liệu gửi lên vượt quá dung lượng cho phép.", "The request body is too large."),
    NotFound = ("not_found", NOT_FOUND, "Không tìm thấy địa chỉ yêu cầu.", "Not found."),
    MethodNotAllowed = ("method_not_allowed", METHOD_NOT_ALLOWED, "Phương thức không được hỗ trợ cho địa chỉ này.", "Method not allowed for this path."),
    /// The `Authorization` header is missing or not `Bearer <device_id>.<secret>`.
    AuthMalformed = ("auth_malformed", UNAUTHORIZED, "Thiếu hoặc sai định dạng thông tin xác thực thiết bị.", "Missing or malformed device credentials."),
    DeviceUnknown = ("device_unknown", UNAUTHORIZED, "Thiết bị chưa được đăng ký hoặc khóa bí mật không đúng.", "Unknown device or wrong secret."),
    DeviceRevoked = ("device_revoked", FORBIDDEN, "Thiết bị đã bị thu hồi quyền truy cập. Vui lòng liên hệ quản trị viên.", "This device has been revoked. Please contact your administrator."),
    EnrollCodeInvalid = ("enroll_code_invalid", BAD_REQUEST, "Mã đăng ký không đúng.", "The enrollment code is not valid."),
    EnrollCodeUsed = ("enroll_code_used", CONFLICT, "Mã đăng ký đã được sử dụng.", "The enrollment code has already been used."),
    EnrollCodeExpired = ("enroll_code_expired", GONE, "Mã đăng ký đã hết hạn.", "The enrollment code has expired."),
    Forbidden = ("forbidden", FORBIDDEN, "Thiết bị không có quyền thực hiện thao tác này.", "This device may not do this."),
    /// The body is not a danvan sync frame, or does not decode.
    BadFrame = ("bad_frame", BAD_REQUEST, "Dữ liệu đồng bộ bị hỏng hoặc không đúng định dạng.", "The sync data is corrupt or not a danvan sync frame."),
    UpgradeRequired = ("upgrade_required", UPGRADE_REQUIRED, "Phiên bản ứng dụng đã cũ. Vui lòng cập nhật ứng dụng để đồng bộ.", "This app version is too old to sync. Please update the app."),
    /// The sync request's content type is not `application/x-danvan-sync`.
    UnsupportedMediaType = ("unsupported_media_type", UNSUPPORTED_MEDIA_TYPE, "Kiểu dữ liệu gửi lên không được hỗ trợ.", "Unsupported content type."),
    /// The request took longer than the server allows (`--request-timeout`, `--sync-timeout`).
    Timeout = ("timeout", REQUEST_TIMEOUT, "Yêu cầu mất quá nhiều thời gian và đã bị dừng. Vui lòng thử lại.", "The request took too long and was stopped. Please try again."),
    Unavailable = ("unavailable", SERVICE_UNAVAILABLE, "Máy chủ tạm thời không sẵn sàng.", "The server is temporarily unavailable."),
    /// Something failed inside the server; details are in the server log only.
    Internal = ("internal", INTERNAL_SERVER_ERROR, "Lỗi máy chủ nội bộ.", "Internal server error."),
    Unauthenticated = ("unauthenticated", UNAUTHORIZED, "Phiên đăng nhập không hợp lệ hoặc đã hết hạn. Vui lòng đăng nhập lại.", "Not logged in, or the session expired. Please log in again."),
    LoginFailed = ("login_failed", UNAUTHORIZED, "Tên đăng nhập hoặc mật khẩu không đúng.", "Wrong username or password."),
    TooManyAttempts = ("too_many_attempts", TOO_MANY_REQUESTS, "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau.", "Too many failed attempts. Please try again later."),
    CsrfFailed = ("csrf_failed", FORBIDDEN, "Yêu cầu không hợp lệ (mã chống giả mạo sai hoặc thiếu). Vui lòng tải lại trang.", "Invalid request (missing or wrong anti-forgery token). Please reload the page."),
    OutOfScope = ("out_of_scope", FORBIDDEN, "Đơn vị này nằm ngoài phạm vi quản lý của bạn.", "This unit is outside your scope."),
    BadPeriod = ("bad_period", BAD_REQUEST, "Kỳ báo cáo không hợp lệ (ví dụ: 2026-07, 2026-Q3, 2026-H1, 2026-YP, 2026).", "Invalid reporting period (e.g. 2026-07, 2026-Q3, 2026-H1, 2026-YP, 2026)."),
    RecordsForbidden = ("records_forbidden", FORBIDDEN, "Chỉ cán bộ cấp xã được xem hồ sơ có thông tin cá nhân.", "Only commune officers may see individual records."),
    LockForbidden = ("lock_forbidden", FORBIDDEN, "Chỉ cán bộ cấp xã được khóa kỳ báo cáo của xã.", "Only a commune officer may lock a commune's period."),
    /// Attachments are personal data: never shown above the commune (ADR 0014).
    AttachmentsForbidden = ("attachments_forbidden", FORBIDDEN, "Tệp đính kèm có thông tin cá nhân, chỉ cán bộ cấp xã trở xuống được xem.", "Attachments hold personal data: only the commune and below may see them."),
    /// The attachment's name is not a SHA-256 in lowercase hex.
    BadHash = ("bad_hash", BAD_REQUEST, "Mã băm của tệp không hợp lệ.", "The file's hash is not a SHA-256 in lowercase hex."),
    /// A piece of an upload does not start where the server's copy ends (`Upload-Offset` says where).
    OffsetMismatch = ("offset_mismatch", CONFLICT, "Phần tệp gửi lên không khớp vị trí máy chủ đang có; gửi tiếp từ vị trí máy chủ báo.", "The piece does not start where the server's copy ends; resume from the server's offset."),
    /// Another upload of the same file is in progress.
    UploadInProgress = ("upload_in_progress", CONFLICT, "Tệp này đang được gửi lên từ một kết nối khác.", "This file is being uploaded on another connection."),
    /// The uploaded bytes do not hash to the file's name; they were discarded.
    HashMismatch = ("hash_mismatch", UNPROCESSABLE_ENTITY, "Nội dung tệp gửi lên không khớp mã băm; tệp đã bị loại bỏ, hãy gửi lại.", "The uploaded bytes do not match the file's hash; they were discarded, send it again."),
    /// The device registered another public key before; it cannot change it.
    KeyMismatch = ("key_mismatch", CONFLICT, "Thiết bị đã đăng ký một khóa khác; không thể thay khóa.", "This device registered another key; it cannot be changed."),
    NotLocked = ("not_locked", NOT_FOUND, "Đơn vị chưa khóa (chưa gửi) kỳ báo cáo này.", "This unit has not locked (submitted) this period."),
    /// A text field of the registry is empty, too long or holds control characters.
    InvalidText = ("invalid_text", BAD_REQUEST, "Nội dung nhập không hợp lệ (để trống, quá dài hoặc có ký tự điều khiển).", "A text field is empty, too long or contains control characters."),
    BadDates = ("bad_dates", BAD_REQUEST, "Ngày không hợp lệ (ngày kết thúc trước ngày bắt đầu, hoặc ngoài thời gian hoạt động của tổ).", "Invalid dates (an end before its start, or outside the team's lifetime)."),
    NotAVillage = ("not_a_village", BAD_REQUEST, "Mã đơn vị không phải thôn, tổ dân phố đang có hiệu lực vào ngày đó.", "The unit code is not a village or residential group in force on that day."),
    TeamNotInForce = ("team_not_in_force", CONFLICT, "Tổ hòa giải chưa thành lập hoặc đã giải thể vào ngày đó.", "The mediation team is not in force on that day."),
    TeamHasMediators = ("team_has_mediators", CONFLICT, "Tổ hòa giải còn hòa giải viên: hãy kết thúc hoặc chuyển họ trước khi giải thể.", "The team still has mediators: end or move them before dissolving it."),
    TeamHasLeader = ("team_has_leader", CONFLICT, "Tổ hòa giải đã có tổ trưởng.", "The team already has a leader."),
    NoOpenMembership = ("no_open_membership", CONFLICT, "Hòa giải viên không còn thuộc tổ nào từ ngày đó (đã thôi hoặc đã thay đổi).", "The mediator has no current team membership on that day (left, or changed meanwhile)."),
    RegistryForbidden = ("registry_forbidden", FORBIDDEN, "Chỉ cán bộ cấp xã được xem và sửa danh sách tổ hòa giải, hòa giải viên.", "Only commune officers may see and edit the teams and mediators."),
    /// `POST /v1/enroll` from one address (or from all) failed too often; `Retry-After` says when to try again.
    EnrollRateLimited = ("enroll_rate_limited", TOO_MANY_REQUESTS, "Nhập sai mã đăng ký quá nhiều lần. Vui lòng thử lại sau.", "Too many enrollment attempts. Please try again later."),
    /// `GET /metrics` without the configured `--metrics-token` as `Authorization: Bearer <token>`.
    MetricsUnauthorized = ("metrics_unauthorized", UNAUTHORIZED, "Thiếu hoặc sai mã truy cập số liệu giám sát.", "Missing or wrong metrics token."),
    PeriodNotStarted = ("period_not_started", CONFLICT, "Kỳ báo cáo chưa bắt đầu nên chưa thể khóa.", "The period has not started yet, so it cannot be locked."),
    /// The commune was not in force under this code in the period (a reused code named another commune then, or none).
    LockUnitNotInForce = ("lock_unit_not_in_force", CONFLICT, "Xã (phường) chưa được thành lập trong kỳ này: mã này khi đó là của đơn vị khác hoặc chưa có. Không thể khóa kỳ.", "The commune did not exist in this period (its code named another unit then, or none); it cannot lock it."),
    /// Only commune officers keep their commune's "Dân vận khéo" models, city officers the city's and legacy districts'.
    RecordInvalid = ("record_invalid", BAD_REQUEST, "Hồ sơ chưa hợp lệ: xem các lỗi được liệt kê.", "The record is not valid: see the issues listed."),
    RecordWriteForbidden = ("record_write_forbidden", FORBIDDEN, "Chỉ cán bộ cấp xã được nhập, xử lý đơn thư của xã trên trang quản lý.", "Only a commune officer may enter and handle the commune's petitions on the dashboard."),
    DvkForbidden = ("dvk_forbidden", FORBIDDEN, "Chỉ cán bộ cấp xã (mô hình của xã) hoặc cán bộ cấp thành phố (mô hình của thành phố, huyện cũ) được cập nhật mô hình \"Dân vận khéo\".", "Only commune officers (their commune's models) or city officers (the city's and former districts' models) may change \"Dân vận khéo\" models."),
    NotADvkUnit = ("not_a_dvk_unit", BAD_REQUEST, "Mã đơn vị không phải xã, phường, đặc khu, huyện (cũ) hoặc thành phố có hiệu lực vào ngày đó.", "The unit code is not a commune, former district or city in force on that day."),
    DvkBadDates = ("dvk_bad_dates", BAD_REQUEST, "Ngày không hợp lệ: ngày công nhận, khen thưởng, kết thúc không được trước ngày bắt đầu; ngày kết thúc không được trước ngày công nhận; ngày phải từ năm 2000 đến một năm sau hôm nay.", "Invalid dates: recognition, commendation and end may not precede the start, nor the end the recognition; dates must lie between 2000 and a year from today."),
    DvkRecognitionIncomplete = ("dvk_recognition_incomplete", BAD_REQUEST, "Thông tin công nhận chưa đầy đủ: cần cả cấp công nhận và ngày công nhận (hoặc để trống cả hai).", "Recognition is incomplete: give both the recognising level and the day (or neither)."),
    DvkCommendationIncomplete = ("dvk_commendation_incomplete", BAD_REQUEST, "Thông tin khen thưởng không đầy đủ: khi có khen thưởng cần cơ quan khen thưởng, hình thức và ngày; khi không có thì để trống.", "Commendation is incomplete: when commended, give the commending body, the form and the day; otherwise leave them empty."),
    DvkEnded = ("dvk_ended", CONFLICT, "Mô hình đã dừng (kết thúc) trước đó.", "The model has ended already."),
}

impl ErrorCode {
    /// The code as sent to clients.
    pub fn as_str(self) -> &'static str {
        self.row().code
    }

    /// The HTTP status for this code.
    pub fn status(self) -> StatusCode {
        self.row().status
    }

    /// Default (Vietnamese, English) messages.
    pub fn messages(self) -> (&'static str, &'static str) {
        let row = self.row();
        (row.vi, row.en)
    }
}

/// The HTTP API's error: a stable code with bilingual messages, plus (for internal errors) a
/// detail that is logged and never sent.
#[derive(Debug)]
pub struct ApiError {
    /// Stable code.
    pub code: ErrorCode,
    /// Server-side detail for the log (never sent to the client).
    detail: Option<String>,
}

/// What the logging middleware finds in a response's extensions when the handler failed.
#[derive(Debug, Clone)]
pub struct LoggedError {
    /// Stable code.
    pub code: &'static str,
    /// Server-side detail, if any.
    pub detail: Option<String>,
}

/// The JSON body of every failed request:
/// `{"error":{"code":"…","message":"<Vietnamese>","message_en":"<English>"}}`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorInfo,
}

/// Code and messages of an error.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorInfo {
    /// Stable machine-readable code.
    pub code: ErrorCode,
    /// Message in Vietnamese.
    pub message: &'static str,
    /// Message in English.
    pub message_en: &'static str,
}

impl ErrorBody {
    /// The body for a code, with its default messages.
    pub fn of(code: ErrorCode) -> Self {
        let (message, message_en) = code.messages();
        ErrorBody {
            error: ErrorInfo {
                code,
                message,
                message_en,
            },
        }
    }
}

impl ApiError {
    /// An error with just a code.
    pub fn new(code: ErrorCode) -> Self {
        ApiError { code, detail: None }
    }

    /// An internal error whose detail goes to the log only.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        ApiError {
            code: ErrorCode::Internal,
            detail: Some(detail.to_string()),
        }
    }

    /// The server-side detail, if any (for responses built by hand, e.g. HTML error pages,
    /// which must log it too).
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }

    /// Attach a server-side detail (logged, never sent).
    pub fn with_detail(mut self, detail: impl std::fmt::Display) -> Self {
        self.detail = Some(detail.to_string());
        self
    }

    /// The JSON body for a code, as bytes (used by the middleware that rewrites plain-text
    /// errors produced outside handlers).
    pub fn body_json(code: ErrorCode) -> String {
        serde_json::to_string(&ErrorBody::of(code)).unwrap_or_else(|_| String::from("{}"))
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code.as_str())
    }
}

impl From<ErrorCode> for ApiError {
    fn from(code: ErrorCode) -> Self {
        ApiError::new(code)
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        match e {
            Error::Invalid(_) => ApiError::new(ErrorCode::BadRequest).with_detail(e),
            Error::NotFound(_) => ApiError::new(ErrorCode::NotFound).with_detail(e),
            Error::Refused(code, detail) => ApiError::new(code).with_detail(detail),
            other => ApiError::internal(other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = (self.code.status(), Json(ErrorBody::of(self.code))).into_response();
        resp.extensions_mut().insert(LoggedError {
            code: self.code.as_str(),
            detail: self.detail,
        });
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_detail_is_not_sent() {
        let resp = ApiError::internal("relation \"units\" does not exist").into_response();
        assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let logged = resp.extensions().get::<LoggedError>().cloned();
        assert!(
            logged
                .and_then(|l| l.detail)
                .is_some_and(|d| d.contains("relation"))
        );
        let body = ApiError::body_json(ErrorCode::Internal);
        assert!(!body.contains("relation"));
        assert!(body.contains("\"code\":\"internal\""));
    }

    #[test]
    fn error_table_is_consistent() {
        let mut seen = std::collections::HashSet::new();
        for &code in ErrorCode::ALL {
            let s = code.as_str();
            assert!(seen.insert(s), "{s} twice");
            assert!(
                s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{s}"
            );
            assert!(code.status().is_client_error() || code.status().is_server_error());
            let (vi, en) = code.messages();
            assert!(!vi.is_empty() && !en.is_empty(), "{s}");
            // The wire code is the serde name (the OpenAPI enum).
            assert_eq!(
                serde_json::to_value(code).unwrap(),
                serde_json::Value::from(s)
            );
        }
        assert_eq!(
            ApiError::body_json(ErrorCode::BadPeriod),
            format!(
                r#"{{"error":{{"code":"bad_period","message":"{}","message_en":"{}"}}}}"#,
                ErrorCode::BadPeriod.messages().0,
                ErrorCode::BadPeriod.messages().1
            )
        );
    }
}
