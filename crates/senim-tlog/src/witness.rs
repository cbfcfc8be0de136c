//! A transparency log witness: C2SP `tlog-witness` v1 (the `add-checkpoint`
//! request and its checks) and `tlog-cosignature` v1 with Ed25519 keys
//! (the cosignature a witness answers with). No I/O: the caller keeps the
//! latest checkpoint it cosigned for each log, and must replace it
//! atomically with the one [`check`] accepts before it answers.
//!
//! A cosignature line is `— <name> base64(key id || timestamp || signature)`:
//! the key id is `SHA-256(name || 0x0A || 0x04 || public key)[:4]`, the
//! timestamp a big-endian u64 of POSIX seconds, and the Ed25519 signature
//! is over `cosignature/v1\ntime <timestamp>\n` followed by the
//! checkpoint's whole text.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};

use crate::merkle::{empty_root, verify_consistency, Hash};
use crate::note::{
    key_id_of, key_text, split_key_of, split_note, valid_name, Checkpoint, NoteError, NoteVerifier,
};

/// The key type byte of an Ed25519 cosigner (`cosignature/v1`).
pub const ALGORITHM_COSIGNATURE: u8 = 0x04;
/// The most consistency proof lines a request may carry.
pub const MAX_PROOF_LINES: usize = 63;

/// The key id of an Ed25519 cosigner's public key under `name`.
pub fn cosigner_key_id(name: &str, public: &[u8; 32]) -> u32 {
    key_id_of(name, ALGORITHM_COSIGNATURE, public)
}

/// The message a `cosignature/v1` signs: the header, the time, and the
/// checkpoint's text (its final newline included, no signature lines).
pub fn cosigned_message(text: &str, time: u64) -> String {
    format!("cosignature/v1\ntime {time}\n{text}")
}

/// A witness's cosigning key: a name and an Ed25519 key, kept apart from
/// the log's own key.
pub struct Cosigner {
    name: String,
    key: SigningKey,
    id: u32,
}

impl std::fmt::Debug for Cosigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Cosigner({}+{:08x}, <secret>)", self.name, self.id)
    }
}

impl Cosigner {
    /// A cosigner from a 32-byte Ed25519 seed.
    pub fn from_seed(name: &str, seed: &[u8; 32]) -> Result<Cosigner, NoteError> {
        if !valid_name(name) {
            return Err(NoteError::Key("invalid name".into()));
        }
        let key = SigningKey::from_bytes(seed);
        let id = cosigner_key_id(name, key.verifying_key().as_bytes());
        Ok(Cosigner {
            name: name.to_string(),
            key,
            id,
        })
    }

    /// A cosigner from its `PRIVATE+KEY+name+hexid+base64(0x04 || seed)` form.
    pub fn parse(text: &str) -> Result<Cosigner, NoteError> {
        let (name, id, seed) = split_key_of(text.trim(), "PRIVATE+KEY+", ALGORITHM_COSIGNATURE)?;
        let seed: [u8; 32] = seed
            .try_into()
            .map_err(|_| NoteError::Key("the seed must be 32 bytes".into()))?;
        let cosigner = Cosigner::from_seed(&name, &seed)?;
        if cosigner.id != id {
            return Err(NoteError::Key("the key id does not match the key".into()));
        }
        Ok(cosigner)
    }

    /// The `PRIVATE+KEY+...` form, to keep in a file.
    pub fn private_key(&self) -> String {
        key_text(
            "PRIVATE+KEY+",
            &self.name,
            self.id,
            ALGORITHM_COSIGNATURE,
            &self.key.to_bytes(),
        )
    }

    /// The `name+hexid+base64(0x04 || public key)` verifier key logs and
    /// monitors configure.
    pub fn verifier_key(&self) -> String {
        key_text(
            "",
            &self.name,
            self.id,
            ALGORITHM_COSIGNATURE,
            self.key.verifying_key().as_bytes(),
        )
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The cosignature line (newline included) of the checkpoint whose
    /// text is `text`, at `time` (POSIX seconds, not zero).
    pub fn cosign(&self, text: &str, time: u64) -> String {
        let signature = self.key.sign(cosigned_message(text, time).as_bytes());
        let mut blob = self.id.to_be_bytes().to_vec();
        blob.extend_from_slice(&time.to_be_bytes());
        blob.extend_from_slice(&signature.to_bytes());
        format!("\u{2014} {} {}\n", self.name, STANDARD.encode(blob))
    }
}

/// A witness's key as a log or a monitor configures it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CosignatureVerifier {
    name: String,
    id: u32,
    key: VerifyingKey,
}

