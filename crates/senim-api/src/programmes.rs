//! `/api/v1/programmes`, `/api/v1/calls`: the National AI Platform's support
//! programmes, their calls and awards (public), publishing them (a
//! programme manager), and drafting an application (a developer, for their
//! organisation). An application's steps are case steps
//! (`POST /api/v1/cases/{id}/steps`).

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use senim_app::auth::Caller;
use senim_app::cases::shown;
use senim_app::error::{ApiError, ErrorBody};
use senim_app::extract::{JsonBody, QueryParams};
use senim_app::programmes;
use senim_app::state::AppState;
use senim_domain::application::ApplicationInput;
use senim_domain::programme::{Call, CallFigures, CallInput, Programme, ProgrammeInput};
use senim_domain::{CallId, Case, CaseId, ProgrammeId};

use crate::cases::{respond, CaseDetail};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ProgrammeList {
    pub items: Vec<Programme>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ProgrammeDetail {
    #[serde(flatten)]
    pub programme: Programme,
    pub calls: Vec<Call>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CallDetail {
    #[serde(flatten)]
    pub call: Call,
    /// `upcoming`, `open` or `closed` today.
    pub status: senim_domain::programme::CallStatus,
    pub figures: CallFigures,
}

/// One award, as the public sees it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Award {
    pub case_id: CaseId,
    pub number: String,
    pub organisation_id: Option<senim_domain::OrganisationId>,
    pub title: String,
    pub summary: String,
    pub sectors: Vec<senim_domain::profile::Sector>,
    pub unit: senim_domain::programme::BudgetUnit,
    pub amount: i64,
    pub usable_until: Option<senim_domain::Day>,
    /// `awarded`, or `accepted` once the awardee accepted.
    pub state: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AwardList {
    pub items: Vec<Award>,
    /// Pass as `after` for the next page; absent on the last.
    pub next: Option<CaseId>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AwardQuery {
    /// The last award of the previous page.
    pub after: Option<CaseId>,
    /// 1 to 500; 100 by default.
    pub limit: Option<i64>,
    /// `json` (the default) or `csv`.
    pub format: Option<String>,
}

/// Every programme of the National AI Platform.
#[utoipa::path(get, path = "/api/v1/programmes", tag = "programmes",
    responses((status = 200, body = ProgrammeList)))]
pub async fn list(State(state): State<AppState>) -> Result<Json<ProgrammeList>, ApiError> {
    Ok(Json(ProgrammeList {
        items: state.store.programmes().await?,
    }))
}

/// A new programme of the caller's organisation (a programme manager).
#[utoipa::path(post, path = "/api/v1/programmes", tag = "programmes", request_body = ProgrammeInput,
    responses((status = 201, body = Programme), (status = 403, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<JsonBody<ProgrammeInput>, ApiError>,
) -> Result<impl IntoResponse, ApiError> {
    let JsonBody(input) = body?;
    let programme = programmes::create_programme(&state, &caller, input).await?;
    Ok((StatusCode::CREATED, Json(programme)))
}

fn parse_id<T: std::str::FromStr<Err = String>>(what: &str, id: &str) -> Result<T, ApiError> {
    id.parse().map_err(|_| ApiError::not_found(what))
}

/// A programme and its calls, newest first.
#[utoipa::path(get, path = "/api/v1/programmes/{id}", tag = "programmes",
    params(("id" = String, Path, description = "Programme id")),
    responses((status = 200, body = ProgrammeDetail), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ProgrammeDetail>, ApiError> {
    let id: ProgrammeId = parse_id("programme", &id)?;
    let programme = state.store.programme(id).await?;
    let calls = state.store.calls(Some(id)).await?;
    Ok(Json(ProgrammeDetail { programme, calls }))
}

/// Publish a call of the programme (a manager of the organisation running
/// it). Its terms do not change once published; its eligibility rules are
/// TOML in the rule packs' condition language, problems named by line as
/// `eligibility:<line>`.
#[utoipa::path(post, path = "/api/v1/programmes/{id}/calls", tag = "programmes",
    params(("id" = String, Path, description = "Programme id")),
    request_body = CallInput,
    responses((status = 201, body = Call), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn publish_call(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Result<JsonBody<CallInput>, ApiError>,
) -> Result<impl IntoResponse, ApiError> {
    let id: ProgrammeId = parse_id("programme", &id)?;
    let JsonBody(input) = body?;
    let call = programmes::publish_call(&state, &caller, id, input).await?;
    Ok((StatusCode::CREATED, Json(call)))
}

/// A call, where it stands today, and what it has given so far.
#[utoipa::path(get, path = "/api/v1/calls/{id}", tag = "programmes",
    params(("id" = String, Path, description = "Call id")),
    responses((status = 200, body = CallDetail), (status = 404, body = ErrorBody)))]
pub async fn call(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<CallDetail>, ApiError> {
    let id: CallId = parse_id("call", &id)?;
    let (call, figures) = programmes::call_with_figures(&state, id).await?;
    let status = call.status(senim_app::cases::today(&state));
    Ok(Json(CallDetail {
        call,
        status,
        figures,
    }))
}

pub(crate) fn award_of(case: &Case) -> Option<Award> {
    let app = case.application()?;
    let decision = app.decision.as_ref()?;
    Some(Award {
        case_id: case.id,
        number: case.number.clone(),
        organisation_id: case.organisation_id,
        title: app.title.clone(),
        summary: app.summary.clone(),
        sectors: app.sectors.clone(),
        unit: app.unit,
        amount: decision.amount,
        usable_until: decision.usable_until,
        state: case.state().to_string(),
    })
}

/// A CSV field: quoted when it must be, and a text a spreadsheet would
/// read as a formula (`=`, `+`, `-`, `@` first) kept as text with a `'`.
fn csv_field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

/// A call's awards: who, what, how much, for what; a page at a time, as
/// JSON or (`format=csv`) CSV.
#[utoipa::path(get, path = "/api/v1/calls/{id}/awards", tag = "programmes",
    params(("id" = String, Path, description = "Call id"), AwardQuery),
    responses((status = 200, body = AwardList), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn awards(
    State(state): State<AppState>,
    Path(id): Path<String>,
    QueryParams(query): QueryParams<AwardQuery>,
) -> Result<axum::response::Response, ApiError> {
    let id: CallId = parse_id("call", &id)?;
    state.store.call(id).await?;
    let limit = query.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::invalid(vec![senim_domain::FieldError {
            field: "limit".into(),
            reason: "must be from 1 to 500".into(),
        }]));
    }
    let csv = match query.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => {
            return Err(ApiError::invalid(vec![senim_domain::FieldError {
                field: "format".into(),
                reason: "must be json or csv".into(),
            }]))
        }
    };
    let cases = state.store.awards(id, query.after, limit).await?;
    let next = (cases.len() as i64 == limit)
        .then(|| cases.last().map(|c| c.id))
        .flatten();
    let items: Vec<Award> = cases
        .iter()
        .map(senim_store::public_case)
        .filter_map(|c| award_of(&c))
        .collect();
    if !csv {
        return Ok(Json(AwardList { items, next }).into_response());
    }
    let mut out =
        String::from("number,organisation_id,title,sectors,unit,amount,usable_until,state\r\n");
    for a in &items {
        let sectors: Vec<&str> = a.sectors.iter().map(|s| s.as_str()).collect();
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{}\r\n",
            a.number,
            a.organisation_id.map(|o| o.to_string()).unwrap_or_default(),
            csv_field(&a.title),
            csv_field(&sectors.join(";")),
            a.unit,
            a.amount,
            a.usable_until.map(|d| d.to_string()).unwrap_or_default(),
            a.state,
        ));
    }
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], out).into_response())
}

