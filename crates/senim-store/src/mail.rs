//! The mail outbox (issue 19): every notice written by a change (not by a
//! rebuild) leaves one row per address of its recipients in `mail_outbox`,
//! in the change's own transaction, so a crash can lose no mail that a
//! committed notice owes. The server's mail worker (`senim-app`'s `mail`)
//! claims due rows, sends them and reports back; the back-off between
//! attempts is the worker's to choose.
//!
//! Claims are leases, so that several servers sharing a database never send
//! one row twice while a worker lives, and a row a dead worker held comes
//! due again when its lease ends.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, Row};

use senim_domain::case::Recipient;
use senim_domain::Timestamp;

use crate::cases::StoredNotice;
use crate::command::{Applied, Step};
use crate::error::StoreError;

/// A mail that answers a person rather than carries a notice: a report's
/// tracking code to the address its reporter gave, a link to choose a
/// password. Written in the same transaction as what it answers; it may
/// carry a secret, so it is kept only until sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectMail {
    /// The message's id in the catalogues (`mail-...`).
    pub key: String,
    pub args: BTreeMap<String, String>,
    /// The page its link opens (`/report/status`, `/password/reset?...`).
    pub path: String,
    /// What it is about, for the subject.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

/// A mail to send: its message and where it leads.
#[derive(Debug, Clone)]
pub struct OutgoingMail {
    pub id: String,
    pub address: String,
    /// The message's id in the catalogues, its arguments, and its English
    /// words (for a notice written before messages had ids).
    pub key: String,
    pub args: BTreeMap<String, String>,
    pub text: String,
    /// What it is about, for the subject: a case's number or a system's
    /// name, when the notice names one.
    pub reference: Option<String>,
    /// The page it leads to (`/desk/cases/...`, `/systems/...`, `/inbox`).
    pub path: String,
    /// A direct mail, whose link is the point of it (not a notice).
    pub direct: bool,
    /// Attempts made before this one.
    pub attempts: i64,
}

/// A mail that failed every attempt, kept for an administrator.
#[derive(Debug, Clone, Serialize)]
pub struct DeadLetter {
    pub id: String,
    pub address: String,
    /// The kind of change that wrote the notice (`registration.submitted`, ...).
    pub kind: String,
    pub text: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at: Timestamp,
    pub dead_at: Timestamp,
}

/// What the worker reports of one mail.
#[derive(Debug, Clone)]
pub enum MailOutcome {
    Sent,
    /// Failed; try again at that time.
    Retry {
        error: String,
        at: Timestamp,
    },
    /// Failed for the last time: a dead letter.
    Dead {
        error: String,
    },
}

/// The addresses of the active accounts a notice reaches.
async fn addresses(
    conn: &mut AnyConnection,
    recipient: &Recipient,
) -> Result<Vec<String>, StoreError> {
    let (sql, value) = match recipient {
        Recipient::Account(id) => (
            "SELECT email FROM accounts WHERE id = $1 AND status = 'active'",
            id.to_string(),
        ),
        Recipient::Organisation(id) => (
            "SELECT email FROM accounts WHERE organisation_id = $1 AND status = 'active' ORDER BY email",
            id.to_string(),
        ),
        Recipient::Role(role) => (
            "SELECT a.email FROM accounts a JOIN account_roles r ON r.account_id = a.id \
             WHERE r.role = $1 AND a.status = 'active' ORDER BY a.email",
            role.as_str().to_string(),
        ),
    };
    let rows = sqlx::query(sql).bind(value).fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|r| r.try_get::<String, _>(0).map_err(StoreError::from))
        .collect()
}

