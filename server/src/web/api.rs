//! The JSON API under `/api/v1` for aggregates and completeness, described in OpenAPI 3.1
//! (utoipa) at `/api/openapi.json` (a copy is committed at `docs/openapi.json`, checked by a
//! test).
//!
//! Authentication is the dashboard session: `POST /api/v1/session` (JSON username/password)
//! sets the `danvan_session` cookie and returns the CSRF token; cookie-authenticated writes
//! (`POST /api/v1/locks`, `DELETE /api/v1/session`) send it in `x-csrf-token`. Errors are the
//! server's JSON error body with a stable code.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use danvan_core::{Coded, Lang};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::aggregate::{Completeness, Lock, Period, PeriodKind, RankIndicator, RankRow, Report};
use crate::error::{ApiError, ErrorBody, ErrorCode, ErrorInfo};
use crate::json::Json;
use crate::state::AppState;
use crate::web::access::{self, lock_for};
use crate::web::records::records_of;
use crate::web::session::{self, CSRF_HEADER, Viewer, check_csrf, check_origin};
use crate::web::{dvk, teams};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/session",
            post(create_session)
                .get(current_session)
                .delete(delete_session),
        )
        .route("/api/v1/periods", get(periods))
        .route("/api/v1/units/{code}", get(unit))
        .route("/api/v1/aggregates", get(aggregates))
        .route("/api/v1/completeness", get(completeness))
        .route("/api/v1/ranking", get(ranking))
        .route("/api/v1/locks", post(create_lock))
        .route("/api/v1/records", get(records))
}

/// The officers' part of the OpenAPI description (the JSON API, the exports); the whole
/// document, with the devices' API, the error responses of every operation and the formats, is
/// [`crate::http::openapi`].
#[derive(OpenApi)]
#[openapi(
    info(
        title = "danvan API",
        description = "Aggregates, completeness and period locks of grassroots mediation, people's inspection and grassroots-democracy records, by administrative unit and reporting period. Authentication: the `danvan_session` cookie from `POST /api/v1/session`; cookie-authenticated writes send the session's CSRF token in `x-csrf-token`. Above the commune level, answers hold de-identified aggregates only.",
        version = "1"
    ),
    paths(
        create_session, current_session, delete_session, periods, unit, aggregates,
        completeness, ranking, create_lock, records, super::submitted::api,
        teams::api_list_teams, teams::api_create_team, teams::api_team, teams::api_update_team,
        teams::api_dissolve_team, teams::api_list_mediators, teams::api_create_mediator,
        teams::api_mediator, teams::api_update_mediator, teams::api_move_mediator,
        teams::api_end_mediator, teams::api_team_figures,
        dvk::api_list, dvk::api_create, dvk::api_get, dvk::api_update, dvk::api_end, dvk::api_figures,
        super::mass_report::api, super::mass_report::docx_get, super::mass_report::xlsx_get,
        super::exports::csv_export, super::exports::cases_xlsx, super::exports::teams_xlsx
    ),
    components(schemas(ErrorBody, ErrorInfo, ErrorCode, RankIndicator, SessionInfo, LoginRequest, PeriodList, UnitInfo,
        UnitLink, LockRequest, RecordItem, teams::TeamInput, teams::TeamItem, teams::MemberItem,
        teams::EndInput, teams::MediatorInput, teams::MediatorUpdate, teams::MoveInput,
        teams::MediatorItem, teams::MembershipItem, teams::TeamFiguresReport, teams::TeamFiguresRow,
        crate::registry::TeamFigures, crate::registry::Sex, crate::registry::LegalQualification,
        crate::registry::TeamRole,
        dvk::DvkModelInput, dvk::DvkModelItem, dvk::DvkEndInput, dvk::DvkFiguresReport, dvk::DvkFiguresRow, crate::dvk::DvkFigures, crate::dvk::FieldCount, crate::dvk::DvkField, crate::dvk::RecognitionLevel, crate::dvk::CommendationForm)),
    tags((name = "danvan", description = "danvan officers' API"),
        (name = "exports", description = "Downloads for a unit and period: CSV, the Ministry of Justice forms (XLSX), the mass-mobilisation report (DOCX, XLSX). Aggregates only."))
)]
pub struct ApiDoc;

