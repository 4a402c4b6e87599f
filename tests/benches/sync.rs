//! Sync benchmark (issue #3): danvan's batched sync against a real server on loopback, each
//! figure next to the same workload run through plain per-document Automerge sync
//! (`automerge::sync`, in-process, no network).
//!
//! ```text
//! cargo bench -p danvan-e2e --bench sync                      # N = 5,000 records
//! cargo bench -p danvan-e2e --bench sync -- --quick           # N = 500 (smoke run)
//! DANVAN_BENCH_RECORDS=2000 DANVAN_BENCH_DEVICES=500 cargo bench -p danvan-e2e --bench sync
//! DANVAN_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo bench ...  # + PostgreSQL
//! DANVAN_BENCH_ONLY=merges cargo bench -p danvan-e2e --bench sync   # only 5. (merges/s)
//! DANVAN_BENCH_ONLY=devices cargo bench -p danvan-e2e --bench sync  # only 6. (many devices)
//! DANVAN_BENCH_ONLY=phone cargo bench -p danvan-e2e --bench sync    # only 1. and 4. (the phone)
//! DANVAN_BENCH_SERVER=/path/to/danvan-testserver ...  # another server build (before/after runs)
//! ```
//!
//! Progress goes to stderr; the table goes to stdout and to `target/bench-sync.md`. Every figure
//! is measured in the run that prints it. Results and the machine they ran on are in
//! `docs/sync-protocol.md` ("Benchmarks").
//!
//! The server runs in its own process (`danvan-testserver`, the server library's `serve` on a
//! loopback port, built by cargo with the bench), so that its memory can be measured apart from
//! the simulated phones': beside each figure, the server's peak RSS during that workload and its
//! RSS at the end (`VmHWM`/`VmRSS` of `/proc/<pid>/status`, the peak reset before each workload
//! through `/proc/<pid>/clear_refs`), compared with the target of `docs/design.md` (< 64 MiB with
//! 5,000 records stored and synced). It counts the danvan server process only: on PostgreSQL
//! the database's own processes are not in it. Sections 5 and 6 run on SQLite and, when
//! `DANVAN_TEST_DATABASE_URL` is set, on PostgreSQL (a fresh database each, dropped after).
//!
//! Wire bytes are counted by a small TCP proxy on 127.0.0.1 between the device and the server:
//! everything the HTTP client and server write (request line, headers, body), excluding TCP/IP
//! headers. Frame bytes are the sync frames alone (HTTP bodies).

use std::cell::{Cell, RefCell};
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use automerge::Automerge;
use automerge::sync::{Message, State, SyncDoc};
use danvan_core::RecordBody;
use danvan_core::sync::{
    self as dsync, HttpReply, HttpTransport, NetworkError, SyncOptions, SyncProgress, Transport,
};
use danvan_e2e::process::{Database, Memory, ServerProcess, cpu_time};
use danvan_e2e::{COMMUNE_HOA_BINH, Device, VILLAGE_HOA_BINH_1, day, mediation_case};
use danvan_server::Role;
use indicatif::{ProgressBar, ProgressStyle};

// ---------------------------------------------------------------------------------------------
// Measuring tools: a counting TCP proxy and a counting transport.

/// Byte counters of a loopback TCP proxy (client → server and server → client).
struct Proxy {
    url: String,
    up: Arc<AtomicU64>,
    down: Arc<AtomicU64>,
}

impl Proxy {
    fn start(target: SocketAddr) -> Result<Proxy> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let url = format!("http://{}", listener.local_addr()?);
        let up = Arc::new(AtomicU64::new(0));
        let down = Arc::new(AtomicU64::new(0));
        let (u, d) = (up.clone(), down.clone());
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let Ok(server) = TcpStream::connect(target) else {
                    continue;
                };
                let _ = client.set_nodelay(true);
                let _ = server.set_nodelay(true);
                let (Ok(c2), Ok(s2)) = (client.try_clone(), server.try_clone()) else {
                    continue;
                };
                let (u, d) = (u.clone(), d.clone());
                std::thread::spawn(move || pump(client, server, &u));
                std::thread::spawn(move || pump(s2, c2, &d));
            }
        });
        Ok(Proxy { url, up, down })
    }

    /// (bytes up, bytes down) so far.
    fn counts(&self) -> (u64, u64) {
        (
            self.up.load(Ordering::SeqCst),
            self.down.load(Ordering::SeqCst),
        )
    }
}

fn pump(mut from: TcpStream, mut to: TcpStream, count: &AtomicU64) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                // Count before forwarding, so the counter is complete when the reply arrives.
                count.fetch_add(n as u64, Ordering::SeqCst);
                if to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

/// Wraps a transport; counts requests, frame bytes and the time of each POST.
struct Counting<'a> {
    inner: &'a dyn Transport,
    posts: Cell<u64>,
    sent: Cell<u64>,
    received: Cell<u64>,
    times: RefCell<Vec<Duration>>,
}

impl<'a> Counting<'a> {
    fn new(inner: &'a dyn Transport) -> Self {
        Counting {
            inner,
            posts: Cell::new(0),
            sent: Cell::new(0),
            received: Cell::new(0),
            times: RefCell::new(Vec::new()),
        }
    }
}

impl Transport for Counting<'_> {
    fn post(
        &self,
        path: &str,
        content_type: &str,
        authorization: Option<&str>,
        body: &[u8],
    ) -> Result<HttpReply, NetworkError> {
        let t = Instant::now();
        let r = self.inner.post(path, content_type, authorization, body)?;
        self.times.borrow_mut().push(t.elapsed());
        self.posts.set(self.posts.get() + 1);
        self.sent.set(self.sent.get() + body.len() as u64);
        self.received.set(self.received.get() + r.body.len() as u64);
        Ok(r)
    }
}

