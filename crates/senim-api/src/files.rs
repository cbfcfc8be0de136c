//! Files of the data library: resumable uploads (`/api/v1/datasets/{id}/uploads`,
//! `/api/v1/uploads/{id}`) and downloads with ranges
//! (`/api/v1/resources/{id}/file`). The mechanics are in `senim_app::blobs`.

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use senim_domain::dataset::{check_file_name, check_sha256};
use senim_domain::{AccessLevel, Dataset, DatasetId, FieldError, Resource, ResourceId};
use senim_store::Command;

use senim_app::auth::Caller;
use senim_app::blobs::Upload;
use senim_app::datasets::dataset_for;
use senim_app::error::ErrorCode;
use senim_app::error::{ApiError, ErrorBody};
use senim_app::extract::path_id;
use senim_app::extract::JsonBody;
use senim_app::files::{add_resource, guess_media_type};
use senim_app::policy::{Action, Resource as PolicyResource};
use senim_app::state::AppState;

/// What a steward declares before sending a file's bytes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UploadInput {
    pub name: String,
    pub size: u64,
    /// The file's SHA-256 in hex; checked when the last byte arrives.
    pub sha256: String,
    #[serde(default)]
    pub media_type: Option<String>,
}

/// Where an upload stands.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UploadStatus {
    pub id: String,
    pub dataset_id: DatasetId,
    pub name: String,
    pub size: u64,
    /// Bytes received: send the next chunk from here.
    pub offset: u64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ResourceList {
    pub items: Vec<Resource>,
}

/// Declare an upload to a dataset (its stewards). Send the bytes with `PATCH
/// /api/v1/uploads/{id}`.
#[utoipa::path(post, path = "/api/v1/datasets/{id}/uploads", tag = "datasets",
    params(("id" = String, Path, description = "Dataset id")), request_body = UploadInput,
    responses((status = 201, body = UploadStatus), (status = 403, body = ErrorBody),
              (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn declare(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Result<JsonBody<UploadInput>, ApiError>,
) -> Result<impl IntoResponse, ApiError> {
    let dataset = dataset_for(&state, &caller, &id, Action::DatasetWrite).await?;
    let Some(account) = &caller.account else {
        return Err(ApiError::unauthenticated());
    };
    let JsonBody(input) = body?;
    let mut fields = Vec::new();
    let name = check_file_name(&input.name).map_err(|reason| FieldError {
        field: "name".into(),
        reason,
    });
    let sha256 = check_sha256(&input.sha256).map_err(|reason| FieldError {
        field: "sha256".into(),
        reason,
    });
    if input.size > state.config.max_upload_bytes {
        return Err(ApiError::field(
            ErrorCode::PayloadTooLarge,
            "size",
            format!(
                "must be at most {} bytes (the configured limit)",
                state.config.max_upload_bytes
            ),
        ));
    }
    let media_type = match input.media_type {
        Some(m) if m.contains('/') && m.len() < 200 && !m.contains(char::is_whitespace) => Ok(m),
        Some(_) => Err(FieldError {
            field: "media_type".into(),
            reason: "must be a media type such as text/csv".into(),
        }),
        None => Ok(guess_media_type(&input.name).to_string()),
    };
    for r in [&name, &sha256, &media_type] {
        if let Err(e) = r {
            fields.push(e.clone());
        }
    }
    let (Ok(name), Ok(sha256), Ok(media_type)) = (name, sha256, media_type) else {
        return Err(ApiError::invalid(fields));
    };
    let upload = Upload {
        id: uuid::Uuid::now_v7().simple().to_string(),
        dataset_id: dataset.id,
        account_id: account.id,
        name,
        media_type,
        size: input.size,
        sha256,
        created_at: state.clock.now(),
    };
    state.blobs.declare(&upload)?;
    let status = UploadStatus {
        id: upload.id.clone(),
        dataset_id: upload.dataset_id,
        name: upload.name,
        size: upload.size,
        offset: 0,
    };
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/uploads/{}", upload.id))],
        Json(status),
    ))
}

fn own_upload(caller: &Caller, state: &AppState, id: &str) -> Result<(Upload, u64), ApiError> {
    let (upload, offset) = state.blobs.status(id)?;
    if caller.account.as_ref().map(|a| a.id) != Some(upload.account_id) {
        return Err(ApiError::not_found("upload"));
    }
    Ok((upload, offset))
}

/// The uploader's own upload, and they may still write to its dataset (a
/// steward who lost the role, or a read-only token, may not go on).
async fn writable_upload(
    caller: &Caller,
    state: &AppState,
    id: &str,
) -> Result<(Upload, u64), ApiError> {
    let (upload, offset) = own_upload(caller, state, id)?;
    let dataset = state.store.dataset(upload.dataset_id).await?;
    caller.require(
        state,
        Action::DatasetWrite,
        &PolicyResource::Organisation(dataset.organisation_id),
    )?;
    Ok((upload, offset))
}

