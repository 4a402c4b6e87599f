//! Leaders' direct dialogues with citizens (đối thoại trực tiếp) as typed fields ([`Dialogue`]),
//! their conversions to and from core's `Dialogue`, and the dialogue steps on [`DanvanStore`]:
//! create, edit, participants by group, issues with their answer or commitment, follow-ups of a
//! commitment, and the commitments overdue. Status changes (`held`, `closed`, `cancelled`) go
//! through `DanvanStore.transition`; core's rules decide (a dialogue closes only when every
//! commitment is done).

use danvan_core::model::common::new_item_id;
use danvan_core::model::dialogue::{
    self as core_d, ChairRole, DialogueType, IssueAnswer, ParticipantGroup,
};
use danvan_core::model::petition::PetitionSubject;
use danvan_core::{Coded, Record, RecordBody};

use crate::error::Result;
use crate::petition::{code, not_kind, opt_text};
use crate::store::{DanvanStore, RecordView};
use crate::types::date;

/// How many people of a group took part (counted, never named).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DialogueParticipants {
    /// List-item id; `None` for a group added in this edit.
    #[uniffi(default)]
    pub id: Option<String>,
    /// Group code (`dialogue.participant_group`: `citizens`, `village_leaders`, …).
    pub group: String,
    /// How many.
    pub count: u32,
}

/// A commitment made at the dialogue: who does what by when.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DialogueCommitment {
    /// Who is responsible (an office or an office holder).
    pub responsible: String,
    /// What will be done.
    pub action: String,
    /// By when (`YYYY-MM-DD`).
    pub due_on: String,
}

/// An issue raised by citizens and how it was answered.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DialogueIssue {
    /// List-item id (follow-ups name it); `None` for an issue added in this edit.
    #[uniffi(default)]
    pub id: Option<String>,
    /// What was raised.
    pub content: String,
    /// Subject code (`petition.subject`).
    pub subject: String,
    /// Answer code (`dialogue.issue_answer`: `on_the_spot`, `commitment`, `referred`, `noted`).
    pub answer: String,
    /// The answer given, or where it was referred.
    #[uniffi(default)]
    pub answer_text: Option<String>,
    /// The commitment, when the answer is `commitment`.
    #[uniffi(default)]
    pub commitment: Option<DialogueCommitment>,
}

/// A step of following up a commitment.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DialogueFollowUp {
    /// List-item id; `None` for a step added in this edit.
    #[uniffi(default)]
    pub id: Option<String>,
    /// Id of the issue whose commitment it follows.
    pub issue_id: String,
    /// Day of the step (`YYYY-MM-DD`).
    pub on: String,
    /// What was done.
    pub note: String,
    /// The commitment is done with this step.
    #[uniffi(default)]
    pub done: bool,
}

/// A dialogue as the form sees it. Dates are `YYYY-MM-DD`; enumerated values are codes.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Dialogue {
    /// Status code (read-only: use `transition`).
    #[uniffi(default = "planned")]
    pub status: String,
    /// Type code (`dialogue.type`: `periodic`, `thematic`, `reception_day`).
    pub dialogue_type: String,
    /// Day held (or planned).
    pub held_on: String,
    /// Place.
    pub place: String,
    /// Chair role code (`dialogue.chair_role`).
    pub chair_role: String,
    /// The chair's name.
    pub chair_name: String,
    /// Topic.
    pub topic: String,
    /// Participants by group.
    #[uniffi(default)]
    pub participants: Vec<DialogueParticipants>,
    /// Issues raised.
    #[uniffi(default)]
    pub issues: Vec<DialogueIssue>,
    /// Follow-ups of commitments.
    #[uniffi(default)]
    pub follow_ups: Vec<DialogueFollowUp>,
    /// Day every commitment was done (read-only: from the status history).
    #[uniffi(default)]
    pub closed_on: Option<String>,
    /// Notes.
    #[uniffi(default)]
    pub notes: Option<String>,
}

/// A commitment not done past its day.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct OverdueCommitment {
    /// Record id of the dialogue.
    pub record_id: String,
    /// Day the dialogue was held.
    pub held_on: String,
    /// The dialogue's topic.
    pub topic: String,
    /// Id of the issue.
    pub issue_id: String,
    /// Who is responsible.
    pub responsible: String,
    /// What was committed.
    pub action: String,
    /// By when.
    pub due_on: String,
    /// Days past it.
    pub days_late: i64,
}

