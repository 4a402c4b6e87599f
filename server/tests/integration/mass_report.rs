//! The mass-mobilisation report (Kết luận 114-KL/TW): a fixed dataset of petitions, dialogues,
//! one mediation case and one "Dân vận khéo" model in two communes over 2025-H2 and 2026-H1;
//! the city's H1 report as .docx (read back), .xlsx (same numbers) and JSON, with hand-computed
//! figures, balances, trend, recipients and signature; edits through the form; scope — on
//! SQLite and, when `DANVAN_TEST_DATABASE_URL` is set, on PostgreSQL.

use std::collections::HashMap;
use std::io::Cursor;
use std::sync::Arc;

use axum::Router;
use axum::http::{StatusCode, header};
use calamine::{Data, Reader, Xlsx};
use chrono::{Datelike, Utc};
use danvan_core::RecordKind;
use danvan_core::facts::Fact;
use danvan_server::report::read_back;
use danvan_server::roles::Role;
use danvan_server::state::AppState;
use danvan_server::storage::Storage;
use danvan_server::storage::dvk::DvkModelRow;
use danvan_server::{ServerConfig, app};
use uuid::Uuid;

use crate::dash::{CITY, COMMUNE, Client, HOA_BINH, OTHER_COMMUNE, THUY_NGUYEN, enc};
use crate::support::{both_backends, date, haiphong, test_fact};

both_backends!(city_half_year_report, scope_and_edits);

const HB: &str = HOA_BINH;
const TN: &str = THUY_NGUYEN;

fn dn(s: &str) -> f64 {
    f64::from(date(s).num_days_from_ce())
}

/// A petition: `(type, subject)`, received on `main`, its history, and measures.
fn petition(
    n: u128,
    unit: &str,
    main: &str,
    (ty, subject): (&str, &str),
    history: &[(&str, &str)],
    measures: &[(&str, f64)],
) -> Fact {
    let mut f = test_fact(
        0x114_0000 + n,
        RecordKind::Petition,
        unit,
        main,
        main,
        history,
    );
    f.category = Some(ty.into());
    f.subtype = Some(subject.into());
    f.measures = measures.iter().map(|(k, v)| ((*k).into(), *v)).collect();
    f
}

fn dialogue(
    n: u128,
    unit: &str,
    held: &str,
    ty: &str,
    measures: &[(&str, f64)],
    commitments: &[(&str, Option<&str>)],
) -> Fact {
    let mut f = test_fact(
        0x114_1000 + n,
        RecordKind::Dialogue,
        unit,
        held,
        held,
        &[("held", held)],
    );
    f.category = Some(ty.into());
    f.measures = measures.iter().map(|(k, v)| ((*k).into(), *v)).collect();
    for (due, done) in commitments {
        f.measures.push(("commitment_due_day".into(), dn(due)));
        f.measures
            .push(("commitment_done_day".into(), done.map_or(-1.0, dn)));
    }
    f
}

