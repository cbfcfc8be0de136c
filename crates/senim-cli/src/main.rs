//! `senim`: the one binary. It serves the platform, migrates and administers
//! the database, and talks to a running server as a client.
//!
//! Errors reach `main` as `anyhow` chains and leave as one readable message
//! and a non-zero exit code; nothing panics at the user.

mod admin;
mod audit;
mod cases;
mod client;
mod data;
mod log;
mod programmes;
mod restore;
mod rotate;
mod rules;
mod serve;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

// glibc's allocator serialises threads on its arena locks under load; mimalloc
// keeps per-thread heaps (measured in docs/BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "senim",
    version,
    about = "Senim: the register of AI systems under Kazakhstan's Law on Artificial Intelligence"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve(serve::ServeArgs),
    /// Create or upgrade the database schema, then exit.
    Migrate(StoreArgs),
    /// Administer organisations, accounts, roles and tokens directly in the database.
    Admin(admin::AdminArgs),
    /// Get an API token for your account from a running server.
    Login(client::LoginArgs),
    /// Register, list and read AI systems on a running server.
    System(client::SystemArgs),
    /// Classify a profile under a rule pack, offline.
    Classify(rules::ClassifyArgs),
    /// Check and compare rule packs, offline.
    Rules(rules::RulesArgs),
    /// The algorithmic audit engine, offline: fairness and performance metrics from predictions.
    Audit(audit::AuditArgs),
    /// Verify a server's public audit log, or one receipt offline.
    Verify(log::VerifyArgs),
    /// The audit log's key.
    Log(log::LogArgs),
    /// Registration dossiers, audits, investigations, trusted-list applications and their steps.
    Case(cases::CaseArgs),
    /// Report an incident, a complaint or a tip, and follow it by its tracking code.
    Report(cases::ReportArgs),
    /// The pool of expert reviewers.
    Reviewer(cases::ReviewerArgs),
    /// Your notices.
    Inbox(cases::InboxArgs),
    /// Published decisions and trusted lists.
    Public(cases::PublicArgs),
    /// The account your token belongs to.
    Me(cases::MeArgs),
    /// The data library's files: push (resumable) and pull (checked).
    Data(data::DataArgs),
    /// The National AI Platform's support programmes: programmes, calls, applications, awards.
    Programme(programmes::ProgrammeArgs),
}

/// Where the data is: shared by every command that opens the database.
#[derive(Args, Clone, Debug)]
pub struct StoreArgs {
    /// A TOML configuration file (the keys of `senim serve`).
    #[arg(long, env = "SENIM_CONFIG")]
    pub config: Option<PathBuf>,
    /// Directory for SQLite and files [default: ./senim-data].
    #[arg(long, env = "SENIM_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// postgres://... to use PostgreSQL instead of SQLite.
    #[arg(long, env = "SENIM_DATABASE_URL")]
    pub database_url: Option<String>,
    /// The audit log's signing key file [default: log.key in the data directory].
    #[arg(long, env = "SENIM_LOG_KEY_FILE")]
    pub log_key_file: Option<PathBuf>,
    /// The audit log's origin, naming a newly created key [default: localhost/senim].
    #[arg(long, env = "SENIM_LOG_ORIGIN")]
    pub log_origin: Option<String>,
    /// A working-day calendar replacing the built-in Kazakh one (calendars/kz.toml).
    #[arg(long, env = "SENIM_CALENDAR_FILE")]
    pub calendar_file: Option<PathBuf>,
}

impl StoreArgs {
    /// The configuration file, then environment and flags over it.
    pub fn config(&self) -> anyhow::Result<senim_app::Config> {
        let mut config = match &self.config {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
                toml::from_str(&text).map_err(|e| {
                    anyhow::anyhow!("{} is not a valid configuration: {e}", path.display())
                })?
            }
            None => senim_app::Config::default(),
        };
        if let Some(dir) = &self.data_dir {
            config.data_dir = dir.clone();
        }
        if let Some(url) = &self.database_url {
            config.database_url = Some(url.as_str().into());
        }
        if let Some(path) = &self.log_key_file {
            config.log_key_file = Some(path.clone());
        }
        if let Some(origin) = &self.log_origin {
            config.log_origin = origin.clone();
        }
        if let Some(path) = &self.calendar_file {
            config.calendar_file = Some(path.clone());
        }
        if let Some(path) = &config.calendar_file {
            let text = std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
            config.calendar = senim_app::config::parse_calendar(&text)
                .map_err(|e| anyhow::anyhow!("{} is not a valid calendar: {e}", path.display()))?;
        }
        Ok(config)
    }
}

/// Reads a TOML file, or JSON when its name ends in `.json`, into `T`.
pub fn read_document<T: serde::de::DeserializeOwned>(path: &std::path::Path) -> anyhow::Result<T> {
    use anyhow::Context;
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    if path.extension().map(|e| e == "json").unwrap_or(false) {
        serde_json::from_str(&text).with_context(|| format!("{} is not valid", path.display()))
    } else {
        toml::from_str(&text).with_context(|| format!("{} is not valid", path.display()))
    }
}

/// Reads a password from standard input, without its final line break.
pub fn read_password_stdin() -> anyhow::Result<String> {
    use std::io::Read;
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text)?;
    Ok(text.trim_end_matches(['\n', '\r']).to_string())
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SENIM_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => serve::run(args).await,
        Command::Migrate(args) => {
            let config = args.config()?;
            let backend = senim_store::migrate(senim_app::store_options(&config)?).await?;
            println!("migrated the {} database", backend.name());
            Ok(())
        }
        Command::Admin(args) => admin::run(args).await,
        Command::Login(args) => client::login(args).await,
        Command::System(args) => client::system(args).await,
        Command::Classify(args) => rules::classify(args),
        Command::Rules(args) => rules::rules(args),
        Command::Audit(args) => audit::run(args),
        Command::Verify(args) => log::verify(args).await,
        Command::Log(args) => log::log(args),
        Command::Case(args) => cases::case(args).await,
        Command::Report(args) => cases::report(args).await,
        Command::Reviewer(args) => cases::reviewer(args).await,
        Command::Inbox(args) => cases::inbox(args).await,
        Command::Public(args) => cases::public(args).await,
        Command::Me(args) => cases::me(args).await,
        Command::Data(args) => data::data(args).await,
        Command::Programme(args) => programmes::programme(args).await,
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
