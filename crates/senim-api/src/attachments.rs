//! A step's files over the API (issue 20): `POST /api/v1/cases/{id}/attachments`
//! stores one (the body is the file; `action` names the step it is for,
//! `name` the file), and the step names it in `attachments`;
//! `GET /api/v1/cases/{id}/attachments/{sha256}` gives it back to those who
//! may read the dossier. The checks are `senim_app::attachments`'.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;

use senim_domain::case::{Attachment, MAX_ATTACHMENT_BYTES};

use senim_app::auth::Caller;
use senim_app::error::{ApiError, ErrorBody, ErrorCode};
use senim_app::extract::{path_id, QueryParams};
use senim_app::state::AppState;

/// What a file is for.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AttachQuery {
    /// The step the file goes with: `respond`, `respond_finding` or `respond_report`.
    pub action: String,
    /// The file's name (its ending must agree with its content).
    pub name: String,
}

/// Store a file for a step the caller may take; the step then names it in
/// `attachments`. PDF, PNG, JPEG, CSV, plain text, DOCX, XLSX or ODT, at
/// most 25 MiB, its kind checked by its content.
#[utoipa::path(post, path = "/api/v1/cases/{id}/attachments", tag = "cases",
    params(("id" = String, Path, description = "Case id"), AttachQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = Attachment), (status = 403, body = ErrorBody),
              (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn attach(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    QueryParams(query): QueryParams<AttachQuery>,
    body: Body,
) -> Result<impl IntoResponse, ApiError> {
    let id = path_id(&id, "case")?;
    let limit = usize::try_from(MAX_ATTACHMENT_BYTES).unwrap_or(usize::MAX);
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| {
        ApiError::field(
            ErrorCode::PayloadTooLarge,
            "body",
            "must be from 1 byte to 25 MiB",
        )
    })?;
    let attached =
        senim_app::attachments::attach(&state, &caller, id, &query.action, &query.name, bytes)
            .await?;
    Ok((StatusCode::CREATED, Json(attached)))
}

/// A file a step named, for those who may read the case's dossier.
#[utoipa::path(get, path = "/api/v1/cases/{id}/attachments/{sha256}", tag = "cases",
    params(("id" = String, Path, description = "Case id"), ("sha256" = String, Path, description = "The file's SHA-256")),
    responses((status = 200, description = "The file", content_type = "application/octet-stream"),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn read(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, sha256)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let id = path_id(&id, "case")?;
    let found = senim_app::attachments::find(&state, &caller, id, &sha256).await?;
    let stream = state.blobs.read(&found.sha256, None).await?;
    let mut r = Body::from_stream(stream).into_response();
    let headers = r.headers_mut();
    for (name, value) in [
        (header::CONTENT_TYPE, found.media_type.clone()),
        (header::CONTENT_LENGTH, found.size.to_string()),
        (
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename*=UTF-8''{}",
                form_urlencoded::byte_serialize(found.name.as_bytes())
                    .collect::<String>()
                    .replace('+', "%20")
            ),
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff".into()),
        (header::CACHE_CONTROL, "private, no-store".into()),
    ] {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    }
    Ok(r)
}
