//! The registry of mediation teams and mediators over HTTP (ADR 0008): the JSON API
//! (`/api/v1/teams`, `/api/v1/mediators`, `/api/v1/team-figures`) and the dashboard pages
//! (`/teams`, `/teams/{id}`, `/mediators/{id}`) with their forms.
//!
//! Names are for commune officers, within their commune as of today (403 `registry_forbidden`
//! for every other role, 403 `out_of_scope` for another commune's team); above the commune
//! only the counts ([`TeamFigures`]) are served. Every write checks the CSRF token (header
//! `x-csrf-token` on the API, form field `csrf` on the dashboard) and the Origin, validates its
//! input before anything is written (4xx with a stable code), and writes in one guarded
//! statement or transaction (`storage/registry.rs`).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use chrono::{NaiveDate, Utc};
use danvan_core::{Coded, Lang};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::aggregate::resolve::{Place, lowest_common_ancestor};
use crate::error::{ApiError, ErrorCode};
use crate::json::Json;
use crate::registry::{
    self, LegalQualification, MAX_NAME, MAX_NOTES, Sex, TeamFigures, TeamRole, check_date,
    check_order, check_village, clean_text, team_place,
};
use crate::roles::Role;
use crate::state::AppState;
use crate::storage::registry::{
    MediatorRow, Member, MembershipChange, MembershipRow, Outcome, Refusal, TeamRow,
};
use crate::units::{UnitTree, level};
use crate::web::access;
use crate::web::i18n::{Messages, messages};
use crate::web::render::{enc, error_page, html, lang_code};
use crate::web::session::{CSRF_HEADER, PageViewer, ReqLang, Viewer, check_csrf};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/teams", get(api_list_teams).post(api_create_team))
        .route("/api/v1/teams/{id}", get(api_team).put(api_update_team))
        .route("/api/v1/teams/{id}/dissolve", post(api_dissolve_team))
        .route(
            "/api/v1/mediators",
            get(api_list_mediators).post(api_create_mediator),
        )
        .route(
            "/api/v1/mediators/{id}",
            get(api_mediator).put(api_update_mediator),
        )
        .route("/api/v1/mediators/{id}/move", post(api_move_mediator))
        .route("/api/v1/mediators/{id}/end", post(api_end_mediator))
        .route("/api/v1/team-figures", get(api_team_figures))
        .route("/teams", get(page_teams).post(form_create_team))
        .route("/teams/{id}", get(page_team).post(form_update_team))
        .route("/teams/{id}/dissolve", post(form_dissolve_team))
        .route("/teams/{id}/mediators", post(form_create_mediator))
        .route(
            "/mediators/{id}",
            get(page_mediator).post(form_update_mediator),
        )
        .route("/mediators/{id}/move", post(form_move_mediator))
        .route("/mediators/{id}/end", post(form_end_mediator))
}

// ---------------------------------------------------------------------------------------------
// Scope and the operations both the API and the forms use.

/// Names of the registry are for commune officers (403 `registry_forbidden` otherwise).
fn editor(viewer: &Viewer) -> Result<(), ApiError> {
    if viewer.role == Role::CommuneOfficer {
        Ok(())
    } else {
        Err(ApiError::new(ErrorCode::RegistryForbidden))
    }
}

/// Whether a team's village lies in `commune`'s subtree today (a split village: when all its
/// successors do).
fn team_within(tree: &UnitTree, team: &TeamRow, commune: &str, today: NaiveDate) -> bool {
    match team_place(tree, &team.village, team.village_on, today) {
        Place::Unit(c) => tree.is_within(&c, commune, today),
        Place::Unallocated { candidates, .. } => lowest_common_ancestor(tree, &candidates, today)
            .is_some_and(|lca| tree.is_within(&lca, commune, today)),
        Place::Unknown => false,
    }
}

/// A team the viewer may see and edit (404 `not_found`, 403 `out_of_scope`).
async fn team_in_scope(state: &AppState, viewer: &Viewer, id: Uuid) -> Result<TeamRow, ApiError> {
    editor(viewer)?;
    let team = state
        .storage
        .team(id)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound).with_detail(format!("team {id}")))?;
    if !team_within(&state.units.tree(), &team, &viewer.unit, access::today()) {
        return Err(ApiError::new(ErrorCode::OutOfScope));
    }
    Ok(team)
}

/// A mediator the viewer may see and edit: the team of their latest membership is in scope.
async fn mediator_in_scope(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
) -> Result<(MediatorRow, Vec<MembershipRow>), ApiError> {
    editor(viewer)?;
    let (m, memberships) =
        state.storage.mediator(id).await?.ok_or_else(|| {
            ApiError::new(ErrorCode::NotFound).with_detail(format!("mediator {id}"))
        })?;
    let last = memberships
        .last()
        .ok_or_else(|| ApiError::internal(format!("mediator {id} without membership")))?;
    team_in_scope(state, viewer, last.team_id).await?;
    Ok((m, memberships))
}

/// The teams of the viewer's commune (today), by name, with their memberships.
async fn teams_of(state: &AppState, viewer: &Viewer) -> Result<Vec<TeamView>, ApiError> {
    editor(viewer)?;
    let tree = state.units.tree();
    let today = access::today();
    let codes: Vec<String> =
        crate::aggregate::resolve::units_resolving_into(&tree, &viewer.unit, today)
            .into_iter()
            .map(|c| c.code)
            .collect();
    let mut teams = state.storage.teams_in_villages(&codes).await?;
    teams.retain(|t| team_within(&tree, t, &viewer.unit, today));
    let ids: Vec<Uuid> = teams.iter().map(|t| t.id).collect();
    let members = state.storage.members_of_teams(&ids).await?;
    Ok(teams
        .into_iter()
        .map(|t| {
            let ms = members
                .iter()
                .filter(|m| m.membership.team_id == t.id)
                .cloned()
                .collect();
            TeamView::new(&tree, t, ms, today)
        })
        .collect())
}

