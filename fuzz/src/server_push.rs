//! `server_push`: the server's decision on one pushed record, as `POST /v1/sync` runs it on each
//! push of a decoded frame ([`merge_device_push`]: load the stored document, apply the pushed
//! Automerge bytes, check the history the device claims, the authorship of the new changes,
//! hydrate the record, check its keys against the record schema, validate, authorise, size).
//!
//! Input: `[flags][n][n × 32-byte heads][Automerge bytes]`.
//! - flags bits 0–1: the stored copy: none (a record new to the server) or one of the three
//!   documents in `fuzz/seeds/stored/` (written by another device, [`STORER`]);
//! - bit 2: the stored record is hidden from the device (`visible` says no);
//! - bit 3: recompute the Automerge chunk checksums first, so that mutated bytes reach the
//!   parser instead of failing the checksum (a malicious client computes them too);
//! - bit 4: small limits (2 KiB pushes, 4 KiB documents);
//! - bit 5: the push names another record's id;
//! - bit 6: the authoriser refuses.
//!
//! Asserts, besides "errors are verdicts, not panics":
//! - an accepted push is for the pushed id, authorised, within the limits, of a record the
//!   device may see, and its record re-validates: what the server would store (the pushed
//!   bytes as the snapshot of a new record, or the stored bytes followed by the new chunk)
//!   loads with `AutoCommit::load` to the same heads and hydrates to the same record, as does
//!   the compacted document; a new record has no validation issue; its fact row builds;
//!   pushing it again changes nothing;
//! - "unchanged" is answered with the stored heads;
//! - a stored document (valid) is never reported unreadable.

use std::sync::OnceLock;

use automerge::{AutoCommit, ChangeHash};
use danvan_core::facts::Fact;
use danvan_core::sync::merge::{MergeLimits, MergeOutcome, Stored, merge_device_push};
use danvan_core::sync::wire::{Push, RejectReason, to_wire_heads};
use danvan_core::{Coded, Record, RulesConfig, hydrate_record};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{NEW_ID, PUSHER};

/// The stored documents (`fuzz/seeds/stored/*.automerge`, written by `examples/seed.rs`).
pub const STORED: [&[u8]; 3] = [
    include_bytes!("../seeds/stored/0.automerge"),
    include_bytes!("../seeds/stored/1.automerge"),
    include_bytes!("../seeds/stored/2.automerge"),
];

/// A stored document with what the server's `documents` row says about it.
struct StoredDoc {
    bytes: &'static [u8],
    id: Uuid,
    kind: &'static str,
    unit: String,
    heads: Vec<ChangeHash>,
}

fn stored_docs() -> &'static [StoredDoc] {
    static DOCS: OnceLock<Vec<StoredDoc>> = OnceLock::new();
    DOCS.get_or_init(|| {
        STORED
            .iter()
            .map(|bytes| {
                let mut doc = AutoCommit::load(bytes).expect("a stored seed document loads");
                let r = hydrate_record(&doc).expect("a stored seed document is a record");
                StoredDoc {
                    bytes,
                    id: Uuid::parse_str(r.id()).expect("a stored seed record's id is a UUID"),
                    kind: r.envelope.kind.code(),
                    unit: r.envelope.unit.clone(),
                    heads: doc.get_heads(),
                }
            })
            .collect()
    })
}

/// Automerge's chunk magic.
const CHUNK_MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];

/// Recompute the checksum of every Automerge chunk in `bytes` (magic, 4-byte checksum, type,
/// LEB128 length, body; the checksum is the first 4 bytes of the SHA-256 of type, length and
/// body), as far as the chunks can be followed.
pub fn fix_checksums(bytes: &mut [u8]) {
    let mut at = 0;
    while bytes.len() >= at + 9 && bytes[at..at + 4] == CHUNK_MAGIC {
        let header = at + 8;
        let mut len: u64 = 0;
        let mut i = header + 1;
        let mut shift = 0;
        loop {
            let Some(&b) = bytes.get(i) else { return };
            i += 1;
            if shift < 64 {
                len |= u64::from(b & 0x7f) << shift;
            }
            shift += 7;
            if b & 0x80 == 0 {
                break;
            }
        }
        let end = usize::try_from(len)
            .ok()
            .and_then(|l| i.checked_add(l))
            .map_or(bytes.len(), |e| e.min(bytes.len()));
        let sum = Sha256::digest(&bytes[header..end]);
        bytes[at + 4..at + 8].copy_from_slice(&sum[..4]);
        at = end;
    }
}

/// Run the target on one input.
pub fn run(data: &[u8]) {
    let _ = outcome(data);
}

