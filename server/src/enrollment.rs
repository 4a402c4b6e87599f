//! One-time enrollment codes and device secrets.
//!
//! A code is 12 characters of Crockford base32 (60 random bits), shown as `7KQ2-M9XD-4TPA`;
//! typing is forgiving (case, dashes, spaces, `O`→`0`, `I`/`L`→`1`). Only
//! `sha256(normalised code)` is stored; the code is single-use and expires. A device secret is
//! 32 random bytes (base64url); only `sha256(secret)` is stored. A fast hash is right for both
//! because they are random, not chosen by people (argon2 is for passwords): see ADR 0003.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use qrcode::QrCode;
use qrcode::render::unicode::Dense1x2;
use rand::{Rng, RngCore};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::roles::{Role, check_unit_for_role};
use crate::storage::{NewEnrollment, Storage};
use crate::units::UnitTree;

/// Crockford base32: no I, L, O, U.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Characters in a code (12 × 5 bits = 60 bits).
pub const CODE_LEN: usize = 12;

/// A new random enrollment code, grouped `XXXX-XXXX-XXXX`.
pub fn generate_code() -> String {
    let mut rng = rand::rng();
    let mut out = String::with_capacity(CODE_LEN + 2);
    for i in 0..CODE_LEN {
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        out.push(char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]));
    }
    out
}

/// The canonical form of a typed code, or `None` if it cannot be one.
pub fn normalize_code(input: &str) -> Option<String> {
    let mut out = String::with_capacity(CODE_LEN);
    for c in input.chars() {
        let c = match c.to_ascii_uppercase() {
            '-' | ' ' => continue,
            'O' => '0',
            'I' | 'L' => '1',
            c if c.is_ascii() && ALPHABET.contains(&(c as u8)) => c,
            _ => return None,
        };
        out.push(c);
    }
    (out.len() == CODE_LEN).then_some(out)
}

/// Hex sha256 of a normalised code (what is stored).
pub fn hash_code(normalized: &str) -> String {
    hex::encode(Sha256::digest(normalized.as_bytes()))
}

/// A new device secret: 32 random bytes, base64url without padding.
pub fn generate_secret() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// sha256 of a device secret (what is stored).
pub fn hash_secret(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// What an administrator asks for.
#[derive(Debug, Clone)]
pub struct EnrollmentRequest {
    /// Person who will use the device.
    pub person: String,
    /// Role to give it.
    pub role: Role,
    /// Unit code (checked as of today against the role).
    pub unit: String,
    /// Hours until the code expires.
    pub expires_hours: u32,
    /// Who creates it.
    pub created_by: String,
}

/// A created code, to show once.
#[derive(Debug, Clone)]
pub struct IssuedCode {
    /// The code to type (never stored).
    pub code: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
    /// What the QR code holds.
    pub qr_payload: String,
}

/// Create and store an enrollment code.
pub async fn issue(
    storage: &dyn Storage,
    tree: &UnitTree,
    req: &EnrollmentRequest,
    public_url: Option<&str>,
) -> Result<IssuedCode> {
    let now = Utc::now();
    let person = crate::text::clean_text(&req.person, crate::text::MAX_PERSON, false, true)
        .map_err(|_| {
            Error::Invalid(format!(
                "the person's name must be 1 to {} characters, with no control characters",
                crate::text::MAX_PERSON
            ))
        })?;
    if req.expires_hours == 0 || req.expires_hours > 24 * 30 {
        return Err(Error::Invalid(
            "--expires-hours must be between 1 and 720".into(),
        ));
    }
    check_unit_for_role(req.role, &req.unit, tree, now.date_naive())
        .map_err(|e| Error::Invalid(e.to_string()))?;
    let code = generate_code();
    let normalized = normalize_code(&code).ok_or_else(|| Error::Invalid("bad code".into()))?;
    let expires_at = now + Duration::hours(i64::from(req.expires_hours));
    storage
        .create_enrollment(&NewEnrollment {
            code_hash: hash_code(&normalized),
            person,
            role: req.role,
            unit: req.unit.clone(),
            created_at: now,
            expires_at,
            created_by: req.created_by.clone(),
        })
        .await?;
    let qr_payload = qr_payload(&code, public_url);
    Ok(IssuedCode {
        code,
        expires_at,
        qr_payload,
    })
}

/// `danvan://enroll?code=<code>&server=<url>` (server omitted when not configured).
pub fn qr_payload(code: &str, public_url: Option<&str>) -> String {
    let mut s = format!("danvan://enroll?code={}", percent_encode(code));
    if let Some(url) = public_url {
        s.push_str("&server=");
        s.push_str(&percent_encode(url));
    }
    s
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The QR code of `payload` drawn with Unicode half blocks, for a terminal.
pub fn render_qr(payload: &str) -> Result<String> {
    let qr = QrCode::new(payload.as_bytes())
        .map_err(|e| Error::Invalid(format!("cannot draw QR code: {e}")))?;
    Ok(qr
        .render::<Dense1x2>()
        .dark_color(Dense1x2::Light)
        .light_color(Dense1x2::Dark)
        .quiet_zone(true)
        .build())
}

/// The limits of [`EnrollLimiter`].
#[derive(Debug, Clone, Copy)]
pub struct EnrollLimits {
    /// Attempts that did not enroll, per client address (an IPv6 /64), within `window`.
    pub per_address: u32,
    /// Attempts that did not enroll, from all addresses together, within `window`.
    pub global: u32,
    /// The window attempts are counted over; a refused client waits until it has passed.
    pub window: std::time::Duration,
    /// Addresses remembered at most (bounded memory); past it, new addresses share one count.
    pub max_addresses: usize,
}

impl Default for EnrollLimits {
    fn default() -> Self {
        EnrollLimits {
            per_address: 10,
            global: 100,
            window: std::time::Duration::from_secs(60),
            max_addresses: 10_000,
        }
    }
}

/// Who an attempt is counted against: an IPv4 address, an IPv6 /64 (one subscriber's
/// network), or one shared count for requests with no known address and for addresses past
/// [`EnrollLimits::max_addresses`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Client {
    V4([u8; 4]),
    V6([u8; 8]),
    Other,
}

impl Client {
    fn of(ip: Option<IpAddr>) -> Client {
        match ip.map(|ip| ip.to_canonical()) {
            Some(IpAddr::V4(a)) => Client::V4(a.octets()),
            Some(IpAddr::V6(a)) => {
                let o = a.octets();
                Client::V6([o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7]])
            }
            None => Client::Other,
        }
    }
}

