//! Example democracy checks (Hải Phòng), valid in their status.

use super::template::{DCS_2023, find_template};
use super::{
    CheckCounts, CheckStatus, DemocracyCheck, ItemOutcome, PublicationForm, Rating,
    RemediationItem, RemediationStatus,
};
use crate::model::common::{Date, new_item_id};
use crate::model::people::PersonEntry;

fn d(y: i32, m: u32, day: u32) -> Date {
    Date::ymd(y, m, day).unwrap_or(Date(chrono::NaiveDate::MIN))
}

impl DemocracyCheck {
    /// A valid draft check (status `draft`) of a Hải Phòng commune for the third quarter of
    /// 2025 against the built-in template `dcs-2023` v1, partly filled in: two publication items
    /// assessed, the period's figures entered, one remediation item.
    pub fn example() -> DemocracyCheck {
        let (from, to, on) = (d(2025, 7, 1), d(2025, 9, 30), d(2025, 10, 10));
        let mut c = match find_template(DCS_2023, 1) {
            Some(t) => DemocracyCheck::from_template(t, "31-TIEN-LANG", from, to, on),
            None => DemocracyCheck::empty("31-TIEN-LANG", from, to, on),
        };
        c.checkers = vec![
            PersonEntry::named("Đặng Thị Thu", Some("công chức Văn phòng - Thống kê")),
            PersonEntry::named("Bùi Văn Khánh", Some("Phó Chủ tịch Ủy ban MTTQ xã")),
        ];
        if let Some(r) = c.items.get_mut("pub_budget") {
            r.result = Some(ItemOutcome::Met);
            r.evidence_doc_no = Some("Quyết định 215/QĐ-UBND".into());
            r.forms = vec![PublicationForm::OfficePosting, PublicationForm::Website];
        }
        if let Some(r) = c.items.get_mut("pub_contributions") {
            r.result = Some(ItemOutcome::PartlyMet);
            r.note = Some("Chưa niêm yết quyết toán khoản đóng góp làm đường tại 2 thôn".into());
            r.forms = vec![PublicationForm::VillageHead];
        }
        c.counts = CheckCounts {
            decisions_taken: 4,
            decisions_meeting_threshold: 4,
            households_total: 3_120,
            households_voting: 2_480,
            consultations: 2,
            comments_received: 57,
            comments_accepted: 41,
            complaints_received: 9,
            complaints_resolved: 7,
            complaints_outstanding: 2,
            dialogues_held: 1,
            villages_holding_meetings: 11,
            villages_total: 12,
        };
        c.remediation.push(RemediationItem {
            id: new_item_id(),
            content: "Niêm yết quyết toán khoản đóng góp làm đường tại nhà văn hóa thôn".into(),
            responsible: "Trưởng thôn Đông, thôn Nam".into(),
            due_on: Some(d(2025, 10, 31)),
            status: RemediationStatus::Open,
            done_on: None,
        });
        c
    }

    /// The example fully assessed and submitted on 15 October 2025 (status `submitted`).
    pub fn example_submitted() -> DemocracyCheck {
        let mut c = DemocracyCheck::example();
        for r in c.items.values_mut().filter(|r| r.result.is_none()) {
            r.result = Some(ItemOutcome::Met);
        }
        if let Some(r) = c.items.get_mut("com_units") {
            r.result = Some(ItemOutcome::NotApplicable);
        }
        c.rating = Some(Rating::Good);
        c.score = Some(92);
        c.status = CheckStatus::Submitted;
        c.submitted_on = Some(d(2025, 10, 15));
        c
    }

    fn empty(commune: &str, from: Date, to: Date, on: Date) -> DemocracyCheck {
        DemocracyCheck {
            status: CheckStatus::Draft,
            commune: commune.into(),
            period_from: from,
            period_to: to,
            checked_on: on,
            template_code: DCS_2023.into(),
            template_version: 1,
            checkers: Vec::new(),
            items: Default::default(),
            counts: CheckCounts::default(),
            rating: None,
            score: None,
            remediation: Vec::new(),
            conclusion: None,
            submitted_on: None,
            closed_on: None,
            notes: None,
        }
    }
}
