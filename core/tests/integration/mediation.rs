//! Mediation cases: validation rules, status machine, history, overdue, documents.

use danvan_core::model::mediation::*;
use danvan_core::{CoreError, KindRules, Record, RecordBody, RulesConfig};

use crate::support::*;

fn record() -> Record {
    Record::new(
        "31-TDP5",
        "device-a",
        ymd(2025, 9, 2),
        RecordBody::Mediation(MediationCase::example()),
    )
}

#[test]
fn examples_are_valid_records() {
    let cfg = RulesConfig::default();
    assert!(
        record().validate(&cfg).is_empty(),
        "{:?}",
        record().validate(&cfg)
    );
    assert_eq!(issues(&MediationCase::example_successful()), vec![]);
    let c = MediationCase::example();
    assert_eq!(c.display_number().as_deref(), Some("31-HG-TDP5/2025/007"));
    assert_eq!(c.parties[0].age_in(2025), Some(57));
}

#[test]
fn date_order_rules_name_the_later_field() {
    let mut c = MediationCase::example();
    c.assigned_on = Some(ymd(2025, 9, 1));
    assert_only(&c, "mediation.assigned_on", "date_order");

    let mut c = MediationCase::example();
    c.started_on = Some(ymd(2025, 9, 2)); // after received, before assigned (3 Sep)
    assert_only(&c, "mediation.started_on", "date_order");

    let mut c = MediationCase::example_successful();
    c.closed_on = Some(ymd(2025, 9, 1));
    let got = issues(&c);
    assert!(
        got.contains(&("mediation.closed_on".into(), "date_order".into())),
        "{got:?}"
    );

    let mut c = MediationCase::example_successful();
    let sid = c.sessions[0].id.clone();
    c.sessions[0].held_on = ymd(2025, 9, 20);
    assert_only(
        &c,
        &format!("mediation.sessions[{sid}].held_on"),
        "date_order",
    );
}

#[test]
fn closing_rules_follow_the_result() {
    let mut c = MediationCase::example_successful();
    c.agreement = None;
    assert_only(&c, "mediation.agreement", "required");

    let mut c = MediationCase::example_successful();
    c.status = MediationStatus::Unsuccessful;
    c.agreement = None;
    assert_only(&c, "mediation.party_positions", "required");
    c.party_positions = Some("Bà Mai không đồng ý tháo dỡ bờ tường".into());
    assert_eq!(issues(&c), vec![]);

    let mut c = MediationCase::example_successful();
    c.closed_on = None;
    assert_only(&c, "mediation.closed_on", "required");

    let mut c = MediationCase::example();
    c.closed_on = Some(ymd(2025, 9, 4));
    assert_only(&c, "mediation.closed_on", "closed_on_open");

    let mut c = MediationCase::example();
    c.status = MediationStatus::Referred;
    c.closed_on = Some(ymd(2025, 9, 4));
    assert_only(&c, "mediation.referral", "required");
    c.referral = Some(Referral {
        agency: ReferralAgency::Other,
        agency_name: None,
        on: ymd(2025, 9, 4),
        reason: "Có dấu hiệu hình sự".into(),
    });
    assert_only(&c, "mediation.referral.agency_name", "required");
}

#[test]
fn scope_rules() {
    let mut c = MediationCase::example();
    c.status = MediationStatus::OutOfScope;
    c.closed_on = Some(ymd(2025, 9, 3));
    assert_only(&c, "mediation.in_scope", "scope_mismatch");
    c.in_scope = false;
    assert_only(&c, "mediation.exclusion_reason", "required");
    c.exclusion_reason = Some(ExclusionReason::CommuneMediation);
    assert_eq!(issues(&c), vec![]);

    let mut c = MediationCase::example_successful();
    c.in_scope = false;
    c.exclusion_reason = Some(ExclusionReason::Prosecutable);
    assert_only(&c, "mediation.in_scope", "scope_mismatch");

    let mut c = MediationCase::example();
    c.exclusion_reason = Some(ExclusionReason::PublicInterest);
    assert_only(&c, "mediation.exclusion_reason", "scope_mismatch");
}

