//! The keys a record writes into a document, without writing a document: an autosurgeon
//! [`Reconciler`] that records the shape of what it is given (maps with their keys, lists with
//! their items, everything else a leaf) instead of making Automerge operations.
//!
//! The server's unknown-key check ([`super::unknown_keys`]) compares a pushed document with the
//! keys the record hydrated from it would write. It used to reconcile the record into an empty
//! Automerge document and hydrate that back, which cost about as much as reading the record
//! (ADR 0018); this is the same walk of the record's `Reconcile` implementations, ending in a
//! plain tree.

use std::borrow::Cow;
use std::collections::BTreeMap;

use autosurgeon::reconcile::{
    CounterReconciler, LoadKey, MapReconciler, Reconcile, ReconcileError, Reconciler,
    SeqReconciler, TextReconciler,
};

/// What reconciling a value into an empty document would write, keys only.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) enum Shape {
    /// A scalar, a null, a text object or a counter: nothing below it is a key.
    #[default]
    Leaf,
    /// A map object and the keys written into it.
    Map(BTreeMap<String, Shape>),
    /// A list object and its items.
    List(Vec<Shape>),
}

impl Shape {
    /// The shape `value` reconciles into.
    pub(crate) fn of<R: Reconcile>(value: &R) -> Result<Shape, ReconcileError> {
        let mut shape = Shape::Leaf;
        value.reconcile(Slot(&mut shape))?;
        Ok(shape)
    }
}

/// Where one value is reconciled: a map entry, a list item, the root.
struct Slot<'a>(&'a mut Shape);

impl Slot<'_> {
    fn leaf(&mut self) -> Result<(), ReconcileError> {
        *self.0 = Shape::Leaf;
        Ok(())
    }
}

struct InMap<'a>(&'a mut BTreeMap<String, Shape>);
struct InList<'a>(&'a mut Vec<Shape>);
/// A text object or a counter: a leaf, whatever is written into it.
struct Opaque;

impl Reconciler for Slot<'_> {
    type Error = ReconcileError;
    type Map<'m>
        = InMap<'m>
    where
        Self: 'm;
    type Seq<'m>
        = InList<'m>
    where
        Self: 'm;
    type Text<'m>
        = Opaque
    where
        Self: 'm;
    type Counter<'m>
        = Opaque
    where
        Self: 'm;

    fn none(&mut self) -> Result<(), Self::Error> {
        self.leaf()
    }
    fn bytes<B: AsRef<[u8]>>(&mut self, _: B) -> Result<(), Self::Error> {
        self.leaf()
    }
    fn timestamp(&mut self, _: i64) -> Result<(), Self::Error> {
        self.leaf()
    }
    fn boolean(&mut self, _: bool) -> Result<(), Self::Error> {
        self.leaf()
    }
    fn str<S: AsRef<str>>(&mut self, _: S) -> Result<(), Self::Error> {
        self.leaf()
    }
    fn u64(&mut self, _: u64) -> Result<(), Self::Error> {
        self.leaf()
    }
    fn i64(&mut self, _: i64) -> Result<(), Self::Error> {
        self.leaf()
    }
    fn f64(&mut self, _: f64) -> Result<(), Self::Error> {
        self.leaf()
    }
    fn map(&mut self) -> Result<Self::Map<'_>, Self::Error> {
        if !matches!(self.0, Shape::Map(_)) {
            *self.0 = Shape::Map(BTreeMap::new());
        }
        match self.0 {
            Shape::Map(m) => Ok(InMap(m)),
            _ => unreachable!("just made a map"),
        }
    }
    fn seq(&mut self) -> Result<Self::Seq<'_>, Self::Error> {
        if !matches!(self.0, Shape::List(_)) {
            *self.0 = Shape::List(Vec::new());
        }
        match self.0 {
            Shape::List(l) => Ok(InList(l)),
            _ => unreachable!("just made a list"),
        }
    }
    fn text(&mut self) -> Result<Self::Text<'_>, Self::Error> {
        *self.0 = Shape::Leaf;
        Ok(Opaque)
    }
    fn counter(&mut self) -> Result<Self::Counter<'_>, Self::Error> {
        *self.0 = Shape::Leaf;
        Ok(Opaque)
    }
    fn heads(&self) -> &[automerge::ChangeHash] {
        &[]
    }
}

/// The shape of `value` reconciled on its own.
fn child<R: Reconcile>(value: R) -> Result<Shape, ReconcileError> {
    let mut shape = Shape::Leaf;
    value.reconcile(Slot(&mut shape))?;
    Ok(shape)
}

impl MapReconciler for InMap<'_> {
    type Error = ReconcileError;
    type EntriesIter<'e>
        = std::iter::Empty<(Cow<'e, str>, automerge::ValueRef<'e>)>
    where
        Self: 'e;

    /// Nothing was there before: the shape starts empty.
    fn entries(&self) -> Self::EntriesIter<'_> {
        std::iter::empty()
    }
    fn entry<P: AsRef<str>>(&self, _: P) -> Option<automerge::Value<'_>> {
        None
    }
    fn put<R: Reconcile, P: AsRef<str>>(&mut self, prop: P, value: R) -> Result<(), Self::Error> {
        self.0.insert(prop.as_ref().to_string(), child(value)?);
        Ok(())
    }
    fn delete<P: AsRef<str>>(&mut self, prop: P) -> Result<(), Self::Error> {
        self.0.remove(prop.as_ref());
        Ok(())
    }
    fn hydrate_entry_key<'k, R: Reconcile, P: AsRef<str>>(
        &self,
        _: P,
    ) -> Result<LoadKey<R::Key<'k>>, Self::Error> {
        Ok(LoadKey::KeyNotFound)
    }
}

