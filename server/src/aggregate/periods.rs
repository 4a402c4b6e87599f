//! Reporting periods: month, quarter, six months, preliminary year and year, each with the day
//! its figures are computed *as of* (the cut-off) and its submission deadline.
//!
//! Defaults follow Ministry of Justice Circular 03/2019/TT-BTP practice: the six-month report
//! carries actual figures to 31 May, the preliminary annual report to 31 October (some bodies
//! use 30 November: configurable), every other period is cut off on its last day. Keys parse
//! strictly (`2026-07`, `2026-Q3`, `2026-H1`, `2026-YP`, `2026`); anything else is a
//! [`PeriodError`], which the HTTP layer maps to 400 `bad_period`.

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
        let y = self.start.year();
        match (self.kind, lang) {
            (PeriodKind::Month, Lang::Vi) => format!("Tháng {}/{y}", self.start.month()),
            (PeriodKind::Month, Lang::En) => self.start.format("%B %Y").to_string(),
            (PeriodKind::Quarter, Lang::Vi) => {
                format!("Quý {}/{y}", roman(self.start.month0() / 3 + 1))
            }
            (PeriodKind::Quarter, Lang::En) => format!("Q{} {y}", self.start.month0() / 3 + 1),
            (PeriodKind::HalfYear, Lang::Vi) if self.start.month() == 1 => {
                format!("6 tháng đầu năm {y}")
            }
            (PeriodKind::HalfYear, Lang::Vi) => format!("6 tháng cuối năm {y}"),
            (PeriodKind::HalfYear, Lang::En) if self.start.month() == 1 => {
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
    /// Read a TOML file of settings (missing keys keep their defaults).
    pub fn from_toml(text: &str) -> Result<Self, String> {
        toml::from_str(text).map_err(|e| e.to_string())
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

    /// The period of `kind` in `year` with number `n` (month 1–12, quarter 1–4, half 1–2).
    fn build(&self, kind: PeriodKind, year: i32, n: u32) -> Option<Period> {
        let (key, start, end, cutoff, deadline) = match kind {
            PeriodKind::Month => {
                let start = ymd(year, n, 1)?;
                let end = last_day(start);
                let next = end.succ_opt()?;
                let deadline = MonthDay {
                    month: next.month(),
                    day: self.month_deadline_day,
                }
                .in_year(next.year());
                (format!("{year}-{n:02}"), start, end, end, deadline)
            }
            PeriodKind::Quarter => {
                let start = ymd(year, (n - 1) * 3 + 1, 1)?;
                let end = last_day(ymd(year, n * 3, 1)?);
                let next = end.succ_opt()?;
                let deadline = MonthDay {
                    month: next.month(),
                    day: self.quarter_deadline_day,
                }
                .in_year(next.year());
                (format!("{year}-Q{n}"), start, end, end, deadline)
            }
            PeriodKind::HalfYear if n == 1 => (
                format!("{year}-H1"),
                ymd(year, 1, 1)?,
                ymd(year, 6, 30)?,
                self.h1_cutoff.in_year(year),
                self.h1_deadline.in_year(year),
            ),
            PeriodKind::HalfYear => (
                format!("{year}-H2"),
                ymd(year, 7, 1)?,
                ymd(year, 12, 31)?,
                self.h2_cutoff.in_year(year),
                self.h2_deadline.in_year(year + 1),
            ),
            PeriodKind::YearPreliminary => (
                format!("{year}-YP"),
                ymd(year, 1, 1)?,
                ymd(year, 12, 31)?,
                self.year_preliminary_cutoff.in_year(year),
                self.year_preliminary_deadline.in_year(year),
            ),
            PeriodKind::Year => (
                format!("{year}"),
                ymd(year, 1, 1)?,
                ymd(year, 12, 31)?,
                ymd(year, 12, 31)?,
                self.year_deadline.in_year(year + 1),
            ),
        };
        // A misconfigured cut-off never leaves the period.
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
        let (y, m) = (day.year(), day.month());
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
}
