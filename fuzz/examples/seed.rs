//! Writes the seed corpus of the fuzz targets into `fuzz/seeds/` from what the tests use: the
//! example records of every kind (as the stored documents and pushes of `server_push`, and
//! inside frames for `wire_decode`), the frames of `core/tests/integration/sync_wire.rs`, the
//! JavaScript-written documents of `core/tests/fixtures/js/`, and the unit CSVs of the server
//! (the real Hải Phòng units and the import tests' files).
//!
//! `cargo run --manifest-path fuzz/Cargo.toml --example seed` (or `scripts/fuzz.sh --seed`).
//! It rewrites `fuzz/seeds/stored/` too: the `server_push` seeds are changes on top of those
//! documents, so the two are committed together.

use std::path::{Path, PathBuf};

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT, ReadDoc};
use danvan_core::model::common::{Date, Timestamp};
use danvan_core::model::{DemocracyCheck, Dialogue, InspectionActivity, MediationCase, Petition};
use danvan_core::sync::wire::{
    self, Outcome, PullDoc, Push, RejectReason, SyncRequest, SyncResponse, Verdict, to_wire_heads,
};
use danvan_core::{Record, RecordBody, RecordDoc};
use danvan_fuzz::{NEW_ID, PUSHER, STORER};
use uuid::Uuid;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn dir(sub: &str) -> Res<PathBuf> {
    let d = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("seeds")
        .join(sub);
    if d.exists() {
        for f in std::fs::read_dir(&d)? {
            std::fs::remove_file(f?.path())?;
        }
    }
    std::fs::create_dir_all(&d)?;
    Ok(d)
}

fn day(d: u32) -> Date {
    Date::ymd(2025, 9, d).expect("a September day")
}

fn record(unit: &str, by: &Uuid, id: Uuid, body: RecordBody) -> Record {
    let mut r = Record::new(unit, by.to_string(), day(2), body);
    r.envelope.id = id.to_string();
    r
}

fn bodies() -> Vec<(&'static str, RecordBody)> {
    vec![
        ("mediation", RecordBody::Mediation(MediationCase::example())),
        (
            "inspection",
            RecordBody::Inspection(InspectionActivity::example()),
        ),
        (
            "democracy",
            RecordBody::Democracy(DemocracyCheck::example()),
        ),
        ("petition", RecordBody::Petition(Petition::example())),
        ("dialogue", RecordBody::Dialogue(Dialogue::example())),
    ]
}

/// A `server_push` input: flags, heads, changes.
fn push_input(flags: u8, heads: &[[u8; 32]], changes: &[u8]) -> Vec<u8> {
    let mut v = vec![flags, heads.len() as u8];
    for h in heads {
        v.extend_from_slice(h);
    }
    v.extend_from_slice(changes);
    v
}

