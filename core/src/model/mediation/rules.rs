//! Status machine, validation, overdue rules and index projection of a mediation case.

use chrono::Datelike;

use super::{FollowUpState, MediationCase, MediationStatus, ReferralAgency};
use crate::config::RulesConfig;
use crate::label::Coded;
use crate::lifecycle::{Lifecycle, Overdue};
use crate::model::common::Date;
use crate::model::rules::{
    dated, item, item_id, money, not_before, overdue, require_some_text, require_text,
};
use crate::record::{IndexFields, KindRules};
use crate::validate::ValidationIssue;

/// Oldest plausible birth year of a living party.
const MIN_BIRTH_YEAR: i32 = 1900;

impl Lifecycle for MediationStatus {
    fn initial() -> Self {
        MediationStatus::Received
    }
    fn next(&self) -> &'static [Self] {
        use MediationStatus::*;
        match self {
            Received => &[Mediating, Stopped, Referred, OutOfScope],
            Mediating => &[Successful, Unsuccessful, Stopped, Referred],
            _ => &[],
        }
    }
    fn is_closed(&self) -> bool {
        !matches!(self, MediationStatus::Received | MediationStatus::Mediating)
    }
}

impl MediationCase {
    /// The date by which mediation must start: the date the parties agreed, else
    /// `assigned_on + cfg.mediation_start_days`. `None` until mediators are assigned.
    pub fn start_due_on(&self, cfg: &RulesConfig) -> Option<Date> {
        self.agreed_start_on.or_else(|| {
            self.assigned_on
                .map(|a| a.plus_days(cfg.mediation_start_days))
        })
    }

    /// Whether mediation started after its deadline (for the "cases started late" indicator).
    pub fn started_late(&self, cfg: &RulesConfig) -> bool {
        match (self.started_on, self.start_due_on(cfg)) {
            (Some(started), Some(due)) => started > due,
            _ => false,
        }
    }

    /// Whether the agreement is known to have been carried out (latest follow-up says so).
    pub fn agreement_carried_out(&self) -> bool {
        self.latest_follow_up()
            .is_some_and(|f| f.state == FollowUpState::CarriedOut)
    }

    fn validate_people(&self, out: &mut Vec<ValidationIssue>) {
        for (i, m) in self.mediators.iter().enumerate() {
            item_id(out, "mediation.mediators", i, &m.id);
            let f = item("mediation.mediators", &m.id);
            require_text(
                out,
                format!("{f}.name"),
                &m.person.name,
                "tên hòa giải viên",
                "Mediator name",
            );
        }
        for (i, p) in self.invited.iter().enumerate() {
            item_id(out, "mediation.invited", i, &p.id);
            let f = item("mediation.invited", &p.id);
            require_text(
                out,
                format!("{f}.name"),
                &p.person.name,
                "tên người được mời",
                "Invited person's name",
            );
        }
        if self.parties.is_empty() {
            out.push(ValidationIssue::required(
                "mediation.parties",
                "các bên",
                "Parties",
            ));
        }
        let year = self.received_on.0.year();
        for (i, p) in self.parties.iter().enumerate() {
            item_id(out, "mediation.parties", i, &p.id);
            let f = item("mediation.parties", &p.id);
            require_text(
                out,
                format!("{f}.name"),
                &p.name,
                "họ tên của bên",
                "Party name",
            );
            require_text(
                out,
                format!("{f}.address"),
                &p.address,
                "địa chỉ của bên",
                "Party address",
            );
            if let Some(b) = p.birth_year
                && !(MIN_BIRTH_YEAR..=year).contains(&b)
            {
                out.push(ValidationIssue::new(
                    format!("{f}.birth_year"),
                    "implausible_birth_year",
                    "Năm sinh không hợp lý.",
                    "The birth year is not plausible.",
                ));
            }
            if let Some(phone) = &p.phone
                && !plausible_phone(phone)
            {
                out.push(ValidationIssue::new(
                    format!("{f}.phone"),
                    "bad_phone",
                    "Số điện thoại không hợp lệ.",
                    "The phone number is not valid.",
                ));
            }
        }
    }

