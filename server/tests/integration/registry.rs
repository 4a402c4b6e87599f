//! The registry of mediation teams and mediators (ADR 0008): hand-computed figures for the
//! Ministry of Justice teams/mediators form and the guarded writes on both backends; scope,
//! de-identification, CSRF and bad input over HTTP.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::Utc;
use danvan_server::registry::{TeamFigures, team_figures};
use danvan_server::storage::Storage;
use danvan_server::storage::registry::{
    MediatorRow, MembershipChange, MembershipRow, Refusal, TeamRow,
};
use danvan_server::units::{Successor, Unit, UnitTree};
use uuid::Uuid;

use crate::dash::*;
use crate::support::{both_backends, date};

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

/// Province P; communes C1 (villages V1, V2) and C2 (village V3). Old village VO (in C1) ended
/// on 2025-12-31 and went wholly into V2; old village VS was split between V1 (C1) and V3 (C2).
fn units() -> Vec<Unit> {
    vec![
        unit("P", "", "province", None, &[]),
        unit("C1", "P", "commune", None, &[]),
        unit("C2", "P", "commune", None, &[]),
        unit("V1", "C1", "village", None, &[]),
        unit("V2", "C1", "village", None, &[]),
        unit("V3", "C2", "village", None, &[]),
        unit("VO", "C1", "village", Some("2025-12-31"), &["V2"]),
        unit("VS", "C2", "village", Some("2025-12-31"), &["V1", "V3"]),
    ]
}

fn team(village: &str, village_on: &str, established: &str, dissolved: Option<&str>) -> TeamRow {
    let now = Utc::now();
    TeamRow {
        id: Uuid::now_v7(),
        name: format!("Tổ hòa giải {village}"),
        village: village.into(),
        village_on: date(village_on),
        established_on: date(established),
        dissolved_on: dissolved.map(date),
        notes: String::new(),
        created_at: now,
        updated_at: now,
        updated_by: "test".into(),
    }
}

struct Person {
    sex: &'static str,
    minority: bool,
    qualification: &'static str,
    trained: bool,
}

const MAN: Person = Person {
    sex: "male",
    minority: false,
    qualification: "none",
    trained: false,
};

async fn mediator(
    s: &dyn Storage,
    p: Person,
    team: Uuid,
    role: &str,
    from: &str,
) -> Result<Uuid, Refusal> {
    let now = Utc::now();
    let m = MediatorRow {
        id: Uuid::now_v7(),
        full_name: "Nguyễn Văn A".into(),
        sex: p.sex.into(),
        ethnicity: String::new(),
        ethnic_minority: p.minority,
        legal_qualification: p.qualification.into(),
        trained: p.trained,
        recognised_on: date(from),
        left_on: None,
        notes: String::new(),
        created_at: now,
        updated_at: now,
        updated_by: "test".into(),
    };
    let first = MembershipRow {
        id: Uuid::now_v7(),
        mediator_id: m.id,
        team_id: team,
        role: role.into(),
        from_on: date(from),
        to_on: None,
    };
    s.create_mediator(&m, &first).await.unwrap().map(|()| m.id)
}

async fn change(s: &dyn Storage, id: Uuid, on: &str, c: MembershipChange) -> Result<(), Refusal> {
    s.change_membership(id, date(on), &c, Utc::now(), "test")
        .await
        .unwrap()
}

fn move_to(id: Uuid, team: Uuid, role: &str, on: &str) -> MembershipChange {
    MembershipChange::Move(MembershipRow {
        id: Uuid::now_v7(),
        mediator_id: id,
        team_id: team,
        role: role.into(),
        from_on: date(on),
        to_on: None,
    })
}

async fn tree(s: &dyn Storage) -> UnitTree {
    s.upsert_units(&units()).await.unwrap();
    UnitTree::new(s.load_units().await.unwrap())
}

