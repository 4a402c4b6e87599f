//! Aggregation: figures by unit and period, computed **as of** the period's cut-off from each
//! record's status history, rolled up the versioned unit tree (ADR 0004).
//!
//! [`Aggregator`] keeps a compact in-memory index of every fact row (`index.rs`), caught up
//! incrementally from the `facts` table by `updated_seq` before every report, so several server
//! processes on one database stay correct. A report resolves each entered unit to the unit tree
//! as of the cut-off (`resolve.rs`: successors of merged units, villages of split communes,
//! "not allocated" lines), then scans only the records of units inside the requested subtree
//! (`compute.rs`, with the per-record rules in `rules.rs`). Periods are configuration (`periods.rs`); locks and late amendments are kept
//! by storage (`storage/agg.rs`). What "as of" means (status on a day, whether a record takes part
//! in a period) is `danvan_core::facts::asof`, shared with the write path's late-amendment check.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, RwLock};

use chrono::{NaiveDate, Utc};

use crate::error::{Error, ErrorCode, Result};
use crate::storage::Storage;
use crate::storage::agg::NewLock;
use crate::units::{Unit, UnitTree, Units, level};

mod communes;
mod compute;
pub mod disclosure;
mod index;
pub mod periods;
pub mod resolve;
mod rules;
mod submitted;
mod types;

pub use communes::{CommuneLine, CommuneSeries};
pub use danvan_core::facts::asof;
pub use index::{IndexParts, IndexStats};
pub use periods::{MonthDay, Period, PeriodError, PeriodKind, PeriodsConfig};
pub use submitted::{
    AtLockState, ChangedRecord, RecordEffect, Submitted, SubmittedIndicator, short_id,
};
pub use types::*;

use compute::{Grouping, Target};
use index::FactIndex;

/// Rows of facts read per query while catching up.
const PAGE: i64 = 50_000;

/// A snapshot of the index is written again once it is this many changes (`updated_seq`)
/// behind the index (ADR 0016).
const SNAPSHOT_EVERY: i64 = 100_000;

/// A snapshot written by [`Aggregator::save_snapshot`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SnapshotWritten {
    /// Size of the file.
    pub bytes: u64,
    /// Time taken to write it (the index's catch-ups wait meanwhile; reports do not).
    pub ms: f64,
    /// Highest `updated_seq` it holds.
    pub last_seq: i64,
}

struct Inner {
    storage: Arc<dyn Storage>,
    units: Units,
    periods: PeriodsConfig,
    rules: danvan_core::RulesConfig,
    index: RwLock<FactIndex>,
    /// Serialises catch-ups (readers keep reading the index meanwhile).
    refreshing: tokio::sync::Mutex<()>,
    /// Where the index is kept between restarts (ADR 0016); `None`: it is not.
    snapshot: Option<PathBuf>,
    /// The database's identity, as snapshots record it.
    db_id: tokio::sync::OnceCell<[u8; 16]>,
    /// Whether the first refresh has looked for a snapshot.
    looked_for_snapshot: AtomicBool,
    /// Whether the index came from a snapshot.
    from_snapshot: AtomicBool,
    /// `updated_seq` of the last snapshot written or read.
    snapshot_seq: AtomicI64,
    /// Held while a snapshot is written.
    writing: tokio::sync::Mutex<()>,
    /// The last snapshot written.
    last_written: std::sync::Mutex<Option<SnapshotWritten>>,
}

/// The aggregation engine: an in-memory fact index plus the reports computed from it.
#[derive(Clone)]
pub struct Aggregator {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Aggregator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Aggregator").finish_non_exhaustive()
    }
}

impl Aggregator {
    /// An aggregator over `storage`; the index is loaded on the first [`refresh`](Self::refresh).
    pub fn new(
        storage: Arc<dyn Storage>,
        units: Units,
        periods: PeriodsConfig,
        rules: danvan_core::RulesConfig,
    ) -> Self {
        Aggregator {
            inner: Arc::new(Inner {
                storage,
                units,
                periods,
                rules,
                index: RwLock::new(FactIndex::default()),
                refreshing: tokio::sync::Mutex::new(()),
                snapshot: None,
                db_id: tokio::sync::OnceCell::new(),
                looked_for_snapshot: AtomicBool::new(false),
                from_snapshot: AtomicBool::new(false),
                snapshot_seq: AtomicI64::new(0),
                writing: tokio::sync::Mutex::new(()),
                last_written: std::sync::Mutex::new(None),
            }),
        }
    }

