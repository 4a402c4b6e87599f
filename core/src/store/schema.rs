//! The store's schema: recognising our files, creating a fresh database, upgrading an old one.
//!
//! `PRAGMA application_id` marks a danvan store; `PRAGMA user_version` is its schema version.
//! A fresh database is created from [`CURRENT_DDL`] directly; an older one runs the ordered
//! upgrade steps in [`upgrade`]. Historical steps are frozen: never edit one once released, add a
//! new one and bump [`VERSION`] (tests check that upgraded v1 and v2 databases equal a fresh one).

use rusqlite::{Connection, OptionalExtension, Transaction};

use super::error::{StoreError, StoreResult};

/// `PRAGMA application_id` of danvan stores: ASCII `DnVn`.
pub const APPLICATION_ID: i32 = 0x446E_566E;

/// The schema version this build creates and reads.
pub const VERSION: u32 = 4;

/// Meta key set by an upgrade step that needs every record re-indexed from its document (done
/// by `Store::open`, which has the code for it).
pub(crate) const NEEDS_REINDEX: &str = "needs_reindex";

/// The whole current schema, for a fresh database.
pub const CURRENT_DDL: &str = "
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
    n INTEGER PRIMARY KEY, -- stable rowid (VACUUM keeps it), shared with records_fts
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
    sent_seq INTEGER,
    reject_code TEXT,
    reject_message TEXT,
    last_synced_heads BLOB
) WITHOUT ROWID;
CREATE TABLE sync_meta (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
CREATE VIRTUAL TABLE records_fts USING fts5(
    text, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2'
);
CREATE INDEX sync_state_dirty ON sync_state (dirty) WHERE dirty = 1;
";

/// Version 2 as released (frozen): v1 plus reject reasons, last synced heads and text search.
pub const V2_DDL: &str = "
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
    n INTEGER PRIMARY KEY, -- stable rowid (VACUUM keeps it), shared with records_fts
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
    sent_seq INTEGER,
    reject_code TEXT,
    reject_message TEXT,
    last_synced_heads BLOB
);
CREATE TABLE sync_meta (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
CREATE VIRTUAL TABLE records_fts USING fts5(
    text, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2'
);
CREATE INDEX sync_state_dirty ON sync_state (dirty) WHERE dirty = 1;
";

/// Version 1 as released (frozen): documents, chunks, index, outbox without reject reasons,
/// no text search.
pub const V1_DDL: &str = "
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
";

/// v1 → v2: reject reasons and last synced heads in the outbox, a dirty-records index, and the
/// diacritic-insensitive text search table (filled by a re-index, since party names live only
/// in the documents).
const V2_STEP: &str = "
ALTER TABLE sync_state ADD COLUMN reject_code TEXT;
ALTER TABLE sync_state ADD COLUMN reject_message TEXT;
ALTER TABLE sync_state ADD COLUMN last_synced_heads BLOB;
CREATE VIRTUAL TABLE records_fts USING fts5(
    text, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2'
);
CREATE INDEX sync_state_dirty ON sync_state (dirty) WHERE dirty = 1;
INSERT OR REPLACE INTO meta (key, value) VALUES ('needs_reindex', '1');
";

/// v2 → v3: the outbox becomes a `WITHOUT ROWID` table keyed by the record id, which drops its
/// separate primary-key index (about 45 B per record). Rows are copied as they are.
const V3_STEP: &str = "
CREATE TABLE sync_state_v3 (
    id TEXT PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
    state TEXT NOT NULL DEFAULT 'local_only',
    dirty INTEGER NOT NULL DEFAULT 1,
    edit_seq INTEGER NOT NULL DEFAULT 0,
    sent_seq INTEGER,
    reject_code TEXT,
    reject_message TEXT,
    last_synced_heads BLOB
) WITHOUT ROWID;
INSERT INTO sync_state_v3 (id, state, dirty, edit_seq, sent_seq, reject_code, reject_message,
    last_synced_heads)
    SELECT id, state, dirty, edit_seq, sent_seq, reject_code, reject_message, last_synced_heads
    FROM sync_state;
DROP TABLE sync_state;
ALTER TABLE sync_state_v3 RENAME TO sync_state;
CREATE INDEX sync_state_dirty ON sync_state (dirty) WHERE dirty = 1;
";

/// v3 → v4: the attachments this phone holds or moves, and the attestations of other phones'
/// changes received in bundles (ADR 0014).
const V4_STEP: &str = ATTACHMENTS_DDL;

/// The attachments table: one row per blob this phone has written or is downloading, with its
/// transfer state. A reference in a record with no row is `remote` (on the server only).
const ATTACHMENTS_DDL: &str = "
CREATE TABLE attachments (
    sha256 TEXT PRIMARY KEY,
    record_id TEXT NOT NULL,
    size INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('waiting', 'uploading', 'uploaded', 'downloading', 'downloaded')),
    transferred INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX attachments_to_upload ON attachments (state) WHERE state IN ('waiting', 'uploading');
CREATE TABLE attestations (
    hash BLOB PRIMARY KEY,
    device TEXT NOT NULL,
    signature BLOB NOT NULL,
    posted INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
";

/// What `prepare` found in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Prepared {
    /// A new, empty database was created at the current version.
    Created,
    /// An existing store, upgraded from this version (equal to [`VERSION`] if nothing to do).
    Existing {
        /// Version found before any upgrade.
        from: u32,
    },
}

/// Check that the file behind `conn` is ours, then create or upgrade it. Never panics on a
/// foreign or damaged file.
pub(crate) fn prepare(conn: &mut Connection) -> StoreResult<Prepared> {
    let Some(version) = inspect(conn)? else {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Exclusive)?;
        tx.execute_batch(CURRENT_DDL)?;
        tx.execute_batch(ATTACHMENTS_DDL)?;
        set_versions(&tx, VERSION)?;
        tx.commit()?;
        return Ok(Prepared::Created);
    };
    if version < VERSION {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Exclusive)?;
        upgrade(&tx, version)?;
        tx.commit()?;
        tracing::info!(from = version, to = VERSION, "store schema upgraded");
    }
    Ok(Prepared::Existing { from: version })
}

