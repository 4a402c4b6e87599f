//! Exports for a unit and period: `GET /export/{mediation|inspection|democracy|petitions|dialogues}.csv` (one row per
//! child unit, the "not allocated" lines and the total; UTF-8 with a BOM so that Excel shows
//! Vietnamese; built in memory from the report, at most a few hundred rows, and sent one row
//! per body chunk) and the Ministry of Justice grassroots-mediation forms as XLSX
//! ([`crate::web::forms`]): `GET /export/moj-hgcs-cases.xlsx` (the cases form; the former
//! `/export/mediation-moj.xlsx` serves it too) and `GET /export/moj-hgcs-teams.xlsx` (the teams
//! and mediators form).
//!
//! Both take the session cookie and obey the same scope as the pages; they hold aggregates only.

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::NaiveDate;
use danvan_core::{Coded, Lang, RecordKind};
use serde::Deserialize;

use crate::aggregate::{Indicators, Report, UnitRef};
use crate::error::{ApiError, ErrorCode};
use crate::registry;
use crate::state::AppState;
use crate::units::Unit;
use crate::web::access;
use crate::web::forms;
use crate::web::i18n::messages;
use crate::web::indicators;
use crate::web::session::{ReqLang, Viewer};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/export/moj-hgcs-cases.xlsx", get(cases_xlsx))
        .route("/export/moj-hgcs-teams.xlsx", get(teams_xlsx))
        // The former name of the cases form, kept for saved links.
        .route("/export/mediation-moj.xlsx", get(cases_xlsx))
        .route("/export/{file}", get(csv_export))
}

/// Query of every export.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// Unit code (default: the officer's unit).
    #[param(example = "11533")]
    pub unit: Option<String>,
    /// Period key (default, also when empty: the current month).
    #[param(example = "2025-09")]
    pub period: Option<String>,
}

async fn report_for(
    state: &AppState,
    viewer: &Viewer,
    q: &ExportQuery,
) -> Result<Report, ApiError> {
    let period = access::period_or_default(state, q.period.as_deref())?;
    let unit = q.unit.clone().unwrap_or_else(|| viewer.unit.clone());
    let t = access::resolve(state, viewer, &unit, period)?;
    Ok(state
        .aggregator
        .report_seen(
            &t.unit.code,
            Some(t.unit.valid_from),
            &t.period,
            access::small_cells(state, viewer),
        )
        .await?)
}

/// The lines of an export: (code, name, figures) for each child, each "not allocated" line
/// counted in the totals, then the total.
pub fn lines(report: &Report, lang: Lang) -> Vec<(String, String, Indicators)> {
    let m = messages(lang);
    let mut out: Vec<(String, String, Indicators)> = report
        .children
        .iter()
        .map(|r| {
            (
                r.unit.code.clone(),
                r.unit.name.clone(),
                r.indicators.clone(),
            )
        })
        .collect();
    if let Some(d) = &report.direct {
        out.push((
            report.unit.code.clone(),
            format!("{} {}", m.direct, report.unit.name),
            d.clone(),
        ));
    }
    for u in report.unallocated.iter().filter(|u| u.in_totals) {
        out.push((u.key.clone(), u.label(lang), u.indicators.clone()));
    }
    out.push((String::new(), m.total.to_string(), report.totals.clone()));
    out
}

/// A file-name-safe copy of a code or key.
fn safe(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn filename(report: &Report, what: &str, ext: &str) -> String {
    format!(
        "danvan-{what}-{}-{}.{ext}",
        safe(&report.unit.code),
        safe(&report.period.key)
    )
}

fn csv_line(fields: &[String]) -> Result<Vec<u8>, ApiError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(fields)
        .map_err(|e| ApiError::internal(format!("csv: {e}")))?;
    w.into_inner()
        .map_err(|e| ApiError::internal(format!("csv: {e}")))
}

/// One row per child unit, the "not allocated" lines and the total, for one kind of record:
/// UTF-8 CSV with a byte-order mark. Any other file name is 404 `not_found`.
#[utoipa::path(get, path = "/export/{file}", tag = "exports",
    params(("file" = String, Path, description = "The export",
        example = "mediation.csv", pattern = "^(mediation|inspection|democracy|petitions|dialogues)\\.csv$"),
        ExportQuery, ("lang" = Option<String>, Query, description = "Language of the headings: `en` for English, anything else (the default) Vietnamese; without it, the `lang` cookie.")),
    responses((status = 200, description = "The CSV file (`Content-Disposition: attachment`).",
        content_type = "text/csv; charset=utf-8", body = String)))]
