//! The encrypted store (SQLCipher, ADR 0013): the app's key, applied as the first statement of
//! every connection, and the one-time, crash-safe encryption of an existing plain store.
//!
//! The key is 32 random bytes the app keeps in the platform keystore (Android Keystore, an iOS
//! Keychain item). It is given to SQLCipher as a *raw* key (`PRAGMA key = "x'…'"`), so opening
//! costs no key derivation (SQLCipher's PBKDF2 with 256,000 iterations is for passphrases).

use std::fmt;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, ErrorCode, OptionalExtension};
use zeroize::Zeroizing;

use super::error::{StoreError, StoreResult};
use super::schema;

/// Length of a store key in bytes (SQLCipher's AES-256 key).
pub const KEY_LEN: usize = 32;

/// SQLite's file header: a plain (unencrypted) database starts with it; an encrypted one starts
/// with its random salt.
const PLAIN_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// The key of an encrypted store. Its bytes are zeroed when it is dropped, and `Debug` does not
/// show them.
///
/// ```
/// use danvan_core::store::StoreKey;
/// let key = StoreKey::from_slice(&[7u8; 32])?;
/// assert_eq!(format!("{key:?}"), "StoreKey(..)");
/// assert!(StoreKey::from_slice(&[7u8; 16]).is_err());
/// # Ok::<(), danvan_core::store::StoreError>(())
/// ```
#[derive(Clone)]
pub struct StoreKey(Zeroizing<[u8; KEY_LEN]>);

impl StoreKey {
    /// A key from its 32 bytes.
    pub fn new(bytes: [u8; KEY_LEN]) -> StoreKey {
        StoreKey(Zeroizing::new(bytes))
    }

    /// A key from a slice, which must be exactly [`KEY_LEN`] bytes long
    /// ([`StoreError::BadKeyLength`] otherwise).
    pub fn from_slice(bytes: &[u8]) -> Result<StoreKey, StoreError> {
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        if bytes.len() != KEY_LEN {
            return Err(StoreError::BadKeyLength(bytes.len()));
        }
        key.copy_from_slice(bytes);
        Ok(StoreKey(key))
    }

    /// A key from a vector (as the bindings receive it), which is zeroed once copied.
    pub fn from_vec(mut bytes: Vec<u8>) -> Result<StoreKey, StoreError> {
        let key = StoreKey::from_slice(&bytes);
        zeroize::Zeroize::zeroize(&mut bytes);
        key
    }

    /// The key's bytes (to derive the attachments' key from).
    pub(crate) fn bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// SQLCipher's raw-key literal `x'<64 hex digits>'`, zeroed when dropped (written into a
    /// buffer of its final size, so no reallocation leaves a copy behind).
    fn raw_literal(&self) -> Zeroizing<String> {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut s = Zeroizing::new(String::with_capacity(2 * KEY_LEN + 3));
        s.push_str("x'");
        for b in self.0.iter() {
            s.push(char::from(HEX[usize::from(b >> 4)]));
            s.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
        s.push('\'');
        s
    }
}

impl fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StoreKey(..)")
    }
}

/// Give `conn` its key — the first statement on the connection — and check that it opens the
/// file: SQLCipher is compiled in, and `sqlite_master` can be read ([`StoreError::WrongKey`]
/// if not). Nothing is written to the file.
pub(crate) fn unlock(conn: &Connection, key: &StoreKey) -> StoreResult<()> {
    let literal = key.raw_literal();
    let mut sql = Zeroizing::new(String::with_capacity(literal.len() + 16));
    sql.push_str("PRAGMA key = \"");
    sql.push_str(&literal);
    sql.push_str("\";");
    // SQLite keeps its own copy of a statement's text until the statement is finalized (at
    // once, here); that copy is freed, not zeroed. Ours are zeroed on drop.
    conn.execute_batch(&sql)?;
    // Plain SQLite ignores unknown pragmas, `key` included: never let that pass silently.
    let version: Option<String> = conn
        .query_row("PRAGMA cipher_version", [], |r| r.get(0))
        .optional()?;
    if version.is_none_or(|v| v.is_empty()) {
        return Err(StoreError::EncryptionUnavailable);
    }
    match conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    }) {
        Ok(_) => Ok(()),
        // SQLCipher reports a page it cannot authenticate with this key as "not a database".
        Err(e) if e.sqlite_error_code() == Some(ErrorCode::NotADatabase) => {
            Err(StoreError::WrongKey)
        }
        Err(e) => Err(e.into()),
    }
}

