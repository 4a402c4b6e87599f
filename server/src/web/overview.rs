//! The dashboard overview (`/dashboard?unit=&period=&rank=`) and the period lock form
//! (`POST /dashboard/lock`).
//!
//! One page per (unit, period): breadcrumbs up to the officer's own unit, links down to the
//! children, a period picker, indicator tables with the trend against the previous period, SVG
//! charts, the children's figures, a ranking of communes, completeness, locks and late
//! amendments, export links. Figures carry `data-indicator="<key>"` so tests can read them.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use danvan_core::{Coded, Lang, RecordKind};
use serde::Deserialize;

use crate::aggregate::{
    Completeness, Indicators, PeriodKind, RankIndicator, Report, SubmissionStatus,
};
use crate::error::{ApiError, LoggedError};
use crate::http::AppState;
use crate::web::access::{self, Target};
use crate::web::charts;
use crate::web::i18n::{Messages, code_label, messages};
use crate::web::indicators::{self, Def};
use crate::web::session::{PageViewer, ReqLang, Viewer, check_csrf};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/dashboard", get(overview))
        .route("/dashboard/lock", post(lock))
}

/// An HTML response from a rendered template (500 if rendering failed).
pub(crate) fn html(status: StatusCode, body: askama::Result<String>) -> Response {
    match body {
        Ok(b) => (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            b,
        )
            .into_response(),
        Err(e) => ApiError::internal(format!("template: {e}")).into_response(),
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    m: &'a Messages,
    lang: &'a str,
    code: &'a str,
    message: &'a str,
}

/// An error shown as a page (same status and code as the API would give).
pub(crate) fn error_page(err: ApiError, lang: Lang) -> Response {
    let (vi, en) = err.code.messages();
    let page = ErrorPage {
        m: messages(lang),
        lang: lang_code(lang),
        code: err.code.as_str(),
        message: if lang == Lang::En { en } else { vi },
    };
    let mut resp = html(err.code.status(), page.render());
    resp.extensions_mut().insert(LoggedError {
        code: err.code.as_str(),
        detail: None,
    });
    resp
}

pub(crate) fn lang_code(lang: Lang) -> &'static str {
    match lang {
        Lang::Vi => "vi",
        Lang::En => "en",
    }
}

/// A link.
pub(crate) struct Link {
    pub href: String,
    pub label: String,
}

/// A select option.
pub(crate) struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// A group of select options.
pub(crate) struct OptGroup {
    pub label: String,
    pub options: Vec<Opt>,
}

/// One line of an indicator table.
pub(crate) struct IndRow {
    pub key: &'static str,
    pub label: &'static str,
    pub value: String,
    pub previous: String,
    pub trend: String,
    pub trend_class: &'static str,
}

/// One kind's indicator table.
pub(crate) struct KindTable {
    pub kind: &'static str,
    pub title: &'static str,
    pub rows: Vec<IndRow>,
}

/// A figure cell of the children table.
pub(crate) struct Cell {
    pub key: &'static str,
    pub value: String,
}

/// A child (or unallocated, or total) line.
pub(crate) struct ChildRow {
    pub href: Option<String>,
    pub code: String,
    pub name: String,
    pub cells: Vec<Cell>,
    pub lock: String,
    pub late: u64,
    pub class: &'static str,
}

pub(crate) struct RankView {
    pub rank: u32,
    pub href: String,
    pub name: String,
    pub value: String,
}

pub(crate) struct CompletenessView {
    pub code: String,
    pub name: String,
    pub mediation: u64,
    pub inspection: u64,
    pub democracy: u64,
    pub locked_at: String,
    pub status: &'static str,
    pub status_class: &'static str,
}

#[derive(Template)]
#[template(path = "overview.html")]
struct Overview<'a> {
    m: &'a Messages,
    lang: &'a str,
    lang_switch: Link,
    username: String,
    role: &'static str,
    csrf: String,
    unit_code: String,
    unit_name: String,
    crumbs: Vec<Link>,
    children: Vec<Link>,
    period_key: String,
    period_label: String,
    as_of: String,
    deadline: String,
    period_groups: Vec<OptGroup>,
    tables: Vec<KindTable>,
    child_heads: Vec<&'static str>,
    child_rows: Vec<ChildRow>,
    chart_category: String,
    chart_trend: String,
    chart_completeness: String,
    rank_options: Vec<Opt>,
    ranking: Vec<RankView>,
    completeness: Completeness,
    completeness_rows: Vec<CompletenessView>,
    lock: Option<(String, String)>,
    late_amendments: u64,
    can_lock: bool,
    notice: Option<&'static str>,
    exports: Vec<Link>,
    records_href: Option<String>,
}

