//! Citizens' petition (đơn thư): a complaint, denunciation, recommendation or reflection received
//! by the commune (docs/domain.md §4).
//!
//! One record is one petition, from its receipt to the end of its handling: classified, then
//! accepted (thụ lý) or forwarded / returned / filed with a reason, verified, resolved with a
//! decision and its outcome, the decision carried out; extensions with their reason; withdrawn.
//! The statutory deadlines come from [`crate::config::PetitionDeadlines`] (working days through
//! the configured holidays); see [`Petition::deadlines`].
//!
//! The petitioners are personal data, and a denunciator's identity is protected by law (Law on
//! Denunciations 2018): the record never leaves the commune's handling roles (the server's scope
//! matrix, ADR 0003), and its fact row carries no petitioner.

mod enums;
mod example;
mod rules;

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::model::common::Date;

pub use enums::*;
pub use rules::PetitionDeadlineDates;

/// A citizens' petition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Petition {
    /// Status (trạng thái xử lý).
    pub status: PetitionStatus,
    /// Number in the commune's petition book (số vào sổ).
    pub book_no: Option<String>,
    /// Day received (ngày nhận đơn).
    pub received_on: Date,
    /// How it arrived.
    pub channel: PetitionChannel,
    /// The body that forwarded it, when `channel` is `forwarded`.
    pub forwarded_by: Option<String>,
    /// Type (loại đơn).
    pub petition_type: PetitionType,
    /// For a complaint: a second-time complaint (khiếu nại lần hai), with its longer deadlines.
    #[serde(default)]
    #[autosurgeon(missing = "Default::default")]
    pub second_time: bool,
    /// Field it concerns.
    pub subject: PetitionSubject,
    /// Short summary of the content (nội dung tóm tắt), for lists and search.
    pub summary: String,
    /// Petitioners (người gửi đơn): one, or several for a group petition.
    pub petitioners: Vec<Petitioner>,
    /// For a group petition: how many people signed or came (đơn đông người), when more than
    /// the petitioners listed.
    #[autosurgeon(hydrate = "crate::model::numbers::opt_u32")]
    pub group_size: Option<u32>,
    /// The body competent to resolve it.
    pub competent_body: CompetentBody,
    /// Name of that body, when it is not the commune.
    pub competent_body_name: Option<String>,
    /// The commune is a remote or especially difficult area (longer deadlines).
    pub remote_area: bool,
    /// How complex the matter is.
    pub complexity: Complexity,
    /// Day it was classified and the decision taken to accept, forward, return or file it.
    pub classified_on: Option<Date>,
    /// Day accepted (ngày thụ lý).
    pub accepted_on: Option<Date>,
    /// Why it was not accepted (forwarded, returned, filed).
    pub not_accepted_reason: Option<NotAcceptedReason>,
    /// Where it was forwarded, or the guidance given when returned.
    pub handling_note: Option<String>,
    /// Verification (xác minh): who verifies and what was found.
    pub verification: Option<String>,
    /// Extensions of the resolution deadline (gia hạn), each with its reason.
    pub extensions: Vec<Extension>,
    /// The resolution: decision or answer.
    pub resolution: Option<Resolution>,
    /// Day the decision was carried out (ngày tổ chức thi hành xong).
    pub enforced_on: Option<Date>,
    /// Day withdrawn (ngày rút đơn).
    pub withdrawn_on: Option<Date>,
    /// Day the handling ended (resolved, forwarded, returned, filed or withdrawn), derived from
    /// the status history.
    pub closed_on: Option<Date>,
    /// Notes.
    pub notes: Option<String>,
}

/// A person who sent or signed the petition. Personal data: for a denunciation, protected by law.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Petitioner {
    /// List-item id.
    #[key]
    pub id: String,
    /// Full name.
    pub name: String,
    /// Address.
    pub address: Option<String>,
    /// Identity card number (số CCCD).
    pub id_number: Option<String>,
    /// Phone or other contact.
    pub contact: Option<String>,
    /// Represents a group petition (người đại diện).
    pub representative: bool,
}

/// An extension of the resolution deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Extension {
    /// List-item id.
    #[key]
    pub id: String,
    /// Day the extension was decided.
    pub decided_on: Date,
    /// Days added (calendar days); `None`: the configured extension.
    pub days: Option<i64>,
    /// Why (lý do gia hạn).
    pub reason: String,
    /// Number of the extension decision.
    pub document_no: Option<String>,
}

/// The resolution of a petition: the decision or written answer and its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Resolution {
    /// Day decided (ngày ban hành quyết định, văn bản trả lời).
    pub decided_on: Date,
    /// Number of the decision or answer.
    pub document_no: Option<String>,
    /// Outcome.
    pub outcome: PetitionOutcome,
    /// What was decided.
    pub content: Option<String>,
}

impl Petition {
    /// Whether this is a group petition (đơn đông người): more than one petitioner, or a group
    /// size of five or more.
    pub fn is_group(&self) -> bool {
        self.petitioners.len() > 1 || self.group_size.is_some_and(|n| n >= 5)
    }

    /// Whether the petitioners' identity is protected (a denunciation).
    pub fn protects_identity(&self) -> bool {
        self.petition_type == PetitionType::Denunciation
    }
}
