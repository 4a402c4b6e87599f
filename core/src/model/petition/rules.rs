//! Status machine, deadlines, validation, overdue rules and index projection of a petition.

use chrono::Datelike;

use super::{
    CompetentBody, Complexity, NotAcceptedReason, Petition, PetitionChannel, PetitionStatus,
    PetitionType,
};
use crate::config::{Days, ResolveDays, RulesConfig};
use crate::label::Coded;
use crate::lifecycle::{Lifecycle, Overdue};
use crate::model::common::Date;
use crate::model::rules::{dated, item, item_id, not_before, overdue, require_text};
use crate::record::{IndexFields, KindRules};
use crate::validate::ValidationIssue;

/// The machine: `received →` (`accepted` | `forwarded` | `returned` | `filed` | `withdrawn`);
/// `accepted → verifying → resolved → enforced`, `accepted → resolved`; withdrawn from any
/// open status. Closed: everything but `received`, `accepted`, `verifying`.
impl Lifecycle for PetitionStatus {
    fn initial() -> Self {
        PetitionStatus::Received
    }
    fn next(&self) -> &'static [Self] {
        use PetitionStatus::*;
        match self {
            Received => &[Accepted, Forwarded, Returned, Filed, Withdrawn],
            Accepted => &[Verifying, Resolved, Withdrawn],
            Verifying => &[Resolved, Withdrawn],
            Resolved => &[Enforced],
            Enforced | Forwarded | Returned | Filed | Withdrawn => &[],
        }
    }
    fn is_closed(&self) -> bool {
        !matches!(
            self,
            PetitionStatus::Received | PetitionStatus::Accepted | PetitionStatus::Verifying
        )
    }
}

/// The deadlines of one petition as of a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PetitionDeadlineDates {
    /// Last day to classify it (accept, forward, return or file).
    pub classify_by: Date,
    /// Last day to accept it (for complaints and denunciations the law's acceptance limit, for
    /// a denunciation the commune is not competent for the limit to forward it; for
    /// recommendations and reflections the classification limit).
    pub accept_by: Date,
    /// Last day to resolve it without extensions (once accepted).
    pub resolve_by_base: Option<Date>,
    /// Last day to resolve it with the extensions decided by the day asked.
    pub resolve_by: Option<Date>,
    /// Extensions counted in `resolve_by`.
    pub extensions: usize,
}

impl Petition {
    fn resolve_days(&self, cfg: &RulesConfig) -> Days {
        let p = &cfg.petitions;
        let table: ResolveDays = match self.petition_type {
            PetitionType::Complaint if self.second_time => p.complaint_second_resolve,
            PetitionType::Complaint => p.complaint_resolve,
            PetitionType::Denunciation => p.denunciation_resolve,
            PetitionType::Recommendation | PetitionType::Reflection => p.feedback_resolve,
        };
        let complex = self.complexity != Complexity::Normal;
        match (self.remote_area, complex) {
            (false, false) => table.normal,
            (false, true) => table.complex,
            (true, false) => table.remote,
            (true, true) => table.remote_complex,
        }
    }

    /// Extensions the law allows this petition (denunciations only: one when complex, two
    /// when especially complex, by default).
    pub fn extensions_allowed(&self, cfg: &RulesConfig) -> u32 {
        if self.petition_type != PetitionType::Denunciation {
            return 0;
        }
        match self.complexity {
            Complexity::Normal => 0,
            Complexity::Complex => cfg.petitions.denunciation_extensions_complex,
            Complexity::EspeciallyComplex => {
                cfg.petitions.denunciation_extensions_especially_complex
            }
        }
    }

    /// The resolution deadline without extensions (once accepted).
    fn resolve_by_base(&self, cfg: &RulesConfig) -> Option<Date> {
        self.accepted_on
            .map(|a| cfg.deadline(a, self.resolve_days(cfg)))
    }

    /// Each extension in the order decided, with the resolution deadline after it (each moves
    /// the one before); empty while not accepted.
    fn extension_chain(&self, cfg: &RulesConfig) -> Vec<(Date, Date)> {
        let Some(mut due) = self.resolve_by_base(cfg) else {
            return Vec::new();
        };
        let mut ext: Vec<_> = self.extensions.iter().collect();
        ext.sort_by_key(|e| (e.decided_on, e.id.clone()));
        ext.into_iter()
            .map(|e| {
                let days = e
                    .days
                    .map(Days::calendar)
                    .unwrap_or(cfg.petitions.denunciation_extension);
                due = cfg.deadline(due, days);
                (e.decided_on, due)
            })
            .collect()
    }

