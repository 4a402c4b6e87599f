//! The cases form: KẾT QUẢ HÒA GIẢI Ở CƠ SỞ (Biểu số 12a/12b/12c/BTP/PBGDPL/HGCS), one row per
//! child unit of the report, the records entered directly under the unit and the "not
//! allocated" lines counted in the totals, then the total. A second sheet splits the report's
//! total by category with the same balance (a danvan appendix, not a Ministry form).
//!
//! Columns (see `docs/forms/moj-grassroots-mediation.md`):
//!
//! | no. | column | danvan |
//! |---|---|---|
//! | (1) | total = (2) + (3) | `total` |
//! | (2) | carried over | `carried_over` |
//! | (3) | newly received | `received` |
//! | (4)–(7) | by category, (1) = (4) + … + (7) | `by_category[].total` |
//! | (8)–(12) | successful, unsuccessful, stopped, referred, in progress; (1) = (8) + … + (12) | same names |
//! | (13) | success rate = (8) ÷ [(8) + (9)] × 100 | formula |
//! | (14) | out of scope, outside (1) | `out_of_scope` |
//! | (15)–(18) | estimates when the actual figures stop before the period's end | pro rata |

use danvan_core::model::mediation::MediationCategory;
use danvan_core::{Coded, Lang};
use rust_xlsxwriter::{Workbook, XlsxError};

use super::{
    Calc, Column, Context, Head, Line, Placed, dmy, estimate, form_number, has_estimates,
    issued_by, made_by_line, period_kind_line, period_line, pro_rata, receive_line, t, units_line,
    write_form,
};
use crate::aggregate::{MediationIndicators, Report};

/// Worksheet of the form.
pub const SHEET: &str = "Bieu 12 HGCS";
/// Worksheet of the by-category appendix.
pub const CATEGORY_SHEET: &str = "Theo loai viec";

/// Column numbers of the form.
pub mod no {
    /// Tổng số = (2) + (3).
    pub const TOTAL: u16 = 1;
    /// Kỳ trước chuyển sang.
    pub const CARRIED: u16 = 2;
    /// Mới tiếp nhận.
    pub const RECEIVED: u16 = 3;
    /// First category column (4); the categories are (4)–(7).
    pub const FIRST_CATEGORY: u16 = 4;
    /// Hòa giải thành.
    pub const SUCCESSFUL: u16 = 8;
    /// Hòa giải không thành.
    pub const UNSUCCESSFUL: u16 = 9;
    /// Dừng hòa giải.
    pub const STOPPED: u16 = 10;
    /// Chuyển cơ quan có thẩm quyền.
    pub const REFERRED: u16 = 11;
    /// Đang giải quyết.
    pub const IN_PROGRESS: u16 = 12;
    /// Tỷ lệ hòa giải thành.
    pub const RATE: u16 = 13;
    /// Không thuộc phạm vi hòa giải.
    pub const OUT_OF_SCOPE: u16 = 14;
    /// Ước tính: tổng số = (2) + (16).
    pub const EST_TOTAL: u16 = 15;
    /// Ước tính: mới tiếp nhận.
    pub const EST_RECEIVED: u16 = 16;
    /// Ước tính: hòa giải thành.
    pub const EST_SUCCESSFUL: u16 = 17;
    /// Ước tính: hòa giải không thành.
    pub const EST_UNSUCCESSFUL: u16 = 18;
}

/// The result columns (8)–(12), whose sum is (1).
pub const RESULT_COLUMNS: [u16; 5] = [
    no::SUCCESSFUL,
    no::UNSUCCESSFUL,
    no::STOPPED,
    no::REFERRED,
    no::IN_PROGRESS,
];

/// The categories in the order of the form, (4)–(7).
pub fn categories() -> &'static [MediationCategory] {
    MediationCategory::all()
}

/// The category columns' numbers.
pub fn category_columns() -> Vec<u16> {
    (0..categories().len() as u16)
        .map(|i| no::FIRST_CATEGORY + i)
        .collect()
}

