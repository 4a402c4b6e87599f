//! Citizens' petitions (đơn khiếu nại, tố cáo, kiến nghị, phản ánh) as typed fields the reception
//! officer's screens recognise ([`Petition`]), their conversions to and from core's `Petition`,
//! and the petition steps on [`DanvanStore`]: create, edit, forward / return / file with a
//! reason, extend, resolve, the deadlines of one petition and the overdue petitions.
//!
//! As for a mediation case (`crate::mediation`), an edit applies the form onto the stored
//! petition; list items keep their ids; the status and closing day are read-only here (they
//! change through transitions, which also fill the day each step implies: accepting sets the
//! day accepted, withdrawing the day withdrawn…). Deadlines and overdue rules are core's
//! (`Petition::deadlines`, working days through the configured holidays).

use danvan_core::model::common::{Date, new_item_id};
use danvan_core::model::petition::{
    self as core_p, CompetentBody, Complexity, NotAcceptedReason, PetitionChannel, PetitionOutcome,
    PetitionSubject, PetitionType,
};
use danvan_core::{Coded, CoreError, Record, RecordBody};

use crate::error::{DanvanError, Result};
use crate::store::{DanvanStore, RecordView};
use crate::types::{CodeLabel, date, opt_date};

/// A person who sent or signed the petition (personal data; for a denunciation protected by
/// law: it never leaves the commune's reception officers and commune officers).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Petitioner {
    /// List-item id; `None` for a petitioner added in this edit.
    #[uniffi(default)]
    pub id: Option<String>,
    /// Full name.
    pub name: String,
    /// Address.
    #[uniffi(default)]
    pub address: Option<String>,
    /// Identity card number (số CCCD).
    #[uniffi(default)]
    pub id_number: Option<String>,
    /// Phone or other contact.
    #[uniffi(default)]
    pub contact: Option<String>,
    /// Represents a group petition (người đại diện).
    #[uniffi(default)]
    pub representative: bool,
}

/// An extension of the resolution deadline (gia hạn giải quyết).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PetitionExtension {
    /// List-item id; `None` for an extension added in this edit.
    #[uniffi(default)]
    pub id: Option<String>,
    /// Day the extension was decided (`YYYY-MM-DD`).
    pub decided_on: String,
    /// Calendar days added; `None`: the configured extension.
    #[uniffi(default)]
    pub days: Option<i64>,
    /// Why (lý do gia hạn).
    pub reason: String,
    /// Number of the extension decision.
    #[uniffi(default)]
    pub document_no: Option<String>,
}

/// The resolution: the decision or written answer and its outcome.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PetitionResolution {
    /// Day decided (`YYYY-MM-DD`).
    pub decided_on: String,
    /// Number of the decision or answer.
    #[uniffi(default)]
    pub document_no: Option<String>,
    /// Outcome code (`petition.outcome`: `right`, `partly_true`, `answered`, …; it must fit the
    /// type of petition).
    pub outcome: String,
    /// What was decided.
    #[uniffi(default)]
    pub content: Option<String>,
}

