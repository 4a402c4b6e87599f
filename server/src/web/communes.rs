//! The commune table of an officer above the commune (issue 16, ADR 0015): every commune once,
//! its key indicators of every kind, the trend against the previous period with a sparkline
//! over the last periods of the same length, its report status; sorted and filtered through
//! query parameters (`sort`, `dir`, `q`, `attention`, `status`) so it works without
//! JavaScript, which `/static/communes.js` only makes quicker. Above it, the communes that
//! need attention, each with its reasons (`attention.rs`).
//!
//! Only headline figures are shown (ADR 0012 keeps them: no breakdown cell of people's
//! matters is in the table), and only communes are rows: nothing below the commune.

use danvan_core::Lang;
use serde::Deserialize;

use crate::aggregate::{CommuneLine, CommuneSeries, Indicators, SubmissionStatus};
use crate::text::fold;
use crate::web::attention::{self, Medians, Reason};
use crate::web::charts;
use crate::web::i18n::Messages;
use crate::web::indicators::{self, Format};
use crate::web::render::enc;

/// Periods in a sparkline (the chosen one and the five before it).
pub const SPARK_PERIODS: usize = 6;
/// Lines of the attention list before "show all".
pub const ATTENTION_LINES: usize = 12;
/// Communes whose only reason is a missing report are listed one by one up to this many;
/// beyond it they are one line linking to the table filtered on `status=missing`.
pub const MISSING_LINES: usize = 5;
/// Longest search text kept (longer is cut, never refused).
const MAX_SEARCH: usize = 100;

/// The table's query parameters (all optional; a value not understood falls back to the
/// default, so an old or hand-edited link still shows the page).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct TableQuery {
    pub sort: Option<String>,
    pub dir: Option<String>,
    pub q: Option<String>,
    pub attention: Option<String>,
    pub status: Option<String>,
}

/// A column of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Col {
    Name,
    Status,
    Received,
    SuccessRate,
    InProgress,
    Trend,
    RecsOverdue,
    NotMet,
    PetitionsOverdue,
    DialoguesMissing,
}

/// Every column, in order: (column, `sort` key, `data-indicator` key).
const COLS: &[(Col, &str, &str)] = &[
    (Col::Name, "name", ""),
    (Col::Status, "status", "report.status"),
    (Col::Received, "received", "mediation.received"),
    (Col::SuccessRate, "success_rate", "mediation.success_rate"),
    (Col::InProgress, "in_progress", "mediation.in_progress"),
    (Col::Trend, "trend", "mediation.received_change"),
    (Col::RecsOverdue, "recs_overdue", "inspection.overdue"),
    (Col::NotMet, "not_met", "democracy.items_not_met"),
    (
        Col::PetitionsOverdue,
        "petitions_overdue",
        "petitions.overdue",
    ),
    (
        Col::DialoguesMissing,
        "dialogues_missing",
        "dialogues.missing",
    ),
];

impl Col {
    fn key(self) -> &'static str {
        COLS.iter().find(|c| c.0 == self).map_or("name", |c| c.1)
    }

    fn parse(s: &str) -> Option<Col> {
        COLS.iter().find(|c| c.1 == s).map(|c| c.0)
    }

    fn label(self, m: &Messages) -> &'static str {
        match self {
            Col::Name => m.unit,
            Col::Status => m.report_status,
            Col::Received => m.col_received,
            Col::SuccessRate => m.col_success_rate,
            Col::InProgress => m.col_in_progress,
            Col::Trend => m.col_trend,
            Col::RecsOverdue => m.col_recs_overdue,
            Col::NotMet => m.col_not_met,
            Col::PetitionsOverdue => m.col_petitions_overdue,
            Col::DialoguesMissing => m.col_dialogues_missing,
        }
    }

    /// Figures read best largest first; names and the report status (worst first) ascending.
    fn default_desc(self) -> bool {
        !matches!(self, Col::Name | Col::Status)
    }
}

/// The table's state as asked for, with defaults for what was not understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TableState {
    pub sort: Col,
    pub desc: bool,
    pub q: String,
    pub attention: bool,
    pub status: Option<SubmissionStatus>,
}

fn parse_status(s: &str) -> Option<SubmissionStatus> {
    match s {
        "on_time" => Some(SubmissionStatus::OnTime),
        "late" => Some(SubmissionStatus::Late),
        "missing" => Some(SubmissionStatus::Missing),
        "open" => Some(SubmissionStatus::Open),
        _ => None,
    }
}

