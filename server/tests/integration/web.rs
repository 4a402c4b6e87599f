//! Dashboard pages: login, sessions, CSRF, scope, language, the lock form.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};

use crate::dash::*;

#[tokio::test]
async fn no_cookie_redirects_pages_and_refuses_api() {
    let d = dash().await;
    let anon = Client::anonymous(&d.router);
    let r = anon.get("/dashboard?unit=31&period=2025-09").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        r.location(),
        "/login?next=%2Fdashboard%3Funit%3D31%26period%3D2025-09"
    );
    let r = anon.get("/api/v1/aggregates?unit=31&period=2025-09").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.code(), "unauthenticated");
    let r = anon
        .get("/export/mediation.csv?unit=31&period=2025-09")
        .await;
    assert_eq!(r.code(), "unauthenticated");
    // A made-up cookie is no better.
    let forged = Client {
        cookie: Some("danvan_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into()),
        ..anon.clone()
    };
    assert_eq!(
        forged.get("/api/v1/session").await.code(),
        "unauthenticated"
    );
}

#[tokio::test]
async fn login_sets_a_strict_secure_cookie_and_lands_on_the_dashboard() {
    let d = dash().await;
    let anon = Client::anonymous(&d.router);
    let page = anon.get("/login").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("Đăng nhập"));
    let login_cookie = page
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("danvan_login_csrf="))
        .unwrap();
    for attr in ["Secure", "HttpOnly", "SameSite=Strict", "Path=/login"] {
        assert!(login_cookie.contains(attr), "{login_cookie}");
    }
    let token = hidden(&page.text(), "csrf");
    let cookie_val = cookie_of(&page, "danvan_login_csrf").unwrap();
    let resp = anon
        .send(
            Request::post("/login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::COOKIE, format!("danvan_login_csrf={cookie_val}"))
                .body(Body::from(format!(
                    "username={}&password={}&csrf={}&next=%2Fdashboard%3Funit%3D11533",
                    CITY.0,
                    enc(CITY.1),
                    enc(&token)
                )))
                .unwrap(),
        )
        .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER);
    assert_eq!(resp.location(), "/dashboard?unit=11533");
    let session = resp
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("danvan_session="))
        .unwrap();
    for attr in [
        "Secure",
        "HttpOnly",
        "SameSite=Strict",
        "Path=/",
        "Max-Age=",
    ] {
        assert!(session.contains(attr), "{session}");
    }
    // Only the hash of the token is stored.
    let token = cookie_of(&resp, "danvan_session").unwrap();
    let hash = danvan_server::web::session::token_hash(&token);
    let now = chrono::Utc::now();
    let row = d
        .storage
        .session(&hash, now, now - chrono::Duration::hours(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.username, CITY.0);
    assert_ne!(row.token_hash, token);
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_generic_answer() {
    let d = dash().await;
    let anon = Client::anonymous(&d.router);
    let mut bodies = Vec::new();
    for (user, pw) in [(CITY.0, "sai mật khẩu rồi"), ("nobody.here", CITY.1)] {
        let r = anon
            .post_json(
                "/api/v1/session",
                serde_json::json!({"username": user, "password": pw}),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(r.code(), "login_failed");
        assert!(cookie_of(&r, "danvan_session").is_none());
        bodies.push(r.text());
    }
    assert_eq!(
        bodies[0], bodies[1],
        "the answer must not tell which was wrong"
    );
    // The HTML form says the same, generically.
    let page = anon.get("/login").await;
    let token = hidden(&page.text(), "csrf");
    let cookie_val = cookie_of(&page, "danvan_login_csrf").unwrap();
    let r = anon
        .send(
            Request::post("/login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::COOKIE, format!("danvan_login_csrf={cookie_val}"))
                .body(Body::from(format!(
                    "username={}&password=wrong-password&csrf={}",
                    CITY.0,
                    enc(&token)
                )))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.text().contains("Tên đăng nhập hoặc mật khẩu không đúng."));
}

#[tokio::test]
async fn repeated_failures_are_throttled_even_with_the_right_password() {
    let d = dash().await;
    let anon = Client::anonymous(&d.router);
    for _ in 0..5 {
        let r = anon
            .post_json(
                "/api/v1/session",
                serde_json::json!({"username": COMMUNE.0, "password": "wrong password!"}),
                None,
            )
            .await;
        assert_eq!(r.code(), "login_failed");
    }
    let r = anon
        .post_json(
            "/api/v1/session",
            serde_json::json!({"username": COMMUNE.0, "password": COMMUNE.1}),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.code(), "too_many_attempts");
    // Another user is not affected.
    let r = anon
        .post_json(
            "/api/v1/session",
            serde_json::json!({"username": CITY.0, "password": CITY.1}),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn login_form_without_matching_csrf_cookie_is_refused() {
    let d = dash().await;
    let anon = Client::anonymous(&d.router);
    let page = anon.get("/login").await;
    let token = hidden(&page.text(), "csrf");
    let body = format!(
        "username={}&password={}&csrf={}",
        CITY.0,
        enc(CITY.1),
        enc(&token)
    );
    // Token in the form but no cookie (a cross-site form post cannot set it).
    let r = anon.post_form("/login", &body).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(cookie_of(&r, "danvan_session").is_none());
}

#[tokio::test]
async fn csrf_missing_wrong_or_cross_origin_is_403() {
    let d = dash().await;
    let c = Client::login(&d.router, COMMUNE).await;
    let lock = serde_json::json!({"unit": HOA_BINH, "period": PERIOD});
    // API: no header, wrong header.
    let r = c.post_json("/api/v1/locks", lock.clone(), None).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::FORBIDDEN, "csrf_failed")
    );
    let r = c
        .post_json("/api/v1/locks", lock.clone(), Some("not-the-token"))
        .await;
    assert_eq!(r.code(), "csrf_failed");
    // Form: missing and wrong token.
    let r = c
        .post_form(
            "/dashboard/lock",
            &format!("unit={HOA_BINH}&period={PERIOD}"),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.text().contains("csrf_failed"));
    let r = c
        .post_form(
            "/dashboard/lock",
            &format!("unit={HOA_BINH}&period={PERIOD}&csrf=wrong"),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Right token but posted from another site.
    let r = c
        .send(
            Request::post("/dashboard/lock")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::HOST, "127.0.0.1:8080")
                .header(header::ORIGIN, "http://evil.example")
                .body(Body::from(format!(
                    "unit={HOA_BINH}&period={PERIOD}&csrf={}",
                    enc(&c.csrf)
                )))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Nothing was locked by any of these.
    let rep = c
        .get(&format!(
            "/api/v1/aggregates?unit={HOA_BINH}&period={PERIOD}"
        ))
        .await;
    assert!(rep.json()["lock"].is_null());
    // Logout without the token is refused too.
    let r = c.post_form("/logout", "").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn commune_officer_locks_the_period_with_the_form() {
    let d = dash().await;
    let c = Client::login(&d.router, COMMUNE).await;
    let page = c
        .get(&format!("/dashboard?unit={HOA_BINH}&period={PERIOD}"))
        .await;
    let html = page.text();
    assert!(html.contains("id=\"lock-form\""));
    assert!(html.contains("Khóa kỳ báo cáo"));
    assert!(html.contains("data-locked=\"false\""));
    let token = hidden(&html[html.find("id=\"lock-form\"").unwrap()..], "csrf");
    assert_eq!(token, c.csrf);
    let r = c
        .send(
            Request::post("/dashboard/lock")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::HOST, "127.0.0.1:8080")
                .header(header::ORIGIN, "http://127.0.0.1:8080")
                .body(Body::from(format!(
                    "unit={HOA_BINH}&period={PERIOD}&csrf={}",
                    enc(&token)
                )))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let page = c.get(&r.location()).await.text();
    assert!(page.contains("data-locked=\"true\""));
    assert!(page.contains("Đã khóa kỳ báo cáo."));
    assert!(!page.contains("id=\"lock-form\""));
    let api = c
        .get(&format!(
            "/api/v1/aggregates?unit={HOA_BINH}&period={PERIOD}"
        ))
        .await
        .json();
    assert_eq!(api["lock"]["locked_by"], COMMUNE.0);
    // The city sees the lock in completeness.
    let city = Client::login(&d.router, CITY).await;
    let comp = city
        .get(&format!("/api/v1/completeness?unit=31&period={PERIOD}"))
        .await
        .json();
    let row = comp["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["unit"]["code"] == HOA_BINH)
        .unwrap();
    assert!(row["locked_at"].is_string());
    // A city officer cannot lock.
    let r = city
        .post_json(
            "/api/v1/locks",
            serde_json::json!({"unit": THUY_NGUYEN, "period": PERIOD}),
            Some(&city.csrf),
        )
        .await;
    assert_eq!(r.code(), "lock_forbidden");
}

#[tokio::test]
async fn logout_ends_the_session() {
    let d = dash().await;
    let c = Client::login(&d.router, CITY).await;
    assert_eq!(c.get("/api/v1/session").await.status, StatusCode::OK);
    let r = c
        .post_form("/logout", &format!("csrf={}", enc(&c.csrf)))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(r.location(), "/login");
    assert!(
        r.set_cookies()
            .iter()
            .any(|s| s.starts_with("danvan_session=;") && s.contains("Max-Age=0"))
    );
    // The old cookie no longer works, even if the browser kept it.
    assert_eq!(c.get("/api/v1/session").await.code(), "unauthenticated");
    assert_eq!(c.get("/dashboard").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn sessions_expire_when_idle_and_after_their_lifetime() {
    let d = dash_with(|s| {
        s.with_sessions(danvan_server::state::SessionConfig {
            lifetime: chrono::Duration::seconds(3),
            idle_timeout: chrono::Duration::seconds(1),
            ..Default::default()
        })
    })
    .await;
    let c = Client::login(&d.router, CITY).await;
    assert_eq!(c.get("/api/v1/session").await.status, StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(1300)).await;
    assert_eq!(c.get("/api/v1/session").await.code(), "unauthenticated");
    // Absolute lifetime: kept busy, it still ends.
    let c = Client::login(&d.router, CITY).await;
    let start = std::time::Instant::now();
    let mut ended = false;
    while start.elapsed() < std::time::Duration::from_secs(5) {
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        if c.get("/api/v1/session").await.status == StatusCode::UNAUTHORIZED {
            ended = true;
            break;
        }
    }
    assert!(ended, "a session must end after its lifetime");
    assert!(start.elapsed() >= std::time::Duration::from_millis(2500));
}

#[tokio::test]
async fn scope_unknown_unit_and_bad_period() {
    let d = dash().await;
    let c = Client::login(&d.router, OTHER_COMMUNE).await;
    let r = c
        .get(&format!(
            "/api/v1/aggregates?unit={HOA_BINH}&period={PERIOD}"
        ))
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::FORBIDDEN, "out_of_scope")
    );
    let r = c
        .get(&format!("/dashboard?unit={HOA_BINH}&period={PERIOD}"))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.text().contains("data-error-code=\"out_of_scope\""));
    let r = c.get(&format!("/dashboard?unit=31&period={PERIOD}")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = c.get("/api/v1/aggregates?unit=99999&period=2025-09").await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::NOT_FOUND, "not_found")
    );
    for bad in ["2025-13", "2025-Q5", "25-09", "abc", ""] {
        let r = c
            .get(&format!(
                "/api/v1/aggregates?unit={THUY_NGUYEN}&period={bad}"
            ))
            .await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (StatusCode::BAD_REQUEST, "bad_period"),
            "{bad}"
        );
    }
    let r = c
        .get(&format!(
            "/export/mediation.csv?unit={THUY_NGUYEN}&period=x"
        ))
        .await;
    assert_eq!(r.code(), "bad_period");
}

#[tokio::test]
async fn drill_down_from_city_to_commune_and_language_switch() {
    let d = dash().await;
    let c = Client::login(&d.router, CITY).await;
    let city = c.get(&format!("/dashboard?unit=31&period={PERIOD}")).await;
    assert_eq!(city.status, StatusCode::OK);
    let html = city.text();
    assert!(html.contains("<html lang=\"vi\">"));
    assert!(html.contains("Thành phố Hải Phòng"));
    assert!(html.replace("&#38;", "&").contains(&format!(
        "href=\"/dashboard?unit={HOA_BINH}&period={PERIOD}\""
    )));
    assert!(html.contains("<svg"), "charts are inline SVG");
    assert!(html.contains("id=\"communes-table\""), "one commune table");
    assert!(html.contains("id=\"attention\""), "the attention list");
    assert!(
        !html.contains("records-link"),
        "no record list above the commune"
    );
    let commune = c
        .get(&format!(
            "/dashboard?unit={HOA_BINH}&period={PERIOD}&lang=en"
        ))
        .await;
    assert!(
        commune
            .set_cookies()
            .iter()
            .any(|s| s.starts_with("lang=en"))
    );
    let html = commune.text();
    assert!(html.contains("<html lang=\"en\">"));
    assert!(html.contains("Grassroots mediation"));
    // Above the commune the drill-down stops at the commune (ADR 0012): no village row, and
    // a notice says why.
    assert!(
        !html.contains("Tổ dân phố số 1 (mẫu)"),
        "a village row shown to the city officer"
    );
    assert!(html.contains("id=\"disclosure-note\""));
    assert!(html.contains("lines below the commune are not shown"));
    let village = c
        .get(&format!("/dashboard?unit=11533-T01&period={PERIOD}"))
        .await;
    assert_eq!(village.status, StatusCode::FORBIDDEN);
    // The figure on the page is the API's.
    let api = c
        .get(&format!(
            "/api/v1/aggregates?unit={HOA_BINH}&period={PERIOD}"
        ))
        .await
        .json();
    let successful = api["totals"]["mediation"]["successful"].as_u64().unwrap();
    assert_eq!(successful, 3);
    assert!(html.contains(&format!(
        "data-indicator=\"mediation.successful\">{successful}<"
    )));
    // The cookie keeps English on the next page.
    let next = c
        .send(
            Request::get(format!("/dashboard?unit=31&period={PERIOD}"))
                .header(
                    header::COOKIE,
                    format!("{}; lang=en", c.cookie.clone().unwrap()),
                )
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert!(next.text().contains("Needs attention"));
    // Security headers.
    let csp = commune.headers.get("content-security-policy").unwrap();
    assert!(csp.to_str().unwrap().contains("default-src 'self'"));
}

#[tokio::test]
async fn css_is_served_from_the_binary() {
    let d = dash().await;
    let r = Client::anonymous(&d.router).get("/static/danvan.css").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains("svg .bar"));
}

mod sessions_storage {
    //! The sessions table on both backends.
    use std::sync::Arc;

    use chrono::{Duration, Utc};
    use danvan_server::roles::Role;
    use danvan_server::storage::Storage;
    use danvan_server::storage::sessions::SessionRow;

    use crate::support::{both_backends, haiphong};

    async fn sessions_live_expire_and_are_deleted(s: Arc<dyn Storage>) {
        let units = haiphong(s.as_ref()).await;
        danvan_server::users::add_user(
            s.as_ref(),
            &units.tree(),
            "lan.officer",
            Role::CityOfficer,
            "31",
            "mật khẩu đủ dài",
        )
        .await
        .unwrap();
        let now = Utc::now();
        let row = |hash: &str, expires: Duration, seen: Duration| SessionRow {
            token_hash: hash.into(),
            username: "lan.officer".into(),
            csrf_token: format!("csrf-{hash}"),
            created_at: now - Duration::hours(1),
            expires_at: now + expires,
            last_seen: now - seen,
        };
        s.create_session(&row("live", Duration::hours(1), Duration::minutes(1)))
            .await
            .unwrap();
        s.create_session(&row("expired", -Duration::seconds(1), Duration::zero()))
            .await
            .unwrap();
        s.create_session(&row("idle", Duration::hours(1), Duration::hours(2)))
            .await
            .unwrap();
        let idle_since = now - Duration::minutes(30);
        let live = s.session("live", now, idle_since).await.unwrap().unwrap();
        assert_eq!(live.csrf_token, "csrf-live");
        assert!(live.last_seen >= now - Duration::seconds(1), "touched");
        assert!(
            s.session("expired", now, idle_since)
                .await
                .unwrap()
                .is_none()
        );
        assert!(s.session("idle", now, idle_since).await.unwrap().is_none());
        assert!(
            s.session("unknown", now, idle_since)
                .await
                .unwrap()
                .is_none()
        );
        // Expired and idle rows were deleted when met; purge finds nothing more.
        assert_eq!(s.purge_sessions(now, idle_since).await.unwrap(), 0);
        assert!(s.delete_session("live").await.unwrap());
        assert!(!s.delete_session("live").await.unwrap());
        assert!(s.session("live", now, idle_since).await.unwrap().is_none());
        s.create_session(&row("old", -Duration::seconds(5), Duration::zero()))
            .await
            .unwrap();
        assert_eq!(s.purge_sessions(now, idle_since).await.unwrap(), 1);
    }

    async fn record_list_is_per_unit_newest_first(s: Arc<dyn Storage>) {
        haiphong(s.as_ref()).await;
        crate::dash::seed(s.as_ref()).await;
        let rows = s
            .records_under(
                &["11533-T01".into(), "11533-T02".into(), "11533".into()],
                100,
            )
            .await
            .unwrap();
        assert_eq!(rows.len(), 9);
        assert!(rows.windows(2).all(|w| w[0].main_date >= w[1].main_date));
        let two = s.records_under(&["11533-T01".into()], 2).await.unwrap();
        assert_eq!(two.len(), 2);
        assert!(
            s.records_under(&["11560-T01".into()], 100)
                .await
                .unwrap()
                .len()
                == 2
        );
    }

    both_backends!(
        sessions_live_expire_and_are_deleted,
        record_list_is_per_unit_newest_first
    );
}

#[tokio::test]
async fn before_july_2025_the_drill_down_goes_through_districts() {
    let d = dash().await;
    let c = Client::login(&d.router, CITY).await;
    let city = c.get("/dashboard?unit=31&period=2025-03").await;
    assert_eq!(city.status, StatusCode::OK);
    let html = city.text().replace("&#38;", "&");
    let district = "31.thanh-pho-thuy-nguyen";
    assert!(
        html.contains(&format!(
            "href=\"/dashboard?unit={district}&period=2025-03\""
        )),
        "the city's children are its districts before July 2025"
    );
    let page = c
        .get(&format!("/dashboard?unit={district}&period=2025-03"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text().replace("&#38;", "&");
    assert!(html.contains("Thành phố Thuỷ Nguyên"));
    // Breadcrumbs go back up to the city, the children are the old communes.
    assert!(html.contains("href=\"/dashboard?unit=31&period=2025-03\""));
    assert!(html.contains("Phường An Lư"));
    // The same district does not exist in September 2025.
    let gone = c
        .get(&format!(
            "/api/v1/aggregates?unit={district}&period=2025-09"
        ))
        .await;
    assert_eq!(gone.code(), "not_found");
}
