//! `/api/v1/systems`: register, read, list, add versions, withdraw.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use utoipa::IntoParams;

use senim_domain::profile::Sector;
use senim_domain::{
    FieldError, OrganisationId, RiskLevel, System, SystemId, SystemInput, SystemStatus,
    SystemVersion, VersionInput, Viewer,
};
use senim_store::{Applied, Command, SystemFilter};

use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{etag, IfMatch, JsonBody, OptionalJsonBody, QueryParams};
use crate::policy::{Action, Resource};

use crate::routes::{decode_cursor, encode_cursor, page_limit, parse_reason, path_id};
use crate::state::AppState;
use senim_domain::api::{
    ClassificationHistory, ClassificationRecord, SystemDetail, SystemList, VersionList,
    WithdrawInput,
};
use senim_domain::classification::{Assessment, Lang};
use senim_domain::system::ValidVersion;

use crate::assess::{assess_version, lang};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SystemQuery {
    pub sector: Option<Sector>,
    pub risk_level: Option<RiskLevel>,
    pub status: Option<SystemStatus>,
    /// Owner or holder organisation id.
    pub organisation: Option<OrganisationId>,
    /// Words in the name or the public documentation, any language.
    pub q: Option<String>,
    pub cursor: Option<String>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<u32>,
}

/// Classifies a new version under the pack in force and runs the command
/// built from both, holding the rule book's read lock until the commit so a
/// publication cannot slip in between. Returns the system as the caller may
/// see it; `resource` is what the caller's view is decided on (the new
/// system's own when `None`).
async fn write_classified(
    state: &AppState,
    caller: &Caller,
    version: ValidVersion,
    resource: Option<&Resource>,
    lang: Lang,
    command: impl FnOnce(ValidVersion, Assessment) -> Command,
) -> Result<SystemDetail, ApiError> {
    let book = state.rules.read().await;
    let assessment = assess_version(&book, &version);
    let applied = state
        .execute(caller.actor(), command(version, assessment.clone()))
        .await?;
    drop(book);
    let Applied::System { system, version } = applied else {
        return Err(ApiError::internal());
    };
    let v = match resource {
        Some(resource) => viewer(state, caller, resource)?,
        None => viewer(state, caller, &Resource::system(&system))?,
    };
    Ok(detail_body(state, system, *version, Some(assessment), v, lang).await)
}

fn viewer(state: &AppState, caller: &Caller, resource: &Resource) -> Result<Viewer, ApiError> {
    Ok(Viewer {
        owner: caller.may(state, Action::SystemReadOwnerFields, resource)?,
        authority: caller.may(state, Action::SystemReadAuthorityFields, resource)?,
    })
}

/// `?lang=` on a system read: the language of the classification's texts.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LangQuery {
    /// kk, ru or en (default en).
    pub lang: Option<Lang>,
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

/// A system as `v` may see it, with its classification explained in `lang`.
async fn detail_body(
    state: &AppState,
    system: System,
    version: SystemVersion,
    assessment: Option<Assessment>,
    v: Viewer,
    lang: Lang,
) -> SystemDetail {
    let (classification, gaps) = match assessment {
        Some(mut a) => {
            let book = state.rules.read().await;
            let pack = book.get(&a.outcome.pack.id, &a.outcome.pack.version);
            if let Some(pack) = pack {
                pack.cite_gaps(&a.outcome, &mut a.gaps);
            }
            (pack.map(|p| p.explain(&a.outcome, lang)), a.gaps)
        }
        None => (None, Vec::new()),
    };
    SystemDetail {
        system,
        version: version.redacted(v),
        classification,
        gaps,
    }
}

async fn load(state: &AppState, caller: &Caller, id: &str) -> Result<(System, Resource), ApiError> {
    let id: SystemId = path_id(id, "system")?;
    let system = state.store.system(id).await?;
    let resource = Resource::system(&system);
    caller.require(state, Action::SystemRead, &resource)?;
    Ok((system, resource))
}

/// Search the register.
#[utoipa::path(get, path = "/api/v1/systems", tag = "systems", params(SystemQuery),
    responses((status = 200, body = SystemList), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(query): QueryParams<SystemQuery>,
) -> Result<Json<SystemList>, ApiError> {
    caller.require(&state, Action::SystemList, &Resource::Collection("systems"))?;
    let filter = SystemFilter {
        sector: query.sector,
        risk_level: query.risk_level,
        status: query.status,
        organisation: query.organisation,
        text: query.q,
        after: decode_cursor(query.cursor.as_deref())?,
        limit: page_limit(query.limit)?,
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

/// Registers a new system, its first version classified under the pack in
/// force (the API's and the registration wizard's one path).
pub async fn register(
    state: &AppState,
    caller: &Caller,
    input: SystemInput,
    lang: Lang,
) -> Result<SystemDetail, ApiError> {
    let Some(account) = &caller.account else {
        return Err(ApiError::unauthenticated());
    };
    let owner = input
        .owner_organisation_id
        .or(account.organisation_id)
        .ok_or_else(|| {
            ApiError::invalid(vec![FieldError {
                field: "owner_organisation_id".into(),
                reason: "is required: your account belongs to no organisation".into(),
            }])
        })?;
    caller.require(state, Action::SystemCreate, &Resource::new_system(owner))?;
    let version = VersionInput::from(input).parse()?;
    write_classified(
        state,
        caller,
        version,
        None,
        lang,
        move |version, assessment| Command::CreateSystem {
            owner,
            version,
            assessment: Some(assessment),
        },
    )
    .await
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
    caller.require(&state, Action::SystemRead, &resource)?;
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
                pack.cite_gaps(&a.outcome, &mut a.gaps);
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

/// Adds a version to a system, starting from `expected_version` (the API's
/// and the registration wizard's one path).
pub async fn new_version(
    state: &AppState,
    caller: &Caller,
    id: SystemId,
    expected_version: i64,
    input: VersionInput,
    lang: Lang,
) -> Result<SystemDetail, ApiError> {
    let (system, resource) = load(state, caller, &id.to_string()).await?;
    caller.require(state, Action::SystemUpdate, &resource)?;
    let version = input.parse()?;
    let id = system.id;
    write_classified(
        state,
        caller,
        version,
        Some(&resource),
        lang,
        move |version, assessment| Command::AddVersion {
            id,
            expected_version,
            version,
            assessment: Some(assessment),
        },
    )
    .await
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

/// Withdraws system `id` for `caller`, from `expected_version` when given;
/// the API and the pages both withdraw through here.
pub async fn withdraw_system(
    state: &AppState,
    caller: &Caller,
    id: &str,
    expected_version: Option<i64>,
    reason: Option<String>,
) -> Result<(System, SystemVersion, Resource), ApiError> {
    let (system, resource) = load(state, caller, id).await?;
    caller.require(state, Action::SystemWithdraw, &resource)?;
    let reason = parse_reason(reason)?;
    let command = Command::WithdrawSystem {
        id: system.id,
        expected_version,
        reason,
    };
    // Under the rule book's read lock, like every other system write, so a
    // publication never re-classifies a system withdrawn while it ran.
    let book = state.rules.read().await;
    let applied = state.execute(caller.actor(), command).await?;
    drop(book);
    match applied {
        Applied::System { system, version } => Ok((system, *version, resource)),
        _ => Err(ApiError::internal()),
    }
}
