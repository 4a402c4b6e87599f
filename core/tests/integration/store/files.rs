//! Opening files that are not (or no longer) good stores gives clear errors, never a panic.

use danvan_core::store::{Store, StoreError};
use danvan_core::{CoreError, RulesConfig};

use super::*;

fn open(path: &std::path::Path, device: Uuid) -> Result<Store, CoreError> {
    Store::open(path, device, RulesConfig::default())
}

fn store_err(r: Result<Store, CoreError>) -> StoreError {
    match r {
        Err(CoreError::Store(e)) => e,
        Err(e) => panic!("not a store error: {e}"),
        Ok(_) => panic!("opened"),
    }
}

#[test]
fn random_bytes_are_not_a_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("random.sqlite3");
    let bytes: Vec<u8> = (0..8192u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    std::fs::write(&path, &bytes).unwrap();
    assert!(matches!(
        store_err(open(&path, Uuid::now_v7())),
        StoreError::NotADanvanStore
    ));
    assert_eq!(
        std::fs::read(&path).unwrap(),
        bytes,
        "the foreign file is left untouched"
    );
    // Even a file that starts like SQLite but is not one.
    let mut fake = b"SQLite format 3\0".to_vec();
    fake.extend_from_slice(&bytes);
    std::fs::write(&path, &fake).unwrap();
    let e = store_err(open(&path, Uuid::now_v7()));
    assert!(
        matches!(e, StoreError::NotADanvanStore | StoreError::Corrupt(_)),
        "{e}"
    );
}

#[test]
fn another_applications_database_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.db");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('x');")
        .unwrap();
    drop(conn);
    let before = std::fs::read(&path).unwrap();
    assert!(matches!(
        store_err(open(&path, Uuid::now_v7())),
        StoreError::NotADanvanStore
    ));
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn a_newer_store_is_refused() {
    let t = TestStore::new();
    let path = t.path();
    let device = t.device;
    drop(t.store);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let e = store_err(open(&path, device));
    assert!(matches!(e, StoreError::TooNew { found: 99, .. }), "{e}");
    assert!(e.to_string().contains("99"));
}

#[test]
fn one_writer_and_one_device_per_store() {
    let t = TestStore::new();
    let path = t.path();
    assert!(matches!(
        store_err(open(&path, t.device)),
        StoreError::InUse
    ));
    let device = t.device;
    drop(t.store);
    assert!(matches!(
        store_err(open(&path, Uuid::now_v7())),
        StoreError::WrongDevice { .. }
    ));
    open(&path, device).unwrap();
}

#[test]
fn damaged_pages_are_reported_as_corrupt() {
    let mut t = TestStore::new();
    for n in 0..60 {
        t.store
            .create(
                with_summary(mediation(), &format!("Vụ việc số {n}")),
                "U1",
                day(2),
            )
            .unwrap();
    }
    t.store.compact().unwrap();
    let path = t.path();
    let device = t.device;
    drop(t.store);
    let mut bytes = std::fs::read(&path).unwrap();
    assert!(bytes.len() > 4096 * 4);
    // Overwrite everything after the first two pages (header and schema stay readable).
    for b in bytes[8192..].iter_mut() {
        *b = 0xA5;
    }
    std::fs::write(&path, &bytes).unwrap();
    let outcome = open(&path, device).and_then(|s| {
        s.check_integrity()?;
        s.list(&Default::default())?;
        Ok(())
    });
    match outcome {
        Err(CoreError::Store(StoreError::Corrupt(_))) => {}
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

#[test]
fn truncated_file_does_not_panic() {
    let mut t = TestStore::new();
    for _ in 0..30 {
        t.store.create(mediation(), "U1", day(2)).unwrap();
    }
    t.store.compact().unwrap();
    let path = t.path();
    let device = t.device;
    drop(t.store);
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let outcome = open(&path, device).and_then(|s| s.check_integrity());
    assert!(matches!(outcome, Err(CoreError::Store(_))), "{outcome:?}");
}
