//! The Platform's support programmes as pages: the public list of
//! programmes and calls, a call's page (its terms, who may apply, what it
//! has given, its awards), a developer's first step of an application, and
//! the programme manager's desk (programmes, calls, the applications to
//! decide). An application's later steps are forms on the case page
//! ([`crate::cases`]).

use axum::extract::{Path, State};
use axum::http::StatusCode;

use senim_app::error::ApiError;
use senim_app::programmes;
use senim_app::state::AppState;
use senim_domain::application::ApplicationInput;
use senim_domain::programme::{Call, CallStatus, ProgrammeInput, ProgrammeKind};
use senim_domain::{CallId, LocalizedText};

use crate::cases::{rows, QueueRow};
use crate::PageResult;
use crate::{Ctx, FormData, Posted, Problems};

/// A call as a list shows it.
pub struct CallRow {
    pub id: String,
    pub number: String,
    pub title: String,
    pub status: String,
    pub open: bool,
    pub dates: String,
    pub budget: String,
}

/// A programme and its calls.
pub struct ProgrammeRow {
    pub id: String,
    pub title: String,
    pub kind: String,
    pub description: String,
    pub calls: Vec<CallRow>,
}

/// An amount in its unit: tenge with two decimals from tiyn, or credits.
pub fn amount(c: &Ctx, unit: senim_domain::programme::BudgetUnit, value: i64) -> String {
    use senim_domain::programme::BudgetUnit;
    let grouped = |n: i64| {
        let digits = n.abs().to_string();
        let mut out = String::new();
        for (i, ch) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push('\u{a0}');
            }
            out.push(ch);
        }
        if n < 0 {
            format!("-{out}")
        } else {
            out
        }
    };
    match unit {
        BudgetUnit::Tiyn => format!("{},{:02} ₸", grouped(value / 100), (value % 100).abs()),
        BudgetUnit::Credits => format!("{} {}", grouped(value), c.t("programme-credits")),
    }
}

fn call_row(c: &Ctx, call: &Call, today: senim_domain::Day) -> CallRow {
    let status = call.status(today);
    CallRow {
        id: call.id.to_string(),
        number: call.number.clone(),
        title: call.title.get(c.lang()).to_string(),
        status: c.t.term("call-status", status.as_str()),
        open: status == CallStatus::Open,
        dates: format!("{} – {}", call.opens, call.closes),
        budget: amount(c, call.budget.unit, call.budget.amount),
    }
}

async fn programme_rows(
    c: &Ctx,
    state: &AppState,
    only: Option<senim_domain::OrganisationId>,
) -> Result<Vec<ProgrammeRow>, ApiError> {
    let today = senim_app::cases::today(state);
    let calls = state.store.calls(None).await?;
    Ok(state
        .store
        .programmes()
        .await?
        .into_iter()
        .filter(|p| only.is_none_or(|o| o == p.organisation_id))
        .map(|p| ProgrammeRow {
            id: p.id.to_string(),
            title: p.title.get(c.lang()).to_string(),
            kind: c.t.term("programme-kind", p.kind.as_str()),
            description: p
                .description
                .as_ref()
                .map(|d| d.get(c.lang()).to_string())
                .unwrap_or_default(),
            calls: calls
                .iter()
                .filter(|k| k.programme_id == p.id)
                .map(|k| call_row(c, k, today))
                .collect(),
        })
        .collect())
}

#[derive(askama::Template)]
#[template(path = "programmes.html")]
struct ProgrammesPage<'a> {
    c: &'a Ctx,
    crumbs: Vec<(String, String)>,
    programmes: Vec<ProgrammeRow>,
}

/// `GET /programmes`: every programme and its calls.
pub async fn list(c: Ctx, State(state): State<AppState>) -> PageResult {
    let page = ProgrammesPage {
        crumbs: vec![(String::new(), c.t("nav-programmes"))],
        programmes: programme_rows(&c, &state, None).await?,
        c: &c,
    };
    Ok(c.render(&page))
}

/// An award as the call's page lists it.
pub struct AwardRow {
    /// The application's case, whose public record is its page.
    pub id: String,
    pub organisation: String,
    pub title: String,
    pub amount: String,
    pub until: String,
    pub state: String,
}

