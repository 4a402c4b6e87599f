//! # danvan-core
//!
//! The shared core that a phone runs with no network: the three record kinds of Vietnam's
//! grassroots governance (mediation cases, people's inspection activities, grassroots-democracy
//! checks) as Automerge documents, their validation and lifecycle rules, the offline store and
//! the sans-I/O sync engine.
//!
//! ```
//! use danvan_core::{Record, RecordBody, RecordDoc, model::common::Date};
//! # use danvan_core::model::mediation::*;
//! let device = uuid::Uuid::now_v7();
//! let body = RecordBody::Mediation(MediationCase::example());
//! let record = Record::new("31-T0001", device.to_string(), Date::ymd(2025, 9, 2).unwrap(), body);
//! let mut doc = RecordDoc::create(&record, &device).unwrap();
//! assert_eq!(doc.record().unwrap(), record);
//! assert!(doc.conflicts().is_empty());
//! ```

pub mod attachment;
pub mod config;
mod conflict;
mod doc;
pub mod error;
pub mod facts;
pub mod label;
pub mod lifecycle;
pub mod model;
pub mod peer;
mod record;
#[cfg(feature = "store")]
pub mod store;
pub mod sync;
pub mod validate;

pub use config::RulesConfig;
pub use conflict::{Conflict, ConflictValue, STATUS_PATH};
pub use doc::{
    RecordDoc, actor_for_device, device_for_actor, hydrate_checked, hydrate_record, unknown_keys,
};
pub use error::{CoreError, Result};
pub use label::{Coded, Label, Lang};
pub use lifecycle::{Lifecycle, Overdue, StatusChange};
pub use record::{
    Envelope, IndexFields, KindRules, Record, RecordBody, RecordKind, SCHEMA_VERSION,
};
pub use validate::ValidationIssue;

// Re-exported so that `coded_enum!` works in other crates.
/// Automerge, as core uses it (change hashes and actor ids in the server's merge hooks).
pub use automerge;
#[doc(hidden)]
pub use autosurgeon;
#[doc(hidden)]
pub use serde;
