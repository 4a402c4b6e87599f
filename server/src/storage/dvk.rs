//! The register of "Dân vận khéo" models (migration `0008_dvk_models.sql`, ADR 0008 section
//! "Dân vận khéo models"), written once for every `Backend` like `registry.rs`.
//!
//! Values arrive validated (`crate::dvk`); what depends on the stored row (an end date not
//! before the model's start and recognition, no second end, edited dates not after a stored
//! end) is checked **in the statement that writes** (guarded `UPDATE … WHERE`), so two officers
//! editing at once cannot break it. A refused write writes nothing and says why ([`Refusal`]).
//!
//! Dates: `ended_on` is the first day the model is no longer in force.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{ColumnIndex, Executor, IntoArguments};
use uuid::Uuid;

use super::backend::{Args, Backend, Bind, Column, Conn, Row};
use crate::error::Result;

/// A stored "Dân vận khéo" model.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DvkModelRow {
    /// UUIDv7.
    pub id: Uuid,
    /// Unit code (a commune, a legacy district or the city), as read on `unit_on`.
    pub unit: String,
    /// The day `unit` is read on.
    pub unit_on: NaiveDate,
    /// Tên mô hình.
    pub name: String,
    /// Lĩnh vực code (`crate::dvk::DvkField`).
    pub field: String,
    /// Tập thể, cá nhân thực hiện, one per line (personal data: the commune only).
    pub participants: String,
    /// Mô tả.
    pub description: String,
    /// Ngày bắt đầu.
    pub started_on: NaiveDate,
    /// Cấp công nhận code (`crate::dvk::RecognitionLevel`), if recognised.
    pub recognised_level: Option<String>,
    /// The recognising body (e.g. "Ban Dân vận Thành ủy"); may be empty.
    pub recognised_by: String,
    /// Ngày công nhận, if recognised.
    pub recognised_on: Option<NaiveDate>,
    /// Khen thưởng.
    pub commended: bool,
    /// The commending body; empty unless commended.
    pub commended_by: String,
    /// Hình thức khen thưởng code (`crate::dvk::CommendationForm`), if commended.
    pub commended_form: Option<String>,
    /// Ngày khen thưởng, if commended.
    pub commended_on: Option<NaiveDate>,
    /// First day no longer in force (ngày dừng, kết thúc), if ended.
    pub ended_on: Option<NaiveDate>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Who registered it.
    pub created_by: String,
    /// Who made the last change.
    pub updated_by: String,
}

/// A model as counting and the de-identified lists need it (no participants, no description,
/// no usernames).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DvkFact {
    /// Model id.
    pub id: Uuid,
    /// Unit code as read on `unit_on`.
    pub unit: String,
    /// The day `unit` is read on.
    pub unit_on: NaiveDate,
    /// Tên mô hình (not personal data).
    pub name: String,
    /// Lĩnh vực code.
    pub field: String,
    /// Ngày bắt đầu.
    pub started_on: NaiveDate,
    /// Cấp công nhận code.
    pub recognised_level: Option<String>,
    /// Ngày công nhận.
    pub recognised_on: Option<NaiveDate>,
    /// Khen thưởng.
    pub commended: bool,
    /// Hình thức khen thưởng code.
    pub commended_form: Option<String>,
    /// Ngày khen thưởng.
    pub commended_on: Option<NaiveDate>,
    /// First day no longer in force.
    pub ended_on: Option<NaiveDate>,
}

/// Why a write was refused (nothing was written).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No such model.
    NotFound,
    /// The dates do not fit the stored row (an end before the start or the recognition, new
    /// dates after the stored end).
    Dates,
    /// The model has ended already.
    Ended,
}

/// What a guarded write did.
pub type Outcome = std::result::Result<(), Refusal>;

/// The register's storage.
#[async_trait]
pub trait DvkStorage: Send + Sync {
    /// Store a new model.
    async fn create_dvk_model(&self, model: &DvkModelRow) -> Result<()>;
    /// Change every field of a model but `ended_on`, `created_at` and `created_by`: refused if
    /// it ended before the new start or recognition day.
    async fn update_dvk_model(&self, model: &DvkModelRow) -> Result<Outcome>;
    /// End a model on `on` (first day no longer in force): refused if it ended already or `on`
    /// precedes its start or recognition.
    async fn end_dvk_model(
        &self,
        id: Uuid,
        on: NaiveDate,
        at: DateTime<Utc>,
        by: &str,
    ) -> Result<Outcome>;
    /// A model by id.
    async fn dvk_model(&self, id: Uuid) -> Result<Option<DvkModelRow>>;
    /// Models whose stored unit code is one of `units`, by name.
    async fn dvk_models_of_units(&self, units: &[String]) -> Result<Vec<DvkModelRow>>;
    /// Every model, de-identified, by id (counting and lists above the commune).
    async fn dvk_facts(&self) -> Result<Vec<DvkFact>>;
}

const COLUMNS: &str = "id, unit, unit_on, name, field, participants, description, started_on, \
     recognised_level, recognised_by, recognised_on, commended, commended_by, commended_form, \
     commended_on, ended_on, created_at, updated_at, created_by, updated_by";
const INSERT: &str = "INSERT INTO dvk_models (id, unit, unit_on, name, field, participants, \
     description, started_on, recognised_level, recognised_by, recognised_on, commended, \
     commended_by, commended_form, commended_on, ended_on, created_at, updated_at, created_by, \
     updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
     $17, $18, $19, $20)";
/// Guarded: a stored end must not precede the new start, recognition or commendation.
const UPDATE: &str = "UPDATE dvk_models SET unit = $2, unit_on = $3, name = $4, field = $5, \
     participants = $6, description = $7, started_on = $8, recognised_level = $9, \
     recognised_by = $10, recognised_on = $11, commended = $12, commended_by = $13, \
     commended_form = $14, commended_on = $15, updated_at = $16, updated_by = $17 \
     WHERE id = $1 AND (ended_on IS NULL OR (ended_on >= $8 \
     AND ($11 IS NULL OR ended_on >= $11)))";