    fn validate_dates(&self, out: &mut Vec<ValidationIssue>) {
        let received = dated(Some(self.received_on), "ngày nhận", "the date received");
        let assigned = dated(self.assigned_on, "ngày phân công", "the assignment date");
        not_before(out, "mediation.assigned_on", assigned, received);
        let started = dated(self.started_on, "ngày bắt đầu hòa giải", "the start date");
        not_before(out, "mediation.started_on", started, assigned);
        not_before(out, "mediation.started_on", started, received);
        let agreed = dated(
            self.agreed_start_on,
            "ngày bắt đầu đã thỏa thuận",
            "the agreed start date",
        );
        not_before(out, "mediation.agreed_start_on", agreed, received);
        let closed = dated(self.closed_on, "ngày kết thúc", "the closing date");
        not_before(out, "mediation.closed_on", closed, received);
        not_before(out, "mediation.closed_on", closed, started);
        for (i, s) in self.sessions.iter().enumerate() {
            item_id(out, "mediation.sessions", i, &s.id);
            let f = item("mediation.sessions", &s.id);
            let held = dated(Some(s.held_on), "ngày hòa giải", "the session date");
            not_before(out, format!("{f}.held_on"), held, received);
            if self.closed_on.is_some_and(|c| s.held_on > c) {
                out.push(ValidationIssue::date_order(
                    format!("{f}.held_on"),
                    "Ngày hòa giải không được sau ngày kết thúc.",
                    "The session date must not be after the closing date.",
                ));
            }
        }
        if let Some(r) = &self.referral {
            let on = dated(Some(r.on), "ngày chuyển", "the referral date");
            not_before(out, "mediation.referral.on", on, received);
        }
        for (i, fu) in self.follow_ups.iter().enumerate() {
            item_id(out, "mediation.follow_ups", i, &fu.id);
            let f = item("mediation.follow_ups", &fu.id);
            let on = dated(Some(fu.on), "ngày theo dõi", "the follow-up date");
            not_before(out, format!("{f}.on"), on, closed);
        }
        if let Some(a) = &self.agreement {
            let due = dated(
                a.due_on,
                "hạn thực hiện thỏa thuận",
                "the agreement due date",
            );
            not_before(out, "mediation.agreement.due_on", due, received);
            let doc = dated(
                a.settlement_on,
                "ngày lập văn bản hòa giải thành",
                "the settlement date",
            );
            not_before(out, "mediation.agreement.settlement_on", doc, received);
        }
        let risk = dated(
            self.risk.reported_on,
            "ngày báo cáo nguy cơ",
            "the risk report date",
        );
        not_before(out, "mediation.risk.reported_on", risk, received);
    }

    fn validate_status(&self, out: &mut Vec<ValidationIssue>) {
        use MediationStatus::*;
        let s = self.status;
        if s.is_closed() && self.closed_on.is_none() {
            out.push(ValidationIssue::required(
                "mediation.closed_on",
                "ngày kết thúc",
                "Closing date",
            ));
        }
        if !s.is_closed() && self.closed_on.is_some() {
            out.push(ValidationIssue::new(
                "mediation.closed_on",
                "closed_on_open",
                "Vụ việc chưa kết thúc nhưng đã có ngày kết thúc.",
                "An open case must not have a closing date.",
            ));
        }
        if matches!(s, Mediating | Successful | Unsuccessful) {
            if self.mediators.is_empty() {
                out.push(ValidationIssue::required(
                    "mediation.mediators",
                    "hòa giải viên",
                    "Mediators",
                ));
            }
            if self.started_on.is_none() {
                out.push(ValidationIssue::required(
                    "mediation.started_on",
                    "ngày bắt đầu hòa giải",
                    "Start date",
                ));
            }
        }
        match (&self.agreement, s) {
            (None, Successful) => out.push(ValidationIssue::required(
                "mediation.agreement",
                "nội dung thỏa thuận của vụ hòa giải thành",
                "The agreement of a successful case",
            )),
            (Some(a), Successful) => require_text(
                out,
                "mediation.agreement.text",
                &a.text,
                "nội dung thỏa thuận",
                "Agreement text",
            ),
            (Some(_), _) if s.is_closed() => out.push(ValidationIssue::new(
                "mediation.agreement",
                "agreement_not_successful",
                "Chỉ vụ việc hòa giải thành mới có thỏa thuận.",
                "Only a successful case has an agreement.",
            )),
            _ => {}
        }
        if s == Unsuccessful {
            require_some_text(
                out,
                "mediation.party_positions",
                self.party_positions.as_ref(),
                "ý kiến của các bên",
                "Each party's position",
            );
        }
        if s != Successful && !self.follow_ups.is_empty() {
            out.push(ValidationIssue::new(
                "mediation.follow_ups",
                "follow_up_without_agreement",
                "Chỉ theo dõi thực hiện thỏa thuận của vụ việc hòa giải thành.",
                "Only a successful case's agreement is followed up.",
            ));
        }
        match (&self.referral, s) {
            (None, Referred) => out.push(ValidationIssue::required(
                "mediation.referral",
                "thông tin chuyển cơ quan",
                "Referral",
            )),
            (Some(r), _) => {
                require_text(
                    out,
                    "mediation.referral.reason",
                    &r.reason,
                    "lý do chuyển",
                    "Referral reason",
                );
                if r.agency == ReferralAgency::Other {
                    require_some_text(
                        out,
                        "mediation.referral.agency_name",
                        r.agency_name.as_ref(),
                        "tên cơ quan tiếp nhận",
                        "Name of the authority",
                    );
                }
                if s != Referred && s.is_closed() {
                    out.push(ValidationIssue::new(
                        "mediation.referral",
                        "referral_status",
                        "Vụ việc có thông tin chuyển cơ quan nhưng trạng thái không phải đã chuyển.",
                        "A closed case with a referral must have the status referred.",
                    ));
                }
            }
            _ => {}
        }
    }

