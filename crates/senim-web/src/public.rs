//! The public pages: home, the register with its facets and exports, and a
//! system's page.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use senim_domain::classification::Classification;
use senim_domain::profile::Sector;
use senim_domain::{OrganisationId, RiskLevel, System, SystemId, SystemStatus, Viewer};

use crate::PageResult;
use crate::{Ctx, Problems};
use senim_app::error::ApiError;
use senim_app::extract::path_id;
use senim_app::policy::{Action, Resource};
use senim_app::register::{Count, Drafts, Query, Sort};
use senim_app::state::AppState;

/// Results per register page.
const PAGE_SIZE: usize = 25;

/// A tag: its words and its CSS class.
pub struct Tag {
    pub label: String,
    pub class: &'static str,
}

pub fn risk_tag(c: &Ctx, risk: Option<RiskLevel>) -> Tag {
    match risk {
        Some(r) => Tag {
            label: c.t.term("risk", r.as_str()),
            class: match r {
                RiskLevel::Prohibited => "tag-prohibited",
                RiskLevel::High => "tag-high",
                RiskLevel::Medium => "tag-medium",
                RiskLevel::Minimal => "tag-minimal",
            },
        },
        None => Tag {
            label: c.t("risk-none"),
            class: "tag-none",
        },
    }
}

pub fn status_tag(c: &Ctx, status: SystemStatus) -> Tag {
    Tag {
        label: c.t.term("status", status.as_str()),
        class: match status {
            SystemStatus::Registered => "tag-registered",
            SystemStatus::Refused | SystemStatus::Revoked | SystemStatus::Suspended => {
                "tag-refused"
            }
            _ => "tag-status",
        },
    }
}

/// A system as a row of the register.
pub struct Row {
    pub id: String,
    pub name: String,
    pub number: Option<String>,
    pub organisation: String,
    pub sectors: String,
    pub risk: Tag,
    pub status: Tag,
    pub updated: String,
}

fn row(c: &Ctx, state: &AppState, s: &System) -> Row {
    Row {
        id: s.id.to_string(),
        name: s.name.get(c.lang()).to_string(),
        number: s.registry_number.clone(),
        organisation: state
            .register
            .organisation_name(s.owner_organisation_id, c.lang())
            .unwrap_or_default(),
        sectors: s
            .sectors
            .iter()
            .map(|x| c.t.term("sector", x.as_str()))
            .collect::<Vec<_>>()
            .join(", "),
        risk: risk_tag(c, s.risk_level),
        status: status_tag(c, s.status),
        updated: date(&s.updated_at.to_rfc3339()),
    }
}

/// The date of an RFC 3339 time.
pub fn date(rfc3339: &str) -> String {
    rfc3339.get(..10).unwrap_or(rfc3339).to_string()
}

#[derive(askama::Template)]
#[template(path = "home.html")]
struct HomePage<'a> {
    c: &'a Ctx,
    total: usize,
    registered: usize,
    high: usize,
    /// Restores of the last 90 days, announced (a sentence each, with the
    /// entry that records it).
    rollbacks: Vec<(u64, String)>,
}

/// `GET /`: what Senim is, a search box, and the ways in; a restore from a
/// backup of the last 90 days, announced first.
pub async fn home(c: Ctx, State(state): State<AppState>) -> Response {
    let (total, registered, high) = state.register.figures();
    let rollbacks = match senim_app::log::recent_rollbacks(&state).await {
        Ok(list) => list
            .iter()
            .map(|r| (r.index, rollback_text(&c, r)))
            .collect(),
        Err(e) => return c.error(e),
    };
    c.render(&HomePage {
        c: &c,
        total,
        registered,
        high,
        rollbacks,
    })
}

/// A restore as one sentence in the reader's language.
pub fn rollback_text(c: &Ctx, r: &senim_domain::api::LogRollback) -> String {
    let when = date(&r.time);
    if r.lost_entries > 0 {
        c.t.tn(
            "rollback-lost",
            &[
                ("date", when),
                ("lost", r.lost_entries.to_string()),
                ("reason", r.reason.clone()),
            ],
        )
    } else {
        c.t.t2("rollback-fork", "date", when, "reason", r.reason.clone())
    }
}

