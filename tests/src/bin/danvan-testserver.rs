//! `danvan-testserver`: a live danvan server for tests written in other languages (the Kotlin
//! binding tests and the mobile demo's scripted run, see `scripts/kotlin-tests.sh`).
//!
//! Starts a server on a fresh SQLite database (sample Hải Phòng units) on a free loopback port,
//! issues one-time enrollment codes, prints them as `KEY=value` lines followed by `READY`, and
//! serves until its standard input closes (so it dies with the script that started it) or it is
//! killed. Keys: `DANVAN_URL`; `DANVAN_CODES_MEDIATOR` and `DANVAN_CODES_TEAM_LEADER` (village
//! `11533-T01`), `DANVAN_CODES_INSPECTOR` (commune `11533`), `DANVAN_CODES_OTHER_MEDIATOR`
//! (village `11560-T01` of another commune): comma-separated codes.
//!
//! `cargo run -p danvan-e2e --bin danvan-testserver -- [--codes N]`

use std::io::{Read, Write};

use anyhow::Result;
use clap::Parser;
use danvan_e2e::{COMMUNE_HOA_BINH, TestServer, VILLAGE_HOA_BINH_1, VILLAGE_THUY_NGUYEN_1};
use danvan_server::Role;

/// Run a test server and print enrollment codes.
#[derive(Parser)]
struct Args {
    /// Codes issued per role.
    #[arg(long, default_value_t = 12)]
    codes: usize,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let server = TestServer::start()?;
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
    ];
    let mut out = std::io::stdout().lock();
    for (k, v) in lines {
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
