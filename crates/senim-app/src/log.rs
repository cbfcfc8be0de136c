//! The public audit log over HTTP.
//!
//! `/log/...` is exactly C2SP `tlog-tiles` (checkpoint, hash tiles, entry
//! bundles), so any tool that reads that format can mirror and verify the
//! log; `/log/key` gives the verifier key. `/api/v1/log/...` adds JSON
//! conveniences: one entry with its proof, inclusion and consistency proofs,
//! and documents too large for an entry. Everything here is public: the log
//! holds no private data, only digests of it.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::Response;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use senim_domain::api::{LogRollback, LogRotation, LogRotations, Receipt};
use senim_store::log::ProofRequestError;
use senim_store::LogPosition;
use senim_tlog::leaf_hash;

use crate::error::ApiError;
use crate::error::ErrorCode;
use crate::state::AppState;

/// Entry `index` as hashed, the newest checkpoint, and the entry's
/// inclusion proof to it (the API's entry and the log entry page).
pub async fn entry_with_proof(
    state: &AppState,
    index: u64,
) -> Result<
    (
        String,
        senim_store::log::StoredCheckpoint,
        Vec<senim_tlog::Hash>,
    ),
    ApiError,
> {
    let checkpoint = state
        .store
        .checkpoint()
        .await?
        .ok_or_else(|| ApiError::not_found("log entry"))?;
    if index >= checkpoint.size {
        return Err(ApiError::not_found("log entry"));
    }
    let entry = state
        .store
        .log_entries(index, 1)
        .await?
        .pop()
        .ok_or_else(|| ApiError::not_found("log entry"))?;
    let proof = state.store.inclusion_proof(index, checkpoint.size).await?;
    // With the witnesses' cosignatures of it, so that a receipt (and a
    // document) says offline whether its checkpoint was witnessed.
    let note = crate::cosigning::cosigned(state, &checkpoint).await?;
    let checkpoint = senim_store::log::StoredCheckpoint {
        size: checkpoint.size,
        note,
    };
    Ok((entry, checkpoint, proof))
}

/// Every rotation of the log's key, each with its entry's inclusion proof
/// in its co-signed checkpoint and the consistency proof from that
/// checkpoint to the newest one (`GET /api/v1/log/rotations`): what a
/// verifier who trusts an earlier key needs to follow them.
pub async fn rotations(state: &AppState) -> Result<LogRotations, ApiError> {
    let checkpoint = state
        .store
        .checkpoint()
        .await?
        .ok_or_else(|| ApiError::not_found("checkpoint"))?;
    let mut rotations = Vec::new();
    let mut later_old_key = None;
    for stored in state.store.log_rotations().await? {
        let statement = &stored.statement;
        let size = stored.checkpoint.size;
        // The newest checkpoint read may be a moment old: a rotation after
        // it is for the next request.
        if size > checkpoint.size {
            later_old_key = later_old_key.or_else(|| statement.old_key.clone());
            continue;
        }
        let inclusion = state.store.inclusion_proof(statement.index, size).await?;
        let consistency = state.store.consistency_proof(size, checkpoint.size).await?;
        rotations.push(LogRotation {
            index: statement.index,
            entry: stored.entry.clone(),
            time: statement.time.clone(),
            new_key: statement.new_key.verifier_key(),
            old_key_id: format!("{:08x}", statement.old_key_id),
            old_key: statement.old_key.clone(),
            co_signed: statement.co_signed,
            reason: statement.reason.clone(),
            checkpoint: stored.checkpoint.note,
            size,
            inclusion_proof: b64(&inclusion),
            consistency_proof: b64(&consistency),
        });
    }
    // The key that signed `checkpoint`: the newest rotation's, or the one
    // a later rotation replaced, or (never rotated) this server's.
    let key = rotations
        .last()
        .map(|r| r.new_key.clone())
        .or(later_old_key)
        .unwrap_or_else(|| state.store.log_signer().verifier_key());
    Ok(LogRotations {
        key,
        checkpoint: checkpoint.note,
        size: checkpoint.size,
        rotations,
    })
}

