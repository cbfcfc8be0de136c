//! The desks: where each role starts after signing in. The developer's
//! systems and the registration wizard; the reviewer's and the auditor's
//! queues; the supervisor's dashboard; the data steward's library work.
//! Every case opens on the one case page ([`crate::cases`]).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use senim_domain::api::SystemDetail;
use senim_domain::system::{DatasetLink, DatasetRole, OperatorDecision, MAX_DATASET_LINKS};
use senim_domain::{CaseKind, DatasetId, DocumentationItem, SystemId, SystemStatus};
use senim_store::CaseFilter;

use crate::cases::{rows, QueueRow};
use crate::profile::{self, Shown};
use crate::public::{risk_tag, status_tag, Tag};
use crate::PageResult;
use crate::{Ctx, FormData, Posted, Problems};
use senim_app::cases::{open_case, CaseInput};
use senim_app::error::ApiError;
use senim_app::register::Query;
use senim_app::state::AppState;

async fn cases(state: &AppState, filter: CaseFilter) -> Result<Vec<senim_domain::Case>, ApiError> {
    Ok(state
        .store
        .cases(&CaseFilter {
            limit: 200,
            ..filter
        })
        .await?
        .items)
}

#[derive(askama::Template)]
#[template(path = "queue.html")]
struct QueuePage<'a> {
    c: &'a Ctx,
    crumbs: Vec<(String, String)>,
    title: String,
    lead: String,
    sections: Vec<(String, Vec<QueueRow>)>,
    counts: Vec<(String, usize)>,
    links: Vec<(&'static str, String)>,
    /// The organisation's datasets (the data steward's desk).
    datasets: Vec<DatasetRow>,
}

/// A dataset on the steward's desk.
pub struct DatasetRow {
    pub id: String,
    pub title: String,
    pub access: String,
    pub updated: String,
}

impl<'a> QueuePage<'a> {
    /// A desk titled by its navigation label `desk`, with its lead text.
    fn new(
        c: &'a Ctx,
        desk: &str,
        lead: &str,
        sections: Vec<(String, Vec<QueueRow>)>,
    ) -> QueuePage<'a> {
        QueuePage {
            crumbs: vec![(String::new(), c.t(desk))],
            title: c.t(desk),
            lead: c.t(lead),
            sections,
            counts: Vec::new(),
            links: Vec::new(),
            datasets: Vec::new(),
            c,
        }
    }
}

/// `GET /reviewer`: the cases assigned to me, due first, overdue first.
pub async fn reviewer(c: Ctx, State(state): State<AppState>) -> PageResult {
    c.require_desk("reviewer")?;
    let me = c.account().map(|a| a.id);
    let mine = cases(
        &state,
        CaseFilter {
            assignee: me,
            open: Some(true),
            ..Default::default()
        },
    )
    .await?;
    let sections = vec![(c.t("queue-mine"), rows(&c, &state, mine).await)];
    let page = QueuePage::new(&c, "desk-reviewer", "reviewer-lead", sections);
    Ok(c.render(&page))
}

/// `GET /auditor`: the audits assigned to me.
pub async fn auditor(c: Ctx, State(state): State<AppState>) -> PageResult {
    c.require_desk("auditor")?;
    let me = c.account().map(|a| a.id);
    let open = cases(
        &state,
        CaseFilter {
            assignee: me,
            open: Some(true),
            kind: Some(CaseKind::Audit),
            ..Default::default()
        },
    )
    .await?;
    let closed = cases(
        &state,
        CaseFilter {
            assignee: me,
            open: Some(false),
            kind: Some(CaseKind::Audit),
            ..Default::default()
        },
    )
    .await?;
    let sections = vec![
        (c.t("queue-open"), rows(&c, &state, open).await),
        (c.t("queue-closed"), rows(&c, &state, closed).await),
    ];
    let page = QueuePage::new(&c, "desk-auditor", "auditor-lead", sections);
    Ok(c.render(&page))
}

/// `GET /supervisor`: every open case by kind, due first, and the figures.
pub async fn supervisor(c: Ctx, State(state): State<AppState>) -> PageResult {
    c.require_desk("supervisor")?;
    let today = senim_domain::Day::of(state.clock.now());
    let mut sections = Vec::new();
    let mut counts = Vec::new();
    let mut overdue = 0;
    // Enrolments are the learners' and their courses', not the authority's.
    for kind in CaseKind::ALL.iter().filter(|k| **k != CaseKind::Enrolment) {
        let found = state
            .store
            .cases(&CaseFilter {
                kind: Some(*kind),
                open: Some(true),
                limit: 200,
                ..Default::default()
            })
            .await?;
        // The list shows the 200 due first (overdue ones come first);
        // the count is of all.
        let open = found.items;
        overdue += open.iter().filter(|x| x.overdue(today)).count();
        counts.push((
            c.t.term("case-kind", kind.as_str()),
            usize::try_from(found.total).unwrap_or(0),
        ));
        if !open.is_empty() {
            sections.push((
                c.t.term("queue-kind", kind.as_str()),
                rows(&c, &state, open).await,
            ));
        }
    }
    counts.insert(0, (c.t("queue-overdue"), overdue));
    let page = QueuePage {
        counts,
        links: vec![
            ("/supervisor/rulepacks", c.t("rulepacks-title")),
            ("/supervisor/reviewers", c.t("reviewers-title")),
            ("/decisions", c.t("nav-decisions")),
            ("/trusted-lists", c.t("nav-trusted-lists")),
            ("/statistics", c.t("nav-statistics")),
        ],
        ..QueuePage::new(&c, "desk-supervisor", "supervisor-lead", sections)
    };
    Ok(c.render(&page))
}