/// A fixed dataset, counted for the period 2026-01-01 .. 2026-06-30 with rows C1 and C2.
async fn figures_by_hand(s: Arc<dyn Storage>) {
    let s = s.as_ref();
    let tree = tree(s).await;
    let t1 = team("V1", "2026-01-01", "2020-01-01", None);
    // Registered under the old code VO: resolves to V2 (C1) on the cut-off.
    let t2 = team("VO", "2024-05-01", "2024-05-01", None);
    // New in the period.
    let t3 = team("V3", "2026-02-01", "2026-03-01", None);
    // Dissolved from 2026-02-01: not in force on the cut-off.
    let t4 = team("V3", "2026-01-01", "2019-01-01", None);
    // Split village VS (V1 in C1, V3 in C2): in the total only.
    let t5 = team("VS", "2025-01-01", "2018-01-01", None);
    // Established after the cut-off: not counted at all.
    let t6 = team("V1", "2026-07-15", "2026-07-15", None);
    for t in [&t1, &t2, &t3, &t4, &t5, &t6] {
        s.create_team(t).await.unwrap();
    }
    let m1 = Person {
        sex: "female",
        minority: true,
        qualification: "legal_intermediate",
        trained: true,
    };
    // M1: T1 leader since 2020, woman, minority, trung cấp luật, trained: in force (C1).
    mediator(s, m1, t1.id, "leader", "2020-01-01")
        .await
        .unwrap();
    // M2: T1 since 2021, left from 2026-04-01: not in force; left (C1).
    let m2 = mediator(s, MAN, t1.id, "member", "2021-01-01")
        .await
        .unwrap();
    change(s, m2, "2026-04-01", MembershipChange::Leave)
        .await
        .unwrap();
    // M3: T1 from 2026-02-01, cử nhân luật, trained: in force and new (C1).
    let m3 = Person {
        qualification: "law_bachelor_or_higher",
        trained: true,
        ..MAN
    };
    mediator(s, m3, t1.id, "member", "2026-02-01")
        .await
        .unwrap();
    // M4: T2 from 2026-08-01, after the cut-off: counted nowhere.
    mediator(s, MAN, t2.id, "member", "2026-08-01")
        .await
        .unwrap();
    // M5: T1 since 2022, moved to T3 (C2) as leader from 2026-03-15: in force in C2, a leader,
    // neither new nor left.
    let m5 = mediator(s, MAN, t1.id, "member", "2022-01-01")
        .await
        .unwrap();
    change(
        s,
        m5,
        "2026-03-15",
        move_to(m5, t3.id, "leader", "2026-03-15"),
    )
    .await
    .unwrap();
    // M6: T4 since 2019, left from 2026-01-15 (then T4 dissolved from 2026-02-01): left (C2).
    let m6 = mediator(s, MAN, t4.id, "member", "2019-01-01")
        .await
        .unwrap();
    change(s, m6, "2026-01-15", MembershipChange::Leave)
        .await
        .unwrap();
    s.dissolve_team(t4.id, date("2026-02-01"), Utc::now(), "test")
        .await
        .unwrap()
        .unwrap();
    // M7: T5 (split village) woman since 2018: in force, in the total only.
    let woman = Person {
        sex: "female",
        ..MAN
    };
    mediator(s, woman, t5.id, "member", "2018-01-01")
        .await
        .unwrap();
    // M8: T2 from 2025-12-31 (the day before the start), minority: in force, not new (C1).
    let m8 = Person {
        minority: true,
        ..MAN
    };
    mediator(s, m8, t2.id, "member", "2025-12-31")
        .await
        .unwrap();
    // M9: T1 woman since 2024, left from 2026-07-01 (after the cut-off): in force, not left.
    let woman = Person {
        sex: "female",
        ..MAN
    };
    let m9 = mediator(s, woman, t1.id, "member", "2024-01-01")
        .await
        .unwrap();
    change(s, m9, "2026-07-01", MembershipChange::Leave)
        .await
        .unwrap();

    let rows = vec!["C1".to_string(), "C2".to_string()];
    let (per_row, total) = team_figures(s, &tree, &rows, date("2026-01-01"), date("2026-06-30"))
        .await
        .unwrap();
    let c1 = TeamFigures {
        teams: 2,                         // T1, T2 (T6 not yet established)
        teams_new: 0,                     // T6 is established after the cut-off
        mediators: 4,                     // M1, M3, M8, M9 (M2 left, M4 not yet, M5 moved)
        mediators_female: 2,              // M1, M9
        mediators_ethnic_minority: 2,     // M1, M8
        mediators_legal_qualification: 2, // M1 trung cấp, M3 cử nhân
        mediators_trained: 2,             // M1, M3
        team_leaders: 1,                  // M1
        mediators_new: 1,                 // M3 (M8 was recognised the day before the start)
        mediators_left: 1,                // M2 (M9 leaves after the cut-off)
    };
    let c2 = TeamFigures {
        teams: 1,          // T3 (T4 dissolved from 2026-02-01)
        teams_new: 1,      // T3
        mediators: 1,      // M5 (moved in; M6 left)
        team_leaders: 1,   // M5
        mediators_left: 1, // M6
        ..TeamFigures::default()
    };
    assert_eq!(per_row, vec![c1, c2]);
    let expected_total = TeamFigures {
        teams: 4,                         // 2 + 1 + T5 (total only)
        teams_new: 1,                     // T3
        mediators: 6,                     // 4 + 1 + M7 (total only)
        mediators_female: 3,              // M1, M9, M7
        mediators_ethnic_minority: 2,     // M1, M8
        mediators_legal_qualification: 2, // M1, M3
        mediators_trained: 2,             // M1, M3
        team_leaders: 2,                  // M1, M5
        mediators_new: 1,                 // M3
        mediators_left: 2,                // M2, M6
    };
    assert_eq!(total, expected_total);

    // The figures reconcile: in force on the cut-off = in force the day before the start
    // + new − left (moves between rows aside, over the total).
    let (_, before) = team_figures(s, &tree, &rows, date("2025-01-01"), date("2025-12-31"))
        .await
        .unwrap();
    // Before: M1, M2, M5 (in T1), M6 (T4), M7 (T5), M8 (T2 from 2025-12-31), M9 = 7.
    assert_eq!(before.mediators, 7);
    assert_eq!(
        before.mediators + total.mediators_new - total.mediators_left,
        total.mediators
    );
    // Teams before: T1, T2, T4, T5 = 4; + T3 new − T4 dissolved = 4.
    assert_eq!(before.teams, 4);
}

