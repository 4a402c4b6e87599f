//! The phone's crash-safe offline store: record documents, the list index, text search and the
//! sync outbox in one SQLite file.
//!
//! - **One writer.** A [`Store`] owns its only connection and takes `&mut self` to write; a
//!   lock file next to the database refuses a second writer, in this process or another, and the
//!   store refuses a device id other than the one it was created with (one writer per actor).
//! - **Each write is one transaction**: document bytes, index row, search entry and outbox row
//!   commit together or not at all. Records are validated first; an invalid one writes nothing.
//! - **Durability**: WAL with `synchronous = FULL`, so a committed write survives a killed
//!   process *and* a power loss (see `docs/adr/0002-offline-store.md`).
//! - **Documents** are a compacted snapshot plus small incremental chunks, compacted by size
//!   (see [`MAX_CHUNKS`]).
//! - **Encrypted** on the phone: [`Store::open_encrypted`] with the app's 32-byte [`StoreKey`]
//!   (SQLCipher, AES-256, every page of the file and the WAL; a wrong key is
//!   [`StoreError::WrongKey`] and changes nothing; a plain store is encrypted once, in place).
//!   [`Store::open`] opens a plain store (tests, tools). See `docs/adr/0013-encrypted-phone-store.md`.
//!
//! ```
//! use danvan_core::{RecordBody, RulesConfig, model::common::Date, store::{ListQuery, Store}};
//! # use danvan_core::model::MediationCase;
//! let dir = tempfile::tempdir().unwrap();
//! let device = uuid::Uuid::now_v7();
//! let mut store = Store::open(dir.path().join("danvan.sqlite3"), device, RulesConfig::default())?;
//! let body = RecordBody::Mediation(MediationCase::example());
//! let rec = store.create(body, "31-T0001", Date::ymd(2025, 9, 2).unwrap())?;
//! let rows = store.list(&ListQuery::default())?;
//! assert_eq!(rows[0].id, rec.id());
//! assert_eq!(store.get(rec.id())?, rec);
//! # Ok::<(), danvan_core::CoreError>(())
//! ```

mod attachments;
mod blobs;
mod documents;
mod error;
mod index;
mod key;
mod outbox;
mod peer;
mod read;
mod recover;
pub mod schema;
mod sync;
mod sync_engine;
mod types;
mod write;

use std::fs::{File, OpenOptions, TryLockError};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, Transaction, TransactionBehavior};
use uuid::Uuid;

use crate::config::RulesConfig;
use crate::error::Result;

pub use attachments::{AttachmentState, AttachmentStatus, AttachmentTransfer};
pub use documents::MAX_CHUNKS;
pub use error::StoreError;
pub use index::fold;
pub use key::{KEY_LEN, StoreKey};
pub use peer::BundleImport;
pub use recover::Discarded;
pub use types::{
    HomeSummary, KindStatusCount, ListQuery, RecordSummary, Rejection, StorageStats, SyncState,
    SyncStatus,
};

/// Meta key of the device that owns the store.
const DEVICE_KEY: &str = "device_id";
/// Meta key of the rules the index (overdue dates) was computed with.
const RULES_KEY: &str = "rules_config";

/// The offline store of one device. See the [module docs](self).
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    device: Uuid,
    cfg: RulesConfig,
    path: PathBuf,
    /// Attachment bytes beside the store, encrypted when the store is.
    blobs: blobs::Blobs,
    /// Held (locked) for the store's lifetime; the OS releases it if the process dies.
    _lock: File,
}

impl Store {
    /// Open the **plain** (unencrypted) store at `path` for `device`, creating or upgrading it.
    /// Phones open their store with [`Store::open_encrypted`]; this is for tests, tools and
    /// stores that hold no personal data.
    ///
    /// Errors, never panics, on a file that is not ours ([`StoreError::NotADanvanStore`] — an
    /// encrypted store opened without its key is one), a damaged one ([`StoreError::Corrupt`]),
    /// one from a newer app ([`StoreError::TooNew`]), one of another device
    /// ([`StoreError::WrongDevice`]) or one already open ([`StoreError::InUse`]).
    pub fn open(path: impl AsRef<Path>, device: Uuid, cfg: RulesConfig) -> Result<Store> {
        Store::open_with(path.as_ref(), device, cfg, None)
    }

