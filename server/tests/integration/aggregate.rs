//! Aggregation against hand-computed figures on a fixed dataset (ADR 0004): several cut-offs, a
//! carried-over case, a reverted status, old communes merged whole and split (village-level and
//! "not allocated" records), a legacy district row, a lock followed by a late change, and
//! completeness on time / late / missing / open. Runs on SQLite and, when configured, PostgreSQL.

use std::sync::Arc;

use danvan_core::RecordKind;
use danvan_core::facts::{Fact, FactStatus, Flow};
use danvan_core::model::common::Date;
use danvan_server::Storage;
use danvan_server::aggregate::{
    Aggregator, Indicators, PeriodKind, PeriodsConfig, RankIndicator, Report, SubmissionStatus,
};
use danvan_server::units::{Units, import_csv};

use crate::support::{both_backends, haiphong};

/// Test-only units: two villages of old Phường An Lư (split between 11560 and 11533 on
/// 2025-07-01); the first went whole into village 11560-T01, the second has no successor.
pub(crate) const EXTRA_UNITS: &str = "code,name,level,parent,valid_from,valid_to,successors\n\
11533-OLD-T01,Tổ dân phố 1 An Lư (thử),village,11533,,2025-06-30,11560-T01:toan_bo\n\
11533-OLD-T02,Tổ dân phố 2 An Lư (thử),village,11533,,2025-06-30,\n";

fn day(s: &str) -> Date {
    Date(s.parse().unwrap())
}

/// Entered at the time (or as a historical entry of that day): the unit is read on the record's
/// main date.
fn fact(id: u128, kind: RecordKind, unit: &str, main: &str, history: &[(&str, &str)]) -> Fact {
    crate::support::test_fact(id, kind, unit, main, main, history)
}

fn med(id: u128, unit: &str, main: &str, history: &[(&str, &str)]) -> Fact {
    fact(id, RecordKind::Mediation, unit, main, history)
}

fn dn(s: &str) -> f64 {
    f64::from(chrono::Datelike::num_days_from_ce(&day(s).0))
}

/// The fixed dataset (see the module doc and ADR 0004's worked example).
pub(crate) fn dataset() -> Vec<Fact> {
    let mut f1 = med(
        1,
        "11500",
        "2025-03-10",
        &[("received", "2025-03-10"), ("successful", "2025-04-20")],
    );
    f1.measures.push(("violence_risk".into(), 1.0));
    let f2 = med(2, "11533", "2025-05-20", &[("received", "2025-05-20")]);
    let f3 = med(
        3,
        "11533-OLD-T01",
        "2025-04-02",
        &[("received", "2025-04-02"), ("unsuccessful", "2025-06-15")],
    );
    let f4 = med(4, "11560-T01", "2025-12-10", &[("received", "2025-12-10")]);
    let f5 = med(
        5,
        "11533",
        "2025-08-01",
        &[
            ("received", "2025-08-01"),
            ("successful", "2025-09-01"),
            ("mediating", "2025-10-15"),
        ],
    );
    let mut f6 = fact(
        6,
        RecordKind::Inspection,
        "11560",
        "2025-08-05",
        &[
            ("in_progress", "2025-08-05"),
            ("awaiting_answer", "2025-09-01"),
        ],
    );
    // Flows, each on its own day: 3 findings on 20 Aug, 2 recommendations sent on 1 Sep,
    // 12,000,000 VND recovered on 10 Sep (all in 2025 Q3).
    f6.flows = vec![
        Flow::new("finding", day("2025-08-20"), 1.0),
        Flow::new("finding", day("2025-08-20"), 1.0),
        Flow::new("finding", day("2025-08-20"), 1.0),
        Flow::new("recommendation_sent", day("2025-09-01"), 1.0),
        Flow::new("recommendation_sent", day("2025-09-01"), 1.0),
        Flow::new("money_recovered_vnd", day("2025-09-10"), 12_000_000.0),
    ];
    f6.measures = vec![
        ("recommendation_due_day".into(), dn("2025-09-15")),
        ("recommendation_answered_day".into(), dn("2025-09-10")),
        ("recommendation_due_day".into(), dn("2025-10-01")),
        ("recommendation_answered_day".into(), -1.0),
    ];
    let mut f7 = fact(
        7,
        RecordKind::Democracy,
        "11533",
        "2025-11-20",
        &[("draft", "2025-11-20"), ("submitted", "2025-11-25")],
    );
    f7.measures = vec![
        ("items_met".into(), 10.0),
        ("items_partly_met".into(), 2.0),
        ("items_not_met".into(), 1.0),
        ("score".into(), 80.0),
    ];
    let f8 = med(
        8,
        "11296",
        "2025-02-01",
        &[("received", "2025-02-01"), ("successful", "2025-03-01")],
    );
    let f9 = med(
        9,
        "11560",
        "2024-12-20",
        &[("received", "2024-12-20"), ("successful", "2025-01-10")],
    );
    vec![f1, f2, f3, f4, f5, f6, f7, f8, f9]
}

