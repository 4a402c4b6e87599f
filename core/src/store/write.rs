//! Writes: create, update, transition, conflict resolution (local, marked dirty) and remote
//! changes (not marked dirty). Each is one transaction; a refused write leaves nothing behind.

use rusqlite::Transaction;
use uuid::Uuid;

use crate::config::RulesConfig;
use crate::doc::RecordDoc;
use crate::error::{CoreError, Result};
use crate::label::Coded;
use crate::model::common::Date;
use crate::record::{Record, RecordBody};
use crate::validate::ValidationIssue;

use super::{Store, documents, index, outbox};

impl Store {
    /// Create a record of `body`'s kind under `unit`, in its initial status effective `on`.
    /// Refused with [`CoreError::Invalid`] (nothing written) if it breaks a rule.
    pub fn create(&mut self, body: RecordBody, unit: &str, on: Date) -> Result<Record> {
        self.create_in(body, unit, None, on)
    }

    /// Create a **historical entry**: a past matter recorded under the unit it happened in,
    /// read on `unit_on` (e.g. an old commune before the 2025 reform). The server accepts it
    /// from a team leader or an officer whose scope the old unit went into (ADR 0004 §4).
    pub fn create_historical(
        &mut self,
        body: RecordBody,
        unit: &str,
        unit_on: Date,
        on: Date,
    ) -> Result<Record> {
        self.create_in(body, unit, Some(unit_on), on)
    }

    fn create_in(
        &mut self,
        body: RecordBody,
        unit: &str,
        unit_on: Option<Date>,
        on: Date,
    ) -> Result<Record> {
        let mut record = Record::new(unit, self.device.to_string(), on, body);
        record.envelope.unit_on = unit_on;
        let id = record.id().to_string();
        let kind = record.envelope.kind;
        let _span = tracing::info_span!("store.create", id, kind = kind.code()).entered();
        record.check(&self.cfg)?;
        let mut doc = RecordDoc::create(&record, &self.device)?;
        let cfg = self.cfg.clone();
        let tx = self.write_tx()?;
        documents::insert(&tx, &id, kind, &mut doc)?;
        index::upsert(&tx, &record, false, &cfg)?;
        outbox::local_write(&tx, &id)?;
        tx.commit()?;
        Ok(record)
    }

    /// Edit record `id` with `f`, validate, and save the differences as one change. Returns the
    /// record as saved. The envelope's id, kind, author and creation time cannot change.
    pub fn update(
        &mut self,
        id: &str,
        f: impl FnOnce(&mut Record) -> Result<()>,
    ) -> Result<Record> {
        let _span = tracing::info_span!("store.update", id).entered();
        self.write_local(id, "edit", f)
    }

    /// Move record `id` to status `to` effective `on` (checked against its status machine),
    /// appending to its status history.
    pub fn transition(
        &mut self,
        id: &str,
        to: &str,
        on: Date,
        note: Option<String>,
    ) -> Result<Record> {
        let _span = tracing::info_span!("store.transition", id, to).entered();
        let by = self.device.to_string();
        self.write_local(id, "transition", |r| r.transition(to, on, &by, note))
    }

    /// Correct the wrongly closing entry `entry_id` of record `id`, with its `reason` (ADR 0009):
    /// the record is open again, in the status before that closing, from its effective date.
    /// Refused (nothing written) without a reason, or unless the entry is the latest closing in
    /// force and not yet corrected. The server decides whether this device's role may correct.
    pub fn correct(&mut self, id: &str, entry_id: &str, reason: &str) -> Result<Record> {
        let _span = tracing::info_span!("store.correct", id, entry_id).entered();
        let by = self.device.to_string();
        self.write_local(id, "correction", |r| {
            r.correct(
                entry_id,
                reason,
                &by,
                crate::model::common::Timestamp::now(),
            )
        })
    }

    /// Resolve the conflict at `path` of record `id` by keeping value number `choice` (an index
    /// into [`crate::Conflict::values`]).
    pub fn resolve_conflict(&mut self, id: &str, path: &str, choice: usize) -> Result<Record> {
        let _span = tracing::info_span!("store.resolve_conflict", id).entered();
        let (device, cfg) = (self.device, self.cfg.clone());
        let tx = self.write_tx()?;
        let mut doc = documents::load(&tx, id, &device)?;
        let before = doc.record()?;
        doc.resolve(path, choice)?;
        let record = doc.record()?;
        no_new_issues(&before, &record, &cfg)?;
        persist(&tx, id, &mut doc, &record, &cfg)?;
        outbox::local_write(&tx, id)?;
        tx.commit()?;
        Ok(record)
    }

    /// Apply changes of record `id` received from the server (a chunk, a snapshot or several
    /// concatenated): loads or creates the document, re-indexes it, and does **not** mark it
    /// dirty. A record new to this phone starts as accepted with its current heads.
    ///
    /// Remote records are stored even if they break a local rule (the server is the judge of
    /// what it accepted); bytes that do not make a readable record of id `id` are refused and
    /// nothing is written.
    pub fn apply_remote(&mut self, id: &str, bytes: &[u8]) -> Result<()> {
        self.apply_remote_batch([(id, bytes)])
    }

