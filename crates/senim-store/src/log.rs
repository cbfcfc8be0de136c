//! The public audit log: sequencing events into a Merkle tree, its tiles and
//! signed checkpoints, and reading proofs back.
//!
//! The writer calls `sequence` at the end of every batch, inside the
//! batch's transaction: every event not yet in the log (`idx IS NULL`) gets
//! the next index and its canonical entry, the tiles on the tree's right edge
//! grow, and a checkpoint of the new tree is signed and stored. The commit
//! that makes a change durable therefore also makes its log entry and a
//! signed checkpoint containing it durable; nothing is acknowledged before.
//! Only one transaction sequences at a time: SQLite's write lock, or on
//! PostgreSQL a transaction advisory lock taken at the start of the batch.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, Row};

use senim_domain::{Clock, Timestamp};
use senim_tlog::merkle::{leaf_hash, Hash};
use senim_tlog::nodes::{self, append_tiles, MissingTile, TileTree};
use senim_tlog::{canonical, note_signers, sign_note, Checkpoint, NoteSigner};

use crate::command::Actor;
use crate::error::StoreError;

/// The largest entry: its length must fit the 16-bit prefix of an entry bundle.
pub const MAX_ENTRY_BYTES: usize = u16::MAX as usize;

/// The advisory lock key PostgreSQL writers take so one sequences at a time.
pub(crate) const SEQUENCER_LOCK: i64 = 0x5e_4e_17_00_10_90;

/// A tile's key in `log_tiles`.
pub(crate) fn tile_key(level: u8, index: u64) -> i64 {
    ((u64::from(level) << 56) | index) as i64
}

fn hex_sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn jcs(value: &Value) -> Result<String, StoreError> {
    canonical(value).map_err(|e| StoreError::Corrupt(format!("event is not canonical JSON: {e}")))
}

/// The public event stored with an event until it is sequenced: everything
/// of the entry but its index. Private parts (any top-level payload field
/// whose public form differs) appear only as the digest of
/// `{"salt": salt, "value": full}`, so whoever holds the full record can
/// check it and nobody else can guess it.
pub(crate) fn draft_entry(
    time: Timestamp,
    kind: &str,
    (subject_type, subject_id): (&str, &str),
    actor: &Actor,
    full: &Value,
    public: Option<&Value>,
    salt: &str,
) -> Result<Value, StoreError> {
    let mut private = Map::new();
    let payload = match public {
        None => full.clone(),
        Some(public) => {
            if let (Some(full), Some(public)) = (full.as_object(), public.as_object()) {
                for (key, value) in full {
                    if public.get(key) != Some(value) {
                        let salted = jcs(&json!({ "salt": salt, "value": value }))?;
                        private.insert(key.clone(), Value::String(hex_sha256(salted.as_bytes())));
                    }
                }
            }
            public.clone()
        }
    };
    let mut entry = json!({
        "time": time.to_rfc3339(),
        "kind": kind,
        "subject": { "type": subject_type, "id": subject_id },
        "actor": { "roles": actor.roles, "organisation_id": actor.organisation_id },
        "payload": payload,
    });
    if !private.is_empty() {
        entry["private"] = Value::Object(private);
    }
    Ok(entry)
}

/// Whether an event's stored `payload` is what its log `entry` commits to
/// ([`draft_entry`] made the entry from it): its time and kind, each public
/// field as it is, and each private field by its salted digest. The reason
/// it is not, if it is not.
pub(crate) fn check_entry(
    entry: &Value,
    (time, kind): (&str, &str),
    payload: &Value,
    salt: Option<&str>,
) -> Result<(), String> {
    if entry.get("kind").and_then(Value::as_str) != Some(kind) {
        return Err("its kind is not the one its log entry names".into());
    }
    if entry.get("time").and_then(Value::as_str) != Some(time) {
        return Err("its time is not the one its log entry names".into());
    }
    let shown = entry.get("payload").unwrap_or(&Value::Null);
    let empty = Map::new();
    let private = entry
        .get("private")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let (Some(full), Some(public)) = (payload.as_object(), shown.as_object()) else {
        return if shown == payload {
            Ok(())
        } else {
            Err("its payload is not the one its log entry holds".into())
        };
    };
    for (key, value) in full {
        match private.get(key) {
            Some(digest) => {
                let salt = salt.ok_or("it has no salt for its private parts")?;
                let salted =
                    jcs(&json!({ "salt": salt, "value": value })).map_err(|e| e.to_string())?;
                if digest.as_str() != Some(hex_sha256(salted.as_bytes()).as_str()) {
                    return Err(format!(
                        "its private `{key}` does not match its log entry's digest"
                    ));
                }
            }
            None if public.get(key) != Some(value) => {
                return Err(format!("its `{key}` is not the one its log entry holds"));
            }
            None => {}
        }
    }
    if let Some(key) = private.keys().find(|k| !full.contains_key(*k)) {
        return Err(format!("its private `{key}` is missing"));
    }
    if let Some(key) = public
        .keys()
        .find(|k| !full.contains_key(*k) && !private.contains_key(*k))
    {
        return Err(format!("its `{key}` is missing"));
    }
    Ok(())
}

