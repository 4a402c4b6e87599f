//! Phone to phone with no network (ADR 0014): a mediator and her team leader hand each other
//! signed files (by Bluetooth, cable, a memory card or any sharing app) carrying the records the
//! other lacks. The phones must each have synced once (the server certifies their keys then);
//! only phones of the same village team accept each other's files; the records reach the
//! server later from either phone, once.
//!
//! The exchange: B gives A its `hello()`; A makes `exportBundle(hello)` (only what B lacks);
//! B runs `importBundle(bundle)` and gives A the `acknowledgement` it returns, with which A's
//! next bundle is again only what is new. Without a hello, `exportBundle(null)` carries every
//! record of the team.

use crate::error::Result;
use crate::store::DanvanStore;

/// What importing a bundle did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct BundleImport {
    /// Records new to this phone.
    pub new_records: u32,
    /// Records that received changes.
    pub updated_records: u32,
    /// Records refused (not of the team's village, or unreadable), by id.
    pub refused: Vec<String>,
    /// The device that made the bundle.
    pub sender: String,
    /// A signed acknowledgement to give back to the sender (its next bundle then carries only
    /// what is new).
    pub acknowledgement: Vec<u8>,
}

#[uniffi::export]
impl DanvanStore {
    /// Whether the server has certified this phone (after its first sync): it can then exchange
    /// files with its team.
    pub fn can_exchange(&self) -> Result<bool> {
        self.with(|store| Ok(store.certificate()?.is_some()))
    }

    /// A signed list of what this phone holds, for a team-mate's `exportBundle`.
    pub fn hello(&self) -> Result<Vec<u8>> {
        self.with(|store| Ok(store.hello()?))
    }

    /// A signed file of the team's records for another phone of the team: with its hello or
    /// acknowledgement, only what it lacks; with `null`, every record of the team.
    pub fn export_bundle(&self, peer: Option<Vec<u8>>) -> Result<Vec<u8>> {
        self.with(|store| Ok(store.export_bundle(peer.as_deref())?))
    }

    /// Take in a team-mate's file: checked (signed by a phone of this team, certified by this
    /// phone's server), merged, and marked to go to the server at the next sync. A bad file
    /// changes nothing (`InvalidInput` with `bundle_damaged`, `bundle_not_from_team`, …).
    pub fn import_bundle(&self, bundle: Vec<u8>) -> Result<BundleImport> {
        self.with(|store| {
            let done = store.import_bundle(&bundle)?;
            Ok(BundleImport {
                new_records: done.new_records,
                updated_records: done.updated_records,
                refused: done.refused,
                sender: done.sender.to_string(),
                acknowledgement: done.acknowledgement,
            })
        })
    }
}
