//! The Platform's resources (writes, replays and reads) and the index of
//! allocations that the case writes keep (`allocations`): what an award has
//! committed of its released credits, and what a resource has given out of
//! its capacity, both checked in the write's own transaction.

use sqlx::{AnyConnection, Row};

use senim_domain::allocation::{AllocationState, PlatformResource};
use senim_domain::{Case, CaseId, Day, OrganisationId, PlatformResourceId};

use crate::command::{Applied, EventDraft, Step};
use crate::error::StoreError;
use crate::logged::PlatformResourceCreated;
use crate::record::{self, Recorded};
use crate::rows::data;
use crate::Store;

async fn insert_resource(conn: &mut AnyConnection, r: &PlatformResource) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO platform_resources (id, provider_organisation_id, kind, capacity, data, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(r.id.to_string())
    .bind(r.provider_organisation_id.to_string())
    .bind(r.kind.as_str())
    .bind(r.capacity)
    .bind(record::json(r)?)
    .bind(r.created_at.to_rfc3339())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Applies [`crate::Command::CreatePlatformResource`]: a dataset resource
/// must be a restricted dataset of the provider's own; a model's training
/// data must be in the library.
pub(crate) async fn create_resource(
    conn: &mut AnyConnection,
    resource: PlatformResource,
) -> Result<Step, StoreError> {
    crate::command::require_organisation(
        conn,
        "provider_organisation_id",
        resource.provider_organisation_id,
    )
    .await?;
    if let Some(dataset) = resource.dataset_id {
        let row = sqlx::query("SELECT organisation_id, data FROM datasets WHERE id = $1")
            .bind(dataset.to_string())
            .fetch_optional(&mut *conn)
            .await?;
        let Some(row) = row else {
            return Err(StoreError::invalid(
                "dataset_id",
                "names no dataset in the library",
            ));
        };
        let owner: String = row.try_get("organisation_id")?;
        if owner != resource.provider_organisation_id.to_string() {
            return Err(StoreError::invalid(
                "dataset_id",
                "is another organisation's dataset: its own stewards offer it",
            ));
        }
        let dataset: senim_domain::Dataset = data(&row)?;
        if dataset.metadata.access != senim_domain::AccessLevel::Restricted {
            return Err(StoreError::invalid(
                "dataset_id",
                format!(
                    "is {}: only a restricted dataset is allocated (open data needs no award)",
                    dataset.metadata.access
                ),
            ));
        }
    }
    if let Some(model) = &resource.model {
        for (i, d) in model.trained_on.iter().enumerate() {
            let exists = sqlx::query("SELECT 1 FROM datasets WHERE id = $1")
                .bind(d.to_string())
                .fetch_optional(&mut *conn)
                .await?
                .is_some();
            if !exists {
                return Err(StoreError::invalid(
                    &format!("model.trained_on[{i}]"),
                    "names no dataset in the library",
                ));
            }
        }
    }
    insert_resource(conn, &resource).await?;
    let event = EventDraft::logged(
        "platform_resource.created",
        "platform_resource",
        resource.id.to_string(),
        &PlatformResourceCreated {
            resource: resource.to_record(),
        },
    )?;
    Ok((Applied::PlatformResource(Box::new(resource)), Some(event)))
}

pub(crate) async fn replay(
    conn: &mut AnyConnection,
    payload: &serde_json::Value,
) -> Result<(), StoreError> {
    let event: PlatformResourceCreated = serde_json::from_value(payload.clone())?;
    insert_resource(conn, &PlatformResource::from_record(event.resource)).await
}

/// Keeps the allocation index current after a write of an allocation case,
/// and refuses the write if the award's committed credits would pass what
/// was released, or the resource's units held would pass its capacity (the
/// writer holds the write lock, so neither sum can move meanwhile).
pub(crate) async fn index_allocation(
    conn: &mut AnyConnection,
    case: &Case,
) -> Result<(), StoreError> {
    let Some(alloc) = case.allocation() else {
        return Ok(());
    };
    let state: AllocationState = case.state().parse().map_err(StoreError::Corrupt)?;
    let holds_credits = !matches!(state, AllocationState::Refused | AllocationState::Withdrawn);
    let holds_units = matches!(state, AllocationState::Requested | AllocationState::Active);
    let new = sqlx::query("DELETE FROM allocations WHERE case_id = $1")
        .bind(case.id.to_string())
        .execute(&mut *conn)
        .await?
        .rows_affected()
        == 0;
    sqlx::query(
        "INSERT INTO allocations (case_id, application_id, resource_id, provider_organisation_id, \
         programme_organisation_id, state, awaiting_programme, holds_credits, holds_units, \
         credits, units, ends, approved_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(case.id.to_string())
    .bind(alloc.application_id.to_string())
    .bind(alloc.resource_id.to_string())
    .bind(alloc.provider_organisation_id.to_string())
    .bind(alloc.programme_organisation_id.to_string())
    .bind(state.as_str())
    .bind(i64::from(alloc.extension.is_some() && case.open))
    .bind(i64::from(holds_credits))
    .bind(i64::from(holds_units))
    .bind(alloc.credits)
    .bind(alloc.units)
    .bind(alloc.ends.to_string())
    .bind(alloc.approved_at.map(|t| t.to_rfc3339()))
    .execute(&mut *conn)
    .await?;
    if !new {
        // Only a new exchange (a request, or one provisioned at once after
        // the provider's assessment) takes credits and units; later steps
        // give back.
        return Ok(());
    }
    let committed = committed_in(conn, alloc.application_id).await?;
    let row = sqlx::query("SELECT data FROM cases WHERE id = $1")
        .bind(alloc.application_id.to_string())
        .fetch_one(&mut *conn)
        .await?;
    let application: Case = data(&row)?;
    let released = application.application().map_or(0, |a| a.released());
    if committed > released {
        return Err(StoreError::invalid(
            "units",
            format!(
                "the award has {} of its released credits left",
                released - (committed - alloc.credits)
            ),
        ));
    }
    let row = sqlx::query(
        "SELECT r.capacity AS capacity, COALESCE((SELECT CAST(SUM(a.units) AS BIGINT) FROM allocations a \
         WHERE a.resource_id = r.id AND a.holds_units = 1), 0) AS held \
         FROM platform_resources r WHERE r.id = $1",
    )
    .bind(alloc.resource_id.to_string())
    .fetch_one(&mut *conn)
    .await?;
    let (capacity, held): (i64, i64) = (row.try_get("capacity")?, row.try_get("held")?);
    if held > capacity {
        return Err(StoreError::invalid(
            "units",
            format!(
                "the resource has {} of its {capacity} {} free",
                capacity - (held - alloc.units),
                alloc.unit
            ),
        ));
    }
    Ok(())
}

async fn committed_in(conn: &mut AnyConnection, application: CaseId) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "SELECT CAST(COALESCE(SUM(credits), 0) AS BIGINT) AS n FROM allocations \
         WHERE application_id = $1 AND holds_credits = 1",
    )
    .bind(application.to_string())
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.try_get("n")?)
}

