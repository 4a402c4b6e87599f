//! Who may see what: every page, API answer and export asks [`resolve`] for the unit and period
//! it shows. The unit must exist on the day the figures are computed (404 `not_found`) and lie
//! in the officer's subtree on that day (403 `out_of_scope`); the period key must parse (400
//! `bad_period`). Personal fields are for commune officers, in their commune only
//! ([`records_allowed`]); so is locking a period, for a commune ([`lock_for`]).

use chrono::NaiveDate;

use crate::aggregate::{Lock, Period, PeriodKind};
use crate::error::{ApiError, ErrorCode};
use crate::roles::Role;
use crate::state::AppState;
use crate::units::{Unit, UnitTree, level};
use crate::web::session::Viewer;

/// A unit and period an officer may see.
#[derive(Debug, Clone)]
pub struct Target {
    /// The unit, as of `as_of`.
    pub unit: Unit,
    /// The period.
    pub period: Period,
    /// The day the unit tree is read on (the period's cut-off, or today if earlier).
    pub as_of: NaiveDate,
}

/// The small-cell threshold `viewer` sees reports with: `None` (whole figures) for a commune
/// officer, the configured threshold for every role above the commune (ADR 0012).
pub fn small_cells(state: &AppState, viewer: &Viewer) -> Option<u64> {
    (!viewer.sees_records()).then_some(state.config.small_cell_threshold)
}

/// Today (UTC; Vietnam is UTC+7 but the day only decides which periods are listed).
pub fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

/// The day a period's unit tree is read on: its cut-off, or today when that is earlier (not
/// before the period's start).
pub fn tree_day(period: &Period) -> NaiveDate {
    period.cutoff.min(today().max(period.start))
}

/// The period a key names, or 400 `bad_period`.
pub fn period(state: &AppState, key: &str) -> Result<Period, ApiError> {
    state
        .aggregator
        .periods()
        .period(key)
        .map_err(|e| ApiError::new(ErrorCode::BadPeriod).with_detail(e))
}

/// The default period of pages and exports: the current month.
pub fn default_period(state: &AppState) -> Result<Period, ApiError> {
    state
        .aggregator
        .periods()
        .recent(today(), PeriodKind::Month, 1)
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::internal("no current month period"))
}

/// The period named by an optional key, else the default.
pub fn period_or_default(state: &AppState, key: Option<&str>) -> Result<Period, ApiError> {
    match key.filter(|k| !k.is_empty()) {
        Some(k) => period(state, k),
        None => default_period(state),
    }
}

/// Check that `viewer` may see `unit` for `period`, and which version of the code is meant.
///
/// The code is read on the period's tree day when it is in the viewer's subtree then. Else,
/// for a period before a unit in the viewer's subtree today existed (a new commune's officer
/// asking for 2025-H1), the version in force today: its report shows its predecessors, as far
/// as the successor mapping places them in it. Else an old unit all of whose parts went into
/// the viewer's subtree (a commune merged whole into hers) may be seen on its own. Anything
/// else is 403 `out_of_scope` (or 404 `not_found` for a code unknown on both days).
///
/// Above the commune nothing smaller than a commune is shown (ADR 0012): a village asked for
/// by a district or city officer or an administrator is 403 `out_of_scope`.
pub fn resolve(
    state: &AppState,
    viewer: &Viewer,
    unit: &str,
    period: Period,
) -> Result<Target, ApiError> {
    let t = resolve_unit(state, viewer, unit, period)?;
    if !viewer.sees_records() && t.unit.level == level::VILLAGE {
        return Err(ApiError::new(ErrorCode::OutOfScope).with_detail(
            "số liệu dưới cấp xã chỉ dành cho cán bộ xã / figures below the commune are for \
             commune officers only",
        ));
    }
    Ok(t)
}

fn resolve_unit(
    state: &AppState,
    viewer: &Viewer,
    unit: &str,
    period: Period,
) -> Result<Target, ApiError> {
    let as_of = tree_day(&period);
    let tree = state.units.tree();
    let then = tree.unit(unit, as_of);
    if let Some(u) = then.filter(|_| within_scope(&tree, viewer, unit, as_of)) {
        return Ok(Target {
            unit: u.clone(),
            period,
            as_of,
        });
    }
    let day = today();
    if let Some(now) = tree
        .unit(unit, day)
        .filter(|u| u.valid_from > as_of && within_scope(&tree, viewer, unit, day))
    {
        return Ok(Target {
            unit: now.clone(),
            period,
            as_of,
        });
    }
    match then {
        Some(old) if wholly_within(&tree, old, &viewer.unit, as_of, day) => Ok(Target {
            unit: old.clone(),
            period,
            as_of,
        }),
        Some(_) => Err(ApiError::new(ErrorCode::OutOfScope)),
        None if tree.unit(unit, day).is_some() => Err(ApiError::new(ErrorCode::OutOfScope)),
        None => Err(ApiError::new(ErrorCode::NotFound).with_detail(format!("unit {unit}"))),
    }
}