/// The new salt of one event.
pub(crate) fn new_salt() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

/// Tiles the writer has read or written, so a batch rarely reads one back.
/// Stored hashes never change, so a cached tile is always a prefix of the
/// stored one; a shorter one than needed is read again.
#[derive(Default)]
pub(crate) struct TileCache {
    tiles: HashMap<(u8, u64), Vec<Hash>>,
}

impl TileCache {
    const MAX_TILES: usize = 4096;

    /// Keeps tiles a committed batch wrote.
    pub(crate) fn keep(&mut self, written: Vec<(u8, u64, Vec<Hash>)>) {
        if self.tiles.len() + written.len() > Self::MAX_TILES {
            self.tiles.clear();
        }
        for (level, index, hashes) in written {
            self.tiles.insert((level, index), hashes);
        }
    }
}

fn decode_hashes(bytes: &[u8]) -> Result<Vec<Hash>, StoreError> {
    senim_tlog::tile_hashes(bytes)
        .ok_or_else(|| StoreError::Corrupt("a log tile is not whole hashes".into()))
}

/// Reads tiles by (level, index); absent ones are left out.
pub(crate) async fn read_tiles<'c, E>(
    executor: E,
    wanted: &[(u8, u64)],
) -> Result<HashMap<(u8, u64), Vec<Hash>>, StoreError>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let mut out = HashMap::new();
    if wanted.is_empty() {
        return Ok(out);
    }
    let placeholders: Vec<String> = (1..=wanted.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT key, hashes FROM log_tiles WHERE key IN ({})",
        placeholders.join(", ")
    );
    let mut query = sqlx::query(&sql);
    for &(level, index) in wanted {
        query = query.bind(tile_key(level, index));
    }
    for row in query.fetch_all(executor).await? {
        let key: i64 = row.try_get("key")?;
        let bytes: Vec<u8> = row.try_get("hashes")?;
        let key = key as u64;
        out.insert(
            ((key >> 56) as u8, key & ((1 << 56) - 1)),
            decode_hashes(&bytes)?,
        );
    }
    Ok(out)
}

/// Makes sure `tiles` holds these tiles at the widths given: from the
/// writer's cache where it has them wide enough, otherwise read inside the
/// writer's transaction.
async fn fill(
    conn: &mut AnyConnection,
    cache: &TileCache,
    tiles: &mut HashMap<(u8, u64), Vec<Hash>>,
    needed: &[(u8, u64, usize)],
) -> Result<(), StoreError> {
    let wide_enough = |t: &Vec<Hash>, w: usize| t.len() >= w;
    let mut missing = Vec::new();
    for &(l, i, w) in needed {
        if tiles.get(&(l, i)).is_some_and(|t| wide_enough(t, w)) {
            continue;
        }
        match cache.tiles.get(&(l, i)).filter(|t| wide_enough(t, w)) {
            Some(t) => {
                tiles.insert((l, i), t.clone());
            }
            None => missing.push((l, i)),
        }
    }
    if !missing.is_empty() {
        tiles.extend(read_tiles(&mut *conn, &missing).await?);
    }
    Ok(())
}

fn missing(e: MissingTile) -> StoreError {
    StoreError::Corrupt(format!("the audit log is missing a hash: {e}"))
}

/// The size of the tree in the newest checkpoint, if there is one.
async fn newest_size<'c, E>(executor: E) -> Result<Option<u64>, StoreError>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let size: Option<i64> = sqlx::query("SELECT MAX(size) AS size FROM log_checkpoints")
        .fetch_one(executor)
        .await?
        .try_get("size")?;
    Ok(size.map(|s| s as u64))
}

/// The size of the tree in the newest checkpoint (0 before the first).
pub(crate) async fn current_size<'c, E>(executor: E) -> Result<u64, StoreError>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    Ok(newest_size(executor).await?.unwrap_or(0))
}

/// One batch's appends to the log. Made once the batch holds the sequencer
/// lock, it knows the log's size, so every event gets its index and final
/// entry the moment it is written; a command rolled back to its savepoint
/// takes its entries back with [`Appender::rewind`].
pub(crate) struct Appender {
    /// The log's size when the batch began.
    start: u64,
    /// The newest checkpoint when the batch began, if the log had one.
    newest: Option<String>,
    /// The key the writer signs with.
    signer: LogSigner,
    /// A rotation of the log's key recorded by this batch (its last command).
    rotation: Option<PendingRotation>,
    /// Leaf hashes of the entries appended so far, in order.
    leaves: Vec<Hash>,
    /// Events appended by the batch's commands, written together when the
    /// batch ends (no command reads the events table, and one statement
    /// for many rows costs far less than one each).
    rows: Vec<EventRow>,
}

/// An event row, as `events` stores it.
pub(crate) struct EventRow {
    pub time: String,
    pub kind: &'static str,
    pub subject_type: &'static str,
    pub subject_id: String,
    pub actor: String,
    pub payload: String,
    pub salt: String,
    /// What a rebuild needs besides the payload, as JSON text.
    pub replay: Option<String>,
    /// Set by [`Appender::append`].
    pub entry: String,
    pub index: u64,
}

