//! Small cells above the commune (issue 11 item 14, ADR 0012): a city officer sees no village
//! and no small breakdown cell of a commune, on every page, API answer and export that carries
//! them; the commune officer sees the same figures whole. On SQLite and, when
//! `DANVAN_TEST_DATABASE_URL` is set, on PostgreSQL.
//!
//! The dataset (threshold k = 3, so counts 1 and 2 are small), all received in September 2025
//! and still open:
//!
//! | commune | conflict (path) | civil (land boundary) | marriage (spouses) | minor (scuffle) | sum |
//! |---|---|---|---|---|---|
//! | Hòa Bình 11533 (village T01) | 2 | 5 | 1 | 1 | 9 |
//! | Thủy Nguyên 11560 (village T01) | 1 | 1 | 0 | 0 | 2 |
//! | An Hưng 11674 (village T02) | 4 | 3 | 0 | 0 | 7 |
//! | city 31 | 7 | 9 | 1 | 1 | 18 |
//!
//! Mediation by category, worked by hand (codes in the order civil, conflict, marriage_family,
//! minor_violation):
//! - primary: Hòa Bình's 2, 1, 1 (conflict, marriage, minor); Thủy Nguyên's whole row (its
//!   sum 2 < 3: all four codes, zeros included); the city's 1 and 1 (marriage, minor);
//! - the civil column then holds one hidden cell (Thủy Nguyên): the smallest other non-zero
//!   one goes, An Hưng's 3 (not Hòa Bình's 5); An Hưng's row then holds one: its smallest
//!   other non-zero cell goes, conflict 4;
//! - nothing is left alone: civil {TN, AH}, conflict {HB, TN, AH}, marriage and minor {HB, TN,
//!   city}. Shown: Hòa Bình's civil 5, the city's conflict 7 and civil 9.
//!
//! Subtypes follow the same pattern (one subtype per category here). Thủy Nguyên's row hides
//! all 14 subtype codes, since a small row hides its zeros too. The 10 codes no commune has
//! are columns whose city total is a shown 0: known zeros, nothing to protect.
//!
//! Petitions by type (received in September 2025): Hòa Bình 1 complaint and 5
//! recommendations, An Hưng 4 recommendations and 3 reflections; city 1, 9, 3 (sum 13).
//! - primary: Hòa Bình's complaint 1, the city's complaint 1;
//! - Hòa Bình's row holds one: recommendation 5 goes (reflection is 0); the city's row holds
//!   one: its smallest other non-zero, reflection 3;
//! - the recommendation column holds one (Hòa Bình): An Hưng's 4, whose row then loses
//!   reflection 3.
//! - Shown: the city's recommendation 9; everything else of the two communes is withheld.
//!
//! Cells withheld in the city's September report: 38 in all.
//! - by category: 3 + 4 + 2 + 2 = 11;
//! - by subtype: 3 + 14 + 2 + 2 = 21;
//! - by type: 2 + 2 + 2 = 6.

use std::io::Cursor;
use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use calamine::{Data, Reader, Xlsx};
use danvan_core::RecordKind;
use danvan_core::facts::Fact;
use danvan_server::roles::Role;
use danvan_server::state::AppState;
use danvan_server::storage::Storage;
use danvan_server::{ServerConfig, app};
use serde_json::Value;

use crate::dash::{CITY, COMMUNE, Client, HOA_BINH, THUY_NGUYEN};
use crate::support::{both_backends, haiphong, test_fact};

both_backends!(
    a_city_officer_sees_no_village_and_no_small_cell,
    the_forms_and_the_mass_report_withhold_the_same_cells
);

const AN_HUNG: &str = "11674";
const K: u64 = 3;

/// `n` mediation facts of one category and subtype in `village`, received 2025-09-`day`.
fn cases(first: u128, village: &str, (cat, sub): (&str, &str), n: u128) -> Vec<Fact> {
    (0..n)
        .map(|i| {
            let day = format!("2025-09-{:02}", 2 + i);
            let mut f = test_fact(
                0x5_0000 + first + i,
                RecordKind::Mediation,
                village,
                &day,
                &day,
                &[("received", day.as_str())],
            );
            f.category = Some(cat.into());
            f.subtype = Some(sub.into());
            f
        })
        .collect()
}

