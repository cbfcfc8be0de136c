//! Rebuilding the query tables from the events (`senim admin rebuild`), and
//! the fingerprint that shows a rebuild restored them.

use serde::de::IgnoredAny;
use sqlx::{AnyConnection, Row};

use senim_domain::classification::ChangeReport;
use senim_domain::token::TokenInfo;
use senim_domain::{Account, Organisation, System, SystemVersion, Timestamp};

use super::accounts::{insert_account, note_departure, store_account};
use super::classifications::record_reassessments;
use super::events::sha256_hex;
use super::organisations::{insert_organisation, store_organisation};
use super::rulepacks::{insert_pack, insert_publication};
use super::sessions::end_sessions;
use super::systems::{insert_next_version, insert_system, store_system};
use super::tokens::{insert_token, revoke_tokens, store_revoked_token};
use crate::error::StoreError;
use crate::logged::{
    AccountChanged, AccountReplay, OrganisationChanged, PackInstalled, PackReplay,
    PublicationReplayed, ReviewerSet, SystemChanged, SystemReplay, TokenCreated, TokenRevoked,
};
use crate::query;

/// The query tables, children before parents.
const QUERY_TABLES: [&str; 30] = [
    "number_counters",
    "intake_pauses",
    "operator_requests",
    "affiliations",
    "application_parties",
    "enrolments",
    "courses",
    "allocations",
    "platform_resources",
    "applications",
    "calls",
    "programmes",
    "system_datasets",
    "notifications",
    "case_assignees",
    "cases",
    "resources",
    "datasets",
    "reviewers",
    "classifications",
    "rulepack_publications",
    "system_versions",
    "system_sectors",
    "systems",
    "sessions",
    "api_tokens",
    "account_roles",
    "accounts",
    "organisations",
    "rulepacks",
];

/// Events read at a time while rebuilding.
const REBUILD_PAGE: i64 = 500;

pub(super) async fn rebuild(conn: &mut AnyConnection) -> Result<u64, StoreError> {
    for table in QUERY_TABLES {
        sqlx::query(&format!("DELETE FROM {table}"))
            .execute(&mut *conn)
            .await?;
    }
    // Rebuilt from the log as it stands, the tables are as far as it is.
    sqlx::query(
        "UPDATE applied_log SET size = (SELECT COALESCE(MAX(size), 0) FROM log_checkpoints)",
    )
    .execute(&mut *conn)
    .await?;
    let mut after = -1i64;
    let mut count = 0u64;
    loop {
        let rows = sqlx::query(
            "SELECT idx, time, kind, payload, salt, replay, entry FROM events WHERE idx > $1 ORDER BY idx LIMIT $2",
        )
        .bind(after)
        .bind(REBUILD_PAGE)
        .fetch_all(&mut *conn)
        .await?;
        if rows.is_empty() {
            return Ok(count);
        }
        for row in &rows {
            let index: i64 = row.try_get("idx")?;
            let kind: String = row.try_get("kind")?;
            let time_text: String = row.try_get("time")?;
            let time = Timestamp::parse(&time_text)
                .map_err(|e| StoreError::Corrupt(format!("event {index}: time: {e}")))?;
            let mut payload: serde_json::Value =
                serde_json::from_str(&row.try_get::<String, _>("payload")?)?;
            let replay_text = row.try_get::<Option<String>, _>("replay")?;
            let entry: serde_json::Value =
                serde_json::from_str(&row.try_get::<String, _>("entry")?)?;
            // Only what the log committed to is applied: a payload changed
            // in the table stops the rebuild, naming the entry.
            let salt: Option<String> = row.try_get("salt")?;
            crate::log::check_entry(&entry, (&time_text, &kind), &payload, salt.as_deref())
                .map_err(|why| {
                    StoreError::Corrupt(format!(
                        "event {index} ({kind}): {why}; the log's entry {index} is the record: restore the events table from a backup, then rebuild"
                    ))
                })?;
            let committed = entry.get("replay_sha256").and_then(|d| d.as_str());
            if replay_text.as_deref().map(sha256_hex).as_deref() != committed {
                return Err(StoreError::Corrupt(format!(
                    "event {index} ({kind}): its replay data does not match its log entry"
                )));
            }
            if let Some(text) = replay_text {
                payload["replay"] = serde_json::from_str(&text)?;
            }
            replay(conn, &kind, time, payload)
                .await
                .map_err(|e| StoreError::Corrupt(format!("event {index} ({kind}): {e}")))?;
            after = index;
            count += 1;
        }
    }
}

