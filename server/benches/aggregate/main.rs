//! Aggregation benchmark (ADR 0004, issue #5).
//!
//! (a) Hải Phòng (real units: 114 new communes, 375 old ones) with `DANVAN_BENCH_RECORDS`
//!     (default 1,000,000) synthetic facts on SQLite — and on PostgreSQL too when
//!     `DANVAN_BENCH_DATABASE_URL` or `DANVAN_TEST_DATABASE_URL` is set: bulk insert, first load
//!     of the index, memory, refresh with no change, city / commune reports, completeness.
//! (b) National: a synthetic tree (country → 34 provinces → 3,321 communes) with
//!     `DANVAN_BENCH_NATIONAL_RECORDS` (default 10,000,000) facts on PostgreSQL (only when a URL
//!     is set): first load from the table, snapshot write, restart from the snapshot (ADR 0016),
//!     RSS after each, national and province reports. `DANVAN_BENCH_KEEP_DB=1` keeps that
//!     database (`danvan_bench_national_<n>`) and reuses it when it holds `n` facts.
//!
//! `cargo bench -p danvan-server --bench aggregate` runs it; figures go to stdout and to
//! `target/bench-aggregate.md`. Without `--bench` (e.g. `cargo test --benches`) it is a smoke run
//! of 2,000 records on SQLite.

#![allow(clippy::unwrap_used, clippy::print_stdout)]

mod synth;

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use danvan_server::aggregate::{Aggregator, Period, PeriodsConfig};
use danvan_server::storage::{PgStorage, SqliteStorage, Storage};
use danvan_server::units::{Unit, UnitTree, Units, import_csv};
use indicatif::{ProgressBar, ProgressStyle};
use sqlx::Connection;

use synth::{Gen, UnitPool};

const HAIPHONG_CSV: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/units/haiphong.csv"
));
const BATCH: usize = 50_000;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<f64>().ok())
            })
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Median and max of `runs` timed calls (after one warm-up).
async fn time<F, Fut, T>(runs: usize, mut f: F) -> (f64, f64)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    f().await;
    let mut v: Vec<f64> = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        std::hint::black_box(f().await);
        v.push(ms(t.elapsed()));
    }
    v.sort_by(f64::total_cmp);
    (v[v.len() / 2], v[v.len() - 1])
}

fn pool_of(tree: &UnitTree, reform: Option<NaiveDate>) -> UnitPool {
    let (mut before, mut after) = (Vec::new(), Vec::new());
    for u in tree.all() {
        if u.level != "commune" && u.level != "village" {
            continue;
        }
        match (reform, u.valid_to) {
            (Some(_), Some(_)) => before.push(u.code.clone()),
            _ => after.push(u.code.clone()),
        }
    }
    before.sort();
    after.sort();
    UnitPool {
        before,
        after,
        reform,
    }
}

async fn insert(storage: &dyn Storage, n: usize, pool: &UnitPool, seed: u64) -> Duration {
    let bar = ProgressBar::new(n as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "  inserting {pos}/{len} facts [{elapsed_precise}] {wide_bar} {eta}",
        )
        .unwrap(),
    );
    let mut g = Gen::new(seed);
    let t = Instant::now();
    let mut done = 0usize;
    while done < n {
        let k = BATCH.min(n - done);
        let facts: Vec<_> = (done..done + k).map(|i| g.fact(i as u64, pool)).collect();
        storage.insert_facts(&facts).await.unwrap();
        done += k;
        bar.set_position(done as u64);
    }
    bar.finish_and_clear();
    t.elapsed()
}

struct Out {
    md: String,
}

impl Out {
    fn line(&mut self, s: String) {
        println!("{s}");
        let _ = writeln!(self.md, "{s}");
    }
}