impl CosignatureVerifier {
    /// Parses a `name+hexid+base64(0x04 || public key)` verifier key.
    pub fn parse(text: &str) -> Result<CosignatureVerifier, NoteError> {
        let (name, id, key) = split_key_of(text.trim(), "", ALGORITHM_COSIGNATURE)?;
        let key: [u8; 32] = key
            .try_into()
            .map_err(|_| NoteError::Key("the key must be 32 bytes".into()))?;
        if cosigner_key_id(&name, &key) != id {
            return Err(NoteError::Key("the key id does not match the key".into()));
        }
        let key = VerifyingKey::from_bytes(&key).map_err(|e| NoteError::Key(e.to_string()))?;
        Ok(CosignatureVerifier { name, id, key })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The `name+hexid+base64(0x04 || public key)` form.
    pub fn verifier_key(&self) -> String {
        key_text(
            "",
            &self.name,
            self.id,
            ALGORITHM_COSIGNATURE,
            self.key.as_bytes(),
        )
    }

    /// The time of this witness's cosignature of `note` (a checkpoint with
    /// its signature lines), if it carries one that verifies. Lines by
    /// other keys are skipped.
    pub fn verify(&self, note: &str) -> Result<u64, NoteError> {
        let (text, lines) = split_note(note)?;
        let line = lines
            .iter()
            .find(|l| l.name == self.name && l.id == self.id)
            .ok_or(NoteError::UnknownKey)?;
        let bad = || NoteError::BadSignature(self.name.clone());
        if line.signature.len() != 8 + 64 {
            return Err(bad());
        }
        let (time, signature) = line.signature.split_at(8);
        let time = u64::from_be_bytes(time.try_into().map_err(|_| bad())?);
        let signature = Signature::from_slice(signature).map_err(|_| bad())?;
        self.key
            .verify(cosigned_message(text, time).as_bytes(), &signature)
            .map_err(|_| bad())?;
        Ok(time)
    }
}

/// Why a witness refuses a checkpoint, each with the status the spec
/// gives it and a one-line reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// 400: the request does not read, or its old size exceeds the
    /// checkpoint's.
    #[error("{0}")]
    BadRequest(String),
    /// 404: the witness does not witness this log.
    #[error("this witness does not witness the log {0}")]
    UnknownOrigin(String),
    /// 403: no valid signature by the log's key.
    #[error("{0}")]
    Forbidden(String),
    /// 409: the old size is not the size last cosigned, which this is.
    #[error("the old size is not the size this witness last cosigned ({0})")]
    Conflict(u64),
    /// 422: the checkpoint is not consistent with what was cosigned.
    #[error("{0}")]
    Unprocessable(String),
}

impl Refusal {
    /// The HTTP status the spec gives it.
    pub fn status(&self) -> u16 {
        match self {
            Refusal::BadRequest(_) => 400,
            Refusal::UnknownOrigin(_) => 404,
            Refusal::Forbidden(_) => 403,
            Refusal::Conflict(_) => 409,
            Refusal::Unprocessable(_) => 422,
        }
    }
}

/// An `add-checkpoint` request as read: the old size, the consistency
/// proof, and the signed checkpoint (a note).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddCheckpoint<'a> {
    pub old: u64,
    pub proof: Vec<Hash>,
    pub note: &'a str,
}

fn bad(reason: &str) -> Refusal {
    Refusal::BadRequest(reason.to_string())
}

/// A decimal size with no leading zeroes.
fn size(text: &str) -> Option<u64> {
    let canonical = !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && !(text.len() > 1 && text.starts_with('0'));
    canonical.then(|| text.parse().ok()).flatten()
}

/// Reads an `add-checkpoint` body: `old N`, up to 63 base64 hashes, a
/// blank line, a checkpoint; each line ending in a newline.
pub fn parse_add_checkpoint(body: &str) -> Result<AddCheckpoint<'_>, Refusal> {
    let (first, mut rest) = body
        .split_once('\n')
        .ok_or_else(|| bad("the old size line must end with a newline"))?;
    let old = first
        .strip_prefix("old ")
        .and_then(size)
        .ok_or_else(|| bad("the first line must be `old` and a size with no leading zeroes"))?;
    let mut proof = Vec::new();
    loop {
        let (line, after) = rest
            .split_once('\n')
            .ok_or_else(|| bad("the proof must end with a blank line"))?;
        rest = after;
        if line.is_empty() {
            break;
        }
        if proof.len() == MAX_PROOF_LINES {
            return Err(bad("more than 63 consistency proof lines"));
        }
        let hash = STANDARD
            .decode(line)
            .ok()
            .and_then(|h| <Hash>::try_from(h.as_slice()).ok())
            .ok_or_else(|| bad("a consistency proof line is not a base64 SHA-256 hash"))?;
        proof.push(hash);
    }
    if rest.is_empty() {
        return Err(bad("no checkpoint after the blank line"));
    }
    Ok(AddCheckpoint {
        old,
        proof,
        note: rest,
    })
}

