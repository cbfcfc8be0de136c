//! A restore the operator decided on, recorded in the log itself.
//!
//! The writer keeps the newest checkpoint it signed outside the database
//! (`StoreOptions::published_checkpoint`). A database whose log is behind
//! it, or forks from it, was restored from an older backup or rolled back:
//! [`crate::Store::open`] refuses it (`check_published`) unless the
//! operator accepts the rollback (`senim serve --accept-rollback`, `senim
//! admin restore --accept-rollback`). Accepting it is itself a change of
//! the register: a `log.rolled_back` entry, written before any other write,
//! holds the checkpoint that was published and lost (signed by the log's
//! key: evidence of what readers may have seen), the size the log went
//! back to, and the operator's reason. Every checkpoint after it commits
//! to it, the home page and the audit log page announce it, and
//! `/api/v1/log/rollbacks` lists it for verifiers, who will otherwise see
//! a log that shrank or forked.
//!
//! The announcement is an entry rather than an extension line of the
//! checkpoints: C2SP `tlog-checkpoint` marks extension lines as not
//! recommended, and a checkpoint that carries one may be refused by other
//! verifiers and witnesses. The file follows the database again only once
//! the entry has committed (the writer rewrites it after each commit), so
//! a crash before that leaves the rollback unaccepted and unannounced, to
//! be accepted again on the next start.

use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, Row};

use senim_tlog::{note_text, Checkpoint};

use crate::command::{EventDraft, Events, Step};
use crate::error::StoreError;
use crate::Applied;

/// The kind of the entry that records an accepted rollback.
pub const ROLLBACK_KIND: &str = "log.rolled_back";

/// The subject of the log's own entries (its id is the origin).
const SUBJECT: &str = "log";

/// The reason recorded when the operator gives none.
pub const DEFAULT_REASON: &str = "restored from a backup";

/// What the start-up check found: the database's log is behind the
/// checkpoint this register published last, or differs from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollbackFound {
    /// What is wrong, in a sentence, naming the file.
    pub problem: String,
    /// The published checkpoint exactly as kept (a signed note).
    pub published: String,
    /// Its size, when it is signed by a key of this log.
    pub published_size: Option<u64>,
    /// The size of the database's log.
    pub restored_size: u64,
}

/// `Command::RecordRollback`: the rollback found on open, accepted.
#[derive(Debug, Clone)]
pub struct Rollback {
    pub found: RollbackFound,
    /// The operator's reason, shown to everyone.
    pub reason: String,
}

/// The entry's payload. Its fields never change once written.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct RolledBack {
    /// The checkpoint the register had published, which the log no longer
    /// extends (the note as it was kept, signatures included).
    pub published_checkpoint: String,
    /// Its size, when it was signed by a key of this log.
    pub published_size: Option<u64>,
    /// The size of the log that was kept.
    pub restored_size: u64,
    /// Why the operator restored it.
    pub reason: String,
}

/// A rollback as the log holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRollback {
    /// The entry's index in the log.
    pub index: u64,
    /// When it was recorded (RFC 3339).
    pub time: String,
    pub published_checkpoint: String,
    pub published_size: Option<u64>,
    pub restored_size: u64,
    pub reason: String,
}

impl StoredRollback {
    /// Entries the register had published and the log no longer holds
    /// (none when it forked at the same size or the size is unknown).
    pub fn lost_entries(&self) -> u64 {
        self.published_size
            .map_or(0, |p| p.saturating_sub(self.restored_size))
    }
}

