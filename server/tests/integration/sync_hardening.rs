//! `POST /v1/sync` against what a hostile or broken client sends (issue 11): documents grown
//! past the size limit a push at a time, changes under another device's actor id, probes of
//! records outside the device's scope, frames with trailing bytes, and content types that only
//! start like the sync type. On both backends.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use danvan_core::model::common::Date;
use danvan_core::model::{DemocracyCheck, MediationCase};
use danvan_core::sync::wire::{
    self, Outcome, Push, RejectReason, SyncRequest, SyncResponse, from_wire_heads, to_wire_heads,
};
use danvan_core::{Record, RecordBody, RecordDoc};
use danvan_server::roles::Role;
use danvan_server::storage::Storage;
use danvan_server::{ServerConfig, app};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use uuid::Uuid;

use crate::support::{both_backends, state};

both_backends!(
    a_record_cannot_grow_past_the_limit_a_push_at_a_time,
    only_a_devices_own_changes_may_be_new,
    records_out_of_scope_are_answered_as_if_absent,
    trailing_bytes_and_other_content_types_are_refused,
    a_checker_above_the_commune_gets_only_its_own_checks
);

const HOME: &str = "11674-T02";
const ELSEWHERE: &str = "11560-T02";

struct Client {
    id: Uuid,
    auth: String,
}

struct Server {
    router: axum::Router,
    storage: Arc<dyn Storage>,
}

impl Server {
    async fn new(storage: Arc<dyn Storage>) -> Server {
        let st = state(storage.clone(), ServerConfig::default()).await;
        Server {
            router: app(st),
            storage,
        }
    }

    async fn enroll(&self, role: Role, unit: &str) -> Client {
        let st = state(self.storage.clone(), ServerConfig::default()).await;
        let req = danvan_server::enrollment::EnrollmentRequest {
            person: "Nguyễn Thị Lan".into(),
            role,
            unit: unit.into(),
            expires_hours: 72,
            created_by: "test".into(),
        };
        let issued =
            danvan_server::enrollment::issue(self.storage.as_ref(), &st.units.tree(), &req, None)
                .await
                .unwrap();
        let (status, body) = self
            .call(
                Request::post("/v1/enroll")
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(json!({"code": issued.code}).to_string()))
                    .unwrap(),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let v: Value = serde_json::from_slice(&body).unwrap();
        Client {
            id: v["device_id"].as_str().unwrap().parse().unwrap(),
            auth: format!(
                "Bearer {}.{}",
                v["device_id"].as_str().unwrap(),
                v["device_secret"].as_str().unwrap()
            ),
        }
    }

    async fn call(&self, req: Request<Body>) -> (StatusCode, Vec<u8>) {
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        (status, bytes.to_vec())
    }

    async fn post(&self, c: &Client, content_type: &str, body: Vec<u8>) -> (StatusCode, Vec<u8>) {
        self.call(
            Request::post(wire::SYNC_PATH)
                .header(header::CONTENT_TYPE, content_type)
                .header(header::AUTHORIZATION, &c.auth)
                .body(Body::from(body))
                .unwrap(),
        )
        .await
    }

    /// Push one record; its verdict.
    async fn push(&self, c: &Client, push: Push) -> Outcome {
        let frame = wire::encode(&request(vec![push]));
        let (status, body) = self.post(c, wire::CONTENT_TYPE, frame).await;
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        let resp: SyncResponse = wire::decode(&body).unwrap();
        resp.verdicts.into_iter().next().unwrap().outcome
    }
}

fn request(pushes: Vec<Push>) -> SyncRequest {
    SyncRequest {
        epoch: 0,
        cursor: 0,
        pushes,
        want_full: vec![],
        max_response_bytes: 64 * 1024,
    }
}

fn error_code(body: &[u8]) -> String {
    let v: Value = serde_json::from_slice(body).unwrap();
    v["error"]["code"].as_str().unwrap().to_string()
}

fn new_record(device: &Uuid, unit: &str) -> (Record, RecordDoc) {
    let record = Record::new(
        unit,
        device.to_string(),
        Date::ymd(2025, 9, 2).unwrap(),
        RecordBody::Mediation(MediationCase::example()),
    );
    let doc = RecordDoc::create(&record, device).unwrap();
    (record, doc)
}

fn note(doc: &mut RecordDoc, text: &str) {
    doc.update("ghi chú", |r| {
        if let RecordBody::Mediation(m) = &mut r.body {
            m.notes = Some(text.to_string());
        }
        Ok(())
    })
    .unwrap();
}

