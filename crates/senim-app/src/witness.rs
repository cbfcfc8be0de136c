//! Senim as a witness of other transparency logs (issue 22, C2SP
//! `tlog-witness` v1): the logs it witnesses and their keys come from
//! `[witness]` in the configuration; its cosigning key (Ed25519,
//! `cosignature/v1`) is its own, never the log's, kept in `witness.key` in
//! the data directory (made at the first start that witnesses a log).
//! `add_checkpoint` checks a request ([`senim_tlog::witness::check`])
//! against the checkpoint last cosigned, persists the new one through the
//! writer (a compare-and-set on its size) and only then answers with the
//! cosignature.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use sha2::{Digest, Sha256};

use senim_tlog::witness::{check, parse_add_checkpoint, Cosigner, Refusal};
use senim_tlog::NoteVerifier;

use crate::state::AppState;

/// `[witness]`: the logs this register witnesses.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WitnessConfig {
    /// The witness's name, which its cosignatures carry (default: the log
    /// origin followed by `/witness`).
    pub name: Option<String>,
    /// The cosigning key's file (default: `witness.key` in the data
    /// directory, made when missing).
    pub key_file: Option<PathBuf>,
    /// The logs witnessed: `[[witness.logs]]`.
    pub logs: Vec<WitnessedLog>,
}

/// A log this register witnesses: its origin and the verifier keys
/// (`name+hexid+base64`) its checkpoints are signed with.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WitnessedLog {
    pub origin: String,
    pub keys: Vec<String>,
}

/// The witness: its key, and the logs it witnesses with their keys.
pub struct Witness {
    cosigner: Option<Cosigner>,
    logs: HashMap<String, Vec<NoteVerifier>>,
}

/// The witness's refusal of a request: its status and a one-line message
/// (protocol text for the log's operator, in English, as the spec's
/// clients expect; no page shows it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub status: u16,
    pub message: String,
    /// For a 409: the size last cosigned.
    pub size: Option<u64>,
}

impl From<Refusal> for Refused {
    fn from(r: Refusal) -> Refused {
        Refused {
            status: r.status(),
            size: match r {
                Refusal::Conflict(n) => Some(n),
                _ => None,
            },
            message: r.to_string(),
        }
    }
}

fn start_error(what: String) -> crate::StartError {
    crate::StartError::Witness(what)
}

/// The cosigner in `path`, or a new one made there (readable by the
/// owner only).
fn load_or_create(path: &Path, name: &str) -> Result<Cosigner, crate::StartError> {
    match std::fs::read_to_string(path) {
        Ok(text) => {
            Cosigner::parse(&text).map_err(|e| start_error(format!("{}: {e}", path.display())))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let seed: [u8; 32] = rand::random();
            let cosigner = Cosigner::from_seed(name, &seed)
                .map_err(|e| start_error(format!("[witness] name: {e}")))?;
            senim_store::log::write_private(
                path,
                &format!("{}\n", cosigner.private_key()),
                "witness key",
            )?;
            tracing::info!(path = %path.display(), key = %cosigner.verifier_key(), "created the witness key");
            Ok(cosigner)
        }
        Err(e) => Err(start_error(format!("{}: {e}", path.display()))),
    }
}

