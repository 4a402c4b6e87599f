//! The server as an operator runs it: a panicking handler answers JSON 500 `internal` and the
//! connection lives on, every request has an id (sent back and in its log span), a request over
//! the timeout answers 408 `timeout`, shutdown ends within the grace with a slow upload in
//! flight, and PostgreSQL's `sslmode` works.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::routing::get;
use danvan_server::http::app_with;
use danvan_server::state::AppState;
use danvan_server::{ServerConfig, serve};
use http_body_util::BodyExt;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tower::ServiceExt;

use crate::support::{TestDb, state};

/// Routes that misbehave, for the layers to catch.
fn test_routes() -> Router<AppState> {
    async fn boom() -> &'static str {
        panic!("a test handler broke its invariant")
    }
    async fn slow() -> &'static str {
        tokio::time::sleep(Duration::from_secs(30)).await;
        "too late"
    }
    async fn upload(body: axum::body::Bytes) -> String {
        body.len().to_string()
    }
    Router::new()
        .route("/test/upload", axum::routing::post(upload))
        .route("/test/panic", get(boom))
        .route("/test/slow", get(slow))
        .route("/test/ok", get(|| async { "ok" }))
}

/// Log lines written by a subscriber set for the current thread.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).to_string()
    }
}

fn code_of(body: &[u8]) -> String {
    let v: Value = serde_json::from_slice(body)
        .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(body)));
    assert!(
        v["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    assert!(
        v["error"]["message_en"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    v["error"]["code"].as_str().unwrap().to_string()
}

/// Read one HTTP/1.1 response (with a Content-Length) from a kept-alive connection.
async fn read_response(stream: &mut TcpStream) -> (u16, String, Vec<u8>) {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        let n = stream.read(&mut byte).await.unwrap();
        assert!(n > 0, "connection closed mid-headers: {buf:?}");
        buf.push(byte[0]);
    }
    let head = String::from_utf8(buf).unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let len: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().unwrap())
        })
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    stream.read_exact(&mut body).await.unwrap();
    (status, head, body)
}

async fn listen(router: Router) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap();
    });
    addr
}

