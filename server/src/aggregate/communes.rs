//! The commune table of an officer above the commune (issue 16, ADR 0015): every commune of a
//! subtree with its figures for a period and the previous one, the mediation cases it received
//! in each of the periods of the same length before them (the sparklines), its submission
//! status and lock, computed in one pass over the index (the earlier periods with the light
//! `received_only` rule).
//!
//! Every period of the series is read in the units of the chosen period's cut-off: a record
//! entered under an old commune is placed, through the successor mapping, in the commune that
//! holds it on that day, so a commune's line compares like with like across the reform.
//! Only communes are rows: nothing below the commune (ADR 0012).

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};

use super::Aggregator;
use super::compute::{self, Grouping, Target};
use super::periods::Period;
use super::types::{Completeness, CompletenessRow, Indicators, SubmissionStatus, UnitRef};
use crate::error::{Error, Result};
use crate::units::{Unit, level};

/// The most periods a series holds (the chosen one included).
pub const MAX_PERIODS: usize = 12;

/// Every commune of a unit's subtree over a series of periods.
#[derive(Debug, Clone)]
pub struct CommuneSeries {
    /// The unit whose communes these are.
    pub unit: UnitRef,
    /// The periods, oldest first; the last one is the chosen period.
    pub periods: Vec<Period>,
    /// Figures are as of this day (the chosen period's cut-off, or today if earlier).
    pub as_of: NaiveDate,
    /// Direct dialogues chaired by a head the configured frequency expects in the period.
    pub dialogues_expected: u64,
    /// Leaders' reception days the configured frequency expects in the period.
    pub reception_days_expected: u64,
    /// One line per commune, by code.
    pub rows: Vec<CommuneLine>,
}

/// One commune of a [`CommuneSeries`].
#[derive(Debug, Clone)]
pub struct CommuneLine {
    /// The commune.
    pub unit: UnitRef,
    /// Its figures for the chosen period.
    pub current: Indicators,
    /// Its figures for the previous period, when the series holds it: only mediation cases
    /// received, the results (successful, unsuccessful, mediated) and the success rate are
    /// counted; every other figure is 0.
    pub previous: Option<Indicators>,
    /// Mediation cases received, one per period of the series (oldest first).
    pub received: Vec<u64>,
    /// Records counted in the chosen period: mediation, inspection, democracy, petitions,
    /// dialogues.
    pub records: [u64; 5],
    /// Whether it submitted (locked) the chosen period, on time or late.
    pub status: SubmissionStatus,
    /// When it locked the chosen period.
    pub locked_at: Option<DateTime<Utc>>,
}

