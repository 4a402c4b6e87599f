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
///
/// The history is an append-only graph of transitions (ADR 0007): each entry names the entries
/// it follows in `after`. Two devices that move the same record from the same status at once
/// both append an entry after the same parent; the record then has two *heads*, which is a
/// status conflict a person resolves by appending a resolution entry (`keeps` = the head chosen,
/// `after` = every head). The current status and its dates are derived from the graph
/// ([`Timeline`]), never written as independent fields, so a merge can never pair one
/// device's status with the other's closing date.
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
    /// Ids of the entries this one follows: the head it moved from, or every head a resolution
    /// merges. Empty for the creation entry. Documents written before this field existed have
    /// it empty on every entry; such an entry follows the one before it in the list.
    #[serde(default)]
    #[autosurgeon(missing = "Vec::new")]
    pub after: Vec<String>,
    /// For a resolution entry: the id of the head that was chosen (its status and effective
    /// date carry on; the other branches are superseded).
    #[serde(default)]
    #[autosurgeon(missing = "Option::default")]
    pub keeps: Option<String>,
    /// For a correction entry: the id of the closing entry it corrects (ADR 0009). The
    /// corrected entry is treated as never effective: the chain in force skips it, so the record
    /// is open again, in the status it had before, from the wrong closing's effective date. A
    /// correction follows exactly the entry it corrects, goes from its `to` back to its `from`,
    /// takes its effective date, and carries its reason in `note` (required).
    #[serde(default)]
    #[autosurgeon(missing = "Option::default")]
    pub corrects: Option<String>,
}

impl StatusChange {
    /// Whether this entry resolves a status conflict.
    pub fn is_resolution(&self) -> bool {
        self.keeps.is_some()
    }

    /// Whether this entry corrects a wrongly closing entry.
    pub fn is_correction(&self) -> bool {
        self.corrects.is_some()
    }
}

/// The status graph of a history, read once: its heads and the chain of entries in force.
///
/// - **Heads** are the entries nothing follows. One head: the status is its `to`. Several heads:
///   a status conflict. Every device shows the same head first (latest effective date, then
///   latest recording time, then entry id), so a record with a conflict still shows one status.
/// - **The chain** walks back from the shown head, following a resolution entry's kept branch
///   only, so entries on a superseded branch never count in "status as of a date".
/// - **A correction** (ADR 0009) is in the chain; the closing it corrects is not: from the
///   correction the walk goes on from the entry the corrected closing moved from (through a
///   corrected resolution's kept branch), so the wrong closing never counts on any day.
#[derive(Debug, Clone)]
pub struct Timeline<'a> {
    /// Heads, the shown one first.
    pub heads: Vec<&'a StatusChange>,
    /// Entries in force, oldest first (the shown head last).
    pub chain: Vec<&'a StatusChange>,
    /// Entries skipped because a correction in the chain corrects them (a corrected
    /// resolution and the branch head it kept), oldest first. They stay in the history, shown
    /// as corrected.
    pub corrected: Vec<&'a StatusChange>,
}

