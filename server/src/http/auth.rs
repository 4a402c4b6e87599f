//! Device authentication: the [`AuthDevice`] extractor.
//!
//! Devices send `Authorization: Bearer <device_id>.<secret>`. The device row is read on every
//! request (one primary-key lookup), so a revocation takes effect on the very next request.
//! `last_seen_at` is written at most once a minute per device
//! ([`SeenThrottle`](crate::state::SeenThrottle)) to keep the single SQLite writer free for real
//! work.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use subtle::ConstantTimeEq;
use uuid::Uuid;

use crate::enrollment::hash_secret;
use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;
use crate::storage::Device;

/// The authenticated, non-revoked device that sent the request.
#[derive(Debug, Clone)]
pub struct AuthDevice(pub Device);

/// Split `Bearer <uuid>.<secret>` into its parts.
pub fn parse_bearer(value: &str) -> Option<(Uuid, &str)> {
    let token = value.strip_prefix("Bearer ")?.trim();
    let (id, secret) = token.split_once('.')?;
    let id = Uuid::parse_str(id).ok()?;
    let ok = (20..=128).contains(&secret.len())
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    ok.then_some((id, secret))
}

impl FromRequestParts<AppState> for AuthDevice {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or(ErrorCode::AuthMalformed)?;
        let (id, secret) = parse_bearer(header).ok_or(ErrorCode::AuthMalformed)?;
        let found = state
            .storage
            .device_with_secret(id)
            .await
            .map_err(ApiError::from)?;
        let Some((device, stored)) = found else {
            // Spend the same hashing work as for a known device.
            let _ = hash_secret(secret);
            return Err(ErrorCode::DeviceUnknown.into());
        };
        if !bool::from(hash_secret(secret).as_slice().ct_eq(stored.as_slice())) {
            return Err(ErrorCode::DeviceUnknown.into());
        }
        if device.revoked_at.is_some() {
            return Err(ApiError::new(ErrorCode::DeviceRevoked).with_detail(device.id));
        }
        if state.seen.due(device.id)
            && let Err(e) = state
                .storage
                .touch_device(device.id, chrono::Utc::now())
                .await
        {
            tracing::warn!(device = %device.id, error = %e, "could not update last_seen_at");
        }
        Ok(AuthDevice(device))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_parsing() {
        let id = Uuid::now_v7();
        let secret = "a".repeat(43);
        assert_eq!(
            parse_bearer(&format!("Bearer {id}.{secret}")),
            Some((id, secret.as_str()))
        );
        assert_eq!(parse_bearer(&format!("Basic {id}.{secret}")), None);
        assert_eq!(parse_bearer(&format!("Bearer {id}{secret}")), None);
        assert_eq!(parse_bearer(&format!("Bearer nope.{secret}")), None);
        assert_eq!(parse_bearer(&format!("Bearer {id}.short")), None);
        assert_eq!(parse_bearer(&format!("Bearer {id}.{secret}!")), None);
    }
}
