//! What the phone-to-phone exchange needs from storage (migration `0010_device_keys.sql`, ADR
//! 0014): the server's signing key, the devices' public keys, and the attested changes. Written
//! once for every `Backend`, like `sessions.rs`; keys and hashes are stored as hex text.

use async_trait::async_trait;
use sqlx::{ColumnIndex, Executor, IntoArguments};

use super::backend::{Args, Backend, Bind, Column, Conn, Row};
use crate::error::Result;

/// Storage of the phone-to-phone exchange.
#[async_trait]
pub trait PeerStorage: Send + Sync {
    /// The server's Ed25519 seed (hex): `fresh` is stored if there is none yet, and whichever
    /// is stored is returned (two instances starting at once agree).
    async fn server_seed(&self, fresh: &str) -> Result<String>;
    /// Register `device`'s public key (hex) unless it has one; the key it has now.
    async fn register_device_key(&self, device: &str, key: &str, at_ms: i64) -> Result<String>;
    /// `device`'s public key (hex), if registered.
    async fn device_key(&self, device: &str) -> Result<Option<String>>;
    /// Keep attested changes (hash hex, author device), handed in by `posted_by`.
    async fn add_attested(&self, posted_by: &str, changes: &[(String, String)]) -> Result<()>;
    /// The attested changes `posted_by` handed in (hash hex, author device), at most `limit`:
    /// what its next pushes may carry under other devices' actor ids.
    async fn attested_posted_by(
        &self,
        posted_by: &str,
        limit: i64,
    ) -> Result<Vec<(String, String)>>;
}

#[async_trait]
impl<B> PeerStorage for B
where
    B: Backend,
    for<'c> &'c mut Conn<B>: Executor<'c, Database = B::Db>,
    Args<B>: IntoArguments<B::Db>,
    usize: ColumnIndex<Row<B>>,
    for<'a> &'a str: Bind<B::Db> + ColumnIndex<Row<B>>,
    i64: Column<B::Db>,
    String: Column<B::Db>,
{
    async fn server_seed(&self, fresh: &str) -> Result<String> {
        sqlx::query(
            "INSERT INTO server_keys (id, seed) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
        )
        .bind(fresh)
        .execute(self.writer())
        .await?;
        let (seed,): (String,) = sqlx::query_as("SELECT seed FROM server_keys WHERE id = 1")
            .fetch_one(self.writer())
            .await?;
        Ok(seed)
    }

    async fn register_device_key(&self, device: &str, key: &str, at_ms: i64) -> Result<String> {
        sqlx::query(
            "INSERT INTO device_keys (device_id, public_key, registered_at) VALUES ($1, $2, $3) \
             ON CONFLICT (device_id) DO NOTHING",
        )
        .bind(device)
        .bind(key)
        .bind(at_ms)
        .execute(self.writer())
        .await?;
        let (key,): (String,) =
            sqlx::query_as("SELECT public_key FROM device_keys WHERE device_id = $1")
                .bind(device)
                .fetch_one(self.writer())
                .await?;
        Ok(key)
    }

    async fn device_key(&self, device: &str) -> Result<Option<String>> {
        let row: Option<(String,)> =
            sqlx::query_as("SELECT public_key FROM device_keys WHERE device_id = $1")
                .bind(device)
                .fetch_optional(self.reader())
                .await?;
        Ok(row.map(|(k,)| k))
    }

    async fn add_attested(&self, posted_by: &str, changes: &[(String, String)]) -> Result<()> {
        let mut tx = self.writer().begin().await?;
        for (hash, device) in changes {
            sqlx::query(
                "INSERT INTO attested_changes (hash, device_id, posted_by) VALUES ($1, $2, $3) \
                 ON CONFLICT (hash) DO NOTHING",
            )
            .bind(hash.as_str())
            .bind(device.as_str())
            .bind(posted_by)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn attested_posted_by(
        &self,
        posted_by: &str,
        limit: i64,
    ) -> Result<Vec<(String, String)>> {
        Ok(sqlx::query_as(
            "SELECT hash, device_id FROM attested_changes WHERE posted_by = $1 LIMIT $2",
        )
        .bind(posted_by)
        .bind(limit)
        .fetch_all(self.reader())
        .await?)
    }
}
