//! The HTTP API: [`app`] builds the router (the devices' API here, one module per resource,
//! each with its own `router()`; the officers' side from [`crate::web`]), [`serve`] runs it with
//! graceful shutdown. Device authentication is [`auth`]; the state handlers reach is
//! [`AppState`](crate::state::AppState). Cross-cutting concerns live here, as
//! layers: tracing spans (method and path only; never bodies, queries or headers), a body
//! limit, metrics by route and status, error logging, and the rewriting of any plain-text
//! error (from axum or tower-http) into the JSON error format.

use std::future::Future;
use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

use crate::error::{ApiError, ErrorCode, LoggedError};
use crate::state::AppState;

pub mod auth;
mod device;
mod enroll;
mod health;
mod sync;

/// The whole HTTP application.
pub fn app(state: AppState) -> Router {
    let limit = state.config.body_limit;
    Router::new()
        .merge(health::router())
        .merge(enroll::router())
        .merge(device::router())
        .merge(sync::router())
        .merge(crate::web::router())
        .fallback(not_found)
        .layer(DefaultBodyLimit::disable())
        .layer(RequestBodyLimitLayer::new(limit))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            // Path only: queries could carry codes, bodies and headers carry secrets.
            tracing::info_span!("http", method = %req.method(), path = %req.uri().path())
        }))
        .with_state(state)
}

/// Serve `app(state)` on `listener` until `shutdown` completes, then finish in-flight requests.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // With the peer address: the dashboard's failed-login limit counts per address.
    axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Completes on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}

async fn not_found() -> ApiError {
    ApiError::new(ErrorCode::NotFound)
}

/// Metrics, error logging and JSON-ification of errors produced outside handlers.
async fn observe(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let route = req.extensions().get::<MatchedPath>().cloned();
    let mut resp = next.run(req).await;
    let status = resp.status();
    if let Some(err) = resp.extensions().get::<LoggedError>() {
        if status.is_server_error() {
            tracing::error!(code = err.code, detail = ?err.detail, "request failed");
        } else {
            tracing::info!(code = err.code, detail = ?err.detail, "request refused");
        }
    } else if (status.is_client_error() || status.is_server_error())
        && !is_json(&resp)
        && !is_html(&resp)
    {
        resp = json_error_for(status);
    }
    state
        .metrics
        .http_request(&method, route.as_ref(), resp.status(), start.elapsed());
    resp
}

fn is_json(resp: &Response) -> bool {
    resp.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

fn is_html(resp: &Response) -> bool {
    resp.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"))
}

/// A JSON error response for a bare status (keeping the status).
fn json_error_for(status: StatusCode) -> Response {
    let code = match status {
        StatusCode::NOT_FOUND => ErrorCode::NotFound,
        StatusCode::METHOD_NOT_ALLOWED => ErrorCode::MethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::BodyTooLarge,
        StatusCode::UNAUTHORIZED => ErrorCode::AuthMalformed,
        s if s.is_server_error() => ErrorCode::Internal,
        _ => ErrorCode::BadRequest,
    };
    let mut resp = (status, ApiError::body_json(code)).into_response();
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}
