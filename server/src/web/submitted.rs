//! "What was submitted" for a commune's locked period: the figures as locked against the figures
//! now, per indicator, with the records changed since the lock that explain each difference
//! (`/dashboard/submitted?unit=&period=`, `GET /api/v1/reports/{unit}/submitted?period=`).
//!
//! Anyone who may see the commune's figures may see this (scope as for the overview): the
//! changed records are listed by short id, kind, status, entered unit and time of change — no
//! personal field. The full record id and the link to the record are for commune officers
//! within their commune ([`access::records_allowed`]). A unit that has not locked the period
//! gives 404 `not_locked`.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use danvan_core::{Coded, Lang, RecordKind};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::aggregate::{AtLockState, Submitted, SubmittedIndicator};
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;
use crate::web::access;
use crate::web::i18n::{Messages, code_label, messages};
use crate::web::indicators::{self, Def, Format};
use crate::web::render::{enc, error_page, html, lang_code};
use crate::web::session::{PageViewer, ReqLang, Viewer};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/dashboard/submitted", get(page))
        .route("/api/v1/reports/{unit}/submitted", get(api))
}

/// The page's link for a unit and period.
pub(crate) fn href(unit: &str, period: &str) -> String {
    format!(
        "/dashboard/submitted?unit={}&period={}",
        enc(unit),
        enc(period)
    )
}

/// The comparison for `unit` and `period` as `viewer` may see it.
async fn load(
    state: &AppState,
    viewer: &Viewer,
    unit: &str,
    period: &str,
) -> Result<Submitted, ApiError> {
    let period = access::period(state, period)?;
    let target = access::resolve(state, viewer, unit, period)?;
    let mut submitted = state
        .aggregator
        .submitted(&target.unit.code, &target.period)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::NotLocked))?;
    if access::records_allowed(&state.units.tree(), viewer, &target.unit.code).is_err() {
        submitted.deidentify();
    }
    Ok(submitted)
}

/// `?period=`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// Period key: `2026-07`, `2026-Q3`, `2026-H1`, `2026-YP`, `2026`.
    #[param(example = "2025-09")]
    pub period: String,
}

/// What a commune submitted for a period (its lock) against its figures now, per indicator,
/// with the records changed since the lock that explain each difference. Full record ids only
/// for the commune's own officers.
#[utoipa::path(get, path = "/api/v1/reports/{unit}/submitted", tag = "danvan",
    operation_id = "submitted",
    params(("unit" = String, Path, example = "11533", description = "Commune code"), PeriodQuery),
    responses((status = 200, body = Submitted)))]
pub(crate) async fn api(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(unit): Path<String>,
    Query(q): Query<PeriodQuery>,
) -> Result<axum::Json<Submitted>, ApiError> {
    Ok(axum::Json(load(&state, &viewer, &unit, &q.period).await?))
}

/// One record's part in an indicator, for the page.
struct EffectView {
    short_id: String,
    href: Option<String>,
    locked: String,
    now: String,
    change: String,
}

/// One indicator line.
struct IndView {
    key: String,
    label: String,
    locked: String,
    now: String,
    difference: String,
    diff_class: &'static str,
    explained: String,
    effects: Vec<EffectView>,
}

/// One kind's table.
struct KindView {
    kind: &'static str,
    title: &'static str,
    rows: Vec<IndView>,
}

/// A changed record.
struct RecordView {
    short_id: String,
    href: Option<String>,
    kind: String,
    status: String,
    unit: String,
    changed_at: String,
    changes: u64,
    at_lock: &'static str,
    indicators: String,
}

#[derive(Template)]
#[template(path = "submitted.html")]
struct Page<'a> {
    m: &'a Messages,
    lang: &'a str,
    username: String,
    role: &'static str,
    csrf: String,
    unit_code: String,
    unit_name: String,
    period_key: String,
    period_label: String,
    as_of: String,
    locked_at: String,
    locked_by: String,
    back: String,
    lang_switch: (String, &'static str),
    changed: usize,
    kinds: Vec<KindView>,
    records: Vec<RecordView>,
}

#[derive(Deserialize)]
struct PageQuery {
    unit: Option<String>,
    period: Option<String>,
}

async fn page(
    State(state): State<AppState>,
    PageViewer(viewer): PageViewer,
    ReqLang(lang): ReqLang,
    Query(q): Query<PageQuery>,
) -> Response {
    let unit = q.unit.unwrap_or_else(|| viewer.unit.clone());
    let period = q.period.unwrap_or_default();
    match load(&state, &viewer, &unit, &period).await {
        Ok(s) => html(StatusCode::OK, render(&state, &viewer, lang, &s).render()),
        Err(e) => error_page(e, lang),
    }
}

fn def(key: &str) -> Option<&'static Def> {
    indicators::MEDIATION
        .iter()
        .chain(indicators::INSPECTION)
        .chain(indicators::DEMOCRACY)
        .find(|d| d.key == key)
}

/// How a key's values are shown: its definition's format; list entries are counts.
fn format_of(key: &str) -> Format {
    def(key).map_or(Format::Count, |d| d.format)
}

