//! Errors: [`Error`] for the crate's operations and [`ApiError`], the one HTTP error type.
//!
//! `ApiError` maps to a status code, a stable machine-readable code and a message in Vietnamese
//! (`message`) and English (`message_en`). Internal details (database text, I/O errors) never
//! reach the client: the response carries only `internal`, and the logging middleware logs the
//! detail once, server-side.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

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
}

/// The stable error codes of the HTTP API. Clients switch on these, never on messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// The request body is not valid JSON or does not have the expected shape.
    BadRequest,
    /// The request body is larger than the configured limit.
    BodyTooLarge,
    /// No route matches the path.
    NotFound,
    /// The route exists but not for this method.
    MethodNotAllowed,
    /// The `Authorization` header is missing or not `Bearer <device_id>.<secret>`.
    AuthMalformed,
    /// No device has this id and secret.
    DeviceUnknown,
    /// The device was revoked by an administrator.
    DeviceRevoked,
    /// The enrollment code does not exist.
    EnrollCodeInvalid,
    /// The enrollment code was used already.
    EnrollCodeUsed,
    /// The enrollment code expired.
    EnrollCodeExpired,
    /// The device may not do this.
    Forbidden,
    /// The body is not a danvan sync frame, or does not decode.
    BadFrame,
    /// The sync frame's protocol version is not spoken any more: update the app.
    UpgradeRequired,
    /// The sync request's content type is not `application/x-danvan-sync`.
    UnsupportedMediaType,
    /// The server is not ready (e.g. the database does not answer).
    Unavailable,
    /// Something failed inside the server; details are in the server log only.
    Internal,
    /// No valid dashboard session (missing, expired, idle or logged out).
    Unauthenticated,
    /// Wrong username or password (never says which).
    LoginFailed,
    /// Too many failed logins for this username from this address: wait.
    TooManyAttempts,
    /// The CSRF token is missing or wrong, or the request comes from another origin.
    CsrfFailed,
    /// The unit asked for is outside the officer's subtree.
    OutOfScope,
    /// The period key does not parse (`2026-07`, `2026-Q3`, `2026-H1`, `2026-YP`, `2026`).
    BadPeriod,
    /// Individual records (personal fields) are for commune officers only.
    RecordsForbidden,
    /// Only a commune officer locks a period, for a commune.
    LockForbidden,
}

