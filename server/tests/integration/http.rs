//! HTTP behaviour: health, metrics, error JSON, body limit, enrollment and device auth.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::Utc;
use danvan_server::roles::Role;
use danvan_server::storage::Storage;
use danvan_server::{ServerConfig, app, serve};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::ServiceExt;

use crate::support::{TestDb, both_backends, state};

async fn call(router: &axum::Router, req: Request<Body>) -> (StatusCode, String) {
    let resp = router.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(bytes.to_vec()).unwrap())
}

fn error_code(body: &str) -> String {
    let v: Value = serde_json::from_str(body).unwrap_or_else(|_| panic!("not JSON: {body}"));
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert!(
        v["error"]["message_en"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    v["error"]["code"].as_str().unwrap().to_string()
}

fn post_json(uri: &str, body: impl Into<Body>) -> Request<Body> {
    Request::post(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .body(body.into())
        .unwrap()
}

async fn sqlite_app(config: ServerConfig) -> (axum::Router, TestDb) {
    let db = TestDb::sqlite().await;
    let st = state(db.storage(), config).await;
    (app(st), db)
}

#[tokio::test]
async fn health_metrics_and_error_json() {
    let (router, db) = sqlite_app(ServerConfig {
        body_limit: 1024,
        metrics_token: Some("test-metrics-token".into()),
        ..Default::default()
    })
    .await;

    let (status, body) = call(
        &router,
        Request::get("/healthz").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (v["status"].as_str(), v["database"].as_str()),
        (Some("ok"), Some("sqlite"))
    );

    let (status, body) = call(&router, Request::get("/nope").body(Body::empty()).unwrap()).await;
    assert_eq!(
        (status, error_code(&body).as_str()),
        (StatusCode::NOT_FOUND, "not_found")
    );

    let (status, body) = call(&router, post_json("/v1/enroll", "{not json")).await;
    assert_eq!(
        (status, error_code(&body).as_str()),
        (StatusCode::BAD_REQUEST, "bad_request")
    );
    let (status, body) = call(&router, post_json("/v1/enroll", r#"{"kode": 1}"#)).await;
    assert_eq!(
        (status, error_code(&body).as_str()),
        (StatusCode::BAD_REQUEST, "bad_request")
    );
    let no_type = Request::post("/v1/enroll").body(Body::from("{}")).unwrap();
    let (status, body) = call(&router, no_type).await;
    assert_eq!(
        (status, error_code(&body).as_str()),
        (StatusCode::BAD_REQUEST, "bad_request")
    );

    // Oversize, with and without a Content-Length the server can see up front.
    let big = format!(r#"{{"code": "{}"}}"#, "A".repeat(4000));
    let (status, body) = call(&router, post_json("/v1/enroll", big.clone())).await;
    assert_eq!(
        (status, error_code(&body).as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large")
    );
    let wrong_method = Request::delete("/healthz").body(Body::empty()).unwrap();
    let (status, body) = call(&router, wrong_method).await;
    assert_eq!(
        (status, error_code(&body).as_str()),
        (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed")
    );

    let (status, text) = call(
        &router,
        Request::get("/metrics")
            .header(header::AUTHORIZATION, "Bearer test-metrics-token")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        text.contains("# TYPE http_requests_total counter"),
        "{text}"
    );
    assert!(
        text.contains(r#"http_requests_total{method="GET",route="/healthz",status="200"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(r#"route="unmatched",status="404"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(r#"route="/v1/enroll",status="413"} 1"#),
        "{text}"
    );
    assert!(
        text.contains("http_request_duration_seconds_bucket{"),
        "{text}"
    );

    // A database that does not answer makes /healthz fail with 503 and no database text.
    if let TestDb::Sqlite { storage, .. } = &db {
        storage.close().await;
    }
    let (status, body) = call(
        &router,
        Request::get("/healthz").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(
        (status, error_code(&body).as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
    );
    assert!(!body.to_lowercase().contains("pool"), "{body}");
    db.cleanup().await;
}

/// Send raw HTTP/1.1 and return the status code and body.
async fn raw(addr: std::net::SocketAddr, request: &[u8]) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut buf = Vec::new();
    stream.read_to_end(&mut buf).await.unwrap();
    let text = String::from_utf8_lossy(&buf).to_string();
    let status = text.split(' ').nth(1).unwrap().parse().unwrap();
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

#[tokio::test]
async fn real_listener_chunked_oversize_and_graceful_shutdown() {
    let db = TestDb::sqlite().await;
    let st = state(
        db.storage(),
        ServerConfig {
            body_limit: 1024,
            ..Default::default()
        },
    )
    .await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, st, async {
        let _ = stopped.await;
    }));

    let (status, body) = raw(
        addr,
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(status, 200, "{body}");

    // Chunked: no Content-Length, so the limit bites while reading.
    let chunk = "A".repeat(900);
    let req = format!(
        "POST /v1/enroll HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n\
         {:x}\r\n{chunk}\r\n{:x}\r\n{chunk}\r\n0\r\n\r\n",
        chunk.len(),
        chunk.len()
    );
    let (status, body) = raw(addr, req.as_bytes()).await;
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("body_too_large"), "{body}");

    stop.send(()).unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(5), server)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    db.cleanup().await;
}

both_backends!(enroll_and_device_auth);

fn bearer(id: &str, secret: &str) -> String {
    format!("Bearer {id}.{secret}")
}

fn get_device(auth: Option<&str>) -> Request<Body> {
    let mut b = Request::get("/v1/device");
    if let Some(a) = auth {
        b = b.header(header::AUTHORIZATION, a);
    }
    b.body(Body::empty()).unwrap()
}

async fn enroll_and_device_auth(storage: Arc<dyn Storage>) {
    let st = state(storage.clone(), ServerConfig::default()).await;
    let req = danvan_server::enrollment::EnrollmentRequest {
        person: "Nguyễn Thị Lan".into(),
        role: Role::Mediator,
        unit: "11674-T02".into(),
        expires_hours: 72,
        created_by: "test".into(),
    };
    let issued = danvan_server::enrollment::issue(storage.as_ref(), &st.units.tree(), &req, None)
        .await
        .unwrap();
    let router = app(st);

    // Typed sloppily: lower case, spaces for dashes.
    let typed = issued.code.to_lowercase().replace('-', " ");
    let (status, body) = call(
        &router,
        post_json(
            "/v1/enroll",
            json!({"code": typed, "device_label": "Redmi"}).to_string(),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["person"], "Nguyễn Thị Lan");
    assert_eq!(v["role"], "mediator");
    assert_eq!(v["unit"], "11674-T02");
    let id = v["device_id"].as_str().unwrap().to_string();
    let secret = v["device_secret"].as_str().unwrap().to_string();
    assert_eq!(secret.len(), 43);

    let again = json!({"code": issued.code}).to_string();
    let (status, body) = call(&router, post_json("/v1/enroll", again)).await;
    assert_eq!(
        (status, error_code(&body).as_str()),
        (StatusCode::CONFLICT, "enroll_code_used")
    );
    let (status, body) = call(
        &router,
        post_json("/v1/enroll", r#"{"code":"AAAA-BBBB-CCCC"}"#),
    )
    .await;
    assert_eq!(
        (status, error_code(&body).as_str()),
        (StatusCode::BAD_REQUEST, "enroll_code_invalid")
    );
    let (status, body) = call(&router, post_json("/v1/enroll", r#"{"code":"hello"}"#)).await;
    assert_eq!(
        (status, error_code(&body).as_str()),
        (StatusCode::BAD_REQUEST, "enroll_code_invalid")
    );

    let expired = danvan_server::storage::NewEnrollment {
        code_hash: danvan_server::enrollment::hash_code("7KQ2M9XD4TPA"),
        person: "Phạm Văn An".into(),
        role: Role::Mediator,
        unit: "11674-T01".into(),
        created_at: Utc::now() - chrono::Duration::hours(100),
        expires_at: Utc::now() - chrono::Duration::hours(28),
        created_by: "test".into(),
    };
    storage.create_enrollment(&expired).await.unwrap();
    let (status, body) = call(
        &router,
        post_json("/v1/enroll", r#"{"code":"7KQ2-M9XD-4TPA"}"#),
    )
    .await;
    assert_eq!(
        (status, error_code(&body).as_str()),
        (StatusCode::GONE, "enroll_code_expired")
    );
    assert_eq!(storage.list_devices().await.unwrap().len(), 1);

    // Authenticated request.
    let good = bearer(&id, &secret);
    let (status, body) = call(&router, get_device(Some(&good))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["units"], json!(["11674-T02"]));
    assert_eq!(v["can_write"], json!(["mediation"]));
    let listed = storage.list_devices().await.unwrap();
    assert!(listed[0].last_seen_at.is_some());

    // Malformed and unknown credentials.
    for bad in [
        None,
        Some("Bearer"),
        Some("Basic abc"),
        Some("Bearer not-a-uuid.xxxxxxxxxxxxxxxxxxxxxxxxx"),
    ] {
        let (status, body) = call(&router, get_device(bad)).await;
        assert_eq!(
            (status, error_code(&body).as_str()),
            (StatusCode::UNAUTHORIZED, "auth_malformed"),
            "{bad:?}"
        );
    }
    let other = uuid::Uuid::now_v7().to_string();
    for bad in [bearer(&other, &secret), bearer(&id, &"x".repeat(43))] {
        let (status, body) = call(&router, get_device(Some(&bad))).await;
        assert_eq!(
            (status, error_code(&body).as_str()),
            (StatusCode::UNAUTHORIZED, "device_unknown")
        );
    }

    // Revocation takes effect on the very next request.
    let uuid: uuid::Uuid = id.parse().unwrap();
    storage
        .revoke_device(uuid, Utc::now())
        .await
        .unwrap()
        .unwrap();
    let (status, body) = call(&router, get_device(Some(&good))).await;
    assert_eq!(
        (status, error_code(&body).as_str()),
        (StatusCode::FORBIDDEN, "device_revoked")
    );
}
