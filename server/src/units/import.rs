//! Import of administrative units from CSV.
//!
//! Columns: `code,name,level,parent,valid_from,valid_to,successors`. Dates are `YYYY-MM-DD`; an
//! empty `valid_from` means "in force before the data begins", an empty `valid_to` "still in
//! force" (inclusive). `successors` is `;`-separated codes, each optionally `code:share`.
//!
//! The whole file is checked first (every problem reported with its line number), then written
//! in one transaction as an idempotent upsert keyed on `(code, valid_from)`: a bad row changes
//! nothing, and importing the same file twice reports every row unchanged.

use std::collections::{HashMap, HashSet};
use std::io::Read;

use chrono::{Days, NaiveDate};

use super::{BEGINNING, Successor, Unit, UnitTree, Units};
use crate::error::Result;
use crate::storage::{ImportCounts, Storage};

/// One problem found in a unit CSV.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportProblem {
    /// 1-based line in the file (the header is line 1).
    pub line: u64,
    /// What is wrong.
    pub message: String,
}

/// A unit CSV was rejected; nothing was written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ImportError {
    /// Every problem found, in file order.
    pub problems: Vec<ImportProblem>,
}

impl std::fmt::Display for ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "unit file rejected, nothing imported ({} problem(s))",
            self.problems.len()
        )?;
        for p in self.problems.iter().take(50) {
            write!(f, "\n  line {}: {}", p.line, p.message)?;
        }
        if self.problems.len() > 50 {
            write!(f, "\n  … and {} more", self.problems.len() - 50)?;
        }
        Ok(())
    }
}

const COLUMNS: [&str; 7] = [
    "code",
    "name",
    "level",
    "parent",
    "valid_from",
    "valid_to",
    "successors",
];

/// Line numbers of records in a CSV file, counting every line ending the CSV reader ends a
/// record on: `\r\n`, `\n` and a lone `\r` (the reader's own position counts only `\n`, so
/// in a file saved with `\r` line endings every row was "line 1").
struct Lines<'a> {
    bytes: &'a [u8],
    /// Offsets of the first byte of every line after the first.
    starts: Vec<u64>,
}

impl<'a> Lines<'a> {
    fn new(bytes: &'a [u8]) -> Lines<'a> {
        let starts = bytes
            .iter()
            .enumerate()
            .filter(|&(i, &b)| b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')))
            .map(|(i, _)| i as u64 + 1)
            .collect();
        Lines { bytes, starts }
    }

    /// 1-based line of the record the reader places at byte `offset` (which may be the line
    /// ending before it, or blank lines the reader skips).
    fn line_of(&self, offset: u64) -> u64 {
        let first = usize::try_from(offset)
            .ok()
            .and_then(|o| self.bytes.get(o..))
            .and_then(|rest| rest.iter().position(|&b| b != b'\r' && b != b'\n'))
            .map_or(offset, |k| offset + k as u64);
        self.starts.partition_point(|&s| s <= first) as u64 + 1
    }
}

/// Parse a unit CSV into `(line, unit)` pairs, checking each row on its own.
pub fn parse_csv(mut input: impl Read) -> Result<Vec<(u64, Unit)>, ImportError> {
    let mut problems = Vec::new();
    let fail = |line, message: String| ImportError {
        problems: vec![ImportProblem { line, message }],
    };
    let mut bytes = Vec::new();
    input
        .read_to_end(&mut bytes)
        .map_err(|e| fail(1, format!("unreadable file: {e}")))?;
    let lines = Lines::new(&bytes);
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(bytes.as_slice());
    let headers = reader
        .headers()
        .map_err(|e| fail(1, format!("unreadable header: {e}")))?
        .clone();
    let mut index = [0usize; 7];
    for (i, col) in COLUMNS.iter().enumerate() {
        index[i] = headers
            .iter()
            .position(|h| h == *col)
            .ok_or_else(|| fail(1, format!("missing column `{col}`")))?;
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| lines.line_of(p.byte()));
                problems.push(ImportProblem {
                    line,
                    message: format!("unreadable row: {e}"),
                });
                continue;
            }
        };
        let line = record.position().map_or(0, |p| lines.line_of(p.byte()));
        let field = |i: usize| record.get(index[i]).unwrap_or("");
        match parse_row([
            field(0),
            field(1),
            field(2),
            field(3),
            field(4),
            field(5),
            field(6),
        ]) {
            Ok(unit) => rows.push((line, unit)),
            Err(message) => problems.push(ImportProblem { line, message }),
        }
    }
    if problems.is_empty() {
        Ok(rows)
    } else {
        Err(ImportError { problems })
    }
}

