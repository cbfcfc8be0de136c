//! The registration wizard's answers saved half-way (issue 20): a person's
//! working notes, private to their account and outside the log, until the
//! wizard makes a system or the draft is thrown away.

use serde::Serialize;
use sqlx::{AnyConnection, Row};

use senim_domain::{AccountId, Timestamp};

use crate::command::{Applied, Step};
use crate::error::StoreError;

/// A wizard saved half-way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WizardDraft {
    pub id: String,
    /// What the person named the system so far (may be empty).
    pub title: String,
    /// The step it was saved at.
    pub step: i64,
    /// The wizard's fields, as (name, value) pairs in order.
    pub form: Vec<(String, String)>,
    pub updated_at: Timestamp,
}

/// The most a draft's fields may weigh: a wizard's fields are a profile,
/// fourteen texts and a few dataset rows.
pub const MAX_FORM_BYTES: usize = 512 * 1024;

/// Applies [`crate::Command::SaveWizard`]: a new draft, or the account's
/// own draft `id` replaced.
pub(crate) async fn save(
    conn: &mut AnyConnection,
    account: AccountId,
    draft: WizardDraft,
) -> Result<Step, StoreError> {
    let form = serde_json::to_string(&draft.form)?;
    if form.len() > MAX_FORM_BYTES {
        return Err(StoreError::Invalid(senim_domain::ValidationError::single(
            "form",
            format!("must be at most {MAX_FORM_BYTES} bytes"),
        )));
    }
    let owner = sqlx::query("SELECT account_id FROM wizard_drafts WHERE id = $1")
        .bind(draft.id.clone())
        .fetch_optional(&mut *conn)
        .await?;
    match owner {
        Some(row) => {
            let of: String = row.try_get("account_id")?;
            if of != account.to_string() {
                return Err(StoreError::NotFound {
                    what: "saved wizard",
                    id: draft.id,
                });
            }
            sqlx::query(
                "UPDATE wizard_drafts SET title = $1, step = $2, form = $3, updated_at = $4 \
                 WHERE id = $5",
            )
            .bind(draft.title)
            .bind(draft.step)
            .bind(form)
            .bind(draft.updated_at.to_rfc3339())
            .bind(draft.id)
            .execute(&mut *conn)
            .await?;
        }
        None => {
            sqlx::query(
                "INSERT INTO wizard_drafts (id, account_id, title, step, form, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(draft.id)
            .bind(account.to_string())
            .bind(draft.title)
            .bind(draft.step)
            .bind(form)
            .bind(draft.updated_at.to_rfc3339())
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok((Applied::Done, None))
}

/// Applies [`crate::Command::DiscardWizard`]: the account's own draft goes.
pub(crate) async fn discard(
    conn: &mut AnyConnection,
    account: AccountId,
    id: String,
) -> Result<Step, StoreError> {
    sqlx::query("DELETE FROM wizard_drafts WHERE id = $1 AND account_id = $2")
        .bind(id)
        .bind(account.to_string())
        .execute(&mut *conn)
        .await?;
    Ok((Applied::Done, None))
}

fn draft_of(row: &sqlx::any::AnyRow) -> Result<WizardDraft, StoreError> {
    let form: String = row.try_get("form")?;
    let updated: String = row.try_get("updated_at")?;
    Ok(WizardDraft {
        id: row.try_get("id")?,
        title: row.try_get("title")?,
        step: row.try_get("step")?,
        form: serde_json::from_str(&form)?,
        updated_at: Timestamp::parse(&updated).map_err(StoreError::Corrupt)?,
    })
}

impl crate::Store {
    /// An account's saved wizards, the newest first.
    pub async fn wizard_drafts(&self, account: AccountId) -> Result<Vec<WizardDraft>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, title, step, form, updated_at FROM wizard_drafts \
             WHERE account_id = $1 ORDER BY updated_at DESC, id LIMIT 100",
        )
        .bind(account.to_string())
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(draft_of).collect()
    }

    /// One of an account's saved wizards.
    pub async fn wizard_draft(
        &self,
        account: AccountId,
        id: &str,
    ) -> Result<WizardDraft, StoreError> {
        let row = sqlx::query(
            "SELECT id, title, step, form, updated_at FROM wizard_drafts \
             WHERE id = $1 AND account_id = $2",
        )
        .bind(id.to_string())
        .bind(account.to_string())
        .fetch_optional(self.reader())
        .await?
        .ok_or_else(|| StoreError::NotFound {
            what: "saved wizard",
            id: id.to_string(),
        })?;
        draft_of(&row)
    }
}