    /// Open the store at `path` for `device`, encrypted with `key` (SQLCipher, AES-256, ADR
    /// 0013), creating or upgrading it. The key is 32 random bytes the app keeps in the platform
    /// keystore; it is applied as the first statement of the connection and checked before
    /// anything is read or written.
    ///
    /// - A store encrypted with another key (or a file that is not a store at all: the two
    ///   cannot be told apart without the key) fails with [`StoreError::WrongKey`] and is left
    ///   byte for byte as it was.
    /// - A **plain** danvan store at `path` (from a version of the app before encryption) is
    ///   encrypted once, in place: exported into a new file beside it, fsynced, renamed over
    ///   it. If that is interrupted, the plain store is still complete and the next open
    ///   starts again.
    ///
    /// Other errors as [`Store::open`].
    ///
    /// ```
    /// use danvan_core::{RulesConfig, store::{Store, StoreError, StoreKey}, CoreError};
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("danvan.sqlite3");
    /// let device = uuid::Uuid::now_v7();
    /// let key = StoreKey::new([42; 32]);
    /// drop(Store::open_encrypted(&path, device, RulesConfig::default(), &key)?);
    /// let wrong = StoreKey::new([43; 32]);
    /// let err = Store::open_encrypted(&path, device, RulesConfig::default(), &wrong).unwrap_err();
    /// assert!(matches!(err, CoreError::Store(StoreError::WrongKey)));
    /// # Ok::<(), danvan_core::CoreError>(())
    /// ```
    pub fn open_encrypted(
        path: impl AsRef<Path>,
        device: Uuid,
        cfg: RulesConfig,
        key: &StoreKey,
    ) -> Result<Store> {
        Store::open_with(path.as_ref(), device, cfg, Some(key))
    }

    fn open_with(
        path: &Path,
        device: Uuid,
        cfg: RulesConfig,
        key: Option<&StoreKey>,
    ) -> Result<Store> {
        let path = path.to_path_buf();
        let _span = tracing::info_span!("store.open", encrypted = key.is_some()).entered();
        let lock = lock(&path)?;
        let mut conn = match key {
            None => {
                check_header(&path)?;
                Connection::open(&path).map_err(StoreError::from)?
            }
            Some(store_key) => {
                if key::is_plain(&path)? {
                    key::encrypt_plain(&path, store_key, &device.to_string())?;
                } else {
                    key::remove_leftovers(&path)?;
                }
                let conn = Connection::open(&path).map_err(StoreError::from)?;
                key::unlock(&conn, store_key)?;
                conn
            }
        };
        // Refuse foreign files before changing anything in them (journal mode included).
        let fresh = schema::inspect(&conn)?.is_none();
        conn.busy_timeout(Duration::from_secs(5))?;
        let mode: String =
            conn.pragma_update_and_check(None, "journal_mode", "wal", |r| r.get(0))?;
        if mode != "wal" {
            tracing::warn!(mode, "store is not in WAL mode");
        }
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        let prepared = schema::prepare(&mut conn)?;
        tracing::debug!(fresh, ?prepared, "store schema ready");
        let blobs = blobs::Blobs::new(&path, key.map(blobs::BlobKey::derive));
        let mut store = Store {
            conn,
            device,
            cfg,
            path,
            blobs,
            _lock: lock,
        };
        store.claim_device()?;
        store.reindex_if_needed()?;
        Ok(store)
    }

    /// The device this store writes for.
    pub fn device(&self) -> Uuid {
        self.device
    }

    /// The rules the store validates and computes deadlines with.
    pub fn config(&self) -> &RulesConfig {
        &self.cfg
    }

