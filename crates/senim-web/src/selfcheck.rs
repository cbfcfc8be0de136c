//! The classification self-check: the profile questions in three steps,
//! "check your answers", and the result under every rule pack. Everything
//! is a GET, so the result's address reproduces it and can be shared.

use axum::extract::State;
use axum::response::Response;

use senim_domain::classification::Classification;

use crate::profile::{self, Shown, STEPS};
use crate::public::{risk_tag, Tag};
use crate::{Ctx, FormData, Problems};
use senim_app::state::AppState;

#[derive(askama::Template)]
#[template(path = "selfcheck_step.html")]
struct StepPage<'a> {
    c: &'a Ctx,
    crumbs: Vec<(String, String)>,
    problems: Problems,
    title: String,
    step: u8,
    steps: u8,
    questions: Vec<Shown>,
    hidden: Vec<(String, String)>,
    back: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "selfcheck_check.html")]
struct CheckPage<'a> {
    c: &'a Ctx,
    crumbs: Vec<(String, String)>,
    problems: Problems,
    answers: Vec<(u8, String, String)>,
    query: String,
    pairs: Vec<(String, String)>,
}

/// A pack's result.
pub struct PackResult {
    pub title: String,
    /// What the pack is in law (draft, enacted, foreign), in words.
    pub status: String,
    pub in_force: bool,
    pub risk: Tag,
    pub classification: Classification,
}

#[derive(askama::Template)]
#[template(path = "selfcheck_result.html")]
struct ResultPage<'a> {
    c: &'a Ctx,
    crumbs: Vec<(String, String)>,
    results: Vec<PackResult>,
    query: String,
}

fn crumbs(c: &Ctx) -> Vec<(String, String)> {
    vec![(String::new(), c.t("nav-self-check"))]
}

fn step_page<'a>(c: &'a Ctx, form: &FormData, step: u8, problems: Problems) -> StepPage<'a> {
    let questions = profile::QUESTIONS
        .iter()
        .filter(|(s, _)| *s == step)
        .map(|(_, q)| profile::show(c, q, form, &problems))
        .collect();
    StepPage {
        crumbs: crumbs(c),
        title: c.t(&format!("selfcheck-step-{step}")),
        step,
        steps: STEPS,
        questions,
        hidden: profile::hidden(form, step),
        back: (step > 1).then(|| format!("/self-check?step={}&{}", step - 1, profile::query(form))),
        problems,
        c,
    }
}

fn check_page<'a>(c: &'a Ctx, form: &FormData, problems: Problems) -> CheckPage<'a> {
    CheckPage {
        crumbs: crumbs(c),
        answers: profile::summary(c, form),
        query: profile::query(form),
        pairs: profile::hidden(form, 0),
        problems,
        c,
    }
}

/// `GET /self-check`: a step, or "check your answers" after the last.
pub async fn wizard(c: Ctx) -> Response {
    let form = FormData(c.query.clone());
    if let Some(from) = c
        .param("from")
        .and_then(|f| f.parse::<u8>().ok())
        .filter(|f| (1..=STEPS).contains(f))
    {
        let problems = profile::check_step(&c, from, &form);
        if !problems.is_empty() {
            return c.render(&step_page(&c, &form, from, problems));
        }
        if from < STEPS {
            return c.render(&step_page(&c, &form, from + 1, Problems::default()));
        }
        return c.render(&check_page(&c, &form, Problems::default()));
    }
    match c.param("step") {
        Some("check") => c.render(&check_page(&c, &form, Problems::default())),
        other => {
            let step = other
                .and_then(|s| s.parse::<u8>().ok())
                .filter(|s| (1..=STEPS).contains(s))
                .unwrap_or(1);
            c.render(&step_page(&c, &form, step, Problems::default()))
        }
    }
}

/// `GET /self-check/result?...`: the classification under every pack (its
/// newest version), in the reader's language.
pub async fn result(c: Ctx, State(state): State<AppState>) -> Response {
    let form = FormData(c.query.clone());
    let profile = match profile::parse(&c, &form) {
        Ok(p) => p,
        Err(problems) => {
            let mut r = c.render(&check_page(&c, &form, problems));
            *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            return r;
        }
    };
    let book = state.rules.read().await;
    let in_force = book.in_force();
    let mut results: Vec<PackResult> = book
        .ids()
        .iter()
        .filter_map(|id| book.latest(id))
        .map(|pack| {
            let classification = pack.explain(&pack.classify(&profile), c.t.lang);
            PackResult {
                title: pack.title.get(c.t.lang).to_string(),
                status: c.t.term("legal-status", pack.status.as_str()),
                in_force: pack.id == in_force.id && pack.version == in_force.version,
                risk: risk_tag(&c, Some(classification.risk_level)),
                classification,
            }
        })
        .collect();
    // The pack in force first.
    results.sort_by_key(|r| !r.in_force);
    drop(book);
    c.render(&ResultPage {
        crumbs: vec![
            ("/self-check".into(), c.t("nav-self-check")),
            (String::new(), c.t("selfcheck-result-title")),
        ],
        results,
        query: profile::query(&form),
        c: &c,
    })
}
