//! The list index (`records`) and the text-search table (`records_fts`), both derived from the
//! documents and rewritten in the same transaction as every document write.
//!
//! Text search folds Vietnamese itself where SQLite's tokenizer does not: `đ`/`Đ` are separate
//! letters in Unicode (not `d` plus a mark), so `unicode61 remove_diacritics 2` keeps them; we
//! map them to `d` and drop combining marks (text typed in decomposed form) before indexing and
//! before querying. The tokenizer removes every other diacritic and folds case.

use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::config::RulesConfig;
use crate::error::Result;
use crate::label::Coded;
use crate::model::common::{Date, Timestamp};
use crate::record::{Record, RecordKind};

use super::types::{ListQuery, RecordSummary, SyncState};

/// A date far enough ahead that every deadline a record has is past on it.
fn far_future() -> Date {
    Date(chrono::NaiveDate::MAX)
}

/// Fold text for the search index: `đ`/`Đ` → `d`/`D`, combining marks dropped.
pub fn fold(text: &str) -> String {
    text.chars()
        .filter(|c| !('\u{0300}'..='\u{036F}').contains(c))
        .map(|c| match c {
            'đ' => 'd',
            'Đ' => 'D',
            other => other,
        })
        .collect()
}

/// An FTS5 query for user text: every word, quoted (no query syntax gets through), as a prefix.
pub(crate) fn fts_query(text: &str) -> Option<String> {
    let folded = fold(text);
    let words: Vec<String> = folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| format!("\"{w}\"*"))
        .collect();
    if words.is_empty() {
        None
    } else {
        Some(words.join(" "))
    }
}

/// The earliest deadline of `record` that can become overdue (the prefilter of
/// [`super::Store::overdue`]): overdue items are monotone in the date asked, so a record with
/// nothing overdue at the end of time has nothing overdue at any date.
fn overdue_from(record: &Record, cfg: &RulesConfig) -> Option<Date> {
    record
        .overdue(cfg, far_future())
        .into_iter()
        .map(|o| o.due_on)
        .min()
}

/// Write the index row and the search entry of `record`.
pub(crate) fn upsert(
    conn: &Connection,
    record: &Record,
    has_conflicts: bool,
    cfg: &RulesConfig,
) -> Result<()> {
    let f = record.body.index();
    let id = record.id();
    let now = Timestamp::now().0;
    conn.prepare_cached(
        "INSERT INTO records (id, kind, status, closed, unit, main_date, closed_on, category, \
             summary, created_at, updated_at, has_conflicts, overdue_from) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) \
         ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, status = excluded.status, \
             closed = excluded.closed, unit = excluded.unit, main_date = excluded.main_date, \
             closed_on = excluded.closed_on, category = excluded.category, \
             summary = excluded.summary, updated_at = excluded.updated_at, \
             has_conflicts = excluded.has_conflicts, overdue_from = excluded.overdue_from",
    )?
    .execute(params![
        id,
        record.envelope.kind.code(),
        record.body.status_code(),
        record.body.is_closed(),
        record.envelope.unit,
        f.main_date.map(|d| d.to_string()),
        f.closed_on.map(|d| d.to_string()),
        f.category,
        f.summary,
        record.envelope.created_at.0,
        now,
        has_conflicts,
        overdue_from(record, cfg).map(|d| d.to_string()),
    ])?;
    let rowid: i64 = conn
        .prepare_cached("SELECT rowid FROM records WHERE id = ?1")?
        .query_row([id], |r| r.get(0))?;
    let mut text = fold(&f.summary);
    for name in &f.names {
        text.push(' ');
        text.push_str(&fold(name));
    }
    conn.prepare_cached("DELETE FROM records_fts WHERE rowid = ?1")?
        .execute([rowid])?;
    conn.prepare_cached("INSERT INTO records_fts (rowid, text) VALUES (?1, ?2)")?
        .execute(params![rowid, text])?;
    Ok(())
}

const SUMMARY_COLUMNS: &str = "r.id, r.kind, r.status, r.closed, r.unit, r.main_date, r.closed_on, \
     r.category, r.summary, r.created_at, r.updated_at, r.has_conflicts, s.state, s.dirty";

fn parse_date(s: Option<String>) -> Option<Date> {
    s.and_then(|s| s.parse().ok())
}