fn offset_header(offset: u64) -> (header::HeaderName, HeaderValue) {
    (
        header::HeaderName::from_static("upload-offset"),
        HeaderValue::from(offset),
    )
}

/// Where an upload stands (its uploader); `Upload-Offset` says where to resume.
#[utoipa::path(get, path = "/api/v1/uploads/{id}", tag = "datasets",
    params(("id" = String, Path, description = "Upload id")),
    responses((status = 200, body = UploadStatus), (status = 404, body = ErrorBody)))]
pub async fn status(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let (upload, offset) = own_upload(&caller, &state, &id)?;
    Ok((
        [offset_header(offset)],
        Json(UploadStatus {
            id: upload.id,
            dataset_id: upload.dataset_id,
            name: upload.name,
            size: upload.size,
            offset,
        }),
    ))
}

/// Abandon an upload (its uploader).
#[utoipa::path(delete, path = "/api/v1/uploads/{id}", tag = "datasets",
    params(("id" = String, Path, description = "Upload id")),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn abandon(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    writable_upload(&caller, &state, &id).await?;
    state.blobs.discard(&id)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Send a chunk: `Upload-Offset` names where it starts (the upload's current
/// size), the body is the bytes (`application/offset+octet-stream`). The
/// answer is 204 with the new `Upload-Offset`, or, with the last byte, 201
/// and the new resource once its SHA-256 matched.
#[utoipa::path(patch, path = "/api/v1/uploads/{id}", tag = "datasets",
    params(("id" = String, Path, description = "Upload id"),
           ("Upload-Offset" = u64, Header, description = "Where this chunk starts")),
    responses((status = 201, body = Resource), (status = 204),
              (status = 409, body = ErrorBody), (status = 413, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn append(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    request: Request,
) -> Result<Response, ApiError> {
    let (upload, _) = writable_upload(&caller, &state, &id).await?;
    let offset = request
        .headers()
        .get("upload-offset")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .ok_or_else(|| {
            ApiError::field(
                ErrorCode::MalformedRequest,
                "Upload-Offset",
                "is required: the byte offset this chunk starts at",
            )
        })?;
    let stream = request.into_body().into_data_stream().boxed();
    let offset = state.blobs.append(&id, offset, stream).await?;
    if offset < upload.size {
        return Ok((StatusCode::NO_CONTENT, [offset_header(offset)]).into_response());
    }
    let (upload, schema) = state.blobs.finish(&id).await?;
    let r = add_resource(&state, &caller, upload, schema).await?;
    Ok((
        StatusCode::CREATED,
        [
            offset_header(offset),
            (
                header::LOCATION,
                HeaderValue::from_str(&format!("/api/v1/resources/{}", r.id))
                    .map_err(|_| ApiError::internal())?,
            ),
        ],
        Json(r),
    )
        .into_response())
}

/// A dataset's files (their descriptions are public at every access level).
#[utoipa::path(get, path = "/api/v1/datasets/{id}/resources", tag = "datasets",
    params(("id" = String, Path, description = "Dataset id")),
    responses((status = 200, body = ResourceList), (status = 404, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ResourceList>, ApiError> {
    let dataset = dataset_for(&state, &caller, &id, Action::DatasetRead).await?;
    let id = dataset.id;
    Ok(Json(ResourceList {
        items: state.store.resources_of(id).await?,
    }))
}

/// One file's description.
#[utoipa::path(get, path = "/api/v1/resources/{id}", tag = "datasets",
    params(("id" = String, Path, description = "Resource id")),
    responses((status = 200, body = Resource), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Resource>, ApiError> {
    let id: ResourceId = path_id(&id, "resource")?;
    let resource = state.store.resource(id).await?;
    let dataset = state.store.dataset(resource.dataset_id).await?;
    caller.require(
        &state,
        Action::DatasetRead,
        &PolicyResource::Organisation(dataset.organisation_id),
    )?;
    Ok(Json(resource))
}

/// Who may have the bytes: open to anyone, registered to any account,
/// restricted to the owning organisation and to holders of a grant in
/// force, closed to the owning organisation only. `Some(grant)` (or
/// `Some(None)` for the owner) when the download must be logged.
async fn may_download(
    state: &AppState,
    caller: &Caller,
    dataset: &Dataset,
) -> Result<Option<Option<senim_domain::CaseId>>, ApiError> {
    let level = dataset.metadata.access;
    if level == AccessLevel::Open {
        return Ok(None);
    }
    let Some(account) = &caller.account else {
        return Err(ApiError::unauthenticated());
    };
    if level == AccessLevel::Registered {
        return Ok(None);
    }
    if account.organisation_id == Some(dataset.organisation_id) {
        return Ok(Some(None));
    }
    if level == AccessLevel::Closed {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "the dataset is closed: only its description is published",
        ));
    }
    let today = senim_domain::Day::of(state.clock.now());
    let grant = state
        .store
        .grants_of(account.id, dataset.id)
        .await?
        .into_iter()
        .find(|c| {
            matches!(&c.body, senim_domain::case::CaseBody::DataAccess { state, body: Some(a) }
                if a.holds(*state, today))
        });
    match grant {
        Some(g) => Ok(Some(Some(g.id))),
        None => Err(ApiError::new(
            ErrorCode::Forbidden,
            "the dataset is restricted: ask its stewards for access (POST /api/v1/cases with kind data_access)",
        )),
    }
}

/// The byte range of a `Range: bytes=...` header (one range), or 416.
fn byte_range(headers: &HeaderMap, size: u64) -> Result<Option<(u64, u64)>, ApiError> {
    let Some(value) = headers.get(header::RANGE).and_then(|v| v.to_str().ok()) else {
        return Ok(None);
    };
    let unsatisfiable = || {
        ApiError::field(
            ErrorCode::RangeNotSatisfiable,
            "Range",
            format!("must be one range within the file's {size} bytes, e.g. bytes=0-1023"),
        )
    };
    let spec = value.strip_prefix("bytes=").ok_or_else(unsatisfiable)?;
    if spec.contains(',') {
        return Err(unsatisfiable());
    }
    let (a, b) = spec.split_once('-').ok_or_else(unsatisfiable)?;
    let (start, end) = match (a.trim(), b.trim()) {
        ("", n) => {
            let n: u64 = n.parse().map_err(|_| unsatisfiable())?;
            if n == 0 {
                return Err(unsatisfiable());
            }
            (size.saturating_sub(n), size.saturating_sub(1))
        }
        (a, "") => (
            a.parse().map_err(|_| unsatisfiable())?,
            size.saturating_sub(1),
        ),
        (a, b) => (
            a.parse().map_err(|_| unsatisfiable())?,
            b.parse::<u64>()
                .map_err(|_| unsatisfiable())?
                .min(size.saturating_sub(1)),
        ),
    };
    if size == 0 || start > end || start >= size {
        return Err(unsatisfiable());
    }
    Ok(Some((start, end)))
}

/// Download a file, whole or one byte range (`Range: bytes=a-b`). Downloads
/// of restricted data are recorded in the audit log, the downloader as a
/// private part.
#[utoipa::path(get, path = "/api/v1/resources/{id}/file", tag = "datasets",
    params(("id" = String, Path, description = "Resource id")),
    responses((status = 200, content_type = "application/octet-stream", body = String),
              (status = 206), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 416, body = ErrorBody)))]
pub async fn download(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    method: axum::http::Method,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id: ResourceId = path_id(&id, "resource")?;
    let resource = state.store.resource(id).await?;
    let dataset = state.store.dataset(resource.dataset_id).await?;
    let logged = may_download(&state, &caller, &dataset).await?;
    let range = byte_range(&headers, resource.size)?;
    let stream = state
        .blobs
        .read(&resource.sha256, range.map(|(a, b)| a..b + 1))
        .await?;
    // One event per download: a HEAD reads nothing, and a range that does
    // not start at 0 continues a download already recorded.
    let starts = range.is_none_or(|(a, _)| a == 0);
    let counted = method == axum::http::Method::GET && starts;
    if let (Some(grant), Some(account), true) = (logged, &caller.account, counted) {
        state
            .execute(
                caller.actor(),
                Command::RecordDownload {
                    resource: Box::new(resource.clone()),
                    downloader: account.id,
                    grant,
                },
            )
            .await?;
    }
    let digest = hex::decode(&resource.sha256).unwrap_or_default();
    let mut response = Response::new(Body::from_stream(stream));
    let h = response.headers_mut();
    let set = |h: &mut HeaderMap, name: header::HeaderName, value: String| {
        if let Ok(v) = HeaderValue::from_str(&value) {
            h.insert(name, v);
        }
    };
    set(h, header::CONTENT_TYPE, resource.media_type.clone());
    set(h, header::ACCEPT_RANGES, "bytes".into());
    set(h, header::ETAG, format!("\"{}\"", resource.sha256));
    set(
        h,
        header::HeaderName::from_static("repr-digest"),
        format!(
            "sha-256=:{}:",
            base64::engine::general_purpose::STANDARD.encode(digest)
        ),
    );
    let disposition: String = resource
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' {
                c
            } else {
                '_'
            }
        })
        .collect();
    set(
        h,
        header::CONTENT_DISPOSITION,
        format!("attachment; filename=\"{disposition}\""),
    );
    match range {
        Some((a, b)) => {
            set(h, header::CONTENT_LENGTH, (b - a + 1).to_string());
            set(
                h,
                header::CONTENT_RANGE,
                format!("bytes {a}-{b}/{}", resource.size),
            );
        }
        None => set(h, header::CONTENT_LENGTH, resource.size.to_string()),
    }
    if range.is_some() {
        *response.status_mut() = StatusCode::PARTIAL_CONTENT;
    }
    Ok(response)
}