fn status_code(s: SubmissionStatus) -> &'static str {
    match s {
        SubmissionStatus::OnTime => "on_time",
        SubmissionStatus::Late => "late",
        SubmissionStatus::Missing => "missing",
        SubmissionStatus::Open => "open",
    }
}

impl TableState {
    pub fn from_query(q: &TableQuery) -> TableState {
        let sort = q.sort.as_deref().and_then(Col::parse).unwrap_or(Col::Name);
        let desc = match q.dir.as_deref() {
            Some("asc") => false,
            Some("desc") => true,
            _ => sort.default_desc(),
        };
        let search: String =
            q.q.as_deref()
                .unwrap_or("")
                .chars()
                .filter(|c| !c.is_control())
                .take(MAX_SEARCH)
                .collect();
        TableState {
            sort,
            desc,
            q: search.trim().to_string(),
            attention: matches!(q.attention.as_deref(), Some("1" | "on" | "true")),
            status: q.status.as_deref().and_then(parse_status),
        }
    }

    /// The query string of this state (without unit and period), defaults left out.
    pub fn query(&self) -> String {
        let mut s = String::new();
        if self.sort != Col::Name {
            s.push_str(&format!("&sort={}", self.sort.key()));
        }
        if self.desc != self.sort.default_desc() {
            s.push_str(if self.desc { "&dir=desc" } else { "&dir=asc" });
        }
        if !self.q.is_empty() {
            s.push_str(&format!("&q={}", enc(&self.q)));
        }
        if self.attention {
            s.push_str("&attention=1");
        }
        if let Some(st) = self.status {
            s.push_str(&format!("&status={}", status_code(st)));
        }
        s
    }
}

/// A column heading: its label, the link that sorts by it, its current order.
pub(crate) struct HeadView {
    pub key: &'static str,
    pub label: &'static str,
    pub href: String,
    /// `ascending`, `descending` or `none` (`aria-sort`).
    pub aria_sort: &'static str,
    pub num: bool,
}

/// A cell of a commune's line.
pub(crate) struct CellView {
    pub indicator: &'static str,
    pub label: &'static str,
    pub value: String,
    /// The value the table sorts on (`data-v`), empty when undefined.
    pub sort: String,
    /// The change against the previous period, when the column shows one.
    pub change: String,
    pub change_class: &'static str,
    /// Server-drawn SVG (the trend column).
    pub svg: String,
    pub class: &'static str,
}

/// One commune's line.
pub(crate) struct RowView {
    pub code: String,
    pub name: String,
    /// The name folded for searching and sorting (`data-v`, read by the script).
    pub folded: String,
    /// The report status code (`data-status`).
    pub status: &'static str,
    pub href: String,
    pub attention: bool,
    pub cells: Vec<CellView>,
}

/// One line of the attention list.
pub(crate) struct AttentionView {
    pub code: String,
    pub name: String,
    pub href: String,
    pub reasons: Vec<(&'static str, String)>,
}

/// Everything the overview shows of the communes.
pub(crate) struct CommunesView {
    pub heads: Vec<HeadView>,
    pub rows: Vec<RowView>,
    pub total: usize,
    pub shown_line: String,
    /// The same line with `{n}` for the script to fill in.
    pub shown_tpl: String,
    pub attention: Vec<AttentionView>,
    /// "N more communes need attention": the link to the filtered table.
    pub attention_more: Option<(String, String)>,
    pub attention_count: usize,
    pub q: String,
    pub only_attention: bool,
    pub sort_key: &'static str,
    pub dir: &'static str,
    pub status_options: Vec<(&'static str, &'static str, bool)>,
    pub trend_help: String,
    pub clear_href: String,
}

struct Line<'a> {
    c: &'a CommuneLine,
    cur: Indicators,
    prev: Option<&'a Indicators>,
    reasons: Vec<Reason>,
    dialogues_missing: u64,
    folded: String,
}

fn num(v: Option<f64>) -> String {
    v.map_or(String::new(), |v| format!("{v}"))
}

fn status_rank(s: SubmissionStatus) -> u8 {
    match s {
        SubmissionStatus::Missing => 0,
        SubmissionStatus::Late => 1,
        SubmissionStatus::Open => 2,
        SubmissionStatus::OnTime => 3,
    }
}

