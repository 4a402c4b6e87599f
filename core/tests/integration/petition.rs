//! Citizens' petitions: the lifecycle, the statutory deadlines (working days through holidays,
//! calendar days moved off days off, extensions from the day decided), overdue, validation and
//! the fact row. Expected dates are worked out by hand in the comments.

use danvan_core::facts::Fact;
use danvan_core::model::common::Date;
use danvan_core::model::petition::{
    CompetentBody, Complexity, NotAcceptedReason, Petition, PetitionOutcome, PetitionStatus,
    PetitionType, Resolution,
};
use danvan_core::{KindRules, Record, RecordBody, RulesConfig};

use crate::support::{assert_only, issues, ymd};

fn record(p: Petition) -> Record {
    Record::new(
        "31-UNIT",
        "reception",
        p.received_on,
        RecordBody::Petition(p),
    )
}

fn body(r: &Record) -> &Petition {
    match &r.body {
        RecordBody::Petition(p) => p,
        _ => panic!("not a petition"),
    }
}

fn overdue_rules(p: &Petition, on: Date) -> Vec<(String, i64)> {
    p.overdue(&RulesConfig::default(), on)
        .into_iter()
        .map(|o| (o.rule, o.days_late))
        .collect()
}

#[test]
fn the_examples_are_valid() {
    assert_eq!(issues(&Petition::example()), vec![]);
    assert_eq!(issues(&Petition::example_denunciation_resolved()), vec![]);
}

#[test]
fn a_complaint_is_accepted_within_ten_calendar_days_and_resolved_within_thirty() {
    let cfg = RulesConfig::default();
    // Received Mon 2 Mar 2026. Acceptance: 10 calendar days → Thu 12 Mar (a working day).
    let mut r = record(Petition::example());
    let d = body(&r).deadlines(&cfg, ymd(2026, 3, 2));
    assert_eq!(d.accept_by, ymd(2026, 3, 12));
    // Classification: 10 working days: 3,4,5,6 (4), 9..13 (9), 16 Mar (10).
    assert_eq!(d.classify_by, ymd(2026, 3, 16));
    assert_eq!(d.resolve_by, None);
    // Not accepted by 13 Mar: one day late; on the 12th still on time.
    assert_eq!(overdue_rules(body(&r), ymd(2026, 3, 12)), vec![]);
    assert_eq!(
        overdue_rules(body(&r), ymd(2026, 3, 13)),
        vec![("petition_not_accepted".to_string(), 1)]
    );
    // Accepted on Wed 11 Mar: resolution 30 days → Fri 10 Apr 2026.
    r.transition("accepted", ymd(2026, 3, 11), "officer", None)
        .unwrap();
    assert_eq!(body(&r).accepted_on, Some(ymd(2026, 3, 11)));
    assert_eq!(body(&r).classified_on, Some(ymd(2026, 3, 11)));
    let d = body(&r).deadlines(&cfg, ymd(2026, 4, 1));
    assert_eq!(d.resolve_by, Some(ymd(2026, 4, 10)));
    assert_eq!(overdue_rules(body(&r), ymd(2026, 4, 10)), vec![]);
    assert_eq!(
        overdue_rules(body(&r), ymd(2026, 4, 14)),
        vec![("petition_not_resolved".to_string(), 4)]
    );
}

#[test]
fn complexity_and_remote_areas_lengthen_the_complaint_deadline() {
    let cfg = RulesConfig::default();
    let mut p = Petition::example();
    p.accepted_on = Some(ymd(2026, 3, 11));
    let due = |p: &Petition| p.deadlines(&cfg, ymd(2026, 3, 11)).resolve_by;
    // 11 Mar + 45 = Sat 25 Apr → Mon 27 Apr is the Hùng Kings' day off → Tue 28 Apr.
    p.complexity = Complexity::Complex;
    assert_eq!(due(&p), Some(ymd(2026, 4, 28)));
    // Remote and complex: 11 Mar + 60 = Sun 10 May → Mon 11 May.
    p.remote_area = true;
    assert_eq!(due(&p), Some(ymd(2026, 5, 11)));
    // A second-time complaint, remote and complex: 11 Mar + 70 = Wed 20 May.
    p.second_time = true;
    assert_eq!(due(&p), Some(ymd(2026, 5, 20)));
}

