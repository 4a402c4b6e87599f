//! Leaders' dialogues: the lifecycle, commitments followed up until done, overdue commitments,
//! validation and the fact row (counts, never names of participants).

use danvan_core::facts::Fact;
use danvan_core::model::common::new_item_id;
use danvan_core::model::dialogue::{Dialogue, DialogueStatus, FollowUp, IssueAnswer};
use danvan_core::{KindRules, Record, RecordBody, RulesConfig};

use crate::support::{assert_only, issues, ymd};

fn lights(d: &Dialogue) -> String {
    d.issues
        .iter()
        .find(|i| i.answer == IssueAnswer::Commitment)
        .map(|i| i.id.clone())
        .unwrap()
}

#[test]
fn the_examples_are_valid() {
    assert_eq!(issues(&Dialogue::example()), vec![]);
    assert_eq!(issues(&Dialogue::example_held()), vec![]);
}

#[test]
fn a_commitment_not_done_by_its_day_is_overdue_until_done() {
    let cfg = RulesConfig::default();
    let mut d = Dialogue::example_held();
    // Due 30 Jun 2026: on time that day, 2 days late on 2 Jul.
    assert_eq!(d.overdue(&cfg, ymd(2026, 6, 30)), vec![]);
    let late = d.overdue(&cfg, ymd(2026, 7, 2));
    assert_eq!(late.len(), 1);
    assert_eq!(late[0].rule, "commitment_overdue");
    assert_eq!(late[0].days_late, 2);
    // Done on 10 Jul: kept, but late; not overdue from then on.
    let id = lights(&d);
    d.follow_ups.push(FollowUp {
        id: new_item_id(),
        issue_id: id.clone(),
        on: ymd(2026, 7, 10),
        note: "Đã lắp xong 20 bóng đèn".into(),
        done: true,
    });
    assert_eq!(d.done_on(&id), Some(ymd(2026, 7, 10)));
    assert_eq!(d.kept_on_time(&id), Some(false));
    assert_eq!(d.overdue(&cfg, ymd(2026, 7, 10)), vec![]);
    // As of 5 Jul it was still overdue (done later).
    assert_eq!(d.overdue(&cfg, ymd(2026, 7, 5)).len(), 1);
}

#[test]
fn a_commitment_needs_who_what_and_when_and_closing_needs_them_done() {
    let mut d = Dialogue::example_held();
    let id = lights(&d);
    if let Some(i) = d.issues.iter_mut().find(|i| i.id == id) {
        i.commitment = None;
    }
    assert_only(&d, &format!("dialogue.issues[{id}].commitment"), "required");
    let mut d = Dialogue::example_held();
    d.status = DialogueStatus::Closed;
    d.closed_on = Some(ymd(2026, 6, 1));
    assert_only(&d, "dialogue.follow_ups", "open_commitments");
}

#[test]
fn the_lifecycle_goes_planned_held_closed() {
    let d = Dialogue::example();
    let mut r = Record::new(
        "31-UNIT",
        "officer",
        ymd(2026, 4, 1),
        RecordBody::Dialogue(d),
    );
    r.transition("held", ymd(2026, 4, 15), "officer", None)
        .unwrap();
    if let RecordBody::Dialogue(d) = &mut r.body {
        let held = Dialogue::example_held();
        d.participants = held.participants;
        d.issues = held.issues;
        let id = lights(d);
        d.follow_ups.push(FollowUp {
            id: new_item_id(),
            issue_id: id,
            on: ymd(2026, 6, 25),
            note: "Xong".into(),
            done: true,
        });
    }
    r.transition("closed", ymd(2026, 6, 25), "officer", None)
        .unwrap();
    let RecordBody::Dialogue(d) = &r.body else {
        panic!("not a dialogue")
    };
    assert_eq!(d.closed_on, Some(ymd(2026, 6, 25)));
    assert_eq!(issues(d), vec![]);
    // The fact: 135 participants (120 + 15), 2 issues, 1 on the spot, 1 commitment done on
    // 25 Jun ≤ 30 Jun; no chair or participant names.
    let fact = Fact::from_record(&r, &RulesConfig::default());
    assert_eq!(fact.measure("participants"), 135.0);
    assert_eq!(fact.measure("issues"), 2.0);
    assert_eq!(fact.measure("answered_on_the_spot"), 1.0);
    assert_eq!(fact.measure("commitments"), 1.0);
    assert_eq!(fact.measure("chaired_by_head"), 1.0);
    assert_eq!(fact.category.as_deref(), Some("periodic"));
    let json = serde_json::to_string(&fact).unwrap();
    assert!(!json.contains("Phạm Văn Tuấn"), "{json}");
    assert!(
        fact.measures
            .iter()
            .any(|(n, v)| n == "commitment_done_day" && *v > 0.0)
    );
}

#[test]
fn a_planned_dialogue_has_no_issues_yet() {
    let mut d = Dialogue::example_held();
    d.status = DialogueStatus::Planned;
    assert_only(&d, "dialogue.issues", "not_held");
}