fn sort_value(l: &Line<'_>, col: Col) -> Option<f64> {
    let i = &l.cur;
    match col {
        Col::Name => None,
        Col::Status => Some(f64::from(status_rank(l.c.status))),
        Col::Received => Some(i.mediation.received as f64),
        Col::SuccessRate => i.mediation.success_rate,
        Col::InProgress => Some(i.mediation.in_progress as f64),
        Col::Trend => l
            .prev
            .map(|p| i.mediation.received as f64 - p.mediation.received as f64),
        Col::RecsOverdue => Some(i.inspection.overdue as f64),
        Col::NotMet => Some(i.democracy.items_not_met as f64),
        Col::PetitionsOverdue => Some(i.petitions.overdue as f64),
        Col::DialoguesMissing => Some(l.dialogues_missing as f64),
    }
}

/// Sort lines by `col`: undefined values last whatever the direction, ties by name then code.
fn sort_lines(lines: &mut [Line<'_>], col: Col, desc: bool) {
    lines.sort_by(|a, b| {
        let by_name = a
            .folded
            .cmp(&b.folded)
            .then_with(|| a.c.unit.code.cmp(&b.c.unit.code));
        if col == Col::Name {
            return if desc { by_name.reverse() } else { by_name };
        }
        match (sort_value(a, col), sort_value(b, col)) {
            (Some(x), Some(y)) => {
                let o = x.total_cmp(&y);
                (if desc { o.reverse() } else { o }).then(by_name)
            }
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => by_name,
        }
    });
}

/// The inputs of [`build`] besides the figures.
pub(crate) struct Ctx<'a> {
    pub m: &'static Messages,
    pub lang: Lang,
    pub unit: &'a str,
    pub period: &'a str,
    /// Labels of the series' periods (oldest first).
    pub period_labels: Vec<String>,
}

fn status_label(s: SubmissionStatus, m: &Messages) -> (&'static str, &'static str) {
    match s {
        SubmissionStatus::OnTime => (m.on_time, "status ok"),
        SubmissionStatus::Late => (m.late, "status late"),
        SubmissionStatus::Missing => (m.missing, "status missing"),
        SubmissionStatus::Open => (m.open, "status open"),
    }
}

