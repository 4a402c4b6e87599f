//! "What was submitted" (issue 9): a commune locks a period, records change afterwards, and the
//! comparison shows per indicator the figure as locked, the figure now, the difference and the
//! records that explain it. The engine and storage run on SQLite and, when configured,
//! PostgreSQL; the API and the page (with their scope rules) on SQLite.

use std::sync::Arc;

use axum::http::StatusCode;
use danvan_core::RecordKind;
use danvan_core::facts::{Fact, FactStatus, Flow};
use danvan_core::model::common::Date;
use danvan_core::model::mediation::MediationCategory;
use danvan_server::Storage;
use danvan_server::aggregate::{
    Aggregator, AtLockState, PeriodsConfig, Submitted, SubmittedIndicator, short_id,
};

use crate::dash::{self, CITY, COMMUNE, Client, HOA_BINH, OTHER_COMMUNE, SECRETS, THUY_NGUYEN};
use crate::support::{both_backends, haiphong};

fn day(s: &str) -> Date {
    Date(s.parse().unwrap())
}

fn id(n: u128) -> String {
    uuid::Uuid::from_u128(n).to_string()
}

fn fact(n: u128, kind: RecordKind, unit: &str, main: &str, history: &[(&str, &str)]) -> Fact {
    crate::support::test_fact(n, kind, unit, main, main, history)
}

fn med(n: u128, unit: &str, main: &str, history: &[(&str, &str)]) -> Fact {
    fact(n, RecordKind::Mediation, unit, main, history)
}

/// Case A: received 5 July, mediated, closed successful on 20 August.
fn case_a() -> Fact {
    med(
        0xA,
        "11560-T01",
        "2025-07-05",
        &[
            ("received", "2025-07-05"),
            ("mediating", "2025-07-10"),
            ("successful", "2025-08-20"),
        ],
    )
}

/// Inspection activity I: started 15 July; 2 findings made on 20 July and, when `later`, 3 more
/// on 5 September (findings are flows: they count in the period they are made in).
fn activity_i(later: bool) -> Fact {
    let mut f = fact(
        0x1,
        RecordKind::Inspection,
        "11560",
        "2025-07-15",
        &[("in_progress", "2025-07-15")],
    );
    f.flows = vec![Flow::new("finding", day("2025-07-20"), 2.0)];
    if later {
        f.flows.push(Flow::new("finding", day("2025-09-05"), 3.0));
    }
    f
}

/// Thủy Đường (11560), third quarter of 2025 (1 Jul – 30 Sep, cut-off 30 Sep):
/// - A (civil): received 5 Jul, successful 20 Aug (46 days);
/// - B (civil): received 1 Aug, successful 10 Sep (40 days);
/// - C (marriage and family): received 1 Sep, still open;
/// - I: an inspection activity started 15 Jul, 2 findings on 20 Jul;
/// - F: a case of November (outside Q3); E: a case of An Lư (11533), another commune.
fn dataset() -> Vec<Fact> {
    let b = med(
        0xB,
        "11560",
        "2025-08-01",
        &[
            ("received", "2025-08-01"),
            ("mediating", "2025-08-05"),
            ("successful", "2025-09-10"),
        ],
    );
    let mut c = med(
        0xC,
        "11560-T01",
        "2025-09-01",
        &[("received", "2025-09-01")],
    );
    c.category = Some("marriage_family".into());
    let f = med(0xF, "11560", "2025-11-01", &[("received", "2025-11-01")]);
    let e = med(0xE, "11533", "2025-08-10", &[("received", "2025-08-10")]);
    vec![case_a(), b, c, activity_i(false), f, e]
}

async fn setup(storage: Arc<dyn Storage>) -> Aggregator {
    let units = haiphong(storage.as_ref()).await;
    storage.insert_facts(&dataset()).await.unwrap();
    Aggregator::new(storage, units, PeriodsConfig::default(), Default::default())
}

fn ind<'s>(s: &'s Submitted, key: &str) -> &'s SubmittedIndicator {
    s.indicators
        .iter()
        .find(|i| i.key == key)
        .unwrap_or_else(|| panic!("no indicator {key}"))
}

