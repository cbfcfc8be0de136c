//! The HTTP API under `/api/v1`, one module per resource, plus health,
//! readiness, metrics and the OpenAPI document.

pub mod accounts;
pub mod cases;
pub mod ckan;
pub mod datasets;
pub mod files;
pub mod log;
pub mod metrics;
pub mod organisations;
pub mod rulepacks;
pub mod session;
pub mod standards;
pub mod systems;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::state::AppState;

/// Builds the API routes.
pub fn api() -> Router<AppState> {
    Router::new()
        .route(
            "/organisations",
            get(organisations::list).post(organisations::create),
        )
        .route(
            "/organisations/{id}",
            get(organisations::show).put(organisations::update),
        )
        .route(
            "/organisations/{id}/withdraw",
            post(organisations::withdraw),
        )
        .route("/accounts", get(accounts::list).post(accounts::create))
        .route("/accounts/me", get(accounts::me))
        .route("/accounts/{id}", get(accounts::show).put(accounts::update))
        .route("/accounts/{id}/withdraw", post(accounts::withdraw))
        .route(
            "/accounts/{id}/tokens",
            get(accounts::list_tokens).post(accounts::create_token),
        )
        .route(
            "/accounts/{id}/tokens/{token_id}",
            axum::routing::delete(accounts::revoke_token),
        )
        .route("/systems", get(systems::list).post(systems::create))
        .route("/systems/{id}", get(systems::show))
        .route(
            "/systems/{id}/versions",
            get(systems::versions).post(systems::add_version),
        )
        .route("/systems/{id}/versions/{version}", get(systems::version))
        .route("/systems/{id}/withdraw", post(systems::withdraw))
        .route(
            "/systems/{id}/classifications",
            get(systems::classifications),
        )
        .route("/datasets", get(datasets::list).post(datasets::create))
        .route("/datasets/{id}", get(datasets::show).put(datasets::update))
        .route("/datasets/{id}/uploads", post(files::declare))
        .route("/datasets/{id}/resources", get(files::list))
        .route("/datasets/{id}/systems", get(datasets::systems))
        .route(
            "/uploads/{id}",
            get(files::status)
                .patch(files::append)
                .delete(files::abandon),
        )
        .route("/resources/{id}", get(files::show))
        .route("/resources/{id}/file", get(files::download))
        .route("/cases", get(cases::list).post(cases::create))
        .route("/cases/{id}", get(cases::show))
        .route("/cases/{id}/steps", post(cases::step))
        .route("/cases/{id}/dossier", get(cases::dossier))
        .route("/cases/{id}/metrics", post(metrics::run))
        .route("/reviewers", get(cases::reviewers))
        .route(
            "/reviewers/{account_id}",
            axum::routing::put(cases::set_reviewer),
        )
        .route("/inbox", get(cases::inbox))
        .route("/cases/{id}/audit-report", get(cases::audit_report))
        .route("/reports", post(cases::submit_report))
        .route("/reports/{tracking_code}", get(cases::report_status))
        .route("/decisions", get(cases::decisions))
        .route("/trusted-lists/{sector}", get(cases::trusted_list))
        .route("/review-due/sweep", post(cases::sweep_review_due))
        .route("/classify", post(rulepacks::classify))
        .route("/rulepacks", get(rulepacks::list).post(rulepacks::publish))
        .route("/rulepacks/{id}/{version}", get(rulepacks::show))
        .route(
            "/session",
            get(session::show)
                .post(session::login)
                .delete(session::logout),
        )
        .route("/tokens", post(session::token_login))
        .nest("/log", log::api())
        .route("/openapi.json", get(openapi_json))
}

/// Encodes a store position as an opaque cursor.
pub fn encode_cursor(after: Option<String>) -> Option<String> {
    after.map(|a| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(a))
}

/// Decodes a cursor from a list request.
pub fn decode_cursor(cursor: Option<&str>) -> Result<Option<String>, ApiError> {
    let Some(cursor) = cursor.filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .filter(|s| uuid::Uuid::parse_str(s).is_ok())
        .ok_or_else(|| {
            ApiError::invalid(vec![senim_domain::FieldError {
                field: "cursor".into(),
                reason: "is not a cursor this server returned".into(),
            }])
        })?;
    Ok(Some(bytes))
}

/// A cursor for a list that pages by position (search results, in the
/// order of their relevance).
pub fn encode_offset_cursor(offset: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("@{offset}"))
}

/// Decodes a cursor made by [`encode_offset_cursor`]; no cursor is the start.
pub fn decode_offset_cursor(cursor: Option<&str>) -> Result<usize, ApiError> {
    let Some(cursor) = cursor.filter(|c| !c.is_empty()) else {
        return Ok(0);
    };
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix('@')?.parse().ok())
        .ok_or_else(|| {
            ApiError::invalid(vec![senim_domain::FieldError {
                field: "cursor".into(),
                reason: "is not a cursor this server returned".into(),
            }])
        })
}

/// The page size: 50 unless asked, at most 500.
pub fn page_limit(limit: Option<u32>) -> Result<u32, ApiError> {
    match limit {
        None => Ok(50),
        Some(n) if (1..=500).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::invalid(vec![senim_domain::FieldError {
            field: "limit".into(),
            reason: "must be between 1 and 500".into(),
        }])),
    }
}

/// The optional reason of a withdrawal: trimmed, at most 2,000 characters.
pub fn parse_reason(reason: Option<String>) -> Result<Option<String>, ApiError> {
    match reason {
        None => Ok(None),
        Some(r) => senim_domain::error::optional_text(&r, 2000)
            .map(|t| Some(t).filter(|t| !t.is_empty()))
            .map_err(|reason| {
                ApiError::invalid(vec![senim_domain::FieldError {
                    field: "reason".into(),
                    reason,
                }])
            }),
    }
}

/// Parses an id from the path, or 404 (an id that cannot exist names nothing).
pub fn path_id<T: std::str::FromStr>(text: &str, what: &str) -> Result<T, ApiError> {
    text.parse().map_err(|_| ApiError::not_found(what))
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    pub status: &'static str,
}

/// Liveness: the process answers.
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// Readiness: the database answers and the server is not draining.
pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    if state.is_ready() && state.store.ping().await {
        (StatusCode::OK, Json(Health { status: "ready" })).into_response()
    } else {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the database does not answer or the server is shutting down",
        )
        .into_response()
    }
}

async fn openapi_json() -> impl IntoResponse {
    Json(crate::openapi::document())
}
