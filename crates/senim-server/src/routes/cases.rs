//! `/api/v1/cases`: registration dossiers and every step on them;
//! `/api/v1/reviewers`: the reviewer pool; `/api/v1/inbox`: notices.
//!
//! Each step is the same mechanism: read the case, ask the policies whether
//! the caller may take this kind of step on it (403), let the domain's pure
//! step function decide what the case becomes or why it cannot (409, 422),
//! and write the result only if the case is still at the revision the
//! caller named in `If-Match` (409 otherwise).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use senim_domain::case::{ChecklistItem, Notification, ReviewerInput, ReviewerProfile};
use senim_domain::classification::Lang;
use senim_domain::registration::{self, Context, Path as ReviewPath, Refusal, Step, Stepped};
use senim_domain::{
    AccountId, Case, CaseId, CaseKind, Day, OrganisationId, RiskLevel, Role, System, SystemId,
    SystemVersion, Viewer,
};
use senim_store::{case_for, Applied, CaseFilter, CaseWrite, Command};

use crate::assess::assess;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{etag, IfMatch, JsonBody, QueryParams};
use crate::policy::{Action, Resource};
use crate::routes::{page_limit, path_id};
use crate::state::AppState;

/// A case as served: the case, and whether its deadline has passed.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CaseDetail {
    #[serde(flatten)]
    pub case: Case,
    /// True when the authority's due day has passed and the case is still open.
    pub overdue: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CaseList {
    pub items: Vec<CaseDetail>,
    pub total: i64,
    pub next_cursor: Option<String>,
}

/// What `POST /api/v1/cases` opens.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseInput {
    /// `registration`: submit a system for registration.
    pub kind: CaseKind,
    pub system_id: SystemId,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CaseQuery {
    pub kind: Option<CaseKind>,
    /// `true` for the queues, `false` for history.
    pub open: Option<bool>,
    pub state: Option<String>,
    /// Only cases assigned to the caller (a reviewer's queue).
    pub mine: Option<bool>,
    pub organisation: Option<OrganisationId>,
    pub system: Option<SystemId>,
    pub cursor: Option<String>,
    /// Page size, 1 to 500 (default 50).
    pub limit: Option<u32>,
}

/// The dossier a declared reviewer works on.
#[derive(Debug, Serialize, ToSchema)]
pub struct Dossier {
    pub case: Case,
    pub system: System,
    /// The version under review, with every documentation item.
    pub version: SystemVersion,
    pub classification: Option<senim_domain::classification::Classification>,
    pub gaps: Vec<senim_domain::classification::Gap>,
}

fn today(state: &AppState) -> Day {
    Day::of(state.clock.now())
}

fn detail(state: &AppState, case: Case) -> CaseDetail {
    let overdue = case.overdue(today(state));
    CaseDetail { case, overdue }
}

fn resource(case: &Case, caller: &Caller) -> Resource {
    let me = caller.account.as_ref().map(|a| a.id);
    let assigned = me.is_some_and(|me| {
        case.assignees.contains(&me)
            || case
                .registration
                .as_ref()
                .is_some_and(|r| r.reviews.iter().any(|x| x.reviewer == me && x.active()))
    });
    Resource::Case {
        id: case.id.to_string(),
        owner: case.organisation_id,
        holder: case.holder_organisation_id,
        assigned,
    }
}

fn case_viewer(state: &AppState, caller: &Caller, r: &Resource) -> Result<Viewer, ApiError> {
    Ok(Viewer {
        owner: caller.may(state, Action::CaseReadFull, r)?,
        authority: caller.may(state, Action::CaseReadFull, r)?,
    })
}

/// What the pack in force requires of a version: the path it must take.
fn review_path(
    pack: &senim_rules::RulePack,
    version: &SystemVersion,
) -> (ReviewPath, senim_domain::classification::Assessment) {
    let assessment = assess(pack, &version.profile, &version.documentation);
    let outcome = &assessment.outcome;
    let explained = pack.explain(outcome, Lang::En);
    let prohibited_by = explained
        .rationale
        .iter()
        .filter(|r| r.risk_level == RiskLevel::Prohibited)
        .map(|r| (r.rule.clone(), r.citation.source.clone()))
        .collect();
    let missing: Vec<_> = assessment.gaps.iter().map(|g| g.item).collect();
    let checklist = outcome
        .documentation_required
        .iter()
        .map(|item| ChecklistItem {
            item: *item,
            provided: !missing.contains(item),
        })
        .collect();
    let path = ReviewPath {
        pack: outcome.pack.clone(),
        risk_level: outcome.risk_level,
        expert_review: outcome.expert_review_required,
        reviewers: outcome.reviewers,
        prohibited_by,
        checklist,
        deadlines: pack.deadlines.clone(),
    };
    (path, assessment)
}