/// (locked, now, difference) of an indicator.
fn figures(s: &Submitted, key: &str) -> (Option<f64>, Option<f64>, Option<f64>) {
    let i = ind(s, key);
    (i.locked, i.now, i.difference)
}

/// The short ids of the records explaining an indicator, with their (locked, now) values.
fn explained(s: &Submitted, key: &str) -> Vec<(String, Option<f64>, Option<f64>)> {
    ind(s, key)
        .records
        .iter()
        .map(|e| (e.record.clone(), e.locked, e.now))
        .collect()
}

async fn locked_figures_now_and_the_records_that_explain_them(storage: Arc<dyn Storage>) {
    let agg = setup(Arc::clone(&storage)).await;
    let q3 = agg.periods().period("2025-Q3").unwrap();
    assert!(
        agg.submitted("11560", &q3).await.unwrap().is_none(),
        "nothing submitted before the lock"
    );
    agg.lock_period("11560", &q3, "canbo.thuyduong")
        .await
        .unwrap();

    // Right after the lock nothing differs and no record is listed.
    let s = agg.submitted("11560", &q3).await.unwrap().unwrap();
    assert_eq!(s.lock.locked_by, "canbo.thuyduong");
    assert!(s.records.is_empty());
    assert_eq!(s.changed_indicators(), 0);
    // As locked: A, B, C received; A, B successful; C in progress; 2 of 2 mediated successful.
    assert_eq!(
        figures(&s, "mediation.received"),
        (Some(3.0), Some(3.0), Some(0.0))
    );
    assert_eq!(figures(&s, "mediation.success_rate").0, Some(1.0));

    // After the lock:
    // 1. A's successful closing is corrected (the chain in force drops it, ADR 0009) and the
    //    case closes unsuccessful on 25 Sep; then A is flagged for a risk of violence.
    let mut a = case_a();
    a.history[2] = FactStatus {
        status: "unsuccessful".into(),
        on: day("2025-09-25"),
    };
    a.status = "unsuccessful".into();
    storage.insert_facts(&[a.clone()]).await.unwrap();
    a.measures.push(("violence_risk".into(), 1.0));
    storage.insert_facts(&[a]).await.unwrap();
    // 2. D: a case received on 20 Sep arrives late.
    let d = med(
        0xD,
        "11560-T01",
        "2025-09-20",
        &[("received", "2025-09-20")],
    );
    // 3. I: 3 more findings made on 5 Sep (2 → 5).
    // 4. F (November) and E (another commune) change: not late amendments of this lock.
    let mut f = med(0xF, "11560", "2025-11-01", &[("received", "2025-11-01")]);
    f.measures.push(("violence_risk".into(), 1.0));
    let mut e = med(0xE, "11533", "2025-08-10", &[("received", "2025-08-10")]);
    e.measures.push(("violence_risk".into(), 1.0));
    storage
        .insert_facts(&[d, activity_i(true), f, e])
        .await
        .unwrap();

    let s = agg.submitted("11560", &q3).await.unwrap().unwrap();
    let (a, d, i) = (short_id(&id(0xA)), short_id(&id(0xD)), short_id(&id(0x1)));

    // The changed records: A (twice; existed at the lock), D (absent at the lock), I.
    let recs: Vec<(&str, u64, AtLockState)> = s
        .records
        .iter()
        .map(|r| (r.short_id.as_str(), r.changes, r.at_lock))
        .collect();
    assert_eq!(recs.len(), 3, "{recs:?}");
    assert!(
        recs.contains(&(a.as_str(), 2, AtLockState::Known)),
        "{recs:?}"
    );
    assert!(
        recs.contains(&(d.as_str(), 1, AtLockState::Absent)),
        "{recs:?}"
    );
    assert!(
        recs.contains(&(i.as_str(), 1, AtLockState::Known)),
        "{recs:?}"
    );
    let rec_a = s.records.iter().find(|r| r.short_id == a).unwrap();
    assert_eq!(rec_a.id.as_deref(), Some(id(0xA).as_str()));
    assert_eq!(
        (rec_a.kind.as_str(), rec_a.unit.as_str()),
        ("mediation", "11560-T01")
    );
    assert_eq!(rec_a.status, "unsuccessful");

    // received: A, B, C = 3 → A, B, C, D = 4 (+1), explained by D (0 → 1).
    assert_eq!(
        figures(&s, "mediation.received"),
        (Some(3.0), Some(4.0), Some(1.0))
    );
    assert_eq!(
        explained(&s, "mediation.received"),
        [(d.clone(), Some(0.0), Some(1.0))]
    );
    assert_eq!(ind(&s, "mediation.received").explained, Some(1.0));
    // successful: A, B = 2 → B = 1 (−1), by A (1 → 0).
    assert_eq!(
        figures(&s, "mediation.successful"),
        (Some(2.0), Some(1.0), Some(-1.0))
    );
    assert_eq!(
        explained(&s, "mediation.successful"),
        [(a.clone(), Some(1.0), Some(0.0))]
    );
    // unsuccessful: 0 → A = 1 (+1), by A.
    assert_eq!(
        figures(&s, "mediation.unsuccessful"),
        (Some(0.0), Some(1.0), Some(1.0))
    );
    assert_eq!(
        explained(&s, "mediation.unsuccessful"),
        [(a.clone(), Some(0.0), Some(1.0))]
    );
    // mediated = successful + unsuccessful: 2 + 0 → 1 + 1, unchanged; A is mediated either way.
    assert_eq!(
        figures(&s, "mediation.mediated"),
        (Some(2.0), Some(2.0), Some(0.0))
    );
    assert!(explained(&s, "mediation.mediated").is_empty());
    // in progress: C = 1 → C, D = 2, by D.
    assert_eq!(
        figures(&s, "mediation.in_progress"),
        (Some(1.0), Some(2.0), Some(1.0))
    );
    assert_eq!(
        explained(&s, "mediation.in_progress"),
        [(d.clone(), Some(0.0), Some(1.0))]
    );
    // success rate: 2/2 = 1.0 → 1/2 = 0.5; not a sum: A alone goes 1/1 → 0/1; D alone has no
    // mediated case (undefined both times), so it does not explain it.
    let rate = ind(&s, "mediation.success_rate");
    assert_eq!(
        (rate.locked, rate.now, rate.difference),
        (Some(1.0), Some(0.5), Some(-0.5))
    );
    assert!(!rate.additive);
    assert_eq!(rate.explained, None);
    assert_eq!(
        explained(&s, "mediation.success_rate"),
        [(a.clone(), Some(1.0), Some(0.0))]
    );
    // median days to close: A 46, B 40 → median 43; now A 82 (5 Jul → 25 Sep), B 40 → 61.
    assert_eq!(
        figures(&s, "mediation.median_days_to_close"),
        (Some(43.0), Some(61.0), Some(18.0))
    );
    assert_eq!(
        explained(&s, "mediation.median_days_to_close"),
        [(a.clone(), Some(46.0), Some(82.0))]
    );
    // risk of violence: 0 → A = 1 (A is received in the period; F and E do not count here).
    assert_eq!(
        figures(&s, "mediation.violence_risk"),
        (Some(0.0), Some(1.0), Some(1.0))
    );
    assert_eq!(
        explained(&s, "mediation.violence_risk"),
        [(a.clone(), Some(0.0), Some(1.0))]
    );
    // By category: civil received A, B = 2 → A, B, D = 3 (D); successful 2 → 1 (A);
    // unsuccessful 0 → 1 (A); in progress 0 → 1 (D). Marriage and family (C) unchanged.
    let civil = "mediation.by_category.civil";
    assert_eq!(
        figures(&s, &format!("{civil}.received")),
        (Some(2.0), Some(3.0), Some(1.0))
    );
    assert_eq!(
        explained(&s, &format!("{civil}.received")),
        [(d.clone(), Some(0.0), Some(1.0))]
    );
    assert_eq!(
        figures(&s, &format!("{civil}.successful")),
        (Some(2.0), Some(1.0), Some(-1.0))
    );
    assert_eq!(
        figures(&s, &format!("{civil}.unsuccessful")),
        (Some(0.0), Some(1.0), Some(1.0))
    );
    assert_eq!(
        figures(&s, &format!("{civil}.in_progress")),
        (Some(0.0), Some(1.0), Some(1.0))
    );
    let mf = "mediation.by_category.marriage_family.received";
    assert_eq!(figures(&s, mf), (Some(1.0), Some(1.0), Some(0.0)));
    assert!(explained(&s, mf).is_empty());
    // Inspection: still 1 activity; findings 2 → 5 (+3), by I.
    assert_eq!(
        figures(&s, "inspection.activities"),
        (Some(1.0), Some(1.0), Some(0.0))
    );
    assert_eq!(
        figures(&s, "inspection.findings"),
        (Some(2.0), Some(5.0), Some(3.0))
    );
    assert_eq!(
        explained(&s, "inspection.findings"),
        [(i.clone(), Some(2.0), Some(5.0))]
    );
    assert_eq!(ind(&s, "inspection.findings").explained, Some(3.0));

    // Every additive difference is explained by the changed records.
    for x in s.indicators.iter().filter(|x| x.additive) {
        assert_eq!(x.explained, x.difference, "{}", x.key);
    }
    // An indicator the engine added (total = carried over + received) appears by itself:
    // 0 + 3 → 0 + 4, by D; the civil line's total 2 → 3 likewise.
    assert_eq!(
        figures(&s, "mediation.total"),
        (Some(3.0), Some(4.0), Some(1.0))
    );
    assert_eq!(
        explained(&s, "mediation.total"),
        [(d.clone(), Some(0.0), Some(1.0))]
    );
    assert_eq!(
        figures(&s, &format!("{civil}.total")),
        (Some(2.0), Some(3.0), Some(1.0))
    );
    // Indicators whose figure changed: received, total, successful, unsuccessful, in progress,
    // success rate, median days, violence risk; civil received/total/successful/unsuccessful/
    // in progress; findings = 14.
    let changed: Vec<&str> = s
        .indicators
        .iter()
        .filter(|x| x.locked != x.now)
        .map(|x| x.key.as_str())
        .collect();
    assert_eq!(s.changed_indicators(), 14, "{changed:?}");
    let by_a: Vec<&str> = rec_a.indicators.iter().map(String::as_str).collect();
    for k in [
        "mediation.successful",
        "mediation.unsuccessful",
        "mediation.violence_risk",
    ] {
        assert!(by_a.contains(&k), "{by_a:?}");
    }
    assert!(!by_a.contains(&"mediation.received"));

    // The report still counts the late changes in the figures, once each.
    let r = agg.report("11560", &q3).await.unwrap();
    assert_eq!(r.late_amendments, 3);
    // De-identified: the full ids go, the short ids stay.
    let mut anon = s.clone();
    anon.deidentify();
    assert!(anon.records.iter().all(|r| r.id.is_none()));
    assert_eq!(anon.records.len(), 3);
    // Another period, and another commune, have nothing submitted.
    assert!(
        agg.submitted("11533", &q3).await.unwrap().is_none(),
        "An Lư did not lock"
    );
}

