//! How danvan reads and writes a record document through autosurgeon.
//!
//! - **Reading accepts text objects wherever the schema has a string.** Other Automerge
//!   implementations write strings as collaborative text by default (JavaScript's
//!   `@automerge/automerge`); [`Lenient`] shows such a text object to autosurgeon as the string
//!   it holds, so a field written by another client reads like one written by danvan.
//! - **Reading is one pass over each object.** autosurgeon reads a struct field by field with
//!   `get`, and each `get` in Automerge 0.12 seeks through the document's columns from the
//!   object's start: reading a mediation case cost ~250 µs, most of a server merge and of a
//!   phone's first download (ADR 0018). [`Lenient`] reads an object's entries once
//!   (`map_range` / `list_range`) the first time a field of it is asked for, and answers the
//!   object's other fields from that.
//! - **Writing touches only what changed.** autosurgeon writes every scalar it reconciles, and
//!   Automerge takes a write to a field with concurrent values as choosing a value, so a plain
//!   reconcile of the whole record after editing its notes would silently settle every pending
//!   conflict. [`ChangedOnly`] skips a write whose value equals the value shown (a text object
//!   holding the same string included). A changed value is written as a string even where
//!   another client had a text object: every field is a register whose concurrent changes show
//!   as a conflict, whoever wrote it (ADR 0007).

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::RangeBounds;
use std::rc::Rc;

use automerge::{
    self as am, AutoCommit, AutomergeError, ObjId, ObjType, ScalarValue, Value,
    transaction::Transactable,
};
use autosurgeon::{Doc, ReadDoc};

/// A read view of a document in which text objects read as strings, and each object's
/// entries are read in one pass and kept for the view's lifetime (one hydration).
pub(crate) struct Lenient<'a> {
    doc: &'a AutoCommit,
    read: RefCell<HashMap<ObjId, Rc<Entries>>>,
}

impl<'a> Lenient<'a> {
    pub(crate) fn new(doc: &'a AutoCommit) -> Self {
        Lenient {
            doc,
            read: RefCell::new(HashMap::new()),
        }
    }

    /// The entries of `obj`, read once (`None` for a text object or an unknown id: those are
    /// asked of the document itself).
    pub(crate) fn entries(&self, obj: &ObjId) -> Result<Option<Rc<Entries>>, AutomergeError> {
        if let Some(e) = self.read.borrow().get(obj) {
            return Ok(Some(Rc::clone(e)));
        }
        let doc = self.doc;
        let entries = match am::ReadDoc::object_type(doc, obj) {
            Ok(ObjType::Map | ObjType::Table) => {
                let mut map = Vec::new();
                for item in am::ReadDoc::map_range(doc, obj, ..) {
                    let id = item.id();
                    let value = lenient_value(doc, item.value, &id)?;
                    map.push((item.key.into_owned(), value, id));
                }
                Entries::Map(map)
            }
            Ok(ObjType::List) => {
                let mut list = Vec::new();
                for item in am::ReadDoc::list_range(doc, obj, ..) {
                    let id = item.id();
                    list.push((lenient_value(doc, item.value, &id)?, id));
                }
                Entries::List(list)
            }
            Ok(ObjType::Text) | Err(_) => return Ok(None),
        };
        let entries = Rc::new(entries);
        self.read
            .borrow_mut()
            .insert(obj.clone(), Rc::clone(&entries));
        Ok(Some(entries))
    }
}

