//! The register of "Dân vận khéo" models (ADR 0008, section "Dân vận khéo models"):
//! hand-computed figures with the balance identity, guarded writes, and over HTTP the API,
//! the pages, validation, scope and de-identification — every test on SQLite and, when
//! `DANVAN_TEST_DATABASE_URL` is set, on PostgreSQL.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::Utc;
use danvan_server::dvk::{DvkField, DvkFigures, count, dvk_figures};
use danvan_server::roles::Role;
use danvan_server::state::AppState;
use danvan_server::storage::Storage;
use danvan_server::storage::dvk::{DvkModelRow, Refusal};
use danvan_server::units::{Successor, Unit, UnitTree};
use danvan_server::{ServerConfig, app};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::dash::{CITY, COMMUNE, Client, HOA_BINH, OTHER_COMMUNE, Resp, THUY_NGUYEN, enc, hidden};
use crate::support::{both_backends, date, haiphong};

// ---------------------------------------------------------------------------------------------
// Storage and counting.

fn unit(code: &str, parent: &str, level: &str, to: Option<&str>, succ: &[&str]) -> Unit {
    Unit {
        code: code.into(),
        valid_from: date("0001-01-01"),
        valid_to: to.map(date),
        name: format!("Đơn vị {code}"),
        level: level.into(),
        parent: (!parent.is_empty()).then(|| parent.into()),
        successors: succ
            .iter()
            .map(|s| Successor {
                code: (*s).into(),
                share: None,
            })
            .collect(),
    }
}

/// City P with communes C1, C2; until 2025-06-30 also legacy district D (no successor: its
/// models go to P), old commune CO (went wholly into C1) and old commune CS (split between C1
/// and C2).
fn units() -> Vec<Unit> {
    vec![
        unit("P", "", "province", None, &[]),
        unit("C1", "P", "commune", None, &[]),
        unit("C2", "P", "commune", None, &[]),
        unit("D", "P", "district", Some("2025-06-30"), &[]),
        unit("CO", "D", "commune", Some("2025-06-30"), &["C1"]),
        unit("CS", "D", "commune", Some("2025-06-30"), &["C1", "C2"]),
    ]
}

async fn tree(s: &dyn Storage) -> UnitTree {
    s.upsert_units(&units()).await.unwrap();
    UnitTree::new(s.load_units().await.unwrap())
}

/// A model under `unit` read on `unit_on`, recognised (at commune level) on `recognised`,
/// ended on `ended`, not commended.
fn model(
    unit: &str,
    unit_on: &str,
    field: DvkField,
    recognised: Option<&str>,
    ended: Option<&str>,
) -> DvkModelRow {
    use danvan_core::Coded;
    let now = Utc::now();
    let recognised_on = recognised.map(date);
    DvkModelRow {
        id: Uuid::now_v7(),
        unit: unit.into(),
        unit_on: date(unit_on),
        name: format!("Mô hình {unit} {}", field.code()),
        field: field.code().into(),
        participants: "Nguyễn Văn Bímật\nHội Phụ nữ".into(),
        description: String::new(),
        started_on: date("2020-01-01"),
        recognised_level: recognised_on.map(|_| "commune".into()),
        recognised_by: String::new(),
        recognised_on,
        commended: false,
        commended_by: String::new(),
        commended_form: None,
        commended_on: None,
        ended_on: ended.map(date),
        created_at: now,
        updated_at: now,
        created_by: "test".into(),
        updated_by: "test".into(),
    }
}

fn commended(mut m: DvkModelRow, on: &str) -> DvkModelRow {
    m.commended = true;
    m.commended_by = "UBND".into();
    m.commended_form = Some("certificate_of_merit".into());
    m.commended_on = Some(date(on));
    m
}

fn figures(by_field: [u64; 4], new: u64, commended: u64, ended: u64) -> DvkFigures {
    let mut f = DvkFigures::default();
    for (c, n) in f.by_field.iter_mut().zip(by_field) {
        c.in_force = n;
    }
    f.in_force = by_field.iter().sum();
    f.new_in_period = new;
    f.commended_in_period = commended;
    f.ended_in_period = ended;
    f
}

