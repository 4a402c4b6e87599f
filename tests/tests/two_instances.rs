//! Two server instances on one PostgreSQL database (issue 18): how a province runs danvan with no
//! single point of failure, behind any load balancer.
//!
//! Two `danvan-testserver` processes, A and B, serve one fresh database. Phones enroll on either,
//! create and edit records and sync to A and B in turn, two of them editing the same record at
//! the same moment on different instances. A is killed with `SIGKILL` while a phone's large
//! upload to it is in flight (B keeps serving; the phone finishes on B), then started again on
//! the same port. At the end: every record a phone created is accepted and stored exactly once
//! (counted in the database, through the API and in each instance's fact index), every phone
//! holds the same heads as the server for every record in its scope, and the aggregates of a
//! commune and of the city are byte for byte the same from either instance. A dashboard session
//! made on A works on B and ends on both; the failed-login limit is counted per instance
//! (ARCHITECTURE.md, "Several instances on one database"; ADR 0010).
//!
//! Runs only when `DANVAN_TEST_DATABASE_URL` is set (a fresh database under it, dropped after).
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::{Duration, Instant};

use danvan_core::store::{ListQuery, SyncState};
use danvan_core::sync::{self, HttpTransport, SyncError, SyncOptions, SyncProgress};
use danvan_core::{CoreError, RecordBody};
use danvan_e2e::process::{Database, ServerProcess};
use danvan_e2e::web::{self, Session, get, http, try_login};
use danvan_e2e::*;
use danvan_server::Role;
use sqlx::Connection;

const EXE: &str = env!("CARGO_BIN_EXE_danvan-testserver");
const PASSWORD: &str = "mật khẩu đủ dài 2025";
const COMMUNE_OFFICER: &str = "thu.hoabinh";
const CITY_OFFICER: &str = "bao.haiphong";
const PROBE: &str = "probe.hoabinh";
const COMMUNE_THUY_NGUYEN: &str = "11560";
const PERIOD: &str = "2025-09";

// ---------------------------------------------------------------------------------------------
// The dashboard over HTTP (danvan_e2e::web).

fn login(base: &str, user: &str) -> Session {
    web::login(base, user, PASSWORD)
}

/// The value of an unlabelled metric of an instance's `GET /metrics`.
fn metric(base: &str, name: &str) -> f64 {
    let auth = format!("Bearer {METRICS_TOKEN}");
    let r = http(base, "GET", "/metrics", &[("Authorization", &auth)], b"");
    assert_eq!(r.status, 200);
    let text = r.text();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in /metrics"))
}

// ---------------------------------------------------------------------------------------------
// Phones.

/// A phone with the records it created.
struct Phone {
    d: Device,
    village: &'static str,
    commune: &'static str,
    created: Vec<String>,
}

impl Phone {
    fn new(
        db: &Database,
        url: &str,
        person: &str,
        role: Role,
        unit: &'static str,
        commune: &'static str,
    ) -> Phone {
        Phone {
            d: db.enroll(url, person, role, unit).unwrap(),
            village: unit,
            commune,
            created: Vec::new(),
        }
    }

    fn create(&mut self, n: usize, tag: &str) {
        for i in 0..n {
            let mut body = mediation_case(self.village, self.commune);
            if let RecordBody::Mediation(m) = &mut body {
                m.summary = format!("{} ({tag} #{i})", m.summary);
            }
            let id = self.d.create(body, day(9, 2)).unwrap().id().to_string();
            self.created.push(id);
        }
    }

    fn note(&mut self, id: &str, note: &str) {
        self.d
            .store
            .update(id, |r| {
                if let RecordBody::Mediation(m) = &mut r.body {
                    m.notes = Some(note.to_string());
                }
                Ok(())
            })
            .unwrap();
    }

    fn summary(&mut self, id: &str, summary: &str) {
        self.d
            .store
            .update(id, |r| {
                if let RecordBody::Mediation(m) = &mut r.body {
                    m.summary = summary.to_string();
                }
                Ok(())
            })
            .unwrap();
    }