#[derive(askama::Template)]
#[template(path = "call.html")]
struct CallPage<'a> {
    c: &'a Ctx,
    crumbs: Vec<(String, String)>,
    id: String,
    title: String,
    description: String,
    facts: Vec<(String, String)>,
    figures: Vec<(String, String)>,
    rules: Vec<String>,
    criteria: Vec<(String, String, String)>,
    questions: Vec<(String, String)>,
    reports: String,
    awards: Vec<AwardRow>,
    /// The reader may start an application (open call, a developer).
    can_apply: bool,
    problems: Problems,
    form: FormData,
}

async fn call_page(
    c: &Ctx,
    state: &AppState,
    id: &str,
    problems: Problems,
    form: FormData,
) -> PageResult {
    let id: CallId = id.parse().map_err(|_| ApiError::not_found("call"))?;
    let (call, figures) = programmes::call_with_figures(state, id).await?;
    let today = senim_app::cases::today(state);
    let status = call.status(today);
    let unit = call.budget.unit;
    let awards = state.store.awards(call.id, None, 100).await?;
    let awards = awards
        .iter()
        .map(senim_store::public_case)
        .filter_map(|case| {
            let app = case.application()?;
            let decision = app.decision.as_ref()?;
            Some(AwardRow {
                id: case.id.to_string(),
                organisation: case
                    .organisation_id
                    .and_then(|o| state.register.organisation_name(o, c.lang()))
                    .unwrap_or_default(),
                title: app.title.clone(),
                amount: amount(c, unit, decision.amount),
                until: decision
                    .usable_until
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
                state: crate::cases::state_label(c, case.kind(), case.state()),
            })
        })
        .collect();
    let decided = figures.submitted.max(1);
    let can_apply = status == CallStatus::Open
        && c.account()
            .and_then(|a| a.organisation_id)
            .is_some_and(|org| {
                c.caller
                    .may(
                        state,
                        senim_app::policy::Action::ApplicationOpen,
                        &senim_app::policy::Resource::Organisation(org),
                    )
                    .unwrap_or(false)
            });
    let page = CallPage {
        crumbs: vec![
            ("/programmes".into(), c.t("nav-programmes")),
            (String::new(), call.number.clone()),
        ],
        id: call.id.to_string(),
        title: call.title.get(c.lang()).to_string(),
        description: call
            .description
            .as_ref()
            .map(|d| d.get(c.lang()).to_string())
            .unwrap_or_default(),
        facts: [
            (c.t("call-number"), call.number.clone()),
            (
                c.t("call-status-label"),
                c.t.term("call-status", status.as_str()),
            ),
            (
                c.t("call-dates"),
                format!("{} – {}", call.opens, call.closes),
            ),
            (
                c.t("call-evaluation"),
                c.t.term("evaluation", call.evaluation.as_str()),
            ),
            (c.t("call-reviewers"), call.reviewers.to_string()),
            (c.t("call-threshold"), format!("{} %", call.pass_threshold)),
            (c.t("call-min-usable"), call.min_usable_days.to_string()),
        ]
        .into_iter()
        .chain(
            (call.kind == senim_domain::programme::ProgrammeKind::Sandbox)
                .then(|| (c.t("call-max-months"), call.max_months().to_string())),
        )
        .collect(),
        figures: vec![
            (c.t("call-budget"), amount(c, unit, call.budget.amount)),
            (c.t("call-awarded"), amount(c, unit, figures.awarded)),
            (c.t("call-remaining"), amount(c, unit, figures.remaining)),
            (c.t("call-applications"), figures.submitted.to_string()),
            (c.t("call-awards"), figures.awarded_count.to_string()),
            (
                c.t("call-success-rate"),
                format!("{} %", figures.awarded_count * 100 / decided),
            ),
        ],
        rules: programmes::requirement_texts(&call, c.lang()),
        criteria: call
            .rubric
            .iter()
            .map(|k| {
                (
                    k.title.get(c.lang()).to_string(),
                    k.weight.to_string(),
                    format!("0–{}", k.scale),
                )
            })
            .collect(),
        questions: call
            .questions
            .iter()
            .map(|q| {
                (
                    q.text.get(c.lang()).to_string(),
                    if q.required { c.t("yes") } else { c.t("no") },
                )
            })
            .collect(),
        reports: call
            .reports_after_months
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        awards,
        can_apply,
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

/// `GET /calls/{id}`.
pub async fn call(c: Ctx, State(state): State<AppState>, Path(id): Path<String>) -> PageResult {
    call_page(&c, &state, &id, Problems::default(), FormData(Vec::new())).await
}

/// `POST /calls/{id}/apply`: a draft of the reader's organisation, then
/// the case page, where the rest of the form is.
pub async fn apply(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { ctx: c, form }: Posted,
) -> PageResult {
    let call: CallId = id.parse().map_err(|_| ApiError::not_found("call"))?;
    let mut problems = Problems::default();
    let requested = match form
        .text("requested")
        .replace([' ', '\u{a0}'], "")
        .parse::<i64>()
    {
        Ok(n) => n,
        Err(_) => {
            problems.push("requested", c.t("problem-number"));
            0
        }
    };
    if problems.is_empty() {
        let input = ApplicationInput {
            title: form.text("title"),
            requested,
            ..Default::default()
        };
        match programmes::open(&state, &c.caller, call, input).await {
            Ok(case) => return Ok(c.redirect(&format!("/desk/cases/{}", case.id))),
            Err(e)
                if e.status == StatusCode::UNPROCESSABLE_ENTITY
                    || e.status == StatusCode::CONFLICT =>
            {
                problems = crate::refusal(&c, &e, "title", |field| {
                    let id = if field == "requested" {
                        "requested"
                    } else {
                        "title"
                    };
                    (id.to_string(), c.t(&format!("field-{id}")))
                });
            }
            Err(e) => return Err(e.into()),
        }
    }
    call_page(&c, &state, &id, problems, form).await
}

#[derive(askama::Template)]
#[template(path = "programme_desk.html")]
struct DeskPage<'a> {
    c: &'a Ctx,
    crumbs: Vec<(String, String)>,
    programmes: Vec<ProgrammeRow>,
    queue: Vec<QueueRow>,
    kinds: Vec<(String, String)>,
    problems: Problems,
    form: FormData,
    done: Option<String>,
}

/// A call's terms as the desk's form starts them.
const TERMS_TEMPLATE: &str = r#"title = { kk = "", ru = "", en = "" }
description = { kk = "", ru = "", en = "" }
opens = "2027-01-11"
closes = "2027-02-26"
budget = { unit = "credits", amount = 1000000 }
evaluation = "cut_off"
reviewers = 2
pass_threshold = 70
reports_after_months = [1, 3, 9]
min_usable_days = 30
# A sandbox call only: its longest stay in months (1 to 12).
# max_months = 12

[[rubric]]
id = "excellence"
title = { kk = "Ғылыми деңгейі", ru = "Научный уровень", en = "Scientific excellence" }
weight = 60
scale = 5

[[rubric]]
id = "impact"
title = { kk = "Әсері", ru = "Влияние", en = "Impact" }
weight = 40
scale = 5

[[questions]]
id = "plan"
text = { kk = "Не үйретесіз, қандай деректермен?", ru = "Что вы будете обучать и на каких данных?", en = "What will you train, on which data?" }
answer = "text"
required = true
"#;

async fn desk_page(c: &Ctx, state: &AppState, problems: Problems, form: FormData) -> PageResult {
    c.require_desk("programmes")?;
    let org = c.account().and_then(|a| a.organisation_id);
    let queue = programmes::managed(state, &c.caller).await?;
    let mut form = form;
    if form.get("terms").is_none() {
        form.0.push(("terms".into(), TERMS_TEMPLATE.into()));
    }
    let page = DeskPage {
        crumbs: vec![(String::new(), c.t("desk-programmes"))],
        programmes: programme_rows(c, state, org).await?,
        queue: rows(c, state, queue).await,
        kinds: ProgrammeKind::ALL
            .iter()
            .map(|k| {
                (
                    k.as_str().to_string(),
                    c.t.term("programme-kind", k.as_str()),
                )
            })
            .collect(),
        done: c.done("programme-done"),
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

/// `GET /programmes/desk`: the programme manager's desk.
pub async fn desk(c: Ctx, State(state): State<AppState>) -> PageResult {
    desk_page(&c, &state, Problems::default(), FormData(Vec::new())).await
}

fn refusal_at(c: &Ctx, e: &ApiError, first: &str) -> Problems {
    crate::refusal(c, e, first, |field| {
        let id = match field.split([':', '.', '[']).next().unwrap_or("") {
            "eligibility" => "eligibility",
            "title" | "description" | "kind" => first,
            _ => "terms",
        };
        (id.to_string(), field.to_string())
    })
}

/// `POST /programmes/desk/programmes`: a new programme.
pub async fn create_programme(
    State(state): State<AppState>,
    Posted { ctx: c, form }: Posted,
) -> PageResult {
    let text = |lang: &str| {
        let v = form.text(&format!("title_{lang}"));
        (!v.trim().is_empty()).then_some(v)
    };
    let kind = form.text("kind").parse::<ProgrammeKind>();
    let input = match kind {
        Ok(kind) => ProgrammeInput {
            kind,
            title: LocalizedText {
                kk: text("kk"),
                ru: text("ru"),
                en: text("en"),
            },
            description: LocalizedText::default(),
        },
        Err(reason) => {
            let mut p = Problems::default();
            p.push("kind", reason);
            return desk_page(&c, &state, p, form).await;
        }
    };
    match programmes::create_programme(&state, &c.caller, input).await {
        Ok(_) => Ok(c.redirect("/programmes/desk?done=programme")),
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            let p = refusal_at(&c, &e, "title_kk");
            desk_page(&c, &state, p, form).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /programmes/desk/calls`: publishes a call of one of the
/// organisation's programmes, its terms and rules as TOML.
pub async fn publish_call(
    State(state): State<AppState>,
    Posted { ctx: c, form }: Posted,
) -> PageResult {
    let programme = form
        .text("programme")
        .parse()
        .map_err(|_| ApiError::not_found("programme"))?;
    let published = match programmes::call_from_toml(&form.text("terms"), &form.text("eligibility"))
    {
        Ok(input) => programmes::publish_call(&state, &c.caller, programme, input).await,
        Err(e) => Err(e),
    };
    match published {
        Ok(call) => Ok(c.redirect(&format!("/calls/{}", call.id))),
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            let p = refusal_at(&c, &e, "terms");
            desk_page(&c, &state, p, form).await
        }
        Err(e) => Err(e.into()),
    }
}

/// A line of the statistics as the page shows it.
pub struct StatRow {
    pub label: String,
    pub link: Option<String>,
    pub submitted: u64,
    pub awarded: u64,
    pub success: String,
    pub to_decision: String,
    pub to_usable: String,
}

fn stat_row(
    c: &Ctx,
    label: String,
    link: Option<String>,
    s: &senim_domain::programme::Statistics,
) -> StatRow {
    let days = |d: Option<i64>| {
        d.map(|d| c.t.t1("statistics-days", "n", d))
            .unwrap_or_else(|| "—".into())
    };
    StatRow {
        label,
        link,
        submitted: s.submitted,
        awarded: s.awarded,
        success: format!("{} %", s.success_percent),
        to_decision: days(s.median_days_to_decision),
        to_usable: days(s.median_days_to_usable),
    }
}

#[derive(askama::Template)]
#[template(path = "programme_statistics.html")]
struct StatisticsPage<'a> {
    c: &'a Ctx,
    crumbs: Vec<(String, String)>,
    total: StatRow,
    /// By call, then by sector: (caption, rows).
    sections: Vec<(String, Vec<StatRow>)>,
}

/// `GET /programmes/statistics`: applications, awards, success rate and
/// median waits, in all, by call and by sector.
pub async fn statistics(c: Ctx, State(state): State<AppState>) -> PageResult {
    let stats = programmes::statistics(&state).await?;
    let by_call = stats
        .by_call
        .iter()
        .map(|(call, s)| {
            stat_row(
                &c,
                format!("{} {}", call.number, call.title.get(c.lang())),
                Some(format!("/calls/{}", call.id)),
                s,
            )
        })
        .collect();
    let by_sector = stats
        .by_sector
        .iter()
        .map(|(sector, s)| stat_row(&c, c.t.term("sector", sector.as_str()), None, s))
        .collect();
    let page = StatisticsPage {
        crumbs: vec![
            ("/programmes".into(), c.t("nav-programmes")),
            (String::new(), c.t("programme-statistics-title")),
        ],
        total: stat_row(&c, c.t("programme-statistics-all"), None, &stats.total),
        sections: vec![
            (c.t("programme-statistics-by-call"), by_call),
            (c.t("programme-statistics-by-sector"), by_sector),
        ],
        c: &c,
    };
    Ok(c.render(&page))
}
