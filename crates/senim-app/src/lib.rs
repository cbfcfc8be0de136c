//! Senim's application core, shared by every front end: the state, the
//! configuration, the access policies (Cedar), authentication, classification,
//! the register's summaries, the sweeps, mail, the translations (Fluent), the
//! one error type, and the use cases the pages and the JSON API both call
//! (open a case, take a step, publish a pack, add a dataset, ...).
//!
//! Nothing here knows a page or a route: the front ends (`senim-api`,
//! `senim-web`, `senim-opendata`) depend on this crate, never the other way.
//! [`open`] turns a [`Config`] into the [`AppState`] they all share.

pub mod accounts;
pub mod allocations;
pub mod assess;
pub mod attachments;
pub mod audit;
pub mod auth;
pub mod blobs;
pub mod cases;
pub mod config;
pub mod cosigning;
pub mod datasets;
pub mod documents;
pub mod eds;
pub mod education;
pub mod error;
pub mod extract;
pub mod figures;
pub mod files;
pub mod fuzzing;
pub mod i18n;
pub mod intake;
pub mod log;
pub mod mail;
pub mod oidc;
pub mod organisations;
pub mod policy;
pub mod programmes;
pub mod register;
pub mod rulepacks;
pub mod sandbox;
pub mod session;
pub mod state;
pub mod sweeps;
pub mod systems;
pub mod telemetry;
pub mod witness;

use std::sync::Arc;

use senim_domain::Clock;
use senim_store::{Location, Store, StoreOptions};

pub use config::Config;
pub use error::{ApiError, StartError};
pub use state::AppState;

use crate::policy::Policies;

/// Where the store lives, from the configuration.
pub fn location(config: &Config) -> Location {
    match &config.database_url {
        Some(url) => Location::Url(url.expose().to_string()),
        None => Location::DataDir(config.data_dir.clone()),
    }
}

/// How to open the store this configuration describes, with the audit log's
/// signing key (read from `log_key_file`, or created there on first start).
pub fn store_options(config: &Config) -> Result<StoreOptions, StartError> {
    let key_file = config
        .log_key_file
        .clone()
        .unwrap_or_else(|| config.data_dir.join("log.key"));
    let signer = senim_store::log::load_or_create_key(&key_file, &config.log_origin)?;
    // Beside the key, outside the database and its backups.
    let mut published = key_file.clone().into_os_string();
    published.push(".published");
    let published: std::path::PathBuf = published.into();
    Ok(StoreOptions {
        read_connections: config.read_connections,
        published_checkpoint: Some(published),
        accept_rollback: config.accept_rollback.clone(),
        read_only: config.read_only,
        log_key: Some(Arc::new(signer)),
        log_key_file: Some(key_file),
        log_origin: config.log_origin.clone(),
        log_tile_cache: config.log_tile_cache,
        ..StoreOptions::new(location(config))
    })
}

/// Opens the store and loads the policies.
pub async fn open(config: Config, clock: Arc<dyn Clock>) -> Result<AppState, StartError> {
    let policies = match &config.policy_file {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|source| StartError::PolicyFile {
                path: path.clone(),
                source,
            })?;
            Policies::parse(&text)?
        }
        None => Policies::default_policies()?,
    };
    let store = Store::open(store_options(&config)?, clock).await?;
    let rules = load_rules(&store, &config.rule_pack).await?;
    AppState::new(store, policies, config, rules)
}

/// The built-in packs (installed in the database on first start) and every
/// version published since.
pub async fn load_rules(
    store: &Store,
    in_force: &str,
) -> Result<senim_rules::RuleBook, StartError> {
    let mut packs = senim_rules::built_in_packs()?;
    // Read-only, a database without them yet classifies with the built-in
    // packs all the same.
    let installed = if store.read_only().is_some() {
        &[][..]
    } else {
        &packs[..]
    };
    for pack in installed {
        let command = senim_store::Command::InstallRulePack {
            pack: pack.pack_ref(),
            source: pack.source.clone(),
        };
        store
            .execute(senim_store::Actor::operator(), command)
            .await?;
    }
    for (id, version, source) in store.rulepacks().await? {
        if !packs.iter().any(|p| p.id == id && p.version == version) {
            packs.push(senim_rules::RulePack::parse_stored(
                &source,
                &format!("published {id} {version}"),
            )?);
        }
    }
    Ok(senim_rules::RuleBook::new(packs, in_force)?)
}