/// A count of attempts since `since`.
#[derive(Debug, Clone, Copy)]
struct Window {
    count: u32,
    since: Instant,
}

impl Window {
    fn new(now: Instant) -> Self {
        Window {
            count: 0,
            since: now,
        }
    }

    /// Restart the count when the window has passed.
    fn roll(&mut self, now: Instant, window: std::time::Duration) {
        if now.duration_since(self.since) >= window {
            *self = Window::new(now);
        }
    }

    fn retry_after(&self, now: Instant, window: std::time::Duration) -> std::time::Duration {
        window.saturating_sub(now.duration_since(self.since))
    }
}

#[derive(Debug)]
struct LimiterState {
    global: Window,
    clients: HashMap<Client, Window>,
}

/// Limits `POST /v1/enroll` (guessing codes): every attempt counts against its client's
/// address and against all clients together as soon as it starts (so that concurrent attempts
/// cannot all pass the check), and an attempt that enrolls a device is given back. Past a limit
/// an attempt is refused (429 `enroll_rate_limited`, `Retry-After`) without touching the
/// database. Memory is bounded by [`EnrollLimits::max_addresses`].
#[derive(Debug)]
pub struct EnrollLimiter {
    limits: EnrollLimits,
    state: Mutex<LimiterState>,
}

impl Default for EnrollLimiter {
    fn default() -> Self {
        EnrollLimiter::new(EnrollLimits::default())
    }
}

impl EnrollLimiter {
    /// A limiter with these limits.
    pub fn new(limits: EnrollLimits) -> Self {
        let now = Instant::now();
        EnrollLimiter {
            limits,
            state: Mutex::new(LimiterState {
                global: Window::new(now),
                clients: HashMap::new(),
            }),
        }
    }

