//! People's inspection activity (hoạt động của Ban Thanh tra nhân dân) — Law 10/2022/QH15,
//! Decree 59/2023.
//!
//! One record is one check or supervision by the commune's board: what it looked at, what it
//! found, what it recommended to whom, and how the authorities answered. Responses point at
//! their recommendation by its item id.
//!
//! Money is whole VND in `i64`; land is m² in `f64` (cadastral figures carry decimals, e.g.
//! 12.5 m²), validated finite and non-negative.

mod enums;
mod example;
mod rules;

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::model::common::Date;
use crate::model::people::PersonEntry;

pub use enums::*;

/// A people's inspection activity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct InspectionActivity {
    /// Status (trạng thái).
    pub status: InspectionStatus,
    /// Code of the board's commune (Ban TTND).
    pub board: String,
    /// Short title of the activity (nội dung), for lists and search.
    pub title: String,
    /// Form of the activity (hình thức).
    pub activity_type: ActivityType,
    /// Why it takes place (căn cứ).
    pub basis: InspectionBasis,
    /// Reference of the basis: plan or document number, date of the citizen's report…
    pub basis_ref: Option<String>,
    /// Who or what is checked (đối tượng).
    pub subject: SubjectKind,
    /// Name of the subject (an office, a project, a person — personal data when a person).
    pub subject_name: Option<String>,
    /// Field (lĩnh vực).
    pub topic: Topic,
    /// First day.
    pub start_on: Date,
    /// Last day.
    pub end_on: Option<Date>,
    /// Board members taking part (thành viên).
    pub members: Vec<PersonEntry>,
    /// Findings (phát hiện).
    pub findings: Vec<Finding>,
    /// Recommendations (kiến nghị).
    pub recommendations: Vec<Recommendation>,
    /// Answers of the authorities (phản hồi).
    pub responses: Vec<Response>,
    /// What was recovered and who was disciplined (kết quả xử lý).
    pub outcomes: Outcomes,
    /// Proposals to change policy or law (kiến nghị chính sách).
    pub policy_feedback: Option<String>,
    /// Date the activity was closed.
    pub closed_on: Option<Date>,
    /// Notes.
    pub notes: Option<String>,
}

/// Something the board found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Finding {
    /// List-item id.
    #[key]
    pub id: String,
    /// What was found.
    pub description: String,
    /// Whether it shows signs of a violation.
    pub is_violation: bool,
    /// Category.
    pub category: FindingCategory,
    /// Money concerned (VND).
    pub money_vnd: Option<i64>,
    /// Land concerned (m²).
    #[autosurgeon(hydrate = "crate::model::numbers::opt_f64")]
    pub land_m2: Option<f64>,
    /// Evidence (documents, minutes, photos).
    pub evidence: Option<String>,
    /// Ngày phát hiện: the day it was found (a report counts the finding in the period of this
    /// day). Missing in records written before it existed: the activity's end, else its start.
    #[serde(default)]
    #[autosurgeon(missing = "Option::default")]
    pub found_on: Option<Date>,
}

/// A recommendation to a competent authority.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Recommendation {
    /// List-item id (responses refer to it).
    #[key]
    pub id: String,
    /// To whom.
    pub addressee: Addressee,
    /// Name of the addressee when `other` (or to be precise).
    pub addressee_name: Option<String>,
    /// What is recommended.
    pub content: String,
    /// Date sent; `None` while a draft.
    pub sent_on: Option<Date>,
    /// Number of the board's document.
    pub document_no: Option<String>,
    /// Date an answer is due, when the document sets one; otherwise the configured number of
    /// days after `sent_on` applies.
    pub response_due_on: Option<Date>,
}

/// An authority's answer to a recommendation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Response {
    /// List-item id.
    #[key]
    pub id: String,
    /// Id of the recommendation answered.
    pub recommendation_id: String,
    /// Date of the answer.
    pub received_on: Date,
    /// Number of the answering document.
    pub document_no: Option<String>,
    /// Result.
    pub result: ResponseResult,
    /// Measures taken or promised.
    pub measures: Option<String>,
}

/// Results of handling (kết quả xử lý), summed over the activity.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Outcomes {
    /// Money recovered to the budget or the people (VND).
    pub money_recovered_vnd: i64,
    /// Money handled otherwise (returned, re-allocated, VND).
    pub money_other_vnd: i64,
    /// Land recovered (m²).
    #[autosurgeon(hydrate = "crate::model::numbers::f64")]
    pub land_recovered_m2: f64,
    /// Land handled otherwise (m²).
    #[autosurgeon(hydrate = "crate::model::numbers::f64")]
    pub land_other_m2: f64,
    /// Persons disciplined.
    #[autosurgeon(hydrate = "crate::model::numbers::u32")]
    pub persons_disciplined: u32,
    /// Ngày ghi nhận kết quả: the day the money and land were recovered and the discipline
    /// decided (a report counts them in the period of this day). Missing: the activity's
    /// closing day, else its end, else its start.
    #[serde(default)]
    #[autosurgeon(missing = "Option::default")]
    pub recorded_on: Option<Date>,
}

impl InspectionActivity {
    /// The recommendation with item id `id`.
    pub fn recommendation(&self, id: &str) -> Option<&Recommendation> {
        self.recommendations.iter().find(|r| r.id == id)
    }

    /// The earliest actual answer (not `no_answer`) to recommendation `id`.
    pub fn first_answer(&self, id: &str) -> Option<&Response> {
        self.responses
            .iter()
            .filter(|r| r.recommendation_id == id && r.result.is_answer())
            .min_by_key(|r| r.received_on)
    }
}