/// The columns of the form; the estimate columns only when `estimates`.
pub fn columns(lang: Lang, estimates: Option<&str>) -> Vec<Column> {
    let l = |vi: &'static str, en: &'static str| t(vi, en).get(lang);
    let received_group = l("Số vụ, việc hòa giải", "Mediation cases");
    let cat_group = l("Chia theo loại vụ, việc", "By category");
    let res_group = l("Kết quả hòa giải", "Results");
    let mut cols = vec![
        Column::calc(
            no::TOTAL,
            Some(received_group),
            l("Tổng số", "Total"),
            Calc::Sum(vec![no::CARRIED, no::RECEIVED]),
        ),
        Column::value(
            no::CARRIED,
            Some(received_group),
            l("Kỳ trước chuyển sang", "Carried over"),
        ),
        Column::value(
            no::RECEIVED,
            Some(received_group),
            l("Mới tiếp nhận trong kỳ", "Newly received"),
        ),
    ];
    for (i, c) in categories().iter().enumerate() {
        cols.push(Column::value(
            no::FIRST_CATEGORY + i as u16,
            Some(cat_group),
            c.label().get(lang),
        ));
    }
    for (n, vi, en) in [
        (no::SUCCESSFUL, "Hòa giải thành", "Successful"),
        (no::UNSUCCESSFUL, "Hòa giải không thành", "Unsuccessful"),
        (no::STOPPED, "Dừng hòa giải", "Stopped"),
        (
            no::REFERRED,
            "Chuyển cơ quan có thẩm quyền giải quyết",
            "Referred to a competent authority",
        ),
        (
            no::IN_PROGRESS,
            "Đang hòa giải (chưa kết thúc)",
            "In progress",
        ),
    ] {
        cols.push(Column::value(n, Some(res_group), l(vi, en)));
    }
    cols.push(Column::calc(
        no::RATE,
        None,
        l("Tỷ lệ hòa giải thành (%)", "Success rate (%)"),
        Calc::Rate(no::SUCCESSFUL, vec![no::SUCCESSFUL, no::UNSUCCESSFUL]),
    ));
    cols.push(Column::value(
        no::OUT_OF_SCOPE,
        None,
        l(
            "Vụ, việc không thuộc phạm vi hòa giải ở cơ sở (không tính vào cột 1)",
            "Out of scope of grassroots mediation (not in column 1)",
        ),
    ));
    if let Some(group) = estimates {
        cols.push(Column::calc(
            no::EST_TOTAL,
            Some(group),
            l("Tổng số", "Total"),
            Calc::Sum(vec![no::CARRIED, no::EST_RECEIVED]),
        ));
        for (n, vi, en) in [
            (no::EST_RECEIVED, "Mới tiếp nhận", "Newly received"),
            (no::EST_SUCCESSFUL, "Hòa giải thành", "Successful"),
            (no::EST_UNSUCCESSFUL, "Hòa giải không thành", "Unsuccessful"),
        ] {
            cols.push(Column::value(n, Some(group), l(vi, en)).estimated());
        }
    }
    cols
}

/// A category's total, NaN when withheld (ADR 0012).
fn category_total(m: &MediationIndicators, code: &str) -> f64 {
    m.by_category
        .iter()
        .find(|c| c.code == code)
        .map_or(0.0, |c| {
            if c.suppressed {
                f64::NAN
            } else {
                c.total as f64
            }
        })
}

/// The values of one line, in the order of [`columns`].
pub fn values(m: &MediationIndicators, cols: &[Column], factor: (i64, i64)) -> Vec<f64> {
    cols.iter()
        .map(|c| {
            let v = match c.no {
                no::TOTAL => m.total,
                no::CARRIED => m.carried_over,
                no::RECEIVED => m.received,
                n if (no::FIRST_CATEGORY..no::SUCCESSFUL).contains(&n) => {
                    return categories()
                        .get((n - no::FIRST_CATEGORY) as usize)
                        .map_or(0.0, |c| category_total(m, c.code()));
                }
                no::SUCCESSFUL => m.successful,
                no::UNSUCCESSFUL => m.unsuccessful,
                no::STOPPED => m.stopped,
                no::REFERRED => m.referred,
                no::IN_PROGRESS => m.in_progress,
                no::OUT_OF_SCOPE => m.out_of_scope,
                no::EST_TOTAL => m.carried_over + estimate(m.received, factor) as u64,
                no::EST_RECEIVED => return estimate(m.received, factor),
                no::EST_SUCCESSFUL => return estimate(m.successful, factor),
                no::EST_UNSUCCESSFUL => return estimate(m.unsuccessful, factor),
                _ => 0,
            };
            v as f64
        })
        .collect()
}

