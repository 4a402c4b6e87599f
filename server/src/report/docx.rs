//! A report laid out as a Party document (Hướng dẫn 36-HD/VPTW, 2018), written to a Word file
//! (`.docx`) with `docx-rs`, and read back into plain text for tests and checks.
//!
//! The layout: A4 portrait, margins 20 mm top and bottom, 30 mm left, 15 mm right, Times New
//! Roman; a borderless two-column header (issuing body, `*`, number | "ĐẢNG CỘNG SẢN VIỆT NAM",
//! place and date); the title and subject centred; a body in 14 pt, justified, first line
//! indented 1 cm; tables with borders, a bold header row and numbers aligned right; a borderless
//! two-column footer ("Nơi nhận:" and the recipients | the signature block). Pages after the first
//! carry their number at the top centre.
//!
//! ```
//! use danvan_server::report::{Block, PartyReport, Section, Signature, read_back, write};
//! let report = PartyReport {
//!     issuer_parent: "ĐẢNG BỘ THÀNH PHỐ HẢI PHÒNG".into(),
//!     issuer: "BAN TUYÊN GIÁO VÀ DÂN VẬN THÀNH ỦY".into(),
//!     number: "Số 12-BC/BTGDVTU".into(),
//!     place: "Hải Phòng".into(),
//!     date: chrono::NaiveDate::from_ymd_opt(2026, 1, 5).expect("a real day"),
//!     title: "BÁO CÁO".into(),
//!     subject: "Kết quả thực hiện Kết luận 114-KL/TW".into(),
//!     sections: vec![Section {
//!         heading: "I. KẾT QUẢ".into(),
//!         blocks: vec![Block::Paragraph("Các cấp ủy đã quán triệt Kết luận.".into())],
//!     }],
//!     recipients: vec!["Thường trực Thành ủy,".into(), "Lưu VT.".into()],
//!     signature: Signature {
//!         on_behalf: "K/T TRƯỞNG BAN".into(),
//!         title: "PHÓ TRƯỞNG BAN".into(),
//!         name: "Nguyễn Văn An".into(),
//!     },
//! };
//! let bytes = write(&report)?;
//! assert!(read_back(&bytes)?.paragraphs.contains(&"BÁO CÁO".to_string()));
//! # Ok::<(), danvan_server::report::ReportError>(())
//! ```

use std::io::Cursor;

use chrono::{Datelike, NaiveDate};
use docx_rs as dx;
use serde::{Deserialize, Serialize};

/// Twentieths of a point per millimetre, rounded where used.
const TWIPS_PER_MM: f64 = 1440.0 / 25.4;
/// A4 portrait, in twips.
const PAGE_WIDTH: u32 = 11906;
const PAGE_HEIGHT: u32 = 16838;
const MARGIN_TOP_MM: f64 = 20.0;
const MARGIN_BOTTOM_MM: f64 = 20.0;
const MARGIN_LEFT_MM: f64 = 30.0;
const MARGIN_RIGHT_MM: f64 = 15.0;
/// First-line indent of body paragraphs: 1 cm.
const FIRST_LINE: i32 = 567;
/// Space before a body paragraph: 6 pt.
const PARAGRAPH_GAP: u32 = 120;
/// Line spacing of the body: 1.2 lines (between single and 1.5, as the guidance allows).
const BODY_LINE: i32 = 288;
/// Room left above the signer's name for the signature and seal: about 3 cm.
const SIGNATURE_ROOM: u32 = 1700;
const FONT: &str = "Times New Roman";
const PARTY_NAME: &str = "ĐẢNG CỘNG SẢN VIỆT NAM";
const RECIPIENTS_LABEL: &str = "Nơi nhận:";

