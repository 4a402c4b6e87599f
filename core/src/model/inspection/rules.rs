//! Status machine, validation, overdue rules and index projection of an inspection activity.

use super::{Addressee, InspectionActivity, InspectionStatus, Recommendation, SubjectKind};
use chrono::Datelike;

use crate::config::RulesConfig;
use crate::label::Coded;
use crate::lifecycle::{Lifecycle, Overdue};
use crate::model::common::Date;
use crate::model::rules::{
    area, dated, item, item_id, money, not_before, overdue, require_some_text, require_text,
};
use crate::record::{IndexFields, KindRules};
use crate::validate::ValidationIssue;

/// The machine: `in_progress → recommended → awaiting_answer → handled → closed`, plus
/// `in_progress → closed` (nothing found, nothing to recommend), `awaiting_answer → closed`
/// (no answer ever came; the board reports it to the Front) and `handled → awaiting_answer`
/// (a further recommendation was sent). Being overdue is not a status: see
/// [`KindRules::overdue`].
impl Lifecycle for InspectionStatus {
    fn initial() -> Self {
        InspectionStatus::InProgress
    }
    fn next(&self) -> &'static [Self] {
        use InspectionStatus::*;
        match self {
            InProgress => &[Recommended, Closed],
            Recommended => &[AwaitingAnswer],
            AwaitingAnswer => &[Handled, Closed],
            Handled => &[AwaitingAnswer, Closed],
            Closed => &[],
        }
    }
    fn is_closed(&self) -> bool {
        *self == InspectionStatus::Closed
    }
}

impl InspectionActivity {
    /// When the answer to `rec` is due: its own due date, else `sent_on` plus the configured
    /// number of days. `None` while it is not sent.
    pub fn answer_due_on(rec: &Recommendation, cfg: &RulesConfig) -> Option<Date> {
        rec.response_due_on.or_else(|| {
            rec.sent_on
                .map(|s| s.plus_days(cfg.recommendation_answer_days))
        })
    }

    /// Whether recommendation `id` was answered by its due date: `None` if it is unknown, not
    /// sent or not answered yet (for the "share answered on time" indicator).
    pub fn answered_on_time(&self, id: &str, cfg: &RulesConfig) -> Option<bool> {
        let due = Self::answer_due_on(self.recommendation(id)?, cfg)?;
        self.first_answer(id).map(|a| a.received_on <= due)
    }

    fn validate_findings(&self, out: &mut Vec<ValidationIssue>) {
        for (i, f) in self.findings.iter().enumerate() {
            item_id(out, "inspection.findings", i, &f.id);
            let p = item("inspection.findings", &f.id);
            require_text(
                out,
                format!("{p}.description"),
                &f.description,
                "nội dung phát hiện",
                "Finding",
            );
            if let Some(m) = f.money_vnd {
                money(out, format!("{p}.money_vnd"), m);
            }
            if let Some(a) = f.land_m2 {
                area(out, format!("{p}.land_m2"), a);
            }
        }
    }

    fn validate_recommendations(&self, out: &mut Vec<ValidationIssue>) {
        let start = dated(Some(self.start_on), "ngày bắt đầu", "the start date");
        for (i, r) in self.recommendations.iter().enumerate() {
            item_id(out, "inspection.recommendations", i, &r.id);
            let p = item("inspection.recommendations", &r.id);
            require_text(
                out,
                format!("{p}.content"),
                &r.content,
                "nội dung kiến nghị",
                "Recommendation",
            );
            if r.addressee == Addressee::Other {
                require_some_text(
                    out,
                    format!("{p}.addressee_name"),
                    r.addressee_name.as_ref(),
                    "nơi nhận kiến nghị",
                    "Addressee",
                );
            }
            let sent = dated(r.sent_on, "ngày gửi kiến nghị", "the date sent");
            not_before(out, format!("{p}.sent_on"), sent, start);
            let due = dated(r.response_due_on, "hạn trả lời", "the answer due date");
            not_before(out, format!("{p}.response_due_on"), due, sent);
        }
        for (i, resp) in self.responses.iter().enumerate() {
            item_id(out, "inspection.responses", i, &resp.id);
            let p = item("inspection.responses", &resp.id);
            let Some(rec) = self.recommendation(&resp.recommendation_id) else {
                out.push(ValidationIssue::new(
                    format!("{p}.recommendation_id"),
                    "unknown_recommendation",
                    "Phản hồi không gắn với kiến nghị nào của hoạt động này.",
                    "The response refers to no recommendation of this activity.",
                ));
                continue;
            };
            if rec.sent_on.is_none() {
                out.push(ValidationIssue::new(
                    format!("{p}.recommendation_id"),
                    "not_sent",
                    "Kiến nghị chưa được gửi nên chưa thể có phản hồi.",
                    "The recommendation was not sent, so it cannot have a response.",
                ));
            }
            let on = dated(Some(resp.received_on), "ngày phản hồi", "the response date");
            let sent = dated(
                rec.sent_on,
                "ngày gửi kiến nghị",
                "the date the recommendation was sent",
            );
            not_before(out, format!("{p}.received_on"), on, sent);
        }
    }

