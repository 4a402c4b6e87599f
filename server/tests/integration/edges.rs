//! The server's edges (issue 11 items 10–13): text checked at the edge the same way on both
//! backends (400 `invalid_text`, never a 500 from PostgreSQL), the enrollment rate limit (429
//! `enroll_rate_limited` with `Retry-After`), `/metrics` off the public listener unless a token
//! is configured, and locks refused for periods that have not started or in which the commune's
//! code named another commune.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode, header};
use danvan_server::error::{ApiError, ErrorCode};
use danvan_server::roles::Role;
use danvan_server::storage::Storage;
use danvan_server::{AppState, ServerConfig, app};
use serde_json::json;

use crate::dash::{Client, Resp, cookie_of, enc, hidden};
use crate::support::{both_backends, state};

const OFFICER: (&str, &str) = ("thu.hoabinh", "mật khẩu xã Hòa Bình");

both_backends!(
    nul_in_a_username_is_400_invalid_text,
    nul_in_a_record_id_is_400_invalid_text,
    nul_in_a_device_label_is_400_invalid_text,
    locks_refused_before_start_and_under_another_commune,
);

/// The app with the Hải Phòng units and a Hòa Bình commune officer.
async fn fixture(storage: Arc<dyn Storage>, config: ServerConfig) -> (Router, AppState) {
    let st = state(Arc::clone(&storage), config).await;
    danvan_server::users::add_user(
        storage.as_ref(),
        &st.units.tree(),
        OFFICER.0,
        Role::CommuneOfficer,
        "11533",
        OFFICER.1,
    )
    .await
    .unwrap();
    (app(st.clone()), st)
}

