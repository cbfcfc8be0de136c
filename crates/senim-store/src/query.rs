//! Reads: records by id, filtered lists with cursor pagination and a total.
//!
//! Lists page by id (time-ordered UUID v7): the cursor is the last id seen,
//! so a page never repeats or skips a record when others are added.

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AnyPool, Row};

use senim_domain::profile::Sector;
use senim_domain::{
    Account, AccountId, AccountStatus, Organisation, OrganisationId, OrganisationStatus, RiskLevel,
    Role, System, SystemId, SystemStatus, SystemVersion, Timestamp, TokenId,
};

use crate::error::StoreError;
use crate::rows::{data, like_pattern, Sql};
use crate::Store;
use senim_domain::classification::{Assessment, ChangeReport};
pub use senim_domain::token::TokenInfo;

/// A system, its current version and its current classification.
#[derive(Debug, Clone)]
pub struct SystemRecord {
    pub system: System,
    pub version: SystemVersion,
    pub assessment: Option<Assessment>,
}

/// Only the name of a system record (serde skips the rest).
#[derive(Deserialize)]
struct NameOnly {
    name: senim_domain::LocalizedText,
}

/// What re-classifying one system needs.
#[derive(Debug, Clone)]
pub struct ClassificationInput {
    pub system_id: SystemId,
    /// The current name (English, else the first language given), for change reports.
    pub name: String,
    pub version: i64,
    pub profile: senim_domain::Profile,
    pub documented: Vec<senim_domain::system::DocumentationItem>,
    pub outcome: Option<senim_domain::classification::Outcome>,
}

/// One page of a list.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// The id to pass as `after` for the next page, if there is one.
    pub next_after: Option<String>,
    /// How many records match the filters, over all pages.
    pub total: i64,
}

#[derive(Debug, Clone, Default)]
pub struct SystemFilter {
    pub sector: Option<Sector>,
    pub risk_level: Option<RiskLevel>,
    pub status: Option<SystemStatus>,
    /// Owner or holder.
    pub organisation: Option<OrganisationId>,
    pub text: Option<String>,
    pub after: Option<String>,
    pub limit: u32,
    /// Which drafts that are still their organisation's own (see
    /// [`System::is_public`]) the list includes.
    pub drafts: Drafts,
}

/// Which private drafts a list of systems includes besides the public
/// systems: none (the public's view, and the default), those of one
/// organisation (its members' view: owner or named operator), or all (the
/// authority's view, and the server's own reads).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Drafts {
    #[default]
    Hidden,
    Of(OrganisationId),
    All,
}

impl Drafts {
    /// Whether a list in this scope includes `system`.
    pub fn include(self, system: &System) -> bool {
        system.is_public()
            || match self {
                Drafts::Hidden => false,
                Drafts::Of(org) => {
                    system.owner_organisation_id == org
                        || system.holder_organisation_id == Some(org)
                }
                Drafts::All => true,
            }
    }
}

#[derive(Debug, Clone, Default)]
pub struct OrganisationFilter {
    pub status: Option<OrganisationStatus>,
    pub text: Option<String>,
    pub after: Option<String>,
    pub limit: u32,
}

#[derive(Debug, Clone, Default)]
pub struct AccountFilter {
    pub role: Option<Role>,
    pub organisation: Option<OrganisationId>,
    pub status: Option<AccountStatus>,
    pub text: Option<String>,
    pub after: Option<String>,
    pub limit: u32,
}

/// The account behind a valid token.
#[derive(Debug, Clone)]
pub struct AuthenticatedToken {
    pub account: Account,
    pub token: TokenInfo,
}

/// The account behind a valid session cookie.
#[derive(Debug, Clone)]
pub struct AuthenticatedSession {
    pub account: Account,
    pub csrf_token: String,
}

/// One event as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EventRecord {
    pub seq: i64,
    pub id: String,
    pub time: String,
    pub kind: String,
    pub subject_type: String,
    pub subject_id: String,
    pub actor: serde_json::Value,
    pub payload: serde_json::Value,
}

/// One event on a public timeline.
#[derive(Debug, Clone)]
pub struct TimelineEvent {
    pub seq: i64,
    /// Its position in the public log; `None` until sequenced.
    pub index: Option<u64>,
    pub time: String,
    pub kind: String,
    pub subject_type: String,
    pub subject_id: String,
}

