//! `/api/v1/courses`, `/api/v1/programmes/{id}/courses`,
//! `/api/v1/certificates`, and `/badges/status/{year}`: the courses of the
//! education programmes (public), publishing one (a programme manager),
//! enrolling (any account), the enrolments of a course (its instructors and
//! its programme), a learner's certificate as an Open Badges 3.0 credential,
//! checking one, and the status lists that revoke them. The other steps of
//! an enrolment are case steps (`POST /api/v1/cases/{id}/steps`).

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use senim_app::auth::Caller;
use senim_app::cases::shown;
use senim_app::education::{self, Verification};
use senim_app::error::{ApiError, ErrorBody};
use senim_app::extract::JsonBody;
use senim_app::state::AppState;
use senim_domain::education::{Course, CourseInput};
use senim_domain::{CaseId, CourseId, ProgrammeId};
use senim_store::CourseFigures;

use crate::cases::{respond, CaseDetail};

#[derive(Debug, Serialize, ToSchema)]
pub struct CourseList {
    pub items: Vec<CourseFigures>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EnrolmentList {
    pub items: Vec<CaseDetail>,
}

fn parse_id<T: std::str::FromStr<Err = String>>(what: &str, id: &str) -> Result<T, ApiError> {
    id.parse().map_err(|_| ApiError::not_found(what))
}

/// Every course of the Platform's education programmes, with how many are
/// enrolled and how many completed.
#[utoipa::path(get, path = "/api/v1/courses", tag = "programmes",
    responses((status = 200, body = CourseList)))]
pub async fn list(State(state): State<AppState>) -> Result<Json<CourseList>, ApiError> {
    Ok(Json(CourseList {
        items: state.store.courses(None).await?,
    }))
}

/// One course.
#[utoipa::path(get, path = "/api/v1/courses/{id}", tag = "programmes",
    params(("id" = String, Path, description = "Course id")),
    responses((status = 200, body = CourseFigures), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<CourseFigures>, ApiError> {
    let id: CourseId = parse_id("course", &id)?;
    Ok(Json(state.store.course(id).await?))
}

/// A new course of an education programme (its programme manager).
#[utoipa::path(post, path = "/api/v1/programmes/{id}/courses", tag = "programmes",
    params(("id" = String, Path, description = "Programme id")),
    request_body = CourseInput,
    responses((status = 201, body = Course), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Result<JsonBody<CourseInput>, ApiError>,
) -> Result<impl IntoResponse, ApiError> {
    let id: ProgrammeId = parse_id("programme", &id)?;
    let JsonBody(input) = body?;
    let course = education::create_course(&state, &caller, id, input).await?;
    Ok((StatusCode::CREATED, Json(course)))
}

/// The sectors whose expert reviewers must hold the course's certificate.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewerSectors {
    pub sectors: Vec<senim_domain::profile::Sector>,
}

/// Make a course a condition of the reviewer pool for some sectors, or of
/// none (the authority's supervisors, who keep the pool).
#[utoipa::path(put, path = "/api/v1/courses/{id}/reviewer-sectors", tag = "programmes",
    params(("id" = String, Path, description = "Course id")),
    request_body = ReviewerSectors,
    responses((status = 200, body = Course), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_reviewer_sectors(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Result<JsonBody<ReviewerSectors>, ApiError>,
) -> Result<Json<Course>, ApiError> {
    let id: CourseId = parse_id("course", &id)?;
    let JsonBody(input) = body?;
    Ok(Json(
        education::set_reviewer_sectors(&state, &caller, id, input.sectors).await?,
    ))
}

/// Enrol in a course (any signed-in account): an enrolment case, which the
/// course's instructors complete.
#[utoipa::path(post, path = "/api/v1/courses/{id}/enrolments", tag = "programmes",
    params(("id" = String, Path, description = "Course id")),
    responses((status = 201, body = CaseDetail, headers(("ETag" = String))),
              (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody)))]
pub async fn enrol(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let id: CourseId = parse_id("course", &id)?;
    let case = education::enrol(&state, &caller, id).await?;
    Ok(respond(
        &state,
        StatusCode::CREATED,
        shown(&state, &caller, case),
    ))
}

/// The enrolments in a course (its instructors and its programme's
/// managers), running ones first.
#[utoipa::path(get, path = "/api/v1/courses/{id}/enrolments", tag = "programmes",
    params(("id" = String, Path, description = "Course id")),
    responses((status = 200, body = EnrolmentList), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn enrolments(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<EnrolmentList>, ApiError> {
    let id: CourseId = parse_id("course", &id)?;
    let items = education::enrolments(&state, &caller, id)
        .await?
        .into_iter()
        .map(|c| crate::cases::detail(&state, shown(&state, &caller, c)))
        .collect();
    Ok(Json(EnrolmentList { items }))
}

/// The caller's own enrolments, newest first.
#[utoipa::path(get, path = "/api/v1/enrolments/mine", tag = "programmes",
    responses((status = 200, body = EnrolmentList), (status = 401, body = ErrorBody)))]
pub async fn mine(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<EnrolmentList>, ApiError> {
    let account = caller
        .account
        .as_ref()
        .ok_or_else(ApiError::unauthenticated)?;
    let items = state
        .store
        .enrolments_of(account.id)
        .await?
        .into_iter()
        .map(|c| crate::cases::detail(&state, shown(&state, &caller, c)))
        .collect();
    Ok(Json(EnrolmentList { items }))
}

/// The certificate of a completed enrolment, as a signed Open Badges 3.0
/// credential (a W3C Verifiable Credential) that any verifier can check
/// offline (the learner).
#[utoipa::path(get, path = "/api/v1/enrolments/{id}/certificate", tag = "programmes",
    params(("id" = String, Path, description = "The enrolment's case id")),
    responses((status = 200, description = "The credential", content_type = "application/vc+ld+json"),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn certificate(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let id: CaseId = parse_id("enrolment", &id)?;
    let case = state.store.case(id).await?;
    if case.enrolment().is_none() {
        return Err(ApiError::not_found("enrolment"));
    }
    let credential = education::credential(&state, &caller, &case).await?;
    let name = format!("attachment; filename=\"certificate-{}.json\"", case.number);
    Ok((
        [
            (header::CONTENT_TYPE, "application/vc+ld+json".to_string()),
            (header::CONTENT_DISPOSITION, name),
        ],
        credential.to_string(),
    ))
}

/// Check a certificate someone shows (anyone): the Platform's signature,
/// its validity period and whether it was revoked.
#[utoipa::path(post, path = "/api/v1/certificates/verify", tag = "programmes",
    request_body(content = Object, description = "The credential"),
    responses((status = 200, body = Verification), (status = 422, body = ErrorBody)))]
pub async fn verify(
    State(state): State<AppState>,
    body: Result<JsonBody<serde_json::Value>, ApiError>,
) -> Result<Json<Verification>, ApiError> {
    let JsonBody(credential) = body?;
    Ok(Json(education::verify(&state, &credential).await?))
}

/// The Bitstring Status List credential of a year's certificates: what
/// revokes them (public, at the address each certificate names).
pub async fn status_list(
    State(state): State<AppState>,
    Path(year): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let year: i32 = year
        .parse()
        .ok()
        .filter(|y| (2000..=9999).contains(y))
        .ok_or_else(|| ApiError::not_found("status list"))?;
    let list = education::status_list(&state, year).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/vc+ld+json"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        list.to_string(),
    ))
}
