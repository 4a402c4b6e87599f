//! Petitions entered and handled on the dashboard by commune officers (issue 10; decision in
//! docs/adr/0011-petitions-and-dialogues.md): `GET /dashboard/petitions/new` (the reception
//! form), `POST /dashboard/petitions` (record a received petition) and
//! `POST /dashboard/records/{id}/petition` (one handling step: accept, verify, forward, return,
//! file, extend, resolve, carry out, withdraw).
//!
//! A petition is the same Automerge record a reception officer's phone writes: the server
//! authors the changes under the officer's own actor id (a UUIDv5 of the login name, so every
//! change names who made it, ADR 0001) and writes them through the sync write path
//! ([`merge_device_push`]: the record's rules, the scope of the officer's role, the authorship
//! check), so a record entered here and one entered on a phone are indistinguishable and merge
//! with each other.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use danvan_core::model::common::{Date, new_item_id};
use danvan_core::model::petition::{
    CompetentBody, Complexity, Extension, NotAcceptedReason, Petition, PetitionChannel,
    PetitionOutcome, PetitionStatus, PetitionSubject, PetitionType, Petitioner, Resolution,
};
use danvan_core::sync::merge::{MergeLimits, Stored, merge_device_push};
use danvan_core::sync::wire::{Outcome, Push, RejectReason};
use danvan_core::{Coded, Lang, Record, RecordBody, RecordDoc, RecordKind};
use serde::Deserialize;
use uuid::Uuid;

use super::access;
use super::i18n::{Messages, messages};
use super::render::{Choice, choices, enc, error_page, html, lang_code};
use super::session::{PageViewer, ReqLang, Viewer, check_csrf};
use crate::error::{ApiError, ErrorCode};
use crate::roles::{Role, scope};
use crate::state::AppState;
use crate::text::clean_text;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/dashboard/petitions/new", get(new_page))
        .route("/dashboard/petitions", post(create))
        .route("/dashboard/records/{id}/petition", post(handle))
}

/// The actor id of a dashboard officer's changes: stable per login name.
pub(crate) fn web_actor(username: &str) -> Uuid {
    Uuid::new_v5(
        &Uuid::NAMESPACE_URL,
        format!("danvan:user:{username}").as_bytes(),
    )
}

#[derive(Template)]
#[template(path = "petition_new.html")]
struct NewPage<'a> {
    m: &'a Messages,
    lang: &'a str,
    username: String,
    role: &'static str,
    csrf: String,
    unit_name: String,
    back: String,
    today: String,
    issues: Vec<String>,
    channels: Vec<Choice>,
    types: Vec<Choice>,
    subjects: Vec<Choice>,
    bodies: Vec<Choice>,
    complexities: Vec<Choice>,
}

fn officer_only(viewer: &Viewer) -> Result<(), ApiError> {
    if viewer.role == Role::CommuneOfficer {
        Ok(())
    } else {
        Err(ApiError::new(ErrorCode::RecordWriteForbidden))
    }
}

fn new_page_for(state: &AppState, viewer: &Viewer, lang: Lang, issues: Vec<String>) -> Response {
    let tree = state.units.tree();
    let unit_name = tree
        .unit(&viewer.unit, access::today())
        .map_or_else(|| viewer.unit.clone(), |u| u.name.clone());
    let page = NewPage {
        m: messages(lang),
        lang: lang_code(lang),
        username: viewer.username.clone(),
        role: viewer.role.label().get(lang),
        csrf: viewer.csrf.clone(),
        unit_name,
        back: format!("/dashboard/records?unit={}", enc(&viewer.unit)),
        today: Date::today_vn().to_string(),
        channels: choices::<PetitionChannel>(lang),
        types: choices::<PetitionType>(lang),
        subjects: choices::<PetitionSubject>(lang),
        bodies: choices::<CompetentBody>(lang),
        complexities: choices::<Complexity>(lang),
        issues,
    };
    let status = if page.issues.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    html(status, page.render())
}

async fn new_page(
    State(state): State<AppState>,
    PageViewer(viewer): PageViewer,
    ReqLang(lang): ReqLang,
) -> Response {
    if let Err(e) = officer_only(&viewer) {
        return error_page(e, lang);
    }
    new_page_for(&state, &viewer, lang, Vec::new())
}

#[derive(Deserialize)]
struct NewForm {
    csrf: Option<String>,
    received_on: String,
    #[serde(default)]
    book_no: String,
    channel: String,
    #[serde(default)]
    forwarded_by: String,
    petition_type: String,
    subject: String,
    summary: String,
    #[serde(default)]
    petitioner_name: String,
    #[serde(default)]
    petitioner_address: String,
    #[serde(default)]
    petitioner_id_number: String,
    #[serde(default)]
    petitioner_contact: String,
    #[serde(default)]
    group_size: String,
    competent_body: String,
    #[serde(default)]
    competent_body_name: String,
    complexity: String,
    #[serde(default)]
    remote_area: Option<String>,
}

