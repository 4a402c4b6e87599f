//! The register of "Dân vận khéo" models over HTTP (ADR 0008, section "Dân vận khéo models"):
//! the JSON API (`/api/v1/dvk-models`, `/api/v1/dvk-figures`) and the dashboard pages (`/dvk`,
//! `/dvk/{id}`) with their forms.
//!
//! Who keeps a model (writes it, and sees its participants and description): a commune officer
//! for a commune's model whose unit lies in their commune today (403 `out_of_scope` for
//! another commune's), a city officer for the city's and legacy districts' models within their
//! city; every other case 403 `dvk_forbidden`. Every officer reads, within their scope, the
//! models' names, fields and dates (not personal data) and the counts ([`DvkFigures`]); the
//! participants, who may be named individuals, never leave the commune. Every write checks the
//! CSRF token (header `x-csrf-token` on the API, form field `csrf` on the dashboard) and the
//! Origin, validates its input before anything is written (4xx with a stable code), and writes
//! in one guarded statement (`storage/dvk.rs`).

use std::collections::HashSet;

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

use crate::aggregate::resolve::entered_version;
use crate::dvk::{
    self, CommendationForm, DvkDates, DvkField, DvkFigures, MAX_DESCRIPTION, MAX_NAME,
    RecognitionLevel, check_date, check_dates, check_unit, clean_participants, commendation,
    is_model_level, model_place, participants_of, recognition,
};
use crate::error::{ApiError, ErrorCode};
use crate::json::Json;
use crate::roles::Role;
use crate::state::AppState;
use crate::storage::dvk::{DvkFact, DvkModelRow, Outcome, Refusal};
use crate::text::clean_text;
use crate::units::{UnitTree, level};
use crate::web::access;
use crate::web::i18n::{Messages, messages};
use crate::web::render::{Choice, choices, enc, error_page, html, lang_code};
use crate::web::session::{CSRF_HEADER, PageViewer, ReqLang, Viewer, check_csrf};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/dvk-models", get(api_list).post(api_create))
        .route("/api/v1/dvk-models/{id}", get(api_get).put(api_update))
        .route("/api/v1/dvk-models/{id}/end", post(api_end))
        .route("/api/v1/dvk-figures", get(api_figures))
        .route("/dvk", get(page_list).post(form_create))
        .route("/dvk/{id}", get(page_model).post(form_update))
        .route("/dvk/{id}/end", post(form_end))
}

// ---------------------------------------------------------------------------------------------
// Scope.

/// Whether `viewer` keeps (writes, sees the participants of) a model registered under `unit`
/// read on `unit_on`: a commune officer for a commune's model that lies in their commune today;
/// a city officer for a city's or legacy district's model that lies in their city today.
fn keeps(
    tree: &UnitTree,
    viewer: &Viewer,
    unit: &str,
    unit_on: NaiveDate,
    today: NaiveDate,
) -> Result<(), ApiError> {
    let lvl = entered_version(tree, unit, unit_on).map(|u| u.level.as_str());
    let fits = match viewer.role {
        Role::CommuneOfficer => lvl == Some(level::COMMUNE),
        Role::CityOfficer => matches!(lvl, Some(level::DISTRICT | level::PROVINCE)),
        _ => false,
    };
    if !fits {
        return Err(ApiError::new(ErrorCode::DvkForbidden));
    }
    if !lies_within(tree, viewer, unit, unit_on, today) {
        return Err(ApiError::new(ErrorCode::OutOfScope));
    }
    Ok(())
}

/// Whether a model's unit lies, today, in the viewer's subtree.
fn lies_within(
    tree: &UnitTree,
    viewer: &Viewer,
    unit: &str,
    unit_on: NaiveDate,
    today: NaiveDate,
) -> bool {
    model_place(tree, unit, unit_on, today)
        .is_some_and(|(place, _)| access::within_scope(tree, viewer, &place, today))
}

/// A model the viewer keeps (404 `not_found`, 403 `dvk_forbidden` / `out_of_scope`).
async fn kept(state: &AppState, viewer: &Viewer, id: Uuid) -> Result<DvkModelRow, ApiError> {
    let row =
        state.storage.dvk_model(id).await?.ok_or_else(|| {
            ApiError::new(ErrorCode::NotFound).with_detail(format!("dvk model {id}"))
        })?;
    keeps(
        &state.units.tree(),
        viewer,
        &row.unit,
        row.unit_on,
        access::today(),
    )?;
    Ok(row)
}

