//! [`DanvanStore`]: the phone's offline store as one object. Every method locks core's
//! single-writer `Store`, converts its arguments, delegates, and converts the answer back.
//! Calls block: call them off the UI thread.

use std::sync::{Arc, Mutex, MutexGuard};

use danvan_core::model::{DemocracyCheck, InspectionActivity, MediationCase as CoreCase};
use danvan_core::store::{Store, StoreKey};
use danvan_core::sync::{SyncOptions, Transport, run_sync};
use danvan_core::{Record, RecordBody, RulesConfig};
use uuid::Uuid;

use crate::dialogue::Dialogue;
use crate::error::{DanvanError, Result};
use crate::mediation::MediationCase;
use crate::petition::Petition;
use crate::sync::{DeviceCredentials, ForeignTransport, SyncListener, SyncProgress, SyncTransport};
use crate::types::{
    CodeLabel, Conflict, Discarded, HomeSummary, ListFilter, OverdueItem, RecordKind, RecordRow,
    StatusChange, SyncInfo, ValidationIssue, date, next_statuses, status_label,
};

/// Parse a device id (a UUID).
pub(crate) fn device_uuid(s: &str) -> Result<Uuid> {
    Uuid::parse_str(s.trim()).map_err(|_| {
        DanvanError::invalid(
            "device_id",
            "bad_device_id",
            "Mã thiết bị không hợp lệ.",
            "The device id is not valid.",
        )
    })
}

/// A whole record as a screen shows it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RecordView {
    /// Record id.
    pub id: String,
    /// Kind.
    pub kind: RecordKind,
    /// Unit code the record was entered under.
    pub unit: String,
    /// Status code and labels.
    pub status: CodeLabel,
    /// Device that created it.
    pub created_by: String,
    /// Creation time (ms since the epoch).
    pub created_at_ms: i64,
    /// For a historical entry: the day its unit code is read on (`YYYY-MM-DD`), else `None`.
    pub unit_on: Option<String>,
    /// Status history, oldest first.
    pub history: Vec<StatusChange>,
    /// The typed form, for a mediation case.
    pub mediation: Option<MediationCase>,
    /// The typed form, for a petition.
    pub petition: Option<Petition>,
    /// The typed form, for a dialogue.
    pub dialogue: Option<Dialogue>,
    /// The whole body as JSON (every field of the kind, as core serialises it).
    pub body_json: String,
    /// Statuses it may move to next.
    pub next_statuses: Vec<CodeLabel>,
    /// Sync state and rejection reason.
    pub sync: SyncInfo,
    /// Fields (or the status, path `"status"`) with concurrent values to resolve.
    pub conflicts: Vec<Conflict>,
    /// Rules the record breaks that a person has to review: left by merging two devices'
    /// changes, each valid alone (see `review_issues`). Empty for most records.
    pub review_issues: Vec<ValidationIssue>,
}

/// The offline store of one device: records, list and search, lifecycle, conflicts, summaries
/// and sync. Open it once per app process (a second open of the same file fails with
/// `StoreBusy`) and `close` it when done.
#[derive(uniffi::Object)]
pub struct DanvanStore {
    inner: Mutex<Option<Store>>,
}

