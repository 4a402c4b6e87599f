//! The offline store as the sync engine's [`SyncStore`]: each response is applied in one
//! transaction (verdicts, pulled documents, cursor), so an interrupted sync resumes cleanly.

use std::collections::HashSet;

use automerge::ChangeHash;
use rusqlite::{Connection, params};
use uuid::Uuid;

use crate::doc::RecordDoc;
use crate::error::Result;
use crate::sync::wire::{
    Outcome, PullDoc, Push, RejectReason, Verdict, from_wire_heads, to_wire_heads,
};
use crate::sync::{SyncMeta, SyncStore};

use super::documents::{self, encode_heads};
use super::{Store, index, outbox};

const EPOCH_KEY: &str = "sync.epoch";
const CURSOR_KEY: &str = "sync.cursor";

fn get_u64(conn: &Connection, key: &str) -> Result<u64> {
    Ok(outbox::meta_get(conn, key)?
        .and_then(|v| <[u8; 8]>::try_from(v.as_slice()).ok())
        .map(u64::from_be_bytes)
        .unwrap_or(0))
}

/// The heads among `heads` that `doc` holds (the server may have merged changes this device
/// has not received yet; it only counts as "known to the server" what both sides hold).
fn known_heads(doc: &mut RecordDoc, heads: &[ChangeHash]) -> Vec<ChangeHash> {
    let missing: HashSet<ChangeHash> = doc.missing_deps(heads).into_iter().collect();
    heads
        .iter()
        .filter(|h| !missing.contains(h))
        .copied()
        .collect()
}

fn set_server_heads(conn: &Connection, id: &str, heads: &[ChangeHash]) -> Result<()> {
    conn.prepare_cached("UPDATE sync_state SET last_synced_heads = ?2 WHERE id = ?1")?
        .execute(params![id, encode_heads(heads)])?;
    Ok(())
}

impl SyncStore for Store {
    fn wants_certificate(&mut self) -> Result<Option<[u8; 32]>> {
        Store::wants_certificate(self)
    }

    fn set_certificate(&mut self, encoded: &[u8]) -> Result<()> {
        Store::set_certificate(self, encoded)
    }

    fn pending_attestations(&mut self) -> Result<Vec<crate::peer::Attestation>> {
        Store::pending_attestations(self)
    }

    fn attestations_posted(&mut self, hashes: &[[u8; 32]]) -> Result<()> {
        Store::attestations_posted(self, hashes)
    }

    fn sync_meta(&mut self) -> Result<SyncMeta> {
        Ok(SyncMeta {
            epoch: get_u64(&self.conn, EPOCH_KEY)?,
            cursor: get_u64(&self.conn, CURSOR_KEY)?,
        })
    }

    fn pending_pushes(
        &mut self,
        skip: &HashSet<Uuid>,
        max_count: usize,
        max_bytes: usize,
    ) -> Result<Vec<Push>> {
        let mut out = Vec::new();
        let mut bytes = 0usize;
        for id in outbox::dirty(&self.conn)? {
            let Ok(uuid) = Uuid::parse_str(&id) else {
                continue;
            };
            if skip.contains(&uuid) {
                continue;
            }
            let since = outbox::status(&self.conn, &id)?.last_synced_heads;
            // A record the server has none of goes whole, as stored: its compacted snapshot
            // followed by the chunks written since (no load, no re-save); otherwise only what
            // the server lacks.
            let (changes, heads) = if since.is_empty() {
                documents::stored_whole(&self.conn, &id)?
            } else {
                let mut doc = documents::load(&self.conn, &id, &self.device)?;
                (doc.changes_after(&since), doc.heads())
            };
            if !out.is_empty() && bytes + changes.len() > max_bytes {
                break;
            }
            bytes += changes.len();
            out.push(Push {
                id: uuid,
                changes,
                heads: to_wire_heads(&heads),
            });
            if out.len() >= max_count {
                break;
            }
        }
        Ok(out)
    }

