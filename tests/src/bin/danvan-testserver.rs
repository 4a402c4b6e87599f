//! `danvan-testserver`: a live danvan server for tests written in other languages (the Kotlin
//! binding tests and the mobile demo's scripted run, see `scripts/kotlin-tests.sh`).
//!
//! Starts a server on a fresh SQLite database (sample Hải Phòng units) on a free loopback port,
//! issues one-time enrollment codes, prints them as `KEY=value` lines followed by `READY`, and
//! serves until its standard input closes (so it dies with the script that started it) or it is
//! killed. Keys: `DANVAN_URL`; `DANVAN_CODES_MEDIATOR` and `DANVAN_CODES_TEAM_LEADER` (village
//! `11533-T01`), `DANVAN_CODES_INSPECTOR` (commune `11533`), `DANVAN_CODES_OTHER_MEDIATOR`
//! (village `11560-T01` of another commune), `DANVAN_CODES_RECEPTION_OFFICER` (commune `11533`:
//! petitions and dialogues), `DANVAN_CODES_OTHER_RECEPTION_OFFICER` (commune `11560`):
//! comma-separated codes.
//!
//! When Node and the interop project (`tests/interop`, `npm ci`) are there, it also seeds a
//! mediation case in village `11533-T01` edited by JavaScript's Automerge with its default
//! strings (text objects; issue 14, situation 5) and prints `DANVAN_JS_RECORD` (its id) and
//! `DANVAN_JS_SUMMARY` (the summary the JavaScript client wrote); both are empty otherwise.
//!
//! With `--database-url postgres://…` it serves that database instead (several processes may
//! serve one database: `tests/tests/two_instances.rs`), with `--data-dir DIR` the SQLite database
//! in `DIR` (kept; the sync bench measures the server's memory this way, out of its own process);
//! neither seeds the JavaScript-edited record (the database is the caller's). `--port` picks the
//! loopback port (0, the default: any free one).
//!
//! `DANVAN_LOG=info` (a tracing filter) logs to stderr.
//!
//! `cargo run -p danvan-e2e --bin danvan-testserver -- [--codes N] [--database-url URL |
//! --data-dir DIR] [--port P]`

use std::io::{Read, Write};

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};
use clap::Parser;
use danvan_e2e::{
    COMMUNE_HOA_BINH, TestServer, VILLAGE_HOA_BINH_1, VILLAGE_THUY_NGUYEN_1, day, mediation_case,
};
use danvan_server::Role;

/// Phường Thủy Nguyên, the commune of `VILLAGE_THUY_NGUYEN_1`.
const COMMUNE_THUY_NGUYEN: &str = "11560";

/// Run a test server and print enrollment codes.
#[derive(Parser)]
struct Args {
    /// Codes issued per role.
    #[arg(long, default_value_t = 12)]
    codes: usize,
    /// Serve this PostgreSQL database instead of a fresh SQLite one (no record seeded).
    #[arg(long)]
    database_url: Option<String>,
    /// Serve the SQLite database in this directory, created if needed (no record seeded).
    #[arg(long, conflicts_with = "database_url")]
    data_dir: Option<PathBuf>,
    /// Loopback port to listen on (0: any free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
}

