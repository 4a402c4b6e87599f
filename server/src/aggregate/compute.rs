//! The scan: resolve each bucket (entered unit version) to a destination row as of the cut-off,
//! then evaluate every record of the buckets inside the subtree against the period's rules and
//! add it to its row's accumulator. Buckets are split across two threads; accumulators merge.
//!
//! The per-record rules are in `rules.rs`.

use std::collections::HashMap;

use super::asof;
use super::index::FactIndex;
use super::periods::Period;
use super::resolve::{self, Place};
use super::rules::{Acc, Window, add_mediation_results, add_received, add_record};
use super::types::*;
use crate::units::{Unit, UnitTree, level};
use chrono::{DateTime, Duration, NaiveDate, Utc};

/// What the rows of a computation are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Target {
    /// The direct children of the root.
    Children,
    /// The given communes.
    Commune,
    /// The units a newer unit was formed from, for a period before it existed: rows are its
    /// predecessors as of the cut-off; only records that the mapping places in the newer unit
    /// (as of its first day, `since`) count.
    Predecessors {
        /// The newer unit's first day.
        since: NaiveDate,
    },
}

/// The rows of a computation.
#[derive(Debug, Clone)]
pub(super) struct Grouping {
    pub root: String,
    target: Target,
    rows: Vec<String>,
}

impl Grouping {
    /// One row per direct child of `root` on `on`.
    pub fn children_of(tree: &UnitTree, root: &Unit, on: NaiveDate) -> Self {
        Grouping {
            root: root.code.clone(),
            target: Target::Children,
            rows: tree
                .children(&root.code, on)
                .into_iter()
                .map(|u| u.code.clone())
                .collect(),
        }
    }

    /// One row per unit `root` (first in force on `root.valid_from`, after `on`) was formed
    /// from: units in force on `on` at the root's level with any part placed in the root by the
    /// successor mapping, sorted by code.
    pub fn predecessors_of(tree: &UnitTree, root: &Unit, on: NaiveDate) -> Self {
        let since = root.valid_from;
        let lands_inside = |v: &Unit| resolve::lands_within(tree, v, &root.code, since);
        let mut rows: Vec<String> = tree
            .all()
            .filter(|u| u.level == root.level && u.valid_on(on))
            .filter(|u| {
                tree.subtree(&u.code, on)
                    .iter()
                    .filter_map(|c| tree.unit(c, on))
                    .any(&lands_inside)
            })
            .map(|u| u.code.clone())
            .collect();
        rows.sort();
        rows.dedup();
        Grouping {
            root: root.code.clone(),
            target: Target::Predecessors { since },
            rows,
        }
    }

    /// The row codes.
    pub fn rows(&self) -> &[String] {
        &self.rows
    }

    /// One row per given unit (communes).
    pub fn units(root: &str, units: &[Unit], target: Target) -> Self {
        Grouping {
            root: root.to_string(),
            target,
            rows: units.iter().map(|u| u.code.clone()).collect(),
        }
    }
}

/// An unallocated line before labels are attached.
#[derive(Debug, Clone)]
pub(super) struct Unalloc {
    pub from: UnitRef,
    /// The old unit's first day (with its code, the line's own key).
    pub from_day: NaiveDate,
    pub candidates: Vec<String>,
    pub in_totals: bool,
    pub indicators: Indicators,
    /// Distinct records amended after a lock.
    pub late: u64,
}

/// The result of a scan.
#[derive(Debug, Clone, Default)]
pub(super) struct Computed {
    pub totals: Indicators,
    pub direct: Option<Indicators>,
    pub rows: Vec<Indicators>,
    pub unallocated: Vec<Unalloc>,
    /// Records counted per row: mediation, inspection, democracy, petitions, dialogues.
    pub records: Vec<[u64; 5]>,
    /// Distinct records amended after a lock, per row.
    pub late: Vec<u64>,
    /// … counted in the totals.
    pub late_total: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dest {
    Row(usize),
    Direct,
    Unalloc(usize),
}

struct Router<'a> {
    tree: &'a UnitTree,
    g: &'a Grouping,
    on: NaiveDate,
    rows: HashMap<&'a str, usize>,
    unalloc: Vec<Unalloc>,
    unalloc_of: HashMap<(String, NaiveDate), usize>,
    communes: HashMap<String, u32>,
}