/// A new key the batch's checkpoint is signed with, and whether the key it
/// replaces signs it too (not when that key was lost).
pub(crate) struct PendingRotation {
    pub new_key: LogSigner,
    pub co_signed: bool,
}

impl Appender {
    /// Starts a batch: reads the log's size, then sequences any event
    /// written without an index (by a version before the log, or in bulk).
    pub(crate) async fn begin(
        conn: &mut AnyConnection,
        signer: LogSigner,
    ) -> Result<Appender, StoreError> {
        let newest =
            sqlx::query("SELECT size, note FROM log_checkpoints ORDER BY size DESC LIMIT 1")
                .fetch_optional(&mut *conn)
                .await?
                .map(|row| checkpoint_row(&row))
                .transpose()?;
        let mut appender = Appender {
            start: newest.as_ref().map_or(0, |c| c.size),
            newest: newest.map(|c| c.note),
            signer,
            rotation: None,
            leaves: Vec::new(),
            rows: Vec::new(),
        };
        let rows = sqlx::query(
            "SELECT seq, time, kind, subject_type, subject_id, actor, payload, entry FROM events \
             WHERE idx IS NULL ORDER BY seq",
        )
        .fetch_all(&mut *conn)
        .await?;
        for row in &rows {
            let seq: i64 = row.try_get("seq")?;
            let draft: Option<String> = row.try_get("entry")?;
            let salt = new_salt();
            let entry = match draft {
                Some(text) => serde_json::from_str::<Value>(&text)?,
                None => legacy_entry(row, &salt)?,
            };
            let (index, text) = appender.seal(conn, entry).await?;
            sqlx::query(
                "UPDATE events SET idx = $1, entry = $2, salt = COALESCE(salt, $4) WHERE seq = $3",
            )
            .bind(index as i64)
            .bind(text)
            .bind(seq)
            .bind(salt)
            .execute(&mut *conn)
            .await?;
        }
        Ok(appender)
    }

    /// A mark to rewind to if the command that follows is undone.
    pub(crate) fn mark(&self) -> (usize, usize, bool) {
        (self.leaves.len(), self.rows.len(), self.rotation.is_some())
    }

    pub(crate) fn rewind(&mut self, (leaves, rows, rotating): (usize, usize, bool)) {
        self.leaves.truncate(leaves);
        self.rows.truncate(rows);
        if !rotating {
            self.rotation = None;
        }
    }

    /// The key the writer signs with.
    pub(crate) fn signer(&self) -> &LogSigner {
        &self.signer
    }

    /// The newest checkpoint when the batch began.
    pub(crate) fn newest_checkpoint(&self) -> Option<&str> {
        self.newest.as_deref()
    }

    /// Whether this batch already rotates the log's key.
    pub(crate) fn rotating(&self) -> bool {
        self.rotation.is_some()
    }

    /// Signs the batch's checkpoint with `rotation`'s new key too, and from
    /// then on with it alone (the writer switches once the batch commits).
    pub(crate) fn rotate_to(&mut self, rotation: PendingRotation) {
        self.rotation = Some(rotation);
    }

    /// Appends an event: seals its draft entry and keeps the row for the
    /// end of the batch. Returns the entry's index.
    pub(crate) async fn append(
        &mut self,
        conn: &mut AnyConnection,
        mut row: EventRow,
        draft: Value,
    ) -> Result<u64, StoreError> {
        let (index, entry) = self.seal(conn, draft).await?;
        row.entry = entry;
        row.index = index;
        self.rows.push(row);
        Ok(index)
    }

    async fn write_rows(&mut self, conn: &mut AnyConnection) -> Result<(), StoreError> {
        for chunk in self.rows.chunks(crate::command::ROWS_PER_STATEMENT) {
            const COLUMNS: usize = 11;
            let mut sql = String::from(
                "INSERT INTO events (id, time, kind, subject_type, subject_id, actor, payload, entry, salt, idx, replay) VALUES ",
            );
            for i in 0..chunk.len() {
                if i > 0 {
                    sql.push_str(", ");
                }
                let params: Vec<String> = (i * COLUMNS + 1..=(i + 1) * COLUMNS)
                    .map(|n| format!("${n}"))
                    .collect();
                sql.push_str(&format!("({})", params.join(", ")));
            }
            let mut query = sqlx::query(&sql);
            for row in chunk {
                query = query
                    .bind(uuid::Uuid::now_v7().to_string())
                    .bind(row.time.clone())
                    .bind(row.kind)
                    .bind(row.subject_type)
                    .bind(row.subject_id.clone())
                    .bind(row.actor.as_str())
                    .bind(row.payload.as_str())
                    .bind(row.entry.as_str())
                    .bind(row.salt.as_str())
                    .bind(row.index as i64)
                    .bind(row.replay.as_deref());
            }
            query.execute(&mut *conn).await?;
        }
        self.rows.clear();
        Ok(())
    }

