//! The outbox: per-record sync state, and the key-value `sync_meta` the sync engine keeps
//! (server cursor…). Generic on purpose: the protocol is designed on top of it.
//!
//! `dirty` means "local changes the server has not accepted". Each local write bumps
//! `edit_seq`; `mark_sent` remembers the `edit_seq` it sent as `sent_seq`; an answer for that
//! send clears `dirty` only if nothing was edited since, so an edit made while a request is in
//! flight is never forgotten.

use automerge::ChangeHash;
use rusqlite::{Connection, OptionalExtension, params};

use crate::error::{CoreError, Result};

use super::documents::{decode_heads, encode_heads};
use super::types::{Rejection, SyncState, SyncStatus};

/// Record a local write of `id` (creates the row on the first write).
pub(crate) fn local_write(conn: &Connection, id: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO sync_state (id, state, dirty, edit_seq) VALUES (?1, 'local_only', 1, 1) \
         ON CONFLICT (id) DO UPDATE SET dirty = 1, edit_seq = edit_seq + 1",
    )?
    .execute([id])?;
    Ok(())
}

/// Record that a record arrived from the server: the server has `heads`; nothing to send.
pub(crate) fn remote_new(conn: &Connection, id: &str, heads: &[ChangeHash]) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO sync_state (id, state, dirty, edit_seq, last_synced_heads) \
         VALUES (?1, 'accepted', 0, 0, ?2) ON CONFLICT (id) DO NOTHING",
    )?
    .execute(params![id, encode_heads(heads)])?;
    Ok(())
}

/// Ids with local changes the server has not accepted, oldest edit first.
pub(crate) fn dirty(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached("SELECT id FROM sync_state WHERE dirty = 1 ORDER BY id")?;
    let ids = stmt
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(ids)
}

/// The records in `ids` were put in a request.
pub(crate) fn mark_sent(conn: &Connection, ids: &[&str]) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "UPDATE sync_state SET state = 'sent', sent_seq = edit_seq WHERE id = ?1",
    )?;
    for id in ids {
        if stmt.execute([id])? == 0 {
            return Err(CoreError::NotFound(format!("record {id}")));
        }
    }
    Ok(())
}

/// The request that carried `ids` got no answer. The state before the send is recovered from
/// what the server last said: a rejection keeps its reason until the next verdict, accepted
/// heads mean the record was accepted before, neither means it never was. `dirty` was never
/// cleared, so the records are sent again on the next sync.
pub(crate) fn mark_unanswered(conn: &Connection, ids: &[&str]) -> Result<()> {
    let mut stmt = conn.prepare_cached(
        "UPDATE sync_state SET state = CASE \
             WHEN reject_code IS NOT NULL THEN 'rejected' \
             WHEN last_synced_heads IS NOT NULL THEN 'accepted' \
             ELSE 'local_only' END \
         WHERE id = ?1 AND state = 'sent'",
    )?;
    for id in ids {
        stmt.execute([id])?;
    }
    Ok(())
}

/// The server accepted and has `heads`.
pub(crate) fn mark_accepted(conn: &Connection, id: &str, heads: &[ChangeHash]) -> Result<()> {
    let n = conn
        .prepare_cached(
            "UPDATE sync_state SET state = 'accepted', reject_code = NULL, \
                 reject_message = NULL, last_synced_heads = ?2, \
                 dirty = (sent_seq IS NOT NULL AND edit_seq > sent_seq) \
             WHERE id = ?1",
        )?
        .execute(params![id, encode_heads(heads)])?;
    found(n, id)
}

/// The server rejected the last changes sent.
pub(crate) fn mark_rejected(conn: &Connection, id: &str, code: &str, message: &str) -> Result<()> {
    let n = conn
        .prepare_cached(
            "UPDATE sync_state SET state = 'rejected', reject_code = ?2, reject_message = ?3, \
                 dirty = (sent_seq IS NOT NULL AND edit_seq > sent_seq) \
             WHERE id = ?1",
        )?
        .execute(params![id, code, message])?;
    found(n, id)
}

fn found(n: usize, id: &str) -> Result<()> {
    if n == 0 {
        Err(CoreError::NotFound(format!("record {id}")))
    } else {
        Ok(())
    }
}

/// `state, dirty, reject_code, reject_message, last_synced_heads`.
type StatusRow = (
    String,
    bool,
    Option<String>,
    Option<String>,
    Option<Vec<u8>>,
);

/// Sync bookkeeping of `id`.
pub(crate) fn status(conn: &Connection, id: &str) -> Result<SyncStatus> {
    let row: Option<StatusRow> = conn
        .prepare_cached(
            "SELECT state, dirty, reject_code, reject_message, last_synced_heads \
             FROM sync_state WHERE id = ?1",
        )?
        .query_row([id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .optional()?;
    let (state, dirty, code, message, heads) =
        row.ok_or_else(|| CoreError::NotFound(format!("record {id}")))?;
    let state = SyncState::from_code(&state);
    let rejection = match (state, code) {
        (SyncState::Rejected, Some(code)) => Some(Rejection {
            code,
            message: message.unwrap_or_default(),
        }),
        _ => None,
    };
    Ok(SyncStatus {
        state,
        dirty,
        rejection,
        last_synced_heads: decode_heads(heads.as_deref().unwrap_or_default())?,
    })
}

/// Read a `sync_meta` value.
pub(crate) fn meta_get(conn: &Connection, key: &str) -> Result<Option<Vec<u8>>> {
    Ok(conn
        .prepare_cached("SELECT value FROM sync_meta WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?)
}

/// Write (or with `None`, delete) a `sync_meta` value.
pub(crate) fn meta_set(conn: &Connection, key: &str, value: Option<&[u8]>) -> Result<()> {
    match value {
        Some(v) => conn
            .prepare_cached("INSERT OR REPLACE INTO sync_meta (key, value) VALUES (?1, ?2)")?
            .execute(params![key, v])?,
        None => conn
            .prepare_cached("DELETE FROM sync_meta WHERE key = ?1")?
            .execute([key])?,
    };
    Ok(())
}