fn main() -> Res<()> {
    let stored_dir = dir("stored")?;
    let push_dir = dir("server_push")?;
    let wire_dir = dir("wire_decode")?;
    let csv_dir = dir("units_csv")?;
    let mut pushes: Vec<Push> = Vec::new();
    let mut write_push = |name: &str, flags: u8, push: &Push| -> Res<()> {
        std::fs::write(
            push_dir.join(format!("{name}.bin")),
            push_input(flags, &push.heads, &push.changes),
        )?;
        pushes.push(push.clone());
        Ok(())
    };

    // New records of every kind, by the pushing device (flags 0: nothing stored).
    for (name, body) in bodies() {
        let r = record("11533-T01", &PUSHER, NEW_ID, body);
        let mut d = RecordDoc::create(&r, &PUSHER)?;
        let push = Push {
            id: NEW_ID,
            changes: d.save(),
            heads: to_wire_heads(&d.heads()),
        };
        write_push(&format!("new-{name}"), 0, &push)?;
        write_push(
            &format!("new-{name}-no-heads"),
            0,
            &Push {
                heads: vec![],
                ..push.clone()
            },
        )?;
        // The same record written by another device: `foreign_actor`.
        let mut other = RecordDoc::create(&r, &STORER)?;
        let foreign = Push {
            id: NEW_ID,
            changes: other.save(),
            heads: to_wire_heads(&other.heads()),
        };
        write_push(&format!("new-{name}-foreign"), 0, &foreign)?;
    }
    // A historical entry, and a record with a key the schema does not have.
    let r = record(
        "11533",
        &PUSHER,
        NEW_ID,
        RecordBody::Mediation(MediationCase::example()),
    )
    .entered_as_of(Date::ymd(2024, 3, 1).expect("a day"));
    let mut d = RecordDoc::create(&r, &PUSHER)?;
    write_push(
        "new-historical",
        0,
        &Push {
            id: NEW_ID,
            changes: d.save(),
            heads: to_wire_heads(&d.heads()),
        },
    )?;
    let mut raw = AutoCommit::load(&d.save())?.with_actor(danvan_core::actor_for_device(&PUSHER));
    raw.put(ROOT, "x_extra", "?")?;
    write_push(
        "new-unknown-key",
        0,
        &Push {
            id: NEW_ID,
            changes: raw.save(),
            heads: to_wire_heads(&raw.get_heads()),
        },
    )?;

    // Stored documents by another device, and the pushing device's edits of them.
    let stored_kinds = [
        ("mediation", RecordBody::Mediation(MediationCase::example())),
        ("petition", RecordBody::Petition(Petition::example())),
        (
            "democracy",
            RecordBody::Democracy(DemocracyCheck::example()),
        ),
    ];
    for (i, (name, body)) in stored_kinds.into_iter().enumerate() {
        let id = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0100 + i as u128);
        let r = record("11533-T01", &STORER, id, body);
        let mut d = RecordDoc::create(&r, &STORER)?;
        let bytes = d.save();
        std::fs::write(stored_dir.join(format!("{i}.automerge")), &bytes)?;
        let flags = (i + 1) as u8;
        let base = d.heads();
        let mut mine = RecordDoc::load(&bytes, &PUSHER)?;
        let push_of = |doc: &mut RecordDoc| Push {
            id,
            changes: doc.changes_after(&base),
            heads: to_wire_heads(&doc.heads()),
        };
        // A retry of what the server has.
        write_push(
            &format!("{name}-retry"),
            flags,
            &Push {
                id,
                changes: bytes.clone(),
                heads: to_wire_heads(&base),
            },
        )?;
        // Each status the machine allows next, one after the other, then a correction of a
        // closing if one was reached.
        let mut step = 0;
        let mut closing: Option<String> = None;
        while step < 6 {
            let rec = mine.record()?;
            let Some(next) = rec.body.next_statuses().first().map(|s| s.to_string()) else {
                break;
            };
            mine.update("move", |rec| {
                rec.transition(&next, day(3 + step), &PUSHER.to_string(), None)
            })?;
            write_push(&format!("{name}-to-{next}"), flags, &push_of(&mut mine))?;
            let rec = mine.record()?;
            if rec.body.is_closed() {
                closing = rec.history.last().map(|c| c.id.clone());
                break;
            }
            step += 1;
        }
        if let Some(entry) = closing {
            let fixed = mine.update("correct", |rec| {
                rec.correct(&entry, "Bấm nhầm", &PUSHER.to_string(), Timestamp::now())
            });
            if fixed.is_ok() {
                write_push(&format!("{name}-correction"), flags, &push_of(&mut mine))?;
            }
        }
        // A field cleared (a rule broken), and an unknown key, on top of the stored copy.
        let mut bad = RecordDoc::load(&bytes, &PUSHER)?;
        bad.update("crafted", |rec| {
            match &mut rec.body {
                RecordBody::Mediation(m) => m.summary = String::new(),
                RecordBody::Petition(p) => p.summary = String::new(),
                _ => rec.envelope.unit = String::new(),
            }
            Ok(())
        })?;
        write_push(&format!("{name}-invalid"), flags, &push_of(&mut bad))?;
        let mut raw = AutoCommit::load(&bytes)?.with_actor(danvan_core::actor_for_device(&PUSHER));
        let (_, body) = raw.get(ROOT, "body")?.ok_or("no body")?;
        raw.put(&body, "x_extra", 1)?;
        write_push(
            &format!("{name}-unknown-key"),
            flags,
            &Push {
                id,
                changes: raw.save_after(&base),
                heads: to_wire_heads(&raw.get_heads()),
            },
        )?;
        // The changes of another device.
        let mut other = RecordDoc::load(&bytes, &STORER)?;
        other.update("theirs", |rec| {
            rec.envelope.unit = "11533-T02".into();
            Ok(())
        })?;
        write_push(&format!("{name}-foreign"), flags, &push_of(&mut other))?;
    }
    // Documents written by JavaScript (the interop fixtures), as they are.
    let js = Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/tests/fixtures/js");
    for f in ["base.automerge", "js-changes.automerge"] {
        let bytes = std::fs::read(js.join(f))?;
        std::fs::write(
            push_dir.join(format!("js-{f}.bin")),
            push_input(0, &[], &bytes),
        )?;
    }

    // Frames: the sync_wire tests' messages, and requests carrying the pushes above.
    let id = |n: u8| Uuid::from_bytes([n; 16]);
    let mut frames: Vec<(String, Vec<u8>)> = vec![
        (
            "no-change".into(),
            wire::encode(&SyncRequest {
                epoch: 0x1234_5678_9abc,
                cursor: 51_234,
                pushes: vec![],
                want_full: vec![],
                max_response_bytes: 1 << 20,
            }),
        ),
        (
            "response".into(),
            wire::encode(&SyncResponse {
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
            }),
        ),
        (
            "push".into(),
            wire::encode(&SyncRequest {
                epoch: 7,
                cursor: 0,
                pushes: vec![Push {
                    id: id(9),
                    changes: vec![0x85, 0x6f, 0x4a, 0x83],
                    heads: vec![[0x11; 32]],
                }],
                want_full: vec![id(4)],
                max_response_bytes: 65_536,
            }),
        ),
        (
            "reset".into(),
            wire::encode(&SyncResponse {
                epoch: 9,
                reset: true,
                cursor: 0,
                verdicts: vec![],
                docs: vec![],
                more: false,
            }),
        ),
    ];
    for (i, p) in pushes.iter().take(6).enumerate() {
        frames.push((
            format!("request-{i}"),
            wire::encode(&SyncRequest {
                epoch: 1,
                cursor: i as u64,
                pushes: vec![p.clone()],
                want_full: vec![],
                max_response_bytes: 1 << 20,
            }),
        ));
        frames.push((
            format!("pull-{i}"),
            wire::encode(&SyncResponse {
                epoch: 1,
                reset: false,
                cursor: 10 + i as u64,
                verdicts: vec![Verdict {
                    id: p.id,
                    outcome: Outcome::Accepted {
                        heads: p.heads.clone(),
                    },
                }],
                docs: vec![PullDoc {
                    id: p.id,
                    bytes: p.changes.clone(),
                    heads: p.heads.clone(),
                }],
                more: i % 2 == 0,
            }),
        ));
    }
    for (name, bytes) in frames {
        std::fs::write(wire_dir.join(format!("{name}.bin")), bytes)?;
    }

    // Unit CSVs: the real Hải Phòng units and the import tests' files.
    let units = Path::new(env!("CARGO_MANIFEST_DIR")).join("../server/data/units");
    std::fs::copy(units.join("haiphong.csv"), csv_dir.join("haiphong.csv"))?;
    let head = "code,name,level,parent,valid_from,valid_to,successors\n";
    let tests = [
        (
            "successors",
            "31,Thành phố Hải Phòng,province,,,,\n\
             11533,Phường An Lư,commune,31,,2025-06-30,11560:mot_phan;11533:phan_con_lai\n",
        ),
        (
            "bad-rows",
            "31,Hải Phòng,province,,,,\n\
             1,Xã A,commune,31,2025-13-01,,\n\
             2,,commune,31,,,\n\
             3,Xã C,Commune,31,,,\n",
        ),
        (
            "missing-parent-overlap",
            "31,Hải Phòng,province,,,,\n\
             1,Xã A,commune,99,2025-07-01,,\n\
             2,Xã B,commune,31,,2025-06-30,\n\
             2,Xã B mới,commune,31,2025-06-01,,\n",
        ),
        (
            "new-communes",
            "11560,Phường Mới,commune,31,2025-07-01,,\n\
             11560.t01,Tổ dân phố 1,village,11560,2025-07-01,,\n\
             \"11561\",\"Xã \"\"Hai\"\"\",commune,31,2025-07-01,,\n",
        ),
    ];
    for (name, rows) in tests {
        std::fs::write(csv_dir.join(format!("{name}.csv")), format!("{head}{rows}"))?;
    }
    // The first 40 lines of the real file: a small seed the fuzzer mutates quickly.
    let small: String = std::fs::read_to_string(units.join("haiphong.csv"))?
        .lines()
        .take(40)
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(csv_dir.join("haiphong-head.csv"), small)?;
    println!(
        "seeds written under {}",
        stored_dir.parent().ok_or("no parent")?.display()
    );
    Ok(())
}