fn refused(r: Refusal) -> ApiError {
    match r {
        Refusal::State { message, current } => ApiError {
            current: Some(current),
            ..ApiError::new(StatusCode::CONFLICT, "conflict", message)
        },
        Refusal::Forbidden(message) => ApiError::new(StatusCode::FORBIDDEN, "forbidden", message),
        Refusal::Invalid(v) => ApiError::invalid(v.0),
    }
}

async fn write(
    state: &AppState,
    caller: &Caller,
    stepped: Stepped,
    expected_revision: Option<i64>,
    system: &System,
    step: serde_json::Value,
) -> Result<Case, ApiError> {
    let write = CaseWrite {
        case: stepped.case,
        expected_revision,
        event: stepped.event,
        step,
        system_status: stepped.system_status.map(|s| (system.status, s)),
        assign_registry_number: stepped.assign_registry_number,
        notices: stepped.notices,
    };
    match state
        .execute(caller.actor(), Command::SaveCase(Box::new(write)))
        .await?
    {
        Applied::Case { case, .. } => Ok(*case),
        _ => Err(ApiError::internal()),
    }
}

fn respond(state: &AppState, status: StatusCode, case: Case) -> impl IntoResponse {
    let revision = case.revision;
    (status, [etag(revision)], Json(detail(state, case)))
}

/// Open a case. `registration`: submit the system's current version for
/// registration; the pack in force decides the path (refused when
/// prohibited, registered at once without expert review, otherwise
/// submitted and given reviewers from the pool).
#[utoipa::path(post, path = "/api/v1/cases", tag = "cases", request_body = CaseInput,
    responses((status = 201, body = CaseDetail, headers(("ETag" = String))),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<JsonBody<CaseInput>, ApiError>,
) -> Result<impl IntoResponse, ApiError> {
    let Some(account) = &caller.account else {
        return Err(ApiError::unauthenticated());
    };
    let JsonBody(input) = body?;
    let record = state.store.system_with_current(input.system_id).await?;
    let system = record.system;
    let r = Resource::Case {
        id: "new".into(),
        owner: Some(system.owner_organisation_id),
        holder: system.holder_organisation_id,
        assigned: false,
    };
    caller.require(&state, Action::CaseSubmit, &r)?;
    // Held until the commit: no publication changes the path meanwhile.
    let book = state.rules.read().await;
    let (path, _) = review_path(book.in_force(), &record.version);
    let pool = state.store.reviewer_pool().await?;
    let ctx = Context {
        now: state.clock.now(),
        calendar: &state.config.calendar,
        actor: account.id,
        supervisor: false,
        system: &system,
        path: &path,
        pool: &pool,
    };
    let stepped = registration::submit(&ctx, CaseId::generate()).map_err(refused)?;
    let step = serde_json::json!({ "action": "submit", "version": system.current_version });
    let case = write(&state, &caller, stepped, None, &system, step).await?;
    drop(book);
    Ok(respond(&state, StatusCode::CREATED, case))
}

/// Take a step on a case. `If-Match` carries the case's revision (its ETag).
#[utoipa::path(post, path = "/api/v1/cases/{id}/steps", tag = "cases",
    params(("id" = String, Path, description = "Case id"),
           ("If-Match" = String, Header, description = "The case's revision the step is decided on")),
    request_body = Step,
    responses((status = 200, body = CaseDetail, headers(("ETag" = String))),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
              (status = 428, body = ErrorBody)))]
