//! `/api/v1/systems`: register, read, list, add versions, withdraw.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;

use senim_domain::profile::Sector;
use senim_domain::system::OperatorAnswer;
use senim_domain::{
    OrganisationId, RiskLevel, System, SystemId, SystemInput, SystemStatus, SystemVersion,
    VersionInput, Viewer,
};
use senim_store::SystemFilter;

use senim_app::auth::Caller;
use senim_app::error::{ApiError, ErrorBody};
use senim_app::extract::{etag, IfMatch, JsonBody, OptionalJsonBody, QueryParams};
use senim_app::policy::{Action, Resource};

use senim_app::extract::{decode_cursor, encode_cursor, page_limit, path_id};
use senim_app::state::AppState;
use senim_domain::api::{
    ClassificationHistory, ClassificationRecord, SystemDetail, SystemList, VersionList,
    WithdrawInput,
};
use senim_domain::classification::{Assessment, Lang};

use senim_app::assess::lang;
use senim_app::systems::{
    detail_body, load, new_version, register, viewer, withdraw_system, LangQuery,
};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SystemQuery {
    pub sector: Option<Sector>,
    pub risk_level: Option<RiskLevel>,
    pub status: Option<SystemStatus>,
    /// Owner or holder organisation id.
    pub organisation: Option<OrganisationId>,
    /// Words in any language: names, public documentation, organisations'
    /// names and BINs, sectors, registry numbers; each word also by its
    /// stem, its beginning or a near spelling (as the register page).
    pub q: Option<String>,
    pub cursor: Option<String>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<u32>,
}

async fn detail(
    state: &AppState,
    status: StatusCode,
    system: System,
    version: SystemVersion,
    assessment: Option<Assessment>,
    v: Viewer,
    lang: Lang,
) -> impl IntoResponse {
    let body = detail_body(state, system, version, assessment, v, lang).await;
    (status, [etag(body.system.current_version)], Json(body))
}

/// Search the register.
///
/// A draft never submitted is listed only to its organisation's members
/// (owner or operator) and to the authority.
#[utoipa::path(get, path = "/api/v1/systems", tag = "systems", params(SystemQuery),
    responses((status = 200, body = SystemList), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(query): QueryParams<SystemQuery>,
) -> Result<Json<SystemList>, ApiError> {
    caller.require(&state, Action::SystemList, &Resource::Collection("systems"))?;
    let drafts = senim_app::systems::drafts_for(&state, &caller)?;
    // Words are searched as the register page searches them (the register's
    // full-text index, in memory): the same systems for the same words.
    if let Some(words) = query.q.as_deref().filter(|q| !q.trim().is_empty()) {
        let after =
            decode_cursor(query.cursor.as_deref())?.and_then(|a| a.parse::<SystemId>().ok());
        let limit = page_limit(query.limit)? as usize;
        let asked = senim_app::register::Query {
            words: Some(words.to_string()),
            sectors: query.sector.into_iter().collect(),
            risks: query.risk_level.map(Some).into_iter().collect(),
            statuses: query.status.into_iter().collect(),
            organisations: query.organisation.into_iter().collect(),
            lang: "en",
            drafts,
            ..Default::default()
        };
        let (items, total, next) = state.register.page_by_id(&asked, after, limit);
        return Ok(Json(SystemList {
            items,
            total: total as i64,
            next_cursor: encode_cursor(next.map(|id| id.to_string())),
        }));
    }
    let filter = SystemFilter {
        sector: query.sector,
        risk_level: query.risk_level,
        status: query.status,
        organisation: query.organisation,
        text: query.q,
        after: decode_cursor(query.cursor.as_deref())?,
        limit: page_limit(query.limit)?,
        drafts,
    };
    let page = state.store.systems(&filter).await?;
    Ok(Json(SystemList {
        items: page.items,
        total: page.total,
        next_cursor: encode_cursor(page.next_after),
    }))
}

/// Register a new AI system (its first version) for the developer's organisation.
#[utoipa::path(post, path = "/api/v1/systems", tag = "systems", request_body = SystemInput,
    responses((status = 201, body = SystemDetail, headers(("ETag" = String))),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(query): QueryParams<LangQuery>,
    body: Result<JsonBody<SystemInput>, ApiError>,
) -> Result<impl IntoResponse, ApiError> {
    if caller.account.is_none() {
        return Err(ApiError::unauthenticated());
    }
    let JsonBody(input) = body?;
    let lang = lang(query.lang);
    let body = register(&state, &caller, input, lang).await?;
    Ok((
        StatusCode::CREATED,
        [etag(body.system.current_version)],
        Json(body),
    ))
}