impl Router<'_> {
    fn commune_id(&mut self, anc: &[String]) -> u32 {
        let Some(c) = anc.iter().find(|c| {
            self.tree
                .unit(c, self.on)
                .is_some_and(|u| u.level == level::COMMUNE)
        }) else {
            return u32::MAX;
        };
        let n = self.communes.len() as u32;
        *self.communes.entry(c.clone()).or_insert(n)
    }

    /// The row for records placed in `code` (in force on the day).
    fn dest_of_unit(&self, anc: &[String]) -> Option<Dest> {
        match self.g.target {
            Target::Children => {
                let k = anc.iter().position(|a| *a == self.g.root)?;
                if k == 0 {
                    Some(Dest::Direct)
                } else {
                    self.rows.get(anc[k - 1].as_str()).map(|r| Dest::Row(*r))
                }
            }
            Target::Commune | Target::Predecessors { .. } => anc
                .iter()
                .find_map(|a| self.rows.get(a.as_str()))
                .map(|r| Dest::Row(*r)),
        }
    }

    /// Route a bucket of unit version `v` for a predecessors grouping: only records the
    /// mapping places in the root (as of `since`) count; each in the predecessor row it lay in
    /// on the cut-off, or `direct` when its unit did not exist then.
    fn route_predecessors(&mut self, v: &Unit, since: NaiveDate) -> Option<(Dest, u32)> {
        let root = self.g.root.clone();
        match resolve::resolve(self.tree, v, since) {
            Place::Unit(c) if self.tree.is_within(&c, &root, since) => {
                if !v.valid_on(self.on) {
                    return Some((Dest::Direct, u32::MAX));
                }
                let anc = resolve::ancestors(self.tree, &v.code, self.on);
                let c = self.commune_id(&anc);
                let row = anc.iter().find_map(|a| self.rows.get(a.as_str()).copied());
                Some((row.map_or(Dest::Direct, Dest::Row), c))
            }
            Place::Unallocated { from, candidates }
                if candidates
                    .iter()
                    .any(|k| self.tree.is_within(k, &root, since)) =>
            {
                // Records of a split unit the mapping cannot place: shown for information.
                let j = self.unalloc_line(from, candidates, false);
                Some((Dest::Unalloc(j), u32::MAX))
            }
            _ => None,
        }
    }

    fn unalloc_line(
        &mut self,
        from: (String, NaiveDate),
        candidates: Vec<String>,
        in_totals: bool,
    ) -> usize {
        if let Some(j) = self.unalloc_of.get(&from) {
            return *j;
        }
        let name = self
            .tree
            .versions(&from.0)
            .iter()
            .find(|u| u.valid_from == from.1)
            .map(|u| (u.name.clone(), u.level.clone()))
            .unwrap_or_else(|| (from.0.clone(), String::new()));
        self.unalloc.push(Unalloc {
            from_day: from.1,
            from: UnitRef {
                code: from.0.clone(),
                name: name.0,
                level: name.1,
            },
            candidates,
            in_totals,
            indicators: Indicators::default(),
            late: 0,
        });
        self.unalloc_of.insert(from, self.unalloc.len() - 1);
        self.unalloc.len() - 1
    }

    fn route(&mut self, place: Place) -> Option<(Dest, u32)> {
        match place {
            Place::Unknown => None,
            Place::Unit(code) => {
                let anc = resolve::ancestors(self.tree, &code, self.on);
                let c = self.commune_id(&anc);
                self.dest_of_unit(&anc).map(|d| (d, c))
            }
            Place::Unallocated { from, candidates } => {
                let lca = resolve::lowest_common_ancestor(self.tree, &candidates, self.on)?;
                let anc = resolve::ancestors(self.tree, &lca, self.on);
                let c = self.commune_id(&anc);
                let root_is_lca = lca == self.g.root;
                if self.g.target == Target::Commune || (!root_is_lca && anc.contains(&self.g.root))
                {
                    // Every candidate lies in one row: the records belong to it.
                    return self.dest_of_unit(&anc).map(|d| (d, c));
                }
                let inside = candidates
                    .iter()
                    .any(|k| self.tree.is_within(k, &self.g.root, self.on));
                if !root_is_lca && !inside {
                    return None;
                }
                let j = self.unalloc_line(from, candidates, root_is_lca);
                Some((Dest::Unalloc(j), c))
            }
        }
    }
}