/// A label for a key: the indicator's, or for a list entry (`mediation.by_category.civil.received`)
/// the code's label and the field's.
fn label_of(key: &str, lang: Lang) -> String {
    if let Some(d) = def(key) {
        return d.label.get(lang).to_string();
    }
    let parts: Vec<&str> = key.split('.').collect();
    let list_label = |list: &str| -> String {
        let (vi, en) = match list {
            "by_category" => ("theo phạm vi", "by category"),
            "by_subtype" => ("theo loại việc", "by subtype"),
            "by_topic" => ("theo lĩnh vực", "by topic"),
            "ratings" => ("xếp loại", "rating"),
            other => (other, other),
        };
        if lang == Lang::En { en } else { vi }.to_string()
    };
    match parts.as_slice() {
        [kind, list, code, field] => {
            let field = def(&format!("{kind}.{field}"))
                .map_or_else(|| (*field).to_string(), |d| d.label.get(lang).to_string());
            format!(
                "{} · {field} ({})",
                code_label(code, lang),
                list_label(list)
            )
        }
        [_, list, code] => format!("{} ({})", code_label(code, lang), list_label(list)),
        _ => key.to_string(),
    }
}

fn signed(v: Option<f64>, f: Format, lang: Lang) -> (String, &'static str) {
    match v {
        Some(d) if d > 1e-9 => (format!("+{}", indicators::format(Some(d), f, lang)), "up"),
        Some(d) if d < -1e-9 => (
            format!("−{}", indicators::format(Some(-d), f, lang)),
            "down",
        ),
        Some(_) => ("0".into(), "same"),
        None => ("–".into(), "same"),
    }
}

fn record_href(id: &Option<String>) -> Option<String> {
    id.as_ref()
        .map(|id| format!("/dashboard/records/{}", enc(id)))
}

fn ind_view(
    i: &SubmittedIndicator,
    hrefs: &std::collections::HashMap<String, Option<String>>,
    lang: Lang,
) -> IndView {
    let f = format_of(&i.key);
    let (difference, diff_class) = signed(i.difference, f, lang);
    IndView {
        key: i.key.clone(),
        label: label_of(&i.key, lang),
        locked: indicators::format(i.locked, f, lang),
        now: indicators::format(i.now, f, lang),
        difference,
        diff_class,
        explained: if i.additive {
            signed(i.explained, f, lang).0
        } else {
            String::new()
        },
        effects: i
            .records
            .iter()
            .map(|e| EffectView {
                short_id: e.record.clone(),
                href: hrefs.get(&e.record).cloned().flatten(),
                locked: indicators::format(e.locked, f, lang),
                now: indicators::format(e.now, f, lang),
                change: signed(e.change, f, lang).0,
            })
            .collect(),
    }
}

fn at_lock_label(s: AtLockState, m: &Messages) -> &'static str {
    match s {
        AtLockState::Known => m.at_lock_known,
        AtLockState::Absent => m.at_lock_absent,
        AtLockState::Unknown => m.at_lock_unknown,
    }
}

fn render<'a>(state: &AppState, viewer: &Viewer, lang: Lang, s: &Submitted) -> Page<'a> {
    let m = messages(lang);
    let tree = state.units.tree();
    let hrefs: std::collections::HashMap<String, Option<String>> = s
        .records
        .iter()
        .map(|r| (r.short_id.clone(), record_href(&r.id)))
        .collect();
    let kinds = [
        (RecordKind::Mediation, m.mediation),
        (RecordKind::Inspection, m.inspection),
        (RecordKind::Democracy, m.democracy),
    ]
    .into_iter()
    .map(|(kind, title)| {
        let prefix = format!("{}.", kind.code());
        let mut rows: Vec<IndView> = indicators::of_kind(kind)
            .iter()
            .filter_map(|d| s.indicators.iter().find(|i| i.key == d.key))
            .map(|i| ind_view(i, &hrefs, lang))
            .collect();
        // List entries (by category, subtype, topic, rating) only when they changed.
        rows.extend(
            s.indicators
                .iter()
                .filter(|i| i.key.starts_with(&prefix) && def(&i.key).is_none() && i.changed())
                .map(|i| ind_view(i, &hrefs, lang)),
        );
        KindView {
            kind: kind.code(),
            title,
            rows,
        }
    })
    .collect();
    let records = s
        .records
        .iter()
        .map(|r| RecordView {
            short_id: r.short_id.clone(),
            href: record_href(&r.id),
            kind: code_label(&r.kind, lang),
            status: code_label(&r.status, lang),
            unit: tree
                .unit(&r.unit, s.as_of)
                .map_or_else(|| r.unit.clone(), |u| format!("{} ({})", u.name, u.code)),
            changed_at: r.changed_at.format("%d/%m/%Y %H:%M").to_string(),
            changes: r.changes,
            at_lock: at_lock_label(r.at_lock, m),
            indicators: r
                .indicators
                .iter()
                .filter(|k| def(k).is_some())
                .map(|k| label_of(k, lang))
                .collect::<Vec<_>>()
                .join(", "),
        })
        .collect();
    let pk = s.period.key.as_str();
    let other = if lang == Lang::En { Lang::Vi } else { Lang::En };
    Page {
        m,
        lang: lang_code(lang),
        username: viewer.username.clone(),
        role: viewer.role.label().get(lang),
        csrf: viewer.csrf.clone(),
        unit_code: s.unit.code.clone(),
        unit_name: s.unit.name.clone(),
        period_key: pk.to_string(),
        period_label: s.period.label(lang),
        as_of: s.as_of.format("%d/%m/%Y").to_string(),
        locked_at: s.lock.locked_at.format("%d/%m/%Y %H:%M").to_string(),
        locked_by: s.lock.locked_by.clone(),
        back: format!("/dashboard?unit={}&period={}", enc(&s.unit.code), enc(pk)),
        lang_switch: (
            format!("{}&lang={}", href(&s.unit.code, pk), lang_code(other)),
            if other == Lang::En {
                "English"
            } else {
                "Tiếng Việt"
            },
        ),
        changed: s.changed_indicators(),
        kinds,
        records,
    }
}
