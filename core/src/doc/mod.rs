//! A record held as an Automerge document.
//!
//! Every device writes with its own actor id, derived from its device id (a UUID), so the author
//! of any operation — and of each side of a conflict — is known without extra bookkeeping.
//! Never open the same store twice at once: two writers on one actor corrupt history.

mod shape;
mod surgery;

use automerge::{ActorId, AutoCommit, ChangeHash, transaction::CommitOptions};
use uuid::Uuid;

use surgery::{ChangedOnly, Lenient};

use crate::error::{CoreError, Result};
use crate::model::common::Timestamp;
use crate::record::Record;

/// Actor id of a device: the 16 bytes of its UUID.
pub fn actor_for_device(device: &Uuid) -> ActorId {
    ActorId::from(device.as_bytes().as_slice())
}

/// Device id string behind an actor id (a UUID when written by danvan, hex otherwise).
pub fn device_for_actor(actor: &ActorId) -> String {
    match Uuid::from_slice(actor.to_bytes()) {
        Ok(u) => u.to_string(),
        Err(_) => actor.to_hex_string(),
    }
}

/// A record document plus the heads last persisted, so that saving writes only what is new.
#[derive(Debug, Clone)]
pub struct RecordDoc {
    doc: AutoCommit,
    saved_heads: Vec<ChangeHash>,
}

impl RecordDoc {
    /// Make a new document holding `record`, written by `device`.
    pub fn create(record: &Record, device: &Uuid) -> Result<RecordDoc> {
        let mut doc = AutoCommit::new().with_actor(actor_for_device(device));
        autosurgeon::reconcile(&mut doc, record)?;
        doc.commit_with(commit_options("create"));
        Ok(RecordDoc {
            doc,
            saved_heads: Vec::new(),
        })
    }

    /// An empty document to be written by `device` (a record about to arrive as changes).
    pub fn empty(device: &Uuid) -> RecordDoc {
        RecordDoc {
            doc: AutoCommit::new().with_actor(actor_for_device(device)),
            saved_heads: Vec::new(),
        }
    }

    /// Load a document from saved bytes (a snapshot, optionally followed by incremental chunks),
    /// to be written by `device`.
    pub fn load(bytes: &[u8], device: &Uuid) -> Result<RecordDoc> {
        let mut doc = AutoCommit::load(bytes).map_err(|e| CoreError::BadDocument(e.to_string()))?;
        doc.set_actor(actor_for_device(device));
        let saved_heads = doc.get_heads();
        Ok(RecordDoc { doc, saved_heads })
    }