fn refused(r: Refusal) -> ApiError {
    let code = match r {
        Refusal::NotFound => ErrorCode::NotFound,
        Refusal::TeamNotInForce => ErrorCode::TeamNotInForce,
        Refusal::Dates => ErrorCode::BadDates,
        Refusal::HasMembers => ErrorCode::TeamHasMediators,
        Refusal::LeaderTaken => ErrorCode::TeamHasLeader,
        Refusal::NoOpenMembership => ErrorCode::NoOpenMembership,
    };
    ApiError::new(code).with_detail(format!("registry write refused: {r:?}"))
}

fn done(o: Outcome) -> Result<(), ApiError> {
    o.map_err(refused)
}

/// A team to create or the new values of one (`dissolved_on` changes through `/dissolve`).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamInput {
    /// Name, 1-200 characters.
    pub name: String,
    /// Village (thôn / tổ dân phố) unit code, in the officer's commune.
    #[schema(example = "11533-T01")]
    pub village: String,
    /// The day the village code is read on (default: today).
    pub village_on: Option<NaiveDate>,
    /// Ngày thành lập.
    pub established_on: NaiveDate,
    /// Notes, at most 2,000 characters.
    pub notes: Option<String>,
}

/// Validate a team's fields; the village must be a village in the viewer's commune.
fn team_row(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    input: &TeamInput,
) -> Result<TeamRow, ApiError> {
    let today = access::today();
    let name = clean_text(&input.name, MAX_NAME, false, true)?;
    let notes = clean_text(input.notes.as_deref().unwrap_or(""), MAX_NOTES, true, false)?;
    let village = clean_text(&input.village, 64, false, true)?;
    let village_on = check_date(input.village_on.unwrap_or(today), today)?;
    let established_on = check_date(input.established_on, today)?;
    let tree = state.units.tree();
    check_village(&tree, &village, village_on)?;
    let now = Utc::now();
    let row = TeamRow {
        id,
        name,
        village,
        village_on,
        established_on,
        dissolved_on: None,
        notes,
        created_at: now,
        updated_at: now,
        updated_by: viewer.username.clone(),
    };
    if !team_within(&tree, &row, &viewer.unit, today) {
        return Err(ApiError::new(ErrorCode::OutOfScope));
    }
    Ok(row)
}

async fn create_team(
    state: &AppState,
    viewer: &Viewer,
    input: &TeamInput,
) -> Result<TeamRow, ApiError> {
    editor(viewer)?;
    let row = team_row(state, viewer, Uuid::now_v7(), input)?;
    state.storage.create_team(&row).await?;
    Ok(row)
}

async fn update_team(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    input: &TeamInput,
) -> Result<TeamRow, ApiError> {
    let old = team_in_scope(state, viewer, id).await?;
    let mut row = team_row(state, viewer, id, input)?;
    if let Some(d) = old.dissolved_on {
        check_order(row.established_on, d)?;
    }
    row.created_at = old.created_at;
    row.dissolved_on = old.dissolved_on;
    done(state.storage.update_team(&row).await?)?;
    Ok(row)
}

/// An end date: a team's dissolution, a mediator's departure.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndInput {
    /// The first day no longer in force (ngày giải thể / ngày thôi làm hòa giải viên).
    pub on: NaiveDate,
}

async fn dissolve_team(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    on: NaiveDate,
) -> Result<(), ApiError> {
    let team = team_in_scope(state, viewer, id).await?;
    let on = check_date(on, access::today())?;
    check_order(team.established_on, on)?;
    done(
        state
            .storage
            .dissolve_team(id, on, Utc::now(), &viewer.username)
            .await?,
    )
}

/// A mediator to register, with their first team.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MediatorInput {
    /// Họ và tên, 1-200 characters.
    pub full_name: String,
    /// Sex.
    pub sex: Sex,
    /// Dân tộc (e.g. "Kinh", "Tày"), optional.
    pub ethnicity: Option<String>,
    /// Người dân tộc thiểu số.
    pub ethnic_minority: bool,
    /// Legal qualification.
    pub legal_qualification: LegalQualification,
    /// Trained in mediation skills.
    pub trained: bool,
    /// The team (in the officer's commune, in force on `from`).
    #[schema(value_type = String, format = "uuid")]
    pub team_id: Uuid,
    /// Role in the team.
    pub role: TeamRole,
    /// Ngày được công nhận (first day of the first membership).
    pub from: NaiveDate,
    /// Notes, at most 2,000 characters.
    pub notes: Option<String>,
}

/// New personal fields of a mediator (teams and dates change through `/move` and `/end`).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MediatorUpdate {
    /// Họ và tên.
    pub full_name: String,
    /// Sex.
    pub sex: Sex,
    /// Dân tộc.
    pub ethnicity: Option<String>,
    /// Người dân tộc thiểu số.
    pub ethnic_minority: bool,
    /// Legal qualification.
    pub legal_qualification: LegalQualification,
    /// Trained in mediation skills.
    pub trained: bool,
    /// Notes.
    pub notes: Option<String>,
}

