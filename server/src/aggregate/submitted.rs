//! "What was submitted": a commune's locked figures for a period against its figures now, per
//! indicator, with the records changed since the lock that explain each difference (issue 9,
//! ADR 0004 section 5).
//!
//! The figures as locked are the lock's snapshot; the figures now are the commune's report. The
//! records are those with a late amendment of the lock; the write path kept each one's fact row
//! as it was at the lock on its first late amendment (migration 0007). A record's effect on an
//! indicator is found by running the report's own computation ([`compute::run`]) on a small
//! temporary [`FactIndex`] holding only that record — once as it was at the lock, once as it is
//! now — so the rules are never restated here.
//!
//! Indicators are read generically from the JSON of [`Indicators`] (`mediation.successful`,
//! `mediation.by_category.civil.received`, `mediation.by_subtype.land`…), so an indicator added
//! to the engine appears here with no change. An indicator that is `null` in empty
//! [`Indicators`] (a rate, a median, an average) is not a sum of per-record parts: its records
//! are the ones whose own value changed, and no "explained" total is given.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use serde_json::Value;

use super::compute::{self, Grouping, Target};
use super::index::FactIndex;
use super::periods::Period;
use super::types::{Indicators, Lock, UnitRef};
use crate::storage::agg::{AmendedRecord, AtLock};
use crate::storage::docs::FactRow;
use crate::units::{Unit, UnitTree};

/// A commune's submitted (locked) figures for a period against its figures now.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Submitted {
    /// The commune.
    pub unit: UnitRef,
    /// The period.
    pub period: Period,
    /// The day figures now are computed as of (the cut-off, or today if earlier).
    pub as_of: NaiveDate,
    /// The lock: when and by whom the figures were submitted.
    pub lock: Lock,
    /// Every indicator: as locked, now, difference, and the changed records that explain it.
    pub indicators: Vec<SubmittedIndicator>,
    /// The records changed since the lock (late amendments), oldest change first.
    pub records: Vec<ChangedRecord>,
}

/// One indicator as locked and now.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SubmittedIndicator {
    /// Key: the JSON path in [`Indicators`] (`mediation.successful`; list entries by code,
    /// `mediation.by_category.civil.received`, `mediation.by_subtype.land`).
    pub key: String,
    /// The value in the lock's snapshot (`None`: undefined, e.g. a rate with no cases).
    pub locked: Option<f64>,
    /// The value now.
    pub now: Option<f64>,
    /// now − locked, when both are defined.
    pub difference: Option<f64>,
    /// Whether the indicator is a sum over records (counts, amounts): then the records'
    /// changes add up to `explained`. Rates, medians and averages are not.
    pub additive: bool,
    /// For an additive indicator, the sum of the changed records' changes (equal to
    /// `difference` unless something else moved the figure, e.g. a record whose fact at the
    /// lock was not kept).
    pub explained: Option<f64>,
    /// The changed records whose own value of this indicator changed.
    pub records: Vec<RecordEffect>,
}

impl SubmittedIndicator {
    /// Whether the figure or any record's part in it changed.
    pub fn changed(&self) -> bool {
        self.locked != self.now || !self.records.is_empty()
    }
}

/// One record's part in an indicator, as locked and now (the indicator computed over that
/// record alone).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RecordEffect {
    /// The record's short id ([`ChangedRecord::short_id`]).
    pub record: String,
    /// Its value at the lock.
    pub locked: Option<f64>,
    /// Its value now.
    pub now: Option<f64>,
    /// now − locked, when both are defined.
    pub change: Option<f64>,
}

/// What the lock knew of a changed record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AtLockState {
    /// It existed at the lock; its fact then was kept.
    Known,
    /// It did not exist at the lock (it arrived late).
    Absent,
    /// Its fact at the lock was not kept (amended before this was recorded): its changes are
    /// not attributed.
    Unknown,
}

/// A record changed after the lock. No personal field: ids, codes, dates.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChangedRecord {
    /// Full record id (only for commune officers, who may open the record; `None` otherwise).
    pub id: Option<String>,
    /// Short form of the id (its last 8 hex digits).
    pub short_id: String,
    /// Kind code.
    pub kind: String,
    /// Unit code the record is entered under.
    pub unit: String,
    /// Status code now.
    pub status: String,
    /// When the first late change arrived.
    pub first_changed_at: DateTime<Utc>,
    /// When the last late change arrived.
    pub changed_at: DateTime<Utc>,
    /// Late changes received.
    pub changes: u64,
    /// What the lock knew of it.
    pub at_lock: AtLockState,
    /// Keys of the indicators whose value it changed.
    pub indicators: Vec<String>,
}

