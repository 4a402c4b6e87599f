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

// Issue 11: the hardening of the server's decision (`merge_device_push`).

fn allow_delta(
    _: Option<&str>,
    _: &Record,
    _: &danvan_core::sync::merge::HistoryDelta,
) -> Result<(), (RejectReason, String)> {
    Ok(())
}

fn device_push(
    device: &Uuid,
    stored: Option<&[u8]>,
    push: &Push,
    limits: &MergeLimits,
    visible: bool,
) -> MergeOutcome {
    use danvan_core::sync::merge::{Stored, merge_device_push};
    merge_device_push(
        device,
        stored.map(|bytes| Stored {
            bytes,
            kind: "mediation",
            unit: "11533-T01",
        }),
        push,
        &RulesConfig::default(),
        limits,
        |_, _| visible,
        allow_delta,
    )
}

fn edit_notes(d: &mut RecordDoc, text: &str) {
    d.update("edit", |rec| {
        let RecordBody::Mediation(m) = &mut rec.body else {
            unreachable!()
        };
        m.notes = Some(text.into());
        Ok(())
    })
    .unwrap();
}

/// Item 5: the limit is on the merged document, not on each push: many pushes each under the
/// limit cannot grow a record past it.
#[test]
fn the_size_limit_is_checked_on_the_merged_document() {
    let dev = Uuid::now_v7();
    let (r, mut d) = new_doc(&dev);
    let limits = MergeLimits {
        max_push_bytes: 1024 * 1024,
        max_doc_bytes: 40_000,
    };
    let p = push_of(&mut d, r.id(), &[]);
    let mut stored_bytes = stored(device_push(&dev, None, &p, &limits, true));
    let mut too_large = 0;
    let mut server_heads = d.heads();
    for _ in 0..8 {
        // About 12 KB of random text per push (each push well under the limit).
        let text: String = (0..340)
            .map(|_| Uuid::new_v4().simple().to_string())
            .collect();
        edit_notes(&mut d, &text);
        let p = push_of(&mut d, r.id(), &server_heads);
        assert!(p.changes.len() < limits.max_doc_bytes);
        match device_push(&dev, Some(&stored_bytes), &p, &limits, true) {
            MergeOutcome::Accepted { new_changes, .. } => {
                stored_bytes.extend_from_slice(&new_changes);
                server_heads = d.heads();
                let mut merged = automerge::AutoCommit::load(&stored_bytes).unwrap();
                assert!(
                    merged.save().len() <= limits.max_doc_bytes,
                    "a merged document of {} bytes was accepted",
                    merged.save().len()
                );
            }
            MergeOutcome::Rejected {
                reason: RejectReason::TooLarge,
                ..
            } => too_large += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(
        too_large > 0,
        "eight 12 KB pushes all accepted under a 40 KB limit"
    );
}

/// Item 7: a change new to the server must be the pushing device's own; another device's
/// change the server already has may be sent again.
#[test]
fn only_the_devices_own_changes_may_be_new() {
    let lan = Uuid::now_v7();
    let hung = Uuid::now_v7();
    let lim = MergeLimits::default();
    let (r, mut d) = new_doc(&lan);
    // Hùng pushing Lan's new record is a forgery.
    let create = push_of(&mut d, r.id(), &[]);
    match device_push(&hung, None, &create, &lim, true) {
        MergeOutcome::Rejected {
            reason: RejectReason::Malformed,
            detail,
        } => assert!(detail.starts_with("foreign_actor"), "{detail}"),
        other => panic!("expected foreign_actor, got {other:?}"),
    }
    let base = stored(device_push(&lan, None, &create, &lim, true));
    let base_heads = d.heads();
    // Hùng edits his copy; Lan's device tries to pass the change off as its own push.
    let mut h = RecordDoc::load(&base, &hung).unwrap();
    edit_notes(&mut h, "Hùng's edit");
    let forged = push_of(&mut h, r.id(), &base_heads);
    assert_eq!(
        reason(device_push(&lan, Some(&base), &forged, &lim, true)),
        RejectReason::Malformed
    );
    // Hùng pushes it himself: accepted.
    let mut server = base.clone();
    match device_push(&hung, Some(&base), &forged, &lim, true) {
        MergeOutcome::Accepted { new_changes, .. } => server.extend_from_slice(&new_changes),
        other => panic!("expected accepted, got {other:?}"),
    }
    // Lan received Hùng's change, edits, and sends her change with Hùng's again: accepted.
    d.merge(&mut h).unwrap();
    edit_notes(&mut d, "Lan's edit");
    let resend = push_of(&mut d, r.id(), &base_heads);
    assert!(matches!(
        device_push(&lan, Some(&server), &resend, &lim, true),
        MergeOutcome::Accepted { .. }
    ));
}

/// Item 8: a stored record the device may not see is answered as if it did not exist: no
/// "unchanged" with its heads, no unit in the detail.
#[test]
fn a_record_out_of_sight_is_answered_as_if_it_did_not_exist() {
    let lan = Uuid::now_v7();
    let lim = MergeLimits::default();
    let (r, mut d) = new_doc(&lan);
    let create = push_of(&mut d, r.id(), &[]);
    let saved = stored(device_push(&lan, None, &create, &lim, true));
    // A retry of what is stored, by a device that may not see it.
    match device_push(&lan, Some(&saved), &create, &lim, false) {
        MergeOutcome::Rejected {
            reason: RejectReason::OutOfScope,
            detail,
        } => assert_eq!(detail, ""),
        other => panic!("expected out_of_scope without detail, got {other:?}"),
    }
    // An edit: the same answer as for an id the server does not have.
    let heads = d.heads();
    edit_notes(&mut d, "x");
    let edit = push_of(&mut d, r.id(), &heads);
    let hidden = format!("{:?}", device_push(&lan, Some(&saved), &edit, &lim, false));
    let absent = format!("{:?}", device_push(&lan, None, &edit, &lim, false));
    assert_eq!(hidden, absent);
}

/// Item 6: a document whose content is not the record schema is refused: unknown keys, however
/// deep or large, in a new record or added by an edit; keys the server's copy already had do
/// not block an edit.
#[test]
fn keys_outside_the_record_schema_are_refused() {
    use automerge::transaction::Transactable;
    use automerge::{AutoCommit, ObjType, ROOT, ReadDoc};
    let dev = Uuid::now_v7();
    let lim = MergeLimits::default();
    let (r, mut d) = new_doc(&dev);
    let mut raw = AutoCommit::load(&d.save())
        .unwrap()
        .with_actor(automerge::ActorId::from(dev.as_bytes().as_slice()));
    let heads = raw.get_heads();
    // 3,000 nested maps under an unknown key of the body.
    let (_, body) = raw.get(ROOT, "body").unwrap().unwrap();
    let (_, kind) = raw.get(&body, "Mediation").unwrap().unwrap();
    let mut at = raw.put_object(&kind, "x_extra", ObjType::Map).unwrap();
    for _ in 0..3000 {
        at = raw.put_object(&at, "x", ObjType::Map).unwrap();
    }
    let deep = Push {
        id: Uuid::parse_str(r.id()).unwrap(),
        changes: raw.save(),
        heads: to_wire_heads(&raw.get_heads()),
    };
    match device_push(&dev, None, &deep, &lim, true) {
        MergeOutcome::Rejected {
            reason: RejectReason::Malformed,
            detail,
        } => assert_eq!(detail, "unknown_key: body.Mediation.x_extra"),
        other => panic!("expected unknown_key, got {other:?}"),
    }
    // Random bytes under an unknown top-level key, added by an edit of a stored record.
    let create = push_of(&mut d, r.id(), &[]);
    let saved = stored(device_push(&dev, None, &create, &lim, true));
    let mut raw = AutoCommit::load(&saved)
        .unwrap()
        .with_actor(automerge::ActorId::from(dev.as_bytes().as_slice()));
    let junk: Vec<u8> = (0..4000).flat_map(|_| *Uuid::new_v4().as_bytes()).collect();
    raw.put(ROOT, "blob", junk).unwrap();
    let edit = Push {
        id: Uuid::parse_str(r.id()).unwrap(),
        changes: raw.save_after(&heads),
        heads: to_wire_heads(&raw.get_heads()),
    };
    assert!(matches!(
        device_push(&dev, Some(&saved), &edit, &lim, true),
        MergeOutcome::Rejected { reason: RejectReason::Malformed, detail } if detail == "unknown_key: blob"
    ));
    // A record danvan wrote, edited, is accepted.
    edit_notes(&mut d, "bình thường");
    assert!(matches!(
        device_push(
            &dev,
            Some(&saved),
            &push_of(&mut d, r.id(), &heads),
            &lim,
            true
        ),
        MergeOutcome::Accepted { .. }
    ));
}

/// Found by the `server_push` fuzz target (fuzz/): change bytes on which Automerge 0.12 panics
/// while loading them into a stored petition. The push is `malformed`, not a panic.
#[test]
fn changes_automerge_panics_on_are_malformed() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/fuzz");
    let stored = std::fs::read(format!("{dir}/automerge-panic-stored.automerge")).unwrap();
    let heads = std::fs::read(format!("{dir}/automerge-panic-heads.bin")).unwrap();
    let push = Push {
        id: Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0101),
        changes: std::fs::read(format!("{dir}/automerge-panic-push.bin")).unwrap(),
        heads: heads
            .chunks_exact(32)
            .map(|h| <[u8; 32]>::try_from(h).unwrap())
            .collect(),
    };
    let outcome = merge_push(
        Some(&stored),
        &push,
        &RulesConfig::default(),
        &MergeLimits::default(),
        allow,
    );
    assert_eq!(reason(outcome), RejectReason::Malformed);
}