/// `n` petitions of one type in `commune`, received in September 2025, subject land.
fn petitions(first: u128, commune: &str, ty: &str, n: u128) -> Vec<Fact> {
    (0..n)
        .map(|i| {
            let day = format!("2025-09-{:02}", 10 + i);
            let mut f = test_fact(
                0x6_0000 + first + i,
                RecordKind::Petition,
                commune,
                &day,
                &day,
                &[("received", day.as_str())],
            );
            f.category = Some(ty.into());
            f.subtype = Some("land".into());
            f
        })
        .collect()
}

fn facts() -> Vec<Fact> {
    const CONFLICT: (&str, &str) = ("conflict", "path");
    const CIVIL: (&str, &str) = ("civil", "land_boundary");
    let mut v = Vec::new();
    v.extend(cases(0, "11533-T01", CONFLICT, 2));
    v.extend(cases(10, "11533-T01", CIVIL, 5));
    v.extend(cases(20, "11533-T01", ("marriage_family", "spouses"), 1));
    v.extend(cases(30, "11533-T01", ("minor_violation", "scuffle"), 1));
    v.extend(cases(40, "11560-T01", CONFLICT, 1));
    v.extend(cases(50, "11560-T01", CIVIL, 1));
    v.extend(cases(60, "11674-T02", CONFLICT, 4));
    v.extend(cases(70, "11674-T02", CIVIL, 3));
    v.extend(petitions(0, HOA_BINH, "complaint", 1));
    v.extend(petitions(10, HOA_BINH, "recommendation", 5));
    v.extend(petitions(20, AN_HUNG, "recommendation", 4));
    v.extend(petitions(30, AN_HUNG, "reflection", 3));
    v
}

async fn app_on(s: &Arc<dyn Storage>) -> Router {
    let units = haiphong(s.as_ref()).await;
    let tree = units.tree();
    for ((user, pw), role, unit) in [
        (CITY, Role::CityOfficer, "31"),
        (COMMUNE, Role::CommuneOfficer, HOA_BINH),
    ] {
        danvan_server::users::add_user(s.as_ref(), &tree, user, role, unit, pw)
            .await
            .unwrap();
    }
    s.insert_facts(&facts()).await.unwrap();
    let config = ServerConfig {
        small_cell_threshold: K,
        ..ServerConfig::default()
    };
    app(AppState::new(s.clone(), units, config))
}

/// A breakdown as `code → Some(count)`, `None` when withheld.
fn cells(list: &Value, field: &str) -> Vec<(String, Option<u64>)> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let withheld = c["suppressed"].as_bool().unwrap();
            let n = c[field].as_u64().unwrap();
            if withheld {
                assert_eq!(n, 0, "a withheld cell reads 0: {c}");
            }
            (
                c["code"].as_str().unwrap().to_string(),
                (!withheld).then_some(n),
            )
        })
        .collect()
}

fn row<'a>(report: &'a Value, code: &str) -> &'a Value {
    report["children"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["unit"]["code"] == code)
        .map(|r| &r["indicators"])
        .unwrap_or_else(|| panic!("no row {code}"))
}

fn s(code: &str, n: Option<u64>) -> (String, Option<u64>) {
    (code.to_string(), n)
}

