//! Administrative units: versioned data with validity dates and successors.
//!
//! Codes are reused (new 11533 Phường Hòa Bình is not old 11533 Phường An Lư), so every lookup
//! takes a date. The whole tree is small (a city is a few hundred units, the country under
//! 100,000 with villages) and is held in memory as a [`UnitTree`] behind a [`Units`] handle that
//! is reloaded after each import.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use chrono::NaiveDate;
use serde::Serialize;

use crate::error::Result;
use crate::storage::Storage;

mod import;

pub use import::{ImportError, ImportProblem, check_rows, import_csv, parse_csv};

/// Well-known level names. Levels are data: other names are accepted and kept as they are.
pub mod level {
    /// Tỉnh / thành phố trực thuộc trung ương.
    pub const PROVINCE: &str = "province";
    /// Huyện / quận / thị xã (abolished on 2025-07-01; kept for history).
    pub const DISTRICT: &str = "district";
    /// Xã / phường / đặc khu.
    pub const COMMUNE: &str = "commune";
    /// Thôn / tổ dân phố (home of a mediation team).
    pub const VILLAGE: &str = "village";
}

/// The stored `valid_from` of a unit in force before the data begins (0001-01-01); an empty
/// `valid_from` in the CSV means this.
pub const BEGINNING: NaiveDate = match NaiveDate::from_ymd_opt(1, 1, 1) {
    Some(d) => d,
    None => NaiveDate::MIN,
};

/// What became of a unit after its `valid_to`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Successor {
    /// Code of the successor, resolved as of the day after the predecessor's `valid_to`.
    pub code: String,
    /// How much passed to it: `toan_bo`, `mot_phan`, `mot_phan_dien_tich`, `phan_con_lai`.
    pub share: Option<String>,
}

/// One version of an administrative unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unit {
    /// Official (or documented synthetic) code; unique only together with a date.
    pub code: String,
    /// First day in force (0001-01-01 = before the data begins).
    pub valid_from: NaiveDate,
    /// Last day in force, inclusive; `None` = still in force.
    pub valid_to: Option<NaiveDate>,
    /// Official name with diacritics.
    pub name: String,
    /// Level (`province`, `district`, `commune`, `village`, …).
    pub level: String,
    /// Parent's code, resolved on the same date; `None` for a top unit.
    pub parent: Option<String>,
    /// Successors after `valid_to`.
    pub successors: Vec<Successor>,
}

impl Unit {
    /// Whether this version is in force on `date`.
    pub fn valid_on(&self, date: NaiveDate) -> bool {
        self.valid_from <= date && self.valid_to.is_none_or(|to| date <= to)
    }
}

/// The unit tree with all versions, indexed for date-aware queries.
#[derive(Debug, Default)]
pub struct UnitTree {
    by_code: HashMap<String, Vec<Unit>>,
    children: HashMap<String, Vec<String>>,
    /// Successor code → the (code, first day) of every version naming it as a successor.
    predecessors: HashMap<String, Vec<(String, NaiveDate)>>,
}

impl UnitTree {
    /// Build the tree from all stored unit versions.
    pub fn new(units: Vec<Unit>) -> Self {
        let mut by_code: HashMap<String, Vec<Unit>> = HashMap::new();
        let mut children: HashMap<String, Vec<String>> = HashMap::new();
        let mut predecessors: HashMap<String, Vec<(String, NaiveDate)>> = HashMap::new();
        for u in units {
            for s in &u.successors {
                predecessors
                    .entry(s.code.clone())
                    .or_default()
                    .push((u.code.clone(), u.valid_from));
            }
            if let Some(p) = &u.parent {
                let list = children.entry(p.clone()).or_default();
                if !list.contains(&u.code) {
                    list.push(u.code.clone());
                }
            }
            by_code.entry(u.code.clone()).or_default().push(u);
        }
        for versions in by_code.values_mut() {
            versions.sort_by_key(|u| u.valid_from);
        }
        for list in children.values_mut() {
            list.sort();
        }
        UnitTree {
            by_code,
            children,
            predecessors,
        }
    }

    /// The versions that name `v` as their successor (the units it was formed from): those
    /// whose `valid_to` is the day before `v` starts.
    pub fn predecessors_of(&self, v: &Unit) -> Vec<&Unit> {
        self.predecessors
            .get(&v.code)
            .into_iter()
            .flatten()
            .filter_map(|(code, from)| self.versions(code).iter().find(|u| u.valid_from == *from))
            .filter(|u| {
                u.valid_to
                    .and_then(|t| t.succ_opt())
                    .is_some_and(|next| v.valid_on(next))
            })
            .collect()
    }

    /// Number of unit versions.
    pub fn len(&self) -> usize {
        self.by_code.values().map(Vec::len).sum()
    }

    /// Whether the tree holds no unit.
    pub fn is_empty(&self) -> bool {
        self.by_code.is_empty()
    }

    /// All versions of a code, oldest first.
    pub fn versions(&self, code: &str) -> &[Unit] {
        self.by_code.get(code).map(Vec::as_slice).unwrap_or(&[])
    }