/// One measured danvan sync session through the proxy.
#[derive(Debug, Default, Clone, Copy)]
struct Measured {
    posts: u64,
    frame_up: u64,
    frame_down: u64,
    wire_up: u64,
    wire_down: u64,
    wall: Duration,
    /// Time inside `post` (server + loopback); the rest of `wall` is the device's own work.
    in_http: Duration,
    progress: SyncProgress,
}

fn sync_measured(dev: &mut Device, proxy: &Proxy, label: &str) -> Result<Measured> {
    let http = HttpTransport::new(&proxy.url, Duration::from_secs(300));
    let counting = Counting::new(&http);
    let pb = spinner(label);
    let before = proxy.counts();
    let t = Instant::now();
    let progress = dsync::run_sync(
        &mut dev.store,
        &counting,
        &dev.creds,
        SyncOptions::default(),
        |p| {
            pb.set_message(format!(
                "{label}: round {} pushed {} pulled {}",
                p.rounds, p.pushed, p.pulled
            ))
        },
    )?;
    let wall = t.elapsed();
    pb.finish_and_clear();
    // The proxy forwards the last bytes before counting ends; give its threads a moment.
    std::thread::sleep(Duration::from_millis(20));
    let after = proxy.counts();
    Ok(Measured {
        posts: counting.posts.get(),
        frame_up: counting.sent.get(),
        frame_down: counting.received.get(),
        wire_up: after.0 - before.0,
        wire_down: after.1 - before.1,
        wall,
        in_http: counting.times.borrow().iter().sum(),
        progress,
    })
}

// ---------------------------------------------------------------------------------------------
// Plain per-document Automerge sync, in-process.

#[derive(Debug, Default, Clone, Copy)]
struct Plain {
    docs: u64,
    messages: u64,
    /// Sum over documents of ceil(messages / 2): round trips if documents sync one after another.
    round_trips: u64,
    /// Most round trips any one document needed.
    max_rt_per_doc: u64,
    bytes_up: u64,
    bytes_down: u64,
    wall: Duration,
}

/// Sync `client` with `server` (one document) until neither side has anything to say.
fn plain_sync_one(
    client: &mut Automerge,
    cs: &mut State,
    server: &mut Automerge,
    ss: &mut State,
    acc: &mut Plain,
) -> Result<()> {
    let mut msgs = 0u64;
    loop {
        let up = client.generate_sync_message(cs);
        let sent_up = up.is_some();
        if let Some(m) = up {
            let bytes = m.encode();
            acc.bytes_up += bytes.len() as u64;
            msgs += 1;
            server.receive_sync_message(ss, Message::decode(&bytes)?)?;
        }
        let down = server.generate_sync_message(ss);
        let sent_down = down.is_some();
        if let Some(m) = down {
            let bytes = m.encode();
            acc.bytes_down += bytes.len() as u64;
            msgs += 1;
            client.receive_sync_message(cs, Message::decode(&bytes)?)?;
        }
        if !sent_up && !sent_down {
            break;
        }
        if msgs > 100 {
            bail!("plain sync did not converge");
        }
    }
    let rt = msgs.div_ceil(2);
    acc.docs += 1;
    acc.messages += msgs;
    acc.round_trips += rt;
    acc.max_rt_per_doc = acc.max_rt_per_doc.max(rt);
    Ok(())
}

/// Sync every pair; `states` are per document (client, server).
fn plain_sync_all(
    clients: &mut [Automerge],
    servers: &mut [Automerge],
    states: &mut [(State, State)],
) -> Result<Plain> {
    let mut acc = Plain::default();
    let t = Instant::now();
    for ((c, s), (cs, ss)) in clients.iter_mut().zip(servers.iter_mut()).zip(states) {
        plain_sync_one(c, cs, s, ss, &mut acc)?;
    }
    acc.wall = t.elapsed();
    Ok(acc)
}

fn fresh_states(n: usize) -> Vec<(State, State)> {
    (0..n).map(|_| (State::new(), State::new())).collect()
}

// ---------------------------------------------------------------------------------------------
// Helpers.

fn env_usize(name: &str) -> Option<usize> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