fn refused(r: Refusal) -> ApiError {
    let code = match r {
        Refusal::NotFound => ErrorCode::NotFound,
        Refusal::Dates => ErrorCode::DvkBadDates,
        Refusal::Ended => ErrorCode::DvkEnded,
    };
    ApiError::new(code).with_detail(format!("dvk write refused: {r:?}"))
}

fn done(o: Outcome) -> Result<(), ApiError> {
    o.map_err(refused)
}

// ---------------------------------------------------------------------------------------------
// Input and writes (the API and the forms).

/// A model to register, or the new values of one (`ended_on` changes through `/end`).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DvkModelInput {
    /// Unit code: a commune, or the city / a legacy district for models of higher-level
    /// bodies (default: the stored unit on an update, else the officer's unit).
    #[schema(example = "11533")]
    pub unit: Option<String>,
    /// The day the unit code is read on (default: today; on an update, the stored day when
    /// the unit is unchanged).
    pub unit_on: Option<NaiveDate>,
    /// Tên mô hình, 1-200 characters.
    pub name: String,
    /// Lĩnh vực.
    pub field: DvkField,
    /// Tập thể, cá nhân thực hiện: one body or person per entry (at most 100, each at most
    /// 200 characters). Personal data: shown only within the commune.
    pub participants: Option<Vec<String>>,
    /// Mô tả, at most 4,000 characters.
    pub description: Option<String>,
    /// Ngày bắt đầu.
    pub started_on: NaiveDate,
    /// Cấp công nhận (with `recognised_on`, or neither).
    pub recognised_level: Option<RecognitionLevel>,
    /// The recognising body (only when recognised).
    pub recognised_by: Option<String>,
    /// Ngày công nhận (the model counts from this day).
    pub recognised_on: Option<NaiveDate>,
    /// Khen thưởng (default false).
    pub commended: Option<bool>,
    /// The commending body (required when commended).
    pub commended_by: Option<String>,
    /// Hình thức khen thưởng (required when commended).
    pub commended_form: Option<CommendationForm>,
    /// Ngày khen thưởng (required when commended).
    pub commended_on: Option<NaiveDate>,
}

/// Validate a model's fields; the viewer must keep the model's unit.
fn model_row(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    input: &DvkModelInput,
    old: Option<&DvkModelRow>,
) -> Result<DvkModelRow, ApiError> {
    let today = access::today();
    let name = clean_text(&input.name, MAX_NAME, false, true)?;
    let unit = clean_text(
        input
            .unit
            .as_deref()
            .or(old.map(|o| o.unit.as_str()))
            .unwrap_or(&viewer.unit),
        crate::text::MAX_ID,
        false,
        true,
    )?;
    let participants = clean_participants(input.participants.as_deref().unwrap_or(&[]))?;
    let description = clean_text(
        input.description.as_deref().unwrap_or(""),
        MAX_DESCRIPTION,
        true,
        false,
    )?;
    let recognised_by = clean_text(
        input.recognised_by.as_deref().unwrap_or(""),
        MAX_NAME,
        false,
        false,
    )?;
    let commended_by = clean_text(
        input.commended_by.as_deref().unwrap_or(""),
        MAX_NAME,
        false,
        false,
    )?;
    let kept_day = old.filter(|o| o.unit == unit).map(|o| o.unit_on);
    let unit_on = check_date(input.unit_on.or(kept_day).unwrap_or(today), today)?;
    let tree = state.units.tree();
    check_unit(&tree, &unit, unit_on)?;
    keeps(&tree, viewer, &unit, unit_on, today)?;
    let recognised = recognition(input.recognised_level, input.recognised_on, &recognised_by)?;
    let commended = input.commended.unwrap_or(false);
    let commendation = commendation(
        commended,
        input.commended_form,
        input.commended_on,
        &commended_by,
    )?;
    let ended_on = old.and_then(|o| o.ended_on);
    check_dates(
        &DvkDates {
            started_on: input.started_on,
            recognised,
            commended: commendation,
            ended_on,
        },
        today,
    )?;
    let now = Utc::now();
    Ok(DvkModelRow {
        id,
        unit,
        unit_on,
        name,
        field: input.field.code().to_string(),
        participants: participants.join("\n"),
        description,
        started_on: input.started_on,
        recognised_level: recognised.map(|(l, _)| l.code().to_string()),
        recognised_by,
        recognised_on: recognised.map(|(_, d)| d),
        commended,
        commended_by,
        commended_form: commendation.map(|(f, _)| f.code().to_string()),
        commended_on: commendation.map(|(_, d)| d),
        ended_on,
        created_at: old.map_or(now, |o| o.created_at),
        updated_at: now,
        created_by: old.map_or_else(|| viewer.username.clone(), |o| o.created_by.clone()),
        updated_by: viewer.username.clone(),
    })
}

