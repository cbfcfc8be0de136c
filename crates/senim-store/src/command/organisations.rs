//! Organisations: registration, changes and withdrawal, each from the
//! revision the change was decided on.

use sqlx::AnyConnection;

use senim_domain::organisation::ValidOrganisation;
use senim_domain::{Organisation, OrganisationId, OrganisationStatus, Timestamp, Viewer};

use super::events::{EventDraft, Step};
use super::revision::{check_change, check_written, withdrawal, Revised};
use super::{lower_search, Applied};
use crate::error::{is_unique_violation, StoreError};
use crate::logged::{OrganisationChanged, OrganisationWithdrawn};
use crate::query;
use crate::record::{self, Recorded};

impl Revised for Organisation {
    const NAME: &'static str = "organisation";
    const COUNTER: &'static str = "revision";
    const CHANGE_REFUSED_WHEN_WITHDRAWN: &'static str =
        "the organisation is withdrawn and cannot be changed";

    fn counter(&self) -> i64 {
        self.revision
    }

    fn is_withdrawn(&self) -> bool {
        self.status == OrganisationStatus::Withdrawn
    }

    fn into_withdrawn(self, now: Timestamp) -> Organisation {
        Organisation {
            status: OrganisationStatus::Withdrawn,
            revision: self.revision + 1,
            updated_at: now,
            ..self
        }
    }
}

fn organisation_search(org: &Organisation) -> String {
    lower_search(&[&org.name.joined(), org.bin.as_str()])
}

/// An organisation's change; the public log shows it without its contact person.
fn org_event(kind: &'static str, org: &Organisation) -> Result<EventDraft, StoreError> {
    let public = org.clone().redacted(Viewer::PUBLIC).to_record();
    EventDraft::logged(
        kind,
        "organisation",
        org.id.to_string(),
        &OrganisationChanged {
            organisation: org.to_record(),
        },
    )?
    .shown(&OrganisationChanged {
        organisation: public,
    })
}

fn withdrawal_event(org: &Organisation, reason: Option<String>) -> Result<EventDraft, StoreError> {
    let public = org.clone().redacted(Viewer::PUBLIC).to_record();
    EventDraft::logged(
        "organisation.withdrawn",
        "organisation",
        org.id.to_string(),
        &OrganisationWithdrawn {
            organisation: org.to_record(),
            reason: reason.clone(),
        },
    )?
    .shown(&OrganisationWithdrawn {
        organisation: public,
        reason,
    })
}

fn duplicate_bin(e: sqlx::Error) -> StoreError {
    if is_unique_violation(&e) {
        StoreError::invalid("bin", "is already registered to another organisation")
    } else {
        StoreError::Database(e)
    }
}

pub(super) async fn create_organisation(
    conn: &mut AnyConnection,
    org: ValidOrganisation,
    now: Timestamp,
) -> Result<Step, StoreError> {
    let record = Organisation {
        id: OrganisationId::generate(),
        name: org.name,
        bin: org.bin,
        kind: org.kind,
        size_class: org.size_class,
        contacts: org.contacts,
        status: OrganisationStatus::Active,
        revision: 1,
        created_at: now,
        updated_at: now,
    };
    insert_organisation(conn, &record).await?;
    let event = org_event("organisation.created", &record)?;
    Ok((Applied::Organisation(record), Some(event)))
}

pub(super) async fn insert_organisation(
    conn: &mut AnyConnection,
    record: &Organisation,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO organisations (id, bin, status, revision, search_text, data, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(record.id.to_string())
    .bind(record.bin.as_str().to_string())
    .bind(record.status.as_str())
    .bind(record.revision)
    .bind(organisation_search(record))
    .bind(record::json(record)?)
    .bind(record.created_at.to_rfc3339())
    .bind(record.updated_at.to_rfc3339())
    .execute(&mut *conn)
    .await
    .map_err(duplicate_bin)?;
    Ok(())
}

pub(super) async fn store_organisation(
    conn: &mut AnyConnection,
    record: &Organisation,
    expected_revision: i64,
) -> Result<(), StoreError> {
    let result = sqlx::query(
        "UPDATE organisations SET bin = $1, status = $2, revision = $3, search_text = $4, data = $5, \
         updated_at = $6 WHERE id = $7 AND revision = $8",
    )
    .bind(record.bin.as_str().to_string())
    .bind(record.status.as_str())
    .bind(record.revision)
    .bind(organisation_search(record))
    .bind(record::json(record)?)
    .bind(record.updated_at.to_rfc3339())
    .bind(record.id.to_string())
    .bind(expected_revision)
    .execute(&mut *conn)
    .await
    .map_err(duplicate_bin)?;
    check_written::<Organisation>(result.rows_affected())
}

pub(super) async fn update_organisation(
    conn: &mut AnyConnection,
    id: OrganisationId,
    expected_revision: i64,
    org: ValidOrganisation,
    now: Timestamp,
) -> Result<Step, StoreError> {
    let current = query::organisation(&mut *conn, id).await?;
    check_change(&current, expected_revision)?;
    let record = Organisation {
        name: org.name,
        bin: org.bin,
        kind: org.kind,
        size_class: org.size_class,
        contacts: org.contacts,
        revision: current.revision + 1,
        updated_at: now,
        ..current
    };
    store_organisation(conn, &record, expected_revision).await?;
    let event = org_event("organisation.updated", &record)?;
    Ok((Applied::Organisation(record), Some(event)))
}

pub(super) async fn withdraw_organisation(
    conn: &mut AnyConnection,
    id: OrganisationId,
    expected_revision: Option<i64>,
    reason: Option<String>,
    now: Timestamp,
) -> Result<Step, StoreError> {
    let current = query::organisation(&mut *conn, id).await?;
    let revision = current.revision;
    let record = withdrawal(current, expected_revision, now)?;
    store_organisation(conn, &record, revision).await?;
    let event = withdrawal_event(&record, reason)?;
    Ok((Applied::Organisation(record), Some(event)))
}

pub(crate) async fn require_organisation(
    conn: &mut AnyConnection,
    field: &str,
    id: OrganisationId,
) -> Result<Organisation, StoreError> {
    match query::organisation(&mut *conn, id).await {
        Ok(org) if org.status == OrganisationStatus::Active => Ok(org),
        Ok(_) => Err(StoreError::invalid(field, "names a withdrawn organisation")),
        Err(StoreError::NotFound { .. }) => Err(StoreError::invalid(
            field,
            "names no organisation in the register",
        )),
        Err(e) => Err(e),
    }
}