/// An event's payload, as the type its kind is written as.
fn payload<T: serde::de::DeserializeOwned>(payload: &serde_json::Value) -> Result<T, StoreError> {
    Ok(serde_json::from_value(payload.clone())?)
}

fn field<T: serde::de::DeserializeOwned>(
    payload: &serde_json::Value,
    path: &[&str],
) -> Result<T, StoreError> {
    let mut value = payload;
    for key in path {
        value = value.get(key).ok_or_else(|| {
            StoreError::Corrupt(format!(
                "no `{}`: the event was written before rebuilds were possible",
                path.join(".")
            ))
        })?;
    }
    Ok(serde_json::from_value(value.clone())?)
}

/// Applies one event's change to the query tables, with the same writes as
/// the command that made it.
async fn replay(
    conn: &mut AnyConnection,
    kind: &str,
    time: Timestamp,
    payload: serde_json::Value,
) -> Result<(), StoreError> {
    match kind {
        "organisation.created" => {
            let org =
                Organisation::from(self::payload::<OrganisationChanged>(&payload)?.organisation);
            insert_organisation(conn, &org).await
        }
        // A withdrawal's reason changes no table.
        "organisation.updated" | "organisation.withdrawn" => {
            let org =
                Organisation::from(self::payload::<OrganisationChanged>(&payload)?.organisation);
            store_organisation(conn, &org, org.revision - 1).await
        }
        "account.created" => {
            let account = Account::from(self::payload::<AccountChanged>(&payload)?.account);
            let replay: AccountReplay = field(&payload, &["replay"])?;
            insert_account(conn, &account, replay.password_hash).await
        }
        "account.updated" => {
            let account = Account::from(self::payload::<AccountChanged>(&payload)?.account);
            let hash = field::<AccountReplay>(&payload, &["replay"])?.password_hash;
            let changed = hash.is_some();
            note_departure(conn, &account).await?;
            store_account(conn, &account, account.revision - 1, hash).await?;
            if changed {
                end_sessions(conn, account.id).await?;
                revoke_tokens(conn, account.id, time).await?;
            }
            Ok(())
        }
        "account.withdrawn" => {
            let account = Account::from(self::payload::<AccountChanged>(&payload)?.account);
            store_account(conn, &account, account.revision - 1, None).await?;
            end_sessions(conn, account.id).await?;
            revoke_tokens(conn, account.id, time).await
        }
        "token.created" => {
            let created: TokenCreated = self::payload(&payload)?;
            insert_token(conn, &TokenInfo::from(created.token), &created.token_hash).await
        }
        "token.revoked" => {
            let revoked: TokenRevoked = self::payload(&payload)?;
            store_revoked_token(conn, &TokenInfo::from(revoked.token)).await
        }
        "system.created" | "system.version_added" => {
            let changed: SystemChanged<IgnoredAny> = self::payload(&payload)?;
            let system = System::from(changed.system);
            let version =
                SystemVersion::from(changed.version.ok_or_else(|| {
                    StoreError::Corrupt("the event carries no version".to_string())
                })?);
            let replay = field::<SystemReplay>(&payload, &["replay"])?;
            if kind == "system.created" {
                insert_system(conn, &system, &version, replay.assessment.as_ref()).await?;
            } else {
                insert_next_version(conn, &system, &version, replay.assessment.as_ref()).await?;
            }
            crate::cases::write_notices(conn, &replay.notices, None, Some(system.id), kind, time)
                .await
        }
        "system.withdrawn" => {
            let changed: SystemChanged<IgnoredAny> = self::payload(&payload)?;
            let system = System::from(changed.system);
            let version =
                query::system_version(&mut *conn, system.id, system.current_version).await?;
            store_system(conn, &system, &version, system.current_version).await?;
            crate::operators::clear_request(conn, system.id).await
        }
        "system.intake_paused" | "system.intake_resumed" => {
            crate::intake::replay(conn, time, &payload).await
        }
        "system.operator_accepted" | "system.operator_refused" => {
            crate::operators::replay(conn, kind, time, &payload).await
        }
        "system.reclassified" => Ok(()), // the publication's event carries it
        "system.review_due" => crate::cases::replay_review_due(conn, time, &payload).await,
        "dataset.created" | "dataset.updated" => crate::library::replay(conn, kind, &payload).await,
        "resource.added" => crate::library::replay_resource(conn, &payload).await,
        "resource.downloaded" => Ok(()), // changes no table
        "log.key_rotated" => Ok(()),     // the log's own: no query table
        "log.rolled_back" => Ok(()),     // the log's own: no query table
        "programme.created" | "call.published" => {
            crate::programmes::replay(conn, kind, &payload).await
        }
        "platform_resource.created" => crate::allocations::replay(conn, &payload).await,
        "course.created" => crate::education::replay(conn, &payload).await,
        "course.reviewer_sectors_set" => {
            crate::education::replay_reviewer_sectors(conn, &payload).await
        }
        "reviewer.set" => {
            let set: ReviewerSet = self::payload(&payload)?;
            let reviewer = senim_domain::case::ReviewerProfile::from(set.reviewer);
            crate::cases::write_reviewer(conn, &reviewer).await
        }
        case if crate::cases::is_case_event(case) => {
            crate::cases::replay_case(conn, kind, time, &payload).await
        }
        "rulepack.installed" => {
            let pack = self::payload::<PackInstalled>(&payload)?.pack;
            let replay: PackReplay = field(&payload, &["replay"])?;
            insert_pack(conn, &pack, &replay.source, time)
                .await
                .map(|_| ())
        }
        "rulepack.published" => {
            // The payload's other fields are digests and counts of the replay data.
            let pack = self::payload::<PackInstalled>(&payload)?.pack;
            let replay: PublicationReplayed = field(&payload, &["replay"])?;
            let report: ChangeReport = serde_json::from_str(&replay.report)?;
            insert_pack(conn, &pack, &replay.source, time).await?;
            record_reassessments(conn, &replay.reassessments, time).await?;
            insert_publication(conn, &pack, &report, &replay.report, time).await
        }
        other => Err(StoreError::Corrupt(format!(
            "no rebuild is defined for events of kind `{other}`"
        ))),
    }
}

