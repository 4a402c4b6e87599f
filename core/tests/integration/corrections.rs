//! Correcting a wrongly closed record (ADR 0009): the corrected closing stays in the history but
//! is never effective; the record is open again from the wrong closing's date; the reason is
//! required; only the latest closing in force may be corrected, once; corrections merge like
//! any transition, and the server refuses malformed or repeated ones.

use danvan_core::facts::Fact;
use danvan_core::model::common::{Date, Timestamp};
use danvan_core::model::{DemocracyCheck, InspectionActivity, MediationCase};
use danvan_core::sync::merge::{
    HistoryDelta, MergeLimits, MergeOutcome, Stored, merge_push, merge_stored_delta,
};
use danvan_core::sync::wire::{Push, RejectReason, to_wire_heads};
use danvan_core::{CoreError, Record, RecordBody, RecordDoc, RulesConfig, STATUS_PATH};
use uuid::Uuid;

use crate::support::ymd;

/// A mediation case received 2 Sep, mediating from 5 Sep, wrongly closed as successful on
/// 20 Sep.
fn wrongly_closed() -> Record {
    let mut r = Record::new(
        "31-UNIT",
        "hoa",
        ymd(2025, 9, 2),
        RecordBody::Mediation(MediationCase::example_successful()),
    );
    r.transition("mediating", ymd(2025, 9, 5), "hoa", None)
        .unwrap();
    r.transition("successful", ymd(2025, 9, 20), "hoa", None)
        .unwrap();
    assert!(r.validate(&RulesConfig::default()).is_empty());
    r
}

fn closing_id(r: &Record) -> String {
    r.timeline().current().unwrap().id.clone()
}

fn codes(e: CoreError) -> Vec<(String, String)> {
    match e {
        CoreError::Invalid(issues) => {
            for i in &issues {
                assert!(!i.vi.is_empty() && !i.en.is_empty());
            }
            issues.into_iter().map(|i| (i.field, i.code)).collect()
        }
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[test]
fn the_timeline_skips_the_corrected_closing_and_keeps_it_in_the_history() {
    let mut r = wrongly_closed();
    let wrong = closing_id(&r);
    r.correct(&wrong, "Bấm nhầm kết quả", "leader", Timestamp::now())
        .unwrap();
    assert_eq!(r.body.status_code(), "mediating");
    assert!(!r.body.is_closed());
    assert_eq!(r.body.index().closed_on, None);
    assert_eq!(r.history.len(), 4);
    let tl = r.timeline();
    assert!(!tl.in_conflict());
    assert!(tl.chain.iter().all(|c| c.id != wrong));
    assert!(tl.is_corrected(&wrong));
    let k = tl.current().unwrap();
    assert_eq!(k.corrects.as_deref(), Some(wrong.as_str()));
    assert_eq!(
        (k.from.as_deref(), k.to.as_str()),
        (Some("successful"), "mediating")
    );
    assert_eq!(k.on, ymd(2025, 9, 20));
    assert_eq!(k.note.as_deref(), Some("Bấm nhầm kết quả"));
    assert_eq!(k.by, "leader");
    assert!(r.validate(&RulesConfig::default()).is_empty());
    // It survives a document round trip (the field is part of the schema).
    assert_eq!(crate::support::round_trip(&r), r);
}

#[test]
fn status_as_of_any_day_is_what_it_would_have_been_without_the_wrong_closing() {
    let mut r = wrongly_closed();
    let before: Vec<Option<String>> = days().map(|d| status(&r, d)).collect();
    assert_eq!(status(&r, ymd(2025, 9, 20)).as_deref(), Some("successful"));
    let wrong = closing_id(&r);
    r.correct(
        &wrong,
        "Các bên chưa ký biên bản",
        "leader",
        Timestamp::now(),
    )
    .unwrap();
    for (d, was) in days().zip(before) {
        let now = status(&r, d);
        if d < ymd(2025, 9, 20) {
            assert_eq!(now, was, "{d}");
        } else {
            assert_eq!(now.as_deref(), Some("mediating"), "{d}");
        }
    }
    assert_eq!(status(&r, ymd(2025, 9, 1)), None);
    assert_eq!(status(&r, ymd(2025, 9, 3)).as_deref(), Some("received"));
    // The fact row keeps the chain in force: the wrong closing counts on no day.
    let fact = Fact::from_record(&r, &RulesConfig::default());
    assert_eq!(fact.status, "mediating");
    assert_eq!(fact.closed_on, None);
    assert!(fact.history.iter().all(|h| h.status != "successful"));
    // The case can be closed again from the wrong closing's date on (the real result).
    let mut r2 = r.clone();
    if let RecordBody::Mediation(m) = &mut r2.body {
        m.party_positions = Some("mỗi bên giữ ý kiến".into());
    }
    r2.transition("unsuccessful", ymd(2025, 9, 20), "hoa", None)
        .unwrap();
    assert_eq!(
        status(&r2, ymd(2025, 9, 20)).as_deref(),
        Some("unsuccessful")
    );
    // The new closing is the latest in force and may itself be corrected; the old one not.
    assert!(matches!(
        r2.clone().correct(&wrong, "lại", "x", Timestamp::now()),
        Err(CoreError::Invalid(_))
    ));
    let again = closing_id(&r2);
    r2.correct(&again, "nhầm lần nữa", "x", Timestamp::now())
        .unwrap();
    assert_eq!(r2.body.status_code(), "mediating");
    assert!(r2.validate(&RulesConfig::default()).is_empty());
}

fn days() -> impl Iterator<Item = Date> {
    (0..60).map(|i| ymd(2025, 8, 25).plus_days(i))
}

fn status(r: &Record, d: Date) -> Option<String> {
    r.status_as_of(d).map(str::to_string)
}

#[test]
fn a_reason_is_required() {
    let mut r = wrongly_closed();
    let wrong = closing_id(&r);
    let before = r.clone();
    for blank in ["", "   ", "\n"] {
        let got = codes(
            r.correct(&wrong, blank, "leader", Timestamp::now())
                .unwrap_err(),
        );
        assert_eq!(
            got,
            [(
                format!("history[{wrong}].note"),
                "correction_reason_required".to_string()
            )]
        );
        assert_eq!(r, before);
    }
    // A correction written without its reason (by another client) is reported.
    r.correct(&wrong, "lý do", "leader", Timestamp::now())
        .unwrap();
    let last = r.history.len() - 1;
    r.history[last].note = None;
    let issues = r.validate(&RulesConfig::default());
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].code, "correction_reason_required");
}

