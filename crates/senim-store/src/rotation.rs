//! Rotating the key that signs the audit log's checkpoints.
//!
//! A rotation is a command ([`KeyRotation`], through the writer like any
//! write): it appends a `log.key_rotated` entry naming the new verifier key
//! and the replaced key, ends its batch, and the batch's checkpoint is
//! signed by the new key first and the replaced key after it (by the new
//! key alone when the old one was lost). Once that commits, the writer
//! signs with the new key only. Everything the log needs is in the log
//! itself: the rotation entries (found by their subject, `log`) and the
//! checkpoint that first holds each; no table of keys is kept.
//!
//! The key lives in a file outside the database, so a rotation is two
//! steps that cannot be one transaction: the new key is first written
//! beside the key file as `<file>.next` ([`stage_key`]), the rotation
//! commits, then the old key is kept as `<file>.retired-<date>-<id>` and
//! the staged one takes the file's place ([`install_staged_key`]). A crash
//! before the commit leaves the old key in charge (the staged key signed
//! nothing and is ignored); a crash after it leaves a staged key that signed
//! the newest checkpoint, which the next [`crate::Store::open`] installs
//! before anything else. Either way the log verifies.

use std::path::{Path, PathBuf};

use sqlx::{AnyConnection, AnyPool, Row};

use senim_tlog::rotation::{RotationStatement, ROTATION_KIND};
use senim_tlog::{note_signers, note_text, Checkpoint, NoteSigner, NoteVerifier};

use crate::command::{EventDraft, Events, Step};
use crate::error::StoreError;
use crate::log::{write_private, LogSigner, PendingRotation, StoredCheckpoint};
use crate::logged::KeyRotated;
use crate::Applied;

/// The subject of rotation entries: the log itself (its id is the origin).
const SUBJECT: &str = "log";

/// Why the key is replaced. It does not change what is checked, but it
/// tells verifiers what to do: a compromised key's co-signature proves
/// little, so its successor should be confirmed out of band too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RotationReason {
    /// Routine replacement: the old key is safe and co-signs.
    Planned,
    /// The old key may be known to others; it still co-signs.
    Compromised,
    /// The old key is gone: the new key signs alone.
    Lost,
}

impl RotationReason {
    pub fn as_str(self) -> &'static str {
        match self {
            RotationReason::Planned => "planned",
            RotationReason::Compromised => "compromised",
            RotationReason::Lost => "lost",
        }
    }
}

impl std::str::FromStr for RotationReason {
    type Err = String;
    fn from_str(text: &str) -> Result<RotationReason, String> {
        match text {
            "planned" => Ok(RotationReason::Planned),
            "compromised" => Ok(RotationReason::Compromised),
            "lost" => Ok(RotationReason::Lost),
            other => Err(format!(
                "`{other}` is not a reason: planned, compromised or lost"
            )),
        }
    }
}

/// A rotation to make (`Command::RotateLogKey`).
#[derive(Debug, Clone)]
pub struct KeyRotation {
    /// The key that signs from now on; named like the log (its origin).
    pub new_key: LogSigner,
    pub reason: RotationReason,
    /// For a lost key: its verifier key, when the operator still has it
    /// (published); it is then recorded in the entry.
    pub lost_key: Option<NoteVerifier>,
}

/// How to open a store whose log key was lost, to record its rotation:
/// `StoreOptions::log_key` is the new key, and the start-up checks verify
/// the newest checkpoint with the lost key's verifier key when it is given
/// (otherwise its signature cannot be checked). The writer accepts no
/// write but the rotation: nothing else may be signed by a key the log
/// does not name yet.
#[derive(Debug, Clone, Default)]
pub struct LostKey {
    pub verifier: Option<NoteVerifier>,
}

/// A rotation as the log holds it.
#[derive(Debug, Clone)]
pub struct StoredRotation {
    /// The entry exactly as hashed.
    pub entry: String,
    pub statement: RotationStatement,
    /// The first checkpoint that holds the entry: signed by both keys.
    pub checkpoint: StoredCheckpoint,
}

/// What a committed rotation left: its entry's index and its checkpoint.
#[derive(Debug, Clone)]
pub struct RotationDone {
    pub index: u64,
    pub checkpoint: StoredCheckpoint,
}

/// The rotation entries of the log, in log order, as (index, entry).
async fn rotation_entries<'c, E>(executor: E) -> Result<Vec<(u64, String)>, StoreError>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let rows = sqlx::query(
        "SELECT idx, entry FROM events WHERE subject_type = $1 AND kind = $2 AND idx IS NOT NULL ORDER BY idx",
    )
    .bind(SUBJECT)
    .bind(ROTATION_KIND)
    .fetch_all(executor)
    .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get::<i64, _>("idx")? as u64,
                row.try_get::<String, _>("entry")?,
            ))
        })
        .collect()
}

