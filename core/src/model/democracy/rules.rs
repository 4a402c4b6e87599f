//! Status machine, validation, overdue rules and index projection of a democracy check.

use super::{CheckStatus, ChecklistGroup, DemocracyCheck, RemediationStatus};
use crate::config::RulesConfig;
use crate::label::Coded;
use crate::lifecycle::{Lifecycle, Overdue};
use crate::model::common::Date;
use crate::model::democracy::ItemOutcome;
use crate::model::rules::{dated, item, item_id, not_before, overdue, require_text};
use crate::record::{IndexFields, KindRules};
use crate::validate::ValidationIssue;

impl Lifecycle for CheckStatus {
    fn initial() -> Self {
        CheckStatus::Draft
    }
    fn next(&self) -> &'static [Self] {
        use CheckStatus::*;
        match self {
            Draft => &[Submitted],
            Submitted => &[Returned, Closed],
            Returned => &[Submitted],
            Closed => &[],
        }
    }
    fn is_closed(&self) -> bool {
        *self == CheckStatus::Closed
    }
}

/// Push `count_exceeds` if `part > whole`.
fn at_most(out: &mut Vec<ValidationIssue>, field: &str, part: u32, whole: u32, vi: &str, en: &str) {
    if part > whole {
        out.push(ValidationIssue::new(
            format!("democracy.counts.{field}"),
            "count_exceeds",
            format!("{vi}."),
            format!("{en}."),
        ));
    }
}

impl DemocracyCheck {
    fn validate_items(&self, out: &mut Vec<ValidationIssue>) {
        let Some(t) = self.template() else {
            out.push(ValidationIssue::new(
                "democracy.template_code",
                "unknown_template",
                "Không có mẫu phiếu kiểm tra với mã và phiên bản này.",
                "No checklist template has this code and version.",
            ));
            return;
        };
        for (code, r) in &self.items {
            let f = item("democracy.items", code);
            let Some((crit, _)) = t.item(code) else {
                out.push(ValidationIssue::new(
                    f,
                    "unknown_item",
                    "Tiêu chí không có trong phiên bản mẫu phiếu của đợt kiểm tra.",
                    "The item is not in the checklist template version of this check.",
                ));
                continue;
            };
            if !r.forms.is_empty() && crit.group != ChecklistGroup::Publication {
                out.push(ValidationIssue::new(
                    format!("{f}.forms"),
                    "forms_not_publication",
                    "Hình thức công khai chỉ áp dụng cho tiêu chí công khai thông tin.",
                    "Publication forms apply to publication items only.",
                ));
            }
        }
        if matches!(self.status, CheckStatus::Submitted | CheckStatus::Closed) {
            for (_, ti) in t.items() {
                if self.items.get(&ti.code).and_then(|r| r.result).is_none() {
                    out.push(ValidationIssue::new(
                        format!("democracy.items[{}].result", ti.code),
                        "required",
                        "Chưa đánh giá tiêu chí này.",
                        "This item has not been assessed.",
                    ));
                }
            }
            if self.rating.is_none() && self.score.is_none() {
                out.push(ValidationIssue::required(
                    "democracy.rating",
                    "xếp loại hoặc điểm",
                    "A rating or a score",
                ));
            }
            if self.checkers.is_empty() {
                out.push(ValidationIssue::required(
                    "democracy.checkers",
                    "người kiểm tra",
                    "Checkers",
                ));
            }
        }
    }