impl Submitted {
    /// For officers who may not open records: drop the full record ids, and — above the
    /// commune — the breakdowns of people's matters (`by_category`, `by_subtype`, petitions
    /// `by_*`: ADR 0012), whose small cells the comparison would otherwise show; the headline
    /// indicators stay.
    pub fn deidentify(&mut self) {
        let breakdown = |k: &str| k.contains(".by_");
        self.indicators.retain(|i| !breakdown(&i.key));
        for r in &mut self.records {
            r.id = None;
            r.indicators.retain(|k| !breakdown(k));
        }
    }

    /// Number of indicators whose figure changed since the lock.
    pub fn changed_indicators(&self) -> usize {
        self.indicators.iter().filter(|i| i.locked != i.now).count()
    }
}

/// A record id's short form: its last 8 hex digits (a UUIDv7 starts with its creation time, so
/// the start is shared by records created together).
pub fn short_id(id: &str) -> String {
    let hex: String = id.chars().filter(char::is_ascii_hexdigit).collect();
    let n = hex.chars().count();
    if n >= 8 {
        hex.chars().skip(n - 8).collect()
    } else {
        id.chars().take(8).collect()
    }
}

/// Indicators as (key, value) pairs, from their JSON: numbers and `null`s under their path;
/// lists of objects with a `code` entered by code (`by_category.civil.received`), a list entry
/// with only a code and a `count` as `by_subtype.land`.
pub(super) fn flatten(v: &Value) -> BTreeMap<String, Option<f64>> {
    let mut out = BTreeMap::new();
    walk(v, String::new(), &mut out);
    out
}

fn join(prefix: &str, k: &str) -> String {
    if prefix.is_empty() {
        k.to_string()
    } else {
        format!("{prefix}.{k}")
    }
}

fn walk(v: &Value, path: String, out: &mut BTreeMap<String, Option<f64>>) {
    match v {
        Value::Null => {
            out.insert(path, None);
        }
        Value::Number(n) => {
            out.insert(path, n.as_f64());
        }
        Value::Object(map) => {
            for (k, x) in map {
                walk(x, join(&path, k), out);
            }
        }
        Value::Array(items) => {
            for item in items {
                let Value::Object(map) = item else { continue };
                let Some(code) = map.get("code").and_then(Value::as_str) else {
                    continue;
                };
                let here = join(&path, code);
                let rest: Vec<(&String, &Value)> =
                    map.iter().filter(|(k, _)| *k != "code").collect();
                match rest.as_slice() {
                    [(k, x)] if k.as_str() == "count" => walk(x, here, out),
                    _ => {
                        for (k, x) in rest {
                            walk(x, join(&here, k), out);
                        }
                    }
                }
            }
        }
        Value::Bool(_) | Value::String(_) => {}
    }
}

/// The keys of indicators that are not sums over records: those `null` in empty indicators.
fn non_additive() -> HashSet<String> {
    serde_json::to_value(Indicators::default())
        .map(|v| {
            flatten(&v)
                .into_iter()
                .filter(|(_, x)| x.is_none())
                .map(|(k, _)| k)
                .collect()
        })
        .unwrap_or_default()
}

/// The commune's figures over just `rows` (one record, or none), with the report's rules.
fn figures_of(
    rows: &[FactRow],
    tree: &Arc<UnitTree>,
    commune: &Unit,
    period: &Period,
    as_of: NaiveDate,
) -> BTreeMap<String, Option<f64>> {
    let mut idx = FactIndex::default();
    idx.apply(rows, tree);
    let grouping = Grouping::units(
        &commune.code,
        std::slice::from_ref(commune),
        Target::Commune,
    );
    let computed = compute::run(&idx, tree, &grouping, period, as_of);
    serde_json::to_value(&computed.totals)
        .map(|v| flatten(&v))
        .unwrap_or_default()
}

fn diff(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    Some(b? - a?)
}

/// A value of `key` in `map`: a missing entry of an additive indicator (a category with no
/// case) is 0.
fn value(map: &BTreeMap<String, Option<f64>>, key: &str, additive: bool) -> Option<f64> {
    match map.get(key) {
        Some(v) => *v,
        None if additive => Some(0.0),
        None => None,
    }
}

fn same(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => (x - y).abs() < 1e-9,
        (None, None) => true,
        _ => false,
    }
}

/// Everything [`compare`] needs.
pub(super) struct Inputs<'a> {
    pub tree: &'a Arc<UnitTree>,
    pub commune: &'a Unit,
    pub period: &'a Period,
    pub as_of: NaiveDate,
    pub lock: Lock,
    /// The lock's snapshot (JSON of [`Indicators`]).
    pub snapshot: &'a Value,
    /// The commune's figures now.
    pub now: &'a Indicators,
    pub amended: Vec<AmendedRecord>,
}

