//! Issue 11, items 1–4: the failed-login limit under concurrency, bounded work and memory for
//! unauthenticated requests, the limit keyed by account and client (trusted proxy header), and
//! the `next` redirect after login.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};

use std::sync::Arc;
use std::time::{Duration, Instant};

use danvan_server::state::{SessionConfig, WebState};
use danvan_server::{AppState, ServerConfig};

use crate::dash::*;

/// A seeded dashboard with its `WebState` at hand (password checks counted) and other
/// settings.
struct WebDash {
    router: axum::Router,
    web: Arc<WebState>,
    _d: Dash,
}

async fn web_dash(
    config: impl FnOnce(ServerConfig) -> ServerConfig,
    sessions: impl FnOnce(SessionConfig) -> SessionConfig,
) -> WebDash {
    let mut web = None;
    let d = dash_with(|s: AppState| {
        let mut s = s.with_sessions(sessions(SessionConfig::default()));
        s.config = Arc::new(config((*s.config).clone()));
        web = Some(Arc::clone(&s.web));
        s
    })
    .await;
    WebDash {
        router: d.router.clone(),
        web: web.unwrap(),
        _d: d,
    }
}

/// A JSON login attempt, from `peer` (the socket address) with optional extra headers.
fn json_login(user: &str, pw: &str, peer: Option<&str>, headers: &[(&str, &str)]) -> Request<Body> {
    let mut b = Request::post("/api/v1/session").header(header::CONTENT_TYPE, "application/json");
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    let mut req = b
        .body(Body::from(
            serde_json::json!({"username": user, "password": pw}).to_string(),
        ))
        .unwrap();
    if let Some(p) = peer {
        let addr: SocketAddr = p.parse().unwrap();
        req.extensions_mut().insert(ConnectInfo(addr));
    }
    req
}

