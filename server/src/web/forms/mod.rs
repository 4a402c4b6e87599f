//! The Ministry of Justice grassroots-mediation statistical forms (biểu mẫu thống kê hòa giải ở
//! cơ sở) as XLSX workbooks: the cases form ([`cases`]) and the teams and mediators form
//! ([`teams`]). The forms, their columns and the source of every column are described in
//! `docs/forms/moj-grassroots-mediation.md`.
//!
//! This module holds the layout both forms share, top to bottom:
//!
//! - the header block: form number, the circular it was issued by and the receiving dates on the
//!   left; the title, the report kind and the period line "Kỳ báo cáo: … (số liệu tính từ ngày …
//!   đến ngày …)" in the middle; the reporting unit (đơn vị báo cáo), the receiving unit (đơn vị
//!   nhận báo cáo) and the unit of measure on the right;
//! - the column headers (a group row and a label row), the column numbering row ("A", "(1)",
//!   "(2)"…);
//! - one row per line of the report (child units, records entered directly under the unit, "not
//!   allocated" lines counted in the totals), then the total row;
//! - the footnotes (giải thích: the formulas between columns, what each line means);
//! - the signature block: "…, ngày … tháng … năm …", NGƯỜI LẬP BIỂU, THỦ TRƯỞNG ĐƠN VỊ.
//!
//! Derived columns ((1) = (2) + (3), a rate…) are Excel formulas over the row's own cells, and
//! every cell of the total row is `SUM` of the rows above, each written with its computed value
//! (so a reader that does not recalculate sees the right figure) and recalculated by Excel when
//! an officer corrects an input or an estimate. Nothing is protected: the form stays editable.

pub mod cases;
pub mod teams;

use chrono::{Datelike, NaiveDate};
use danvan_core::Lang;
use rust_xlsxwriter::{
    Color, Format, FormatAlign, FormatBorder, Formula, Workbook, Worksheet, XlsxError,
    column_number_to_name,
};

use crate::aggregate::{Period, PeriodKind, UnitRef};

/// A text in Vietnamese and English.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Text {
    /// Vietnamese.
    pub vi: &'static str,
    /// English.
    pub en: &'static str,
}

impl Text {
    /// The text in `lang`.
    pub fn get(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::Vi => self.vi,
            Lang::En => self.en,
        }
    }
}

/// Shorthand for a [`Text`].
pub const fn t(vi: &'static str, en: &'static str) -> Text {
    Text { vi, en }
}

/// How a column's value is obtained.
#[derive(Debug, Clone, PartialEq)]
pub enum Calc {
    /// A figure from danvan (or, for an estimate, a proposal the officer may edit).
    Value,
    /// The sum of the columns with these numbers.
    Sum(Vec<u16>),
    /// Column `.0` minus column `.1`.
    Minus(u16, u16),
    /// Column `.0` ÷ the sum of the columns `.1`, × 100 (empty when the divisor is 0).
    Rate(u16, Vec<u16>),
}

/// One numbered column of a form.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Its number on the form: "(n)".
    pub no: u16,
    /// The header above it shared with its neighbours ("Kết quả hòa giải"), if any.
    pub group: Option<String>,
    /// Its header.
    pub label: String,
    /// How its value is obtained.
    pub calc: Calc,
    /// An estimate (ước tính): shaded, meant to be checked and edited.
    pub estimate: bool,
}

impl Column {
    /// A column holding a figure.
    pub fn value(no: u16, group: Option<&str>, label: impl Into<String>) -> Column {
        Column {
            no,
            group: group.map(String::from),
            label: label.into(),
            calc: Calc::Value,
            estimate: false,
        }
    }

    /// A derived column.
    pub fn calc(no: u16, group: Option<&str>, label: impl Into<String>, calc: Calc) -> Column {
        Column {
            calc,
            ..Column::value(no, group, label)
        }
    }

    /// Mark as an estimate.
    pub fn estimated(mut self) -> Column {
        self.estimate = true;
        self
    }
}

