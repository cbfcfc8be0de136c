//! The data library's datasets: writes, replays and reads.

use serde_json::json;
use sqlx::{AnyConnection, Row};

use senim_domain::{AccessLevel, Dataset, DatasetId, DatasetInput, OrganisationId, Timestamp};

use crate::command::{Applied, EventDraft, Step};
use crate::error::StoreError;
use crate::query::Page;
use crate::rows::{data, like_pattern, Sql};
use crate::Store;

fn search_text(d: &Dataset) -> String {
    let m = &d.metadata;
    let mut parts = vec![
        m.title.kk.clone().unwrap_or_default(),
        m.title.ru.clone().unwrap_or_default(),
        m.title.en.clone().unwrap_or_default(),
        m.description.kk.clone().unwrap_or_default(),
        m.description.ru.clone().unwrap_or_default(),
        m.description.en.clone().unwrap_or_default(),
        m.producer.name.clone(),
    ];
    parts.extend(m.keywords.iter().cloned());
    parts.extend(m.themes.iter().map(|t| t.as_str().to_string()));
    parts.join(" ").to_lowercase()
}

async fn write(conn: &mut AnyConnection, d: &Dataset, new: bool) -> Result<(), StoreError> {
    let sql = if new {
        "INSERT INTO datasets (id, organisation_id, access, revision, search_text, data, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    } else {
        "UPDATE datasets SET organisation_id = $2, access = $3, revision = $4, search_text = $5, \
         data = $6, created_at = $7, updated_at = $8 WHERE id = $1"
    };
    sqlx::query(sql)
        .bind(d.id.to_string())
        .bind(d.organisation_id.to_string())
        .bind(d.metadata.access.as_str())
        .bind(d.revision)
        .bind(search_text(d))
        .bind(serde_json::to_string(d)?)
        .bind(d.created_at.to_rfc3339())
        .bind(d.updated_at.to_rfc3339())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

fn event(kind: &'static str, d: &Dataset) -> EventDraft {
    EventDraft {
        kind,
        subject_type: "dataset",
        subject_id: d.id.to_string(),
        payload: json!({ "dataset": d }),
        public: None,
        replay: None,
    }
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
        Some(event("dataset.created", &dataset)),
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
    if current.revision != expected_revision {
        return Err(StoreError::conflict(
            format!(
                "the dataset is at revision {}, not {expected_revision}: someone changed it since you read it; reload and try again",
                current.revision
            ),
            current.revision.to_string(),
        ));
    }
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
        Some(event("dataset.updated", &dataset)),
    ))
}

pub(crate) async fn replay(
    conn: &mut AnyConnection,
    kind: &str,
    payload: &serde_json::Value,
) -> Result<(), StoreError> {
    let dataset: Dataset = serde_json::from_value(payload["dataset"].clone())?;
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

/// What a dataset list shows.
#[derive(Debug, Clone, Default)]
pub struct DatasetFilter {
    pub organisation: Option<OrganisationId>,
    pub access: Option<AccessLevel>,
    /// Words in the titles, descriptions, keywords, themes or producer.
    pub text: Option<String>,
    pub after: Option<String>,
    pub limit: u32,
}

impl Store {
    pub async fn dataset(&self, id: DatasetId) -> Result<Dataset, StoreError> {
        let mut conn = self.reader().acquire().await?;
        dataset_in(&mut conn, id).await
    }

    pub async fn datasets(&self, filter: &DatasetFilter) -> Result<Page<Dataset>, StoreError> {
        let mut sql = Sql::default();
        if let Some(org) = filter.organisation {
            sql.push(" AND organisation_id = ").bind(org.to_string());
        }
        if let Some(access) = filter.access {
            sql.push(" AND access = ").bind(access.as_str());
        }
        if let Some(t) = filter
            .text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            sql.push(" AND search_text LIKE ")
                .bind(like_pattern(t))
                .push(" ESCAPE '\\'");
        }
        crate::query::fetch_page_with(
            self.reader(),
            "datasets",
            "",
            sql,
            &filter.after,
            filter.limit,
            |_, _: &mut Dataset| Ok(()),
        )
        .await
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
        Some(EventDraft {
            kind: "resource.added",
            subject_type: "dataset",
            subject_id: resource.dataset_id.to_string(),
            payload: json!({ "resource": resource }),
            public: None,
            replay: None,
        }),
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
    .bind(serde_json::to_string(r)?)
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
) -> Step {
    let payload = json!({
        "resource_id": resource.id, "dataset_id": resource.dataset_id,
        "sha256": resource.sha256, "downloader": downloader, "grant": grant,
    });
    let mut public = payload.clone();
    public["downloader"] = serde_json::Value::Null;
    public["grant"] = serde_json::Value::Null;
    (
        Applied::Done,
        Some(EventDraft {
            kind: "resource.downloaded",
            subject_type: "dataset",
            subject_id: resource.dataset_id.to_string(),
            payload,
            public: Some(public),
            replay: None,
        }),
    )
}

pub(crate) async fn replay_resource(
    conn: &mut AnyConnection,
    payload: &serde_json::Value,
) -> Result<(), StoreError> {
    let r: senim_domain::Resource = serde_json::from_value(payload["resource"].clone())?;
    write_resource(conn, &r).await
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
                c.data_access
                    .as_ref()
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
    /// The systems whose current version names the dataset.
    pub async fn dataset_uses(&self, dataset: DatasetId) -> Result<Vec<DatasetUse>, StoreError> {
        let rows = sqlx::query(
            "SELECT s.data, l.role FROM system_datasets l JOIN systems s ON s.id = l.system_id \
             WHERE l.dataset_id = $1 ORDER BY s.id, l.role",
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
