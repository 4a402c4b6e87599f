//! The server's side of a push: merge, then decide. Lives in core so that the server runs exactly
//! the rules the phone runs (docs/design.md decision 3), and so it can be tested without a database.

use automerge::AutoCommit;
use uuid::Uuid;

use super::wire::{Hash, Push, RejectReason, from_wire_heads, to_wire_heads};
use crate::config::RulesConfig;
use crate::lifecycle::StatusChange;
use crate::record::Record;
use crate::validate::{ValidationIssue, codes};

/// Limits the server applies to pushes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MergeLimits {
    /// Largest accepted change set for one record, bytes.
    pub max_push_bytes: usize,
    /// Largest accepted record document after merge, bytes.
    pub max_doc_bytes: usize,
}

impl Default for MergeLimits {
    fn default() -> Self {
        MergeLimits {
            max_push_bytes: 1024 * 1024,
            max_doc_bytes: 4 * 1024 * 1024,
        }
    }
}

/// Result of merging one push into the server's copy.
#[derive(Debug)]
pub enum MergeOutcome {
    /// New changes merged; store them.
    Accepted {
        /// The changes the server did not have (store as a chunk).
        new_changes: Vec<u8>,
        /// Heads after the merge.
        heads: Vec<Hash>,
        /// The merged record (for the fact row).
        record: Box<Record>,
        /// The merged document, for callers that compact it into a new snapshot.
        doc: Box<AutoCommit>,
    },
    /// Nothing new (a retry or duplicate): the server already had everything.
    Unchanged {
        /// Heads of the server's copy.
        heads: Vec<Hash>,
    },
    /// Refused; nothing may be stored.
    Rejected {
        /// Why.
        reason: RejectReason,
        /// Detail for the device (field names, no personal data).
        detail: String,
    },
}

fn reject(reason: RejectReason, detail: impl Into<String>) -> MergeOutcome {
    MergeOutcome::Rejected {
        reason,
        detail: detail.into(),
    }
}

/// What the server's `documents` row says about a stored record: its bytes (snapshot followed by
/// its chunks) and the kind and unit it was stored under, so the "before" side of the scope check
/// needs no hydration.
#[derive(Debug, Clone, Copy)]
pub struct Stored<'a> {
    /// Snapshot followed by its chunks.
    pub bytes: &'a [u8],
    /// Kind code of the stored record.
    pub kind: &'a str,
    /// Unit code of the stored record.
    pub unit: &'a str,
}

/// What a push adds to a record's status history, for the role check (ADR 0009): the entries
/// the server did not have, and whether the push changed nothing else (a correction-only push,
/// which a role that may correct but not write the kind may make).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HistoryDelta {
    /// History entries new to the server, in history order.
    pub new_entries: Vec<StatusChange>,
    /// The push changed only the status history (and the fields derived from it): the
    /// envelope and the body are what the server had. Computed only when a new entry is a
    /// correction; `false` otherwise and for a record new to the server.
    pub only_history: bool,
}

impl HistoryDelta {
    /// The new correction entries.
    pub fn corrections(&self) -> impl Iterator<Item = &StatusChange> {
        self.new_entries.iter().filter(|e| e.is_correction())
    }

    /// Whether the push adds corrections and nothing else (no other entry, no other field).
    pub fn only_corrections(&self) -> bool {
        self.only_history
            && !self.new_entries.is_empty()
            && self.new_entries.iter().all(StatusChange::is_correction)
    }
}

/// Whether `issue` is about history entry `id` (the entry itself or one of its fields).
fn about_entry(issue: &ValidationIssue, id: &str) -> bool {
    issue
        .field
        .strip_prefix("history[")
        .and_then(|f| f.strip_prefix(id))
        .is_some_and(|rest| rest.starts_with(']'))
}

/// A closing corrected twice in the pusher's own copy (at the heads it pushed) by a correction
/// it pushes now: it knew of the first correction and corrected again (ADR 0009). Two people
/// who correct the same closing without knowing of each other are a status conflict instead.
fn corrected_twice(
    doc: &mut AutoCommit,
    push: &Push,
    new_corrections: &[&StatusChange],
) -> Option<ValidationIssue> {
    let pushed = doc.fork_at(&from_wire_heads(&push.heads)).ok()?;
    let history = crate::doc::hydrate_history(&pushed).ok()?;
    new_corrections.iter().find_map(|k| {
        let target = k.corrects.as_deref()?;
        let n = history
            .iter()
            .filter(|c| c.corrects.as_deref() == Some(target))
            .count();
        (n > 1).then(|| {
            ValidationIssue::new(
                format!("history[{}]", k.id),
                codes::ALREADY_CORRECTED,
                "Lần kết thúc này đã được đính chính.",
                "This closing had already been corrected.",
            )
        })
    })
}

