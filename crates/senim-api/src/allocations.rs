//! `/api/v1/platform-resources`, `/api/v1/applications/{id}/allocations`,
//! `/api/v1/allocations`: the Platform's resources (public), offering one
//! (a provider), exchanging an award's credits for one (the awardee), the
//! provider's list, and usage reported by the provider's own systems. The
//! other steps of an allocation are case steps
//! (`POST /api/v1/cases/{id}/steps`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use senim_app::allocations;
use senim_app::auth::Caller;
use senim_app::cases::{apply_step, shown, Expected};
use senim_app::error::{ApiError, ErrorBody};
use senim_app::extract::JsonBody;
use senim_app::state::AppState;
use senim_domain::allocation::{AllocationInput, PlatformResource, ResourceInput};
use senim_domain::{CaseId, Day, PlatformResourceId};

use crate::cases::{respond, CaseDetail};

/// A resource with what is allocated of it now.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ResourceDetail {
    #[serde(flatten)]
    pub resource: PlatformResource,
    /// Units held by requested and active allocations.
    pub allocated: i64,
    /// Units free to allocate.
    pub free: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ResourceList {
    pub items: Vec<ResourceDetail>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AllocationList {
    pub items: Vec<CaseDetail>,
}

fn parse_id<T: std::str::FromStr<Err = String>>(what: &str, id: &str) -> Result<T, ApiError> {
    id.parse().map_err(|_| ApiError::not_found(what))
}

/// Every resource the Platform offers: compute pools, ready models and
/// restricted datasets, with their capacity and exchange rate.
#[utoipa::path(get, path = "/api/v1/platform-resources", tag = "programmes",
    responses((status = 200, body = ResourceList)))]
pub async fn list(State(state): State<AppState>) -> Result<Json<ResourceList>, ApiError> {
    let items = state
        .store
        .platform_resources()
        .await?
        .into_iter()
        .map(|(resource, allocated)| ResourceDetail {
            free: resource.capacity - allocated,
            resource,
            allocated,
        })
        .collect();
    Ok(Json(ResourceList { items }))
}

/// One resource.
#[utoipa::path(get, path = "/api/v1/platform-resources/{id}", tag = "programmes",
    params(("id" = String, Path, description = "Resource id")),
    responses((status = 200, body = ResourceDetail), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ResourceDetail>, ApiError> {
    let id: PlatformResourceId = parse_id("resource", &id)?;
    let (resource, allocated) = state
        .store
        .platform_resources()
        .await?
        .into_iter()
        .find(|(r, _)| r.id == id)
        .ok_or_else(|| ApiError::not_found("resource"))?;
    Ok(Json(ResourceDetail {
        free: resource.capacity - allocated,
        resource,
        allocated,
    }))
}

/// A new resource of the caller's organisation (a resource provider, or a
/// data steward offering one of the organisation's restricted datasets).
#[utoipa::path(post, path = "/api/v1/platform-resources", tag = "programmes", request_body = ResourceInput,
    responses((status = 201, body = PlatformResource), (status = 403, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<JsonBody<ResourceInput>, ApiError>,
) -> Result<impl IntoResponse, ApiError> {
    let JsonBody(input) = body?;
    let resource = allocations::create_resource(&state, &caller, input).await?;
    Ok((StatusCode::CREATED, Json(resource)))
}

/// Exchange credits of an accepted award for a resource (the awardee): an
/// allocation case, which the resource's provider approves or refuses
/// within five working days.
#[utoipa::path(post, path = "/api/v1/applications/{id}/allocations", tag = "programmes",
    params(("id" = String, Path, description = "The application's case id")),
    request_body = AllocationInput,
    responses((status = 201, body = CaseDetail, headers(("ETag" = String))),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn request(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Result<JsonBody<AllocationInput>, ApiError>,
) -> Result<impl IntoResponse, ApiError> {
    let id: CaseId = parse_id("application", &id)?;
    let JsonBody(input) = body?;
    let case = allocations::request(&state, &caller, id, input).await?;
    Ok(respond(
        &state,
        StatusCode::CREATED,
        shown(&state, &caller, case),
    ))
}

/// The allocations an award bought, as the caller may see each.
#[utoipa::path(get, path = "/api/v1/applications/{id}/allocations", tag = "programmes",
    params(("id" = String, Path, description = "The application's case id")),
    responses((status = 200, body = AllocationList), (status = 404, body = ErrorBody)))]
pub async fn of_application(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<AllocationList>, ApiError> {
    let id: CaseId = parse_id("application", &id)?;
    let cases = state.store.allocations_of(id).await?;
    let items = cases
        .into_iter()
        .map(|c| shown(&state, &caller, c))
        .filter(|c| c.allocation().is_some())
        .map(|c| crate::cases::detail(&state, c))
        .collect();
    Ok(Json(AllocationList { items }))
}

/// The allocations of the caller's organisation's resources (a provider):
/// requested ones first, then active ones by last day.
#[utoipa::path(get, path = "/api/v1/allocations/provided", tag = "programmes",
    responses((status = 200, body = AllocationList), (status = 403, body = ErrorBody)))]
pub async fn provided(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<AllocationList>, ApiError> {
    let cases = allocations::provided(&state, &caller).await?;
    let items = cases
        .into_iter()
        .map(|c| crate::cases::detail(&state, shown(&state, &caller, c)))
        .collect();
    Ok(Json(AllocationList { items }))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AssessmentQueue {
    pub items: Vec<crate::cases::CaseDetail>,
}

/// The applications in review waiting for the caller's organisation (a
/// provider) to assess the resources they ask for, oldest first.
#[utoipa::path(get, path = "/api/v1/applications/to-assess", tag = "programmes",
    responses((status = 200, body = AssessmentQueue), (status = 403, body = ErrorBody)))]
pub async fn to_assess(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<AssessmentQueue>, ApiError> {
    let cases = allocations::to_assess(&state, &caller).await?;
    let items = cases
        .into_iter()
        .map(|c| crate::cases::detail(&state, shown(&state, &caller, c)))
        .collect();
    Ok(Json(AssessmentQueue { items }))
}

/// Usage of one day, as a provider's accounting reports it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UsageInput {
    pub day: Day,
    pub units: i64,
    #[serde(default)]
    pub note: Option<String>,
}

/// Report usage against an allocation (the provider). Unlike the other
/// steps it needs no `If-Match`: usage adds up, and the step checks it
/// against the allocation's units and dates whatever was reported before.
#[utoipa::path(post, path = "/api/v1/allocations/{id}/usage", tag = "programmes",
    params(("id" = String, Path, description = "The allocation's case id")),
    request_body = UsageInput,
    responses((status = 200, body = CaseDetail, headers(("ETag" = String))),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn usage(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Result<JsonBody<UsageInput>, ApiError>,
) -> Result<impl IntoResponse, ApiError> {
    let id: CaseId = parse_id("allocation", &id)?;
    let JsonBody(input) = body?;
    let case = state.store.case(id).await?;
    if case.allocation().is_none() {
        return Err(ApiError::not_found("allocation"));
    }
    let revision = case.revision;
    let step = serde_json::json!({
        "action": "report_usage",
        "day": input.day,
        "units": input.units,
        "note": input.note,
    });
    let case = apply_step(&state, &caller, case, Expected::Revision(revision), step).await?;
    Ok(respond(
        &state,
        StatusCode::OK,
        shown(&state, &caller, case),
    ))
}
