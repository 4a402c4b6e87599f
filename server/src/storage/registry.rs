//! The registry of mediation teams and mediators (migration `0006_registry.sql`, ADR 0008),
//! written once for every `Backend` like `sql.rs`.
//!
//! Values arrive validated (`crate::registry`); what depends on other rows (a team in force on
//! a membership's first day, no open membership left when a team is dissolved, one leader at a
//! time) is checked **in the statement that writes** (guarded `UPDATE … WHERE` / `INSERT …
//! SELECT … WHERE EXISTS`, partial unique indexes), so two officers editing at once cannot
//! break it. A refused write writes nothing and says why ([`Refusal`]).
//!
//! Dates: an end date (`dissolved_on`, `left_on`, `to_on`) is the first day no longer in force.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{ColumnIndex, Executor, IntoArguments};
use uuid::Uuid;

use super::backend::{Args, Backend, Bind, Column, Conn, Row};
use crate::error::Result;

/// A stored mediation team (tổ hòa giải).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TeamRow {
    /// UUIDv7.
    pub id: Uuid,
    /// Name (e.g. "Tổ hòa giải thôn Đông").
    pub name: String,
    /// Village unit code, as read on `village_on`.
    pub village: String,
    /// The day `village` is read on.
    pub village_on: NaiveDate,
    /// Ngày thành lập.
    pub established_on: NaiveDate,
    /// First day no longer in force (ngày giải thể), if dissolved.
    pub dissolved_on: Option<NaiveDate>,
    /// Free notes.
    pub notes: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Who made the last change.
    pub updated_by: String,
}

/// A stored mediator (hòa giải viên): personal data.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MediatorRow {
    /// UUIDv7.
    pub id: Uuid,
    /// Họ và tên.
    pub full_name: String,
    /// `female` / `male`.
    pub sex: String,
    /// Dân tộc (free text, e.g. "Kinh", "Tày"); may be empty.
    pub ethnicity: String,
    /// Người dân tộc thiểu số.
    pub ethnic_minority: bool,
    /// Legal qualification code (`none`, `legal_intermediate`, `law_bachelor_or_higher`).
    pub legal_qualification: String,
    /// Trained in mediation skills (đã được tập huấn, bồi dưỡng).
    pub trained: bool,
    /// Ngày được công nhận.
    pub recognised_on: NaiveDate,
    /// Ngày thôi làm hòa giải viên (first day no longer a mediator).
    pub left_on: Option<NaiveDate>,
    /// Free notes.
    pub notes: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Who made the last change.
    pub updated_by: String,
}

/// A mediator's membership of a team, `[from_on, to_on)`.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MembershipRow {
    /// UUIDv7.
    pub id: Uuid,
    /// The mediator.
    pub mediator_id: Uuid,
    /// The team.
    pub team_id: Uuid,
    /// `leader` / `member`.
    pub role: String,
    /// First day.
    pub from_on: NaiveDate,
    /// First day no longer a member.
    pub to_on: Option<NaiveDate>,
}

/// A team as counting needs it (no name, no notes).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TeamFact {
    /// Team id.
    pub id: Uuid,
    /// Village code as read on `village_on`.
    pub village: String,
    /// The day `village` is read on.
    pub village_on: NaiveDate,
    /// Ngày thành lập.
    pub established_on: NaiveDate,
    /// First day no longer in force.
    pub dissolved_on: Option<NaiveDate>,
}

/// A membership with the mediator's countable attributes (no name, no ethnicity text).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MemberFact {
    /// The mediator.
    pub mediator_id: Uuid,
    /// The team.
    pub team_id: Uuid,
    /// `leader` / `member`.
    pub role: String,
    /// First day of the membership.
    pub from_on: NaiveDate,
    /// First day no longer a member.
    pub to_on: Option<NaiveDate>,
    /// `female` / `male`.
    pub sex: String,
    /// Người dân tộc thiểu số.
    pub ethnic_minority: bool,
    /// Legal qualification code.
    pub legal_qualification: String,
    /// Trained in mediation skills.
    pub trained: bool,
    /// Ngày được công nhận.
    pub recognised_on: NaiveDate,
    /// Ngày thôi làm hòa giải viên.
    pub left_on: Option<NaiveDate>,
}

/// A membership joined with its mediator (a team's list of mediators).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The mediator.
    pub mediator: MediatorRow,
    /// The membership.
    pub membership: MembershipRow,
}

