//! Status machines, the status history kept in every document, and overdue items.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::label::{Coded, Label};
use crate::model::common::{Date, Timestamp};

/// A status enum with its allowed transitions.
pub trait Lifecycle: Coded + PartialEq {
    /// Status of a newly created record.
    fn initial() -> Self;
    /// Statuses reachable in one step from `self`.
    fn next(&self) -> &'static [Self];
    /// Whether the record is closed in this status (its result counts in reports).
    fn is_closed(&self) -> bool;
    /// Whether `to` is one allowed step from `self`.
    fn can_move_to(&self, to: Self) -> bool {
        self.next().contains(&to)
    }
}

/// One entry of a record's status history: who moved it, from what, to what, effective when.
///
/// `on` is the effective date the user gives (the day the case was closed, the day the answer
/// arrived); `at` is when the device recorded the change. "Status as of a cut-off date" uses `on`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct StatusChange {
    /// Entry id (UUIDv7), so concurrent entries from two devices are both kept.
    #[key]
    pub id: String,
    /// Previous status code (`None` for the creation entry).
    pub from: Option<String>,
    /// New status code.
    pub to: String,
    /// Effective date.
    pub on: Date,
    /// When the device recorded it.
    pub at: Timestamp,
    /// Person or device that made the change.
    pub by: String,
    /// Optional note.
    pub note: Option<String>,
}

/// The status code in force at the end of `cut_off`, from a history; `None` if the record did
/// not exist yet. Ties on the same date are broken by recording time, then entry id, so every
/// node computes the same answer.
pub fn status_as_of(history: &[StatusChange], cut_off: Date) -> Option<&str> {
    history
        .iter()
        .filter(|c| c.on <= cut_off)
        .max_by(|a, b| (a.on, a.at, &a.id).cmp(&(b.on, b.at, &b.id)))
        .map(|c| c.to.as_str())
}

/// Something past its deadline as of a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overdue {
    /// Stable code of the rule (`mediation_late_start`, `recommendation_unanswered`, …).
    pub rule: String,
    /// The field or item concerned (`mediation.started_on`, `inspection.recommendations[<id>]`).
    pub field: String,
    /// The deadline that passed.
    pub due_on: Date,
    /// Days past the deadline as of the date asked.
    pub days_late: i64,
    /// What it is, in both languages.
    pub vi: String,
    /// English text.
    pub en: String,
}

/// Bilingual label of a status code of any kind (for history display).
pub fn status_label<S: Coded>(code: &str) -> Option<Label> {
    S::from_code(code).map(|s| s.label())
}