#[test]
fn party_and_money_rules_point_at_the_item_without_personal_data() {
    let mut c = MediationCase::example();
    let pid = c.parties[1].id.clone();
    c.parties[1].birth_year = Some(1850);
    assert_only(
        &c,
        &format!("mediation.parties[{pid}].birth_year"),
        "implausible_birth_year",
    );
    c.parties[1].birth_year = Some(2026); // born after the case was received
    assert_only(
        &c,
        &format!("mediation.parties[{pid}].birth_year"),
        "implausible_birth_year",
    );

    let mut c = MediationCase::example();
    c.parties[0].phone = Some("gọi ông Hùng".into());
    let mut out = Vec::new();
    c.validate(&RulesConfig::default(), &mut out);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].code, "bad_phone");
    assert_eq!(out[0].vi, "Số điện thoại không hợp lệ.");
    assert!(!out[0].vi.contains("Hùng") && !out[0].field.contains("Hùng"));

    let mut c = MediationCase::example();
    c.parties.clear();
    assert_only(&c, "mediation.parties", "required");

    let mut c = MediationCase::example_successful();
    c.fee_claim.amount_vnd = Some(-1);
    assert_only(&c, "mediation.fee_claim.amount_vnd", "negative");
    c.fee_claim.amount_vnd = Some(400_000);
    c.fee_claim.claimed = false;
    c.fee_claim.paid = true;
    assert_only(&c, "mediation.fee_claim.paid", "fee_not_claimed");
}

#[test]
fn required_text_and_category_consistency() {
    let mut c = MediationCase::example();
    c.summary = "  ".into();
    assert_only(&c, "mediation.summary", "required");

    let mut c = MediationCase::example();
    c.subtype = MediationSubtype::Divorce; // a family matter counted as a neighbours' conflict
    assert_only(&c, "mediation.subtype", "subtype_category");
    c.category = MediationCategory::MarriageFamily;
    assert_eq!(issues(&c), vec![]);
}

#[test]
fn transitions_follow_the_machine_and_fill_dates() {
    let mut r = record();
    let err = r
        .transition("successful", ymd(2025, 9, 5), "hoa", None)
        .unwrap_err();
    assert!(matches!(err, CoreError::Transition { .. }), "{err:?}");
    assert!(matches!(
        r.transition("won", ymd(2025, 9, 5), "hoa", None),
        Err(CoreError::UnknownCode { .. })
    ));

    r.transition("mediating", ymd(2025, 9, 5), "hoa", None)
        .unwrap();
    assert_eq!(mediation(&r).started_on, Some(ymd(2025, 9, 5)));
    assert_eq!(mediation(&r).closed_on, None);
    assert!(
        r.transition("out_of_scope", ymd(2025, 9, 6), "hoa", None)
            .is_err()
    );

    mediation_mut(&mut r).agreement = MediationCase::example_successful().agreement;
    r.transition(
        "successful",
        ymd(2025, 9, 12),
        "hoa",
        Some("hai bên ký biên bản".into()),
    )
    .unwrap();
    assert_eq!(mediation(&r).closed_on, Some(ymd(2025, 9, 12)));
    assert!(
        r.validate(&RulesConfig::default()).is_empty(),
        "{:?}",
        r.validate(&RulesConfig::default())
    );
    // A closed case does not move again.
    assert!(
        r.transition("mediating", ymd(2025, 9, 13), "hoa", None)
            .is_err()
    );
    assert_eq!(r.history.len(), 3);

    let mut r = record();
    r.transition("out_of_scope", ymd(2025, 9, 3), "hoa", None)
        .unwrap();
    assert!(!mediation(&r).in_scope);
    assert_eq!(mediation(&r).closed_on, Some(ymd(2025, 9, 3)));
}

#[test]
fn status_as_of_reads_the_history_at_each_cut_off() {
    let mut r = record();
    r.transition("mediating", ymd(2025, 9, 5), "hoa", None)
        .unwrap();
    mediation_mut(&mut r).party_positions = Some("Hai bên giữ nguyên ý kiến".into());
    r.transition("unsuccessful", ymd(2025, 10, 1), "hoa", None)
        .unwrap();
    assert_eq!(r.status_as_of(ymd(2025, 9, 1)), None);
    assert_eq!(r.status_as_of(ymd(2025, 9, 2)), Some("received"));
    assert_eq!(r.status_as_of(ymd(2025, 9, 30)), Some("mediating"));
    assert_eq!(r.status_as_of(ymd(2025, 10, 1)), Some("unsuccessful"));
    // Reported in the annual report of 2025, still "in progress" in the preliminary one of 30 Sep.
    assert!(r.body.is_closed());
}