    fn validate_counts(&self, out: &mut Vec<ValidationIssue>) {
        let c = &self.counts;
        at_most(
            out,
            "decisions_meeting_threshold",
            c.decisions_meeting_threshold,
            c.decisions_taken,
            "Số nội dung đạt tỷ lệ tán thành vượt quá số nội dung đã quyết định",
            "Decisions meeting the threshold exceed decisions taken",
        );
        if c.households_total > 0 {
            at_most(
                out,
                "households_voting",
                c.households_voting,
                c.households_total,
                "Số hộ biểu quyết vượt quá tổng số hộ",
                "Households voting exceed households in the commune",
            );
        }
        at_most(
            out,
            "comments_accepted",
            c.comments_accepted,
            c.comments_received,
            "Số ý kiến được tiếp thu vượt quá số ý kiến nhận được",
            "Comments accepted exceed comments received",
        );
        at_most(
            out,
            "complaints_resolved",
            c.complaints_resolved,
            c.complaints_received,
            "Số đơn đã giải quyết vượt quá số đơn nhận được",
            "Complaints resolved exceed complaints received",
        );
        if c.complaints_resolved <= c.complaints_received
            && c.complaints_outstanding != c.complaints_received - c.complaints_resolved
        {
            out.push(ValidationIssue::new(
                "democracy.counts.complaints_outstanding",
                "complaints_outstanding",
                "Số đơn tồn đọng phải bằng số đơn nhận được trừ số đơn đã giải quyết.",
                "Outstanding complaints must equal received minus resolved.",
            ));
        }
        at_most(
            out,
            "villages_holding_meetings",
            c.villages_holding_meetings,
            c.villages_total,
            "Số thôn tổ chức hội nghị vượt quá tổng số thôn",
            "Villages holding meetings exceed villages in the commune",
        );
    }

    fn validate_remediation(&self, out: &mut Vec<ValidationIssue>) {
        let checked = dated(Some(self.checked_on), "ngày kiểm tra", "the check date");
        for (i, r) in self.remediation.iter().enumerate() {
            item_id(out, "democracy.remediation", i, &r.id);
            let f = item("democracy.remediation", &r.id);
            require_text(
                out,
                format!("{f}.content"),
                &r.content,
                "nội dung khắc phục",
                "Remediation",
            );
            require_text(
                out,
                format!("{f}.responsible"),
                &r.responsible,
                "người chịu trách nhiệm",
                "Responsible",
            );
            let due = dated(r.due_on, "hạn khắc phục", "the due date");
            not_before(out, format!("{f}.due_on"), due, checked);
            let done = dated(r.done_on, "ngày hoàn thành", "the date done");
            not_before(out, format!("{f}.done_on"), done, checked);
            if r.done_on.is_some() && r.status != RemediationStatus::Done {
                out.push(ValidationIssue::new(
                    format!("{f}.done_on"),
                    "done_on_not_done",
                    "Mục chưa hoàn thành không có ngày hoàn thành.",
                    "An item not done has no completion date.",
                ));
            }
        }
    }
}

impl KindRules for DemocracyCheck {
    type Status = CheckStatus;

    fn status(&self) -> CheckStatus {
        self.status
    }

    fn set_derived(&mut self, status: CheckStatus, closed_on: Option<Date>) {
        self.status = status;
        self.closed_on = closed_on;
    }

    /// `submitted` records the submission date; `closed` fills `closed_on`; any other status
    /// clears it.
    fn apply_status(&mut self, to: CheckStatus, on: Date) {
        self.status = to;
        if to == CheckStatus::Submitted {
            self.submitted_on = Some(on);
        }
        self.closed_on = to.is_closed().then_some(on);
    }

    fn validate(&self, _cfg: &RulesConfig, out: &mut Vec<ValidationIssue>) {
        require_text(
            out,
            "democracy.commune",
            &self.commune,
            "xã, phường được kiểm tra",
            "Commune",
        );
        let from = dated(
            Some(self.period_from),
            "ngày đầu kỳ",
            "the start of the period",
        );
        let to = dated(
            Some(self.period_to),
            "ngày cuối kỳ",
            "the end of the period",
        );
        not_before(out, "democracy.period_to", to, from);
        let checked = dated(Some(self.checked_on), "ngày kiểm tra", "the check date");
        not_before(out, "democracy.checked_on", checked, from);
        let closed = dated(self.closed_on, "ngày kết thúc", "the closing date");
        not_before(out, "democracy.closed_on", closed, checked);
        for (i, c) in self.checkers.iter().enumerate() {
            item_id(out, "democracy.checkers", i, &c.id);
            let f = item("democracy.checkers", &c.id);
            require_text(
                out,
                format!("{f}.name"),
                &c.person.name,
                "tên người kiểm tra",
                "Checker name",
            );
        }
        if self.score.is_some_and(|s| s > 100) {
            out.push(ValidationIssue::new(
                "democracy.score",
                "out_of_range",
                "Điểm phải từ 0 đến 100.",
                "The score must be between 0 and 100.",
            ));
        }
        if self.status.is_closed() != self.closed_on.is_some() {
            out.push(if self.status.is_closed() {
                ValidationIssue::required("democracy.closed_on", "ngày kết thúc", "Closing date")
            } else {
                ValidationIssue::new(
                    "democracy.closed_on",
                    "closed_on_open",
                    "Đợt kiểm tra chưa kết thúc nhưng đã có ngày kết thúc.",
                    "An open check must not have a closing date.",
                )
            });
        }
        self.validate_items(out);
        self.validate_counts(out);
        self.validate_remediation(out);
    }

