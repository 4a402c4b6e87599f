//! A generator of realistic synthetic fact rows (docs/domain.md volumes): mediation most common
//! (~80 %), with 60–80 % of mediated cases successful, some stopped/referred/out of scope and some
//! still in progress; inspection activities with findings, recommendations and answer dates;
//! democracy checks with item outcomes and ratings. Dates spread over 2024-01-01..2026-10-31;
//! records before the 2025-07-01 reform are entered under old communes, and a few after it
//! still are (phones not yet updated).

use chrono::{Datelike, Days, NaiveDate};
use danvan_core::facts::{Fact, FactStatus, Flow};
use danvan_core::model::common::Date;
use danvan_core::model::democracy::Rating;
use danvan_core::model::inspection::{ActivityType, Topic};
use danvan_core::model::mediation::{MediationCategory, MediationSubtype};
use danvan_core::{Coded, RecordKind};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Units records may be entered under.
pub struct UnitPool {
    /// Units in force before the reform (old communes, their villages).
    pub before: Vec<String>,
    /// Units in force after it (new communes, villages).
    pub after: Vec<String>,
    /// The day the new units start (`None`: no reform in this tree).
    pub reform: Option<NaiveDate>,
}

/// The generator (deterministic for a seed).
pub struct Gen {
    rng: StdRng,
    first: NaiveDate,
    span: u64,
    last: NaiveDate,
}

fn day(d: NaiveDate) -> Date {
    Date(d)
}

