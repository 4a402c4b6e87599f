//! End to end: a real server on a loopback port, several devices with their own stores.
#![allow(clippy::unwrap_used)]

use std::cell::Cell;

use danvan_core::store::{ListQuery, SyncState};
use danvan_core::sync::wire::{self, SyncRequest};
use danvan_core::sync::{self, HttpReply, NetworkError, SyncError, SyncOptions, Transport};
use danvan_core::{CoreError, RecordBody};
use danvan_e2e::*;
use danvan_server::Role;

fn summary_of(d: &Device, id: &str) -> String {
    let RecordBody::Mediation(m) = d.store.get(id).unwrap().body else {
        panic!("not mediation")
    };
    m.summary
}

/// Two mediators of one team edit the same case offline and converge, see the conflict on the
/// field both changed, and one resolution clears it everywhere. Runs on the server's SQLite.
fn team_converges(server: &TestServer) {
    let mut lan = server
        .enroll("Nguyễn Thị Lan", Role::Mediator, VILLAGE_HOA_BINH_1)
        .unwrap();
    let mut hung = server
        .enroll("Trần Văn Hùng", Role::TeamLeader, VILLAGE_HOA_BINH_1)
        .unwrap();
    let rec = lan
        .create(
            mediation_case(VILLAGE_HOA_BINH_1, COMMUNE_HOA_BINH),
            day(9, 2),
        )
        .unwrap();
    let id = rec.id().to_string();
    assert_eq!(
        lan.store.sync_state(&id).unwrap().state,
        SyncState::LocalOnly
    );
    lan.sync().unwrap();
    assert_eq!(
        lan.store.sync_state(&id).unwrap().state,
        SyncState::Accepted
    );
    let p = hung.sync().unwrap();
    assert_eq!(p.pulled, 1);
    assert_eq!(hung.store.get(&id).unwrap(), lan.store.get(&id).unwrap());

    // Offline: both edit. Lan starts mediating; Hùng adds a note; both rewrite the summary.
    lan.store
        .transition(&id, "mediating", day(9, 4), None)
        .unwrap();
    lan.store
        .update(&id, |r| {
            let RecordBody::Mediation(m) = &mut r.body else {
                unreachable!()
            };
            m.summary = "Tranh chấp lối đi chung (Lan ghi)".into();
            m.started_on = Some(day(9, 4));
            Ok(())
        })
        .unwrap();
    hung.store
        .update(&id, |r| {
            let RecordBody::Mediation(m) = &mut r.body else {
                unreachable!()
            };
            m.summary = "Tranh chấp lối đi chung (Hùng ghi)".into();
            m.notes = Some("Đã mời trưởng tổ dân phố".into());
            Ok(())
        })
        .unwrap();
    lan.sync().unwrap();
    hung.sync().unwrap();
    lan.sync().unwrap();

    let (a, b) = (lan.store.get(&id).unwrap(), hung.store.get(&id).unwrap());
    assert_eq!(a, b, "both devices show the same record");
    let RecordBody::Mediation(m) = &a.body else {
        unreachable!()
    };
    assert_eq!(
        m.notes.as_deref(),
        Some("Đã mời trưởng tổ dân phố"),
        "Hùng's note merged"
    );
    assert_eq!(a.body.status_code(), "mediating", "Lan's transition merged");
    let conflicts = lan.store.conflicts(&id).unwrap();
    assert_eq!(conflicts, hung.store.conflicts(&id).unwrap());
    assert_eq!(conflicts.len(), 1, "{conflicts:?}");
    assert!(conflicts[0].path.ends_with(".summary"));
    let authors: Vec<_> = conflicts[0]
        .values
        .iter()
        .map(|v| v.author.clone())
        .collect();
    assert!(authors.contains(&lan.id().to_string()) && authors.contains(&hung.id().to_string()));

    // Lan keeps Hùng's wording; after a sync round Hùng sees no conflict any more.
    let pick = conflicts[0]
        .values
        .iter()
        .position(|v| v.value.contains("Hùng"))
        .unwrap();
    lan.store
        .resolve_conflict(&id, &conflicts[0].path, pick)
        .unwrap();
    lan.sync().unwrap();
    hung.sync().unwrap();
    assert!(hung.store.conflicts(&id).unwrap().is_empty());
    assert_eq!(summary_of(&hung, &id), "Tranh chấp lối đi chung (Hùng ghi)");
    assert_eq!(summary_of(&lan, &id), summary_of(&hung, &id));

    // The server wrote the fact row with the merged status.
    let fact = server.block_on(server.storage.fact(&id)).unwrap().unwrap();
    assert_eq!(
        (fact.status.as_str(), fact.unit.as_str()),
        ("mediating", VILLAGE_HOA_BINH_1)
    );
    assert!(!fact.measures.contains("Nguyễn") && !fact.history.contains("Lối"));
}

