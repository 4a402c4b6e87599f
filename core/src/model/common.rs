//! Value types shared by the three record kinds: calendar dates, instants, people, money.

use std::fmt;
use std::str::FromStr;

use autosurgeon::{Hydrate, HydrateError, Reconcile, Reconciler, reconcile::NoKey};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A calendar date (no time, no zone), stored in documents as `"YYYY-MM-DD"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Date(pub NaiveDate);

impl Date {
    /// Build from year, month, day; `None` if the date does not exist.
    pub fn ymd(y: i32, m: u32, d: u32) -> Option<Date> {
        NaiveDate::from_ymd_opt(y, m, d).map(Date)
    }

    /// Today's date in Vietnam (UTC+7), which is what "today" means to every user.
    pub fn today_vn() -> Date {
        let now = chrono::Utc::now() + chrono::Duration::hours(7);
        Date(now.date_naive())
    }

    /// Whole days from `self` to `later` (negative if `later` is earlier).
    pub fn days_until(&self, later: Date) -> i64 {
        (later.0 - self.0).num_days()
    }

    /// This date plus `days`.
    pub fn plus_days(&self, days: i64) -> Date {
        Date(self.0 + chrono::Duration::days(days))
    }

    /// Days since 1970-01-01 (for compact indexes).
    pub fn epoch_days(&self) -> i64 {
        self.0
            .signed_duration_since(NaiveDate::default())
            .num_days()
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d"))
    }
}

impl FromStr for Date {
    type Err = chrono::ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").map(Date)
    }
}

impl Reconcile for Date {
    type Key<'a> = NoKey;
    fn reconcile<R: Reconciler>(&self, reconciler: R) -> Result<(), R::Error> {
        self.to_string().reconcile(reconciler)
    }
}

impl Hydrate for Date {
    fn hydrate_string(s: &'_ str) -> Result<Self, HydrateError> {
        s.parse()
            .map_err(|_| HydrateError::unexpected("a date YYYY-MM-DD", s.to_string()))
    }
}

/// An instant, as milliseconds since the Unix epoch (UTC).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    Reconcile,
    Hydrate,
)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// Now.
    pub fn now() -> Timestamp {
        Timestamp(chrono::Utc::now().timestamp_millis())
    }

    /// The calendar date of this instant in Vietnam (UTC+7).
    pub fn date_vn(&self) -> Date {
        let utc = chrono::DateTime::from_timestamp_millis(self.0).unwrap_or_default();
        Date((utc + chrono::Duration::hours(7)).date_naive())
    }
}

/// A person named in a record: a mediator, member, invited person or official.
///
/// `id` is the person's account id when they have one (mediators, board members); free-text
/// people (an invited elder) have only a name.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct PersonRef {
    /// Account id of the person, when known.
    pub id: Option<String>,
    /// Full name as written in the logbook.
    pub name: String,
    /// Role or position in this record ("trưởng thôn", "cán bộ tư pháp"), free text.
    pub role: Option<String>,
}

impl PersonRef {
    /// A person known only by name.
    pub fn named(name: impl Into<String>) -> PersonRef {
        PersonRef {
            id: None,
            name: name.into(),
            role: None,
        }
    }
}

crate::coded_enum! {
    /// Sex of a party (giới tính).
    pub enum Sex : "sex" {
        /// Nam.
        Male = ("male", "Nam", "Male"),
        /// Nữ.
        Female = ("female", "Nữ", "Female"),
        /// Not recorded / other.
        Other = ("other", "Khác", "Other"),
    }
}

/// A new list-element id: a UUIDv7 string, so that concurrent inserts of list items on two
/// devices (parties, sessions, findings…) are matched by id when merging, never confused.
pub fn new_item_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