/// Read a system and its current version.
#[utoipa::path(get, path = "/api/v1/systems/{id}", tag = "systems",
    params(("id" = String, Path, description = "System id")),
    responses((status = 200, body = SystemDetail, headers(("ETag" = String))), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    QueryParams(query): QueryParams<LangQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let id: SystemId = path_id(&id, "system")?;
    let record = state.store.system_with_current(id).await?;
    let resource = Resource::system(&record.system);
    senim_app::systems::require_read(&state, &caller, &resource)?;
    let v = viewer(&state, &caller, &resource)?;
    Ok(detail(
        &state,
        StatusCode::OK,
        record.system,
        record.version,
        record.assessment,
        v,
        lang(query.lang),
    )
    .await)
}

/// Every classification a system has had, oldest first (versions and pack publications).
#[utoipa::path(get, path = "/api/v1/systems/{id}/classifications", tag = "systems",
    params(("id" = String, Path, description = "System id")),
    responses((status = 200, body = ClassificationHistory), (status = 404, body = ErrorBody)))]
pub async fn classifications(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ClassificationHistory>, ApiError> {
    let (system, _) = load(&state, &caller, &id).await?;
    let history = state.store.classification_history(system.id).await?;
    let book = state.rules.read().await;
    let items = history
        .into_iter()
        .map(|(version, mut a, at)| {
            if let Some(pack) = book.get(&a.outcome.pack.id, &a.outcome.pack.version) {
                pack.cite_gaps(&a.outcome, &mut a.gaps, Lang::En);
            }
            ClassificationRecord {
                version,
                outcome: a.outcome,
                gaps: a.gaps,
                classified_at: at,
            }
        })
        .collect();
    Ok(Json(ClassificationHistory { items }))
}

/// Every version of a system, oldest first.
#[utoipa::path(get, path = "/api/v1/systems/{id}/versions", tag = "systems",
    params(("id" = String, Path, description = "System id")),
    responses((status = 200, body = VersionList), (status = 404, body = ErrorBody)))]
pub async fn versions(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<VersionList>, ApiError> {
    let (system, resource) = load(&state, &caller, &id).await?;
    let v = viewer(&state, &caller, &resource)?;
    let items: Vec<SystemVersion> = state
        .store
        .system_versions(system.id)
        .await?
        .into_iter()
        .map(|version| version.redacted(v))
        .collect();
    Ok(Json(VersionList {
        total: items.len() as i64,
        items,
    }))
}

/// One version of a system.
#[utoipa::path(get, path = "/api/v1/systems/{id}/versions/{version}", tag = "systems",
    params(("id" = String, Path, description = "System id"), ("version" = i64, Path, description = "Version number")),
    responses((status = 200, body = SystemVersion), (status = 404, body = ErrorBody)))]
pub async fn version(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, number)): Path<(String, String)>,
) -> Result<Json<SystemVersion>, ApiError> {
    let (system, resource) = load(&state, &caller, &id).await?;
    let number: i64 = path_id(&number, "system version")?;
    let v = viewer(&state, &caller, &resource)?;
    let version = state.store.system_version(system.id, number).await?;
    Ok(Json(version.redacted(v)))
}

/// Add a new version: the complete new description. `If-Match` carries the
/// current version number; a stale one gets 409 and changes nothing.
#[utoipa::path(post, path = "/api/v1/systems/{id}/versions", tag = "systems",
    params(("id" = String, Path, description = "System id"),
           ("If-Match" = String, Header, description = "The ETag (current version) this update starts from")),
    request_body = VersionInput,
    responses((status = 201, body = SystemDetail, headers(("ETag" = String))),
              (status = 409, body = ErrorBody), (status = 428, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn add_version(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    QueryParams(query): QueryParams<LangQuery>,
    if_match: IfMatch,
    body: Result<JsonBody<VersionInput>, ApiError>,
) -> Result<impl IntoResponse, ApiError> {
    let (system, resource) = load(&state, &caller, &id).await?;
    caller.require(&state, Action::SystemUpdate, &resource)?;
    let expected_version = if_match.required()?;
    let JsonBody(input) = body?;
    let body = new_version(
        &state,
        &caller,
        system.id,
        expected_version,
        input,
        lang(query.lang),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        [etag(body.system.current_version)],
        Json(body),
    ))
}

/// Withdraw a system (its owner). Its versions stay readable.
#[utoipa::path(post, path = "/api/v1/systems/{id}/withdraw", tag = "systems",
    params(("id" = String, Path, description = "System id")),
    request_body(content = Option<WithdrawInput>),
    responses((status = 200, body = SystemDetail), (status = 409, body = ErrorBody)))]
