//! Storage: one trait, two implementations (SQLite, PostgreSQL), per-backend migrations.
//!
//! The SQL is written once with `$n` placeholders, which both sqlx drivers accept, in plain
//! generic Rust over a private `Backend` trait (`backend.rs`) (`sql.rs`, `docs.rs`, `write.rs` for
//! the sync write path, `agg.rs`, `sessions.rs`); the backends (`sqlite.rs`, `postgres.rs`)
//! differ only in how they connect, their column types, how many fact rows one statement
//! inserts, and their migrations (`migrations/sqlite`, `migrations/postgres`).
//!
//! Migrations: `0001` units, users, devices and enrollments; `0002` record documents, the sync
//! sequence and fact rows; `0003` aggregation (fact sequence index, period locks, late
//! amendments: `agg.rs`); `0004` dashboard sessions (`sessions.rs`); `0006` the registry of
//! mediation teams and mediators (`registry.rs`, ADR 0008).

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::roles::Role;
use crate::units::Unit;

pub mod agg;
mod backend;
pub mod docs;
pub mod dvk;
pub mod peer;
pub mod postgres;
pub mod registry;
pub mod sessions;
mod sql;
pub mod sqlite;
mod write;

pub use postgres::PgStorage;
pub use sqlite::SqliteStorage;

/// What a units import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportCounts {
    /// Versions that were not stored before.
    pub inserted: usize,
    /// Versions whose name, level, parent, end date or successors changed.
    pub updated: usize,
    /// Versions already stored exactly so.
    pub unchanged: usize,
}

/// A dashboard user to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Login name.
    pub username: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Role.
    pub role: Role,
    /// Unit code.
    pub unit: String,
}

/// A stored dashboard user.
#[derive(Debug, Clone)]
pub struct User {
    /// Login name.
    pub username: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Role.
    pub role: Role,
    /// Unit code.
    pub unit: String,
    /// When the user was created.
    pub created_at: DateTime<Utc>,
}

/// A one-time enrollment code to store (only its hash).
#[derive(Debug, Clone)]
pub struct NewEnrollment {
    /// Hex sha256 of the normalised code.
    pub code_hash: String,
    /// Name of the person who will use the device.
    pub person: String,
    /// Role given to the device.
    pub role: Role,
    /// Unit code given to the device.
    pub unit: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// The code does not work from this instant.
    pub expires_at: DateTime<Utc>,
    /// Who created it (operator name or user).
    pub created_by: String,
}

/// A device to create when an enrollment code is redeemed.
#[derive(Debug, Clone)]
pub struct NewDevice {
    /// New device id.
    pub id: Uuid,
    /// Label the phone sent (model, owner's nickname…).
    pub label: Option<String>,
    /// sha256 of the device secret.
    pub secret_hash: Vec<u8>,
    /// Enrollment time.
    pub created_at: DateTime<Utc>,
}

/// An enrolled device (without its secret hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Device {
    /// Device id.
    pub id: Uuid,
    /// Person using it.
    pub person_name: String,
    /// Label the phone sent at enrollment.
    pub label: Option<String>,
    /// Role.
    pub role: Role,
    /// Unit code.
    pub unit: String,
    /// Enrollment time.
    pub created_at: DateTime<Utc>,
    /// Revocation time, if revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Last authenticated request (updated at most once a minute).
    pub last_seen_at: Option<DateTime<Utc>>,
}

/// The result of redeeming an enrollment code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redeem {
    /// The device was created and the code is now used.
    Enrolled(Device),
    /// No such code.
    Invalid,
    /// The code was used already.
    Used,
    /// The code expired.
    Expired,
}

/// The server's storage. Every method is one transaction at most.
#[async_trait]
pub trait Storage:
    docs::DocStorage
    + agg::AggStorage
    + sessions::WebStorage
    + registry::RegistryStorage
    + dvk::DvkStorage
    + peer::PeerStorage
    + Send
    + Sync
    + 'static
{
    /// `"sqlite"` or `"postgres"`.
    fn backend(&self) -> &'static str;
    /// Check the database answers.
    async fn ping(&self) -> Result<()>;

    /// Insert or update unit versions (and replace their successors) in one transaction.
    async fn upsert_units(&self, units: &[Unit]) -> Result<ImportCounts>;
    /// Every stored unit version with its successors.
    async fn load_units(&self) -> Result<Vec<Unit>>;

    /// Create a user; [`Error::Conflict`] if the username exists.
    async fn create_user(&self, user: &NewUser) -> Result<()>;
    /// A user by username.
    async fn user(&self, username: &str) -> Result<Option<User>>;

    /// Store an enrollment code's hash.
    async fn create_enrollment(&self, enrollment: &NewEnrollment) -> Result<()>;
    /// Redeem a code: in one transaction, mark it used and create the device. A wrong, used or
    /// expired code changes nothing.
    async fn redeem_enrollment(
        &self,
        code_hash: &str,
        now: DateTime<Utc>,
        device: &NewDevice,
    ) -> Result<Redeem>;

    /// A device and its secret hash.
    async fn device_with_secret(&self, id: Uuid) -> Result<Option<(Device, Vec<u8>)>>;
    /// All devices, newest first.
    async fn list_devices(&self) -> Result<Vec<Device>>;
    /// Revoke a device (keeps the first revocation time); `None` if unknown.
    async fn revoke_device(&self, id: Uuid, at: DateTime<Utc>) -> Result<Option<Device>>;
    /// Record that a device was seen.
    async fn touch_device(&self, id: Uuid, at: DateTime<Utc>) -> Result<()>;
}

/// Open the storage named by `database_url`, or the SQLite file `<data_dir>/danvan.sqlite3`
/// when it is `None`; runs the migrations.
pub async fn open(database_url: Option<&str>, data_dir: &Path) -> Result<Arc<dyn Storage>> {
    match database_url {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            Ok(Arc::new(PgStorage::connect(url).await?))
        }
        Some(url) if url.starts_with("sqlite:") => {
            Ok(Arc::new(SqliteStorage::open_url(url).await?))
        }
        Some(_) => Err(Error::Invalid(
            "--database-url must start with postgres://, postgresql:// or sqlite:".into(),
        )),
        None => {
            std::fs::create_dir_all(data_dir)?;
            Ok(Arc::new(
                SqliteStorage::open(&data_dir.join("danvan.sqlite3")).await?,
            ))
        }
    }
}

pub(crate) fn parse_role(s: &str) -> Result<Role> {
    s.parse()
        .map_err(|_| Error::Corrupt(format!("unknown role {s:?}")))
}
