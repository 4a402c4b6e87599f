//! Plain records that cross the FFI, mirroring core's types, with `From` conversions. Dates are
//! `"YYYY-MM-DD"` strings (the format core stores), instants are milliseconds since the Unix
//! epoch, enumerated values are their stable codes (see [`crate::labels`] for their labels).

use danvan_core::model::common::Date;
use danvan_core::store;
use danvan_core::sync::RejectReason;
use danvan_core::{Coded, Lang};

use crate::error::{DanvanError, Result};

/// The app's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Language {
    /// Tiếng Việt (the default of the product).
    Vi,
    /// English.
    En,
}

impl From<Language> for Lang {
    fn from(l: Language) -> Lang {
        match l {
            Language::Vi => Lang::Vi,
            Language::En => Lang::En,
        }
    }
}

/// The three kinds of record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum RecordKind {
    /// Vụ việc hòa giải ở cơ sở.
    Mediation,
    /// Hoạt động thanh tra nhân dân.
    Inspection,
    /// Kiểm tra thực hiện dân chủ ở cơ sở.
    Democracy,
    /// Đơn khiếu nại, tố cáo, kiến nghị, phản ánh.
    Petition,
    /// Đối thoại trực tiếp với Nhân dân.
    Dialogue,
}

impl From<danvan_core::RecordKind> for RecordKind {
    fn from(k: danvan_core::RecordKind) -> Self {
        match k {
            danvan_core::RecordKind::Mediation => RecordKind::Mediation,
            danvan_core::RecordKind::Inspection => RecordKind::Inspection,
            danvan_core::RecordKind::Democracy => RecordKind::Democracy,
            danvan_core::RecordKind::Petition => RecordKind::Petition,
            danvan_core::RecordKind::Dialogue => RecordKind::Dialogue,
        }
    }
}

impl From<RecordKind> for danvan_core::RecordKind {
    fn from(k: RecordKind) -> Self {
        match k {
            RecordKind::Mediation => danvan_core::RecordKind::Mediation,
            RecordKind::Inspection => danvan_core::RecordKind::Inspection,
            RecordKind::Democracy => danvan_core::RecordKind::Democracy,
            RecordKind::Petition => danvan_core::RecordKind::Petition,
            RecordKind::Dialogue => danvan_core::RecordKind::Dialogue,
        }
    }
}

/// A stable code with its Vietnamese and English labels.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CodeLabel {
    /// Stable code (stored and sent).
    pub code: String,
    /// Vietnamese label.
    pub vi: String,
    /// English label.
    pub en: String,
}

impl CodeLabel {
    /// The code and label of a coded enum value.
    pub(crate) fn of<C: Coded>(v: C) -> CodeLabel {
        let l = v.label();
        CodeLabel {
            code: v.code().to_string(),
            vi: l.vi.to_string(),
            en: l.en.to_string(),
        }
    }
}

/// One broken rule: the field, a stable code and the message in both languages.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ValidationIssue {
    /// Dotted path of the field (`mediation.parties`, `mediation.started_on`, …).
    pub field: String,
    /// Stable rule code (`required`, `date_order`, `unknown_code`, …).
    pub code: String,
    /// Vietnamese message.
    pub vi: String,
    /// English message.
    pub en: String,
}

impl From<danvan_core::ValidationIssue> for ValidationIssue {
    fn from(i: danvan_core::ValidationIssue) -> Self {
        ValidationIssue {
            field: i.field,
            code: i.code,
            vi: i.vi,
            en: i.en,
        }
    }
}

/// Where a record stands with the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum SyncState {
    /// Never accepted by the server (new on this phone).
    LocalOnly,
    /// Sent; waiting for the server's answer.
    Sent,
    /// The server accepted the last changes it was sent (later local edits set `dirty`).
    Accepted,
    /// The server rejected the last changes: see the rejection.
    Rejected,
}

impl From<store::SyncState> for SyncState {
    fn from(s: store::SyncState) -> Self {
        match s {
            store::SyncState::LocalOnly => SyncState::LocalOnly,
            store::SyncState::Sent => SyncState::Sent,
            store::SyncState::Accepted => SyncState::Accepted,
            store::SyncState::Rejected => SyncState::Rejected,
        }
    }
}