/// What each rotation of the log states, in log order.
pub(crate) async fn history<'c, E>(executor: E) -> Result<Vec<RotationStatement>, StoreError>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    rotation_entries(executor)
        .await?
        .iter()
        .map(|(index, entry)| {
            RotationStatement::parse(entry.as_bytes())
                .map_err(|e| StoreError::Corrupt(format!("the log's rotation entry {index}: {e}")))
        })
        .collect()
}

/// `Command::RotateLogKey`: checks the new key against the log and its
/// history, records the rotation, and has the batch's checkpoint signed by
/// both keys.
pub(crate) async fn rotate(
    conn: &mut AnyConnection,
    events: &mut Events<'_>,
    rotation: KeyRotation,
) -> Result<Step, StoreError> {
    let current = events.log.signer().clone();
    let new = rotation.new_key.clone();
    let lost = rotation.reason == RotationReason::Lost;
    if events.log.rotating() {
        return Err(StoreError::invalid(
            "new_key",
            "another rotation is being recorded with it",
        ));
    }
    let newest = events.log.newest_checkpoint().map(str::to_string);
    let origin = match &newest {
        Some(note) => {
            note_text(note)
                .ok()
                .and_then(|text| Checkpoint::parse(text).ok())
                .ok_or_else(|| StoreError::Corrupt("the newest checkpoint is malformed".into()))?
                .origin
        }
        None => current.name().to_string(),
    };
    if new.name() != origin {
        return Err(StoreError::invalid(
            "new_key",
            format!(
                "is named `{}`, but this log's origin is `{origin}`: the new key must carry the log's name",
                new.name()
            ),
        ));
    }
    let signers = match &newest {
        Some(note) => note_signers(note)
            .map_err(|e| StoreError::Corrupt(format!("the newest checkpoint: {e}")))?,
        None => Vec::new(),
    };
    let signed_by = |id: u32| signers.iter().any(|(name, i)| *name == origin && *i == id);
    let past = history(&mut *conn).await?;
    if let Some(earlier) = past
        .iter()
        .find(|r| r.old_key_id == new.key_id() || r.new_key.key_id() == new.key_id())
    {
        return Err(StoreError::invalid(
            "new_key",
            format!(
                "has been this log's key before (rotated at entry {}): a key is never used again once retired",
                earlier.index
            ),
        ));
    }
    if !lost && rotation.lost_key.is_some() {
        return Err(StoreError::invalid(
            "old_key",
            "is given only when the old key was lost",
        ));
    }
    let (old_key_id, old_key) = if lost {
        if signed_by(current.key_id()) && current.key_id() != new.key_id() {
            return Err(StoreError::invalid(
                "reason",
                "is `lost`, but the key that signs this log is at hand: rotate it with its co-signature",
            ));
        }
        if signed_by(new.key_id()) {
            return Err(StoreError::invalid(
                "new_key",
                "already signs this log: there is nothing to rotate",
            ));
        }
        // The key that signed the newest checkpoint first is the lost one.
        let Some((_, lost_id)) = signers.iter().find(|(name, _)| *name == origin) else {
            return Err(StoreError::invalid(
                "reason",
                "is `lost`, but the log has no checkpoint signed by a key of its own: there is no key to replace",
            ));
        };
        let known = match &rotation.lost_key {
            Some(verifier) => {
                if verifier.key_id() != *lost_id || verifier.name() != origin {
                    return Err(StoreError::invalid(
                        "old_key",
                        format!(
                            "is {}, but the newest checkpoint is signed by {origin}+{lost_id:08x}: it is not the lost key",
                            verifier.verifier_key()
                        ),
                    ));
                }
                Some(verifier.verifier_key())
            }
            // A key an earlier rotation introduced is known from its entry.
            None => past
                .iter()
                .rev()
                .find(|r| r.new_key.key_id() == *lost_id)
                .map(|r| r.new_key.verifier_key()),
        };
        (*lost_id, known)
    } else {
        if new.key_id() == current.key_id() {
            return Err(StoreError::invalid(
                "new_key",
                "is the key that signs this log now",
            ));
        }
        (current.key_id(), Some(current.verifier_key()))
    };
    let payload = KeyRotated {
        new_key: new.verifier_key(),
        old_key_id: format!("{old_key_id:08x}"),
        old_key,
        co_signed: !lost,
        reason: rotation.reason.as_str().to_string(),
    };
    events.log.rotate_to(PendingRotation {
        new_key: new,
        co_signed: !lost,
    });
    let event = EventDraft::logged(ROTATION_KIND, SUBJECT, origin, &payload)?;
    Ok((Applied::Done, Some(event)))
}

