//! Senim's storage: SQLite by default, PostgreSQL when given a `postgres://` URL.
//!
//! One implementation serves both backends through sqlx's `Any` driver, with
//! SQL written once in the dialect both understand (`$1` placeholders,
//! `RETURNING`, `LIKE ... ESCAPE`). Each backend has its own migrations,
//! because the two disagree on column types.
//!
//! Writes are commands ([`Command`]). They go through one writer task per
//! process, which applies a batch of queued commands in a single database
//! transaction (each in its own savepoint, so one failing command does not
//! undo the others) and commits once: group commit. Every command that
//! changes the register appends an event to the `events` table in the same
//! transaction, so the query tables never disagree with the history the
//! audit log is built from. Reads use a separate pool and never wait for the
//! writer.

mod allocations;
mod cache;
mod cases;
mod command;
mod education;
mod error;
mod intake;
mod library;
pub mod log;
mod logged;
pub mod mail;
mod operators;
mod programmes;
mod query;
mod record;
pub mod requests;
pub mod rollback;
pub mod rotation;
mod rows;
pub mod sign_in;
pub mod witness;
pub mod wizards;
mod writer;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use senim_domain::Clock;
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Executor};
use tokio::sync::mpsc;

pub use cases::{case_for, public_case, CaseFilter, CaseWrite, ReviewDue};
pub use command::system_search;
pub use command::{Actor, Applied, Command, NewToken, Reassessment};
pub use education::CourseFigures;
pub use error::StoreError;
pub use library::DatasetUse;
pub use query::{
    AccountFilter, AuthenticatedSession, AuthenticatedToken, ClassificationInput, Drafts,
    EventRecord, OrganisationFilter, Page, SystemFilter, SystemRecord, TimelineEvent, TokenInfo,
};
pub use senim_domain::token::TokenScope;

/// Columns that repeat, for queries, what a row's record (`data`) already
/// says, added after the replay fixtures were first recorded: the fixtures'
/// fingerprints leave them out, and the replay test checks each against
/// the record instead (`systems.public`: `System::is_public`).
pub const DERIVED_COLUMNS: &[(&str, &str)] = &[("systems", "public")];

/// Where a committed change sits in the audit log: its entry's index and
/// the size of the first signed checkpoint that contains it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogPosition {
    pub index: u64,
    pub size: u64,
}

/// A command's result once committed.
#[derive(Debug, Clone)]
pub struct Committed {
    pub applied: Applied,
    /// Where its event is in the log; none for changes that are not part of
    /// the register (sign-ins) or that changed nothing.
    pub log: Option<LogPosition>,
}

/// Which database engine a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Where the data lives.
#[derive(Debug, Clone)]
pub enum Location {
    /// A SQLite file `senim.db` inside this directory (created if missing).
    DataDir(PathBuf),
    /// A database URL, `postgres://...` or `sqlite://...`.
    Url(String),
}

/// How a store is opened.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub location: Location,
    /// Connections for reads.
    pub read_connections: u32,
    /// Run migrations on open.
    pub migrate: bool,
    /// Commands applied together in one transaction, at most.
    pub max_batch: usize,
    /// SQL run on every new connection (PostgreSQL tests use it to set a
    /// per-test `search_path`).
    pub after_connect_sql: Option<String>,
    /// The key that signs the audit log's checkpoints. When none is given,
    /// a data directory store reads (or creates) `log.key` in its directory;
    /// a database URL store must be given one.
    pub log_key: Option<log::LogSigner>,
    /// The name of a key created in the data directory: the log's origin.
    pub log_origin: String,
    /// Log tiles kept in memory with their subtree hashes, for proofs and
    /// tile requests (about 16 KiB each).
    pub log_tile_cache: usize,
    /// Check the stored log against its newest checkpoint on open, and
    /// refuse to open a store whose log fails ([`Store::check_log`]).
    pub check_log: bool,
    /// A file outside the database (beside the log key) where the writer
    /// keeps the newest checkpoint it signed: a database restored or
    /// rolled back behind it is refused on open.
    pub published_checkpoint: Option<PathBuf>,
    /// Open a database whose log is behind (or forks from) the published
    /// checkpoint anyway, after a restore the operator decided on, for the
    /// reason given (empty: [`rollback::DEFAULT_REASON`]): the rollback is
    /// recorded in the log before any other write, and the file then
    /// follows the database again ([`rollback`]).
    pub accept_rollback: Option<String>,
    /// Open for reading only, even when the start-up checks fail (to
    /// investigate): nothing is migrated, installed or written, and every
    /// command is refused with [`StoreError::ReadOnly`]. What the checks
    /// found is kept ([`Store::read_only`]).
    pub read_only: bool,
    /// The file `log_key` was read from: a rotation interrupted after its
    /// commit left the new key beside it (`<file>.next`), which is then
    /// installed before anything else ([`rotation::staged_key_path`]).
    pub log_key_file: Option<PathBuf>,
    /// The log's key was lost and `log_key` is its replacement: open only
    /// to record that rotation ([`rotation::LostKey`]).
    pub lost_log_key: Option<rotation::LostKey>,
}

