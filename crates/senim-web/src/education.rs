//! Education as pages: the public list of courses (and the reader's own
//! enrolments), a course's page (the address its certificates name as their
//! achievement) with the form to enrol, the courses desk (instructors record
//! completions; programme managers publish courses), and checking a
//! certificate. An enrolment's steps are forms on the case page
//! ([`crate::cases`]).

use axum::extract::{Path, State};
use axum::http::StatusCode;

use senim_app::education;
use senim_app::state::AppState;
use senim_domain::{CourseId, ProgrammeId};
use senim_store::CourseFigures;

use crate::cases::{rows, QueueRow};
use crate::{ApiError, PageResult};
use crate::{Ctx, FormData, Posted, Problems};

/// A course as the pages show it.
pub struct CourseRow {
    pub id: String,
    pub title: String,
    pub provider: String,
    pub hours: u32,
    pub language: String,
    pub syllabus: String,
    pub criteria: String,
    pub seats: String,
    pub enrolled: i64,
    pub completed: i64,
    /// The sectors whose reviewers it qualifies.
    pub sectors: String,
}

fn course_row(c: &Ctx, state: &AppState, f: &CourseFigures) -> CourseRow {
    let course = &f.course;
    CourseRow {
        id: course.id.to_string(),
        title: course.title.get(c.lang()).to_string(),
        provider: state
            .register
            .organisation_name(course.provider_organisation_id, c.lang())
            .unwrap_or_default(),
        hours: course.hours,
        language: c.t.term("course-language", course.language.as_str()),
        syllabus: course.syllabus.get(c.lang()).to_string(),
        criteria: course.criteria.get(c.lang()).to_string(),
        seats: course
            .seats
            .map(|s| s.to_string())
            .unwrap_or_else(|| c.t("course-seats-open")),
        enrolled: f.enrolled,
        completed: f.completed,
        sectors: course
            .reviewer_sectors
            .iter()
            .map(|s| c.t.term("sector", s.as_str()))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

#[derive(askama::Template)]
#[template(path = "courses.html")]
struct CoursesPage<'a> {
    c: &'a Ctx,
    crumbs: Vec<(String, String)>,
    courses: Vec<CourseRow>,
    mine: Vec<QueueRow>,
}

/// `GET /programmes/courses`: every course, and the reader's enrolments.
pub async fn list(c: Ctx, State(state): State<AppState>) -> PageResult {
    let courses = state
        .store
        .courses(None)
        .await?
        .iter()
        .map(|f| course_row(&c, &state, f))
        .collect();
    let mine = match c.account() {
        Some(a) => {
            let cases = state.store.enrolments_of(a.id).await?;
            rows(&c, &state, cases).await
        }
        None => Vec::new(),
    };
    let page = CoursesPage {
        crumbs: vec![
            ("/programmes".into(), c.t("nav-programmes")),
            (String::new(), c.t("courses-title")),
        ],
        courses,
        mine,
        c: &c,
    };
    Ok(c.render(&page))
}

#[derive(askama::Template)]
#[template(path = "course.html")]
struct CoursePage<'a> {
    c: &'a Ctx,
    crumbs: Vec<(String, String)>,
    course: CourseRow,
    problems: Problems,
    /// For the pool's keepers: every sector (code, label, required now).
    pool_sectors: Vec<(String, String, bool)>,
}