/// A fixed register counted for the period 2026-01-01 .. 2026-06-30 (the day before the
/// start: 2025-12-31), rows C1 and C2 of P. Fields in order: economic, cultural_social,
/// defence_security, political_system.
async fn figures_by_hand(s: Arc<dyn Storage>) {
    use DvkField::*;
    let s = s.as_ref();
    let tree = tree(s).await;
    let models = [
        // A1 C1 economic, recognised 2024-05-01: in force on both days.
        model("C1", "2024-01-01", Economic, Some("2024-05-01"), None),
        // A2 C1 cultural, recognised 2026-02-01, commended 2026-03-01: new, commended.
        commended(
            model("C1", "2026-01-01", CulturalSocial, Some("2026-02-01"), None),
            "2026-03-01",
        ),
        // A3 C1 defence, recognised 2023, ended 2026-04-01: in force before, ended.
        model(
            "C1",
            "2023-01-01",
            DefenceSecurity,
            Some("2023-01-01"),
            Some("2026-04-01"),
        ),
        // A4 C1 economic, never recognised: counts nowhere.
        model("C1", "2026-01-10", Economic, None, None),
        // A5 old commune CO (→ C1), political, recognised 2025-06-01, commended 2025-07-01
        // (before the period): in force on both days in C1, not commended in the period.
        commended(
            model(
                "CO",
                "2025-03-01",
                PoliticalSystem,
                Some("2025-06-01"),
                None,
            ),
            "2025-07-01",
        ),
        // A6 C2 economic, recognised 2026-07-15 (after the cut-off): nothing.
        model("C2", "2026-01-01", Economic, Some("2026-07-15"), None),
        // A7 C2 cultural, recognised 2025, ended 2026-01-01 (the first day of the period):
        // in force on 2025-12-31, ended in the period.
        model(
            "C2",
            "2025-01-01",
            CulturalSocial,
            Some("2025-01-01"),
            Some("2026-01-01"),
        ),
        // A8 split old commune CS (→ C1 and C2), economic, recognised 2025-02-01: not in
        // either commune, in P's "not allocated" line.
        model("CS", "2025-01-01", Economic, Some("2025-02-01"), None),
        // A9 the city P, political, recognised 2026-05-01, commended 2026-05-20: P's own,
        // new and commended.
        commended(
            model("P", "2026-01-01", PoliticalSystem, Some("2026-05-01"), None),
            "2026-05-20",
        ),
        // A10 legacy district D (→ P), defence, recognised 2024-01-01: P's own, in force.
        model("D", "2025-01-01", DefenceSecurity, Some("2024-01-01"), None),
        // A11 C2 economic, recognised 2026-03-01, ended 2026-05-01: new and ended.
        model(
            "C2",
            "2026-01-01",
            Economic,
            Some("2026-03-01"),
            Some("2026-05-01"),
        ),
        // A12 C1 economic, recognised 2025-12-31 (the day before the start): in force on both
        // days, not new.
        model("C1", "2025-12-31", Economic, Some("2025-12-31"), None),
    ];
    for m in &models {
        s.create_dvk_model(m).await.unwrap();
    }
    let (start, cut, before) = (date("2026-01-01"), date("2026-06-30"), date("2025-12-31"));
    let rows = vec!["C1".to_string(), "C2".to_string()];
    let facts = s.dvk_facts().await.unwrap();
    assert_eq!(facts.len(), 12);
    let c = count(&tree, "P", &rows, start, cut, &facts);

    // C1: in force A1 (econ), A2 (cult), A5 (pol), A12 (econ) = 4 [2, 1, 0, 1];
    // new A2 = 1; commended A2 = 1 (A5's commendation is before the period); ended A3 = 1.
    let c1 = figures([2, 1, 0, 1], 1, 1, 1);
    // C2: in force none (A6 not yet, A7 and A11 ended); new A11 = 1; ended A7, A11 = 2.
    let c2 = figures([0, 0, 0, 0], 1, 0, 2);
    // P's own: A9 (pol), A10 (def) = 2; new A9 = 1; commended A9 = 1.
    let own = figures([0, 0, 1, 1], 1, 1, 0);
    // Not allocated: A8 (econ) = 1.
    let unallocated = figures([1, 0, 0, 0], 0, 0, 0);
    // Total: econ 2 + 1 = 3, cult 1, def 1, pol 1 + 1 = 2 → 7; new 1 + 1 + 1 = 3;
    // commended 1 + 1 = 2; ended 1 + 2 = 3.
    let total = figures([3, 1, 1, 2], 3, 2, 3);
    assert_eq!(c.rows, vec![c1.clone(), c2.clone()]);
    assert_eq!(c.own, own);
    assert_eq!(c.unallocated, unallocated);
    assert_eq!(c.total, total);

    // The public function: the unit's subtree rolled up (a commune's own figures are its row).
    assert_eq!(dvk_figures(s, &tree, "P", start, cut).await.unwrap(), total);
    assert_eq!(dvk_figures(s, &tree, "C1", start, cut).await.unwrap(), c1);
    assert_eq!(dvk_figures(s, &tree, "C2", start, cut).await.unwrap(), c2);

    // The balance: in force on the cut-off = in force the day before the start + new − ended.
    // Day before: C1 A1, A3, A5, A12 = 4 (4 + 1 − 1 = 4); C2 A7 = 1 (1 + 1 − 2 = 0);
    // P: C1 4 + C2 1 + A8 + A10 = 7 (7 + 3 − 3 = 7).
    for (u, expected_before) in [("C1", 4), ("C2", 1), ("P", 7)] {
        let b = dvk_figures(s, &tree, u, date("2025-01-01"), before)
            .await
            .unwrap();
        let now = dvk_figures(s, &tree, u, start, cut).await.unwrap();
        assert_eq!(b.in_force, expected_before, "{u}");
        assert_eq!(
            b.in_force + now.new_in_period - now.ended_in_period,
            now.in_force,
            "{u}"
        );
    }
    // Field by field over the total. Day before: econ A1, A12, A8 = 3; cult A7 = 1; def A3,
    // A10 = 2; pol A5 = 1. Then econ 3 + A11 − A11 = 3; cult 1 + A2 − A7 = 1; def 2 − A3 = 1;
    // pol 1 + A9 = 2: the cut-off's [3, 1, 1, 2].
    let b = dvk_figures(s, &tree, "P", date("2025-01-01"), before)
        .await
        .unwrap();
    assert_eq!(
        b.by_field.iter().map(|f| f.in_force).collect::<Vec<_>>(),
        vec![3, 1, 2, 1]
    );
}

