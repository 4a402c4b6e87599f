//! The teams and mediators form: SỐ TỔ HÒA GIẢI VÀ HÒA GIẢI VIÊN Ở CƠ SỞ (Biểu số
//! 11a/11b/11c/BTP/PBGDPL/HGCS), from the registry's [`TeamFigures`]: one row per child unit of
//! the unit reported on, a "not allocated" line when the registry's total holds teams placed in
//! no single row, then the total.
//!
//! Columns (see `docs/forms/moj-grassroots-mediation.md`): (1) teams, (2) of which new,
//! (3) mediators = (4) + (5) = (6) + (7) = (8) + (9), (4) men = (3) − (5), (5) women,
//! (6) Kinh = (3) − (7), (7) ethnic minorities, (8) legal qualification, (9) other = (3) − (8),
//! (10) team leaders, (11) trained, (12) recognised in the period, (13) left in the period.
//! Stocks are as of the cut-off and flows over [start, cut-off]; the form has no estimates (the
//! registry is a list, not a flow that grows with the days).

use chrono::NaiveDate;
use danvan_core::Lang;
use rust_xlsxwriter::{Workbook, XlsxError};

use super::{
    Calc, Column, Context, Head, Line, Placed, dmy, form_number, issued_by, made_by_line,
    period_kind_line, period_line, receive_line, t, units_line, write_form,
};
use crate::aggregate::{Period, UnitRef};
use crate::registry::TeamFigures;

/// Worksheet of the form.
pub const SHEET: &str = "Bieu 11 HGCS";

/// Column numbers of the form.
pub mod no {
    /// Số tổ hòa giải.
    pub const TEAMS: u16 = 1;
    /// Trong đó: thành lập mới trong kỳ.
    pub const TEAMS_NEW: u16 = 2;
    /// Tổng số hòa giải viên.
    pub const MEDIATORS: u16 = 3;
    /// Nam = (3) − (5).
    pub const MEN: u16 = 4;
    /// Nữ.
    pub const WOMEN: u16 = 5;
    /// Dân tộc Kinh = (3) − (7).
    pub const KINH: u16 = 6;
    /// Dân tộc thiểu số.
    pub const MINORITY: u16 = 7;
    /// Có trình độ chuyên môn luật.
    pub const LEGAL: u16 = 8;
    /// Khác = (3) − (8).
    pub const OTHER: u16 = 9;
    /// Tổ trưởng tổ hòa giải.
    pub const LEADERS: u16 = 10;
    /// Được bồi dưỡng chuyên môn, nghiệp vụ.
    pub const TRAINED: u16 = 11;
    /// Công nhận mới trong kỳ.
    pub const NEW: u16 = 12;
    /// Thôi làm hòa giải viên trong kỳ.
    pub const LEFT: u16 = 13;
}