impl DanvanStore {
    fn lock(&self) -> Result<MutexGuard<'_, Option<Store>>> {
        self.inner.lock().map_err(|_| DanvanError::Other {
            detail: "the store lock is poisoned".into(),
        })
    }

    /// Run `f` on the open store.
    pub(crate) fn with<T>(&self, f: impl FnOnce(&mut Store) -> Result<T>) -> Result<T> {
        let mut guard = self.lock()?;
        let store = guard.as_mut().ok_or(DanvanError::StoreClosed)?;
        f(store)
    }

    fn view(store: &Store, record: &Record) -> Result<RecordView> {
        let id = record.id();
        let kind = record.envelope.kind;
        let status = record.body.status_code();
        let body_json = match &record.body {
            RecordBody::Mediation(b) => serde_json::to_string(b),
            RecordBody::Inspection(b) => serde_json::to_string(b),
            RecordBody::Democracy(b) => serde_json::to_string(b),
            RecordBody::Petition(b) => serde_json::to_string(b),
            RecordBody::Dialogue(b) => serde_json::to_string(b),
        }
        .map_err(|e| DanvanError::Other {
            detail: format!("body json: {e}"),
        })?;
        Ok(RecordView {
            id: id.to_string(),
            kind: kind.into(),
            unit: record.envelope.unit.clone(),
            status: status_label(kind, status),
            created_by: record.envelope.created_by.clone(),
            created_at_ms: record.envelope.created_at.0,
            unit_on: record.envelope.unit_on.map(|d| d.to_string()),
            history: {
                let tl = record.timeline();
                let closing = tl
                    .correctable(|code| record.is_closed_status(code))
                    .map(|c| c.id.clone());
                record
                    .history
                    .iter()
                    .map(|h| StatusChange {
                        id: h.id.clone(),
                        from: h.from.clone(),
                        to: status_label(kind, &h.to),
                        on: h.on.to_string(),
                        at_ms: h.at.0,
                        by: h.by.clone(),
                        note: h.note.clone(),
                        corrects: h.corrects.clone(),
                        corrected: tl.is_corrected(&h.id),
                        correctable: closing.as_deref() == Some(h.id.as_str()),
                    })
                    .collect()
            },
            mediation: match &record.body {
                RecordBody::Mediation(m) => Some(MediationCase::from(m)),
                _ => None,
            },
            petition: match &record.body {
                RecordBody::Petition(p) => Some(Petition::from(p)),
                _ => None,
            },
            dialogue: match &record.body {
                RecordBody::Dialogue(d) => Some(Dialogue::from(d)),
                _ => None,
            },
            body_json,
            next_statuses: next_statuses(kind, status),
            sync: store.sync_state(id)?.into(),
            conflicts: store.conflicts(id)?.into_iter().map(Into::into).collect(),
            review_issues: review_issues(store, record),
        })
    }

    /// Save `record` and return its view.
    pub(crate) fn saved(
        store: &Store,
        record: Result<Record, danvan_core::CoreError>,
    ) -> Result<RecordView> {
        Self::view(store, &record?)
    }

    fn sync_over(
        &self,
        transport: &dyn Transport,
        credentials: &DeviceCredentials,
        listener: Option<Arc<dyn SyncListener>>,
    ) -> Result<SyncProgress> {
        let creds = credentials.to_core()?;
        self.with(|store| {
            if creds.device_id != store.device() {
                return Err(DanvanError::invalid(
                    "credentials.device_id",
                    "wrong_device",
                    "Thông tin đăng nhập thuộc thiết bị khác với kho dữ liệu này.",
                    "The credentials belong to another device than this store.",
                ));
            }
            let p = run_sync(store, transport, &creds, SyncOptions::default(), |p| {
                if let Some(l) = &listener {
                    l.on_progress((*p).into());
                }
            })?;
            Ok(p.into())
        })
    }
}

/// Parse a kind's body from JSON.
fn body_from_json(kind: RecordKind, json: &str) -> Result<RecordBody> {
    let bad = |e: serde_json::Error| {
        DanvanError::invalid(
            "body_json",
            "bad_json",
            &format!(
                "Nội dung hồ sơ không đọc được (dòng {}, cột {}).",
                e.line(),
                e.column()
            ),
            &format!(
                "The record body cannot be read (line {}, column {}).",
                e.line(),
                e.column()
            ),
        )
    };
    Ok(match kind {
        RecordKind::Mediation => RecordBody::Mediation(serde_json::from_str(json).map_err(bad)?),
        RecordKind::Inspection => RecordBody::Inspection(serde_json::from_str(json).map_err(bad)?),
        RecordKind::Democracy => RecordBody::Democracy(serde_json::from_str(json).map_err(bad)?),
        RecordKind::Petition => RecordBody::Petition(serde_json::from_str(json).map_err(bad)?),
        RecordKind::Dialogue => RecordBody::Dialogue(serde_json::from_str(json).map_err(bad)?),
    })
}

#[uniffi::export]
impl DanvanStore {
    /// Open (or create) the **plain** (unencrypted) store at `path` for the device `device_id`
    /// (from enrollment). A phone keeps personal data: use `open_encrypted`. Fails with
    /// `StoreBusy` if it is open elsewhere, `StoreUnusable` if it belongs to another device,
    /// comes from a newer app, is not a danvan file or is encrypted.
    #[uniffi::constructor]
    pub fn open(path: String, device_id: String) -> Result<Arc<DanvanStore>> {
        let device = device_uuid(&device_id)?;
        let store = Store::open(&path, device, RulesConfig::default())?;
        Ok(Arc::new(DanvanStore {
            inner: Mutex::new(Some(store)),
        }))
    }

