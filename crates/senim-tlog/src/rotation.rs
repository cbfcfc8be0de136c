//! Rotations of a log's signing key, and following them from a trusted key.
//!
//! A log's checkpoints are signed by one key, which a verifier knows in
//! advance. To replace it, the log appends an entry that names the new key
//! (kind [`ROTATION_KIND`]) and signs the checkpoint that first contains it
//! with both the retiring key and the new one; from then on the new key
//! signs alone. Whoever trusts the old key can therefore follow: the
//! co-signed checkpoint verifies with the key they trust, the rotation entry
//! is in it (an inclusion proof), the entry names the new key, the new key
//! signed the same checkpoint, and the newest checkpoint extends it (a
//! consistency proof). A chain of rotations is followed one link at a time.
//!
//! A key that was lost cannot co-sign: its rotation is signed by the new key
//! alone, and [`follow`] refuses to cross it, because nothing the old key's
//! holder can check ties the new key to the log. Such a key must be obtained
//! out of band and trusted directly.
//!
//! This is pure checking: the caller fetches the rotations and proofs (the
//! server lists them at `/api/v1/log/rotations`) and the newest checkpoint.

use serde_json::Value;

use crate::merkle::{leaf_hash, verify_consistency, verify_inclusion, Hash};
use crate::note::{note_signers, NoteError, NoteVerifier};
use crate::Checkpoint;

/// The `kind` of the log entry that records a rotation of the log's key.
pub const ROTATION_KIND: &str = "log.key_rotated";

/// What a rotation entry states: read from its payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationStatement {
    /// The entry's position in the log.
    pub index: u64,
    /// When it was recorded (RFC 3339).
    pub time: String,
    /// The key that signs the log's checkpoints from this entry on.
    pub new_key: NoteVerifier,
    /// The id of the key it replaces.
    pub old_key_id: u32,
    /// The key it replaces, when the log knew it.
    pub old_key: Option<String>,
    /// Whether the replaced key signed the rotation's checkpoint too (not
    /// when it was lost).
    pub co_signed: bool,
    /// `planned`, `compromised` or `lost`.
    pub reason: String,
}

impl RotationStatement {
    /// Reads a rotation entry (canonical JSON, as hashed into the log).
    pub fn parse(entry: &[u8]) -> Result<RotationStatement, RotationError> {
        let value: Value = serde_json::from_slice(entry).map_err(|e| RotationError::Entry {
            index: None,
            reason: format!("not JSON: {e}"),
        })?;
        let index = value.get("index").and_then(Value::as_u64);
        let bad = |reason: &str| RotationError::Entry {
            index,
            reason: reason.to_string(),
        };
        let index_value = index.ok_or_else(|| bad("it has no index"))?;
        if value.get("kind").and_then(Value::as_str) != Some(ROTATION_KIND) {
            return Err(bad("its kind is not log.key_rotated"));
        }
        let payload = value
            .get("payload")
            .ok_or_else(|| bad("it has no payload"))?;
        let text = |field: &str| payload.get(field).and_then(Value::as_str);
        let new_key = text("new_key")
            .ok_or_else(|| bad("it names no new_key"))
            .and_then(|k| {
                NoteVerifier::parse(k).map_err(|e| bad(&format!("its new_key is not a key: {e}")))
            })?;
        let old_key_id = text("old_key_id")
            .filter(|id| id.len() == 8)
            .and_then(|id| u32::from_str_radix(id, 16).ok())
            .ok_or_else(|| bad("its old_key_id is not 8 hex digits"))?;
        let co_signed = payload
            .get("co_signed")
            .and_then(Value::as_bool)
            .ok_or_else(|| bad("it does not say whether it is co_signed"))?;
        Ok(RotationStatement {
            index: index_value,
            time: value
                .get("time")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            new_key,
            old_key_id,
            old_key: text("old_key").map(str::to_string),
            co_signed,
            reason: text("reason").unwrap_or_default().to_string(),
        })
    }
}