/// Compare the locked figures with the figures now and attribute the differences (CPU only:
/// run it on the blocking pool).
pub(super) fn compare(inp: Inputs<'_>) -> Submitted {
    let Inputs {
        tree,
        commune,
        period,
        as_of,
        lock,
        snapshot,
        now,
        amended,
    } = inp;
    let locked = flatten(snapshot);
    let current = serde_json::to_value(now)
        .map(|v| flatten(&v))
        .unwrap_or_default();
    let scalar = non_additive();

    // Each record's figures alone, at the lock and now.
    struct Parts {
        short: String,
        at_lock: BTreeMap<String, Option<f64>>,
        now: BTreeMap<String, Option<f64>>,
    }
    let mut records = Vec::with_capacity(amended.len());
    let mut parts: Vec<Option<Parts>> = Vec::with_capacity(amended.len());
    for a in amended {
        let short = short_id(&a.id);
        let (state, then) = match a.at_lock {
            AtLock::Fact(f) => (AtLockState::Known, Some(vec![*f])),
            AtLock::Absent => (AtLockState::Absent, Some(Vec::new())),
            AtLock::Unknown => (AtLockState::Unknown, None),
        };
        let now_rows: Vec<FactRow> = a.now.iter().cloned().collect();
        parts.push(then.map(|then| Parts {
            short: short.clone(),
            at_lock: figures_of(&then, tree, commune, period, as_of),
            now: figures_of(&now_rows, tree, commune, period, as_of),
        }));
        let (kind, unit, status) = a
            .now
            .as_ref()
            .map(|f| (f.kind.clone(), f.unit.clone(), f.status.clone()))
            .unwrap_or_default();
        records.push(ChangedRecord {
            id: Some(a.id),
            short_id: short,
            kind,
            unit,
            status,
            first_changed_at: a.first_changed_at,
            changed_at: a.last_changed_at,
            changes: a.changes,
            at_lock: state,
            indicators: Vec::new(),
        });
    }

    let mut keys: Vec<&String> = locked.keys().chain(current.keys()).collect();
    for p in parts.iter().flatten() {
        keys.extend(p.at_lock.keys().chain(p.now.keys()));
    }
    keys.sort();
    keys.dedup();

    let mut indicators = Vec::with_capacity(keys.len());
    for key in keys {
        let additive = !scalar.contains(key);
        let l = value(&locked, key, additive);
        let n = value(&current, key, additive);
        let mut effects = Vec::new();
        let mut explained = 0.0;
        for (k, p) in parts.iter().enumerate() {
            let Some(p) = p else { continue };
            let (a, b) = (
                value(&p.at_lock, key, additive),
                value(&p.now, key, additive),
            );
            if same(a, b) {
                continue;
            }
            explained += diff(a, b).unwrap_or(0.0);
            records[k].indicators.push(key.clone());
            effects.push(RecordEffect {
                record: p.short.clone(),
                locked: a,
                now: b,
                change: diff(a, b),
            });
        }
        indicators.push(SubmittedIndicator {
            key: key.clone(),
            locked: l,
            now: n,
            difference: diff(l, n),
            additive,
            explained: additive.then_some(explained),
            records: effects,
        });
    }
    records
        .sort_by(|a, b| (a.first_changed_at, &a.short_id).cmp(&(b.first_changed_at, &b.short_id)));
    Submitted {
        unit: UnitRef {
            code: commune.code.clone(),
            name: commune.name.clone(),
            level: commune.level.clone(),
        },
        period: period.clone(),
        as_of,
        lock,
        indicators,
        records,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flattens_nested_indicators_and_lists_by_code() {
        let v = serde_json::json!({
            "mediation": {
                "received": 3,
                "success_rate": null,
                "by_category": [{"code": "civil", "received": 2, "in_progress": 1}],
                "by_subtype": [{"code": "land", "count": 2}],
            },
            "inspection": {"money_recovered_vnd": 0.0},
        });
        let flat = flatten(&v);
        assert_eq!(flat["mediation.received"], Some(3.0));
        assert_eq!(flat["mediation.success_rate"], None);
        assert_eq!(flat["mediation.by_category.civil.received"], Some(2.0));
        assert_eq!(flat["mediation.by_category.civil.in_progress"], Some(1.0));
        assert_eq!(flat["mediation.by_subtype.land"], Some(2.0));
        assert_eq!(flat["inspection.money_recovered_vnd"], Some(0.0));
        // Every indicator of the engine is read, as a number or null.
        let all = flatten(&serde_json::to_value(Indicators::default()).unwrap());
        assert!(all.contains_key("mediation.received"));
        assert!(all.contains_key("democracy.checks"));
        let scalar = non_additive();
        assert!(scalar.contains("mediation.success_rate"));
        assert!(scalar.contains("democracy.average_score"));
        assert!(!scalar.contains("mediation.received"));
        assert!(!scalar.contains("inspection.money_recovered_vnd"));
    }

    #[test]
    fn short_ids_are_the_last_eight_hex_digits() {
        assert_eq!(short_id("0198a3c2-7d4e-7abc-9def-0123456789ab"), "456789ab");
        assert_eq!(short_id("abc"), "abc");
    }
}
