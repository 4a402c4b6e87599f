//! The fact row: one flat row per record that the server writes after every accepted merge and
//! that aggregation reads (DESIGN.md decision 7). Aggregates never open documents.
//!
//! A fact carries no personal data: no party names, addresses, phones or named officials. It is
//! what may leave the commune.
//!
//! What a fact means **as of** a day is defined here too ([`asof`], [`Fact::contributes`]): the
//! server's aggregation counts by it, and its write path flags late amendments of a locked period
//! by it, so both read one definition of "counts in this period".

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::config::RulesConfig;
use crate::model::common::Date;
use crate::record::{Record, RecordKind};

/// One status change as facts keep it: the status code and its effective date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactStatus {
    /// Status code.
    pub status: String,
    /// Effective date.
    pub on: Date,
}

/// Something that happened on a day and counts in the period it happened in: a finding made,
/// a recommendation sent, an answer received, money or land recovered. A report sums the flows
/// dated inside its window; stocks (open, overdue, awaiting an answer) are read as of its
/// cut-off instead (ADR 0004 §3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Flow {
    /// Stable name (`finding`, `violation`, `recommendation_sent`, `answer`, `answer_on_time`,
    /// `money_recovered_vnd`, `land_recovered_m2`, `persons_disciplined`).
    pub name: String,
    /// The day it happened.
    pub on: Date,
    /// How much (1 for a counted event).
    pub value: f64,
}

impl Flow {
    /// A flow of `value` named `name` on `on`.
    pub fn new(name: &str, on: Date, value: f64) -> Flow {
        Flow {
            name: name.to_string(),
            on,
            value,
        }
    }
}

/// The de-identified, flat view of a record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fact {
    /// Record id.
    pub id: String,
    /// Kind.
    pub kind: RecordKind,
    /// Unit the record was entered under.
    pub unit: String,
    /// The day `unit` is read on (codes are reused): the creation day, or the day a historical
    /// entry names ([`crate::record::Envelope::unit_day`]).
    pub unit_on: Date,
    /// Current status code.
    pub status: String,
    /// Category code (mediation category, inspection topic, check rating).
    pub category: Option<String>,
    /// Subtype code (mediation subtype, inspection activity type).
    pub subtype: Option<String>,
    /// Main date (received on, start on, period start).
    pub main_date: Option<Date>,
    /// Date closed.
    pub closed_on: Option<Date>,
    /// Status history in force (the chain of the shown head, see
    /// [`crate::lifecycle::Timeline`]), in effective-date order.
    pub history: Vec<FactStatus>,
    /// Numeric measures by stable name (`started_late`, `violence_risk`, `money_recovered_vnd`,
    /// `items_met`, …), 0/1 for flags. Each kind documents its measures.
    pub measures: Vec<(String, f64)>,
    /// Dated flows ([`Flow`]); empty for kinds whose figures are all read from the history.
    #[serde(default)]
    pub flows: Vec<Flow>,
}

impl Fact {
    /// The fact row of `record`.
    pub fn from_record(record: &Record, cfg: &RulesConfig) -> Fact {
        let idx = record.body.index();
        // Only the chain in force: a transition on a branch a resolution superseded never
        // counts (ADR 0007).
        let mut history: Vec<_> = record.timeline().chain;
        history.sort_by(|a, b| (a.on, a.at, &a.id).cmp(&(b.on, b.at, &b.id)));
        Fact {
            id: record.envelope.id.clone(),
            kind: record.envelope.kind,
            unit: record.envelope.unit.clone(),
            unit_on: record.envelope.unit_day(),
            status: record.body.status_code().to_string(),
            category: idx.category,
            subtype: record.body.subtype(),
            main_date: idx.main_date,
            closed_on: idx.closed_on,
            history: history
                .into_iter()
                .map(|c| FactStatus {
                    status: c.to.clone(),
                    on: c.on,
                })
                .collect(),
            measures: record.body.measures(cfg),
            flows: record.body.flows(),
        }
    }

