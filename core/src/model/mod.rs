//! The three record kinds of `domain.md`, their enums, rules and status machines.

pub mod common;
pub mod democracy;
pub mod inspection;
pub mod mediation;

pub use democracy::DemocracyCheck;
pub use inspection::InspectionActivity;
pub use mediation::MediationCase;
