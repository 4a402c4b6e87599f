//! Phone to phone with no network (ADR 0014): a mediator and her team leader exchange bundles
//! offline, edit the same case concurrently, then one syncs to the server and then the other;
//! everything converges once, each change stored once. Bundles from outside the team, or
//! tampered with, are refused. Runs on SQLite, and on PostgreSQL when
//! `DANVAN_TEST_DATABASE_URL` is set.
#![allow(clippy::unwrap_used)]

use danvan_core::peer::PeerError;
use danvan_core::store::SyncState;
use danvan_core::{CoreError, RecordBody};
use danvan_e2e::*;
use danvan_server::Role;

fn changes_in(bytes: &[u8]) -> usize {
    danvan_core::automerge::AutoCommit::load(bytes)
        .unwrap()
        .get_changes(&[])
        .len()
}

fn scenario(server: &TestServer) {
    let mut lan = server
        .enroll("Nguyễn Thị Lan", Role::Mediator, VILLAGE_HOA_BINH_1)
        .unwrap();
    let mut hoa = server
        .enroll("Phạm Thị Hoa", Role::TeamLeader, VILLAGE_HOA_BINH_1)
        .unwrap();
    let mut binh = server
        .enroll("Lê Văn Bình", Role::Mediator, VILLAGE_HOA_BINH_2)
        .unwrap();
    // Online once: each phone's key is certified by the server.
    for d in [&mut lan, &mut hoa, &mut binh] {
        assert!(d.store.certificate().unwrap().is_none());
        d.sync().unwrap();
        let cert = d.store.certificate().unwrap().unwrap();
        assert_eq!(cert.certificate.device_id, d.id());
        assert_eq!(cert.certificate.unit, d.unit);
    }

    // In the village, no signal: Lan records a case and hands Hoa a bundle (by Bluetooth).
    let id = lan
        .create(
            mediation_case(VILLAGE_HOA_BINH_1, COMMUNE_HOA_BINH),
            day(9, 2),
        )
        .unwrap()
        .id()
        .to_string();
    let first = lan
        .store
        .export_bundle(Some(&hoa.store.hello().unwrap()))
        .unwrap();
    let got = hoa.store.import_bundle(&first).unwrap();
    assert_eq!((got.new_records, got.updated_records), (1, 0));
    assert!(got.refused.is_empty());
    assert_eq!(got.sender, lan.id());
    assert_eq!(hoa.store.get(&id).unwrap(), lan.store.get(&id).unwrap());

    // Both edit it offline at once: Hoa the summary, Lan the notes.
    hoa.store
        .update(&id, |r| {
            if let RecordBody::Mediation(m) = &mut r.body {
                m.summary = "Tranh chấp lối đi chung (tường lấn 0,3 m)".into();
            }
            Ok(())
        })
        .unwrap();
    lan.store
        .update(&id, |r| {
            if let RecordBody::Mediation(m) = &mut r.body {
                m.notes = Some("Hai bên đã gặp nhau tại nhà văn hóa thôn".into());
            }
            Ok(())
        })
        .unwrap();
    // Hoa hands back only what Lan lacks (Lan's hello lists what she has): Hoa's one change.
    let back = hoa
        .store
        .export_bundle(Some(&lan.store.hello().unwrap()))
        .unwrap();
    let whole = hoa.store.export_bundle(None).unwrap();
    assert!(back.len() < whole.len(), "{} ≥ {}", back.len(), whole.len());
    let got = lan.store.import_bundle(&back).unwrap();
    assert_eq!((got.new_records, got.updated_records), (0, 1));
    // Hoa takes Lan's acknowledgement: a third bundle now carries nothing.
    let ack = got.acknowledgement;
    let hoa_again = hoa.store.export_bundle(Some(&ack)).unwrap();
    let none = lan.store.import_bundle(&hoa_again).unwrap();
    assert_eq!((none.new_records, none.updated_records), (0, 0));
    // Lan's phone has both edits; Hoa's does not have Lan's notes yet.
    let RecordBody::Mediation(m) = lan.store.get(&id).unwrap().body else {
        panic!()
    };
    assert_eq!(m.summary, "Tranh chấp lối đi chung (tường lấn 0,3 m)");
    assert!(m.notes.is_some());

    // Refused: a phone of another village's team, and a bundle changed on the way.
    let foreign = binh.store.export_bundle(None).unwrap();
    assert!(matches!(
        lan.store.import_bundle(&foreign),
        Err(CoreError::Peer(PeerError::NotMyTeam(_)))
    ));
    let mut tampered = first.clone();
    let at = tampered.len() / 2;
    tampered[at] ^= 0x40;
    assert!(matches!(
        hoa.store.import_bundle(&tampered),
        Err(CoreError::Peer(_))
    ));

    // Back online: Lan syncs first — her push carries Hoa's change, which the server accepts
    // on Hoa's attestation.
    let p = lan.sync().unwrap();
    assert_eq!((p.accepted, p.rejected), (1, 0), "{p:?}");
    assert_eq!(
        lan.store.sync_state(&id).unwrap().state,
        SyncState::Accepted
    );
    // Then Hoa: her case is already on the server, with her change; she gets Lan's notes.
    let p = hoa.sync().unwrap();
    assert_eq!(p.rejected, 0, "{p:?}");
    assert_eq!(
        hoa.store.sync_state(&id).unwrap().state,
        SyncState::Accepted
    );
    lan.sync().unwrap();
    assert_eq!(hoa.store.get(&id).unwrap(), lan.store.get(&id).unwrap());
    let (bytes, _) = server
        .block_on(server.storage.full_document(&id))
        .unwrap()
        .unwrap();
    let on_server = danvan_core::RecordDoc::load(&bytes, &uuid::Uuid::nil())
        .unwrap()
        .record()
        .unwrap();
    assert_eq!(on_server, lan.store.get(&id).unwrap());
    // Each change once: the server holds exactly the phones' changes.
    let lan_doc = lan.store.doc(&id).unwrap().save();
    assert_eq!(changes_in(&bytes), changes_in(&lan_doc));
    assert_eq!(changes_in(&bytes), 3, "create, Hoa's summary, Lan's notes");
    // One record on the server, not two.
    let rows = server
        .block_on(
            server
                .storage
                .records_under(&[VILLAGE_HOA_BINH_1.to_string()], 100),
        )
        .unwrap();
    assert_eq!(rows.iter().filter(|r| r.id == id).count(), 1);

    println!(
        "bundle sizes: first (1 record, whole) {} B, back (1 record, one change) {} B, nothing new {} B",
        first.len(),
        back.len(),
        hoa_again.len()
    );
}

