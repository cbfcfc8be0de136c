//! Senim's HTTP server: the JSON API, health and metrics, authentication and
//! the access policies, on top of the store.
//!
//! [`router`] builds the whole application from an [`AppState`], so tests can
//! serve it on port 0 exactly as `senim serve` does. [`open`] turns a
//! [`Config`] into that state (store, policies, optional demo).

pub mod assess;
pub mod auth;
pub mod blobs;
pub mod config;
pub mod demo;
mod demo_cases;
pub mod error;
pub mod extract;
pub mod fuzzing;
pub mod mail;
pub mod metrics;
pub mod openapi;
pub mod policy;
pub mod register;
pub mod report_page;
pub mod routes;
pub mod state;
pub mod sweeps;
pub mod web;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::http::{header, HeaderValue};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;

use senim_domain::Clock;
use senim_store::{Location, Store, StoreOptions};

pub use config::Config;
pub use state::AppState;

use crate::error::ApiError;
use crate::extract::MAX_BODY_BYTES;
use crate::policy::Policies;

/// Builds the application.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(web::pages())
        .route("/healthz", get(routes::healthz))
        .route("/readyz", get(routes::readyz))
        .route("/metrics", get(metrics::metrics))
        .nest("/api/v1", routes::api())
        .route(
            "/api/3/action/{name}",
            get(routes::ckan::action).post(routes::ckan::action),
        )
        .route(
            "/api/action/{name}",
            get(routes::ckan::action).post(routes::ckan::action),
        )
        .route("/api/3", get(routes::ckan::version3))
        .route("/catalog.jsonld", get(routes::standards::catalog))
        .route("/dataset/{file}", get(routes::standards::dcat_dataset))
        .route(
            "/dataset/{id}/croissant.jsonld",
            get(routes::standards::croissant),
        )
        .nest("/log", routes::log::tiles())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            routes::log::receipts,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::internal().into_response()
        }))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::not_found("page")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this address does not accept that method",
    )
}

/// Where the store lives, from the configuration.
pub fn location(config: &Config) -> Location {
    match &config.database_url {
        Some(url) => Location::Url(url.clone()),
        None => Location::DataDir(config.data_dir.clone()),
    }
}

/// How to open the store this configuration describes, with the audit log's
/// signing key (read from `log_key_file`, or created there on first start).
pub fn store_options(config: &Config) -> anyhow::Result<StoreOptions> {
    let key_file = config
        .log_key_file
        .clone()
        .unwrap_or_else(|| config.data_dir.join("log.key"));
    let signer = senim_store::log::load_or_create_key(&key_file, &config.log_origin)?;
    Ok(StoreOptions {
        read_connections: config.read_connections,
        log_key: Some(Arc::new(signer)),
        log_origin: config.log_origin.clone(),
        log_tile_cache: config.log_tile_cache,
        ..StoreOptions::new(location(config))
    })
}

/// Opens the store and loads the policies.
pub async fn open(config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<AppState> {
    let policies = match &config.policy_file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("cannot read policy file {}: {e}", path.display()))?;
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
pub async fn load_rules(store: &Store, in_force: &str) -> anyhow::Result<senim_rules::RuleBook> {
    let mut packs = senim_rules::built_in_packs()?;
    for pack in &packs {
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
            packs.push(senim_rules::RulePack::parse(
                &source,
                &format!("published {id} {version}"),
            )?);
        }
    }
    Ok(senim_rules::RuleBook::new(packs, in_force)?)
}

/// Serves until `shutdown` resolves, then drains.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    if state.library.is_empty() {
        // Unless the caller built it already (`senim serve` does, to report it).
        state.rebuild_library_index().await.map_err(|e| {
            std::io::Error::other(format!("cannot build the library's search index: {e}"))
        })?;
    }
    if state.register.is_empty() {
        state.rebuild_register().await.map_err(|e| {
            std::io::Error::other(format!("cannot read the register's systems: {e}"))
        })?;
    }
    let app = router(state.clone());
    crate::sweeps::start(state.clone());
    let drain = state.clone();
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown.await;
        drain.set_ready(false);
    })
    .await
}