/// Why a registry write was refused (nothing was written).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No such team or mediator.
    NotFound,
    /// The team is not in force on the membership's first day.
    TeamNotInForce,
    /// A date falls outside what the other rows allow (a membership before the team's
    /// establishment, an end before a start, a second dissolution or departure).
    Dates,
    /// The team still has a mediator on or after the dissolution day.
    HasMembers,
    /// The team has a leader already.
    LeaderTaken,
    /// The mediator has no open membership (left already, or changed concurrently).
    NoOpenMembership,
}

/// What a guarded registry write did.
pub type Outcome = std::result::Result<(), Refusal>;

/// A change of a mediator's open membership on `on`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MembershipChange {
    /// End the open membership on `on` and start this one (same or another team, new role).
    Move(MembershipRow),
    /// End the open membership and the mediator's term on `on`.
    Leave,
}

/// The registry's storage.
#[async_trait]
pub trait RegistryStorage: Send + Sync {
    /// Store a new team.
    async fn create_team(&self, team: &TeamRow) -> Result<()>;
    /// Change a team's name, village, establishment date and notes (not `dissolved_on`):
    /// refused if a membership starts before the new establishment date, or the team's
    /// dissolution precedes it.
    async fn update_team(&self, team: &TeamRow) -> Result<Outcome>;
    /// Dissolve a team on `on`: refused if it is dissolved already, `on` is before its
    /// establishment, or a membership is still open on `on`.
    async fn dissolve_team(
        &self,
        id: Uuid,
        on: NaiveDate,
        at: DateTime<Utc>,
        by: &str,
    ) -> Result<Outcome>;
    /// A team by id.
    async fn team(&self, id: Uuid) -> Result<Option<TeamRow>>;
    /// Teams whose stored village code is one of `villages`, by name.
    async fn teams_in_villages(&self, villages: &[String]) -> Result<Vec<TeamRow>>;
    /// Store a mediator with a first membership, in one transaction: refused (nothing
    /// written) if the team is not in force on the membership's first day, or it has a leader
    /// and the membership is a leader's.
    async fn create_mediator(
        &self,
        mediator: &MediatorRow,
        first: &MembershipRow,
    ) -> Result<Outcome>;
    /// Change a mediator's personal fields (name, sex, ethnicity, qualification, training,
    /// notes); dates change through [`change_membership`](Self::change_membership).
    async fn update_mediator(&self, mediator: &MediatorRow) -> Result<Outcome>;
    /// A mediator and all their memberships, oldest first.
    async fn mediator(&self, id: Uuid) -> Result<Option<(MediatorRow, Vec<MembershipRow>)>>;
    /// The memberships (past and present) of `teams` with their mediators.
    async fn members_of_teams(&self, teams: &[Uuid]) -> Result<Vec<Member>>;
    /// End the mediator's open membership on `on` and move or end their term, in one
    /// transaction.
    async fn change_membership(
        &self,
        mediator_id: Uuid,
        on: NaiveDate,
        change: &MembershipChange,
        at: DateTime<Utc>,
        by: &str,
    ) -> Result<Outcome>;
    /// Every team and every membership with its mediator's countable attributes, read in one
    /// transaction (a consistent cut for the Ministry of Justice form).
    async fn registry_facts(&self) -> Result<(Vec<TeamFact>, Vec<MemberFact>)>;
}

const INSERT_TEAM: &str = "INSERT INTO mediation_teams (id, name, village, village_on, \
     established_on, dissolved_on, notes, created_at, updated_at, updated_by) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
const UPDATE_TEAM: &str = "UPDATE mediation_teams SET name = $2, village = $3, village_on = $4, \
     established_on = $5, notes = $6, updated_at = $7, updated_by = $8 \
     WHERE id = $1 AND (dissolved_on IS NULL OR dissolved_on >= $5) \
     AND NOT EXISTS (SELECT 1 FROM team_memberships m WHERE m.team_id = $1 AND m.from_on < $5)";
const DISSOLVE_TEAM: &str = "UPDATE mediation_teams SET dissolved_on = $2, updated_at = $3, \
     updated_by = $4 WHERE id = $1 AND dissolved_on IS NULL AND established_on <= $2 \
     AND NOT EXISTS (SELECT 1 FROM team_memberships m WHERE m.team_id = $1 \
     AND (m.to_on IS NULL OR m.to_on > $2))";
const TEAM_COLUMNS: &str = "id, name, village, village_on, established_on, dissolved_on, notes, \
     created_at, updated_at, updated_by";
const TEAM_EXISTS: &str = "SELECT count(*) FROM mediation_teams WHERE id = $1";
const TEAM_HAS_OPEN: &str = "SELECT count(*) FROM team_memberships WHERE team_id = $1 \
     AND (to_on IS NULL OR to_on > $2)";