async fn setup(storage: Arc<dyn Storage>) -> Aggregator {
    let units: Units = haiphong(storage.as_ref()).await;
    import_csv(storage.as_ref(), &units, EXTRA_UNITS.as_bytes())
        .await
        .unwrap();
    storage.insert_facts(&dataset()).await.unwrap();
    Aggregator::new(storage, units, PeriodsConfig::default(), Default::default())
}

fn row<'r>(r: &'r Report, code: &str) -> &'r Indicators {
    &r.children
        .iter()
        .find(|c| c.unit.code == code)
        .unwrap_or_else(|| panic!("no row {code}"))
        .indicators
}

fn sum_rows(r: &Report, f: impl Fn(&Indicators) -> u64) -> u64 {
    r.children.iter().map(|c| f(&c.indicators)).sum::<u64>()
        + r.unallocated
            .iter()
            .filter(|u| u.in_totals)
            .map(|u| f(&u.indicators))
            .sum::<u64>()
        + r.direct.as_ref().map(&f).unwrap_or(0)
}

async fn pre_reform_half_year_has_district_rows(storage: Arc<dyn Storage>) {
    let agg = setup(storage).await;
    let h1 = agg.periods().period("2025-H1").unwrap();
    let r = agg.report("31", &h1).await.unwrap();
    assert_eq!(r.as_of.to_string(), "2025-05-31");
    let m = &r.totals.mediation;
    // F1, F2, F3, F8 received; F9 carried over from 2024; F3's result (15 June) is after the
    // cut-off, so F3 is still in progress as of 31 May.
    assert_eq!((m.received, m.carried_over), (4, 1));
    assert_eq!(
        (m.successful, m.unsuccessful, m.in_progress, m.mediated),
        (3, 0, 2, 3)
    );
    assert_eq!(m.success_rate, Some(1.0));
    assert_eq!(m.median_days_to_close, Some(28.0), "21, 28 and 41 days");
    assert_eq!(m.violence_risk, 1);
    // Children are the legacy districts.
    assert!(r.children.iter().all(|c| c.unit.level == "district"));
    let tn = &row(&r, "31.thanh-pho-thuy-nguyen").mediation;
    assert_eq!(
        (tn.received, tn.carried_over, tn.successful, tn.in_progress),
        (3, 1, 2, 2)
    );
    assert_eq!(row(&r, "31.quan-hong-bang").mediation.successful, 1);
    assert!(r.unallocated.is_empty());
    assert_eq!(sum_rows(&r, |i| i.mediation.received), 4);
}