#[test]
fn correcting_twice_a_non_closing_or_an_entry_not_in_force_is_refused() {
    let mut r = wrongly_closed();
    let wrong = closing_id(&r);
    r.correct(&wrong, "nhầm", "leader", Timestamp::now())
        .unwrap();
    let once = r.clone();
    let got = codes(
        r.correct(&wrong, "nhầm nữa", "leader", Timestamp::now())
            .unwrap_err(),
    );
    assert_eq!(got[0].1, "already_corrected");
    assert_eq!(r, once);
    // The correction itself, the creation and an open transition are not closings.
    for i in [0, 1, 3] {
        let id = r.history[i].id.clone();
        let got = codes(r.correct(&id, "x", "leader", Timestamp::now()).unwrap_err());
        assert_eq!(got, [(format!("history[{id}]"), "not_closing".to_string())]);
    }
    assert!(matches!(
        r.correct("no-such-entry", "x", "leader", Timestamp::now()),
        Err(CoreError::NotFound(_))
    ));
    // A closing on a branch nobody chose is not in force: while two closings conflict,
    // neither may be corrected; after the resolution only the kept one.
    let (lan, hung) = two_closings();
    let mut merged = lan.clone();
    merged.merge(&mut hung.clone()).unwrap();
    let m = merged.record().unwrap();
    let heads: Vec<String> = m.timeline().heads.iter().map(|h| h.id.clone()).collect();
    assert_eq!(heads.len(), 2);
    for h in &heads {
        let got = codes(
            m.clone()
                .correct(h, "x", "y", Timestamp::now())
                .unwrap_err(),
        );
        assert_eq!(got[0].1, "not_latest_closing");
    }
    let mut resolved = m.clone();
    resolved.resolve_status(1, "leader").unwrap();
    let superseded = &heads[0];
    let got = codes(
        resolved
            .clone()
            .correct(superseded, "x", "y", Timestamp::now())
            .unwrap_err(),
    );
    assert_eq!(got[0].1, "not_latest_closing");
    // The resolution is the closing in force: correcting it skips it and the head it kept.
    let resolution = closing_id(&resolved);
    resolved
        .correct(&resolution, "cả hai đều nhầm", "leader", Timestamp::now())
        .unwrap();
    assert_eq!(resolved.body.status_code(), "received");
    assert!(resolved.timeline().is_corrected(&heads[1]));
    let graph = ["history", "bad_transition", "bad_correction"];
    let issues = resolved.validate(&RulesConfig::default());
    assert!(
        issues.iter().all(|i| !graph.contains(&i.code.as_str())),
        "{issues:?}"
    );
}

