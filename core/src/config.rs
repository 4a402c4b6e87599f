//! Rules that are configuration, not constants (docs/domain.md tags them `[config]`).

use serde::{Deserialize, Serialize};

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
}

impl Default for RulesConfig {
    fn default() -> Self {
        RulesConfig {
            mediation_start_days: 3,
            recommendation_answer_days: 15,
            remediation_grace_days: 0,
            decision_threshold_percent: 50,
        }
    }
}