/// Open a draft application of the caller's organisation to the call; its
/// steps (edit, submit, ...) are case steps.
#[utoipa::path(post, path = "/api/v1/calls/{id}/applications", tag = "programmes",
    params(("id" = String, Path, description = "Call id")),
    request_body = ApplicationInput,
    responses((status = 201, body = CaseDetail, headers(("ETag" = String))),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn apply(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Result<JsonBody<ApplicationInput>, ApiError>,
) -> Result<impl IntoResponse, ApiError> {
    let id: CallId = parse_id("call", &id)?;
    let JsonBody(input) = body?;
    let case = programmes::open(&state, &caller, id, input).await?;
    Ok(respond(
        &state,
        StatusCode::CREATED,
        shown(&state, &caller, case),
    ))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ManagedApplications {
    pub items: Vec<CaseDetail>,
}

/// The submitted applications to the calls the caller's organisation runs
/// (a programme manager): open ones first, overdue first.
#[utoipa::path(get, path = "/api/v1/applications/managed", tag = "programmes",
    responses((status = 200, body = ManagedApplications), (status = 403, body = ErrorBody)))]
pub async fn managed(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<ManagedApplications>, ApiError> {
    let cases = programmes::managed(&state, &caller).await?;
    let items = cases
        .into_iter()
        .map(|c| crate::cases::detail(&state, shown(&state, &caller, c)))
        .collect();
    Ok(Json(ManagedApplications { items }))
}

/// One line of the statistics: a call's, or a sector's.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StatisticsLine {
    /// For a call: its id, number and title in English.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_id: Option<CallId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// For a sector: its code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sector: Option<senim_domain::profile::Sector>,
    #[serde(flatten)]
    pub statistics: senim_domain::programme::Statistics,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ProgrammeStatistics {
    pub total: senim_domain::programme::Statistics,
    pub by_call: Vec<StatisticsLine>,
    pub by_sector: Vec<StatisticsLine>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct StatisticsQuery {
    /// `json` (the default) or `csv`.
    pub format: Option<String>,
}

/// The programmes' statistics: applications submitted, decided and
/// awarded, the success rate, and the median whole days from submission
/// to decision and from award to the first usable day, in all, by call and
/// by sector; as JSON or (`format=csv`) CSV.
#[utoipa::path(get, path = "/api/v1/programmes/statistics", tag = "programmes",
    params(StatisticsQuery),
    responses((status = 200, body = ProgrammeStatistics), (status = 422, body = ErrorBody)))]
