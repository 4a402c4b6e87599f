//! Example mediation cases (Hải Phòng), valid in their status, for docs, tests and demos.

use super::{
    Agreement, FeeClaim, MediationBasis, MediationCase, MediationCategory, MediationStatus,
    MediationSubtype, Party, PartyRole, RiskFlag, Session,
};
use crate::model::common::{Date, Sex, new_item_id};
use crate::model::people::PersonEntry;

/// A date of the examples (all are real calendar dates).
fn d(y: i32, m: u32, day: u32) -> Date {
    Date::ymd(y, m, day).unwrap_or(Date(chrono::NaiveDate::MIN))
}

impl MediationCase {
    /// A valid case just received (status `received`): a dispute over a shared path between two
    /// neighbouring households in a village of Hải Phòng, assigned to two mediators.
    pub fn example() -> MediationCase {
        MediationCase {
            status: MediationStatus::Received,
            team: "31-HG-TDP5".into(),
            village: "31-TDP5".into(),
            commune: "31-AN-HAI".into(),
            logbook_no: Some(7),
            received_on: d(2025, 9, 2),
            basis: MediationBasis::OnePartyRequest,
            mediators: vec![
                PersonEntry::named("Nguyễn Thị Hoa", Some("tổ trưởng tổ hòa giải")),
                PersonEntry::named("Phạm Văn Toàn", Some("hòa giải viên")),
            ],
            assigned_on: Some(d(2025, 9, 3)),
            agreed_start_on: None,
            started_on: None,
            invited: vec![PersonEntry::named("Đỗ Văn Lâm", Some("trưởng tổ dân phố"))],
            parties: vec![
                Party {
                    id: new_item_id(),
                    name: "Trần Văn Hùng".into(),
                    birth_year: Some(1968),
                    sex: Some(Sex::Male),
                    address: "Số 12, ngõ 45, tổ dân phố số 5".into(),
                    phone: Some("0912 345 678".into()),
                    role: PartyRole::Requesting,
                },
                Party {
                    id: new_item_id(),
                    name: "Lê Thị Mai".into(),
                    birth_year: Some(1975),
                    sex: Some(Sex::Female),
                    address: "Số 14, ngõ 45, tổ dân phố số 5".into(),
                    phone: None,
                    role: PartyRole::Other,
                },
            ],
            category: MediationCategory::Conflict,
            subtype: MediationSubtype::Path,
            summary: "Tranh chấp lối đi chung giữa hai hộ liền kề".into(),
            in_scope: true,
            exclusion_reason: None,
            exclusion_note: None,
            sessions: Vec::new(),
            closed_on: None,
            agreement: None,
            party_positions: None,
            follow_ups: Vec::new(),
            referral: None,
            risk: RiskFlag::default(),
            fee_claim: FeeClaim::default(),
            notes: None,
        }
    }

    /// The example after a successful mediation session on 5 September 2025, with its agreement
    /// (status `successful`, closed that day). For tests that need a closed case.
    pub fn example_successful() -> MediationCase {
        let mut c = MediationCase::example();
        c.status = MediationStatus::Successful;
        c.started_on = Some(d(2025, 9, 5));
        c.closed_on = Some(d(2025, 9, 5));
        c.sessions.push(Session {
            id: new_item_id(),
            held_on: d(2025, 9, 5),
            place: "Nhà văn hóa tổ dân phố số 5".into(),
            participants: vec![
                "Nguyễn Thị Hoa".into(),
                "Phạm Văn Toàn".into(),
                "Đỗ Văn Lâm".into(),
            ],
            notes: Some("Hai bên trình bày, thống nhất phương án".into()),
        });
        c.agreement = Some(Agreement {
            text:
                "Hai hộ giữ nguyên lối đi chung rộng 1,2 m; hộ bà Mai tháo dỡ bờ tường lấn lối đi."
                    .into(),
            terms: Some("Tháo dỡ trước ngày 30/9/2025, chi phí do hộ bà Mai chịu".into()),
            due_on: Some(d(2025, 9, 30)),
            settlement_requested: true,
            settlement_no: Some("07/2025/VBHG".into()),
            settlement_on: Some(d(2025, 9, 5)),
        });
        c.fee_claim = FeeClaim {
            eligible: true,
            claimed: true,
            paid: false,
            amount_vnd: Some(400_000),
        };
        c
    }
}