/// The dataset. H1 2026 = 1 Jan – 31 May (cut-off); H2 2025 = 1 Jul – 31 Dec 2025.
fn facts() -> Vec<Fact> {
    vec![
        // P1 HB complaint/land: received 2025-11-10, accepted 2025-11-15, resolved 2026-02-10
        // (due 2026-03-01). H2: received, accepted, in progress. H1: carried over, resolved
        // on time.
        petition(
            1,
            HB,
            "2025-11-10",
            ("complaint", "land"),
            &[
                ("received", "2025-11-10"),
                ("accepted", "2025-11-15"),
                ("resolved", "2026-02-10"),
            ],
            &[
                ("accept_due_day", dn("2025-11-20")),
                ("resolve_due_day", dn("2026-03-01")),
            ],
        ),
        // P2 HB denunciation/policy, a group petition: received 2026-02-01, accepted 02-05,
        // due 03-15, extended on 03-10 to 04-30, resolved 04-20: on time, one extension.
        petition(
            2,
            HB,
            "2026-02-01",
            ("denunciation", "policy"),
            &[
                ("received", "2026-02-01"),
                ("accepted", "2026-02-05"),
                ("resolved", "2026-04-20"),
            ],
            &[
                ("group", 1.0),
                ("accept_due_day", dn("2026-02-11")),
                ("resolve_due_day", dn("2026-03-15")),
                ("extension_day", dn("2026-03-10")),
                ("extended_due_day", dn("2026-04-30")),
            ],
        ),
        // P3 HB recommendation/policy: received 2026-03-01, never accepted (due 03-11):
        // in progress and overdue at the cut-off.
        petition(
            3,
            HB,
            "2026-03-01",
            ("recommendation", "policy"),
            &[("received", "2026-03-01")],
            &[("accept_due_day", dn("2026-03-11"))],
        ),
        // P4 TN reflection/land: received 2026-01-20, forwarded 01-25.
        petition(
            4,
            TN,
            "2026-01-20",
            ("reflection", "land"),
            &[("received", "2026-01-20"), ("forwarded", "2026-01-25")],
            &[("accept_due_day", dn("2026-01-30"))],
        ),
        // P5 TN complaint/compensation: received 2026-04-01, withdrawn 04-10.
        petition(
            5,
            TN,
            "2026-04-01",
            ("complaint", "compensation"),
            &[("received", "2026-04-01"), ("withdrawn", "2026-04-10")],
            &[("accept_due_day", dn("2026-04-11"))],
        ),
        // P6 TN complaint/land: received 2026-05-02, accepted 05-05, due 06-04: in progress,
        // not overdue on 31 May.
        petition(
            6,
            TN,
            "2026-05-02",
            ("complaint", "land"),
            &[("received", "2026-05-02"), ("accepted", "2026-05-05")],
            &[
                ("accept_due_day", dn("2026-05-12")),
                ("resolve_due_day", dn("2026-06-04")),
            ],
        ),
        // P7 TN complaint/land: received 2025-09-01, returned 09-05: H2 only (not accepted).
        petition(
            7,
            TN,
            "2025-09-01",
            ("complaint", "land"),
            &[("received", "2025-09-01"), ("returned", "2025-09-05")],
            &[("accept_due_day", dn("2025-09-11"))],
        ),
        // P8 TN received 2026-06-10, after H1's cut-off (31 May): in no H1 figure.
        petition(
            8,
            TN,
            "2026-06-10",
            ("complaint", "land"),
            &[("received", "2026-06-10")],
            &[("accept_due_day", dn("2026-06-20"))],
        ),
        // D1 HB periodic dialogue 2026-03-15 chaired by the head: 120 people, 10 issues, 6 on
        // the spot, 3 commitments: kept on time (04-10 ≤ 04-15), late (05-10 > 04-30), overdue
        // (due 05-15, not done by 31 May).
        dialogue(
            1,
            HB,
            "2026-03-15",
            "periodic",
            &[
                ("participants", 120.0),
                ("issues", 10.0),
                ("answered_on_the_spot", 6.0),
                ("commitments", 3.0),
                ("referred", 1.0),
                ("chaired_by_head", 1.0),
            ],
            &[
                ("2026-04-15", Some("2026-04-10")),
                ("2026-04-30", Some("2026-05-10")),
                ("2026-05-15", None),
            ],
        ),
        // D2 TN reception day 2026-02-10: 15 people, 4 issues answered on the spot.
        dialogue(
            2,
            TN,
            "2026-02-10",
            "reception_day",
            &[
                ("participants", 15.0),
                ("issues", 4.0),
                ("answered_on_the_spot", 4.0),
                ("chaired_by_head", 1.0),
            ],
            &[],
        ),
        // D3 TN thematic dialogue 2025-10-05 (H2), not chaired by a head: 60 people, 5 issues.
        dialogue(
            3,
            TN,
            "2025-10-05",
            "thematic",
            &[
                ("participants", 60.0),
                ("issues", 5.0),
                ("answered_on_the_spot", 5.0),
            ],
            &[],
        ),
        // M1 TN mediation received 2026-02-01, successful 02-15.
        test_fact(
            0x114_2001,
            RecordKind::Mediation,
            TN,
            "2026-02-01",
            "2026-02-01",
            &[("received", "2026-02-01"), ("successful", "2026-02-15")],
        ),
    ]
}