/// A petition as the reception officer's form sees it. Dates are `YYYY-MM-DD`; enumerated
/// values are codes (labels: `codes("petition.type")`, …).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Petition {
    /// Status code (read-only: use `transition` or the petition steps).
    #[uniffi(default = "received")]
    pub status: String,
    /// Number in the commune's petition book (số vào sổ).
    #[uniffi(default)]
    pub book_no: Option<String>,
    /// Day received (ngày nhận đơn).
    pub received_on: String,
    /// Channel code (`petition.channel`: `in_person`, `post`, `online`, `forwarded`).
    pub channel: String,
    /// The body that forwarded it (required when the channel is `forwarded`).
    #[uniffi(default)]
    pub forwarded_by: Option<String>,
    /// Type code (`petition.type`: `complaint`, `denunciation`, `recommendation`,
    /// `reflection`).
    pub petition_type: String,
    /// A second-time complaint (khiếu nại lần hai).
    #[uniffi(default)]
    pub second_time: bool,
    /// Subject code (`petition.subject`).
    pub subject: String,
    /// Short summary of the content.
    pub summary: String,
    /// Petitioners.
    pub petitioners: Vec<Petitioner>,
    /// For a group petition: how many people signed or came.
    #[uniffi(default)]
    pub group_size: Option<u32>,
    /// Competent body code (`petition.competent_body`).
    #[uniffi(default = "commune_chairman")]
    pub competent_body: String,
    /// Name of that body, when not the commune.
    #[uniffi(default)]
    pub competent_body_name: Option<String>,
    /// The commune is a remote or especially difficult area (longer deadlines).
    #[uniffi(default)]
    pub remote_area: bool,
    /// Complexity code (`petition.complexity`: `normal`, `complex`, `especially_complex`).
    #[uniffi(default = "normal")]
    pub complexity: String,
    /// Day classified (set by accepting, forwarding, returning or filing).
    #[uniffi(default)]
    pub classified_on: Option<String>,
    /// Day accepted (set by the transition to `accepted`).
    #[uniffi(default)]
    pub accepted_on: Option<String>,
    /// Why it was not accepted (`petition.not_accepted_reason`).
    #[uniffi(default)]
    pub not_accepted_reason: Option<String>,
    /// Where it was forwarded, or the guidance given when returned.
    #[uniffi(default)]
    pub handling_note: Option<String>,
    /// Verification: who verifies and what was found.
    #[uniffi(default)]
    pub verification: Option<String>,
    /// Extensions of the resolution deadline.
    #[uniffi(default)]
    pub extensions: Vec<PetitionExtension>,
    /// The resolution.
    #[uniffi(default)]
    pub resolution: Option<PetitionResolution>,
    /// Day the decision was carried out.
    #[uniffi(default)]
    pub enforced_on: Option<String>,
    /// Day withdrawn.
    #[uniffi(default)]
    pub withdrawn_on: Option<String>,
    /// Day the handling ended (read-only: from the status history).
    #[uniffi(default)]
    pub closed_on: Option<String>,
    /// Notes.
    #[uniffi(default)]
    pub notes: Option<String>,
}

/// The deadlines of one petition as of a day.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PetitionDeadlines {
    /// Last day to classify it (accept, forward, return or file).
    pub classify_by: String,
    /// Last day to accept it.
    pub accept_by: String,
    /// Last day to resolve it without extensions (once accepted).
    pub resolve_by_base: Option<String>,
    /// Last day to resolve it with the extensions decided by the day asked.
    pub resolve_by: Option<String>,
    /// Extensions counted in `resolve_by`.
    pub extensions: u32,
    /// Extensions the law allows this petition.
    pub extensions_allowed: u32,
}

/// An overdue petition, as the reception officer's list shows it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct OverduePetition {
    /// Record id.
    pub record_id: String,
    /// Number in the petition book.
    pub book_no: Option<String>,
    /// Summary.
    pub summary: String,
    /// Type, with labels.
    pub petition_type: CodeLabel,
    /// Status, with labels.
    pub status: CodeLabel,
    /// Rule code: `petition_not_accepted` or `petition_not_resolved`.
    pub rule: String,
    /// The deadline passed (`YYYY-MM-DD`).
    pub due_on: String,
    /// Days past it.
    pub days_late: i64,
    /// Vietnamese message.
    pub vi: String,
    /// English message.
    pub en: String,
}

/// Parse a code of `C`, or core's unknown-code error (mapped to `InvalidInput`).
pub(crate) fn code<C: Coded>(s: &str) -> std::result::Result<C, CoreError> {
    C::from_code(s.trim()).ok_or_else(|| CoreError::UnknownCode {
        what: C::WHAT,
        code: s.to_string(),
    })
}