    /// [`Store::apply_remote`] for many records in one transaction (all or nothing), for the
    /// first download of thousands of records.
    pub fn apply_remote_batch<'a>(
        &mut self,
        items: impl IntoIterator<Item = (&'a str, &'a [u8])>,
    ) -> Result<()> {
        let _span = tracing::info_span!("store.apply_remote").entered();
        let (device, cfg) = (self.device, self.cfg.clone());
        let tx = self.write_tx()?;
        let mut n = 0usize;
        for (id, bytes) in items {
            apply_one(&tx, id, bytes, &device, &cfg)?;
            n += 1;
        }
        tx.commit()?;
        tracing::debug!(records = n, "remote changes applied");
        Ok(())
    }

    /// Load, edit with `f`, validate and persist as a local change.
    pub(super) fn write_local(
        &mut self,
        id: &str,
        message: &str,
        f: impl FnOnce(&mut Record) -> Result<()>,
    ) -> Result<Record> {
        self.write_local_with(id, message, f, |_| Ok(()))
    }

    /// [`Store::write_local`], running `also` in the same transaction when the record changed
    /// (the attachments table, written with the reference that names the blob).
    pub(super) fn write_local_with(
        &mut self,
        id: &str,
        message: &str,
        f: impl FnOnce(&mut Record) -> Result<()>,
        also: impl FnOnce(&Transaction<'_>) -> Result<()>,
    ) -> Result<Record> {
        let (device, cfg) = (self.device, self.cfg.clone());
        let tx = self.write_tx()?;
        let mut doc = documents::load(&tx, id, &device)?;
        let before = doc.record()?;
        let mut record = before.clone();
        f(&mut record)?;
        check_envelope(&before, &record)?;
        check_derived(&record)?;
        no_new_issues(&before, &record, &cfg)?;
        if record == before {
            return Ok(record);
        }
        doc.write(&record, message)?;
        persist(&tx, id, &mut doc, &record, &cfg)?;
        outbox::local_write(&tx, id)?;
        also(&tx)?;
        tx.commit()?;
        Ok(record)
    }
}

fn apply_one(
    tx: &Transaction<'_>,
    id: &str,
    bytes: &[u8],
    device: &Uuid,
    cfg: &RulesConfig,
) -> Result<()> {
    let exists = documents::exists(tx, id)?;
    let mut doc = if exists {
        let mut doc = documents::load(tx, id, device)?;
        doc.apply(bytes)?;
        doc
    } else {
        RecordDoc::load(bytes, device)?
    };
    let record = doc.record()?;
    if record.id() != id {
        return Err(CoreError::BadDocument(format!(
            "changes for {id} hold another record"
        )));
    }
    if exists {
        persist(tx, id, &mut doc, &record, cfg)?;
    } else {
        documents::insert(tx, id, record.envelope.kind, &mut doc)?;
        index::upsert(tx, &record, needs_decision(&mut doc, &record, cfg), cfg)?;
        outbox::remote_new(tx, id, &doc.heads())?;
    }
    Ok(())
}

/// Write the new bytes of `doc` and its index row (the record is `doc`'s current content).
pub(super) fn persist(
    tx: &Transaction<'_>,
    id: &str,
    doc: &mut RecordDoc,
    record: &Record,
    cfg: &RulesConfig,
) -> Result<()> {
    documents::append(tx, id, doc)?;
    index::upsert(tx, record, needs_decision(doc, record, cfg), cfg)
}

/// Whether a person has to decide something on the record: a conflict (a field or the status
/// with several values) or a rule broken by merging two valid histories (ADR 0007). The list
/// index keeps it as `has_conflicts`.
pub(super) fn needs_decision(doc: &mut RecordDoc, record: &Record, cfg: &RulesConfig) -> bool {
    doc.has_conflicts(record) || !record.validate(cfg).is_empty()
}

/// A local write may not break a rule the record kept, but may leave alone what a merge left
/// for review (ADR 0007): an edit of the notes is not refused because two devices' changes
/// together need someone to look at the parties. A record new to the store has no "before";
/// [`Record::check`] applies in full.
fn no_new_issues(before: &Record, after: &Record, cfg: &RulesConfig) -> Result<()> {
    let had: std::collections::HashSet<(String, String)> = before
        .validate(cfg)
        .into_iter()
        .map(|i| (i.field, i.code))
        .collect();
    let new: Vec<ValidationIssue> = after
        .validate(cfg)
        .into_iter()
        .filter(|i| !had.contains(&(i.field.clone(), i.code.clone())))
        .collect();
    if new.is_empty() {
        Ok(())
    } else {
        Err(CoreError::Invalid(new))
    }
}

/// The status and the closing date come from the status history: an edit that sets them
/// directly is refused (use a transition), rather than silently undone on the next read.
fn check_derived(record: &Record) -> Result<()> {
    let mut derived = record.clone();
    derived.derive();
    if derived.body.status_code() != record.body.status_code()
        || derived.body.index().closed_on != record.body.index().closed_on
    {
        return Err(CoreError::Invalid(vec![ValidationIssue::new(
            "status",
            "derived_field",
            "Trạng thái và ngày kết thúc chỉ thay đổi khi chuyển trạng thái.",
            "The status and the closing date change only through a status change.",
        )]));
    }
    Ok(())
}

/// The envelope fields that identify a record never change.
fn check_envelope(before: &Record, after: &Record) -> Result<()> {
    let (b, a) = (&before.envelope, &after.envelope);
    if b.id != a.id
        || b.kind != a.kind
        || b.created_by != a.created_by
        || b.created_at != a.created_at
    {
        return Err(CoreError::Invalid(vec![ValidationIssue::new(
            "envelope",
            "immutable",
            "Không được sửa mã, loại, người tạo hay thời điểm tạo hồ sơ.",
            "A record's id, kind, author and creation time cannot change.",
        )]));
    }
    Ok(())
}
