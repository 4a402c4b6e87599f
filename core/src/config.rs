//! Rules that are configuration, not constants (docs/domain.md tags them `[config]`).
//!
//! The defaults follow the law as read in `docs/domain.md` and `docs/legal-sources.md`; a city
//! sets its own in the server's configuration file and the phones receive them with the app.

use chrono::{Datelike, Weekday};
use serde::{Deserialize, Serialize};

use crate::model::common::Date;

/// Deadlines and thresholds. Every city may set its own; the defaults follow the law as read in
/// `docs/domain.md`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RulesConfig {
    /// A mediator starts within this many days of being assigned (Law 35/2013 art. 20: 3 days).
    pub mediation_start_days: i64,
    /// An authority answers an inspection-board recommendation within this many days (default 15).
    pub recommendation_answer_days: i64,
    /// A remediation item of a democracy check is overdue after its due date plus this grace.
    pub remediation_grace_days: i64,
    /// Share of household representatives needed for a people's decision (art. 15): > 50 %.
    pub decision_threshold_percent: u32,
    /// Deadlines of citizens' petitions (complaints, denunciations, recommendations).
    pub petitions: PetitionDeadlines,
    /// How often leaders must hold dialogues and receive citizens.
    pub dialogues: DialogueFrequency,
    /// Public holidays and compensatory days off: not working days (the Prime Minister's yearly
    /// notice). Saturdays and Sundays are never working days for State bodies.
    pub holidays: Vec<Date>,
    /// Limits on attached files (size, count, media types, photo downscaling).
    pub attachments: crate::attachment::AttachmentRules,
}

impl Default for RulesConfig {
    fn default() -> Self {
        RulesConfig {
            mediation_start_days: 3,
            recommendation_answer_days: 15,
            remediation_grace_days: 0,
            decision_threshold_percent: 50,
            petitions: PetitionDeadlines::default(),
            dialogues: DialogueFrequency::default(),
            holidays: default_holidays(),
            attachments: crate::attachment::AttachmentRules::default(),
        }
    }
}

/// A time limit: so many days, counted as calendar days or as working days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Days {
    /// Number of days.
    pub days: i64,
    /// Whether only working days count (Monday to Friday, not a holiday).
    pub working: bool,
}

impl Days {
    /// `days` calendar days.
    pub const fn calendar(days: i64) -> Days {
        Days {
            days,
            working: false,
        }
    }

    /// `days` working days.
    pub const fn working(days: i64) -> Days {
        Days {
            days,
            working: true,
        }
    }
}

/// Resolution time limits of one kind of petition, by complexity and place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolveDays {
    /// The usual case.
    pub normal: Days,
    /// A complex case (vụ việc phức tạp).
    pub complex: Days,
    /// In a remote or especially difficult area (vùng sâu, vùng xa, đi lại khó khăn).
    pub remote: Days,
    /// Complex, in a remote area.
    pub remote_complex: Days,
}

/// Deadlines of citizens' petitions (docs/domain.md §4). All counted from the day after the
/// event (receipt, acceptance, an extension's decision); a calendar limit whose last day is not
/// a working day ends on the next working day (Civil Code 2015 art. 148).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PetitionDeadlines {
    /// Classify and handle a received petition (xử lý đơn): accept, forward, return or file it.
    pub classify: Days,
    /// Accept (thụ lý) a complaint, from receipt (Law on Complaints 2011 art. 27).
    pub complaint_accept: Days,
    /// Resolve a first-time complaint, from acceptance (art. 28).
    pub complaint_resolve: ResolveDays,
    /// Resolve a second-time complaint, from acceptance (art. 37).
    pub complaint_second_resolve: ResolveDays,
    /// Decide whether to accept a denunciation, from receipt (Law on Denunciations 2018 art. 24(1)).
    pub denunciation_accept: Days,
    /// Forward a denunciation the commune is not competent for, and tell the denunciator, from
    /// receipt (art. 24(2)).
    pub denunciation_forward: Days,
    /// Resolve a denunciation, from acceptance (art. 30).
    pub denunciation_resolve: ResolveDays,
    /// Each extension of a denunciation's resolution (art. 30).
    pub denunciation_extension: Days,
    /// Extensions allowed for a complex denunciation.
    pub denunciation_extensions_complex: u32,
    /// Extensions allowed for an especially complex denunciation.
    pub denunciation_extensions_especially_complex: u32,
    /// Answer a recommendation or reflection (kiến nghị, phản ánh), from acceptance.
    pub feedback_resolve: ResolveDays,
}

impl Default for PetitionDeadlines {
    fn default() -> Self {
        let same = |d| ResolveDays {
            normal: d,
            complex: d,
            remote: d,
            remote_complex: d,
        };
        PetitionDeadlines {
            classify: Days::working(10),
            complaint_accept: Days::calendar(10),
            complaint_resolve: ResolveDays {
                normal: Days::calendar(30),
                complex: Days::calendar(45),
                remote: Days::calendar(45),
                remote_complex: Days::calendar(60),
            },
            complaint_second_resolve: ResolveDays {
                normal: Days::calendar(45),
                complex: Days::calendar(60),
                remote: Days::calendar(60),
                remote_complex: Days::calendar(70),
            },
            denunciation_accept: Days::working(7),
            denunciation_forward: Days::working(5),
            denunciation_resolve: same(Days::calendar(30)),
            denunciation_extension: Days::calendar(30),
            denunciation_extensions_complex: 1,
            denunciation_extensions_especially_complex: 2,
            feedback_resolve: same(Days::calendar(30)),
        }
    }
}

