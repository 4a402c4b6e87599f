//! Grassroots-democracy checks: template versions, counts, remediation, status machine.

use danvan_core::model::common::new_item_id;
use danvan_core::model::democracy::*;
use danvan_core::{KindRules, Record, RecordBody, RulesConfig};

use crate::support::*;

fn record() -> Record {
    Record::new(
        "31-TIEN-LANG",
        "device-c",
        ymd(2025, 10, 10),
        RecordBody::Democracy(DemocracyCheck::example()),
    )
}

#[test]
fn examples_are_valid_and_filled_against_the_builtin_template() {
    assert!(record().validate(&RulesConfig::default()).is_empty());
    assert_eq!(issues(&DemocracyCheck::example_submitted()), vec![]);
    let c = DemocracyCheck::example();
    let t = c.template().unwrap();
    assert_eq!((t.code.as_str(), t.version), ("dcs-2023", 1));
    assert_eq!(
        c.items.len(),
        t.items().count(),
        "one entry per template item"
    );
    let (crit, item) = t.item("pub_budget").unwrap();
    assert_eq!(crit.group, ChecklistGroup::Publication);
    assert_eq!(item.legal_ref, "Luật 10/2022/QH15, Điều 11");
    // Met 1, partly met 1: 75 %.
    assert_eq!(c.compliance_percent(), Some(75.0));
}

#[test]
fn template_rules() {
    let mut c = DemocracyCheck::example();
    c.template_version = 9;
    assert_only(&c, "democracy.template_code", "unknown_template");

    let mut c = DemocracyCheck::example();
    c.items.insert("pub_lottery".into(), ItemResult::default());
    assert_only(&c, "democracy.items[pub_lottery]", "unknown_item");

    let mut c = DemocracyCheck::example();
    c.items.get_mut("sup_dialogue").unwrap().forms = vec![PublicationForm::Loudspeaker];
    assert_only(
        &c,
        "democracy.items[sup_dialogue].forms",
        "forms_not_publication",
    );

    // Submitting needs every item assessed and a rating or score.
    let mut c = DemocracyCheck::example_submitted();
    c.items.get_mut("dec_boards").unwrap().result = None;
    assert_only(&c, "democracy.items[dec_boards].result", "required");
    let mut c = DemocracyCheck::example_submitted();
    c.rating = None;
    assert!(issues(&c).is_empty(), "a score alone is enough");
    c.score = None;
    assert_only(&c, "democracy.rating", "required");
    let mut c = DemocracyCheck::example_submitted();
    c.score = Some(101);
    assert_only(&c, "democracy.score", "out_of_range");
}

#[test]
fn count_and_date_rules() {
    let mut c = DemocracyCheck::example();
    c.counts.complaints_outstanding = 3; // 9 received, 7 resolved
    assert_only(
        &c,
        "democracy.counts.complaints_outstanding",
        "complaints_outstanding",
    );

    let mut c = DemocracyCheck::example();
    c.counts.complaints_resolved = 10;
    assert_only(&c, "democracy.counts.complaints_resolved", "count_exceeds");

    let mut c = DemocracyCheck::example();
    c.counts.comments_accepted = 58;
    assert_only(&c, "democracy.counts.comments_accepted", "count_exceeds");

    let mut c = DemocracyCheck::example();
    c.counts.villages_holding_meetings = 13;
    assert_only(
        &c,
        "democracy.counts.villages_holding_meetings",
        "count_exceeds",
    );

    let mut c = DemocracyCheck::example();
    c.period_to = ymd(2025, 6, 30);
    assert_only(&c, "democracy.period_to", "date_order");

    let mut c = DemocracyCheck::example();
    let id = c.remediation[0].id.clone();
    c.remediation[0].due_on = Some(ymd(2025, 10, 1));
    assert_only(
        &c,
        &format!("democracy.remediation[{id}].due_on"),
        "date_order",
    );
    c.remediation[0].due_on = Some(ymd(2025, 10, 31));
    c.remediation[0].done_on = Some(ymd(2025, 10, 20));
    assert_only(
        &c,
        &format!("democracy.remediation[{id}].done_on"),
        "done_on_not_done",
    );
}