/// Writes that depend on the stored row are refused in the writing statement and write
/// nothing; the CHECK constraints hold on both backends.
async fn guarded_writes(s: Arc<dyn Storage>) {
    use DvkField::*;
    let s = s.as_ref();
    let _ = tree(s).await;
    let m = model("C1", "2025-01-01", Economic, Some("2025-03-01"), None);
    s.create_dvk_model(&m).await.unwrap();
    let at = Utc::now();
    // An end before the recognition; then properly; then again.
    assert_eq!(
        s.end_dvk_model(m.id, date("2025-02-01"), at, "t")
            .await
            .unwrap(),
        Err(Refusal::Dates)
    );
    assert_eq!(
        s.end_dvk_model(m.id, date("2026-01-01"), at, "t")
            .await
            .unwrap(),
        Ok(())
    );
    assert_eq!(
        s.end_dvk_model(m.id, date("2026-02-01"), at, "t")
            .await
            .unwrap(),
        Err(Refusal::Ended)
    );
    assert_eq!(
        s.end_dvk_model(Uuid::now_v7(), date("2026-02-01"), at, "t")
            .await
            .unwrap(),
        Err(Refusal::NotFound)
    );
    // An update moving the recognition after the stored end: refused, nothing written.
    let mut later = m.clone();
    later.recognised_on = Some(date("2026-02-01"));
    later.name = "Tên mới".into();
    assert_eq!(
        s.update_dvk_model(&later).await.unwrap(),
        Err(Refusal::Dates)
    );
    let stored = s.dvk_model(m.id).await.unwrap().unwrap();
    assert_eq!(stored.name, m.name);
    assert_eq!(stored.ended_on, Some(date("2026-01-01")));
    // A fitting update keeps the end.
    let mut renamed = m.clone();
    renamed.name = "Tên mới".into();
    renamed.ended_on = None;
    assert_eq!(s.update_dvk_model(&renamed).await.unwrap(), Ok(()));
    let stored = s.dvk_model(m.id).await.unwrap().unwrap();
    assert_eq!(
        (stored.name.as_str(), stored.ended_on),
        ("Tên mới", Some(date("2026-01-01")))
    );
    let mut ghost = renamed.clone();
    ghost.id = Uuid::now_v7();
    assert_eq!(
        s.update_dvk_model(&ghost).await.unwrap(),
        Err(Refusal::NotFound)
    );
    // CHECK constraints: commended without a day, recognition level without a day, an
    // unknown field, a recognition before the start.
    let mut bad = model("C1", "2025-01-01", Economic, None, None);
    bad.commended = true;
    assert!(s.create_dvk_model(&bad).await.is_err());
    let mut bad = model("C1", "2025-01-01", Economic, None, None);
    bad.recognised_level = Some("city".into());
    assert!(s.create_dvk_model(&bad).await.is_err());
    let mut bad = model("C1", "2025-01-01", Economic, None, None);
    bad.field = "agriculture".into();
    assert!(s.create_dvk_model(&bad).await.is_err());
    let bad = model("C1", "2025-01-01", Economic, Some("2019-12-31"), None);
    assert!(s.create_dvk_model(&bad).await.is_err());
    assert_eq!(s.dvk_facts().await.unwrap().len(), 1);
    // By unit.
    assert_eq!(
        s.dvk_models_of_units(&["C1".into(), "C2".into()])
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        s.dvk_models_of_units(&["C2".into()])
            .await
            .unwrap()
            .is_empty()
    );
}

