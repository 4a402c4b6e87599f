//! A record: the envelope every kind shares, the kind's body, and the status history.
//!
//! One record is one Automerge document whose root holds `envelope`, `body` and `history`.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::config::RulesConfig;
use crate::error::{CoreError, Result};
use crate::label::Coded;
use crate::lifecycle::{Lifecycle, Overdue, StatusChange, status_as_of};
use crate::model::common::{Date, Timestamp, new_item_id};
use crate::model::{DemocracyCheck, InspectionActivity, MediationCase};
use crate::validate::ValidationIssue;

/// The schema version this build writes. Bump it with an upgrade step when a field changes
/// meaning; adding an optional field does not need a bump.
pub const SCHEMA_VERSION: u32 = 1;

crate::coded_enum! {
    /// The three kinds of record.
    pub enum RecordKind : "record.kind" {
        /// Vụ việc hòa giải ở cơ sở.
        Mediation = ("mediation", "Vụ việc hòa giải", "Mediation case"),
        /// Hoạt động thanh tra nhân dân.
        Inspection = ("inspection", "Hoạt động thanh tra nhân dân", "People's inspection activity"),
        /// Kiểm tra thực hiện dân chủ ở cơ sở.
        Democracy = ("democracy", "Kiểm tra thực hiện dân chủ ở cơ sở", "Grassroots-democracy check"),
    }
}

/// What every record carries besides its body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Envelope {
    /// Record id: a UUIDv7 made on the device, as a hyphenated string.
    pub id: String,
    /// Kind of record (must match the body).
    pub kind: RecordKind,
    /// Schema version the record was written with.
    pub schema_version: u32,
    /// Code of the administrative unit the record was entered under (a village for mediation
    /// teams, a commune for boards and checks). Kept as entered; reports follow successors.
    pub unit: String,
    /// Device that created the record.
    pub created_by: String,
    /// When it was created.
    pub created_at: Timestamp,
}

/// The body of a record: one of the three kinds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
#[serde(tag = "kind", rename_all = "lowercase")]
// Bodies are a few hundred bytes, held one or a few at a time; boxing them would change how
// every caller builds a body (`RecordBody::Mediation(case)`).
#[allow(clippy::large_enum_variant)]
pub enum RecordBody {
    /// A mediation case.
    Mediation(MediationCase),
    /// A people's inspection activity.
    Inspection(InspectionActivity),
    /// A grassroots-democracy compliance check.
    Democracy(DemocracyCheck),
}

/// Fields the offline store and the server index for lists, filters and reports.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct IndexFields {
    /// Main date of the record (received on / start on / check date).
    pub main_date: Option<Date>,
    /// Date the record closed, if closed.
    pub closed_on: Option<Date>,
    /// Category code (mediation category, inspection topic, check rating…).
    pub category: Option<String>,
    /// Short title or summary for lists and text search.
    pub summary: String,
    /// Names of parties or subjects, for text search (personal data: phone only).
    pub names: Vec<String>,
}

/// What each record kind implements: its status machine, rules and index projection.
pub trait KindRules {
    /// The kind's status enum.
    type Status: Lifecycle;
    /// Current status.
    fn status(&self) -> Self::Status;
    /// Set the status (called by [`Record::transition`] after the machine allowed it); a kind
    /// may also fill dates that the transition implies (e.g. `closed_on`).
    fn apply_status(&mut self, to: Self::Status, on: Date);
    /// Check the body; push every broken rule.
    fn validate(&self, cfg: &RulesConfig, out: &mut Vec<ValidationIssue>);
    /// What is overdue as of `as_of`.
    fn overdue(&self, cfg: &RulesConfig, as_of: Date) -> Vec<Overdue>;
    /// Fields for the list index.
    fn index(&self) -> IndexFields;
    /// Subtype code for reports (mediation subtype, inspection activity type), if any.
    fn subtype(&self) -> Option<String> {
        None
    }
    /// Numeric measures for the fact row (see [`crate::facts::Fact::measures`]); no personal data.
    fn measures(&self, _cfg: &RulesConfig) -> Vec<(String, f64)> {
        Vec::new()
    }
}

/// A whole record as the app sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Record {
    /// Envelope.
    pub envelope: Envelope,
    /// Body.
    pub body: RecordBody,
    /// Status history, oldest first (by recording order; use [`status_as_of`] for dates).
    pub history: Vec<StatusChange>,
}

macro_rules! with_body {
    ($self:expr, $b:ident => $e:expr) => {
        match $self {
            RecordBody::Mediation($b) => $e,
            RecordBody::Inspection($b) => $e,
            RecordBody::Democracy($b) => $e,
        }
    };
}

impl RecordBody {
    /// Kind of this body.
    pub fn kind(&self) -> RecordKind {
        match self {
            RecordBody::Mediation(_) => RecordKind::Mediation,
            RecordBody::Inspection(_) => RecordKind::Inspection,
            RecordBody::Democracy(_) => RecordKind::Democracy,
        }
    }

