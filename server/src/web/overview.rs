//! The dashboard overview (`/dashboard?unit=&period=`, and above the commune the commune
//! table's `sort`, `dir`, `q`, `attention`, `status`: `communes.rs`) and the period lock form
//! (`POST /dashboard/lock`).
//!
//! One page per (unit, period): breadcrumbs up to the officer's own unit, links down to the
//! children, a period picker; above the commune, the communes needing attention and the commune
//! table (ADR 0015); indicator tables with the trend against the previous period, SVG
//! charts, the children's figures, completeness, locks and late
//! amendments, export links. Figures carry `data-indicator="<key>"` so tests can read them.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use danvan_core::{Coded, Lang, RecordKind};
use serde::Deserialize;

use crate::aggregate::{
    Aggregator, CommuneSeries, Completeness, Indicators, Lock, PeriodKind, Report, SubmissionStatus,
};
use crate::error::ApiError;
use crate::roles::Role;
use crate::state::AppState;
use crate::units::{Unit, UnitTree, level};
use crate::web::access::{self, Target, lock_for};
use crate::web::charts;
use crate::web::communes::{self, CommunesView, SPARK_PERIODS, TableQuery, TableState};
use crate::web::i18n::{Messages, code_label, messages};
use crate::web::indicators::{self, Def};
use crate::web::render::{enc, error_page, html, lang_code};
use crate::web::session::{PageViewer, ReqLang, Viewer, check_csrf};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/dashboard", get(overview))
        .route("/dashboard/lock", post(lock))
}

/// A link.
struct Link {
    pub href: String,
    pub label: String,
}

/// A select option.
struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// A group of select options.
struct OptGroup {
    pub label: String,
    pub options: Vec<Opt>,
}

/// One line of an indicator table.
struct IndRow {
    pub key: &'static str,
    pub label: &'static str,
    pub value: String,
    pub previous: String,
    pub trend: String,
    pub trend_class: &'static str,
}

/// One kind's indicator table.
struct KindTable {
    pub kind: &'static str,
    pub title: &'static str,
    pub rows: Vec<IndRow>,
}

/// A figure cell of the children table.
struct Cell {
    pub key: &'static str,
    pub value: String,
}

/// A child (or unallocated, or total) line.
struct ChildRow {
    pub href: Option<String>,
    pub code: String,
    pub name: String,
    pub cells: Vec<Cell>,
    pub lock: String,
    pub late: u64,
    pub class: &'static str,
}

struct CompletenessView {
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
    /// Today, for the printed page's header.
    printed_on: String,
    period_groups: Vec<OptGroup>,
    tables: Vec<KindTable>,
    child_heads: Vec<&'static str>,
    child_rows: Vec<ChildRow>,
    chart_category: String,
    chart_trend: String,
    chart_completeness: String,
    /// The commune table and the attention list, above the commune (ADR 0015).
    communes: Option<CommunesView>,
    /// Whether the children are communes (then the commune table lists them).
    children_are_communes: bool,
    completeness: Completeness,
    completeness_rows: Vec<CompletenessView>,
    lock: Option<(String, String)>,
    late_amendments: u64,
    can_lock: bool,
    notice: Option<&'static str>,
    /// Shown when the unit did not exist yet in the period (a predecessor report).
    predecessors_note: Option<&'static str>,
    /// What is withheld from an officer above the commune (ADR 0012).
    disclosure_note: Option<String>,
    exports: Vec<Link>,
    records_href: Option<String>,
    /// "What was submitted" against now, when the unit locked the period.
    submitted_href: Option<String>,
}