impl Store {
    pub async fn platform_resource(
        &self,
        id: PlatformResourceId,
    ) -> Result<PlatformResource, StoreError> {
        let row = sqlx::query("SELECT data FROM platform_resources WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(self.reader())
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: "platform resource",
                id: id.to_string(),
            })?;
        data(&row)
    }

    /// Every resource, with the units requested and active allocations
    /// hold of each.
    pub async fn platform_resources(&self) -> Result<Vec<(PlatformResource, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT r.data AS data, COALESCE((SELECT CAST(SUM(a.units) AS BIGINT) FROM allocations a \
             WHERE a.resource_id = r.id AND a.holds_units = 1), 0) AS held \
             FROM platform_resources r ORDER BY r.created_at, r.id",
        )
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|row| Ok((data(row)?, row.try_get::<i64, _>("held")?)))
            .collect()
    }

    /// Credits of an award held by allocations not refused.
    pub async fn committed_credits(&self, application: CaseId) -> Result<i64, StoreError> {
        let mut conn = self.reader().acquire().await?;
        committed_in(&mut conn, application).await
    }

    async fn allocation_cases(&self, sql: &str, bind: String) -> Result<Vec<Case>, StoreError> {
        let rows = sqlx::query(sql).bind(bind).fetch_all(self.reader()).await?;
        rows.iter().map(data).collect()
    }

    /// The allocations an award bought, newest first.
    pub async fn allocations_of(&self, application: CaseId) -> Result<Vec<Case>, StoreError> {
        self.allocation_cases(
            "SELECT c.data FROM allocations a JOIN cases c ON c.id = a.case_id \
             WHERE a.application_id = $1 ORDER BY c.created_at DESC, c.id",
            application.to_string(),
        )
        .await
    }

    /// The allocations of an organisation's resources, requested ones first.
    pub async fn allocations_provided_by(
        &self,
        provider: OrganisationId,
    ) -> Result<Vec<Case>, StoreError> {
        self.allocation_cases(
            "SELECT c.data FROM allocations a JOIN cases c ON c.id = a.case_id \
             WHERE a.provider_organisation_id = $1 \
             ORDER BY CASE a.state WHEN 'requested' THEN 0 WHEN 'active' THEN 1 ELSE 2 END, \
             a.ends, c.id",
            provider.to_string(),
        )
        .await
    }

    /// Allocations whose extension waits for a decision of the programmes
    /// of `organisation`.
    pub async fn extensions_awaiting(
        &self,
        organisation: OrganisationId,
    ) -> Result<Vec<Case>, StoreError> {
        self.allocation_cases(
            "SELECT c.data FROM allocations a JOIN cases c ON c.id = a.case_id \
             WHERE a.programme_organisation_id = $1 AND a.awaiting_programme = 1 \
             ORDER BY c.due_date, c.id",
            organisation.to_string(),
        )
        .await
    }

    /// The sweep's work: active allocations whose last day is `until` or
    /// earlier (reminders and ends), and requests still undecided (those
    /// past their provider's deadline lapse).
    pub async fn allocations_ending(&self, until: Day) -> Result<Vec<Case>, StoreError> {
        self.allocation_cases(
            "SELECT c.data FROM allocations a JOIN cases c ON c.id = a.case_id \
             WHERE (a.state = 'active' AND a.ends <= $1) OR a.state = 'requested' \
             ORDER BY a.ends, c.id",
            until.to_string(),
        )
        .await
    }
}