/// A report as the Party's document format lays it out: who issues it, its number, place and
/// date, title and subject, the body, who receives it and who signs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartyReport {
    /// The Party committee above the issuer, e.g. "ĐẢNG BỘ THÀNH PHỐ HẢI PHÒNG".
    pub issuer_parent: String,
    /// The issuing body, e.g. "BAN TUYÊN GIÁO VÀ DÂN VẬN THÀNH ỦY".
    pub issuer: String,
    /// The document number, e.g. "Số 12-BC/BTGDVTU".
    pub number: String,
    /// Where it is issued, e.g. "Hải Phòng".
    pub place: String,
    /// The day it is issued.
    pub date: NaiveDate,
    /// The document kind, e.g. "BÁO CÁO".
    pub title: String,
    /// What it reports on, under the title.
    pub subject: String,
    /// The body, in order.
    pub sections: Vec<Section>,
    /// Who receives it, one per line under "Nơi nhận:" (a leading "- " is added if missing).
    pub recipients: Vec<String>,
    /// Who signs it.
    pub signature: Signature,
}

/// One part of the body, under a heading such as "I. KẾT QUẢ THỰC HIỆN".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Section {
    /// The heading, numbered by the caller ("I. ...").
    pub heading: String,
    /// The content, in order.
    pub blocks: Vec<Block>,
}

/// One piece of a section's content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Block {
    /// Narrative text; each non-blank line becomes its own paragraph.
    Paragraph(String),
    /// A heading inside a section ("1. ...", "a) ...").
    Subheading(String),
    /// A table of figures.
    Table(Table),
}

/// A table of figures: a caption above, a header row, rows, an optional total row in bold and an
/// optional note below. Every row has as many cells as the header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    /// The caption above the table; nothing is written when empty.
    pub caption: String,
    /// The column headings.
    pub header: Vec<String>,
    /// The rows of cells.
    pub rows: Vec<Vec<String>>,
    /// The total row, written last in bold.
    pub total: Option<Vec<String>>,
    /// A note under the table, in italics.
    pub note: Option<String>,
}

/// The signature block, bottom right.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signature {
    /// The authority signed under, e.g. "T/M BAN THƯỜNG VỤ" or "K/T TRƯỞNG BAN".
    pub on_behalf: String,
    /// The signer's office, e.g. "PHÓ TRƯỞNG BAN".
    pub title: String,
    /// The signer's name.
    pub name: String,
}

/// The text of a `.docx`, as [`read_back`] finds it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParsedDocx {
    /// The text of every paragraph outside tables, in order.
    pub paragraphs: Vec<String>,
    /// Every table in order (including the header and signature layout tables): its rows, each a
    /// list of cell texts; a cell's paragraphs are joined with `\n`.
    pub tables: Vec<Vec<Vec<String>>>,
}