pub(crate) async fn csv_export(
    State(state): State<AppState>,
    viewer: Viewer,
    ReqLang(lang): ReqLang,
    Path(file): Path<String>,
    Query(q): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    let kind = match file.as_str() {
        "mediation.csv" => RecordKind::Mediation,
        "inspection.csv" => RecordKind::Inspection,
        "democracy.csv" => RecordKind::Democracy,
        "petitions.csv" => RecordKind::Petition,
        "dialogues.csv" => RecordKind::Dialogue,
        _ => return Err(ApiError::new(ErrorCode::NotFound)),
    };
    let report = report_for(&state, &viewer, &q).await?;
    let m = messages(lang);
    let defs = indicators::of_kind(kind);
    let mut rows: Vec<Vec<u8>> = Vec::new();
    let mut head = vec![m.unit_code.to_string(), m.unit.to_string()];
    head.extend(defs.iter().map(|d| d.label.get(lang).to_string()));
    let mut first = "\u{feff}".as_bytes().to_vec();
    first.extend(csv_line(&head)?);
    rows.push(first);
    for (code, name, ind) in lines(&report, lang) {
        let mut f = vec![code, name];
        f.extend(
            defs.iter()
                .map(|d| indicators::plain((d.get)(&ind), d.format)),
        );
        rows.push(csv_line(&f)?);
    }
    let name = filename(&report, kind.code(), "csv");
    // The rows are built above (a report has one row per child unit); one body chunk per row.
    let stream = futures_util::stream::iter(
        rows.into_iter()
            .map(|r| Ok::<_, std::convert::Infallible>(axum::body::Bytes::from(r))),
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

/// The unit above `unit` as of `as_of` (decides the receiving unit of a form).
fn parent_of(state: &AppState, unit: &Unit, as_of: NaiveDate) -> Option<UnitRef> {
    let tree = state.units.tree();
    let p = tree.unit(unit.parent.as_deref()?, as_of)?;
    Some(UnitRef {
        code: p.code.clone(),
        name: p.name.clone(),
        level: p.level.clone(),
    })
}

fn xlsx_response(name: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// `GET /export/moj-hgcs-cases.xlsx` (also the former `/export/mediation-moj.xlsx`): the cases
/// form (Biểu số 12…/BTP/PBGDPL/HGCS).
#[utoipa::path(get, path = "/export/moj-hgcs-cases.xlsx", tag = "exports",
    params(ExportQuery, ("lang" = Option<String>, Query, description = "Language of the headings: `en` for English, anything else (the default) Vietnamese; without it, the `lang` cookie.")),
    responses((status = 200, description = "The workbook (`Content-Disposition: attachment`).",
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        body = inline(crate::web::api::Binary))))]
pub(crate) async fn cases_xlsx(
    State(state): State<AppState>,
    viewer: Viewer,
    ReqLang(lang): ReqLang,
    Query(q): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    let period = access::period_or_default(&state, q.period.as_deref())?;
    let unit = q.unit.clone().unwrap_or_else(|| viewer.unit.clone());
    let t = access::resolve(&state, &viewer, &unit, period)?;
    let report = state
        .aggregator
        .report_seen(
            &t.unit.code,
            Some(t.unit.valid_from),
            &t.period,
            access::small_cells(&state, &viewer),
        )
        .await?;
    let ctx = forms::Context {
        parent: parent_of(&state, &t.unit, t.as_of),
        today: access::today(),
        lang,
    };
    let name = filename(&report, "bieu12-hgcs", "xlsx");
    let (bytes, _) = tokio::task::spawn_blocking(move || forms::cases::workbook(&report, &ctx))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    Ok(xlsx_response(&name, bytes))
}

/// `GET /export/moj-hgcs-teams.xlsx`: the teams and mediators form (Biểu số 11…/BTP/PBGDPL/HGCS)
/// from the registry, one row per child unit as of the cut-off.
#[utoipa::path(get, path = "/export/moj-hgcs-teams.xlsx", tag = "exports",
    params(ExportQuery, ("lang" = Option<String>, Query, description = "Language of the headings: `en` for English, anything else (the default) Vietnamese; without it, the `lang` cookie.")),
    responses((status = 200, description = "The workbook (`Content-Disposition: attachment`).",
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        body = inline(crate::web::api::Binary))))]
pub(crate) async fn teams_xlsx(
    State(state): State<AppState>,
    viewer: Viewer,
    ReqLang(lang): ReqLang,
    Query(q): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    let period = access::period_or_default(&state, q.period.as_deref())?;
    let unit = q.unit.clone().unwrap_or_else(|| viewer.unit.clone());
    let t = access::resolve(&state, &viewer, &unit, period)?;
    let tree = state.units.tree();
    let children: Vec<(String, String)> = tree
        .children(&t.unit.code, t.as_of)
        .into_iter()
        .map(|u| (u.code.clone(), u.name.clone()))
        .collect();
    let codes: Vec<String> = children.iter().map(|(c, _)| c.clone()).collect();
    let (per_row, total) = registry::team_figures(
        state.storage.as_ref(),
        &tree,
        &codes,
        t.period.start,
        t.as_of,
    )
    .await?;
    let rows: Vec<(String, registry::TeamFigures)> = children
        .into_iter()
        .map(|(_, name)| name)
        .zip(per_row)
        .collect();
    let unit_ref = UnitRef {
        code: t.unit.code.clone(),
        name: t.unit.name.clone(),
        level: t.unit.level.clone(),
    };
    let ctx = forms::Context {
        parent: parent_of(&state, &t.unit, t.as_of),
        today: access::today(),
        lang,
    };
    let form = forms::teams::TeamsReport {
        unit: unit_ref,
        period: t.period.clone(),
        as_of: t.as_of,
        rows,
        total,
    };
    let name = format!(
        "danvan-bieu11-hgcs-{}-{}.xlsx",
        safe(&t.unit.code),
        safe(&t.period.key)
    );
    let (bytes, _) = tokio::task::spawn_blocking(move || forms::teams::workbook(&form, &ctx))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    Ok(xlsx_response(&name, bytes))
}