/// Automerge "bundle" chunks (type 3, experimental, never written by a danvan client) are
/// refused before Automerge reads them. Two pushes found by the `server_push` fuzz target:
/// 1,708 bytes whose run-length columns Automerge expanded into hundreds of MB for about a
/// second of CPU (a device could exhaust the server's memory with a few of them), and 1,636
/// bytes that made Automerge's column decoder (`hexane`) panic.
#[test]
fn bundle_chunks_are_refused_before_automerge_reads_them() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/fuzz");
    for name in ["bundle-slow-push.bin", "bundle-hexane-panic-push.bin"] {
        let changes = std::fs::read(format!("{dir}/{name}")).unwrap();
        assert_eq!(changes[8], 3, "{name} is a bundle chunk");
        let push = Push {
            id: Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_00aa),
            changes,
            heads: vec![],
        };
        let outcome = merge_push(
            None,
            &push,
            &RulesConfig::default(),
            &MergeLimits::default(),
            allow,
        );
        match outcome {
            MergeOutcome::Rejected { reason, detail } => {
                assert_eq!(reason, RejectReason::Malformed, "{name}");
                assert_eq!(
                    detail, "bytes at offset 0: Automerge chunk type 3 is not accepted",
                    "{name}"
                );
            }
            other => panic!("{name}: {other:?}"),
        }
    }
}

