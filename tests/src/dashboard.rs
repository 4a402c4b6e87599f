//! The officers' side of the demo: reports of the synced records from the aggregation engine,
//! more field data for the dashboard, and dashboard users (`danvan-demo --serve`).

use anyhow::{Context, Result};
use danvan_core::model::common::Date;
use danvan_core::model::common::new_item_id;
use danvan_core::model::inspection::{Addressee, Recommendation};
use danvan_core::model::mediation::{MediationCategory, MediationSubtype};
use danvan_core::model::{DemocracyCheck, InspectionActivity, MediationCase};
use danvan_core::{Coded, Lang, RecordBody, RulesConfig};
use danvan_server::Role;
use danvan_server::aggregate::{Aggregator, PeriodsConfig, Report};

use crate::{COMMUNE_HOA_BINH, Device, TestServer, VILLAGE_HOA_BINH_2, day, mediation_case};

/// The period the demo's records fall in.
pub const DEMO_PERIOD: &str = "2025-09";

/// A dashboard login created by the demo.
#[derive(Debug, Clone)]
pub struct Login {
    /// Username.
    pub username: String,
    /// Password.
    pub password: String,
    /// Role.
    pub role: Role,
    /// Unit code.
    pub unit: String,
}

/// The aggregation engine over the server's storage.
pub fn aggregator(server: &TestServer) -> Aggregator {
    Aggregator::new(
        server.storage.clone(),
        server.units.clone(),
        PeriodsConfig::default(),
        RulesConfig::default(),
    )
}

/// Report of `unit` for the demo period.
pub fn report(server: &TestServer, unit: &str) -> Result<Report> {
    let agg = aggregator(server);
    let period = agg.periods().period(DEMO_PERIOD).context("demo period")?;
    Ok(server.block_on(agg.report(unit, &period))?)
}

/// Print a report's headline mediation figures, and its rows with any record.
pub fn print_report(r: &Report, lang: Lang, rows: bool) {
    let t = |vi: &'static str, en: &'static str| if lang == Lang::En { en } else { vi };
    let m = &r.totals.mediation;
    println!(
        "  {} · {} ({} {})",
        r.unit.name,
        r.period.label(lang),
        t("số liệu đến", "as of"),
        r.as_of.format("%d/%m/%Y")
    );
    println!(
        "    {}: {} {} · {} {} · {} {} · {} {} · {} {}",
        t("Hòa giải", "Mediation"),
        m.received,
        t("tiếp nhận", "received"),
        m.carried_over,
        t("kỳ trước chuyển sang", "carried over"),
        m.successful,
        t("thành", "successful"),
        m.unsuccessful,
        t("không thành", "unsuccessful"),
        m.in_progress,
        t("đang giải quyết", "in progress")
    );
    for c in m.by_category.iter().filter(|c| c.received > 0) {
        let label =
            MediationCategory::from_code(&c.code).map_or(c.code.as_str(), |x| x.label().get(lang));
        println!("      {label}: {}", c.received);
    }
    println!(
        "    {}: {} · {}: {}",
        t(
            "Thanh tra nhân dân (cuộc)",
            "People's inspection (activities)"
        ),
        r.totals.inspection.activities,
        t("Kiểm tra dân chủ (cuộc)", "Democracy checks"),
        r.totals.democracy.checks
    );
    let p = &r.totals.petitions;
    let d = &r.totals.dialogues;
    println!(
        "    {}: {} {} · {} {} · {} {} · {} {} · {} {}",
        t("Đơn thư", "Petitions"),
        p.received,
        t("tiếp nhận", "received"),
        p.accepted,
        t("thụ lý", "accepted"),
        p.resolved,
        t("đã giải quyết", "resolved"),
        p.forwarded,
        t("chuyển đơn", "forwarded"),
        p.in_progress,
        t("đang xử lý", "in progress"),
    );
    println!(
        "    {}: {} · {}: {} · {}: {} ({} {})",
        t("Đối thoại trực tiếp", "Direct dialogues"),
        d.held,
        t("ý kiến", "issues"),
        d.issues,
        t("cam kết", "commitments"),
        d.commitments,
        d.kept_on_time,
        t("thực hiện đúng hạn", "kept on time"),
    );
    if rows {
        for row in &r.children {
            let m = &row.indicators.mediation;
            if m.received + m.carried_over + m.in_progress > 0 {
                println!(
                    "    · {}: {} {}, {} {}",
                    row.unit.name,
                    m.received,
                    t("tiếp nhận", "received"),
                    m.successful,
                    t("thành", "successful")
                );
            }
        }
    }
}

