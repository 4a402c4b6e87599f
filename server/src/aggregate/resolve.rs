//! Where a record counts: its entered unit (the version in force when it was entered) resolved
//! to the unit tree as of a report's cut-off.
//!
//! A unit in force on the cut-off is used as it is. An expired unit is followed through its
//! successors: one successor (whole, or the only one) → that unit; a village with no successor →
//! its parent's resolution; several successors → the record cannot be placed in one of them and
//! goes to a "not allocated (from old unit X)" line. A unit that did not exist yet on the
//! cut-off is [`Place::Unknown`] (its records are not counted in that report).

use chrono::{Days, NaiveDate};

use crate::units::{Unit, UnitTree};

pub use crate::storage::agg::Covered;

/// Where an entered unit's records count as of a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// In this unit (in force on the day).
    Unit(String),
    /// Split between several units: shown on a "not allocated" line.
    Unallocated {
        /// The old unit the records came from (code, first day in force).
        from: (String, NaiveDate),
        /// The units (in force on the day) they may belong to, sorted.
        candidates: Vec<String>,
    },
    /// Nowhere on that day (unknown code, or a unit created later).
    Unknown,
}

/// The version of `code` a record entered on `entered` was entered under: the version in force
/// that day, else the nearest one (the first starting later, else the last).
pub fn entered_version<'t>(tree: &'t UnitTree, code: &str, entered: NaiveDate) -> Option<&'t Unit> {
    let versions = tree.versions(code);
    versions
        .iter()
        .find(|u| u.valid_on(entered))
        .or_else(|| versions.iter().find(|u| u.valid_from > entered))
        .or_else(|| versions.last())
}

/// Where the records of unit version `v` count as of `on`.
pub fn resolve(tree: &UnitTree, v: &Unit, on: NaiveDate) -> Place {
    resolve_depth(tree, v, on, 0)
}

fn resolve_depth(tree: &UnitTree, v: &Unit, on: NaiveDate, depth: u32) -> Place {
    if depth > 16 {
        return Place::Unknown;
    }
    if v.valid_on(on) {
        return Place::Unit(v.code.clone());
    }
    if v.valid_from > on {
        return backward(tree, v, on, depth);
    }
    let Some(to) = v.valid_to else {
        return Place::Unknown;
    };
    let next = to.checked_add_days(Days::new(1)).unwrap_or(to);
    let successors: Vec<&Unit> = v
        .successors
        .iter()
        .filter_map(|s| tree.unit(&s.code, next))
        .collect();
    match successors.as_slice() {
        [] => match v.parent.as_deref().and_then(|p| tree.unit(p, to)) {
            Some(parent) => resolve_depth(tree, parent, on, depth + 1),
            None => Place::Unknown,
        },
        [one] => resolve_depth(tree, one, on, depth + 1),
        many => among(tree, v, many, on, depth),
    }
}

/// Where the records of `v`, a unit that did not exist yet on `on`, count on that day: in the
/// unit it was formed from (one predecessor), or on a "not allocated (from new unit X)" line
/// at the lowest common ancestor of several. A village nobody names as a successor counts where
/// its commune does. So a record entered under a new commune or village still counts in the
/// totals of a period before the unit existed (issue 9, item 2c).
fn backward(tree: &UnitTree, v: &Unit, on: NaiveDate, depth: u32) -> Place {
    let preds = tree.predecessors_of(v);
    if preds.is_empty() {
        return match v.parent.as_deref().and_then(|p| tree.unit(p, v.valid_from)) {
            Some(parent) => resolve_depth(tree, parent, on, depth + 1),
            None => Place::Unknown,
        };
    }
    among(tree, v, &preds, on, depth)
}

/// Where the records of `v` count when they may belong to any of `units` (its successors, or
/// its predecessors for a unit that did not exist yet): the one unit they all resolve to, else
/// a "not allocated (from `v`)" line over the candidates.
fn among(tree: &UnitTree, v: &Unit, units: &[&Unit], on: NaiveDate, depth: u32) -> Place {
    let mut candidates = Vec::new();
    for u in units {
        match resolve_depth(tree, u, on, depth + 1) {
            Place::Unit(c) => candidates.push(c),
            Place::Unallocated {
                candidates: more, ..
            } => candidates.extend(more),
            Place::Unknown => {}
        }
    }
    candidates.sort();
    candidates.dedup();
    match candidates.len() {
        0 => Place::Unknown,
        1 => Place::Unit(candidates.remove(0)),
        _ => Place::Unallocated {
            from: (v.code.clone(), v.valid_from),
            candidates,
        },
    }
}

/// `code` and its ancestors on `on`, nearest first.
pub fn ancestors(tree: &UnitTree, code: &str, on: NaiveDate) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = tree.unit(code, on);
    while let Some(u) = cur {
        if out.len() > 64 {
            break;
        }
        out.push(u.code.clone());
        cur = u.parent.as_deref().and_then(|p| tree.unit(p, on));
    }
    out
}

