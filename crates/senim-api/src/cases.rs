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

use senim_domain::case::{Notification, ReviewerInput, ReviewerProfile};
use senim_domain::oversight::{PublishedDecision, ReportInput, ReportStatus};
use senim_domain::{AccountId, Case, CaseId, CaseKind, OrganisationId, SystemId};
use senim_store::CaseFilter;

use senim_app::auth::Caller;
use senim_app::cases::{
    apply_step, file_report, open_case, put_reviewer, resource, shown, status_by_code, today,
    AnyStep, CaseInput, Dossier, ReportChallenge, ReportReceipt,
};
use senim_app::error::{ApiError, ErrorBody, ErrorCode};
use senim_app::extract::{etag, IfMatch, JsonBody, QueryParams};
use senim_app::extract::{page_limit, path_id};
use senim_app::policy::{Action, Resource};
use senim_app::state::AppState;
use senim_app::systems::LangQuery;

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

pub(crate) fn detail(state: &AppState, case: Case) -> CaseDetail {
    let overdue = case.overdue(today(state));
    CaseDetail { case, overdue }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SweepResult {
    /// Systems newly flagged as overdue for their annual risk review.
    pub flagged: usize,
    /// Decisions made final because their appeal deadline passed unappealed.
    pub finalized: usize,
    /// Allocations reminded of their last day or ended after it.
    #[serde(default)]
    pub allocations: usize,
    /// Sandbox participants reminded that their last day passed without
    /// an exit report.
    pub sandboxes: usize,
}

/// Run the sweeps now rather than at their next time: flag every registered
/// system whose annual risk review is overdue, and make final every
/// decision whose appeal deadline passed unappealed, remind awardees of
/// their allocations' last day and end the allocations whose last day passed,
/// and remind sandbox participants whose last day passed without an exit
/// report.
#[utoipa::path(post, path = "/api/v1/review-due/sweep", tag = "cases",
    responses((status = 200, body = SweepResult), (status = 403, body = ErrorBody)))]
pub async fn sweep_review_due(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<SweepResult>, ApiError> {
    caller.require(
        &state,
        Action::ReviewSweep,
        &Resource::Collection("systems"),
    )?;
    let flagged = senim_app::sweeps::flag_review_due(&state).await?;
    let finalized = senim_app::sweeps::finalize_decisions(&state).await?;
    let allocations = senim_app::allocations::sweep(&state).await?;
    let sandboxes = senim_app::sandbox::sweep(&state).await?;
    Ok(Json(SweepResult {
        flagged,
        finalized,
        allocations,
        sandboxes,
    }))
}

pub(crate) fn respond(state: &AppState, status: StatusCode, case: Case) -> impl IntoResponse {
    let revision = case.revision;
    (status, [etag(revision)], Json(detail(state, case)))
}

/// Open a case: the owner submits a system for registration (the pack in
/// force decides the path: refused when prohibited, registered at once
/// without expert review, otherwise submitted and given reviewers from the
/// pool); a supervisor opens an audit or an investigation.
#[utoipa::path(post, path = "/api/v1/cases", tag = "cases", request_body = CaseInput,
    responses((status = 201, body = CaseDetail, headers(("ETag" = String))),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<JsonBody<CaseInput>, ApiError>,
) -> Result<impl IntoResponse, ApiError> {
    if caller.account.is_none() {
        return Err(ApiError::unauthenticated());
    }
    let JsonBody(input) = body?;
    let case = open_case(&state, &caller, input).await?;
    Ok(respond(
        &state,
        StatusCode::CREATED,
        shown(&state, &caller, case),
    ))
}

/// Take a step on a case. `If-Match` carries the case's revision (its ETag).
/// The body's `action` names the step; which steps exist depends on the
/// case's kind (registration, report, audit, investigation). A decision
/// may carry `signature`: the official's electronic digital signature
/// (CMS, base64) of the document `POST .../steps/document` gives for the
/// same body; a deployment may require one.
#[utoipa::path(post, path = "/api/v1/cases/{id}/steps", tag = "cases",
    params(("id" = String, Path, description = "Case id"),
           ("If-Match" = String, Header, description = "The case's revision the step is decided on")),
    request_body = AnyStep,
    responses((status = 200, body = CaseDetail, headers(("ETag" = String))),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
              (status = 428, body = ErrorBody)))]
