//! Getting a record out of "rejected": discard the refused change, or fix it and send again.
//!
//! The server never stores a refused change, so the phone is the only place it lives. Both ways
//! out are ordinary local writes that sync like any other:
//! - **discard** writes, as a new change, the record as the server last accepted it (the state at
//!   the heads the server is known to have), so the server receives the refused change and its
//!   undoing together and the merged record is the accepted one; a record the server never
//!   accepted at all (new on this phone) is removed from the phone instead. A change refused for
//!   what it *is* (`too_large`, `malformed`) would be refused again with its undoing on top, so
//!   the phone's copy is rewound to the accepted heads instead: the refused changes exist
//!   nowhere else (the server stores nothing it refuses), so dropping them loses nothing;
//! - **fix and resend** is any edit (the record becomes dirty and is sent at the next sync), or
//!   [`Store::resend`] when nothing needs changing because the reason was on the server's side
//!   (a scope fixed by an administrator).

use crate::error::{CoreError, Result};
use crate::record::Record;

use super::types::SyncState;
use super::{Store, documents, index, outbox, write};

/// What [`Store::discard_rejected`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum Discarded {
    /// The record is back to the state the server accepted (a new change, to be synced).
    Reverted(Box<Record>),
    /// The server never accepted the record: it is gone from the phone.
    Removed,
}

impl Store {
    /// Undo the local changes of rejected record `id`: back to the last state the server
    /// accepted, as a new change that the next sync sends. Errors with `NotFound` if the record
    /// is not rejected.
    pub fn discard_rejected(&mut self, id: &str) -> Result<Discarded> {
        let _span = tracing::info_span!("store.discard_rejected", id).entered();
        let status = self.sync_state(id)?;
        if status.state != SyncState::Rejected {
            return Err(CoreError::NotFound(format!("rejected record {id}")));
        }
        let (device, cfg) = (self.device, self.cfg.clone());
        let tx = self.write_tx()?;
        if status.last_synced_heads.is_empty() {
            remove(&tx, id)?;
            tx.commit()?;
            return Ok(Discarded::Removed);
        }
        let mut doc = documents::load(&tx, id, &device)?;
        let refused_for_what_it_is = status
            .rejection
            .as_ref()
            .is_some_and(|r| matches!(r.code.as_str(), "too_large" | "malformed"));
        if refused_for_what_it_is {
            let mut rewound = doc.rewound(&status.last_synced_heads)?;
            let record = rewound.record()?;
            documents::write_snapshot(&tx, id, &mut rewound)?;
            index::upsert(
                &tx,
                &record,
                write::needs_decision(&mut rewound, &record, &cfg),
                &cfg,
            )?;
            outbox::mark_accepted(&tx, id, &status.last_synced_heads)?;
            tx.commit()?;
            return Ok(Discarded::Reverted(Box::new(record)));
        }
        let accepted = doc.record_at(&status.last_synced_heads)?;
        doc.write(&accepted, "discard rejected change")?;
        let record = doc.record()?;
        write::persist(&tx, id, &mut doc, &record, &cfg)?;
        outbox::local_write(&tx, id)?;
        tx.commit()?;
        Ok(Discarded::Reverted(Box::new(record)))
    }

    /// Send record `id` again at the next sync without changing it (after the cause of a
    /// rejection was fixed on the server's side). Edits mark a record for sending by themselves.
    pub fn resend(&mut self, id: &str) -> Result<()> {
        let _span = tracing::info_span!("store.resend", id).entered();
        let tx = self.write_tx()?;
        outbox::local_write(&tx, id)?;
        tx.commit()?;
        Ok(())
    }
}

/// Delete every row of record `id` (search entry, index row, outbox, chunks, document).
fn remove(conn: &rusqlite::Connection, id: &str) -> Result<()> {
    conn.execute(
        "DELETE FROM records_fts WHERE rowid = (SELECT rowid FROM records WHERE id = ?1)",
        [id],
    )?;
    for sql in [
        "DELETE FROM records WHERE id = ?1",
        "DELETE FROM sync_state WHERE id = ?1",
        "DELETE FROM chunks WHERE doc_id = ?1",
        "DELETE FROM documents WHERE id = ?1",
    ] {
        conn.execute(sql, [id])?;
    }
    Ok(())
}
