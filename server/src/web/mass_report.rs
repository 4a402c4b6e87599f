//! The mass-mobilisation report (Kết luận 114-KL/TW) of a commune or of the city for a period
//! ([`crate::report::mass`]):
//!
//! - `GET /reports/mass-mobilisation?unit=&period=`: the page, with the report's tables and the
//!   narrative sections in text boxes; its form posts them to the download.
//! - `GET /reports/mass-mobilisation.docx?unit=&period=`: the Party-format `.docx` with the
//!   generated narrative; `POST` the same path (form fields `csrf`, `unit`, `period`, `general`,
//!   `directions`, `signer`) for the officer's edited text.
//! - `GET /reports/mass-mobilisation.xlsx?unit=&period=`: the same tables, one sheet each.
//! - `GET /api/v1/reports/mass-mobilisation?unit=&period=`: the content as JSON.
//!
//! Every route obeys the scope of the other pages ([`access::resolve`]); the report holds
//! aggregates only. The unit defaults to the officer's, the period to the current half-year.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Json};
use danvan_core::{Coded, Lang};
use serde::Deserialize;

use crate::aggregate::{Period, PeriodKind};
use crate::error::ApiError;
use crate::report::mass::{
    self, Edits, MAX_NARRATIVE, MAX_SIGNER, MassBlock, MassReport, MassTable, NarrativeKey,
};
use crate::state::AppState;
use crate::units::level;
use crate::web::access;
use crate::web::api::UnitPeriod;
use crate::web::i18n::{Messages, messages};
use crate::web::render::{enc, error_page, html, lang_code};
use crate::web::session::{PageViewer, ReqLang, Viewer, check_csrf};

const PAGE: &str = "/reports/mass-mobilisation";
const DOCX: &str = "/reports/mass-mobilisation.docx";
const XLSX: &str = "/reports/mass-mobilisation.xlsx";
const DOCX_TYPE: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route(PAGE, get(page))
        .route(DOCX, get(docx_get).post(docx_post))
        .route(XLSX, get(xlsx_get))
        .route("/api/v1/reports/mass-mobilisation", get(api))
}

/// `?unit=&period=` of the page and downloads (both optional).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ReportQuery {
    /// Unit code (default, also when empty: the officer's unit).
    #[param(example = "31")]
    unit: Option<String>,
    /// Period key (default, also when empty: the current half-year).
    #[param(example = "2025-H2")]
    period: Option<String>,
}

/// The period a key names, else the current half-year.
fn period_or_half_year(state: &AppState, key: Option<&str>) -> Result<Period, ApiError> {
    match key.filter(|k| !k.is_empty()) {
        Some(k) => access::period(state, k),
        None => state
            .aggregator
            .periods()
            .recent(access::today(), PeriodKind::HalfYear, 1)
            .into_iter()
            .next()
            .ok_or_else(|| ApiError::internal("no current half-year period")),
    }
}

/// The report of `unit` (default: the viewer's) for `period`, as `viewer` may see it.
async fn report_for(
    state: &AppState,
    viewer: &Viewer,
    unit: Option<&str>,
    period: Option<&str>,
    edits: &Edits,
    lang: Lang,
) -> Result<MassReport, ApiError> {
    let period = period_or_half_year(state, period)?;
    let unit = unit.filter(|u| !u.is_empty()).unwrap_or(&viewer.unit);
    let t = access::resolve(state, viewer, unit, period)?;
    let tree = state.units.tree();
    let figures = mass::gather(
        &state.aggregator,
        state.storage.as_ref(),
        &tree,
        &t.unit.code,
        Some(t.unit.valid_from),
        &t.period,
        access::small_cells(state, viewer),
    )
    .await?;
    let today = danvan_core::model::common::Date::today_vn().0;
    Ok(mass::build(&figures, edits, lang, today, Some(&tree)))
}

/// `filename*` of RFC 6266 / 5987: UTF-8, percent-encoded but for the attribute characters.
fn ext_value(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn attachment(report: &MassReport, ext: &str, content_type: &str, bytes: Vec<u8>) -> Response {
    let (ascii, vietnamese) = mass::file_names(report, ext);
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
                    ext_value(&vietnamese)
                ),
            ),
        ],
        bytes,
    )
        .into_response()
}

fn docx_response(report: &MassReport) -> Result<Response, ApiError> {
    let bytes = crate::report::write(&report.party_report())
        .map_err(|e| ApiError::internal(format!("mass-mobilisation .docx: {e}")))?;
    Ok(attachment(report, "docx", DOCX_TYPE, bytes))
}