    /// A measure by name (0 when absent).
    pub fn measure(&self, name: &str) -> f64 {
        self.measures
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| *v)
            .unwrap_or(0.0)
    }

    /// Whether the record takes part in the figures of the period from `start` to `cutoff`, as
    /// of `cutoff` ([`asof::contributes`]). A record without a main date takes part in none.
    pub fn contributes(&self, start: NaiveDate, cutoff: NaiveDate) -> bool {
        let Some(main) = self.main_date else {
            return false;
        };
        let days: Vec<asof::Day> = self.history.iter().map(|h| asof::day(h.on.0)).collect();
        let statuses: Vec<u8> = self
            .history
            .iter()
            .map(|h| asof::status_code(self.kind, &h.status))
            .collect();
        asof::contributes(
            self.kind,
            asof::day(main.0),
            &days,
            &statuses,
            asof::day(start),
            asof::day(cutoff),
        )
    }
}

/// "As of" semantics: a record's status on a day is the last history entry effective on or
/// before it; a record whose main date is after the day, or with no history entry by then, does
/// not exist yet.
///
/// Days are `i32` day numbers (`NaiveDate::num_days_from_ce`); statuses are small per-kind
/// codes, so the server's in-memory fact index can hold them compactly and answer with the same
/// functions.
pub mod asof {
    use chrono::{Datelike, NaiveDate};

    use crate::record::RecordKind;

    /// A day number (days from the common era, as chrono counts them).
    pub type Day = i32;

    /// The day number of `date`.
    #[inline]
    pub fn day(date: NaiveDate) -> Day {
        date.num_days_from_ce()
    }

    /// The date of day number `d`.
    pub fn date(d: Day) -> NaiveDate {
        NaiveDate::from_num_days_from_ce_opt(d).unwrap_or(NaiveDate::MIN)
    }

    /// A status code this module does not know (kept, never counted as open or as a result).
    pub const UNKNOWN: u8 = u8::MAX;

    /// Mediation status codes.
    pub mod med {
        /// Đã tiếp nhận.
        pub const RECEIVED: u8 = 0;
        /// Đang hòa giải.
        pub const MEDIATING: u8 = 1;
        /// Hòa giải thành.
        pub const SUCCESSFUL: u8 = 2;
        /// Hòa giải không thành.
        pub const UNSUCCESSFUL: u8 = 3;
        /// Dừng hòa giải.
        pub const STOPPED: u8 = 4;
        /// Chuyển cơ quan có thẩm quyền.
        pub const REFERRED: u8 = 5;
        /// Không thuộc phạm vi.
        pub const OUT_OF_SCOPE: u8 = 6;
    }

    /// Inspection status codes.
    pub mod ins {
        /// Đang kiểm tra, giám sát.
        pub const IN_PROGRESS: u8 = 0;
        /// Đã có kiến nghị.
        pub const RECOMMENDED: u8 = 1;
        /// Chờ trả lời.
        pub const AWAITING_ANSWER: u8 = 2;
        /// Đã được xử lý.
        pub const HANDLED: u8 = 3;
        /// Đã kết thúc.
        pub const CLOSED: u8 = 4;
    }

    /// Democracy-check status codes.
    pub mod dem {
        /// Đang lập.
        pub const DRAFT: u8 = 0;
        /// Đã gửi.
        pub const SUBMITTED: u8 = 1;
        /// Trả lại.
        pub const RETURNED: u8 = 2;
        /// Đã kết thúc.
        pub const CLOSED: u8 = 3;
    }

    /// Petition status codes.
    pub mod pet {
        /// Đã tiếp nhận.
        pub const RECEIVED: u8 = 0;
        /// Đã thụ lý.
        pub const ACCEPTED: u8 = 1;
        /// Đang xác minh.
        pub const VERIFYING: u8 = 2;
        /// Đã giải quyết.
        pub const RESOLVED: u8 = 3;
        /// Đã tổ chức thi hành.
        pub const ENFORCED: u8 = 4;
        /// Đã chuyển.
        pub const FORWARDED: u8 = 5;
        /// Đã trả lại, hướng dẫn.
        pub const RETURNED: u8 = 6;
        /// Lưu đơn.
        pub const FILED: u8 = 7;
        /// Đã rút.
        pub const WITHDRAWN: u8 = 8;
    }