/// The issues of a merged record that the pushing device is answerable for (ADR 0007): those
/// the server's copy did not have before the merge **and** the device's own copy (at the heads
/// it pushed) has. An issue in neither copy comes from merging two valid histories (Lan clears
/// one field while Hùng fills another that depends on it): the record is accepted and shows
/// the issue for review on every device, never rejected on one. Called only when the merged
/// record has issues, so the two extra reads cost nothing on the usual path.
fn pushers_own_issues(
    doc: &mut AutoCommit,
    old_heads: &[automerge::ChangeHash],
    push: &Push,
    cfg: &RulesConfig,
    merged: Vec<crate::ValidationIssue>,
) -> Vec<crate::ValidationIssue> {
    let issues_at = |doc: &mut AutoCommit, heads: &[automerge::ChangeHash]| {
        doc.fork_at(heads)
            .ok()
            .and_then(|d| crate::doc::hydrate_record(&d).ok())
            .map(|r| r.validate(cfg))
    };
    let key = |i: &crate::ValidationIssue| (i.field.clone(), i.code.clone());
    let before: std::collections::HashSet<_> = issues_at(doc, old_heads)
        .unwrap_or_default()
        .iter()
        .map(key)
        .collect();
    // The device's copy is unreadable only if its own changes broke the record: answerable.
    let Some(pushed) = issues_at(doc, &from_wire_heads(&push.heads)) else {
        return merged;
    };
    let pushed: std::collections::HashSet<_> = pushed.iter().map(key).collect();
    merged
        .into_iter()
        .filter(|i| !before.contains(&key(i)) && pushed.contains(&key(i)))
        .collect()
}

/// Merge `push` into the stored document (`stored` = snapshot followed by its chunks, or `None`
/// for a record the server has never seen), validate the merged record with the core rules,
/// and ask `authorize(before, after)` whether the pushing device may make this change (scope and
/// role are checked on the merged result, so a crafted change that moves a record out of scope
/// is refused). The stored record is hydrated for `before`; see [`merge_stored`] for the server's
/// path, which knows the stored kind and unit already.
///
/// Every history entry the push adds must keep the status graph's rules (an allowed transition
/// from the entry it follows, a well-formed correction with its reason): such an entry is
/// always the pusher's own, so it is rejected as `invalid` with its code
/// (`history[<id>]:bad_transition`, …) whatever the merge; a correction of a closing the pusher
/// already knew was corrected is rejected as `already_corrected`.
pub fn merge_push(
    stored: Option<&[u8]>,
    push: &Push,
    cfg: &RulesConfig,
    limits: &MergeLimits,
    authorize: impl FnOnce(Option<&Record>, &Record) -> Result<(), (RejectReason, String)>,
) -> MergeOutcome {
    merge_with(
        stored,
        push,
        cfg,
        limits,
        None,
        |doc| crate::doc::hydrate_record(doc).ok(),
        |b, r| b.envelope.kind == r.envelope.kind && b.envelope.id == r.envelope.id,
        |b, r, _| authorize(b, r),
    )
}

/// [`merge_push`] for a stored record whose kind and unit are known from its `documents` row:
/// the same checks and rejection reasons, without hydrating the record before the merge.
/// `authorize` receives the stored unit (`None` for a new record) and the merged record. The
/// stored id is the pushed id (the row is looked up by it), so only the kind is compared.
pub fn merge_stored(
    stored: Option<Stored<'_>>,
    push: &Push,
    cfg: &RulesConfig,
    limits: &MergeLimits,
    authorize: impl FnOnce(Option<&str>, &Record) -> Result<(), (RejectReason, String)>,
) -> MergeOutcome {
    merge_stored_delta(stored, push, cfg, limits, |b, r, _| authorize(b, r))
}

