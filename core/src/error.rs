//! The core's error type.

use crate::validate::ValidationIssue;

/// Everything that can go wrong in `danvan-core`.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// The bytes are not an Automerge document, or not one of ours.
    #[error("not a danvan record document: {0}")]
    BadDocument(String),
    /// The document could not be read into a record (missing or mistyped field).
    #[error("record document has an unexpected shape: {0}")]
    Hydrate(Box<autosurgeon::HydrateError>),
    /// Writing the record into its document failed.
    #[error("could not write record into its document: {0}")]
    Reconcile(Box<autosurgeon::ReconcileError>),
    /// An Automerge operation failed.
    #[error("automerge: {0}")]
    Automerge(Box<automerge::AutomergeError>),
    /// The record breaks one or more validation rules.
    #[error("record is invalid: {} issue(s), first: {}", .0.len(), .0.first().map(|i| i.field.as_str()).unwrap_or(""))]
    Invalid(Vec<ValidationIssue>),
    /// A status change that the record's lifecycle does not allow.
    #[error("status change {from} -> {to} is not allowed")]
    Transition {
        /// Current status code.
        from: String,
        /// Requested status code.
        to: String,
    },
    /// An enum code that this version does not know.
    #[error("unknown code {code:?} for {what}")]
    UnknownCode {
        /// The enum that was parsed.
        what: &'static str,
        /// The code received.
        code: String,
    },
    /// Sync with the server failed.
    #[error("sync: {0}")]
    Sync(Box<crate::sync::SyncError>),
    /// A record or object that does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// A phone-to-phone file or certificate is not accepted (ADR 0014).
    #[error("phone-to-phone: {0}")]
    Peer(#[from] crate::peer::PeerError),
    /// The offline store failed (database error, foreign or corrupt file, wrong device…).
    #[cfg(feature = "store")]
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

// The Automerge and autosurgeon errors are large (120 bytes); boxed, every `Result` stays small.
impl From<autosurgeon::HydrateError> for CoreError {
    fn from(e: autosurgeon::HydrateError) -> Self {
        CoreError::Hydrate(Box::new(e))
    }
}

impl From<autosurgeon::ReconcileError> for CoreError {
    fn from(e: autosurgeon::ReconcileError) -> Self {
        CoreError::Reconcile(Box::new(e))
    }
}

impl From<automerge::AutomergeError> for CoreError {
    fn from(e: automerge::AutomergeError) -> Self {
        CoreError::Automerge(Box::new(e))
    }
}

/// Result alias for the core.
pub type Result<T, E = CoreError> = std::result::Result<T, E>;
