//! Leaders' direct dialogue with citizens (đối thoại trực tiếp), and a leader's citizen-reception
//! day (docs/domain.md §5).
//!
//! One record is one meeting chaired by the head of the commune's Party committee or government:
//! when and where, participants counted by group (never named), the issues raised, and for each
//! the answer given on the spot or the **commitment** made (who, what, by when), followed up
//! until done. A commitment past its day and not done is overdue, like an unanswered
//! recommendation of the inspection board.

mod enums;
mod example;
mod rules;

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::model::common::Date;
use crate::model::petition::PetitionSubject;

pub use enums::*;

/// A dialogue or reception day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Dialogue {
    /// Status.
    pub status: DialogueStatus,
    /// Kind of meeting.
    pub dialogue_type: DialogueType,
    /// Day held (or planned).
    pub held_on: Date,
    /// Place.
    pub place: String,
    /// Who chairs.
    pub chair_role: ChairRole,
    /// The chair's name (a public office holder).
    pub chair_name: String,
    /// Topic (chủ đề, nội dung đối thoại).
    pub topic: String,
    /// Participants, counted by group.
    pub participants: Vec<ParticipantCount>,
    /// Issues raised (ý kiến, kiến nghị của nhân dân).
    pub issues: Vec<DialogueIssue>,
    /// Follow-up of commitments (theo dõi thực hiện cam kết), in any order.
    pub follow_ups: Vec<FollowUp>,
    /// Day every commitment was done, derived from the status history.
    pub closed_on: Option<Date>,
    /// Notes.
    pub notes: Option<String>,
}

/// How many people of a group took part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct ParticipantCount {
    /// List-item id.
    #[key]
    pub id: String,
    /// Group.
    pub group: ParticipantGroup,
    /// How many.
    #[autosurgeon(hydrate = "crate::model::numbers::u32")]
    pub count: u32,
}

/// An issue raised by citizens and how it was answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct DialogueIssue {
    /// List-item id (follow-ups refer to it).
    #[key]
    pub id: String,
    /// What was raised.
    pub content: String,
    /// Field it concerns.
    pub subject: PetitionSubject,
    /// How it was answered.
    pub answer: IssueAnswer,
    /// The answer given, or where it was referred.
    pub answer_text: Option<String>,
    /// The commitment, when `answer` is `commitment`.
    pub commitment: Option<Commitment>,
}

/// A commitment made at a dialogue: who does what by when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct Commitment {
    /// Who is responsible (an office or an office holder).
    pub responsible: String,
    /// What will be done.
    pub action: String,
    /// By when.
    pub due_on: Date,
}

/// A step of following up a commitment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct FollowUp {
    /// List-item id.
    #[key]
    pub id: String,
    /// Id of the issue whose commitment it follows.
    pub issue_id: String,
    /// Day of the step.
    pub on: Date,
    /// What was done.
    pub note: String,
    /// The commitment is done with this step.
    pub done: bool,
}

impl Dialogue {
    /// The issue with item id `id`.
    pub fn issue(&self, id: &str) -> Option<&DialogueIssue> {
        self.issues.iter().find(|i| i.id == id)
    }

    /// The day the commitment of issue `id` was done: its earliest follow-up marked done.
    pub fn done_on(&self, id: &str) -> Option<Date> {
        self.follow_ups
            .iter()
            .filter(|f| f.issue_id == id && f.done)
            .map(|f| f.on)
            .min()
    }

    /// The issues with a commitment, with the commitment.
    pub fn commitments(&self) -> impl Iterator<Item = (&DialogueIssue, &Commitment)> {
        self.issues.iter().filter_map(|i| {
            (i.answer == IssueAnswer::Commitment)
                .then_some(i.commitment.as_ref())
                .flatten()
                .map(|c| (i, c))
        })
    }

    /// Participants in all.
    pub fn participants_total(&self) -> u32 {
        self.participants.iter().map(|p| p.count).sum()
    }
}