    /// Path of the database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Begin a write transaction (takes the write lock at once, so it never has to upgrade).
    fn write_tx(&mut self) -> Result<Transaction<'_>> {
        Ok(self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?)
    }

    fn claim_device(&mut self) -> Result<()> {
        let given = self.device.to_string();
        match schema::meta_get(&self.conn, DEVICE_KEY)? {
            Some(stored) if stored == given => Ok(()),
            Some(stored) => Err(StoreError::WrongDevice { stored, given }.into()),
            None => {
                schema::meta_set(&self.conn, DEVICE_KEY, &given)?;
                Ok(())
            }
        }
    }

    /// Re-index every record if an upgrade asked for it or the rules changed (overdue dates
    /// depend on them).
    fn reindex_if_needed(&mut self) -> Result<()> {
        let rules = serde_json::to_string(&self.cfg)
            .map_err(|e| StoreError::Corrupt(format!("rules config: {e}")))?;
        let needs = schema::meta_get(&self.conn, schema::NEEDS_REINDEX)?.is_some();
        let changed = schema::meta_get(&self.conn, RULES_KEY)?.as_deref() != Some(&rules);
        if !needs && !changed {
            return Ok(());
        }
        let _span =
            tracing::info_span!("store.reindex", upgrade = needs, rules = changed).entered();
        let device = self.device;
        let cfg = self.cfg.clone();
        let tx = self.write_tx()?;
        for id in documents::all_ids(&tx)? {
            let indexed = documents::load(&tx, &id, &device)
                .and_then(|mut doc| {
                    let record = doc.record()?;
                    let conflicts = doc.has_conflicts(&record);
                    Ok((record, conflicts))
                })
                .and_then(|(record, conflicts)| index::upsert(&tx, &record, conflicts, &cfg));
            if let Err(e) = indexed {
                // One unreadable document must not make the whole store unusable.
                tracing::warn!(id, error = %e, "record could not be re-indexed");
            }
        }
        tx.execute("DELETE FROM meta WHERE key = ?1", [schema::NEEDS_REINDEX])?;
        schema::meta_set(&tx, RULES_KEY, &rules)?;
        tx.commit()?;
        Ok(())
    }

    /// Check the file and the derived tables: `PRAGMA integrity_check`, the search index's own
    /// check, one index row and one outbox row per document, and every index row equal to what
    /// its document says. Returns [`StoreError::Corrupt`] listing the first problems.
    pub fn check_integrity(&self) -> Result<()> {
        let mut problems: Vec<String> = Vec::new();
        let mut stmt = self.conn.prepare("PRAGMA integrity_check")?;
        for row in stmt.query_map([], |r| r.get::<_, String>(0))? {
            let row = row?;
            if row != "ok" {
                problems.push(row);
            }
        }
        if let Err(e) = self.conn.execute(
            "INSERT INTO records_fts (records_fts) VALUES ('integrity-check')",
            [],
        ) {
            problems.push(format!("search index: {e}"));
        }
        for (what, sql) in [
            (
                "without index row",
                "SELECT count(*) FROM documents WHERE id NOT IN (SELECT id FROM records)",
            ),
            (
                "without outbox row",
                "SELECT count(*) FROM documents WHERE id NOT IN (SELECT id FROM sync_state)",
            ),
            (
                "index rows without document",
                "SELECT count(*) FROM records WHERE id NOT IN (SELECT id FROM documents)",
            ),
        ] {
            let n: i64 = self.conn.query_row(sql, [], |r| r.get(0))?;
            if n > 0 {
                problems.push(format!("{n} document(s) {what}"));
            }
        }
        for id in documents::all_ids(&self.conn)? {
            match documents::load(&self.conn, &id, &self.device).and_then(|d| d.record()) {
                Ok(record) => problems.extend(index::disagreement(&self.conn, &record)?),
                Err(e) => problems.push(format!("{id}: document does not load: {e}")),
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            problems.truncate(20);
            Err(StoreError::Corrupt(problems.join("; ")).into())
        }
    }

    /// Compact every document that has incremental chunks, `VACUUM` the file and checkpoint the
    /// WAL into it (a maintenance step: run it when the app is idle).
    pub fn compact(&mut self) -> Result<()> {
        let _span = tracing::info_span!("store.compact").entered();
        let device = self.device;
        let tx = self.write_tx()?;
        for id in documents::with_chunks(&tx)? {
            let mut doc = documents::load(&tx, &id, &device)?;
            documents::write_snapshot(&tx, &id, &mut doc)?;
        }
        tx.commit()?;
        // VACUUM writes the rebuilt database through the WAL: checkpoint after it.
        self.conn
            .execute_batch("VACUUM; PRAGMA wal_checkpoint(TRUNCATE);")?;
        Ok(())
    }

    /// Where the bytes go: file, WAL, used pages, snapshots and chunks.
    pub fn storage_stats(&self) -> Result<StorageStats> {
        let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
        let q = |sql: &str| -> Result<u64> {
            Ok(self.conn.query_row(sql, [], |r| r.get::<_, i64>(0))?.max(0) as u64)
        };
        // SQLCipher answers `page_size` itself on an encrypted store, as text
        // (`cipher_page_size`): read either form.
        let page: u64 = self.conn.query_row("PRAGMA page_size", [], |r| {
            Ok(match r.get_ref(0)? {
                rusqlite::types::ValueRef::Integer(n) => u64::try_from(n).unwrap_or(0),
                rusqlite::types::ValueRef::Text(t) => std::str::from_utf8(t)
                    .ok()
                    .and_then(|t| t.trim().parse().ok())
                    .unwrap_or(0),
                _ => 0,
            })
        })?;
        Ok(StorageStats {
            records: q("SELECT count(*) FROM documents")?,
            file_bytes: size(&self.path),
            wal_bytes: size(&wal_path(&self.path)),
            used_page_bytes: (q("PRAGMA page_count")? - q("PRAGMA freelist_count")?) * page,
            snapshot_bytes: q("SELECT coalesce(sum(length(snapshot)), 0) FROM documents")?,
            chunk_bytes: q("SELECT coalesce(sum(length(bytes)), 0) FROM chunks")?,
        })
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn wal_path(path: &Path) -> PathBuf {
    with_suffix(path, "-wal")
}

/// Take the writer lock of the store at `path` (a `.lock` file beside it).
fn lock(path: &Path) -> Result<File, StoreError> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(with_suffix(path, ".lock"))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(TryLockError::WouldBlock) => Err(StoreError::InUse),
        Err(TryLockError::Error(e)) => Err(StoreError::Io(e)),
    }
}

/// Refuse a non-empty file that does not start with SQLite's header before SQLite sees it.
fn check_header(path: &Path) -> Result<(), StoreError> {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    let mut header = Vec::with_capacity(16);
    file.by_ref().take(16).read_to_end(&mut header)?;
    if header.is_empty() || header == b"SQLite format 3\0" {
        Ok(())
    } else {
        Err(StoreError::NotADanvanStore)
    }
}