    /// Open (or create) the store at `path` for the device `device_id`, **encrypted** with
    /// `key` (SQLCipher, AES-256): 32 random bytes the app creates once and keeps in the
    /// platform keystore (Android Keystore, iOS Keychain), never beside the store on a real
    /// phone. The Rust copy of the key is zeroed after use; clear the app's own array too.
    ///
    /// - `WrongKey` if the key does not open the file (or the file is not a store): nothing
    ///   was changed, the file is as it was.
    /// - A plain store at `path` (from an app version before encryption) is encrypted once, in
    ///   place; if that is interrupted, the plain store is kept and the next open starts again.
    /// - `InvalidInput` (`key`, `bad_key_length`) if the key is not 32 bytes; otherwise as
    ///   `open`.
    #[uniffi::constructor]
    pub fn open_encrypted(
        path: String,
        device_id: String,
        key: Vec<u8>,
    ) -> Result<Arc<DanvanStore>> {
        let key = StoreKey::from_vec(key)?;
        let device = device_uuid(&device_id)?;
        let store = Store::open_encrypted(&path, device, RulesConfig::default(), &key)?;
        Ok(Arc::new(DanvanStore {
            inner: Mutex::new(Some(store)),
        }))
    }

    /// Close the store now (releases the file for another open), even while the app still
    /// holds references to this object. Later calls fail with `StoreClosed`; closing twice is
    /// harmless. (Not named `close`: the generated Kotlin object already has a `close()` that
    /// frees the handle.)
    pub fn close_store(&self) -> Result<()> {
        self.lock()?.take();
        Ok(())
    }

    /// The device id the store writes for.
    pub fn device_id(&self) -> Result<String> {
        self.with(|s| Ok(s.device().to_string()))
    }

    /// Create a mediation case under `unit` (the device's village), received `on`
    /// (`YYYY-MM-DD`). It starts in status `received`. Invalid input writes nothing.
    pub fn create_mediation(
        &self,
        unit: String,
        on: String,
        form: MediationCase,
    ) -> Result<RecordView> {
        let on = date("on", &on)?;
        let body = RecordBody::Mediation(form.to_new()?);
        self.with(|s| {
            let r = s.create(body, unit.trim(), on);
            Self::saved(s, r)
        })
    }

    /// Record a past mediation case as a **historical entry**: under the old unit it happened in
    /// (`unit`, read on `unit_on`, `YYYY-MM-DD` — e.g. an old commune or village before the
    /// 1 July 2025 reform), received `on`. Only a team leader or an officer whose area the old
    /// unit went into may sync it; the server says so otherwise.
    pub fn create_mediation_historical(
        &self,
        unit: String,
        unit_on: String,
        on: String,
        form: MediationCase,
    ) -> Result<RecordView> {
        let unit_on = date("unit_on", &unit_on)?;
        let on = date("on", &on)?;
        let body = RecordBody::Mediation(form.to_new()?);
        self.with(|s| {
            let r = s.create_historical(body, unit.trim(), unit_on, on);
            Self::saved(s, r)
        })
    }

    /// Edit mediation case `id` with the form's fields (fields the form does not hold are kept;
    /// status and closing date change only through `transition`).
    pub fn update_mediation(&self, id: String, form: MediationCase) -> Result<RecordView> {
        self.with(|s| {
            let current = s.get(&id)?;
            let RecordBody::Mediation(mut m) = current.body else {
                return Err(not_mediation(&id));
            };
            // Apply the form before the write, so a bad field writes nothing.
            form.apply_to(&mut m)?;
            let r = s.update(&id, |r| {
                r.body = RecordBody::Mediation(m);
                Ok(())
            });
            Self::saved(s, r)
        })
    }

    /// Create a record of any kind from its body as JSON (the format of `RecordView.body_json`;
    /// see `example_body_json`). It starts in its kind's initial status.
    pub fn create_record_json(
        &self,
        kind: RecordKind,
        unit: String,
        on: String,
        body_json: String,
    ) -> Result<RecordView> {
        let on = date("on", &on)?;
        let body = body_from_json(kind, &body_json)?;
        self.with(|s| {
            let r = s.create(body, unit.trim(), on);
            Self::saved(s, r)
        })
    }

    /// Replace the body of record `id` with `body_json` (same kind; the status and closing date
    /// come from the status history whatever the JSON says: use `transition`).
    pub fn update_record_json(&self, id: String, body_json: String) -> Result<RecordView> {
        self.with(|s| {
            let current = s.get(&id)?;
            let body = body_from_json(current.envelope.kind.into(), &body_json)?;
            let r = s.update(&id, |r| {
                r.body = body;
                r.derive();
                Ok(())
            });
            Self::saved(s, r)
        })
    }

