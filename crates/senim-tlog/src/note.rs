//! C2SP signed notes with Ed25519 keys, and C2SP checkpoints.
//!
//! A note is UTF-8 text ending in a newline, a blank line, and signature
//! lines `— <name> <base64(key id || signature)>`. The key id is the first
//! four bytes of SHA-256(name || 0x0A || 0x01 || public key), 0x01 naming the
//! Ed25519 algorithm. A verifier key is written `<name>+<hex key id>+<base64(0x01
//! || public key)>`, the form Go's `sumdb/note` and every C2SP tool read. A
//! checkpoint is a note whose text is the log's origin, its size and the
//! base64 root hash, one per line.
//!
//! A note may carry several signature lines: the checkpoint that records a
//! rotation of the log's key is signed by the retiring key and the new one
//! ([`sign_note`]), and a verifier picks the line of the key it knows.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use sha2::{Digest, Sha256};

use crate::merkle::Hash;

const ALGORITHM_ED25519: u8 = 0x01;
const SIGNATURE_PREFIX: &str = "\u{2014} ";

/// Why a key or a note was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    #[error("malformed key: {0}")]
    Key(String),
    #[error("malformed note: {0}")]
    Malformed(String),
    #[error("no signature by a known key")]
    UnknownKey,
    #[error("the signature by {0} does not verify")]
    BadSignature(String),
    #[error("malformed checkpoint: {0}")]
    Checkpoint(String),
}

pub(crate) fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name.contains('+')
        && !name.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// The key id of an Ed25519 public key under `name`.
pub fn key_id(name: &str, public: &[u8; 32]) -> u32 {
    key_id_of(name, ALGORITHM_ED25519, public)
}

/// The key id of a public key of type `algorithm` under `name`: the first
/// four bytes of SHA-256(name || 0x0A || algorithm || public key).
pub(crate) fn key_id_of(name: &str, algorithm: u8, public: &[u8; 32]) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update([b'\n', algorithm]);
    h.update(public);
    let d = h.finalize();
    u32::from_be_bytes([d[0], d[1], d[2], d[3]])
}

/// A key's `[PRIVATE+KEY+]name+hexid+base64(algorithm || key)` form.
pub(crate) fn key_text(prefix: &str, name: &str, id: u32, algorithm: u8, key: &[u8]) -> String {
    let mut bytes = vec![algorithm];
    bytes.extend_from_slice(key);
    format!("{prefix}{name}+{id:08x}+{}", STANDARD.encode(bytes))
}

/// Checks a key's `name+hexid+base64` form and returns the name, id and key bytes.
fn split_key(text: &str, prefix: &str) -> Result<(String, u32, Vec<u8>), NoteError> {
    split_key_of(text, prefix, ALGORITHM_ED25519)
}

/// Checks a key's `name+hexid+base64` form, whose key is of `algorithm`
/// (0x01 a note signer's, 0x04 a cosigner's), and returns the name, id and
/// key bytes.
pub(crate) fn split_key_of(
    text: &str,
    prefix: &str,
    algorithm: u8,
) -> Result<(String, u32, Vec<u8>), NoteError> {
    let rest = text
        .strip_prefix(prefix)
        .ok_or_else(|| NoteError::Key(format!("must start with `{prefix}`")))?;
    let mut parts = rest.splitn(3, '+');
    let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(NoteError::Key("expected name+id+key".into()));
    };
    if !valid_name(name) {
        return Err(NoteError::Key("invalid name".into()));
    }
    if id.len() != 8 {
        return Err(NoteError::Key("the key id must be 8 hex digits".into()));
    }
    let id =
        u32::from_str_radix(id, 16).map_err(|_| NoteError::Key("the key id is not hex".into()))?;
    let key = STANDARD
        .decode(key)
        .map_err(|_| NoteError::Key("the key is not base64".into()))?;
    if key.len() != 33 || key[0] != algorithm {
        return Err(NoteError::Key(format!(
            "not an Ed25519 key of type 0x{algorithm:02x}"
        )));
    }
    Ok((name.to_string(), id, key[1..].to_vec()))
}

/// Who signs notes: a name and an Ed25519 key.
pub struct NoteSigner {
    name: String,
    key: SigningKey,
    id: u32,
}

impl std::fmt::Debug for NoteSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NoteSigner({}+{:08x}, <secret>)", self.name, self.id)
    }
}

