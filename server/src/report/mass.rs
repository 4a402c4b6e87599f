//! The periodic mass-mobilisation report ("Báo cáo kết quả thực hiện Kết luận số 114-KL/TW của
//! Ban Bí thư về công tác dân vận của cơ quan nhà nước") of a commune or of the city, for a
//! quarter, six months or a year.
//!
//! [`gather`] reads the figures (the aggregator's report and completeness as of the cut-off,
//! the "Dân vận khéo" register's counts, and per-commune figures for the ranking); [`build`]
//! lays them out as a [`MassReport`]: the Party-document header, numbered sections with tables
//! (each figure beside the previous period of the same kind and the change), the editable
//! narrative and the signature. [`MassReport::party_report`] turns it into a
//! [`PartyReport`](super::PartyReport) for the `.docx` writer, [`MassReport::xlsx`] into a
//! workbook with one sheet per table holding the same numbers.
//!
//! Only aggregates: counts, rates and sums by unit, never a record's content, so the report is
//! the same for every officer allowed to see the unit.

use chrono::NaiveDate;
use danvan_core::model::petition::{PetitionSubject, PetitionType};
use danvan_core::{Coded, Lang};
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook, XlsxError};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::docx::{Block, PartyReport, Section, Signature, Table};
use crate::aggregate::{
    Aggregator, Completeness, Indicators, Period, RankIndicator, RankRow, Report, SubmissionStatus,
    UnitRef,
};
use crate::dvk::{DvkField, DvkFigures, dvk_figures};
use crate::error::Result;
use crate::storage::Storage;
use crate::units::{UnitTree, level};

/// The indicators the city's report ranks its communes by (the aggregator's ranking, as
/// `/api/v1/ranking` gives it).
pub const RANKED: [RankIndicator; 3] = [
    RankIndicator::PetitionsResolvedOnTimeRate,
    RankIndicator::MediationSuccessRate,
    RankIndicator::InspectionAnsweredOnTimeRate,
];

/// Longest narrative paragraph an officer may type, in characters.
pub const MAX_NARRATIVE: usize = 20_000;
/// Longest signer's name, in characters.
pub const MAX_SIGNER: usize = 200;

/// What kind of value a cell holds (decides its number format in the workbook).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CellKind {
    /// Text (a label, a row number, "-" for no value).
    Text,
    /// A whole count.
    Count,
    /// A share, `value` from 0 to 1, shown as a percentage.
    Rate,
    /// A change against the previous period: a count, or percentage points for a rate.
    Change,
    /// An amount (VND, m²).
    Amount,
}

/// One cell of a table: the text the document shows and, for a number, its value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Cell {
    /// As shown in the document (Vietnamese number format: `1.204`, `90,3%`, `+3`).
    pub text: String,
    /// The number (a rate from 0 to 1; a rate's change in percentage points), when there is one.
    pub value: Option<f64>,
    /// What the value is.
    pub kind: CellKind,
}

impl Cell {
    fn text(s: impl Into<String>) -> Cell {
        Cell {
            text: s.into(),
            value: None,
            kind: CellKind::Text,
        }
    }

    fn count(n: u64) -> Cell {
        Cell {
            text: thousands(n),
            value: Some(n as f64),
            kind: CellKind::Count,
        }
    }

    fn amount(x: f64) -> Cell {
        let rounded = x.round();
        Cell {
            text: if rounded < 0.0 {
                format!("-{}", thousands((-rounded) as u64))
            } else {
                thousands(rounded as u64)
            },
            value: Some(rounded),
            kind: CellKind::Amount,
        }
    }

    fn rate(r: Option<f64>) -> Cell {
        match r {
            Some(r) => Cell {
                text: format!("{}%", decimal(r * 100.0)),
                value: Some(r),
                kind: CellKind::Rate,
            },
            None => Cell::text("-"),
        }
    }

    fn change(v: f64, rate: bool) -> Cell {
        let text = if rate {
            let s = decimal(v.abs());
            if v > 0.0 {
                format!("+{s}")
            } else if v < 0.0 {
                format!("-{s}")
            } else {
                s
            }
        } else {
            let n = v.round();
            let s = thousands(n.abs() as u64);
            if n > 0.0 {
                format!("+{s}")
            } else if n < 0.0 {
                format!("-{s}")
            } else {
                s
            }
        };
        Cell {
            text,
            value: Some(if rate { round1(v) } else { v.round() }),
            kind: CellKind::Change,
        }
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// `1234567` → `1.234.567`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

/// One decimal with a comma: `90.3` → `90,3`.
fn decimal(x: f64) -> String {
    format!("{:.1}", round1(x)).replace('.', ",")
}

/// A table of the report: caption, header, rows, an optional total row, an optional note.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MassTable {
    /// A short name, unique in the report (the workbook's sheet name).
    pub sheet: String,
    /// The caption above the table.
    pub caption: String,
    /// Column headings.
    pub header: Vec<String>,
    /// Rows, each as long as the header.
    pub rows: Vec<Vec<Cell>>,
    /// The total row, when the table has one.
    pub total: Option<Vec<Cell>>,
    /// A note under the table.
    pub note: Option<String>,
}

/// Which editable narrative a block is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NarrativeKey {
    /// I. Tình hình chung.
    General,
    /// Phương hướng, nhiệm vụ.
    Directions,
}

/// One piece of a section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MassBlock {
    /// Text the officer may edit before downloading (the default is generated).
    Narrative {
        /// Which narrative.
        key: NarrativeKey,
        /// Its text (paragraphs separated by new lines).
        text: String,
    },
    /// A fixed sentence.
    Paragraph {
        /// The sentence.
        text: String,
    },
    /// A numbered sub-heading ("1. ...").
    Subheading {
        /// The heading.
        text: String,
    },
    /// A table of figures.
    Table {
        /// The table.
        table: MassTable,
    },
}

/// A numbered section ("I. ...").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MassSection {
    /// The heading with its number.
    pub heading: String,
    /// Its content.
    pub blocks: Vec<MassBlock>,
}

/// The signature block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Signer {
    /// The authority signed under ("K/T TRƯỞNG BAN", "T/M ĐẢNG ỦY").
    pub on_behalf: String,
    /// The signer's office.
    pub title: String,
    /// The signer's name (blank until the officer types it).
    pub name: String,
}

/// The mass-mobilisation report: header, sections, recipients and signature.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct MassReport {
    /// The unit reported on.
    pub unit: UnitRef,
    /// Whether it is the city's report (ranking of communes included) or a commune's.
    pub city: bool,
    /// The period.
    pub period: Period,
    /// The period's label ("6 tháng đầu năm 2026").
    pub period_label: String,
    /// The previous period of the same kind, the trend columns compare with.
    pub previous: Option<Period>,
    /// Figures as of this day.
    pub as_of: NaiveDate,
    /// The Party committee above the issuer.
    pub issuer_parent: String,
    /// The issuing body.
    pub issuer: String,
    /// The number, left blank to fill in (Party numbering runs per term: 36-HD/VPTW II.1.3).
    pub number: String,
    /// Where it is issued.
    pub place: String,
    /// The day it is issued (today, Vietnam time).
    pub date: NaiveDate,
    /// "BÁO CÁO".
    pub title: String,
    /// What it reports on.
    pub subject: String,
    /// The body.
    pub sections: Vec<MassSection>,
    /// "Nơi nhận".
    pub recipients: Vec<String>,
    /// Who signs.
    pub signature: Signer,
}