/// Lan closes a received case as out of scope, Hùng as stopped, both offline.
fn two_closings() -> (RecordDoc, RecordDoc) {
    let r = Record::new(
        "31-UNIT",
        "hoa",
        ymd(2025, 9, 2),
        RecordBody::Mediation(MediationCase::example()),
    );
    let mut origin = RecordDoc::create(&r, &Uuid::now_v7()).unwrap();
    let mut docs = Vec::new();
    for to in ["out_of_scope", "stopped"] {
        let mut d = origin.fork_for(&Uuid::now_v7());
        let mut rec = d.record().unwrap();
        rec.transition(to, ymd(2025, 9, 6), &d.writer(), None)
            .unwrap();
        d.write(&rec, "transition").unwrap();
        docs.push(d);
    }
    let hung = docs.pop().unwrap();
    let lan = docs.pop().unwrap();
    (lan, hung)
}

#[test]
fn inspection_and_democracy_closings_are_corrected_back_to_the_status_before() {
    let cfg = RulesConfig::default();
    let mut ins = Record::new(
        "31-UNIT",
        "thanh",
        ymd(2025, 8, 1),
        RecordBody::Inspection(InspectionActivity::example()),
    );
    ins.transition("closed", ymd(2025, 8, 20), "thanh", None)
        .unwrap();
    let wrong = closing_id(&ins);
    ins.correct(&wrong, "Chưa báo cáo Mặt trận", "officer", Timestamp::now())
        .unwrap();
    assert_eq!(ins.body.status_code(), "in_progress");
    assert_eq!(
        ins.status_as_of(ymd(2025, 12, 31)),
        Some("in_progress"),
        "open again from the wrong closing's date on"
    );
    assert!(ins.validate(&cfg).is_empty(), "{:?}", ins.validate(&cfg));

    let mut dem = Record::new(
        "31-UNIT",
        "kiem",
        ymd(2025, 8, 1),
        RecordBody::Democracy(DemocracyCheck::example_submitted()),
    );
    dem.transition("submitted", ymd(2025, 8, 3), "kiem", None)
        .unwrap();
    dem.transition("closed", ymd(2025, 8, 10), "officer", None)
        .unwrap();
    let wrong = closing_id(&dem);
    dem.correct(&wrong, "Thiếu biên bản", "officer", Timestamp::now())
        .unwrap();
    assert_eq!(dem.body.status_code(), "submitted");
    assert_eq!(dem.status_as_of(ymd(2025, 8, 10)), Some("submitted"));
    // The machine goes on from there: returned, then closed again.
    dem.transition("returned", ymd(2025, 8, 12), "officer", None)
        .unwrap();
    assert!(dem.validate(&cfg).is_empty(), "{:?}", dem.validate(&cfg));
}

#[test]
fn malformed_corrections_and_transitions_break_the_history_rules() {
    let cfg = RulesConfig::default();
    let mut r = wrongly_closed();
    let wrong = closing_id(&r);
    r.correct(&wrong, "nhầm", "leader", Timestamp::now())
        .unwrap();
    let last = r.history.len() - 1;
    for bad in 0..4 {
        let mut x = r.clone();
        let other = x.history[1].id.clone();
        let k = &mut x.history[last];
        match bad {
            0 => k.to = "received".into(),
            1 => k.on = ymd(2025, 9, 21),
            2 => k.after = vec![other],
            _ => k.corrects = Some(other),
        }
        let issues = x.validate(&cfg);
        assert!(
            issues.iter().any(|i| i.code == "bad_correction"),
            "{bad}: {issues:?}"
        );
    }
    // A transition the machine does not allow: successful → mediating without a correction.
    let mut x = r.clone();
    x.history[last].corrects = None;
    let codes: Vec<_> = x.validate(&cfg).into_iter().map(|i| i.code).collect();
    assert_eq!(codes, ["bad_transition"]);
}