fn push_since(doc: &mut RecordDoc, record: &Record, since: &[[u8; 32]]) -> Push {
    Push {
        id: record.id().parse().unwrap(),
        changes: doc.changes_after(&from_wire_heads(since)),
        heads: to_wire_heads(&doc.heads()),
    }
}

fn accepted(o: &Outcome) -> Vec<[u8; 32]> {
    match o {
        Outcome::Accepted { heads } => heads.clone(),
        other => panic!("expected accepted, got {other:?}"),
    }
}

/// Text that compresses badly: random CJK characters (about `bytes` UTF-8 bytes).
fn noise(bytes: usize) -> String {
    let mut s = String::with_capacity(bytes);
    while s.len() < bytes {
        for pair in Uuid::new_v4().as_bytes().chunks(2) {
            let n = u32::from(u16::from_le_bytes([pair[0], pair[1]])) % 0x5000;
            s.push(char::from_u32(0x4E00 + n).unwrap());
        }
    }
    s
}

/// Item 5: six pushes of about 900 KB each used to grow one record to 5.6 MB; the 4 MiB limit
/// is now checked on the merged document, and a push that would pass it stores nothing.
async fn a_record_cannot_grow_past_the_limit_a_push_at_a_time(storage: Arc<dyn Storage>) {
    let server = Server::new(storage.clone()).await;
    let lan = server.enroll(Role::Mediator, HOME).await;
    let (record, mut doc) = new_record(&lan.id, HOME);
    let mut server_heads = accepted(&server.push(&lan, push_since(&mut doc, &record, &[])).await);
    let mut too_large = 0;
    for _ in 0..7 {
        note(&mut doc, &noise(1_000_000));
        let push = push_since(&mut doc, &record, &server_heads);
        assert!(push.changes.len() < 1024 * 1024, "{}", push.changes.len());
        match server.push(&lan, push).await {
            Outcome::Accepted { heads } => server_heads = heads,
            Outcome::Rejected {
                reason: RejectReason::TooLarge,
                ..
            } => {
                too_large += 1;
                // Nothing written: the server still has the heads it had.
                let (_, heads) = storage.full_document(record.id()).await.unwrap().unwrap();
                assert_eq!(
                    danvan_server::storage::docs::decode_heads(&heads),
                    server_heads
                );
                break;
            }
            other => panic!("unexpected {other:?}"),
        }
        let (bytes, _) = storage.full_document(record.id()).await.unwrap().unwrap();
        assert!(
            bytes.len() <= 4 * 1024 * 1024,
            "the stored document holds {} bytes",
            bytes.len()
        );
    }
    assert!(
        too_large > 0,
        "seven pushes of ~1 MB text were all accepted"
    );
}

/// Item 7: a change the server does not have must be under the pushing device's actor id;
/// another device's change the server has may travel again with the device's own.
async fn only_a_devices_own_changes_may_be_new(storage: Arc<dyn Storage>) {
    let server = Server::new(storage).await;
    let lan = server.enroll(Role::Mediator, HOME).await;
    let hung = server.enroll(Role::TeamLeader, HOME).await;
    let (record, mut doc) = new_record(&lan.id, HOME);
    let create = push_since(&mut doc, &record, &[]);
    // Hùng cannot create a record in Lan's name.
    match server.push(&hung, create.clone()).await {
        Outcome::Rejected {
            reason: RejectReason::Malformed,
            detail,
        } => assert!(detail.starts_with("foreign_actor"), "{detail}"),
        other => panic!("expected foreign_actor, got {other:?}"),
    }
    let base = accepted(&server.push(&lan, create).await);
    // Hùng writes a change under Lan's actor id: refused, nothing stored.
    let mut forged = RecordDoc::load(&doc.save(), &lan.id).unwrap();
    note(&mut forged, "Lan đồng ý");
    let push = push_since(&mut forged, &record, &base);
    assert!(matches!(
        server.push(&hung, push).await,
        Outcome::Rejected {
            reason: RejectReason::Malformed,
            ..
        }
    ));
    // Hùng's own change is accepted.
    let mut his = RecordDoc::load(&doc.save(), &hung.id).unwrap();
    note(&mut his, "Hùng đã gặp hai bên");
    accepted(
        &server
            .push(&hung, push_since(&mut his, &record, &base))
            .await,
    );
    // Lan holds Hùng's change (not new to the server) and sends it again with her own.
    doc.merge(&mut his).unwrap();
    note(&mut doc, "Lan: hòa giải thành");
    let heads = accepted(
        &server
            .push(&lan, push_since(&mut doc, &record, &base))
            .await,
    );
    assert_eq!(heads, to_wire_heads(&doc.heads()));
}