async fn create_model(
    state: &AppState,
    viewer: &Viewer,
    input: &DvkModelInput,
) -> Result<DvkModelRow, ApiError> {
    let row = model_row(state, viewer, Uuid::now_v7(), input, None)?;
    state.storage.create_dvk_model(&row).await?;
    Ok(row)
}

async fn update_model(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    input: &DvkModelInput,
) -> Result<DvkModelRow, ApiError> {
    let old = kept(state, viewer, id).await?;
    let row = model_row(state, viewer, id, input, Some(&old))?;
    done(state.storage.update_dvk_model(&row).await?)?;
    Ok(row)
}

/// The end of a model.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DvkEndInput {
    /// The first day the model is no longer in force (ngày dừng).
    pub on: NaiveDate,
}

async fn end_model(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
    on: NaiveDate,
) -> Result<(), ApiError> {
    let old = kept(state, viewer, id).await?;
    if old.ended_on.is_some() {
        return Err(ApiError::new(ErrorCode::DvkEnded));
    }
    let today = access::today();
    check_date(on, today)?;
    let floor = old
        .recognised_on
        .map_or(old.started_on, |r| r.max(old.started_on));
    if on < floor {
        return Err(ApiError::new(ErrorCode::DvkBadDates).with_detail(format!("{on} < {floor}")));
    }
    done(
        state
            .storage
            .end_dvk_model(id, on, Utc::now(), &viewer.username)
            .await?,
    )
}

// ---------------------------------------------------------------------------------------------
// What the API and the pages show.

/// A "Dân vận khéo" model. `participants`, `description`, `recognised_by` and `commended_by`
/// are present only for the officer who keeps the model (its commune's officers; the city's
/// officers for city and legacy district models).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DvkModelItem {
    /// Model id.
    #[schema(value_type = String, format = "uuid")]
    pub id: Uuid,
    /// Unit code as read on `unit_on`.
    pub unit: String,
    /// The day the unit code is read on.
    pub unit_on: NaiveDate,
    /// The unit's name as of `unit_on`.
    pub unit_name: String,
    /// Tên mô hình.
    pub name: String,
    /// Lĩnh vực.
    pub field: DvkField,
    /// Ngày bắt đầu.
    pub started_on: NaiveDate,
    /// Cấp công nhận, if recognised.
    pub recognised_level: Option<RecognitionLevel>,
    /// Ngày công nhận, if recognised.
    pub recognised_on: Option<NaiveDate>,
    /// Khen thưởng.
    pub commended: bool,
    /// Hình thức khen thưởng.
    pub commended_form: Option<CommendationForm>,
    /// Ngày khen thưởng.
    pub commended_on: Option<NaiveDate>,
    /// First day no longer in force (ngày dừng), if ended.
    pub ended_on: Option<NaiveDate>,
    /// Whether the model is in force today (recognised, not ended).
    pub in_force: bool,
    /// Whether the viewer keeps (may change) this model.
    pub editable: bool,
    /// Tập thể, cá nhân thực hiện (keepers only: personal data).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub participants: Option<Vec<String>>,
    /// Mô tả (keepers only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The recognising body (keepers only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recognised_by: Option<String>,
    /// The commending body (keepers only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commended_by: Option<String>,
}

fn in_force_on(recognised: Option<NaiveDate>, ended: Option<NaiveDate>, d: NaiveDate) -> bool {
    recognised.is_some_and(|r| r <= d) && ended.is_none_or(|e| d < e)
}

fn corrupt(id: Uuid, what: &str, v: &str) -> ApiError {
    ApiError::internal(format!("dvk model {id}: {what} {v:?}"))
}

fn code_of<T: Coded>(id: Uuid, what: &str, v: &str) -> Result<T, ApiError> {
    T::from_code(v).ok_or_else(|| corrupt(id, what, v))
}

fn opt_code<T: Coded>(id: Uuid, what: &str, v: Option<&str>) -> Result<Option<T>, ApiError> {
    v.map(|s| code_of(id, what, s)).transpose()
}

fn unit_name(tree: &UnitTree, unit: &str, on: NaiveDate) -> String {
    entered_version(tree, unit, on).map_or_else(|| unit.to_string(), |u| u.name.clone())
}

