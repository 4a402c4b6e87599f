//! The SQL shared by both backends, written once: units, users, enrollments and devices.
//!
//! [`Storage`] is implemented here for every [`Backend`]. Placeholders are `$n`, which sqlx
//! accepts for SQLite as well as PostgreSQL; every value is bound with a type both drivers map
//! (`NaiveDate` → TEXT/DATE, `DateTime<Utc>` → TEXT/TIMESTAMPTZ, `Uuid` → BLOB/UUID).

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use danvan_core::Coded;
use sqlx::{ColumnIndex, Executor, IntoArguments};
use uuid::Uuid;

use super::agg::AggStorage;
use super::backend::{Args, Backend, Bind, Column, Conn, Row};
use super::docs::DocStorage;
use super::registry::RegistryStorage;
use super::sessions::WebStorage;
use super::{
    Device, ImportCounts, NewDevice, NewEnrollment, NewUser, Redeem, Storage, User, parse_role,
};
use crate::error::{Error, Result};
use crate::units::{Successor, Unit};

pub(crate) const SELECT_UNITS: &str =
    "SELECT code, valid_from, valid_to, name, level, parent_code FROM units";
pub(crate) const SELECT_SUCCESSORS: &str = "SELECT code, valid_from, successor_code, share \
     FROM unit_successors ORDER BY code, valid_from, successor_code";
pub(crate) const INSERT_UNIT: &str = "INSERT INTO units \
     (code, valid_from, valid_to, name, level, parent_code) VALUES ($1, $2, $3, $4, $5, $6)";
pub(crate) const UPDATE_UNIT: &str = "UPDATE units SET valid_to = $3, name = $4, level = $5, \
     parent_code = $6 WHERE code = $1 AND valid_from = $2";
pub(crate) const DELETE_SUCCESSORS: &str =
    "DELETE FROM unit_successors WHERE code = $1 AND valid_from = $2";
pub(crate) const INSERT_SUCCESSOR: &str = "INSERT INTO unit_successors \
     (code, valid_from, successor_code, share) VALUES ($1, $2, $3, $4)";
pub(crate) const INSERT_USER: &str = "INSERT INTO users \
     (username, password_hash, role, unit, created_at) VALUES ($1, $2, $3, $4, $5)";
pub(crate) const SELECT_USER: &str =
    "SELECT username, password_hash, role, unit, created_at FROM users WHERE username = $1";
pub(crate) const INSERT_ENROLLMENT: &str = "INSERT INTO enrollments \
     (code_hash, person, role, unit, created_at, expires_at, created_by) \
     VALUES ($1, $2, $3, $4, $5, $6, $7)";
pub(crate) const SELECT_ENROLLMENT: &str =
    "SELECT person, role, unit, expires_at, used_at FROM enrollments WHERE code_hash = $1";
pub(crate) const USE_ENROLLMENT: &str = "UPDATE enrollments SET used_at = $2, device_id = $3 \
     WHERE code_hash = $1 AND used_at IS NULL";
pub(crate) const INSERT_DEVICE: &str = "INSERT INTO devices \
     (id, person_name, label, role, unit, secret_hash, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7)";
pub(crate) const SELECT_DEVICE: &str = "SELECT id, person_name, label, role, unit, secret_hash, \
     created_at, revoked_at, last_seen_at FROM devices WHERE id = $1";
pub(crate) const LIST_DEVICES: &str = "SELECT id, person_name, label, role, unit, secret_hash, \
     created_at, revoked_at, last_seen_at FROM devices ORDER BY created_at DESC, id";
pub(crate) const REVOKE_DEVICE: &str =
    "UPDATE devices SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL";
pub(crate) const TOUCH_DEVICE: &str = "UPDATE devices SET last_seen_at = $2 WHERE id = $1";

