//! PostgreSQL storage, for deployments that outgrow one SQLite file.

use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgQueryResult};
use sqlx::{PgPool, Postgres};

use super::backend::Backend;
use crate::error::{Error, Result};

/// Migrations for PostgreSQL, embedded at build time.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// How long one of the server's connections may sit idle inside a transaction before PostgreSQL
/// ends its session (`idle_in_transaction_session_timeout`), unless the database URL sets it
/// (`options[idle_in_transaction_session_timeout]=30s`). A write transaction holds the `sync_seq`
/// row lock, the turn of every writer of every instance on the database: an instance frozen in the
/// middle of one (a stopped process, a paused VM, a lost network) would otherwise stop every
/// instance's writes until PostgreSQL noticed the dead connection, which takes hours with TCP's
/// default keepalive (ADR 0010, "Several instances on one PostgreSQL"). The server's own pauses
/// inside a transaction are the merges it re-decides there: milliseconds.
pub const IDLE_IN_TRANSACTION_TIMEOUT: &str = "60s";

/// PostgreSQL storage.
#[derive(Debug, Clone)]
pub struct PgStorage {
    pool: PgPool,
}

/// A TLS failure at connection time, with what the operator can change.
fn tls_refused(cause: impl std::fmt::Display) -> Error {
    Error::Invalid(format!(
        "no TLS connection to PostgreSQL: {cause}; the database URL's sslmode (disable, prefer, \
         require, verify-ca, verify-full) and sslrootcert must match the server"
    ))
}

impl PgStorage {
    /// Connect to `url` and run the migrations. TLS follows the URL's `sslmode` (`disable`,
    /// `prefer` (the default), `require`, `verify-ca`, `verify-full`), certificates checked
    /// against the OS trust store or the URL's `sslrootcert`. Sessions end a transaction left
    /// idle for [`IDLE_IN_TRANSACTION_TIMEOUT`] unless the URL says otherwise.
    pub async fn connect(url: &str) -> Result<Self> {
        let mut options: PgConnectOptions = url.parse().map_err(Error::Database)?;
        if !options
            .get_options()
            .is_some_and(|o| o.contains("idle_in_transaction_session_timeout"))
        {
            options = options.options([(
                "idle_in_transaction_session_timeout",
                IDLE_IN_TRANSACTION_TIMEOUT,
            )]);
        }
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(|e| match e {
                sqlx::Error::Tls(cause) => tls_refused(cause),
                // rustls refusing the server's certificate surfaces as an I/O error.
                sqlx::Error::Io(io) if io.kind() == std::io::ErrorKind::InvalidData => {
                    tls_refused(io)
                }
                other => Error::Database(other),
            })?;
        MIGRATOR.run(&pool).await?;
        Ok(PgStorage { pool })
    }

    /// The pool (PostgreSQL handles concurrent writers itself).
    pub fn writer(&self) -> &PgPool {
        &self.pool
    }

    /// The same pool as [`writer`](Self::writer).
    pub fn reader(&self) -> &PgPool {
        &self.pool
    }

    /// Close the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

impl Backend for PgStorage {
    type Db = Postgres;
    const NAME: &'static str = "postgres";
    /// Multi-row upserts (24,000 parameters a statement, under PostgreSQL's 65,535).
    const FACT_ROWS_PER_INSERT: usize = 2_000;

    fn writer(&self) -> &PgPool {
        &self.pool
    }

    fn reader(&self) -> &PgPool {
        &self.pool
    }

    fn rows_affected(result: &PgQueryResult) -> u64 {
        result.rows_affected()
    }
}
