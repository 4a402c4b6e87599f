//! Validation results shared by the phone and the server.
//!
//! Rules live next to each record kind (`model::*`); this module holds what they report. The
//! server runs exactly the same rules on every merged document (docs/design.md decision 3).

use serde::{Deserialize, Serialize};

use crate::label::Lang;

/// Stable codes of the status history's rules and of the server's checks of pushed history
/// entries (ADR 0007, ADR 0009). A rejected push names them in its detail as `field:code`.
pub mod codes {
    /// A history entry the kind's status machine does not allow from the status it follows.
    pub const BAD_TRANSITION: &str = "bad_transition";
    /// A correction that does not undo exactly the closing it names.
    pub const BAD_CORRECTION: &str = "bad_correction";
    /// A correction without a reason.
    pub const CORRECTION_REASON_REQUIRED: &str = "correction_reason_required";
    /// A closing corrected a second time.
    pub const ALREADY_CORRECTED: &str = "already_corrected";
    /// A correction of an entry that did not close the record.
    pub const NOT_CLOSING: &str = "not_closing";
    /// A correction of a closing that is not the latest one in force.
    pub const NOT_LATEST_CLOSING: &str = "not_latest_closing";
    /// A correction pushed by a device whose role may not correct this kind of record.
    pub const CORRECTION_NOT_ALLOWED: &str = "correction_not_allowed";
}

/// One broken rule: which field, a stable code, and the message in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationIssue {
    /// Dotted path of the field, e.g. `mediation.started_on` or `inspection.recommendations[2].sent_on`.
    pub field: String,
    /// Stable machine-readable rule code, e.g. `required`, `date_order`, `unknown_code`.
    pub code: String,
    /// Vietnamese message.
    pub vi: String,
    /// English message.
    pub en: String,
}

impl ValidationIssue {
    /// Build an issue.
    pub fn new(
        field: impl Into<String>,
        code: impl Into<String>,
        vi: impl Into<String>,
        en: impl Into<String>,
    ) -> Self {
        ValidationIssue {
            field: field.into(),
            code: code.into(),
            vi: vi.into(),
            en: en.into(),
        }
    }

    /// A required field is missing or blank.
    pub fn required(field: impl Into<String>, vi_name: &str, en_name: &str) -> Self {
        Self::new(
            field,
            "required",
            format!("Chưa nhập {vi_name}."),
            format!("{en_name} is required."),
        )
    }

    /// A correction of a closing needs its reason.
    pub fn correction_reason_required(field: impl Into<String>) -> Self {
        Self::new(
            field,
            codes::CORRECTION_REASON_REQUIRED,
            "Phải ghi lý do đính chính.",
            "A correction needs a reason.",
        )
    }

    /// `later` must not be before `earlier`.
    pub fn date_order(field: impl Into<String>, vi: &str, en: &str) -> Self {
        Self::new(field, "date_order", vi.to_string(), en.to_string())
    }

    /// The message in `lang`.
    pub fn message(&self, lang: Lang) -> &str {
        match lang {
            Lang::Vi => &self.vi,
            Lang::En => &self.en,
        }
    }
}

impl std::fmt::Display for ValidationIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.en)
    }
}
