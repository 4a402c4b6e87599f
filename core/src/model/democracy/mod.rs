//! Grassroots-democracy compliance check (kiểm tra thực hiện dân chủ ở cơ sở) — Law 10/2022/QH15.
//!
//! A check is a versioned checklist template ([`template`]) filled for one commune and one
//! period: a result per item, counts, an overall rating or score, and remediation items.
//!
//! Item results are a **map keyed by the template item code**, not a list: a check is created
//! with one entry per item of its template, and devices then edit fields of existing entries,
//! which merge field by field. Two devices can never add two results for the same item (with a
//! list they could, with two different item ids). Counts are a plain struct for the same reason.

mod enums;
mod example;
mod rules;
pub mod template;

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::model::common::Date;
use crate::model::people::PersonEntry;

pub use enums::*;
pub use template::{ChecklistTemplate, builtin_templates, find_template};

/// A grassroots-democracy compliance check of one commune over one period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct DemocracyCheck {
    /// Status.
    pub status: CheckStatus,
    /// Code of the commune checked.
    pub commune: String,
    /// First day of the period checked.
    pub period_from: Date,
    /// Last day of the period checked.
    pub period_to: Date,
    /// Date of the check.
    pub checked_on: Date,
    /// Code of the template filled (`dcs-2023`).
    pub template_code: String,
    /// Version of the template filled.
    #[autosurgeon(hydrate = "crate::model::numbers::u32")]
    pub template_version: u32,
    /// Who checked (commune officer, Fatherland Front, city staff).
    pub checkers: Vec<PersonEntry>,
    /// Result per template item, keyed by item code.
    pub items: BTreeMap<String, ItemResult>,
    /// Figures for the period.
    pub counts: CheckCounts,
    /// Overall rating.
    pub rating: Option<Rating>,
    /// Overall score, 0–100, when the city scores checks.
    #[autosurgeon(hydrate = "crate::model::numbers::opt_u32")]
    pub score: Option<u32>,
    /// Corrections the commune must make.
    pub remediation: Vec<RemediationItem>,
    /// Conclusion of the check (kết luận).
    pub conclusion: Option<String>,
    /// Date last submitted for review.
    pub submitted_on: Option<Date>,
    /// Date closed.
    pub closed_on: Option<Date>,
    /// Notes.
    pub notes: Option<String>,
}

/// The result of one checklist item (its item code is the key in [`DemocracyCheck::items`]).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct ItemResult {
    /// Result; `None` until assessed.
    pub result: Option<ItemOutcome>,
    /// Number of the document that proves it.
    pub evidence_doc_no: Option<String>,
    /// Reference of a photo kept on the device or server.
    pub photo_ref: Option<String>,
    /// How it was published (publication items only).
    pub forms: Vec<PublicationForm>,
    /// Note.
    pub note: Option<String>,
}

/// Figures of the period checked.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct CheckCounts {
    /// Matters the people decided (art. 15).
    #[autosurgeon(hydrate = "crate::model::numbers::u32")]
    pub decisions_taken: u32,
    /// Of which approved by more than the threshold of household representatives.
    #[autosurgeon(hydrate = "crate::model::numbers::u32")]
    pub decisions_meeting_threshold: u32,
    /// Households in the commune (denominator of turnout).
    #[autosurgeon(hydrate = "crate::model::numbers::u32")]
    pub households_total: u32,
    /// Households that voted (meeting or ballot).
    #[autosurgeon(hydrate = "crate::model::numbers::u32")]
    pub households_voting: u32,
    /// Consultations held (art. 25).
    #[autosurgeon(hydrate = "crate::model::numbers::u32")]
    pub consultations: u32,
    /// Comments received.
    #[autosurgeon(hydrate = "crate::model::numbers::u32")]
    pub comments_received: u32,
    /// Comments accepted.
    #[autosurgeon(hydrate = "crate::model::numbers::u32")]
    pub comments_accepted: u32,
    /// Complaints and petitions received.
    #[autosurgeon(hydrate = "crate::model::numbers::u32")]
    pub complaints_received: u32,
    /// Of which resolved.
    #[autosurgeon(hydrate = "crate::model::numbers::u32")]
    pub complaints_resolved: u32,
    /// Of which outstanding (= received − resolved).
    #[autosurgeon(hydrate = "crate::model::numbers::u32")]
    pub complaints_outstanding: u32,
    /// Dialogue conferences held.
    #[autosurgeon(hydrate = "crate::model::numbers::u32")]
    pub dialogues_held: u32,
    /// Villages that held the required community meetings.
    #[autosurgeon(hydrate = "crate::model::numbers::u32")]
    pub villages_holding_meetings: u32,
    /// Villages in the commune.
    #[autosurgeon(hydrate = "crate::model::numbers::u32")]
    pub villages_total: u32,
}

/// A correction the commune must make.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct RemediationItem {
    /// List-item id.
    #[key]
    pub id: String,
    /// What must be corrected.
    pub content: String,
    /// Who is responsible (office or position).
    pub responsible: String,
    /// Due date.
    pub due_on: Option<Date>,
    /// Progress.
    pub status: RemediationStatus,
    /// Date done.
    pub done_on: Option<Date>,
}

impl DemocracyCheck {
    /// A new draft check of `commune` over `period_from..=period_to` against `template`, with
    /// one empty result per template item (so that devices only ever edit existing entries).
    pub fn from_template(
        template: &ChecklistTemplate,
        commune: impl Into<String>,
        period_from: Date,
        period_to: Date,
        checked_on: Date,
    ) -> DemocracyCheck {
        DemocracyCheck {
            status: CheckStatus::Draft,
            commune: commune.into(),
            period_from,
            period_to,
            checked_on,
            template_code: template.code.clone(),
            template_version: template.version,
            checkers: Vec::new(),
            items: template
                .items()
                .map(|(_, i)| (i.code.clone(), ItemResult::default()))
                .collect(),
            counts: CheckCounts::default(),
            rating: None,
            score: None,
            remediation: Vec::new(),
            conclusion: None,
            submitted_on: None,
            closed_on: None,
            notes: None,
        }
    }

    /// The template this check was filled against, if this build knows it.
    pub fn template(&self) -> Option<&'static ChecklistTemplate> {
        find_template(&self.template_code, self.template_version)
    }

    /// Share of applicable assessed items met, in percent (partly met counts half); `None` if
    /// no item is applicable and assessed. A computed figure for reports, beside the rating.
    pub fn compliance_percent(&self) -> Option<f64> {
        let (mut points, mut n) = (0.0, 0u32);
        for r in self.items.values().filter_map(|i| i.result) {
            match r {
                ItemOutcome::Met => points += 1.0,
                ItemOutcome::PartlyMet => points += 0.5,
                ItemOutcome::NotMet => {}
                ItemOutcome::NotApplicable => continue,
            }
            n += 1;
        }
        (n > 0).then(|| points * 100.0 / f64::from(n))
    }

    /// Remediation items not done.
    pub fn open_remediation(&self) -> impl Iterator<Item = &RemediationItem> {
        self.remediation
            .iter()
            .filter(|r| r.status != RemediationStatus::Done)
    }
}
