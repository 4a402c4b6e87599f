//! Offline-store benchmarks (DESIGN.md phone targets):
//! - create + save of one record (one durable transaction, `synchronous = FULL`);
//! - open the store and list 5,000 records (target < 200 ms);
//! - bytes stored per record after compaction (target < 1 KB), from the file size, from the
//!   used pages, and from the document blobs alone, next to plain Automerge `save()` bytes.
//!
//! Each runs on a plain store (group `store`) and on an encrypted one (SQLCipher with a raw
//! 32-byte key, the phone's store; group `store_encrypted`), ADR 0013.
//!
//! Run: `cargo bench -p danvan-core --bench store` (`-- store_encrypted/` for one group).

// `criterion_group!` generates an undocumented function.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use danvan_core::model::MediationCase;
use danvan_core::model::common::Date;
use danvan_core::store::{ListQuery, Store, StoreKey};
use danvan_core::{Record, RecordBody, RecordDoc, RulesConfig};
use uuid::Uuid;

const RECORDS: usize = 5_000;

fn day() -> Date {
    Date::ymd(2025, 9, 2).unwrap_or(Date(chrono::NaiveDate::MIN))
}

/// 5,000 records as another device (the server) would send them: created, then moved on one
/// status step, each a two-change document. Returns (id, bytes) and the plain Automerge
/// `save()` size of all of them.
fn remote_records(n: usize) -> (Vec<(String, Vec<u8>)>, usize) {
    let other = Uuid::now_v7();
    let mut out = Vec::with_capacity(n);
    let mut plain = 0;
    for i in 0..n {
        let rec = Record::new(
            format!("31-T{:04}", i % 200),
            other.to_string(),
            day().plus_days(-((i % 365) as i64)),
            RecordBody::Mediation(MediationCase::example()),
        );
        let mut doc = RecordDoc::create(&rec, &other).expect("create");
        doc.update("transition", |r| {
            // After the example's assignment date (3 Sep 2025), as a real start would be.
            r.transition(
                "mediating",
                Date::ymd(2025, 9, 5).expect("date"),
                "bench",
                None,
            )
        })
        .expect("transition");
        let bytes = doc.save();
        plain += bytes.len();
        out.push((rec.id().to_string(), bytes));
    }
    (out, plain)
}

/// Open the store at `path`, encrypted when `key` is given.
fn open(path: &std::path::Path, device: Uuid, key: Option<&StoreKey>) -> Store {
    match key {
        Some(key) => Store::open_encrypted(path, device, RulesConfig::default(), key),
        None => Store::open(path, device, RulesConfig::default()),
    }
    .expect("open")
}

fn bench_store(c: &mut Criterion) {
    let (records, plain_bytes) = remote_records(RECORDS);
    bench_variant(c, "store", None, &records, plain_bytes);
    let key = StoreKey::new(std::array::from_fn(|i| (i as u8).wrapping_mul(97)));
    bench_variant(c, "store_encrypted", Some(&key), &records, plain_bytes);
}

fn bench_variant(
    c: &mut Criterion,
    name: &str,
    key: Option<&StoreKey>,
    records: &[(String, Vec<u8>)],
    plain_bytes: usize,
) {
    let dir = tempfile::tempdir().expect("tempdir");
    let device = Uuid::now_v7();
    let mut group = c.benchmark_group(name);
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(5));

    // Create + save, one transaction per record.
    {
        let mut store = open(&dir.path().join("create.sqlite3"), device, key);
        group.bench_function("create_record", |b| {
            b.iter(|| {
                let body = RecordBody::Mediation(MediationCase::example());
                black_box(store.create(body, "31-T0001", day()).expect("create"))
            })
        });
    }

    // A store of 5,000 records, downloaded in batches then compacted.
    let path = dir.path().join("list.sqlite3");
    {
        let mut store = open(&path, device, key);
        for batch in records.chunks(500) {
            store
                .apply_remote_batch(batch.iter().map(|(id, b)| (id.as_str(), b.as_slice())))
                .expect("apply");
        }
        // A local edit on every tenth record, so that some documents carry chunks to compact.
        for (id, _) in records.iter().step_by(10) {
            store
                .update(id, |r| {
                    r.envelope.unit = "31-T9999".into();
                    Ok(())
                })
                .expect("update");
        }
        store.compact().expect("compact");
        let s = store.storage_stats().expect("stats");
        let per = |b: u64| b as f64 / s.records as f64;
        println!(
            "\n{name}: {} records after compaction: file {:.0} B/record, used pages {:.0} B/record, \
             document blobs {:.0} B/record (snapshots {} B + chunks {} B), WAL {} B; \
             plain Automerge save() of the same documents before the local edits: {:.0} B/record",
            s.records,
            per(s.file_bytes),
            per(s.used_page_bytes),
            per(s.snapshot_bytes + s.chunk_bytes),
            s.snapshot_bytes,
            s.chunk_bytes,
            s.wal_bytes,
            plain_bytes as f64 / RECORDS as f64,
        );
    }

    group.bench_function("open_and_list_5000", |b| {
        b.iter(|| {
            let store = open(&path, device, key);
            let rows = store.list(&ListQuery::default()).expect("list");
            assert_eq!(rows.len(), RECORDS);
            black_box(rows.len())
        })
    });
    group.bench_function("open_and_list_first_page_of_50", |b| {
        b.iter(|| {
            let store = open(&path, device, key);
            let q = ListQuery {
                limit: Some(50),
                ..Default::default()
            };
            black_box(store.list(&q).expect("list").len())
        })
    });
    group.bench_function("search_5000", |b| {
        let store = open(&path, device, key);
        let q = ListQuery {
            text: Some("loi di".into()),
            limit: Some(50),
            ..Default::default()
        };
        b.iter(|| black_box(store.list(&q).expect("search").len()))
    });
    group.finish();
}

criterion_group!(benches, bench_store);
criterion_main!(benches);
