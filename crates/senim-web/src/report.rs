//! Reporting a problem without an account (an incident, a complaint about
//! a decision, a tip), and following it by its tracking code.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use senim_domain::case::Contact;
use senim_domain::oversight::{ComplaintGround, ReportInput, ReportStatus, ReportType};
use senim_domain::{Day, SystemId};

use crate::public::date;
use crate::upload::PostedFile;
use crate::{Ctx, FormData, Posted, Problems, FILED_COOKIE};
use senim_app::cases::{file_report, status_by_code};
use senim_app::state::AppState;

/// A choice of a radio group.
pub struct Radio {
    pub value: &'static str,
    pub label: String,
    pub hint: String,
    pub checked: bool,
}

#[derive(askama::Template)]
#[template(path = "report.html")]
struct ReportForm<'a> {
    c: &'a Ctx,
    crumbs: Vec<(String, String)>,
    problems: Problems,
    types: Vec<Radio>,
    grounds: Vec<Radio>,
    system: Option<(String, String)>,
    form: FormData,
    /// The challenge the page's script solves before sending (none when the
    /// register asks for no proof of work).
    proof: Option<senim_app::cases::ReportChallenge>,
}

impl ReportForm<'_> {
    /// What the reader typed into `name`, to show it again.
    fn value(&self, name: &str) -> &str {
        self.form.get(name).unwrap_or("")
    }
}