/// `GET /steward`: the organisation's datasets and the requests for them.
pub async fn steward(c: Ctx, State(state): State<AppState>) -> PageResult {
    c.require_desk("steward")?;
    let Some(org) = c.account().and_then(|a| a.organisation_id) else {
        return Err(ApiError::forbidden().into());
    };
    let org = Some(org);
    let requests = cases(
        &state,
        CaseFilter {
            kind: Some(CaseKind::DataAccess),
            organisation: org,
            ..Default::default()
        },
    )
    .await?;
    let sections = vec![(
        c.t("queue-access-requests"),
        rows(&c, &state, requests).await,
    )];
    // The organisation's datasets, newest change first (the library's
    // own index, as its search finds them).
    let hits = state.library.search(&senim_search::Search {
        clauses: vec![senim_search::Clause::Exact {
            field: senim_search::Field::Facet(senim_search::Facet::Organisation),
            value: org.map(|o| o.to_string()).unwrap_or_default(),
        }],
        sort: vec![(senim_search::SortKey::Modified, senim_search::Order::Desc)],
        limit: 500,
        ..Default::default()
    })?;
    let datasets = state
        .store
        .datasets_by_id(&hits.ids)
        .await?
        .into_iter()
        .map(|d| DatasetRow {
            id: d.id.to_string(),
            title: d.metadata.title.get(c.lang()).to_string(),
            access: c.t.term("access", d.metadata.access.as_str()),
            updated: crate::public::date(&d.updated_at.to_rfc3339()),
        })
        .collect();
    let page = QueuePage {
        links: vec![
            ("/steward/datasets/new", c.t("steward-new-dataset")),
            ("/library", c.t("nav-library")),
        ],
        datasets,
        ..QueuePage::new(&c, "desk-steward", "steward-lead", sections)
    };
    Ok(c.render(&page))
}

/// A system on the developer's desk.
pub struct MySystem {
    pub id: String,
    pub name: String,
    pub risk: Tag,
    pub status: Tag,
    pub number: Option<String>,
    pub can_submit: bool,
}

/// A system whose owner names the developer's organisation as operator.
pub struct OperatorRow {
    pub id: String,
    pub name: String,
    pub owner: String,
    pub requested: String,
}

#[derive(askama::Template)]
#[template(path = "developer.html")]
struct DeveloperPage<'a> {
    c: &'a Ctx,
    crumbs: Vec<(String, String)>,
    /// Requests to operate systems, awaiting this organisation's answer.
    requests: Vec<OperatorRow>,
    /// The wizards this account saved half-way: (id, name so far, saved on).
    saved: Vec<(String, String, String)>,
    systems: Vec<MySystem>,
    open: Vec<QueueRow>,
    done: Option<String>,
    problems: Problems,
}