async fn fetch_page<T: crate::record::Recorded>(
    pool: &AnyPool,
    table: &str,
    filters: Sql,
    after: &Option<String>,
    limit: u32,
) -> Result<Page<T>, StoreError> {
    fetch_page_with(pool, table, "", filters, after, limit, |_, _| Ok(())).await
}

/// [`fetch_page`] reading `extra` columns too, which `patch` puts into each record.
pub(crate) async fn fetch_page_with<T: crate::record::Recorded>(
    pool: &AnyPool,
    table: &str,
    extra: &str,
    filters: Sql,
    after: &Option<String>,
    limit: u32,
    patch: impl Fn(&sqlx::any::AnyRow, &mut T) -> Result<(), StoreError>,
) -> Result<Page<T>, StoreError> {
    let limit = limit.clamp(1, 1000);
    // Total first: the filters without the cursor.
    let mut count = Sql::new(&format!("SELECT COUNT(*) AS n FROM {table} WHERE 1=1"));
    count.push(&filters.text);
    count.binds.extend(filters.binds.iter().cloned());
    let total: i64 = count.query().fetch_one(pool).await?.try_get("n")?;

    let mut select = Sql::new(&format!("SELECT id, data{extra} FROM {table} WHERE 1=1"));
    select.push(&filters.text);
    select.binds.extend(filters.binds.iter().cloned());
    if let Some(after) = after {
        select.push(" AND id > ").bind(after.clone());
    }
    select.push(&format!(" ORDER BY id LIMIT {}", limit + 1));
    let rows = select.query().fetch_all(pool).await?;
    let mut items = Vec::with_capacity(rows.len());
    let mut last_id = None;
    for row in rows.iter().take(limit as usize) {
        let mut item = data(row)?;
        patch(row, &mut item)?;
        items.push(item);
        last_id = Some(row.try_get::<String, _>("id")?);
    }
    let next_after = if rows.len() > limit as usize {
        last_id
    } else {
        None
    };
    Ok(Page {
        items,
        next_after,
        total,
    })
}

fn text_filter(sql: &mut Sql, text: &Option<String>) {
    if let Some(t) = text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        sql.push(" AND search_text LIKE ")
            .bind(like_pattern(t))
            .push(" ESCAPE '\\'");
    }
}

pub(crate) async fn count_organisations(pool: &AnyPool) -> Result<i64, StoreError> {
    Ok(sqlx::query("SELECT COUNT(*) AS n FROM organisations")
        .fetch_one(pool)
        .await?
        .try_get("n")?)
}

/// The one row `sql` selects for `key`, or `NotFound` naming `what`.
async fn row_for(
    conn: &mut AnyConnection,
    sql: &str,
    key: String,
    what: &'static str,
) -> Result<AnyRow, StoreError> {
    sqlx::query(sql)
        .bind(key.clone())
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound { what, id: key })
}

pub(crate) async fn organisation(
    conn: &mut AnyConnection,
    id: OrganisationId,
) -> Result<Organisation, StoreError> {
    let sql = "SELECT data FROM organisations WHERE id = $1";
    data(&row_for(conn, sql, id.to_string(), "organisation").await?)
}

pub(crate) async fn account(
    conn: &mut AnyConnection,
    id: AccountId,
) -> Result<Account, StoreError> {
    let sql = "SELECT data FROM accounts WHERE id = $1";
    data(&row_for(conn, sql, id.to_string(), "account").await?)
}

/// Puts the `risk_level` column (the truth after re-classification) into a
/// system record read from `data`.
fn patch_risk(row: &AnyRow, system: &mut System) -> Result<(), StoreError> {
    let risk: Option<String> = row.try_get("risk_level")?;
    system.risk_level = risk.and_then(|r| r.parse().ok());
    Ok(())
}

/// Puts the `revoked_at` column into a token record: bulk revocations (a
/// withdrawn account, a new password) set the column only.
fn patch_revoked(row: &AnyRow, token: &mut TokenInfo) -> Result<(), StoreError> {
    if token.revoked_at.is_none() {
        let revoked: Option<String> = row.try_get("revoked_at")?;
        token.revoked_at = revoked.and_then(|r| Timestamp::parse(&r).ok());
    }
    Ok(())
}

