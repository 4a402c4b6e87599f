//! Command line and environment: one documented clap parser.
//!
//! Every global option also reads an environment variable, so a service manager can configure
//! the server without flags.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::roles::Role;

/// danvan-server: receives field records from phones and aggregates them up the
/// administrative hierarchy.
#[derive(Debug, Parser)]
#[command(name = "danvan-server", version, about)]
pub struct Cli {
    /// Options shared by every command.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options shared by every command.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Directory for the SQLite database and other state.
    #[arg(
        long,
        global = true,
        env = "DANVAN_DATA_DIR",
        default_value = "./danvan-data"
    )]
    pub data_dir: PathBuf,
    /// Database URL: `postgres://…` for PostgreSQL, `sqlite:…` for another SQLite file;
    /// absent = `<data-dir>/danvan.sqlite3`, created on first run.
    #[arg(
        long,
        global = true,
        env = "DANVAN_DATABASE_URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    /// Public URL of this server, put in enrollment QR codes (e.g. `https://danvan.example.vn`).
    #[arg(long, global = true, env = "DANVAN_PUBLIC_URL")]
    pub public_url: Option<String>,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server.
    Serve(ServeArgs),
    /// Create the database (if needed) and run the migrations.
    Init,
    /// Administrative units.
    #[command(subcommand)]
    Units(UnitsCommand),
    /// Dashboard users.
    #[command(subcommand)]
    User(UserCommand),
    /// Phones.
    #[command(subcommand)]
    Device(DeviceCommand),
}

/// `serve` options.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "DANVAN_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Largest accepted request body, in bytes.
    #[arg(long, env = "DANVAN_BODY_LIMIT", default_value_t = 8 * 1024 * 1024)]
    pub body_limit: usize,
    /// TOML file of reporting-period cut-offs and deadlines (absent = Circular 03/2019 defaults).
    #[arg(long, env = "DANVAN_PERIODS_CONFIG")]
    pub periods_config: Option<PathBuf>,
    /// TOML file of the rules' deadlines and thresholds: petition deadlines, dialogue frequency,
    /// public holidays (absent = the law's defaults; see `server/config/rules.example.toml`).
    #[arg(long, env = "DANVAN_RULES_CONFIG")]
    pub rules_config: Option<PathBuf>,
    /// Longest time a request may take, body upload included, before it is answered
    /// 408 `timeout` (every route but `POST /v1/sync`). `500ms`, `30s`, `2m`; a bare number is
    /// seconds.
    #[arg(long, env = "DANVAN_REQUEST_TIMEOUT", default_value = "60s", value_parser = parse_duration)]
    pub request_timeout: Duration,
    /// Longest time `POST /v1/sync` may take: a phone on a slow rural link uploads up to
    /// `--body-limit` bytes, so this is longer than `--request-timeout`.
    #[arg(long, env = "DANVAN_SYNC_TIMEOUT", default_value = "300s", value_parser = parse_duration)]
    pub sync_timeout: Duration,
    /// On SIGTERM or Ctrl-C: stop accepting connections, let requests in flight finish for at
    /// most this long, then exit (cutting what is still running).
    #[arg(long, env = "DANVAN_SHUTDOWN_GRACE", default_value = "10s", value_parser = parse_duration)]
    pub shutdown_grace: Duration,
    /// Serve `GET /metrics` to requests with `Authorization: Bearer <token>` (absent = no
    /// `/metrics` at all: 404). Use a long random value; prefer the environment variable, which
    /// does not show in the process list.
    #[arg(long, env = "DANVAN_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// Above the commune (district and city officers, administrators), a commune's breakdown
    /// cells (mediation by category and subtype, petitions by type, field, channel, outcome,
    /// reason) with a count below this are suppressed, with the cells that would give them
    /// away (ADR 0012). 0 or 1: nothing suppressed.
    #[arg(long, env = "DANVAN_SMALL_CELL_THRESHOLD", default_value_t = DEFAULT_SMALL_CELL_THRESHOLD)]
    pub small_cell_threshold: u64,
    /// Directory for attachment files (photos and PDFs of signed minutes, ADR 0014); absent =
    /// `<data-dir>/attachments`. Several instances on one database must share it (a network
    /// file system).
    #[arg(long, env = "DANVAN_ATTACHMENTS_DIR")]
    pub attachments_dir: Option<PathBuf>,
    /// Behind a reverse proxy: the header in which it puts the client's address (e.g.
    /// `X-Forwarded-For`; its last address counts), for the failed-login limit. Absent = the
    /// header is ignored and the socket's peer address counts. Set it only when every request
    /// comes through that proxy, which must overwrite or append to the header.
    #[arg(long, env = "DANVAN_TRUSTED_PROXY_HEADER")]
    pub trusted_proxy_header: Option<axum::http::HeaderName>,
    /// File in which the in-memory fact index is kept between restarts, so a restart reads it
    /// and catches up instead of reading every fact row (ADR 0016); absent =
    /// `<data-dir>/fact-index.snapshot`, `off` = none. Per instance: on local disk, not shared.
    #[arg(long, env = "DANVAN_FACT_INDEX_SNAPSHOT")]
    pub fact_index_snapshot: Option<PathBuf>,
}

