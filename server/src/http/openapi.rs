//! The whole OpenAPI 3.1 description, served at `GET /api/openapi.json` and committed as
//! `docs/openapi.json` (a test checks the copy).
//!
//! utoipa generates the operations, their parameters and success bodies from the handlers'
//! annotations (the officers' part is [`crate::web::api::ApiDoc`], the devices' and operators'
//! part is [`DeviceApiDoc`] here). [`OPERATIONS`] then completes every operation from one
//! table: how it authenticates, **every error code** it can answer with (the error responses are
//! generated from the codes: each status the codes have in `error.rs`'s table, the error body
//! with `code` narrowed to that status's codes, the codes and their messages in the
//! description), and the formats of its unit and period parameters. A test checks that the
//! table and the generated operations name the same operations.

use axum::Router;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use danvan_core::Coded;
use serde_json::{Map, Value, json};
use utoipa::OpenApi;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, Type};

use crate::error::ErrorCode;
use crate::roles::Role;
use crate::state::AppState;

use ErrorCode as E;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/openapi.json", get(serve))
}

async fn serve() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], json_string()).into_response()
}

/// The devices' and operators' part of the description (completed by [`document`]).
#[derive(OpenApi)]
#[openapi(
    paths(super::enroll::enroll, super::device::me, super::sync::sync,
        super::attachments::offset, super::attachments::upload, super::attachments::download,
        super::peer::certificate, super::peer::attestations, super::health::healthz,
        super::health::metrics),
    components(schemas(super::enroll::EnrollRequest, super::enroll::EnrollResponse,
        super::device::DeviceInfo, super::health::Health, Role)),
    tags((name = "device", description = "The phones' API: enrollment with a one-time code, then `Authorization: Bearer <device_id>.<device_secret>`."),
        (name = "operations", description = "Health check and metrics for operators."))
)]
pub struct DeviceApiDoc;

impl utoipa::PartialSchema for Role {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("Role code."))
            .enum_values(Some(Role::all().iter().map(Coded::code)))
            .into()
    }
}

impl utoipa::ToSchema for Role {}

/// The schema of a list of record kinds (codes).
pub fn record_kinds() -> ArrayBuilder {
    ArrayBuilder::new().items(
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("Record kind code."))
            .enum_values(Some(danvan_core::RecordKind::all().iter().map(Coded::code))),
    )
}

/// How an operation authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Auth {
    /// Nothing (the login, the health check).
    None,
    /// The dashboard session cookie (401 `unauthenticated` without it).
    Session,
    /// The session cookie and its CSRF token in `x-csrf-token` (403 `csrf_failed`).
    SessionCsrf,
    /// A device's `Authorization: Bearer <device_id>.<device_secret>`.
    Device,
    /// The operator's `--metrics-token` as a bearer token.
    Metrics,
}

impl Auth {
    fn codes(self) -> &'static [ErrorCode] {
        match self {
            Auth::None => &[],
            Auth::Session => &[E::Unauthenticated],
            Auth::SessionCsrf => &[E::Unauthenticated, E::CsrfFailed],
            Auth::Device => &[E::AuthMalformed, E::DeviceUnknown, E::DeviceRevoked],
            Auth::Metrics => &[E::MetricsUnauthorized],
        }
    }

    fn security(self) -> Option<Value> {
        match self {
            Auth::None => None,
            Auth::Session | Auth::SessionCsrf => Some(json!([{ "session": [] }])),
            Auth::Device => Some(json!([{ "device": [] }])),
            Auth::Metrics => Some(json!([{ "metrics": [] }])),
        }
    }
}

/// The format of a unit or period parameter (or body property).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A reporting period key: `2026`, `2026-YP`, `2026-H1`, `2026-Q3`, `2026-07`.
    Period,
    /// A period key, or empty for the operation's default period.
    PeriodOrEmpty,
    /// A unit code.
    Unit,
    /// A unit code, or empty for the officer's unit.
    UnitOrEmpty,
}