#[test]
fn two_mediators_of_one_team_converge_sqlite() {
    let server = TestServer::start().unwrap();
    team_converges(&server);
}

#[test]
fn two_mediators_of_one_team_converge_postgres() {
    if let Some(server) = TestServer::start_postgres().unwrap() {
        team_converges(&server);
    }
}

/// Lan stops a case while Hùng starts mediating it, both offline (issue "Two people, one
/// case", situation 1). Neither push is rejected; every copy shows the same record with a
/// status conflict naming both; the server's fact row follows the status shown and then the
/// one chosen, never a superseded branch.
fn two_people_move_one_case_at_once(server: &TestServer) {
    let mut lan = server
        .enroll("Nguyễn Thị Lan", Role::Mediator, VILLAGE_HOA_BINH_1)
        .unwrap();
    let mut hung = server
        .enroll("Trần Văn Hùng", Role::TeamLeader, VILLAGE_HOA_BINH_1)
        .unwrap();
    let id = lan
        .create(
            mediation_case(VILLAGE_HOA_BINH_1, COMMUNE_HOA_BINH),
            day(9, 2),
        )
        .unwrap()
        .id()
        .to_string();
    lan.sync().unwrap();
    hung.sync().unwrap();

    lan.store
        .transition(&id, "stopped", day(9, 6), None)
        .unwrap();
    hung.store
        .transition(&id, "mediating", day(9, 5), None)
        .unwrap();
    lan.sync().unwrap();
    hung.sync().unwrap();
    lan.sync().unwrap();
    for d in [&lan, &hung] {
        let st = d.store.sync_state(&id).unwrap();
        assert_eq!(st.state, SyncState::Accepted, "{:?}", st.rejection);
    }
    let (a, b) = (lan.store.get(&id).unwrap(), hung.store.get(&id).unwrap());
    assert_eq!(a, b);
    // The later effective date is shown first on every device: Lan's stop (6 Sep).
    assert_eq!(a.body.status_code(), "stopped");
    let conflicts = hung.store.conflicts(&id).unwrap();
    assert_eq!(conflicts, lan.store.conflicts(&id).unwrap());
    let status = conflicts.iter().find(|c| c.path == "status").unwrap();
    let shown: Vec<(&str, &str)> = status
        .values
        .iter()
        .map(|v| (v.value.as_str(), v.author.as_str()))
        .collect();
    let (lan_id, hung_id) = (lan.id().to_string(), hung.id().to_string());
    assert_eq!(
        shown,
        vec![
            ("stopped", lan_id.as_str()),
            ("mediating", hung_id.as_str())
        ]
    );
    let fact = server.block_on(server.storage.fact(&id)).unwrap().unwrap();
    assert_eq!(fact.status, "stopped");

    // Hùng keeps mediating (choice 1); everyone converges, conflict gone, the fact row moves
    // and its history no longer holds the superseded stop.
    hung.store.resolve_conflict(&id, "status", 1).unwrap();
    hung.sync().unwrap();
    lan.sync().unwrap();
    let (a, b) = (lan.store.get(&id).unwrap(), hung.store.get(&id).unwrap());
    assert_eq!(a, b);
    assert_eq!(a.body.status_code(), "mediating");
    assert!(lan.store.conflicts(&id).unwrap().is_empty());
    let fact = server.block_on(server.storage.fact(&id)).unwrap().unwrap();
    assert_eq!(fact.status, "mediating");
    assert!(!fact.history.contains("stopped"), "{}", fact.history);
}

#[test]
fn two_people_move_one_case_at_once_sqlite() {
    let server = TestServer::start().unwrap();
    two_people_move_one_case_at_once(&server);
}

#[test]
fn two_people_move_one_case_at_once_postgres() {
    if let Some(server) = TestServer::start_postgres().unwrap() {
        two_people_move_one_case_at_once(&server);
    }
}

