//! The phone side of the phone-to-phone exchange (ADR 0014, `crate::peer`): the device key and
//! certificate, hellos and acknowledgements, bundles out and in, and the attestations the
//! server needs to accept another phone's changes from this one.

use std::collections::{HashMap, HashSet};

use ed25519_dalek::SigningKey;
use rusqlite::params;
use uuid::Uuid;

use crate::error::{CoreError, Result};
use crate::model::common::Timestamp;
use crate::peer::{Attestation, BundleBody, HelloBody, PeerError, SignedCertificate, same_team};

use super::{Store, documents, outbox, schema, write};
use crate::sync::hex_lower;

const KEY_SEED: &str = "peer.device_key";
const CERTIFICATE: &str = "peer.certificate";
const PINNED_SERVER: &str = "peer.server_key";

/// What importing a bundle did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BundleImport {
    /// Records new to this phone.
    pub new_records: u32,
    /// Records that received changes.
    pub updated_records: u32,
    /// Records refused (outside the team's unit, or not readable), by id.
    pub refused: Vec<String>,
    /// The sender's device id.
    pub sender: Uuid,
    /// A signed acknowledgement (the changes this phone has now) to give back to the sender, so its
    /// next bundle carries only what is new.
    pub acknowledgement: Vec<u8>,
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    s.len()
        .is_multiple_of(2)
        .then(|| {
            (0..s.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
                .collect()
        })
        .flatten()
}

fn peer_err(e: PeerError) -> CoreError {
    CoreError::from(e)
}