/// The de-identified view of a model (names, fields, dates).
fn summary_item(tree: &UnitTree, f: &DvkFact, today: NaiveDate) -> Result<DvkModelItem, ApiError> {
    Ok(DvkModelItem {
        id: f.id,
        unit: f.unit.clone(),
        unit_on: f.unit_on,
        unit_name: unit_name(tree, &f.unit, f.unit_on),
        name: f.name.clone(),
        field: code_of(f.id, "field", &f.field)?,
        started_on: f.started_on,
        recognised_level: opt_code(f.id, "recognised_level", f.recognised_level.as_deref())?,
        recognised_on: f.recognised_on,
        commended: f.commended,
        commended_form: opt_code(f.id, "commended_form", f.commended_form.as_deref())?,
        commended_on: f.commended_on,
        ended_on: f.ended_on,
        in_force: in_force_on(f.recognised_on, f.ended_on, today),
        editable: false,
        participants: None,
        description: None,
        recognised_by: None,
        commended_by: None,
    })
}

/// The full view of a model, for its keeper.
fn full_item(tree: &UnitTree, r: DvkModelRow, today: NaiveDate) -> Result<DvkModelItem, ApiError> {
    Ok(DvkModelItem {
        unit_name: unit_name(tree, &r.unit, r.unit_on),
        field: code_of(r.id, "field", &r.field)?,
        recognised_level: opt_code(r.id, "recognised_level", r.recognised_level.as_deref())?,
        commended_form: opt_code(r.id, "commended_form", r.commended_form.as_deref())?,
        in_force: in_force_on(r.recognised_on, r.ended_on, today),
        editable: true,
        participants: Some(participants_of(&r.participants)),
        description: Some(r.description),
        recognised_by: Some(r.recognised_by),
        commended_by: Some(r.commended_by),
        id: r.id,
        unit: r.unit,
        unit_on: r.unit_on,
        name: r.name,
        started_on: r.started_on,
        recognised_on: r.recognised_on,
        commended: r.commended,
        commended_on: r.commended_on,
        ended_on: r.ended_on,
    })
}

fn fact_of(r: &DvkModelRow) -> DvkFact {
    DvkFact {
        id: r.id,
        unit: r.unit.clone(),
        unit_on: r.unit_on,
        name: r.name.clone(),
        field: r.field.clone(),
        started_on: r.started_on,
        recognised_level: r.recognised_level.clone(),
        recognised_on: r.recognised_on,
        commended: r.commended,
        commended_form: r.commended_form.clone(),
        commended_on: r.commended_on,
        ended_on: r.ended_on,
    }
}

/// A model as the viewer may see it: whole for its keeper, de-identified for an officer whose
/// scope holds it today, else 403 (`out_of_scope`).
async fn model_answer(
    state: &AppState,
    viewer: &Viewer,
    id: Uuid,
) -> Result<DvkModelItem, ApiError> {
    let row =
        state.storage.dvk_model(id).await?.ok_or_else(|| {
            ApiError::new(ErrorCode::NotFound).with_detail(format!("dvk model {id}"))
        })?;
    let tree = state.units.tree();
    let today = access::today();
    if keeps(&tree, viewer, &row.unit, row.unit_on, today).is_ok() {
        return full_item(&tree, row, today);
    }
    if lies_within(&tree, viewer, &row.unit, row.unit_on, today) {
        return summary_item(&tree, &fact_of(&row), today);
    }
    Err(ApiError::new(ErrorCode::OutOfScope))
}

/// The models whose unit lies in `unit`'s subtree today (`unit` in the viewer's scope today),
/// by unit name then model name: whole for those the viewer keeps, de-identified otherwise.
async fn models_of(
    state: &AppState,
    viewer: &Viewer,
    unit: &str,
) -> Result<Vec<DvkModelItem>, ApiError> {
    let tree = state.units.tree();
    let today = access::today();
    access::find_unit(&tree, unit, today)?;
    if !access::within_scope(&tree, viewer, unit, today) {
        return Err(ApiError::new(ErrorCode::OutOfScope));
    }
    let facts = state.storage.dvk_facts().await?;
    let mut out = Vec::new();
    let mut kept_units: Vec<String> = Vec::new();
    let mut kept_ids: HashSet<Uuid> = HashSet::new();
    for f in &facts {
        let Some((place, _)) = model_place(&tree, &f.unit, f.unit_on, today) else {
            continue;
        };
        if !tree.is_within(&place, unit, today) {
            continue;
        }
        if keeps(&tree, viewer, &f.unit, f.unit_on, today).is_ok() {
            kept_units.push(f.unit.clone());
            kept_ids.insert(f.id);
        } else {
            out.push(summary_item(&tree, f, today)?);
        }
    }
    kept_units.sort();
    kept_units.dedup();
    for r in state.storage.dvk_models_of_units(&kept_units).await? {
        if kept_ids.contains(&r.id) {
            out.push(full_item(&tree, r, today)?);
        }
    }
    out.sort_by(|a, b| (&a.unit_name, &a.name, a.id).cmp(&(&b.unit_name, &b.name, b.id)));
    Ok(out)
}

