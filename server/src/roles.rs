//! Roles and what each may read and write: the scope matrix of
//! `docs/adr/0003-roles-and-scope.md`.
//!
//! A device (or user) has one role and one unit. [`scope`] turns them, with the unit tree as of a
//! date, into the set of units it may touch and the record kinds it may write.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use danvan_core::RecordKind;

use crate::units::{UnitTree, level};

danvan_core::coded_enum! {
    /// A person's role in the system.
    pub enum Role : "server.role" {
        /// Hòa giải viên: records mediation cases of their village's team.
        Mediator = ("mediator", "Hòa giải viên", "Mediator"),
        /// Tổ trưởng tổ hòa giải: as a mediator, for their own team.
        TeamLeader = ("team_leader", "Tổ trưởng tổ hòa giải", "Mediation team leader"),
        /// Thành viên Ban Thanh tra nhân dân: inspection activities of their commune.
        Inspector = ("inspector", "Thành viên Ban Thanh tra nhân dân", "People's Inspection Board member"),
        /// Người kiểm tra thực hiện dân chủ ở cơ sở: democracy checks of assigned communes.
        Checker = ("checker", "Người kiểm tra thực hiện dân chủ ở cơ sở", "Grassroots-democracy checker"),
        /// Cán bộ tiếp công dân: citizens' petitions and leaders' dialogues of their commune.
        ReceptionOfficer = ("reception_officer", "Cán bộ tiếp công dân", "Citizen-reception officer"),
        /// Cán bộ xã: reads all records of the commune, may write democracy checks.
        CommuneOfficer = ("commune_officer", "Cán bộ cấp xã", "Commune officer"),
        /// Cán bộ cấp huyện (cũ): reads de-identified aggregates of the subtree.
        DistrictOfficer = ("district_officer", "Cán bộ cấp huyện", "District officer"),
        /// Cán bộ cấp thành phố: reads de-identified aggregates of the subtree.
        CityOfficer = ("city_officer", "Cán bộ cấp thành phố", "City officer"),
        /// Quản trị viên: manages devices and users; reads de-identified aggregates.
        Admin = ("admin", "Quản trị viên", "Administrator"),
    }
}

/// What a role with a unit may do, as of a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// Units whose records (or aggregates) may be read and, for the kinds in
    /// `can_write_kinds`, written.
    pub units: BTreeSet<String>,
    /// Record kinds this role may create or change (within `units`).
    pub can_write_kinds: Vec<RecordKind>,
    /// Record kinds this role may read (within `units`).
    pub can_read_kinds: Vec<RecordKind>,
    /// Record kinds whose wrong closing this role may correct (within `units`, ADR 0009):
    /// mediation for team leaders and commune officers, inspection and democracy for commune
    /// officers. A role may correct a kind it may not otherwise write, with a push that adds
    /// corrections and nothing else.
    pub can_correct_kinds: Vec<RecordKind>,
    /// Whether reads must be de-identified aggregates only (above the commune).
    pub deidentified: bool,
    /// Whether the device reads and changes only records it has written to itself: a checker
    /// enrolled above the commune checks any commune of its unit, but is sent only its own
    /// checks, never every commune's (least privilege, ADR 0003).
    pub authored_only: bool,
}

impl Scope {
    /// Whether a record of `kind` entered under `unit` may be written.
    pub fn can_write(&self, kind: RecordKind, unit: &str) -> bool {
        self.can_write_kinds.contains(&kind) && self.units.contains(unit)
    }

    /// Whether a wrong closing of a record of `kind` entered under `unit` may be corrected.
    pub fn can_correct(&self, kind: RecordKind, unit: &str) -> bool {
        self.can_correct_kinds.contains(&kind) && self.units.contains(unit)
    }

    /// Whether a record of `kind` entered under `unit` may be read (possibly de-identified).
    pub fn can_read(&self, kind: RecordKind, unit: &str) -> bool {
        self.can_read_kinds.contains(&kind) && self.units.contains(unit)
    }
}

/// Why a role cannot be given a unit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    /// The unit does not exist on that date.
    #[error("unit {0} does not exist on {1}")]
    UnknownUnit(String, NaiveDate),
    /// The unit's level does not fit the role.
    #[error("role {role} needs a unit of level {expected}, but {unit} is a {actual}")]
    WrongLevel {
        /// Role.
        role: Role,
        /// Unit code.
        unit: String,
        /// Level the role needs.
        expected: &'static str,
        /// Level the unit has.
        actual: String,
    },
}