/// Writes that depend on other rows are refused in the writing statement, and write nothing.
async fn guarded_writes(s: Arc<dyn Storage>) {
    let s = s.as_ref();
    let _ = tree(s).await;
    let t = team("V1", "2026-01-01", "2020-01-01", None);
    s.create_team(&t).await.unwrap();
    let leader = mediator(s, MAN, t.id, "leader", "2020-01-01")
        .await
        .unwrap();
    // A second leader.
    assert_eq!(
        mediator(s, MAN, t.id, "leader", "2021-01-01").await,
        Err(Refusal::LeaderTaken)
    );
    // A membership before the team existed.
    assert_eq!(
        mediator(s, MAN, t.id, "member", "2019-12-31").await,
        Err(Refusal::TeamNotInForce)
    );
    // Nothing of the refused mediators was written.
    let members = s.members_of_teams(&[t.id]).await.unwrap();
    assert_eq!(members.len(), 1);
    let (facts_teams, facts_members) = s.registry_facts().await.unwrap();
    assert_eq!((facts_teams.len(), facts_members.len()), (1, 1));
    // Dissolving with a mediator still in the team.
    assert_eq!(
        s.dissolve_team(t.id, date("2026-05-01"), Utc::now(), "test")
            .await
            .unwrap(),
        Err(Refusal::HasMembers)
    );
    // Moving the team's establishment after a membership's start.
    let mut later = t.clone();
    later.established_on = date("2021-01-01");
    assert_eq!(s.update_team(&later).await.unwrap(), Err(Refusal::Dates));
    assert_eq!(
        s.team(t.id).await.unwrap().unwrap().established_on,
        date("2020-01-01")
    );
    // Ending a membership before it began; then properly.
    assert_eq!(
        change(s, leader, "2019-01-01", MembershipChange::Leave).await,
        Err(Refusal::NoOpenMembership)
    );
    change(s, leader, "2026-04-01", MembershipChange::Leave)
        .await
        .unwrap();
    assert_eq!(
        change(s, leader, "2026-05-01", MembershipChange::Leave).await,
        Err(Refusal::NoOpenMembership)
    );
    s.dissolve_team(t.id, date("2026-05-01"), Utc::now(), "test")
        .await
        .unwrap()
        .unwrap();
    // No one joins a dissolved team.
    assert_eq!(
        mediator(s, MAN, t.id, "member", "2026-05-01").await,
        Err(Refusal::TeamNotInForce)
    );
    let (m, ms) = s.mediator(leader).await.unwrap().unwrap();
    assert_eq!(m.left_on, Some(date("2026-04-01")));
    assert_eq!(ms.len(), 1);
    assert_eq!(ms[0].to_on, Some(date("2026-04-01")));
}