fn parse_date(what: &str, s: &str) -> Result<Option<NaiveDate>, String> {
    if s.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| format!("{what} `{s}` is not a date (YYYY-MM-DD)"))
}

fn valid_code(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && !s.chars().any(|c| c.is_whitespace() || c == ';' || c == ':')
}

fn parse_row(f: [&str; 7]) -> Result<Unit, String> {
    let [code, name, level, parent, from, to, successors] = f;
    if !valid_code(code) {
        return Err(format!("code `{code}` is empty or has spaces, `;` or `:`"));
    }
    if name.is_empty() {
        return Err(format!("unit {code} has no name"));
    }
    if level.is_empty() || !level.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
        return Err(format!(
            "level `{level}` must be lower-case letters and `_`"
        ));
    }
    if !parent.is_empty() && !valid_code(parent) {
        return Err(format!("parent `{parent}` is not a valid code"));
    }
    if parent == code {
        return Err(format!("unit {code} is its own parent"));
    }
    let valid_from = parse_date("valid_from", from)?.unwrap_or(BEGINNING);
    let valid_to = parse_date("valid_to", to)?;
    if valid_to.is_some_and(|t| t < valid_from) {
        return Err(format!("valid_to {to} is before valid_from {from}"));
    }
    let mut succ = Vec::new();
    for item in successors
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let (c, share) = match item.split_once(':') {
            Some((c, s)) => (
                c.trim(),
                Some(s.trim().to_string()).filter(|s| !s.is_empty()),
            ),
            None => (item, None),
        };
        if !valid_code(c) {
            return Err(format!("successor `{item}` is not `code` or `code:share`"));
        }
        if succ.iter().any(|s: &Successor| s.code == c) {
            return Err(format!("successor {c} is listed twice"));
        }
        succ.push(Successor {
            code: c.to_string(),
            share,
        });
    }
    // Canonical order, so that re-importing the same data compares equal to what is stored.
    succ.sort_by(|a, b| a.code.cmp(&b.code));
    if !succ.is_empty() && valid_to.is_none() {
        return Err(format!("unit {code} has successors but no valid_to"));
    }
    Ok(Unit {
        code: code.into(),
        valid_from,
        valid_to,
        name: name.into(),
        level: level.into(),
        parent: Some(parent.to_string()).filter(|p| !p.is_empty()),
        successors: succ,
    })
}

/// Check the rows against each other and against the units already stored: no duplicate or
/// Cycles of parents in `after` that go through a unit of the file: following parents must end
/// (the tree's walks rely on it), so a file may not make a unit its own ancestor, directly or
/// through stored units (found by the `units_csv` fuzz target: a file re-issuing province `30`
/// as a commune under the stored city `30.thanh-pho-hai-duong`, itself under `30`). A cycle
/// has a day all its versions are in force on (the latest first day among them), so walking up
/// from every version on its own first day finds every cycle; each is reported once, on the
/// first line of the file it goes through.
fn parent_cycles(rows: &[(u64, Unit)], after: &UnitTree) -> Vec<ImportProblem> {
    let lines: HashMap<&str, u64> = rows.iter().map(|(l, u)| (u.code.as_str(), *l)).collect();
    let mut reported = HashSet::new();
    let mut problems = Vec::new();
    for start in after.all() {
        let day = start.valid_from;
        let mut path: Vec<&Unit> = Vec::new();
        let mut on_path: HashSet<&str> = HashSet::new();
        let mut at = Some(start);
        while let Some(u) = at {
            if !on_path.insert(u.code.as_str()) {
                let from = path.iter().position(|v| v.code == u.code).unwrap_or(0);
                let mut cycle: Vec<&Unit> = path[from..].to_vec();
                // Told the same way whichever version the walk started from: from the
                // smallest code, on the latest first day (all of them are in force then).
                let first = (0..cycle.len())
                    .min_by_key(|&k| &cycle[k].code)
                    .unwrap_or(0);
                cycle.rotate_left(first);
                let codes: Vec<&str> = cycle.iter().map(|v| v.code.as_str()).collect();
                let on = cycle.iter().map(|v| v.valid_from).max().unwrap_or(day);
                let line = codes.iter().filter_map(|c| lines.get(c)).min().copied();
                if let Some(line) = line
                    && reported.insert(format!("{} {on}", codes.join(" ")))
                {
                    problems.push(ImportProblem {
                        line,
                        message: format!(
                            "units {} → {} form a cycle of parents on {on}",
                            codes.join(" → "),
                            codes[0]
                        ),
                    });
                }
                break;
            }
            path.push(u);
            at = u.parent.as_deref().and_then(|p| after.unit(p, day));
        }
    }
    problems.sort_by(|a, b| (a.line, &a.message).cmp(&(b.line, &b.message)));
    problems
}

