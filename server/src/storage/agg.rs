//! Storage for aggregation (ADR 0004), written once for both backends like `sql.rs`: reading
//! fact rows by sequence, period locks with their snapshot, late amendments, and a bulk fact
//! insert for imports and benchmarks.
//!
//! Late amendments are flagged on the merge path: `flag_late_amendments!` runs inside
//! `apply_pushes`' transaction, before a fact row is written, and costs one indexed query when
//! no lock covers the record's unit.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use danvan_core::facts::Fact;

use super::docs::FactRow;
use crate::aggregate::Lock;
use crate::aggregate::resolve::Covered;
use crate::error::Result;

/// A lock to store.
#[derive(Debug, Clone)]
pub struct NewLock {
    /// Commune code.
    pub unit: String,
    /// Period key.
    pub period_key: String,
    /// Period's first day.
    pub period_start: NaiveDate,
    /// Period's cut-off.
    pub period_cutoff: NaiveDate,
    /// When.
    pub locked_at: DateTime<Utc>,
    /// Who.
    pub locked_by: String,
    /// The commune's figures at lock time (JSON).
    pub snapshot: String,
    /// Entered unit versions whose records count in the commune.
    pub covered: Vec<Covered>,
}

/// Aggregation's storage.
#[async_trait]
pub trait AggStorage: Send + Sync {
    /// Up to `limit` fact rows with `updated_seq > after`, in sequence order.
    async fn facts_after(&self, after: i64, limit: i64) -> Result<Vec<FactRow>>;
    /// Store a lock (and what it covers) unless one exists; returns the stored lock either way.
    async fn lock_period(&self, lock: &NewLock) -> Result<Lock>;
    /// Every lock of a period.
    async fn locks(&self, period_key: &str) -> Result<Vec<Lock>>;
    /// The snapshot a lock kept.
    async fn lock_snapshot(&self, unit: &str, period_key: &str) -> Result<Option<String>>;
    /// Distinct records amended after the lock, by locked commune, for a period.
    async fn late_amendment_counts(&self, period_key: &str) -> Result<Vec<(String, u64)>>;
    /// Bulk insert (or replace) fact rows without documents, each taking the next sync
    /// sequence number: for imports from other systems and for benchmarks. One transaction.
    async fn insert_facts(&self, facts: &[Fact]) -> Result<()>;
}

pub(crate) fn to_lock(row: (String, String, String, String)) -> Result<Lock> {
    let locked_at = DateTime::parse_from_rfc3339(&row.2)
        .map_err(|e| crate::error::Error::Corrupt(format!("lock time {:?}: {e}", row.2)))?
        .with_timezone(&Utc);
    Ok(Lock {
        unit: row.0,
        period_key: row.1,
        locked_at,
        locked_by: row.3,
    })
}

/// The fact row's columns as bound by every insert.
pub(crate) struct FactColumns {
    pub id: String,
    pub kind: String,
    pub unit: String,
    pub status: String,
    pub category: Option<String>,
    pub subtype: Option<String>,
    pub main_date: Option<String>,
    pub closed_on: Option<String>,
    pub history: String,
    pub measures: String,
}

impl FactColumns {
    pub(crate) fn of(f: &Fact) -> Self {
        FactColumns {
            id: f.id.clone(),
            kind: f.kind.to_string(),
            unit: f.unit.clone(),
            status: f.status.clone(),
            category: f.category.clone(),
            subtype: f.subtype.clone(),
            main_date: f.main_date.map(|d| d.to_string()),
            closed_on: f.closed_on.map(|d| d.to_string()),
            history: serde_json::to_string(&f.history).unwrap_or_default(),
            measures: serde_json::to_string(&f.measures).unwrap_or_default(),
        }
    }
}

pub(crate) const UPSERT_FACT: &str = "INSERT INTO facts (id, kind, unit, status, category, \
     subtype, main_date, closed_on, history, measures, updated_seq, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
     ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, unit = excluded.unit, \
     status = excluded.status, category = excluded.category, subtype = excluded.subtype, \
     main_date = excluded.main_date, closed_on = excluded.closed_on, history = excluded.history, \
     measures = excluded.measures, updated_seq = excluded.updated_seq, \
     updated_at = excluded.updated_at";

/// Rows per multi-row INSERT of the bulk path (12 binds each, under both drivers' limits).
pub(crate) const BULK_ROWS: usize = 2_000;

