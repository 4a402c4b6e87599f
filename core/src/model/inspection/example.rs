//! Example inspection activities (Hải Phòng), valid in their status.

use super::{
    ActivityType, Addressee, Finding, FindingCategory, InspectionActivity, InspectionBasis,
    InspectionStatus, Outcomes, Recommendation, Response, ResponseResult, SubjectKind, Topic,
};
use crate::model::common::{Date, new_item_id};
use crate::model::people::PersonEntry;

fn d(y: i32, m: u32, day: u32) -> Date {
    Date::ymd(y, m, day).unwrap_or(Date(chrono::NaiveDate::MIN))
}

impl InspectionActivity {
    /// A valid activity under way (status `in_progress`): the board of a Hải Phòng commune
    /// supervises the use of households' contributions to concreting a village road.
    pub fn example() -> InspectionActivity {
        InspectionActivity {
            status: InspectionStatus::InProgress,
            board: "31-KIEN-THUY".into(),
            title: "Giám sát việc sử dụng tiền đóng góp bê tông hóa đường thôn Đông".into(),
            activity_type: ActivityType::PeopleDecision,
            basis: InspectionBasis::AnnualPlan,
            basis_ref: Some("Kế hoạch số 02/KH-TTND ngày 15/01/2025".into()),
            subject: SubjectKind::VillageHead,
            subject_name: Some("Ban phát triển thôn Đông".into()),
            topic: Topic::Contributions,
            start_on: d(2025, 8, 4),
            end_on: None,
            members: vec![
                PersonEntry::named("Vũ Văn Thành", Some("trưởng ban")),
                PersonEntry::named("Hoàng Thị Lan", Some("thành viên")),
            ],
            findings: Vec::new(),
            recommendations: Vec::new(),
            responses: Vec::new(),
            outcomes: Outcomes::default(),
            policy_feedback: None,
            closed_on: None,
            notes: None,
        }
    }

    /// The example after the board found an overspend, recommended recovery to the commune
    /// chair on 20 August 2025 (document 05/KN-TTND, answer due 4 September), and received a
    /// partial acceptance on 30 August (status `handled`).
    pub fn example_handled() -> InspectionActivity {
        let mut a = InspectionActivity::example();
        a.status = InspectionStatus::Handled;
        a.end_on = Some(d(2025, 8, 15));
        a.findings.push(Finding {
            id: new_item_id(),
            description: "Chi mua xi măng vượt dự toán đã được hội nghị thôn thông qua".into(),
            is_violation: true,
            category: FindingCategory::Finance,
            money_vnd: Some(18_500_000),
            land_m2: None,
            evidence: Some("Biên bản kiểm tra ngày 15/8/2025".into()),
            found_on: Some(d(2025, 8, 15)),
        });
        let rec = Recommendation {
            id: new_item_id(),
            addressee: Addressee::CommuneChair,
            addressee_name: None,
            content: "Đề nghị thu hồi khoản chi vượt và công khai lại quyết toán".into(),
            sent_on: Some(d(2025, 8, 20)),
            document_no: Some("05/KN-TTND".into()),
            response_due_on: Some(d(2025, 9, 4)),
        };
        a.responses.push(Response {
            id: new_item_id(),
            recommendation_id: rec.id.clone(),
            received_on: d(2025, 8, 30),
            document_no: Some("112/UBND".into()),
            result: ResponseResult::Partly,
            measures: Some(
                "Thu hồi 12.000.000 đồng, công khai lại quyết toán tại nhà văn hóa".into(),
            ),
        });
        a.recommendations.push(rec);
        a.outcomes.money_recovered_vnd = 12_000_000;
        a.outcomes.recorded_on = Some(d(2025, 8, 30));
        a
    }
}
