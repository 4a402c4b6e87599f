//! The city officer's view (issue 16, ADR 0015): the attention list and the commune table of
//! `/dashboard?unit=31`, their figures, and the table's sort and filter through query
//! parameters (no JavaScript). On SQLite and, when `DANVAN_TEST_DATABASE_URL` is set, on
//! PostgreSQL.
//!
//! The dataset: mediation cases of six of Hải Phòng's 114 communes in August and September
//! 2025, each closed in the month it was received (so nothing is carried over) unless said
//! otherwise; one inspection recommendation and one petition.
//!
//! | commune | Aug: received / mediated / successful | Sep: received / mediated / successful |
//! |---|---|---|
//! | A Phường Hòa Bình 11533 | 10 / 10 / 9 | 10 / 10 / 9 (90 %) |
//! | B Phường Thủy Nguyên 11560 | 5 / 5 / 4 | 5 / 5 / 4 (80 %) |
//! | C Xã An Hưng 11674 | 5 / 5 / 4 | 5 / 5 / 4 (80 %) |
//! | D Phường Thành Đông 10507 | 5 / 5 / 4 (80 %) | 5 / 5 / 1 (20 %) |
//! | E Phường Hải Dương 10525 | 2 / 2 / 2 | 12 / 0 / 0, all 12 still in progress |
//! | F Phường Lê Thanh Nghị 10532 | 5 / 5 / 3 | 5 / 5 / 3 (60 %) |
//!
//! - E also received 3 cases in July 2025 (closed successful on the 20th) and one case on 2
//!   July found out of scope on the 10th: July's point of its sparkline is 3 (out of scope is
//!   not a mediation case), read by the light rule of the earlier periods.
//! - B: an inspection activity whose recommendation was due 2025-09-15 and is unanswered:
//!   1 recommendation overdue at the September cut-off.
//! - C: a petition received 2025-09-02, not accepted, acceptance due 2025-09-12: 1 petition
//!   overdue.
//! - A locked September today, after the deadline: late. Every other commune has not locked
//!   and the deadline has passed: missing.
//!
//! The attention rules (ADR 0015), worked by hand for September:
//! - median success rate over communes with at least 5 mediated cases: A 0.9, B 0.8, C 0.8,
//!   D 0.2, F 0.6 → sorted 0.2, 0.6, 0.8, 0.8, 0.9 → median 0.8 (E has no mediated case);
//! - D: 0.8 − 0.2 = 0.6 ≥ 0.25 below the median; 0.8 → 0.2 moved 60 points ≥ 20: two reasons;
//!   F: 0.8 − 0.6 = 0.2 < 0.25, not far enough;
//! - E: received 2 → 12, +10 ≥ 5 cases and ≥ 50 % of 2: moved sharply;
//! - weights: missing 3, overdue 2, late / moved / below median 1 each. B = 3 + 2 = 5,
//!   C = 3 + 2 = 5, D = 3 + 1 + 1 = 5, E = 3 + 1 = 4, A = 1. Ties by name folded ("phuong
//!   thanh dong" < "phuong thuy nguyen" < "xa an hung"): D, B, C, E, A;
//! - every other commune (114 − 5 = 109, F among them) has only "missing": more than 5, so they
//!   are one line linking to `status=missing`; 114 communes need attention in all.
//!
//! The table for September: received E 12, A 10, B C D F 5, others 0; success rate as above;
//! in progress E 12, others 0; recommendations overdue B 1; petitions overdue C 1; dialogues
//! missing 0 everywhere (the default two dialogues a year, pro rata over 30 days, round to 0:
//! (2 · 30 · 2 + 365) / 730 = 0).

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use danvan_core::RecordKind;
use danvan_core::facts::{Fact, Flow};
use danvan_server::roles::Role;
use danvan_server::state::AppState;
use danvan_server::storage::Storage;
use danvan_server::{ServerConfig, app};

use crate::dash::{CITY, COMMUNE, Client, HOA_BINH, THUY_NGUYEN};
use crate::support::{both_backends, haiphong, test_fact};

both_backends!(
    attention_list_names_each_reason_in_order,
    commune_table_figures_are_the_hand_computed_ones,
    sort_and_filter_work_without_javascript
);

