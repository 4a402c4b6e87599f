//! Exports for a unit and period: `GET /export/{mediation|inspection|democracy}.csv` (one row per
//! child unit, the "not allocated" lines and the total; UTF-8 with a BOM so that Excel shows
//! Vietnamese; built in memory from the report, at most a few hundred rows, and sent one row
//! per body chunk) and `GET /export/mediation-moj.xlsx` (the Ministry of
//! Justice mediation results table, built with rust_xlsxwriter).
//!
//! Both take the session cookie and obey the same scope as the pages; they hold aggregates only.

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use danvan_core::{Coded, Lang, RecordKind};
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, XlsxError};
use serde::Deserialize;

use crate::aggregate::{Indicators, MediationIndicators, Report};
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;
use crate::web::access;
use crate::web::i18n::messages;
use crate::web::indicators;
use crate::web::session::{ReqLang, Viewer};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/export/mediation-moj.xlsx", get(moj_xlsx))
        .route("/export/{file}", get(csv_export))
}

/// Query of every export.
#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    /// Unit code (default: the officer's unit).
    pub unit: Option<String>,
    /// Period key (default: the current month).
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
    Ok(state.aggregator.report(&t.unit.code, &t.period).await?)
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
        out.push((u.from.code.clone(), u.label(lang), u.indicators.clone()));
    }
    out.push((String::new(), m.total.to_string(), report.totals.clone()));
    out
}

