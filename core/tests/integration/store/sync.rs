//! Outbox states, changes for sync, remote changes and conflicts between two devices' stores.

use danvan_core::CoreError;
use danvan_core::store::{ListQuery, Rejection, SyncState};

use super::*;

#[test]
fn sync_state_follows_sends_answers_and_edits() {
    let mut t = TestStore::new();
    let rec = t.store.create(mediation(), "U1", day(2)).unwrap();
    let id = rec.id();
    let st = t.store.sync_state(id).unwrap();
    assert_eq!((st.state, st.dirty), (SyncState::LocalOnly, true));
    assert_eq!(t.store.dirty_records().unwrap(), vec![id.to_string()]);

    t.store.mark_sent(&[id]).unwrap();
    assert_eq!(t.store.sync_state(id).unwrap().state, SyncState::Sent);
    let heads = t.store.heads(id).unwrap();
    t.store.mark_accepted(id, &heads).unwrap();
    let st = t.store.sync_state(id).unwrap();
    assert_eq!((st.state, st.dirty), (SyncState::Accepted, false));
    assert_eq!(st.last_synced_heads, heads);
    assert!(t.store.dirty_records().unwrap().is_empty());
    assert!(t.store.changes_for_sync(id, &heads).unwrap().is_empty());

    // A local edit makes it dirty again; the changes since the server's heads are small and
    // bring a copy at those heads up to date.
    let edited = t
        .store
        .update(id, |r| {
            r.envelope.unit = "U2".into();
            Ok(())
        })
        .unwrap();
    assert!(t.store.sync_state(id).unwrap().dirty);
    let delta = t.store.changes_for_sync(id, &heads).unwrap();
    assert!(!delta.is_empty());
    let full = t.store.changes_for_sync(id, &[]).unwrap();
    assert!(delta.len() < full.len());

    // An edit made while a request is in flight survives an "accepted" answer.
    t.store.mark_sent(&[id]).unwrap();
    t.store
        .update(id, |r| {
            r.envelope.unit = "U3".into();
            Ok(())
        })
        .unwrap();
    t.store.mark_accepted(id, &heads).unwrap();
    assert!(t.store.sync_state(id).unwrap().dirty);
    let _ = edited;

    // Rejection: reason shown, not dirty until edited again.
    t.store.mark_sent(&[id]).unwrap();
    t.store
        .mark_rejected(id, "out_of_scope", "Hồ sơ ngoài phạm vi")
        .unwrap();
    let st = t.store.sync_state(id).unwrap();
    assert_eq!(st.state, SyncState::Rejected);
    assert!(!st.dirty);
    assert_eq!(
        st.rejection,
        Some(Rejection {
            code: "out_of_scope".into(),
            message: "Hồ sơ ngoài phạm vi".into()
        })
    );
    let row = t.store.summary_of(id).unwrap();
    assert_eq!((row.sync_state, row.dirty), (SyncState::Rejected, false));
    assert_eq!(t.store.summary(day(2)).unwrap().rejected, 1);
    t.reopen();
    assert_eq!(t.store.sync_state(id).unwrap().state, SyncState::Rejected);
    t.store
        .update(id, |r| {
            r.envelope.unit = "U1".into();
            Ok(())
        })
        .unwrap();
    assert!(t.store.sync_state(id).unwrap().dirty);

    assert!(matches!(
        t.store.mark_accepted("missing", &heads),
        Err(CoreError::NotFound(_))
    ));
    assert!(matches!(
        t.store.mark_sent(&["missing"]),
        Err(CoreError::NotFound(_))
    ));
}

#[test]
fn sync_meta_is_a_persistent_key_value_map() {
    let mut t = TestStore::new();
    assert_eq!(t.store.sync_meta("cursor").unwrap(), None);
    t.store.set_sync_meta("cursor", Some(b"42")).unwrap();
    t.reopen();
    assert_eq!(
        t.store.sync_meta("cursor").unwrap().as_deref(),
        Some(&b"42"[..])
    );
    t.store.set_sync_meta("cursor", None).unwrap();
    assert_eq!(t.store.sync_meta("cursor").unwrap(), None);
}

