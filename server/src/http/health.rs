//! `GET /healthz` (the database answers) and `GET /metrics` (Prometheus text).
//!
//! `/metrics` is not public: it answers 404 `not_found` unless a token is configured
//! (`--metrics-token`, `DANVAN_METRICS_TOKEN`), then only to `Authorization: Bearer <token>`
//! (401 `metrics_unauthorized` otherwise).

use axum::Router;
use axum::extract::State;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
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

/// `GET /healthz`: the database answered.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    /// Always `ok`.
    #[schema(example = "ok")]
    status: &'static str,
    /// The storage backend: `sqlite` or `postgres`.
    #[schema(example = "sqlite")]
    database: &'static str,
    /// Unit versions loaded.
    units: usize,
}

/// Liveness and readiness: the database answers a ping (503 `unavailable` otherwise). No
/// authentication.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, body = Health)))]
pub(crate) async fn healthz(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
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

/// Prometheus metrics (text exposition format). Not public: 404 `not_found` unless the server
/// has a `--metrics-token`, then 401 `metrics_unauthorized` without it as a bearer token.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format.",
        content_type = "text/plain; version=0.0.4; charset=utf-8", body = String)))]
pub(crate) async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = state.config.metrics_token.as_deref() else {
        return ApiError::new(ErrorCode::NotFound)
            .with_detail("/metrics: no --metrics-token configured")
            .into_response();
    };
    let sent = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if !sent.is_some_and(|s| same(s.as_bytes(), token.as_bytes())) {
        let mut resp = ApiError::new(ErrorCode::MetricsUnauthorized).into_response();
        resp.headers_mut()
            .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return resp;
    }
    (
        [(CONTENT_TYPE, crate::metrics::CONTENT_TYPE)],
        state.metrics.render(),
    )
        .into_response()
}

/// Equality whose time does not depend on where the bytes first differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    use sha2::{Digest, Sha256};
    // Hashing first makes the comparison's length fixed too.
    let (a, b) = (Sha256::digest(a), Sha256::digest(b));
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}
