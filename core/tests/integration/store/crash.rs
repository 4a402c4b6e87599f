//! Crash safety: a child process writes records in a loop and reports each commit; the parent
//! kills it (SIGKILL) at random moments, many times, and checks after each kill that the store
//! opens, holds every reported commit, passes `integrity_check` and that index and documents
//! agree. Run on a plain store and on an encrypted one (SQLCipher, the phone's store).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use danvan_core::RulesConfig;
use danvan_core::store::{ListQuery, Store, StoreKey};

use super::*;

const CHILD_ENV: &str = "DANVAN_CRASH_CHILD_STORE";
const DEVICE_ENV: &str = "DANVAN_CRASH_CHILD_DEVICE";
/// The store key in hex, when the store is encrypted.
const KEY_ENV: &str = "DANVAN_CRASH_CHILD_KEY";
const CHILD_TEST: &str = "store::crash::crash_child";
const ROUNDS: usize = 32;

/// Tiny xorshift generator (no extra dependency), seeded per process.
struct Rng(u64);

impl Rng {
    fn seeded() -> Rng {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64;
        Rng(nanos ^ (u64::from(std::process::id()) << 32) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The record's version in this test: the number in its unit code `v<N>`.
fn version_of(unit: &str) -> u64 {
    unit.trim_start_matches('v').parse().unwrap()
}

/// The child: write until killed (or 30 s pass), printing `COMMITTED <id> <version>` after each
/// commit. Run only by `crash_kills_never_lose_committed_records`.
#[test]
#[ignore = "child process of the crash test; run by it"]
fn crash_child() {
    let path = std::env::var(CHILD_ENV).expect("run by the crash test");
    let device: Uuid = std::env::var(DEVICE_ENV).unwrap().parse().unwrap();
    let key = std::env::var(KEY_ENV)
        .ok()
        .map(|h| StoreKey::from_slice(&hex::decode(h).unwrap()).unwrap());
    let mut store = open_store(&path, device, key.as_ref());
    let mut known: Vec<(String, u64)> = store
        .list(&ListQuery::default())
        .unwrap()
        .into_iter()
        .map(|r| (r.id, version_of(&r.unit)))
        .collect();
    let mut rng = Rng::seeded();
    let out = std::io::stdout();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        let (id, version) = if known.is_empty() || rng.below(4) == 0 {
            let body = with_summary(mediation(), &format!("Vụ việc lối đi {}", rng.below(1000)));
            let rec = store.create(body, "v0", day(2)).unwrap();
            known.push((rec.id().to_string(), 0));
            (rec.id().to_string(), 0)
        } else {
            let i = rng.below(known.len() as u64) as usize;
            let (id, v) = &mut known[i];
            *v += 1;
            let next = *v;
            store
                .update(id, |r| {
                    r.envelope.unit = format!("v{next}");
                    Ok(())
                })
                .unwrap();
            (id.clone(), next)
        };
        let mut lock = out.lock();
        writeln!(lock, "COMMITTED {id} {version}").unwrap();
        lock.flush().unwrap();
    }
}

/// Open the store at `path`, encrypted when `key` is given.
fn open_store(path: impl AsRef<std::path::Path>, device: Uuid, key: Option<&StoreKey>) -> Store {
    match key {
        Some(key) => Store::open_encrypted(path, device, RulesConfig::default(), key),
        None => Store::open(path, device, RulesConfig::default()),
    }
    .unwrap_or_else(|e| panic!("store does not open: {e}"))
}

#[test]
fn crash_kills_never_lose_committed_records() {
    crash_rounds(None);
}

#[test]
fn crash_kills_never_lose_committed_records_encrypted() {
    let key: [u8; 32] = std::array::from_fn(|i| (i as u8).wrapping_mul(37).wrapping_add(11));
    crash_rounds(Some(key));
}

/// Kill a writing child [`ROUNDS`] times; check the store after each kill.
fn crash_rounds(raw_key: Option<[u8; 32]>) {
    let key = raw_key.map(StoreKey::new);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.sqlite3");
    let device = Uuid::now_v7();
    drop(open_store(&path, device, key.as_ref()));
    if key.is_some() {
        let header = std::fs::read(&path).unwrap();
        assert!(!header.starts_with(b"SQLite format 3\0"), "not encrypted");
    }
    let exe = std::env::current_exe().unwrap();
    let mut rng = Rng::seeded();
    let mut committed: HashMap<String, u64> = HashMap::new();
    let mut total_commits = 0usize;
    for round in 0..ROUNDS {
        let mut command = Command::new(&exe);
        if let Some(raw) = raw_key {
            command.env(KEY_ENV, hex::encode(raw));
        }
        let mut child = command
            .args([
                "--exact",
                CHILD_TEST,
                "--ignored",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env(CHILD_ENV, &path)
            .env(DEVICE_ENV, device.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel::<String>();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if line.starts_with("COMMITTED ") && tx.send(line).is_err() {
                    break;
                }
            }
        });
        // Wait for the first commit, then let it run a random while and kill it.
        let first = rx.recv_timeout(Duration::from_secs(20));
        assert!(first.is_ok(), "round {round}: the child never committed");
        std::thread::sleep(Duration::from_millis(rng.below(120)));
        child.kill().unwrap();
        child.wait().unwrap();
        reader.join().unwrap();
        for line in first.into_iter().chain(rx.try_iter()) {
            let mut parts = line.split_whitespace().skip(1);
            let (id, v) = (
                parts.next().unwrap(),
                parts.next().unwrap().parse::<u64>().unwrap(),
            );
            let e = committed.entry(id.to_string()).or_insert(0);
            *e = (*e).max(v);
            total_commits += 1;
        }

        let store = match &key {
            Some(key) => Store::open_encrypted(&path, device, RulesConfig::default(), key),
            None => Store::open(&path, device, RulesConfig::default()),
        }
        .unwrap_or_else(|e| panic!("round {round}: store does not open: {e}"));
        for (id, v) in &committed {
            let rec = store
                .get(id)
                .unwrap_or_else(|e| panic!("round {round}: {id} lost: {e}"));
            let got = version_of(&rec.envelope.unit);
            assert!(
                got >= *v,
                "round {round}: {id} at v{got}, v{v} was committed"
            );
        }
        store
            .check_integrity()
            .unwrap_or_else(|e| panic!("round {round}: {e}"));
        let listed = store.list(&ListQuery::default()).unwrap().len();
        assert!(listed >= committed.len());
    }
    assert!(
        total_commits >= ROUNDS,
        "the children committed too little: {total_commits}"
    );
    eprintln!(
        "crash test ({}): {ROUNDS} kills, {total_commits} commits, {} records",
        if key.is_some() { "encrypted" } else { "plain" },
        committed.len()
    );
}

const ENCRYPT_CHILD_TEST: &str = "store::crash::encrypt_child";
const ENCRYPT_ROUNDS: usize = 16;

/// The child of `a_killed_encryption_loses_nothing`: say `READY`, open the plain store with a
/// key (which encrypts it), say `DONE`.
#[test]
#[ignore = "child process of the encryption crash test; run by it"]
fn encrypt_child() {
    let path = std::env::var(CHILD_ENV).expect("run by the crash test");
    let device: Uuid = std::env::var(DEVICE_ENV).unwrap().parse().unwrap();
    let raw = hex::decode(std::env::var(KEY_ENV).unwrap()).unwrap();
    let key = StoreKey::from_slice(&raw).unwrap();
    let out = std::io::stdout();
    writeln!(out.lock(), "READY").unwrap();
    out.lock().flush().unwrap();
    drop(open_store(&path, device, Some(&key)));
    writeln!(out.lock(), "DONE").unwrap();
    out.lock().flush().unwrap();
}

/// A plain store's one-time encryption killed (SIGKILL) at random moments: after each kill the
/// store opens with the key and holds every record (the encryption finished, or it runs again).
#[test]
fn a_killed_encryption_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("plain.sqlite3");
    let device = Uuid::now_v7();
    let mut store = Store::open(&plain, device, RulesConfig::default()).unwrap();
    let ids: Vec<String> = (0..600)
        .map(|i| {
            let body = with_summary(mediation(), &format!("Vụ việc lối đi {i}"));
            store.create(body, "v0", day(2)).unwrap().id().to_string()
        })
        .collect();
    drop(store);
    assert!(!plain.with_extension("sqlite3-wal").exists());
    let plain_bytes = std::fs::read(&plain).unwrap();
    let raw: [u8; 32] = std::array::from_fn(|i| (i as u8).wrapping_mul(13).wrapping_add(5));
    let key = StoreKey::new(raw);

    // How long one encryption takes here, to aim the kills inside it.
    let timing = dir.path().join("timing.sqlite3");
    std::fs::write(&timing, &plain_bytes).unwrap();
    let start = Instant::now();
    drop(open_store(&timing, device, Some(&key)));
    let took = start.elapsed();

    let exe = std::env::current_exe().unwrap();
    let mut rng = Rng::seeded();
    let (mut interrupted, mut finished) = (0, 0);
    for round in 0..ENCRYPT_ROUNDS {
        let path = dir.path().join(format!("round{round}.sqlite3"));
        std::fs::write(&path, &plain_bytes).unwrap();
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                ENCRYPT_CHILD_TEST,
                "--ignored",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env(CHILD_ENV, &path)
            .env(DEVICE_ENV, device.to_string())
            .env(KEY_ENV, hex::encode(raw))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        // libtest prints `test <name> ... ` before the test's own output, on the same line.
        let ready = lines.find(|l| l.as_deref().is_ok_and(|l| l.ends_with("READY")));
        assert!(ready.is_some(), "round {round}: the child did not start");
        let micros = took.as_micros() as u64;
        std::thread::sleep(Duration::from_micros(rng.below(micros * 3 / 2 + 1)));
        child.kill().unwrap();
        child.wait().unwrap();
        if lines.any(|l| l.as_deref().is_ok_and(|l| l.ends_with("DONE"))) {
            finished += 1;
        } else {
            interrupted += 1;
        }

        let store = open_store(&path, device, Some(&key));
        for id in &ids {
            store
                .get(id)
                .unwrap_or_else(|e| panic!("round {round}: {id} lost: {e}"));
        }
        store
            .check_integrity()
            .unwrap_or_else(|e| panic!("round {round}: {e}"));
        drop(store);
        assert!(
            !std::fs::read(&path)
                .unwrap()
                .starts_with(b"SQLite format 3\0"),
            "round {round}: still plain"
        );
        assert!(
            !dir.path()
                .join(format!("round{round}.sqlite3.encrypting"))
                .exists()
        );
    }
    eprintln!(
        "encryption crash test: {ENCRYPT_ROUNDS} kills, {interrupted} before it finished, \
         {finished} after it (one encryption of 600 records: {took:?})"
    );
}
