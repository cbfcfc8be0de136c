//! Rule packs: installing a pack version, and publishing one with the
//! re-classification of every system it touches.

use sqlx::AnyConnection;

use senim_domain::classification::{ChangeReport, PackRef};
use senim_domain::Timestamp;

use super::classifications::record_reassessments;
use super::events::{append_event, sha256_hex, EventDraft, Events, Step};
use super::{Applied, Reassessment};
use crate::error::StoreError;
use crate::logged::{
    PackInstalled, PackPublished, PackReplay, PublicationReplay, SystemReclassified,
};

pub(super) async fn install_pack(
    conn: &mut AnyConnection,
    pack: PackRef,
    source: String,
    now: Timestamp,
) -> Result<Step, StoreError> {
    let inserted = insert_pack(conn, &pack, &source, now).await?;
    if !inserted {
        return Ok((Applied::Done, None));
    }
    let event = EventDraft::logged(
        "rulepack.installed",
        "rulepack",
        format!("{}/{}", pack.id, pack.version),
        &PackInstalled {
            source_sha256: sha256_hex(&source),
            pack,
        },
    )?
    .replaying_with(&PackReplay { source })?;
    Ok((Applied::Done, Some(event)))
}

/// Stores a pack version's text; false when that version is already there.
pub(super) async fn insert_pack(
    conn: &mut AnyConnection,
    pack: &PackRef,
    source: &str,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let inserted = sqlx::query(
        "INSERT INTO rulepacks (id, version, source, published_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (id, version) DO NOTHING",
    )
    .bind(pack.id.clone())
    .bind(pack.version.clone())
    .bind(source.to_string())
    .bind(now.to_rfc3339())
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

pub(super) async fn insert_publication(
    conn: &mut AnyConnection,
    pack: &PackRef,
    report: &ChangeReport,
    report_json: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO rulepack_publications (pack_id, pack_version, published_at, reclassified, changed, report) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(pack.id.clone())
    .bind(pack.version.clone())
    .bind(now.to_rfc3339())
    .bind(report.reclassified as i64)
    .bind(report.changed.len() as i64)
    .bind(report_json.to_string())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub(super) async fn publish_pack(
    conn: &mut AnyConnection,
    events: &mut Events<'_>,
    pack: PackRef,
    source: String,
    reassessments: Vec<Reassessment>,
    report: ChangeReport,
    cases: Vec<crate::cases::CaseWrite>,
) -> Result<Step, StoreError> {
    let now = events.now;
    let inserted = insert_pack(conn, &pack, &source, now).await?;
    if !inserted {
        return Err(StoreError::Conflict {
            message: format!(
                "version {} of pack {} is already published; a changed pack needs a new version number",
                pack.version, pack.id
            ),
            current: Some(pack.version.clone()),
        });
    }
    // Many rows per statement: a publication may re-classify every system in
    // the register, and one statement per row would spend its time in round
    // trips rather than in the database.
    record_reassessments(conn, &reassessments, now).await?;
    // The `risk_level` column is the truth; readers put it into the record
    // (see query.rs), so the JSON needs no rewrite here.
    // A draft's change is its organisation's own: the log shows the pack
    // and a digest of the change (see `private_draft_event`).
    let private: std::collections::HashSet<String> = if report.changed.is_empty() {
        Default::default()
    } else {
        sqlx::query_scalar("SELECT id FROM systems WHERE public = 0")
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .collect()
    };
    for change in &report.changed {
        let id = change.system_id.to_string();
        let mut draft = EventDraft::logged(
            "system.reclassified",
            "system",
            id.clone(),
            &SystemReclassified {
                pack: pack.clone(),
                change: change.clone(),
            },
        )?;
        if private.contains(&id) {
            draft = draft.shown(&serde_json::json!({ "pack": pack }))?;
        }
        append_event(conn, events, draft).await?;
    }
    for write in cases {
        if let (_, Some(draft)) = crate::cases::save_case(conn, write, now).await? {
            append_event(conn, events, draft).await?;
        }
    }
    let report_json = serde_json::to_string(&report)?;
    insert_publication(conn, &pack, &report, &report_json, now).await?;
    // The replay is serialized straight from the structs: a publication may
    // carry 100,000 re-classifications, too many to build as a JSON tree first.
    let event = EventDraft::logged(
        "rulepack.published",
        "rulepack",
        format!("{}/{}", pack.id, pack.version),
        &PackPublished {
            pack: pack.clone(),
            source_sha256: sha256_hex(&source),
            in_force: report.in_force,
            reclassified: report.reclassified,
            changed: report.changed.len(),
            report_sha256: sha256_hex(&report_json),
        },
    )?
    .replaying(serde_json::to_string(&PublicationReplay {
        source: &source,
        report: &report_json,
        reassessments: &reassessments,
    })?);
    Ok((Applied::Published(Box::new(report)), Some(event)))
}