async fn course_page(c: &Ctx, state: &AppState, id: &str, problems: Problems) -> PageResult {
    let id: CourseId = id.parse().map_err(|_| ApiError::not_found("course"))?;
    let figures = state.store.course(id).await?;
    let keeps_pool = c
        .caller
        .may(
            state,
            senim_app::policy::Action::ReviewerManage,
            &senim_app::policy::Resource::Collection("reviewers"),
        )
        .unwrap_or(false);
    let pool_sectors = if keeps_pool {
        senim_domain::profile::Sector::ALL
            .iter()
            .map(|s| {
                (
                    s.as_str().to_string(),
                    c.t.term("sector", s.as_str()),
                    figures.course.reviewer_sectors.contains(s),
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let course = course_row(c, state, &figures);
    let page = CoursePage {
        crumbs: vec![
            ("/programmes".into(), c.t("nav-programmes")),
            ("/programmes/courses".into(), c.t("courses-title")),
            (String::new(), course.title.clone()),
        ],
        course,
        problems,
        pool_sectors,
        c,
    };
    let failed = !page.problems.is_empty();
    let mut r = c.render(&page);
    if failed {
        *r.status_mut() = StatusCode::CONFLICT;
    }
    Ok(r)
}

/// `GET /courses/{id}`: a course, and the form to enrol.
pub async fn show(c: Ctx, State(state): State<AppState>, Path(id): Path<String>) -> PageResult {
    course_page(&c, &state, &id, Problems::default()).await
}

/// `POST /courses/{id}`: the reader enrols.
pub async fn enrol(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { ctx: c, .. }: Posted,
) -> PageResult {
    let course: CourseId = id.parse().map_err(|_| ApiError::not_found("course"))?;
    match education::enrol(&state, &c.caller, course).await {
        Ok(case) => Ok(c.redirect(&format!("/desk/cases/{}?done=enrolled", case.id))),
        Err(e) if e.status == StatusCode::CONFLICT => {
            let mut p = Problems::default();
            p.push("enrol", format!("{} {}", c.t("error-invalid"), e.message));
            course_page(&c, &state, &id, p).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /courses/{id}/reviewer-sectors`: the pool's keepers set the
/// sectors whose reviewers must hold the course's certificate.
pub async fn set_reviewer_sectors(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { ctx: c, form }: Posted,
) -> PageResult {
    let course: CourseId = id.parse().map_err(|_| ApiError::not_found("course"))?;
    let mut sectors = Vec::new();
    for (name, value) in &form.0 {
        if name == "sector" {
            sectors.push(value.parse().map_err(|e: String| {
                ApiError::invalid(vec![senim_domain::FieldError {
                    field: "sector".into(),
                    reason: e,
                }])
            })?);
        }
    }
    education::set_reviewer_sectors(&state, &c.caller, course, sectors).await?;
    Ok(c.redirect(&format!("/courses/{course}")))
}

#[derive(askama::Template)]
#[template(path = "course_desk.html")]
struct DeskPage<'a> {
    c: &'a Ctx,
    crumbs: Vec<(String, String)>,
    courses: Vec<(CourseRow, Vec<QueueRow>)>,
    /// The education programmes the reader may publish courses in.
    programmes: Vec<(String, String)>,
    problems: Problems,
    form: FormData,
    done: Option<String>,
}

/// A course as the desk's form starts it.
const COURSE_TEMPLATE: &str = r#"provider_organisation_id = ""
title = { kk = "", ru = "", en = "" }
syllabus = { kk = "", ru = "", en = "" }
criteria = { kk = "", ru = "", en = "" }
hours = 24
language = "kk"
seats = 30
"#;

async fn desk_page(c: &Ctx, state: &AppState, problems: Problems, form: FormData) -> PageResult {
    c.require_desk("courses")?;
    let mut courses = Vec::new();
    for f in education::taught(state, &c.caller).await? {
        let cases = education::enrolments(state, &c.caller, f.course.id).await?;
        let queue = rows(c, state, cases).await;
        courses.push((course_row(c, state, &f), queue));
    }
    let org = c.account().and_then(|a| a.organisation_id);
    let programmes = state
        .store
        .programmes()
        .await?
        .into_iter()
        .filter(|p| {
            p.kind == senim_domain::programme::ProgrammeKind::Education
                && Some(p.organisation_id) == org
        })
        .map(|p| (p.id.to_string(), p.title.get(c.lang()).to_string()))
        .collect();
    let mut form = form;
    if form.get("course").is_none() {
        form.0.push(("course".into(), COURSE_TEMPLATE.into()));
    }
    let page = DeskPage {
        crumbs: vec![(String::new(), c.t("desk-courses"))],
        courses,
        programmes,
        done: c.done("course-done"),
        problems,
        form,
        c,
    };
    let failed = !page.problems.is_empty();
    let mut r = c.render(&page);
    if failed {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

/// `GET /courses/desk`: the enrolments of the courses the reader teaches or
/// whose programme they run.
pub async fn desk(c: Ctx, State(state): State<AppState>) -> PageResult {
    desk_page(&c, &state, Problems::default(), FormData(Vec::new())).await
}

/// `POST /courses/desk`: publishes a course, written as TOML.
pub async fn create(State(state): State<AppState>, Posted { ctx: c, form }: Posted) -> PageResult {
    let programme: Result<ProgrammeId, _> = form.text("programme_id").parse();
    let created = match (programme, education::course_from_toml(&form.text("course"))) {
        (Ok(p), Ok(input)) => education::create_course(&state, &c.caller, p, input).await,
        (Err(_), _) => Err(ApiError::invalid(vec![senim_domain::FieldError {
            field: "programme_id".into(),
            reason: "choose an education programme".into(),
        }])),
        (_, Err(e)) => Err(e),
    };
    match created {
        Ok(course) => Ok(c.redirect(&format!("/courses/{}", course.id))),
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            let p = crate::refusal(&c, &e, "course", |field| {
                if field == "programme_id" {
                    ("programme_id".to_string(), c.t("course-desk-programme"))
                } else {
                    ("course".to_string(), field.to_string())
                }
            });
            desk_page(&c, &state, p, form).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(askama::Template)]
#[template(path = "badge_verify.html")]
struct VerifyPage<'a> {
    c: &'a Ctx,
    crumbs: Vec<(String, String)>,
    form: FormData,
    problems: Problems,
    result: Option<education::Verification>,
}

fn verify_page(
    c: &Ctx,
    form: FormData,
    problems: Problems,
    result: Option<education::Verification>,
) -> PageResult {
    let page = VerifyPage {
        crumbs: vec![(String::new(), c.t("badges-verify-title"))],
        form,
        problems,
        result,
        c,
    };
    Ok(c.render(&page))
}

/// `GET /badges/verify`: the form to check a certificate.
pub async fn verify_form(c: Ctx) -> PageResult {
    verify_page(&c, FormData(Vec::new()), Problems::default(), None)
}

/// `POST /badges/verify`: checks the certificate pasted.
pub async fn verify(State(state): State<AppState>, Posted { ctx: c, form }: Posted) -> PageResult {
    let text = form.text("credential");
    let credential: serde_json::Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            let mut p = Problems::default();
            p.push(
                "credential",
                format!("{}: {e}", c.t("badges-verify-credential")),
            );
            let mut r = verify_page(&c, form, p, None)?;
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(r);
        }
    };
    let result = education::verify(&state, &credential).await?;
    verify_page(&c, form, Problems::default(), Some(result))
}