/// One computation of a scan: rows, period, as-of day.
pub(super) struct Job<'a> {
    pub grouping: &'a Grouping,
    pub period: &'a Period,
    pub as_of: NaiveDate,
    /// The day units are read on to place records in rows: `as_of`, except for a series of
    /// periods shown in the rows of one day's units (the commune table, ADR 0015).
    pub route_on: NaiveDate,
    /// Slots of records amended after a lock of the period (counted per row, distinct).
    pub late: &'a [u32],
    /// Which figures to count (all but the commune table's earlier periods: ADR 0015).
    pub rule: Rule,
}

/// Which figures a job counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Rule {
    /// Every figure ([`add_record`]).
    All,
    /// Mediation cases received and results only (`rules::add_mediation_results`); every other
    /// figure stays 0.
    MediationResults,
    /// Mediation cases received only (`rules::add_received`).
    Received,
}

/// Compute `grouping`'s rows for `period` as of `as_of`.
pub(super) fn run(
    idx: &FactIndex,
    tree: &UnitTree,
    grouping: &Grouping,
    period: &Period,
    as_of: NaiveDate,
) -> Computed {
    let job = Job {
        grouping,
        period,
        as_of,
        route_on: as_of,
        late: &[],
        rule: Rule::All,
    };
    run_many(idx, tree, &[job]).pop().unwrap_or_default()
}