fn personal(
    viewer: &Viewer,
    id: Uuid,
    u: &MediatorUpdate,
    recognised_on: NaiveDate,
) -> Result<MediatorRow, ApiError> {
    let now = Utc::now();
    Ok(MediatorRow {
        id,
        full_name: clean_text(&u.full_name, MAX_NAME, false, true)?,
        sex: u.sex.code().to_string(),
        ethnicity: clean_text(u.ethnicity.as_deref().unwrap_or(""), MAX_NAME, false, false)?,
        ethnic_minority: u.ethnic_minority,
        legal_qualification: u.legal_qualification.code().to_string(),
        trained: u.trained,
        recognised_on,
        left_on: None,
        notes: clean_text(u.notes.as_deref().unwrap_or(""), MAX_NOTES, true, false)?,
        created_at: now,
        updated_at: now,
        updated_by: viewer.username.clone(),
    })
}

async fn create_mediator(
    state: &AppState,
    viewer: &Viewer,
    input: &MediatorInput,
) -> Result<MediatorRow, ApiError> {
    editor(viewer)?;
    let from = check_date(input.from, access::today())?;
    let update = MediatorUpdate {
        full_name: input.full_name.clone(),
        sex: input.sex,
        ethnicity: input.ethnicity.clone(),
        ethnic_minority: input.ethnic_minority,
        legal_qualification: input.legal_qualification,
        trained: input.trained,
        notes: input.notes.clone(),
    };
    let row = personal(viewer, Uuid::now_v7(), &update, from)?;
    team_in_scope(state, viewer, input.team_id).await?;
    let first = MembershipRow {
        id: Uuid::now_v7(),
        mediator_id: row.id,
        team_id: input.team_id,
        role: input.role.code().to_string(),
        from_on: from,
        to_on: None,
    };
    done(state.storage.create_mediator(&row, &first).await?)?;
    Ok(row)
}

async fn update_mediator(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    u: &MediatorUpdate,
) -> Result<(), ApiError> {
    let (old, _) = mediator_in_scope(state, viewer, id).await?;
    let row = personal(viewer, id, u, old.recognised_on)?;
    done(state.storage.update_mediator(&row).await?)
}

/// Move a mediator to a team (or change their role) from a day.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveInput {
    /// The team from `on` (the same team for a change of role).
    #[schema(value_type = String, format = "uuid")]
    pub team_id: Uuid,
    /// The role from `on`.
    pub role: TeamRole,
    /// First day in the new team or role (the old membership ends then).
    pub on: NaiveDate,
}

/// The open membership (400 `bad_dates` if `on` precedes it, 409 `no_open_membership` if none).
fn open_membership(memberships: &[MembershipRow], on: NaiveDate) -> Result<(), ApiError> {
    let open = memberships
        .iter()
        .find(|m| m.to_on.is_none())
        .ok_or_else(|| ApiError::new(ErrorCode::NoOpenMembership))?;
    check_order(open.from_on, on)
}

async fn move_mediator(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    input: &MoveInput,
) -> Result<(), ApiError> {
    let (_, memberships) = mediator_in_scope(state, viewer, id).await?;
    let on = check_date(input.on, access::today())?;
    open_membership(&memberships, on)?;
    team_in_scope(state, viewer, input.team_id).await?;
    let next = MembershipRow {
        id: Uuid::now_v7(),
        mediator_id: id,
        team_id: input.team_id,
        role: input.role.code().to_string(),
        from_on: on,
        to_on: None,
    };
    done(
        state
            .storage
            .change_membership(
                id,
                on,
                &MembershipChange::Move(next),
                Utc::now(),
                &viewer.username,
            )
            .await?,
    )
}

async fn end_mediator(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    on: NaiveDate,
) -> Result<(), ApiError> {
    let (m, memberships) = mediator_in_scope(state, viewer, id).await?;
    let on = check_date(on, access::today())?;
    check_order(m.recognised_on, on)?;
    open_membership(&memberships, on)?;
    done(
        state
            .storage
            .change_membership(
                id,
                on,
                &MembershipChange::Leave,
                Utc::now(),
                &viewer.username,
            )
            .await?,
    )
}

// ---------------------------------------------------------------------------------------------
// What the API and the pages show.

/// A membership of a team, with the mediator's name.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MemberItem {
    /// The mediator.
    #[schema(value_type = String, format = "uuid")]
    pub mediator_id: Uuid,
    /// Họ và tên.
    pub full_name: String,
    /// Role.
    pub role: TeamRole,
    /// First day.
    pub from: NaiveDate,
    /// First day no longer a member.
    pub to: Option<NaiveDate>,
    /// Whether the membership is in force today.
    pub current: bool,
}

/// A mediation team with its memberships (current and past).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TeamItem {
    /// Team id.
    #[schema(value_type = String, format = "uuid")]
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Village code as read on `village_on`.
    pub village: String,
    /// The day the village code is read on.
    pub village_on: NaiveDate,
    /// The village's name as of `village_on`.
    pub village_name: String,
    /// Ngày thành lập.
    pub established_on: NaiveDate,
    /// First day no longer in force (ngày giải thể).
    pub dissolved_on: Option<NaiveDate>,
    /// Whether the team is in force today.
    pub in_force: bool,
    /// Notes.
    pub notes: String,
    /// Memberships, oldest first.
    pub members: Vec<MemberItem>,
}

/// A team as the pages and the API show it.
#[derive(Debug, Clone)]
struct TeamView {
    item: TeamItem,
}

fn current(from: NaiveDate, to: Option<NaiveDate>, today: NaiveDate) -> bool {
    from <= today && to.is_none_or(|t| today < t)
}