    /// Dialogue status codes.
    pub mod dlg {
        /// Đã lên kế hoạch.
        pub const PLANNED: u8 = 0;
        /// Đã tổ chức.
        pub const HELD: u8 = 1;
        /// Đã hoàn thành các cam kết.
        pub const CLOSED: u8 = 2;
        /// Đã hủy.
        pub const CANCELLED: u8 = 3;
    }

    /// The compact code of a status of `kind`.
    pub fn status_code(kind: RecordKind, code: &str) -> u8 {
        match (kind, code) {
            (RecordKind::Mediation, "received") => med::RECEIVED,
            (RecordKind::Mediation, "mediating") => med::MEDIATING,
            (RecordKind::Mediation, "successful") => med::SUCCESSFUL,
            (RecordKind::Mediation, "unsuccessful") => med::UNSUCCESSFUL,
            (RecordKind::Mediation, "stopped") => med::STOPPED,
            (RecordKind::Mediation, "referred") => med::REFERRED,
            (RecordKind::Mediation, "out_of_scope") => med::OUT_OF_SCOPE,
            (RecordKind::Inspection, "in_progress") => ins::IN_PROGRESS,
            (RecordKind::Inspection, "recommended") => ins::RECOMMENDED,
            (RecordKind::Inspection, "awaiting_answer") => ins::AWAITING_ANSWER,
            (RecordKind::Inspection, "handled") => ins::HANDLED,
            (RecordKind::Inspection, "closed") => ins::CLOSED,
            (RecordKind::Democracy, "draft") => dem::DRAFT,
            (RecordKind::Democracy, "submitted") => dem::SUBMITTED,
            (RecordKind::Democracy, "returned") => dem::RETURNED,
            (RecordKind::Democracy, "closed") => dem::CLOSED,
            (RecordKind::Petition, "received") => pet::RECEIVED,
            (RecordKind::Petition, "accepted") => pet::ACCEPTED,
            (RecordKind::Petition, "verifying") => pet::VERIFYING,
            (RecordKind::Petition, "resolved") => pet::RESOLVED,
            (RecordKind::Petition, "enforced") => pet::ENFORCED,
            (RecordKind::Petition, "forwarded") => pet::FORWARDED,
            (RecordKind::Petition, "returned") => pet::RETURNED,
            (RecordKind::Petition, "filed") => pet::FILED,
            (RecordKind::Petition, "withdrawn") => pet::WITHDRAWN,
            (RecordKind::Dialogue, "planned") => dlg::PLANNED,
            (RecordKind::Dialogue, "held") => dlg::HELD,
            (RecordKind::Dialogue, "closed") => dlg::CLOSED,
            (RecordKind::Dialogue, "cancelled") => dlg::CANCELLED,
            _ => UNKNOWN,
        }
    }

    /// Whether a status of `kind` is open (the matter is still being handled).
    #[inline]
    pub fn is_open(kind: RecordKind, status: u8) -> bool {
        match kind {
            RecordKind::Mediation => status == med::RECEIVED || status == med::MEDIATING,
            RecordKind::Inspection => status != ins::CLOSED && status != UNKNOWN,
            RecordKind::Democracy => status == dem::DRAFT || status == dem::RETURNED,
            RecordKind::Petition => status <= pet::VERIFYING,
            RecordKind::Dialogue => status == dlg::PLANNED || status == dlg::HELD,
        }
    }

    /// The status effective on `on` and the day it took effect: the last entry with day ≤ `on`
    /// (`days` ascending, as facts keep them).
    #[inline]
    pub fn status_at(days: &[Day], statuses: &[u8], on: Day) -> Option<(u8, Day)> {
        let i = days.partition_point(|d| *d <= on);
        (i > 0).then(|| (statuses[i - 1], days[i - 1]))
    }

