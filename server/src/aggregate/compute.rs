//! The scan: resolve each bucket (entered unit version) to a destination row as of the cut-off,
//! then evaluate every record of the buckets inside the subtree against the period's rules and
//! add it to its row's accumulator. Buckets are split across two threads; accumulators merge.
//!
//! The rule of each indicator is in ADR 0004 (docs/adr/0004-aggregation.md).

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use danvan_core::RecordKind;

use super::asof::{self, Day, dem, ins, med};
use super::index::{FactIndex, NO_DAY, Slot, flag, kind_of};
use super::periods::Period;
use super::resolve::{self, Place};
use super::types::*;
use crate::units::{Unit, UnitTree, level};

/// What the rows of a computation are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Target {
    /// The direct children of the root.
    Children,
    /// The given communes.
    Commune,
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
    pub candidates: Vec<String>,
    pub in_totals: bool,
    pub indicators: Indicators,
}

/// The result of a scan.
#[derive(Debug, Clone, Default)]
pub(super) struct Computed {
    pub totals: Indicators,
    pub direct: Option<Indicators>,
    pub rows: Vec<Indicators>,
    pub unallocated: Vec<Unalloc>,
    /// Records counted per row: mediation, inspection, democracy.
    pub records: Vec<[u64; 3]>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dest {
    Row(usize),
    Direct,
    Unalloc(usize),
}

/// Mediation counters, in [`Acc::med`] order.
mod m {
    pub const RECEIVED: usize = 0;
    pub const CARRIED: usize = 1;
    pub const SUCCESSFUL: usize = 2;
    pub const UNSUCCESSFUL: usize = 3;
    pub const IN_PROGRESS: usize = 4;
    pub const STOPPED: usize = 5;
    pub const REFERRED: usize = 6;
    pub const OUT_OF_SCOPE: usize = 7;
    pub const STARTED_LATE: usize = 8;
    pub const VIOLENCE: usize = 9;
    pub const NOT_CARRIED_OUT: usize = 10;
    pub const FEES_CLAIMED: usize = 11;
    pub const FEES_PAID: usize = 12;
    pub const N: usize = 13;
}

/// Inspection counters, in [`Acc::ins`] order.
mod i {
    pub const ACTIVITIES: usize = 0;
    pub const FINDINGS: usize = 1;
    pub const VIOLATIONS: usize = 2;
    pub const RECOMMENDATIONS: usize = 3;
    pub const ANSWERED: usize = 4;
    pub const ON_TIME: usize = 5;
    pub const OVERDUE: usize = 6;
    pub const PERSONS: usize = 7;
    pub const N: usize = 8;
}

#[derive(Debug, Clone, Default)]
struct Acc {
    med: [u64; m::N],
    fee_vnd: f64,
    days: Vec<u64>,
    cat: Vec<[u64; 4]>,
    sub: Vec<u64>,
    ins: [u64; i::N],
    money: f64,
    land: f64,
    topics: Vec<u64>,
    checks: u64,
    dem: [u64; 12],
    ratings: Vec<u64>,
    score_sum: f64,
    score_n: u64,
    communes: Vec<u32>,
    records: [u64; 3],
}

fn bump(v: &mut Vec<u64>, i: usize, by: u64) {
    if v.len() <= i {
        v.resize(i + 1, 0);
    }
    v[i] += by;
}

impl Acc {
    fn merge(&mut self, o: &Acc) {
        for (a, b) in self.med.iter_mut().zip(o.med) {
            *a += b;
        }
        self.fee_vnd += o.fee_vnd;
        for (k, n) in o.days.iter().enumerate() {
            if *n > 0 {
                bump(&mut self.days, k, *n);
            }
        }
        if self.cat.len() < o.cat.len() {
            self.cat.resize(o.cat.len(), [0; 4]);
        }
        for (a, b) in self.cat.iter_mut().zip(&o.cat) {
            for j in 0..4 {
                a[j] += b[j];
            }
        }
        for (k, n) in o.sub.iter().enumerate() {
            bump(&mut self.sub, k, *n);
        }
        for (a, b) in self.ins.iter_mut().zip(o.ins) {
            *a += b;
        }
        self.money += o.money;
        self.land += o.land;
        for (k, n) in o.topics.iter().enumerate() {
            bump(&mut self.topics, k, *n);
        }
        self.checks += o.checks;
        for (a, b) in self.dem.iter_mut().zip(o.dem) {
            *a += b;
        }
        for (k, n) in o.ratings.iter().enumerate() {
            bump(&mut self.ratings, k, *n);
        }
        self.score_sum += o.score_sum;
        self.score_n += o.score_n;
        self.communes.extend_from_slice(&o.communes);
        for (a, b) in self.records.iter_mut().zip(o.records) {
            *a += b;
        }
    }