/// A binary body (a file, a sync frame): `type: string, format: binary`.
pub struct Binary;

impl utoipa::PartialSchema for Binary {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .into()
    }
}

impl ToSchema for Binary {}

/// Credentials for `POST /api/v1/session`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Username: at most 100 characters once trimmed, no control character (400
    /// `invalid_text`); an unknown one is 401 `login_failed`.
    #[schema(max_length = 100, pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*$")]
    pub username: String,
    /// Password: at most 1,024 bytes of UTF-8 (400 `invalid_text`).
    #[schema(max_length = 1024)]
    pub password: String,
}

/// The logged-in officer.
#[derive(Serialize, ToSchema)]
pub struct SessionInfo {
    /// Username.
    pub username: String,
    /// Role code.
    pub role: String,
    /// Unit code.
    pub unit: String,
    /// Whether answers are de-identified (every role above the commune).
    pub deidentified: bool,
    /// CSRF token to send in `x-csrf-token` with cookie-authenticated writes.
    pub csrf_token: String,
}

fn info(v: &Viewer) -> SessionInfo {
    SessionInfo {
        username: v.username.clone(),
        role: v.role.code().to_string(),
        unit: v.unit.clone(),
        deidentified: !v.sees_records(),
        csrf_token: v.csrf.clone(),
    }
}

/// Log in: sets the `danvan_session` cookie (Secure, HttpOnly, SameSite=Strict).
#[utoipa::path(post, path = "/api/v1/session", tag = "danvan", request_body = LoginRequest,
    responses((status = 200, body = SessionInfo)))]
async fn create_session(
    State(state): State<AppState>,
    connect: Option<Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    headers: HeaderMap,
    Json(req): Json<LoginRequest>,
) -> Result<Response, ApiError> {
    check_origin(&headers)?;
    let username = crate::text::username(&req.username)?;
    let ip = connect.map(|Extension(c)| c.0.ip());
    let ip = session::login_client(&state.config, &headers, ip);
    let (token, v) = match session::login(&state, &username, &req.password, ip).await {
        Ok(ok) => ok,
        Err(e) => return Ok(e.api_response()),
    };
    let mut resp = axum::Json(info(&v)).into_response();
    resp.headers_mut()
        .append(header::SET_COOKIE, session::session_cookie(&state, &token));
    Ok(resp)
}

/// The current session.
#[utoipa::path(get, path = "/api/v1/session", tag = "danvan",
    responses((status = 200, body = SessionInfo)))]
async fn current_session(viewer: Viewer) -> axum::Json<SessionInfo> {
    axum::Json(info(&viewer))
}

/// Log out (needs `x-csrf-token`).
#[utoipa::path(delete, path = "/api/v1/session", tag = "danvan",
    params(("x-csrf-token" = String, Header, description = "The session's CSRF token")),
    responses((status = 204)))]
async fn delete_session(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    check_csrf(&viewer, &headers, csrf_header(&headers))?;
    state.storage.delete_session(&viewer.token_hash).await?;
    let mut resp = StatusCode::NO_CONTENT.into_response();
    resp.headers_mut()
        .append(header::SET_COOKIE, session::clear_session_cookie());
    Ok(resp)
}

fn csrf_header(h: &HeaderMap) -> Option<&str> {
    h.get(CSRF_HEADER).and_then(|v| v.to_str().ok())
}

/// Recent periods of every kind, newest first, for pickers.
#[derive(Serialize, ToSchema)]
pub struct PeriodList {
    /// Periods with their labels.
    pub periods: Vec<PeriodItem>,
}

/// A period with its labels.
#[derive(Serialize, ToSchema)]
pub struct PeriodItem {
    /// The period.
    #[serde(flatten)]
    pub period: Period,
    /// Vietnamese label.
    pub label: String,
    /// English label.
    pub label_en: String,
}

