//! Small cells above the commune (ADR 0012): what a de-identified viewer (district or city
//! officer, administrator) is shown of a report.
//!
//! 1. **No unit below the commune.** A commune's report comes without its villages' rows, its
//!    own-level line or the lines of old villages (`children`, `direct`, `unallocated` are
//!    emptied); a village's report is refused before it is computed (`web::access`).
//! 2. **Breakdowns of a single commune are protected.** In the breakdowns that describe people's
//!    matters — mediation by category and by subtype, petitions by type, field, channel,
//!    outcome and reason ([`Breakdown`]) — a cell of a row that is one commune (or an old
//!    commune's "not allocated" line, or records entered directly under the unit) with a count
//!    from 1 to `threshold − 1` is suppressed (*primary*). A row whose breakdown adds up to
//!    less than the threshold has every cell suppressed, zeros included (else the zeros would
//!    give the rest away).
//! 3. **Nothing suppressed can be worked out from what is shown** by one subtraction
//!    (*complementary* suppression, repeated until nothing changes): a row with exactly one
//!    suppressed cell gets the smallest other cell suppressed too; a column (one code across
//!    the rows) whose total is shown and holds exactly one suppressed cell gets the smallest
//!    other cell of that column suppressed too.
//! 4. **One pattern per commune.** A commune's own report takes its breakdowns from its row in
//!    its parent's table (same period, same rules), and its previous-period figures from its
//!    row in the previous period's parent table, so two views never suppress different cells
//!    of the same figures.
//!
//! Headline figures (received, resolved, overdue, rates) are shown as they are: they are the
//! commune's official report figures, say nothing of who, and the forms must balance. Totals of
//! a unit holding several communes are shown in full.
//!
//! A suppressed cell keeps its code and reads `count = 0, suppressed = true` (a category row:
//! every number 0, `suppressed = true`); pages and files show it as "<k".

use std::collections::{BTreeMap, BTreeSet};

use super::types::{CategoryRow, CodeCount, Indicators, Report};

/// What was withheld from a de-identified viewer, carried by the report it was withheld from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Disclosure {
    /// Breakdown cells with a count from 1 to `threshold − 1` are suppressed.
    pub threshold: u64,
    /// Rows below the commune left out (a commune's villages and its own-level lines).
    pub rows_hidden: u64,
    /// Cells suppressed in this answer: below the threshold, or hidden so that none of those
    /// can be worked out from the totals.
    pub suppressed_cells: u64,
}

/// The breakdowns protected above the commune: lists of one kind of people's matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Breakdown {
    /// `mediation.by_category` (a row per category; the cell is its `total`).
    MediationCategory,
    /// `mediation.by_subtype`.
    MediationSubtype,
    /// `petitions.by_type`.
    PetitionType,
    /// `petitions.by_subject`.
    PetitionSubject,
    /// `petitions.by_channel`.
    PetitionChannel,
    /// `petitions.by_outcome`.
    PetitionOutcome,
    /// `petitions.by_reason`.
    PetitionReason,
}

impl Breakdown {
    /// Every protected breakdown.
    pub const ALL: [Breakdown; 7] = [
        Breakdown::MediationCategory,
        Breakdown::MediationSubtype,
        Breakdown::PetitionType,
        Breakdown::PetitionSubject,
        Breakdown::PetitionChannel,
        Breakdown::PetitionOutcome,
        Breakdown::PetitionReason,
    ];