#[test]
fn a_denunciation_counts_working_days_and_its_extension_from_the_day_decided() {
    let cfg = RulesConfig::default();
    let p = Petition::example_denunciation_resolved();
    // Received Mon 2 Mar: 7 working days → 3,4,5,6,9,10,11 → Wed 11 Mar.
    assert_eq!(
        p.deadlines(&cfg, ymd(2026, 3, 2)).accept_by,
        ymd(2026, 3, 11)
    );
    // Accepted 10 Mar: 30 days → Thu 9 Apr. The extension decided 8 Apr adds 30 days from
    // 9 Apr → Sat 9 May → Mon 11 May. Before 8 Apr the extension is not in force.
    let before = p.deadlines(&cfg, ymd(2026, 4, 7));
    assert_eq!(before.resolve_by, Some(ymd(2026, 4, 9)));
    assert_eq!(before.extensions, 0);
    let after = p.deadlines(&cfg, ymd(2026, 4, 8));
    assert_eq!(after.resolve_by, Some(ymd(2026, 5, 11)));
    assert_eq!(after.extensions, 1);
    // Resolved 5 May ≤ 11 May: on time.
    assert_eq!(p.resolved_on(), Some(ymd(2026, 5, 5)));
    assert_eq!(p.resolved_on_time(&cfg), Some(true));
}

#[test]
fn a_denunciation_for_another_body_is_forwarded_within_five_working_days() {
    let cfg = RulesConfig::default();
    let mut p = Petition::example();
    p.petition_type = PetitionType::Denunciation;
    p.competent_body = CompetentBody::City;
    // Received Thu 23 Apr 2026: 5 working days → Fri 24, Tue 28, Wed 29 (Mon 27 is the Hùng
    // Kings' day off), then 30 Apr and 1 May are holidays and 2–3 May a weekend → Mon 4, Tue 5.
    p.received_on = ymd(2026, 4, 23);
    assert_eq!(
        p.deadlines(&cfg, ymd(2026, 4, 23)).accept_by,
        ymd(2026, 5, 5)
    );
    assert_eq!(
        overdue_rules(&p, ymd(2026, 5, 6)),
        vec![("petition_not_accepted".to_string(), 1)]
    );
    // The commune's own: 7 working days → 24, 28, 29, 4, 5, 6, 7 May.
    p.competent_body = CompetentBody::CommuneChairman;
    assert_eq!(
        p.deadlines(&cfg, ymd(2026, 4, 23)).accept_by,
        ymd(2026, 5, 7)
    );
}

#[test]
fn a_normal_denunciation_may_not_be_extended_and_a_complex_one_only_once() {
    let mut p = Petition::example_denunciation_resolved();
    p.complexity = Complexity::Normal;
    assert_only(&p, "petition.extensions", "too_many_extensions");
    p.complexity = Complexity::Complex;
    let mut second = p.extensions[0].clone();
    second.id = "second".into();
    p.extensions.push(second);
    assert_only(&p, "petition.extensions", "too_many_extensions");
    p.complexity = Complexity::EspeciallyComplex;
    assert_eq!(issues(&p), vec![]);
}

#[test]
fn an_extension_needs_a_reason() {
    let mut p = Petition::example_denunciation_resolved();
    let id = p.extensions[0].id.clone();
    p.extensions[0].reason = " ".into();
    assert_only(&p, &format!("petition.extensions[{id}].reason"), "required");
}

#[test]
fn the_outcome_must_fit_the_type() {
    let mut p = Petition::example_denunciation_resolved();
    if let Some(r) = p.resolution.as_mut() {
        r.outcome = PetitionOutcome::Right;
    }
    assert_only(&p, "petition.resolution.outcome", "outcome_mismatch");
}