/// A duration on the command line: `500ms`, `10s`, `2m`, `1h`, or a bare number of seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, unit) = s.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("not a duration: {s:?} (e.g. 500ms, 10s, 2m)"))?;
    match unit.trim() {
        "ms" => Ok(Duration::from_millis(n)),
        "" | "s" => Ok(Duration::from_secs(n)),
        "m" | "min" => Ok(Duration::from_secs(n.saturating_mul(60))),
        "h" => Ok(Duration::from_secs(n.saturating_mul(3600))),
        other => Err(format!("unknown unit {other:?} in {s:?} (ms, s, m, h)")),
    }
}

/// `units` subcommands.
#[derive(Debug, Subcommand)]
pub enum UnitsCommand {
    /// Import (insert or update) units from a CSV file:
    /// `code,name,level,parent,valid_from,valid_to,successors`.
    Import {
        /// The CSV file.
        file: PathBuf,
    },
}

/// `user` subcommands.
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a dashboard user (argon2id password hash).
    Add {
        /// Login name.
        #[arg(long)]
        username: String,
        /// Role (mediator, team_leader, inspector, checker, commune_officer,
        /// district_officer, city_officer, admin).
        #[arg(long)]
        role: Role,
        /// Unit code.
        #[arg(long)]
        unit: String,
        /// Read the password from the first line of standard input instead of prompting.
        #[arg(long)]
        password_stdin: bool,
    },
}

/// `device` subcommands.
#[derive(Debug, Subcommand)]
pub enum DeviceCommand {
    /// Create a one-time enrollment code (printed with a QR code) for a person's phone.
    Enroll {
        /// Person who will use the phone, e.g. "Nguyễn Thị Lan".
        #[arg(long)]
        person: String,
        /// Role given to the phone.
        #[arg(long)]
        role: Role,
        /// Unit code (a village for mediators, a commune for inspectors…).
        #[arg(long)]
        unit: String,
        /// Hours until the code expires.
        #[arg(long, default_value_t = 72)]
        expires_hours: u32,
        /// Who is creating the code (recorded).
        #[arg(long, env = "USER", default_value = "admin")]
        created_by: String,
    },
    /// List enrolled phones.
    List,
    /// Revoke a phone: its next request is refused.
    Revoke {
        /// Device id.
        id: uuid::Uuid,
    },
}

/// The default threshold of small cells above the commune (ADR 0012): counts 1–4 of one
/// commune's breakdowns are withheld from officers above it.
pub const DEFAULT_SMALL_CELL_THRESHOLD: u64 = 5;

/// Runtime settings of the HTTP server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Public URL (for QR codes and links), if configured.
    pub public_url: Option<String>,
    /// Largest accepted request body, in bytes.
    pub body_limit: usize,
    /// Deadlines and thresholds the core's rules use (per city).
    pub rules: danvan_core::RulesConfig,
    /// Reporting periods: cut-offs and deadlines (ADR 0004).
    pub periods: crate::aggregate::PeriodsConfig,
    /// Longest time a request may take (every route but `POST /v1/sync`): then 408 `timeout`.
    pub request_timeout: Duration,
    /// Longest time `POST /v1/sync` may take (slow uploads from the field).
    pub sync_timeout: Duration,
    /// How long [`serve`](crate::http::serve) lets requests in flight finish after the
    /// shutdown signal before it returns anyway.
    pub shutdown_grace: Duration,
    /// The bearer token `GET /metrics` requires; `None` (the default): `/metrics` answers 404.
    pub metrics_token: Option<String>,
    /// The header a trusted reverse proxy puts the client's address in (failed-login limit);
    /// `None` (the default): the socket's peer address.
    pub trusted_proxy_header: Option<axum::http::HeaderName>,
    /// Above the commune, breakdown cells with a count below this are suppressed (ADR 0012);
    /// 0 or 1 suppresses nothing (and still hides the lines below the commune).
    pub small_cell_threshold: u64,
    /// Where attachment files are kept; `None`: attachments are not served (503 `unavailable`).
    pub attachments_dir: Option<PathBuf>,
    /// Where the fact index is kept between restarts (ADR 0016); `None`: it is not.
    pub fact_index_snapshot: Option<PathBuf>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            public_url: None,
            body_limit: 8 * 1024 * 1024,
            rules: danvan_core::RulesConfig::default(),
            periods: crate::aggregate::PeriodsConfig::default(),
            request_timeout: Duration::from_secs(60),
            sync_timeout: Duration::from_secs(300),
            shutdown_grace: Duration::from_secs(10),
            metrics_token: None,
            trusted_proxy_header: None,
            small_cell_threshold: DEFAULT_SMALL_CELL_THRESHOLD,
            attachments_dir: None,
            fact_index_snapshot: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("10"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert!(parse_duration("ten").is_err());
        assert!(parse_duration("5d").is_err());
    }
}