// ---------------------------------------------------------------------------------------------
// HTTP, on the Hải Phòng units: city 31, communes 11533 Hòa Bình and 11560 Thủy Nguyên.

/// The dashboard over `s` with the three officers of the dashboard tests.
async fn app_on(s: &Arc<dyn Storage>) -> Router {
    let units = haiphong(s.as_ref()).await;
    let tree = units.tree();
    for ((user, pw), role, unit) in [
        (CITY, Role::CityOfficer, "31"),
        (COMMUNE, Role::CommuneOfficer, HOA_BINH),
        (OTHER_COMMUNE, Role::CommuneOfficer, THUY_NGUYEN),
    ] {
        danvan_server::users::add_user(s.as_ref(), &tree, user, role, unit, pw)
            .await
            .unwrap();
    }
    app(AppState::new(s.clone(), units, ServerConfig::default()))
}

async fn send_json(c: &Client, method: &str, uri: &str, body: Value, csrf: Option<&str>) -> Resp {
    let mut b = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(t) = csrf {
        b = b.header("x-csrf-token", t);
    }
    c.send(b.body(Body::from(body.to_string())).unwrap()).await
}

async fn post(c: &Client, uri: &str, body: Value) -> Resp {
    send_json(c, "POST", uri, body, Some(&c.csrf)).await
}

async fn put(c: &Client, uri: &str, body: Value) -> Resp {
    send_json(c, "PUT", uri, body, Some(&c.csrf)).await
}

const PERSON: &str = "Nguyễn Văn Bímật";

fn new_model(name: &str) -> Value {
    json!({
        "name": name,
        "field": "economic",
        "participants": [format!("{PERSON} (bí thư chi bộ)"), "Hội Phụ nữ phường"],
        "description": "Vận động nhân dân hiến đất làm đường.",
        "started_on": "2025-08-01",
        "recognised_level": "commune",
        "recognised_by": "UBND phường Hòa Bình",
        "recognised_on": "2025-10-01",
        "commended": true,
        "commended_by": "Ban Dân vận Thành ủy",
        "commended_form": "certificate_of_merit",
        "commended_on": "2025-11-01"
    })
}

fn with(mut v: Value, key: &str, value: Value) -> Value {
    v[key] = value;
    v
}

async fn model_count(s: &Arc<dyn Storage>) -> usize {
    s.dvk_facts().await.unwrap().len()
}

