//! Reporting periods: month, quarter, six months, preliminary year and year, each with the day
//! its figures are computed *as of* (the cut-off) and its submission deadline.
//!
//! Defaults follow Ministry of Justice Circular 03/2019/TT-BTP practice: the six-month report
//! carries actual figures to 31 May, the preliminary annual report to 31 October (some bodies
//! use 30 November: configurable), every other period is cut off on its last day. Keys parse
//! strictly (`2026-07`, `2026-Q3`, `2026-H1`, `2026-YP`, `2026`); anything else is a
//! [`PeriodError`], which the HTTP layer maps to 400 `bad_period`.
//!
//! Periods are calendar periods by default. A province that follows the data windows of
//! Decree 09/2019/NĐ-CP (Nghị định quy định về chế độ báo cáo của cơ quan hành chính nhà nước,
//! 24 January 2019), art. 12 ("thời gian chốt số liệu" of periodic reports), sets
//! `window_start_day = 15`: a month runs from the 15th of the previous month to the 14th, a
//! quarter from the 15th of the month before it to the 14th of its last month, a half year from
//! 15 December of the previous year to 14 June / 15 June to 14 December, a year from 15 December
//! of the previous year to 14 December. Keys keep naming the period by where it ends (`2026-07`
//! is 15 June – 14 July 2026). The window rule was checked with the `search` tool: provincial
//! reporting decisions issued under the Decree (Kon Tum 06/2024/QĐ-UBND, Quảng Trị
//! 41/2019/QĐ-UBND, both citing "Nghị định số 09/2019/NĐ-CP ngày 24 tháng 01 năm 2019") were
//! found, the article's own wording was not in the stored pages; the rule above is the one
//! the issue quotes (see ADR 0004 section 2).

use chrono::{Datelike, Days, Months, NaiveDate};
use danvan_core::Lang;
use serde::{Deserialize, Serialize};

/// The kinds of reporting period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    /// A calendar month (`2026-07`).
    Month,
    /// A calendar quarter (`2026-Q3`).
    Quarter,
    /// Six months (`2026-H1`: January–June, `2026-H2`: July–December).
    HalfYear,
    /// The preliminary annual report (`2026-YP`), cut off before the year ends.
    YearPreliminary,
    /// The official annual report (`2026`).
    Year,
}

impl PeriodKind {
    /// Every kind, shortest first.
    pub const ALL: [PeriodKind; 5] = [
        PeriodKind::Month,
        PeriodKind::Quarter,
        PeriodKind::HalfYear,
        PeriodKind::YearPreliminary,
        PeriodKind::Year,
    ];
}

/// One reporting period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Period {
    /// Key: `2026-07`, `2026-Q3`, `2026-H1`, `2026-YP` (preliminary year) or `2026`.
    pub key: String,
    /// Kind.
    pub kind: PeriodKind,
    /// First day.
    pub start: NaiveDate,
    /// Last day.
    pub end: NaiveDate,
    /// Figures are computed as of this day (H1: 31 May; YP: 31 Oct or 30 Nov; others = end).
    pub cutoff: NaiveDate,
    /// Submission deadline.
    pub deadline: NaiveDate,
}

