//! `units_csv`: any bytes as a unit CSV, through what `danvan-server units import` runs before
//! writing: [`parse_csv`] (each row on its own), then [`check_rows`] (the rows against each
//! other and against the units stored), both against an empty database and against a database
//! holding the first units of the real Hải Phòng file (`server/data/units/haiphong.csv`: the
//! city, the old province and districts; the whole file is a seed, checked against an empty
//! database, but as the stored side it would make each execution a hundred times slower).
//!
//! Asserts:
//! - a rejected file reports at least one problem, each with a line number, and its message
//!   renders;
//! - every parsed row is a well-formed unit (valid code and parent, a name, a lower-case level,
//!   `valid_to` not before `valid_from`, successors unique, sorted and only with a `valid_to`),
//!   rows come in file order with their lines;
//! - the parsed units written back as CSV parse to the same units (a round trip);
//! - a file that passes the checks makes a unit tree: each of its versions is the one its code
//!   means on its first day, its parent exists on the day the import resolves it on, and
//!   following parents from it ends (no cycle), so that the tree's walks (`subtree`,
//!   `is_within`) end.

use std::sync::OnceLock;

use chrono::NaiveDate;
use danvan_server::units::{BEGINNING, Unit, UnitTree, check_rows, parse_csv};

/// The real unit data the server ships.
pub const HAIPHONG: &str = include_str!("../../server/data/units/haiphong.csv");

/// Lines of [`HAIPHONG`] stored before the fuzzed file is imported.
const STORED_LINES: usize = 40;

fn stored() -> &'static UnitTree {
    static TREE: OnceLock<UnitTree> = OnceLock::new();
    TREE.get_or_init(|| {
        let head: String = HAIPHONG
            .lines()
            .take(STORED_LINES)
            .map(|l| format!("{l}\n"))
            .collect();
        let rows = parse_csv(head.as_bytes()).expect("haiphong.csv parses");
        UnitTree::new(rows.into_iter().map(|(_, u)| u).collect())
    })
}

fn valid_code(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && !s.chars().any(|c| c.is_whitespace() || c == ';' || c == ':')
}

/// Run the target on one input.
pub fn run(data: &[u8]) {
    let rows = match parse_csv(data) {
        Ok(rows) => rows,
        Err(e) => {
            assert!(!e.problems.is_empty(), "rejected with no problem");
            assert!(!e.to_string().is_empty());
            return;
        }
    };
    let mut last = 1;
    for (line, u) in &rows {
        assert!(*line > last, "row on line {line} after line {last}");
        last = *line;
        well_formed(u);
    }
    let units: Vec<Unit> = rows.iter().map(|(_, u)| u.clone()).collect();
    let back = parse_csv(write_csv(&units).as_slice()).unwrap_or_else(|e| {
        panic!("parsed units written back do not parse: {e}");
    });
    let back: Vec<Unit> = back.into_iter().map(|(_, u)| u).collect();
    assert_eq!(back, units, "CSV round trip changed the units");

    for existing in [&UnitTree::default(), stored()] {
        if let Ok(()) = check_rows(&rows, existing) {
            let mut all: Vec<Unit> = existing.all().cloned().collect();
            all.retain(|s| {
                !units
                    .iter()
                    .any(|u| u.code == s.code && u.valid_from == s.valid_from)
            });
            all.extend(units.iter().cloned());
            is_a_tree(&UnitTree::new(all), &units);
        }
    }
}

fn well_formed(u: &Unit) {
    assert!(valid_code(&u.code), "code {:?}", u.code);
    assert!(
        !u.name.is_empty() && u.name.trim() == u.name,
        "name {:?}",
        u.name
    );
    assert!(
        !u.level.is_empty() && u.level.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
        "level {:?}",
        u.level
    );
    if let Some(p) = &u.parent {
        assert!(
            valid_code(p) && *p != u.code,
            "parent {p:?} of {:?}",
            u.code
        );
    }
    assert!(u.valid_to.is_none_or(|t| t >= u.valid_from));
    assert!(u.successors.windows(2).all(|w| w[0].code < w[1].code));
    assert!(u.successors.iter().all(|s| valid_code(&s.code)));
    assert!(u.successors.is_empty() || u.valid_to.is_some());
}

fn date(d: Option<NaiveDate>) -> String {
    d.map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

/// Units as the import's CSV.
pub fn write_csv(units: &[Unit]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let header = [
        "code",
        "name",
        "level",
        "parent",
        "valid_from",
        "valid_to",
        "successors",
    ];
    w.write_record(header).expect("CSV into a Vec");
    for u in units {
        let successors: Vec<String> = u
            .successors
            .iter()
            .map(|s| match &s.share {
                Some(share) => format!("{}:{share}", s.code),
                None => s.code.clone(),
            })
            .collect();
        w.write_record([
            u.code.as_str(),
            &u.name,
            &u.level,
            u.parent.as_deref().unwrap_or(""),
            &date(Some(u.valid_from).filter(|d| *d != BEGINNING)),
            &date(u.valid_to),
            &successors.join(";"),
        ])
        .expect("CSV into a Vec");
    }
    w.into_inner().expect("CSV into a Vec")
}

/// The checks that a tree the import accepted is a tree, for the versions `units` of the file.
fn is_a_tree(tree: &UnitTree, units: &[Unit]) {
    let n = tree.len();
    let today = chrono::Utc::now().date_naive();
    let days = |u: &Unit| [Some(u.valid_from), u.valid_to].into_iter().flatten();
    for u in units {
        assert_eq!(
            tree.unit(&u.code, u.valid_from),
            Some(u),
            "{} on {} is another version",
            u.code,
            u.valid_from
        );
        // The day the import resolves the parent on.
        let anchor = if u.valid_from != BEGINNING {
            u.valid_from
        } else {
            u.valid_to.unwrap_or(today)
        };
        if let Some(p) = &u.parent {
            assert!(
                tree.unit(p, anchor).is_some(),
                "parent {p} of {} missing on {anchor}",
                u.code
            );
        }
        // Parents from `u` end within as many steps as there are units.
        for day in days(u).chain([anchor]) {
            let mut at = Some(u);
            let mut steps = 0;
            while let Some(v) = at {
                steps += 1;
                assert!(
                    steps <= n + 1,
                    "the parents of {} on {day} form a cycle",
                    u.code
                );
                at = v.parent.as_deref().and_then(|p| tree.unit(p, day));
            }
        }
    }
    // With no cycle, the walks down end too.
    for u in units {
        for day in days(u) {
            assert!(tree.subtree(&u.code, day).len() <= n);
        }
    }
}