/// Item 8: a device of another commune learns nothing of a record outside its scope: a retry
/// of its exact bytes, an edit, and a new record under its unit get the answers an id the
/// server does not have gets, with no unit named.
async fn records_out_of_scope_are_answered_as_if_absent(storage: Arc<dyn Storage>) {
    let server = Server::new(storage).await;
    let lan = server.enroll(Role::Mediator, HOME).await;
    let outsider = server.enroll(Role::Mediator, ELSEWHERE).await;
    let (record, mut doc) = new_record(&lan.id, HOME);
    let create = push_since(&mut doc, &record, &[]);
    let base = accepted(&server.push(&lan, create.clone()).await);

    // Lan's exact push, replayed by the outsider (once "unchanged" with the record's heads).
    let replay = server.push(&outsider, create).await;
    // The outsider's own new record under Lan's unit, at an id the server does not have.
    let (theirs, mut their_doc) = new_record(&outsider.id, HOME);
    let absent = server
        .push(&outsider, push_since(&mut their_doc, &theirs, &[]))
        .await;
    let out_of_scope = Outcome::Rejected {
        reason: RejectReason::OutOfScope,
        detail: String::new(),
    };
    assert_eq!(absent, out_of_scope, "a new record outside the scope");
    // The replay is decided as for an id the server does not have: Lan's changes are new to
    // that "server", and not the outsider's own. No heads, no unit.
    assert!(
        matches!(&replay, Outcome::Rejected { reason: RejectReason::Malformed, detail }
            if detail.starts_with("foreign_actor") && !detail.contains(HOME)),
        "a replay of a record outside the scope: {replay:?}"
    );

    // An edit of Lan's record in the outsider's name, and the same edit of an unknown id.
    let mut edit_doc = RecordDoc::load(&doc.save(), &outsider.id).unwrap();
    note(&mut edit_doc, "thăm dò");
    let edit = push_since(&mut edit_doc, &record, &base);
    let mut unknown = edit.clone();
    unknown.id = Uuid::now_v7();
    let on_existing = server.push(&outsider, edit).await;
    let on_unknown = server.push(&outsider, unknown).await;
    assert_eq!(on_existing, on_unknown);
    assert!(
        !format!("{on_existing:?}").contains(HOME),
        "{on_existing:?}"
    );
}