fn bar(len: u64, label: &str) -> ProgressBar {
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template("{msg:>28} [{bar:40}] {pos}/{len} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    pb.set_message(label.to_string());
    pb
}

fn spinner(label: &str) -> ProgressBar {
    let pb = ProgressBar::new_spinner();
    pb.set_message(label.to_string());
    pb.enable_steady_tick(Duration::from_millis(200));
    pb
}

fn kb(b: u64) -> String {
    if b < 10_000 {
        format!("{b} B")
    } else if b < 10_000_000 {
        format!("{:.1} KB", b as f64 / 1000.0)
    } else {
        format!("{:.2} MB", b as f64 / 1e6)
    }
}

fn secs(d: Duration) -> String {
    if d < Duration::from_millis(10) {
        format!("{:.2} ms", d.as_secs_f64() * 1000.0)
    } else if d < Duration::from_secs(1) {
        format!("{:.0} ms", d.as_secs_f64() * 1000.0)
    } else {
        format!("{:.2} s", d.as_secs_f64())
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn plain_cell(p: &Plain) -> String {
    format!(
        "{} msgs, {} RT ({} per doc), {} up / {} down, {} in-process",
        p.messages,
        p.round_trips,
        p.max_rt_per_doc,
        kb(p.bytes_up),
        kb(p.bytes_down),
        secs(p.wall)
    )
}

fn met(ok: bool) -> &'static str {
    if ok { "yes" } else { "**no**" }
}

/// `sum` and `count` of the server's `http_request_duration_seconds` for `POST /v1/sync`.
fn server_sync_histogram(addr: SocketAddr) -> Result<(f64, u64)> {
    let mut s = TcpStream::connect(addr)?;
    s.write_all(
        format!(
            "GET /metrics HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {}\r\n\
             Connection: close\r\n\r\n",
            danvan_e2e::METRICS_TOKEN
        )
        .as_bytes(),
    )?;
    let mut text = String::new();
    s.read_to_string(&mut text)?;
    let (mut sum, mut count) = (0.0, 0);
    for line in text.lines() {
        if !line.contains("/v1/sync") || !line.contains("method=\"POST\"") {
            continue;
        }
        let value = line.rsplit(' ').next().unwrap_or("0");
        if line.starts_with("http_request_duration_seconds_sum") {
            sum = value.parse()?;
        } else if line.starts_with("http_request_duration_seconds_count") {
            count = value.parse()?;
        }
    }
    Ok((sum, count))
}

fn server_addr(server: &Served) -> Result<SocketAddr> {
    server
        .url()
        .trim_start_matches("http://")
        .parse()
        .context("server address")
}

// ---------------------------------------------------------------------------------------------
// The server in its own process, and its memory.

/// Memory target of `docs/design.md`: < 64 MiB RSS with 5,000 records stored and synced.
const RSS_TARGET: u64 = 64 * 1024 * 1024;

/// A fresh database and a server process on it.
struct Served {
    backend: &'static str,
    db: Database,
    process: ServerProcess,
    /// Whether the kernel lets us reset the peak between workloads.
    resettable: bool,
    /// RSS right after start.
    at_start: Memory,
}

impl Served {
    fn sqlite() -> Result<Served> {
        Self::on(Database::sqlite()?, "SQLite")
    }

    fn postgres() -> Result<Option<Served>> {
        Database::postgres()?
            .map(|db| Self::on(db, "PostgreSQL"))
            .transpose()
    }

    /// On `db` with `units` (CSV) imported before the server starts.
    fn with_units(db: Database, backend: &'static str, units: &str) -> Result<Served> {
        if !units.is_empty() {
            db.import_units(units)?;
        }
        Self::on(db, backend)
    }

    fn on(db: Database, backend: &'static str) -> Result<Served> {
        // A copy of the server binary can be named (`DANVAN_BENCH_SERVER`), so that two
        // builds of the server run against the same phones, or two builds of the phone side
        // against the same server, alternately in one sitting.
        let exe = std::env::var_os("DANVAN_BENCH_SERVER").map_or_else(
            || std::path::PathBuf::from(env!("CARGO_BIN_EXE_danvan-testserver")),
            std::path::PathBuf::from,
        );
        let process = ServerProcess::start(&exe, &db, 0)?;
        let at_start = process.memory()?;
        let resettable = process.reset_peak();
        Ok(Served {
            backend,
            db,
            process,
            resettable,
            at_start,
        })
    }

    fn url(&self) -> &str {
        &self.process.url
    }

    fn enroll(&self, person: &str, role: Role, unit: &str) -> Result<Device> {
        self.db.enroll(&self.process.url, person, role, unit)
    }

    /// Start a workload: forget the peak so far.
    fn begin(&self) {
        self.process.reset_peak();
    }

    /// The memory since [`begin`](Self::begin) (since the start if the peak cannot be reset).
    fn end(&self) -> Result<Rss> {
        let m = self.process.memory()?;
        Ok(Rss {
            peak: m.peak,
            end: m.rss,
            threads: m.threads,
            since_start: !self.resettable,
        })
    }
}

/// The server's memory over one workload.
#[derive(Debug, Clone, Copy)]
struct Rss {
    peak: u64,
    end: u64,
    /// The server's threads at the end.
    threads: u64,
    /// The peak counts from the server's start (the kernel refused to reset it).
    since_start: bool,
}

impl Rss {
    fn cell(&self) -> String {
        format!(
            "{}peak {} / end {} ({} threads)",
            if self.since_start {
                "since start: "
            } else {
                ""
            },
            mib(self.peak),
            mib(self.end),
            self.threads
        )
    }
}

fn mib(b: u64) -> String {
    format!("{:.1} MiB", b as f64 / (1024.0 * 1024.0))
}

/// Create `n` mediation records on `dev` (with a progress bar).
fn create_records(dev: &mut Device, village: &str, commune: &str, n: usize) -> Result<Duration> {
    let pb = bar(n as u64, &format!("create records {village}"));
    let t = Instant::now();
    for i in 0..n {
        let mut body = mediation_case(village, commune);
        if let RecordBody::Mediation(m) = &mut body {
            m.summary = format!("{} #{i}", m.summary);
        }
        dev.create(body, day(1 + (i % 12) as u32, 1 + (i % 28) as u32))?;
        pb.inc(1);
    }
    pb.finish_and_clear();
    Ok(t.elapsed())
}

fn edit(dev: &mut Device, id: &str, note: &str) -> Result<()> {
    dev.store.update(id, |r| {
        if let RecordBody::Mediation(m) = &mut r.body {
            m.notes = Some(note.to_string());
        }
        Ok(())
    })?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Server merges per second.

const MERGE_VILLAGES: [(&str, &str); 4] = [
    ("11533-T01", "11533"),
    ("11533-T02", "11533"),
    ("11533-T03", "11533"),
    ("11560-T01", "11560"),
];

struct MergeRun {
    merges: u64,
    rounds: u64,
    wall: Duration,
    /// Sum of the server's own `/v1/sync` handling time over the phase (from `/metrics`).
    server: Duration,
    /// CPU time of the server process over the phase (user + system).
    server_cpu: Duration,
    /// CPU time of the phones (this process) over the phase.
    phones_cpu: Duration,
}

/// Four devices (four villages) push `n` fresh records in total, then each edits half of its
/// records and pushes again; all devices sync concurrently. Merges = accepted pushes.
fn merges_per_second(server: &Served, n: usize, label: &str) -> Result<(MergeRun, MergeRun)> {
    let per = n.div_ceil(MERGE_VILLAGES.len());
    let addr = server_addr(server)?;
    let mut devices = Vec::new();
    for (i, (village, commune)) in MERGE_VILLAGES.iter().enumerate() {
        let mut d = server.enroll(&format!("Hòa giải viên {i}"), Role::Mediator, village)?;
        create_records(&mut d, village, commune, per)?;
        devices.push(d);
    }
    let push_all = |devices: &mut Vec<Device>, what: &str| -> Result<MergeRun> {
        let pb = spinner(&format!("{label}: {what}"));
        let (sum0, _) = server_sync_histogram(addr)?;
        let cpu0 = server.process.cpu()?;
        let phones0 = cpu_time(std::process::id())?;
        let t = Instant::now();
        let results: Vec<Result<SyncProgress>> = std::thread::scope(|s| {
            let handles: Vec<_> = devices
                .iter_mut()
                .map(|d| s.spawn(move || d.sync().map_err(anyhow::Error::from)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|_| bail!("sync thread panicked")))
                .collect()
        });
        let wall = t.elapsed();
        let server_cpu = server.process.cpu()?.saturating_sub(cpu0);
        let phones_cpu = cpu_time(std::process::id())?.saturating_sub(phones0);
        pb.finish_and_clear();
        let (sum1, _) = server_sync_histogram(addr)?;
        let mut run = MergeRun {
            merges: 0,
            rounds: 0,
            wall,
            server: Duration::from_secs_f64((sum1 - sum0).max(0.0)),
            server_cpu,
            phones_cpu,
        };
        for r in results {
            let p = r?;
            if p.rejected > 0 {
                bail!("{} pushes rejected", p.rejected);
            }
            run.merges += p.accepted;
            run.rounds += u64::from(p.rounds);
        }
        Ok(run)
    };
    let fresh = push_all(&mut devices, "push fresh records")?;
    let pb = bar((per * devices.len() / 2) as u64, "edit records");
    for (i, d) in devices.iter_mut().enumerate() {
        let ids: Vec<String> = d
            .store
            .list(&Default::default())?
            .into_iter()
            .map(|s| s.id)
            .collect();
        for id in ids.iter().step_by(2) {
            edit(d, id, &format!("ghi chú {i}"))?;
            pb.inc(1);
        }
    }
    pb.finish_and_clear();
    let edits = push_all(&mut devices, "push edits")?;
    Ok((fresh, edits))
}

// ---------------------------------------------------------------------------------------------

struct Row {
    workload: String,
    danvan: String,
    rss: String,
    plain: String,
    target: String,
    met: String,
}

fn row(workload: &str, danvan: String, plain: String, target: &str, met: &str) -> Row {
    Row {
        workload: workload.to_string(),
        danvan,
        rss: "—".to_string(),
        plain,
        target: target.to_string(),
        met: met.to_string(),
    }
}

impl Row {
    /// The server's memory over this row's workload.
    fn rss(mut self, rss: &Rss) -> Row {
        self.rss = rss.cell();
        self
    }
}

/// The memory of every server process the bench started.
#[derive(Default)]
struct Memories {
    peaks: Peaks,
    starts: Vec<(&'static str, Memory)>,
}

impl Memories {
    /// Note a server's memory at start.
    fn start(&mut self, s: Served) -> Served {
        self.starts.push((s.backend, s.at_start));
        s
    }

    fn rows(&self) -> Vec<Row> {
        self.peaks.rows(&self.starts)
    }
}

/// Peaks of one backend's server processes, by workload, for the memory row.
#[derive(Default)]
struct Peaks(Vec<(String, &'static str, Rss)>);

impl Peaks {
    fn add(&mut self, section: &str, s: &Served, rss: Rss) -> Rss {
        self.0.push((section.to_string(), s.backend, rss));
        rss
    }

    /// One row per backend: the highest peak and where.
    fn rows(&self, starts: &[(&'static str, Memory)]) -> Vec<Row> {
        let mut out = Vec::new();
        for backend in ["SQLite", "PostgreSQL"] {
            let Some((section, _, top)) = self
                .0
                .iter()
                .filter(|(_, b, _)| *b == backend)
                .max_by_key(|(_, _, r)| r.peak)
            else {
                continue;
            };
            let start = starts
                .iter()
                .filter(|(b, _)| *b == backend)
                .map(|(_, m)| m.rss)
                .max()
                .unwrap_or(0);
            out.push(row(
                &format!("7. Server memory, {backend}"),
                format!(
                    "highest peak {} (in section {section}); {} right after start",
                    mib(top.peak),
                    mib(start)
                ),
                "—".into(),
                "< 64 MiB RSS (5,000 records stored and synced)",
                met(top.peak < RSS_TARGET),
            ));
        }
        out
    }
}

/// Section 5 (server merges per second) on SQLite and, when configured, PostgreSQL. `plain_rate`
/// is section 1's plain-Automerge figure, if section 1 ran.
fn merge_rows(n: usize, plain_rate: Option<f64>, mem: &mut Memories) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    eprintln!("5. server merges per second (SQLite)");
    let plain = plain_rate.map_or_else(
        || "— (section 1 not run)".to_string(),
        |r| format!("{r:.0} docs/s first sync (in-process, no storage)"),
    );
    let merge_row = |backend: &str, fresh: &MergeRun, edits: &MergeRun| {
        let merges = fresh.merges + edits.merges;
        let wall = fresh.wall + edits.wall;
        let rate = merges as f64 / wall.as_secs_f64();
        row(
            &format!("5. Server merges/s, {backend}"),
            format!(
                "{rate:.0}/s ({merges} merges in {}: {} fresh in {} ({:.0}/s), {} edits in {} ({:.0}/s); 4 devices at once, {} RT; server handler busy {} = {:.0} merges per handler-second; CPU: server {} = {:.0} µs a merge, phones {} = {:.0} µs a merge)",
                secs(wall),
                fresh.merges,
                secs(fresh.wall),
                fresh.merges as f64 / fresh.wall.as_secs_f64(),
                edits.merges,
                secs(edits.wall),
                edits.merges as f64 / edits.wall.as_secs_f64(),
                fresh.rounds + edits.rounds,
                secs(fresh.server + edits.server),
                merges as f64 / (fresh.server + edits.server).as_secs_f64(),
                secs(fresh.server_cpu + edits.server_cpu),
                (fresh.server_cpu + edits.server_cpu).as_secs_f64() * 1e6 / merges.max(1) as f64,
                secs(fresh.phones_cpu + edits.phones_cpu),
                (fresh.phones_cpu + edits.phones_cpu).as_secs_f64() * 1e6 / merges.max(1) as f64,
            ),
            plain.clone(),
            "≥ 5,000/s (issue 15)",
            met(rate >= 5000.0),
        )
    };
    {
        let s = mem.start(Served::sqlite()?);
        s.begin();
        let (fresh, edits) = merges_per_second(&s, n, "SQLite")?;
        let rss = mem.peaks.add("5", &s, s.end()?);
        rows.push(merge_row("SQLite", &fresh, &edits).rss(&rss));
    }
    eprintln!("5. server merges per second (PostgreSQL)");
    match Served::postgres()? {
        Some(s) => {
            let s = mem.start(s);
            s.begin();
            let (fresh, edits) = merges_per_second(&s, n, "PostgreSQL")?;
            let rss = mem.peaks.add("5", &s, s.end()?);
            rows.push(merge_row("PostgreSQL", &fresh, &edits).rss(&rss));
        }
        None => rows.push(row(
            "5. Server merges/s, PostgreSQL",
            "skipped (DANVAN_TEST_DATABASE_URL not set)".into(),
            "—".into(),
            "—",
            "—",
        )),
    }

    Ok(rows)
}

/// Phones per village team in section 6 (`DANVAN_BENCH_TEAM`, default 5): every phone of a
/// team receives every record of its village, so the documents pulled grow with the team.
fn team_size() -> usize {
    env_usize("DANVAN_BENCH_TEAM").unwrap_or(5).max(1)
}

/// The villages of section 6, one per team: the 4 sample villages of section 5 when they are
/// enough, else as many made-up villages spread over the first 20 communes of the sample units
/// (`(code, commune)`), with the CSV that adds them.
fn bench_villages(db: &Database, teams: usize) -> (Vec<(String, String)>, String) {
    if teams <= MERGE_VILLAGES.len() {
        let v = MERGE_VILLAGES[..teams]
            .iter()
            .map(|(v, c)| (v.to_string(), c.to_string()))
            .collect();
        return (v, String::new());
    }
    let tree = db.units.tree();
    let today = chrono::Utc::now().date_naive();
    let communes: Vec<String> = tree
        .at_level("commune", today)
        .into_iter()
        .filter(|u| u.code.starts_with('1'))
        .take(20)
        .map(|u| u.code.clone())
        .collect();
    let mut csv = String::from("code,name,level,parent,valid_from,valid_to,successors\n");
    let mut villages = Vec::with_capacity(teams);
    for k in 0..teams {
        let commune = &communes[k % communes.len()];
        let code = format!("{commune}-B{:03}", k / communes.len());
        csv.push_str(&format!(
            "{code},Tổ dân phố {} (thử tải),village,{commune},2025-07-01,,\n",
            k / communes.len()
        ));
        villages.push((code, commune.clone()));
    }
    (villages, csv)
}

/// Section 6 on one server: `n_devices` phones in village teams of [`team_size`] enroll one
/// after another (codes issued beforehand) and create `per_device` records each; then all of
/// them sync at once, each on its own thread. The server's peak RSS covers both phases.
fn many_devices(
    s: &Served,
    villages: &[(String, String)],
    n_devices: usize,
    notes: &mut Vec<String>,
) -> Result<(Row, Rss)> {
    let per_device = 3;
    let team = team_size();
    let codes = (0..n_devices)
        .map(|i| {
            let (village, commune) = &villages[(i / team) % villages.len()];
            let code =
                s.db.enrollment_code(&format!("Thiết bị {i}"), Role::Mediator, village)?;
            Ok((code, village.as_str(), commune.as_str()))
        })
        .collect::<Result<Vec<_>>>()?;
    s.begin();
    let pb = bar(n_devices as u64, &format!("enroll ({})", s.backend));
    let mut enrolls = Vec::with_capacity(n_devices);
    let mut devices = Vec::with_capacity(n_devices);
    for (i, (code, village, commune)) in codes.iter().enumerate() {
        let t = Instant::now();
        let mut d = Device::enroll(s.url(), code, &format!("Thiết bị {i}"))?;
        enrolls.push(t.elapsed());
        for k in 0..per_device {
            d.create(mediation_case(village, commune), day(3, 1 + k as u32))?;
        }
        devices.push(d);
        pb.inc(1);
    }
    pb.finish_and_clear();
    let pb = bar(n_devices as u64, &format!("sync at once ({})", s.backend));
    let addr = server_addr(s)?;
    let (busy0, _) = server_sync_histogram(addr)?;
    let cpu0 = s.process.cpu()?;
    let phones0 = cpu_time(std::process::id())?;
    let t = Instant::now();
    type Outcome = Result<(SyncProgress, Duration)>;
    let results: Vec<Outcome> = std::thread::scope(|sc| {
        let handles: Vec<_> = devices
            .iter_mut()
            .map(|d| {
                let pb = &pb;
                sc.spawn(move || -> Outcome {
                    let t = Instant::now();
                    let p = d.sync()?;
                    let synced = t.elapsed();
                    pb.inc(1);
                    Ok((p, synced))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| bail!("device thread panicked")))
            .collect()
    });
    let wall = t.elapsed();
    let rss = s.end()?;
    let cpu = s.process.cpu()?.saturating_sub(cpu0);
    let phones = cpu_time(std::process::id())?.saturating_sub(phones0);
    let (busy1, _) = server_sync_histogram(addr)?;
    pb.finish_and_clear();
    let mut errors = 0;
    let mut accepted = 0;
    let mut pulled = 0;
    let mut first_error = None;
    let mut syncs = Vec::new();
    for r in results {
        match r {
            Ok((p, y)) => {
                accepted += p.accepted;
                pulled += p.pulled;
                syncs.push(y);
            }
            Err(e) => {
                errors += 1;
                first_error.get_or_insert(format!("{e:#}"));
            }
        }
    }
    if let Some(e) = first_error {
        notes.push(format!("First device error ({}): {e}", s.backend));
    }
    enrolls.sort();
    syncs.sort();
    let stored = s.db.block_on(s.db.storage.doc_stats())?.documents;
    let teams = n_devices.div_ceil(team).min(villages.len());
    let r = row(
        &format!(
            "6. {n_devices} devices syncing at once ({per_device} new records each; {teams} \
             villages, teams of {team}), {}",
            s.backend
        ),
        format!(
            "{errors} errors; {accepted} records accepted ({stored} stored) in {} = {:.0} \
             records/s, {:.0} syncs/s; sync per device median {} / p95 {} / max {}; {pulled} \
             documents pulled; CPU: server {}, phones {} (handlers busy {} in all); before that, \
             enrolling one after another: median {} / p95 {}",
            secs(wall),
            accepted as f64 / wall.as_secs_f64(),
            syncs.len() as f64 / wall.as_secs_f64(),
            secs(percentile(&syncs, 0.5)),
            secs(percentile(&syncs, 0.95)),
            secs(syncs.last().copied().unwrap_or_default()),
            secs(cpu),
            secs(phones),
            secs(Duration::from_secs_f64((busy1 - busy0).max(0.0))),
            secs(percentile(&enrolls, 0.5)),
            secs(percentile(&enrolls, 0.95)),
        ),
        "—".into(),
        "0 errors (500 devices)",
        met(errors == 0 && stored == (n_devices * per_device) as i64),
    )
    .rss(&rss);
    Ok((r, rss))
}

/// Section 6 on SQLite and, when configured, PostgreSQL.
fn device_rows(n_devices: usize, mem: &mut Memories, notes: &mut Vec<String>) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    notes.push(format!(
        "Section 6: the {n_devices} enrollment codes are issued first (an administrator's work); \
         the phones then enroll over HTTP one after another and create their records, and the \
         clock runs while all of them sync at once, each on its own thread of this process (on \
         the same cores as the server). The phones are mediators in village teams of {} \
         (`DANVAN_BENCH_TEAM`); each pulls the records of its team.",
        team_size()
    ));
    let teams = n_devices.div_ceil(team_size());
    eprintln!("6. {n_devices} devices syncing at once (SQLite)");
    let db = Database::sqlite()?;
    let (villages, csv) = bench_villages(&db, teams);
    let s = mem.start(Served::with_units(db, "SQLite", &csv)?);
    let (r, rss) = many_devices(&s, &villages, n_devices, notes)?;
    mem.peaks.add("6", &s, rss);
    rows.push(r);
    drop(s);
    eprintln!("6. {n_devices} devices syncing at once (PostgreSQL)");
    match Database::postgres()? {
        Some(db) => {
            let (villages, csv) = bench_villages(&db, teams);
            let s = mem.start(Served::with_units(db, "PostgreSQL", &csv)?);
            let (r, rss) = many_devices(&s, &villages, n_devices, notes)?;
            mem.peaks.add("6", &s, rss);
            rows.push(r);
        }
        None => rows.push(row(
            &format!("6. {n_devices} devices at once, PostgreSQL"),
            "skipped (DANVAN_TEST_DATABASE_URL not set)".into(),
            "—".into(),
            "—",
            "—",
        )),
    }
    Ok(rows)
}

fn main() -> Result<()> {
    let quick = std::env::args().any(|a| a == "--quick")
        || std::env::var("DANVAN_BENCH_QUICK").is_ok_and(|v| v == "1");
    let n = env_usize("DANVAN_BENCH_RECORDS").unwrap_or(if quick { 500 } else { 5_000 });
    let n_devices = env_usize("DANVAN_BENCH_DEVICES").unwrap_or(if quick { 20 } else { 100 });
    let reps = env_usize("DANVAN_BENCH_REPS").unwrap_or(200);
    let mut rows: Vec<Row> = Vec::new();
    let mut notes: Vec<String> = vec![
        "Server RSS: the server's fact index (aggregates) is caught up only when a report is \
         asked for, and the bench asks for none, so the figures do not hold it: about 135 B of \
         RSS per record (ADR 0004), 0.7 MiB at 5,000 records."
            .to_string(),
    ];
    eprintln!("danvan sync bench: N = {n} records, {n_devices} concurrent devices");
    if std::env::var("DANVAN_BENCH_ONLY").is_ok_and(|v| v == "merges") {
        // Section 5 alone; the table goes to stdout only (target/bench-sync.md keeps the full run).
        let mut mem = Memories::default();
        let rows = merge_rows(n, None, &mut mem)?;
        for r in rows.iter().chain(&mem.rows()) {
            println!(
                "| {} | {} | {} | {} | {} | {} |",
                r.workload, r.danvan, r.rss, r.plain, r.target, r.met
            );
        }
        return Ok(());
    }
    if std::env::var("DANVAN_BENCH_ONLY").is_ok_and(|v| v == "devices") {
        // Section 6 alone, printed to stdout.
        let mut mem = Memories::default();
        let rows = device_rows(n_devices, &mut mem, &mut notes)?;
        for r in rows.iter().chain(&mem.rows()) {
            println!(
                "| {} | {} | {} | {} | {} | {} |",
                r.workload, r.danvan, r.rss, r.plain, r.target, r.met
            );
        }
        for note in &notes {
            println!("- {note}");
        }
        return Ok(());
    }

    // `DANVAN_BENCH_ONLY=phone`: sections 1 and 4 alone (the phone's side), printed to stdout.
    let phone_only = std::env::var("DANVAN_BENCH_ONLY").is_ok_and(|v| v == "phone");

    // ---- 1. First upload ---------------------------------------------------------------------
    let mut mem = Memories::default();
    let server = mem.start(Served::sqlite()?);
    let addr = server_addr(&server)?;
    let proxy = Proxy::start(addr)?;
    let mut lan = server.enroll("Nguyễn Thị Lan", Role::Mediator, VILLAGE_HOA_BINH_1)?;
    let created = create_records(&mut lan, VILLAGE_HOA_BINH_1, COMMUNE_HOA_BINH, n)?;
    notes.push(format!(
        "Creating the {n} records in the phone store took {} (not part of any figure).",
        secs(created)
    ));
    let ids = lan.store.dirty_records()?;
    // Plain Automerge copies of the same documents: client = the phone's, server = empty.
    let mut plain_clients = Vec::with_capacity(ids.len());
    for id in &ids {
        plain_clients.push(Automerge::load(&lan.store.doc(id)?.save())?);
    }
    let mut plain_servers: Vec<Automerge> = (0..ids.len()).map(|_| Automerge::new()).collect();

    eprintln!("1. first upload");
    server.begin();
    let up = sync_measured(&mut lan, &proxy, "first upload")?;
    let rss = mem.peaks.add("1", &server, server.end()?);
    if up.progress.accepted != n as u64 {
        bail!("first upload: {} of {n} accepted", up.progress.accepted);
    }
    let mut states = fresh_states(ids.len());
    let plain_up = plain_sync_all(&mut plain_clients, &mut plain_servers, &mut states)?;
    rows.push(
        row(
            &format!("1. First upload, {n} records"),
            format!(
                "{} RT; frames {} up / {} down; wire {} up / {} down; {} (HTTP {}, device {})",
                up.posts,
                kb(up.frame_up),
                kb(up.frame_down),
                kb(up.wire_up),
                kb(up.wire_down),
                secs(up.wall),
                secs(up.in_http),
                secs(up.wall.saturating_sub(up.in_http))
            ),
            plain_cell(&plain_up),
            "≤ 2 s (issue 15)",
            met(up.wall <= Duration::from_secs(2)),
        )
        .rss(&rss),
    );

    if !phone_only {
        // ---- 2. No-change sync -------------------------------------------------------------------
        eprintln!("2. no-change sync");
        server.begin();
        let nc = sync_measured(&mut lan, &proxy, "no-change sync")?;
        let rss = mem.peaks.add("2a", &server, server.end()?);
        let mut states = fresh_states(ids.len());
        let plain_nc = plain_sync_all(&mut plain_clients, &mut plain_servers, &mut states)?;
        rows.push(
            row(
                "2a. No-change sync: round trips",
                format!("{}", nc.posts),
                format!(
                    "{} msgs, {} RT ({} per doc)",
                    plain_nc.messages, plain_nc.round_trips, plain_nc.max_rt_per_doc
                ),
                "1",
                met(nc.posts == 1),
            )
            .rss(&rss),
        );
        rows.push(
            row(
                "2b. No-change sync: bytes on the wire (incl. HTTP headers)",
                format!(
                    "request {} (frame {}), response {} (frame {})",
                    kb(nc.wire_up),
                    kb(nc.frame_up),
                    kb(nc.wire_down),
                    kb(nc.frame_down)
                ),
                format!(
                    "{} up / {} down (messages only)",
                    kb(plain_nc.bytes_up),
                    kb(plain_nc.bytes_down)
                ),
                "< 512 B each way",
                met(nc.wire_up < 512 && nc.wire_down < 512),
            )
            .rss(&rss),
        );
        // Server time: repeated no-change syncs straight to the server (no proxy).
        let direct = HttpTransport::new(server.url(), Duration::from_secs(30));
        let counting = Counting::new(&direct);
        let (sum0, count0) = server_sync_histogram(addr)?;
        server.begin();
        let pb = bar(reps as u64, "no-change × reps");
        let t = Instant::now();
        for _ in 0..reps {
            let p = dsync::run_sync(
                &mut lan.store,
                &counting,
                &lan.creds,
                SyncOptions::default(),
                |_| {},
            )?;
            if p.rounds != 1 || p.pulled != 0 || p.pushed != 0 {
                bail!("no-change sync was not a single empty round: {p:?}");
            }
            pb.inc(1);
        }
        let whole = t.elapsed();
        pb.finish_and_clear();
        let rss = mem.peaks.add("2c", &server, server.end()?);
        let (sum1, count1) = server_sync_histogram(addr)?;
        let mut times = counting.times.borrow().clone();
        times.sort();
        let (p50, p95) = (percentile(&times, 0.5), percentile(&times, 0.95));
        let server_mean = if count1 > count0 {
            Duration::from_secs_f64((sum1 - sum0) / (count1 - count0) as f64)
        } else {
            Duration::ZERO
        };
        rows.push(row(
        "2c. No-change sync: server time",
        format!(
            "HTTP round trip on loopback median {} / p95 {} ({reps} runs); in-server mean {} (`/metrics`); whole sync incl. phone store {} per run",
            secs(p50),
            secs(p95),
            secs(server_mean),
            secs(whole / reps as u32)
        ),
        format!("{} in-process", secs(plain_nc.wall)),
        "< 10 ms",
        met(p95 < Duration::from_millis(10)),
    )
    .rss(&rss));

        // ---- 3. One edited record ----------------------------------------------------------------
        eprintln!("3. one edited record");
        let edited = ids.first().context("no records")?.clone();
        edit(&mut lan, &edited, "Đã mời trưởng tổ dân phố")?;
        server.begin();
        let one = sync_measured(&mut lan, &proxy, "one edit")?;
        let rss = mem.peaks.add("3", &server, server.end()?);
        // Plain: the same edit reaches the client copy, which syncs that document on a live
        // connection (states kept from the no-change pass), so only that document exchanges.
        let edited_bytes = lan.store.doc(&edited)?.save();
        plain_clients[0].load_incremental(&edited_bytes)?;
        let mut acc = Plain::default();
        let t = Instant::now();
        {
            let (cs, ss) = &mut states[0];
            plain_sync_one(
                &mut plain_clients[0],
                cs,
                &mut plain_servers[0],
                ss,
                &mut acc,
            )?;
        }
        acc.wall = t.elapsed();
        rows.push(row(
        "3. One edited record",
        format!(
            "{} RT; wire {} up / {} down = {} (frames {} / {})",
            one.posts,
            kb(one.wire_up),
            kb(one.wire_down),
            kb(one.wire_up + one.wire_down),
            kb(one.frame_up),
            kb(one.frame_down)
        ),
        format!(
            "{} msgs, {} RT, {} (live connection, that doc only; after a reconnect add row 2a/2b)",
            acc.messages,
            acc.round_trips,
            kb(acc.bytes_up + acc.bytes_down)
        ),
        "1 RT, < 2 KB",
        met(one.posts == 1 && one.wire_up + one.wire_down < 2048),
    )
    .rss(&rss));
    }

    // ---- 4. First download to a new device ---------------------------------------------------
    eprintln!("4. first download to a new device");
    let mut hung = server.enroll("Trần Văn Hùng", Role::TeamLeader, VILLAGE_HOA_BINH_1)?;
    server.begin();
    let dl = sync_measured(&mut hung, &proxy, "first download")?;
    let rss = mem.peaks.add("4", &server, server.end()?);
    if dl.progress.pulled < n as u64 {
        bail!("first download: {} of {n} documents", dl.progress.pulled);
    }
    let compacted: u64 = plain_servers.iter().map(|d| d.save().len() as u64).sum();
    let stats = server.db.block_on(server.db.storage.doc_stats())?;
    let mut new_clients: Vec<Automerge> = (0..ids.len()).map(|_| Automerge::new()).collect();
    let mut states = fresh_states(ids.len());
    let plain_dl = plain_sync_all(&mut new_clients, &mut plain_servers, &mut states)?;
    let ratio = (dl.wire_up + dl.wire_down) as f64 / compacted as f64;
    rows.push(
        row(
            &format!("4a. First download of {n} records: time"),
            format!(
                "{} (in HTTP requests {}, device applying {})",
                secs(dl.wall),
                secs(dl.in_http),
                secs(dl.wall.saturating_sub(dl.in_http))
            ),
            format!("{} in-process", secs(plain_dl.wall)),
            "≤ 1.5 s (issue 15)",
            met(dl.wall <= Duration::from_millis(1500)),
        )
        .rss(&rss),
    );
    rows.push(row(
        "4b. First download: round trips",
        format!("{}", dl.posts),
        format!(
            "{} msgs, {} RT ({} per doc)",
            plain_dl.messages, plain_dl.round_trips, plain_dl.max_rt_per_doc
        ),
        "a handful",
        "—",
    ));
    rows.push(row(
        "4c. First download: wire bytes / compacted size",
        format!(
            "{} wire ({} up / {} down; frames {}) / {} compacted = {ratio:.2}×",
            kb(dl.wire_up + dl.wire_down),
            kb(dl.wire_up),
            kb(dl.wire_down),
            kb(dl.frame_up + dl.frame_down),
            kb(compacted)
        ),
        format!(
            "{} = {:.2}×",
            kb(plain_dl.bytes_up + plain_dl.bytes_down),
            (plain_dl.bytes_up + plain_dl.bytes_down) as f64 / compacted as f64
        ),
        "< 1.5×",
        met(ratio < 1.5),
    ));
    notes.push(format!(
        "Compacted size = sum of `save()` of the {} documents ({} on average); the server stored {} in {} documents + {} chunks.",
        ids.len(),
        kb(compacted / ids.len().max(1) as u64),
        kb(stats.bytes as u64),
        stats.documents,
        stats.chunks
    ));
    drop(hung);
    drop(lan);
    drop(server);
    if phone_only {
        for r in &rows {
            println!(
                "| {} | {} | {} | {} | {} | {} |",
                r.workload, r.danvan, r.rss, r.plain, r.target, r.met
            );
        }
        for note in &notes {
            println!("- {note}");
        }
        return Ok(());
    }

    // ---- 5. Server merges per second ---------------------------------------------------------
    let plain_rate = plain_up.docs as f64 / plain_up.wall.as_secs_f64();
    rows.extend(merge_rows(n, Some(plain_rate), &mut mem)?);

    // ---- 6. Many devices at once -------------------------------------------------------------
    rows.extend(device_rows(n_devices, &mut mem, &mut notes)?);
    rows.extend(mem.rows());

    // ---- Table -------------------------------------------------------------------------------
    let mut out = String::new();
    out.push_str(&format!(
        "Sync benchmark — N = {n} mediation records, server and devices on 127.0.0.1, {} cores, {}.\n\n",
        std::thread::available_parallelism().map_or(0, |p| p.get()),
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC")
    ));
    out.push_str(
        "| Workload | danvan | Server RSS (peak / end) | plain Automerge (per document) | Target | Met? |\n",
    );
    out.push_str("|---|---|---|---|---|---|\n");
    for r in &rows {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            r.workload, r.danvan, r.rss, r.plain, r.target, r.met
        ));
    }
    out.push('\n');
    out.push_str("RT = round trips (HTTP requests for danvan; message pairs for plain Automerge). Wire = bytes written by HTTP client and server, counted by a TCP proxy (headers + bodies). Plain Automerge runs in-process, without network or storage. Server RSS = the danvan server process alone (`danvan-testserver`, release build), `VmHWM` over the row's workload (peak reset before it) / `VmRSS` after it; PostgreSQL's own processes are not counted.\n");
    for note in &notes {
        out.push_str(&format!("- {note}\n"));
    }
    println!("{out}");
    let target_dir = std::env::var("CARGO_TARGET_DIR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../target").to_string());
    let path = std::path::Path::new(&target_dir).join("bench-sync.md");
    std::fs::write(&path, &out).with_context(|| format!("writing {}", path.display()))?;
    eprintln!("table written to {}", path.display());
    Ok(())
}