async fn a_city_officer_sees_no_village_and_no_small_cell(st: Arc<dyn Storage>) {
    let router = app_on(&st).await;
    let city = Client::login(&router, CITY).await;
    let commune = Client::login(&router, COMMUNE).await;

    // The city's table: the hand-worked pattern (module header).
    let r = city.get("/api/v1/aggregates?unit=31&period=2025-09").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let report = r.json();
    assert_eq!(report["disclosure"]["threshold"], K);
    assert_eq!(report["disclosure"]["rows_hidden"], 0);
    assert_eq!(report["disclosure"]["suppressed_cells"], 38);
    let cat = |ind: &Value| cells(&ind["mediation"]["by_category"], "total");
    assert_eq!(
        cat(row(&report, HOA_BINH)),
        [
            s("civil", Some(5)),
            s("conflict", None),
            s("marriage_family", None),
            s("minor_violation", None)
        ]
    );
    assert_eq!(
        cat(row(&report, THUY_NGUYEN)),
        [
            s("civil", None),
            s("conflict", None),
            s("marriage_family", None),
            s("minor_violation", None)
        ]
    );
    assert_eq!(
        cat(row(&report, AN_HUNG)),
        [s("civil", None), s("conflict", None)]
    );
    assert_eq!(
        cat(&report["totals"]),
        [
            s("civil", Some(9)),
            s("conflict", Some(7)),
            s("marriage_family", None),
            s("minor_violation", None)
        ]
    );
    // A withheld category row reads 0 everywhere.
    let hb_conflict = &row(&report, HOA_BINH)["mediation"]["by_category"][1];
    for f in ["received", "carried_over", "total", "in_progress"] {
        assert_eq!(hb_conflict[f], 0, "{f}");
    }
    let sub = |ind: &Value| cells(&ind["mediation"]["by_subtype"], "count");
    assert_eq!(
        sub(row(&report, HOA_BINH)),
        [
            s("land_boundary", Some(5)),
            s("path", None),
            s("scuffle", None),
            s("spouses", None)
        ]
    );
    assert_eq!(
        sub(row(&report, AN_HUNG)),
        [s("land_boundary", None), s("path", None)]
    );
    let ty = |ind: &Value| cells(&ind["petitions"]["by_type"], "count");
    assert_eq!(
        ty(row(&report, HOA_BINH)),
        [s("complaint", None), s("recommendation", None)]
    );
    assert_eq!(
        ty(row(&report, AN_HUNG)),
        [s("recommendation", None), s("reflection", None)]
    );
    assert_eq!(
        ty(&report["totals"]),
        [
            s("complaint", None),
            s("recommendation", Some(9)),
            s("reflection", None)
        ]
    );
    // Headlines stay whole: 18 cases, 13 petitions; Hòa Bình 9.
    assert_eq!(report["totals"]["mediation"]["received"], 18);
    assert_eq!(report["totals"]["petitions"]["received"], 13);
    assert_eq!(row(&report, HOA_BINH)["mediation"]["received"], 9);
    // Subjects are all "land" and large: shown.
    assert_eq!(
        cells(&row(&report, HOA_BINH)["petitions"]["by_subject"], "count"),
        [s("land", Some(6))]
    );

    // A commune's own report: no village rows, the pattern of its row in the city's table.
    let r = city
        .get("/api/v1/aggregates?unit=11533&period=2025-09")
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let hb = r.json();
    let whole = commune
        .get("/api/v1/aggregates?unit=11533&period=2025-09")
        .await
        .json();
    let villages = whole["children"].as_array().unwrap().len() as u64;
    assert!(villages > 1, "Hòa Bình has villages");
    let lines = villages
        + u64::from(!whole["direct"].is_null())
        + whole["unallocated"].as_array().unwrap().len() as u64;
    assert_eq!(hb["children"].as_array().unwrap().len(), 0);
    assert!(hb["direct"].is_null());
    assert_eq!(hb["unallocated"].as_array().unwrap().len(), 0);
    assert_eq!(
        hb["disclosure"]["rows_hidden"], lines,
        "direct {} unallocated {}",
        whole["direct"], whole["unallocated"]
    );
    assert_eq!(cat(&hb["totals"]), cat(row(&report, HOA_BINH)));
    assert_eq!(sub(&hb["totals"]), sub(row(&report, HOA_BINH)));
    assert_eq!(ty(&hb["totals"]), ty(row(&report, HOA_BINH)));
    // 3 by category + 3 by subtype + 2 by type.
    assert_eq!(hb["disclosure"]["suppressed_cells"], 8);
    // The commune officer sees the same figures whole, villages and all.
    assert!(whole["disclosure"].is_null());
    assert_eq!(
        cat(&whole["totals"]),
        [
            s("civil", Some(5)),
            s("conflict", Some(2)),
            s("marriage_family", Some(1)),
            s("minor_violation", Some(1))
        ]
    );
    assert_eq!(
        ty(&whole["totals"]),
        [s("complaint", Some(1)), s("recommendation", Some(5))]
    );

    // A village: refused to the city officer, on the API, the page and the exports.
    for url in [
        "/api/v1/aggregates?unit=11533-T01&period=2025-09",
        "/api/v1/completeness?unit=11533-T01&period=2025-09",
        "/dashboard?unit=11533-T01&period=2025-09",
        "/export/mediation.csv?unit=11533-T01&period=2025-09",
        "/export/mediation-moj.xlsx?unit=11533-T01&period=2025-09",
    ] {
        let r = city.get(url).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{url}");
        assert_eq!(commune.get(url).await.status, StatusCode::OK, "{url}");
    }

    // The page: the notice, no link down to a village, the chart without the withheld
    // categories (Hòa Bình shows civil only).
    let page = city.get("/dashboard?unit=11533&period=2025-09").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("id=\"disclosure-note\""), "no notice");
    // The notice names the threshold ("<3", escaped).
    assert!(html.contains("&#60;3"), "the notice names the threshold");
    assert!(!html.contains("unit=11533-T01"), "a link down to a village");
    let own = commune
        .get("/dashboard?unit=11533&period=2025-09")
        .await
        .text();
    assert!(own.contains("unit=11533-T01") && !own.contains("id=\"disclosure-note\""));

    // The CSV: the commune's total line only, no village line.
    let csv = city
        .get("/export/mediation.csv?unit=11533&period=2025-09")
        .await
        .text();
    assert!(!csv.contains("11533-T01"), "{csv}");
    assert_eq!(csv.lines().count(), 2, "{csv}");
    let own = commune
        .get("/export/mediation.csv?unit=11533&period=2025-09")
        .await
        .text();
    assert!(own.contains("11533-T01"));
}

