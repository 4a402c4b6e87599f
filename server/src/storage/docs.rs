//! Record documents on the server: the sync write path (merge, decide, store chunk + fact row in
//! one transaction) and the pull path (what a device lacks past its cursor), written once for
//! both backends like `sql.rs`.
//!
//! The write path decides outside the writer: it reads the pushed records' rows with the reader
//! pool, runs the CPU-heavy decision (load, merge, hydrate, validate) for the batch on all cores,
//! then opens the writer transaction and, per push, keeps the decision only if the document's
//! `updated_seq` is still the one it read; otherwise (a concurrent push of the same record) it
//! reads and decides that push again inside the transaction. Everything a request writes is
//! still one transaction.
//!
//! Every accepted change takes the next value of the global sync sequence (`sync_seq`). On
//! PostgreSQL, `UPDATE sync_seq … RETURNING` holds that row's lock until commit, so writers
//! commit in sequence order and a reader never skips a change that commits late; SQLite has one
//! writer connection.

use async_trait::async_trait;
use danvan_core::sync::merge::{MergeOutcome, Stored};
use danvan_core::sync::wire::{Outcome, PullDoc, Push, Verdict};

use crate::error::Result;

/// Compact a document's chunks into a new snapshot past this many chunks…
pub const MAX_CHUNKS: i64 = 16;

/// The merge decision the write path asks for each push: given the stored document (snapshot
/// followed by its chunks, with the kind and unit of its row; `None` if new) and the push, what
/// to do. Called from several threads at once, outside the writer transaction.
pub type Decide<'a> = dyn Fn(Option<Stored<'_>>, &Push) -> MergeOutcome + Send + Sync + 'a;

/// Pushes per thread below which a batch is decided on one thread.
const MIN_PUSHES_PER_THREAD: usize = 8;

/// A stored document as the write path reads it.
#[derive(Debug)]
pub(crate) struct DocState {
    /// Snapshot followed by its chunks.
    pub bytes: Vec<u8>,
    /// Length of the snapshot alone.
    pub snapshot_len: usize,
    /// Bytes of the chunks.
    pub chunk_bytes: i64,
    /// Device whose changes alone the snapshot holds, if one.
    pub snapshot_origin: Option<String>,
    /// Origin device of each chunk, in order.
    pub chunk_origins: Vec<String>,
    /// Sequence of the document's last change (the optimistic check).
    pub updated_seq: i64,
    /// Kind code.
    pub kind: String,
    /// Unit code.
    pub unit: String,
}

impl DocState {
    /// What [`Decide`] is given.
    pub fn stored(&self) -> Stored<'_> {
        Stored {
            bytes: &self.bytes,
            kind: &self.kind,
            unit: &self.unit,
        }
    }
}

/// Decide every push against the document read for it, on all cores, without holding the async
/// worker thread hostage (`block_in_place` on the multi-threaded runtime).
pub(crate) fn decide_all(
    decide: &Decide<'_>,
    pushes: &[Push],
    docs: &[Option<DocState>],
) -> Vec<MergeOutcome> {
    let run = || {
        let work: Vec<(&Push, Option<&DocState>)> =
            pushes.iter().zip(docs.iter().map(Option::as_ref)).collect();
        let one =
            |(push, doc): &(&Push, Option<&DocState>)| decide(doc.map(DocState::stored), push);
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(work.len() / MIN_PUSHES_PER_THREAD)
            .max(1);
        if threads == 1 {
            return work.iter().map(one).collect::<Vec<_>>();
        }
        let per = work.len().div_ceil(threads);
        std::thread::scope(|s| {
            let handles: Vec<_> = work
                .chunks(per)
                .map(|part| s.spawn(move || part.iter().map(one).collect::<Vec<_>>()))
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        })
    };
    let multi_thread = tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
    if multi_thread {
        tokio::task::block_in_place(run)
    } else {
        run()
    }
}

