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
use chrono::{Duration, NaiveDate, Utc};
use danvan_core::sync::merge::{HistoryDelta, MergeLimits, Stored, merge_relayed_push};
use danvan_core::sync::wire::{
    self, Outcome, PullDoc, RejectReason, SyncRequest, SyncResponse, Verdict, WireError,
};
use danvan_core::validate::codes;
use danvan_core::{Record, RecordKind};

use super::auth::AuthDevice;
use crate::error::{ApiError, ErrorCode};
use crate::roles::{Role, Scope, scope};
use crate::state::AppState;
use crate::storage::docs::decode_heads;
use crate::units::UnitTree;

/// Most attested changes of one device considered for its pushes (ADR 0014).
const MAX_ATTESTED: i64 = 100_000;

/// Largest document batch a response carries, whatever the device asks.
const MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;

/// Routes of this module.
pub fn router() -> Router<AppState> {
    Router::new().route(wire::SYNC_PATH, post(sync))
}

/// Whether the device (with `scope`) may turn the stored record (under unit `before`, `None` if
/// new) into `after`, adding `delta` to its status history.
///
/// The history's own rules (every new entry an allowed transition from the entry it follows, a
/// well-formed correction with its reason) are checked by the merge decision in core. Here:
/// a new correction needs a role that may correct the kind (else `invalid` with
/// `history[<id>]:correction_not_allowed`); a role that may correct a kind it may not write
/// (a commune officer and a mediation case) may push corrections and nothing else.
fn authorize(
    scope: &Scope,
    historical: &Historical<'_>,
    before: Option<&str>,
    after: &Record,
    delta: &HistoryDelta,
) -> Result<(), (RejectReason, String)> {
    let kind = after.envelope.kind;
    if scope.can_write_kinds.is_empty() {
        return Err((RejectReason::ReadOnly, String::new()));
    }
    let units = [
        ("before", before),
        ("after", Some(after.envelope.unit.as_str())),
    ];
    if let Some(k) = delta.corrections().next()
        && !scope.can_correct_kinds.contains(&kind)
    {
        return Err((
            RejectReason::Invalid,
            format!("history[{}]:{}", k.id, codes::CORRECTION_NOT_ALLOWED),
        ));
    }
    let may_write = scope.can_write_kinds.contains(&kind);
    if !may_write && !delta.only_corrections() {
        return Err((RejectReason::ForbiddenKind, kind.to_string()));
    }
    for (which, unit) in units {
        if let Some(unit) = unit {
            let ok = if may_write {
                scope.can_write(kind, unit) || (which == "after" && historical.allows(kind, after))
            } else {
                scope.can_correct(kind, unit)
            };
            if !ok {
                // No detail: the answer for a record out of scope says nothing about it (its
                // unit), and is the same whether it exists or not (issue 11).
                return Err((RejectReason::OutOfScope, String::new()));
            }
        }
    }
    if let Some(on) = after.envelope.unit_on
        && !historical.allows(kind, after)
    {
        return Err((
            RejectReason::OutOfScope,
            format!(
                "historical entry under {} on {on} not allowed",
                after.envelope.unit
            ),
        ));
    }
    Ok(())
}

/// What decides a **historical entry** (a past matter recorded under the old unit it happened
/// in, `Envelope::unit_on`): a role that leads (team leader, inspector, checker, commune
/// officer — not a plain mediator) writing a kind it may write, and the old unit placed by the
/// successor mapping, as of today, in the device's scope or in a unit holding it (a village's
/// team leader: the commune her village lies in; a split old commune: any of the units its
/// records may belong to).
struct Historical<'a> {
    role: Role,
    scope: &'a Scope,
    tree: &'a UnitTree,
    today: NaiveDate,
}

impl Historical<'_> {
    /// The unit codes whose records the device may read: none above the commune (de-identified
    /// roles never receive documents), else its scope's units and the old units that went
    /// wholly into them (historical entries travel to the scope's devices too).
    fn readable(&self) -> Vec<String> {
        if self.scope.deidentified {
            return Vec::new();
        }
        let mut codes: Vec<String> = self.scope.units.iter().cloned().collect();
        codes.extend(self.old_codes());
        codes.sort();
        codes.dedup();
        codes
    }

    /// Codes of expired units the successor mapping places, as of today, inside the scope
    /// (old communes and villages merged into it), so devices pull their historical entries.
    /// A reused code names both; a split old unit is left out (its records may be another
    /// commune's).
    fn old_codes(&self) -> Vec<String> {
        use crate::aggregate::resolve::{Place, resolve};
        self.tree
            .all()
            .filter(|v| v.valid_to.is_some_and(|t| t < self.today))
            .filter(|v| {
                matches!(resolve(self.tree, v, self.today), Place::Unit(c) if self.scope.units.contains(&c))
            })
            .map(|v| v.code.clone())
            .collect()
    }

    fn allows(&self, kind: RecordKind, record: &Record) -> bool {
        use crate::aggregate::resolve::{Place, resolve};
        let Some(on) = record.envelope.unit_on else {
            return false;
        };
        if self.role == Role::Mediator || !self.scope.can_write_kinds.contains(&kind) {
            return false;
        }
        let Some(v) = self.tree.unit(&record.envelope.unit, on.0) else {
            return false;
        };
        // The old unit went into the scope, or into a unit holding it: Hải Phòng's old
        // villages are not mapped, so a team leader records a past case of her area under the
        // old commune it lay in.
        let covers = |c: &String| {
            self.scope
                .units
                .iter()
                .any(|u| self.tree.is_within(u, c, self.today))
        };
        match resolve(self.tree, v, self.today) {
            Place::Unit(c) => covers(&c),
            Place::Unallocated { candidates, .. } => candidates.iter().any(covers),
            Place::Unknown => false,
        }
    }
}