    fn validate_status(&self, out: &mut Vec<ValidationIssue>) {
        use InspectionStatus::*;
        let s = self.status;
        if matches!(s, Recommended | AwaitingAnswer | Handled) && self.recommendations.is_empty() {
            out.push(ValidationIssue::required(
                "inspection.recommendations",
                "kiến nghị",
                "Recommendations",
            ));
        }
        if matches!(s, AwaitingAnswer | Handled)
            && !self.recommendations.is_empty()
            && self.recommendations.iter().all(|r| r.sent_on.is_none())
        {
            out.push(ValidationIssue::new(
                "inspection.recommendations",
                "not_sent",
                "Chưa có kiến nghị nào được gửi.",
                "No recommendation has been sent.",
            ));
        }
        if s == Handled && !self.responses.iter().any(|r| r.result.is_answer()) {
            out.push(ValidationIssue::required(
                "inspection.responses",
                "phản hồi của cơ quan có thẩm quyền",
                "An answer",
            ));
        }
        if s.is_closed() && self.closed_on.is_none() {
            out.push(ValidationIssue::required(
                "inspection.closed_on",
                "ngày kết thúc",
                "Closing date",
            ));
        }
        if !s.is_closed() && self.closed_on.is_some() {
            out.push(ValidationIssue::new(
                "inspection.closed_on",
                "closed_on_open",
                "Hoạt động chưa kết thúc nhưng đã có ngày kết thúc.",
                "An open activity must not have a closing date.",
            ));
        }
    }
}

impl KindRules for InspectionActivity {
    type Status = InspectionStatus;

    fn status(&self) -> InspectionStatus {
        self.status
    }

    fn set_derived(&mut self, status: InspectionStatus, closed_on: Option<Date>) {
        self.status = status;
        self.closed_on = closed_on;
    }

    /// `awaiting_answer` marks every unsent recommendation as sent that day; `closed` fills
    /// `closed_on` (and `end_on` if empty); reopening clears `closed_on`.
    fn apply_status(&mut self, to: InspectionStatus, on: Date) {
        self.status = to;
        if to == InspectionStatus::AwaitingAnswer {
            for r in self
                .recommendations
                .iter_mut()
                .filter(|r| r.sent_on.is_none())
            {
                r.sent_on = Some(on);
            }
        }
        if to.is_closed() {
            self.closed_on = Some(on);
            self.end_on.get_or_insert(on);
        } else {
            self.closed_on = None;
        }
    }

    fn validate(&self, _cfg: &RulesConfig, out: &mut Vec<ValidationIssue>) {
        require_text(
            out,
            "inspection.board",
            &self.board,
            "Ban Thanh tra nhân dân",
            "Board",
        );
        require_text(
            out,
            "inspection.title",
            &self.title,
            "nội dung hoạt động",
            "Title",
        );
        if self.subject == SubjectKind::Other {
            require_some_text(
                out,
                "inspection.subject_name",
                self.subject_name.as_ref(),
                "tên đối tượng",
                "Subject name",
            );
        }
        if self.members.is_empty() {
            out.push(ValidationIssue::required(
                "inspection.members",
                "thành viên tham gia",
                "Members",
            ));
        }
        for (i, m) in self.members.iter().enumerate() {
            item_id(out, "inspection.members", i, &m.id);
            let p = item("inspection.members", &m.id);
            require_text(
                out,
                format!("{p}.name"),
                &m.person.name,
                "tên thành viên",
                "Member name",
            );
        }
        let start = dated(Some(self.start_on), "ngày bắt đầu", "the start date");
        let end = dated(self.end_on, "ngày kết thúc kiểm tra", "the end date");
        not_before(out, "inspection.end_on", end, start);
        let closed = dated(self.closed_on, "ngày kết thúc", "the closing date");
        not_before(out, "inspection.closed_on", closed, start);
        self.validate_findings(out);
        self.validate_recommendations(out);
        self.validate_status(out);
        let o = &self.outcomes;
        money(
            out,
            "inspection.outcomes.money_recovered_vnd",
            o.money_recovered_vnd,
        );
        money(
            out,
            "inspection.outcomes.money_other_vnd",
            o.money_other_vnd,
        );
        area(
            out,
            "inspection.outcomes.land_recovered_m2",
            o.land_recovered_m2,
        );
        area(out, "inspection.outcomes.land_other_m2", o.land_other_m2);
    }

    fn overdue(&self, cfg: &RulesConfig, as_of: Date) -> Vec<Overdue> {
        if self.status.is_closed() {
            return Vec::new();
        }
        self.recommendations
            .iter()
            .filter(|r| self.first_answer(&r.id).is_none())
            .filter_map(|r| {
                let due = Self::answer_due_on(r, cfg)?;
                overdue(
                    "recommendation_unanswered",
                    item("inspection.recommendations", &r.id),
                    due,
                    as_of,
                    "Kiến nghị chưa được trả lời dù đã quá hạn.",
                    "The recommendation is unanswered past its deadline.",
                )
            })
            .collect()
    }

