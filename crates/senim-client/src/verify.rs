//! Verifying a server's public audit log from the outside, using nothing
//! but what C2SP `tlog-tiles` serves: the signed checkpoint, the hash tiles
//! and the entry bundles. Also checking one receipt offline.
//!
//! A full verification re-hashes every entry, checks each against the hash
//! tile that holds it, checks every higher tile against the tiles below,
//! and recomputes the root the checkpoint signs. Given the checkpoint
//! verified last time, it also recomputes that tree's root from the same
//! tiles: if the log is not an extension of what was verified before (an
//! entry changed, removed or reordered since), the roots differ.
//!
//! The key the verifier trusts may have been rotated since: the server
//! lists its rotations (`/api/v1/log/rotations`), and they are followed from
//! the trusted key to the one that signs now (`senim_tlog::rotation`), each
//! co-signed checkpoint's root checked against the same tiles. A rotation
//! the log holds but the list leaves out is refused, and so is a checkpoint
//! still signed by a key the log retired.

use futures::{StreamExt, TryStreamExt};
use senim_domain::api::{LogRotations, Receipt};
use senim_tlog::merkle::{leaf_hash, root, verify_inclusion, Hash};
use senim_tlog::nodes::{range_hash, tiles_for};
use senim_tlog::rotation::{follow, Followed, RotationError, RotationProof, ROTATION_KIND};
use senim_tlog::{decode_bundle, Checkpoint, NoteVerifier, Tile, TILE_WIDTH};
use std::collections::HashMap;

use crate::{Client, ClientError};

/// What a verification found wrong. Every variant is a reason to distrust
/// the log, except [`VerifyError::Client`], which is a reason to try again.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error("the server has no checkpoint to verify")]
    NoCheckpoint,
    #[error("the checkpoint's signature does not verify with the key {key}: {reason}")]
    BadSignature { key: String, reason: String },
    #[error("the checkpoint is for the log `{found}`, not `{expected}`")]
    WrongOrigin { expected: String, found: String },
    #[error(
        "entry {index} has been changed: its hash is not the one the log's tiles hold for it (the entry or the tile was altered)"
    )]
    ChangedEntry { index: u64 },
    #[error("entries {from} to {to} are missing: their bundle {path} is not served in full")]
    MissingEntries { from: u64, to: u64, path: String },
    #[error("entry {index} says it is entry {says}: entries were moved or replayed")]
    MisplacedEntry { index: u64, says: String },
    #[error("tile {path} is missing")]
    MissingTile { path: String },
    #[error("tile {path} does not match the tiles below it")]
    BadTile { path: String },
    #[error("the tiles do not add up to the root the checkpoint signs")]
    WrongRoot,
    #[error(
        "fork: this checkpoint of size {size} has root {now}, but the checkpoint of the same size verified before had root {before}"
    )]
    Fork {
        size: u64,
        before: String,
        now: String,
    },
    #[error("the log shrank: it now has {now} entries, but {before} were verified before")]
    Shrunk { before: u64, now: u64 },
    #[error(
        "the log was rewritten: its first {size} entries no longer have the root verified before (an entry was changed, removed or reordered)"
    )]
    Rewritten { size: u64 },
    #[error("the receipt's entry does not have the receipt's leaf hash")]
    ReceiptEntry,
    #[error("the receipt's inclusion proof does not lead to its checkpoint's root")]
    ReceiptProof,
    #[error("malformed {0}")]
    Malformed(String),
    #[error(transparent)]
    Rotation(#[from] RotationError),
    #[error(
        "the checkpoint is signed by the key {retired}, which the log retired at entry {index}, and not by the log's key {current}"
    )]
    RetiredKey {
        retired: String,
        index: u64,
        current: String,
    },
    #[error(
        "the log holds a rotation of its key at entry {index} that the server's list of rotations leaves out"
    )]
    HiddenRotation { index: u64 },
    #[error(
        "fork: the checkpoint of size {size} that rotated the log's key at entry {index} does not have the root the log's tiles give"
    )]
    RotationForked { index: u64, size: u64 },
    /// The log shrank or forked below what was verified before, and the
    /// server announces a restore from a backup that explains it. Still a
    /// failure: the verifier decides whether to believe it.
    #[error(
        "{finding}. The log announces a restore from a backup at entry {index} ({time}): it went back to {restored_size} entries, for this reason: \"{reason}\". Confirm it with the authority; then verify again with a new state file (--state) to trust the restored log from now on"
    )]
    AnnouncedRollback {
        finding: Box<VerifyError>,
        index: u64,
        time: String,
        restored_size: u64,
        reason: String,
    },
}