#[test]
fn a_petition_for_another_body_is_forwarded_with_a_reason_not_accepted() {
    let mut r = record(Petition::example());
    if let RecordBody::Petition(p) = &mut r.body {
        p.competent_body = CompetentBody::City;
        p.not_accepted_reason = Some(NotAcceptedReason::NotCompetent);
        p.handling_note = Some("Chuyển Sở Nông nghiệp và Môi trường".into());
    }
    r.transition("forwarded", ymd(2026, 3, 6), "officer", None)
        .unwrap();
    let p = body(&r);
    assert_eq!(p.status, PetitionStatus::Forwarded);
    assert_eq!(p.closed_on, Some(ymd(2026, 3, 6)));
    assert_eq!(issues(p), vec![]);
    // Forwarded: nothing is overdue any more, however late.
    assert_eq!(overdue_rules(p, ymd(2026, 12, 31)), vec![]);
    // Accepting what is not the commune's is refused.
    let mut q = Petition::example();
    q.competent_body = CompetentBody::City;
    q.status = PetitionStatus::Accepted;
    q.accepted_on = Some(ymd(2026, 3, 6));
    assert_only(&q, "petition.competent_body", "not_competent");
}

#[test]
fn resolved_then_carried_out_keeps_the_resolution_day_as_closing_day() {
    let mut p = Petition::example();
    p.resolution = Some(Resolution {
        decided_on: ymd(2026, 4, 2),
        document_no: Some("12/QĐ-UBND".into()),
        outcome: PetitionOutcome::PartlyRight,
        content: None,
    });
    let mut r = record(p);
    r.transition("accepted", ymd(2026, 3, 9), "o", None)
        .unwrap();
    r.transition("resolved", ymd(2026, 4, 2), "o", None)
        .unwrap();
    r.transition("enforced", ymd(2026, 5, 15), "o", None)
        .unwrap();
    let p = body(&r);
    assert_eq!(p.status, PetitionStatus::Enforced);
    assert_eq!(p.closed_on, Some(ymd(2026, 4, 2)));
    assert_eq!(p.enforced_on, Some(ymd(2026, 5, 15)));
    assert_eq!(issues(p), vec![]);
}

#[test]
fn the_fact_row_carries_deadlines_and_no_petitioner() {
    let mut p = Petition::example_denunciation_resolved();
    p.status = PetitionStatus::Received;
    let mut r = record(p.clone());
    r.body = RecordBody::Petition(p);
    r.transition("accepted", ymd(2026, 3, 10), "o", None)
        .unwrap();
    r.transition("resolved", ymd(2026, 5, 5), "o", None)
        .unwrap();
    let fact = Fact::from_record(&r, &RulesConfig::default());
    let json = serde_json::to_string(&fact).unwrap();
    assert!(!json.contains("Nguyễn Văn Hùng"), "{json}");
    assert!(!json.contains("thôn Đông"), "{json}");
    assert_eq!(fact.category.as_deref(), Some("denunciation"));
    assert_eq!(fact.subtype.as_deref(), Some("officials_conduct"));
    let day = |d: Date| f64::from(chrono::Datelike::num_days_from_ce(&d.0));
    assert_eq!(fact.measure("accept_due_day"), day(ymd(2026, 3, 11)));
    assert_eq!(fact.measure("resolve_due_day"), day(ymd(2026, 4, 9)));
    assert_eq!(fact.measure("extended_due_day"), day(ymd(2026, 5, 11)));
    assert_eq!(fact.measure("resolved_day"), day(ymd(2026, 5, 5)));
    assert_eq!(fact.measure("outcome:partly_true"), 1.0);
    let statuses: Vec<_> = fact.history.iter().map(|h| h.status.as_str()).collect();
    assert_eq!(statuses, ["received", "accepted", "resolved"]);
}

#[test]
fn an_anonymous_denunciation_is_filed_without_a_petitioner() {
    let mut p = Petition::example();
    p.petition_type = PetitionType::Denunciation;
    p.petitioners.clear();
    assert_only(&p, "petition.petitioners", "required");
    p.not_accepted_reason = Some(NotAcceptedReason::Anonymous);
    p.status = PetitionStatus::Filed;
    p.closed_on = Some(ymd(2026, 3, 4));
    assert_eq!(issues(&p), vec![]);
}

#[test]
fn withdrawn_sets_its_day() {
    let mut r = record(Petition::example());
    r.transition("accepted", ymd(2026, 3, 9), "o", None)
        .unwrap();
    r.transition("withdrawn", ymd(2026, 3, 20), "o", None)
        .unwrap();
    let p = body(&r);
    assert_eq!(p.withdrawn_on, Some(ymd(2026, 3, 20)));
    assert_eq!(p.closed_on, Some(ymd(2026, 3, 20)));
    assert_eq!(issues(p), vec![]);
}