impl From<&core_d::Dialogue> for Dialogue {
    fn from(d: &core_d::Dialogue) -> Self {
        Dialogue {
            status: d.status.code().to_string(),
            dialogue_type: d.dialogue_type.code().to_string(),
            held_on: d.held_on.to_string(),
            place: d.place.clone(),
            chair_role: d.chair_role.code().to_string(),
            chair_name: d.chair_name.clone(),
            topic: d.topic.clone(),
            participants: d
                .participants
                .iter()
                .map(|p| DialogueParticipants {
                    id: Some(p.id.clone()),
                    group: p.group.code().to_string(),
                    count: p.count,
                })
                .collect(),
            issues: d.issues.iter().map(Into::into).collect(),
            follow_ups: d
                .follow_ups
                .iter()
                .map(|f| DialogueFollowUp {
                    id: Some(f.id.clone()),
                    issue_id: f.issue_id.clone(),
                    on: f.on.to_string(),
                    note: f.note.clone(),
                    done: f.done,
                })
                .collect(),
            closed_on: d.closed_on.map(|d| d.to_string()),
            notes: d.notes.clone(),
        }
    }
}

impl From<&core_d::DialogueIssue> for DialogueIssue {
    fn from(i: &core_d::DialogueIssue) -> Self {
        DialogueIssue {
            id: Some(i.id.clone()),
            content: i.content.clone(),
            subject: i.subject.code().to_string(),
            answer: i.answer.code().to_string(),
            answer_text: i.answer_text.clone(),
            commitment: i.commitment.as_ref().map(|c| DialogueCommitment {
                responsible: c.responsible.clone(),
                action: c.action.clone(),
                due_on: c.due_on.to_string(),
            }),
        }
    }
}

impl DialogueIssue {
    fn to_core(&self) -> Result<core_d::DialogueIssue> {
        Ok(core_d::DialogueIssue {
            id: self.id.clone().unwrap_or_else(new_item_id),
            content: self.content.trim().to_string(),
            subject: code::<PetitionSubject>(&self.subject)?,
            answer: code::<IssueAnswer>(&self.answer)?,
            answer_text: opt_text(&self.answer_text),
            commitment: self
                .commitment
                .as_ref()
                .map(|c| -> Result<core_d::Commitment> {
                    Ok(core_d::Commitment {
                        responsible: c.responsible.trim().to_string(),
                        action: c.action.trim().to_string(),
                        due_on: date("dialogue.issues.commitment.due_on", &c.due_on)?,
                    })
                })
                .transpose()?,
        })
    }
}

impl DialogueFollowUp {
    fn to_core(&self) -> Result<core_d::FollowUp> {
        Ok(core_d::FollowUp {
            id: self.id.clone().unwrap_or_else(new_item_id),
            issue_id: self.issue_id.trim().to_string(),
            on: date("dialogue.follow_ups.on", &self.on)?,
            note: self.note.trim().to_string(),
            done: self.done,
        })
    }
}

impl Dialogue {
    /// A new core dialogue from the form (status and closing day are set by the store).
    pub(crate) fn to_new(&self) -> Result<core_d::Dialogue> {
        let mut d = core_d::Dialogue::example();
        self.apply_to(&mut d)?;
        Ok(d)
    }

    /// Write the form's fields onto `d` (status and closing day are left as they are).
    pub(crate) fn apply_to(&self, d: &mut core_d::Dialogue) -> Result<()> {
        d.dialogue_type = code::<DialogueType>(&self.dialogue_type)?;
        d.held_on = date("dialogue.held_on", &self.held_on)?;
        d.place = self.place.trim().to_string();
        d.chair_role = code::<ChairRole>(&self.chair_role)?;
        d.chair_name = self.chair_name.trim().to_string();
        d.topic = self.topic.trim().to_string();
        d.participants = self
            .participants
            .iter()
            .map(|p| -> Result<core_d::ParticipantCount> {
                Ok(core_d::ParticipantCount {
                    id: p.id.clone().unwrap_or_else(new_item_id),
                    group: code::<ParticipantGroup>(&p.group)?,
                    count: p.count,
                })
            })
            .collect::<Result<_>>()?;
        d.issues = self
            .issues
            .iter()
            .map(DialogueIssue::to_core)
            .collect::<Result<_>>()?;
        d.follow_ups = self
            .follow_ups
            .iter()
            .map(DialogueFollowUp::to_core)
            .collect::<Result<_>>()?;
        d.notes = opt_text(&self.notes);
        Ok(())
    }
}