/// The view of `series` for the table state `st`.
pub(crate) fn build(series: &CommuneSeries, st: &TableState, ctx: &Ctx<'_>) -> CommunesView {
    let Ctx { m, lang, .. } = *ctx;
    let base = format!(
        "/dashboard?unit={}&period={}",
        enc(ctx.unit),
        enc(ctx.period)
    );
    let commune_href =
        |code: &str| format!("/dashboard?unit={}&period={}", enc(code), enc(ctx.period));
    let medians = Medians::of(series.rows.iter().map(|c| &c.current));
    let mut lines: Vec<Line<'_>> = series
        .rows
        .iter()
        .map(|c| {
            let cur = c.current.clone();
            let prev = c.previous.as_ref();
            let reasons = attention::reasons(
                attention::Input {
                    status: c.status,
                    current: &cur,
                    previous: prev,
                },
                medians,
            );
            let dialogues_missing = series
                .dialogues_expected
                .saturating_sub(cur.dialogues.chaired_by_head);
            Line {
                c,
                folded: fold(&c.unit.name),
                cur,
                prev,
                reasons,
                dialogues_missing,
            }
        })
        .collect();

    // The attention list: heaviest first; communes only missing their report are folded into
    // one line when there are many of them.
    let mut needing: Vec<&Line<'_>> = lines.iter().filter(|l| !l.reasons.is_empty()).collect();
    needing.sort_by(|a, b| {
        attention::weight(&b.reasons)
            .cmp(&attention::weight(&a.reasons))
            .then_with(|| a.folded.cmp(&b.folded))
            .then_with(|| a.c.unit.code.cmp(&b.c.unit.code))
    });
    let only_missing = |l: &&Line<'_>| l.reasons == [Reason::Missing];
    let n_only_missing = needing.iter().filter(|l| only_missing(l)).count();
    let fold_missing = n_only_missing > MISSING_LINES;
    let mut attention_views: Vec<AttentionView> = needing
        .iter()
        .filter(|l| !(fold_missing && only_missing(l)))
        .map(|l| AttentionView {
            code: l.c.unit.code.clone(),
            name: l.c.unit.name.clone(),
            href: commune_href(&l.c.unit.code),
            reasons: l.reasons.iter().map(|r| (r.code(), r.text(lang))).collect(),
        })
        .collect();
    let attention_count = needing.len();
    let listed = attention_views.len().min(ATTENTION_LINES);
    let hidden = attention_views.len() - listed;
    attention_views.truncate(ATTENTION_LINES);
    if fold_missing {
        attention_views.push(AttentionView {
            code: String::new(),
            name: match lang {
                Lang::Vi => format!("{n_only_missing} xã"),
                Lang::En => format!("{n_only_missing} communes"),
            },
            href: format!("{base}&status=missing#communes"),
            reasons: vec![(
                "missing",
                match lang {
                    Lang::Vi => "chỉ có lý do: chưa gửi báo cáo, đã quá hạn (xem danh sách)".into(),
                    Lang::En => {
                        "only reason: report not submitted, past the deadline (see the list)".into()
                    }
                },
            )],
        });
    }
    let attention_more = (hidden > 0 || fold_missing).then(|| {
        (
            format!("{base}&attention=1#communes"),
            match lang {
                Lang::Vi => format!("{} ({attention_count} xã)", m.attention_all),
                Lang::En => format!("{} ({attention_count} communes)", m.attention_all),
            },
        )
    });

    // The table: filter, then sort.
    let total = lines.len();
    let needle = fold(&st.q);
    lines.retain(|l| {
        (needle.is_empty() || l.folded.contains(&needle) || l.c.unit.code.contains(&st.q))
            && (!st.attention || !l.reasons.is_empty())
            && st.status.is_none_or(|s| s == l.c.status)
    });
    sort_lines(&mut lines, st.sort, st.desc);
    let rows = lines
        .iter()
        .map(|l| row_view(l, ctx, &commune_href))
        .collect();
    let heads = COLS
        .iter()
        .map(|(col, key, _)| {
            let active = *col == st.sort;
            let desc = if active { !st.desc } else { col.default_desc() };
            let next = TableState {
                sort: *col,
                desc,
                ..st.clone()
            };
            HeadView {
                key,
                label: col.label(m),
                href: format!("{base}{}#communes", next.query()),
                aria_sort: match (active, st.desc) {
                    (false, _) => "none",
                    (true, true) => "descending",
                    (true, false) => "ascending",
                },
                num: *col != Col::Name,
            }
        })
        .collect();
    let shown = lines.len();
    CommunesView {
        heads,
        rows,
        total,
        shown_line: shown_line(lang, &shown.to_string(), total),
        shown_tpl: shown_line(lang, "{n}", total),
        attention: attention_views,
        attention_more,
        attention_count,
        q: st.q.clone(),
        only_attention: st.attention,
        sort_key: st.sort.key(),
        dir: if st.desc { "desc" } else { "asc" },
        status_options: [
            ("", m.any_status),
            ("missing", m.missing),
            ("late", m.late),
            ("on_time", m.on_time),
            ("open", m.open),
        ]
        .into_iter()
        .map(|(code, label)| {
            (
                code,
                label,
                st.status.map(status_code).unwrap_or("") == code,
            )
        })
        .collect(),
        trend_help: match lang {
            Lang::Vi => format!(
                "Xu hướng: số vụ việc hòa giải tiếp nhận trong {} kỳ gần nhất ({} – {}); ▲/▼: thay đổi so với kỳ trước.",
                ctx.period_labels.len(),
                ctx.period_labels.first().map(String::as_str).unwrap_or(""),
                ctx.period_labels.last().map(String::as_str).unwrap_or("")
            ),
            Lang::En => format!(
                "Trend: mediation cases received over the last {} periods ({} – {}); ▲/▼: change against the previous period.",
                ctx.period_labels.len(),
                ctx.period_labels.first().map(String::as_str).unwrap_or(""),
                ctx.period_labels.last().map(String::as_str).unwrap_or("")
            ),
        },
        clear_href: format!("{base}#communes"),
    }
}

fn shown_line(lang: Lang, shown: &str, total: usize) -> String {
    match lang {
        Lang::Vi => format!("Hiển thị {shown}/{total} xã, phường"),
        Lang::En => format!("Showing {shown} of {total} communes"),
    }
}