    /// Remediation items not done after their due date plus the configured grace. They stay
    /// overdue after the check is closed: the commune still owes them.
    fn overdue(&self, cfg: &RulesConfig, as_of: Date) -> Vec<Overdue> {
        self.open_remediation()
            .filter_map(|r| {
                let due = r.due_on?.plus_days(cfg.remediation_grace_days);
                overdue(
                    "remediation_overdue",
                    item("democracy.remediation", &r.id),
                    due,
                    as_of,
                    "Nội dung khắc phục chưa hoàn thành dù đã quá hạn.",
                    "A remediation item is not done past its due date.",
                )
            })
            .collect()
    }

    /// Democracy measures: item counts by result, `compliance_percent`, `score`, the counts of
    /// the check, `remediation_open`.
    fn measures(&self, _cfg: &RulesConfig) -> Vec<(String, f64)> {
        let count =
            |o: ItemOutcome| self.items.values().filter(|i| i.result == Some(o)).count() as f64;
        let c = &self.counts;
        let mut m = vec![
            ("items_met".to_string(), count(ItemOutcome::Met)),
            (
                "items_partly_met".to_string(),
                count(ItemOutcome::PartlyMet),
            ),
            ("items_not_met".to_string(), count(ItemOutcome::NotMet)),
            (
                "items_not_applicable".to_string(),
                count(ItemOutcome::NotApplicable),
            ),
            ("decisions_taken".to_string(), f64::from(c.decisions_taken)),
            (
                "decisions_meeting_threshold".to_string(),
                f64::from(c.decisions_meeting_threshold),
            ),
            ("consultations".to_string(), f64::from(c.consultations)),
            (
                "comments_received".to_string(),
                f64::from(c.comments_received),
            ),
            (
                "comments_accepted".to_string(),
                f64::from(c.comments_accepted),
            ),
            (
                "complaints_received".to_string(),
                f64::from(c.complaints_received),
            ),
            (
                "complaints_resolved".to_string(),
                f64::from(c.complaints_resolved),
            ),
            (
                "complaints_outstanding".to_string(),
                f64::from(c.complaints_outstanding),
            ),
            ("dialogues_held".to_string(), f64::from(c.dialogues_held)),
            (
                "villages_holding_meetings".to_string(),
                f64::from(c.villages_holding_meetings),
            ),
            ("villages_total".to_string(), f64::from(c.villages_total)),
            (
                "remediation_open".to_string(),
                self.remediation
                    .iter()
                    .filter(|r| r.status != RemediationStatus::Done)
                    .count() as f64,
            ),
        ];
        if let Some(p) = self.compliance_percent() {
            m.push(("compliance_percent".to_string(), p));
        }
        if let Some(s) = self.score {
            m.push(("score".to_string(), f64::from(s)));
        }
        m
    }

    fn index(&self) -> IndexFields {
        IndexFields {
            main_date: Some(self.checked_on),
            closed_on: self.closed_on,
            category: self.rating.map(|r| r.code().to_string()),
            summary: format!(
                "Kiểm tra thực hiện dân chủ ở cơ sở {} – {}",
                self.period_from.0.format("%d/%m/%Y"),
                self.period_to.0.format("%d/%m/%Y")
            ),
            names: Vec::new(),
        }
    }
}
