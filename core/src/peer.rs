//! Phone-to-phone exchange without a network (ADR 0014): who a phone is to another phone, and
//! the signed files they hand each other.
//!
//! - **Device certificate**: the server signs, with its own Ed25519 key, a phone's public key
//!   with its device id, role and unit ([`Certificate`]). A phone pins the server's key when it
//!   gets its certificate; a peer's certificate must be signed by that same key.
//! - **Bundle**: the records one phone hands another (only what the other lacks), signed with
//!   the sender's device key, carrying the sender's certificate and an [`Attestation`] for each
//!   change the sender wrote, so the server later accepts those changes from the other phone.
//! - **Hello / acknowledgement**: a signed list of the changes a phone has per record, so the
//!   other side sends only what is missing.
//! - **Attestation**: a device's signature over the hash of a change it made; the server
//!   accepts a change under another device's actor id only with a valid attestation by that
//!   device's registered key (`merge_device_push`).

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What the server certifies about a device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Certificate {
    /// The device.
    pub device_id: Uuid,
    /// Its Ed25519 public key.
    pub public_key: [u8; 32],
    /// Its role code (`mediator`, `team_leader`, …).
    pub role: String,
    /// Its unit code (a village for a mediation team).
    pub unit: String,
    /// When it was issued (milliseconds since 1970, UTC).
    pub issued_at: i64,
}

/// A certificate with the server's key and signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedCertificate {
    /// What is certified.
    pub certificate: Certificate,
    /// The server's Ed25519 public key.
    pub server_key: [u8; 32],
    /// The server's signature over the postcard bytes of `certificate` (64 bytes).
    pub signature: Vec<u8>,
}

/// A device's signature over the hash of a change it made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attestation {
    /// The change's hash.
    pub hash: [u8; 32],
    /// The device that made it (its actor).
    pub device: Uuid,
    /// Ed25519 signature over [`attestation_message`] (64 bytes).
    pub signature: Vec<u8>,
}

