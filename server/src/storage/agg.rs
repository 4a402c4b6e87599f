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
    /// Numbers (`facts.created_seq`) of the records amended after any lock of `period_key`
    /// (distinct; a record without a fact row has none).
    async fn late_amended_numbers(&self, period_key: &str) -> Result<Vec<i64>>;
    /// Bulk insert (or replace) fact rows without documents, each taking the next sync
    /// sequence number: for imports from other systems and for benchmarks. One transaction.
    async fn insert_facts(&self, facts: &[Fact]) -> Result<()>;
    /// The records amended after a commune's lock of a period, by id: when, how often, the fact
    /// kept at the lock (migration 0007) and the fact now.
    async fn late_amended_records(
        &self,
        unit: &str,
        period_key: &str,
    ) -> Result<Vec<AmendedRecord>>;
}

/// A fact row as kept in `late_amendments.fact_at_lock` (JSON): the columns of [`FactRow`].
/// Columns added to the fact row later read as their default from older JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeptFact {
    /// Record id.
    pub id: String,
    /// Kind code.
    pub kind: String,
    /// Unit code.
    pub unit: String,
    /// Status code.
    pub status: String,
    /// Category code.
    #[serde(default)]
    pub category: Option<String>,
    /// Subtype code.
    #[serde(default)]
    pub subtype: Option<String>,
    /// Main date (ISO).
    #[serde(default)]
    pub main_date: Option<String>,
    /// Closing date (ISO).
    #[serde(default)]
    pub closed_on: Option<String>,
    /// Status history (JSON).
    pub history: String,
    /// Measures (JSON).
    pub measures: String,
    /// The day the unit code is read on (ISO; migration 0005).
    #[serde(default)]
    pub unit_on: Option<String>,
    /// Dated flows (JSON; migration 0005).
    #[serde(default = "no_flows")]
    pub flows: String,
    /// Sequence of the change that wrote it.
    #[serde(default)]
    pub updated_seq: i64,
    /// The row's number (migration 0011; 0 in rows kept before it).
    #[serde(default)]
    pub created_seq: i64,
}

fn no_flows() -> String {
    "[]".into()
}

impl From<FactRow> for KeptFact {
    fn from(r: FactRow) -> Self {
        KeptFact {
            id: r.id,
            kind: r.kind,
            unit: r.unit,
            status: r.status,
            category: r.category,
            subtype: r.subtype,
            main_date: r.main_date,
            closed_on: r.closed_on,
            history: r.history,
            measures: r.measures,
            unit_on: r.unit_on,
            flows: r.flows,
            updated_seq: r.updated_seq,
            created_seq: r.created_seq,
        }
    }
}

impl From<KeptFact> for FactRow {
    fn from(k: KeptFact) -> Self {
        FactRow {
            id: k.id,
            kind: k.kind,
            unit: k.unit,
            status: k.status,
            category: k.category,
            subtype: k.subtype,
            main_date: k.main_date,
            closed_on: k.closed_on,
            history: k.history,
            measures: k.measures,
            unit_on: k.unit_on,
            flows: k.flows,
            updated_seq: k.updated_seq,
            created_seq: k.created_seq,
        }
    }
}

/// A record as it was when a period was locked.
#[derive(Debug, Clone, PartialEq)]
pub enum AtLock {
    /// Its fact row then.
    Fact(Box<FactRow>),
    /// It did not exist yet (it arrived after the lock).
    Absent,
    /// Not kept: its first late amendment was written before migration 0007.
    Unknown,
}

/// A record amended after a lock.
#[derive(Debug, Clone, PartialEq)]
pub struct AmendedRecord {
    /// Record id.
    pub id: String,
    /// Late amendments written for it (one per accepted change).
    pub changes: u64,
    /// When the first late change arrived.
    pub first_changed_at: DateTime<Utc>,
    /// When the last late change arrived.
    pub last_changed_at: DateTime<Utc>,
    /// The record as it was at the lock.
    pub at_lock: AtLock,
    /// Its fact row now (`None` only if the row is gone).
    pub now: Option<FactRow>,
}