/// The dialogue of `record`, or the error saying it is another kind.
fn dialogue_of(record: &Record) -> Result<&core_d::Dialogue> {
    match &record.body {
        RecordBody::Dialogue(d) => Ok(d),
        _ => Err(not_kind(record.id(), "buổi đối thoại", "dialogue")),
    }
}

impl DanvanStore {
    /// Change dialogue `id` with `edit` in one write (a bad field writes nothing).
    fn dialogue_step(
        &self,
        id: &str,
        edit: impl FnOnce(&mut core_d::Dialogue) -> Result<()>,
    ) -> Result<RecordView> {
        self.with(|s| {
            let current = s.get(id)?;
            let mut d = dialogue_of(&current)?.clone();
            edit(&mut d)?;
            let r = s.update(id, |r| {
                r.body = RecordBody::Dialogue(d);
                Ok(())
            });
            Self::saved(s, r)
        })
    }
}

#[uniffi::export]
impl DanvanStore {
    /// Create a dialogue under `unit` (the commune), planned for the form's `held_on`. It starts
    /// in status `planned`; issues and commitments come once it is `held`.
    pub fn create_dialogue(&self, unit: String, form: Dialogue) -> Result<RecordView> {
        let body = form.to_new()?;
        let on = body.held_on;
        self.with(|s| {
            let r = s.create(RecordBody::Dialogue(body), unit.trim(), on);
            Self::saved(s, r)
        })
    }

    /// The dialogue `id` as the typed form.
    pub fn get_dialogue(&self, id: String) -> Result<Dialogue> {
        self.with(|s| Ok(Dialogue::from(dialogue_of(&s.get(&id)?)?)))
    }

    /// Edit dialogue `id` with the form's fields (the status changes through `transition`).
    pub fn update_dialogue(&self, id: String, form: Dialogue) -> Result<RecordView> {
        self.dialogue_step(&id, |d| form.apply_to(d))
    }

    /// Set how many people of `group` (a `dialogue.participant_group` code) took part in
    /// dialogue `id` (replaces that group's count).
    pub fn set_dialogue_participants(
        &self,
        id: String,
        group: String,
        count: u32,
    ) -> Result<RecordView> {
        let group = code::<ParticipantGroup>(&group)?;
        self.dialogue_step(&id, |d| {
            match d.participants.iter_mut().find(|p| p.group == group) {
                Some(p) => p.count = count,
                None => d.participants.push(core_d::ParticipantCount {
                    id: new_item_id(),
                    group,
                    count,
                }),
            }
            Ok(())
        })
    }

    /// Add an issue raised at dialogue `id` (held) with its answer or commitment. Its id is the
    /// last issue's in the returned record's `dialogue.issues`.
    pub fn add_dialogue_issue(&self, id: String, issue: DialogueIssue) -> Result<RecordView> {
        let issue = issue.to_core()?;
        self.dialogue_step(&id, |d| {
            d.issues.push(issue);
            Ok(())
        })
    }

    /// Add a follow-up step of a commitment of dialogue `id` (`done` when it is carried out).
    pub fn add_dialogue_follow_up(
        &self,
        id: String,
        follow_up: DialogueFollowUp,
    ) -> Result<RecordView> {
        let f = follow_up.to_core()?;
        self.dialogue_step(&id, |d| {
            d.follow_ups.push(f);
            Ok(())
        })
    }