/// Whether the file at `path` is a plain SQLite database (starts with SQLite's header).
/// A missing or empty file is not.
pub(crate) fn is_plain(path: &Path) -> StoreResult<bool> {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e.into()),
    };
    let mut header = Vec::with_capacity(16);
    file.by_ref().take(16).read_to_end(&mut header)?;
    Ok(header == PLAIN_HEADER)
}

/// The file a plain store is encrypted into before it replaces the store.
pub(crate) fn encrypting_path(path: &Path) -> PathBuf {
    super::with_suffix(path, ".encrypting")
}

/// Remove what an interrupted encryption left beside the store (the half-written copy and its
/// rollback journal). The plain store itself is untouched until the final rename.
pub(crate) fn remove_leftovers(path: &Path) -> StoreResult<()> {
    let tmp = encrypting_path(path);
    for p in [super::with_suffix(&tmp, "-journal"), tmp] {
        match std::fs::remove_file(&p) {
            Ok(()) => tracing::info!(path = %p.display(), "removed an interrupted encryption"),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Encrypt the plain store at `path` with `key`, once, in place. The caller holds the writer
/// lock.
///
/// 1. Check that the plain file is a danvan store of this device (a foreign, newer or other
///    device's file is refused untouched) and fold its WAL into it
///    (`wal_checkpoint(TRUNCATE)`), so the plain file alone holds every commit.
/// 2. `sqlcipher_export` it into `<path>.encrypting` (same directory, so the rename is atomic),
///    with the schema version and application id, which the export does not copy.
/// 3. fsync the copy, close the plain store, remove its (empty) `-wal` and its `-shm`.
/// 4. Rename the copy over the store and fsync the directory.
///
/// Interrupted anywhere before 4, the plain store is still there, complete, and the next open
/// with a key starts again ([`remove_leftovers`]); after 4, the store is the encrypted copy.
pub(crate) fn encrypt_plain(path: &Path, key: &StoreKey, device: &str) -> StoreResult<()> {
    let _span = tracing::info_span!("store.encrypt").entered();
    remove_leftovers(path)?;
    let tmp = encrypting_path(path);
    let conn = Connection::open(path)?;
    let Some(version) = schema::inspect(&conn)? else {
        // An empty SQLite file (no table yet): nothing to keep, start an encrypted one.
        drop(conn);
        remove_plain(path)?;
        return Ok(());
    };
    if let Some(stored) = schema::meta_get(&conn, super::DEVICE_KEY)?
        && stored != device
    {
        return Err(StoreError::WrongDevice {
            stored,
            given: device.to_string(),
        });
    }
    let (busy, _, _): (i64, i64, i64) =
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })?;
    if busy != 0 {
        return Err(StoreError::InUse);
    }
    let app_id: i32 = conn.pragma_query_value(None, "application_id", |r| r.get(0))?;
    let tmp_name = tmp.to_str().ok_or_else(|| {
        StoreError::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the store's path is not UTF-8",
        ))
    })?;
    conn.execute(
        "ATTACH DATABASE ?1 AS encrypted KEY ?2",
        rusqlite::params![tmp_name, key.raw_literal().as_str()],
    )?;
    conn.query_row("SELECT sqlcipher_export('encrypted')", [], |_| Ok(()))?;
    conn.execute_batch(&format!(
        "PRAGMA encrypted.user_version = {version}; \
         PRAGMA encrypted.application_id = {app_id}; \
         DETACH DATABASE encrypted;"
    ))?;
    File::open(&tmp)?.sync_all()?;
    drop(conn);
    remove_plain_side_files(path)?;
    std::fs::rename(&tmp, path)?;
    sync_dir(path)?;
    tracing::info!("plain store encrypted");
    Ok(())
}

/// Remove an empty plain database (and its side files) so that an encrypted one is created in
/// its place.
fn remove_plain(path: &Path) -> StoreResult<()> {
    remove_plain_side_files(path)?;
    std::fs::remove_file(path)?;
    sync_dir(path)
}

fn remove_plain_side_files(path: &Path) -> StoreResult<()> {
    for suffix in ["-wal", "-shm", "-journal"] {
        match std::fs::remove_file(super::with_suffix(path, suffix)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// fsync the directory of `path`, so a rename or removal in it is durable (Unix; elsewhere a
/// directory cannot be opened as a file and the rename is left to the file system).
fn sync_dir(path: &Path) -> StoreResult<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if cfg!(unix) {
        File::open(dir)?.sync_all()?;
    }
    Ok(())
}