impl Period {
    /// The period's name for people: "6 tháng đầu năm 2026" / "First half of 2026".
    pub fn label(&self, lang: Lang) -> String {
        // Named by where the period ends: a window period (15 June – 14 July) is "July".
        let y = self.end.year();
        let first_half = self.end.month() <= 6;
        match (self.kind, lang) {
            (PeriodKind::Month, Lang::Vi) => format!("Tháng {}/{y}", self.end.month()),
            (PeriodKind::Month, Lang::En) => self.end.format("%B %Y").to_string(),
            (PeriodKind::Quarter, Lang::Vi) => {
                format!("Quý {}/{y}", roman(self.end.month0() / 3 + 1))
            }
            (PeriodKind::Quarter, Lang::En) => format!("Q{} {y}", self.end.month0() / 3 + 1),
            (PeriodKind::HalfYear, Lang::Vi) if first_half => {
                format!("6 tháng đầu năm {y}")
            }
            (PeriodKind::HalfYear, Lang::Vi) => format!("6 tháng cuối năm {y}"),
            (PeriodKind::HalfYear, Lang::En) if first_half => {
                format!("First half of {y}")
            }
            (PeriodKind::HalfYear, Lang::En) => format!("Second half of {y}"),
            (PeriodKind::YearPreliminary, Lang::Vi) => format!(
                "Năm {y} (báo cáo sơ bộ, số liệu đến {})",
                self.cutoff.format("%d/%m")
            ),
            (PeriodKind::YearPreliminary, Lang::En) => format!(
                "{y} (preliminary, figures to {})",
                self.cutoff.format("%-d %B")
            ),
            (PeriodKind::Year, Lang::Vi) => format!("Năm {y}"),
            (PeriodKind::Year, Lang::En) => format!("Year {y}"),
        }
    }

    /// Whether `day` lies in `[start, end]`.
    pub fn contains(&self, day: NaiveDate) -> bool {
        self.start <= day && day <= self.end
    }
}

fn roman(q: u32) -> &'static str {
    match q {
        1 => "I",
        2 => "II",
        3 => "III",
        _ => "IV",
    }
}

/// A period key that does not parse, or names a period outside the supported years.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad period key {key:?}: expected YYYY-MM, YYYY-Q1..Q4, YYYY-H1/H2, YYYY-YP or YYYY")]
pub struct PeriodError {
    /// The rejected key.
    pub key: String,
}

/// A day of a month (for cut-offs and deadlines).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthDay {
    /// Month, 1–12.
    pub month: u32,
    /// Day, 1–31 (clamped to the month's last day).
    pub day: u32,
}

impl MonthDay {
    fn in_year(self, year: i32) -> NaiveDate {
        let month = self.month.clamp(1, 12);
        let first = NaiveDate::from_ymd_opt(year, month, 1).unwrap_or(NaiveDate::MIN);
        let last = last_day(first);
        first
            .with_day(self.day.clamp(1, last.day()))
            .unwrap_or(first)
    }
}

/// Cut-offs and deadlines of every kind of period. `Default` = Circular 03/2019/TT-BTP practice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PeriodsConfig {
    /// A month's report is due on this day of the next month (default 5).
    pub month_deadline_day: u32,
    /// A quarter's report is due on this day of the month after the quarter (default 10).
    pub quarter_deadline_day: u32,
    /// The first half's cut-off (default 31 May: actual figures to 31 May, estimates after).
    pub h1_cutoff: MonthDay,
    /// The first half's deadline (default 10 June).
    pub h1_deadline: MonthDay,
    /// The second half's cut-off (default 31 December = its end).
    pub h2_cutoff: MonthDay,
    /// The second half's deadline, in the next year (default 10 January).
    pub h2_deadline: MonthDay,
    /// The preliminary year's cut-off (default 31 October; some bodies use 30 November).
    pub year_preliminary_cutoff: MonthDay,
    /// The preliminary year's deadline (default 15 November).
    pub year_preliminary_deadline: MonthDay,
    /// The official year's deadline, in the next year (default 20 February, city level).
    pub year_deadline: MonthDay,
    /// Oldest year a key may name.
    pub min_year: i32,
    /// Newest year a key may name.
    pub max_year: i32,
    /// Day of the month every period starts on (1–28; default 1 = calendar periods). With 15
    /// (Decree 09/2019/NĐ-CP art. 12) a month is the 15th of the previous month to the 14th, and
    /// every longer period starts on the 15th of the month before its first calendar month and
    /// ends on the 14th of its last. Cut-offs stay configurable and are clamped inside the
    /// period; a month's or quarter's deadline is the first deadline day after the period ends.
    pub window_start_day: u32,
}