/// Why a rotation could not be followed. Each names the entry and what failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RotationError {
    #[error("{} is not a key rotation the verifier can read: {reason}", match .index { Some(i) => format!("entry {i}"), None => "an entry".to_string() })]
    Entry { index: Option<u64>, reason: String },
    #[error("the rotations are not in log order at entry {index}")]
    OutOfOrder { index: u64 },
    #[error(
        "the log's key was rotated at entry {index} from the key {from}, not from the key you trust ({trusted})"
    )]
    NotFromTrustedKey {
        index: u64,
        from: String,
        trusted: String,
    },
    #[error("the rotation at entry {index} names a key of another log, `{name}`")]
    OtherLog { index: u64, name: String },
    #[error(
        "the rotation at entry {index} is not signed by the new key it names ({key}): its checkpoint of size {size} carries {found}"
    )]
    NotSignedByNewKey {
        index: u64,
        size: u64,
        key: String,
        found: String,
    },
    #[error(
        "forged rotation at entry {index}: its checkpoint of size {size} is not signed by the key you trust ({key}): {reason}"
    )]
    NotCoSigned {
        index: u64,
        size: u64,
        key: String,
        reason: String,
    },
    #[error(
        "the log's key was replaced at entry {index} without a signature by the key you trust, which the operator declared lost: \
         nothing you can check ties the new key to the log. Obtain the new key from the authority out of band \
         (the log names {new_key}, but do not take it from the log alone) and trust it directly"
    )]
    LostKey { index: u64, new_key: String },
    #[error(
        "the rotation entry {index} is not in the checkpoint of size {size} it comes with: its inclusion proof fails"
    )]
    NotIncluded { index: u64, size: u64 },
    #[error(
        "the log does not extend the checkpoint of size {size} that rotated its key at entry {index}: the consistency proof to size {latest} fails"
    )]
    Inconsistent { index: u64, size: u64, latest: u64 },
    #[error("the rotation at entry {index}: malformed checkpoint: {reason}")]
    Checkpoint { index: u64, reason: String },
}

/// One rotation as a verifier receives it: the entry, the co-signed
/// checkpoint that first contains it, the entry's inclusion proof in that
/// checkpoint, and the consistency proof from it to the newest checkpoint.
#[derive(Debug, Clone)]
pub struct RotationProof<'a> {
    pub index: u64,
    pub entry: &'a [u8],
    pub checkpoint: &'a str,
    pub inclusion_proof: &'a [Hash],
    pub consistency_proof: &'a [Hash],
}

/// A rotation followed: what it states and the checkpoint both keys signed.
#[derive(Debug, Clone)]
pub struct Followed {
    pub statement: RotationStatement,
    pub checkpoint: Checkpoint,
}

fn signers_of(note: &str) -> String {
    match note_signers(note) {
        Ok(signers) if signers.is_empty() => "no signature".to_string(),
        Ok(signers) => {
            let names: Vec<String> = signers
                .iter()
                .map(|(name, id)| format!("{name}+{id:08x}"))
                .collect();
            format!("signatures by {}", names.join(", "))
        }
        Err(e) => e.to_string(),
    }
}