fn main() -> Result<()> {
    let args = Args::parse();
    if let Ok(filter) = std::env::var("DANVAN_LOG") {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_writer(std::io::stderr)
            .init();
    }
    let caller_db = args.database_url.is_some() || args.data_dir.is_some();
    let server = match (&args.database_url, &args.data_dir) {
        (None, None) => {
            let dir = tempfile::tempdir()?;
            let path = dir.path().to_path_buf();
            TestServer::start_on(None, &path, Some(dir), args.port)?
        }
        (url, dir) => TestServer::start_on(
            url.as_deref(),
            dir.as_deref().unwrap_or(Path::new(".")),
            None,
            args.port,
        )?,
    };
    let issue = |person: &str, role: Role, unit: &str| -> Result<String> {
        let codes = (1..=args.codes)
            .map(|i| server.enrollment_code(&format!("{person} {i}"), role, unit))
            .collect::<Result<Vec<_>>>()?;
        Ok(codes.join(","))
    };
    let lines = [
        ("DANVAN_URL", server.url.clone()),
        (
            "DANVAN_CODES_MEDIATOR",
            issue("Hòa giải viên", Role::Mediator, VILLAGE_HOA_BINH_1)?,
        ),
        (
            "DANVAN_CODES_TEAM_LEADER",
            issue("Tổ trưởng", Role::TeamLeader, VILLAGE_HOA_BINH_1)?,
        ),
        (
            "DANVAN_CODES_INSPECTOR",
            issue("Thanh tra nhân dân", Role::Inspector, COMMUNE_HOA_BINH)?,
        ),
        (
            "DANVAN_CODES_OTHER_MEDIATOR",
            issue(
                "Hòa giải viên xã khác",
                Role::Mediator,
                VILLAGE_THUY_NGUYEN_1,
            )?,
        ),
        (
            "DANVAN_CODES_RECEPTION_OFFICER",
            issue(
                "Cán bộ tiếp công dân",
                Role::ReceptionOfficer,
                COMMUNE_HOA_BINH,
            )?,
        ),
        (
            "DANVAN_CODES_OTHER_RECEPTION_OFFICER",
            issue(
                "Cán bộ tiếp công dân xã khác",
                Role::ReceptionOfficer,
                COMMUNE_THUY_NGUYEN,
            )?,
        ),
    ];
    let seeded = if caller_db {
        Ok(None)
    } else {
        seed_js_record(&server)
    };
    let (js_id, js_summary) = match seeded {
        Ok(Some(seeded)) => seeded,
        Ok(None) => (String::new(), String::new()),
        Err(e) => {
            eprintln!("danvan-testserver: the JavaScript-edited record was not seeded: {e:#}");
            (String::new(), String::new())
        }
    };
    let mut out = std::io::stdout().lock();
    for (k, v) in lines.into_iter().chain([
        ("DANVAN_JS_RECORD", js_id),
        ("DANVAN_JS_SUMMARY", js_summary),
    ]) {
        writeln!(out, "{k}={v}")?;
    }
    writeln!(out, "READY")?;
    out.flush()?;
    drop(out);
    // Serve until stdin closes (the parent script exited or closed its end).
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
    drop(server);
    Ok(())
}

/// A case created by a danvan device, then edited by `tests/interop/edit.mjs` (JavaScript's
/// Automerge, strings as text objects), whose changes the device received and pushed: the
/// server holds a record with text objects, as a third-party client would leave it. `None`
/// when Node or the interop project's packages are missing.
fn seed_js_record(server: &TestServer) -> Result<Option<(String, String)>> {
    let interop = Path::new(env!("CARGO_MANIFEST_DIR")).join("interop");
    let node_ok = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !node_ok || !interop.join("node_modules/@automerge/automerge").exists() {
        return Ok(None);
    }
    let mut device = server.enroll(
        "Thiết bị máy chủ thử",
        danvan_server::Role::TeamLeader,
        VILLAGE_HOA_BINH_1,
    )?;
    let id = device
        .create(
            mediation_case(VILLAGE_HOA_BINH_1, COMMUNE_HOA_BINH),
            day(9, 2),
        )?
        .id()
        .to_string();
    device.sync()?;
    // The JavaScript client is a device of its own: a device may only add changes under its
    // own actor id (issue 11, item 7), so edit.mjs writes as this device's actor.
    let mut js = server.enroll(
        "Ứng dụng JavaScript (thử)",
        danvan_server::Role::TeamLeader,
        VILLAGE_HOA_BINH_1,
    )?;
    js.sync()?;
    let dir = tempfile::tempdir()?;
    let (base, changes, edits) = (
        dir.path().join("base.automerge"),
        dir.path().join("js-changes.automerge"),
        dir.path().join("js-edits.json"),
    );
    std::fs::write(&base, js.store.doc(&id)?.save())?;
    let run = Command::new("node")
        .arg(interop.join("edit.mjs"))
        .args([&base, &changes, &edits])
        .env("DANVAN_INTEROP_DEVICE", js.id().to_string())
        .output()
        .context("running node")?;
    anyhow::ensure!(
        run.status.success(),
        "edit.mjs failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    js.store.apply_remote(&id, &std::fs::read(&changes)?)?;
    js.store.resend(&id)?;
    js.sync()?;
    let state = js.store.sync_state(&id)?;
    anyhow::ensure!(
        state.state == danvan_core::store::SyncState::Accepted,
        "the server refused the JavaScript client's changes: {:?}",
        state.rejection
    );
    let written: serde_json::Value = serde_json::from_slice(&std::fs::read(&edits)?)?;
    let summary = written["summary"]
        .as_str()
        .context("js-edits.json has no summary")?
        .to_string();
    Ok(Some((id, summary)))
}