/// The figures a report is built from.
#[derive(Debug, Clone)]
pub struct Figures {
    /// The aggregator's report of the unit (totals, rows, previous period's totals).
    pub report: Report,
    /// The previous period of the same kind.
    pub previous_period: Period,
    /// Which communes reported.
    pub completeness: Completeness,
    /// "Dân vận khéo" models as of the cut-off.
    pub dvk: DvkFigures,
    /// The same for the previous period.
    pub dvk_previous: DvkFigures,
    /// Communes ranked by each of [`RANKED`] (empty for a commune's report).
    pub rankings: Vec<(RankIndicator, Vec<RankRow>)>,
}

/// What the officer typed: narratives and the signer's name (`None`: the generated default).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edits {
    /// I. Tình hình chung.
    pub general: Option<String>,
    /// Phương hướng, nhiệm vụ.
    pub directions: Option<String>,
    /// The signer's name.
    pub signer: Option<String>,
}

/// Read the figures of `unit` (the version in force on `version_on`, see
/// [`Aggregator::report_on`]) for `period`, protected for a viewer above the commune when
/// `small_cells` is given ([`Aggregator::report_seen`], ADR 0012).
///
/// # Errors
/// Those of the aggregator and of storage.
pub async fn gather(
    aggregator: &Aggregator,
    storage: &dyn Storage,
    tree: &UnitTree,
    unit: &str,
    version_on: Option<NaiveDate>,
    period: &Period,
    small_cells: Option<u64>,
) -> Result<Figures> {
    let report = aggregator
        .report_seen(unit, version_on, period, small_cells)
        .await?;
    let previous_period = aggregator.periods().previous(period);
    let completeness = aggregator
        .completeness_on(&report.unit.code, version_on, period)
        .await?;
    let dvk = dvk_figures(storage, tree, &report.unit.code, period.start, report.as_of).await?;
    let prev_as_of = as_of(&previous_period);
    let dvk_previous = dvk_figures(
        storage,
        tree,
        &report.unit.code,
        previous_period.start,
        prev_as_of,
    )
    .await?;
    let mut rankings = Vec::new();
    if report.unit.level != level::COMMUNE {
        for ind in RANKED {
            let rows = aggregator.ranking(&report.unit.code, period, ind).await?;
            rankings.push((ind, rows));
        }
    }
    Ok(Figures {
        report,
        previous_period,
        completeness,
        dvk,
        dvk_previous,
        rankings,
    })
}

/// The day a period's figures are read on (the aggregator's rule: the cut-off, or today when
/// earlier, not before the start).
fn as_of(period: &Period) -> NaiveDate {
    let today = danvan_core::model::common::Date::today_vn().0;
    period.cutoff.min(today.max(period.start))
}

fn tr(lang: Lang, vi: &str, en: &str) -> String {
    match lang {
        Lang::Vi => vi.to_string(),
        Lang::En => en.to_string(),
    }
}

const ROMAN: [&str; 8] = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII"];

/// "Xã Tân Tiến" → "Tân Tiến"; "Thành phố Hải Phòng" → "Hải Phòng".
fn bare_name(name: &str) -> &str {
    for prefix in [
        "Thành phố ",
        "Tỉnh ",
        "Phường ",
        "Xã ",
        "Đặc khu ",
        "Thị trấn ",
        "Huyện ",
        "Quận ",
        "Thị xã ",
    ] {
        if let Some(rest) = name.strip_prefix(prefix) {
            return rest;
        }
    }
    name
}

/// "Quý I/2026" → "quý I/2026" (only the first letter: roman numerals stay).
fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Uppercase of a Vietnamese name (Rust's `to_uppercase` handles the diacritics).
fn upper(s: &str) -> String {
    s.to_uppercase()
}

/// The city the unit belongs to, for the header of a commune's report.
fn city_name(tree: Option<&UnitTree>, unit: &UnitRef, on: NaiveDate) -> String {
    let mut code = unit.code.clone();
    if let Some(tree) = tree {
        for _ in 0..6 {
            let Some(u) = tree.unit(&code, on) else { break };
            if u.level == level::PROVINCE {
                return u.name.clone();
            }
            match &u.parent {
                Some(p) => code = p.clone(),
                None => break,
            }
        }
    }
    "Thành phố Hải Phòng".to_string()
}

struct Trend<'a> {
    lang: Lang,
    cur_label: String,
    prev_label: Option<String>,
    rows: Vec<Vec<Cell>>,
    sheet: &'a str,
}

impl Trend<'_> {
    fn header(&self) -> Vec<String> {
        vec![
            tr(self.lang, "STT", "No."),
            tr(self.lang, "Chỉ tiêu", "Indicator"),
            self.cur_label.clone(),
            self.prev_label
                .clone()
                .unwrap_or_else(|| tr(self.lang, "Kỳ trước", "Previous period")),
            tr(self.lang, "Tăng (+), giảm (-)", "Change (+/-)"),
        ]
    }

    fn row(&mut self, label: String, cur: Cell, prev: Option<Cell>) {
        let n = self.rows.len() + 1;
        let change = match (&cur, &prev) {
            (
                Cell {
                    value: Some(c),
                    kind: CellKind::Rate,
                    ..
                },
                Some(Cell {
                    value: Some(p),
                    kind: CellKind::Rate,
                    ..
                }),
            ) => Cell::change((c - p) * 100.0, true),
            (
                Cell {
                    value: Some(c),
                    kind: k,
                    ..
                },
                Some(Cell { value: Some(p), .. }),
            ) if *k != CellKind::Rate => Cell::change(c - p, false),
            _ => Cell::text("-"),
        };
        self.rows.push(vec![
            Cell::text(n.to_string()),
            Cell::text(label),
            cur,
            prev.unwrap_or_else(|| Cell::text("-")),
            change,
        ]);
    }

    fn count(&mut self, vi: &str, en: &str, cur: u64, prev: Option<u64>) {
        self.row(
            tr(self.lang, vi, en),
            Cell::count(cur),
            prev.map(Cell::count),
        );
    }

    fn rate(&mut self, vi: &str, en: &str, cur: Option<f64>, prev: Option<Option<f64>>) {
        self.row(tr(self.lang, vi, en), Cell::rate(cur), prev.map(Cell::rate));
    }

    fn amount(&mut self, vi: &str, en: &str, cur: f64, prev: Option<f64>) {
        self.row(
            tr(self.lang, vi, en),
            Cell::amount(cur),
            prev.map(Cell::amount),
        );
    }

    fn table(self, caption: String, note: Option<String>) -> MassTable {
        MassTable {
            sheet: self.sheet.to_string(),
            caption,
            header: self.header(),
            rows: self.rows,
            total: None,
            note,
        }
    }
}