/// A period key: a year from 2000 to 2100 (the default `min_year`/`max_year` of the periods
/// configuration), then nothing (the year), `-YP` (preliminary year), `-H1`/`-H2`,
/// `-Q1`…`-Q4` or a month `-01`…`-12`. Anything else is 400 `bad_period`.
pub const PERIOD_PATTERN: &str = "^(20[0-9]{2}|2100)(-(0[1-9]|1[0-2])|-Q[1-4]|-H[12]|-YP)?$";
/// A period key or nothing.
const PERIOD_OR_EMPTY_PATTERN: &str =
    "^((20[0-9]{2}|2100)(-(0[1-9]|1[0-2])|-Q[1-4]|-H[12]|-YP)?)?$";
/// A unit code as the unit import accepts it: 1-64 characters, no white space, `;`, `:` or
/// control character. A well-formed code that names no unit is 404 `not_found`.
pub const UNIT_PATTERN: &str = "^[^\\s;:\\x00-\\x1f\\x7f-\\x9f]{1,64}$";
/// A unit code or nothing.
const UNIT_OR_EMPTY_PATTERN: &str = "^[^\\s;:\\x00-\\x1f\\x7f-\\x9f]{0,64}$";

impl Format {
    fn pattern(self) -> &'static str {
        match self {
            Format::Period => PERIOD_PATTERN,
            Format::PeriodOrEmpty => PERIOD_OR_EMPTY_PATTERN,
            Format::Unit => UNIT_PATTERN,
            Format::UnitOrEmpty => UNIT_OR_EMPTY_PATTERN,
        }
    }
}

/// One operation of the description: what [`document`] adds to what utoipa generated.
#[derive(Debug)]
pub struct Operation {
    /// Lower-case HTTP method.
    pub method: &'static str,
    /// Path template.
    pub path: &'static str,
    /// Authentication (adds its own codes).
    pub auth: Auth,
    /// The error codes of the operation itself; every operation may also answer 408
    /// `timeout`, 413 `body_too_large` and 500 `internal` ([`COMMON`]).
    pub errors: &'static [ErrorCode],
    /// Formats of parameters (any location), by name.
    pub formats: &'static [(&'static str, Format)],
    /// Statuses whose answers carry `Retry-After` (seconds).
    pub retry_after: &'static [u16],
}

/// Codes any operation may answer with: the request timeout, the body limit (checked on every
/// request, a `Content-Length` over it included), and a failure inside the server.
pub const COMMON: &[ErrorCode] = &[E::Timeout, E::BodyTooLarge, E::Internal];

const fn op(
    method: &'static str,
    path: &'static str,
    auth: Auth,
    errors: &'static [ErrorCode],
    formats: &'static [(&'static str, Format)],
) -> Operation {
    Operation {
        method,
        path,
        auth,
        errors,
        formats,
        retry_after: &[],
    }
}

use Format::{Period, PeriodOrEmpty, Unit, UnitOrEmpty};

const UNIT_PERIOD: &[(&str, Format)] = &[("unit", Unit), ("period", Period)];
const UNIT_DEFAULT_PERIOD: &[(&str, Format)] = &[("unit", Unit), ("period", PeriodOrEmpty)];
const DEFAULTS: &[(&str, Format)] = &[("unit", UnitOrEmpty), ("period", PeriodOrEmpty)];
/// A report for a unit and period: a missing parameter (400 `bad_request`), a bad key, a unit
/// outside the scope or unknown.
const REPORT: &[ErrorCode] = &[E::BadRequest, E::BadPeriod, E::OutOfScope, E::NotFound];
/// A download whose unit and period may be left out (400 `bad_request`: a query that does not
/// deserialize, such as a parameter given twice).
const DOWNLOAD: &[ErrorCode] = &[E::BadRequest, E::BadPeriod, E::OutOfScope, E::NotFound];
/// A registry path id that is not a UUID, the registry's and the scope's refusals, no such row.
const TEAM: &[ErrorCode] = &[
    E::BadRequest,
    E::RegistryForbidden,
    E::OutOfScope,
    E::NotFound,
];

/// Codes of the attachment routes that read (`HEAD`, `GET`).
const ATTACHMENT: &[ErrorCode] = &[
    E::BadHash,
    E::BadRequest,
    E::Forbidden,
    E::AttachmentsForbidden,
    E::NotFound,
    E::Unavailable,
];

