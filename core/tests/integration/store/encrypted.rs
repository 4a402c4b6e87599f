//! The encrypted store (SQLCipher, ADR 0013): a wrong key is refused and changes nothing, the
//! file holds no plain text, and a plain store is encrypted once, also after an interrupted
//! attempt.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use danvan_core::store::{ListQuery, Store, StoreError, StoreKey};
use danvan_core::{CoreError, Record, RulesConfig};

use super::*;

const PLAIN_HEADER: &[u8] = b"SQLite format 3\0";
/// A word of the records' summaries, to look for in the raw bytes.
const NEEDLE: &str = "Ranh giới thửa đất";

fn key(seed: u8) -> StoreKey {
    StoreKey::new(std::array::from_fn(|i| seed.wrapping_add(i as u8)))
}

fn open_with(path: &Path, device: Uuid, key: &StoreKey) -> Result<Store, CoreError> {
    Store::open_encrypted(path, device, RulesConfig::default(), key)
}

fn store_err(r: Result<Store, CoreError>) -> StoreError {
    match r {
        Err(CoreError::Store(e)) => e,
        Err(e) => panic!("not a store error: {e}"),
        Ok(_) => panic!("opened"),
    }
}

/// Every file in `dir` with its bytes (the lock file, whose content never matters, left out).
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| !p.to_string_lossy().ends_with(".lock"))
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Write `n` records (one edited, so one document has a chunk) and return them.
fn fill(store: &mut Store, n: usize) -> Vec<Record> {
    let mut out = Vec::new();
    for i in 0..n {
        let body = with_summary(mediation(), &format!("{NEEDLE} số {i}"));
        out.push(store.create(body, "11533-T01", day(2)).unwrap());
    }
    let edited = store
        .update(out[0].id(), |r| {
            r.envelope.unit = "11533-T02".into();
            Ok(())
        })
        .unwrap();
    out[0] = edited;
    out
}

/// Every record is there, equal, listed and found by the text search; the store checks out.
fn assert_holds(store: &Store, records: &[Record]) {
    for r in records {
        assert_eq!(&store.get(r.id()).unwrap(), r);
    }
    assert_eq!(
        store.list(&ListQuery::default()).unwrap().len(),
        records.len()
    );
    let q = ListQuery {
        text: Some("ranh gioi thua dat".into()),
        ..Default::default()
    };
    assert_eq!(store.list(&q).unwrap().len(), records.len());
    store.check_integrity().unwrap();
}

#[test]
fn a_wrong_key_is_refused_and_destroys_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("danvan.sqlite3");
    let device = Uuid::now_v7();
    let mut store = open_with(&path, device, &key(1)).unwrap();
    let records = fill(&mut store, 5);
    drop(store);

    let before = files(dir.path());
    let e = store_err(open_with(&path, device, &key(2)));
    assert!(matches!(e, StoreError::WrongKey), "{e}");
    assert_eq!(
        e.to_string(),
        "the store could not be opened: wrong key",
        "a clear message"
    );
    assert_eq!(
        files(dir.path()),
        before,
        "the failed attempt changed or added a file"
    );
    // The writer lock was released by the failed open.
    let store = open_with(&path, device, &key(1)).unwrap();
    assert_holds(&store, &records);
}

#[test]
fn the_encrypted_file_shows_nothing_without_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("danvan.sqlite3");
    let device = Uuid::now_v7();
    let mut store = open_with(&path, device, &key(7)).unwrap();
    let records = fill(&mut store, 5);
    // The WAL holds the last commits: it must be encrypted too.
    for (p, bytes) in files(dir.path()) {
        assert!(
            !contains(&bytes, NEEDLE.as_bytes()),
            "{} has plain text",
            p.display()
        );
        assert!(
            !contains(&bytes, records[1].id().as_bytes()),
            "{}",
            p.display()
        );
    }
    store.compact().unwrap();
    // Where the bytes go, on an encrypted store too (SQLCipher answers `page_size` as text).
    let stats = store.storage_stats().unwrap();
    assert_eq!(stats.records, 5);
    assert!(stats.used_page_bytes > 0 && stats.used_page_bytes <= stats.file_bytes);
    drop(store);
    let bytes = std::fs::read(&path).unwrap();
    assert!(!bytes.starts_with(PLAIN_HEADER));
    assert!(!contains(&bytes, NEEDLE.as_bytes()));
    // Without a key it is not a store; plain SQLite cannot read it either.
    assert!(matches!(
        store_err(Store::open(&path, device, RulesConfig::default())),
        StoreError::NotADanvanStore
    ));
    let conn = rusqlite::Connection::open(&path).unwrap();
    assert!(
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r
            .get::<_, i64>(0))
            .is_err()
    );
    drop(conn);
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    let store = open_with(&path, device, &key(7)).unwrap();
    assert_holds(&store, &records);
}