impl TeamView {
    fn new(tree: &UnitTree, t: TeamRow, members: Vec<Member>, today: NaiveDate) -> Self {
        let village_name = tree
            .unit(&t.village, t.village_on)
            .map_or_else(|| t.village.clone(), |u| u.name.clone());
        TeamView {
            item: TeamItem {
                in_force: current(t.established_on, t.dissolved_on, today),
                id: t.id,
                name: t.name,
                village: t.village,
                village_on: t.village_on,
                village_name,
                established_on: t.established_on,
                dissolved_on: t.dissolved_on,
                notes: t.notes,
                members: members
                    .into_iter()
                    .map(|m| MemberItem {
                        mediator_id: m.mediator.id,
                        full_name: m.mediator.full_name,
                        role: TeamRole::from_code(&m.membership.role).unwrap_or(TeamRole::Member),
                        from: m.membership.from_on,
                        to: m.membership.to_on,
                        current: current(m.membership.from_on, m.membership.to_on, today),
                    })
                    .collect(),
            },
        }
    }
}

/// A team's membership of a mediator.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MembershipItem {
    /// The team.
    #[schema(value_type = String, format = "uuid")]
    pub team_id: Uuid,
    /// Role.
    pub role: TeamRole,
    /// First day.
    pub from: NaiveDate,
    /// First day no longer a member.
    pub to: Option<NaiveDate>,
}

/// A mediator (personal data: commune officers only).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MediatorItem {
    /// Mediator id.
    #[schema(value_type = String, format = "uuid")]
    pub id: Uuid,
    /// Họ và tên.
    pub full_name: String,
    /// Sex.
    pub sex: Sex,
    /// Dân tộc.
    pub ethnicity: String,
    /// Người dân tộc thiểu số.
    pub ethnic_minority: bool,
    /// Legal qualification.
    pub legal_qualification: LegalQualification,
    /// Trained in mediation skills.
    pub trained: bool,
    /// Ngày được công nhận.
    pub recognised_on: NaiveDate,
    /// Ngày thôi làm hòa giải viên (first day no longer a mediator).
    pub left_on: Option<NaiveDate>,
    /// Notes.
    pub notes: String,
    /// Memberships, oldest first.
    pub memberships: Vec<MembershipItem>,
}

fn mediator_item(
    m: MediatorRow,
    memberships: Vec<MembershipRow>,
) -> Result<MediatorItem, ApiError> {
    let corrupt =
        |what: &str, v: &str| ApiError::internal(format!("mediator {}: {what} {v:?}", m.id));
    Ok(MediatorItem {
        sex: Sex::from_code(&m.sex).ok_or_else(|| corrupt("sex", &m.sex))?,
        legal_qualification: LegalQualification::from_code(&m.legal_qualification)
            .ok_or_else(|| corrupt("legal_qualification", &m.legal_qualification))?,
        memberships: memberships
            .into_iter()
            .map(|s| {
                Ok(MembershipItem {
                    role: TeamRole::from_code(&s.role).ok_or_else(|| corrupt("role", &s.role))?,
                    team_id: s.team_id,
                    from: s.from_on,
                    to: s.to_on,
                })
            })
            .collect::<Result<_, ApiError>>()?,
        id: m.id,
        full_name: m.full_name,
        ethnicity: m.ethnicity,
        ethnic_minority: m.ethnic_minority,
        trained: m.trained,
        recognised_on: m.recognised_on,
        left_on: m.left_on,
        notes: m.notes,
    })
}

/// One row of the counts: a unit and its figures.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TeamFiguresRow {
    /// Unit code.
    pub unit: String,
    /// Unit name.
    pub name: String,
    /// Figures.
    pub figures: TeamFigures,
}

/// The teams/mediators counts of a unit's subtree for a period (de-identified).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TeamFiguresReport {
    /// The unit.
    pub unit: String,
    /// Period key.
    pub period: String,
    /// First day of the period.
    pub start: NaiveDate,
    /// The day the figures are computed as of: the period's cut-off, or today while it runs.
    pub cutoff: NaiveDate,
    /// One row per direct child unit (the unit itself for a village).
    pub rows: Vec<TeamFiguresRow>,
    /// The whole subtree.
    pub total: TeamFigures,
}

async fn figures(
    state: &AppState,
    viewer: &Viewer,
    unit: &str,
    period: Option<&str>,
) -> Result<TeamFiguresReport, ApiError> {
    let period = access::period_or_default(state, period)?;
    let t = access::resolve(state, viewer, unit, period)?;
    let tree = state.units.tree();
    // As of the cut-off, or today while the period runs (like the aggregates).
    let cut = t.as_of;
    let mut units = tree.children(&t.unit.code, cut);
    if units.is_empty() {
        units = vec![&t.unit];
    }
    let rows: Vec<String> = units.iter().map(|u| u.code.clone()).collect();
    let names: Vec<String> = units.iter().map(|u| u.name.clone()).collect();
    let (per_row, total) =
        registry::team_figures(state.storage.as_ref(), &tree, &rows, t.period.start, cut).await?;
    Ok(TeamFiguresReport {
        unit: t.unit.code.clone(),
        period: t.period.key.clone(),
        start: t.period.start,
        cutoff: cut,
        rows: rows
            .into_iter()
            .zip(names)
            .zip(per_row)
            .map(|((unit, name), figures)| TeamFiguresRow {
                unit,
                name,
                figures,
            })
            .collect(),
        total,
    })
}

// ---------------------------------------------------------------------------------------------
// The JSON API.

fn api_csrf(viewer: &Viewer, headers: &HeaderMap) -> Result<(), ApiError> {
    let sent = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    check_csrf(viewer, headers, sent)
}

async fn team_item(state: &AppState, team: TeamRow) -> Result<TeamItem, ApiError> {
    let members = state.storage.members_of_teams(&[team.id]).await?;
    Ok(TeamView::new(&state.units.tree(), team, members, access::today()).item)
}

/// The teams of the officer's commune, with their mediators (commune officers only).
#[utoipa::path(get, path = "/api/v1/teams", tag = "danvan",
    responses((status = 200, body = Vec<TeamItem>)))]