    fn sync_with(&mut self, url: &str, opts: SyncOptions) -> danvan_core::Result<SyncProgress> {
        let t = HttpTransport::new(url, Duration::from_secs(60));
        sync::run_sync(&mut self.d.store, &t, &self.d.creds, opts, |_| {})
    }

    /// Sync to `url`; nothing may be rejected.
    fn sync(&mut self, url: &str) -> SyncProgress {
        let p = self
            .sync_with(url, SyncOptions::default())
            .unwrap_or_else(|e| panic!("{} syncing to {url}: {e}", self.d.person));
        assert_eq!(p.rejected, 0, "{} to {url}: {p:?}", self.d.person);
        p
    }

    fn ids(&self) -> BTreeSet<String> {
        self.d
            .store
            .list(&ListQuery::default())
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect()
    }
}

/// Every phone syncs at once, phone `i` to `urls[(i + turn) % 2]`.
fn sync_all_at_once(phones: &mut [&mut Phone], urls: &[String; 2], turn: usize) {
    std::thread::scope(|s| {
        for (i, p) in phones.iter_mut().enumerate() {
            let url = &urls[(i + turn) % 2];
            s.spawn(move || p.sync(url));
        }
    });
}

/// Write transactions open on the database now, other than the caller's: (pid, xid, state).
fn open_writes(db: &Database, c: &mut sqlx::PgConnection) -> Vec<(i32, String, String)> {
    db.block_on(
        sqlx::query_as(
            "SELECT pid, backend_xid::text, coalesce(state, '') FROM pg_stat_activity \
             WHERE datname = current_database() AND backend_xid IS NOT NULL \
             AND pid <> pg_backend_pid()",
        )
        .fetch_all(c),
    )
    .unwrap()
}