both_backends!(figures_by_hand, guarded_writes);

// ---------------------------------------------------------------------------------------------
// HTTP (SQLite): scope, de-identification, CSRF, bad input.

const VILLAGE: &str = "11533-T01";
const OTHER_VILLAGE: &str = "11560-T01";

async fn put_json(c: &Client, uri: &str, body: serde_json::Value) -> Resp {
    c.send(
        Request::put(uri)
            .header(header::CONTENT_TYPE, "application/json")
            .header("x-csrf-token", c.csrf.as_str())
            .body(Body::from(body.to_string()))
            .unwrap(),
    )
    .await
}

fn new_team(name: &str, village: &str) -> serde_json::Value {
    serde_json::json!({"name": name, "village": village, "established_on": "2020-01-01"})
}

fn new_mediator(team: &str, role: &str) -> serde_json::Value {
    serde_json::json!({
        "full_name": "Trần Thị Bích", "sex": "female", "ethnicity": "Tày",
        "ethnic_minority": true, "legal_qualification": "legal_intermediate", "trained": true,
        "team_id": team, "role": role, "from": "2020-01-01"
    })
}

async fn count_rows(d: &Dash) -> (usize, usize) {
    let (t, m) = d.storage.registry_facts().await.unwrap();
    (t.len(), m.len())
}

#[tokio::test]
async fn commune_officer_keeps_the_registry_through_the_api() {
    let d = dash().await;
    let c = Client::login(&d.router, COMMUNE).await;
    let r = c
        .post_json(
            "/api/v1/teams",
            new_team("Tổ hòa giải số 1", VILLAGE),
            Some(&c.csrf),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let team = r.json();
    let tid = team["id"].as_str().unwrap().to_string();
    assert_eq!(team["village"], VILLAGE);
    assert_eq!(team["in_force"], true);

    let r = c
        .post_json(
            "/api/v1/mediators",
            new_mediator(&tid, "leader"),
            Some(&c.csrf),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let mid = r.json()["id"].as_str().unwrap().to_string();

    let list = c.get("/api/v1/teams").await.json();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["members"][0]["full_name"], "Trần Thị Bích");
    assert_eq!(list[0]["members"][0]["role"], "leader");

    // Update: personal fields, then the team.
    let mut upd = new_mediator(&tid, "leader");
    let o = upd.as_object_mut().unwrap();
    for k in ["team_id", "role", "from"] {
        o.remove(k);
    }
    o.insert("full_name".into(), "Trần Thị Bích Ngọc".into());
    let r = put_json(&c, &format!("/api/v1/mediators/{mid}"), upd).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["full_name"], "Trần Thị Bích Ngọc");
    let r = put_json(
        &c,
        &format!("/api/v1/teams/{tid}"),
        new_team("Tổ 1 mới", VILLAGE),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["name"], "Tổ 1 mới");

    // A second leader; dissolving with a mediator in the team.
    let r = c
        .post_json(
            "/api/v1/mediators",
            new_mediator(&tid, "leader"),
            Some(&c.csrf),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::CONFLICT, "team_has_leader".into())
    );
    let r = c
        .post_json(
            &format!("/api/v1/teams/{tid}/dissolve"),
            serde_json::json!({"on": "2026-01-01"}),
            Some(&c.csrf),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::CONFLICT, "team_has_mediators".into())
    );
    // Ending before recognition; then ending, then dissolving.
    let end = format!("/api/v1/mediators/{mid}/end");
    let r = c
        .post_json(&end, serde_json::json!({"on": "2019-01-01"}), Some(&c.csrf))
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::BAD_REQUEST, "bad_dates".into())
    );
    let r = c
        .post_json(&end, serde_json::json!({"on": "2025-01-01"}), Some(&c.csrf))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["left_on"], "2025-01-01");
    let r = c
        .post_json(
            &format!("/api/v1/teams/{tid}/dissolve"),
            serde_json::json!({"on": "2025-02-01"}),
            Some(&c.csrf),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["dissolved_on"], "2025-02-01");
    assert_eq!(r.json()["in_force"], false);
}