/// Today in Vietnam (UTC+7): the day scopes are read on.
pub(crate) fn vietnam_today() -> NaiveDate {
    (Utc::now() + Duration::hours(7)).date_naive()
}

/// What `device` may read: its scope today and the unit codes whose records it may read
/// ([`Historical::readable`]), as `POST /v1/sync` pulls them. The attachment routes authorise
/// with it too.
pub(crate) fn readable_scope(
    state: &AppState,
    device: &crate::storage::Device,
) -> Result<(Scope, Vec<String>), ApiError> {
    let today = vietnam_today();
    let tree = state.units.tree();
    let scope = scope(device.role, &device.unit, &tree, today)
        .map_err(|e| ApiError::new(ErrorCode::Forbidden).with_detail(e))?;
    let readable = Historical {
        role: device.role,
        scope: &scope,
        tree: &tree,
        today,
    }
    .readable();
    Ok((scope, readable))
}

/// One sync round: the device's changed records out, what it lacks past its cursor back
/// (`docs/sync-protocol.md`). Both bodies are binary frames: the magic `DV`, the protocol
/// version (u16, big-endian), then a postcard-encoded `SyncRequest` / `SyncResponse`. The
/// example is the smallest valid request: first sync, nothing to push. A push the server
/// refuses is a verdict inside the 200 answer, not an HTTP error.
#[utoipa::path(post, path = "/v1/sync", tag = "device",
    request_body(content = inline(crate::web::api::Binary), content_type = "application/x-danvan-sync",
        description = "A `SyncRequest` frame (exactly this content type, no parameters).",
        example = json!("DV\u{0}\u{1}\u{0}\u{0}\u{0}\u{0}\u{0}")),
    responses((status = 200, description = "A `SyncResponse` frame.", content_type = "application/x-danvan-sync",
        body = inline(crate::web::api::Binary))))]