fn dvk_model() -> DvkModelRow {
    let now = Utc::now();
    DvkModelRow {
        id: Uuid::now_v7(),
        unit: HB.into(),
        unit_on: date("2026-01-01"),
        name: "Mô hình Đường làng sạch".into(),
        field: "economic".into(),
        participants: "Nguyễn Văn Bímật".into(),
        description: String::new(),
        started_on: date("2026-01-01"),
        recognised_level: Some("commune".into()),
        recognised_by: String::new(),
        recognised_on: Some(date("2026-03-01")),
        commended: false,
        commended_by: String::new(),
        commended_form: None,
        commended_on: None,
        ended_on: None,
        created_at: now,
        updated_at: now,
        created_by: "test".into(),
        updated_by: "test".into(),
    }
}

async fn app_on(s: &Arc<dyn Storage>) -> Router {
    let units = haiphong(s.as_ref()).await;
    let tree = units.tree();
    for ((user, pw), role, unit) in [
        (CITY, Role::CityOfficer, "31"),
        (COMMUNE, Role::CommuneOfficer, HB),
        (OTHER_COMMUNE, Role::CommuneOfficer, TN),
    ] {
        danvan_server::users::add_user(s.as_ref(), &tree, user, role, unit, pw)
            .await
            .unwrap();
    }
    s.insert_facts(&facts()).await.unwrap();
    s.create_dvk_model(&dvk_model()).await.unwrap();
    // The figures by hand are small (1 to 6): with the default threshold the city officer
    // would see them withheld. This test is about the arithmetic and the document; what is
    // withheld is small_cells.rs's (ADR 0012).
    let config = ServerConfig {
        small_cell_threshold: 1,
        ..ServerConfig::default()
    };
    app(AppState::new(s.clone(), units, config))
}

/// A number as the document writes it: `1.204` → 1204, `90,3%` → 0.903, `+3` → 3.
fn number(text: &str) -> Option<f64> {
    let t = text.trim();
    let (t, pct) = match t.strip_suffix('%') {
        Some(r) => (r, true),
        None => (t, false),
    };
    let v: f64 = t
        .trim_start_matches('+')
        .replace('.', "")
        .replace(',', ".")
        .parse()
        .ok()?;
    Some(if pct { v / 100.0 } else { v })
}

/// The table whose caption is `caption` in the .docx: its rows (header first). Tables come in
/// order after the masthead; captions are paragraphs starting "Bảng N.".
fn docx_table<'a>(
    parsed: &'a danvan_server::report::ParsedDocx,
    caption: &str,
) -> &'a Vec<Vec<String>> {
    let captions: Vec<&String> = parsed
        .paragraphs
        .iter()
        .filter(|p| p.starts_with("Bảng "))
        .collect();
    let k = captions
        .iter()
        .position(|c| c.contains(caption))
        .unwrap_or_else(|| panic!("no table {caption:?} in {captions:?}"));
    // tables[0] is the masthead.
    &parsed.tables[k + 1]
}

fn by_label(t: &[Vec<String>]) -> HashMap<String, Vec<String>> {
    t.iter()
        .skip(1)
        .map(|r| (r[1].clone(), r[2..].to_vec()))
        .collect()
}