/// The columns of the form.
pub fn columns(lang: Lang) -> Vec<Column> {
    let l = |vi: &'static str, en: &'static str| t(vi, en).get(lang);
    let teams = l("Tổ hòa giải (tổ)", "Mediation teams");
    let sex = l("Chia theo giới tính", "By sex");
    let ethnic = l("Chia theo dân tộc", "By ethnicity");
    let qual = l("Chia theo trình độ chuyên môn", "By qualification");
    let moves = l("Biến động trong kỳ", "Changes in the period");
    vec![
        Column::value(no::TEAMS, Some(teams), l("Tổng số", "Total")),
        Column::value(
            no::TEAMS_NEW,
            Some(teams),
            l(
                "Trong đó: thành lập mới trong kỳ",
                "Of which: new in the period",
            ),
        ),
        Column::value(
            no::MEDIATORS,
            None,
            l("Tổng số hòa giải viên (người)", "Mediators (persons)"),
        ),
        Column::calc(
            no::MEN,
            Some(sex),
            l("Nam", "Men"),
            Calc::Minus(no::MEDIATORS, no::WOMEN),
        ),
        Column::value(no::WOMEN, Some(sex), l("Nữ", "Women")),
        Column::calc(
            no::KINH,
            Some(ethnic),
            l("Kinh", "Kinh"),
            Calc::Minus(no::MEDIATORS, no::MINORITY),
        ),
        Column::value(
            no::MINORITY,
            Some(ethnic),
            l("Dân tộc thiểu số", "Ethnic minorities"),
        ),
        Column::value(
            no::LEGAL,
            Some(qual),
            l("Có trình độ chuyên môn luật", "Legal qualification"),
        ),
        Column::calc(
            no::OTHER,
            Some(qual),
            l("Khác", "Other"),
            Calc::Minus(no::MEDIATORS, no::LEGAL),
        ),
        Column::value(
            no::LEADERS,
            None,
            l("Trong đó: tổ trưởng tổ hòa giải", "Of which: team leaders"),
        ),
        Column::value(
            no::TRAINED,
            None,
            l(
                "Hòa giải viên đã được bồi dưỡng chuyên môn, nghiệp vụ",
                "Mediators trained in mediation",
            ),
        ),
        Column::value(
            no::NEW,
            Some(moves),
            l("Hòa giải viên được công nhận mới", "Mediators recognised"),
        ),
        Column::value(
            no::LEFT,
            Some(moves),
            l("Thôi làm hòa giải viên", "Mediators who left"),
        ),
    ]
}

/// The values of one line, in the order of [`columns`].
pub fn values(f: &TeamFigures, cols: &[Column]) -> Vec<f64> {
    cols.iter()
        .map(|c| {
            (match c.no {
                no::TEAMS => f.teams,
                no::TEAMS_NEW => f.teams_new,
                no::MEDIATORS => f.mediators,
                no::MEN => f.mediators.saturating_sub(f.mediators_female),
                no::WOMEN => f.mediators_female,
                no::KINH => f.mediators.saturating_sub(f.mediators_ethnic_minority),
                no::MINORITY => f.mediators_ethnic_minority,
                no::LEGAL => f.mediators_legal_qualification,
                no::OTHER => f.mediators.saturating_sub(f.mediators_legal_qualification),
                no::LEADERS => f.team_leaders,
                no::TRAINED => f.mediators_trained,
                no::NEW => f.mediators_new,
                no::LEFT => f.mediators_left,
                _ => 0,
            }) as f64
        })
        .collect()
}

/// What the total holds beyond the rows (teams of a village split between rows, or registered
/// under the unit itself): the total minus the rows, field by field.
pub fn unallocated(rows: &[(String, TeamFigures)], total: &TeamFigures) -> Option<TeamFigures> {
    let sum = |f: fn(&TeamFigures) -> u64| -> u64 { rows.iter().map(|(_, r)| f(r)).sum() };
    let rest = |f: fn(&TeamFigures) -> u64| f(total).saturating_sub(sum(f));
    let out = TeamFigures {
        teams: rest(|f| f.teams),
        teams_new: rest(|f| f.teams_new),
        mediators: rest(|f| f.mediators),
        mediators_female: rest(|f| f.mediators_female),
        mediators_ethnic_minority: rest(|f| f.mediators_ethnic_minority),
        mediators_legal_qualification: rest(|f| f.mediators_legal_qualification),
        mediators_trained: rest(|f| f.mediators_trained),
        team_leaders: rest(|f| f.team_leaders),
        mediators_new: rest(|f| f.mediators_new),
        mediators_left: rest(|f| f.mediators_left),
    };
    (out != TeamFigures::default()).then_some(out)
}

/// The columns and lines of the form: one line per row, the unallocated rest, no total (the
/// writer adds it as the sum of the lines).
pub fn form_table(
    rows: &[(String, TeamFigures)],
    total: &TeamFigures,
    lang: Lang,
) -> (Vec<Column>, Vec<Line>) {
    let cols = columns(lang);
    let mut lines: Vec<Line> = rows
        .iter()
        .map(|(name, f)| Line {
            label: name.clone(),
            values: values(f, &cols),
        })
        .collect();
    if let Some(rest) = unallocated(rows, total) {
        lines.push(Line {
            label: t(
                "Chưa phân bổ vào đơn vị trực thuộc",
                "Not allocated to a unit below",
            )
            .get(lang)
            .into(),
            values: values(&rest, &cols),
        });
    }
    (cols, lines)
}