/// Why a certificate, a bundle or an attestation is not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeerError {
    /// Not a danvan file of the expected kind, or damaged.
    #[error("not a danvan {0} file, or a damaged one")]
    Malformed(&'static str),
    /// A signature does not verify.
    #[error("the {0} signature does not verify")]
    BadSignature(&'static str),
    /// The certificate was signed by another server than this phone's.
    #[error("the certificate was issued by another server")]
    OtherServer,
    /// The other phone is not of this phone's team (another unit, or a role outside the team).
    #[error("the other phone is not of this team ({0})")]
    NotMyTeam(String),
    /// This phone has no certificate yet (it gets one at its next sync).
    #[error("this phone has no device certificate yet: sync once first")]
    NoCertificate,
    /// The file is meant for another phone.
    #[error("the file is meant for another phone")]
    NotForMe,
}

const CERT_CONTEXT: &[u8] = b"danvan certificate v1\0";
const CHANGE_CONTEXT: &[u8] = b"danvan change v1\0";
const BUNDLE_MAGIC: &[u8; 4] = b"DVB1";
const HELLO_MAGIC: &[u8; 4] = b"DVH1";

fn signature(bytes: &[u8]) -> Option<Signature> {
    <[u8; 64]>::try_from(bytes)
        .ok()
        .map(|b| Signature::from_bytes(&b))
}

/// The bytes a device signs to attest a change.
pub fn attestation_message(hash: &[u8; 32]) -> Vec<u8> {
    [CHANGE_CONTEXT, hash.as_slice()].concat()
}

impl Certificate {
    fn message(&self) -> Vec<u8> {
        let body = postcard::to_allocvec(self).unwrap_or_default();
        [CERT_CONTEXT, body.as_slice()].concat()
    }

    /// Sign with the server's key.
    pub fn sign(self, server: &SigningKey) -> SignedCertificate {
        let signature = server.sign(&self.message()).to_bytes().to_vec();
        SignedCertificate {
            certificate: self,
            server_key: server.verifying_key().to_bytes(),
            signature,
        }
    }
}

impl SignedCertificate {
    /// Check the server's signature and that the server is `pinned` (the one this phone
    /// enrolled with).
    pub fn verify(&self, pinned: &[u8; 32]) -> Result<(), PeerError> {
        if &self.server_key != pinned {
            return Err(PeerError::OtherServer);
        }
        let key =
            VerifyingKey::from_bytes(pinned).map_err(|_| PeerError::BadSignature("server"))?;
        let sig = signature(&self.signature).ok_or(PeerError::BadSignature("server"))?;
        key.verify(&self.certificate.message(), &sig)
            .map_err(|_| PeerError::BadSignature("server"))
    }

    /// The encoded certificate (as the server sends it).
    pub fn encode(&self) -> Vec<u8> {
        postcard::to_allocvec(self).unwrap_or_default()
    }

    /// Read an encoded certificate.
    pub fn decode(bytes: &[u8]) -> Result<SignedCertificate, PeerError> {
        postcard::from_bytes(bytes).map_err(|_| PeerError::Malformed("certificate"))
    }

    /// The device's verifying key.
    pub fn device_key(&self) -> Result<VerifyingKey, PeerError> {
        VerifyingKey::from_bytes(&self.certificate.public_key)
            .map_err(|_| PeerError::Malformed("certificate"))
    }
}

impl Attestation {
    /// `device` attests the change `hash` with its key.
    pub fn make(key: &SigningKey, device: Uuid, hash: [u8; 32]) -> Attestation {
        Attestation {
            hash,
            device,
            signature: key.sign(&attestation_message(&hash)).to_bytes().to_vec(),
        }
    }

    /// Whether the signature is `public_key`'s over this change.
    pub fn verify(&self, public_key: &[u8; 32]) -> bool {
        let (Ok(key), Some(sig)) = (
            VerifyingKey::from_bytes(public_key),
            signature(&self.signature),
        ) else {
            return false;
        };
        key.verify(&attestation_message(&self.hash), &sig).is_ok()
    }
}

/// The roles of a village mediation team: the phones that may exchange records directly.
pub const TEAM_ROLES: [&str; 2] = ["mediator", "team_leader"];

/// Whether two certificates are of one team: both of the team's roles, the same unit.
pub fn same_team(a: &Certificate, b: &Certificate) -> Result<(), PeerError> {
    if !TEAM_ROLES.contains(&a.role.as_str()) || !TEAM_ROLES.contains(&b.role.as_str()) {
        return Err(PeerError::NotMyTeam(format!("role {}", b.role)));
    }
    if a.unit != b.unit {
        return Err(PeerError::NotMyTeam(format!("unit {}", b.unit)));
    }
    Ok(())
}

/// What a bundle carries, before its signature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BundleBody {
    /// The sender's certificate.
    pub sender: SignedCertificate,
    /// The phone it is meant for, when the sender knew it (from a hello or an acknowledgement).
    pub recipient: Option<Uuid>,
    /// When it was made (milliseconds since 1970, UTC).
    pub created_at: i64,
    /// Per record: its id and the Automerge changes the recipient lacks (or the whole document).
    pub records: Vec<(String, Vec<u8>)>,
    /// Attestations of the changes carried (the sender's own, and those it received).
    pub attestations: Vec<Attestation>,
}

/// What a hello or an acknowledgement carries, before its signature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HelloBody {
    /// The phone's certificate.
    pub sender: SignedCertificate,
    /// Per record it holds: the hashes of every change it has (32 bytes each; a record has
    /// tens). All of them, not only the heads: two phones that both edited since they last met
    /// each hold heads the other lacks, and the changes in common are found only from the whole
    /// list.
    pub have: Vec<(String, Vec<[u8; 32]>)>,
}

#[derive(Serialize, Deserialize)]
struct Signed {
    body: Vec<u8>,
    signature: Vec<u8>,
}

fn seal<T: Serialize>(magic: &[u8; 4], body: &T, key: &SigningKey) -> Vec<u8> {
    let body = postcard::to_allocvec(body).unwrap_or_default();
    let signature = key
        .sign(&[magic.as_slice(), body.as_slice()].concat())
        .to_bytes()
        .to_vec();
    let signed = postcard::to_allocvec(&Signed { body, signature }).unwrap_or_default();
    [magic.as_slice(), signed.as_slice()].concat()
}

/// Open a sealed file: its magic, its body, the sender's signature by the sender's certified key
/// (the certificate checked against `pinned`).
fn open<T: for<'de> Deserialize<'de>>(
    magic: &[u8; 4],
    what: &'static str,
    bytes: &[u8],
    pinned: &[u8; 32],
    sender: impl Fn(&T) -> &SignedCertificate,
) -> Result<T, PeerError> {
    let rest = bytes
        .strip_prefix(magic.as_slice())
        .ok_or(PeerError::Malformed(what))?;
    let signed: Signed = postcard::from_bytes(rest).map_err(|_| PeerError::Malformed(what))?;
    let body: T = postcard::from_bytes(&signed.body).map_err(|_| PeerError::Malformed(what))?;
    let cert = sender(&body);
    cert.verify(pinned)?;
    let sig = signature(&signed.signature).ok_or(PeerError::BadSignature(what))?;
    cert.device_key()?
        .verify(&[magic.as_slice(), signed.body.as_slice()].concat(), &sig)
        .map_err(|_| PeerError::BadSignature(what))?;
    Ok(body)
}

