//! One-time enrollment codes and device secrets.
//!
//! A code is 12 characters of Crockford base32 (60 random bits), shown as `7KQ2-M9XD-4TPA`;
//! typing is forgiving (case, dashes, spaces, `O`→`0`, `I`/`L`→`1`). Only
//! `sha256(normalised code)` is stored; the code is single-use and expires. A device secret is
//! 32 random bytes (base64url); only `sha256(secret)` is stored. A fast hash is right for both
//! because they are random, not chosen by people (argon2 is for passwords): see ADR 0003.

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
    if req.person.trim().is_empty() {
        return Err(Error::Invalid("the person's name is empty".into()));
    }
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
            person: req.person.trim().to_string(),
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

#[cfg(test)]
mod tests {
    use super::*;

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
