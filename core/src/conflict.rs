//! Concurrent edits of the same field: detect, show, resolve.
//!
//! Automerge merges concurrent writes of one field deterministically (every device picks the
//! same winner), but keeps the losing values. danvan shows them: a [`Conflict`] names the field,
//! each competing value and the device that wrote it, **the value shown first** (Automerge's
//! winner, what `get` returns). Resolving writes the chosen value as a new change that
//! supersedes all of them, which clears the conflict on every device that merges it; choice 0
//! keeps the value shown.
//!
//! The status is not a field: two devices moving a record at once leave two heads in its status
//! history (ADR 0007). That is reported as a conflict at the path `status`, one value per head
//! (the status code, its author the device that made the transition), and resolving it appends
//! a resolution entry to the history. The body's `status` and `closed_on` are caches of the
//! history, never reported themselves.

use automerge::{ObjId, ObjType, ReadDoc, ScalarValue, Value, transaction::Transactable};
use serde::{Deserialize, Serialize};

use crate::doc::{RecordDoc, device_for_actor};
use crate::error::{CoreError, Result};

/// One competing value of a conflicted field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConflictValue {
    /// The value, rendered as text (`"2025-03-04"`, `"true"`, `"{…}"` for an object).
    pub value: String,
    /// Device that wrote it.
    pub author: String,
}

/// A field with concurrent values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conflict {
    /// Path of the field: `body.Mediation.summary`, `body.Mediation.parties[<id>].phone`.
    pub path: String,
    /// The value every device currently shows (the deterministic winner).
    pub current: ConflictValue,
    /// Every competing value, the winner first.
    pub values: Vec<ConflictValue>,
}

impl RecordDoc {
    /// Every conflicted field of the record: the status (several heads in its history) first,
    /// then envelope and body fields, each with the value shown first.
    pub fn conflicts(&self) -> Vec<Conflict> {
        let doc = self.automerge();
        let mut out = Vec::new();
        if let Ok(record) = self.record() {
            let tl = record.timeline();
            if tl.in_conflict() {
                let values: Vec<ConflictValue> = tl
                    .heads
                    .iter()
                    .map(|h| ConflictValue {
                        value: h.to.clone(),
                        author: h.by.clone(),
                    })
                    .collect();
                out.push(Conflict {
                    path: STATUS_PATH.to_string(),
                    current: values[0].clone(),
                    values,
                });
            }
        }
        for key in ["envelope", "body"] {
            collect(doc, &ObjId::Root, key.into(), key.to_string(), &mut out);
        }
        out.retain(|c| !is_derived(&c.path));
        out
    }

    /// Whether [`RecordDoc::conflicts`] is non-empty, given `record` already hydrated from this
    /// document (the store has it at hand): spares a second hydration and stops at the first
    /// conflict found.
    #[cfg(feature = "store")]
    pub(crate) fn has_conflicts(&mut self, record: &crate::record::Record) -> bool {
        if record.timeline().in_conflict() {
            return true;
        }
        if linear_history(self.automerge_mut()) {
            // Every change saw all before it: each write replaced every value it found, so no
            // field can hold concurrent values (the usual case: a record one device wrote).
            return false;
        }
        let doc = self.automerge();
        let mut out = Vec::new();
        for key in ["envelope", "body"] {
            collect(doc, &ObjId::Root, key.into(), key.to_string(), &mut out);
            out.retain(|c| !is_derived(&c.path));
            if !out.is_empty() {
                return true;
            }
        }
        false
    }