#[derive(sqlx::FromRow)]
pub(crate) struct UnitRow {
    code: String,
    valid_from: NaiveDate,
    valid_to: Option<NaiveDate>,
    name: String,
    level: String,
    parent_code: Option<String>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct SuccessorRow {
    code: String,
    valid_from: NaiveDate,
    successor_code: String,
    share: Option<String>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    pub(crate) username: String,
    pub(crate) password_hash: String,
    pub(crate) role: String,
    pub(crate) unit: String,
    pub(crate) created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct EnrollmentRow {
    pub(crate) person: String,
    pub(crate) role: String,
    pub(crate) unit: String,
    pub(crate) expires_at: DateTime<Utc>,
    pub(crate) used_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
pub(crate) struct DeviceRow {
    id: Uuid,
    person_name: String,
    label: Option<String>,
    role: String,
    unit: String,
    secret_hash: Vec<u8>,
    created_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
    last_seen_at: Option<DateTime<Utc>>,
}

impl DeviceRow {
    pub(crate) fn into_device(self) -> Result<(Device, Vec<u8>)> {
        let device = Device {
            id: self.id,
            person_name: self.person_name,
            label: self.label,
            role: parse_role(&self.role)?,
            unit: self.unit,
            created_at: self.created_at,
            revoked_at: self.revoked_at,
            last_seen_at: self.last_seen_at,
        };
        Ok((device, self.secret_hash))
    }
}

/// Join unit rows with their successors.
pub(crate) fn assemble_units(rows: Vec<UnitRow>, succ: Vec<SuccessorRow>) -> Vec<Unit> {
    let mut by_key: HashMap<(String, NaiveDate), Vec<Successor>> = HashMap::new();
    for s in succ {
        by_key
            .entry((s.code, s.valid_from))
            .or_default()
            .push(Successor {
                code: s.successor_code,
                share: s.share,
            });
    }
    rows.into_iter()
        .map(|r| {
            let successors = by_key
                .remove(&(r.code.clone(), r.valid_from))
                .unwrap_or_default();
            Unit {
                code: r.code,
                valid_from: r.valid_from,
                valid_to: r.valid_to,
                name: r.name,
                level: r.level,
                parent: r.parent_code,
                successors,
            }
        })
        .collect()
}

#[async_trait]
impl<B> Storage for B
where
    B: Backend
        + DocStorage
        + AggStorage
        + WebStorage
        + RegistryStorage
        + super::dvk::DvkStorage
        + super::peer::PeerStorage,
    for<'c> &'c mut Conn<B>: Executor<'c, Database = B::Db>,
    Args<B>: IntoArguments<B::Db>,
    usize: ColumnIndex<Row<B>>,
    for<'a> &'a str: Bind<B::Db> + ColumnIndex<Row<B>>,
    Option<String>: Bind<B::Db>,
    Option<NaiveDate>: Bind<B::Db>,
    String: Column<B::Db>,
    Vec<u8>: Column<B::Db>,
    NaiveDate: Column<B::Db>,
    DateTime<Utc>: Column<B::Db>,
    Uuid: Column<B::Db>,
{
    fn backend(&self) -> &'static str {
        B::NAME
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(self.reader()).await?;
        Ok(())
    }

    async fn upsert_units(&self, units: &[Unit]) -> Result<ImportCounts> {
        let mut tx = self.writer().begin().await?;
        let rows: Vec<UnitRow> = sqlx::query_as(SELECT_UNITS).fetch_all(&mut *tx).await?;
        let succ: Vec<SuccessorRow> = sqlx::query_as(SELECT_SUCCESSORS)
            .fetch_all(&mut *tx)
            .await?;
        let stored: HashMap<_, _> = assemble_units(rows, succ)
            .into_iter()
            .map(|u| ((u.code.clone(), u.valid_from), u))
            .collect();
        let mut counts = ImportCounts::default();
        for u in units {
            let sql = match stored.get(&(u.code.clone(), u.valid_from)) {
                Some(old) if old == u => {
                    counts.unchanged += 1;
                    continue;
                }
                Some(_) => {
                    counts.updated += 1;
                    sqlx::query(DELETE_SUCCESSORS)
                        .bind(&u.code)
                        .bind(u.valid_from)
                        .execute(&mut *tx)
                        .await?;
                    UPDATE_UNIT
                }
                None => {
                    counts.inserted += 1;
                    INSERT_UNIT
                }
            };
            sqlx::query(sql)
                .bind(&u.code)
                .bind(u.valid_from)
                .bind(u.valid_to)
                .bind(&u.name)
                .bind(&u.level)
                .bind(&u.parent)
                .execute(&mut *tx)
                .await?;
            for s in &u.successors {
                sqlx::query(INSERT_SUCCESSOR)
                    .bind(&u.code)
                    .bind(u.valid_from)
                    .bind(&s.code)
                    .bind(&s.share)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(counts)
    }

    async fn load_units(&self) -> Result<Vec<Unit>> {
        let mut conn = self.reader().acquire().await?;
        let rows: Vec<UnitRow> = sqlx::query_as(SELECT_UNITS).fetch_all(&mut *conn).await?;
        let succ: Vec<SuccessorRow> = sqlx::query_as(SELECT_SUCCESSORS)
            .fetch_all(&mut *conn)
            .await?;
        Ok(assemble_units(rows, succ))
    }

    async fn create_user(&self, user: &NewUser) -> Result<()> {
        let res = sqlx::query(INSERT_USER)
            .bind(&user.username)
            .bind(&user.password_hash)
            .bind(user.role.code())
            .bind(&user.unit)
            .bind(Utc::now())
            .execute(self.writer())
            .await;
        match res {
            Ok(_) => Ok(()),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                Err(Error::Conflict(format!("user {}", user.username)))
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn user(&self, username: &str) -> Result<Option<User>> {
        let row: Option<UserRow> = sqlx::query_as(SELECT_USER)
            .bind(username)
            .fetch_optional(self.reader())
            .await?;
        row.map(|r| {
            Ok(User {
                role: parse_role(&r.role)?,
                username: r.username,
                password_hash: r.password_hash,
                unit: r.unit,
                created_at: r.created_at,
            })
        })
        .transpose()
    }

    async fn create_enrollment(&self, e: &NewEnrollment) -> Result<()> {
        sqlx::query(INSERT_ENROLLMENT)
            .bind(&e.code_hash)
            .bind(&e.person)
            .bind(e.role.code())
            .bind(&e.unit)
            .bind(e.created_at)
            .bind(e.expires_at)
            .bind(&e.created_by)
            .execute(self.writer())
            .await?;
        Ok(())
    }

    async fn redeem_enrollment(
        &self,
        code_hash: &str,
        now: DateTime<Utc>,
        device: &NewDevice,
    ) -> Result<Redeem> {
        let mut tx = self.writer().begin().await?;
        let row: Option<EnrollmentRow> = sqlx::query_as(SELECT_ENROLLMENT)
            .bind(code_hash)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = row else {
            return Ok(Redeem::Invalid);
        };
        if row.used_at.is_some() {
            return Ok(Redeem::Used);
        }
        if row.expires_at <= now {
            return Ok(Redeem::Expired);
        }
        let used = sqlx::query(USE_ENROLLMENT)
            .bind(code_hash)
            .bind(now)
            .bind(device.id)
            .execute(&mut *tx)
            .await?;
        if B::rows_affected(&used) != 1 {
            // Redeemed concurrently by another request.
            return Ok(Redeem::Used);
        }
        let role = parse_role(&row.role)?;
        sqlx::query(INSERT_DEVICE)
            .bind(device.id)
            .bind(&row.person)
            .bind(&device.label)
            .bind(role.code())
            .bind(&row.unit)
            .bind(&device.secret_hash)
            .bind(device.created_at)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Redeem::Enrolled(Device {
            id: device.id,
            person_name: row.person,
            label: device.label.clone(),
            role,
            unit: row.unit,
            created_at: device.created_at,
            revoked_at: None,
            last_seen_at: None,
        }))
    }

    async fn device_with_secret(&self, id: Uuid) -> Result<Option<(Device, Vec<u8>)>> {
        let row: Option<DeviceRow> = sqlx::query_as(SELECT_DEVICE)
            .bind(id)
            .fetch_optional(self.reader())
            .await?;
        row.map(DeviceRow::into_device).transpose()
    }

    async fn list_devices(&self) -> Result<Vec<Device>> {
        let rows: Vec<DeviceRow> = sqlx::query_as(LIST_DEVICES)
            .fetch_all(self.reader())
            .await?;
        rows.into_iter()
            .map(|r| r.into_device().map(|(d, _)| d))
            .collect()
    }

    async fn revoke_device(&self, id: Uuid, at: DateTime<Utc>) -> Result<Option<Device>> {
        let mut tx = self.writer().begin().await?;
        sqlx::query(REVOKE_DEVICE)
            .bind(id)
            .bind(at)
            .execute(&mut *tx)
            .await?;
        let row: Option<DeviceRow> = sqlx::query_as(SELECT_DEVICE)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        row.map(|r| r.into_device().map(|(d, _)| d)).transpose()
    }

    async fn touch_device(&self, id: Uuid, at: DateTime<Utc>) -> Result<()> {
        sqlx::query(TOUCH_DEVICE)
            .bind(id)
            .bind(at)
            .execute(self.writer())
            .await?;
        Ok(())
    }
}
