//! The JSON API: routes, figures, the OpenAPI document and its committed copy.

use axum::http::StatusCode;

use crate::dash::*;

#[tokio::test]
async fn json_login_aggregates_completeness_ranking_units_periods() {
    let d = dash().await;
    let anon = Client::anonymous(&d.router);
    let r = anon
        .post_json(
            "/api/v1/session",
            serde_json::json!({"username": CITY.0, "password": CITY.1}),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let info = r.json();
    assert_eq!(info["role"], "city_officer");
    assert_eq!(info["deidentified"], true);
    let c = Client {
        cookie: Some(format!(
            "danvan_session={}",
            cookie_of(&r, "danvan_session").unwrap()
        )),
        csrf: info["csrf_token"].as_str().unwrap().into(),
        ..anon
    };
    let rep = c
        .get(&format!("/api/v1/aggregates?unit=31&period={PERIOD}"))
        .await
        .json();
    assert_eq!(rep["unit"]["code"], "31");
    // Hòa Bình 6 + Thủy Nguyên 2 received in September.
    assert_eq!(rep["totals"]["mediation"]["received"], 8);
    assert_eq!(rep["totals"]["mediation"]["successful"], 4);
    let hb = rep["children"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["unit"]["code"] == HOA_BINH)
        .unwrap();
    assert_eq!(hb["indicators"]["mediation"]["received"], 6);
    assert_eq!(hb["indicators"]["mediation"]["unsuccessful"], 1);
    // The previous month (August) had one case in Hòa Bình.
    assert_eq!(rep["previous"]["mediation"]["received"], 1);

    let rank = c
        .get(&format!(
            "/api/v1/ranking?unit=31&period={PERIOD}&indicator=mediation_received"
        ))
        .await
        .json();
    let first = &rank.as_array().unwrap()[0];
    assert_eq!(first["unit"]["code"], HOA_BINH);
    assert_eq!(first["rank"], 1);
    assert_eq!(first["value"], 6.0);

    let comp = c
        .get(&format!("/api/v1/completeness?unit=31&period={PERIOD}"))
        .await
        .json();
    assert!(comp["expected"].as_u64().unwrap() > 100, "{comp}");
    assert_eq!(comp["with_records"], 2);

    let unit = c.get("/api/v1/units/31?as_of=2025-09-30").await.json();
    assert!(
        unit["children"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["code"] == HOA_BINH)
    );
    // Before July 2025 the districts are the children.
    let old = c.get("/api/v1/units/31?as_of=2025-03-01").await.json();
    assert!(
        old["children"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["level"] == "district")
    );

    let periods = c.get("/api/v1/periods").await.json();
    let list = periods["periods"].as_array().unwrap();
    assert!(list.iter().any(|p| p["kind"] == "quarter"));
    assert!(
        list.iter()
            .all(|p| p["label"].is_string() && p["label_en"].is_string())
    );

    // JSON logout with the header.
    let r = c
        .send(
            axum::http::Request::delete("/api/v1/session")
                .header("x-csrf-token", c.csrf.clone())
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(c.get("/api/v1/periods").await.code(), "unauthenticated");
}

#[tokio::test]
async fn records_api_is_for_the_commune_officer_of_that_commune() {
    let d = dash().await;
    let commune = Client::login(&d.router, COMMUNE).await;
    let list = commune
        .get(&format!("/api/v1/records?unit={HOA_BINH}"))
        .await;
    assert_eq!(list.status, StatusCode::OK);
    // 7 cases + 1 inspection + 1 democracy check.
    assert_eq!(list.json().as_array().unwrap().len(), 9);
    let r = commune
        .get(&format!("/api/v1/records?unit={THUY_NGUYEN}"))
        .await;
    assert_eq!(r.code(), "out_of_scope");
    let city = Client::login(&d.router, CITY).await;
    let r = city.get(&format!("/api/v1/records?unit={HOA_BINH}")).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::FORBIDDEN, "records_forbidden")
    );
}

/// Every route of the API router, as `(method, path)` in the OpenAPI document.
const ROUTES: &[(&str, &str)] = &[
    ("post", "/api/v1/session"),
    ("get", "/api/v1/session"),
    ("delete", "/api/v1/session"),
    ("get", "/api/v1/periods"),
    ("get", "/api/v1/units/{code}"),
    ("get", "/api/v1/aggregates"),
    ("get", "/api/v1/completeness"),
    ("get", "/api/v1/ranking"),
    ("post", "/api/v1/locks"),
    ("get", "/api/v1/records"),
];

#[tokio::test]
async fn openapi_is_served_complete_and_committed() {
    let d = dash().await;
    let r = Client::anonymous(&d.router).get("/api/openapi.json").await;
    assert_eq!(r.status, StatusCode::OK);
    let doc = r.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    for (method, path) in ROUTES {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} missing from the OpenAPI document"
        );
    }
    for schema in [
        "Report",
        "Completeness",
        "RankRow",
        "Lock",
        "ErrorBody",
        "Indicators",
    ] {
        assert!(
            doc["components"]["schemas"][schema].is_object(),
            "schema {schema} missing"
        );
    }
    // Every error code of the one table is in the schema of the error body.
    let codes = doc["components"]["schemas"]["ErrorCode"]["enum"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for code in danvan_server::ErrorCode::ALL {
        assert!(
            codes.contains(&serde_json::Value::from(code.as_str())),
            "{} missing from the ErrorCode schema",
            code.as_str()
        );
    }
    assert_eq!(codes.len(), danvan_server::ErrorCode::ALL.len());
    assert_eq!(
        doc["components"]["schemas"]["ErrorInfo"]["properties"]["code"]["$ref"],
        "#/components/schemas/ErrorCode"
    );
    // The committed copy must be what the server serves.
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/openapi.json");
    let served = danvan_server::http::openapi::json_string();
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(path, format!("{served}\n")).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed.trim_end() == served.trim_end(),
        "docs/openapi.json is stale: run `UPDATE_OPENAPI=1 cargo test -p danvan-server --test integration openapi`"
    );
}

/// The value of an unlabelled sample in Prometheus text.
fn sample(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test]
async fn metrics_gauge_the_fact_index_and_resident_memory() {
    let d = dash_with(|mut s| {
        s.config = std::sync::Arc::new(danvan_server::ServerConfig {
            metrics_token: Some("api-test-token".into()),
            ..danvan_server::ServerConfig::default()
        });
        s
    })
    .await;
    let c = Client::login(&d.router, CITY).await;
    let r = c
        .get(&format!("/api/v1/aggregates?unit=31&period={PERIOD}"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let text = Client::anonymous(&d.router)
        .send(
            axum::http::Request::get("/metrics")
                .header("authorization", "Bearer api-test-token")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .text();
    assert!(
        text.contains("# TYPE danvan_fact_index_records gauge"),
        "{text}"
    );
    // The report loaded every seeded record into the index.
    let records = sample(&text, "danvan_fact_index_records").unwrap();
    let facts = d.storage.facts_after(0, 10_000).await.unwrap().len();
    assert_eq!(records as usize, facts, "{text}");
    assert!(sample(&text, "danvan_fact_index_bytes").unwrap() > 0.0);
    let rss = sample(&text, "process_resident_memory_bytes");
    if cfg!(target_os = "linux") {
        assert!(rss.unwrap() > 1_000_000.0, "{text}");
    } else {
        assert_eq!(rss, None);
    }
    // The request counters kept their names and labels.
    assert!(
        text.contains(
            r#"http_requests_total{method="GET",route="/api/v1/aggregates",status="200"} 1"#
        ),
        "{text}"
    );
}
