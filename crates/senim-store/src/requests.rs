//! Requests from the public for an organisation's account (issue 20): kept
//! until an administrator decides them, outside the log (they hold a
//! person's name and address). The administrators hear of each by a notice;
//! the person hears of the decision by a direct mail, written with it.

use sqlx::{AnyConnection, Row};

use senim_domain::case::Notice;
use senim_domain::organisation::OrganisationRequest;
use senim_domain::{AccountId, Timestamp};

use crate::cases::StoredNotice;
use crate::command::{Applied, Step};
use crate::error::StoreError;
use crate::mail::DirectMail;

/// An approval's link to choose the new account's password.
#[derive(Debug, Clone)]
pub struct FirstPassword {
    pub account: AccountId,
    pub token_hash: String,
    pub expires_at: Timestamp,
}

/// Applies [`crate::Command::RequestOrganisation`].
pub(crate) async fn request(
    conn: &mut AnyConnection,
    request: OrganisationRequest,
    notice: Notice,
    now: Timestamp,
) -> Result<Step, StoreError> {
    sqlx::query(
        "INSERT INTO organisation_requests (id, status, data, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(request.id.clone())
    .bind(request.status.clone())
    .bind(serde_json::to_string(&request)?)
    .bind(request.created_at.to_rfc3339())
    .execute(&mut *conn)
    .await?;
    let stored = vec![StoredNotice::new(notice)];
    crate::cases::write_notices(conn, &stored, None, None, "organisation.requested", now).await?;
    crate::mail::queue(conn, &stored, now).await?;
    Ok((Applied::Done, None))
}

/// Applies [`crate::Command::DecideOrganisationRequest`]: the request is
/// approved or refused (once), its person mailed, and on approval the link
/// to choose the new account's password stored.
pub(crate) async fn decide(
    conn: &mut AnyConnection,
    id: String,
    approved: bool,
    reasons: Option<String>,
    mail: DirectMail,
    first_password: Option<FirstPassword>,
    now: Timestamp,
) -> Result<Step, StoreError> {
    let mut request = load(conn, &id).await?;
    if request.status != "open" {
        return Err(StoreError::Conflict {
            message: format!("the request was already {}", request.status),
            current: None,
        });
    }
    request.status = if approved { "approved" } else { "refused" }.into();
    request.reasons = reasons;
    request.decided_at = Some(now);
    sqlx::query("UPDATE organisation_requests SET status = $1, data = $2 WHERE id = $3")
        .bind(request.status.clone())
        .bind(serde_json::to_string(&request)?)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    if let Some(first) = first_password {
        crate::command::insert_reset(
            conn,
            first.token_hash,
            &first.account.to_string(),
            first.expires_at,
            now,
        )
        .await?;
    }
    crate::mail::queue_direct(conn, &request.email, &mail, now).await?;
    Ok((Applied::Done, None))
}

async fn load(conn: &mut AnyConnection, id: &str) -> Result<OrganisationRequest, StoreError> {
    let row = sqlx::query("SELECT data FROM organisation_requests WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            what: "organisation request",
            id: id.to_string(),
        })?;
    let data: String = row.try_get("data")?;
    Ok(serde_json::from_str(&data)?)
}

impl crate::Store {
    /// The requests with `status` (all when none), newest first.
    pub async fn organisation_requests(
        &self,
        status: Option<&str>,
        limit: u32,
    ) -> Result<Vec<OrganisationRequest>, StoreError> {
        let rows =
            match status {
                Some(s) => {
                    sqlx::query(
                        "SELECT data FROM organisation_requests WHERE status = $1 \
                     ORDER BY created_at DESC, id LIMIT $2",
                    )
                    .bind(s.to_string())
                    .bind(i64::from(limit.clamp(1, 1000)))
                    .fetch_all(self.reader())
                    .await?
                }
                None => sqlx::query(
                    "SELECT data FROM organisation_requests ORDER BY created_at DESC, id LIMIT $1",
                )
                .bind(i64::from(limit.clamp(1, 1000)))
                .fetch_all(self.reader())
                .await?,
            };
        rows.iter()
            .map(|row| {
                let data: String = row.try_get("data")?;
                Ok(serde_json::from_str(&data)?)
            })
            .collect()
    }

    /// One request.
    pub async fn organisation_request(&self, id: &str) -> Result<OrganisationRequest, StoreError> {
        let mut conn = self.reader().acquire().await?;
        load(&mut conn, id).await
    }
}
