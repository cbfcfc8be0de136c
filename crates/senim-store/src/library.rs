//! The data library's datasets: writes, replays and reads.

use sqlx::{AnyConnection, Row};

use senim_domain::{Dataset, DatasetId, DatasetInput, OrganisationId, Timestamp};

use crate::command::{check_current, Applied, EventDraft, Step};
use crate::error::StoreError;
use crate::logged::{DatasetChanged, ResourceAdded, ResourceDownloaded};
use crate::record::{self, Recorded};
use crate::rows::{data, Sql};
use crate::Store;

async fn write(conn: &mut AnyConnection, d: &Dataset, new: bool) -> Result<(), StoreError> {
    let sql = if new {
        "INSERT INTO datasets (id, organisation_id, access, revision, data, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)"
    } else {
        "UPDATE datasets SET organisation_id = $2, access = $3, revision = $4, \
         data = $5, created_at = $6, updated_at = $7 WHERE id = $1"
    };
    sqlx::query(sql)
        .bind(d.id.to_string())
        .bind(d.organisation_id.to_string())
        .bind(d.metadata.access.as_str())
        .bind(d.revision)
        .bind(record::json(d)?)
        .bind(d.created_at.to_rfc3339())
        .bind(d.updated_at.to_rfc3339())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

fn event(kind: &'static str, d: &Dataset) -> Result<EventDraft, StoreError> {
    EventDraft::logged(
        kind,
        "dataset",
        d.id.to_string(),
        &DatasetChanged {
            dataset: d.to_record(),
        },
    )
}

/// Applies [`crate::Command::CreateDataset`].
pub(crate) async fn create(
    conn: &mut AnyConnection,
    owner: OrganisationId,
    metadata: DatasetInput,
    now: Timestamp,
) -> Result<Step, StoreError> {
    crate::command::require_organisation(conn, "organisation_id", owner).await?;
    let dataset = Dataset {
        id: DatasetId::generate(),
        organisation_id: owner,
        revision: 1,
        metadata: DatasetInput {
            organisation_id: Some(owner),
            ..metadata
        },
        created_at: now,
        updated_at: now,
    };
    write(conn, &dataset, true).await?;
    Ok((
        Applied::Dataset(Box::new(dataset.clone())),
        Some(event("dataset.created", &dataset)?),
    ))
}

/// Applies [`crate::Command::UpdateDataset`]: a new revision of the metadata.
pub(crate) async fn update(
    conn: &mut AnyConnection,
    id: DatasetId,
    expected_revision: i64,
    metadata: DatasetInput,
    now: Timestamp,
) -> Result<Step, StoreError> {
    let current = dataset_in(conn, id).await?;
    check_current("dataset", "revision", expected_revision, current.revision)?;
    let dataset = Dataset {
        revision: current.revision + 1,
        metadata: DatasetInput {
            organisation_id: Some(current.organisation_id),
            ..metadata
        },
        updated_at: now,
        ..current
    };
    write(conn, &dataset, false).await?;
    Ok((
        Applied::Dataset(Box::new(dataset.clone())),
        Some(event("dataset.updated", &dataset)?),
    ))
}

pub(crate) async fn replay(
    conn: &mut AnyConnection,
    kind: &str,
    payload: &serde_json::Value,
) -> Result<(), StoreError> {
    let event: DatasetChanged = serde_json::from_value(payload.clone())?;
    let dataset = Dataset::from(event.dataset);
    write(conn, &dataset, kind == "dataset.created").await
}

async fn dataset_in(conn: &mut AnyConnection, id: DatasetId) -> Result<Dataset, StoreError> {
    let row = sqlx::query("SELECT data FROM datasets WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            what: "dataset",
            id: id.to_string(),
        })?;
    data(&row)
}

impl Store {
    pub async fn dataset(&self, id: DatasetId) -> Result<Dataset, StoreError> {
        let mut conn = self.reader().acquire().await?;
        dataset_in(&mut conn, id).await
    }