/// Every operation of the description.
pub const OPERATIONS: &[Operation] = &[
    // The session.
    Operation {
        retry_after: &[429, 503],
        ..op(
            "post",
            "/api/v1/session",
            Auth::None,
            &[
                E::BadRequest,
                E::InvalidText,
                E::LoginFailed,
                E::CsrfFailed,
                E::TooManyAttempts,
                E::Unavailable,
            ],
            &[],
        )
    },
    op("get", "/api/v1/session", Auth::Session, &[], &[]),
    op("delete", "/api/v1/session", Auth::SessionCsrf, &[], &[]),
    // Reports.
    op("get", "/api/v1/periods", Auth::Session, &[], &[]),
    op(
        "get",
        "/api/v1/units/{code}",
        Auth::Session,
        &[E::BadRequest, E::OutOfScope, E::NotFound],
        &[("code", Unit)],
    ),
    op(
        "get",
        "/api/v1/aggregates",
        Auth::Session,
        REPORT,
        UNIT_PERIOD,
    ),
    op(
        "get",
        "/api/v1/completeness",
        Auth::Session,
        REPORT,
        UNIT_PERIOD,
    ),
    op("get", "/api/v1/ranking", Auth::Session, REPORT, UNIT_PERIOD),
    op(
        "post",
        "/api/v1/locks",
        Auth::SessionCsrf,
        &[
            E::BadRequest,
            E::BadPeriod,
            E::OutOfScope,
            E::LockForbidden,
            E::NotFound,
            E::PeriodNotStarted,
            E::LockUnitNotInForce,
        ],
        &[],
    ),
    op(
        "get",
        "/api/v1/records",
        Auth::Session,
        &[
            E::BadRequest,
            E::RecordsForbidden,
            E::OutOfScope,
            E::NotFound,
        ],
        &[("unit", Unit)],
    ),
    op(
        "get",
        "/api/v1/reports/{unit}/submitted",
        Auth::Session,
        &[
            E::BadRequest,
            E::BadPeriod,
            E::OutOfScope,
            E::NotFound,
            E::NotLocked,
        ],
        UNIT_PERIOD,
    ),
    op(
        "get",
        "/api/v1/reports/mass-mobilisation",
        Auth::Session,
        REPORT,
        DEFAULTS,
    ),
    // The registry of mediation teams and mediators.
    op(
        "get",
        "/api/v1/teams",
        Auth::Session,
        &[E::RegistryForbidden],
        &[],
    ),
    op(
        "post",
        "/api/v1/teams",
        Auth::SessionCsrf,
        &[
            E::BadRequest,
            E::InvalidText,
            E::BadDates,
            E::NotAVillage,
            E::RegistryForbidden,
            E::OutOfScope,
        ],
        &[],
    ),
    op("get", "/api/v1/teams/{id}", Auth::Session, TEAM, &[]),
    op(
        "put",
        "/api/v1/teams/{id}",
        Auth::SessionCsrf,
        &[
            E::BadRequest,
            E::InvalidText,
            E::BadDates,
            E::NotAVillage,
            E::RegistryForbidden,
            E::OutOfScope,
            E::NotFound,
        ],
        &[],
    ),
    op(
        "post",
        "/api/v1/teams/{id}/dissolve",
        Auth::SessionCsrf,
        &[
            E::BadRequest,
            E::BadDates,
            E::RegistryForbidden,
            E::OutOfScope,
            E::NotFound,
            E::TeamHasMediators,
        ],
        &[],
    ),
    op(
        "get",
        "/api/v1/mediators",
        Auth::Session,
        &[E::RegistryForbidden],
        &[],
    ),
    op(
        "post",
        "/api/v1/mediators",
        Auth::SessionCsrf,
        &[
            E::BadRequest,
            E::InvalidText,
            E::BadDates,
            E::RegistryForbidden,
            E::OutOfScope,
            E::NotFound,
            E::TeamNotInForce,
            E::TeamHasLeader,
        ],
        &[],
    ),
    op("get", "/api/v1/mediators/{id}", Auth::Session, TEAM, &[]),
    op(
        "put",
        "/api/v1/mediators/{id}",
        Auth::SessionCsrf,
        &[
            E::BadRequest,
            E::InvalidText,
            E::RegistryForbidden,
            E::OutOfScope,
            E::NotFound,
        ],
        &[],
    ),
    op(
        "post",
        "/api/v1/mediators/{id}/move",
        Auth::SessionCsrf,
        &[
            E::BadRequest,
            E::BadDates,
            E::RegistryForbidden,
            E::OutOfScope,
            E::NotFound,
            E::TeamNotInForce,
            E::TeamHasLeader,
            E::NoOpenMembership,
        ],
        &[],
    ),
    op(
        "post",
        "/api/v1/mediators/{id}/end",
        Auth::SessionCsrf,
        &[
            E::BadRequest,
            E::BadDates,
            E::RegistryForbidden,
            E::OutOfScope,
            E::NotFound,
            E::NoOpenMembership,
        ],
        &[],
    ),
    op(
        "get",
        "/api/v1/team-figures",
        Auth::Session,
        DOWNLOAD,
        UNIT_DEFAULT_PERIOD,
    ),
    // "Dân vận khéo" models.
    op(
        "get",
        "/api/v1/dvk-models",
        Auth::Session,
        &[E::BadRequest, E::OutOfScope, E::NotFound],
        &[("unit", Unit)],
    ),
    op(
        "post",
        "/api/v1/dvk-models",
        Auth::SessionCsrf,
        &[
            E::BadRequest,
            E::InvalidText,
            E::NotADvkUnit,
            E::DvkBadDates,
            E::DvkRecognitionIncomplete,
            E::DvkCommendationIncomplete,
            E::DvkForbidden,
            E::OutOfScope,
        ],
        &[],
    ),
    op(
        "get",
        "/api/v1/dvk-models/{id}",
        Auth::Session,
        &[E::BadRequest, E::OutOfScope, E::NotFound],
        &[],
    ),
    op(
        "put",
        "/api/v1/dvk-models/{id}",
        Auth::SessionCsrf,
        &[
            E::BadRequest,
            E::InvalidText,
            E::NotADvkUnit,
            E::DvkBadDates,
            E::DvkRecognitionIncomplete,
            E::DvkCommendationIncomplete,
            E::DvkForbidden,
            E::OutOfScope,
            E::NotFound,
        ],
        &[],
    ),
    op(
        "post",
        "/api/v1/dvk-models/{id}/end",
        Auth::SessionCsrf,
        &[
            E::BadRequest,
            E::DvkBadDates,
            E::DvkForbidden,
            E::OutOfScope,
            E::NotFound,
            E::DvkEnded,
        ],
        &[],
    ),
    op(
        "get",
        "/api/v1/dvk-figures",
        Auth::Session,
        DOWNLOAD,
        UNIT_DEFAULT_PERIOD,
    ),
    // Exports.
    op(
        "get",
        "/export/{file}",
        Auth::Session,
        DOWNLOAD,
        UNIT_DEFAULT_PERIOD,
    ),
    op(
        "get",
        "/export/moj-hgcs-cases.xlsx",
        Auth::Session,
        DOWNLOAD,
        UNIT_DEFAULT_PERIOD,
    ),
    op(
        "get",
        "/export/mediation-moj.xlsx",
        Auth::Session,
        DOWNLOAD,
        UNIT_DEFAULT_PERIOD,
    ),
    op(
        "get",
        "/export/moj-hgcs-teams.xlsx",
        Auth::Session,
        DOWNLOAD,
        UNIT_DEFAULT_PERIOD,
    ),
    op(
        "get",
        "/reports/mass-mobilisation.docx",
        Auth::Session,
        DOWNLOAD,
        DEFAULTS,
    ),
    op(
        "get",
        "/reports/mass-mobilisation.xlsx",
        Auth::Session,
        DOWNLOAD,
        DEFAULTS,
    ),
    // The devices' API.
    Operation {
        retry_after: &[429],
        ..op(
            "post",
            "/v1/enroll",
            Auth::None,
            &[
                E::BadRequest,
                E::InvalidText,
                E::EnrollCodeInvalid,
                E::EnrollCodeUsed,
                E::EnrollCodeExpired,
                E::EnrollRateLimited,
            ],
            &[],
        )
    },
    op("get", "/v1/device", Auth::Device, &[E::Forbidden], &[]),
    op(
        "post",
        "/v1/sync",
        Auth::Device,
        &[
            E::UnsupportedMediaType,
            E::BadFrame,
            E::UpgradeRequired,
            E::Forbidden,
        ],
        &[],
    ),
    // Phone-to-phone exchange (ADR 0014).
    op(
        "post",
        "/v1/device/certificate",
        Auth::Device,
        &[E::BadRequest, E::KeyMismatch],
        &[],
    ),
    op(
        "post",
        "/v1/attestations",
        Auth::Device,
        &[E::BadRequest],
        &[],
    ),
    // Attachments (ADR 0014).
    op(
        "head",
        "/v1/attachments/{sha256}",
        Auth::Device,
        ATTACHMENT,
        &[],
    ),
    op(
        "get",
        "/v1/attachments/{sha256}",
        Auth::Device,
        ATTACHMENT,
        &[],
    ),
    op(
        "patch",
        "/v1/attachments/{sha256}",
        Auth::Device,
        &[
            E::BadHash,
            E::BadRequest,
            E::Forbidden,
            E::AttachmentsForbidden,
            E::NotFound,
            E::Unavailable,
            E::UnsupportedMediaType,
            E::OffsetMismatch,
            E::UploadInProgress,
            E::HashMismatch,
        ],
        &[],
    ),
    // Operations.
    op("get", "/healthz", Auth::None, &[E::Unavailable], &[]),
    op("get", "/metrics", Auth::Metrics, &[E::NotFound], &[]),
];

