//! CSV and XLSX exports: content, encoding, and the Ministry of Justice grassroots-mediation
//! forms (cases form 12, teams and mediators form 11) read back cell by cell, balanced for every
//! unit and period of the dataset.

use std::io::Cursor;

use axum::http::{StatusCode, header};
use calamine::{Data, Range, Reader, Xlsx};
use danvan_core::Record;
use danvan_core::RecordBody;
use danvan_core::model::common::Date;
use danvan_core::model::mediation::{ExclusionReason, MediationCategory, Referral, ReferralAgency};

use crate::dash::*;

#[tokio::test]
async fn csv_has_bom_vietnamese_headers_rows_per_child_and_total() {
    let d = dash().await;
    let c = Client::login(&d.router, CITY).await;
    let r = c
        .get(&format!("/export/mediation.csv?unit=31&period={PERIOD}"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.headers.get(header::CONTENT_TYPE).unwrap(),
        "text/csv; charset=utf-8"
    );
    assert!(
        r.headers
            .get(header::CONTENT_DISPOSITION)
            .unwrap()
            .to_str()
            .unwrap()
            .contains("danvan-mediation-31-2025-09.csv")
    );
    assert_eq!(&r.body[..3], b"\xEF\xBB\xBF", "UTF-8 BOM for Excel");
    let text = String::from_utf8(r.body[3..].to_vec()).unwrap();
    let mut rd = csv::Reader::from_reader(text.as_bytes());
    let head: Vec<String> = rd.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(head[0], "Mã đơn vị");
    assert_eq!(head[1], "Đơn vị");
    // The columns of the cases form, in its order; out of scope says it is outside the total.
    assert_eq!(head[2], "Tổng số vụ, việc hòa giải");
    assert_eq!(head[3], "Kỳ trước chuyển sang");
    assert_eq!(head[4], "Mới tiếp nhận");
    assert!(
        head.iter()
            .any(|h| h == "Không thuộc phạm vi hòa giải (không tính vào tổng số)")
    );
    let col = head.iter().position(|h| h == "Hòa giải thành").unwrap();
    let rows: Vec<csv::StringRecord> = rd.records().map(|r| r.unwrap()).collect();
    let hb = rows.iter().find(|r| &r[0] == HOA_BINH).unwrap();
    assert_eq!(&hb[1], "Phường Hòa Bình");
    assert_eq!(&hb[col], "3");
    let total = rows.last().unwrap();
    assert_eq!(&total[1], "Tổng cộng");
    assert_eq!(&total[col], "4");
    // One row per commune of the city (plus the total).
    let api = c
        .get(&format!("/api/v1/aggregates?unit=31&period={PERIOD}"))
        .await
        .json();
    assert!(rows.len() > api["children"].as_array().unwrap().len());

    for kind in ["inspection", "democracy"] {
        let r = c
            .get(&format!(
                "/export/{kind}.csv?unit={HOA_BINH}&period={PERIOD}"
            ))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{kind}");
        // The city officer gets the commune's total line only: no village (ADR 0012).
        let text = r.text();
        assert_eq!(text.lines().count(), 2, "{kind}: header and total: {text}");
        assert!(!text.contains("11533-T0"), "{kind}: a village line");
    }
    // Money and land are what was actually recovered, not what was recommended.
    let insp = c
        .get(&format!(
            "/export/inspection.csv?unit={HOA_BINH}&period={PERIOD}"
        ))
        .await
        .text();
    assert!(insp.contains("Tiền đã thu hồi (đồng)"), "{insp}");
    assert!(insp.contains("Đất đã thu hồi (m²)"));
    assert!(!insp.contains("kiến nghị thu hồi"));
    let r = c
        .get(&format!("/export/other.csv?unit=31&period={PERIOD}"))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // English headers on request.
    let r = c
        .get(&format!(
            "/export/mediation.csv?unit=31&period={PERIOD}&lang=en"
        ))
        .await;
    assert!(
        r.text()
            .contains("Unit code,Unit,Total cases,Carried over,")
    );
}

/// A worksheet read back, addressed by the form's numbering.
pub(crate) struct Form {
    range: Range<Data>,
    merges: usize,
}

impl Form {
    pub(crate) fn read(body: &[u8], sheet: &str) -> Form {
        let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(body.to_vec())).unwrap();
        let range = wb.worksheet_range(sheet).unwrap();
        let merges = wb.merge_cells_by_sheet_name(sheet).unwrap().len();
        Form { range, merges }
    }

    pub(crate) fn s(&self, r: u32, c: u32) -> String {
        self.range
            .get_value((r, c))
            .map(|d| d.to_string())
            .unwrap_or_default()
    }

    /// A number cell (a formula's computed value included); empty = 0.
    pub(crate) fn n(&self, r: u32, c: u32) -> f64 {
        match self.range.get_value((r, c)) {
            Some(Data::Float(f)) => *f,
            Some(Data::Int(i)) => *i as f64,
            Some(Data::Empty) | None => 0.0,
            Some(Data::String(s)) if s.is_empty() => 0.0,
            other => panic!("({r}, {c}) is not a number: {other:?}"),
        }
    }

    pub(crate) fn row_of(&self, text: &str) -> u32 {
        (0..self.range.height() as u32)
            .find(|r| self.s(*r, 0) == text)
            .unwrap_or_else(|| panic!("no row {text:?}"))
    }

    fn numbering_row(&self) -> u32 {
        self.row_of("A")
    }

    /// The sheet column of the form's column "(n)".
    pub(crate) fn col(&self, n: u16) -> u32 {
        let nr = self.numbering_row();
        (1..self.range.width() as u32)
            .find(|c| self.s(nr, *c) == format!("({n})"))
            .unwrap_or_else(|| panic!("no column ({n})"))
    }

    pub(crate) fn columns(&self) -> Vec<String> {
        let nr = self.numbering_row();
        (0..self.range.width() as u32)
            .map(|c| self.s(nr, c))
            .take_while(|s| !s.is_empty())
            .collect()
    }

    /// The data rows between the numbering row and the total row.
    pub(crate) fn rows(&self, total: &str) -> std::ops::Range<u32> {
        self.numbering_row() + 1..self.row_of(total)
    }

    fn any_cell(&self, text: &str) -> bool {
        self.range.used_cells().any(|(_, _, d)| *d == text)
    }

    fn any_cell_containing(&self, text: &str) -> Option<String> {
        self.range
            .used_cells()
            .map(|(_, _, d)| d.to_string())
            .find(|s| s.contains(text))
    }
}