    /// Every code the breakdown may show (pages and files list them all, zeros included, so
    /// a code a row lacks is a shown 0).
    fn universe(self) -> Vec<String> {
        use danvan_core::Coded;
        use danvan_core::model::mediation::{MediationCategory, MediationSubtype};
        use danvan_core::model::petition::{
            NotAcceptedReason, PetitionChannel, PetitionOutcome, PetitionSubject, PetitionType,
        };
        fn codes<T: Coded + 'static>(all: &'static [T]) -> Vec<String> {
            all.iter().map(|c| c.code().to_string()).collect()
        }
        match self {
            Breakdown::MediationCategory => codes(MediationCategory::all()),
            Breakdown::MediationSubtype => codes(MediationSubtype::all()),
            Breakdown::PetitionType => codes(PetitionType::all()),
            Breakdown::PetitionSubject => codes(PetitionSubject::all()),
            Breakdown::PetitionChannel => codes(PetitionChannel::all()),
            Breakdown::PetitionOutcome => codes(PetitionOutcome::all()),
            Breakdown::PetitionReason => codes(NotAcceptedReason::all()),
        }
    }

    fn list(self, ind: &mut Indicators) -> Option<&mut Vec<CodeCount>> {
        let p = &mut ind.petitions;
        Some(match self {
            Breakdown::MediationCategory => return None,
            Breakdown::MediationSubtype => &mut ind.mediation.by_subtype,
            Breakdown::PetitionType => &mut p.by_type,
            Breakdown::PetitionSubject => &mut p.by_subject,
            Breakdown::PetitionChannel => &mut p.by_channel,
            Breakdown::PetitionOutcome => &mut p.by_outcome,
            Breakdown::PetitionReason => &mut p.by_reason,
        })
    }

    /// The cells of `ind` by code.
    fn cells(self, ind: &Indicators) -> BTreeMap<String, u64> {
        let mut ind = ind.clone();
        match self.list(&mut ind) {
            Some(list) => list.iter().map(|c| (c.code.clone(), c.count)).collect(),
            None => ind
                .mediation
                .by_category
                .iter()
                .map(|c| (c.code.clone(), c.total))
                .collect(),
        }
    }

    /// Suppress the cells `codes` of `ind` (adding a suppressed entry for a code it lacks).
    fn suppress(self, ind: &mut Indicators, codes: &BTreeSet<String>) {
        if codes.is_empty() {
            return;
        }
        match self.list(ind) {
            Some(list) => {
                for c in list.iter_mut().filter(|c| codes.contains(&c.code)) {
                    c.count = 0;
                    c.suppressed = true;
                }
                for code in codes {
                    if !list.iter().any(|c| &c.code == code) {
                        list.push(CodeCount {
                            code: code.clone(),
                            count: 0,
                            suppressed: true,
                        });
                    }
                }
                list.sort_by(|a, b| a.code.cmp(&b.code));
            }
            None => {
                let list = &mut ind.mediation.by_category;
                list.retain(|c| !codes.contains(&c.code));
                list.extend(codes.iter().map(|code| CategoryRow {
                    code: code.clone(),
                    suppressed: true,
                    ..CategoryRow::default()
                }));
                list.sort_by(|a, b| a.code.cmp(&b.code));
            }
        }
    }

    /// Copy this breakdown of `from` into `to`.
    fn copy(self, from: &Indicators, to: &mut Indicators) {
        match self.list(to) {
            Some(list) => {
                let mut f = from.clone();
                if let Some(src) = self.list(&mut f) {
                    *list = std::mem::take(src);
                }
            }
            None => to.mediation.by_category = from.mediation.by_category.clone(),
        }
    }
}

/// One row of a table: its cells by code.
type Cells = BTreeMap<String, u64>;

/// The primary suppression of one row: every code of the table when the row adds up to less
/// than `k` (but not nothing), else its cells from 1 to `k − 1`.
fn primary(row: &Cells, codes: &BTreeSet<String>, k: u64) -> BTreeSet<String> {
    let sum: u64 = row.values().sum();
    if sum > 0 && sum < k {
        codes.clone()
    } else {
        row.iter()
            .filter(|(_, n)| **n > 0 && **n < k)
            .map(|(c, _)| c.clone())
            .collect()
    }
}

