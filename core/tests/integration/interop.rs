//! Documents written by another Automerge implementation (issue 14, point 5): JavaScript's
//! `@automerge/automerge` with its default API writes every string as a collaborative text
//! object. danvan must read such a record, merge it with its own concurrent edits, accept it on
//! the server (`merge_push`, never `malformed`), and go on editing it (docs/record-schema.md is
//! the schema those clients follow). What does not work yet is pinned by the ignored test at
//! the end (numbers as JavaScript writes them: docs/record-schema.md § 11).
//!
//! `fixtures/js/` holds a base document made by danvan (`base.automerge`), the changes
//! `tests/interop/edit.mjs` made to it under Node (`js-changes.automerge`) and what it wrote
//! (`js-edits.json`); `scripts/interop-fixtures.sh` regenerates all three. The live test does
//! the same with a fresh document whenever `node` and `tests/interop/node_modules` exist.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use automerge::{AutoCommit, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, Value};
use danvan_core::model::common::Date;
use danvan_core::model::mediation::{MediationCase, MediationStatus, PartyRole};
use danvan_core::model::people::PersonEntry;
use danvan_core::sync::merge::{MergeLimits, MergeOutcome, merge_push};
use danvan_core::sync::wire::{Push, RejectReason, to_wire_heads};
use danvan_core::{Record, RecordBody, RecordDoc, RulesConfig, hydrate_record};
use serde_json::Value as Json;
use uuid::Uuid;

use crate::support::{mediation, mediation_mut};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/js")
}

fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/interop")
}

/// The danvan device that made the fixtures' base document.
fn fixture_device() -> Uuid {
    Uuid::parse_str("0199a0c0-0000-7000-8000-00000000da01").unwrap()
}

/// A new mediation case (the example, status `received`) as danvan creates it.
fn base_doc(device: &Uuid) -> RecordDoc {
    let record = Record::new(
        "31-TDP5",
        device.to_string(),
        Date::ymd(2025, 9, 2).unwrap(),
        RecordBody::Mediation(MediationCase::example()),
    );
    RecordDoc::create(&record, device).unwrap()
}

/// What the JavaScript client did: a base, its changes and the values it wrote.
struct JsEdit {
    base: Vec<u8>,
    changes: Vec<u8>,
    edits: Json,
}

impl JsEdit {
    fn fixtures() -> JsEdit {
        let read = |f: &str| {
            std::fs::read(fixtures().join(f)).unwrap_or_else(|e| {
                panic!("{f}: {e} (regenerate with scripts/interop-fixtures.sh)")
            })
        };
        JsEdit {
            base: read("base.automerge"),
            changes: read("js-changes.automerge"),
            edits: serde_json::from_slice(&read("js-edits.json")).unwrap(),
        }
    }

    fn s(&self, path: &str) -> String {
        let mut v = &self.edits;
        for k in path.split('.') {
            v = &v[k];
        }
        v.as_str()
            .unwrap_or_else(|| panic!("js-edits.json: {path} is not a string"))
            .to_string()
    }
}

/// Run `tests/interop/edit.mjs` on `base`: `None` (with a notice) when Node or the npm
/// packages are missing, unless `DANVAN_INTEROP_REQUIRE_NODE` is set (`scripts/test.sh` sets it
/// after `npm ci`), which makes that a failure.
fn run_node(base: &[u8]) -> Option<JsEdit> {
    let dir = interop_dir();
    let node_ok = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !node_ok || !dir.join("node_modules/@automerge/automerge").is_dir() {
        let why = format!(
            "the live JavaScript interop test needs `node` and `npm ci` in {}",
            dir.display()
        );
        assert!(
            std::env::var_os("DANVAN_INTEROP_REQUIRE_NODE").is_none(),
            "{why} (DANVAN_INTEROP_REQUIRE_NODE is set)"
        );
        // Straight to stderr so that the test harness does not capture it.
        let _ = writeln!(std::io::stderr(), "\n*** SKIPPED: {why} ***\n");
        return None;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (b, c, e) = (
        tmp.path().join("base.automerge"),
        tmp.path().join("js-changes.automerge"),
        tmp.path().join("js-edits.json"),
    );
    std::fs::write(&b, base).unwrap();
    let out = Command::new("node")
        .current_dir(&dir)
        .arg("edit.mjs")
        .args([&b, &c, &e])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "edit.mjs failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(JsEdit {
        base: base.to_vec(),
        changes: std::fs::read(&c).unwrap(),
        edits: serde_json::from_slice(&std::fs::read(&e).unwrap()).unwrap(),
    })
}

