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

fn summary_in(t: &TestStore, id: &str) -> String {
    let danvan_core::RecordBody::Mediation(m) = t.store.get(id).unwrap().body else {
        unreachable!()
    };
    m.summary
}

/// A record the server accepted, then a local change it refused: the change stays visible,
/// counts as needing attention and as unsynced, and "discard" writes the accepted state back as
/// a new change that is sent at the next sync.
#[test]
fn a_refused_change_can_be_discarded_back_to_the_accepted_state() {
    let mut t = TestStore::new();
    let id = t
        .store
        .create(
            with_summary(mediation(), "Bản được chấp nhận"),
            "U1",
            day(2),
        )
        .unwrap()
        .id()
        .to_string();
    t.store.mark_sent(&[&id]).unwrap();
    let accepted = t.store.heads(&id).unwrap();
    t.store.mark_accepted(&id, &accepted).unwrap();
    t.store
        .update(&id, |r| {
            set_summary(&mut r.body, "Bản bị từ chối");
            Ok(())
        })
        .unwrap();
    t.store.transition(&id, "stopped", day(3), None).unwrap();
    t.store.mark_sent(&[&id]).unwrap();
    t.store.mark_rejected(&id, "out_of_scope", "").unwrap();

    let summary = t.store.summary(day(3)).unwrap();
    assert_eq!(
        (summary.rejected, summary.needs_attention, summary.unsynced),
        (1, 1, 1)
    );
    let unsynced = ListQuery {
        unsynced_only: true,
        ..ListQuery::default()
    };
    assert_eq!(
        t.store.list(&unsynced).unwrap().len(),
        1,
        "a rejected record stays listed"
    );
    assert_eq!(summary_in(&t, &id), "Bản bị từ chối");

    let out = t.store.discard_rejected(&id).unwrap();
    let danvan_core::store::Discarded::Reverted(record) = out else {
        panic!("expected a revert, got {out:?}")
    };
    assert_eq!(summary_in(&t, &id), "Bản được chấp nhận");
    assert_eq!(
        record.body.status_code(),
        "received",
        "the refused transition is undone"
    );
    assert_eq!(t.store.get(&id).unwrap().history.len(), 1);
    // The revert is a new change on top of the refused one, so it syncs.
    let st = t.store.sync_state(&id).unwrap();
    assert!(st.dirty);
    assert!(!t.store.changes_for_sync(&id, &accepted).unwrap().is_empty());
    // Discarding again is refused once the record is no longer rejected.
    t.store.mark_sent(&[&id]).unwrap();
    let heads = t.store.heads(&id).unwrap();
    t.store.mark_accepted(&id, &heads).unwrap();
    assert!(matches!(
        t.store.discard_rejected(&id),
        Err(CoreError::NotFound(_))
    ));
    assert_eq!(t.store.summary(day(3)).unwrap().needs_attention, 0);
}

#[test]
fn a_refused_record_the_server_never_accepted_is_removed_by_discard() {
    let mut t = TestStore::new();
    let id = t
        .store
        .create(mediation(), "U9", day(2))
        .unwrap()
        .id()
        .to_string();
    t.store.mark_sent(&[&id]).unwrap();
    t.store.mark_rejected(&id, "out_of_scope", "").unwrap();
    assert_eq!(
        t.store.discard_rejected(&id).unwrap(),
        danvan_core::store::Discarded::Removed
    );
    assert!(matches!(t.store.get(&id), Err(CoreError::NotFound(_))));
    assert_eq!(t.store.summary(day(2)).unwrap().total, 0);
    t.store.check_integrity().unwrap();
}

#[test]
fn resend_marks_a_rejected_record_for_the_next_sync_without_changing_it() {
    let mut t = TestStore::new();
    let id = t
        .store
        .create(mediation(), "U1", day(2))
        .unwrap()
        .id()
        .to_string();
    t.store.mark_sent(&[&id]).unwrap();
    t.store.mark_rejected(&id, "out_of_scope", "").unwrap();
    assert!(!t.store.sync_state(&id).unwrap().dirty);
    let heads = t.store.heads(&id).unwrap();
    t.store.resend(&id).unwrap();
    assert!(t.store.sync_state(&id).unwrap().dirty);
    assert_eq!(t.store.heads(&id).unwrap(), heads);
}

