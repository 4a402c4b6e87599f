//! Record documents on the server: the documents, their fact rows and the sync sequence, for
//! both backends. The sync write path (merge, decide, store chunk + fact row in one transaction)
//! is `write.rs`; this file holds the types, the [`DocStorage`] trait and the read side (what a
//! device lacks past its cursor).
//!
//! Every accepted change takes the next value of the global sync sequence (`sync_seq`). On
//! PostgreSQL, `UPDATE sync_seq … RETURNING` holds that row's lock until commit, so writers
//! commit in sequence order and a reader never skips a change that commits late; SQLite has one
//! writer connection.

use async_trait::async_trait;
use danvan_core::sync::merge::{MergeOutcome, Stored};
use danvan_core::sync::wire::{PullDoc, Push, Verdict};
use danvan_core::{Coded, RecordKind, RulesConfig};
use sqlx::{ColumnIndex, Executor, IntoArguments};

use super::backend::{Args, Backend, Bind, Column, Conn, Row};
use super::write::WriteTx;
use crate::error::Result;

/// Compact a document's chunks into a new snapshot past this many chunks…
pub const MAX_CHUNKS: i64 = 16;

/// The merge decision the write path asks for each push: given the stored document (snapshot
/// followed by its chunks, with the kind and unit of its row; `None` if new) and the push, what
/// to do. Called from several threads at once, outside the writer transaction.
pub type Decide<'a> = dyn Fn(Option<Stored<'_>>, &Push) -> MergeOutcome + Send + Sync + 'a;

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
    /// The day the unit code is read on (ISO); `None` in rows written before migration 0005.
    pub unit_on: Option<String>,
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
    /// Dated flows (JSON).
    pub flows: String,
    /// Sequence of the last change.
    pub updated_seq: i64,
    /// The row's number: the sequence it was first written with, never changed (migration
    /// 0011); what the fact index keys the record by.
    pub created_seq: i64,
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
        rules: &RulesConfig,
    ) -> Result<Vec<Verdict>>;
    /// The documents under `units` changed after `cursor` that `device` lacks, up to about
    /// `max_bytes`; with `authored_only`, only those `device` has written to (a checker above
    /// the commune, ADR 0003).
    async fn pull(
        &self,
        device: &str,
        units: &[String],
        kinds: &[RecordKind],
        authored_only: bool,
        cursor: u64,
        max_bytes: usize,
    ) -> Result<PullBatch>;
    /// Of the records `ids`, those stored that `device` has never written to (ADR 0003: a
    /// checker above the commune sees only the checks it wrote).
    async fn not_authored_by(&self, device: &str, ids: &[String]) -> Result<Vec<String>>;
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

/// Documents pulled per unit and request, at most (the cursor stops at the last one read).
const PULL_PER_UNIT: i64 = 500;

/// A changed document as the pull reads it: id, `updated_seq`, `snapshot_seq`,
/// `snapshot_origin`, heads, kind.
type PullRow = (String, i64, i64, Option<String>, Vec<u8>, String);

