//! Phone side of a first download and a first upload, without a server: the store's
//! `apply_round` fed 5,000 documents in ~1 MiB responses, and `pending_pushes` + accepted
//! verdicts for 5,000 local records. For profiling (`perf record`) and quick before/after
//! figures; the end-to-end figures are `cargo bench -p danvan-e2e --bench sync`.
//!
//! `cargo run --release -p danvan-core --example phone_sync_profile [download|upload] [encrypted]`

#![allow(missing_docs, clippy::unwrap_used)]

use std::collections::HashSet;
use std::time::{Duration, Instant};

use danvan_core::model::MediationCase;
use danvan_core::model::common::Date;
use danvan_core::store::{Store, StoreKey};
use danvan_core::sync::SyncStore;
use danvan_core::sync::wire::{Outcome, PullDoc, Verdict};
use danvan_core::{Record, RecordBody, RecordDoc, RulesConfig};
use uuid::Uuid;

const N: usize = 5_000;

fn day() -> Date {
    Date::ymd(2025, 9, 2).unwrap()
}

fn open(path: &std::path::Path, device: Uuid, key: Option<&StoreKey>) -> Store {
    match key {
        Some(k) => Store::open_encrypted(path, device, RulesConfig::default(), k),
        None => Store::open(path, device, RulesConfig::default()),
    }
    .unwrap()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let what = args.get(1).map_or("both", String::as_str);
    let key = args
        .iter()
        .any(|a| a == "encrypted")
        .then(|| StoreKey::new([7; 32]));
    let dir = tempfile::tempdir().unwrap();
    if what != "upload" {
        download(&dir, key.as_ref());
    }
    if what != "download" {
        upload(&dir, key.as_ref());
    }
}

fn download(dir: &tempfile::TempDir, key: Option<&StoreKey>) {
    let other = Uuid::now_v7();
    let mut docs = Vec::with_capacity(N);
    for i in 0..N {
        let rec = Record::new(
            "31-T0001",
            other.to_string(),
            day().plus_days(-((i % 365) as i64)),
            RecordBody::Mediation(MediationCase::example()),
        );
        let mut doc = RecordDoc::create(&rec, &other).unwrap();
        let heads = doc.heads().iter().map(|h| h.0).collect();
        docs.push(PullDoc {
            id: Uuid::parse_str(rec.id()).unwrap(),
            bytes: doc.save(),
            heads,
        });
    }
    if std::env::var("PARTS").is_ok() {
        parts(&docs);
    }
    let mut store = open(&dir.path().join("down.sqlite3"), Uuid::now_v7(), key);
    let t = Instant::now();
    let mut rounds = 0;
    let mut start = 0;
    while start < docs.len() {
        let mut end = start;
        let mut bytes = 0;
        while end < docs.len() && bytes < 1024 * 1024 {
            bytes += docs[end].bytes.len();
            end += 1;
        }
        let incomplete = store
            .apply_round(1, end as u64, &[], &docs[start..end])
            .unwrap();
        assert!(incomplete.is_empty());
        rounds += 1;
        start = end;
    }
    let took = t.elapsed();
    println!(
        "download: {N} docs in {rounds} rounds: {:.0} ms ({:.0} µs/doc)",
        took.as_secs_f64() * 1e3,
        took.as_secs_f64() * 1e6 / N as f64
    );
    store.compact().unwrap();
    let s = store.storage_stats().unwrap();
    println!(
        "download store after compaction: file {:.0} B/record, used pages {:.0} B/record, blobs {:.0} B/record",
        s.file_bytes as f64 / N as f64,
        s.used_page_bytes as f64 / N as f64,
        (s.snapshot_bytes + s.chunk_bytes) as f64 / N as f64
    );
}