fn filename(report: &Report, what: &str, ext: &str) -> String {
    let safe = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
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

async fn csv_export(
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

/// Columns of the Ministry of Justice table after STT and the unit: (header, value).
type Col = (&'static str, fn(&MediationIndicators) -> f64);

/// The result columns, in the order of the form.
const RESULT_COLS: &[Col] = &[
    ("Hòa giải thành", |m| m.successful as f64),
    ("Hòa giải không thành", |m| m.unsuccessful as f64),
    ("Đang giải quyết", |m| m.in_progress as f64),
    ("Tạm dừng / chuyển cơ quan có thẩm quyền", |m| {
        (m.stopped + m.referred) as f64
    }),
];

fn category_received(m: &MediationIndicators, code: &str) -> f64 {
    m.by_category
        .iter()
        .find(|c| c.code == code)
        .map_or(0.0, |c| c.received as f64)
}

/// Build the Ministry of Justice mediation results workbook for a report.
pub fn moj_workbook(report: &Report) -> Result<Vec<u8>, XlsxError> {
    use danvan_core::model::mediation::MediationCategory;
    let categories = MediationCategory::all();
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("Hoa giai")?;
    let title = Format::new()
        .set_bold()
        .set_font_size(14)
        .set_align(FormatAlign::Center);
    let sub = Format::new().set_italic().set_align(FormatAlign::Center);
    let head = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_border(FormatBorder::Thin)
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_background_color(0xEEF2F5);
    let cell = Format::new().set_border(FormatBorder::Thin);
    let num = Format::new()
        .set_border(FormatBorder::Thin)
        .set_num_format("#,##0");
    let pct = Format::new()
        .set_border(FormatBorder::Thin)
        .set_num_format("0.0");
    let bold = Format::new().set_bold().set_border(FormatBorder::Thin);
    let bold_num = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_num_format("#,##0");
    let bold_pct = Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_num_format("0.0");

    // Columns: STT, unit, total received, carried over, new, 4 results, categories, rate.
    let n_cat = categories.len() as u16;
    let last_col: u16 = 2 + 3 + RESULT_COLS.len() as u16 + n_cat;
    ws.merge_range(
        0,
        0,
        0,
        last_col,
        "KẾT QUẢ HOẠT ĐỘNG HÒA GIẢI Ở CƠ SỞ",
        &title,
    )?;
    ws.merge_range(
        1,
        0,
        1,
        last_col,
        &format!(
            "Đơn vị: {} ({}) · Kỳ báo cáo: {} ({} – {}) · Số liệu tính đến ngày {}",
            report.unit.name,
            report.unit.code,
            report.period.label(Lang::Vi),
            report.period.start.format("%d/%m/%Y"),
            report.period.end.format("%d/%m/%Y"),
            report.as_of.format("%d/%m/%Y"),
        ),
        &sub,
    )?;
    ws.merge_range(2, 0, 2, last_col, "Đơn vị tính: vụ, việc", &sub)?;
    let (h1, h2) = (4u32, 5u32);
    ws.merge_range(h1, 0, h2, 0, "STT", &head)?;
    ws.merge_range(h1, 1, h2, 1, "Đơn vị", &head)?;
    ws.merge_range(h1, 2, h1, 4, "Tổng số vụ việc tiếp nhận", &head)?;
    ws.write_with_format(h2, 2, "Tổng số", &head)?;
    ws.write_with_format(h2, 3, "Kỳ trước chuyển sang", &head)?;
    ws.write_with_format(h2, 4, "Mới tiếp nhận", &head)?;
    let res0 = 5u16;
    ws.merge_range(
        h1,
        res0,
        h1,
        res0 + RESULT_COLS.len() as u16 - 1,
        "Kết quả hòa giải",
        &head,
    )?;
    for (i, (h, _)) in RESULT_COLS.iter().enumerate() {
        ws.write_with_format(h2, res0 + i as u16, *h, &head)?;
    }
    let cat0 = res0 + RESULT_COLS.len() as u16;
    ws.merge_range(
        h1,
        cat0,
        h1,
        cat0 + n_cat - 1,
        "Phân loại vụ việc tiếp nhận",
        &head,
    )?;
    for (i, c) in categories.iter().enumerate() {
        ws.write_with_format(h2, cat0 + i as u16, c.label().vi, &head)?;
    }
    ws.merge_range(
        h1,
        last_col,
        h2,
        last_col,
        "Tỷ lệ hòa giải thành (%)",
        &head,
    )?;
    ws.set_row_height(h2, 60)?;
    ws.set_column_width(0, 5)?;
    ws.set_column_width(1, 34)?;
    for c in 2..last_col {
        ws.set_column_width(c, 14)?;
    }
    ws.set_column_width(last_col, 12)?;

    let all = lines(report, Lang::Vi);
    let n = all.len();
    for (i, (_, name, ind)) in all.iter().enumerate() {
        let row = h2 + 1 + i as u32;
        let is_total = i + 1 == n;
        let (tf, nf, pf) = if is_total {
            (&bold, &bold_num, &bold_pct)
        } else {
            (&cell, &num, &pct)
        };
        let med = &ind.mediation;
        if is_total {
            ws.write_with_format(row, 0, "", tf)?;
        } else {
            ws.write_with_format(row, 0, (i + 1) as f64, nf)?;
        }
        ws.write_with_format(row, 1, name.as_str(), tf)?;
        ws.write_with_format(row, 2, (med.received + med.carried_over) as f64, nf)?;
        ws.write_with_format(row, 3, med.carried_over as f64, nf)?;
        ws.write_with_format(row, 4, med.received as f64, nf)?;
        for (j, (_, get)) in RESULT_COLS.iter().enumerate() {
            ws.write_with_format(row, res0 + j as u16, get(med), nf)?;
        }
        for (j, c) in categories.iter().enumerate() {
            ws.write_with_format(row, cat0 + j as u16, category_received(med, c.code()), nf)?;
        }
        match med.success_rate {
            Some(r) => ws.write_with_format(row, last_col, (r * 1000.0).round() / 10.0, pf)?,
            None => ws.write_with_format(row, last_col, "", tf)?,
        };
    }
    let foot = h2 + 2 + n as u32;
    ws.write(
        foot,
        1,
        format!(
            "Lập từ danvan ngày {}; hạn nộp {}.",
            chrono::Utc::now().format("%d/%m/%Y"),
            report.period.deadline.format("%d/%m/%Y")
        ),
    )?;
    ws.set_freeze_panes(h2 + 1, 2)?;
    wb.save_to_buffer()
}

async fn moj_xlsx(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(q): Query<ExportQuery>,
) -> Result<Response, ApiError> {
    let report = report_for(&state, &viewer, &q).await?;
    let name = filename(&report, "hoa-giai-btp", "xlsx");
    let bytes = tokio::task::spawn_blocking(move || moj_workbook(&report))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    Ok((
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
        .into_response())
}
