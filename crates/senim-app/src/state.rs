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
use crate::policy::Policies;
use crate::telemetry::Metrics;

/// The shared state of a running server; cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub store: Store,
    pub policies: Policies,
    pub clock: Arc<dyn Clock>,
    pub limiter: LoginLimiter,
    /// The public intake's limits ([`crate::intake`]).
    pub intake: crate::intake::IntakeLimiter,
    /// Requests that mail someone without a session (a link to choose a
    /// password, a request for an organisation's account), by address: the
    /// intake's sliding windows, with their own quotas.
    pub resets: crate::intake::IntakeLimiter,
    /// The intake's proof-of-work challenges.
    pub proof: crate::intake::ProofOfWork,
    pub metrics: Metrics,
    pub config: Config,
    /// Every known rule pack. Writes that classify hold the read lock until
    /// their command commits; publishing holds the write lock from reading the
    /// systems until its command commits, so no version is classified under a
    /// pack that is no longer in force.
    pub rules: RwLock<RuleBook>,
    /// The data library's uploads and stored files.
    pub blobs: crate::blobs::Blobs,
    /// The data library's full-text index, built from the database when the
    /// server starts ([`AppState::rebuild_library_index`]) and kept up to date
    /// by [`AppState::execute`].
    pub library: senim_search::DatasetIndex,
    /// The public register's summaries, for the register page's facets
    /// ([`crate::register`]); built when the server starts and kept current
    /// by [`AppState::execute`].
    pub register: crate::register::RegisterIndex,
    /// The certificates' issuer and its signed status lists.
    pub badges: crate::education::Badges,
    /// The OpenID providers people may sign in through, and their settings
    /// as last read.
    pub oidc: crate::oidc::Providers,
    /// The certification authorities trusted for electronic digital
    /// signatures.
    pub eds: crate::eds::Eds,
    /// The logs this register witnesses, and its cosigning key.
    pub witness: crate::witness::Witness,
    /// The witnesses asked to cosign this register's checkpoints.
    pub witnesses: crate::cosigning::Witnesses,
    /// The statistics page's figures from the cases, until a case changes.
    pub stats_cache: std::sync::Mutex<Option<Arc<crate::figures::CaseFigures>>>,
    /// Held while one dataset's index entry is read back and replaced.
    reindexing: tokio::sync::Mutex<()>,
    /// See [`crate::auth::dummy_hash`]; computed at the first sign-in, not at
    /// start, because argon2 needs 19 MiB that an idle server should not hold.
    dummy_hash: std::sync::OnceLock<String>,
    ready: AtomicBool,
}

impl AppState {
    pub fn new(
        store: Store,
        policies: Policies,
        config: Config,
        rules: RuleBook,
    ) -> Result<AppState, crate::StartError> {
        let blobs = crate::blobs::Blobs::from_config(&config)?;
        let library = senim_search::DatasetIndex::new()?;
        let clock = store.clock().clone();
        let badges = crate::education::Badges::new(&config);
        let proof = crate::intake::ProofOfWork::new(store.log_signer().private_key().as_bytes());
        let oidc = crate::oidc::Providers::new(config.identity_providers.clone());
        let eds = crate::eds::Eds::new(config.eds.clone())?;
        let witness = crate::witness::Witness::new(&config)?;
        let witnesses = crate::cosigning::Witnesses::new(&config)?;
        Ok(AppState(Arc::new(Inner {
            badges,
            oidc,
            eds,
            witness,
            witnesses,
            store,
            policies,
            clock,
            limiter: LoginLimiter::default(),
            intake: crate::intake::IntakeLimiter::default(),
            resets: crate::intake::IntakeLimiter::default(),
            proof,
            metrics: Metrics::new(),
            config,
            rules: RwLock::new(rules),
            blobs,
            library,
            register: crate::register::RegisterIndex::new()?,
            stats_cache: std::sync::Mutex::new(None),
            reindexing: tokio::sync::Mutex::new(()),
            dummy_hash: std::sync::OnceLock::new(),
            ready: AtomicBool::new(true),
        })))
    }

    /// Builds the library's search index again from the database; returns
    /// how many datasets it holds.
    pub async fn rebuild_library_index(&self) -> Result<u64, crate::StartError> {
        let mut docs = Vec::new();
        let mut after = None;
        loop {
            let batch = self.store.datasets_after(after, 1000).await?;
            let Some((last, _)) = batch.last() else {
                break;
            };
            after = Some(last.id);
            docs.extend(
                batch
                    .iter()
                    .map(|(d, files)| senim_search::DatasetDoc::new(d, files)),
            );
        }
        Ok(self.library.rebuild(docs)?)
    }