/// Checks the database's log against the checkpoint kept in `path` (the
/// newest this register's writer signed): a log behind it, or with another
/// root at its size, is a rollback. Changes nothing.
///
/// The file may hold a checkpoint signed before a rotation of the key (a
/// crash between the rotation's commit and the file's update): any key the
/// log's history names is accepted.
pub(crate) async fn check_published(
    conn: &mut AnyConnection,
    keys: &crate::rotation::KeyRing,
    path: &std::path::Path,
) -> Result<Option<RollbackFound>, StoreError> {
    let note = match std::fs::read_to_string(path) {
        Ok(note) => note,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(StoreError::Config(format!(
                "cannot read the published checkpoint {}: {e}",
                path.display()
            )))
        }
    };
    let published = keys
        .open(&note)
        .and_then(|body| Checkpoint::parse(body).ok());
    let size = match sqlx::query("SELECT size FROM log_checkpoints ORDER BY size DESC LIMIT 1")
        .fetch_optional(&mut *conn)
        .await?
    {
        Some(row) => row.try_get::<i64, _>("size")? as u64,
        None => 0,
    };
    let problem = match &published {
        // Signed by a key this log never had: a database restored from
        // before a rotation, started with the key it was signed by.
        None => Some(format!(
            "{} does not hold a checkpoint signed by a key of this log (a rotation of the key newer than this database?)",
            path.display()
        )),
        Some(published) if size < published.size => Some(format!(
            "the database's log holds {size} entries, behind the {} of the last checkpoint this register published ({}): it was restored from an older backup or rolled back",
            published.size,
            path.display()
        )),
        Some(published) => {
            let same = sqlx::query("SELECT root FROM log_checkpoints WHERE size = $1")
                .bind(published.size as i64)
                .fetch_optional(&mut *conn)
                .await?;
            match same {
                Some(row) if row.try_get::<Vec<u8>, _>("root")? != published.root.to_vec() => Some(format!(
                    "the database's log differs from the last checkpoint this register published ({}, size {}): it is another history",
                    path.display(),
                    published.size
                )),
                _ => None,
            }
        }
    };
    Ok(problem.map(|problem| RollbackFound {
        problem,
        published: note,
        published_size: published.map(|p| p.size),
        restored_size: size,
    }))
}

/// The reason as announced: trimmed, [`DEFAULT_REASON`] when empty, at
/// most 500 characters. Checked before a restore changes anything.
pub fn reason(text: &str) -> Result<&str, StoreError> {
    let reason = text.trim();
    if reason.chars().count() > 500 {
        return Err(StoreError::invalid(
            "reason",
            "is longer than 500 characters",
        ));
    }
    Ok(if reason.is_empty() {
        DEFAULT_REASON
    } else {
        reason
    })
}

/// `Command::RecordRollback`: the entry that announces the rollback.
pub(crate) fn record(events: &mut Events<'_>, rollback: Rollback) -> Result<Step, StoreError> {
    let reason = reason(&rollback.reason)?;
    let origin = events
        .log
        .newest_checkpoint()
        .and_then(|note| note_text(note).ok())
        .and_then(|text| Checkpoint::parse(text).ok())
        .map(|c| c.origin)
        .unwrap_or_else(|| events.log.signer().name().to_string());
    let payload = RolledBack {
        published_checkpoint: rollback.found.published,
        published_size: rollback.found.published_size,
        restored_size: rollback.found.restored_size,
        reason: reason.to_string(),
    };
    let event = EventDraft::logged(ROLLBACK_KIND, SUBJECT, origin, &payload)?;
    Ok((Applied::Done, Some(event)))
}

/// How long the list of rollbacks is kept in memory: a rollback is
/// recorded only when a store opens, and a page may learn of one made by
/// another server this much later.
const KEPT_FOR: std::time::Duration = std::time::Duration::from_secs(10);

impl crate::Store {
    /// Every rollback the operator accepted, in log order (read again at
    /// most every ten seconds: the home page announces them).
    pub async fn log_rollbacks(&self) -> Result<Arc<Vec<StoredRollback>>, StoreError> {
        let kept = |slot: &Option<(Instant, Arc<Vec<StoredRollback>>)>| {
            slot.as_ref()
                .filter(|(read, _)| read.elapsed() < KEPT_FOR)
                .map(|(_, list)| list.clone())
        };
        if let Some(list) = kept(
            &self
                .inner
                .rollbacks
                .lock()
                .unwrap_or_else(|p| p.into_inner()),
        ) {
            return Ok(list);
        }
        let rows = sqlx::query(
            "SELECT idx, time, payload FROM events WHERE subject_type = $1 AND kind = $2 AND idx IS NOT NULL ORDER BY idx",
        )
        .bind(SUBJECT)
        .bind(ROLLBACK_KIND)
        .fetch_all(self.reader())
        .await?;
        let list = rows
            .iter()
            .map(|row| {
                let index = row.try_get::<i64, _>("idx")? as u64;
                let payload: String = row.try_get("payload")?;
                let p: RolledBack = serde_json::from_str(&payload).map_err(|e| {
                    StoreError::Corrupt(format!("the log's rollback entry {index}: {e}"))
                })?;
                Ok(StoredRollback {
                    index,
                    time: row.try_get("time")?,
                    published_checkpoint: p.published_checkpoint,
                    published_size: p.published_size,
                    restored_size: p.restored_size,
                    reason: p.reason,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let list = Arc::new(list);
        *self
            .inner
            .rollbacks
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some((Instant::now(), list.clone()));
        Ok(list)
    }
}