pub async fn step(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    if_match: IfMatch,
    body: Result<JsonBody<Step>, ApiError>,
) -> Result<impl IntoResponse, ApiError> {
    let id: CaseId = path_id(&id, "case")?;
    let case = state.store.case(id).await?;
    let r = resource(&case, &caller);
    let JsonBody(step) = body?;
    caller.require(&state, Action::case_step(&step), &r)?;
    let Some(account) = &caller.account else {
        return Err(ApiError::unauthenticated());
    };
    let expected = if_match.required()?;
    if expected != case.revision {
        return Err(ApiError {
            current: Some(case.revision.to_string()),
            ..ApiError::new(
                StatusCode::CONFLICT,
                "conflict",
                format!(
                    "the case is at revision {} (state {}), not {expected}: someone acted on it since you read it; reload and try again",
                    case.revision, case.state
                ),
            )
        });
    }
    let system_id = case.system_id.ok_or_else(ApiError::internal)?;
    let record = state.store.system_with_current(system_id).await?;
    let book = state.rules.read().await;
    let (path, _) = review_path(book.in_force(), &record.version);
    let pool = state.store.reviewer_pool().await?;
    let ctx = Context {
        now: state.clock.now(),
        calendar: &state.config.calendar,
        actor: account.id,
        supervisor: account.roles.contains(&Role::Supervisor),
        system: &record.system,
        path: &path,
        pool: &pool,
    };
    let recorded = serde_json::to_value(&step).map_err(|_| ApiError::internal())?;
    let stepped = registration::step(&ctx, &case, step).map_err(refused)?;
    let case = write(
        &state,
        &caller,
        stepped,
        Some(expected),
        &record.system,
        recorded,
    )
    .await?;
    drop(book);
    Ok(respond(&state, StatusCode::OK, case))
}

/// Read a case: in full for its owner and the authority, otherwise its public part.
#[utoipa::path(get, path = "/api/v1/cases/{id}", tag = "cases",
    params(("id" = String, Path, description = "Case id")),
    responses((status = 200, body = CaseDetail, headers(("ETag" = String))), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let id: CaseId = path_id(&id, "case")?;
    let case = state.store.case(id).await?;
    let r = resource(&case, &caller);
    caller.require(&state, Action::CaseRead, &r)?;
    let v = case_viewer(&state, &caller, &r)?;
    Ok(respond(&state, StatusCode::OK, case_for(case, v)))
}

/// The dossier under review: the version with all its documentation, its
/// classification and checklist. An assigned reviewer sees it only after
/// declaring no conflict of interest.
#[utoipa::path(get, path = "/api/v1/cases/{id}/dossier", tag = "cases",
    params(("id" = String, Path, description = "Case id")),
    responses((status = 200, body = Dossier), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn dossier(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    QueryParams(query): QueryParams<crate::routes::systems::LangQuery>,
) -> Result<Json<Dossier>, ApiError> {
    let id: CaseId = path_id(&id, "case")?;
    let case = state.store.case(id).await?;
    let r = resource(&case, &caller);
    caller.require(&state, Action::CaseDossier, &r)?;
    let me = caller.account.as_ref().map(|a| a.id);
    let reg = case
        .registration
        .as_ref()
        .ok_or_else(|| ApiError::not_found("dossier"))?;
    let reviewing = reg
        .reviews
        .iter()
        .find(|x| Some(x.reviewer) == me && x.active());
    let supervising = caller.account.as_ref().is_some_and(|a| {
        a.roles
            .iter()
            .any(|r| *r != Role::ExpertReviewer && r.is_authority())
    });
    if let Some(review) = reviewing {
        if !review.declared() && !supervising {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "declare whether you have a conflict of interest (step `declare`) before the dossier opens",
            ));
        }
    }
    let system_id = case.system_id.ok_or_else(ApiError::internal)?;
    let system = state.store.system(system_id).await?;
    let version = state.store.system_version(system_id, reg.version).await?;
    let book = state.rules.read().await;
    let (classification, gaps) = match book.get(&reg.pack.id, &reg.pack.version) {
        Some(pack) => {
            let a = assess(pack, &version.profile, &version.documentation);
            let mut gaps = a.gaps.clone();
            pack.cite_gaps(&a.outcome, &mut gaps);
            (
                Some(pack.explain(&a.outcome, crate::assess::lang(query.lang))),
                gaps,
            )
        }
        None => (None, Vec::new()),
    };
    Ok(Json(Dossier {
        case,
        system,
        version: version.redacted(Viewer {
            owner: true,
            authority: true,
        }),
        classification,
        gaps,
    }))
}