pub async fn step(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    if_match: IfMatch,
    body: Result<JsonBody<serde_json::Value>, ApiError>,
) -> Result<impl IntoResponse, ApiError> {
    let id: CaseId = path_id(&id, "case")?;
    // The case is read first: an unknown case is 404 before anything else.
    let case = state.store.case(id).await?;
    let JsonBody(value) = body?;
    let case = apply_step(&state, &caller, case, if_match, value).await?;
    Ok(respond(
        &state,
        StatusCode::OK,
        shown(&state, &caller, case),
    ))
}

/// The document to sign for a step (issue 21): canonical JSON (RFC 8785)
/// naming the site, the case, the revision in `If-Match` and the step.
/// Sign it with a signing key (CMS, base64) and send the signature as the
/// step's `signature`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StepDocument {
    pub document: String,
}

/// The document an official signs to take a step with their electronic
/// digital signature: the same body as `POST /api/v1/cases/{id}/steps`
/// (without `signature`), and its `If-Match`.
#[utoipa::path(post, path = "/api/v1/cases/{id}/steps/document", tag = "cases",
    params(("id" = String, Path, description = "Case id"),
           ("If-Match" = String, Header, description = "The case's revision the step is decided on")),
    request_body = AnyStep,
    responses((status = 200, body = StepDocument), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 428, body = ErrorBody)))]
pub async fn step_document(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    if_match: IfMatch,
    body: Result<JsonBody<serde_json::Value>, ApiError>,
) -> Result<Json<StepDocument>, ApiError> {
    let id: CaseId = path_id(&id, "case")?;
    let case = state.store.case(id).await?;
    let r = resource(&case, &caller);
    caller.require(&state, Action::CaseRead, &r)?;
    if caller.account.is_none() {
        return Err(ApiError::unauthenticated());
    }
    let revision = if_match.required()?;
    let JsonBody(mut value) = body?;
    if let Some(fields) = value.as_object_mut() {
        fields.remove("signature");
    }
    let document = senim_app::eds::step_document(&state, &case, revision, &value)?;
    Ok(Json(StepDocument { document }))
}

/// A signed decision's signature (`.p7s`, CMS) or the document it signs
/// (`.json`), by its SHA-256 as the case's `signatures` name them: anyone
/// reads those of a public decision.
#[utoipa::path(get, path = "/api/v1/cases/{id}/signatures/{sha256}", tag = "cases",
    params(("id" = String, Path, description = "Case id"),
           ("sha256" = String, Path, description = "The SHA-256 of the signature or of the document")),
    responses((status = 200, description = "The file"), (status = 404, body = ErrorBody)))]