/// Why a report could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A table has no columns.
    #[error("table {block} of section {section} has no columns")]
    NoColumns {
        /// The section's index, from 0.
        section: usize,
        /// The block's index within the section, from 0.
        block: usize,
    },
    /// A row (or the total row) does not have as many cells as the header.
    #[error(
        "row {row} of table {block} in section {section} has {found} cells, the header {expected}"
    )]
    RaggedRow {
        /// The section's index, from 0.
        section: usize,
        /// The block's index within the section, from 0.
        block: usize,
        /// The row's index, from 0; the total row counts after the last row.
        row: usize,
        /// How many columns the header has.
        expected: usize,
        /// How many cells the row has.
        found: usize,
    },
    /// The document could not be packed into a `.docx`.
    #[error("could not write the .docx: {0}")]
    Write(#[from] dx::DocxError),
    /// The bytes are not a `.docx` this reader understands.
    #[error("could not read the .docx: {0}")]
    Read(#[from] dx::ReaderError),
}

/// Writes `report` as a `.docx` laid out as a Party document; returns the file's bytes.
///
/// # Errors
/// [`ReportError::NoColumns`] or [`ReportError::RaggedRow`] for a malformed table,
/// [`ReportError::Write`] if packing fails.
pub fn write(report: &PartyReport) -> Result<Vec<u8>, ReportError> {
    check_tables(report)?;
    let fonts = dx::RunFonts::new()
        .ascii(FONT)
        .hi_ansi(FONT)
        .cs(FONT)
        .east_asia(FONT);
    let page_number = dx::Header::new().add_paragraph(
        dx::Paragraph::new()
            .align(dx::AlignmentType::Center)
            .add_page_num(dx::PageNum::new()),
    );
    let mut docx = dx::Docx::new()
        .page_size(PAGE_WIDTH, PAGE_HEIGHT)
        .page_margin(
            dx::PageMargin::new()
                .top(twips(MARGIN_TOP_MM))
                .bottom(twips(MARGIN_BOTTOM_MM))
                .left(twips(MARGIN_LEFT_MM))
                .right(twips(MARGIN_RIGHT_MM))
                .header(twips(10.0))
                .footer(twips(10.0)),
        )
        .default_fonts(fonts)
        .default_size(28)
        .default_line_spacing(
            dx::LineSpacing::new()
                .line_rule(dx::LineSpacingType::Auto)
                .line(240)
                .after(0),
        )
        .header(page_number)
        .first_header(dx::Header::new())
        .title_pg()
        .add_table(masthead(report))
        .add_paragraph(
            line(
                &report.title,
                Look::BOLD.size(32),
                dx::AlignmentType::Center,
            )
            .line_spacing(
                dx::LineSpacing::new()
                    .before(360)
                    .line(240)
                    .line_rule(dx::LineSpacingType::Auto),
            ),
        )
        .add_paragraph(line(&report.subject, Look::BOLD, dx::AlignmentType::Center))
        .add_paragraph(line("-----", Look::PLAIN, dx::AlignmentType::Center));
    for section in &report.sections {
        docx = docx.add_paragraph(body(&section.heading, Look::BOLD).keep_next(true));
        for block in &section.blocks {
            docx = match block {
                Block::Paragraph(text) => text
                    .lines()
                    .filter(|l| !l.trim().is_empty())
                    .fold(docx, |d, l| d.add_paragraph(body(l.trim(), Look::PLAIN))),
                Block::Subheading(text) => docx.add_paragraph(
                    body(
                        text,
                        Look {
                            italic: true,
                            ..Look::BOLD
                        },
                    )
                    .keep_next(true),
                ),
                Block::Table(table) => add_table(docx, table),
            };
        }
    }
    let docx = docx.add_table(closing(report));
    let mut out = Cursor::new(Vec::new());
    docx.pack(&mut out).map_err(dx::DocxError::from)?;
    Ok(out.into_inner())
}

/// Reads a `.docx` back into its text: the paragraphs outside tables and every table's cells.
/// Meant for tests and checks of [`write`]'s output; formatting is not reported.
///
/// # Errors
/// [`ReportError::Read`] when the bytes are not a readable `.docx`.
pub fn read_back(bytes: &[u8]) -> Result<ParsedDocx, ReportError> {
    let docx = dx::read_docx(bytes)?;
    let mut parsed = ParsedDocx::default();
    for child in &docx.document.children {
        match child {
            dx::DocumentChild::Paragraph(p) => parsed.paragraphs.push(p.raw_text()),
            dx::DocumentChild::Table(t) => parsed.tables.push(table_text(t)),
            _ => {}
        }
    }
    Ok(parsed)
}

/// "<place>, ngày dd tháng m năm yyyy" as Party documents date themselves: a day below 10 and
/// the months January and February take a leading zero ("ngày 05 tháng 01", "ngày 03 tháng 4").
pub fn dateline(place: &str, date: NaiveDate) -> String {
    let month = match date.month() {
        m @ (1 | 2) => format!("{m:02}"),
        m => m.to_string(),
    };
    format!(
        "{place}, ngày {:02} tháng {month} năm {}",
        date.day(),
        date.year()
    )
}

fn twips(mm: f64) -> i32 {
    // Page measures are a few hundred millimetres: no overflow.
    (mm * TWIPS_PER_MM).round() as i32
}

/// Width of the text between the margins, in twips.
fn text_width() -> usize {
    let w = i64::from(PAGE_WIDTH) - i64::from(twips(MARGIN_LEFT_MM) + twips(MARGIN_RIGHT_MM));
    usize::try_from(w).unwrap_or(0)
}

fn check_tables(report: &PartyReport) -> Result<(), ReportError> {
    for (section, s) in report.sections.iter().enumerate() {
        for (block, b) in s.blocks.iter().enumerate() {
            let Block::Table(t) = b else { continue };
            let expected = t.header.len();
            if expected == 0 {
                return Err(ReportError::NoColumns { section, block });
            }
            let rows = t.rows.iter().chain(t.total.as_ref());
            if let Some((row, r)) = rows.enumerate().find(|(_, r)| r.len() != expected) {
                return Err(ReportError::RaggedRow {
                    section,
                    block,
                    row,
                    expected,
                    found: r.len(),
                });
            }
        }
    }
    Ok(())
}

/// How a run of text looks: size in half-points, and emphasis.
#[derive(Debug, Clone, Copy)]
struct Look {
    size: usize,
    bold: bool,
    italic: bool,
    underline: bool,
}

impl Look {
    const PLAIN: Look = Look {
        size: 28,
        bold: false,
        italic: false,
        underline: false,
    };
    const BOLD: Look = Look {
        bold: true,
        ..Look::PLAIN
    };
    const ITALIC: Look = Look {
        italic: true,
        ..Look::PLAIN
    };

    /// The same look at `half_points` / 2 pt.
    const fn size(self, half_points: usize) -> Look {
        Look {
            size: half_points,
            ..self
        }
    }

    fn run(self, text: &str) -> dx::Run {
        let mut run = dx::Run::new().add_text(clean(text)).size(self.size);
        if self.bold {
            run = run.bold();
        }
        if self.italic {
            run = run.italic();
        }
        if self.underline {
            run = run.underline("single");
        }
        run
    }
}

/// Drops characters XML 1.0 cannot carry (control characters); a tab becomes a space.
fn clean(text: &str) -> String {
    text.chars()
        .filter_map(|c| match c {
            '\t' | '\n' | '\r' => Some(' '),
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect()
}

/// One paragraph of one run.
fn line(text: &str, look: Look, align: dx::AlignmentType) -> dx::Paragraph {
    dx::Paragraph::new().align(align).add_run(look.run(text))
}

/// A body paragraph: justified, first line indented, 6 pt before, 1.2 lines.
fn body(text: &str, look: Look) -> dx::Paragraph {
    line(text, look, dx::AlignmentType::Both)
        .indent(
            None,
            Some(dx::SpecialIndentType::FirstLine(FIRST_LINE)),
            None,
            None,
        )
        .line_spacing(
            dx::LineSpacing::new()
                .before(PARAGRAPH_GAP)
                .line(BODY_LINE)
                .line_rule(dx::LineSpacingType::Auto),
        )
}

/// A borderless table of one row whose cells hold the given paragraphs, side by side.
fn layout_table(columns: Vec<(usize, Vec<dx::Paragraph>)>) -> dx::Table {
    let grid = columns.iter().map(|(w, _)| *w).collect();
    let cells = columns
        .into_iter()
        .map(|(width, paragraphs)| {
            paragraphs.into_iter().fold(
                dx::TableCell::new().width(width, dx::WidthType::Dxa),
                dx::TableCell::add_paragraph,
            )
        })
        .collect();
    dx::Table::new(vec![dx::TableRow::new(cells)])
        .set_grid(grid)
        .width(text_width(), dx::WidthType::Dxa)
        .layout(dx::TableLayoutType::Fixed)
        .clear_all_border()
}

/// The header: issuing body and number on the left, the Party's name and the date on the right.
fn masthead(report: &PartyReport) -> dx::Table {
    let center = || dx::AlignmentType::Center;
    let left_width = text_width() * 9 / 20;
    let left = vec![
        line(&report.issuer_parent, Look::PLAIN, center()),
        line(&report.issuer, Look::BOLD, center()),
        line("*", Look::PLAIN, center()),
        line(&report.number, Look::PLAIN, center()),
    ];
    let right = vec![
        line(
            PARTY_NAME,
            Look {
                underline: true,
                ..Look::BOLD
            }
            .size(30),
            center(),
        ),
        line(
            &dateline(&report.place, report.date),
            Look::ITALIC,
            center(),
        )
        .line_spacing(
            dx::LineSpacing::new()
                .before(240)
                .line(240)
                .line_rule(dx::LineSpacingType::Auto),
        ),
    ];
    layout_table(vec![(left_width, left), (text_width() - left_width, right)])
}

/// The footer: recipients on the left, the signature block on the right.
fn closing(report: &PartyReport) -> dx::Table {
    let half = text_width() / 2;
    let gap = || {
        dx::LineSpacing::new()
            .before(PARAGRAPH_GAP * 2)
            .line(240)
            .line_rule(dx::LineSpacingType::Auto)
    };
    let mut left = vec![
        line(
            RECIPIENTS_LABEL,
            Look {
                italic: true,
                underline: true,
                ..Look::BOLD
            }
            .size(24),
            dx::AlignmentType::Left,
        )
        .line_spacing(gap()),
    ];
    left.extend(report.recipients.iter().map(|r| {
        let r = r.trim_start().trim_start_matches('-').trim_start();
        line(
            &format!("- {r}"),
            Look::PLAIN.size(22),
            dx::AlignmentType::Left,
        )
    }));
    let sig = &report.signature;
    let center = || dx::AlignmentType::Center;
    let right = vec![
        line(&sig.on_behalf, Look::BOLD, center()).line_spacing(gap()),
        line(&sig.title, Look::BOLD, center()),
        line(&sig.name, Look::BOLD, center()).line_spacing(
            dx::LineSpacing::new()
                .before(SIGNATURE_ROOM)
                .line(240)
                .line_rule(dx::LineSpacingType::Auto),
        ),
    ];
    layout_table(vec![(half, left), (text_width() - half, right)])
}

/// Appends a figures table with its caption and note.
fn add_table(mut docx: dx::Docx, table: &Table) -> dx::Docx {
    const SIZE: usize = 24;
    if !table.caption.trim().is_empty() {
        docx = docx.add_paragraph(
            line(
                &table.caption,
                Look::BOLD.size(26),
                dx::AlignmentType::Center,
            )
            .keep_next(true)
            .line_spacing(
                dx::LineSpacing::new()
                    .before(PARAGRAPH_GAP)
                    .after(60)
                    .line(240)
                    .line_rule(dx::LineSpacingType::Auto),
            ),
        );
    }
    let widths = column_widths(table);
    let cell = |text: &str, width: usize, look: Look, align: dx::AlignmentType| {
        dx::TableCell::new()
            .width(width, dx::WidthType::Dxa)
            .vertical_align(dx::VAlignType::Center)
            .add_paragraph(line(text, look, align))
    };
    let data_row = |cells: &[String], look: Look| {
        let cells = cells
            .iter()
            .zip(&widths)
            .map(|(text, &w)| {
                let align = if numeric(text) {
                    dx::AlignmentType::Right
                } else {
                    dx::AlignmentType::Left
                };
                cell(text, w, look, align)
            })
            .collect();
        dx::TableRow::new(cells).cant_split()
    };
    // docx-rs 0.4 cannot mark a row as a header repeated on each page (w:tblHeader); rows are
    // kept whole instead, so a page break never splits one.
    let header = table
        .header
        .iter()
        .zip(&widths)
        .map(|(text, &w)| cell(text, w, Look::BOLD.size(SIZE), dx::AlignmentType::Center))
        .collect();
    let mut rows = vec![dx::TableRow::new(header).cant_split()];
    rows.extend(
        table
            .rows
            .iter()
            .map(|r| data_row(r, Look::PLAIN.size(SIZE))),
    );
    rows.extend(
        table
            .total
            .iter()
            .map(|r| data_row(r, Look::BOLD.size(SIZE))),
    );
    let border = |position| dx::TableBorder::new(position).size(4);
    let borders = [
        dx::TableBorderPosition::Top,
        dx::TableBorderPosition::Left,
        dx::TableBorderPosition::Bottom,
        dx::TableBorderPosition::Right,
        dx::TableBorderPosition::InsideH,
        dx::TableBorderPosition::InsideV,
    ]
    .into_iter()
    .fold(dx::TableBorders::new(), |b, p| b.set(border(p)));
    docx = docx.add_table(
        dx::Table::new(rows)
            .set_grid(widths.clone())
            .width(widths.iter().sum(), dx::WidthType::Dxa)
            .layout(dx::TableLayoutType::Fixed)
            .align(dx::TableAlignmentType::Center)
            .set_borders(borders),
    );
    if let Some(note) = table.note.as_deref().filter(|n| !n.trim().is_empty()) {
        docx = docx.add_paragraph(
            line(note, Look::ITALIC.size(SIZE), dx::AlignmentType::Both)
                .line_spacing(dx::LineSpacing::new().before(60).line(240)),
        );
    }
    docx
}

/// Column widths in twips summing to the text width, in proportion to each column's longest
/// text (a heading counts half, since it wraps), kept between 4 and 30 characters.
fn column_widths(table: &Table) -> Vec<usize> {
    let longest = |i: usize| {
        let heading = table
            .header
            .get(i)
            .map_or(0, |h| h.chars().count().div_ceil(2));
        let cells = table
            .rows
            .iter()
            .chain(table.total.as_ref())
            .filter_map(|r| r.get(i))
            .map(|c| c.chars().count())
            .max()
            .unwrap_or(0);
        heading.max(cells).clamp(4, 30)
    };
    let weights: Vec<usize> = (0..table.header.len()).map(longest).collect();
    let sum: usize = weights.iter().sum::<usize>().max(1);
    let width = text_width();
    let mut widths: Vec<usize> = weights.iter().map(|w| width * w / sum).collect();
    // Rounding leaves a few twips over; give them to the first column.
    if let Some(first) = widths.first_mut() {
        *first += width - weights.iter().map(|w| width * w / sum).sum::<usize>();
    }
    widths
}

/// Whether a cell holds a figure (aligned right): digits with separators, a sign, a percent or
/// a dash for "none".
fn numeric(text: &str) -> bool {
    let t = text.trim();
    let figure = t.chars().any(|c| c.is_ascii_digit())
        && t.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | ',' | '%' | '+' | '-' | ' '));
    figure || t == "-"
}

fn table_text(table: &dx::Table) -> Vec<Vec<String>> {
    table
        .rows
        .iter()
        .map(|dx::TableChild::TableRow(row)| {
            row.cells
                .iter()
                .map(|dx::TableRowChild::TableCell(cell)| cell_text(cell))
                .collect()
        })
        .collect()
}

fn cell_text(cell: &dx::TableCell) -> String {
    let lines: Vec<String> = cell
        .children
        .iter()
        .filter_map(|c| match c {
            dx::TableCellContent::Paragraph(p) => Some(p.raw_text()),
            _ => None,
        })
        .collect();
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_take_a_leading_zero_for_days_below_ten_and_january_february() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("a real day");
        assert_eq!(
            dateline("Hải Phòng", d(2026, 1, 5)),
            "Hải Phòng, ngày 05 tháng 01 năm 2026"
        );
        assert_eq!(
            dateline("Hà Nội", d(2018, 4, 3)),
            "Hà Nội, ngày 03 tháng 4 năm 2018"
        );
        assert_eq!(
            dateline("Hà Nội", d(2026, 2, 28)),
            "Hà Nội, ngày 28 tháng 02 năm 2026"
        );
        assert_eq!(
            dateline("Hà Nội", d(2026, 12, 10)),
            "Hà Nội, ngày 10 tháng 12 năm 2026"
        );
    }

    #[test]
    fn figures_align_right_and_words_do_not() {
        assert!(numeric("1.234"));
        assert!(numeric("85,5%"));
        assert!(numeric("-"));
        assert!(!numeric("Phường Lê Chân"));
        assert!(!numeric("114-KL/TW"));
        assert!(!numeric(""));
    }

    #[test]
    fn column_widths_fill_the_text_width() {
        let t = Table {
            caption: String::new(),
            header: vec!["STT".into(), "Đơn vị".into(), "Số vụ việc".into()],
            rows: vec![vec!["1".into(), "Phường Hồng Bàng".into(), "12".into()]],
            total: None,
            note: None,
        };
        let w = column_widths(&t);
        assert_eq!(w.iter().sum::<usize>(), text_width());
        assert!(
            w[1] > w[0],
            "the unit's name gets more room than its number: {w:?}"
        );
    }

    #[test]
    fn control_characters_are_dropped() {
        assert_eq!(clean("a\u{0}b\tc\u{b}"), "ab c");
    }
}