pub(crate) async fn system(conn: &mut AnyConnection, id: SystemId) -> Result<System, StoreError> {
    let sql = "SELECT data, risk_level FROM systems WHERE id = $1";
    let row = row_for(conn, sql, id.to_string(), "system").await?;
    let mut system = data(&row)?;
    patch_risk(&row, &mut system)?;
    Ok(system)
}

pub(crate) async fn system_version(
    conn: &mut AnyConnection,
    id: SystemId,
    version: i64,
) -> Result<SystemVersion, StoreError> {
    let row = sqlx::query("SELECT data FROM system_versions WHERE system_id = $1 AND version = $2")
        .bind(id.to_string())
        .bind(version)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            what: "system version",
            id: format!("{id}/{version}"),
        })?;
    data(&row)
}

pub(crate) async fn token(conn: &mut AnyConnection, id: TokenId) -> Result<TokenInfo, StoreError> {
    let sql = "SELECT data, revoked_at FROM api_tokens WHERE id = $1";
    let row = row_for(conn, sql, id.to_string(), "token").await?;
    let mut token = data(&row)?;
    patch_revoked(&row, &mut token)?;
    Ok(token)
}

impl Store {
    async fn conn(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>, StoreError> {
        Ok(self.reader().acquire().await?)
    }

    pub async fn organisation(&self, id: OrganisationId) -> Result<Organisation, StoreError> {
        organisation(&mut *self.conn().await?, id).await
    }

    /// The organisations with these ids (those that exist), by id.
    pub async fn organisations_by_id(
        &self,
        ids: &[OrganisationId],
    ) -> Result<std::collections::HashMap<OrganisationId, Organisation>, StoreError> {
        if ids.is_empty() {
            return Ok(Default::default());
        }
        let mut sql = Sql::new("SELECT data FROM organisations WHERE id IN ");
        sql.push_list(ids.iter().map(ToString::to_string));
        let rows = sql.query().fetch_all(self.reader()).await?;
        rows.iter()
            .map(|r| data::<Organisation>(r).map(|o| (o.id, o)))
            .collect()
    }

    pub async fn organisation_by_bin(&self, bin: &str) -> Result<Organisation, StoreError> {
        let sql = "SELECT data FROM organisations WHERE bin = $1";
        data(
            &row_for(
                &mut *self.conn().await?,
                sql,
                bin.to_string(),
                "organisation with BIN",
            )
            .await?,
        )
    }

    pub async fn organisations(
        &self,
        filter: &OrganisationFilter,
    ) -> Result<Page<Organisation>, StoreError> {
        let mut sql = Sql::default();
        if let Some(status) = filter.status {
            sql.push(" AND status = ").bind(status.as_str());
        }
        text_filter(&mut sql, &filter.text);
        fetch_page(
            self.reader(),
            "organisations",
            sql,
            &filter.after,
            filter.limit,
        )
        .await
    }

    pub async fn account(&self, id: AccountId) -> Result<Account, StoreError> {
        account(&mut *self.conn().await?, id).await
    }

    pub async fn account_by_email(
        &self,
        email: &str,
    ) -> Result<Option<(Account, Option<String>)>, StoreError> {
        let row = sqlx::query("SELECT data, password_hash FROM accounts WHERE email = $1")
            .bind(email.trim().to_lowercase())
            .fetch_optional(self.reader())
            .await?;
        match row {
            None => Ok(None),
            Some(row) => {
                let hash: Option<String> = row.try_get("password_hash")?;
                Ok(Some((data(&row)?, hash)))
            }
        }
    }

    pub async fn accounts(&self, filter: &AccountFilter) -> Result<Page<Account>, StoreError> {
        let mut sql = Sql::default();
        if let Some(role) = filter.role {
            sql.push(" AND id IN (SELECT account_id FROM account_roles WHERE role = ")
                .bind(role.as_str())
                .push(")");
        }
        if let Some(org) = filter.organisation {
            sql.push(" AND organisation_id = ").bind(org.to_string());
        }
        if let Some(status) = filter.status {
            sql.push(" AND status = ").bind(status.as_str());
        }
        if let Some(t) = filter
            .text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            sql.push(" AND LOWER(data) LIKE ")
                .bind(like_pattern(t))
                .push(" ESCAPE '\\'");
        }
        fetch_page(self.reader(), "accounts", sql, &filter.after, filter.limit).await
    }