#[derive(Deserialize)]
struct OverviewQuery {
    unit: Option<String>,
    period: Option<String>,
    rank: Option<String>,
    locked: Option<String>,
}

/// The children table's columns: a few headline indicators of each kind.
const CHILD_COLUMNS: &[&str] = &[
    "mediation.received",
    "mediation.successful",
    "mediation.unsuccessful",
    "mediation.in_progress",
    "mediation.success_rate",
    "inspection.activities",
    "inspection.recommendations",
    "inspection.answered_on_time_rate",
    "democracy.checks",
    "democracy.share_met",
];

fn def(key: &str) -> Option<&'static Def> {
    indicators::MEDIATION
        .iter()
        .chain(indicators::INSPECTION)
        .chain(indicators::DEMOCRACY)
        .find(|d| d.key == key)
}

fn cells(ind: &Indicators, lang: Lang) -> Vec<Cell> {
    CHILD_COLUMNS
        .iter()
        .filter_map(|k| def(k))
        .map(|d| Cell {
            key: d.key,
            value: indicators::format((d.get)(ind), d.format, lang),
        })
        .collect()
}

pub(crate) fn rank_indicators() -> [(RankIndicator, &'static str, danvan_core::Label); 5] {
    use danvan_core::Label as L;
    [
        (
            RankIndicator::MediationReceived,
            "mediation_received",
            L {
                vi: "Số vụ việc hòa giải tiếp nhận",
                en: "Mediation cases received",
            },
        ),
        (
            RankIndicator::MediationSuccessRate,
            "mediation_success_rate",
            L {
                vi: "Tỷ lệ hòa giải thành",
                en: "Mediation success rate",
            },
        ),
        (
            RankIndicator::InspectionRecommendations,
            "inspection_recommendations",
            L {
                vi: "Số kiến nghị của Ban TTND",
                en: "Inspection recommendations",
            },
        ),
        (
            RankIndicator::InspectionAnsweredOnTimeRate,
            "inspection_answered_on_time_rate",
            L {
                vi: "Tỷ lệ kiến nghị được trả lời đúng hạn",
                en: "Recommendations answered on time",
            },
        ),
        (
            RankIndicator::DemocracyShareMet,
            "democracy_share_met",
            L {
                vi: "Tỷ lệ nội dung dân chủ đạt",
                en: "Democracy items met",
            },
        ),
    ]
}

/// Parse a ranking indicator code (`mediation_received`…).
pub(crate) fn parse_rank(code: &str) -> Option<RankIndicator> {
    rank_indicators()
        .into_iter()
        .find(|(_, c, _)| *c == code)
        .map(|(r, _, _)| r)
}

fn is_rate(r: RankIndicator) -> bool {
    !matches!(
        r,
        RankIndicator::MediationReceived | RankIndicator::InspectionRecommendations
    )
}

pub(crate) fn status_label(s: SubmissionStatus, m: &Messages) -> (&'static str, &'static str) {
    match s {
        SubmissionStatus::OnTime => (m.on_time, "ok"),
        SubmissionStatus::Late => (m.late, "late"),
        SubmissionStatus::Missing => (m.missing, "missing"),
        SubmissionStatus::Open => (m.open, "open"),
    }
}

fn period_groups(state: &AppState, selected: &str, lang: Lang) -> Vec<OptGroup> {
    let p = state.aggregator.periods();
    let kinds = [
        (PeriodKind::Month, 24, "Tháng", "Months"),
        (PeriodKind::Quarter, 8, "Quý", "Quarters"),
        (PeriodKind::HalfYear, 4, "6 tháng", "Half years"),
        (
            PeriodKind::YearPreliminary,
            3,
            "Năm (sơ bộ)",
            "Year (preliminary)",
        ),
        (PeriodKind::Year, 3, "Năm", "Years"),
    ];
    let mut found = false;
    let mut groups: Vec<OptGroup> = kinds
        .iter()
        .map(|(kind, n, vi, en)| OptGroup {
            label: if lang == Lang::En { en } else { vi }.to_string(),
            options: p
                .recent(access::today(), *kind, *n)
                .into_iter()
                .map(|per| {
                    let selected = per.key == selected;
                    found |= selected;
                    Opt {
                        label: per.label(lang),
                        value: per.key,
                        selected,
                    }
                })
                .collect(),
        })
        .collect();
    if !found && let Ok(per) = p.period(selected) {
        groups.insert(
            0,
            OptGroup {
                label: per.label(lang),
                options: vec![Opt {
                    label: per.label(lang),
                    value: per.key,
                    selected: true,
                }],
            },
        );
    }
    groups
}

fn href(unit: &str, period: &str) -> String {
    format!("/dashboard?unit={}&period={}", enc(unit), enc(period))
}

pub(crate) fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn kind_tables(report: &Report, lang: Lang, m: &'static Messages) -> Vec<KindTable> {
    [
        (RecordKind::Mediation, m.mediation),
        (RecordKind::Inspection, m.inspection),
        (RecordKind::Democracy, m.democracy),
    ]
    .into_iter()
    .map(|(kind, title)| KindTable {
        kind: kind.code(),
        title,
        rows: indicators::of_kind(kind)
            .iter()
            .map(|d| {
                let cur = (d.get)(&report.totals);
                let prev = report.previous.as_ref().and_then(|p| (d.get)(p));
                let (trend, trend_class) = indicators::trend(cur, prev, d.format, lang);
                IndRow {
                    key: d.key,
                    label: d.label.get(lang),
                    value: indicators::format(cur, d.format, lang),
                    previous: indicators::format(prev, d.format, lang),
                    trend,
                    trend_class,
                }
            })
            .collect(),
    })
    .collect()
}

fn child_rows(report: &Report, period: &str, lang: Lang, m: &Messages) -> Vec<ChildRow> {
    let fmt_lock = |l: &Option<crate::aggregate::Lock>| {
        l.as_ref()
            .map(|l| l.locked_at.format("%d/%m/%Y").to_string())
            .unwrap_or_default()
    };
    let mut rows: Vec<ChildRow> = report
        .children
        .iter()
        .map(|r| ChildRow {
            href: Some(href(&r.unit.code, period)),
            code: r.unit.code.clone(),
            name: r.unit.name.clone(),
            cells: cells(&r.indicators, lang),
            lock: fmt_lock(&r.lock),
            late: r.late_amendments,
            class: "",
        })
        .collect();
    if let Some(d) = &report.direct {
        rows.push(ChildRow {
            href: None,
            code: report.unit.code.clone(),
            name: format!("{} {}", m.direct, report.unit.name),
            cells: cells(d, lang),
            lock: String::new(),
            late: 0,
            class: "direct",
        });
    }
    for u in &report.unallocated {
        let name = if u.in_totals {
            u.label(lang)
        } else {
            format!("{} — {}", u.label(lang), m.info_only)
        };
        rows.push(ChildRow {
            href: None,
            code: u.from.code.clone(),
            name,
            cells: cells(&u.indicators, lang),
            lock: String::new(),
            late: 0,
            class: "unallocated",
        });
    }
    rows.push(ChildRow {
        href: None,
        code: report.unit.code.clone(),
        name: m.total.to_string(),
        cells: cells(&report.totals, lang),
        lock: fmt_lock(&report.lock),
        late: report.late_amendments,
        class: "total",
    });
    rows
}

async fn overview(
    State(state): State<AppState>,
    PageViewer(viewer): PageViewer,
    ReqLang(lang): ReqLang,
    Query(q): Query<OverviewQuery>,
) -> Response {
    match build_overview(&state, &viewer, lang, q).await {
        Ok(r) => r,
        Err(e) => error_page(e, lang),
    }
}

async fn build_overview(
    state: &AppState,
    viewer: &Viewer,
    lang: Lang,
    q: OverviewQuery,
) -> Result<Response, ApiError> {
    let m = messages(lang);
    let period = access::period_or_default(state, q.period.as_deref())?;
    let unit = q.unit.unwrap_or_else(|| viewer.unit.clone());
    let Target {
        unit,
        period,
        as_of,
    } = access::resolve(state, viewer, &unit, period)?;
    let agg = &state.aggregator;
    let report = agg.report(&unit.code, &period).await?;
    let completeness = agg.completeness(&unit.code, &period).await?;
    let rank_ind = q
        .rank
        .as_deref()
        .and_then(parse_rank)
        .unwrap_or(RankIndicator::MediationReceived);
    let ranking = if access::is_commune(&unit) || unit.level == crate::units::level::VILLAGE {
        Vec::new()
    } else {
        agg.ranking(&unit.code, &period, rank_ind).await?
    };
    let tree = state.units.tree();
    let pk = period.key.clone();

    let crumbs = access::breadcrumbs(&tree, viewer, &unit, as_of)
        .into_iter()
        .map(|u| Link {
            href: href(&u.code, &pk),
            label: u.name,
        })
        .collect();
    let children = tree
        .children(&unit.code, as_of)
        .into_iter()
        .map(|u| Link {
            href: href(&u.code, &pk),
            label: u.name.clone(),
        })
        .collect();

    let med = &report.totals.mediation;
    let chart_category = charts::bar_chart(
        m.chart_by_category,
        &med.by_category
            .iter()
            .map(|c| (code_label(&c.code, lang), c.received as f64))
            .collect::<Vec<_>>(),
    );
    let prev = report.previous.clone().unwrap_or_default();
    let chart_trend = charts::trend_chart(
        m.chart_trend,
        m.this_period,
        m.previous_period,
        &[
            (
                m.received.to_string(),
                med.received as f64,
                prev.mediation.received as f64,
            ),
            (
                m.successful.to_string(),
                med.successful as f64,
                prev.mediation.successful as f64,
            ),
            (
                m.unsuccessful.to_string(),
                med.unsuccessful as f64,
                prev.mediation.unsuccessful as f64,
            ),
            (
                m.in_progress.to_string(),
                med.in_progress as f64,
                prev.mediation.in_progress as f64,
            ),
            (
                indicators::INSPECTION[3].label.get(lang).to_string(),
                report.totals.inspection.recommendations as f64,
                prev.inspection.recommendations as f64,
            ),
        ],
    );
    let count =
        |s: SubmissionStatus| completeness.rows.iter().filter(|r| r.status == s).count() as u64;
    let chart_completeness = charts::stacked_bar(
        m.chart_completeness,
        &[
            (m.on_time.to_string(), count(SubmissionStatus::OnTime), "ok"),
            (m.late.to_string(), count(SubmissionStatus::Late), "late"),
            (
                m.missing.to_string(),
                count(SubmissionStatus::Missing),
                "missing",
            ),
            (m.open.to_string(), count(SubmissionStatus::Open), "open"),
        ],
    );
    let rank_options = rank_indicators()
        .into_iter()
        .map(|(r, code, label)| Opt {
            value: code.into(),
            label: label.get(lang).into(),
            selected: r == rank_ind,
        })
        .collect();
    let ranking = ranking
        .into_iter()
        .map(|r| RankView {
            rank: r.rank,
            href: href(&r.unit.code, &pk),
            name: r.unit.name,
            value: indicators::format(
                r.value,
                if is_rate(rank_ind) {
                    indicators::Format::Rate
                } else {
                    indicators::Format::Count
                },
                lang,
            ),
        })
        .collect();
    let completeness_rows = completeness
        .rows
        .iter()
        .map(|r| {
            let (status, status_class) = status_label(r.status, m);
            CompletenessView {
                code: r.unit.code.clone(),
                name: r.unit.name.clone(),
                mediation: r.mediation_records,
                inspection: r.inspection_records,
                democracy: r.democracy_records,
                locked_at: r
                    .locked_at
                    .map(|t| t.format("%d/%m/%Y %H:%M").to_string())
                    .unwrap_or_default(),
                status,
                status_class,
            }
        })
        .collect();
    let q_unit = enc(&unit.code);
    let q_period = enc(&pk);
    let exports = vec![
        Link {
            href: format!("/export/mediation.csv?unit={q_unit}&period={q_period}"),
            label: format!("{} (.csv)", m.mediation),
        },
        Link {
            href: format!("/export/inspection.csv?unit={q_unit}&period={q_period}"),
            label: format!("{} (.csv)", m.inspection),
        },
        Link {
            href: format!("/export/democracy.csv?unit={q_unit}&period={q_period}"),
            label: format!("{} (.csv)", m.democracy),
        },
        Link {
            href: format!("/export/mediation-moj.xlsx?unit={q_unit}&period={q_period}"),
            label: m.export_moj.into(),
        },
    ];
    let records_href = (viewer.sees_records()
        && access::records_allowed(&tree, viewer, &unit.code).is_ok())
    .then(|| format!("/dashboard/records?unit={q_unit}"));
    let can_lock = viewer.role == crate::roles::Role::CommuneOfficer
        && access::is_commune(&unit)
        && report.lock.is_none();
    let other = if lang == Lang::En { Lang::Vi } else { Lang::En };
    let page = Overview {
        m,
        lang: lang_code(lang),
        lang_switch: Link {
            href: format!("{}&lang={}", href(&unit.code, &pk), lang_code(other)),
            label: if other == Lang::En {
                "English"
            } else {
                "Tiếng Việt"
            }
            .into(),
        },
        username: viewer.username.clone(),
        role: viewer.role.label().get(lang),
        csrf: viewer.csrf.clone(),
        unit_code: unit.code.clone(),
        unit_name: unit.name.clone(),
        crumbs,
        children,
        period_label: period.label(lang),
        as_of: report.as_of.format("%d/%m/%Y").to_string(),
        deadline: period.deadline.format("%d/%m/%Y").to_string(),
        period_groups: period_groups(state, &pk, lang),
        period_key: pk.clone(),
        tables: kind_tables(&report, lang, m),
        child_heads: CHILD_COLUMNS
            .iter()
            .filter_map(|k| def(k))
            .map(|d| d.label.get(lang))
            .collect(),
        child_rows: child_rows(&report, &pk, lang, m),
        chart_category,
        chart_trend,
        chart_completeness,
        rank_options,
        ranking,
        completeness,
        completeness_rows,
        lock: report.lock.as_ref().map(|l| {
            (
                l.locked_at.format("%d/%m/%Y %H:%M").to_string(),
                l.locked_by.clone(),
            )
        }),
        late_amendments: report.late_amendments,
        can_lock,
        notice: q.locked.is_some().then_some(m.lock_done),
        exports,
        records_href,
    };
    Ok(crate::web::pages::html(StatusCode::OK, page.render()))
}

#[derive(Deserialize)]
struct LockForm {
    unit: String,
    period: String,
    csrf: Option<String>,
}

async fn lock(
    State(state): State<AppState>,
    PageViewer(viewer): PageViewer,
    ReqLang(lang): ReqLang,
    headers: HeaderMap,
    Form(form): Form<LockForm>,
) -> Response {
    let res = async {
        check_csrf(&viewer, &headers, form.csrf.as_deref())?;
        let period = access::period(&state, &form.period)?;
        let lock = lock_for(&state, &viewer, &form.unit, &period).await?;
        Ok::<_, ApiError>(lock)
    }
    .await;
    match res {
        Ok(lock) => Redirect::to(&format!("{}&locked=1", href(&lock.unit, &lock.period_key)))
            .into_response(),
        Err(e) => error_page(e, lang),
    }
}

/// Lock `period` for `unit` as `viewer`: a commune officer, for a commune in their scope.
pub(crate) async fn lock_for(
    state: &AppState,
    viewer: &Viewer,
    unit: &str,
    period: &crate::aggregate::Period,
) -> Result<crate::aggregate::Lock, ApiError> {
    if viewer.role != crate::roles::Role::CommuneOfficer {
        return Err(ApiError::new(crate::error::ErrorCode::LockForbidden));
    }
    let target = access::resolve(state, viewer, unit, period.clone())?;
    if !access::is_commune(&target.unit) {
        return Err(ApiError::new(crate::error::ErrorCode::LockForbidden));
    }
    Ok(state
        .aggregator
        .lock_period(&target.unit.code, period, &viewer.username)
        .await?)
}