impl Aggregator {
    /// The communes of `unit`'s subtree (the version in force on `version_on`, see
    /// [`Self::report_version`]) for `period` and the `n - 1` periods of the same kind before
    /// it (`n` at most [`MAX_PERIODS`]).
    pub async fn commune_series(
        &self,
        unit: &str,
        version_on: Option<NaiveDate>,
        period: &Period,
        n: usize,
    ) -> Result<CommuneSeries> {
        self.refresh().await?;
        let tree = self.inner.units.tree();
        let as_of = Self::as_of(period);
        let root = Self::report_version(&tree, unit, version_on, as_of)?;
        let communes: Vec<Unit> = if root.valid_on(as_of) {
            Self::communes_of(&tree, &root.code, as_of)
        } else if root.valid_from > as_of {
            Grouping::predecessors_of(&tree, &root, as_of)
                .rows()
                .iter()
                .filter_map(|c| tree.unit(c, as_of))
                .filter(|u| u.level == level::COMMUNE)
                .cloned()
                .collect()
        } else {
            return Err(Error::NotFound(format!("unit {unit} on {as_of}")));
        };
        let mut periods = vec![period.clone()];
        while periods.len() < n.clamp(1, MAX_PERIODS) {
            let Some(last) = periods.last() else { break };
            let prev = self.inner.periods.previous(last);
            if prev.start >= last.start {
                break;
            }
            periods.push(prev);
        }
        periods.reverse();
        let grouping = Grouping::units(&root.code, &communes, Target::Commune);
        let computed = {
            let inner = Arc::clone(&self.inner);
            let tree = Arc::clone(&tree);
            let periods = periods.clone();
            tokio::task::spawn_blocking(move || {
                let idx = inner.index.read().unwrap_or_else(|e| e.into_inner());
                // Every figure for the chosen period; cases received and results for the one
                // before (trend, attention rules); cases received for the earlier ones
                // (sparklines).
                let last = periods.len().saturating_sub(1);
                let jobs: Vec<compute::Job<'_>> = periods
                    .iter()
                    .enumerate()
                    .map(|(k, p)| compute::Job {
                        grouping: &grouping,
                        period: p,
                        as_of: Self::as_of(p),
                        route_on: as_of,
                        late: &[],
                        rule: if k == last {
                            compute::Rule::All
                        } else if k + 1 == last {
                            compute::Rule::MediationResults
                        } else {
                            compute::Rule::Received
                        },
                    })
                    .collect();
                compute::run_many(&idx, &tree, &jobs)
            })
            .await
            .map_err(|e| Error::Io(std::io::Error::other(format!("report failed: {e}"))))?
        };
        let locks = self.locks_by_unit(period).await?;
        let today = danvan_core::model::common::Date::today_vn().0;
        let period_days = (period.end - period.start).num_days() + 1;
        let rows = communes
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let lock = locks.get(&c.code);
                let row = |job: &compute::Computed| job.rows.get(i).cloned().unwrap_or_default();
                let n = computed.len();
                CommuneLine {
                    unit: Self::unit_ref(c),
                    current: computed.last().map(row).unwrap_or_default(),
                    previous: n.checked_sub(2).map(|k| row(&computed[k])),
                    received: computed
                        .iter()
                        .map(|job| job.rows.get(i).map_or(0, |r| r.mediation.received))
                        .collect(),
                    records: computed
                        .last()
                        .and_then(|job| job.records.get(i).copied())
                        .unwrap_or_default(),
                    status: compute::submission_status(lock.map(|l| l.locked_at), period, today),
                    locked_at: lock.map(|l| l.locked_at),
                }
            })
            .collect();
        Ok(CommuneSeries {
            unit: Self::unit_ref(&root),
            periods,
            as_of,
            dialogues_expected: u64::from(self.rules().dialogues.dialogues_expected(period_days)),
            reception_days_expected: u64::from(
                self.rules().dialogues.reception_days_expected(period_days),
            ),
            rows,
        })
    }
}

impl CommuneSeries {
    /// The completeness of the chosen period, read from the series' communes (those in force on
    /// its cut-off, where [`Aggregator::completeness`] takes those of its last day: the same
    /// communes, as the cut-off lies in the period) without another scan. The city page uses it
    /// (ADR 0015).
    pub fn completeness(&self) -> Option<Completeness> {
        let period = self.periods.last()?.clone();
        let mut out = Completeness {
            unit: self.unit.clone(),
            period,
            expected: self.rows.len() as u64,
            with_records: 0,
            locked: 0,
            on_time: 0,
            late: 0,
            dialogues_missing: 0,
            reception_days_missing: 0,
            rows: Vec::with_capacity(self.rows.len()),
        };
        for c in &self.rows {
            if c.records.iter().any(|n| *n > 0) {
                out.with_records += 1;
            }
            match c.status {
                SubmissionStatus::OnTime => out.on_time += 1,
                SubmissionStatus::Late => out.late += 1,
                _ => {}
            }
            if c.locked_at.is_some() {
                out.locked += 1;
            }
            let held = c.current.dialogues.chaired_by_head;
            if held < self.dialogues_expected {
                out.dialogues_missing += 1;
            }
            let reception = c.current.dialogues.reception_days;
            if reception < self.reception_days_expected {
                out.reception_days_missing += 1;
            }
            out.rows.push(CompletenessRow {
                unit: c.unit.clone(),
                mediation_records: c.records[0],
                inspection_records: c.records[1],
                democracy_records: c.records[2],
                petition_records: c.records[3],
                dialogue_records: c.records[4],
                dialogues_held: held,
                dialogues_expected: self.dialogues_expected,
                reception_days_held: reception,
                reception_days_expected: self.reception_days_expected,
                locked_at: c.locked_at,
                status: c.status,
            });
        }
        Some(out)
    }
}