    /// Resolve the conflict at `path` by keeping the competing value number `choice` (an index
    /// into [`Conflict::values`]: 0 keeps the value shown). Errors if there is no such conflict
    /// or choice.
    pub fn resolve(&mut self, path: &str, choice: usize) -> Result<()> {
        if path == STATUS_PATH {
            let by = self.writer();
            return self.update(&format!("resolve {path}"), |r| {
                r.resolve_status(choice, &by)
            });
        }
        if is_derived(path) {
            return Err(CoreError::NotFound(format!("conflict at {path}")));
        }
        let (obj, prop) = locate(self.automerge(), path)
            .ok_or_else(|| CoreError::NotFound(format!("conflict at {path}")))?;
        let all = shown_first(self.automerge(), &obj, prop.clone())?;
        if all.len() < 2 {
            return Err(CoreError::NotFound(format!("conflict at {path}")));
        }
        let (value, id) = all
            .get(choice)
            .ok_or_else(|| CoreError::NotFound(format!("choice {choice} at {path}")))?;
        // Copy the chosen value out before writing, so the source stays readable.
        let chosen = match value {
            Value::Scalar(s) => Tree::Scalar(s.clone().into_owned()),
            Value::Object(t) => snapshot(self.automerge(), id, *t)?,
        };
        let doc = self.automerge_mut();
        match chosen {
            Tree::Scalar(s) => put_scalar(doc, &obj, prop, s)?,
            Tree::Text(t) => {
                let new = put_object(doc, &obj, prop, ObjType::Text)?;
                doc.splice_text(&new, 0, 0, &t)?;
            }
            Tree::Map(t, _) | Tree::List(t, _) => {
                let new = put_object(doc, &obj, prop, t)?;
                restore(doc, &new, chosen)?;
            }
        }
        doc.commit_with(
            automerge::transaction::CommitOptions::default()
                .with_message(format!("resolve {path}")),
        );
        Ok(())
    }
}

/// Whether the document's changes form one chain (each depends on the one before, none
/// concurrent), read from the change graph alone (no ops are decoded).
#[cfg(feature = "store")]
fn linear_history(doc: &mut automerge::AutoCommit) -> bool {
    let changes = doc.get_changes_meta(&[]);
    let mut seen_deps = std::collections::HashSet::new();
    let mut roots = 0;
    for c in &changes {
        match c.deps.as_slice() {
            [] => roots += 1,
            [dep] => {
                if !seen_deps.insert(*dep) {
                    return false;
                }
            }
            _ => return false,
        }
    }
    roots <= 1
}

/// Path of the status conflict.
pub const STATUS_PATH: &str = "status";

/// Whether `path` is one of the body's caches of the status history (`body.Mediation.status`,
/// `body.Inspection.closed_on`, …): never a conflict of its own.
fn is_derived(path: &str) -> bool {
    let mut parts = path.split('.');
    matches!(
        (parts.next(), parts.next(), parts.next(), parts.next()),
        (Some("body"), Some(_), Some("status" | "closed_on"), None)
    )
}

/// Every value of `obj[prop]`, the value shown (Automerge's winner, what `get` returns) first,
/// then the others from the most recent operation down. Automerge's `get_all` lists them in
/// operation order, which puts the winner last.
fn shown_first<'a>(
    doc: &'a automerge::AutoCommit,
    obj: &ObjId,
    prop: Prop,
) -> Result<Vec<(Value<'a>, ObjId)>> {
    let shown = doc.get(obj, prop.clone())?.map(|(_, id)| id);
    let mut all = doc.get_all(obj, prop)?;
    all.reverse();
    if let Some(pos) = shown.and_then(|s| all.iter().position(|(_, id)| *id == s)) {
        let w = all.remove(pos);
        all.insert(0, w);
    }
    Ok(all)
}

#[derive(Clone)]
enum Prop {
    Key(String),
    Index(usize),
}

impl From<&str> for Prop {
    fn from(s: &str) -> Self {
        Prop::Key(s.to_string())
    }
}

impl From<Prop> for automerge::Prop {
    fn from(p: Prop) -> Self {
        match p {
            Prop::Key(k) => automerge::Prop::Map(k),
            Prop::Index(i) => automerge::Prop::Seq(i),
        }
    }
}

fn render(doc: &automerge::AutoCommit, v: &Value<'_>, id: &ObjId) -> ConflictValue {
    let value = match v {
        Value::Scalar(s) => match s.as_ref() {
            ScalarValue::Str(s) => s.to_string(),
            ScalarValue::Null => String::new(),
            other => other.to_string(),
        },
        // Another client's string (a text object) reads as the text it holds.
        Value::Object(ObjType::Text) => doc.text(id).unwrap_or_default(),
        Value::Object(ObjType::Map) => "{…}".to_string(),
        Value::Object(_) => "[…]".to_string(),
    };
    let author = match id {
        ObjId::Id(_, actor, _) => device_for_actor(actor),
        ObjId::Root => String::new(),
    };
    ConflictValue { value, author }
}

