//! The per-record rules: whether and how one record counts in a period as of its cut-off
//! ([`add_record`]), and the accumulator ([`Acc`]) that sums records into [`Indicators`]. The
//! rule of each indicator is tabled in ADR 0004 (docs/adr/0004-aggregation.md).

use danvan_core::RecordKind;

use super::asof::{self, Day, dem, dlg, ins, med, pet};
use super::index::{FactIndex, Hist, NO_DAY, Slot, flag, flow, kind_of, pflag};
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

/// Petition counters, in [`Acc::pet`] order.
mod p {
    pub const RECEIVED: usize = 0;
    pub const CARRIED: usize = 1;
    pub const ACCEPTED: usize = 2;
    pub const RESOLVED: usize = 3;
    pub const ON_TIME: usize = 4;
    pub const FORWARDED: usize = 5;
    pub const NOT_ACCEPTED: usize = 6;
    pub const WITHDRAWN: usize = 7;
    pub const IN_PROGRESS: usize = 8;
    pub const OVERDUE: usize = 9;
    pub const EXTENDED: usize = 10;
    pub const GROUP: usize = 11;
    pub const N: usize = 12;
}

/// Dialogue counters, in [`Acc::dlg`] order.
mod g {
    pub const HELD: usize = 0;
    pub const BY_HEAD: usize = 1;
    pub const RECEPTION_DAYS: usize = 2;
    pub const PARTICIPANTS: usize = 3;
    pub const ISSUES: usize = 4;
    pub const ON_THE_SPOT: usize = 5;
    pub const COMMITMENTS: usize = 6;
    pub const REFERRED: usize = 7;
    pub const KEPT_ON_TIME: usize = 8;
    pub const KEPT_LATE: usize = 9;
    pub const OVERDUE: usize = 10;
    pub const N: usize = 11;
}