/// How often the heads hold direct dialogues and receive citizens (docs/domain.md §5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DialogueFrequency {
    /// Direct dialogues a commune's heads hold per year, at least (Law on the Organisation of
    /// Local Government 2025 art. 43: once a year).
    pub dialogues_per_year: u32,
    /// Citizen-reception days the head of the commune's Party committee holds per month, at
    /// least (Quy định 11-QĐi/TW as amended by Kết luận 215-KL/TW: two at commune level).
    pub secretary_reception_days_per_month: u32,
    /// Citizen-reception days the commune chairman holds per month, at least (two a month since
    /// Law 136/2025/QH15, in force 1 July 2026; one a week before).
    pub chairman_reception_days_per_month: u32,
}

impl Default for DialogueFrequency {
    fn default() -> Self {
        DialogueFrequency {
            dialogues_per_year: 1,
            secretary_reception_days_per_month: 2,
            chairman_reception_days_per_month: 2,
        }
    }
}

impl DialogueFrequency {
    /// Leaders' reception days expected in a period of `days` days: the Party secretary's and
    /// the chairman's monthly minimum, pro rata over months of 365/12 days, rounded to the
    /// nearest day (a month expects 2 + 2 = 4 by default, a quarter 12, a half-year of 181 days
    /// 23.8 → 24).
    pub fn reception_days_expected(&self, days: i64) -> u32 {
        let per_month = i64::from(
            self.secretary_reception_days_per_month + self.chairman_reception_days_per_month,
        );
        pro_rata(per_month * 12, days)
    }

    /// Dialogues expected in a period of `days` days: the yearly minimum pro rata, rounded to
    /// the nearest whole dialogue (twice a year expects one in a half-year; once a year expects
    /// none in a half-year and one in the year).
    pub fn dialogues_expected(&self, days: i64) -> u32 {
        pro_rata(i64::from(self.dialogues_per_year), days)
    }
}

