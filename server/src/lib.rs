//! # danvan-server
//!
//! The server of danvan: phones enroll with a one-time code, then sync their records (the
//! lead's `http/sync.rs`); officers read aggregates over the administrative unit tree.
//!
//! Layout: [`aggregate`] (figures by unit and period, as of a cut-off), [`config`] (clap, env fallbacks), [`error`] (one HTTP error type with stable codes),
//! [`http`] (one module per resource; [`http::app`], [`http::serve`]), [`storage`] (one trait,
//! SQLite and PostgreSQL), [`units`] (versioned unit tree, CSV import), [`roles`] (the scope
//! matrix), [`auth`] (device tokens), [`enrollment`], [`users`], [`metrics`], [`cli`].
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
pub mod auth;
pub mod cli;
pub mod config;
pub mod enrollment;
pub mod error;
pub mod http;
pub mod metrics;
pub mod roles;
pub mod storage;
pub mod units;
pub mod users;
pub mod web;

pub use config::ServerConfig;
pub use error::{ApiError, Error, ErrorCode, Result};
pub use http::{AppState, app, serve};
pub use roles::{Role, Scope, scope};
pub use storage::Storage;
pub use units::{Unit, UnitTree, Units};
