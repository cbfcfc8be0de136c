//! What every handler can reach.

use std::ops::Deref;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use senim_domain::Clock;
use senim_rules::RuleBook;
use senim_store::Store;
use tokio::sync::RwLock;

use crate::auth::LoginLimiter;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::policy::Policies;

/// The shared state of a running server; cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub store: Store,
    pub policies: Policies,
    pub clock: Arc<dyn Clock>,
    pub limiter: LoginLimiter,
    pub metrics: Metrics,
    pub config: Config,
    /// Every known rule pack. Writes that classify hold the read lock until
    /// their command commits; publishing holds the write lock from reading the
    /// systems until its command commits, so no version is classified under a
    /// pack that is no longer in force.
    pub rules: RwLock<RuleBook>,
    /// The data library's uploads and stored files.
    pub blobs: crate::blobs::Blobs,
    /// See [`crate::auth::dummy_hash`]; computed at the first sign-in, not at
    /// start, because argon2 needs 19 MiB that an idle server should not hold.
    dummy_hash: std::sync::OnceLock<String>,
    ready: AtomicBool,
}

impl AppState {
    pub fn new(store: Store, policies: Policies, config: Config, rules: RuleBook) -> AppState {
        let blobs = crate::blobs::Blobs::new(&config.data_dir);
        let clock = store.clock().clone();
        AppState(Arc::new(Inner {
            store,
            policies,
            clock,
            limiter: LoginLimiter::default(),
            metrics: Metrics::new(),
            config,
            rules: RwLock::new(rules),
            blobs,
            dummy_hash: std::sync::OnceLock::new(),
            ready: AtomicBool::new(true),
        }))
    }

    /// The hash checked when an e-mail is unknown (same cost as a real check).
    pub fn dummy_hash(&self) -> &str {
        self.0.dummy_hash.get_or_init(crate::auth::dummy_hash)
    }

    pub fn is_ready(&self) -> bool {
        self.0.ready.load(Ordering::SeqCst)
    }

    /// Applies a command for the current request; its receipt goes into the
    /// response (see [`crate::routes::log::receipts`]).
    pub async fn execute(
        &self,
        actor: senim_store::Actor,
        command: senim_store::Command,
    ) -> Result<senim_store::Applied, senim_store::StoreError> {
        let committed = self.store.execute_logged(actor, command).await?;
        if let Some(position) = committed.log {
            let _ = crate::routes::log::LOGGED.try_with(|slot| {
                if let Ok(mut slot) = slot.lock() {
                    *slot = Some(position);
                }
            });
        }
        Ok(committed.applied)
    }

    /// Marks the server as draining (readiness fails, liveness holds).
    pub fn set_ready(&self, ready: bool) {
        self.0.ready.store(ready, Ordering::SeqCst)
    }
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}