impl Gen {
    /// A generator for records from 2024-01-01 to 2026-10-31.
    pub fn new(seed: u64) -> Self {
        let first = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or(NaiveDate::MIN);
        let last = NaiveDate::from_ymd_opt(2026, 10, 31).unwrap_or(NaiveDate::MAX);
        Gen {
            rng: StdRng::seed_from_u64(seed),
            first,
            span: (last - first).num_days() as u64,
            last,
        }
    }

    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.rng.random_range(0..v.len())]
    }

    fn later(&mut self, d: NaiveDate, lo: u64, hi: u64) -> NaiveDate {
        d.checked_add_days(Days::new(self.rng.random_range(lo..=hi)))
            .unwrap_or(d)
    }

    /// Fact number `n`.
    pub fn fact(&mut self, n: u64, units: &UnitPool) -> Fact {
        let main = self
            .first
            .checked_add_days(Days::new(self.rng.random_range(0..=self.span)))
            .unwrap_or(self.first);
        let unit = match units.reform {
            Some(r) if main < r || self.rng.random_bool(0.03) => self.pick(&units.before).clone(),
            _ => self.pick(&units.after).clone(),
        };
        let roll: f64 = self.rng.random();
        let id = uuid::Uuid::from_u64_pair(0xDA7A_0000_0000_0000 | (n >> 32), n).to_string();
        let mut f = if roll < 0.80 {
            self.mediation(main)
        } else if roll < 0.95 {
            self.inspection(main)
        } else {
            self.democracy(main)
        };
        f.id = id;
        f.unit = unit;
        f
    }

    fn base(kind: RecordKind, main: NaiveDate) -> Fact {
        Fact {
            id: String::new(),
            kind,
            unit: String::new(),
            unit_on: day(main),
            status: String::new(),
            category: None,
            subtype: None,
            main_date: Some(day(main)),
            closed_on: None,
            history: Vec::new(),
            measures: Vec::new(),
            flows: Vec::new(),
        }
    }

    fn push(&self, f: &mut Fact, status: &str, on: NaiveDate) -> bool {
        if on > self.last {
            return false;
        }
        f.history.push(FactStatus {
            status: status.into(),
            on: day(on),
        });
        f.status = status.into();
        true
    }

    fn flag(&mut self, f: &mut Fact, name: &str, p: f64) {
        let v = if self.rng.random_bool(p) { 1.0 } else { 0.0 };
        f.measures.push((name.into(), v));
    }

    fn mediation(&mut self, main: NaiveDate) -> Fact {
        let mut f = Self::base(RecordKind::Mediation, main);
        f.category = Some(self.pick(MediationCategory::all()).code().into());
        f.subtype = Some(self.pick(MediationSubtype::all()).code().into());
        self.push(&mut f, "received", main);
        let start = self.later(main, 0, 6);
        let started = self.push(&mut f, "mediating", start);
        let outcome: f64 = self.rng.random();
        let end = self.later(start, 3, 60);
        if started && outcome > 0.06 {
            let status = match self.rng.random_range(0..100) {
                0..70 => "successful",
                70..90 => "unsuccessful",
                90..94 => "stopped",
                94..97 => "referred",
                _ => "out_of_scope",
            };
            if self.push(&mut f, status, end) {
                f.closed_on = Some(day(end));
                f.measures
                    .push(("days_to_close".into(), (end - main).num_days() as f64));
                f.measures.push(("mediated".into(), 1.0));
                if status == "successful" && self.rng.random_bool(0.03) {
                    // Agreement later undone: reverted to mediating.
                    let again = self.later(end, 5, 40);
                    if self.push(&mut f, "mediating", again) {
                        f.closed_on = None;
                    }
                }
            }
        }
        self.flag(&mut f, "started_late", 0.08);
        self.flag(&mut f, "violence_risk", 0.02);
        self.flag(&mut f, "agreement_not_carried_out", 0.02);
        let claimed = self.rng.random_bool(0.05);
        f.measures
            .push(("fee_claimed".into(), f64::from(u8::from(claimed))));
        f.measures.push((
            "fee_paid".into(),
            f64::from(u8::from(claimed && self.rng.random_bool(0.8))),
        ));
        let fee = if claimed {
            self.rng.random_range(100_000..2_000_000)
        } else {
            0
        };
        f.measures.push(("fee_amount_vnd".into(), fee as f64));
        f
    }

    fn inspection(&mut self, main: NaiveDate) -> Fact {
        let mut f = Self::base(RecordKind::Inspection, main);
        f.category = Some(self.pick(Topic::all()).code().into());
        f.subtype = Some(self.pick(ActivityType::all()).code().into());
        self.push(&mut f, "in_progress", main);
        let findings = self.rng.random_range(0..5u32);
        let recs = if findings > 0 {
            self.rng.random_range(0..=findings.min(3))
        } else {
            0
        };
        let sent = self.later(main, 10, 40);
        if recs > 0 && self.push(&mut f, "awaiting_answer", sent) {
            for _ in 0..recs {
                let due = self.later(sent, 15, 15);
                let answered = self.later(sent, 3, 40);
                let a = if answered <= self.last && self.rng.random_bool(0.85) {
                    f64::from(answered.num_days_from_ce())
                } else {
                    -1.0
                };
                f.measures.push((
                    "recommendation_due_day".into(),
                    f64::from(due.num_days_from_ce()),
                ));
                f.measures.push(("recommendation_answered_day".into(), a));
            }
            let done = self.later(sent, 20, 90);
            if self.rng.random_bool(0.7) {
                self.push(&mut f, "closed", done);
            }
        } else if self.rng.random_bool(0.8) {
            let done = self.later(main, 10, 60);
            self.push(&mut f, "closed", done);
        }
        // Flows on their own days: findings a few days into the activity, recommendations on
        // the day they were sent, money when recovered.
        let found = day(self.later(main, 1, 9));
        for k in 0..findings {
            f.flows.push(Flow::new("finding", found, 1.0));
            if k < findings / 2 {
                f.flows.push(Flow::new("violation", found, 1.0));
            }
        }
        for _ in 0..recs {
            f.flows
                .push(Flow::new("recommendation_sent", day(sent), 1.0));
        }
        if self.rng.random_bool(0.1) {
            let money = self.rng.random_range(1..50) * 1_000_000;
            let on = day(self.later(sent, 5, 60));
            f.flows
                .push(Flow::new("money_recovered_vnd", on, f64::from(money)));
        }
        f
    }

    fn democracy(&mut self, main: NaiveDate) -> Fact {
        let mut f = Self::base(RecordKind::Democracy, main);
        f.category = Some(self.pick(Rating::all()).code().into());
        self.push(&mut f, "draft", main);
        let sub = self.later(main, 1, 10);
        if self.rng.random_bool(0.9)
            && self.push(&mut f, "submitted", sub)
            && self.rng.random_bool(0.6)
        {
            let closed = self.later(sub, 5, 30);
            self.push(&mut f, "closed", closed);
        }
        let met = self.rng.random_range(10..30u32);
        for (name, v) in [
            ("items_met", met),
            ("items_partly_met", self.rng.random_range(0..5)),
            ("items_not_met", self.rng.random_range(0..3)),
            ("items_not_applicable", self.rng.random_range(0..3)),
            ("decisions_taken", self.rng.random_range(0..4)),
            ("complaints_received", self.rng.random_range(0..6)),
            ("dialogues_held", self.rng.random_range(0..3)),
            ("remediation_open", self.rng.random_range(0..3)),
        ] {
            f.measures.push((name.into(), f64::from(v)));
        }
        f.measures
            .push(("score".into(), f64::from(self.rng.random_range(50..100u32))));
        f
    }
}