fn code<T: Coded>(v: &str) -> Result<T, ApiError> {
    T::from_code(v.trim()).ok_or_else(|| {
        ApiError::new(ErrorCode::BadRequest).with_detail(format!("unknown {}: {v:?}", T::WHAT))
    })
}

fn date(v: &str) -> Result<Date, ApiError> {
    v.trim()
        .parse()
        .map_err(|_| ApiError::new(ErrorCode::BadRequest).with_detail("bad date"))
}

/// An optional short text: `None` when blank.
fn opt(v: &str, max: usize) -> Result<Option<String>, ApiError> {
    let v = clean_text(v, max, false, false)?;
    Ok((!v.is_empty()).then_some(v))
}

fn petition_of(f: &NewForm) -> Result<Petition, ApiError> {
    let name = clean_text(&f.petitioner_name, 200, false, false)?;
    let petitioners = if name.is_empty() {
        Vec::new()
    } else {
        vec![Petitioner {
            id: new_item_id(),
            name,
            address: opt(&f.petitioner_address, 300)?,
            id_number: opt(&f.petitioner_id_number, 20)?,
            contact: opt(&f.petitioner_contact, 100)?,
            representative: false,
        }]
    };
    let group_size = match f.group_size.trim() {
        "" => None,
        n => Some(n.parse::<u32>().map_err(|_| {
            ApiError::new(ErrorCode::BadRequest).with_detail("group size not a number")
        })?),
    };
    Ok(Petition {
        status: PetitionStatus::Received,
        book_no: opt(&f.book_no, 50)?,
        received_on: date(&f.received_on)?,
        channel: code(&f.channel)?,
        forwarded_by: opt(&f.forwarded_by, 200)?,
        petition_type: code(&f.petition_type)?,
        second_time: false,
        subject: code(&f.subject)?,
        summary: clean_text(&f.summary, 2000, true, true)?,
        petitioners,
        group_size,
        competent_body: code(&f.competent_body)?,
        competent_body_name: opt(&f.competent_body_name, 200)?,
        remote_area: f.remote_area.is_some(),
        complexity: code(&f.complexity)?,
        classified_on: None,
        accepted_on: None,
        not_accepted_reason: None,
        handling_note: None,
        verification: None,
        extensions: Vec::new(),
        resolution: None,
        enforced_on: None,
        withdrawn_on: None,
        closed_on: None,
        notes: None,
    })
}

/// Why a write was refused: broken record rules (shown to the officer) or another error.
enum WriteError {
    Issues(Vec<String>),
    Api(ApiError),
}

impl From<ApiError> for WriteError {
    fn from(e: ApiError) -> Self {
        WriteError::Api(e)
    }
}

fn issue_lines(issues: &[danvan_core::ValidationIssue], lang: Lang) -> Vec<String> {
    issues
        .iter()
        .map(|i| match lang {
            Lang::Vi => i.vi.clone(),
            Lang::En => i.en.clone(),
        })
        .collect()
}

/// Write `doc` (the record after the officer's change) through the sync write path, as the
/// officer's actor, within the officer's scope.
async fn write(
    state: &AppState,
    viewer: &Viewer,
    mut doc: RecordDoc,
) -> Result<String, WriteError> {
    let actor = web_actor(&viewer.username);
    let record = doc
        .record()
        .map_err(|e| ApiError::internal(format!("web record: {e}")))?;
    let tree = state.units.tree();
    let sc = scope(viewer.role, &viewer.unit, &tree, access::today())
        .map_err(|e| ApiError::new(ErrorCode::OutOfScope).with_detail(e))?;
    let push = Push {
        id: record
            .id()
            .parse()
            .map_err(|e| ApiError::internal(format!("record id: {e}")))?,
        changes: doc.save(),
        heads: doc.heads().iter().map(|h| h.0).collect(),
    };
    let rules = state.config.rules.clone();
    let limits = MergeLimits::default();
    let decide = |stored: Option<Stored<'_>>, p: &Push| {
        merge_device_push(
            &actor,
            stored,
            p,
            &rules,
            &limits,
            |kind, unit| {
                kind.parse::<RecordKind>()
                    .is_ok_and(|k| sc.can_read(k, unit) || sc.can_write(k, unit))
            },
            |_, after, _| {
                if after.envelope.kind == RecordKind::Petition
                    && sc.can_write(RecordKind::Petition, &after.envelope.unit)
                {
                    Ok(())
                } else {
                    Err((RejectReason::OutOfScope, String::new()))
                }
            },
        )
    };
    let verdicts = state
        .storage
        .apply_pushes(&actor.to_string(), &[push], &decide, &rules)
        .await
        .map_err(|e| ApiError::internal(format!("web petition write: {e}")))?;
    match verdicts.first().map(|v| &v.outcome) {
        Some(Outcome::Accepted { .. }) => Ok(record.id().to_string()),
        Some(Outcome::Rejected {
            reason: RejectReason::Invalid,
            detail,
        }) => Err(WriteError::Issues(vec![detail.clone()])),
        Some(Outcome::Rejected { reason, detail }) => Err(WriteError::Api(
            ApiError::new(ErrorCode::RecordWriteForbidden)
                .with_detail(format!("{reason:?} {detail}")),
        )),
        None => Err(WriteError::Api(ApiError::internal("no verdict"))),
    }
}