pub(crate) const CASES: &str = "Bieu 12 HGCS";
pub(crate) const CATEGORIES: &str = "Theo loai viec";
const TEAMS: &str = "Bieu 11 HGCS";

fn d(y: i32, m: u32, day: u32) -> Date {
    Date::ymd(y, m, day).unwrap()
}

/// Mediation cases beyond the dashboard's seed, all in Hòa Bình's village T01, to exercise
/// every column: carried over, stopped, referred, out of scope.
fn extra_cases() -> Vec<Record> {
    let v = "11533-T01";
    let step = |r: &mut Record, to: &str, on: Date| {
        if let RecordBody::Mediation(m) = &mut r.body {
            match to {
                "mediating" => m.started_on = Some(on),
                "referred" => {
                    m.referral = Some(Referral {
                        agency: ReferralAgency::CommuneCommittee,
                        agency_name: None,
                        on,
                        reason: "Tranh chấp đất đai thuộc thẩm quyền Ủy ban".into(),
                    });
                }
                "out_of_scope" => {
                    m.in_scope = false;
                    m.exclusion_reason = Some(ExclusionReason::PublicInterest);
                }
                _ => {}
            }
        }
        r.transition(to, on, "seed", None).unwrap();
        if let RecordBody::Mediation(m) = &mut r.body
            && to != "mediating"
        {
            m.closed_on = Some(on);
        }
    };
    use MediationCategory::*;
    // X1: civil, received 10 July, mediating from 12 July, still open.
    let mut x1 = case(v, HOA_BINH, d(2025, 7, 10), Civil, None);
    step(&mut x1, "mediating", d(2025, 7, 12));
    // X2: conflict, received 20 July, mediating 21 July, stopped 5 September.
    let mut x2 = case(v, HOA_BINH, d(2025, 7, 20), Conflict, None);
    step(&mut x2, "mediating", d(2025, 7, 21));
    step(&mut x2, "stopped", d(2025, 9, 5));
    // X3: marriage and family, received 8 September, mediating 9th, referred 25th.
    let mut x3 = case(v, HOA_BINH, d(2025, 9, 8), MarriageFamily, None);
    step(&mut x3, "mediating", d(2025, 9, 9));
    step(&mut x3, "referred", d(2025, 9, 25));
    // X4: minor violation, received 10 September, found out of scope on the 11th.
    let mut x4 = case(v, HOA_BINH, d(2025, 9, 10), MinorViolation, None);
    step(&mut x4, "out_of_scope", d(2025, 9, 11));
    vec![x1, x2, x3, x4]
}

