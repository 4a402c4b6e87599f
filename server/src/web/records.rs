//! The record list and record detail of a commune (`/dashboard/records?unit=`,
//! `/dashboard/records/{id}`): the only pages with personal fields, for commune officers within
//! their commune. Every other role gets 403 `records_forbidden`; another commune's records give
//! 403 `out_of_scope`.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use danvan_core::{Coded, Lang, RecordBody, RecordDoc, RecordKind};
use serde::Deserialize;

use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;
use crate::storage::sessions::RecordListRow;
use crate::web::access;
use crate::web::i18n::{Messages, code_label, messages};
use crate::web::render::{self, enc, error_page, html, lang_code};
use crate::web::session::{PageViewer, ReqLang, Viewer};

/// Most records listed on one page.
pub const LIST_LIMIT: u32 = 500;

/// A file attached to record `id`, for the commune officer (a download, with its media type).
/// Above the commune: 403 `records_forbidden`, as for the record itself.
async fn attachment(
    State(state): State<AppState>,
    PageViewer(viewer): PageViewer,
    Path((id, sha)): Path<(String, String)>,
    req: axum::extract::Request,
) -> Result<Response, ApiError> {
    let record = load_record(&state, &viewer, &id).await?;
    let reference = record
        .attachments
        .get(&sha)
        .filter(|_| danvan_core::attachment::is_sha256_hex(&sha))
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound))?;
    let dir = state
        .config
        .attachments_dir
        .as_deref()
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound))?;
    crate::http::attachments::serve_file(
        &crate::http::attachments::whole_path(dir, &sha),
        reference,
        req,
    )
    .await
}

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/dashboard/records", get(list))
        .route("/dashboard/records/{id}", get(detail))
        .route("/dashboard/records/{id}/attachments/{sha}", get(attachment))
}

pub(crate) struct RecordView {
    id: String,
    href: String,
    kind: String,
    main_date: String,
    unit: String,
    category: String,
    status: String,
    closed_on: String,
}

/// One overdue item of the commune (a petition not accepted or not resolved in time, a dialogue
/// commitment or an inspection recommendation past its day).
pub(crate) struct OverdueView {
    href: String,
    kind: String,
    summary: String,
    rule: String,
    due_on: String,
    days_late: i64,
}

#[derive(Template)]
#[template(path = "records.html")]
struct ListPage<'a> {
    m: &'a Messages,
    lang: &'a str,
    username: String,
    role: &'static str,
    csrf: String,
    unit_name: String,
    back: String,
    rows: Vec<RecordView>,
    overdue: Vec<OverdueView>,
}

/// What is overdue today among the open records of `rows` whose kind has deadlines (petitions,
/// dialogues, inspection), most late first. Reads each such document once; a commune holds a
/// few hundred open ones at most.
async fn overdue_of(
    state: &AppState,
    rows: &[RecordListRow],
    lang: Lang,
) -> Result<Vec<OverdueView>, ApiError> {
    let today = danvan_core::model::common::Date::today_vn();
    let cfg = state.aggregator.rules();
    let mut out = Vec::new();
    for r in rows.iter().filter(|r| {
        r.closed_on.is_none()
            && matches!(
                RecordKind::from_code(&r.kind),
                Some(RecordKind::Petition | RecordKind::Dialogue | RecordKind::Inspection)
            )
    }) {
        let Some((bytes, _)) = state.storage.full_document(&r.id).await? else {
            continue;
        };
        let record = RecordDoc::load(&bytes, &uuid::Uuid::nil())
            .and_then(|d| d.record())
            .map_err(|e| ApiError::internal(format!("stored record {}: {e}", r.id)))?;
        let summary = record.body.index().summary;
        for o in record.overdue(cfg, today) {
            out.push(OverdueView {
                href: format!("/dashboard/records/{}", enc(&r.id)),
                kind: code_label(&r.kind, lang),
                summary: summary.clone(),
                rule: match lang {
                    Lang::Vi => o.vi.clone(),
                    Lang::En => o.en.clone(),
                },
                due_on: o.due_on.to_string(),
                days_late: o.days_late,
            });
        }
    }
    out.sort_by_key(|o| std::cmp::Reverse(o.days_late));
    Ok(out)
}

#[derive(Deserialize)]
struct ListQuery {
    unit: Option<String>,
}