/// Log in through the HTML form with `next` (raw, already form-encoded by the caller).
async fn form_login(anon: &Client, user: (&str, &str), next_encoded: &str) -> Resp {
    let page = anon.get("/login").await;
    let token = hidden(&page.text(), "csrf");
    let cookie_val = cookie_of(&page, "danvan_login_csrf").unwrap();
    anon.send(
        Request::post("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, format!("danvan_login_csrf={cookie_val}"))
            .body(Body::from(format!(
                "username={}&password={}&csrf={}&next={next_encoded}",
                enc(user.0),
                enc(user.1),
                enc(&token)
            )))
            .unwrap(),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_wrong_passwords_are_checked_at_most_the_limit() {
    let d = web_dash(|s| s, |c| c).await;
    let anon = Client::anonymous(&d.router);
    let mut set = tokio::task::JoinSet::new();
    for i in 0..20 {
        let c = anon.clone();
        set.spawn(async move {
            c.send(json_login(
                COMMUNE.0,
                &format!("wrong password {i}"),
                None,
                &[],
            ))
            .await
        });
    }
    let (mut failed, mut throttled) = (0, 0);
    while let Some(r) = set.join_next().await {
        let r = r.unwrap();
        match r.code().as_str() {
            "login_failed" => failed += 1,
            "too_many_attempts" => {
                assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
                throttled += 1;
            }
            other => panic!("unexpected answer {other}: {}", r.text()),
        }
    }
    assert!(
        failed <= 5,
        "{failed} wrong passwords were checked (limit 5)"
    );
    assert_eq!(failed + throttled, 20);
    assert!(
        d.web.password_checks() <= 5,
        "{} argon2 verifications",
        d.web.password_checks()
    );
}

#[tokio::test]
async fn overlong_username_or_password_is_refused_before_any_work() {
    let d = web_dash(|c| c, |s| s).await;
    let anon = Client::anonymous(&d.router);
    let checks = Arc::clone(&d.web);
    let long_name = "a".repeat(101);
    let long_pw = "p".repeat(10_000);
    for (u, p) in [
        (long_name.as_str(), "whatever"),
        (COMMUNE.0, long_pw.as_str()),
    ] {
        let r = anon.send(json_login(u, p, None, &[])).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
        assert_eq!(r.code(), "invalid_text");
    }
    // The HTML form follows the same rule.
    let r = form_login(&anon, (&long_name, "whatever"), "%2Fdashboard").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(cookie_of(&r, "danvan_session").is_none());
    let r = form_login(&anon, (COMMUNE.0, &long_pw), "%2Fdashboard").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(checks.password_checks(), 0, "no password was hashed");
    // Nor did they count against the account.
    let r = anon.send(json_login(COMMUNE.0, COMMUNE.1, None, &[])).await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn next_outside_the_dashboard_lands_on_the_dashboard() {
    let d = dash().await;
    let anon = Client::anonymous(&d.router);
    for next in [
        "/\t/evil.example",
        "/\n/evil.example",
        "//evil",
        "/\\evil",
        "https://evil",
        "/dashboard\u{1}",
        "/dashboard\r\nSet-Cookie: x=y",
        "/dashboard/%2F%2Fevil",
        "/dashboard/%5Cevil",
        "/dashboard/%09x",
        "/dashboard/../login",
        "/dashboard/%2e%2e/login",
        "/dashboardevil",
        "/login",
        "",
    ] {
        let r = form_login(&anon, COMMUNE, &enc(next)).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{next:?}: {}", r.text());
        assert_eq!(r.location(), "/dashboard", "{next:?}");
        assert!(cookie_of(&r, "danvan_session").is_some(), "{next:?}");
        // The login page echoes only a safe target too.
        let page = anon.get(&format!("/login?next={}", enc(next))).await;
        assert_eq!(page.status, StatusCode::OK, "{next:?}");
        assert_eq!(hidden(&page.text(), "next"), "/dashboard", "{next:?}");
    }
    let r = form_login(&anon, COMMUNE, &enc("/dashboard/records?unit=11533")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/dashboard/records?unit=11533");
    let r = form_login(&anon, COMMUNE, &enc("/teams?unit=11533")).await;
    assert_eq!(r.location(), "/teams?unit=11533");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_checks_beyond_the_slots_wait_then_get_503() {
    // One slot, no wait: of 12 logins at once from 12 clients, those finding the slot taken
    // are answered 503 `unavailable` with `Retry-After`, and were not counted.
    let d = web_dash(
        |c| c,
        |s| SessionConfig {
            hash_permits: 1,
            hash_wait: Duration::from_millis(1),
            ..s
        },
    )
    .await;
    let anon = Client::anonymous(&d.router);
    let mut set = tokio::task::JoinSet::new();
    for i in 0..12 {
        let c = anon.clone();
        set.spawn(async move {
            let peer = format!("10.1.0.{i}:4000");
            c.send(json_login(
                &format!("user{i}"),
                "wrong password",
                Some(&peer),
                &[],
            ))
            .await
        });
    }
    let (mut failed, mut busy) = (0, 0);
    while let Some(r) = set.join_next().await {
        let r = r.unwrap();
        match r.code().as_str() {
            "login_failed" => failed += 1,
            "unavailable" => {
                assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
                assert!(r.headers.contains_key(header::RETRY_AFTER));
                busy += 1;
            }
            other => panic!("unexpected answer {other}: {}", r.text()),
        }
    }
    assert!(busy > 0, "no login was turned away ({failed} checked)");
    assert_eq!(d.web.password_checks(), failed);
    // With the default wait, every login gets a slot in turn.
    let d = web_dash(
        |c| c,
        |s| SessionConfig {
            hash_permits: 1,
            ..s
        },
    )
    .await;
    let anon = Client::anonymous(&d.router);
    let mut set = tokio::task::JoinSet::new();
    for i in 0..6 {
        let c = anon.clone();
        set.spawn(async move {
            c.send(json_login(&format!("user{i}"), "wrong", None, &[]))
                .await
        });
    }
    while let Some(r) = set.join_next().await {
        assert_eq!(r.unwrap().code(), "login_failed");
    }
}

const PROXY: &str = "127.0.0.1:50000";
const XFF: &str = "x-forwarded-for";

#[tokio::test]
async fn behind_a_trusted_proxy_an_attacker_does_not_lock_the_officer_out() {
    let d = web_dash(
        |c| ServerConfig {
            trusted_proxy_header: Some(header::HeaderName::from_static(XFF)),
            ..c
        },
        |s| SessionConfig {
            account_delay: Duration::from_millis(300),
            ..s
        },
    )
    .await;
    let anon = Client::anonymous(&d.router);
    // Every request reaches the server from the proxy's address; the attacker's client is
    // the last address of the header (earlier ones are the client's own claims).
    for i in 0..8 {
        let r = anon
            .send(json_login(
                COMMUNE.0,
                "wrong password",
                Some(PROXY),
                &[(XFF, &format!("198.51.100.{i}, 203.0.113.9"))],
            ))
            .await;
        let want = if i < 5 {
            "login_failed"
        } else {
            "too_many_attempts"
        };
        assert_eq!(r.code(), want, "attempt {i}");
    }
    // The officer, from another client, still logs in: after the account's delay.
    let t = Instant::now();
    let r = anon
        .send(json_login(
            COMMUNE.0,
            COMMUNE.1,
            Some(PROXY),
            &[(XFF, "192.0.2.44")],
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(t.elapsed() >= Duration::from_millis(300), "no delay");
    // And through the HTML form too.
    let page = anon.get("/login").await;
    let token = hidden(&page.text(), "csrf");
    let cookie_val = cookie_of(&page, "danvan_login_csrf").unwrap();
    let mut req = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, format!("danvan_login_csrf={cookie_val}"))
        .header(XFF, "203.0.113.9")
        .body(Body::from(format!(
            "username={}&password={}&csrf={}",
            COMMUNE.0,
            enc(COMMUNE.1),
            enc(&token)
        )))
        .unwrap();
    req.extensions_mut()
        .insert(ConnectInfo::<SocketAddr>(PROXY.parse().unwrap()));
    // The attacker's client is refused even with the right password.
    assert_eq!(anon.send(req).await.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn the_forwarded_header_is_ignored_unless_configured() {
    let d = web_dash(|c| c, |s| s).await;
    let anon = Client::anonymous(&d.router);
    // A client rotating made-up addresses in the header is still one client.
    for i in 0..7 {
        let r = anon
            .send(json_login(
                COMMUNE.0,
                "wrong password",
                Some("203.0.113.9:1234"),
                &[(XFF, &format!("10.9.9.{i}"))],
            ))
            .await;
        let want = if i < 5 {
            "login_failed"
        } else {
            "too_many_attempts"
        };
        assert_eq!(r.code(), want, "attempt {i}");
        if i >= 5 {
            assert!(r.headers.contains_key(header::RETRY_AFTER));
        }
    }
    // Another socket address is another client.
    let r = anon
        .send(json_login(
            COMMUNE.0,
            COMMUNE.1,
            Some("192.0.2.44:1234"),
            &[],
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
}

/// `VmRSS` and `VmHWM` (peak) of this process, in MiB.
fn rss_mib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<u64>().ok())
            .map_or(0, |kb| kb / 1024)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// 200 concurrent wrong logins from 200 clients; prints RSS before and after. `permits`
/// password-check slots (the default: the cores; 200 = no bound, as before issue 11).
async fn login_flood(permits: usize) -> (u64, u64, u64) {
    let d = web_dash(
        |c| c,
        |s| SessionConfig {
            hash_permits: permits,
            hash_wait: Duration::from_secs(3),
            ..s
        },
    )
    .await;
    let anon = Client::anonymous(&d.router);
    // Warm up (the dummy hash, the runtime's threads).
    anon.send(json_login("warm.up", "wrong", None, &[])).await;
    let (before, _) = rss_mib();
    let mut set = tokio::task::JoinSet::new();
    for i in 0..200 {
        let c = anon.clone();
        set.spawn(async move {
            let peer = format!("10.{}.{}.1:4000", i / 250, i % 250);
            c.send(json_login(&format!("u{i}"), "wrong", Some(&peer), &[]))
                .await
                .status
        });
    }
    let mut by_status = std::collections::BTreeMap::new();
    while let Some(s) = set.join_next().await {
        *by_status.entry(s.unwrap().as_u16()).or_insert(0) += 1;
    }
    let (after, peak) = rss_mib();
    println!(
        "login flood, {permits} slots: RSS {before} MiB before, {after} MiB after, peak {peak} MiB; answers {by_status:?}; {} password checks",
        d.web.password_checks()
    );
    (before, after, peak)
}

/// Run alone (one process per figure):
/// `cargo test -p danvan-server --test integration login_flood_rss -- --ignored --nocapture --exact login_hardening::login_flood_rss_bounded`
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "measures this process's RSS: run alone"]
async fn login_flood_rss_bounded() {
    let (_, _, peak) = login_flood(SessionConfig::default().hash_permits).await;
    assert!(peak < 250, "peak RSS {peak} MiB");
}

/// The same flood without the bound (as before issue 11), for comparison.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "measures this process's RSS: run alone"]
async fn login_flood_rss_unbounded() {
    login_flood(200).await;
}
