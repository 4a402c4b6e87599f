//! SQLite storage: the embedded default, one file in the data directory.
//!
//! WAL mode with one writer connection (SQLite allows one writer at a time; a pool of one
//! serialises writes in the application instead of in `SQLITE_BUSY` retries) and a small pool
//! of read-only connections that read concurrently with the writer.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteQueryResult,
    SqliteSynchronous,
};
use sqlx::{Sqlite, SqlitePool};

use super::backend::Backend;
use crate::error::Result;

/// Migrations for SQLite, embedded at build time.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

/// SQLite storage.
#[derive(Debug, Clone)]
pub struct SqliteStorage {
    writer: SqlitePool,
    reader: SqlitePool,
}

impl SqliteStorage {
    /// Open (creating it if needed) the database file and run the migrations.
    pub async fn open(path: &Path) -> Result<Self> {
        Self::with_options(SqliteConnectOptions::new().filename(path)).await
    }

    /// Open a `sqlite:` URL (e.g. `sqlite:///var/lib/danvan/db.sqlite3`) and run the migrations.
    pub async fn open_url(url: &str) -> Result<Self> {
        Self::with_options(SqliteConnectOptions::from_str(url)?).await
    }

    async fn with_options(options: SqliteConnectOptions) -> Result<Self> {
        let options = options
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone().create_if_missing(true))
            .await?;
        MIGRATOR.run(&writer).await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.read_only(true))
            .await?;
        Ok(SqliteStorage { writer, reader })
    }

    /// The single-connection pool for writes (and reads that must see them in a transaction).
    pub fn writer(&self) -> &SqlitePool {
        &self.writer
    }

    /// The read-only pool.
    pub fn reader(&self) -> &SqlitePool {
        &self.reader
    }

    /// Close both pools.
    pub async fn close(&self) {
        self.writer.close().await;
        self.reader.close().await;
    }
}

impl Backend for SqliteStorage {
    type Db = Sqlite;
    const NAME: &'static str = "sqlite";
    /// One prepared upsert per row in the caller's transaction: SQLite's fastest path.
    const FACT_ROWS_PER_INSERT: usize = 1;

    fn writer(&self) -> &SqlitePool {
        &self.writer
    }

    fn reader(&self) -> &SqlitePool {
        &self.reader
    }

    fn rows_affected(result: &SqliteQueryResult) -> u64 {
        result.rows_affected()
    }
}