/// A checkpoint verified earlier: what the log must still extend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trusted {
    pub size: u64,
    pub root: Hash,
}

/// The outcome of a full verification.
#[derive(Debug, Clone)]
pub struct Verified {
    pub checkpoint: Checkpoint,
    /// The signed note, to keep as the next [`Trusted`].
    pub note: String,
    /// The key that signed it: the trusted key, or the one its rotations
    /// led to.
    pub key: NoteVerifier,
    /// The rotations followed from the trusted key, in log order.
    pub rotations: Vec<Followed>,
}

fn b64(hash: &Hash) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(hash)
}

/// The index an entry gives itself. Entries are canonical JSON, so keys are
/// sorted: `"actor"` (roles and an organisation id only) comes first, then
/// `"index"`, whose first occurrence is therefore the entry's own.
fn embedded_index(entry: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(entry).ok()?;
    let at = text.find("\"index\":")? + "\"index\":".len();
    let digits: &str = &text[at..];
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    digits[..end].parse().ok()
}

/// Checks that an entry sits where it says it does.
fn check_position(entry: &[u8], index: u64) -> Result<(), VerifyError> {
    match embedded_index(entry) {
        Some(says) if says == index => Ok(()),
        says => Err(VerifyError::MisplacedEntry {
            index,
            says: says.map_or_else(|| "nothing".to_string(), |s| s.to_string()),
        }),
    }
}

/// The kind an entry gives itself: as with its index, the first `"kind"`
/// of canonical JSON is the entry's own (only `"actor"` and `"index"` sort
/// before it).
fn embedded_kind(entry: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(entry).ok()?;
    let at = text.find("\"kind\":\"")? + "\"kind\":\"".len();
    let rest = &text[at..];
    Some(&rest[..rest.find('"')?])
}

/// The rotations of the log's key the server lists; none from a server
/// that lists none (one from before rotations, or an empty log).
pub async fn rotations(client: &Client) -> Result<Option<LogRotations>, VerifyError> {
    match client.get_bytes("/api/v1/log/rotations").await? {
        None => Ok(None),
        Some(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| VerifyError::Malformed(format!("list of rotations: {e}"))),
    }
}

fn decode_hashes(texts: &[String], what: &str) -> Result<Vec<Hash>, VerifyError> {
    use base64::Engine;
    texts
        .iter()
        .map(|text| {
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| VerifyError::Malformed(format!("hash `{text}` in {what}")))
        })
        .collect()
}

/// Follows the listed rotations from `trusted` to the key that signs the
/// log now (see `senim_tlog::rotation::follow`): that key, and the
/// rotations crossed. A key no rotation names is returned as it is, for
/// the checkpoint's signature to refuse.
pub fn follow_rotations(
    trusted: &NoteVerifier,
    listing: Option<&LogRotations>,
) -> Result<(NoteVerifier, Vec<Followed>), VerifyError> {
    let Some(listing) = listing.filter(|l| !l.rotations.is_empty()) else {
        return Ok((trusted.clone(), Vec::new()));
    };
    let mut proofs = Vec::with_capacity(listing.rotations.len());
    for r in &listing.rotations {
        proofs.push((
            decode_hashes(&r.inclusion_proof, "a rotation's inclusion proof")?,
            decode_hashes(&r.consistency_proof, "a rotation's consistency proof")?,
        ));
    }
    let evidence: Vec<RotationProof<'_>> = listing
        .rotations
        .iter()
        .zip(&proofs)
        .map(|(r, (inclusion, consistency))| RotationProof {
            index: r.index,
            entry: r.entry.as_bytes(),
            checkpoint: &r.checkpoint,
            inclusion_proof: inclusion,
            consistency_proof: consistency,
        })
        .collect();
    let latest = senim_tlog::note_text(&listing.checkpoint)
        .ok()
        .and_then(|text| Checkpoint::parse(text).ok())
        .ok_or_else(|| VerifyError::Malformed("the list of rotations' checkpoint".into()))?;
    match follow(trusted, &evidence, &latest) {
        Ok((key, followed)) => {
            open_checkpoint(&listing.checkpoint, &key)?;
            Ok((key, followed))
        }
        // A key that no rotation names is not this log's key at all.
        Err(RotationError::NotFromTrustedKey { .. })
            if !listing.rotations.iter().any(|r| {
                r.new_key == trusted.verifier_key()
                    || r.old_key_id == format!("{:08x}", trusted.key_id())
            }) =>
        {
            Ok((trusted.clone(), Vec::new()))
        }
        Err(e) => Err(e.into()),
    }
}