const INSERT_MEDIATOR: &str = "INSERT INTO mediators (id, full_name, sex, ethnicity, \
     ethnic_minority, legal_qualification, trained, recognised_on, left_on, notes, created_at, \
     updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)";
const UPDATE_MEDIATOR: &str = "UPDATE mediators SET full_name = $2, sex = $3, ethnicity = $4, \
     ethnic_minority = $5, legal_qualification = $6, trained = $7, notes = $8, updated_at = $9, \
     updated_by = $10 WHERE id = $1";
const MEDIATOR_COLUMNS: &str = "id, full_name, sex, ethnicity, ethnic_minority, \
     legal_qualification, trained, recognised_on, left_on, notes, created_at, updated_at, \
     updated_by";
/// Insert a membership only if its team is in force on its first day.
const INSERT_MEMBERSHIP: &str = "INSERT INTO team_memberships \
     (id, mediator_id, team_id, role, from_on, to_on) \
     SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS (SELECT 1 FROM mediation_teams t \
     WHERE t.id = $3 AND t.established_on <= $5 AND (t.dissolved_on IS NULL OR t.dissolved_on > $5))";
const MEMBERSHIP_COLUMNS: &str = "id, mediator_id, team_id, role, from_on, to_on";
const LEADER_OPEN: &str = "SELECT count(*) FROM team_memberships WHERE team_id = $1 \
     AND role = 'leader' AND to_on IS NULL";
const CLOSE_MEMBERSHIP: &str = "UPDATE team_memberships SET to_on = $2 \
     WHERE mediator_id = $1 AND to_on IS NULL AND from_on <= $2";
const LEAVE: &str = "UPDATE mediators SET left_on = $2, updated_at = $3, updated_by = $4 \
     WHERE id = $1 AND left_on IS NULL AND recognised_on <= $2";
const TOUCH_MEDIATOR: &str = "UPDATE mediators SET updated_at = $2, updated_by = $3 WHERE id = $1";
const TEAM_FACTS: &str = "SELECT id, village, village_on, established_on, dissolved_on \
     FROM mediation_teams ORDER BY id";
const MEMBER_FACTS: &str = "SELECT m.mediator_id, m.team_id, m.role, m.from_on, m.to_on, d.sex, \
     d.ethnic_minority, d.legal_qualification, d.trained, d.recognised_on, d.left_on \
     FROM team_memberships m JOIN mediators d ON d.id = m.mediator_id \
     ORDER BY m.mediator_id, m.from_on, m.id";

/// A membership and its mediator in one row (`members_of_teams`).
#[derive(sqlx::FromRow)]
struct MemberJoin {
    #[sqlx(flatten)]
    mediator: MediatorRow,
    membership_id: Uuid,
    team_id: Uuid,
    role: String,
    from_on: NaiveDate,
    to_on: Option<NaiveDate>,
}

fn unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