/// The sheet `name` of a workbook as rows of cells.
fn sheet(bytes: &[u8], name: &str) -> Vec<Vec<Data>> {
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes.to_vec())).unwrap();
    let range = wb.worksheet_range(name).unwrap();
    range.rows().map(<[Data]>::to_vec).collect()
}

fn num(d: &Data) -> Option<f64> {
    match d {
        Data::Float(f) => Some(*f),
        Data::Int(i) => Some(*i as f64),
        _ => None,
    }
}

async fn the_forms_and_the_mass_report_withhold_the_same_cells(st: Arc<dyn Storage>) {
    let router = app_on(&st).await;
    let city = Client::login(&router, CITY).await;

    // The Ministry's form 12 for the city, September: columns (1)–(3), (4)–(7) by category
    // (conflict, civil, marriage, minor), (8)–(12) results.
    let r = city
        .get("/export/mediation-moj.xlsx?unit=31&period=2025-09")
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let rows = sheet(&r.body, "Bieu 12 HGCS");
    let numbering = rows
        .iter()
        .position(|r| r.get(1).is_some_and(|c| *c == "(1)"))
        .unwrap();
    let col = |no: u16| {
        rows[numbering]
            .iter()
            .position(|c| c.to_string() == format!("({no})"))
            .unwrap()
    };
    let line = |label: &str| {
        rows.iter()
            .find(|r| r.first().is_some_and(|c| *c == label))
            .unwrap_or_else(|| panic!("no line {label}"))
    };
    let text = |r: &Vec<Data>, no: u16| r[col(no)].to_string();
    let hb = line("Phường Hòa Bình");
    assert_eq!(
        [4, 5, 6, 7].map(|n| text(hb, n)),
        ["<3", "5", "<3", "<3"],
        "Hòa Bình: conflict, civil, marriage, minor"
    );
    let tn = line("Phường Thủy Nguyên");
    assert_eq!([4, 5, 6, 7].map(|n| text(tn, n)), ["<3", "<3", "<3", "<3"]);
    let ah = line("Xã An Hưng");
    assert_eq!([4, 5, 6, 7].map(|n| text(ah, n)), ["<3", "<3", "0", "0"]);
    // Headline columns stay numbers and balance on every line: (1) = (2) + (3) =
    // (8) + … + (12).
    for l in [hb, tn, ah] {
        let v = |no: u16| num(&l[col(no)]).unwrap();
        assert_eq!(v(1), v(2) + v(3));
        assert_eq!(v(1), (8..=12).map(v).sum::<f64>());
    }
    assert_eq!(num(&hb[col(1)]), Some(9.0));
    // The total row: the city's own figures, not the sum of the shown cells: 18 cases,
    // conflict 7, civil 9, marriage and minor withheld; the withheld two add up to
    // 18 − 7 − 9 = 2.
    let total = line("Tổng cộng");
    assert_eq!(num(&total[col(1)]), Some(18.0));
    assert_eq!([4, 5, 6, 7].map(|n| text(total, n)), ["7", "9", "<3", "<3"]);
    assert!(
        rows.iter()
            .flatten()
            .any(|c| c.to_string().contains("\"<3\"")),
        "the footnote explains <3"
    );

    // The mass-mobilisation report of the second half of 2025: the city's table of
    // petitions by type (complaint withheld, recommendation 9, reflection withheld, total
    // 13) in the JSON, the .docx and the .xlsx.
    let r = city
        .get("/api/v1/reports/mass-mobilisation?unit=31&period=2025-H2")
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let json = r.json();
    let table = json["sections"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["blocks"].as_array().unwrap())
        .find(|b| {
            b["table"]["caption"]
                .as_str()
                .is_some_and(|c| c.contains("theo loại"))
        })
        .map(|b| &b["table"])
        .expect("the table of petitions by type");
    let by_label = |t: &Value, label: &str| -> String {
        t["rows"]
            .as_array()
            .unwrap()
            .iter()
            .chain(std::iter::once(&t["total"]))
            .find(|r| r[1]["text"] == label)
            .map(|r| r[2]["text"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("no row {label}"))
    };
    assert_eq!(by_label(table, "Khiếu nại"), "<3");
    assert_eq!(by_label(table, "Kiến nghị"), "9");
    assert_eq!(by_label(table, "Phản ánh"), "<3");
    assert_eq!(by_label(table, "Tổng cộng"), "13");
    assert!(table["note"].as_str().unwrap().contains("<3"));

    let docx = city
        .get("/reports/mass-mobilisation.docx?unit=31&period=2025-H2")
        .await;
    assert_eq!(docx.status, StatusCode::OK);
    let parsed = danvan_server::report::read_back(&docx.body).unwrap();
    let t = parsed
        .tables
        .iter()
        .find(|t| t.iter().any(|r| r.get(1).is_some_and(|c| c == "Kiến nghị")))
        .expect("the docx table by type");
    let cell = |label: &str| {
        t.iter()
            .find(|r| r.get(1).is_some_and(|c| c == label))
            .map(|r| r[2].clone())
            .unwrap()
    };
    assert_eq!(
        ["Khiếu nại", "Kiến nghị", "Phản ánh", "Tổng cộng"].map(cell),
        ["<3", "9", "<3", "13"]
    );

    let xlsx = city
        .get("/reports/mass-mobilisation.xlsx?unit=31&period=2025-H2")
        .await;
    assert_eq!(xlsx.status, StatusCode::OK);
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(xlsx.body.clone())).unwrap();
    let found = wb.sheet_names().into_iter().any(|name| {
        let range = wb.worksheet_range(&name).unwrap();
        let rows: Vec<Vec<String>> = range
            .rows()
            .map(|r| r.iter().map(ToString::to_string).collect())
            .collect();
        let get = |label: &str| {
            rows.iter()
                .find(|r| r.get(1).is_some_and(|c| c == label))
                .map(|r| r[2].clone())
        };
        get("Kiến nghị").as_deref() == Some("9")
            && get("Khiếu nại").as_deref() == Some("<3")
            && get("Phản ánh").as_deref() == Some("<3")
            && get("Tổng cộng").as_deref() == Some("13")
    });
    assert!(found, "no sheet with the table by type as withheld");

    // An Hưng's own report as the city officer: its row of the city's table (both withheld),
    // the total its own 7.
    let r = city
        .get("/api/v1/reports/mass-mobilisation?unit=11674&period=2025-H2")
        .await
        .json();
    let table = r["sections"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["blocks"].as_array().unwrap())
        .find(|b| {
            b["table"]["caption"]
                .as_str()
                .is_some_and(|c| c.contains("theo loại"))
        })
        .map(|b| b["table"].clone())
        .unwrap();
    assert_eq!(by_label(&table, "Kiến nghị"), "<3");
    assert_eq!(by_label(&table, "Phản ánh"), "<3");
    assert_eq!(by_label(&table, "Tổng cộng"), "7");
}
