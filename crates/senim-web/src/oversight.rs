//! The authority's public record: published decisions on violations and
//! sanctions (each printable), and the trusted lists by sector.

use axum::extract::{Path, State};

use senim_domain::oversight::PublishedDecision;
use senim_domain::profile::Sector;
use senim_domain::{CaseId, SystemStatus};

use crate::public::date;
use crate::Ctx;
use crate::PageResult;
use senim_app::error::ApiError;
use senim_app::extract::path_id;
use senim_app::state::AppState;

/// A decision as shown.
pub struct DecisionView {
    pub id: String,
    pub number: String,
    pub state: String,
    pub system: Option<(String, String)>,
    pub organisation: String,
    pub violation: Option<senim_domain::oversight::Violation>,
    pub sanction: Option<String>,
    pub sanction_reasons: Option<String>,
    pub sanction_citation: Option<String>,
    pub appeal: Option<String>,
    pub original: Option<String>,
    pub decided: String,
}

fn sanction_text(c: &Ctx, s: &senim_domain::oversight::SanctionDecision) -> String {
    senim_app::documents::sanction_text(&c.t, s)
}

async fn view(c: &Ctx, state: &AppState, d: &PublishedDecision) -> Result<DecisionView, ApiError> {
    let system = d.system_id.and_then(|id| {
        state
            .register
            .system_name(id, c.lang())
            .map(|name| (id.to_string(), name))
    });
    // The record quotes the pack in English; the reader reads the pack's own
    // words in their language.
    let book = state.rules.read().await;
    let violation = d.violation.clone().map(|mut v| {
        v.title = book.retitle(&v.obligation, &v.title, c.t.lang);
        v.citation = book.requote(&v.citation, c.t.lang);
        v
    });
    let sanction_citation = d
        .sanction
        .as_ref()
        .and_then(|s| s.citation.as_ref())
        .map(|x| book.requote(x, c.t.lang).source);
    drop(book);
    Ok(DecisionView {
        id: d.case_id.to_string(),
        number: d.number.clone(),
        state: c.t.term("decision-state", &d.state),
        system,
        organisation: d
            .organisation_id
            .and_then(|o| state.register.organisation_name(o, c.lang()))
            .unwrap_or_default(),
        violation,
        sanction: d.sanction.as_ref().map(|s| sanction_text(c, s)),
        sanction_reasons: d.sanction.as_ref().map(|s| s.reasons.clone()),
        sanction_citation,
        appeal: d.appeal_outcome.map(|a| c.t.term("appeal", a.as_str())),
        original: d.original_sanction.as_ref().map(|s| sanction_text(c, s)),
        decided: d
            .sanction
            .as_ref()
            .map(|s| date(&s.decided_at.to_rfc3339()))
            .unwrap_or_default(),
    })
}

#[derive(askama::Template)]
#[template(path = "decisions.html")]
struct DecisionsPage<'a> {
    c: &'a Ctx,
    crumbs: Vec<(String, String)>,
    decisions: Vec<DecisionView>,
}

/// `GET /decisions`.
pub async fn decisions(c: Ctx, State(state): State<AppState>) -> PageResult {
    let mut decisions = Vec::new();
    for case in state.store.decided_investigations(1000).await? {
        if let Some(d) = PublishedDecision::of(&case) {
            decisions.push(view(&c, &state, &d).await?);
        }
    }
    let page = DecisionsPage {
        c: &c,
        crumbs: vec![(String::new(), c.t("nav-decisions"))],
        decisions,
    };
    Ok(c.render(&page))
}

#[derive(askama::Template)]
#[template(path = "decision.html")]
struct DecisionPage<'a> {
    c: &'a Ctx,
    crumbs: Vec<(String, String)>,
    d: DecisionView,
    receipts: Vec<(String, u64)>,
    signatures: Vec<crate::SignatureView>,
}

/// `GET /decisions/{id}`: one decision, printable.
pub async fn decision(c: Ctx, State(state): State<AppState>, Path(id): Path<String>) -> PageResult {
    let id: CaseId = path_id(&id, "decision")?;
    let case = state
        .store
        .case(id)
        .await
        .map_err(|_| ApiError::not_found("decision"))?;
    let d = PublishedDecision::of(&case).ok_or_else(|| ApiError::not_found("decision"))?;
    let receipts = state
        .store
        .timeline(&[("case", id.to_string())])
        .await?
        .into_iter()
        .filter_map(|e| Some((c.t.term("event", &e.kind.replace('.', "-")), e.index?)))
        .collect();
    let d = view(&c, &state, &d).await?;
    let signatures = crate::signature_views(&c, &senim_store::public_case(&case));
    let page = DecisionPage {
        signatures,
        c: &c,
        crumbs: vec![
            ("/decisions".into(), c.t("nav-decisions")),
            (String::new(), d.number.clone()),
        ],
        d,
        receipts,
    };
    Ok(c.render(&page))
}

/// `GET /decisions/{id}/decision.pdf`: the decision in the reader's
/// language (PDF/A-3b with the audit log's receipt and its signatures).
pub async fn decision_pdf(
    c: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> PageResult {
    let id: CaseId = path_id(&id, "decision")?;
    let pdf = senim_app::documents::sanction_decision(&state, id, c.t.lang).await?;
    Ok(pdf.response())
}

/// `GET /desk/cases/{id}/audit-report.pdf`: a closed audit's report in the
/// reader's language, for those who may read the audit.
pub async fn audit_report(
    c: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> PageResult {
    let id: CaseId = path_id(&id, "case")?;
    let pdf = senim_app::documents::audit_report(&state, &c.caller, id, c.t.lang).await?;
    Ok(pdf.response())
}

/// One sector's trusted list.
pub struct ListView {
    pub sector: String,
    pub id: &'static str,
    pub entries: Vec<(String, String, Option<String>, String)>,
}

#[derive(askama::Template)]
#[template(path = "trusted_lists.html")]
struct ListsPage<'a> {
    c: &'a Ctx,
    crumbs: Vec<(String, String)>,
    lists: Vec<ListView>,
}

/// `GET /trusted-lists`: every sector's published list.
pub async fn trusted_lists(c: Ctx, State(state): State<AppState>) -> PageResult {
    let entries = state.store.published_list_entries().await?;
    let mut lists = Vec::new();
    for sector in Sector::ALL {
        let mut rows = Vec::new();
        for case in &entries {
            let Some(app) = case.trusted_list().filter(|a| a.sector == *sector) else {
                continue;
            };
            let Some(system_id) = case.system_id else {
                continue;
            };
            let system = state.store.system(system_id).await?;
            // As the API: a system no longer registered is not trusted.
            if system.status != SystemStatus::Registered {
                continue;
            }
            rows.push((
                system_id.to_string(),
                system.name.get(c.lang()).to_string(),
                system.registry_number.clone(),
                app.published_at
                    .or(app.listed_at)
                    .map(|t| date(&t.to_rfc3339()))
                    .unwrap_or_default(),
            ));
        }
        if !rows.is_empty() {
            lists.push(ListView {
                sector: c.t.term("sector", sector.as_str()),
                id: sector.as_str(),
                entries: rows,
            });
        }
    }
    let page = ListsPage {
        c: &c,
        crumbs: vec![(String::new(), c.t("nav-trusted-lists"))],
        lists,
    };
    Ok(c.render(&page))
}