/// Formats of request-body properties: (schema, property, format).
const BODY_FORMATS: &[(&str, &str, Format)] = &[
    ("LockRequest", "unit", Unit),
    ("LockRequest", "period", Period),
];

/// The former path of the cases form, kept for saved links (same handler).
const CASES_ALIAS: (&str, &str) = ("/export/mediation-moj.xlsx", "/export/moj-hgcs-cases.xlsx");

/// The whole description.
pub fn document() -> Value {
    let mut api = crate::web::api::ApiDoc::openapi();
    api.merge(DeviceApiDoc::openapi());
    let mut doc = serde_json::to_value(&api).unwrap_or(Value::Null);
    complete(&mut doc);
    doc
}

/// [`document`] as pretty JSON (what `/api/openapi.json` serves).
pub fn json_string() -> String {
    serde_json::to_string_pretty(&document()).unwrap_or_else(|_| String::from("{}"))
}

/// The operation `method path` of the table, if any.
pub fn operation(method: &str, path: &str) -> Option<&'static Operation> {
    OPERATIONS
        .iter()
        .find(|o| o.method == method && o.path == path)
}

/// Every code an operation may answer with, in the error table's order.
pub fn codes_of(o: &Operation) -> Vec<ErrorCode> {
    ErrorCode::ALL
        .iter()
        .copied()
        .filter(|c| COMMON.contains(c) || o.auth.codes().contains(c) || o.errors.contains(c))
        .collect()
}