/// The unit, period and figures of one teams form.
#[derive(Debug, Clone)]
pub struct TeamsReport {
    /// The unit reported on.
    pub unit: UnitRef,
    /// The period.
    pub period: Period,
    /// Figures are as of this day (the cut-off, or today when earlier).
    pub as_of: NaiveDate,
    /// One (name, figures) per child unit, in order.
    pub rows: Vec<(String, TeamFigures)>,
    /// The registry's total of the subtree.
    pub total: TeamFigures,
}

fn notes(r: &TeamsReport, ctx: &Context, has_rest: bool) -> Vec<String> {
    let lang = ctx.lang;
    let as_of = dmy(r.as_of);
    let start = dmy(r.period.start);
    let mut n = match lang {
        Lang::Vi => vec![
            "Giải thích: (3) = (4) + (5) = (6) + (7) = (8) + (9); (2) ≤ (1); (10), (11) ≤ (3)."
                .to_string(),
            format!(
                "Cột (1), (3)–(11): tổ hòa giải, hòa giải viên có tại ngày {as_of}. Cột (2), (12), \
                 (13): thành lập, công nhận, thôi làm hòa giải viên từ ngày {start} đến ngày \
                 {as_of}. Cột (8): trình độ trung cấp luật trở lên. Số liệu thời điểm, không \
                 ước tính."
            ),
        ],
        Lang::En => vec![
            "Notes: (3) = (4) + (5) = (6) + (7) = (8) + (9); (2) ≤ (1); (10), (11) ≤ (3)."
                .to_string(),
            format!(
                "Columns (1), (3)–(11): teams and mediators in office on {as_of}. Columns (2), \
                 (12), (13): established, recognised, left from {start} to {as_of}. Column (8): \
                 intermediate law diploma or higher. Figures at a date, not estimated."
            ),
        ],
    };
    if has_rest {
        n.push(match lang {
            Lang::Vi => {
                "Dòng “Chưa phân bổ vào đơn vị trực thuộc”: tổ hòa giải ở thôn, tổ dân phố \
                         của đơn vị cũ đã chia tách giữa nhiều đơn vị mới, hoặc ghi nhận trực tiếp \
                         ở cấp đơn vị báo cáo; được cộng vào dòng Tổng cộng."
                    .to_string()
            }
            Lang::En => "Line “Not allocated to a unit below”: teams of a former village split \
                         between several new units, or registered at the reporting unit itself; \
                         they are in the total."
                .to_string(),
        });
    }
    n.push(made_by_line(ctx.today, lang));
    n
}