fn radios<T: Copy>(
    c: &Ctx,
    prefix: &str,
    all: &[(T, &'static str)],
    chosen: Option<&str>,
) -> Vec<Radio> {
    all.iter()
        .map(|(_, v)| Radio {
            value: v,
            label: c.t.term(prefix, v),
            hint: c.t.term(&format!("{prefix}-hint"), v),
            checked: chosen == Some(*v),
        })
        .collect()
}

async fn form_page(c: &Ctx, state: &AppState, form: FormData, problems: Problems) -> Response {
    let system = match form
        .get("system_id")
        .or(c.param("system"))
        .and_then(|s| s.parse::<SystemId>().ok())
    {
        Some(id) => state
            .register
            .system_name(id, c.lang())
            .map(|name| (id.to_string(), name)),
        None => None,
    };
    let types: Vec<(ReportType, &str)> = ReportType::ALL.iter().map(|t| (*t, t.as_str())).collect();
    let grounds: Vec<(ComplaintGround, &str)> = ComplaintGround::ALL
        .iter()
        .map(|g| (*g, g.as_str()))
        .collect();
    let failed = !problems.is_empty();
    let page = ReportForm {
        c,
        crumbs: vec![(String::new(), c.t("nav-report"))],
        types: radios(c, "report-type", &types, form.get("type")),
        grounds: radios(c, "ground", &grounds, form.get("ground")),
        system,
        problems,
        form,
        proof: (state.config.report_proof_bits > 0)
            .then(|| senim_app::cases::report_challenge(state)),
    };
    let mut r = c.render(&page);
    if failed {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    r
}

/// `GET /report`.
pub async fn show(c: Ctx, State(state): State<AppState>) -> Response {
    form_page(&c, &state, FormData::default(), Problems::default()).await
}

#[derive(askama::Template)]
#[template(path = "report_done.html")]
struct Done<'a> {
    c: &'a Ctx,
    crumbs: Vec<(String, String)>,
    number: String,
    code: String,
}

/// Reads the form into the intake's input, or the problems in the reader's
/// language.
fn read(c: &Ctx, form: &FormData, today: Day) -> Result<ReportInput, Problems> {
    let mut problems = Problems::default();
    let report_type = match form.get("type").map(str::parse::<ReportType>) {
        Some(Ok(t)) => Some(t),
        _ => {
            problems.push("type", c.t("report-type-missing"));
            None
        }
    };
    let ground = match (report_type, form.get("ground").filter(|g| !g.is_empty())) {
        (Some(ReportType::Complaint), Some(g)) => match g.parse::<ComplaintGround>() {
            Ok(g) => Some(g),
            Err(_) => {
                problems.push("ground", c.t("report-ground-missing"));
                None
            }
        },
        (Some(ReportType::Complaint), None) => {
            problems.push("ground", c.t("report-ground-missing"));
            None
        }
        _ => None,
    };
    let description = form.text("description");
    if description.is_empty() {
        problems.push("description", c.t("report-description-missing"));
    } else if description.chars().count() > senim_domain::oversight::MAX_DESCRIPTION_CHARS {
        problems.push("description", c.t("report-description-long"));
    }
    let occurred_on = match form
        .get("occurred_on")
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        None => None,
        Some(d) => match Day::parse(d) {
            Ok(day) if day <= today => Some(day),
            Ok(_) => {
                problems.push("occurred_on", c.t("report-date-future"));
                None
            }
            Err(_) => {
                problems.push("occurred_on", c.t("report-date-bad"));
                None
            }
        },
    };
    let email = form.text("email");
    if !email.is_empty() && (!email.contains('@') || email.len() > 300) {
        problems.push("email", c.t("report-email-bad"));
    }
    for field in ["system_name", "name", "phone"] {
        if form.text(field).chars().count() > 300 {
            problems.push(field, c.t("report-field-long"));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let optional = |name: &str| Some(form.text(name)).filter(|v| !v.is_empty());
    Ok(ReportInput {
        report_type: report_type.unwrap_or(ReportType::Incident),
        ground,
        system_id: form.get("system_id").and_then(|s| s.parse().ok()),
        system_name: optional("system_name"),
        description,
        occurred_on,
        contact: Some(Contact {
            name: optional("name"),
            email: optional("email"),
            phone: optional("phone"),
        }),
    })
}

#[derive(askama::Template)]
#[template(path = "report_systems.html")]
struct SystemChoices<'a> {
    c: &'a Ctx,
    hits: Vec<(SystemId, String, String)>,
}

/// `GET /report/systems?system_name=...`: the registered systems the words
/// typed in the report form's system field find, as choices (the form's
/// picker, fetched by htmx as one types; the same search as the register).
pub async fn systems(c: Ctx, State(state): State<AppState>) -> Response {
    let words = c
        .param("system_name")
        .unwrap_or_default()
        .trim()
        .to_string();
    let hits = if words.chars().count() >= 2 && words.len() <= 300 {
        state.register.pick(&words, c.lang(), 5)
    } else {
        Vec::new()
    };
    c.render(&SystemChoices { c: &c, hits })
}

/// `POST /report`: files the report, then sends the browser to the
/// confirmation (post, redirect, get: refreshing it files nothing again).
/// The tracking code travels in a cookie scoped to that page, never in an
/// address, where it would reach the history and the logs.
pub async fn submit(
    State(state): State<AppState>,
    senim_app::auth::ClientIp(client): senim_app::auth::ClientIp,
    PostedFile {
        ctx: mut c,
        form,
        file,
    }: PostedFile,
) -> Response {
    let today = Day::of(state.clock.now());
    let mut input = match read(&c, &form, today) {
        Ok(i) => i,
        Err(problems) => return form_page(&c, &state, form, problems).await,
    };
    // The reporter's file (its own field, the form's last), read up to its
    // limit; one larger is refused with what was written kept.
    let evidence = match file {
        Some(file) => {
            let name = file.name.clone();
            let limit = usize::try_from(senim_domain::oversight::MAX_REPORT_ATTACHMENT_BYTES)
                .unwrap_or(usize::MAX);
            match file.bytes(limit).await {
                Ok(bytes) => Some((name, bytes)),
                Err(e) => {
                    let reason = e.fields.first().map_or(e.message, |f| f.reason.clone());
                    let mut problems = Problems::default();
                    let label = c.t.term("report-field", "evidence");
                    problems.push("evidence", format!("{label}: {}", c.t.reason(&reason)));
                    return form_page(&c, &state, form, problems).await;
                }
            }
        }
        None => None,
    };
    // Without the picker (no JavaScript), a name typed exactly as the
    // register has it, and only one system's, names that system.
    if input.system_id.is_none() {
        input.system_id = input
            .system_name
            .as_deref()
            .and_then(|n| state.register.by_exact_name(n));
    }
    // Without JavaScript the nonce stays empty: no proof, a smaller quota.
    let nonce = form.text("proof_nonce");
    let proof = (!nonce.is_empty()).then(|| format!("{}:{nonce}", form.text("proof_challenge")));
    match file_report(&state, &c.caller, client, proof.as_deref(), input, evidence).await {
        Ok(receipt) => {
            // Behind TLS `__Host-` prefixed (so no sibling subdomain can
            // plant another report's code), which needs the whole site as
            // its path; otherwise only the confirmation page receives it.
            let name = senim_app::auth::cookie_name(FILED_COOKIE, c.secure());
            let path = if c.secure() { "/" } else { "/report/done" };
            c.add_cookie(&format!(
                "{name}={}.{}; Path={path}; HttpOnly; SameSite=Strict",
                receipt.number, receipt.tracking_code
            ));
            c.redirect("/report/done")
        }
        Err(e) if !e.fields.is_empty() => {
            let mut problems = Problems::default();
            for f in &e.fields {
                if f.field == "proof" {
                    // Kept on the form, with a new challenge to solve.
                    problems.push("description", c.t("report-proof-failed"));
                    continue;
                }
                let field = f.field.trim_start_matches("contact.").to_string();
                let label = c.t.term("report-field", &field);
                problems.push(&field, format!("{label}: {}", c.t.reason(&f.reason)));
            }
            form_page(&c, &state, form, problems).await
        }
        Err(e) if e.status == axum::http::StatusCode::CONFLICT => {
            // Reports about this system are paused: said on the form, with
            // what was written kept.
            // In the reader's language, with the authority's own reason.
            let pause = match form
                .get("system_id")
                .and_then(|s| s.parse::<SystemId>().ok())
            {
                Some(id) => state.store.intake_pause(id).await.ok().flatten(),
                None => None,
            };
            let said = match pause {
                Some(p) => format!("{} {}", c.t("system-intake-paused"), p.reason),
                None => e.message.clone(),
            };
            let mut problems = Problems::default();
            problems.push("description", format!("{} {said}", c.t("report-paused")));
            let mut r = form_page(&c, &state, form, problems).await;
            *r.status_mut() = axum::http::StatusCode::CONFLICT;
            r
        }
        Err(e) if e.status == axum::http::StatusCode::TOO_MANY_REQUESTS => {
            // Kept on the form, with what was written, to send later.
            let mut problems = Problems::default();
            problems.push(
                "description",
                c.t.t1("report-too-many", "seconds", e.retry_after.unwrap_or(60)),
            );
            let mut r = form_page(&c, &state, form, problems).await;
            *r.status_mut() = axum::http::StatusCode::TOO_MANY_REQUESTS;
            r
        }
        Err(e) => c.error(e),
    }
}

/// `GET /report/done`: the report just filed in this browser, with its
/// tracking code; without one, the reader is sent to the form.
pub async fn done(c: Ctx, headers: axum::http::HeaderMap) -> Response {
    let filed = senim_app::auth::cookie_value(
        &headers,
        senim_app::auth::cookie_name(FILED_COOKIE, c.secure()),
    )
    .and_then(|v| v.split_once('.'))
    .filter(|(number, code)| {
        let plain =
            |s: &str| s.len() <= 64 && s.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-');
        plain(number) && plain(code)
    });
    let Some((number, code)) = filed else {
        return c.redirect("/report");
    };
    c.render(&Done {
        c: &c,
        crumbs: vec![
            ("/report".into(), c.t("nav-report")),
            (String::new(), c.t("report-done-title")),
        ],
        number: number.to_string(),
        code: code.to_string(),
    })
}

#[derive(askama::Template)]
#[template(path = "report_status.html")]
struct StatusPage<'a> {
    c: &'a Ctx,
    crumbs: Vec<(String, String)>,
    problems: Problems,
    status: Option<StatusView>,
    code: String,
}

/// A report's status as shown.
pub struct StatusView {
    pub number: String,
    pub state: String,
    pub kind: String,
    pub received: String,
    pub updated: String,
    pub response: Option<String>,
    pub outcome: Option<String>,
    pub investigation: Option<String>,
    /// The system: (its page, when registered; its name in the reader's
    /// language, or as the submitter wrote it).
    pub system: Option<(Option<String>, String)>,
    /// What happens next, and who acts.
    pub next: String,
    /// The authority's deadline for its next step.
    pub due: Option<String>,
}

fn view(c: &Ctx, state: &AppState, s: ReportStatus) -> StatusView {
    let registered = s.system_id.and_then(|id| {
        state
            .register
            .system_name(id, c.lang())
            .map(|name| (Some(format!("/systems/{id}")), name))
    });
    let system = registered.or_else(|| s.system_name.clone().map(|n| (None, n)));
    let next = match (&s.merged_into, s.state.as_str()) {
        (Some(number), _) => c.t.t1("report-next-merged", "number", number.as_str()),
        (None, st) => c.t.term("report-next", st),
    };
    StatusView {
        system,
        next,
        due: s.due.map(|d| d.to_string()),
        number: s.number,
        state: c.t.term("report-state", &s.state),
        kind: c.t.term("report-type", s.report_type.as_str()),
        received: date(&s.received_at.to_rfc3339()),
        updated: date(&s.updated_at.to_rfc3339()),
        response: s.response,
        outcome: s.outcome,
        investigation: s.investigation.map(|i| i.to_string()),
    }
}

/// `GET /report/status`: the form to enter a tracking code.
pub async fn status_form(c: Ctx) -> Response {
    c.render(&StatusPage {
        crumbs: vec![
            ("/report".into(), c.t("nav-report")),
            (String::new(), c.t("report-status-title")),
        ],
        c: &c,
        problems: Problems::default(),
        status: None,
        code: String::new(),
    })
}

/// `POST /report/status`: the code travels in the body, not the address,
/// so it stays out of histories and logs.
pub async fn status(State(state): State<AppState>, Posted { ctx: c, form }: Posted) -> Response {
    let code = form.text("code");
    let mut problems = Problems::default();
    let status = if code.is_empty() {
        problems.push("code", c.t("report-code-missing"));
        None
    } else {
        match status_by_code(&state, &code).await {
            Ok(s) => Some(view(&c, &state, s)),
            Err(_) => {
                problems.push("code", c.t("report-code-unknown"));
                None
            }
        }
    };
    let failed = status.is_none();
    let mut r = c.render(&StatusPage {
        crumbs: vec![
            ("/report".into(), c.t("nav-report")),
            (String::new(), c.t("report-status-title")),
        ],
        c: &c,
        problems,
        status,
        code,
    });
    if failed {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    r
}