/// An object's visible entries (the winning value of each key or index, as `get` answers), in
/// the document's order. A record's maps have a few dozen keys at most: looking a key up in
/// order costs less than hashing it.
pub(crate) enum Entries {
    /// Key, value, id.
    Map(Vec<(String, Value<'static>, ObjId)>),
    /// Value, id.
    List(Vec<(Value<'static>, ObjId)>),
}

/// An entry's value as [`lenient_get`] shows it: a text object as the string it holds.
fn lenient_value(
    doc: &AutoCommit,
    value: am::ValueRef<'_>,
    id: &ObjId,
) -> Result<Value<'static>, AutomergeError> {
    Ok(match value {
        am::ValueRef::Object(ObjType::Text) => Value::Scalar(Cow::Owned(ScalarValue::Str(
            am::ReadDoc::text(doc, id)?.into(),
        ))),
        other => Value::from(other),
    })
}

impl ReadDoc for Lenient<'_> {
    type Parents<'p>
        = am::Parents<'p>
    where
        Self: 'p;

    fn get_heads(&self) -> Vec<am::ChangeHash> {
        ReadDoc::get_heads(self.doc)
    }

    fn get<P: Into<am::Prop>>(
        &self,
        obj: &ObjId,
        prop: P,
    ) -> Result<Option<(Value<'_>, ObjId)>, AutomergeError> {
        let prop = prop.into();
        match (self.entries(obj)?.as_deref(), &prop) {
            (Some(Entries::Map(m)), am::Prop::Map(k)) => Ok(m
                .iter()
                .find(|(key, ..)| key == k)
                .map(|(_, v, id)| (v.clone(), id.clone()))),
            (Some(Entries::List(l)), am::Prop::Seq(i)) => Ok(l.get(*i).cloned()),
            _ => lenient_get(self.doc, obj, prop),
        }
    }

    fn object_type<O: AsRef<ObjId>>(&self, obj: O) -> Option<ObjType> {
        ReadDoc::object_type(self.doc, obj)
    }

    fn map_range<'r, O, R>(&'r self, obj: O, range: R) -> am::iter::MapRange<'r>
    where
        R: RangeBounds<String> + 'r,
        O: AsRef<ObjId>,
    {
        ReadDoc::map_range(self.doc, obj, range)
    }

    fn list_range<O: AsRef<ObjId>, R: RangeBounds<usize>>(
        &self,
        obj: O,
        range: R,
    ) -> am::iter::ListRange<'_> {
        ReadDoc::list_range(self.doc, obj, range)
    }

    fn length<O: AsRef<ObjId>>(&self, obj: O) -> usize {
        match self.entries(obj.as_ref()) {
            Ok(Some(e)) => match &*e {
                Entries::List(l) => l.len(),
                Entries::Map(m) => m.len(),
            },
            _ => ReadDoc::length(self.doc, obj),
        }
    }

    fn text<O: AsRef<ObjId>>(&self, obj: O) -> Result<String, AutomergeError> {
        ReadDoc::text(self.doc, obj)
    }

    fn parents<O: AsRef<ObjId>>(&self, obj: O) -> Result<Self::Parents<'_>, AutomergeError> {
        ReadDoc::parents(self.doc, obj)
    }

    fn is_empty(&self) -> bool {
        ReadDoc::is_empty(self.doc)
    }
}

/// A write view of a document that writes only values that differ from the ones shown.
pub(crate) struct ChangedOnly<'a>(pub &'a mut AutoCommit);

/// `get`, with a text object read as its string.
fn lenient_get<'d, P: Into<am::Prop>>(
    doc: &'d AutoCommit,
    obj: &ObjId,
    prop: P,
) -> Result<Option<(Value<'d>, ObjId)>, AutomergeError> {
    match am::ReadDoc::get(doc, obj, prop)? {
        Some((Value::Object(ObjType::Text), id)) => {
            let text = am::ReadDoc::text(doc, &id)?;
            Ok(Some((
                Value::Scalar(Cow::Owned(ScalarValue::Str(text.into()))),
                id,
            )))
        }
        other => Ok(other),
    }
}

macro_rules! forward_read {
    ($t:ty, $field:tt) => {
        impl ReadDoc for $t {
            type Parents<'p>
                = am::Parents<'p>
            where
                Self: 'p;

            fn get_heads(&self) -> Vec<am::ChangeHash> {
                ReadDoc::get_heads(&*self.$field)
            }

            fn get<P: Into<am::Prop>>(
                &self,
                obj: &ObjId,
                prop: P,
            ) -> Result<Option<(Value<'_>, ObjId)>, AutomergeError> {
                lenient_get(&*self.$field, obj, prop)
            }

            fn object_type<O: AsRef<ObjId>>(&self, obj: O) -> Option<ObjType> {
                ReadDoc::object_type(&*self.$field, obj)
            }

            fn map_range<'r, O, R>(&'r self, obj: O, range: R) -> am::iter::MapRange<'r>
            where
                R: RangeBounds<String> + 'r,
                O: AsRef<ObjId>,
            {
                ReadDoc::map_range(&*self.$field, obj, range)
            }

            fn list_range<O: AsRef<ObjId>, R: RangeBounds<usize>>(
                &self,
                obj: O,
                range: R,
            ) -> am::iter::ListRange<'_> {
                ReadDoc::list_range(&*self.$field, obj, range)
            }

            fn length<O: AsRef<ObjId>>(&self, obj: O) -> usize {
                ReadDoc::length(&*self.$field, obj)
            }

            fn text<O: AsRef<ObjId>>(&self, obj: O) -> Result<String, AutomergeError> {
                ReadDoc::text(&*self.$field, obj)
            }

            fn parents<O: AsRef<ObjId>>(
                &self,
                obj: O,
            ) -> Result<Self::Parents<'_>, AutomergeError> {
                ReadDoc::parents(&*self.$field, obj)
            }

            fn is_empty(&self) -> bool {
                ReadDoc::is_empty(&*self.$field)
            }
        }
    };
}