fn push_of(doc: &mut RecordDoc, since: &[automerge::ChangeHash]) -> Push {
    Push {
        id: Uuid::parse_str(doc.record().unwrap().id()).unwrap(),
        changes: doc.changes_after(since),
        heads: to_wire_heads(&doc.heads()),
    }
}

fn server(stored: &[u8], p: &Push) -> MergeOutcome {
    merge_push(
        Some(stored),
        p,
        &RulesConfig::default(),
        &MergeLimits::default(),
        |_, _| Ok(()),
    )
}

fn after(stored: &[u8], o: MergeOutcome) -> Vec<u8> {
    match o {
        MergeOutcome::Accepted { new_changes, .. } => {
            let mut s = stored.to_vec();
            s.extend_from_slice(&new_changes);
            s
        }
        other => panic!("expected accepted, got {other:?}"),
    }
}

fn rejected(o: MergeOutcome) -> (RejectReason, String) {
    match o {
        MergeOutcome::Rejected { reason, detail } => (reason, detail),
        other => panic!("expected rejected, got {other:?}"),
    }
}

/// Correct the current closing of `doc` as a local write.
fn correct_in(doc: &mut RecordDoc, reason: &str) {
    let mut r = doc.record().unwrap();
    let id = closing_id(&r);
    r.correct(&id, reason, &doc.writer(), Timestamp::now())
        .unwrap();
    doc.write(&r, "correction").unwrap();
}

#[test]
fn a_correction_and_a_concurrent_edit_converge_in_both_orders_and_through_the_server() {
    let mut origin = RecordDoc::create(&wrongly_closed(), &Uuid::now_v7()).unwrap();
    let base = origin.save();
    let base_heads = origin.heads();
    let mut leader = origin.fork_for(&Uuid::now_v7());
    let mut mediator = origin.fork_for(&Uuid::now_v7());
    correct_in(&mut leader, "Bấm nhầm");
    let mut r = mediator.record().unwrap();
    if let RecordBody::Mediation(m) = &mut r.body {
        m.summary = "Tranh chấp lối đi chung (đã sửa)".into();
    }
    mediator.write(&r, "edit").unwrap();

    let mut ab = leader.clone();
    ab.merge(&mut mediator.clone()).unwrap();
    let mut ba = mediator.clone();
    ba.merge(&mut leader.clone()).unwrap();
    let merged = ab.record().unwrap();
    assert_eq!(ba.record().unwrap(), merged);
    assert_eq!(merged.body.status_code(), "mediating");
    assert!(ab.conflicts().is_empty());
    assert!(merged.validate(&RulesConfig::default()).is_empty());
    for (first, second) in [
        (leader.clone(), mediator.clone()),
        (mediator.clone(), leader.clone()),
    ] {
        let (mut first, mut second) = (first, second);
        let s1 = after(&base, server(&base, &push_of(&mut first, &base_heads)));
        let s2 = after(&s1, server(&s1, &push_of(&mut second, &base_heads)));
        let on_server = RecordDoc::load(&s2, &Uuid::nil()).unwrap();
        assert_eq!(on_server.record().unwrap(), merged);
    }
}

#[test]
fn two_concurrent_corrections_are_a_status_conflict_but_a_known_one_is_not_corrected_again() {
    let mut origin = RecordDoc::create(&wrongly_closed(), &Uuid::now_v7()).unwrap();
    let base = origin.save();
    let base_heads = origin.heads();
    let mut a = origin.fork_for(&Uuid::now_v7());
    let mut b = origin.fork_for(&Uuid::now_v7());
    correct_in(&mut a, "lý do của Lan");
    correct_in(&mut b, "lý do của Hùng");
    // Neither knew of the other: both accepted, shown as a status conflict on one status.
    let s1 = after(&base, server(&base, &push_of(&mut a, &base_heads)));
    let s2 = after(&s1, server(&s1, &push_of(&mut b, &base_heads)));
    let mut on_server = RecordDoc::load(&s2, &Uuid::nil()).unwrap();
    let m = on_server.record().unwrap();
    assert!(m.validate(&RulesConfig::default()).is_empty());
    assert_eq!(m.timeline().heads.len(), 2);
    assert_eq!(m.body.status_code(), "mediating");
    assert!(on_server.conflicts().iter().any(|c| c.path == STATUS_PATH));
    on_server.resolve(STATUS_PATH, 0).unwrap();
    assert_eq!(on_server.record().unwrap().body.status_code(), "mediating");

    // A device that had the first correction and appends a second one to the same closing
    // (which the app refuses) is rejected.
    let mut c = RecordDoc::load(&s1, &Uuid::now_v7()).unwrap();
    let since = c.heads();
    let mut r = c.record().unwrap();
    let k1 = r.timeline().current().unwrap().clone();
    let mut k2 = k1.clone();
    k2.id = danvan_core::model::common::new_item_id();
    k2.note = Some("lần nữa".into());
    r.history.push(k2.clone());
    r.derive();
    c.write(&r, "crafted").unwrap();
    let (reason, detail) = rejected(server(&s1, &push_of(&mut c, &since)));
    assert_eq!(reason, RejectReason::Invalid);
    assert_eq!(detail, format!("history[{}]:already_corrected", k2.id));
}