/// The suppression pattern of one breakdown: the codes hidden in each of `rows` and in their
/// `total` (the unit's own figures, whose sum, like each row's, is shown as a headline), over
/// the codes of the table and `universe` (every code pages and files show, zeros included).
/// `total_fixed`: the total's pattern as its row in the parent's table has it (then nothing is
/// added to it), `None` when the unit is the top one.
///
/// Primary cells as [`primary`]; then, to a fixed point, no row (the total included) and no
/// column (the total's cell counting) with exactly one hidden cell: the smallest other cell
/// is hidden too — non-zero cells first, and never a cell of a row whose sum is 0 (known to be
/// 0, it hides nothing); a column with no such cell left gets its total's cell hidden. A column
/// whose total is a shown 0 needs nothing (every cell of it is known to be 0).
fn pattern(
    rows: &[Cells],
    total: &Cells,
    k: u64,
    total_fixed: Option<BTreeSet<String>>,
    universe: &[String],
) -> (Vec<BTreeSet<String>>, BTreeSet<String>) {
    let codes: BTreeSet<String> = rows
        .iter()
        .chain(std::iter::once(total))
        .flat_map(|r| r.keys().cloned())
        .chain(total_fixed.iter().flatten().cloned())
        .chain(universe.iter().cloned())
        .collect();
    let value = |r: &Cells, c: &str| r.get(c).copied().unwrap_or(0);
    let sum = |r: &Cells| r.values().sum::<u64>();
    let mut hidden: Vec<BTreeSet<String>> = rows.iter().map(|r| primary(r, &codes, k)).collect();
    let fixed = total_fixed.is_some();
    let mut t_hidden = total_fixed.unwrap_or_else(|| primary(total, &codes, k));
    // The smallest cell among `cands` (row index, code): non-zero first.
    let smallest = |cands: Vec<(usize, &String)>| {
        cands
            .into_iter()
            .min_by_key(|(r, c)| {
                let v = value(&rows[*r], c);
                (v == 0, v, *r, (*c).clone())
            })
            .map(|(r, c)| (r, c.clone()))
    };
    enum Add {
        Row(usize, String),
        Total(String),
    }
    loop {
        let mut add: Option<Add> = None;
        for (r, h) in hidden.iter().enumerate() {
            if h.len() == 1 && sum(&rows[r]) > 0 {
                let cands = codes.iter().filter(|c| !h.contains(*c)).map(|c| (r, c));
                if let Some((r, c)) = smallest(cands.collect()) {
                    add = Some(Add::Row(r, c));
                    break;
                }
            }
        }
        if add.is_none() && !fixed && t_hidden.len() == 1 {
            add = codes
                .iter()
                .filter(|c| !t_hidden.contains(*c))
                .min_by_key(|c| {
                    let v = value(total, c);
                    (v == 0, v)
                })
                .map(|c| Add::Total(c.clone()));
        }
        if add.is_none() {
            for c in &codes {
                let n = hidden.iter().filter(|h| h.contains(c)).count()
                    + usize::from(t_hidden.contains(c));
                // A column whose total is a shown 0 is known to be all zeros: nothing in it
                // needs protecting.
                if n != 1 || (!t_hidden.contains(c) && value(total, c) == 0) {
                    continue;
                }
                let cands: Vec<(usize, &String)> = (0..rows.len())
                    .filter(|r| !hidden[*r].contains(c) && sum(&rows[*r]) > 0)
                    .map(|r| (r, c))
                    .collect();
                add = match smallest(cands) {
                    Some((r, c)) => Some(Add::Row(r, c)),
                    None if !fixed && !t_hidden.contains(c) => Some(Add::Total(c.clone())),
                    None => None,
                };
                if add.is_some() {
                    break;
                }
            }
        }
        match add {
            Some(Add::Row(r, c)) => {
                hidden[r].insert(c);
            }
            Some(Add::Total(c)) => {
                t_hidden.insert(c);
            }
            None => break,
        }
    }
    (hidden, t_hidden)
}

/// The lines of `report` that sum into its totals, as mutable figures.
fn lines_mut(report: &mut Report) -> Vec<&mut Indicators> {
    let mut out: Vec<&mut Indicators> = Vec::new();
    for row in &mut report.children {
        out.push(&mut row.indicators);
    }
    if let Some(d) = &mut report.direct {
        out.push(d);
    }
    for u in report.unallocated.iter_mut().filter(|u| u.in_totals) {
        out.push(&mut u.indicators);
    }
    out
}