async fn full_dash() -> Dash {
    let d = dash().await;
    for r in extra_cases() {
        store(d.storage.as_ref(), &r).await;
    }
    d
}

#[tokio::test]
async fn cases_form_has_the_header_columns_figures_and_signature_block() {
    let d = full_dash().await;
    let c = Client::login(&d.router, CITY).await;
    let r = c
        .get(&format!(
            "/export/moj-hgcs-cases.xlsx?unit=31&period={PERIOD}"
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let ct = r
        .headers
        .get(header::CONTENT_TYPE)
        .unwrap()
        .to_str()
        .unwrap();
    assert!(ct.contains("spreadsheetml"), "{ct}");
    let cd = r
        .headers
        .get(header::CONTENT_DISPOSITION)
        .unwrap()
        .to_str()
        .unwrap();
    assert!(cd.contains("danvan-bieu12-hgcs-31-2025-09.xlsx"), "{cd}");
    let f = Form::read(&r.body, CASES);

    // Header block: the city reports to the Ministry.
    assert_eq!(f.s(0, 0), "Biểu số: 12c/BTP/PBGDPL/HGCS");
    assert_eq!(
        f.s(1, 0),
        "Ban hành theo Thông tư số 03/2019/TT-BTP ngày 20/3/2019"
    );
    assert!(
        f.s(2, 0).starts_with("Ngày nhận báo cáo: "),
        "{}",
        f.s(2, 0)
    );
    assert!(
        f.s(2, 0).ends_with("/10/2025"),
        "the month's deadline: {}",
        f.s(2, 0)
    );
    assert_eq!(f.s(0, 1), "KẾT QUẢ HÒA GIẢI Ở CƠ SỞ");
    assert_eq!(f.s(1, 1), "(Tháng)");
    assert_eq!(
        f.s(2, 1),
        "Kỳ báo cáo: Tháng 9/2025 (số liệu tính từ ngày 01/09/2025 đến ngày 30/09/2025)"
    );
    assert!(f.any_cell("Đơn vị báo cáo: Ủy ban nhân dân Thành phố Hải Phòng (Sở Tư pháp)"));
    assert!(f.any_cell("Đơn vị nhận báo cáo: Bộ Tư pháp (Vụ Phổ biến, giáo dục pháp luật)"));
    assert!(f.any_cell("Đơn vị tính: Vụ, việc"));

    // Column headers and numbering: A, (1)…(14); a month has no estimates.
    let nr = f.numbering_row();
    assert_eq!(f.s(nr - 2, 0), "Tên đơn vị");
    let numbers: Vec<String> = std::iter::once("A".to_string())
        .chain((1..=14).map(|n| format!("({n})")))
        .collect();
    assert_eq!(f.columns(), numbers);
    let head = |n: u16| f.s(nr - 1, f.col(n));
    assert_eq!(f.s(nr - 2, f.col(1)), "Số vụ, việc hòa giải");
    assert_eq!(head(1), "Tổng số");
    assert_eq!(head(2), "Kỳ trước chuyển sang");
    assert_eq!(head(3), "Mới tiếp nhận trong kỳ");
    assert_eq!(f.s(nr - 2, f.col(4)), "Chia theo loại vụ, việc");
    assert_eq!(head(4), "Mâu thuẫn giữa các bên");
    assert_eq!(f.s(nr - 2, f.col(8)), "Kết quả hòa giải");
    assert_eq!(head(8), "Hòa giải thành");
    assert_eq!(head(9), "Hòa giải không thành");
    assert_eq!(head(10), "Dừng hòa giải");
    assert_eq!(head(11), "Chuyển cơ quan có thẩm quyền giải quyết");
    assert_eq!(head(12), "Đang hòa giải (chưa kết thúc)");
    assert_eq!(f.s(nr - 2, f.col(13)), "Tỷ lệ hòa giải thành (%)");
    assert!(f.s(nr - 2, f.col(14)).contains("không tính vào cột 1"));
    assert!(f.merges >= 10, "merged header cells: {}", f.merges);

    // Hòa Bình, September 2025, by hand:
    //   carried over: X1 (open since July), X2 (stopped in September) = 2
    //   received: 6 seeded + X3 = 7 (X4 is out of scope, outside the total)
    //   total 9 = conflict 3 (2 seeded + X2) + civil 3 (2 + X1) + marriage 2 (1 + X3) + minor 1
    //         = successful 3 + unsuccessful 1 + stopped 1 (X2) + referred 1 (X3)
    //           + in progress 3 (2 seeded + X1)
    //   rate 3 ÷ (3 + 1) = 75.0; out of scope 1.
    let hb = f.row_of("Phường Hòa Bình");
    let v = |n: u16| f.n(hb, f.col(n));
    let expect: [(u16, f64); 14] = [
        (1, 9.0),
        (2, 2.0),
        (3, 7.0),
        (4, 3.0),
        (5, 3.0),
        (6, 2.0),
        (7, 1.0),
        (8, 3.0),
        (9, 1.0),
        (10, 1.0),
        (11, 1.0),
        (12, 3.0),
        (13, 75.0),
        (14, 1.0),
    ];
    for (n, want) in expect {
        if (4..=7).contains(&n) {
            // Each category is below 5: withheld from the city officer (ADR 0012); the
            // commune officer's form has them (below).
            assert_eq!(f.s(hb, f.col(n)), "<5", "Hòa Bình column ({n})");
            continue;
        }
        assert_eq!(v(n), want, "Hòa Bình column ({n})");
    }
    // The city: Thủy Nguyên adds 2 received (1 successful, 1 open).
    // Total 11 = 2 + 9 = 4 + 1 + 1 + 1 + 4; rate 4 ÷ 5 = 80.0.
    let tr = f.row_of("Tổng cộng");
    let tv = |n: u16| f.n(tr, f.col(n));
    assert_eq!(
        [
            tv(1),
            tv(2),
            tv(3),
            tv(8),
            tv(9),
            tv(10),
            tv(11),
            tv(12),
            tv(13),
            tv(14)
        ],
        [11.0, 2.0, 9.0, 4.0, 1.0, 1.0, 1.0, 4.0, 80.0, 1.0]
    );
    // The same as the API.
    let api = c
        .get(&format!("/api/v1/aggregates?unit=31&period={PERIOD}"))
        .await
        .json();
    let t = &api["totals"]["mediation"];
    for (n, key) in [
        (1, "total"),
        (2, "carried_over"),
        (3, "received"),
        (8, "successful"),
        (9, "unsuccessful"),
        (12, "in_progress"),
        (14, "out_of_scope"),
    ] {
        assert_eq!(tv(n), t[key].as_f64().unwrap(), "({n}) = {key}");
    }

    // Footnotes and signature block.
    assert!(
        f.any_cell_containing("(1) = (2) + (3) = (4) + (5) + (6) + (7)")
            .is_some()
    );
    assert!(
        f.any_cell_containing("Điều 3 Luật Hòa giải ở cơ sở")
            .is_some()
    );
    assert!(f.any_cell_containing("Lập từ danvan ngày").is_some());
    let sig = f.row_of("NGƯỜI LẬP BIỂU");
    assert!(sig > tr);
    assert!(f.any_cell("THỦ TRƯỞNG ĐƠN VỊ"));
    assert!(f.any_cell("…, ngày … tháng … năm …"));
    assert_eq!(f.s(sig + 1, 0), "(Ký, ghi rõ họ, tên)");
    assert!(f.any_cell("(Ký, đóng dấu, ghi rõ họ, tên)"));

    // The by-category appendix: one line per category, same total. The city's categories
    // (4, 4, 2, 1) are each below 5: withheld, the total whole.
    let a = Form::read(&r.body, CATEGORIES);
    let atr = a.row_of("Tổng cộng");
    assert_eq!(a.n(atr, a.col(1)), 11.0);
    assert_eq!(a.s(a.row_of("Mâu thuẫn giữa các bên"), a.col(10)), "<5");
    assert!(
        f.any_cell_containing("\"<5\"").is_some(),
        "the footnote on <5"
    );

    // The commune officer's form of Hòa Bình: the same figures whole, by village, and the
    // categories by hand (conflict 3, civil 3, marriage 2, minor 1; X2 stopped).
    let own = Client::login(&d.router, COMMUNE)
        .await
        .get(&format!(
            "/export/moj-hgcs-cases.xlsx?unit={HOA_BINH}&period={PERIOD}"
        ))
        .await;
    let of = Form::read(&own.body, CASES);
    let ot = of.row_of("Tổng cộng");
    assert_eq!(
        (1..=7).map(|n| of.n(ot, of.col(n))).collect::<Vec<_>>(),
        [9.0, 2.0, 7.0, 3.0, 3.0, 2.0, 1.0]
    );
    let oa = Form::read(&own.body, CATEGORIES);
    assert_eq!(
        oa.n(oa.row_of("Mâu thuẫn giữa các bên"), oa.col(10)),
        1.0,
        "X2 stopped"
    );
    assert!(
        of.any_cell_containing("\"<5\"").is_none(),
        "nothing withheld"
    );

    // The former path serves the same form.
    let old = c
        .get(&format!(
            "/export/mediation-moj.xlsx?unit=31&period={PERIOD}"
        ))
        .await;
    assert_eq!(old.status, StatusCode::OK);
    assert_eq!(
        Form::read(&old.body, CASES).s(0, 1),
        "KẾT QUẢ HÒA GIẢI Ở CƠ SỞ"
    );
}

#[tokio::test]
async fn a_commune_form_and_english_labels() {
    let d = full_dash().await;
    let c = Client::login(&d.router, COMMUNE).await;
    let r = c
        .get(&format!(
            "/export/moj-hgcs-cases.xlsx?unit={HOA_BINH}&period={PERIOD}"
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let f = Form::read(&r.body, CASES);
    // After 1 July 2025 a commune reports straight to the city's Department of Justice.
    assert_eq!(f.s(0, 0), "Biểu số: 12a/BTP/PBGDPL/HGCS");
    assert!(f.any_cell("Đơn vị báo cáo: Ủy ban nhân dân Phường Hòa Bình"));
    assert!(f.any_cell("Đơn vị nhận báo cáo: Sở Tư pháp Thành phố Hải Phòng"));
    // Rows are its villages; the total is the commune's (9, see above).
    assert_eq!(f.n(f.row_of("Tổng cộng"), f.col(1)), 9.0);

    let r = c
        .get(&format!(
            "/export/moj-hgcs-cases.xlsx?unit={HOA_BINH}&period={PERIOD}&lang=en"
        ))
        .await;
    let f = Form::read(&r.body, CASES);
    assert_eq!(f.s(0, 0), "Form no. 12a/BTP/PBGDPL/HGCS");
    assert_eq!(f.s(0, 1), "RESULTS OF GRASSROOTS MEDIATION");
    assert!(f.s(2, 1).starts_with("Reporting period: September 2025"));
    assert!(f.any_cell("PREPARED BY"));
    assert!(f.any_cell("HEAD OF UNIT"));
    assert_eq!(f.s(f.numbering_row() - 1, f.col(8)), "Successful");
    assert!(f.any_cell("Total"));
}

#[tokio::test]
async fn the_preliminary_year_has_editable_estimates() {
    let d = full_dash().await;
    let c = Client::login(&d.router, CITY).await;
    let r = c
        .get("/export/moj-hgcs-cases.xlsx?unit=31&period=2025-YP")
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let f = Form::read(&r.body, CASES);
    assert_eq!(f.s(1, 1), "(Năm – báo cáo lần 1)");
    assert!(
        f.s(2, 1)
            .ends_with("(số liệu tính từ ngày 01/01/2025 đến ngày 31/10/2025)"),
        "{}",
        f.s(2, 1)
    );
    assert_eq!(
        f.columns().len(),
        19,
        "A, (1)–(14) and the estimates (15)–(18)"
    );
    let nr = f.numbering_row();
    assert_eq!(
        f.s(nr - 2, f.col(15)),
        "Ước tính cả kỳ (đến hết ngày 31/12/2025)"
    );
    // Hòa Bình, 1 January – 31 October 2025: received 7 seeded (6 in September, 1 in August)
    // + X1, X2, X3 = 10; successful 4, unsuccessful 1. Days: 365 in the year, 304 to 31 Oct.
    //   (16) = round(10 × 365 ÷ 304) = round(12.01) = 12; (15) = (2) + (16) = 0 + 12
    //   (17) = round(4 × 1.2007) = round(4.80) = 5;  (18) = round(1.20) = 1
    let hb = f.row_of("Phường Hòa Bình");
    assert_eq!(f.n(hb, f.col(3)), 10.0);
    assert_eq!(f.n(hb, f.col(16)), 12.0);
    assert_eq!(f.n(hb, f.col(15)), 12.0);
    assert_eq!(f.n(hb, f.col(17)), 5.0);
    assert_eq!(f.n(hb, f.col(18)), 1.0);
    assert!(f.any_cell_containing("× 365 ngày ÷ 304 ngày").is_some());
    // The estimate cells are plain numbers (editable), (15) and the total are formulas.
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(r.body.clone())).unwrap();
    let formulas = wb.worksheet_formula(CASES).unwrap();
    let at = |row: u32, col: u32| formulas.get_value((row, col)).cloned().unwrap_or_default();
    assert!(at(hb, f.col(16)).is_empty(), "estimate is a value");
    assert!(!at(hb, f.col(15)).is_empty(), "(15) is a formula");
    let tr = f.row_of("Tổng cộng");
    assert!(
        at(tr, f.col(16)).starts_with("SUM("),
        "{}",
        at(tr, f.col(16))
    );
}

/// Every line of every form balances: (1) = (2) + (3) = (4) + … + (7) = (8) + … + (12), the
/// total row is the sum of the lines, and it equals the API's totals.
#[tokio::test]
async fn every_cases_form_balances() {
    let d = full_dash().await;
    let city = Client::login(&d.router, CITY).await;
    let commune = Client::login(&d.router, COMMUNE).await;
    // The city officer's forms (small cells withheld, ADR 0012) and the commune officer's
    // (whole, down to the village).
    let units = [
        (&city, "31"),
        (&city, HOA_BINH),
        (&city, THUY_NGUYEN),
        (&commune, HOA_BINH),
        (&commune, "11533-T01"),
    ];
    let periods = [
        "2025-07", "2025-08", "2025-09", "2025-10", "2025-Q3", "2025-H1", "2025-H2", "2025-YP",
        "2025",
    ];
    let (mut checked, mut absent) = (0, 0);
    for (c, unit) in units {
        for period in periods {
            let r = c
                .get(&format!(
                    "/export/moj-hgcs-cases.xlsx?unit={unit}&period={period}"
                ))
                .await;
            if r.status == StatusCode::NOT_FOUND {
                // A unit created by the 1 July 2025 reform does not exist on 31 May 2025.
                assert_eq!(period, "2025-H1", "{unit}");
                assert_eq!(r.code(), "not_found");
                absent += 1;
                continue;
            }
            assert_eq!(r.status, StatusCode::OK, "{unit} {period}: {}", r.text());
            let ctx = format!("{unit} {period}");
            let api = c
                .get(&format!("/api/v1/aggregates?unit={unit}&period={period}"))
                .await
                .json();
            assert_cases_form_balances(&r.body, &api, &ctx);
            checked += 1;
        }
    }
    assert_eq!(checked + absent, units.len() * periods.len());
    assert!(absent <= 2, "only new units are absent before the reform");
}

#[tokio::test]
async fn teams_form_has_its_header_columns_and_a_row_per_unit() {
    let d = dash().await;
    let c = Client::login(&d.router, COMMUNE).await;
    let r = c
        .get(&format!(
            "/export/moj-hgcs-teams.xlsx?unit={HOA_BINH}&period=2025-YP"
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let f = Form::read(&r.body, TEAMS);
    assert_eq!(f.s(0, 0), "Biểu số: 11a/BTP/PBGDPL/HGCS");
    assert_eq!(f.s(0, 1), "SỐ TỔ HÒA GIẢI VÀ HÒA GIẢI VIÊN Ở CƠ SỞ");
    assert!(f.s(2, 1).contains("đến ngày 31/10/2025"), "{}", f.s(2, 1));
    assert!(f.any_cell("Đơn vị tính: Tổ, người"));
    let numbers: Vec<String> = std::iter::once("A".to_string())
        .chain((1..=13).map(|n| format!("({n})")))
        .collect();
    assert_eq!(f.columns(), numbers);
    let nr = f.numbering_row();
    assert_eq!(f.s(nr - 1, f.col(4)), "Nam");
    assert_eq!(f.s(nr - 1, f.col(5)), "Nữ");
    assert_eq!(f.s(nr - 2, f.col(3)), "Tổng số hòa giải viên (người)");
    // One row per village of Hòa Bình on the cut-off, then the total; all balanced.
    let api = c
        .get(&format!(
            "/api/v1/aggregates?unit={HOA_BINH}&period=2025-YP"
        ))
        .await
        .json();
    let villages = api["children"].as_array().unwrap().len() as u32;
    let rows = f.rows("Tổng cộng");
    assert_eq!(rows.end - rows.start, villages);
    for row in rows.chain(std::iter::once(f.row_of("Tổng cộng"))) {
        let v = |n: u16| f.n(row, f.col(n));
        assert_eq!(v(3), v(4) + v(5));
        assert_eq!(v(3), v(6) + v(7));
        assert_eq!(v(3), v(8) + v(9));
    }
    assert!(f.any_cell("NGƯỜI LẬP BIỂU"));
    assert!(f.any_cell("THỦ TRƯỞNG ĐƠN VỊ"));
}

#[tokio::test]
async fn exports_obey_scope() {
    let d = dash().await;
    let c = Client::login(&d.router, OTHER_COMMUNE).await;
    for path in [
        "mediation-moj.xlsx",
        "moj-hgcs-cases.xlsx",
        "moj-hgcs-teams.xlsx",
    ] {
        let r = c
            .get(&format!("/export/{path}?unit={HOA_BINH}&period={PERIOD}"))
            .await;
        assert_eq!(r.code(), "out_of_scope", "{path}");
    }
    let r = c
        .get(&format!("/export/mediation.csv?unit=31&period={PERIOD}"))
        .await;
    assert_eq!(r.code(), "out_of_scope");
}

/// Teams and mediators entered through the registry API reach the form, balanced.
#[tokio::test]
async fn teams_form_counts_the_registry_by_hand() {
    let d = dash().await;
    let c = Client::login(&d.router, COMMUNE).await;
    let team = |name: &str, village: &str, on: &str| serde_json::json!({"name": name, "village": village, "established_on": on});
    let mediator = |team: &str,
                    role: &str,
                    sex: &str,
                    minority: bool,
                    legal: &str,
                    trained: bool,
                    from: &str| {
        serde_json::json!({
            "full_name": "Hòa giải viên", "sex": sex,
            "ethnicity": if minority { "Tày" } else { "Kinh" },
            "ethnic_minority": minority, "legal_qualification": legal, "trained": trained,
            "team_id": team, "role": role, "from": from
        })
    };
    let mut ids = Vec::new();
    for (name, village, on) in [
        ("Tổ 1", "11533-T01", "2020-01-01"),
        ("Tổ 2", "11533-T02", "2025-08-01"),
    ] {
        let r = c
            .post_json("/api/v1/teams", team(name, village, on), Some(&c.csrf))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        ids.push(r.json()["id"].as_str().unwrap().to_string());
    }
    for m in [
        // T01: a woman of the Tày people with a legal diploma, trained, leader since 2020;
        mediator(
            &ids[0],
            "leader",
            "female",
            true,
            "legal_intermediate",
            true,
            "2020-01-01",
        ),
        // a man, Kinh, no legal diploma, not trained, recognised 1 March 2025;
        mediator(
            &ids[0],
            "member",
            "male",
            false,
            "none",
            false,
            "2025-03-01",
        ),
        // T02: a woman, Kinh, trained, leader, recognised 1 August 2025.
        mediator(
            &ids[1],
            "leader",
            "female",
            false,
            "none",
            true,
            "2025-08-01",
        ),
    ] {
        let r = c.post_json("/api/v1/mediators", m, Some(&c.csrf)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    }
    let r = c
        .get(&format!(
            "/export/moj-hgcs-teams.xlsx?unit={HOA_BINH}&period=2025-YP"
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let f = Form::read(&r.body, TEAMS);
    let row = |name: &str| -> Vec<f64> {
        let r = f.row_of(name);
        (1..=13).map(|n| f.n(r, f.col(n))).collect()
    };
    // 2025-YP (1 January – 31 October 2025), by hand:
    //   T01: 1 team (not new), 2 mediators = 1 man + 1 woman = 1 Kinh + 1 minority
    //        = 1 legal + 1 other; 1 leader, 1 trained, 1 recognised in the period, 0 left.
    //   T02: 1 team, new (established 1 August); 1 mediator (woman, Kinh), leader, trained, new.
    assert_eq!(
        row("Tổ dân phố số 1 (mẫu)"),
        [1., 0., 2., 1., 1., 1., 1., 1., 1., 1., 1., 1., 0.]
    );
    assert_eq!(
        row("Tổ dân phố số 2 (mẫu)"),
        [1., 1., 1., 0., 1., 1., 0., 0., 1., 1., 1., 1., 0.]
    );
    // Total = sum of the rows: 2 teams (1 new), 3 mediators = 1 + 2 = 2 + 1 = 1 + 2.
    assert_eq!(
        row("Tổng cộng"),
        [2., 1., 3., 1., 2., 2., 1., 1., 2., 2., 2., 2., 0.]
    );
}

/// The cases form `body` balances on every line: (1) = (2) + (3) = (4) + … + (7) = (8) + … +
/// (12), the rate (13) is (8) ÷ [(8) + (9)], the total row is the sum of the lines for every
/// column, it equals the API's totals (`api`: the report's JSON), and the category appendix
/// balances and agrees.
pub(crate) fn assert_cases_form_balances(body: &[u8], api: &serde_json::Value, ctx: &str) {
    let f = Form::read(body, CASES);
    let total = f.row_of("Tổng cộng");
    let width = f.columns().len() as u16 - 1;
    // A cell withheld above the commune (ADR 0012) reads "<k": its value is unknown here.
    let known = |f: &Form, r: u32, n: u16| -> Option<f64> {
        (!f.s(r, f.col(n)).starts_with('<')).then(|| f.n(r, f.col(n)))
    };
    let lines: Vec<u32> = f.rows("Tổng cộng").collect();
    for &row in lines.iter().chain(std::iter::once(&total)) {
        let v = |n: u16| known(&f, row, n).unwrap_or_else(|| panic!("{ctx}: ({n}) withheld"));
        let line = format!("{ctx} row {}", f.s(row, 0));
        assert_eq!(v(1), v(2) + v(3), "{line}: (1) = (2) + (3)");
        assert_eq!(v(1), (8..=12).map(v).sum::<f64>(), "{line}: results");
        let cats: Vec<Option<f64>> = (4..=7).map(|n| known(&f, row, n)).collect();
        let shown: f64 = cats.iter().flatten().sum();
        match cats.iter().filter(|c| c.is_none()).count() {
            0 => assert_eq!(v(1), shown, "{line}: categories"),
            // One withheld cell would be (1) minus the others: never alone.
            1 => panic!("{line}: a lone withheld category"),
            _ => assert!(shown <= v(1), "{line}: categories shown {shown} > {}", v(1)),
        }
        if v(8) + v(9) > 0.0 {
            let rate = (v(8) / (v(8) + v(9)) * 1000.0).round() / 10.0;
            assert_eq!(v(13), rate, "{line}: rate");
        }
    }
    for n in (1..=width).filter(|n| *n != 13) {
        let cells: Vec<Option<f64>> = lines.iter().map(|r| known(&f, *r, n)).collect();
        let sum: f64 = cells.iter().flatten().sum();
        let withheld = cells.iter().filter(|c| c.is_none()).count();
        // Withheld cells of a column come at least in pairs, the total's included.
        let total_withheld = usize::from(known(&f, total, n).is_none());
        assert_ne!(
            withheld + total_withheld,
            1,
            "{ctx}: a lone withheld cell in column ({n})"
        );
        match known(&f, total, n) {
            Some(t) if withheld == 0 => assert_eq!(t, sum, "{ctx}: total of ({n})"),
            // The unit's own figure: at least what the lines show.
            Some(t) => assert!(t >= sum, "{ctx}: total of ({n}) {t} < {sum} shown"),
            None => {}
        }
    }
    let t = &api["totals"]["mediation"];
    assert_eq!(f.n(total, f.col(1)), t["total"].as_f64().unwrap(), "{ctx}");
    assert_eq!(
        f.n(total, f.col(14)),
        t["out_of_scope"].as_f64().unwrap(),
        "{ctx}"
    );
    let a = Form::read(body, CATEGORIES);
    let at = a.row_of("Tổng cộng");
    for row in a.rows("Tổng cộng").chain(std::iter::once(at)) {
        if a.s(row, a.col(1)).starts_with('<') {
            // A withheld category: every figure of its line is.
            assert!(
                (2..=3).all(|n| a.s(row, a.col(n)).starts_with('<')),
                "{ctx}"
            );
            continue;
        }
        let v = |n: u16| a.n(row, a.col(n));
        assert_eq!(v(1), v(2) + v(3), "{ctx} {}", a.s(row, 0));
        assert_eq!(v(1), (8..=12).map(v).sum::<f64>(), "{ctx} {}", a.s(row, 0));
    }
    for n in [1, 2, 3, 8, 9, 10, 11, 12] {
        assert_eq!(
            a.n(at, a.col(n)),
            f.n(total, f.col(n)),
            "{ctx} appendix ({n})"
        );
    }
}