/// The audit log's origin when none is configured.
pub const DEFAULT_LOG_ORIGIN: &str = "localhost/senim";

impl StoreOptions {
    pub fn new(location: Location) -> StoreOptions {
        StoreOptions {
            location,
            read_connections: 8,
            migrate: true,
            max_batch: 256,
            after_connect_sql: None,
            log_key: None,
            log_origin: DEFAULT_LOG_ORIGIN.to_string(),
            log_tile_cache: 4096,
            check_log: true,
            published_checkpoint: None,
            accept_rollback: None,
            read_only: false,
            log_key_file: None,
            lost_log_key: None,
        }
    }
}

/// The handle the server and the CLI use; cheap to clone.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    backend: Backend,
    reader: AnyPool,
    writer: mpsc::Sender<writer::Job>,
    clock: Arc<dyn Clock>,
    /// Present on SQLite only; see `cache.rs`.
    cache: Option<Arc<cache::SystemCache>>,
    /// The key that signs the log now (a rotation replaces it).
    signer: log::SharedSigner,
    log_cache: Arc<log::LogCache>,
    /// Published calls by id: a call's terms never change once published,
    /// so every server may keep them (their running totals are read from
    /// the database each time).
    calls: std::sync::Mutex<
        std::collections::HashMap<senim_domain::CallId, Arc<senim_domain::programme::Call>>,
    >,
    /// Set when the store was opened read-only.
    read_only: Option<ReadOnly>,
    /// The accepted rollbacks, and when they were read (`rollback.rs`).
    rollbacks: std::sync::Mutex<Option<(std::time::Instant, Arc<Vec<rollback::StoredRollback>>)>>,
}

/// A store opened read-only ([`StoreOptions::read_only`]), with what the
/// start-up checks found (nothing, when the operator only wanted to read).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadOnly {
    /// Each check that failed, in a sentence.
    pub findings: Vec<String>,
    /// The log is behind (or forks from) the checkpoint published last:
    /// opened normally, it would need `accept_rollback` (its problem is
    /// among the findings too).
    pub rollback: Option<rollback::RollbackFound>,
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

/// The settings every SQLite connection gets: WAL so readers never block the
/// writer, `synchronous=FULL` so a commit is on disk before it is
/// acknowledged, foreign keys enforced, and a busy timeout instead of an
/// immediate error when a checkpoint holds the lock. Each connection may
/// cache up to 16 MiB of pages (SQLite's default is 2 MiB; memory is only
/// taken as pages are read).
const SQLITE_PRAGMAS: &str =
    "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=-16384; \
     PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000;";