fn upload(dir: &tempfile::TempDir, key: Option<&StoreKey>) {
    // Local records are slow to create (one durable transaction each): build them once and copy.
    let device = Uuid::from_u128(0x0193_0000_0000_7000_8000_0000_0000_0001);
    let cache = std::env::temp_dir().join(format!(
        "danvan-phone-profile-{}.sqlite3",
        if key.is_some() { "enc" } else { "plain" }
    ));
    if !cache.exists() {
        let tmp = dir.path().join("build.sqlite3");
        let mut store = open(&tmp, device, key);
        for i in 0..N {
            store
                .create(
                    RecordBody::Mediation(MediationCase::example()),
                    "31-T0001",
                    day().plus_days(-((i % 365) as i64)),
                )
                .unwrap();
        }
        store.compact().unwrap();
        drop(store);
        std::fs::copy(&tmp, &cache).unwrap();
    }
    let path = dir.path().join("up.sqlite3");
    std::fs::copy(&cache, &path).unwrap();
    let mut store = open(&path, device, key);
    let (mut t_push, mut t_sent, mut t_apply) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    let mut skip = HashSet::new();
    let mut rounds = 0;
    loop {
        let t = Instant::now();
        let pushes = store.pending_pushes(&skip, 1000, 512 * 1024).unwrap();
        t_push += t.elapsed();
        if pushes.is_empty() {
            break;
        }
        let ids: Vec<Uuid> = pushes.iter().map(|p| p.id).collect();
        let t = Instant::now();
        SyncStore::mark_sent(&mut store, &ids).unwrap();
        t_sent += t.elapsed();
        skip.extend(ids.iter().copied());
        let verdicts: Vec<Verdict> = pushes
            .iter()
            .map(|p| Verdict {
                id: p.id,
                outcome: Outcome::Accepted {
                    heads: p.heads.clone(),
                },
            })
            .collect();
        let t = Instant::now();
        store.apply_round(1, 0, &verdicts, &[]).unwrap();
        t_apply += t.elapsed();
        rounds += 1;
    }
    assert_eq!(store.pending_count().unwrap(), 0);
    println!(
        "upload: {N} records in {rounds} rounds: pending_pushes {:.0} ms, mark_sent {:.0} ms, verdicts {:.0} ms",
        t_push.as_secs_f64() * 1e3,
        t_sent.as_secs_f64() * 1e3,
        t_apply.as_secs_f64() * 1e3
    );
}

fn parts(docs: &[PullDoc]) {
    let me = Uuid::now_v7();
    let cfg = RulesConfig::default();
    let time = |what: &str, f: &mut dyn FnMut(&PullDoc)| {
        let t = Instant::now();
        for d in docs {
            f(d);
        }
        println!(
            "  {what}: {:.0} µs/doc",
            t.elapsed().as_secs_f64() * 1e6 / docs.len() as f64
        );
    };
    time("AutoCommit::load", &mut |d| {
        std::hint::black_box(automerge::AutoCommit::load(&d.bytes).unwrap());
    });
    time("AutoCommit::load_unverified_heads", &mut |d| {
        std::hint::black_box(automerge::AutoCommit::load_unverified_heads(&d.bytes).unwrap());
    });
    let loaded: Vec<RecordDoc> = docs
        .iter()
        .map(|d| RecordDoc::load(&d.bytes, &me).unwrap())
        .collect();
    let t = Instant::now();
    let records: Vec<Record> = loaded.iter().map(|d| d.record().unwrap()).collect();
    println!(
        "  record(): {:.0} µs/doc",
        t.elapsed().as_secs_f64() * 1e6 / docs.len() as f64
    );
    let t = Instant::now();
    for d in &loaded {
        std::hint::black_box(d.conflicts());
    }
    println!(
        "  conflicts(): {:.0} µs/doc",
        t.elapsed().as_secs_f64() * 1e6 / docs.len() as f64
    );
    let t = Instant::now();
    for r in &records {
        std::hint::black_box(r.validate(&cfg));
    }
    println!(
        "  validate(): {:.0} µs/doc",
        t.elapsed().as_secs_f64() * 1e6 / docs.len() as f64
    );
    let t = Instant::now();
    for r in &records {
        std::hint::black_box(r.overdue(&cfg, Date(chrono::NaiveDate::MAX)));
        std::hint::black_box(r.body.index());
    }
    println!(
        "  overdue()+index(): {:.0} µs/doc",
        t.elapsed().as_secs_f64() * 1e6 / docs.len() as f64
    );
    let mut loaded = loaded;
    let t = Instant::now();
    for d in &mut loaded {
        std::hint::black_box(d.heads());
    }
    println!(
        "  heads(): {:.0} µs/doc",
        t.elapsed().as_secs_f64() * 1e6 / docs.len() as f64
    );
}