/// The records a commune officer may list under `unit` (its subtree today).
pub(crate) async fn records_of(
    state: &AppState,
    viewer: &Viewer,
    unit: &str,
) -> Result<Vec<RecordListRow>, ApiError> {
    let tree = state.units.tree();
    access::records_allowed(&tree, viewer, unit)?;
    let units = tree.subtree(unit, access::today());
    Ok(state.storage.records_under(&units, LIST_LIMIT).await?)
}

async fn list(
    State(state): State<AppState>,
    PageViewer(viewer): PageViewer,
    ReqLang(lang): ReqLang,
    Query(q): Query<ListQuery>,
) -> Response {
    let unit = q.unit.unwrap_or_else(|| viewer.unit.clone());
    let rows = match records_of(&state, &viewer, &unit).await {
        Ok(r) => r,
        Err(e) => return error_page(e, lang),
    };
    let overdue = match overdue_of(&state, &rows, lang).await {
        Ok(o) => o,
        Err(e) => return error_page(e, lang),
    };
    let tree = state.units.tree();
    let name_of = |code: &str| {
        tree.unit(code, access::today())
            .map_or_else(|| code.to_string(), |u| u.name.clone())
    };
    let page = ListPage {
        overdue,
        m: messages(lang),
        lang: lang_code(lang),
        username: viewer.username.clone(),
        role: viewer.role.label().get(lang),
        csrf: viewer.csrf.clone(),
        unit_name: name_of(&unit),
        back: format!("/dashboard?unit={}", enc(&unit)),
        rows: rows
            .into_iter()
            .map(|r| RecordView {
                href: format!("/dashboard/records/{}", enc(&r.id)),
                kind: code_label(&r.kind, lang),
                main_date: r.main_date.unwrap_or_default(),
                unit: name_of(&r.unit),
                category: r
                    .category
                    .as_deref()
                    .map(|c| code_label(c, lang))
                    .unwrap_or_default(),
                status: status_label(&r.kind, &r.status, lang),
                closed_on: r.closed_on.unwrap_or_default(),
                id: r.id,
            })
            .collect(),
    };
    html(StatusCode::OK, page.render())
}

fn status_label(kind: &str, status: &str, lang: Lang) -> String {
    use danvan_core::model::{democracy, dialogue, inspection, mediation, petition};
    fn l<T: Coded>(c: &str, lang: Lang) -> Option<String> {
        T::from_code(c).map(|v| v.label().get(lang).to_string())
    }
    match RecordKind::from_code(kind) {
        Some(RecordKind::Mediation) => l::<mediation::MediationStatus>(status, lang),
        Some(RecordKind::Inspection) => l::<inspection::InspectionStatus>(status, lang),
        Some(RecordKind::Democracy) => l::<democracy::CheckStatus>(status, lang),
        Some(RecordKind::Petition) => l::<petition::PetitionStatus>(status, lang),
        Some(RecordKind::Dialogue) => l::<dialogue::DialogueStatus>(status, lang),
        None => None,
    }
    .unwrap_or_else(|| status.to_string())
}

#[derive(Template)]
#[template(path = "record.html")]
struct DetailPage<'a> {
    m: &'a Messages,
    lang: &'a str,
    username: String,
    role: &'static str,
    csrf: String,
    id: String,
    back: String,
    kind: String,
    status: String,
    fields: Vec<(String, String)>,
    people: Vec<(String, String, String, String)>,
    json: String,
    /// Handling steps offered for a petition (code, label); empty for other kinds.
    steps: Vec<(String, String)>,
    reasons: Vec<render::Choice>,
    outcomes: Vec<render::Choice>,
    today: String,
    /// The record's files: name, media type, size in KB, link (empty while not uploaded).
    files: Vec<(String, String, String, String)>,
}

/// The whole record `id`, if the viewer may see it.
pub(crate) async fn load_record(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
) -> Result<danvan_core::Record, ApiError> {
    load_doc(state, viewer, id, &uuid::Uuid::nil())
        .await?
        .record()
        .map_err(|e| ApiError::internal(format!("stored record {id}: {e}")))
}

/// The stored document of record `id`, opened for `actor`'s changes, if the viewer may see it
/// (a commune officer, within the commune).
pub(crate) async fn load_doc(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    actor: &uuid::Uuid,
) -> Result<RecordDoc, ApiError> {
    if viewer.role != crate::roles::Role::CommuneOfficer {
        return Err(ApiError::new(ErrorCode::RecordsForbidden));
    }
    let id = &crate::text::id(id)?;
    let fact = state
        .storage
        .fact(id)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound))?;
    access::records_allowed(&state.units.tree(), viewer, &fact.unit)?;
    let (bytes, _) = state
        .storage
        .full_document(id)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound))?;
    RecordDoc::load(&bytes, actor)
        .map_err(|e| ApiError::internal(format!("stored record {id}: {e}")))
}

