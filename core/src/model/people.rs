//! People listed in a record (mediators, invited persons, board members, checkers).

use autosurgeon::{Hydrate, Reconcile};
use serde::{Deserialize, Serialize};

use crate::model::common::{PersonRef, new_item_id};

/// One person in a list of a record, with a list-item id so that two devices adding people at
/// the same time both keep their additions and edits of one person merge field by field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Reconcile, Hydrate)]
pub struct PersonEntry {
    /// List-item id (UUIDv7, see [`new_item_id`]).
    #[key]
    pub id: String,
    /// The person.
    pub person: PersonRef,
}

impl PersonEntry {
    /// A new entry for a person known only by name, with an optional role.
    pub fn named(name: impl Into<String>, role: Option<&str>) -> PersonEntry {
        let mut person = PersonRef::named(name);
        person.role = role.map(str::to_string);
        PersonEntry {
            id: new_item_id(),
            person,
        }
    }

    /// A new entry for a person with an account id.
    pub fn account(account_id: impl Into<String>, name: impl Into<String>) -> PersonEntry {
        let mut person = PersonRef::named(name);
        person.id = Some(account_id.into());
        PersonEntry {
            id: new_item_id(),
            person,
        }
    }
}