/// One row of the counts: a unit and its figures.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DvkFiguresRow {
    /// Unit code.
    pub unit: String,
    /// Unit name.
    pub name: String,
    /// Figures.
    pub figures: DvkFigures,
}

/// The "Dân vận khéo" counts of a unit's subtree for a period (de-identified).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DvkFiguresReport {
    /// The unit.
    pub unit: String,
    /// Period key.
    pub period: String,
    /// First day of the period.
    pub start: NaiveDate,
    /// The day the figures are computed as of: the period's cut-off, or today while it runs.
    pub cutoff: NaiveDate,
    /// One row per unit below that may hold models (communes, or districts before 2025-07).
    pub rows: Vec<DvkFiguresRow>,
    /// The unit's own models (the city's, legacy districts' that went into it; a commune's
    /// models when the unit is a commune).
    pub own: DvkFigures,
    /// Models of an old unit split between several rows (counted in the total only).
    pub unallocated: DvkFigures,
    /// The whole subtree: rows + own + unallocated.
    pub total: DvkFigures,
}

async fn figures(
    state: &AppState,
    viewer: &Viewer,
    unit: &str,
    period: Option<&str>,
) -> Result<DvkFiguresReport, ApiError> {
    let period = access::period_or_default(state, period)?;
    let t = access::resolve(state, viewer, unit, period)?;
    let tree = state.units.tree();
    // As of the cut-off, or today while the period runs (like the aggregates and teams).
    let cut = t.as_of;
    let units: Vec<_> = tree
        .children(&t.unit.code, cut)
        .into_iter()
        .filter(|u| is_model_level(&u.level))
        .collect();
    let rows: Vec<String> = units.iter().map(|u| u.code.clone()).collect();
    let names: Vec<String> = units.iter().map(|u| u.name.clone()).collect();
    let facts = state.storage.dvk_facts().await?;
    let c = dvk::count(&tree, &t.unit.code, &rows, t.period.start, cut, &facts);
    Ok(DvkFiguresReport {
        unit: t.unit.code.clone(),
        period: t.period.key.clone(),
        start: t.period.start,
        cutoff: cut,
        rows: rows
            .into_iter()
            .zip(names)
            .zip(c.rows)
            .map(|((unit, name), figures)| DvkFiguresRow {
                unit,
                name,
                figures,
            })
            .collect(),
        own: c.own,
        unallocated: c.unallocated,
        total: c.total,
    })
}

// ---------------------------------------------------------------------------------------------
// The JSON API.

fn api_csrf(viewer: &Viewer, headers: &HeaderMap) -> Result<(), ApiError> {
    let sent = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    check_csrf(viewer, headers, sent)
}

/// `?unit=`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DvkListQuery {
    /// Unit code (default: the officer's unit).
    #[param(example = "11533")]
    pub unit: Option<String>,
}

/// The models whose unit lies in a unit's subtree today: whole for those the officer keeps,
/// names, fields and dates only for the others.
#[utoipa::path(get, path = "/api/v1/dvk-models", tag = "danvan", params(DvkListQuery),
    responses((status = 200, body = Vec<DvkModelItem>)))]
pub(crate) async fn api_list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<DvkListQuery>,
) -> Result<Json<Vec<DvkModelItem>>, ApiError> {
    let unit = q.unit.unwrap_or_else(|| viewer.unit.clone());
    Ok(Json(models_of(&state, &viewer, &unit).await?))
}

/// Register a model (a commune officer for their commune; a city officer for the city or a
/// legacy district).
#[utoipa::path(post, path = "/api/v1/dvk-models", tag = "danvan", request_body = DvkModelInput,
    params(("x-csrf-token" = String, Header, description = "The session's CSRF token")),
    responses((status = 201, body = DvkModelItem)))]
pub(crate) async fn api_create(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Json(input): Json<DvkModelInput>,
) -> Result<Response, ApiError> {
    api_csrf(&viewer, &headers)?;
    let row = create_model(&state, &viewer, &input).await?;
    let item = full_item(&state.units.tree(), row, access::today())?;
    Ok((StatusCode::CREATED, Json(item)).into_response())
}

/// A model: whole for its keeper, names, fields and dates for other officers within scope.
#[utoipa::path(get, path = "/api/v1/dvk-models/{id}", tag = "danvan",
    params(("id" = String, Path, format = "uuid", description = "Model id")),
    responses((status = 200, body = DvkModelItem)))]