#[tokio::test]
async fn bad_input_is_refused_with_a_stable_code_and_writes_nothing() {
    let d = dash().await;
    let c = Client::login(&d.router, COMMUNE).await;
    let r = c
        .post_json("/api/v1/teams", new_team("Tổ 1", VILLAGE), Some(&c.csrf))
        .await;
    let tid = r.json()["id"].as_str().unwrap().to_string();
    let before = count_rows(&d).await;
    let dissolve = format!("/api/v1/teams/{tid}/dissolve");
    let cases: Vec<(&str, serde_json::Value, StatusCode, &str)> = vec![
        (
            "/api/v1/teams",
            new_team("Tổ\u{0}1", VILLAGE),
            StatusCode::BAD_REQUEST,
            "invalid_text",
        ),
        (
            "/api/v1/teams",
            new_team("   ", VILLAGE),
            StatusCode::BAD_REQUEST,
            "invalid_text",
        ),
        (
            "/api/v1/teams",
            new_team(&"x".repeat(201), VILLAGE),
            StatusCode::BAD_REQUEST,
            "invalid_text",
        ),
        // A commune, not a village.
        (
            "/api/v1/teams",
            new_team("Tổ 2", HOA_BINH),
            StatusCode::BAD_REQUEST,
            "not_a_village",
        ),
        (
            "/api/v1/teams",
            new_team("Tổ 2", "no-such-unit"),
            StatusCode::BAD_REQUEST,
            "not_a_village",
        ),
        // Another commune's village.
        (
            "/api/v1/teams",
            new_team("Tổ 2", OTHER_VILLAGE),
            StatusCode::FORBIDDEN,
            "out_of_scope",
        ),
        (
            "/api/v1/teams",
            serde_json::json!({"name": "Tổ 2", "village": VILLAGE, "established_on": "1900-01-01"}),
            StatusCode::BAD_REQUEST,
            "bad_dates",
        ),
        (
            "/api/v1/teams",
            serde_json::json!({"name": "Tổ 2", "village": VILLAGE, "established_on": "2020-13-01"}),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            "/api/v1/teams",
            serde_json::json!({"name": "Tổ 2", "village": VILLAGE, "established_on": "2020-01-01", "extra": 1}),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            "/api/v1/mediators",
            {
                let mut m = new_mediator(&tid, "member");
                m["sex"] = "other".into();
                m
            },
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            "/api/v1/mediators",
            {
                let mut m = new_mediator(&tid, "member");
                m["full_name"] = "A\u{1b}[31m".into();
                m
            },
            StatusCode::BAD_REQUEST,
            "invalid_text",
        ),
        (
            "/api/v1/mediators",
            {
                // Before the team was established.
                let mut m = new_mediator(&tid, "member");
                m["from"] = "2019-06-01".into();
                m
            },
            StatusCode::CONFLICT,
            "team_not_in_force",
        ),
        (
            "/api/v1/mediators",
            new_mediator(&Uuid::now_v7().to_string(), "member"),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            &dissolve,
            serde_json::json!({"on": "2019-01-01"}),
            StatusCode::BAD_REQUEST,
            "bad_dates",
        ),
    ];
    for (uri, body, status, code) in cases {
        let r = c.post_json(uri, body.clone(), Some(&c.csrf)).await;
        assert_eq!(
            (r.status, r.code()),
            (status, code.to_string()),
            "{uri} {body}"
        );
        assert_eq!(count_rows(&d).await, before, "{uri} {body} wrote something");
    }
    // No CSRF token, or a wrong one.
    let r = c
        .post_json("/api/v1/teams", new_team("Tổ 3", VILLAGE), None)
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "csrf_failed".into())
    );
    let r = c
        .post_json("/api/v1/teams", new_team("Tổ 3", VILLAGE), Some("nope"))
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "csrf_failed".into())
    );
    // The dashboard form without its token.
    let r = c
        .post_form(
            "/teams",
            "name=T%E1%BB%95+4&village=11533-T01&established_on=2020-01-01",
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(count_rows(&d).await, before);
}

