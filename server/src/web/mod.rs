//! The officers' side: the web dashboard (server-rendered HTML, askama templates in
//! `server/templates/`, one embedded CSS file, SVG charts), the JSON API under `/api/v1` with
//! its OpenAPI description, and the CSV/XLSX exports. Decisions: `docs/adr/0005-dashboard-and-api.md`.
//!
//! Every route resolves the session ([`session`]), then the unit and period asked for against
//! the officer's scope ([`access`]); figures come from the [`Aggregator`](crate::aggregate::Aggregator).
//! Pages: the overview (`overview`), the record list and detail (`records`), login (`login`);
//! `render` holds what every page uses (HTML responses, error pages, language codes, query
//! encoding). Session limits and the failed-login limiter live in [`crate::state`].
//! Above the commune only aggregates are served: the record list and record detail are for
//! commune officers, within their commune.

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;

use crate::state::AppState;

pub mod access;
pub mod api;
mod attention;
pub mod charts;
mod communes;
pub mod dvk;
pub mod exports;
pub mod forms;
pub mod i18n;
pub mod indicators;
mod login;
mod mass_report;
mod overview;
mod petitions;
mod records;
mod render;
pub mod session;
mod submitted;
pub mod teams;

pub use session::Viewer;

/// The one stylesheet, embedded in the binary (offices may be offline: nothing from a CDN).
const CSS: &str = include_str!("../../static/danvan.css");
/// The commune table's small script (sorting and filtering in place; the page works without
/// it through query parameters, ADR 0015).
const COMMUNES_JS: &str = include_str!("../../static/communes.js");

/// Routes of the dashboard, the API and the exports.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/dashboard") }))
        .route("/static/danvan.css", get(css))
        .route("/static/communes.js", get(communes_js))
        .merge(login::router())
        .merge(overview::router())
        .merge(records::router())
        .merge(petitions::router())
        .merge(submitted::router())
        .merge(exports::router())
        .merge(api::router())
        .merge(teams::router())
        .merge(dvk::router())
        .merge(mass_report::router())
        .layer(middleware::from_fn(web_headers))
}

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CSS,
    )
        .into_response()
}

async fn communes_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        COMMUNES_JS,
    )
        .into_response()
}

/// Security headers on every dashboard response; `?lang=` also sets the `lang` cookie.
async fn web_headers(req: Request, next: Next) -> Response {
    let lang = req.uri().query().and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "lang")
            .map(|(_, v)| danvan_core::Lang::parse(&v))
    });
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
             frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if let Some(lang) = lang {
        h.append(
            header::SET_COOKIE,
            session::set_cookie(
                session::LANG_COOKIE,
                render::lang_code(lang),
                "/",
                365 * 24 * 3600,
            ),
        );
    }
    resp
}
