//! The registry of mediation teams (tổ hòa giải) and mediators (hòa giải viên): types, input
//! validation and the counts of the Ministry of Justice teams/mediators form (Circular
//! 03/2019/TT-BTP). Decision: `docs/adr/0008-teams-and-mediators.md`.
//!
//! The registry lives on the server (`storage/registry.rs`, migration 0006), kept by commune
//! officers on the dashboard (`/teams`) and through `/api/v1/teams`, `/api/v1/mediators`
//! (`web/teams.rs`). Names are personal data: above the commune only [`TeamFigures`] leave the
//! server.
//!
//! Dates: a start (`established_on`, `recognised_on`, a membership's `from`) is the first day
//! in force; an end (`dissolved_on`, `left_on`, a membership's `to`) is the **first day no
//! longer in force**. So "in force on d" is `from <= d < to`, and for any period the figures
//! reconcile: in force on the cut-off = in force the day before the start + new − left.

use std::collections::HashMap;

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::aggregate::resolve::{Place, entered_version, lowest_common_ancestor, resolve};
use crate::error::{ApiError, ErrorCode, Result};
use crate::storage::Storage;
use crate::storage::registry::{MemberFact, TeamFact};
use crate::units::{UnitTree, level};

/// Teams and mediators of a unit's subtree as of a report's cut-off (Circular 03/2019/TT-BTP teams/mediators form).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct TeamFigures {
    /// Teams in force on the cut-off.
    pub teams: u64,
    /// Teams established in [period start, cut-off].
    pub teams_new: u64,
    /// Mediators in force on the cut-off.
    pub mediators: u64,
    /// Of `mediators`: women.
    pub mediators_female: u64,
    /// Of `mediators`: ethnic minority (dân tộc thiểu số).
    pub mediators_ethnic_minority: u64,
    /// Of `mediators`: trung cấp luật or higher.
    pub mediators_legal_qualification: u64,
    /// Of `mediators`: trained in mediation skills.
    pub mediators_trained: u64,
    /// Of `mediators`: team leaders (tổ trưởng).
    pub team_leaders: u64,
    /// Mediators recognised in [start, cut-off].
    pub mediators_new: u64,
    /// Mediators who left in [start, cut-off].
    pub mediators_left: u64,
}

impl TeamFigures {
    fn add(&mut self, o: &TeamFigures) {
        self.teams += o.teams;
        self.teams_new += o.teams_new;
        self.mediators += o.mediators;
        self.mediators_female += o.mediators_female;
        self.mediators_ethnic_minority += o.mediators_ethnic_minority;
        self.mediators_legal_qualification += o.mediators_legal_qualification;
        self.mediators_trained += o.mediators_trained;
        self.team_leaders += o.team_leaders;
        self.mediators_new += o.mediators_new;
        self.mediators_left += o.mediators_left;
    }
}

/// Where a team counts in a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    /// In this row.
    Row(usize),
    /// Inside the report's rows but not in one of them (a village split between rows): in
    /// the total only, like the aggregates' "not allocated" lines.
    TotalOnly,
    /// Outside the rows, or nowhere on the cut-off.
    Nowhere,
}

/// Where a team's village lies on `on`: its code as read on `village_on`, resolved through
/// successors. A village that did not exist yet on `on` (a team registered under a newer
/// code, for an older report) is traced back to the units in force on `on` that became it.
pub fn team_place(tree: &UnitTree, village: &str, village_on: NaiveDate, on: NaiveDate) -> Place {
    let Some(v) = entered_version(tree, village, village_on) else {
        return Place::Unknown;
    };
    match resolve(tree, v, on) {
        Place::Unknown if on < v.valid_from => {
            // Predecessors: units in force on `on` whose records count in `v` on `village_on`.
            let mut candidates: Vec<String> = tree
                .all()
                .filter(|u| u.valid_on(on) && u.level == v.level)
                .filter(|u| resolve(tree, u, v.valid_from) == Place::Unit(v.code.clone()))
                .map(|u| u.code.clone())
                .collect();
            candidates.sort();
            candidates.dedup();
            match candidates.len() {
                0 => Place::Unknown,
                1 => Place::Unit(candidates.remove(0)),
                _ => Place::Unallocated {
                    from: (v.code.clone(), v.valid_from),
                    candidates,
                },
            }
        }
        place => place,
    }
}