async fn haiphong(out: &mut Out, storage: Arc<dyn Storage>, n: usize, runs: usize, label: &str) {
    let units = Units::load(storage.as_ref()).await.unwrap();
    import_csv(storage.as_ref(), &units, HAIPHONG_CSV.as_bytes())
        .await
        .unwrap();
    let reform = NaiveDate::from_ymd_opt(2025, 7, 1);
    let pool = pool_of(&units.tree(), reform);
    let ins = insert(storage.as_ref(), n, &pool, 7).await;
    let rss0 = rss_mib();
    let agg = Aggregator::new(
        storage.clone(),
        units,
        PeriodsConfig::default(),
        Default::default(),
    );
    let t = Instant::now();
    agg.refresh().await.unwrap();
    let load = t.elapsed();
    let rss1 = rss_mib();
    let stats = agg.stats();
    let p = agg.periods();
    let year: Period = p.period("2025").unwrap();
    let h1: Period = p.period("2026-H1").unwrap();
    let (city_y, city_y_max) = time(runs, || agg.report("31", &year)).await;
    let (city_h1, city_h1_max) = time(runs, || agg.report("31", &h1)).await;
    let (commune, commune_max) = time(runs, || agg.report("11560", &h1)).await;
    let (refresh, refresh_max) = time(runs, || agg.refresh()).await;
    let (compl, compl_max) = time(runs, || agg.completeness("31", &h1)).await;
    let r = agg.report("31", &year).await.unwrap();
    out.line(format!("\n### Hải Phòng, {n} records, {label}\n"));
    out.line("| measure | median | max |".into());
    out.line("|---|---:|---:|".into());
    out.line(format!(
        "| bulk insert | {:.1} s ({:.0} records/s) | |",
        ins.as_secs_f64(),
        n as f64 / ins.as_secs_f64()
    ));
    out.line(format!(
        "| first load of the index | {:.2} s | |",
        load.as_secs_f64()
    ));
    out.line(format!("| city report, year 2025 (114 rows + previous year) | {city_y:.1} ms | {city_y_max:.1} ms |"));
    out.line(format!(
        "| city report, 2026-H1 | {city_h1:.1} ms | {city_h1_max:.1} ms |"
    ));
    out.line(format!(
        "| commune report (11560, 2026-H1) | {commune:.2} ms | {commune_max:.2} ms |"
    ));
    out.line(format!(
        "| completeness, city, 2026-H1 | {compl:.1} ms | {compl_max:.1} ms |"
    ));
    out.line(format!(
        "| refresh with no change | {refresh:.2} ms | {refresh_max:.2} ms |"
    ));
    out.line(format!(
        "| index memory | {:.0} B/record by capacity; RSS +{:.0} MiB = {:.0} B/record | |",
        stats.bytes as f64 / stats.records.max(1) as f64,
        rss1 - rss0,
        (rss1 - rss0) * 1024.0 * 1024.0 / stats.records.max(1) as f64
    ));
    out.line(format!(
        "\n(year 2025: {} received, {} unallocated lines, {} records in the index)",
        r.totals.mediation.received,
        r.unallocated.len(),
        stats.records
    ));
}

fn national_tree() -> Vec<Unit> {
    let from = danvan_server::units::BEGINNING;
    let mut units = vec![Unit {
        code: "VN".into(),
        valid_from: from,
        valid_to: None,
        name: "Việt Nam (tổng hợp thử)".into(),
        level: "country".into(),
        parent: None,
        successors: vec![],
    }];
    let mut c = 0;
    for p in 0..34 {
        let code = format!("P{:02}", p + 1);
        units.push(Unit {
            code: code.clone(),
            valid_from: from,
            valid_to: None,
            name: format!("Tỉnh thử {}", p + 1),
            level: "province".into(),
            parent: Some("VN".into()),
            successors: vec![],
        });
        let n = 3321 / 34 + usize::from(p < 3321 % 34);
        for _ in 0..n {
            c += 1;
            units.push(Unit {
                code: format!("{code}-C{c:04}"),
                valid_from: from,
                valid_to: None,
                name: format!("Xã thử {c}"),
                level: "commune".into(),
                parent: Some(code.clone()),
                successors: vec![],
            });
        }
    }
    units
}

