//! The application state every handler reaches ([`AppState`]), with the dashboard's session
//! limits ([`WebState`], [`SessionConfig`]) and the two in-memory limiters ([`LoginLimiter`] for
//! failed dashboard logins, [`SeenThrottle`] for devices' `last_seen_at` writes).
//!
//! This module depends only downward (storage, units, aggregate, metrics, config): the HTTP
//! device API (`http`, with device auth in `http::auth`) and the dashboard (`web`) import it,
//! never the other way round.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use uuid::Uuid;

use crate::aggregate::Aggregator;
use crate::config::ServerConfig;
use crate::metrics::{FactIndexSize, Metrics};
use crate::storage::Storage;
use crate::units::Units;

/// Everything a handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub storage: Arc<dyn Storage>,
    /// The unit tree (reloadable).
    pub units: Units,
    /// Runtime settings.
    pub config: Arc<ServerConfig>,
    /// Prometheus registry (`GET /metrics`).
    pub metrics: Arc<Metrics>,
    /// Aggregates by unit and period (ADR 0004).
    pub aggregator: Aggregator,
    /// The dashboard's state: session limits, failed logins.
    pub web: Arc<WebState>,
    /// When each device's `last_seen_at` was last written.
    pub(crate) seen: Arc<SeenThrottle>,
    /// Turns of sync requests that push: see [`sync_write_turns`].
    pub(crate) sync_writes: Arc<tokio::sync::Semaphore>,
    /// Attachment uploads in progress (one per file at a time).
    pub(crate) uploads: crate::http::attachments::Uploads,
    /// The server's Ed25519 key for device certificates, loaded on first use (ADR 0014).
    pub(crate) server_key: Arc<tokio::sync::OnceCell<ed25519_dalek::SigningKey>>,
}

/// How many sync requests may be between reading the documents they push and committing them, at
/// once. Each holds its decisions (the merged Automerge documents, about 20 KiB each in memory)
/// until its transaction commits, and transactions take turns at the database's one writer (the
/// SQLite writer connection; on PostgreSQL the `sync_seq` row lock): more requests in that stretch
/// would not write sooner, they would only hold their merged documents while waiting. With 500
/// phones pushing 3 records each at once, the server's RSS went to 71–91 MiB that way, past its
/// 64 MiB target (issue 21; 44–52 MiB with the turns, and the syncs finished sooner); the others
/// now wait before reading, holding only their request. Twice the cores: while one request
/// writes, the next ones read and decide. Per instance.
pub fn sync_write_turns() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get() * 2)
}

impl AppState {
    /// State over a storage and unit tree.
    pub fn new(storage: Arc<dyn Storage>, units: Units, config: ServerConfig) -> Self {
        let aggregator = Aggregator::new(
            Arc::clone(&storage),
            units.clone(),
            config.periods.clone(),
            config.rules.clone(),
        )
        .with_snapshot(config.fact_index_snapshot.clone());
        let index = aggregator.clone();
        let metrics = Metrics::new().with_fact_index(move || {
            let stats = index.stats();
            FactIndexSize {
                records: stats.records,
                bytes: stats.bytes,
            }
        });
        AppState {
            storage,
            units,
            aggregator,
            config: Arc::new(config),
            metrics: Arc::new(metrics),
            web: Arc::new(WebState::new(SessionConfig::default())),
            seen: Arc::new(SeenThrottle::default()),
            sync_writes: Arc::new(tokio::sync::Semaphore::new(sync_write_turns())),
            uploads: Default::default(),
            server_key: Default::default(),
        }
    }

    /// The same state with other session limits (tests of expiry, deployments).
    pub fn with_sessions(mut self, sessions: SessionConfig) -> Self {
        self.web = Arc::new(WebState::new(sessions));
        self
    }
}