/// Build the workbook of the form. Returns the bytes and where the rows are.
pub fn workbook(r: &TeamsReport, ctx: &Context) -> Result<(Vec<u8>, Placed), XlsxError> {
    let lang = ctx.lang;
    let (cols, lines) = form_table(&r.rows, &r.total, lang);
    let has_rest = lines.len() > r.rows.len();
    let (reporting_unit, receiving_unit) = units_line(&r.unit, ctx.parent.as_ref(), lang);
    let head = Head {
        sheet: SHEET.into(),
        form_number: form_number(11, &r.unit.level, lang),
        issued_by: issued_by(lang),
        receive_date: receive_line(&r.period, lang),
        title: t(
            "SỐ TỔ HÒA GIẢI VÀ HÒA GIẢI VIÊN Ở CƠ SỞ",
            "GRASSROOTS MEDIATION TEAMS AND MEDIATORS",
        )
        .get(lang)
        .into(),
        subtitle: period_kind_line(&r.period, lang),
        period_line: period_line(&r.period, r.as_of, lang),
        reporting_unit,
        receiving_unit,
        measure: t("Đơn vị tính: Tổ, người", "Unit: teams, persons")
            .get(lang)
            .into(),
        unit_header: t("Tên đơn vị", "Unit").get(lang).into(),
        total_label: t("Tổng cộng", "Total").get(lang).into(),
        notes: notes(r, ctx, has_rest),
        lang,
        withheld: None,
    };
    let mut wb = Workbook::new();
    let placed = write_form(&mut wb, &head, &cols, &lines)?;
    Ok((wb.save_to_buffer()?, placed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::forms::{evaluate, total_values};

    fn figures(teams: u64, mediators: u64, female: u64, minority: u64, legal: u64) -> TeamFigures {
        TeamFigures {
            teams,
            teams_new: 1.min(teams),
            mediators,
            mediators_female: female,
            mediators_ethnic_minority: minority,
            mediators_legal_qualification: legal,
            mediators_trained: mediators / 2,
            team_leaders: teams,
            mediators_new: 1,
            mediators_left: 0,
        }
    }

    fn add(a: &TeamFigures, b: &TeamFigures) -> TeamFigures {
        TeamFigures {
            teams: a.teams + b.teams,
            teams_new: a.teams_new + b.teams_new,
            mediators: a.mediators + b.mediators,
            mediators_female: a.mediators_female + b.mediators_female,
            mediators_ethnic_minority: a.mediators_ethnic_minority + b.mediators_ethnic_minority,
            mediators_legal_qualification: a.mediators_legal_qualification
                + b.mediators_legal_qualification,
            mediators_trained: a.mediators_trained + b.mediators_trained,
            team_leaders: a.team_leaders + b.team_leaders,
            mediators_new: a.mediators_new + b.mediators_new,
            mediators_left: a.mediators_left + b.mediators_left,
        }
    }

    fn at(cols: &[Column], v: &[Option<f64>], n: u16) -> f64 {
        let i = cols.iter().position(|c| c.no == n).unwrap();
        v[i].unwrap_or(0.0)
    }

    #[test]
    fn rows_balance_and_the_rest_is_a_line() {
        // Village 1: 1 team, 5 mediators (2 women, 0 minority, 1 lawyer);
        // village 2: 2 teams, 9 mediators (4 women, 3 minority, 0 lawyers).
        let v1 = figures(1, 5, 2, 0, 1);
        let v2 = figures(2, 9, 4, 3, 0);
        // The total also holds one team of 6 placed in no row (3 women).
        let rest = figures(1, 6, 3, 0, 0);
        let total = add(&add(&v1, &v2), &rest);
        let rows = vec![("Thôn 1".to_string(), v1), ("Thôn 2".to_string(), v2)];
        let (cols, lines) = form_table(&rows, &total, Lang::Vi);
        assert_eq!(lines.len(), 3, "two rows and the unallocated rest");
        assert_eq!(unallocated(&rows, &total), Some(rest));
        for l in &lines {
            let v = evaluate(&cols, &l.values);
            let m = at(&cols, &v, no::MEDIATORS);
            assert_eq!(at(&cols, &v, no::MEN) + at(&cols, &v, no::WOMEN), m);
            assert_eq!(at(&cols, &v, no::KINH) + at(&cols, &v, no::MINORITY), m);
            assert_eq!(at(&cols, &v, no::LEGAL) + at(&cols, &v, no::OTHER), m);
        }
        let tot = total_values(&cols, &lines);
        // Teams 1 + 2 + 1 = 4; mediators 5 + 9 + 6 = 20; men 3 + 5 + 3 = 11.
        assert_eq!(at(&cols, &tot, no::TEAMS), 4.0);
        assert_eq!(at(&cols, &tot, no::MEDIATORS), 20.0);
        assert_eq!(at(&cols, &tot, no::MEN), 11.0);
        assert_eq!(at(&cols, &tot, no::TEAMS), total.teams as f64);
        // Without a rest there is no extra line.
        let exact = add(&rows[0].1, &rows[1].1);
        assert_eq!(form_table(&rows, &exact, Lang::En).1.len(), 2);
    }
}