    /// Gives a draft entry the next index and returns the index and the
    /// entry's exact text; a payload that would make the entry exceed
    /// [`MAX_ENTRY_BYTES`] is stored apart and referenced by its digest.
    pub(crate) async fn seal(
        &mut self,
        conn: &mut AnyConnection,
        mut entry: Value,
    ) -> Result<(u64, String), StoreError> {
        let index = self.start + self.leaves.len() as u64;
        entry["index"] = json!(index);
        let mut text = jcs(&entry)?;
        if text.len() > MAX_ENTRY_BYTES {
            let document = jcs(&entry["payload"])?;
            let digest = hex_sha256(document.as_bytes());
            sqlx::query(
                "INSERT INTO log_documents (sha256, body) VALUES ($1, $2) \
                 ON CONFLICT (sha256) DO NOTHING",
            )
            .bind(digest.clone())
            .bind(document.clone())
            .execute(&mut *conn)
            .await?;
            entry["payload"] = json!({ "document_sha256": digest, "bytes": document.len() });
            text = jcs(&entry)?;
            if text.len() > MAX_ENTRY_BYTES {
                return Err(StoreError::invalid(
                    "event",
                    "is too large for the audit log even without its payload",
                ));
            }
        }
        self.leaves.push(leaf_hash(text.as_bytes()));
        Ok((index, text))
    }

    /// Ends the batch: grows the tiles and signs a checkpoint of the new
    /// tree (also of the empty tree, when the log has no checkpoint yet).
    /// Returns the new size and the tiles written, or `None` when nothing
    /// was appended.
    ///
    /// The writer's key must be the log's key: the first signer of the
    /// newest checkpoint (a rotation puts the new key first). A server
    /// still running with a key that a rotation retired, or with another
    /// key, signs nothing: the batch fails. Only the rotation from a lost
    /// key is signed by a key that did not sign the log before.
    pub(crate) async fn finish(
        mut self,
        conn: &mut AnyConnection,
        now: Timestamp,
        cache: &TileCache,
    ) -> Result<Option<Sequenced>, StoreError> {
        self.write_rows(conn).await?;
        if self.leaves.is_empty() && self.newest.is_some() {
            return Ok(None);
        }
        let lost = self.rotation.as_ref().is_some_and(|r| !r.co_signed);
        if let (Some(note), false) = (&self.newest, lost) {
            let first = note_signers(note).ok().and_then(|s| s.into_iter().next());
            let ours = (self.signer.name().to_string(), self.signer.key_id());
            if first.as_ref() != Some(&ours) {
                return Err(StoreError::Config(format!(
                    "this server's log key {}+{:08x} is not the key of the log: its newest checkpoint (size {}) is signed first by {}. \
                     The key was rotated (senim admin rotate-log-key) or another key was given: restart with the log's key file",
                    ours.0,
                    ours.1,
                    self.start,
                    first.map_or("nobody".to_string(), |(name, id)| format!("{name}+{id:08x}")),
                )));
            }
        }
        let signers: Vec<&NoteSigner> = match &self.rotation {
            None => vec![&*self.signer],
            Some(r) if r.co_signed => vec![&*r.new_key, &*self.signer],
            Some(r) => vec![&*r.new_key],
        };
        let mut sequenced = grow(conn, self.start, &self.leaves, &signers, now, cache).await?;
        sequenced.rotated_to = self.rotation.map(|r| r.new_key);
        Ok(Some(sequenced))
    }
}

/// What one batch added to the log.
pub(crate) struct Sequenced {
    /// The size of the tree after the batch (the signed checkpoint's size).
    pub size: u64,
    /// The signed checkpoint.
    pub note: String,
    /// Tiles written, for the cache once the transaction commits.
    pub written: Vec<(u8, u64, Vec<Hash>)>,
    /// The key that signs from now on, when the batch rotated it.
    pub rotated_to: Option<LogSigner>,
}

/// Appends leaf hashes to the tree of `size` leaves: writes the tiles that
/// change and a checkpoint of the new tree signed by `signers` (the log's
/// key first; its origin is that key's name).
async fn grow(
    conn: &mut AnyConnection,
    size: u64,
    leaves: &[Hash],
    signers: &[&NoteSigner],
    now: Timestamp,
    cache: &TileCache,
) -> Result<Sequenced, StoreError> {
    let origin = signers
        .first()
        .map(|s| s.name().to_string())
        .ok_or_else(|| StoreError::Config("a checkpoint needs a signer".into()))?;
    let new_size = size + leaves.len() as u64;

    // The right edge tiles that grow, then everything the new root reads.
    let mut tiles = HashMap::new();
    let mut known = HashMap::new();
    fill(conn, cache, &mut known, &right_edge(size)).await?;
    let written =
        append_tiles(size, leaves, |l, i, w| nodes::copy_tile(&known, l, i, w)).map_err(missing)?;
    for (level, index, hashes) in &written {
        let bytes: Vec<u8> = hashes.iter().flatten().copied().collect();
        sqlx::query(
            "INSERT INTO log_tiles (key, hashes) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET hashes = excluded.hashes",
        )
        .bind(tile_key(*level, *index))
        .bind(bytes)
        .execute(&mut *conn)
        .await?;
        tiles.insert((*level, *index), hashes.clone());
    }
    fill(conn, cache, &mut tiles, &nodes::tiles_for(&[(0, new_size)])).await?;
    let root = nodes::range_hash(&tiles, 0, new_size).map_err(missing)?;
    let checkpoint = Checkpoint {
        origin,
        size: new_size,
        root,
    };
    let note = sign_note(&checkpoint.body(), signers)
        .map_err(|e| StoreError::Config(format!("cannot sign the checkpoint: {e}")))?;
    sqlx::query(
        "INSERT INTO log_checkpoints (size, root, note, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (size) DO NOTHING",
    )
    .bind(new_size as i64)
    .bind(root.to_vec())
    .bind(note.clone())
    .bind(now.to_rfc3339())
    .execute(&mut *conn)
    .await?;
    // The tables now hold the log up to here (same transaction).
    sqlx::query("UPDATE applied_log SET size = $1 WHERE size < $1")
        .bind(new_size as i64)
        .execute(&mut *conn)
        .await?;
    Ok(Sequenced {
        size: new_size,
        note,
        written,
        rotated_to: None,
    })
}

