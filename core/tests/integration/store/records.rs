//! Create, read, update, list, search, transitions, validation, summary, compaction.

use danvan_core::store::{ListQuery, StoreError, SyncState};
use danvan_core::{CoreError, RecordKind};

use super::*;

fn ids(rows: &[danvan_core::store::RecordSummary]) -> Vec<String> {
    rows.iter().map(|r| r.id.clone()).collect()
}

fn text(q: &str) -> ListQuery {
    ListQuery {
        text: Some(q.into()),
        ..Default::default()
    }
}

#[test]
fn create_get_update_survive_reopen() {
    let mut t = TestStore::new();
    let rec = t.store.create(mediation(), "31-T0001", day(2)).unwrap();
    assert_eq!(t.store.get(rec.id()).unwrap(), rec);
    assert_eq!(rec.envelope.created_by, t.device.to_string());

    let updated = t
        .store
        .update(rec.id(), |r| {
            set_summary(&mut r.body, "Tranh chấp ranh giới đất");
            Ok(())
        })
        .unwrap();
    t.reopen();
    let got = t.store.get(rec.id()).unwrap();
    assert_eq!(got, updated);
    assert_eq!(got.body.index().summary, "Tranh chấp ranh giới đất");
    let row = t.store.summary_of(rec.id()).unwrap();
    assert_eq!(row.summary, "Tranh chấp ranh giới đất");
    assert_eq!(row.kind, RecordKind::Mediation);
    assert_eq!(row.status, "received");
    assert_eq!(row.main_date, rec.body.index().main_date);
    assert!(matches!(t.store.get("nope"), Err(CoreError::NotFound(_))));
    t.store.check_integrity().unwrap();
}

#[test]
fn vietnamese_search_ignores_case_and_diacritics() {
    let mut t = TestStore::new();
    let a = t.store.create(
        with_summary(mediation(), "Tranh chấp Lối Đi chung"),
        "U1",
        day(2),
    );
    let a = a.unwrap();
    let b = t
        .store
        .create(
            with_summary(mediation(), "Mâu thuẫn gia đình"),
            "U1",
            day(3),
        )
        .unwrap();
    for q in [
        "lối đi",
        "loi di",
        "LOI DI",
        "Lối Đi",
        "lôi",
        "đi chung",
        "tranh",
    ] {
        assert_eq!(
            ids(&t.store.list(&text(q)).unwrap()),
            vec![a.id().to_string()],
            "query {q:?}"
        );
    }
    // Decomposed input (combining marks), as some keyboards send it.
    let nfd = "lo\u{302}\u{301}i \u{111}i";
    assert_eq!(
        ids(&t.store.list(&text(nfd)).unwrap()),
        vec![a.id().to_string()]
    );
    assert_eq!(
        ids(&t.store.list(&text("gia dinh")).unwrap()),
        vec![b.id().to_string()]
    );
    assert!(t.store.list(&text("ranh giới")).unwrap().is_empty());
    // Query syntax is not interpreted.
    assert!(t.store.list(&text("\"loi\" OR NEAR(")).unwrap().is_empty());
    assert_eq!(
        t.store.list(&text("  ,; ")).unwrap().len(),
        2,
        "no words = no text filter"
    );
    // Search follows edits.
    t.store
        .update(b.id(), |r| {
            set_summary(&mut r.body, "Lấn chiếm lối đi");
            Ok(())
        })
        .unwrap();
    assert_eq!(t.store.list(&text("loi di")).unwrap().len(), 2);
    assert!(t.store.list(&text("gia dinh")).unwrap().is_empty());
}