/// Recent reporting periods (24 months, 8 quarters, 4 half-years, 3 preliminary years, 3 years).
#[utoipa::path(get, path = "/api/v1/periods", tag = "danvan",
    responses((status = 200, body = PeriodList)))]
async fn periods(State(state): State<AppState>, _viewer: Viewer) -> axum::Json<PeriodList> {
    let p = state.aggregator.periods();
    let today = access::today();
    let periods = [
        (PeriodKind::Month, 24),
        (PeriodKind::Quarter, 8),
        (PeriodKind::HalfYear, 4),
        (PeriodKind::YearPreliminary, 3),
        (PeriodKind::Year, 3),
    ]
    .into_iter()
    .flat_map(|(k, n)| p.recent(today, k, n))
    .map(|period| PeriodItem {
        label: period.label(Lang::Vi),
        label_en: period.label(Lang::En),
        period,
    })
    .collect();
    axum::Json(PeriodList { periods })
}

/// A unit and its children as of a date.
#[derive(Serialize, ToSchema)]
pub struct UnitInfo {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Level.
    pub level: String,
    /// Parent code, if the parent is within the officer's scope.
    pub parent: Option<String>,
    /// The date the tree was read on.
    pub as_of: chrono::NaiveDate,
    /// Direct children on that date.
    pub children: Vec<UnitLink>,
}

/// A child unit.
#[derive(Serialize, ToSchema)]
pub struct UnitLink {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Level.
    pub level: String,
}

/// `?as_of=YYYY-MM-DD`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AsOfQuery {
    /// Date the unit tree is read on (default: today).
    pub as_of: Option<chrono::NaiveDate>,
}

/// A unit and its children (for the unit picker).
#[utoipa::path(get, path = "/api/v1/units/{code}", tag = "danvan",
    params(("code" = String, Path, example = "11533", description = "Unit code"), AsOfQuery),
    responses((status = 200, body = UnitInfo)))]
async fn unit(
    State(state): State<AppState>,
    viewer: Viewer,
    axum::extract::Path(code): axum::extract::Path<String>,
    Query(q): Query<AsOfQuery>,
) -> Result<axum::Json<UnitInfo>, ApiError> {
    let as_of = q.as_of.unwrap_or_else(access::today);
    let tree = state.units.tree();
    let u = access::find_unit(&tree, &code, as_of)?;
    if !access::within_scope(&tree, &viewer, &code, as_of) {
        return Err(ApiError::new(ErrorCode::OutOfScope));
    }
    let parent = u
        .parent
        .clone()
        .filter(|p| access::within_scope(&tree, &viewer, p, as_of));
    Ok(axum::Json(UnitInfo {
        code: u.code.clone(),
        name: u.name.clone(),
        level: u.level.clone(),
        parent,
        as_of,
        children: tree
            .children(&code, as_of)
            .into_iter()
            .map(|c| UnitLink {
                code: c.code.clone(),
                name: c.name.clone(),
                level: c.level.clone(),
            })
            .collect(),
    }))
}

/// `?unit=&period=`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnitPeriod {
    /// Unit code.
    #[param(example = "11533")]
    pub unit: String,
    /// Period key: `2026-07`, `2026-Q3`, `2026-H1`, `2026-YP`, `2026`.
    #[param(example = "2025-09")]
    pub period: String,
}

async fn target(
    state: &AppState,
    viewer: &Viewer,
    q: &UnitPeriod,
) -> Result<access::Target, ApiError> {
    let period = access::period(state, &q.period)?;
    access::resolve(state, viewer, &q.unit, period)
}

/// Aggregates of a unit's subtree for a period, with one row per child unit.
#[utoipa::path(get, path = "/api/v1/aggregates", tag = "danvan", params(UnitPeriod),
    responses((status = 200, body = Report)))]
