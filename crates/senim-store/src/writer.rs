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
use crate::command::{apply, Actor, Applied, Command};
use crate::error::StoreError;
use crate::Backend;

pub(crate) struct Job {
    actor: Actor,
    command: Command,
    reply: oneshot::Sender<Result<Applied, StoreError>>,
}

pub(crate) fn spawn(
    pool: AnyPool,
    backend: Backend,
    clock: Arc<dyn Clock>,
    max_batch: usize,
    cache: Option<Arc<SystemCache>>,
) -> mpsc::Sender<Job> {
    let (sender, receiver) = mpsc::channel(max_batch * 16);
    tokio::spawn(run(pool, backend, clock, max_batch, receiver, cache));
    sender
}

pub(crate) async fn submit(
    writer: &mpsc::Sender<Job>,
    actor: Actor,
    command: Command,
) -> Result<Applied, StoreError> {
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

async fn run(
    pool: AnyPool,
    backend: Backend,
    clock: Arc<dyn Clock>,
    max_batch: usize,
    mut receiver: mpsc::Receiver<Job>,
    cache: Option<Arc<SystemCache>>,
) {
    while let Some(first) = receiver.recv().await {
        let mut batch = vec![first];
        while batch.len() < max_batch {
            match receiver.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        apply_batch(&pool, backend, clock.as_ref(), batch, cache.as_deref()).await;
    }
    pool.close().await;
}

fn fail_all(replies: Vec<oneshot::Sender<Result<Applied, StoreError>>>, reason: &str) {
    for reply in replies {
        let _ = reply.send(Err(StoreError::Commit(reason.to_string())));
    }
}

async fn apply_batch(
    pool: &AnyPool,
    backend: Backend,
    clock: &dyn Clock,
    batch: Vec<Job>,
    cache: Option<&SystemCache>,
) {
    let mut conn = match pool.acquire().await {
        Ok(conn) => conn,
        Err(e) => {
            tracing::error!(error = %e, "writer cannot reach the database");
            return fail_all(batch.into_iter().map(|j| j.reply).collect(), &e.to_string());
        }
    };
    // IMMEDIATE takes SQLite's write lock at once, so a second process
    // writing to the same file waits (busy_timeout) instead of failing later.
    let begin = match backend {
        Backend::Sqlite => "BEGIN IMMEDIATE",
        Backend::Postgres => "BEGIN",
    };
    if let Err(e) = conn.execute(begin).await {
        tracing::error!(error = %e, "writer cannot begin a transaction");
        return fail_all(batch.into_iter().map(|j| j.reply).collect(), &e.to_string());
    }
    let now = clock.now();
    let mut replies = Vec::with_capacity(batch.len());
    let mut results = Vec::with_capacity(batch.len());
    let mut broken: Option<String> = None;
    for job in batch {
        replies.push(job.reply);
        if broken.is_some() {
            continue;
        }
        if let Err(e) = conn.execute("SAVEPOINT command").await {
            broken = Some(e.to_string());
            continue;
        }
        match apply(&mut conn, &job.actor, job.command, now).await {
            Ok(applied) => match conn.execute("RELEASE SAVEPOINT command").await {
                Ok(_) => results.push(Ok(applied)),
                Err(e) => broken = Some(e.to_string()),
            },
            Err(error) => {
                let undo = conn.execute("ROLLBACK TO SAVEPOINT command").await;
                let release = conn.execute("RELEASE SAVEPOINT command").await;
                if let Err(e) = undo.and(release) {
                    broken = Some(e.to_string());
                }
                results.push(Err(error));
            }
        }
    }
    if let Some(reason) = broken {
        tracing::error!(%reason, "write batch aborted");
        let _ = conn.execute("ROLLBACK").await;
        return fail_all(replies, &reason);
    }
    if let Err(e) = conn.execute("COMMIT").await {
        tracing::error!(error = %e, "commit failed");
        let _ = conn.execute("ROLLBACK").await;
        return fail_all(replies, &e.to_string());
    }
    if let Some(cache) = cache {
        if results
            .iter()
            .any(|r| matches!(r, Ok(Applied::Published(_))))
        {
            cache.invalidate_all();
        }
        let changed: Vec<_> = results
            .iter()
            .filter_map(|r| match r {
                Ok(Applied::System { system, .. }) => Some(system.id),
                _ => None,
            })
            .collect();
        if !changed.is_empty() {
            cache.invalidate(&changed);
        }
    }
    for (reply, result) in replies.into_iter().zip(results) {
        let _ = reply.send(result);
    }
}