/// A value of any column, as text, for comparing table contents.
fn cell(row: &sqlx::any::AnyRow, i: usize) -> String {
    if let Ok(v) = row.try_get::<Option<String>, _>(i) {
        return format!("{v:?}");
    }
    if let Ok(v) = row.try_get::<Option<i64>, _>(i) {
        return format!("{v:?}");
    }
    if let Ok(v) = row.try_get::<Option<Vec<u8>>, _>(i) {
        return format!("{:?}", v.map(hex::encode));
    }
    if let Ok(v) = row.try_get::<Option<f64>, _>(i) {
        return format!("{v:?}");
    }
    "?".to_string()
}

/// What every query table holds, one digest per table (sessions left out,
/// and the history tables' own sequence numbers): equal digests, equal
/// contents, whatever order the rows were written in.
pub(crate) async fn fingerprint<'c, E>(
    executor: E,
    without: &[(&str, &str)],
) -> Result<Vec<(String, u64, String)>, StoreError>
where
    E: sqlx::Executor<'c, Database = sqlx::Any> + Copy,
{
    use sqlx::Column;
    let mut out = Vec::new();
    // Sessions end and number counters fill again on use: neither is the
    // register's content.
    for table in QUERY_TABLES
        .iter()
        .filter(|t| !matches!(**t, "sessions" | "number_counters"))
    {
        let rows = sqlx::query(&format!("SELECT * FROM {table}"))
            .fetch_all(executor)
            .await?;
        let mut lines: Vec<String> = rows
            .iter()
            .map(|row| {
                row.columns()
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| c.name() != "seq" && !without.contains(&(*table, c.name())))
                    .map(|(i, c)| format!("{}={}", c.name(), cell(row, i)))
                    .collect::<Vec<_>>()
                    .join("|")
            })
            .collect();
        lines.sort();
        use sha2::Digest;
        let digest = sha2::Sha256::digest(lines.join("\n").as_bytes());
        out.push((table.to_string(), lines.len() as u64, hex::encode(digest)));
    }
    Ok(out)
}
