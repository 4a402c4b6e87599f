//! Attachment bytes on the phone: content-addressed files in a directory beside the store
//! (`<store>.attachments/<sha256>`), encrypted when the store is (ADR 0014).
//!
//! - **Encrypted** (a store opened with a key): the file is `DVA1` followed by segments, each
//!   `[u32 LE length of the plain bytes][24-byte nonce][XChaCha20-Poly1305 ciphertext and tag]`,
//!   with the key derived from the store key by HKDF-SHA256 (info `danvan attachment v1`) and
//!   the associated data the blob's hash and the segment's number, so a segment cannot be moved
//!   to another place or another file unnoticed. A download appends one segment per piece
//!   received, so a cut transfer resumes from what is on disk.
//! - **Plain** (a plain store, for tests and tools): the file is the bytes.
//!
//! A blob is first written as `<sha256>.part`; it becomes `<sha256>` (renamed, after an fsync)
//! once its bytes hash to its name. A `.part` left by a cut download is the resume point.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::StoreError;
use super::key::StoreKey;

const MAGIC: &[u8; 4] = b"DVA1";
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;

/// The key attachments are encrypted with: HKDF-SHA256 of the store key.
pub(crate) struct BlobKey(Zeroizing<[u8; 32]>);

impl BlobKey {
    pub(crate) fn derive(store_key: &StoreKey) -> BlobKey {
        let hk = hkdf::Hkdf::<Sha256>::new(None, store_key.bytes());
        let mut okm = Zeroizing::new([0u8; 32]);
        // 32 bytes is far below HKDF-SHA256's limit (255 × 32): this cannot fail.
        if hk.expand(b"danvan attachment v1", okm.as_mut()).is_err() {
            unreachable!("HKDF-SHA256 output of 32 bytes");
        }
        BlobKey(okm)
    }
}

impl std::fmt::Debug for BlobKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BlobKey(..)")
    }
}

/// The attachment directory of a store and how its files are sealed.
#[derive(Debug)]
pub(crate) struct Blobs {
    dir: PathBuf,
    key: Option<BlobKey>,
}

/// SHA-256 of `bytes`, lowercase hex.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    crate::sync::hex_lower(&Sha256::digest(bytes))
}

fn corrupt(sha: &str, what: &str) -> StoreError {
    StoreError::Corrupt(format!("attachment {sha}: {what}"))
}

impl Blobs {
    pub(crate) fn new(store_path: &Path, key: Option<BlobKey>) -> Blobs {
        Blobs {
            dir: super::with_suffix(store_path, ".attachments"),
            key,
        }
    }

    fn path(&self, sha: &str) -> PathBuf {
        self.dir.join(sha)
    }

    fn part_path(&self, sha: &str) -> PathBuf {
        self.dir.join(format!("{sha}.part"))
    }

    /// Whether the whole blob `sha` is here.
    pub(crate) fn has(&self, sha: &str) -> bool {
        self.path(sha).is_file()
    }

