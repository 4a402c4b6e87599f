//! The OpenAPI description is exact: every `$ref` resolves, every operation has its row in the
//! table that completes it (`http::openapi::OPERATIONS`) and the other way round, every error
//! response lists codes of its own status, the routes a client calls are all described, every
//! error code of `error.rs` is answered by some operation, and unit and period parameters carry
//! their formats. (The served document and its committed copy: `api.rs`.)

use std::collections::BTreeSet;

use danvan_server::ErrorCode;
use danvan_server::http::openapi::{self, OPERATIONS, PERIOD_PATTERN, UNIT_PATTERN};
use serde_json::Value;

fn doc() -> Value {
    serde_json::from_str(&openapi::json_string()).unwrap()
}

/// Every `$ref` of `v`, with where it was found.
fn refs(v: &Value, at: &str, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == "$ref" {
                    out.push((at.to_string(), x.as_str().unwrap_or_default().to_string()));
                } else {
                    refs(x, &format!("{at}/{k}"), out);
                }
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                refs(x, &format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn every_ref_resolves() {
    let doc = doc();
    let mut found = Vec::new();
    refs(&doc, "", &mut found);
    assert!(found.len() > 50, "only {} $refs", found.len());
    for (at, r) in found {
        let target = r
            .strip_prefix('#')
            .and_then(|p| doc.pointer(p))
            .filter(|t| t.is_object());
        assert!(target.is_some(), "{at}: $ref {r} does not resolve");
    }
    // The one schemathesis could not resolve.
    assert!(doc["components"]["schemas"]["RankIndicator"]["enum"].is_array());
}

/// (method, path) of every operation of the document.
fn operations(doc: &Value) -> BTreeSet<(String, String)> {
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            ops.insert((method.clone(), path.clone()));
        }
    }
    ops
}

