//! Reads: one record, its document and conflicts, lists, overdue items and the home summary.
//! Lists and counts come from the index alone; only `get`, `doc`, `conflicts` and the overdue
//! candidates load documents.

use crate::conflict::Conflict;
use crate::doc::RecordDoc;
use crate::error::{CoreError, Result};
use crate::label::Coded;
use crate::lifecycle::Overdue;
use crate::model::common::Date;
use crate::record::{Record, RecordKind};

use super::types::{HomeSummary, KindStatusCount, ListQuery, RecordSummary};
use super::{Store, documents, index};

impl Store {
    /// The record `id`.
    pub fn get(&self, id: &str) -> Result<Record> {
        documents::load(&self.conn, id, &self.device)?.record()
    }

    /// The document of record `id`, written by this device (for the sync engine and tests;
    /// changes made to it are not saved unless applied through the store).
    pub fn doc(&self, id: &str) -> Result<RecordDoc> {
        documents::load(&self.conn, id, &self.device)
    }

    /// Conflicted fields of record `id`.
    pub fn conflicts(&self, id: &str) -> Result<Vec<Conflict>> {
        Ok(documents::load(&self.conn, id, &self.device)?.conflicts())
    }

    /// List records matching `query`, newest first.
    pub fn list(&self, query: &ListQuery) -> Result<Vec<RecordSummary>> {
        index::list(&self.conn, query)
    }

    /// The list row of record `id`.
    pub fn summary_of(&self, id: &str) -> Result<RecordSummary> {
        index::summary_of(&self.conn, id)?
            .ok_or_else(|| CoreError::NotFound(format!("record {id}")))
    }

    /// Everything overdue as of `as_of`: (record id, kind, item), by earliest deadline. Loads
    /// only the records whose index says a deadline may have passed.
    pub fn overdue(&self, as_of: Date) -> Result<Vec<(String, RecordKind, Overdue)>> {
        let mut out = Vec::new();
        for id in index::overdue_candidates(&self.conn, as_of)? {
            let record = self.get(&id)?;
            let kind = record.envelope.kind;
            for item in record.overdue(&self.cfg, as_of) {
                out.push((id.clone(), kind, item));
            }
        }
        Ok(out)
    }

    /// Counts for the home screen as of `as_of`.
    pub fn summary(&self, as_of: Date) -> Result<HomeSummary> {
        let mut s = HomeSummary::default();
        let mut stmt = self.conn.prepare_cached(
            "SELECT kind, status, count(*) FROM records GROUP BY kind, status ORDER BY kind, status",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })?;
        for row in rows {
            let (kind, status, count) = row?;
            let count = count.max(0) as u64;
            s.total += count;
            if let Some(kind) = RecordKind::from_code(&kind) {
                s.by_kind_status.push(KindStatusCount {
                    kind,
                    status,
                    count,
                });
            }
        }
        let count = |sql: &str| -> Result<u64> {
            Ok(self.conn.query_row(sql, [], |r| r.get::<_, i64>(0))?.max(0) as u64)
        };
        s.unsynced =
            count("SELECT count(*) FROM sync_state WHERE dirty = 1 OR state = 'rejected'")?;
        s.rejected = count("SELECT count(*) FROM sync_state WHERE state = 'rejected'")?;
        s.conflicts = count("SELECT count(*) FROM records WHERE has_conflicts = 1")?;
        s.needs_attention = count(
            "SELECT count(*) FROM records r LEFT JOIN sync_state s ON s.id = r.id \
             WHERE r.has_conflicts = 1 OR s.state = 'rejected'",
        )?;
        let mut overdue = 0;
        for id in index::overdue_candidates(&self.conn, as_of)? {
            if !self.get(&id)?.overdue(&self.cfg, as_of).is_empty() {
                overdue += 1;
            }
        }
        s.overdue = overdue;
        Ok(s)
    }
}