/// The lines of a report: each child, the records entered directly under the unit, each "not
/// allocated" line counted in the totals (the total row is the sum of these).
pub fn report_lines(report: &Report, lang: Lang) -> Vec<(String, &MediationIndicators)> {
    let mut out: Vec<(String, &MediationIndicators)> = report
        .children
        .iter()
        .map(|r| (r.unit.name.clone(), &r.indicators.mediation))
        .collect();
    if let Some(d) = &report.direct {
        let label = match lang {
            Lang::Vi => format!("Ghi nhận trực tiếp tại {}", report.unit.name),
            Lang::En => format!("Entered directly under {}", report.unit.name),
        };
        out.push((label, &d.mediation));
    }
    for u in report.unallocated.iter().filter(|u| u.in_totals) {
        out.push((u.label(lang), &u.indicators.mediation));
    }
    if out.is_empty() && report.disclosure.is_some_and(|d| d.rows_hidden > 0) {
        // A commune seen from above: its villages are not shown (ADR 0012), so its one line is
        // the commune itself.
        out.push((report.unit.name.clone(), &report.totals.mediation));
    }
    out
}

fn notes(report: &Report, lang: Lang, ctx: &Context, est: Option<(i64, i64)>) -> Vec<String> {
    let as_of = dmy(report.as_of);
    let mut n = Vec::new();
    match lang {
        Lang::Vi => {
            n.push(
                "Giải thích: (1) = (2) + (3) = (4) + (5) + (6) + (7) = (8) + (9) + (10) + (11) \
                 + (12); (13) = (8) ÷ [(8) + (9)] × 100."
                    .to_string(),
            );
            n.push(format!(
                "Cột (2): vụ, việc từ kỳ trước chưa kết thúc khi bắt đầu kỳ, hoặc được mở lại trong \
                 kỳ. Cột (8)–(11): kết quả có hiệu lực từ ngày {} đến ngày {as_of}. Cột (12): vụ, \
                 việc chưa kết thúc tại ngày {as_of}.",
                dmy(report.period.start)
            ));
            n.push(
                "Cột (14): vụ, việc được xác định không thuộc phạm vi hòa giải ở cơ sở (Điều 3 Luật \
                 Hòa giải ở cơ sở năm 2013) trong kỳ; không phải vụ, việc hòa giải nên không tính \
                 vào cột (1)."
                    .to_string(),
            );
        }
        Lang::En => {
            n.push(
                "Notes: (1) = (2) + (3) = (4) + (5) + (6) + (7) = (8) + (9) + (10) + (11) + (12); \
                 (13) = (8) ÷ [(8) + (9)] × 100."
                    .to_string(),
            );
            n.push(format!(
                "Column (2): cases from earlier periods still open when the period began, or \
                 reopened in it. Columns (8)–(11): results that took effect from {} to {as_of}. \
                 Column (12): cases still open on {as_of}.",
                dmy(report.period.start)
            ));
            n.push(
                "Column (14): matters found out of the scope of grassroots mediation (art. 3, \
                 Law on Grassroots Mediation 2013) in the period; they are not mediation cases \
                 and are not in column (1)."
                    .to_string(),
            );
        }
    }
    if report.direct.is_some() || report.unallocated.iter().any(|u| u.in_totals) {
        n.push(match lang {
            Lang::Vi => "Dòng “Ghi nhận trực tiếp tại …”: vụ, việc ghi nhận ở cấp đơn vị báo cáo. \
                         Dòng “Chưa phân bổ (từ đơn vị cũ …)”: vụ, việc của đơn vị cũ đã chia tách, \
                         chưa xác định được đơn vị mới. Cả hai được cộng vào dòng Tổng cộng."
                .to_string(),
            Lang::En => "Line “Entered directly under …”: cases recorded at the reporting unit \
                         itself. Line “Not allocated (from old unit …)”: cases of a split former \
                         unit that cannot be placed in one new unit. Both are in the total."
                .to_string(),
        });
    }
    if let Some((whole, days)) = est {
        let end = dmy(report.period.end);
        n.push(match lang {
            Lang::Vi => format!(
                "Số liệu thực tế đến ngày {as_of}. Cột (15)–(18): số ước tính cả kỳ đến hết ngày \
                 {end}; cột (16)–(18) = số thực tế × {whole} ngày ÷ {days} ngày (làm tròn), \
                 (15) = (2) + (16); số kỳ trước chuyển sang và số đang hòa giải không ước tính. Đơn \
                 vị kiểm tra, sửa các ô ước tính (tô màu); cột (15) và dòng Tổng cộng tự tính lại."
            ),
            Lang::En => format!(
                "Actual figures to {as_of}. Columns (15)–(18): estimates for the whole period to \
                 {end}; (16)–(18) = actual × {whole} days ÷ {days} days (rounded), (15) = (2) + \
                 (16); carried over and in progress are not estimated. Check and correct the \
                 shaded estimates; column (15) and the total recalculate."
            ),
        });
    }
    n.push(made_by_line(ctx.today, lang));
    n
}

