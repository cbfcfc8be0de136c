//! `senim serve`: configuration layering, the demo, and graceful shutdown.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use clap::Args;

use crate::StoreArgs;

#[derive(Args, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "SENIM_BIND")]
    pub bind: Option<SocketAddr>,
    /// Load the demo (organisations, accounts, 27 AI systems) into an empty database.
    #[arg(long, env = "SENIM_DEMO")]
    pub demo: bool,
    /// The public address; https:// turns on Secure cookies.
    #[arg(long, env = "SENIM_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// A Cedar policy file replacing the built-in access policies.
    #[arg(long, env = "SENIM_POLICY_FILE")]
    pub policy_file: Option<PathBuf>,
    /// The rule pack systems are classified under [default: kz-seed-2025].
    #[arg(long, env = "SENIM_RULE_PACK")]
    pub rule_pack: Option<String>,
    /// Start on a database whose audit log is behind the last checkpoint
    /// this register published: a restore from an older backup that the
    /// operator decided on. The rollback is recorded in the log and
    /// announced with REASON (`--accept-rollback="disk failure, restored
    /// from the backup of 6 December"`). For one start.
    #[arg(long, num_args = 0..=1, default_missing_value = "", value_name = "REASON")]
    pub accept_rollback: Option<String>,
    /// Start read-only, even when the start-up checks of the log fail, to
    /// investigate: pages, the API's reads and the log are served, every
    /// change (sign-in too) is refused, no sweep or mail runs.
    #[arg(long, conflicts_with = "accept_rollback")]
    pub read_only: bool,
}

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut config = args.store.config()?;
    if let Some(bind) = args.bind {
        config.bind = bind;
    }
    if args.demo {
        config.demo = true;
    }
    if let Some(url) = args.public_url {
        config.public_url = Some(url);
    }
    if let Some(path) = args.policy_file {
        config.policy_file = Some(path);
    }
    if let Some(pack) = args.rule_pack {
        config.rule_pack = pack;
    }
    config.accept_rollback = args.accept_rollback;
    config.read_only = args.read_only;
    let listener = tokio::net::TcpListener::bind(config.bind)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.bind))?;
    let address = listener.local_addr()?;
    let data_dir = config.data_dir.clone();
    let demo = config.demo && !config.read_only;
    let backend_name = if config.database_url.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    // Held while the server runs: `senim admin restore` waits for no one.
    let _lock = match &config.database_url {
        None => Some(senim_store::DataDirLock::take(&config.data_dir, false)?),
        Some(_) => None,
    };
    let state = senim_app::open(config, Arc::new(senim_domain::SystemClock)).await?;
    if let Some(read_only) = state.store.read_only() {
        println!("Senim is open READ-ONLY: every change is refused until it is started without --read-only.");
        for finding in &read_only.findings {
            println!("  found: {finding}");
        }
    }
    if demo {
        let rules = state.rules.read().await.clone();
        let logins =
            senim_demo::load_if_empty(&state.store, &data_dir, &rules, &state.config).await?;
        print_logins(&logins, &data_dir);
    }
    let indexed = state.rebuild_library_index().await?;
    println!(
        "Senim is ready at http://{address}/ ({backend_name}, data in {}, library files in {}, \
         {indexed} datasets indexed), started in {} ms",
        data_dir.display(),
        state.blobs.describe(),
        started.elapsed().as_millis()
    );
    println!(
        "  API: http://{address}/api/v1/systems   OpenAPI: http://{address}/api/v1/openapi.json"
    );
    senim_server::serve(listener, state, shutdown_signal()).await?;
    println!("Senim stopped.");
    Ok(())
}

fn print_logins(logins: &[senim_demo::DemoLogin], data_dir: &std::path::Path) {
    if logins.is_empty() {
        println!("The database already held data, so the demo was not loaded.");
        return;
    }
    println!(
        "Demo accounts (also in {}):",
        data_dir.join("demo-accounts.txt").display()
    );
    for login in logins {
        let roles: Vec<&str> = login.roles.iter().map(|r| r.as_str()).collect();
        println!(
            "  {:<28} {:<18} password: {}",
            login.email,
            roles.join(","),
            login.password
        );
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
