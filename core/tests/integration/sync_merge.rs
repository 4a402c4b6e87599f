//! The server's merge decision (`danvan_core::sync::merge`), without a database.

use danvan_core::model::MediationCase;
use danvan_core::model::common::Date;
use danvan_core::sync::merge::{MergeLimits, MergeOutcome, merge_push};
use danvan_core::sync::wire::{Push, RejectReason, to_wire_heads};
use danvan_core::{Record, RecordBody, RecordDoc, RulesConfig};
use uuid::Uuid;

fn new_doc(device: &Uuid) -> (Record, RecordDoc) {
    let r = Record::new(
        "11533-T01",
        device.to_string(),
        Date::ymd(2025, 9, 2).unwrap(),
        RecordBody::Mediation(MediationCase::example()),
    );
    let d = RecordDoc::create(&r, device).unwrap();
    (r, d)
}

fn push_of(doc: &mut RecordDoc, id: &str, since: &[automerge::ChangeHash]) -> Push {
    Push {
        id: Uuid::parse_str(id).unwrap(),
        changes: doc.changes_after(since),
        heads: to_wire_heads(&doc.heads()),
    }
}

fn allow(_: Option<&Record>, _: &Record) -> Result<(), (RejectReason, String)> {
    Ok(())
}

fn stored(outcome: MergeOutcome) -> Vec<u8> {
    match outcome {
        MergeOutcome::Accepted { mut doc, .. } => doc.save(),
        other => panic!("expected accepted, got {other:?}"),
    }
}

fn reason(outcome: MergeOutcome) -> RejectReason {
    match outcome {
        MergeOutcome::Rejected { reason, .. } => reason,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[test]
fn a_new_record_is_accepted_and_a_retry_changes_nothing() {
    let dev = Uuid::now_v7();
    let (r, mut d) = new_doc(&dev);
    let cfg = RulesConfig::default();
    let p = push_of(&mut d, r.id(), &[]);
    let saved = stored(merge_push(None, &p, &cfg, &MergeLimits::default(), allow));
    match merge_push(Some(&saved), &p, &cfg, &MergeLimits::default(), allow) {
        MergeOutcome::Unchanged { heads } => assert_eq!(heads, p.heads),
        other => panic!("a retried push must be a no-op, got {other:?}"),
    }
}

#[test]
fn invalid_merged_records_are_refused_with_their_fields() {
    let dev = Uuid::now_v7();
    let (r, mut d) = new_doc(&dev);
    let cfg = RulesConfig::default();
    let base = stored(merge_push(
        None,
        &push_of(&mut d, r.id(), &[]),
        &cfg,
        &MergeLimits::default(),
        allow,
    ));
    let before = d.heads();
    // A crafted change that empties a required field (the phone's store would refuse it).
    let mut bad = r.clone();
    let RecordBody::Mediation(m) = &mut bad.body else {
        unreachable!()
    };
    m.summary = String::new();
    d.write(&bad, "crafted").unwrap();
    match merge_push(
        Some(&base),
        &push_of(&mut d, r.id(), &before),
        &cfg,
        &MergeLimits::default(),
        allow,
    ) {
        MergeOutcome::Rejected { reason, detail } => {
            assert_eq!(reason, RejectReason::Invalid);
            assert!(detail.contains("mediation.summary"), "{detail}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn identity_history_size_and_authorisation_are_checked() {
    let dev = Uuid::now_v7();
    let (r, mut d) = new_doc(&dev);
    let cfg = RulesConfig::default();
    let lim = MergeLimits::default();
    // Pushed under another record's id.
    let mut p = push_of(&mut d, r.id(), &[]);
    p.id = Uuid::now_v7();
    assert_eq!(
        reason(merge_push(None, &p, &cfg, &lim, allow)),
        RejectReason::Malformed
    );
    // Changes whose history the server lacks.
    let base_heads = d.heads();
    d.update("edit", |rec| {
        let RecordBody::Mediation(m) = &mut rec.body else {
            unreachable!()
        };
        m.notes = Some("ghi chú".into());
        Ok(())
    })
    .unwrap();
    let only_new = push_of(&mut d, r.id(), &base_heads);
    assert_eq!(
        reason(merge_push(None, &only_new, &cfg, &lim, allow)),
        RejectReason::MissingHistory
    );
    // Too large.
    let small = MergeLimits {
        max_push_bytes: 10,
        ..lim
    };
    assert_eq!(
        reason(merge_push(
            None,
            &push_of(&mut d, r.id(), &[]),
            &cfg,
            &small,
            allow
        )),
        RejectReason::TooLarge
    );
    // Garbage bytes.
    let junk = Push {
        id: p.id,
        changes: b"not automerge at all".to_vec(),
        heads: vec![],
    };
    assert_eq!(
        reason(merge_push(None, &junk, &cfg, &lim, allow)),
        RejectReason::Malformed
    );
    // The authoriser sees the merged record and can refuse it.
    let deny = |_: Option<&Record>, after: &Record| {
        Err((RejectReason::OutOfScope, after.envelope.unit.clone()))
    };
    assert_eq!(
        reason(merge_push(
            None,
            &push_of(&mut d, r.id(), &[]),
            &cfg,
            &lim,
            deny
        )),
        RejectReason::OutOfScope
    );
}