/// Why the server refused a record's changes.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Rejection {
    /// Machine-readable reason: `out_of_scope`, `forbidden_kind`, `read_only`, `invalid`, …
    pub code: String,
    /// Vietnamese message.
    pub vi: String,
    /// English message.
    pub en: String,
    /// What the phone stored with it (e.g. the fields that broke a rule), no personal data.
    pub detail: String,
}

/// A record's sync bookkeeping.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SyncInfo {
    /// State of the last exchange.
    pub state: SyncState,
    /// Local changes not yet accepted by the server.
    pub dirty: bool,
    /// The reason, while rejected.
    pub rejection: Option<Rejection>,
}

impl From<store::SyncStatus> for SyncInfo {
    fn from(s: store::SyncStatus) -> Self {
        let rejection = s.rejection.map(|r| {
            let label = RejectReason::from_code(&r.code).map(|reason| reason.label());
            Rejection {
                vi: label.map_or_else(|| r.message.clone(), |l| l.vi.to_string()),
                en: label.map_or_else(|| r.code.clone(), |l| l.en.to_string()),
                code: r.code,
                detail: r.message,
            }
        });
        SyncInfo {
            state: s.state.into(),
            dirty: s.dirty,
            rejection,
        }
    }
}

/// One row of a record list (from the index, without loading the document).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RecordRow {
    /// Record id.
    pub id: String,
    /// Kind.
    pub kind: RecordKind,
    /// Status code and labels.
    pub status: CodeLabel,
    /// Whether the status is a closed one.
    pub closed: bool,
    /// Unit code.
    pub unit: String,
    /// Main date (`YYYY-MM-DD`).
    pub main_date: Option<String>,
    /// Closing date.
    pub closed_on: Option<String>,
    /// Category code.
    pub category: Option<String>,
    /// Summary text.
    pub summary: String,
    /// Creation time (ms since the epoch).
    pub created_at_ms: i64,
    /// Last local write (edit or merge), ms since the epoch.
    pub updated_at_ms: i64,
    /// Whether a person has to decide something: a field or the status with concurrent values,
    /// or a rule left for review by a merge (see `DanvanStore.review_issues`).
    pub has_conflicts: bool,
    /// Sync state.
    pub sync_state: SyncState,
    /// Local changes not yet accepted.
    pub dirty: bool,
}

impl From<store::RecordSummary> for RecordRow {
    fn from(r: store::RecordSummary) -> Self {
        RecordRow {
            status: status_label(r.kind, &r.status),
            id: r.id,
            kind: r.kind.into(),
            closed: r.closed,
            unit: r.unit,
            main_date: r.main_date.map(|d| d.to_string()),
            closed_on: r.closed_on.map(|d| d.to_string()),
            category: r.category,
            summary: r.summary,
            created_at_ms: r.created_at.0,
            updated_at_ms: r.updated_at.0,
            has_conflicts: r.has_conflicts,
            sync_state: r.sync_state.into(),
            dirty: r.dirty,
        }
    }
}

/// The labels of a status code of `kind` (the code itself as label if unknown to this build).
pub(crate) fn status_label(kind: danvan_core::RecordKind, code: &str) -> CodeLabel {
    use danvan_core::model::{democracy, dialogue, inspection, mediation, petition};
    let found = match kind {
        danvan_core::RecordKind::Mediation => {
            mediation::MediationStatus::from_code(code).map(CodeLabel::of)
        }
        danvan_core::RecordKind::Inspection => {
            inspection::InspectionStatus::from_code(code).map(CodeLabel::of)
        }
        danvan_core::RecordKind::Democracy => {
            democracy::CheckStatus::from_code(code).map(CodeLabel::of)
        }
        danvan_core::RecordKind::Petition => {
            petition::PetitionStatus::from_code(code).map(CodeLabel::of)
        }
        danvan_core::RecordKind::Dialogue => {
            dialogue::DialogueStatus::from_code(code).map(CodeLabel::of)
        }
    };
    found.unwrap_or_else(|| CodeLabel {
        code: code.to_string(),
        vi: code.to_string(),
        en: code.to_string(),
    })
}

