//! Witnesses of this register's own log (issue 22, item 2): each witness
//! configured (`[[log_witnesses]]`: its submission URL and its
//! `cosignature/v1` key) is sent the newest checkpoint with the
//! consistency proof from the size it last cosigned, as C2SP
//! `tlog-witness` v1 asks; a 409 names the size it holds, and the next
//! request starts there. Each cosignature that verifies under the
//! witness's key is kept by checkpoint size, and `/log/checkpoint` serves
//! it beside the log's signature. This runs behind the writes, on its own
//! task: a slow or unreachable witness never delays one.

use std::time::Duration;

use serde::Deserialize;

use senim_tlog::witness::{add_checkpoint_body, CosignatureVerifier};

use crate::state::AppState;

/// A witness asked to cosign this register's checkpoints.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogWitness {
    /// Its submission prefix: `add-checkpoint` is posted under it.
    pub url: String,
    /// Its cosigner key, `name+hexid+base64(0x04 || public key)`.
    pub key: String,
}

/// The witnesses, their keys read.
pub struct Witnesses {
    asked: Vec<(LogWitness, CosignatureVerifier)>,
}

impl Witnesses {
    /// Reads each witness's key; one that does not read stops the start.
    pub fn new(config: &crate::Config) -> Result<Witnesses, crate::StartError> {
        let asked = config
            .log_witnesses
            .iter()
            .map(|w| {
                CosignatureVerifier::parse(&w.key)
                    .map(|key| (w.clone(), key))
                    .map_err(|e| {
                        crate::StartError::Witness(format!("[[log_witnesses]] {}: {e}", w.url))
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Witnesses { asked })
    }

    /// Whether any witness is configured.
    pub fn any(&self) -> bool {
        !self.asked.is_empty()
    }
}

/// Asks every witness now and then every `cosign_interval_ms`, on a task
/// of its own.
pub fn start(state: AppState) {
    if !state.witnesses.any() {
        return;
    }
    let every = Duration::from_millis(state.config.cosign_interval_ms.max(10));
    tokio::spawn(async move {
        let http = match reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
        {
            Ok(http) => http,
            Err(e) => {
                tracing::error!(error = %e, "no HTTP client for the witnesses");
                return;
            }
        };
        loop {
            for (witness, key) in &state.witnesses.asked {
                if let Err(e) = ask(&state, &http, witness, key).await {
                    tracing::warn!(witness = %key.name(), error = %e, "a witness did not cosign");
                    record(&state, key, None, None, Some(e)).await;
                }
            }
            // How far behind each is (`senim_log_witness_lag_entries`).
            if let Ok(all) = status(&state).await {
                for w in all {
                    state.metrics.set_witness_lag(&w.name, w.lag);
                }
            }
            tokio::time::sleep(every).await;
        }
    });
}

/// Keeps what a witness answered (the size it cosigned or holds, its
/// cosignature, or the error).
async fn record(
    state: &AppState,
    key: &CosignatureVerifier,
    size: Option<u64>,
    line: Option<String>,
    error: Option<String>,
) {
    let known = match size {
        Some(size) => size,
        None => match state.store.log_witness(key.name()).await {
            Ok(w) => w.map_or(0, |w| w.size),
            Err(_) => return,
        },
    };
    let command = senim_store::Command::RecordCosignature {
        witness: key.name().to_string(),
        size: known,
        line,
        error,
    };
    if let Err(e) = state
        .store
        .execute(senim_store::Actor::operator(), command)
        .await
    {
        tracing::warn!(error = %e, "a witness's answer could not be kept");
    }
}

/// Sends the newest checkpoint to one witness, from the size it last
/// cosigned, resending once from the size a 409 names.
async fn ask(
    state: &AppState,
    http: &reqwest::Client,
    witness: &LogWitness,
    key: &CosignatureVerifier,
) -> Result<(), String> {
    let Some(checkpoint) = state.store.checkpoint().await.map_err(|e| e.to_string())? else {
        return Ok(());
    };
    let known = state
        .store
        .log_witness(key.name())
        .await
        .map_err(|e| e.to_string())?;
    let mut old = known.as_ref().map_or(0, |w| w.size);
    // Nothing to ask when this witness's cosignature of the newest
    // checkpoint is kept already.
    let own = format!("\u{2014} {} ", key.name());
    if old == checkpoint.size
        && state
            .store
            .log_cosignatures(checkpoint.size)
            .await
            .map_err(|e| e.to_string())?
            .iter()
            .any(|line| line.starts_with(&own))
    {
        return Ok(());
    }
    let url = format!("{}/add-checkpoint", witness.url.trim_end_matches('/'));
    for _ in 0..2 {
        if old > checkpoint.size {
            return Err(format!(
                "the witness holds size {old}, larger than this log's {}",
                checkpoint.size
            ));
        }
        let proof = if old == 0 || old == checkpoint.size {
            Vec::new()
        } else {
            state
                .store
                .consistency_proof(old, checkpoint.size)
                .await
                .map_err(|e| e.to_string())?
        };
        let body = add_checkpoint_body(old, &proof, &checkpoint.note);
        let answer = http
            .post(&url)
            .body(body)
            .send()
            .await
            .map_err(|e| format!("{url}: {e}"))?;
        let status = answer.status().as_u16();
        let text = answer.text().await.map_err(|e| format!("{url}: {e}"))?;
        match status {
            200 => {
                let line = text
                    .lines()
                    .map(|l| format!("{l}\n"))
                    .find(|l| key.verify(&format!("{}{l}", checkpoint.note)).is_ok())
                    .ok_or_else(|| {
                        format!("{url}: no cosignature by {} that verifies", key.name())
                    })?;
                record(state, key, Some(checkpoint.size), Some(line), None).await;
                return Ok(());
            }
            409 => {
                old = text
                    .trim()
                    .parse()
                    .map_err(|_| format!("{url}: a 409 without a size"))?;
                record(state, key, Some(old), None, None).await;
            }
            _ => return Err(format!("{url}: {status} {}", text.trim())),
        }
    }
    Err(format!("{url}: the witness's size kept changing"))
}

/// The checkpoint as served: the log's note with every witness's
/// cosignature of it.
pub async fn cosigned(
    state: &AppState,
    checkpoint: &senim_store::log::StoredCheckpoint,
) -> Result<String, senim_store::StoreError> {
    let lines = state.store.log_cosignatures(checkpoint.size).await?;
    Ok(format!("{}{}", checkpoint.note, lines.concat()))
}

/// Where a witness of the log stands, for the audit log's page.
pub struct WitnessStatus {
    pub name: String,
    /// The size it last cosigned (or holds, as its 409 said).
    pub cosigned: u64,
    /// Entries of the newest checkpoint it has not cosigned.
    pub lag: u64,
    /// Whether the last round of asking it failed.
    pub failing: bool,
}

/// Each configured witness of the log and where it stands.
pub async fn status(state: &AppState) -> Result<Vec<WitnessStatus>, senim_store::StoreError> {
    let newest = state.store.checkpoint().await?.map_or(0, |c| c.size);
    let mut out = Vec::new();
    for (_, key) in &state.witnesses.asked {
        let known = state.store.log_witness(key.name()).await?;
        let cosigned = known.as_ref().map_or(0, |w| w.size);
        out.push(WitnessStatus {
            name: key.name().to_string(),
            cosigned,
            lag: newest.saturating_sub(cosigned),
            failing: known.is_some_and(|w| w.error.is_some()),
        });
    }
    Ok(out)
}