async fn developer_page(c: &Ctx, state: &AppState, problems: Problems) -> PageResult {
    c.require_desk("developer")?;
    let Some(org) = c.account().and_then(|a| a.organisation_id) else {
        return Err(ApiError::forbidden().into());
    };
    let found = state.register.search(&Query {
        organisations: vec![org],
        lang: c.lang(),
        limit: None,
        drafts: senim_app::register::Drafts::Of(org),
        ..Default::default()
    });
    let systems = found
        .systems
        .iter()
        .map(|s| MySystem {
            id: s.id.to_string(),
            name: s.name.get(c.lang()).to_string(),
            risk: risk_tag(c, s.risk_level),
            status: status_tag(c, s.status),
            number: s.registry_number.clone(),
            can_submit: matches!(s.status, SystemStatus::Draft | SystemStatus::Refused),
        })
        .collect();
    let open = cases(
        state,
        CaseFilter {
            organisation: Some(org),
            open: Some(true),
            ..Default::default()
        },
    )
    .await?;
    let requests = state
        .store
        .operator_requests(org)
        .await?
        .into_iter()
        .map(|r| OperatorRow {
            id: r.system_id.to_string(),
            name: r.system_name.get(c.lang()).to_string(),
            owner: state
                .register
                .organisation_name(r.owner_organisation_id, c.lang())
                .unwrap_or_default(),
            requested: crate::public::date(&r.requested_at.to_rfc3339()),
        })
        .collect();
    let failed = !problems.is_empty();
    let saved = match c.account() {
        Some(account) => state
            .store
            .wizard_drafts(account.id)
            .await?
            .into_iter()
            .map(|d| {
                let title = if d.title.is_empty() {
                    c.t("wizard-untitled")
                } else {
                    d.title
                };
                (d.id, title, crate::public::date(&d.updated_at.to_rfc3339()))
            })
            .collect(),
        None => Vec::new(),
    };
    let page = DeveloperPage {
        crumbs: vec![(String::new(), c.t("desk-developer"))],
        requests,
        saved,
        systems,
        open: rows(c, state, open).await,
        done: c.done("developer-done"),
        problems,
        c,
    };
    let mut r = c.render(&page);
    if failed {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

/// `GET /developer`.
pub async fn developer(c: Ctx, State(state): State<AppState>) -> PageResult {
    developer_page(&c, &state, Problems::default()).await
}

/// `POST /developer/systems/{id}/submit`: submits the current version for
/// registration (the API's `POST /cases` with a registration).
pub async fn submit(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { ctx: c, .. }: Posted,
) -> PageResult {
    let system_id: SystemId = senim_app::extract::path_id(&id, "system")?;
    match open_case(&state, &c.caller, CaseInput::Registration { system_id }).await {
        Ok(case) => Ok(c.redirect(&format!("/desk/cases/{}?done=submit", case.id))),
        Err(e)
            if e.status == StatusCode::UNPROCESSABLE_ENTITY || e.status == StatusCode::CONFLICT =>
        {
            let mut problems = Problems::default();
            problems.push(
                &format!("submit-{id}"),
                format!("{} {}", c.t("developer-submit-refused"), e.message),
            );
            developer_page(&c, &state, problems).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /developer/systems/{id}/operator`: the organisation named as the
/// system's operator accepts or refuses (the API's
/// `POST /api/v1/systems/{id}/operator`).
pub async fn answer_operator(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { ctx: c, form }: Posted,
) -> PageResult {
    let decision = match form.get("decision") {
        Some("accept") => OperatorDecision::Accept,
        Some("refuse") => OperatorDecision::Refuse,
        _ => {
            let mut problems = Problems::default();
            problems.push(&format!("operator-{id}"), c.t("developer-operator-choose"));
            return developer_page(&c, &state, problems).await;
        }
    };
    match senim_app::systems::answer_operator(&state, &c.caller, &id, decision).await {
        Ok(_) => Ok(c.redirect(match decision {
            OperatorDecision::Accept => "/developer?done=operator_accepted",
            OperatorDecision::Refuse => "/developer?done=operator_refused",
        })),
        Err(e) if e.status == StatusCode::CONFLICT => {
            let mut problems = Problems::default();
            problems.push(&format!("operator-{id}"), e.message.clone());
            developer_page(&c, &state, problems).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The wizard's steps after the profile's three.
const NAME_STEP: u8 = 0;
const DOCS_STEP: u8 = 4;
const CHECK_STEP: u8 = 5;

#[derive(askama::Template)]
#[template(path = "wizard.html")]
struct WizardPage<'a> {
    c: &'a Ctx,
    crumbs: Vec<(String, String)>,
    problems: Problems,
    step: u8,
    title: String,
    hidden: Vec<(String, String)>,
    questions: Vec<Shown>,
    docs: Vec<DocField>,
    names: Vec<(String, String, String)>,
    summary: Vec<(String, String)>,
    gaps: Vec<String>,
    risk: Option<Tag>,
    /// A new version of an existing system, not a new system.
    editing: bool,
    /// The data step's rows: (index, dataset as typed, role).
    data: Vec<(usize, String, String)>,
    /// For a row whose words are no address: the datasets they find (the
    /// picker, filled here for a browser without JavaScript).
    choices: Vec<(usize, Vec<(String, String)>)>,
    roles: Vec<(&'static str, String)>,
}

impl WizardPage<'_> {
    /// The picker's choices for dataset row `row` (none when its text is an
    /// address or empty).
    fn choices_of(&self, row: &usize) -> Vec<(String, String)> {
        self.choices
            .iter()
            .find(|(i, _)| i == row)
            .map(|(_, hits)| hits.clone())
            .unwrap_or_default()
    }
}

/// A documentation item in the wizard.
pub struct DocField {
    pub item: &'static str,
    pub label: String,
    pub hint: String,
    pub text: String,
    pub visibility: String,
    pub required: bool,
}

/// Fields that belong to a wizard step, so the others travel hidden.
fn step_of(name: &str) -> Option<u8> {
    if name == "system" || name == "expected" || name == "wizard_id" {
        // Carried on every step, shown on none.
        return Some(u8::MAX);
    }
    if name.starts_with("name_") {
        return Some(NAME_STEP);
    }
    if name.starts_with("doc-") || name.starts_with("vis-") || name.starts_with("data-") {
        return Some(DOCS_STEP);
    }
    profile::QUESTIONS
        .iter()
        .find(|(_, q)| q.field == name)
        .map(|(s, _)| *s)
}

/// Empty dataset rows the documentation step offers beyond the filled ones.
const DATA_ROWS_EXTRA: usize = 3;

/// The dataset rows of the form, (index, dataset as typed, role), in order,
/// and room for more. A dataset chosen from a row's picker (`data-pick-N`)
/// stands as its address in the library, whatever words found it.
fn data_rows(form: &FormData) -> Vec<(usize, String, String)> {
    let mut rows: Vec<(usize, String, String)> = form
        .0
        .iter()
        .filter_map(|(k, v)| {
            let i = k.strip_prefix("data-")?.parse::<usize>().ok()?;
            let picked = form.text(&format!("data-pick-{i}"));
            let value = if picked.is_empty() {
                v.trim().to_string()
            } else {
                format!("/library/{picked}")
            };
            Some((i, value, form.text(&format!("data-role-{i}"))))
        })
        .filter(|(i, v, _)| !v.is_empty() && *i < MAX_DATASET_LINKS * 2)
        .collect();
    rows.sort_by_key(|(i, _, _)| *i);
    let next = rows.last().map_or(0, |(i, _, _)| i + 1);
    rows.extend((next..next + DATA_ROWS_EXTRA).map(|i| (i, String::new(), String::new())));
    rows
}

/// The dataset a row's text names by its identifier or its address in the
/// library (`.../library/{id}`), if it is one.
fn typed_dataset(value: &str) -> Option<DatasetId> {
    value
        .rsplit("/library/")
        .next()
        .unwrap_or("")
        .split(['?', '#', '/'])
        .next()
        .unwrap_or("")
        .parse()
        .ok()
}

/// The library dataset a row names, by its identifier or its address
/// (`.../library/{id}`), with its role; else the field at fault and why.
fn row_link(i: usize, value: &str, role: &str) -> Result<DatasetLink, RowProblem> {
    let dataset_id =
        typed_dataset(value).ok_or_else(|| (format!("data-{i}"), "wizard-data-not-an-id"))?;
    let role = role
        .parse::<DatasetRole>()
        .map_err(|_| (format!("data-role-{i}"), "wizard-data-role-missing"))?;
    Ok(DatasetLink { dataset_id, role })
}

/// A row's problem: its field, and the message id that says what is wrong.
type RowProblem = (String, &'static str);

/// The links the filled rows make (with their row), and the problems of the others.
fn dataset_links(form: &FormData) -> (Vec<(usize, DatasetLink)>, Vec<RowProblem>) {
    let mut links = Vec::new();
    let mut problems = Vec::new();
    for (i, value, role) in data_rows(form) {
        if value.is_empty() {
            continue;
        }
        match row_link(i, &value, &role) {
            Ok(link) => links.push((i, link)),
            Err(p) => problems.push(p),
        }
    }
    (links, problems)
}

/// The system input the API takes, from the wizard's fields.
fn system_json(form: &FormData) -> serde_json::Value {
    let mut name = serde_json::Map::new();
    for lang in ["kk", "ru", "en"] {
        let v = form.text(&format!("name_{lang}"));
        if !v.is_empty() {
            name.insert(lang.into(), serde_json::json!(v));
        }
    }
    let mut docs = serde_json::Map::new();
    let mut visibility = serde_json::Map::new();
    for item in DocumentationItem::ALL {
        let v = form.text(&format!("doc-{}", item.as_str()));
        if !v.is_empty() {
            docs.insert(item.as_str().into(), serde_json::json!(v));
        }
        let vis = form.text(&format!("vis-{}", item.as_str()));
        if !vis.is_empty() && vis != "public" {
            visibility.insert(item.as_str().into(), serde_json::json!(vis));
        }
    }
    serde_json::json!({
        "name": name,
        "profile": profile::to_json(form),
        "documentation": docs,
        "visibility": visibility,
        "datasets": dataset_links(form).0.into_iter().map(|(_, l)| l).collect::<Vec<_>>(),
    })
}

async fn wizard_page(
    c: &Ctx,
    state: &AppState,
    form: &FormData,
    step: u8,
    problems: Problems,
) -> Response {
    let hidden: Vec<(String, String)> = form
        .0
        .iter()
        .filter(|(k, _)| step_of(k).is_some_and(|s| s != step || step == CHECK_STEP))
        .cloned()
        .collect();
    let questions = profile::QUESTIONS
        .iter()
        .filter(|(s, _)| *s == step)
        .map(|(_, q)| profile::show(c, q, form, &problems))
        .collect();
    // The pack in force on the answers so far: what the documentation must
    // cover, and the classification the check page previews.
    let (required, risk) = match profile::parse(c, form) {
        Ok(p) => {
            let book = state.rules.read().await;
            let outcome = book.in_force().classify(&p);
            (
                outcome.documentation_required.clone(),
                Some(risk_tag(c, Some(outcome.risk_level))),
            )
        }
        Err(_) => (Vec::new(), None),
    };
    let docs = DocumentationItem::ALL
        .iter()
        .map(|item| DocField {
            item: item.as_str(),
            label: c.t.term("doc", item.as_str()),
            hint: c.t.term("doc-hint", item.as_str()),
            text: form.text(&format!("doc-{}", item.as_str())),
            visibility: form
                .get(&format!("vis-{}", item.as_str()))
                .unwrap_or("public")
                .to_string(),
            required: required.contains(item),
        })
        .collect::<Vec<_>>();
    let gaps = docs
        .iter()
        .filter(|d| d.required && d.text.is_empty())
        .map(|d| d.label.clone())
        .collect();
    let mut summary = vec![(
        c.t("wizard-name"),
        ["kk", "ru", "en"]
            .iter()
            .map(|l| form.text(&format!("name_{l}")))
            .filter(|n| !n.is_empty())
            .collect::<Vec<_>>()
            .join(" / "),
    )];
    summary.extend(
        profile::summary(c, form)
            .into_iter()
            .map(|(_, q, a)| (q, a)),
    );
    // Only the check page shows the data's titles: no lookup as the
    // developer types on the documentation step.
    let links: Vec<DatasetLink> = if step == CHECK_STEP {
        dataset_links(form).0.into_iter().map(|(_, l)| l).collect()
    } else {
        Vec::new()
    };
    if !links.is_empty() {
        let ids: Vec<DatasetId> = links.iter().map(|l| l.dataset_id).collect();
        let found = state.store.datasets_by_id(&ids).await.unwrap_or_default();
        let named = links
            .iter()
            .map(|l| {
                let title = found.iter().find(|d| d.id == l.dataset_id).map_or_else(
                    || l.dataset_id.to_string(),
                    |d| d.metadata.title.get(c.lang()).to_string(),
                );
                format!("{title} ({})", c.t.term("data-role", l.role.as_str()))
            })
            .collect::<Vec<_>>()
            .join("; ");
        summary.push((c.t("wizard-data"), named));
    }
    let names = [("kk", "Қазақша"), ("ru", "Русский"), ("en", "English")]
        .iter()
        .map(|(l, label)| {
            (
                format!("name_{l}"),
                label.to_string(),
                form.text(&format!("name_{l}")),
            )
        })
        .collect();
    let failed = !problems.is_empty();
    let page = WizardPage {
        crumbs: vec![
            ("/developer".into(), c.t("desk-developer")),
            (String::new(), c.t("wizard-title")),
        ],
        title: c.t(&format!("wizard-step-{step}")),
        problems,
        step,
        hidden,
        questions,
        docs,
        names,
        summary,
        gaps,
        risk,
        editing: form.get("system").is_some(),
        choices: if step == DOCS_STEP {
            let mut choices = Vec::new();
            for (i, value, _) in data_rows(form) {
                if !value.is_empty() && typed_dataset(&value).is_none() {
                    choices.push((i, dataset_choices(c, state, &value).await));
                }
            }
            choices
        } else {
            Vec::new()
        },
        data: data_rows(form),
        roles: DatasetRole::ALL
            .iter()
            .map(|r| (r.as_str(), c.t.term("data-role", r.as_str())))
            .collect(),
        c,
    };
    let mut r = c.render(&page);
    if failed {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    r
}

/// The wizard's fields for an existing system's current version, so a new
/// version starts from it.
fn version_form(system: &senim_domain::System, v: &senim_domain::SystemVersion) -> FormData {
    let mut pairs = vec![
        ("system".to_string(), system.id.to_string()),
        ("expected".to_string(), system.current_version.to_string()),
    ];
    for (lang, name) in [("kk", &v.name.kk), ("ru", &v.name.ru), ("en", &v.name.en)] {
        if let Some(n) = name {
            pairs.push((format!("name_{lang}"), n.clone()));
        }
    }
    if let Ok(serde_json::Value::Object(profile)) = serde_json::to_value(&v.profile) {
        for (field, value) in profile {
            match value {
                serde_json::Value::Array(items) => pairs.extend(
                    items
                        .iter()
                        .filter_map(|i| i.as_str())
                        .map(|i| (field.clone(), i.to_string())),
                ),
                serde_json::Value::Bool(b) => pairs.push((field, b.to_string())),
                serde_json::Value::String(text) => pairs.push((field, text)),
                _ => {}
            }
        }
    }
    for (item, text) in v.documentation.items() {
        if let Some(text) = text {
            pairs.push((format!("doc-{}", item.as_str()), text.to_string()));
        }
    }
    for (item, visibility) in &v.visibility {
        pairs.push((
            format!("vis-{}", item.as_str()),
            visibility.as_str().to_string(),
        ));
    }
    for (i, link) in v.datasets.iter().enumerate() {
        pairs.push((format!("data-{i}"), link.dataset_id.to_string()));
        pairs.push((format!("data-role-{i}"), link.role.as_str().to_string()));
    }
    FormData(pairs)
}

/// What this reader may see of a system's version.
fn owner_viewer(
    c: &Ctx,
    state: &AppState,
    resource: &senim_app::policy::Resource,
) -> Result<senim_domain::Viewer, ApiError> {
    use senim_app::policy::Action;
    Ok(senim_domain::Viewer {
        owner: c
            .caller
            .may(state, Action::SystemReadOwnerFields, resource)?,
        authority: c
            .caller
            .may(state, Action::SystemReadAuthorityFields, resource)?,
    })
}

/// A new version from the wizard: what the page edits (names, profile,
/// the documentation the developer may see, the dataset links), with the
/// rest of the current version kept: items withheld from this reader, the
/// operating organisation.
async fn next_version(
    c: &Ctx,
    state: &AppState,
    id: SystemId,
    form: &FormData,
) -> Result<senim_domain::VersionInput, ApiError> {
    let current = state.store.system_with_current(id).await?;
    let resource = senim_app::policy::Resource::system(&current.system);
    let viewer = owner_viewer(c, state, &resource)?;
    let withheld = current.version.clone().redacted(viewer).withheld;
    let mut json = system_json(form);
    let old_docs = serde_json::to_value(&current.version.documentation).unwrap_or_default();
    let old_vis = serde_json::to_value(&current.version.visibility).unwrap_or_default();
    for item in withheld {
        let key = item.as_str();
        if let Some(text) = old_docs.get(key) {
            json["documentation"][key] = text.clone();
        }
        if let Some(v) = old_vis.get(key) {
            json["visibility"][key] = v.clone();
        }
    }
    let input: senim_domain::SystemInput = serde_json::from_value(json).map_err(|e| {
        ApiError::invalid(vec![senim_domain::FieldError {
            field: "body".into(),
            reason: e.to_string(),
        }])
    })?;
    // The page edits the documentation in one language; translations stay
    // for the items left as they were.
    let mut translations = current.version.translations.clone();
    translations.keep_unchanged(&current.version.documentation, &input.documentation);
    Ok(senim_domain::VersionInput {
        holder_organisation_id: current.version.holder_organisation_id,
        name: input.name,
        profile: input.profile,
        documentation: input.documentation,
        translations,
        visibility: input.visibility,
        change_note: Some(form.text("change_note")).filter(|n| !n.is_empty()),
        datasets: input.datasets,
    })
}

/// `GET /developer/systems/{id}/version`: the wizard, filled with the
/// current version, for a new one.
pub async fn wizard_version(
    c: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> PageResult {
    c.require_desk("developer")?;
    let id: SystemId = senim_app::extract::path_id(&id, "system")?;
    let record = state.store.system_with_current(id).await?;
    let resource = senim_app::policy::Resource::system(&record.system);
    c.caller
        .require(&state, senim_app::policy::Action::SystemUpdate, &resource)?;
    // Only what this reader may see goes into the page; the rest is
    // kept from the current version when the new one is saved.
    let viewer = owner_viewer(&c, &state, &resource)?;
    let form = version_form(&record.system, &record.version.clone().redacted(viewer));
    Ok(wizard_page(&c, &state, &form, NAME_STEP, Problems::default()).await)
}

/// `GET /developer/new`: the wizard's first step.
pub async fn wizard_start(c: Ctx, State(state): State<AppState>) -> Response {
    if let Err(e) = c.require_desk("developer") {
        return c.error(e);
    }
    wizard_page(
        &c,
        &state,
        &FormData::default(),
        NAME_STEP,
        Problems::default(),
    )
    .await
}

/// `POST /developer/new`: the next step, or, after "check your answers",
/// the new system (a draft the developer then submits).
pub async fn wizard_step(
    State(state): State<AppState>,
    Posted { ctx: c, form }: Posted,
) -> Response {
    if let Err(e) = c.require_desk("developer") {
        return c.error(e);
    }
    let from: u8 = form.text("from").parse().unwrap_or(NAME_STEP);
    // The documentation step's live gap report (htmx, as the developer
    // types): the same step again, whose report the page swaps in.
    if form.get("live").is_some() {
        return wizard_page(&c, &state, &form, from.min(CHECK_STEP), Problems::default()).await;
    }
    if let Some(back) = form.get("back").and_then(|b| b.parse::<u8>().ok()) {
        return wizard_page(&c, &state, &form, back.min(CHECK_STEP), Problems::default()).await;
    }
    // Saved half-way: every answer so far, as typed, to finish later.
    if form.get("save_later").is_some() {
        return match save_wizard(&c, &state, &form, from.min(CHECK_STEP)).await {
            Ok(()) => c.redirect("/developer?done=wizard_saved#saved"),
            Err(e) => c.error(e),
        };
    }
    let mut problems = Problems::default();
    match from {
        NAME_STEP
            if ["kk", "ru", "en"]
                .iter()
                .all(|l| form.text(&format!("name_{l}")).is_empty()) =>
        {
            problems.push("name_kk", c.t("wizard-name-missing"));
        }
        1..=3 => problems = profile::check_step(&c, from, &form),
        DOCS_STEP => {
            // Each row names a dataset of the library, which exists.
            let (links, bad) = dataset_links(&form);
            for (field, message) in bad {
                problems.push(&field, c.t(message));
            }
            let ids: Vec<DatasetId> = links.iter().map(|(_, l)| l.dataset_id).collect();
            let found = match state.store.datasets_by_id(&ids).await {
                Ok(found) => found,
                Err(e) => return c.error(e.into()),
            };
            for (i, link) in &links {
                if !found.iter().any(|d| d.id == link.dataset_id) {
                    problems.push(&format!("data-{i}"), c.t("wizard-data-unknown"));
                }
            }
        }
        _ => {}
    }
    if !problems.is_empty() {
        return wizard_page(&c, &state, &form, from, problems).await;
    }
    if from < CHECK_STEP {
        return wizard_page(&c, &state, &form, from + 1, Problems::default()).await;
    }
    // Check your answers, confirmed: the API's own input and path.
    let input: senim_domain::SystemInput = match serde_json::from_value(system_json(&form)) {
        Ok(i) => i,
        Err(e) => {
            let mut p = Problems::default();
            p.push("name_kk", e.to_string());
            return wizard_page(&c, &state, &form, CHECK_STEP, p).await;
        }
    };
    let existing = form.get("system").and_then(|s| s.parse::<SystemId>().ok());
    let written = match existing {
        Some(id) => {
            let expected = form.text("expected").parse().unwrap_or(0);
            match next_version(&c, &state, id, &form).await {
                Ok(version) => {
                    senim_app::systems::new_version(
                        &state, &c.caller, id, expected, version, c.t.lang,
                    )
                    .await
                }
                Err(e) => Err(e),
            }
        }
        None => senim_app::systems::register(&state, &c.caller, input, c.t.lang).await,
    };
    // A finished wizard's saved draft has served its turn.
    if let (Ok(_), Some(id), Some(account)) = (&written, form.get("wizard_id"), c.account()) {
        let discard = senim_store::Command::DiscardWizard {
            account: account.id,
            id: id.to_string(),
        };
        if let Err(e) = state.execute(c.caller.actor(), discard).await {
            tracing::warn!(error = %e, "a finished wizard's saved answers were not thrown away");
        }
    }
    match written {
        Ok(SystemDetail { system, .. }) if existing.is_some() => {
            c.redirect(&format!("/systems/{}", system.id))
        }
        Ok(SystemDetail { system, .. }) => {
            c.redirect(&format!("/developer?done=created&system={}", system.id))
        }
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            let mut p = Problems::default();
            for f in &e.fields {
                p.push("name_kk", format!("{}: {}", f.field, c.t.reason(&f.reason)));
            }
            wizard_page(&c, &state, &form, CHECK_STEP, p).await
        }
        Err(e) => c.error(e),
    }
}

/// `GET /desk/cases/{id}/dossier`: what the reviewers review, confidential
/// items included, once the reviewer has declared no conflict.
pub async fn dossier(c: Ctx, State(state): State<AppState>, Path(id): Path<String>) -> PageResult {
    let case_id = senim_app::extract::path_id(&id, "case")?;
    let d = senim_app::cases::dossier(&state, &c.caller, case_id, Some(c.t.lang)).await?;
    let page = DossierPage {
        crumbs: vec![
            (format!("/desk/cases/{id}"), d.case.number.clone()),
            (String::new(), c.t("case-open-dossier")),
        ],
        name: d.system.name.get(c.lang()).to_string(),
        version: d.version.version,
        docs: d
            .version
            .documentation_in(c.lang())
            .items()
            .into_iter()
            .map(|(item, text)| (c.t.term("doc", item.as_str()), text.map(str::to_string)))
            .collect(),
        risk: d
            .classification
            .as_ref()
            .map(|cl| risk_tag(&c, Some(cl.risk_level))),
        classification: d.classification,
        gaps: d
            .gaps
            .iter()
            .map(|g| c.t.term("doc", g.item.as_str()))
            .collect(),
        documents: d
            .case
            .registration()
            .map(|r| r.documents.as_slice())
            .unwrap_or_default()
            .iter()
            .map(|docs| DossierDocuments {
                description: docs.description.clone(),
                added: crate::public::date(&docs.at.to_rfc3339()),
                version: docs.version,
                files: docs
                    .attachments
                    .iter()
                    .map(|a| {
                        (
                            a.name.clone(),
                            format!("{} KB", a.size.div_ceil(1024)),
                            format!("/desk/cases/{}/attachments/{}", d.case.id, a.sha256),
                        )
                    })
                    .collect(),
            })
            .collect(),
        case_id: id,
        c: &c,
    };
    Ok(c.render(&page))
}

/// Files the owner added to the dossier in one step, as the page lists them.
struct DossierDocuments {
    description: String,
    added: String,
    version: i64,
    /// (name, size, address)
    files: Vec<(String, String, String)>,
}

#[derive(askama::Template)]
#[template(path = "dossier.html")]
struct DossierPage<'a> {
    c: &'a Ctx,
    crumbs: Vec<(String, String)>,
    case_id: String,
    name: String,
    version: i64,
    docs: Vec<(String, Option<String>)>,
    classification: Option<senim_domain::classification::Classification>,
    risk: Option<Tag>,
    gaps: Vec<String>,
    documents: Vec<DossierDocuments>,
}

/// The datasets of the library (those the reader may see) that `words`
/// find, as (id, "title (producer)"): a dataset row's picker.
async fn dataset_choices(c: &Ctx, state: &AppState, words: &str) -> Vec<(String, String)> {
    if words.chars().count() < 2 || words.len() > 300 {
        return Vec::new();
    }
    let query = senim_app::datasets::DatasetQuery {
        q: Some(words.to_string()),
        limit: Some(5),
        ..Default::default()
    };
    match senim_app::datasets::search(state, &c.caller, query).await {
        Ok(list) => list
            .items
            .iter()
            .map(|d| {
                (
                    d.id.to_string(),
                    format!(
                        "{} ({})",
                        d.metadata.title.get(c.lang()),
                        d.metadata.producer.name
                    ),
                )
            })
            .collect(),
        // Words the search's syntax refuses find nothing.
        Err(_) => Vec::new(),
    }
}

#[derive(askama::Template)]
#[template(path = "dataset_choices.html")]
struct DatasetChoices<'a> {
    c: &'a Ctx,
    row: usize,
    hits: Vec<(String, String)>,
}

/// `GET /developer/datasets?row=N&data-N=...`: the datasets the words typed
/// in the wizard's dataset row N find, as choices (fetched by htmx as one
/// types); nothing for an address, which needs no choosing.
pub async fn dataset_picker(c: Ctx, State(state): State<AppState>) -> Response {
    let row = c
        .param("row")
        .and_then(|r| r.parse::<usize>().ok())
        .filter(|r| *r < MAX_DATASET_LINKS * 2)
        .unwrap_or(0);
    let words = c
        .param(&format!("data-{row}"))
        .unwrap_or_default()
        .trim()
        .to_string();
    let hits = if typed_dataset(&words).is_some() {
        Vec::new()
    } else {
        dataset_choices(&c, &state, &words).await
    };
    c.render(&DatasetChoices { c: &c, row, hits })
}

/// Keeps the wizard's answers so far for the signed-in account, at `step`:
/// the draft named by `wizard_id`, or a new one.
async fn save_wizard(c: &Ctx, state: &AppState, form: &FormData, step: u8) -> Result<(), ApiError> {
    let account = c.account().ok_or_else(ApiError::forbidden)?;
    let id = form
        .get("wizard_id")
        .filter(|id| id.len() <= 64 && id.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-'))
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::now_v7().to_string());
    let title = ["name_kk", "name_ru", "name_en"]
        .iter()
        .map(|n| form.text(n))
        .find(|n| !n.is_empty())
        .unwrap_or_default();
    let kept = form
        .0
        .iter()
        .filter(|(k, _)| {
            !matches!(
                k.as_str(),
                "csrf_token" | "from" | "save_later" | "back" | "live" | "wizard_id"
            )
        })
        .cloned()
        .collect();
    let draft = senim_store::wizards::WizardDraft {
        id,
        title,
        step: i64::from(step),
        form: kept,
        updated_at: state.clock.now(),
    };
    state
        .execute(
            c.caller.actor(),
            senim_store::Command::SaveWizard {
                account: account.id,
                draft,
            },
        )
        .await?;
    Ok(())
}

/// `GET /developer/wizards/{id}`: a saved wizard, opened where it was left.
pub async fn resume_wizard(
    c: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> PageResult {
    c.require_desk("developer")?;
    let account = c.account().ok_or_else(ApiError::forbidden)?;
    let draft = state.store.wizard_draft(account.id, &id).await?;
    let mut fields = draft.form;
    fields.push(("wizard_id".into(), draft.id));
    let step = u8::try_from(draft.step)
        .unwrap_or(NAME_STEP)
        .min(CHECK_STEP);
    Ok(wizard_page(&c, &state, &FormData(fields), step, Problems::default()).await)
}

/// `POST /developer/wizards/{id}/discard`: throws a saved wizard away.
pub async fn discard_wizard(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { ctx: c, .. }: Posted,
) -> PageResult {
    c.require_desk("developer")?;
    let account = c.account().ok_or_else(ApiError::forbidden)?;
    state
        .execute(
            c.caller.actor(),
            senim_store::Command::DiscardWizard {
                account: account.id,
                id,
            },
        )
        .await?;
    Ok(c.redirect("/developer?done=wizard_discarded#saved"))
}
