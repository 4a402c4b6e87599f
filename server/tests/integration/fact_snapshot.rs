//! The fact index snapshot (ADR 0016): a restart that reads it gives the same reports as one
//! that reads the facts table, catches up what changed after it was written, follows a unit tree
//! changed since, and ignores a corrupt, truncated, foreign or unrelated file (rebuilding from the
//! table). Runs on SQLite and, when configured, PostgreSQL.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use danvan_core::RecordKind;
use danvan_server::Storage;
use danvan_server::aggregate::{Aggregator, PeriodsConfig};
use danvan_server::storage::SqliteStorage;
use danvan_server::units::{Units, import_csv};

use crate::aggregate::{EXTRA_UNITS, dataset};
use crate::support::{both_backends, haiphong};

fn aggregator(storage: &Arc<dyn Storage>, units: &Units, snapshot: Option<&Path>) -> Aggregator {
    Aggregator::new(
        Arc::clone(storage),
        units.clone(),
        PeriodsConfig::default(),
        Default::default(),
    )
    .with_snapshot(snapshot.map(Path::to_path_buf))
}

/// The reports compared: the city for several periods (JSON, so every figure counts).
async fn reports(agg: &Aggregator) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    for key in ["2025-H1", "2025", "2025-Q3", "2026-H1"] {
        let p = agg.periods().period(key).unwrap();
        for unit in ["31", "11560"] {
            if let Ok(r) = agg.report(unit, &p).await {
                out.push(serde_json::to_value(&r).unwrap());
            }
        }
    }
    out
}

async fn units_with_extra(storage: &dyn Storage) -> Units {
    let units = haiphong(storage).await;
    import_csv(storage, &units, EXTRA_UNITS.as_bytes())
        .await
        .unwrap();
    units
}

fn snapshot_path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("index").join("fact-index.snapshot")
}

/// A fresh load from the table, for comparison.
async fn fresh(storage: &Arc<dyn Storage>, units: &Units) -> Vec<serde_json::Value> {
    reports(&aggregator(storage, units, None)).await
}