pub(crate) async fn sync(
    State(state): State<AppState>,
    AuthDevice(device): AuthDevice,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    if !is_sync_content_type(headers.get(CONTENT_TYPE)) {
        client_error(&device.id, "unsupported_media_type", "");
        return Err(ErrorCode::UnsupportedMediaType.into());
    }
    let req: SyncRequest = wire::decode(&body).map_err(|e| match e {
        WireError::Version { found, .. } => ApiError::new(ErrorCode::UpgradeRequired)
            .with_detail(format!("protocol version {found}")),
        e => {
            client_error(&device.id, "bad_frame", &e.to_string());
            ApiError::new(ErrorCode::BadFrame).with_detail(e)
        }
    })?;
    let today = vietnam_today();
    let tree = state.units.tree();
    let scope = scope(device.role, &device.unit, &tree, today)
        .map_err(|e| ApiError::new(ErrorCode::Forbidden).with_detail(e))?;
    let historical = Historical {
        role: device.role,
        scope: &scope,
        tree: &tree,
        today,
    };
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

    let readable = historical.readable();
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
        // A stored record the device may neither read nor write is answered as if it did not
        // exist (no heads, no unit): `merge_device_push`. A checker above the commune may
        // see only the records it has written to.
        let hidden: Vec<uuid::Uuid> = if scope.authored_only {
            let ids: Vec<String> = req.pushes.iter().map(|p| p.id.to_string()).collect();
            storage
                .not_authored_by(&device_id, &ids)
                .await?
                .iter()
                .filter_map(|id| uuid::Uuid::parse_str(id).ok())
                .collect()
        } else {
            Vec::new()
        };
        let visible = |kind: &str, unit: &str| {
            kind.parse::<RecordKind>().is_ok_and(|k| {
                scope.can_write(k, unit)
                    || scope.can_correct(k, unit)
                    || (scope.can_read_kinds.contains(&k) && readable.iter().any(|u| u == unit))
            })
        };
        // Other phones' changes this device may relay: those whose authors' signatures it
        // handed in (`POST /v1/attestations`, ADR 0014).
        let attested: std::collections::HashMap<
            danvan_core::automerge::ChangeHash,
            danvan_core::automerge::ActorId,
        > = storage
            .attested_posted_by(&device_id, MAX_ATTESTED)
            .await?
            .into_iter()
            .filter_map(|(hash, author)| {
                let hash = hex::decode(hash).ok()?.try_into().ok()?;
                let author = uuid::Uuid::parse_str(&author).ok()?;
                Some((
                    danvan_core::automerge::ChangeHash(hash),
                    danvan_core::actor_for_device(&author),
                ))
            })
            .collect();
        let is_attested = |hash: &danvan_core::automerge::ChangeHash,
                           actor: &danvan_core::automerge::ActorId| {
            attested.get(hash) == Some(actor)
        };
        let decide = |stored: Option<Stored<'_>>, push: &wire::Push| {
            let own = !hidden.contains(&push.id);
            merge_relayed_push(
                &device.id,
                stored,
                push,
                &rules,
                &limits,
                &is_attested,
                |kind, unit| own && visible(kind, unit),
                |before, after, delta| authorize(&scope, &historical, before, after, delta),
            )
        };
        // Wait for a turn before reading anything (`state::sync_write_turns`).
        let _turn = state
            .sync_writes
            .acquire()
            .await
            .map_err(|_| ApiError::internal("sync write turns closed"))?;
        storage
            .apply_pushes(&device_id, &req.pushes, &decide, &rules)
            .await?
    };
    for v in &verdicts {
        let outcome = match &v.outcome {
            Outcome::Accepted { .. } => "accepted",
            Outcome::Rejected { reason, detail } => {
                if *reason == RejectReason::Malformed {
                    client_error(&device.id, "malformed", detail);
                }
                reason.code()
            }
        };
        state.metrics.sync_push(outcome);
    }

    let mut docs: Vec<PullDoc> = Vec::new();
    let wanted: Vec<String> = req
        .want_full
        .iter()
        .take(1000)
        .map(|id| id.to_string())
        .collect();
    let not_own = if scope.authored_only && !wanted.is_empty() {
        storage.not_authored_by(&device_id, &wanted).await?
    } else {
        Vec::new()
    };
    for id in req.want_full.iter().take(1000) {
        if not_own.contains(&id.to_string()) {
            continue;
        }
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
            scope.authored_only,
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

/// Whether a request's `Content-Type` is the sync frame's: exactly
/// `application/x-danvan-sync`, compared without regard to case (RFC 9110 §8.3.1) and
/// surrounding whitespace. The type defines no parameters and the body is binary, so a
/// parameter (`; charset=utf-8`, …) is refused like any other type: 415.
fn is_sync_content_type(value: Option<&HeaderValue>) -> bool {
    value
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.trim().eq_ignore_ascii_case(wire::CONTENT_TYPE))
}

/// Log a client's mistake (a frame that does not decode, a wrong content type, changes
/// Automerge cannot read or not the device's own) at WARN, at most [`LOG_BURST`] lines at
/// once and [`LOG_PER_SECOND`] a second over time, whatever the clients send; what is dropped
/// is counted in the next line written. The request's JSON error and the push's verdict carry
/// the detail to the client; this is for the operator.
fn client_error(device: &uuid::Uuid, code: &str, detail: &str) {
    static BUCKET: std::sync::Mutex<Option<LogBucket>> = std::sync::Mutex::new(None);
    let now = std::time::Instant::now();
    let Ok(mut guard) = BUCKET.lock() else {
        return;
    };
    let bucket = guard.get_or_insert(LogBucket {
        tokens: LOG_BURST,
        at: now,
        dropped: 0,
    });
    bucket.tokens = (bucket.tokens + now.duration_since(bucket.at).as_secs_f64() * LOG_PER_SECOND)
        .min(LOG_BURST);
    bucket.at = now;
    if bucket.tokens < 1.0 {
        bucket.dropped += 1;
        return;
    }
    bucket.tokens -= 1.0;
    let dropped = std::mem::take(&mut bucket.dropped);
    drop(guard);
    // The detail is the client's own bytes' fault; cut so one line stays one line.
    let detail: String = detail.chars().take(200).collect();
    tracing::warn!(%device, code, detail, dropped, "sync: client error");
}

/// Lines [`client_error`] may write at once.
const LOG_BURST: f64 = 20.0;
/// Lines [`client_error`] may write a second, over time.
const LOG_PER_SECOND: f64 = 1.0;

/// A token bucket for [`client_error`].
struct LogBucket {
    tokens: f64,
    at: std::time::Instant,
    dropped: u64,
}