impl Store {
    /// Opens (and by default migrates) the store.
    pub async fn open(options: StoreOptions, clock: Arc<dyn Clock>) -> Result<Store, StoreError> {
        if let Some(reason) = &options.accept_rollback {
            rollback::reason(reason)?;
        }
        sqlx::any::install_default_drivers();
        let url = match &options.location {
            Location::DataDir(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| {
                    StoreError::Config(format!(
                        "cannot create data directory {}: {e}",
                        dir.display()
                    ))
                })?;
                sqlite_url(&dir.join("senim.db"))
            }
            Location::Url(url) => url.clone(),
        };
        let mut key_file = options.log_key_file.clone();
        let signer = match (&options.log_key, &options.location) {
            (Some(key), _) => key.clone(),
            (None, Location::DataDir(dir)) => {
                let path = dir.join("log.key");
                let key = log::load_or_create_key(&path, &options.log_origin)?;
                key_file = Some(path);
                Arc::new(key)
            }
            (None, Location::Url(_)) => {
                return Err(StoreError::Config(
                    "a store given by URL needs the audit log key (log_key_file)".into(),
                ))
            }
        };
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            return Err(StoreError::Config(format!(
                "unsupported database URL `{url}`: use postgres://... or sqlite://..."
            )));
        };
        let setup = match backend {
            Backend::Sqlite => Some(SQLITE_PRAGMAS.to_string()),
            Backend::Postgres => None,
        };
        let extra = options.after_connect_sql.clone();
        let connect = |max: u32| {
            let setup = setup.clone();
            let extra = extra.clone();
            AnyPoolOptions::new()
                .max_connections(max)
                .min_connections(if max == 1 { 1 } else { 0 })
                .acquire_timeout(Duration::from_secs(30))
                .after_connect(move |conn, _meta| {
                    let setup = setup.clone();
                    let extra = extra.clone();
                    Box::pin(async move {
                        if let Some(sql) = setup {
                            conn.execute(sql.as_str()).await?;
                        }
                        if let Some(sql) = extra {
                            conn.execute(sql.as_str()).await?;
                        }
                        Ok(())
                    })
                })
        };
        let writer_pool = connect(1).connect(&url).await?;
        let read_only = options.read_only;
        if options.migrate && !read_only {
            let migrator = match backend {
                Backend::Sqlite => &SQLITE_MIGRATIONS,
                Backend::Postgres => &POSTGRES_MIGRATIONS,
            };
            migrator.run(&writer_pool).await?;
        }
        let reader = connect(options.read_connections.max(1))
            .connect(&url)
            .await?;
        // Read-only, the checks' findings are kept instead of refusing.
        let mut findings = Vec::new();
        let signer = match &key_file {
            Some(path) if !read_only => {
                let today = clock.now().to_rfc3339();
                let date = today.get(..10).unwrap_or("undated");
                rotation::finish_interrupted(&writer_pool, path, signer, date).await?
            }
            _ => signer,
        };
        let lost = options.lost_log_key.as_ref();
        // With the key lost, the newest checkpoint is checked with its
        // verifier key, when known; the writer records the rotation only.
        let verifier = match lost {
            Some(lost) => lost.verifier.clone(),
            None => match log::check_key(&writer_pool, &signer).await {
                Ok(()) => Some(signer.verifier()),
                Err(StoreError::Config(problem)) if read_only => {
                    findings.push(problem);
                    None
                }
                Err(e) => return Err(e),
            },
        };
        if options.check_log {
            let mut conn = writer_pool.acquire().await?;
            if let Some(problem) = log::check_log(&mut conn, verifier.as_ref()).await? {
                if !read_only {
                    return Err(StoreError::Config(format!(
                        "the audit log failed its start-up check: {problem}. Nothing was changed and the server did not start; \
                         see docs/OPERATIONS.md, \"When the log check fails\" (`senim admin check-log` repeats this check; \
                         `--read-only` starts the server to investigate)"
                    )));
                }
                findings.push(format!(
                    "the audit log failed its start-up check: {problem}"
                ));
            }
        }
        let mut rollback = None;
        let mut rollback_seen = None;
        if let Some(path) = &options.published_checkpoint {
            let history = rotation::history(&writer_pool).await?;
            let keys =
                rotation::KeyRing::new(&signer, &history, lost.and_then(|l| l.verifier.as_ref()));
            let mut conn = writer_pool.acquire().await?;
            if let Some(found) = rollback::check_published(&mut conn, &keys, path).await? {
                match &options.accept_rollback {
                    _ if read_only => {
                        findings.push(found.problem.clone());
                        rollback_seen = Some(found);
                    }
                    Some(reason) => {
                        tracing::warn!(problem = %found.problem, "starting on a rolled-back log, as the operator accepted: the rollback is recorded in the log");
                        rollback = Some(rollback::Rollback {
                            found,
                            reason: reason.clone(),
                        });
                    }
                    None => {
                        return Err(StoreError::Config(format!(
                            "{}. Nothing was changed and the server did not start. If this restore is intended, start once with --accept-rollback and announce it (docs/OPERATIONS.md, \"Backups and restores\")",
                            found.problem
                        )))
                    }
                }
            }
        }
        let signer: log::SharedSigner = Arc::new(std::sync::RwLock::new(signer));
        let cache = (backend == Backend::Sqlite).then(|| Arc::new(cache::SystemCache::default()));
        let log_cache = Arc::new(log::LogCache::new(options.log_tile_cache, clock.clone()));
        let read_only = read_only.then_some(ReadOnly {
            findings,
            rollback: rollback_seen,
        });
        let sender = match &read_only {
            Some(_) => {
                writer_pool.close().await;
                writer::spawn_refusing()
            }
            None => writer::spawn(writer::Writer {
                published: options.published_checkpoint.clone(),
                log_cache: log_cache.clone(),
                pool: writer_pool,
                backend,
                clock: clock.clone(),
                max_batch: options.max_batch.max(1),
                cache: cache.clone(),
                signer: signer.clone(),
            }),
        };
        let store = Store {
            inner: Arc::new(Inner {
                backend,
                reader,
                writer: sender,
                clock,
                cache,
                signer,
                log_cache,
                calls: std::sync::Mutex::new(std::collections::HashMap::new()),
                read_only,
                rollbacks: std::sync::Mutex::new(None),
            }),
        };
        if let Some(rollback) = rollback {
            // Before any other write: the first entry after the restore.
            store
                .execute(
                    Actor::operator(),
                    Command::RecordRollback(Box::new(rollback)),
                )
                .await?;
        }
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        self.inner.backend
    }

    /// Set when the store was opened read-only, with what its start-up
    /// checks found.
    pub fn read_only(&self) -> Option<&ReadOnly> {
        self.inner.read_only.as_ref()
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.inner.clock
    }

    /// Applies one command and waits until its transaction is committed.
    pub async fn execute(&self, actor: Actor, command: Command) -> Result<Applied, StoreError> {
        Ok(self.execute_logged(actor, command).await?.applied)
    }

    /// [`Store::execute`], also saying where the change is in the audit log.
    pub async fn execute_logged(
        &self,
        actor: Actor,
        command: Command,
    ) -> Result<Committed, StoreError> {
        let rollback = matches!(command, Command::RecordRollback(_));
        let committed = writer::submit(&self.inner.writer, actor, command).await?;
        if rollback {
            // Announced at once by this process (others within seconds).
            *self
                .inner
                .rollbacks
                .lock()
                .unwrap_or_else(|p| p.into_inner()) = None;
        }
        Ok(committed)
    }

    /// A digest of every query table (rows, digest), to compare the state
    /// before and after `Command::Rebuild`.
    pub async fn fingerprint(&self) -> Result<Vec<(String, u64, String)>, StoreError> {
        command::fingerprint(self.reader(), &[]).await
    }

    /// [`Store::fingerprint`] without some `(table, column)`s: to compare a
    /// rebuild with a register recorded before those columns existed (see
    /// [`DERIVED_COLUMNS`]).
    pub async fn fingerprint_without(
        &self,
        columns: &[(&str, &str)],
    ) -> Result<Vec<(String, u64, String)>, StoreError> {
        command::fingerprint(self.reader(), columns).await
    }

    /// Copies the register, consistent at one moment, into the new SQLite
    /// file `dest` while the server keeps writing (`VACUUM INTO`: a read
    /// transaction, so writers are not held up), and returns the newest
    /// checkpoint the copy holds (its note), if any. PostgreSQL is backed up
    /// with its own tools (`pg_dump`).
    pub async fn backup_into(&self, dest: &Path) -> Result<Option<String>, StoreError> {
        if self.inner.backend != Backend::Sqlite {
            return Err(StoreError::Config(
                "a PostgreSQL register is backed up with pg_dump (docs/OPERATIONS.md)".into(),
            ));
        }
        if dest.exists() {
            return Err(StoreError::Config(format!(
                "{} exists already: a backup is written to a new file",
                dest.display()
            )));
        }
        let target = dest
            .to_str()
            .ok_or_else(|| StoreError::Config(format!("{} is not a UTF-8 path", dest.display())))?;
        let mut conn = self.reader().acquire().await?;
        sqlx::query("VACUUM INTO $1")
            .bind(target.to_string())
            .execute(&mut *conn)
            .await?;
        drop(conn);
        let mut copy = <sqlx::AnyConnection as sqlx::Connection>::connect(&format!(
            "sqlite://{target}?mode=ro"
        ))
        .await?;
        let row = sqlx::query("SELECT note FROM log_checkpoints ORDER BY size DESC LIMIT 1")
            .fetch_optional(&mut copy)
            .await?;
        Ok(match row {
            Some(row) => Some(sqlx::Row::try_get(&row, "note")?),
            None => None,
        })
    }

    /// What is wrong with the stored log, checked against its newest signed
    /// checkpoint as on open (no hole, no truncation, the tiles give the
    /// signed root, the newest entries are the tree's leaves), if anything.
    pub async fn check_log(&self) -> Result<Option<String>, StoreError> {
        let verifier = self.log_signer().verifier();
        let mut conn = self.reader().acquire().await?;
        log::check_log(&mut conn, Some(&verifier)).await
    }

    /// The key that signs the log's checkpoints now.
    pub fn log_signer(&self) -> log::LogSigner {
        match self.inner.signer.read() {
            Ok(signer) => signer.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// True when the database answers.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1")
            .execute(&self.inner.reader)
            .await
            .is_ok()
    }

    /// Whether the database holds no organisation yet (the demo loads only then).
    pub async fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(query::count_organisations(&self.inner.reader).await? == 0)
    }

    fn reader(&self) -> &AnyPool {
        &self.inner.reader
    }

    fn log_cache(&self) -> &log::LogCache {
        &self.inner.log_cache
    }

    /// Closes the pools; pending writes finish first.
    pub async fn close(&self) {
        self.inner.reader.close().await;
    }
}

