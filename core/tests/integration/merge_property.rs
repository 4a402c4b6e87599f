//! Property (ADR 0007): from any reachable state of any kind, two people each make valid edits
//! or transitions offline; merged in both orders, and through the server's decision in both
//! orders, every copy is the same valid record, nobody is rejected, and every disagreement is
//! visible: two concurrent transitions are a status conflict, a rule broken only by the merge
//! is listed for review.
//!
//! "Valid edit" is what the phone's store accepts: an edit may not add a broken rule the record
//! did not have (a merge may leave some for review; an edit need not fix them).
//!
//! Failing cases are kept in `tests/integration/proptest-regressions/merge_property.txt` and
//! replayed first on every run.

use std::collections::HashSet;

use danvan_core::model::common::new_item_id;
use danvan_core::model::democracy::ItemOutcome;
use danvan_core::model::dialogue::{Commitment, DialogueIssue, FollowUp, IssueAnswer};
use danvan_core::model::inspection::{Addressee, Recommendation, Response, ResponseResult};
use danvan_core::model::mediation::{Agreement, Party, PartyRole, Referral, ReferralAgency};
use danvan_core::model::petition::{
    Extension, NotAcceptedReason, PetitionOutcome, PetitionSubject, Petitioner, Resolution,
};
use danvan_core::model::{DemocracyCheck, InspectionActivity, MediationCase};
use danvan_core::model::{Dialogue, Petition};
use danvan_core::sync::merge::{MergeLimits, MergeOutcome, merge_push};
use danvan_core::sync::wire::{Push, to_wire_heads};
use danvan_core::{Coded, Record, RecordBody, RecordDoc, RulesConfig, STATUS_PATH};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use uuid::Uuid;

use crate::support::ymd;

/// One thing a person does to the record.
#[derive(Debug, Clone)]
enum Edit {
    /// Change the main text (summary / title / conclusion).
    Text(String),
    /// Add a list item (party, recommendation, remediation item).
    Add(String),
    /// Remove list item `i` (modulo the length).
    Remove(usize),
    /// Fill what a later status needs (agreement, positions, referral; a response; a result).
    Prepare(usize),
    /// Toggle a flag pair that a rule ties together (fee eligible/claimed, …).
    Flags(bool, bool),
    /// Move to allowed next status number `i` (modulo their number), effective `d` days after
    /// the current status took effect.
    Move(usize, u32),
    /// Correct the latest closing, if the record is closed (ADR 0009), with this reason.
    Correct(String),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        1 => "[a-zđơư]{1,8}".prop_map(Edit::Text),
        1 => "[a-zđơư]{1,8}".prop_map(Edit::Add),
        1 => (0..4usize).prop_map(Edit::Remove),
        1 => (0..4usize).prop_map(Edit::Prepare),
        1 => (any::<bool>(), any::<bool>()).prop_map(|(a, b)| Edit::Flags(a, b)),
        4 => (0..4usize, 0..5u32).prop_map(|(i, d)| Edit::Move(i, d)),
        1 => "[a-zđơư ]{0,8}".prop_map(Edit::Correct),
    ]
}

fn apply_mediation(m: &mut MediationCase, e: &Edit) {
    match e {
        Edit::Text(s) => m.summary = s.clone(),
        Edit::Add(s) => m.parties.push(Party {
            id: new_item_id(),
            name: s.clone(),
            birth_year: Some(1980),
            sex: None,
            address: "thôn Đông".into(),
            phone: None,
            role: PartyRole::Related,
        }),
        Edit::Remove(i) if !m.parties.is_empty() => {
            let n = m.parties.len();
            m.parties.remove(i % n);
        }
        Edit::Prepare(0) => {
            m.agreement = Some(Agreement {
                text: "mở lại lối đi chung".into(),
                terms: None,
                due_on: None,
                settlement_requested: false,
                settlement_no: None,
                settlement_on: None,
            })
        }
        Edit::Prepare(1) => m.party_positions = Some("mỗi bên giữ ý kiến".into()),
        Edit::Prepare(2) => {
            m.referral = Some(Referral {
                agency: ReferralAgency::Other,
                agency_name: Some("UBND xã".into()),
                on: ymd(2025, 9, 20),
                reason: "vượt thẩm quyền".into(),
            })
        }
        Edit::Prepare(_) => m.agreement = None,
        Edit::Flags(a, b) => {
            m.fee_claim.eligible = *a;
            m.fee_claim.claimed = *b;
        }
        _ => {}
    }
}