/// The head of the form for a report.
fn head(report: &Report, ctx: &Context, notes: Vec<String>) -> Head {
    let lang = ctx.lang;
    let (reporting_unit, receiving_unit) = units_line(&report.unit, ctx.parent.as_ref(), lang);
    Head {
        sheet: SHEET.into(),
        form_number: form_number(12, &report.unit.level, lang),
        issued_by: issued_by(lang),
        receive_date: receive_line(&report.period, lang),
        title: t(
            "KẾT QUẢ HÒA GIẢI Ở CƠ SỞ",
            "RESULTS OF GRASSROOTS MEDIATION",
        )
        .get(lang)
        .into(),
        subtitle: period_kind_line(&report.period, lang),
        period_line: period_line(&report.period, report.as_of, lang),
        reporting_unit,
        receiving_unit,
        measure: t("Đơn vị tính: Vụ, việc", "Unit: cases").get(lang).into(),
        unit_header: t("Tên đơn vị", "Unit").get(lang).into(),
        total_label: t("Tổng cộng", "Total").get(lang).into(),
        notes,
        lang,
        withheld: None,
    }
}

/// What the form withholds (ADR 0012) when the report was protected for an officer above the
/// commune and a line of `lines` holds a withheld cell: "<k" and the report's own totals for
/// the total row, by the columns `cols`.
fn withheld(
    report: &Report,
    cols: &[Column],
    lines: &[Line],
    factor: (i64, i64),
) -> Option<super::Withheld> {
    let d = report.disclosure?;
    lines
        .iter()
        .any(|l| l.values.iter().any(|v| v.is_nan()))
        .then(|| super::Withheld {
            mark: format!("<{}", d.threshold),
            totals: values(&report.totals.mediation, cols, factor),
        })
}

/// The group header of the estimate columns, when the period has estimates.
fn estimate_group(report: &Report, lang: Lang) -> Option<String> {
    has_estimates(&report.period, report.as_of).then(|| match lang {
        Lang::Vi => format!("Ước tính cả kỳ (đến hết ngày {})", dmy(report.period.end)),
        Lang::En => format!(
            "Estimate for the whole period (to {})",
            dmy(report.period.end)
        ),
    })
}