/// [`merge_stored`] whose `authorize` also receives what the push adds to the status history
/// ([`HistoryDelta`]), so that the server can check which roles may push a correction, and
/// let a role that may correct a kind it may not write push a correction-only change.
pub fn merge_stored_delta(
    stored: Option<Stored<'_>>,
    push: &Push,
    cfg: &RulesConfig,
    limits: &MergeLimits,
    authorize: impl FnOnce(Option<&str>, &Record, &HistoryDelta) -> Result<(), (RejectReason, String)>,
) -> MergeOutcome {
    merge_with(
        stored.map(|s| s.bytes),
        push,
        cfg,
        limits,
        None,
        |_| stored,
        |b, r| b.kind == crate::Coded::code(&r.envelope.kind),
        |b, r, d| authorize(b.map(|b| b.unit), r, d),
    )
}

/// Detail of a push carrying a change new to the server under another actor than the pushing
/// device's (`malformed`).
pub const FOREIGN_ACTOR: &str = "foreign_actor";

/// The server's decision on a push from `device` (what `POST /v1/sync` runs): [`merge_stored_delta`]
/// with two checks more.
///
/// - **Authorship** (ADR 0001: actor id = device id): every change of the push that the server
///   does not have must be under `device`'s actor id, else the push is `malformed` with the
///   detail `foreign_actor: <actor>`. Changes the server already has (another device's changes
///   this device received and sends again) are not new and are not checked.
/// - **Existence is not disclosed**: a stored record that `visible(kind, unit)` says the device
///   may not see is treated as if it did not exist — the push is decided against no stored
///   document, and an outcome that would create it is `out_of_scope` with no detail, as a new
///   record outside the scope is. So a device learns nothing of records outside its scope
///   (no heads, no unit), beyond the one thing it cannot be spared: that it may not create a
///   record under an id that is taken.
pub fn merge_device_push(
    device: &Uuid,
    stored: Option<Stored<'_>>,
    push: &Push,
    cfg: &RulesConfig,
    limits: &MergeLimits,
    visible: impl FnOnce(&str, &str) -> bool,
    authorize: impl FnOnce(Option<&str>, &Record, &HistoryDelta) -> Result<(), (RejectReason, String)>,
) -> MergeOutcome {
    merge_relayed_push(
        device,
        stored,
        push,
        cfg,
        limits,
        &|_, _| false,
        visible,
        authorize,
    )
}

/// [`merge_device_push`] for a phone that may relay other phones' changes (phone-to-phone
/// exchange, ADR 0014): a change new to the server under another actor is accepted when
/// `attested(hash, actor)` says its author signed it; any other is `foreign_actor` as before.
#[allow(clippy::too_many_arguments)]
pub fn merge_relayed_push(
    device: &Uuid,
    stored: Option<Stored<'_>>,
    push: &Push,
    cfg: &RulesConfig,
    limits: &MergeLimits,
    attested: Attested<'_>,
    visible: impl FnOnce(&str, &str) -> bool,
    authorize: impl FnOnce(Option<&str>, &Record, &HistoryDelta) -> Result<(), (RejectReason, String)>,
) -> MergeOutcome {
    let actor = crate::doc::actor_for_device(device);
    let hidden = stored.is_some_and(|s| !visible(s.kind, s.unit));
    let stored = if hidden { None } else { stored };
    let outcome = merge_with(
        stored.map(|s| s.bytes),
        push,
        cfg,
        limits,
        Some((&actor, attested)),
        |_| stored,
        |b, r| b.kind == crate::Coded::code(&r.envelope.kind),
        |b, r, d| authorize(b.map(|b| b.unit), r, d),
    );
    match outcome {
        MergeOutcome::Accepted { .. } if hidden => reject(RejectReason::OutOfScope, ""),
        other => other,
    }
}

/// Detail prefix of a push whose document holds keys the record schema does not have
/// (`malformed`).
pub const UNKNOWN_KEY: &str = "unknown_key";

/// Keys past which the unknown keys of a document are not listed.
const MAX_UNKNOWN_KEYS: usize = 1000;