#[test]
fn other_communes_never_receive_and_the_commune_officer_does() {
    let server = TestServer::start().unwrap();
    let mut lan = server
        .enroll("Nguyễn Thị Lan", Role::Mediator, VILLAGE_HOA_BINH_1)
        .unwrap();
    let mut other = server
        .enroll("Phạm Thị Mai", Role::Mediator, VILLAGE_THUY_NGUYEN_1)
        .unwrap();
    let mut neighbour = server
        .enroll("Vũ Văn Nam", Role::Mediator, VILLAGE_HOA_BINH_2)
        .unwrap();
    let mut officer = server
        .enroll("Lê Thị Thu", Role::CommuneOfficer, COMMUNE_HOA_BINH)
        .unwrap();
    let mut city = server
        .enroll("Đặng Quốc Bảo", Role::CityOfficer, "31")
        .unwrap();
    for _ in 0..3 {
        lan.create(
            mediation_case(VILLAGE_HOA_BINH_1, COMMUNE_HOA_BINH),
            day(9, 2),
        )
        .unwrap();
    }
    lan.sync().unwrap();
    let mine = other
        .create(mediation_case(VILLAGE_THUY_NGUYEN_1, "11560"), day(9, 3))
        .unwrap();
    other.sync().unwrap();
    assert_eq!(
        other.store.list(&ListQuery::default()).unwrap().len(),
        1,
        "only its own case"
    );
    assert_eq!(
        neighbour.sync().unwrap().pulled,
        0,
        "another village's team sees nothing"
    );
    assert_eq!(
        officer.sync().unwrap().pulled,
        3,
        "the commune officer reads the commune's cases"
    );
    assert!(
        officer.store.get(mine.id()).is_err(),
        "but not another commune's"
    );
    assert_eq!(
        city.sync().unwrap().pulled,
        0,
        "no record documents leave the commune level"
    );
}

#[test]
fn officers_cannot_write_and_crafted_moves_out_of_scope_are_refused() {
    let server = TestServer::start().unwrap();
    let mut city = server
        .enroll("Đặng Quốc Bảo", Role::CityOfficer, "31")
        .unwrap();
    let rec = city
        .create(
            mediation_case(VILLAGE_HOA_BINH_1, COMMUNE_HOA_BINH),
            day(9, 2),
        )
        .unwrap();
    let p = city.sync().unwrap();
    assert_eq!((p.accepted, p.rejected), (0, 1));
    let st = city.store.sync_state(rec.id()).unwrap();
    assert_eq!(st.state, SyncState::Rejected);
    assert_eq!(st.rejection.unwrap().code, "read_only");
    assert!(
        server
            .block_on(server.storage.full_document(rec.id()))
            .unwrap()
            .is_none(),
        "nothing stored"
    );

    // A mediator creates a case, then moves it to another commune's village: refused, and the
    // server keeps the accepted version.
    let mut lan = server
        .enroll("Nguyễn Thị Lan", Role::Mediator, VILLAGE_HOA_BINH_1)
        .unwrap();
    let rec = lan
        .create(
            mediation_case(VILLAGE_HOA_BINH_1, COMMUNE_HOA_BINH),
            day(9, 2),
        )
        .unwrap();
    lan.sync().unwrap();
    lan.store
        .update(rec.id(), |r| {
            r.envelope.unit = VILLAGE_THUY_NGUYEN_1.into();
            Ok(())
        })
        .unwrap();
    let p = lan.sync().unwrap();
    assert_eq!(p.rejected, 1);
    let st = lan.store.sync_state(rec.id()).unwrap();
    assert_eq!(st.rejection.unwrap().code, "out_of_scope");
    let fact = server
        .block_on(server.storage.fact(rec.id()))
        .unwrap()
        .unwrap();
    assert_eq!(
        fact.unit, VILLAGE_HOA_BINH_1,
        "the server kept the in-scope version"
    );

    // Inspection records are not a mediator's to write.
    let mut lan2 = server
        .enroll("Nguyễn Thị Lan", Role::Mediator, VILLAGE_HOA_BINH_1)
        .unwrap();
    let mut act = danvan_core::model::InspectionActivity::example();
    act.board = VILLAGE_HOA_BINH_1.into();
    let r = lan2.create(RecordBody::Inspection(act), day(7, 1)).unwrap();
    lan2.sync().unwrap();
    assert_eq!(
        lan2.store
            .sync_state(r.id())
            .unwrap()
            .rejection
            .unwrap()
            .code,
        "forbidden_kind"
    );
}