    fn subtype(&self) -> Option<String> {
        Some(self.activity_type.code().to_string())
    }

    /// Inspection flows, each on its own day: `finding` and `violation` (found on, else the
    /// activity's end, else its start), `recommendation_sent` (sent on; a draft is not counted),
    /// `money_recovered_vnd`, `land_recovered_m2`, `persons_disciplined` (the outcomes' recorded
    /// day, else the closing day, else the end, else the start; zero amounts are left out).
    /// Answers are read from the per-recommendation (due, answered) pairs of the measures.
    fn flows(&self) -> Vec<crate::facts::Flow> {
        use crate::facts::Flow;
        let fallback = self.end_on.unwrap_or(self.start_on);
        let mut out = Vec::new();
        for f in &self.findings {
            let on = f.found_on.unwrap_or(fallback);
            out.push(Flow::new("finding", on, 1.0));
            if f.is_violation {
                out.push(Flow::new("violation", on, 1.0));
            }
        }
        for r in &self.recommendations {
            if let Some(on) = r.sent_on {
                out.push(Flow::new("recommendation_sent", on, 1.0));
            }
        }
        let o = &self.outcomes;
        let on = o
            .recorded_on
            .or(self.closed_on)
            .or(self.end_on)
            .unwrap_or(self.start_on);
        if o.money_recovered_vnd != 0 {
            out.push(Flow::new(
                "money_recovered_vnd",
                on,
                o.money_recovered_vnd as f64,
            ));
        }
        if o.land_recovered_m2 != 0.0 {
            out.push(Flow::new("land_recovered_m2", on, o.land_recovered_m2));
        }
        if o.persons_disciplined != 0 {
            out.push(Flow::new(
                "persons_disciplined",
                on,
                f64::from(o.persons_disciplined),
            ));
        }
        out
    }

    /// Inspection measures: `findings`, `violations`, `recommendations`, `recommendations_sent`,
    /// `answered`, `answered_on_time`, `money_recovered_vnd`, `land_recovered_m2`,
    /// `persons_disciplined`, `money_found_vnd`, `land_found_m2`, then per sent recommendation
    /// the pair `recommendation_due_day`, `recommendation_answered_day` (day numbers; -1 while
    /// unanswered).
    fn measures(&self, cfg: &RulesConfig) -> Vec<(String, f64)> {
        let sent = self
            .recommendations
            .iter()
            .filter(|r| r.sent_on.is_some())
            .count();
        let answered = self
            .recommendations
            .iter()
            .filter(|r| self.answered_on_time(&r.id, cfg).is_some())
            .count();
        let on_time = self
            .recommendations
            .iter()
            .filter(|r| self.answered_on_time(&r.id, cfg) == Some(true))
            .count();
        let money_found: i64 = self.findings.iter().filter_map(|f| f.money_vnd).sum();
        let land_found: f64 = self.findings.iter().filter_map(|f| f.land_m2).sum();
        let mut m = vec![
            ("findings".to_string(), self.findings.len() as f64),
            (
                "violations".to_string(),
                self.findings.iter().filter(|f| f.is_violation).count() as f64,
            ),
            (
                "recommendations".to_string(),
                self.recommendations.len() as f64,
            ),
            ("recommendations_sent".to_string(), sent as f64),
            ("answered".to_string(), answered as f64),
            ("answered_on_time".to_string(), on_time as f64),
            (
                "money_recovered_vnd".to_string(),
                self.outcomes.money_recovered_vnd as f64,
            ),
            (
                "land_recovered_m2".to_string(),
                self.outcomes.land_recovered_m2,
            ),
            (
                "persons_disciplined".to_string(),
                f64::from(self.outcomes.persons_disciplined),
            ),
            ("money_found_vnd".to_string(), money_found as f64),
            ("land_found_m2".to_string(), land_found),
        ];
        // One pair per sent recommendation, in order, so reports can tell "overdue" and
        // "answered on time" as of any day: its answer due day and the day of its first answer
        // (-1 while unanswered), as day numbers from the common era.
        for r in self.recommendations.iter().filter(|r| r.sent_on.is_some()) {
            let Some(due) = Self::answer_due_on(r, cfg) else {
                continue;
            };
            let answered = self
                .first_answer(&r.id)
                .map_or(-1.0, |a| f64::from(a.received_on.0.num_days_from_ce()));
            m.push((
                "recommendation_due_day".to_string(),
                f64::from(due.0.num_days_from_ce()),
            ));
            m.push(("recommendation_answered_day".to_string(), answered));
        }
        m
    }

    fn index(&self) -> IndexFields {
        IndexFields {
            main_date: Some(self.start_on),
            closed_on: self.closed_on,
            category: Some(self.topic.code().to_string()),
            summary: self.title.clone(),
            names: self.subject_name.iter().cloned().collect(),
        }
    }
}