    /// The datasets with these ids, in the order given (ids of datasets that
    /// do not exist are skipped): what a search found.
    pub async fn datasets_by_id(&self, ids: &[DatasetId]) -> Result<Vec<Dataset>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new("SELECT data FROM datasets WHERE id IN ");
        sql.push_list(ids.iter().map(ToString::to_string));
        let rows = sql.query().fetch_all(self.reader()).await?;
        let mut found: std::collections::HashMap<DatasetId, Dataset> = rows
            .iter()
            .map(|r| data::<Dataset>(r).map(|d| (d.id, d)))
            .collect::<Result<_, _>>()?;
        Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
    }

    /// The files of each of these datasets, in the order they were added.
    pub async fn resources_of_datasets(
        &self,
        ids: &[DatasetId],
    ) -> Result<std::collections::HashMap<DatasetId, Vec<senim_domain::Resource>>, StoreError> {
        let mut out: std::collections::HashMap<DatasetId, Vec<senim_domain::Resource>> =
            std::collections::HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let mut sql = Sql::new("SELECT data FROM resources WHERE dataset_id IN ");
        sql.push_list(ids.iter().map(ToString::to_string))
            .push(" ORDER BY id");
        for row in sql.query().fetch_all(self.reader()).await? {
            let r: senim_domain::Resource = data(&row)?;
            out.entry(r.dataset_id).or_default().push(r);
        }
        Ok(out)
    }

    /// Up to `limit` datasets in id order after `after`, each with its
    /// files: what the search index is built from.
    pub async fn datasets_after(
        &self,
        after: Option<DatasetId>,
        limit: u32,
    ) -> Result<Vec<(Dataset, Vec<senim_domain::Resource>)>, StoreError> {
        let rows = sqlx::query("SELECT data FROM datasets WHERE id > $1 ORDER BY id LIMIT $2")
            .bind(after.map(|a| a.to_string()).unwrap_or_default())
            .bind(i64::from(limit))
            .fetch_all(self.reader())
            .await?;
        let datasets: Vec<Dataset> = rows.iter().map(data).collect::<Result<_, _>>()?;
        let ids: Vec<DatasetId> = datasets.iter().map(|d| d.id).collect();
        let mut files = self.resources_of_datasets(&ids).await?;
        Ok(datasets
            .into_iter()
            .map(|d| {
                let f = files.remove(&d.id).unwrap_or_default();
                (d, f)
            })
            .collect())
    }
}

/// Applies [`crate::Command::AddResource`]: a file whose bytes are already in
/// the blob storage becomes part of its dataset.
pub(crate) async fn add_resource(
    conn: &mut AnyConnection,
    resource: senim_domain::Resource,
) -> Result<Step, StoreError> {
    dataset_in(conn, resource.dataset_id).await?;
    write_resource(conn, &resource).await?;
    Ok((
        Applied::Resource(Box::new(resource.clone())),
        Some(EventDraft::logged(
            "resource.added",
            "dataset",
            resource.dataset_id.to_string(),
            &ResourceAdded {
                resource: resource.to_record(),
            },
        )?),
    ))
}