/// A lock on a data directory (`senim.lock` in it): every `senim serve`
/// holds it shared while it runs, and `senim admin restore` takes it
/// exclusively, so a database is never replaced under a running server.
/// Released when dropped (or when the process ends, however it ends).
#[derive(Debug)]
pub struct DataDirLock(#[allow(dead_code)] std::fs::File);

impl DataDirLock {
    /// The lock file's name in the data directory.
    pub const FILE: &'static str = "senim.lock";

    /// Takes the lock on `dir` (created if missing), shared or exclusive;
    /// refuses at once, naming the reason, when it is taken the other way.
    pub fn take(dir: &Path, exclusive: bool) -> Result<DataDirLock, StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| {
            StoreError::Config(format!(
                "cannot create data directory {}: {e}",
                dir.display()
            ))
        })?;
        let path = dir.join(Self::FILE);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| StoreError::Config(format!("cannot open {}: {e}", path.display())))?;
        let taken = if exclusive {
            file.try_lock()
        } else {
            file.try_lock_shared()
        };
        match taken {
            Ok(()) => Ok(DataDirLock(file)),
            Err(std::fs::TryLockError::WouldBlock) => Err(StoreError::Config(if exclusive {
                format!(
                    "a server is running on {} (it holds {}): stop it first",
                    dir.display(),
                    path.display()
                )
            } else {
                format!(
                    "{} is being restored (`senim admin restore` holds {}): start the server when it has finished",
                    dir.display(),
                    path.display()
                )
            })),
            Err(std::fs::TryLockError::Error(e)) => Err(StoreError::Config(format!(
                "cannot lock {}: {e}",
                path.display()
            ))),
        }
    }
}

/// Runs the migrations of the store `options` describe and returns its backend.
pub async fn migrate(options: StoreOptions) -> Result<Backend, StoreError> {
    let store = Store::open(
        StoreOptions {
            read_connections: 1,
            migrate: true,
            ..options
        },
        Arc::new(senim_domain::SystemClock),
    )
    .await?;
    let backend = store.backend();
    store.close().await;
    Ok(backend)
}