fn apply_inspection(a: &mut InspectionActivity, e: &Edit) {
    match e {
        Edit::Text(s) => a.title = s.clone(),
        Edit::Add(s) => a.recommendations.push(Recommendation {
            id: new_item_id(),
            addressee: Addressee::CommuneChair,
            addressee_name: None,
            content: s.clone(),
            sent_on: None,
            document_no: None,
            response_due_on: None,
        }),
        Edit::Remove(i) if !a.recommendations.is_empty() => {
            let n = a.recommendations.len();
            a.recommendations.remove(i % n);
        }
        Edit::Prepare(i) => {
            if let Some(r) = a.recommendations.iter().find(|r| r.sent_on.is_some()) {
                let id = r.id.clone();
                a.responses.push(Response {
                    id: new_item_id(),
                    recommendation_id: id,
                    received_on: ymd(2025, 10, 28),
                    document_no: None,
                    result: if i % 2 == 0 {
                        ResponseResult::Accepted
                    } else {
                        ResponseResult::Rejected
                    },
                    measures: None,
                });
            }
        }
        Edit::Flags(f, _) => a.policy_feedback = f.then(|| "sửa quy chế".to_string()),
        _ => {}
    }
}

fn apply_petition(p: &mut Petition, e: &Edit) {
    match e {
        Edit::Text(s) => p.summary = s.clone(),
        Edit::Add(s) => p
            .petitioners
            .push(Petitioner::named(s.clone(), "thôn Đông")),
        Edit::Remove(i) if !p.petitioners.is_empty() => {
            let n = p.petitioners.len();
            p.petitioners.remove(i % n);
        }
        Edit::Prepare(0) => {
            p.resolution = Some(Resolution {
                decided_on: ymd(2026, 3, 20),
                document_no: None,
                outcome: PetitionOutcome::PartlyRight,
                content: None,
            })
        }
        Edit::Prepare(1) => {
            p.not_accepted_reason = Some(NotAcceptedReason::NotCompetent);
            p.handling_note = Some("Chuyển Sở Nông nghiệp và Môi trường".into());
        }
        Edit::Prepare(2) => p.extensions.push(Extension {
            id: new_item_id(),
            decided_on: ymd(2026, 3, 25),
            days: Some(15),
            reason: "xác minh nhiều nơi".into(),
            document_no: None,
        }),
        Edit::Prepare(_) => p.resolution = None,
        Edit::Flags(a, b) => {
            p.remote_area = *a;
            p.second_time = *b;
        }
        _ => {}
    }
}

fn apply_dialogue(d: &mut Dialogue, e: &Edit) {
    match e {
        Edit::Text(s) => d.topic = s.clone(),
        Edit::Add(s) => d.issues.push(DialogueIssue {
            id: new_item_id(),
            content: s.clone(),
            subject: PetitionSubject::Land,
            answer: IssueAnswer::Commitment,
            answer_text: None,
            commitment: Some(Commitment {
                responsible: "UBND xã".into(),
                action: s.clone(),
                due_on: ymd(2026, 6, 30),
            }),
        }),
        Edit::Remove(i) if !d.issues.is_empty() => {
            let n = d.issues.len();
            d.issues.remove(i % n);
        }
        Edit::Prepare(i) if !d.issues.is_empty() => {
            let n = d.issues.len();
            let id = d.issues[i % n].id.clone();
            d.follow_ups.push(FollowUp {
                id: new_item_id(),
                issue_id: id,
                on: ymd(2026, 5, 20),
                note: "đã làm".into(),
                done: i % 2 == 0,
            });
        }
        Edit::Flags(a, _) => d.notes = a.then(|| "ghi chú".to_string()),
        _ => {}
    }
}

fn apply_democracy(c: &mut DemocracyCheck, e: &Edit) {
    match e {
        Edit::Text(s) => c.conclusion = Some(s.clone()),
        Edit::Prepare(i) => {
            let n = c.items.len().max(1);
            if let Some(r) = c.items.values_mut().nth(i % n) {
                r.result = Some(<ItemOutcome as Coded>::all()[i % 4]);
            }
        }
        Edit::Flags(a, b) => {
            c.counts.complaints_received = u32::from(*a) * 3;
            c.counts.complaints_resolved = u32::from(*b) * 3;
        }
        _ => {}
    }
}

