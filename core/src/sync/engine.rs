//! The sans-I/O sync engine: builds request frames from a store and applies response frames.
//!
//! It never touches the network. [`SyncSession::next_request`] returns the next frame to POST (or
//! `None` when the sync is complete); [`SyncSession::handle_response`] applies the server's
//! answer to the store. [`run_sync`](super::run_sync) drives both over a [`Transport`](super::Transport).

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::wire::{self, Outcome, PullDoc, Push, SyncRequest, SyncResponse, Verdict};
use crate::error::Result;

/// Where the device stands with the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SyncMeta {
    /// Server instance id the cursor belongs to (0 = never synced).
    pub epoch: u64,
    /// Server sequence up to which the device has every in-scope change.
    pub cursor: u64,
}

/// What the engine needs from a store. The offline store implements it; tests may use others.
pub trait SyncStore {
    /// Current epoch and cursor.
    fn sync_meta(&mut self) -> Result<SyncMeta>;
    /// Records with changes the server does not have, excluding `skip`, as pushes: changes after
    /// the heads the server is known to have (the whole document if none). At most `max_count`
    /// pushes and about `max_bytes` bytes (always at least one push if any is pending).
    fn pending_pushes(
        &mut self,
        skip: &HashSet<Uuid>,
        max_count: usize,
        max_bytes: usize,
    ) -> Result<Vec<Push>>;
    /// How many records have changes the server does not have.
    fn pending_count(&mut self) -> Result<usize>;
    /// Mark records as sent (waiting for a verdict).
    fn mark_sent(&mut self, ids: &[Uuid]) -> Result<()>;
    /// The request that carried `ids` got no answer (network error or an error status): they are
    /// shown as they were before the send (not sent, accepted with local changes, or rejected)
    /// and stay pending. Resending is safe: the server merges idempotently.
    fn mark_unanswered(&mut self, ids: &[Uuid]) -> Result<()>;
    /// Apply one response atomically: verdicts, pulled documents, new cursor and epoch.
    /// Returns the ids of pulled documents that are still missing history (to ask in full).
    fn apply_round(
        &mut self,
        epoch: u64,
        cursor: u64,
        verdicts: &[Verdict],
        docs: &[PullDoc],
    ) -> Result<Vec<Uuid>>;
    /// The server is a different instance: forget the cursor and what the server was believed to
    /// hold; every record becomes pending again.
    fn reset_sync(&mut self) -> Result<()>;
    /// The device's public key when the store wants the server to certify it (phone-to-phone
    /// exchange, ADR 0014); `None` (the default) when it has a certificate or does not take one.
    fn wants_certificate(&mut self) -> Result<Option<[u8; 32]>> {
        Ok(None)
    }
    /// Keep the certificate the server issued.
    fn set_certificate(&mut self, _encoded: &[u8]) -> Result<()> {
        Ok(())
    }
    /// Attestations of other phones' changes to give the server before pushing them.
    fn pending_attestations(&mut self) -> Result<Vec<crate::peer::Attestation>> {
        Ok(Vec::new())
    }
    /// The server took these attestations.
    fn attestations_posted(&mut self, _hashes: &[[u8; 32]]) -> Result<()> {
        Ok(())
    }
}

/// Tuning of a sync session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncOptions {
    /// Bytes of pushed changes per request (a larger single record goes alone).
    pub max_push_bytes: usize,
    /// Records pushed per request.
    pub max_push_count: usize,
    /// Bytes of documents per response.
    pub max_response_bytes: u32,
    /// Safety bound on round trips in one session.
    pub max_rounds: usize,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            max_push_bytes: 512 * 1024,
            max_push_count: 1000,
            max_response_bytes: 1024 * 1024,
            max_rounds: 10_000,
        }
    }
}

/// Progress of a session, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SyncProgress {
    /// Round trips completed.
    pub rounds: u32,
    /// Records pushed so far in this session.
    pub pushed: u64,
    /// Records that were pending when the session started (grows if the server resets).
    pub to_push: u64,
    /// Records accepted by the server.
    pub accepted: u64,
    /// Records rejected by the server.
    pub rejected: u64,
    /// Documents received.
    pub pulled: u64,
    /// Request bytes sent (frames only, no HTTP headers).
    pub bytes_sent: u64,
    /// Response bytes received (frames only).
    pub bytes_received: u64,
    /// The server asked for a full re-push (different server instance).
    pub reset: bool,
}