/// A record that moves out of the locked period (its result re-dated into October) explains
/// the difference too: its fact at the lock is kept even though it no longer takes part.
async fn a_record_moving_out_of_the_period_is_explained(storage: Arc<dyn Storage>) {
    let agg = setup(Arc::clone(&storage)).await;
    let q3 = agg.periods().period("2025-Q3").unwrap();
    agg.lock_period("11560", &q3, "canbo").await.unwrap();
    // B received 1 Aug stays received in Q3; its result moves from 10 Sep to 5 Oct, so as of
    // 30 Sep it is mediating: successful 2 → 1, in progress 1 → 2.
    let b = med(
        0xB,
        "11560",
        "2025-08-01",
        &[
            ("received", "2025-08-01"),
            ("mediating", "2025-08-05"),
            ("successful", "2025-10-05"),
        ],
    );
    storage.insert_facts(&[b]).await.unwrap();
    let s = agg.submitted("11560", &q3).await.unwrap().unwrap();
    let b = short_id(&id(0xB));
    assert_eq!(
        figures(&s, "mediation.successful"),
        (Some(2.0), Some(1.0), Some(-1.0))
    );
    assert_eq!(
        explained(&s, "mediation.successful"),
        [(b.clone(), Some(1.0), Some(0.0))]
    );
    assert_eq!(
        figures(&s, "mediation.in_progress"),
        (Some(1.0), Some(2.0), Some(1.0))
    );
    assert_eq!(
        explained(&s, "mediation.in_progress"),
        [(b, Some(0.0), Some(1.0))]
    );
}