/// The statuses a record of `kind` in status `code` may move to, with labels.
pub(crate) fn next_statuses(kind: danvan_core::RecordKind, code: &str) -> Vec<CodeLabel> {
    use danvan_core::model::{democracy, dialogue, inspection, mediation, petition};
    fn next<S: danvan_core::Lifecycle>(code: &str) -> Vec<CodeLabel> {
        S::from_code(code)
            .map(|s| s.next().iter().copied().map(CodeLabel::of).collect())
            .unwrap_or_default()
    }
    match kind {
        danvan_core::RecordKind::Mediation => next::<mediation::MediationStatus>(code),
        danvan_core::RecordKind::Inspection => next::<inspection::InspectionStatus>(code),
        danvan_core::RecordKind::Democracy => next::<democracy::CheckStatus>(code),
        danvan_core::RecordKind::Petition => next::<petition::PetitionStatus>(code),
        danvan_core::RecordKind::Dialogue => next::<dialogue::DialogueStatus>(code),
    }
}

/// Filters of a record list; every filter is optional. Newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, uniffi::Record)]
pub struct ListFilter {
    /// Only this kind.
    #[uniffi(default)]
    pub kind: Option<RecordKind>,
    /// Only this status code.
    #[uniffi(default)]
    pub status: Option<String>,
    /// Only this unit code.
    #[uniffi(default)]
    pub unit: Option<String>,
    /// Main date on or after (`YYYY-MM-DD`).
    #[uniffi(default)]
    pub from: Option<String>,
    /// Main date on or before.
    #[uniffi(default)]
    pub to: Option<String>,
    /// Words that must all appear (as word prefixes) in the summary or names; case- and
    /// diacritic-insensitive (`"loi di"` finds `"Lối đi"`).
    #[uniffi(default)]
    pub text: Option<String>,
    /// Only records with unresolved conflicts or rules left for review.
    #[uniffi(default)]
    pub conflicts_only: bool,
    /// Only records with local changes not yet accepted, or whose changes the server rejected
    /// (a rejected record stays here until it is discarded, fixed or resent).
    #[uniffi(default)]
    pub unsynced_only: bool,
    /// At most this many rows.
    #[uniffi(default)]
    pub limit: Option<u32>,
    /// Skip this many rows first.
    #[uniffi(default)]
    pub offset: u32,
}

impl ListFilter {
    /// Core's query.
    pub(crate) fn to_query(&self) -> Result<store::ListQuery> {
        Ok(store::ListQuery {
            kind: self.kind.map(Into::into),
            status: self.status.clone(),
            unit: self.unit.clone(),
            from: opt_date("filter.from", self.from.as_deref())?,
            to: opt_date("filter.to", self.to.as_deref())?,
            text: self.text.clone(),
            conflicts_only: self.conflicts_only,
            unsynced_only: self.unsynced_only,
            limit: self.limit,
            offset: self.offset,
        })
    }
}

/// Parse a `YYYY-MM-DD` date, or an [`DanvanError::InvalidInput`] naming `field`.
pub(crate) fn date(field: &str, s: &str) -> Result<Date> {
    s.trim().parse().map_err(|_| {
        DanvanError::invalid(
            field,
            "bad_date",
            "Ngày không hợp lệ (định dạng NNNN-TT-NN).",
            "Not a valid date (format YYYY-MM-DD).",
        )
    })
}

/// [`date`] for an optional field (an empty string counts as none).
pub(crate) fn opt_date(field: &str, s: Option<&str>) -> Result<Option<Date>> {
    match s.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => date(field, s).map(Some),
    }
}

/// One change in a record's status history.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct StatusChange {
    /// Entry id (what `correct` names).
    pub id: String,
    /// Previous status code (none for the first entry).
    pub from: Option<String>,
    /// New status, with labels.
    pub to: CodeLabel,
    /// Effective date.
    pub on: String,
    /// When it was recorded (ms since the epoch).
    pub at_ms: i64,
    /// Device that made it.
    pub by: String,
    /// Note (for a correction: its reason).
    pub note: Option<String>,
    /// For a correction: the id of the closing it corrects.
    pub corrects: Option<String>,
    /// This closing was corrected: it never counts (show it struck through).
    pub corrected: bool,
    /// This is the latest closing in force: `correct` may name it.
    pub correctable: bool,
}