/// One sync session: a loop of request/response rounds until nothing is left to exchange.
#[derive(Debug)]
pub struct SyncSession {
    opts: SyncOptions,
    pushed: HashSet<Uuid>,
    in_flight: Vec<Uuid>,
    want_full: Vec<Uuid>,
    more: bool,
    started: bool,
    done: bool,
    progress: SyncProgress,
}

impl SyncSession {
    /// A new session.
    pub fn new(opts: SyncOptions) -> SyncSession {
        SyncSession {
            opts,
            pushed: HashSet::new(),
            in_flight: Vec::new(),
            want_full: Vec::new(),
            more: false,
            started: false,
            done: false,
            progress: SyncProgress::default(),
        }
    }

    /// Progress so far.
    pub fn progress(&self) -> SyncProgress {
        self.progress
    }

    /// Whether the session has nothing left to do.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// The next request frame, or `None` when the sync is complete. The first call always
    /// returns a request (it is how a device learns of changes when it has none to push).
    pub fn next_request(&mut self, store: &mut dyn SyncStore) -> Result<Option<Vec<u8>>> {
        if self.done {
            return Ok(None);
        }
        if !self.started {
            self.progress.to_push = store.pending_count()? as u64;
        }
        let pushes = store.pending_pushes(
            &self.pushed,
            self.opts.max_push_count,
            self.opts.max_push_bytes,
        )?;
        let rounds_left = (self.progress.rounds as usize) < self.opts.max_rounds;
        if (self.started && pushes.is_empty() && !self.more && self.want_full.is_empty())
            || !rounds_left
        {
            self.done = true;
            return Ok(None);
        }
        self.started = true;
        let meta = store.sync_meta()?;
        let ids: Vec<Uuid> = pushes.iter().map(|p| p.id).collect();
        store.mark_sent(&ids)?;
        self.pushed.extend(ids.iter().copied());
        self.in_flight.clone_from(&ids);
        self.progress.pushed += ids.len() as u64;
        let req = SyncRequest {
            epoch: meta.epoch,
            cursor: meta.cursor,
            pushes,
            want_full: std::mem::take(&mut self.want_full),
            max_response_bytes: self.opts.max_response_bytes,
        };
        let frame = wire::encode(&req);
        self.progress.bytes_sent += frame.len() as u64;
        Ok(Some(frame))
    }

    /// The last request got no usable answer (transport error, error status or a garbled
    /// frame): its records go back to their state before the send, still pending, and the
    /// session ends.
    pub fn request_failed(&mut self, store: &mut dyn SyncStore) -> Result<()> {
        self.done = true;
        let ids = std::mem::take(&mut self.in_flight);
        for id in &ids {
            self.pushed.remove(id);
        }
        if ids.is_empty() {
            return Ok(());
        }
        store.mark_unanswered(&ids)
    }

    /// Apply the server's response to the request last returned.
    pub fn handle_response(&mut self, store: &mut dyn SyncStore, frame: &[u8]) -> Result<()> {
        let resp: SyncResponse = wire::decode(frame).map_err(super::SyncError::Wire)?;
        self.in_flight.clear();
        self.progress.rounds += 1;
        self.progress.bytes_received += frame.len() as u64;
        if resp.reset {
            store.reset_sync()?;
            self.pushed.clear();
            self.want_full.clear();
            self.progress.reset = true;
            self.progress.to_push = self.progress.pushed + store.pending_count()? as u64;
            // Start over against the new instance, cursor 0.
            store.apply_round(resp.epoch, 0, &[], &[])?;
            self.more = true;
            return Ok(());
        }
        for v in &resp.verdicts {
            match &v.outcome {
                Outcome::Accepted { .. } => self.progress.accepted += 1,
                Outcome::Rejected {
                    reason: wire::RejectReason::MissingHistory,
                    ..
                } => {
                    // Sent again whole in a later round of this session.
                    self.pushed.remove(&v.id);
                }
                Outcome::Rejected { .. } => self.progress.rejected += 1,
            }
        }
        self.progress.pulled += resp.docs.len() as u64;
        let incomplete = store.apply_round(resp.epoch, resp.cursor, &resp.verdicts, &resp.docs)?;
        self.want_full = incomplete;
        self.more = resp.more;
        Ok(())
    }
}