    /// Reads every system and organisation into the register's summaries;
    /// returns how many systems it holds.
    pub async fn rebuild_register(&self) -> Result<usize, crate::StartError> {
        let mut systems = Vec::new();
        let mut after = None;
        loop {
            let page = self
                .store
                .systems(&senim_store::SystemFilter {
                    drafts: senim_store::Drafts::All,
                    after: after.clone(),
                    limit: 1000,
                    ..Default::default()
                })
                .await?;
            systems.extend(page.items);
            match page.next_after {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        let mut organisations = Vec::new();
        let mut after = None;
        loop {
            let page = self
                .store
                .organisations(&senim_store::OrganisationFilter {
                    after: after.clone(),
                    limit: 1000,
                    ..Default::default()
                })
                .await?;
            organisations.extend(
                page.items
                    .into_iter()
                    .map(|o| (o.id, o.name, o.bin.to_string())),
            );
            match page.next_after {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        let texts = self.store.system_search_texts().await?;
        let n = systems.len();
        self.register.replace(systems, texts, organisations)?;
        Ok(n)
    }

    /// Puts a dataset's current state into the search index. The index is
    /// read from the database, so of two writes racing to reindex, the later
    /// reindex sees both.
    async fn reindex_dataset(&self, id: senim_domain::DatasetId) {
        let state = self.clone();
        // Its own task, so a client that goes away cannot cancel it half
        // way; awaited, so the writer's next search sees its write.
        let task = tokio::spawn(async move {
            // One update at a time, each reading the database inside its
            // turn: the last to run reads the last committed state.
            let _turn = state.reindexing.lock().await;
            let result: Result<(), crate::StartError> = async {
                let dataset = state.store.dataset(id).await?;
                let files = state.store.resources_of(id).await?;
                state
                    .library
                    .upsert(&senim_search::DatasetDoc::new(&dataset, &files))?;
                Ok(())
            }
            .await;
            if let Err(e) = result {
                // The write itself committed; searches miss it until the
                // next start rebuilds the index.
                tracing::error!(dataset = %id, error = %e, "the library's search index was not updated");
            }
        });
        let _ = task.await;
    }

    /// The hash checked when an e-mail is unknown (same cost as a real check).
    pub fn dummy_hash(&self) -> &str {
        self.0.dummy_hash.get_or_init(crate::auth::dummy_hash)
    }

    pub fn is_ready(&self) -> bool {
        self.0.ready.load(Ordering::SeqCst)
    }

    /// Applies a command for the current request; its receipt goes into the
    /// response (see [`crate::log::receipts`]).
    pub async fn execute(
        &self,
        actor: senim_store::Actor,
        command: senim_store::Command,
    ) -> Result<senim_store::Applied, senim_store::StoreError> {
        let committed = self.store.execute_logged(actor, command).await?;
        if matches!(
            committed.applied,
            senim_store::Applied::Case { .. } | senim_store::Applied::Rebuilt(_)
        ) {
            if let Ok(mut cache) = self.stats_cache.lock() {
                *cache = None;
            }
        }
        match &committed.applied {
            senim_store::Applied::Dataset(d) => self.reindex_dataset(d.id).await,
            senim_store::Applied::Resource(r) => self.reindex_dataset(r.dataset_id).await,
            senim_store::Applied::System { system, version } => self
                .register
                .upsert(system, Some(senim_store::system_search(version))),
            senim_store::Applied::Case {
                system: Some(system),
                ..
            } => self.register.upsert(system, None),
            senim_store::Applied::Organisation(o) => {
                self.register
                    .name_organisation(o.id, &o.name, &o.bin.to_string())
            }
            senim_store::Applied::Published(_) | senim_store::Applied::Rebuilt(_) => {
                if let Err(e) = self.rebuild_register().await {
                    // The write committed; the register page shows the old
                    // risk levels until the next start.
                    tracing::error!(error = %e, "the register's summaries were not rebuilt");
                }
            }
            _ => {}
        }
        if let Some(position) = committed.log {
            let _ = crate::log::LOGGED.try_with(|slot| {
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