/// Look at the file without changing it: `None` for an empty database, the schema version of
/// one of our stores, or an error for anything else.
pub(crate) fn inspect(conn: &Connection) -> StoreResult<Option<u32>> {
    let app_id: i32 = conn.pragma_query_value(None, "application_id", |r| r.get(0))?;
    let version: u32 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let objects: i64 = conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))?;
    if app_id == 0 && version == 0 && objects == 0 {
        return Ok(None);
    }
    if app_id != APPLICATION_ID {
        return Err(StoreError::NotADanvanStore);
    }
    if version > VERSION {
        return Err(StoreError::TooNew {
            found: version,
            supported: VERSION,
        });
    }
    if version == 0 {
        return Err(StoreError::Corrupt(
            "danvan store without a schema version".into(),
        ));
    }
    Ok(Some(version))
}

/// Run every step after `from`, in order, inside `tx`, and set the new version.
pub(crate) fn upgrade(tx: &Transaction<'_>, from: u32) -> StoreResult<()> {
    let steps: [(u32, &str); 3] = [(2, V2_STEP), (3, V3_STEP), (4, V4_STEP)];
    for (to, sql) in steps {
        if from < to {
            tx.execute_batch(sql)?;
        }
    }
    set_versions(tx, VERSION)
}

fn set_versions(tx: &Transaction<'_>, version: u32) -> StoreResult<()> {
    tx.pragma_update(None, "application_id", APPLICATION_ID)?;
    tx.pragma_update(None, "user_version", version)?;
    Ok(())
}

/// Read a `meta` value.
pub(crate) fn meta_get(conn: &Connection, key: &str) -> rusqlite::Result<Option<String>> {
    conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()
}

/// Write a `meta` value.
pub(crate) fn meta_set(conn: &Connection, key: &str, value: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
        [key, value],
    )?;
    Ok(())
}