fn allow(_: Option<&Record>, _: &Record) -> Result<(), (RejectReason, String)> {
    Ok(())
}

/// The server's decision on a push of `changes` made on top of `stored` by a device whose copy
/// now has `heads`; the stored bytes after it (panics on anything but acceptance).
fn server_accepts(
    stored: Option<&[u8]>,
    id: &str,
    changes: &[u8],
    heads: &[automerge::ChangeHash],
) -> Vec<u8> {
    let push = Push {
        id: Uuid::parse_str(id).unwrap(),
        changes: changes.to_vec(),
        heads: to_wire_heads(heads),
    };
    match merge_push(
        stored,
        &push,
        &RulesConfig::default(),
        &MergeLimits::default(),
        allow,
    ) {
        MergeOutcome::Accepted { mut doc, .. } => doc.save(),
        MergeOutcome::Rejected { reason, detail } => panic!(
            "the server refused a push ({}: {detail}); \
             if the detail says `unexpected text`, text objects no longer read as strings \
             (core/src/doc/surgery.rs, `Lenient`)",
            reason.code()
        ),
        other => panic!("expected the push to be accepted, got {other:?}"),
    }
}

/// The object at `path` (map keys, list indexes as numbers) and how Automerge holds `key` in
/// it: its type and object id.
fn held_as(doc: &AutoCommit, path: &[&str], key: &str) -> (String, ObjId) {
    let mut obj = ROOT;
    for seg in path {
        let got = match seg.parse::<usize>() {
            Ok(i) => doc.get(&obj, i),
            Err(_) => doc.get(&obj, *seg),
        };
        obj = match got.unwrap() {
            Some((Value::Object(_), id)) => id,
            other => panic!("{seg}: not an object: {other:?}"),
        };
    }
    let got = match key.parse::<usize>() {
        Ok(i) => doc.get(&obj, i),
        Err(_) => doc.get(&obj, key),
    };
    match got.unwrap() {
        Some((Value::Object(ObjType::Text), id)) => ("text".into(), id),
        Some((Value::Object(t), id)) => (format!("{t:?}"), id),
        Some((Value::Scalar(s), id)) => match s.as_ref() {
            ScalarValue::Str(_) => ("str".into(), id),
            other => (format!("{other:?}"), id),
        },
        None => panic!("{key}: missing"),
    }
}

const CASE: [&str; 2] = ["body", "Mediation"];

fn party_index(r: &Record, id: &str) -> usize {
    mediation(r)
        .parties
        .iter()
        .position(|p| p.id == id)
        .unwrap_or_else(|| panic!("party {id} missing"))
}

