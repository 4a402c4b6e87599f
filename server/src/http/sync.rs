//! `POST /v1/sync`: the batched sync endpoint (protocol in `docs/sync-protocol.md`).
//!
//! One request: check the frame's version, merge every pushed record in one transaction with
//! the core's merge decision (validate, then authorise role and scope on the record before and
//! after the merge), then return what the device lacks past its cursor, within its scope.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use chrono::{Duration, Utc};
use danvan_core::sync::merge::{MergeLimits, Stored, merge_stored};
use danvan_core::sync::wire::{
    self, Outcome, PullDoc, RejectReason, SyncRequest, SyncResponse, Verdict, WireError,
};
use danvan_core::{Record, RecordKind};

use super::auth::AuthDevice;
use crate::error::{ApiError, ErrorCode};
use crate::roles::{Scope, scope};
use crate::state::AppState;
use crate::storage::docs::decode_heads;

/// Largest document batch a response carries, whatever the device asks.
const MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route(wire::SYNC_PATH, post(sync))
}

/// Whether the device (with `scope`) may turn the stored record (under unit `before`, `None` if
/// new) into `after`.
fn authorize(
    scope: &Scope,
    before: Option<&str>,
    after: &Record,
) -> Result<(), (RejectReason, String)> {
    let kind = after.envelope.kind;
    if scope.can_write_kinds.is_empty() {
        return Err((RejectReason::ReadOnly, String::new()));
    }
    if !scope.can_write_kinds.contains(&kind) {
        return Err((RejectReason::ForbiddenKind, kind.to_string()));
    }
    for (which, unit) in [
        ("before", before),
        ("after", Some(after.envelope.unit.as_str())),
    ] {
        if let Some(unit) = unit
            && !scope.can_write(kind, unit)
        {
            return Err((RejectReason::OutOfScope, format!("unit {unit} ({which})")));
        }
    }
    Ok(())
}

async fn sync(
    State(state): State<AppState>,
    AuthDevice(device): AuthDevice,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let ct = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ct.starts_with(wire::CONTENT_TYPE) {
        return Err(ErrorCode::UnsupportedMediaType.into());
    }
    let req: SyncRequest = wire::decode(&body).map_err(|e| match e {
        WireError::Version { found, .. } => ApiError::new(ErrorCode::UpgradeRequired)
            .with_detail(format!("protocol version {found}")),
        e => ApiError::new(ErrorCode::BadFrame).with_detail(e),
    })?;
    let today = (Utc::now() + Duration::hours(7)).date_naive();
    let scope = scope(device.role, &device.unit, &state.units.tree(), today)
        .map_err(|e| ApiError::new(ErrorCode::Forbidden).with_detail(e))?;
    let storage = &state.storage;
    let epoch = storage.sync_epoch().await?;
    let device_id = device.id.to_string();
    if req.epoch != 0 && req.epoch != epoch {
        state.metrics.sync_reset();
        return Ok(frame(&SyncResponse {
            epoch,
            reset: true,
            cursor: 0,
            verdicts: vec![],
            docs: vec![],
            more: false,
        }));
    }

    let rules = state.config.rules.clone();
    let limits = MergeLimits::default();
    let verdicts = if req.pushes.is_empty() {
        Vec::new()
    } else if scope.can_write_kinds.is_empty() {
        // Read-only roles never reach the database.
        req.pushes
            .iter()
            .map(|p| Verdict {
                id: p.id,
                outcome: Outcome::Rejected {
                    reason: RejectReason::ReadOnly,
                    detail: String::new(),
                },
            })
            .collect()
    } else {
        let decide = |stored: Option<Stored<'_>>, push: &wire::Push| {
            merge_stored(stored, push, &rules, &limits, |before, after| {
                authorize(&scope, before, after)
            })
        };
        storage
            .apply_pushes(&device_id, &req.pushes, &decide, &rules)
            .await?
    };
    for v in &verdicts {
        let outcome = match &v.outcome {
            Outcome::Accepted { .. } => "accepted",
            Outcome::Rejected { reason, .. } => reason.code(),
        };
        state.metrics.sync_push(outcome);
    }

    // De-identified roles (above the commune) never receive documents.
    let readable: Vec<String> = if scope.deidentified {
        Vec::new()
    } else {
        scope.units.iter().cloned().collect()
    };
    let mut docs: Vec<PullDoc> = Vec::new();
    for id in req.want_full.iter().take(1000) {
        if let Some((bytes, heads)) = storage.full_document(&id.to_string()).await?
            && let Some(fact) = storage.fact(&id.to_string()).await?
            && readable.contains(&fact.unit)
            && fact
                .kind
                .parse::<RecordKind>()
                .is_ok_and(|k| scope.can_read_kinds.contains(&k))
        {
            docs.push(PullDoc {
                id: *id,
                bytes,
                heads: decode_heads(&heads),
            });
        }
    }
    let max = (req.max_response_bytes as usize).clamp(64 * 1024, MAX_RESPONSE_BYTES);
    let batch = storage
        .pull(
            &device_id,
            &readable,
            &scope.can_read_kinds,
            req.cursor,
            max,
        )
        .await?;
    docs.extend(batch.docs);
    state.metrics.sync_pulled_docs(docs.len() as u64);
    tracing::info!(
        device = %device_id,
        pushes = req.pushes.len(),
        from_cursor = req.cursor,
        docs = docs.len(),
        cursor = batch.cursor,
        more = batch.more,
        "sync round"
    );
    Ok(frame(&SyncResponse {
        epoch,
        reset: false,
        cursor: batch.cursor,
        verdicts,
        docs,
        more: batch.more,
    }))
}

fn frame(resp: &SyncResponse) -> Response {
    let mut r = wire::encode(resp).into_response();
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(wire::CONTENT_TYPE));
    r
}