/// A normalised description of a database's schema (objects, columns, indexes, foreign keys),
/// comparable across databases whose DDL text differs only by how it was reached.
pub fn describe(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut out = Vec::new();
    let mut stmt = conn.prepare(
        "SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master ORDER BY type, name",
    )?;
    let objects: Vec<(String, String, String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (ty, name, tbl, sql) in objects {
        let virtual_or_index = sql.starts_with("CREATE VIRTUAL") || ty == "index";
        let sql_norm = if virtual_or_index {
            sql.split_whitespace().collect::<Vec<_>>().join(" ")
        } else {
            String::new()
        };
        out.push(format!("{ty} {name} on {tbl} {sql_norm}"));
        if ty == "table" && !sql.starts_with("CREATE VIRTUAL") {
            let without_rowid: i64 = conn.query_row(
                "SELECT wr FROM pragma_table_list WHERE name = ?1 AND schema = 'main'",
                [&name],
                |r| r.get(0),
            )?;
            out.push(format!("  without_rowid={without_rowid}"));
            let mut cols = conn.prepare(
                "SELECT cid, name, type, \"notnull\", coalesce(dflt_value, ''), pk \
                 FROM pragma_table_info(?1) ORDER BY cid",
            )?;
            for c in cols.query_map([&name], |r| {
                Ok(format!(
                    "  col {} {} {} nn={} d={} pk={}",
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, i64>(5)?
                ))
            })? {
                out.push(c?);
            }
            let mut fks = conn.prepare(
                "SELECT \"table\", \"from\", \"to\", on_delete FROM pragma_foreign_key_list(?1)",
            )?;
            for f in fks.query_map([&name], |r| {
                Ok(format!(
                    "  fk {} -> {}.{} on delete {}",
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?
                ))
            })? {
                out.push(f?);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fresh() -> Connection {
        let mut c = Connection::open_in_memory().unwrap();
        assert_eq!(prepare(&mut c).unwrap(), Prepared::Created);
        c
    }

    #[test]
    fn upgraded_v1_equals_fresh() {
        let mut old = Connection::open_in_memory().unwrap();
        old.execute_batch(V1_DDL).unwrap();
        old.pragma_update(None, "application_id", APPLICATION_ID)
            .unwrap();
        old.pragma_update(None, "user_version", 1).unwrap();
        assert_eq!(prepare(&mut old).unwrap(), Prepared::Existing { from: 1 });
        let v: u32 = old
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, VERSION);
        assert_eq!(describe(&old).unwrap(), describe(&fresh()).unwrap());
        assert_eq!(meta_get(&old, NEEDS_REINDEX).unwrap().as_deref(), Some("1"));
    }

    #[test]
    fn upgraded_v2_equals_fresh_and_keeps_the_outbox() {
        let mut old = Connection::open_in_memory().unwrap();
        old.execute_batch(V2_DDL).unwrap();
        old.pragma_update(None, "application_id", APPLICATION_ID)
            .unwrap();
        old.pragma_update(None, "user_version", 2).unwrap();
        old.execute_batch(
            "INSERT INTO documents (id, kind, snapshot, heads) VALUES ('a', 'mediation', x'00', x'');
             INSERT INTO documents (id, kind, snapshot, heads) VALUES ('b', 'mediation', x'00', x'');
             INSERT INTO sync_state VALUES ('a', 'rejected', 0, 3, 2, 'invalid', 'why', x'0102');
             INSERT INTO sync_state (id) VALUES ('b');",
        )
        .unwrap();
        let rows = |c: &Connection| -> Vec<String> {
            let mut s = c
                .prepare(
                    "SELECT quote(id), state, dirty, edit_seq, quote(sent_seq), \
                          quote(reject_code), quote(reject_message), quote(last_synced_heads) \
                          FROM sync_state ORDER BY id",
                )
                .unwrap();
            s.query_map([], |r| {
                Ok((0..8)
                    .map(|i| r.get_ref(i).map(|v| format!("{v:?}")))
                    .collect::<rusqlite::Result<Vec<_>>>()?
                    .join("|"))
            })
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
        };
        let before = rows(&old);
        assert_eq!(prepare(&mut old).unwrap(), Prepared::Existing { from: 2 });
        assert_eq!(describe(&old).unwrap(), describe(&fresh()).unwrap());
        assert_eq!(rows(&old), before);
        let dirty: i64 = old
            .query_row(
                "SELECT count(*) FROM sync_state INDEXED BY sync_state_dirty WHERE dirty = 1",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(dirty, 1);
        assert_eq!(meta_get(&old, NEEDS_REINDEX).unwrap(), None);
    }

    #[test]
    fn foreign_and_newer_databases_are_refused() {
        let mut other = Connection::open_in_memory().unwrap();
        other.execute_batch("CREATE TABLE notes (x TEXT)").unwrap();
        assert!(matches!(
            prepare(&mut other),
            Err(StoreError::NotADanvanStore)
        ));

        let mut newer = fresh();
        newer
            .pragma_update(None, "user_version", VERSION + 1)
            .unwrap();
        assert!(matches!(
            prepare(&mut newer),
            Err(StoreError::TooNew { found, supported: VERSION }) if found == VERSION + 1
        ));
    }

    #[test]
    fn reopening_a_current_store_changes_nothing() {
        let mut c = fresh();
        let before = describe(&c).unwrap();
        assert_eq!(
            prepare(&mut c).unwrap(),
            Prepared::Existing { from: VERSION }
        );
        assert_eq!(describe(&c).unwrap(), before);
    }
}
