//! `GET /v1/device`: who the authenticated device is and what it may do today.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use danvan_core::RecordKind;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::auth::AuthDevice;
use crate::error::{ApiError, ErrorCode};
use crate::json::Json;
use crate::roles::{Role, scope};
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/v1/device", get(me))
}

/// Response body.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeviceInfo {
    /// Device id.
    #[schema(value_type = String, format = "uuid")]
    pub device_id: Uuid,
    /// Person using it.
    pub person: String,
    /// Role.
    pub role: Role,
    /// Unit code.
    pub unit: String,
    /// Units in scope today.
    pub units: Vec<String>,
    /// Kinds it may write.
    #[schema(schema_with = crate::http::openapi::record_kinds)]
    pub can_write: Vec<RecordKind>,
}

/// Who the authenticated device is and what it may do today.
#[utoipa::path(get, path = "/v1/device", tag = "device",
    responses((status = 200, body = DeviceInfo)))]
pub(crate) async fn me(
    State(state): State<AppState>,
    AuthDevice(device): AuthDevice,
) -> Result<Json<DeviceInfo>, ApiError> {
    let today = chrono::Utc::now().date_naive();
    let scope = scope(device.role, &device.unit, &state.units.tree(), today)
        .map_err(|e| ApiError::new(ErrorCode::Forbidden).with_detail(e))?;
    Ok(Json(DeviceInfo {
        device_id: device.id,
        person: device.person_name,
        role: device.role,
        unit: device.unit,
        units: scope.units.into_iter().collect(),
        can_write: scope.can_write_kinds,
    }))
}