#[async_trait]
impl<B> RegistryStorage for B
where
    B: Backend,
    for<'c> &'c mut Conn<B>: Executor<'c, Database = B::Db>,
    Args<B>: IntoArguments<B::Db>,
    usize: ColumnIndex<Row<B>>,
    for<'a> &'a str: Bind<B::Db> + ColumnIndex<Row<B>>,
    i64: Column<B::Db>,
    bool: Column<B::Db>,
    String: Column<B::Db>,
    Uuid: Column<B::Db>,
    NaiveDate: Column<B::Db>,
    Option<NaiveDate>: Column<B::Db>,
    DateTime<Utc>: Column<B::Db>,
{
    async fn create_team(&self, t: &TeamRow) -> Result<()> {
        sqlx::query(INSERT_TEAM)
            .bind(t.id)
            .bind(&t.name)
            .bind(&t.village)
            .bind(t.village_on)
            .bind(t.established_on)
            .bind(t.dissolved_on)
            .bind(&t.notes)
            .bind(t.created_at)
            .bind(t.updated_at)
            .bind(&t.updated_by)
            .execute(self.writer())
            .await?;
        Ok(())
    }

    async fn update_team(&self, t: &TeamRow) -> Result<Outcome> {
        let mut tx = self.writer().begin().await?;
        let r = sqlx::query(UPDATE_TEAM)
            .bind(t.id)
            .bind(&t.name)
            .bind(&t.village)
            .bind(t.village_on)
            .bind(t.established_on)
            .bind(&t.notes)
            .bind(t.updated_at)
            .bind(&t.updated_by)
            .execute(&mut *tx)
            .await?;
        if B::rows_affected(&r) == 1 {
            tx.commit().await?;
            return Ok(Ok(()));
        }
        let (n,): (i64,) = sqlx::query_as(TEAM_EXISTS)
            .bind(t.id)
            .fetch_one(&mut *tx)
            .await?;
        Ok(Err(if n == 0 {
            Refusal::NotFound
        } else {
            Refusal::Dates
        }))
    }

    async fn dissolve_team(
        &self,
        id: Uuid,
        on: NaiveDate,
        at: DateTime<Utc>,
        by: &str,
    ) -> Result<Outcome> {
        let mut tx = self.writer().begin().await?;
        let r = sqlx::query(DISSOLVE_TEAM)
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
        let (n,): (i64,) = sqlx::query_as(TEAM_EXISTS)
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        if n == 0 {
            return Ok(Err(Refusal::NotFound));
        }
        let (open,): (i64,) = sqlx::query_as(TEAM_HAS_OPEN)
            .bind(id)
            .bind(on)
            .fetch_one(&mut *tx)
            .await?;
        Ok(Err(if open > 0 {
            Refusal::HasMembers
        } else {
            Refusal::Dates
        }))
    }

    async fn team(&self, id: Uuid) -> Result<Option<TeamRow>> {
        let sql = format!("SELECT {TEAM_COLUMNS} FROM mediation_teams WHERE id = $1");
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(self.reader())
            .await?)
    }

    async fn teams_in_villages(&self, villages: &[String]) -> Result<Vec<TeamRow>> {
        let sql = format!("SELECT {TEAM_COLUMNS} FROM mediation_teams WHERE village = $1");
        let mut out: Vec<TeamRow> = Vec::new();
        let mut conn = self.reader().acquire().await?;
        // A commune has a handful of villages: one indexed query per code.
        for v in villages {
            let rows: Vec<TeamRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(v.as_str())
                .fetch_all(&mut *conn)
                .await?;
            out.extend(rows);
        }
        out.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        out.dedup_by_key(|t| t.id);
        Ok(out)
    }

    async fn create_mediator(&self, m: &MediatorRow, first: &MembershipRow) -> Result<Outcome> {
        let mut tx = self.writer().begin().await?;
        sqlx::query(INSERT_MEDIATOR)
            .bind(m.id)
            .bind(&m.full_name)
            .bind(&m.sex)
            .bind(&m.ethnicity)
            .bind(m.ethnic_minority)
            .bind(&m.legal_qualification)
            .bind(m.trained)
            .bind(m.recognised_on)
            .bind(m.left_on)
            .bind(&m.notes)
            .bind(m.created_at)
            .bind(m.updated_at)
            .bind(&m.updated_by)
            .execute(&mut *tx)
            .await?;
        // Dropping `tx` on a refusal rolls the mediator back.
        if let Err(refusal) = insert_membership::<B>(&mut tx, first).await? {
            return Ok(Err(refusal));
        }
        tx.commit().await?;
        Ok(Ok(()))
    }

    async fn update_mediator(&self, m: &MediatorRow) -> Result<Outcome> {
        let r = sqlx::query(UPDATE_MEDIATOR)
            .bind(m.id)
            .bind(&m.full_name)
            .bind(&m.sex)
            .bind(&m.ethnicity)
            .bind(m.ethnic_minority)
            .bind(&m.legal_qualification)
            .bind(m.trained)
            .bind(&m.notes)
            .bind(m.updated_at)
            .bind(&m.updated_by)
            .execute(self.writer())
            .await?;
        Ok(if B::rows_affected(&r) == 1 {
            Ok(())
        } else {
            Err(Refusal::NotFound)
        })
    }

    async fn mediator(&self, id: Uuid) -> Result<Option<(MediatorRow, Vec<MembershipRow>)>> {
        let mut conn = self.reader().acquire().await?;
        let sql = format!("SELECT {MEDIATOR_COLUMNS} FROM mediators WHERE id = $1");
        let row: Option<MediatorRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let sql = format!(
            "SELECT {MEMBERSHIP_COLUMNS} FROM team_memberships WHERE mediator_id = $1 \
             ORDER BY from_on, id"
        );
        let memberships: Vec<MembershipRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_all(&mut *conn)
            .await?;
        Ok(Some((row, memberships)))
    }

    async fn members_of_teams(&self, teams: &[Uuid]) -> Result<Vec<Member>> {
        let sql = "SELECT d.id, d.full_name, d.sex, d.ethnicity, d.ethnic_minority, \
             d.legal_qualification, d.trained, d.recognised_on, d.left_on, d.notes, \
             d.created_at, d.updated_at, d.updated_by, m.id AS membership_id, m.team_id, m.role, \
             m.from_on, m.to_on FROM team_memberships m JOIN mediators d ON d.id = m.mediator_id \
             WHERE m.team_id = $1 ORDER BY m.from_on, m.id";
        let mut conn = self.reader().acquire().await?;
        let mut out = Vec::new();
        for team in teams {
            let rows: Vec<MemberJoin> = sqlx::query_as(sql)
                .bind(*team)
                .fetch_all(&mut *conn)
                .await?;
            out.extend(rows.into_iter().map(|r| Member {
                membership: MembershipRow {
                    id: r.membership_id,
                    mediator_id: r.mediator.id,
                    team_id: r.team_id,
                    role: r.role,
                    from_on: r.from_on,
                    to_on: r.to_on,
                },
                mediator: r.mediator,
            }));
        }
        Ok(out)
    }

    async fn change_membership(
        &self,
        mediator_id: Uuid,
        on: NaiveDate,
        change: &MembershipChange,
        at: DateTime<Utc>,
        by: &str,
    ) -> Result<Outcome> {
        let mut tx = self.writer().begin().await?;
        let exists = sqlx::query(TOUCH_MEDIATOR)
            .bind(mediator_id)
            .bind(at)
            .bind(by)
            .execute(&mut *tx)
            .await?;
        if B::rows_affected(&exists) == 0 {
            return Ok(Err(Refusal::NotFound));
        }
        let closed = sqlx::query(CLOSE_MEMBERSHIP)
            .bind(mediator_id)
            .bind(on)
            .execute(&mut *tx)
            .await?;
        if B::rows_affected(&closed) != 1 {
            return Ok(Err(Refusal::NoOpenMembership));
        }
        match change {
            MembershipChange::Move(next) => {
                if let Err(refusal) = insert_membership::<B>(&mut tx, next).await? {
                    return Ok(Err(refusal));
                }
            }
            MembershipChange::Leave => {
                let r = sqlx::query(LEAVE)
                    .bind(mediator_id)
                    .bind(on)
                    .bind(at)
                    .bind(by)
                    .execute(&mut *tx)
                    .await?;
                if B::rows_affected(&r) != 1 {
                    return Ok(Err(Refusal::Dates));
                }
            }
        }
        tx.commit().await?;
        Ok(Ok(()))
    }

    async fn registry_facts(&self) -> Result<(Vec<TeamFact>, Vec<MemberFact>)> {
        // One transaction: both reads see the same state (SQLite: one read snapshot;
        // PostgreSQL: REPEATABLE READ).
        let mut tx = self.reader().begin().await?;
        if B::NAME == "postgres" {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(&mut *tx)
                .await?;
        }
        let teams: Vec<TeamFact> = sqlx::query_as(TEAM_FACTS).fetch_all(&mut *tx).await?;
        let members: Vec<MemberFact> = sqlx::query_as(MEMBER_FACTS).fetch_all(&mut *tx).await?;
        tx.commit().await?;
        Ok((teams, members))
    }
}

