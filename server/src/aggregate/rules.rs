//! The per-record rules: whether and how one record counts in a period as of its cut-off
//! ([`add_record`]), and the accumulator ([`Acc`]) that sums records into [`Indicators`]. The
//! rule of each indicator is tabled in ADR 0004 (docs/adr/0004-aggregation.md).

use danvan_core::RecordKind;

use super::asof::{self, Day, dem, ins, med};
use super::index::{FactIndex, NO_DAY, Slot, flag, flow, kind_of};
use super::types::*;

/// Mediation counters, in [`Acc::med`] order.
mod m {
    // The first seven are also the columns of a category row, in this order.
    pub const RECEIVED: usize = 0;
    pub const CARRIED: usize = 1;
    pub const SUCCESSFUL: usize = 2;
    pub const UNSUCCESSFUL: usize = 3;
    pub const STOPPED: usize = 4;
    pub const REFERRED: usize = 5;
    pub const IN_PROGRESS: usize = 6;
    pub const CAT_N: usize = 7;
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
    pub const NEW: usize = 0;
    pub const CARRIED: usize = 1;
    pub const OPEN: usize = 2;
    pub const FINDINGS: usize = 3;
    pub const VIOLATIONS: usize = 4;
    pub const RECOMMENDATIONS: usize = 5;
    pub const ANSWERED: usize = 6;
    pub const ON_TIME: usize = 7;
    pub const OVERDUE: usize = 8;
    pub const PERSONS: usize = 9;
    pub const N: usize = 10;
}

#[derive(Debug, Clone, Default)]
pub(super) struct Acc {
    med: [u64; m::N],
    fee_vnd: f64,
    days: Vec<u64>,
    cat: Vec<[u64; m::CAT_N]>,
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
    /// Records counted: mediation, inspection, democracy.
    pub records: [u64; 3],
}

fn bump(v: &mut Vec<u64>, i: usize, by: u64) {
    if v.len() <= i {
        v.resize(i + 1, 0);
    }
    v[i] += by;
}