    /// Count an attempt from `ip`, or say how long to wait when a limit is reached (the
    /// refused attempt itself is not counted).
    pub fn attempt(&self, ip: Option<IpAddr>) -> std::result::Result<(), std::time::Duration> {
        let l = &self.limits;
        let now = Instant::now();
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        st.global.roll(now, l.window);
        if st.global.count >= l.global {
            return Err(st.global.retry_after(now, l.window));
        }
        let mut key = Client::of(ip);
        if !st.clients.contains_key(&key) && st.clients.len() >= l.max_addresses {
            st.clients
                .retain(|_, w| now.duration_since(w.since) < l.window);
            if st.clients.len() >= l.max_addresses {
                key = Client::Other;
            }
        }
        let w = st.clients.entry(key).or_insert_with(|| Window::new(now));
        w.roll(now, l.window);
        if w.count >= l.per_address {
            return Err(w.retry_after(now, l.window));
        }
        w.count += 1;
        st.global.count += 1;
        Ok(())
    }

    /// Give back the attempt of `ip` that enrolled a device (enrolling is never limited).
    pub fn enrolled(&self, ip: Option<IpAddr>) {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        st.global.count = st.global.count.saturating_sub(1);
        if let Some(w) = st.clients.get_mut(&Client::of(ip)) {
            w.count = w.count.saturating_sub(1);
        }
    }

    /// Addresses remembered (for tests of the memory bound).
    pub fn remembered(&self) -> usize {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clients
            .len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn limiter_counts_per_address_and_globally_with_bounded_memory() {
        let l = EnrollLimiter::new(EnrollLimits {
            per_address: 2,
            global: 5,
            window: std::time::Duration::from_secs(60),
            max_addresses: 3,
        });
        assert!(l.attempt(ip("10.0.0.1")).is_ok());
        assert!(l.attempt(ip("10.0.0.1")).is_ok());
        let wait = l.attempt(ip("10.0.0.1")).unwrap_err();
        assert!(wait > std::time::Duration::from_secs(58), "{wait:?}");
        // A success is given back.
        l.enrolled(ip("10.0.0.1"));
        assert!(l.attempt(ip("10.0.0.1")).is_ok());
        // One IPv6 /64 is one client; the IPv4-mapped form is the IPv4 address.
        assert!(l.attempt(ip("2001:db8::1")).is_ok());
        assert!(l.attempt(ip("2001:db8::2")).is_ok());
        assert!(l.attempt(ip("2001:db8::3")).is_err());
        assert!(l.attempt(ip("::ffff:10.0.0.1")).is_err());
        // Global: 4 counted so far (3 from 10.0.0.1 minus 1 given back, 2 from the /64).
        assert!(l.attempt(ip("10.0.0.9")).is_ok());
        assert!(l.attempt(ip("10.0.0.10")).is_err(), "global limit of 5");
        assert!(l.remembered() <= 3);
    }

    #[test]
    fn limiter_memory_is_bounded() {
        let l = EnrollLimiter::new(EnrollLimits {
            per_address: 1,
            global: u32::MAX,
            window: std::time::Duration::from_secs(60),
            max_addresses: 100,
        });
        for i in 0..1000u32 {
            let _ = l.attempt(Some(IpAddr::V4(i.into())));
        }
        assert!(l.remembered() <= 101);
    }

    #[test]
    fn codes_are_typable_and_normalise() {
        let code = generate_code();
        assert_eq!(code.len(), 14);
        assert_eq!(code.matches('-').count(), 2);
        let n = normalize_code(&code).unwrap();
        assert_eq!(
            normalize_code(&code.to_lowercase().replace('-', " ")).unwrap(),
            n
        );
        assert_eq!(
            normalize_code("7kq2-m9xd-4tpo").as_deref(),
            Some("7KQ2M9XD4TP0")
        );
        assert_eq!(normalize_code("7KQ2-M9XD"), None);
        assert_eq!(normalize_code("7KQ2-M9XD-4TPU"), None);
        assert_ne!(generate_code(), generate_code());
    }

    #[test]
    fn secrets_are_32_bytes() {
        use base64::Engine;
        let s = generate_secret();
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&s)
            .unwrap();
        assert_eq!(raw.len(), 32);
        assert_eq!(hash_secret(&s).len(), 32);
    }

    #[test]
    fn qr_payload_and_rendering() {
        let p = qr_payload("7KQ2-M9XD-4TPA", Some("https://dv.example.vn:8443/x"));
        assert_eq!(
            p,
            "danvan://enroll?code=7KQ2-M9XD-4TPA&server=https%3A%2F%2Fdv.example.vn%3A8443%2Fx"
        );
        let qr = render_qr(&p).unwrap();
        assert!(qr.lines().count() > 10);
        assert!(qr.contains('█') || qr.contains('▀') || qr.contains('▄'));
    }
}