async fn year_rolls_old_units_into_new_communes(storage: Arc<dyn Storage>) {
    let agg = setup(storage).await;
    let y = agg.periods().period("2025").unwrap();
    let r = agg.report("31", &y).await.unwrap();
    assert!(r.children.iter().all(|c| c.unit.level == "commune"));
    assert_eq!(r.children.len(), 114);
    let m = &r.totals.mediation;
    assert_eq!((m.received, m.carried_over), (6, 1));
    assert_eq!(
        (m.successful, m.unsuccessful, m.mediated, m.in_progress),
        (3, 1, 4, 3)
    );
    assert_eq!(m.success_rate, Some(0.75));
    assert_eq!(m.by_category.len(), 1);
    assert_eq!(m.by_category[0].received, 6);
    // Old Bạch Đằng went whole into 11473; old Quán Toan into 11602.
    assert_eq!(row(&r, "11473").mediation.successful, 1);
    assert_eq!(row(&r, "11602").mediation.received, 1);
    // 11560: F3 via its old village's successor, F4, and F9 carried over from old Thuỷ Đường.
    let t = &row(&r, "11560").mediation;
    assert_eq!(
        (
            t.received,
            t.carried_over,
            t.successful,
            t.unsuccessful,
            t.in_progress
        ),
        (2, 1, 1, 1, 1)
    );
    // F5 was reverted to mediating: in progress at year end.
    assert_eq!(row(&r, "11533").mediation.in_progress, 1);
    // F2 (old An Lư, commune level) is on one "not allocated" line, counted once.
    assert_eq!(r.unallocated.len(), 1);
    let u = &r.unallocated[0];
    assert_eq!(u.from.code, "11533");
    assert!(u.in_totals);
    let cands: Vec<_> = u.candidates.iter().map(|c| c.code.as_str()).collect();
    assert_eq!(cands, ["11533", "11560"]);
    assert_eq!(
        (
            u.indicators.mediation.received,
            u.indicators.mediation.in_progress
        ),
        (1, 1)
    );
    assert!(
        u.label(danvan_core::Lang::Vi)
            .starts_with("Chưa phân bổ (từ đơn vị cũ Phường An Lư")
    );
    assert_eq!(sum_rows(&r, |i| i.mediation.received), 6);
    assert_eq!(sum_rows(&r, |i| i.mediation.in_progress), 3);
    // Inspection as of 31 Dec: one answered on time, one overdue since 1 Oct.
    let i = &r.totals.inspection;
    assert_eq!((i.activities, i.findings, i.recommendations), (1, 3, 2));
    assert_eq!((i.answered, i.answered_on_time, i.overdue), (1, 1, 1));
    assert_eq!(i.money_recovered_vnd, 12_000_000.0);
    let d = &r.totals.democracy;
    assert_eq!((d.checks, d.communes_checked, d.items_met), (1, 1, 10));
    assert_eq!(d.average_score, Some(80.0));
    assert_eq!(d.share_met, Some(10.0 / 13.0));
    assert_eq!(d.ratings[0].code, "good");
    // Trend: 2024 had F9 received.
    assert_eq!(r.previous.as_ref().unwrap().mediation.received, 1);
    // Ranking by cases received: 11560 first, then ties by code.
    let rank = agg
        .ranking("31", &y, RankIndicator::MediationReceived)
        .await
        .unwrap();
    let top: Vec<_> = rank
        .iter()
        .take(4)
        .map(|r| (r.rank, r.unit.code.as_str()))
        .collect();
    assert_eq!(
        top,
        [(1, "11560"), (2, "11473"), (2, "11533"), (2, "11602")]
    );
    assert_eq!(rank.len(), 114);
}

async fn cutoffs_see_each_records_status_then(storage: Arc<dyn Storage>) {
    let agg = setup(storage).await;
    let p = agg.periods();
    // Q3 (cut-off 30 Sep): F5 successful on 1 Sep; F2 carried over; F6 answered 1, not yet overdue.
    let q3 = agg
        .report("31", &p.period("2025-Q3").unwrap())
        .await
        .unwrap();
    assert_eq!(row(&q3, "11533").mediation.successful, 1);
    assert_eq!(q3.totals.mediation.carried_over, 1);
    assert_eq!(q3.unallocated[0].indicators.mediation.carried_over, 1);
    assert_eq!(
        (q3.totals.inspection.answered, q3.totals.inspection.overdue),
        (1, 0)
    );
    // Preliminary year (cut-off 31 Oct): the revert of 15 Oct is seen.
    let yp = agg
        .report("31", &p.period("2025-YP").unwrap())
        .await
        .unwrap();
    assert_eq!(yp.as_of.to_string(), "2025-10-31");
    let m = &row(&yp, "11533").mediation;
    assert_eq!((m.successful, m.in_progress), (0, 1));
    assert_eq!(yp.totals.inspection.overdue, 1);
    assert_eq!(yp.totals.democracy.checks, 0, "F7 was checked in November");
    // A commune report: villages as rows, old Thuỷ Đường's record directly under the commune,
    // the old An Lư record shown for information only.
    let c = agg
        .report("11560", &p.period("2025").unwrap())
        .await
        .unwrap();
    assert_eq!(row(&c, "11560-T01").mediation.received, 2);
    assert_eq!(c.direct.as_ref().unwrap().mediation.carried_over, 1);
    assert_eq!(c.totals.mediation.received, 2);
    assert_eq!(c.unallocated.len(), 1);
    assert!(!c.unallocated[0].in_totals);
    let bad = agg
        .report("99999", &p.period("2025").unwrap())
        .await
        .unwrap_err();
    assert!(matches!(bad, danvan_server::Error::NotFound(_)), "{bad}");
}