impl ErrorCode {
    /// The code as sent to clients.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::BodyTooLarge => "body_too_large",
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::AuthMalformed => "auth_malformed",
            ErrorCode::DeviceUnknown => "device_unknown",
            ErrorCode::DeviceRevoked => "device_revoked",
            ErrorCode::EnrollCodeInvalid => "enroll_code_invalid",
            ErrorCode::EnrollCodeUsed => "enroll_code_used",
            ErrorCode::EnrollCodeExpired => "enroll_code_expired",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::BadFrame => "bad_frame",
            ErrorCode::UpgradeRequired => "upgrade_required",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Internal => "internal",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::LoginFailed => "login_failed",
            ErrorCode::TooManyAttempts => "too_many_attempts",
            ErrorCode::CsrfFailed => "csrf_failed",
            ErrorCode::OutOfScope => "out_of_scope",
            ErrorCode::BadPeriod => "bad_period",
            ErrorCode::RecordsForbidden => "records_forbidden",
            ErrorCode::LockForbidden => "lock_forbidden",
        }
    }

    /// The HTTP status for this code.
    pub fn status(self) -> StatusCode {
        match self {
            ErrorCode::BadRequest => StatusCode::BAD_REQUEST,
            ErrorCode::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::NotFound => StatusCode::NOT_FOUND,
            ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ErrorCode::AuthMalformed | ErrorCode::DeviceUnknown => StatusCode::UNAUTHORIZED,
            ErrorCode::DeviceRevoked | ErrorCode::Forbidden => StatusCode::FORBIDDEN,
            ErrorCode::EnrollCodeInvalid | ErrorCode::BadFrame => StatusCode::BAD_REQUEST,
            ErrorCode::UpgradeRequired => StatusCode::UPGRADE_REQUIRED,
            ErrorCode::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::EnrollCodeUsed => StatusCode::CONFLICT,
            ErrorCode::EnrollCodeExpired => StatusCode::GONE,
            ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Unauthenticated | ErrorCode::LoginFailed => StatusCode::UNAUTHORIZED,
            ErrorCode::TooManyAttempts => StatusCode::TOO_MANY_REQUESTS,
            ErrorCode::CsrfFailed
            | ErrorCode::OutOfScope
            | ErrorCode::RecordsForbidden
            | ErrorCode::LockForbidden => StatusCode::FORBIDDEN,
            ErrorCode::BadPeriod => StatusCode::BAD_REQUEST,
        }
    }

    /// Default (Vietnamese, English) messages.
    pub fn messages(self) -> (&'static str, &'static str) {
        match self {
            ErrorCode::BadRequest => ("Yêu cầu không hợp lệ.", "The request is not valid."),
            ErrorCode::BodyTooLarge => (
                "Dữ liệu gửi lên vượt quá dung lượng cho phép.",
                "The request body is too large.",
            ),
            ErrorCode::NotFound => ("Không tìm thấy địa chỉ yêu cầu.", "Not found."),
            ErrorCode::MethodNotAllowed => (
                "Phương thức không được hỗ trợ cho địa chỉ này.",
                "Method not allowed for this path.",
            ),
            ErrorCode::AuthMalformed => (
                "Thiếu hoặc sai định dạng thông tin xác thực thiết bị.",
                "Missing or malformed device credentials.",
            ),
            ErrorCode::DeviceUnknown => (
                "Thiết bị chưa được đăng ký hoặc khóa bí mật không đúng.",
                "Unknown device or wrong secret.",
            ),
            ErrorCode::DeviceRevoked => (
                "Thiết bị đã bị thu hồi quyền truy cập. Vui lòng liên hệ quản trị viên.",
                "This device has been revoked. Please contact your administrator.",
            ),
            ErrorCode::EnrollCodeInvalid => (
                "Mã đăng ký không đúng.",
                "The enrollment code is not valid.",
            ),
            ErrorCode::EnrollCodeUsed => (
                "Mã đăng ký đã được sử dụng.",
                "The enrollment code has already been used.",
            ),
            ErrorCode::EnrollCodeExpired => {
                ("Mã đăng ký đã hết hạn.", "The enrollment code has expired.")
            }
            ErrorCode::Forbidden => (
                "Thiết bị không có quyền thực hiện thao tác này.",
                "This device may not do this.",
            ),
            ErrorCode::BadFrame => (
                "Dữ liệu đồng bộ bị hỏng hoặc không đúng định dạng.",
                "The sync data is corrupt or not a danvan sync frame.",
            ),
            ErrorCode::UpgradeRequired => (
                "Phiên bản ứng dụng đã cũ. Vui lòng cập nhật ứng dụng để đồng bộ.",
                "This app version is too old to sync. Please update the app.",
            ),
            ErrorCode::UnsupportedMediaType => (
                "Kiểu dữ liệu gửi lên không được hỗ trợ.",
                "Unsupported content type.",
            ),
            ErrorCode::Unavailable => (
                "Máy chủ tạm thời không sẵn sàng.",
                "The server is temporarily unavailable.",
            ),
            ErrorCode::Internal => ("Lỗi máy chủ nội bộ.", "Internal server error."),
            ErrorCode::Unauthenticated => (
                "Phiên đăng nhập không hợp lệ hoặc đã hết hạn. Vui lòng đăng nhập lại.",
                "Not logged in, or the session expired. Please log in again.",
            ),
            ErrorCode::LoginFailed => (
                "Tên đăng nhập hoặc mật khẩu không đúng.",
                "Wrong username or password.",
            ),
            ErrorCode::TooManyAttempts => (
                "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau.",
                "Too many failed attempts. Please try again later.",
            ),
            ErrorCode::CsrfFailed => (
                "Yêu cầu không hợp lệ (mã chống giả mạo sai hoặc thiếu). Vui lòng tải lại trang.",
                "Invalid request (missing or wrong anti-forgery token). Please reload the page.",
            ),
            ErrorCode::OutOfScope => (
                "Đơn vị này nằm ngoài phạm vi quản lý của bạn.",
                "This unit is outside your scope.",
            ),
            ErrorCode::BadPeriod => (
                "Kỳ báo cáo không hợp lệ (ví dụ: 2026-07, 2026-Q3, 2026-H1, 2026-YP, 2026).",
                "Invalid reporting period (e.g. 2026-07, 2026-Q3, 2026-H1, 2026-YP, 2026).",
            ),
            ErrorCode::RecordsForbidden => (
                "Chỉ cán bộ cấp xã được xem hồ sơ có thông tin cá nhân.",
                "Only commune officers may see individual records.",
            ),
            ErrorCode::LockForbidden => (
                "Chỉ cán bộ cấp xã được khóa kỳ báo cáo của xã.",
                "Only a commune officer may lock a commune's period.",
            ),
        }
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

#[derive(Serialize)]
struct Body<'a> {
    error: BodyInner<'a>,
}

#[derive(Serialize)]
struct BodyInner<'a> {
    code: &'a str,
    message: &'a str,
    message_en: &'a str,
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

    /// Attach a server-side detail (logged, never sent).
    pub fn with_detail(mut self, detail: impl std::fmt::Display) -> Self {
        self.detail = Some(detail.to_string());
        self
    }

    /// The JSON body for a code, as bytes (used by the middleware that rewrites plain-text
    /// errors produced outside handlers).
    pub fn body_json(code: ErrorCode) -> String {
        let (vi, en) = code.messages();
        let body = Body {
            error: BodyInner {
                code: code.as_str(),
                message: vi,
                message_en: en,
            },
        };
        serde_json::to_string(&body).unwrap_or_else(|_| String::from("{}"))
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
            other => ApiError::internal(other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (vi, en) = self.code.messages();
        let body = Body {
            error: BodyInner {
                code: self.code.as_str(),
                message: vi,
                message_en: en,
            },
        };
        let mut resp = (self.code.status(), Json(body)).into_response();
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
}
