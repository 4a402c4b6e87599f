//! The sync write path, written once for every [`Backend`]: a request's pushes are decided, then
//! what was accepted is stored in one writer transaction. The bulk fact import shares its
//! writes.
//!
//! [`WriteTx::apply_pushes`] goes through these steps:
//!
//! 1. **Read states** ([`WriteTx::read_states`]): every pushed document is read with the reader
//!    pool, and the CPU-heavy decision (load, merge, hydrate, validate) runs for the whole batch
//!    on all cores ([`decide_all`]), before the writer is taken.
//! 2. **Check sequences** ([`WriteTx::updated_seqs`], [`WriteTx::still_as_read`]): in the writer
//!    transaction, each decision is kept only if its document's `updated_seq` is still the one
//!    read; otherwise (a concurrent push of the same record, or the same record twice in the
//!    batch) the push is decided again on what is stored now ([`WriteTx::decide_again`]).
//! 3. **Write accepted changes** ([`WriteTx::hold`], [`WriteTx::flush`]): the accepted changes
//!    take a block of sync sequence numbers, in push order, and each becomes a new document or
//!    one more chunk, or is **compacted** with the others into a new snapshot
//!    ([`WriteTx::compact`]) past [`MAX_CHUNKS`](super::docs::MAX_CHUNKS) chunks or the snapshot's size.
//! 4. **Upsert facts**: each record's fact row replaces the old one, after a late amendment is
//!    flagged for any locked period the change touches (ADR 0004).
//!
//! Steps 3 and 4 are written for the whole request at once, in multi-row statements of a few
//! fixed shapes ([`parts`]): a request of 500 new records is about a dozen statements in the
//! writer instead of five per record (ADR 0018). A push decided again is preceded by a flush
//! of what is held, so that it reads the transaction's own writes.
//!
//! A rejected push writes nothing; everything one request writes is one transaction.

use std::collections::{HashMap, HashSet};

use chrono::Utc;
use danvan_core::facts::Fact;
use danvan_core::sync::wire::{Outcome, Push, Verdict};
use danvan_core::{RecordKind, RulesConfig};
use sqlx::{ColumnIndex, Executor, IntoArguments, QueryBuilder, Transaction};

use super::agg::{FACT_ROW_COLUMNS, kept_fact_json};
use super::backend::{Args, Backend, Bind, Column, Conn, Row};
use super::docs::{Decide, FactRow, encode_heads};
use crate::error::Result;

mod decide;
pub(crate) use decide::{Decided, DocState, decide_all};

/// Ids per query when the writer reads the documents' sequences again.
const IDS_PER_QUERY: usize = 500;

/// Replace a record's fact row (one row; the bulk import uses [`Backend::FACT_ROWS_PER_INSERT`]).
/// A new row's `created_seq` is its first `updated_seq`; a replaced row keeps it (migration
/// 0011).
const UPSERT_FACT: &str = "INSERT INTO facts (id, kind, unit, status, category, \
     subtype, main_date, closed_on, history, measures, updated_seq, updated_at, unit_on, flows, \
     created_seq) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $11) \
     ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, unit = excluded.unit, \
     unit_on = excluded.unit_on, flows = excluded.flows, status = excluded.status, category = excluded.category, subtype = excluded.subtype, \
     main_date = excluded.main_date, closed_on = excluded.closed_on, history = excluded.history, \
     measures = excluded.measures, updated_seq = excluded.updated_seq, \
     updated_at = excluded.updated_at";

/// A `documents` row as the write path reads it: id, snapshot, chunk count, chunk bytes,
/// snapshot origin, `updated_seq`, kind, unit.
type DocRow = (
    String,
    Vec<u8>,
    i64,
    i64,
    Option<String>,
    i64,
    String,
    String,
);

fn accepted(id: uuid::Uuid, heads: Vec<[u8; 32]>) -> Verdict {
    Verdict {
        id,
        outcome: Outcome::Accepted { heads },
    }
}

