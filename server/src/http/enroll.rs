//! `POST /v1/enroll`: a phone exchanges a one-time enrollment code for a device secret.
//!
//! Guessing codes is limited ([`EnrollLimiter`]: per client address and in total, 429
//! `enroll_rate_limited` with `Retry-After`); the device label is checked at the edge like every
//! text that reaches SQL (400 `invalid_text`).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, State};
use axum::http::HeaderValue;
use axum::http::header::RETRY_AFTER;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Extension, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::enrollment::{EnrollLimiter, generate_secret, hash_code, hash_secret, normalize_code};
use crate::error::{ApiError, ErrorCode};
use crate::json::Json;
use crate::metrics::Enrollment;
use crate::roles::Role;
use crate::state::AppState;
use crate::storage::{NewDevice, Redeem};

/// Routes of this module (each router has its own [`EnrollLimiter`]).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/v1/enroll", post(enroll))
        .layer(Extension(Arc::new(EnrollLimiter::default())))
}

/// Request body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct EnrollRequest {
    /// The code as typed or scanned (spaces, dashes and letter case are ignored).
    #[schema(example = "K7QF-3MZD-9XWA")]
    pub code: String,
    /// Optional label for the device (model, nickname), at most 100 characters, no control
    /// characters.
    pub device_label: Option<String>,
}

/// Response body. `device_secret` is shown once: the server keeps only its hash.
#[derive(Debug, Serialize, ToSchema)]
pub struct EnrollResponse {
    /// New device id.
    #[schema(value_type = String, format = "uuid")]
    pub device_id: Uuid,
    /// The secret for `Authorization: Bearer <device_id>.<device_secret>`.
    pub device_secret: String,
    /// Person the code was made for.
    pub person: String,
    /// Role.
    pub role: Role,
    /// Unit code.
    pub unit: String,
}

/// A phone exchanges a one-time enrollment code for its device id and secret (shown once).
#[utoipa::path(post, path = "/v1/enroll", tag = "device", request_body = EnrollRequest,
    responses((status = 200, body = EnrollResponse)))]
pub(crate) async fn enroll(
    State(state): State<AppState>,
    Extension(limiter): Extension<Arc<EnrollLimiter>>,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    Json(req): Json<EnrollRequest>,
) -> Response {
    let ip = connect.map(|Extension(ConnectInfo(a))| a.ip());
    if let Err(wait) = limiter.attempt(ip) {
        state.metrics.enrollment(Enrollment::Refused);
        let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let mut resp = ApiError::new(ErrorCode::EnrollRateLimited)
            .with_detail(format!("retry after {secs} s"))
            .into_response();
        resp.headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(secs.max(1)));
        return resp;
    }
    let result = redeem(&state, req).await;
    state.metrics.enrollment(if result.is_ok() {
        limiter.enrolled(ip);
        Enrollment::Enrolled
    } else {
        Enrollment::Refused
    });
    result.into_response()
}

async fn redeem(state: &AppState, req: EnrollRequest) -> Result<Json<EnrollResponse>, ApiError> {
    let label = match req.device_label.as_deref() {
        Some(l) => Some(crate::text::clean_text(
            l,
            crate::text::MAX_DEVICE_LABEL,
            false,
            false,
        )?)
        .filter(|l| !l.is_empty()),
        None => None,
    };
    let code = normalize_code(&req.code).ok_or(ErrorCode::EnrollCodeInvalid)?;
    let secret = generate_secret();
    let now = chrono::Utc::now();
    let device = NewDevice {
        id: Uuid::now_v7(),
        label,
        secret_hash: hash_secret(&secret),
        created_at: now,
    };
    let outcome = state
        .storage
        .redeem_enrollment(&hash_code(&code), now, &device)
        .await?;
    match outcome {
        Redeem::Enrolled(d) => Ok(Json(EnrollResponse {
            device_id: d.id,
            device_secret: secret,
            person: d.person_name,
            role: d.role,
            unit: d.unit,
        })),
        Redeem::Invalid => Err(ErrorCode::EnrollCodeInvalid.into()),
        Redeem::Used => Err(ErrorCode::EnrollCodeUsed.into()),
        Redeem::Expired => Err(ErrorCode::EnrollCodeExpired.into()),
    }
}
