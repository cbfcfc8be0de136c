//! `/api/v1/organisations`: create, read, list, update, withdraw.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;

use senim_domain::{Organisation, OrganisationId, OrganisationInput, OrganisationStatus, Viewer};
use senim_store::OrganisationFilter;

use senim_app::auth::Caller;
use senim_app::error::{ApiError, ErrorBody};
use senim_app::extract::{decode_cursor, encode_cursor, page_limit, path_id};
use senim_app::extract::{etag, IfMatch, JsonBody, OptionalJsonBody, QueryParams};
use senim_app::organisations::{add, change, close};
use senim_app::policy::{Action, Resource};
use senim_app::state::AppState;
use senim_domain::api::{OrganisationList, WithdrawInput};
use senim_domain::system::OperatorRequest;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OrganisationQuery {
    /// `active` or `withdrawn`.
    pub status: Option<OrganisationStatus>,
    /// Words in the name (any language) or the BIN.
    pub q: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<u32>,
}

fn viewer(state: &AppState, caller: &Caller, id: OrganisationId) -> Result<Viewer, ApiError> {
    let owner = caller.may(
        state,
        Action::OrganisationReadOwnerFields,
        &Resource::Organisation(id),
    )?;
    Ok(Viewer {
        owner,
        authority: false,
    })
}

fn respond(status: StatusCode, org: Organisation) -> impl IntoResponse {
    (status, [etag(org.revision)], Json(org))
}

/// List organisations.
#[utoipa::path(get, path = "/api/v1/organisations", tag = "organisations",
    params(OrganisationQuery),
    responses((status = 200, body = OrganisationList), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(query): QueryParams<OrganisationQuery>,
) -> Result<Json<OrganisationList>, ApiError> {
    caller.require(
        &state,
        Action::OrganisationList,
        &Resource::Collection("organisations"),
    )?;
    let filter = OrganisationFilter {
        status: query.status,
        text: query.q,
        after: decode_cursor(query.cursor.as_deref())?,
        limit: page_limit(query.limit)?,
    };
    let page = state.store.organisations(&filter).await?;
    let mut items = Vec::with_capacity(page.items.len());
    for org in page.items {
        let v = viewer(&state, &caller, org.id)?;
        items.push(org.redacted(v));
    }
    Ok(Json(OrganisationList {
        items,
        total: page.total,
        next_cursor: encode_cursor(page.next_after),
    }))
}

/// Register an organisation (administrators).
#[utoipa::path(post, path = "/api/v1/organisations", tag = "organisations",
    request_body = OrganisationInput,
    responses((status = 201, body = Organisation), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<JsonBody<OrganisationInput>, ApiError>,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(
        &state,
        Action::OrganisationCreate,
        &Resource::Collection("organisations"),
    )?;
    let JsonBody(input) = body?;
    let org = add(&state, &caller, input).await?;
    Ok(respond(StatusCode::CREATED, org))
}

/// Read one organisation.
#[utoipa::path(get, path = "/api/v1/organisations/{id}", tag = "organisations",
    params(("id" = String, Path, description = "Organisation id")),
    responses((status = 200, body = Organisation, headers(("ETag" = String))), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let id: OrganisationId = path_id(&id, "organisation")?;
    caller.require(
        &state,
        Action::OrganisationRead,
        &Resource::Organisation(id),
    )?;
    let org = state.store.organisation(id).await?;
    let v = viewer(&state, &caller, id)?;
    Ok(respond(StatusCode::OK, org.redacted(v)))
}

/// Replace an organisation's details; `If-Match` carries the revision read.
#[utoipa::path(put, path = "/api/v1/organisations/{id}", tag = "organisations",
    params(("id" = String, Path, description = "Organisation id"),
           ("If-Match" = String, Header, description = "The ETag of the revision being updated")),
    request_body = OrganisationInput,
    responses((status = 200, body = Organisation), (status = 409, body = ErrorBody),
              (status = 428, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    if_match: IfMatch,
    body: Result<JsonBody<OrganisationInput>, ApiError>,
) -> Result<impl IntoResponse, ApiError> {
    let id: OrganisationId = path_id(&id, "organisation")?;
    caller.require(
        &state,
        Action::OrganisationUpdate,
        &Resource::Organisation(id),
    )?;
    let expected_revision = if_match.required()?;
    let JsonBody(input) = body?;
    let org = change(&state, &caller, id, expected_revision, input).await?;
    Ok(respond(StatusCode::OK, org))
}

/// Withdraw an organisation from the register (administrators).
#[utoipa::path(post, path = "/api/v1/organisations/{id}/withdraw", tag = "organisations",
    params(("id" = String, Path, description = "Organisation id")),
    request_body(content = Option<WithdrawInput>),
    responses((status = 200, body = Organisation), (status = 409, body = ErrorBody)))]
pub async fn withdraw(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    if_match: IfMatch,
    body: Result<OptionalJsonBody<WithdrawInput>, ApiError>,
) -> Result<impl IntoResponse, ApiError> {
    let id: OrganisationId = path_id(&id, "organisation")?;
    caller.require(
        &state,
        Action::OrganisationWithdraw,
        &Resource::Organisation(id),
    )?;
    let OptionalJsonBody(input) = body?;
    let org = close(
        &state,
        &caller,
        id,
        if_match.0,
        input.and_then(|i| i.reason),
    )
    .await?;
    Ok(respond(StatusCode::OK, org))
}

/// The systems whose owners name this organisation as their operator and
/// await its answer (its own accounts and the authority); until it accepts
/// (`POST /api/v1/systems/{id}/operator`), a system is not listed under it.
#[utoipa::path(get, path = "/api/v1/organisations/{id}/operator-requests", tag = "organisations",
    params(("id" = String, Path, description = "Organisation id")),
    responses((status = 200, body = Vec<OperatorRequest>), (status = 403, body = ErrorBody)))]
pub async fn operator_requests(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<OperatorRequest>>, ApiError> {
    let id: OrganisationId = path_id(&id, "organisation")?;
    Ok(Json(
        senim_app::systems::operator_requests(&state, &caller, id).await?,
    ))
}
