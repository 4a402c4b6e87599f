//! The application state every handler reaches ([`AppState`]), with the dashboard's session
//! limits ([`WebState`], [`SessionConfig`]) and the two in-memory limiters ([`LoginLimiter`] for
//! failed dashboard logins, [`SeenThrottle`] for devices' `last_seen_at` writes).
//!
//! This module depends only downward (storage, units, aggregate, metrics, config): the HTTP
//! device API (`http`, with device auth in `http::auth`) and the dashboard (`web`) import it,
//! never the other way round.

use std::collections::HashMap;
use std::net::IpAddr;
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
}

impl AppState {
    /// State over a storage and unit tree.
    pub fn new(storage: Arc<dyn Storage>, units: Units, config: ServerConfig) -> Self {
        let aggregator = Aggregator::new(
            Arc::clone(&storage),
            units.clone(),
            config.periods.clone(),
            config.rules.clone(),
        );
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
    /// Failed logins by (username, address).
    pub limiter: LoginLimiter,
}

impl WebState {
    /// State with the given session limits.
    pub fn new(sessions: SessionConfig) -> Self {
        WebState {
            sessions,
            limiter: LoginLimiter::default(),
        }
    }
}

/// Session limits and the failed-login policy.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// A session ends this long after login, whatever happens.
    pub lifetime: chrono::Duration,
    /// A session ends after this long without a request.
    pub idle_timeout: chrono::Duration,
    /// Failed logins allowed per (username, address) within `failure_window`.
    pub max_failures: u32,
    /// Window over which failures are counted; further attempts wait until it passes.
    pub failure_window: Duration,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            lifetime: chrono::Duration::hours(10),
            idle_timeout: chrono::Duration::minutes(30),
            max_failures: 5,
            failure_window: Duration::from_secs(15 * 60),
        }
    }
}

/// Failed logins per (username, address): after `max_failures` within the window, further
/// attempts are refused (429 `too_many_attempts`) until the window has passed.
#[derive(Debug, Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<AttemptKey, (u32, Instant)>>,
}

/// Failed logins are counted per lower-cased username and client address.
type AttemptKey = (String, Option<IpAddr>);

impl LoginLimiter {
    /// Whether another attempt is allowed now.
    pub fn allowed(&self, cfg: &SessionConfig, user: &str, ip: Option<IpAddr>) -> bool {
        let Ok(mut map) = self.failures.lock() else {
            return true;
        };
        let key = (user.to_lowercase(), ip);
        match map.get(&key) {
            Some((_, since)) if since.elapsed() >= cfg.failure_window => {
                map.remove(&key);
                true
            }
            Some((n, _)) => *n < cfg.max_failures,
            None => true,
        }
    }

    /// Count a failed attempt.
    pub fn failed(&self, user: &str, ip: Option<IpAddr>) {
        if let Ok(mut map) = self.failures.lock() {
            if map.len() > 10_000 {
                map.clear();
            }
            let e = map
                .entry((user.to_lowercase(), ip))
                .or_insert((0, Instant::now()));
            e.0 += 1;
        }
    }

    /// Forget the failures after a successful login.
    pub fn succeeded(&self, user: &str, ip: Option<IpAddr>) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(&(user.to_lowercase(), ip));
        }
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
    fn limiter_blocks_after_max_failures() {
        let cfg = SessionConfig {
            max_failures: 2,
            ..SessionConfig::default()
        };
        let l = LoginLimiter::default();
        assert!(l.allowed(&cfg, "Thu", None));
        l.failed("thu", None);
        l.failed("THU", None);
        assert!(!l.allowed(&cfg, "thu", None));
        assert!(l.allowed(&cfg, "other", None));
        l.succeeded("thu", None);
        assert!(l.allowed(&cfg, "thu", None));
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
