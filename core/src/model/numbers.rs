//! Numbers as other Automerge clients write them.
//!
//! danvan writes a `u32` as an Automerge `uint` and an `f64` as `f64`; JavaScript's
//! `@automerge/automerge` writes every whole number as an `int`. These readers, named in the
//! models' `#[autosurgeon(hydrate = …)]` attributes, accept any numeric scalar that holds the
//! value exactly (a negative or fractional count is still refused), so a third-party client's
//! `logbook_no = 8` or `land_m2 = 120` reads (docs/record-schema.md).

use automerge::{ObjId, ScalarValue, Value};
use autosurgeon::{HydrateError, Prop, ReadDoc};

fn scalar<D: ReadDoc>(
    doc: &D,
    obj: &ObjId,
    prop: &Prop<'_>,
) -> Result<Option<ScalarValue>, HydrateError> {
    match doc.get(obj, prop)? {
        None => Ok(None),
        Some((Value::Scalar(s), _)) => Ok(Some(s.into_owned())),
        Some((Value::Object(t), _)) => Err(HydrateError::unexpected("a number", format!("a {t}"))),
    }
}

fn whole(s: &ScalarValue) -> Result<u32, HydrateError> {
    let bad = || HydrateError::unexpected("a whole number from 0 to 4294967295", s.to_string());
    match s {
        ScalarValue::Uint(u) => u32::try_from(*u).map_err(|_| bad()),
        ScalarValue::Int(i) => u32::try_from(*i).map_err(|_| bad()),
        ScalarValue::F64(f) if f.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(f) => {
            Ok(*f as u32)
        }
        _ => Err(bad()),
    }
}

fn real(s: &ScalarValue) -> Result<f64, HydrateError> {
    match s {
        ScalarValue::F64(f) => Ok(*f),
        ScalarValue::Int(i) => Ok(*i as f64),
        ScalarValue::Uint(u) => Ok(*u as f64),
        other => Err(HydrateError::unexpected("a number", other.to_string())),
    }
}

/// A `u32` written as `uint`, `int` or a whole `f64`.
pub(crate) fn u32<D: ReadDoc>(doc: &D, obj: &ObjId, prop: Prop<'_>) -> Result<u32, HydrateError> {
    match scalar(doc, obj, &prop)? {
        Some(s) => whole(&s),
        None => Err(HydrateError::unexpected("a number", "nothing".to_string())),
    }
}

/// An `Option<u32>`: absent or null is `None`.
pub(crate) fn opt_u32<D: ReadDoc>(
    doc: &D,
    obj: &ObjId,
    prop: Prop<'_>,
) -> Result<Option<u32>, HydrateError> {
    match scalar(doc, obj, &prop)? {
        None | Some(ScalarValue::Null) => Ok(None),
        Some(s) => whole(&s).map(Some),
    }
}

/// An `f64` written as `f64`, `int` or `uint`.
pub(crate) fn f64<D: ReadDoc>(doc: &D, obj: &ObjId, prop: Prop<'_>) -> Result<f64, HydrateError> {
    match scalar(doc, obj, &prop)? {
        Some(s) => real(&s),
        None => Err(HydrateError::unexpected("a number", "nothing".to_string())),
    }
}

/// An `Option<f64>`: absent or null is `None`.
pub(crate) fn opt_f64<D: ReadDoc>(
    doc: &D,
    obj: &ObjId,
    prop: Prop<'_>,
) -> Result<Option<f64>, HydrateError> {
    match scalar(doc, obj, &prop)? {
        None | Some(ScalarValue::Null) => Ok(None),
        Some(s) => real(&s).map(Some),
    }
}
