//! Plain data the store returns: list rows, list filters, the home-screen summary, sync state.

use serde::{Deserialize, Serialize};

use crate::model::common::{Date, Timestamp};
use crate::record::RecordKind;

/// Filters and paging of [`super::Store::list`]. Every filter is optional; results are sorted
/// newest first (by main date, then creation time).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListQuery {
    /// Only this kind.
    pub kind: Option<RecordKind>,
    /// Only this status code.
    pub status: Option<String>,
    /// Only this unit code.
    pub unit: Option<String>,
    /// Main date on or after.
    pub from: Option<Date>,
    /// Main date on or before.
    pub to: Option<Date>,
    /// Words that must all appear (as word prefixes) in the summary or the names; case- and
    /// diacritic-insensitive (`"loi di"` finds `"Lối Đi"`).
    pub text: Option<String>,
    /// Only records with unresolved conflicts.
    pub conflicts_only: bool,
    /// Only records with local changes not yet accepted by the server (dirty, or rejected:
    /// a refused change stays on the phone until it is discarded or fixed and resent).
    pub unsynced_only: bool,
    /// At most this many rows (all if `None`).
    pub limit: Option<u32>,
    /// Skip this many rows first.
    pub offset: u32,
}

/// One row of a record list: what a list screen shows without loading the document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordSummary {
    /// Record id.
    pub id: String,
    /// Kind.
    pub kind: RecordKind,
    /// Status code.
    pub status: String,
    /// Whether the status is a closed one.
    pub closed: bool,
    /// Unit code.
    pub unit: String,
    /// Main date.
    pub main_date: Option<Date>,
    /// Closing date.
    pub closed_on: Option<Date>,
    /// Category code.
    pub category: Option<String>,
    /// Summary text.
    pub summary: String,
    /// When the record was created.
    pub created_at: Timestamp,
    /// When the store last wrote it (local edit or merge).
    pub updated_at: Timestamp,
    /// Whether some field has concurrent values to resolve.
    pub has_conflicts: bool,
    /// Sync state.
    pub sync_state: SyncState,
    /// Whether it has local changes the server has not accepted yet.
    pub dirty: bool,
}

/// Where a record stands with the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncState {
    /// Never accepted by the server (new on this phone).
    LocalOnly,
    /// Sent; waiting for the server's answer.
    Sent,
    /// The server accepted the last changes it was sent (further local edits set `dirty`).
    Accepted,
    /// The server rejected the last changes; see the reason.
    Rejected,
}

impl SyncState {
    /// Stable code stored in the database.
    pub fn code(self) -> &'static str {
        match self {
            SyncState::LocalOnly => "local_only",
            SyncState::Sent => "sent",
            SyncState::Accepted => "accepted",
            SyncState::Rejected => "rejected",
        }
    }

    /// Parse a stored code (unknown codes read as `LocalOnly`, which only causes a resend).
    pub fn from_code(code: &str) -> SyncState {
        match code {
            "sent" => SyncState::Sent,
            "accepted" => SyncState::Accepted,
            "rejected" => SyncState::Rejected,
            _ => SyncState::LocalOnly,
        }
    }
}

/// Why the server refused a record's changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    /// Machine-readable reason (`out_of_scope`, `invalid`, `forbidden_kind`, …).
    pub code: String,
    /// The server's detail (the fields that broke a rule…; no personal data). The reason's
    /// label in Vietnamese and English comes from `code` (`RejectReason::label`).
    pub message: String,
}

/// Sync bookkeeping of one record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncStatus {
    /// State of the last exchange.
    pub state: SyncState,
    /// Local changes not yet accepted.
    pub dirty: bool,
    /// Reason of the last rejection, while rejected.
    pub rejection: Option<Rejection>,
    /// Heads the server is known to have (empty if none).
    pub last_synced_heads: Vec<automerge::ChangeHash>,
}

/// Number of records of one kind in one status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindStatusCount {
    /// Kind.
    pub kind: RecordKind,
    /// Status code.
    pub status: String,
    /// How many.
    pub count: u64,
}

/// The phone's home screen: counts only, one query each.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HomeSummary {
    /// All records.
    pub total: u64,
    /// Counts by kind and status, ordered by kind then status.
    pub by_kind_status: Vec<KindStatusCount>,
    /// Records with at least one overdue item as of the date asked.
    pub overdue: u64,
    /// Records with local changes not yet accepted by the server (dirty or rejected).
    pub unsynced: u64,
    /// Records whose last changes the server rejected.
    pub rejected: u64,
    /// Records with unresolved conflicts or rules left for review by a merge.
    pub conflicts: u64,
    /// Records that need a person: rejected, or with a conflict or a rule left for review
    /// (each record counted once).
    pub needs_attention: u64,
}

/// Where the bytes of a store go (for the benchmark and diagnostics).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StorageStats {
    /// Number of records.
    pub records: u64,
    /// Size of the main database file (excluding the WAL).
    pub file_bytes: u64,
    /// Size of the WAL file.
    pub wal_bytes: u64,
    /// Pages in use times page size (file size minus free pages).
    pub used_page_bytes: u64,
    /// Sum of compacted document snapshots.
    pub snapshot_bytes: u64,
    /// Sum of incremental chunks not yet compacted.
    pub chunk_bytes: u64,
}