    /// Its deadlines as of `as_of`: an extension counts from the day it was decided.
    pub fn deadlines(&self, cfg: &RulesConfig, as_of: Date) -> PetitionDeadlineDates {
        let p = &cfg.petitions;
        let classify_by = cfg.deadline(self.received_on, p.classify);
        let accept_by = match self.petition_type {
            PetitionType::Complaint => cfg.deadline(self.received_on, p.complaint_accept),
            // One the commune is not competent for is forwarded (and the denunciator told)
            // within a shorter limit (Law on Denunciations art. 24(2)).
            PetitionType::Denunciation if !self.competent_body.is_commune() => {
                cfg.deadline(self.received_on, p.denunciation_forward)
            }
            PetitionType::Denunciation => cfg.deadline(self.received_on, p.denunciation_accept),
            PetitionType::Recommendation | PetitionType::Reflection => classify_by,
        };
        let resolve_by_base = self.resolve_by_base(cfg);
        let chain = self.extension_chain(cfg);
        let in_force: Vec<_> = chain.iter().filter(|(on, _)| *on <= as_of).collect();
        let resolve_by = in_force.last().map(|(_, due)| *due).or(resolve_by_base);
        let extensions = in_force.len();
        PetitionDeadlineDates {
            classify_by,
            accept_by,
            resolve_by_base,
            resolve_by,
            extensions,
        }
    }

    /// The day it was resolved: the decision's day, else the day the status became resolved.
    pub fn resolved_on(&self) -> Option<Date> {
        match self.status {
            PetitionStatus::Resolved | PetitionStatus::Enforced => self
                .resolution
                .as_ref()
                .map(|r| r.decided_on)
                .or(self.closed_on),
            _ => None,
        }
    }

    /// Whether it was resolved by its deadline (with the extensions decided by then): `None`
    /// while it is not resolved or was never accepted.
    pub fn resolved_on_time(&self, cfg: &RulesConfig) -> Option<bool> {
        let on = self.resolved_on()?;
        let due = self.deadlines(cfg, on).resolve_by?;
        Some(on <= due)
    }

    fn validate_handling(&self, cfg: &RulesConfig, out: &mut Vec<ValidationIssue>) {
        use PetitionStatus::*;
        let s = self.status;
        let received = dated(Some(self.received_on), "ngày nhận đơn", "the day received");
        let classified = dated(self.classified_on, "ngày phân loại", "the day classified");
        let accepted = dated(self.accepted_on, "ngày thụ lý", "the day accepted");
        not_before(out, "petition.classified_on", classified, received);
        not_before(out, "petition.accepted_on", accepted, received);
        if matches!(s, Accepted | Verifying | Resolved | Enforced) && self.accepted_on.is_none() {
            out.push(ValidationIssue::required(
                "petition.accepted_on",
                "ngày thụ lý",
                "The day accepted",
            ));
        }
        if matches!(s, Forwarded | Returned | Filed) && self.not_accepted_reason.is_none() {
            out.push(ValidationIssue::required(
                "petition.not_accepted_reason",
                "lý do không thụ lý",
                "The reason it was not accepted",
            ));
        }
        if s == Forwarded
            && self
                .handling_note
                .as_deref()
                .is_none_or(|n| n.trim().is_empty())
        {
            out.push(ValidationIssue::required(
                "petition.handling_note",
                "nơi chuyển đơn",
                "Where it was forwarded",
            ));
        }
        if matches!(s, Accepted | Verifying | Resolved | Enforced)
            && !self.competent_body.is_commune()
        {
            out.push(ValidationIssue::new(
                "petition.competent_body",
                "not_competent",
                "Đơn không thuộc thẩm quyền của xã thì không thụ lý mà chuyển cơ quan có thẩm quyền.",
                "A petition the commune is not competent for is forwarded, not accepted.",
            ));
        }
        if matches!(s, Resolved | Enforced) {
            match &self.resolution {
                None => out.push(ValidationIssue::required(
                    "petition.resolution",
                    "kết quả giải quyết",
                    "The resolution",
                )),
                Some(r) => {
                    if !r.outcome.fits(self.petition_type) {
                        out.push(ValidationIssue::new(
                            "petition.resolution.outcome",
                            "outcome_mismatch",
                            "Kết quả giải quyết không phù hợp với loại đơn.",
                            "The outcome does not fit the type of petition.",
                        ));
                    }
                    let on = dated(Some(r.decided_on), "ngày giải quyết", "the day resolved");
                    not_before(out, "petition.resolution.decided_on", on, accepted);
                }
            }
        }
        if s == Enforced && self.enforced_on.is_none() {
            out.push(ValidationIssue::required(
                "petition.enforced_on",
                "ngày thi hành xong",
                "The day the decision was carried out",
            ));
        }
        if s == Withdrawn && self.withdrawn_on.is_none() {
            out.push(ValidationIssue::required(
                "petition.withdrawn_on",
                "ngày rút đơn",
                "The day withdrawn",
            ));
        }
        let allowed = self.extensions_allowed(cfg) as usize;
        if self.extensions.len() > allowed {
            out.push(ValidationIssue::new(
                "petition.extensions",
                "too_many_extensions",
                format!(
                    "Đơn này chỉ được gia hạn giải quyết tối đa {allowed} lần (tố cáo phức tạp: 1 lần, đặc biệt phức tạp: 2 lần)."
                ),
                format!(
                    "This petition may be extended at most {allowed} times (a complex denunciation once, an especially complex one twice)."
                ),
            ));
        }
        for (i, e) in self.extensions.iter().enumerate() {
            item_id(out, "petition.extensions", i, &e.id);
            let p = item("petition.extensions", &e.id);
            require_text(
                out,
                format!("{p}.reason"),
                &e.reason,
                "lý do gia hạn",
                "Reason",
            );
            let on = dated(Some(e.decided_on), "ngày gia hạn", "the extension's day");
            not_before(out, format!("{p}.decided_on"), on, accepted);
            if e.days.is_some_and(|d| d <= 0) {
                out.push(ValidationIssue::new(
                    format!("{p}.days"),
                    "not_positive",
                    "Số ngày gia hạn phải lớn hơn 0.",
                    "An extension adds a positive number of days.",
                ));
            }
        }
    }
}