fn summary_from_row(r: &Row<'_>) -> rusqlite::Result<RecordSummary> {
    let kind: String = r.get(1)?;
    let kind = RecordKind::from_code(&kind).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            1,
            rusqlite::types::Type::Text,
            format!("unknown record kind {kind:?}").into(),
        )
    })?;
    Ok(RecordSummary {
        id: r.get(0)?,
        kind,
        status: r.get(2)?,
        closed: r.get(3)?,
        unit: r.get(4)?,
        main_date: parse_date(r.get(5)?),
        closed_on: parse_date(r.get(6)?),
        category: r.get(7)?,
        summary: r.get(8)?,
        created_at: Timestamp(r.get(9)?),
        updated_at: Timestamp(r.get(10)?),
        has_conflicts: r.get(11)?,
        sync_state: SyncState::from_code(&r.get::<_, Option<String>>(12)?.unwrap_or_default()),
        dirty: r.get::<_, Option<bool>>(13)?.unwrap_or(true),
    })
}

/// Run a list query.
pub(crate) fn list(conn: &Connection, q: &ListQuery) -> Result<Vec<RecordSummary>> {
    let mut sql = format!(
        "SELECT {SUMMARY_COLUMNS} FROM records r LEFT JOIN sync_state s ON s.id = r.id WHERE 1"
    );
    let mut args: Vec<Value> = Vec::new();
    let mut arg = |sql: &mut String, clause: &str, v: Value| {
        args.push(v);
        sql.push_str(&clause.replace('?', &format!("?{}", args.len())));
    };
    if let Some(k) = q.kind {
        arg(&mut sql, " AND r.kind = ?", Value::Text(k.code().into()));
    }
    if let Some(s) = &q.status {
        arg(&mut sql, " AND r.status = ?", Value::Text(s.clone()));
    }
    if let Some(u) = &q.unit {
        arg(&mut sql, " AND r.unit = ?", Value::Text(u.clone()));
    }
    if let Some(d) = q.from {
        arg(
            &mut sql,
            " AND r.main_date >= ?",
            Value::Text(d.to_string()),
        );
    }
    if let Some(d) = q.to {
        arg(
            &mut sql,
            " AND r.main_date <= ?",
            Value::Text(d.to_string()),
        );
    }
    if let Some(m) = q.text.as_deref().and_then(fts_query) {
        let clause = " AND r.rowid IN (SELECT rowid FROM records_fts WHERE records_fts MATCH ?)";
        arg(&mut sql, clause, Value::Text(m));
    }
    if q.conflicts_only {
        sql.push_str(" AND r.has_conflicts = 1");
    }
    if q.unsynced_only {
        sql.push_str(" AND (coalesce(s.dirty, 1) = 1 OR s.state = 'rejected')");
    }
    sql.push_str(" ORDER BY r.main_date DESC, r.created_at DESC, r.id DESC");
    let limit = q.limit.map_or(-1, i64::from);
    arg(&mut sql, " LIMIT ?", Value::Integer(limit));
    arg(&mut sql, " OFFSET ?", Value::Integer(i64::from(q.offset)));
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt
        .query_map(rusqlite::params_from_iter(args), summary_from_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

/// The list row of one record.
pub(crate) fn summary_of(conn: &Connection, id: &str) -> Result<Option<RecordSummary>> {
    let sql = format!(
        "SELECT {SUMMARY_COLUMNS} FROM records r LEFT JOIN sync_state s ON s.id = r.id WHERE r.id = ?1"
    );
    Ok(conn
        .prepare_cached(&sql)?
        .query_row([id], summary_from_row)
        .optional()?)
}

/// Ids (and kinds) of records that may have something overdue as of `as_of`.
pub(crate) fn overdue_candidates(conn: &Connection, as_of: Date) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id FROM records WHERE overdue_from IS NOT NULL AND overdue_from <= ?1 \
         ORDER BY overdue_from, id",
    )?;
    let ids = stmt
        .query_map([as_of.to_string()], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(ids)
}

/// Differences between the index row of `record` and what it should be (empty if in agreement).
pub(crate) fn disagreement(conn: &Connection, record: &Record) -> Result<Vec<String>> {
    let Some(row) = summary_of(conn, record.id())? else {
        return Ok(vec![format!("{}: no index row", record.id())]);
    };
    let f = record.body.index();
    let mut out = Vec::new();
    let mut check = |what: &str, ok: bool| {
        if !ok {
            out.push(format!(
                "{}: index {what} differs from the document",
                record.id()
            ));
        }
    };
    check("kind", row.kind == record.envelope.kind);
    check("status", row.status == record.body.status_code());
    check("unit", row.unit == record.envelope.unit);
    check("main_date", row.main_date == f.main_date);
    check("closed_on", row.closed_on == f.closed_on);
    check("category", row.category == f.category);
    check("summary", row.summary == f.summary);
    Ok(out)
}