/// The `malformed` detail for the keys of the merged document that the record schema does not
/// have (`found`, docs/record-schema.md) and the server's copy (at `old_heads`, when `stored`)
/// did not have either: a push may not add them, however they are nested or whatever they
/// hold.
fn unknown_keys(
    doc: &mut AutoCommit,
    found: Vec<String>,
    stored: bool,
    old_heads: &[automerge::ChangeHash],
) -> Option<String> {
    if found.is_empty() {
        return None;
    }
    let before: std::collections::HashSet<String> = if stored {
        doc.fork_at(old_heads)
            .ok()
            .and_then(|d| crate::doc::hydrate_checked(&d, MAX_UNKNOWN_KEYS).ok())
            .map(|(_, keys)| keys)
            .unwrap_or_default()
            .into_iter()
            .collect()
    } else {
        std::collections::HashSet::new()
    };
    let new: Vec<String> = found.into_iter().filter(|k| !before.contains(k)).collect();
    (!new.is_empty()).then(|| {
        let shown: Vec<&str> = new.iter().take(5).map(String::as_str).collect();
        format!("{UNKNOWN_KEY}: {}", shown.join(", "))
    })
}

/// The first change of `doc` after `old_heads` (new to the server) whose actor is not `actor`.
/// A change is attested when its author signed its hash and another phone handed the signature
/// to the server (phone-to-phone exchange, ADR 0014): `attested(hash, actor)`.
pub type Attested<'a> = &'a dyn Fn(&automerge::ChangeHash, &automerge::ActorId) -> bool;

fn foreign_change(
    doc: &mut AutoCommit,
    old_heads: &[automerge::ChangeHash],
    actor: &automerge::ActorId,
    attested: Attested<'_>,
) -> Option<automerge::ActorId> {
    doc.get_changes_meta(old_heads)
        .into_iter()
        .find(|c| c.actor.as_ref() != actor && !attested(&c.hash, c.actor.as_ref()))
        .map(|c| c.actor.into_owned())
}

/// The first bytes of every Automerge chunk.
const CHUNK_MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];

/// Check that pushed bytes are a sequence of the Automerge chunks danvan's clients send, before
/// Automerge reads them: a whole document (type 0, a new record's `save()`) or changes (type 1,
/// `save_after`, which writes each change uncompressed, as Automerge's JavaScript
/// `saveIncremental` and `getChanges` do). Each chunk is the magic bytes, a 4-byte checksum, the
/// type, a LEB128 length and that many bytes.
///
/// A compressed change (type 2) is refused too: no client writes one, and Automerge inflates it
/// without a bound (`read_to_end`), so a 1 MiB push of it could become about 1 GiB.
///
/// Automerge 0.12 also reads "bundle" chunks (type 3, an experimental format no danvan client
/// writes) whose run-length-encoded columns it expands in full: a 1.7 KB push decoded into
/// hundreds of MB and took about a second of CPU, and another panicked in `hexane` (both found
/// by the `server_push` fuzz target), so a device could exhaust the server's memory with a few
/// pushes. Any other type, and bytes that do not walk as chunks to their end, are refused here
/// (Automerge refuses or skips such bytes too: the verdict is the same, `malformed`).
///
/// A document chunk may hold deflated columns, which Automerge inflates without a bound
/// (`read_to_end`): deflate expands up to about 1,000 times, so a 1 MiB push could become about
/// 1 GiB. Each document chunk's column metadata is read here and its deflated columns inflated,
/// stopping as soon as the push's columns together pass [`MAX_INFLATED_COLUMN_BYTES`].
pub fn chunks_danvan_sends(bytes: &[u8]) -> Result<(), String> {
    let mut rest = bytes;
    let mut at = 0usize;
    let mut inflated = 0usize;
    while !rest.is_empty() {
        let bad = |what: &str| Err(format!("bytes at offset {at}: {what}"));
        if rest.len() < 10 || rest[..4] != CHUNK_MAGIC {
            return bad("not an Automerge chunk");
        }
        let kind = rest[8];
        if kind > 1 {
            return bad(&format!("Automerge chunk type {kind} is not accepted"));
        }
        let mut len: u64 = 0;
        let mut used = 0usize;
        loop {
            let Some(&b) = rest.get(9 + used) else {
                return bad("chunk length cut short");
            };
            if used == 9 {
                return bad("chunk length too long");
            }
            len |= u64::from(b & 0x7f) << (7 * used);
            used += 1;
            if b & 0x80 == 0 {
                break;
            }
        }
        let end = usize::try_from(len)
            .ok()
            .and_then(|len| (9 + used).checked_add(len))
            .filter(|&end| end <= rest.len());
        let Some(end) = end else {
            return bad("chunk longer than the push");
        };
        if kind == 0
            && let Err(what) = document_columns_inflate_within(&rest[9 + used..end], &mut inflated)
        {
            return bad(&what);
        }
        rest = &rest[end..];
        at += end;
    }
    Ok(())
}