/// The dashboard's shared state: session limits and failed logins (the aggregation engine is
/// [`AppState::aggregator`]).
#[derive(Debug)]
pub struct WebState {
    /// Session lifetime, idle timeout, failed-login policy.
    pub sessions: SessionConfig,
    /// Failed logins by (username, client) and by account.
    pub limiter: LoginLimiter,
    /// Slots for password checks (`sessions.hash_permits`): argon2id takes 19 MiB each, so
    /// their number bounds the memory unauthenticated requests can make the server use.
    pub(crate) hashing: Arc<tokio::sync::Semaphore>,
    /// Password checks run so far (tests and metrics).
    password_checks: AtomicU64,
}

impl WebState {
    /// State with the given session limits.
    pub fn new(sessions: SessionConfig) -> Self {
        WebState {
            hashing: Arc::new(tokio::sync::Semaphore::new(sessions.hash_permits.max(1))),
            sessions,
            limiter: LoginLimiter::default(),
            password_checks: AtomicU64::new(0),
        }
    }

    /// How many passwords have been checked (argon2id verifications) since start.
    pub fn password_checks(&self) -> u64 {
        self.password_checks.load(Ordering::Relaxed)
    }

    pub(crate) fn count_password_check(&self) {
        self.password_checks.fetch_add(1, Ordering::Relaxed);
    }
}

/// Session limits and the failed-login policy (ADR 0005, "Failed logins").
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// A session ends this long after login, whatever happens.
    pub lifetime: chrono::Duration,
    /// A session ends after this long without a request.
    pub idle_timeout: chrono::Duration,
    /// Attempts allowed per (username, client) within `failure_window`; from this many failures
    /// of an account (all clients together) on, its attempts are delayed.
    pub max_failures: u32,
    /// Window over which failures are counted; further attempts wait until it passes.
    pub failure_window: Duration,
    /// Delay of an attempt on an account with `max_failures` failures in the window, doubling
    /// with every further failure up to `account_delay_max` (a delay, never a denial: the
    /// officer still logs in from another client).
    pub account_delay: Duration,
    /// Longest per-account delay.
    pub account_delay_max: Duration,
    /// Most keys each table of the limiter holds; when full of unexpired keys, new keys are
    /// refused (never are old counts forgotten).
    pub limiter_capacity: usize,
    /// Password checks (argon2id, 19 MiB each) running at once: the cores.
    pub hash_permits: usize,
    /// How long a login waits for a password check slot before 503 `unavailable`.
    pub hash_wait: Duration,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            lifetime: chrono::Duration::hours(10),
            idle_timeout: chrono::Duration::minutes(30),
            max_failures: 5,
            failure_window: Duration::from_secs(15 * 60),
            account_delay: Duration::from_secs(1),
            account_delay_max: Duration::from_secs(16),
            limiter_capacity: 50_000,
            hash_permits: std::thread::available_parallelism().map_or(1, |n| n.get()),
            hash_wait: Duration::from_secs(3),
        }
    }
}

/// Failed logins, counted when an attempt starts (before its password is checked, so that
/// attempts sent at once are counted at once), in two bounded tables:
///
/// - per (lower-cased username, client address): after `max_failures` within the window,
///   further attempts are refused (429 `too_many_attempts`) until the window has passed;
/// - per account (all clients): from `max_failures` on, each attempt waits a delay doubling per
///   failure (capped), so that guesses from many clients stay slow while the officer, from
///   their own client, still gets in.
///
/// Each table holds at most `limiter_capacity` keys: when full, expired keys are evicted and, if
/// none has expired, the new key is refused; a count is never reset early.
#[derive(Debug, Default)]
pub struct LoginLimiter {
    tables: Mutex<Tables>,
}

#[derive(Debug, Default)]
struct Tables {
    by_client: Bounded<(String, Option<IpAddr>)>,
    by_account: Bounded<String>,
}

/// Attempts counted since `since` (the first of the window).
#[derive(Debug, Clone, Copy)]
struct Count {
    n: u32,
    since: Instant,
}

/// A map of counts with a capacity, evicting only expired entries.
#[derive(Debug)]
struct Bounded<K> {
    map: HashMap<K, Count>,
    last_sweep: Option<Instant>,
}

impl<K> Default for Bounded<K> {
    fn default() -> Self {
        Bounded {
            map: HashMap::new(),
            last_sweep: None,
        }
    }
}

