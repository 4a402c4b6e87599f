//! "As of" semantics shared by reports, completeness and the late-amendment hook: a record's
//! status on a day is the last history entry effective on or before it; a record whose main date
//! is after the day, or with no history entry by then, does not exist yet.
//!
//! Days are `i32` day numbers (`NaiveDate::num_days_from_ce`); statuses are small per-kind codes.

use chrono::{Datelike, NaiveDate};
use danvan_core::RecordKind;
use danvan_core::facts::Fact;

/// A day number (days from the common era, as chrono counts them).
pub type Day = i32;

/// The day number of `date`.
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
        _ => UNKNOWN,
    }
}

/// Whether a status of `kind` is open (the matter is still being handled).
pub fn is_open(kind: RecordKind, status: u8) -> bool {
    match kind {
        RecordKind::Mediation => status == med::RECEIVED || status == med::MEDIATING,
        RecordKind::Inspection => status != ins::CLOSED && status != UNKNOWN,
        RecordKind::Democracy => status == dem::DRAFT || status == dem::RETURNED,
    }
}

/// The status effective on `on` and the day it took effect: the last entry with day ≤ `on`
/// (`days` ascending, as facts keep them).
pub fn status_at(days: &[Day], statuses: &[u8], on: Day) -> Option<(u8, Day)> {
    let i = days.partition_point(|d| *d <= on);
    (i > 0).then(|| (statuses[i - 1], days[i - 1]))
}

/// Whether a record takes part in a period's figures as of `cutoff`: it exists by then and was
/// received (started, checked) in the period, carried over open into it, or changed status in
/// it. Used for completeness counts and to flag late amendments of a locked period.
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

/// [`contributes`] for a fact row (the late-amendment hook's view).
pub fn fact_contributes(fact: &Fact, start: NaiveDate, cutoff: NaiveDate) -> bool {
    let Some(main) = fact.main_date else {
        return false;
    };
    let days: Vec<Day> = fact.history.iter().map(|h| day(h.on.0)).collect();
    let statuses: Vec<u8> = fact
        .history
        .iter()
        .map(|h| status_code(fact.kind, &h.status))
        .collect();
    contributes(
        fact.kind,
        day(main.0),
        &days,
        &statuses,
        day(start),
        day(cutoff),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Day {
        day(s.parse().unwrap())
    }

    #[test]
    fn status_as_of_follows_history_including_reverts() {
        let days = [d("2026-01-05"), d("2026-02-10"), d("2026-03-01")];
        let st = [med::RECEIVED, med::SUCCESSFUL, med::MEDIATING];
        assert_eq!(status_at(&days, &st, d("2026-01-04")), None);
        assert_eq!(
            status_at(&days, &st, d("2026-01-05")),
            Some((med::RECEIVED, d("2026-01-05")))
        );
        assert_eq!(
            status_at(&days, &st, d("2026-02-28")),
            Some((med::SUCCESSFUL, d("2026-02-10")))
        );
        assert_eq!(
            status_at(&days, &st, d("2026-06-30")),
            Some((med::MEDIATING, d("2026-03-01")))
        );
        for code in [
            "received",
            "mediating",
            "successful",
            "unsuccessful",
            "stopped",
            "referred",
            "out_of_scope",
        ] {
            assert_ne!(status_code(RecordKind::Mediation, code), UNKNOWN, "{code}");
        }
        assert_eq!(status_code(RecordKind::Mediation, "closed"), UNKNOWN);
    }

    #[test]
    fn contributes_covers_received_carried_over_and_changed() {
        let k = RecordKind::Mediation;
        let (s, c) = (d("2026-04-01"), d("2026-06-30"));
        // Received in Q1, still open: carried over into Q2.
        assert!(contributes(
            k,
            d("2026-02-01"),
            &[d("2026-02-01")],
            &[med::RECEIVED],
            s,
            c
        ));
        // Received and closed in Q1: not in Q2.
        let days = [d("2026-02-01"), d("2026-03-01")];
        assert!(!contributes(
            k,
            d("2026-02-01"),
            &days,
            &[med::RECEIVED, med::SUCCESSFUL],
            s,
            c
        ));
        // Received after the cut-off: does not exist yet.
        assert!(!contributes(
            k,
            d("2026-07-02"),
            &[d("2026-07-02")],
            &[med::RECEIVED],
            s,
            c
        ));
        // Closed in Q1, reverted in Q2: changed in the period.
        let days = [d("2026-02-01"), d("2026-03-01"), d("2026-05-01")];
        let st = [med::RECEIVED, med::SUCCESSFUL, med::MEDIATING];
        assert!(contributes(k, d("2026-02-01"), &days, &st, s, c));
    }
}