/// Every key the log's history names, to recognise a checkpoint this
/// register signed before a rotation (the one kept beside the key file).
#[derive(Debug, Default)]
pub(crate) struct KeyRing {
    verifiers: Vec<NoteVerifier>,
    /// Lost keys known only by name and id: matched, not verified.
    ids: Vec<(String, u32)>,
}

impl KeyRing {
    /// The signer, the keys the rotations name, and a lost key's verifier.
    pub(crate) fn new(
        signer: &NoteSigner,
        history: &[RotationStatement],
        lost: Option<&NoteVerifier>,
    ) -> KeyRing {
        let mut ring = KeyRing::default();
        ring.verifiers.push(signer.verifier());
        ring.verifiers.extend(lost.cloned());
        for rotation in history {
            ring.verifiers.push(rotation.new_key.clone());
            match rotation
                .old_key
                .as_deref()
                .and_then(|k| NoteVerifier::parse(k).ok())
            {
                Some(old) => ring.verifiers.push(old),
                None => ring
                    .ids
                    .push((rotation.new_key.name().to_string(), rotation.old_key_id)),
            }
        }
        ring
    }

    /// The text of `note` if a key of the ring signed it.
    pub(crate) fn open<'a>(&self, note: &'a str) -> Option<&'a str> {
        if let Some(text) = self.verifiers.iter().find_map(|v| v.open(note).ok()) {
            return Some(text);
        }
        let signers = note_signers(note).ok()?;
        signers
            .iter()
            .any(|s| self.ids.contains(s))
            .then(|| note_text(note).ok())
            .flatten()
    }
}