    /// The commitments of held dialogues not done past their day as of `as_of`, most late first.
    pub fn overdue_commitments(&self, as_of: String) -> Result<Vec<OverdueCommitment>> {
        let as_of = date("as_of", &as_of)?;
        self.with(|s| {
            let mut out = Vec::new();
            // Core's overdue rule decides; this only names the commitment each item points at
            // (its field is the issue's path, `dialogue.issues[<id>]`).
            for (id, kind, o) in s.overdue(as_of)? {
                if kind != danvan_core::RecordKind::Dialogue || o.rule != "commitment_overdue" {
                    continue;
                }
                let r = s.get(&id)?;
                let d = dialogue_of(&r)?;
                let Some((issue, c)) = d
                    .commitments()
                    .find(|(i, _)| o.field == format!("dialogue.issues[{}]", i.id))
                else {
                    continue;
                };
                out.push(OverdueCommitment {
                    record_id: id.clone(),
                    held_on: d.held_on.to_string(),
                    topic: d.topic.clone(),
                    issue_id: issue.id.clone(),
                    responsible: c.responsible.clone(),
                    action: c.action.clone(),
                    due_on: o.due_on.to_string(),
                    days_late: o.days_late,
                });
            }
            out.sort_by(|a, b| {
                b.days_late
                    .cmp(&a.days_late)
                    .then_with(|| a.record_id.cmp(&b.record_id))
            });
            Ok(out)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DanvanError;

    fn store() -> (tempfile::TempDir, std::sync::Arc<DanvanStore>) {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("s.sqlite3").to_string_lossy().to_string();
        let store = DanvanStore::open(path, uuid::Uuid::now_v7().to_string()).expect("open store");
        (dir, store)
    }

    #[test]
    fn the_form_round_trips() {
        let stored = core_d::Dialogue::example_held();
        let form = Dialogue::from(&stored);
        let mut edited = stored.clone();
        form.apply_to(&mut edited).expect("apply");
        assert_eq!(edited, stored);
    }

    #[test]
    fn a_commitment_is_followed_up_to_done_and_the_dialogue_closed() {
        let (_d, store) = store();
        let rec = store
            .create_dialogue("11533".into(), Dialogue::from(&core_d::Dialogue::example()))
            .expect("create");
        assert_eq!(rec.status.code, "planned");
        let id = rec.id.clone();
        // Issues wait until it is held.
        let issue = DialogueIssue {
            id: None,
            content: "Lắp đèn chiếu sáng đường đê".into(),
            subject: "construction".into(),
            answer: "commitment".into(),
            answer_text: None,
            commitment: Some(DialogueCommitment {
                responsible: "Phó Chủ tịch UBND xã".into(),
                action: "Lắp 20 bóng đèn".into(),
                due_on: "2026-06-30".into(),
            }),
        };
        let Err(DanvanError::InvalidInput { issues }) =
            store.add_dialogue_issue(id.clone(), issue.clone())
        else {
            panic!("an issue was added to a planned dialogue");
        };
        assert_eq!(issues[0].code, "not_held");
        store
            .transition(id.clone(), "held".into(), "2026-04-15".into(), None)
            .expect("held");
        store
            .set_dialogue_participants(id.clone(), "citizens".into(), 120)
            .expect("participants");
        store
            .set_dialogue_participants(id.clone(), "citizens".into(), 125)
            .expect("participants");
        let rec = store.add_dialogue_issue(id.clone(), issue).expect("issue");
        let d = rec.dialogue.expect("typed");
        assert_eq!(d.participants.len(), 1);
        assert_eq!(d.participants[0].count, 125);
        let issue_id = d.issues[0].id.clone().expect("id");

        let late = store
            .overdue_commitments("2026-07-10".into())
            .expect("late");
        assert_eq!(late.len(), 1);
        assert_eq!(late[0].days_late, 10);
        assert_eq!(late[0].issue_id, issue_id);
        // Closing with the commitment open is refused.
        assert!(
            store
                .transition(id.clone(), "closed".into(), "2026-07-10".into(), None)
                .is_err()
        );
        store
            .add_dialogue_follow_up(
                id.clone(),
                DialogueFollowUp {
                    id: None,
                    issue_id,
                    on: "2026-07-05".into(),
                    note: "Đã lắp xong".into(),
                    done: true,
                },
            )
            .expect("follow-up");
        assert!(
            store
                .overdue_commitments("2026-07-10".into())
                .expect("o")
                .is_empty()
        );
        let rec = store
            .transition(id.clone(), "closed".into(), "2026-07-10".into(), None)
            .expect("closed");
        assert_eq!(rec.status.code, "closed");
        assert_eq!(
            store.get_dialogue(id).expect("get").closed_on.as_deref(),
            Some("2026-07-10")
        );
    }
}
