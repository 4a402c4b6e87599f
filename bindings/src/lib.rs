//! # danvan-bindings
//!
//! The thin uniffi layer (namespace `danvan`) over `danvan-core` that the Kotlin (Android, JVM)
//! and Swift (iOS) apps call. Wrappers convert, delegate to core, and convert back: no business
//! rule lives here (validation, lifecycles, deadlines, conflicts and sync are core's).
//!
//! - [`DanvanStore`]: open/close the offline store at a path with the device's identity; create,
//!   edit, list and search records of the three kinds (a mediation case through the typed
//!   [`MediationCase`] form, any kind as JSON); lifecycle transitions; conflicts and their
//!   resolution (status conflicts at path `"status"`); rules left for review by a merge;
//!   overdue items; home-screen summary; per-record sync state and the way out of a rejection
//!   (discard the refused change, or resend); citizens' petitions through the typed [`Petition`]
//!   (accept, forward / return / file, extend, resolve, deadlines, overdue petitions) and
//!   leaders' dialogues through [`Dialogue`] (issues, commitments, follow-ups, overdue
//!   commitments); sync over the
//!   built-in HTTP transport or an app-supplied [`SyncTransport`], with a [`SyncListener`].
//! - [`enroll`] / [`enroll_with`]: exchange a one-time code for [`DeviceCredentials`].
//! - [`codes`] / [`label`]: Vietnamese and English labels of every enumerated code.
//! - [`DanvanError`]: one small error enum, messages in both languages ([`error_message`]).
//! - [`set_log_listener`]: the core's `tracing` logs to the app's [`LogListener`].
//!
//! ```
//! use danvan_bindings::*;
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("danvan.sqlite3").to_string_lossy().to_string();
//! let store = DanvanStore::open(path, uuid::Uuid::now_v7().to_string()).unwrap();
//! let json = example_body_json(RecordKind::Mediation).unwrap();
//! let rec = store
//!     .create_record_json(RecordKind::Mediation, "11533-T01".into(), "2025-09-02".into(), json)
//!     .unwrap();
//! assert_eq!(rec.status.vi, "Đã tiếp nhận");
//! assert_eq!(rec.sync.state, SyncState::LocalOnly);
//! assert_eq!(store.search("loi di".into()).unwrap()[0].id, rec.id);
//! ```

mod attachments;
mod dialogue;
mod error;
mod labels;
mod logging;
mod mediation;
mod peer;
mod petition;
mod store;
mod sync;
mod types;

pub use attachments::{AttachmentInfo, AttachmentListener, AttachmentState, AttachmentUpload};
pub use dialogue::{
    Dialogue, DialogueCommitment, DialogueFollowUp, DialogueIssue, DialogueParticipants,
    OverdueCommitment,
};
pub use error::{DanvanError, Result, error_message};
pub use labels::{code_lists, codes, label};
pub use logging::{LogLevel, LogListener, LogListenerError, set_log_listener};
pub use mediation::{MediationCase, Party, Person};
pub use peer::BundleImport;
pub use petition::{
    OverduePetition, Petition, PetitionDeadlines, PetitionExtension, PetitionResolution, Petitioner,
};
pub use store::{DanvanStore, RecordView, example_body_json};
pub use sync::{
    DeviceCredentials, Enrollment, HttpResponse, SyncListener, SyncProgress, SyncTransport, enroll,
    enroll_with,
};
pub use types::{
    CodeLabel, Conflict, ConflictValue, Discarded, HomeSummary, KindStatusCount, Language,
    ListFilter, OverdueItem, RecordKind, RecordRow, Rejection, StatusChange, SyncInfo, SyncState,
    ValidationIssue,
};

uniffi::setup_scaffolding!("danvan");