/// Whether every unit of `old`'s subtree on `then` is placed by the successor mapping inside
/// `scope` on `now` (an old unit merged whole into the viewer's unit).
pub fn wholly_within(
    tree: &UnitTree,
    old: &Unit,
    scope: &str,
    then: NaiveDate,
    now: NaiveDate,
) -> bool {
    tree.subtree(&old.code, then)
        .iter()
        .filter_map(|c| tree.unit(c, then))
        .all(|v| crate::aggregate::resolve::lands_within(tree, v, scope, now))
}

/// The unit `code` means on `as_of`, or 404 `not_found`.
pub fn find_unit<'t>(
    tree: &'t UnitTree,
    code: &str,
    as_of: NaiveDate,
) -> Result<&'t Unit, ApiError> {
    tree.unit(code, as_of)
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound).with_detail(format!("unit {code}")))
}

/// Whether `unit` lies in the viewer's subtree on `as_of`. The viewer's unit is the one in
/// force today: on a day it was not yet in force its code may name another unit (old 11533
/// An Lư is not new 11533 Hòa Bình), and nothing lies in the viewer's subtree that day.
pub fn within_scope(tree: &UnitTree, viewer: &Viewer, unit: &str, as_of: NaiveDate) -> bool {
    let own = tree.unit(&viewer.unit, today());
    own.is_none_or(|u| u.valid_on(as_of)) && tree.is_within(unit, &viewer.unit, as_of)
}

/// Whether `viewer` may see the records (with personal fields) of `unit`: a commune officer,
/// and `unit` is their commune or one of its villages, today.
pub fn records_allowed(tree: &UnitTree, viewer: &Viewer, unit: &str) -> Result<(), ApiError> {
    if viewer.role != Role::CommuneOfficer {
        return Err(ApiError::new(ErrorCode::RecordsForbidden));
    }
    let day = today();
    if tree.unit(unit, day).is_none() {
        return Err(ApiError::new(ErrorCode::NotFound));
    }
    if !tree.is_within(unit, &viewer.unit, day) {
        return Err(ApiError::new(ErrorCode::OutOfScope));
    }
    Ok(())
}

/// The chain from the viewer's unit down to `unit` (for breadcrumbs), as of `as_of`.
pub fn breadcrumbs(tree: &UnitTree, viewer: &Viewer, unit: &Unit, as_of: NaiveDate) -> Vec<Unit> {
    let mut chain = vec![unit.clone()];
    let mut cur = unit.clone();
    while cur.code != viewer.unit {
        let Some(parent) = cur.parent.as_deref().and_then(|p| tree.unit(p, as_of)) else {
            break;
        };
        chain.push(parent.clone());
        cur = parent.clone();
    }
    chain.reverse();
    chain
}

/// Whether `unit` is a commune (where locks and record lists live).
pub fn is_commune(unit: &Unit) -> bool {
    unit.level == level::COMMUNE
}

/// Lock `period` for `unit` as `viewer`: a commune officer, for a commune in their scope (403
/// `lock_forbidden` otherwise), in force on the period's tree day under this code (409
/// `lock_unit_not_in_force`: not a predecessor report, not a period when the code named another
/// commune), for a period that has started (409 `period_not_started`, from
/// [`lock_period`](crate::aggregate::Aggregator::lock_period), which checks both again).
pub async fn lock_for(
    state: &AppState,
    viewer: &Viewer,
    unit: &str,
    period: &Period,
) -> Result<Lock, ApiError> {
    if viewer.role != Role::CommuneOfficer {
        return Err(ApiError::new(ErrorCode::LockForbidden));
    }
    let target = resolve(state, viewer, unit, period.clone())?;
    // A commune locks its own figures: not those of the old units it was formed from.
    if !is_commune(&target.unit) {
        return Err(ApiError::new(ErrorCode::LockForbidden));
    }
    if !target.unit.valid_on(target.as_of) {
        return Err(
            ApiError::new(ErrorCode::LockUnitNotInForce).with_detail(format!(
                "{} ({}) not in force on {}",
                target.unit.code, target.unit.name, target.as_of
            )),
        );
    }
    Ok(state
        .aggregator
        .lock_period(&target.unit.code, period, &viewer.username)
        .await?)
}