#[test]
fn late_start_is_overdue_with_the_configured_number_of_days() {
    let cfg = RulesConfig {
        mediation_start_days: 5,
        ..RulesConfig::default()
    };
    let c = MediationCase::example(); // assigned 3 Sep, not started
    assert!(c.overdue(&cfg, ymd(2025, 9, 8)).is_empty());
    let late = c.overdue(&cfg, ymd(2025, 9, 10));
    assert_eq!(late.len(), 1);
    assert_eq!(late[0].rule, "mediation_not_started");
    assert_eq!(late[0].field, "mediation.started_on");
    assert_eq!((late[0].due_on, late[0].days_late), (ymd(2025, 9, 8), 2));
    // With the default three days it is already late on the 7th.
    assert_eq!(c.overdue(&RulesConfig::default(), ymd(2025, 9, 7)).len(), 1);

    // The parties agreed to start later: the agreed date is the deadline.
    let mut c = MediationCase::example();
    c.agreed_start_on = Some(ymd(2025, 9, 15));
    assert!(c.overdue(&cfg, ymd(2025, 9, 15)).is_empty());
    assert_eq!(c.overdue(&cfg, ymd(2025, 9, 16)).len(), 1);

    // Started on the 7th: not overdue, but started late under a 3-day rule, not under 5 days.
    let mut c = MediationCase::example();
    c.started_on = Some(ymd(2025, 9, 7));
    c.status = MediationStatus::Mediating;
    assert!(
        c.overdue(&RulesConfig::default(), ymd(2025, 12, 31))
            .is_empty()
    );
    assert!(c.started_late(&RulesConfig::default()));
    assert!(!c.started_late(&cfg));
    assert!(!MediationCase::example_successful().started_late(&RulesConfig::default()));
}

#[test]
fn agreement_not_carried_out_is_overdue_until_a_follow_up_says_done() {
    let cfg = RulesConfig::default();
    let mut c = MediationCase::example_successful(); // agreement due 30 Sep
    assert!(c.overdue(&cfg, ymd(2025, 9, 30)).is_empty());
    let o = c.overdue(&cfg, ymd(2025, 10, 3));
    assert_eq!(
        o.iter()
            .map(|o| (o.rule.as_str(), o.days_late))
            .collect::<Vec<_>>(),
        vec![("agreement_not_carried_out", 3)]
    );
    c.follow_ups.push(FollowUp {
        id: danvan_core::model::common::new_item_id(),
        on: ymd(2025, 10, 2),
        state: FollowUpState::CarriedOut,
        note: None,
    });
    assert!(c.overdue(&cfg, ymd(2025, 10, 3)).is_empty());
    assert_eq!(issues(&c), vec![]);
    // A later visit finds the wall rebuilt.
    c.follow_ups.push(FollowUp {
        id: danvan_core::model::common::new_item_id(),
        on: ymd(2025, 11, 2),
        state: FollowUpState::NotCarriedOut,
        note: Some("Bờ tường đã xây lại".into()),
    });
    assert_eq!(c.overdue(&cfg, ymd(2025, 11, 3)).len(), 1);
}

#[test]
fn index_lists_party_names_category_and_dates() {
    let idx = MediationCase::example_successful().index();
    assert_eq!(idx.main_date, Some(ymd(2025, 9, 2)));
    assert_eq!(idx.closed_on, Some(ymd(2025, 9, 5)));
    assert_eq!(idx.category.as_deref(), Some("conflict"));
    assert_eq!(
        idx.names,
        vec!["Trần Văn Hùng".to_string(), "Lê Thị Mai".to_string()]
    );
}

#[test]
fn a_closed_case_survives_a_document_round_trip() {
    let mut r = record();
    r.transition("mediating", ymd(2025, 9, 5), "hoa", None)
        .unwrap();
    let full = MediationCase::example_successful();
    let m = mediation_mut(&mut r);
    m.sessions = full.sessions;
    m.agreement = full.agreement;
    m.fee_claim = full.fee_claim;
    m.risk = RiskFlag {
        flagged: true,
        reported_to: Some("Công an xã".into()),
        reported_on: Some(ymd(2025, 9, 5)),
    };
    m.notes = Some("Ghi chú".into());
    r.transition("successful", ymd(2025, 9, 5), "hoa", None)
        .unwrap();
    let back = round_trip(&r);
    assert_eq!(back, r);
    assert_eq!(back.status_as_of(ymd(2025, 9, 4)), Some("received"));
}