    /// Current status code.
    pub fn status_code(&self) -> &'static str {
        with_body!(self, b => b.status().code())
    }

    /// Whether the current status is a closed one.
    pub fn is_closed(&self) -> bool {
        with_body!(self, b => b.status().is_closed())
    }

    /// Index projection.
    pub fn index(&self) -> IndexFields {
        with_body!(self, b => b.index())
    }

    /// Subtype code for reports.
    pub fn subtype(&self) -> Option<String> {
        with_body!(self, b => b.subtype())
    }

    /// Numeric measures for the fact row.
    pub fn measures(&self, cfg: &RulesConfig) -> Vec<(String, f64)> {
        with_body!(self, b => b.measures(cfg))
    }
}

impl Record {
    /// A new record of `body`'s kind under `unit`, created now by `device`, in its initial
    /// status (the body's status is reset to the machine's initial status).
    pub fn new(
        unit: impl Into<String>,
        device: impl Into<String>,
        on: Date,
        mut body: RecordBody,
    ) -> Record {
        let device = device.into();
        let at = Timestamp::now();
        with_body!(&mut body, b => b.apply_status(Lifecycle::initial(), on));
        let first = StatusChange {
            id: new_item_id(),
            from: None,
            to: body.status_code().to_string(),
            on,
            at,
            by: device.clone(),
            note: None,
        };
        Record {
            envelope: Envelope {
                id: Uuid::now_v7().to_string(),
                kind: body.kind(),
                schema_version: SCHEMA_VERSION,
                unit: unit.into(),
                created_by: device,
                created_at: at,
            },
            body,
            history: vec![first],
        }
    }

    /// Record id.
    pub fn id(&self) -> &str {
        &self.envelope.id
    }

    /// Move to the status with code `to`, effective `on`, by `by`. Checks the status machine and
    /// appends to the history.
    pub fn transition(&mut self, to: &str, on: Date, by: &str, note: Option<String>) -> Result<()> {
        fn step<B: KindRules>(b: &mut B, to: &str, on: Date) -> Result<String> {
            let from = b.status();
            let target =
                <B::Status as Coded>::from_code(to).ok_or_else(|| CoreError::UnknownCode {
                    what: <B::Status as Coded>::WHAT,
                    code: to.to_string(),
                })?;
            if !from.can_move_to(target) {
                return Err(CoreError::Transition {
                    from: from.code().into(),
                    to: to.into(),
                });
            }
            b.apply_status(target, on);
            Ok(from.code().to_string())
        }
        let from = with_body!(&mut self.body, b => step(b, to, on))?;
        self.history.push(StatusChange {
            id: new_item_id(),
            from: Some(from),
            to: to.to_string(),
            on,
            at: Timestamp::now(),
            by: by.to_string(),
            note,
        });
        Ok(())
    }

    /// Status code at the end of `cut_off` (from the history), `None` if not yet created then.
    pub fn status_as_of(&self, cut_off: Date) -> Option<&str> {
        status_as_of(&self.history, cut_off)
    }

    /// Every broken rule: envelope, body, and their consistency.
    pub fn validate(&self, cfg: &RulesConfig) -> Vec<ValidationIssue> {
        let mut out = Vec::new();
        let env = &self.envelope;
        if Uuid::parse_str(&env.id).is_err() {
            out.push(ValidationIssue::new(
                "envelope.id",
                "bad_id",
                "Mã hồ sơ không hợp lệ.",
                "The record id is not a valid UUID.",
            ));
        }
        if env.unit.trim().is_empty() {
            out.push(ValidationIssue::required("envelope.unit", "đơn vị", "Unit"));
        }
        if env.kind != self.body.kind() {
            out.push(ValidationIssue::new(
                "envelope.kind",
                "kind_mismatch",
                "Loại hồ sơ không khớp với nội dung.",
                "The record kind does not match its body.",
            ));
        }
        if env.schema_version == 0 || env.schema_version > SCHEMA_VERSION {
            out.push(ValidationIssue::new(
                "envelope.schema_version",
                "schema_version",
                "Phiên bản dữ liệu không được hỗ trợ; hãy cập nhật ứng dụng.",
                "Unsupported schema version; update the app.",
            ));
        }
        if self.history.is_empty() {
            out.push(ValidationIssue::required(
                "history",
                "lịch sử trạng thái",
                "Status history",
            ));
        }
        with_body!(&self.body, b => b.validate(cfg, &mut out));
        out
    }

    /// Ok if valid, else [`CoreError::Invalid`] with every issue.
    pub fn check(&self, cfg: &RulesConfig) -> Result<()> {
        let issues = self.validate(cfg);
        if issues.is_empty() {
            Ok(())
        } else {
            Err(CoreError::Invalid(issues))
        }
    }

    /// What is overdue as of `as_of`.
    pub fn overdue(&self, cfg: &RulesConfig, as_of: Date) -> Vec<Overdue> {
        with_body!(&self.body, b => b.overdue(cfg, as_of))
    }
}
