//! What the sync engine uses: dirty records, their changes since the server's heads, and the
//! answers (sent, accepted, rejected), plus a key-value `sync_meta` for its own state.
//! The protocol itself is built on top of these, elsewhere.

use automerge::ChangeHash;

use crate::error::Result;

use super::types::SyncStatus;
use super::{Store, documents, outbox};

impl Store {
    /// Ids of records with local changes the server has not accepted.
    pub fn dirty_records(&self) -> Result<Vec<String>> {
        outbox::dirty(&self.conn)
    }

    /// The records `ids` were put in a request. Edits made after this keep them dirty even if
    /// the answer is "accepted".
    pub fn mark_sent(&mut self, ids: &[&str]) -> Result<()> {
        let _span = tracing::info_span!("store.mark_sent", n = ids.len()).entered();
        let tx = self.write_tx()?;
        outbox::mark_sent(&tx, ids)?;
        tx.commit()?;
        Ok(())
    }

    /// The request that carried `ids` got no answer: show them as before the send (not sent,
    /// accepted with local changes, or rejected); they stay pending.
    pub fn mark_unanswered(&mut self, ids: &[&str]) -> Result<()> {
        let _span = tracing::info_span!("store.mark_unanswered", n = ids.len()).entered();
        let tx = self.write_tx()?;
        outbox::mark_unanswered(&tx, ids)?;
        tx.commit()?;
        Ok(())
    }

    /// The server accepted record `id` and now has `heads`.
    pub fn mark_accepted(&mut self, id: &str, heads: &[ChangeHash]) -> Result<()> {
        let _span = tracing::info_span!("store.mark_accepted", id).entered();
        let tx = self.write_tx()?;
        outbox::mark_accepted(&tx, id, heads)?;
        tx.commit()?;
        Ok(())
    }

    /// The server rejected the last changes of record `id`, with a machine-readable `code` and a
    /// `message` to show on the record.
    pub fn mark_rejected(&mut self, id: &str, code: &str, message: &str) -> Result<()> {
        let _span = tracing::info_span!("store.mark_rejected", id, code).entered();
        let tx = self.write_tx()?;
        outbox::mark_rejected(&tx, id, code, message)?;
        tx.commit()?;
        Ok(())
    }

    /// Sync bookkeeping of record `id`.
    pub fn sync_state(&self, id: &str) -> Result<SyncStatus> {
        outbox::status(&self.conn, id)
    }

    /// Current heads of record `id` (from the index; no document load).
    pub fn heads(&self, id: &str) -> Result<Vec<ChangeHash>> {
        let bytes: Vec<u8> = self
            .conn
            .prepare_cached("SELECT heads FROM documents WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .map_err(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => {
                    crate::CoreError::NotFound(format!("record {id}"))
                }
                e => e.into(),
            })?;
        documents::decode_heads(&bytes)
    }

    /// The changes of record `id` that a peer holding `since_heads` lacks (everything if
    /// `since_heads` is empty), ready to send.
    pub fn changes_for_sync(&self, id: &str, since_heads: &[ChangeHash]) -> Result<Vec<u8>> {
        Ok(documents::load(&self.conn, id, &self.device)?.changes_after(since_heads))
    }

    /// A value of the sync engine's own state (server cursor…).
    pub fn sync_meta(&self, key: &str) -> Result<Option<Vec<u8>>> {
        outbox::meta_get(&self.conn, key)
    }

    /// Set (or with `None`, delete) a value of the sync engine's own state.
    pub fn set_sync_meta(&mut self, key: &str, value: Option<&[u8]>) -> Result<()> {
        let tx = self.write_tx()?;
        outbox::meta_set(&tx, key, value)?;
        tx.commit()?;
        Ok(())
    }
}