pub(crate) async fn api_get(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
) -> Result<Json<DvkModelItem>, ApiError> {
    Ok(Json(model_answer(&state, &viewer, id).await?))
}

/// Change a model (every field but its end).
#[utoipa::path(put, path = "/api/v1/dvk-models/{id}", tag = "danvan", request_body = DvkModelInput,
    params(("id" = String, Path, format = "uuid", description = "Model id"),
        ("x-csrf-token" = String, Header, description = "The session's CSRF token")),
    responses((status = 200, body = DvkModelItem)))]
pub(crate) async fn api_update(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Json(input): Json<DvkModelInput>,
) -> Result<Json<DvkModelItem>, ApiError> {
    api_csrf(&viewer, &headers)?;
    let row = update_model(&state, &viewer, id, &input).await?;
    Ok(Json(full_item(&state.units.tree(), row, access::today())?))
}

/// End a model from a day (the first day it no longer counts).
#[utoipa::path(post, path = "/api/v1/dvk-models/{id}/end", tag = "danvan", request_body = DvkEndInput,
    params(("id" = String, Path, format = "uuid", description = "Model id"),
        ("x-csrf-token" = String, Header, description = "The session's CSRF token")),
    responses((status = 200, body = DvkModelItem)))]
pub(crate) async fn api_end(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Json(input): Json<DvkEndInput>,
) -> Result<Json<DvkModelItem>, ApiError> {
    api_csrf(&viewer, &headers)?;
    end_model(&state, &viewer, id, input.on).await?;
    Ok(Json(model_answer(&state, &viewer, id).await?))
}

/// `?unit=&period=`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DvkFiguresQuery {
    /// Unit code (default: the officer's unit).
    #[param(example = "31")]
    pub unit: Option<String>,
    /// Period key (default: the current month).
    #[param(example = "2026")]
    pub period: Option<String>,
}

/// The "Dân vận khéo" counts of a unit's subtree as of a period's cut-off: in force by field,
/// new, commended and ended in the period, one row per unit below (de-identified: every
/// officer within scope).
#[utoipa::path(get, path = "/api/v1/dvk-figures", tag = "danvan", params(DvkFiguresQuery),
    responses((status = 200, body = DvkFiguresReport)))]
pub(crate) async fn api_figures(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<DvkFiguresQuery>,
) -> Result<Json<DvkFiguresReport>, ApiError> {
    let unit = q.unit.unwrap_or_else(|| viewer.unit.clone());
    Ok(Json(
        figures(&state, &viewer, &unit, q.period.as_deref()).await?,
    ))
}

// ---------------------------------------------------------------------------------------------
// The dashboard pages.

/// A model as the pages show it (labels in the page's language, dates as dd/mm/yyyy).
struct ModelView {
    id: Uuid,
    name: String,
    unit_name: String,
    field: &'static str,
    field_label: &'static str,
    started_on: String,
    started_iso: String,
    recognised: String,
    recognised_level: &'static str,
    recognised_by: String,
    recognised_iso: String,
    commended: bool,
    commendation: String,
    commended_form: &'static str,
    commended_by: String,
    commended_iso: String,
    ended: String,
    in_force: bool,
    editable: bool,
    participants: Vec<String>,
    participants_text: String,
    description: String,
}

fn dmy(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

impl ModelView {
    fn new(i: DvkModelItem, lang: Lang) -> Self {
        let participants = i.participants.unwrap_or_default();
        let recognised = match (i.recognised_level, i.recognised_on) {
            (Some(l), Some(d)) => format!("{} · {}", l.label().get(lang), dmy(d)),
            _ => messages(lang).dvk_not_recognised.to_string(),
        };
        let commendation = match (i.commended_form, i.commended_on) {
            (Some(f), Some(d)) if i.commended => format!("{} · {}", f.label().get(lang), dmy(d)),
            _ => String::new(),
        };
        ModelView {
            id: i.id,
            name: i.name,
            unit_name: i.unit_name,
            field: i.field.code(),
            field_label: i.field.label().get(lang),
            started_on: dmy(i.started_on),
            started_iso: i.started_on.to_string(),
            recognised,
            recognised_level: i.recognised_level.map_or("", |l| l.code()),
            recognised_by: i.recognised_by.unwrap_or_default(),
            recognised_iso: i.recognised_on.map(|d| d.to_string()).unwrap_or_default(),
            commended: i.commended,
            commendation,
            commended_form: i.commended_form.map_or("", |f| f.code()),
            commended_by: i.commended_by.unwrap_or_default(),
            commended_iso: i.commended_on.map(|d| d.to_string()).unwrap_or_default(),
            ended: i.ended_on.map(dmy).unwrap_or_default(),
            in_force: i.in_force,
            editable: i.editable,
            participants_text: participants.join("\n"),
            participants,
            description: i.description.unwrap_or_default(),
        }
    }
}

/// The figures' columns: in force by field, in force, new, commended, ended.
fn fig_cells(f: &DvkFigures) -> Vec<u64> {
    let mut v: Vec<u64> = f.by_field.iter().map(|c| c.in_force).collect();
    v.extend([
        f.in_force,
        f.new_in_period,
        f.commended_in_period,
        f.ended_in_period,
    ]);
    v
}

#[derive(Template)]
#[template(path = "dvk_models.html")]
struct ListPage<'a> {
    m: &'a Messages,
    lang: &'a str,
    username: String,
    role: &'static str,
    csrf: String,
    unit: String,
    unit_name: String,
    period_label: String,
    cutoff: String,
    field_labels: Vec<&'static str>,
    fig_rows: Vec<(String, Vec<u64>)>,
    own: Vec<u64>,
    unallocated: Vec<u64>,
    total: Vec<u64>,
    models: Vec<ModelView>,
    keeper_page: bool,
    commune_level: bool,
    fields: Vec<Choice>,
    levels: Vec<Choice>,
    forms: Vec<Choice>,
    today: String,
}