/// Queues the mail a change's notices owe (called by the writes, never by
/// a replay).
pub(crate) async fn queue(
    conn: &mut AnyConnection,
    notices: &[StoredNotice],
    now: Timestamp,
) -> Result<(), StoreError> {
    for n in notices {
        for address in addresses(conn, &n.notice.recipient).await? {
            sqlx::query(
                "INSERT INTO mail_outbox (id, notification_id, address, attempts, next_attempt_at, created_at) \
                 VALUES ($1, $2, $3, 0, $4, $4)",
            )
            .bind(uuid::Uuid::now_v7().to_string())
            .bind(n.id.clone())
            .bind(address)
            .bind(now.to_rfc3339())
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

/// Leaves a direct mail to `address` in the outbox, due now.
pub(crate) async fn queue_direct(
    conn: &mut AnyConnection,
    address: &str,
    mail: &DirectMail,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO mail_outbox (id, notification_id, address, attempts, next_attempt_at, created_at, message) \
         VALUES ($1, '', $2, 0, $3, $3, $4)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(address.to_string())
    .bind(now.to_rfc3339())
    .bind(serde_json::to_string(mail)?)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Applies [`crate::Command::ClaimMail`]: up to `limit` due mails, each
/// leased to the caller for `lease_seconds`.
pub(crate) async fn claim(
    conn: &mut AnyConnection,
    limit: u32,
    lease_seconds: i64,
    now: Timestamp,
) -> Result<Step, StoreError> {
    let at = now.to_rfc3339();
    let rows = sqlx::query(
        "SELECT o.id, o.address, o.attempts, o.message AS direct, n.recipient, n.text, n.message, \
                n.case_id, n.system_id, c.number, s.data AS system \
         FROM mail_outbox o \
         LEFT JOIN notifications n ON n.id = o.notification_id \
         LEFT JOIN cases c ON c.id = n.case_id \
         LEFT JOIN systems s ON s.id = n.system_id \
         WHERE o.dead_at IS NULL AND o.next_attempt_at <= $1 \
           AND (o.lease_until IS NULL OR o.lease_until <= $1) \
         ORDER BY o.next_attempt_at, o.id LIMIT $2",
    )
    .bind(at.clone())
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await?;
    let until = now.plus_seconds(lease_seconds).to_rfc3339();
    let mut mails = Vec::new();
    for row in &rows {
        let id: String = row.try_get("id")?;
        let direct: Option<String> = row.try_get("direct")?;
        if let Some(direct) = direct {
            let mail: DirectMail = serde_json::from_str(&direct)?;
            lease(conn, &id, &until).await?;
            mails.push(OutgoingMail {
                id,
                address: row.try_get("address")?,
                key: mail.key,
                args: mail.args,
                text: String::new(),
                reference: mail.reference,
                path: mail.path,
                direct: true,
                attempts: row.try_get("attempts")?,
            });
            continue;
        }
        let recipient: Option<String> = row.try_get("recipient")?;
        if recipient.as_deref().and_then(Recipient::from_key).is_none() {
            // The notice is gone (a rebuild from an older log): nothing to say.
            sqlx::query("DELETE FROM mail_outbox WHERE id = $1")
                .bind(id)
                .execute(&mut *conn)
                .await?;
            continue;
        }
        lease(conn, &id, &until).await?;
        let message: Option<String> = row.try_get("message")?;
        let (key, args) = match message {
            Some(m) => {
                let v: serde_json::Value = serde_json::from_str(&m)?;
                (
                    v["key"].as_str().unwrap_or_default().to_string(),
                    serde_json::from_value(v["args"].clone()).unwrap_or_default(),
                )
            }
            None => (String::new(), Default::default()),
        };
        let case_id: Option<String> = row.try_get("case_id")?;
        let system_id: Option<String> = row.try_get("system_id")?;
        let number: Option<String> = row.try_get("number")?;
        let system: Option<String> = row.try_get("system")?;
        let system_name = system
            .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
            .and_then(|v| {
                let name = &v["name"];
                ["kk", "ru", "en"]
                    .iter()
                    .find_map(|l| name[l].as_str().map(str::to_string))
            });
        let (reference, path) = match (case_id, system_id) {
            (Some(case), _) => (number, format!("/desk/cases/{case}")),
            (None, Some(system)) => (system_name, format!("/systems/{system}")),
            (None, None) => (None, "/inbox".to_string()),
        };
        mails.push(OutgoingMail {
            id,
            address: row.try_get("address")?,
            text: row.try_get("text")?,
            key,
            args,
            reference,
            path,
            direct: false,
            attempts: row.try_get("attempts")?,
        });
    }
    Ok((Applied::Mail(mails), None))
}

/// Holds a claimed mail for its worker until `until`.
async fn lease(conn: &mut AnyConnection, id: &str, until: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE mail_outbox SET lease_until = $1 WHERE id = $2")
        .bind(until.to_string())
        .bind(id.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Applies [`crate::Command::ReportMail`].
pub(crate) async fn report(
    conn: &mut AnyConnection,
    id: String,
    outcome: MailOutcome,
    now: Timestamp,
) -> Result<Step, StoreError> {
    match outcome {
        MailOutcome::Sent => {
            sqlx::query("DELETE FROM mail_outbox WHERE id = $1")
                .bind(id)
                .execute(&mut *conn)
                .await?;
        }
        MailOutcome::Retry { error, at } => {
            sqlx::query(
                "UPDATE mail_outbox SET attempts = attempts + 1, next_attempt_at = $1, \
                 lease_until = NULL, last_error = $2 WHERE id = $3",
            )
            .bind(at.to_rfc3339())
            .bind(error)
            .bind(id)
            .execute(&mut *conn)
            .await?;
        }
        MailOutcome::Dead { error } => {
            sqlx::query(
                "UPDATE mail_outbox SET attempts = attempts + 1, dead_at = $1, \
                 lease_until = NULL, last_error = $2 WHERE id = $3",
            )
            .bind(now.to_rfc3339())
            .bind(error)
            .bind(id)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok((Applied::Done, None))
}

/// Applies [`crate::Command::RetryMail`]: dead letters (one, or all) are due
/// again, with their attempts counted afresh.
pub(crate) async fn retry(
    conn: &mut AnyConnection,
    id: Option<String>,
    now: Timestamp,
) -> Result<Step, StoreError> {
    let sql = "UPDATE mail_outbox SET dead_at = NULL, attempts = 0, next_attempt_at = $1, \
               lease_until = NULL WHERE dead_at IS NOT NULL";
    let result = match id {
        Some(id) => {
            sqlx::query(&format!("{sql} AND id = $2"))
                .bind(now.to_rfc3339())
                .bind(id)
                .execute(&mut *conn)
                .await?
        }
        None => {
            sqlx::query(sql)
                .bind(now.to_rfc3339())
                .execute(&mut *conn)
                .await?
        }
    };
    Ok((Applied::Counted(result.rows_affected()), None))
}

/// Applies [`crate::Command::DiscardMail`]: with no relay configured, the
/// outbox is emptied of what waits (the inbox stays the record).
pub(crate) async fn discard(conn: &mut AnyConnection) -> Result<Step, StoreError> {
    let result = sqlx::query("DELETE FROM mail_outbox WHERE dead_at IS NULL")
        .execute(&mut *conn)
        .await?;
    Ok((Applied::Counted(result.rows_affected()), None))
}

impl crate::Store {
    /// The dead letters, newest first.
    pub async fn dead_letters(&self, limit: u32) -> Result<Vec<DeadLetter>, StoreError> {
        let rows = sqlx::query(
            "SELECT o.id, o.address, o.attempts, o.last_error, o.created_at, o.dead_at, \
                    o.message AS direct, n.kind, n.text \
             FROM mail_outbox o LEFT JOIN notifications n ON n.id = o.notification_id \
             WHERE o.dead_at IS NOT NULL ORDER BY o.dead_at DESC, o.id LIMIT $1",
        )
        .bind(i64::from(limit.clamp(1, 1000)))
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|row| {
                let created: String = row.try_get("created_at")?;
                let dead: String = row.try_get("dead_at")?;
                // A direct mail may carry a secret (a tracking code, a
                // password link): the letter is named by its message only.
                let direct: Option<DirectMail> = row
                    .try_get::<Option<String>, _>("direct")?
                    .and_then(|d| serde_json::from_str(&d).ok());
                let (kind, text) = match direct {
                    Some(direct) => ("direct".to_string(), direct.key),
                    None => (
                        row.try_get::<Option<String>, _>("kind")?
                            .unwrap_or_default(),
                        row.try_get::<Option<String>, _>("text")?
                            .unwrap_or_default(),
                    ),
                };
                Ok(DeadLetter {
                    id: row.try_get("id")?,
                    address: row.try_get("address")?,
                    kind,
                    text,
                    attempts: row.try_get("attempts")?,
                    last_error: row.try_get("last_error")?,
                    created_at: Timestamp::parse(&created).map_err(StoreError::Corrupt)?,
                    dead_at: Timestamp::parse(&dead).map_err(StoreError::Corrupt)?,
                })
            })
            .collect()
    }

    /// How many mails wait to be sent (not dead).
    pub async fn mail_waiting(&self) -> Result<i64, StoreError> {
        Ok(
            sqlx::query("SELECT COUNT(*) AS n FROM mail_outbox WHERE dead_at IS NULL")
                .fetch_one(self.reader())
                .await?
                .try_get("n")?,
        )
    }
}