#[tokio::test]
async fn a_panicking_handler_answers_json_500_and_the_connection_survives() {
    let db = TestDb::sqlite().await;
    let st = state(db.storage(), ServerConfig::default()).await;
    let addr = listen(app_with(st, test_routes())).await;

    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /test/panic HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let (status, head, body) = read_response(&mut stream).await;
    assert_eq!(status, 500, "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{head}"
    );
    assert_eq!(code_of(&body), "internal");
    let text = String::from_utf8_lossy(&body);
    assert!(
        !text.contains("invariant"),
        "the panic message leaked: {text}"
    );

    // Same connection, next request: still served.
    stream
        .write_all(b"GET /test/ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let (status, head, body) = read_response(&mut stream).await;
    assert_eq!((status, body.as_slice()), (200, &b"ok"[..]), "{head}");
    db.cleanup().await;
}

/// The log half of [`every_request_has_an_id_sent_back_and_in_its_log_span`], in a process of
/// its own (a thread-local subscriber in a binary whose other tests create the same spans
/// meanwhile may miss them).
#[tokio::test(flavor = "current_thread")]
async fn request_id_child() {
    if std::env::var_os("DANVAN_OPS_LOG_CHILD").is_none() {
        return;
    }
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let db = TestDb::sqlite().await;
    let st = state(db.storage(), ServerConfig::default()).await;
    let router = app_with(st, test_routes());

    // No id sent: one is made (a UUID) and returned.
    let resp = router
        .clone()
        .oneshot(
            Request::get("/test/nothing-here")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let made = resp.headers()["x-request-id"].to_str().unwrap().to_string();
    assert!(uuid::Uuid::parse_str(&made).is_ok(), "{made}");

    // An id from a proxy is kept, returned, and names the request in the log, panic included.
    let resp = router
        .clone()
        .oneshot(
            Request::get("/test/panic")
                .header("x-request-id", "proxy-4f2a9c")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(resp.headers()["x-request-id"], "proxy-4f2a9c");
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(code_of(&body), "internal");

    let text = logs.text();
    let failed = text
        .lines()
        .find(|l| l.contains("request failed"))
        .unwrap_or_else(|| panic!("no failure logged:\n{text}"));
    assert!(failed.contains("request_id=proxy-4f2a9c"), "{failed}");
    assert!(
        failed.contains("a test handler broke its invariant"),
        "{failed}"
    );
    assert!(
        text.lines()
            .any(|l| l.contains(&format!("request_id={made}"))),
        "the made id is in no span:\n{text}"
    );
    db.cleanup().await;
}

#[test]
fn every_request_has_an_id_sent_back_and_in_its_log_span() {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "operations::request_id_child", "--nocapture"])
        .env("DANVAN_OPS_LOG_CHILD", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn a_request_over_the_timeout_answers_408_timeout() {
    let db = TestDb::sqlite().await;
    let config = ServerConfig {
        request_timeout: Duration::from_millis(300),
        ..Default::default()
    };
    let st = state(db.storage(), config).await;
    let router = app_with(st.clone(), test_routes());

    let started = Instant::now();
    let resp = router
        .clone()
        .oneshot(Request::get("/test/slow").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(resp.status(), StatusCode::REQUEST_TIMEOUT);
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    assert_eq!(code_of(&body), "timeout");

    // A slow upload on a real connection: the body never completes, the timeout answers.
    let addr = listen(app_with(st, test_routes())).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"POST /test/upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\nsome")
        .await
        .unwrap();
    let (status, head, body) =
        tokio::time::timeout(Duration::from_secs(5), read_response(&mut stream))
            .await
            .expect("no answer to a stalled upload");
    assert_eq!(status, 408, "{head}");
    assert_eq!(code_of(&body), "timeout");
    db.cleanup().await;
}

#[tokio::test]
async fn shutdown_ends_within_the_grace_with_a_slow_upload_in_flight() {
    let db = TestDb::sqlite().await;
    let grace = Duration::from_millis(800);
    let config = ServerConfig {
        shutdown_grace: grace,
        ..Default::default()
    };
    let st = state(db.storage(), config).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, st, async {
        let _ = stopped.await;
    }));

    // An upload that sends its headers and a few bytes of a large body, then stalls.
    let mut slow = TcpStream::connect(addr).await.unwrap();
    slow.write_all(
        b"POST /v1/enroll HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
          Content-Length: 1000000\r\n\r\n{\"code\":\"",
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    let signalled = Instant::now();
    stop.send(()).unwrap();
    let ended = tokio::time::timeout(grace + Duration::from_secs(5), server)
        .await
        .expect("serve did not return within the grace");
    ended.unwrap().unwrap();
    let took = signalled.elapsed();
    assert!(took >= grace, "returned before the grace: {took:?}");
    assert!(took < grace + Duration::from_secs(2), "took {took:?}");

    // No longer accepting.
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "still accepting after shutdown"
    );
    drop(slow);
    db.cleanup().await;
}

#[tokio::test]
async fn shutdown_lets_a_quick_request_in_flight_finish() {
    let db = TestDb::sqlite().await;
    let config = ServerConfig {
        shutdown_grace: Duration::from_secs(5),
        ..Default::default()
    };
    let st = state(db.storage(), config).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, st, async {
        let _ = stopped.await;
    }));
    // The body arrives in two parts, the second after the signal: it is still answered.
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let body = br#"{"code":"NOPE-NOPE"}"#;
    let head = format!(
        "POST /v1/enroll HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body[..5]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let signalled = Instant::now();
    stop.send(()).unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    stream.write_all(&body[5..]).await.unwrap();
    let (status, head, _) = read_response(&mut stream).await;
    assert!((400..500).contains(&status), "{head}");
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("serve did not return")
        .unwrap()
        .unwrap();
    // Returned when the request finished, long before the grace.
    assert!(signalled.elapsed() < Duration::from_secs(4));
    db.cleanup().await;
}

/// The admin URL of the local PostgreSQL, or `None` (the storage suite prints the notice).
fn postgres_url() -> Option<String> {
    std::env::var("DANVAN_TEST_DATABASE_URL").ok()
}

fn with_param(url: &str, param: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{param}")
}

/// Whether the session on `url` runs over TLS.
async fn session_uses_tls(url: &str) -> bool {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
    sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        .fetch_one(&mut conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn postgres_sslmode_is_honoured_and_its_failures_are_clear() {
    let Some(url) = postgres_url() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let open = |mode: &str| {
        let url = with_param(&url, &format!("sslmode={mode}"));
        let dir = dir.path().to_path_buf();
        async move { danvan_server::storage::open(Some(&url), &dir).await }
    };
    let storage = open("disable").await.unwrap();
    assert!(storage.backend().contains("postgres"));
    assert!(!session_uses_tls(&with_param(&url, "sslmode=disable")).await);

    // Does the local server offer TLS at all (Debian's default: yes, with a self-signed
    // "snakeoil" certificate)?
    let server_has_tls = {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&with_param(&url, "sslmode=disable"))
            .await
            .unwrap();
        let ssl: String = sqlx::query_scalar("SHOW ssl")
            .fetch_one(&mut conn)
            .await
            .unwrap();
        ssl == "on"
    };
    let clear = |e: danvan_server::Error| {
        let text = e.to_string();
        assert!(text.contains("TLS") && text.contains("sslmode"), "{text}");
    };
    if server_has_tls {
        // `require`: encrypted, the certificate not checked.
        open("require").await.unwrap();
        assert!(session_uses_tls(&with_param(&url, "sslmode=require")).await);
        // `verify-full`: the self-signed certificate is not in the trust store: refused, clearly.
        match open("verify-full").await {
            Ok(_) => panic!("verify-full accepted a certificate no trusted CA signed"),
            Err(e) => clear(e),
        }
    } else {
        // No TLS on the server: `require` refuses, clearly.
        match open("require").await {
            Ok(_) => panic!("sslmode=require connected to a server without TLS"),
            Err(e) => clear(e),
        }
    }
}
