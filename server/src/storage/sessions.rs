//! What the web dashboard needs from storage: login sessions (migration `0004_sessions.sql`)
//! and the record list of a commune, written once for every `Backend` like `sql.rs`.
//!
//! A session row holds only the sha256 of the cookie's token, so a copy of the database does not
//! let anyone log in. Expiry (absolute lifetime and idle timeout) is decided by the caller,
//! which passes the limits; expired rows are deleted when they are met and by
//! [`WebStorage::purge_sessions`].

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{ColumnIndex, Executor, IntoArguments};

use super::backend::{Args, Backend, Bind, Column, Conn, Row};
use crate::error::Result;

/// A stored session.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SessionRow {
    /// Hex sha256 of the session token.
    pub token_hash: String,
    /// Who is logged in.
    pub username: String,
    /// Synchronizer CSRF token of this session's forms.
    pub csrf_token: String,
    /// Login time.
    pub created_at: DateTime<Utc>,
    /// The session ends at this instant whatever happens.
    pub expires_at: DateTime<Utc>,
    /// Last request seen with this session.
    pub last_seen: DateTime<Utc>,
}

/// One line of a commune's record list (from the fact row: no personal field).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RecordListRow {
    /// Record id.
    pub id: String,
    /// Kind code.
    pub kind: String,
    /// Unit code the record was entered under.
    pub unit: String,
    /// Status code.
    pub status: String,
    /// Category code.
    pub category: Option<String>,
    /// Main date (ISO).
    pub main_date: Option<String>,
    /// Closing date (ISO).
    pub closed_on: Option<String>,
}

/// Sessions and record lists for the dashboard.
#[async_trait]
pub trait WebStorage: Send + Sync {
    /// Store a new session.
    async fn create_session(&self, session: &SessionRow) -> Result<()>;
    /// The live session with this token hash, touching its `last_seen` to `now`. A session past
    /// `expires_at`, or idle since before `idle_since`, is deleted and `None` is returned.
    async fn session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
        idle_since: DateTime<Utc>,
    ) -> Result<Option<SessionRow>>;
    /// End a session (logout); true if it existed.
    async fn delete_session(&self, token_hash: &str) -> Result<bool>;
    /// Delete every expired or idle session; returns how many.
    async fn purge_sessions(&self, now: DateTime<Utc>, idle_since: DateTime<Utc>) -> Result<u64>;
    /// Records entered under any of `units`, newest main date first, at most `limit`.
    async fn records_under(&self, units: &[String], limit: u32) -> Result<Vec<RecordListRow>>;
}

pub(crate) const INSERT_SESSION: &str = "INSERT INTO sessions \
     (token_hash, username, csrf_token, created_at, expires_at, last_seen) \
     VALUES ($1, $2, $3, $4, $5, $6)";
pub(crate) const SELECT_SESSION: &str = "SELECT token_hash, username, csrf_token, created_at, \
     expires_at, last_seen FROM sessions WHERE token_hash = $1";
pub(crate) const TOUCH_SESSION: &str = "UPDATE sessions SET last_seen = $2 WHERE token_hash = $1";
pub(crate) const DELETE_SESSION: &str = "DELETE FROM sessions WHERE token_hash = $1";
pub(crate) const PURGE_SESSIONS: &str =
    "DELETE FROM sessions WHERE expires_at <= $1 OR last_seen < $2";
pub(crate) const RECORDS_IN_UNIT: &str = "SELECT id, kind, unit, status, category, main_date, \
     closed_on FROM facts WHERE unit = $1 ORDER BY main_date DESC, id LIMIT $2";

#[async_trait]
impl<B> WebStorage for B
where
    B: Backend,
    for<'c> &'c mut Conn<B>: Executor<'c, Database = B::Db>,
    Args<B>: IntoArguments<B::Db>,
    for<'a> &'a str: Bind<B::Db> + ColumnIndex<Row<B>>,
    i64: Column<B::Db>,
    String: Column<B::Db>,
    DateTime<Utc>: Column<B::Db>,
{
    async fn create_session(&self, s: &SessionRow) -> Result<()> {
        sqlx::query(INSERT_SESSION)
            .bind(&s.token_hash)
            .bind(&s.username)
            .bind(&s.csrf_token)
            .bind(s.created_at)
            .bind(s.expires_at)
            .bind(s.last_seen)
            .execute(self.writer())
            .await?;
        Ok(())
    }

    async fn session(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
        idle_since: DateTime<Utc>,
    ) -> Result<Option<SessionRow>> {
        let row: Option<SessionRow> = sqlx::query_as(SELECT_SESSION)
            .bind(token_hash)
            .fetch_optional(self.reader())
            .await?;
        let Some(mut row) = row else {
            return Ok(None);
        };
        if row.expires_at <= now || row.last_seen < idle_since {
            sqlx::query(DELETE_SESSION)
                .bind(token_hash)
                .execute(self.writer())
                .await?;
            return Ok(None);
        }
        // Touch at most every 30 s (or a quarter of the idle timeout if shorter): a page load
        // makes several requests.
        let every = std::cmp::min(chrono::Duration::seconds(30), (now - idle_since) / 4);
        if now - row.last_seen > every {
            sqlx::query(TOUCH_SESSION)
                .bind(token_hash)
                .bind(now)
                .execute(self.writer())
                .await?;
            row.last_seen = now;
        }
        Ok(Some(row))
    }

    async fn delete_session(&self, token_hash: &str) -> Result<bool> {
        let r = sqlx::query(DELETE_SESSION)
            .bind(token_hash)
            .execute(self.writer())
            .await?;
        Ok(B::rows_affected(&r) > 0)
    }

    async fn purge_sessions(&self, now: DateTime<Utc>, idle_since: DateTime<Utc>) -> Result<u64> {
        let r = sqlx::query(PURGE_SESSIONS)
            .bind(now)
            .bind(idle_since)
            .execute(self.writer())
            .await?;
        Ok(B::rows_affected(&r))
    }

    async fn records_under(&self, units: &[String], limit: u32) -> Result<Vec<RecordListRow>> {
        let mut all: Vec<RecordListRow> = Vec::new();
        // A commune has a handful of villages: one indexed query per unit.
        for unit in units {
            let rows: Vec<RecordListRow> = sqlx::query_as(RECORDS_IN_UNIT)
                .bind(unit)
                .bind(i64::from(limit))
                .fetch_all(self.reader())
                .await?;
            all.extend(rows);
        }
        all.sort_by(|a, b| b.main_date.cmp(&a.main_date).then(a.id.cmp(&b.id)));
        all.truncate(limit as usize);
        Ok(all)
    }
}
