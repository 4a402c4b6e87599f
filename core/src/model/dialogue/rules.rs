//! Status machine, validation, overdue rules and index projection of a dialogue.

use chrono::Datelike;

use super::{Dialogue, DialogueStatus, IssueAnswer};
use crate::config::RulesConfig;
use crate::label::Coded;
use crate::lifecycle::{Lifecycle, Overdue};
use crate::model::common::Date;
use crate::model::rules::{dated, item, item_id, not_before, overdue, require_text};
use crate::record::{IndexFields, KindRules};
use crate::validate::ValidationIssue;

/// The machine: `planned → held → closed`, `planned → cancelled`, and `closed → held` (a
/// commitment thought done turned out not to be).
impl Lifecycle for DialogueStatus {
    fn initial() -> Self {
        DialogueStatus::Planned
    }
    fn next(&self) -> &'static [Self] {
        use DialogueStatus::*;
        match self {
            Planned => &[Held, Cancelled],
            Held => &[Closed],
            Closed => &[Held],
            Cancelled => &[],
        }
    }
    fn is_closed(&self) -> bool {
        matches!(self, DialogueStatus::Closed | DialogueStatus::Cancelled)
    }
}

impl Dialogue {
    /// Whether the commitment of issue `id` was done by its day: `None` while not done or if
    /// the issue has no commitment.
    pub fn kept_on_time(&self, id: &str) -> Option<bool> {
        let c = self.issue(id)?.commitment.as_ref()?;
        self.done_on(id).map(|d| d <= c.due_on)
    }
}

impl KindRules for Dialogue {
    type Status = DialogueStatus;

    fn status(&self) -> DialogueStatus {
        self.status
    }

    fn set_derived(&mut self, status: DialogueStatus, closed_on: Option<Date>) {
        self.status = status;
        self.closed_on = closed_on;
    }

    fn apply_status(&mut self, to: DialogueStatus, on: Date) {
        self.status = to;
        self.closed_on = to.is_closed().then_some(on);
    }

    fn validate(&self, _cfg: &RulesConfig, out: &mut Vec<ValidationIssue>) {
        require_text(out, "dialogue.place", &self.place, "địa điểm", "Place");
        require_text(
            out,
            "dialogue.chair_name",
            &self.chair_name,
            "người chủ trì",
            "Chair",
        );
        require_text(out, "dialogue.topic", &self.topic, "chủ đề", "Topic");
        for (i, p) in self.participants.iter().enumerate() {
            item_id(out, "dialogue.participants", i, &p.id);
        }
        let held = dated(Some(self.held_on), "ngày tổ chức", "the day held");
        for (i, issue) in self.issues.iter().enumerate() {
            item_id(out, "dialogue.issues", i, &issue.id);
            let p = item("dialogue.issues", &issue.id);
            require_text(
                out,
                format!("{p}.content"),
                &issue.content,
                "nội dung ý kiến",
                "Issue",
            );
            match (&issue.answer, &issue.commitment) {
                (IssueAnswer::Commitment, None) => out.push(ValidationIssue::required(
                    format!("{p}.commitment"),
                    "nội dung cam kết (ai, làm gì, thời hạn)",
                    "The commitment (who, what, by when)",
                )),
                (IssueAnswer::Commitment, Some(c)) => {
                    require_text(
                        out,
                        format!("{p}.commitment.responsible"),
                        &c.responsible,
                        "người chịu trách nhiệm",
                        "Responsible",
                    );
                    require_text(
                        out,
                        format!("{p}.commitment.action"),
                        &c.action,
                        "việc cam kết",
                        "Action",
                    );
                    let due = dated(Some(c.due_on), "thời hạn cam kết", "the commitment's day");
                    not_before(out, format!("{p}.commitment.due_on"), due, held);
                }
                (_, Some(_)) => out.push(ValidationIssue::new(
                    format!("{p}.commitment"),
                    "commitment_without_answer",
                    "Chỉ ý kiến được trả lời bằng cam kết mới có nội dung cam kết.",
                    "Only an issue answered by a commitment has a commitment.",
                )),
                (_, None) => {}
            }
        }
        for (i, f) in self.follow_ups.iter().enumerate() {
            item_id(out, "dialogue.follow_ups", i, &f.id);
            let p = item("dialogue.follow_ups", &f.id);
            if self
                .issue(&f.issue_id)
                .is_none_or(|i| i.answer != IssueAnswer::Commitment)
            {
                out.push(ValidationIssue::new(
                    format!("{p}.issue_id"),
                    "unknown_commitment",
                    "Theo dõi không gắn với cam kết nào của buổi đối thoại này.",
                    "The follow-up refers to no commitment of this dialogue.",
                ));
            }
            let on = dated(Some(f.on), "ngày theo dõi", "the follow-up's day");
            not_before(out, format!("{p}.on"), on, held);
        }
        if matches!(
            self.status,
            DialogueStatus::Planned | DialogueStatus::Cancelled
        ) && (!self.issues.is_empty() || !self.follow_ups.is_empty())
        {
            out.push(ValidationIssue::new(
                "dialogue.issues",
                "not_held",
                "Buổi đối thoại chưa tổ chức thì chưa có ý kiến, cam kết.",
                "A dialogue not held has no issues or commitments yet.",
            ));
        }
        if self.status == DialogueStatus::Closed
            && self
                .commitments()
                .any(|(i, _)| self.done_on(&i.id).is_none())
        {
            out.push(ValidationIssue::new(
                "dialogue.follow_ups",
                "open_commitments",
                "Còn cam kết chưa hoàn thành nên chưa thể kết thúc.",
                "Some commitments are not done yet.",
            ));
        }
        let closed = dated(self.closed_on, "ngày hoàn thành", "the closing day");
        not_before(out, "dialogue.closed_on", closed, held);
    }

