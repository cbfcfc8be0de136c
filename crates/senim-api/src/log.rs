//! The public audit log over HTTP.
//!
//! `/log/...` is exactly C2SP `tlog-tiles` (checkpoint, hash tiles, entry
//! bundles), so any tool that reads that format can mirror and verify the
//! log; `/log/key` gives the verifier key. `/api/v1/log/...` adds JSON
//! conveniences: one entry with its proof, inclusion and consistency proofs,
//! documents too large for an entry, and the rotations of the log's key
//! with the proofs a verifier needs to follow them. Everything here is public: the log
//! holds no private data, only digests of it.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::Deserialize;
use utoipa::IntoParams;

use senim_domain::api::{ConsistencyProof, InclusionProof, LogEntry, LogRollback, LogRotations};
use senim_tlog::{encode_bundle, leaf_hash, Tile, TILE_WIDTH};

use senim_app::error::ErrorCode;
use senim_app::error::{ApiError, ErrorBody};
use senim_app::extract::QueryParams;
use senim_app::log::{b64, entry_with_proof};
use senim_app::state::AppState;

/// Tiles and bundles never change once served: a given path always has the
/// same bytes.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// The `tlog-tiles` routes, served at `/log`.
pub fn tiles() -> Router<AppState> {
    Router::new()
        .route("/checkpoint", get(checkpoint))
        .route("/key", get(key))
        .route("/tile/{*path}", get(tile))
}

/// The JSON routes, under `/api/v1/log`.
pub fn api() -> Router<AppState> {
    Router::new()
        .route("/entries/{index}", get(entry))
        .route("/proof/inclusion", get(inclusion))
        .route("/proof/consistency", get(consistency))
        .route("/documents/{sha256}", get(document))
        .route("/rotations", get(rotations))
        .route("/rollbacks", get(rollbacks))
}

fn text(body: String, cache: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, cache),
        ],
        body,
    )
        .into_response()
}

async fn checkpoint(State(state): State<AppState>) -> Result<Response, ApiError> {
    let checkpoint = state
        .store
        .checkpoint()
        .await?
        .ok_or_else(|| ApiError::not_found("checkpoint"))?;
    // With every witness's cosignature of it (issue 22). A newer one may
    // be signed any moment: caches must ask again.
    let note = senim_app::cosigning::cosigned(&state, &checkpoint).await?;
    let mut response = text(note, "no-cache");
    // The checkpoint's text stays the three lines C2SP defines; a rollback
    // the operator announced is named beside it, for whoever kept a larger
    // checkpoint than this log now extends.
    if let Some(newest) = state.store.log_rollbacks().await?.last() {
        let published = newest
            .published_size
            .map_or(String::new(), |size| format!("; published_size={size}"));
        let value = format!(
            "entry={}; restored_size={}{published}; list=\"/api/v1/log/rollbacks\"",
            newest.index, newest.restored_size
        );
        if let Ok(value) = header::HeaderValue::from_str(&value) {
            response.headers_mut().insert("senim-rollback", value);
        }
    }
    Ok(response)
}

async fn key(State(state): State<AppState>) -> Response {
    text(
        format!("{}\n", state.store.log_signer().verifier_key()),
        "public, max-age=3600",
    )
}

async fn tile(
    State(state): State<AppState>,
    Path(path): Path<String>,
) -> Result<Response, ApiError> {
    let (level, tile) =
        Tile::parse(&format!("tile/{path}")).ok_or_else(|| ApiError::not_found("tile"))?;
    let width = usize::from(tile.width);
    let body = match level {
        Some(level) => state
            .store
            .log_tile(level, tile.index, width)
            .await?
            .ok_or_else(|| ApiError::not_found("tile"))?,
        None => {
            let start = tile.index * TILE_WIDTH;
            let entries = state.store.log_entries(start, width as u64).await?;
            if entries.len() != width {
                return Err(ApiError::not_found("entry bundle"));
            }
            let slices: Vec<&[u8]> = entries.iter().map(|e| e.as_bytes()).collect();
            encode_bundle(&slices).ok_or_else(ApiError::internal)?
        }
    };
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream"),
            (header::CACHE_CONTROL, IMMUTABLE),
        ],
        body,
    )
        .into_response())
}

/// One entry of the log, with its inclusion proof to the newest checkpoint.
#[utoipa::path(get, path = "/api/v1/log/entries/{index}", tag = "log",
    params(("index" = u64, Path, description = "The entry's position, from 0")),
    responses((status = 200, body = LogEntry), (status = 404, body = ErrorBody)))]