/// Several computations in one pass over the records (a report and its previous period): each
/// record is read once and added to every job it counts in.
pub(super) fn run_many(idx: &FactIndex, tree: &UnitTree, jobs: &[Job<'_>]) -> Vec<Computed> {
    let nj = jobs.len();
    let mut routers: Vec<Router<'_>> = jobs
        .iter()
        .map(|j| Router {
            tree,
            g: j.grouping,
            on: j.route_on,
            rows: j
                .grouping
                .rows
                .iter()
                .enumerate()
                .map(|(k, c)| (c.as_str(), k))
                .collect(),
            unalloc: Vec::new(),
            unalloc_of: HashMap::new(),
            communes: HashMap::new(),
        })
        .collect();
    // Per routed bucket: its index, then one destination per job.
    let mut routed: Vec<usize> = Vec::new();
    let mut routed_at: HashMap<usize, usize> = HashMap::new();
    let mut dests: Vec<Option<(Dest, u32)>> = Vec::new();
    for (b, bucket) in idx.buckets.iter().enumerate() {
        if bucket.is_empty() {
            continue;
        }
        let Some(version) = bucket.version.and_then(|from| {
            tree.versions(&bucket.code)
                .iter()
                .find(|u| u.valid_from == from)
        }) else {
            continue;
        };
        let here: Vec<Option<(Dest, u32)>> = routers
            .iter_mut()
            .map(|r| match r.g.target {
                Target::Predecessors { since } => r.route_predecessors(version, since),
                _ => {
                    let place = resolve::resolve(tree, version, r.on);
                    r.route(place)
                }
            })
            .collect();
        if here.iter().any(Option::is_some) {
            routed_at.insert(b, routed.len());
            routed.push(b);
            dests.extend(here);
        }
    }
    let sizes: Vec<(usize, usize)> = jobs
        .iter()
        .zip(&routers)
        .map(|(j, r)| (j.grouping.rows.len(), r.unalloc.len()))
        .collect();
    let windows: Vec<Window> = jobs
        .iter()
        .map(|j| Window {
            start: asof::day(j.period.start),
            cut: asof::day(j.as_of),
        })
        .collect();
    let acc_of = |job: usize, d: Dest| {
        let n_rows = sizes[job].0;
        match d {
            Dest::Row(r) => r,
            Dest::Direct => n_rows,
            Dest::Unalloc(j) => n_rows + 1 + j,
        }
    };
    let scan = |from: usize, to: usize| {
        let mut accs: Vec<Vec<Acc>> = sizes
            .iter()
            .map(|(n, u)| vec![Acc::default(); n + 1 + u])
            .collect();
        for k in from..to {
            let targets: Vec<(usize, usize, u32)> = (0..nj)
                .filter_map(|j| dests[k * nj + j].map(|(d, c)| (j, acc_of(j, d), c)))
                .collect();
            for (_, slot) in idx.bucket_slots(routed[k]) {
                for (j, a, c) in &targets {
                    let acc = &mut accs[*j][*a];
                    match jobs[*j].rule {
                        Rule::All => add_record(acc, idx, slot, windows[*j], *c),
                        Rule::MediationResults => {
                            add_mediation_results(acc, idx, slot, windows[*j]);
                        }
                        Rule::Received => add_received(acc, idx, slot, windows[*j]),
                    }
                }
            }
        }
        accs
    };
    // Two halves of about equal record counts, one per thread.
    let total: usize = routed.iter().map(|b| idx.buckets[*b].len_bound()).sum();
    let mut split = 0;
    let mut seen = 0;
    for b in &routed {
        if seen * 2 >= total {
            break;
        }
        seen += idx.buckets[*b].len_bound();
        split += 1;
    }
    let all = routed.len();
    let per_job = if total > 50_000 {
        std::thread::scope(|sc| {
            let h = sc.spawn(|| scan(split, all));
            let mut left = scan(0, split);
            // A panicking half must not yield half a report: redo it here.
            let right = h.join().unwrap_or_else(|_| scan(split, all));
            for (l, r) in left.iter_mut().zip(&right) {
                for (a, b) in l.iter_mut().zip(r) {
                    a.merge(b);
                }
            }
            left
        })
    } else {
        scan(0, all)
    };
    // Late amendments: distinct amended records per row, by their bucket's destination.
    let lates: Vec<Vec<u64>> = jobs
        .iter()
        .enumerate()
        .map(|(j, job)| {
            let mut late = vec![0u64; sizes[j].0 + 1 + sizes[j].1];
            let mut seen: Vec<u32> = job.late.to_vec();
            seen.sort_unstable();
            seen.dedup();
            for s in seen {
                let Some(slot) = idx.slots.get(s as usize) else {
                    continue;
                };
                let Some(k) = routed_at.get(&(slot.bucket() as usize)) else {
                    continue;
                };
                if let Some((d, _)) = dests[k * nj + j] {
                    late[acc_of(j, d)] += 1;
                }
            }
            late
        })
        .collect();
    per_job
        .into_iter()
        .zip(routers)
        .zip(sizes)
        .zip(lates)
        .map(|(((accs, router), (n_rows, _)), late)| {
            finish_job(idx, accs, router.unalloc, n_rows, late)
        })
        .collect()
}

fn finish_job(
    idx: &FactIndex,
    mut accs: Vec<Acc>,
    unalloc: Vec<Unalloc>,
    n_rows: usize,
    late: Vec<u64>,
) -> Computed {
    let mut totals = Acc::default();
    let mut late_total = 0;
    for (k, acc) in accs.iter().enumerate() {
        let counted = k <= n_rows || unalloc[k - n_rows - 1].in_totals;
        if counted {
            totals.merge(acc);
            late_total += late.get(k).copied().unwrap_or(0);
        }
    }
    let records = accs.iter().take(n_rows).map(|a| a.records).collect();
    let mut rest = accs.split_off(n_rows);
    let direct_acc = rest.remove(0);
    let direct = (direct_acc.records.iter().any(|n| *n > 0)).then(|| direct_acc.finish(idx));
    // A line with no record taking part in the period is left out (a zero "not allocated"
    // line beside the live communes says nothing).
    let unallocated: Vec<Unalloc> = unalloc
        .into_iter()
        .zip(rest)
        .zip(late.iter().skip(n_rows + 1))
        .filter(|((_, acc), _)| acc.records.iter().any(|n| *n > 0))
        .map(|((mut u, acc), l)| {
            u.late = *l;
            u.indicators = acc.finish(idx);
            u
        })
        .collect();
    Computed {
        totals: totals.finish(idx),
        direct,
        rows: accs.into_iter().map(|a| a.finish(idx)).collect(),
        unallocated,
        records,
        late: late.iter().take(n_rows).copied().collect(),
        late_total,
    }
}

/// A commune's submission status for `period` on `today`.
pub(super) fn submission_status(
    locked_at: Option<DateTime<Utc>>,
    period: &Period,
    today: NaiveDate,
) -> SubmissionStatus {
    match locked_at {
        // The deadline is a day in Vietnam (UTC+7).
        Some(at) if (at + Duration::hours(7)).date_naive() <= period.deadline => {
            SubmissionStatus::OnTime
        }
        Some(_) => SubmissionStatus::Late,
        None if today > period.deadline => SubmissionStatus::Missing,
        None => SubmissionStatus::Open,
    }
}

/// The value of `indicator` in `ind`.
pub(super) fn rank_value(ind: &Indicators, indicator: RankIndicator) -> Option<f64> {
    match indicator {
        RankIndicator::MediationReceived => Some(ind.mediation.received as f64),
        RankIndicator::MediationSuccessRate => ind.mediation.success_rate,
        RankIndicator::InspectionRecommendations => Some(ind.inspection.recommendations as f64),
        RankIndicator::InspectionAnsweredOnTimeRate => ind.inspection.answered_on_time_rate,
        RankIndicator::DemocracyShareMet => ind.democracy.share_met,
        RankIndicator::PetitionsResolvedOnTimeRate => ind.petitions.resolved_on_time_rate,
        RankIndicator::PetitionsOverdue => Some(ind.petitions.overdue as f64),
        RankIndicator::CommitmentsOverdue => Some(ind.dialogues.commitments_overdue as f64),
    }
}

/// Rank by value, highest first, undefined last, ties by code sharing a rank ("1, 2, 2, 4").
pub(super) fn rank(mut values: Vec<(UnitRef, Option<f64>)>) -> Vec<RankRow> {
    values.sort_by(|(ua, a), (ub, b)| {
        let key = |v: &Option<f64>| v.map(|x| -x);
        match (key(a), key(b)) {
            (Some(x), Some(y)) => x.total_cmp(&y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        }
        .then_with(|| ua.code.cmp(&ub.code))
    });
    let mut out: Vec<RankRow> = Vec::with_capacity(values.len());
    for (k, (unit, value)) in values.into_iter().enumerate() {
        let rank = match out.last() {
            Some(prev) if prev.value == value => prev.rank,
            _ => k as u32 + 1,
        };
        out.push(RankRow { rank, unit, value });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(code: &str) -> UnitRef {
        UnitRef {
            code: code.into(),
            name: code.into(),
            level: "commune".into(),
        }
    }

    #[test]
    fn ranks_share_ties_and_put_undefined_last() {
        let rows = rank(vec![
            (unit("c"), Some(0.5)),
            (unit("a"), None),
            (unit("b"), Some(0.9)),
            (unit("d"), Some(0.5)),
        ]);
        let got: Vec<_> = rows
            .iter()
            .map(|r| (r.rank, r.unit.code.as_str()))
            .collect();
        assert_eq!(got, [(1, "b"), (2, "c"), (2, "d"), (4, "a")]);
    }

    #[test]
    fn submission_status_against_the_deadline() {
        let p = super::super::PeriodsConfig::default()
            .period("2026-Q1")
            .unwrap();
        let at = |s: &str| Some(s.parse::<DateTime<Utc>>().unwrap());
        let today: NaiveDate = "2026-05-01".parse().unwrap();
        assert_eq!(
            submission_status(at("2026-04-10T16:00:00Z"), &p, today),
            SubmissionStatus::OnTime
        );
        assert_eq!(
            submission_status(at("2026-04-10T17:30:00Z"), &p, today),
            SubmissionStatus::Late
        );
        assert_eq!(
            submission_status(None, &p, today),
            SubmissionStatus::Missing
        );
        let early: NaiveDate = "2026-04-02".parse().unwrap();
        assert_eq!(submission_status(None, &p, early), SubmissionStatus::Open);
    }
}