/// Lan removes one party and Hùng the other: each copy keeps the rules, the merge leaves the
/// case with no party. The phone keeps it (the server accepted it), flags it for a decision,
/// lets people edit other fields, and refuses an edit that would break another rule.
#[test]
fn a_rule_broken_only_by_a_merge_is_flagged_and_does_not_block_other_edits() {
    let mut a = TestStore::new();
    let mut b = TestStore::new();
    let id = a
        .store
        .create(mediation(), "U1", day(2))
        .unwrap()
        .id()
        .to_string();
    b.store
        .apply_remote(&id, &a.store.changes_for_sync(&id, &[]).unwrap())
        .unwrap();
    let base = a.store.heads(&id).unwrap();
    for (t, keep) in [(&mut a, 0usize), (&mut b, 1usize)] {
        t.store
            .update(&id, |r| {
                let danvan_core::RecordBody::Mediation(m) = &mut r.body else {
                    unreachable!()
                };
                let kept = m.parties[keep].clone();
                m.parties = vec![kept];
                Ok(())
            })
            .unwrap();
    }
    let from_b = b.store.changes_for_sync(&id, &base).unwrap();
    a.store.apply_remote(&id, &from_b).unwrap();
    let merged = a.store.get(&id).unwrap();
    let issues = merged.validate(a.store.config());
    assert_eq!(issues.len(), 1, "{issues:?}");
    assert_eq!(
        (issues[0].field.as_str(), issues[0].code.as_str()),
        ("mediation.parties", "required")
    );
    assert!(a.store.summary_of(&id).unwrap().has_conflicts);
    assert_eq!(a.store.summary(day(2)).unwrap().needs_attention, 1);
    // Editing the notes is fine; blanking the summary is a new broken rule and is refused.
    a.store
        .update(&id, |r| {
            let danvan_core::RecordBody::Mediation(m) = &mut r.body else {
                unreachable!()
            };
            m.notes = Some("Chờ bổ sung các bên".into());
            Ok(())
        })
        .unwrap();
    let refused = a.store.update(&id, |r| {
        set_summary(&mut r.body, "");
        Ok(())
    });
    assert!(matches!(refused, Err(CoreError::Invalid(_))), "{refused:?}");
    // Setting the status directly is refused: it comes from the history.
    let refused = a.store.update(&id, |r| {
        let danvan_core::RecordBody::Mediation(m) = &mut r.body else {
            unreachable!()
        };
        m.status = danvan_core::model::mediation::MediationStatus::Stopped;
        Ok(())
    });
    match refused {
        Err(CoreError::Invalid(i)) => assert_eq!(i[0].code, "derived_field"),
        other => panic!("{other:?}"),
    }
}

/// A change refused for what it is (`too_large`) would be refused again with its undoing on
/// top: discard rewinds the phone's copy to the accepted heads, and nothing is left to send.
#[test]
fn a_change_refused_as_too_large_is_dropped_by_discard() {
    let mut t = TestStore::new();
    let id = t
        .store
        .create(
            with_summary(mediation(), "Bản được chấp nhận"),
            "U1",
            day(2),
        )
        .unwrap()
        .id()
        .to_string();
    t.store.mark_sent(&[&id]).unwrap();
    let accepted = t.store.heads(&id).unwrap();
    t.store.mark_accepted(&id, &accepted).unwrap();
    t.store
        .update(&id, |r| {
            set_summary(&mut r.body, &"rất dài ".repeat(10_000));
            Ok(())
        })
        .unwrap();
    t.store.mark_sent(&[&id]).unwrap();
    t.store
        .mark_rejected(&id, "too_large", "1048577 bytes")
        .unwrap();
    t.store.discard_rejected(&id).unwrap();
    assert_eq!(summary_in(&t, &id), "Bản được chấp nhận");
    assert_eq!(t.store.heads(&id).unwrap(), accepted);
    let st = t.store.sync_state(&id).unwrap();
    assert_eq!((st.state, st.dirty), (SyncState::Accepted, false));
    assert!(t.store.changes_for_sync(&id, &accepted).unwrap().is_empty());
    t.reopen();
    assert_eq!(summary_in(&t, &id), "Bản được chấp nhận");
    t.store.check_integrity().unwrap();
}