/// Flag late amendments for `$fact` (a `danvan_core::facts::Fact`) about to be written with
/// sequence `$seq` at `$now` (RFC 3339 text), inside transaction `$tx`. Call it before the fact
/// row is replaced: the previous row decides too (a change that moves a record out of a locked
/// period is a late amendment of it).
macro_rules! flag_late_amendments {
    ($tx:expr, $fact:expr, $seq:expr, $now:expr) => {{
        let fact: &danvan_core::facts::Fact = $fact;
        let entered = fact
            .main_date
            .map(|d| d.to_string())
            .unwrap_or_else(|| $now.get(..10).unwrap_or_default().to_string());
        let locks: Vec<(String, String, String, String)> = sqlx::query_as(
            "SELECT l.unit, l.period_key, l.period_start, l.period_cutoff \
             FROM period_lock_units c JOIN period_locks l \
             ON l.unit = c.lock_unit AND l.period_key = c.period_key \
             WHERE c.code = $1 AND c.valid_from <= $2 AND (c.valid_to IS NULL OR $2 <= c.valid_to)",
        )
        .bind(&fact.unit)
        .bind(&entered)
        .fetch_all(&mut *$tx)
        .await?;
        if !locks.is_empty() {
            let old: Option<(String, Option<String>, String)> =
                sqlx::query_as("SELECT kind, main_date, history FROM facts WHERE id = $1")
                    .bind(&fact.id)
                    .fetch_optional(&mut *$tx)
                    .await?;
            let old_fact = old.and_then(|(kind, main, history)| {
                Some(danvan_core::facts::Fact {
                    id: fact.id.clone(),
                    kind: kind.parse().ok()?,
                    unit: fact.unit.clone(),
                    status: String::new(),
                    category: None,
                    subtype: None,
                    main_date: main.and_then(|m| m.parse().ok()),
                    closed_on: None,
                    history: serde_json::from_str(&history).ok()?,
                    measures: Vec::new(),
                })
            });
            for (unit, key, start, cutoff) in locks {
                let (Ok(start), Ok(cutoff)) = (start.parse(), cutoff.parse()) else {
                    continue;
                };
                let hit = $crate::aggregate::asof::fact_contributes(fact, start, cutoff)
                    || old_fact.as_ref().is_some_and(|o| {
                        $crate::aggregate::asof::fact_contributes(o, start, cutoff)
                    });
                if hit {
                    sqlx::query(
                        "INSERT INTO late_amendments (record_id, unit, period_key, arrived_at, \
                         updated_seq) VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(&fact.id)
                    .bind(&unit)
                    .bind(&key)
                    .bind($now)
                    .bind($seq)
                    .execute(&mut *$tx)
                    .await?;
                }
            }
        }
    }};
}

/// Implements [`AggStorage`] for a type with `writer()`/`reader()` pools and a
/// `bulk_facts(&mut tx, &[FactColumns], first_seq, now)` method.
macro_rules! agg_storage {
    ($ty:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::agg::AggStorage for $ty {
            async fn facts_after(
                &self,
                after: i64,
                limit: i64,
            ) -> $crate::error::Result<Vec<$crate::storage::docs::FactRow>> {
                Ok(sqlx::query_as(
                    "SELECT id, kind, unit, status, category, subtype, main_date, closed_on, \
                     history, measures, updated_seq FROM facts WHERE updated_seq > $1 \
                     ORDER BY updated_seq LIMIT $2",
                )
                .bind(after)
                .bind(limit)
                .fetch_all(self.reader())
                .await?)
            }

            async fn lock_period(
                &self,
                lock: &$crate::storage::agg::NewLock,
            ) -> $crate::error::Result<$crate::aggregate::Lock> {
                let mut tx = self.writer().begin().await?;
                let done = sqlx::query(
                    "INSERT INTO period_locks (unit, period_key, period_start, period_cutoff, \
                     locked_at, locked_by, snapshot) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                     ON CONFLICT (unit, period_key) DO NOTHING",
                )
                .bind(&lock.unit)
                .bind(&lock.period_key)
                .bind(lock.period_start.to_string())
                .bind(lock.period_cutoff.to_string())
                .bind(lock.locked_at.to_rfc3339())
                .bind(&lock.locked_by)
                .bind(&lock.snapshot)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() == 1 {
                    for c in &lock.covered {
                        sqlx::query(
                            "INSERT INTO period_lock_units (lock_unit, period_key, code, \
                             valid_from, valid_to) VALUES ($1, $2, $3, $4, $5)",
                        )
                        .bind(&lock.unit)
                        .bind(&lock.period_key)
                        .bind(&c.code)
                        .bind(c.valid_from.to_string())
                        .bind(c.valid_to.map(|d| d.to_string()))
                        .execute(&mut *tx)
                        .await?;
                    }
                }
                let row: (String, String, String, String) = sqlx::query_as(
                    "SELECT unit, period_key, locked_at, locked_by FROM period_locks \
                     WHERE unit = $1 AND period_key = $2",
                )
                .bind(&lock.unit)
                .bind(&lock.period_key)
                .fetch_one(&mut *tx)
                .await?;
                tx.commit().await?;
                $crate::storage::agg::to_lock(row)
            }

            async fn locks(
                &self,
                period_key: &str,
            ) -> $crate::error::Result<Vec<$crate::aggregate::Lock>> {
                let rows: Vec<(String, String, String, String)> = sqlx::query_as(
                    "SELECT unit, period_key, locked_at, locked_by FROM period_locks \
                     WHERE period_key = $1 ORDER BY unit",
                )
                .bind(period_key)
                .fetch_all(self.reader())
                .await?;
                rows.into_iter()
                    .map($crate::storage::agg::to_lock)
                    .collect()
            }

            async fn lock_snapshot(
                &self,
                unit: &str,
                period_key: &str,
            ) -> $crate::error::Result<Option<String>> {
                let row: Option<(String,)> = sqlx::query_as(
                    "SELECT snapshot FROM period_locks WHERE unit = $1 AND period_key = $2",
                )
                .bind(unit)
                .bind(period_key)
                .fetch_optional(self.reader())
                .await?;
                Ok(row.map(|r| r.0))
            }

            async fn late_amendment_counts(
                &self,
                period_key: &str,
            ) -> $crate::error::Result<Vec<(String, u64)>> {
                let rows: Vec<(String, i64)> = sqlx::query_as(
                    "SELECT unit, count(DISTINCT record_id) FROM late_amendments \
                     WHERE period_key = $1 GROUP BY unit ORDER BY unit",
                )
                .bind(period_key)
                .fetch_all(self.reader())
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(u, n)| (u, n.max(0) as u64))
                    .collect())
            }

            async fn insert_facts(
                &self,
                facts: &[danvan_core::facts::Fact],
            ) -> $crate::error::Result<()> {
                let now = chrono::Utc::now().to_rfc3339();
                let mut tx = self.writer().begin().await?;
                let n = facts.len() as i64;
                let (last,): (i64,) = sqlx::query_as(
                    "UPDATE sync_seq SET value = value + $1 WHERE id = 1 RETURNING value",
                )
                .bind(n)
                .fetch_one(&mut *tx)
                .await?;
                let (locks,): (i64,) = sqlx::query_as("SELECT count(*) FROM period_locks")
                    .fetch_one(&mut *tx)
                    .await?;
                if locks > 0 {
                    // Imported changes to a locked period are flagged like synced ones.
                    for (k, f) in facts.iter().enumerate() {
                        let seq = last - n + 1 + k as i64;
                        flag_late_amendments!(tx, f, seq, &now);
                    }
                }
                let cols: Vec<$crate::storage::agg::FactColumns> = facts
                    .iter()
                    .map($crate::storage::agg::FactColumns::of)
                    .collect();
                Self::bulk_facts(&mut tx, &cols, last - n + 1, &now).await?;
                tx.commit().await?;
                Ok(())
            }
        }
    };
}