/// Create, list, edit, end through the API; the figures follow.
async fn api_create_list_edit_end(s: Arc<dyn Storage>) {
    let router = app_on(&s).await;
    let c = Client::login(&router, COMMUNE).await;
    let r = post(&c, "/api/v1/dvk-models", new_model("Đường làng sạch")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let m = r.json();
    let id = m["id"].as_str().unwrap().to_string();
    assert_eq!(m["unit"], HOA_BINH);
    assert_eq!(m["field"], "economic");
    assert_eq!(m["editable"], true);
    assert_eq!(m["participants"][0], format!("{PERSON} (bí thư chi bộ)"));
    assert_eq!(m["recognised_level"], "commune");
    assert_eq!(m["commended_form"], "certificate_of_merit");

    let list = c.get("/api/v1/dvk-models").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text());
    let list = list.json();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["participants"][1], "Hội Phụ nữ phường");

    // Edit: a new name, no commendation, defence and security.
    let edit = json!({
        "name": "Đường làng sạch, đẹp", "field": "defence_security",
        "participants": ["Chi hội Cựu chiến binh"], "started_on": "2025-08-01",
        "recognised_level": "city", "recognised_on": "2025-10-15"
    });
    let r = put(&c, &format!("/api/v1/dvk-models/{id}"), edit).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let m = r.json();
    assert_eq!(m["name"], "Đường làng sạch, đẹp");
    assert_eq!(m["field"], "defence_security");
    assert_eq!(m["commended"], false);
    assert_eq!(m["participants"], json!(["Chi hội Cựu chiến binh"]));
    let got = c.get(&format!("/api/v1/dvk-models/{id}")).await.json();
    assert_eq!(got["recognised_on"], "2025-10-15");

    // End before the recognition: 400; then from 2026-02-01; then again: 409.
    let end = format!("/api/v1/dvk-models/{id}/end");
    let r = post(&c, &end, json!({"on": "2025-10-14"})).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::BAD_REQUEST, "dvk_bad_dates".into())
    );
    let r = post(&c, &end, json!({"on": "2026-02-01"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["ended_on"], "2026-02-01");
    assert_eq!(r.json()["in_force"], false);
    let r = post(&c, &end, json!({"on": "2026-03-01"})).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::CONFLICT, "dvk_ended".into())
    );
    // An edit cannot move the recognition past the end.
    let r = put(
        &c,
        &format!("/api/v1/dvk-models/{id}"),
        json!({"name": "X", "field": "economic", "started_on": "2025-08-01",
               "recognised_level": "city", "recognised_on": "2026-03-01"}),
    )
    .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::BAD_REQUEST, "dvk_bad_dates".into())
    );

    // A second model, recognised 2026-01-20, commended 2026-03-10.
    let second = with(
        with(
            new_model("Dân vận khéo trong cải cách hành chính"),
            "recognised_on",
            json!("2026-01-20"),
        ),
        "commended_on",
        json!("2026-03-10"),
    );
    let second = with(second, "field", json!("political_system"));
    let r = post(&c, "/api/v1/dvk-models", second).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());

    // Figures of 2026-Q1 (2026-01-01 .. 2026-03-31) for the commune:
    // first model: recognised 2025-10-15 (before), ended 2026-02-01 → in force before, ended;
    // second: recognised 2026-01-20, commended 2026-03-10 → in force, new, commended.
    // In force on 2026-03-31: 1 (political_system) = 1 before + 1 new − 1 ended.
    let f = c
        .get(&format!(
            "/api/v1/dvk-figures?unit={HOA_BINH}&period=2026-Q1"
        ))
        .await;
    assert_eq!(f.status, StatusCode::OK, "{}", f.text());
    let f = f.json();
    assert_eq!(f["start"], "2026-01-01");
    assert_eq!(f["cutoff"], "2026-03-31");
    let t = &f["total"];
    assert_eq!(t["in_force"], 1);
    assert_eq!(t["new_in_period"], 1);
    assert_eq!(t["commended_in_period"], 1);
    assert_eq!(t["ended_in_period"], 1);
    assert_eq!(
        t["by_field"][3],
        json!({"field": "political_system", "in_force": 1})
    );
    assert_eq!(
        t["by_field"][2],
        json!({"field": "defence_security", "in_force": 0})
    );
    // 2025-Q4 (2025-10-01 .. 2025-12-31): the first model only, recognised 2025-10-15 (new),
    // commended no more (the edit removed it): in force 1 = 0 + 1 − 0.
    let f = c
        .get(&format!(
            "/api/v1/dvk-figures?unit={HOA_BINH}&period=2025-Q4"
        ))
        .await
        .json();
    assert_eq!(f["total"]["in_force"], 1);
    assert_eq!(f["total"]["new_in_period"], 1);
    assert_eq!(f["total"]["commended_in_period"], 0);
    assert_eq!(f["total"]["ended_in_period"], 0);
}