pub(crate) async fn api_list_teams(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Json<Vec<TeamItem>>, ApiError> {
    Ok(Json(
        teams_of(&state, &viewer)
            .await?
            .into_iter()
            .map(|t| t.item)
            .collect(),
    ))
}

/// Register a team in a village of the officer's commune.
#[utoipa::path(post, path = "/api/v1/teams", tag = "danvan", request_body = TeamInput,
    params(("x-csrf-token" = String, Header, description = "The session's CSRF token")),
    responses((status = 201, body = TeamItem)))]
pub(crate) async fn api_create_team(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Json(input): Json<TeamInput>,
) -> Result<Response, ApiError> {
    api_csrf(&viewer, &headers)?;
    let team = create_team(&state, &viewer, &input).await?;
    Ok((StatusCode::CREATED, Json(team_item(&state, team).await?)).into_response())
}

/// A team with its memberships.
#[utoipa::path(get, path = "/api/v1/teams/{id}", tag = "danvan",
    params(("id" = String, Path, format = "uuid", description = "Team id")),
    responses((status = 200, body = TeamItem)))]
pub(crate) async fn api_team(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
) -> Result<Json<TeamItem>, ApiError> {
    let team = team_in_scope(&state, &viewer, id).await?;
    Ok(Json(team_item(&state, team).await?))
}

/// Change a team's name, village, establishment date and notes.
#[utoipa::path(put, path = "/api/v1/teams/{id}", tag = "danvan", request_body = TeamInput,
    params(("id" = String, Path, format = "uuid", description = "Team id"),
        ("x-csrf-token" = String, Header, description = "The session's CSRF token")),
    responses((status = 200, body = TeamItem)))]
pub(crate) async fn api_update_team(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Json(input): Json<TeamInput>,
) -> Result<Json<TeamItem>, ApiError> {
    api_csrf(&viewer, &headers)?;
    let team = update_team(&state, &viewer, id, &input).await?;
    Ok(Json(team_item(&state, team).await?))
}

/// Dissolve a team from a day (every mediator must have left or moved by then).
#[utoipa::path(post, path = "/api/v1/teams/{id}/dissolve", tag = "danvan", request_body = EndInput,
    params(("id" = String, Path, format = "uuid", description = "Team id"),
        ("x-csrf-token" = String, Header, description = "The session's CSRF token")),
    responses((status = 200, body = TeamItem)))]
pub(crate) async fn api_dissolve_team(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Json(input): Json<EndInput>,
) -> Result<Json<TeamItem>, ApiError> {
    api_csrf(&viewer, &headers)?;
    dissolve_team(&state, &viewer, id, input.on).await?;
    let team = team_in_scope(&state, &viewer, id).await?;
    Ok(Json(team_item(&state, team).await?))
}

async fn mediator_answer(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
) -> Result<MediatorItem, ApiError> {
    let (m, ms) = mediator_in_scope(state, viewer, id).await?;
    mediator_item(m, ms)
}

/// The mediators of the officer's commune: everyone with a membership (current or past) in
/// one of its teams.
#[utoipa::path(get, path = "/api/v1/mediators", tag = "danvan",
    responses((status = 200, body = Vec<MediatorItem>)))]
pub(crate) async fn api_list_mediators(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Json<Vec<MediatorItem>>, ApiError> {
    let teams = teams_of(&state, &viewer).await?;
    let mut ids: Vec<Uuid> = teams
        .iter()
        .flat_map(|t| t.item.members.iter().map(|m| m.mediator_id))
        .collect();
    ids.sort();
    ids.dedup();
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some((m, ms)) = state.storage.mediator(id).await? {
            out.push(mediator_item(m, ms)?);
        }
    }
    out.sort_by(|a, b| a.full_name.cmp(&b.full_name).then(a.id.cmp(&b.id)));
    Ok(Json(out))
}

/// Register a mediator in a team of the officer's commune.
#[utoipa::path(post, path = "/api/v1/mediators", tag = "danvan", request_body = MediatorInput,
    params(("x-csrf-token" = String, Header, description = "The session's CSRF token")),
    responses((status = 201, body = MediatorItem)))]
pub(crate) async fn api_create_mediator(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Json(input): Json<MediatorInput>,
) -> Result<Response, ApiError> {
    api_csrf(&viewer, &headers)?;
    let m = create_mediator(&state, &viewer, &input).await?;
    let item = mediator_answer(&state, &viewer, m.id).await?;
    Ok((StatusCode::CREATED, Json(item)).into_response())
}

/// A mediator with their memberships.
#[utoipa::path(get, path = "/api/v1/mediators/{id}", tag = "danvan",
    params(("id" = String, Path, format = "uuid", description = "Mediator id")),
    responses((status = 200, body = MediatorItem)))]
pub(crate) async fn api_mediator(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
) -> Result<Json<MediatorItem>, ApiError> {
    Ok(Json(mediator_answer(&state, &viewer, id).await?))
}

/// Change a mediator's personal fields.
#[utoipa::path(put, path = "/api/v1/mediators/{id}", tag = "danvan", request_body = MediatorUpdate,
    params(("id" = String, Path, format = "uuid", description = "Mediator id"),
        ("x-csrf-token" = String, Header, description = "The session's CSRF token")),
    responses((status = 200, body = MediatorItem)))]
pub(crate) async fn api_update_mediator(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Json(input): Json<MediatorUpdate>,
) -> Result<Json<MediatorItem>, ApiError> {
    api_csrf(&viewer, &headers)?;
    update_mediator(&state, &viewer, id, &input).await?;
    Ok(Json(mediator_answer(&state, &viewer, id).await?))
}

