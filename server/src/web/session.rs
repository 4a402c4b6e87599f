//! Officers' sessions: login, the session cookie, the extractors that resolve it, CSRF checks
//! and the failed-login limit (ADR 0005; the limits and the limiter are in [`crate::state`]).
//!
//! The cookie `danvan_session` carries 32 random bytes (base64url); the database keeps only
//! their sha256. It is `Secure; HttpOnly; SameSite=Strict; Path=/` always: Chromium and Firefox
//! accept Secure cookies on `http://localhost`, and anywhere else the server sits behind TLS.
//! Forms carry the session's synchronizer token; cookie-authenticated API writes send it in
//! `x-csrf-token`. Every state-changing request is also refused when its `Origin` (or, without
//! one, `Referer`) names another host than `Host`.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use cookie::{Cookie, SameSite};
use danvan_core::Lang;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::{ApiError, ErrorCode};
use crate::roles::Role;
use crate::state::AppState;
use crate::storage::sessions::SessionRow;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "danvan_session";
/// Name of the pre-session (login form) CSRF cookie.
pub const LOGIN_CSRF_COOKIE: &str = "danvan_login_csrf";
/// Name of the language cookie.
pub const LANG_COOKIE: &str = "lang";
/// Header carrying the CSRF token of cookie-authenticated API writes.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// A fresh random token (32 bytes, base64url).
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}

/// Hex sha256 of a session token (what the database stores).
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Constant-time equality of two tokens.
pub fn same_token(a: &str, b: &str) -> bool {
    !a.is_empty() && a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(|c| c.ok())
        .find(|c| c.name() == name)
        .map(|c| c.value().to_string())
}

/// A `Set-Cookie` value: Secure, HttpOnly, SameSite=Strict, with a path and a max age (0 deletes).
pub fn set_cookie(name: &str, value: &str, path: &str, max_age_secs: i64) -> HeaderValue {
    let c = Cookie::build((name.to_string(), value.to_string()))
        .path(path.to_string())
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Strict)
        .max_age(cookie::time::Duration::seconds(max_age_secs))
        .build();
    HeaderValue::from_str(&c.to_string()).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The logged-in officer behind a request.
#[derive(Debug, Clone)]
pub struct Viewer {
    /// Login name.
    pub username: String,
    /// Role.
    pub role: Role,
    /// Unit code.
    pub unit: String,
    /// The session's CSRF token (put in every form).
    pub csrf: String,
    /// Hash of the session token (for logout).
    pub(crate) token_hash: String,
}

impl Viewer {
    /// Whether this officer may see personal fields (record list and detail): commune officers
    /// only, within their commune.
    pub fn sees_records(&self) -> bool {
        self.role == Role::CommuneOfficer
    }
}

/// The roles that may log in to the dashboard.
pub fn is_officer(role: Role) -> bool {
    matches!(
        role,
        Role::CommuneOfficer | Role::DistrictOfficer | Role::CityOfficer | Role::Admin
    )
}

/// Resolve the session cookie into a viewer (`None` when absent, unknown, expired or idle).
pub async fn viewer_from(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<Viewer>, ApiError> {
    let Some(token) = cookie_value(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let hash = token_hash(&token);
    let cfg = &state.web.sessions;
    let now = Utc::now();
    let Some(row) = state
        .storage
        .session(&hash, now, now - cfg.idle_timeout)
        .await
        .map_err(ApiError::from)?
    else {
        return Ok(None);
    };
    let Some(user) = state
        .storage
        .user(&row.username)
        .await
        .map_err(ApiError::from)?
    else {
        return Ok(None);
    };
    if !is_officer(user.role) {
        return Ok(None);
    }
    Ok(Some(Viewer {
        username: user.username,
        role: user.role,
        unit: user.unit,
        csrf: row.csrf_token,
        token_hash: hash,
    }))
}

/// API extractor: the viewer, or 401 `unauthenticated`.
impl FromRequestParts<AppState> for Viewer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        viewer_from(state, &parts.headers)
            .await?
            .ok_or_else(|| ApiError::new(ErrorCode::Unauthenticated))
    }
}