    fn seal(&self, key: &BlobKey, sha: &str, index: u64, plain: &[u8]) -> Vec<u8> {
        let cipher = XChaCha20Poly1305::new(key.0.as_ref().into());
        let mut nonce = [0u8; NONCE_LEN];
        getrandom(&mut nonce);
        let aad = aad(sha, index);
        // Encryption of an in-memory buffer under a valid key does not fail.
        let sealed = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: &aad,
                },
            )
            .unwrap_or_default();
        let mut out = Vec::with_capacity(4 + NONCE_LEN + sealed.len());
        out.extend_from_slice(&(plain.len() as u32).to_le_bytes());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    /// Append `plain` to the partial file of `sha` (one segment when encrypted), fsynced.
    /// Returns how many plain bytes the partial file now holds.
    pub(crate) fn append_part(&self, sha: &str, plain: &[u8]) -> Result<u64, StoreError> {
        std::fs::create_dir_all(&self.dir)?;
        let path = self.part_path(sha);
        let had = self.part_len(sha)?;
        let mut file = OpenOptions::new().create(true).append(true).open(&path)?;
        match &self.key {
            None => file.write_all(plain)?,
            Some(key) => {
                if file.metadata()?.len() == 0 {
                    file.write_all(MAGIC)?;
                }
                let index = self.segment_count(sha)?;
                file.write_all(&self.seal(key, sha, index, plain))?;
            }
        }
        file.sync_all()?;
        Ok(had + plain.len() as u64)
    }

    fn segment_count(&self, sha: &str) -> Result<u64, StoreError> {
        Ok(self.segments(&self.part_path(sha), sha, false)?.1)
    }

    /// How many plain bytes the partial file of `sha` holds (0 when there is none). A torn last
    /// segment (the phone died while writing it) is cut off.
    pub(crate) fn part_len(&self, sha: &str) -> Result<u64, StoreError> {
        let path = self.part_path(sha);
        if !path.exists() {
            return Ok(0);
        }
        match &self.key {
            None => Ok(std::fs::metadata(&path)?.len()),
            Some(_) => Ok(self.segments(&path, sha, true)?.0),
        }
    }

    /// Walk the segments of an encrypted file: (plain bytes, segments). With `repair`, a torn
    /// tail is truncated away; without, it is an error.
    fn segments(&self, path: &Path, sha: &str, repair: bool) -> Result<(u64, u64), StoreError> {
        if self.key.is_none() || !path.exists() {
            return Ok((0, 0));
        }
        let bytes = std::fs::read(path)?;
        if bytes.is_empty() {
            return Ok((0, 0));
        }
        let mut at = MAGIC.len();
        if !bytes.starts_with(MAGIC) {
            return Err(corrupt(sha, "not an attachment file"));
        }
        let (mut plain, mut count) = (0u64, 0u64);
        while at < bytes.len() {
            let Some(len) = bytes
                .get(at..at + 4)
                .and_then(|b| <[u8; 4]>::try_from(b).ok())
                .map(u32::from_le_bytes)
            else {
                break;
            };
            let end = at + 4 + NONCE_LEN + len as usize + TAG_LEN;
            if end > bytes.len() {
                break;
            }
            plain += u64::from(len);
            count += 1;
            at = end;
        }
        if at < bytes.len() {
            if !repair {
                return Err(corrupt(sha, "torn segment"));
            }
            let file = OpenOptions::new().write(true).open(path)?;
            file.set_len(at as u64)?;
            file.sync_all()?;
        }
        Ok((plain, count))
    }

    fn open_file(&self, path: &Path, sha: &str) -> Result<Vec<u8>, StoreError> {
        let mut bytes = Vec::new();
        File::open(path)?.read_to_end(&mut bytes)?;
        let Some(key) = &self.key else {
            return Ok(bytes);
        };
        if bytes.is_empty() {
            return Ok(bytes);
        }
        if !bytes.starts_with(MAGIC) {
            return Err(corrupt(sha, "not an attachment file"));
        }
        let cipher = XChaCha20Poly1305::new(key.0.as_ref().into());
        let mut out = Vec::new();
        let mut at = MAGIC.len();
        let mut index = 0u64;
        while at < bytes.len() {
            let len = bytes
                .get(at..at + 4)
                .and_then(|b| <[u8; 4]>::try_from(b).ok())
                .map(u32::from_le_bytes)
                .ok_or_else(|| corrupt(sha, "torn segment"))? as usize;
            let nonce_at = at + 4;
            let data_at = nonce_at + NONCE_LEN;
            let end = data_at + len + TAG_LEN;
            let (Some(nonce), Some(data)) = (bytes.get(nonce_at..data_at), bytes.get(data_at..end))
            else {
                return Err(corrupt(sha, "torn segment"));
            };
            let plain = cipher
                .decrypt(
                    XNonce::from_slice(nonce),
                    Payload {
                        msg: data,
                        aad: &aad(sha, index),
                    },
                )
                .map_err(|_| corrupt(sha, "does not decrypt with this store's key"))?;
            out.extend_from_slice(&plain);
            at = end;
            index += 1;
        }
        Ok(out)
    }

    /// The plain bytes of the partial file of `sha`.
    pub(crate) fn read_part(&self, sha: &str) -> Result<Vec<u8>, StoreError> {
        let path = self.part_path(sha);
        if !path.exists() {
            return Ok(Vec::new());
        }
        self.open_file(&path, sha)
    }

    /// Turn the partial file of `sha` into the blob, if its bytes hash to `sha`; otherwise
    /// remove it (the transfer starts again) and say so.
    pub(crate) fn finish_part(&self, sha: &str) -> Result<bool, StoreError> {
        let plain = self.read_part(sha)?;
        if sha256_hex(&plain) != sha {
            std::fs::remove_file(self.part_path(sha))?;
            return Ok(false);
        }
        std::fs::rename(self.part_path(sha), self.path(sha))?;
        sync_dir(&self.dir)?;
        Ok(true)
    }

    /// Store `plain` as the blob `sha` (its hash, computed by the caller), replacing any partial
    /// file. Idempotent: an existing blob is left as it is.
    pub(crate) fn put(&self, sha: &str, plain: &[u8]) -> Result<(), StoreError> {
        if self.has(sha) {
            return Ok(());
        }
        let part = self.part_path(sha);
        if part.exists() {
            std::fs::remove_file(&part)?;
        }
        self.append_part(sha, plain)?;
        if !self.finish_part(sha)? {
            return Err(corrupt(sha, "bytes do not match their hash"));
        }
        Ok(())
    }

    /// The plain bytes of blob `sha`, checked against its hash; `None` if it is not here.
    pub(crate) fn get(&self, sha: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let path = self.path(sha);
        if !path.exists() {
            return Ok(None);
        }
        let plain = self.open_file(&path, sha)?;
        if sha256_hex(&plain) != sha {
            return Err(corrupt(sha, "bytes do not match their hash"));
        }
        Ok(Some(plain))
    }

    /// Every file in the directory, for tests: (name, raw bytes on disk).
    #[cfg(test)]
    pub(crate) fn raw_files(&self) -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::new();
        if let Ok(entries) = std::fs::read_dir(&self.dir) {
            for e in entries.flatten() {
                if let Ok(bytes) = std::fs::read(e.path()) {
                    out.push((e.file_name().to_string_lossy().into_owned(), bytes));
                }
            }
        }
        out
    }
}