/// The partial tile at each level of a tree of `size` leaves: the ones a new
/// leaf extends.
fn right_edge(size: u64) -> Vec<(u8, u64, usize)> {
    let mut out = Vec::new();
    let mut level = 0u8;
    let mut stored = size;
    while stored > 0 {
        let width = (stored % senim_tlog::TILE_WIDTH) as usize;
        if width > 0 {
            out.push((level, stored / senim_tlog::TILE_WIDTH, width));
        }
        stored /= senim_tlog::TILE_WIDTH;
        level += 1;
    }
    out
}

/// An event written before the log existed: its payload may hold private
/// data, so the entry carries only its salted digest, as for any private part.
fn legacy_entry(row: &sqlx::any::AnyRow, salt: &str) -> Result<Value, StoreError> {
    let actor: String = row.try_get("actor")?;
    let actor: Actor = serde_json::from_str(&actor)?;
    let time: String = row.try_get("time")?;
    let payload: Value = serde_json::from_str(&row.try_get::<String, _>("payload")?)?;
    let salted = jcs(&json!({ "salt": salt, "value": payload }))?;
    Ok(json!({
        "time": time,
        "kind": row.try_get::<String, _>("kind")?,
        "subject": {
            "type": row.try_get::<String, _>("subject_type")?,
            "id": row.try_get::<String, _>("subject_id")?,
        },
        "actor": { "roles": actor.roles, "organisation_id": actor.organisation_id },
        "payload": {},
        "private": { "payload": hex_sha256(salted.as_bytes()) },
    }))
}

/// Refuses a key that is not the log's: the newest checkpoint must be
/// signed by it, first (a rotation's checkpoint is signed by the new key
/// first, and the retired key after it). A lost or unshared key must not
/// silently start a second history under one origin, and a retired key must
/// not go on signing.
pub(crate) async fn check_key(pool: &sqlx::AnyPool, signer: &NoteSigner) -> Result<(), StoreError> {
    let row = sqlx::query("SELECT note FROM log_checkpoints ORDER BY size DESC LIMIT 1")
        .fetch_optional(pool)
        .await?;
    let Some(row) = row else { return Ok(()) };
    let note: String = row.try_get("note")?;
    let first = note_signers(&note).ok().and_then(|s| s.into_iter().next());
    let ours = first.is_some_and(|(name, id)| name == signer.name() && id == signer.key_id());
    if ours && signer.verifier().open(&note).is_ok() {
        return Ok(());
    }
    Err(StoreError::Config(
        crate::rotation::explain_wrong_key(pool, signer).await?,
    ))
}

