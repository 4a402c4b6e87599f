//! Citizens' petitions and leaders' dialogues (issue 10): figures computed by hand from a fixed
//! dataset of real records (their fact rows come from the core's rules: deadlines, extensions,
//! commitments), on SQLite and PostgreSQL; and a denunciator's identity, which reaches no one
//! outside the handling roles of the commune (pages, API, exports).
//!
//! Deadlines (default configuration, holidays of 2026; docs/legal-sources.md):
//!
//! | id | commune | type | received | handling | deadlines |
//! |---|---|---|---|---|---|
//! | P1 | Hòa Bình | complaint | Mon 2 Mar 2026 | accepted 11 Mar, resolved 2 Apr (partly right) | resolve by 11 Mar + 30 = Fri 10 Apr: on time |
//! | P2 | Hòa Bình | denunciation, complex | Mon 2 Mar | accepted 10 Mar, extended 8 Apr, resolved 5 May (partly true) | 10 Mar + 30 = 9 Apr; extension from 9 Apr + 30 = Sat 9 May → Mon 11 May: on time |
//! | P3 | Thủy Nguyên | complaint | Mon 16 Mar | never accepted | accept by 16 Mar + 10 = Thu 26 Mar: overdue from 27 Mar |
//! | P4 | Thủy Nguyên | recommendation | Fri 20 Mar | forwarded 25 Mar (not competent) | – |
//! | P5 | Thủy Nguyên | complaint | Mon 5 Jan | accepted 12 Jan, resolved 20 Mar (wrong) | 12 Jan + 30 = Wed 11 Feb: late |
//! | P6 | Hòa Bình | reflection | Fri 10 Apr | withdrawn 15 Apr | – |
//!
//! | id | commune | kind | held | issues | commitment |
//! |---|---|---|---|---|---|
//! | D1 | Hòa Bình | periodic dialogue, Party secretary | 15 Apr 2026 | 2 (1 on the spot), 135 people | due 30 Apr, done 10 May: kept late |
//! | D2 | Thủy Nguyên | chairman's reception day | 20 Mar 2026 | 3 (2 on the spot), 12 people | due 15 Apr, not done: overdue from 16 Apr |

use std::sync::Arc;

use axum::http::StatusCode;
use danvan_core::facts::Fact;
use danvan_core::model::common::{Date, new_item_id};
use danvan_core::model::dialogue::{
    ChairRole, Commitment, Dialogue, DialogueIssue, DialogueType, FollowUp, IssueAnswer,
    ParticipantCount, ParticipantGroup,
};
use danvan_core::model::petition::{
    CompetentBody, Complexity, Extension, NotAcceptedReason, Petition, PetitionOutcome,
    PetitionSubject, PetitionType, Petitioner, Resolution,
};
use danvan_core::{Record, RecordBody, RulesConfig};
use danvan_server::aggregate::{
    Aggregator, DialogueIndicators, PeriodsConfig, PetitionIndicators, Report,
};
use danvan_server::roles::Role;
use danvan_server::state::AppState;
use danvan_server::{ServerConfig, Storage, app};

use crate::dash::Client;
use crate::support::{both_backends, haiphong};

const HOA_BINH: &str = "11533";
const THUY_NGUYEN: &str = "11560";
const DENUNCIATOR: &str = "Lương Thị Bí Mật";
const DENUNCIATOR_ID: &str = "031099000777";

fn day(s: &str) -> Date {
    Date(s.parse().expect("date"))
}

/// A record under `unit`, moved through `steps` (status, day), read on its main day.
fn record(unit: &str, main: &str, body: RecordBody, steps: &[(&str, &str)]) -> Record {
    let mut r = Record::new(unit, "reception", day(main), body);
    r.envelope.unit_on = Some(day(main));
    for (to, on) in steps {
        r.transition(to, day(on), "officer", None)
            .unwrap_or_else(|e| panic!("{to} on {on}: {e}"));
    }
    assert_eq!(r.validate(&RulesConfig::default()), vec![], "{:?}", r.body);
    r
}