/// Item 9: bytes after the frame's message are a bad frame; the content type must be the sync
/// type itself (any case), not a type that starts like it, and without parameters.
async fn trailing_bytes_and_other_content_types_are_refused(storage: Arc<dyn Storage>) {
    let server = Server::new(storage).await;
    let lan = server.enroll(Role::Mediator, HOME).await;
    let good = wire::encode(&request(vec![]));
    let mut trailing = good.clone();
    trailing.extend_from_slice(b"\0extra");
    let (status, body) = server.post(&lan, wire::CONTENT_TYPE, trailing).await;
    assert_eq!(
        (status, error_code(&body).as_str()),
        (StatusCode::BAD_REQUEST, "bad_frame")
    );
    for ct in [
        "application/x-danvan-sync-garbage",
        "application/x-danvan-sync; charset=utf-8",
        "application/x-danvan-syn",
        "text/plain",
    ] {
        let (status, body) = server.post(&lan, ct, good.clone()).await;
        assert_eq!(
            (status, error_code(&body).as_str()),
            (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
            "{ct}"
        );
    }
    for ct in [
        wire::CONTENT_TYPE,
        "Application/X-Danvan-Sync",
        " application/x-danvan-sync ",
    ] {
        let (status, _) = server.post(&lan, ct, good.clone()).await;
        assert_eq!(status, StatusCode::OK, "{ct}");
    }
}

/// Item 15: a checker enrolled at the city may check any of its 114 communes, but is sent only
/// the checks it has written to — not every commune's checks with their checkers and the
/// people answerable for remediation. A commune's own checker and officer still see every
/// check of their commune, the city checker's included.
async fn a_checker_above_the_commune_gets_only_its_own_checks(storage: Arc<dyn Storage>) {
    const COMMUNE: &str = "11674";
    const OTHER: &str = "11560";
    let server = Server::new(storage).await;
    let city = server.enroll(Role::Checker, "31").await;
    let local = server.enroll(Role::Checker, COMMUNE).await;
    let officer = server.enroll(Role::CommuneOfficer, COMMUNE).await;

    let check = |c: &Client, unit: &str| {
        let mut body = DemocracyCheck::example();
        body.commune = unit.into();
        let record = Record::new(
            unit,
            c.id.to_string(),
            Date::ymd(2025, 10, 10).unwrap(),
            RecordBody::Democracy(body),
        );
        let doc = RecordDoc::create(&record, &c.id).unwrap();
        (record, doc)
    };
    let conclude = |doc: &mut RecordDoc, text: &str| {
        doc.update("kết luận", |r| {
            if let RecordBody::Democracy(d) = &mut r.body {
                d.conclusion = Some(text.to_string());
            }
            Ok(())
        })
        .unwrap();
    };
    // The commune's own check (officer), the local checker's, and the city checker's two (in
    // the commune and in another one).
    let (theirs, mut their_doc) = check(&officer, COMMUNE);
    let their_base = accepted(
        &server
            .push(&officer, push_since(&mut their_doc, &theirs, &[]))
            .await,
    );
    let (locals, mut local_doc) = check(&local, COMMUNE);
    accepted(
        &server
            .push(&local, push_since(&mut local_doc, &locals, &[]))
            .await,
    );
    let (mine, mut my_doc) = check(&city, COMMUNE);
    let my_base = accepted(
        &server
            .push(&city, push_since(&mut my_doc, &mine, &[]))
            .await,
    );
    let (mine2, mut my_doc2) = check(&city, OTHER);
    accepted(
        &server
            .push(&city, push_since(&mut my_doc2, &mine2, &[]))
            .await,
    );

    // What each device is sent from the start (its own changes excepted).
    let pulled = |c: &Client, want_full: Vec<Uuid>| {
        let c = Client {
            id: c.id,
            auth: c.auth.clone(),
        };
        let server = &server;
        async move {
            let mut ids = Vec::new();
            let mut cursor = 0;
            let mut want_full = want_full;
            loop {
                let req = SyncRequest {
                    epoch: 0,
                    cursor,
                    pushes: vec![],
                    want_full: std::mem::take(&mut want_full),
                    max_response_bytes: 64 * 1024,
                };
                let (status, body) = server
                    .post(&c, wire::CONTENT_TYPE, wire::encode(&req))
                    .await;
                assert_eq!(status, StatusCode::OK);
                let resp: SyncResponse = wire::decode(&body).unwrap();
                ids.extend(resp.docs.iter().map(|d| d.id));
                cursor = resp.cursor;
                if !resp.more {
                    break;
                }
            }
            ids.sort();
            ids.dedup();
            ids
        }
    };
    let id = |r: &Record| -> Uuid { r.id().parse().unwrap() };
    let sorted = |mut v: Vec<Uuid>| {
        v.sort();
        v
    };
    // Nothing of the others' checks reaches the city checker, not even when it asks for
    // their whole documents by id; its own come back once another device changed them.
    assert_eq!(
        pulled(&city, vec![id(&theirs), id(&locals)]).await,
        Vec::<Uuid>::new()
    );
    // The commune officer adds a conclusion to the city checker's check: it reaches the
    // city checker.
    let mut on_mine = RecordDoc::load(&my_doc.save(), &officer.id).unwrap();
    conclude(&mut on_mine, "Xã đã khắc phục việc niêm yết");
    accepted(
        &server
            .push(&officer, push_since(&mut on_mine, &mine, &my_base))
            .await,
    );
    assert_eq!(pulled(&city, vec![]).await, vec![id(&mine)]);
    assert_eq!(
        pulled(&city, vec![id(&mine), id(&mine2), id(&theirs)]).await,
        sorted(vec![id(&mine), id(&mine2)])
    );
    // The commune's checker and officer see every check of the commune, the city's too.
    assert_eq!(
        pulled(&local, vec![]).await,
        sorted(vec![id(&theirs), id(&mine)])
    );
    assert_eq!(
        pulled(&officer, vec![]).await,
        sorted(vec![id(&locals), id(&mine)])
    );

    // An edit of the officer's check by the city checker is answered as for an id the server
    // does not have: nothing learnt, nothing written.
    let mut probe = RecordDoc::load(&their_doc.save(), &city.id).unwrap();
    conclude(&mut probe, "thăm dò");
    let edit = push_since(&mut probe, &theirs, &their_base);
    let mut unknown = edit.clone();
    unknown.id = Uuid::now_v7();
    let on_existing = server.push(&city, edit).await;
    assert_eq!(on_existing, server.push(&city, unknown).await);
    assert!(
        !matches!(on_existing, Outcome::Accepted { .. }),
        "{on_existing:?}"
    );
    let (bytes, _) = server
        .storage
        .full_document(theirs.id())
        .await
        .unwrap()
        .unwrap();
    let mut stored = RecordDoc::load(&bytes, &officer.id).unwrap();
    assert_eq!(stored.heads(), their_doc.heads());
    // Its own check it keeps editing.
    conclude(&mut my_doc2, "Đạt yêu cầu");
    accepted(
        &server
            .push(&city, push_since(&mut my_doc2, &mine2, &[]))
            .await,
    );
}