/// One checkbox of a facet.
pub struct Choice {
    pub name: &'static str,
    pub value: String,
    pub label: String,
    pub count: usize,
    pub checked: bool,
}

impl Choice {
    /// The checkbox's id, stable across renders (htmx keeps focus by it).
    pub fn id(&self) -> String {
        format!("f-{}-{}", self.name, self.value)
    }
}

/// One facet: its legend and choices.
pub struct Facet {
    pub legend: String,
    pub choices: Vec<Choice>,
    pub open: bool,
}

/// The register's query as the page and exports read it.
struct Asked {
    query: Query,
    q: String,
    problems: Problems,
    page: usize,
}

fn parse_list<T: Copy>(
    c: &Ctx,
    name: &str,
    parse: impl Fn(&str) -> Option<T>,
    problems: &mut Problems,
) -> Vec<T> {
    let mut out = Vec::new();
    // Repeats are one choice; past the largest vocabulary's worth, the
    // rest are ignored (bounded work per request).
    let mut seen: Vec<&str> = Vec::new();
    for v in c.params(name).into_iter().take(64) {
        if seen.contains(&v) {
            continue;
        }
        seen.push(v);
        match parse(v) {
            Some(x) => out.push(x),
            None => problems.push(
                name,
                c.t.t2(
                    "problem-unknown-value",
                    "field",
                    c.t(&format!("facet-{name}")),
                    "value",
                    v,
                ),
            ),
        }
    }
    out
}

fn asked(c: &Ctx, paged: bool) -> Asked {
    let mut problems = Problems::default();
    let sectors = parse_list(c, "sector", |v| v.parse::<Sector>().ok(), &mut problems);
    let risks = parse_list(
        c,
        "risk",
        |v| {
            if v == "none" {
                Some(None)
            } else {
                v.parse::<RiskLevel>().ok().map(Some)
            }
        },
        &mut problems,
    );
    let statuses = parse_list(
        c,
        "status",
        |v| v.parse::<SystemStatus>().ok(),
        &mut problems,
    );
    let organisations = parse_list(
        c,
        "org",
        |v| v.parse::<OrganisationId>().ok(),
        &mut problems,
    );
    let sort = match c.param("sort") {
        None => Sort::default(),
        Some(s) => Sort::parse(s).unwrap_or_else(|| {
            problems.push(
                "sort",
                c.t.t2(
                    "problem-unknown-value",
                    "field",
                    c.t("sort-label"),
                    "value",
                    s,
                ),
            );
            Sort::default()
        }),
    };
    let page = match c.param("page") {
        None => 1,
        Some(p) => match p.parse::<usize>() {
            Ok(n) if (1..=100_000).contains(&n) => n,
            _ => {
                problems.push(
                    "page",
                    c.t.t2(
                        "problem-unknown-value",
                        "field",
                        c.t("page-label"),
                        "value",
                        p,
                    ),
                );
                1
            }
        },
    };
    let q: String = c
        .param("q")
        .unwrap_or("")
        .trim()
        .chars()
        .take(200)
        .collect();
    Asked {
        query: Query {
            words: Some(q.clone()).filter(|q| !q.is_empty()),
            sectors,
            risks,
            statuses,
            organisations,
            sort,
            lang: c.lang(),
            offset: if paged { (page - 1) * PAGE_SIZE } else { 0 },
            limit: paged.then_some(PAGE_SIZE),
            // The public register, whoever reads it: a developer finds the
            // organisation's drafts on its desk.
            drafts: Drafts::Hidden,
        },
        q,
        problems,
        page,
    }
}

#[derive(askama::Template)]
#[template(path = "register.html")]
struct RegisterPage<'a> {
    c: &'a Ctx,
    crumbs: Vec<(String, String)>,
    q: String,
    problems: Problems,
    facets: Vec<Facet>,
    sorts: Vec<(&'static str, String, bool)>,
    rows: Vec<Row>,
    total: usize,
    page: usize,
    pages: usize,
    prev: Option<String>,
    next: Option<String>,
    csv: String,
    json: String,
    /// For words that found nothing: the nearest the register holds, and
    /// the address that searches them.
    did_you_mean: Option<(String, String)>,
}

