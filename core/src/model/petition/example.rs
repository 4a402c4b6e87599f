//! Example petitions (Hải Phòng), valid in their status.

use super::{
    CompetentBody, Complexity, Extension, Petition, PetitionChannel, PetitionOutcome,
    PetitionStatus, PetitionSubject, PetitionType, Petitioner, Resolution,
};
use crate::model::common::{Date, new_item_id};

fn d(y: i32, m: u32, day: u32) -> Date {
    Date::ymd(y, m, day).unwrap_or(Date(chrono::NaiveDate::MIN))
}

impl Petitioner {
    /// A petitioner known by name and address.
    pub fn named(name: impl Into<String>, address: impl Into<String>) -> Petitioner {
        Petitioner {
            id: new_item_id(),
            name: name.into(),
            address: Some(address.into()),
            id_number: None,
            contact: None,
            representative: false,
        }
    }
}

impl Petition {
    /// A valid complaint just received (status `received`): a household complains at the
    /// commune's reception session on 2 March 2026 about the compensation price for land
    /// recovered for a road.
    pub fn example() -> Petition {
        Petition {
            status: PetitionStatus::Received,
            book_no: Some("15/2026".into()),
            received_on: d(2026, 3, 2),
            channel: PetitionChannel::InPerson,
            forwarded_by: None,
            petition_type: PetitionType::Complaint,
            second_time: false,
            subject: PetitionSubject::Compensation,
            summary: "Khiếu nại đơn giá bồi thường đất nông nghiệp thu hồi làm đường trục xã"
                .into(),
            petitioners: vec![Petitioner::named(
                "Nguyễn Văn Hùng",
                "thôn Đông, xã Kiến Thụy",
            )],
            group_size: None,
            competent_body: CompetentBody::CommuneChairman,
            competent_body_name: None,
            remote_area: false,
            complexity: Complexity::Normal,
            classified_on: None,
            accepted_on: None,
            not_accepted_reason: None,
            handling_note: None,
            verification: None,
            extensions: Vec::new(),
            resolution: None,
            enforced_on: None,
            withdrawn_on: None,
            closed_on: None,
            notes: None,
        }
    }

    /// A complex denunciation accepted on 10 March 2026, extended once on 8 April, resolved
    /// (partly true) on 5 May 2026 (status `resolved`).
    pub fn example_denunciation_resolved() -> Petition {
        let mut p = Petition::example();
        p.petition_type = PetitionType::Denunciation;
        p.subject = PetitionSubject::OfficialsConduct;
        p.summary = "Tố cáo cán bộ địa chính xã nhận tiền khi làm thủ tục".into();
        p.complexity = Complexity::Complex;
        p.classified_on = Some(d(2026, 3, 10));
        p.accepted_on = Some(d(2026, 3, 10));
        p.extensions.push(Extension {
            id: new_item_id(),
            decided_on: d(2026, 4, 8),
            days: None,
            reason: "Phải xác minh tại nhiều nơi".into(),
            document_no: Some("21/QĐ-UBND".into()),
        });
        p.resolution = Some(Resolution {
            decided_on: d(2026, 5, 5),
            document_no: Some("35/KL-UBND".into()),
            outcome: PetitionOutcome::PartlyTrue,
            content: Some("Kiểm điểm, xử lý kỷ luật khiển trách".into()),
        });
        p.status = PetitionStatus::Resolved;
        p.closed_on = Some(d(2026, 5, 5));
        p
    }
}