/// Read the [`DocState`] of document `$id` (a `&str`) through executor `$exec` (re-evaluated per
/// query, e.g. `&mut *tx`).
macro_rules! load_doc_state {
    ($exec:expr, $id:expr) => {{
        let id: &str = $id;
        let row: Option<(Vec<u8>, i64, Option<String>, i64, String, String)> = sqlx::query_as(
            "SELECT snapshot, chunk_bytes, snapshot_origin, updated_seq, kind, unit \
             FROM documents WHERE id = $1",
        )
        .bind(id)
        .fetch_optional($exec)
        .await?;
        match row {
            None => None,
            Some((snapshot, chunk_bytes, snapshot_origin, updated_seq, kind, unit)) => {
                let chunks: Vec<(Vec<u8>, String)> = sqlx::query_as(
                    "SELECT bytes, origin FROM doc_chunks WHERE doc_id = $1 ORDER BY seq",
                )
                .bind(id)
                .fetch_all($exec)
                .await?;
                let snapshot_len = snapshot.len();
                let mut bytes = snapshot;
                bytes.reserve(chunk_bytes.max(0) as usize);
                let mut chunk_origins = Vec::with_capacity(chunks.len());
                for (c, origin) in chunks {
                    bytes.extend_from_slice(&c);
                    chunk_origins.push(origin);
                }
                Some($crate::storage::docs::DocState {
                    bytes,
                    snapshot_len,
                    chunk_bytes,
                    snapshot_origin,
                    chunk_origins,
                    updated_seq,
                    kind,
                    unit,
                })
            }
        }
    }};
}

/// What one pull returns.
#[derive(Debug, Default)]
pub struct PullBatch {
    /// Documents (or their missing parts) for the device.
    pub docs: Vec<PullDoc>,
    /// The device's new cursor.
    pub cursor: u64,
    /// More is waiting past `cursor`.
    pub more: bool,
}

/// A stored fact row, as aggregation reads it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct FactRow {
    /// Record id.
    pub id: String,
    /// Kind code.
    pub kind: String,
    /// Unit code.
    pub unit: String,
    /// Status code.
    pub status: String,
    /// Category code.
    pub category: Option<String>,
    /// Subtype code.
    pub subtype: Option<String>,
    /// Main date (ISO).
    pub main_date: Option<String>,
    /// Closing date (ISO).
    pub closed_on: Option<String>,
    /// Status history (JSON).
    pub history: String,
    /// Measures (JSON).
    pub measures: String,
    /// Sequence of the last change.
    pub updated_seq: i64,
}

/// Counts for metrics and the demo.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DocStats {
    /// Stored records.
    pub documents: i64,
    /// Stored chunks not yet compacted.
    pub chunks: i64,
    /// Bytes of snapshots plus chunks.
    pub bytes: i64,
    /// Current sync sequence.
    pub seq: i64,
}

/// Record documents and facts.
#[async_trait]
pub trait DocStorage: Send + Sync {
    /// This database's sync epoch.
    async fn sync_epoch(&self) -> Result<u64>;
    /// Merge `pushes` from `device` in one transaction, asking `decide` for each; store what is
    /// accepted (chunk, document row, fact row) and nothing else. One verdict per push.
    async fn apply_pushes(
        &self,
        device: &str,
        pushes: &[Push],
        decide: &Decide<'_>,
        rules: &danvan_core::RulesConfig,
    ) -> Result<Vec<Verdict>>;
    /// The documents under `units` changed after `cursor` that `device` lacks, up to about
    /// `max_bytes`.
    async fn pull(
        &self,
        device: &str,
        units: &[String],
        kinds: &[danvan_core::RecordKind],
        cursor: u64,
        max_bytes: usize,
    ) -> Result<PullBatch>;
    /// The whole stored document `id` (snapshot + chunks) and its heads, if stored.
    async fn full_document(&self, id: &str) -> Result<Option<(Vec<u8>, Vec<u8>)>>;
    /// The fact row of record `id`.
    async fn fact(&self, id: &str) -> Result<Option<FactRow>>;
    /// Storage counts.
    async fn doc_stats(&self) -> Result<DocStats>;
}