/// `per_year` over a period of `days` days, rounded to the nearest whole number (half up).
fn pro_rata(per_year: i64, days: i64) -> u32 {
    let n = (per_year * days.max(0) * 2 + 365) / 730;
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl RulesConfig {
    /// Read a configuration written in TOML (every key optional; absent keys keep the law's
    /// defaults). Refuses negative day counts.
    pub fn from_toml(text: &str) -> Result<RulesConfig, String> {
        let c: RulesConfig = toml::from_str(text).map_err(|e| e.to_string())?;
        let p = &c.petitions;
        let mut limits = vec![
            ("petitions.classify", p.classify),
            ("petitions.complaint_accept", p.complaint_accept),
            ("petitions.denunciation_accept", p.denunciation_accept),
            ("petitions.denunciation_forward", p.denunciation_forward),
            ("petitions.denunciation_extension", p.denunciation_extension),
        ];
        for (name, r) in [
            ("petitions.complaint_resolve", p.complaint_resolve),
            (
                "petitions.complaint_second_resolve",
                p.complaint_second_resolve,
            ),
            ("petitions.denunciation_resolve", p.denunciation_resolve),
            ("petitions.feedback_resolve", p.feedback_resolve),
        ] {
            limits.extend([
                (name, r.normal),
                (name, r.complex),
                (name, r.remote),
                (name, r.remote_complex),
            ]);
        }
        if let Some((name, d)) = limits.iter().find(|(_, d)| !(0..=3650).contains(&d.days)) {
            return Err(format!("{name}: {} days is not between 0 and 3650", d.days));
        }
        Ok(c)
    }

    /// Whether `day` is a working day of State bodies: Monday to Friday and not a holiday.
    pub fn is_working_day(&self, day: Date) -> bool {
        !matches!(day.0.weekday(), Weekday::Sat | Weekday::Sun) && !self.holidays.contains(&day)
    }

    /// The last day of a time limit of `limit` counted from the day after `from`: for working
    /// days, the `limit.days`-th working day after `from`; for calendar days `from + days`,
    /// moved to the next working day when that is a weekend or holiday (Civil Code art. 148).
    pub fn deadline(&self, from: Date, limit: Days) -> Date {
        if limit.working {
            let mut day = from;
            let mut left = limit.days;
            // A limit is at most a few hundred days; the bound only guards bad configuration.
            let mut guard = 0;
            while left > 0 && guard < 10_000 {
                day = day.plus_days(1);
                if self.is_working_day(day) {
                    left -= 1;
                }
                guard += 1;
            }
            day
        } else {
            let mut day = from.plus_days(limit.days);
            let mut guard = 0;
            while !self.is_working_day(day) && guard < 60 {
                day = day.plus_days(1);
                guard += 1;
            }
            day
        }
    }
}

/// Vietnam's public holidays and the compensatory days off of 2025 and 2026 (Labour Code 2019
/// art. 112 and the Prime Minister's notices), weekdays only: weekends are never working days.
/// Configuration: a city adds each year's notice.
fn default_holidays() -> Vec<Date> {
    const DAYS: &[(i32, u32, u32)] = &[
        // 2025: New Year; Tết (25 Jan – 2 Feb); Hùng Kings (7 Apr); 30 Apr – 1 May and the
        // swapped 2 May; National Day (1–2 Sep).
        (2025, 1, 1),
        (2025, 1, 27),
        (2025, 1, 28),
        (2025, 1, 29),
        (2025, 1, 30),
        (2025, 1, 31),
        (2025, 4, 7),
        (2025, 4, 30),
        (2025, 5, 1),
        (2025, 5, 2),
        (2025, 9, 1),
        (2025, 9, 2),
        // 2026: New Year (1–2 Jan); Tết (14–22 Feb); Hùng Kings (26 Apr, a Sunday, off on
        // 27 Apr); 30 Apr – 1 May; National Day (1–2 Sep).
        (2026, 1, 1),
        (2026, 1, 2),
        (2026, 2, 16),
        (2026, 2, 17),
        (2026, 2, 18),
        (2026, 2, 19),
        (2026, 2, 20),
        (2026, 4, 27),
        (2026, 4, 30),
        (2026, 5, 1),
        (2026, 9, 1),
        (2026, 9, 2),
    ];
    DAYS.iter()
        .filter_map(|&(y, m, d)| Date::ymd(y, m, d))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> Date {
        Date::ymd(y, m, day).unwrap_or(Date(chrono::NaiveDate::MIN))
    }

    #[test]
    fn working_days_skip_weekends_and_holidays() {
        let cfg = RulesConfig::default();
        // Received Thu 24 Apr 2025; 7 working days: Fri 25, Mon 28, Tue 29, (30 Apr, 1–2 May
        // holidays; 3–4 weekend), Mon 5, Tue 6, Wed 7, Thu 8 May.
        assert_eq!(
            cfg.deadline(d(2025, 4, 24), Days::working(7)),
            d(2025, 5, 8)
        );
    }

    #[test]
    fn a_calendar_limit_ending_on_a_day_off_ends_on_the_next_working_day() {
        let cfg = RulesConfig::default();
        // 2 Mar 2026 + 30 days = Wed 1 Apr 2026, a working day.
        assert_eq!(
            cfg.deadline(d(2026, 3, 2), Days::calendar(30)),
            d(2026, 4, 1)
        );
        // 1 Apr 2026 + 29 = Thu 30 Apr (holiday), Fri 1 May (holiday), weekend → Mon 4 May.
        assert_eq!(
            cfg.deadline(d(2026, 4, 1), Days::calendar(29)),
            d(2026, 5, 4)
        );
    }

    #[test]
    fn the_example_configuration_file_is_the_default() {
        let text = include_str!("../../server/config/rules.example.toml");
        assert_eq!(RulesConfig::from_toml(text), Ok(RulesConfig::default()));
        let partial = RulesConfig::from_toml(
            "[petitions]\ncomplaint_accept = { days = 5, working = true }\n",
        );
        let partial = partial.unwrap_or_default();
        assert_eq!(partial.petitions.complaint_accept, Days::working(5));
        assert_eq!(partial.petitions.denunciation_accept, Days::working(7));
        assert!(
            RulesConfig::from_toml("[petitions]\nclassify = { days = -1, working = true }\n")
                .is_err()
        );
    }

    #[test]
    fn expected_reception_days_are_the_monthly_minimum_pro_rata() {
        let f = DialogueFrequency::default();
        // 4 a month: the year 48; a 31-day month 4 × 31 × 12 / 365 = 4.08 → 4; a quarter of 90
        // days 11.8 → 12; a half-year of 181 days 23.8 → 24.
        assert_eq!(f.reception_days_expected(365), 48);
        assert_eq!(f.reception_days_expected(31), 4);
        assert_eq!(f.reception_days_expected(90), 12);
        assert_eq!(f.reception_days_expected(181), 24);
    }

    #[test]
    fn expected_dialogues_are_the_yearly_minimum_pro_rata() {
        let f = DialogueFrequency {
            dialogues_per_year: 2,
            ..DialogueFrequency::default()
        };
        // 2 × 365 / 365 = 2; 2 × 181 / 365 = 0.99 → 1; 2 × 90 / 365 = 0.49 → 0.
        assert_eq!(f.dialogues_expected(365), 2);
        assert_eq!(f.dialogues_expected(181), 1);
        assert_eq!(f.dialogues_expected(90), 0);
        // Once a year: 181 / 365 = 0.496 → 0; the year → 1.
        assert_eq!(DialogueFrequency::default().dialogues_expected(181), 0);
        assert_eq!(DialogueFrequency::default().dialogues_expected(365), 1);
    }
}
