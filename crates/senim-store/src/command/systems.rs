//! AI systems: registration, new versions (each with its classification)
//! and withdrawal, each from the version the change was decided on.

use serde::Serialize;
use sqlx::AnyConnection;

use senim_domain::classification::Assessment;
use senim_domain::system::{confirmed_operator, operator_named_notice, ValidVersion};
use senim_domain::{
    OrganisationId, System, SystemId, SystemStatus, SystemVersion, Timestamp, Viewer,
};

use super::classifications::record_assessment;
use super::events::{EventDraft, Step};
use super::organisations::require_organisation;
use super::revision::{check_change, check_written, withdrawal, Revised};
use super::{lower_search, replace_set, Actor, Applied};
use crate::cases::{write_notices, StoredNotice};
use crate::error::{is_unique_violation, StoreError};
use crate::logged::{Classified, SystemChanged, SystemReplay, SystemWithdrawn};
use crate::query;
use crate::record::{self, Recorded};

impl Revised for System {
    const NAME: &'static str = "system";
    const COUNTER: &'static str = "version";
    const CHANGE_REFUSED_WHEN_WITHDRAWN: &'static str =
        "the system is withdrawn; a withdrawn system cannot get new versions";

    fn counter(&self) -> i64 {
        self.current_version
    }

    fn is_withdrawn(&self) -> bool {
        self.status == SystemStatus::Withdrawn
    }

    /// A system under review is withdrawn through its registration case.
    fn refuse_withdrawal(&self) -> Result<(), StoreError> {
        if self.status.in_review() {
            return Err(StoreError::conflict(
                format!(
                    "the system is {}: withdraw its application first (step `withdraw` on the registration case)",
                    self.status
                ),
                self.current_version.to_string(),
            ));
        }
        Ok(())
    }

    /// Withdrawn, at the version it had: a withdrawal adds no version.
    fn into_withdrawn(self, now: Timestamp) -> System {
        System {
            status: SystemStatus::Withdrawn,
            updated_at: now,
            ..self
        }
    }
}

/// The text a system's words are matched in: its names and its public
/// documentation, lower-cased (what `Store::systems` filters on, and what
/// the server's register summaries keep).
pub fn system_search(version: &SystemVersion) -> String {
    let docs = version.documentation.joined_public(&version.visibility);
    let translated = version.translations.joined_public(&version.visibility);
    // Without translations, the text is what it always was (stored search
    // texts and rebuilds agree).
    if translated.is_empty() {
        return lower_search(&[&version.name.joined(), &docs]);
    }
    lower_search(&[&version.name.joined(), &docs, &translated])
}

/// A system's change; the public log shows its version redacted.
fn system_event<D: Serialize>(
    kind: &'static str,
    system: &System,
    version: Option<&SystemVersion>,
    details: D,
) -> Result<EventDraft, StoreError> {
    let payload = SystemChanged {
        system: system.to_record(),
        version: version.map(Recorded::to_record),
        details,
    };
    let event = EventDraft::logged(kind, "system", system.id.to_string(), &payload)?;
    if !system.is_public() {
        return private_draft_event(event, system);
    }
    let public = SystemChanged {
        system: payload.system.clone(),
        version: version.map(|v| v.clone().redacted(Viewer::PUBLIC).to_record()),
        details: &payload.details,
    };
    event.shown(&public)
}

/// An event about a draft that is still its organisation's own: the log
/// shows which system it is and that it is a draft (or a draft withdrawn),
/// and everything else (the name, the documentation, the classification,
/// the details) only as salted digests, as it does a report's private part.
pub(crate) fn private_draft_event(
    event: EventDraft,
    system: &System,
) -> Result<EventDraft, StoreError> {
    event.shown(&serde_json::json!({
        "system": { "id": system.id, "status": system.status, "private": true },
    }))
}

async fn insert_version(
    conn: &mut AnyConnection,
    version: &SystemVersion,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO system_versions (system_id, version, data, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(version.system_id.to_string())
    .bind(version.version)
    .bind(record::json(version)?)
    .bind(version.created_at.to_rfc3339())
    .execute(&mut *conn)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            StoreError::conflict(
                "another version was added at the same moment; reload and try again",
                "",
            )
        } else {
            StoreError::Database(e)
        }
    })?;
    Ok(())
}

async fn write_sectors(conn: &mut AnyConnection, system: &System) -> Result<(), StoreError> {
    let sectors: Vec<&str> = system.sectors.iter().map(|s| s.as_str()).collect();
    let owner = system.id.to_string();
    replace_set(
        conn,
        "system_sectors",
        ("system_id", &owner),
        "sector",
        &sectors,
    )
    .await
}