/// An accepted change as the document tables store it.
struct Change<'a> {
    /// Record id.
    id: &'a str,
    /// The pushing device.
    device: &'a str,
    /// The change's sync sequence number.
    seq: i64,
    /// The record's unit after the merge.
    unit: &'a str,
    /// Heads after the merge, encoded.
    heads: &'a [u8],
    /// The changes the server did not have.
    bytes: &'a [u8],
}

/// An accepted change held until the writer's next [`WriteTx::flush`].
struct Pending {
    /// Record id.
    id: String,
    /// The document as decided on (`None`: a new record).
    stored: Option<DocState>,
    /// The changes the server did not have.
    new_changes: Vec<u8>,
    /// Heads after the merge, encoded.
    heads: Vec<u8>,
    /// The merged record's unit.
    unit: String,
    /// The merged record's kind.
    kind: RecordKind,
    /// The merged record's fact.
    fact: Box<Fact>,
    /// The merged document saved, when the write compacts it.
    snapshot: Option<Vec<u8>>,
}

/// Rows per multi-row statement of the sync write path (14 parameters a row at most: under
/// both drivers' limits).
const ROWS_PER_STATEMENT: usize = 64;

/// `rows` cut for multi-row statements: full statements of [`ROWS_PER_STATEMENT`] rows, then
/// the rest in power-of-two parts, so that every statement has one of a few shapes, each
/// prepared once per connection and kept in the driver's statement cache.
fn parts<T>(rows: &[T]) -> Vec<&[T]> {
    let mut out = Vec::new();
    let mut rest = rows;
    while !rest.is_empty() {
        let take = if rest.len() >= ROWS_PER_STATEMENT {
            ROWS_PER_STATEMENT
        } else {
            1 << rest.len().ilog2()
        };
        let (part, tail) = rest.split_at(take);
        out.push(part);
        rest = tail;
    }
    out
}

/// A fact row's columns as every insert binds them.
struct FactColumns<'a> {
    id: &'a str,
    kind: String,
    unit: &'a str,
    status: &'a str,
    category: &'a Option<String>,
    subtype: &'a Option<String>,
    main_date: Option<String>,
    closed_on: Option<String>,
    history: String,
    measures: String,
    unit_on: String,
    flows: String,
}

impl<'a> FactColumns<'a> {
    fn of(f: &'a Fact) -> Self {
        FactColumns {
            id: &f.id,
            kind: f.kind.to_string(),
            unit: &f.unit,
            status: &f.status,
            category: &f.category,
            subtype: &f.subtype,
            main_date: f.main_date.map(|d| d.to_string()),
            closed_on: f.closed_on.map(|d| d.to_string()),
            history: serde_json::to_string(&f.history).unwrap_or_default(),
            measures: serde_json::to_string(&f.measures).unwrap_or_default(),
            unit_on: f.unit_on.to_string(),
            flows: serde_json::to_string(&f.flows).unwrap_or_else(|_| "[]".into()),
        }
    }
}

/// The writer transaction of one request: every write that takes sync sequence numbers goes
/// through it.
pub(crate) struct WriteTx<B: Backend> {
    tx: Transaction<'static, B::Db>,
    /// When the request was handled (RFC 3339), stored with every row it writes.
    now: String,
    /// Documents written so far (a record pushed twice in one request is decided again).
    written: HashSet<String>,
    /// Whether any period is locked, once asked ([`WriteTx::any_lock_cached`]).
    locked: Option<bool>,
}