/// The codes of `ind`'s breakdown `b` already marked suppressed.
fn marked(b: Breakdown, ind: &Indicators) -> BTreeSet<String> {
    let mut ind = ind.clone();
    match b.list(&mut ind) {
        Some(list) => list
            .iter()
            .filter(|c| c.suppressed)
            .map(|c| c.code.clone())
            .collect(),
        None => ind
            .mediation
            .by_category
            .iter()
            .filter(|c| c.suppressed)
            .map(|c| c.code.clone())
            .collect(),
    }
}

/// Protect a report's rows and totals (rules 2 and 3) in place; the number of cells
/// suppressed. `totals_fixed`: the totals already carry the pattern of their row in the
/// parent's table (rule 4), which is kept as it is.
pub fn protect_rows(report: &mut Report, k: u64, totals_fixed: bool) -> u64 {
    let mut suppressed = 0;
    // Lines not in the totals (records of a split old unit counted elsewhere) are tables of
    // their own.
    for u in report.unallocated.iter_mut().filter(|u| !u.in_totals) {
        suppressed += protect_alone(&mut u.indicators, k);
    }
    for b in Breakdown::ALL {
        let fixed = totals_fixed.then(|| marked(b, &report.totals));
        let total = b.cells(&report.totals);
        let mut lines = lines_mut(report);
        let rows: Vec<Cells> = lines.iter().map(|ind| b.cells(ind)).collect();
        let (hidden, t_hidden) = pattern(&rows, &total, k, fixed.clone(), &b.universe());
        for (ind, codes) in lines.iter_mut().zip(hidden) {
            suppressed += codes.len() as u64;
            b.suppress(ind, &codes);
        }
        if fixed.is_none() {
            b.suppress(&mut report.totals, &t_hidden);
        }
        suppressed += t_hidden.len() as u64;
    }
    suppressed
}

/// Protect one unit's figures on their own (no parent table to take them from).
pub fn protect_alone(ind: &mut Indicators, k: u64) -> u64 {
    let mut suppressed = 0;
    for b in Breakdown::ALL {
        let (_, codes) = pattern(&[], &b.cells(ind), k, None, &b.universe());
        suppressed += codes.len() as u64;
        b.suppress(ind, &codes);
    }
    suppressed
}

/// Give `to` the (protected) breakdowns of `from`: a unit's figures as its parent's table
/// shows them.
pub fn copy_breakdowns(from: &Indicators, to: &mut Indicators) -> u64 {
    for b in Breakdown::ALL {
        b.copy(from, to);
    }
    count_suppressed(to)
}

/// Cells marked suppressed in `ind`.
pub fn count_suppressed(ind: &Indicators) -> u64 {
    Breakdown::ALL
        .iter()
        .map(|b| marked(*b, ind).len() as u64)
        .sum()
}