#[tokio::test]
async fn names_stay_in_the_commune_counts_go_up() {
    let d = dash().await;
    let c = Client::login(&d.router, COMMUNE).await;
    let r = c
        .post_json(
            "/api/v1/teams",
            new_team("Tổ hòa giải số 1", VILLAGE),
            Some(&c.csrf),
        )
        .await;
    let tid = r.json()["id"].as_str().unwrap().to_string();
    let r = c
        .post_json(
            "/api/v1/mediators",
            new_mediator(&tid, "leader"),
            Some(&c.csrf),
        )
        .await;
    let mid = r.json()["id"].as_str().unwrap().to_string();

    // Another commune's officer: not this team, not this mediator.
    let other = Client::login(&d.router, OTHER_COMMUNE).await;
    for uri in [
        format!("/api/v1/teams/{tid}"),
        format!("/api/v1/mediators/{mid}"),
    ] {
        let r = other.get(&uri).await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::FORBIDDEN, "out_of_scope".into())
        );
    }
    assert_eq!(
        other.get("/api/v1/teams").await.json(),
        serde_json::json!([])
    );
    let r = other
        .post_json(
            &format!("/api/v1/mediators/{mid}/end"),
            serde_json::json!({"on": "2025-01-01"}),
            Some(&other.csrf),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "out_of_scope".into())
    );

    // The city officer: no names anywhere, counts only.
    let city = Client::login(&d.router, CITY).await;
    for uri in [
        "/api/v1/teams".to_string(),
        "/api/v1/mediators".to_string(),
        format!("/api/v1/teams/{tid}"),
        format!("/api/v1/mediators/{mid}"),
    ] {
        let r = city.get(&uri).await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::FORBIDDEN, "registry_forbidden".into()),
            "{uri}"
        );
    }
    let r = city
        .post_json("/api/v1/teams", new_team("Tổ X", VILLAGE), Some(&city.csrf))
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "registry_forbidden".into())
    );
    let fig = city.get("/api/v1/team-figures?unit=31&period=2026").await;
    assert_eq!(fig.status, StatusCode::OK, "{}", fig.text());
    let text = fig.text();
    assert!(
        !text.contains("Bích") && !text.contains("Tổ hòa giải số 1"),
        "{text}"
    );
    let fig = fig.json();
    assert_eq!(fig["total"]["teams"], 1);
    assert_eq!(fig["total"]["mediators"], 1);
    assert_eq!(fig["total"]["mediators_female"], 1);
    assert_eq!(fig["total"]["mediators_ethnic_minority"], 1);
    assert_eq!(fig["total"]["mediators_legal_qualification"], 1);
    assert_eq!(fig["total"]["team_leaders"], 1);
    let hb = fig["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["unit"] == HOA_BINH)
        .unwrap();
    assert_eq!(hb["figures"]["mediators"], 1);
    // The page: counts, never names.
    let page = city.get("/teams?unit=31&period=2026").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    assert!(!page.text().contains("Bích"));
    assert!(!page.text().contains("Tổ hòa giải số 1"));
    // A commune officer's figures of another commune are out of scope.
    let r = other
        .get(&format!("/api/v1/team-figures?unit={HOA_BINH}&period=2026"))
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "out_of_scope".into())
    );
}

#[tokio::test]
async fn dashboard_pages_and_forms() {
    let d = dash().await;
    let c = Client::login(&d.router, COMMUNE).await;
    let page = c.get("/teams").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let html = page.text();
    assert!(html.contains("Tổ hòa giải và hòa giải viên"));
    let csrf = hidden(&html, "csrf");
    let r = c
        .post_form(
            "/teams",
            &format!(
                "csrf={}&name={}&village={VILLAGE}&established_on=2020-01-01&notes=",
                enc(&csrf),
                enc("Tổ hòa giải Đông")
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let team_page = r.location();
    assert!(team_page.starts_with("/teams/"));
    let r = c
        .post_form(
            &format!("{team_page}/mediators"),
            &format!(
                "csrf={}&full_name={}&sex=male&ethnicity=Kinh&legal_qualification=none&trained=1&role=member&from=2021-05-01",
                enc(&csrf),
                enc("Lê Văn Cường")
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let html = c.get(&team_page).await.text();
    assert!(html.contains("Lê Văn Cường"), "{html}");
    let list = c.get("/teams?lang=en").await.text();
    assert!(list.contains("Mediation teams and mediators"));
    assert!(list.contains("Tổ hòa giải Đông"));
    // A bad date in a form: the error page with the API's status.
    let r = c
        .post_form(
            &format!("{team_page}/dissolve"),
            &format!("csrf={}&on=not-a-date", enc(&csrf)),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text().contains("bad_dates"));
}