fn apply(r: &mut Record, e: &Edit, by: &str) {
    if let Edit::Correct(reason) = e {
        let closing = r
            .timeline()
            .correctable(|code| r.is_closed_status(code))
            .map(|c| c.id.clone());
        if let Some(id) = closing {
            // Refused without a reason, as in the app: nothing changes.
            let _ = r.correct(
                &id,
                reason,
                by,
                danvan_core::model::common::Timestamp::now(),
            );
        }
        return;
    }
    if let Edit::Move(i, days) = e {
        let next = r.body.next_statuses();
        let head_on = r.timeline().current().map(|c| c.on);
        if let (Some(to), Some(on)) = (next.get(i % next.len().max(1)), head_on) {
            // A move whose rules are not met is refused in the app too: nothing changes.
            let _ = r.transition(to, on.plus_days(i64::from(*days)), by, None);
        }
        return;
    }
    match &mut r.body {
        RecordBody::Mediation(m) => apply_mediation(m, e),
        RecordBody::Inspection(a) => apply_inspection(a, e),
        RecordBody::Democracy(c) => apply_democracy(c, e),
        RecordBody::Petition(p) => apply_petition(p, e),
        RecordBody::Dialogue(d) => apply_dialogue(d, e),
    }
}

fn keys(r: &Record, cfg: &RulesConfig) -> HashSet<(String, String)> {
    r.validate(cfg)
        .into_iter()
        .map(|i| (i.field, i.code))
        .collect()
}

/// Make `e` the way the phone's store does: kept only if it breaks no rule the record kept.
/// Returns whether it was kept and was a status change.
fn local_edit(doc: &mut RecordDoc, e: &Edit, cfg: &RulesConfig) -> bool {
    let before = doc.record().unwrap();
    let mut after = before.clone();
    apply(&mut after, e, &doc.writer());
    if after == before || !keys(&after, cfg).is_subset(&keys(&before, cfg)) {
        return false;
    }
    doc.write(&after, "edit").unwrap();
    after.history.len() > before.history.len()
}

/// Codes of the status graph's rules: never broken by a merge.
const GRAPH: [&str; 4] = [
    "history",
    "bad_transition",
    "bad_correction",
    "correction_reason_required",
];

fn base(kind: usize) -> Record {
    let body = match kind {
        0 => RecordBody::Mediation(MediationCase::example()),
        1 => RecordBody::Inspection(InspectionActivity::example()),
        2 => RecordBody::Democracy(DemocracyCheck::example()),
        3 => RecordBody::Petition(Petition::example()),
        _ => RecordBody::Dialogue(Dialogue::example()),
    };
    Record::new("31-UNIT", "creator", ymd(2025, 9, 2), body)
}

/// The server's decision on `doc`'s changes since `since`, on the stored bytes `stored`.
fn push(stored: &[u8], doc: &mut RecordDoc, since: &[automerge::ChangeHash]) -> MergeOutcome {
    let id = Uuid::parse_str(doc.record().unwrap().id()).unwrap();
    let p = Push {
        id,
        changes: doc.changes_after(since),
        heads: to_wire_heads(&doc.heads()),
    };
    merge_push(
        Some(stored),
        &p,
        &RulesConfig::default(),
        &MergeLimits::default(),
        |_, _| Ok(()),
    )
}

/// Stored bytes after an outcome: the snapshot followed by the accepted chunk.
fn stored_after(stored: &[u8], outcome: &MergeOutcome) -> Result<Vec<u8>, String> {
    match outcome {
        MergeOutcome::Accepted { new_changes, .. } => {
            let mut s = stored.to_vec();
            s.extend_from_slice(new_changes);
            Ok(s)
        }
        MergeOutcome::Unchanged { .. } => Ok(stored.to_vec()),
        MergeOutcome::Rejected { reason, detail } => Err(format!("{reason:?}: {detail}")),
    }
}