/// Page extractor: the viewer, or a redirect to the login page (coming back here after).
#[derive(Debug, Clone)]
pub struct PageViewer(pub Viewer);

impl FromRequestParts<AppState> for PageViewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match viewer_from(state, &parts.headers).await {
            Ok(Some(v)) => Ok(PageViewer(v)),
            Ok(None) => {
                let next = parts
                    .uri
                    .path_and_query()
                    .map_or("/dashboard", |p| p.as_str());
                let next: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
                let target = format!("/login?next={next}");
                Err(Redirect::to(&target).into_response())
            }
            Err(e) => Err(e.into_response()),
        }
    }
}

/// The request's language: `?lang=` first, then the `lang` cookie, then Vietnamese.
#[derive(Debug, Clone, Copy)]
pub struct ReqLang(pub Lang);

impl<S: Send + Sync> FromRequestParts<S> for ReqLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ReqLang(lang_of(parts)))
    }
}

/// The `lang` query parameter, if any.
pub fn query_lang(parts: &Parts) -> Option<Lang> {
    parts.uri.query().and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "lang")
            .map(|(_, v)| Lang::parse(&v))
    })
}

fn lang_of(parts: &Parts) -> Lang {
    query_lang(parts)
        .or_else(|| cookie_value(&parts.headers, LANG_COOKIE).map(|v| Lang::parse(&v)))
        .unwrap_or_default()
}

/// Refuse a state-changing request whose `Origin` (or `Referer`) names another host.
pub fn check_origin(headers: &HeaderMap) -> Result<(), ApiError> {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let source = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|h| h.to_str().ok());
    let Some(source) = source else {
        // Neither header (non-browser client): the synchronizer token still has to match.
        return Ok(());
    };
    let source_host = url::Url::parse(source).ok().and_then(|u| {
        u.host_str().map(|h| {
            u.port()
                .map_or_else(|| h.to_string(), |p| format!("{h}:{p}"))
        })
    });
    match (source_host, host) {
        (Some(s), Some(h)) if s.eq_ignore_ascii_case(h) => Ok(()),
        _ => Err(ApiError::new(ErrorCode::CsrfFailed).with_detail("origin does not match host")),
    }
}

/// Check a form's or header's CSRF token against the session's, and the origin.
pub fn check_csrf(
    viewer: &Viewer,
    headers: &HeaderMap,
    sent: Option<&str>,
) -> Result<(), ApiError> {
    check_origin(headers)?;
    match sent {
        Some(t) if same_token(t, &viewer.csrf) => Ok(()),
        _ => Err(ApiError::new(ErrorCode::CsrfFailed)),
    }
}

/// The client's address (from the connection), for the failed-login limit.
pub fn client_ip(parts_ext: &axum::http::Extensions) -> Option<IpAddr> {
    parts_ext
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(a)| a.ip())
}

/// The client a login comes from, for the failed-login limit: the last address of the trusted
/// proxy header when one is configured (`--trusted-proxy-header`; the address the proxy saw,
/// the earlier ones being the client's own claims) and present, otherwise the socket's peer.
/// IPv6 addresses count by their /64 (one subscriber's network), IPv4-mapped ones as IPv4.
pub fn login_client(
    config: &crate::config::ServerConfig,
    headers: &HeaderMap,
    peer: Option<IpAddr>,
) -> Option<IpAddr> {
    let forwarded = config.trusted_proxy_header.as_ref().and_then(|name| {
        let last = headers.get_all(name).iter().next_back()?.to_str().ok()?;
        let addr = last.rsplit(',').next()?.trim();
        addr.parse::<IpAddr>()
            .ok()
            .or_else(|| addr.parse::<SocketAddr>().ok().map(|a| a.ip()))
    });
    forwarded.or(peer).map(|ip| match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(std::net::Ipv6Addr::from(
                v6.to_bits() & !((1u128 << 64) - 1),
            )),
        },
        v4 => v4,
    })
}