#[test]
fn submit_return_resubmit_close() {
    let mut r = record();
    assert!(
        r.transition("submitted", ymd(2025, 10, 15), "thu", None)
            .is_ok()
    );
    // Submitted with items unassessed: the reviewer sees why it must go back.
    assert!(!r.validate(&RulesConfig::default()).is_empty());
    r.transition(
        "returned",
        ymd(2025, 10, 16),
        "tp",
        Some("thiếu đánh giá".into()),
    )
    .unwrap();
    assert!(
        r.transition("closed", ymd(2025, 10, 16), "tp", None)
            .is_err()
    );
    let full = DemocracyCheck::example_submitted();
    let c = democracy_mut(&mut r);
    c.items = full.items;
    c.rating = full.rating;
    r.transition("submitted", ymd(2025, 10, 20), "thu", None)
        .unwrap();
    assert_eq!(democracy_mut(&mut r).submitted_on, Some(ymd(2025, 10, 20)));
    r.transition("closed", ymd(2025, 10, 25), "tp", None)
        .unwrap();
    assert_eq!(democracy_mut(&mut r).closed_on, Some(ymd(2025, 10, 25)));
    assert!(
        r.validate(&RulesConfig::default()).is_empty(),
        "{:?}",
        r.validate(&RulesConfig::default())
    );
    assert!(
        r.transition("draft", ymd(2025, 10, 26), "tp", None)
            .is_err()
    );
    let cut = |m, d| r.status_as_of(ymd(2025, m, d)).map(str::to_string);
    assert_eq!(cut(10, 9), None);
    assert_eq!(cut(10, 14).as_deref(), Some("draft"));
    assert_eq!(cut(10, 17).as_deref(), Some("returned"));
    assert_eq!(cut(10, 24).as_deref(), Some("submitted"));
    assert_eq!(cut(12, 31).as_deref(), Some("closed"));
    assert_eq!(round_trip(&r), r);
}

#[test]
fn remediation_overdue_uses_the_grace_days_and_outlives_closing() {
    let mut c = DemocracyCheck::example_submitted(); // one item due 31 Oct, open
    c.remediation.push(RemediationItem {
        id: new_item_id(),
        content: "Bổ sung biên bản hội nghị thôn".into(),
        responsible: "Văn phòng UBND xã".into(),
        due_on: Some(ymd(2025, 10, 20)),
        status: RemediationStatus::Done,
        done_on: Some(ymd(2025, 10, 18)),
    });
    assert_eq!(issues(&c), vec![]);
    let grace = RulesConfig {
        remediation_grace_days: 7,
        ..RulesConfig::default()
    };
    assert!(
        c.overdue(&RulesConfig::default(), ymd(2025, 10, 31))
            .is_empty()
    );
    let o = c.overdue(&RulesConfig::default(), ymd(2025, 11, 3));
    assert_eq!(o.len(), 1, "the done item is never overdue");
    assert_eq!(o[0].rule, "remediation_overdue");
    assert_eq!(
        o[0].field,
        format!("democracy.remediation[{}]", c.remediation[0].id)
    );
    assert!(c.overdue(&grace, ymd(2025, 11, 7)).is_empty());
    assert_eq!(c.overdue(&grace, ymd(2025, 11, 8)).len(), 1);
    c.status = CheckStatus::Closed;
    c.closed_on = Some(ymd(2025, 10, 25));
    assert_eq!(c.overdue(&grace, ymd(2025, 11, 8)).len(), 1);
    c.remediation[0].status = RemediationStatus::Done;
    assert!(c.overdue(&grace, ymd(2025, 11, 8)).is_empty());
}

#[test]
fn index_carries_the_rating() {
    let idx = DemocracyCheck::example_submitted().index();
    assert_eq!(idx.main_date, Some(ymd(2025, 10, 10)));
    assert_eq!(idx.category.as_deref(), Some("good"));
    assert!(idx.summary.contains("01/07/2025") && idx.names.is_empty());
}
