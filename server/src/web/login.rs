//! Login and logout pages (`/login`, `/logout`).
//!
//! The login form has no session yet, so it is protected by a double-submit token: `GET /login`
//! sets the `danvan_login_csrf` cookie (Path=/login) and puts the same value in the form; `POST
//! /login` requires both to match and the origin to be this host. Failures say only "wrong
//! username or password", never which.

use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use serde::Deserialize;

use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;
use crate::web::i18n::{Messages, messages};
use crate::web::render::{html, lang_code};
use crate::web::session::{
    self, LOGIN_CSRF_COOKIE, LoginError, PageViewer, ReqLang, check_csrf, check_origin,
    cookie_value, same_token, set_cookie,
};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", post(logout))
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    m: &'a Messages,
    lang: &'a str,
    csrf: String,
    next: String,
    error: Option<&'a str>,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

/// The pages of the dashboard a login may return to (`next`): these paths and below.
const NEXT_PREFIXES: &[&str] = &["/dashboard", "/teams", "/dvk", "/reports"];
/// Longest `next` followed.
const MAX_NEXT: usize = 2048;

/// Where to go after login: `next` when it is a path within the dashboard, else `/dashboard`.
fn safe_next(next: Option<&str>) -> String {
    next.filter(|n| is_dashboard_path(n))
        .map_or_else(|| "/dashboard".to_string(), str::to_string)
}

/// Whether `next` is a path of the dashboard's own pages: printable ASCII, under one of
/// [`NEXT_PREFIXES`], and, as sent and once or twice percent-decoded, no whitespace or control
/// character (browsers drop tabs and newlines: `/\t/evil` is `//evil`), no backslash (read as
/// `/`), no `//` (another host) and no `.`/`..` segment in the path.
fn is_dashboard_path(next: &str) -> bool {
    if next.len() > MAX_NEXT || !next.bytes().all(|b| b.is_ascii_graphic()) {
        return false;
    }
    let path = |s: &str| s.split(['?', '#']).next().unwrap_or_default().to_string();
    let raw_path = path(next);
    if !NEXT_PREFIXES
        .iter()
        .any(|p| raw_path == *p || raw_path.starts_with(&format!("{p}/")))
    {
        return false;
    }
    let once = percent_decode(next);
    let twice = percent_decode(&once);
    [next.to_string(), once, twice].iter().all(|s| {
        let p = path(s);
        !s.chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
            && !p.contains("//")
            && !p.split('/').any(|seg| seg == "." || seg == "..")
    })
}

/// `%XX` decoded (invalid escapes kept as they are, invalid UTF-8 replaced).
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%'
            && let (Some(h), Some(l)) = (
                b.get(i + 1).copied().and_then(hex),
                b.get(i + 2).copied().and_then(hex),
            )
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn render_login(
    lang: danvan_core::Lang,
    next: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let csrf = session::random_token();
    let page = LoginPage {
        m: messages(lang),
        lang: lang_code(lang),
        csrf: csrf.clone(),
        next: next.to_string(),
        error,
    };
    let mut resp = html(status, page.render());
    resp.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(LOGIN_CSRF_COOKIE, &csrf, "/login", 3600),
    );
    resp
}

async fn login_page(ReqLang(lang): ReqLang, Query(q): Query<NextQuery>) -> Response {
    render_login(lang, &safe_next(q.next.as_deref()), None, StatusCode::OK)
}

#[derive(Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    csrf: Option<String>,
    next: Option<String>,
}

async fn login_submit(
    State(state): State<AppState>,
    ReqLang(lang): ReqLang,
    connect: Option<Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let m = messages(lang);
    let next = safe_next(form.next.as_deref());
    if let Err(e) = check_origin(&headers) {
        return e.into_response();
    }
    let cookie = cookie_value(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if !form.csrf.as_deref().is_some_and(|t| same_token(t, &cookie)) {
        // Most likely a form left open past its cookie: show a fresh one, say why.
        let mut r = render_login(
            lang,
            &next,
            Some(m.login_expired_form),
            StatusCode::FORBIDDEN,
        );
        r.extensions_mut().insert(crate::error::LoggedError {
            code: ErrorCode::CsrfFailed.as_str(),
            detail: None,
        });
        return r;
    }
    let username = match crate::text::username(&form.username) {
        Ok(u) => u,
        Err(e) => return crate::web::render::error_page(e, lang),
    };
    let peer = connect.map(|Extension(c)| c.0.ip());
    let client = session::login_client(&state.config, &headers, peer);
    match session::login(&state, &username, &form.password, client).await {
        Ok((token, _)) => {
            // `next` is checked printable ASCII, so the header cannot fail; after the session
            // row is written nothing may fail.
            let location = header::HeaderValue::from_str(&next)
                .unwrap_or_else(|_| header::HeaderValue::from_static("/dashboard"));
            let mut resp = StatusCode::SEE_OTHER.into_response();
            let h = resp.headers_mut();
            h.insert(header::LOCATION, location);
            h.append(header::SET_COOKIE, session::session_cookie(&state, &token));
            h.append(
                header::SET_COOKIE,
                set_cookie(LOGIN_CSRF_COOKIE, "", "/login", 0),
            );
            resp
        }
        Err(LoginError::Failed) => {
            render_login(lang, &next, Some(m.login_failed), StatusCode::UNAUTHORIZED)
        }
        Err(LoginError::Throttled) => render_login(
            lang,
            &next,
            Some(m.login_throttled),
            StatusCode::TOO_MANY_REQUESTS,
        ),
        Err(LoginError::TooLong) => crate::web::render::error_page(
            ApiError::new(ErrorCode::InvalidText).with_detail("username or password too long"),
            lang,
        ),
        Err(LoginError::Busy) => {
            let mut r = render_login(
                lang,
                &next,
                Some(m.login_busy),
                StatusCode::SERVICE_UNAVAILABLE,
            );
            r.headers_mut().insert(
                header::RETRY_AFTER,
                header::HeaderValue::from_static(session::BUSY_RETRY_AFTER),
            );
            r.extensions_mut().insert(crate::error::LoggedError {
                code: ErrorCode::Unavailable.as_str(),
                detail: Some("every password check slot busy".into()),
            });
            r
        }
        Err(LoginError::Internal) => ApiError::internal("login failed").into_response(),
    }
}

#[derive(Deserialize)]
struct LogoutForm {
    csrf: Option<String>,
}

async fn logout(
    State(state): State<AppState>,
    PageViewer(viewer): PageViewer,
    headers: HeaderMap,
    Form(form): Form<LogoutForm>,
) -> Response {
    if let Err(e) = check_csrf(&viewer, &headers, form.csrf.as_deref()) {
        return e.into_response();
    }
    if let Err(e) = state.storage.delete_session(&viewer.token_hash).await {
        return ApiError::from(e).into_response();
    }
    let mut resp = Redirect::to("/login").into_response();
    resp.headers_mut()
        .append(header::SET_COOKIE, session::clear_session_cookie());
    resp
}