async fn aggregates(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<UnitPeriod>,
) -> Result<axum::Json<Report>, ApiError> {
    let t = target(&state, &viewer, &q).await?;
    Ok(axum::Json(
        state
            .aggregator
            .report_seen(
                &t.unit.code,
                Some(t.unit.valid_from),
                &t.period,
                access::small_cells(&state, &viewer),
            )
            .await?,
    ))
}

/// Which communes reported for a period: records, locks, on time or late.
#[utoipa::path(get, path = "/api/v1/completeness", tag = "danvan", params(UnitPeriod),
    responses((status = 200, body = Completeness)))]
async fn completeness(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<UnitPeriod>,
) -> Result<axum::Json<Completeness>, ApiError> {
    let t = target(&state, &viewer, &q).await?;
    Ok(axum::Json(
        state
            .aggregator
            .completeness(&t.unit.code, &t.period)
            .await?,
    ))
}

/// `?unit=&period=&indicator=`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RankingQuery {
    /// Unit code.
    #[param(example = "31")]
    pub unit: String,
    /// Period key.
    #[param(example = "2025-Q3")]
    pub period: String,
    /// Indicator (default `mediation_received`).
    pub indicator: Option<RankIndicator>,
}

/// Communes of a unit's subtree ranked by an indicator.
#[utoipa::path(get, path = "/api/v1/ranking", tag = "danvan", params(RankingQuery),
    responses((status = 200, body = Vec<RankRow>)))]
async fn ranking(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<RankingQuery>,
) -> Result<axum::Json<Vec<RankRow>>, ApiError> {
    let t = target(
        &state,
        &viewer,
        &UnitPeriod {
            unit: q.unit,
            period: q.period,
        },
    )
    .await?;
    let ind = q.indicator.unwrap_or(RankIndicator::MediationReceived);
    Ok(axum::Json(
        state
            .aggregator
            .ranking(&t.unit.code, &t.period, ind)
            .await?,
    ))
}

/// Lock a period for a commune.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LockRequest {
    /// Commune code.
    #[schema(example = "11533")]
    pub unit: String,
    /// Period key.
    #[schema(example = "2025-09")]
    pub period: String,
}

/// A commune officer locks a period for their commune (keeps a snapshot of its figures).
#[utoipa::path(post, path = "/api/v1/locks", tag = "danvan", request_body = LockRequest,
    params(("x-csrf-token" = String, Header, description = "The session's CSRF token")),
    responses((status = 200, body = Lock)))]
async fn create_lock(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Json(req): Json<LockRequest>,
) -> Result<axum::Json<Lock>, ApiError> {
    check_csrf(&viewer, &headers, csrf_header(&headers))?;
    let period = access::period(&state, &req.period)?;
    Ok(axum::Json(
        lock_for(&state, &viewer, &req.unit, &period).await?,
    ))
}

/// A record of the commune's list (no personal field; the detail page has them).
#[derive(Serialize, ToSchema)]
pub struct RecordItem {
    /// Record id.
    pub id: String,
    /// Kind code.
    pub kind: String,
    /// Unit entered under.
    pub unit: String,
    /// Status code.
    pub status: String,
    /// Category code.
    pub category: Option<String>,
    /// Main date.
    pub main_date: Option<String>,
    /// Closing date.
    pub closed_on: Option<String>,
}

/// `?unit=`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnitQuery {
    /// Unit code (a commune or village of the officer's commune).
    #[param(example = "11533")]
    pub unit: String,
}

/// The records of a commune (commune officers only; others get 403 `records_forbidden`).
#[utoipa::path(get, path = "/api/v1/records", tag = "danvan", params(UnitQuery),
    responses((status = 200, body = Vec<RecordItem>)))]
async fn records(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<UnitQuery>,
) -> Result<axum::Json<Vec<RecordItem>>, ApiError> {
    let rows = records_of(&state, &viewer, &q.unit).await?;
    Ok(axum::Json(
        rows.into_iter()
            .map(|r| RecordItem {
                id: r.id,
                kind: r.kind,
                unit: r.unit,
                status: r.status,
                category: r.category,
                main_date: r.main_date,
                closed_on: r.closed_on,
            })
            .collect(),
    ))
}