/// Opens and parses a signed checkpoint note.
pub fn open_checkpoint(note: &str, verifier: &NoteVerifier) -> Result<Checkpoint, VerifyError> {
    let body = verifier.open(note).map_err(|e| VerifyError::BadSignature {
        key: verifier.name().to_string(),
        reason: e.to_string(),
    })?;
    let checkpoint =
        Checkpoint::parse(body).map_err(|e| VerifyError::Malformed(format!("checkpoint: {e}")))?;
    if checkpoint.origin != verifier.name() {
        return Err(VerifyError::WrongOrigin {
            expected: verifier.name().to_string(),
            found: checkpoint.origin,
        });
    }
    Ok(checkpoint)
}

fn hashes_of(bytes: &[u8], path: &str) -> Result<Vec<Hash>, VerifyError> {
    senim_tlog::tile_hashes(bytes).ok_or_else(|| VerifyError::BadTile {
        path: path.to_string(),
    })
}

/// Verifies the whole log at `client`'s server with `verifier`, `parallel`
/// requests at a time, against the checkpoint verified before, if any.
///
/// `verifier` is the key trusted; the rotations the server lists are
/// followed from it first (see [`follow_rotations`]). A log that no longer
/// extends `trusted` fails; when the server announces a restore from a
/// backup that took the log back below it, the failure says so
/// ([`VerifyError::AnnouncedRollback`]).
pub async fn verify_log(
    client: &Client,
    verifier: &NoteVerifier,
    trusted: Option<&Trusted>,
    parallel: usize,
) -> Result<Verified, VerifyError> {
    match verify_whole_log(client, verifier, trusted, parallel).await {
        Err(
            finding @ (VerifyError::Shrunk { .. }
            | VerifyError::Fork { .. }
            | VerifyError::Rewritten { .. }),
        ) => Err(match trusted {
            Some(t) => explain_rollback(client, t.size, finding).await,
            None => finding,
        }),
        other => other,
    }
}