/// The current query string with `page` replaced (or removed for page 1).
fn with_page(c: &Ctx, page: usize) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in &c.query {
        if k != "page" {
            s.append_pair(k, v);
        }
    }
    if page > 1 {
        s.append_pair("page", &page.to_string());
    }
    let q = s.finish();
    if q.is_empty() {
        "/register".into()
    } else {
        format!("/register?{q}")
    }
}

fn export_href(c: &Ctx, ext: &str) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in &c.query {
        if k != "page" {
            s.append_pair(k, v);
        }
    }
    s.append_pair("lang", c.lang());
    format!("/register.{ext}?{}", s.finish())
}

fn facets(c: &Ctx, state: &AppState, q: &Query, found: &senim_app::register::Found) -> Vec<Facet> {
    fn choices<T: Copy + PartialEq>(
        name: &'static str,
        counts: &[Count<T>],
        chosen: &[T],
        all: &[T],
        value: impl Fn(T) -> String,
        label: impl Fn(T) -> String,
    ) -> Vec<Choice> {
        // Every value of the vocabulary, so the form keeps its shape; counts
        // of zero included (a chosen value must stay visible to be unchosen).
        all.iter()
            .map(|v| Choice {
                name,
                value: value(*v),
                label: label(*v),
                count: counts.iter().find(|x| x.value == *v).map_or(0, |x| x.count),
                checked: chosen.contains(v),
            })
            .filter(|ch| ch.count > 0 || ch.checked)
            .collect()
    }
    let risks_all: Vec<Option<RiskLevel>> = RiskLevel::ALL
        .iter()
        .copied()
        .map(Some)
        .chain(std::iter::once(None))
        .collect();
    let mut orgs: Vec<OrganisationId> = found
        .organisations
        .iter()
        .map(|x| x.value)
        .take(30)
        .collect();
    for o in &q.organisations {
        if !orgs.contains(o) {
            orgs.push(*o);
        }
    }
    vec![
        Facet {
            legend: c.t("facet-sector"),
            choices: choices(
                "sector",
                &found.sectors,
                &q.sectors,
                Sector::ALL,
                |v| v.as_str().into(),
                |v| c.t.term("sector", v.as_str()),
            ),
            open: true,
        },
        Facet {
            legend: c.t("facet-risk"),
            choices: choices(
                "risk",
                &found.risks,
                &q.risks,
                &risks_all,
                |v| v.map_or("none".into(), |r| r.as_str().into()),
                |v| risk_tag(c, v).label,
            ),
            open: true,
        },
        Facet {
            legend: c.t("facet-status"),
            choices: choices(
                "status",
                &found.statuses,
                &q.statuses,
                SystemStatus::ALL,
                |v| v.as_str().into(),
                |v| c.t.term("status", v.as_str()),
            ),
            open: !q.statuses.is_empty(),
        },
        Facet {
            legend: c.t("facet-org"),
            choices: choices(
                "org",
                &found.organisations,
                &q.organisations,
                &orgs,
                |v| v.to_string(),
                |v| {
                    state
                        .register
                        .organisation_name(v, c.lang())
                        .unwrap_or_else(|| v.to_string())
                },
            ),
            open: !q.organisations.is_empty(),
        },
    ]
}

/// `GET /register`: search, facets, sorting, pages.
pub async fn register(c: Ctx, State(state): State<AppState>) -> PageResult {
    c.caller
        .require(&state, Action::SystemList, &Resource::Collection("systems"))?;
    let asked = asked(&c, true);
    let found = state.register.search(&asked.query);
    let pages = found.total.div_ceil(PAGE_SIZE).max(1);
    let did_you_mean = match &asked.query.words {
        Some(words) if found.total == 0 => state.register.suggest(words).map(|better| {
            let mut s = form_urlencoded::Serializer::new(String::new());
            for (k, v) in &c.query {
                if k != "q" && k != "page" {
                    s.append_pair(k, v);
                }
            }
            s.append_pair("q", &better);
            (better, format!("/register?{}", s.finish()))
        }),
        _ => None,
    };
    let page = RegisterPage {
        c: &c,
        crumbs: vec![(String::new(), c.t("nav-register"))],
        q: asked.q.clone(),
        facets: facets(&c, &state, &asked.query, &found),
        sorts: Sort::ALL
            .iter()
            .map(|(s, name)| (*name, c.t(&format!("sort-{name}")), *s == asked.query.sort))
            .collect(),
        rows: found.systems.iter().map(|s| row(&c, &state, s)).collect(),
        total: found.total,
        page: asked.page,
        pages,
        prev: (asked.page > 1).then(|| with_page(&c, asked.page - 1)),
        next: (asked.page < pages).then(|| with_page(&c, asked.page + 1)),
        csv: export_href(&c, "csv"),
        json: export_href(&c, "json"),
        problems: asked.problems,
        did_you_mean,
    };
    Ok(c.render(&page))
}

