//! `POST /api/v1/cases/{id}/metrics`: the algorithmic audit of an audit case.
//! The auditor sends the system's predictions on an evaluation set (CSV or
//! Parquet, the body) and names its columns; Senim keeps the file as a blob
//! (its digest goes into the case and the log), computes the metrics with
//! `senim-fairness`, checks them against the thresholds of the audit's rule
//! pack, and records the run on the case, with a finding for each breach.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;

use senim_domain::case::Case;
use senim_domain::CaseId;

use crate::cases::respond;
use senim_app::audit::{invalid, prepare, MetricsQuery, MAX_PREDICTIONS_BYTES};
use senim_app::auth::Caller;
use senim_app::cases::shown;
use senim_app::error::ErrorCode;
use senim_app::error::{ApiError, ErrorBody};
use senim_app::extract::path_id;
use senim_app::extract::{IfMatch, QueryParams};
use senim_app::state::AppState;

/// Run the algorithmic audit on a predictions file (the auditor of an open audit).
///
/// The body is the file (CSV with a header row, or Parquet), at most 256 MiB;
/// the query names its columns. Metrics follow Fairlearn 0.15 (docs/METRICS.md);
/// the audit's rule pack's thresholds become findings with their citation.
#[utoipa::path(post, path = "/api/v1/cases/{id}/metrics", tag = "cases",
    params(("id" = String, Path, description = "Audit case id"),
           ("If-Match" = String, Header, description = "The case's revision"),
           MetricsQuery),
    request_body(content = Vec<u8>, content_type = "text/csv"),
    responses((status = 200, body = crate::cases::CaseDetail), (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn run(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    if_match: IfMatch,
    QueryParams(query): QueryParams<MetricsQuery>,
    body: Body,
) -> Result<impl IntoResponse, ApiError> {
    let id: CaseId = path_id(&id, "case")?;
    let case: Case = state.store.case(id).await?;
    let pending = prepare(&state, &caller, case, if_match.required()?, &query).await?;
    let body = axum::body::to_bytes(body, MAX_PREDICTIONS_BYTES)
        .await
        .map_err(|_| {
            ApiError::field(
                ErrorCode::PayloadTooLarge,
                "body",
                format!("must be at most {} MiB", MAX_PREDICTIONS_BYTES >> 20),
            )
        })?;
    if body.is_empty() {
        return Err(invalid("body", "is empty: send the predictions file"));
    }
    let case = pending.run(&state, &caller, body).await?;
    Ok(respond(
        &state,
        StatusCode::OK,
        shown(&state, &caller, case),
    ))
}
