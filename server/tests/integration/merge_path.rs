//! The sync write path's optimistic merge (`apply_pushes` decides outside the writer, then checks
//! each document's `updated_seq`): a push whose document changed since it was read is decided
//! again, so no change is lost or refused, on both backends.

use std::sync::Arc;

use danvan_core::model::MediationCase;
use danvan_core::model::common::Date;
use danvan_core::sync::merge::{MergeLimits, Stored, merge_stored};
use danvan_core::sync::wire::{Outcome, Push, Verdict, from_wire_heads, to_wire_heads};
use danvan_core::{Record, RecordBody, RecordDoc, RulesConfig};
use danvan_server::storage::Storage;

use crate::support::{both_backends, haiphong};

both_backends!(
    same_record_twice_in_one_batch_is_decided_on_the_first,
    concurrent_edits_of_one_record_are_all_kept,
    edits_past_the_chunk_limit_are_compacted_and_read_back_whole
);

async fn push_all(storage: &dyn Storage, device: &uuid::Uuid, pushes: &[Push]) -> Vec<Verdict> {
    let rules = RulesConfig::default();
    let limits = MergeLimits::default();
    let decide = |stored: Option<Stored<'_>>, p: &Push| {
        merge_stored(stored, p, &rules, &limits, |_, _| Ok(()))
    };
    storage
        .apply_pushes(&device.to_string(), pushes, &decide, &rules)
        .await
        .unwrap()
}

fn new_record(device: &uuid::Uuid) -> (Record, RecordDoc) {
    let record = Record::new(
        "11560-T02",
        device.to_string(),
        Date::ymd(2025, 9, 2).unwrap(),
        RecordBody::Mediation(MediationCase::example()),
    );
    let doc = RecordDoc::create(&record, device).unwrap();
    (record, doc)
}

fn note(doc: &mut RecordDoc, text: &str) {
    doc.update("ghi chú", |r| {
        if let RecordBody::Mediation(m) = &mut r.body {
            m.notes = Some(text.to_string());
        }
        Ok(())
    })
    .unwrap();
}

fn push_since(doc: &mut RecordDoc, record: &Record, since: &[[u8; 32]]) -> Push {
    Push {
        id: record.id().parse().unwrap(),
        changes: doc.changes_after(&from_wire_heads(since)),
        heads: to_wire_heads(&doc.heads()),
    }
}

fn accepted_heads(v: &Verdict) -> Vec<[u8; 32]> {
    match &v.outcome {
        Outcome::Accepted { heads } => heads.clone(),
        other => panic!("expected accepted, got {other:?}"),
    }
}

/// A batch carrying a new record and then an edit of it: the edit, decided before the record
/// was stored, would lack its history; it is decided again on the stored record and accepted.
async fn same_record_twice_in_one_batch_is_decided_on_the_first(storage: Arc<dyn Storage>) {
    haiphong(&*storage).await;
    let device = uuid::Uuid::now_v7();
    let (record, mut doc) = new_record(&device);
    let create = push_since(&mut doc, &record, &[]);
    let created = to_wire_heads(&doc.heads());
    note(&mut doc, "hai bên đã gặp nhau");
    let edit = push_since(&mut doc, &record, &created);
    let verdicts = push_all(&*storage, &device, &[create, edit]).await;
    assert_eq!(verdicts.len(), 2);
    accepted_heads(&verdicts[0]);
    assert_eq!(accepted_heads(&verdicts[1]), to_wire_heads(&doc.heads()));
    let (bytes, _) = storage.full_document(record.id()).await.unwrap().unwrap();
    let stored = RecordDoc::load(&bytes, &device).unwrap().record().unwrap();
    let RecordBody::Mediation(m) = stored.body else {
        panic!("not a mediation case")
    };
    assert_eq!(m.notes.as_deref(), Some("hai bên đã gặp nhau"));
}

