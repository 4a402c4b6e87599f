//! The city officer's page over the 1 M-record benchmark dataset (issue 16, ADR 0015): render
//! time on the server and HTML size of `/dashboard?unit=31&period=…` for Hải Phòng (114
//! communes), through the whole router (session, access, aggregation, template), on SQLite.
//!
//! The dataset is the aggregation benchmark's (`benches/aggregate/synth.rs`, same seed):
//! `DANVAN_BENCH_RECORDS` (default 1,000,000) synthetic facts over 2024-01..2026-10.
//!
//! `cargo bench -p danvan-server --bench city_page` runs it; figures go to stdout and to
//! `target/bench-city-page.md`. Without `--bench` (e.g. `cargo test --benches`) it is a smoke
//! run of 2,000 records. Budget: < 100 ms and < 300 KB of HTML.

#![allow(clippy::unwrap_used, clippy::print_stdout)]

#[path = "../aggregate/synth.rs"]
#[allow(dead_code)]
mod synth;

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::NaiveDate;
use danvan_server::aggregate::RankIndicator;
use danvan_server::roles::Role;
use danvan_server::state::AppState;
use danvan_server::storage::{SqliteStorage, Storage};
use danvan_server::units::{UnitTree, Units, import_csv};
use danvan_server::{ServerConfig, app};
use http_body_util::BodyExt;
use tower::ServiceExt;

use synth::{Gen, UnitPool};

const HAIPHONG_CSV: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/units/haiphong.csv"
));
const BATCH: usize = 50_000;
const USER: (&str, &str) = ("bench.city", "mật khẩu thử nghiệm thành phố");

type Timed<'a> =
    Box<dyn Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + 'a>> + 'a>;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
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

struct Resp {
    status: StatusCode,
    cookies: Vec<String>,
    body: Vec<u8>,
}

async fn send(router: &Router, req: Request<Body>) -> Resp {
    let resp = router.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let cookies = resp
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_string))
        .collect();
    let body = resp
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    Resp {
        status,
        cookies,
        body,
    }
}