impl KindRules for Petition {
    type Status = PetitionStatus;

    fn status(&self) -> PetitionStatus {
        self.status
    }

    /// A resolved petition whose decision was then carried out keeps its resolution day as its
    /// closing day.
    fn set_derived(&mut self, status: PetitionStatus, closed_on: Option<Date>) {
        let keep = status == PetitionStatus::Enforced && self.closed_on.is_some();
        self.status = status;
        if !keep {
            self.closed_on = closed_on;
        }
    }

    /// Fills the day each step implies: accepting sets `accepted_on` and `classified_on`;
    /// forwarding, returning and filing set `classified_on`; `enforced` sets `enforced_on`,
    /// `withdrawn` sets `withdrawn_on`; every closing status but `enforced` sets `closed_on`.
    fn apply_status(&mut self, to: PetitionStatus, on: Date) {
        use PetitionStatus::*;
        self.status = to;
        match to {
            Accepted => {
                self.accepted_on.get_or_insert(on);
                self.classified_on.get_or_insert(on);
            }
            Forwarded | Returned | Filed => {
                self.classified_on.get_or_insert(on);
            }
            Enforced => {
                self.enforced_on.get_or_insert(on);
            }
            Withdrawn => {
                self.withdrawn_on.get_or_insert(on);
            }
            Received | Verifying | Resolved => {}
        }
        if to.is_closed() {
            if to != Enforced || self.closed_on.is_none() {
                self.closed_on = Some(on);
            }
        } else {
            self.closed_on = None;
        }
    }

    fn validate(&self, cfg: &RulesConfig, out: &mut Vec<ValidationIssue>) {
        require_text(
            out,
            "petition.summary",
            &self.summary,
            "nội dung đơn",
            "Summary",
        );
        if self.channel == PetitionChannel::Forwarded
            && self
                .forwarded_by
                .as_deref()
                .is_none_or(|n| n.trim().is_empty())
        {
            out.push(ValidationIssue::required(
                "petition.forwarded_by",
                "cơ quan chuyển đơn đến",
                "The body that forwarded it",
            ));
        }
        // An anonymous petition is recorded and filed: it needs no petitioner.
        let anonymous = self.not_accepted_reason == Some(NotAcceptedReason::Anonymous);
        if self.petitioners.is_empty() && !anonymous {
            out.push(ValidationIssue::required(
                "petition.petitioners",
                "người gửi đơn",
                "Petitioners",
            ));
        }
        for (i, p) in self.petitioners.iter().enumerate() {
            item_id(out, "petition.petitioners", i, &p.id);
            let path = item("petition.petitioners", &p.id);
            require_text(
                out,
                format!("{path}.name"),
                &p.name,
                "họ tên người gửi đơn",
                "Name",
            );
        }
        if self.second_time && self.petition_type != PetitionType::Complaint {
            out.push(ValidationIssue::new(
                "petition.second_time",
                "second_time_not_complaint",
                "Chỉ khiếu nại mới có giải quyết lần hai.",
                "Only a complaint has a second-time resolution.",
            ));
        }
        if !matches!(
            self.competent_body,
            CompetentBody::CommuneChairman | CompetentBody::CommuneOther
        ) && self
            .competent_body_name
            .as_deref()
            .is_none_or(|n| n.trim().is_empty())
            && self.competent_body == CompetentBody::Other
        {
            out.push(ValidationIssue::required(
                "petition.competent_body_name",
                "tên cơ quan có thẩm quyền",
                "The competent body's name",
            ));
        }
        let closed = dated(self.closed_on, "ngày kết thúc xử lý", "the closing day");
        let received = dated(Some(self.received_on), "ngày nhận đơn", "the day received");
        not_before(out, "petition.closed_on", closed, received);
        if self.status.is_closed() && self.closed_on.is_none() {
            out.push(ValidationIssue::required(
                "petition.closed_on",
                "ngày kết thúc xử lý",
                "Closing day",
            ));
        }
        self.validate_handling(cfg, out);
    }