/// A valid argon2id hash of a random password: verified against when the username is unknown,
/// so that a wrong username costs as long as a wrong password.
fn dummy_hash() -> &'static str {
    static H: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    H.get_or_init(|| crate::users::hash_password(&random_token()).unwrap_or_default())
}

/// Why a login failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginError {
    /// Wrong username or password (never said which), or not an officer.
    Failed,
    /// Too many failures: wait.
    Throttled,
    /// A username or password longer than any can be (400 `invalid_text`), refused before any
    /// work.
    TooLong,
    /// Every password-check slot stayed busy (503 `unavailable`, `Retry-After`).
    Busy,
    /// Storage or hashing failed.
    Internal,
}

impl LoginError {
    /// The JSON error answer (`Retry-After` on 503 and 429).
    pub fn api_response(self) -> Response {
        let (err, retry) = match self {
            LoginError::Failed => (ApiError::new(ErrorCode::LoginFailed), None),
            LoginError::Throttled => (ApiError::new(ErrorCode::TooManyAttempts), Some("60")),
            LoginError::TooLong => (
                ApiError::new(ErrorCode::InvalidText).with_detail("username or password too long"),
                None,
            ),
            LoginError::Busy => (
                ApiError::new(ErrorCode::Unavailable).with_detail("every password check slot busy"),
                Some(BUSY_RETRY_AFTER),
            ),
            LoginError::Internal => (ApiError::internal("login failed"), None),
        };
        let mut resp = err.into_response();
        if let Some(secs) = retry {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static(secs));
        }
        resp
    }
}

/// `Retry-After` (seconds) of a login refused because every password-check slot was busy.
pub const BUSY_RETRY_AFTER: &str = "2";

/// An internal failure of a login, its cause logged here (the error the caller turns it into
/// carries none).
fn login_internal(cause: impl std::fmt::Display) -> LoginError {
    tracing::error!(error = %cause, "login failed inside the server");
    LoginError::Internal
}

/// A new session after checking the password: the cookie token and the viewer it opens.
///
/// In order, each step before any costly one: lengths (400), the limiter counts the attempt
/// (429 for this client, a delay for a much-failed account), a password-check slot (503 when
/// none frees up within `hash_wait`; the attempt is then not counted), the check itself. The
/// session row is the last thing written and nothing can fail after it.
pub async fn login(
    state: &AppState,
    username: &str,
    password: &str,
    client: Option<IpAddr>,
) -> Result<(String, Viewer), LoginError> {
    if username.chars().count() > crate::text::MAX_USERNAME
        || password.len() > crate::users::MAX_PASSWORD_BYTES
    {
        return Err(LoginError::TooLong);
    }
    let web = &state.web;
    let cfg = &web.sessions;
    let attempt = web
        .limiter
        .reserve(cfg, username, client)
        .map_err(|_| LoginError::Throttled)?;
    if !attempt.delay.is_zero() {
        tokio::time::sleep(attempt.delay).await;
    }
    let permit = match tokio::time::timeout(
        cfg.hash_wait,
        std::sync::Arc::clone(&web.hashing).acquire_owned(),
    )
    .await
    {
        Ok(Ok(p)) => p,
        _ => {
            attempt.refund();
            return Err(LoginError::Busy);
        }
    };
    let user = state.storage.user(username).await.map_err(login_internal)?;
    let hash = user.as_ref().map(|u| u.password_hash.clone());
    let pw = password.to_string();
    web.count_password_check();
    // The slot travels with the check: a client that hangs up does not free it early.
    let ok = tokio::task::spawn_blocking(move || {
        let hash: &str = match &hash {
            Some(h) => h,
            None => dummy_hash(),
        };
        let ok = crate::users::verify_password(hash, &pw);
        drop(permit);
        ok
    })
    .await
    .map_err(login_internal)?;
    let user = match user {
        Some(u) if ok && is_officer(u.role) => u,
        _ => {
            tracing::info!("dashboard login refused");
            return Err(LoginError::Failed);
        }
    };
    attempt.succeeded();
    let token = random_token();
    let now = Utc::now();
    let row = SessionRow {
        token_hash: token_hash(&token),
        username: user.username.clone(),
        csrf_token: random_token(),
        created_at: now,
        expires_at: now + cfg.lifetime,
        last_seen: now,
    };
    state
        .storage
        .create_session(&row)
        .await
        .map_err(login_internal)?;
    // Opportunistic clean-up of old rows; a failure here does not matter.
    let _ = state
        .storage
        .purge_sessions(now, now - cfg.idle_timeout)
        .await;
    let viewer = Viewer {
        username: user.username,
        role: user.role,
        unit: user.unit,
        csrf: row.csrf_token,
        token_hash: row.token_hash,
    };
    Ok((token, viewer))
}