impl SeqReconciler for InList<'_> {
    type Error = ReconcileError;
    type ItemIter<'i>
        = std::iter::Empty<automerge::ValueRef<'i>>
    where
        Self: 'i;

    fn items(&self) -> Self::ItemIter<'_> {
        std::iter::empty()
    }
    fn get(&self, _: usize) -> Result<Option<automerge::Value<'_>>, Self::Error> {
        Ok(None)
    }
    fn hydrate_item_key<'k, R: Reconcile>(
        &self,
        _: usize,
    ) -> Result<LoadKey<R::Key<'k>>, Self::Error> {
        Ok(LoadKey::KeyNotFound)
    }
    fn insert<R: Reconcile>(&mut self, index: usize, value: R) -> Result<(), Self::Error> {
        let at = index.min(self.0.len());
        self.0.insert(at, child(value)?);
        Ok(())
    }
    fn set<R: Reconcile>(&mut self, index: usize, value: R) -> Result<(), Self::Error> {
        let shape = child(value)?;
        match self.0.get_mut(index) {
            Some(slot) => *slot = shape,
            None => self.0.push(shape),
        }
        Ok(())
    }
    fn delete(&mut self, index: usize) -> Result<(), Self::Error> {
        if index < self.0.len() {
            self.0.remove(index);
        }
        Ok(())
    }
    fn len(&self) -> Result<usize, Self::Error> {
        Ok(self.0.len())
    }
}

impl TextReconciler for Opaque {
    type Error = ReconcileError;
    fn splice<S: AsRef<str>>(&mut self, _: usize, _: isize, _: S) -> Result<(), Self::Error> {
        Ok(())
    }
    fn heads(&self) -> &[automerge::ChangeHash] {
        &[]
    }
    fn update<S: AsRef<str>>(&mut self, _: S) -> Result<(), Self::Error> {
        Ok(())
    }
}

impl CounterReconciler for Opaque {
    type Error = ReconcileError;
    fn increment(&mut self, _: i64) -> Result<(), Self::Error> {
        Ok(())
    }
    fn set(&mut self, _: i64) -> Result<(), Self::Error> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::MediationCase;
    use crate::model::common::Date;
    use crate::{Record, RecordBody};
    use automerge::AutoCommit;

    /// The shape of an Automerge value tree (text objects are leaves, as in `Shape`).
    fn shape_of_tree(v: &automerge::hydrate::Value) -> Shape {
        use automerge::hydrate::Value;
        match v {
            Value::Map(m) => Shape::Map(
                m.iter()
                    .map(|(k, v)| (k.to_string(), shape_of_tree(&v.value)))
                    .collect(),
            ),
            Value::List(l) => Shape::List(l.iter().map(|i| shape_of_tree(&i.value)).collect()),
            _ => Shape::Leaf,
        }
    }

    /// The shape is exactly the keys that reconciling the record into an empty document
    /// writes: for a mediation case with parties, a status history and a correction, and for
    /// every kind's example.
    #[test]
    fn the_shape_is_what_reconciling_into_a_document_writes() {
        let dev = uuid::Uuid::now_v7();
        let mut records = vec![Record::new(
            "11533-T01",
            dev.to_string(),
            Date::ymd(2025, 9, 2).expect("date"),
            RecordBody::Mediation(MediationCase::example()),
        )];
        let mut moved = records[0].clone();
        moved
            .transition(
                "mediating",
                Date::ymd(2025, 9, 5).expect("date"),
                "test",
                Some("gặp hai bên".into()),
            )
            .expect("transition");
        records.push(moved);
        use crate::model::{DemocracyCheck, Dialogue, InspectionActivity, Petition};
        let bodies = [
            RecordBody::Mediation(MediationCase::example_successful()),
            RecordBody::Inspection(InspectionActivity::example()),
            RecordBody::Inspection(InspectionActivity::example_handled()),
            RecordBody::Democracy(DemocracyCheck::example()),
            RecordBody::Democracy(DemocracyCheck::example_submitted()),
            RecordBody::Petition(Petition::example()),
            RecordBody::Petition(Petition::example_denunciation_resolved()),
            RecordBody::Dialogue(Dialogue::example()),
            RecordBody::Dialogue(Dialogue::example_held()),
        ];
        for body in bodies {
            records.push(Record::new(
                "11533",
                dev.to_string(),
                Date::ymd(2025, 9, 2).expect("date"),
                body,
            ));
        }
        for r in &records {
            let mut doc = AutoCommit::new();
            autosurgeon::reconcile(&mut doc, r).expect("reconcile");
            let want = shape_of_tree(&doc.document().hydrate(None));
            assert_eq!(Shape::of(r).expect("shape"), want, "{:?}", r.body.kind());
            assert!(matches!(want, Shape::Map(ref m) if m.len() > 3));
        }
    }
}