fn cookie(r: &Resp, name: &str) -> String {
    r.cookies
        .iter()
        .find_map(|c| {
            let (k, v) = c.split(';').next()?.split_once('=')?;
            (k == name).then(|| v.to_string())
        })
        .unwrap()
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Log in through the form; returns the session cookie.
async fn login(router: &Router) -> String {
    let page = send(router, Request::get("/login").body(Body::empty()).unwrap()).await;
    let html = String::from_utf8_lossy(&page.body).to_string();
    let pat = "name=\"csrf\" value=\"";
    let start = html.find(pat).map(|i| i + pat.len()).unwrap();
    let token = html[start..].split('"').next().unwrap().to_string();
    let body = format!(
        "username={}&password={}&csrf={}&next=%2Fdashboard",
        enc(USER.0),
        enc(USER.1),
        enc(&token)
    );
    let resp = send(
        router,
        Request::post("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(
                header::COOKIE,
                format!("danvan_login_csrf={}", cookie(&page, "danvan_login_csrf")),
            )
            .body(Body::from(body))
            .unwrap(),
    )
    .await;
    assert_eq!(resp.status, StatusCode::SEE_OTHER);
    format!("danvan_session={}", cookie(&resp, "danvan_session"))
}

async fn run() {
    let bench = std::env::args().any(|a| a == "--bench");
    let (n, runs) = if bench {
        (
            env_usize("DANVAN_BENCH_RECORDS", 1_000_000),
            env_usize("DANVAN_BENCH_RUNS", 20),
        )
    } else {
        (2_000, 2)
    };
    let dir = tempfile::tempdir().unwrap();
    let storage: Arc<dyn Storage> = Arc::new(
        SqliteStorage::open(&dir.path().join("bench.sqlite3"))
            .await
            .unwrap(),
    );
    let units = Units::load(storage.as_ref()).await.unwrap();
    import_csv(storage.as_ref(), &units, HAIPHONG_CSV.as_bytes())
        .await
        .unwrap();
    let pool = pool_of(&units.tree(), NaiveDate::from_ymd_opt(2025, 7, 1));
    let mut g = Gen::new(7);
    let mut done = 0usize;
    while done < n {
        let k = BATCH.min(n - done);
        let facts: Vec<_> = (done..done + k).map(|i| g.fact(i as u64, &pool)).collect();
        storage.insert_facts(&facts).await.unwrap();
        done += k;
    }
    danvan_server::users::add_user(
        storage.as_ref(),
        &units.tree(),
        USER.0,
        Role::CityOfficer,
        "31",
        USER.1,
    )
    .await
    .unwrap();
    let state = AppState::new(storage.clone(), units, ServerConfig::default());
    state.aggregator.refresh().await.unwrap();
    let agg = state.aggregator.clone();
    let router = app(state);
    let session = login(&router).await;

    let mut md = format!(
        "## City page benchmark\n\n`cargo bench -p danvan-server --bench city_page` on {} CPU(s), \
         {n} records, SQLite; the whole request through the router (session, aggregation, \
         template) as the city officer of Hải Phòng; medians of {runs} runs after a warm-up.\n\n\
         | page | median | max | HTML |\n|---|---:|---:|---:|\n",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    for period in ["2026-H1", "2026-03", "2025"] {
        let uri = format!("/dashboard?unit=31&period={period}");
        let get = || {
            Request::get(uri.as_str())
                .header(header::COOKIE, session.as_str())
                .body(Body::empty())
                .unwrap()
        };
        let first = send(&router, get()).await;
        assert_eq!(first.status, StatusCode::OK, "{uri}");
        let mut times = Vec::with_capacity(runs);
        for _ in 0..runs {
            let t = Instant::now();
            std::hint::black_box(send(&router, get()).await);
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        let line = format!(
            "| `{uri}` | {:.1} ms | {:.1} ms | {:.0} KB |",
            times[times.len() / 2],
            times[times.len() - 1],
            first.body.len() as f64 / 1024.0
        );
        println!("{line}");
        let _ = writeln!(md, "{line}");
    }
    // Where the time goes: the aggregator calls the page makes, one by one.
    let _ = writeln!(
        md,
        "\n| aggregator call (2026-H1) | median | max |\n|---|---:|---:|"
    );
    let h1 = agg.periods().period("2026-H1").unwrap();
    let calls: [(&str, Timed<'_>); 6] = [
        (
            "report (city, whole figures, with the previous period)",
            Box::new(|| {
                Box::pin(async {
                    agg.report("31", &h1).await.unwrap();
                })
            }),
        ),
        (
            "report_seen (city, k = 5)",
            Box::new(|| {
                Box::pin(async {
                    agg.report_seen("31", None, &h1, Some(5)).await.unwrap();
                })
            }),
        ),
        (
            "completeness (city)",
            Box::new(|| {
                Box::pin(async {
                    agg.completeness("31", &h1).await.unwrap();
                })
            }),
        ),
        (
            "ranking (city; the page made it before issue 16)",
            Box::new(|| {
                Box::pin(async {
                    agg.ranking("31", &h1, RankIndicator::MediationReceived)
                        .await
                        .unwrap();
                })
            }),
        ),
        (
            "commune_series (city, 6 periods)",
            Box::new(|| {
                Box::pin(async {
                    agg.commune_series("31", None, &h1, 6).await.unwrap();
                })
            }),
        ),
        (
            "commune_series (city, 2 periods)",
            Box::new(|| {
                Box::pin(async {
                    agg.commune_series("31", None, &h1, 2).await.unwrap();
                })
            }),
        ),
    ];
    for (name, f) in calls {
        f().await;
        let mut times = Vec::with_capacity(runs);
        for _ in 0..runs {
            let t = Instant::now();
            f().await;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        let line = format!(
            "| {name} | {:.1} ms | {:.1} ms |",
            times[times.len() / 2],
            times[times.len() - 1]
        );
        println!("{line}");
        let _ = writeln!(md, "{line}");
    }
    if bench {
        let target = std::env::var("CARGO_TARGET_DIR")
            .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../target").into());
        let path = std::path::Path::new(&target).join("bench-city-page.md");
        std::fs::write(&path, &md).unwrap();
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