#[test]
fn a_revoked_device_is_refused_at_once() {
    let server = TestServer::start().unwrap();
    let mut lan = server
        .enroll("Nguyễn Thị Lan", Role::Mediator, VILLAGE_HOA_BINH_1)
        .unwrap();
    lan.create(
        mediation_case(VILLAGE_HOA_BINH_1, COMMUNE_HOA_BINH),
        day(9, 2),
    )
    .unwrap();
    lan.sync().unwrap();
    server.revoke(&lan).unwrap();
    lan.create(
        mediation_case(VILLAGE_HOA_BINH_1, COMMUNE_HOA_BINH),
        day(9, 3),
    )
    .unwrap();
    match lan.sync() {
        Err(CoreError::Sync(e)) => match *e {
            SyncError::Unauthorized { code, .. } => assert_eq!(code, "device_revoked"),
            other => panic!("unexpected {other:?}"),
        },
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(
        lan.store.summary(day(9, 30)).unwrap().unsynced,
        1,
        "the new case is kept on the phone"
    );
}

/// Delivers requests but loses the answer of sync round number `fail_on` (the server did the
/// work). Other requests (the device certificate before the first round) pass and are not
/// counted.
struct LosesOneAnswer<'a> {
    inner: &'a dyn Transport,
    calls: Cell<u32>,
    fail_on: u32,
}

impl Transport for LosesOneAnswer<'_> {
    fn post(
        &self,
        path: &str,
        ct: &str,
        auth: Option<&str>,
        body: &[u8],
    ) -> Result<HttpReply, NetworkError> {
        if path != wire::SYNC_PATH {
            return self.inner.post(path, ct, auth, body);
        }
        let n = self.calls.get() + 1;
        self.calls.set(n);
        let reply = self.inner.post(path, ct, auth, body)?;
        if n == self.fail_on {
            Err(NetworkError("connection reset".into()))
        } else {
            Ok(reply)
        }
    }
}

fn interrupted_sync_resumes(server: &TestServer) {
    let mut lan = server
        .enroll("Nguyễn Thị Lan", Role::Mediator, VILLAGE_HOA_BINH_1)
        .unwrap();
    let mut hung = server
        .enroll("Trần Văn Hùng", Role::TeamLeader, VILLAGE_HOA_BINH_1)
        .unwrap();
    let mut ids = Vec::new();
    for _ in 0..30 {
        ids.push(
            lan.create(
                mediation_case(VILLAGE_HOA_BINH_1, COMMUNE_HOA_BINH),
                day(9, 2),
            )
            .unwrap()
            .id()
            .to_string(),
        );
    }
    let opts = SyncOptions {
        max_push_count: 10,
        ..SyncOptions::default()
    };
    let http = sync::HttpTransport::new(&server.url, std::time::Duration::from_secs(30));
    let flaky = LosesOneAnswer {
        inner: &http,
        calls: Cell::new(0),
        fail_on: 2,
    };
    let err = sync::run_sync(&mut lan.store, &flaky, &lan.creds.clone(), opts, |_| {}).unwrap_err();
    assert!(
        matches!(err, CoreError::Sync(ref e) if matches!(**e, SyncError::Network(_))),
        "{err}"
    );
    // The first batch is accepted; the second reached the server but its answer was lost.
    let states: Vec<_> = ids
        .iter()
        .map(|id| lan.store.sync_state(id).unwrap().state)
        .collect();
    assert_eq!(
        states.iter().filter(|s| **s == SyncState::Accepted).count(),
        10
    );
    // The unanswered batch shows as not sent again (the phone cannot know it arrived), like the
    // batch never sent; nothing is left in the "sent, awaiting the answer" state.
    assert_eq!(states.iter().filter(|s| **s == SyncState::Sent).count(), 0);
    assert_eq!(
        states
            .iter()
            .filter(|s| **s == SyncState::LocalOnly)
            .count(),
        20
    );

    let p = lan.sync_with(opts).unwrap();
    assert_eq!(
        p.accepted, 20,
        "the unanswered batch is sent again and accepted, plus the rest"
    );
    for id in &ids {
        assert_eq!(lan.store.sync_state(id).unwrap().state, SyncState::Accepted);
    }
    let stats = server.block_on(server.storage.doc_stats()).unwrap();
    assert_eq!(stats.documents, 30, "no record lost, none duplicated");
    assert_eq!(hung.sync().unwrap().pulled, 30);
    assert_eq!(hung.store.list(&ListQuery::default()).unwrap().len(), 30);
    // Nothing left to say: one round trip.
    let p = lan.sync().unwrap();
    assert_eq!((p.rounds, p.pushed, p.pulled), (1, 0, 0));
}

