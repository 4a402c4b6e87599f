//! Storage for aggregation (ADR 0004), written once for every `Backend` like `sql.rs`:
//! reading fact rows by sequence, period locks with their snapshot, late amendments, and a bulk
//! fact insert for imports and benchmarks.
//!
//! Late amendments are flagged by the write path (`write.rs`), inside `apply_pushes`'
//! transaction before a fact row is replaced (and by the bulk insert when locks exist); it costs
//! one indexed query when no lock covers the record's unit. Whether a record takes part in a
//! period is [`Fact::contributes`], the rule aggregation counts by.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use danvan_core::facts::Fact;
use serde::{Deserialize, Serialize};
use sqlx::{ColumnIndex, Executor, IntoArguments};

use super::backend::{Args, Backend, Bind, Column, Conn, Row};
use super::docs::FactRow;
use super::write::WriteTx;
use crate::error::{Error, Result};

/// A commune's lock of a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Lock {
    /// Commune code.
    pub unit: String,
    /// Period key.
    pub period_key: String,
    /// When it was locked.
    pub locked_at: DateTime<Utc>,
    /// Who locked it (username).
    pub locked_by: String,
}

/// A unit version whose records resolve into a commune (what a lock covers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Covered {
    /// Entered unit code.
    pub code: String,
    /// First day of the version.
    pub valid_from: NaiveDate,
    /// Last day of the version.
    pub valid_to: Option<NaiveDate>,
}

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

fn to_lock(row: (String, String, String, String)) -> Result<Lock> {
    let locked_at = DateTime::parse_from_rfc3339(&row.2)
        .map_err(|e| Error::Corrupt(format!("lock time {:?}: {e}", row.2)))?
        .with_timezone(&Utc);
    Ok(Lock {
        unit: row.0,
        period_key: row.1,
        locked_at,
        locked_by: row.3,
    })
}

#[async_trait]
impl<B> AggStorage for B
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
    async fn facts_after(&self, after: i64, limit: i64) -> Result<Vec<FactRow>> {
        Ok(sqlx::query_as(
            "SELECT id, kind, unit, status, category, subtype, main_date, closed_on, history, \
             measures, updated_seq FROM facts WHERE updated_seq > $1 \
             ORDER BY updated_seq LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(self.reader())
        .await?)
    }

    async fn lock_period(&self, lock: &NewLock) -> Result<Lock> {
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
        if B::rows_affected(&done) == 1 {
            for c in &lock.covered {
                sqlx::query(
                    "INSERT INTO period_lock_units (lock_unit, period_key, code, valid_from, \
                     valid_to) VALUES ($1, $2, $3, $4, $5)",
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
        to_lock(row)
    }

    async fn locks(&self, period_key: &str) -> Result<Vec<Lock>> {
        let rows: Vec<(String, String, String, String)> = sqlx::query_as(
            "SELECT unit, period_key, locked_at, locked_by FROM period_locks \
             WHERE period_key = $1 ORDER BY unit",
        )
        .bind(period_key)
        .fetch_all(self.reader())
        .await?;
        rows.into_iter().map(to_lock).collect()
    }

    async fn lock_snapshot(&self, unit: &str, period_key: &str) -> Result<Option<String>> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT snapshot FROM period_locks WHERE unit = $1 AND period_key = $2")
                .bind(unit)
                .bind(period_key)
                .fetch_optional(self.reader())
                .await?;
        Ok(row.map(|r| r.0))
    }

    async fn late_amendment_counts(&self, period_key: &str) -> Result<Vec<(String, u64)>> {
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

    async fn insert_facts(&self, facts: &[Fact]) -> Result<()> {
        WriteTx::insert_facts(self, facts).await
    }
}
