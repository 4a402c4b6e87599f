//! The server's part in the phone-to-phone exchange (ADR 0014):
//!
//! - `POST /v1/device/certificate`: a device registers its Ed25519 public key (once; a device
//!   cannot change it) and gets back its certificate — device id, key, role, unit — signed
//!   with the server's own key, which phones pin and check each other's bundles against.
//! - `POST /v1/attestations`: a phone hands in the signatures other phones made over their
//!   changes (received in bundles); each is checked against its author's registered key and
//!   kept, so the phone's next pushes may carry those changes (`merge_relayed_push`).

use axum::Router;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use danvan_core::attachment::is_lower_hex;
use danvan_core::peer::{Attestation, Certificate};
use ed25519_dalek::SigningKey;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::AuthDevice;
use crate::error::{ApiError, ErrorCode};
use crate::json::Json;
use crate::state::AppState;

/// Attestations one request may carry.
pub const MAX_ATTESTATIONS: usize = danvan_core::sync::MAX_ATTESTATIONS;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(danvan_core::sync::CERTIFICATE_PATH, post(certificate))
        .route(danvan_core::sync::ATTESTATIONS_PATH, post(attestations))
}

/// The server's signing key, loaded (or made, once, for every instance) on first use.
pub(crate) async fn server_key(state: &AppState) -> Result<SigningKey, ApiError> {
    state
        .server_key
        .get_or_try_init(|| async {
            let mut fresh = [0u8; 32];
            rand::fill(&mut fresh);
            let seed = state.storage.server_seed(&hex::encode(fresh)).await?;
            let seed: [u8; 32] = hex::decode(&seed)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| ApiError::internal("stored server key is not 32 bytes of hex"))?;
            Ok::<_, ApiError>(SigningKey::from_bytes(&seed))
        })
        .await
        .cloned()
}

/// 32 bytes written as 64 lowercase hex digits (the schema's pattern), else `None`.
fn key32(hex_str: &str) -> Option<[u8; 32]> {
    if !is_lower_hex(hex_str, 64) {
        return None;
    }
    hex::decode(hex_str).ok().and_then(|b| b.try_into().ok())
}

/// A device's public key.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyRequest {
    /// Ed25519 public key, 64 hex digits.
    #[schema(pattern = "^[0-9a-f]{64}$")]
    pub public_key: String,
}

/// Register the device's public key (the first one stays: another key later is 409
/// `key_mismatch`) and answer its certificate signed by the server (postcard bytes, ADR 0014).
#[utoipa::path(post, path = "/v1/device/certificate", tag = "device",
    request_body = KeyRequest,
    responses((status = 200, description = "The signed device certificate (binary)",
        content_type = "application/octet-stream", body = inline(crate::web::api::Binary))))]
pub(crate) async fn certificate(
    State(state): State<AppState>,
    AuthDevice(device): AuthDevice,
    Json(req): Json<KeyRequest>,
) -> Result<Response, ApiError> {
    let Some(key) =
        key32(&req.public_key).filter(|k| ed25519_dalek::VerifyingKey::from_bytes(k).is_ok())
    else {
        return Err(ApiError::new(ErrorCode::BadRequest)
            .with_detail("public_key must be an Ed25519 key, 64 hex digits"));
    };
    let now = chrono::Utc::now().timestamp_millis();
    let id = device.id.to_string();
    let kept = state
        .storage
        .register_device_key(&id, &hex::encode(key), now)
        .await?;
    if kept != hex::encode(key) {
        return Err(ErrorCode::KeyMismatch.into());
    }
    let server = server_key(&state).await?;
    let signed = Certificate {
        device_id: device.id,
        public_key: key,
        role: device.role.to_string(),
        unit: device.unit.clone(),
        issued_at: now,
    }
    .sign(&server);
    Ok((
        [(CONTENT_TYPE, "application/octet-stream")],
        signed.encode(),
    )
        .into_response())
}

/// One attestation: a device's signature over a change's hash.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttestationIn {
    /// The change's hash, 64 hex digits.
    #[schema(pattern = "^[0-9a-f]{64}$")]
    pub hash: String,
    /// The device that made the change.
    #[schema(value_type = String, format = Uuid)]
    pub device: uuid::Uuid,
    /// Its Ed25519 signature, 128 hex digits.
    #[schema(pattern = "^[0-9a-f]{128}$")]
    pub signature: String,
}

/// Attestations handed in.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttestationsRequest {
    /// At most 1,000.
    #[schema(max_items = 1000)]
    pub attestations: Vec<AttestationIn>,
}

/// What was kept.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttestationsResponse {
    /// Attestations whose signature verifies by their device's registered key (kept).
    pub accepted: usize,
    /// The others (a bad signature, an unknown or unregistered device): dropped.
    pub refused: usize,
}

/// Hand in attestations of other phones' changes received in bundles; each is kept if its
/// signature verifies by the author's registered key.
#[utoipa::path(post, path = "/v1/attestations", tag = "device",
    request_body = AttestationsRequest,
    responses((status = 200, body = AttestationsResponse)))]
pub(crate) async fn attestations(
    State(state): State<AppState>,
    AuthDevice(device): AuthDevice,
    Json(req): Json<AttestationsRequest>,
) -> Result<Json<AttestationsResponse>, ApiError> {
    if req.attestations.len() > MAX_ATTESTATIONS {
        return Err(ApiError::new(ErrorCode::BadRequest)
            .with_detail(format!("at most {MAX_ATTESTATIONS} attestations a request")));
    }
    // The shape first, for the whole request: a malformed entry is a bad request, not a
    // signature that does not verify.
    if let Some(i) = req
        .attestations
        .iter()
        .position(|a| !is_lower_hex(&a.hash, 64) || !is_lower_hex(&a.signature, 128))
    {
        return Err(ApiError::new(ErrorCode::BadRequest).with_detail(format!(
            "attestations[{i}]: hash is 64 and signature 128 lowercase hex digits"
        )));
    }
    let mut keys: std::collections::HashMap<uuid::Uuid, Option<[u8; 32]>> = Default::default();
    let mut kept = Vec::new();
    let mut refused = 0usize;
    for a in &req.attestations {
        let key = match keys.get(&a.device) {
            Some(k) => *k,
            None => {
                let k = state
                    .storage
                    .device_key(&a.device.to_string())
                    .await?
                    .and_then(|h| key32(&h));
                keys.insert(a.device, k);
                k
            }
        };
        let parsed = key32(&a.hash).zip(hex::decode(&a.signature).ok());
        let valid = match (key, parsed) {
            (Some(key), Some((hash, signature))) => Attestation {
                hash,
                device: a.device,
                signature,
            }
            .verify(&key),
            _ => false,
        };
        if valid {
            kept.push((a.hash.clone(), a.device.to_string()));
        } else {
            refused += 1;
        }
    }
    state
        .storage
        .add_attested(&device.id.to_string(), &kept)
        .await?;
    tracing::info!(device = %device.id, accepted = kept.len(), refused, "attestations");
    Ok(Json(AttestationsResponse {
        accepted: kept.len(),
        refused,
    }))
}