#[test]
fn a_sync_cut_midway_and_retried_loses_and_duplicates_nothing_sqlite() {
    interrupted_sync_resumes(&TestServer::start().unwrap());
}

#[test]
fn a_sync_cut_midway_and_retried_loses_and_duplicates_nothing_postgres() {
    if let Some(server) = TestServer::start_postgres().unwrap() {
        interrupted_sync_resumes(&server);
    }
}

#[test]
fn bad_sync_requests_get_a_stable_4xx_and_change_nothing() {
    let server = TestServer::start().unwrap();
    let lan = server
        .enroll("Nguyễn Thị Lan", Role::Mediator, VILLAGE_HOA_BINH_1)
        .unwrap();
    let t = lan.transport();
    let auth = lan.creds.authorization();
    let code = |r: &HttpReply| -> String {
        let s = String::from_utf8_lossy(&r.body).to_string();
        let i = s.find("\"code\":\"").map(|i| i + 8).unwrap_or(0);
        s[i..].split('"').next().unwrap_or("").to_string()
    };
    let good = wire::encode(&SyncRequest {
        epoch: 0,
        cursor: 0,
        pushes: vec![],
        want_full: vec![],
        max_response_bytes: 1 << 20,
    });
    let post = |body: &[u8], ct: &str, auth: Option<&str>| {
        t.post(wire::SYNC_PATH, ct, auth, body).unwrap()
    };

    let r = post(
        b"garbage that is not a frame",
        wire::CONTENT_TYPE,
        Some(&auth),
    );
    assert_eq!((r.status, code(&r).as_str()), (400, "bad_frame"));
    let r = post(&good[..good.len() - 2], wire::CONTENT_TYPE, Some(&auth));
    assert_eq!(
        (r.status, code(&r).as_str()),
        (400, "bad_frame"),
        "truncated"
    );
    let mut old = good.clone();
    old[2..4].copy_from_slice(&0u16.to_be_bytes());
    let r = post(&old, wire::CONTENT_TYPE, Some(&auth));
    assert_eq!((r.status, code(&r).as_str()), (426, "upgrade_required"));
    let r = post(&good, "application/json", Some(&auth));
    assert_eq!(
        (r.status, code(&r).as_str()),
        (415, "unsupported_media_type")
    );
    let r = post(&good, wire::CONTENT_TYPE, None);
    assert_eq!((r.status, code(&r).as_str()), (401, "auth_malformed"));
    let r = post(
        &good,
        wire::CONTENT_TYPE,
        Some(&format!("Bearer {}.{}", lan.id(), "A".repeat(43))),
    );
    assert_eq!((r.status, code(&r).as_str()), (401, "device_unknown"));
    // Oversized bodies (413 body_too_large) are tested in server/tests/integration/http.rs,
    // where the test controls how the body is streamed.
    // A push whose bytes are not Automerge: rejected per record, nothing stored.
    let id = uuid::Uuid::now_v7();
    let bad = wire::encode(&SyncRequest {
        epoch: 0,
        cursor: 0,
        pushes: vec![wire::Push {
            id,
            changes: b"\x85\x6f\x4a\x83not automerge".to_vec(),
            heads: vec![],
        }],
        want_full: vec![],
        max_response_bytes: 1 << 20,
    });
    let r = post(&bad, wire::CONTENT_TYPE, Some(&auth));
    assert_eq!(r.status, 200);
    let resp: wire::SyncResponse = wire::decode(&r.body).unwrap();
    assert!(matches!(
        resp.verdicts[0].outcome,
        wire::Outcome::Rejected {
            reason: wire::RejectReason::Malformed,
            ..
        }
    ));
    assert_eq!(
        server
            .block_on(server.storage.doc_stats())
            .unwrap()
            .documents,
        0
    );
}