async fn write_resource(
    conn: &mut AnyConnection,
    r: &senim_domain::Resource,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO resources (id, dataset_id, sha256, data, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(r.id.to_string())
    .bind(r.dataset_id.to_string())
    .bind(r.sha256.clone())
    .bind(record::json(r)?)
    .bind(r.created_at.to_rfc3339())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Applies [`crate::Command::RecordDownload`]: a download of restricted data,
/// with the downloader as a private part (only its salted digest is public).
pub(crate) fn record_download(
    resource: &senim_domain::Resource,
    downloader: senim_domain::AccountId,
    grant: Option<senim_domain::CaseId>,
) -> Result<Step, StoreError> {
    let download = |downloader, grant| ResourceDownloaded {
        resource_id: resource.id,
        dataset_id: resource.dataset_id,
        sha256: resource.sha256.clone(),
        downloader,
        grant,
    };
    let event = EventDraft::logged(
        "resource.downloaded",
        "dataset",
        resource.dataset_id.to_string(),
        &download(Some(downloader), grant),
    )?
    .shown(&download(None, None))?;
    Ok((Applied::Done, Some(event)))
}

pub(crate) async fn replay_resource(
    conn: &mut AnyConnection,
    payload: &serde_json::Value,
) -> Result<(), StoreError> {
    let event: ResourceAdded = serde_json::from_value(payload.clone())?;
    write_resource(conn, &senim_domain::Resource::from(event.resource)).await
}

impl Store {
    pub async fn resource(
        &self,
        id: senim_domain::ResourceId,
    ) -> Result<senim_domain::Resource, StoreError> {
        let row = sqlx::query("SELECT data FROM resources WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(self.reader())
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: "resource",
                id: id.to_string(),
            })?;
        data(&row)
    }

    pub async fn resources_of(
        &self,
        dataset: DatasetId,
    ) -> Result<Vec<senim_domain::Resource>, StoreError> {
        let rows = sqlx::query("SELECT data FROM resources WHERE dataset_id = $1 ORDER BY id")
            .bind(dataset.to_string())
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(data).collect()
    }

    /// The requester's grants to a dataset (data access cases now granted).
    pub async fn grants_of(
        &self,
        requester: senim_domain::AccountId,
        dataset: DatasetId,
    ) -> Result<Vec<senim_domain::Case>, StoreError> {
        let rows = sqlx::query(
            "SELECT data FROM cases WHERE kind = 'data_access' AND state = 'granted' AND data LIKE $1",
        )
        .bind(format!("%\"requester\":\"{requester}\"%"))
        .fetch_all(self.reader())
        .await?;
        let cases: Vec<senim_domain::Case> = rows.iter().map(data).collect::<Result<_, _>>()?;
        Ok(cases
            .into_iter()
            .filter(|c| {
                c.data_access()
                    .is_some_and(|a| a.dataset_id == dataset && a.requester == requester)
            })
            .collect())
    }
}

/// Records which datasets a system's current version names (replacing the
/// previous version's links); each must exist in the library.
pub(crate) async fn link_datasets(
    conn: &mut AnyConnection,
    version: &senim_domain::SystemVersion,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM system_datasets WHERE system_id = $1")
        .bind(version.system_id.to_string())
        .execute(&mut *conn)
        .await?;
    for (i, link) in version.datasets.iter().enumerate() {
        let exists = sqlx::query("SELECT 1 FROM datasets WHERE id = $1")
            .bind(link.dataset_id.to_string())
            .fetch_optional(&mut *conn)
            .await?
            .is_some();
        if !exists {
            return Err(StoreError::invalid(
                &format!("datasets[{i}].dataset_id"),
                "names no dataset in the library",
            ));
        }
        sqlx::query(
            "INSERT INTO system_datasets (system_id, dataset_id, role) VALUES ($1, $2, $3)",
        )
        .bind(version.system_id.to_string())
        .bind(link.dataset_id.to_string())
        .bind(link.role.as_str())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// A system that names a dataset, and what it did with it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct DatasetUse {
    pub system_id: senim_domain::SystemId,
    pub name: senim_domain::LocalizedText,
    pub status: senim_domain::SystemStatus,
    pub role: senim_domain::DatasetRole,
}

impl Store {
    /// The public systems whose current version names the dataset (a draft
    /// never submitted is its organisation's own, and is not named here).
    pub async fn dataset_uses(&self, dataset: DatasetId) -> Result<Vec<DatasetUse>, StoreError> {
        let rows = sqlx::query(
            "SELECT s.data, l.role FROM system_datasets l JOIN systems s ON s.id = l.system_id \
             WHERE l.dataset_id = $1 AND s.public = 1 ORDER BY s.id, l.role",
        )
        .bind(dataset.to_string())
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|row| {
                let system: senim_domain::System = data(row)?;
                let role: String = row.try_get("role")?;
                Ok(DatasetUse {
                    system_id: system.id,
                    name: system.name,
                    status: system.status,
                    role: role.parse().map_err(StoreError::Corrupt)?,
                })
            })
            .collect()
    }
}