/// Lay the figures out as the report, in `lang` (the `.docx` is always Vietnamese), issued on
/// `date`, with the officer's `edits`. `tree` names the city above a commune.
pub fn build(
    f: &Figures,
    edits: &Edits,
    lang: Lang,
    date: NaiveDate,
    tree: Option<&UnitTree>,
) -> MassReport {
    let r = &f.report;
    let cur = &r.totals;
    let prev = r.previous.as_ref();
    let city = r.unit.level != level::COMMUNE;
    let small = r.disclosure.map(|d| d.threshold);
    let period_label = r.period.label(lang);
    let prev_label = prev.map(|_| f.previous_period.label(lang));
    let trend = |sheet| Trend {
        lang,
        cur_label: period_label.clone(),
        prev_label: prev_label.clone(),
        rows: Vec::new(),
        sheet,
    };
    let as_of_line = match lang {
        Lang::Vi => format!("Số liệu tính đến ngày {}.", r.as_of.format("%d/%m/%Y")),
        Lang::En => format!("Figures as of {}.", r.as_of.format("%d/%m/%Y")),
    };
    let rate_note = tr(
        lang,
        "Cột tăng, giảm của các tỷ lệ tính bằng điểm phần trăm.",
        "The change of a rate is in percentage points.",
    );
    let c = &f.completeness;
    let mut sections = Vec::new();
    let mut heading_no = 0usize;
    let mut heading = |vi: &str, en: &str| {
        let n = ROMAN.get(heading_no).copied().unwrap_or("?");
        heading_no += 1;
        format!("{n}. {}", tr(lang, vi, en))
    };

    // I. General situation.
    let unit_name = r.unit.name.clone();
    let default_general = match lang {
        Lang::Vi => {
            let scope = if city {
                format!(
                    "Báo cáo tổng hợp số liệu của {} xã, phường, đặc khu thuộc {}; {} đơn vị có số \
                     liệu trong kỳ, {} đơn vị đã chốt số liệu ({} đúng hạn, {} chậm hạn).",
                    c.expected, unit_name, c.with_records, c.locked, c.on_time, c.late
                )
            } else {
                format!(
                    "Báo cáo tổng hợp số liệu của {unit_name}; {}.",
                    if c.locked > 0 {
                        "số liệu của kỳ đã được chốt"
                    } else {
                        "số liệu của kỳ chưa được chốt"
                    }
                )
            };
            format!(
                "Trong {} (số liệu tính đến ngày {}), các cấp ủy, chính quyền {} tiếp tục quán \
                 triệt, triển khai thực hiện Kết luận số 114-KL/TW của Ban Bí thư về công tác dân \
                 vận của cơ quan nhà nước; chú trọng tiếp công dân, giải quyết khiếu nại, tố cáo, \
                 đối thoại trực tiếp với Nhân dân, hòa giải ở cơ sở, thanh tra nhân dân và thực \
                 hiện dân chủ ở cơ sở. {scope}",
                lower_first(&r.period.label(Lang::Vi)),
                r.as_of.format("%d/%m/%Y"),
                unit_name,
            )
        }
        Lang::En => format!(
            "In {} (figures as of {}), {} continued to carry out Conclusion 114-KL/TW of the \
             Party Secretariat on the mass-mobilisation work of State bodies. The report covers \
             {} communes; {} had records in the period, {} locked their figures ({} on time, {} \
             late).",
            r.period.label(Lang::En),
            r.as_of.format("%d/%m/%Y"),
            unit_name,
            c.expected,
            c.with_records,
            c.locked,
            c.on_time,
            c.late
        ),
    };
    let narrative = |e: &Option<String>, default: String| {
        e.as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map_or(default, str::to_string)
    };
    sections.push(MassSection {
        heading: heading("TÌNH HÌNH CHUNG", "GENERAL SITUATION"),
        blocks: vec![MassBlock::Narrative {
            key: NarrativeKey::General,
            text: narrative(&edits.general, default_general),
        }],
    });

    // II. Results.
    let mut blocks = Vec::new();
    // 1. Petitions.
    let p = &cur.petitions;
    let pp = prev.map(|i| &i.petitions);
    blocks.push(MassBlock::Subheading {
        text: tr(
            lang,
            "1. Tiếp công dân, giải quyết khiếu nại, tố cáo, kiến nghị, phản ánh",
            "1. Citizen reception, complaints, denunciations, recommendations and reflections",
        ),
    });
    let mut t = trend("Don thu");
    t.count(
        "Đơn tiếp nhận mới trong kỳ",
        "Received in the period",
        p.received,
        pp.map(|x| x.received),
    );
    t.count(
        "Đơn kỳ trước chuyển sang",
        "Carried over",
        p.carried_over,
        pp.map(|x| x.carried_over),
    );
    t.count(
        "Tổng số đơn phải xử lý",
        "Total to handle",
        p.total,
        pp.map(|x| x.total),
    );
    t.count(
        "Đơn đã thụ lý trong kỳ",
        "Accepted in the period",
        p.accepted,
        pp.map(|x| x.accepted),
    );
    t.count(
        "Đã giải quyết",
        "Resolved",
        p.resolved,
        pp.map(|x| x.resolved),
    );
    t.count(
        "Trong đó: giải quyết đúng hạn",
        "of which on time",
        p.resolved_on_time,
        pp.map(|x| x.resolved_on_time),
    );
    t.rate(
        "Tỷ lệ giải quyết đúng hạn",
        "Share resolved on time",
        p.resolved_on_time_rate,
        pp.map(|x| x.resolved_on_time_rate),
    );
    t.count(
        "Chuyển cơ quan có thẩm quyền",
        "Forwarded to the competent body",
        p.forwarded,
        pp.map(|x| x.forwarded),
    );
    t.count(
        "Trả lại, hướng dẫn, lưu đơn không thụ lý",
        "Returned or filed, not accepted",
        p.not_accepted,
        pp.map(|x| x.not_accepted),
    );
    t.count("Rút đơn", "Withdrawn", p.withdrawn, pp.map(|x| x.withdrawn));
    t.count(
        "Đang giải quyết",
        "In progress",
        p.in_progress,
        pp.map(|x| x.in_progress),
    );
    t.count(
        "Trong đó: quá hạn",
        "of which overdue",
        p.overdue,
        pp.map(|x| x.overdue),
    );
    t.count(
        "Gia hạn giải quyết trong kỳ",
        "Extensions decided",
        p.extended,
        pp.map(|x| x.extended),
    );
    t.count(
        "Đơn đông người",
        "Group petitions",
        p.group,
        pp.map(|x| x.group),
    );
    blocks.push(MassBlock::Table {
        table: t.table(
            tr(
                lang,
                "Bảng 1. Kết quả tiếp nhận, giải quyết đơn thư",
                "Table 1. Petitions received and handled",
            ),
            Some(format!(
                "{} {}",
                tr(
                    lang,
                    "Tổng số = mới + kỳ trước chuyển sang = đã giải quyết + chuyển + không thụ lý \
                     + rút đơn + đang giải quyết.",
                    "Total = received + carried over = resolved + forwarded + not accepted + \
                     withdrawn + in progress.",
                ),
                rate_note
            )),
        ),
    });
    blocks.push(MassBlock::Table {
        table: by_code_table(
            lang,
            "Loai don",
            tr(
                lang,
                "Bảng 2. Đơn thư theo loại",
                "Table 2. Petitions by type",
            ),
            tr(lang, "Loại đơn", "Type"),
            PetitionType::all()
                .iter()
                .map(|t| (t.code(), t.label().get(lang).to_string()))
                .collect(),
            (&p.by_type, pp.map(|x| x.by_type.as_slice())),
            (p.total, pp.map(|x| x.total)),
            (&period_label, prev_label.as_deref()),
            small,
        ),
    });
    blocks.push(MassBlock::Table {
        table: by_code_table(
            lang,
            "Linh vuc",
            tr(
                lang,
                "Bảng 3. Đơn thư theo lĩnh vực",
                "Table 3. Petitions by field",
            ),
            tr(lang, "Lĩnh vực", "Field"),
            PetitionSubject::all()
                .iter()
                .map(|t| (t.code(), t.label().get(lang).to_string()))
                .collect(),
            (&p.by_subject, pp.map(|x| x.by_subject.as_slice())),
            (p.total, pp.map(|x| x.total)),
            (&period_label, prev_label.as_deref()),
            small,
        ),
    });
    blocks.push(MassBlock::Table {
        table: petitions_by_unit(r, lang, city),
    });

    // 2. Dialogues.
    let d = &cur.dialogues;
    let dp = prev.map(|i| &i.dialogues);
    blocks.push(MassBlock::Subheading {
        text: tr(
            lang,
            "2. Đối thoại trực tiếp giữa người đứng đầu cấp ủy, chính quyền với Nhân dân",
            "2. Direct dialogues of the heads with citizens",
        ),
    });
    let mut t = trend("Doi thoai");
    t.count(
        "Số cuộc đối thoại trực tiếp",
        "Dialogues held",
        d.held,
        dp.map(|x| x.held),
    );
    t.count(
        "Trong đó: do người đứng đầu chủ trì",
        "of which chaired by a head",
        d.chaired_by_head,
        dp.map(|x| x.chaired_by_head),
    );
    t.count(
        "Số ngày tiếp công dân của lãnh đạo",
        "Leaders' citizen-reception days",
        d.reception_days,
        dp.map(|x| x.reception_days),
    );
    t.count(
        "Số lượt người tham gia",
        "Participants",
        d.participants,
        dp.map(|x| x.participants),
    );
    t.count(
        "Số ý kiến, kiến nghị được nêu",
        "Issues raised",
        d.issues,
        dp.map(|x| x.issues),
    );
    t.count(
        "Trả lời trực tiếp tại buổi đối thoại",
        "Answered on the spot",
        d.answered_on_the_spot,
        dp.map(|x| x.answered_on_the_spot),
    );
    t.count(
        "Số cam kết giải quyết",
        "Commitments made",
        d.commitments,
        dp.map(|x| x.commitments),
    );
    t.count(
        "Cam kết thực hiện đúng hạn",
        "Commitments kept on time",
        d.kept_on_time,
        dp.map(|x| x.kept_on_time),
    );
    t.count(
        "Cam kết thực hiện chậm",
        "Commitments kept late",
        d.kept_late,
        dp.map(|x| x.kept_late),
    );
    t.count(
        "Cam kết quá hạn chưa thực hiện",
        "Commitments overdue",
        d.commitments_overdue,
        dp.map(|x| x.commitments_overdue),
    );
    t.count(
        "Số xã có đối thoại do người đứng đầu chủ trì",
        "Communes holding a dialogue chaired by a head",
        d.communes_holding,
        dp.map(|x| x.communes_holding),
    );
    let expected_each = c.rows.first().map_or(0, |row| row.dialogues_expected);
    blocks.push(MassBlock::Table {
        table: t.table(
            tr(
                lang,
                "Bảng 5. Đối thoại trực tiếp, tiếp công dân",
                "Table 5. Dialogues and citizen reception",
            ),
            Some(match lang {
                Lang::Vi => format!(
                    "Theo quy định, mỗi xã tổ chức ít nhất {expected_each} cuộc đối thoại do \
                     người đứng đầu chủ trì trong kỳ; {} trên {} xã đã tổ chức đủ.",
                    c.expected.saturating_sub(c.dialogues_missing),
                    c.expected
                ),
                Lang::En => format!(
                    "Each commune is expected to hold at least {expected_each} dialogue(s) chaired \
                     by a head in the period; {} of {} communes did.",
                    c.expected.saturating_sub(c.dialogues_missing),
                    c.expected
                ),
            }),
        ),
    });

    // 3. Mediation.
    let m = &cur.mediation;
    let mp = prev.map(|i| &i.mediation);
    blocks.push(MassBlock::Subheading {
        text: tr(lang, "3. Hòa giải ở cơ sở", "3. Grassroots mediation"),
    });
    let mut t = trend("Hoa giai");
    t.count(
        "Vụ, việc mới tiếp nhận",
        "Received",
        m.received,
        mp.map(|x| x.received),
    );
    t.count(
        "Kỳ trước chuyển sang",
        "Carried over",
        m.carried_over,
        mp.map(|x| x.carried_over),
    );
    t.count("Tổng số vụ, việc", "Total", m.total, mp.map(|x| x.total));
    t.count(
        "Hòa giải thành",
        "Successful",
        m.successful,
        mp.map(|x| x.successful),
    );
    t.count(
        "Hòa giải không thành",
        "Unsuccessful",
        m.unsuccessful,
        mp.map(|x| x.unsuccessful),
    );
    t.count("Dừng hòa giải", "Stopped", m.stopped, mp.map(|x| x.stopped));
    t.count(
        "Chuyển cơ quan có thẩm quyền",
        "Referred",
        m.referred,
        mp.map(|x| x.referred),
    );
    t.count(
        "Đang hòa giải",
        "In progress",
        m.in_progress,
        mp.map(|x| x.in_progress),
    );
    t.rate(
        "Tỷ lệ hòa giải thành",
        "Success rate",
        m.success_rate,
        mp.map(|x| x.success_rate),
    );
    blocks.push(MassBlock::Table {
        table: t.table(
            tr(
                lang,
                "Bảng 6. Kết quả hòa giải ở cơ sở",
                "Table 6. Grassroots mediation",
            ),
            Some(tr(
                lang,
                "Tỷ lệ hòa giải thành = hòa giải thành / (thành + không thành).",
                "Success rate = successful / (successful + unsuccessful).",
            )),
        ),
    });

    // 4. People's inspection.
    let i = &cur.inspection;
    let ip = prev.map(|x| &x.inspection);
    blocks.push(MassBlock::Subheading {
        text: tr(lang, "4. Thanh tra nhân dân", "4. People's inspection"),
    });
    let mut t = trend("Thanh tra ND");
    t.count(
        "Số cuộc giám sát, kiểm tra",
        "Activities",
        i.activities,
        ip.map(|x| x.activities),
    );
    t.count(
        "Kiến nghị đã gửi",
        "Recommendations sent",
        i.recommendations,
        ip.map(|x| x.recommendations),
    );
    t.count(
        "Kiến nghị đã được trả lời",
        "Answers received",
        i.answered,
        ip.map(|x| x.answered),
    );
    t.count(
        "Trong đó: trả lời đúng hạn",
        "of which on time",
        i.answered_on_time,
        ip.map(|x| x.answered_on_time),
    );
    t.rate(
        "Tỷ lệ trả lời đúng hạn",
        "Share answered on time",
        i.answered_on_time_rate,
        ip.map(|x| x.answered_on_time_rate),
    );
    t.count(
        "Kiến nghị quá hạn chưa trả lời",
        "Overdue, unanswered",
        i.overdue,
        ip.map(|x| x.overdue),
    );
    t.amount(
        "Tiền đã thu hồi (đồng)",
        "Money recovered (VND)",
        i.money_recovered_vnd,
        ip.map(|x| x.money_recovered_vnd),
    );
    t.amount(
        "Đất đã thu hồi (m²)",
        "Land recovered (m²)",
        i.land_recovered_m2,
        ip.map(|x| x.land_recovered_m2),
    );
    blocks.push(MassBlock::Table {
        table: t.table(
            tr(
                lang,
                "Bảng 7. Hoạt động của Ban Thanh tra nhân dân",
                "Table 7. People's inspection boards",
            ),
            None,
        ),
    });

    // 5. Democracy.
    let dm = &cur.democracy;
    let dmp = prev.map(|x| &x.democracy);
    blocks.push(MassBlock::Subheading {
        text: tr(
            lang,
            "5. Thực hiện dân chủ ở cơ sở",
            "5. Grassroots democracy",
        ),
    });
    let mut t = trend("Dan chu");
    t.count(
        "Số cuộc kiểm tra",
        "Checks",
        dm.checks,
        dmp.map(|x| x.checks),
    );
    t.count(
        "Số xã được kiểm tra",
        "Communes checked",
        dm.communes_checked,
        dmp.map(|x| x.communes_checked),
    );
    t.count(
        "Nội dung đạt",
        "Items met",
        dm.items_met,
        dmp.map(|x| x.items_met),
    );
    t.count(
        "Nội dung đạt một phần",
        "Items partly met",
        dm.items_partly_met,
        dmp.map(|x| x.items_partly_met),
    );
    t.count(
        "Nội dung chưa đạt",
        "Items not met",
        dm.items_not_met,
        dmp.map(|x| x.items_not_met),
    );
    t.rate(
        "Tỷ lệ nội dung đạt",
        "Share of items met",
        dm.share_met,
        dmp.map(|x| x.share_met),
    );
    t.count(
        "Nội dung phải khắc phục còn mở",
        "Remediation items open",
        dm.remediation_open,
        dmp.map(|x| x.remediation_open),
    );
    blocks.push(MassBlock::Table {
        table: t.table(
            tr(
                lang,
                "Bảng 8. Kiểm tra thực hiện dân chủ ở cơ sở",
                "Table 8. Grassroots-democracy checks",
            ),
            None,
        ),
    });

    // 6. Dân vận khéo.
    blocks.push(MassBlock::Subheading {
        text: tr(
            lang,
            "6. Phong trào thi đua \"Dân vận khéo\"",
            "6. The \"Dân vận khéo\" emulation movement",
        ),
    });
    // No trend when the unit did not exist in the previous period (as for the other figures).
    let (v, vp) = (&f.dvk, prev.map(|_| &f.dvk_previous));
    let mut t = trend("Dan van kheo");
    for field in DvkField::all() {
        t.row(
            match lang {
                Lang::Vi => format!("Mô hình đang duy trì: {}", field.label().get(lang)),
                Lang::En => format!("Models in force: {}", field.label().get(lang)),
            },
            Cell::count(v.in_force_of(*field)),
            vp.map(|vp| Cell::count(vp.in_force_of(*field))),
        );
    }
    t.count(
        "Tổng số mô hình đang duy trì",
        "Models in force",
        v.in_force,
        vp.map(|vp| vp.in_force),
    );
    t.count(
        "Mô hình mới được công nhận trong kỳ",
        "Recognised in the period",
        v.new_in_period,
        vp.map(|vp| vp.new_in_period),
    );
    t.count(
        "Mô hình được khen thưởng trong kỳ",
        "Commended in the period",
        v.commended_in_period,
        vp.map(|vp| vp.commended_in_period),
    );
    t.count(
        "Mô hình thôi duy trì trong kỳ",
        "Ended in the period",
        v.ended_in_period,
        vp.map(|vp| vp.ended_in_period),
    );
    blocks.push(MassBlock::Table {
        table: t.table(
            tr(
                lang,
                "Bảng 9. Mô hình \"Dân vận khéo\"",
                "Table 9. \"Dân vận khéo\" models",
            ),
            Some(tr(
                lang,
                "Số mô hình đang duy trì tính đến ngày chốt số liệu của mỗi kỳ.",
                "Models in force on each period's cut-off.",
            )),
        ),
    });
    blocks.push(MassBlock::Paragraph {
        text: as_of_line.clone(),
    });
    sections.push(MassSection {
        heading: heading("KẾT QUẢ THỰC HIỆN", "RESULTS"),
        blocks,
    });

    // III. Ranking (the city's report only).
    if city {
        sections.push(MassSection {
            heading: heading("XẾP HẠNG CÁC XÃ, PHƯỜNG, ĐẶC KHU", "RANKING OF COMMUNES"),
            blocks: vec![
                MassBlock::Paragraph {
                    text: tr(
                        lang,
                        "Xếp hạng từ cao xuống thấp; các đơn vị bằng nhau cùng hạng; đơn vị chưa \
                         có số liệu để tính tỷ lệ không xếp hạng.",
                        "Highest first; equal values share a rank; communes without the \
                         figures a rate needs are not ranked.",
                    ),
                },
                MassBlock::Table {
                    table: ranking(lang, &f.rankings),
                },
            ],
        });
    }

    // IV. Completeness.
    let missing = c
        .rows
        .iter()
        .filter(|row| row.status == SubmissionStatus::Missing)
        .count() as u64;
    let open = c
        .rows
        .iter()
        .filter(|row| row.status == SubmissionStatus::Open)
        .count() as u64;
    let rows = vec![
        (
            tr(lang, "Số xã phải báo cáo", "Communes expected to report"),
            c.expected,
        ),
        (
            tr(lang, "Số xã có số liệu trong kỳ", "Communes with records"),
            c.with_records,
        ),
        (
            tr(lang, "Số xã đã chốt số liệu đúng hạn", "Locked on time"),
            c.on_time,
        ),
        (tr(lang, "Số xã chốt số liệu chậm", "Locked late"), c.late),
        (
            tr(
                lang,
                "Số xã chưa chốt số liệu, đã quá hạn",
                "Not locked, deadline passed",
            ),
            missing,
        ),
        (
            tr(
                lang,
                "Số xã chưa chốt số liệu, chưa đến hạn",
                "Not locked, deadline not passed",
            ),
            open,
        ),
        (
            tr(
                lang,
                "Số xã chưa tổ chức đủ đối thoại trực tiếp",
                "Communes short of direct dialogues",
            ),
            c.dialogues_missing,
        ),
        (
            tr(
                lang,
                "Số xã chưa ghi nhận đủ buổi tiếp công dân của người đứng đầu",
                "Communes short of leaders' reception days",
            ),
            c.reception_days_missing,
        ),
    ];
    let completeness_table = MassTable {
        sheet: "Day du so lieu".into(),
        caption: tr(
            lang,
            "Bảng 11. Mức độ đầy đủ, kịp thời của số liệu",
            "Table 11. Completeness and timeliness of the figures",
        ),
        header: vec![
            tr(lang, "STT", "No."),
            tr(lang, "Chỉ tiêu", "Indicator"),
            tr(lang, "Số xã", "Communes"),
        ],
        rows: rows
            .into_iter()
            .enumerate()
            .map(|(n, (label, v))| {
                vec![
                    Cell::text((n + 1).to_string()),
                    Cell::text(label),
                    Cell::count(v),
                ]
            })
            .collect(),
        total: None,
        note: Some(match lang {
            Lang::Vi => format!(
                "Hạn nộp báo cáo: {}. Số xã đã chốt đúng hạn + chậm + chưa chốt = số xã phải báo \
                 cáo.",
                r.period.deadline.format("%d/%m/%Y")
            ),
            Lang::En => format!(
                "Deadline: {}. On time + late + not locked = expected.",
                r.period.deadline.format("%d/%m/%Y")
            ),
        }),
    };
    sections.push(MassSection {
        heading: heading("MỨC ĐỘ ĐẦY ĐỦ SỐ LIỆU", "COMPLETENESS OF THE FIGURES"),
        blocks: vec![MassBlock::Table {
            table: completeness_table,
        }],
    });

    // V. Directions.
    let mut tasks = vec![tr(
        lang,
        "Tiếp tục quán triệt, thực hiện nghiêm Kết luận số 114-KL/TW của Ban Bí thư; nâng cao \
         trách nhiệm của người đứng đầu cấp ủy, chính quyền trong tiếp công dân, đối thoại trực \
         tiếp với Nhân dân.",
        "Keep carrying out Conclusion 114-KL/TW; heads of Party committees and governments \
         receive citizens and hold direct dialogues in person.",
    )];
    if p.overdue > 0 {
        tasks.push(match lang {
            Lang::Vi => format!(
                "Tập trung giải quyết dứt điểm {} đơn đã quá hạn giải quyết; không để phát sinh \
                 khiếu kiện đông người, vượt cấp.",
                thousands(p.overdue)
            ),
            Lang::En => format!(
                "Settle the {} overdue petitions; prevent group and over-level petitions.",
                p.overdue
            ),
        });
    } else {
        tasks.push(tr(
            lang,
            "Giải quyết kịp thời, đúng hạn khiếu nại, tố cáo, kiến nghị, phản ánh của Nhân dân \
             ngay từ cơ sở.",
            "Resolve complaints, denunciations and recommendations on time, at the grassroots.",
        ));
    }
    if d.commitments_overdue > 0 {
        tasks.push(match lang {
            Lang::Vi => format!(
                "Đôn đốc thực hiện {} cam kết tại các buổi đối thoại đã quá hạn.",
                thousands(d.commitments_overdue)
            ),
            Lang::En => format!(
                "Follow up the {} overdue dialogue commitments.",
                d.commitments_overdue
            ),
        });
    }
    if c.dialogues_missing > 0 {
        tasks.push(match lang {
            Lang::Vi => format!(
                "Chỉ đạo {} xã chưa tổ chức đủ đối thoại trực tiếp hoàn thành trong kỳ tới.",
                c.dialogues_missing
            ),
            Lang::En => format!(
                "{} communes short of direct dialogues to hold them next period.",
                c.dialogues_missing
            ),
        });
    }
    tasks.push(tr(
        lang,
        "Nâng cao chất lượng hòa giải ở cơ sở, hoạt động của Ban Thanh tra nhân dân; thực hiện \
         tốt dân chủ ở cơ sở; phát hiện, nhân rộng các mô hình \"Dân vận khéo\".",
        "Improve grassroots mediation and people's inspection; practise grassroots democracy; \
         spread \"Dân vận khéo\" models.",
    ));
    let default_directions = tasks
        .iter()
        .enumerate()
        .map(|(n, t)| format!("{}. {t}", n + 1))
        .collect::<Vec<_>>()
        .join("\n");
    sections.push(MassSection {
        heading: heading(
            "PHƯƠNG HƯỚNG, NHIỆM VỤ TRONG THỜI GIAN TỚI",
            "DIRECTIONS AND TASKS",
        ),
        blocks: vec![MassBlock::Narrative {
            key: NarrativeKey::Directions,
            text: narrative(&edits.directions, default_directions),
        }],
    });

    number_tables(&mut sections, lang);
    let name_upper = upper(bare_name(&r.unit.name));
    let (issuer_parent, issuer, number, recipients, signature) = if city {
        (
            format!("ĐẢNG BỘ {}", upper(&r.unit.name)),
            "BAN TUYÊN GIÁO VÀ DÂN VẬN THÀNH ỦY".to_string(),
            "Số     -BC/BTGDVTU".to_string(),
            vec![
                "Ban Thường vụ Thành ủy (để báo cáo),".to_string(),
                "Các đồng chí Thành ủy viên,".to_string(),
                "Lưu Văn phòng Thành ủy.".to_string(),
            ],
            Signer {
                on_behalf: "K/T TRƯỞNG BAN".into(),
                title: "PHÓ TRƯỞNG BAN".into(),
                name: String::new(),
            },
        )
    } else {
        let kind = upper(
            r.unit
                .name
                .strip_suffix(bare_name(&r.unit.name))
                .unwrap_or("")
                .trim(),
        );
        let kind = if kind.is_empty() { "XÃ".into() } else { kind };
        (
            format!("ĐẢNG BỘ {}", upper(&city_name(tree, &r.unit, r.as_of))),
            format!("ĐẢNG ỦY {kind} {name_upper}"),
            "Số     -BC/ĐU".to_string(),
            vec![
                "Ban Thường vụ Thành ủy (để báo cáo),".to_string(),
                "Ban Tuyên giáo và Dân vận Thành ủy,".to_string(),
                "Lưu Văn phòng Đảng ủy.".to_string(),
            ],
            Signer {
                on_behalf: "T/M BAN THƯỜNG VỤ".into(),
                title: "BÍ THƯ".into(),
                name: String::new(),
            },
        )
    };
    let signature = Signer {
        name: edits
            .signer
            .as_deref()
            .map(str::trim)
            .unwrap_or("")
            .to_string(),
        ..signature
    };
    let place = if city {
        bare_name(&r.unit.name).to_string()
    } else {
        bare_name(&city_name(tree, &r.unit, r.as_of)).to_string()
    };
    MassReport {
        unit: r.unit.clone(),
        city,
        period: r.period.clone(),
        period_label,
        previous: prev.map(|_| f.previous_period.clone()),
        as_of: r.as_of,
        issuer_parent,
        issuer,
        number,
        place,
        date,
        title: "BÁO CÁO".into(),
        subject: format!(
            "Kết quả thực hiện Kết luận số 114-KL/TW của Ban Bí thư về công tác dân vận của cơ \
             quan nhà nước, {}",
            lower_first(&r.period.label(Lang::Vi))
        ),
        sections,
        recipients,
        signature,
    }
}