/// Whether write `w` stays open and comes to wait for its (stopped) client: after at most 2 s,
/// how long it took; `None` if it ended (it was committing).
fn frozen_in(
    db: &Database,
    c: &mut sqlx::PgConnection,
    w: &(i32, String, String),
) -> Option<Duration> {
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(2) {
        let now = open_writes(db, c);
        let same = now.iter().find(|x| x.0 == w.0 && x.1 == w.1)?;
        if same.2 == "idle in transaction" {
            return Some(t.elapsed());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    None
}

fn sorted_heads(heads: impl IntoIterator<Item = [u8; 32]>) -> Vec<[u8; 32]> {
    let mut v: Vec<_> = heads.into_iter().collect();
    v.sort_unstable();
    v
}

// ---------------------------------------------------------------------------------------------

#[test]
fn two_instances_on_one_postgres_lose_and_duplicate_nothing() {
    let started = Instant::now();
    let Some(db) = Database::postgres().unwrap() else {
        eprintln!("*** two-instance test SKIPPED: DANVAN_TEST_DATABASE_URL is not set ***");
        return;
    };
    db.add_user(
        COMMUNE_OFFICER,
        Role::CommuneOfficer,
        COMMUNE_HOA_BINH,
        PASSWORD,
    )
    .unwrap();
    db.add_user(CITY_OFFICER, Role::CityOfficer, "31", PASSWORD)
        .unwrap();
    db.add_user(PROBE, Role::CommuneOfficer, COMMUNE_HOA_BINH, PASSWORD)
        .unwrap();
    let db_url = db.url.clone().unwrap();
    // The server ends a transaction its connection leaves idle after 60 s unless the URL says
    // otherwise; here 2 s, so that the frozen instance below holds the writers up 2 s only.
    let pg = db
        .block_on(danvan_server::storage::postgres::PgStorage::connect(
            &db_url,
        ))
        .unwrap();
    let idle: String = db
        .block_on(
            sqlx::query_scalar("SHOW idle_in_transaction_session_timeout").fetch_one(pg.writer()),
        )
        .unwrap();
    assert_eq!(idle, "1min");
    db.block_on(pg.close());
    let args = vec![
        "--database-url".to_string(),
        format!("{db_url}?options[idle_in_transaction_session_timeout]=2s"),
    ];
    let mut a = ServerProcess::start_with(Path::new(EXE), args.clone(), 0).unwrap();
    let mut b = ServerProcess::start_with(Path::new(EXE), args, 0).unwrap();
    let urls = [a.url.clone(), b.url.clone()];
    let (url_a, url_b) = (&urls[0], &urls[1]);

    // Phones enroll on either instance (a code issued once, used on one of them).
    let mut lan = Phone::new(
        &db,
        url_a,
        "Nguyễn Thị Lan",
        Role::Mediator,
        VILLAGE_HOA_BINH_1,
        COMMUNE_HOA_BINH,
    );
    let mut hung = Phone::new(
        &db,
        url_b,
        "Trần Văn Hùng",
        Role::TeamLeader,
        VILLAGE_HOA_BINH_1,
        COMMUNE_HOA_BINH,
    );
    let mut vu = Phone::new(
        &db,
        url_a,
        "Vũ Văn Nam",
        Role::Mediator,
        VILLAGE_HOA_BINH_2,
        COMMUNE_HOA_BINH,
    );
    let mut mai = Phone::new(
        &db,
        url_b,
        "Phạm Thị Mai",
        Role::Mediator,
        VILLAGE_THUY_NGUYEN_1,
        COMMUNE_THUY_NGUYEN,
    );
    let mut thu = Phone::new(
        &db,
        url_a,
        "Lê Thị Thu",
        Role::CommuneOfficer,
        COMMUNE_HOA_BINH,
        COMMUNE_HOA_BINH,
    );

    // 1. Three rounds: create, edit, every phone syncing at once, alternating instances.
    for round in 0..3 {
        lan.create(4, &format!("Lan r{round}"));
        hung.create(2, &format!("Hùng r{round}"));
        vu.create(3, &format!("Nam r{round}"));
        mai.create(3, &format!("Mai r{round}"));
        if round > 0 {
            for p in [&mut lan, &mut hung, &mut vu, &mut mai] {
                let id = p.created[round].clone();
                p.note(&id, &format!("sửa ở vòng {round}"));
            }
        }
        sync_all_at_once(
            &mut [&mut lan, &mut hung, &mut vu, &mut mai, &mut thu],
            &urls,
            round,
        );
    }
    lan.sync(url_b);
    hung.sync(url_a);

    // 2. Lan and Hùng edit one case at the same moment, on different instances.
    let shared = lan.created[0].clone();
    assert!(hung.ids().contains(&shared), "Hùng has Lan's case");
    lan.d
        .store
        .transition(&shared, "mediating", day(9, 4), None)
        .unwrap();
    lan.d
        .store
        .update(&shared, |r| {
            if let RecordBody::Mediation(m) = &mut r.body {
                m.summary = "Tranh chấp lối đi chung (Lan ghi)".into();
                m.started_on = Some(day(9, 4));
            }
            Ok(())
        })
        .unwrap();
    hung.summary(&shared, "Tranh chấp lối đi chung (Hùng ghi)");
    hung.note(&shared, "Đã mời trưởng tổ dân phố");
    std::thread::scope(|s| {
        s.spawn(|| lan.sync(url_a));
        s.spawn(|| hung.sync(url_b));
    });
    lan.sync(url_b);
    hung.sync(url_a);
    assert_eq!(
        lan.d.store.get(&shared).unwrap(),
        hung.d.store.get(&shared).unwrap()
    );
    let conflicts = lan.d.store.conflicts(&shared).unwrap();
    assert_eq!(conflicts, hung.d.store.conflicts(&shared).unwrap());
    assert!(
        conflicts.iter().any(|c| c.path.ends_with(".summary")),
        "{conflicts:?}"
    );

    // 3. Lan uploads 200 cases to A, ten per request. A is frozen (SIGSTOP) in the middle of a
    //    write transaction, holding the writers' turn (the `sync_seq` row lock) of both instances:
    //    Nam's sync to B waits until PostgreSQL ends A's idle transaction, then goes through. A is
    //    then killed with SIGKILL, its transaction rolled back and Lan's request unanswered.
    let mut monitor = db.block_on(sqlx::PgConnection::connect(&db_url)).unwrap();
    lan.create(200, "Lan lớn");
    vu.create(20, "Nam trong lúc A treo");
    hung.note(&shared, "Hùng sửa trong lúc A chết");
    let small = SyncOptions {
        max_push_count: 10,
        ..SyncOptions::default()
    };
    std::thread::scope(|s| {
        let upload = s.spawn(|| lan.sync_with(url_a, small));
        let deadline = Instant::now() + Duration::from_secs(60);
        let (xid, frozen_for) = loop {
            assert!(
                !upload.is_finished(),
                "the upload ended before A was caught writing"
            );
            assert!(
                Instant::now() < deadline,
                "A was never caught in a write transaction"
            );
            if let Some(w) = open_writes(&db, &mut monitor).into_iter().next() {
                a.signal("STOP").unwrap();
                if let Some(frozen) = frozen_in(&db, &mut monitor, &w) {
                    break (w.1, frozen);
                }
                a.signal("CONT").unwrap();
            }
            std::thread::sleep(Duration::from_millis(1));
        };
        let t = Instant::now();
        let nam = s.spawn(|| vu.sync(url_b));
        while !nam.is_finished() && t.elapsed() < Duration::from_secs(60) {
            std::thread::sleep(Duration::from_millis(10));
        }
        if !nam.is_finished() {
            a.kill().unwrap();
            panic!("B's writes stayed blocked behind the frozen instance A");
        }
        let p = nam.join().unwrap();
        assert_eq!(p.accepted, 20, "{p:?}");
        let status: String = db
            .block_on(
                sqlx::query_scalar("SELECT txid_status($1::bigint)")
                    .bind(xid.parse::<i64>().unwrap())
                    .fetch_one(&mut monitor),
            )
            .unwrap();
        assert_eq!(status, "aborted", "A's frozen transaction");
        eprintln!(
            "A frozen in transaction {xid} ({frozen_for:?} after SIGSTOP); B's write went \
             through after {:?}",
            t.elapsed()
        );
        a.kill().unwrap();
        s.spawn(|| hung.sync(url_b));
        match upload.join().unwrap() {
            Err(CoreError::Sync(e)) if matches!(*e, SyncError::Network(_)) => {}
            other => panic!("the upload to the killed instance ended with {other:?}"),
        }
    });
    let dirty = lan.d.store.dirty_records().unwrap().len();
    eprintln!("A killed; {dirty} of Lan's 200 still to send");
    assert!(dirty > 150, "most of the upload was still to send");
    // The phone sends what was in flight again, to B: accepted, stored once.
    let p = lan.sync(url_b);
    assert_eq!(p.accepted as usize, dirty, "{p:?}");
    assert!(lan.d.store.dirty_records().unwrap().is_empty());

    // 4. A comes back on the same port. Hùng uploads 100 cases to B, which is killed with
    //    SIGKILL just after a batch commits (its answer lost or in flight), then restarted.
    a.restart().unwrap();
    assert_eq!(&a.url, url_a);
    let docs = || db.block_on(db.storage.doc_stats()).unwrap().documents;
    hung.create(100, "Hùng lớn");
    let before = docs();
    std::thread::scope(|s| {
        let upload = s.spawn(|| hung.sync_with(url_b, small));
        let deadline = Instant::now() + Duration::from_secs(60);
        while docs() < before + 20 {
            assert!(!upload.is_finished(), "the upload ended before the kill");
            assert!(Instant::now() < deadline, "the upload did not start");
            std::thread::sleep(Duration::from_millis(1));
        }
        b.kill().unwrap();
        s.spawn(|| thu.sync(url_a));
        match upload.join().unwrap() {
            Err(CoreError::Sync(e)) if matches!(*e, SyncError::Network(_)) => {}
            other => panic!("the upload to the killed instance ended with {other:?}"),
        }
    });
    let stored = docs() - before;
    let acked = hung
        .created
        .iter()
        .filter(|id| hung.d.store.sync_state(id).unwrap().state == SyncState::Accepted)
        .count();
    eprintln!("B killed with {stored} of Hùng's 100 stored, {acked} of his cases acknowledged");
    let p = hung.sync(url_a);
    assert!(p.accepted as usize >= 100 - stored as usize, "{p:?}");
    assert!(hung.d.store.dirty_records().unwrap().is_empty());
    b.restart().unwrap();
    assert_eq!(&b.url, url_b);

    // 5. Lan settles the conflict; phones go on alternating.
    let pick = conflicts
        .iter()
        .find(|c| c.path.ends_with(".summary"))
        .unwrap();
    let hungs = pick
        .values
        .iter()
        .position(|v| v.value.contains("Hùng"))
        .unwrap();
    let path = pick.path.clone();
    lan.d.store.resolve_conflict(&shared, &path, hungs).unwrap();
    for round in 3..5 {
        lan.create(2, &format!("Lan r{round}"));
        mai.create(2, &format!("Mai r{round}"));
        let id = hung.created[0].clone();
        hung.note(&id, &format!("sửa ở vòng {round}"));
        sync_all_at_once(
            &mut [&mut lan, &mut hung, &mut vu, &mut mai, &mut thu],
            &urls,
            round,
        );
    }

    // 6. Until nobody has anything to say: every phone to A, then to B.
    let mut phones = [&mut lan, &mut hung, &mut vu, &mut mai, &mut thu];
    let mut quiet = false;
    for _ in 0..6 {
        let mut moved = 0;
        for url in &urls {
            for p in phones.iter_mut() {
                let r = p.sync(url);
                moved += r.pushed + r.pulled;
            }
        }
        if moved == 0 {
            quiet = true;
            break;
        }
    }
    assert!(quiet, "the phones did not settle");
    let [lan, hung, vu, mai, thu] = phones;

    // Every created record was accepted by its author's phone, and is stored exactly once.
    let mut by_unit: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for p in [&*lan, &*hung, &*vu, &*mai] {
        for id in &p.created {
            let st = p.d.store.sync_state(id).unwrap();
            assert_eq!(st.state, SyncState::Accepted, "{id}: {:?}", st.rejection);
            assert!(!st.dirty, "{id}");
            by_unit.entry(p.village).or_default().insert(id.clone());
        }
    }
    let created: BTreeSet<String> = by_unit.values().flatten().cloned().collect();
    let total = lan.created.len() + hung.created.len() + vu.created.len() + mai.created.len();
    assert_eq!(created.len(), total, "record ids are unique");
    let (docs_n, docs_distinct, facts_n, facts_distinct, stored): (
        i64,
        i64,
        i64,
        i64,
        Vec<String>,
    ) = db.block_on(async {
        let mut c = sqlx::PgConnection::connect(&db_url).await.unwrap();
        let (d, dd): (i64, i64) =
            sqlx::query_as("SELECT count(*), count(DISTINCT id) FROM documents")
                .fetch_one(&mut c)
                .await
                .unwrap();
        let (f, fd): (i64, i64) = sqlx::query_as("SELECT count(*), count(DISTINCT id) FROM facts")
            .fetch_one(&mut c)
            .await
            .unwrap();
        let ids: Vec<(String,)> = sqlx::query_as("SELECT id FROM documents")
            .fetch_all(&mut c)
            .await
            .unwrap();
        (d, dd, f, fd, ids.into_iter().map(|(i,)| i).collect())
    });
    assert_eq!((docs_n, docs_distinct), (total as i64, total as i64));
    assert_eq!((facts_n, facts_distinct), (total as i64, total as i64));
    assert_eq!(stored.into_iter().collect::<BTreeSet<_>>(), created);

    // Every phone holds exactly its scope, with the server's heads for every record.
    let t01 = &by_unit[VILLAGE_HOA_BINH_1];
    let t02 = &by_unit[VILLAGE_HOA_BINH_2];
    let commune: BTreeSet<String> = t01.union(t02).cloned().collect();
    let other = &by_unit[VILLAGE_THUY_NGUYEN_1];
    let held: Vec<(&Phone, BTreeSet<String>)> = [
        (&*lan, t01),
        (&*hung, t01),
        (&*vu, t02),
        (&*mai, other),
        (&*thu, &commune),
    ]
    .into_iter()
    .map(|(p, scope)| {
        let ids = p.ids();
        assert_eq!(&ids, scope, "{}", p.d.person);
        (p, ids)
    })
    .collect();
    for id in &created {
        let (_, heads) = db.block_on(db.storage.full_document(id)).unwrap().unwrap();
        let server = sorted_heads(danvan_server::storage::docs::decode_heads(&heads));
        for (p, ids) in &held {
            if ids.contains(id) {
                let phone = sorted_heads(p.d.store.heads(id).unwrap().into_iter().map(|h| h.0));
                assert_eq!(phone, server, "{id} on {}", p.d.person);
            }
        }
    }
    assert!(lan.d.store.conflicts(&shared).unwrap().is_empty());
    assert_eq!(
        lan.d.store.get(&shared).unwrap(),
        thu.d.store.get(&shared).unwrap()
    );

    // The dashboard: a session made on A works on B; the same answers from both.
    let officer = login(url_a, COMMUNE_OFFICER);
    let me = get(url_b, "/api/v1/session", &officer);
    assert_eq!(me.status, 200, "{}", me.text());
    assert_eq!(me.json()["username"], COMMUNE_OFFICER);
    let list_a = get(url_a, "/api/v1/records?unit=11533", &officer);
    let list_b = get(url_b, "/api/v1/records?unit=11533", &officer);
    assert_eq!(list_a.status, 200, "{}", list_a.text());
    assert_eq!(list_a.body, list_b.body);
    let listed: Vec<String> = list_a
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(listed.len(), commune.len(), "no record listed twice");
    assert_eq!(listed.into_iter().collect::<BTreeSet<_>>(), commune);

    let city = login(url_b, CITY_OFFICER);
    for (s, unit, expected) in [
        (&officer, COMMUNE_HOA_BINH, commune.len()),
        (&city, "31", total),
    ] {
        let path = format!("/api/v1/aggregates?unit={unit}&period={PERIOD}");
        let from_a = get(url_a, &path, s);
        let from_b = get(url_b, &path, s);
        assert_eq!(from_a.status, 200, "{}", from_a.text());
        assert_eq!(
            from_a.body, from_b.body,
            "the {unit} report differs between the instances"
        );
        let received = from_a.json()["totals"]["mediation"]["received"].clone();
        assert_eq!(received, serde_json::json!(expected), "{unit}");
    }
    // Each instance's in-memory fact index caught up with the database (A rebuilt its own after
    // the restart).
    for url in &urls {
        assert_eq!(
            metric(url, "danvan_fact_index_records"),
            total as f64,
            "{url}"
        );
    }

    // Logging out on B ends the session everywhere: sessions live in the database.
    let out = http(
        url_b,
        "DELETE",
        "/api/v1/session",
        &[("Cookie", &officer.cookie), ("x-csrf-token", &officer.csrf)],
        b"",
    );
    assert_eq!(out.status, 204, "{}", out.text());
    assert_eq!(get(url_a, "/api/v1/session", &officer).status, 401);

    // The failed-login limit is per instance: five failures use this client's attempts up on
    // A, not on B (N instances allow N times the attempts; ADR 0010).
    for _ in 0..5 {
        assert_eq!(try_login(url_a, PROBE, "sai mật khẩu").status, 401);
    }
    assert_eq!(try_login(url_a, PROBE, PASSWORD).status, 429);
    assert_eq!(try_login(url_b, PROBE, "sai mật khẩu").status, 401);
    assert_eq!(try_login(url_b, PROBE, PASSWORD).status, 200);
    assert_eq!(
        try_login(url_a, PROBE, PASSWORD).status,
        429,
        "A does not know of the success on B"
    );

    drop(b);
    drop(a);
    eprintln!("two-instance test took {:?}", started.elapsed());
}