/// An overdue item (a deadline passed) of one record.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct OverdueItem {
    /// Record id.
    pub record_id: String,
    /// Record kind.
    pub kind: RecordKind,
    /// Stable rule code (`mediation_start`, `recommendation_answer`, …).
    pub rule: String,
    /// Field or item concerned.
    pub field: String,
    /// The deadline (`YYYY-MM-DD`).
    pub due_on: String,
    /// Days past it.
    pub days_late: i64,
    /// Vietnamese message.
    pub vi: String,
    /// English message.
    pub en: String,
}

impl OverdueItem {
    /// From core's triple.
    pub(crate) fn from_core(
        (id, kind, o): (String, danvan_core::RecordKind, danvan_core::Overdue),
    ) -> Self {
        OverdueItem {
            record_id: id,
            kind: kind.into(),
            rule: o.rule,
            field: o.field,
            due_on: o.due_on.to_string(),
            days_late: o.days_late,
            vi: o.vi,
            en: o.en,
        }
    }
}

/// Number of records of one kind in one status.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct KindStatusCount {
    /// Kind.
    pub kind: RecordKind,
    /// Status code and labels.
    pub status: CodeLabel,
    /// How many.
    pub count: u64,
}

/// The home screen's counts.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HomeSummary {
    /// All records.
    pub total: u64,
    /// By kind and status.
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
    /// (each record counted once). The home screen's "needs attention" badge.
    pub needs_attention: u64,
}

impl From<store::HomeSummary> for HomeSummary {
    fn from(s: store::HomeSummary) -> Self {
        HomeSummary {
            total: s.total,
            by_kind_status: s
                .by_kind_status
                .into_iter()
                .map(|c| KindStatusCount {
                    status: status_label(c.kind, &c.status),
                    kind: c.kind.into(),
                    count: c.count,
                })
                .collect(),
            overdue: s.overdue,
            unsynced: s.unsynced,
            rejected: s.rejected,
            conflicts: s.conflicts,
            needs_attention: s.needs_attention,
        }
    }
}

/// One competing value of a conflicted field (or of the status).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ConflictValue {
    /// The value as text (`"2025-03-04"`, `"true"`, `"{…}"` for an object); for the status, the
    /// status code (`"mediating"`; labels from `label("mediation.status", value)`).
    pub value: String,
    /// Device that wrote it (for the status, the device that made the transition).
    pub author: String,
}

/// A field two devices changed concurrently, or the status when two devices moved the record
/// at once (path `"status"`). Nothing is lost: the conflict stays on every device, through
/// edits of other fields and transitions, until a person chooses.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Conflict {
    /// Path of the field (`body.Mediation.summary`), or `"status"` for a status conflict; pass
    /// it back to `resolve_conflict`.
    pub path: String,
    /// The value the record shows now (on every device that has the same changes); always
    /// equal to `values[0]`.
    pub current: ConflictValue,
    /// Every competing value, the shown one first (`values[0] == current`); resolve by index
    /// into this list: 0 keeps the value shown, any other index switches to that value. For a
    /// status conflict every choice is a valid status.
    pub values: Vec<ConflictValue>,
}

/// What `DanvanStore.discard_rejected` did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
#[allow(
    clippy::large_enum_variant,
    reason = "returned once per tap and lowered by value across the FFI; a Box would not help"
)]
pub enum Discarded {
    /// The record is back to the state the server last accepted, written as a new change that
    /// the next sync sends (so the server and the other devices see the undoing too).
    Reverted {
        /// The record as it is now.
        record: crate::store::RecordView,
    },
    /// The server never accepted the record: it was removed from this phone.
    Removed,
}

impl From<danvan_core::Conflict> for Conflict {
    fn from(c: danvan_core::Conflict) -> Self {
        let v = |v: danvan_core::ConflictValue| ConflictValue {
            value: v.value,
            author: v.author,
        };
        Conflict {
            path: c.path,
            current: v(c.current),
            values: c.values.into_iter().map(v).collect(),
        }
    }
}