/// How many bytes the columns of the document chunks in one push may hold once inflated: eight
/// times the 4 MiB document limit ([`MergeLimits::max_doc_bytes`]), far above what a record's
/// columns compress from (a danvan record document is a few kilobytes) and far below what deflate
/// lets 1 MiB become.
pub const MAX_INFLATED_COLUMN_BYTES: usize = 32 * 1024 * 1024;

/// Walk a document chunk's body (after the chunk header) far enough to find its columns: the
/// actors, the heads, the change columns' and the operation columns' metadata (each a count,
/// then a LEB128 specification and length per column), then the column data. Every column whose
/// specification has the deflate bit (`0b1000`) is inflated into a sink, adding to `inflated`,
/// and refused once the total passes [`MAX_INFLATED_COLUMN_BYTES`]: nothing is kept, only
/// counted. The layout is Automerge's storage format
/// (<https://alexjg.github.io/automerge-storage-docs/#document-chunks>); anything that does not
/// read as it is left for Automerge to refuse.
fn document_columns_inflate_within(body: &[u8], inflated: &mut usize) -> Result<(), String> {
    use std::io::Read;
    let mut at = 0usize;
    let uleb = |body: &[u8], at: &mut usize| -> Option<u64> {
        let mut value: u64 = 0;
        for shift in 0..10 {
            let b = *body.get(*at)?;
            *at += 1;
            value |= u64::from(b & 0x7f).checked_shl(7 * shift)?;
            if b & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    };
    let skip = |at: &mut usize, n: u64| -> Option<()> {
        let end = at.checked_add(usize::try_from(n).ok()?)?;
        (end <= body.len()).then(|| *at = end)
    };
    // Past the prefix only to learn where the columns are: a body that does not read is
    // Automerge's to refuse, with its own words.
    let Some(columns) = (|| {
        let actors = uleb(body, &mut at)?;
        for _ in 0..actors {
            let len = uleb(body, &mut at)?;
            skip(&mut at, len)?;
        }
        let heads = uleb(body, &mut at)?;
        skip(&mut at, heads.checked_mul(32)?)?;
        let mut columns: Vec<(u64, u64)> = Vec::new();
        for _ in 0..2 {
            let count = uleb(body, &mut at)?;
            for _ in 0..count {
                let spec = uleb(body, &mut at)?;
                let len = uleb(body, &mut at)?;
                columns.push((spec, len));
            }
        }
        Some(columns)
    })() else {
        return Ok(());
    };
    for (spec, len) in columns {
        let start = at;
        if skip(&mut at, len).is_none() {
            return Ok(());
        }
        if spec & 0b1000 == 0 {
            continue;
        }
        let room = MAX_INFLATED_COLUMN_BYTES.saturating_sub(*inflated) as u64;
        let mut inflater = flate2::bufread::DeflateDecoder::new(&body[start..at]).take(room + 1);
        let grew = std::io::copy(&mut inflater, &mut std::io::sink())
            .map_err(|e| format!("a deflated column does not inflate: {e}"))?;
        if grew > room {
            return Err(format!(
                "the document's columns inflate past {} MiB",
                MAX_INFLATED_COLUMN_BYTES / (1024 * 1024)
            ));
        }
        *inflated += grew as usize;
    }
    Ok(())
}

thread_local! {
    // Set by `reading_client_changes_in`.
    static READING_CLIENT_CHANGES: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Run `f` marked as Automerge reading a client's changes ([`reading_client_changes`]).
fn reading_client_changes_in<T>(f: impl FnOnce() -> T) -> T {
    READING_CLIENT_CHANGES.with(|c| c.set(true));
    let out = f();
    READING_CLIENT_CHANGES.with(|c| c.set(false));
    out
}

/// Whether this thread is inside the guard around Automerge reading a client's pushed changes,
/// where a panic (of Automerge or of the crates it reads with, such as `hexane`) is caught and
/// the push answered as malformed. For panic hooks: the server's keeps such a panic out of its
/// log (any enrolled device could otherwise write a panic message per push), the fuzz targets'
/// let it unwind to the guard instead of aborting.
pub fn reading_client_changes() -> bool {
    READING_CLIENT_CHANGES.with(std::cell::Cell::get)
}

/// Wrap the process's panic hook, once, so that a panic inside the guard around Automerge
/// reading a client's changes ([`reading_client_changes`]) is not reported: it is caught there
/// and the push answered as malformed. Every other panic goes to the hook installed before.
/// The server calls it so that hostile pushes do not write a panic message each; the fuzz
/// targets, so that libFuzzer's hook (which aborts) lets such a panic unwind to the guard.
pub fn pass_over_caught_panics() {
    static WRAPPED: std::sync::Once = std::sync::Once::new();
    WRAPPED.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !reading_client_changes() {
                previous(info);
            }
        }));
    });
}