fn case() -> impl Strategy<Value = (usize, Vec<Edit>, Vec<Edit>, Vec<Edit>)> {
    (
        0..5usize,
        proptest::collection::vec(edit(), 0..8),
        proptest::collection::vec(edit(), 1..4),
        proptest::collection::vec(edit(), 1..4),
    )
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "tests/integration/proptest-regressions/merge_property.txt",
        ))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn two_people_merge_into_the_same_valid_record((kind, prefix, lan, hung) in case()) {
        let cfg = RulesConfig::default();
        // A reachable state: the record as created, then valid edits on one device.
        let creator = Uuid::now_v7();
        let mut origin = RecordDoc::create(&base(kind), &creator).unwrap();
        for e in &prefix {
            local_edit(&mut origin, e, &cfg);
        }
        prop_assert!(origin.record().unwrap().validate(&cfg).is_empty());
        let server_base = origin.save();
        let base_heads = origin.heads();
        // Two people work offline on their own copies.
        let mut a = origin.fork_for(&Uuid::now_v7());
        let mut b = origin.fork_for(&Uuid::now_v7());
        let moved_a = lan.iter().fold(false, |m, e| local_edit(&mut a, e, &cfg) | m);
        let moved_b = hung.iter().fold(false, |m, e| local_edit(&mut b, e, &cfg) | m);
        let (ra, rb) = (a.record().unwrap(), b.record().unwrap());

        // Merged in both orders: the same record and the same conflicts.
        let mut ab = a.clone();
        ab.merge(&mut b.clone()).unwrap();
        let mut ba = b.clone();
        ba.merge(&mut a.clone()).unwrap();
        let merged = ab.record().unwrap();
        prop_assert_eq!(&ba.record().unwrap(), &merged);
        prop_assert_eq!(ab.conflicts(), ba.conflicts());

        // Through the server, in both orders: nobody is rejected, and the server's copy is
        // the same record.
        for (first, second) in [(&mut a.clone(), &mut b.clone()), (&mut b.clone(), &mut a.clone())] {
            let one = push(&server_base, first, &base_heads);
            let stored = stored_after(&server_base, &one);
            prop_assert!(stored.is_ok(), "first push rejected: {:?}", stored);
            let stored = stored.unwrap();
            let two = push(&stored, second, &base_heads);
            let end = stored_after(&stored, &two);
            prop_assert!(end.is_ok(), "second push rejected: {:?}", end);
            let server = RecordDoc::load(&end.unwrap(), &Uuid::nil()).unwrap();
            prop_assert_eq!(&server.record().unwrap(), &merged);
        }

        // The status graph of the merged record is valid, its status and closing date agree
        // (derived, never paired across devices), and a rule is broken only if the merge broke
        // it: neither person's copy did.
        let issues = merged.validate(&cfg);
        prop_assert!(
            issues.iter().all(|i| !GRAPH.contains(&i.code.as_str()) && i.field != "mediation.closed_on"
                && i.field != "inspection.closed_on" && i.code != "closed_on_open"),
            "{:?}", issues
        );
        let own: HashSet<_> = keys(&ra, &cfg).union(&keys(&rb, &cfg)).cloned().collect();
        prop_assert!(own.is_empty());
        // Two people who both moved the record from the same status disagree on it: the merged
        // record shows a status conflict with both of them, and either choice resolves it into
        // a record every device agrees on.
        let heads = merged.timeline().heads.len();
        prop_assert_eq!(heads > 1, moved_a && moved_b);
        let status_conflict = ab.conflicts().into_iter().find(|c| c.path == STATUS_PATH);
        prop_assert_eq!(status_conflict.is_some(), heads > 1);
        if let Some(c) = status_conflict {
            prop_assert_eq!(&c.current.value, merged.body.status_code());
            prop_assert_eq!(&c.values[0], &c.current);
            for choice in 0..c.values.len() {
                let mut r = ab.clone();
                r.resolve(STATUS_PATH, choice).unwrap();
                let resolved = r.record().unwrap();
                prop_assert_eq!(resolved.body.status_code(), c.values[choice].value.as_str());
                prop_assert!(resolved.validate(&cfg).iter().all(|i| !GRAPH.contains(&i.code.as_str())));
                prop_assert!(r.conflicts().iter().all(|c| c.path != STATUS_PATH));
                let mut other = ba.clone();
                other.merge(&mut r.clone()).unwrap();
                prop_assert_eq!(other.record().unwrap(), resolved);
            }
        }
    }
}