/// Leave out the lines below a commune: its villages, its own-level line and the lines of old
/// villages. How many were left out.
pub fn hide_below_commune(report: &mut Report) -> u64 {
    let n = report.children.len() + usize::from(report.direct.is_some()) + report.unallocated.len();
    report.children.clear();
    report.direct = None;
    report.unallocated.clear();
    n as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(c: &[(&str, u64)]) -> Cells {
        c.iter().map(|(c, n)| (c.to_string(), *n)).collect()
    }

    fn sum_of(rows: &[Cells]) -> Cells {
        let mut t = Cells::new();
        for r in rows {
            for (c, n) in r {
                *t.entry(c.clone()).or_default() += n;
            }
        }
        t
    }

    fn codes(h: &BTreeSet<String>) -> Vec<&str> {
        h.iter().map(String::as_str).collect()
    }

    /// No row (total included) and no column with exactly one hidden cell.
    fn safe(h: &[BTreeSet<String>], t: &BTreeSet<String>, all: &[&str]) {
        for r in h.iter().chain(std::iter::once(t)) {
            assert_ne!(r.len(), 1, "{h:?} {t:?}");
        }
        for c in all {
            let n = h.iter().filter(|r| r.contains(*c)).count() + usize::from(t.contains(*c));
            assert_ne!(n, 1, "{c}: {h:?} {t:?}");
        }
    }

    #[test]
    fn a_small_cell_and_its_complements() {
        // k = 5. Row 0: land 3 (primary); alone in its row it is 12 − 9, so family 9 goes too.
        // The land and family columns then hold one hidden cell each: row 1's land 20 and
        // family 30 go too. The total (23 land, 39 family) stays.
        let rows = [
            cells(&[("land", 3), ("family", 9)]),
            cells(&[("land", 20), ("family", 30)]),
        ];
        let (h, t) = pattern(&rows, &sum_of(&rows), 5, None, &[]);
        assert_eq!(codes(&h[0]), ["family", "land"]);
        assert_eq!(codes(&h[1]), ["family", "land"]);
        assert!(t.is_empty());
        safe(&h, &t, &["land", "family"]);
    }

    #[test]
    fn a_small_row_hides_its_zeros_too() {
        // k = 5. Row 0 has 2 cases in all: every code of the table is hidden in it, zeros too.
        // Land's column: the smallest other (8, row 2), whose row then needs a second (family
        // 5); debt's column: debt 7 (row 1), whose row then needs a second (family 6).
        let rows = [
            cells(&[("land", 2)]),
            cells(&[("land", 10), ("family", 6), ("debt", 7)]),
            cells(&[("land", 8), ("family", 5), ("debt", 9)]),
        ];
        let (h, t) = pattern(&rows, &sum_of(&rows), 5, None, &[]);
        assert_eq!(codes(&h[0]), ["debt", "family", "land"]);
        assert_eq!(codes(&h[1]), ["debt", "family"]);
        assert_eq!(codes(&h[2]), ["family", "land"]);
        assert!(t.is_empty());
        safe(&h, &t, &["land", "family", "debt"]);
    }

    #[test]
    fn a_lone_contributor_hides_the_total_cell() {
        // k = 3. Only row 0 has complaints (1) and recommendations (5); row 1 has nothing and
        // its zeros hide nothing (its sum, 0, is shown). Row 0: complaint 1 (primary), then
        // recommendation 5 (row rule). Neither column has another row to hide: the total's
        // cells go, complaint 1 (a small total) and recommendation 5.
        let rows = [
            cells(&[("complaint", 1), ("recommendation", 5)]),
            cells(&[]),
        ];
        let (h, t) = pattern(&rows, &sum_of(&rows), 3, None, &[]);
        assert_eq!(codes(&h[0]), ["complaint", "recommendation"]);
        assert!(h[1].is_empty());
        assert_eq!(codes(&t), ["complaint", "recommendation"]);
    }

    #[test]
    fn a_fixed_total_is_kept_and_its_hidden_cells_need_a_second() {
        // The parent's table hid both cells of this unit (land 13, family 19: its row there
        // needed two). They are kept, and each column must then hide a cell among the rows
        // too (else 13 = 7 + 6): the smallest land cell, 6 (row 1), whose row then needs its
        // family 9 — which also gives the family column its second. Row 0 stays shown.
        let rows = [
            cells(&[("land", 7), ("family", 10)]),
            cells(&[("land", 6), ("family", 9)]),
        ];
        let fixed: BTreeSet<String> = ["land".to_string(), "family".to_string()].into();
        let (h, t) = pattern(&rows, &sum_of(&rows), 5, Some(fixed.clone()), &[]);
        assert_eq!(t, fixed);
        assert!(h[0].is_empty(), "{h:?}");
        assert_eq!(codes(&h[1]), ["family", "land"]);
        safe(&h, &t, &["land", "family"]);
    }

    #[test]
    fn large_cells_and_threshold_one_hide_nothing() {
        let rows = [cells(&[("land", 5), ("family", 9)]), cells(&[("land", 6)])];
        let (h, t) = pattern(&rows, &sum_of(&rows), 5, None, &[]);
        assert!(h.iter().all(BTreeSet::is_empty) && t.is_empty(), "{h:?}");
        let rows = [cells(&[("land", 1)])];
        let (h, t) = pattern(&rows, &sum_of(&rows), 1, None, &[]);
        assert!(h[0].is_empty() && t.is_empty());
    }
}