async fn lock_then_late_change_is_kept_and_flagged(storage: Arc<dyn Storage>) {
    let agg = setup(Arc::clone(&storage)).await;
    let q4 = agg.periods().period("2025-Q4").unwrap();
    let lock = agg
        .lock_period("11560", &q4, "canbo.thuynguyen")
        .await
        .unwrap();
    assert_eq!(lock.locked_by, "canbo.thuynguyen");
    // Idempotent: locking again returns the first lock.
    let again = agg.lock_period("11560", &q4, "someone.else").await.unwrap();
    assert_eq!(again, lock);
    assert!(
        agg.lock_period("31", &q4, "x").await.is_err(),
        "only communes lock"
    );

    // F4 closed after the lock (late), F9 changed but outside Q4 (not late), F1 elsewhere.
    let mut f4 = dataset().remove(3);
    f4.history.push(FactStatus {
        status: "successful".into(),
        on: day("2025-12-20"),
    });
    let mut f9 = dataset().remove(8);
    f9.measures.push(("fee_claimed".into(), 1.0));
    storage.insert_facts(&[f4.clone(), f9]).await.unwrap();
    storage.insert_facts(&[f4]).await.unwrap();

    let r = agg.report("11560", &q4).await.unwrap();
    assert_eq!(r.late_amendments, 1, "one record, changed twice");
    assert_eq!(
        (
            r.totals.mediation.successful,
            r.totals.mediation.in_progress
        ),
        (1, 0)
    );
    assert_eq!(r.lock.as_ref().unwrap().unit, "11560");
    let snap = agg.lock_snapshot("11560", &q4).await.unwrap().unwrap();
    assert_eq!(snap["mediation"]["successful"], 0);
    assert_eq!(snap["mediation"]["in_progress"], 1);
    let city = agg.report("31", &q4).await.unwrap();
    assert_eq!(city.late_amendments, 1);
    let row = city
        .children
        .iter()
        .find(|c| c.unit.code == "11560")
        .unwrap();
    assert_eq!(row.late_amendments, 1);
    assert!(row.lock.is_some());
    assert_eq!(city.children.iter().filter(|c| c.lock.is_some()).count(), 1);
    // Another period is not affected.
    let y = agg
        .report("31", &agg.periods().period("2025").unwrap())
        .await
        .unwrap();
    assert_eq!(y.late_amendments, 0);
}

async fn completeness_on_time_late_missing_open(storage: Arc<dyn Storage>) {
    let agg = setup(storage).await;
    let q4 = agg.periods().period("2025-Q4").unwrap();
    agg.lock_period("11560", &q4, "a").await.unwrap();
    let c = agg.completeness("31", &q4).await.unwrap();
    assert_eq!(c.expected, 114);
    // Records counted in Q4: 11560 (F4, F6 carried over) and 11533 (F5 in progress, F7).
    assert_eq!(c.with_records, 2);
    assert_eq!((c.locked, c.on_time, c.late), (1, 0, 1));
    let r = |code: &str| c.rows.iter().find(|r| r.unit.code == code).unwrap();
    assert_eq!(
        r("11560").status,
        SubmissionStatus::Late,
        "locked after 10 Jan 2026"
    );
    assert_eq!(
        (r("11560").mediation_records, r("11560").inspection_records),
        (1, 1)
    );
    assert_eq!(
        (r("11533").mediation_records, r("11533").democracy_records),
        (1, 1)
    );
    assert_eq!(r("11473").status, SubmissionStatus::Missing);

    // A period whose deadline has not passed (this quarter: a lock of a period that has not
    // started is refused): a lock now is on time, the rest are open.
    let future = agg
        .periods()
        .containing(PeriodKind::Quarter, Date::today_vn().0)
        .unwrap();
    agg.lock_period("11533", &future, "b").await.unwrap();
    let c = agg.completeness("31", &future).await.unwrap();
    let r = |code: &str| c.rows.iter().find(|r| r.unit.code == code).unwrap();
    assert_eq!(r("11533").status, SubmissionStatus::OnTime);
    assert_eq!(r("11560").status, SubmissionStatus::Open);
    // Cases still open (F4, F5, F6 awaiting answers) are in progress in any later period.
    assert_eq!((c.on_time, c.with_records, c.late), (1, 2, 0));
    assert_eq!(r("11473").mediation_records, 0);
}