async fn national(out: &mut Out, storage: Arc<dyn Storage>, n: usize, runs: usize, reused: bool) {
    let ins = if reused {
        None
    } else {
        storage.upsert_units(&national_tree()).await.unwrap();
        let units = Units::load(storage.as_ref()).await.unwrap();
        let pool = pool_of(&units.tree(), None);
        Some(insert(storage.as_ref(), n, &pool, 11).await)
    };
    let units = Units::load(storage.as_ref()).await.unwrap();
    let snap_dir = tempfile::tempdir().unwrap();
    let snap = snap_dir.path().join("fact-index.snapshot");
    let new_agg = || {
        Aggregator::new(
            storage.clone(),
            units.clone(),
            PeriodsConfig::default(),
            Default::default(),
        )
        .with_snapshot(Some(snap.clone()))
    };
    let up = uptime();
    let rss0 = rss_mib();
    let agg = new_agg();
    let t = Instant::now();
    agg.refresh().await.unwrap();
    let load = t.elapsed();
    assert!(!agg.loaded_from_snapshot());
    let rss1 = rss_mib();
    let stats = agg.stats();
    // The background write the load started, else one now.
    let written = match agg.save_snapshot().await.unwrap() {
        Some(w) => w,
        None => agg.last_snapshot().expect("a snapshot was written"),
    };
    let year = agg.periods().period("2025").unwrap();
    let q = agg.periods().period("2026-Q2").unwrap();
    let reference = serde_json::to_value(agg.report("VN", &year).await.unwrap()).unwrap();
    drop(agg);
    // Let the background snapshot task (which holds a clone) end, so the old index is freed.
    tokio::time::sleep(Duration::from_millis(500)).await;
    // A restart: a new aggregator reads the snapshot and catches up.
    let rss2 = rss_mib();
    let agg = new_agg();
    let t = Instant::now();
    agg.refresh().await.unwrap();
    let restart = t.elapsed();
    assert!(agg.loaded_from_snapshot(), "the snapshot was not used");
    let rss3 = rss_mib();
    let restored = serde_json::to_value(agg.report("VN", &year).await.unwrap()).unwrap();
    assert!(
        restored == reference,
        "the restored index reports other figures"
    );
    let (nat, nat_max) = time(runs, || agg.report("VN", &year)).await;
    let (nat_q, nat_q_max) = time(runs, || agg.report("VN", &q)).await;
    let (prov, prov_max) = time(runs, || agg.report("P07", &year)).await;
    let (refresh, refresh_max) = time(runs, || agg.refresh()).await;
    out.line(format!(
        "\n### National (34 provinces, 3,321 communes), {n} records, PostgreSQL\n"
    ));
    out.line(format!("(load average at start: {up})\n"));
    out.line("| measure | median | max |".into());
    out.line("|---|---:|---:|".into());
    match ins {
        Some(ins) => out.line(format!(
            "| bulk insert | {:.0} s ({:.0} records/s) | |",
            ins.as_secs_f64(),
            n as f64 / ins.as_secs_f64()
        )),
        None => out.line("| bulk insert | (database reused) | |".into()),
    }
    out.line(format!(
        "| first load of the index from the facts table | {:.1} s | |",
        load.as_secs_f64()
    ));
    out.line(format!(
        "| snapshot write (background after the load) | {:.2} s, {:.0} MiB ({:.0} B/record) | |",
        written.ms / 1000.0,
        written.bytes as f64 / (1024.0 * 1024.0),
        written.bytes as f64 / stats.records.max(1) as f64
    ));
    out.line(format!(
        "| restart: index ready from the snapshot (read, check, catch-up) | {:.2} s | |",
        restart.as_secs_f64()
    ));
    out.line(format!(
        "| national report, year 2025 (34 rows + previous year) | {nat:.1} ms | {nat_max:.1} ms |"
    ));
    out.line(format!(
        "| national report, 2026-Q2 | {nat_q:.1} ms | {nat_q_max:.1} ms |"
    ));
    out.line(format!(
        "| province report (P07, ~98 communes), year 2025 | {prov:.1} ms | {prov_max:.1} ms |"
    ));
    out.line(format!(
        "| refresh with no change | {refresh:.2} ms | {refresh_max:.2} ms |"
    ));
    out.line(format!(
        "| index memory after the table load | {:.0} B/record by capacity; RSS +{:.0} MiB = {:.0} B/record (RSS {:.0} MiB) | |",
        stats.bytes as f64 / stats.records.max(1) as f64,
        rss1 - rss0,
        (rss1 - rss0) * 1024.0 * 1024.0 / stats.records.max(1) as f64,
        rss1
    ));
    let st = agg.stats();
    out.line(format!(
        "| index memory after the restart | {:.0} B/record by capacity; RSS +{:.0} MiB = {:.0} B/record (RSS {:.0} MiB) | |",
        st.bytes as f64 / st.records.max(1) as f64,
        rss3 - rss2,
        (rss3 - rss2) * 1024.0 * 1024.0 / st.records.max(1) as f64,
        rss3
    ));
    let r = st.records.max(1) as f64;
    let p = st.parts;
    out.line(format!(
        "| index by part, B/record (ids, slots, histories, measures, buckets) | {:.1}, {:.1}, {:.1}, {:.1}, {:.1} | |",
        p.ids as f64 / r,
        p.slots as f64 / r,
        p.histories as f64 / r,
        p.measures as f64 / r,
        p.buckets as f64 / r
    ));
}