#[test]
fn list_filters_sort_and_page() {
    let mut t = TestStore::new();
    let m1 = t.store.create(mediation(), "U1", day(2)).unwrap();
    let i1 = t.store.create(inspection(), "U2", day(3)).unwrap();
    let d1 = t.store.create(democracy(), "U2", day(4)).unwrap();
    let all = t.store.list(&ListQuery::default()).unwrap();
    assert_eq!(all.len(), 3);
    // Newest main date first.
    let dates: Vec<_> = all.iter().map(|r| r.main_date).collect();
    let mut sorted = dates.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(dates, sorted);

    let q = |f: fn(&mut ListQuery)| {
        let mut q = ListQuery::default();
        f(&mut q);
        let mut v = ids(&t.store.list(&q).unwrap());
        v.sort();
        v
    };
    let sorted_ids = |v: &[&str]| {
        let mut v: Vec<String> = v.iter().map(|s| s.to_string()).collect();
        v.sort();
        v
    };
    assert_eq!(
        q(|q| q.kind = Some(RecordKind::Inspection)),
        sorted_ids(&[i1.id()])
    );
    assert_eq!(
        q(|q| q.unit = Some("U2".into())),
        sorted_ids(&[i1.id(), d1.id()])
    );
    assert_eq!(
        q(|q| q.status = Some("received".into())),
        sorted_ids(&[m1.id()])
    );
    let (m_date, d_date) = (m1.body.index().main_date, d1.body.index().main_date);
    let mut q2 = ListQuery {
        from: m_date,
        to: m_date,
        ..Default::default()
    };
    assert!(ids(&t.store.list(&q2).unwrap()).contains(&m1.id().to_string()));
    q2.from = d_date.map(|d| d.plus_days(1));
    q2.to = None;
    assert!(
        t.store
            .list(&q2)
            .unwrap()
            .iter()
            .all(|r| r.main_date > d_date)
    );
    let page = t.store.list(&ListQuery {
        limit: Some(2),
        offset: 1,
        ..Default::default()
    });
    assert_eq!(ids(&page.unwrap()), ids(&all[1..]));
    assert_eq!(q(|q| q.unsynced_only = true).len(), 3);
    assert!(q(|q| q.conflicts_only = true).is_empty());
}

#[test]
fn transition_appends_history_and_checks_the_machine() {
    let mut t = TestStore::new();
    let rec = t.store.create(mediation(), "U1", day(2)).unwrap();
    let r = t
        .store
        .transition(rec.id(), "mediating", day(3), Some("bắt đầu".into()))
        .unwrap();
    assert_eq!(r.body.status_code(), "mediating");
    // A successful case needs its agreement written down first.
    t.store
        .update(rec.id(), |r| {
            let RecordBody::Mediation(m) = &mut r.body else {
                unreachable!()
            };
            m.started_on = Some(day(3));
            m.agreement = MediationCase::example_successful().agreement;
            Ok(())
        })
        .unwrap();
    let r = t
        .store
        .transition(rec.id(), "successful", day(9), None)
        .unwrap();
    assert_eq!(r.history.len(), 3);
    assert_eq!(r.history[1].note.as_deref(), Some("bắt đầu"));
    assert_eq!(r.status_as_of(day(5)), Some("mediating"));
    let row = t.store.summary_of(rec.id()).unwrap();
    assert!(row.closed);
    assert_eq!(
        (row.status.as_str(), row.closed_on),
        ("successful", Some(day(9)))
    );
    let err = t
        .store
        .transition(rec.id(), "received", day(10), None)
        .unwrap_err();
    assert!(matches!(err, CoreError::Transition { .. }), "{err}");
    assert_eq!(
        t.store.get(rec.id()).unwrap(),
        r,
        "a refused transition writes nothing"
    );
}

#[test]
fn invalid_records_are_refused_and_nothing_is_written() {
    let mut t = TestStore::new();
    let err = t.store.create(mediation(), "  ", day(2)).unwrap_err();
    let CoreError::Invalid(issues) = err else {
        panic!("{err}")
    };
    assert!(issues.iter().any(|i| i.field == "envelope.unit"));
    assert!(t.store.list(&ListQuery::default()).unwrap().is_empty());
    assert!(t.store.dirty_records().unwrap().is_empty());

    let rec = t.store.create(mediation(), "U1", day(2)).unwrap();
    let heads = t.store.heads(rec.id()).unwrap();
    let before = t.store.storage_stats().unwrap();
    let err = t.store.update(rec.id(), |r| {
        r.envelope.unit = String::new();
        set_summary(&mut r.body, "sửa");
        Ok(())
    });
    assert!(matches!(err, Err(CoreError::Invalid(_))));
    let err = t.store.update(rec.id(), |r| {
        r.envelope.id = uuid::Uuid::now_v7().to_string();
        Ok(())
    });
    assert!(matches!(err, Err(CoreError::Invalid(_))));
    assert_eq!(t.store.get(rec.id()).unwrap(), rec);
    assert_eq!(t.store.heads(rec.id()).unwrap(), heads);
    let after = t.store.storage_stats().unwrap();
    assert_eq!(
        (after.snapshot_bytes, after.chunk_bytes),
        (before.snapshot_bytes, before.chunk_bytes)
    );
    assert_eq!(t.store.summary_of(rec.id()).unwrap().unit, "U1");
}