    /// The same aggregator, keeping its index in the file `path` between restarts (ADR 0016):
    /// the first [`refresh`](Self::refresh) reads it and catches up from the table; it is written
    /// after a load and whenever [`SNAPSHOT_EVERY`] changes were applied since, and by
    /// [`save_snapshot`](Self::save_snapshot). Call it before cloning the aggregator.
    pub fn with_snapshot(mut self, path: Option<PathBuf>) -> Self {
        match Arc::get_mut(&mut self.inner) {
            Some(inner) => inner.snapshot = path,
            None => tracing::warn!("fact index snapshot path set too late: not used"),
        }
        self
    }

    /// The last snapshot this aggregator wrote.
    pub fn last_snapshot(&self) -> Option<SnapshotWritten> {
        *self
            .inner
            .last_written
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Whether the index was read from a snapshot (then caught up) rather than the table.
    pub fn loaded_from_snapshot(&self) -> bool {
        self.inner.from_snapshot.load(Ordering::Relaxed)
    }

    /// The database's identity for snapshots: a digest of the server's key seed, which is made
    /// once per database (`server_keys`) and never leaves it.
    async fn db_id(&self) -> Result<[u8; 16]> {
        use sha2::Digest;
        let id = self
            .inner
            .db_id
            .get_or_try_init(|| async {
                let mut fresh = [0u8; 32];
                rand::fill(&mut fresh);
                let seed = self.inner.storage.server_seed(&hex::encode(fresh)).await?;
                let digest = sha2::Sha256::new()
                    .chain_update(b"danvan fact index snapshot database\0")
                    .chain_update(seed.as_bytes())
                    .finalize();
                let mut id = [0u8; 16];
                id.copy_from_slice(&digest[..16]);
                Ok::<_, Error>(id)
            })
            .await?;
        Ok(*id)
    }

    /// Replace the (empty) index with the snapshot's, when there is one that this database and
    /// this server can trust; else say why and leave it to the table.
    async fn restore(&self, path: &Path) {
        match tokio::fs::try_exists(path).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::info!(path = %path.display(), "no fact index snapshot yet");
                return;
            }
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "fact index snapshot unreadable");
                return;
            }
        }
        let ignored = |why: &str| {
            tracing::warn!(
                path = %path.display(),
                reason = why,
                "fact index snapshot ignored: loading the index from the facts table"
            );
        };
        let db_id = match self.db_id().await {
            Ok(id) => id,
            Err(e) => return ignored(&format!("database identity: {e}")),
        };
        let started = std::time::Instant::now();
        let tree = self.inner.units.tree();
        let file = path.to_path_buf();
        let read =
            tokio::task::spawn_blocking(move || FactIndex::read_snapshot(&file, db_id, &tree))
                .await;
        let (idx, header) = match read {
            Ok(Ok(x)) => x,
            Ok(Err(e)) => return ignored(&e.to_string()),
            Err(e) => return ignored(&format!("reading failed: {e}")),
        };
        // The database must hold the snapshot's last change (or a later change of that record):
        // a restored backup, or another database under the same key, may not.
        if header.last_seq > 0 {
            match self.inner.storage.facts_after(header.last_seq - 1, 1).await {
                Ok(rows) => match rows.first() {
                    None => return ignored("the database is behind the snapshot"),
                    Some(r)
                        if r.updated_seq == header.last_seq
                            && index::id_key(&r.id) != header.last_key =>
                    {
                        return ignored("the database's last change differs from the snapshot's");
                    }
                    Some(_) => {}
                },
                Err(e) => return ignored(&format!("database check: {e}")),
            }
        }
        let records = idx.stats().records;
        *self.inner.index.write().unwrap_or_else(|e| e.into_inner()) = idx;
        self.inner
            .snapshot_seq
            .store(header.last_seq, Ordering::Relaxed);
        self.inner.from_snapshot.store(true, Ordering::Relaxed);
        tracing::info!(
            records,
            last_seq = header.last_seq,
            ms = started.elapsed().as_millis() as u64,
            "fact index read from its snapshot"
        );
    }

    /// Write the index's snapshot now (if it has one and it changed since the last); `None`
    /// when nothing was written. At shutdown, and in the background after catch-ups.
    pub async fn save_snapshot(&self) -> Result<Option<SnapshotWritten>> {
        let Some(path) = self.inner.snapshot.clone() else {
            return Ok(None);
        };
        // After a write in progress (which may make this one unnecessary).
        let _writing = self.inner.writing.lock().await;
        let db_id = self.db_id().await?;
        let inner = Arc::clone(&self.inner);
        let written = tokio::task::spawn_blocking(move || {
            let idx = inner.index.read().unwrap_or_else(|e| e.into_inner());
            let seq = idx.last_seq();
            if seq == inner.snapshot_seq.load(Ordering::Relaxed) {
                return Ok(None);
            }
            let t = std::time::Instant::now();
            let bytes = idx.write_snapshot(&path, db_id)?;
            Ok::<_, std::io::Error>(Some(SnapshotWritten {
                bytes,
                ms: t.elapsed().as_secs_f64() * 1000.0,
                last_seq: seq,
            }))
        })
        .await
        .map_err(|e| Error::Io(std::io::Error::other(format!("snapshot failed: {e}"))))??;
        if let Some(w) = written {
            self.inner.snapshot_seq.store(w.last_seq, Ordering::Relaxed);
            *self
                .inner
                .last_written
                .lock()
                .unwrap_or_else(|e| e.into_inner()) = Some(w);
            tracing::info!(
                bytes = w.bytes,
                ms = w.ms as u64,
                last_seq = w.last_seq,
                "fact index snapshot written"
            );
        }
        Ok(written)
    }

    /// The periods configuration.
    pub fn periods(&self) -> &PeriodsConfig {
        &self.inner.periods
    }

    /// The rules configuration (response deadlines…).
    pub fn rules(&self) -> &danvan_core::RulesConfig {
        &self.inner.rules
    }

    fn read_index(&self) -> std::sync::RwLockReadGuard<'_, FactIndex> {
        self.inner.index.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Size of the index (records, bytes held).
    pub fn stats(&self) -> IndexStats {
        self.read_index().stats()
    }

    /// Lay the index out bucket by bucket now, so that a report reads memory in order. A
    /// refresh does it by itself after the first load and once many records were appended
    /// since the last time; tests call it to check that the layout changes no figure.
    pub async fn compact_index(&self) -> Result<()> {
        let inner = Arc::clone(&self.inner);
        let t = std::time::Instant::now();
        tokio::task::spawn_blocking(move || {
            inner
                .index
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .compact();
        })
        .await
        .map_err(|e| {
            Error::Io(std::io::Error::other(format!(
                "index compaction failed: {e}"
            )))
        })?;
        tracing::info!(ms = t.elapsed().as_millis() as u64, "fact index compacted");
        Ok(())
    }

    /// Catch the in-memory fact index up with the facts table (cheap when nothing changed: one
    /// indexed query).
    pub async fn refresh(&self) -> Result<()> {
        let _guard = self.inner.refreshing.lock().await;
        if let Some(path) = &self.inner.snapshot
            && !self.inner.looked_for_snapshot.swap(true, Ordering::AcqRel)
        {
            self.restore(path).await;
        }
        let mut after = self.read_index().last_seq();
        let first_load = after == 0;
        let started = std::time::Instant::now();
        let mut loaded = 0usize;
        loop {
            let rows = self.inner.storage.facts_after(after, PAGE).await?;
            let n = rows.len();
            if n == 0 {
                break;
            }
            let tree = self.inner.units.tree();
            let inner = Arc::clone(&self.inner);
            after = tokio::task::spawn_blocking(move || {
                let mut idx = inner.index.write().unwrap_or_else(|e| e.into_inner());
                idx.apply(&rows, &tree);
                idx.last_seq()
            })
            .await
            .map_err(|e| Error::Io(std::io::Error::other(format!("index update failed: {e}"))))?;
            loaded += n;
            if first_load && loaded >= PAGE as usize {
                tracing::info!(facts = loaded, "loading the fact index");
            }
            if (n as i64) < PAGE {
                break;
            }
        }
        let needs_compaction = {
            let idx = self.read_index();
            idx.unsorted() > 10_000 && idx.unsorted() * 10 > idx.stats().records as usize
        };
        if needs_compaction {
            self.compact_index().await?;
        }
        if loaded > 0 {
            tracing::debug!(
                facts = loaded,
                ms = started.elapsed().as_millis() as u64,
                "fact index caught up"
            );
        }
        if self.inner.snapshot.is_some()
            && after - self.inner.snapshot_seq.load(Ordering::Relaxed) >= SNAPSHOT_EVERY
            && self.inner.writing.try_lock().is_ok()
        {
            let agg = self.clone();
            tokio::spawn(async move {
                if let Err(e) = agg.save_snapshot().await {
                    tracing::warn!(error = %e, "fact index snapshot not written");
                }
            });
        }
        Ok(())
    }

    fn unit_ref(u: &Unit) -> UnitRef {
        UnitRef {
            code: u.code.clone(),
            name: u.name.clone(),
            level: u.level.clone(),
        }
    }

    fn as_of(period: &Period) -> NaiveDate {
        let today = danvan_core::model::common::Date::today_vn().0;
        period.cutoff.min(today.max(period.start))
    }

    fn report_unit<'t>(tree: &'t UnitTree, code: &str, day: NaiveDate) -> Result<&'t Unit> {
        tree.unit(code, day)
            .ok_or_else(|| Error::NotFound(format!("unit {code} on {day}")))
    }

    /// The version of `code` a report of a period cut off on `as_of` is about: the version
    /// in force on `version_on` when given, else the one in force on `as_of`, else the first
    /// one that started after it (a unit formed later: its predecessors' figures).
    pub fn report_version(
        tree: &UnitTree,
        code: &str,
        version_on: Option<NaiveDate>,
        as_of: NaiveDate,
    ) -> Result<Unit> {
        let found = match version_on {
            Some(day) => tree.unit(code, day),
            None => tree
                .unit(code, as_of)
                .or_else(|| tree.versions(code).iter().find(|u| u.valid_from > as_of)),
        };
        found
            .cloned()
            .ok_or_else(|| Error::NotFound(format!("unit {code} on {as_of}")))
    }

    /// The rows of a report of `root` as of `on`: its children, or — for a period before it
    /// existed — the units it was formed from.
    fn grouping(tree: &UnitTree, root: &Unit, on: NaiveDate) -> Option<Grouping> {
        if root.valid_on(on) {
            Some(Grouping::children_of(tree, root, on))
        } else if root.valid_from > on {
            Some(Grouping::predecessors_of(tree, root, on))
        } else {
            None
        }
    }

    /// Aggregates of `unit`'s subtree for `period`, with one row per child unit (the version of
    /// `unit` in force on the period's cut-off, or a later one: see [`Self::report_version`]).
    pub async fn report(&self, unit: &str, period: &Period) -> Result<Report> {
        self.report_on(unit, None, period).await
    }

    /// [`Self::report`] of the version of `unit` in force on `version_on`. A unit formed after
    /// the period's cut-off (a new commune, for a period before the 2025 reform) reports its
    /// predecessors: one row per old unit it was formed from, each holding only what the
    /// successor mapping places in the new unit (a merged-whole predecessor fully, a split one
    /// as far as its villages went); records of a split unit the mapping cannot place are shown
    /// on a "not allocated" line, not counted in the totals (they count at the lowest common
    /// ancestor's report).
    pub async fn report_on(
        &self,
        unit: &str,
        version_on: Option<NaiveDate>,
        period: &Period,
    ) -> Result<Report> {
        self.report_with(unit, version_on, period, true).await
    }

    /// [`Self::report_on`], without the previous period's totals when `with_previous` is false
    /// (`previous` is then `None`: one job less in the scan).
    async fn report_with(
        &self,
        unit: &str,
        version_on: Option<NaiveDate>,
        period: &Period,
        with_previous: bool,
    ) -> Result<Report> {
        self.refresh().await?;
        let tree = self.inner.units.tree();
        let as_of = Self::as_of(period);
        let root = Self::report_version(&tree, unit, version_on, as_of)?;
        let grouping = Self::grouping(&tree, &root, as_of)
            .ok_or_else(|| Error::NotFound(format!("unit {unit} on {as_of}")))?;
        let predecessors = !root.valid_on(as_of);
        let row_units: Vec<Unit> = grouping
            .rows()
            .iter()
            .filter_map(|c| tree.unit(c, as_of).cloned())
            .collect();
        let prev_period = self.inner.periods.previous(period);
        let locks = self.locks_by_unit(period).await?;
        let amended = self.inner.storage.late_amended_numbers(&period.key).await?;
        let prev_as_of = Self::as_of(&prev_period);
        let prev_grouping = if with_previous {
            Self::grouping(&tree, &root, prev_as_of)
        } else {
            None
        };
        let (cur, prev) = {
            let inner = Arc::clone(&self.inner);
            let (tree, period, prev_period) =
                (Arc::clone(&tree), period.clone(), prev_period.clone());
            tokio::task::spawn_blocking(move || {
                let idx = inner.index.read().unwrap_or_else(|e| e.into_inner());
                let late: Vec<u32> = amended.iter().filter_map(|n| idx.slot_of(*n)).collect();
                let mut jobs = vec![compute::Job {
                    grouping: &grouping,
                    period: &period,
                    as_of,
                    route_on: as_of,
                    late: &late,
                    rule: compute::Rule::All,
                }];
                // The previous period's totals, in the same pass, when the unit or its
                // predecessors existed then.
                if let Some(g) = &prev_grouping {
                    jobs.push(compute::Job {
                        grouping: g,
                        period: &prev_period,
                        as_of: prev_as_of,
                        route_on: prev_as_of,
                        late: &[],
                        rule: compute::Rule::All,
                    });
                }
                let mut out = compute::run_many(&idx, &tree, &jobs).into_iter();
                let cur = out.next().unwrap_or_default();
                (cur, out.next())
            })
            .await
            .map_err(|e| Error::Io(std::io::Error::other(format!("report failed: {e}"))))?
        };

        let rows = row_units
            .iter()
            .enumerate()
            .map(|(i, child)| Row {
                unit: Self::unit_ref(child),
                indicators: cur.rows.get(i).cloned().unwrap_or_default(),
                late_amendments: cur.late.get(i).copied().unwrap_or(0),
                lock: locks.get(&child.code).cloned(),
            })
            .collect();
        let cand_day = if predecessors { root.valid_from } else { as_of };
        let unallocated = cur
            .unallocated
            .into_iter()
            .map(|u| UnallocatedRow {
                key: UnallocatedRow::key_of(&u.from.code, u.from_day),
                from: u.from,
                candidates: u
                    .candidates
                    .iter()
                    .filter_map(|c| {
                        tree.unit(c, cand_day)
                            .or_else(|| tree.unit(c, as_of))
                            .map(Self::unit_ref)
                    })
                    .collect(),
                in_totals: u.in_totals,
                late_amendments: u.late,
                indicators: u.indicators,
            })
            .collect();
        Ok(Report {
            unit: Self::unit_ref(&root),
            unit_from: root.valid_from,
            predecessors,
            period: period.clone(),
            as_of,
            totals: cur.totals,
            direct: cur.direct,
            children: rows,
            unallocated,
            previous: prev.map(|p| p.totals),
            late_amendments: cur.late_total,
            lock: locks.get(&root.code).cloned(),
            disclosure: None,
        })
    }

    /// [`Self::report_on`] as a viewer sees it: whole when `small_cells` is `None` (at or below
    /// the commune), else protected for a viewer above the commune with that threshold
    /// (`aggregate::disclosure`, ADR 0012): no line below the commune, small breakdown cells
    /// suppressed with their complements, a unit's own figures taking the pattern of its row in
    /// its parent's table.
    pub async fn report_seen(
        &self,
        unit: &str,
        version_on: Option<NaiveDate>,
        period: &Period,
        small_cells: Option<u64>,
    ) -> Result<Report> {
        let Some(k) = small_cells else {
            return self.report_on(unit, version_on, period).await;
        };
        let mut report = self.report_on(unit, version_on, period).await?;
        let single = report.unit.level == level::COMMUNE || report.unit.level == level::VILLAGE;
        let rows_hidden = if single {
            disclosure::hide_below_commune(&mut report)
        } else {
            0
        };
        let mut suppressed = self.protect(&mut report, period, k).await?;
        if let Some(prev) = report.previous.as_mut() {
            // The previous period's totals as that period's tables show them.
            let prev_period = self.inner.periods.previous(period);
            let code = report.unit.code.clone();
            let shown = match self
                .row_in_parent(&code, report.unit_from, &prev_period, k)
                .await?
            {
                Some(row) => row,
                None => {
                    // Only its protected totals are needed: no previous period of its own.
                    let mut own = self
                        .report_with(&code, Some(report.unit_from), &prev_period, false)
                        .await?;
                    disclosure::protect_rows(&mut own, k, false);
                    own.totals
                }
            };
            suppressed += disclosure::copy_breakdowns(&shown, prev);
        }
        report.disclosure = Some(disclosure::Disclosure {
            threshold: k,
            rows_hidden,
            suppressed_cells: suppressed,
        });
        Ok(report)
    }

    /// Protect `report` (its rows, and its totals as its row in its parent's table has them).
    async fn protect(&self, report: &mut Report, period: &Period, k: u64) -> Result<u64> {
        let fixed = match self
            .row_in_parent(&report.unit.code, report.unit_from, period, k)
            .await?
        {
            Some(row) => {
                disclosure::copy_breakdowns(&row, &mut report.totals);
                true
            }
            None => false,
        };
        Ok(disclosure::protect_rows(report, k, fixed))
    }

    /// The figures of unit `code` (the version from `from`) for `period` as its row in its
    /// parent's protected table shows them; `None` for a top unit, or one that is no row of
    /// its parent's table that period (a unit formed later).
    fn row_in_parent<'a>(
        &'a self,
        code: &'a str,
        from: NaiveDate,
        period: &'a Period,
        k: u64,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Option<Indicators>>> + Send + 'a>>
    {
        Box::pin(async move {
            let tree = self.inner.units.tree();
            let as_of = Self::as_of(period);
            let Some(parent) = tree
                .unit(code, as_of)
                .filter(|u| u.valid_from == from)
                .and_then(|u| u.parent.clone())
            else {
                return Ok(None);
            };
            let Some(p) = tree.unit(&parent, as_of).cloned() else {
                return Ok(None);
            };
            let mut table = self.report_on(&p.code, Some(p.valid_from), period).await?;
            self.protect(&mut table, period, k).await?;
            Ok(table
                .children
                .into_iter()
                .find(|r| r.unit.code == code)
                .map(|r| r.indicators))
        })
    }

    async fn locks_by_unit(&self, period: &Period) -> Result<HashMap<String, Lock>> {
        Ok(self
            .inner
            .storage
            .locks(&period.key)
            .await?
            .into_iter()
            .map(|l| (l.unit.clone(), l))
            .collect())
    }

    /// Per-commune figures of `unit`'s subtree (communes in force on `as_of`).
    async fn by_commune(
        &self,
        unit: &str,
        period: &Period,
        communes: &[Unit],
        as_of: NaiveDate,
    ) -> Result<compute::Computed> {
        let tree = self.inner.units.tree();
        let grouping = Grouping::units(unit, communes, Target::Commune);
        let inner = Arc::clone(&self.inner);
        let period = period.clone();
        tokio::task::spawn_blocking(move || {
            let idx = inner.index.read().unwrap_or_else(|e| e.into_inner());
            compute::run(&idx, &tree, &grouping, &period, as_of)
        })
        .await
        .map_err(|e| Error::Io(std::io::Error::other(format!("report failed: {e}"))))
    }

    fn communes_of(tree: &UnitTree, root: &str, day: NaiveDate) -> Vec<Unit> {
        tree.subtree(root, day)
            .iter()
            .filter_map(|c| tree.unit(c, day))
            .filter(|u| u.level == level::COMMUNE)
            .cloned()
            .collect()
    }

    /// Which communes of `unit`'s subtree were expected to report for `period`, which have
    /// records, which locked it, on time or late.
    pub async fn completeness(&self, unit: &str, period: &Period) -> Result<Completeness> {
        self.completeness_on(unit, None, period).await
    }

    /// [`Self::completeness`] of the version of `unit` in force on `version_on`; for a unit
    /// formed after the period, the old communes it was formed from are expected.
    pub async fn completeness_on(
        &self,
        unit: &str,
        version_on: Option<NaiveDate>,
        period: &Period,
    ) -> Result<Completeness> {
        self.refresh().await?;
        let tree = self.inner.units.tree();
        let root = match version_on {
            Some(_) => Self::report_version(&tree, unit, version_on, Self::as_of(period))?,
            None => Self::report_unit(&tree, unit, period.end)
                .or_else(|_| Self::report_unit(&tree, unit, Self::as_of(period)))?
                .clone(),
        };
        let communes = if root.valid_from > period.end {
            Grouping::predecessors_of(&tree, &root, period.end)
                .rows()
                .iter()
                .filter_map(|c| tree.unit(c, period.end))
                .filter(|u| u.level == level::COMMUNE)
                .cloned()
                .collect()
        } else {
            Self::communes_of(&tree, &root.code, period.end)
        };
        let as_of = Self::as_of(period);
        let computed = self
            .by_commune(&root.code, period, &communes, as_of)
            .await?;
        let locks = self.locks_by_unit(period).await?;
        let today = danvan_core::model::common::Date::today_vn().0;
        let mut out = Completeness {
            unit: Self::unit_ref(&root),
            period: period.clone(),
            expected: communes.len() as u64,
            with_records: 0,
            locked: 0,
            on_time: 0,
            late: 0,
            dialogues_missing: 0,
            reception_days_missing: 0,
            rows: Vec::with_capacity(communes.len()),
        };
        // Dialogues the configured frequency expects over the period's days (ADR 0004).
        let period_days = (period.end - period.start).num_days() + 1;
        let expected_dialogues = u64::from(self.rules().dialogues.dialogues_expected(period_days));
        let expected_reception =
            u64::from(self.rules().dialogues.reception_days_expected(period_days));
        for (i, c) in communes.iter().enumerate() {
            let counts = computed.records.get(i).copied().unwrap_or_default();
            let lock = locks.get(&c.code);
            let status = compute::submission_status(lock.map(|l| l.locked_at), period, today);
            if counts.iter().any(|n| *n > 0) {
                out.with_records += 1;
            }
            match status {
                SubmissionStatus::OnTime => out.on_time += 1,
                SubmissionStatus::Late => out.late += 1,
                _ => {}
            }
            if lock.is_some() {
                out.locked += 1;
            }
            let held = computed
                .rows
                .get(i)
                .map_or(0, |r| r.dialogues.chaired_by_head);
            if held < expected_dialogues {
                out.dialogues_missing += 1;
            }
            let reception = computed
                .rows
                .get(i)
                .map_or(0, |r| r.dialogues.reception_days);
            if reception < expected_reception {
                out.reception_days_missing += 1;
            }
            out.rows.push(CompletenessRow {
                unit: Self::unit_ref(c),
                mediation_records: counts[0],
                inspection_records: counts[1],
                democracy_records: counts[2],
                petition_records: counts[3],
                dialogue_records: counts[4],
                dialogues_held: held,
                dialogues_expected: expected_dialogues,
                reception_days_held: reception,
                reception_days_expected: expected_reception,
                locked_at: lock.map(|l| l.locked_at),
                status,
            });
        }
        Ok(out)
    }

    /// A commune officer locks a period for a commune, keeping a snapshot of its figures.
    /// Locking again returns the existing lock unchanged (idempotent).
    ///
    /// Refused: a period that has not started (409 `period_not_started`); a code that, on the
    /// period's tree day, named no unit or another unit than the one it names today (a reused
    /// code: 11533 was Phường An Lư until 2025-06-30, Phường Hòa Bình since; locks are kept by
    /// code, so Hòa Bình would seem to have submitted An Lư's period: 409
    /// `lock_unit_not_in_force`); a unit that is not a commune (400).
    pub async fn lock_period(&self, commune: &str, period: &Period, by: &str) -> Result<Lock> {
        let tree = self.inner.units.tree();
        let today = danvan_core::model::common::Date::today_vn().0;
        if period.start > today {
            return Err(Error::Refused(
                ErrorCode::PeriodNotStarted,
                format!(
                    "lock of {} before it starts on {}",
                    period.key, period.start
                ),
            ));
        }
        let as_of = Self::as_of(period);
        let unit = match (tree.unit(commune, as_of), tree.unit(commune, today)) {
            (Some(then), None) => then,
            (Some(then), Some(now)) if then.valid_from == now.valid_from => then,
            (_, Some(_)) => {
                return Err(Error::Refused(
                    ErrorCode::LockUnitNotInForce,
                    format!("{commune} named another unit, or none, on {as_of}"),
                ));
            }
            (None, None) => Self::report_unit(&tree, commune, as_of)?,
        };
        if unit.level != level::COMMUNE {
            return Err(Error::Invalid(format!(
                "only a commune locks a period; {commune} is a {}",
                unit.level
            )));
        }
        let report = self.report(commune, period).await?;
        let snapshot = serde_json::to_string(&report.totals)
            .map_err(|e| Error::Invalid(format!("snapshot: {e}")))?;
        let covered = resolve::units_resolving_into(&tree, commune, period.cutoff);
        let lock = NewLock {
            unit: commune.to_string(),
            period_key: period.key.clone(),
            period_start: period.start,
            period_cutoff: period.cutoff,
            locked_at: Utc::now(),
            locked_by: by.to_string(),
            snapshot,
            covered,
        };
        self.inner.storage.lock_period(&lock).await
    }

    /// The figures a commune's lock kept (JSON of [`Indicators`]), if it locked `period`.
    pub async fn lock_snapshot(
        &self,
        commune: &str,
        period: &Period,
    ) -> Result<Option<serde_json::Value>> {
        match self
            .inner
            .storage
            .lock_snapshot(commune, &period.key)
            .await?
        {
            Some(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| Error::Corrupt(format!("lock snapshot: {e}"))),
            None => Ok(None),
        }
    }

    /// What `commune` submitted for `period` (its lock's snapshot) against its figures now, per
    /// indicator, with the records changed since the lock that explain each difference
    /// (`submitted.rs`); `None` when it has not locked the period.
    pub async fn submitted(&self, commune: &str, period: &Period) -> Result<Option<Submitted>> {
        let Some(lock) = self
            .inner
            .storage
            .locks(&period.key)
            .await?
            .into_iter()
            .find(|l| l.unit == commune)
        else {
            return Ok(None);
        };
        let Some(snapshot) = self.lock_snapshot(commune, period).await? else {
            return Ok(None);
        };
        let report = self.report(commune, period).await?;
        let amended = self
            .inner
            .storage
            .late_amended_records(commune, &period.key)
            .await?;
        let tree = self.inner.units.tree();
        let as_of = report.as_of;
        let unit = Self::report_unit(&tree, commune, as_of)?.clone();
        let period = period.clone();
        tokio::task::spawn_blocking(move || {
            submitted::compare(submitted::Inputs {
                tree: &tree,
                commune: &unit,
                period: &period,
                as_of,
                lock,
                snapshot: &snapshot,
                now: &report.totals,
                amended,
            })
        })
        .await
        .map(Some)
        .map_err(|e| Error::Io(std::io::Error::other(format!("comparison failed: {e}"))))
    }

    /// Communes of `unit`'s subtree ranked by `indicator` (ties by code; undefined values last).
    pub async fn ranking(
        &self,
        unit: &str,
        period: &Period,
        indicator: RankIndicator,
    ) -> Result<Vec<RankRow>> {
        self.refresh().await?;
        let tree = self.inner.units.tree();
        let as_of = Self::as_of(period);
        let root = Self::report_unit(&tree, unit, as_of)?.clone();
        let communes = Self::communes_of(&tree, &root.code, as_of);
        let computed = self
            .by_commune(&root.code, period, &communes, as_of)
            .await?;
        let values: Vec<(UnitRef, Option<f64>)> = communes
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let ind = computed.rows.get(i).cloned().unwrap_or_default();
                (Self::unit_ref(c), compute::rank_value(&ind, indicator))
            })
            .collect();
        Ok(compute::rank(values))
    }
}