fn petition(t: PetitionType, subject: PetitionSubject, received: &str) -> Petition {
    let mut p = Petition::example();
    p.petition_type = t;
    p.subject = subject;
    p.received_on = day(received);
    p
}

fn resolution(on: &str, outcome: PetitionOutcome) -> Option<Resolution> {
    Some(Resolution {
        decided_on: day(on),
        document_no: Some("01/QĐ-UBND".into()),
        outcome,
        content: None,
    })
}

fn petitions() -> Vec<Record> {
    let mut p1 = petition(
        PetitionType::Complaint,
        PetitionSubject::Compensation,
        "2026-03-02",
    );
    p1.resolution = resolution("2026-04-02", PetitionOutcome::PartlyRight);
    let p1 = record(
        HOA_BINH,
        "2026-03-02",
        RecordBody::Petition(p1),
        &[("accepted", "2026-03-11"), ("resolved", "2026-04-02")],
    );

    let mut p2 = petition(
        PetitionType::Denunciation,
        PetitionSubject::OfficialsConduct,
        "2026-03-02",
    );
    p2.complexity = Complexity::Complex;
    p2.petitioners = vec![Petitioner {
        id: new_item_id(),
        name: DENUNCIATOR.into(),
        address: Some("Tổ dân phố 3, phường Hòa Bình".into()),
        id_number: Some(DENUNCIATOR_ID.into()),
        contact: None,
        representative: false,
    }];
    p2.extensions.push(Extension {
        id: new_item_id(),
        decided_on: day("2026-04-08"),
        days: None,
        reason: "Phải xác minh tại nhiều nơi".into(),
        document_no: None,
    });
    p2.resolution = resolution("2026-05-05", PetitionOutcome::PartlyTrue);
    let p2 = record(
        HOA_BINH,
        "2026-03-02",
        RecordBody::Petition(p2),
        &[("accepted", "2026-03-10"), ("resolved", "2026-05-05")],
    );

    let p3 = record(
        THUY_NGUYEN,
        "2026-03-16",
        RecordBody::Petition(petition(
            PetitionType::Complaint,
            PetitionSubject::Land,
            "2026-03-16",
        )),
        &[],
    );

    let mut p4 = petition(
        PetitionType::Recommendation,
        PetitionSubject::Environment,
        "2026-03-20",
    );
    p4.competent_body = CompetentBody::City;
    p4.not_accepted_reason = Some(NotAcceptedReason::NotCompetent);
    p4.handling_note = Some("Chuyển Sở Nông nghiệp và Môi trường".into());
    let p4 = record(
        THUY_NGUYEN,
        "2026-03-20",
        RecordBody::Petition(p4),
        &[("forwarded", "2026-03-25")],
    );

    let mut p5 = petition(PetitionType::Complaint, PetitionSubject::Land, "2026-01-05");
    p5.resolution = resolution("2026-03-20", PetitionOutcome::Wrong);
    let p5 = record(
        THUY_NGUYEN,
        "2026-01-05",
        RecordBody::Petition(p5),
        &[("accepted", "2026-01-12"), ("resolved", "2026-03-20")],
    );

    let p6 = record(
        HOA_BINH,
        "2026-04-10",
        RecordBody::Petition(petition(
            PetitionType::Reflection,
            PetitionSubject::Environment,
            "2026-04-10",
        )),
        &[("withdrawn", "2026-04-15")],
    );
    vec![p1, p2, p3, p4, p5, p6]
}