impl<K: std::hash::Hash + Eq + Clone> Bounded<K> {
    /// The live count of `key` (0 when absent or expired).
    fn live(&self, key: &K, now: Instant, window: Duration) -> u32 {
        self.map
            .get(key)
            .filter(|c| now.duration_since(c.since) < window)
            .map_or(0, |c| c.n)
    }

    /// Whether `key` can be counted: present, or room for it (after evicting expired keys,
    /// at most once a second when full).
    fn has_room(&mut self, key: &K, now: Instant, window: Duration, capacity: usize) -> bool {
        if self.map.contains_key(key) || self.map.len() < capacity {
            return true;
        }
        if self
            .last_sweep
            .is_none_or(|t| now.duration_since(t) >= Duration::from_secs(1))
        {
            self.last_sweep = Some(now);
            self.map.retain(|_, c| now.duration_since(c.since) < window);
        }
        self.map.len() < capacity
    }

    fn add(&mut self, key: K, now: Instant, window: Duration) {
        let c = self.map.entry(key).or_insert(Count { n: 0, since: now });
        if now.duration_since(c.since) >= window {
            *c = Count { n: 0, since: now };
        }
        c.n = c.n.saturating_add(1);
    }

    fn sub(&mut self, key: &K) {
        if let Some(c) = self.map.get_mut(key) {
            c.n = c.n.saturating_sub(1);
            if c.n == 0 {
                self.map.remove(key);
            }
        }
    }
}

/// Why an attempt may not start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// This client has used its attempts on this account (or the limiter is full).
    Throttled,
}

/// An attempt counted as a failure until [`Attempt::succeeded`] (or [`Attempt::refund`] when no
/// password was checked). Dropping it leaves it counted.
#[derive(Debug)]
#[must_use]
pub struct Attempt<'a> {
    limiter: &'a LoginLimiter,
    client: (String, Option<IpAddr>),
    /// How long to wait before checking the password (the per-account delay).
    pub delay: Duration,
}

impl LoginLimiter {
    fn tables(&self) -> std::sync::MutexGuard<'_, Tables> {
        self.tables.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Count an attempt of `user` from `client` now, atomically with the check, or refuse it.
    pub fn reserve(
        &self,
        cfg: &SessionConfig,
        user: &str,
        client: Option<IpAddr>,
    ) -> Result<Attempt<'_>, Refused> {
        let now = Instant::now();
        let window = cfg.failure_window;
        let account = user.to_lowercase();
        let key = (account.clone(), client);
        let mut t = self.tables();
        if t.by_client.live(&key, now, window) >= cfg.max_failures {
            return Err(Refused::Throttled);
        }
        if !t
            .by_client
            .has_room(&key, now, window, cfg.limiter_capacity)
            || !t
                .by_account
                .has_room(&account, now, window, cfg.limiter_capacity)
        {
            return Err(Refused::Throttled);
        }
        let failures = t.by_account.live(&account, now, window);
        let delay = match failures.checked_sub(cfg.max_failures) {
            None => Duration::ZERO,
            Some(extra) => cfg
                .account_delay
                .saturating_mul(1u32 << extra.min(16))
                .min(cfg.account_delay_max),
        };
        t.by_client.add(key.clone(), now, window);
        t.by_account.add(account, now, window);
        Ok(Attempt {
            limiter: self,
            client: key,
            delay,
        })
    }
}

impl Attempt<'_> {
    /// The password was right: forget this client's and this account's failures.
    pub fn succeeded(self) {
        let mut t = self.limiter.tables();
        t.by_client.map.remove(&self.client);
        t.by_account.map.remove(&self.client.0);
    }

    /// No password was checked (no slot to check it in): the attempt does not count.
    pub fn refund(self) {
        let mut t = self.limiter.tables();
        t.by_client.sub(&self.client);
        t.by_account.sub(&self.client.0);
    }
}

/// How often a device's `last_seen_at` is written at most.
const TOUCH_EVERY: Duration = Duration::from_secs(60);