impl NoteSigner {
    /// A signer from a 32-byte Ed25519 seed.
    pub fn from_seed(name: &str, seed: &[u8; 32]) -> Result<NoteSigner, NoteError> {
        if !valid_name(name) {
            return Err(NoteError::Key("invalid name".into()));
        }
        let key = SigningKey::from_bytes(seed);
        let id = key_id(name, key.verifying_key().as_bytes());
        Ok(NoteSigner {
            name: name.to_string(),
            key,
            id,
        })
    }

    /// A signer from the `PRIVATE+KEY+name+hexid+base64` form.
    pub fn parse(text: &str) -> Result<NoteSigner, NoteError> {
        let (name, id, seed) = split_key(text.trim(), "PRIVATE+KEY+")?;
        let seed: [u8; 32] = seed
            .try_into()
            .map_err(|_| NoteError::Key("the seed must be 32 bytes".into()))?;
        let signer = NoteSigner::from_seed(&name, &seed)?;
        if signer.id != id {
            return Err(NoteError::Key("the key id does not match the key".into()));
        }
        Ok(signer)
    }

    /// The `PRIVATE+KEY+...` form, to keep in the data directory.
    pub fn private_key(&self) -> String {
        key_text(
            "PRIVATE+KEY+",
            &self.name,
            self.id,
            ALGORITHM_ED25519,
            &self.key.to_bytes(),
        )
    }

    /// The key that checks this signer's notes.
    pub fn verifier(&self) -> NoteVerifier {
        NoteVerifier {
            name: self.name.clone(),
            id: self.id,
            key: self.key.verifying_key(),
        }
    }

    /// The `name+hexid+base64` verifier key that anyone can check notes with.
    pub fn verifier_key(&self) -> String {
        key_text(
            "",
            &self.name,
            self.id,
            ALGORITHM_ED25519,
            self.key.verifying_key().as_bytes(),
        )
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key id: the first four bytes of SHA-256(name || 0x0A || 0x01 || public key).
    pub fn key_id(&self) -> u32 {
        self.id
    }

    /// Signs `text` (which must end in a newline) and returns the note.
    pub fn sign(&self, text: &str) -> Result<String, NoteError> {
        sign_note(text, &[self])
    }

    /// The signature line of `text` by this key.
    fn signature_line(&self, text: &str) -> String {
        let signature = self.key.sign(text.as_bytes());
        let mut blob = self.id.to_be_bytes().to_vec();
        blob.extend_from_slice(&signature.to_bytes());
        format!(
            "{SIGNATURE_PREFIX}{} {}\n",
            self.name,
            STANDARD.encode(blob)
        )
    }
}

/// Signs `text` (which must end in a newline) with every signer, in order:
/// one note with a signature line by each.
pub fn sign_note(text: &str, signers: &[&NoteSigner]) -> Result<String, NoteError> {
    check_text(text)?;
    if signers.is_empty() {
        return Err(NoteError::Malformed("a note needs a signature".into()));
    }
    let mut note = format!("{text}\n");
    for signer in signers {
        note.push_str(&signer.signature_line(text));
    }
    Ok(note)
}

/// A signature line: the key's name, its id, the signature's bytes, and
/// the line as it was written (without its newline).
pub(crate) struct SignatureLine<'a> {
    pub name: &'a str,
    pub id: u32,
    pub signature: Vec<u8>,
    pub line: &'a str,
}

/// Splits a note into its text and its signature lines (none checked).
pub(crate) fn split_note(note: &str) -> Result<(&str, Vec<SignatureLine<'_>>), NoteError> {
    let split = note
        .rfind("\n\n")
        .ok_or_else(|| NoteError::Malformed("no blank line before the signatures".into()))?;
    let (text, signatures) = (&note[..split + 1], &note[split + 2..]);
    check_text(text)?;
    if !signatures.ends_with('\n') {
        return Err(NoteError::Malformed(
            "the signatures must end with a newline".into(),
        ));
    }
    let mut lines = Vec::new();
    for line in signatures.lines() {
        let rest = line
            .strip_prefix(SIGNATURE_PREFIX)
            .ok_or_else(|| NoteError::Malformed(format!("not a signature line: {line}")))?;
        let (name, blob) = rest
            .split_once(' ')
            .ok_or_else(|| NoteError::Malformed(format!("not a signature line: {line}")))?;
        let blob = STANDARD
            .decode(blob)
            .map_err(|_| NoteError::Malformed("a signature is not base64".into()))?;
        if blob.len() < 4 {
            return Err(NoteError::Malformed("a signature is too short".into()));
        }
        lines.push(SignatureLine {
            name,
            id: u32::from_be_bytes([blob[0], blob[1], blob[2], blob[3]]),
            signature: blob[4..].to_vec(),
            line,
        });
    }
    Ok((text, lines))
}