fn dialogue(
    t: DialogueType,
    chair: ChairRole,
    held: &str,
    people: u32,
    on_the_spot: usize,
    due: &str,
    done: Option<&str>,
) -> RecordBody {
    let mut d = Dialogue::example();
    d.dialogue_type = t;
    d.chair_role = chair;
    d.held_on = day(held);
    d.participants = vec![ParticipantCount {
        id: new_item_id(),
        group: ParticipantGroup::Citizens,
        count: people,
    }];
    for _ in 0..on_the_spot {
        d.issues.push(DialogueIssue {
            id: new_item_id(),
            content: "Tiến độ làm đường".into(),
            subject: PetitionSubject::Construction,
            answer: IssueAnswer::OnTheSpot,
            answer_text: Some("Xong trong tháng".into()),
            commitment: None,
        });
    }
    let id = new_item_id();
    d.issues.push(DialogueIssue {
        id: id.clone(),
        content: "Đèn đường đê".into(),
        subject: PetitionSubject::Construction,
        answer: IssueAnswer::Commitment,
        answer_text: None,
        commitment: Some(Commitment {
            responsible: "UBND xã".into(),
            action: "Lắp đèn".into(),
            due_on: day(due),
        }),
    });
    if let Some(done) = done {
        d.follow_ups.push(FollowUp {
            id: new_item_id(),
            issue_id: id,
            on: day(done),
            note: "Đã lắp".into(),
            done: true,
        });
    }
    RecordBody::Dialogue(d)
}

fn dialogues() -> Vec<Record> {
    let d1 = dialogue(
        DialogueType::Periodic,
        ChairRole::PartySecretary,
        "2026-04-15",
        135,
        1,
        "2026-04-30",
        Some("2026-05-10"),
    );
    let d2 = dialogue(
        DialogueType::ReceptionDay,
        ChairRole::CommuneChairman,
        "2026-03-20",
        12,
        2,
        "2026-04-15",
        None,
    );
    vec![
        record(HOA_BINH, "2026-04-15", d1, &[("held", "2026-04-15")]),
        record(THUY_NGUYEN, "2026-03-20", d2, &[("held", "2026-03-20")]),
    ]
}

async fn setup(storage: Arc<dyn Storage>) -> Aggregator {
    let units = haiphong(storage.as_ref()).await;
    let cfg = RulesConfig::default();
    let facts: Vec<Fact> = petitions()
        .iter()
        .chain(dialogues().iter())
        .map(|r| Fact::from_record(r, &cfg))
        .collect();
    storage.insert_facts(&facts).await.unwrap();
    Aggregator::new(storage, units, PeriodsConfig::default(), cfg)
}

/// (received, carried, total, accepted, resolved, on time, forwarded, not accepted, withdrawn,
/// in progress, overdue, extended)
fn p12(p: &PetitionIndicators) -> [u64; 12] {
    [
        p.received,
        p.carried_over,
        p.total,
        p.accepted,
        p.resolved,
        p.resolved_on_time,
        p.forwarded,
        p.not_accepted,
        p.withdrawn,
        p.in_progress,
        p.overdue,
        p.extended,
    ]
}

/// (held, by head, reception days, participants, issues, on the spot, commitments, kept on
/// time, kept late, overdue)
fn d10(d: &DialogueIndicators) -> [u64; 10] {
    [
        d.held,
        d.chaired_by_head,
        d.reception_days,
        d.participants,
        d.issues,
        d.answered_on_the_spot,
        d.commitments,
        d.kept_on_time,
        d.kept_late,
        d.commitments_overdue,
    ]
}

fn balances(p: &PetitionIndicators) {
    assert_eq!(p.total, p.received + p.carried_over, "{p:?}");
    assert_eq!(
        p.total,
        p.resolved + p.forwarded + p.not_accepted + p.withdrawn + p.in_progress,
        "{p:?}"
    );
}

fn row<'r>(r: &'r Report, code: &str) -> &'r danvan_server::aggregate::Indicators {
    &r.children
        .iter()
        .find(|c| c.unit.code == code)
        .unwrap_or_else(|| panic!("no row {code}"))
        .indicators
}