/// More field work for the dashboard: cases in a second commune, a democracy check.
pub fn more_field_work(mai: &mut Device, thu: &mut Device) -> Result<()> {
    let village = mai.unit.clone();
    let commune = village.split('-').next().unwrap_or("").to_string();
    for (i, (summary, cat, sub)) in [
        (
            "Tranh chấp tiền điện dùng chung",
            MediationCategory::Civil,
            MediationSubtype::WaterElectricity,
        ),
        (
            "Xô xát giữa hai nhóm thanh niên",
            MediationCategory::MinorViolation,
            MediationSubtype::Scuffle,
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let mut body = mediation_case(&village, &commune);
        if let RecordBody::Mediation(m) = &mut body {
            m.summary = summary.into();
            m.category = cat;
            m.subtype = sub;
            m.logbook_no = Some(i as u32 + 1);
            m.received_on = day(9, 8 + i as u32);
            m.assigned_on = Some(day(9, 8 + i as u32));
        }
        let r = mai.create(body, day(9, 8 + i as u32))?;
        if i == 0 {
            // Mediated successfully on 15 September.
            let by = mai.id().to_string();
            mai.store.update(r.id(), |r| {
                let on = day(9, 15);
                if let RecordBody::Mediation(m) = &mut r.body {
                    m.started_on = Some(on);
                }
                r.transition("mediating", on, &by, None)?;
                if let RecordBody::Mediation(m) = &mut r.body {
                    let ok = MediationCase::example_successful();
                    m.sessions = ok.sessions;
                    for s in &mut m.sessions {
                        s.held_on = on;
                    }
                    m.agreement = ok.agreement.map(|mut a| {
                        a.settlement_on = Some(on);
                        a.due_on = Some(day(9, 30));
                        a
                    });
                }
                r.transition("successful", on, &by, None)?;
                if let RecordBody::Mediation(m) = &mut r.body {
                    m.closed_on = Some(on);
                }
                Ok(())
            })?;
        }
    }
    mai.sync()?;
    let mut check = DemocracyCheck::example();
    check.commune = COMMUNE_HOA_BINH.into();
    thu.create(RecordBody::Democracy(check), day(9, 12))?;
    thu.sync()?;
    Ok(())
}

/// The commune whose inspection board is waiting for an answer in the demo.
pub const COMMUNE_THUY_NGUYEN: &str = "11560";

/// An overdue recommendation for the city officer's attention list (issue 16): the people's
/// inspection board of Phường Thủy Nguyên starts supervising a village road on 1 September
/// 2025 and sends the commune chair a recommendation on 5 September, answer due 15
/// September; no answer comes. Returns the record's id.
pub fn overdue_recommendation(server: &TestServer) -> Result<String> {
    let mut board = server.enroll("Ngô Văn Kiểm", Role::Inspector, COMMUNE_THUY_NGUYEN)?;
    let mut a = InspectionActivity::example();
    a.board = format!("{COMMUNE_THUY_NGUYEN}-TTND");
    a.start_on = day(9, 1);
    a.recommendations.push(Recommendation {
        id: new_item_id(),
        addressee: Addressee::CommuneChair,
        addressee_name: None,
        content: "Đề nghị công khai dự toán bê tông hóa đường tổ dân phố".into(),
        sent_on: Some(day(9, 5)),
        document_no: Some("03/KN-TTND".into()),
        response_due_on: Some(day(9, 15)),
    });
    let r = board.create(RecordBody::Inspection(a), day(9, 1))?;
    let p = board.sync()?;
    anyhow::ensure!(
        p.rejected == 0 && p.accepted == 1,
        "the inspection activity was not accepted: {p:?}"
    );
    Ok(r.id().to_string())
}

/// A past period the new Phường Hòa Bình reports through its predecessors.
pub const PREDECESSOR_PERIOD: &str = "2025-H1";

/// A historical entry: the team leader of a Hòa Bình village records a case of March 2025 under
/// old Phường Hoà Bình (11527), which merged whole into the new Phường Hòa Bình on 1 July 2025.
/// The server checks her scope through the successor mapping; the new commune's officer then
/// sees it in her 2025-H1 report, in old 11527's row. Returns the record's id.
pub fn historical_case(server: &TestServer) -> Result<String> {
    let mut leader = server.enroll("Đỗ Thị Lan", Role::TeamLeader, VILLAGE_HOA_BINH_2)?;
    let on = Date::ymd(2025, 3, 3).context("date")?;
    let mut body = mediation_case(OLD_HOA_BINH, OLD_HOA_BINH);
    if let RecordBody::Mediation(m) = &mut body {
        m.summary = "Tranh chấp ranh giới đất vườn (nhập bổ sung từ sổ cũ)".into();
        m.received_on = on;
        m.assigned_on = Some(on);
    }
    let unit_on = Date::ymd(2025, 3, 3).context("date")?;
    let r = leader
        .store
        .create_historical(body, OLD_HOA_BINH, unit_on, on)?;
    // Mediated successfully on 20 March 2025: a closed case of the first half, so it changes
    // no later (locked) period.
    let by = leader.id().to_string();
    let done = Date::ymd(2025, 3, 20).context("date")?;
    leader.store.update(r.id(), |r| {
        if let RecordBody::Mediation(m) = &mut r.body {
            m.started_on = Some(done);
        }
        r.transition("mediating", done, &by, None)?;
        if let RecordBody::Mediation(m) = &mut r.body {
            let ok = MediationCase::example_successful();
            m.sessions = ok.sessions;
            for s in &mut m.sessions {
                s.held_on = done;
            }
            m.agreement = ok.agreement.map(|mut a| {
                a.settlement_on = Some(done);
                a.due_on = Some(done.plus_days(20));
                a
            });
        }
        r.transition("successful", done, &by, None)?;
        Ok(())
    })?;
    let p = leader.sync()?;
    anyhow::ensure!(
        p.rejected == 0 && p.accepted == 1,
        "the historical entry was not accepted: {p:?}"
    );
    Ok(r.id().to_string())
}

/// Old Phường Hoà Bình (until 2025-06-30), merged whole into the new Phường Hòa Bình.
pub const OLD_HOA_BINH: &str = "11527";

/// The period Hòa Bình has locked in the demo, with a change after the lock.
pub const LOCKED_PERIOD: &str = "2025-Q3";

/// "What was submitted": Hòa Bình locks the third quarter of 2025 (its September cases), then a
/// mediator of its second village records a case received on 26 September and syncs it — a late
/// amendment, shown against the locked figures on `/dashboard/submitted`.
pub fn lock_then_late_case(server: &TestServer) -> Result<()> {
    let agg = aggregator(server);
    let period = agg
        .periods()
        .period(LOCKED_PERIOD)
        .context("locked period")?;
    server.block_on(agg.lock_period(COMMUNE_HOA_BINH, &period, "thu.hoabinh"))?;
    let mut late = server.enroll("Vũ Thị Hạnh", Role::Mediator, VILLAGE_HOA_BINH_2)?;
    let mut body = mediation_case(VILLAGE_HOA_BINH_2, COMMUNE_HOA_BINH);
    if let RecordBody::Mediation(m) = &mut body {
        m.summary = "Tranh chấp lối đi chung (ghi nhận sau khi khóa kỳ)".into();
        m.received_on = day(9, 26);
        m.assigned_on = Some(day(9, 26));
    }
    late.create(body, day(9, 26))?;
    late.sync()?;
    Ok(())
}

/// Create a commune officer (Hòa Bình) and a city officer (Hải Phòng) for the dashboard.
pub fn create_users(server: &TestServer, password: Option<&str>) -> Result<Vec<Login>> {
    let tree = server.units.tree();
    let mut out = Vec::new();
    for (username, role, unit) in [
        ("thu.hoabinh", Role::CommuneOfficer, COMMUNE_HOA_BINH),
        ("bao.haiphong", Role::CityOfficer, "31"),
    ] {
        let password = password.map_or_else(random_password, str::to_string);
        server.block_on(danvan_server::users::add_user(
            server.storage.as_ref(),
            &tree,
            username,
            role,
            unit,
            &password,
        ))?;
        out.push(Login {
            username: username.into(),
            password,
            role,
            unit: unit.into(),
        });
    }
    Ok(out)
}

fn random_password() -> String {
    // 16 characters from an unambiguous alphabet.
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let id = uuid::Uuid::new_v4();
    id.as_bytes()
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect()
}

/// A reception day and a dialogue in Phường Hòa Bình (issue 10): the commune's citizen-reception
/// officer records three petitions received in September 2025 — a complaint accepted and
/// resolved in time, a complex denunciation accepted and extended (still open, so overdue by
/// now), a recommendation forwarded to the city — and the Party secretary's dialogue of
/// 15 September with one issue answered on the spot and one commitment, done on 25 September.
/// Returns the overdue petitions the officer's phone lists today.
pub fn reception_day(server: &TestServer) -> Result<Vec<String>> {
    use danvan_core::model::common::new_item_id;
    use danvan_core::model::dialogue::{
        Commitment, DialogueIssue, FollowUp, IssueAnswer, ParticipantCount, ParticipantGroup,
    };
    use danvan_core::model::petition::{
        CompetentBody, Complexity, Extension, NotAcceptedReason, PetitionOutcome, PetitionSubject,
        PetitionType, Resolution,
    };
    use danvan_core::model::{Dialogue, Petition};

    let mut officer = server.enroll("Phạm Thị Thu Hà", Role::ReceptionOfficer, COMMUNE_HOA_BINH)?;
    let by = officer.id().to_string();

    // A complaint about a compensation price, received 3 Sep, accepted 8 Sep, resolved 30 Sep
    // (due 8 Sep + 30 = 8 Oct).
    let mut complaint = Petition::example();
    complaint.received_on = day(9, 3);
    let c = officer.create(RecordBody::Petition(complaint), day(9, 3))?;
    officer.store.update(c.id(), |r| {
        r.transition("accepted", day(9, 8), &by, None)?;
        if let RecordBody::Petition(p) = &mut r.body {
            p.resolution = Some(Resolution {
                decided_on: day(9, 30),
                document_no: Some("112/QĐ-UBND".into()),
                outcome: PetitionOutcome::PartlyRight,
                content: Some("Điều chỉnh đơn giá bồi thường cây trồng".into()),
            });
        }
        r.transition("resolved", day(9, 30), &by, None)
    })?;

    // A denunciation of a land officer, received 10 Sep, accepted 17 Sep, extended 15 Oct:
    // still being verified.
    let mut den = Petition::example();
    den.petition_type = PetitionType::Denunciation;
    den.subject = PetitionSubject::OfficialsConduct;
    den.summary = "Tố cáo cán bộ địa chính nhận tiền khi làm thủ tục cấp giấy chứng nhận".into();
    den.complexity = Complexity::Complex;
    den.received_on = day(9, 10);
    let d = officer.create(RecordBody::Petition(den), day(9, 10))?;
    officer.store.update(d.id(), |r| {
        r.transition("accepted", day(9, 17), &by, None)?;
        r.transition("verifying", day(9, 22), &by, None)?;
        if let RecordBody::Petition(p) = &mut r.body {
            p.extensions.push(Extension {
                id: new_item_id(),
                decided_on: day(10, 15),
                days: None,
                reason: "Phải xác minh tại nhiều nơi".into(),
                document_no: Some("15/QĐ-UBND".into()),
            });
        }
        Ok(())
    })?;

    // A recommendation on a factory's waste water: the city's environment department decides.
    let mut rec = Petition::example();
    rec.petition_type = PetitionType::Recommendation;
    rec.subject = PetitionSubject::Environment;
    rec.summary = "Kiến nghị xử lý nước thải xưởng chế biến gỗ".into();
    rec.received_on = day(9, 12);
    rec.competent_body = CompetentBody::City;
    let f = officer.create(RecordBody::Petition(rec), day(9, 12))?;
    officer.store.update(f.id(), |r| {
        if let RecordBody::Petition(p) = &mut r.body {
            p.not_accepted_reason = Some(NotAcceptedReason::NotCompetent);
            p.handling_note = Some("Chuyển Sở Nông nghiệp và Môi trường".into());
        }
        r.transition("forwarded", day(9, 16), &by, None)
    })?;

    // The Party secretary's dialogue of 15 September.
    let mut dl = Dialogue::example();
    dl.held_on = day(9, 15);
    let g = officer.create(RecordBody::Dialogue(dl), day(9, 1))?;
    officer.store.update(g.id(), |r| {
        r.transition("held", day(9, 15), &by, None)?;
        if let RecordBody::Dialogue(dl) = &mut r.body {
            dl.participants = vec![ParticipantCount {
                id: new_item_id(),
                group: ParticipantGroup::Citizens,
                count: 86,
            }];
            let lights = new_item_id();
            dl.issues = vec![
                DialogueIssue {
                    id: new_item_id(),
                    content: "Tiến độ chi trả tiền bồi thường".into(),
                    subject: PetitionSubject::Compensation,
                    answer: IssueAnswer::OnTheSpot,
                    answer_text: Some("Chi trả xong trong tháng 9".into()),
                    commitment: None,
                },
                DialogueIssue {
                    id: lights.clone(),
                    content: "Đèn chiếu sáng đường đê".into(),
                    subject: PetitionSubject::Construction,
                    answer: IssueAnswer::Commitment,
                    answer_text: None,
                    commitment: Some(Commitment {
                        responsible: "Phó Chủ tịch UBND phường".into(),
                        action: "Lắp 20 bóng đèn đường đê".into(),
                        due_on: day(9, 30),
                    }),
                },
            ];
            dl.follow_ups = vec![FollowUp {
                id: new_item_id(),
                issue_id: lights,
                on: day(9, 25),
                note: "Đã lắp xong".into(),
                done: true,
            }];
        }
        r.transition("closed", day(9, 25), &by, None)
    })?;
    let p = officer.sync()?;
    anyhow::ensure!(
        p.rejected == 0 && p.accepted == 4,
        "the reception day was not accepted: {p:?}"
    );
    let cfg = RulesConfig::default();
    let today = Date::today_vn();
    let mut overdue = Vec::new();
    for id in [c.id(), d.id(), f.id()] {
        let r = officer.store.get(id)?;
        for o in r.overdue(&cfg, today) {
            overdue.push(format!(
                "{} — {} ({} ngày / days)",
                r.body.index().summary,
                o.vi,
                o.days_late
            ));
        }
    }
    Ok(overdue)
}