    /// Load a snapshot and then each incremental chunk.
    pub fn load_parts<'a>(
        snapshot: &[u8],
        chunks: impl IntoIterator<Item = &'a [u8]>,
        device: &Uuid,
    ) -> Result<RecordDoc> {
        let mut d = RecordDoc::load(snapshot, device)?;
        for c in chunks {
            d.doc
                .load_incremental(c)
                .map_err(|e| CoreError::BadDocument(e.to_string()))?;
        }
        d.saved_heads = d.doc.get_heads();
        Ok(d)
    }

    /// Read the record (strings may be text objects; status and closing date derived from the
    /// history).
    pub fn record(&self) -> Result<Record> {
        hydrate_record(&self.doc)
    }

    /// The record as it was at `heads` (which must be in the document).
    pub fn record_at(&mut self, heads: &[ChangeHash]) -> Result<Record> {
        hydrate_record(&self.doc.fork_at(heads)?)
    }

    /// Write `record` into the document as one change. Only fields whose value differs from the
    /// value shown are written, so a pending conflict on a field the edit did not change stays
    /// pending on every device.
    pub fn write(&mut self, record: &Record, message: &str) -> Result<()> {
        if self.doc.is_empty() {
            autosurgeon::reconcile(&mut self.doc, record)?;
        } else {
            autosurgeon::reconcile(&mut ChangedOnly(&mut self.doc), record)?;
        }
        self.doc.commit_with(commit_options(message));
        Ok(())
    }

    /// This document as it was at `heads`, dropping every change after them (for changes that
    /// never left this device and can never be accepted: see `Store::discard_rejected`).
    pub fn rewound(&mut self, heads: &[ChangeHash]) -> Result<RecordDoc> {
        let doc = self
            .doc
            .fork_at(heads)?
            .with_actor(self.doc.get_actor().clone());
        Ok(RecordDoc {
            doc,
            saved_heads: Vec::new(),
        })
    }

    /// The device whose actor writes this copy.
    pub fn writer(&self) -> String {
        device_for_actor(self.doc.get_actor())
    }

    /// Hydrate, let `f` edit, and write back as one change. Returns `f`'s result.
    pub fn update<T>(
        &mut self,
        message: &str,
        f: impl FnOnce(&mut Record) -> Result<T>,
    ) -> Result<T> {
        let mut r = self.record()?;
        let out = f(&mut r)?;
        self.write(&r, message)?;
        Ok(out)
    }

    /// Changes since the last save or load (empty if none) and mark them saved.
    pub fn take_unsaved(&mut self) -> Vec<u8> {
        let bytes = self.doc.save_after(&self.saved_heads);
        self.saved_heads = self.doc.get_heads();
        bytes
    }

    /// Whether there are changes since the last save or load.
    pub fn has_unsaved(&mut self) -> bool {
        self.doc.get_heads() != self.saved_heads
    }

    /// A compacted snapshot of the whole document (marks everything saved).
    pub fn save(&mut self) -> Vec<u8> {
        let bytes = self.doc.save();
        self.saved_heads = self.doc.get_heads();
        bytes
    }

    /// Changes made after `heads` (what a peer that has `heads` lacks).
    pub fn changes_after(&mut self, heads: &[ChangeHash]) -> Vec<u8> {
        self.doc.save_after(heads)
    }

    /// Apply changes received from elsewhere (a chunk, a snapshot, or several concatenated).
    /// Duplicates are ignored. Returns the number of ops applied.
    pub fn apply(&mut self, bytes: &[u8]) -> Result<usize> {
        self.doc
            .load_incremental(bytes)
            .map_err(|e| CoreError::BadDocument(e.to_string()))
    }

    /// Merge another copy of the same record.
    pub fn merge(&mut self, other: &mut RecordDoc) -> Result<()> {
        self.doc.merge(&mut other.doc)?;
        Ok(())
    }

    /// Current heads.
    pub fn heads(&mut self) -> Vec<ChangeHash> {
        self.doc.get_heads()
    }

    /// Changes this document is missing to have `heads` (non-empty means a chunk arrived
    /// before the changes it depends on).
    pub fn missing_deps(&mut self, heads: &[ChangeHash]) -> Vec<ChangeHash> {
        self.doc.get_missing_deps(heads)
    }

    /// The underlying Automerge document (read-only use: conflicts, inspection).
    pub fn automerge(&self) -> &AutoCommit {
        &self.doc
    }

    /// Mutable access for the conflict resolver.
    pub(crate) fn automerge_mut(&mut self) -> &mut AutoCommit {
        &mut self.doc
    }

    /// A copy with a different writer (for tests and simulations of a second device).
    pub fn fork_for(&mut self, device: &Uuid) -> RecordDoc {
        let doc = self.doc.fork().with_actor(actor_for_device(device));
        RecordDoc {
            doc,
            saved_heads: Vec::new(),
        }
    }
}

/// Read a record from any document (the server's merged copy, a copy at some heads): text
/// objects read as strings, and the status and closing date are derived from the history.
pub fn hydrate_record(doc: &AutoCommit) -> Result<Record> {
    let mut record: Record = autosurgeon::hydrate(&Lenient::new(doc))?;
    record.derive();
    Ok(record)
}