fn row_view(l: &Line<'_>, ctx: &Ctx<'_>, href: &dyn Fn(&str) -> String) -> RowView {
    let (m, lang) = (ctx.m, ctx.lang);
    let count = |v: u64| indicators::format(Some(v as f64), Format::Count, lang);
    let cell = |col: Col, value: String, class: &'static str| {
        let (_, _, indicator) = COLS.iter().find(|c| c.0 == col).copied().unwrap_or(COLS[0]);
        CellView {
            indicator,
            label: col.label(m),
            value,
            sort: num(sort_value(l, col)),
            change: String::new(),
            change_class: "",
            svg: String::new(),
            class,
        }
    };
    let i = &l.cur;
    let (status, status_class) = status_label(l.c.status, m);
    let mut cells = vec![
        cell(Col::Status, status.to_string(), status_class),
        cell(Col::Received, count(i.mediation.received), "num"),
        cell(
            Col::SuccessRate,
            indicators::format(i.mediation.success_rate, Format::Rate, lang),
            "num",
        ),
        cell(Col::InProgress, count(i.mediation.in_progress), "num"),
        cell(Col::Trend, String::new(), "num spark-cell"),
        cell(
            Col::RecsOverdue,
            count(i.inspection.overdue),
            hot(i.inspection.overdue),
        ),
        cell(Col::NotMet, count(i.democracy.items_not_met), "num"),
        cell(
            Col::PetitionsOverdue,
            count(i.petitions.overdue),
            hot(i.petitions.overdue),
        ),
        cell(Col::DialoguesMissing, count(l.dialogues_missing), "num"),
    ];
    // Success rate: the change in points; trend: sparkline and the change in cases.
    let prev = l.prev;
    let (change, class) = indicators::trend(
        i.mediation.success_rate,
        prev.and_then(|p| p.mediation.success_rate),
        Format::Rate,
        lang,
    );
    if i.mediation.success_rate.is_some() && prev.and_then(|p| p.mediation.success_rate).is_some() {
        cells[2].change = change;
        cells[2].change_class = class;
    }
    let series: Vec<Option<f64>> = l.c.received.iter().map(|n| Some(*n as f64)).collect();
    cells[4].svg = charts::sparkline(&series, &ctx.period_labels);
    let (change, class) = indicators::trend(
        Some(i.mediation.received as f64),
        prev.map(|p| p.mediation.received as f64),
        Format::Count,
        lang,
    );
    cells[4].value = change;
    cells[4].change_class = class;
    RowView {
        code: l.c.unit.code.clone(),
        name: l.c.unit.name.clone(),
        folded: l.folded.clone(),
        status: status_code(l.c.status),
        href: href(&l.c.unit.code),
        attention: !l.reasons.is_empty(),
        cells,
    }
}

fn hot(n: u64) -> &'static str {
    if n > 0 { "num hot" } else { "num" }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(sort: &str, dir: &str, qq: &str, att: &str, status: &str) -> TableQuery {
        let o = |s: &str| (!s.is_empty()).then(|| s.to_string());
        TableQuery {
            sort: o(sort),
            dir: o(dir),
            q: o(qq),
            attention: o(att),
            status: o(status),
        }
    }

    #[test]
    fn bad_parameters_fall_back_to_defaults() {
        let st = TableState::from_query(&q("drop table", "sideways", "", "maybe", "late-ish"));
        assert_eq!(st.sort, Col::Name);
        assert!(!st.desc && !st.attention && st.status.is_none());
        let st = TableState::from_query(&q("success_rate", "", "", "1", "missing"));
        assert_eq!(st.sort, Col::SuccessRate);
        assert!(st.desc, "figures sort largest first by default");
        assert!(st.attention);
        assert_eq!(st.status, Some(SubmissionStatus::Missing));
        let long = "x".repeat(500);
        let st = TableState::from_query(&q("", "", &format!(" a\u{0}b{long}"), "", ""));
        assert_eq!(
            st.q.chars().count(),
            MAX_SEARCH - 1,
            "cut, control characters dropped"
        );
        assert!(st.q.starts_with("ab"));
    }

    #[test]
    fn the_query_string_round_trips() {
        let st = TableState::from_query(&q("received", "asc", "Hòa Bình", "1", "late"));
        let s = st.query();
        assert_eq!(
            s,
            "&sort=received&dir=asc&q=H%C3%B2a+B%C3%ACnh&attention=1&status=late"
        );
        assert_eq!(TableState::from_query(&q("", "", "", "", "")).query(), "");
    }
}