fn uptime() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// The national database: kept between runs as `danvan_bench_national_<n>` when
/// `DANVAN_BENCH_KEEP_DB=1` (reused when it holds `n` facts), else a fresh one dropped after.
async fn national_db(admin_url: &str, n: usize) -> (Arc<dyn Storage>, String, bool, bool) {
    let keep = std::env::var("DANVAN_BENCH_KEEP_DB").is_ok_and(|v| v == "1");
    if !keep {
        let (s, name) = pg_database(admin_url).await;
        return (s, name, false, false);
    }
    let name = format!("danvan_bench_national_{n}");
    let mut conn = sqlx::PgConnection::connect(admin_url).await.unwrap();
    let exists: Option<(i32,)> = sqlx::query_as("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(&name)
        .fetch_optional(&mut conn)
        .await
        .unwrap();
    if exists.is_none() {
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .unwrap();
    }
    let (base, _) = admin_url.split_once('?').unwrap_or((admin_url, ""));
    let (server, _) = base.rsplit_once('/').unwrap();
    let url = format!("{server}/{name}");
    let storage = PgStorage::connect(&url).await.unwrap();
    let mut db = sqlx::PgConnection::connect(&url).await.unwrap();
    let (count,): (i64,) = sqlx::query_as("SELECT count(*) FROM facts")
        .fetch_one(&mut db)
        .await
        .unwrap();
    let reused = count as usize == n;
    if !reused && count > 0 {
        sqlx::raw_sql("TRUNCATE facts")
            .execute(&mut db)
            .await
            .unwrap();
    }
    (Arc::new(storage), name, reused, true)
}

async fn pg_database(admin_url: &str) -> (Arc<dyn Storage>, String) {
    let name = format!("danvan_bench_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(admin_url).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .unwrap();
    let (base, _) = admin_url.split_once('?').unwrap_or((admin_url, ""));
    let (server, _) = base.rsplit_once('/').unwrap();
    let storage = PgStorage::connect(&format!("{server}/{name}"))
        .await
        .unwrap();
    (Arc::new(storage), name)
}

async fn drop_pg(admin_url: &str, name: &str) {
    let mut conn = sqlx::PgConnection::connect(admin_url).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&mut conn)
    .await
    .unwrap();
}

async fn run() {
    let bench = std::env::args().any(|a| a == "--bench");
    let (hp_n, nat_n, runs) = if bench {
        (
            env_usize("DANVAN_BENCH_RECORDS", 1_000_000),
            env_usize("DANVAN_BENCH_NATIONAL_RECORDS", 10_000_000),
            env_usize("DANVAN_BENCH_RUNS", 20),
        )
    } else {
        (2_000, 0, 2)
    };
    let mut out = Out {
        md: format!(
            "## Aggregation benchmark\n\n`cargo bench -p danvan-server --bench aggregate` on {} CPU(s); \
             release build; medians of {runs} runs after a warm-up; every report call includes its \
             refresh (one indexed query) and the previous period's totals.\n",
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        ),
    };
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Arc::new(
        SqliteStorage::open(&dir.path().join("bench.sqlite3"))
            .await
            .unwrap(),
    );
    haiphong(&mut out, sqlite.clone(), hp_n, runs, "SQLite").await;
    sqlite.close().await;
    drop(dir);

    let url = std::env::var("DANVAN_BENCH_DATABASE_URL")
        .or_else(|_| std::env::var("DANVAN_TEST_DATABASE_URL"))
        .ok()
        .filter(|_| bench);
    match url {
        Some(url) => {
            let (pg, name) = pg_database(&url).await;
            haiphong(&mut out, pg, hp_n, runs, "PostgreSQL").await;
            drop_pg(&url, &name).await;
            if nat_n > 0 {
                let (pg, name, reused, keep) = national_db(&url, nat_n).await;
                national(&mut out, pg, nat_n, runs, reused).await;
                if !keep {
                    drop_pg(&url, &name).await;
                }
            }
        }
        None => out.line(
            "\n(PostgreSQL runs skipped: set DANVAN_BENCH_DATABASE_URL or DANVAN_TEST_DATABASE_URL)"
                .into(),
        ),
    }
    if bench {
        let target = std::env::var("CARGO_TARGET_DIR")
            .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../target").into());
        let path = std::path::Path::new(&target).join("bench-aggregate.md");
        std::fs::write(&path, &out.md).unwrap();
        println!("\nwritten to {}", path.display());
    }
}

fn main() {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(run());
}
