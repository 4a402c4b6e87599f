//! The HTTP API: [`app`] builds the router (the devices' API here, one module per resource,
//! each with its own `router()`; the officers' side from [`crate::web`]), [`serve`] runs it with
//! graceful shutdown. Device authentication is [`auth`]; the state handlers reach is
//! [`AppState`](crate::state::AppState). Cross-cutting concerns live here, as
//! layers: a request id (`x-request-id`, kept from a proxy or made here, sent back, and in the
//! tracing span of every request), tracing spans (method, path and request id only; never
//! bodies, queries or other headers), a body limit, a timeout (one for `POST /v1/sync`, one for
//! the rest: 408 `timeout`), a panic catcher (a handler that panics answers 500 `internal` and
//! the panic is logged), metrics by route and status, error logging, and the rewriting of any
//! plain-text error (from axum or tower-http) into the JSON error format.
//!
//! [`serve`] stops accepting on the shutdown signal and lets requests in flight finish for at
//! most [`ServerConfig::shutdown_grace`](crate::config::ServerConfig::shutdown_grace).

use std::future::{Future, IntoFuture};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::error::{ApiError, ErrorCode, LoggedError};
use crate::state::AppState;

pub mod attachments;
pub mod auth;
mod device;
mod enroll;
mod health;
pub mod openapi;
pub mod peer;
mod sync;

/// The whole HTTP application.
pub fn app(state: AppState) -> Router {
    let routes = Router::new()
        .merge(health::router())
        .merge(enroll::router())
        .merge(device::router())
        .merge(attachments::router())
        .merge(peer::router())
        .merge(openapi::router())
        .merge(crate::web::router());
    app_with(state, routes)
}

/// The application with `routes` in place of the ordinary ones (health, enrollment, device,
/// dashboard), under the same layers; `POST /v1/sync` is always there. Tests use it to put
/// routes (one that panics, one that is slow) behind the real middleware.
pub fn app_with(state: AppState, routes: Router<AppState>) -> Router {
    let limit = state.config.body_limit;
    Router::new()
        .merge(routes.layer(timeout(state.config.request_timeout)))
        // Phones on slow links upload up to the body limit: a longer timeout of its own.
        .merge(sync::router().layer(timeout(state.config.sync_timeout)))
        .fallback(not_found)
        .layer(DefaultBodyLimit::disable())
        .layer(RequestBodyLimitLayer::new(limit))
        .layer(middleware::from_fn(catch_panic))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            // Path and request id only: queries could carry codes, bodies and headers secrets.
            let id = req
                .headers()
                .get(REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            tracing::info_span!(
                "http",
                method = %req.method(),
                path = %req.uri().path(),
                request_id = %id
            )
        }))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

/// The request id header: kept when a proxy sent one, a UUID otherwise; echoed in the response
/// and recorded in the request's tracing span (`request_id`).
pub const REQUEST_ID: &str = "x-request-id";

/// A timeout answering 408 with an empty body, which [`observe`] turns into the JSON `timeout`
/// error. The time counts from the request's arrival to the response's headers, so a slow
/// upload counts (the handler reads the body).
fn timeout(limit: Duration) -> TimeoutLayer {
    TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, limit)
}

/// Keep the panics that the sync write path catches out of the log: Automerge reading a
/// client's pushed changes may panic on crafted bytes, the push is then answered as malformed
/// (`danvan_core::sync::merge`), and the default hook would print a panic message per hostile
/// push. Every other panic goes to the hook installed before (the panic layer then answers a
/// JSON 500 and logs it). Installed once, by [`serve`].
pub fn quiet_client_panics() {
    danvan_core::sync::merge::pass_over_caught_panics();
}

/// Serve `app(state)` on `listener` until `shutdown` completes; then stop accepting, let the
/// requests in flight finish for at most `state.config.shutdown_grace`, and return (requests
/// still running then are cut when the runtime ends).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    quiet_client_panics();
    let grace = state.config.shutdown_grace;
    let (signalled_tx, signalled_rx) = tokio::sync::oneshot::channel::<()>();
    let shutdown = async move {
        shutdown.await;
        let _ = signalled_tx.send(());
    };
    // With the peer address: the dashboard's failed-login limit counts per address.
    let server = axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .into_future();
    let deadline = async move {
        if signalled_rx.await.is_err() {
            // The server ended before any signal: nothing to bound.
            std::future::pending::<()>().await;
        }
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        done = server => done,
        () = deadline => {
            tracing::warn!(
                grace_ms = u64::try_from(grace.as_millis()).unwrap_or(u64::MAX),
                "shutdown grace elapsed with requests in flight; they are cut"
            );
            Ok(())
        }
    }
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
        if status.is_server_error() {
            // Not from a handler's `ApiError` (a layer or extractor): still logged, with what
            // is known.
            tracing::error!(status = status.as_u16(), "request failed outside a handler");
        }
        let mut json = json_error_for(status);
        // Keep what the layer said besides the body (`Allow` on a 405).
        for (name, value) in resp.headers() {
            if name != CONTENT_TYPE && name != axum::http::header::CONTENT_LENGTH {
                json.headers_mut().append(name.clone(), value.clone());
            }
        }
        resp = json;
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

/// A handler that panics answers 500 `internal` (its message logged) instead of dropping the
/// connection; the task and the server go on.
async fn catch_panic(req: Request, next: Next) -> Response {
    use futures_util::FutureExt;
    match std::panic::AssertUnwindSafe(next.run(req))
        .catch_unwind()
        .await
    {
        Ok(resp) => resp,
        Err(panic) => {
            let detail = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic".to_string());
            ApiError::internal(format!("handler panicked: {detail}")).into_response()
        }
    }
}

/// A JSON error response for a bare status: the code for it, answered with the code's own
/// status (a rejection axum answers with another client error, such as 422 for a form that
/// does not deserialize, is 400 `bad_request`), so that the status and the code always agree.
fn json_error_for(status: StatusCode) -> Response {
    let code = match status {
        StatusCode::NOT_FOUND => ErrorCode::NotFound,
        StatusCode::REQUEST_TIMEOUT => ErrorCode::Timeout,
        StatusCode::METHOD_NOT_ALLOWED => ErrorCode::MethodNotAllowed,
        StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::BodyTooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorCode::UnsupportedMediaType,
        StatusCode::UNAUTHORIZED => ErrorCode::AuthMalformed,
        s if s.is_server_error() => ErrorCode::Internal,
        _ => ErrorCode::BadRequest,
    };
    let mut resp = (code.status(), ApiError::body_json(code)).into_response();
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::routing::get;
    use tower::ServiceExt;

    use super::*;

    #[tokio::test]
    async fn a_panicking_handler_answers_500_internal_with_its_cause_logged() {
        async fn boom() -> &'static str {
            panic!("index out of bounds in a test handler")
        }
        let app = Router::new()
            .route("/boom", get(boom))
            .layer(middleware::from_fn(catch_panic));
        let resp = app
            .oneshot(Request::get("/boom").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let logged = resp.extensions().get::<LoggedError>().cloned().unwrap();
        assert_eq!(logged.code, "internal");
        assert!(logged.detail.unwrap().contains("index out of bounds"));
    }
}