/// Follows the rotations from `trusted` to the key that signs the log now,
/// and returns that key with the rotations crossed.
///
/// `rotations` are every rotation of the log, in log order; `latest` is the
/// newest checkpoint (not yet opened: the caller opens it with the key
/// returned), which every consistency proof leads to. Rotations up to the
/// one that introduced `trusted` are skipped (a verifier may trust a key
/// that is not the log's first); every later one must rotate the key
/// reached so far, be co-signed by it and by the new key, be in its
/// checkpoint, and that checkpoint must be extended by `latest`.
pub fn follow(
    trusted: &NoteVerifier,
    rotations: &[RotationProof<'_>],
    latest: &Checkpoint,
) -> Result<(NoteVerifier, Vec<Followed>), RotationError> {
    let mut statements = Vec::with_capacity(rotations.len());
    let mut previous: Option<u64> = None;
    for rotation in rotations {
        let statement = RotationStatement::parse(rotation.entry)?;
        if statement.index != rotation.index {
            return Err(RotationError::Entry {
                index: Some(rotation.index),
                reason: format!("it says it is entry {}", statement.index),
            });
        }
        if previous.is_some_and(|p| p >= rotation.index) {
            return Err(RotationError::OutOfOrder {
                index: rotation.index,
            });
        }
        previous = Some(rotation.index);
        statements.push(statement);
    }
    // A trusted key that a rotation introduced: only later rotations matter.
    let start = statements
        .iter()
        .rposition(|s| s.new_key == *trusted)
        .map_or(0, |i| i + 1);
    let mut key = trusted.clone();
    let mut followed = Vec::new();
    for (rotation, statement) in rotations.iter().zip(statements).skip(start) {
        let index = rotation.index;
        if statement.old_key_id != key.key_id() {
            return Err(RotationError::NotFromTrustedKey {
                index,
                from: format!("{}+{:08x}", key.name(), statement.old_key_id),
                trusted: key.verifier_key(),
            });
        }
        if statement.new_key.name() != key.name() {
            return Err(RotationError::OtherLog {
                index,
                name: statement.new_key.name().to_string(),
            });
        }
        let note = rotation.checkpoint;
        let size_of = || {
            crate::note::note_text(note)
                .ok()
                .and_then(|t| Checkpoint::parse(t).ok())
                .map_or(0, |c| c.size)
        };
        let body = statement
            .new_key
            .open(note)
            .map_err(|_| RotationError::NotSignedByNewKey {
                index,
                size: size_of(),
                key: statement.new_key.verifier_key(),
                found: signers_of(note),
            })?;
        match key.open(note) {
            Ok(_) => {}
            Err(NoteError::UnknownKey) if !statement.co_signed => {
                return Err(RotationError::LostKey {
                    index,
                    new_key: statement.new_key.verifier_key(),
                })
            }
            Err(e) => {
                let reason = match e {
                    NoteError::UnknownKey => format!("it carries {}", signers_of(note)),
                    NoteError::BadSignature(_) => {
                        "its signature by that key does not verify".into()
                    }
                    other => other.to_string(),
                };
                return Err(RotationError::NotCoSigned {
                    index,
                    size: size_of(),
                    key: key.verifier_key(),
                    reason,
                });
            }
        }
        let checkpoint = Checkpoint::parse(body).map_err(|e| RotationError::Checkpoint {
            index,
            reason: e.to_string(),
        })?;
        if checkpoint.origin != key.name() {
            return Err(RotationError::OtherLog {
                index,
                name: checkpoint.origin,
            });
        }
        if !verify_inclusion(
            index,
            checkpoint.size,
            &leaf_hash(rotation.entry),
            rotation.inclusion_proof,
            &checkpoint.root,
        ) {
            return Err(RotationError::NotIncluded {
                index,
                size: checkpoint.size,
            });
        }
        if checkpoint.size > latest.size
            || !verify_consistency(
                checkpoint.size,
                latest.size,
                &checkpoint.root,
                &latest.root,
                rotation.consistency_proof,
            )
        {
            return Err(RotationError::Inconsistent {
                index,
                size: checkpoint.size,
                latest: latest.size,
            });
        }
        key = statement.new_key.clone();
        followed.push(Followed {
            statement,
            checkpoint,
        });
    }
    Ok((key, followed))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;
    use crate::merkle::{consistency_proof, inclusion_proof, root};
    use crate::note::{sign_note, NoteSigner};

    const ORIGIN: &str = "test.senim/log";

    fn key(seed: u8) -> NoteSigner {
        NoteSigner::from_seed(ORIGIN, &[seed; 32]).unwrap()
    }

    fn entry(index: u64, kind: &str, payload: Value) -> Vec<u8> {
        crate::canonical(&serde_json::json!({
            "actor": {"organisation_id": null, "roles": ["administrator"]},
            "index": index,
            "kind": kind,
            "payload": payload,
            "subject": {"id": ORIGIN, "type": "log"},
            "time": "2026-12-07T01:00:00.000Z",
        }))
        .unwrap()
        .into_bytes()
    }

    fn rotation_entry(index: u64, old: &NoteSigner, new: &NoteSigner, co_signed: bool) -> Vec<u8> {
        entry(
            index,
            ROTATION_KIND,
            serde_json::json!({
                "new_key": new.verifier_key(),
                "old_key": old.verifier_key(),
                "old_key_id": format!("{:08x}", old.key_id()),
                "co_signed": co_signed,
                "reason": if co_signed { "planned" } else { "lost" },
            }),
        )
    }

    /// A rotation's index, entry, co-signed checkpoint, inclusion and consistency proofs.
    type Evidence = (u64, Vec<u8>, String, Vec<Hash>, Vec<Hash>);

    /// A log being written: its entries, and the checkpoint signed after each batch.
    struct Log {
        entries: Vec<Vec<u8>>,
        /// (index, co-signed checkpoint) of each rotation.
        rotations: Vec<(u64, String)>,
    }

    impl Log {
        fn new(entries: u64) -> Log {
            let mut log = Log {
                entries: Vec::new(),
                rotations: Vec::new(),
            };
            log.append(entries);
            log
        }

        fn append(&mut self, count: u64) {
            for _ in 0..count {
                let index = self.entries.len() as u64;
                self.entries.push(entry(
                    index,
                    "system.created",
                    serde_json::json!({"n": index}),
                ));
            }
        }

        fn leaves(&self, size: u64) -> Vec<Hash> {
            self.entries[..size as usize]
                .iter()
                .map(|e| leaf_hash(e))
                .collect()
        }

        fn checkpoint(&self) -> Checkpoint {
            let size = self.entries.len() as u64;
            Checkpoint {
                origin: ORIGIN.into(),
                size,
                root: root(&self.leaves(size)),
            }
        }

        /// Appends a rotation entry and signs its checkpoint with `signers`.
        fn rotate(&mut self, old: &NoteSigner, new: &NoteSigner, signers: &[&NoteSigner]) {
            let index = self.entries.len() as u64;
            self.entries
                .push(rotation_entry(index, old, new, signers.len() > 1));
            let note = sign_note(&self.checkpoint().body(), signers).unwrap();
            self.rotations.push((index, note));
        }

        fn proofs(&self) -> Vec<Evidence> {
            let latest = self.entries.len() as u64;
            self.rotations
                .iter()
                .map(|(index, note)| {
                    let size = Checkpoint::parse(crate::note::note_text(note).unwrap())
                        .unwrap()
                        .size;
                    (
                        *index,
                        self.entries[*index as usize].clone(),
                        note.clone(),
                        inclusion_proof(*index, &self.leaves(size)).unwrap(),
                        consistency_proof(size, &self.leaves(latest)).unwrap(),
                    )
                })
                .collect()
        }

        fn follow(
            &self,
            trusted: &NoteVerifier,
        ) -> Result<(NoteVerifier, Vec<Followed>), RotationError> {
            let proofs = self.proofs();
            let rotations: Vec<RotationProof<'_>> = proofs
                .iter()
                .map(
                    |(index, entry, note, inclusion, consistency)| RotationProof {
                        index: *index,
                        entry,
                        checkpoint: note,
                        inclusion_proof: inclusion,
                        consistency_proof: consistency,
                    },
                )
                .collect();
            follow(trusted, &rotations, &self.checkpoint())
        }
    }

    #[test]
    fn a_co_signed_note_verifies_with_either_key() {
        let (old, new) = (key(1), key(2));
        let note = sign_note("text\n", &[&old, &new]).unwrap();
        assert_eq!(old.verifier().open(&note).unwrap(), "text\n");
        assert_eq!(new.verifier().open(&note).unwrap(), "text\n");
        assert_eq!(
            note_signers(&note).unwrap(),
            vec![
                (ORIGIN.to_string(), old.key_id()),
                (ORIGIN.to_string(), new.key_id())
            ]
        );
        assert_eq!(key(3).verifier().open(&note), Err(NoteError::UnknownKey));
        assert!(sign_note("text\n", &[]).is_err());
        // Signing with several keys is signing with each: the lines are the
        // ones each key alone writes.
        let alone = new.sign("text\n").unwrap();
        assert!(note.ends_with(alone.rsplit_once("\n\n").unwrap().1));
    }

    #[test]
    fn a_chain_of_rotations_is_followed_from_the_first_key() {
        let (k0, k1, k2) = (key(1), key(2), key(3));
        let mut log = Log::new(5);
        log.rotate(&k0, &k1, &[&k0, &k1]);
        log.append(3);
        log.rotate(&k1, &k2, &[&k1, &k2]);
        log.append(4);
        let (now, followed) = log.follow(&k0.verifier()).unwrap();
        assert_eq!(now, k2.verifier());
        assert_eq!(followed.len(), 2);
        assert_eq!(followed[0].statement.index, 5);
        assert_eq!(followed[0].checkpoint.size, 6);
        assert_eq!(followed[1].statement.index, 9);
        // From the middle key, only the later rotation is crossed; from the
        // newest, none.
        let (now, followed) = log.follow(&k1.verifier()).unwrap();
        assert_eq!((now, followed.len()), (k2.verifier(), 1));
        let (now, followed) = log.follow(&k2.verifier()).unwrap();
        assert_eq!((now, followed.len()), (k2.verifier(), 0));
        // No rotation at all: the trusted key is the key.
        let plain = Log::new(3);
        assert_eq!(plain.follow(&k0.verifier()).unwrap().0, k0.verifier());
    }

    #[test]
    fn a_rotation_without_the_trusted_keys_signature_is_refused() {
        let (k0, k1, stranger) = (key(1), key(2), key(9));
        // Signed by the new key alone, though the entry says co-signed.
        let mut log = Log::new(2);
        log.rotate(&k0, &k1, &[&k1]);
        log.entries[2] = rotation_entry(2, &k0, &k1, true);
        log.rotations[0].1 = k1.sign(&log.checkpoint().body()).unwrap();
        let err = log.follow(&k0.verifier()).unwrap_err();
        assert!(
            matches!(err, RotationError::NotCoSigned { index: 2, .. }),
            "{err}"
        );
        assert!(
            err.to_string().contains("forged rotation at entry 2"),
            "{err}"
        );
        // Co-signed by a stranger with the log's name instead.
        let mut log = Log::new(2);
        log.rotate(&k0, &k1, &[&stranger, &k1]);
        let err = log.follow(&k0.verifier()).unwrap_err().to_string();
        assert!(err.contains("not signed by the key you trust"), "{err}");
        assert!(
            err.contains(&format!("{ORIGIN}+{:08x}", stranger.key_id())),
            "the message names who signed: {err}"
        );
        // The trusted key's line, but a signature of other text.
        let mut log = Log::new(2);
        log.rotate(&k0, &k1, &[&k0, &k1]);
        let other = k0.sign("another text\n").unwrap();
        let bad_line = other.rsplit_once("\n\n").unwrap().1;
        let good = &log.rotations[0].1;
        let new_line = good.lines().last().unwrap();
        let body = crate::note::note_text(good).unwrap();
        log.rotations[0].1 = format!("{body}\n{bad_line}{new_line}\n");
        let err = log.follow(&k0.verifier()).unwrap_err().to_string();
        assert!(err.contains("does not verify"), "{err}");
    }

    #[test]
    fn a_rotation_must_be_signed_by_the_key_it_names() {
        let (k0, k1, k2) = (key(1), key(2), key(3));
        let mut log = Log::new(2);
        // The entry names k1, but k2 co-signed.
        log.rotate(&k0, &k1, &[&k0, &k2]);
        let err = log.follow(&k0.verifier()).unwrap_err();
        assert!(
            matches!(err, RotationError::NotSignedByNewKey { index: 2, .. }),
            "{err}"
        );
    }

    #[test]
    fn a_rotation_entry_not_in_its_checkpoint_is_refused() {
        let (k0, k1) = (key(1), key(2));
        let mut log = Log::new(4);
        log.rotate(&k0, &k1, &[&k0, &k1]);
        log.append(2);
        let proofs = log.proofs();
        let (index, entry, note, _, consistency) = &proofs[0];
        // The proof of another leaf: the entry's hash does not lead to the root.
        let wrong = inclusion_proof(1, &log.leaves(5)).unwrap();
        let rotations = [RotationProof {
            index: *index,
            entry,
            checkpoint: note,
            inclusion_proof: &wrong,
            consistency_proof: consistency,
        }];
        let err = follow(&k0.verifier(), &rotations, &log.checkpoint()).unwrap_err();
        assert_eq!(err, RotationError::NotIncluded { index: 4, size: 5 });
        // An entry changed after it was signed (its reason).
        let changed = super::tests::entry(
            4,
            ROTATION_KIND,
            serde_json::json!({
                "new_key": k1.verifier_key(),
                "old_key": k0.verifier_key(),
                "old_key_id": format!("{:08x}", k0.key_id()),
                "co_signed": true,
                "reason": "compromised",
            }),
        );
        let (_, _, _, inclusion, _) = &proofs[0];
        let rotations = [RotationProof {
            index: *index,
            entry: &changed,
            checkpoint: note,
            inclusion_proof: inclusion,
            consistency_proof: consistency,
        }];
        let err = follow(&k0.verifier(), &rotations, &log.checkpoint()).unwrap_err();
        assert_eq!(err, RotationError::NotIncluded { index: 4, size: 5 });
    }

    #[test]
    fn the_newest_checkpoint_must_extend_the_rotation() {
        let (k0, k1) = (key(1), key(2));
        let mut log = Log::new(4);
        log.rotate(&k0, &k1, &[&k0, &k1]);
        log.append(3);
        // History rewritten after the rotation: entry 1 differs.
        let mut forked = Log {
            entries: log.entries.clone(),
            rotations: log.rotations.clone(),
        };
        forked.entries[1] = entry(1, "system.created", serde_json::json!({"n": "forged"}));
        let proofs = log.proofs();
        let (index, entry, note, inclusion, consistency) = &proofs[0];
        let rotations = [RotationProof {
            index: *index,
            entry,
            checkpoint: note,
            inclusion_proof: inclusion,
            consistency_proof: consistency,
        }];
        let err = follow(&k0.verifier(), &rotations, &forked.checkpoint()).unwrap_err();
        assert_eq!(
            err,
            RotationError::Inconsistent {
                index: 4,
                size: 5,
                latest: 8
            }
        );
    }

    #[test]
    fn a_lost_keys_rotation_is_followed_only_from_the_new_key() {
        let (k0, k1) = (key(1), key(2));
        let mut log = Log::new(3);
        log.rotate(&k0, &k1, &[&k1]);
        log.append(2);
        let err = log.follow(&k0.verifier()).unwrap_err();
        assert!(
            matches!(err, RotationError::LostKey { index: 3, .. }),
            "{err}"
        );
        let message = err.to_string();
        assert!(message.contains("out of band"), "{message}");
        assert!(message.contains(&k1.verifier_key()), "{message}");
        // Trusted directly, the new key is the log's key.
        let (now, followed) = log.follow(&k1.verifier()).unwrap();
        assert_eq!((now, followed.len()), (k1.verifier(), 0));
    }

    #[test]
    fn a_rotation_from_another_key_is_refused() {
        let (k0, k1, k2) = (key(1), key(2), key(3));
        let mut log = Log::new(2);
        log.rotate(&k0, &k1, &[&k0, &k1]);
        // The second rotation claims to rotate k0 again, signed by k0 and k2.
        log.rotate(&k0, &k2, &[&k0, &k2]);
        let err = log.follow(&k0.verifier()).unwrap_err();
        assert!(
            matches!(err, RotationError::NotFromTrustedKey { index: 3, .. }),
            "{err}"
        );
    }

    #[test]
    fn statements_are_read_from_the_entry() {
        let (k0, k1) = (key(1), key(2));
        let statement = RotationStatement::parse(&rotation_entry(7, &k0, &k1, true)).unwrap();
        assert_eq!(statement.index, 7);
        assert_eq!(statement.new_key, k1.verifier());
        assert_eq!(statement.old_key_id, k0.key_id());
        assert_eq!(statement.old_key, Some(k0.verifier_key()));
        assert!(statement.co_signed);
        assert_eq!(statement.reason, "planned");
        let other = entry(7, "system.created", serde_json::json!({}));
        let err = RotationStatement::parse(&other).unwrap_err().to_string();
        assert!(err.contains("entry 7") && err.contains("kind"), "{err}");
        let bad_key = entry(
            7,
            ROTATION_KIND,
            serde_json::json!({"new_key": "nonsense", "old_key_id": "00000000", "co_signed": true}),
        );
        let err = RotationStatement::parse(&bad_key).unwrap_err().to_string();
        assert!(err.contains("new_key"), "{err}");
    }
}