#[test]
fn summary_counts_kinds_statuses_and_unsynced() {
    let mut t = TestStore::new();
    let a = t.store.create(mediation(), "U1", day(2)).unwrap();
    t.store.create(mediation(), "U1", day(2)).unwrap();
    t.store.create(inspection(), "U1", day(2)).unwrap();
    t.store
        .transition(a.id(), "mediating", day(3), None)
        .unwrap();
    let s = t.store.summary(day(20)).unwrap();
    assert_eq!(s.total, 3);
    assert_eq!(s.unsynced, 3);
    assert_eq!((s.conflicts, s.rejected), (0, 0));
    let count = |k: RecordKind, st: &str| {
        s.by_kind_status
            .iter()
            .find(|c| c.kind == k && c.status == st)
            .map_or(0, |c| c.count)
    };
    assert_eq!(count(RecordKind::Mediation, "mediating"), 1);
    assert_eq!(count(RecordKind::Mediation, "received"), 1);
    assert_eq!(count(RecordKind::Inspection, "in_progress"), 1);
    // Overdue must agree with the records' own rules.
    let expected = t
        .store
        .list(&ListQuery::default())
        .unwrap()
        .iter()
        .filter(|r| {
            !t.store
                .get(&r.id)
                .unwrap()
                .overdue(t.store.config(), day(20))
                .is_empty()
        })
        .count() as u64;
    assert_eq!(s.overdue, expected);
    assert_eq!(
        t.store.sync_state(a.id()).unwrap().state,
        SyncState::LocalOnly
    );
}

#[test]
fn compaction_keeps_content_and_reduces_bytes() {
    let mut t = TestStore::new();
    let rec = t.store.create(mediation(), "U1", day(2)).unwrap();
    let mut saw_chunks = false;
    for n in 0..40 {
        t.store
            .update(rec.id(), |r| {
                r.envelope.unit = format!("U{n}");
                Ok(())
            })
            .unwrap();
        let s = t.store.storage_stats().unwrap();
        saw_chunks |= s.chunk_bytes > 0;
        // Compaction by size: chunks never outgrow the snapshot by more than one chunk.
        assert!(s.chunk_bytes <= s.snapshot_bytes, "{s:?}");
    }
    if t.store.storage_stats().unwrap().chunk_bytes == 0 {
        t.store
            .update(rec.id(), |r| {
                r.envelope.unit = "U-last".into();
                Ok(())
            })
            .unwrap();
    }
    assert!(saw_chunks, "small edits are stored as incremental chunks");
    let before_record = t.store.get(rec.id()).unwrap();
    let before_heads = t.store.heads(rec.id()).unwrap();
    let before = t.store.storage_stats().unwrap();
    t.store.compact().unwrap();
    let after = t.store.storage_stats().unwrap();
    assert_eq!(after.chunk_bytes, 0);
    assert!(
        after.snapshot_bytes + after.chunk_bytes < before.snapshot_bytes + before.chunk_bytes,
        "{before:?} -> {after:?}"
    );
    t.reopen();
    assert_eq!(t.store.get(rec.id()).unwrap(), before_record);
    assert_eq!(t.store.heads(rec.id()).unwrap(), before_heads);
    t.store.check_integrity().unwrap();
}

#[test]
fn store_errors_convert_into_core_errors() {
    let e: CoreError = StoreError::InUse.into();
    assert!(matches!(e, CoreError::Store(StoreError::InUse)));
}