pub async fn withdraw(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    if_match: IfMatch,
    body: Result<OptionalJsonBody<WithdrawInput>, ApiError>,
) -> Result<impl IntoResponse, ApiError> {
    let OptionalJsonBody(input) = body?;
    let (system, version, resource) = withdraw_system(
        &state,
        &caller,
        &id,
        if_match.0,
        input.and_then(|i| i.reason),
    )
    .await?;
    let v = viewer(&state, &caller, &resource)?;
    let assessment = state.store.system_with_current(system.id).await?.assessment;
    Ok(detail(
        &state,
        StatusCode::OK,
        system,
        version,
        assessment,
        v,
        Lang::En,
    )
    .await)
}

/// The organisation named as the system's operator answers: `accept` (the
/// system is then listed under it) or `refuse`. Only a developer of that
/// organisation, while the request is pending.
#[utoipa::path(post, path = "/api/v1/systems/{id}/operator", tag = "systems",
    params(("id" = String, Path, description = "System id")),
    request_body = OperatorAnswer,
    responses((status = 200, body = System), (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn answer_operator(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Result<JsonBody<OperatorAnswer>, ApiError>,
) -> Result<Json<System>, ApiError> {
    let JsonBody(answer) = body?;
    let system = senim_app::systems::answer_operator(&state, &caller, &id, answer.decision).await?;
    Ok(Json(system))
}

/// The public intake's state for this system: `null` unless the authority
/// paused reports about it (then the reason and since when).
#[utoipa::path(get, path = "/api/v1/systems/{id}/intake", tag = "systems",
    params(("id" = String, Path, description = "System id")),
    responses((status = 200, body = Option<senim_domain::oversight::IntakePause>), (status = 404, body = ErrorBody)))]
pub async fn intake(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Option<senim_domain::oversight::IntakePause>>, ApiError> {
    let (system, _) = load(&state, &caller, &id).await?;
    Ok(Json(state.store.intake_pause(system.id).await?))
}

/// Pause (`{"paused": true, "reason": "..."}`, the reason public) or
/// resume (`{"paused": false}`) reports about this system (supervisors):
/// while paused, the public intake refuses reports naming it (409, with the
/// reason); the authority's own accounts still file them.
#[utoipa::path(put, path = "/api/v1/systems/{id}/intake", tag = "systems",
    params(("id" = String, Path, description = "System id")),
    request_body = senim_domain::oversight::IntakePauseInput,
    responses((status = 200, body = Option<senim_domain::oversight::IntakePause>), (status = 403, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn set_intake(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Result<JsonBody<senim_domain::oversight::IntakePauseInput>, ApiError>,
) -> Result<Json<Option<senim_domain::oversight::IntakePause>>, ApiError> {
    let JsonBody(input) = body?;
    Ok(Json(
        senim_app::cases::set_intake_pause(&state, &caller, &id, input).await?,
    ))
}

/// The registration certificate of a registered system (PDF/A-3b, in
/// `lang`, default en), with the audit log's receipt of the entry that
/// states it embedded: `senim verify --document` checks it offline. 404
/// for a system that is not registered.
#[utoipa::path(get, path = "/api/v1/systems/{id}/certificate", tag = "systems",
    params(("id" = String, Path, description = "System id"), senim_app::systems::LangQuery),
    responses((status = 200, description = "The certificate", content_type = "application/pdf"),
              (status = 404, body = senim_app::error::ErrorBody)))]
pub async fn certificate(
    axum::extract::State(state): axum::extract::State<senim_app::state::AppState>,
    axum::extract::Path(id): axum::extract::Path<String>,
    senim_app::extract::QueryParams(q): senim_app::extract::QueryParams<
        senim_app::systems::LangQuery,
    >,
) -> Result<axum::response::Response, senim_app::error::ApiError> {
    let id: senim_domain::SystemId = senim_app::extract::path_id(&id, "system")?;
    let lang = q.lang.unwrap_or(senim_domain::classification::Lang::En);
    let pdf = senim_app::documents::registration_certificate(&state, id, lang).await?;
    Ok(pdf.response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExtractQuery {
    /// The day (YYYY-MM-DD) the extract states the register as of; today
    /// when none.
    #[param(value_type = Option<String>)]
    pub date: Option<senim_domain::Day>,
    /// kk, ru or en (default en).
    pub lang: Option<Lang>,
}

/// An extract from the register for a public system as of the end of a day
/// (PDF/A-3b): what the newest log entry of that day or before states of
/// it, with that entry's receipt embedded (`senim verify --document`).
#[utoipa::path(get, path = "/api/v1/systems/{id}/extract", tag = "systems",
    params(("id" = String, Path, description = "System id"), ExtractQuery),
    responses((status = 200, description = "The extract", content_type = "application/pdf"),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn extract(
    State(state): State<AppState>,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<ExtractQuery>,
) -> Result<axum::response::Response, ApiError> {
    let id: SystemId = path_id(&id, "system")?;
    let pdf =
        senim_app::documents::register_extract(&state, id, q.date, q.lang.unwrap_or(Lang::En))
            .await?;
    Ok(pdf.response())
}