async fn create(
    State(state): State<AppState>,
    PageViewer(viewer): PageViewer,
    ReqLang(lang): ReqLang,
    headers: HeaderMap,
    Form(form): Form<NewForm>,
) -> Response {
    let res = async {
        check_csrf(&viewer, &headers, form.csrf.as_deref())?;
        officer_only(&viewer)?;
        let body = petition_of(&form)?;
        let on = body.received_on;
        let record = Record::new(
            viewer.unit.clone(),
            format!("web:{}", viewer.username),
            on,
            RecordBody::Petition(body),
        );
        let issues = record.validate(&state.config.rules);
        if !issues.is_empty() {
            return Err(WriteError::Issues(issue_lines(&issues, lang)));
        }
        let doc = RecordDoc::create(&record, &web_actor(&viewer.username))
            .map_err(|e| ApiError::internal(format!("web record: {e}")))?;
        write(&state, &viewer, doc).await
    }
    .await;
    match res {
        Ok(id) => Redirect::to(&format!("/dashboard/records/{}", enc(&id))).into_response(),
        Err(WriteError::Issues(issues)) => new_page_for(&state, &viewer, lang, issues),
        Err(WriteError::Api(e)) => error_page(e, lang),
    }
}

#[derive(Deserialize)]
struct HandleForm {
    csrf: Option<String>,
    action: String,
    on: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    document_no: String,
    #[serde(default)]
    days: String,
}

/// Apply one handling step to the petition in `r`.
fn step(r: &mut Record, f: &HandleForm, by: &str) -> Result<(), ApiError> {
    let on = date(&f.on)?;
    let note = opt(&f.note, 1000)?;
    let RecordBody::Petition(p) = &mut r.body else {
        return Err(ApiError::new(ErrorCode::BadRequest).with_detail("not a petition"));
    };
    let to = match f.action.as_str() {
        "extend" => {
            let days = match f.days.trim() {
                "" => None,
                d => Some(d.parse::<i64>().map_err(|_| {
                    ApiError::new(ErrorCode::BadRequest).with_detail("days not a number")
                })?),
            };
            p.extensions.push(Extension {
                id: new_item_id(),
                decided_on: on,
                days,
                reason: clean_text(&f.reason, 500, false, true)?,
                document_no: opt(&f.document_no, 50)?,
            });
            return Ok(());
        }
        "forwarded" | "returned" | "filed" => {
            p.not_accepted_reason = Some(code::<NotAcceptedReason>(&f.reason)?);
            p.handling_note = note.clone();
            f.action.as_str()
        }
        "resolved" => {
            p.resolution = Some(Resolution {
                decided_on: on,
                document_no: opt(&f.document_no, 50)?,
                outcome: code::<PetitionOutcome>(&f.outcome)?,
                content: note.clone(),
            });
            "resolved"
        }
        "verifying" => {
            p.verification = note.clone().or(p.verification.take());
            "verifying"
        }
        "accepted" | "enforced" | "withdrawn" => f.action.as_str(),
        other => {
            return Err(
                ApiError::new(ErrorCode::BadRequest).with_detail(format!("unknown action {other}"))
            );
        }
    };
    r.transition(to, on, by, note)
        .map_err(|e| ApiError::new(ErrorCode::BadRequest).with_detail(e))
}

async fn handle(
    State(state): State<AppState>,
    PageViewer(viewer): PageViewer,
    ReqLang(lang): ReqLang,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<HandleForm>,
) -> Response {
    let res = async {
        check_csrf(&viewer, &headers, form.csrf.as_deref())?;
        officer_only(&viewer)?;
        // The same scope check as the record page (a commune officer, within the commune).
        let actor = web_actor(&viewer.username);
        let mut doc = super::records::load_doc(&state, &viewer, &id, &actor).await?;
        let by = format!("web:{}", viewer.username);
        let mut refused = None;
        doc.update("dashboard", |r| {
            if let Err(e) = step(r, &form, &by) {
                refused = Some(e);
            }
            Ok(())
        })
        .map_err(|e| ApiError::internal(format!("update {id}: {e}")))?;
        if let Some(e) = refused {
            return Err(WriteError::Api(e));
        }
        let record = doc
            .record()
            .map_err(|e| ApiError::internal(format!("record {id}: {e}")))?;
        let issues = record.validate(&state.config.rules);
        if !issues.is_empty() {
            return Err(WriteError::Issues(issue_lines(&issues, lang)));
        }
        write(&state, &viewer, doc).await
    }
    .await;
    match res {
        Ok(id) => Redirect::to(&format!("/dashboard/records/{}", enc(&id))).into_response(),
        Err(WriteError::Issues(issues)) => {
            let e = ApiError::new(ErrorCode::RecordInvalid).with_detail(issues.join("; "));
            error_page(e, lang)
        }
        Err(WriteError::Api(e)) => error_page(e, lang),
    }
}