/// overlapping versions of a code, parents and successors that exist on the right dates.
pub fn check_rows(rows: &[(u64, Unit)], existing: &UnitTree) -> Result<(), ImportError> {
    let mut problems = Vec::new();
    let mut seen = HashSet::new();
    for (line, u) in rows {
        if !seen.insert((u.code.as_str(), u.valid_from)) {
            problems.push(ImportProblem {
                line: *line,
                message: format!("unit {} valid from {} appears twice", u.code, u.valid_from),
            });
        }
    }
    // The tree as it would be after the import: stored versions overlaid with the file's.
    let mut combined: HashMap<(String, NaiveDate), Unit> = existing
        .all()
        .map(|u| ((u.code.clone(), u.valid_from), u.clone()))
        .collect();
    for (_, u) in rows {
        combined.insert((u.code.clone(), u.valid_from), u.clone());
    }
    let after = UnitTree::new(combined.into_values().collect());
    for (line, u) in rows {
        let mut report = |message| {
            problems.push(ImportProblem {
                line: *line,
                message,
            })
        };
        for other in after.versions(&u.code) {
            let overlap = other.valid_from != u.valid_from
                && other.valid_from <= u.valid_to.unwrap_or(NaiveDate::MAX)
                && u.valid_from <= other.valid_to.unwrap_or(NaiveDate::MAX);
            if overlap {
                report(format!(
                    "unit {} overlaps its other version valid from {}",
                    u.code, other.valid_from
                ));
            }
        }
        if let Some(parent) = &u.parent {
            // A date inside the unit's validity to resolve its parent on.
            let anchor = if u.valid_from != BEGINNING {
                u.valid_from
            } else {
                u.valid_to
                    .unwrap_or_else(|| chrono::Utc::now().date_naive())
            };
            if after.unit(parent, anchor).is_none() {
                report(format!(
                    "parent {parent} of {} does not exist on {anchor}",
                    u.code
                ));
            }
        }
        if let Some(next_day) = u.valid_to.and_then(|t| t.checked_add_days(Days::new(1))) {
            for s in &u.successors {
                if after.unit(&s.code, next_day).is_none() {
                    report(format!(
                        "successor {} of {} does not exist on {next_day}",
                        s.code, u.code
                    ));
                }
            }
        }
    }
    problems.extend(parent_cycles(rows, &after));
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ImportError { problems })
    }
}

