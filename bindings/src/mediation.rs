//! The mediation case as typed fields the app's form recognises ([`MediationCase`]), and its
//! conversions to and from core's `MediationCase`.
//!
//! The form holds what a mediator fills on the phone (logbook columns: parties, mediators,
//! category, subtype, dates, summary, agreement or positions). Editing applies the form onto the
//! stored case and keeps everything the form does not show (sessions, follow-ups, referral, fee
//! claim, settlement details…), so an app on this form never erases another app's fields. List
//! items keep their ids, so an edit of one party merges with another device's edit of another.
//! The status and closing date are read-only here: they change through transitions.

use danvan_core::model::common::{PersonRef, Sex, new_item_id};
use danvan_core::model::mediation::{
    self as core_m, Agreement, ExclusionReason, MediationBasis, MediationCategory,
    MediationSubtype, PartyRole,
};
use danvan_core::model::people::PersonEntry;
use danvan_core::{Coded, CoreError};

use crate::error::Result;
use crate::types::{date, opt_date};

/// A party to the case (personal data: it stays on the phone and at the commune).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Party {
    /// List-item id; `None` for a party added in this edit.
    #[uniffi(default)]
    pub id: Option<String>,
    /// Full name.
    pub name: String,
    /// Year of birth.
    #[uniffi(default)]
    pub birth_year: Option<i32>,
    /// Sex code (`male`, `female`, `other`).
    #[uniffi(default)]
    pub sex: Option<String>,
    /// Address.
    pub address: String,
    /// Phone number.
    #[uniffi(default)]
    pub phone: Option<String>,
    /// Role code (`requesting`, `other`, `related`).
    pub role: String,
}

/// A person named in the case (mediator, invited person).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Person {
    /// List-item id; `None` for a person added in this edit.
    #[uniffi(default)]
    pub id: Option<String>,
    /// Full name.
    pub name: String,
    /// Role or position, free text (`tổ trưởng tổ hòa giải`).
    #[uniffi(default)]
    pub role: Option<String>,
}

/// A mediation case as the app's form sees it. Dates are `YYYY-MM-DD`; enumerated values are
/// codes (labels: [`crate::codes`]).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct MediationCase {
    /// Status code (read-only: use `transition`).
    #[uniffi(default = "received")]
    pub status: String,
    /// Mediation team code (tổ hòa giải).
    pub team: String,
    /// Village or residential-group code (thôn, tổ dân phố).
    pub village: String,
    /// Commune code (xã, phường).
    pub commune: String,
    /// Number in the team's logbook.
    #[uniffi(default)]
    pub logbook_no: Option<u32>,
    /// Date received (ngày nhận).
    pub received_on: String,
    /// Basis code (căn cứ), e.g. `one_party_request`.
    pub basis: String,
    /// Mediators (hòa giải viên).
    #[uniffi(default)]
    pub mediators: Vec<Person>,
    /// Date the mediators were assigned (ngày phân công).
    #[uniffi(default)]
    pub assigned_on: Option<String>,
    /// Start date the parties agreed, when it replaces the legal deadline.
    #[uniffi(default)]
    pub agreed_start_on: Option<String>,
    /// Date mediation started (ngày bắt đầu).
    #[uniffi(default)]
    pub started_on: Option<String>,
    /// Parties (các bên).
    pub parties: Vec<Party>,
    /// Category code (phạm vi thống kê), e.g. `conflict`.
    pub category: String,
    /// Subtype code (loại việc), e.g. `path`.
    pub subtype: String,
    /// Main content (nội dung chủ yếu).
    pub summary: String,
    /// Within grassroots mediation's scope.
    #[uniffi(default = true)]
    pub in_scope: bool,
    /// Exclusion reason code when out of scope.
    #[uniffi(default)]
    pub exclusion_reason: Option<String>,
    /// Closing date (read-only: set by the closing transition).
    #[uniffi(default)]
    pub closed_on: Option<String>,
    /// What the parties agreed (for a successful case).
    #[uniffi(default)]
    pub agreement: Option<String>,
    /// Date by which the agreement is to be carried out.
    #[uniffi(default)]
    pub agreement_due_on: Option<String>,
    /// Each party's position when no agreement was reached.
    #[uniffi(default)]
    pub party_positions: Option<String>,
    /// Risk of violence noticed.
    #[uniffi(default)]
    pub risk_of_violence: bool,
    /// Notes (ghi chú).
    #[uniffi(default)]
    pub notes: Option<String>,
}