async fn city_half_year_report(s: Arc<dyn Storage>) {
    let router = app_on(&s).await;
    let c = Client::login(&router, CITY).await;
    let r = c
        .get("/reports/mass-mobilisation.docx?unit=31&period=2026-H1")
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        r.headers[header::CONTENT_TYPE],
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    );
    let cd = r.headers[header::CONTENT_DISPOSITION].to_str().unwrap();
    assert!(cd.starts_with("attachment; filename=\"bao-cao-dan-van-31-2026-H1.docx\""));
    // "Báo cáo dân vận Thành phố Hải Phòng 2026-H1.docx", UTF-8 percent-encoded.
    assert!(
        cd.contains("filename*=UTF-8''B%C3%A1o%20c%C3%A1o%20d%C3%A2n%20v%E1%BA%ADn%20Th%C3%A0nh%20ph%E1%BB%91%20H%E1%BA%A3i%20Ph%C3%B2ng%202026-H1.docx"),
        "{cd}"
    );
    assert!(r.body.starts_with(b"PK"));
    let parsed = read_back(&r.body).unwrap();

    // Header: the masthead table.
    let masthead = parsed.tables[0].concat().join("\n");
    for s in [
        "ĐẢNG BỘ THÀNH PHỐ HẢI PHÒNG",
        "BAN TUYÊN GIÁO VÀ DÂN VẬN THÀNH ỦY",
        "Số     -BC/BTGDVTU",
        "ĐẢNG CỘNG SẢN VIỆT NAM",
        "Hải Phòng, ngày",
    ] {
        assert!(masthead.contains(s), "{s:?} in {masthead}");
    }
    assert!(parsed.paragraphs.contains(&"BÁO CÁO".to_string()));
    assert!(
        parsed.paragraphs.contains(
            &"Kết quả thực hiện Kết luận số 114-KL/TW của Ban Bí thư về công tác dân vận của cơ \
          quan nhà nước, 6 tháng đầu năm 2026"
                .to_string()
        )
    );

    // Headings, in order.
    let headings: Vec<&String> = parsed
        .paragraphs
        .iter()
        .filter(|p| {
            ["I. ", "II. ", "III. ", "IV. ", "V. ", "VI. "]
                .iter()
                .any(|n| p.starts_with(n))
        })
        .collect();
    assert_eq!(
        headings,
        [
            "I. TÌNH HÌNH CHUNG",
            "II. KẾT QUẢ THỰC HIỆN",
            "III. XẾP HẠNG CÁC XÃ, PHƯỜNG, ĐẶC KHU",
            "IV. MỨC ĐỘ ĐẦY ĐỦ SỐ LIỆU",
            "V. PHƯƠNG HƯỚNG, NHIỆM VỤ TRONG THỜI GIAN TỚI",
        ]
    );
    let subs: Vec<&String> = parsed
        .paragraphs
        .iter()
        .filter(|p| p.len() > 3 && p.as_bytes()[0].is_ascii_digit() && p[1..].starts_with(". "))
        .take(6)
        .collect();
    assert_eq!(subs.len(), 6, "{subs:?}");
    assert!(subs[0].starts_with("1. Tiếp công dân"));
    assert!(subs[5].starts_with("6. Phong trào thi đua \"Dân vận khéo\""));
    // The generated narrative names the period and the communes.
    let general = parsed
        .paragraphs
        .iter()
        .find(|p| p.starts_with("Trong 6 tháng đầu năm 2026 (số liệu tính đến ngày 31/05/2026)"))
        .expect("general narrative");
    assert!(general.contains("xã, phường, đặc khu thuộc Thành phố Hải Phòng"));
    assert!(
        general.contains("2 đơn vị có số liệu trong kỳ"),
        "{general}"
    );

    // Table 1: petitions with trend (H1 2026 against H2 2025).
    let t1 = docx_table(&parsed, "Kết quả tiếp nhận, giải quyết đơn thư");
    assert_eq!(
        t1[0],
        [
            "STT",
            "Chỉ tiêu",
            "6 tháng đầu năm 2026",
            "6 tháng cuối năm 2025",
            "Tăng (+), giảm (-)"
        ]
    );
    let p = by_label(t1);
    let row = |label: &str| -> Vec<&str> {
        p.get(label)
            .unwrap_or_else(|| panic!("no row {label}"))
            .iter()
            .map(String::as_str)
            .collect()
    };
    // H1: received P2 P3 P4 P5 P6 = 5 (P8 after the cut-off); H2: P1 P7 = 2; +3.
    assert_eq!(row("Đơn tiếp nhận mới trong kỳ"), ["5", "2", "+3"]);
    // H1: P1 open on 31 Dec = 1; H2: none.
    assert_eq!(row("Đơn kỳ trước chuyển sang"), ["1", "0", "+1"]);
    // 5 + 1 = 6; 2 + 0 = 2.
    assert_eq!(row("Tổng số đơn phải xử lý"), ["6", "2", "+4"]);
    // H1: P2 (02-05), P6 (05-05); H2: P1 (11-15).
    assert_eq!(row("Đơn đã thụ lý trong kỳ"), ["2", "1", "+1"]);
    // H1: P1 (02-10), P2 (04-20).
    assert_eq!(row("Đã giải quyết"), ["2", "0", "+2"]);
    // P1 02-10 ≤ 03-01; P2 04-20 ≤ 04-30 (extended on 03-10).
    assert_eq!(row("Trong đó: giải quyết đúng hạn"), ["2", "0", "+2"]);
    // 2 / 2 = 100%; H2 resolved none: no rate, no change.
    assert_eq!(row("Tỷ lệ giải quyết đúng hạn"), ["100,0%", "-", "-"]);
    assert_eq!(row("Chuyển cơ quan có thẩm quyền"), ["1", "0", "+1"]); // P4
    assert_eq!(
        row("Trả lại, hướng dẫn, lưu đơn không thụ lý"),
        ["0", "1", "-1"]
    ); // P7 in H2
    assert_eq!(row("Rút đơn"), ["1", "0", "+1"]); // P5
    // H1: P3, P6; H2: P1.
    assert_eq!(row("Đang giải quyết"), ["2", "1", "+1"]);
    // P3: accept due 03-11 < 31 May; P6 due 06-04; P1 in H2 due 2026-03-01.
    assert_eq!(row("Trong đó: quá hạn"), ["1", "0", "+1"]);
    assert_eq!(row("Gia hạn giải quyết trong kỳ"), ["1", "0", "+1"]); // P2 on 03-10
    assert_eq!(row("Đơn đông người"), ["1", "0", "+1"]); // P2
    // The balance: total = received + carried over = resolved + forwarded + not accepted +
    // withdrawn + in progress, in both periods.
    let n = |label: &str, col: usize| number(row(label)[col]).unwrap();
    for col in 0..2 {
        let total = n("Tổng số đơn phải xử lý", col);
        assert_eq!(
            total,
            n("Đơn tiếp nhận mới trong kỳ", col) + n("Đơn kỳ trước chuyển sang", col)
        );
        assert_eq!(
            total,
            n("Đã giải quyết", col)
                + n("Chuyển cơ quan có thẩm quyền", col)
                + n("Trả lại, hướng dẫn, lưu đơn không thụ lý", col)
                + n("Rút đơn", col)
                + n("Đang giải quyết", col)
        );
    }

    // Table 2: by type. H1: complaint P1 P5 P6 = 3, denunciation P2, recommendation P3,
    // reflection P4; H2: complaint P1 P7 = 2.
    let t2 = by_label(docx_table(&parsed, "Đơn thư theo loại"));
    assert_eq!(t2["Khiếu nại"], ["3", "2", "+1"]);
    assert_eq!(t2["Tố cáo"], ["1", "0", "+1"]);
    assert_eq!(t2["Kiến nghị"], ["1", "0", "+1"]);
    assert_eq!(t2["Phản ánh"], ["1", "0", "+1"]);
    assert_eq!(t2["Tổng cộng"], ["6", "2", "+4"]);
    // Table 3: by field. H1: land P1 P4 P6 = 3, policy P2 P3 = 2, compensation P5 = 1.
    let t3 = by_label(docx_table(&parsed, "Đơn thư theo lĩnh vực"));
    assert_eq!(t3["Đất đai"], ["3", "2", "+1"]);
    assert_eq!(t3["Chế độ, chính sách"], ["2", "0", "+2"]);
    assert_eq!(
        t3["Bồi thường, hỗ trợ, tái định cư, giải phóng mặt bằng"],
        ["1", "0", "+1"]
    );
    assert_eq!(t3["Tổng cộng"], ["6", "2", "+4"]);

    // Table 4: by commune, every row and the total balance; the total is the sum of the rows.
    let t4 = docx_table(&parsed, "Đơn thư theo đơn vị");
    let body: Vec<Vec<f64>> = t4[1..]
        .iter()
        .map(|r| r[2..].iter().map(|c| number(c).unwrap()).collect())
        .collect();
    let (rows, total) = body.split_at(body.len() - 1);
    assert_eq!(rows.len(), 2, "Hòa Bình and Thủy Nguyên");
    for r in &body {
        // received, carried, total, resolved, forwarded, not accepted, withdrawn, in progress.
        assert_eq!(r[2], r[0] + r[1]);
        assert_eq!(r[2], r[3] + r[4] + r[5] + r[6] + r[7]);
    }
    for c in 0..total[0].len() {
        assert_eq!(total[0][c], rows.iter().map(|r| r[c]).sum::<f64>());
    }
    // Hòa Bình: P2 P3 new, P1 carried: 2 + 1 = 3 = 2 resolved + 1 in progress (overdue).
    let hb = t4.iter().find(|r| r[1] == "Phường Hòa Bình").unwrap();
    assert_eq!(hb[2..], ["2", "1", "3", "2", "0", "0", "0", "1", "1"]);

    // Table 5: dialogues. H1: D1 held, chaired; D2 a reception day; 120 + 15 people;
    // 10 + 4 issues; 6 + 4 on the spot. H2: D3 held, not chaired, 60 people.
    let t5 = by_label(docx_table(&parsed, "Đối thoại trực tiếp, tiếp công dân"));
    assert_eq!(t5["Số cuộc đối thoại trực tiếp"], ["1", "1", "0"]);
    assert_eq!(t5["Trong đó: do người đứng đầu chủ trì"], ["1", "0", "+1"]);
    assert_eq!(t5["Số ngày tiếp công dân của lãnh đạo"], ["1", "0", "+1"]);
    assert_eq!(t5["Số lượt người tham gia"], ["135", "60", "+75"]);
    assert_eq!(t5["Số ý kiến, kiến nghị được nêu"], ["14", "5", "+9"]);
    assert_eq!(
        t5["Trả lời trực tiếp tại buổi đối thoại"],
        ["10", "5", "+5"]
    );
    assert_eq!(t5["Số cam kết giải quyết"], ["3", "0", "+3"]);
    assert_eq!(t5["Cam kết thực hiện đúng hạn"], ["1", "0", "+1"]);
    assert_eq!(t5["Cam kết thực hiện chậm"], ["1", "0", "+1"]);
    assert_eq!(t5["Cam kết quá hạn chưa thực hiện"], ["1", "0", "+1"]);
    assert_eq!(
        t5["Số xã có đối thoại do người đứng đầu chủ trì"],
        ["1", "0", "+1"]
    );
    // Table 6: mediation: M1 successful, 1 / 1 = 100%.
    let t6 = by_label(docx_table(&parsed, "Kết quả hòa giải ở cơ sở"));
    assert_eq!(t6["Hòa giải thành"], ["1", "0", "+1"]);
    assert_eq!(t6["Tỷ lệ hòa giải thành"], ["100,0%", "-", "-"]);
    // Table 9: the model recognised 2026-03-01: in force and new in H1, none in H2.
    let t9 = by_label(docx_table(&parsed, "Mô hình \"Dân vận khéo\""));
    assert_eq!(t9["Tổng số mô hình đang duy trì"], ["1", "0", "+1"]);
    assert_eq!(t9["Mô hình mới được công nhận trong kỳ"], ["1", "0", "+1"]);
    assert_eq!(t9["Mô hình đang duy trì: Kinh tế"][0], "1");
    // Table 10: ranking. Petitions resolved on time: only Hòa Bình has a rate (2/2);
    // mediation: only Thủy Nguyên (1/1).
    let t10 = docx_table(&parsed, "Xếp hạng");
    assert!(t10.contains(&vec![
        "Tỷ lệ giải quyết đơn đúng hạn".to_string(),
        "1".into(),
        "Phường Hòa Bình".into(),
        "100,0%".into()
    ]));
    assert!(
        t10.iter()
            .any(|r| r[0] == "Tỷ lệ hòa giải thành" && r[2].contains("Thủy Nguyên")),
        "{t10:?}"
    );
    // Table 11: completeness: every commune of the city expected, two with records, none
    // locked (the deadline, 10 June, has passed: all missing).
    let t11 = by_label(docx_table(&parsed, "Mức độ đầy đủ"));
    assert_eq!(t11["Số xã có số liệu trong kỳ"], ["2"]);
    assert_eq!(t11["Số xã đã chốt số liệu đúng hạn"], ["0"]);
    assert_eq!(
        t11["Số xã chưa chốt số liệu, đã quá hạn"],
        t11["Số xã phải báo cáo"]
    );

    // Recipients and signature: the last table.
    let closing = parsed.tables.last().unwrap().concat().join("\n");
    for s in [
        "Nơi nhận:",
        "- Ban Thường vụ Thành ủy (để báo cáo),",
        "- Các đồng chí Thành ủy viên,",
        "- Lưu Văn phòng Thành ủy.",
        "K/T TRƯỞNG BAN",
        "PHÓ TRƯỞNG BAN",
    ] {
        assert!(closing.contains(s), "{s:?} in {closing}");
    }

    // The workbook: one sheet per table, the same numbers.
    let x = c
        .get("/reports/mass-mobilisation.xlsx?unit=31&period=2026-H1")
        .await;
    assert_eq!(x.status, StatusCode::OK, "{}", x.text());
    assert_eq!(
        x.headers[header::CONTENT_TYPE],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(x.body.clone())).unwrap();
    let sheets = wb.sheet_names();
    assert_eq!(
        sheets.len(),
        parsed
            .paragraphs
            .iter()
            .filter(|p| p.starts_with("Bảng "))
            .count()
    );
    for (sheet, caption) in [
        ("Don thu", "Kết quả tiếp nhận, giải quyết đơn thư"),
        ("Loai don", "Đơn thư theo loại"),
        ("Don thu theo don vi", "Đơn thư theo đơn vị"),
        ("Doi thoai", "Đối thoại trực tiếp"),
        ("Dan van kheo", "Dân vận khéo"),
    ] {
        let range = wb.worksheet_range(sheet).unwrap();
        let doc = docx_table(&parsed, caption);
        // Row 3 is the header, then the rows (and the total) as in the document.
        for (i, drow) in doc.iter().enumerate() {
            for (j, text) in drow.iter().enumerate() {
                let cell = range
                    .get_value((3 + i as u32, j as u32))
                    .cloned()
                    .unwrap_or(Data::Empty);
                match (number(text), &cell) {
                    (Some(v), Data::Float(f)) => {
                        assert!((v - f).abs() < 1e-9, "{sheet} {i},{j}: {text} vs {f}")
                    }
                    (_, Data::String(s)) => assert_eq!(s, text, "{sheet} {i},{j}"),
                    (_, Data::Empty) if text.is_empty() => {}
                    (_, other) => panic!("{sheet} {i},{j}: {text:?} vs {other:?}"),
                }
            }
        }
    }

    // The JSON answer: the same content, aggregates only.
    let j = c
        .get("/api/v1/reports/mass-mobilisation?unit=31&period=2026-H1")
        .await;
    assert_eq!(j.status, StatusCode::OK, "{}", j.text());
    let v = j.json();
    assert_eq!(v["unit"]["code"], "31");
    assert_eq!(v["city"], true);
    assert_eq!(v["sections"].as_array().unwrap().len(), 5);
    assert_eq!(v["sections"][0]["blocks"][0]["kind"], "narrative");
    assert_eq!(v["sections"][0]["blocks"][0]["key"], "general");
    let body = j.text();
    assert!(!body.contains("Bímật"), "no participant's name");
    assert!(!body.contains("Đường làng sạch"), "no model's name");
}