/// A refusal of a key that is not the log's, naming the rotation that
/// retired it when one did.
pub(crate) async fn explain_wrong_key(
    pool: &AnyPool,
    signer: &NoteSigner,
) -> Result<String, StoreError> {
    let past = history(pool).await?;
    Ok(
        match past.iter().find(|r| r.old_key_id == signer.key_id()) {
            Some(r) => format!(
                "the log key {} was retired when the log's key was rotated at entry {} to {}; give the new key (log_key_file): \
                 `senim admin rotate-log-key` put it in the key file and kept the old one beside it (.retired-...). \
                 Every server sharing this database must use the new key",
                signer.verifier_key(),
                r.index,
                r.new_key.verifier_key()
            ),
            None => format!(
                "the audit log was signed with another key than {}; give the key that signed it \
                 (log_key_file), which every server sharing this database must use",
                signer.verifier_key()
            ),
        },
    )
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// `<key file>.next`: where a new key waits while its rotation commits.
pub fn staged_key_path(key_file: &Path) -> PathBuf {
    with_suffix(key_file, ".next")
}

fn sync_dir(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::File::open(dir)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Writes `key` to `<key file>.next` (owner-only, synced, whole or not at
/// all), replacing a staged key left by a rotation that never committed.
pub fn stage_key(key_file: &Path, key: &NoteSigner) -> Result<PathBuf, StoreError> {
    let staged = staged_key_path(key_file);
    let writing = with_suffix(key_file, ".next.writing");
    let fail = |e: std::io::Error| {
        StoreError::Config(format!(
            "cannot write the new log key {}: {e}",
            staged.display()
        ))
    };
    match std::fs::remove_file(&writing) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(fail(e)),
    }
    write_private(&writing, &format!("{}\n", key.private_key()), "new log key")?;
    std::fs::rename(&writing, &staged).map_err(fail)?;
    sync_dir(&staged).map_err(fail)?;
    Ok(staged)
}

/// Once the rotation to `expected` has committed: keeps the key file's
/// current key as `<key file>.retired-<date>-<id>` and moves the staged key
/// into the key file's place (a rename: the file always holds a whole
/// key). Returns the retired copy, if there was a key to retire.
pub fn install_staged_key(
    key_file: &Path,
    expected: &NoteSigner,
    date: &str,
) -> Result<Option<PathBuf>, StoreError> {
    let staged = staged_key_path(key_file);
    let fail = |what: &Path, e: std::io::Error| {
        StoreError::Config(format!(
            "cannot install the new log key in {}: {e}",
            what.display()
        ))
    };
    let text = std::fs::read_to_string(&staged).map_err(|e| fail(&staged, e))?;
    match NoteSigner::parse(&text) {
        Ok(key) if key.key_id() == expected.key_id() => {}
        _ => {
            return Err(StoreError::Config(format!(
                "{} does not hold the new key {} that the log was rotated to: another rotation ran at the same time? \
                 Put the key that signs the newest checkpoint in {}",
                staged.display(),
                expected.verifier_key(),
                key_file.display()
            )))
        }
    }
    let retired = match std::fs::read_to_string(key_file) {
        Ok(old) => {
            let id = NoteSigner::parse(&old)
                .map(|k| format!("-{:08x}", k.key_id()))
                .unwrap_or_default();
            let retired = with_suffix(key_file, &format!(".retired-{date}{id}"));
            if !retired.exists() {
                write_private(&retired, &old, "retired log key")?;
            }
            Some(retired)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(fail(key_file, e)),
    };
    std::fs::rename(&staged, key_file).map_err(|e| fail(key_file, e))?;
    sync_dir(key_file).map_err(|e| fail(key_file, e))?;
    Ok(retired)
}

/// Finishes a rotation that committed but whose key file was not replaced
/// (a crash between the two): when the staged key signed the newest
/// checkpoint, it is installed and returned; otherwise `signer` is.
pub(crate) async fn finish_interrupted(
    pool: &AnyPool,
    key_file: &Path,
    signer: LogSigner,
    date: &str,
) -> Result<LogSigner, StoreError> {
    let staged = staged_key_path(key_file);
    let text = match std::fs::read_to_string(&staged) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(signer),
        Err(e) => {
            return Err(StoreError::Config(format!(
                "cannot read the staged log key {}: {e}",
                staged.display()
            )))
        }
    };
    let next = NoteSigner::parse(&text).map_err(|e| {
        StoreError::Config(format!(
            "the staged log key {} is not usable ({e}): move it aside",
            staged.display()
        ))
    })?;
    let newest = sqlx::query("SELECT note FROM log_checkpoints ORDER BY size DESC LIMIT 1")
        .fetch_optional(pool)
        .await?
        .map(|row| row.try_get::<String, _>("note"))
        .transpose()?;
    let committed = newest.is_some_and(|note| {
        next.verifier().open(&note).is_ok()
            && note_signers(&note)
                .ok()
                .and_then(|s| s.into_iter().next())
                .is_some_and(|(_, id)| id == next.key_id())
    });
    if !committed {
        tracing::warn!(
            path = %staged.display(),
            "a staged log key was left by a rotation that did not commit: it signed nothing and is ignored"
        );
        return Ok(signer);
    }
    let retired = install_staged_key(key_file, &next, date)?;
    tracing::warn!(
        key = %next.verifier_key(),
        retired = ?retired,
        "finished a rotation of the log key that was interrupted after its commit"
    );
    Ok(std::sync::Arc::new(next))
}

impl crate::Store {
    /// Rotates the key that signs the audit log (see the module): commits
    /// the rotation entry and its co-signed checkpoint, after which this
    /// store signs with the new key. The key files are the caller's
    /// ([`stage_key`] before, [`install_staged_key`] after).
    pub async fn rotate_log_key(&self, rotation: KeyRotation) -> Result<RotationDone, StoreError> {
        let committed = self
            .execute_logged(
                crate::Actor::operator(),
                crate::Command::RotateLogKey(Box::new(rotation)),
            )
            .await?;
        let position = committed
            .log
            .ok_or_else(|| StoreError::Corrupt("the rotation was not logged".into()))?;
        let checkpoint = self
            .checkpoint_at(position.size)
            .await?
            .ok_or_else(|| StoreError::Corrupt("the rotation's checkpoint is missing".into()))?;
        Ok(RotationDone {
            index: position.index,
            checkpoint,
        })
    }

    /// Every rotation of the log's key, in log order, each with the first
    /// checkpoint that holds it.
    pub async fn log_rotations(&self) -> Result<Vec<StoredRotation>, StoreError> {
        let mut out = Vec::new();
        for (index, entry) in rotation_entries(self.reader()).await? {
            let statement = RotationStatement::parse(entry.as_bytes()).map_err(|e| {
                StoreError::Corrupt(format!("the log's rotation entry {index}: {e}"))
            })?;
            let row = sqlx::query(
                "SELECT size, note FROM log_checkpoints WHERE size > $1 ORDER BY size LIMIT 1",
            )
            .bind(index as i64)
            .fetch_optional(self.reader())
            .await?
            .ok_or_else(|| {
                StoreError::Corrupt(format!("no checkpoint holds the rotation entry {index}"))
            })?;
            out.push(StoredRotation {
                entry,
                statement,
                checkpoint: StoredCheckpoint {
                    size: row.try_get::<i64, _>("size")? as u64,
                    note: row.try_get("note")?,
                },
            });
        }
        Ok(out)
    }
}
