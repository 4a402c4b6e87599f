//! Helpers shared by the integration tests.

use danvan_core::model::common::Date;
use danvan_core::model::{DemocracyCheck, InspectionActivity, MediationCase};
use danvan_core::{KindRules, Record, RecordBody, RecordDoc, RulesConfig};
use uuid::Uuid;

pub fn ymd(y: i32, m: u32, d: u32) -> Date {
    Date::ymd(y, m, d).unwrap()
}

/// Every (field, code) a body breaks under the default rules.
pub fn issues(body: &impl KindRules) -> Vec<(String, String)> {
    let mut out = Vec::new();
    body.validate(&RulesConfig::default(), &mut out);
    for i in &out {
        assert!(!i.vi.is_empty() && !i.en.is_empty(), "{i:?}");
    }
    out.into_iter().map(|i| (i.field, i.code)).collect()
}

/// Assert the body breaks exactly the rule `code` on `field` (and nothing else).
#[track_caller]
pub fn assert_only(body: &impl KindRules, field: &str, code: &str) {
    let got = issues(body);
    assert_eq!(got, vec![(field.to_string(), code.to_string())]);
}

pub fn mediation(r: &Record) -> &MediationCase {
    match &r.body {
        RecordBody::Mediation(m) => m,
        _ => panic!("not a mediation case"),
    }
}

pub fn mediation_mut(r: &mut Record) -> &mut MediationCase {
    match &mut r.body {
        RecordBody::Mediation(m) => m,
        _ => panic!("not a mediation case"),
    }
}

pub fn inspection_mut(r: &mut Record) -> &mut InspectionActivity {
    match &mut r.body {
        RecordBody::Inspection(m) => m,
        _ => panic!("not an inspection"),
    }
}

pub fn democracy_mut(r: &mut Record) -> &mut DemocracyCheck {
    match &mut r.body {
        RecordBody::Democracy(m) => m,
        _ => panic!("not a democracy check"),
    }
}

/// Create a document from the record, save it, load it on another device and read it back.
pub fn round_trip(record: &Record) -> Record {
    let device = Uuid::now_v7();
    let mut doc = RecordDoc::create(record, &device).unwrap();
    let bytes = doc.save();
    RecordDoc::load(&bytes, &Uuid::now_v7())
        .unwrap()
        .record()
        .unwrap()
}