impl Witness {
    /// The witness `config` describes; a key that does not read stops the
    /// start, naming its log. Without logs to witness there is no key.
    pub fn new(config: &crate::Config) -> Result<Witness, crate::StartError> {
        let own = &config.witness;
        let mut logs = HashMap::new();
        for log in &own.logs {
            let keys = log
                .keys
                .iter()
                .map(|k| {
                    NoteVerifier::parse(k).map_err(|e| {
                        start_error(format!("[[witness.logs]] {}: a key: {e}", log.origin))
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            if keys.is_empty() {
                return Err(start_error(format!(
                    "[[witness.logs]] {}: needs at least one key",
                    log.origin
                )));
            }
            logs.insert(log.origin.clone(), keys);
        }
        let cosigner = if logs.is_empty() {
            None
        } else {
            let name = own
                .name
                .clone()
                .unwrap_or_else(|| format!("{}/witness", config.log_origin));
            let path = own
                .key_file
                .clone()
                .unwrap_or_else(|| config.data_dir.join("witness.key"));
            let cosigner = load_or_create(&path, &name)?;
            if cosigner.name() != name {
                return Err(start_error(format!(
                    "{}: the key is named {}, the configuration names the witness {name}",
                    path.display(),
                    cosigner.name()
                )));
            }
            Some(cosigner)
        };
        Ok(Witness { cosigner, logs })
    }

    /// The witness's verifier key (`name+hexid+base64`), when it witnesses
    /// any log.
    pub fn verifier_key(&self) -> Option<String> {
        self.cosigner.as_ref().map(Cosigner::verifier_key)
    }
}

/// `add-checkpoint`: the cosignature line of the checkpoint `body`
/// carries, once it is checked and kept; or the refusal, with the
/// spec's status.
pub async fn add_checkpoint(state: &AppState, body: &[u8]) -> Result<String, Refused> {
    let witness = &state.witness;
    let body = std::str::from_utf8(body)
        .map_err(|_| Refused::from(Refusal::BadRequest("the request is not UTF-8".into())))?;
    let request = parse_add_checkpoint(body)?;
    let checkpoint = senim_tlog::witness::checkpoint_of(&request)?;
    let keys = witness.logs.get(&checkpoint.origin).map(Vec::as_slice);
    let (Some(cosigner), Some(_)) = (&witness.cosigner, keys) else {
        return Err(Refusal::UnknownOrigin(checkpoint.origin).into());
    };
    let kept = state
        .store
        .witnessed(&checkpoint.origin)
        .await
        .map_err(internal)?;
    let latest = match &kept {
        Some(k) => Some((k.size, decode_root(&k.root).map_err(internal)?)),
        None => None,
    };
    let accepted = check(&request, keys, latest)?;
    if i64::try_from(accepted.checkpoint.size).is_err() {
        return Err(Refusal::BadRequest("the size is larger than 2^63 - 1".into()).into());
    }
    let time = u64::try_from(state.clock.now().unix_millis() / 1000)
        .unwrap_or(1)
        .max(1);
    let cosignature = cosigner.cosign(&accepted.text, time);
    use base64::Engine;
    let next = senim_store::witness::Witnessed {
        size: accepted.checkpoint.size,
        root: base64::engine::general_purpose::STANDARD.encode(accepted.checkpoint.root),
        note: accepted.note(&cosignature),
    };
    let command = senim_store::Command::Witness {
        origin: checkpoint.origin.clone(),
        old: request.old,
        next,
    };
    match state.execute(senim_store::Actor::operator(), command).await {
        Ok(_) => Ok(cosignature),
        Err(senim_store::StoreError::Conflict {
            current: Some(size),
            ..
        }) => Err(Refusal::Conflict(size.parse().unwrap_or(0)).into()),
        Err(e) => Err(internal(e)),
    }
}

fn decode_root(text: &str) -> Result<senim_tlog::Hash, String> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .ok()
        .and_then(|r| <senim_tlog::Hash>::try_from(r.as_slice()).ok())
        .ok_or_else(|| "a witnessed root does not read".to_string())
}

fn internal(e: impl std::fmt::Display) -> Refused {
    tracing::error!(error = %e, "the witness could not keep a checkpoint");
    Refused {
        status: 500,
        message: "the witness could not keep the checkpoint; nothing was cosigned".into(),
        size: None,
    }
}

/// The latest checkpoint cosigned for the log whose origin's SHA-256 is
/// `origin_hash` (lowercase hex), with the log's signatures and the
/// cosignature, for monitors; `None` if none was.
pub async fn latest(state: &AppState, origin_hash: &str) -> Result<Option<String>, Refused> {
    // Monitors name a log by the hex SHA-256 of its origin.
    let Some(origin) = state
        .witness
        .logs
        .keys()
        .find(|o| hex::encode(Sha256::digest(o.as_bytes())) == origin_hash)
    else {
        return Ok(None);
    };
    Ok(state
        .store
        .witnessed(origin)
        .await
        .map_err(internal)?
        .map(|w| w.note))
}