/// One line of a form: its label and the value of every [`Calc::Value`] column, in column order
/// (values given for derived columns are ignored: [`evaluate`] computes them).
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// Unit name (or "Chưa phân bổ …").
    pub label: String,
    /// One value per column.
    pub values: Vec<f64>,
}

/// The text around the table.
#[derive(Debug, Clone, PartialEq)]
pub struct Head {
    /// Worksheet name (ASCII, ≤ 31 characters).
    pub sheet: String,
    /// "Biểu số: 12a/BTP/PBGDPL/HGCS".
    pub form_number: String,
    /// "Ban hành theo Thông tư số 03/2019/TT-BTP ngày 20/3/2019".
    pub issued_by: String,
    /// "Ngày nhận báo cáo: …".
    pub receive_date: String,
    /// The title, upper case.
    pub title: String,
    /// The report kind under the title: "(6 tháng/năm)".
    pub subtitle: String,
    /// "Kỳ báo cáo: … (số liệu tính từ ngày … đến ngày …)".
    pub period_line: String,
    /// "Đơn vị báo cáo: …".
    pub reporting_unit: String,
    /// "Đơn vị nhận báo cáo: …".
    pub receiving_unit: String,
    /// "Đơn vị tính: …".
    pub measure: String,
    /// Header of the first column ("Tên đơn vị").
    pub unit_header: String,
    /// Label of the total row.
    pub total_label: String,
    /// Footnotes, one per line.
    pub notes: Vec<String>,
    /// Language of the fixed texts (signature block).
    pub lang: Lang,
    /// Cells withheld above the commune (ADR 0012), when there are any.
    pub withheld: Option<Withheld>,
}

/// Cells withheld from an officer above the commune (ADR 0012). A line value that is NaN is
/// written as `mark` ("<5"), and so is a derived cell of that line using it; a total-row column
/// with such a cell holds `totals` (the unit's full figure) instead of the sum of the lines,
/// which would leave the withheld cells out.
#[derive(Debug, Clone, PartialEq)]
pub struct Withheld {
    /// What a withheld cell shows: "<5".
    pub mark: String,
    /// The total row's figure of each column (the unit's own totals).
    pub totals: Vec<f64>,
}

/// The columns a derived column is computed from.
fn inputs(calc: &Calc) -> Vec<u16> {
    match calc {
        Calc::Value => Vec::new(),
        Calc::Sum(nos) => nos.clone(),
        Calc::Minus(a, b) => vec![*a, *b],
        Calc::Rate(a, nos) => std::iter::once(*a).chain(nos.iter().copied()).collect(),
    }
}

/// Which cells of a line are withheld: NaN inputs, and derived cells using one.
pub fn withheld_cells(cols: &[Column], values: &[f64]) -> Vec<bool> {
    let nan = |no: u16| {
        cols.iter()
            .position(|c| c.no == no)
            .and_then(|i| values.get(i))
            .is_some_and(|v| v.is_nan())
    };
    cols.iter()
        .enumerate()
        .map(|(i, c)| match &c.calc {
            Calc::Value => values.get(i).is_some_and(|v| v.is_nan()),
            calc => inputs(calc).into_iter().any(nan),
        })
        .collect()
}

/// Where things are on the sheet (0-based rows), for tests and callers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placed {
    /// The group header row.
    pub header_row: u32,
    /// The numbering row ("A", "(1)"…).
    pub numbering_row: u32,
    /// The first data row.
    pub first_row: u32,
    /// The total row.
    pub total_row: u32,
    /// The row of "NGƯỜI LẬP BIỂU" / "THỦ TRƯỞNG ĐƠN VỊ".
    pub signature_row: u32,
}

/// Rows of the header block before the column headers.
const HEADER_ROWS: u32 = 5;

