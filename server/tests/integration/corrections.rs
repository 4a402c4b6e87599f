//! Correcting a wrong closing through `POST /v1/sync` (ADR 0009): who may push a correction,
//! and a correction after a lock is a late amendment that changes the locked period's report;
//! and reports over a configured 15th-to-14th window (Decree 09/2019/NĐ-CP art. 12).

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use danvan_core::model::InspectionActivity;
use danvan_core::model::common::{Date, Timestamp};
use danvan_core::model::mediation::MediationCategory;
use danvan_core::sync::wire::{
    self, Outcome, Push, RejectReason, SyncRequest, SyncResponse, to_wire_heads,
};
use danvan_core::{Record, RecordBody, RecordDoc};
use danvan_server::aggregate::PeriodsConfig;
use danvan_server::roles::Role;
use danvan_server::state::AppState;
use danvan_server::storage::Storage;
use danvan_server::{ServerConfig, app};
use http_body_util::BodyExt;
use tower::ServiceExt;
use uuid::Uuid;

use crate::dash::{Client, case};
use crate::support::{TestDb, both_backends, state};

const VILLAGE: &str = "11533-T01";
const COMMUNE: &str = "11533";

fn d(y: i32, m: u32, day: u32) -> Date {
    Date::ymd(y, m, day).unwrap()
}

/// An enrolled device: its id (the actor of its changes) and its bearer token.
struct Device {
    id: Uuid,
    auth: String,
}