both_backends!(
    locked_figures_now_and_the_records_that_explain_them,
    a_record_moving_out_of_the_period_is_explained,
);

/// The API and the page: scope, de-identification above the commune, errors.
#[tokio::test]
async fn api_and_page_follow_the_scope_rules() {
    let d = dash::dash().await;
    let commune = Client::login(&d.router, COMMUNE).await;
    let url = format!("/api/v1/reports/{HOA_BINH}/submitted?period=2025-09");
    // Not locked yet: 404 not_locked.
    let r = commune.get(&url).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::NOT_FOUND, "not_locked")
    );
    let r = commune
        .post_json(
            "/api/v1/locks",
            serde_json::json!({"unit": HOA_BINH, "period": "2025-09"}),
            Some(&commune.csrf),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    // A case received on 28 September arrives after the lock (through the merge path).
    let late = dash::case(
        "11533-T02",
        HOA_BINH,
        day("2025-09-28"),
        MediationCategory::Civil,
        None,
    );
    dash::store(d.storage.as_ref(), &late).await;

    let body = commune.get(&url).await;
    assert_eq!(body.status, StatusCode::OK, "{}", body.text());
    let s = body.json();
    let received = s["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["key"] == "mediation.received")
        .unwrap()
        .clone();
    // The seed has 6 cases received in September in Hòa Bình; the late one makes 7.
    assert_eq!(
        (received["locked"].as_f64(), received["now"].as_f64()),
        (Some(6.0), Some(7.0))
    );
    assert_eq!(received["difference"].as_f64(), Some(1.0));
    let short = short_id(late.id());
    assert_eq!(received["records"][0]["record"], short.as_str());
    assert_eq!(s["records"][0]["id"], late.id());
    assert_eq!(s["records"][0]["at_lock"], "absent");

    // The commune officer's page links the record; the overview links the page.
    let overview = commune
        .get(&format!("/dashboard?unit={HOA_BINH}&period=2025-09"))
        .await
        .text();
    assert!(
        overview.contains("id=\"submitted-link\""),
        "overview links the comparison"
    );
    let page = commune
        .get(&format!(
            "/dashboard/submitted?unit={HOA_BINH}&period=2025-09"
        ))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains(&format!("/dashboard/records/{}", late.id())));
    assert!(html.contains("data-indicator=\"mediation.received\" data-column=\"locked\">6<"));
    assert!(html.contains("data-indicator=\"mediation.received\" data-column=\"now\">7<"));

    // The city officer sees the comparison de-identified: short ids only, no link, no names.
    let city = Client::login(&d.router, CITY).await;
    let s = city.get(&url).await.json();
    assert_eq!(s["records"][0]["short_id"], short.as_str());
    assert!(s["records"][0]["id"].is_null());
    assert!(!s.to_string().contains(late.id()));
    let html = city
        .get(&format!(
            "/dashboard/submitted?unit={HOA_BINH}&period=2025-09&lang=en"
        ))
        .await
        .text();
    assert!(html.contains("Submitted figures against now"));
    assert!(html.contains(&short));
    assert!(!html.contains("/dashboard/records/"));
    for secret in SECRETS {
        assert!(!html.contains(secret), "{secret} shown to the city officer");
    }

    // Another commune's officer: out of scope. Bad period: 400. Unknown unit: 404.
    let other = Client::login(&d.router, OTHER_COMMUNE).await;
    assert_eq!(other.get(&url).await.code(), "out_of_scope");
    let r = commune
        .get(&format!(
            "/api/v1/reports/{HOA_BINH}/submitted?period=2025-13"
        ))
        .await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (StatusCode::BAD_REQUEST, "bad_period")
    );
    assert_eq!(
        city.get("/api/v1/reports/99999/submitted?period=2025-09")
            .await
            .code(),
        "not_found"
    );
    // A commune that did not lock: 404 not_locked, on the page too.
    let r = city
        .get(&format!(
            "/dashboard/submitted?unit={THUY_NGUYEN}&period=2025-09"
        ))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.text().contains("not_locked"));
}