/// Number the tables' captions in order ("Bảng 1.", "Bảng 2.", …): the ranking is absent
/// from a commune's report.
fn number_tables(sections: &mut [MassSection], lang: Lang) {
    let word = tr(lang, "Bảng", "Table");
    let mut n = 0;
    for b in sections.iter_mut().flat_map(|s| s.blocks.iter_mut()) {
        if let MassBlock::Table { table } = b {
            n += 1;
            let rest = table
                .caption
                .split_once(". ")
                .map_or(table.caption.as_str(), |(_, r)| r)
                .to_string();
            table.caption = format!("{word} {n}. {rest}");
        }
    }
}

/// The count of `code` in `list`, or `None` when it is withheld (ADR 0012).
fn count_of(list: &[crate::aggregate::CodeCount], code: &str) -> Option<u64> {
    match list.iter().find(|c| c.code == code) {
        Some(c) if c.suppressed => None,
        Some(c) => Some(c.count),
        None => Some(0),
    }
}

/// A table of counts by code (every known code, then codes the figures hold that are not
/// known), with a total row: `totals`, the figures the codes add up to (this period's and the
/// previous one's), which is the sum of the rows unless cells are withheld above the commune
/// (shown "<k", ADR 0012; `small` is k).
#[allow(clippy::too_many_arguments)]
fn by_code_table(
    lang: Lang,
    sheet: &str,
    caption: String,
    first: String,
    known: Vec<(&'static str, String)>,
    (cur, prev): (
        &[crate::aggregate::CodeCount],
        Option<&[crate::aggregate::CodeCount]>,
    ),
    (tc, tpo): (u64, Option<u64>),
    (cur_label, prev_label): (&str, Option<&str>),
    small: Option<u64>,
) -> MassTable {
    let mut codes: Vec<(String, String)> =
        known.into_iter().map(|(c, l)| (c.to_string(), l)).collect();
    for c in cur.iter().chain(prev.unwrap_or(&[])) {
        if !codes.iter().any(|(k, _)| *k == c.code) {
            codes.push((c.code.clone(), c.code.clone()));
        }
    }
    let change = |c: Option<u64>, p: Option<Option<u64>>| match (c, p) {
        (Some(c), Some(Some(p))) => Cell::change(c as f64 - p as f64, false),
        _ => Cell::text("-"),
    };
    let withheld = || Cell::text(format!("<{}", small.unwrap_or(0)));
    let shown = |n: Option<u64>| n.map_or_else(withheld, Cell::count);
    let mut rows = Vec::new();
    for (n, (code, label)) in codes.iter().enumerate() {
        let c = count_of(cur, code);
        let p = prev.map(|p| count_of(p, code));
        rows.push(vec![
            Cell::text((n + 1).to_string()),
            Cell::text(label.clone()),
            shown(c),
            p.map_or_else(|| Cell::text("-"), shown),
            change(c, p),
        ]);
    }
    let any_withheld = cur.iter().chain(prev.unwrap_or(&[])).any(|c| c.suppressed);
    MassTable {
        sheet: sheet.to_string(),
        caption,
        header: vec![
            tr(lang, "STT", "No."),
            first,
            cur_label.to_string(),
            prev_label.map_or_else(|| tr(lang, "Kỳ trước", "Previous period"), str::to_string),
            tr(lang, "Tăng (+), giảm (-)", "Change (+/-)"),
        ],
        rows,
        total: Some(vec![
            Cell::text(""),
            Cell::text(tr(lang, "Tổng cộng", "Total")),
            Cell::count(tc),
            tpo.map_or_else(|| Cell::text("-"), Cell::count),
            change(Some(tc), tpo.map(Some)),
        ]),
        note: any_withheld.then(|| small_cells_note(lang, small.unwrap_or(0))),
    }
}

/// The note under a table with withheld cells (ADR 0012).
pub fn small_cells_note(lang: Lang, k: u64) -> String {
    match lang {
        Lang::Vi => format!(
            "Ô ghi \"<{k}\": số liệu của một xã, phường dưới {k} vụ việc (hoặc ô có thể suy ra \
             ô đó) không công bố ở cấp trên xã để bảo vệ thông tin cá nhân; dòng tổng cộng là \
             số liệu đầy đủ."
        ),
        Lang::En => format!(
            "Cells marked \"<{k}\": a commune's figure below {k} cases (or a cell it could be \
             worked out from) is withheld above the commune to protect personal data; the total \
             row holds the full figures."
        ),
    }
}

/// Petitions by unit: one row per child unit with petitions, the records entered under the unit
/// itself, the "not allocated" lines counted in the totals, and the total (the report's totals,
/// the sum of the rows). Every row balances.
fn petitions_by_unit(r: &Report, lang: Lang, city: bool) -> MassTable {
    let mut lines: Vec<(String, &Indicators)> = r
        .children
        .iter()
        .map(|row| (row.unit.name.clone(), &row.indicators))
        .collect();
    if let Some(d) = &r.direct {
        lines.push((
            match lang {
                Lang::Vi => format!("Trực tiếp tại {}", r.unit.name),
                Lang::En => format!("Directly under {}", r.unit.name),
            },
            d,
        ));
    }
    for u in r.unallocated.iter().filter(|u| u.in_totals) {
        lines.push((u.label(lang), &u.indicators));
    }
    let cells = |p: &crate::aggregate::PetitionIndicators| {
        vec![
            Cell::count(p.received),
            Cell::count(p.carried_over),
            Cell::count(p.total),
            Cell::count(p.resolved),
            Cell::count(p.forwarded),
            Cell::count(p.not_accepted),
            Cell::count(p.withdrawn),
            Cell::count(p.in_progress),
            Cell::count(p.overdue),
        ]
    };
    let shown: Vec<_> = lines
        .into_iter()
        .filter(|(_, i)| i.petitions.total > 0)
        .collect();
    let rows = shown
        .iter()
        .enumerate()
        .map(|(n, (name, i))| {
            let mut row = vec![Cell::text((n + 1).to_string()), Cell::text(name.clone())];
            row.extend(cells(&i.petitions));
            row
        })
        .collect();
    let mut total = vec![Cell::text(""), Cell::text(tr(lang, "Tổng cộng", "Total"))];
    total.extend(cells(&r.totals.petitions));
    let unit_word = if city {
        tr(lang, "Xã, phường", "Commune")
    } else {
        tr(lang, "Thôn, tổ dân phố", "Village")
    };
    MassTable {
        sheet: "Don thu theo don vi".into(),
        caption: tr(
            lang,
            "Bảng 4. Đơn thư theo đơn vị",
            "Table 4. Petitions by unit",
        ),
        header: vec![
            tr(lang, "STT", "No."),
            unit_word,
            tr(lang, "Mới tiếp nhận", "Received"),
            tr(lang, "Kỳ trước chuyển sang", "Carried over"),
            tr(lang, "Tổng số", "Total"),
            tr(lang, "Đã giải quyết", "Resolved"),
            tr(lang, "Chuyển cơ quan có thẩm quyền", "Forwarded"),
            tr(lang, "Không thụ lý", "Not accepted"),
            tr(lang, "Rút đơn", "Withdrawn"),
            tr(lang, "Đang giải quyết", "In progress"),
            tr(lang, "Trong đó quá hạn", "of which overdue"),
        ],
        rows,
        total: Some(total),
        note: Some(tr(
            lang,
            "Chỉ liệt kê đơn vị có đơn thư trong kỳ.",
            "Only units with petitions in the period are listed.",
        )),
    }
}

fn rank_label(lang: Lang, ind: RankIndicator) -> String {
    match ind {
        RankIndicator::PetitionsResolvedOnTimeRate => tr(
            lang,
            "Tỷ lệ giải quyết đơn đúng hạn",
            "Petitions resolved on time",
        ),
        RankIndicator::MediationSuccessRate => {
            tr(lang, "Tỷ lệ hòa giải thành", "Mediation success rate")
        }
        RankIndicator::InspectionAnsweredOnTimeRate => tr(
            lang,
            "Tỷ lệ kiến nghị thanh tra nhân dân được trả lời đúng hạn",
            "Inspection recommendations answered on time",
        ),
        other => format!("{other:?}"),
    }
}

/// The ranking table: for each ranked indicator the communes with a value, highest first
/// (equal values share a rank, "1, 2, 2, 4"); communes without a value are counted in a note.
fn ranking(lang: Lang, rankings: &[(RankIndicator, Vec<RankRow>)]) -> MassTable {
    let mut rows = Vec::new();
    let mut unranked = Vec::new();
    for (ind, list) in rankings {
        let label = rank_label(lang, *ind);
        let mut none = 0;
        for r in list {
            match r.value {
                Some(v) => rows.push(vec![
                    Cell::text(label.clone()),
                    Cell::text(r.rank.to_string()),
                    Cell::text(r.unit.name.clone()),
                    Cell::rate(Some(v)),
                ]),
                None => none += 1,
            }
        }
        unranked.push(format!("{label}: {none}"));
    }
    MassTable {
        sheet: "Xep hang".into(),
        caption: tr(
            lang,
            "Bảng 10. Xếp hạng các xã, phường, đặc khu",
            "Table 10. Ranking of communes",
        ),
        header: vec![
            tr(lang, "Chỉ tiêu", "Indicator"),
            tr(lang, "Hạng", "Rank"),
            tr(lang, "Xã, phường", "Commune"),
            tr(lang, "Giá trị", "Value"),
        ],
        rows,
        total: None,
        note: Some(format!(
            "{} {}.",
            tr(
                lang,
                "Số xã chưa có số liệu để tính tỷ lệ, không xếp hạng —",
                "Communes without the figures a rate needs, not ranked —",
            ),
            unranked.join("; ")
        )),
    }
}

impl MassReport {
    /// Every table, in order.
    pub fn tables(&self) -> Vec<&MassTable> {
        self.sections
            .iter()
            .flat_map(|s| &s.blocks)
            .filter_map(|b| match b {
                MassBlock::Table { table } => Some(table),
                _ => None,
            })
            .collect()
    }

    /// The narrative `key`'s text.
    pub fn narrative(&self, key: NarrativeKey) -> Option<&str> {
        self.sections
            .iter()
            .flat_map(|s| &s.blocks)
            .find_map(|b| match b {
                MassBlock::Narrative { key: k, text } if *k == key => Some(text.as_str()),
                _ => None,
            })
    }

    /// The report as a Party document for [`super::write`].
    pub fn party_report(&self) -> PartyReport {
        let texts = |cells: &[Cell]| cells.iter().map(|c| c.text.clone()).collect::<Vec<_>>();
        PartyReport {
            issuer_parent: self.issuer_parent.clone(),
            issuer: self.issuer.clone(),
            number: self.number.clone(),
            place: self.place.clone(),
            date: self.date,
            title: self.title.clone(),
            subject: self.subject.clone(),
            sections: self
                .sections
                .iter()
                .map(|s| Section {
                    heading: s.heading.clone(),
                    blocks: s
                        .blocks
                        .iter()
                        .map(|b| match b {
                            MassBlock::Narrative { text, .. } | MassBlock::Paragraph { text } => {
                                Block::Paragraph(text.clone())
                            }
                            MassBlock::Subheading { text } => Block::Subheading(text.clone()),
                            MassBlock::Table { table } => Block::Table(Table {
                                caption: table.caption.clone(),
                                header: table.header.clone(),
                                rows: table.rows.iter().map(|r| texts(r)).collect(),
                                total: table.total.as_deref().map(texts),
                                note: table.note.clone(),
                            }),
                        })
                        .collect(),
                })
                .collect(),
            recipients: self.recipients.clone(),
            signature: Signature {
                on_behalf: self.signature.on_behalf.clone(),
                title: self.signature.title.clone(),
                name: self.signature.name.clone(),
            },
        }
    }

    /// The tables as a workbook: one sheet per table (named by [`MassTable::sheet`]), the
    /// caption on top, the header, the rows and the total, numbers as numbers.
    ///
    /// # Errors
    /// When the workbook cannot be written.
    pub fn xlsx(&self) -> std::result::Result<Vec<u8>, XlsxError> {
        let mut wb = Workbook::new();
        let bold = Format::new().set_bold();
        let head = Format::new()
            .set_bold()
            .set_text_wrap()
            .set_align(FormatAlign::Center)
            .set_border(FormatBorder::Thin);
        let cell_fmt = |kind: CellKind, total: bool| {
            let f = Format::new().set_border(FormatBorder::Thin);
            let f = if total { f.set_bold() } else { f };
            match kind {
                CellKind::Text => f.set_text_wrap(),
                CellKind::Count | CellKind::Amount => f.set_num_format("#,##0"),
                CellKind::Rate => f.set_num_format("0.0%"),
                CellKind::Change => f.set_num_format("+#,##0.0;-#,##0.0;0"),
            }
        };
        for table in self.tables() {
            let ws = wb.add_worksheet();
            ws.set_name(&table.sheet)?;
            ws.write_string_with_format(0, 0, &table.caption, &bold)?;
            ws.write_string(1, 0, &self.period_label)?;
            let mut row = 3u32;
            for (c, h) in table.header.iter().enumerate() {
                ws.write_string_with_format(row, col(c), h, &head)?;
            }
            let lines = table
                .rows
                .iter()
                .map(|r| (r, false))
                .chain(table.total.iter().map(|r| (r, true)));
            for (cells, total) in lines {
                row += 1;
                for (c, cell) in cells.iter().enumerate() {
                    let fmt = cell_fmt(cell.kind, total);
                    match cell.value {
                        Some(v) => ws.write_number_with_format(row, col(c), v, &fmt)?,
                        None => ws.write_string_with_format(row, col(c), &cell.text, &fmt)?,
                    };
                }
            }
            if let Some(note) = &table.note {
                ws.write_string(row + 2, 0, note)?;
            }
            ws.set_column_width(0, 6)?;
            ws.set_column_width(1, 48)?;
            for c in 2..table.header.len() {
                ws.set_column_width(col(c), 16)?;
            }
        }
        wb.save_to_buffer()
    }
}

fn col(c: usize) -> u16 {
    u16::try_from(c).unwrap_or(u16::MAX)
}

/// The file name of a download: `Bao-cao-dan-van_<unit>_<period>.<ext>` in ASCII, and the
/// Vietnamese name for `filename*`.
pub fn file_names(report: &MassReport, ext: &str) -> (String, String) {
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
    (
        format!(
            "bao-cao-dan-van-{}-{}.{ext}",
            safe(&report.unit.code),
            safe(&report.period.key)
        ),
        format!(
            "Báo cáo dân vận {} {}.{ext}",
            report.unit.name, report.period.key
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_vietnamese() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1204), "1.204");
        assert_eq!(thousands(1234567), "1.234.567");
        assert_eq!(Cell::rate(Some(0.9034)).text, "90,3%");
        assert_eq!(Cell::change(3.0, false).text, "+3");
        assert_eq!(Cell::change(-1200.0, false).text, "-1.200");
        assert_eq!(Cell::change(-12.34, true).text, "-12,3");
        assert_eq!(Cell::rate(None).text, "-");
    }

    #[test]
    fn names() {
        assert_eq!(bare_name("Thành phố Hải Phòng"), "Hải Phòng");
        assert_eq!(bare_name("Phường Hòa Bình"), "Hòa Bình");
        assert_eq!(upper("Phường Hòa Bình"), "PHƯỜNG HÒA BÌNH");
        assert_eq!(lower_first("Quý I/2026"), "quý I/2026");
        assert_eq!(lower_first("6 tháng đầu năm 2026"), "6 tháng đầu năm 2026");
    }
}