pub async fn entry(
    State(state): State<AppState>,
    Path(index): Path<String>,
) -> Result<Json<LogEntry>, ApiError> {
    let index: u64 = index.parse().map_err(|_| {
        ApiError::field(ErrorCode::Invalid, "index", "must be a whole number from 0")
    })?;
    let (entry, checkpoint, proof) = entry_with_proof(&state, index).await?;
    Ok(Json(LogEntry {
        index,
        leaf_hash: STANDARD.encode(leaf_hash(entry.as_bytes())),
        entry,
        size: checkpoint.size,
        checkpoint: checkpoint.note,
        inclusion_proof: b64(&proof),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct InclusionQuery {
    /// The entry's position.
    pub index: u64,
    /// The tree size to prove inclusion in (at most the newest checkpoint's).
    pub size: u64,
}

/// The inclusion proof of one entry in a tree of a given size.
#[utoipa::path(get, path = "/api/v1/log/proof/inclusion", tag = "log", params(InclusionQuery),
    responses((status = 200, body = InclusionProof), (status = 422, body = ErrorBody)))]
pub async fn inclusion(
    State(state): State<AppState>,
    QueryParams(q): QueryParams<InclusionQuery>,
) -> Result<Json<InclusionProof>, ApiError> {
    let proof = state.store.inclusion_proof(q.index, q.size).await?;
    Ok(Json(InclusionProof {
        index: q.index,
        size: q.size,
        proof: b64(&proof),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyQuery {
    /// The smaller tree size.
    pub old: u64,
    /// The larger tree size (at most the newest checkpoint's).
    pub new: u64,
}

/// The proof that the log of `old` entries is a prefix of the log of `new`.
#[utoipa::path(get, path = "/api/v1/log/proof/consistency", tag = "log", params(ConsistencyQuery),
    responses((status = 200, body = ConsistencyProof), (status = 422, body = ErrorBody)))]
pub async fn consistency(
    State(state): State<AppState>,
    QueryParams(q): QueryParams<ConsistencyQuery>,
) -> Result<Json<ConsistencyProof>, ApiError> {
    let proof = state.store.consistency_proof(q.old, q.new).await?;
    Ok(Json(ConsistencyProof {
        old: q.old,
        new: q.new,
        proof: b64(&proof),
    }))
}

/// A public payload kept apart because its entry would exceed 64 KiB; the
/// entry names it by the SHA-256 of this exact text.
#[utoipa::path(get, path = "/api/v1/log/documents/{sha256}", tag = "log",
    params(("sha256" = String, Path, description = "Hex SHA-256 of the document")),
    responses((status = 200, description = "The document, canonical JSON"), (status = 404, body = ErrorBody)))]
pub async fn document(
    State(state): State<AppState>,
    Path(sha256): Path<String>,
) -> Result<Response, ApiError> {
    let body = state
        .store
        .log_document(&sha256.to_ascii_lowercase())
        .await?
        .ok_or_else(|| ApiError::not_found("document"))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, IMMUTABLE),
        ],
        body,
    )
        .into_response())
}

/// Every restore that took the log back, as its operator accepted and
/// announced it, in log order (empty when there was none). A verifier that
/// finds the log shrank, or forked, below a checkpoint it had verified
/// reads here whether, when and why the operator said so.
#[utoipa::path(get, path = "/api/v1/log/rollbacks", tag = "log",
    responses((status = 200, body = Vec<LogRollback>)))]
pub async fn rollbacks(State(state): State<AppState>) -> Result<Response, ApiError> {
    let rollbacks = senim_app::log::rollbacks(&state).await?;
    Ok(([(header::CACHE_CONTROL, "no-cache")], Json(rollbacks)).into_response())
}

/// Every rotation of the log's signing key, in log order, each with its
/// entry, the checkpoint both keys signed, the entry's inclusion proof in
/// it and the consistency proof from it to the newest checkpoint (given
/// too): what a verifier who trusts an earlier key needs to follow the
/// rotations to the key that signs now.
#[utoipa::path(get, path = "/api/v1/log/rotations", tag = "log",
    responses((status = 200, body = LogRotations), (status = 404, body = ErrorBody)))]
pub async fn rotations(State(state): State<AppState>) -> Result<Response, ApiError> {
    let rotations = senim_app::log::rotations(&state).await?;
    // It changes with every checkpoint: caches must ask again.
    Ok(([(header::CACHE_CONTROL, "no-cache")], Json(rotations)).into_response())
}