/// The id of a list element, if it is a map with an `id` field (our list items all have one;
/// another client may have written it as a text object).
fn item_id(doc: &automerge::AutoCommit, obj: &ObjId) -> Option<String> {
    match doc.get(obj, "id").ok().flatten() {
        Some((Value::Scalar(s), _)) => match s.as_ref() {
            ScalarValue::Str(s) => Some(s.to_string()),
            _ => None,
        },
        Some((Value::Object(ObjType::Text), text)) => doc.text(&text).ok(),
        _ => None,
    }
}

/// Record the conflict at `parent[prop]` (called only where Automerge flags one).
fn push_conflict(
    doc: &automerge::AutoCommit,
    parent: &ObjId,
    prop: Prop,
    path: String,
    out: &mut Vec<Conflict>,
) {
    let Ok(all) = shown_first(doc, parent, prop) else {
        return;
    };
    // Two devices writing the same scalar at once (both filling an optional field an older
    // document lacked with "none", say) leave nothing to choose: not a conflict.
    let same_scalar = all.windows(2).all(|w| match (&w[0].0, &w[1].0) {
        (Value::Scalar(a), Value::Scalar(b)) => a == b,
        _ => false,
    });
    if all.len() > 1 && !same_scalar {
        let values: Vec<ConflictValue> = all.iter().map(|(v, id)| render(doc, v, id)).collect();
        out.push(Conflict {
            path,
            current: values[0].clone(),
            values,
        });
    }
}

/// Walk the winning values below `obj`, using the conflict flag Automerge keeps on each entry
/// (so only flagged entries pay for `get_all`).
fn collect_obj(
    doc: &automerge::AutoCommit,
    obj: &ObjId,
    t: ObjType,
    path: &str,
    out: &mut Vec<Conflict>,
) {
    match t {
        ObjType::Map | ObjType::Table => {
            for item in doc.map_range(obj, ..) {
                let p = format!("{path}.{}", item.key);
                if item.conflict {
                    push_conflict(doc, obj, Prop::Key(item.key.to_string()), p.clone(), out);
                }
                if let automerge::ValueRef::Object(ct) = item.value {
                    collect_obj(doc, &item.id(), ct, &p, out);
                }
            }
        }
        ObjType::List => {
            for item in doc.list_range(obj, ..) {
                let child = item.id();
                let seg = match item.value {
                    automerge::ValueRef::Object(ObjType::Map) => {
                        item_id(doc, &child).unwrap_or_else(|| item.index.to_string())
                    }
                    _ => item.index.to_string(),
                };
                let p = format!("{path}[{seg}]");
                if item.conflict {
                    push_conflict(doc, obj, Prop::Index(item.index), p.clone(), out);
                }
                if let automerge::ValueRef::Object(ct) = item.value {
                    collect_obj(doc, &child, ct, &p, out);
                }
            }
        }
        ObjType::Text => {}
    }
}

fn collect(
    doc: &automerge::AutoCommit,
    parent: &ObjId,
    prop: Prop,
    path: String,
    out: &mut Vec<Conflict>,
) {
    push_conflict(doc, parent, prop.clone(), path.clone(), out);
    if let Ok(Some((Value::Object(t), id))) = doc.get(parent, prop) {
        collect_obj(doc, &id, t, &path, out);
    }
}

/// Find the object and property a conflict path points at.
fn locate(doc: &automerge::AutoCommit, path: &str) -> Option<(ObjId, Prop)> {
    let mut obj = ObjId::Root;
    let mut segs = split_path(path)?.into_iter().peekable();
    while let Some(seg) = segs.next() {
        let prop = match seg {
            Seg::Key(k) => Prop::Key(k),
            Seg::Item(want) => {
                let n = doc.length(&obj);
                let idx = (0..n).find(|&i| match doc.get(&obj, i).ok().flatten() {
                    Some((Value::Object(ObjType::Map), item)) => {
                        item_id(doc, &item).as_deref() == Some(want.as_str())
                    }
                    _ => false,
                });
                let idx = match idx {
                    Some(i) => i,
                    None => want.parse::<usize>().ok().filter(|&i| i < n)?,
                };
                Prop::Index(idx)
            }
        };
        if segs.peek().is_none() {
            return Some((obj, prop));
        }
        match doc.get(&obj, prop).ok().flatten()? {
            (Value::Object(_), id) => obj = id,
            _ => return None,
        }
    }
    None
}

