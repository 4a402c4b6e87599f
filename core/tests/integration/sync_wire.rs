//! Snapshot tests of the sync wire format: a format change must be a deliberate edit here.

use danvan_core::sync::wire::{
    self, Outcome, PullDoc, Push, RejectReason, SyncRequest, SyncResponse, Verdict,
};
use uuid::Uuid;

fn id(n: u8) -> Uuid {
    Uuid::from_bytes([n; 16])
}

#[test]
fn no_change_request_is_tiny_and_stable() {
    let req = SyncRequest {
        epoch: 0x1234_5678_9abc,
        cursor: 51_234,
        pushes: vec![],
        want_full: vec![],
        max_response_bytes: 1 << 20,
    };
    let frame = wire::encode(&req);
    insta::assert_snapshot!(hex::encode(&frame));
    assert!(
        frame.len() < 32,
        "no-change request is {} bytes",
        frame.len()
    );
    assert_eq!(wire::decode::<SyncRequest>(&frame).unwrap(), req);
}

#[test]
fn full_response_round_trips_and_is_stable() {
    let resp = SyncResponse {
        epoch: 7,
        reset: false,
        cursor: 300,
        verdicts: vec![
            Verdict {
                id: id(1),
                outcome: Outcome::Accepted {
                    heads: vec![[0xab; 32]],
                },
            },
            Verdict {
                id: id(2),
                outcome: Outcome::Rejected {
                    reason: RejectReason::OutOfScope,
                    detail: "unit 11533".into(),
                },
            },
        ],
        docs: vec![PullDoc {
            id: id(3),
            bytes: vec![1, 2, 3],
            heads: vec![[0xcd; 32]],
        }],
        more: true,
    };
    let frame = wire::encode(&resp);
    insta::assert_snapshot!(hex::encode(&frame));
    assert_eq!(wire::decode::<SyncResponse>(&frame).unwrap(), resp);
}

#[test]
fn push_request_is_stable() {
    let req = SyncRequest {
        epoch: 7,
        cursor: 0,
        pushes: vec![Push {
            id: id(9),
            changes: vec![0x85, 0x6f, 0x4a, 0x83],
            heads: vec![[0x11; 32]],
        }],
        want_full: vec![id(4)],
        max_response_bytes: 65_536,
    };
    insta::assert_snapshot!(hex::encode(wire::encode(&req)));
}

#[test]
fn other_versions_and_garbage_are_refused_clearly() {
    let mut frame = wire::encode(&SyncRequest {
        epoch: 0,
        cursor: 0,
        pushes: vec![],
        want_full: vec![],
        max_response_bytes: 0,
    });
    frame[3] = 0; // version 0
    assert!(matches!(
        wire::decode::<SyncRequest>(&frame),
        Err(wire::WireError::Version { found: 0, .. })
    ));
    frame[3] = 99;
    assert!(matches!(
        wire::decode::<SyncRequest>(&frame),
        Err(wire::WireError::Version { found: 99, .. })
    ));
    assert_eq!(
        wire::decode::<SyncRequest>(b"GET / HTTP/1.1"),
        Err(wire::WireError::NotAFrame)
    );
    assert_eq!(
        wire::decode::<SyncRequest>(b"DV"),
        Err(wire::WireError::NotAFrame)
    );
    let good = wire::encode(&SyncRequest {
        epoch: 1,
        cursor: 2,
        pushes: vec![],
        want_full: vec![],
        max_response_bytes: 3,
    });
    assert!(matches!(
        wire::decode::<SyncRequest>(&good[..good.len() - 1]),
        Err(wire::WireError::Body(_))
    ));
    // Bytes after the message are not ignored (issue 11 item 9).
    let mut trailing = good.clone();
    trailing.extend_from_slice(b"garbage");
    assert!(matches!(
        wire::decode::<SyncRequest>(&trailing),
        Err(wire::WireError::Body(m)) if m.contains("trailing")
    ));
    assert!(wire::decode::<SyncRequest>(&good).is_ok());
}

#[test]
fn reject_reason_codes_round_trip() {
    for r in [
        RejectReason::OutOfScope,
        RejectReason::ForbiddenKind,
        RejectReason::ReadOnly,
        RejectReason::Invalid,
        RejectReason::Malformed,
        RejectReason::MissingHistory,
        RejectReason::TooLarge,
    ] {
        assert_eq!(RejectReason::from_code(r.code()), Some(r));
        assert!(!r.label().vi.is_empty());
    }
}