#[test]
fn the_server_rejects_a_pushed_transition_its_machine_does_not_allow() {
    let mut origin = RecordDoc::create(&wrongly_closed(), &Uuid::now_v7()).unwrap();
    let base = origin.save();
    let since = origin.heads();
    let mut d = origin.fork_for(&Uuid::now_v7());
    // successful → mediating written as a plain transition (no correction).
    let mut r = d.record().unwrap();
    let head = r.timeline().current().unwrap().clone();
    let mut bad = head.clone();
    bad.id = danvan_core::model::common::new_item_id();
    bad.from = Some("successful".into());
    bad.to = "mediating".into();
    bad.after = vec![head.id.clone()];
    r.history.push(bad.clone());
    r.derive();
    d.write(&r, "crafted").unwrap();
    let (reason, detail) = rejected(server(&base, &push_of(&mut d, &since)));
    assert_eq!(reason, RejectReason::Invalid);
    assert_eq!(detail, format!("history[{}]:bad_transition", bad.id));
    // A correction without a reason, likewise.
    let mut d = origin.fork_for(&Uuid::now_v7());
    let mut r = d.record().unwrap();
    r.correct(&head.id, "tạm", "x", Timestamp::now()).unwrap();
    let last = r.history.len() - 1;
    r.history[last].note = Some(" ".into());
    let k = r.history[last].id.clone();
    d.write(&r, "crafted").unwrap();
    let (reason, detail) = rejected(server(&base, &push_of(&mut d, &since)));
    assert_eq!(reason, RejectReason::Invalid);
    assert_eq!(
        detail,
        format!("history[{k}].note:correction_reason_required")
    );
}

#[test]
fn the_server_sees_what_a_push_adds_to_the_history() {
    let mut origin = RecordDoc::create(&wrongly_closed(), &Uuid::now_v7()).unwrap();
    let base = origin.save();
    let since = origin.heads();
    let delta_of = |p: &Push| {
        let mut got = None;
        let stored = Stored {
            bytes: &base,
            kind: "mediation",
            unit: "31-UNIT",
        };
        let o = merge_stored_delta(
            Some(stored),
            p,
            &RulesConfig::default(),
            &MergeLimits::default(),
            |_, _, d: &HistoryDelta| {
                got = Some(d.clone());
                Ok(())
            },
        );
        assert!(matches!(o, MergeOutcome::Accepted { .. }), "{o:?}");
        got.unwrap()
    };
    // A correction alone.
    let mut only = origin.fork_for(&Uuid::now_v7());
    correct_in(&mut only, "nhầm");
    let d = delta_of(&push_of(&mut only, &since));
    assert_eq!(d.new_entries.len(), 1);
    assert_eq!(d.corrections().count(), 1);
    assert!(d.only_corrections());
    // A correction with an edit of the body.
    let mut more = origin.fork_for(&Uuid::now_v7());
    correct_in(&mut more, "nhầm");
    let mut r = more.record().unwrap();
    if let RecordBody::Mediation(m) = &mut r.body {
        m.summary = "khác".into();
    }
    more.write(&r, "edit").unwrap();
    let d = delta_of(&push_of(&mut more, &since));
    assert_eq!(d.corrections().count(), 1);
    assert!(!d.only_corrections());
    // An edit without a new entry.
    let mut edit = origin.fork_for(&Uuid::now_v7());
    let mut r = edit.record().unwrap();
    if let RecordBody::Mediation(m) = &mut r.body {
        m.summary = "khác".into();
    }
    edit.write(&r, "edit").unwrap();
    let d = delta_of(&push_of(&mut edit, &since));
    assert!(d.new_entries.is_empty() && !d.only_corrections());
}