fn json_req(uri: &str, body: serde_json::Value) -> Request<Body> {
    Request::post(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

fn from(req: Request<Body>, ip: [u8; 4]) -> Request<Body> {
    let mut req = req;
    req.extensions_mut().insert(ConnectInfo(SocketAddr::new(
        IpAddr::V4(Ipv4Addr::from(ip)),
        40_000,
    )));
    req
}

async fn nul_in_a_username_is_400_invalid_text(storage: Arc<dyn Storage>) {
    let (router, _) = fixture(storage, ServerConfig::default()).await;
    let c = Client::anonymous(&router);
    // The JSON API.
    for username in ["thu\u{0}hoabinh", "thu\u{1b}[31m", &"a".repeat(1000)] {
        let r = c
            .post_json(
                "/api/v1/session",
                json!({"username": username, "password": "x"}),
                None,
            )
            .await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (StatusCode::BAD_REQUEST, "invalid_text"),
            "{}",
            r.text()
        );
    }
    // The HTML form.
    let page = c.get("/login").await;
    let token = hidden(&page.text(), "csrf");
    let cookie = cookie_of(&page, "danvan_login_csrf").unwrap();
    let r = c
        .send(
            Request::post("/login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::COOKIE, format!("danvan_login_csrf={cookie}"))
                .body(Body::from(format!(
                    "username={}&password=x&csrf={}",
                    enc("thu\u{0}hoabinh"),
                    enc(&token)
                )))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    assert!(r.text().contains("invalid_text"), "{}", r.text());
    // A real login still works.
    let r = c
        .post_json(
            "/api/v1/session",
            json!({"username": OFFICER.0, "password": OFFICER.1}),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
}

async fn nul_in_a_record_id_is_400_invalid_text(storage: Arc<dyn Storage>) {
    let (router, _) = fixture(storage, ServerConfig::default()).await;
    let c = Client::login(&router, OFFICER).await;
    for id in ["abc%00def", "%1b", &"a".repeat(200)] {
        let r = c.get(&format!("/dashboard/records/{id}")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{id}: {}", r.text());
        assert!(r.text().contains("invalid_text"), "{}", r.text());
    }
    // A well-formed id that does not exist is still 404.
    let r = c
        .get("/dashboard/records/0190a000-0000-7000-8000-000000000000")
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

async fn issue_code(st: &AppState, storage: &dyn Storage) -> String {
    let req = danvan_server::enrollment::EnrollmentRequest {
        person: "Nguyễn Thị Lan".into(),
        role: Role::Mediator,
        unit: "11533-T01".into(),
        expires_hours: 72,
        created_by: "test".into(),
    };
    danvan_server::enrollment::issue(storage, &st.units.tree(), &req, None)
        .await
        .unwrap()
        .code
}

async fn send(router: &Router, req: Request<Body>) -> Resp {
    Client::anonymous(router).send(req).await
}

async fn nul_in_a_device_label_is_400_invalid_text(storage: Arc<dyn Storage>) {
    let (router, st) = fixture(Arc::clone(&storage), ServerConfig::default()).await;
    let code = issue_code(&st, storage.as_ref()).await;
    for label in ["Redmi\u{0}", "Redmi\nNote", &"x".repeat(101)] {
        let r = send(
            &router,
            json_req("/v1/enroll", json!({"code": code, "device_label": label})),
        )
        .await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (StatusCode::BAD_REQUEST, "invalid_text"),
            "{}",
            r.text()
        );
    }
    // The code was not spent by the refused requests.
    let r = send(
        &router,
        json_req(
            "/v1/enroll",
            json!({"code": code, "device_label": "  Redmi Note 12  "}),
        ),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    // The person's name an administrator types is checked the same way.
    let bad = danvan_server::enrollment::EnrollmentRequest {
        person: "Lan\u{0}".into(),
        role: Role::Mediator,
        unit: "11533-T01".into(),
        expires_hours: 72,
        created_by: "test".into(),
    };
    let e = danvan_server::enrollment::issue(storage.as_ref(), &st.units.tree(), &bad, None)
        .await
        .unwrap_err();
    assert!(matches!(e, danvan_server::Error::Invalid(_)), "{e}");
}

fn api_code(e: danvan_server::Error) -> ErrorCode {
    ApiError::from(e).code
}

async fn locks_refused_before_start_and_under_another_commune(storage: Arc<dyn Storage>) {
    let (router, st) = fixture(storage, ServerConfig::default()).await;
    let agg = &st.aggregator;
    let p = |k: &str| agg.periods().period(k).unwrap();

    // The aggregator: 11533 named Phường An Lư in 2025-Q1; Hòa Bình (11533 today) did not exist.
    let e = agg
        .lock_period("11533", &p("2025-Q1"), "x")
        .await
        .unwrap_err();
    assert_eq!(api_code(e), ErrorCode::LockUnitNotInForce);
    let e = agg
        .lock_period("11533", &p("2025-H1"), "x")
        .await
        .unwrap_err();
    assert_eq!(api_code(e), ErrorCode::LockUnitNotInForce);
    // A period that has not started.
    let e = agg
        .lock_period("11533", &p("2099-Q4"), "x")
        .await
        .unwrap_err();
    assert_eq!(api_code(e), ErrorCode::PeriodNotStarted);
    // Hòa Bình's own periods lock.
    agg.lock_period("11533", &p("2025-Q3"), "x").await.unwrap();

    // The API and the dashboard go through the same checks.
    let c = Client::login(&router, OFFICER).await;
    for (period, status, code) in [
        ("2025-Q1", StatusCode::CONFLICT, "lock_unit_not_in_force"),
        ("2025-06", StatusCode::CONFLICT, "lock_unit_not_in_force"),
        ("2099-Q4", StatusCode::CONFLICT, "period_not_started"),
        ("2099", StatusCode::CONFLICT, "period_not_started"),
    ] {
        let r = c
            .post_json(
                "/api/v1/locks",
                json!({"unit": "11533", "period": period}),
                Some(&c.csrf),
            )
            .await;
        assert_eq!((r.status, r.code().as_str()), (status, code), "{period}");
    }
    let r = c
        .post_json(
            "/api/v1/locks",
            json!({"unit": "11533", "period": "2025-09"}),
            Some(&c.csrf),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = c
        .post_form(
            "/dashboard/lock",
            &format!("unit=11533&period=2025-Q1&csrf={}", enc(&c.csrf)),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    assert!(r.text().contains("lock_unit_not_in_force"), "{}", r.text());
    // Nothing was locked for the refused periods.
    for period in ["2025-Q1", "2025-06", "2099-Q4"] {
        let a = c
            .get(&format!("/api/v1/aggregates?unit=11533&period={period}"))
            .await
            .json();
        assert!(a["lock"].is_null(), "{period}: {a}");
    }
}

#[tokio::test]
async fn enroll_is_rate_limited_per_address_and_globally() {
    let db = crate::support::TestDb::sqlite().await;
    let (router, _) = fixture(db.storage(), ServerConfig::default()).await;
    let wrong = || json_req("/v1/enroll", json!({"code": "AAAA-BBBB-CCCC"}));

    // 300 wrong codes at once from one address: only the first few are answered.
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..300 {
        let (router, req) = (router.clone(), from(wrong(), [10, 0, 0, 1]));
        set.spawn(async move { send(&router, req).await });
    }
    let (mut answered, mut limited) = (0, 0);
    while let Some(r) = set.join_next().await {
        let r = r.unwrap();
        match r.status {
            StatusCode::BAD_REQUEST => {
                assert_eq!(r.code(), "enroll_code_invalid");
                answered += 1;
            }
            StatusCode::TOO_MANY_REQUESTS => {
                assert_eq!(r.code(), "enroll_rate_limited");
                let after: u64 = r.headers[header::RETRY_AFTER]
                    .to_str()
                    .unwrap()
                    .parse()
                    .unwrap();
                assert!((1..=60).contains(&after), "{after}");
                limited += 1;
            }
            s => panic!("{s}: {}", r.text()),
        }
    }
    assert!(answered <= 10, "{answered} answered");
    assert_eq!(answered + limited, 300);

    // Another address is still answered.
    let r = send(&router, from(wrong(), [10, 0, 0, 2])).await;
    assert_eq!(r.code(), "enroll_code_invalid");

    // Many addresses: the global limit holds them all.
    let mut limited_fresh = false;
    for i in 0..100u8 {
        for _ in 0..5 {
            let r = send(&router, from(wrong(), [10, 1, i, 1])).await;
            if r.status == StatusCode::TOO_MANY_REQUESTS {
                assert_eq!(r.code(), "enroll_rate_limited");
                assert!(r.headers.contains_key(header::RETRY_AFTER));
                limited_fresh = true;
            }
        }
        if limited_fresh {
            // A fresh address is limited too, with its first request.
            let r = send(&router, from(wrong(), [10, 2, i, 1])).await;
            assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
            break;
        }
    }
    assert!(limited_fresh, "the global limit never applied");
    db.cleanup().await;
}

#[tokio::test]
async fn metrics_are_off_the_main_listener_unless_a_token_is_set() {
    let db = crate::support::TestDb::sqlite().await;
    let get = |auth: Option<&str>| {
        let mut b = Request::get("/metrics");
        if let Some(a) = auth {
            b = b.header(header::AUTHORIZATION, a);
        }
        b.body(Body::empty()).unwrap()
    };
    // Not configured: 404, whatever is sent.
    let (router, _) = fixture(db.storage(), ServerConfig::default()).await;
    let r = send(&router, get(None)).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::NOT_FOUND, "not_found")
    );
    let r = send(&router, get(Some("Bearer anything"))).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // With a token: 401 without it or with another, the metrics with it.
    let st = AppState::new(
        db.storage(),
        danvan_server::Units::load(db.storage().as_ref())
            .await
            .unwrap(),
        ServerConfig {
            metrics_token: Some("s3cret-metrics-token".into()),
            ..ServerConfig::default()
        },
    );
    let router = app(st);
    for auth in [None, Some("Bearer wrong"), Some("s3cret-metrics-token")] {
        let r = send(&router, get(auth)).await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (StatusCode::UNAUTHORIZED, "metrics_unauthorized"),
            "{auth:?}"
        );
        assert!(r.headers.contains_key(header::WWW_AUTHENTICATE));
    }
    let r = send(&router, get(Some("Bearer s3cret-metrics-token"))).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains("# TYPE http_requests_total counter"));
    db.cleanup().await;
}

#[test]
fn serve_takes_a_metrics_token_from_the_command_line_or_the_environment() {
    use clap::Parser;
    use danvan_server::config::{Cli, Command};
    let cli = Cli::try_parse_from(["danvan-server", "serve", "--metrics-token", "abc"]).unwrap();
    let Command::Serve(args) = cli.command else {
        panic!("not serve")
    };
    assert_eq!(args.metrics_token.as_deref(), Some("abc"));
    let cli = Cli::try_parse_from(["danvan-server", "serve"]).unwrap();
    let Command::Serve(args) = cli.command else {
        panic!("not serve")
    };
    // Off by default (unless DANVAN_METRICS_TOKEN is set in the test's environment).
    if std::env::var_os("DANVAN_METRICS_TOKEN").is_none() {
        assert_eq!(args.metrics_token, None);
    }
}