    pub async fn system(&self, id: SystemId) -> Result<System, StoreError> {
        system(&mut *self.conn().await?, id).await
    }

    /// A system with its current version, in one round trip of the pool.
    pub async fn system_with_current(&self, id: SystemId) -> Result<SystemRecord, StoreError> {
        let cache = self.inner.cache.as_deref();
        if let Some(hit) = cache.and_then(|c| c.get(id)) {
            return Ok(hit);
        }
        let generation = cache.map(|c| c.generation()).unwrap_or_default();
        // One query for both: the system row and its current version.
        let row = sqlx::query(
            "SELECT s.data AS system, v.data AS version, s.risk_level, c.outcome, c.gaps FROM systems s \
             JOIN system_versions v ON v.system_id = s.id AND v.version = s.current_version \
             LEFT JOIN classifications c ON c.seq = \
                 (SELECT MAX(seq) FROM classifications WHERE system_id = s.id) \
             WHERE s.id = $1",
        )
        .bind(id.to_string())
        .fetch_optional(self.reader())
        .await?
        .ok_or_else(|| StoreError::NotFound {
            what: "system",
            id: id.to_string(),
        })?;
        let sys: String = row.try_get("system")?;
        let version: String = row.try_get("version")?;
        let mut system: System = serde_json::from_str(&sys)?;
        patch_risk(&row, &mut system)?;
        let version: SystemVersion = serde_json::from_str(&version)?;
        let outcome: Option<String> = row.try_get("outcome")?;
        let gaps: Option<String> = row.try_get("gaps")?;
        let assessment = match (outcome, gaps) {
            (Some(o), Some(g)) => Some(Assessment {
                outcome: serde_json::from_str(&o)?,
                gaps: serde_json::from_str(&g)?,
            }),
            _ => None,
        };
        let record = SystemRecord {
            system,
            version,
            assessment,
        };
        if let Some(cache) = cache {
            cache.insert(generation, &record);
        }
        Ok(record)
    }

