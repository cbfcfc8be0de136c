//! The writer: group commit of queued commands.
//!
//! One task per process owns the write connection. It takes every command
//! waiting in its queue (up to a batch limit), applies each inside its own
//! savepoint of one transaction, commits once, and only then answers the
//! callers. Under load this turns many fsyncs into one; under no load a batch
//! is a single command and nothing waits. A caller is told "done" only after
//! the commit that holds its change has returned.

use std::sync::Arc;

use senim_domain::Clock;
use sqlx::{AnyPool, Executor};
use tokio::sync::{mpsc, oneshot};

use crate::cache::SystemCache;
use crate::command::{apply, Actor, Applied, Command, Events};
use crate::error::StoreError;
use crate::log::{self, LogCache, SharedSigner, StoredCheckpoint, TileCache};
use crate::{Backend, Committed, LogPosition};

type Reply = oneshot::Sender<Result<Committed, StoreError>>;

pub(crate) struct Job {
    actor: Actor,
    command: Command,
    reply: Reply,
}

/// What the writer task owns.
pub(crate) struct Writer {
    pub pool: AnyPool,
    pub backend: Backend,
    pub clock: Arc<dyn Clock>,
    pub max_batch: usize,
    pub cache: Option<Arc<SystemCache>>,
    /// The key checkpoints are signed with, shared with the store's readers
    /// (the verifier key they serve); a rotation replaces it after its commit.
    pub signer: SharedSigner,
    /// Readers' view of the log, told of every checkpoint this writer signs.
    pub log_cache: Arc<LogCache>,
    /// Where the newest checkpoint this writer signed is kept outside the
    /// database (`StoreOptions::published_checkpoint`).
    pub published: Option<std::path::PathBuf>,
}

/// Starts the writer; the first batch it runs signs the log's first
/// checkpoint if there is none, and sequences events written before the log.
pub(crate) fn spawn(writer: Writer) -> mpsc::Sender<Job> {
    let (sender, receiver) = mpsc::channel(writer.max_batch * 16);
    tokio::spawn(run(writer, receiver));
    sender
}

/// The writer of a read-only store: it refuses every command.
pub(crate) fn spawn_refusing() -> mpsc::Sender<Job> {
    let (sender, mut receiver) = mpsc::channel::<Job>(64);
    tokio::spawn(async move {
        while let Some(job) = receiver.recv().await {
            let _ = job.reply.send(Err(StoreError::ReadOnly));
        }
    });
    sender
}

pub(crate) async fn submit(
    writer: &mpsc::Sender<Job>,
    actor: Actor,
    command: Command,
) -> Result<Committed, StoreError> {
    let (reply, answer) = oneshot::channel();
    writer
        .send(Job {
            actor,
            command,
            reply,
        })
        .await
        .map_err(|_| StoreError::Unavailable)?;
    answer.await.map_err(|_| StoreError::Unavailable)?
}

