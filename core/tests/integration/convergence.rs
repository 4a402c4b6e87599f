//! Property: concurrent edits of one record on 2–3 devices, with partial syncs in between,
//! converge once every device has merged every other, whatever the merge order: the same
//! record and the same list of conflicts everywhere.
//!
//! Failing cases are kept in `tests/integration/proptest-regressions/convergence.txt` and
//! replayed first on every run.

use danvan_core::model::common::{Date, new_item_id};
use danvan_core::model::democracy::{ItemOutcome, RemediationItem, RemediationStatus};
use danvan_core::model::dialogue::{Commitment, DialogueIssue, FollowUp, IssueAnswer};
use danvan_core::model::inspection::{Addressee, Recommendation, Response, ResponseResult};
use danvan_core::model::mediation::{Party, PartyRole, Session};
use danvan_core::model::petition::{Extension, PetitionSubject, Petitioner};
use danvan_core::model::{DemocracyCheck, InspectionActivity, MediationCase};
use danvan_core::model::{Dialogue, Petition};
use danvan_core::{Coded, Record, RecordBody, RecordDoc};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use uuid::Uuid;

use crate::support::ymd;

/// One edit a user may make on a device.
#[derive(Debug, Clone)]
enum Edit {
    Text(String),
    AddItem(String),
    ChangeItem(usize, String),
    RemoveItem(usize),
    Flag(bool),
    Amount(i64),
    Transition(&'static str, u32),
    Pick(usize, usize),
}

/// One step of the schedule: a device edits, or pulls another device's state.
#[derive(Debug, Clone)]
enum Step {
    Edit(usize, Edit),
    Sync { into: usize, from: usize },
}

const STATUSES: &[&str] = &[
    "mediating",
    "successful",
    "stopped",
    "recommended",
    "awaiting_answer",
    "handled",
    "closed",
    "submitted",
    "returned",
    "accepted",
    "verifying",
    "resolved",
    "forwarded",
    "withdrawn",
    "enforced",
    "held",
];

fn edit() -> impl Strategy<Value = Edit> {
    let word = "[a-zđơư ]{0,8}";
    prop_oneof![
        word.prop_map(Edit::Text),
        word.prop_map(Edit::AddItem),
        (0..4usize, word).prop_map(|(i, s)| Edit::ChangeItem(i, s)),
        (0..4usize).prop_map(Edit::RemoveItem),
        any::<bool>().prop_map(Edit::Flag),
        (-5i64..5_000_000).prop_map(Edit::Amount),
        (proptest::sample::select(STATUSES), 1..28u32).prop_map(|(s, d)| Edit::Transition(s, d)),
        (0..30usize, 0..4usize).prop_map(|(i, o)| Edit::Pick(i, o)),
    ]
}

fn schedule(devices: usize) -> impl Strategy<Value = Vec<Step>> {
    let step = prop_oneof![
        4 => (0..devices, edit()).prop_map(|(d, e)| Step::Edit(d, e)),
        1 => (0..devices, 0..devices).prop_map(|(into, from)| Step::Sync { into, from }),
    ];
    proptest::collection::vec(step, 1..24)
}

fn apply_mediation(m: &mut MediationCase, e: &Edit) {
    match e {
        Edit::Text(s) => m.summary = s.clone(),
        Edit::AddItem(s) => m.parties.push(Party {
            id: new_item_id(),
            name: s.clone(),
            birth_year: Some(1980),
            sex: None,
            address: "thôn Đông".into(),
            phone: None,
            role: PartyRole::Related,
        }),
        Edit::ChangeItem(i, s) if !m.parties.is_empty() => {
            let n = m.parties.len();
            m.parties[i % n].phone = Some(s.clone());
        }
        Edit::RemoveItem(i) if !m.parties.is_empty() => {
            let n = m.parties.len();
            m.parties.remove(i % n);
        }
        Edit::Flag(b) => m.risk.flagged = *b,
        Edit::Amount(a) => m.fee_claim.amount_vnd = Some(*a),
        Edit::Pick(i, _) => m.sessions.push(Session {
            id: new_item_id(),
            held_on: ymd(2025, 9, 1 + (*i as u32 % 28)),
            place: "nhà văn hóa".into(),
            participants: vec!["Hoa".into()],
            notes: None,
        }),
        _ => {}
    }
}

fn apply_inspection(a: &mut InspectionActivity, e: &Edit) {
    match e {
        Edit::Text(s) => a.title = s.clone(),
        Edit::AddItem(s) => a.recommendations.push(Recommendation {
            id: new_item_id(),
            addressee: Addressee::CommuneChair,
            addressee_name: None,
            content: s.clone(),
            sent_on: None,
            document_no: None,
            response_due_on: None,
        }),
        Edit::ChangeItem(i, s) if !a.recommendations.is_empty() => {
            let n = a.recommendations.len();
            a.recommendations[i % n].document_no = Some(s.clone());
        }
        Edit::RemoveItem(i) if !a.recommendations.is_empty() => {
            let n = a.recommendations.len();
            a.recommendations.remove(i % n);
        }
        Edit::Pick(i, _) if !a.recommendations.is_empty() => {
            let n = a.recommendations.len();
            let id = a.recommendations[i % n].id.clone();
            a.responses.push(Response {
                id: new_item_id(),
                recommendation_id: id,
                received_on: ymd(2025, 9, 1),
                document_no: None,
                result: ResponseResult::Accepted,
                measures: None,
            });
        }
        Edit::Flag(b) => a.policy_feedback = b.then(|| "sửa quy chế".to_string()),
        Edit::Amount(x) => a.outcomes.money_recovered_vnd = *x,
        _ => {}
    }
}

fn apply_petition(p: &mut Petition, e: &Edit) {
    match e {
        Edit::Text(s) => p.summary = s.clone(),
        Edit::AddItem(s) => p
            .petitioners
            .push(Petitioner::named(s.clone(), "thôn Đông")),
        Edit::ChangeItem(i, s) if !p.petitioners.is_empty() => {
            let n = p.petitioners.len();
            p.petitioners[i % n].contact = Some(s.clone());
        }
        Edit::RemoveItem(i) if !p.petitioners.is_empty() => {
            let n = p.petitioners.len();
            p.petitioners.remove(i % n);
        }
        Edit::Pick(i, _) => p.extensions.push(Extension {
            id: new_item_id(),
            decided_on: ymd(2026, 4, 1 + (*i as u32 % 28)),
            days: None,
            reason: "xác minh nhiều nơi".into(),
            document_no: None,
        }),
        Edit::Flag(b) => p.remote_area = *b,
        Edit::Amount(x) => p.group_size = Some((*x).clamp(0, 1_000) as u32),
        _ => {}
    }
}

fn apply_dialogue(d: &mut Dialogue, e: &Edit) {
    match e {
        Edit::Text(s) => d.topic = s.clone(),
        Edit::AddItem(s) => d.issues.push(DialogueIssue {
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
        Edit::ChangeItem(i, s) if !d.issues.is_empty() => {
            let n = d.issues.len();
            d.issues[i % n].answer_text = Some(s.clone());
        }
        Edit::RemoveItem(i) if !d.issues.is_empty() => {
            let n = d.issues.len();
            d.issues.remove(i % n);
        }
        Edit::Pick(i, _) if !d.issues.is_empty() => {
            let n = d.issues.len();
            let id = d.issues[i % n].id.clone();
            d.follow_ups.push(FollowUp {
                id: new_item_id(),
                issue_id: id,
                on: ymd(2026, 5, 1 + (*i as u32 % 28)),
                note: "đang làm".into(),
                done: i % 2 == 0,
            });
        }
        Edit::Flag(b) => d.notes = b.then(|| "ghi chú".to_string()),
        Edit::Amount(x) => d.place = format!("nhà văn hóa {}", x.rem_euclid(10)),
        _ => {}
    }
}

fn apply_democracy(c: &mut DemocracyCheck, e: &Edit) {
    match e {
        Edit::Text(s) => c.conclusion = Some(s.clone()),
        Edit::AddItem(s) => c.remediation.push(RemediationItem {
            id: new_item_id(),
            content: s.clone(),
            responsible: "UBND xã".into(),
            due_on: Some(ymd(2025, 11, 1)),
            status: RemediationStatus::Open,
            done_on: None,
        }),
        Edit::ChangeItem(i, s) if !c.remediation.is_empty() => {
            let n = c.remediation.len();
            c.remediation[i % n].responsible = s.clone();
            c.remediation[i % n].status = RemediationStatus::InProgress;
        }
        Edit::RemoveItem(i) if !c.remediation.is_empty() => {
            let n = c.remediation.len();
            c.remediation.remove(i % n);
        }
        Edit::Pick(i, o) => {
            let n = c.items.len().max(1);
            if let Some(r) = c.items.values_mut().nth(i % n) {
                r.result = Some(<ItemOutcome as Coded>::all()[o % 4]);
            }
        }
        Edit::Flag(b) => c.counts.dialogues_held = u32::from(*b),
        Edit::Amount(x) => c.counts.complaints_received = (*x).clamp(0, 1_000) as u32,
        _ => {}
    }
}

/// Apply `e`; returns whether it was a status change the machine allowed.
fn apply(r: &mut Record, e: &Edit) -> bool {
    if let Edit::Transition(to, day) = e {
        // Forbidden moves are refused, as in the app; allowed ones append to the history.
        return r
            .transition(to, ymd(2025, 10, *day), "tester", None)
            .is_ok();
    }
    match &mut r.body {
        RecordBody::Mediation(m) => apply_mediation(m, e),
        RecordBody::Inspection(a) => apply_inspection(a, e),
        RecordBody::Democracy(c) => apply_democracy(c, e),
        RecordBody::Petition(p) => apply_petition(p, e),
        RecordBody::Dialogue(d) => apply_dialogue(d, e),
    }
    false
}

fn base(kind: usize) -> Record {
    let body = match kind {
        0 => RecordBody::Mediation(MediationCase::example()),
        1 => RecordBody::Inspection(InspectionActivity::example()),
        2 => RecordBody::Democracy(DemocracyCheck::example()),
        3 => RecordBody::Petition(Petition::example()),
        _ => RecordBody::Dialogue(Dialogue::example()),
    };
    Record::new("31-UNIT", "creator", Date::ymd(2025, 9, 2).unwrap(), body)
}

fn case() -> impl Strategy<Value = (usize, usize, Vec<Step>, Vec<Vec<usize>>)> {
    (0..5usize, 2..=3usize).prop_flat_map(|(kind, n)| {
        let orders: Vec<_> = (0..n)
            .map(|_| Just((0..n).collect::<Vec<_>>()).prop_shuffle())
            .collect();
        (Just(kind), Just(n), schedule(n), orders)
    })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 96,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "tests/integration/proptest-regressions/convergence.txt",
        ))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn concurrent_edits_converge_in_any_merge_order((kind, n, steps, orders) in case()) {
        let record = base(kind);
        let creator = Uuid::now_v7();
        let mut origin = RecordDoc::create(&record, &creator).unwrap();
        let mut docs: Vec<RecordDoc> = (0..n).map(|_| origin.fork_for(&Uuid::now_v7())).collect();
        let mut moves = 0;
        for step in &steps {
            match step {
                Step::Edit(d, e) => {
                    moves += usize::from(docs[*d].update("edit", |r| Ok(apply(r, e))).unwrap());
                }
                Step::Sync { into, from } if into != from => {
                    let mut other = docs[*from].clone();
                    docs[*into].merge(&mut other).unwrap();
                }
                Step::Sync { .. } => {}
            }
        }
        // Every device merges every other device's final state, each in its own order.
        let finals: Vec<RecordDoc> = docs.clone();
        for (d, order) in orders.iter().enumerate() {
            for &o in order {
                let mut other = finals[o].clone();
                docs[d].merge(&mut other).unwrap();
            }
        }
        let first = docs[0].record().unwrap();
        let conflicts = docs[0].conflicts();
        for d in &docs[1..] {
            prop_assert_eq!(&d.record().unwrap(), &first);
            prop_assert_eq!(&d.conflicts(), &conflicts);
        }
        // The merged history keeps every status change made on any device (entries have ids,
        // so concurrent changes are all kept, none overwritten).
        prop_assert_eq!(first.history.len(), 1 + moves);
        // And the merged record survives a save and a load on a new device.
        let bytes = docs[0].save();
        prop_assert_eq!(RecordDoc::load(&bytes, &Uuid::now_v7()).unwrap().record().unwrap(), first);
    }
}