    /// The record `id`.
    pub fn get(&self, id: String) -> Result<RecordView> {
        self.with(|s| {
            let r = s.get(&id)?;
            Self::view(s, &r)
        })
    }

    /// Records matching `filter`, newest first.
    pub fn list(&self, filter: ListFilter) -> Result<Vec<RecordRow>> {
        let q = filter.to_query()?;
        self.with(|s| Ok(s.list(&q)?.into_iter().map(Into::into).collect()))
    }

    /// Search summaries and names: every word must appear as a word prefix, ignoring case and
    /// diacritics (`"loi di"` finds `"Lối đi"`).
    pub fn search(&self, text: String) -> Result<Vec<RecordRow>> {
        self.list(ListFilter {
            text: Some(text),
            ..ListFilter::default()
        })
    }

    /// Move record `id` to status `to` (a code from `next_statuses`) effective `on`; the
    /// lifecycle and the record's rules decide (e.g. a successful case needs its agreement).
    pub fn transition(
        &self,
        id: String,
        to: String,
        on: String,
        note: Option<String>,
    ) -> Result<RecordView> {
        let on = date("on", &on)?;
        self.with(|s| {
            let r = s.transition(&id, to.trim(), on, note);
            Self::saved(s, r)
        })
    }

    /// Correct the wrong closing `entry_id` (a `StatusChange.id` whose `correctable` is true) of
    /// record `id`, with its `reason` (required). The record is open again, in the status before
    /// that closing, from its date; the closing stays in the history, marked `corrected`. Only
    /// a team leader (mediation) or a commune officer (every kind) may: the server refuses
    /// others' corrections (`invalid`, `correction_not_allowed`).
    pub fn correct(&self, id: String, entry_id: String, reason: String) -> Result<RecordView> {
        self.with(|s| {
            let r = s.correct(&id, entry_id.trim(), &reason);
            Self::saved(s, r)
        })
    }

    /// Fields of record `id` with concurrent values.
    pub fn conflicts(&self, id: String) -> Result<Vec<Conflict>> {
        self.with(|s| Ok(s.conflicts(&id)?.into_iter().map(Into::into).collect()))
    }

    /// Resolve the conflict at `path` of record `id` by keeping value number `choice` (an index
    /// into `Conflict.values`: 0 keeps the value shown, `Conflict.current`). For a status
    /// conflict (path `"status"`) any choice is valid. The resolution syncs like any edit and
    /// clears the conflict on every device.
    pub fn resolve_conflict(&self, id: String, path: String, choice: u32) -> Result<RecordView> {
        self.with(|s| {
            let r = s.resolve_conflict(&id, &path, choice as usize);
            Self::saved(s, r)
        })
    }

    /// The rules record `id` breaks that a person has to review (left by a merge of two
    /// devices' changes, each valid alone), with the field and both messages. Such a record is
    /// accepted by the server and shows on every device; any edit that fixes it clears it.
    pub fn review_issues(&self, id: String) -> Result<Vec<ValidationIssue>> {
        self.with(|s| Ok(review_issues(s, &s.get(&id)?)))
    }

    /// The sync state of record `id` (and the server's reason while rejected).
    pub fn sync_info(&self, id: String) -> Result<SyncInfo> {
        self.with(|s| Ok(s.sync_state(&id)?.into()))
    }

    /// "Discard my change": undo the refused local changes of rejected record `id`. A record the
    /// server accepted before goes back to that state, as a new change that the next sync sends
    /// (`Discarded.Reverted`); a record the server never accepted is removed from this phone
    /// (`Discarded.Removed`). `NotFound` if the record is not rejected.
    pub fn discard_rejected(&self, id: String) -> Result<Discarded> {
        self.with(|s| {
            Ok(match s.discard_rejected(&id)? {
                danvan_core::store::Discarded::Reverted(record) => Discarded::Reverted {
                    record: Self::view(s, &record)?,
                },
                danvan_core::store::Discarded::Removed => Discarded::Removed,
            })
        })
    }

    /// Send record `id` again at the next sync, unchanged (after the cause of a rejection was
    /// fixed on the server's side, e.g. the device's scope). To fix the record itself, edit it:
    /// an edit is sent at the next sync by itself.
    pub fn resend(&self, id: String) -> Result<()> {
        self.with(|s| Ok(s.resend(&id)?))
    }

