//! Vietnamese and English labels of every enumerated code, for the app's pickers and read-only
//! screens. The lists come from core's `coded_enum!` declarations; nothing is repeated here.

use danvan_core::Coded;
use danvan_core::model::{
    common, democracy as d, dialogue as dl, inspection as i, mediation as m, petition as p,
};

use crate::error::{DanvanError, Result};
use crate::types::CodeLabel;

fn all<C: Coded>() -> Vec<CodeLabel> {
    C::all().iter().copied().map(CodeLabel::of).collect()
}

macro_rules! lists {
    ($($t:ty),+ $(,)?) => {
        /// Every list name, and a function giving its values.
        const LISTS: &[(&str, fn() -> Vec<CodeLabel>)] = &[$((<$t as Coded>::WHAT, all::<$t>)),+];
    };
}

lists!(
    danvan_core::RecordKind,
    common::Sex,
    m::MediationStatus,
    m::MediationBasis,
    m::MediationCategory,
    m::MediationSubtype,
    m::PartyRole,
    m::ExclusionReason,
    m::FollowUpState,
    m::ReferralAgency,
    i::InspectionStatus,
    i::ActivityType,
    i::InspectionBasis,
    i::SubjectKind,
    i::Topic,
    i::FindingCategory,
    i::Addressee,
    i::ResponseResult,
    d::CheckStatus,
    d::ChecklistGroup,
    d::ItemOutcome,
    d::Rating,
    d::RemediationStatus,
    d::PublicationForm,
    p::PetitionStatus,
    p::PetitionType,
    p::PetitionChannel,
    p::PetitionSubject,
    p::CompetentBody,
    p::Complexity,
    p::NotAcceptedReason,
    p::PetitionOutcome,
    dl::DialogueStatus,
    dl::DialogueType,
    dl::ChairRole,
    dl::ParticipantGroup,
    dl::IssueAnswer,
);

/// Names of every code list (`mediation.category`, `mediation.subtype`, `sex`, …).
#[uniffi::export]
pub fn code_lists() -> Vec<String> {
    LISTS.iter().map(|(name, _)| name.to_string()).collect()
}

/// Every value of the code list `list` (see [`code_lists`]), in display order, with labels.
#[uniffi::export]
pub fn codes(list: String) -> Result<Vec<CodeLabel>> {
    LISTS
        .iter()
        .find(|(name, _)| *name == list)
        .map(|(_, f)| f())
        .ok_or(DanvanError::NotFound {
            what: format!("code list {list}"),
        })
}

/// The labels of `code` in the code list `list`, or `None` if this build does not know it.
#[uniffi::export]
pub fn label(list: String, code: String) -> Result<Option<CodeLabel>> {
    Ok(codes(list)?.into_iter().find(|c| c.code == code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_list_has_labels_in_both_languages() {
        for list in code_lists() {
            let values = codes(list.clone()).expect("list");
            assert!(!values.is_empty(), "{list}");
            assert!(values.iter().all(|v| !v.vi.is_empty() && !v.en.is_empty()));
        }
        let path = label("mediation.subtype".into(), "path".into()).expect("list");
        assert_eq!(path.map(|l| l.vi), Some("Lối đi".to_string()));
        assert!(matches!(
            codes("nope".into()),
            Err(DanvanError::NotFound { .. })
        ));
    }
}
