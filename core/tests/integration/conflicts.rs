use danvan_core::model::common::Date;
use danvan_core::model::mediation::MediationCase;
use danvan_core::{Record, RecordBody, RecordDoc};
use uuid::Uuid;

fn day(d: u32) -> Date {
    Date::ymd(2025, 9, d).unwrap()
}

#[test]
fn concurrent_edit_of_one_field_is_exposed_with_authors_and_resolves() {
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    let rec = Record::new(
        "31-T0001",
        a.to_string(),
        day(2),
        RecordBody::Mediation(MediationCase::example()),
    );
    let mut da = RecordDoc::create(&rec, &a).unwrap();
    let mut db = da.fork_for(&b);
    da.update("edit", |r| {
        let RecordBody::Mediation(m) = &mut r.body else {
            unreachable!()
        };
        m.summary = "Tranh chấp lối đi (bản của A)".into();
        Ok(())
    })
    .unwrap();
    db.update("edit", |r| {
        let RecordBody::Mediation(m) = &mut r.body else {
            unreachable!()
        };
        m.summary = "Tranh chấp lối đi (bản của B)".into();
        Ok(())
    })
    .unwrap();
    let mut db2 = db.clone();
    da.merge(&mut db2).unwrap();
    let mut da2 = da.clone();
    db.merge(&mut da2).unwrap();
    // Both devices show the same value and the same conflict.
    assert_eq!(da.record().unwrap(), db.record().unwrap());
    let ca = da.conflicts();
    assert_eq!(ca, db.conflicts());
    assert_eq!(ca.len(), 1, "{ca:?}");
    assert_eq!(ca[0].path, "body.Mediation.summary");
    let authors: Vec<_> = ca[0].values.iter().map(|v| v.author.clone()).collect();
    assert!(authors.contains(&a.to_string()) && authors.contains(&b.to_string()));
    // A person picks B's value on device A; B merges the resolution.
    let pick = ca[0]
        .values
        .iter()
        .position(|v| v.value.contains("bản của B"))
        .unwrap();
    da.resolve(&ca[0].path, pick).unwrap();
    assert!(da.conflicts().is_empty());
    db.merge(&mut da).unwrap();
    assert!(db.conflicts().is_empty());
    let RecordBody::Mediation(m) = db.record().unwrap().body else {
        unreachable!()
    };
    assert_eq!(m.summary, "Tranh chấp lối đi (bản của B)");
}