const AN_HUNG: &str = "11674";
const THANH_DONG: &str = "10507";
const HAI_DUONG: &str = "10525";
const LE_THANH_NGHI: &str = "10532";
const SEPT: &str = "/dashboard?unit=31&period=2025-09";

fn dn(s: &str) -> f64 {
    f64::from(chrono::Datelike::num_days_from_ce(
        &s.parse::<chrono::NaiveDate>().unwrap(),
    ))
}

/// `received` cases of `commune` received on `month`-02; the first `successful` closed
/// successful on `month`-20, the next `mediated − successful` unsuccessful, the rest open.
fn cases(
    first: u128,
    commune: &str,
    month: &str,
    (received, mediated, successful): (u128, u128, u128),
) -> Vec<Fact> {
    let recv = format!("{month}-02");
    let done = format!("{month}-20");
    (0..received)
        .map(|i| {
            let mut h = vec![("received", recv.as_str())];
            if i < successful {
                h.push(("successful", done.as_str()));
            } else if i < mediated {
                h.push(("unsuccessful", done.as_str()));
            }
            test_fact(
                0x16_0000 + first + i,
                RecordKind::Mediation,
                commune,
                &recv,
                &recv,
                &h,
            )
        })
        .collect()
}

fn facts() -> Vec<Fact> {
    let mut v = Vec::new();
    for (n, code, aug, sep) in [
        (0, HOA_BINH, (10, 10, 9), (10, 10, 9)),
        (100, THUY_NGUYEN, (5, 5, 4), (5, 5, 4)),
        (200, AN_HUNG, (5, 5, 4), (5, 5, 4)),
        (300, THANH_DONG, (5, 5, 4), (5, 5, 1)),
        (400, HAI_DUONG, (2, 2, 2), (12, 0, 0)),
        (500, LE_THANH_NGHI, (5, 5, 3), (5, 5, 3)),
    ] {
        v.extend(cases(n, code, "2025-08", aug));
        v.extend(cases(n + 50, code, "2025-09", sep));
    }
    v.extend(cases(600, HAI_DUONG, "2025-07", (3, 3, 3)));
    v.push(test_fact(
        0x16_0700,
        RecordKind::Mediation,
        HAI_DUONG,
        "2025-07-02",
        "2025-07-02",
        &[("received", "2025-07-02"), ("out_of_scope", "2025-07-10")],
    ));
    let mut insp = test_fact(
        0x16_1000,
        RecordKind::Inspection,
        THUY_NGUYEN,
        "2025-09-01",
        "2025-09-01",
        &[("in_progress", "2025-09-01")],
    );
    insp.flows = vec![Flow::new(
        "recommendation_sent",
        danvan_core::model::common::Date("2025-09-05".parse().unwrap()),
        1.0,
    )];
    insp.measures = vec![
        ("recommendation_due_day".into(), dn("2025-09-15")),
        ("recommendation_answered_day".into(), -1.0),
    ];
    v.push(insp);
    let mut pet = test_fact(
        0x16_2000,
        RecordKind::Petition,
        AN_HUNG,
        "2025-09-02",
        "2025-09-02",
        &[("received", "2025-09-02")],
    );
    pet.subtype = Some("land".into());
    pet.measures = vec![
        ("accept_due_day".into(), dn("2025-09-12")),
        ("resolve_due_day".into(), dn("2025-10-30")),
    ];
    v.push(pet);
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
    let state = AppState::new(s.clone(), units, ServerConfig::default());
    let sept = state.aggregator.periods().period("2025-09").unwrap();
    state
        .aggregator
        .lock_period(HOA_BINH, &sept, "thu.hoabinh")
        .await
        .unwrap();
    app(state)
}

/// The part of the page from `start` to the next `end`.
fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let i = html.find(start).unwrap_or_else(|| panic!("no {start}"));
    let rest = &html[i..];
    &rest[..rest.find(end).unwrap_or(rest.len())]
}