forward_read!(ChangedOnly<'_>, 0);

impl Doc for ChangedOnly<'_> {
    fn put<O: AsRef<ObjId>, P: Into<am::Prop>, V: Into<ScalarValue>>(
        &mut self,
        obj: O,
        prop: P,
        value: V,
    ) -> Result<(), AutomergeError> {
        let (prop, value) = (prop.into(), value.into());
        let doc = &mut *self.0;
        match am::ReadDoc::get(doc, obj.as_ref(), prop.clone())? {
            Some((Value::Scalar(shown), _)) if *shown == value => Ok(()),
            // Another client's text object holding the same string: leave it alone. A changed
            // value is written as a string below, like any danvan field: two people's
            // concurrent changes then meet as a visible conflict, never as an interleaving of
            // their characters (a phone number or an id must not merge letter by letter).
            Some((Value::Object(ObjType::Text), text)) if matches!(&value, ScalarValue::Str(s) if am::ReadDoc::text(doc, &text)? == s.as_str()) => {
                Ok(())
            }
            _ => Transactable::put(doc, obj, prop, value),
        }
    }

    fn put_object<O: AsRef<ObjId>, P: Into<am::Prop>>(
        &mut self,
        obj: O,
        prop: P,
        value: ObjType,
    ) -> Result<ObjId, AutomergeError> {
        Transactable::put_object(&mut *self.0, obj, prop, value)
    }

    fn insert<O: AsRef<ObjId>, V: Into<ScalarValue>>(
        &mut self,
        obj: O,
        index: usize,
        value: V,
    ) -> Result<(), AutomergeError> {
        Transactable::insert(&mut *self.0, obj, index, value)
    }

    fn insert_object<O: AsRef<ObjId>>(
        &mut self,
        obj: O,
        index: usize,
        value: ObjType,
    ) -> Result<ObjId, AutomergeError> {
        Transactable::insert_object(&mut *self.0, obj, index, value)
    }

    fn increment<O: AsRef<ObjId>, P: Into<am::Prop>>(
        &mut self,
        obj: O,
        prop: P,
        value: i64,
    ) -> Result<(), AutomergeError> {
        Transactable::increment(&mut *self.0, obj, prop, value)
    }

    fn delete<O: AsRef<ObjId>, P: Into<am::Prop>>(
        &mut self,
        obj: O,
        prop: P,
    ) -> Result<(), AutomergeError> {
        Transactable::delete(&mut *self.0, obj, prop)
    }

    fn splice_text<O: AsRef<ObjId>>(
        &mut self,
        obj: O,
        pos: usize,
        del: isize,
        text: &str,
    ) -> Result<(), AutomergeError> {
        Transactable::splice_text(&mut *self.0, obj, pos, del, text)
    }

    fn update_text<O: AsRef<ObjId>>(&mut self, obj: O, text: &str) -> Result<(), AutomergeError> {
        Transactable::update_text(&mut *self.0, obj.as_ref(), text)
    }

    /// autosurgeon writes a changed `String` (whose value is also its key) through here rather
    /// than `put`: a scalar put in place goes through [`Doc::put`] above, so a text object
    /// written by another client is updated in place and stays text.
    fn batch_create<O: AsRef<ObjId>, P: Into<am::Prop>>(
        &mut self,
        obj: O,
        prop: P,
        value: am::hydrate::Value,
        insert: bool,
    ) -> Result<(), AutomergeError> {
        match value {
            am::hydrate::Value::Scalar(s) if !insert => Doc::put(self, obj, prop, s),
            value => Doc::batch_create(&mut *self.0, obj, prop, value, insert),
        }
    }

    fn init_root_from_hydrate(&mut self, value: &am::hydrate::Map) -> Result<(), AutomergeError> {
        Doc::init_root_from_hydrate(&mut *self.0, value)
    }
}
