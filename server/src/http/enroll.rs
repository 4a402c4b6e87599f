//! `POST /v1/enroll`: a phone exchanges a one-time enrollment code for a device secret.

use axum::Router;
use axum::extract::State;
use axum::routing::post;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::enrollment::{generate_secret, hash_code, hash_secret, normalize_code};
use crate::error::{ApiError, ErrorCode};
use crate::json::Json;
use crate::metrics::Enrollment;
use crate::roles::Role;
use crate::state::AppState;
use crate::storage::{NewDevice, Redeem};

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/v1/enroll", post(enroll))
}

/// Request body.
#[derive(Debug, Deserialize)]
pub struct EnrollRequest {
    /// The code as typed or scanned.
    pub code: String,
    /// Optional label for the device (model, nickname).
    pub device_label: Option<String>,
}

/// Response body. `device_secret` is shown once: the server keeps only its hash.
#[derive(Debug, Serialize)]
pub struct EnrollResponse {
    /// New device id.
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

async fn enroll(
    State(state): State<AppState>,
    Json(req): Json<EnrollRequest>,
) -> Result<Json<EnrollResponse>, ApiError> {
    let code = normalize_code(&req.code).ok_or(ErrorCode::EnrollCodeInvalid)?;
    let label = req
        .device_label
        .map(|l| l.trim().chars().take(100).collect::<String>())
        .filter(|l| !l.is_empty());
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
    let result = match outcome {
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
    };
    state.metrics.enrollment(if result.is_ok() {
        Enrollment::Enrolled
    } else {
        Enrollment::Refused
    });
    result
}
