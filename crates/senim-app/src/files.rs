//! Files of the data library: resumable uploads (`/api/v1/datasets/{id}/uploads`,
//! `/api/v1/uploads/{id}`) and downloads with ranges
//! (`/api/v1/resources/{id}/file`). The mechanics are in `crate::blobs`.

use senim_domain::{Resource, ResourceId};
use senim_store::{Applied, Command};

use crate::auth::Caller;
use crate::blobs::Upload;
use crate::error::ApiError;
use crate::state::AppState;

pub fn guess_media_type(name: &str) -> &'static str {
    let lower = name.to_lowercase();
    match lower.rsplit('.').next().unwrap_or("") {
        "csv" => "text/csv",
        "json" => "application/json",
        "parquet" => "application/vnd.apache.parquet",
        "txt" => "text/plain",
        "zip" => "application/zip",
        "gz" => "application/gzip",
        "pdf" => "application/pdf",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        _ => "application/octet-stream",
    }
}

/// A finished upload becomes one of its dataset's files (in the log).
pub async fn add_resource(
    state: &AppState,
    caller: &Caller,
    upload: Upload,
    schema: Option<senim_domain::dataset::TableSchema>,
) -> Result<Resource, ApiError> {
    let resource = Resource {
        id: ResourceId::generate(),
        dataset_id: upload.dataset_id,
        name: upload.name,
        media_type: upload.media_type,
        size: upload.size,
        sha256: upload.sha256,
        schema,
        created_at: state.clock.now(),
    };
    match state
        .execute(caller.actor(), Command::AddResource(Box::new(resource)))
        .await?
    {
        Applied::Resource(r) => Ok(*r),
        _ => Err(ApiError::internal()),
    }
}
