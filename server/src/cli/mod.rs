//! The command-line operations behind `danvan-server <command>`.

use std::io::BufRead;

use crate::config::{Cli, Command, ServerConfig, UnitsCommand, UserCommand};
use crate::error::{Error, Result};
use crate::http::{serve, shutdown_signal};
use crate::state::AppState;
use crate::storage;
use crate::units::{Units, import_csv};

/// `println!` for command output that a closed pipe (`danvan-server device enroll | head`)
/// does not turn into a panic: see [`emit`].
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::emit(&format!($($arg)*))?
    };
}

mod device;

/// Write one line of command output. A reader that went away (broken pipe) is not an error:
/// the rest of the output is dropped quietly, as with other command-line tools.
pub(crate) fn emit(line: &str) -> Result<()> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match writeln!(stdout, "{line}").and_then(|()| stdout.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// Run one command.
pub async fn run(cli: Cli) -> Result<()> {
    let g = cli.global;
    let storage = storage::open(g.database_url.as_deref(), &g.data_dir).await?;
    let units = Units::load(storage.as_ref()).await?;
    match cli.command {
        Command::Init => {
            out!(
                "Cơ sở dữ liệu đã sẵn sàng / database ready ({}, {} unit versions)",
                storage.backend(),
                units.tree().len()
            );
        }
        Command::Serve(args) => {
            let periods = match &args.periods_config {
                Some(path) => {
                    crate::aggregate::PeriodsConfig::from_toml(&std::fs::read_to_string(path)?)
                        .map_err(|e| Error::Invalid(format!("{}: {e}", path.display())))?
                }
                None => crate::aggregate::PeriodsConfig::default(),
            };
            let rules = match &args.rules_config {
                Some(path) => danvan_core::RulesConfig::from_toml(&std::fs::read_to_string(path)?)
                    .map_err(|e| Error::Invalid(format!("{}: {e}", path.display())))?,
                None => danvan_core::RulesConfig::default(),
            };
            let config = ServerConfig {
                public_url: g.public_url,
                rules,
                body_limit: args.body_limit,
                periods,
                request_timeout: args.request_timeout,
                sync_timeout: args.sync_timeout,
                shutdown_grace: args.shutdown_grace,
                metrics_token: args.metrics_token.filter(|t| !t.is_empty()),
                trusted_proxy_header: args.trusted_proxy_header,
                small_cell_threshold: args.small_cell_threshold,
                attachments_dir: Some(
                    args.attachments_dir
                        .clone()
                        .unwrap_or_else(|| g.data_dir.join("attachments")),
                ),
                fact_index_snapshot: match args.fact_index_snapshot {
                    Some(p) if p.as_os_str() == "off" => None,
                    Some(p) => Some(p),
                    None => Some(g.data_dir.join("fact-index.snapshot")),
                },
            };
            let state = AppState::new(storage, units, config);
            // Load the fact index in the background so the first report does not wait for it.
            let aggregator = state.aggregator.clone();
            tokio::spawn(async move {
                if let Err(e) = aggregator.refresh().await {
                    tracing::warn!(error = %e, "fact index not loaded at start-up");
                }
            });
            let listener = tokio::net::TcpListener::bind(args.listen).await?;
            tracing::info!(addr = %listener.local_addr()?, "listening");
            let aggregator = state.aggregator.clone();
            serve(listener, state, shutdown_signal()).await?;
            // The next start reads the index from here instead of the whole facts table.
            if let Err(e) = aggregator.save_snapshot().await {
                tracing::warn!(error = %e, "fact index snapshot not written at shutdown");
            }
        }
        Command::Units(UnitsCommand::Import { file }) => {
            let f = std::fs::File::open(&file)?;
            let c = import_csv(storage.as_ref(), &units, std::io::BufReader::new(f)).await?;
            out!(
                "{}: {} inserted, {} updated, {} unchanged ({} unit versions in total)",
                file.display(),
                c.inserted,
                c.updated,
                c.unchanged,
                units.tree().len()
            );
        }
        Command::User(UserCommand::Add {
            username,
            role,
            unit,
            password_stdin,
        }) => {
            let password = if password_stdin {
                let mut line = String::new();
                std::io::stdin().lock().read_line(&mut line)?;
                line.trim_end_matches(['\r', '\n']).to_string()
            } else {
                let p = rpassword::prompt_password("Mật khẩu / password: ")?;
                let again = rpassword::prompt_password("Nhập lại / again: ")?;
                if p != again {
                    return Err(Error::Invalid("the two passwords differ".into()));
                }
                p
            };
            crate::users::add_user(
                storage.as_ref(),
                &units.tree(),
                &username,
                role,
                &unit,
                &password,
            )
            .await?;
            out!("user {username} created ({role}, unit {unit})");
        }
        Command::Device(cmd) => device::run(cmd, storage.as_ref(), &units, g.public_url).await?,
    }
    Ok(())
}