pub async fn signature_file(
    State(state): State<AppState>,
    caller: Caller,
    Path((id, sha256)): Path<(String, String)>,
) -> Result<axum::response::Response, ApiError> {
    let id: CaseId = path_id(&id, "case")?;
    let file = senim_app::eds::signed_file(&state, &caller, id, &sha256).await?;
    let stream = state.blobs.read(&file.sha256, None).await?;
    let mut r = axum::body::Body::from_stream(stream).into_response();
    let headers = r.headers_mut();
    for (name, value) in [
        (
            axum::http::header::CONTENT_TYPE,
            file.media_type.to_string(),
        ),
        (
            axum::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}\"", file.name),
        ),
        (axum::http::header::X_CONTENT_TYPE_OPTIONS, "nosniff".into()),
    ] {
        if let Ok(v) = axum::http::HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    }
    Ok(r)
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
    Ok(respond(
        &state,
        StatusCode::OK,
        shown(&state, &caller, case),
    ))
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
    QueryParams(query): QueryParams<LangQuery>,
) -> Result<Json<Dossier>, ApiError> {
    let id: CaseId = path_id(&id, "case")?;
    Ok(Json(
        senim_app::cases::dossier(&state, &caller, id, query.lang).await?,
    ))
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
    let mut kind = query.kind;
    if !caller.may(&state, Action::CaseList, &all)? {
        // The kinds the caller may list as their organisation's (a data
        // steward who is not also a developer: the requests for its data).
        let mut kinds = Vec::new();
        for k in CaseKind::ALL {
            if caller.may(&state, Action::CaseListOwn, &Resource::Cases(*k))? {
                kinds.push(*k);
            }
        }
        if kinds.is_empty() {
            caller.require(&state, Action::CaseListOwn, &all)?;
        }
        let own = caller.account.as_ref().and_then(|a| a.organisation_id);
        if own.is_none() || organisation.is_some_and(|o| Some(o) != own) {
            return Err(ApiError::forbidden());
        }
        organisation = own;
        match kind {
            Some(k) if !kinds.contains(&k) => return Err(ApiError::forbidden()),
            Some(_) => {}
            None if kinds.len() == CaseKind::ALL.len() => {}
            None => match kinds.as_slice() {
                [only] => kind = Some(*only),
                _ => {
                    return Err(ApiError::field(
                        ErrorCode::Invalid,
                        "kind",
                        format!(
                            "is required: you may list your organisation's cases of kinds {}",
                            kinds
                                .iter()
                                .map(|k| k.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ))
                }
            },
        }
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
        kind,
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
        items: page
            .items
            .into_iter()
            .map(|c| detail(&state, shown(&state, &caller, c)))
            .collect(),
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
    Ok(Json(
        put_reviewer(&state, &caller, account_id, input).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InboxQuery {
    /// Only notices after this one (its `id`; ids grow with time).
    pub after: Option<String>,
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
        .inbox(account, query.after.as_deref(), page_limit(query.limit)?)
        .await?;
    Ok(Json(Inbox { items }))
}

/// Report an incident (harm happened), a complaint about users' rights, or
/// a tip. No account is needed; contact details are private.
///
/// A report from the public carries a proof of work: `GET
/// /api/v1/reports/challenge`, then `Senim-Proof: <challenge>:<nonce>`.
#[utoipa::path(post, path = "/api/v1/reports", tag = "cases", request_body = ReportInput,
    params(("Senim-Proof" = Option<String>, Header, description = "`<challenge>:<nonce>` solving a challenge of GET /api/v1/reports/challenge (not needed from the authority's accounts)")),
    responses((status = 201, body = ReportReceipt), (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
pub async fn submit_report(
    State(state): State<AppState>,
    caller: Caller,
    senim_app::auth::ClientIp(client): senim_app::auth::ClientIp,
    headers: axum::http::HeaderMap,
    body: Result<JsonBody<ReportInput>, ApiError>,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(
        &state,
        Action::ReportSubmit,
        &Resource::Collection("reports"),
    )?;
    let JsonBody(input) = body?;
    let proof = headers.get("senim-proof").and_then(|v| v.to_str().ok());
    let receipt = file_report(&state, &caller, client, proof, input, None).await?;
    Ok((StatusCode::CREATED, Json(receipt)))
}

/// A proof-of-work challenge for the next report (no account needed).
#[utoipa::path(get, path = "/api/v1/reports/challenge", tag = "cases",
    responses((status = 200, body = ReportChallenge)))]
pub async fn report_challenge(State(state): State<AppState>) -> Json<ReportChallenge> {
    Json(senim_app::cases::report_challenge(&state))
}

/// Follow a report by its tracking code.
#[utoipa::path(get, path = "/api/v1/reports/{tracking_code}", tag = "cases",
    params(("tracking_code" = String, Path, description = "The code given when the report was filed")),
    responses((status = 200, body = ReportStatus), (status = 404, body = ErrorBody)))]
pub async fn report_status(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Json<ReportStatus>, ApiError> {
    status_by_code(&state, &code).await.map(Json)
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DecisionList {
    pub items: Vec<PublishedDecision>,
}

/// Published decisions: violations and sanctions, with appeal outcomes.
#[utoipa::path(get, path = "/api/v1/decisions", tag = "cases",
    responses((status = 200, body = DecisionList)))]
pub async fn decisions(State(state): State<AppState>) -> Result<Json<DecisionList>, ApiError> {
    let items = state
        .store
        .decided_investigations(1000)
        .await?
        .iter()
        .filter_map(PublishedDecision::of)
        .collect();
    Ok(Json(DecisionList { items }))
}

/// An audit's report as a printable page (the JSON is the case itself).
#[utoipa::path(get, path = "/api/v1/cases/{id}/audit-report", tag = "cases",
    params(("id" = String, Path, description = "Audit case id")),
    responses((status = 200, content_type = "text/html", body = String), (status = 404, body = ErrorBody)))]
pub async fn audit_report(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let id: CaseId = path_id(&id, "case")?;
    let case = state.store.case(id).await?;
    caller.require(&state, Action::CaseRead, &resource(&case, &caller))?;
    let audit = case.audit().ok_or_else(|| ApiError::not_found("audit"))?;
    let system = match case.system_id {
        Some(id) => Some(state.store.system(id).await?),
        None => None,
    };
    let page = crate::report_page::audit(&case, audit, system.as_ref());
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (
                axum::http::header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
            ),
        ],
        page,
    ))
}