fn slot_of(tree: &UnitTree, rows: &[String], place: &Place, cut: NaiveDate) -> Slot {
    let row_of = |code: &str| rows.iter().position(|r| tree.is_within(code, r, cut));
    match place {
        Place::Unit(c) => row_of(c).map_or(Slot::Nowhere, Slot::Row),
        Place::Unallocated { candidates, .. } => {
            if let Some(i) =
                lowest_common_ancestor(tree, candidates, cut).and_then(|lca| row_of(&lca))
            {
                Slot::Row(i)
            } else if candidates.iter().any(|c| row_of(c).is_some()) {
                Slot::TotalOnly
            } else {
                Slot::Nowhere
            }
        }
        Place::Unknown => Slot::Nowhere,
    }
}

fn in_force(from: NaiveDate, to: Option<NaiveDate>, on: NaiveDate) -> bool {
    from <= on && to.is_none_or(|t| on < t)
}

fn within(d: NaiveDate, start: NaiveDate, cut: NaiveDate) -> bool {
    start <= d && d <= cut
}

/// The teams/mediators figures per row (same rows as a report: unit codes in force on `cut`)
/// and their total, as of `cut` for the period starting `start`.
///
/// - A team counts in the row whose subtree holds its village as of `cut` ([`team_place`]).
///   A village split between several units counts in the row holding all of them; if they lie
///   in different rows, in the total only (`TotalOnly`); a village that cannot be placed on
///   `cut` at all (unknown code) counts nowhere and is logged.
/// - A mediator counts in the row of the team of their last membership starting on or before
///   `cut` (the team they are in on the cut-off, or were in when they left): in force when
///   that membership and their term cover `cut`; new when recognised in `[start, cut]`; left
///   when their term ended in `[start, cut]`.
/// - Teams: in force when `established_on <= cut < dissolved_on`; new when established in
///   `[start, cut]`.
pub async fn team_figures(
    storage: &dyn Storage,
    tree: &UnitTree,
    rows: &[String],
    start: NaiveDate,
    cut: NaiveDate,
) -> Result<(Vec<TeamFigures>, TeamFigures)> {
    let (teams, members) = storage.registry_facts().await?;
    Ok(count(tree, rows, start, cut, &teams, &members))
}