/// Guarded: not ended yet, and `on` not before the start or the recognition.
const END: &str = "UPDATE dvk_models SET ended_on = $2, updated_at = $3, updated_by = $4 \
     WHERE id = $1 AND ended_on IS NULL AND started_on <= $2 \
     AND (recognised_on IS NULL OR recognised_on <= $2)";
const EXISTS: &str = "SELECT count(*) FROM dvk_models WHERE id = $1";
const ENDED: &str = "SELECT count(*) FROM dvk_models WHERE id = $1 AND ended_on IS NOT NULL";
const FACTS: &str = "SELECT id, unit, unit_on, name, field, started_on, recognised_level, \
     recognised_on, commended, commended_form, commended_on, ended_on FROM dvk_models ORDER BY id";

#[async_trait]
impl<B> DvkStorage for B
where
    B: Backend,
    for<'c> &'c mut Conn<B>: Executor<'c, Database = B::Db>,
    Args<B>: IntoArguments<B::Db>,
    usize: ColumnIndex<Row<B>>,
    for<'a> &'a str: Bind<B::Db> + ColumnIndex<Row<B>>,
    i64: Column<B::Db>,
    bool: Column<B::Db>,
    String: Column<B::Db>,
    Option<String>: Column<B::Db>,
    Uuid: Column<B::Db>,
    NaiveDate: Column<B::Db>,
    Option<NaiveDate>: Column<B::Db>,
    DateTime<Utc>: Column<B::Db>,
{
    async fn create_dvk_model(&self, m: &DvkModelRow) -> Result<()> {
        sqlx::query(INSERT)
            .bind(m.id)
            .bind(&m.unit)
            .bind(m.unit_on)
            .bind(&m.name)
            .bind(&m.field)
            .bind(&m.participants)
            .bind(&m.description)
            .bind(m.started_on)
            .bind(&m.recognised_level)
            .bind(&m.recognised_by)
            .bind(m.recognised_on)
            .bind(m.commended)
            .bind(&m.commended_by)
            .bind(&m.commended_form)
            .bind(m.commended_on)
            .bind(m.ended_on)
            .bind(m.created_at)
            .bind(m.updated_at)
            .bind(&m.created_by)
            .bind(&m.updated_by)
            .execute(self.writer())
            .await?;
        Ok(())
    }

    async fn update_dvk_model(&self, m: &DvkModelRow) -> Result<Outcome> {
        let mut tx = self.writer().begin().await?;
        let r = sqlx::query(UPDATE)
            .bind(m.id)
            .bind(&m.unit)
            .bind(m.unit_on)
            .bind(&m.name)
            .bind(&m.field)
            .bind(&m.participants)
            .bind(&m.description)
            .bind(m.started_on)
            .bind(&m.recognised_level)
            .bind(&m.recognised_by)
            .bind(m.recognised_on)
            .bind(m.commended)
            .bind(&m.commended_by)
            .bind(&m.commended_form)
            .bind(m.commended_on)
            .bind(m.updated_at)
            .bind(&m.updated_by)
            .execute(&mut *tx)
            .await?;
        if B::rows_affected(&r) == 1 {
            tx.commit().await?;
            return Ok(Ok(()));
        }
        let (n,): (i64,) = sqlx::query_as(EXISTS)
            .bind(m.id)
            .fetch_one(&mut *tx)
            .await?;
        Ok(Err(if n == 0 {
            Refusal::NotFound
        } else {
            Refusal::Dates
        }))
    }

    async fn end_dvk_model(
        &self,
        id: Uuid,
        on: NaiveDate,
        at: DateTime<Utc>,
        by: &str,
    ) -> Result<Outcome> {
        let mut tx = self.writer().begin().await?;
        let r = sqlx::query(END)
            .bind(id)
            .bind(on)
            .bind(at)
            .bind(by)
            .execute(&mut *tx)
            .await?;
        if B::rows_affected(&r) == 1 {
            tx.commit().await?;
            return Ok(Ok(()));
        }
        let (n,): (i64,) = sqlx::query_as(EXISTS).bind(id).fetch_one(&mut *tx).await?;
        if n == 0 {
            return Ok(Err(Refusal::NotFound));
        }
        let (ended,): (i64,) = sqlx::query_as(ENDED).bind(id).fetch_one(&mut *tx).await?;
        Ok(Err(if ended > 0 {
            Refusal::Ended
        } else {
            Refusal::Dates
        }))
    }

    async fn dvk_model(&self, id: Uuid) -> Result<Option<DvkModelRow>> {
        let sql = format!("SELECT {COLUMNS} FROM dvk_models WHERE id = $1");
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(self.reader())
            .await?)
    }

    async fn dvk_models_of_units(&self, units: &[String]) -> Result<Vec<DvkModelRow>> {
        let sql = format!("SELECT {COLUMNS} FROM dvk_models WHERE unit = $1");
        let mut out: Vec<DvkModelRow> = Vec::new();
        let mut conn = self.reader().acquire().await?;
        // A commune resolves from a handful of unit codes: one indexed query per code.
        for u in units {
            let rows: Vec<DvkModelRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(u.as_str())
                .fetch_all(&mut *conn)
                .await?;
            out.extend(rows);
        }
        out.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        out.dedup_by_key(|m| m.id);
        Ok(out)
    }

    async fn dvk_facts(&self) -> Result<Vec<DvkFact>> {
        Ok(sqlx::query_as(FACTS).fetch_all(self.reader()).await?)
    }
}