pub async fn statistics(
    State(state): State<AppState>,
    query: Result<QueryParams<StatisticsQuery>, ApiError>,
) -> Result<axum::response::Response, ApiError> {
    let QueryParams(query) = query?;
    let csv = match query.format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => {
            return Err(ApiError::invalid(vec![senim_domain::FieldError {
                field: "format".into(),
                reason: "must be json or csv".into(),
            }]))
        }
    };
    let stats = programmes::statistics(&state).await?;
    let body = ProgrammeStatistics {
        total: stats.total,
        by_call: stats
            .by_call
            .into_iter()
            .map(|(call, statistics)| StatisticsLine {
                call_id: Some(call.id),
                number: Some(call.number.clone()),
                title: Some(call.title.get("en").to_string()),
                sector: None,
                statistics,
            })
            .collect(),
        by_sector: stats
            .by_sector
            .into_iter()
            .map(|(sector, statistics)| StatisticsLine {
                call_id: None,
                number: None,
                title: None,
                sector: Some(sector),
                statistics,
            })
            .collect(),
    };
    if !csv {
        return Ok(Json(body).into_response());
    }
    let mut out = String::from(
        "by,key,title,submitted,decided,awarded,success_percent,median_days_to_decision,median_days_to_usable\r\n",
    );
    let days = |d: Option<i64>| d.map(|d| d.to_string()).unwrap_or_default();
    let mut line = |by: &str, key: &str, title: &str, s: &senim_domain::programme::Statistics| {
        out.push_str(&format!(
            "{by},{},{},{},{},{},{},{},{}\r\n",
            csv_field(key),
            csv_field(title),
            s.submitted,
            s.decided,
            s.awarded,
            s.success_percent,
            days(s.median_days_to_decision),
            days(s.median_days_to_usable),
        ));
    };
    line("all", "", "", &body.total);
    for l in &body.by_call {
        line(
            "call",
            l.number.as_deref().unwrap_or(""),
            l.title.as_deref().unwrap_or(""),
            &l.statistics,
        );
    }
    for l in &body.by_sector {
        line(
            "sector",
            l.sector.map(|s| s.as_str()).unwrap_or(""),
            "",
            &l.statistics,
        );
    }
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], out).into_response())
}
