//! # danvan-e2e
//!
//! A real [`danvan_server`] on an ephemeral loopback port ([`TestServer`]) and simulated phones
//! ([`Device`]): each with its own offline store in a temporary directory, enrolled with a
//! one-time code over HTTP, syncing through the blocking HTTP transport — the same code path a
//! phone app takes.

pub mod dashboard;
pub mod link;
pub mod process;
pub mod web;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use danvan_core::model::common::Date;
use danvan_core::store::Store;
use danvan_core::sync::{self, DeviceCredentials, HttpTransport, SyncOptions, SyncProgress};
use danvan_core::{Record, RecordBody, RulesConfig};
use danvan_server::enrollment::{EnrollmentRequest, issue};
use danvan_server::{AppState, Role, ServerConfig, Storage, Units};
use tokio::runtime::Runtime;
use tokio::sync::oneshot;

/// The sample units shipped with the server (Hải Phòng after July 2025, sample villages).
pub fn sample_units_csv() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../server/data/units/haiphong.csv")
}

/// Sample village of Phường Hòa Bình (commune 11533) used by the scenarios.
pub const VILLAGE_HOA_BINH_1: &str = "11533-T01";
/// Another village of the same commune.
pub const VILLAGE_HOA_BINH_2: &str = "11533-T02";
/// Phường Hòa Bình.
pub const COMMUNE_HOA_BINH: &str = "11533";
/// A village of another commune (Phường Thủy Nguyên, 11560).
pub const VILLAGE_THUY_NGUYEN_1: &str = "11560-T01";

/// The bearer token a [`TestServer`]'s `GET /metrics` wants.
pub const METRICS_TOKEN: &str = "danvan-e2e-metrics";

/// A danvan server running on its own runtime, on `127.0.0.1:<ephemeral>`.
pub struct TestServer {
    /// Base URL, e.g. `http://127.0.0.1:40123`.
    pub url: String,
    /// The server's storage (for issuing codes, revoking, checking facts).
    pub storage: Arc<dyn Storage>,
    /// The unit tree.
    pub units: Units,
    rt: Runtime,
    stop: Option<oneshot::Sender<()>>,
    drop_db: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

impl TestServer {
    /// Start on a fresh SQLite database in a temporary directory, with the sample units.
    pub fn start() -> Result<TestServer> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().to_path_buf();
        Self::start_with(None, &path, Some(dir))
    }

    /// Start on `database_url` (PostgreSQL) or, if `None`, SQLite in `data_dir`.
    pub fn start_with(
        database_url: Option<&str>,
        data_dir: &Path,
        dir: Option<tempfile::TempDir>,
    ) -> Result<TestServer> {
        Self::start_on(database_url, data_dir, dir, 0)
    }

    /// As [`start_with`](Self::start_with), on `127.0.0.1:<port>` (0 = any free port).
    pub fn start_on(
        database_url: Option<&str>,
        data_dir: &Path,
        dir: Option<tempfile::TempDir>,
        port: u16,
    ) -> Result<TestServer> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let (storage, units, listener) = rt.block_on(async {
            let storage = danvan_server::storage::open(database_url, data_dir).await?;
            let units = Units::load(storage.as_ref()).await?;
            let csv = std::fs::File::open(sample_units_csv()).context("sample units")?;
            danvan_server::units::import_csv(storage.as_ref(), &units, csv).await?;
            let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
            anyhow::Ok((storage, units, listener))
        })?;
        let url = format!("http://{}", listener.local_addr()?);
        let config = ServerConfig {
            metrics_token: Some(METRICS_TOKEN.into()),
            attachments_dir: Some(data_dir.join("attachments")),
            ..ServerConfig::default()
        };
        let state = AppState::new(storage.clone(), units.clone(), config);
        let (tx, rx) = oneshot::channel::<()>();
        rt.spawn(async move {
            let shutdown = async move {
                let _ = rx.await;
            };
            if let Err(e) = danvan_server::serve(listener, state, shutdown).await {
                tracing::error!(error = %e, "server stopped");
            }
        });
        Ok(TestServer {
            url,
            storage,
            units,
            rt,
            stop: Some(tx),
            drop_db: None,
            _dir: dir,
        })
    }

    /// Start on a fresh PostgreSQL database created under `DANVAN_TEST_DATABASE_URL`, or
    /// `None` (with a notice on stderr) when the variable is not set. The database is dropped
    /// when the server is dropped.
    pub fn start_postgres() -> Result<Option<TestServer>> {
        let Ok(admin_url) = std::env::var("DANVAN_TEST_DATABASE_URL") else {
            eprintln!(
                "*** PostgreSQL end-to-end test SKIPPED: DANVAN_TEST_DATABASE_URL is not set ***"
            );
            return Ok(None);
        };
        let (url, name) = create_postgres_database(&admin_url)?;
        let dir = tempfile::tempdir()?;
        let path = dir.path().to_path_buf();
        let mut s = Self::start_with(Some(&url), &path, Some(dir))?;
        s.drop_db = Some((admin_url.clone(), name));
        Ok(Some(s))
    }

    /// Issue a one-time enrollment code for a person, role and unit.
    pub fn enrollment_code(&self, person: &str, role: Role, unit: &str) -> Result<String> {
        let req = EnrollmentRequest {
            person: person.to_string(),
            role,
            unit: unit.to_string(),
            expires_hours: 72,
            created_by: "e2e".into(),
        };
        let issued =
            self.rt
                .block_on(issue(self.storage.as_ref(), &self.units.tree(), &req, None))?;
        Ok(issued.code)
    }

    /// Enroll a new device for a person, role and unit, with its own store.
    pub fn enroll(&self, person: &str, role: Role, unit: &str) -> Result<Device> {
        let code = self.enrollment_code(person, role, unit)?;
        Device::enroll(&self.url, &code, person)
    }

    /// Revoke a device now.
    pub fn revoke(&self, device: &Device) -> Result<()> {
        self.rt
            .block_on(self.storage.revoke_device(device.id(), chrono::Utc::now()))?;
        Ok(())
    }

    /// Run a future on the server's runtime (to query its storage).
    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.rt.block_on(f)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some((admin_url, name)) = self.drop_db.take() {
            drop_postgres_database(&self.rt, &admin_url, &name);
        }
    }
}