/// Move a mediator to another team of the commune, or change their role, from a day.
#[utoipa::path(post, path = "/api/v1/mediators/{id}/move", tag = "danvan", request_body = MoveInput,
    params(("id" = String, Path, format = "uuid", description = "Mediator id"),
        ("x-csrf-token" = String, Header, description = "The session's CSRF token")),
    responses((status = 200, body = MediatorItem)))]
pub(crate) async fn api_move_mediator(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Json(input): Json<MoveInput>,
) -> Result<Json<MediatorItem>, ApiError> {
    api_csrf(&viewer, &headers)?;
    move_mediator(&state, &viewer, id, &input).await?;
    Ok(Json(mediator_answer(&state, &viewer, id).await?))
}

/// End a mediator's term (and their membership) from a day.
#[utoipa::path(post, path = "/api/v1/mediators/{id}/end", tag = "danvan", request_body = EndInput,
    params(("id" = String, Path, format = "uuid", description = "Mediator id"),
        ("x-csrf-token" = String, Header, description = "The session's CSRF token")),
    responses((status = 200, body = MediatorItem)))]
pub(crate) async fn api_end_mediator(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Json(input): Json<EndInput>,
) -> Result<Json<MediatorItem>, ApiError> {
    api_csrf(&viewer, &headers)?;
    end_mediator(&state, &viewer, id, input.on).await?;
    Ok(Json(mediator_answer(&state, &viewer, id).await?))
}

/// `?unit=&period=`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FiguresQuery {
    /// Unit code (default: the officer's unit).
    #[param(example = "11533")]
    pub unit: Option<String>,
    /// Period key (default: the current month).
    #[param(example = "2025-09")]
    pub period: Option<String>,
}

/// The teams/mediators counts of a unit's subtree as of a period's cut-off, one row per
/// child unit (de-identified: every officer within scope).
#[utoipa::path(get, path = "/api/v1/team-figures", tag = "danvan", params(FiguresQuery),
    responses((status = 200, body = TeamFiguresReport)))]
pub(crate) async fn api_team_figures(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<FiguresQuery>,
) -> Result<Json<TeamFiguresReport>, ApiError> {
    let unit = q.unit.unwrap_or_else(|| viewer.unit.clone());
    Ok(Json(
        figures(&state, &viewer, &unit, q.period.as_deref()).await?,
    ))
}

// ---------------------------------------------------------------------------------------------
// The dashboard pages.

struct Choice {
    code: &'static str,
    label: &'static str,
}

fn choices<T: Copy>(
    all: &[T],
    code: fn(T) -> &'static str,
    labels: fn(T) -> (&'static str, &'static str),
    lang: Lang,
) -> Vec<Choice> {
    all.iter()
        .map(|v| Choice {
            code: code(*v),
            label: if lang == Lang::En {
                labels(*v).1
            } else {
                labels(*v).0
            },
        })
        .collect()
}

struct Opt {
    code: String,
    label: String,
}

struct FigRow {
    name: String,
    f: TeamFigures,
}

#[derive(Template)]
#[template(path = "teams.html")]
struct TeamsPage<'a> {
    m: &'a Messages,
    lang: &'a str,
    username: String,
    role: &'static str,
    csrf: String,
    unit_name: String,
    period_label: String,
    cutoff: String,
    editable: bool,
    teams: Vec<TeamItem>,
    villages: Vec<Opt>,
    today: String,
    fig_rows: Vec<FigRow>,
    fig_total: TeamFigures,
}

#[derive(Deserialize)]
struct PageQuery {
    unit: Option<String>,
    period: Option<String>,
}

async fn page_teams(
    State(state): State<AppState>,
    PageViewer(viewer): PageViewer,
    ReqLang(lang): ReqLang,
    Query(q): Query<PageQuery>,
) -> Response {
    let res = async {
        let unit = q.unit.clone().unwrap_or_else(|| viewer.unit.clone());
        let report = figures(&state, &viewer, &unit, q.period.as_deref()).await?;
        let editable = viewer.role == Role::CommuneOfficer && unit == viewer.unit;
        let teams = if editable {
            teams_of(&state, &viewer)
                .await?
                .into_iter()
                .map(|t| t.item)
                .collect()
        } else {
            Vec::new()
        };
        let tree = state.units.tree();
        let today = access::today();
        let villages = if editable {
            tree.subtree(&viewer.unit, today)
                .into_iter()
                .filter_map(|c| tree.unit(&c, today))
                .filter(|u| u.level == level::VILLAGE)
                .map(|u| Opt {
                    code: u.code.clone(),
                    label: format!("{} ({})", u.name, u.code),
                })
                .collect()
        } else {
            Vec::new()
        };
        let period = access::period_or_default(&state, q.period.as_deref())?;
        let unit_name = tree
            .unit(&unit, access::tree_day(&period))
            .map_or_else(|| unit.clone(), |u| u.name.clone());
        Ok::<_, ApiError>(TeamsPage {
            m: messages(lang),
            lang: lang_code(lang),
            username: viewer.username.clone(),
            role: viewer.role.label().get(lang),
            csrf: viewer.csrf.clone(),
            unit_name,
            period_label: period.label(lang),
            cutoff: report.cutoff.format("%d/%m/%Y").to_string(),
            editable,
            teams,
            villages,
            today: today.to_string(),
            fig_rows: report
                .rows
                .into_iter()
                .map(|r| FigRow {
                    name: r.name,
                    f: r.figures,
                })
                .collect(),
            fig_total: report.total,
        })
    }
    .await;
    match res {
        Ok(page) => html(StatusCode::OK, page.render()),
        Err(e) => error_page(e, lang),
    }
}