/// Checks the stored log against its newest signed checkpoint, as the
/// server does before it starts: the checkpoint is signed by the log key
/// and names the root it is stored with; the log holds exactly its entries,
/// with no hole; the root recomputed from the stored tiles is the signed
/// one; and the newest entries hash to the tree's newest leaves. What is
/// wrong, if anything, in words an operator can act on.
///
/// `verifier` checks the checkpoint's signature; none is given only when
/// the key was lost and its verifier key is not known either, and then the
/// rest is checked.
pub(crate) async fn check_log(
    conn: &mut AnyConnection,
    verifier: Option<&senim_tlog::NoteVerifier>,
) -> Result<Option<String>, StoreError> {
    let row =
        sqlx::query("SELECT size, root, note FROM log_checkpoints ORDER BY size DESC LIMIT 1")
            .fetch_optional(&mut *conn)
            .await?;
    let Some(row) = row else {
        let any = sqlx::query("SELECT 1 FROM events WHERE idx IS NOT NULL LIMIT 1")
            .fetch_optional(&mut *conn)
            .await?;
        return Ok(any.map(|_| "the log holds entries but no signed checkpoint".to_string()));
    };
    let size = row.try_get::<i64, _>("size")? as u64;
    let root: Vec<u8> = row.try_get("root")?;
    let note: String = row.try_get("note")?;
    // The tables' position first, then the newest checkpoint again: both
    // move in one transaction, so a sound register never has the first
    // ahead of the second, even while another server writes.
    let applied: i64 = sqlx::query("SELECT size FROM applied_log WHERE id = 1")
        .fetch_optional(&mut *conn)
        .await?
        .map(|r| r.try_get("size"))
        .transpose()?
        .unwrap_or(0);
    let newest: i64 = sqlx::query("SELECT COALESCE(MAX(size), 0) AS n FROM log_checkpoints")
        .fetch_one(&mut *conn)
        .await?
        .try_get("n")?;
    if applied > newest {
        return Ok(Some(format!(
            "the tables hold changes up to entry {applied} but the log ends at {newest}: the log was truncated or restored apart from the tables (`senim admin rebuild` makes the tables match the log, dropping what it no longer has; or restore a whole backup)"
        )));
    }
    let opened = match verifier {
        Some(verifier) => verifier.open(&note),
        None => senim_tlog::note_text(&note),
    };
    let Ok(body) = opened else {
        return Ok(Some(format!(
            "the newest checkpoint (size {size}) is not signed by the log key"
        )));
    };
    let signed = Checkpoint::parse(body).ok();
    if signed.as_ref().map(|c| (c.size, c.root.to_vec())) != Some((size, root.clone())) {
        return Ok(Some(format!(
            "the newest checkpoint's signed size and root are not the ones stored with it (size {size})"
        )));
    }
    // Other servers (or tools) may append meanwhile: the log only grows, so
    // everything is read up to the checkpoint's size, and what a later
    // commit adds is left out of the comparison.
    let counted = sqlx::query(
        "SELECT COUNT(idx) AS n, MAX(idx) AS last FROM events WHERE idx IS NOT NULL AND idx < $1",
    )
    .bind(size as i64)
    .fetch_one(&mut *conn)
    .await?;
    let entries = counted.try_get::<i64, _>("n")? as u64;
    let last = counted.try_get::<Option<i64>, _>("last")?.map(|l| l as u64);
    if entries != size || last.map_or(0, |l| l + 1) != size {
        return Ok(Some(format!(
            "the newest checkpoint signed {size} entries but the log holds {entries} of them (the last at index {}): entries were deleted or the database was rolled back",
            last.map_or("none".to_string(), |l| l.to_string())
        )));
    }
    if size == 0 {
        return Ok(None);
    }
    let needed = nodes::tiles_for(&[(0, size)]);
    let wanted: Vec<(u8, u64)> = needed.iter().map(|&(l, i, _)| (l, i)).collect();
    let tiles = read_tiles(&mut *conn, &wanted).await?;
    match nodes::range_hash(&tiles, 0, size) {
        Ok(hash) if hash.as_slice() == root.as_slice() => {}
        Ok(_) => {
            return Ok(Some(format!(
                "the tree's stored hashes do not give the root the newest checkpoint (size {size}) signed"
            )))
        }
        Err(_) => {
            return Ok(Some(format!(
                "hashes of the tree are missing for the newest checkpoint (size {size})"
            )))
        }
    }
    // The newest entries are the tree's newest leaves.
    let from = size.saturating_sub(256);
    let rows =
        sqlx::query("SELECT idx, entry FROM events WHERE idx >= $1 AND idx < $2 ORDER BY idx")
            .bind(from as i64)
            .bind(size as i64)
            .fetch_all(&mut *conn)
            .await?;
    let leaves = read_tiles(&mut *conn, &[(0, from / 256), (0, (size - 1) / 256)]).await?;
    for row in &rows {
        let index = row.try_get::<i64, _>("idx")? as u64;
        let entry: String = row.try_get("entry")?;
        let stored = leaves
            .get(&(0, index / 256))
            .and_then(|t| t.get((index % 256) as usize));
        if stored != Some(&leaf_hash(entry.as_bytes())) {
            return Ok(Some(format!(
                "entry {index} is not the one the tree holds: the events table was changed"
            )));
        }
    }
    Ok(None)
}

/// Keeps `note`, a checkpoint just committed, in `path` (written aside, then
/// renamed over the old one, so the file is always a whole note).
pub(crate) fn write_published(path: &std::path::Path, note: &str) -> std::io::Result<()> {
    let aside = path.with_extension("writing");
    std::fs::write(&aside, note)?;
    std::fs::rename(&aside, path)
}

/// The signer shared by the writer and whoever asks for the verifier key.
pub type LogSigner = Arc<NoteSigner>;

/// The log's current signer, which a rotation replaces while the store runs.
pub(crate) type SharedSigner = Arc<std::sync::RwLock<LogSigner>>;