    /// Whether a record takes part in a period's figures as of `cutoff`: it exists by then and
    /// was received (started, checked) in the period, carried over open into it, or changed
    /// status in it. Used for completeness counts and to flag late amendments of a locked
    /// period.
    pub fn contributes(
        kind: RecordKind,
        main: Day,
        days: &[Day],
        statuses: &[u8],
        start: Day,
        cutoff: Day,
    ) -> bool {
        if main > cutoff || status_at(days, statuses, cutoff).is_none() {
            return false;
        }
        if kind == RecordKind::Democracy {
            return main >= start;
        }
        main >= start
            || status_at(days, statuses, start - 1).is_some_and(|(s, _)| is_open(kind, s))
            || days.iter().any(|d| *d >= start && *d <= cutoff)
    }
}

#[cfg(test)]
mod tests {
    use super::asof::{self, Day, dem, ins, med};
    use super::*;

    fn d(s: &str) -> Day {
        asof::day(s.parse().expect("date"))
    }

    fn date(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    /// A fact of `kind` with main date `main` and history `(status, on)`.
    fn fact(kind: RecordKind, main: Option<&str>, history: &[(&str, &str)]) -> Fact {
        Fact {
            id: "r".into(),
            kind,
            unit: "11533".into(),
            unit_on: "2026-01-01".parse().expect("date"),
            status: history.last().map(|h| h.0.to_string()).unwrap_or_default(),
            category: None,
            subtype: None,
            main_date: main.map(|m| m.parse().expect("date")),
            closed_on: None,
            history: history
                .iter()
                .map(|(status, on)| FactStatus {
                    status: status.to_string(),
                    on: on.parse().expect("date"),
                })
                .collect(),
            measures: Vec::new(),
            flows: Vec::new(),
        }
    }

    #[test]
    fn day_numbers_round_trip() {
        let day = asof::day(date("2026-03-01"));
        assert_eq!(asof::date(day), date("2026-03-01"));
        assert_eq!(asof::day(date("2026-03-02")), day + 1);
    }

    #[test]
    fn status_as_of_follows_history_including_reverts() {
        let days = [d("2026-01-05"), d("2026-02-10"), d("2026-03-01")];
        let st = [med::RECEIVED, med::SUCCESSFUL, med::MEDIATING];
        assert_eq!(asof::status_at(&days, &st, d("2026-01-04")), None);
        assert_eq!(
            asof::status_at(&days, &st, d("2026-01-05")),
            Some((med::RECEIVED, d("2026-01-05")))
        );
        assert_eq!(
            asof::status_at(&days, &st, d("2026-02-28")),
            Some((med::SUCCESSFUL, d("2026-02-10")))
        );
        assert_eq!(
            asof::status_at(&days, &st, d("2026-06-30")),
            Some((med::MEDIATING, d("2026-03-01")))
        );
    }

    #[test]
    fn every_status_of_every_kind_has_a_code_and_others_are_unknown() {
        use RecordKind::*;
        let known = [
            (Mediation, "received"),
            (Mediation, "mediating"),
            (Mediation, "successful"),
            (Mediation, "unsuccessful"),
            (Mediation, "stopped"),
            (Mediation, "referred"),
            (Mediation, "out_of_scope"),
            (Inspection, "in_progress"),
            (Inspection, "recommended"),
            (Inspection, "awaiting_answer"),
            (Inspection, "handled"),
            (Inspection, "closed"),
            (Democracy, "draft"),
            (Democracy, "submitted"),
            (Democracy, "returned"),
            (Democracy, "closed"),
        ];
        for (kind, code) in known {
            assert_ne!(
                asof::status_code(kind, code),
                asof::UNKNOWN,
                "{kind:?} {code}"
            );
        }
        assert_eq!(asof::status_code(Mediation, "closed"), asof::UNKNOWN);
        assert_eq!(asof::status_code(Democracy, "received"), asof::UNKNOWN);
    }

    #[test]
    fn open_statuses() {
        use RecordKind::*;
        assert!(asof::is_open(Mediation, med::RECEIVED));
        assert!(asof::is_open(Mediation, med::MEDIATING));
        assert!(!asof::is_open(Mediation, med::SUCCESSFUL));
        assert!(!asof::is_open(Mediation, asof::UNKNOWN));
        assert!(asof::is_open(Inspection, ins::AWAITING_ANSWER));
        assert!(!asof::is_open(Inspection, ins::CLOSED));
        assert!(!asof::is_open(Inspection, asof::UNKNOWN));
        assert!(asof::is_open(Democracy, dem::RETURNED));
        assert!(!asof::is_open(Democracy, dem::SUBMITTED));
    }

    #[test]
    fn contributes_covers_received_carried_over_and_changed() {
        let k = RecordKind::Mediation;
        let (s, c) = (d("2026-04-01"), d("2026-06-30"));
        // Received in Q1, still open: carried over into Q2.
        let received = [d("2026-02-01")];
        assert!(asof::contributes(
            k,
            d("2026-02-01"),
            &received,
            &[med::RECEIVED],
            s,
            c
        ));
        // Received and closed in Q1: not in Q2.
        let days = [d("2026-02-01"), d("2026-03-01")];
        let st = [med::RECEIVED, med::SUCCESSFUL];
        assert!(!asof::contributes(k, d("2026-02-01"), &days, &st, s, c));
        // Received after the cut-off: does not exist yet.
        let late = [d("2026-07-02")];
        assert!(!asof::contributes(
            k,
            d("2026-07-02"),
            &late,
            &[med::RECEIVED],
            s,
            c
        ));
        // Closed in Q1, reverted in Q2: changed in the period.
        let days = [d("2026-02-01"), d("2026-03-01"), d("2026-05-01")];
        let st = [med::RECEIVED, med::SUCCESSFUL, med::MEDIATING];
        assert!(asof::contributes(k, d("2026-02-01"), &days, &st, s, c));
    }

    #[test]
    fn a_democracy_check_counts_only_in_the_period_of_its_date() {
        let k = RecordKind::Democracy;
        let (s, c) = (d("2026-04-01"), d("2026-06-30"));
        // Still a draft from Q1: not carried over (checks are not carried over).
        let q1 = [d("2026-03-10")];
        assert!(!asof::contributes(
            k,
            d("2026-03-10"),
            &q1,
            &[dem::DRAFT],
            s,
            c
        ));
        let q2 = [d("2026-05-10")];
        assert!(asof::contributes(
            k,
            d("2026-05-10"),
            &q2,
            &[dem::DRAFT],
            s,
            c
        ));
    }

    #[test]
    fn a_fact_contributes_by_its_main_date_and_history() {
        let (start, cutoff) = (date("2026-04-01"), date("2026-06-30"));
        let open = fact(
            RecordKind::Mediation,
            Some("2026-02-01"),
            &[("received", "2026-02-01")],
        );
        assert!(open.contributes(start, cutoff));
        // Same case closed before the period: out of it; the previous quarter still has it.
        let closed = fact(
            RecordKind::Mediation,
            Some("2026-02-01"),
            &[("received", "2026-02-01"), ("successful", "2026-03-01")],
        );
        assert!(!closed.contributes(start, cutoff));
        assert!(closed.contributes(date("2026-01-01"), date("2026-03-31")));
        // An inspection closed before Q2 is out of it; in March it was carried over and closed.
        let inspection = fact(
            RecordKind::Inspection,
            Some("2026-01-10"),
            &[("in_progress", "2026-01-10"), ("closed", "2026-03-15")],
        );
        assert!(!inspection.contributes(start, cutoff));
        assert!(inspection.contributes(date("2026-03-01"), date("2026-03-31")));
        // No main date: in no period.
        let undated = fact(RecordKind::Mediation, None, &[("received", "2026-05-01")]);
        assert!(!undated.contributes(start, cutoff));
        // No history entry by the cut-off: does not exist yet.
        let future = fact(
            RecordKind::Mediation,
            Some("2026-05-01"),
            &[("received", "2026-07-01")],
        );
        assert!(!future.contributes(start, cutoff));
    }
}