fn new_version(
    id: SystemId,
    number: i64,
    actor: &Actor,
    version: ValidVersion,
    now: Timestamp,
) -> SystemVersion {
    SystemVersion {
        system_id: id,
        version: number,
        name: version.name,
        holder_organisation_id: version.holder_organisation_id,
        profile: version.profile,
        documentation: version.documentation,
        translations: version.translations,
        visibility: version.visibility,
        withheld: Vec::new(),
        change_note: version.change_note,
        datasets: version.datasets,
        created_by: actor.account_id,
        created_at: now,
    }
}

pub(super) async fn create_system(
    conn: &mut AnyConnection,
    actor: &Actor,
    owner: OrganisationId,
    version: ValidVersion,
    assessment: Option<Assessment>,
    now: Timestamp,
) -> Result<Step, StoreError> {
    require_organisation(conn, "owner_organisation_id", owner).await?;
    if let Some(holder) = version.holder_organisation_id {
        require_organisation(conn, "holder_organisation_id", holder).await?;
    }
    let id = SystemId::generate();
    let version = new_version(id, 1, actor, version, now);
    let holder = confirmed_operator(owner, None, version.holder_organisation_id);
    let system = System {
        id,
        name: version.name.clone(),
        owner_organisation_id: owner,
        holder_organisation_id: holder,
        status: SystemStatus::Draft,
        registry_number: None,
        risk_level: assessment.as_ref().map(|a| a.outcome.risk_level),
        sectors: version.profile.sectors.clone(),
        current_version: 1,
        created_at: now,
        updated_at: now,
        public_since: None,
    };
    let notices = operator_notices(conn, &system, &version).await?;
    insert_system(conn, &system, &version, assessment.as_ref()).await?;
    classified_step(
        conn,
        "system.created",
        system,
        version,
        assessment,
        notices,
        now,
    )
    .await
}

/// The notice to an organisation the version newly names as operator
/// (read before the version's request replaces the system's last one).
async fn operator_notices(
    conn: &mut AnyConnection,
    system: &System,
    version: &SystemVersion,
) -> Result<Vec<StoredNotice>, StoreError> {
    let Some(named) = version.holder_organisation_id else {
        return Ok(Vec::new());
    };
    if system.holder_organisation_id == Some(named)
        || crate::operators::pending(conn, system.id).await? == Some(named)
    {
        return Ok(Vec::new());
    }
    Ok(vec![StoredNotice::new(operator_named_notice(
        named,
        &system.name,
    ))])
}

/// The result and event of a new classified version (a system's first or a
/// later one), with the notices it writes; the event keeps the assessment
/// and the notices for rebuilds.
async fn classified_step(
    conn: &mut AnyConnection,
    kind: &'static str,
    system: System,
    version: SystemVersion,
    assessment: Option<Assessment>,
    notices: Vec<StoredNotice>,
    now: Timestamp,
) -> Result<Step, StoreError> {
    write_notices(conn, &notices, None, Some(system.id), kind, now).await?;
    crate::mail::queue(conn, &notices, now).await?;
    let event = system_event(
        kind,
        &system,
        Some(&version),
        Classified {
            classification: assessment.as_ref().map(|a| a.outcome.clone()),
        },
    )?
    .replaying_with(&SystemReplay {
        assessment,
        notices,
    })?;
    Ok((
        Applied::System {
            system,
            version: Box::new(version),
        },
        Some(event),
    ))
}

/// Writes a new system: its row, sectors, first version and classification.
pub(super) async fn insert_system(
    conn: &mut AnyConnection,
    system: &System,
    version: &SystemVersion,
    assessment: Option<&Assessment>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO systems (id, owner_organisation_id, holder_organisation_id, status, risk_level, \
         registry_number, current_version, search_text, data, created_at, updated_at, profile, documented, \
         public) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(system.id.to_string())
    .bind(system.owner_organisation_id.to_string())
    .bind(system.holder_organisation_id.map(|h| h.to_string()))
    .bind(system.status.as_str())
    .bind(system.risk_level.map(|r| r.as_str()))
    .bind(system.registry_number.clone())
    .bind(system.current_version)
    .bind(system_search(version))
    .bind(record::json(system)?)
    .bind(system.created_at.to_rfc3339())
    .bind(system.updated_at.to_rfc3339())
    .bind(serde_json::to_string(&version.profile)?)
    .bind(documented(version))
    .bind(i32::from(system.is_public()))
    .execute(&mut *conn)
    .await?;
    write_sectors(conn, system).await?;
    insert_version(conn, version).await?;
    link_and_classify(conn, system, version, assessment).await
}