/// Run `f` with no tracing subscriber: Automerge logs what it cannot parse at ERROR level, and
/// the bytes parsed here come from any client (a flood of garbage must not flood the log).
fn quietly<T>(f: impl FnOnce() -> T) -> T {
    tracing::dispatcher::with_default(&tracing::Dispatch::none(), f)
}

/// The merge decision, generic over how the "before" side is known (`before_of`), how its
/// identity is compared with the merged record (`same`) and what `authorize` is given. With
/// `author`, every change new to the server must be that actor's.
#[allow(clippy::too_many_arguments)]
fn merge_with<B>(
    stored: Option<&[u8]>,
    push: &Push,
    cfg: &RulesConfig,
    limits: &MergeLimits,
    author: Option<(&automerge::ActorId, Attested<'_>)>,
    before_of: impl FnOnce(&AutoCommit) -> Option<B>,
    same: impl FnOnce(&B, &Record) -> bool,
    authorize: impl FnOnce(Option<&B>, &Record, &HistoryDelta) -> Result<(), (RejectReason, String)>,
) -> MergeOutcome {
    if push.changes.len() > limits.max_push_bytes {
        return reject(
            RejectReason::TooLarge,
            format!("{} bytes", push.changes.len()),
        );
    }
    let (mut doc, before) = match stored {
        Some(bytes) => match quietly(|| AutoCommit::load(bytes)) {
            Ok(d) => {
                let before = before_of(&d);
                (d, before)
            }
            // The stored copy is ours and was valid when stored; failing here is a server bug,
            // reported as malformed rather than a panic.
            Err(e) => {
                return reject(
                    RejectReason::Malformed,
                    format!("stored document unreadable: {e}"),
                );
            }
        },
        None => (AutoCommit::new(), None),
    };
    doc.set_actor(automerge::ActorId::from(Uuid::nil().as_bytes().as_slice()));
    let old_heads = doc.get_heads();
    // The ids of the history entries the server has: what is not among them is the push's.
    let old_entries: std::collections::HashSet<String> = if stored.is_some() {
        crate::doc::hydrate_history(&doc)
            .map(|h| h.into_iter().map(|c| c.id).collect())
            .unwrap_or_default()
    } else {
        std::collections::HashSet::new()
    };
    if let Err(detail) = chunks_danvan_sends(&push.changes) {
        return reject(RejectReason::Malformed, detail);
    }
    // Automerge 0.12 panics on some crafted change bytes (an `unwrap` in its change batch
    // reader; found by the `server_push` fuzz target): a panic while reading a client's bytes
    // is a malformed push, never a failed request. The document is dropped with the verdict.
    let loaded = reading_client_changes_in(|| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            quietly(|| doc.load_incremental(&push.changes))
        }))
    });
    match loaded {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => return reject(RejectReason::Malformed, e.to_string()),
        Err(_) => {
            return reject(
                RejectReason::Malformed,
                "the changes could not be read (Automerge failed on them)",
            );
        }
    }
    let missing = doc.get_missing_deps(&from_wire_heads(&push.heads));
    if !missing.is_empty() {
        return reject(
            RejectReason::MissingHistory,
            format!("{} change(s) missing", missing.len()),
        );
    }
    let new_heads = doc.get_heads();
    if new_heads == old_heads {
        return MergeOutcome::Unchanged {
            heads: to_wire_heads(&new_heads),
        };
    }
    if let Some((actor, attested)) = author
        && let Some(other) = foreign_change(&mut doc, &old_heads, actor, attested)
    {
        return reject(
            RejectReason::Malformed,
            format!(
                "{FOREIGN_ACTOR}: a change new to the server is by actor {other}, not this device"
            ),
        );
    }
    let (record, unknown): (Record, Vec<String>) =
        match crate::doc::hydrate_checked(&doc, MAX_UNKNOWN_KEYS) {
            Ok(read) => read,
            Err(e) => return reject(RejectReason::Malformed, format!("not a record: {e}")),
        };
    if record.envelope.id != push.id.to_string() {
        return reject(
            RejectReason::Malformed,
            "envelope.id differs from the pushed id",
        );
    }
    if let Some(detail) = unknown_keys(&mut doc, unknown, stored.is_some(), &old_heads) {
        return reject(RejectReason::Malformed, detail);
    }
    if let Some(b) = &before
        && !same(b, &record)
    {
        return reject(
            RejectReason::Malformed,
            "a record's id and kind never change",
        );
    }
    let new_entries: Vec<StatusChange> = record
        .history
        .iter()
        .filter(|c| !old_entries.contains(&c.id))
        .cloned()
        .collect();
    let issues = record.validate(cfg);
    // A new entry's rules depend only on the entries it follows, which the pusher had: a
    // broken one is always the pusher's (a transition its machine does not allow, a malformed
    // correction), never a product of the merge.
    let mut own_entries: Vec<&ValidationIssue> = issues
        .iter()
        .filter(|i| new_entries.iter().any(|e| about_entry(i, &e.id)))
        .collect();
    let new_corrections: Vec<&StatusChange> =
        new_entries.iter().filter(|e| e.is_correction()).collect();
    let twice = if stored.is_some() && !new_corrections.is_empty() && own_entries.is_empty() {
        corrected_twice(&mut doc, push, &new_corrections)
    } else {
        None
    };
    own_entries.extend(twice.as_ref());
    if !own_entries.is_empty() {
        let fields: Vec<String> = own_entries
            .iter()
            .map(|i| format!("{}:{}", i.field, i.code))
            .collect();
        return reject(RejectReason::Invalid, fields.join(", "));
    }
    if !issues.is_empty() {
        let own = if stored.is_some() {
            pushers_own_issues(&mut doc, &old_heads, push, cfg, issues)
        } else {
            issues
        };
        if !own.is_empty() {
            let fields: Vec<String> = own
                .iter()
                .map(|i| format!("{}:{}", i.field, i.code))
                .collect();
            return reject(RejectReason::Invalid, fields.join(", "));
        }
    }
    let only_history = stored.is_some()
        && !new_corrections.is_empty()
        && doc
            .fork_at(&old_heads)
            .ok()
            .and_then(|d| crate::doc::hydrate_record(&d).ok())
            .is_some_and(|mut b| {
                b.history = record.history.clone();
                b.derive();
                b == record
            });
    let delta = HistoryDelta {
        new_entries,
        only_history,
    };
    if let Err((reason, detail)) = authorize(before.as_ref(), &record, &delta) {
        return reject(reason, detail);
    }
    // For a record new to the server, the pushed bytes are exactly what it did not have.
    let new_changes = if stored.is_none() {
        push.changes.clone()
    } else {
        doc.save_after(&old_heads)
    };
    // The document as it would be stored: the stored bytes plus this chunk; past the limit,
    // what compacting it would store (the writer then compacts, see `stored_size`).
    if let Some(size) = stored_size(
        stored.map_or(0, <[u8]>::len),
        &new_changes,
        &mut doc,
        limits,
    ) {
        return reject(RejectReason::TooLarge, format!("{size} bytes"));
    }
    MergeOutcome::Accepted {
        new_changes,
        heads: to_wire_heads(&new_heads),
        record: Box::new(record),
        doc: Box::new(doc),
    }
}

/// The size of the merged document past `limits.max_doc_bytes`, if it is: `stored_len` stored
/// bytes plus the `new_changes` chunk, or, when that is over the limit, the compacted document
/// (`save()`, computed only then). `None` when the document fits: a writer appending the chunk
/// must compact instead when `stored_len + new_changes.len()` is over the limit (the server's
/// write path does), so that the stored bytes never exceed it.
fn stored_size(
    stored_len: usize,
    new_changes: &[u8],
    doc: &mut AutoCommit,
    limits: &MergeLimits,
) -> Option<usize> {
    let appended = stored_len + new_changes.len();
    if appended <= limits.max_doc_bytes {
        return None;
    }
    let compacted = doc.save().len();
    (compacted > limits.max_doc_bytes).then_some(compacted)
}