/// The whole exchange: the danvan phone creates the case and syncs it; the JavaScript client
/// edits it (its changes pushed to the server); the phone meanwhile edits other fields offline,
/// then syncs both ways; later the phone edits the JavaScript client's text.
fn read_merge_and_sync(js: &JsEdit) -> Vec<(String, String, bool)> {
    let cfg = RulesConfig::default();
    let phone_device = Uuid::now_v7();
    let mut phone = RecordDoc::load(&js.base, &phone_device).unwrap();
    let base_heads = phone.heads();
    let id = phone.record().unwrap().id().to_string();

    // The server has the base.
    let stored = server_accepts(None, &id, &js.base, &base_heads);

    // The JavaScript client's copy: the base and its changes.
    let mut js_copy = AutoCommit::load(&js.base).unwrap();
    js_copy
        .load_incremental(&js.changes)
        .expect("the JS changes must load on top of the base");
    assert!(js_copy.get_missing_deps(&[]).is_empty());
    // They really are text objects (otherwise this test proves nothing).
    for (path, key) in [
        (&CASE[..], "summary"),
        (&CASE[..], "notes"),
        (&["body", "Mediation", "parties", "2"][..], "name"),
        (
            &["body", "Mediation", "sessions", "0", "participants"][..],
            "0",
        ),
        (&["history", "1"][..], "to"),
    ] {
        assert_eq!(held_as(&js_copy, path, key).0, "text", "{path:?}.{key}");
    }

    // Read: every field the client wrote, the status derived from the history it appended.
    let r = hydrate_record(&js_copy).expect(
        "a record written with text objects must read (core/src/doc/surgery.rs, `Lenient`)",
    );
    let m = mediation(&r);
    assert_eq!(m.summary, js.s("summary"));
    assert_eq!(m.notes.as_deref(), Some(js.s("notes").as_str()));
    let p = &m.parties[party_index(&r, &js.s("party.id"))];
    assert_eq!(
        (
            p.name.as_str(),
            p.birth_year,
            p.address.as_str(),
            p.phone.as_deref(),
            p.role
        ),
        (
            js.s("party.name").as_str(),
            js.edits["party"]["birth_year"].as_i64().map(|y| y as i32),
            js.s("party.address").as_str(),
            Some(js.s("party.phone").as_str()),
            PartyRole::Related
        )
    );
    assert_eq!(p.sex.map(|s| danvan_core::Coded::code(&s)), Some("female"));
    let session = m
        .sessions
        .iter()
        .find(|s| s.id == js.s("session.id"))
        .unwrap();
    let want: Vec<String> = js.edits["session"]["participants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert_eq!(session.participants, want);
    assert_eq!(
        m.status,
        MediationStatus::Mediating,
        "derived from the JS history entry"
    );
    assert_eq!(
        m.started_on.map(|d| d.to_string()),
        Some(js.s("started_on"))
    );
    assert!(r.validate(&cfg).is_empty(), "{:?}", r.validate(&cfg));

    // The server accepts the JavaScript client's push.
    let js_heads = js_copy.get_heads();
    let stored = server_accepts(Some(&stored), &id, &js.changes, &js_heads);

    // Meanwhile, offline, the phone filled other fields (logbook number, risk, an invited
    // person) on the base; it pushes, the server merges and accepts.
    phone
        .update("phone edit", |r| {
            let m = mediation_mut(r);
            m.logbook_no = Some(8);
            m.risk.flagged = true;
            m.risk.reported_to = Some("Công an xã".into());
            m.risk.reported_on = Some(Date::ymd(2025, 9, 4).unwrap());
            m.invited
                .push(PersonEntry::named("Vũ Văn Bình", Some("cán bộ địa chính")));
            Ok(())
        })
        .unwrap();
    let phone_changes = phone.changes_after(&base_heads);
    let phone_heads = phone.heads();
    let stored = server_accepts(Some(&stored), &id, &phone_changes, &phone_heads);

    // The phone pulls the JavaScript client's changes: both sides' edits, no conflict, valid.
    phone.apply(&js.changes).unwrap();
    let merged = phone.record().unwrap();
    let m = mediation(&merged);
    assert_eq!(m.summary, js.s("summary"));
    assert_eq!(m.logbook_no, Some(8));
    assert!(m.risk.flagged);
    assert!(m.invited.iter().any(|p| p.person.name == "Vũ Văn Bình"));
    assert_eq!(m.parties.len(), 3);
    assert_eq!(m.status, MediationStatus::Mediating);
    assert!(
        merged.validate(&cfg).is_empty(),
        "{:?}",
        merged.validate(&cfg)
    );
    assert!(phone.conflicts().is_empty(), "{:?}", phone.conflicts());
    let server_copy = AutoCommit::load(&stored).unwrap();
    assert_eq!(
        hydrate_record(&server_copy).unwrap(),
        merged,
        "server and phone agree"
    );

    // Later the phone edits the client's text; the server accepts that too.
    let before = phone.heads();
    let kept = edit_client_text(&mut phone, js);
    let later = phone.changes_after(&before);
    let heads = phone.heads();
    server_accepts(Some(&stored), &id, &later, &heads);
    kept
}

/// The phone edits text the JavaScript client wrote: the summary, the new party's name, a
/// participant of its session; `notes` is left alone. Checks the values read back and returns,
/// per field, how Automerge holds it afterwards: (path, type, same object as before).
fn edit_client_text(phone: &mut RecordDoc, js: &JsEdit) -> Vec<(String, String, bool)> {
    let r = phone.record().unwrap();
    let pi = party_index(&r, &js.s("party.id")).to_string();
    let si = mediation(&r)
        .sessions
        .iter()
        .position(|s| s.id == js.s("session.id"))
        .unwrap()
        .to_string();
    let fields: Vec<(Vec<&str>, &str)> = vec![
        (CASE.to_vec(), "summary"),
        (CASE.to_vec(), "notes"),
        (vec!["body", "Mediation", "parties", &pi], "name"),
        (
            vec!["body", "Mediation", "sessions", &si, "participants"],
            "2",
        ),
    ];
    let ids: Vec<ObjId> = fields
        .iter()
        .map(|(p, k)| held_as(phone.automerge(), p, k).1)
        .collect();
    let new_summary = format!("{} — đã đo lại ranh giới", js.s("summary"));
    phone
        .update("phone edit of the client's text", |r| {
            let pi = party_index(r, &js.s("party.id"));
            let si = mediation(r)
                .sessions
                .iter()
                .position(|s| s.id == js.s("session.id"))
                .unwrap();
            let m = mediation_mut(r);
            m.summary = new_summary.clone();
            m.parties[pi].name = "Trần Thị Lan Anh".into();
            m.sessions[si].participants[2] = "Trần Thị Lan Anh".into();
            Ok(())
        })
        .unwrap();
    let r = phone.record().unwrap();
    let m = mediation(&r);
    assert_eq!(m.summary, new_summary);
    assert_eq!(m.notes.as_deref(), Some(js.s("notes").as_str()));
    assert_eq!(
        m.parties[party_index(&r, &js.s("party.id"))].name,
        "Trần Thị Lan Anh"
    );
    let s = m
        .sessions
        .iter()
        .find(|s| s.id == js.s("session.id"))
        .unwrap();
    assert_eq!(s.participants[2], "Trần Thị Lan Anh");
    fields
        .iter()
        .zip(ids)
        .map(|((p, k), before)| {
            let (t, after) = held_as(phone.automerge(), p, k);
            (format!("{}.{k}", p.join(".")), t, after == before)
        })
        .collect()
}

#[test]
fn js_default_strings_fixture_is_read_merged_and_synced() {
    let kept = read_merge_and_sync(&JsEdit::fixtures());
    eprintln!("after danvan's edit of the client's text: {kept:#?}");
}

#[test]
fn js_client_live_edit_of_a_fresh_document_is_read_merged_and_synced() {
    let device = Uuid::now_v7();
    let base = base_doc(&device).save();
    if let Some(js) = run_node(&base) {
        read_merge_and_sync(&js);
    }
}

/// Plain autosurgeon refuses these documents (`unexpected text`): the fixtures exercise the
/// lenient read, and a regression to a plain read would fail the tests above with that detail.
#[test]
fn fixture_text_objects_are_what_plain_autosurgeon_refuses() {
    let js = JsEdit::fixtures();
    let mut doc = AutoCommit::load(&js.base).unwrap();
    assert!(
        autosurgeon::hydrate::<_, Record>(&doc).is_ok(),
        "danvan's own base"
    );
    doc.load_incremental(&js.changes).unwrap();
    let err = autosurgeon::hydrate::<_, Record>(&doc)
        .unwrap_err()
        .to_string();
    assert!(err.contains("text"), "{err}");
    hydrate_record(&doc).expect("danvan reads them (core/src/doc/surgery.rs, `Lenient`)");
}

// Text objects in conflicts and item ids, and a whole JavaScript number in a `u32` or `f64`
// field (docs/record-schema.md § 11).

/// A danvan edit of a string the client wrote as text writes a string, like every danvan
/// field (ADR 0007: a field is a register whose concurrent changes show as a conflict, never an
/// interleaving of characters); the text the edit did not change stays the client's text
/// object, untouched.
#[test]
fn a_danvan_edit_of_the_clients_text_writes_a_string_and_leaves_the_rest_alone() {
    let kept = read_merge_and_sync(&JsEdit::fixtures());
    for (path, held, same) in &kept {
        if path.ends_with(".notes") {
            assert_eq!((held.as_str(), *same), ("text", true), "{path}: untouched");
        } else {
            assert_eq!(held, "str", "{path}: changed by danvan");
        }
    }
    assert_eq!(kept.len(), 4, "{kept:?}");
}

/// The client and danvan set the summary at once: the conflict shows both values as the text
/// they hold (the client's is a text object), and choosing the client's value keeps it.
#[test]
fn a_conflict_between_the_clients_text_and_a_danvan_string_shows_both() {
    let js = JsEdit::fixtures();
    let mut phone = RecordDoc::load(&js.base, &Uuid::now_v7()).unwrap();
    let mine = "Tranh chấp lối đi (bản của điện thoại)";
    phone
        .update("phone edit", |r| {
            mediation_mut(r).summary = mine.into();
            Ok(())
        })
        .unwrap();
    phone.apply(&js.changes).unwrap();
    let c = phone.conflicts();
    assert_eq!(c.len(), 1, "{c:?}");
    assert_eq!(c[0].path, "body.Mediation.summary");
    let js_summary = js.s("summary");
    // Choosing the client's value (found by its author) keeps the client's text.
    let pick = c[0]
        .values
        .iter()
        .position(|v| v.author == js.s("device"))
        .unwrap();
    let mut chosen = phone.clone();
    chosen.resolve("body.Mediation.summary", pick).unwrap();
    assert!(chosen.conflicts().is_empty());
    assert_eq!(mediation(&chosen.record().unwrap()).summary, js_summary);
    // Both values are shown as the text they hold.
    let mut values: Vec<&str> = c[0].values.iter().map(|v| v.value.as_str()).collect();
    values.sort_unstable();
    let mut want = vec![js_summary.as_str(), mine];
    want.sort_unstable();
    assert_eq!(values, want, "{c:?}");
}

/// A JavaScript number that is whole is written as an Automerge `int`, whatever the field:
/// `logbook_no = 8` (a u32, which danvan writes as `uint`) reads, and so does a whole number
/// in an `f64` field; a negative count is still refused.
#[test]
fn a_whole_js_number_reads_in_a_uint_field() {
    use automerge::transaction::Transactable;
    let js = JsEdit::fixtures();
    let mut doc = AutoCommit::load(&js.base).unwrap();
    let (_, case) = held_as(&doc, &["body"], "Mediation");
    // What `d.body.Mediation.logbook_no = 8` writes in @automerge/automerge 3.
    doc.put(&case, "logbook_no", ScalarValue::Int(8)).unwrap();
    let r = hydrate_record(&doc).map_err(|e| e.to_string());
    assert_eq!(r.map(|r| mediation(&r).logbook_no), Ok(Some(8)));
    doc.put(&case, "logbook_no", ScalarValue::Int(-1)).unwrap();
    assert!(hydrate_record(&doc).is_err(), "a negative logbook number");
}

#[test]
fn a_whole_js_number_reads_in_an_f64_field() {
    use danvan_core::model::InspectionActivity;
    let device = Uuid::now_v7();
    let record = Record::new(
        "31-TDP5",
        device.to_string(),
        Date::ymd(2025, 9, 2).unwrap(),
        RecordBody::Inspection(InspectionActivity::example()),
    );
    let mut doc = RecordDoc::create(&record, &device)
        .unwrap()
        .automerge()
        .clone();
    let (_, a) = held_as(&doc, &["body"], "Inspection");
    let (_, outcomes) = held_as(&doc, &["body", "Inspection"], "outcomes");
    let _ = a;
    {
        use automerge::transaction::Transactable;
        doc.put(&outcomes, "land_recovered_m2", ScalarValue::Int(120))
            .unwrap();
    }
    let r = hydrate_record(&doc).unwrap();
    let RecordBody::Inspection(i) = r.body else {
        unreachable!()
    };
    assert_eq!(i.outcomes.land_recovered_m2, 120.0);
}

/// Two danvan devices edit a party the client added, at once: the conflict is named by the
/// party's id like any other item's (`parties[<id>].phone`), although the client wrote that
/// `id` as a text object (the conflict walk reads it as the string it holds).
#[test]
fn a_conflict_in_an_item_the_client_added_is_named_by_its_id() {
    let js = JsEdit::fixtures();
    let mut a = RecordDoc::load(&js.base, &Uuid::now_v7()).unwrap();
    a.apply(&js.changes).unwrap();
    let mut b = a.fork_for(&Uuid::now_v7());
    for (doc, phone) in [(&mut a, "0912 000 001"), (&mut b, "0912 000 002")] {
        doc.update("edit the client's party", |r| {
            let i = party_index(r, &js.s("party.id"));
            mediation_mut(r).parties[i].phone = Some(phone.into());
            Ok(())
        })
        .unwrap();
    }
    a.merge(&mut b).unwrap();
    let paths: Vec<String> = a.conflicts().into_iter().map(|c| c.path).collect();
    assert_eq!(
        paths,
        vec![format!(
            "body.Mediation.parties[{}].phone",
            js.s("party.id")
        )]
    );
}

/// Not a test: writes the fixtures' base document to `$DANVAN_INTEROP_BASE`
/// (run by `scripts/interop-fixtures.sh`).
#[test]
#[ignore = "writes fixtures; run by scripts/interop-fixtures.sh"]
fn write_fixture_base() {
    let Ok(out) = std::env::var("DANVAN_INTEROP_BASE") else {
        eprintln!("DANVAN_INTEROP_BASE not set: nothing written");
        return;
    };
    std::fs::write(&out, base_doc(&fixture_device()).save()).unwrap();
    eprintln!("wrote {out}");
}