#[test]
fn two_phones_exchange_offline_and_converge_once_on_sqlite() {
    let server = TestServer::start().unwrap();
    scenario(&server);
}

#[test]
fn two_phones_exchange_offline_and_converge_once_on_postgres() {
    let Some(server) = TestServer::start_postgres().unwrap() else {
        return;
    };
    scenario(&server);
}

/// A relayed change without its author's attestation is refused, and an attestation made by
/// another key does not count: only the author's signature lets a phone push its change.
#[test]
fn a_relayed_change_needs_its_authors_signature() {
    let server = TestServer::start().unwrap();
    let mut lan = server
        .enroll("Nguyễn Thị Lan", Role::Mediator, VILLAGE_HOA_BINH_1)
        .unwrap();
    let mut hoa = server
        .enroll("Phạm Thị Hoa", Role::TeamLeader, VILLAGE_HOA_BINH_1)
        .unwrap();
    lan.sync().unwrap();
    hoa.sync().unwrap();
    let id = lan
        .create(
            mediation_case(VILLAGE_HOA_BINH_1, COMMUNE_HOA_BINH),
            day(9, 2),
        )
        .unwrap()
        .id()
        .to_string();
    // Hoa gets Lan's record by plain Automerge bytes, not a bundle: no attestation.
    let bytes = lan.store.doc(&id).unwrap().save();
    hoa.store.apply_remote(&id, &bytes).unwrap();
    hoa.store
        .update(&id, |r| {
            if let RecordBody::Mediation(m) = &mut r.body {
                m.notes = Some("ghi chú của tổ trưởng".into());
            }
            Ok(())
        })
        .unwrap();
    // apply_remote believed the server had it; forget that (as after a server change), so Hoa
    // sends it whole.
    danvan_core::sync::SyncStore::reset_sync(&mut hoa.store).unwrap();
    let p = hoa.sync().unwrap();
    assert_eq!(p.rejected, 1, "{p:?}");
    let st = hoa.store.sync_state(&id).unwrap();
    assert!(
        st.rejection
            .as_ref()
            .is_some_and(|r| r.message.contains("foreign_actor")),
        "{st:?}"
    );
    // Once Lan syncs her own record, Hoa's change goes through (she sends it again).
    lan.sync().unwrap();
    hoa.store.resend(&id).unwrap();
    let p = hoa.sync().unwrap();
    assert_eq!((p.accepted, p.rejected), (1, 0), "{p:?}");
}

/// Bad input to the two routes: a key or an attestation not written as the schema says is 400,
/// a second key for a device 409, a well-formed attestation that does not verify is counted as
/// refused and not kept.
#[test]
fn the_certificate_and_attestation_routes_refuse_bad_input() {
    use danvan_e2e::web::http;
    let server = TestServer::start().unwrap();
    let lan = server
        .enroll("Nguyễn Thị Lan", Role::Mediator, VILLAGE_HOA_BINH_1)
        .unwrap();
    let auth = lan.creds.authorization();
    let post = |path: &str, body: &str| {
        http(
            &server.url,
            "POST",
            path,
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/json"),
            ],
            body.as_bytes(),
        )
    };
    let key = |k: &str| format!(r#"{{"public_key":"{k}"}}"#);
    let good = hex_of(
        &ed25519_dalek::SigningKey::from_bytes(&[5; 32])
            .verifying_key()
            .to_bytes(),
    );
    assert_eq!(
        post("/v1/device/certificate", &key(&good.to_uppercase())).status,
        400
    );
    assert_eq!(post("/v1/device/certificate", &key("abc")).status, 400);
    assert_eq!(post("/v1/device/certificate", &key(&good)).status, 200);
    assert_eq!(post("/v1/device/certificate", &key(&good)).status, 200);
    let other = hex_of(
        &ed25519_dalek::SigningKey::from_bytes(&[6; 32])
            .verifying_key()
            .to_bytes(),
    );
    let r = post("/v1/device/certificate", &key(&other));
    assert_eq!(r.status, 409);
    assert!(r.text().contains("key_mismatch"));
    let att = |hash: &str, sig: &str| {
        format!(
            r#"{{"attestations":[{{"hash":"{hash}","device":"{}","signature":"{sig}"}}]}}"#,
            lan.id()
        )
    };
    assert_eq!(
        post("/v1/attestations", &att(&"0".repeat(64), "")).status,
        400
    );
    assert_eq!(
        post("/v1/attestations", &att("00", &"0".repeat(128))).status,
        400
    );
    let r = post("/v1/attestations", &att(&"0".repeat(64), &"0".repeat(128)));
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["refused"], 1);
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