async fn detail(
    State(state): State<AppState>,
    PageViewer(viewer): PageViewer,
    ReqLang(lang): ReqLang,
    Path(id): Path<String>,
) -> Response {
    let record = match load_record(&state, &viewer, &id).await {
        Ok(r) => r,
        Err(e) => return error_page(e, lang),
    };
    let m = messages(lang);
    let idx = record.body.index();
    let mut fields = vec![
        (m.summary.to_string(), idx.summary.clone()),
        (
            m.unit.to_string(),
            state
                .units
                .tree()
                .unit(&record.envelope.unit, access::today())
                .map_or_else(
                    || record.envelope.unit.clone(),
                    |u| format!("{} ({})", u.name, u.code),
                ),
        ),
        (
            m.main_date.to_string(),
            idx.main_date.map(|d| d.0.to_string()).unwrap_or_default(),
        ),
    ];
    if let Some(c) = &idx.category {
        fields.push((m.category.to_string(), code_label(c, lang)));
    }
    if let Some(c) = idx.closed_on {
        fields.push((m.closed_on.to_string(), c.0.to_string()));
    }
    let mut people = Vec::new();
    let mut entries = |role: &str, list: &[danvan_core::model::PersonEntry]| {
        for p in list {
            let r = p.person.role.clone().unwrap_or_else(|| role.to_string());
            people.push((r, p.person.name.clone(), String::new(), String::new()));
        }
    };
    match &record.body {
        RecordBody::Mediation(c) => {
            entries(m.mediators, &c.mediators);
            entries("", &c.invited);
            for p in &c.parties {
                people.push((
                    p.role.label().get(lang).to_string(),
                    p.name.clone(),
                    p.address.clone(),
                    p.phone.clone().unwrap_or_default(),
                ));
            }
        }
        RecordBody::Inspection(a) => entries("", &a.members),
        RecordBody::Democracy(d) => entries("", &d.checkers),
        RecordBody::Petition(p) => {
            for x in &p.petitioners {
                people.push((
                    m.petitioner.to_string(),
                    x.name.clone(),
                    x.address.clone().unwrap_or_default(),
                    x.contact.clone().unwrap_or_default(),
                ));
            }
        }
        RecordBody::Dialogue(d) => {
            people.push((
                d.chair_role.label().get(lang).to_string(),
                d.chair_name.clone(),
                String::new(),
                String::new(),
            ));
        }
    }
    let steps: Vec<(String, String)> = if record.body.kind() == RecordKind::Petition {
        let kind = record.body.kind();
        let mut v: Vec<(String, String)> = record
            .body
            .next_statuses()
            .into_iter()
            .map(|c| (c.to_string(), status_label(kind.code(), c, lang)))
            .collect();
        if matches!(record.body.status_code(), "accepted" | "verifying") {
            v.push(("extend".into(), m.extend.to_string()));
        }
        v
    } else {
        Vec::new()
    };
    let mut files = Vec::new();
    for (sha, a) in &record.attachments {
        let href = match state.config.attachments_dir.as_deref() {
            Some(dir)
                if tokio::fs::try_exists(crate::http::attachments::whole_path(dir, sha))
                    .await
                    .unwrap_or(false) =>
            {
                format!("/dashboard/records/{id}/attachments/{sha}")
            }
            _ => String::new(),
        };
        files.push((
            a.name.clone(),
            a.media_type.clone(),
            format!("{:.0}", f64::from(a.size) / 1024.0),
            href,
        ));
    }
    let page = DetailPage {
        files,
        steps,
        reasons: render::choices::<danvan_core::model::petition::NotAcceptedReason>(lang),
        outcomes: render::choices::<danvan_core::model::petition::PetitionOutcome>(lang),
        today: danvan_core::model::common::Date::today_vn().to_string(),
        m,
        lang: lang_code(lang),
        username: viewer.username.clone(),
        role: viewer.role.label().get(lang),
        csrf: viewer.csrf.clone(),
        id: id.clone(),
        back: format!("/dashboard/records?unit={}", enc(&viewer.unit)),
        kind: record.body.kind().label().get(lang).to_string(),
        status: status_label(record.body.kind().code(), record.body.status_code(), lang),
        fields,
        people,
        json: serde_json::to_string_pretty(&record).unwrap_or_default(),
    };
    html(StatusCode::OK, page.render())
}