/// Bad input: 400 (or 403) with a stable code, nothing written.
async fn validation_errors(s: Arc<dyn Storage>) {
    let router = app_on(&s).await;
    let c = Client::login(&router, COMMUNE).await;
    let r = post(&c, "/api/v1/dvk-models", new_model("Mô hình 1")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_str().unwrap().to_string();
    let before = model_count(&s).await;
    let base = || new_model("Mô hình 2");
    let no_commendation = || {
        let mut v = base();
        let o = v.as_object_mut().unwrap();
        for k in [
            "commended",
            "commended_by",
            "commended_form",
            "commended_on",
        ] {
            o.remove(k);
        }
        v
    };
    let bad = StatusCode::BAD_REQUEST;
    let cases: Vec<(Value, StatusCode, &str)> = vec![
        (
            with(base(), "name", json!("Mô\u{0}hình")),
            bad,
            "invalid_text",
        ),
        (with(base(), "name", json!("   ")), bad, "invalid_text"),
        (
            with(base(), "name", json!("x".repeat(201))),
            bad,
            "invalid_text",
        ),
        (
            with(base(), "participants", json!(["A\u{1b}[31m"])),
            bad,
            "invalid_text",
        ),
        (
            with(base(), "description", json!("d".repeat(4001))),
            bad,
            "invalid_text",
        ),
        (
            with(base(), "field", json!("agriculture")),
            bad,
            "bad_request",
        ),
        (with(base(), "extra", json!(1)), bad, "bad_request"),
        (
            with(base(), "started_on", json!("2025-13-01")),
            bad,
            "bad_request",
        ),
        // A village, an unknown code.
        (
            with(base(), "unit", json!("11533-T01")),
            bad,
            "not_a_dvk_unit",
        ),
        (
            with(base(), "unit", json!("no-such-unit")),
            bad,
            "not_a_dvk_unit",
        ),
        // Dates: too early, recognition before the start, commendation before the start.
        (
            with(base(), "started_on", json!("1999-12-31")),
            bad,
            "dvk_bad_dates",
        ),
        (
            with(base(), "recognised_on", json!("2025-07-31")),
            bad,
            "dvk_bad_dates",
        ),
        (
            with(base(), "commended_on", json!("2025-07-01")),
            bad,
            "dvk_bad_dates",
        ),
        // Pairs: a level without its day, a body without recognition.
        (
            with(base(), "recognised_on", Value::Null),
            bad,
            "dvk_recognition_incomplete",
        ),
        (
            {
                let mut v = base();
                v["recognised_level"] = Value::Null;
                v["recognised_on"] = Value::Null;
                v
            },
            bad,
            "dvk_recognition_incomplete",
        ),
        // Commended without a form; not commended with a day; commended without the body.
        (
            with(base(), "commended_form", Value::Null),
            bad,
            "dvk_commendation_incomplete",
        ),
        (
            with(no_commendation(), "commended_on", json!("2025-11-01")),
            bad,
            "dvk_commendation_incomplete",
        ),
        (
            with(base(), "commended_by", json!("")),
            bad,
            "dvk_commendation_incomplete",
        ),
        // The city's model, another commune's.
        (
            with(base(), "unit", json!("31")),
            StatusCode::FORBIDDEN,
            "dvk_forbidden",
        ),
        (
            with(base(), "unit", json!(THUY_NGUYEN)),
            StatusCode::FORBIDDEN,
            "out_of_scope",
        ),
    ];
    for (body, status, code) in cases {
        let r = post(&c, "/api/v1/dvk-models", body.clone()).await;
        assert_eq!((r.status, r.code()), (status, code.to_string()), "{body}");
        assert_eq!(model_count(&s).await, before, "{body} wrote something");
        let r = put(&c, &format!("/api/v1/dvk-models/{id}"), body.clone()).await;
        assert_eq!(
            (r.status, r.code()),
            (status, code.to_string()),
            "PUT {body}"
        );
    }
    assert_eq!(
        s.dvk_model(id.parse().unwrap())
            .await
            .unwrap()
            .unwrap()
            .name,
        "Mô hình 1"
    );
    // No CSRF token, or a wrong one; a bad id; an unknown id.
    let r = send_json(&c, "POST", "/api/v1/dvk-models", base(), None).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "csrf_failed".into())
    );
    let r = send_json(&c, "POST", "/api/v1/dvk-models", base(), Some("nope")).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "csrf_failed".into())
    );
    let r = c.get("/api/v1/dvk-models/0").await;
    assert_eq!((r.status, r.code()), (bad, "bad_request".into()));
    let r = c
        .get(&format!("/api/v1/dvk-models/{}", Uuid::now_v7()))
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::NOT_FOUND, "not_found".into())
    );
    let r = post(
        &c,
        &format!("/api/v1/dvk-models/{id}/end"),
        json!({"on": "x"}),
    )
    .await;
    assert_eq!((r.status, r.code()), (bad, "bad_request".into()));
    // The dashboard form without its token.
    let r = c
        .post_form("/dvk", "name=M&field=economic&started_on=2025-01-01")
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(model_count(&s).await, before);
    // Figures: a bad period.
    let r = c.get("/api/v1/dvk-figures?period=2026-Q9").await;
    assert_eq!((r.status, r.code()), (bad, "bad_period".into()));
}