/// The whole result of a register search, for the exports.
async fn export_rows(c: &Ctx, state: &AppState) -> Result<Vec<System>, ApiError> {
    c.caller
        .require(state, Action::SystemList, &Resource::Collection("systems"))?;
    let asked = asked(c, false);
    if let Some(p) = asked.problems.list.first() {
        return Err(ApiError::invalid(vec![senim_domain::FieldError {
            field: p.field.clone(),
            reason: p.message.clone(),
        }]));
    }
    Ok(state.register.search(&asked.query).systems)
}

/// A CSV cell: quoted, quotes doubled, and a leading `= + - @` defused so a
/// spreadsheet does not run it as a formula.
fn csv_cell(text: &str) -> String {
    let defused = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    };
    format!("\"{}\"", defused.replace('"', "\"\""))
}

/// `GET /register.csv`: the search's whole result as CSV (UTF-8 with a BOM,
/// so spreadsheets read Kazakh letters right). Codes keep columns of their
/// own, for programs; the last three columns name them in the reader's
/// language, for people.
pub async fn register_csv(c: Ctx, State(state): State<AppState>) -> Response {
    let systems = match export_rows(&c, &state).await {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    let mut out = String::from(
        "\u{feff}registry_number,id,name,organisation,sectors,risk_level,status,updated_at,\
         sectors_named,risk_level_named,status_named\r\n",
    );
    for s in &systems {
        let cells = [
            s.registry_number.clone().unwrap_or_default(),
            s.id.to_string(),
            s.name.get(c.lang()).to_string(),
            state
                .register
                .organisation_name(s.owner_organisation_id, c.lang())
                .unwrap_or_default(),
            s.sectors
                .iter()
                .map(|x| x.as_str())
                .collect::<Vec<_>>()
                .join(";"),
            s.risk_level.map(|r| r.as_str()).unwrap_or("").to_string(),
            s.status.as_str().to_string(),
            s.updated_at.to_rfc3339(),
            s.sectors
                .iter()
                .map(|x| c.t.term("sector", x.as_str()))
                .collect::<Vec<_>>()
                .join("; "),
            s.risk_level
                .map(|r| c.t.term("risk", r.as_str()))
                .unwrap_or_else(|| c.t("risk-none")),
            c.t.term("status", s.status.as_str()),
        ];
        out.push_str(
            &cells
                .iter()
                .map(|x| csv_cell(x))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push_str("\r\n");
    }
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"senim-register.csv\"",
            ),
        ],
        out,
    )
        .into_response()
}