async fn run(writer: Writer, mut receiver: mpsc::Receiver<Job>) {
    let mut tiles = TileCache::default();
    while let Some(first) = receiver.recv().await {
        let mut batch = vec![first];
        // A rotation of the log's key ends its batch: the checkpoint both
        // keys sign is the first that holds the rotation, and nothing after
        // it is signed by the key it retires.
        while batch.len() < writer.max_batch
            && !batch
                .last()
                .is_some_and(|job| matches!(job.command, Command::RotateLogKey(_)))
        {
            match receiver.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        apply_batch(&writer, batch, &mut tiles).await;
    }
    writer.pool.close().await;
}

fn fail_all(replies: Vec<Reply>, reason: &str) {
    for reply in replies {
        let _ = reply.send(Err(StoreError::Commit(reason.to_string())));
    }
}

async fn apply_batch(writer: &Writer, batch: Vec<Job>, tiles: &mut TileCache) {
    let mut conn = match writer.pool.acquire().await {
        Ok(conn) => conn,
        Err(e) => {
            tracing::error!(error = %e, "writer cannot reach the database");
            return fail_all(batch.into_iter().map(|j| j.reply).collect(), &e.to_string());
        }
    };
    // IMMEDIATE takes SQLite's write lock at once, so a second process
    // writing to the same file waits (busy_timeout) instead of failing later.
    // On PostgreSQL several servers may share the database; the advisory
    // lock makes their batches take turns, so one sequences the log at a time.
    let begin = match writer.backend {
        Backend::Sqlite => "BEGIN IMMEDIATE".to_string(),
        Backend::Postgres => format!(
            "BEGIN; SELECT pg_advisory_xact_lock({})",
            log::SEQUENCER_LOCK
        ),
    };
    if let Err(e) = conn.execute(begin.as_str()).await {
        tracing::error!(error = %e, "writer cannot begin a transaction");
        let _ = conn.execute("ROLLBACK").await;
        return fail_all(batch.into_iter().map(|j| j.reply).collect(), &e.to_string());
    }
    let now = writer.clock.now();
    let signer = match writer.signer.read() {
        Ok(signer) => signer.clone(),
        Err(poisoned) => poisoned.into_inner().clone(),
    };
    let mut appender = match log::Appender::begin(&mut conn, signer).await {
        Ok(appender) => appender,
        Err(e) => {
            tracing::error!(error = %e, "writer cannot read the audit log");
            let _ = conn.execute("ROLLBACK").await;
            return fail_all(batch.into_iter().map(|j| j.reply).collect(), &e.to_string());
        }
    };
    let mut replies = Vec::with_capacity(batch.len());
    let mut results = Vec::with_capacity(batch.len());
    let mut broken: Option<String> = None;
    // The previous command's savepoint is released together with the next
    // one's start (one round trip to the database instead of two); COMMIT
    // releases the last.
    let mut release_first = false;
    for job in batch {
        replies.push(job.reply);
        if broken.is_some() {
            continue;
        }
        let start = if release_first {
            "RELEASE SAVEPOINT command; SAVEPOINT command"
        } else {
            "SAVEPOINT command"
        };
        if let Err(e) = conn.execute(start).await {
            broken = Some(e.to_string());
            continue;
        }
        let mark = appender.mark();
        let mut events = Events {
            actor: &job.actor,
            now,
            log: &mut appender,
        };
        match apply(&mut conn, &mut events, job.command).await {
            Ok(applied) => {
                results.push(Ok(applied));
                release_first = true;
            }
            Err(error) => {
                appender.rewind(mark);
                let undo = conn
                    .execute("ROLLBACK TO SAVEPOINT command; RELEASE SAVEPOINT command")
                    .await;
                if let Err(e) = undo {
                    broken = Some(e.to_string());
                }
                results.push(Err(error));
                release_first = false;
            }
        }
    }
    let sequenced = match broken {
        Some(reason) => Err(reason),
        None => appender
            .finish(&mut conn, now, tiles)
            .await
            .map_err(|e| e.to_string()),
    };
    let mut sequenced = match sequenced {
        Ok(sequenced) => sequenced,
        Err(reason) => {
            tracing::error!(%reason, "write batch aborted");
            let _ = conn.execute("ROLLBACK").await;
            return fail_all(replies, &reason);
        }
    };
    if let Err(e) = conn.execute("COMMIT").await {
        tracing::error!(error = %e, "commit failed");
        let _ = conn.execute("ROLLBACK").await;
        return fail_all(replies, &e.to_string());
    }
    if let Some(sequenced) = &mut sequenced {
        if let Some(new_key) = sequenced.rotated_to.take() {
            tracing::info!(key = %new_key.verifier_key(), size = sequenced.size, "the audit log's key was rotated");
            match writer.signer.write() {
                Ok(mut signer) => *signer = new_key,
                Err(poisoned) => *poisoned.into_inner() = new_key,
            }
        }
        tiles.keep(std::mem::take(&mut sequenced.written));
        if let Some(path) = &writer.published {
            // After the commit: the file never names a checkpoint the
            // database does not hold (a crash in between leaves it behind,
            // which a restart accepts).
            if let Err(e) = crate::log::write_published(path, &sequenced.note) {
                tracing::error!(error = %e, path = %path.display(), "the published checkpoint was not kept");
            }
        }
        writer.log_cache.offer_checkpoint(StoredCheckpoint {
            size: sequenced.size,
            note: std::mem::take(&mut sequenced.note),
        });
    }
    if let Some(cache) = writer.cache.as_deref() {
        if results
            .iter()
            .any(|r| matches!(r, Ok((Applied::Published(_) | Applied::Rebuilt(_), _))))
        {
            cache.invalidate_all();
        }
        let changed: Vec<_> = results
            .iter()
            .filter_map(|r| match r {
                Ok((Applied::System { system, .. }, _)) => Some(system.id),
                Ok((
                    Applied::Case {
                        system: Some(system),
                        ..
                    },
                    _,
                )) => Some(system.id),
                _ => None,
            })
            .collect();
        if !changed.is_empty() {
            cache.invalidate(&changed);
        }
    }
    for (reply, result) in replies.into_iter().zip(results) {
        let committed = result.map(|(applied, index)| Committed {
            applied,
            log: index.and_then(|index| {
                Some(LogPosition {
                    index,
                    size: sequenced.as_ref()?.size,
                })
            }),
        });
        let _ = reply.send(committed);
    }
}