/// What a client sends passes the chunk check: a new record's `save()` (a document chunk),
/// the changes after it (`save_after`), and both concatenated; bytes cut inside a chunk, or
/// followed by something that is not a chunk, do not.
#[test]
fn the_chunk_check_walks_what_clients_send() {
    use danvan_core::sync::merge::chunks_danvan_sends;
    let device = Uuid::now_v7();
    let record = Record::new(
        "11560-T02",
        device.to_string(),
        Date::ymd(2025, 9, 2).unwrap(),
        RecordBody::Mediation(MediationCase::example()),
    );
    let mut doc = RecordDoc::create(&record, &device).unwrap();
    let saved = doc.save();
    let heads = doc.heads();
    doc.update("ghi chú", |r| {
        if let RecordBody::Mediation(m) = &mut r.body {
            m.notes = Some("hai bên đã gặp nhau".into());
        }
        Ok(())
    })
    .unwrap();
    let changes = doc.changes_after(&heads);
    assert_eq!(chunks_danvan_sends(&saved), Ok(()));
    assert_eq!(chunks_danvan_sends(&changes), Ok(()));
    let both = [saved.as_slice(), changes.as_slice()].concat();
    assert_eq!(chunks_danvan_sends(&both), Ok(()));
    assert_eq!(chunks_danvan_sends(&[]), Ok(()));
    assert!(chunks_danvan_sends(&both[..both.len() - 1]).is_err());
    let trailing = [both.as_slice(), b"garbage!!!"].concat();
    assert_eq!(
        chunks_danvan_sends(&trailing),
        Err(format!(
            "bytes at offset {}: not an Automerge chunk",
            both.len()
        ))
    );
}

