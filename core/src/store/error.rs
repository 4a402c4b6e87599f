//! Errors of the offline store.
//!
//! Messages never carry record contents or personal data: only ids, codes and numbers.

use rusqlite::ErrorCode;

/// Everything that can go wrong in the offline store itself (record-level problems such as
/// validation stay [`crate::CoreError`] variants).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file is not a danvan store: random bytes, or an SQLite database of another
    /// application.
    #[error("not a danvan store")]
    NotADanvanStore,
    /// The file is a danvan store but its pages are damaged.
    #[error("the store is corrupt: {0}")]
    Corrupt(String),
    /// The store was written by a newer version of the app.
    #[error("store schema version {found} is newer than this app supports ({supported})")]
    TooNew {
        /// Schema version found in the file.
        found: u32,
        /// Highest schema version this build knows.
        supported: u32,
    },
    /// The store belongs to another device (another Automerge actor): one writer per actor.
    #[error("the store belongs to device {stored}, not {given}")]
    WrongDevice {
        /// Device id recorded in the store.
        stored: String,
        /// Device id given to `open`.
        given: String,
    },
    /// The key does not open this encrypted store (or the file is not a store at all: without
    /// the right key the two look the same). Nothing was changed.
    #[error("the store could not be opened: wrong key")]
    WrongKey,
    /// A store key must be exactly 32 bytes.
    #[error("a store key is 32 bytes, not {0}")]
    BadKeyLength(usize),
    /// This build's SQLite has no encryption (SQLCipher is not compiled in): an encrypted store
    /// is never opened or created as a plain one.
    #[error("this build cannot encrypt the store (SQLCipher is not compiled in)")]
    EncryptionUnavailable,
    /// Another `Store` (in this or another process) has the file open for writing.
    #[error("the store is already open by another writer")]
    InUse,
    /// A file-system error around the database (lock file, directory).
    #[error("store i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// Any other SQLite error (boxed: keeps `CoreError` small).
    #[error("database error: {0}")]
    Sqlite(Box<rusqlite::Error>),
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(ErrorCode::NotADatabase) => StoreError::NotADanvanStore,
            Some(ErrorCode::DatabaseCorrupt) => StoreError::Corrupt(e.to_string()),
            // A text column that is not UTF-8 was never written by the store (it writes Rust
            // strings): damaged pages SQLite's own checks did not catch.
            _ if matches!(e, rusqlite::Error::Utf8Error(..)) => {
                StoreError::Corrupt("a text column is not UTF-8".into())
            }
            _ => StoreError::Sqlite(Box::new(e)),
        }
    }
}

impl From<rusqlite::Error> for crate::CoreError {
    fn from(e: rusqlite::Error) -> Self {
        crate::CoreError::Store(e.into())
    }
}

/// Result alias of the store's internal functions.
pub(crate) type StoreResult<T> = std::result::Result<T, StoreError>;