/// A new version of a system: its row, the system's row, its classification.
pub(super) async fn insert_next_version(
    conn: &mut AnyConnection,
    system: &System,
    version: &SystemVersion,
    assessment: Option<&Assessment>,
) -> Result<(), StoreError> {
    insert_version(conn, version).await?;
    store_system(conn, system, version, system.current_version - 1).await?;
    link_and_classify(conn, system, version, assessment).await
}

/// What a new version brings besides its own row: the links to the datasets
/// it names, and its classification in the history.
async fn link_and_classify(
    conn: &mut AnyConnection,
    system: &System,
    version: &SystemVersion,
    assessment: Option<&Assessment>,
) -> Result<(), StoreError> {
    crate::library::link_datasets(conn, version).await?;
    crate::operators::sync_request(conn, system, version).await?;
    if let Some(a) = assessment {
        record_assessment(conn, system.id, version.version, a, system.updated_at).await?;
    }
    Ok(())
}

pub(crate) async fn store_system(
    conn: &mut AnyConnection,
    system: &System,
    version: &SystemVersion,
    expected_version: i64,
) -> Result<(), StoreError> {
    let result = sqlx::query(
        "UPDATE systems SET holder_organisation_id = $1, status = $2, risk_level = $3, \
         registry_number = $4, current_version = $5, search_text = $6, data = $7, updated_at = $8, \
         profile = $11, documented = $12, public = $13 \
         WHERE id = $9 AND current_version = $10",
    )
    .bind(system.holder_organisation_id.map(|h| h.to_string()))
    .bind(system.status.as_str())
    .bind(system.risk_level.map(|r| r.as_str()))
    .bind(system.registry_number.clone())
    .bind(system.current_version)
    .bind(system_search(version))
    .bind(record::json(system)?)
    .bind(system.updated_at.to_rfc3339())
    .bind(system.id.to_string())
    .bind(expected_version)
    .bind(serde_json::to_string(&version.profile)?)
    .bind(documented(version))
    .bind(i32::from(system.is_public()))
    .execute(&mut *conn)
    .await?;
    check_written::<System>(result.rows_affected())?;
    write_sectors(conn, system).await
}

pub(super) async fn add_version(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: SystemId,
    expected_version: i64,
    version: ValidVersion,
    assessment: Option<Assessment>,
    now: Timestamp,
) -> Result<Step, StoreError> {
    let current = query::system(&mut *conn, id).await?;
    check_change(&current, expected_version)?;
    if matches!(
        current.status,
        SystemStatus::Submitted | SystemStatus::InExpertReview | SystemStatus::Recommended
    ) {
        return Err(StoreError::conflict(
            format!(
                "the system is {}: its documentation is under review and can change only when the reviewers ask for information",
                current.status
            ),
            current.current_version.to_string(),
        ));
    }
    if let Some(holder) = version.holder_organisation_id {
        require_organisation(conn, "holder_organisation_id", holder).await?;
    }
    let number = current.current_version + 1;
    let version = new_version(id, number, actor, version, now);
    let system = System {
        name: version.name.clone(),
        holder_organisation_id: confirmed_operator(
            current.owner_organisation_id,
            current.holder_organisation_id,
            version.holder_organisation_id,
        ),
        sectors: version.profile.sectors.clone(),
        current_version: number,
        risk_level: assessment
            .as_ref()
            .map(|a| a.outcome.risk_level)
            .or(current.risk_level),
        updated_at: now,
        ..current
    };
    let notices = operator_notices(conn, &system, &version).await?;
    insert_next_version(conn, &system, &version, assessment.as_ref()).await?;
    classified_step(
        conn,
        "system.version_added",
        system,
        version,
        assessment,
        notices,
        now,
    )
    .await
}

pub(super) async fn withdraw_system(
    conn: &mut AnyConnection,
    id: SystemId,
    expected_version: Option<i64>,
    reason: Option<String>,
    now: Timestamp,
) -> Result<Step, StoreError> {
    let current = query::system(&mut *conn, id).await?;
    let previous_status = current.status;
    let system = withdrawal(current, expected_version, now)?;
    // A withdrawal adds no version: the row stays at the one read.
    let number = system.current_version;
    let version = query::system_version(&mut *conn, id, number).await?;
    store_system(conn, &system, &version, number).await?;
    crate::operators::clear_request(conn, id).await?;
    let event = system_event(
        "system.withdrawn",
        &system,
        None,
        SystemWithdrawn {
            reason,
            previous_status,
        },
    )?;
    Ok((
        Applied::System {
            system,
            version: Box::new(version),
        },
        Some(event),
    ))
}

/// The documentation items a version fills, comma-separated.
fn documented(version: &SystemVersion) -> String {
    version
        .documentation
        .filled_items()
        .iter()
        .map(|i| i.as_str())
        .collect::<Vec<_>>()
        .join(",")
}
