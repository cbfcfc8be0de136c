//! Operators by consent (issue 19): an organisation that a system's owner
//! names as its operator becomes it only when it accepts. Until then the
//! system's `holder_organisation_id` stays empty (so it is not listed under
//! that organisation, and its accounts get no reader's rights on it) and a
//! row of `operator_requests` waits for the answer.
//!
//! The request is derived from what a version event already carries: the
//! version names an operator that the system (as recorded in the same
//! event) does not have. A rebuild thus finds the same requests, and
//! events written before consent existed (where the two always agree)
//! bring none.

use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, Row};

use senim_domain::system::{operator_answered_notice, OperatorDecision, OperatorRequest};
use senim_domain::{OrganisationId, System, SystemId, SystemVersion, Timestamp};

use crate::cases::{write_notices, StoredNotice};
use crate::command::{store_system, Applied, EventDraft, Step};
use crate::error::StoreError;
use crate::logged::SystemChanged;
use crate::query;
use crate::record::Recorded;

/// The details of `system.operator_accepted` and `system.operator_refused`.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct OperatorAnswered {
    pub organisation_id: OrganisationId,
    pub notices: Vec<StoredNotice>,
}

/// Keeps the system's request in step with its newest version: one when the
/// version names an operator the system does not have, none otherwise.
pub(crate) async fn sync_request(
    conn: &mut AnyConnection,
    system: &System,
    version: &SystemVersion,
) -> Result<(), StoreError> {
    match version.holder_organisation_id {
        Some(named) if system.holder_organisation_id != Some(named) => {
            clear_request(conn, system.id).await?;
            sqlx::query(
                "INSERT INTO operator_requests (system_id, organisation_id, version, requested_at) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(system.id.to_string())
            .bind(named.to_string())
            .bind(version.version)
            .bind(version.created_at.to_rfc3339())
            .execute(&mut *conn)
            .await?;
            Ok(())
        }
        _ => clear_request(conn, system.id).await,
    }
}

pub(crate) async fn clear_request(
    conn: &mut AnyConnection,
    id: SystemId,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM operator_requests WHERE system_id = $1")
        .bind(id.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The organisation whose answer the system awaits, if any.
pub(crate) async fn pending(
    conn: &mut AnyConnection,
    id: SystemId,
) -> Result<Option<OrganisationId>, StoreError> {
    let row = sqlx::query("SELECT organisation_id FROM operator_requests WHERE system_id = $1")
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|r| {
        r.try_get::<String, _>("organisation_id")?
            .parse::<OrganisationId>()
            .map_err(StoreError::Corrupt)
    })
    .transpose()
}

/// Applies [`crate::Command::AnswerOperator`]: the named organisation
/// accepts (it becomes the operator) or refuses (the request goes); the
/// owner is told either way.
pub(crate) async fn answer(
    conn: &mut AnyConnection,
    id: SystemId,
    organisation: OrganisationId,
    decision: OperatorDecision,
    now: Timestamp,
) -> Result<Step, StoreError> {
    let current = query::system(&mut *conn, id).await?;
    if pending(conn, id).await? != Some(organisation) {
        return Err(StoreError::conflict(
            "the system awaits no answer from this organisation: it was not named as its operator, or has answered, or a later version named another",
            current.current_version.to_string(),
        ));
    }
    let system = match decision {
        OperatorDecision::Accept => System {
            holder_organisation_id: Some(organisation),
            updated_at: now,
            ..current
        },
        OperatorDecision::Refuse => current,
    };
    let version = query::system_version(&mut *conn, id, system.current_version).await?;
    let notices = vec![StoredNotice::new(operator_answered_notice(
        system.owner_organisation_id,
        &system.name,
        decision,
    ))];
    let details = OperatorAnswered {
        organisation_id: organisation,
        notices,
    };
    apply_answer(conn, &system, &version, decision, &details, now).await?;
    crate::mail::queue(conn, &details.notices, now).await?;
    let kind = match decision {
        OperatorDecision::Accept => "system.operator_accepted",
        OperatorDecision::Refuse => "system.operator_refused",
    };
    let payload = SystemChanged {
        system: system.to_record(),
        version: None,
        details,
    };
    let mut event = EventDraft::logged(kind, "system", id.to_string(), &payload)?;
    if !system.is_public() {
        event = crate::command::private_draft_event(event, &system)?;
    }
    Ok((
        Applied::System {
            system,
            version: Box::new(version),
        },
        Some(event),
    ))
}

/// What an answer changes, on the write and on replay.
async fn apply_answer(
    conn: &mut AnyConnection,
    system: &System,
    version: &SystemVersion,
    decision: OperatorDecision,
    details: &OperatorAnswered,
    time: Timestamp,
) -> Result<(), StoreError> {
    if decision == OperatorDecision::Accept {
        store_system(conn, system, version, system.current_version).await?;
    }
    clear_request(conn, system.id).await?;
    write_notices(
        conn,
        &details.notices,
        None,
        Some(system.id),
        match decision {
            OperatorDecision::Accept => "system.operator_accepted",
            OperatorDecision::Refuse => "system.operator_refused",
        },
        time,
    )
    .await
}

/// Replays `system.operator_accepted` and `system.operator_refused`.
pub(crate) async fn replay(
    conn: &mut AnyConnection,
    kind: &str,
    time: Timestamp,
    payload: &serde_json::Value,
) -> Result<(), StoreError> {
    let changed: SystemChanged<OperatorAnswered> = serde_json::from_value(payload.clone())?;
    let system = System::from(changed.system);
    let version = query::system_version(&mut *conn, system.id, system.current_version).await?;
    let decision = if kind == "system.operator_accepted" {
        OperatorDecision::Accept
    } else {
        OperatorDecision::Refuse
    };
    apply_answer(conn, &system, &version, decision, &changed.details, time).await
}

fn request_of(row: &sqlx::any::AnyRow) -> Result<OperatorRequest, StoreError> {
    let system: System = crate::rows::data(row)?;
    let organisation: String = row.try_get("organisation_id")?;
    let requested: String = row.try_get("requested_at")?;
    Ok(OperatorRequest {
        system_id: system.id,
        system_name: system.name,
        owner_organisation_id: system.owner_organisation_id,
        organisation_id: organisation.parse().map_err(StoreError::Corrupt)?,
        version: row.try_get("version")?,
        requested_at: Timestamp::parse(&requested).map_err(StoreError::Corrupt)?,
    })
}

impl crate::Store {
    /// The systems that name `organisation` as their operator and await its
    /// answer, oldest first.
    pub async fn operator_requests(
        &self,
        organisation: OrganisationId,
    ) -> Result<Vec<OperatorRequest>, StoreError> {
        let rows = sqlx::query(
            "SELECT s.data, r.organisation_id, r.version, r.requested_at \
             FROM operator_requests r JOIN systems s ON s.id = r.system_id \
             WHERE r.organisation_id = $1 ORDER BY r.requested_at, r.system_id",
        )
        .bind(organisation.to_string())
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(request_of).collect()
    }

    /// The request a system awaits an answer to, if any.
    pub async fn operator_request(
        &self,
        id: SystemId,
    ) -> Result<Option<OperatorRequest>, StoreError> {
        let row = sqlx::query(
            "SELECT s.data, r.organisation_id, r.version, r.requested_at \
             FROM operator_requests r JOIN systems s ON s.id = r.system_id \
             WHERE r.system_id = $1",
        )
        .bind(id.to_string())
        .fetch_optional(self.reader())
        .await?;
        row.as_ref().map(request_of).transpose()
    }
}
