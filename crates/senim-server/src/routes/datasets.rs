//! `/api/v1/datasets`: the data library's datasets (metadata; files and
//! search follow).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use senim_domain::{AccessLevel, Dataset, DatasetId, DatasetInput, FieldError, OrganisationId};
use senim_store::{Applied, Command, DatasetFilter};

use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{etag, IfMatch, JsonBody, QueryParams};
use crate::policy::{Action, Resource};
use crate::routes::{decode_cursor, encode_cursor, page_limit, path_id};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DatasetQuery {
    pub organisation: Option<OrganisationId>,
    pub access: Option<AccessLevel>,
    /// Words in the titles, descriptions, keywords, themes or producer.
    pub q: Option<String>,
    pub cursor: Option<String>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DatasetList {
    pub items: Vec<Dataset>,
    pub total: i64,
    pub next_cursor: Option<String>,
}

/// The dataset at `id` (a path segment), if the caller may do `action` on
/// its organisation's datasets.
pub(crate) async fn dataset_for(
    state: &AppState,
    caller: &Caller,
    id: &str,
    action: Action,
) -> Result<Dataset, ApiError> {
    let id: DatasetId = path_id(id, "dataset")?;
    let dataset = state.store.dataset(id).await?;
    caller.require(
        state,
        action,
        &Resource::Organisation(dataset.organisation_id),
    )?;
    Ok(dataset)
}

fn answer(status: StatusCode, dataset: Dataset) -> impl IntoResponse {
    (status, [etag(dataset.revision)], Json(dataset))
}

/// Search the library's datasets (their metadata is public at every access level).
#[utoipa::path(get, path = "/api/v1/datasets", tag = "datasets", params(DatasetQuery),
    responses((status = 200, body = DatasetList), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(query): QueryParams<DatasetQuery>,
) -> Result<Json<DatasetList>, ApiError> {
    caller.require(
        &state,
        Action::DatasetRead,
        &Resource::Collection("datasets"),
    )?;
    let page = state
        .store
        .datasets(&DatasetFilter {
            organisation: query.organisation,
            access: query.access,
            text: query.q,
            after: decode_cursor(query.cursor.as_deref())?,
            limit: page_limit(query.limit)?,
        })
        .await?;
    Ok(Json(DatasetList {
        items: page.items,
        total: page.total,
        next_cursor: encode_cursor(page.next_after),
    }))
}

/// Read a dataset's metadata.
#[utoipa::path(get, path = "/api/v1/datasets/{id}", tag = "datasets",
    params(("id" = String, Path, description = "Dataset id")),
    responses((status = 200, body = Dataset, headers(("ETag" = String))), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let dataset = dataset_for(&state, &caller, &id, Action::DatasetRead).await?;
    Ok(answer(StatusCode::OK, dataset))
}

/// Publish a dataset's description (a data steward, for their organisation).
#[utoipa::path(post, path = "/api/v1/datasets", tag = "datasets", request_body = DatasetInput,
    responses((status = 201, body = Dataset, headers(("ETag" = String))),
              (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<JsonBody<DatasetInput>, ApiError>,
) -> Result<impl IntoResponse, ApiError> {
    let Some(account) = &caller.account else {
        return Err(ApiError::unauthenticated());
    };
    let JsonBody(input) = body?;
    let owner = input
        .organisation_id
        .or(account.organisation_id)
        .ok_or_else(|| {
            ApiError::invalid(vec![FieldError {
                field: "organisation_id".into(),
                reason: "is required: your account belongs to no organisation".into(),
            }])
        })?;
    caller.require(&state, Action::DatasetWrite, &Resource::Organisation(owner))?;
    let metadata = input.parse()?;
    match state
        .execute(caller.actor(), Command::CreateDataset { owner, metadata })
        .await?
    {
        Applied::Dataset(d) => Ok(answer(StatusCode::CREATED, *d)),
        _ => Err(ApiError::internal()),
    }
}

/// Replace a dataset's description; `If-Match` carries the revision it starts from.
#[utoipa::path(put, path = "/api/v1/datasets/{id}", tag = "datasets",
    params(("id" = String, Path, description = "Dataset id"),
           ("If-Match" = String, Header, description = "The revision this update starts from")),
    request_body = DatasetInput,
    responses((status = 200, body = Dataset, headers(("ETag" = String))),
              (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody), (status = 428, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    if_match: IfMatch,
    body: Result<JsonBody<DatasetInput>, ApiError>,
) -> Result<impl IntoResponse, ApiError> {
    let dataset = dataset_for(&state, &caller, &id, Action::DatasetWrite).await?;
    let id = dataset.id;
    let expected_revision = if_match.required()?;
    let JsonBody(input) = body?;
    if input
        .organisation_id
        .is_some_and(|o| o != dataset.organisation_id)
    {
        return Err(ApiError::invalid(vec![FieldError {
            field: "organisation_id".into(),
            reason: "cannot change: a dataset stays with its organisation".into(),
        }]));
    }
    let metadata = input.parse()?;
    match state
        .execute(
            caller.actor(),
            Command::UpdateDataset {
                id,
                expected_revision,
                metadata,
            },
        )
        .await?
    {
        Applied::Dataset(d) => Ok(answer(StatusCode::OK, *d)),
        _ => Err(ApiError::internal()),
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DatasetUses {
    pub items: Vec<senim_store::DatasetUse>,
}

/// The registered systems whose current version was trained, validated or
/// tested on the dataset.
#[utoipa::path(get, path = "/api/v1/datasets/{id}/systems", tag = "datasets",
    params(("id" = String, Path, description = "Dataset id")),
    responses((status = 200, body = DatasetUses), (status = 404, body = ErrorBody)))]
pub async fn systems(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<DatasetUses>, ApiError> {
    let dataset = dataset_for(&state, &caller, &id, Action::DatasetRead).await?;
    let id = dataset.id;
    Ok(Json(DatasetUses {
        items: state.store.dataset_uses(id).await?,
    }))
}
