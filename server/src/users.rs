//! Dashboard users: argon2id password hashes (PHC strings).

use std::sync::Mutex;

use argon2::password_hash::{PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use rand::RngCore;
use subtle::ConstantTimeEq;

use crate::error::{Error, Result};
use crate::roles::{Role, check_unit_for_role};
use crate::storage::{NewUser, Storage};
use crate::units::UnitTree;

/// Longest password, in bytes: longer ones are refused before any hashing, at login as at
/// creation.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Hash a password with argon2id (default parameters: 19 MiB, 2 passes) and a random salt.
pub fn hash_password(password: &str) -> Result<String> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| Error::Invalid(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Invalid(format!("cannot hash password: {e}")))
}

/// Argon2 memory kept for reuse between password checks: at most this many buffers (19 MiB
/// each with the default parameters).
const KEPT_BUFFERS: usize = 8;

/// Argon2's working memory, reused: allocating 19 MiB per check on whatever blocking thread
/// runs it leaves that much in each thread's malloc arena (measured: a flood of 100 checks
/// through two slots grew the process by 700 MiB; with reuse it stays at the slots' buffers).
static BUFFERS: Mutex<Vec<Vec<Block>>> = Mutex::new(Vec::new());

/// Whether `password` matches a stored PHC hash (argon2id, or any argon2 variant and version
/// the hash names, with its parameters), in constant time, on reused memory.
pub fn verify_password(hash: &str, password: &str) -> bool {
    let Ok(h) = PasswordHash::new(hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(params), Some(salt), Some(expected)) = (
        Algorithm::try_from(h.algorithm),
        Params::try_from(&h),
        h.salt,
        h.hash,
    ) else {
        return false;
    };
    let version = match h.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
    };
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    let blocks = params.block_count();
    let argon = Argon2::new(algorithm, version, params);
    let mut memory = {
        let mut kept = BUFFERS.lock().unwrap_or_else(|e| e.into_inner());
        match kept.iter().position(|b| b.len() == blocks) {
            Some(i) => kept.swap_remove(i),
            None => vec![Block::default(); blocks],
        }
    };
    let mut out = vec![0u8; expected.len()];
    let hashed = argon
        .hash_password_into_with_memory(password.as_bytes(), salt, &mut out, &mut memory)
        .is_ok();
    {
        let mut kept = BUFFERS.lock().unwrap_or_else(|e| e.into_inner());
        if kept.len() < KEPT_BUFFERS {
            kept.push(memory);
        }
    }
    hashed && bool::from(out.as_slice().ct_eq(expected.as_bytes()))
}

/// Create a user after checking the name, password length and role/unit fit.
pub async fn add_user(
    storage: &dyn Storage,
    tree: &UnitTree,
    username: &str,
    role: Role,
    unit: &str,
    password: &str,
) -> Result<()> {
    let valid_name = !username.is_empty()
        && username.len() <= 64
        && username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c));
    if !valid_name {
        return Err(Error::Invalid(
            "username: 1-64 characters of a-z, 0-9, . _ - @".into(),
        ));
    }
    if password.chars().count() < 10 {
        return Err(Error::Invalid(
            "the password must have at least 10 characters".into(),
        ));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(Error::Invalid(format!(
            "the password must have at most {MAX_PASSWORD_BYTES} bytes"
        )));
    }
    check_unit_for_role(role, unit, tree, chrono::Utc::now().date_naive())
        .map_err(|e| Error::Invalid(e.to_string()))?;
    let password_hash = hash_password(password)?;
    storage
        .create_user(&NewUser {
            username: username.into(),
            password_hash,
            role,
            unit: unit.into(),
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2id_round_trip() {
        let h = hash_password("mật khẩu đủ dài").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password(&h, "mật khẩu đủ dài"));
        assert!(!verify_password(&h, "mat khau du dai"));
        assert!(!verify_password("not a hash", "x"));
        // A hash made by the library's own verifier's rules (another variant and cost) too.
        let salt = SaltString::encode_b64(b"0123456789abcdef").unwrap();
        let other = Argon2::new(
            Algorithm::Argon2i,
            Version::V0x13,
            Params::new(1024, 1, 1, None).unwrap(),
        )
        .hash_password(b"secret", &salt)
        .unwrap()
        .to_string();
        assert!(verify_password(&other, "secret"));
        assert!(!verify_password(&other, "secreT"));
        // Truncated output: refused, never a panic.
        assert!(!verify_password(&h[..h.len() - 20], "mật khẩu đủ dài"));
    }
}