async fn quarter_one_2026(storage: Arc<dyn Storage>) {
    let agg = setup(storage).await;
    let p = agg.periods().period("2026-Q1").unwrap();
    let r = agg.report("31", &p).await.unwrap();
    // Cut-off 31 Mar. Received: P1, P2, P3, P4, P5 (P6 is April) = 5, none carried.
    // Accepted in the quarter: P1 (11 Mar), P2 (10 Mar), P5 (12 Jan) = 3.
    // Resolved: P5 (20 Mar), late (due 11 Feb) → on time 0. Forwarded: P4.
    // In progress at the cut-off: P1, P2 (accepted), P3 (received) = 3; overdue: P3 (accept by
    // 26 Mar < 31 Mar) = 1. No extension yet (P2's is 8 Apr). 5 = 1 + 1 + 0 + 0 + 3.
    assert_eq!(
        p12(&r.totals.petitions),
        [5, 0, 5, 3, 1, 0, 1, 0, 0, 3, 1, 0]
    );
    balances(&r.totals.petitions);
    // Hòa Bình: P1, P2 received and accepted, in progress. Thủy Nguyên: P3, P4, P5.
    assert_eq!(
        p12(&row(&r, HOA_BINH).petitions),
        [2, 0, 2, 2, 0, 0, 0, 0, 0, 2, 0, 0]
    );
    assert_eq!(
        p12(&row(&r, THUY_NGUYEN).petitions),
        [3, 0, 3, 1, 1, 0, 1, 0, 0, 1, 1, 0]
    );
    // By type: complaints P1, P3, P5; denunciation P2; recommendation P4.
    let types: Vec<_> = r
        .totals
        .petitions
        .by_type
        .iter()
        .map(|c| (c.code.as_str(), c.count))
        .collect();
    assert_eq!(
        types,
        [("complaint", 3), ("denunciation", 1), ("recommendation", 1)]
    );
    // Dialogues: D2 (a reception day, 20 Mar) with 12 people, 3 issues, 2 on the spot, one
    // commitment due 15 Apr — not overdue on 31 Mar. D1 is in April.
    assert_eq!(d10(&r.totals.dialogues), [0, 0, 1, 12, 3, 2, 1, 0, 0, 0]);
}

async fn quarter_two_2026(storage: Arc<dyn Storage>) {
    let agg = setup(storage).await;
    let p = agg.periods().period("2026-Q2").unwrap();
    let r = agg.report("31", &p).await.unwrap();
    // Cut-off 30 Jun. Carried over (open on 31 Mar): P1, P2, P3 = 3. Received: P6 = 1.
    // Resolved: P1 (2 Apr ≤ 10 Apr), P2 (5 May ≤ 11 May with the extension of 8 Apr) = 2, both
    // on time. Withdrawn: P6. In progress: P3, overdue. Extensions: P2's = 1. P4 and P5 closed
    // in Q1: not in Q2. 4 = 2 + 0 + 0 + 1 + 1.
    assert_eq!(
        p12(&r.totals.petitions),
        [1, 3, 4, 0, 2, 2, 0, 0, 1, 1, 1, 1]
    );
    assert_eq!(r.totals.petitions.resolved_on_time_rate, Some(1.0));
    balances(&r.totals.petitions);
    // Dialogues: D1 held 15 Apr by the Party secretary (135 people, 2 issues, 1 on the spot,
    // 1 commitment due 30 Apr done 10 May: kept late); D2's commitment due 15 Apr is not done
    // on 30 Jun: overdue.
    assert_eq!(d10(&r.totals.dialogues), [1, 1, 0, 135, 2, 1, 1, 0, 1, 1]);
    assert_eq!(r.totals.dialogues.communes_holding, 1);
    // The trend: Q1 is the previous quarter.
    let prev = r.previous.as_ref().expect("previous period");
    assert_eq!(prev.petitions.received, 5);
}

