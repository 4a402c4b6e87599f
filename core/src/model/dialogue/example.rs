//! Example dialogues (Hải Phòng), valid in their status.

use super::{
    ChairRole, Commitment, Dialogue, DialogueIssue, DialogueStatus, DialogueType, FollowUp,
    IssueAnswer, ParticipantCount, ParticipantGroup,
};
use crate::model::common::{Date, new_item_id};
use crate::model::petition::PetitionSubject;

fn d(y: i32, m: u32, day: u32) -> Date {
    Date::ymd(y, m, day).unwrap_or(Date(chrono::NaiveDate::MIN))
}

impl Dialogue {
    /// A planned periodic dialogue of the commune's Party secretary with the people (status
    /// `planned`) on 15 April 2026.
    pub fn example() -> Dialogue {
        Dialogue {
            status: DialogueStatus::Planned,
            dialogue_type: DialogueType::Periodic,
            held_on: d(2026, 4, 15),
            place: "Hội trường UBND xã".into(),
            chair_role: ChairRole::PartySecretary,
            chair_name: "Phạm Văn Tuấn".into(),
            topic: "Giải phóng mặt bằng đường trục xã và vệ sinh môi trường".into(),
            participants: Vec::new(),
            issues: Vec::new(),
            follow_ups: Vec::new(),
            closed_on: None,
            notes: None,
        }
    }

    /// The example held (status `held`): 120 citizens and 15 village heads; one issue answered
    /// on the spot, one commitment (lights on the dyke road by 30 June 2026), followed up once.
    pub fn example_held() -> Dialogue {
        let mut dl = Dialogue::example();
        dl.status = DialogueStatus::Held;
        dl.participants = vec![
            ParticipantCount {
                id: new_item_id(),
                group: ParticipantGroup::Citizens,
                count: 120,
            },
            ParticipantCount {
                id: new_item_id(),
                group: ParticipantGroup::VillageLeaders,
                count: 15,
            },
        ];
        let lights = new_item_id();
        dl.issues = vec![
            DialogueIssue {
                id: new_item_id(),
                content: "Tiến độ chi trả tiền bồi thường".into(),
                subject: PetitionSubject::Compensation,
                answer: IssueAnswer::OnTheSpot,
                answer_text: Some("Chi trả xong trước 30/4/2026".into()),
                commitment: None,
            },
            DialogueIssue {
                id: lights.clone(),
                content: "Lắp đèn chiếu sáng đường đê".into(),
                subject: PetitionSubject::Construction,
                answer: IssueAnswer::Commitment,
                answer_text: None,
                commitment: Some(Commitment {
                    responsible: "Phó Chủ tịch UBND xã phụ trách kinh tế".into(),
                    action: "Lắp 20 bóng đèn đường đê thôn Đông".into(),
                    due_on: d(2026, 6, 30),
                }),
            },
        ];
        dl.follow_ups = vec![FollowUp {
            id: new_item_id(),
            issue_id: lights,
            on: d(2026, 5, 20),
            note: "Đã duyệt kinh phí".into(),
            done: false,
        }];
        dl
    }
}
