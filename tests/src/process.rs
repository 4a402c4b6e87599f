//! Servers in their own OS processes, for what an in-process [`TestServer`](crate::TestServer)
//! cannot show: a real `SIGKILL`, several instances on one database, and the server's memory
//! (RSS) apart from the simulated devices'.
//!
//! [`Database`] is a fresh database (PostgreSQL under `DANVAN_TEST_DATABASE_URL`, or SQLite in a
//! temporary directory) with the sample units, reached from the test's own process the way the
//! command line reaches it (codes, users, counts). [`ServerProcess`] runs `danvan-testserver`
//! (the server library's `serve` in a test binary; its path is `env!("CARGO_BIN_EXE_danvan-testserver")`
//! in the crate's tests and benches) on that database, on a loopback port.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use danvan_server::enrollment::{EnrollmentRequest, issue};
use danvan_server::{Role, Storage, Units};
use tokio::runtime::Runtime;

use crate::{Device, create_postgres_database, drop_postgres_database, sample_units_csv};

/// A fresh database with the sample units, reached from the test's process.
pub struct Database {
    /// `postgres://…/<fresh database>`, or `None` on SQLite.
    pub url: Option<String>,
    /// Data directory (SQLite: `danvan.sqlite3` in it).
    pub dir: PathBuf,
    /// The database, as the command line opens it.
    pub storage: Arc<dyn Storage>,
    /// The unit tree.
    pub units: Units,
    rt: Runtime,
    drop_db: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

impl Database {
    /// A fresh SQLite database in a temporary directory.
    pub fn sqlite() -> Result<Database> {
        Self::open(None, None)
    }

    /// A fresh PostgreSQL database under `DANVAN_TEST_DATABASE_URL` (dropped with this value),
    /// or `None` when the variable is not set.
    pub fn postgres() -> Result<Option<Database>> {
        let Ok(admin_url) = std::env::var("DANVAN_TEST_DATABASE_URL") else {
            return Ok(None);
        };
        let (url, name) = create_postgres_database(&admin_url)?;
        Self::open(Some(url), Some((admin_url, name))).map(Some)
    }

    fn open(url: Option<String>, drop_db: Option<(String, String)>) -> Result<Database> {
        let dir = tempfile::tempdir()?;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()?;
        let opened = rt.block_on(async {
            let storage = danvan_server::storage::open(url.as_deref(), dir.path()).await?;
            let units = Units::load(storage.as_ref()).await?;
            let csv = std::fs::File::open(sample_units_csv()).context("sample units")?;
            danvan_server::units::import_csv(storage.as_ref(), &units, csv).await?;
            anyhow::Ok((storage, units))
        });
        let (storage, units) = match opened {
            Ok(o) => o,
            Err(e) => {
                if let Some((admin, name)) = &drop_db {
                    drop_postgres_database(&rt, admin, name);
                }
                return Err(e);
            }
        };
        Ok(Database {
            url,
            dir: dir.path().to_path_buf(),
            storage,
            units,
            rt,
            drop_db,
            _dir: dir,
        })
    }

    /// The `danvan-testserver` options that serve this database.
    pub fn server_args(&self) -> Vec<String> {
        match &self.url {
            Some(url) => vec!["--database-url".into(), url.clone()],
            None => vec!["--data-dir".into(), self.dir.display().to_string()],
        }
    }

    /// Issue a one-time enrollment code.
    pub fn enrollment_code(&self, person: &str, role: Role, unit: &str) -> Result<String> {
        let req = EnrollmentRequest {
            person: person.to_string(),
            role,
            unit: unit.to_string(),
            expires_hours: 72,
            created_by: "e2e".into(),
        };
        let issued =
            self.rt
                .block_on(issue(self.storage.as_ref(), &self.units.tree(), &req, None))?;
        Ok(issued.code)
    }