#[test]
fn a_plain_store_is_encrypted_once() {
    let mut ts = TestStore::new();
    let records = fill(&mut ts.store, 12);
    let outbox: Vec<String> = records
        .iter()
        .map(|r| format!("{:?}", ts.store.sync_state(r.id()).unwrap()))
        .collect();
    let (path, device) = (ts.path(), ts.device);
    drop(ts.store);
    assert!(std::fs::read(&path).unwrap().starts_with(PLAIN_HEADER));

    let store = open_with(&path, device, &key(3)).unwrap();
    assert_holds(&store, &records);
    let outbox_after: Vec<String> = records
        .iter()
        .map(|r| format!("{:?}", store.sync_state(r.id()).unwrap()))
        .collect();
    assert_eq!(outbox_after, outbox, "the sync outbox is kept");
    drop(store);

    let bytes = std::fs::read(&path).unwrap();
    assert!(!bytes.starts_with(PLAIN_HEADER), "still plain");
    assert!(!contains(&bytes, NEEDLE.as_bytes()));
    let left: Vec<String> = std::fs::read_dir(ts.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("encrypting"))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    assert!(matches!(
        store_err(Store::open(&path, device, RulesConfig::default())),
        StoreError::NotADanvanStore
    ));
    assert!(matches!(
        store_err(open_with(&path, device, &key(4))),
        StoreError::WrongKey
    ));
    // Opened again with its key: no second migration, the same records, and it writes.
    let mut store = open_with(&path, device, &key(3)).unwrap();
    assert_holds(&store, &records);
    store.create(mediation(), "11533-T01", day(3)).unwrap();
}

#[test]
fn an_interrupted_encryption_is_started_again() {
    let mut ts = TestStore::new();
    let records = fill(&mut ts.store, 4);
    let (path, device) = (ts.path(), ts.device);
    drop(ts.store);
    // What a kill in the middle of the export leaves: a half-written copy and its journal
    // beside the plain store, which is complete and untouched.
    let tmp = ts.dir.path().join("danvan.sqlite3.encrypting");
    std::fs::write(&tmp, b"half an export").unwrap();
    std::fs::write(
        ts.dir.path().join("danvan.sqlite3.encrypting-journal"),
        b"x",
    )
    .unwrap();
    // A plain open still works meanwhile (e.g. an older app version).
    let plain = Store::open(&path, device, RulesConfig::default()).unwrap();
    assert_holds(&plain, &records);
    drop(plain);

    let store = open_with(&path, device, &key(9)).unwrap();
    assert_holds(&store, &records);
    assert!(!tmp.exists());
    assert!(
        !ts.dir
            .path()
            .join("danvan.sqlite3.encrypting-journal")
            .exists()
    );
    assert!(!std::fs::read(&path).unwrap().starts_with(PLAIN_HEADER));
}

#[test]
fn a_plain_store_of_another_device_is_not_encrypted() {
    let mut ts = TestStore::new();
    fill(&mut ts.store, 2);
    let path = ts.path();
    drop(ts.store);
    let before = files(ts.dir.path());
    assert!(matches!(
        store_err(open_with(&path, Uuid::now_v7(), &key(5))),
        StoreError::WrongDevice { .. }
    ));
    assert_eq!(files(ts.dir.path()), before, "touched");
}

#[test]
fn a_foreign_plain_database_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.db");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('x');")
        .unwrap();
    drop(conn);
    let before = files(dir.path());
    assert!(matches!(
        store_err(open_with(&path, Uuid::now_v7(), &key(6))),
        StoreError::NotADanvanStore
    ));
    assert_eq!(files(dir.path()), before);
}

#[test]
fn keys_are_32_bytes() {
    assert!(matches!(
        StoreKey::from_slice(&[0; 31]),
        Err(StoreError::BadKeyLength(31))
    ));
    assert!(StoreKey::from_slice(&[0; 32]).is_ok());
}