#[test]
fn remote_records_are_stored_indexed_and_not_dirty() {
    let mut a = TestStore::new();
    let mut b = TestStore::new();
    let rec = a
        .store
        .create(with_summary(mediation(), "Tranh chấp Lối Đi"), "U1", day(2))
        .unwrap();
    let id = rec.id();
    let bytes = a.store.changes_for_sync(id, &[]).unwrap();
    b.store.apply_remote(id, &bytes).unwrap();
    assert_eq!(b.store.get(id).unwrap(), rec);
    let st = b.store.sync_state(id).unwrap();
    assert_eq!((st.state, st.dirty), (SyncState::Accepted, false));
    assert_eq!(st.last_synced_heads, a.store.heads(id).unwrap());
    let found = b.store.list(&ListQuery {
        text: Some("loi di".into()),
        ..Default::default()
    });
    assert_eq!(found.unwrap().len(), 1);
    // Applying the same bytes again changes nothing.
    b.store.apply_remote(id, &bytes).unwrap();
    assert_eq!(b.store.get(id).unwrap(), rec);
    b.store.check_integrity().unwrap();

    // Garbage and mismatched ids are refused without writing anything.
    let fresh = uuid::Uuid::now_v7().to_string();
    assert!(b.store.apply_remote(&fresh, b"not automerge").is_err());
    assert!(matches!(b.store.get(&fresh), Err(CoreError::NotFound(_))));
    // (Automerge skips undecodable trailing bytes of an incremental load: the record is unchanged.)
    let _ = b.store.apply_remote(id, b"not automerge");
    assert_eq!(b.store.get(id).unwrap(), rec);
    let other = a.store.create(mediation(), "U1", day(3)).unwrap();
    let other_bytes = a.store.changes_for_sync(other.id(), &[]).unwrap();
    let wrong = uuid::Uuid::now_v7().to_string();
    assert!(matches!(
        b.store.apply_remote(&wrong, &other_bytes),
        Err(CoreError::BadDocument(_))
    ));
    assert!(matches!(b.store.get(&wrong), Err(CoreError::NotFound(_))));
    // A batch is all or nothing.
    let batch = [
        (other.id(), other_bytes.as_slice()),
        (wrong.as_str(), b"junk".as_slice()),
    ];
    assert!(b.store.apply_remote_batch(batch).is_err());
    assert!(matches!(
        b.store.get(other.id()),
        Err(CoreError::NotFound(_))
    ));
    assert_eq!(b.store.list(&ListQuery::default()).unwrap().len(), 1);
}

#[test]
fn concurrent_edits_surface_as_conflicts_and_resolve() {
    let mut a = TestStore::new();
    let mut b = TestStore::new();
    let rec = a.store.create(mediation(), "U1", day(2)).unwrap();
    let id = rec.id();
    b.store
        .apply_remote(id, &a.store.changes_for_sync(id, &[]).unwrap())
        .unwrap();
    let base = a.store.heads(id).unwrap();
    a.store
        .update(id, |r| {
            set_summary(&mut r.body, "Bản của A");
            Ok(())
        })
        .unwrap();
    b.store
        .update(id, |r| {
            set_summary(&mut r.body, "Bản của B");
            Ok(())
        })
        .unwrap();
    let from_b = b.store.changes_for_sync(id, &base).unwrap();
    let dirty_before = a.store.sync_state(id).unwrap();
    a.store.apply_remote(id, &from_b).unwrap();
    assert_eq!(
        a.store.sync_state(id).unwrap(),
        dirty_before,
        "remote changes do not touch the outbox"
    );

    let conflicts = a.store.conflicts(id).unwrap();
    assert_eq!(conflicts.len(), 1, "{conflicts:?}");
    assert!(a.store.summary_of(id).unwrap().has_conflicts);
    assert_eq!(a.store.summary(day(2)).unwrap().conflicts, 1);
    let listed = a
        .store
        .list(&ListQuery {
            conflicts_only: true,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(listed.len(), 1);
    a.store.check_integrity().unwrap();

    let pick = conflicts[0]
        .values
        .iter()
        .position(|v| v.value == "Bản của B")
        .unwrap();
    let resolved = a
        .store
        .resolve_conflict(id, &conflicts[0].path, pick)
        .unwrap();
    assert_eq!(resolved.body.index().summary, "Bản của B");
    assert!(a.store.conflicts(id).unwrap().is_empty());
    assert!(!a.store.summary_of(id).unwrap().has_conflicts);
    assert!(a.store.sync_state(id).unwrap().dirty);

    // B receives A's side and the resolution: same record, no conflict.
    let b_heads = b.store.heads(id).unwrap();
    b.store
        .apply_remote(id, &a.store.changes_for_sync(id, &b_heads).unwrap())
        .unwrap();
    assert!(b.store.conflicts(id).unwrap().is_empty());
    assert_eq!(b.store.get(id).unwrap(), a.store.get(id).unwrap());
    assert!(matches!(
        a.store.resolve_conflict(id, "body.nothing", 0),
        Err(CoreError::NotFound(_))
    ));
}
