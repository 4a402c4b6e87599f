//! The on-disk / wire JSON shape of every record kind, pinned by snapshots: a change of field
//! name, code or nesting shows up as a snapshot diff and must be a deliberate edit.
//! Item ids and timestamps are made fresh on each run, so they are redacted.

use danvan_core::model::{DemocracyCheck, InspectionActivity, MediationCase};
use danvan_core::{Record, RecordBody};

use crate::support::ymd;

fn new_record(body: RecordBody) -> Record {
    Record::new("31-UNIT", "device-snap", ymd(2025, 9, 2), body)
}

/// Replace a string (a fresh id or timestamp) by `placeholder`, keep `null` visible.
fn fresh(placeholder: &'static str) -> insta::internals::Redaction {
    insta::dynamic_redaction(move |value, _path| match value {
        insta::internals::Content::None | insta::internals::Content::Unit => value,
        insta::internals::Content::Some(ref inner)
            if matches!(**inner, insta::internals::Content::None) =>
        {
            value
        }
        _ => placeholder.into(),
    })
}

macro_rules! snap {
    ($name:literal, $value:expr) => {
        insta::assert_json_snapshot!($name, $value, {
            ".envelope.created_at" => "[timestamp]",
            ".history[].at" => "[timestamp]",
            ".**.id" => fresh("[id]"),
            ".**.recommendation_id" => fresh("[id]"),
        })
    };
}

#[test]
fn mediation_json_shape() {
    snap!(
        "mediation_record",
        new_record(RecordBody::Mediation(MediationCase::example()))
    );
    snap!(
        "mediation_successful_body",
        RecordBody::Mediation(MediationCase::example_successful())
    );
}

#[test]
fn inspection_json_shape() {
    snap!(
        "inspection_record",
        new_record(RecordBody::Inspection(InspectionActivity::example()))
    );
    snap!(
        "inspection_handled_body",
        RecordBody::Inspection(InspectionActivity::example_handled())
    );
}

#[test]
fn democracy_json_shape() {
    snap!(
        "democracy_record",
        new_record(RecordBody::Democracy(DemocracyCheck::example()))
    );
    snap!(
        "democracy_submitted_body",
        RecordBody::Democracy(DemocracyCheck::example_submitted())
    );
}

#[test]
fn json_round_trips_back_to_the_same_record() {
    for body in [
        RecordBody::Mediation(MediationCase::example_successful()),
        RecordBody::Inspection(InspectionActivity::example_handled()),
        RecordBody::Democracy(DemocracyCheck::example_submitted()),
    ] {
        let r = new_record(body);
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(serde_json::from_str::<Record>(&json).unwrap(), r);
    }
}