async fn scope_and_edits(s: Arc<dyn Storage>) {
    let router = app_on(&s).await;
    // A commune officer of another commune: 403 for Hòa Bình's report, everywhere.
    let other = Client::login(&router, OTHER_COMMUNE).await;
    for uri in [
        "/api/v1/reports/mass-mobilisation?unit=11533&period=2026-H1",
        "/reports/mass-mobilisation.docx?unit=11533&period=2026-H1",
        "/reports/mass-mobilisation.xlsx?unit=11533&period=2026-H1",
        "/reports/mass-mobilisation?unit=11533&period=2026-H1",
    ] {
        let r = other.get(uri).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{uri}");
    }
    // Nor the city's.
    let r = other
        .get("/api/v1/reports/mass-mobilisation?unit=31&period=2026-H1")
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Its own: a commune report (no ranking), headed by its Party committee.
    let r = other
        .get("/reports/mass-mobilisation.docx?period=2026-H1")
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let parsed = read_back(&r.body).unwrap();
    let masthead = parsed.tables[0].concat().join("\n");
    assert!(
        masthead.contains("ĐẢNG ỦY PHƯỜNG THỦY NGUYÊN"),
        "{masthead}"
    );
    assert!(masthead.contains("Số     -BC/ĐU"), "{masthead}");
    assert!(
        !parsed.paragraphs.iter().any(|p| p.contains("XẾP HẠNG")),
        "no ranking for a commune"
    );
    assert!(
        parsed
            .paragraphs
            .contains(&"IV. PHƯƠNG HƯỚNG, NHIỆM VỤ TRONG THỜI GIAN TỚI".to_string())
    );
    // A quarter's report: the subject names it ("quý I/2026", the numeral kept).
    let r = other
        .get("/api/v1/reports/mass-mobilisation?unit=11560&period=2026-Q1")
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let subject = r.json()["subject"].as_str().unwrap().to_string();
    assert!(
        subject.ends_with("của cơ quan nhà nước, quý I/2026"),
        "{subject}"
    );
    // Unknown period: 400; no session: 401.
    let r = other
        .get("/api/v1/reports/mass-mobilisation?unit=11560&period=2026-H7")
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let anon = Client::anonymous(&router);
    let r = anon
        .get("/reports/mass-mobilisation.docx?unit=31&period=2026-H1")
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    // The city officer sees a commune's report too, and the page with its text boxes.
    let city = Client::login(&router, CITY).await;
    let r = city
        .get("/reports/mass-mobilisation.docx?unit=11533&period=2026-H1")
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let page = city
        .get("/reports/mass-mobilisation?unit=31&period=2026-H1")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("name=\"general\""));
    assert!(html.contains("name=\"directions\""));
    assert!(html.contains("action=\"/reports/mass-mobilisation.docx\""));
    assert!(html.contains("Bảng 1. Kết quả tiếp nhận, giải quyết đơn thư"));

    // The edited narrative and signer go into the .docx (POST with the CSRF token).
    let form = format!(
        "csrf={}&unit=31&period=2026-H1&general={}&directions={}&signer={}",
        enc(&city.csrf),
        enc("Đoạn nhận định đã sửa.\nDòng thứ hai."),
        enc("Nhiệm vụ đã sửa."),
        enc("Nguyễn Văn An"),
    );
    let r = city
        .post_form("/reports/mass-mobilisation.docx", &form)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let parsed = read_back(&r.body).unwrap();
    let i = parsed
        .paragraphs
        .iter()
        .position(|p| p == "I. TÌNH HÌNH CHUNG")
        .unwrap();
    assert_eq!(parsed.paragraphs[i + 1], "Đoạn nhận định đã sửa.");
    assert_eq!(parsed.paragraphs[i + 2], "Dòng thứ hai.");
    assert!(parsed.paragraphs.contains(&"Nhiệm vụ đã sửa.".to_string()));
    let closing = parsed.tables.last().unwrap().concat().join("\n");
    assert!(closing.contains("Nguyễn Văn An"));
    // Without the token: refused.
    let r = city
        .post_form(
            "/reports/mass-mobilisation.docx",
            "unit=31&period=2026-H1&general=x",
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A control character in the text: 400 invalid_text.
    let r = city
        .post_form(
            "/reports/mass-mobilisation.docx",
            &format!(
                "csrf={}&unit=31&period=2026-H1&general=a%00b",
                enc(&city.csrf)
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}