/// Paths (`body.Mediation.notes`, `history[2].extra`) of the keys in `doc` that the record
/// schema does not have, at most `max`: every key of every map, compared with the keys
/// `record` (hydrated from `doc`) writes into an empty document. Only the schema's own
/// structure is followed, so an unknown key is reported once however deep or large what it
/// holds; a text object where the schema has a string is a string. A key the schema lets a
/// document omit is not required here (hydration checks what is required).
///
/// The keys `record` writes are worked out by reconciling it into a plain tree of keys
/// ([`shape::Shape`], no Automerge document), and `doc` is walked one object at a time (each
/// object's entries read in one pass, shared with the hydration in [`hydrate_checked`]),
/// descending only where the record holds an object of the same kind: walking both documents
/// key by key with `get` cost the server about 40 % of its CPU per merge (each `get` is a seek
/// in Automerge's columns), and reconciling the record into a document to compare with about
/// as much again (ADR 0018); hydrating `doc` whole would follow a pushed document's nesting
/// however deep.
pub fn unknown_keys(doc: &AutoCommit, record: &Record, max: usize) -> Result<Vec<String>> {
    let reference = shape::Shape::of(record)?;
    let mut out = Vec::new();
    unknown_under(
        &Lenient::new(doc),
        &automerge::ROOT,
        &reference,
        "",
        &mut out,
        max,
    )?;
    Ok(out)
}

/// [`hydrate_record`] and [`unknown_keys`] of the record read, in one read of each object of
/// `doc` (the server's decision on a push needs both: ADR 0018).
pub fn hydrate_checked(doc: &AutoCommit, max: usize) -> Result<(Record, Vec<String>)> {
    let view = Lenient::new(doc);
    let mut record: Record = autosurgeon::hydrate(&view)?;
    record.derive();
    let reference = shape::Shape::of(&record)?;
    let mut out = Vec::new();
    unknown_under(&view, &automerge::ROOT, &reference, "", &mut out, max)?;
    Ok((record, out))
}

/// The keys of object `at` of `doc` that `reference` lacks, under `path`, in Automerge's key
/// order, descending where both hold an object of the same kind.
fn unknown_under(
    doc: &Lenient<'_>,
    at: &automerge::ObjId,
    reference: &shape::Shape,
    path: &str,
    out: &mut Vec<String>,
    max: usize,
) -> Result<()> {
    use automerge::{ObjType, Value};
    use shape::Shape;
    use surgery::Entries;
    let same_kind = |v: &Value<'_>, r: &Shape| {
        matches!(
            (v, r),
            (Value::Object(ObjType::Map | ObjType::Table), Shape::Map(_))
                | (Value::Object(ObjType::List), Shape::List(_))
        )
    };
    let Some(entries) = doc.entries(at)? else {
        return Ok(());
    };
    match (reference, &*entries) {
        (Shape::Map(known), Entries::Map(items)) => {
            for (key, value, id) in items {
                if out.len() >= max {
                    break;
                }
                let p = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                match known.get(key) {
                    None => out.push(p),
                    Some(r) if same_kind(value, r) => unknown_under(doc, id, r, &p, out, max)?,
                    Some(_) => {}
                }
            }
        }
        (Shape::List(known), Entries::List(items)) => {
            for (index, ((value, id), r)) in items.iter().zip(known).enumerate() {
                if out.len() >= max {
                    break;
                }
                if same_kind(value, r) {
                    let p = format!("{path}[{index}]");
                    unknown_under(doc, id, r, &p, out, max)?;
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// Only the status history of a document (text objects read as strings), for the server's
/// check of the entries a push adds without reading the whole record.
pub(crate) fn hydrate_history(doc: &AutoCommit) -> Result<Vec<crate::lifecycle::StatusChange>> {
    Ok(autosurgeon::hydrate_prop(
        &Lenient::new(doc),
        automerge::ROOT,
        "history",
    )?)
}

fn commit_options(message: &str) -> CommitOptions {
    CommitOptions::default()
        .with_message(message)
        .with_time(Timestamp::now().0 / 1000)
}