    fn median_days(&self) -> Option<f64> {
        let n: u64 = self.days.iter().sum();
        if n == 0 {
            return None;
        }
        let kth = |k: u64| {
            let mut seen = 0;
            for (d, c) in self.days.iter().enumerate() {
                seen += c;
                if seen > k {
                    return d as f64;
                }
            }
            0.0
        };
        Some(if n % 2 == 1 {
            kth(n / 2)
        } else {
            (kth(n / 2 - 1) + kth(n / 2)) / 2.0
        })
    }

    fn finish(mut self, idx: &FactIndex) -> Indicators {
        let ratio = |a: u64, b: u64| (b > 0).then(|| a as f64 / b as f64);
        let name = |names: &[String], k: usize| names.get(k).cloned().unwrap_or_default();
        let codes = |v: &[u64], names: &[String]| {
            let mut out: Vec<CodeCount> = v
                .iter()
                .enumerate()
                .filter(|(_, n)| **n > 0)
                .map(|(k, n)| CodeCount {
                    code: name(names, k),
                    count: *n,
                })
                .collect();
            out.sort_by(|a, b| a.code.cmp(&b.code));
            out
        };
        let md = &self.med;
        let mediated = md[m::SUCCESSFUL] + md[m::UNSUCCESSFUL];
        let mut by_category: Vec<CategoryRow> = self
            .cat
            .iter()
            .enumerate()
            .filter(|(_, c)| c.iter().any(|n| *n > 0))
            .map(|(k, c)| CategoryRow {
                code: name(&idx.cats.names, k),
                received: c[0],
                successful: c[1],
                unsuccessful: c[2],
                in_progress: c[3],
            })
            .collect();
        by_category.sort_by(|a, b| a.code.cmp(&b.code));
        let mediation = MediationIndicators {
            received: md[m::RECEIVED],
            carried_over: md[m::CARRIED],
            mediated,
            successful: md[m::SUCCESSFUL],
            unsuccessful: md[m::UNSUCCESSFUL],
            in_progress: md[m::IN_PROGRESS],
            stopped: md[m::STOPPED],
            referred: md[m::REFERRED],
            out_of_scope: md[m::OUT_OF_SCOPE],
            success_rate: ratio(md[m::SUCCESSFUL], mediated),
            median_days_to_close: self.median_days(),
            started_late: md[m::STARTED_LATE],
            violence_risk: md[m::VIOLENCE],
            agreements_not_carried_out: md[m::NOT_CARRIED_OUT],
            fees_claimed: md[m::FEES_CLAIMED],
            fees_paid: md[m::FEES_PAID],
            fee_amount_vnd: self.fee_vnd,
            by_category,
            by_subtype: codes(&self.sub, &idx.subs.names),
        };
        let n = &self.ins;
        let inspection = InspectionIndicators {
            activities: n[i::ACTIVITIES],
            findings: n[i::FINDINGS],
            violations: n[i::VIOLATIONS],
            recommendations: n[i::RECOMMENDATIONS],
            answered: n[i::ANSWERED],
            answered_on_time: n[i::ON_TIME],
            overdue: n[i::OVERDUE],
            answered_on_time_rate: ratio(n[i::ON_TIME], n[i::ANSWERED]),
            money_recovered_vnd: self.money,
            land_recovered_m2: self.land,
            persons_disciplined: n[i::PERSONS],
            by_topic: codes(&self.topics, &idx.cats.names),
        };
        self.communes.sort_unstable();
        self.communes.dedup();
        let d = &self.dem;
        let democracy = DemocracyIndicators {
            checks: self.checks,
            communes_checked: self.communes.iter().filter(|c| **c != u32::MAX).count() as u64,
            items_met: d[0],
            items_partly_met: d[1],
            items_not_met: d[2],
            items_not_applicable: d[3],
            share_met: ratio(d[0], d[0] + d[1] + d[2]),
            ratings: codes(&self.ratings, &idx.cats.names),
            average_score: (self.score_n > 0).then(|| self.score_sum / self.score_n as f64),
            decisions_taken: d[4],
            decisions_meeting_threshold: d[5],
            consultations: d[6],
            complaints_received: d[7],
            complaints_resolved: d[8],
            complaints_outstanding: d[9],
            dialogues_held: d[10],
            remediation_open: d[11],
        };
        Indicators {
            mediation,
            inspection,
            democracy,
        }
    }
}

/// The period's day numbers.
#[derive(Debug, Clone, Copy)]
struct Window {
    start: Day,
    cut: Day,
}

fn add_record(acc: &mut Acc, idx: &FactIndex, s: &Slot, w: Window, commune: u32) {
    if s.main == NO_DAY || s.main > w.cut {
        return;
    }
    let (days, sts) = idx.history(s);
    let Some((st, st_day)) = asof::status_at(days, sts, w.cut) else {
        return;
    };
    let kind = kind_of(s.kind);
    match kind {
        RecordKind::Mediation => {
            let received = s.main >= w.start;
            let carried = !received
                && asof::status_at(days, sts, w.start - 1)
                    .is_some_and(|(p, _)| asof::is_open(kind, p));
            let open = asof::is_open(kind, st);
            let result = !open && st != asof::UNKNOWN && st_day >= w.start;
            if !(received || carried || open || result) {
                return;
            }
            acc.records[0] += 1;
            let cat = usize::from(s.cat);
            if s.cat != u16::MAX && acc.cat.len() <= cat {
                acc.cat.resize(cat + 1, [0; 4]);
            }
            let mut cat_add = |j: usize| {
                if s.cat != u16::MAX {
                    acc.cat[cat][j] += 1;
                }
            };
            if received {
                acc.med[m::RECEIVED] += 1;
                cat_add(0);
            }
            if carried {
                acc.med[m::CARRIED] += 1;
            }
            let mm = idx.med[s.meas as usize];
            if open {
                acc.med[m::IN_PROGRESS] += 1;
                cat_add(3);
            } else if result {
                let k = match st {
                    med::SUCCESSFUL => {
                        cat_add(1);
                        if mm.flags & flag::AGREEMENT_NOT_CARRIED_OUT != 0 {
                            acc.med[m::NOT_CARRIED_OUT] += 1;
                        }
                        m::SUCCESSFUL
                    }
                    med::UNSUCCESSFUL => {
                        cat_add(2);
                        m::UNSUCCESSFUL
                    }
                    med::STOPPED => m::STOPPED,
                    med::REFERRED => m::REFERRED,
                    _ => m::OUT_OF_SCOPE,
                };
                acc.med[k] += 1;
                bump(
                    &mut acc.days,
                    (st_day - s.main).clamp(0, 36_600) as usize,
                    1,
                );
            }
            if received && s.sub != u16::MAX {
                bump(&mut acc.sub, usize::from(s.sub), 1);
            }
            if received || carried {
                let f = |b: u8| u64::from(mm.flags & b != 0);
                acc.med[m::STARTED_LATE] += f(flag::STARTED_LATE);
                acc.med[m::VIOLENCE] += f(flag::VIOLENCE_RISK);
                acc.med[m::FEES_CLAIMED] += f(flag::FEE_CLAIMED);
                acc.med[m::FEES_PAID] += f(flag::FEE_PAID);
                if mm.flags & flag::FEE_CLAIMED != 0 {
                    acc.fee_vnd += mm.fee_vnd;
                }
            }
        }
        RecordKind::Inspection => {
            let started = s.main >= w.start;
            let carried = !started
                && asof::status_at(days, sts, w.start - 1)
                    .is_some_and(|(p, _)| p != ins::CLOSED && p != asof::UNKNOWN);
            if !(started || carried) {
                return;
            }
            acc.records[1] += 1;
            let im = idx.ins[s.meas as usize];
            let n = &mut acc.ins;
            n[i::ACTIVITIES] += 1;
            n[i::FINDINGS] += u64::from(im.findings);
            n[i::VIOLATIONS] += u64::from(im.violations);
            n[i::RECOMMENDATIONS] += u64::from(im.recommendations);
            n[i::PERSONS] += u64::from(im.persons);
            let a = im.dues as usize;
            for (due, answered) in &idx.dues[a..a + usize::from(im.dues_len)] {
                let by_cut = *answered != NO_DAY && *answered <= w.cut;
                if by_cut {
                    n[i::ANSWERED] += 1;
                    if *answered <= *due {
                        n[i::ON_TIME] += 1;
                    }
                } else if *due < w.cut {
                    n[i::OVERDUE] += 1;
                }
            }
            acc.money += im.money_vnd;
            acc.land += f64::from(im.land_m2);
            if s.cat != u16::MAX {
                bump(&mut acc.topics, usize::from(s.cat), 1);
            }
        }
        RecordKind::Democracy => {
            if s.main < w.start {
                return;
            }
            acc.records[2] += 1;
            if st != dem::SUBMITTED && st != dem::CLOSED {
                return;
            }
            let dm = idx.dem[s.meas as usize];
            acc.checks += 1;
            for (a, b) in acc.dem.iter_mut().zip(dm.n) {
                *a += u64::from(b);
            }
            if s.cat != u16::MAX {
                bump(&mut acc.ratings, usize::from(s.cat), 1);
            }
            if dm.score >= 0 {
                acc.score_sum += f64::from(dm.score);
                acc.score_n += 1;
            }
            acc.communes.push(commune);
        }
    }
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
            Target::Commune => anc
                .iter()
                .find_map(|a| self.rows.get(a.as_str()))
                .map(|r| Dest::Row(*r)),
        }
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
                let j = match self.unalloc_of.get(&from) {
                    Some(j) => *j,
                    None => {
                        let name = self
                            .tree
                            .versions(&from.0)
                            .iter()
                            .find(|u| u.valid_from == from.1)
                            .map(|u| (u.name.clone(), u.level.clone()))
                            .unwrap_or_else(|| (from.0.clone(), String::new()));
                        self.unalloc.push(Unalloc {
                            from: UnitRef {
                                code: from.0.clone(),
                                name: name.0,
                                level: name.1,
                            },
                            candidates: candidates.clone(),
                            in_totals: root_is_lca,
                            indicators: Indicators::default(),
                        });
                        self.unalloc_of.insert(from, self.unalloc.len() - 1);
                        self.unalloc.len() - 1
                    }
                };
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
            on: j.as_of,
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
    let mut dests: Vec<Option<(Dest, u32)>> = Vec::new();
    for (b, bucket) in idx.buckets.iter().enumerate() {
        if bucket.slots.is_empty() {
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
            .map(|r| {
                let place = resolve::resolve(tree, version, r.on);
                r.route(place)
            })
            .collect();
        if here.iter().any(Option::is_some) {
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
            for s in &idx.buckets[routed[k]].slots {
                let slot = &idx.slots[*s as usize];
                for (j, a, c) in &targets {
                    add_record(&mut accs[*j][*a], idx, slot, windows[*j], *c);
                }
            }
        }
        accs
    };
    // Two halves of about equal record counts, one per thread.
    let total: usize = routed.iter().map(|b| idx.buckets[*b].slots.len()).sum();
    let mut split = 0;
    let mut seen = 0;
    for b in &routed {
        if seen * 2 >= total {
            break;
        }
        seen += idx.buckets[*b].slots.len();
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
    per_job
        .into_iter()
        .zip(routers)
        .zip(sizes)
        .map(|((accs, router), (n_rows, _))| finish_job(idx, accs, router.unalloc, n_rows))
        .collect()
}

fn finish_job(
    idx: &FactIndex,
    mut accs: Vec<Acc>,
    unalloc: Vec<Unalloc>,
    n_rows: usize,
) -> Computed {
    let mut totals = Acc::default();
    for (k, acc) in accs.iter().enumerate() {
        let counted = k <= n_rows || unalloc[k - n_rows - 1].in_totals;
        if counted {
            totals.merge(acc);
        }
    }
    let records = accs.iter().take(n_rows).map(|a| a.records).collect();
    let mut rest = accs.split_off(n_rows);
    let direct_acc = rest.remove(0);
    let direct = (direct_acc.records.iter().any(|n| *n > 0)).then(|| direct_acc.finish(idx));
    let mut unallocated = unalloc;
    for (u, acc) in unallocated.iter_mut().zip(rest) {
        u.indicators = acc.finish(idx);
    }
    Computed {
        totals: totals.finish(idx),
        direct,
        rows: accs.into_iter().map(|a| a.finish(idx)).collect(),
        unallocated,
        records,
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
