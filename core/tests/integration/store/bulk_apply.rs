//! The phone's side of a sync round in bulk (ADR 0017): records new to the device read on every
//! core and kept as received, and pushes of records the server lacks sent as stored. (A round
//! that fails part-way: `store::sync_engine`'s unit tests.)

use std::collections::HashSet;

use danvan_core::store::ListQuery;
use danvan_core::sync::SyncStore;
use danvan_core::sync::wire::{Outcome, PullDoc, Verdict};
use danvan_core::{Record, RecordDoc};

use super::*;

/// `n` records as the server sends them (compacted documents written by another device), the
/// summary of each ending with its number.
fn pulled(n: usize) -> Vec<PullDoc> {
    let other = Uuid::now_v7();
    (0..n)
        .map(|i| {
            let body = with_summary(mediation(), &format!("Tranh chấp đất đai số{i}"));
            let rec = Record::new("U1", other.to_string(), day(2), body);
            let mut doc = RecordDoc::create(&rec, &other).unwrap();
            PullDoc {
                id: Uuid::parse_str(rec.id()).unwrap(),
                heads: doc.heads().iter().map(|h| h.0).collect(),
                bytes: doc.save(),
            }
        })
        .collect()
}

/// A pulled record whose document holds concurrent edits of its summary by two devices.
fn pulled_in_conflict() -> PullDoc {
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    let rec = Record::new("U1", a.to_string(), day(2), mediation());
    let mut doc_a = RecordDoc::create(&rec, &a).unwrap();
    let mut doc_b = doc_a.fork_for(&b);
    doc_a
        .update("edit", |r| {
            set_summary(&mut r.body, "Bản của A");
            Ok(())
        })
        .unwrap();
    doc_b
        .update("edit", |r| {
            set_summary(&mut r.body, "Bản của B");
            Ok(())
        })
        .unwrap();
    doc_a.merge(&mut doc_b).unwrap();
    PullDoc {
        id: Uuid::parse_str(rec.id()).unwrap(),
        heads: doc_a.heads().iter().map(|h| h.0).collect(),
        bytes: doc_a.save(),
    }
}

fn search(t: &TestStore, text: &str) -> Vec<String> {
    t.store
        .list(&ListQuery {
            text: Some(text.into()),
            ..Default::default()
        })
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect()
}

#[test]
fn pulled_new_records_are_kept_as_received_indexed_searchable_and_flagged() {
    let mut t = TestStore::new();
    // Enough documents to be read on several threads.
    let mut docs = pulled(40);
    docs.push(pulled_in_conflict());
    let unreadable = PullDoc {
        id: Uuid::now_v7(),
        bytes: b"not an automerge document".to_vec(),
        heads: Vec::new(),
    };
    docs.push(unreadable.clone());
    let incomplete = t.store.apply_round(7, 42, &[], &docs).unwrap();
    assert_eq!(
        incomplete,
        vec![unreadable.id],
        "only the unreadable one is asked again"
    );

    for d in &docs[..41] {
        let id = d.id.to_string();
        // Stored as received: the document's bytes load to the same heads.
        let mut doc = t.store.doc(&id).unwrap();
        let heads: Vec<[u8; 32]> = doc.heads().iter().map(|h| h.0).collect();
        assert_eq!(heads, d.heads);
        assert_eq!(
            doc.record().unwrap(),
            RecordDoc::load(&d.bytes, &t.device)
                .unwrap()
                .record()
                .unwrap()
        );
        let st = t.store.sync_state(&id).unwrap();
        assert!(!st.dirty);
        assert_eq!(st.last_synced_heads, doc.heads());
    }
    assert!(t.store.doc(&unreadable.id.to_string()).is_err());
    assert_eq!(t.store.list(&ListQuery::default()).unwrap().len(), 41);
    // Searchable, diacritics folded.
    assert_eq!(search(&t, "so17"), vec![docs[17].id.to_string()]);
    assert_eq!(search(&t, "tranh chap").len(), 40);
    // Conflicts found without a second hydration; the others are not flagged.
    let flagged: Vec<String> = t
        .store
        .list(&ListQuery {
            conflicts_only: true,
            ..Default::default()
        })
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(flagged, vec![docs[40].id.to_string()]);
    assert_eq!(t.store.conflicts(&flagged[0]).unwrap().len(), 1);
    let meta = SyncStore::sync_meta(&mut t.store).unwrap();
    assert_eq!((meta.epoch, meta.cursor), (7, 42));
    t.store.check_integrity().unwrap();
}

#[test]
fn a_record_the_server_lacks_is_pushed_as_stored_and_accepted_without_a_load() {
    let mut t = TestStore::new();
    let rec = t.store.create(mediation(), "U1", day(2)).unwrap();
    let id = rec.id().to_string();
    // A small edit is kept as a chunk beside the snapshot.
    let edited = t
        .store
        .update(&id, |r| {
            r.envelope.unit = "U2".into();
            Ok(())
        })
        .unwrap();
    let pushes = t
        .store
        .pending_pushes(&HashSet::new(), 10, 1 << 20)
        .unwrap();
    assert_eq!(pushes.len(), 1);
    let push = &pushes[0];
    let heads = t.store.heads(&id).unwrap();
    assert_eq!(push.heads, heads.iter().map(|h| h.0).collect::<Vec<_>>());
    // Snapshot and chunk together load as the whole document, on a server that has nothing.
    let mut server = automerge::AutoCommit::new();
    server.load_incremental(&push.changes).unwrap();
    assert_eq!(server.get_heads(), heads);
    assert_eq!(danvan_core::hydrate_record(&server).unwrap(), edited);
    danvan_core::sync::merge::chunks_danvan_sends(&push.changes).unwrap();

    SyncStore::mark_sent(&mut t.store, &[push.id]).unwrap();
    let verdict = Verdict {
        id: push.id,
        outcome: Outcome::Accepted {
            heads: push.heads.clone(),
        },
    };
    t.store.apply_round(1, 1, &[verdict], &[]).unwrap();
    let st = t.store.sync_state(&id).unwrap();
    assert!(!st.dirty);
    assert_eq!(st.last_synced_heads, heads);
    assert!(
        t.store
            .pending_pushes(&HashSet::new(), 10, 1 << 20)
            .unwrap()
            .is_empty()
    );
}