/// Every rollback of the log its operator accepted, in log order
/// (`GET /api/v1/log/rollbacks`, the audit log page).
pub async fn rollbacks(state: &AppState) -> Result<Vec<LogRollback>, ApiError> {
    Ok(state
        .store
        .log_rollbacks()
        .await?
        .iter()
        .map(|r| LogRollback {
            index: r.index,
            time: r.time.clone(),
            published_checkpoint: r.published_checkpoint.clone(),
            published_size: r.published_size,
            restored_size: r.restored_size,
            lost_entries: r.lost_entries(),
            reason: r.reason.clone(),
        })
        .collect())
}

/// The rollbacks the home page announces: those of the last 90 days.
pub async fn recent_rollbacks(state: &AppState) -> Result<Vec<LogRollback>, ApiError> {
    let since = state.store.clock().now().plus_seconds(-90 * 24 * 3600);
    let mut list = rollbacks(state).await?;
    list.retain(|r| senim_domain::Timestamp::parse(&r.time).map_or(true, |t| t >= since));
    Ok(list)
}

/// The receipt of a committed change.
pub async fn receipt(state: &AppState, position: LogPosition) -> Result<Receipt, ApiError> {
    let checkpoint = state
        .store
        .checkpoint_at(position.size)
        .await?
        .ok_or_else(ApiError::internal)?;
    let entry = state
        .store
        .log_entries(position.index, 1)
        .await?
        .pop()
        .ok_or_else(ApiError::internal)?;
    let proof = state
        .store
        .inclusion_proof(position.index, position.size)
        .await?;
    Ok(Receipt {
        index: position.index,
        size: position.size,
        leaf_hash: STANDARD.encode(leaf_hash(entry.as_bytes())),
        checkpoint: checkpoint.note,
        inclusion_proof: b64(&proof),
        entry: None,
    })
}

/// Middleware: gives every response whose request committed a change its
/// receipt, so no handler has to remember to.
pub async fn receipts(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    // Reads change nothing: they skip the slot entirely.
    if request.method() == axum::http::Method::GET || request.method() == axum::http::Method::HEAD {
        return next.run(request).await;
    }
    let slot = std::sync::Arc::new(std::sync::Mutex::new(None));
    let mut response = LOGGED.scope(slot.clone(), next.run(request)).await;
    let position = slot.lock().ok().and_then(|p| *p);
    if let Some(position) = position {
        if response.status().is_success() {
            add_receipt(&state, position, response.headers_mut()).await;
        }
    }
    response
}

impl From<ProofRequestError> for ApiError {
    fn from(e: ProofRequestError) -> Self {
        match e {
            ProofRequestError::Invalid { field, reason } => {
                ApiError::field(ErrorCode::Invalid, field, reason)
            }
            ProofRequestError::Store(e) => e.into(),
        }
    }
}

/// The header a write's response carries its receipt in: the receipt's JSON,
/// base64url without padding.
pub const RECEIPT_HEADER: &str = "senim-receipt";

tokio::task_local! {
    /// Where the current request's change landed in the log, set by
    /// [`AppState::execute`] and turned into a receipt header by [`receipts`].
    pub static LOGGED: std::sync::Arc<std::sync::Mutex<Option<LogPosition>>>;
}

async fn add_receipt(state: &AppState, position: LogPosition, headers: &mut HeaderMap) {
    match receipt(state, position).await {
        Ok(receipt) => {
            let json = serde_json::to_vec(&receipt).unwrap_or_default();
            let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json);
            if let Ok(value) = HeaderValue::from_str(&encoded) {
                headers.insert(RECEIPT_HEADER, value);
            }
        }
        // The change is committed and in the log; only the copy of the
        // proof is missing, and the client can fetch it by index.
        Err(_) => tracing::warn!(index = position.index, "could not attach a receipt"),
    }
}

pub fn b64(hashes: &[[u8; 32]]) -> Vec<String> {
    hashes.iter().map(|h| STANDARD.encode(h)).collect()
}