/// Trimmed text, `None` when empty.
pub(crate) fn opt_text(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn ds(d: Option<Date>) -> Option<String> {
    d.map(|d| d.to_string())
}

impl From<&core_p::Extension> for PetitionExtension {
    fn from(e: &core_p::Extension) -> Self {
        PetitionExtension {
            id: Some(e.id.clone()),
            decided_on: e.decided_on.to_string(),
            days: e.days,
            reason: e.reason.clone(),
            document_no: e.document_no.clone(),
        }
    }
}

impl From<&core_p::Resolution> for PetitionResolution {
    fn from(r: &core_p::Resolution) -> Self {
        PetitionResolution {
            decided_on: r.decided_on.to_string(),
            document_no: r.document_no.clone(),
            outcome: r.outcome.code().to_string(),
            content: r.content.clone(),
        }
    }
}

impl PetitionExtension {
    fn to_core(&self, old: Option<&core_p::Extension>) -> Result<core_p::Extension> {
        Ok(core_p::Extension {
            id: self
                .id
                .clone()
                .or_else(|| old.map(|o| o.id.clone()))
                .unwrap_or_else(new_item_id),
            decided_on: date("petition.extensions.decided_on", &self.decided_on)?,
            days: self.days,
            reason: self.reason.trim().to_string(),
            document_no: opt_text(&self.document_no),
        })
    }
}

impl PetitionResolution {
    fn to_core(&self) -> Result<core_p::Resolution> {
        Ok(core_p::Resolution {
            decided_on: date("petition.resolution.decided_on", &self.decided_on)?,
            document_no: opt_text(&self.document_no),
            outcome: code::<PetitionOutcome>(&self.outcome)?,
            content: opt_text(&self.content),
        })
    }
}

impl From<&core_p::Petition> for Petition {
    fn from(p: &core_p::Petition) -> Self {
        Petition {
            status: p.status.code().to_string(),
            book_no: p.book_no.clone(),
            received_on: p.received_on.to_string(),
            channel: p.channel.code().to_string(),
            forwarded_by: p.forwarded_by.clone(),
            petition_type: p.petition_type.code().to_string(),
            second_time: p.second_time,
            subject: p.subject.code().to_string(),
            summary: p.summary.clone(),
            petitioners: p
                .petitioners
                .iter()
                .map(|x| Petitioner {
                    id: Some(x.id.clone()),
                    name: x.name.clone(),
                    address: x.address.clone(),
                    id_number: x.id_number.clone(),
                    contact: x.contact.clone(),
                    representative: x.representative,
                })
                .collect(),
            group_size: p.group_size,
            competent_body: p.competent_body.code().to_string(),
            competent_body_name: p.competent_body_name.clone(),
            remote_area: p.remote_area,
            complexity: p.complexity.code().to_string(),
            classified_on: ds(p.classified_on),
            accepted_on: ds(p.accepted_on),
            not_accepted_reason: p.not_accepted_reason.map(|r| r.code().to_string()),
            handling_note: p.handling_note.clone(),
            verification: p.verification.clone(),
            extensions: p.extensions.iter().map(Into::into).collect(),
            resolution: p.resolution.as_ref().map(Into::into),
            enforced_on: ds(p.enforced_on),
            withdrawn_on: ds(p.withdrawn_on),
            closed_on: ds(p.closed_on),
            notes: p.notes.clone(),
        }
    }
}

impl Petition {
    /// A new core petition from the form (status and closing day are set by the store).
    pub(crate) fn to_new(&self) -> Result<core_p::Petition> {
        let mut p = core_p::Petition::example();
        p.petitioners.clear();
        p.book_no = None;
        self.apply_to(&mut p)?;
        Ok(p)
    }

    /// Write the form's fields onto `p`, keeping the ids of list items it keeps. The status and
    /// the closing day are left as they are.
    pub(crate) fn apply_to(&self, p: &mut core_p::Petition) -> Result<()> {
        p.book_no = opt_text(&self.book_no);
        p.received_on = date("petition.received_on", &self.received_on)?;
        p.channel = code::<PetitionChannel>(&self.channel)?;
        p.forwarded_by = opt_text(&self.forwarded_by);
        p.petition_type = code::<PetitionType>(&self.petition_type)?;
        p.second_time = self.second_time;
        p.subject = code::<PetitionSubject>(&self.subject)?;
        p.summary = self.summary.trim().to_string();
        p.petitioners = self
            .petitioners
            .iter()
            .map(|x| core_p::Petitioner {
                id: x.id.clone().unwrap_or_else(new_item_id),
                name: x.name.trim().to_string(),
                address: opt_text(&x.address),
                id_number: opt_text(&x.id_number),
                contact: opt_text(&x.contact),
                representative: x.representative,
            })
            .collect();
        p.group_size = self.group_size;
        p.competent_body = code::<CompetentBody>(&self.competent_body)?;
        p.competent_body_name = opt_text(&self.competent_body_name);
        p.remote_area = self.remote_area;
        p.complexity = code::<Complexity>(&self.complexity)?;
        p.classified_on = opt_date("petition.classified_on", self.classified_on.as_deref())?;
        p.accepted_on = opt_date("petition.accepted_on", self.accepted_on.as_deref())?;
        p.not_accepted_reason = self
            .not_accepted_reason
            .as_deref()
            .map(code::<NotAcceptedReason>)
            .transpose()?;
        p.handling_note = opt_text(&self.handling_note);
        p.verification = opt_text(&self.verification);
        p.extensions = self
            .extensions
            .iter()
            .map(|e| e.to_core(None))
            .collect::<Result<_>>()?;
        p.resolution = self
            .resolution
            .as_ref()
            .map(PetitionResolution::to_core)
            .transpose()?;
        p.enforced_on = opt_date("petition.enforced_on", self.enforced_on.as_deref())?;
        p.withdrawn_on = opt_date("petition.withdrawn_on", self.withdrawn_on.as_deref())?;
        p.notes = opt_text(&self.notes);
        Ok(())
    }
}

/// The petition of `record`, or the error saying it is another kind.
pub(crate) fn petition_of(record: &Record) -> Result<&core_p::Petition> {
    match &record.body {
        RecordBody::Petition(p) => Ok(p),
        _ => Err(not_kind(record.id(), "đơn thư", "petition")),
    }
}

/// "Record `id` is not a …" as invalid input.
pub(crate) fn not_kind(id: &str, vi: &str, en: &str) -> DanvanError {
    DanvanError::invalid(
        "kind",
        &format!("not_{en}"),
        &format!("Hồ sơ {id} không phải là {vi}."),
        &format!("Record {id} is not a {en}."),
    )
}

impl DanvanStore {
    /// Change petition `id` with `edit`, then move it to `to` effective `on` when asked, in one
    /// write (a bad field or a transition the rules refuse writes nothing).
    fn petition_step(
        &self,
        id: &str,
        edit: impl FnOnce(&mut core_p::Petition) -> Result<()>,
        to: Option<(&str, Date, Option<String>)>,
    ) -> Result<RecordView> {
        self.with(|s| {
            let current = s.get(id)?;
            let mut p = petition_of(&current)?.clone();
            // Apply the edit before the write, so a bad field writes nothing.
            edit(&mut p)?;
            let by = s.device().to_string();
            let r = s.update(id, |r| {
                r.body = RecordBody::Petition(p);
                match to {
                    Some((to, on, note)) => r.transition(to, on, &by, note),
                    None => Ok(()),
                }
            });
            Self::saved(s, r)
        })
    }
}

#[uniffi::export]
impl DanvanStore {
    /// Create a petition under `unit` (the reception officer's commune), received on the form's
    /// `received_on`. It starts in status `received`. Invalid input writes nothing.
    pub fn create_petition(&self, unit: String, form: Petition) -> Result<RecordView> {
        let body = form.to_new()?;
        let on = body.received_on;
        self.with(|s| {
            let r = s.create(RecordBody::Petition(body), unit.trim(), on);
            Self::saved(s, r)
        })
    }

    /// The petition `id` as the typed form.
    pub fn get_petition(&self, id: String) -> Result<Petition> {
        self.with(|s| Ok(Petition::from(petition_of(&s.get(&id)?)?)))
    }

    /// Edit petition `id` with the form's fields (status and closing day change only through
    /// transitions).
    pub fn update_petition(&self, id: String, form: Petition) -> Result<RecordView> {
        self.petition_step(&id, |p| form.apply_to(p), None)
    }

    /// Accept (thụ lý) petition `id` on `on`: status `accepted`, day accepted and classified.
    pub fn accept_petition(&self, id: String, on: String) -> Result<RecordView> {
        let on = date("on", &on)?;
        self.petition_step(&id, |_| Ok(()), Some(("accepted", on, None)))
    }

    /// Do not accept petition `id`: `to` is `forwarded` (to the competent body named in `note`),
    /// `returned` (with the guidance in `note`) or `filed`; `reason` is a
    /// `petition.not_accepted_reason` code. One write: reason, note and status.
    pub fn decline_petition(
        &self,
        id: String,
        to: String,
        on: String,
        reason: String,
        note: Option<String>,
    ) -> Result<RecordView> {
        let on = date("on", &on)?;
        let to = to.trim().to_string();
        if !matches!(to.as_str(), "forwarded" | "returned" | "filed") {
            return Err(DanvanError::invalid(
                "to",
                "not_a_decline",
                "Chỉ có thể chuyển đơn, trả lại đơn hoặc lưu đơn.",
                "A petition not accepted is forwarded, returned or filed.",
            ));
        }
        let reason = code::<NotAcceptedReason>(&reason)?;
        let note = opt_text(&note);
        self.petition_step(
            &id,
            |p| {
                p.not_accepted_reason = Some(reason);
                if note.is_some() {
                    p.handling_note = note;
                }
                Ok(())
            },
            Some((&to, on, None)),
        )
    }

    /// Add an extension of the resolution deadline to petition `id` (the law allows them for
    /// complex denunciations only; core says so otherwise).
    pub fn add_petition_extension(
        &self,
        id: String,
        extension: PetitionExtension,
    ) -> Result<RecordView> {
        let e = extension.to_core(None)?;
        self.petition_step(
            &id,
            |p| {
                p.extensions.push(e);
                Ok(())
            },
            None,
        )
    }

    /// Resolve petition `id`: record the resolution and move it to `resolved` on its day, in one
    /// write (the outcome must fit the type: core's rule).
    pub fn resolve_petition(
        &self,
        id: String,
        resolution: PetitionResolution,
    ) -> Result<RecordView> {
        let r = resolution.to_core()?;
        let on = r.decided_on;
        self.petition_step(
            &id,
            |p| {
                p.resolution = Some(r);
                Ok(())
            },
            Some(("resolved", on, None)),
        )
    }

    /// The decision on petition `id` was carried out on `on` (status `enforced`).
    pub fn enforce_petition(&self, id: String, on: String) -> Result<RecordView> {
        let on = date("on", &on)?;
        self.petition_step(&id, |_| Ok(()), Some(("enforced", on, None)))
    }

    /// The petitioner withdrew petition `id` on `on` (status `withdrawn`).
    pub fn withdraw_petition(
        &self,
        id: String,
        on: String,
        note: Option<String>,
    ) -> Result<RecordView> {
        let on = date("on", &on)?;
        self.petition_step(&id, |_| Ok(()), Some(("withdrawn", on, opt_text(&note))))
    }

    /// The deadlines of petition `id` as of `as_of` (an extension counts from its day).
    pub fn petition_deadlines(&self, id: String, as_of: String) -> Result<PetitionDeadlines> {
        let as_of = date("as_of", &as_of)?;
        self.with(|s| {
            let r = s.get(&id)?;
            let p = petition_of(&r)?;
            let d = p.deadlines(s.config(), as_of);
            Ok(PetitionDeadlines {
                classify_by: d.classify_by.to_string(),
                accept_by: d.accept_by.to_string(),
                resolve_by_base: ds(d.resolve_by_base),
                resolve_by: ds(d.resolve_by),
                extensions: u32::try_from(d.extensions).unwrap_or(u32::MAX),
                extensions_allowed: p.extensions_allowed(s.config()),
            })
        })
    }

    /// The petitions overdue as of `as_of` (not accepted, or not resolved, past the deadline),
    /// most late first.
    pub fn overdue_petitions(&self, as_of: String) -> Result<Vec<OverduePetition>> {
        let as_of = date("as_of", &as_of)?;
        self.with(|s| {
            let mut out = Vec::new();
            for (id, kind, o) in s.overdue(as_of)? {
                if kind != danvan_core::RecordKind::Petition {
                    continue;
                }
                let r = s.get(&id)?;
                let p = petition_of(&r)?;
                out.push(OverduePetition {
                    record_id: id,
                    book_no: p.book_no.clone(),
                    summary: p.summary.clone(),
                    petition_type: CodeLabel::of(p.petition_type),
                    status: CodeLabel::of(p.status),
                    rule: o.rule,
                    due_on: o.due_on.to_string(),
                    days_late: o.days_late,
                    vi: o.vi,
                    en: o.en,
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

    fn store() -> (tempfile::TempDir, std::sync::Arc<DanvanStore>) {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("s.sqlite3").to_string_lossy().to_string();
        let store = DanvanStore::open(path, uuid::Uuid::now_v7().to_string()).expect("open store");
        (dir, store)
    }

    fn denunciation() -> Petition {
        let mut f = Petition::from(&core_p::Petition::example());
        f.petition_type = "denunciation".into();
        f.subject = "officials_conduct".into();
        f.complexity = "complex".into();
        f.summary = "Tố cáo cán bộ địa chính xã nhận tiền".into();
        f.petitioners[0].id = None;
        f
    }

    #[test]
    fn the_form_round_trips() {
        let stored = core_p::Petition::example_denunciation_resolved();
        let form = Petition::from(&stored);
        let mut edited = stored.clone();
        form.apply_to(&mut edited).expect("apply");
        assert_eq!(edited, stored);
    }

    #[test]
    fn a_denunciation_is_accepted_extended_and_resolved() {
        let (_d, store) = store();
        let rec = store
            .create_petition("11533".into(), denunciation())
            .expect("create");
        assert_eq!(rec.status.code, "received");
        assert_eq!(
            rec.petition.as_ref().expect("typed").petition_type,
            "denunciation"
        );
        let d = store
            .petition_deadlines(rec.id.clone(), "2026-03-02".into())
            .expect("deadlines");
        assert!(d.accept_by.as_str() > "2026-03-02");
        assert_eq!(d.resolve_by, None);
        assert_eq!(d.extensions_allowed, 1);

        let rec = store
            .accept_petition(rec.id.clone(), "2026-03-10".into())
            .expect("accept");
        assert_eq!(rec.status.code, "accepted");
        let p = store.get_petition(rec.id.clone()).expect("get");
        assert_eq!(p.accepted_on.as_deref(), Some("2026-03-10"));

        store
            .add_petition_extension(
                rec.id.clone(),
                PetitionExtension {
                    id: None,
                    decided_on: "2026-04-08".into(),
                    days: None,
                    reason: "Phải xác minh tại nhiều nơi".into(),
                    document_no: Some("21/QĐ-UBND".into()),
                },
            )
            .expect("extend");
        let before = store
            .petition_deadlines(rec.id.clone(), "2026-04-07".into())
            .expect("deadlines");
        let after = store
            .petition_deadlines(rec.id.clone(), "2026-04-08".into())
            .expect("deadlines");
        assert_eq!(before.extensions, 0);
        assert_eq!(after.extensions, 1);
        assert!(after.resolve_by > before.resolve_by);

        // A second extension is more than the law allows a complex denunciation.
        let err = store
            .add_petition_extension(
                rec.id.clone(),
                PetitionExtension {
                    id: None,
                    decided_on: "2026-04-20".into(),
                    days: Some(10),
                    reason: "Thêm".into(),
                    document_no: None,
                },
            )
            .expect_err("too many");
        let DanvanError::InvalidInput { issues } = err else {
            panic!("not invalid input");
        };
        assert_eq!(issues[0].code, "too_many_extensions");
        assert!(!issues[0].vi.is_empty() && !issues[0].en.is_empty());

        // An outcome that does not fit a denunciation writes nothing.
        let bad = PetitionResolution {
            decided_on: "2026-05-05".into(),
            document_no: None,
            outcome: "right".into(),
            content: None,
        };
        assert!(matches!(
            store.resolve_petition(rec.id.clone(), bad),
            Err(DanvanError::InvalidInput { .. })
        ));
        assert_eq!(
            store.get(rec.id.clone()).expect("get").status.code,
            "accepted"
        );

        let rec = store
            .resolve_petition(
                rec.id.clone(),
                PetitionResolution {
                    decided_on: "2026-05-05".into(),
                    document_no: Some("35/KL-UBND".into()),
                    outcome: "partly_true".into(),
                    content: Some("Kiểm điểm, khiển trách".into()),
                },
            )
            .expect("resolve");
        assert_eq!(rec.status.code, "resolved");
        let p = rec.petition.expect("typed");
        assert_eq!(p.closed_on.as_deref(), Some("2026-05-05"));
        let rec = store
            .enforce_petition(rec.id.clone(), "2026-05-20".into())
            .expect("enforce");
        assert_eq!(rec.status.code, "enforced");
        assert!(
            store
                .overdue_petitions("2026-12-31".into())
                .expect("overdue")
                .is_empty()
        );
    }

    #[test]
    fn overdue_petitions_are_listed_most_late_first() {
        let (_d, store) = store();
        let mut early = Petition::from(&core_p::Petition::example());
        early.petitioners[0].id = None;
        early.received_on = "2026-01-05".into();
        let early = store
            .create_petition("11533".into(), early)
            .expect("create");
        let mut late = Petition::from(&core_p::Petition::example());
        late.petitioners[0].id = None;
        late.petition_type = "reflection".into();
        let late = store.create_petition("11533".into(), late).expect("create");
        let list = store
            .overdue_petitions("2026-04-01".into())
            .expect("overdue");
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].record_id, early.id);
        assert_eq!(list[1].record_id, late.id);
        assert!(list[0].days_late > list[1].days_late);
        assert_eq!(list[0].rule, "petition_not_accepted");
        assert_eq!(list[1].petition_type.vi, "Phản ánh");

        // Filed with a reason: off the list.
        store
            .decline_petition(
                late.id.clone(),
                "filed".into(),
                "2026-04-01".into(),
                "duplicate".into(),
                None,
            )
            .expect("file");
        assert_eq!(
            store
                .overdue_petitions("2026-04-01".into())
                .expect("o")
                .len(),
            1
        );
        // Forwarding needs where to.
        let err = store
            .decline_petition(
                early.id.clone(),
                "forwarded".into(),
                "2026-04-01".into(),
                "not_competent".into(),
                None,
            )
            .expect_err("no destination");
        let DanvanError::InvalidInput { issues } = err else {
            panic!("not invalid input");
        };
        assert!(issues.iter().any(|i| i.field == "petition.handling_note"));
        let rec = store
            .withdraw_petition(early.id.clone(), "2026-04-02".into(), None)
            .expect("withdraw");
        assert_eq!(rec.status.code, "withdrawn");
    }

    #[test]
    fn an_edit_keeps_ids_and_leaves_the_status_to_transitions() {
        let (_d, store) = store();
        let rec = store
            .create_petition("11533".into(), denunciation())
            .expect("create");
        let mut form = store.get_petition(rec.id.clone()).expect("get");
        let kept = form.petitioners[0].id.clone();
        form.summary = "Tố cáo cán bộ địa chính (bổ sung)".into();
        form.status = "resolved".into();
        form.petitioners.push(Petitioner {
            id: None,
            name: "Trần Thị Lan".into(),
            address: None,
            id_number: Some("031075009876".into()),
            contact: None,
            representative: false,
        });
        let rec = store.update_petition(rec.id.clone(), form).expect("edit");
        let p = rec.petition.expect("typed");
        assert_eq!(rec.status.code, "received");
        assert_eq!(p.status, "received");
        assert_eq!(p.petitioners[0].id, kept);
        assert_eq!(p.petitioners.len(), 2);
        assert!(p.petitioners[1].id.is_some());
        // Another kind is refused by name.
        let json = crate::example_body_json(crate::RecordKind::Mediation).expect("json");
        let case = store
            .create_record_json(
                crate::RecordKind::Mediation,
                "11533-T01".into(),
                "2025-09-02".into(),
                json,
            )
            .expect("case");
        let Err(DanvanError::InvalidInput { issues }) = store.get_petition(case.id) else {
            panic!("a mediation case read as a petition");
        };
        assert_eq!(issues[0].code, "not_petition");
    }

    #[test]
    fn bad_codes_and_dates_are_invalid_input() {
        let mut f = denunciation();
        f.channel = "fax".into();
        let Err(DanvanError::InvalidInput { issues }) = f.to_new() else {
            panic!("unknown code accepted");
        };
        assert_eq!(issues[0].code, "unknown_code");
        let mut f = denunciation();
        f.received_on = "2026-02-30".into();
        let Err(DanvanError::InvalidInput { issues }) = f.to_new() else {
            panic!("bad date accepted");
        };
        assert_eq!(issues[0].field, "petition.received_on");
    }
}
