//! SKELETON: to be completed with every field of domain.md.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::config::RulesConfig;
use crate::lifecycle::{Lifecycle, Overdue};
use crate::model::common::Date;
use crate::record::{IndexFields, KindRules};
use crate::validate::ValidationIssue;

crate::coded_enum! {
    /// Status.
    pub enum InspectionStatus : "inspection.status" {
        /// Open.
        Open = ("open", "Đang thực hiện", "Open"),
        /// Closed.
        Closed = ("closed", "Đã kết thúc", "Closed"),
    }
}

impl Lifecycle for InspectionStatus {
    fn initial() -> Self {
        InspectionStatus::Open
    }
    fn next(&self) -> &'static [Self] {
        match self {
            InspectionStatus::Open => &[InspectionStatus::Closed],
            InspectionStatus::Closed => &[],
        }
    }
    fn is_closed(&self) -> bool {
        *self == InspectionStatus::Closed
    }
}

/// Skeleton body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct InspectionActivity {
    /// Status.
    pub status: InspectionStatus,
    /// Start date.
    pub start_on: Date,
    /// Summary.
    pub summary: String,
}

impl KindRules for InspectionActivity {
    type Status = InspectionStatus;
    fn status(&self) -> InspectionStatus {
        self.status
    }
    fn apply_status(&mut self, to: InspectionStatus, _on: Date) {
        self.status = to;
    }
    fn validate(&self, _cfg: &RulesConfig, _out: &mut Vec<ValidationIssue>) {}
    fn overdue(&self, _cfg: &RulesConfig, _as_of: Date) -> Vec<Overdue> {
        Vec::new()
    }
    fn index(&self) -> IndexFields {
        IndexFields {
            main_date: Some(self.start_on),
            summary: self.summary.clone(),
            ..Default::default()
        }
    }
}
