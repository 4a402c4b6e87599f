//! Validation results shared by the phone and the server.
//!
//! Rules live next to each record kind (`model::*`); this module holds what they report. The
//! server runs exactly the same rules on every merged document (docs/design.md decision 3).

use serde::{Deserialize, Serialize};

use crate::label::Lang;

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