#[derive(Template)]
#[template(path = "team.html")]
struct TeamPage<'a> {
    m: &'a Messages,
    lang: &'a str,
    username: String,
    role: &'static str,
    csrf: String,
    team: TeamItem,
    villages: Vec<Opt>,
    sexes: Vec<Choice>,
    qualifications: Vec<Choice>,
    roles: Vec<Choice>,
    today: String,
}

impl TeamPage<'_> {
    fn role_label(&self, r: &TeamRole) -> &'static str {
        let (vi, en) = r.labels();
        if self.lang == "en" { en } else { vi }
    }
}

async fn page_team(
    State(state): State<AppState>,
    PageViewer(viewer): PageViewer,
    ReqLang(lang): ReqLang,
    Path(id): Path<Uuid>,
) -> Response {
    let res = async {
        let team = team_in_scope(&state, &viewer, id).await?;
        let team = team_item(&state, team).await?;
        let tree = state.units.tree();
        let today = access::today();
        let villages = tree
            .subtree(&viewer.unit, today)
            .into_iter()
            .filter_map(|c| tree.unit(&c, today))
            .filter(|u| u.level == level::VILLAGE)
            .map(|u| Opt {
                code: u.code.clone(),
                label: format!("{} ({})", u.name, u.code),
            })
            .collect();
        Ok::<_, ApiError>(TeamPage {
            m: messages(lang),
            lang: lang_code(lang),
            username: viewer.username.clone(),
            role: viewer.role.label().get(lang),
            csrf: viewer.csrf.clone(),
            team,
            villages,
            sexes: choices(Sex::ALL, Sex::code, Sex::labels, lang),
            qualifications: choices(
                LegalQualification::ALL,
                LegalQualification::code,
                LegalQualification::labels,
                lang,
            ),
            roles: choices(TeamRole::ALL, TeamRole::code, TeamRole::labels, lang),
            today: today.to_string(),
        })
    }
    .await;
    match res {
        Ok(page) => html(StatusCode::OK, page.render()),
        Err(e) => error_page(e, lang),
    }
}

#[derive(Template)]
#[template(path = "mediator.html")]
struct MediatorPage<'a> {
    m: &'a Messages,
    lang: &'a str,
    username: String,
    role: &'static str,
    csrf: String,
    med: MediatorItem,
    back: String,
    teams: Vec<Opt>,
    memberships: Vec<(String, String, String, String)>,
    sexes: Vec<Choice>,
    qualifications: Vec<Choice>,
    roles: Vec<Choice>,
    today: String,
    active: bool,
}

async fn page_mediator(
    State(state): State<AppState>,
    PageViewer(viewer): PageViewer,
    ReqLang(lang): ReqLang,
    Path(id): Path<Uuid>,
) -> Response {
    let res = async {
        let med = mediator_answer(&state, &viewer, id).await?;
        let teams = teams_of(&state, &viewer).await?;
        let team_name = |tid: Uuid| {
            teams
                .iter()
                .find(|t| t.item.id == tid)
                .map_or_else(|| tid.to_string(), |t| t.item.name.clone())
        };
        let memberships = med
            .memberships
            .iter()
            .map(|s| {
                let (vi, en) = s.role.labels();
                (
                    team_name(s.team_id),
                    (if lang == Lang::En { en } else { vi }).to_string(),
                    s.from.format("%d/%m/%Y").to_string(),
                    s.to.map(|t| t.format("%d/%m/%Y").to_string())
                        .unwrap_or_default(),
                )
            })
            .collect();
        let back = med
            .memberships
            .last()
            .map_or_else(|| "/teams".to_string(), |s| format!("/teams/{}", s.team_id));
        Ok::<_, ApiError>(MediatorPage {
            m: messages(lang),
            lang: lang_code(lang),
            username: viewer.username.clone(),
            role: viewer.role.label().get(lang),
            csrf: viewer.csrf.clone(),
            active: med.memberships.iter().any(|s| s.to.is_none()),
            back,
            memberships,
            teams: teams
                .iter()
                .filter(|t| t.item.in_force)
                .map(|t| Opt {
                    code: t.item.id.to_string(),
                    label: t.item.name.clone(),
                })
                .collect(),
            sexes: choices(Sex::ALL, Sex::code, Sex::labels, lang),
            qualifications: choices(
                LegalQualification::ALL,
                LegalQualification::code,
                LegalQualification::labels,
                lang,
            ),
            roles: choices(TeamRole::ALL, TeamRole::code, TeamRole::labels, lang),
            today: access::today().to_string(),
            med,
        })
    }
    .await;
    match res {
        Ok(page) => html(StatusCode::OK, page.render()),
        Err(e) => error_page(e, lang),
    }
}

// Forms: fields arrive as strings (an empty date input is "", an unticked checkbox is absent);
// they are parsed here into the API's inputs, so both paths validate the same way.

fn form_date(s: &str) -> Result<NaiveDate, ApiError> {
    s.trim()
        .parse()
        .map_err(|_| ApiError::new(ErrorCode::BadDates).with_detail(format!("date {s:?}")))
}

fn form_code<T>(s: &str, from: fn(&str) -> Option<T>) -> Result<T, ApiError> {
    from(s).ok_or_else(|| ApiError::new(ErrorCode::BadRequest).with_detail(format!("code {s:?}")))
}

fn form_uuid(s: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(s.trim()).map_err(|_| ApiError::new(ErrorCode::BadRequest).with_detail("uuid"))
}

/// Run a form's action after the CSRF check; redirect to `to` when it succeeds.
async fn form_action<F>(
    viewer: &Viewer,
    headers: &HeaderMap,
    csrf: Option<&str>,
    lang: Lang,
    action: F,
) -> Response
where
    F: std::future::Future<Output = Result<String, ApiError>>,
{
    if let Err(e) = check_csrf(viewer, headers, csrf) {
        return error_page(e, lang);
    }
    match action.await {
        Ok(to) => Redirect::to(&to).into_response(),
        Err(e) => error_page(e, lang),
    }
}

