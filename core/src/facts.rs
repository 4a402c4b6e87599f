//! The fact row: one flat row per record that the server writes after every accepted merge and
//! that aggregation reads (DESIGN.md decision 7). Aggregates never open documents.
//!
//! A fact carries no personal data: no party names, addresses, phones or named officials. It is
//! what may leave the commune.

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

/// The de-identified, flat view of a record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fact {
    /// Record id.
    pub id: String,
    /// Kind.
    pub kind: RecordKind,
    /// Unit the record was entered under.
    pub unit: String,
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
}
