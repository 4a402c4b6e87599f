//! A record: the envelope every kind shares, the kind's body, and the status history.
//!
//! One record is one Automerge document whose root holds `envelope`, `body` and `history`.

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::config::RulesConfig;
use crate::error::{CoreError, Result};
use crate::label::Coded;
use crate::lifecycle::{Lifecycle, Overdue, StatusChange, Timeline, parents};
use crate::model::common::{Date, Timestamp, new_item_id};
use crate::model::{DemocracyCheck, Dialogue, InspectionActivity, MediationCase, Petition};
use crate::validate::ValidationIssue;

/// The schema version this build writes. Bump it with an upgrade step when a field changes
/// meaning; adding an optional field does not need a bump.
pub const SCHEMA_VERSION: u32 = 1;

crate::coded_enum! {
    /// The kinds of record.
    pub enum RecordKind : "record.kind" {
        /// Vụ việc hòa giải ở cơ sở.
        Mediation = ("mediation", "Vụ việc hòa giải", "Mediation case"),
        /// Hoạt động thanh tra nhân dân.
        Inspection = ("inspection", "Hoạt động thanh tra nhân dân", "People's inspection activity"),
        /// Kiểm tra thực hiện dân chủ ở cơ sở.
        Democracy = ("democracy", "Kiểm tra thực hiện dân chủ ở cơ sở", "Grassroots-democracy check"),
        /// Đơn khiếu nại, tố cáo, kiến nghị, phản ánh.
        Petition = ("petition", "Đơn khiếu nại, tố cáo, kiến nghị, phản ánh", "Citizens' petition"),
        /// Đối thoại trực tiếp, tiếp công dân của người đứng đầu.
        Dialogue = ("dialogue", "Đối thoại trực tiếp với Nhân dân", "Leaders' dialogue with citizens"),
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
    #[autosurgeon(hydrate = "crate::model::numbers::u32")]
    pub schema_version: u32,
    /// Code of the administrative unit the record was entered under (a village for mediation
    /// teams, a commune for boards and checks). Kept as entered; reports follow successors.
    pub unit: String,
    /// Device that created the record.
    pub created_by: String,
    /// When it was created.
    pub created_at: Timestamp,
    /// The day `unit` is read on, for a record entered as **historical**: a past matter recorded
    /// under the unit it happened in (an old commune or village before the 2025 reform). `None`
    /// (the usual case): the unit is read on the day the record was created, so a reused code
    /// means the unit the writer's device was enrolled in then (ADR 0004 section 4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[autosurgeon(missing = "Option::default")]
    pub unit_on: Option<Date>,
}

impl Envelope {
    /// The day the entered unit's code is read on: `unit_on` for a historical entry, else the
    /// creation day in Vietnam.
    pub fn unit_day(&self) -> Date {
        self.unit_on.unwrap_or_else(|| self.created_at.date_vn())
    }

    /// Whether the record was entered as historical (under a unit read on a past day).
    pub fn is_historical(&self) -> bool {
        self.unit_on.is_some()
    }
}

/// The body of a record: one of the kinds.
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
    /// A citizens' petition.
    Petition(Petition),
    /// A leaders' dialogue with citizens.
    Dialogue(Dialogue),
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
    /// Set the fields derived from the status history: the current status and the closing
    /// date (ADR 0007). Called on every read, so what the document holds in these fields is
    /// only a cache for readers that do not derive.
    fn set_derived(&mut self, status: Self::Status, closed_on: Option<Date>);
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
    /// Dated flows for the fact row (see [`crate::facts::Fact::flows`]): what happened on which
    /// day, so a report counts each in the period it happened in.
    fn flows(&self) -> Vec<crate::facts::Flow> {
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
    /// Status history: an append-only graph of transitions, in recording order (see
    /// [`Timeline`]; use [`Record::status_as_of`] for dates).
    pub history: Vec<StatusChange>,
    /// Files attached to the record (signed minutes, photos), by SHA-256: references only, the
    /// bytes travel apart (ADR 0014). Present from creation; a document written before
    /// attachments existed reads as none.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    #[autosurgeon(missing = "std::collections::BTreeMap::new")]
    pub attachments: std::collections::BTreeMap<String, crate::attachment::AttachmentRef>,
}

macro_rules! with_body {
    ($self:expr, $b:ident => $e:expr) => {
        match $self {
            RecordBody::Mediation($b) => $e,
            RecordBody::Inspection($b) => $e,
            RecordBody::Democracy($b) => $e,
            RecordBody::Petition($b) => $e,
            RecordBody::Dialogue($b) => $e,
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
            RecordBody::Petition(_) => RecordKind::Petition,
            RecordBody::Dialogue(_) => RecordKind::Dialogue,
        }
    }

    /// Current status code.
    pub fn status_code(&self) -> &'static str {
        with_body!(self, b => b.status().code())
    }

    /// Codes of the statuses one transition can reach from the current one.
    pub fn next_statuses(&self) -> Vec<&'static str> {
        fn next<B: KindRules>(b: &B) -> Vec<&'static str> {
            b.status().next().iter().map(Coded::code).collect()
        }
        with_body!(self, b => next(b))
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

    /// Dated flows for the fact row.
    pub fn flows(&self) -> Vec<crate::facts::Flow> {
        with_body!(self, b => b.flows())
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
            after: Vec::new(),
            keeps: None,
            corrects: None,
        };
        Record {
            envelope: Envelope {
                id: Uuid::now_v7().to_string(),
                kind: body.kind(),
                schema_version: SCHEMA_VERSION,
                unit: unit.into(),
                created_by: device,
                created_at: at,
                unit_on: None,
            },
            body,
            history: vec![first],
            attachments: std::collections::BTreeMap::new(),
        }
    }

    /// Enter this record as **historical**: its unit code is read on `on` (a past day, e.g.
    /// before the 2025 reform, when the old commune or village it happened in existed). The
    /// server checks the writer's scope through the successors of that unit (ADR 0004 §4).
    pub fn entered_as_of(mut self, on: Date) -> Record {
        self.envelope.unit_on = Some(on);
        self
    }

    /// Record id.
    pub fn id(&self) -> &str {
        &self.envelope.id
    }

    /// The status graph of the history (heads, chain in force).
    pub fn timeline(&self) -> Timeline<'_> {
        Timeline::of(&self.history)
    }

    /// Set the status and the closing date from the history (ADR 0007). Every read of a
    /// document does this; call it after changing `history` by hand.
    pub fn derive(&mut self) {
        fn set<B: KindRules>(b: &mut B, to: &str, on: Date) {
            if let Some(s) = <B::Status as Coded>::from_code(to) {
                let closed_on = s.is_closed().then_some(on);
                b.set_derived(s, closed_on);
            }
        }
        let Some(head) = self.timeline().current().map(|c| (c.to.clone(), c.on)) else {
            return;
        };
        with_body!(&mut self.body, b => set(b, &head.0, head.1));
    }

    /// Move to the status with code `to`, effective `on`, by `by`. Checks the status machine
    /// from the status shown, and appends an entry that follows the shown head. While the status
    /// is in conflict the other heads stay: the conflict waits for a person to resolve it.
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
        self.derive();
        let head = self.timeline().current().map(|c| (c.id.clone(), c.on));
        if let Some((_, head_on)) = &head
            && on < *head_on
        {
            return Err(CoreError::Invalid(vec![ValidationIssue::date_order(
                "history",
                "Ngày chuyển trạng thái không được trước ngày của trạng thái hiện tại.",
                "A status change must not take effect before the current status did.",
            )]));
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
            after: head.map(|(id, _)| vec![id]).unwrap_or_default(),
            keeps: None,
            corrects: None,
        });
        self.derive();
        Ok(())
    }

    /// Resolve a status conflict by keeping head number `choice` (an index into the heads,
    /// the shown one first: 0 keeps what every device shows). Appends a resolution entry that
    /// follows every head; the chosen branch's status and effective date carry on.
    pub fn resolve_status(&mut self, choice: usize, by: &str) -> Result<()> {
        let tl = self.timeline();
        if !tl.in_conflict() {
            return Err(CoreError::NotFound("conflict at status".into()));
        }
        let kept = *tl
            .heads
            .get(choice)
            .ok_or_else(|| CoreError::NotFound(format!("choice {choice} at status")))?;
        let entry = StatusChange {
            id: new_item_id(),
            from: kept.from.clone(),
            to: kept.to.clone(),
            on: kept.on,
            at: Timestamp::now(),
            by: by.to_string(),
            note: None,
            after: tl.heads.iter().map(|h| h.id.clone()).collect(),
            keeps: Some(kept.id.clone()),
            corrects: None,
        };
        self.history.push(entry);
        self.derive();
        Ok(())
    }

    /// Whether `code` is a closed status of this record's kind.
    pub fn is_closed_status(&self, code: &str) -> bool {
        fn closed<B: KindRules>(_: &B, code: &str) -> bool {
            <B::Status as Coded>::from_code(code).is_some_and(|s| s.is_closed())
        }
        with_body!(&self.body, b => closed(b, code))
    }

    /// Correct the wrongly closing entry `entry_id` (ADR 0009): append a correction entry, by
    /// `by`, recorded at `at`, with its mandatory `reason`. The corrected closing stays in the
    /// history (shown as corrected) but is never effective again: the record is back, from the
    /// wrong closing's effective date, in the status it had before it. Only the latest closing
    /// in force can be corrected, once; anything else is refused with a validation issue
    /// (`correction_reason_required`, `already_corrected`, `not_closing`,
    /// `not_latest_closing`). Who may correct is the server's decision (roles).
    pub fn correct(&mut self, entry_id: &str, reason: &str, by: &str, at: Timestamp) -> Result<()> {
        use crate::validate::codes;
        self.derive();
        let field = format!("history[{entry_id}]");
        let refuse = |code: &str, vi: &str, en: &str| {
            Err(CoreError::Invalid(vec![ValidationIssue::new(
                field.clone(),
                code,
                vi,
                en,
            )]))
        };
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(CoreError::Invalid(vec![
                ValidationIssue::correction_reason_required(format!("{field}.note")),
            ]));
        }
        let Some(entry) = self.history.iter().find(|c| c.id == entry_id) else {
            return Err(CoreError::NotFound(format!("history entry {entry_id}")));
        };
        if self
            .history
            .iter()
            .any(|c| c.corrects.as_deref() == Some(entry_id))
        {
            return refuse(
                codes::ALREADY_CORRECTED,
                "Mục này đã được đính chính.",
                "This entry has already been corrected.",
            );
        }
        if entry.is_correction() || entry.from.is_none() || !self.is_closed_status(&entry.to) {
            return refuse(
                codes::NOT_CLOSING,
                "Chỉ đính chính được một lần kết thúc hồ sơ.",
                "Only an entry that closed the record can be corrected.",
            );
        }
        let tl = self.timeline();
        let latest = tl.correctable(|code| self.is_closed_status(code));
        if latest.is_none_or(|h| h.id != entry_id) {
            return refuse(
                codes::NOT_LATEST_CLOSING,
                "Chỉ đính chính được lần kết thúc đang có hiệu lực, mới nhất (không có xung đột \
                 trạng thái).",
                "Only the latest closing in force can be corrected (with no status conflict).",
            );
        }
        let correction = StatusChange {
            id: new_item_id(),
            from: Some(entry.to.clone()),
            to: entry.from.clone().unwrap_or_default(),
            on: entry.on,
            at,
            by: by.to_string(),
            note: Some(reason.to_string()),
            after: vec![entry.id.clone()],
            keeps: None,
            corrects: Some(entry.id.clone()),
        };
        self.history.push(correction);
        self.derive();
        Ok(())
    }

    /// Status code at the end of `cut_off` (from the chain in force), `None` if not yet created
    /// then.
    pub fn status_as_of(&self, cut_off: Date) -> Option<&str> {
        self.timeline().status_as_of(cut_off)
    }

    /// Broken rules of the status graph: a root first, every other entry following earlier
    /// entries, each transition allowed by the kind's machine from its parent's status, each
    /// resolution keeping one of the heads it merges.
    fn history_issues(&self, out: &mut Vec<ValidationIssue>) {
        fn allowed<S: Lifecycle>(from: &str, to: &str) -> bool {
            match (S::from_code(from), S::from_code(to)) {
                (Some(f), Some(t)) => f.can_move_to(t),
                _ => false,
            }
        }
        fn known<S: Lifecycle>(code: &str) -> bool {
            S::from_code(code).is_some()
        }
        fn closed<S: Lifecycle>(code: &str) -> bool {
            S::from_code(code).is_some_and(|s| s.is_closed())
        }
        type Checks = (fn(&str, &str) -> bool, fn(&str) -> bool, fn(&str) -> bool);
        fn kind_of<B: KindRules>(_: &B) -> Checks {
            (
                allowed::<B::Status>,
                known::<B::Status>,
                closed::<B::Status>,
            )
        }
        let (allowed, known, closed) = with_body!(&self.body, b => kind_of(b));
        let h = &self.history;
        let bad = |out: &mut Vec<ValidationIssue>, c: &StatusChange, vi: &str, en: &str| {
            out.push(ValidationIssue::new(
                format!("history[{}]", c.id),
                "history",
                vi,
                en,
            ));
        };
        let pos: std::collections::HashMap<&str, usize> = h
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id.as_str(), i))
            .collect();
        for (i, c) in h.iter().enumerate() {
            if !known(&c.to) {
                bad(out, c, "Trạng thái không hợp lệ.", "Unknown status.");
                continue;
            }
            if i == 0 {
                if c.from.is_some() || !c.after.is_empty() {
                    bad(
                        out,
                        c,
                        "Mục đầu tiên của lịch sử phải là lúc tạo hồ sơ.",
                        "The first history entry must be the record's creation.",
                    );
                }
                continue;
            }
            let ps: Vec<&str> = parents(h, i).collect();
            if ps.iter().any(|p| pos.get(p).is_none_or(|&j| j >= i)) {
                bad(
                    out,
                    c,
                    "Mục lịch sử tham chiếu một mục không có trước nó.",
                    "A history entry follows an entry that is not before it.",
                );
                continue;
            }
            let parent = |id: &str| pos.get(id).map(|&j| &h[j]);
            if let Some(x) = &c.corrects {
                // A correction follows exactly the closing it corrects, undoes it to the status
                // before, on its date, and says why (ADR 0009).
                let ok = c.keeps.is_none()
                    && ps.len() == 1
                    && ps[0] == x.as_str()
                    && parent(x).is_some_and(|t| {
                        t.corrects.is_none()
                            && t.from.is_some()
                            && closed(&t.to)
                            && c.from.as_deref() == Some(t.to.as_str())
                            && t.from.as_deref() == Some(c.to.as_str())
                            && t.on == c.on
                    });
                if !ok {
                    out.push(ValidationIssue::new(
                        format!("history[{}]", c.id),
                        crate::validate::codes::BAD_CORRECTION,
                        "Mục đính chính không khớp với lần kết thúc hồ sơ mà nó đính chính.",
                        "A correction does not match the closing it corrects.",
                    ));
                }
                if c.note.as_deref().is_none_or(|n| n.trim().is_empty()) {
                    out.push(ValidationIssue::correction_reason_required(format!(
                        "history[{}].note",
                        c.id
                    )));
                }
                continue;
            }
            match &c.keeps {
                Some(k) => {
                    let kept = parent(k);
                    let ok = ps.len() >= 2
                        && ps.contains(&k.as_str())
                        && kept.is_some_and(|p| p.to == c.to && p.on == c.on);
                    if !ok {
                        bad(
                            out,
                            c,
                            "Mục giải quyết xung đột trạng thái không khớp với trạng thái được chọn.",
                            "A status resolution does not match the status it keeps.",
                        );
                    }
                }
                None => {
                    let ok = ps.len() == 1
                        && parent(ps[0]).is_some_and(|p| {
                            c.from.as_deref() == Some(p.to.as_str()) && allowed(&p.to, &c.to)
                        });
                    if !ok {
                        out.push(ValidationIssue::new(
                            format!("history[{}]", c.id),
                            crate::validate::codes::BAD_TRANSITION,
                            "Chuyển trạng thái không được phép từ trạng thái trước đó.",
                            "A status change that its previous status does not allow.",
                        ));
                    }
                }
            }
        }
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
        if env.unit_on.is_some_and(|on| on > env.created_at.date_vn()) {
            out.push(ValidationIssue::new(
                "envelope.unit_on",
                "unit_on_in_future",
                "Ngày của đơn vị (nhập bổ sung hồ sơ cũ) không được sau ngày lập hồ sơ.",
                "The day a historical entry's unit is read on cannot be after the record was created.",
            ));
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
        self.history_issues(&mut out);
        crate::attachment::check_refs(&self.attachments, &cfg.attachments, &mut out);
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