/// The checkpoint of a request, read without checking its signatures.
pub fn checkpoint_of(request: &AddCheckpoint<'_>) -> Result<Checkpoint, Refusal> {
    let (text, _) = split_note(request.note).map_err(|e| Refusal::BadRequest(e.to_string()))?;
    Checkpoint::parse(text).map_err(|e| Refusal::BadRequest(e.to_string()))
}

/// What a witness accepted: the checkpoint, its text, and the note it
/// keeps and serves to monitors (the text, the log's verified signature
/// lines, and the witness's cosignature).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub checkpoint: Checkpoint,
    pub text: String,
    /// The log's signature lines the witness verified, each ending in a
    /// newline.
    pub log_signatures: String,
}

impl Accepted {
    /// The note a monitor reads: the checkpoint, the log's signatures and
    /// `cosignature` (a line ending in a newline).
    pub fn note(&self, cosignature: &str) -> String {
        format!("{}\n{}{cosignature}", self.text, self.log_signatures)
    }
}

/// The witness's checks of `request`, in the spec's order: the log is one
/// it witnesses (`keys`: the log's trusted keys, `None` for an unknown
/// origin), the log signed it, the old size does not exceed the new one
/// and is the size last cosigned (`latest`: that checkpoint's size and
/// root, `None` if none), and the checkpoint is consistent with it.
pub fn check(
    request: &AddCheckpoint<'_>,
    keys: Option<&[NoteVerifier]>,
    latest: Option<(u64, Hash)>,
) -> Result<Accepted, Refusal> {
    let checkpoint = checkpoint_of(request)?;
    let keys = keys.ok_or_else(|| Refusal::UnknownOrigin(checkpoint.origin.clone()))?;
    let mut verified = Vec::new();
    for key in keys {
        match key.open(request.note) {
            Ok(_) => verified.push(key),
            Err(NoteError::UnknownKey) => {}
            Err(e) => return Err(Refusal::Forbidden(e.to_string())),
        }
    }
    if verified.is_empty() {
        return Err(Refusal::Forbidden(
            "no signature by a key this witness trusts for the log".into(),
        ));
    }
    let (text, lines) = split_note(request.note).map_err(|e| Refusal::BadRequest(e.to_string()))?;
    if request.old > checkpoint.size {
        return Err(bad("the old size is larger than the checkpoint's"));
    }
    let (latest_size, latest_root) = latest.unwrap_or((0, empty_root()));
    if request.old != latest_size {
        return Err(Refusal::Conflict(latest_size));
    }
    if checkpoint.size == 0 && checkpoint.root != empty_root() {
        return Err(Refusal::Unprocessable(
            "a checkpoint of size 0 must have the empty tree's root".into(),
        ));
    }
    if request.old == 0 && !request.proof.is_empty() {
        return Err(Refusal::Unprocessable(
            "the proof must be empty when the old size is 0".into(),
        ));
    }
    if request.old == checkpoint.size && checkpoint.root != latest_root {
        return Err(Refusal::Unprocessable(
            "the same size as the checkpoint last cosigned, with another root".into(),
        ));
    }
    if request.old != 0
        && !verify_consistency(
            request.old,
            checkpoint.size,
            &latest_root,
            &checkpoint.root,
            &request.proof,
        )
    {
        return Err(Refusal::Unprocessable(
            "the consistency proof does not verify from the checkpoint last cosigned".into(),
        ));
    }
    let log_signatures = lines
        .iter()
        .filter(|l| {
            verified
                .iter()
                .any(|k| k.name() == l.name && k.key_id() == l.id)
        })
        .map(|l| format!("{}\n", l.line))
        .collect();
    Ok(Accepted {
        checkpoint,
        text: text.to_string(),
        log_signatures,
    })
}

/// The request body that asks a witness to cosign `note` (a signed
/// checkpoint) from `old`, with the consistency proof `proof`.
pub fn add_checkpoint_body(old: u64, proof: &[Hash], note: &str) -> String {
    let mut body = format!("old {old}\n");
    for hash in proof {
        body.push_str(&STANDARD.encode(hash));
        body.push('\n');
    }
    body.push('\n');
    body.push_str(note);
    body
}