/// The columns of a fact row, as [`FactRow`] reads them.
pub(crate) const FACT_ROW_COLUMNS: &str = "id, kind, unit, unit_on, status, category, subtype, \
     main_date, closed_on, history, measures, flows, updated_seq, created_seq";

/// What `late_amendments.fact_at_lock` holds for a record's first late amendment: its fact row
/// before the change (JSON object), or JSON `null` when it had none.
pub(crate) fn kept_fact_json(previous: Option<FactRow>) -> String {
    serde_json::to_string(&previous.map(KeptFact::from)).unwrap_or_else(|_| "null".into())
}

fn parse_time(s: &str) -> Result<DateTime<Utc>> {
    Ok(DateTime::parse_from_rfc3339(s)
        .map_err(|e| Error::Corrupt(format!("amendment time {s:?}: {e}")))?
        .with_timezone(&Utc))
}

/// Ids per query when reading the amended records' fact rows.
const IDS_PER_QUERY: usize = 500;

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
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {FACT_ROW_COLUMNS} FROM facts WHERE updated_seq > $1 \
             ORDER BY updated_seq LIMIT $2"
        )))
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

    async fn late_amended_numbers(&self, period_key: &str) -> Result<Vec<i64>> {
        let rows: Vec<(i64,)> = sqlx::query_as(
            "SELECT DISTINCT f.created_seq FROM late_amendments l \
             JOIN facts f ON f.id = l.record_id WHERE l.period_key = $1",
        )
        .bind(period_key)
        .fetch_all(self.reader())
        .await?;
        Ok(rows.into_iter().map(|(n,)| n).collect())
    }

    async fn insert_facts(&self, facts: &[Fact]) -> Result<()> {
        WriteTx::insert_facts(self, facts).await
    }

    async fn late_amended_records(
        &self,
        unit: &str,
        period_key: &str,
    ) -> Result<Vec<AmendedRecord>> {
        let rows: Vec<(String, String, Option<String>)> = sqlx::query_as(
            "SELECT record_id, arrived_at, fact_at_lock FROM late_amendments \
             WHERE unit = $1 AND period_key = $2 ORDER BY record_id, updated_seq",
        )
        .bind(unit)
        .bind(period_key)
        .fetch_all(self.reader())
        .await?;
        let mut out: Vec<AmendedRecord> = Vec::new();
        for (id, arrived_at, kept) in rows {
            let at = parse_time(&arrived_at)?;
            let kept = kept
                .map(|text| {
                    serde_json::from_str::<Option<KeptFact>>(&text)
                        .map_err(|e| Error::Corrupt(format!("fact at lock of {id}: {e}")))
                })
                .transpose()?;
            match out.last_mut().filter(|r| r.id == id) {
                // Only the first amendment of a (record, lock) keeps the fact.
                Some(r) => {
                    r.changes += 1;
                    r.first_changed_at = r.first_changed_at.min(at);
                    r.last_changed_at = r.last_changed_at.max(at);
                }
                None => out.push(AmendedRecord {
                    id,
                    changes: 1,
                    first_changed_at: at,
                    last_changed_at: at,
                    at_lock: match kept {
                        Some(Some(f)) => AtLock::Fact(Box::new(f.into())),
                        Some(None) => AtLock::Absent,
                        None => AtLock::Unknown,
                    },
                    now: None,
                }),
            }
        }
        let ids: Vec<&str> = out.iter().map(|r| r.id.as_str()).collect();
        let mut now: std::collections::HashMap<String, FactRow> =
            std::collections::HashMap::with_capacity(ids.len());
        for part in ids.chunks(IDS_PER_QUERY) {
            let mut q = sqlx::QueryBuilder::new(format!(
                "SELECT {FACT_ROW_COLUMNS} FROM facts WHERE id IN ("
            ));
            let mut list = q.separated(", ");
            for id in part {
                list.push_bind(*id);
            }
            list.push_unseparated(")");
            let rows: Vec<FactRow> = q.build_query_as().fetch_all(self.reader()).await?;
            now.extend(rows.into_iter().map(|r| (r.id.clone(), r)));
        }
        for r in &mut out {
            r.now = now.remove(&r.id);
        }
        Ok(out)
    }
}