/// `GET /register.json`: the search's whole result as JSON, the systems as
/// the API gives them.
pub async fn register_json(c: Ctx, State(state): State<AppState>) -> Response {
    match export_rows(&c, &state).await {
        Ok(systems) => (
            StatusCode::OK,
            [(
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"senim-register.json\"",
            )],
            axum::Json(serde_json::json!({ "total": systems.len(), "items": systems })),
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

/// A documentation item on a system's page.
pub struct DocItem {
    pub label: String,
    pub text: Option<String>,
    pub withheld: bool,
}

/// One event on a system's timeline.
pub struct Event {
    pub date: String,
    pub label: String,
    pub index: Option<u64>,
}

#[derive(askama::Template)]
#[template(path = "system.html")]
struct SystemPage<'a> {
    c: &'a Ctx,
    crumbs: Vec<(String, String)>,
    name: String,
    row: Row,
    holder: Option<String>,
    /// The organisation named as operator that has not accepted yet, shown
    /// to the owner, the authority and that organisation only.
    pending_operator: Option<String>,
    /// The authority's pause of reports about the system, shown to all.
    intake_paused: Option<senim_domain::oversight::IntakePause>,
    /// Whether the reader may pause or resume them (supervisors).
    may_pause_intake: bool,
    version: i64,
    owner_id: String,
    docs: Vec<DocItem>,
    /// The library datasets the version was trained, validated or tested
    /// on: (id, title, role).
    data: Vec<(String, String, String)>,
    classification: Option<Classification>,
    /// What the classifying pack is in law, in words (a draft is said so).
    pack_status: Option<String>,
    risk: Tag,
    timeline: Vec<Event>,
    registered_at: Option<String>,
    /// Its registration certificate's address (PDF), while registered.
    certificate: Option<String>,
    /// Today, for the extract's date field.
    today: String,
    open: OpenCases,
    /// A draft never submitted: its organisation's own, said so on the page.
    private_draft: bool,
}

/// The cases the reader may open about a system from its page.
#[derive(Default)]
pub struct OpenCases {
    pub audit: bool,
    pub investigation: bool,
    pub list: bool,
    /// Active auditors: (account id, e-mail).
    pub auditors: Vec<(String, String)>,
    /// The system's closed audits: (case id, number).
    pub audits: Vec<(String, String)>,
    /// The system's sectors: (value, label).
    pub sectors: Vec<(String, String)>,
    /// The reader may withdraw the system (its owner), from this version.
    pub withdraw: Option<i64>,
}

impl OpenCases {
    pub fn any(&self) -> bool {
        self.audit || self.investigation || self.list
    }
}

async fn open_cases(c: &Ctx, state: &AppState, system: &System) -> Result<OpenCases, ApiError> {
    let r = senim_app::cases::new_case(system);
    let mut open = OpenCases {
        audit: c.caller.may(state, Action::CaseOpenAudit, &r)?,
        investigation: c.caller.may(state, Action::CaseOpenInvestigation, &r)?,
        list: system.status == SystemStatus::Registered
            && c.caller.may(state, Action::CaseApplyList, &r)?,
        // In review, the application is withdrawn first, on its case.
        withdraw: (system.status != SystemStatus::Withdrawn
            && !system.status.in_review()
            && c.caller
                .may(state, Action::SystemWithdraw, &Resource::system(system))?)
        .then_some(system.current_version),
        ..Default::default()
    };
    if open.audit {
        let auditors = state
            .store
            .accounts(&senim_store::AccountFilter {
                role: Some(senim_domain::Role::Auditor),
                status: Some(senim_domain::AccountStatus::Active),
                limit: 200,
                ..Default::default()
            })
            .await?;
        open.auditors = auditors
            .items
            .iter()
            .map(|a| (a.id.to_string(), a.email.as_str().to_string()))
            .collect();
    }
    if open.list {
        let audits = state
            .store
            .cases(&senim_store::CaseFilter {
                kind: Some(senim_domain::CaseKind::Audit),
                system: Some(system.id),
                open: Some(false),
                limit: 50,
                ..Default::default()
            })
            .await?;
        open.audits = audits
            .items
            .iter()
            .map(|a| (a.id.to_string(), a.number.clone()))
            .collect();
        open.sectors = system
            .sectors
            .iter()
            .map(|x| (x.as_str().to_string(), c.t.term("sector", x.as_str())))
            .collect();
    }
    Ok(open)
}

/// `POST /systems/{id}/cases`: opens an audit, an investigation or a
/// trusted-list application about the system (the API's `open_case`).
pub async fn open_case(
    State(state): State<AppState>,
    Path(id): Path<String>,
    crate::Posted { ctx: c, form }: crate::Posted,
) -> PageResult {
    use senim_app::cases::CaseInput;
    let system_id: SystemId = path_id(&id, "system")?;
    let bad = |field: &str, reason: &str| {
        ApiError::invalid(vec![senim_domain::FieldError {
            field: field.into(),
            reason: reason.into(),
        }])
    };
    let input = match form.get("kind").unwrap_or("") {
        "audit" => CaseInput::Audit {
            system_id,
            basis: form
                .text("basis")
                .parse()
                .map_err(|_| bad("basis", "choose planned or for cause"))?,
            auditor: form
                .text("auditor")
                .parse()
                .map_err(|_| bad("auditor", "choose an auditor"))?,
        },
        "investigation" => CaseInput::Investigation {
            system_id,
            reasons: form.text("reasons"),
        },
        "trusted_list" => CaseInput::TrustedList {
            system_id,
            sector: form
                .text("sector")
                .parse()
                .map_err(|_| bad("sector", "choose a sector"))?,
            audit_case: form
                .text("audit_case")
                .parse()
                .map_err(|_| bad("audit_case", "choose a closed audit"))?,
            copyright: form.text("copyright"),
        },
        _ => return Err(bad("kind", "is not a case the page opens").into()),
    };
    let case = senim_app::cases::open_case(&state, &c.caller, input).await?;
    Ok(c.redirect(&format!("/desk/cases/{}", case.id)))
}

/// `POST /systems/{id}/withdraw`: the owner withdraws the system (the
/// API's `withdraw_system`), from the version the page showed.
pub async fn withdraw(
    State(state): State<AppState>,
    Path(id): Path<String>,
    crate::Posted { ctx: c, form }: crate::Posted,
) -> PageResult {
    if form.get("confirm") != Some("yes") {
        return Err(ApiError::invalid(vec![senim_domain::FieldError {
            field: "confirm".into(),
            reason: c.t("withdraw-confirm-missing"),
        }])
        .into());
    }
    // The version the page showed: a withdrawal decided on an older page
    // is refused, never applied blind.
    let expected = form.text("version").parse::<i64>().map_err(|_| {
        ApiError::invalid(vec![senim_domain::FieldError {
            field: "version".into(),
            reason: "is missing: reload the page".into(),
        }])
    })?;
    let reason = Some(form.text("reason")).filter(|r| !r.trim().is_empty());
    let (system, _, _) =
        senim_app::systems::withdraw_system(&state, &c.caller, &id, Some(expected), reason).await?;
    Ok(c.redirect(&format!("/developer?done=withdrawn&system={}", system.id)))
}

/// `GET /systems/{id}`: what the public may know of a system.
pub async fn system(c: Ctx, State(state): State<AppState>, Path(id): Path<String>) -> PageResult {
    let id: SystemId = path_id(&id, "system")?;
    let record = state.store.system_with_current(id).await?;
    let resource = Resource::system(&record.system);
    senim_app::systems::require_read(&state, &c.caller, &resource)?;
    let viewer = Viewer {
        owner: c
            .caller
            .may(&state, Action::SystemReadOwnerFields, &resource)?,
        authority: c
            .caller
            .may(&state, Action::SystemReadAuthorityFields, &resource)?,
    };
    let version = record.version.redacted(viewer);
    let (classification, pack_status) = match &record.assessment {
        Some(a) => {
            let book = state.rules.read().await;
            let pack = book.get(&a.outcome.pack.id, &a.outcome.pack.version);
            (
                pack.map(|p| p.explain(&a.outcome, c.t.lang)),
                pack.map(|p| c.t.term("legal-status", p.status.as_str())),
            )
        }
        None => (None, None),
    };
    let docs = version
        .documentation_in(c.lang())
        .items()
        .into_iter()
        .map(|(item, text)| DocItem {
            label: c.t.term("doc", item.as_str()),
            text: text.map(str::to_string),
            withheld: version.withheld.contains(&item),
        })
        .filter(|d| d.text.is_some() || d.withheld)
        .collect();
    let ids: Vec<_> = version.datasets.iter().map(|l| l.dataset_id).collect();
    let found = state.store.datasets_by_id(&ids).await?;
    let data = version
        .datasets
        .iter()
        .filter_map(|l| {
            let d = found.iter().find(|d| d.id == l.dataset_id)?;
            Some((
                d.id.to_string(),
                d.metadata.title.get(c.lang()).to_string(),
                c.t.term("data-role", l.role.as_str()),
            ))
        })
        .collect();
    let pending_operator = match state.store.operator_request(id).await? {
        Some(r)
            if viewer.owner
                || c.account().and_then(|a| a.organisation_id) == Some(r.organisation_id) =>
        {
            state
                .register
                .organisation_name(r.organisation_id, c.lang())
        }
        _ => None,
    };
    let mut subjects = vec![("system", id.to_string())];
    let registration = state.store.registration_of(id).await?;
    if let Some(case) = &registration {
        subjects.push(("case", case.id.to_string()));
    }
    let timeline = state
        .store
        .timeline(&subjects)
        .await?
        .into_iter()
        .map(|e| Event {
            date: date(&e.time),
            label: c.t.term("event", &e.kind.replace('.', "-")),
            index: e.index,
        })
        .collect();
    let system = &record.system;
    let name = system.name.get(c.lang()).to_string();
    let page = SystemPage {
        c: &c,
        crumbs: vec![
            ("/register".into(), c.t("nav-register")),
            (String::new(), name.clone()),
        ],
        row: row(&c, &state, system),
        holder: system
            .holder_organisation_id
            .and_then(|h| state.register.organisation_name(h, c.lang())),
        pending_operator,
        intake_paused: state.store.intake_pause(system.id).await?,
        may_pause_intake: c.caller.may(&state, Action::SystemPauseIntake, &resource)?,
        version: system.current_version,
        owner_id: system.owner_organisation_id.to_string(),
        docs,
        data,
        risk: risk_tag(&c, system.risk_level),
        classification,
        pack_status,
        timeline,
        open: open_cases(&c, &state, system).await?,
        private_draft: !system.is_public(),
        today: state
            .clock
            .now()
            .to_rfc3339()
            .get(..10)
            .unwrap_or("")
            .to_string(),
        certificate: (system.status == SystemStatus::Registered
            && system.registry_number.is_some())
        .then(|| format!("/systems/{}/certificate.pdf", system.id)),
        registered_at: registration
            .as_ref()
            .filter(|_| system.status == SystemStatus::Registered)
            .map(|r| date(&r.updated_at.to_rfc3339())),
        name,
    };
    Ok(c.render(&page))
}

/// `POST /systems/{id}/intake`: a supervisor pauses (with the public
/// reason) or resumes reports about the system (the API's `PUT
/// /api/v1/systems/{id}/intake`).
pub async fn set_intake(
    State(state): State<AppState>,
    Path(id): Path<String>,
    crate::Posted { ctx: c, form }: crate::Posted,
) -> PageResult {
    let input = senim_domain::oversight::IntakePauseInput {
        paused: form.text("paused") == "true",
        reason: Some(form.text("reason")),
    };
    match senim_app::cases::set_intake_pause(&state, &c.caller, &id, input).await {
        Ok(_) => Ok(c.redirect(&format!("/systems/{id}#intake"))),
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            let mut r = c.error(e);
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /systems/{id}/certificate.pdf`: the registration certificate of a
/// registered system in the reader's language (PDF/A-3b with the audit
/// log's receipt); 404 for a system that is not registered.
pub async fn certificate(
    c: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> PageResult {
    let id: SystemId = path_id(&id, "system")?;
    let pdf = senim_app::documents::registration_certificate(&state, id, c.t.lang).await?;
    Ok(pdf.response())
}

#[derive(serde::Deserialize)]
pub struct ExtractQuery {
    /// The day (YYYY-MM-DD); today when none.
    #[serde(default, deserialize_with = "empty_as_none")]
    pub date: Option<senim_domain::Day>,
}

fn empty_as_none<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<senim_domain::Day>, D::Error> {
    let text: Option<String> = serde::Deserialize::deserialize(d)?;
    match text.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => senim_domain::Day::parse(t)
            .map(Some)
            .map_err(serde::de::Error::custom),
    }
}

/// `GET /systems/{id}/extract.pdf?date=YYYY-MM-DD`: an extract from the
/// register for a public system as of a day, in the reader's language.
pub async fn extract(
    c: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: Result<axum::extract::Query<ExtractQuery>, axum::extract::rejection::QueryRejection>,
) -> PageResult {
    let id: SystemId = path_id(&id, "system")?;
    let on = match query {
        Ok(q) => q.0.date,
        Err(_) => {
            return Err(ApiError::invalid(vec![senim_domain::FieldError {
                field: "date".into(),
                reason: "must be a date (YYYY-MM-DD)".into(),
            }])
            .into())
        }
    };
    let pdf = senim_app::documents::register_extract(&state, id, on, c.t.lang).await?;
    Ok(pdf.response())
}