/// The columns and lines of the form for a report (what [`workbook`] writes on its first sheet).
pub fn form_table(report: &Report, lang: Lang) -> (Vec<Column>, Vec<Line>) {
    let group = estimate_group(report, lang);
    let cols = columns(lang, group.as_deref());
    let factor = pro_rata(&report.period, report.as_of);
    let lines = report_lines(report, lang)
        .into_iter()
        .map(|(label, m)| Line {
            label,
            values: values(m, &cols, factor),
        })
        .collect();
    (cols, lines)
}

/// The columns of the by-category appendix: the form's (1)–(3) and (8)–(12).
pub fn category_columns_appendix(lang: Lang) -> Vec<Column> {
    columns(lang, None)
        .into_iter()
        .filter(|c| {
            !(no::FIRST_CATEGORY..no::SUCCESSFUL).contains(&c.no) && c.no != no::OUT_OF_SCOPE
        })
        .collect()
}

/// The lines of the appendix: one per category, from the report's totals.
pub fn category_table(report: &Report, lang: Lang) -> (Vec<Column>, Vec<Line>) {
    let cols = category_columns_appendix(lang);
    let m = &report.totals.mediation;
    let lines = categories()
        .iter()
        .map(|cat| {
            let row = m.by_category.iter().find(|c| c.code == cat.code());
            let withheld = row.is_some_and(|r| r.suppressed);
            let get = |f: fn(&crate::aggregate::CategoryRow) -> u64| row.map_or(0, f);
            let values = cols
                .iter()
                .map(|c| {
                    (match c.no {
                        no::TOTAL => get(|r| r.total),
                        no::CARRIED => get(|r| r.carried_over),
                        no::RECEIVED => get(|r| r.received),
                        no::SUCCESSFUL => get(|r| r.successful),
                        no::UNSUCCESSFUL => get(|r| r.unsuccessful),
                        no::STOPPED => get(|r| r.stopped),
                        no::REFERRED => get(|r| r.referred),
                        no::IN_PROGRESS => get(|r| r.in_progress),
                        _ => 0,
                    }) as f64
                })
                .map(|v| if withheld { f64::NAN } else { v })
                .collect();
            Line {
                label: cat.label().get(lang).to_string(),
                values,
            }
        })
        .collect();
    (cols, lines)
}

