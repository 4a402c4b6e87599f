//! Document storage: one compacted snapshot per record plus the incremental chunks written
//! since, compacted by size.
//!
//! A write appends only [`RecordDoc::take_unsaved`]'s bytes as a chunk. When a document's chunks
//! add up to more than its snapshot, or reach [`MAX_CHUNKS`], the same transaction rewrites the
//! snapshot with [`RecordDoc::save`] and deletes the chunks, so a document never takes more than
//! about twice its compacted size and loads with at most [`MAX_CHUNKS`] incremental steps.

use automerge::ChangeHash;
use rusqlite::{Connection, OptionalExtension, params};
use uuid::Uuid;

use crate::doc::RecordDoc;
use crate::error::{CoreError, Result};
use crate::record::RecordKind;

/// Chunks kept before a document is compacted whatever their size.
pub const MAX_CHUNKS: i64 = 16;

/// Load the document `id` (snapshot then chunks) to be written by `device`.
pub(crate) fn load(conn: &Connection, id: &str, device: &Uuid) -> Result<RecordDoc> {
    let snapshot: Option<Vec<u8>> = conn
        .prepare_cached("SELECT snapshot FROM documents WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    let snapshot = snapshot.ok_or_else(|| CoreError::NotFound(format!("record {id}")))?;
    let mut stmt =
        conn.prepare_cached("SELECT bytes FROM chunks WHERE doc_id = ?1 ORDER BY seq")?;
    let chunks: Vec<Vec<u8>> = stmt
        .query_map([id], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    RecordDoc::load_parts(&snapshot, chunks.iter().map(Vec::as_slice), device)
}

/// Whether a document `id` exists.
pub(crate) fn exists(conn: &Connection, id: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM documents WHERE id = ?1")?
        .query_row([id], |_| Ok(()))
        .optional()?
        .is_some())
}

/// The whole document `id` as stored, without loading it: its snapshot followed by its chunks
/// (bytes Automerge loads as the document), and its heads.
pub(crate) fn stored_whole(conn: &Connection, id: &str) -> Result<(Vec<u8>, Vec<ChangeHash>)> {
    let (mut bytes, heads): (Vec<u8>, Vec<u8>) = conn
        .prepare_cached("SELECT snapshot, heads FROM documents WHERE id = ?1")?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .ok_or_else(|| CoreError::NotFound(format!("record {id}")))?;
    let mut stmt =
        conn.prepare_cached("SELECT bytes FROM chunks WHERE doc_id = ?1 ORDER BY seq")?;
    let mut rows = stmt.query([id])?;
    while let Some(row) = rows.next()? {
        let chunk: Vec<u8> = row.get(0)?;
        bytes.extend_from_slice(&chunk);
    }
    Ok((bytes, decode_heads(&heads)?))
}

/// The current heads of document `id`, from its row (no load).
pub(crate) fn heads(conn: &Connection, id: &str) -> Result<Vec<ChangeHash>> {
    let heads: Vec<u8> = conn
        .prepare_cached("SELECT heads FROM documents WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?
        .ok_or_else(|| CoreError::NotFound(format!("record {id}")))?;
    decode_heads(&heads)
}

/// Insert a new document as a compacted snapshot.
pub(crate) fn insert(
    conn: &Connection,
    id: &str,
    kind: RecordKind,
    doc: &mut RecordDoc,
) -> Result<()> {
    let snapshot = doc.save();
    let heads = encode_heads(&doc.heads());
    conn.prepare_cached(
        "INSERT INTO documents (id, kind, snapshot, heads, chunk_count, chunk_bytes) \
         VALUES (?1, ?2, ?3, ?4, 0, 0)",
    )?
    .execute(params![
        id,
        crate::label::Coded::code(&kind),
        snapshot,
        heads
    ])?;
    Ok(())
}

/// Insert a new document from bytes already saved elsewhere (a snapshot received whole), with
/// its heads, without re-serialising it.
pub(crate) fn insert_bytes(
    conn: &Connection,
    id: &str,
    kind: RecordKind,
    bytes: &[u8],
    heads: &[ChangeHash],
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO documents (id, kind, snapshot, heads, chunk_count, chunk_bytes) \
         VALUES (?1, ?2, ?3, ?4, 0, 0)",
    )?
    .execute(params![
        id,
        crate::label::Coded::code(&kind),
        bytes,
        encode_heads(heads)
    ])?;
    Ok(())
}

/// Persist what changed in `doc` since it was loaded or last saved: append a chunk, or compact
/// if the chunks have grown past the threshold. Returns false if there was nothing to write.
pub(crate) fn append(conn: &Connection, id: &str, doc: &mut RecordDoc) -> Result<bool> {
    let (snapshot_len, count, bytes): (i64, i64, i64) = conn
        .prepare_cached(
            "SELECT length(snapshot), chunk_count, chunk_bytes FROM documents WHERE id = ?1",
        )?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?
        .ok_or_else(|| CoreError::NotFound(format!("record {id}")))?;
    let chunk = doc.take_unsaved();
    if chunk.is_empty() {
        return Ok(false);
    }
    let heads = encode_heads(&doc.heads());
    let new_bytes = bytes + chunk.len() as i64;
    if new_bytes > snapshot_len || count + 1 >= MAX_CHUNKS {
        write_snapshot(conn, id, doc)?;
        tracing::debug!(chunks = count + 1, bytes = new_bytes, "document compacted");
    } else {
        conn.prepare_cached("INSERT INTO chunks (doc_id, seq, bytes) VALUES (?1, ?2, ?3)")?
            .execute(params![id, count, chunk])?;
        conn.prepare_cached(
            "UPDATE documents SET heads = ?2, chunk_count = ?3, chunk_bytes = ?4 WHERE id = ?1",
        )?
        .execute(params![id, heads, count + 1, new_bytes])?;
    }
    Ok(true)
}

/// Replace the snapshot of `id` with a full save of `doc` and drop its chunks.
pub(crate) fn write_snapshot(conn: &Connection, id: &str, doc: &mut RecordDoc) -> Result<()> {
    let snapshot = doc.save();
    let heads = encode_heads(&doc.heads());
    conn.prepare_cached("DELETE FROM chunks WHERE doc_id = ?1")?
        .execute([id])?;
    conn.prepare_cached(
        "UPDATE documents SET snapshot = ?2, heads = ?3, chunk_count = 0, chunk_bytes = 0 \
         WHERE id = ?1",
    )?
    .execute(params![id, snapshot, heads])?;
    Ok(())
}

/// Ids of documents that have incremental chunks.
pub(crate) fn with_chunks(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare("SELECT id FROM documents WHERE chunk_count > 0")?;
    let ids = stmt
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(ids)
}

/// Every document id.
pub(crate) fn all_ids(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare("SELECT id FROM documents ORDER BY id")?;
    let ids = stmt
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(ids)
}

/// Heads as stored: the 32-byte hashes concatenated.
pub(crate) fn encode_heads(heads: &[ChangeHash]) -> Vec<u8> {
    heads.iter().flat_map(|h| h.0).collect()
}

/// Inverse of [`encode_heads`]; a malformed value is reported as a corrupt store.
pub(crate) fn decode_heads(bytes: &[u8]) -> Result<Vec<ChangeHash>> {
    if !bytes.len().is_multiple_of(32) {
        return Err(super::StoreError::Corrupt("stored heads have a bad length".into()).into());
    }
    Ok(bytes
        .chunks_exact(32)
        .map(|c| {
            let mut h = [0u8; 32];
            h.copy_from_slice(c);
            ChangeHash(h)
        })
        .collect())
}