/// Run the target on one input; what the server decided (`accepted`, `unchanged`, or the
/// rejection's code), `None` for an input too short to hold a push.
pub fn outcome(data: &[u8]) -> Option<&'static str> {
    let Some((&flags, rest)) = data.split_first() else {
        return None;
    };
    let Some((&n, rest)) = rest.split_first() else {
        return None;
    };
    let n = usize::from(n % 8).min(rest.len() / 32);
    let (heads, changes) = rest.split_at(n * 32);
    let heads: Vec<[u8; 32]> = heads
        .chunks_exact(32)
        .map(|h| {
            let mut a = [0; 32];
            a.copy_from_slice(h);
            a
        })
        .collect();
    let mut changes = changes.to_vec();
    if flags & 8 != 0 {
        fix_checksums(&mut changes);
    }
    let docs = stored_docs();
    let stored = match flags & 3 {
        0 => None,
        k => docs.get(usize::from(k) - 1),
    };
    let hidden = flags & 4 != 0;
    let limits = if flags & 16 != 0 {
        MergeLimits {
            max_push_bytes: 2048,
            max_doc_bytes: 4096,
        }
    } else {
        MergeLimits::default()
    };
    let own_id = stored.map_or(NEW_ID, |s| s.id);
    let id = if flags & 32 != 0 {
        if own_id == NEW_ID {
            Uuid::nil()
        } else {
            NEW_ID
        }
    } else {
        own_id
    };
    let refuse = flags & 64 != 0;
    let push = Push { id, changes, heads };
    Some(decide(stored, &push, hidden, refuse, &limits))
}

fn decide(
    stored: Option<&StoredDoc>,
    push: &Push,
    hidden: bool,
    refuse: bool,
    limits: &MergeLimits,
) -> &'static str {
    let cfg = RulesConfig::default();
    let mut authorized = false;
    let outcome = merge_device_push(
        &PUSHER,
        stored.map(|s| Stored {
            bytes: s.bytes,
            kind: s.kind,
            unit: &s.unit,
        }),
        push,
        &cfg,
        limits,
        |_, _| !hidden,
        |before, after: &Record, _delta| {
            // The "before" side is the stored row's unit, when the device may see it.
            assert_eq!(
                before,
                stored.filter(|_| !hidden).map(|s| s.unit.as_str()),
                "authorise was given the wrong stored unit"
            );
            assert_eq!(after.envelope.id, push.id.to_string());
            if refuse {
                Err((RejectReason::OutOfScope, String::new()))
            } else {
                authorized = true;
                Ok(())
            }
        },
    );
    let stored = stored.filter(|_| !hidden);
    match outcome {
        MergeOutcome::Accepted {
            new_changes,
            heads,
            record,
            mut doc,
        } => {
            assert!(authorized, "accepted without authorisation");
            assert!(!hidden, "accepted a record the device may not see");
            assert!(push.changes.len() <= limits.max_push_bytes);
            assert_eq!(record.envelope.id, push.id.to_string());
            assert_eq!(heads, to_wire_heads(&doc.get_heads()));
            assert_eq!(
                hydrate_record(&doc).ok().as_ref(),
                Some(&*record),
                "the merged document does not hydrate to the accepted record"
            );
            if stored.is_none() {
                assert_eq!(new_changes, push.changes);
                let issues = record.validate(&RulesConfig::default());
                assert!(issues.is_empty(), "new record accepted with {issues:?}");
            } else {
                assert!(!new_changes.is_empty());
            }
            let _ = Fact::from_record(&record, &RulesConfig::default());
            // What the server stores: the snapshot of a new record, or the stored bytes and
            // the new chunk after them.
            let mut stored_bytes = stored.map_or_else(Vec::new, |s| s.bytes.to_vec());
            stored_bytes.extend_from_slice(&new_changes);
            let mut reloaded = match AutoCommit::load(&stored_bytes) {
                Ok(d) => d,
                Err(e) => panic!("the stored bytes of an accepted push do not load: {e}"),
            };
            assert_eq!(to_wire_heads(&reloaded.get_heads()), heads);
            assert_eq!(
                hydrate_record(&reloaded).ok().as_ref(),
                Some(&*record),
                "the stored document does not hydrate to the accepted record"
            );
            let compacted = doc.save();
            let mut compacted = match AutoCommit::load(&compacted) {
                Ok(d) => d,
                Err(e) => panic!("the compacted document does not load: {e}"),
            };
            assert_eq!(to_wire_heads(&compacted.get_heads()), heads);
            assert!(
                stored_bytes.len() <= limits.max_doc_bytes
                    || doc.save().len() <= limits.max_doc_bytes,
                "accepted past the document limit"
            );
            // A retry of the same push changes nothing.
            let again = merge_device_push(
                &PUSHER,
                Some(Stored {
                    bytes: &stored_bytes,
                    kind: record.envelope.kind.code(),
                    unit: &record.envelope.unit,
                }),
                push,
                &cfg,
                &MergeLimits {
                    max_doc_bytes: usize::MAX,
                    ..*limits
                },
                |_, _| true,
                |_, _, _| Ok(()),
            );
            match again {
                MergeOutcome::Unchanged { heads: h } => assert_eq!(h, heads),
                other => panic!("a retried accepted push is not unchanged: {other:?}"),
            }
            "accepted"
        }
        MergeOutcome::Unchanged { heads } => {
            let expected = stored.map_or_else(Vec::new, |s| to_wire_heads(&s.heads));
            assert_eq!(heads, expected, "unchanged, but not at the stored heads");
            "unchanged"
        }
        MergeOutcome::Rejected { reason, detail } => {
            assert!(
                !detail.starts_with("stored document unreadable"),
                "a valid stored document was reported unreadable: {detail}"
            );
            if refuse && authorized {
                unreachable!("the authoriser refuses and never sets `authorized`");
            }
            reason.code()
        }
    }
}
