//! # danvan-server
//!
//! The server of danvan: phones enroll with a one-time code, then sync their records
//! (`http/sync.rs`); officers read aggregates over the administrative unit tree.
//!
//! Layout: [`aggregate`] (figures by unit and period, as of a cut-off), [`config`] (clap, env
//! fallbacks), [`error`] (one HTTP error type, its codes in one table), [`state`] (what handlers
//! reach: [`AppState`], session limits, limiters), [`http`] (the devices' API, one module per
//! resource, device tokens in [`http::auth`]; [`http::app`], [`http::serve`]), [`web`] (the
//! officers' dashboard, JSON API and exports), [`json`] (the JSON extractor both use),
//! [`storage`] (one trait, SQLite and PostgreSQL), [`units`] (versioned unit tree, CSV import),
//! [`roles`] (the scope matrix), [`enrollment`], [`users`], [`metrics`] (Prometheus), [`cli`].
//!
//! Dependencies point down: `http` → `web` → `state` → `aggregate`, `storage`, `units`,
//! `metrics`, `config`; nothing below imports `http`, `web` or `state`.
//!
//! ```no_run
//! # async fn demo() -> danvan_server::error::Result<()> {
//! use danvan_server::{AppState, ServerConfig, Units, serve, storage};
//! let storage = storage::open(None, std::path::Path::new("./danvan-data")).await?;
//! let units = Units::load(storage.as_ref()).await?;
//! let state = AppState::new(storage, units, ServerConfig::default());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! serve(listener, state, std::future::pending()).await?;
//! # Ok(()) }
//! ```

pub mod aggregate;
pub mod cli;
pub mod config;
pub mod dvk;
pub mod enrollment;
pub mod error;
pub mod http;
pub mod json;
pub mod metrics;
pub mod registry;
pub mod report;
pub mod roles;
pub mod state;
pub mod storage;
pub mod text;
pub mod units;
pub mod users;
pub mod web;

pub use config::ServerConfig;
pub use error::{ApiError, Error, ErrorCode, Result};
pub use http::{app, serve};
pub use roles::{Role, Scope, scope};
pub use state::AppState;
pub use storage::Storage;
pub use units::{Unit, UnitTree, Units};