async fn round_trip_gives_the_same_reports(storage: Arc<dyn Storage>) {
    let units = units_with_extra(storage.as_ref()).await;
    storage.insert_facts(&dataset()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = snapshot_path(&dir);

    let first = aggregator(&storage, &units, Some(&path));
    first.refresh().await.unwrap();
    assert!(!first.loaded_from_snapshot(), "no snapshot yet");
    // Laid out bucket by bucket (as a large index is after its load): the same figures, and
    // the snapshot below keeps the layout (each bucket's records one range).
    let unlaid = reports(&first).await;
    first.compact_index().await.unwrap();
    assert_eq!(reports(&first).await, unlaid);
    let w = first.save_snapshot().await.unwrap().expect("written");
    assert_eq!(w.bytes, std::fs::metadata(&path).unwrap().len());
    assert!(first.save_snapshot().await.unwrap().is_none(), "unchanged");
    let before = reports(&first).await;

    let second = aggregator(&storage, &units, Some(&path));
    second.refresh().await.unwrap();
    assert!(second.loaded_from_snapshot());
    let (a, b) = (second.stats(), first.stats());
    assert_eq!((a.records, a.last_seq), (b.records, b.last_seq));
    assert!(a.bytes <= b.bytes, "read into arrays of the right size");
    assert_eq!(reports(&second).await, before);
    // Hand-checked figures (aggregate.rs): 2025, city.
    let y = second.periods().period("2025").unwrap();
    let m = second.report("31", &y).await.unwrap().totals.mediation;
    assert_eq!((m.received, m.carried_over, m.successful), (6, 1, 3));

    // Changes after the snapshot: a new record and an update of F2 (now successful).
    let mut f10 = crate::support::test_fact(
        10,
        RecordKind::Mediation,
        "11560",
        "2025-08-10",
        "2025-08-10",
        &[("received", "2025-08-10")],
    );
    f10.measures.push(("violence_risk".into(), 1.0));
    let mut f2 = dataset().into_iter().nth(1).unwrap();
    f2.history.push(danvan_core::facts::FactStatus {
        status: "successful".into(),
        on: danvan_core::model::common::Date("2025-06-01".parse().unwrap()),
    });
    f2.status = "successful".into();
    storage.insert_facts(&[f10, f2]).await.unwrap();
    let third = aggregator(&storage, &units, Some(&path));
    let after = reports(&third).await;
    assert!(third.loaded_from_snapshot());
    assert_eq!(after, fresh(&storage, &units).await);
    assert_ne!(after, before);
    let m = third.report("31", &y).await.unwrap().totals.mediation;
    assert_eq!((m.received, m.carried_over, m.successful), (7, 1, 4));
    assert_eq!(third.stats().records, 10);
}

async fn unit_tree_changed_since_the_snapshot(storage: Arc<dyn Storage>) {
    // The snapshot is written before the test villages exist: F3 (entered under one of them) is
    // then outside every unit; after the import it counts under 11560.
    let units = haiphong(storage.as_ref()).await;
    storage.insert_facts(&dataset()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = snapshot_path(&dir);
    let first = aggregator(&storage, &units, Some(&path));
    first.refresh().await.unwrap();
    first.save_snapshot().await.unwrap().expect("written");
    let old_tree = reports(&first).await;
    import_csv(storage.as_ref(), &units, EXTRA_UNITS.as_bytes())
        .await
        .unwrap();
    let second = aggregator(&storage, &units, Some(&path));
    let new_tree = reports(&second).await;
    assert!(second.loaded_from_snapshot());
    assert_eq!(new_tree, fresh(&storage, &units).await);
    assert_ne!(new_tree, old_tree);
}

/// Write a snapshot of the dataset; the path and the reports of a fresh load.
async fn written(
    storage: &Arc<dyn Storage>,
    units: &Units,
    dir: &tempfile::TempDir,
) -> (PathBuf, Vec<serde_json::Value>) {
    let path = snapshot_path(dir);
    let agg = aggregator(storage, units, Some(&path));
    agg.refresh().await.unwrap();
    agg.save_snapshot().await.unwrap().expect("written");
    (path, reports(&agg).await)
}

/// An aggregator over the damaged file: it must not use it, and must give the right figures.
async fn rejected(
    storage: &Arc<dyn Storage>,
    units: &Units,
    path: &Path,
    expected: &[serde_json::Value],
) {
    let agg = aggregator(storage, units, Some(path));
    assert_eq!(reports(&agg).await, expected);
    assert!(!agg.loaded_from_snapshot(), "{} was used", path.display());
}

async fn damaged_snapshots_are_ignored(storage: Arc<dyn Storage>) {
    let units = units_with_extra(storage.as_ref()).await;
    storage.insert_facts(&dataset()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (path, expected) = written(&storage, &units, &dir).await;
    let good = std::fs::read(&path).unwrap();

    // One bit flipped in the body, then in the header.
    for at in [good.len() / 2, good.len() - 1, 40] {
        let mut bad = good.clone();
        bad[at] ^= 0x10;
        std::fs::write(&path, &bad).unwrap();
        rejected(&storage, &units, &path, &expected).await;
    }
    // Truncated, extended, empty, not a snapshot at all.
    for bad in [
        good[..good.len() - 7].to_vec(),
        good[..50].to_vec(),
        [good.as_slice(), b"extra"].concat(),
        Vec::new(),
        b"danvan fact index? no".to_vec(),
    ] {
        std::fs::write(&path, &bad).unwrap();
        rejected(&storage, &units, &path, &expected).await;
    }
    // After a rejection the index is rebuilt and written anew: the next restart uses it.
    std::fs::write(&path, b"garbage").unwrap();
    let agg = aggregator(&storage, &units, Some(&path));
    agg.refresh().await.unwrap();
    agg.save_snapshot().await.unwrap().expect("rewritten");
    let again = aggregator(&storage, &units, Some(&path));
    assert_eq!(reports(&again).await, expected);
    assert!(again.loaded_from_snapshot());
}

async fn another_databases_snapshot_is_ignored(storage: Arc<dyn Storage>) {
    // Same units and facts in another database: its snapshot is still not this one's.
    let other_dir = tempfile::tempdir().unwrap();
    let other: Arc<dyn Storage> = Arc::new(
        SqliteStorage::open(&other_dir.path().join("other.sqlite3"))
            .await
            .unwrap(),
    );
    let other_units = units_with_extra(other.as_ref()).await;
    other.insert_facts(&dataset()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = written(&other, &other_units, &dir).await;

    let units = units_with_extra(storage.as_ref()).await;
    storage.insert_facts(&dataset()[..5]).await.unwrap();
    rejected(&storage, &units, &path, &fresh(&storage, &units).await).await;
}

both_backends!(
    round_trip_gives_the_same_reports,
    unit_tree_changed_since_the_snapshot,
    damaged_snapshots_are_ignored,
    another_databases_snapshot_is_ignored,
);
