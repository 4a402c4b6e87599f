//! Dashboard users: argon2id password hashes (PHC strings).

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::RngCore;

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

/// Whether `password` matches a stored PHC hash.
pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
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
    }
}