/// Build the workbook: the form, then the by-category appendix. Returns the bytes and where the
/// form's rows are.
pub fn workbook(report: &Report, ctx: &Context) -> Result<(Vec<u8>, Placed), XlsxError> {
    let lang = ctx.lang;
    let mut wb = Workbook::new();
    let (cols, lines) = form_table(report, lang);
    let est =
        has_estimates(&report.period, report.as_of).then(|| pro_rata(&report.period, report.as_of));
    let factor = pro_rata(&report.period, report.as_of);
    let mut fhead = head(report, ctx, notes(report, lang, ctx, est));
    fhead.withheld = withheld(report, &cols, &lines, factor);
    if let (Some(_), Some(d)) = (&fhead.withheld, report.disclosure) {
        let note = crate::report::mass::small_cells_note(lang, d.threshold);
        let at = fhead.notes.len().saturating_sub(1);
        fhead.notes.insert(at, note);
    }
    let placed = super::write_form(&mut wb, &fhead, &cols, &lines)?;
    let (ccols, clines) = category_table(report, lang);
    let mut chead = head(
        report,
        ctx,
        vec![
            match lang {
                Lang::Vi => format!(
                    "Phụ biểu của danvan (không thuộc biểu mẫu của Bộ Tư pháp): dòng Tổng cộng \
                     bằng cột (1)–(12) dòng Tổng cộng của biểu {}.",
                    form_number(12, &report.unit.level, lang).trim_start_matches("Biểu số: ")
                ),
                Lang::En => "danvan appendix (not a Ministry form): its total equals the form's \
                             total row."
                    .to_string(),
            },
            made_by_line(ctx.today, lang),
        ],
    );
    chead.sheet = CATEGORY_SHEET.into();
    chead.title = t(
        "KẾT QUẢ HÒA GIẢI Ở CƠ SỞ THEO LOẠI VỤ, VIỆC",
        "RESULTS OF GRASSROOTS MEDIATION BY CATEGORY",
    )
    .get(lang)
    .into();
    chead.unit_header = t("Loại vụ, việc", "Category").get(lang).into();
    chead.withheld = withheld(report, &ccols, &clines, factor);
    if let (Some(_), Some(d)) = (&chead.withheld, report.disclosure) {
        let note = crate::report::mass::small_cells_note(lang, d.threshold);
        chead.notes.insert(0, note);
    }
    write_form(&mut wb, &chead, &ccols, &clines)?;
    Ok((wb.save_to_buffer()?, placed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::{CategoryRow, Indicators, Period, PeriodKind, Row, UnitRef};
    use crate::web::forms::{evaluate, total_values};
    use chrono::NaiveDate;

    fn day(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).unwrap()
    }

    fn cat(code: &str, carried: u64, received: u64, res: [u64; 5]) -> CategoryRow {
        CategoryRow {
            code: code.into(),
            carried_over: carried,
            received,
            total: carried + received,
            successful: res[0],
            unsuccessful: res[1],
            stopped: res[2],
            referred: res[3],
            in_progress: res[4],
            suppressed: false,
        }
    }

    fn med(cats: Vec<CategoryRow>, out_of_scope: u64) -> MediationIndicators {
        let s = |f: fn(&CategoryRow) -> u64| cats.iter().map(f).sum::<u64>();
        MediationIndicators {
            received: s(|c| c.received),
            carried_over: s(|c| c.carried_over),
            total: s(|c| c.total),
            successful: s(|c| c.successful),
            unsuccessful: s(|c| c.unsuccessful),
            stopped: s(|c| c.stopped),
            referred: s(|c| c.referred),
            in_progress: s(|c| c.in_progress),
            mediated: s(|c| c.successful) + s(|c| c.unsuccessful),
            out_of_scope,
            by_category: cats,
            ..Default::default()
        }
    }

    fn unit(code: &str, name: &str, level: &str) -> UnitRef {
        UnitRef {
            code: code.into(),
            name: name.into(),
            level: level.into(),
        }
    }

    /// A city report of two communes for the preliminary year 2026 (cut-off 31 October).
    fn report() -> Report {
        // Commune A: conflict 1 carried + 3 new = 4 → 2 successful, 1 unsuccessful, 1 open;
        // civil 0 + 2 = 2 → 1 stopped, 1 referred. Total 6 = 2 + 1 + 1 + 1 + 1. Out of scope 1.
        let a = med(
            vec![
                cat("conflict", 1, 3, [2, 1, 0, 0, 1]),
                cat("civil", 0, 2, [0, 0, 1, 1, 0]),
            ],
            1,
        );
        // Commune B: marriage_family 2 + 1 = 3 → 1 successful, 2 open. Total 3.
        let b = med(vec![cat("marriage_family", 2, 1, [1, 0, 0, 0, 2])], 0);
        let totals = Indicators {
            mediation: med(
                vec![
                    cat("civil", 0, 2, [0, 0, 1, 1, 0]),
                    cat("conflict", 1, 3, [2, 1, 0, 0, 1]),
                    cat("marriage_family", 2, 1, [1, 0, 0, 0, 2]),
                ],
                1,
            ),
            ..Default::default()
        };
        let row = |u: UnitRef, m: MediationIndicators| Row {
            unit: u,
            indicators: Indicators {
                mediation: m,
                ..Default::default()
            },
            late_amendments: 0,
            lock: None,
        };
        Report {
            unit: unit("31", "Thành phố Hải Phòng", "province"),
            unit_from: NaiveDate::MIN,
            predecessors: false,
            period: Period {
                key: "2026-YP".into(),
                kind: PeriodKind::YearPreliminary,
                start: day(1, 1),
                end: day(12, 31),
                cutoff: day(10, 31),
                deadline: day(11, 15),
            },
            as_of: day(10, 31),
            totals,
            direct: None,
            children: vec![
                row(unit("11533", "Phường Hòa Bình", "commune"), a),
                row(unit("11560", "Phường Thủy Nguyên", "commune"), b),
            ],
            unallocated: vec![],
            previous: None,
            late_amendments: 0,
            lock: None,
            disclosure: None,
        }
    }

    fn at(cols: &[Column], v: &[Option<f64>], n: u16) -> f64 {
        let i = cols.iter().position(|c| c.no == n).unwrap();
        v[i].unwrap_or(0.0)
    }

    #[test]
    fn lines_balance_and_estimates_are_pro_rata() {
        let r = report();
        let (cols, lines) = form_table(&r, Lang::Vi);
        assert_eq!(cols.len(), 18, "14 columns and 4 estimates");
        let a = evaluate(&cols, &lines[0].values);
        // (1) = 1 + 5 = 6 = (4..7) 4 + 2 + 0 + 0 = (8..12) 2 + 1 + 1 + 1 + 1.
        assert_eq!(at(&cols, &a, no::TOTAL), 6.0);
        assert_eq!(
            category_columns()
                .iter()
                .map(|n| at(&cols, &a, *n))
                .sum::<f64>(),
            6.0
        );
        assert_eq!(
            RESULT_COLUMNS
                .iter()
                .map(|n| at(&cols, &a, *n))
                .sum::<f64>(),
            6.0
        );
        // (13) = 2 ÷ 3 = 66.7 %; (14) = 1, outside (1).
        assert_eq!(at(&cols, &a, no::RATE), 66.7);
        assert_eq!(at(&cols, &a, no::OUT_OF_SCOPE), 1.0);
        // Estimates: 365 days ÷ 304. Received 5 × 365 ÷ 304 = 6.0 → 6; (15) = 1 + 6 = 7;
        // successful 2 → 2.4 → 2; unsuccessful 1 → 1.2 → 1.
        assert_eq!(at(&cols, &a, no::EST_RECEIVED), 6.0);
        assert_eq!(at(&cols, &a, no::EST_TOTAL), 7.0);
        assert_eq!(at(&cols, &a, no::EST_SUCCESSFUL), 2.0);
        assert_eq!(at(&cols, &a, no::EST_UNSUCCESSFUL), 1.0);
        // Total row = sum of rows = the report's totals: 6 + 3 = 9.
        let tot = total_values(&cols, &lines);
        assert_eq!(at(&cols, &tot, no::TOTAL), 9.0);
        assert_eq!(at(&cols, &tot, no::TOTAL), r.totals.mediation.total as f64);
        // Rate of the total: 3 ÷ 4 = 75.0.
        assert_eq!(at(&cols, &tot, no::RATE), 75.0);
    }

    #[test]
    fn a_closed_period_has_no_estimate_columns() {
        let mut r = report();
        r.period.kind = PeriodKind::Year;
        r.period.cutoff = r.period.end;
        r.as_of = r.period.end;
        let (cols, _) = form_table(&r, Lang::En);
        assert_eq!(cols.len(), 14);
        assert!(cols.iter().all(|c| !c.estimate));
        assert_eq!(cols[0].label, "Total");
    }

    #[test]
    fn the_appendix_sums_to_the_totals() {
        let r = report();
        let (cols, lines) = category_table(&r, Lang::Vi);
        assert_eq!(lines.len(), categories().len());
        let tot = total_values(&cols, &lines);
        let m = &r.totals.mediation;
        // civil 2 + conflict 4 + marriage and family 3 + minor violation 0 = 9.
        assert_eq!(at(&cols, &tot, no::TOTAL), m.total as f64);
        assert_eq!(at(&cols, &tot, no::CARRIED), m.carried_over as f64);
        assert_eq!(at(&cols, &tot, no::IN_PROGRESS), m.in_progress as f64);
        for l in &lines {
            let v = evaluate(&cols, &l.values);
            let results: f64 = RESULT_COLUMNS.iter().map(|n| at(&cols, &v, *n)).sum();
            assert_eq!(at(&cols, &v, no::TOTAL), results, "{}", l.label);
        }
    }
}
