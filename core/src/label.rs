//! Stable codes with Vietnamese and English labels.
//!
//! Every enumerated value in a record is stored and sent by its **code** (a short, stable,
//! lower-case ASCII string that never changes once released) and shown by its **label** in the
//! user's language. [`coded_enum!`](crate::coded_enum) declares such an enum once and derives
//! everything else: parsing, display, serde, and the Automerge (autosurgeon) mapping.

use serde::{Deserialize, Serialize};

/// The languages the product speaks. Vietnamese first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Tiếng Việt — the users' language and the default.
    #[default]
    Vi,
    /// English.
    En,
}

impl Lang {
    /// Parse `vi`/`en` (anything else falls back to Vietnamese).
    pub fn parse(s: &str) -> Lang {
        if s.eq_ignore_ascii_case("en") {
            Lang::En
        } else {
            Lang::Vi
        }
    }
}

/// A text in both languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Label {
    /// Vietnamese.
    pub vi: &'static str,
    /// English.
    pub en: &'static str,
}

impl Label {
    /// The text in `lang`.
    pub fn get(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::Vi => self.vi,
            Lang::En => self.en,
        }
    }
}

/// An enum whose values have stable codes and bilingual labels.
pub trait Coded: Sized + Copy + 'static {
    /// Name of the enum, used in error messages (`"mediation.category"`).
    const WHAT: &'static str;
    /// Every value, in display order.
    fn all() -> &'static [Self];
    /// The stable code.
    fn code(&self) -> &'static str;
    /// The bilingual label.
    fn label(&self) -> Label;
    /// Parse a code.
    fn from_code(code: &str) -> Option<Self> {
        Self::all().iter().copied().find(|v| v.code() == code)
    }
}

/// Declare an enum with stable codes and Vietnamese/English labels.
///
/// ```
/// danvan_core::coded_enum! {
///     /// Whether a party agreed.
///     pub enum Answer : "example.answer" {
///         /// Yes.
///         Yes = ("yes", "Có", "Yes"),
///         /// No.
///         No = ("no", "Không", "No"),
///     }
/// }
/// use danvan_core::{Coded, Lang};
/// assert_eq!(Answer::from_code("no"), Some(Answer::No));
/// assert_eq!(Answer::Yes.label().get(Lang::Vi), "Có");
/// ```
#[macro_export]
macro_rules! coded_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident : $what:literal {
            $( $(#[$vmeta:meta])* $var:ident = ($code:literal, $vi:literal, $en:literal) ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $name {
            $( $(#[$vmeta])* $var ),+
        }

        impl $crate::Coded for $name {
            const WHAT: &'static str = $what;
            fn all() -> &'static [Self] {
                &[$($name::$var),+]
            }
            fn code(&self) -> &'static str {
                match self { $($name::$var => $code),+ }
            }
            fn label(&self) -> $crate::Label {
                match self { $($name::$var => $crate::Label { vi: $vi, en: $en }),+ }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str($crate::Coded::code(self))
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::CoreError;
            fn from_str(s: &str) -> ::std::result::Result<Self, Self::Err> {
                <$name as $crate::Coded>::from_code(s).ok_or_else(|| $crate::CoreError::UnknownCode {
                    what: $what,
                    code: s.to_string(),
                })
            }
        }

        impl $crate::serde::Serialize for $name {
            fn serialize<S: $crate::serde::Serializer>(&self, s: S) -> ::std::result::Result<S::Ok, S::Error> {
                s.serialize_str($crate::Coded::code(self))
            }
        }

        impl<'de> $crate::serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::serde::Deserializer<'de>>(d: D) -> ::std::result::Result<Self, D::Error> {
                let s = <::std::borrow::Cow<'de, str> as $crate::serde::Deserialize>::deserialize(d)?;
                <$name as $crate::Coded>::from_code(&s)
                    .ok_or_else(|| $crate::serde::de::Error::custom(format!("unknown code {s:?} for {}", $what)))
            }
        }

        impl $crate::autosurgeon::Reconcile for $name {
            type Key<'a> = $crate::autosurgeon::reconcile::NoKey;
            fn reconcile<R: $crate::autosurgeon::Reconciler>(&self, reconciler: R) -> ::std::result::Result<(), R::Error> {
                $crate::autosurgeon::Reconcile::reconcile($crate::Coded::code(self), reconciler)
            }
        }

        impl $crate::autosurgeon::Hydrate for $name {
            fn hydrate_string(s: &'_ str) -> ::std::result::Result<Self, $crate::autosurgeon::HydrateError> {
                <$name as $crate::Coded>::from_code(s).ok_or_else(|| {
                    $crate::autosurgeon::HydrateError::unexpected(concat!("a code of ", $what), s.to_string())
                })
            }
        }
    };
}