impl BundleBody {
    /// Sign with the sender's device key and encode.
    pub fn seal(&self, key: &SigningKey) -> Vec<u8> {
        seal(BUNDLE_MAGIC, self, key)
    }

    /// Decode and check a bundle: the sender's certificate (by the `pinned` server) and its
    /// signature over the whole.
    pub fn open(bytes: &[u8], pinned: &[u8; 32]) -> Result<BundleBody, PeerError> {
        open(BUNDLE_MAGIC, "bundle", bytes, pinned, |b: &BundleBody| {
            &b.sender
        })
    }
}

impl HelloBody {
    /// Sign with the sender's device key and encode.
    pub fn seal(&self, key: &SigningKey) -> Vec<u8> {
        seal(HELLO_MAGIC, self, key)
    }

    /// Decode and check a hello or an acknowledgement.
    pub fn open(bytes: &[u8], pinned: &[u8; 32]) -> Result<HelloBody, PeerError> {
        open(HELLO_MAGIC, "hello", bytes, pinned, |b: &HelloBody| {
            &b.sender
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(server: &SigningKey, device: &SigningKey, role: &str, unit: &str) -> SignedCertificate {
        Certificate {
            device_id: Uuid::from_u128(7),
            public_key: device.verifying_key().to_bytes(),
            role: role.into(),
            unit: unit.into(),
            issued_at: 0,
        }
        .sign(server)
    }

    #[test]
    fn certificates_bundles_and_attestations_verify_and_tampering_does_not() {
        let server = SigningKey::from_bytes(&[1; 32]);
        let other_server = SigningKey::from_bytes(&[2; 32]);
        let pinned = server.verifying_key().to_bytes();
        let lan = SigningKey::from_bytes(&[3; 32]);
        let c = cert(&server, &lan, "mediator", "11533-T01");
        assert_eq!(c.verify(&pinned), Ok(()));
        assert_eq!(
            cert(&other_server, &lan, "mediator", "11533-T01").verify(&pinned),
            Err(PeerError::OtherServer)
        );
        let mut forged = c.clone();
        forged.certificate.unit = "11560-T01".into();
        assert_eq!(
            forged.verify(&pinned),
            Err(PeerError::BadSignature("server"))
        );

        let body = BundleBody {
            sender: c.clone(),
            recipient: None,
            created_at: 1,
            records: vec![("r".into(), vec![1, 2, 3])],
            attestations: vec![Attestation::make(&lan, Uuid::from_u128(7), [9; 32])],
        };
        let sealed = body.seal(&lan);
        assert_eq!(BundleBody::open(&sealed, &pinned), Ok(body.clone()));
        let mut flipped = sealed.clone();
        let last = flipped.len() - 70;
        flipped[last] ^= 1;
        assert!(BundleBody::open(&flipped, &pinned).is_err());
        // Signed by a key the certificate does not name.
        let mallory = SigningKey::from_bytes(&[4; 32]);
        assert_eq!(
            BundleBody::open(&body.seal(&mallory), &pinned),
            Err(PeerError::BadSignature("bundle"))
        );
        assert_eq!(
            HelloBody::open(&sealed, &pinned),
            Err(PeerError::Malformed("hello"))
        );

        let a = &body.attestations[0];
        assert!(a.verify(&lan.verifying_key().to_bytes()));
        assert!(!a.verify(&mallory.verifying_key().to_bytes()));
        let mut other_hash = a.clone();
        other_hash.hash = [8; 32];
        assert!(!other_hash.verify(&lan.verifying_key().to_bytes()));

        let hoa = cert(&server, &lan, "team_leader", "11533-T01").certificate;
        assert_eq!(same_team(&c.certificate, &hoa), Ok(()));
        let far = cert(&server, &lan, "team_leader", "11560-T01").certificate;
        assert!(same_team(&c.certificate, &far).is_err());
        let officer = cert(&server, &lan, "commune_officer", "11533-T01").certificate;
        assert!(same_team(&c.certificate, &officer).is_err());
    }
}
