//! Mediation case (vụ việc hòa giải ở cơ sở) — Law 35/2013/QH13, Decree 15/2014.
//!
//! The body mirrors the team's mandatory logbook (Sổ theo dõi hoạt động hòa giải ở cơ sở):
//! Part I's columns (number, date received, mediators and invited persons, parties with age and
//! address, main content, the agreement or each party's position, result, notes) and Part II's
//! (mediator, category, result), plus what reports need (dates, referral, follow-up, fees).
//!
//! Amounts are whole VND in `i64`. Lists of sub-items carry a `#[key] id` so that two devices
//! adding parties or sessions at the same time both keep theirs. One-of-a-kind parts that two
//! devices may fill at once field by field (the risk flag, the fee claim) are plain structs with
//! defaults rather than `Option`s, so their fields merge instead of conflicting as a whole.

mod enums;
mod example;
mod rules;

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::model::common::{Date, Sex};
use crate::model::people::PersonEntry;

pub use enums::*;

/// A mediation case: one entry of the team's logbook.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct MediationCase {
    /// Status (trạng thái).
    pub status: MediationStatus,
    /// Code of the mediation team (tổ hòa giải).
    pub team: String,
    /// Code of the village or residential group (thôn, tổ dân phố).
    pub village: String,
    /// Code of the commune (xã, phường, đặc khu).
    pub commune: String,
    /// Number in the team's logbook (số thứ tự), given by the team leader; with the team and
    /// the year received it makes the display number (see [`MediationCase::display_number`]).
    #[autosurgeon(hydrate = "crate::model::numbers::opt_u32")]
    pub logbook_no: Option<u32>,
    /// Date received (ngày nhận).
    pub received_on: Date,
    /// Why the team takes the matter up (căn cứ tiến hành hòa giải).
    pub basis: MediationBasis,
    /// Mediators assigned (hòa giải viên).
    pub mediators: Vec<PersonEntry>,
    /// Date the mediators were assigned (ngày phân công).
    pub assigned_on: Option<Date>,
    /// Start date the parties agreed when it differs from the legal deadline (Law 35/2013
    /// art. 20 lets the parties agree another time); replaces the configured deadline.
    pub agreed_start_on: Option<Date>,
    /// Date mediation started (ngày bắt đầu).
    pub started_on: Option<Date>,
    /// Persons invited to take part (người được mời): elders, relatives, officials.
    pub invited: Vec<PersonEntry>,
    /// Parties and persons with related rights (các bên) — personal data.
    pub parties: Vec<Party>,
    /// Statistical category (phạm vi thống kê).
    pub category: MediationCategory,
    /// Kind of matter (loại việc).
    pub subtype: MediationSubtype,
    /// Main content (nội dung chủ yếu của vụ, việc).
    pub summary: String,
    /// Whether the matter is within grassroots mediation's scope (thuộc phạm vi).
    pub in_scope: bool,
    /// Why not, when out of scope.
    pub exclusion_reason: Option<ExclusionReason>,
    /// Details of the exclusion.
    pub exclusion_note: Option<String>,
    /// Mediation sessions held (các buổi hòa giải).
    pub sessions: Vec<Session>,
    /// Date the case ended (ngày kết thúc); decides the reporting period of its result.
    pub closed_on: Option<Date>,
    /// The agreement reached (thỏa thuận), for a successful case.
    pub agreement: Option<Agreement>,
    /// Each party's position when no agreement was reached (ý kiến của các bên).
    pub party_positions: Option<String>,
    /// Follow-ups of the agreement's execution (theo dõi thực hiện), in any order.
    pub follow_ups: Vec<FollowUp>,
    /// Referral to a competent authority (chuyển cơ quan).
    pub referral: Option<Referral>,
    /// Risk of violence (nguy cơ bạo lực).
    pub risk: RiskFlag,
    /// Mediator's fee claim (thù lao hòa giải viên).
    pub fee_claim: FeeClaim,
    /// Notes (ghi chú).
    pub notes: Option<String>,
}

/// A party to the case (personal data: never leaves the commune).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Party {
    /// List-item id.
    #[key]
    pub id: String,
    /// Full name.
    pub name: String,
    /// Year of birth (the logbook shows the age; see [`Party::age_in`]).
    pub birth_year: Option<i32>,
    /// Sex.
    pub sex: Option<Sex>,
    /// Address.
    pub address: String,
    /// Phone number.
    pub phone: Option<String>,
    /// Role in the case.
    pub role: PartyRole,
}

/// A mediation session (buổi hòa giải).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Session {
    /// List-item id.
    #[key]
    pub id: String,
    /// Date held.
    pub held_on: Date,
    /// Place.
    pub place: String,
    /// Who took part (names as written).
    pub participants: Vec<String>,
    /// What happened.
    pub notes: Option<String>,
}

/// The agreement of a successful case (thỏa thuận hòa giải thành).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Agreement {
    /// What the parties agreed.
    pub text: String,
    /// Terms of execution (who does what).
    pub terms: Option<String>,
    /// Date by which the agreement is to be carried out.
    pub due_on: Option<Date>,
    /// Whether the parties asked for a written settlement (văn bản hòa giải thành, art. 24).
    pub settlement_requested: bool,
    /// Number of the written settlement.
    pub settlement_no: Option<String>,
    /// Date of the written settlement.
    pub settlement_on: Option<Date>,
}

/// One follow-up of an agreement's execution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct FollowUp {
    /// List-item id.
    #[key]
    pub id: String,
    /// Date checked.
    pub on: Date,
    /// State found.
    pub state: FollowUpState,
    /// Note.
    pub note: Option<String>,
}

/// Referral of the case to a competent authority.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Referral {
    /// Authority.
    pub agency: ReferralAgency,
    /// Name of the authority when `agency` is `other` (or to be precise).
    pub agency_name: Option<String>,
    /// Date referred.
    pub on: Date,
    /// Why.
    pub reason: String,
}

/// Risk of violence noticed during the case, and whom it was reported to.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct RiskFlag {
    /// Whether there is a risk of violence.
    pub flagged: bool,
    /// Whom it was reported to (police, commune leader…).
    pub reported_to: Option<String>,
    /// Date reported.
    pub reported_on: Option<Date>,
}

/// The mediator's fee for the case (thù lao theo vụ việc, Decree 15/2014).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct FeeClaim {
    /// Whether the case qualifies for a fee.
    pub eligible: bool,
    /// Whether it was claimed.
    pub claimed: bool,
    /// Whether it was paid.
    pub paid: bool,
    /// Amount in VND.
    pub amount_vnd: Option<i64>,
}

impl Party {
    /// Age reached in `year` (the logbook's "tuổi" column), if the birth year is known.
    pub fn age_in(&self, year: i32) -> Option<i32> {
        self.birth_year.map(|b| year - b)
    }
}

impl MediationCase {
    /// Display number `team/year/number` (e.g. `T0001/2025/007`), once the logbook number is
    /// given. Made from data, never stored, so it cannot drift.
    pub fn display_number(&self) -> Option<String> {
        use chrono::Datelike;
        self.logbook_no
            .map(|n| format!("{}/{}/{n:03}", self.team, self.received_on.0.year()))
    }

    /// Whether the case was actually mediated (counts in the success-rate denominator).
    pub fn was_mediated(&self) -> bool {
        matches!(
            self.status,
            MediationStatus::Successful | MediationStatus::Unsuccessful
        )
    }

    /// The follow-up with the latest date (ties: the later in the list).
    pub fn latest_follow_up(&self) -> Option<&FollowUp> {
        self.follow_ups.iter().max_by_key(|f| f.on)
    }
}