    /// Issue a code and enroll a new device with it at `url`.
    pub fn enroll(&self, url: &str, person: &str, role: Role, unit: &str) -> Result<Device> {
        let code = self.enrollment_code(person, role, unit)?;
        Device::enroll(url, &code, person)
    }

    /// Create a dashboard user.
    pub fn add_user(&self, username: &str, role: Role, unit: &str, password: &str) -> Result<()> {
        self.rt.block_on(danvan_server::users::add_user(
            self.storage.as_ref(),
            &self.units.tree(),
            username,
            role,
            unit,
            password,
        ))?;
        Ok(())
    }

    /// Import more units (CSV as `danvan-server units import` reads it). A server process
    /// loads the unit tree when it starts: import before.
    pub fn import_units(&self, csv: &str) -> Result<()> {
        self.rt.block_on(danvan_server::units::import_csv(
            self.storage.as_ref(),
            &self.units,
            csv.as_bytes(),
        ))?;
        Ok(())
    }

    /// Run a future on this value's runtime (to query the storage).
    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = self.drop_db.take() {
            drop_postgres_database(&self.rt, &admin_url, &name);
        }
    }
}

/// A process's resident memory, from `/proc/<pid>/status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Memory {
    /// `VmRSS`: resident now, in bytes.
    pub rss: u64,
    /// `VmHWM`: the most resident since the process started or since
    /// [`ServerProcess::reset_peak`], in bytes.
    pub peak: u64,
    /// `Threads`: the process's threads now.
    pub threads: u64,
}

impl Memory {
    /// The memory of process `pid`.
    pub fn of(pid: u32) -> Result<Memory> {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
            .with_context(|| format!("reading /proc/{pid}/status"))?;
        let field = |name: &str| -> Result<u64> {
            let unit = if name == "Threads:" { 1 } else { 1024 };
            let line = status
                .lines()
                .find(|l| l.starts_with(name))
                .with_context(|| format!("no {name} in /proc/{pid}/status"))?;
            let kb: u64 = line
                .trim_start_matches(name)
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse()
                .with_context(|| format!("{line:?}"))?;
            Ok(kb * unit)
        };
        Ok(Memory {
            rss: field("VmRSS:")?,
            peak: field("VmHWM:")?,
            threads: field("Threads:")?,
        })
    }
}

/// CPU time process `pid` has used (user + system, from `/proc/<pid>/stat`, at 100 ticks a
/// second, Linux's `USER_HZ`).
pub fn cpu_time(pid: u32) -> Result<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name (which may hold spaces) in parentheses.
    let rest = stat.rsplit_once(") ").context("/proc/<pid>/stat")?.1;
    let fields: Vec<&str> = rest.split(' ').collect();
    let ticks = |i: usize| -> Result<u64> {
        fields
            .get(i)
            .and_then(|v| v.parse().ok())
            .context("/proc/<pid>/stat field")
    };
    // utime and stime, fields 14 and 15 of the line (the state, field 3, is at 0 here).
    Ok(Duration::from_millis((ticks(11)? + ticks(12)?) * 10))
}

/// A danvan server in its own process (`danvan-testserver` on a [`Database`]).
pub struct ServerProcess {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    /// The port (kept across [`restart`](Self::restart), like a load balancer's backend).
    pub port: u16,
    exe: PathBuf,
    args: Vec<String>,
    child: Option<Child>,
    stdin: Option<ChildStdin>,
}

/// How long a server process may take to start (migrations, units, index).
const START_TIMEOUT: Duration = Duration::from_secs(60);

impl ServerProcess {
    /// Start `exe` (`danvan-testserver`) on `db`, on `port` (0: any free port).
    pub fn start(exe: &Path, db: &Database, port: u16) -> Result<ServerProcess> {
        Self::start_with(exe, db.server_args(), port)
    }