#[derive(Deserialize)]
struct TeamForm {
    csrf: Option<String>,
    name: String,
    village: String,
    established_on: String,
    notes: Option<String>,
}

impl TeamForm {
    fn input(&self) -> Result<TeamInput, ApiError> {
        Ok(TeamInput {
            name: self.name.clone(),
            village: self.village.clone(),
            village_on: None,
            established_on: form_date(&self.established_on)?,
            notes: self.notes.clone(),
        })
    }
}

async fn form_create_team(
    State(state): State<AppState>,
    PageViewer(viewer): PageViewer,
    ReqLang(lang): ReqLang,
    headers: HeaderMap,
    Form(f): Form<TeamForm>,
) -> Response {
    form_action(&viewer, &headers, f.csrf.as_deref(), lang, async {
        let team = create_team(&state, &viewer, &f.input()?).await?;
        Ok(format!("/teams/{}", team.id))
    })
    .await
}

async fn form_update_team(
    State(state): State<AppState>,
    PageViewer(viewer): PageViewer,
    ReqLang(lang): ReqLang,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Form(f): Form<TeamForm>,
) -> Response {
    form_action(&viewer, &headers, f.csrf.as_deref(), lang, async {
        update_team(&state, &viewer, id, &f.input()?).await?;
        Ok(format!("/teams/{id}"))
    })
    .await
}

#[derive(Deserialize)]
struct EndForm {
    csrf: Option<String>,
    on: String,
}

async fn form_dissolve_team(
    State(state): State<AppState>,
    PageViewer(viewer): PageViewer,
    ReqLang(lang): ReqLang,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Form(f): Form<EndForm>,
) -> Response {
    form_action(&viewer, &headers, f.csrf.as_deref(), lang, async {
        dissolve_team(&state, &viewer, id, form_date(&f.on)?).await?;
        Ok(format!("/teams/{id}"))
    })
    .await
}

#[derive(Deserialize)]
struct MediatorForm {
    csrf: Option<String>,
    full_name: String,
    sex: String,
    ethnicity: Option<String>,
    ethnic_minority: Option<String>,
    legal_qualification: String,
    trained: Option<String>,
    role: Option<String>,
    from: Option<String>,
    notes: Option<String>,
}

impl MediatorForm {
    fn update(&self) -> Result<MediatorUpdate, ApiError> {
        Ok(MediatorUpdate {
            full_name: self.full_name.clone(),
            sex: form_code(&self.sex, Sex::from_code)?,
            ethnicity: self.ethnicity.clone(),
            ethnic_minority: self.ethnic_minority.is_some(),
            legal_qualification: form_code(
                &self.legal_qualification,
                LegalQualification::from_code,
            )?,
            trained: self.trained.is_some(),
            notes: self.notes.clone(),
        })
    }
}

async fn form_create_mediator(
    State(state): State<AppState>,
    PageViewer(viewer): PageViewer,
    ReqLang(lang): ReqLang,
    headers: HeaderMap,
    Path(team_id): Path<Uuid>,
    Form(f): Form<MediatorForm>,
) -> Response {
    form_action(&viewer, &headers, f.csrf.as_deref(), lang, async {
        let u = f.update()?;
        let input = MediatorInput {
            full_name: u.full_name,
            sex: u.sex,
            ethnicity: u.ethnicity,
            ethnic_minority: u.ethnic_minority,
            legal_qualification: u.legal_qualification,
            trained: u.trained,
            team_id,
            role: form_code(f.role.as_deref().unwrap_or(""), TeamRole::from_code)?,
            from: form_date(f.from.as_deref().unwrap_or(""))?,
            notes: u.notes,
        };
        create_mediator(&state, &viewer, &input).await?;
        Ok(format!("/teams/{team_id}"))
    })
    .await
}

async fn form_update_mediator(
    State(state): State<AppState>,
    PageViewer(viewer): PageViewer,
    ReqLang(lang): ReqLang,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Form(f): Form<MediatorForm>,
) -> Response {
    form_action(&viewer, &headers, f.csrf.as_deref(), lang, async {
        update_mediator(&state, &viewer, id, &f.update()?).await?;
        Ok(format!("/mediators/{id}"))
    })
    .await
}

#[derive(Deserialize)]
struct MoveForm {
    csrf: Option<String>,
    team_id: String,
    role: String,
    on: String,
}

async fn form_move_mediator(
    State(state): State<AppState>,
    PageViewer(viewer): PageViewer,
    ReqLang(lang): ReqLang,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Form(f): Form<MoveForm>,
) -> Response {
    form_action(&viewer, &headers, f.csrf.as_deref(), lang, async {
        let input = MoveInput {
            team_id: form_uuid(&f.team_id)?,
            role: form_code(&f.role, TeamRole::from_code)?,
            on: form_date(&f.on)?,
        };
        move_mediator(&state, &viewer, id, &input).await?;
        Ok(format!("/mediators/{id}"))
    })
    .await
}

async fn form_end_mediator(
    State(state): State<AppState>,
    PageViewer(viewer): PageViewer,
    ReqLang(lang): ReqLang,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Form(f): Form<EndForm>,
) -> Response {
    form_action(&viewer, &headers, f.csrf.as_deref(), lang, async {
        end_mediator(&state, &viewer, id, form_date(&f.on)?).await?;
        Ok(format!("/mediators/{id}"))
    })
    .await
}

/// The `/teams` link for a unit (for other pages).
pub fn teams_href(unit: &str) -> String {
    format!("/teams?unit={}", enc(unit))
}