impl<'a> Timeline<'a> {
    /// Read `history`. Never fails: references to unknown entries are ignored here (validation
    /// reports them), and a cycle is cut where it closes.
    pub fn of(history: &'a [StatusChange]) -> Timeline<'a> {
        use std::collections::{HashMap, HashSet};
        let by_id: HashMap<&str, &StatusChange> =
            history.iter().map(|c| (c.id.as_str(), c)).collect();
        let mut followed: HashSet<&str> = HashSet::new();
        for i in 0..history.len() {
            for p in parents(history, i) {
                followed.insert(p);
            }
        }
        let mut heads: Vec<&StatusChange> = history
            .iter()
            .filter(|c| !followed.contains(c.id.as_str()))
            .collect();
        heads.sort_by(|a, b| shown_order(b).cmp(&shown_order(a)));
        let mut chain = Vec::new();
        let mut corrected = Vec::new();
        let mut seen: HashSet<&str> = HashSet::new();
        let index: HashMap<&str, usize> = history
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id.as_str(), i))
            .collect();
        // The entry `c` follows in the chain: a resolution's kept head, else its parent (the
        // one shown first if several: danvan never writes that, but every node must agree).
        let previous = |c: &'a StatusChange| -> Option<&'a StatusChange> {
            if let Some(k) = &c.keeps {
                return by_id.get(k.as_str()).copied();
            }
            let i = index.get(c.id.as_str()).copied()?;
            let mut ps: Vec<&StatusChange> = parents(history, i)
                .filter_map(|p| by_id.get(p).copied())
                .collect();
            ps.sort_by(|a, b| shown_order(b).cmp(&shown_order(a)));
            ps.first().copied()
        };
        let mut cur = heads.first().copied();
        while let Some(c) = cur {
            if !seen.insert(c.id.as_str()) {
                break;
            }
            chain.push(c);
            cur = match c.corrects.as_deref().and_then(|x| by_id.get(x).copied()) {
                // Skip the corrected closing (and, for a resolution, the head it kept) and go
                // on from the entry it moved from.
                Some(mut wrong) => loop {
                    if !seen.insert(wrong.id.as_str()) {
                        break None;
                    }
                    corrected.push(wrong);
                    match wrong.keeps.as_deref().and_then(|k| by_id.get(k).copied()) {
                        Some(kept) => wrong = kept,
                        None => break previous(wrong),
                    }
                },
                None => previous(c),
            };
        }
        chain.reverse();
        corrected.reverse();
        Timeline {
            heads,
            chain,
            corrected,
        }
    }

    /// Whether the entry `id` is corrected by a correction in force (shown as corrected).
    pub fn is_corrected(&self, id: &str) -> bool {
        self.corrected.iter().any(|c| c.id == id)
    }

    /// The closing entry a correction may correct now: the shown head, when nothing is in
    /// conflict, its status is a closed one (`is_closed`) and it is not itself a correction.
    pub fn correctable(&self, is_closed: impl Fn(&str) -> bool) -> Option<&'a StatusChange> {
        let head = self.current()?;
        (!self.in_conflict() && !head.is_correction() && head.from.is_some() && is_closed(&head.to))
            .then_some(head)
    }

    /// The entry shown as current (`None` only for an empty history).
    pub fn current(&self) -> Option<&'a StatusChange> {
        self.heads.first().copied()
    }

    /// Whether several devices moved the record at once and nobody has chosen yet.
    pub fn in_conflict(&self) -> bool {
        self.heads.len() > 1
    }

    /// Status code in force at the end of `cut_off`: the last entry of the chain effective on
    /// or before it; `None` if the record did not exist yet.
    pub fn status_as_of(&self, cut_off: Date) -> Option<&'a str> {
        self.chain
            .iter()
            .filter(|c| c.on <= cut_off)
            .max_by(|a, b| (a.on, a.at, &a.id).cmp(&(b.on, b.at, &b.id)))
            .map(|c| c.to.as_str())
    }
}

/// Ids an entry names in `after` (the list-order rule for old entries is applied by callers).
pub(crate) fn parents(history: &[StatusChange], i: usize) -> impl Iterator<Item = &str> {
    let own = history[i].after.iter().map(String::as_str);
    let legacy = (history[i].after.is_empty() && i > 0).then(|| history[i - 1].id.as_str());
    own.chain(legacy)
}

/// Which head is shown first: latest effective date, then latest recording, then highest id.
fn shown_order(c: &StatusChange) -> (Date, Timestamp, &str) {
    (c.on, c.at, c.id.as_str())
}

/// The status code in force at the end of `cut_off`, from a history; `None` if the record did
/// not exist yet. Follows the chain in force ([`Timeline`]); ties on the same date are broken by
/// recording time, then entry id, so every node computes the same answer.
pub fn status_as_of(history: &[StatusChange], cut_off: Date) -> Option<&str> {
    Timeline::of(history).status_as_of(cut_off)
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