/// The mass-mobilisation report as a Party-format document, with the generated narrative
/// (always Vietnamese). The page's form posts edited narratives to the same path (a dashboard
/// form, not part of this API).
#[utoipa::path(get, path = "/reports/mass-mobilisation.docx", tag = "exports", params(ReportQuery),
    responses((status = 200, description = "The document (`Content-Disposition: attachment`).",
        content_type = "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        body = inline(crate::web::api::Binary))))]
pub(crate) async fn docx_get(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<ReportQuery>,
) -> Result<Response, ApiError> {
    // A Party document: always Vietnamese.
    let report = report_for(
        &state,
        &viewer,
        q.unit.as_deref(),
        q.period.as_deref(),
        &Edits::default(),
        Lang::Vi,
    )
    .await?;
    docx_response(&report)
}

/// The page's form: the narratives and the signer, edited before downloading.
#[derive(Debug, Deserialize)]
struct EditForm {
    csrf: Option<String>,
    unit: Option<String>,
    period: Option<String>,
    general: Option<String>,
    directions: Option<String>,
    signer: Option<String>,
}

impl EditForm {
    fn edits(&self) -> Result<Edits, ApiError> {
        let text = |v: &Option<String>, max, multiline| {
            v.as_deref()
                .map(|s| crate::text::clean_text(s, max, multiline, false))
                .transpose()
        };
        Ok(Edits {
            general: text(&self.general, MAX_NARRATIVE, true)?,
            directions: text(&self.directions, MAX_NARRATIVE, true)?,
            signer: text(&self.signer, MAX_SIGNER, false)?,
        })
    }
}

async fn docx_post(
    State(state): State<AppState>,
    PageViewer(viewer): PageViewer,
    ReqLang(lang): ReqLang,
    headers: HeaderMap,
    Form(f): Form<EditForm>,
) -> Response {
    let res = async {
        check_csrf(&viewer, &headers, f.csrf.as_deref())?;
        let edits = f.edits()?;
        let report = report_for(
            &state,
            &viewer,
            f.unit.as_deref(),
            f.period.as_deref(),
            &edits,
            Lang::Vi,
        )
        .await?;
        docx_response(&report)
    }
    .await;
    res.unwrap_or_else(|e| error_page(e, lang))
}

/// The mass-mobilisation report's tables, one sheet each (always Vietnamese).
#[utoipa::path(get, path = "/reports/mass-mobilisation.xlsx", tag = "exports", params(ReportQuery),
    responses((status = 200, description = "The workbook (`Content-Disposition: attachment`).",
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        body = inline(crate::web::api::Binary))))]
pub(crate) async fn xlsx_get(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<ReportQuery>,
) -> Result<Response, ApiError> {
    let report = report_for(
        &state,
        &viewer,
        q.unit.as_deref(),
        q.period.as_deref(),
        &Edits::default(),
        Lang::Vi,
    )
    .await?;
    let bytes = report
        .xlsx()
        .map_err(|e| ApiError::internal(format!("mass-mobilisation .xlsx: {e}")))?;
    Ok(attachment(&report, "xlsx", XLSX_TYPE, bytes))
}

/// The mass-mobilisation report (Kết luận 114-KL/TW) of a unit for a period: the header, the
/// numbered sections with their tables (each figure beside the previous period of the same
/// kind), the generated narrative, recipients and signature. Aggregates only.
#[utoipa::path(get, path = "/api/v1/reports/mass-mobilisation", tag = "danvan",
    operation_id = "mass_mobilisation",
    params(("unit" = String, Query, example = "31", description = "Unit code; empty: the officer's unit."),
        ("period" = String, Query, example = "2025-H2", description = "Period key; empty: the current half-year."),
        ("lang" = Option<String>, Query, description = "Language of the labels and narrative: `en` for English, anything else (the default) Vietnamese; without it, the `lang` cookie.")),
    responses((status = 200, body = MassReport)))]
pub(crate) async fn api(
    State(state): State<AppState>,
    viewer: Viewer,
    ReqLang(lang): ReqLang,
    Query(q): Query<UnitPeriod>,
) -> Result<Json<MassReport>, ApiError> {
    Ok(Json(
        report_for(
            &state,
            &viewer,
            Some(&q.unit),
            Some(&q.period),
            &Edits::default(),
            lang,
        )
        .await?,
    ))
}

// ---------------------------------------------------------------------------------------------
// The page.

/// A block as the page shows it.
struct ViewBlock {
    subheading: Option<String>,
    paragraph: Option<String>,
    /// (form field, text) of an editable narrative.
    narrative: Option<(&'static str, String)>,
    table: Option<MassTable>,
}

struct ViewSection {
    heading: String,
    blocks: Vec<ViewBlock>,
}

/// An option of a picker.
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

/// The page's own labels (the catalogue holds the shared ones).
struct Labels {
    title: &'static str,
    unit: &'static str,
    period: &'static str,
    show: &'static str,
    edit_help: &'static str,
    signer: &'static str,
    download_docx: &'static str,
    download_xlsx: &'static str,
    header: &'static str,
    recipients: &'static str,
}

const VI: Labels = Labels {
    title: "Báo cáo kết quả thực hiện Kết luận 114-KL/TW (công tác dân vận)",
    unit: "Đơn vị",
    period: "Kỳ báo cáo",
    show: "Xem",
    edit_help: "Sửa các phần nhận định bên dưới rồi tải báo cáo; số liệu trong các bảng được \
                tính tự động, không sửa được.",
    signer: "Họ tên người ký",
    download_docx: "Tải báo cáo (.docx)",
    download_xlsx: "Tải các bảng số liệu (.xlsx)",
    header: "Thể thức",
    recipients: "Nơi nhận",
};

const EN: Labels = Labels {
    title: "Report on Conclusion 114-KL/TW (mass mobilisation)",
    unit: "Unit",
    period: "Reporting period",
    show: "Show",
    edit_help: "Edit the narrative below, then download the report; the tables are computed and \
                cannot be edited. The .docx is in Vietnamese.",
    signer: "Signer's name",
    download_docx: "Download the report (.docx)",
    download_xlsx: "Download the tables (.xlsx)",
    header: "Header",
    recipients: "Recipients",
};

#[derive(Template)]
#[template(path = "mass_report.html")]
struct Page<'a> {
    m: &'a Messages,
    l: &'a Labels,
    lang: &'a str,
    username: String,
    role: &'static str,
    csrf: String,
    unit: String,
    period: String,
    units: Vec<Choice>,
    periods: Vec<Choice>,
    report: MassReport,
    sections: Vec<ViewSection>,
    xlsx_href: String,
    dateline: String,
}