/// [`team_figures`] over facts already read.
pub fn count(
    tree: &UnitTree,
    rows: &[String],
    start: NaiveDate,
    cut: NaiveDate,
    teams: &[TeamFact],
    members: &[MemberFact],
) -> (Vec<TeamFigures>, TeamFigures) {
    let mut per_row = vec![TeamFigures::default(); rows.len()];
    let mut total_only = TeamFigures::default();
    let mut slots: HashMap<Uuid, Slot> = HashMap::with_capacity(teams.len());
    for t in teams {
        let place = team_place(tree, &t.village, t.village_on, cut);
        if place == Place::Unknown {
            tracing::debug!(team = %t.id, village = %t.village, %cut,
                "registry: team's village cannot be placed on the cut-off; not counted");
        }
        let slot = slot_of(tree, rows, &place, cut);
        slots.insert(t.id, slot);
        let fig = match slot {
            Slot::Row(i) => &mut per_row[i],
            Slot::TotalOnly => &mut total_only,
            Slot::Nowhere => continue,
        };
        fig.teams += u64::from(in_force(t.established_on, t.dissolved_on, cut));
        fig.teams_new += u64::from(within(t.established_on, start, cut));
    }
    // Memberships come sorted by mediator, then first day.
    let mut i = 0;
    while i < members.len() {
        let id = members[i].mediator_id;
        let mut j = i;
        let mut last: Option<&MemberFact> = None;
        while j < members.len() && members[j].mediator_id == id {
            if members[j].from_on <= cut {
                last = Some(&members[j]);
            }
            j += 1;
        }
        i = j;
        let Some(m) = last else { continue };
        let fig = match slots.get(&m.team_id).copied().unwrap_or(Slot::Nowhere) {
            Slot::Row(r) => &mut per_row[r],
            Slot::TotalOnly => &mut total_only,
            Slot::Nowhere => continue,
        };
        if in_force(m.from_on, m.to_on, cut) && in_force(m.recognised_on, m.left_on, cut) {
            fig.mediators += 1;
            fig.mediators_female += u64::from(m.sex == Sex::Female.code());
            fig.mediators_ethnic_minority += u64::from(m.ethnic_minority);
            fig.mediators_legal_qualification += u64::from(
                LegalQualification::from_code(&m.legal_qualification)
                    .is_some_and(LegalQualification::is_legal),
            );
            fig.mediators_trained += u64::from(m.trained);
            fig.team_leaders += u64::from(m.role == TeamRole::Leader.code());
        }
        fig.mediators_new += u64::from(within(m.recognised_on, start, cut));
        fig.mediators_left += u64::from(m.left_on.is_some_and(|l| within(l, start, cut)));
    }
    let mut total = total_only;
    for r in &per_row {
        total.add(r);
    }
    (per_row, total)
}

/// Sex (giới tính).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    /// Nữ.
    Female,
    /// Nam.
    Male,
}

/// Legal qualification (trình độ chuyên môn luật).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LegalQualification {
    /// Không có trình độ chuyên môn luật.
    None,
    /// Trung cấp luật.
    LegalIntermediate,
    /// Cử nhân luật trở lên.
    LawBachelorOrHigher,
}

/// Role in a team.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TeamRole {
    /// Tổ trưởng.
    Leader,
    /// Thành viên.
    Member,
}

macro_rules! codes {
    ($t:ident { $($v:ident = ($code:literal, $vi:literal, $en:literal)),+ $(,)? }) => {
        impl $t {
            /// Every value.
            pub const ALL: &'static [$t] = &[$($t::$v),+];
            /// The stored code.
            pub fn code(self) -> &'static str {
                match self { $($t::$v => $code),+ }
            }
            /// The value of a stored code.
            pub fn from_code(s: &str) -> Option<Self> {
                match s { $($code => Some($t::$v),)+ _ => None }
            }
            /// The (Vietnamese, English) label.
            pub fn labels(self) -> (&'static str, &'static str) {
                match self { $($t::$v => ($vi, $en)),+ }
            }
        }
    };
}

codes!(Sex { Female = ("female", "Nữ", "Female"), Male = ("male", "Nam", "Male") });
codes!(LegalQualification {
    None = ("none", "Không có", "None"),
    LegalIntermediate = ("legal_intermediate", "Trung cấp luật", "Intermediate legal diploma"),
    LawBachelorOrHigher = ("law_bachelor_or_higher", "Cử nhân luật trở lên", "Law degree or higher"),
});
codes!(TeamRole { Leader = ("leader", "Tổ trưởng", "Team leader"), Member = ("member", "Hòa giải viên", "Member") });

impl LegalQualification {
    /// Whether this counts as "trung cấp luật or higher" on the form.
    pub fn is_legal(self) -> bool {
        self != LegalQualification::None
    }
}

/// Longest team name, mediator name and ethnicity, in characters.
pub const MAX_NAME: usize = 200;
/// Longest notes, in characters.
pub const MAX_NOTES: usize = 2000;
/// Earliest accepted date (the Law on grassroots mediation predates no team we register; the
/// 1998 ordinance teams are kept with their real dates).
pub const EARLIEST: NaiveDate = match NaiveDate::from_ymd_opt(1945, 1, 1) {
    Some(d) => d,
    None => NaiveDate::MIN,
};