    /// Start `exe` with `args` (e.g. [`Database::server_args`] with another URL), on `port`.
    pub fn start_with(exe: &Path, args: Vec<String>, port: u16) -> Result<ServerProcess> {
        let mut p = ServerProcess {
            url: String::new(),
            port,
            exe: exe.to_path_buf(),
            args,
            child: None,
            stdin: None,
        };
        p.spawn(Instant::now() + START_TIMEOUT)?;
        Ok(p)
    }

    /// Start the process on `self.port`, retrying until `deadline` (a port a killed process
    /// held may take a moment to free).
    fn spawn(&mut self, deadline: Instant) -> Result<()> {
        loop {
            match self.spawn_once(deadline) {
                Ok(()) => return Ok(()),
                Err(e) if Instant::now() < deadline && self.port != 0 => {
                    eprintln!(
                        "server did not start on port {} ({e:#}); retrying",
                        self.port
                    );
                    std::thread::sleep(Duration::from_millis(200));
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn spawn_once(&mut self, deadline: Instant) -> Result<()> {
        let mut child = Command::new(&self.exe)
            .args(&self.args)
            .args(["--codes", "0", "--port", &self.port.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting {}", self.exe.display()))?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().context("no stdout")?;
        let (tx, rx) = mpsc::channel::<String>();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut url = None;
        let ready = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left.max(Duration::from_millis(1))) {
                Ok(line) if line == "READY" => break Ok(()),
                Ok(line) => {
                    if let Some(u) = line.strip_prefix("DANVAN_URL=") {
                        url = Some(u.to_string());
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    break Err(anyhow::anyhow!("no READY within {START_TIMEOUT:?}"));
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    break Err(anyhow::anyhow!(
                        "the server exited before READY ({:?})",
                        child.wait().ok()
                    ));
                }
            }
        };
        if let Err(e) = ready {
            let _ = child.kill();
            let _ = child.wait();
            return Err(e);
        }
        let url = url.context("no DANVAN_URL line")?;
        let port = url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .context("no port in DANVAN_URL")?;
        self.url = url;
        self.port = port;
        self.child = Some(child);
        self.stdin = stdin;
        Ok(())
    }

    /// The process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Send the process a signal (`STOP`, `CONT`, …) with `kill(1)`.
    pub fn signal(&self, name: &str) -> Result<()> {
        let pid = self.pid().context("the server is not running")?;
        let status = Command::new("kill")
            .args(["-s", name, &pid.to_string()])
            .status()?;
        anyhow::ensure!(status.success(), "kill -s {name} {pid}: {status}");
        Ok(())
    }

    /// `SIGKILL` the process and reap it: no shutdown, no goodbye to the database.
    pub fn kill(&mut self) -> Result<()> {
        self.stdin = None;
        if let Some(mut child) = self.child.take() {
            child.kill()?;
            child.wait()?;
        }
        Ok(())
    }

    /// Start the process again on the same port.
    pub fn restart(&mut self) -> Result<()> {
        if self.child.is_some() {
            bail!("the server is still running");
        }
        self.spawn(Instant::now() + START_TIMEOUT)
    }

    /// The process's resident memory now and at its peak.
    pub fn memory(&self) -> Result<Memory> {
        Memory::of(self.pid().context("the server is not running")?)
    }

    /// CPU time the process has used ([`cpu_time`]).
    pub fn cpu(&self) -> Result<Duration> {
        cpu_time(self.pid().context("the server is not running")?)
    }

    /// Reset the process's peak (`VmHWM`) to its resident size now, so that the next
    /// [`memory`](Self::memory) tells the peak of what ran in between (`/proc/<pid>/clear_refs`,
    /// Linux ≥ 4.0). `false` when the kernel refused: the peak then counts from the start.
    pub fn reset_peak(&self) -> bool {
        self.pid()
            .is_some_and(|pid| std::fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok())
    }

    /// Stop the process: close its standard input (it shuts down), kill it after 10 s.
    pub fn stop(&mut self) {
        self.stdin = None;
        if let Some(mut child) = self.child.take() {
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.stop();
    }
}