/// The value of every column of a line: inputs as given, derived columns computed from them (a
/// derived column may use other derived columns, before or after it). `None` = undefined (a
/// rate over nothing).
pub fn evaluate(cols: &[Column], values: &[f64]) -> Vec<Option<f64>> {
    let mut out: Vec<Option<f64>> = cols
        .iter()
        .enumerate()
        .map(|(i, c)| match c.calc {
            Calc::Value => Some(values.get(i).copied().unwrap_or(0.0)),
            _ => None,
        })
        .collect();
    let by_no = |out: &Vec<Option<f64>>, no: u16| -> f64 {
        cols.iter()
            .position(|c| c.no == no)
            .and_then(|i| out.get(i).copied().flatten())
            .unwrap_or(0.0)
    };
    // Each pass settles at least one more level of derived columns.
    let derived = cols.iter().filter(|c| c.calc != Calc::Value).count();
    for _ in 0..derived {
        for (i, c) in cols.iter().enumerate() {
            out[i] = match &c.calc {
                Calc::Value => out[i],
                Calc::Sum(nos) => Some(nos.iter().map(|n| by_no(&out, *n)).sum()),
                Calc::Minus(a, b) => Some(by_no(&out, *a) - by_no(&out, *b)),
                Calc::Rate(a, nos) => {
                    let den: f64 = nos.iter().map(|n| by_no(&out, *n)).sum();
                    (den > 0.0).then(|| (by_no(&out, *a) / den * 1000.0).round() / 10.0)
                }
            };
        }
    }
    out
}

/// The values of the total line: the sum of the lines' values for every column, rates recomputed
/// from the summed columns.
pub fn total_values(cols: &[Column], lines: &[Line]) -> Vec<Option<f64>> {
    let evaluated: Vec<Vec<Option<f64>>> =
        lines.iter().map(|l| evaluate(cols, &l.values)).collect();
    let sums: Vec<f64> = (0..cols.len())
        .map(|i| evaluated.iter().filter_map(|v| v[i]).sum())
        .collect();
    let rates = evaluate(cols, &sums);
    cols.iter()
        .enumerate()
        .map(|(i, c)| match c.calc {
            Calc::Rate(..) => rates[i],
            _ => Some(sums[i]),
        })
        .collect()
}