impl super::SqliteStorage {
    /// Insert fact rows with sequence numbers from `first_seq`: one prepared upsert per row in
    /// the caller's transaction (SQLite's fastest path).
    pub(crate) async fn bulk_facts(
        tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
        rows: &[FactColumns],
        first_seq: i64,
        now: &str,
    ) -> Result<()> {
        for (k, f) in rows.iter().enumerate() {
            sqlx::query(UPSERT_FACT)
                .bind(&f.id)
                .bind(&f.kind)
                .bind(&f.unit)
                .bind(&f.status)
                .bind(&f.category)
                .bind(&f.subtype)
                .bind(&f.main_date)
                .bind(&f.closed_on)
                .bind(&f.history)
                .bind(&f.measures)
                .bind(first_seq + k as i64)
                .bind(now)
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }
}

impl super::PgStorage {
    /// Insert fact rows with sequence numbers from `first_seq`: multi-row upserts of
    /// [`BULK_ROWS`] rows (a row id must appear once per call).
    pub(crate) async fn bulk_facts(
        tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
        rows: &[FactColumns],
        first_seq: i64,
        now: &str,
    ) -> Result<()> {
        for (c, chunk) in rows.chunks(BULK_ROWS).enumerate() {
            let mut q: sqlx::QueryBuilder<sqlx::Postgres> = sqlx::QueryBuilder::new(
                "INSERT INTO facts (id, kind, unit, status, category, subtype, main_date, \
                 closed_on, history, measures, updated_seq, updated_at) ",
            );
            q.push_values(chunk.iter().enumerate(), |mut b, (k, f)| {
                b.push_bind(f.id.clone())
                    .push_bind(f.kind.clone())
                    .push_bind(f.unit.clone())
                    .push_bind(f.status.clone())
                    .push_bind(f.category.clone())
                    .push_bind(f.subtype.clone())
                    .push_bind(f.main_date.clone())
                    .push_bind(f.closed_on.clone())
                    .push_bind(f.history.clone())
                    .push_bind(f.measures.clone())
                    .push_bind(first_seq + (c * BULK_ROWS + k) as i64)
                    .push_bind(now.to_string());
            });
            q.push(
                " ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, unit = excluded.unit, \
                 status = excluded.status, category = excluded.category, \
                 subtype = excluded.subtype, main_date = excluded.main_date, \
                 closed_on = excluded.closed_on, history = excluded.history, \
                 measures = excluded.measures, updated_seq = excluded.updated_seq, \
                 updated_at = excluded.updated_at",
            );
            q.build().execute(&mut **tx).await?;
        }
        Ok(())
    }
}