/// A closed audit's report as a document (PDF/A-3b) in `lang`, for those
/// who may read the audit, with the audit log's receipt of its closing
/// embedded (`senim verify --document`); 409 while the audit is open.
#[utoipa::path(get, path = "/api/v1/cases/{id}/audit-report/document", tag = "cases",
    params(("id" = String, Path, description = "Audit case id"), senim_app::systems::LangQuery),
    responses((status = 200, description = "The report", content_type = "application/pdf"),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn audit_report_document(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<senim_app::systems::LangQuery>,
) -> Result<axum::response::Response, ApiError> {
    let id: CaseId = path_id(&id, "case")?;
    let lang = q.lang.unwrap_or(senim_domain::classification::Lang::En);
    let pdf = senim_app::documents::audit_report(&state, &caller, id, lang).await?;
    Ok(pdf.response())
}

/// A published decision on a violation as a document (PDF/A-3b) in
/// `lang`, listing its signatures, with the audit log's receipt embedded
/// (`senim verify --document`).
#[utoipa::path(get, path = "/api/v1/decisions/{id}/document", tag = "cases",
    params(("id" = String, Path, description = "The investigation's case id"), senim_app::systems::LangQuery),
    responses((status = 200, description = "The decision", content_type = "application/pdf"),
              (status = 404, body = ErrorBody)))]
pub async fn decision_document(
    State(state): State<AppState>,
    Path(id): Path<String>,
    QueryParams(q): QueryParams<senim_app::systems::LangQuery>,
) -> Result<axum::response::Response, ApiError> {
    let id: CaseId = path_id(&id, "decision")?;
    let lang = q.lang.unwrap_or(senim_domain::classification::Lang::En);
    let pdf = senim_app::documents::sanction_decision(&state, id, lang).await?;
    Ok(pdf.response())
}

/// One system on a trusted list.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TrustedListEntry {
    pub system_id: SystemId,
    pub name: senim_domain::LocalizedText,
    pub registry_number: Option<String>,
    pub owner_organisation_id: OrganisationId,
    pub application: CaseId,
    pub listed_at: Option<senim_domain::Timestamp>,
    pub published_at: Option<senim_domain::Timestamp>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TrustedList {
    pub sector: senim_domain::profile::Sector,
    pub items: Vec<TrustedListEntry>,
}

/// A sector body's published list of trusted high-risk systems.
#[utoipa::path(get, path = "/api/v1/trusted-lists/{sector}", tag = "cases",
    params(("sector" = String, Path, description = "The list's sector, e.g. healthcare")),
    responses((status = 200, body = TrustedList), (status = 404, body = ErrorBody)))]
pub async fn trusted_list(
    State(state): State<AppState>,
    Path(sector): Path<String>,
) -> Result<Json<TrustedList>, ApiError> {
    let sector: senim_domain::profile::Sector = path_id(&sector, "trusted list")?;
    let mut items = Vec::new();
    for case in state.store.published_list_entries().await? {
        let Some(app) = case.trusted_list().filter(|a| a.sector == sector) else {
            continue;
        };
        let Some(system_id) = case.system_id else {
            continue;
        };
        let system = state.store.system(system_id).await?;
        // A suspended, revoked or withdrawn system is not trusted, listed or not.
        if system.status != senim_domain::SystemStatus::Registered {
            continue;
        }
        items.push(TrustedListEntry {
            system_id,
            name: system.name,
            registry_number: system.registry_number,
            owner_organisation_id: system.owner_organisation_id,
            application: case.id,
            listed_at: app.listed_at,
            published_at: app.published_at,
        });
    }
    Ok(Json(TrustedList { sector, items }))
}