    fn validate_scope(&self, out: &mut Vec<ValidationIssue>) {
        use MediationStatus::*;
        if self.status == OutOfScope && self.in_scope {
            out.push(ValidationIssue::new(
                "mediation.in_scope",
                "scope_mismatch",
                "Vụ việc không thuộc phạm vi hòa giải phải được đánh dấu là không thuộc phạm vi.",
                "An out-of-scope case must be marked as not in scope.",
            ));
        }
        if !self.in_scope {
            if !matches!(self.status, OutOfScope | Stopped | Received) {
                out.push(ValidationIssue::new(
                    "mediation.in_scope",
                    "scope_mismatch",
                    "Vụ việc không thuộc phạm vi hòa giải chỉ có thể dừng hoặc kết thúc là không thuộc phạm vi.",
                    "A case out of scope can only be stopped or closed as out of scope.",
                ));
            }
            if self.exclusion_reason.is_none() {
                out.push(ValidationIssue::required(
                    "mediation.exclusion_reason",
                    "lý do không thuộc phạm vi",
                    "Exclusion reason",
                ));
            }
            if self.exclusion_reason == Some(super::ExclusionReason::Other) {
                require_some_text(
                    out,
                    "mediation.exclusion_note",
                    self.exclusion_note.as_ref(),
                    "chi tiết lý do",
                    "Details of the reason",
                );
            }
        } else if self.exclusion_reason.is_some() {
            out.push(ValidationIssue::new(
                "mediation.exclusion_reason",
                "scope_mismatch",
                "Vụ việc thuộc phạm vi hòa giải không có lý do loại trừ.",
                "A case in scope has no exclusion reason.",
            ));
        }
    }

    fn validate_money(&self, out: &mut Vec<ValidationIssue>) {
        let fee = &self.fee_claim;
        if let Some(a) = fee.amount_vnd {
            money(out, "mediation.fee_claim.amount_vnd", a);
        }
        if fee.claimed && !fee.eligible {
            out.push(ValidationIssue::new(
                "mediation.fee_claim.claimed",
                "fee_not_eligible",
                "Vụ việc không đủ điều kiện hưởng thù lao nhưng đã đề nghị thanh toán.",
                "A fee was claimed for a case that is not eligible.",
            ));
        }
        if fee.paid && !fee.claimed {
            out.push(ValidationIssue::new(
                "mediation.fee_claim.paid",
                "fee_not_claimed",
                "Thù lao đã chi nhưng chưa có đề nghị thanh toán.",
                "A fee was paid without a claim.",
            ));
        }
        if fee.paid && fee.amount_vnd.is_none() {
            out.push(ValidationIssue::required(
                "mediation.fee_claim.amount_vnd",
                "số tiền thù lao",
                "Fee amount",
            ));
        }
        if !self.risk.flagged
            && (self.risk.reported_to.is_some() || self.risk.reported_on.is_some())
        {
            out.push(ValidationIssue::new(
                "mediation.risk.flagged",
                "risk_not_flagged",
                "Đã báo cáo nguy cơ bạo lực nhưng chưa đánh dấu có nguy cơ.",
                "A risk report is recorded but the risk is not flagged.",
            ));
        }
    }
}

/// At least 8 and at most 15 digits, with only `+`, spaces, dots and dashes besides.
fn plausible_phone(s: &str) -> bool {
    let digits = s.chars().filter(char::is_ascii_digit).count();
    let clean = s
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '.' | '-'));
    clean && (8..=15).contains(&digits)
}

impl KindRules for MediationCase {
    type Status = MediationStatus;

    fn status(&self) -> MediationStatus {
        self.status
    }

    fn set_derived(&mut self, status: MediationStatus, closed_on: Option<Date>) {
        self.status = status;
        self.closed_on = closed_on;
    }