    fn pending_count(&mut self) -> Result<usize> {
        let n: i64 = self
            .conn
            .prepare_cached("SELECT count(*) FROM sync_state WHERE dirty = 1")?
            .query_row([], |r| r.get(0))?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    fn mark_sent(&mut self, ids: &[Uuid]) -> Result<()> {
        with_id_strs(ids, |refs| Store::mark_sent(self, refs))
    }

    fn mark_unanswered(&mut self, ids: &[Uuid]) -> Result<()> {
        with_id_strs(ids, |refs| Store::mark_unanswered(self, refs))
    }

    fn apply_round(
        &mut self,
        epoch: u64,
        cursor: u64,
        verdicts: &[Verdict],
        docs: &[PullDoc],
    ) -> Result<Vec<Uuid>> {
        let _span = tracing::info_span!(
            "store.apply_round",
            verdicts = verdicts.len(),
            docs = docs.len()
        )
        .entered();
        let (device, cfg) = (self.device, self.cfg.clone());
        let tx = self.write_tx()?;
        for v in verdicts {
            let id = v.id.to_string();
            match &v.outcome {
                Outcome::Accepted { heads } => {
                    let server = from_wire_heads(heads);
                    // Usually the server now has exactly this device's heads: known without
                    // loading the document.
                    let ours = documents::heads(&tx, &id)?;
                    let known = if server.iter().all(|h| ours.contains(h)) {
                        server
                    } else {
                        known_heads(&mut documents::load(&tx, &id, &device)?, &server)
                    };
                    outbox::mark_accepted(&tx, &id, &known)?;
                }
                Outcome::Rejected {
                    reason: RejectReason::MissingHistory,
                    ..
                } => {
                    // Send the whole document next time.
                    tx.prepare_cached(
                        "UPDATE sync_state SET last_synced_heads = NULL, dirty = 1 WHERE id = ?1",
                    )?
                    .execute([&id])?;
                }
                Outcome::Rejected { reason, detail } => {
                    // The detail alone is kept; the messages in both languages are made from
                    // the reason's labels when read (`outbox::status`).
                    outbox::mark_rejected(&tx, &id, reason.code(), detail)?;
                }
            }
        }
        // Records new to this device are read (load, hydrate, conflicts and rules) on every
        // core first; only the writes below are serial.
        let mut fresh = Vec::with_capacity(docs.len());
        for d in docs {
            fresh.push(!documents::exists(&tx, &d.id.to_string())?);
        }
        let mut read = read_new(docs, &fresh, &device, &cfg).into_iter();
        let mut incomplete = Vec::new();
        // New records written by this round: one the response holds twice is new only once.
        let mut inserted: HashSet<String> = HashSet::new();
        for (d, is_new) in docs.iter().zip(fresh) {
            let id = d.id.to_string();
            let server_heads = from_wire_heads(&d.heads);
            let prepared = if is_new { read.next().flatten() } else { None };
            if !is_new || inserted.contains(&id) {
                let mut doc = documents::load(&tx, &id, &device)?;
                doc.apply(&d.bytes)?;
                if !doc.missing_deps(&server_heads).is_empty() {
                    incomplete.push(d.id);
                }
                // A document whose history is incomplete still hydrates from what it has.
                if let Ok(record) = doc.record() {
                    super::write::persist(&tx, &id, &mut doc, &record, &cfg)?;
                }
                let known = known_heads(&mut doc, &server_heads);
                set_server_heads(&tx, &id, &known)?;
            } else {
                // A record new to this device: it must arrive whole and readable.
                match prepared {
                    Some(New {
                        record,
                        heads,
                        decide,
                    }) => {
                        // Kept as received: the server sends its compacted snapshot.
                        documents::insert_bytes(&tx, &id, record.envelope.kind, &d.bytes, &heads)?;
                        index::upsert(&tx, &record, decide, &cfg)?;
                        outbox::remote_new(&tx, &id, &heads)?;
                        inserted.insert(id);
                    }
                    None => incomplete.push(d.id),
                }
            }
        }
        outbox::meta_set(&tx, EPOCH_KEY, Some(&epoch.to_be_bytes()))?;
        outbox::meta_set(&tx, CURSOR_KEY, Some(&cursor.to_be_bytes()))?;
        tx.commit()?;
        Ok(incomplete)
    }

    fn reset_sync(&mut self) -> Result<()> {
        let tx = self.write_tx()?;
        tx.execute(
            "UPDATE sync_state SET dirty = 1, last_synced_heads = NULL, sent_seq = NULL, \
             state = CASE WHEN state = 'rejected' THEN state ELSE 'local_only' END",
            [],
        )?;
        outbox::meta_set(&tx, CURSOR_KEY, None)?;
        tx.commit()?;
        Ok(())
    }
}

/// A pulled record new to this device, read and checked, ready to be written.
struct New {
    record: crate::record::Record,
    heads: Vec<ChangeHash>,
    /// Conflicts or broken rules (the index's `has_conflicts`).
    decide: bool,
}

/// Read a pulled document new to this device: `None` unless it loads, holds the record `d.id`
/// and has the server's heads (then it is asked for in full).
fn read_one(d: &PullDoc, device: &Uuid, cfg: &crate::config::RulesConfig) -> Option<New> {
    let mut doc = RecordDoc::load(&d.bytes, device).ok()?;
    let record = doc.record().ok()?;
    if record.id() != d.id.to_string() || !doc.missing_deps(&from_wire_heads(&d.heads)).is_empty() {
        return None;
    }
    let decide = super::write::needs_decision(&mut doc, &record, cfg);
    Some(New {
        heads: doc.heads(),
        record,
        decide,
    })
}

/// Documents below which reading new records on other threads is not worth starting them.
const PARALLEL_FROM: usize = 32;

/// [`read_one`] for each of `docs` whose `fresh` flag is set, in order, spread over the cores
/// (reading is pure CPU: Automerge load and hydration; a first download is thousands of them).
fn read_new(
    docs: &[PullDoc],
    fresh: &[bool],
    device: &Uuid,
    cfg: &crate::config::RulesConfig,
) -> Vec<Option<New>> {
    let todo: Vec<&PullDoc> = docs
        .iter()
        .zip(fresh)
        .filter_map(|(d, f)| f.then_some(d))
        .collect();
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(8);
    if threads < 2 || todo.len() < PARALLEL_FROM {
        return todo.iter().map(|d| read_one(d, device, cfg)).collect();
    }
    let per = todo.len().div_ceil(threads);
    std::thread::scope(|s| {
        let parts: Vec<_> = todo
            .chunks(per)
            .map(|part| {
                let h = s.spawn(move || {
                    part.iter()
                        .map(|d| read_one(d, device, cfg))
                        .collect::<Vec<_>>()
                });
                (part.len(), h)
            })
            .collect();
        parts
            .into_iter()
            .flat_map(|(n, h)| {
                // A panic in Automerge while reading a document: that part counts as unreadable
                // (asked for in full again), as a load error would.
                h.join().unwrap_or_else(|_| {
                    tracing::warn!("reading pulled documents failed on a thread");
                    (0..n).map(|_| None).collect()
                })
            })
            .collect()
    })
}

/// Call `f` with `ids` as the text ids the store's outbox functions take.
fn with_id_strs<T>(ids: &[Uuid], f: impl FnOnce(&[&str]) -> T) -> T {
    let ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    f(&refs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RulesConfig;
    use crate::model::MediationCase;
    use crate::model::common::Date;
    use crate::record::{Record, RecordBody};
    use crate::store::ListQuery;

    fn pulled(n: usize) -> Vec<PullDoc> {
        let other = Uuid::now_v7();
        let on = Date::ymd(2025, 9, 2).unwrap();
        (0..n)
            .map(|_| {
                let body = RecordBody::Mediation(MediationCase::example());
                let rec = Record::new("U1", other.to_string(), on, body);
                let mut doc = RecordDoc::create(&rec, &other).unwrap();
                PullDoc {
                    id: Uuid::parse_str(rec.id()).unwrap(),
                    heads: to_wire_heads(&doc.heads()),
                    bytes: doc.save(),
                }
            })
            .collect()
    }

    /// A round whose writes fail part-way (here a trigger refusing one document, after 30 others
    /// of the round were written) leaves nothing of the round: no document, index row, search
    /// entry or outbox row, and the cursor where the last whole round left it.
    #[test]
    fn a_round_that_fails_part_way_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sqlite3");
        let mut store = Store::open(&path, Uuid::now_v7(), RulesConfig::default()).unwrap();
        store.apply_round(1, 1, &[], &pulled(1)).unwrap();
        let docs = pulled(40);
        let bad = docs[30].id.to_string();
        store
            .conn
            .execute_batch(&format!(
                "CREATE TEMP TRIGGER refuse BEFORE INSERT ON documents WHEN NEW.id = '{bad}' \
                 BEGIN SELECT RAISE(ABORT, 'injected failure'); END;"
            ))
            .unwrap();
        assert!(store.apply_round(1, 2, &[], &docs).is_err());
        let count = |sql: &str| -> i64 { store.conn.query_row(sql, [], |r| r.get(0)).unwrap() };
        assert_eq!(count("SELECT count(*) FROM documents"), 1);
        assert_eq!(count("SELECT count(*) FROM records"), 1);
        assert_eq!(count("SELECT count(*) FROM sync_state"), 1);
        assert_eq!(SyncStore::sync_meta(&mut store).unwrap().cursor, 1);
        store.check_integrity().unwrap();
        // Once the failure is gone, the same round applies whole.
        store.conn.execute_batch("DROP TRIGGER refuse").unwrap();
        assert!(store.apply_round(1, 2, &[], &docs).unwrap().is_empty());
        assert_eq!(store.list(&ListQuery::default()).unwrap().len(), 41);
        assert_eq!(SyncStore::sync_meta(&mut store).unwrap().cursor, 2);
        store.check_integrity().unwrap();
    }
}