impl Acc {
    /// Add another accumulator's records.
    pub(super) fn merge(&mut self, o: &Acc) {
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
            self.cat.resize(o.cat.len(), [0; m::CAT_N]);
        }
        for (a, b) in self.cat.iter_mut().zip(&o.cat) {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
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

    /// The indicators of the records added.
    pub(super) fn finish(mut self, idx: &FactIndex) -> Indicators {
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
                received: c[m::RECEIVED],
                carried_over: c[m::CARRIED],
                total: c[m::RECEIVED] + c[m::CARRIED],
                successful: c[m::SUCCESSFUL],
                unsuccessful: c[m::UNSUCCESSFUL],
                stopped: c[m::STOPPED],
                referred: c[m::REFERRED],
                in_progress: c[m::IN_PROGRESS],
            })
            .collect();
        by_category.sort_by(|a, b| a.code.cmp(&b.code));
        let mediation = MediationIndicators {
            received: md[m::RECEIVED],
            carried_over: md[m::CARRIED],
            total: md[m::RECEIVED] + md[m::CARRIED],
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
            activities: n[i::NEW] + n[i::CARRIED],
            activities_new: n[i::NEW],
            activities_carried_over: n[i::CARRIED],
            activities_open: n[i::OPEN],
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
pub(super) struct Window {
    /// First day of the period.
    pub start: Day,
    /// The as-of day.
    pub cut: Day,
}

/// Add record `s` to `acc` if it counts in the period as of the cut-off (`commune`: the commune
/// it counts for, for distinct communes checked).
pub(super) fn add_record(acc: &mut Acc, idx: &FactIndex, s: &Slot, w: Window, commune: u32) {
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
            let open = asof::is_open(kind, st);
            let result = !open && st != asof::UNKNOWN && st_day >= w.start;
            if st == med::OUT_OF_SCOPE {
                // Not a mediation case (Law 35/2013 art. 3): its own column, outside the total.
                if result {
                    acc.records[0] += 1;
                    acc.med[m::OUT_OF_SCOPE] += 1;
                }
                return;
            }
            let received = s.main >= w.start;
            // Carried over: received earlier and open the day before the start, or changed in
            // the period (reopened, or closed again), so every case of the period is either new
            // or carried over and the columns balance.
            let carried = !received
                && (asof::status_at(days, sts, w.start - 1)
                    .is_some_and(|(p, _)| asof::is_open(kind, p))
                    || st_day >= w.start);
            if !(received || carried) || !(open || result) {
                return;
            }
            acc.records[0] += 1;
            let cat = usize::from(s.cat);
            if s.cat != u16::MAX && acc.cat.len() <= cat {
                acc.cat.resize(cat + 1, [0; m::CAT_N]);
            }
            let mut add = |j: usize| {
                acc.med[j] += 1;
                if s.cat != u16::MAX {
                    acc.cat[cat][j] += 1;
                }
            };
            add(if received { m::RECEIVED } else { m::CARRIED });
            let mm = idx.med[s.meas as usize];
            if open {
                add(m::IN_PROGRESS);
            } else {
                let k = match st {
                    med::SUCCESSFUL => m::SUCCESSFUL,
                    med::UNSUCCESSFUL => m::UNSUCCESSFUL,
                    med::STOPPED => m::STOPPED,
                    _ => m::REFERRED,
                };
                add(k);
                if k == m::SUCCESSFUL && mm.flags & flag::AGREEMENT_NOT_CARRIED_OUT != 0 {
                    acc.med[m::NOT_CARRIED_OUT] += 1;
                }
                bump(
                    &mut acc.days,
                    (st_day - s.main).clamp(0, 36_600) as usize,
                    1,
                );
            }
            if received {
                if s.sub != u16::MAX {
                    bump(&mut acc.sub, usize::from(s.sub), 1);
                }
                // Characteristics of a case count once, in the period it was received in.
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
            let im = idx.ins[s.meas as usize];
            let n = &mut acc.ins;
            let mut counted = started || carried;
            if counted {
                n[if started { i::NEW } else { i::CARRIED }] += 1;
                if st != ins::CLOSED && st != asof::UNKNOWN {
                    n[i::OPEN] += 1;
                }
                if s.cat != u16::MAX {
                    bump(&mut acc.topics, usize::from(s.cat), 1);
                }
            }
            // Flows count in the period they happened in, whatever the activity's own dates.
            let f = im.flows as usize;
            for cell in &idx.flows[f..f + usize::from(im.flows_len)] {
                if cell.day < w.start || cell.day > w.cut {
                    continue;
                }
                counted = true;
                let whole = cell.value.max(0.0).round() as u64;
                match cell.what {
                    flow::FINDING => n[i::FINDINGS] += whole,
                    flow::VIOLATION => n[i::VIOLATIONS] += whole,
                    flow::RECOMMENDATION_SENT => n[i::RECOMMENDATIONS] += whole,
                    flow::PERSONS_DISCIPLINED => n[i::PERSONS] += whole,
                    flow::MONEY_RECOVERED => acc.money += cell.value,
                    flow::LAND_RECOVERED => acc.land += cell.value,
                    _ => {}
                }
            }
            let a = im.dues as usize;
            for (due, answered) in &idx.dues[a..a + usize::from(im.dues_len)] {
                let by_cut = *answered != NO_DAY && *answered <= w.cut;
                if by_cut && *answered >= w.start {
                    counted = true;
                    n[i::ANSWERED] += 1;
                    if *answered <= *due {
                        n[i::ON_TIME] += 1;
                    }
                } else if !by_cut && *due < w.cut {
                    counted = true;
                    n[i::OVERDUE] += 1;
                }
            }
            if counted {
                acc.records[1] += 1;
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