/// Create a fresh database on the PostgreSQL server of `admin_url`; its URL and name.
pub(crate) fn create_postgres_database(admin_url: &str) -> Result<(String, String)> {
    let name = format!("danvan_e2e_{}", uuid::Uuid::new_v4().simple());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(admin_url).await?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await?;
        conn.close().await?;
        anyhow::Ok(())
    })?;
    let (base, _) = admin_url.split_once('?').unwrap_or((admin_url, ""));
    let (server, _) = base
        .rsplit_once('/')
        .context("database URL without a database name")?;
    Ok((format!("{server}/{name}"), name))
}

/// Drop database `name` of the PostgreSQL server of `admin_url` (best effort, connections
/// still open are closed by the server).
pub(crate) fn drop_postgres_database(rt: &Runtime, admin_url: &str, name: &str) {
    rt.block_on(async {
        use sqlx::Connection;
        tokio::time::sleep(Duration::from_millis(100)).await;
        if let Ok(mut conn) = sqlx::PgConnection::connect(admin_url).await {
            let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(&mut conn)
                .await;
        }
    });
}

/// A simulated phone: an offline store plus credentials and an HTTP transport.
pub struct Device {
    /// The offline store.
    pub store: Store,
    /// Credentials from enrollment.
    pub creds: DeviceCredentials,
    /// The person.
    pub person: String,
    /// Role code from enrollment.
    pub role: String,
    /// Unit code from enrollment.
    pub unit: String,
    /// The HTTP transport to the server.
    pub transport: HttpTransport,
    _dir: tempfile::TempDir,
}

impl Device {
    /// Enroll against `url` with `code` and open a fresh store.
    pub fn enroll(url: &str, code: &str, label: &str) -> Result<Device> {
        let transport = HttpTransport::new(url, Duration::from_secs(30));
        let e = sync::enroll(&transport, code, label)?;
        let dir = tempfile::tempdir()?;
        let store = Store::open(
            dir.path().join("danvan.sqlite3"),
            e.device_id,
            RulesConfig::default(),
        )?;
        Ok(Device {
            store,
            creds: e.credentials(),
            person: e.person,
            role: e.role,
            unit: e.unit,
            transport,
            _dir: dir,
        })
    }

    /// Device id.
    pub fn id(&self) -> uuid::Uuid {
        self.creds.device_id
    }

    /// Sync now with default options.
    pub fn sync(&mut self) -> danvan_core::Result<SyncProgress> {
        self.sync_with(SyncOptions::default())
    }

    /// Sync with options.
    pub fn sync_with(&mut self, opts: SyncOptions) -> danvan_core::Result<SyncProgress> {
        sync::run_sync(&mut self.store, &self.transport, &self.creds, opts, |_| {})
    }

    /// The transport (to wrap it, e.g. in a flaky one).
    pub fn transport(&self) -> &HttpTransport {
        &self.transport
    }

    /// Create a record under this device's unit.
    pub fn create(&mut self, body: RecordBody, on: Date) -> danvan_core::Result<Record> {
        let unit = self.unit.clone();
        self.store.create(body, &unit, on)
    }
}

/// A mediation case body filled in for `village` of `commune` (the example, re-addressed).
pub fn mediation_case(village: &str, commune: &str) -> RecordBody {
    let mut m = danvan_core::model::MediationCase::example();
    m.village = village.to_string();
    m.commune = commune.to_string();
    m.team = format!("{village}-HG");
    RecordBody::Mediation(m)
}

/// A date in 2025.
pub fn day(month: u32, d: u32) -> Date {
    Date::ymd(2025, month, d).unwrap_or(Date(chrono::NaiveDate::MIN))
}
