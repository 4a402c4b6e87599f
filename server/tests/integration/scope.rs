//! The role × scope matrix over the Hải Phòng tree (no database needed).

use danvan_core::RecordKind::{Democracy, Inspection, Mediation};
use danvan_server::roles::{Role, ScopeError, scope};
use danvan_server::units::{UnitTree, parse_csv};

use crate::support::{HAIPHONG_CSV, date};

fn tree() -> UnitTree {
    UnitTree::new(
        parse_csv(HAIPHONG_CSV.as_bytes())
            .unwrap()
            .into_iter()
            .map(|(_, u)| u)
            .collect(),
    )
}

#[test]
fn scope_matrix() {
    let t = tree();
    let d = date("2025-09-01");

    for role in [Role::Mediator, Role::TeamLeader] {
        let s = scope(role, "11533-T01", &t, d).unwrap();
        assert_eq!(s.units.iter().collect::<Vec<_>>(), vec!["11533-T01"]);
        assert!(s.can_write(Mediation, "11533-T01"));
        assert!(
            !s.can_write(Mediation, "11533-T02"),
            "another team's village"
        );
        assert!(!s.can_write(Inspection, "11533-T01"));
        assert!(!s.deidentified);
    }

    let s = scope(Role::Inspector, "11533", &t, d).unwrap();
    assert!(s.can_write(Inspection, "11533") && s.can_write(Inspection, "11533-T02"));
    assert!(!s.can_write(Mediation, "11533-T02") && !s.can_read(Mediation, "11533-T02"));
    assert!(!s.can_write(Inspection, "11560"));

    // A checker at a commune checks that commune; at the city, every commune of the city.
    let s = scope(Role::Checker, "11629", &t, d).unwrap();
    assert_eq!(s.units.iter().collect::<Vec<_>>(), vec!["11629"]);
    assert!(s.can_write(Democracy, "11629") && !s.can_write(Democracy, "11629-T01"));
    let s = scope(Role::Checker, "31", &t, d).unwrap();
    assert_eq!(s.units.len(), 114);
    assert!(s.can_write(Democracy, "10525") && !s.can_write(Mediation, "10525"));

    let s = scope(Role::CommuneOfficer, "11533", &t, d).unwrap();
    assert!(s.can_read(Mediation, "11533-T03") && s.can_read(Inspection, "11533"));
    assert!(s.can_write(Democracy, "11533") && !s.can_write(Mediation, "11533-T03"));
    assert!(!s.can_read(Mediation, "11560-T01"));
    assert!(!s.deidentified);

    for role in [Role::CityOfficer, Role::Admin] {
        let s = scope(role, "31", &t, d).unwrap();
        assert!(s.can_write_kinds.is_empty());
        assert!(s.deidentified);
        assert!(s.can_read(Mediation, "11914-T03"));
    }

    // Before the reform the district officer of old Thủy Nguyên read its 21 communes.
    let s = scope(
        Role::DistrictOfficer,
        "31.thanh-pho-thuy-nguyen",
        &t,
        date("2025-06-01"),
    )
    .unwrap();
    assert_eq!(s.units.len(), 1 + 21);
    assert!(s.can_write_kinds.is_empty() && s.deidentified);
    assert!(matches!(
        scope(Role::DistrictOfficer, "31.thanh-pho-thuy-nguyen", &t, d),
        Err(ScopeError::UnknownUnit(..))
    ));
}

#[test]
fn roles_need_units_of_the_right_level() {
    let t = tree();
    let d = date("2025-09-01");
    let wrong = |role, unit| matches!(scope(role, unit, &t, d), Err(ScopeError::WrongLevel { .. }));
    assert!(wrong(Role::Mediator, "11533"));
    assert!(wrong(Role::TeamLeader, "31"));
    assert!(wrong(Role::Inspector, "11533-T01"));
    assert!(wrong(Role::CommuneOfficer, "31"));
    assert!(wrong(Role::Checker, "11533-T01"));
    assert!(wrong(Role::CityOfficer, "11533"));
    assert!(!wrong(Role::Admin, "31"));
}
