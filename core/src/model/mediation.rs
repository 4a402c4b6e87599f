//! Mediation case (vụ việc hòa giải ở cơ sở) — Law 35/2013/QH13, Decree 15/2014.
//! SKELETON: to be completed with every field of domain.md §1.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::config::RulesConfig;
use crate::lifecycle::{Lifecycle, Overdue};
use crate::model::common::Date;
use crate::record::{IndexFields, KindRules};
use crate::validate::ValidationIssue;

crate::coded_enum! {
    /// Status of a mediation case.
    pub enum MediationStatus : "mediation.status" {
        /// Đã tiếp nhận.
        Received = ("received", "Đã tiếp nhận", "Received"),
        /// Đang hòa giải.
        Mediating = ("mediating", "Đang hòa giải", "Mediating"),
        /// Hòa giải thành.
        Successful = ("successful", "Hòa giải thành", "Successful"),
        /// Hòa giải không thành.
        Unsuccessful = ("unsuccessful", "Hòa giải không thành", "Unsuccessful"),
        /// Dừng hòa giải.
        Stopped = ("stopped", "Dừng hòa giải", "Stopped"),
        /// Chuyển cơ quan có thẩm quyền.
        Referred = ("referred", "Chuyển cơ quan có thẩm quyền", "Referred"),
        /// Không thuộc phạm vi hòa giải.
        OutOfScope = ("out_of_scope", "Không thuộc phạm vi hòa giải", "Out of scope"),
    }
}

impl Lifecycle for MediationStatus {
    fn initial() -> Self {
        MediationStatus::Received
    }
    fn next(&self) -> &'static [Self] {
        use MediationStatus::*;
        match self {
            Received => &[Mediating, Stopped, Referred, OutOfScope],
            Mediating => &[Successful, Unsuccessful, Stopped, Referred],
            _ => &[],
        }
    }
    fn is_closed(&self) -> bool {
        !matches!(self, MediationStatus::Received | MediationStatus::Mediating)
    }
}

/// A mediation case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct MediationCase {
    /// Status.
    pub status: MediationStatus,
    /// Date received.
    pub received_on: Date,
    /// Main content.
    pub summary: String,
    /// Date closed.
    pub closed_on: Option<Date>,
}

impl KindRules for MediationCase {
    type Status = MediationStatus;
    fn status(&self) -> MediationStatus {
        self.status
    }
    fn apply_status(&mut self, to: MediationStatus, on: Date) {
        self.status = to;
        if to.is_closed() {
            self.closed_on = Some(on);
        }
    }
    fn validate(&self, _cfg: &RulesConfig, out: &mut Vec<ValidationIssue>) {
        if self.summary.trim().is_empty() {
            out.push(ValidationIssue::required(
                "mediation.summary",
                "nội dung chủ yếu",
                "Summary",
            ));
        }
    }
    fn overdue(&self, _cfg: &RulesConfig, _as_of: Date) -> Vec<Overdue> {
        Vec::new()
    }
    fn index(&self) -> IndexFields {
        IndexFields {
            main_date: Some(self.received_on),
            closed_on: self.closed_on,
            category: None,
            summary: self.summary.clone(),
            names: Vec::new(),
        }
    }
}

impl MediationCase {
    /// A small valid case, for examples and tests.
    pub fn example() -> MediationCase {
        MediationCase {
            status: MediationStatus::Received,
            received_on: Date::ymd(2025, 9, 2).unwrap_or(Date(chrono::NaiveDate::MIN)),
            summary: "Tranh chấp lối đi chung giữa hai hộ liền kề".into(),
            closed_on: None,
        }
    }
}