async fn first_half_2026(storage: Arc<dyn Storage>) {
    let agg = setup(storage).await;
    let p = agg.periods().period("2026-H1").unwrap();
    let r = agg.report("31", &p).await.unwrap();
    // Cut-off 31 May. Received: all six. Accepted: P1, P2, P5 = 3. Resolved: P1, P2 (on time),
    // P5 (late) = 3; on time 2 → rate 2/3. Forwarded P4, withdrawn P6, in progress P3 (overdue).
    // Extension: P2's (8 Apr). 6 = 3 + 1 + 0 + 1 + 1.
    assert_eq!(
        p12(&r.totals.petitions),
        [6, 0, 6, 3, 3, 2, 1, 0, 1, 1, 1, 1]
    );
    let rate = r.totals.petitions.resolved_on_time_rate.unwrap();
    assert!((rate - 2.0 / 3.0).abs() < 1e-9, "{rate}");
    balances(&r.totals.petitions);
    // Outcomes of the three resolved: partly right (P1), partly true (P2), wrong (P5).
    let outcomes: Vec<_> = r
        .totals
        .petitions
        .by_outcome
        .iter()
        .map(|c| (c.code.as_str(), c.count))
        .collect();
    assert_eq!(
        outcomes,
        [("partly_right", 1), ("partly_true", 1), ("wrong", 1)]
    );
    // Dialogues: D1 and D2 held (one a reception day): 147 people, 5 issues, 3 on the spot,
    // 2 commitments; D1's kept late (10 May); D2's overdue on 31 May.
    assert_eq!(d10(&r.totals.dialogues), [1, 1, 1, 147, 5, 3, 2, 0, 1, 1]);
}

async fn missing_dialogues_show_in_completeness(storage: Arc<dyn Storage>) {
    let agg = setup(storage).await;
    let p = agg.periods().period("2026").unwrap();
    let c = agg.completeness("31", &p).await.unwrap();
    // Once a year by default (Law on Local Government 2025 art. 43): the year expects one per
    // commune. Hòa Bình held D1 (chaired by the Party secretary); Thủy Nguyên held only a
    // reception day, which is not a dialogue: every commune but Hòa Bình misses it.
    let hb = c.rows.iter().find(|r| r.unit.code == HOA_BINH).unwrap();
    let tn = c.rows.iter().find(|r| r.unit.code == THUY_NGUYEN).unwrap();
    assert_eq!((hb.dialogues_held, hb.dialogues_expected), (1, 1));
    assert_eq!((tn.dialogues_held, tn.dialogues_expected), (0, 1));
    assert_eq!(c.dialogues_missing, c.expected - 1);
    assert_eq!(hb.petition_records, 3);
    assert_eq!(tn.dialogue_records, 1);
    // Reception days: two a month each for the secretary and the chairman = 48 in the year;
    // Thủy Nguyên recorded one (D2), Hòa Bình none: every commune is short.
    assert_eq!(
        (tn.reception_days_held, tn.reception_days_expected),
        (1, 48)
    );
    assert_eq!(
        (hb.reception_days_held, hb.reception_days_expected),
        (0, 48)
    );
    assert_eq!(c.reception_days_missing, c.expected);
    // A half-year expects none (0.5 rounds to… 181/365 = 0.496 → 0).
    let h1 = agg.periods().period("2026-H1").unwrap();
    let c = agg.completeness("31", &h1).await.unwrap();
    assert_eq!(c.dialogues_missing, 0);
}

const CITY_USER: (&str, &str) = ("lan.city", "mật khẩu thành phố 31");
const HB_USER: (&str, &str) = ("hoa.hoabinh", "mật khẩu phường Hòa Bình");
const TN_USER: (&str, &str) = ("tuan.thuynguyen", "mật khẩu phường Thủy Nguyên");