fn complete(doc: &mut Value) {
    doc["info"]["description"] = Value::from(DESCRIPTION);
    doc["components"]["securitySchemes"] = json!({
        "session": {
            "type": "apiKey", "in": "cookie", "name": "danvan_session",
            "description": "The dashboard session from `POST /api/v1/session`. Cookie-authenticated writes also send the session's CSRF token in `x-csrf-token`."
        },
        "device": {
            "type": "http", "scheme": "bearer",
            "description": "`<device_id>.<device_secret>` from `POST /v1/enroll`."
        },
        "metrics": {
            "type": "http", "scheme": "bearer",
            "description": "The server's `--metrics-token`."
        }
    });
    // The alias of the cases form: the same operation, deprecated.
    let (alias, target) = CASES_ALIAS;
    if let Some(mut op) = doc["paths"][target]["get"].as_object().cloned() {
        op.insert("operationId".into(), Value::from("cases_xlsx_former_path"));
        op.insert("deprecated".into(), Value::Bool(true));
        op.insert(
            "summary".into(),
            Value::from(format!(
                "The former path of `{target}` (kept for saved links)."
            )),
        );
        doc["paths"][alias] = json!({ "get": op });
    }
    if let Some(paths) = doc["paths"].as_object_mut() {
        for (path, item) in paths.iter_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for (method, op) in item.iter_mut() {
                if let Some(row) = operation(method, path) {
                    complete_operation(op, row);
                }
            }
        }
    }
    for (schema, property, format) in BODY_FORMATS {
        let at = format!("/components/schemas/{schema}/properties/{property}");
        if let Some(p) = doc.pointer_mut(&at).and_then(Value::as_object_mut) {
            p.insert("pattern".into(), Value::from(format.pattern()));
        }
    }
}