#[derive(Deserialize)]
struct PageQuery {
    unit: Option<String>,
    period: Option<String>,
}

/// Whether the viewer registers models at `unit` on the dashboard: a commune officer at their
/// commune, a city officer at their city.
fn keeper_page(viewer: &Viewer, unit: &str) -> bool {
    unit == viewer.unit && matches!(viewer.role, Role::CommuneOfficer | Role::CityOfficer)
}

async fn page_list(
    State(state): State<AppState>,
    PageViewer(viewer): PageViewer,
    ReqLang(lang): ReqLang,
    Query(q): Query<PageQuery>,
) -> Response {
    let res = async {
        let unit = q
            .unit
            .clone()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| viewer.unit.clone());
        let report = figures(&state, &viewer, &unit, q.period.as_deref()).await?;
        let models = models_of(&state, &viewer, &report.unit).await?;
        let period = access::period_or_default(&state, q.period.as_deref())?;
        let tree = state.units.tree();
        let unit_name = tree
            .unit(&report.unit, report.cutoff)
            .map_or_else(|| report.unit.clone(), |u| u.name.clone());
        Ok::<_, ApiError>(ListPage {
            m: messages(lang),
            lang: lang_code(lang),
            username: viewer.username.clone(),
            role: viewer.role.label().get(lang),
            csrf: viewer.csrf.clone(),
            keeper_page: keeper_page(&viewer, &report.unit),
            commune_level: viewer.role == Role::CommuneOfficer,
            unit_name,
            period_label: period.label(lang),
            cutoff: dmy(report.cutoff),
            field_labels: DvkField::all()
                .iter()
                .map(|f| f.label().get(lang))
                .collect(),
            fig_rows: report
                .rows
                .iter()
                .map(|r| (r.name.clone(), fig_cells(&r.figures)))
                .collect(),
            own: fig_cells(&report.own),
            unallocated: fig_cells(&report.unallocated),
            total: fig_cells(&report.total),
            models: models
                .into_iter()
                .map(|i| ModelView::new(i, lang))
                .collect(),
            fields: choices::<DvkField>(lang),
            levels: choices::<RecognitionLevel>(lang),
            forms: choices::<CommendationForm>(lang),
            today: access::today().to_string(),
            unit: report.unit,
        })
    }
    .await;
    match res {
        Ok(page) => html(StatusCode::OK, page.render()),
        Err(e) => error_page(e, lang),
    }
}

#[derive(Template)]
#[template(path = "dvk_model.html")]
struct ModelPage<'a> {
    m: &'a Messages,
    lang: &'a str,
    username: String,
    role: &'static str,
    csrf: String,
    model: ModelView,
    fields: Vec<Choice>,
    levels: Vec<Choice>,
    forms: Vec<Choice>,
    today: String,
}

async fn page_model(
    State(state): State<AppState>,
    PageViewer(viewer): PageViewer,
    ReqLang(lang): ReqLang,
    Path(id): Path<Uuid>,
) -> Response {
    let res = async {
        let item = model_answer(&state, &viewer, id).await?;
        Ok::<_, ApiError>(ModelPage {
            m: messages(lang),
            lang: lang_code(lang),
            username: viewer.username.clone(),
            role: viewer.role.label().get(lang),
            csrf: viewer.csrf.clone(),
            model: ModelView::new(item, lang),
            fields: choices::<DvkField>(lang),
            levels: choices::<RecognitionLevel>(lang),
            forms: choices::<CommendationForm>(lang),
            today: access::today().to_string(),
        })
    }
    .await;
    match res {
        Ok(page) => html(StatusCode::OK, page.render()),
        Err(e) => error_page(e, lang),
    }
}

