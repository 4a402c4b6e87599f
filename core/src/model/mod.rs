//! The record kinds of `docs/domain.md`, their enums, rules and status machines.
//!
//! Each kind lives in its own folder: `mod.rs` holds the body structs (what is stored in the
//! Automerge document), `enums.rs` the coded enums, `rules.rs` validation, lifecycle, overdue
//! and index projection, `example.rs` the example bodies other code and tests build on.

pub mod common;
pub mod democracy;
pub mod dialogue;
pub mod inspection;
pub mod mediation;
pub(crate) mod numbers;
pub mod people;
pub mod petition;
pub(crate) mod rules;

pub use democracy::DemocracyCheck;
pub use dialogue::Dialogue;
pub use inspection::InspectionActivity;
pub use mediation::MediationCase;
pub use people::PersonEntry;
pub use petition::Petition;
