//! Pauses of the public intake for one system (issue 19): a supervisor's
//! switch, logged (`system.intake_paused`, `system.intake_resumed`) with
//! its public reason, and kept in `intake_pauses`.

use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, Row};

use senim_domain::oversight::IntakePause;
use senim_domain::{SystemId, Timestamp};

use crate::command::{Applied, EventDraft, Step};
use crate::error::StoreError;
use crate::query;

/// The payload of both events.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct IntakeSwitched {
    pub system_id: SystemId,
    /// The reason, when paused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

async fn apply(
    conn: &mut AnyConnection,
    switched: &IntakeSwitched,
    time: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM intake_pauses WHERE system_id = $1")
        .bind(switched.system_id.to_string())
        .execute(&mut *conn)
        .await?;
    if let Some(reason) = &switched.reason {
        sqlx::query("INSERT INTO intake_pauses (system_id, reason, paused_at) VALUES ($1, $2, $3)")
            .bind(switched.system_id.to_string())
            .bind(reason.clone())
            .bind(time.to_rfc3339())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Applies [`crate::Command::SetIntakePause`]: pauses (with a reason) or
/// resumes; a resume of a system not paused changes nothing.
pub(crate) async fn set(
    conn: &mut AnyConnection,
    system_id: SystemId,
    reason: Option<String>,
    now: Timestamp,
) -> Result<Step, StoreError> {
    query::system(&mut *conn, system_id).await?;
    let paused = sqlx::query("SELECT 1 FROM intake_pauses WHERE system_id = $1")
        .bind(system_id.to_string())
        .fetch_optional(&mut *conn)
        .await?
        .is_some();
    if reason.is_none() && !paused {
        return Ok((Applied::Done, None));
    }
    let kind = if reason.is_some() {
        "system.intake_paused"
    } else {
        "system.intake_resumed"
    };
    let switched = IntakeSwitched { system_id, reason };
    apply(conn, &switched, now).await?;
    let event = EventDraft::logged(kind, "system", system_id.to_string(), &switched)?;
    Ok((Applied::Done, Some(event)))
}

/// Replays both events.
pub(crate) async fn replay(
    conn: &mut AnyConnection,
    time: Timestamp,
    payload: &serde_json::Value,
) -> Result<(), StoreError> {
    let switched: IntakeSwitched = serde_json::from_value(payload.clone())?;
    apply(conn, &switched, time).await
}

impl crate::Store {
    /// The pause of reports about `system`, if the authority paused them.
    pub async fn intake_pause(&self, system: SystemId) -> Result<Option<IntakePause>, StoreError> {
        let row = sqlx::query("SELECT reason, paused_at FROM intake_pauses WHERE system_id = $1")
            .bind(system.to_string())
            .fetch_optional(self.reader())
            .await?;
        row.map(|r| {
            let at: String = r.try_get("paused_at")?;
            Ok(IntakePause {
                system_id: system,
                reason: r.try_get("reason")?,
                paused_at: Timestamp::parse(&at).map_err(StoreError::Corrupt)?,
            })
        })
        .transpose()
    }
}