#[test]
fn the_table_and_the_document_name_the_same_operations() {
    let doc = doc();
    let described = operations(&doc);
    let table: BTreeSet<(String, String)> = OPERATIONS
        .iter()
        .map(|o| (o.method.to_string(), o.path.to_string()))
        .collect();
    assert_eq!(described, table);
    assert_eq!(
        table.len(),
        OPERATIONS.len(),
        "an operation twice in the table"
    );
    // Operation ids are unique (schemathesis and client generators key on them).
    let mut ids = BTreeSet::new();
    for (method, path) in &described {
        let id = doc["paths"][path][method]["operationId"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(!id.is_empty(), "{method} {path} has no operationId");
        assert!(ids.insert(id.clone()), "operationId {id} twice");
    }
}

#[test]
fn the_routes_a_client_calls_are_described() {
    let ops = operations(&doc());
    for (method, path) in [
        ("post", "/v1/enroll"),
        ("get", "/v1/device"),
        ("post", "/v1/sync"),
        ("get", "/healthz"),
        ("get", "/metrics"),
        ("get", "/export/{file}"),
        ("get", "/export/moj-hgcs-cases.xlsx"),
        ("get", "/export/moj-hgcs-teams.xlsx"),
        ("get", "/export/mediation-moj.xlsx"),
        ("get", "/reports/mass-mobilisation.docx"),
        ("get", "/reports/mass-mobilisation.xlsx"),
        ("get", "/api/v1/reports/mass-mobilisation"),
    ] {
        assert!(
            ops.contains(&(method.to_string(), path.to_string())),
            "{method} {path} is not described"
        );
    }
    let doc = doc();
    let sync = &doc["paths"]["/v1/sync"]["post"];
    let body = &sync["requestBody"]["content"]["application/x-danvan-sync"];
    assert_eq!(body["schema"]["format"], "binary", "{sync}");
    assert!(body["example"].as_str().unwrap().starts_with("DV"));
    assert_eq!(sync["security"][0]["device"], serde_json::json!([]));
}

/// The codes an error response lists: its schema's narrowed enum.
fn listed(response: &Value) -> Vec<String> {
    response["content"]["application/json"]["schema"]["allOf"][1]["properties"]["error"]
        ["properties"]["code"]["enum"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|c| c.as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn every_error_response_lists_its_codes_and_they_have_its_status() {
    let doc = doc();
    let mut answered: BTreeSet<&str> = BTreeSet::new();
    for (method, path) in operations(&doc) {
        let responses = doc["paths"][&path][&method]["responses"]
            .as_object()
            .unwrap();
        assert!(
            responses.keys().any(|s| s.starts_with('2')),
            "{method} {path}: no success response"
        );
        for (status, response) in responses {
            if status.starts_with('2') {
                continue;
            }
            let codes = listed(response);
            assert!(!codes.is_empty(), "{method} {path} {status}: no code");
            for code in &codes {
                let c = ErrorCode::ALL
                    .iter()
                    .find(|c| c.as_str() == code)
                    .unwrap_or_else(|| panic!("{method} {path}: unknown code {code}"));
                assert_eq!(c.status().as_str(), status, "{method} {path}: {code}");
                assert!(
                    response["description"]
                        .as_str()
                        .unwrap()
                        .contains(&format!("`{code}`")),
                    "{method} {path} {status}: {code} not described"
                );
                answered.insert(c.as_str());
            }
        }
        // Any operation may time out, meet the body limit or fail inside.
        for s in ["408", "413", "500"] {
            assert!(responses.contains_key(s), "{method} {path}: no {s}");
        }
    }
    // Every code of the table is answered by some described operation, but those of the
    // dashboard's forms and of methods a path does not have.
    let elsewhere = [
        ErrorCode::MethodNotAllowed, // a method the path does not have: no operation
        ErrorCode::RecordInvalid,    // the dashboard's petition forms
        ErrorCode::RecordWriteForbidden, // the dashboard's petition forms
    ];
    for c in ErrorCode::ALL {
        assert_eq!(
            answered.contains(c.as_str()),
            !elsewhere.contains(c),
            "{}",
            c.as_str()
        );
    }
}

/// Strings around the edges of both formats.
fn corpus() -> Vec<String> {
    let mut out: Vec<String> = [
        "",
        " ",
        "x",
        "31",
        "11533",
        "11533-T01",
        "a b",
        "a;b",
        "a:b",
        "a\u{1}b",
        "a\u{85}b",
        "a\u{a0}b",
        "Hòa-Bình",
        "a/b",
        "%",
        "\u{7f}",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    out.push("1".repeat(64));
    out.push("1".repeat(65));
    for year in [0, 999, 1999, 2000, 2026, 2099, 2100, 2101, 9999] {
        for suffix in [
            "", "-YP", "-yp", "-H0", "-H1", "-H2", "-H3", "-Q0", "-Q1", "-Q4", "-Q5", "-00", "-01",
            "-09", "-10", "-12", "-13", "-1", "-001", "-", " ", "-Q1 ",
        ] {
            out.push(format!("{year:04}{suffix}"));
            out.push(format!("{year}{suffix}"));
        }
    }
    out
}

/// What the server accepts: a period key of the default periods configuration, a unit code as
/// the unit import takes it (no white space, `;`, `:`, nor a control character that every text
/// check refuses, 1-64 characters).
fn accepted(period: bool, s: &str) -> bool {
    if period {
        danvan_server::aggregate::PeriodsConfig::default()
            .period(s)
            .is_ok()
    } else {
        (1..=64).contains(&s.chars().count())
            && !s
                .chars()
                .any(|c| c.is_whitespace() || c == ';' || c == ':' || c.is_control())
    }
}

#[test]
fn unit_and_period_parameters_have_their_formats() {
    let doc = doc();
    let mut seen = 0;
    let check = |what: &str, pattern: &str, period: bool| {
        let re = regex::Regex::new(pattern).unwrap();
        let empty_is_default = re.is_match("");
        for s in corpus() {
            let want = accepted(period, &s) || (s.is_empty() && empty_is_default);
            assert_eq!(re.is_match(&s), want, "{what}: {pattern} on {s:?}");
        }
    };
    for (method, path) in operations(&doc) {
        let Some(params) = doc["paths"][&path][&method]["parameters"].as_array() else {
            continue;
        };
        for p in params {
            let name = p["name"].as_str().unwrap();
            if !["unit", "period", "code"].contains(&name) {
                continue;
            }
            let pattern = p["schema"]["pattern"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path}: parameter {name} has no pattern"));
            seen += 1;
            check(
                &format!("{method} {path} {name}"),
                pattern,
                name == "period",
            );
        }
    }
    assert!(seen >= 29, "only {seen} unit/period parameters");
    let lock = &doc["components"]["schemas"]["LockRequest"]["properties"];
    assert_eq!(lock["period"]["pattern"], PERIOD_PATTERN);
    assert_eq!(lock["unit"]["pattern"], UNIT_PATTERN);
    check("LockRequest", PERIOD_PATTERN, true);
}