/// A date as the forms write it: 31/10/2026.
pub fn dmy(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// "Kỳ báo cáo: … (số liệu tính từ ngày … đến ngày …)": the period's name and the days its actual
/// figures cover (start to `as_of`, the cut-off or today when earlier).
pub fn period_line(period: &Period, as_of: NaiveDate, lang: Lang) -> String {
    match lang {
        Lang::Vi => format!(
            "Kỳ báo cáo: {} (số liệu tính từ ngày {} đến ngày {})",
            period.label(lang),
            dmy(period.start),
            dmy(as_of)
        ),
        Lang::En => format!(
            "Reporting period: {} (figures from {} to {})",
            period.label(lang),
            dmy(period.start),
            dmy(as_of)
        ),
    }
}

/// The report kind under the title, as the forms name it.
pub fn period_kind_line(period: &Period, lang: Lang) -> String {
    let (vi, en) = match period.kind {
        PeriodKind::Month => ("(Tháng)", "(Month)"),
        PeriodKind::Quarter => ("(Quý)", "(Quarter)"),
        PeriodKind::HalfYear => ("(6 tháng)", "(Six months)"),
        PeriodKind::YearPreliminary => ("(Năm – báo cáo lần 1)", "(Year – first report)"),
        PeriodKind::Year => ("(Năm – báo cáo chính thức)", "(Year – official report)"),
    };
    match lang {
        Lang::Vi => vi.into(),
        Lang::En => en.into(),
    }
}

/// Whether a period's report carries estimates: its actual figures stop before its last day (the
/// six-month report cut off on 31 May, the preliminary year on 31 October).
pub fn has_estimates(period: &Period, as_of: NaiveDate) -> bool {
    as_of < period.end
}

/// The pro-rata factor of a flow: days of the whole period ÷ days with actual figures.
pub fn pro_rata(period: &Period, as_of: NaiveDate) -> (i64, i64) {
    let whole = (period.end - period.start).num_days() + 1;
    let actual = ((as_of - period.start).num_days() + 1).max(1);
    (whole, actual)
}

/// A flow estimated for the whole period from its actual figure: `actual × whole ÷ days`,
/// rounded to the nearest whole case.
pub fn estimate(actual: u64, (whole, days): (i64, i64)) -> f64 {
    (actual as f64 * whole as f64 / days as f64).round()
}

/// Who reports and to whom, by the level of the unit reported on: (reporting, receiving).
/// `parent` is the unit above it as of the cut-off.
pub fn units_line(unit: &UnitRef, parent: Option<&UnitRef>, lang: Lang) -> (String, String) {
    let parent_name = parent.map(|p| p.name.as_str()).unwrap_or("…");
    let (rep, rec) = match (unit.level.as_str(), lang) {
        ("province", Lang::Vi) => (
            format!("Ủy ban nhân dân {} (Sở Tư pháp)", unit.name),
            "Bộ Tư pháp (Vụ Phổ biến, giáo dục pháp luật)".to_string(),
        ),
        ("province", Lang::En) => (
            format!(
                "People's Committee of {} (Department of Justice)",
                unit.name
            ),
            "Ministry of Justice (Department of Legal Dissemination and Education)".to_string(),
        ),
        ("district", Lang::Vi) => (
            format!("Ủy ban nhân dân {} (Phòng Tư pháp)", unit.name),
            format!("Sở Tư pháp {parent_name}"),
        ),
        ("district", Lang::En) => (
            format!("People's Committee of {} (Justice Office)", unit.name),
            format!("Department of Justice of {parent_name}"),
        ),
        ("commune", Lang::Vi) => (
            format!("Ủy ban nhân dân {}", unit.name),
            receiving_of_commune(parent, lang),
        ),
        ("commune", Lang::En) => (
            format!("People's Committee of {}", unit.name),
            receiving_of_commune(parent, lang),
        ),
        (_, Lang::Vi) => (unit.name.clone(), format!("Ủy ban nhân dân {parent_name}")),
        (_, Lang::En) => (
            unit.name.clone(),
            format!("People's Committee of {parent_name}"),
        ),
    };
    match lang {
        Lang::Vi => (
            format!("Đơn vị báo cáo: {rep}"),
            format!("Đơn vị nhận báo cáo: {rec}"),
        ),
        Lang::En => (
            format!("Reporting unit: {rep}"),
            format!("Receiving unit: {rec}"),
        ),
    }
}

/// A commune reports to the justice office of its district (before 1 July 2025) or to the
/// provincial Department of Justice (after: districts were abolished).
fn receiving_of_commune(parent: Option<&UnitRef>, lang: Lang) -> String {
    match (parent, lang) {
        (Some(p), Lang::Vi) if p.level == "district" => {
            format!("Ủy ban nhân dân {} (Phòng Tư pháp)", p.name)
        }
        (Some(p), Lang::En) if p.level == "district" => {
            format!("People's Committee of {} (Justice Office)", p.name)
        }
        (Some(p), Lang::Vi) => format!("Sở Tư pháp {}", p.name),
        (Some(p), Lang::En) => format!("Department of Justice of {}", p.name),
        (None, Lang::Vi) => "Sở Tư pháp".into(),
        (None, Lang::En) => "Department of Justice".into(),
    }
}

/// "Ngày nhận báo cáo: …": the deadline of this report.
pub fn receive_line(period: &Period, lang: Lang) -> String {
    match lang {
        Lang::Vi => format!("Ngày nhận báo cáo: {}", dmy(period.deadline)),
        Lang::En => format!("Report due: {}", dmy(period.deadline)),
    }
}

/// Texts of the signature block: (place and date, preparer, preparer's note, head, head's note).
fn signature_texts(lang: Lang) -> [&'static str; 5] {
    match lang {
        Lang::Vi => [
            "…, ngày … tháng … năm …",
            "NGƯỜI LẬP BIỂU",
            "(Ký, ghi rõ họ, tên)",
            "THỦ TRƯỞNG ĐƠN VỊ",
            "(Ký, đóng dấu, ghi rõ họ, tên)",
        ],
        Lang::En => [
            "…, date … month … year …",
            "PREPARED BY",
            "(signature, full name)",
            "HEAD OF UNIT",
            "(signature, seal, full name)",
        ],
    }
}

struct Formats {
    left_bold: Format,
    left: Format,
    left_italic: Format,
    title: Format,
    center: Format,
    center_bold: Format,
    center_italic: Format,
    head: Format,
    number_row: Format,
    name: Format,
    count: Format,
    rate: Format,
    estimate: Format,
    total_name: Format,
    total_count: Format,
    total_rate: Format,
    note: Format,
}

impl Formats {
    fn new() -> Formats {
        let border = |f: Format| f.set_border(FormatBorder::Thin);
        let wrap_center = |f: Format| {
            f.set_text_wrap()
                .set_align(FormatAlign::Center)
                .set_align(FormatAlign::VerticalCenter)
        };
        Formats {
            left_bold: Format::new().set_bold().set_text_wrap(),
            left: Format::new().set_text_wrap(),
            left_italic: Format::new().set_italic().set_text_wrap(),
            title: wrap_center(Format::new().set_bold().set_font_size(13)),
            center: wrap_center(Format::new()),
            center_bold: wrap_center(Format::new().set_bold()),
            center_italic: wrap_center(Format::new().set_italic()),
            head: border(wrap_center(Format::new().set_bold())),
            number_row: border(wrap_center(Format::new().set_italic())),
            name: border(Format::new().set_text_wrap()),
            count: border(Format::new().set_num_format("#,##0")),
            rate: border(Format::new().set_num_format("0.0")),
            estimate: border(
                Format::new()
                    .set_num_format("#,##0")
                    .set_background_color(Color::RGB(0xFFF4CC)),
            ),
            total_name: border(Format::new().set_bold()),
            total_count: border(Format::new().set_bold().set_num_format("#,##0")),
            total_rate: border(Format::new().set_bold().set_num_format("0.0")),
            note: Format::new().set_italic().set_text_wrap(),
        }
    }
}

/// A cell's address, e.g. `C8`.
fn cell(row: u32, col: u16) -> String {
    format!("{}{}", column_number_to_name(col), row + 1)
}

/// The Excel formula of a derived column on `row` (columns are numbered from sheet column 1).
fn formula_of(cols: &[Column], calc: &Calc, row: u32) -> Option<String> {
    let at = |no: u16| -> String {
        let i = cols.iter().position(|c| c.no == no).unwrap_or(0);
        cell(row, i as u16 + 1)
    };
    let sum = |nos: &[u16]| nos.iter().map(|n| at(*n)).collect::<Vec<_>>().join("+");
    match calc {
        Calc::Value => None,
        Calc::Sum(nos) => Some(format!("={}", sum(nos))),
        Calc::Minus(a, b) => Some(format!("={}-{}", at(*a), at(*b))),
        Calc::Rate(a, nos) => Some(format!(
            "=IF(({d})=0,\"\",ROUND({n}/({d})*100,1))",
            n = at(*a),
            d = sum(nos)
        )),
    }
}

fn number_text(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

/// Write a form onto a new worksheet of `wb`.
pub fn write_form(
    wb: &mut Workbook,
    head: &Head,
    cols: &[Column],
    lines: &[Line],
) -> Result<Placed, XlsxError> {
    let f = Formats::new();
    let ws: &mut Worksheet = wb.add_worksheet();
    ws.set_name(&head.sheet)?;
    ws.set_landscape();
    ws.set_paper_size(9); // A4
    ws.set_print_fit_to_pages(1, 0);
    let last = cols.len() as u16; // the unit column is 0, numbered columns 1..=last
    // The header block: left (unit column), middle, right (last three columns).
    let right0 = last.saturating_sub(3).max(2);
    let mid = (1u16, right0 - 1);
    let block = |ws: &mut Worksheet,
                 row: u32,
                 (c0, c1): (u16, u16),
                 text: &str,
                 fmt: &Format|
     -> Result<(), XlsxError> {
        if c1 > c0 {
            ws.merge_range(row, c0, row, c1, text, fmt)?;
        } else {
            ws.write_with_format(row, c0, text, fmt)?;
        }
        Ok(())
    };
    block(ws, 0, (0, 0), &head.form_number, &f.left_bold)?;
    block(ws, 1, (0, 0), &head.issued_by, &f.left_italic)?;
    block(ws, 2, (0, 0), &head.receive_date, &f.left_italic)?;
    block(ws, 0, mid, &head.title, &f.title)?;
    block(ws, 1, mid, &head.subtitle, &f.center_bold)?;
    block(ws, 2, mid, &head.period_line, &f.center_italic)?;
    block(ws, 0, (right0, last), &head.reporting_unit, &f.left)?;
    block(ws, 1, (right0, last), &head.receiving_unit, &f.left)?;
    block(ws, 2, (right0, last), &head.measure, &f.left_italic)?;
    for r in 0..3 {
        ws.set_row_height(r, 45)?;
    }

    // Column headers: a group row and a label row.
    let (h1, h2) = (HEADER_ROWS, HEADER_ROWS + 1);
    ws.merge_range(h1, 0, h2, 0, &head.unit_header, &f.head)?;
    let mut i = 0usize;
    while i < cols.len() {
        let c = &cols[i];
        let col = i as u16 + 1;
        match &c.group {
            None => {
                ws.merge_range(h1, col, h2, col, &c.label, &f.head)?;
                i += 1;
            }
            Some(g) => {
                let n = cols[i..]
                    .iter()
                    .take_while(|o| o.group.as_ref() == Some(g))
                    .count();
                let end = col + n as u16 - 1;
                if n > 1 {
                    ws.merge_range(h1, col, h1, end, g, &f.head)?;
                } else {
                    ws.write_with_format(h1, col, g.as_str(), &f.head)?;
                }
                for (k, o) in cols[i..i + n].iter().enumerate() {
                    ws.write_with_format(h2, col + k as u16, o.label.as_str(), &f.head)?;
                }
                i += n;
            }
        }
    }
    ws.set_row_height(h1, 36)?;
    ws.set_row_height(h2, 96)?;
    let nrow = h2 + 1;
    ws.write_with_format(nrow, 0, "A", &f.number_row)?;
    for (i, c) in cols.iter().enumerate() {
        ws.write_with_format(nrow, i as u16 + 1, format!("({})", c.no), &f.number_row)?;
    }
    ws.set_column_width(0, 38)?;
    for i in 1..=last {
        ws.set_column_width(i, 12)?;
    }

    // One row per line, then the total.
    let first = nrow + 1;
    for (k, line) in lines.iter().enumerate() {
        let row = first + k as u32;
        ws.write_with_format(row, 0, line.label.as_str(), &f.name)?;
        let values = evaluate(cols, &line.values);
        let hidden = withheld_cells(cols, &line.values);
        for (i, c) in cols.iter().enumerate() {
            let col = i as u16 + 1;
            let fmt = match (&c.calc, c.estimate) {
                (Calc::Rate(..), _) => &f.rate,
                (Calc::Value, true) => &f.estimate,
                _ => &f.count,
            };
            if hidden[i] {
                let mark = head.withheld.as_ref().map_or("x", |w| w.mark.as_str());
                ws.write_with_format(row, col, mark, &f.count)?;
                continue;
            }
            match formula_of(cols, &c.calc, row) {
                None => {
                    ws.write_with_format(row, col, values[i].unwrap_or(0.0), fmt)?;
                }
                Some(text) => {
                    let result = values[i].map(number_text).unwrap_or_default();
                    ws.write_formula_with_format(
                        row,
                        col,
                        Formula::new(text).set_result(result),
                        fmt,
                    )?;
                }
            }
        }
    }
    let total_row = first + lines.len() as u32;
    ws.write_with_format(total_row, 0, head.total_label.as_str(), &f.total_name)?;
    let totals = total_values(cols, lines);
    let hidden: Vec<Vec<bool>> = lines
        .iter()
        .map(|l| withheld_cells(cols, &l.values))
        .collect();
    for (i, c) in cols.iter().enumerate() {
        let col = i as u16 + 1;
        if let Some(w) = &head.withheld
            && !matches!(c.calc, Calc::Rate(..))
            && hidden.iter().any(|h| h[i])
        {
            // The sum of the lines would leave the withheld cells out: the unit's own total.
            match w.totals.get(i).copied().unwrap_or(0.0) {
                v if v.is_nan() => ws.write_with_format(total_row, col, &w.mark, &f.total_count)?,
                v => ws.write_with_format(total_row, col, v, &f.total_count)?,
            };
            continue;
        }
        let result = totals[i].map(number_text).unwrap_or_default();
        let (text, fmt) = match &c.calc {
            Calc::Rate(..) => (
                formula_of(cols, &c.calc, total_row).unwrap_or_default(),
                &f.total_rate,
            ),
            _ if lines.is_empty() => ("=0".to_string(), &f.total_count),
            _ => (
                format!("=SUM({}:{})", cell(first, col), cell(total_row - 1, col)),
                &f.total_count,
            ),
        };
        ws.write_formula_with_format(total_row, col, Formula::new(text).set_result(result), fmt)?;
    }

    // Footnotes.
    let mut row = total_row + 2;
    let note_end = last.max(1);
    for n in &head.notes {
        ws.merge_range(row, 0, row, note_end, n, &f.note)?;
        let lines_needed = (n.chars().count() / 160 + 1) as f64;
        ws.set_row_height(row, 15.0 * lines_needed)?;
        row += 1;
    }

    // Signature block.
    let [place, prep, prep_note, chief, chief_note] = signature_texts(head.lang);
    let sig_right = (right0.saturating_sub(1).max(1), last.max(2));
    row += 1;
    block(ws, row, sig_right, place, &f.center_italic)?;
    let signature_row = row + 1;
    ws.write_with_format(signature_row, 0, prep, &f.center_bold)?;
    block(ws, signature_row, sig_right, chief, &f.center_bold)?;
    ws.write_with_format(signature_row + 1, 0, prep_note, &f.center_italic)?;
    block(
        ws,
        signature_row + 1,
        sig_right,
        chief_note,
        &f.center_italic,
    )?;
    ws.set_freeze_panes(first, 1)?;
    ws.set_repeat_rows(h1, nrow)?;
    let _ = f.center;
    Ok(Placed {
        header_row: h1,
        numbering_row: nrow,
        first_row: first,
        total_row,
        signature_row,
    })
}

/// What a form needs besides the figures.
#[derive(Debug, Clone)]
pub struct Context {
    /// The unit above the one reported on, as of the cut-off (decides the receiving unit).
    pub parent: Option<UnitRef>,
    /// The day the form is made.
    pub today: NaiveDate,
    /// Language of the labels.
    pub lang: Lang,
}

/// "Biểu số: 12a/BTP/PBGDPL/HGCS": the form `base` (11 teams, 12 cases) in the variant of the
/// reporting level: a = commune, b = district (before 1 July 2025), c = province.
pub fn form_number(base: u8, level: &str, lang: Lang) -> String {
    let variant = match level {
        "province" => 'c',
        "district" => 'b',
        _ => 'a',
    };
    match lang {
        Lang::Vi => format!("Biểu số: {base}{variant}/BTP/PBGDPL/HGCS"),
        Lang::En => format!("Form no. {base}{variant}/BTP/PBGDPL/HGCS"),
    }
}

/// "Ban hành theo Thông tư số 03/2019/TT-BTP ngày 20/3/2019".
pub fn issued_by(lang: Lang) -> String {
    match lang {
        Lang::Vi => "Ban hành theo Thông tư số 03/2019/TT-BTP ngày 20/3/2019".into(),
        Lang::En => "Issued with Circular 03/2019/TT-BTP of 20 March 2019".into(),
    }
}

/// "Lập từ danvan ngày …".
pub fn made_by_line(today: NaiveDate, lang: Lang) -> String {
    match lang {
        Lang::Vi => format!("Lập từ danvan ngày {}.", dmy(today)),
        Lang::En => format!("Made by danvan on {}.", dmy(today)),
    }
}

/// The year of a period, for texts such as "ước tính đến hết ngày 31/12/2026".
pub fn year_of(period: &Period) -> i32 {
    period.start.year()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols() -> Vec<Column> {
        vec![
            Column::calc(1, None, "Tổng số", Calc::Sum(vec![2, 3])),
            Column::value(2, Some("Chia ra"), "Cũ"),
            Column::value(3, Some("Chia ra"), "Mới"),
            Column::calc(4, None, "Khác", Calc::Minus(1, 2)),
            Column::calc(5, None, "Tỷ lệ", Calc::Rate(2, vec![2, 3])),
        ]
    }

    #[test]
    fn derived_columns_and_totals() {
        let c = cols();
        // (1) = 2 + 3 = 5; (4) = 5 − 2 = 3; (5) = 2 ÷ 5 × 100 = 40.0
        assert_eq!(
            evaluate(&c, &[0.0, 2.0, 3.0, 99.0, 0.0]),
            vec![Some(5.0), Some(2.0), Some(3.0), Some(3.0), Some(40.0)]
        );
        // A rate over nothing is undefined.
        assert_eq!(evaluate(&c, &[0.0; 5])[4], None);
        let lines = vec![
            Line {
                label: "a".into(),
                values: vec![0.0, 2.0, 3.0, 0.0, 0.0],
            },
            Line {
                label: "b".into(),
                values: vec![0.0, 1.0, 0.0, 0.0, 0.0],
            },
        ];
        // Totals: (1) 5 + 1 = 6, (2) 3, (3) 3, (4) 3 + 0 = 3, rate 3 ÷ 6 = 50.0.
        assert_eq!(
            total_values(&c, &lines),
            vec![Some(6.0), Some(3.0), Some(3.0), Some(3.0), Some(50.0)]
        );
    }

    #[test]
    fn formulas_refer_to_the_row_cells() {
        let c = cols();
        // Column (n) sits in sheet column n (B = 1); row 8 is Excel row 9.
        assert_eq!(formula_of(&c, &c[0].calc, 8).unwrap(), "=C9+D9");
        assert_eq!(formula_of(&c, &c[3].calc, 8).unwrap(), "=B9-C9");
        assert_eq!(
            formula_of(&c, &c[4].calc, 8).unwrap(),
            "=IF((C9+D9)=0,\"\",ROUND(C9/(C9+D9)*100,1))"
        );
    }

    #[test]
    fn pro_rata_estimates() {
        let p = Period {
            key: "2026-YP".into(),
            kind: PeriodKind::YearPreliminary,
            start: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            end: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
            cutoff: NaiveDate::from_ymd_opt(2026, 10, 31).unwrap(),
            deadline: NaiveDate::from_ymd_opt(2026, 11, 15).unwrap(),
        };
        // 365 days in the year, 304 to 31 October.
        assert_eq!(pro_rata(&p, p.cutoff), (365, 304));
        assert!(has_estimates(&p, p.cutoff));
        // 100 × 365 ÷ 304 = 120.07 → 120; 7 × 365 ÷ 304 = 8.40 → 8.
        assert_eq!(estimate(100, (365, 304)), 120.0);
        assert_eq!(estimate(7, (365, 304)), 8.0);
        assert_eq!(estimate(0, (365, 304)), 0.0);
    }
}