impl<B> WriteTx<B>
where
    B: Backend,
    for<'c> &'c mut Conn<B>: Executor<'c, Database = B::Db>,
    Args<B>: IntoArguments<B::Db>,
    usize: ColumnIndex<Row<B>>,
    for<'a> &'a str: Bind<B::Db> + ColumnIndex<Row<B>>,
    for<'a> &'a [u8]: Bind<B::Db>,
    Option<String>: Bind<B::Db>,
    i64: Column<B::Db>,
    String: Column<B::Db>,
    Vec<u8>: Column<B::Db>,
{
    /// Merge `pushes` from `device`, asking `decide` for each, and store what is accepted in one
    /// transaction. One verdict per push.
    pub(crate) async fn apply_pushes(
        storage: &B,
        device: &str,
        pushes: &[Push],
        decide: &Decide<'_>,
        rules: &RulesConfig,
    ) -> Result<Vec<Verdict>> {
        let read = Self::read_states(storage, pushes).await?;
        let decided = decide_all(decide, pushes, &read, rules);
        let mut w = Self::begin(storage).await?;
        w.take_turn().await?;
        let ids: Vec<String> = pushes.iter().map(|p| p.id.to_string()).collect();
        let current = w.updated_seqs(&ids).await?;
        let mut verdicts = Vec::with_capacity(pushes.len());
        let mut pending: Vec<Pending> = Vec::new();
        for (((push, id), read), decided) in pushes.iter().zip(ids).zip(read).zip(decided) {
            let (stored, outcome) = if w.still_as_read(&id, read.as_ref(), &current) {
                (read, decided)
            } else {
                // What is held must be in the transaction before the document is read again.
                w.flush(device, std::mem::take(&mut pending)).await?;
                w.decide_again(decide, push, &id, rules).await?
            };
            verdicts.push(w.hold(push, id, stored, outcome, &mut pending));
        }
        w.flush(device, pending).await?;
        w.commit().await?;
        Ok(verdicts)
    }

    /// Bulk insert (or replace) fact rows without documents, each taking the next sync sequence
    /// number, in one transaction. Imported changes to a locked period are flagged like synced
    /// ones.
    pub(crate) async fn insert_facts(storage: &B, facts: &[Fact]) -> Result<()> {
        let mut w = Self::begin(storage).await?;
        let n = facts.len() as i64;
        let first_seq = w.reserve_seqs(n).await? - n + 1;
        if w.any_lock().await? {
            for (k, fact) in facts.iter().enumerate() {
                w.flag_late_amendments(fact, first_seq + k as i64).await?;
            }
        }
        let rows: Vec<FactColumns> = facts.iter().map(FactColumns::of).collect();
        w.insert_fact_rows(&rows, first_seq).await?;
        w.commit().await
    }

    /// Step 1: the state of every pushed document, read with the reader pool: two queries for
    /// up to [`IDS_PER_QUERY`] documents (their rows, then the chunks of those that have any).
    async fn read_states(storage: &B, pushes: &[Push]) -> Result<Vec<Option<DocState>>> {
        let ids: Vec<String> = pushes.iter().map(|p| p.id.to_string()).collect();
        let mut unique: Vec<&str> = Vec::with_capacity(ids.len());
        let mut seen: HashSet<&str> = HashSet::with_capacity(ids.len());
        for id in &ids {
            if seen.insert(id.as_str()) {
                unique.push(id.as_str());
            }
        }
        let mut conn = storage.reader().acquire().await?;
        let mut found: HashMap<String, DocState> = HashMap::with_capacity(unique.len());
        for part in unique.chunks(IDS_PER_QUERY) {
            Self::doc_states(&mut conn, part, &mut found).await?;
        }
        // A record pushed twice in one request gets the same state twice (the second push is
        // decided again in the writer anyway: `still_as_read`).
        let mut first: HashMap<&str, usize> = HashMap::with_capacity(ids.len());
        let mut read: Vec<Option<DocState>> = Vec::with_capacity(ids.len());
        for id in &ids {
            match first.get(id.as_str()) {
                Some(&k) => {
                    let again = read[k].clone();
                    read.push(again);
                }
                None => {
                    first.insert(id.as_str(), read.len());
                    read.push(found.remove(id));
                }
            }
        }
        Ok(read)
    }

    /// The states of the stored documents among `ids` (distinct; snapshot followed by its
    /// chunks), into `found`, read through `conn`: the reader pool, or the writer's
    /// transaction when a push is decided again.
    async fn doc_states(
        conn: &mut Conn<B>,
        ids: &[&str],
        found: &mut HashMap<String, DocState>,
    ) -> Result<()> {
        let mut q = QueryBuilder::new(
            "SELECT id, snapshot, chunk_count, chunk_bytes, snapshot_origin, updated_seq, kind, \
             unit FROM documents WHERE id IN (",
        );
        let mut list = q.separated(", ");
        for id in ids {
            list.push_bind(*id);
        }
        list.push_unseparated(")");
        let rows: Vec<DocRow> = q.build_query_as().fetch_all(&mut *conn).await?;
        let mut chunked: Vec<String> = Vec::new();
        for (id, snapshot, chunk_count, chunk_bytes, snapshot_origin, updated_seq, kind, unit) in
            rows
        {
            if chunk_count > 0 {
                chunked.push(id.clone());
            }
            let snapshot_len = snapshot.len();
            let mut bytes = snapshot;
            bytes.reserve(chunk_bytes.max(0) as usize);
            let state = DocState {
                bytes,
                snapshot_len,
                chunk_bytes,
                snapshot_origin,
                chunk_origins: Vec::new(),
                updated_seq,
                kind,
                unit,
            };
            found.insert(id, state);
        }
        if chunked.is_empty() {
            return Ok(());
        }
        let mut q =
            QueryBuilder::new("SELECT doc_id, bytes, origin FROM doc_chunks WHERE doc_id IN (");
        let mut list = q.separated(", ");
        for id in &chunked {
            list.push_bind(id.as_str());
        }
        list.push_unseparated(") ORDER BY doc_id, seq");
        let chunks: Vec<(String, Vec<u8>, String)> =
            q.build_query_as().fetch_all(&mut *conn).await?;
        for (id, chunk, origin) in chunks {
            if let Some(state) = found.get_mut(&id) {
                state.bytes.extend_from_slice(&chunk);
                state.chunk_origins.push(origin);
            }
        }
        Ok(())
    }

    /// Open the writer transaction.
    async fn begin(storage: &B) -> Result<Self> {
        let now = Utc::now().to_rfc3339();
        let tx = storage.writer().begin().await?;
        Ok(WriteTx {
            tx,
            now,
            written: HashSet::new(),
            locked: None,
        })
    }

    /// Commit everything written.
    async fn commit(self) -> Result<()> {
        self.tx.commit().await?;
        Ok(())
    }

    /// Take the writer's turn first (on PostgreSQL, the `sync_seq` row lock until commit), so
    /// an `updated_seq` read after this cannot change before we commit.
    async fn take_turn(&mut self) -> Result<()> {
        sqlx::query("UPDATE sync_seq SET value = value WHERE id = 1")
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Step 2: the documents' `updated_seq` now, by id (documents not stored are absent).
    async fn updated_seqs(&mut self, ids: &[String]) -> Result<HashMap<String, i64>> {
        let mut current = HashMap::with_capacity(ids.len());
        for part in ids.chunks(IDS_PER_QUERY) {
            let mut q = QueryBuilder::new("SELECT id, updated_seq FROM documents WHERE id IN (");
            let mut list = q.separated(", ");
            for id in part {
                list.push_bind(id.as_str());
            }
            list.push_unseparated(")");
            let rows: Vec<(String, i64)> = q.build_query_as().fetch_all(&mut *self.tx).await?;
            current.extend(rows);
        }
        Ok(current)
    }

    /// Decide `push` again on what is stored now: its document changed since it was read.
    async fn decide_again(
        &mut self,
        decide: &Decide<'_>,
        push: &Push,
        id: &str,
        rules: &RulesConfig,
    ) -> Result<(Option<DocState>, Decided)> {
        let mut found = HashMap::with_capacity(1);
        Self::doc_states(&mut self.tx, &[id], &mut found).await?;
        let doc = found.remove(id);
        let outcome = decide(doc.as_ref().map(DocState::stored), push);
        let held = Decided::hold(outcome, doc.as_ref(), rules);
        Ok((doc, held))
    }

    /// Step 2: whether document `id` is still as it was read (`read`), given the `updated_seq`s
    /// read in this transaction, and this transaction has not written it yet.
    fn still_as_read(
        &self,
        id: &str,
        read: Option<&DocState>,
        current: &HashMap<String, i64>,
    ) -> bool {
        !self.written.contains(id) && current.get(id).copied() == read.map(|d| d.updated_seq)
    }

    /// The verdict of one push (document `id`, `stored` as decided on); an accepted change is
    /// added to `pending`, written by the next [`WriteTx::flush`].
    fn hold(
        &mut self,
        push: &Push,
        id: String,
        stored: Option<DocState>,
        outcome: Decided,
        pending: &mut Vec<Pending>,
    ) -> Verdict {
        match outcome {
            Decided::Unchanged { heads } => accepted(push.id, heads),
            Decided::Rejected { reason, detail } => Verdict {
                id: push.id,
                outcome: Outcome::Rejected { reason, detail },
            },
            Decided::Accepted {
                new_changes,
                heads,
                unit,
                kind,
                fact,
                snapshot,
            } => {
                let encoded = encode_heads(&heads);
                self.written.insert(id.clone());
                pending.push(Pending {
                    id,
                    stored,
                    new_changes,
                    heads: encoded,
                    unit,
                    kind,
                    fact,
                    snapshot,
                });
                accepted(push.id, heads)
            }
        }
    }

    /// Steps 3 and 4 for the accepted changes held so far, in a few multi-row statements: one
    /// block of sync sequence numbers (in push order), new documents, appended chunks and their
    /// documents' rows, compactions (one by one: they are rare), first authorships, late
    /// amendments (only when some period is locked), fact rows.
    async fn flush(&mut self, device: &str, pending: Vec<Pending>) -> Result<()> {
        if pending.is_empty() {
            return Ok(());
        }
        let n = pending.len() as i64;
        let first_seq = self.reserve_seqs(n).await? - n + 1;
        let changes: Vec<Change<'_>> = pending
            .iter()
            .zip(first_seq..)
            .map(|(p, seq)| Change {
                id: &p.id,
                device,
                seq,
                unit: &p.unit,
                heads: &p.heads,
                bytes: &p.new_changes,
            })
            .collect();
        let mut inserts: Vec<(&Change<'_>, String)> = Vec::new();
        let mut appends: Vec<(&Change<'_>, &DocState)> = Vec::new();
        let mut authors: Vec<&str> = Vec::new();
        for (c, p) in changes.iter().zip(&pending) {
            match (&p.stored, &p.snapshot) {
                (None, _) => inserts.push((c, p.kind.to_string())),
                (Some(doc), Some(snapshot)) => {
                    let sole = doc.only_from(device);
                    self.compact(c, snapshot, sole).await?;
                }
                (Some(doc), None) => appends.push((c, doc)),
            }
            if p.stored.as_ref().is_none_or(|d| !d.written_by(device)) {
                // The device's first change to this record (or one compacted from several
                // devices): remember it as an author (ADR 0003, a checker above the commune).
                authors.push(c.id);
            }
        }
        for part in parts(&inserts) {
            self.insert_documents(part).await?;
        }
        for part in parts(&appends) {
            self.append_chunks(part).await?;
        }
        for part in parts(&authors) {
            self.add_authors(part, device).await?;
        }
        if self.any_lock_cached().await? {
            // Aggregation: a change to a locked period is kept and flagged, before its fact row
            // is replaced.
            for (p, seq) in pending.iter().zip(first_seq..) {
                self.flag_late_amendments(&p.fact, seq).await?;
            }
        }
        let rows: Vec<FactColumns<'_>> = pending.iter().map(|p| FactColumns::of(&p.fact)).collect();
        let mut seq = first_seq;
        for part in parts(&rows) {
            self.upsert_fact_rows(part, seq).await?;
            seq += part.len() as i64;
        }
        Ok(())
    }

    /// `n` sync sequence numbers at once; the last of them.
    async fn reserve_seqs(&mut self, n: i64) -> Result<i64> {
        let (last,): (i64,) =
            sqlx::query_as("UPDATE sync_seq SET value = value + $1 WHERE id = 1 RETURNING value")
                .bind(n)
                .fetch_one(&mut *self.tx)
                .await?;
        Ok(last)
    }

    /// New records. Each arrives as one compacted document: kept as the snapshot rather than
    /// serialised again. `rows`: the change and the record's kind code.
    async fn insert_documents(&mut self, rows: &[(&Change<'_>, String)]) -> Result<()> {
        let mut q = QueryBuilder::new(
            "INSERT INTO documents (id, kind, unit, snapshot, snapshot_seq, snapshot_origin, \
             heads, chunk_count, chunk_bytes, created_seq, updated_seq, updated_at) ",
        );
        q.push_values(rows, |mut b, (c, kind)| {
            b.push_bind(c.id)
                .push_bind(kind.as_str())
                .push_bind(c.unit)
                .push_bind(c.bytes)
                .push_bind(c.seq)
                .push_bind(c.device)
                .push_bind(c.heads)
                .push("0")
                .push("0")
                .push_bind(c.seq)
                .push_bind(c.seq)
                .push_bind(self.now.as_str());
        });
        q.build().execute(&mut *self.tx).await?;
        Ok(())
    }

    /// One chunk more for each of some stored documents (distinct), and their rows updated.
    async fn append_chunks(&mut self, rows: &[(&Change<'_>, &DocState)]) -> Result<()> {
        let mut q = QueryBuilder::new("INSERT INTO doc_chunks (doc_id, seq, origin, bytes) ");
        q.push_values(rows, |mut b, (c, _)| {
            b.push_bind(c.id)
                .push_bind(c.seq)
                .push_bind(c.device)
                .push_bind(c.bytes);
        });
        q.build().execute(&mut *self.tx).await?;
        // `VALUES` columns are `column1`, `column2`, … in SQLite and PostgreSQL alike.
        let mut q = QueryBuilder::new(
            "UPDATE documents SET unit = v.column2, heads = v.column3, \
             chunk_count = v.column4, chunk_bytes = v.column5, updated_seq = v.column6, \
             updated_at = v.column7 FROM (",
        );
        q.push_values(rows, |mut b, (c, doc)| {
            let (chunk_count, chunk_bytes) = doc.with_chunk(c.bytes.len());
            b.push_bind(c.id)
                .push_bind(c.unit)
                .push_bind(c.heads)
                .push_bind(chunk_count)
                .push_bind(chunk_bytes)
                .push_bind(c.seq)
                .push_bind(self.now.as_str());
        });
        q.push(") AS v WHERE documents.id = v.column1");
        q.build().execute(&mut *self.tx).await?;
        Ok(())
    }

    /// Remember `device` as an author of documents `ids` (distinct).
    async fn add_authors(&mut self, ids: &[&str], device: &str) -> Result<()> {
        let mut q = QueryBuilder::new("INSERT INTO doc_authors (doc_id, device_id) ");
        q.push_values(ids, |mut b, id| {
            b.push_bind(*id).push_bind(device);
        });
        q.push(" ON CONFLICT DO NOTHING");
        q.build().execute(&mut *self.tx).await?;
        Ok(())
    }

    /// Compact: replace a document's snapshot and chunks by `snapshot`, which stays "one
    /// device's" only if every change folded into it was that device's (`sole`).
    async fn compact(&mut self, c: &Change<'_>, snapshot: &[u8], sole: bool) -> Result<()> {
        sqlx::query("DELETE FROM doc_chunks WHERE doc_id = $1")
            .bind(c.id)
            .execute(&mut *self.tx)
            .await?;
        sqlx::query(
            "UPDATE documents SET unit = $2, snapshot = $3, snapshot_seq = $4, \
             snapshot_origin = $5, heads = $6, chunk_count = 0, chunk_bytes = 0, \
             updated_seq = $4, updated_at = $7 WHERE id = $1",
        )
        .bind(c.id)
        .bind(c.unit)
        .bind(snapshot)
        .bind(c.seq)
        .bind(sole.then(|| c.device.to_owned()))
        .bind(c.heads)
        .bind(&self.now)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Whether any period is locked, asked once per transaction (the writer's turn is held:
    /// no lock is added meanwhile).
    async fn any_lock_cached(&mut self) -> Result<bool> {
        if let Some(locked) = self.locked {
            return Ok(locked);
        }
        let locked = self.any_lock().await?;
        self.locked = Some(locked);
        Ok(locked)
    }

    /// Whether any period is locked.
    async fn any_lock(&mut self) -> Result<bool> {
        let (locks,): (i64,) = sqlx::query_as("SELECT count(*) FROM period_locks")
            .fetch_one(&mut *self.tx)
            .await?;
        Ok(locks > 0)
    }

    /// Flag late amendments for `fact`, about to be written with sequence `seq`: one row for
    /// each locked period of its entered unit in which the new **or the previous** version of
    /// the record takes part (a change that moves a record out of a locked period amends it
    /// too). Call it before the fact row is replaced. One indexed query when no lock covers the
    /// record's unit.
    async fn flag_late_amendments(&mut self, fact: &Fact, seq: i64) -> Result<()> {
        let entered = fact.main_date.map_or_else(
            || self.now.get(..10).unwrap_or_default().to_string(),
            |d| d.to_string(),
        );
        let locks: Vec<(String, String, String, String)> = sqlx::query_as(
            "SELECT l.unit, l.period_key, l.period_start, l.period_cutoff \
             FROM period_lock_units c JOIN period_locks l \
             ON l.unit = c.lock_unit AND l.period_key = c.period_key \
             WHERE c.code = $1 AND c.valid_from <= $2 AND (c.valid_to IS NULL OR $2 <= c.valid_to)",
        )
        .bind(&fact.unit)
        .bind(&entered)
        .fetch_all(&mut *self.tx)
        .await?;
        if locks.is_empty() {
            return Ok(());
        }
        let previous = self.previous_fact(fact).await?;
        for (unit, key, start, cutoff) in locks {
            let (Ok(start), Ok(cutoff)) = (start.parse(), cutoff.parse()) else {
                continue;
            };
            let amends = fact.contributes(start, cutoff)
                || previous
                    .as_ref()
                    .is_some_and(|p| p.contributes(start, cutoff));
            if amends {
                // The first amendment of (record, lock) keeps the row it replaces: the record
                // as it was at the lock, for "what was submitted" (migration 0007).
                let at_lock = if self.amended_before(&fact.id, &unit, &key).await? {
                    None
                } else {
                    Some(kept_fact_json(self.previous_fact_row(&fact.id).await?))
                };
                sqlx::query(
                    "INSERT INTO late_amendments (record_id, unit, period_key, arrived_at, \
                     updated_seq, fact_at_lock) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&fact.id)
                .bind(&unit)
                .bind(&key)
                .bind(&self.now)
                .bind(seq)
                .bind(at_lock)
                .execute(&mut *self.tx)
                .await?;
            }
        }
        Ok(())
    }

    /// Whether a late amendment of record `id` was written for `unit`'s lock of `period_key`.
    async fn amended_before(&mut self, id: &str, unit: &str, period_key: &str) -> Result<bool> {
        let row: Option<(i64,)> = sqlx::query_as(
            "SELECT updated_seq FROM late_amendments \
             WHERE record_id = $1 AND unit = $2 AND period_key = $3 LIMIT 1",
        )
        .bind(id)
        .bind(unit)
        .bind(period_key)
        .fetch_optional(&mut *self.tx)
        .await?;
        Ok(row.is_some())
    }

    /// The stored fact row of record `id`, whole (what a first late amendment keeps).
    async fn previous_fact_row(&mut self, id: &str) -> Result<Option<FactRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {FACT_ROW_COLUMNS} FROM facts WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&mut *self.tx)
        .await?)
    }

    /// The stored fact of `fact`'s record, as far as taking part in a period goes (kind, main
    /// date, status history); `None` if there is none or it does not parse.
    async fn previous_fact(&mut self, fact: &Fact) -> Result<Option<Fact>> {
        let old: Option<(String, Option<String>, String)> =
            sqlx::query_as("SELECT kind, main_date, history FROM facts WHERE id = $1")
                .bind(&fact.id)
                .fetch_optional(&mut *self.tx)
                .await?;
        Ok(old.and_then(|(kind, main, history)| {
            Some(Fact {
                id: fact.id.clone(),
                kind: kind.parse().ok()?,
                unit: fact.unit.clone(),
                unit_on: fact.unit_on,
                status: String::new(),
                category: None,
                subtype: None,
                main_date: main.and_then(|m| m.parse().ok()),
                closed_on: None,
                history: serde_json::from_str(&history).ok()?,
                measures: Vec::new(),
                flows: Vec::new(),
            })
        }))
    }

    /// Insert (or replace) fact rows numbered from `first_seq`, [`Backend::FACT_ROWS_PER_INSERT`]
    /// per statement.
    async fn insert_fact_rows(&mut self, rows: &[FactColumns<'_>], first_seq: i64) -> Result<()> {
        let mut seq = first_seq;
        for part in rows.chunks(B::FACT_ROWS_PER_INSERT.max(1)) {
            match part {
                [row] => self.upsert_fact_row(row, seq).await?,
                _ => self.upsert_fact_rows(part, seq).await?,
            }
            seq += part.len() as i64;
        }
        Ok(())
    }

    /// Insert or replace one fact row (a prepared statement).
    async fn upsert_fact_row(&mut self, f: &FactColumns<'_>, seq: i64) -> Result<()> {
        sqlx::query(UPSERT_FACT)
            .bind(f.id)
            .bind(&f.kind)
            .bind(f.unit)
            .bind(f.status)
            .bind(f.category)
            .bind(f.subtype)
            .bind(&f.main_date)
            .bind(&f.closed_on)
            .bind(&f.history)
            .bind(&f.measures)
            .bind(seq)
            .bind(&self.now)
            .bind(&f.unit_on)
            .bind(&f.flows)
            .execute(&mut *self.tx)
            .await?;
        Ok(())
    }

    /// Insert or replace fact rows numbered from `first_seq` in one multi-row statement (a row
    /// id must appear once in `rows`).
    async fn upsert_fact_rows(&mut self, rows: &[FactColumns<'_>], first_seq: i64) -> Result<()> {
        let mut q = QueryBuilder::new(
            "INSERT INTO facts (id, kind, unit, status, category, subtype, main_date, \
             closed_on, history, measures, updated_seq, updated_at, unit_on, flows, created_seq) ",
        );
        q.push_values(rows.iter().zip(first_seq..), |mut b, (f, seq)| {
            b.push_bind(f.id)
                .push_bind(&f.kind)
                .push_bind(f.unit)
                .push_bind(f.status)
                .push_bind(f.category)
                .push_bind(f.subtype)
                .push_bind(&f.main_date)
                .push_bind(&f.closed_on)
                .push_bind(&f.history)
                .push_bind(&f.measures)
                .push_bind(seq)
                .push_bind(&self.now)
                .push_bind(&f.unit_on)
                .push_bind(&f.flows)
                .push_bind(seq);
        });
        q.push(
            " ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, unit = excluded.unit, \
             unit_on = excluded.unit_on, flows = excluded.flows, \
             status = excluded.status, category = excluded.category, \
             subtype = excluded.subtype, main_date = excluded.main_date, \
             closed_on = excluded.closed_on, history = excluded.history, \
             measures = excluded.measures, updated_seq = excluded.updated_seq, \
             updated_at = excluded.updated_at",
        );
        q.build().execute(&mut *self.tx).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_cut_into_full_statements_then_power_of_two_parts() {
        let sizes = |n: usize| -> Vec<usize> {
            let rows: Vec<usize> = (0..n).collect();
            let cut = parts(&rows);
            // Every row once, in order.
            assert_eq!(cut.concat(), rows);
            cut.iter().map(|p| p.len()).collect()
        };
        assert_eq!(sizes(0), Vec::<usize>::new());
        assert_eq!(sizes(1), vec![1]);
        assert_eq!(sizes(7), vec![4, 2, 1]);
        assert_eq!(sizes(64), vec![64]);
        // 500 = 7 × 64 + 52 = 7 × 64 + 32 + 16 + 4.
        assert_eq!(sizes(500), vec![64, 64, 64, 64, 64, 64, 64, 32, 16, 4]);
    }
}