/// Cases in queue order: the earliest due first, so overdue ones lead.
/// The authority sees every case; a developer sees their organisation's.
#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", params(CaseQuery),
    responses((status = 200, body = CaseList), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(query): QueryParams<CaseQuery>,
) -> Result<Json<CaseList>, ApiError> {
    let all = Resource::Collection("cases");
    let mut organisation = query.organisation;
    if !caller.may(&state, Action::CaseList, &all)? {
        caller.require(&state, Action::CaseListOwn, &all)?;
        let own = caller.account.as_ref().and_then(|a| a.organisation_id);
        if own.is_none() || organisation.is_some_and(|o| Some(o) != own) {
            return Err(ApiError::forbidden());
        }
        organisation = own;
    }
    let offset = match query.cursor.as_deref().filter(|c| !c.is_empty()) {
        None => 0,
        Some(c) => c.parse().map_err(|_| {
            ApiError::invalid(vec![senim_domain::FieldError {
                field: "cursor".into(),
                reason: "is not a cursor this server returned".into(),
            }])
        })?,
    };
    let filter = CaseFilter {
        kind: query.kind,
        open: query.open,
        state: query.state,
        assignee: if query.mine == Some(true) {
            caller.account.as_ref().map(|a| a.id)
        } else {
            None
        },
        organisation,
        system: query.system,
        offset,
        limit: page_limit(query.limit)?,
    };
    let page = state.store.cases(&filter).await?;
    Ok(Json(CaseList {
        items: page.items.into_iter().map(|c| detail(&state, c)).collect(),
        total: page.total,
        next_cursor: page.next_after,
    }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewerList {
    pub items: Vec<senim_domain::case::Candidate>,
}

/// The reviewer pool, with each reviewer's open dossiers.
#[utoipa::path(get, path = "/api/v1/reviewers", tag = "cases",
    responses((status = 200, body = ReviewerList), (status = 403, body = ErrorBody)))]
pub async fn reviewers(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<ReviewerList>, ApiError> {
    caller.require(
        &state,
        Action::ReviewerRead,
        &Resource::Collection("reviewers"),
    )?;
    Ok(Json(ReviewerList {
        items: state.store.reviewer_pool().await?,
    }))
}

/// Put an expert reviewer in the pool, or change their competences and conflicts.
#[utoipa::path(put, path = "/api/v1/reviewers/{account_id}", tag = "cases",
    params(("account_id" = String, Path, description = "The reviewer's account id")),
    request_body = ReviewerInput,
    responses((status = 200, body = ReviewerProfile), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_reviewer(
    State(state): State<AppState>,
    caller: Caller,
    Path(account_id): Path<String>,
    body: Result<JsonBody<ReviewerInput>, ApiError>,
) -> Result<Json<ReviewerProfile>, ApiError> {
    caller.require(
        &state,
        Action::ReviewerManage,
        &Resource::Collection("reviewers"),
    )?;
    let account_id: AccountId = path_id(&account_id, "account")?;
    let JsonBody(input) = body?;
    if input.sectors.is_empty() {
        return Err(ApiError::invalid(vec![senim_domain::FieldError {
            field: "sectors".into(),
            reason: "must name at least one sector the reviewer is competent in".into(),
        }]));
    }
    let mut sectors = input.sectors;
    sectors.sort();
    sectors.dedup();
    let profile = ReviewerProfile {
        account_id,
        sectors,
        conflicts: input.conflicts,
        active: input.active,
        updated_at: state.clock.now(),
    };
    match state
        .execute(caller.actor(), Command::SetReviewer(profile))
        .await?
    {
        Applied::Reviewer(r) => Ok(Json(r)),
        _ => Err(ApiError::internal()),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InboxQuery {
    /// Only notices after this `seq`.
    pub after: Option<i64>,
    /// At most this many, 1 to 500 (default 50).
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Inbox {
    pub items: Vec<Notification>,
}

/// The caller's notices: to them, their organisation and their roles.
#[utoipa::path(get, path = "/api/v1/inbox", tag = "cases", params(InboxQuery),
    responses((status = 200, body = Inbox), (status = 401, body = ErrorBody)))]
pub async fn inbox(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(query): QueryParams<InboxQuery>,
) -> Result<Json<Inbox>, ApiError> {
    let Some(account) = &caller.account else {
        return Err(ApiError::unauthenticated());
    };
    caller.require(&state, Action::InboxRead, &Resource::Account(account.id))?;
    let items = state
        .store
        .inbox(account, query.after.unwrap_or(0), page_limit(query.limit)?)
        .await?;
    Ok(Json(Inbox { items }))
}
