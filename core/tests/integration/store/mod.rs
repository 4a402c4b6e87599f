//! Tests of the offline store (`danvan_core::store`).

mod bulk_apply;
mod crash;
mod encrypted;
mod files;
mod records;
mod schema;
mod sync;

use danvan_core::model::common::Date;
use danvan_core::model::{DemocracyCheck, InspectionActivity, MediationCase};
use danvan_core::store::Store;
use danvan_core::{RecordBody, RulesConfig};
use tempfile::TempDir;
use uuid::Uuid;

/// A store in a fresh temporary directory.
pub struct TestStore {
    pub dir: TempDir,
    pub device: Uuid,
    pub store: Store,
}

impl TestStore {
    pub fn new() -> TestStore {
        let dir = tempfile::tempdir().unwrap();
        let device = Uuid::now_v7();
        let store = Store::open(
            dir.path().join("danvan.sqlite3"),
            device,
            RulesConfig::default(),
        )
        .unwrap();
        TestStore { dir, device, store }
    }

    pub fn path(&self) -> std::path::PathBuf {
        self.dir.path().join("danvan.sqlite3")
    }

    /// Close and reopen the store.
    pub fn reopen(&mut self) {
        let path = self.path();
        // Drop the old store (and its lock) before opening again.
        let placeholder = tempfile::tempdir().unwrap();
        let old = std::mem::replace(
            &mut self.store,
            Store::open(
                placeholder.path().join("x.sqlite3"),
                self.device,
                RulesConfig::default(),
            )
            .unwrap(),
        );
        drop(old);
        self.store = Store::open(path, self.device, RulesConfig::default()).unwrap();
    }
}

pub fn day(d: u32) -> Date {
    Date::ymd(2025, 9, d).unwrap()
}

pub fn mediation() -> RecordBody {
    RecordBody::Mediation(MediationCase::example())
}

pub fn inspection() -> RecordBody {
    RecordBody::Inspection(InspectionActivity::example())
}

pub fn democracy() -> RecordBody {
    RecordBody::Democracy(DemocracyCheck::example())
}

/// The one place these tests touch a body field: the text lists show (a mediation case's
/// summary, an inspection's title, a check's conclusion).
pub fn set_summary(body: &mut RecordBody, text: &str) {
    match body {
        RecordBody::Mediation(b) => b.summary = text.into(),
        RecordBody::Inspection(b) => b.title = text.into(),
        RecordBody::Democracy(b) => b.conclusion = Some(text.into()),
        RecordBody::Petition(b) => b.summary = text.into(),
        RecordBody::Dialogue(b) => b.topic = text.into(),
    }
}

pub fn with_summary(mut body: RecordBody, text: &str) -> RecordBody {
    set_summary(&mut body, text);
    body
}