#[derive(Deserialize)]
struct OverviewQuery {
    unit: Option<String>,
    period: Option<String>,
    locked: Option<String>,
    sort: Option<String>,
    dir: Option<String>,
    q: Option<String>,
    attention: Option<String>,
    status: Option<String>,
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

fn status_label(s: SubmissionStatus, m: &Messages) -> (&'static str, &'static str) {
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

fn kind_tables(report: &Report, lang: Lang, m: &'static Messages) -> Vec<KindTable> {
    [
        (RecordKind::Mediation, m.mediation),
        (RecordKind::Inspection, m.inspection),
        (RecordKind::Democracy, m.democracy),
        (RecordKind::Petition, m.petitions),
        (RecordKind::Dialogue, m.dialogues),
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
    let fmt_lock = |l: &Option<Lock>| {
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

/// Resolve the unit and period asked for, fetch the figures, render the page.
async fn build_overview(
    state: &AppState,
    viewer: &Viewer,
    lang: Lang,
    q: OverviewQuery,
) -> Result<Response, ApiError> {
    let period = access::period_or_default(state, q.period.as_deref())?;
    let unit = q.unit.unwrap_or_else(|| viewer.unit.clone());
    let target = access::resolve(state, viewer, &unit, period)?;
    let table = TableState::from_query(&TableQuery {
        sort: q.sort,
        dir: q.dir,
        q: q.q,
        attention: q.attention,
        status: q.status,
    });
    let small = access::small_cells(state, viewer);
    let figures = Figures::load(&state.aggregator, &target, small).await?;
    let page = Overview::new(
        state,
        viewer,
        lang,
        &target,
        figures,
        q.locked.is_some(),
        &table,
    );
    Ok(html(StatusCode::OK, page.render()))
}

/// The figures one overview shows, fetched from the aggregator.
struct Figures {
    report: Report,
    completeness: Completeness,
    /// Every commune over the last periods (none at a commune or a village).
    communes: Option<CommuneSeries>,
}

impl Figures {
    async fn load(
        agg: &Aggregator,
        target: &Target,
        small_cells: Option<u64>,
    ) -> Result<Figures, ApiError> {
        let Target { unit, period, .. } = target;
        let version = Some(unit.valid_from);
        if access::is_commune(unit) || unit.level == level::VILLAGE {
            let report = agg
                .report_seen(&unit.code, version, period, small_cells)
                .await?;
            let completeness = agg.completeness_on(&unit.code, version, period).await?;
            return Ok(Figures {
                report,
                completeness,
                communes: None,
            });
        }
        // Above the commune: the report and the commune table at once (their scans overlap on
        // a small machine), completeness read from the table's communes (ADR 0015).
        let (report, series) = tokio::try_join!(
            agg.report_seen(&unit.code, version, period, small_cells),
            agg.commune_series(&unit.code, version, period, SPARK_PERIODS),
        )?;
        let completeness = match series.completeness() {
            Some(c) => c,
            None => agg.completeness_on(&unit.code, version, period).await?,
        };
        let communes = Some(series);
        Ok(Figures {
            report,
            completeness,
            communes,
        })
    }
}

impl Overview<'static> {
    /// The page for `target`, assembled from the named parts below.
    fn new(
        state: &AppState,
        viewer: &Viewer,
        lang: Lang,
        target: &Target,
        figures: Figures,
        just_locked: bool,
        table: &TableState,
    ) -> Self {
        let m = messages(lang);
        let Target {
            unit,
            period,
            as_of,
        } = target;
        let pk = period.key.as_str();
        let tree = state.units.tree();
        let Figures {
            report,
            completeness,
            communes,
        } = figures;
        let communes = communes.map(|series| {
            let ctx = communes::Ctx {
                m,
                lang,
                unit: &unit.code,
                period: pk,
                period_labels: series.periods.iter().map(|p| p.label(lang)).collect(),
            };
            communes::build(&series, table, &ctx)
        });
        let children_are_communes = communes.is_some()
            && report
                .children
                .iter()
                .all(|c| c.unit.level == level::COMMUNE);
        Overview {
            m,
            lang: lang_code(lang),
            lang_switch: lang_switch(&unit.code, pk, &table.query(), lang),
            username: viewer.username.clone(),
            role: viewer.role.label().get(lang),
            csrf: viewer.csrf.clone(),
            unit_code: unit.code.clone(),
            unit_name: unit.name.clone(),
            crumbs: crumbs(&tree, viewer, unit, *as_of, pk),
            children: report
                .children
                .iter()
                .map(|r| Link {
                    href: href(&r.unit.code, pk),
                    label: r.unit.name.clone(),
                })
                .collect(),
            predecessors_note: report.predecessors.then_some(m.predecessors_note),
            disclosure_note: report.disclosure.map(|d| disclosure_note(&d, lang)),
            period_label: period.label(lang),
            as_of: report.as_of.format("%d/%m/%Y").to_string(),
            deadline: period.deadline.format("%d/%m/%Y").to_string(),
            printed_on: access::today().format("%d/%m/%Y").to_string(),
            period_groups: period_groups(state, pk, lang),
            period_key: pk.to_string(),
            tables: kind_tables(&report, lang, m),
            child_heads: child_heads(lang),
            child_rows: child_rows(&report, pk, lang, m),
            chart_category: category_chart(&report, lang, m),
            chart_trend: trend_chart(&report, lang, m),
            chart_completeness: completeness_chart(&completeness, m),
            completeness_rows: if communes.is_some() {
                Vec::new()
            } else {
                completeness_rows(&completeness, m)
            },
            communes,
            children_are_communes,
            completeness,
            lock: report.lock.as_ref().map(lock_line),
            late_amendments: report.late_amendments,
            can_lock: viewer.role == Role::CommuneOfficer
                && access::is_commune(unit)
                && !report.predecessors
                && report.lock.is_none(),
            notice: just_locked.then_some(m.lock_done),
            exports: export_links(&unit.code, pk, m),
            records_href: records_href(&tree, viewer, &unit.code),
            submitted_href: report
                .lock
                .as_ref()
                .map(|_| crate::web::submitted::href(&unit.code, pk)),
        }
    }
}

/// The same page in the other language (the commune table's sort and filter kept: `table`).
fn lang_switch(unit: &str, period: &str, table: &str, lang: Lang) -> Link {
    let other = if lang == Lang::En { Lang::Vi } else { Lang::En };
    Link {
        href: format!("{}{table}&lang={}", href(unit, period), lang_code(other)),
        label: if other == Lang::En {
            "English"
        } else {
            "Tiếng Việt"
        }
        .into(),
    }
}

/// Breadcrumbs from the officer's own unit down to `unit`.
fn crumbs(
    tree: &UnitTree,
    viewer: &Viewer,
    unit: &Unit,
    as_of: NaiveDate,
    period: &str,
) -> Vec<Link> {
    access::breadcrumbs(tree, viewer, unit, as_of)
        .into_iter()
        .map(|u| Link {
            href: href(&u.code, period),
            label: u.name,
        })
        .collect()
}

/// The children table's column headings.
fn child_heads(lang: Lang) -> Vec<&'static str> {
    CHILD_COLUMNS
        .iter()
        .filter_map(|k| def(k))
        .map(|d| d.label.get(lang))
        .collect()
}

/// What an officer above the commune is not shown (ADR 0012).
fn disclosure_note(d: &crate::aggregate::disclosure::Disclosure, lang: Lang) -> String {
    let k = d.threshold;
    let mut s = match lang {
        Lang::Vi => "Cấp trên xã chỉ xem số liệu tổng hợp đến cấp xã.".to_string(),
        Lang::En => "Above the commune, figures go down to the commune only.".to_string(),
    };
    if d.rows_hidden > 0 {
        s.push(' ');
        s.push_str(&match lang {
            Lang::Vi => format!("{} dòng dưới cấp xã không hiển thị.", d.rows_hidden),
            Lang::En => format!("{} lines below the commune are not shown.", d.rows_hidden),
        });
    }
    if d.suppressed_cells > 0 {
        s.push(' ');
        s.push_str(&match lang {
            Lang::Vi => format!(
                "{} ô phân loại có dưới {k} vụ việc của một xã (hoặc có thể suy ra ô đó) được ẩn, \
                 ghi \"<{k}\".",
                d.suppressed_cells
            ),
            Lang::En => format!(
                "{} breakdown cells with fewer than {k} cases of one commune (or that would give \
                 one away) are withheld, marked \"<{k}\".",
                d.suppressed_cells
            ),
        });
    }
    s
}

/// Mediation cases received, by category (withheld categories left out, ADR 0012).
fn category_chart(report: &Report, lang: Lang, m: &Messages) -> String {
    charts::bar_chart(
        m.chart_by_category,
        &report
            .totals
            .mediation
            .by_category
            .iter()
            .filter(|c| !c.suppressed)
            .map(|c| (code_label(&c.code, lang), c.received as f64))
            .collect::<Vec<_>>(),
    )
}

/// Headline figures of this period against the previous one.
fn trend_chart(report: &Report, lang: Lang, m: &Messages) -> String {
    let med = &report.totals.mediation;
    let prev = report.previous.clone().unwrap_or_default();
    charts::trend_chart(
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
    )
}

/// Communes by submission status.
fn completeness_chart(completeness: &Completeness, m: &Messages) -> String {
    let count =
        |s: SubmissionStatus| completeness.rows.iter().filter(|r| r.status == s).count() as u64;
    charts::stacked_bar(
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
    )
}

/// One line per commune: records by kind, lock time, submission status.
fn completeness_rows(completeness: &Completeness, m: &Messages) -> Vec<CompletenessView> {
    completeness
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
        .collect()
}

/// When and by whom the period was locked.
fn lock_line(lock: &Lock) -> (String, String) {
    (
        lock.locked_at.format("%d/%m/%Y %H:%M").to_string(),
        lock.locked_by.clone(),
    )
}

/// The CSV and XLSX exports of this unit and period.
fn export_links(unit: &str, period: &str, m: &Messages) -> Vec<Link> {
    let (u, p) = (enc(unit), enc(period));
    vec![
        Link {
            href: format!("/export/mediation.csv?unit={u}&period={p}"),
            label: format!("{} (.csv)", m.mediation),
        },
        Link {
            href: format!("/export/inspection.csv?unit={u}&period={p}"),
            label: format!("{} (.csv)", m.inspection),
        },
        Link {
            href: format!("/export/democracy.csv?unit={u}&period={p}"),
            label: format!("{} (.csv)", m.democracy),
        },
        Link {
            href: format!("/export/moj-hgcs-cases.xlsx?unit={u}&period={p}"),
            label: m.export_moj.into(),
        },
        Link {
            href: format!("/export/moj-hgcs-teams.xlsx?unit={u}&period={p}"),
            label: m.export_moj_teams.into(),
        },
    ]
}

/// The record list's link, for a commune officer within their commune.
fn records_href(tree: &UnitTree, viewer: &Viewer, unit: &str) -> Option<String> {
    (viewer.sees_records() && access::records_allowed(tree, viewer, unit).is_ok())
        .then(|| format!("/dashboard/records?unit={}", enc(unit)))
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