fn view_sections(report: &MassReport) -> Vec<ViewSection> {
    report
        .sections
        .iter()
        .map(|s| ViewSection {
            heading: s.heading.clone(),
            blocks: s
                .blocks
                .iter()
                .map(|b| {
                    let mut v = ViewBlock {
                        subheading: None,
                        paragraph: None,
                        narrative: None,
                        table: None,
                    };
                    match b {
                        MassBlock::Narrative { key, text } => {
                            let field = match key {
                                NarrativeKey::General => "general",
                                NarrativeKey::Directions => "directions",
                            };
                            v.narrative = Some((field, text.clone()));
                        }
                        MassBlock::Paragraph { text } => v.paragraph = Some(text.clone()),
                        MassBlock::Subheading { text } => v.subheading = Some(text.clone()),
                        MassBlock::Table { table } => v.table = Some(table.clone()),
                    }
                    v
                })
                .collect(),
        })
        .collect()
}

/// The units the picker offers: the viewer's unit and, above the commune, its communes today.
fn unit_choices(state: &AppState, viewer: &Viewer, selected: &str) -> Vec<Choice> {
    let tree = state.units.tree();
    let today = access::today();
    let mut out = Vec::new();
    if let Some(own) = tree.unit(&viewer.unit, today) {
        out.push(Choice {
            value: own.code.clone(),
            label: own.name.clone(),
            selected: own.code == selected,
        });
        if own.level != level::COMMUNE {
            let mut communes: Vec<_> = tree
                .subtree(&own.code, today)
                .iter()
                .filter_map(|c| tree.unit(c, today))
                .filter(|u| u.level == level::COMMUNE)
                .map(|u| Choice {
                    value: u.code.clone(),
                    label: u.name.clone(),
                    selected: u.code == selected,
                })
                .collect();
            communes.sort_by(|a, b| a.label.cmp(&b.label));
            out.extend(communes);
        }
    }
    if !out.iter().any(|c| c.selected) {
        out.push(Choice {
            value: selected.to_string(),
            label: selected.to_string(),
            selected: true,
        });
    }
    out
}

fn period_choices(state: &AppState, selected: &Period, lang: Lang) -> Vec<Choice> {
    let p = state.aggregator.periods();
    let today = access::today();
    let mut out: Vec<Choice> = [
        (PeriodKind::Quarter, 8),
        (PeriodKind::HalfYear, 4),
        (PeriodKind::Year, 3),
    ]
    .into_iter()
    .flat_map(|(k, n)| p.recent(today, k, n))
    .map(|period| Choice {
        selected: period.key == selected.key,
        label: period.label(lang),
        value: period.key,
    })
    .collect();
    if !out.iter().any(|c| c.selected) {
        out.push(Choice {
            value: selected.key.clone(),
            label: selected.label(lang),
            selected: true,
        });
    }
    out
}

async fn page(
    State(state): State<AppState>,
    PageViewer(viewer): PageViewer,
    ReqLang(lang): ReqLang,
    Query(q): Query<ReportQuery>,
) -> Response {
    let res = async {
        let report = report_for(
            &state,
            &viewer,
            q.unit.as_deref(),
            q.period.as_deref(),
            &Edits::default(),
            lang,
        )
        .await?;
        let unit = report.unit.code.clone();
        let period = report.period.key.clone();
        Ok::<_, ApiError>(Page {
            m: messages(lang),
            l: if lang == Lang::En { &EN } else { &VI },
            lang: lang_code(lang),
            username: viewer.username.clone(),
            role: viewer.role.label().get(lang),
            csrf: viewer.csrf.clone(),
            units: unit_choices(&state, &viewer, &unit),
            periods: period_choices(&state, &report.period, lang),
            sections: view_sections(&report),
            xlsx_href: format!("{XLSX}?unit={}&period={}", enc(&unit), enc(&period)),
            dateline: crate::report::dateline(&report.place, report.date),
            unit,
            period,
            report,
        })
    }
    .await;
    match res {
        Ok(page) => html(StatusCode::OK, page.render()),
        Err(e) => error_page(e, lang),
    }
}
