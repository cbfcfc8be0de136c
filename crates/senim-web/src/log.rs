//! The audit log explained: the current checkpoint and key, the rotations
//! of the key, the newest entries, and one entry with its proof, checked by
//! the server and again by the reader's browser.

use axum::extract::{Path, State};
use axum::response::Response;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use senim_tlog::{leaf_hash, verify_inclusion, Checkpoint};

use crate::public::date;
use crate::Ctx;
use crate::PageResult;
use senim_app::error::ApiError;
use senim_app::error::ErrorCode;
use senim_app::state::AppState;

/// Entries listed on the overview.
const NEWEST: u64 = 20;

/// An entry as a row.
pub struct EntryRow {
    pub index: u64,
    pub kind: String,
    pub date: String,
}

fn describe(c: &Ctx, index: u64, entry: &str) -> EntryRow {
    let value: serde_json::Value = serde_json::from_str(entry).unwrap_or_default();
    let kind = value["kind"].as_str().unwrap_or("");
    EntryRow {
        index,
        kind: c.t.term("event", &kind.replace('.', "-")),
        date: date(value["time"].as_str().unwrap_or("")),
    }
}

/// A rotation of the log's key, as a row.
pub struct RotationRow {
    pub index: u64,
    pub date: String,
    pub new_key: String,
    pub old_key: String,
    /// How the new key was tied to the log: co-signed, or not (a lost key).
    pub how: String,
}

#[derive(askama::Template)]
#[template(path = "audit_log.html")]
struct Overview<'a> {
    c: &'a Ctx,
    crumbs: Vec<(String, String)>,
    size: u64,
    root: String,
    note: String,
    key: String,
    rotations: Vec<RotationRow>,
    /// Restores from a backup, in log order.
    rollbacks: Vec<RollbackRow>,
    /// The witnesses asked to cosign the checkpoints, and where each stands.
    witnesses: Vec<senim_app::cosigning::WitnessStatus>,
    entries: Vec<EntryRow>,
}

/// A restore that took the log back, as a row.
pub struct RollbackRow {
    pub index: u64,
    pub date: String,
    /// "1180 kept of 1200 published"
    pub sizes: String,
    pub reason: String,
}

/// `GET /audit-log`.
pub async fn overview(c: Ctx, State(state): State<AppState>) -> PageResult {
    let checkpoint = state.store.checkpoint().await?;
    let (size, note) = match &checkpoint {
        // With the witnesses' cosignatures, as /log/checkpoint serves it.
        Some(c) => (c.size, senim_app::cosigning::cosigned(&state, c).await?),
        None => (0, String::new()),
    };
    let root = Checkpoint::parse(&note)
        .map(|c| STANDARD.encode(c.root))
        .unwrap_or_default();
    let start = size.saturating_sub(NEWEST);
    let mut entries: Vec<EntryRow> = state
        .store
        .log_entries(start, size - start)
        .await?
        .iter()
        .enumerate()
        .map(|(i, e)| describe(&c, start + i as u64, e))
        .collect();
    entries.reverse();
    let key = state.store.log_signer().verifier_key();
    let origin = key.split('+').next().unwrap_or_default().to_string();
    let rotations = state
        .store
        .log_rotations()
        .await?
        .into_iter()
        .map(|r| {
            let s = r.statement;
            let how = match (s.co_signed, s.reason.as_str()) {
                (false, _) => c.t("log-rotation-lost"),
                (true, "compromised") => c.t("log-rotation-compromised"),
                (true, _) => c.t("log-rotation-planned"),
            };
            RotationRow {
                index: s.index,
                date: date(&s.time),
                new_key: s.new_key.verifier_key(),
                old_key: s
                    .old_key
                    .unwrap_or_else(|| format!("{origin}+{:08x}", s.old_key_id)),
                how,
            }
        })
        .collect();
    let rollbacks = senim_app::log::rollbacks(&state)
        .await?
        .into_iter()
        .map(|r| RollbackRow {
            index: r.index,
            date: date(&r.time),
            sizes: match r.published_size {
                Some(published) => c.t.t2(
                    "log-rollback-kept",
                    "restored",
                    r.restored_size,
                    "published",
                    published,
                ),
                None => {
                    c.t.t1("log-rollback-kept-unknown", "restored", r.restored_size)
                }
            },
            reason: r.reason,
        })
        .collect();
    let witnesses = senim_app::cosigning::status(&state).await?;
    let page = Overview {
        c: &c,
        crumbs: vec![(String::new(), c.t("nav-audit-log"))],
        size,
        root,
        note,
        key,
        rotations,
        rollbacks,
        witnesses,
        entries,
    };
    Ok(c.render(&page))
}

/// `GET /audit-log/entry?index=N`: the lookup form's target.
pub async fn find(c: Ctx) -> Response {
    match c
        .param("index")
        .map(str::trim)
        .and_then(|i| i.parse::<u64>().ok())
    {
        Some(i) => c.redirect(&format!("/audit-log/entries/{i}")),
        None => c.error(ApiError::field(
            ErrorCode::Invalid,
            "index",
            "must be a whole number from 0",
        )),
    }
}

#[derive(askama::Template)]
#[template(path = "log_entry.html")]
struct EntryPage<'a> {
    c: &'a Ctx,
    crumbs: Vec<(String, String)>,
    row: EntryRow,
    entry: String,
    pretty: String,
    leaf: String,
    size: u64,
    root: String,
    note: String,
    proof: Vec<String>,
    verified: bool,
}

/// `GET /audit-log/entries/{index}`.
pub async fn entry(c: Ctx, State(state): State<AppState>, Path(index): Path<String>) -> PageResult {
    let index: u64 = index
        .parse()
        .map_err(|_| ApiError::not_found("log entry"))?;
    let (entry, checkpoint, proof) = senim_app::log::entry_with_proof(&state, index).await?;
    let parsed = Checkpoint::parse(&checkpoint.note).map_err(|_| ApiError::internal())?;
    let leaf = leaf_hash(entry.as_bytes());
    let verified = verify_inclusion(index, checkpoint.size, &leaf, &proof, &parsed.root);
    let pretty = serde_json::from_str::<serde_json::Value>(&entry)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| entry.clone());
    let page = EntryPage {
        c: &c,
        crumbs: vec![
            ("/audit-log".into(), c.t("nav-audit-log")),
            (String::new(), c.t.t1("timeline-receipt", "index", index)),
        ],
        row: describe(&c, index, &entry),
        pretty,
        entry,
        leaf: STANDARD.encode(leaf),
        size: checkpoint.size,
        root: STANDARD.encode(parsed.root),
        note: checkpoint.note,
        proof: proof.iter().map(|h| STANDARD.encode(h)).collect(),
        verified,
    };
    Ok(c.render(&page))
}