impl Default for PeriodsConfig {
    fn default() -> Self {
        let md = |month, day| MonthDay { month, day };
        PeriodsConfig {
            month_deadline_day: 5,
            quarter_deadline_day: 10,
            h1_cutoff: md(5, 31),
            h1_deadline: md(6, 10),
            h2_cutoff: md(12, 31),
            h2_deadline: md(1, 10),
            year_preliminary_cutoff: md(10, 31),
            year_preliminary_deadline: md(11, 15),
            year_deadline: md(2, 20),
            min_year: 2000,
            max_year: 2100,
            window_start_day: 1,
        }
    }
}

fn last_day(first_of_month: NaiveDate) -> NaiveDate {
    first_of_month
        .checked_add_months(Months::new(1))
        .and_then(|d| d.checked_sub_days(Days::new(1)))
        .unwrap_or(first_of_month)
}

fn ymd(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

impl PeriodsConfig {
    /// Read a TOML file of settings (missing keys keep their defaults). A `window_start_day`
    /// outside 1–28 is refused (a window must start on a day every month has).
    pub fn from_toml(text: &str) -> Result<Self, String> {
        let c: PeriodsConfig = toml::from_str(text).map_err(|e| e.to_string())?;
        if !(1..=28).contains(&c.window_start_day) {
            return Err(format!(
                "window_start_day must be between 1 and 28, not {}",
                c.window_start_day
            ));
        }
        Ok(c)
    }

    /// The window start day in force (clamped to 1–28 for a configuration built in code).
    fn window_day(&self) -> u32 {
        self.window_start_day.clamp(1, 28)
    }

    /// Shift a calendar span `[first, last]` (first = the 1st of a month, last = the last day
    /// of a month) to the configured window: from the window day of the month before `first`
    /// to the day before the window day in `last`'s month. Calendar periods are unchanged.
    fn window(&self, first: NaiveDate, last: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
        let s = self.window_day();
        if s == 1 {
            return Some((first, last));
        }
        let start = first.checked_sub_months(Months::new(1))?.with_day(s)?;
        let end = last.with_day(s - 1)?;
        Some((start, end))
    }

    /// The first day numbered `day` (clamped to the month's length) strictly after `after`.
    fn first_day_after(after: NaiveDate, day: u32) -> NaiveDate {
        let this = MonthDay {
            month: after.month(),
            day,
        }
        .in_year(after.year());
        if this > after {
            return this;
        }
        let next = after
            .with_day(1)
            .and_then(|f| f.checked_add_months(Months::new(1)))
            .unwrap_or(after);
        MonthDay {
            month: next.month(),
            day,
        }
        .in_year(next.year())
    }

    /// The period named by `key`.
    pub fn period(&self, key: &str) -> Result<Period, PeriodError> {
        self.parse(key).ok_or_else(|| PeriodError {
            key: key.to_string(),
        })
    }

    fn parse(&self, key: &str) -> Option<Period> {
        let bytes = key.as_bytes();
        if bytes.len() < 4 || !bytes[..4].iter().all(u8::is_ascii_digit) {
            return None;
        }
        let year: i32 = key[..4].parse().ok()?;
        if year < self.min_year || year > self.max_year {
            return None;
        }
        let rest = &key[4..];
        let (kind, n) = match rest {
            "" => (PeriodKind::Year, 0),
            "-YP" => (PeriodKind::YearPreliminary, 0),
            "-H1" => (PeriodKind::HalfYear, 1),
            "-H2" => (PeriodKind::HalfYear, 2),
            "-Q1" | "-Q2" | "-Q3" | "-Q4" => (PeriodKind::Quarter, u32::from(bytes[6] - b'0')),
            _ if rest.len() == 3
                && rest.starts_with('-')
                && rest[1..].bytes().all(|b| b.is_ascii_digit()) =>
            {
                let m: u32 = rest[1..].parse().ok()?;
                if !(1..=12).contains(&m) {
                    return None;
                }
                (PeriodKind::Month, m)
            }
            _ => return None,
        };
        self.build(kind, year, n)
    }

    /// The period of `kind` in `year` with number `n` (month 1–12, quarter 1–4, half 1–2):
    /// the calendar span it names, shifted to the configured window.
    fn build(&self, kind: PeriodKind, year: i32, n: u32) -> Option<Period> {
        let (key, first_month, last_month) = match kind {
            PeriodKind::Month => (format!("{year}-{n:02}"), n, n),
            PeriodKind::Quarter => (format!("{year}-Q{n}"), (n - 1) * 3 + 1, n * 3),
            PeriodKind::HalfYear if n == 1 => (format!("{year}-H1"), 1, 6),
            PeriodKind::HalfYear => (format!("{year}-H2"), 7, 12),
            PeriodKind::YearPreliminary => (format!("{year}-YP"), 1, 12),
            PeriodKind::Year => (format!("{year}"), 1, 12),
        };
        let (start, end) = self.window(
            ymd(year, first_month, 1)?,
            last_day(ymd(year, last_month, 1)?),
        )?;
        let (cutoff, deadline) = match kind {
            PeriodKind::Month => (end, Self::first_day_after(end, self.month_deadline_day)),
            PeriodKind::Quarter => (end, Self::first_day_after(end, self.quarter_deadline_day)),
            PeriodKind::HalfYear if n == 1 => {
                (self.h1_cutoff.in_year(year), self.h1_deadline.in_year(year))
            }
            PeriodKind::HalfYear => (
                self.h2_cutoff.in_year(year),
                self.h2_deadline.in_year(year + 1),
            ),
            PeriodKind::YearPreliminary => (
                self.year_preliminary_cutoff.in_year(year),
                self.year_preliminary_deadline.in_year(year),
            ),
            PeriodKind::Year => (end, self.year_deadline.in_year(year + 1)),
        };
        // A cut-off is read in the year the key names (where the period ends); a misconfigured
        // one, or one past a window's end (31 December with a 15th window), never leaves it.
        let cutoff = cutoff.clamp(start, end);
        Some(Period {
            key,
            kind,
            start,
            end,
            cutoff,
            deadline,
        })
    }

    /// The period of the same kind just before `p` (for trends).
    pub fn previous(&self, p: &Period) -> Period {
        let day_before = p.start.pred_opt().unwrap_or(p.start);
        self.containing(p.kind, day_before)
            .unwrap_or_else(|| p.clone())
    }

    /// The period of `kind` that contains `day`.
    pub fn containing(&self, kind: PeriodKind, day: NaiveDate) -> Option<Period> {
        // From the window day on, a day belongs to the period named by the next month.
        let named = if self.window_day() > 1 && day.day() >= self.window_day() {
            day.with_day(1)?.checked_add_months(Months::new(1))?
        } else {
            day
        };
        let (y, m) = (named.year(), named.month());
        let n = match kind {
            PeriodKind::Month => m,
            PeriodKind::Quarter => (m - 1) / 3 + 1,
            PeriodKind::HalfYear => (m - 1) / 6 + 1,
            PeriodKind::YearPreliminary | PeriodKind::Year => 0,
        };
        self.build(kind, y, n)
    }

    /// The `n` most recent periods of `kind` that have started by `today`, newest first.
    pub fn recent(&self, today: NaiveDate, kind: PeriodKind, n: usize) -> Vec<Period> {
        let mut out = Vec::with_capacity(n);
        let mut cur = self.containing(kind, today);
        while let Some(p) = cur {
            if out.len() >= n {
                break;
            }
            let prev = self.previous(&p);
            let stuck = prev.start == p.start;
            out.push(p);
            cur = (!stuck).then_some(prev);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn keys_parse_to_their_days_cutoffs_and_deadlines() {
        let c = PeriodsConfig::default();
        let m = c.period("2026-02").unwrap();
        assert_eq!(
            (m.start, m.end, m.cutoff),
            (d("2026-02-01"), d("2026-02-28"), d("2026-02-28"))
        );
        assert_eq!(m.deadline, d("2026-03-05"));
        let dec = c.period("2025-12").unwrap();
        assert_eq!(dec.deadline, d("2026-01-05"));
        let q = c.period("2026-Q3").unwrap();
        assert_eq!(
            (q.start, q.end, q.deadline),
            (d("2026-07-01"), d("2026-09-30"), d("2026-10-10"))
        );
        let h1 = c.period("2026-H1").unwrap();
        assert_eq!(
            (h1.start, h1.end, h1.cutoff),
            (d("2026-01-01"), d("2026-06-30"), d("2026-05-31"))
        );
        let h2 = c.period("2026-H2").unwrap();
        assert_eq!((h2.cutoff, h2.deadline), (d("2026-12-31"), d("2027-01-10")));
        let yp = c.period("2026-YP").unwrap();
        assert_eq!(
            (yp.cutoff, yp.kind),
            (d("2026-10-31"), PeriodKind::YearPreliminary)
        );
        let y = c.period("2026").unwrap();
        assert_eq!((y.cutoff, y.deadline), (d("2026-12-31"), d("2027-02-20")));
    }

    #[test]
    fn bad_keys_are_rejected() {
        let c = PeriodsConfig::default();
        for bad in [
            "", "26", "2026-13", "2026-00", "2026-Q5", "2026-Q0", "2026-H3", "2026-7", "2026-07x",
            " 2026", "2026-y", "2026-yp", "abcd", "1899", "2026-Q1 ", "2026/07",
        ] {
            assert_eq!(
                c.period(bad),
                Err(PeriodError { key: bad.into() }),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn preliminary_cutoff_is_configurable_to_30_november() {
        let text = "year_preliminary_cutoff = { month = 11, day = 30 }\nmonth_deadline_day = 7\n";
        let c = PeriodsConfig::from_toml(text).unwrap();
        assert_eq!(c.period("2025-YP").unwrap().cutoff, d("2025-11-30"));
        assert_eq!(c.period("2025-01").unwrap().deadline, d("2025-02-07"));
        assert!(PeriodsConfig::from_toml("month_deadline_day = \"x\"").is_err());
    }

    #[test]
    fn previous_and_recent_walk_back_across_years() {
        let c = PeriodsConfig::default();
        assert_eq!(c.previous(&c.period("2026-01").unwrap()).key, "2025-12");
        assert_eq!(c.previous(&c.period("2026-Q1").unwrap()).key, "2025-Q4");
        assert_eq!(c.previous(&c.period("2026-H1").unwrap()).key, "2025-H2");
        assert_eq!(c.previous(&c.period("2026-YP").unwrap()).key, "2025-YP");
        assert_eq!(c.previous(&c.period("2026").unwrap()).key, "2025");
        let keys: Vec<_> = c
            .recent(d("2026-02-10"), PeriodKind::Quarter, 3)
            .into_iter()
            .map(|p| p.key)
            .collect();
        assert_eq!(keys, ["2026-Q1", "2025-Q4", "2025-Q3"]);
    }

    #[test]
    fn labels_in_both_languages() {
        let c = PeriodsConfig::default();
        let h1 = c.period("2026-H1").unwrap();
        assert_eq!(h1.label(Lang::Vi), "6 tháng đầu năm 2026");
        assert_eq!(h1.label(Lang::En), "First half of 2026");
        assert_eq!(c.period("2026-Q3").unwrap().label(Lang::Vi), "Quý III/2026");
        assert_eq!(c.period("2026-07").unwrap().label(Lang::En), "July 2026");
    }

    fn decree_09() -> PeriodsConfig {
        PeriodsConfig::from_toml("window_start_day = 15\nmonth_deadline_day = 20\n").unwrap()
    }

    /// (start, end, cutoff) of `key`.
    fn span(c: &PeriodsConfig, key: &str) -> (NaiveDate, NaiveDate, NaiveDate) {
        let p = c.period(key).unwrap();
        (p.start, p.end, p.cutoff)
    }

    #[test]
    fn a_15th_window_shifts_every_month() {
        let c = decree_09();
        assert_eq!(
            span(&c, "2026-07"),
            (d("2026-06-15"), d("2026-07-14"), d("2026-07-14"))
        );
        // January starts in the previous year; February's window is 31 days (15 Jan – 14 Feb).
        assert_eq!(
            span(&c, "2026-01"),
            (d("2025-12-15"), d("2026-01-14"), d("2026-01-14"))
        );
        assert_eq!(
            span(&c, "2026-03"),
            (d("2026-02-15"), d("2026-03-14"), d("2026-03-14"))
        );
        // The deadline is the first 20th after the window ends.
        assert_eq!(c.period("2026-07").unwrap().deadline, d("2026-07-20"));
        assert_eq!(c.period("2026-12").unwrap().deadline, d("2026-12-20"));
        // A deadline day before the window's end falls in the next month.
        let five = PeriodsConfig {
            month_deadline_day: 5,
            quarter_deadline_day: 10,
            ..decree_09()
        };
        assert_eq!(five.period("2026-07").unwrap().deadline, d("2026-08-05"));
        assert_eq!(five.period("2026-Q4").unwrap().deadline, d("2027-01-10"));
    }

    #[test]
    fn a_15th_window_shifts_quarters_halves_and_years() {
        let c = decree_09();
        assert_eq!(
            span(&c, "2026-Q1"),
            (d("2025-12-15"), d("2026-03-14"), d("2026-03-14"))
        );
        assert_eq!(
            span(&c, "2026-Q3"),
            (d("2026-06-15"), d("2026-09-14"), d("2026-09-14"))
        );
        assert_eq!(c.period("2026-Q3").unwrap().deadline, d("2026-10-10"));
        // H1: 15 Dec – 14 Jun, the default 31 May cut-off lies inside it.
        assert_eq!(
            span(&c, "2026-H1"),
            (d("2025-12-15"), d("2026-06-14"), d("2026-05-31"))
        );
        assert_eq!(c.period("2026-H1").unwrap().deadline, d("2026-06-10"));
        // H2: 15 Jun – 14 Dec; the default 31 Dec cut-off is clamped to the window's end.
        assert_eq!(
            span(&c, "2026-H2"),
            (d("2026-06-15"), d("2026-12-14"), d("2026-12-14"))
        );
        assert_eq!(c.period("2026-H2").unwrap().deadline, d("2027-01-10"));
        assert_eq!(
            span(&c, "2026-YP"),
            (d("2025-12-15"), d("2026-12-14"), d("2026-10-31"))
        );
        assert_eq!(
            span(&c, "2026"),
            (d("2025-12-15"), d("2026-12-14"), d("2026-12-14"))
        );
        assert_eq!(c.period("2026").unwrap().deadline, d("2027-02-20"));
    }

    #[test]
    fn a_15th_window_keeps_cutoffs_configurable_and_inside() {
        let text = "window_start_day = 15\n\
                    h1_cutoff = { month = 6, day = 10 }\n\
                    h2_cutoff = { month = 11, day = 30 }\n\
                    year_preliminary_cutoff = { month = 12, day = 20 }\n";
        let c = PeriodsConfig::from_toml(text).unwrap();
        assert_eq!(c.period("2026-H1").unwrap().cutoff, d("2026-06-10"));
        assert_eq!(c.period("2026-H2").unwrap().cutoff, d("2026-11-30"));
        // 20 December is after the year's window (it ends on the 14th): clamped.
        assert_eq!(c.period("2026-YP").unwrap().cutoff, d("2026-12-14"));
        // A cut-off is read in the key's year: 31 December is past H1's window, clamped to its end.
        let dec = PeriodsConfig::from_toml(
            "window_start_day = 15\nh1_cutoff = { month = 12, day = 31 }\n",
        )
        .unwrap();
        assert_eq!(dec.period("2026-H1").unwrap().cutoff, d("2026-06-14"));
        for bad in [
            "window_start_day = 0",
            "window_start_day = 29",
            "window_start_day = 31",
        ] {
            assert!(PeriodsConfig::from_toml(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_15th_window_contains_the_14th_and_the_15th_in_different_periods() {
        let c = decree_09();
        let key = |kind, day: &str| c.containing(kind, d(day)).unwrap().key;
        assert_eq!(key(PeriodKind::Month, "2026-07-14"), "2026-07");
        assert_eq!(key(PeriodKind::Month, "2026-07-15"), "2026-08");
        assert_eq!(key(PeriodKind::Month, "2025-12-14"), "2025-12");
        assert_eq!(key(PeriodKind::Month, "2025-12-15"), "2026-01");
        assert_eq!(key(PeriodKind::Quarter, "2026-03-14"), "2026-Q1");
        assert_eq!(key(PeriodKind::Quarter, "2026-03-15"), "2026-Q2");
        assert_eq!(key(PeriodKind::Quarter, "2025-12-15"), "2026-Q1");
        assert_eq!(key(PeriodKind::HalfYear, "2026-06-14"), "2026-H1");
        assert_eq!(key(PeriodKind::HalfYear, "2026-06-15"), "2026-H2");
        assert_eq!(key(PeriodKind::HalfYear, "2025-12-15"), "2026-H1");
        assert_eq!(key(PeriodKind::Year, "2026-12-14"), "2026");
        assert_eq!(key(PeriodKind::Year, "2026-12-15"), "2027");
        assert_eq!(key(PeriodKind::YearPreliminary, "2025-12-15"), "2026-YP");
        // Every day belongs to exactly the period that contains it.
        let mut day = d("2025-11-01");
        while day <= d("2027-01-31") {
            for kind in PeriodKind::ALL {
                let p = c.containing(kind, day).unwrap();
                assert!(p.contains(day), "{kind:?} {day} {p:?}");
            }
            day = day.succ_opt().unwrap();
        }
    }

    #[test]
    fn a_15th_window_walks_back_and_labels_by_its_end() {
        let c = decree_09();
        let prev = |k: &str| c.previous(&c.period(k).unwrap());
        let p = prev("2026-01");
        assert_eq!(
            (p.key.as_str(), p.start, p.end),
            ("2025-12", d("2025-11-15"), d("2025-12-14"))
        );
        assert_eq!(prev("2026-Q1").key, "2025-Q4");
        assert_eq!(prev("2026-H1").key, "2025-H2");
        assert_eq!(prev("2026-H2").key, "2026-H1");
        assert_eq!(prev("2026").key, "2025");
        assert_eq!(prev("2026-YP").key, "2025-YP");
        // Consecutive periods meet without a gap.
        for key in ["2026-03", "2026-Q2", "2026-H2", "2026"] {
            assert_eq!(
                prev(key).end.succ_opt().unwrap(),
                c.period(key).unwrap().start
            );
        }
        let keys: Vec<_> = c
            .recent(d("2026-01-20"), PeriodKind::Month, 3)
            .into_iter()
            .map(|p| p.key)
            .collect();
        assert_eq!(keys, ["2026-02", "2026-01", "2025-12"]);
        let jan = c.period("2026-01").unwrap();
        assert_eq!(jan.label(Lang::Vi), "Tháng 1/2026");
        assert_eq!(jan.label(Lang::En), "January 2026");
        assert_eq!(c.period("2026-Q1").unwrap().label(Lang::Vi), "Quý I/2026");
        assert_eq!(
            c.period("2026-H1").unwrap().label(Lang::En),
            "First half of 2026"
        );
        assert_eq!(
            c.period("2026-H2").unwrap().label(Lang::Vi),
            "6 tháng cuối năm 2026"
        );
        assert_eq!(c.period("2026").unwrap().label(Lang::En), "Year 2026");
    }
}