/// Builds a document chunk whose one operation column is deflated: `inflated` zero bytes
/// compressed. The checksum is the chunk's real one, so Automerge itself would read it.
fn document_chunk_with_deflated_column(inflated: usize) -> Vec<u8> {
    use std::io::Write;
    fn uleb(out: &mut Vec<u8>, mut v: u64) {
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                out.push(b);
                return;
            }
            out.push(b | 0x80);
        }
    }
    let mut deflater = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1024 * 1024];
    for _ in 0..inflated / zeros.len() {
        deflater.write_all(&zeros).unwrap();
    }
    deflater
        .write_all(&zeros[..inflated % zeros.len()])
        .unwrap();
    let column = deflater.finish().unwrap();
    let mut body = Vec::new();
    uleb(&mut body, 1); // one actor
    uleb(&mut body, 16);
    body.extend_from_slice(Uuid::from_u128(7).as_bytes());
    uleb(&mut body, 0); // no heads
    uleb(&mut body, 0); // no change columns
    uleb(&mut body, 1); // one operation column: id 1, type 0 (group), deflate bit
    uleb(&mut body, (1 << 4) | 0b1000);
    uleb(&mut body, column.len() as u64);
    body.extend_from_slice(&column);
    let mut header_tail = vec![0u8]; // chunk type 0, a document
    uleb(&mut header_tail, body.len() as u64);
    let mut hashed = header_tail.clone();
    hashed.extend_from_slice(&body);
    let checksum = sha2_prefix(&hashed);
    let mut chunk = vec![0x85, 0x6f, 0x4a, 0x83];
    chunk.extend_from_slice(&checksum);
    chunk.extend_from_slice(&header_tail);
    chunk.extend_from_slice(&body);
    chunk
}

/// The first four bytes of the SHA-256 of `bytes`: an Automerge chunk's checksum.
fn sha2_prefix(bytes: &[u8]) -> [u8; 4] {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(bytes);
    [digest[0], digest[1], digest[2], digest[3]]
}

/// A document chunk whose deflated columns would inflate past 32 MiB is refused before
/// Automerge reads it (Automerge inflates columns with `read_to_end`, no bound): a push of
/// 40 KB that would have taken 48 MiB of memory, which a device could send in a loop. A real
/// record whose columns Automerge deflated when saving still passes.
#[test]
fn a_document_whose_columns_inflate_past_the_bound_is_refused() {
    use danvan_core::sync::merge::{MAX_INFLATED_COLUMN_BYTES, chunks_danvan_sends};
    let bomb = document_chunk_with_deflated_column(MAX_INFLATED_COLUMN_BYTES + 16 * 1024 * 1024);
    assert!(bomb.len() < 100 * 1024, "{} bytes", bomb.len());
    assert_eq!(
        chunks_danvan_sends(&bomb),
        Err("bytes at offset 0: the document's columns inflate past 32 MiB".to_string())
    );
    let push = Push {
        id: Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_00bb),
        changes: bomb,
        heads: vec![],
    };
    let outcome = merge_push(
        None,
        &push,
        &RulesConfig::default(),
        &MergeLimits::default(),
        allow,
    );
    assert_eq!(reason(outcome), RejectReason::Malformed);

    // Just under the bound, the same construction passes the check (Automerge then refuses it
    // as a document: its one column is no operation layout).
    let under = document_chunk_with_deflated_column(MAX_INFLATED_COLUMN_BYTES - 1024);
    assert_eq!(chunks_danvan_sends(&under), Ok(()));
    // The bound is per push: two chunks under it each, together past it, are refused.
    let half = document_chunk_with_deflated_column(MAX_INFLATED_COLUMN_BYTES / 2 + 1024);
    let twice = [half.as_slice(), half.as_slice()].concat();
    assert_eq!(
        chunks_danvan_sends(&twice),
        Err(format!(
            "bytes at offset {}: the document's columns inflate past 32 MiB",
            half.len()
        ))
    );

    // A real record with long notes: Automerge deflates its text column when saving.
    let device = Uuid::now_v7();
    let notes =
        "Hai bên thống nhất chia lối đi chung rộng 1,5 m, mỗi bên góp một nửa chi phí. ".repeat(40);
    let mut case = MediationCase::example();
    case.notes = Some(notes.clone());
    let record = Record::new(
        "11560-T02",
        device.to_string(),
        Date::ymd(2025, 9, 2).unwrap(),
        RecordBody::Mediation(case),
    );
    let saved = RecordDoc::create(&record, &device).unwrap().save();
    assert!(saved.len() < notes.len(), "the notes were deflated");
    assert_eq!(chunks_danvan_sends(&saved), Ok(()));
}