fn complete_operation(op: &mut Value, row: &Operation) {
    if let Some(security) = row.auth.security() {
        op["security"] = security;
    }
    // `get_mut`, not indexing: indexing a JSON value mutably inserts the key.
    if let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) {
        for p in params {
            let name = p["name"].as_str().unwrap_or_default();
            if let Some((_, f)) = row.formats.iter().find(|(n, _)| *n == name) {
                p["schema"]["pattern"] = Value::from(f.pattern());
            }
        }
    }
    let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
        return;
    };
    responses.retain(|status, _| !status.starts_with('4') && !status.starts_with('5'));
    let codes = codes_of(row);
    let mut statuses: Vec<u16> = codes.iter().map(|c| c.status().as_u16()).collect();
    statuses.sort_unstable();
    statuses.dedup();
    for status in statuses {
        let here: Vec<ErrorCode> = codes
            .iter()
            .copied()
            .filter(|c| c.status().as_u16() == status)
            .collect();
        let description = here
            .iter()
            .map(|c| format!("- `{}`: {}", c.as_str(), c.messages().1))
            .collect::<Vec<_>>()
            .join("\n");
        let names: Vec<&str> = here.iter().map(|c| c.as_str()).collect();
        let mut response = Map::new();
        response.insert("description".into(), Value::from(description));
        if row.retry_after.contains(&status) {
            response.insert(
                "headers".into(),
                json!({ "Retry-After": {
                    "description": "Seconds to wait before trying again.",
                    "required": true,
                    "schema": { "type": "integer", "minimum": 1 }
                }}),
            );
        }
        response.insert(
            "content".into(),
            json!({ "application/json": { "schema": { "allOf": [
                { "$ref": "#/components/schemas/ErrorBody" },
                { "type": "object", "properties": { "error": {
                    "type": "object", "properties": { "code": { "enum": names } }
                }}}
            ]}}}),
        );
        responses.insert(status.to_string(), Value::Object(response));
    }
}

const DESCRIPTION: &str = "The danvan server's HTTP API.\n\n\
- **Officers** (`/api/v1`, exports): aggregates, completeness and period locks of grassroots mediation, people's inspection and grassroots-democracy records, by administrative unit and reporting period; the registry of mediation teams and mediators; \"Dân vận khéo\" models; CSV, XLSX and DOCX downloads. Authentication: the `danvan_session` cookie from `POST /api/v1/session`; cookie-authenticated writes send the session's CSRF token in `x-csrf-token`. Above the commune level, answers hold de-identified aggregates only.\n\
- **Devices** (`/v1`): a phone enrolls with a one-time code (`POST /v1/enroll`), then authenticates with `Authorization: Bearer <device_id>.<device_secret>` and syncs binary frames (`POST /v1/sync`, `docs/sync-protocol.md`).\n\
- **Operators**: `GET /healthz`, `GET /metrics`.\n\n\
Every error is a JSON `ErrorBody` whose `code` is one of `ErrorCode`; each operation lists its codes under the status they come with. Any operation may also answer 408 `timeout`, 413 `body_too_large` (the body limit) and 500 `internal`. The dashboard's HTML pages and forms are not part of this API.";