/// Participants never above the commune; writes only by the keeper; counts go up.
async fn scope_and_deidentification(s: Arc<dyn Storage>) {
    let router = app_on(&s).await;
    let c = Client::login(&router, COMMUNE).await;
    let r = post(&c, "/api/v1/dvk-models", new_model("Đường làng sạch")).await;
    let id = r.json()["id"].as_str().unwrap().to_string();
    let uri = format!("/api/v1/dvk-models/{id}");

    // Another commune's officer: neither reads nor writes it.
    let other = Client::login(&router, OTHER_COMMUNE).await;
    let r = other.get(&uri).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "out_of_scope".into())
    );
    let r = put(
        &other,
        &uri,
        with(new_model("X"), "unit", json!(THUY_NGUYEN)),
    )
    .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "out_of_scope".into())
    );
    let r = post(&other, &format!("{uri}/end"), json!({"on": "2026-01-01"})).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "out_of_scope".into())
    );
    assert_eq!(other.get("/api/v1/dvk-models").await.json(), json!([]));
    let r = other
        .get(&format!("/api/v1/dvk-models?unit={HOA_BINH}"))
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "out_of_scope".into())
    );

    // The city officer: names, fields and dates, never participants nor the description.
    let city = Client::login(&router, CITY).await;
    let r = city.get(&uri).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let text = r.text();
    assert!(
        !text.contains("Bímật") && !text.contains("hiến đất"),
        "{text}"
    );
    let m = r.json();
    assert_eq!(m["name"], "Đường làng sạch");
    assert_eq!(m["field"], "economic");
    assert_eq!(m["editable"], false);
    assert!(m.get("participants").is_none());
    let list = city.get("/api/v1/dvk-models?unit=31").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.text());
    assert!(!list.text().contains("Bímật"));
    assert_eq!(list.json()[0]["name"], "Đường làng sạch");
    // … and does not write a commune's model.
    let r = put(&city, &uri, new_model("Y")).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "dvk_forbidden".into())
    );
    let r = post(&city, &format!("{uri}/end"), json!({"on": "2026-01-01"})).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "dvk_forbidden".into())
    );
    let r = post(
        &city,
        "/api/v1/dvk-models",
        with(new_model("Z"), "unit", json!(HOA_BINH)),
    )
    .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "dvk_forbidden".into())
    );
    // The city's own model: the city officer keeps it; the commune does not see it.
    let city_model = with(
        with(
            new_model("Dân vận khéo trong xây dựng đô thị"),
            "unit",
            json!("31"),
        ),
        "recognised_level",
        json!("city"),
    );
    let r = post(&city, "/api/v1/dvk-models", city_model).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let city_id = r.json()["id"].as_str().unwrap().to_string();
    assert_eq!(r.json()["editable"], true);
    let r = c.get(&format!("/api/v1/dvk-models/{city_id}")).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "out_of_scope".into())
    );
    // A legacy district's model (read on a day it existed): the city keeps it too.
    let district = with(
        with(
            new_model("Mô hình huyện cũ"),
            "unit",
            json!("31.thanh-pho-thuy-nguyen"),
        ),
        "unit_on",
        json!("2025-03-01"),
    );
    let r = post(&city, "/api/v1/dvk-models", district).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());

    // Figures for the city in 2025 (2025-01-01 .. 2025-12-31): the commune's model (recognised
    // 2025-10-01, commended 2025-11-01) in Hòa Bình's row; the city's and the district's (both
    // recognised 2025-10-01 and commended 2025-11-01) in the city's own line.
    // Total: in force 3, new 3, commended 3, ended 0; all economic.
    let f = city.get("/api/v1/dvk-figures?unit=31&period=2025").await;
    assert_eq!(f.status, StatusCode::OK, "{}", f.text());
    assert!(!f.text().contains("Bímật") && !f.text().contains("Đường làng"));
    let f = f.json();
    let hb = f["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["unit"] == HOA_BINH)
        .unwrap();
    assert_eq!(hb["figures"]["in_force"], 1);
    assert_eq!(f["own"]["in_force"], 2);
    assert_eq!(f["own"]["new_in_period"], 2);
    assert_eq!(f["unallocated"]["in_force"], 0);
    assert_eq!(f["total"]["in_force"], 3);
    assert_eq!(f["total"]["commended_in_period"], 3);
    assert_eq!(f["total"]["by_field"][0]["in_force"], 3);
    // A commune officer's figures of another commune are out of scope.
    let r = other
        .get(&format!("/api/v1/dvk-figures?unit={HOA_BINH}&period=2025"))
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "out_of_scope".into())
    );

    // Pages: the city sees the table and names, never participants.
    let page = city.get("/dvk?unit=31&period=2025").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let html = page.text();
    assert!(html.contains("Đường làng sạch") && html.contains("Phường Hòa Bình"));
    assert!(!html.contains("Bímật"), "{html}");
    let page = city.get(&format!("/dvk/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.text().contains("Bímật"));
    assert!(!page.text().contains("action=\"/dvk/"));
}

/// The dashboard: the register and its forms, in Vietnamese and English.
async fn dashboard_pages_and_forms(s: Arc<dyn Storage>) {
    let router = app_on(&s).await;
    let c = Client::login(&router, COMMUNE).await;
    let page = c.get("/dvk").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let html = page.text();
    assert!(html.contains("Mô hình \"Dân vận khéo\"") || html.contains("Dân vận khéo"));
    assert!(html.contains("Kinh tế"));
    let csrf = hidden(&html, "csrf");
    let r = c
        .post_form(
            "/dvk",
            &format!(
                "csrf={}&unit={HOA_BINH}&name={}&field=cultural_social&participants={}&description=&started_on=2025-08-01&recognised_level=commune&recognised_by={}&recognised_on=2025-09-02&commended_by=&commended_form=&commended_on=",
                enc(&csrf),
                enc("Phụ nữ giúp nhau"),
                enc(&format!("{PERSON}\r\nChi hội Phụ nữ tổ 1\r\n")),
                enc("UBND phường"),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let model_page = r.location();
    assert!(model_page.starts_with("/dvk/"));
    let html = c.get(&model_page).await.text();
    assert!(
        html.contains(PERSON) && html.contains("Chi hội Phụ nữ tổ 1"),
        "{html}"
    );
    assert!(html.contains("Văn hóa – xã hội"));
    let id: Uuid = model_page.trim_start_matches("/dvk/").parse().unwrap();
    let stored = s.dvk_model(id).await.unwrap().unwrap();
    assert_eq!(
        stored.participants,
        format!("{PERSON}\nChi hội Phụ nữ tổ 1")
    );
    assert!(!stored.commended);
    // Edit through the form: commended with a bằng khen.
    let r = c
        .post_form(
            &model_page,
            &format!(
                "csrf={}&name={}&field=cultural_social&participants=&started_on=2025-08-01&recognised_level=commune&recognised_by=&recognised_on=2025-09-02&commended=1&commended_by={}&commended_form=diploma_of_merit&commended_on=2025-12-01",
                enc(&csrf),
                enc("Phụ nữ giúp nhau làm kinh tế"),
                enc("UBND thành phố"),
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let stored = s.dvk_model(id).await.unwrap().unwrap();
    assert_eq!(stored.name, "Phụ nữ giúp nhau làm kinh tế");
    assert_eq!(stored.unit, HOA_BINH);
    assert_eq!(stored.commended_form.as_deref(), Some("diploma_of_merit"));
    assert_eq!(stored.participants, "");
    // English.
    let list = c.get("/dvk?lang=en").await.text();
    assert!(list.contains("\"Dân vận khéo\" models") || list.contains("Dân vận khéo models"));
    assert!(list.contains("Cultural and social"));
    assert!(list.contains("Phụ nữ giúp nhau làm kinh tế"));
    // The nav link on other pages.
    assert!(c.get("/teams").await.text().contains("href=\"/dvk\""));
    // End through the form; a bad date gives the error page with the API's status.
    let r = c
        .post_form(
            &format!("{model_page}/end"),
            &format!("csrf={}&on=not-a-date", enc(&csrf)),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text().contains("dvk_bad_dates"));
    let r = c
        .post_form(
            &format!("{model_page}/end"),
            &format!("csrf={}&on=2026-01-01", enc(&csrf)),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(
        s.dvk_model(id).await.unwrap().unwrap().ended_on,
        Some(date("2026-01-01"))
    );
    // Not logged in: to the login page.
    let anon = Client::anonymous(&router);
    let r = anon.get("/dvk").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = anon.get("/api/v1/dvk-models").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

both_backends!(
    figures_by_hand,
    guarded_writes,
    api_create_list_edit_end,
    validation_errors,
    scope_and_deidentification,
    dashboard_pages_and_forms,
);