async fn enroll(router: &Router, st: &AppState, role: Role, unit: &str) -> Device {
    let req = danvan_server::enrollment::EnrollmentRequest {
        person: format!("{role}"),
        role,
        unit: unit.into(),
        expires_hours: 1,
        created_by: "test".into(),
    };
    let issued =
        danvan_server::enrollment::issue(st.storage.as_ref(), &st.units.tree(), &req, None)
            .await
            .unwrap();
    let body = serde_json::json!({"code": issued.code, "device_label": "test"}).to_string();
    let resp = router
        .clone()
        .oneshot(
            Request::post("/v1/enroll")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let id = v["device_id"].as_str().unwrap();
    let secret = v["device_secret"].as_str().unwrap();
    Device {
        id: id.parse().unwrap(),
        auth: format!("Bearer {id}.{secret}"),
    }
}

/// Push `changes` of `doc` from `device`; the verdict.
async fn push(router: &Router, device: &Device, doc: &mut RecordDoc, changes: Vec<u8>) -> Outcome {
    let p = Push {
        id: doc.record().unwrap().id().parse().unwrap(),
        changes,
        heads: to_wire_heads(&doc.heads()),
    };
    let req = SyncRequest {
        epoch: 0,
        cursor: 0,
        pushes: vec![p],
        want_full: vec![],
        max_response_bytes: 64 * 1024,
    };
    let resp = router
        .clone()
        .oneshot(
            Request::post(wire::SYNC_PATH)
                .header(header::CONTENT_TYPE, wire::CONTENT_TYPE)
                .header(header::AUTHORIZATION, &device.auth)
                .body(Body::from(wire::encode(&req)))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let r: SyncResponse = wire::decode(&bytes).unwrap();
    r.verdicts.into_iter().next().unwrap().outcome
}

fn accepted(o: &Outcome) {
    assert!(matches!(o, Outcome::Accepted { .. }), "{o:?}");
}

fn rejected(o: &Outcome) -> (RejectReason, String) {
    match o {
        Outcome::Rejected { reason, detail } => (*reason, detail.clone()),
        other => panic!("expected rejected, got {other:?}"),
    }
}

/// `device`'s copy of a record the server has as `bytes` (as after a pull).
fn copy(bytes: &[u8], device: &Device) -> RecordDoc {
    RecordDoc::load(bytes, &device.id).unwrap()
}

/// Correct the current closing of `doc` as `device`'s local write; the correction's id.
fn correct(doc: &mut RecordDoc, reason: &str) -> String {
    let mut r = doc.record().unwrap();
    let closing = r.timeline().current().unwrap().id.clone();
    r.correct(&closing, reason, &doc.writer(), Timestamp::now())
        .unwrap();
    doc.write(&r, "correction").unwrap();
    r.timeline().current().unwrap().id.clone()
}

/// A mediation case of the village received 2 Sep 2025 and closed as successful on 20 Sep,
/// created on `device` and accepted by the server; the bytes as saved.
async fn closed_case(router: &Router, device: &Device) -> Vec<u8> {
    let r = case(
        VILLAGE,
        COMMUNE,
        d(2025, 9, 2),
        MediationCategory::Civil,
        Some(("successful", d(2025, 9, 20))),
    );
    let mut doc = RecordDoc::create(&r, &device.id).unwrap();
    accepted(&{
        let ch = doc.save();
        push(router, device, &mut doc, ch).await
    });
    doc.save()
}

async fn who_may_correct_and_a_late_correction(storage: Arc<dyn Storage>) {
    let st = state(storage, ServerConfig::default()).await;
    let router = app(st.clone());
    let agg = st.aggregator.clone();
    let mediator = enroll(&router, &st, Role::Mediator, VILLAGE).await;
    let leader = enroll(&router, &st, Role::TeamLeader, VILLAGE).await;
    let officer = enroll(&router, &st, Role::CommuneOfficer, COMMUNE).await;
    let inspector = enroll(&router, &st, Role::Inspector, COMMUNE).await;

    let bytes = closed_case(&router, &mediator).await;
    let q3 = agg.periods().period("2025-Q3").unwrap();
    agg.lock_period(COMMUNE, &q3, "canbo").await.unwrap();
    let before = agg.report(COMMUNE, &q3).await.unwrap();
    let m = &before.totals.mediation;
    assert_eq!((m.successful, m.in_progress), (1, 0));
    assert_eq!(before.late_amendments, 0);

    // The mediator who closed it may not correct it.
    let mut doc = copy(&bytes, &mediator);
    let since = doc.heads();
    let k = correct(&mut doc, "Bấm nhầm");
    let (reason, detail) = rejected(&{
        let ch = doc.changes_after(&since);
        push(&router, &mediator, &mut doc, ch).await
    });
    assert_eq!(reason, RejectReason::Invalid);
    assert_eq!(detail, format!("history[{k}]:correction_not_allowed"));
    assert_eq!(agg.report(COMMUNE, &q3).await.unwrap().late_amendments, 0);

    // The team leader may: the locked quarter's report as of now changes, flagged.
    let mut doc = copy(&bytes, &leader);
    let since = doc.heads();
    correct(&mut doc, "Các bên chưa ký biên bản hòa giải thành");
    accepted(&{
        let ch = doc.changes_after(&since);
        push(&router, &leader, &mut doc, ch).await
    });
    let after = agg.report(COMMUNE, &q3).await.unwrap();
    let m = &after.totals.mediation;
    assert_eq!((m.successful, m.in_progress), (0, 1));
    assert_eq!(after.late_amendments, 1);
    // The lock keeps what was reported.
    let snap = agg.lock_snapshot(COMMUNE, &q3).await.unwrap().unwrap();
    assert_eq!(snap["mediation"]["successful"], 1);
    // Correcting the same closing again, knowing it was corrected, is refused.
    let mut again = RecordDoc::load(&doc.save(), &leader.id).unwrap();
    let since = again.heads();
    let mut r = again.record().unwrap();
    let mut k2 = r.timeline().current().unwrap().clone();
    k2.id = danvan_core::model::common::new_item_id();
    r.history.push(k2.clone());
    r.derive();
    again.write(&r, "crafted").unwrap();
    let (reason, detail) = rejected(&{
        let ch = again.changes_after(&since);
        push(&router, &leader, &mut again, ch).await
    });
    assert_eq!(reason, RejectReason::Invalid);
    assert_eq!(detail, format!("history[{}]:already_corrected", k2.id));

    // A commune officer corrects a mediation case with a correction-only push; a correction
    // with any other change to a kind it may not write is refused.
    let bytes = closed_case(&router, &mediator).await;
    let mut doc = copy(&bytes, &officer);
    let since = doc.heads();
    correct(&mut doc, "nhầm");
    let mut r = doc.record().unwrap();
    if let RecordBody::Mediation(m) = &mut r.body {
        m.summary = "sửa thêm".into();
    }
    doc.write(&r, "edit").unwrap();
    let (reason, _) = rejected(&{
        let ch = doc.changes_after(&since);
        push(&router, &officer, &mut doc, ch).await
    });
    assert_eq!(reason, RejectReason::ForbiddenKind);
    let mut doc = copy(&bytes, &officer);
    let since = doc.heads();
    correct(&mut doc, "nhầm");
    accepted(&{
        let ch = doc.changes_after(&since);
        push(&router, &officer, &mut doc, ch).await
    });

    // Inspection: the inspector may not correct a closing, the commune officer may.
    let mut ins = Record::new(
        COMMUNE,
        inspector.id.to_string(),
        d(2025, 8, 1),
        RecordBody::Inspection(InspectionActivity::example()),
    );
    ins.transition("closed", d(2025, 8, 20), "thanh", None)
        .unwrap();
    let mut doc = RecordDoc::create(&ins, &inspector.id).unwrap();
    accepted(&{
        let ch = doc.save();
        push(&router, &inspector, &mut doc, ch).await
    });
    let bytes = doc.save();
    let mut doc = copy(&bytes, &inspector);
    let since = doc.heads();
    let k = correct(&mut doc, "Chưa báo cáo");
    let (reason, detail) = rejected(&{
        let ch = doc.changes_after(&since);
        push(&router, &inspector, &mut doc, ch).await
    });
    assert_eq!(
        (reason, detail),
        (
            RejectReason::Invalid,
            format!("history[{k}]:correction_not_allowed")
        )
    );
    let mut doc = copy(&bytes, &officer);
    let since = doc.heads();
    correct(&mut doc, "Chưa báo cáo Mặt trận");
    accepted(&{
        let ch = doc.changes_after(&since);
        push(&router, &officer, &mut doc, ch).await
    });

    // A transition the machine does not allow is refused, whoever pushes it.
    let bytes = closed_case(&router, &mediator).await;
    let mut doc = copy(&bytes, &leader);
    let since = doc.heads();
    let mut r = doc.record().unwrap();
    let head = r.timeline().current().unwrap().clone();
    let mut bad = head.clone();
    bad.id = danvan_core::model::common::new_item_id();
    bad.from = Some(head.to.clone());
    bad.to = "mediating".into();
    bad.after = vec![head.id.clone()];
    r.history.push(bad.clone());
    r.derive();
    doc.write(&r, "crafted").unwrap();
    let (reason, detail) = rejected(&{
        let ch = doc.changes_after(&since);
        push(&router, &leader, &mut doc, ch).await
    });
    assert_eq!(reason, RejectReason::Invalid);
    assert_eq!(detail, format!("history[{}]:bad_transition", bad.id));
}

both_backends!(who_may_correct_and_a_late_correction);

/// A province on Decree 09/2019's windows: `2025-07` is 15 June – 14 July. A case received on
/// 14 July is July's; one received on 15 July is August's (and July's open case is carried
/// over into August). With calendar months both are July's.
#[tokio::test]
async fn reports_served_with_a_15th_to_14th_window() {
    let toml = "window_start_day = 15\nmonth_deadline_day = 20\n";
    for (periods, july, august) in [
        // (received, carried over, total) hand-computed for each configuration.
        (PeriodsConfig::from_toml(toml).unwrap(), (1, 0), (1, 1)),
        (PeriodsConfig::default(), (2, 0), (0, 2)),
    ] {
        let db = TestDb::sqlite().await;
        let storage = db.storage();
        let units = crate::support::haiphong(storage.as_ref()).await;
        for recv in [d(2025, 7, 14), d(2025, 7, 15)] {
            let r = case(VILLAGE, COMMUNE, recv, MediationCategory::Civil, None);
            crate::dash::store(storage.as_ref(), &r).await;
        }
        let user = ("canbo.hoabinh", "mật khẩu của cán bộ xã");
        danvan_server::users::add_user(
            storage.as_ref(),
            &units.tree(),
            user.0,
            Role::CommuneOfficer,
            COMMUNE,
            user.1,
        )
        .await
        .unwrap();
        let windowed = periods.window_start_day == 15;
        let st = AppState::new(
            storage.clone(),
            units,
            ServerConfig {
                periods,
                ..ServerConfig::default()
            },
        );
        let router = app(st);
        let c = Client::login(&router, user).await;
        for (key, (received, carried)) in [("2025-07", july), ("2025-08", august)] {
            let rep = c
                .get(&format!("/api/v1/aggregates?unit={COMMUNE}&period={key}"))
                .await
                .json();
            let m = &rep["totals"]["mediation"];
            assert_eq!(
                (m["received"].as_u64(), m["carried_over"].as_u64()),
                (Some(received), Some(carried)),
                "{key} windowed={windowed}: {rep}"
            );
            if windowed && key == "2025-07" {
                assert_eq!(rep["period"]["start"], "2025-06-15");
                assert_eq!(rep["period"]["end"], "2025-07-14");
                assert_eq!(rep["period"]["cutoff"], "2025-07-14");
                assert_eq!(rep["period"]["deadline"], "2025-07-20");
            }
        }
        db.cleanup().await;
    }
}