/// Parse a code of `C`, or core's unknown-code error (mapped to `InvalidInput`).
fn code<C: Coded>(s: &str) -> std::result::Result<C, CoreError> {
    C::from_code(s.trim()).ok_or_else(|| CoreError::UnknownCode {
        what: C::WHAT,
        code: s.to_string(),
    })
}

fn opt_text(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

impl From<&core_m::MediationCase> for MediationCase {
    fn from(c: &core_m::MediationCase) -> Self {
        let person = |p: &PersonEntry| Person {
            id: Some(p.id.clone()),
            name: p.person.name.clone(),
            role: p.person.role.clone(),
        };
        let ds = |d: Option<danvan_core::model::common::Date>| d.map(|d| d.to_string());
        MediationCase {
            status: c.status.code().to_string(),
            team: c.team.clone(),
            village: c.village.clone(),
            commune: c.commune.clone(),
            logbook_no: c.logbook_no,
            received_on: c.received_on.to_string(),
            basis: c.basis.code().to_string(),
            mediators: c.mediators.iter().map(person).collect(),
            assigned_on: ds(c.assigned_on),
            agreed_start_on: ds(c.agreed_start_on),
            started_on: ds(c.started_on),
            parties: c
                .parties
                .iter()
                .map(|p| Party {
                    id: Some(p.id.clone()),
                    name: p.name.clone(),
                    birth_year: p.birth_year,
                    sex: p.sex.map(|s| s.code().to_string()),
                    address: p.address.clone(),
                    phone: p.phone.clone(),
                    role: p.role.code().to_string(),
                })
                .collect(),
            category: c.category.code().to_string(),
            subtype: c.subtype.code().to_string(),
            summary: c.summary.clone(),
            in_scope: c.in_scope,
            exclusion_reason: c.exclusion_reason.map(|r| r.code().to_string()),
            closed_on: ds(c.closed_on),
            agreement: c.agreement.as_ref().map(|a| a.text.clone()),
            agreement_due_on: c.agreement.as_ref().and_then(|a| ds(a.due_on)),
            party_positions: c.party_positions.clone(),
            risk_of_violence: c.risk.flagged,
            notes: c.notes.clone(),
        }
    }
}

impl MediationCase {
    /// A new core case from the form (status and closing date are set by the store).
    pub(crate) fn to_new(&self) -> Result<core_m::MediationCase> {
        let mut c = core_m::MediationCase::example();
        c.mediators.clear();
        c.invited.clear();
        c.parties.clear();
        c.logbook_no = None;
        c.assigned_on = None;
        c.closed_on = None;
        self.apply_to(&mut c)?;
        Ok(c)
    }

    /// Write the form's fields onto `c`, keeping the fields the form does not hold and the ids
    /// of list items it keeps.
    pub(crate) fn apply_to(&self, c: &mut core_m::MediationCase) -> Result<()> {
        c.team = self.team.trim().to_string();
        c.village = self.village.trim().to_string();
        c.commune = self.commune.trim().to_string();
        c.logbook_no = self.logbook_no;
        c.received_on = date("mediation.received_on", &self.received_on)?;
        c.basis = code::<MediationBasis>(&self.basis)?;
        c.mediators = self
            .mediators
            .iter()
            .map(|p| {
                let old =
                    p.id.as_ref()
                        .and_then(|id| c.mediators.iter().find(|m| &m.id == id));
                PersonEntry {
                    id: p.id.clone().unwrap_or_else(new_item_id),
                    person: PersonRef {
                        id: old.and_then(|m| m.person.id.clone()),
                        name: p.name.trim().to_string(),
                        role: opt_text(&p.role),
                    },
                }
            })
            .collect();
        c.assigned_on = opt_date("mediation.assigned_on", self.assigned_on.as_deref())?;
        c.agreed_start_on = opt_date("mediation.agreed_start_on", self.agreed_start_on.as_deref())?;
        c.started_on = opt_date("mediation.started_on", self.started_on.as_deref())?;
        let mut parties = Vec::with_capacity(self.parties.len());
        for p in &self.parties {
            parties.push(core_m::Party {
                id: p.id.clone().unwrap_or_else(new_item_id),
                name: p.name.trim().to_string(),
                birth_year: p.birth_year,
                sex: p.sex.as_deref().map(code::<Sex>).transpose()?,
                address: p.address.trim().to_string(),
                phone: opt_text(&p.phone),
                role: code::<PartyRole>(&p.role)?,
            });
        }
        c.parties = parties;
        c.category = code::<MediationCategory>(&self.category)?;
        c.subtype = code::<MediationSubtype>(&self.subtype)?;
        c.summary = self.summary.trim().to_string();
        c.in_scope = self.in_scope;
        c.exclusion_reason = self
            .exclusion_reason
            .as_deref()
            .map(code::<ExclusionReason>)
            .transpose()?;
        let due_on = opt_date(
            "mediation.agreement.due_on",
            self.agreement_due_on.as_deref(),
        )?;
        c.agreement = match opt_text(&self.agreement) {
            None => None,
            Some(text) => Some(match c.agreement.take() {
                Some(a) => Agreement { text, due_on, ..a },
                None => Agreement {
                    text,
                    terms: None,
                    due_on,
                    settlement_requested: false,
                    settlement_no: None,
                    settlement_on: None,
                },
            }),
        };
        c.party_positions = opt_text(&self.party_positions);
        c.risk.flagged = self.risk_of_violence;
        c.notes = opt_text(&self.notes);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_round_trips_and_keeps_what_it_does_not_show() {
        let stored = core_m::MediationCase::example_successful();
        let form = MediationCase::from(&stored);
        let mut edited = stored.clone();
        form.apply_to(&mut edited).expect("apply");
        assert_eq!(edited, stored);

        let mut form = form;
        form.summary = "Tranh chấp lối đi (đã sửa)".into();
        form.parties.remove(1);
        form.parties.push(Party {
            id: None,
            name: "Vũ Văn Nam".into(),
            birth_year: Some(1980),
            sex: Some("male".into()),
            address: "Số 16, ngõ 45".into(),
            phone: None,
            role: "related".into(),
        });
        let mut edited = stored.clone();
        form.apply_to(&mut edited).expect("apply");
        assert_eq!(edited.sessions, stored.sessions);
        assert_eq!(edited.fee_claim, stored.fee_claim);
        assert_eq!(edited.parties[0].id, stored.parties[0].id);
        assert_eq!(edited.parties.len(), 2);
        assert_ne!(edited.parties[1].id, stored.parties[1].id);
        let agreement = edited.agreement.expect("kept");
        assert_eq!(agreement.settlement_no, Some("07/2025/VBHG".into()));
    }

    #[test]
    fn unknown_codes_and_bad_dates_are_invalid_input() {
        let mut form = MediationCase::from(&core_m::MediationCase::example());
        form.subtype = "path_or_road".into();
        let err = form.to_new().expect_err("unknown code");
        let crate::DanvanError::InvalidInput { issues } = err else {
            panic!("not invalid input");
        };
        assert_eq!(issues[0].code, "unknown_code");

        let mut form = MediationCase::from(&core_m::MediationCase::example());
        form.received_on = "2025-02-30".into();
        let Err(crate::DanvanError::InvalidInput { issues }) = form.to_new() else {
            panic!("bad date accepted");
        };
        assert_eq!(issues[0].field, "mediation.received_on");
    }
}