/// The name and key id of every signature line of a note, in order. The
/// signatures themselves are not checked: this says who a note claims to
/// be signed by, for messages and for a writer that checks its own key.
pub fn note_signers(note: &str) -> Result<Vec<(String, u32)>, NoteError> {
    Ok(split_note(note)?
        .1
        .into_iter()
        .map(|line| (line.name.to_string(), line.id))
        .collect())
}

/// The text a note signs, without checking any signature.
pub fn note_text(note: &str) -> Result<&str, NoteError> {
    Ok(split_note(note)?.0)
}

fn check_text(text: &str) -> Result<(), NoteError> {
    if !text.ends_with('\n') {
        return Err(NoteError::Malformed(
            "the text must end with a newline".into(),
        ));
    }
    if text.chars().any(|c| c.is_control() && c != '\n') {
        return Err(NoteError::Malformed(
            "the text holds control characters".into(),
        ));
    }
    Ok(())
}

/// A key that checks notes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    id: u32,
    key: VerifyingKey,
}

impl NoteVerifier {
    /// Parses a `name+hexid+base64` verifier key, checking that the id matches.
    pub fn parse(text: &str) -> Result<NoteVerifier, NoteError> {
        let (name, id, key) = split_key(text.trim(), "")?;
        let key: [u8; 32] = key
            .try_into()
            .map_err(|_| NoteError::Key("the key must be 32 bytes".into()))?;
        if key_id(&name, &key) != id {
            return Err(NoteError::Key("the key id does not match the key".into()));
        }
        let key = VerifyingKey::from_bytes(&key).map_err(|e| NoteError::Key(e.to_string()))?;
        Ok(NoteVerifier { name, id, key })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key id (see [`key_id`]).
    pub fn key_id(&self) -> u32 {
        self.id
    }

    /// The `name+hexid+base64` form this key was parsed from.
    pub fn verifier_key(&self) -> String {
        key_text(
            "",
            &self.name,
            self.id,
            ALGORITHM_ED25519,
            self.key.as_bytes(),
        )
    }

    /// Checks a note and returns its text, if this key signed it. Lines by
    /// other keys are skipped, whether or not they verify.
    pub fn open<'a>(&self, note: &'a str) -> Result<&'a str, NoteError> {
        let (text, lines) = split_note(note)?;
        let line = lines
            .iter()
            .find(|line| line.name == self.name && line.id == self.id)
            .ok_or(NoteError::UnknownKey)?;
        let signature = Signature::from_slice(&line.signature)
            .map_err(|_| NoteError::BadSignature(self.name.clone()))?;
        self.key
            .verify(text.as_bytes(), &signature)
            .map(|_| text)
            .map_err(|_| NoteError::BadSignature(self.name.clone()))
    }
}

/// A C2SP checkpoint: the log's origin, size and root hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
}

impl Checkpoint {
    /// The note text of the checkpoint.
    pub fn body(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            STANDARD.encode(self.root)
        )
    }

    /// Parses a checkpoint's text (extension lines after the root are ignored).
    pub fn parse(text: &str) -> Result<Checkpoint, NoteError> {
        let mut lines = text.lines();
        let origin = lines
            .next()
            .filter(|o| !o.is_empty())
            .ok_or_else(|| NoteError::Checkpoint("no origin line".into()))?;
        let size = lines
            .next()
            .filter(|s| {
                s.bytes().all(|b| b.is_ascii_digit()) && !(s.len() > 1 && s.starts_with('0'))
            })
            .and_then(|s| s.parse::<u64>().ok())
            .ok_or_else(|| NoteError::Checkpoint("the second line must be the tree size".into()))?;
        let root = lines
            .next()
            .and_then(|r| STANDARD.decode(r).ok())
            .and_then(|r| <[u8; 32]>::try_from(r.as_slice()).ok())
            .ok_or_else(|| {
                NoteError::Checkpoint("the third line must be the base64 root hash".into())
            })?;
        Ok(Checkpoint {
            origin: origin.to_string(),
            size,
            root,
        })
    }
}