/// Insert a membership in `tx` if its team is in force on its first day and, for a leader,
/// the team has no open leader.
async fn insert_membership<B>(
    tx: &mut sqlx::Transaction<'_, B::Db>,
    m: &MembershipRow,
) -> Result<Outcome>
where
    B: Backend,
    for<'c> &'c mut Conn<B>: Executor<'c, Database = B::Db>,
    Args<B>: IntoArguments<B::Db>,
    usize: ColumnIndex<Row<B>>,
    for<'a> &'a str: Bind<B::Db>,
    i64: Column<B::Db>,
    String: Column<B::Db>,
    Uuid: Column<B::Db>,
    NaiveDate: Column<B::Db>,
    Option<NaiveDate>: Column<B::Db>,
{
    if m.role == "leader" {
        let (n,): (i64,) = sqlx::query_as(LEADER_OPEN)
            .bind(m.team_id)
            .fetch_one(&mut **tx)
            .await?;
        if n > 0 {
            return Ok(Err(Refusal::LeaderTaken));
        }
    }
    let r = sqlx::query(INSERT_MEMBERSHIP)
        .bind(m.id)
        .bind(m.mediator_id)
        .bind(m.team_id)
        .bind(m.role.as_str())
        .bind(m.from_on)
        .bind(m.to_on)
        .execute(&mut **tx)
        .await;
    match r {
        Ok(r) if B::rows_affected(&r) == 1 => Ok(Ok(())),
        Ok(_) => Ok(Err(Refusal::TeamNotInForce)),
        // A leader inserted concurrently (partial unique index).
        Err(e) if unique_violation(&e) => Ok(Err(Refusal::LeaderTaken)),
        Err(e) => Err(e.into()),
    }
}