/// Check that `unit` exists on `as_of` and has a level that fits `role`.
pub fn check_unit_for_role(
    role: Role,
    unit: &str,
    tree: &UnitTree,
    as_of: NaiveDate,
) -> Result<(), ScopeError> {
    let u = tree
        .unit(unit, as_of)
        .ok_or_else(|| ScopeError::UnknownUnit(unit.into(), as_of))?;
    let wrong = |expected| ScopeError::WrongLevel {
        role,
        unit: unit.into(),
        expected,
        actual: u.level.clone(),
    };
    match role {
        Role::Mediator | Role::TeamLeader if u.level != level::VILLAGE => Err(wrong("village")),
        Role::Inspector | Role::ReceptionOfficer | Role::CommuneOfficer
            if u.level != level::COMMUNE =>
        {
            Err(wrong("commune"))
        }
        Role::Checker | Role::DistrictOfficer | Role::CityOfficer
            if u.level == level::VILLAGE
                || (role != Role::Checker && u.level == level::COMMUNE) =>
        {
            Err(wrong(if role == Role::Checker {
                "commune or above"
            } else {
                "above commune"
            }))
        }
        _ => Ok(()),
    }
}

/// The scope of `role` at `unit`, resolved in the unit tree as of `as_of`.
///
/// | role | units | writes | reads | de-identified |
/// |---|---|---|---|---|
/// | mediator, team_leader | own village (and below) | mediation | mediation | no |
/// | inspector | own commune subtree | inspection | inspection | no |
/// | checker | the commune(s) at or under its unit (above the commune: only the checks it wrote) | democracy | democracy | no |
/// | reception_officer | own commune subtree | petition, dialogue | petition, dialogue | no |
/// | commune_officer | own commune subtree | democracy, petition, dialogue | all | no |
/// | district_officer, city_officer, admin | subtree | nothing | all | yes |
///
/// Correcting a wrong closing (ADR 0009): team_leader corrects mediation; commune_officer
/// corrects every kind (mediation and inspection by correction-only pushes); no other role.
///
/// Petitions name their petitioners, and a denunciator's identity is protected by law: only the
/// roles that handle petitions (reception officer, commune officer) of the commune read them;
/// mediators, inspectors and checkers never receive them, and above the commune only
/// de-identified aggregates leave the server.
pub fn scope(
    role: Role,
    unit: &str,
    tree: &UnitTree,
    as_of: NaiveDate,
) -> Result<Scope, ScopeError> {
    check_unit_for_role(role, unit, tree, as_of)?;
    let subtree: BTreeSet<String> = tree.subtree(unit, as_of).into_iter().collect();
    let all = vec![
        RecordKind::Mediation,
        RecordKind::Inspection,
        RecordKind::Democracy,
        RecordKind::Petition,
        RecordKind::Dialogue,
    ];
    let reception = vec![RecordKind::Petition, RecordKind::Dialogue];
    let s = |units, write: Vec<RecordKind>, read: Vec<RecordKind>, deidentified| Scope {
        units,
        can_write_kinds: write,
        can_read_kinds: read,
        can_correct_kinds: Vec::new(),
        deidentified,
        authored_only: false,
    };
    let mut scope = match role {
        Role::Mediator | Role::TeamLeader => s(
            subtree,
            vec![RecordKind::Mediation],
            vec![RecordKind::Mediation],
            false,
        ),
        Role::Inspector => s(
            subtree,
            vec![RecordKind::Inspection],
            vec![RecordKind::Inspection],
            false,
        ),
        Role::Checker => {
            let communes = subtree
                .into_iter()
                .filter(|c| {
                    tree.unit(c, as_of)
                        .is_some_and(|u| u.level == level::COMMUNE)
                })
                .collect();
            let mut checker = s(
                communes,
                vec![RecordKind::Democracy],
                vec![RecordKind::Democracy],
                false,
            );
            // Above the commune a checker's unit holds many communes whose checks name
            // checkers and the people answerable for remediation: it gets its own checks only.
            checker.authored_only = tree
                .unit(unit, as_of)
                .is_some_and(|u| u.level != level::COMMUNE);
            checker
        }
        Role::ReceptionOfficer => s(subtree, reception.clone(), reception, false),
        Role::CommuneOfficer => s(
            subtree,
            vec![
                RecordKind::Democracy,
                RecordKind::Petition,
                RecordKind::Dialogue,
            ],
            all.clone(),
            false,
        ),
        Role::DistrictOfficer | Role::CityOfficer | Role::Admin => {
            s(subtree, vec![], all.clone(), true)
        }
    };
    scope.can_correct_kinds = match role {
        Role::TeamLeader => vec![RecordKind::Mediation],
        Role::CommuneOfficer => all,
        _ => Vec::new(),
    };
    Ok(scope)
}
