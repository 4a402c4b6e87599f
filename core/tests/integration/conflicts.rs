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

/// Two devices that each rewrote the summary, merged both ways.
fn summary_conflict() -> (RecordDoc, RecordDoc) {
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    let rec = Record::new(
        "31-T0001",
        a.to_string(),
        day(2),
        RecordBody::Mediation(MediationCase::example()),
    );
    let mut da = RecordDoc::create(&rec, &a).unwrap();
    let mut db = da.fork_for(&b);
    for (d, text) in [(&mut da, "bản của A"), (&mut db, "bản của B")] {
        d.update("edit", |r| {
            summary_mut(r).clone_from(&text.to_string());
            Ok(())
        })
        .unwrap();
    }
    da.merge(&mut db.clone()).unwrap();
    db.merge(&mut da.clone()).unwrap();
    (da, db)
}

fn summary_mut(r: &mut Record) -> &mut String {
    let RecordBody::Mediation(m) = &mut r.body else {
        unreachable!()
    };
    &mut m.summary
}

fn summary(d: &RecordDoc) -> String {
    let RecordBody::Mediation(m) = d.record().unwrap().body else {
        unreachable!()
    };
    m.summary
}

/// The value Automerge shows for the summary (its own `get`, not danvan's reading).
fn automerge_shows(d: &RecordDoc) -> String {
    use automerge::ReadDoc;
    let doc = d.automerge();
    let (_, body) = doc.get(automerge::ROOT, "body").unwrap().unwrap();
    let (_, m) = doc.get(&body, "Mediation").unwrap().unwrap();
    let (v, _) = doc.get(&m, "summary").unwrap().unwrap();
    v.into_string().unwrap()
}

#[test]
fn current_is_the_value_shown_and_comes_first_and_choice_zero_keeps_it() {
    let (mut da, db) = summary_conflict();
    let c = &da.conflicts()[0];
    assert_eq!(c.current.value, automerge_shows(&da));
    assert_eq!(c.current.value, summary(&da));
    assert_eq!(c.values[0], c.current);
    assert_eq!(c.values.len(), 2);
    assert_ne!(c.values[1].value, c.current.value);
    let shown = c.current.value.clone();
    da.resolve(&c.path.clone(), 0).unwrap();
    assert_eq!(summary(&da), shown, "choice 0 keeps the value shown");
    assert!(da.conflicts().is_empty());
    // The other device agrees once it merges the resolution.
    let mut db = db;
    db.merge(&mut da).unwrap();
    assert_eq!(summary(&db), shown);
    assert!(db.conflicts().is_empty());
}

#[test]
fn choosing_the_other_value_switches_to_it() {
    let (mut da, _) = summary_conflict();
    let c = da.conflicts()[0].clone();
    da.resolve(&c.path, 1).unwrap();
    assert_eq!(summary(&da), c.values[1].value);
    assert_eq!(automerge_shows(&da), c.values[1].value);
}

#[test]
fn a_pending_conflict_survives_other_edits_and_transitions_on_every_device() {
    let (mut da, mut db) = summary_conflict();
    let before = da.conflicts();
    da.update("notes", |r| {
        let RecordBody::Mediation(m) = &mut r.body else {
            unreachable!()
        };
        m.notes = Some("Đã mời trưởng thôn".into());
        Ok(())
    })
    .unwrap();
    da.update("move", |r| r.transition("mediating", day(5), "a", None))
        .unwrap();
    assert_eq!(da.conflicts(), before, "the edit did not choose a summary");
    db.merge(&mut da.clone()).unwrap();
    assert_eq!(db.conflicts(), before);
    assert_eq!(db.record().unwrap().body.status_code(), "mediating");
}

#[test]
fn an_unchanged_write_records_no_operation() {
    let (mut da, _) = summary_conflict();
    let heads = da.heads();
    let r = da.record().unwrap();
    da.write(&r, "nothing").unwrap();
    assert_eq!(da.heads(), heads, "writing the same record made a change");
}