    fn overdue(&self, cfg: &RulesConfig, as_of: Date) -> Vec<Overdue> {
        let d = self.deadlines(cfg, as_of);
        match self.status {
            PetitionStatus::Received => overdue(
                "petition_not_accepted",
                "petition.accepted_on",
                d.accept_by,
                as_of,
                "Đơn chưa được phân loại, thụ lý dù đã quá hạn.",
                "The petition is not classified or accepted past its deadline.",
            )
            .into_iter()
            .collect(),
            PetitionStatus::Accepted | PetitionStatus::Verifying => d
                .resolve_by
                .and_then(|due| {
                    overdue(
                        "petition_not_resolved",
                        "petition.resolution",
                        due,
                        as_of,
                        "Đơn chưa được giải quyết dù đã quá hạn.",
                        "The petition is not resolved past its deadline.",
                    )
                })
                .into_iter()
                .collect(),
            _ => Vec::new(),
        }
    }

    fn subtype(&self) -> Option<String> {
        Some(self.subject.code().to_string())
    }

    /// Petition flows: `received` (day received), `accepted` (day accepted), `extended` (each
    /// extension's day), `resolved` and, when within the deadline in force then,
    /// `resolved_on_time` (the decision's day).
    fn flows(&self) -> Vec<crate::facts::Flow> {
        use crate::facts::Flow;
        let mut out = vec![Flow::new("received", self.received_on, 1.0)];
        if let Some(on) = self.accepted_on {
            out.push(Flow::new("accepted", on, 1.0));
        }
        for e in &self.extensions {
            out.push(Flow::new("extended", e.decided_on, 1.0));
        }
        out
    }

    /// Petition measures (no personal data): flags `group`, `second_time`, `remote_area`,
    /// `commune_competent`, `channel:<code>`, `outcome:<code>` (when resolved),
    /// `not_accepted:<code>`; the day numbers (from the common era) `accept_due_day`,
    /// `resolve_due_day` (with no extension; absent until accepted), `resolved_day` (absent
    /// while unresolved), then per extension in order the pair `extension_day`,
    /// `extended_due_day` (the deadline after it). A report reads "overdue as of the cut-off"
    /// and "resolved on time" from these and the status history.
    fn measures(&self, cfg: &RulesConfig) -> Vec<(String, f64)> {
        let flag = |b: bool| if b { 1.0 } else { 0.0 };
        let day = |d: Date| f64::from(d.0.num_days_from_ce());
        let mut m = vec![
            ("group".to_string(), flag(self.is_group())),
            ("second_time".to_string(), flag(self.second_time)),
            ("remote_area".to_string(), flag(self.remote_area)),
            (
                "commune_competent".to_string(),
                flag(self.competent_body.is_commune()),
            ),
            (format!("channel:{}", self.channel.code()), 1.0),
        ];
        if let Some(r) = &self.resolution
            && matches!(
                self.status,
                PetitionStatus::Resolved | PetitionStatus::Enforced
            )
        {
            m.push((format!("outcome:{}", r.outcome.code()), 1.0));
        }
        if let Some(r) = self.not_accepted_reason {
            m.push((format!("not_accepted:{}", r.code()), 1.0));
        }
        let far = Date(chrono::NaiveDate::MAX);
        let all = self.deadlines(cfg, far);
        m.push(("accept_due_day".to_string(), day(all.accept_by)));
        if let Some(base) = all.resolve_by_base {
            m.push(("resolve_due_day".to_string(), day(base)));
        }
        if let Some(on) = self.resolved_on() {
            m.push(("resolved_day".to_string(), day(on)));
        }
        for (on, due) in self.extension_chain(cfg) {
            m.push(("extension_day".to_string(), day(on)));
            m.push(("extended_due_day".to_string(), day(due)));
        }
        m
    }

    fn index(&self) -> IndexFields {
        IndexFields {
            main_date: Some(self.received_on),
            closed_on: self.closed_on,
            category: Some(self.petition_type.code().to_string()),
            summary: self.summary.clone(),
            names: self.petitioners.iter().map(|p| p.name.clone()).collect(),
        }
    }
}