/// The `Set-Cookie` header of a new session.
pub fn session_cookie(state: &AppState, token: &str) -> HeaderValue {
    set_cookie(
        SESSION_COOKIE,
        token,
        "/",
        state.web.sessions.lifetime.num_seconds(),
    )
}

/// The `Set-Cookie` header that deletes the session cookie.
pub fn clear_session_cookie() -> HeaderValue {
    set_cookie(SESSION_COOKIE, "", "/", 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_hash_and_compare() {
        let a = random_token();
        assert_eq!(a.len(), 43);
        assert_ne!(a, random_token());
        assert_eq!(token_hash(&a).len(), 64);
        assert!(same_token(&a, &a.clone()));
        assert!(!same_token(&a, &random_token()));
        assert!(!same_token("", ""));
    }

    #[test]
    fn cookie_is_secure_httponly_strict() {
        let v = set_cookie(SESSION_COOKIE, "abc", "/", 60);
        let s = v.to_str().unwrap();
        for part in [
            "danvan_session=abc",
            "Secure",
            "HttpOnly",
            "SameSite=Strict",
            "Path=/",
            "Max-Age=60",
        ] {
            assert!(s.contains(part), "{s} lacks {part}");
        }
    }

    #[test]
    fn login_client_reads_the_trusted_header_only_when_configured() {
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("6.6.6.6, 10.0.0.7"),
        );
        let peer: Option<IpAddr> = Some([127, 0, 0, 1].into());
        let mut cfg = crate::config::ServerConfig::default();
        assert_eq!(login_client(&cfg, &h, peer), peer);
        cfg.trusted_proxy_header = Some(header::HeaderName::from_static("x-forwarded-for"));
        assert_eq!(login_client(&cfg, &h, peer), Some([10, 0, 0, 7].into()));
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("not an address"),
        );
        assert_eq!(login_client(&cfg, &h, peer), peer);
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("[2001:db8:1:2:3::9]:443"),
        );
        assert_eq!(
            login_client(&cfg, &h, peer),
            Some("2001:db8:1:2::".parse().unwrap()),
            "IPv6 counts by its /64"
        );
        h.remove("x-forwarded-for");
        let mapped: Option<IpAddr> = Some("::ffff:192.0.2.1".parse().unwrap());
        assert_eq!(login_client(&cfg, &h, mapped), Some([192, 0, 2, 1].into()));
    }

    #[test]
    fn origin_must_match_host() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8080"));
        assert!(check_origin(&h).is_ok());
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://127.0.0.1:8080"),
        );
        assert!(check_origin(&h).is_ok());
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("http://evil.example"),
        );
        assert_eq!(check_origin(&h).unwrap_err().code, ErrorCode::CsrfFailed);
        h.remove(header::ORIGIN);
        h.insert(
            header::REFERER,
            HeaderValue::from_static("http://127.0.0.1:9999/x"),
        );
        assert!(check_origin(&h).is_err());
    }
}
