//! The fact row: de-identified, with the measures reports need.

use danvan_core::facts::Fact;
use danvan_core::model::common::Date;
use danvan_core::model::{DemocracyCheck, InspectionActivity, MediationCase};
use danvan_core::{Record, RecordBody, RulesConfig};

fn d(y: i32, m: u32, day: u32) -> Date {
    Date::ymd(y, m, day).unwrap()
}

#[test]
fn mediation_fact_has_history_measures_and_no_personal_data() {
    let cfg = RulesConfig::default();
    let mut r = Record::new(
        "31-TDP5",
        "dev",
        d(2025, 9, 2),
        RecordBody::Mediation(MediationCase::example()),
    );
    r.transition("mediating", d(2025, 9, 10), "dev", None)
        .unwrap();
    let RecordBody::Mediation(m) = &mut r.body else {
        unreachable!()
    };
    m.started_on = Some(d(2025, 9, 10)); // assigned 3 Sep: 7 days, later than the 3-day rule
    let m = m.clone();
    let f = Fact::from_record(&r, &cfg);
    assert_eq!(f.status, "mediating");
    assert_eq!(
        f.history
            .iter()
            .map(|h| h.status.as_str())
            .collect::<Vec<_>>(),
        ["received", "mediating"]
    );
    assert_eq!(f.measure("started_late"), 1.0);
    assert_eq!(
        f.measure("mediated"),
        0.0,
        "still mediating: not yet counted as mediated"
    );
    assert_eq!(f.category.as_deref(), Some(m.category.to_string().as_str()));
    assert_eq!(f.subtype.as_deref(), Some(m.subtype.to_string().as_str()));
    let json = serde_json::to_string(&f).unwrap();
    for p in &m.parties {
        assert!(
            !json.contains(&p.name),
            "party name leaked into the fact row"
        );
        assert!(
            !json.contains(&p.address),
            "address leaked into the fact row"
        );
    }
    // A later start under a longer configured deadline is not late.
    let lenient = RulesConfig {
        mediation_start_days: 10,
        ..RulesConfig::default()
    };
    assert_eq!(Fact::from_record(&r, &lenient).measure("started_late"), 0.0);
}

#[test]
fn inspection_and_democracy_facts_carry_their_measures() {
    let cfg = RulesConfig::default();
    let a = InspectionActivity::example_handled();
    let expected_money = a.outcomes.money_recovered_vnd as f64;
    let r = Record::new(
        "31-KIEN-THUY",
        "dev",
        d(2025, 7, 1),
        RecordBody::Inspection(a.clone()),
    );
    let f = Fact::from_record(&r, &cfg);
    assert_eq!(f.measure("findings"), a.findings.len() as f64);
    assert_eq!(f.measure("recommendations"), a.recommendations.len() as f64);
    assert_eq!(f.measure("money_recovered_vnd"), expected_money);
    // One (due day, answered day) pair per sent recommendation, for "overdue as of" figures.
    let day = |y, m, dd| f64::from(chrono::Datelike::num_days_from_ce(&d(y, m, dd).0));
    let dues: Vec<f64> = f
        .measures
        .iter()
        .filter(|(n, _)| n == "recommendation_due_day")
        .map(|(_, v)| *v)
        .collect();
    let answered: Vec<f64> = f
        .measures
        .iter()
        .filter(|(n, _)| n == "recommendation_answered_day")
        .map(|(_, v)| *v)
        .collect();
    let sent = a
        .recommendations
        .iter()
        .filter(|r| r.sent_on.is_some())
        .count();
    assert_eq!((dues.len(), answered.len()), (sent, sent));
    assert_eq!(dues[0], day(2025, 9, 4));
    assert!(
        answered[0] > 0.0 && answered[0] <= dues[0],
        "answered on time in the example"
    );

    let c = DemocracyCheck::example_submitted();
    let items = c.items.len() as f64;
    let r = Record::new(
        "31-TIEN-LANG",
        "dev",
        d(2025, 10, 10),
        RecordBody::Democracy(c),
    );
    let f = Fact::from_record(&r, &cfg);
    let assessed = f.measure("items_met")
        + f.measure("items_partly_met")
        + f.measure("items_not_met")
        + f.measure("items_not_applicable");
    assert_eq!(
        assessed, items,
        "every item of the template is counted once"
    );
    assert!(f.measure("compliance_percent") > 0.0);
}