/// Reads the log key from `path`, or creates one named `origin` there
/// (readable by its owner only) when the file does not exist.
pub fn load_or_create_key(path: &std::path::Path, origin: &str) -> Result<NoteSigner, StoreError> {
    match std::fs::read_to_string(path) {
        Ok(text) => NoteSigner::parse(&text).map_err(|e| {
            StoreError::Config(format!(
                "the log key in {} is not usable: {e}",
                path.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let signer = generate_key(origin)?;
            write_private(path, &format!("{}\n", signer.private_key()), "log key")?;
            tracing::info!(path = %path.display(), key = %signer.verifier_key(), "created the audit log key");
            Ok(signer)
        }
        Err(e) => Err(StoreError::Config(format!(
            "cannot read the log key {}: {e}",
            path.display()
        ))),
    }
}

/// A new random log key named `origin`.
pub fn generate_key(origin: &str) -> Result<NoteSigner, StoreError> {
    NoteSigner::from_seed(origin, &rand::random::<[u8; 32]>())
        .map_err(|e| StoreError::Config(format!("`{origin}` cannot name a log key: {e}")))
}

/// Writes a new secret file (a key) readable by its owner only, and syncs
/// it; refuses to replace one. `what` names it in the error.
pub fn write_private(path: &std::path::Path, text: &str, what: &str) -> Result<(), StoreError> {
    use std::io::Write;
    let fail = |e: std::io::Error| {
        StoreError::Config(format!("cannot write the {what} {}: {e}", path.display()))
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(fail)?;
    file.write_all(text.as_bytes()).map_err(fail)?;
    file.sync_all().map_err(fail)
}

/// The tiles one proof reads, with their subtree hashes.
#[derive(Default)]
struct ProofTiles(HashMap<(u8, u64), Arc<TileTree>>);

impl nodes::TileSource for ProofTiles {
    fn tile(&self, level: u8, index: u64, min_width: usize) -> Option<&[Hash]> {
        self.0
            .get(&(level, index))
            .map(|t| t.hashes())
            .filter(|t| t.len() >= min_width)
    }

    fn subtree(&self, span: &nodes::TileSpan) -> Option<Hash> {
        self.0
            .get(&(span.level, span.tile))?
            .subtree(span.offset, span.count)
    }
}

/// What readers remember of the log. The newest checkpoint: this process's
/// writer refreshes it after every commit, and it is read again when older
/// than a second on the store's clock (another process, `senim admin` or a
/// second server, may have appended); a slightly old checkpoint is still a
/// valid one. Tiles
/// with their subtree hashes: a tile's hashes never change once written (a
/// partial tile only grows), so a cached tile is never wrong, at most
/// narrower than the stored one, and then read again; at most
/// `max_tiles` are kept (about 16 KiB each: a log of n entries has about
/// n/256 tiles, so 4,096 tiles hold every tile of a million entries).
pub(crate) struct LogCache {
    /// The checkpoint, and when it was read or written.
    checkpoint: Mutex<Option<(StoredCheckpoint, Timestamp)>>,
    tiles: Mutex<HashMap<(u8, u64), Arc<TileTree>>>,
    max_tiles: usize,
    clock: Arc<dyn Clock>,
}

impl LogCache {
    /// How long a checkpoint read is served before it is read again.
    pub(crate) const CHECKPOINT_TTL_MS: i64 = 1_000;

    pub(crate) fn new(max_tiles: usize, clock: Arc<dyn Clock>) -> LogCache {
        LogCache {
            checkpoint: Mutex::new(None),
            tiles: Mutex::new(HashMap::new()),
            max_tiles,
            clock,
        }
    }

    fn fresh_checkpoint(&self) -> Option<StoredCheckpoint> {
        let slot = self.checkpoint.lock().ok()?;
        let (checkpoint, at) = slot.as_ref()?;
        let age = self.clock.now().unix_millis() - at.unix_millis();
        (0..Self::CHECKPOINT_TTL_MS)
            .contains(&age)
            .then(|| checkpoint.clone())
    }

    fn known_size(&self) -> Option<u64> {
        Some(self.checkpoint.lock().ok()?.as_ref()?.0.size)
    }

    /// Remembers a checkpoint unless a larger one is already known.
    pub(crate) fn offer_checkpoint(&self, checkpoint: StoredCheckpoint) {
        if let Ok(mut slot) = self.checkpoint.lock() {
            let newer = slot
                .as_ref()
                .map(|(known, _)| checkpoint.size >= known.size)
                .unwrap_or(true);
            if newer {
                *slot = Some((checkpoint, self.clock.now()));
            }
        }
    }

    /// A cached tile with at least `width` hashes.
    fn tile(&self, level: u8, index: u64, width: usize) -> Option<Arc<TileTree>> {
        self.tiles
            .lock()
            .ok()?
            .get(&(level, index))
            .filter(|t| t.width() >= width)
            .cloned()
    }

    /// Keeps a tile unless a wider copy is already kept.
    fn keep_tile(&self, key: (u8, u64), tree: Arc<TileTree>) {
        if let Ok(mut tiles) = self.tiles.lock() {
            if tiles.get(&key).is_some_and(|t| t.width() >= tree.width()) {
                return;
            }
            if self.max_tiles == 0 {
                return;
            }
            if tiles.len() >= self.max_tiles {
                // Any one will do: the tiles a workload reads again come back.
                if let Some(old) = tiles.keys().next().copied() {
                    tiles.remove(&old);
                }
            }
            tiles.insert(key, tree);
        }
    }
}

/// A checkpoint as stored: the tree's size and the signed note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCheckpoint {
    pub size: u64,
    pub note: String,
}

fn checkpoint_row(row: &sqlx::any::AnyRow) -> Result<StoredCheckpoint, StoreError> {
    let size: i64 = row.try_get("size")?;
    Ok(StoredCheckpoint {
        size: size as u64,
        note: row.try_get("note")?,
    })
}

/// Why a proof could not be given.
#[derive(Debug, thiserror::Error)]
pub enum ProofRequestError {
    #[error("{field} {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl crate::Store {
    /// The newest signed checkpoint.
    pub async fn checkpoint(&self) -> Result<Option<StoredCheckpoint>, StoreError> {
        if let Some(checkpoint) = self.log_cache().fresh_checkpoint() {
            return Ok(Some(checkpoint));
        }
        let row = sqlx::query("SELECT size, note FROM log_checkpoints ORDER BY size DESC LIMIT 1")
            .fetch_optional(self.reader())
            .await?;
        let checkpoint = row.as_ref().map(checkpoint_row).transpose()?;
        if let Some(c) = &checkpoint {
            self.log_cache().offer_checkpoint(c.clone());
        }
        Ok(checkpoint)
    }

    /// The checkpoint signed when the tree had exactly `size` leaves.
    pub async fn checkpoint_at(&self, size: u64) -> Result<Option<StoredCheckpoint>, StoreError> {
        let row = sqlx::query("SELECT size, note FROM log_checkpoints WHERE size = $1")
            .bind(size as i64)
            .fetch_optional(self.reader())
            .await?;
        row.as_ref().map(checkpoint_row).transpose()
    }

    /// The first `width` hashes of one tile, concatenated, or `None` when
    /// the tile does not have that many yet.
    pub async fn log_tile(
        &self,
        level: u8,
        index: u64,
        width: usize,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        if index >= 1 << 56 {
            return Ok(None);
        }
        let tree = match self.log_cache().tile(level, index, width) {
            Some(tree) => tree,
            None => match self.read_tile_trees(&[(level, index)]).await?.pop() {
                Some((_, tree)) => tree,
                None => return Ok(None),
            },
        };
        Ok(tree
            .hashes()
            .get(..width)
            .map(|hashes| hashes.iter().flatten().copied().collect()))
    }

    /// Reads tiles and keeps their trees in the cache.
    async fn read_tile_trees(
        &self,
        wanted: &[(u8, u64)],
    ) -> Result<Vec<((u8, u64), Arc<TileTree>)>, StoreError> {
        let mut out = Vec::new();
        for (key, hashes) in read_tiles(self.reader(), wanted).await? {
            if let Some(tree) = TileTree::new(hashes) {
                let tree = Arc::new(tree);
                self.log_cache().keep_tile(key, tree.clone());
                out.push((key, tree));
            }
        }
        Ok(out)
    }

    /// The entries from `start` on, at most `count` of them, in order.
    pub async fn log_entries(&self, start: u64, count: u64) -> Result<Vec<String>, StoreError> {
        let rows =
            sqlx::query("SELECT entry FROM events WHERE idx >= $1 AND idx < $2 ORDER BY idx")
                .bind(start.min(i64::MAX as u64) as i64)
                .bind(start.saturating_add(count).min(i64::MAX as u64) as i64)
                .fetch_all(self.reader())
                .await?;
        rows.iter()
            .map(|r| r.try_get::<String, _>("entry").map_err(StoreError::from))
            .collect()
    }

    /// A payload kept apart from its entry because it was too large.
    pub async fn log_document(&self, sha256: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT body FROM log_documents WHERE sha256 = $1")
            .bind(sha256.to_string())
            .fetch_optional(self.reader())
            .await?;
        Ok(row.map(|r| r.try_get("body")).transpose()?)
    }

    async fn proof(&self, ranges: &[(u64, u64)]) -> Result<Vec<Hash>, StoreError> {
        let mut source = ProofTiles::default();
        let mut wanted = Vec::new();
        for (level, index, width) in nodes::tiles_for(ranges) {
            match self.log_cache().tile(level, index, width) {
                Some(tree) => {
                    source.0.insert((level, index), tree);
                }
                None => wanted.push((level, index)),
            }
        }
        source.0.extend(self.read_tile_trees(&wanted).await?);
        nodes::proof_from(&source, ranges).map_err(missing)
    }

    /// The inclusion proof of entry `index` in the tree of `size` entries.
    pub async fn inclusion_proof(
        &self,
        index: u64,
        size: u64,
    ) -> Result<Vec<Hash>, ProofRequestError> {
        self.check_size("size", size).await?;
        let ranges =
            nodes::inclusion_ranges(index, size).map_err(|e| ProofRequestError::Invalid {
                field: "index",
                reason: e.to_string(),
            })?;
        Ok(self.proof(&ranges).await?)
    }

    /// The consistency proof from the tree of `old` entries to that of `new`.
    pub async fn consistency_proof(
        &self,
        old: u64,
        new: u64,
    ) -> Result<Vec<Hash>, ProofRequestError> {
        self.check_size("new", new).await?;
        let ranges =
            nodes::consistency_ranges(old, new).map_err(|e| ProofRequestError::Invalid {
                field: "old",
                reason: e.to_string(),
            })?;
        Ok(self.proof(&ranges).await?)
    }

    async fn check_size(&self, field: &'static str, size: u64) -> Result<(), ProofRequestError> {
        if self
            .log_cache()
            .known_size()
            .is_some_and(|known| size <= known)
        {
            return Ok(());
        }
        let current = current_size(self.reader()).await?;
        if size > current {
            return Err(ProofRequestError::Invalid {
                field,
                reason: format!("is {size}, but the log has {current} entries"),
            });
        }
        Ok(())
    }
}
