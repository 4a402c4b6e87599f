//! `GET /healthz` (the database answers) and `GET /metrics` (Prometheus text).

use axum::Router;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::get;
use serde::Serialize;

use crate::error::{ApiError, ErrorCode};
use crate::json::Json;
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
}

#[derive(Serialize)]
struct Health {
    status: &'static str,
    database: &'static str,
    units: usize,
}

async fn healthz(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    state
        .storage
        .ping()
        .await
        .map_err(|e| ApiError::new(ErrorCode::Unavailable).with_detail(e))?;
    Ok(Json(Health {
        status: "ok",
        database: state.storage.backend(),
        units: state.units.tree().len(),
    }))
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(CONTENT_TYPE, crate::metrics::CONTENT_TYPE)],
        state.metrics.render(),
    )
}