/// Encode heads for storage (concatenated 32-byte hashes).
pub fn encode_heads(heads: &[[u8; 32]]) -> Vec<u8> {
    heads.iter().flat_map(|h| h.iter().copied()).collect()
}

/// Decode stored heads.
pub fn decode_heads(bytes: &[u8]) -> Vec<[u8; 32]> {
    bytes
        .chunks_exact(32)
        .filter_map(|c| <[u8; 32]>::try_from(c).ok())
        .collect()
}

pub(crate) fn accepted(id: uuid::Uuid, heads: Vec<[u8; 32]>) -> Verdict {
    Verdict {
        id,
        outcome: Outcome::Accepted { heads },
    }
}

/// Implements [`DocStorage`] for a type with `writer()`/`reader()` pools (see `sql_storage!`).
macro_rules! doc_storage {
    ($ty:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::docs::DocStorage for $ty {
            async fn sync_epoch(&self) -> $crate::error::Result<u64> {
                let (e,): (i64,) = sqlx::query_as("SELECT epoch FROM sync_epoch WHERE id = 1")
                    .fetch_one(self.reader())
                    .await?;
                Ok(e as u64)
            }

            async fn apply_pushes(
                &self,
                device: &str,
                pushes: &[danvan_core::sync::wire::Push],
                decide: &$crate::storage::docs::Decide<'_>,
                rules: &danvan_core::RulesConfig,
            ) -> $crate::error::Result<Vec<danvan_core::sync::wire::Verdict>> {
                use danvan_core::sync::merge::MergeOutcome;
                use danvan_core::sync::wire::{Outcome, Verdict};
                use $crate::storage::docs::{DocState, MAX_CHUNKS, accepted, decide_all, encode_heads};
                // Read every pushed document with the reader pool, then decide them all on every
                // core, before taking the writer.
                let mut read: Vec<Option<DocState>> = Vec::with_capacity(pushes.len());
                {
                    let mut conn = self.reader().acquire().await?;
                    for push in pushes {
                        read.push(load_doc_state!(&mut *conn, &push.id.to_string()));
                    }
                }
                let decided = decide_all(decide, pushes, &read);
                let now = chrono::Utc::now().to_rfc3339();
                let mut tx = self.writer().begin().await?;
                // Take the writer's turn first (on PostgreSQL, the sync_seq row lock until
                // commit), so the `updated_seq` checked below cannot change before we commit.
                sqlx::query("UPDATE sync_seq SET value = value WHERE id = 1")
                    .execute(&mut *tx)
                    .await?;
                // The documents' `updated_seq` now, in one query per 500 pushes.
                let ids: Vec<String> = pushes.iter().map(|p| p.id.to_string()).collect();
                let mut current: std::collections::HashMap<String, i64> =
                    std::collections::HashMap::with_capacity(ids.len());
                for part in ids.chunks(500) {
                    let mut q = sqlx::QueryBuilder::new("SELECT id, updated_seq FROM documents WHERE id IN (");
                    let mut list = q.separated(", ");
                    for id in part {
                        list.push_bind(id.as_str());
                    }
                    list.push_unseparated(")");
                    let rows: Vec<(String, i64)> = q.build_query_as().fetch_all(&mut *tx).await?;
                    current.extend(rows);
                }
                // Documents this transaction has already written (the same record twice).
                let mut written: std::collections::HashSet<String> = std::collections::HashSet::new();
                let mut verdicts = Vec::with_capacity(pushes.len());
                for (((push, id), was), outcome) in pushes.iter().zip(ids).zip(read).zip(decided) {
                    let unchanged = !written.contains(&id)
                        && current.get(&id).copied() == was.as_ref().map(|d| d.updated_seq);
                    let (doc, outcome) = if unchanged {
                        (was, outcome)
                    } else {
                        // Changed since it was read (a concurrent push of the same record, or
                        // the same record twice in this batch): decide again on what is stored.
                        let doc = load_doc_state!(&mut *tx, &id);
                        let outcome = decide(doc.as_ref().map(DocState::stored), push);
                        (doc, outcome)
                    };
                    match outcome {
                        MergeOutcome::Unchanged { heads } => verdicts.push(accepted(push.id, heads)),
                        MergeOutcome::Rejected { reason, detail } => verdicts.push(Verdict {
                            id: push.id,
                            outcome: Outcome::Rejected { reason, detail },
                        }),
                        MergeOutcome::Accepted { new_changes, heads, record, doc: mut merged } => {
                            let (seq,): (i64,) = sqlx::query_as(
                                "UPDATE sync_seq SET value = value + 1 WHERE id = 1 RETURNING value",
                            )
                            .fetch_one(&mut *tx)
                            .await?;
                            let heads_bytes = encode_heads(&heads);
                            let unit = record.envelope.unit.clone();
                            match &doc {
                                None => {
                                    sqlx::query(
                                        "INSERT INTO documents (id, kind, unit, snapshot, snapshot_seq, \
                                         snapshot_origin, heads, chunk_count, chunk_bytes, created_seq, \
                                         updated_seq, updated_at) \
                                         VALUES ($1, $2, $3, $4, $5, $6, $7, 0, 0, $5, $5, $8)",
                                    )
                                    .bind(&id)
                                    .bind(record.envelope.kind.to_string())
                                    .bind(&unit)
                                    // A new record arrives as one compacted document: keep it
                                    // as the snapshot rather than serialising it again.
                                    .bind(&new_changes)
                                    .bind(seq)
                                    .bind(device)
                                    .bind(&heads_bytes)
                                    .bind(&now)
                                    .execute(&mut *tx)
                                    .await?;
                                }
                                Some(d) => {
                                    let n = d.chunk_origins.len() as i64 + 1;
                                    let bytes = d.chunk_bytes + new_changes.len() as i64;
                                    if n > MAX_CHUNKS || bytes > d.snapshot_len as i64 {
                                        // Fold everything into a new snapshot. It stays "one
                                        // device's" only if every folded change was that device's.
                                        let sole = d.snapshot_origin.as_deref() == Some(device)
                                            && d.chunk_origins.iter().all(|o| o == device);
                                        sqlx::query("DELETE FROM doc_chunks WHERE doc_id = $1")
                                            .bind(&id)
                                            .execute(&mut *tx)
                                            .await?;
                                        sqlx::query(
                                            "UPDATE documents SET unit = $2, snapshot = $3, snapshot_seq = $4, \
                                             snapshot_origin = $5, heads = $6, chunk_count = 0, chunk_bytes = 0, \
                                             updated_seq = $4, updated_at = $7 WHERE id = $1",
                                        )
                                        .bind(&id)
                                        .bind(&unit)
                                        .bind(merged.save())
                                        .bind(seq)
                                        .bind(if sole { Some(device) } else { None })
                                        .bind(&heads_bytes)
                                        .bind(&now)
                                        .execute(&mut *tx)
                                        .await?;
                                    } else {
                                        sqlx::query(
                                            "INSERT INTO doc_chunks (doc_id, seq, origin, bytes) VALUES ($1, $2, $3, $4)",
                                        )
                                        .bind(&id)
                                        .bind(seq)
                                        .bind(device)
                                        .bind(&new_changes)
                                        .execute(&mut *tx)
                                        .await?;
                                        sqlx::query(
                                            "UPDATE documents SET unit = $2, heads = $3, chunk_count = $4, \
                                             chunk_bytes = $5, updated_seq = $6, updated_at = $7 WHERE id = $1",
                                        )
                                        .bind(&id)
                                        .bind(&unit)
                                        .bind(&heads_bytes)
                                        .bind(n)
                                        .bind(bytes)
                                        .bind(seq)
                                        .bind(&now)
                                        .execute(&mut *tx)
                                        .await?;
                                    }
                                }
                            }
                            let fact = danvan_core::facts::Fact::from_record(&record, rules);
                            // Aggregation: a change to a locked period is kept and flagged.
                            flag_late_amendments!(tx, &fact, seq, &now);
                            sqlx::query(
                                "INSERT INTO facts (id, kind, unit, status, category, subtype, main_date, \
                                 closed_on, history, measures, updated_seq, updated_at) \
                                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
                                 ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, unit = excluded.unit, \
                                 status = excluded.status, category = excluded.category, \
                                 subtype = excluded.subtype, main_date = excluded.main_date, \
                                 closed_on = excluded.closed_on, history = excluded.history, \
                                 measures = excluded.measures, updated_seq = excluded.updated_seq, \
                                 updated_at = excluded.updated_at",
                            )
                            .bind(&fact.id)
                            .bind(fact.kind.to_string())
                            .bind(&fact.unit)
                            .bind(&fact.status)
                            .bind(&fact.category)
                            .bind(&fact.subtype)
                            .bind(fact.main_date.map(|d| d.to_string()))
                            .bind(fact.closed_on.map(|d| d.to_string()))
                            .bind(serde_json::to_string(&fact.history).unwrap_or_default())
                            .bind(serde_json::to_string(&fact.measures).unwrap_or_default())
                            .bind(seq)
                            .bind(&now)
                            .execute(&mut *tx)
                            .await?;
                            verdicts.push(accepted(push.id, heads));
                            written.insert(id);
                        }
                    }
                }
                tx.commit().await?;
                Ok(verdicts)
            }

            async fn pull(
                &self,
                device: &str,
                units: &[String],
                kinds: &[danvan_core::RecordKind],
                cursor: u64,
                max_bytes: usize,
            ) -> $crate::error::Result<$crate::storage::docs::PullBatch> {
                use $crate::storage::docs::{PullBatch, decode_heads};
                const PER_UNIT: i64 = 500;
                let cursor_i = cursor as i64;
                let mut conn = self.reader().acquire().await?;
                let (top,): (i64,) = sqlx::query_as("SELECT value FROM sync_seq WHERE id = 1")
                    .fetch_one(&mut *conn)
                    .await?;
                if top <= cursor_i {
                    // Nothing new anywhere: the common case, one indexed read.
                    return Ok(PullBatch { docs: Vec::new(), cursor: top.max(0) as u64, more: false });
                }
                type Row = (String, i64, i64, Option<String>, Vec<u8>, String);
                let mut rows: Vec<Row> = Vec::new();
                let mut bound = top;
                for unit in units {
                    let r: Vec<Row> = sqlx::query_as(
                        "SELECT id, updated_seq, snapshot_seq, snapshot_origin, heads, kind FROM documents \
                         WHERE unit = $1 AND updated_seq > $2 AND updated_seq <= $3 \
                         ORDER BY updated_seq LIMIT $4",
                    )
                    .bind(unit)
                    .bind(cursor_i)
                    .bind(top)
                    .bind(PER_UNIT)
                    .fetch_all(&mut *conn)
                    .await?;
                    if r.len() as i64 == PER_UNIT {
                        if let Some(last) = r.last() {
                            bound = bound.min(last.1);
                        }
                    }
                    rows.extend(r);
                }
                rows.retain(|r| {
                    r.1 <= bound && kinds.iter().any(|k| danvan_core::Coded::code(k) == r.5)
                });
                rows.sort_by_key(|r| r.1);
                let mut batch = PullBatch { docs: Vec::new(), cursor: bound as u64, more: bound < top };
                let mut bytes = 0usize;
                for (id, updated_seq, snapshot_seq, origin, heads, _) in rows {
                    let chunks: Vec<(i64, String, Vec<u8>)> = sqlx::query_as(
                        "SELECT seq, origin, bytes FROM doc_chunks WHERE doc_id = $1 ORDER BY seq",
                    )
                    .bind(&id)
                    .fetch_all(&mut *conn)
                    .await?;
                    let out: Option<Vec<u8>> = if snapshot_seq > cursor_i {
                        let own = origin.as_deref() == Some(device)
                            && chunks.iter().all(|(_, o, _)| o == device);
                        if own {
                            None
                        } else {
                            let (snapshot,): (Vec<u8>,) =
                                sqlx::query_as("SELECT snapshot FROM documents WHERE id = $1")
                                    .bind(&id)
                                    .fetch_one(&mut *conn)
                                    .await?;
                            let mut all = snapshot;
                            for (_, _, c) in &chunks {
                                all.extend_from_slice(c);
                            }
                            Some(all)
                        }
                    } else {
                        let mut all = Vec::new();
                        for (_, _, c) in chunks.iter().filter(|(s, o, _)| *s > cursor_i && o != device) {
                            all.extend_from_slice(c);
                        }
                        (!all.is_empty()).then_some(all)
                    };
                    let Some(doc_bytes) = out else { continue };
                    if !batch.docs.is_empty() && bytes + doc_bytes.len() > max_bytes {
                        // Stop before this document; the device asks again from here.
                        batch.more = true;
                        break;
                    }
                    bytes += doc_bytes.len();
                    batch.cursor = updated_seq as u64;
                    let Ok(uuid) = uuid::Uuid::parse_str(&id) else { continue };
                    batch.docs.push(danvan_core::sync::wire::PullDoc { id: uuid, bytes: doc_bytes, heads: decode_heads(&heads) });
                }
                if !batch.more {
                    batch.cursor = bound as u64;
                }
                Ok(batch)
            }

            async fn full_document(&self, id: &str) -> $crate::error::Result<Option<(Vec<u8>, Vec<u8>)>> {
                let doc: Option<(Vec<u8>, Vec<u8>)> =
                    sqlx::query_as("SELECT snapshot, heads FROM documents WHERE id = $1")
                        .bind(id)
                        .fetch_optional(self.reader())
                        .await?;
                let Some((mut all, heads)) = doc else { return Ok(None) };
                let chunks: Vec<(Vec<u8>,)> =
                    sqlx::query_as("SELECT bytes FROM doc_chunks WHERE doc_id = $1 ORDER BY seq")
                        .bind(id)
                        .fetch_all(self.reader())
                        .await?;
                for (c,) in chunks {
                    all.extend_from_slice(&c);
                }
                Ok(Some((all, heads)))
            }

            async fn fact(&self, id: &str) -> $crate::error::Result<Option<$crate::storage::docs::FactRow>> {
                Ok(sqlx::query_as(
                    "SELECT id, kind, unit, status, category, subtype, main_date, closed_on, history, \
                     measures, updated_seq FROM facts WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(self.reader())
                .await?)
            }

            async fn doc_stats(&self) -> $crate::error::Result<$crate::storage::docs::DocStats> {
                let (documents, snap): (i64, Option<i64>) =
                    sqlx::query_as("SELECT count(*), CAST(sum(length(snapshot)) AS BIGINT) FROM documents")
                        .fetch_one(self.reader())
                        .await?;
                let (chunks, cb): (i64, Option<i64>) =
                    sqlx::query_as("SELECT count(*), CAST(sum(length(bytes)) AS BIGINT) FROM doc_chunks")
                        .fetch_one(self.reader())
                        .await?;
                let (seq,): (i64,) = sqlx::query_as("SELECT value FROM sync_seq WHERE id = 1")
                    .fetch_one(self.reader())
                    .await?;
                Ok($crate::storage::docs::DocStats { documents, chunks, bytes: snap.unwrap_or(0) + cb.unwrap_or(0), seq })
            }
        }
    };
}