enum Seg {
    Key(String),
    Item(String),
}

fn split_path(path: &str) -> Option<Vec<Seg>> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let mut rest = part;
        let key_end = rest.find('[').unwrap_or(rest.len());
        if key_end > 0 {
            out.push(Seg::Key(rest[..key_end].to_string()));
        }
        rest = &rest[key_end..];
        while let Some(stripped) = rest.strip_prefix('[') {
            let end = stripped.find(']')?;
            out.push(Seg::Item(stripped[..end].to_string()));
            rest = &stripped[end + 1..];
        }
    }
    Some(out)
}

fn put_scalar(
    doc: &mut automerge::AutoCommit,
    obj: &ObjId,
    prop: Prop,
    v: ScalarValue,
) -> Result<()> {
    match prop {
        Prop::Key(k) => doc.put(obj, k, v)?,
        Prop::Index(i) => doc.put(obj, i, v)?,
    }
    Ok(())
}

fn put_object(
    doc: &mut automerge::AutoCommit,
    obj: &ObjId,
    prop: Prop,
    t: ObjType,
) -> Result<ObjId> {
    Ok(match prop {
        Prop::Key(k) => doc.put_object(obj, k, t)?,
        Prop::Index(i) => doc.put_object(obj, i, t)?,
    })
}

/// A detached copy of an object's current (winning) content.
enum Tree {
    Scalar(ScalarValue),
    Text(String),
    Map(ObjType, Vec<(String, Tree)>),
    List(ObjType, Vec<Tree>),
}

fn snapshot(doc: &automerge::AutoCommit, id: &ObjId, t: ObjType) -> Result<Tree> {
    let child = |v: Value<'_>, cid: ObjId| -> Result<Tree> {
        Ok(match v {
            Value::Scalar(s) => Tree::Scalar(s.into_owned()),
            Value::Object(ct) => snapshot(doc, &cid, ct)?,
        })
    };
    Ok(match t {
        ObjType::Map | ObjType::Table => {
            let mut items = Vec::new();
            for key in doc.keys(id) {
                if let Some((v, cid)) = doc.get(id, key.as_str())? {
                    items.push((key, child(v, cid)?));
                }
            }
            Tree::Map(t, items)
        }
        ObjType::Text => Tree::Text(doc.text(id)?),
        ObjType::List => {
            let mut items = Vec::new();
            for i in 0..doc.length(id) {
                if let Some((v, cid)) = doc.get(id, i)? {
                    items.push(child(v, cid)?);
                }
            }
            Tree::List(t, items)
        }
    })
}

fn restore(doc: &mut automerge::AutoCommit, target: &ObjId, tree: Tree) -> Result<()> {
    match tree {
        Tree::Scalar(_) | Tree::Text(_) => {}
        Tree::Map(_, items) => {
            for (k, v) in items {
                match v {
                    Tree::Scalar(s) => {
                        doc.put(target, k, s)?;
                    }
                    Tree::Text(t) => {
                        let c = doc.put_object(target, k, ObjType::Text)?;
                        doc.splice_text(&c, 0, 0, &t)?;
                    }
                    Tree::Map(t, _) | Tree::List(t, _) => {
                        let c = doc.put_object(target, k, t)?;
                        restore(doc, &c, v)?;
                    }
                }
            }
        }
        Tree::List(_, items) => {
            for (i, v) in items.into_iter().enumerate() {
                match v {
                    Tree::Scalar(s) => {
                        doc.insert(target, i, s)?;
                    }
                    Tree::Text(t) => {
                        let c = doc.insert_object(target, i, ObjType::Text)?;
                        doc.splice_text(&c, 0, 0, &t)?;
                    }
                    Tree::Map(t, _) | Tree::List(t, _) => {
                        let c = doc.insert_object(target, i, t)?;
                        restore(doc, &c, v)?;
                    }
                }
            }
        }
    }
    Ok(())
}