    /// Everything overdue as of `as_of` (`YYYY-MM-DD`), earliest deadline first.
    pub fn overdue(&self, as_of: String) -> Result<Vec<OverdueItem>> {
        let as_of = date("as_of", &as_of)?;
        self.with(|s| {
            Ok(s.overdue(as_of)?
                .into_iter()
                .map(OverdueItem::from_core)
                .collect())
        })
    }

    /// The home screen's counts as of `as_of` (`YYYY-MM-DD`).
    pub fn summary(&self, as_of: String) -> Result<HomeSummary> {
        let as_of = date("as_of", &as_of)?;
        self.with(|s| Ok(s.summary(as_of)?.into()))
    }

    /// Sync with the server at `server_url` over the built-in HTTP transport: push local
    /// changes, receive the others', record each verdict. `listener` hears each round trip.
    pub fn sync(
        &self,
        server_url: String,
        credentials: DeviceCredentials,
        listener: Option<Arc<dyn SyncListener>>,
    ) -> Result<SyncProgress> {
        let t = crate::sync::http(&server_url)?;
        self.sync_over(&t, &credentials, listener)
    }

    /// [`DanvanStore::sync`] over the app's own transport.
    pub fn sync_with(
        &self,
        transport: Arc<dyn SyncTransport>,
        credentials: DeviceCredentials,
        listener: Option<Arc<dyn SyncListener>>,
    ) -> Result<SyncProgress> {
        self.sync_over(&ForeignTransport(transport), &credentials, listener)
    }
}

/// The review items of `record`: every rule it breaks (a local write never adds one, so they
/// come from merges).
fn review_issues(store: &Store, record: &Record) -> Vec<ValidationIssue> {
    record
        .validate(store.config())
        .into_iter()
        .map(Into::into)
        .collect()
}

fn not_mediation(id: &str) -> DanvanError {
    DanvanError::invalid(
        "kind",
        "not_mediation",
        &format!("Hồ sơ {id} không phải là vụ việc hòa giải."),
        &format!("Record {id} is not a mediation case."),
    )
}

/// A filled example body of `kind` as JSON (valid in its initial status), as a template for
/// `create_record_json` and for demos and tests.
#[uniffi::export]
pub fn example_body_json(kind: RecordKind) -> Result<String> {
    match kind {
        RecordKind::Mediation => serde_json::to_string(&CoreCase::example()),
        RecordKind::Inspection => serde_json::to_string(&InspectionActivity::example()),
        RecordKind::Democracy => serde_json::to_string(&DemocracyCheck::example()),
        RecordKind::Petition => serde_json::to_string(&danvan_core::model::Petition::example()),
        RecordKind::Dialogue => serde_json::to_string(&danvan_core::model::Dialogue::example()),
    }
    .map_err(|e| DanvanError::Other {
        detail: format!("body json: {e}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_encrypted_store_opens_only_with_its_key() -> Result<()> {
        let dir = tempfile::tempdir().map_err(|e| DanvanError::Other {
            detail: e.to_string(),
        })?;
        let path = dir
            .path()
            .join("danvan.sqlite3")
            .to_string_lossy()
            .to_string();
        let device = Uuid::now_v7().to_string();
        let store = DanvanStore::open_encrypted(path.clone(), device.clone(), vec![1; 32])?;
        let json = example_body_json(RecordKind::Mediation)?;
        let rec = store.create_record_json(
            RecordKind::Mediation,
            "11533-T01".into(),
            "2025-09-02".into(),
            json,
        )?;
        store.close_store()?;
        assert!(matches!(
            DanvanStore::open_encrypted(path.clone(), device.clone(), vec![2; 32]),
            Err(DanvanError::WrongKey)
        ));
        assert!(matches!(
            DanvanStore::open(path.clone(), device.clone()),
            Err(DanvanError::StoreUnusable { .. })
        ));
        match DanvanStore::open_encrypted(path.clone(), device.clone(), vec![1; 16]) {
            Err(DanvanError::InvalidInput { issues }) => {
                assert_eq!(issues[0].code, "bad_key_length")
            }
            other => panic!("{:?}", other.map(|_| ())),
        }
        let store = DanvanStore::open_encrypted(path, device, vec![1; 32])?;
        assert_eq!(store.get(rec.id.clone())?, rec);
        Ok(())
    }
}