impl Store {
    fn signing_key(&self) -> Result<Option<SigningKey>> {
        let Some(seed) = schema::meta_get(&self.conn, KEY_SEED)? else {
            return Ok(None);
        };
        let seed: [u8; 32] = unhex(&seed)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| super::StoreError::Corrupt("device key".into()))?;
        Ok(Some(SigningKey::from_bytes(&seed)))
    }

    /// This phone's Ed25519 public key, made (and kept in the store, encrypted with it) on first
    /// use. The server certifies it at the next sync.
    pub fn device_public_key(&mut self) -> Result<[u8; 32]> {
        if let Some(k) = self.signing_key()? {
            return Ok(k.verifying_key().to_bytes());
        }
        let mut seed = zeroize::Zeroizing::new([0u8; 32]);
        {
            use chacha20poly1305::aead::OsRng;
            use chacha20poly1305::aead::rand_core::RngCore;
            OsRng.fill_bytes(seed.as_mut());
        }
        schema::meta_set(&self.conn, KEY_SEED, &hex_lower(seed.as_ref()))?;
        Ok(SigningKey::from_bytes(&seed).verifying_key().to_bytes())
    }

    /// This phone's certificate, once the server has issued it.
    pub fn certificate(&self) -> Result<Option<SignedCertificate>> {
        let Some(c) = schema::meta_get(&self.conn, CERTIFICATE)? else {
            return Ok(None);
        };
        let bytes = unhex(&c).ok_or_else(|| super::StoreError::Corrupt("certificate".into()))?;
        Ok(Some(SignedCertificate::decode(&bytes).map_err(peer_err)?))
    }

    /// Whether the store needs a certificate: its public key if so.
    pub fn wants_certificate(&mut self) -> Result<Option<[u8; 32]>> {
        if self.certificate()?.is_some() {
            return Ok(None);
        }
        self.device_public_key().map(Some)
    }

    /// Keep the certificate the server issued (`encoded`): it must name this device and its key,
    /// and be signed by the server key this phone pinned (the first certificate pins it).
    pub fn set_certificate(&mut self, encoded: &[u8]) -> Result<()> {
        let cert = SignedCertificate::decode(encoded).map_err(peer_err)?;
        let pinned = match schema::meta_get(&self.conn, PINNED_SERVER)? {
            Some(p) => unhex(&p)
                .and_then(|b| <[u8; 32]>::try_from(b).ok())
                .ok_or_else(|| super::StoreError::Corrupt("server key".into()))?,
            None => cert.server_key,
        };
        cert.verify(&pinned).map_err(peer_err)?;
        let mine = self.device_public_key()?;
        if cert.certificate.device_id != self.device || cert.certificate.public_key != mine {
            return Err(peer_err(PeerError::NotForMe));
        }
        schema::meta_set(&self.conn, PINNED_SERVER, &hex_lower(&pinned))?;
        schema::meta_set(&self.conn, CERTIFICATE, &hex_lower(encoded))?;
        Ok(())
    }

    fn identity(&self) -> Result<(SignedCertificate, SigningKey, [u8; 32])> {
        let cert = self
            .certificate()?
            .ok_or(peer_err(PeerError::NoCertificate))?;
        let key = self
            .signing_key()?
            .ok_or(peer_err(PeerError::NoCertificate))?;
        let pinned = cert.server_key;
        Ok((cert, key, pinned))
    }

    /// The records this phone shares with its team: those of its certificate's unit.
    fn team_records(&self, unit: &str) -> Result<Vec<(String, crate::RecordDoc)>> {
        let mut out = Vec::new();
        for id in documents::all_ids(&self.conn)? {
            let doc = documents::load(&self.conn, &id, &self.device)?;
            if doc.record().is_ok_and(|r| r.envelope.unit == unit) {
                out.push((id, doc));
            }
        }
        Ok(out)
    }

    /// The hashes of every change of each team record this phone holds.
    fn have(&self, unit: &str) -> Result<Vec<(String, Vec<[u8; 32]>)>> {
        let mut have = Vec::new();
        for (id, mut doc) in self.team_records(unit)? {
            let hashes = doc
                .automerge_mut()
                .get_changes(&[])
                .iter()
                .map(|c| c.hash().0)
                .collect();
            have.push((id, hashes));
        }
        Ok(have)
    }

    /// A signed list of the changes this phone holds per team record (a "hello"), to give
    /// another phone of the team so that its bundle carries only what this phone lacks.
    pub fn hello(&mut self) -> Result<Vec<u8>> {
        let (cert, key, _) = self.identity()?;
        let have = self.have(&cert.certificate.unit)?;
        Ok(HelloBody { sender: cert, have }.seal(&key))
    }

    /// A bundle of the team's records for another phone of the team: with its hello or
    /// acknowledgement (`peer`), only the changes it lacks (records it has all of are left
    /// out); without, every record of the team whole. Signed with this phone's key, with
    /// attestations for the changes it carries. A bundle with nothing new is still a valid
    /// file.
    pub fn export_bundle(&mut self, peer: Option<&[u8]>) -> Result<Vec<u8>> {
        let _span = tracing::info_span!("store.export_bundle").entered();
        let (cert, key, pinned) = self.identity()?;
        let (recipient, known): (Option<Uuid>, HashMap<String, HashSet<[u8; 32]>>) = match peer {
            Some(bytes) => {
                let hello = HelloBody::open(bytes, &pinned).map_err(peer_err)?;
                same_team(&cert.certificate, &hello.sender.certificate).map_err(peer_err)?;
                let known = hello
                    .have
                    .into_iter()
                    .map(|(id, hs)| (id, hs.into_iter().collect()))
                    .collect();
                (Some(hello.sender.certificate.device_id), known)
            }
            None => (None, HashMap::new()),
        };
        let stored = self.stored_attestations()?;
        let me = crate::doc::actor_for_device(&self.device);
        let mut records = Vec::new();
        let mut attestations = Vec::new();
        for (id, mut doc) in self.team_records(&cert.certificate.unit)? {
            let theirs = known.get(&id);
            let changes = doc.automerge_mut().get_changes(&[]);
            let missing: Vec<&automerge::Change> = changes
                .iter()
                .filter(|c| theirs.is_none_or(|t| !t.contains(&c.hash().0)))
                .collect();
            if missing.is_empty() {
                continue;
            }
            for c in &missing {
                let hash = c.hash().0;
                if c.actor_id() == &me {
                    attestations.push(Attestation::make(&key, self.device, hash));
                } else if let Some(a) = stored.get(&hash) {
                    attestations.push(a.clone());
                }
            }
            // A record the other phone has none of goes whole (compressed); otherwise the
            // changes it lacks, each as Automerge writes it uncompressed.
            let bytes = if theirs.is_none() {
                doc.save()
            } else {
                missing
                    .iter()
                    .flat_map(|c| c.raw_bytes().to_vec())
                    .collect()
            };
            records.push((id, bytes));
        }
        tracing::info!(
            records = records.len(),
            attestations = attestations.len(),
            "bundle made"
        );
        Ok(BundleBody {
            sender: cert,
            recipient,
            created_at: Timestamp::now().0,
            records,
            attestations,
        }
        .seal(&key))
    }

    fn stored_attestations(&self) -> Result<HashMap<[u8; 32], Attestation>> {
        Ok(self
            .attestations_where("")?
            .into_iter()
            .map(|a| (a.hash, a))
            .collect())
    }

    /// The attestations kept in the store (`filter`: an SQL condition, or empty for all).
    fn attestations_where(&self, filter: &str) -> Result<Vec<Attestation>> {
        let sql =
            format!("SELECT hash, device, signature FROM attestations {filter} ORDER BY hash");
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Vec<u8>>(2)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (hash, device, signature) = row?;
            if let (Ok(hash), Ok(device)) = (<[u8; 32]>::try_from(hash), Uuid::parse_str(&device)) {
                out.push(Attestation {
                    hash,
                    device,
                    signature,
                });
            }
        }
        Ok(out)
    }

    /// Take in a bundle from another phone of the team: its signature and the sender's
    /// certificate checked (issued by this phone's server, same team), each record checked to
    /// be of the team's unit and to read as a record with nothing outside the record schema,
    /// then merged and marked to be sent to the server at the next sync (the server has not
    /// seen these changes from this phone). Records outside the team are refused and listed;
    /// a bad file changes nothing.
    pub fn import_bundle(&mut self, bytes: &[u8]) -> Result<BundleImport> {
        let _span = tracing::info_span!("store.import_bundle").entered();
        let (cert, key, pinned) = self.identity()?;
        let bundle = BundleBody::open(bytes, &pinned).map_err(peer_err)?;
        let sender = bundle.sender.certificate.clone();
        same_team(&cert.certificate, &sender).map_err(peer_err)?;
        if sender.device_id == self.device {
            return Err(peer_err(PeerError::NotMyTeam(
                "this phone's own bundle".into(),
            )));
        }
        if bundle.recipient.is_some_and(|r| r != self.device) {
            return Err(peer_err(PeerError::NotForMe));
        }
        let (device, cfg) = (self.device, self.cfg.clone());
        let mut done = BundleImport {
            sender: sender.device_id,
            ..BundleImport::default()
        };
        let tx = self.write_tx()?;
        for (id, changes) in &bundle.records {
            let exists = documents::exists(&tx, id)?;
            let mut doc = if exists {
                documents::load(&tx, id, &device)?
            } else {
                crate::RecordDoc::empty(&device)
            };
            let before = doc.heads();
            let readable = doc
                .apply(changes)
                .and_then(|_| doc.record())
                .ok()
                .filter(|r| r.id() == id && r.envelope.unit == cert.certificate.unit)
                .filter(|r| {
                    crate::doc::unknown_keys(doc.automerge(), r, 1).is_ok_and(|k| k.is_empty())
                });
            let Some(record) = readable else {
                done.refused.push(id.clone());
                continue;
            };
            if doc.heads() == before {
                continue;
            }
            if exists {
                write::persist(&tx, id, &mut doc, &record, &cfg)?;
                done.updated_records += 1;
            } else {
                documents::insert(&tx, id, record.envelope.kind, &mut doc)?;
                super::index::upsert(
                    &tx,
                    &record,
                    write::needs_decision(&mut doc, &record, &cfg),
                    &cfg,
                )?;
                done.new_records += 1;
            }
            // The server has not got these changes from this phone: send them.
            outbox::local_write(&tx, id)?;
        }
        for a in &bundle.attestations {
            tx.prepare_cached(
                "INSERT INTO attestations (hash, device, signature) VALUES (?1, ?2, ?3)
                 ON CONFLICT (hash) DO NOTHING",
            )?
            .execute(params![
                a.hash.as_slice(),
                a.device.to_string(),
                a.signature
            ])?;
        }
        tx.commit()?;
        let have = self.have(&cert.certificate.unit)?;
        done.acknowledgement = HelloBody { sender: cert, have }.seal(&key);
        tracing::info!(
            new = done.new_records,
            updated = done.updated_records,
            refused = done.refused.len(),
            "bundle imported"
        );
        Ok(done)
    }

    /// Attestations this phone holds that the server has not been given yet: those of other
    /// phones' changes received in bundles.
    pub fn pending_attestations(&self) -> Result<Vec<Attestation>> {
        self.attestations_where("WHERE posted = 0")
    }

    /// The server has these attestations.
    pub fn attestations_posted(&mut self, hashes: &[[u8; 32]]) -> Result<()> {
        let tx = self.write_tx()?;
        for h in hashes {
            tx.prepare_cached("UPDATE attestations SET posted = 1 WHERE hash = ?1")?
                .execute([h.as_slice()])?;
        }
        tx.commit()?;
        Ok(())
    }
}