    /// All unit versions, in no particular order.
    pub fn all(&self) -> impl Iterator<Item = &Unit> {
        self.by_code.values().flatten()
    }

    /// The unit that `code` means on `as_of`.
    pub fn unit(&self, code: &str, as_of: NaiveDate) -> Option<&Unit> {
        self.versions(code).iter().find(|u| u.valid_on(as_of))
    }

    /// Direct children of `code` on `as_of`, sorted by code.
    pub fn children(&self, code: &str, as_of: NaiveDate) -> Vec<&Unit> {
        self.children
            .get(code)
            .into_iter()
            .flatten()
            .filter_map(|c| self.unit(c, as_of))
            .filter(|u| u.parent.as_deref() == Some(code))
            .collect()
    }

    /// `code` and every unit below it on `as_of` (empty if `code` is not in force then).
    pub fn subtree(&self, code: &str, as_of: NaiveDate) -> Vec<String> {
        let Some(root) = self.unit(code, as_of) else {
            return Vec::new();
        };
        let mut out = vec![root.code.clone()];
        let mut i = 0;
        while i < out.len() {
            let next: Vec<String> = self
                .children(&out[i], as_of)
                .into_iter()
                .map(|u| u.code.clone())
                .collect();
            out.extend(next);
            i += 1;
        }
        out
    }

    /// Whether `unit` is `ancestor` or lies below it on `as_of`.
    pub fn is_within(&self, unit: &str, ancestor: &str, as_of: NaiveDate) -> bool {
        let mut current = self.unit(unit, as_of);
        // Bounded walk: a cycle in bad data must not hang a request.
        for _ in 0..64 {
            let Some(u) = current else { return false };
            if u.code == ancestor {
                return true;
            }
            current = u.parent.as_deref().and_then(|p| self.unit(p, as_of));
        }
        false
    }

    /// Units of `level` in force on `as_of`, sorted by code.
    pub fn at_level(&self, level: &str, as_of: NaiveDate) -> Vec<&Unit> {
        let mut v: Vec<&Unit> = self
            .all()
            .filter(|u| u.level == level && u.valid_on(as_of))
            .collect();
        v.sort_by(|a, b| a.code.cmp(&b.code));
        v
    }
}

/// Shared, reloadable handle on the in-memory unit tree.
#[derive(Debug, Clone, Default)]
pub struct Units {
    inner: Arc<RwLock<Arc<UnitTree>>>,
}

impl Units {
    /// A handle on a given tree.
    pub fn new(tree: UnitTree) -> Self {
        Units {
            inner: Arc::new(RwLock::new(Arc::new(tree))),
        }
    }

    /// Load the tree from storage.
    pub async fn load(storage: &dyn Storage) -> Result<Self> {
        Ok(Units::new(UnitTree::new(storage.load_units().await?)))
    }

    /// The current tree (a cheap snapshot; later reloads do not change it).
    pub fn tree(&self) -> Arc<UnitTree> {
        self.inner.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Reload the tree from storage (after an import).
    pub async fn reload(&self, storage: &dyn Storage) -> Result<()> {
        let tree = Arc::new(UnitTree::new(storage.load_units().await?));
        *self.inner.write().unwrap_or_else(|e| e.into_inner()) = tree;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn u(code: &str, parent: Option<&str>, level: &str, from: &str, to: Option<&str>) -> Unit {
        Unit {
            code: code.into(),
            valid_from: d(from),
            valid_to: to.map(d),
            name: format!("Unit {code}"),
            level: level.into(),
            parent: parent.map(Into::into),
            successors: vec![],
        }
    }

    #[test]
    fn reused_code_resolves_by_date_and_subtree_follows() {
        let tree = UnitTree::new(vec![
            u("31", None, "province", "0001-01-01", None),
            u(
                "D1",
                Some("31"),
                "district",
                "0001-01-01",
                Some("2025-06-30"),
            ),
            u(
                "100",
                Some("D1"),
                "commune",
                "0001-01-01",
                Some("2025-06-30"),
            ),
            u("100", Some("31"), "commune", "2025-07-01", None),
            u("100-T01", Some("100"), "village", "2025-07-01", None),
        ]);
        assert_eq!(
            tree.unit("100", d("2025-06-01")).unwrap().parent.as_deref(),
            Some("D1")
        );
        assert_eq!(
            tree.unit("100", d("2025-08-01")).unwrap().parent.as_deref(),
            Some("31")
        );
        assert_eq!(tree.subtree("31", d("2025-06-01")), vec!["31", "D1", "100"]);
        assert_eq!(
            tree.subtree("31", d("2025-08-01")),
            vec!["31", "100", "100-T01"]
        );
        assert!(tree.is_within("100-T01", "31", d("2025-08-01")));
        assert!(!tree.is_within("100", "D1", d("2025-08-01")));
        assert!(tree.is_within("100", "D1", d("2025-06-01")));
        assert!(tree.subtree("D1", d("2025-08-01")).is_empty());
    }
}
