//! Stores written by schema v1 and v2 upgrade to the same schema as a fresh store and keep their
//! data; a v1 store gains text search over the records it already had.

use danvan_core::store::{ListQuery, Store, SyncState, schema};
use danvan_core::{Record, RecordDoc, RulesConfig};

use super::*;

/// Frozen copy of the v1 schema as released (independent of `schema.rs` on purpose).
const V1: &str = "
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE documents (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    snapshot BLOB NOT NULL,
    heads BLOB NOT NULL,
    chunk_count INTEGER NOT NULL DEFAULT 0,
    chunk_bytes INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE chunks (
    doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    bytes BLOB NOT NULL,
    PRIMARY KEY (doc_id, seq)
) WITHOUT ROWID;
CREATE TABLE records (
    n INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE REFERENCES documents(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    closed INTEGER NOT NULL,
    unit TEXT NOT NULL,
    main_date TEXT,
    closed_on TEXT,
    category TEXT,
    summary TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    has_conflicts INTEGER NOT NULL DEFAULT 0,
    overdue_from TEXT
);
CREATE INDEX records_by_date ON records (main_date DESC, created_at DESC);
CREATE INDEX records_by_kind_status ON records (kind, status);
CREATE INDEX records_by_overdue ON records (overdue_from) WHERE overdue_from IS NOT NULL;
CREATE TABLE sync_state (
    id TEXT PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
    state TEXT NOT NULL DEFAULT 'local_only',
    dirty INTEGER NOT NULL DEFAULT 1,
    edit_seq INTEGER NOT NULL DEFAULT 0,
    sent_seq INTEGER
);
CREATE TABLE sync_meta (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
PRAGMA application_id = 1148081774;
PRAGMA user_version = 1;
";

/// Frozen copy of what v2 added to v1 (reject reasons, last synced heads, text search).
const V2_ADDITIONS: &str = "
ALTER TABLE sync_state ADD COLUMN reject_code TEXT;
ALTER TABLE sync_state ADD COLUMN reject_message TEXT;
ALTER TABLE sync_state ADD COLUMN last_synced_heads BLOB;
CREATE VIRTUAL TABLE records_fts USING fts5(
    text, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2'
);
CREATE INDEX sync_state_dirty ON sync_state (dirty) WHERE dirty = 1;
PRAGMA user_version = 2;
";

fn write_v1_store(path: &std::path::Path, device: Uuid, record: &Record) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(V1).unwrap();
    let mut doc = RecordDoc::create(record, &device).unwrap();
    let snapshot = doc.save();
    let heads: Vec<u8> = doc.heads().iter().flat_map(|h| h.0).collect();
    let f = record.body.index();
    conn.execute(
        "INSERT INTO meta VALUES ('device_id', ?1)",
        [device.to_string()],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO documents (id, kind, snapshot, heads) VALUES (?1, 'mediation', ?2, ?3)",
        rusqlite::params![record.id(), snapshot, heads],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO records (id, kind, status, closed, unit, main_date, summary, created_at, \
         updated_at) VALUES (?1, 'mediation', 'received', 0, ?2, ?3, ?4, 0, 0)",
        rusqlite::params![
            record.id(),
            record.envelope.unit,
            f.main_date.map(|d| d.to_string()),
            f.summary
        ],
    )
    .unwrap();
    conn.execute(
        "INSERT INTO sync_state (id, state, dirty, edit_seq) VALUES (?1, 'local_only', 1, 1)",
        [record.id()],
    )
    .unwrap();
}

#[test]
fn v1_store_upgrades_to_the_fresh_schema_and_keeps_its_records() {
    let dir = tempfile::tempdir().unwrap();
    let device = Uuid::now_v7();
    let record = Record::new(
        "U1",
        device.to_string(),
        day(2),
        with_summary(mediation(), "Lối Đi chung"),
    );
    let old_path = dir.path().join("v1.sqlite3");
    write_v1_store(&old_path, device, &record);

    let upgraded = Store::open(&old_path, device, RulesConfig::default()).unwrap();
    let fresh_path = dir.path().join("fresh.sqlite3");
    let fresh = Store::open(&fresh_path, device, RulesConfig::default()).unwrap();
    let version = |p: &std::path::Path| -> u32 {
        let c = rusqlite::Connection::open(p).unwrap();
        c.pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap()
    };
    assert_eq!(version(&old_path), schema::VERSION);
    assert_eq!(
        version(&old_path),
        4,
        "bump this test with the next schema step"
    );
    let describe =
        |p: &std::path::Path| schema::describe(&rusqlite::Connection::open(p).unwrap()).unwrap();
    assert_eq!(describe(&old_path), describe(&fresh_path));

    assert_eq!(upgraded.get(record.id()).unwrap(), record);
    let found = upgraded.list(&ListQuery {
        text: Some("loi di".into()),
        ..Default::default()
    });
    assert_eq!(
        found.unwrap().len(),
        1,
        "the upgrade re-indexed text search"
    );
    let st = upgraded.sync_state(record.id()).unwrap();
    assert_eq!(
        (st.state, st.dirty, st.rejection),
        (SyncState::LocalOnly, true, None)
    );
    upgraded.check_integrity().unwrap();
    drop((upgraded, fresh));
}

#[test]
fn v2_store_upgrades_to_the_fresh_schema_and_keeps_its_outbox() {
    let dir = tempfile::tempdir().unwrap();
    let device = Uuid::now_v7();
    let record = Record::new(
        "U1",
        device.to_string(),
        day(2),
        with_summary(mediation(), "Lối Đi chung"),
    );
    let old_path = dir.path().join("v2.sqlite3");
    write_v1_store(&old_path, device, &record);
    {
        let conn = rusqlite::Connection::open(&old_path).unwrap();
        conn.execute_batch(V2_ADDITIONS).unwrap();
        conn.execute(
            "UPDATE sync_state SET state = 'rejected', dirty = 0, reject_code = 'invalid', \
             reject_message = 'thiếu ngày' WHERE id = ?1",
            [record.id()],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO records_fts (rowid, text) SELECT n, 'loi di chung' FROM records",
            [],
        )
        .unwrap();
    }

    let upgraded = Store::open(&old_path, device, RulesConfig::default()).unwrap();
    let fresh_path = dir.path().join("fresh.sqlite3");
    let fresh = Store::open(&fresh_path, device, RulesConfig::default()).unwrap();
    let describe =
        |p: &std::path::Path| schema::describe(&rusqlite::Connection::open(p).unwrap()).unwrap();
    assert_eq!(describe(&old_path), describe(&fresh_path));

    assert_eq!(upgraded.get(record.id()).unwrap(), record);
    let st = upgraded.sync_state(record.id()).unwrap();
    assert_eq!((st.state, st.dirty), (SyncState::Rejected, false));
    let rejection = st.rejection.expect("the rejection survives the upgrade");
    assert_eq!(
        (rejection.code.as_str(), rejection.message.as_str()),
        ("invalid", "thiếu ngày")
    );
    upgraded.check_integrity().unwrap();
    drop((upgraded, fresh));
}