    /// Every published pack version, oldest first: (id, version, source).
    pub async fn rulepacks(&self) -> Result<Vec<(String, String, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, version, source FROM rulepacks ORDER BY published_at, id, version",
        )
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("id")?,
                    r.try_get("version")?,
                    r.try_get("source")?,
                ))
            })
            .collect()
    }

    /// What re-classification needs of every system that is not withdrawn:
    /// id, current version, name, profile, the documentation items it fills,
    /// and its current outcome.
    pub async fn classification_inputs(&self) -> Result<Vec<ClassificationInput>, StoreError> {
        let rows = sqlx::query(
            "SELECT s.id, s.current_version, s.profile, s.documented, s.data, c.outcome FROM systems s \
             LEFT JOIN classifications c ON c.seq = \
                 (SELECT MAX(seq) FROM classifications WHERE system_id = s.id) \
             WHERE s.status <> 'withdrawn' ORDER BY s.id",
        )
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                let profile: String = r.try_get("profile")?;
                let documented: String = r.try_get("documented")?;
                let outcome: Option<String> = r.try_get("outcome")?;
                let data: String = r.try_get("data")?;
                let named: NameOnly = serde_json::from_str(&data)?;
                Ok(ClassificationInput {
                    name: named.name.get("en").to_string(),
                    system_id: r
                        .try_get::<String, _>("id")?
                        .parse()
                        .map_err(StoreError::Corrupt)?,
                    version: r.try_get("current_version")?,
                    profile: serde_json::from_str(&profile)?,
                    documented: documented
                        .split(',')
                        .filter_map(|i| i.parse().ok())
                        .collect(),
                    outcome: outcome.map(|o| serde_json::from_str(&o)).transpose()?,
                })
            })
            .collect()
    }

    /// A system's classification history, oldest first.
    pub async fn classification_history(
        &self,
        id: SystemId,
    ) -> Result<Vec<(i64, Assessment, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT version, outcome, gaps, created_at FROM classifications WHERE system_id = $1 ORDER BY seq",
        )
        .bind(id.to_string())
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                let outcome: String = r.try_get("outcome")?;
                let gaps: String = r.try_get("gaps")?;
                Ok((
                    r.try_get("version")?,
                    Assessment {
                        outcome: serde_json::from_str(&outcome)?,
                        gaps: serde_json::from_str(&gaps)?,
                    },
                    r.try_get("created_at")?,
                ))
            })
            .collect()
    }

    /// The change reports of every publication of a pack, newest first.
    pub async fn publications(&self, pack_id: &str) -> Result<Vec<ChangeReport>, StoreError> {
        let rows = sqlx::query(
            "SELECT report FROM rulepack_publications WHERE pack_id = $1 ORDER BY seq DESC",
        )
        .bind(pack_id.to_string())
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                let text: String = r.try_get("report")?;
                Ok(serde_json::from_str(&text)?)
            })
            .collect()
    }

    pub async fn system_version(
        &self,
        id: SystemId,
        version: i64,
    ) -> Result<SystemVersion, StoreError> {
        system_version(&mut *self.conn().await?, id, version).await
    }

    /// Every version of a system, oldest first.
    pub async fn system_versions(&self, id: SystemId) -> Result<Vec<SystemVersion>, StoreError> {
        let mut conn = self.conn().await?;
        system(&mut conn, id).await?;
        let rows =
            sqlx::query("SELECT data FROM system_versions WHERE system_id = $1 ORDER BY version")
                .bind(id.to_string())
                .fetch_all(&mut *conn)
                .await?;
        rows.iter().map(data).collect()
    }

    pub async fn systems(&self, filter: &SystemFilter) -> Result<Page<System>, StoreError> {
        let mut sql = Sql::default();
        if let Some(sector) = filter.sector {
            sql.push(" AND id IN (SELECT system_id FROM system_sectors WHERE sector = ")
                .bind(sector.as_str())
                .push(")");
        }
        if let Some(risk) = filter.risk_level {
            sql.push(" AND risk_level = ").bind(risk.as_str());
        }
        if let Some(status) = filter.status {
            sql.push(" AND status = ").bind(status.as_str());
        }
        if let Some(org) = filter.organisation {
            let org = org.to_string();
            sql.push(" AND (owner_organisation_id = ")
                .bind(org.clone())
                .push(" OR holder_organisation_id = ")
                .bind(org)
                .push(")");
        }
        match filter.drafts {
            Drafts::Hidden => {
                sql.push(" AND public = 1");
            }
            Drafts::Of(org) => {
                let org = org.to_string();
                sql.push(" AND (public = 1 OR owner_organisation_id = ")
                    .bind(org.clone())
                    .push(" OR holder_organisation_id = ")
                    .bind(org)
                    .push(")");
            }
            Drafts::All => {}
        }
        text_filter(&mut sql, &filter.text);
        fetch_page_with(
            self.reader(),
            "systems",
            ", risk_level",
            sql,
            &filter.after,
            filter.limit,
            patch_risk,
        )
        .await
    }

    /// Every system's search text ([`crate::system_search`]), for the
    /// server's in-memory register.
    pub async fn system_search_texts(&self) -> Result<Vec<(SystemId, String)>, StoreError> {
        let rows = sqlx::query("SELECT id, search_text FROM systems")
            .fetch_all(self.reader())
            .await?;
        rows.iter()
            .map(|row| {
                let id: String = row.try_get("id")?;
                let id = id
                    .parse()
                    .map_err(|_| StoreError::Corrupt(format!("system id {id}")))?;
                Ok((id, row.try_get("search_text")?))
            })
            .collect()
    }

    pub async fn token(&self, id: TokenId) -> Result<TokenInfo, StoreError> {
        token(&mut *self.conn().await?, id).await
    }

    pub async fn tokens_of(&self, account: AccountId) -> Result<Vec<TokenInfo>, StoreError> {
        let rows = sqlx::query(
            "SELECT data, revoked_at FROM api_tokens WHERE account_id = $1 ORDER BY id",
        )
        .bind(account.to_string())
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|row| {
                let mut token: TokenInfo = data(row)?;
                patch_revoked(row, &mut token)?;
                Ok(token)
            })
            .collect()
    }

    /// The active account behind a token hash, if the token is valid now.
    pub async fn authenticate_token(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<AuthenticatedToken>, StoreError> {
        // The token by its unique hash, then its account by id: two index
        // lookups whatever the planner knows of the tables (a join let
        // PostgreSQL hash every token when its statistics were stale).
        let row = sqlx::query(
            "SELECT t.data AS token, \
             (SELECT a.data FROM accounts a WHERE a.id = t.account_id AND a.status = 'active') AS account \
             FROM api_tokens t \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > $2",
        )
        .bind(token_hash.to_string())
        .bind(now.to_rfc3339())
        .fetch_optional(self.reader())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let token: String = row.try_get("token")?;
        let Some(account) = row.try_get::<Option<String>, _>("account")? else {
            return Ok(None);
        };
        Ok(Some(AuthenticatedToken {
            account: serde_json::from_str(&account)?,
            token: serde_json::from_str(&token)?,
        }))
    }

    /// The active account behind a session hash, if the session is valid now.
    pub async fn authenticate_session(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<AuthenticatedSession>, StoreError> {
        let row = sqlx::query(
            "SELECT s.csrf_token, \
             (SELECT a.data FROM accounts a WHERE a.id = s.account_id AND a.status = 'active') AS account \
             FROM sessions s WHERE s.token_hash = $1 AND s.expires_at > $2",
        )
        .bind(token_hash.to_string())
        .bind(now.to_rfc3339())
        .fetch_optional(self.reader())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let Some(account) = row.try_get::<Option<String>, _>("account")? else {
            return Ok(None);
        };
        Ok(Some(AuthenticatedSession {
            account: serde_json::from_str(&account)?,
            csrf_token: row.try_get("csrf_token")?,
        }))
    }

    /// Events about one subject, in order.
    pub async fn events_of(
        &self,
        subject_type: &str,
        subject_id: &str,
    ) -> Result<Vec<EventRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, id, time, kind, subject_type, subject_id, actor, payload FROM events \
             WHERE subject_type = $1 AND subject_id = $2 ORDER BY seq",
        )
        .bind(subject_type.to_string())
        .bind(subject_id.to_string())
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(event_record).collect()
    }

    /// The number of events so far.
    /// The events of several subjects, oldest first, each with its
    /// position in the public log once sequenced: what a public timeline
    /// shows, without the payloads.
    pub async fn timeline(
        &self,
        subjects: &[(&str, String)],
    ) -> Result<Vec<TimelineEvent>, StoreError> {
        let mut out = Vec::new();
        for (subject_type, subject_id) in subjects {
            let rows = sqlx::query(
                "SELECT seq, idx, time, kind FROM events \
                 WHERE subject_type = $1 AND subject_id = $2 ORDER BY seq",
            )
            .bind(subject_type.to_string())
            .bind(subject_id.clone())
            .fetch_all(self.reader())
            .await?;
            for row in &rows {
                out.push(TimelineEvent {
                    seq: row.try_get("seq")?,
                    index: row.try_get::<Option<i64>, _>("idx")?.map(|i| i as u64),
                    time: row.try_get("time")?,
                    kind: row.try_get("kind")?,
                    subject_type: subject_type.to_string(),
                    subject_id: subject_id.clone(),
                });
            }
        }
        out.sort_by_key(|e| e.seq);
        Ok(out)
    }

    pub async fn event_count(&self) -> Result<i64, StoreError> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM events")
            .fetch_one(self.reader())
            .await?
            .try_get("n")?)
    }
}

fn event_record(row: &sqlx::any::AnyRow) -> Result<EventRecord, StoreError> {
    let actor: String = row.try_get("actor")?;
    let payload: String = row.try_get("payload")?;
    Ok(EventRecord {
        seq: row.try_get("seq")?,
        id: row.try_get("id")?,
        time: row.try_get("time")?,
        kind: row.try_get("kind")?,
        subject_type: row.try_get("subject_type")?,
        subject_id: row.try_get("subject_id")?,
        actor: serde_json::from_str(&actor)?,
        payload: serde_json::from_str(&payload)?,
    })
}