/// Remembers when each device's `last_seen_at` was last written, so that it is written at most
/// once a minute per device (the single SQLite writer stays free for real work).
#[derive(Debug, Default)]
pub struct SeenThrottle {
    last: Mutex<HashMap<Uuid, Instant>>,
}

impl SeenThrottle {
    /// Whether `id` should be written now (and remember that it was).
    pub(crate) fn due(&self, id: Uuid) -> bool {
        let mut map = self.last.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if map
            .get(&id)
            .is_some_and(|t| now.duration_since(*t) < TOUCH_EVERY)
        {
            return false;
        }
        if map.len() > 100_000 {
            map.retain(|_, t| now.duration_since(*t) < TOUCH_EVERY);
        }
        map.insert(id, now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limiter_counts_attempts_before_they_are_checked() {
        let cfg = SessionConfig {
            max_failures: 2,
            ..SessionConfig::default()
        };
        let l = LoginLimiter::default();
        // Two attempts in flight at once use up the limit before either is checked.
        let a = l.reserve(&cfg, "Thu", None).unwrap();
        let b = l.reserve(&cfg, "thu", None).unwrap();
        assert_eq!(
            l.reserve(&cfg, "THU", None).unwrap_err(),
            Refused::Throttled
        );
        drop(a);
        b.refund();
        // A refunded attempt (no password checked) gives its place back.
        let c = l.reserve(&cfg, "thu", None).unwrap();
        assert!(l.reserve(&cfg, "thu", None).is_err());
        assert!(l.reserve(&cfg, "other", None).is_ok());
        c.succeeded();
        assert!(l.reserve(&cfg, "thu", None).is_ok());
    }

    #[test]
    fn limiter_never_forgets_a_count_when_many_keys_arrive() {
        let cfg = SessionConfig {
            limiter_capacity: 100,
            ..SessionConfig::default()
        };
        let l = LoginLimiter::default();
        for _ in 0..cfg.max_failures {
            drop(l.reserve(&cfg, "victim", None).unwrap());
        }
        assert!(l.reserve(&cfg, "victim", None).is_err());
        let mut admitted = 0;
        for i in 0..10_001 {
            if let Ok(a) = l.reserve(&cfg, &format!("other{i}"), None) {
                drop(a);
                admitted += 1;
            }
        }
        // Full of live keys: new keys are refused, the victim's count is kept.
        assert_eq!(admitted, 99);
        assert!(
            l.reserve(&cfg, "victim", None).is_err(),
            "the count was reset"
        );
        assert!(l.tables().by_client.map.len() <= 100);
        assert!(l.tables().by_account.map.len() <= 100);
    }

    #[test]
    fn limiter_evicts_only_expired_keys() {
        let cfg = SessionConfig {
            limiter_capacity: 2,
            failure_window: Duration::from_millis(200),
            ..SessionConfig::default()
        };
        let l = LoginLimiter::default();
        drop(l.reserve(&cfg, "a", None).unwrap());
        drop(l.reserve(&cfg, "b", None).unwrap());
        assert!(l.reserve(&cfg, "c", None).is_err(), "full of live keys");
        std::thread::sleep(Duration::from_millis(1100));
        // a and b expired: evicted, c counted.
        drop(l.reserve(&cfg, "c", None).unwrap());
        assert_eq!(l.tables().by_client.map.len(), 1);
    }

    #[test]
    fn account_delay_grows_from_the_limit_and_is_capped() {
        let cfg = SessionConfig {
            max_failures: 2,
            account_delay: Duration::from_millis(100),
            account_delay_max: Duration::from_millis(350),
            ..SessionConfig::default()
        };
        let l = LoginLimiter::default();
        let ip = |n: u8| Some(IpAddr::from([10, 0, 0, n]));
        let delays: Vec<u128> = (1..=6)
            .map(|n| l.reserve(&cfg, "thu", ip(n)).unwrap().delay.as_millis())
            .collect();
        assert_eq!(delays, [0, 0, 100, 200, 350, 350]);
    }

    #[test]
    fn seen_throttle_writes_once_a_minute() {
        let t = SeenThrottle::default();
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        assert!(t.due(a));
        assert!(!t.due(a));
        assert!(t.due(b));
    }
}