fn aad(sha: &str, index: u64) -> Vec<u8> {
    let mut aad = Vec::with_capacity(sha.len() + 8);
    aad.extend_from_slice(sha.as_bytes());
    aad.extend_from_slice(&index.to_le_bytes());
    aad
}

fn getrandom(out: &mut [u8]) {
    use chacha20poly1305::aead::OsRng;
    use chacha20poly1305::aead::rand_core::RngCore;
    OsRng.fill_bytes(out);
}

fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blobs(dir: &Path, key: Option<[u8; 32]>) -> Blobs {
        Blobs::new(
            &dir.join("s.sqlite3"),
            key.map(|k| BlobKey::derive(&StoreKey::new(k))),
        )
    }

    #[test]
    fn encrypted_blobs_round_trip_and_hide_their_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let b = blobs(dir.path(), Some([9; 32]));
        let plain = b"bien ban hoa giai thanh - chu ky hai ben".repeat(100);
        let sha = sha256_hex(&plain);
        b.put(&sha, &plain).unwrap();
        assert_eq!(b.get(&sha).unwrap().as_deref(), Some(plain.as_slice()));
        let raw = b.raw_files();
        assert_eq!(raw.len(), 1);
        assert!(
            !raw[0].1.windows(8).any(|w| w == b"bien ban"),
            "plain text on disk"
        );
        // Another key does not open it.
        let other = blobs(dir.path(), Some([8; 32]));
        assert!(matches!(other.get(&sha), Err(StoreError::Corrupt(_))));
    }

    #[test]
    fn a_cut_download_resumes_from_its_segments() {
        let dir = tempfile::tempdir().unwrap();
        for key in [None, Some([3; 32])] {
            let b = blobs(dir.path(), key);
            let plain: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
            let sha = sha256_hex(&plain);
            assert_eq!(b.append_part(&sha, &plain[..30_000]).unwrap(), 30_000);
            assert_eq!(b.append_part(&sha, &plain[30_000..60_000]).unwrap(), 60_000);
            // A torn write of the next segment is cut off on the next look.
            if key.is_some() {
                let mut f = OpenOptions::new()
                    .append(true)
                    .open(b.part_path(&sha))
                    .unwrap();
                f.write_all(&[1, 2, 3, 4, 5, 6, 7]).unwrap();
            }
            assert_eq!(b.part_len(&sha).unwrap(), 60_000);
            b.append_part(&sha, &plain[60_000..]).unwrap();
            assert!(b.finish_part(&sha).unwrap());
            assert_eq!(b.get(&sha).unwrap().unwrap(), plain);
            // Wrong bytes under a name are never kept.
            let wrong = "0".repeat(64);
            b.append_part(&wrong, b"not these").unwrap();
            assert!(!b.finish_part(&wrong).unwrap());
            assert!(!b.has(&wrong));
            assert_eq!(b.part_len(&wrong).unwrap(), 0);
            std::fs::remove_dir_all(dir.path().join("s.sqlite3.attachments")).unwrap();
        }
    }
}