// Forms: fields arrive as strings (an empty date or select is "", an unticked checkbox is
// absent); they are parsed here into the API's input, so both paths validate the same way.

fn form_date(s: &str) -> Result<NaiveDate, ApiError> {
    s.trim()
        .parse()
        .map_err(|_| ApiError::new(ErrorCode::DvkBadDates).with_detail(format!("date {s:?}")))
}

fn form_opt_date(s: Option<&str>) -> Result<Option<NaiveDate>, ApiError> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(form_date)
        .transpose()
}

fn form_opt_code<T: Coded>(s: Option<&str>) -> Result<Option<T>, ApiError> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            T::from_code(s).ok_or_else(|| {
                ApiError::new(ErrorCode::BadRequest).with_detail(format!("code {s:?}"))
            })
        })
        .transpose()
}

/// Run a form's action after the CSRF check; redirect to where it says when it succeeds.
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
struct ModelForm {
    csrf: Option<String>,
    unit: Option<String>,
    name: String,
    field: String,
    participants: Option<String>,
    description: Option<String>,
    started_on: String,
    recognised_level: Option<String>,
    recognised_by: Option<String>,
    recognised_on: Option<String>,
    commended: Option<String>,
    commended_by: Option<String>,
    commended_form: Option<String>,
    commended_on: Option<String>,
}

impl ModelForm {
    fn input(&self) -> Result<DvkModelInput, ApiError> {
        let field = form_opt_code::<DvkField>(Some(&self.field))?.ok_or_else(|| {
            ApiError::new(ErrorCode::BadRequest).with_detail("field missing".to_string())
        })?;
        let commended = self.commended.is_some();
        Ok(DvkModelInput {
            unit: self.unit.clone().filter(|u| !u.trim().is_empty()),
            unit_on: None,
            name: self.name.clone(),
            field,
            participants: Some(
                self.participants
                    .as_deref()
                    .unwrap_or("")
                    .lines()
                    .map(str::to_string)
                    .collect(),
            ),
            description: self.description.clone(),
            started_on: form_date(&self.started_on)?,
            recognised_level: form_opt_code(self.recognised_level.as_deref())?,
            recognised_by: self.recognised_by.clone(),
            recognised_on: form_opt_date(self.recognised_on.as_deref())?,
            commended: Some(commended),
            // An unticked box sends the other commendation fields as they stand: ignore them.
            commended_by: self.commended_by.clone().filter(|_| commended),
            commended_form: if commended {
                form_opt_code(self.commended_form.as_deref())?
            } else {
                None
            },
            commended_on: if commended {
                form_opt_date(self.commended_on.as_deref())?
            } else {
                None
            },
        })
    }
}

async fn form_create(
    State(state): State<AppState>,
    PageViewer(viewer): PageViewer,
    ReqLang(lang): ReqLang,
    headers: HeaderMap,
    Form(f): Form<ModelForm>,
) -> Response {
    form_action(&viewer, &headers, f.csrf.as_deref(), lang, async {
        let row = create_model(&state, &viewer, &f.input()?).await?;
        Ok(format!("/dvk/{}", row.id))
    })
    .await
}

async fn form_update(
    State(state): State<AppState>,
    PageViewer(viewer): PageViewer,
    ReqLang(lang): ReqLang,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Form(f): Form<ModelForm>,
) -> Response {
    form_action(&viewer, &headers, f.csrf.as_deref(), lang, async {
        update_model(&state, &viewer, id, &f.input()?).await?;
        Ok(format!("/dvk/{id}"))
    })
    .await
}

#[derive(Deserialize)]
struct EndForm {
    csrf: Option<String>,
    on: String,
}

async fn form_end(
    State(state): State<AppState>,
    PageViewer(viewer): PageViewer,
    ReqLang(lang): ReqLang,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Form(f): Form<EndForm>,
) -> Response {
    form_action(&viewer, &headers, f.csrf.as_deref(), lang, async {
        end_model(&state, &viewer, id, form_date(&f.on)?).await?;
        Ok(format!("/dvk/{id}"))
    })
    .await
}

/// The `/dvk` link for a unit (for other pages).
pub fn dvk_href(unit: &str) -> String {
    format!("/dvk?unit={}", enc(unit))
}