async fn a_denunciators_identity_stays_with_the_handling_roles(storage: Arc<dyn Storage>) {
    let units = haiphong(storage.as_ref()).await;
    let tree = units.tree();
    for ((user, pw), role, unit) in [
        (CITY_USER, Role::CityOfficer, "31"),
        (HB_USER, Role::CommuneOfficer, HOA_BINH),
        (TN_USER, Role::CommuneOfficer, THUY_NGUYEN),
    ] {
        danvan_server::users::add_user(storage.as_ref(), &tree, user, role, unit, pw)
            .await
            .unwrap();
    }
    let all = petitions();
    let denunciation = &all[1];
    for r in &all {
        crate::dash::store(storage.as_ref(), r).await;
    }
    let id = denunciation.id().to_string();
    let router = app(AppState::new(storage, units, ServerConfig::default()));
    let secret = |body: &str| body.contains(DENUNCIATOR) || body.contains(DENUNCIATOR_ID);

    // Hòa Bình's commune officer handles the petition: the record page names the denunciator.
    let hb = Client::login(&router, HB_USER).await;
    let page = hb.get(&format!("/dashboard/records/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains(DENUNCIATOR));

    // Another commune's officer: refused, and the refusal names nobody.
    let tn = Client::login(&router, TN_USER).await;
    let page = tn.get(&format!("/dashboard/records/{id}")).await;
    assert!(page.status.is_client_error(), "{}", page.status);
    assert!(!secret(&page.text()));
    let list = tn.get(&format!("/api/v1/records?unit={HOA_BINH}")).await;
    assert!(list.status.is_client_error());

    // The city: no record page, no record list; its figures, pages and exports hold no name.
    let city = Client::login(&router, CITY_USER).await;
    let page = city.get(&format!("/dashboard/records/{id}")).await;
    assert!(page.status.is_client_error());
    assert!(!secret(&page.text()));
    for uri in [
        format!("/api/v1/records?unit={HOA_BINH}"),
        format!("/dashboard/records?unit={HOA_BINH}"),
    ] {
        let r = city.get(&uri).await;
        assert!(r.status.is_client_error(), "{uri}: {}", r.status);
        assert!(!secret(&r.text()), "{uri}");
    }
    for uri in [
        "/api/v1/aggregates?unit=31&period=2026-H1".to_string(),
        format!("/api/v1/aggregates?unit={HOA_BINH}&period=2026-H1"),
        "/dashboard?unit=31&period=2026-H1".to_string(),
        format!("/dashboard?unit={HOA_BINH}&period=2026-H1"),
        "/export/petitions.csv?unit=31&period=2026-H1".to_string(),
        format!("/export/petitions.csv?unit={HOA_BINH}&period=2026-H1"),
    ] {
        let r = city.get(&uri).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}");
        assert!(!secret(&r.text()), "{uri}");
    }
    // The city's figures do count it: Hòa Bình received 3 petitions in 2026-H1 (P1, P2, P6).
    let agg = city
        .get(&format!(
            "/api/v1/aggregates?unit={HOA_BINH}&period=2026-H1"
        ))
        .await
        .json();
    assert_eq!(agg["totals"]["petitions"]["received"], 3, "{agg}");
    // Hòa Bình's own dashboard page lists its overdue items; nothing of Hòa Bình is overdue
    // today (P1, P2 resolved; P6 withdrawn).
    let records = hb.get(&format!("/dashboard/records?unit={HOA_BINH}")).await;
    assert_eq!(records.status, StatusCode::OK);
    assert!(records.text().contains("id=\"overdue\""));
    // Thủy Nguyên's P3 was never accepted: overdue since 27 Mar 2026, on its officer's list.
    let records = tn
        .get(&format!("/dashboard/records?unit={THUY_NGUYEN}"))
        .await;
    let text = records.text();
    assert!(text.contains("id=\"overdue-list\""), "{text}");
    assert!(text.contains("2026-03-26"), "{text}");
}

/// A commune officer receives a petition on the dashboard and handles it through acceptance,
/// an extension and resolution; the server authors the changes under the officer's own actor
/// and writes them through the sync write path (rules, scope). Bad input writes nothing.
async fn a_commune_officer_enters_and_handles_a_petition_on_the_dashboard(
    storage: Arc<dyn Storage>,
) {
    use crate::dash::{enc, hidden};
    let units = haiphong(storage.as_ref()).await;
    let tree = units.tree();
    for ((user, pw), role, unit) in [
        (CITY_USER, Role::CityOfficer, "31"),
        (HB_USER, Role::CommuneOfficer, HOA_BINH),
    ] {
        danvan_server::users::add_user(storage.as_ref(), &tree, user, role, unit, pw)
            .await
            .unwrap();
    }
    let router = app(AppState::new(
        storage.clone(),
        units,
        ServerConfig::default(),
    ));
    let hb = Client::login(&router, HB_USER).await;
    let form = hb.get("/dashboard/petitions/new").await;
    assert_eq!(form.status, StatusCode::OK);
    let csrf = hidden(&form.text(), "csrf");
    let fields = |summary: &str| {
        format!(
            "csrf={}&received_on=2026-03-02&book_no=7&channel=in_person&forwarded_by=&petition_type=denunciation&subject=officials_conduct&summary={}&petitioner_name={}&petitioner_address=&petitioner_id_number={DENUNCIATOR_ID}&petitioner_contact=&group_size=&competent_body=commune_chairman&competent_body_name=&complexity=complex",
            enc(&csrf),
            enc(summary),
            enc(DENUNCIATOR),
        )
    };
    let none_yet = |s: Arc<dyn Storage>| async move {
        assert!(
            s.records_under(&[HOA_BINH.to_string()], 10)
                .await
                .unwrap()
                .is_empty()
        );
    };
    // A NUL in the summary: 400, nothing written.
    let bad = hb
        .post_form("/dashboard/petitions", &fields("Tố cáo\u{0}"))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    none_yet(storage.clone()).await;
    // Without a petitioner a denunciation breaks a rule: shown on the form, nothing written.
    let no_name = fields("Tố cáo cán bộ địa chính").replace(&enc(DENUNCIATOR), "");
    let r = hb.post_form("/dashboard/petitions", &no_name).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text().contains("Chưa nhập người gửi đơn"), "{}", r.text());
    none_yet(storage.clone()).await;
    // The city may not enter a commune's petition.
    let city = Client::login(&router, CITY_USER).await;
    let city_csrf = hidden(&city.get("/dashboard?unit=31").await.text(), "csrf");
    let r = city
        .post_form(
            "/dashboard/petitions",
            &fields("x").replace(&enc(&csrf), &enc(&city_csrf)),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    none_yet(storage.clone()).await;

    let r = hb
        .post_form("/dashboard/petitions", &fields("Tố cáo cán bộ địa chính"))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let page_uri = r.location();
    let id = page_uri
        .trim_start_matches("/dashboard/records/")
        .to_string();
    let uri = format!("/dashboard/records/{id}/petition");
    let step = |action: &str, on: &str, reason: &str, outcome: &str| {
        format!(
            "csrf={}&action={action}&on={on}&note=&document_no=&days=&reason={}&outcome={outcome}",
            enc(&csrf),
            enc(reason)
        )
    };
    // Accepted 10 Mar, extended 8 Apr (the reason is required), resolved 5 May.
    let r = hb
        .post_form(&uri, &step("accepted", "2026-03-10", "", ""))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let r = hb
        .post_form(&uri, &step("extend", "2026-04-08", "", ""))
        .await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "an extension needs its reason"
    );
    let r = hb
        .post_form(
            &uri,
            &step("extend", "2026-04-08", "xác minh nhiều nơi", ""),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let r = hb
        .post_form(&uri, &step("resolved", "2026-05-05", "", "partly_true"))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let html = hb.get(&page_uri).await.text();
    assert!(html.contains("Đã giải quyết"), "{html}");
    assert!(html.contains(DENUNCIATOR));

    // Its figures: H1 2026 (cut-off 31 May): received 1, accepted 1, resolved on time (5 May ≤
    // 11 May with the extension), extended 1.
    let agg = hb
        .get(&format!(
            "/api/v1/aggregates?unit={HOA_BINH}&period=2026-H1"
        ))
        .await
        .json();
    let p = &agg["totals"]["petitions"];
    let got: Vec<u64> = [
        "received",
        "accepted",
        "resolved",
        "resolved_on_time",
        "extended",
    ]
    .iter()
    .map(|k| p[*k].as_u64().unwrap_or(99))
    .collect();
    assert_eq!(got, [1, 1, 1, 1, 1], "{agg}");
}

both_backends!(
    a_commune_officer_enters_and_handles_a_petition_on_the_dashboard,
    quarter_one_2026,
    quarter_two_2026,
    first_half_2026,
    missing_dialogues_show_in_completeness,
    a_denunciators_identity_stays_with_the_handling_roles,
);
