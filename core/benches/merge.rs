//! The server's merge decision alone, without a database or HTTP (ADR 0018): the CPU a push
//! costs in `merge_device_push`, for the two pushes of the end-to-end merges bench
//! (`DANVAN_BENCH_ONLY=merges cargo bench -p danvan-e2e --bench sync`): a new record (its whole
//! document) and an edit of a stored one (one change setting the notes). Beside them, the
//! parts of a decision, so that a profile says where a merge's time goes:
//! loading the stored document, applying the pushed change, reading the record out of the
//! merged document, the unknown-key check, both in one read (what a decision runs),
//! validation and the fact row.
//!
//! Run: `cargo bench -p danvan-core --bench merge` (a 2-core machine can decide at most
//! `2 / time per merge` pushes a second, before the database and the phones).

// `criterion_group!` generates an undocumented function.
#![allow(missing_docs)]

use std::hint::black_box;

use automerge::AutoCommit;
use criterion::{Criterion, criterion_group, criterion_main};
use danvan_core::facts::Fact;
use danvan_core::model::MediationCase;
use danvan_core::model::common::Date;
use danvan_core::sync::merge::{MergeLimits, MergeOutcome, Stored, merge_device_push};
use danvan_core::sync::wire::{Push, to_wire_heads};
use danvan_core::{Record, RecordBody, RecordDoc, RulesConfig};
use uuid::Uuid;

struct Case {
    device: Uuid,
    /// The first push: the whole new document.
    fresh: Push,
    /// The server's copy after the first push.
    stored: Vec<u8>,
    /// The second push: one change setting the notes.
    edit: Push,
}

fn case() -> Case {
    let device = Uuid::now_v7();
    let mut body = MediationCase::example();
    body.summary = format!("{} #17", body.summary);
    let rec = Record::new(
        "11533-T01",
        device.to_string(),
        Date::ymd(2025, 9, 2).expect("date"),
        RecordBody::Mediation(body),
    );
    let mut doc = RecordDoc::create(&rec, &device).expect("create");
    let id = Uuid::parse_str(rec.id()).expect("uuid");
    let fresh = Push {
        id,
        changes: doc.save(),
        heads: to_wire_heads(&doc.heads()),
    };
    let stored = fresh.changes.clone();
    let before = doc.heads();
    doc.update("edit", |r| {
        if let RecordBody::Mediation(m) = &mut r.body {
            m.notes = Some("Hai bên đã gặp lại ở nhà văn hoá thôn".to_string());
        }
        Ok(())
    })
    .expect("edit");
    let edit = Push {
        id,
        changes: doc.changes_after(&before),
        heads: to_wire_heads(&doc.heads()),
    };
    Case {
        device,
        fresh,
        stored,
        edit,
    }
}

fn decide(c: &Case, stored: Option<&[u8]>, push: &Push, cfg: &RulesConfig) -> MergeOutcome {
    merge_device_push(
        &c.device,
        stored.map(|bytes| Stored {
            bytes,
            kind: "mediation",
            unit: "11533-T01",
        }),
        push,
        cfg,
        &MergeLimits::default(),
        |_, _| true,
        |_, _, _| Ok(()),
    )
}

fn merge(c: &mut Criterion) {
    let case = case();
    let cfg = RulesConfig::default();
    for (stored, push) in [(None, &case.fresh), (Some(&case.stored[..]), &case.edit)] {
        match decide(&case, stored, push, &cfg) {
            MergeOutcome::Accepted { .. } => {}
            other => panic!("the bench's push must be accepted, got {other:?}"),
        }
    }
    let mut g = c.benchmark_group("merge");
    g.bench_function("decide_new_record", |b| {
        b.iter(|| black_box(decide(&case, None, &case.fresh, &cfg)))
    });
    g.bench_function("decide_edit", |b| {
        b.iter(|| black_box(decide(&case, Some(&case.stored), &case.edit, &cfg)))
    });

    // The parts, on the edited record.
    let mut merged = AutoCommit::load(&case.stored).expect("load");
    merged.load_incremental(&case.edit.changes).expect("apply");
    let record = danvan_core::hydrate_record(&merged).expect("hydrate");
    g.bench_function("part_load_stored", |b| {
        b.iter(|| black_box(AutoCommit::load(&case.stored).expect("load")))
    });
    g.bench_function("part_load_and_apply_edit", |b| {
        b.iter(|| {
            let mut d = AutoCommit::load(&case.stored).expect("load");
            d.load_incremental(&case.edit.changes).expect("apply");
            black_box(d)
        })
    });
    g.bench_function("part_hydrate_record", |b| {
        b.iter(|| black_box(danvan_core::hydrate_record(&merged).expect("hydrate")))
    });
    g.bench_function("part_unknown_keys", |b| {
        b.iter(|| black_box(danvan_core::unknown_keys(&merged, &record, 1000).expect("keys")))
    });
    g.bench_function("part_hydrate_checked", |b| {
        b.iter(|| black_box(danvan_core::hydrate_checked(&merged, 1000).expect("hydrate")))
    });
    g.bench_function("part_validate", |b| {
        b.iter(|| black_box(record.validate(&cfg)))
    });
    g.bench_function("part_fact", |b| {
        b.iter(|| black_box(Fact::from_record(&record, &cfg)))
    });
    g.finish();
}

criterion_group!(benches, merge);
criterion_main!(benches);