/// Four devices push different edits of one record at the same moment: every edit is accepted
/// and the stored document holds all four.
async fn concurrent_edits_of_one_record_are_all_kept(storage: Arc<dyn Storage>) {
    haiphong(&*storage).await;
    let device = uuid::Uuid::now_v7();
    let (record, mut doc) = new_record(&device);
    let create = push_since(&mut doc, &record, &[]);
    accepted_heads(&push_all(&*storage, &device, &[create]).await[0]);
    let base = to_wire_heads(&doc.heads());
    let saved = doc.save();
    let mut tasks = Vec::new();
    let mut pushed_heads = Vec::new();
    for i in 0..4 {
        let dev = uuid::Uuid::now_v7();
        let mut fork = RecordDoc::load(&saved, &dev).unwrap();
        note(&mut fork, &format!("lần sửa {i}"));
        let push = push_since(&mut fork, &record, &base);
        pushed_heads.extend(push.heads.clone());
        let storage = Arc::clone(&storage);
        tasks.push(tokio::spawn(async move {
            push_all(&*storage, &dev, &[push]).await
        }));
    }
    for t in tasks {
        accepted_heads(&t.await.unwrap()[0]);
    }
    let (bytes, heads) = storage.full_document(record.id()).await.unwrap().unwrap();
    let mut merged = RecordDoc::load(&bytes, &device).unwrap();
    let have = to_wire_heads(&merged.heads());
    for h in &pushed_heads {
        assert!(have.contains(h), "an edit was lost");
    }
    assert_eq!(have.len(), 4);
    assert_eq!(heads.len(), 4 * 32, "stored heads are the merged heads");
}

/// One record edited 40 times, each edit pushed on its own and then, from the 30th, two edits
/// in one batch (the second decided again inside the writer): the stored document is appended
/// to chunk by chunk and compacted into a new snapshot from the merged document the decision
/// saved (`Decided::hold`), never holds more than `MAX_CHUNKS` chunks, and after every push
/// reads back as exactly the device's record.
async fn edits_past_the_chunk_limit_are_compacted_and_read_back_whole(storage: Arc<dyn Storage>) {
    haiphong(&*storage).await;
    let device = uuid::Uuid::now_v7();
    let (record, mut doc) = new_record(&device);
    let create = push_since(&mut doc, &record, &[]);
    let mut server_heads = accepted_heads(&push_all(&*storage, &device, &[create]).await[0]);
    let mut most_chunks = 0;
    let mut compactions = 0;
    let mut chunks_before = 0;
    let mut i = 0;
    while i < 40 {
        let mut batch = Vec::new();
        let mut since = server_heads.clone();
        for _ in 0..(if i >= 30 { 2 } else { 1 }) {
            note(
                &mut doc,
                &format!("lần sửa {i}: hai bên đã gặp nhau ở nhà văn hóa"),
            );
            let push = push_since(&mut doc, &record, &since);
            since = push.heads.clone();
            batch.push(push);
            i += 1;
        }
        let verdicts = push_all(&*storage, &device, &batch).await;
        for v in &verdicts {
            server_heads = accepted_heads(v);
        }
        assert_eq!(server_heads, to_wire_heads(&doc.heads()));
        let (bytes, heads) = storage.full_document(record.id()).await.unwrap().unwrap();
        assert_eq!(heads.len(), 32);
        let mut stored = RecordDoc::load(&bytes, &device).unwrap();
        assert_eq!(to_wire_heads(&stored.heads()), server_heads);
        let RecordBody::Mediation(m) = stored.record().unwrap().body else {
            panic!("not a mediation case")
        };
        assert_eq!(
            m.notes.as_deref(),
            Some(format!("lần sửa {}: hai bên đã gặp nhau ở nhà văn hóa", i - 1).as_str())
        );
        let chunks = storage.doc_stats().await.unwrap().chunks;
        if chunks < chunks_before {
            compactions += 1;
        }
        chunks_before = chunks;
        most_chunks = most_chunks.max(chunks);
    }
    assert!(
        most_chunks <= danvan_server::storage::docs::MAX_CHUNKS,
        "{most_chunks} chunks"
    );
    assert!(compactions >= 1, "40 edits were never compacted");
}