    /// Moving to `mediating` fills `started_on` if empty; any closing status fills `closed_on`.
    fn apply_status(&mut self, to: MediationStatus, on: Date) {
        self.status = to;
        if to == MediationStatus::Mediating && self.started_on.is_none() {
            self.started_on = Some(on);
        }
        if to.is_closed() {
            self.closed_on = Some(on);
        } else {
            self.closed_on = None;
        }
        if to == MediationStatus::OutOfScope {
            self.in_scope = false;
        }
    }

    fn validate(&self, _cfg: &RulesConfig, out: &mut Vec<ValidationIssue>) {
        require_text(
            out,
            "mediation.team",
            &self.team,
            "tổ hòa giải",
            "Mediation team",
        );
        require_text(
            out,
            "mediation.village",
            &self.village,
            "thôn, tổ dân phố",
            "Village",
        );
        require_text(
            out,
            "mediation.commune",
            &self.commune,
            "xã, phường",
            "Commune",
        );
        require_text(
            out,
            "mediation.summary",
            &self.summary,
            "nội dung chủ yếu",
            "Summary",
        );
        if self.logbook_no == Some(0) {
            out.push(ValidationIssue::new(
                "mediation.logbook_no",
                "out_of_range",
                "Số thứ tự trong sổ bắt đầu từ 1.",
                "Logbook numbers start at 1.",
            ));
        }
        let allowed = self.subtype.allowed_categories();
        if !allowed.is_empty() && !allowed.contains(&self.category) {
            out.push(ValidationIssue::new(
                "mediation.subtype",
                "subtype_category",
                "Loại việc không thuộc phạm vi thống kê đã chọn.",
                "The kind of matter does not belong to the chosen category.",
            ));
        }
        self.validate_people(out);
        self.validate_dates(out);
        self.validate_status(out);
        self.validate_scope(out);
        self.validate_money(out);
    }

    fn overdue(&self, cfg: &RulesConfig, as_of: Date) -> Vec<Overdue> {
        let mut out = Vec::new();
        if matches!(self.status, MediationStatus::Received)
            && self.started_on.is_none()
            && let Some(due) = self.start_due_on(cfg)
        {
            out.extend(overdue(
                "mediation_not_started",
                "mediation.started_on",
                due,
                as_of,
                "Chưa bắt đầu hòa giải dù đã quá hạn kể từ ngày phân công.",
                "Mediation has not started although its start deadline has passed.",
            ));
        }
        if self.status == MediationStatus::Successful
            && let Some(due) = self.agreement.as_ref().and_then(|a| a.due_on)
            && !self.agreement_carried_out()
        {
            out.extend(overdue(
                "agreement_not_carried_out",
                "mediation.agreement.due_on",
                due,
                as_of,
                "Thỏa thuận hòa giải chưa được thực hiện dù đã quá hạn.",
                "The agreement has not been carried out by its due date.",
            ));
        }
        out
    }

    fn subtype(&self) -> Option<String> {
        Some(self.subtype.code().to_string())
    }

    /// Mediation measures: `mediated`, `started_late`, `violence_risk`, `agreement_not_carried_out`,
    /// `fee_claimed`, `fee_paid`, `fee_amount_vnd`, `sessions`, `days_to_close`.
    fn measures(&self, cfg: &RulesConfig) -> Vec<(String, f64)> {
        let flag = |b: bool| if b { 1.0 } else { 0.0 };
        let mut m = vec![
            ("mediated".to_string(), flag(self.was_mediated())),
            ("started_late".to_string(), flag(self.started_late(cfg))),
            ("violence_risk".to_string(), flag(self.risk.flagged)),
            (
                "agreement_not_carried_out".to_string(),
                flag(self.agreement.is_some() && !self.agreement_carried_out()),
            ),
            ("fee_claimed".to_string(), flag(self.fee_claim.claimed)),
            ("fee_paid".to_string(), flag(self.fee_claim.paid)),
            (
                "fee_amount_vnd".to_string(),
                self.fee_claim.amount_vnd.unwrap_or(0) as f64,
            ),
            ("sessions".to_string(), self.sessions.len() as f64),
        ];
        if let Some(c) = self.closed_on {
            m.push((
                "days_to_close".to_string(),
                self.received_on.days_until(c) as f64,
            ));
        }
        m
    }

    fn index(&self) -> IndexFields {
        IndexFields {
            main_date: Some(self.received_on),
            closed_on: self.closed_on,
            category: Some(self.category.code().to_string()),
            summary: self.summary.clone(),
            names: self.parties.iter().map(|p| p.name.clone()).collect(),
        }
    }
}