    fn overdue(&self, _cfg: &RulesConfig, as_of: Date) -> Vec<Overdue> {
        if self.status != DialogueStatus::Held {
            return Vec::new();
        }
        self.commitments()
            .filter(|(i, _)| self.done_on(&i.id).is_none_or(|d| d > as_of))
            .filter_map(|(i, c)| {
                overdue(
                    "commitment_overdue",
                    item("dialogue.issues", &i.id),
                    c.due_on,
                    as_of,
                    "Cam kết tại buổi đối thoại chưa thực hiện dù đã quá hạn.",
                    "A commitment made at the dialogue is not done past its day.",
                )
            })
            .collect()
    }

    fn subtype(&self) -> Option<String> {
        Some(self.chair_role.code().to_string())
    }

    /// Dialogue flows: `commitment_done` on each commitment's done day.
    fn flows(&self) -> Vec<crate::facts::Flow> {
        use crate::facts::Flow;
        self.commitments()
            .filter_map(|(i, _)| self.done_on(&i.id))
            .map(|on| Flow::new("commitment_done", on, 1.0))
            .collect()
    }

    /// Dialogue measures: `participants`, `issues`, `answered_on_the_spot`, `commitments`,
    /// `referred`, `noted`, `chaired_by_head` (0/1), then per commitment the pair
    /// `commitment_due_day`, `commitment_done_day` (day numbers from the common era; -1 while
    /// not done).
    fn measures(&self, _cfg: &RulesConfig) -> Vec<(String, f64)> {
        let count = |a: IssueAnswer| self.issues.iter().filter(|i| i.answer == a).count() as f64;
        let day = |d: Date| f64::from(d.0.num_days_from_ce());
        let mut m = vec![
            (
                "participants".to_string(),
                f64::from(self.participants_total()),
            ),
            ("issues".to_string(), self.issues.len() as f64),
            (
                "answered_on_the_spot".to_string(),
                count(IssueAnswer::OnTheSpot),
            ),
            ("commitments".to_string(), self.commitments().count() as f64),
            ("referred".to_string(), count(IssueAnswer::Referred)),
            ("noted".to_string(), count(IssueAnswer::Noted)),
            (
                "chaired_by_head".to_string(),
                if self.chair_role.is_head() { 1.0 } else { 0.0 },
            ),
        ];
        for (i, c) in self.commitments() {
            m.push(("commitment_due_day".to_string(), day(c.due_on)));
            m.push((
                "commitment_done_day".to_string(),
                self.done_on(&i.id).map_or(-1.0, day),
            ));
        }
        m
    }

    fn index(&self) -> IndexFields {
        IndexFields {
            main_date: Some(self.held_on),
            closed_on: self.closed_on,
            category: Some(self.dialogue_type.code().to_string()),
            summary: self.topic.clone(),
            names: vec![self.chair_name.clone()],
        }
    }
}