#[derive(Debug, Clone, Default)]
pub(super) struct Acc {
    pet: [u64; p::N],
    pet_types: Vec<u64>,
    pet_subjects: Vec<u64>,
    pet_channels: Vec<u64>,
    pet_outcomes: Vec<u64>,
    pet_reasons: Vec<u64>,
    dlg: [u64; g::N],
    dlg_communes: Vec<u32>,
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
    /// Records counted: mediation, inspection, democracy, petitions, dialogues.
    pub records: [u64; 5],
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
        for (a, b) in self.pet.iter_mut().zip(o.pet) {
            *a += b;
        }
        for (mine, theirs) in [
            (&mut self.pet_types, &o.pet_types),
            (&mut self.pet_subjects, &o.pet_subjects),
            (&mut self.pet_channels, &o.pet_channels),
            (&mut self.pet_outcomes, &o.pet_outcomes),
            (&mut self.pet_reasons, &o.pet_reasons),
        ] {
            for (k, n) in theirs.iter().enumerate() {
                bump(mine, k, *n);
            }
        }
        for (a, b) in self.dlg.iter_mut().zip(o.dlg) {
            *a += b;
        }
        self.dlg_communes.extend_from_slice(&o.dlg_communes);
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
                    suppressed: false,
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
                suppressed: false,
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
        let pt = &self.pet;
        let petitions = PetitionIndicators {
            received: pt[p::RECEIVED],
            carried_over: pt[p::CARRIED],
            total: pt[p::RECEIVED] + pt[p::CARRIED],
            accepted: pt[p::ACCEPTED],
            resolved: pt[p::RESOLVED],
            resolved_on_time: pt[p::ON_TIME],
            resolved_on_time_rate: ratio(pt[p::ON_TIME], pt[p::RESOLVED]),
            forwarded: pt[p::FORWARDED],
            not_accepted: pt[p::NOT_ACCEPTED],
            withdrawn: pt[p::WITHDRAWN],
            in_progress: pt[p::IN_PROGRESS],
            overdue: pt[p::OVERDUE],
            extended: pt[p::EXTENDED],
            group: pt[p::GROUP],
            by_type: codes(&self.pet_types, &idx.cats.names),
            by_subject: codes(&self.pet_subjects, &idx.subs.names),
            by_channel: codes(&self.pet_channels, &idx.cats.names),
            by_outcome: codes(&self.pet_outcomes, &idx.cats.names),
            by_reason: codes(&self.pet_reasons, &idx.cats.names),
        };
        self.dlg_communes.sort_unstable();
        self.dlg_communes.dedup();
        let dg = &self.dlg;
        let dialogues = DialogueIndicators {
            held: dg[g::HELD],
            chaired_by_head: dg[g::BY_HEAD],
            reception_days: dg[g::RECEPTION_DAYS],
            communes_holding: self.dlg_communes.iter().filter(|c| **c != u32::MAX).count() as u64,
            participants: dg[g::PARTICIPANTS],
            issues: dg[g::ISSUES],
            answered_on_the_spot: dg[g::ON_THE_SPOT],
            commitments: dg[g::COMMITMENTS],
            referred: dg[g::REFERRED],
            kept_on_time: dg[g::KEPT_ON_TIME],
            kept_late: dg[g::KEPT_LATE],
            commitments_overdue: dg[g::OVERDUE],
        };
        Indicators {
            mediation,
            inspection,
            democracy,
            petitions,
            dialogues,
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
/// Only the mediation cases received in the window, as [`add_record`] counts them (in the
/// received column and the record count): a case received in [start, cut-off], not found out
/// of scope, open at the cut-off or with a result by then. The commune table's sparklines read
/// this over the earlier periods of a series (ADR 0015), at a fraction of the full rules' cost.
pub(super) fn add_received(acc: &mut Acc, idx: &FactIndex, s: &Slot, w: Window) {
    if s.main == NO_DAY || s.main > w.cut || s.main < w.start {
        return;
    }
    if kind_of(s.kind()) != RecordKind::Mediation {
        return;
    }
    let h = idx.history(s);
    let Some((st, st_day)) = h.status_at(w.cut) else {
        return;
    };
    let open = asof::is_open(RecordKind::Mediation, st);
    let result = !open && st != asof::UNKNOWN && st_day >= w.start;
    if st != med::OUT_OF_SCOPE && (open || result) {
        acc.records[0] += 1;
        acc.med[m::RECEIVED] += 1;
    }
}

/// Only the mediation cases received and the results (successful, unsuccessful) in the window,
/// as [`add_record`] counts them: the previous period of the commune table needs no more (the
/// trend of cases received and of the success rate, ADR 0015). A result in the window always
/// counts (its case is new or carried over), so no carried-over test is needed.
pub(super) fn add_mediation_results(acc: &mut Acc, idx: &FactIndex, s: &Slot, w: Window) {
    if s.main == NO_DAY || s.main > w.cut || kind_of(s.kind()) != RecordKind::Mediation {
        return;
    }
    let h = idx.history(s);
    let Some((st, st_day)) = h.status_at(w.cut) else {
        return;
    };
    if st == med::OUT_OF_SCOPE {
        return;
    }
    let open = asof::is_open(RecordKind::Mediation, st);
    let result = !open && st != asof::UNKNOWN && st_day >= w.start;
    if s.main >= w.start && (open || result) {
        acc.records[0] += 1;
        acc.med[m::RECEIVED] += 1;
    }
    if result {
        match st {
            med::SUCCESSFUL => acc.med[m::SUCCESSFUL] += 1,
            med::UNSUCCESSFUL => acc.med[m::UNSUCCESSFUL] += 1,
            _ => {}
        }
    }
}

#[inline]
pub(super) fn add_record(acc: &mut Acc, idx: &FactIndex, s: &Slot, w: Window, commune: u32) {
    if s.main == NO_DAY || s.main > w.cut {
        return;
    }
    let h = idx.history(s);
    let kind = kind_of(s.kind());
    let Some((st, st_day)) = h.status_at(w.cut) else {
        return;
    };
    match kind {
        RecordKind::Mediation => add_mediation(acc, idx, s, w, h, (st, st_day)),
        RecordKind::Inspection => add_inspection(acc, idx, s, w, h, st),
        RecordKind::Democracy => add_democracy(acc, idx, s, w, st, commune),
        RecordKind::Petition => add_petition(acc, idx, s, w, h, (st, st_day)),
        RecordKind::Dialogue => add_dialogue(acc, idx, s, w, st, commune),
    }
}

/// A mediation case (80 % of the records: kept inline in the scan).
#[inline]
fn add_mediation(
    acc: &mut Acc,
    idx: &FactIndex,
    s: &Slot,
    w: Window,
    h: Hist<'_>,
    (st, st_day): (u8, Day),
) {
    let kind = RecordKind::Mediation;
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
        && (h
            .status_at(w.start - 1)
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
    let mm = idx.med_of(s);
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

/// An inspection activity: new or carried over, its flows and its recommendations' answers in the period.
fn add_inspection(acc: &mut Acc, idx: &FactIndex, s: &Slot, w: Window, h: Hist<'_>, st: u8) {
    let started = s.main >= w.start;
    let carried = !started
        && h.status_at(w.start - 1)
            .is_some_and(|(p, _)| p != ins::CLOSED && p != asof::UNKNOWN);
    let im = idx.ins[s.meas() as usize];
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
        let value = cell.value(idx);
        let whole = value.max(0.0).round() as u64;
        match cell.what() {
            flow::FINDING => n[i::FINDINGS] += whole,
            flow::VIOLATION => n[i::VIOLATIONS] += whole,
            flow::RECOMMENDATION_SENT => n[i::RECOMMENDATIONS] += whole,
            flow::PERSONS_DISCIPLINED => n[i::PERSONS] += whole,
            flow::MONEY_RECOVERED => acc.money += value,
            flow::LAND_RECOVERED => acc.land += value,
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

/// A democracy check: counted in the period it was made in, once submitted.
fn add_democracy(acc: &mut Acc, idx: &FactIndex, s: &Slot, w: Window, st: u8, commune: u32) {
    if s.main < w.start {
        return;
    }
    acc.records[2] += 1;
    if st != dem::SUBMITTED && st != dem::CLOSED {
        return;
    }
    let dm = idx.dem[s.meas() as usize];
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

/// A petition: new or carried over, and at the cut-off open or closed in the period (so the
/// columns balance); acceptances and extensions count as flows in the period they happened in;
/// "overdue" is read at the cut-off with the extensions decided by then.
fn add_petition(
    acc: &mut Acc,
    idx: &FactIndex,
    s: &Slot,
    w: Window,
    h: Hist<'_>,
    (st, st_day): (u8, Day),
) {
    let kind = RecordKind::Petition;
    let pm = idx.pet[s.meas() as usize];
    let pairs = idx.pairs(pm.dues, pm.dues_len);
    let inside = |d: Day| d >= w.start && d <= w.cut;
    let n = &mut acc.pet;
    let mut counted = false;
    for (d, code) in h.entries() {
        if code == pet::ACCEPTED && inside(d) {
            n[p::ACCEPTED] += 1;
            counted = true;
        }
    }
    for (decided, _) in pairs {
        if inside(*decided) {
            n[p::EXTENDED] += 1;
            counted = true;
        }
    }
    // The resolution deadline in force on `on`: the base, moved by each extension decided by
    // then (the pairs are in decided order, each holding the deadline after it).
    let due_on = |on: Day| {
        pairs
            .iter()
            .filter(|(decided, _)| *decided <= on)
            .map(|(_, due)| *due)
            .next_back()
            .unwrap_or(pm.resolve_due)
    };
    let open = asof::is_open(kind, st);
    let result = !open && st != asof::UNKNOWN && st_day >= w.start;
    let received = s.main >= w.start;
    let carried = !received
        && h.status_at(w.start - 1)
            .is_some_and(|(p, _)| asof::is_open(kind, p));
    if (received || carried) && (open || result) {
        counted = true;
        n[if received { p::RECEIVED } else { p::CARRIED }] += 1;
        if pm.flags & pflag::GROUP != 0 {
            n[p::GROUP] += 1;
        }
        if s.cat != u16::MAX {
            bump(&mut acc.pet_types, usize::from(s.cat), 1);
        }
        if s.sub != u16::MAX {
            bump(&mut acc.pet_subjects, usize::from(s.sub), 1);
        }
        if received && pm.channel != u16::MAX {
            bump(&mut acc.pet_channels, usize::from(pm.channel), 1);
        }
        if open {
            n[p::IN_PROGRESS] += 1;
            let due = if st == pet::RECEIVED {
                pm.accept_due
            } else {
                due_on(w.cut)
            };
            if due != NO_DAY && due < w.cut {
                n[p::OVERDUE] += 1;
            }
        } else {
            match st {
                pet::RESOLVED | pet::ENFORCED => {
                    n[p::RESOLVED] += 1;
                    // The day it was resolved: its last `resolved` entry by the cut-off.
                    let resolved = h
                        .entries()
                        .filter(|(d, c)| *c == pet::RESOLVED && *d <= w.cut)
                        .map(|(d, _)| d)
                        .last()
                        .unwrap_or(st_day);
                    let due = due_on(resolved);
                    if due != NO_DAY && resolved <= due {
                        n[p::ON_TIME] += 1;
                    }
                    if pm.outcome != u16::MAX {
                        bump(&mut acc.pet_outcomes, usize::from(pm.outcome), 1);
                    }
                }
                pet::FORWARDED => n[p::FORWARDED] += 1,
                pet::WITHDRAWN => n[p::WITHDRAWN] += 1,
                _ => n[p::NOT_ACCEPTED] += 1,
            }
            if matches!(st, pet::FORWARDED | pet::RETURNED | pet::FILED) && pm.reason != u16::MAX {
                bump(&mut acc.pet_reasons, usize::from(pm.reason), 1);
            }
        }
    }
    if counted {
        acc.records[3] += 1;
    }
}

/// A dialogue held in the period counts with its participants and issues; its commitments count
/// as kept (on time or late) in the period they were done in, and as overdue at the cut-off
/// whenever the dialogue was held.
fn add_dialogue(acc: &mut Acc, idx: &FactIndex, s: &Slot, w: Window, st: u8, commune: u32) {
    if st != dlg::HELD && st != dlg::CLOSED {
        return;
    }
    let dm = idx.dlg[s.meas() as usize];
    let n = &mut acc.dlg;
    let mut counted = false;
    if s.main >= w.start {
        counted = true;
        let reception = s.cat != u16::MAX
            && idx.cats.names.get(usize::from(s.cat)).map(String::as_str) == Some("reception_day");
        if reception {
            n[g::RECEPTION_DAYS] += 1;
        } else {
            n[g::HELD] += 1;
            if dm.head {
                n[g::BY_HEAD] += 1;
                acc.dlg_communes.push(commune);
            }
        }
        n[g::PARTICIPANTS] += u64::from(dm.participants);
        n[g::ISSUES] += u64::from(dm.issues);
        n[g::ON_THE_SPOT] += u64::from(dm.on_the_spot);
        n[g::COMMITMENTS] += u64::from(dm.commitments);
        n[g::REFERRED] += u64::from(dm.referred);
    }
    for (due, done) in idx.pairs(dm.dues, dm.dues_len) {
        let by_cut = *done != NO_DAY && *done <= w.cut;
        if by_cut && *done >= w.start {
            counted = true;
            n[if *done <= *due {
                g::KEPT_ON_TIME
            } else {
                g::KEPT_LATE
            }] += 1;
        } else if !by_cut && *due < w.cut {
            counted = true;
            n[g::OVERDUE] += 1;
        }
    }
    if counted {
        acc.records[4] += 1;
    }
}
