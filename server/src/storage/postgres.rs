//! PostgreSQL storage, for deployments that outgrow one SQLite file.

use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

use crate::error::Result;

/// Migrations for PostgreSQL, embedded at build time.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// PostgreSQL storage.
#[derive(Debug, Clone)]
pub struct PgStorage {
    pool: PgPool,
}

impl PgStorage {
    /// Connect to `url` and run the migrations.
    pub async fn connect(url: &str) -> Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
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

doc_storage!(PgStorage);
agg_storage!(PgStorage);
web_storage!(PgStorage);
sql_storage!(PgStorage, "postgres");