/// The lowest common ancestor (or self) of `codes` on `on`.
pub fn lowest_common_ancestor(tree: &UnitTree, codes: &[String], on: NaiveDate) -> Option<String> {
    let mut chains = codes.iter().map(|c| ancestors(tree, c, on));
    let first = chains.next()?;
    let rest: Vec<Vec<String>> = chains.collect();
    first
        .into_iter()
        .find(|a| rest.iter().all(|chain| chain.contains(a)))
}

/// Whether the records of unit version `v` count inside `unit`'s subtree as of `on` (placed
/// there by the successor mapping, not on a "not allocated" line).
pub fn lands_within(tree: &UnitTree, v: &Unit, unit: &str, on: NaiveDate) -> bool {
    matches!(resolve(tree, v, on), Place::Unit(c) if tree.is_within(&c, unit, on))
}

/// Every unit version whose records count inside `commune`'s subtree as of `on` (the commune,
/// its villages, and old units that went into it).
pub fn units_resolving_into(tree: &UnitTree, commune: &str, on: NaiveDate) -> Vec<Covered> {
    let mut out: Vec<Covered> = tree
        .all()
        .filter(|v| lands_within(tree, v, commune, on))
        .map(|v| Covered {
            code: v.code.clone(),
            valid_from: v.valid_from,
            valid_to: v.valid_to,
        })
        .collect();
    out.sort_by(|a, b| (&a.code, a.valid_from).cmp(&(&b.code, b.valid_from)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::Successor;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn u(
        code: &str,
        parent: &str,
        level: &str,
        from: &str,
        to: Option<&str>,
        succ: &[&str],
    ) -> Unit {
        Unit {
            code: code.into(),
            valid_from: d(from),
            valid_to: to.map(d),
            name: code.into(),
            level: level.into(),
            parent: (!parent.is_empty()).then(|| parent.into()),
            successors: succ
                .iter()
                .map(|s| Successor {
                    code: (*s).into(),
                    share: None,
                })
                .collect(),
        }
    }

    fn tree() -> UnitTree {
        let old = Some("2025-06-30");
        UnitTree::new(vec![
            u("31", "", "province", "0001-01-01", None, &[]),
            u("D", "31", "district", "0001-01-01", old, &[]),
            u("A", "D", "commune", "0001-01-01", old, &["N1"]),
            u("S", "D", "commune", "0001-01-01", old, &["N1", "N2"]),
            u("S-V1", "S", "village", "0001-01-01", old, &["N2-T01"]),
            u("S-V2", "S", "village", "0001-01-01", old, &[]),
            u("N1", "31", "commune", "2025-07-01", None, &[]),
            u("N2", "31", "commune", "2025-07-01", None, &[]),
            u("N2-T01", "N2", "village", "2025-07-01", None, &[]),
        ])
    }

    #[test]
    fn merged_split_and_village_cases() {
        let t = tree();
        let after = d("2025-12-31");
        let v = |c: &str| entered_version(&t, c, d("2025-03-01")).unwrap().clone();
        assert_eq!(resolve(&t, &v("A"), after), Place::Unit("N1".into()));
        assert_eq!(
            resolve(&t, &v("A"), d("2025-05-31")),
            Place::Unit("A".into())
        );
        assert_eq!(resolve(&t, &v("S-V1"), after), Place::Unit("N2-T01".into()));
        let split = Place::Unallocated {
            from: ("S".into(), d("0001-01-01")),
            candidates: vec!["N1".into(), "N2".into()],
        };
        assert_eq!(resolve(&t, &v("S"), after), split);
        // A village with no successor follows its parent.
        assert_eq!(resolve(&t, &v("S-V2"), after), split);
        // A unit created after the day counts in the units it was formed from: N1 came from A
        // and part of S, so before the reform its records are "not allocated (from N1)".
        let n1 = entered_version(&t, "N1", d("2025-08-01")).unwrap().clone();
        assert_eq!(
            resolve(&t, &n1, d("2025-05-31")),
            Place::Unallocated {
                from: ("N1".into(), d("2025-07-01")),
                candidates: vec!["A".into(), "S".into()],
            }
        );
        // A new village follows its one predecessor (S-V1 → N2-T01).
        let t01 = entered_version(&t, "N2-T01", d("2025-08-01"))
            .unwrap()
            .clone();
        assert_eq!(
            resolve(&t, &t01, d("2025-05-31")),
            Place::Unit("S-V1".into())
        );
        // N2 was formed from part of S only: before the reform its records count in S.
        let n2 = entered_version(&t, "N2", d("2025-08-01")).unwrap().clone();
        assert_eq!(resolve(&t, &n2, d("2025-05-31")), Place::Unit("S".into()));
        assert_eq!(
            lowest_common_ancestor(&t, &["N1".into(), "N2-T01".into()], after),
            Some("31".into())
        );
        let covered: Vec<_> = units_resolving_into(&t, "N2", after)
            .into_iter()
            .map(|c| c.code)
            .collect();
        assert_eq!(covered, ["N2", "N2-T01", "S-V1"]);
    }
}
