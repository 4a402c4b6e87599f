//! Test databases: a SQLite file in a temp dir, or a fresh PostgreSQL database per test.

use std::io::Write;
use std::sync::{Arc, Once};

use danvan_server::ServerConfig;
use danvan_server::state::AppState;
use danvan_server::storage::{PgStorage, SqliteStorage, Storage};
use danvan_server::units::{Units, import_csv};
use sqlx::Connection;

/// The Hải Phòng unit file shipped with the server.
pub const HAIPHONG_CSV: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/data/units/haiphong.csv"
));

pub enum TestDb {
    Sqlite {
        storage: Arc<SqliteStorage>,
        _dir: tempfile::TempDir,
    },
    Postgres {
        storage: Arc<PgStorage>,
        admin_url: String,
        name: String,
    },
}

static SKIP_NOTICE: Once = Once::new();

impl TestDb {
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        let storage = SqliteStorage::open(&dir.path().join("danvan.sqlite3"))
            .await
            .unwrap();
        TestDb::Sqlite {
            storage: Arc::new(storage),
            _dir: dir,
        }
    }

    /// A fresh PostgreSQL database, or `None` (with a notice) when no server is configured.
    pub async fn postgres() -> Option<TestDb> {
        let Ok(admin_url) = std::env::var("DANVAN_TEST_DATABASE_URL") else {
            SKIP_NOTICE.call_once(|| {
                // Written straight to stderr so that the test harness does not capture it.
                let _ = writeln!(
                    std::io::stderr(),
                    "\n*** PostgreSQL storage tests SKIPPED: set DANVAN_TEST_DATABASE_URL \
                     (e.g. postgres://postgres@127.0.0.1:5432/test) to run them ***\n"
                );
            });
            return None;
        };
        let name = format!("danvan_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(&admin_url).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .unwrap();
        conn.close().await.unwrap();
        let (base, _) = admin_url.split_once('?').unwrap_or((&admin_url, ""));
        let (server, _) = base.rsplit_once('/').unwrap();
        let storage = PgStorage::connect(&format!("{server}/{name}"))
            .await
            .unwrap();
        Some(TestDb::Postgres {
            storage: Arc::new(storage),
            admin_url,
            name,
        })
    }

    pub fn storage(&self) -> Arc<dyn Storage> {
        match self {
            TestDb::Sqlite { storage, .. } => storage.clone(),
            TestDb::Postgres { storage, .. } => storage.clone(),
        }
    }

    pub async fn cleanup(self) {
        match self {
            TestDb::Sqlite { storage, _dir } => storage.close().await,
            TestDb::Postgres {
                storage,
                admin_url,
                name,
            } => {
                storage.close().await;
                let mut conn = sqlx::PgConnection::connect(&admin_url).await.unwrap();
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&mut conn)
                .await
                .unwrap();
            }
        }
    }
}

/// Run `test` against a database, drop the database even if the test panics, then re-raise.
pub async fn run_on<F, Fut>(db: Option<TestDb>, test: F)
where
    F: FnOnce(Arc<dyn Storage>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let Some(db) = db else { return };
    let result = tokio::spawn(test(db.storage())).await;
    db.cleanup().await;
    if let Err(e) = result {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// Declare tests that run once per backend: `both_backends!(name, …)` calls `super::name`.
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = crate::support::TestDb::sqlite().await;
                    crate::support::run_on(Some(db), super::$name).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = crate::support::TestDb::postgres().await;
                    crate::support::run_on(db, super::$name).await;
                }
            )*
        }
    };
}
pub(crate) use both_backends;

/// Import the Hải Phòng units and return the loaded tree handle.
pub async fn haiphong(storage: &dyn Storage) -> Units {
    let units = Units::load(storage).await.unwrap();
    import_csv(storage, &units, HAIPHONG_CSV.as_bytes())
        .await
        .unwrap();
    units
}

/// App state over a storage with the Hải Phòng units.
pub async fn state(storage: Arc<dyn Storage>, config: ServerConfig) -> AppState {
    let units = haiphong(storage.as_ref()).await;
    AppState::new(storage, units, config)
}

pub fn date(s: &str) -> chrono::NaiveDate {
    s.parse().unwrap()
}

/// A fact row for aggregation tests: record `id`, `kind` (category civil / budget_finance /
/// good), entered under `unit` read on `unit_on`, main date `main`, status history
/// `(status, on)`; no measures, no flows.
pub fn test_fact(
    id: u128,
    kind: danvan_core::RecordKind,
    unit: &str,
    unit_on: &str,
    main: &str,
    history: &[(&str, &str)],
) -> danvan_core::facts::Fact {
    use danvan_core::RecordKind;
    use danvan_core::model::common::Date;
    let day = |s: &str| Date(s.parse().unwrap());
    danvan_core::facts::Fact {
        id: uuid::Uuid::from_u128(id).to_string(),
        kind,
        unit: unit.into(),
        unit_on: day(unit_on),
        status: history.last().map(|h| h.0.to_string()).unwrap_or_default(),
        category: Some(match kind {
            RecordKind::Mediation => "civil".into(),
            RecordKind::Inspection => "budget_finance".into(),
            RecordKind::Democracy => "good".into(),
            RecordKind::Petition => "complaint".into(),
            RecordKind::Dialogue => "periodic".into(),
        }),
        subtype: None,
        main_date: Some(day(main)),
        closed_on: None,
        history: history
            .iter()
            .map(|(s, on)| danvan_core::facts::FactStatus {
                status: (*s).into(),
                on: day(on),
            })
            .collect(),
        measures: Vec::new(),
        flows: Vec::new(),
    }
}