/// Text fields are checked by the one edge check of every text that reaches SQL.
pub use crate::text::clean_text;

/// A date a form or client sent: not before [`EARLIEST`], not after `today + 1 year`.
pub fn check_date(d: NaiveDate, today: NaiveDate) -> std::result::Result<NaiveDate, ApiError> {
    let latest = today.checked_add_days(Days::new(366)).unwrap_or(today);
    if d < EARLIEST || d > latest {
        return Err(
            ApiError::new(ErrorCode::BadDates).with_detail(format!("date {d} out of range"))
        );
    }
    Ok(d)
}

/// An end date must not precede its start (400 `bad_dates`).
pub fn check_order(from: NaiveDate, to: NaiveDate) -> std::result::Result<(), ApiError> {
    if to < from {
        return Err(ApiError::new(ErrorCode::BadDates).with_detail(format!("{to} before {from}")));
    }
    Ok(())
}

/// `code` must be a village in force on `on` (400 `not_a_village`).
pub fn check_village(
    tree: &UnitTree,
    code: &str,
    on: NaiveDate,
) -> std::result::Result<(), ApiError> {
    match tree.unit(code, on) {
        Some(u) if u.level == level::VILLAGE => Ok(()),
        _ => Err(ApiError::new(ErrorCode::NotAVillage).with_detail(format!("{code} on {on}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::{Successor, Unit};

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn u(code: &str, parent: &str, lvl: &str, from: &str, to: Option<&str>, succ: &[&str]) -> Unit {
        Unit {
            code: code.into(),
            valid_from: d(from),
            valid_to: to.map(d),
            name: code.into(),
            level: lvl.into(),
            parent: (!parent.is_empty()).then(|| parent.into()),
            successors: succ
                .iter()
                .map(|s| Successor {
                    code: (*s).into(),
                    share: None,
                })
                .collect(),
        }
    }

    #[test]
    fn text_is_checked_the_same_everywhere() {
        assert_eq!(clean_text("  Tổ 1 ", 10, false, true).unwrap(), "Tổ 1");
        assert!(clean_text("   ", 10, false, true).is_err());
        assert!(clean_text("a\u{0}b", 10, true, false).is_err());
        assert!(clean_text("a\nb", 10, false, false).is_err());
        assert_eq!(clean_text("a\nb", 10, true, false).unwrap(), "a\nb");
        // Characters, not bytes: 10 Vietnamese letters fit in 10.
        assert!(clean_text("ắắắắắắắắắắ", 10, false, true).is_ok());
        assert!(clean_text("ắắắắắắắắắắắ", 10, false, true).is_err());
    }

    #[test]
    fn a_team_registered_under_a_new_village_code_counts_in_an_old_report() {
        // V1 and V2 merged into V3 on 2026-01-01; the team was registered under V3 in 2026.
        let tree = UnitTree::new(vec![
            u("C", "", "commune", "0001-01-01", None, &[]),
            u(
                "V1",
                "C",
                "village",
                "0001-01-01",
                Some("2025-12-31"),
                &["V3"],
            ),
            u(
                "V2",
                "C",
                "village",
                "0001-01-01",
                Some("2025-12-31"),
                &["V3"],
            ),
            u("V3", "C", "village", "2026-01-01", None, &[]),
        ]);
        let place = team_place(&tree, "V3", d("2026-03-01"), d("2025-06-30"));
        // Two predecessors: not one village, but both in commune C.
        assert!(
            matches!(place, Place::Unallocated { ref candidates, .. } if candidates.len() == 2)
        );
        assert_eq!(
            slot_of(&tree, &["C".into()], &place, d("2025-06-30")),
            Slot::Row(0)
        );
        assert_eq!(
            team_place(&tree, "V1", d("2025-01-01"), d("2026-06-30")),
            Place::Unit("V3".into())
        );
    }
}