/// `finding`, with the newest restore the server announces that took the
/// log back to `size` entries or fewer, if there is one.
async fn explain_rollback(client: &Client, size: u64, finding: VerifyError) -> VerifyError {
    let listed = match client.get_bytes("/api/v1/log/rollbacks").await {
        Ok(Some(bytes)) => serde_json::from_slice::<Vec<senim_domain::api::LogRollback>>(&bytes)
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    // A log kept at `size` or below may not hold what was verified at `size`.
    match listed.into_iter().rev().find(|r| r.restored_size <= size) {
        Some(r) => VerifyError::AnnouncedRollback {
            finding: Box::new(finding),
            index: r.index,
            time: r.time,
            restored_size: r.restored_size,
            reason: r.reason,
        },
        None => finding,
    }
}

async fn verify_whole_log(
    client: &Client,
    verifier: &NoteVerifier,
    trusted: Option<&Trusted>,
    parallel: usize,
) -> Result<Verified, VerifyError> {
    // The rotations before the checkpoint: a rotation in between shows as a
    // checkpoint by a newer key, refused now and followed on the next run.
    let listing = rotations(client).await?;
    let (key, followed) = follow_rotations(verifier, listing.as_ref())?;
    let note = client
        .get_bytes("/log/checkpoint")
        .await?
        .ok_or(VerifyError::NoCheckpoint)?;
    let note = String::from_utf8(note).map_err(|_| VerifyError::Malformed("checkpoint".into()))?;
    let checkpoint = match open_checkpoint(&note, &key) {
        Ok(checkpoint) => checkpoint,
        Err(e) => {
            return Err(match followed.first() {
                Some(first) if verifier.open(&note).is_ok() => VerifyError::RetiredKey {
                    retired: verifier.verifier_key(),
                    index: first.statement.index,
                    current: key.verifier_key(),
                },
                _ => e,
            })
        }
    };
    let size = checkpoint.size;
    let listed: Vec<u64> = listing
        .as_ref()
        .map(|l| l.rotations.iter().map(|r| r.index).collect())
        .unwrap_or_default();
    if let Some(t) = trusted {
        if size < t.size {
            return Err(VerifyError::Shrunk {
                before: t.size,
                now: size,
            });
        }
        if size == t.size && checkpoint.root != t.root {
            return Err(VerifyError::Fork {
                size,
                before: b64(&t.root),
                now: b64(&checkpoint.root),
            });
        }
    }

    // The tiles the roots need; every tile above level 0 is kept anyway.
    let mut ranges = vec![(0, size)];
    if let Some(t) = trusted {
        ranges.push((0, t.size));
    }
    for f in &followed {
        if f.checkpoint.size <= size {
            ranges.push((0, f.checkpoint.size));
        }
    }
    let needed_leaf_tiles: Vec<u64> = tiles_for(&ranges)
        .into_iter()
        .filter(|(l, _, _)| *l == 0)
        .map(|(_, i, _)| i)
        .collect();
    let mut tiles: HashMap<(u8, u64), Vec<Hash>> = HashMap::new();
    let all = Tile::for_tree(size);

    // Level 0: every entry re-hashed and checked against its hash tile.
    let leaf_tiles: Vec<Tile> = all.iter().copied().filter(|t| t.level == 0).collect();
    let mut computed: Vec<Hash> = Vec::new(); // hashes of the level above
    let mut fetched = futures::stream::iter(leaf_tiles.into_iter().map(|tile| async move {
        let bundle = client
            .get_bytes(&format!("/log/{}", tile.entries_path()))
            .await?;
        let hashes = client.get_bytes(&format!("/log/{}", tile.path())).await?;
        Ok::<_, VerifyError>((tile, bundle, hashes))
    }))
    .buffered(parallel.max(1));
    while let Some((tile, bundle, hashes)) = fetched.try_next().await? {
        let first = tile.index * TILE_WIDTH;
        let width = u64::from(tile.width);
        let missing = || VerifyError::MissingEntries {
            from: first,
            to: first + width - 1,
            path: tile.entries_path(),
        };
        let entries = decode_bundle(&bundle.ok_or_else(missing)?).ok_or_else(missing)?;
        if entries.len() as u64 != width {
            return Err(missing());
        }
        let path = tile.path();
        let stored = hashes_of(
            &hashes.ok_or_else(|| VerifyError::MissingTile { path: path.clone() })?,
            &path,
        )?;
        if stored.len() as u64 != width {
            return Err(VerifyError::BadTile { path });
        }
        for (offset, entry) in entries.iter().enumerate() {
            let index = first + offset as u64;
            check_position(entry, index)?;
            if embedded_kind(entry) == Some(ROTATION_KIND) && !listed.contains(&index) {
                return Err(VerifyError::HiddenRotation { index });
            }
        }
        let leaves: Vec<Hash> = entries.iter().map(|e| leaf_hash(e)).collect();
        if let Some(offset) = leaves.iter().zip(&stored).position(|(a, b)| a != b) {
            return Err(VerifyError::ChangedEntry {
                index: first + offset as u64,
            });
        }
        if width == TILE_WIDTH {
            computed.push(root(&leaves));
        }
        if needed_leaf_tiles.contains(&tile.index) {
            tiles.insert((0, tile.index), leaves);
        }
    }

    // Higher levels: each tile must be the roots of the full tiles below.
    let mut level = 1u8;
    while !computed.is_empty() {
        let level_tiles: Vec<Tile> = all.iter().copied().filter(|t| t.level == level).collect();
        let mut above = Vec::new();
        for tile in level_tiles {
            let path = tile.path();
            let bytes = client
                .get_bytes(&format!("/log/{path}"))
                .await?
                .ok_or_else(|| VerifyError::MissingTile { path: path.clone() })?;
            let stored = hashes_of(&bytes, &path)?;
            let start = (tile.index * TILE_WIDTH) as usize;
            let expected = computed.get(start..start + usize::from(tile.width));
            if expected != Some(stored.as_slice()) {
                return Err(VerifyError::BadTile { path });
            }
            if u64::from(tile.width) == TILE_WIDTH {
                above.push(root(&stored));
            }
            tiles.insert((level, tile.index), stored);
        }
        computed = above;
        level += 1;
    }

    let missing_tile = |e: senim_tlog::nodes::MissingTile| VerifyError::MissingTile {
        path: format!("{}/{}", e.level, e.index),
    };
    if range_hash(&tiles, 0, size).map_err(missing_tile)? != checkpoint.root {
        return Err(VerifyError::WrongRoot);
    }
    if let Some(t) = trusted {
        if range_hash(&tiles, 0, t.size).map_err(missing_tile)? != t.root {
            return Err(VerifyError::Rewritten { size: t.size });
        }
    }
    // Each co-signed checkpoint is a prefix of this log (one newer than
    // this checkpoint, served by another server a moment later, was proved
    // consistent with the list's checkpoint already).
    for f in followed
        .iter()
        .filter(|f| f.checkpoint.size <= checkpoint.size)
    {
        let size = f.checkpoint.size;
        if range_hash(&tiles, 0, size).map_err(missing_tile)? != f.checkpoint.root {
            return Err(VerifyError::RotationForked {
                index: f.statement.index,
                size,
            });
        }
    }
    Ok(Verified {
        checkpoint,
        note,
        key,
        rotations: followed,
    })
}

/// Checks a receipt offline: the checkpoint's signature, the inclusion
/// proof, and the entry's hash when the receipt carries the entry.
pub fn verify_receipt(
    receipt: &Receipt,
    verifier: &NoteVerifier,
) -> Result<Checkpoint, VerifyError> {
    use base64::Engine;
    let decode = |text: &str| -> Result<Hash, VerifyError> {
        base64::engine::general_purpose::STANDARD
            .decode(text)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| VerifyError::Malformed(format!("hash `{text}` in the receipt")))
    };
    let checkpoint = open_checkpoint(&receipt.checkpoint, verifier)?;
    if checkpoint.size != receipt.size {
        return Err(VerifyError::Malformed(
            "receipt: its size is not its checkpoint's".into(),
        ));
    }
    let leaf = decode(&receipt.leaf_hash)?;
    if let Some(entry) = &receipt.entry {
        if leaf_hash(entry.as_bytes()) != leaf {
            return Err(VerifyError::ReceiptEntry);
        }
        check_position(entry.as_bytes(), receipt.index)?;
    }
    let proof = receipt
        .inclusion_proof
        .iter()
        .map(|h| decode(h))
        .collect::<Result<Vec<_>, _>>()?;
    if !verify_inclusion(
        receipt.index,
        checkpoint.size,
        &leaf,
        &proof,
        &checkpoint.root,
    ) {
        return Err(VerifyError::ReceiptProof);
    }
    Ok(checkpoint)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_must_sit_where_it_says() {
        let entry = br#"{"actor":{"organisation_id":null,"roles":["administrator"]},"index":42,"kind":"x","payload":{"index":7}}"#;
        assert_eq!(embedded_index(entry), Some(42));
        assert!(check_position(entry, 42).is_ok());
        assert!(matches!(
            check_position(entry, 41),
            Err(VerifyError::MisplacedEntry { index: 41, .. })
        ));
        assert!(check_position(b"not json", 0).is_err());
    }

    #[test]
    fn an_entry_names_its_own_kind() {
        let entry = br#"{"actor":{"organisation_id":null,"roles":["administrator"]},"index":3,"kind":"log.key_rotated","payload":{"kind":"x"}}"#;
        assert_eq!(embedded_kind(entry), Some(ROTATION_KIND));
        let other = br#"{"actor":{"organisation_id":null,"roles":[]},"index":4,"kind":"system.created","payload":{"kind":"log.key_rotated"}}"#;
        assert_eq!(embedded_kind(other), Some("system.created"));
    }
}