/// The communes of the table's body, in order.
fn table_units(html: &str) -> Vec<String> {
    let body = between(html, "id=\"communes-table\"", "</tbody>");
    body.split("<tr data-unit=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_string())
        .collect()
}

/// The attention list's lines: (commune or "", reason codes).
fn attention(html: &str) -> Vec<(String, Vec<String>)> {
    let list = between(html, "id=\"attention-list\"", "</ul>");
    list.split("<li")
        .skip(1)
        .map(|li| {
            let unit = li
                .strip_prefix(" data-unit=\"")
                .map(|s| s.split('"').next().unwrap().to_string())
                .unwrap_or_default();
            let reasons = li
                .split("data-reason=\"")
                .skip(1)
                .map(|s| s.split('"').next().unwrap().to_string())
                .collect();
            (unit, reasons)
        })
        .collect()
}

/// A cell of a commune's line: (shown text without tags, `data-v`).
fn cell(html: &str, unit: &str, indicator: &str) -> (String, String) {
    let row = between(html, &format!("<tr data-unit=\"{unit}\""), "</tr>");
    let td = between(row, &format!("data-indicator=\"{indicator}\""), "</td>");
    let v = td
        .split("data-v=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let mut inner = &td[td.find('>').unwrap() + 1..];
    if let Some(end) = inner.find("</svg>") {
        inner = &inner[end + "</svg>".len()..];
    }
    let mut text = String::new();
    let mut in_tag = false;
    for c in inner.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    (text.trim().to_string(), v)
}

async fn attention_list_names_each_reason_in_order(st: Arc<dyn Storage>) {
    let router = app_on(&st).await;
    let city = Client::login(&router, CITY).await;
    let r = city.get(SEPT).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let html = r.text();
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    assert_eq!(
        attention(&html),
        [
            (
                THANH_DONG.to_string(),
                s(&["missing", "success_rate_moved", "success_rate_below_median"])
            ),
            (
                THUY_NGUYEN.to_string(),
                s(&["missing", "recommendations_overdue"])
            ),
            (AN_HUNG.to_string(), s(&["missing", "petitions_overdue"])),
            (HAI_DUONG.to_string(), s(&["missing", "received_moved"])),
            (HOA_BINH.to_string(), s(&["late"])),
            (String::new(), s(&["missing"])),
        ]
    );
    let list = between(&html, "id=\"attention-list\"", "</ul>");
    // Each line says why, in words, and links to the commune.
    assert!(
        list.contains("1 kiến nghị quá hạn chưa được trả lời"),
        "{list}"
    );
    assert!(list.contains("1 đơn thư quá hạn"));
    assert!(list.contains("vụ việc hòa giải tăng mạnh: 2 → 12"));
    assert!(list.contains("tỷ lệ hòa giải thành thay đổi mạnh: 80,0% → 20,0%"));
    assert!(list.contains("tỷ lệ hòa giải thành 20,0%, thấp xa trung vị thành phố 80,0%"));
    assert!(list.contains("gửi báo cáo muộn"));
    assert!(
        list.contains("href=\"/dashboard?unit=11560&#38;period=2025-09\"")
            || list.contains("href=\"/dashboard?unit=11560&period=2025-09\"")
    );
    assert!(
        list.contains(">109 xã</a>"),
        "109 communes only missing, one line"
    );
    assert!(html.contains("id=\"attention-count\">(114)<"));
    // Nothing below the commune: no village anywhere in the table or the list.
    assert!(
        !html.contains("data-unit=\"11533-T"),
        "a village line above the commune"
    );
    // The commune officer's own page has no commune table.
    let hb = Client::login(&router, COMMUNE).await;
    let own = hb
        .get(&format!("/dashboard?unit={HOA_BINH}&period=2025-09"))
        .await;
    assert_eq!(own.status, StatusCode::OK);
    assert!(!own.text().contains("id=\"communes-table\""));
    // English.
    let en = city.get(&format!("{SEPT}&lang=en")).await.text();
    assert!(en.contains("1 recommendation(s) overdue, unanswered"));
    assert!(en.contains("mediation cases rose sharply: 2 → 12"));
}

async fn commune_table_figures_are_the_hand_computed_ones(st: Arc<dyn Storage>) {
    let router = app_on(&st).await;
    let city = Client::login(&router, CITY).await;
    let html = city.get(SEPT).await.text();
    assert_eq!(table_units(&html).len(), 114, "every commune once");
    let c = |u: &str, k: &str| cell(&html, u, k);
    let t = |a: &str, b: &str| (a.to_string(), b.to_string());
    // (unit, received, success rate, in progress, recommendations overdue, petitions overdue)
    for (unit, recv, rate, open, recs, pets) in [
        (HOA_BINH, "10", t("90,0% = 0,0%", "0.9"), "0", "0", "0"),
        (THUY_NGUYEN, "5", t("80,0% = 0,0%", "0.8"), "0", "1", "0"),
        (AN_HUNG, "5", t("80,0% = 0,0%", "0.8"), "0", "0", "1"),
        (THANH_DONG, "5", t("20,0% ▼ 60,0%", "0.2"), "0", "0", "0"),
        (HAI_DUONG, "12", t("–", ""), "12", "0", "0"),
        (LE_THANH_NGHI, "5", t("60,0% = 0,0%", "0.6"), "0", "0", "0"),
    ] {
        assert_eq!(c(unit, "mediation.received"), t(recv, recv), "{unit}");
        assert_eq!(c(unit, "mediation.success_rate"), rate, "{unit}");
        assert_eq!(c(unit, "mediation.in_progress"), t(open, open), "{unit}");
        assert_eq!(c(unit, "inspection.overdue"), t(recs, recs), "{unit}");
        assert_eq!(c(unit, "petitions.overdue"), t(pets, pets), "{unit}");
        assert_eq!(c(unit, "dialogues.missing"), t("0", "0"), "{unit}");
    }
    // Trend: the change in cases received against August, and a sparkline of six months.
    assert_eq!(c(HAI_DUONG, "mediation.received_change"), t("▲ 10", "10"));
    assert_eq!(c(HOA_BINH, "mediation.received_change"), t("= 0", "0"));
    let spark = between(&html, &format!("<tr data-unit=\"{HAI_DUONG}\""), "</tr>");
    assert!(spark.contains("<svg class=\"spark\""));
    assert_eq!(spark.matches("<polyline").count(), 1);
    // Its title holds the six months' figures, April to September.
    assert!(spark.contains("<title>Tháng 4/2025: 0; Tháng 5/2025: 0; Tháng 6/2025: 0; Tháng 7/2025: 3; Tháng 8/2025: 2; Tháng 9/2025: 12</title>"), "{spark}");
    // The light rule of the earlier periods counts as the full one: July's report says 3.
    let july = city
        .get(&format!(
            "/api/v1/aggregates?unit={HAI_DUONG}&period=2025-07"
        ))
        .await
        .json();
    assert_eq!(july["totals"]["mediation"]["received"], 3, "{july}");
    assert_eq!(july["totals"]["mediation"]["out_of_scope"], 1);
    // Report status.
    assert_eq!(c(HOA_BINH, "report.status").0, "Muộn");
    assert_eq!(c(THUY_NGUYEN, "report.status").0, "Chưa gửi");
    // The same figures as the API's rows (as the city officer sees them, ADR 0012).
    let api = city
        .get("/api/v1/aggregates?unit=31&period=2025-09")
        .await
        .json();
    let row = api["children"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["unit"]["code"] == HAI_DUONG)
        .unwrap();
    assert_eq!(row["indicators"]["mediation"]["received"], 12);
    assert_eq!(row["indicators"]["mediation"]["in_progress"], 12);
}

async fn sort_and_filter_work_without_javascript(st: Arc<dyn Storage>) {
    let router = app_on(&st).await;
    let city = Client::login(&router, CITY).await;
    let units =
        |html: &str, n: usize| -> Vec<String> { table_units(html).into_iter().take(n).collect() };
    // Success rate, largest first by default; undefined rates last; ties by name.
    let html = city.get(&format!("{SEPT}&sort=success_rate")).await.text();
    assert_eq!(
        units(&html, 5),
        [HOA_BINH, THUY_NGUYEN, AN_HUNG, LE_THANH_NGHI, THANH_DONG]
    );
    assert!(html.contains("data-sort=\"success_rate\" aria-sort=\"descending\""));
    let html = city
        .get(&format!("{SEPT}&sort=success_rate&dir=asc"))
        .await
        .text();
    assert_eq!(
        units(&html, 5),
        [THANH_DONG, LE_THANH_NGHI, THUY_NGUYEN, AN_HUNG, HOA_BINH]
    );
    // The active heading's link reverses the order (largest first is the default, so no
    // `dir`); the others sort by their own column.
    assert!(html.contains(
        "data-sort=\"success_rate\" aria-sort=\"ascending\" class=\"num\"><a href=\"/dashboard?unit=31&#38;period=2025-09&#38;sort=success_rate#communes\""
    ));
    let html = city.get(&format!("{SEPT}&sort=received")).await.text();
    assert_eq!(
        units(&html, 6),
        [
            HAI_DUONG,
            HOA_BINH,
            LE_THANH_NGHI,
            THANH_DONG,
            THUY_NGUYEN,
            AN_HUNG
        ]
    );
    // Search by name, with or without marks.
    for q in ["hoa%20binh", "H%C3%B2a%20B%C3%ACnh", "HOA+BINH"] {
        let html = city.get(&format!("{SEPT}&q={q}")).await.text();
        let found = table_units(&html);
        assert!(found.contains(&HOA_BINH.to_string()), "{q}: {found:?}");
        assert!(found.len() < 114, "{q}: the filter narrows");
        assert!(html.contains(&format!("Hiển thị {}/114 xã, phường", found.len())));
    }
    // By report status, and only communes needing attention.
    let html = city.get(&format!("{SEPT}&status=late&q=hoa")).await.text();
    assert_eq!(table_units(&html), [HOA_BINH]);
    // The language switch keeps them too.
    assert!(html.contains(
        "id=\"lang-switch\" href=\"/dashboard?unit=31&#38;period=2025-09&#38;q=hoa&#38;status=late&#38;lang=en\""
    ));
    // The heading links keep the filter.
    assert!(html.contains(
        "<a href=\"/dashboard?unit=31&#38;period=2025-09&#38;sort=received&#38;q=hoa&#38;status=late#communes\""
    ));
    let html = city
        .get(&format!("{SEPT}&status=missing&q=x%C3%A3+an+hung"))
        .await
        .text();
    assert_eq!(table_units(&html), [AN_HUNG]);
    let html = city.get(&format!("{SEPT}&attention=1")).await.text();
    assert_eq!(
        table_units(&html).len(),
        114,
        "every commune is late or missing"
    );
    // A period whose deadline has not come (June 2030): no report is missing yet, and what is
    // overdue stays overdue (stocks read at the cut-off): Thủy Nguyên's recommendation and An
    // Hưng's petition. The attention filter keeps exactly those two, by name.
    let html = city
        .get("/dashboard?unit=31&period=2030-06&attention=1")
        .await
        .text();
    let lines: Vec<String> = attention(&html).into_iter().map(|l| l.0).collect();
    assert_eq!(lines, [THUY_NGUYEN, AN_HUNG]);
    assert_eq!(table_units(&html), [THUY_NGUYEN, AN_HUNG]);
    assert!(html.contains("Hiển thị 2/114 xã, phường"));
    // Nothing matches: the table says so.
    let html = city.get(&format!("{SEPT}&q=zzzz")).await.text();
    assert!(table_units(&html).is_empty());
    assert!(
        html.contains("<p id=\"communes-empty\">"),
        "says nothing matched"
    );
    // Parameters not understood fall back to the defaults: by name, whole table, 200.
    let long = "x".repeat(5000);
    let r = city
        .get(&format!(
            "{SEPT}&sort=%3Cscript%3E&dir=sideways&attention=maybe&status=gone&q=%00{long}"
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        table_units(&r.text()).is_empty(),
        "the cut search matches nothing"
    );
    let r = city
        .get(&format!(
            "{SEPT}&sort=%3Cscript%3E&dir=sideways&status=gone"
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let html = r.text();
    assert!(!html.contains("<script>"));
    let all = table_units(&html);
    assert_eq!(all.len(), 114);
    let mut by_name = all.clone();
    by_name.sort_by_key(|u| {
        let row = between(&html, &format!("<tr data-unit=\"{u}\""), "</th>");
        row.split("data-v=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .to_string()
    });
    assert_eq!(all, by_name, "default order: by name");
    // A bad period is still a 400, not a 500.
    let r = city
        .get("/dashboard?unit=31&period=2025-13&sort=received")
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}