/// Parse, check and import a unit CSV in one transaction, then reload the in-memory tree.
pub async fn import_csv(
    storage: &dyn Storage,
    units: &Units,
    input: impl Read,
) -> Result<ImportCounts> {
    let rows = parse_csv(input)?;
    check_rows(&rows, &units.tree())?;
    let rows: Vec<Unit> = rows.into_iter().map(|(_, u)| u).collect();
    let counts = storage.upsert_units(&rows).await?;
    units.reload(storage).await?;
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "code,name,level,parent,valid_from,valid_to,successors\n";

    #[test]
    fn parses_successors_and_open_dates() {
        let csv = format!(
            "{HEAD}31,Thành phố Hải Phòng,province,,,,\n\
             11533,Phường An Lư,commune,31,,2025-06-30,11560:mot_phan;11533:phan_con_lai\n"
        );
        let rows = parse_csv(csv.as_bytes()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].1.valid_from, BEGINNING);
        assert_eq!(rows[1].0, 3);
        assert_eq!(rows[1].1.successors[0].code, "11533");
        assert_eq!(
            rows[1].1.successors[0].share.as_deref(),
            Some("phan_con_lai")
        );
    }

    #[test]
    fn bad_rows_are_reported_with_their_lines() {
        let csv = format!(
            "{HEAD}31,Hải Phòng,province,,,,\n\
             1,Xã A,commune,31,2025-13-01,,\n\
             2,,commune,31,,,\n\
             3,Xã C,Commune,31,,,\n"
        );
        let err = parse_csv(csv.as_bytes()).unwrap_err();
        let lines: Vec<u64> = err.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, vec![3, 4, 5]);
        assert!(err.to_string().contains("line 3: valid_from `2025-13-01`"));
    }

    /// Found by the `units_csv` fuzz target: with `\r` line endings (a CSV saved by older Mac
    /// spreadsheets) the CSV reader counted every row as line 1, so two problems on different
    /// rows were reported on the same line.
    #[test]
    fn lines_are_counted_with_any_line_ending() {
        let head = HEAD.trim_end();
        let csv = format!(
            "{head}\r31,Hải Phòng,province,,,,\r1,Xã A,commune,31,2025-13-01,,\r\
             2,,commune,31,,,\r\n3,Xã C,Commune,31,,,\n"
        );
        let err = parse_csv(csv.as_bytes()).unwrap_err();
        let lines: Vec<u64> = err.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, vec![3, 4, 5]);
        let ok = format!(
            "{HEAD}31,Hải Phòng,province,,,,\r\"1\",\"Xã\rA\",commune,31,,,\r\n\
             2,Xã B,commune,31,,,\n"
        );
        let rows = parse_csv(ok.as_bytes()).unwrap();
        let lines: Vec<u64> = rows.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, vec![2, 3, 5]);
    }

    #[test]
    fn missing_parent_and_overlap_are_caught() {
        let csv = format!(
            "{HEAD}31,Hải Phòng,province,,,,\n\
             1,Xã A,commune,99,2025-07-01,,\n\
             2,Xã B,commune,31,,2025-06-30,\n\
             2,Xã B mới,commune,31,2025-06-01,,\n"
        );
        let rows = parse_csv(csv.as_bytes()).unwrap();
        let err = check_rows(&rows, &UnitTree::default()).unwrap_err();
        let lines: Vec<u64> = err.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, vec![3, 4, 5]);
    }

    /// Found by the `units_csv` fuzz target: province `30` re-issued as a commune under the
    /// stored city `30.thanh-pho-hai-duong`, whose parent is `30`, made the tree's walks loop.
    #[test]
    fn a_cycle_through_stored_units_is_refused() {
        let stored = format!(
            "{HEAD}30,Tỉnh Hải Dương,province,,,2025-06-30,\n\
             30.thanh-pho-hai-duong,Thành phố Hải Dương,district,30,,2025-06-30,\n"
        );
        let stored = UnitTree::new(
            parse_csv(stored.as_bytes())
                .unwrap()
                .into_iter()
                .map(|(_, u)| u)
                .collect(),
        );
        let file = format!("{HEAD}30,Tỉnh Hải Dương,commune,30.thanh-pho-hai-duong,,2024-06-30,\n");
        let rows = parse_csv(file.as_bytes()).unwrap();
        let err = check_rows(&rows, &stored).unwrap_err();
        assert_eq!(err.problems.len(), 1, "{err}");
        assert_eq!(err.problems[0].line, 2);
        assert_eq!(
            err.problems[0].message,
            "units 30 → 30.thanh-pho-hai-duong → 30 form a cycle of parents on 0001-01-01"
        );
        // Under the city instead, it is a tree again.
        let file = format!("{HEAD}30,Tỉnh Hải Dương,province,,,2024-06-30,\n");
        check_rows(&parse_csv(file.as_bytes()).unwrap(), &stored).unwrap();
    }

    #[test]
    fn a_cycle_within_the_file_is_refused_once() {
        let csv = format!(
            "{HEAD}31,Hải Phòng,province,,,,\n\
             A,Xã A,commune,B,2025-07-01,,\n\
             B,Xã B,commune,A,2025-07-01,,\n\
             C,Xã C,commune,31,2025-07-01,,\n"
        );
        let rows = parse_csv(csv.as_bytes()).unwrap();
        let err = check_rows(&rows, &UnitTree::default()).unwrap_err();
        let problems: Vec<(u64, &str)> = err
            .problems
            .iter()
            .map(|p| (p.line, p.message.as_str()))
            .collect();
        assert_eq!(
            problems,
            vec![(3, "units A → B → A form a cycle of parents on 2025-07-01")]
        );
    }
}