#[async_trait]
impl<B> DocStorage for B
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
    async fn sync_epoch(&self) -> Result<u64> {
        let (e,): (i64,) = sqlx::query_as("SELECT epoch FROM sync_epoch WHERE id = 1")
            .fetch_one(self.reader())
            .await?;
        Ok(e as u64)
    }

    async fn apply_pushes(
        &self,
        device: &str,
        pushes: &[Push],
        decide: &Decide<'_>,
        rules: &RulesConfig,
    ) -> Result<Vec<Verdict>> {
        WriteTx::apply_pushes(self, device, pushes, decide, rules).await
    }

    async fn pull(
        &self,
        device: &str,
        units: &[String],
        kinds: &[RecordKind],
        authored_only: bool,
        cursor: u64,
        max_bytes: usize,
    ) -> Result<PullBatch> {
        let cursor_i = cursor as i64;
        let mut conn = self.reader().acquire().await?;
        let (top,): (i64,) = sqlx::query_as("SELECT value FROM sync_seq WHERE id = 1")
            .fetch_one(&mut *conn)
            .await?;
        if top <= cursor_i {
            // Nothing new anywhere: the common case, one indexed read.
            return Ok(PullBatch {
                docs: Vec::new(),
                cursor: top.max(0) as u64,
                more: false,
            });
        }
        let mut rows: Vec<PullRow> = Vec::new();
        let mut bound = top;
        if authored_only {
            // One query over the device's own records (a checker above the commune writes to
            // a few of the many communes it may check), then the scope's units.
            let r: Vec<(String, i64, i64, Option<String>, Vec<u8>, String, String)> =
                sqlx::query_as(
                    "SELECT d.id, d.updated_seq, d.snapshot_seq, d.snapshot_origin, d.heads, \
                     d.kind, d.unit FROM doc_authors a JOIN documents d ON d.id = a.doc_id \
                     WHERE a.device_id = $1 AND d.updated_seq > $2 AND d.updated_seq <= $3 \
                     ORDER BY d.updated_seq LIMIT $4",
                )
                .bind(device)
                .bind(cursor_i)
                .bind(top)
                .bind(PULL_PER_UNIT)
                .fetch_all(&mut *conn)
                .await?;
            if r.len() as i64 == PULL_PER_UNIT
                && let Some(last) = r.last()
            {
                bound = bound.min(last.1);
            }
            rows.extend(
                r.into_iter()
                    .filter(|r| units.contains(&r.6))
                    .map(|(id, u, s, o, h, k, _)| (id, u, s, o, h, k)),
            );
        }
        for unit in units.iter().filter(|_| !authored_only) {
            let r: Vec<PullRow> = sqlx::query_as(
                "SELECT id, updated_seq, snapshot_seq, snapshot_origin, heads, kind \
                 FROM documents WHERE unit = $1 AND updated_seq > $2 AND updated_seq <= $3 \
                 ORDER BY updated_seq LIMIT $4",
            )
            .bind(unit)
            .bind(cursor_i)
            .bind(top)
            .bind(PULL_PER_UNIT)
            .fetch_all(&mut *conn)
            .await?;
            if r.len() as i64 == PULL_PER_UNIT
                && let Some(last) = r.last()
            {
                bound = bound.min(last.1);
            }
            rows.extend(r);
        }
        rows.retain(|r| r.1 <= bound && kinds.iter().any(|k| k.code() == r.5));
        rows.sort_by_key(|r| r.1);
        let mut batch = PullBatch {
            docs: Vec::new(),
            cursor: bound as u64,
            more: bound < top,
        };
        let mut bytes = 0usize;
        for (id, updated_seq, snapshot_seq, origin, heads, _) in rows {
            let chunks: Vec<(i64, String, Vec<u8>)> = sqlx::query_as(
                "SELECT seq, origin, bytes FROM doc_chunks WHERE doc_id = $1 ORDER BY seq",
            )
            .bind(&id)
            .fetch_all(&mut *conn)
            .await?;
            let out: Option<Vec<u8>> = if snapshot_seq > cursor_i {
                let own =
                    origin.as_deref() == Some(device) && chunks.iter().all(|(_, o, _)| o == device);
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
                for (_, _, c) in chunks
                    .iter()
                    .filter(|(s, o, _)| *s > cursor_i && o != device)
                {
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
            let Ok(uuid) = uuid::Uuid::parse_str(&id) else {
                continue;
            };
            batch.docs.push(PullDoc {
                id: uuid,
                bytes: doc_bytes,
                heads: decode_heads(&heads),
            });
        }
        if !batch.more {
            batch.cursor = bound as u64;
        }
        Ok(batch)
    }

    async fn not_authored_by(&self, device: &str, ids: &[String]) -> Result<Vec<String>> {
        let mut conn = self.reader().acquire().await?;
        let mut out = Vec::new();
        for id in ids {
            let (stored, authored): (i64, i64) = sqlx::query_as(
                "SELECT (SELECT count(*) FROM documents WHERE id = $1), \
                 (SELECT count(*) FROM doc_authors WHERE doc_id = $1 AND device_id = $2)",
            )
            .bind(id)
            .bind(device)
            .fetch_one(&mut *conn)
            .await?;
            if stored > 0 && authored == 0 {
                out.push(id.clone());
            }
        }
        Ok(out)
    }

    async fn full_document(&self, id: &str) -> Result<Option<(Vec<u8>, Vec<u8>)>> {
        let doc: Option<(Vec<u8>, Vec<u8>)> =
            sqlx::query_as("SELECT snapshot, heads FROM documents WHERE id = $1")
                .bind(id)
                .fetch_optional(self.reader())
                .await?;
        let Some((mut all, heads)) = doc else {
            return Ok(None);
        };
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

    async fn fact(&self, id: &str) -> Result<Option<FactRow>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM facts WHERE id = $1",
            super::agg::FACT_ROW_COLUMNS
        )))
        .bind(id)
        .fetch_optional(self.reader())
        .await?)
    }

    async fn doc_stats(&self) -> Result<DocStats> {
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
        Ok(DocStats {
            documents,
            chunks,
            bytes: snap.unwrap_or(0) + cb.unwrap_or(0),
            seq,
        })
    }
}