async fn refresh_picks_up_new_facts_only(storage: Arc<dyn Storage>) {
    let agg = setup(Arc::clone(&storage)).await;
    agg.refresh().await.unwrap();
    assert_eq!(agg.stats().records, 9);
    let y = agg.periods().period("2025").unwrap();
    let before = agg
        .report("11473", &y)
        .await
        .unwrap()
        .totals
        .mediation
        .received;
    storage
        .insert_facts(&[med(
            10,
            "11473",
            "2025-06-01",
            &[("received", "2025-06-01")],
        )])
        .await
        .unwrap();
    let after = agg
        .report("11473", &y)
        .await
        .unwrap()
        .totals
        .mediation
        .received;
    assert_eq!((before, after), (1, 2));
    assert_eq!(agg.stats().records, 10);

    // Enough new records to lay the index out again (compaction), then an update of an old
    // record: ids still find their slots, histories and buckets follow.
    let many: Vec<Fact> = (0..12_000)
        .map(|i| {
            med(
                1_000 + i,
                "11473",
                "2025-06-01",
                &[("received", "2025-06-01")],
            )
        })
        .collect();
    storage.insert_facts(&many).await.unwrap();
    let mut f4 = dataset().remove(3);
    f4.history.push(FactStatus {
        status: "successful".into(),
        on: day("2025-12-20"),
    });
    let r = agg.report("31", &y).await.unwrap();
    assert_eq!(row(&r, "11473").mediation.received, 12_002);
    assert_eq!(row(&r, "11560").mediation.in_progress, 1);
    storage.insert_facts(&[f4]).await.unwrap();
    let r = agg.report("31", &y).await.unwrap();
    assert_eq!(agg.stats().records, 12_010);
    let t = &row(&r, "11560").mediation;
    assert_eq!((t.received, t.successful, t.in_progress), (2, 2, 0));
    assert_eq!(r.totals.mediation.received, 6 + 1 + 12_000);
}

/// The merge path (`apply_pushes`, as `POST /v1/sync` calls it) flags a record that arrives
/// after its commune locked the period, and keeps it.
async fn synced_record_after_lock_is_flagged(storage: Arc<dyn Storage>) {
    use danvan_core::model::MediationCase;
    use danvan_core::sync::merge::{MergeLimits, Stored, merge_stored};
    use danvan_core::sync::wire::{Outcome, Push, to_wire_heads};
    use danvan_core::{Record, RecordBody, RecordDoc};

    let agg = setup(Arc::clone(&storage)).await;
    let q3 = agg.periods().period("2025-Q3").unwrap();
    agg.lock_period("11560", &q3, "canbo").await.unwrap();
    let before = agg.report("11560", &q3).await.unwrap();

    let device = uuid::Uuid::new_v4();
    let record = Record::new(
        "11560-T02",
        device.to_string(),
        day("2025-09-02"),
        RecordBody::Mediation(MediationCase::example()),
    );
    let mut doc = RecordDoc::create(&record, &device).unwrap();
    let push = Push {
        id: record.id().parse().unwrap(),
        changes: doc.save(),
        heads: to_wire_heads(&doc.heads()),
    };
    let rules = danvan_core::RulesConfig::default();
    let limits = MergeLimits::default();
    let decide = |stored: Option<Stored<'_>>, p: &Push| {
        merge_stored(stored, p, &rules, &limits, |_, _| Ok(()))
    };
    let verdicts = storage
        .apply_pushes(&device.to_string(), &[push], &decide, &rules)
        .await
        .unwrap();
    assert!(
        matches!(verdicts[0].outcome, Outcome::Accepted { .. }),
        "{verdicts:?}"
    );

    let after = agg.report("11560", &q3).await.unwrap();
    assert_eq!(
        after.totals.mediation.received,
        before.totals.mediation.received + 1
    );
    assert_eq!((before.late_amendments, after.late_amendments), (0, 1));
    let t02 = after
        .children
        .iter()
        .find(|c| c.unit.code == "11560-T02")
        .unwrap();
    assert_eq!(t02.indicators.mediation.received, 1);
    let snap = agg.lock_snapshot("11560", &q3).await.unwrap().unwrap();
    assert_eq!(
        snap["mediation"]["received"],
        before.totals.mediation.received
    );
    // Not a late amendment of another commune's lock or another period.
    let q4 = agg
        .report("11560", &agg.periods().period("2025-Q4").unwrap())
        .await
        .unwrap();
    assert_eq!(q4.late_amendments, 0);
}

both_backends!(
    synced_record_after_lock_is_flagged,
    pre_reform_half_year_has_district_rows,
    year_rolls_old_units_into_new_communes,
    cutoffs_see_each_records_status_then,
    lock_then_late_change_is_kept_and_flagged,
    completeness_on_time_late_missing_open,
    refresh_picks_up_new_facts_only,
);
