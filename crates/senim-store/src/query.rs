//! Reads: records by id, filtered lists with cursor pagination and a total.
//!
//! Lists page by id (time-ordered UUID v7): the cursor is the last id seen,
//! so a page never repeats or skips a record when others are added.

use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, AnyPool, Row};

use senim_domain::profile::Sector;
use senim_domain::{
    Account, AccountId, AccountStatus, Organisation, OrganisationId, OrganisationStatus, RiskLevel,
    Role, System, SystemId, SystemStatus, SystemVersion, Timestamp, TokenId,
};

use crate::error::StoreError;
use crate::rows::{data, like_pattern, Sql};
use crate::Store;
pub use senim_domain::token::TokenInfo;

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

async fn fetch_page<T: serde::de::DeserializeOwned>(
    pool: &AnyPool,
    table: &str,
    filters: Sql,
    after: &Option<String>,
    limit: u32,
) -> Result<Page<T>, StoreError> {
    let limit = limit.clamp(1, 1000);
    // Total first: the filters without the cursor.
    let mut count = Sql::new(&format!("SELECT COUNT(*) AS n FROM {table} WHERE 1=1"));
    count.push(&filters.text);
    count.binds.extend(filters.binds.iter().cloned());
    let total: i64 = count.query().fetch_one(pool).await?.try_get("n")?;

    let mut select = Sql::new(&format!("SELECT id, data FROM {table} WHERE 1=1"));
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
        items.push(data(row)?);
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

pub(crate) async fn organisation(
    conn: &mut AnyConnection,
    id: OrganisationId,
) -> Result<Organisation, StoreError> {
    let row = sqlx::query("SELECT data FROM organisations WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            what: "organisation",
            id: id.to_string(),
        })?;
    data(&row)
}

pub(crate) async fn account(
    conn: &mut AnyConnection,
    id: AccountId,
) -> Result<Account, StoreError> {
    let row = sqlx::query("SELECT data FROM accounts WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            what: "account",
            id: id.to_string(),
        })?;
    data(&row)
}

pub(crate) async fn system(conn: &mut AnyConnection, id: SystemId) -> Result<System, StoreError> {
    let row = sqlx::query("SELECT data FROM systems WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            what: "system",
            id: id.to_string(),
        })?;
    data(&row)
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
    let row = sqlx::query("SELECT data FROM api_tokens WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            what: "token",
            id: id.to_string(),
        })?;
    data(&row)
}

impl Store {
    async fn conn(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>, StoreError> {
        Ok(self.reader().acquire().await?)
    }

    pub async fn organisation(&self, id: OrganisationId) -> Result<Organisation, StoreError> {
        organisation(&mut *self.conn().await?, id).await
    }

    pub async fn organisation_by_bin(&self, bin: &str) -> Result<Organisation, StoreError> {
        let row = sqlx::query("SELECT data FROM organisations WHERE bin = $1")
            .bind(bin.to_string())
            .fetch_optional(self.reader())
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: "organisation with BIN",
                id: bin.to_string(),
            })?;
        data(&row)
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
    pub async fn system_with_current(
        &self,
        id: SystemId,
    ) -> Result<(System, SystemVersion), StoreError> {
        let cache = self.inner.cache.as_deref();
        if let Some(hit) = cache.and_then(|c| c.get(id)) {
            return Ok(hit);
        }
        let generation = cache.map(|c| c.generation()).unwrap_or_default();
        // One query for both: the system row and its current version.
        let row = sqlx::query(
            "SELECT s.data AS system, v.data AS version FROM systems s \
             JOIN system_versions v ON v.system_id = s.id AND v.version = s.current_version \
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
        let sys: System = serde_json::from_str(&sys)?;
        let version: SystemVersion = serde_json::from_str(&version)?;
        if let Some(cache) = cache {
            cache.insert(generation, &sys, &version);
        }
        Ok((sys, version))
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
        text_filter(&mut sql, &filter.text);
        fetch_page(self.reader(), "systems", sql, &filter.after, filter.limit).await
    }

    pub async fn token(&self, id: TokenId) -> Result<TokenInfo, StoreError> {
        token(&mut *self.conn().await?, id).await
    }

    pub async fn tokens_of(&self, account: AccountId) -> Result<Vec<TokenInfo>, StoreError> {
        let rows = sqlx::query("SELECT data FROM api_tokens WHERE account_id = $1 ORDER BY id")
            .bind(account.to_string())
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(data).collect()
    }

    /// The active account behind a token hash, if the token is valid now.
    pub async fn authenticate_token(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<AuthenticatedToken>, StoreError> {
        let row = sqlx::query(
            "SELECT t.data AS token, a.data AS account FROM api_tokens t \
             JOIN accounts a ON a.id = t.account_id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > $2 AND a.status = 'active'",
        )
        .bind(token_hash.to_string())
        .bind(now.to_rfc3339())
        .fetch_optional(self.reader())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let token: String = row.try_get("token")?;
        let account: String = row.try_get("account")?;
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
            "SELECT s.csrf_token, a.data AS account FROM sessions s \
             JOIN accounts a ON a.id = s.account_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND a.status = 'active'",
        )
        .bind(token_hash.to_string())
        .bind(now.to_rfc3339())
        .fetch_optional(self.reader())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let account: String = row.try_get("account")?;
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
