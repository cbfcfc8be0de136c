//! `/api/v1/datasets`: the data library's datasets (metadata; files and
//! search follow).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use senim_domain::{Dataset, DatasetInput};

use senim_app::auth::Caller;
use senim_app::datasets::{
    create_dataset, dataset_for, search, update_dataset, DatasetList, DatasetQuery,
};
use senim_app::error::{ApiError, ErrorBody};
use senim_app::extract::{etag, IfMatch, JsonBody, QueryParams};
use senim_app::policy::Action;
use senim_app::state::AppState;

fn answer(status: StatusCode, dataset: Dataset) -> impl IntoResponse {
    (status, [etag(dataset.revision)], Json(dataset))
}

/// Search the library's datasets (their metadata is public at every access
/// level): full text in Kazakh, Russian and English, filters, and facet counts.
#[utoipa::path(get, path = "/api/v1/datasets", tag = "datasets", params(DatasetQuery),
    responses((status = 200, body = DatasetList), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(query): QueryParams<DatasetQuery>,
) -> Result<Json<DatasetList>, ApiError> {
    Ok(Json(search(&state, &caller, query).await?))
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
    let JsonBody(input) = body?;
    let dataset = create_dataset(&state, &caller, input).await?;
    Ok(answer(StatusCode::CREATED, dataset))
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
    let expected_revision = if_match.required()?;
    let JsonBody(input) = body?;
    let dataset = update_dataset(&state, &caller, dataset, expected_revision, input).await?;
    Ok(answer(StatusCode::OK, dataset))
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
