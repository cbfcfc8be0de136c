//! The reviewer pool, for supervisors: every expert reviewer with the
//! sectors they are competent in (the pool offers them dossiers of those
//! sectors first), their standing conflicts of interest, whether they take
//! new dossiers, and how many they work on now; each one's page changes
//! them through the API's own path (`cases::put_reviewer`). Conflicts are
//! named by BIN, so the page stays small however many organisations there are.

use axum::extract::{Path, State};
use axum::http::StatusCode;

use senim_domain::case::{Candidate, ReviewerInput};
use senim_domain::profile::Sector;
use senim_domain::{Account, AccountId, AccountStatus, Role};
use senim_store::AccountFilter;

use crate::PageResult;
use crate::{Ctx, FormData, Posted, Problems};
use senim_app::cases::put_reviewer;
use senim_app::error::ApiError;
use senim_app::policy::{Action, Resource};
use senim_app::state::AppState;

/// The most organisations one reviewer's standing conflicts name.
const MAX_CONFLICTS: usize = 100;

/// A reviewer in the pool's list.
pub struct ReviewerRow {
    pub id: String,
    pub email: String,
    pub name: String,
    /// Their sectors, or that they are not in the pool yet.
    pub sectors: String,
    pub conflicts: usize,
    pub load: u32,
    pub active: bool,
}

#[derive(askama::Template)]
#[template(path = "reviewers.html")]
struct ListPage<'a> {
    c: &'a Ctx,
    crumbs: Vec<(String, String)>,
    rows: Vec<ReviewerRow>,
    done: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "reviewer.html")]
struct ReviewerPage<'a> {
    c: &'a Ctx,
    crumbs: Vec<(String, String)>,
    problems: Problems,
    id: String,
    email: String,
    form: FormData,
    sectors: Vec<(&'static str, String)>,
    /// The organisations the conflicts name now: (BIN, name).
    named: Vec<(String, String)>,
}

fn require(c: &Ctx, state: &AppState) -> Result<(), ApiError> {
    c.caller.require(
        state,
        Action::ReviewerManage,
        &Resource::Collection("reviewers"),
    )
}

fn sector_names(c: &Ctx, sectors: &[Sector]) -> String {
    sectors
        .iter()
        .map(|s| c.t.term("sector", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `GET /supervisor/reviewers`: the pool.
pub async fn list(c: Ctx, State(state): State<AppState>) -> PageResult {
    require(&c, &state)?;
    let pool = state.store.reviewer_pool().await?;
    let accounts = state
        .store
        .accounts(&AccountFilter {
            role: Some(Role::ExpertReviewer),
            status: Some(AccountStatus::Active),
            limit: 1000,
            ..Default::default()
        })
        .await?
        .items;
    let rows = accounts
        .iter()
        .map(|a| {
            let p = pool.iter().find(|p| p.account_id == a.id);
            ReviewerRow {
                id: a.id.to_string(),
                email: a.email.as_str().to_string(),
                name: a.display_name.clone(),
                sectors: p.map_or_else(
                    || c.t("reviewers-not-pooled"),
                    |p| {
                        let mut s = sector_names(&c, &p.sectors);
                        if !p.uncertified.is_empty() {
                            s = format!(
                                "{s} · {}: {}",
                                c.t("reviewers-uncertified"),
                                sector_names(&c, &p.uncertified)
                            );
                        }
                        s
                    },
                ),
                conflicts: p.map_or(0, |p| p.conflicts.len()),
                load: p.map_or(0, |p| p.load),
                active: p.is_some_and(|p| p.active),
            }
        })
        .collect();
    Ok(c.render(&ListPage {
        crumbs: vec![
            ("/supervisor".to_string(), c.t("desk-supervisor")),
            (String::new(), c.t("reviewers-title")),
        ],
        rows,
        done: c.done("reviewers-done"),
        c: &c,
    }))
}

/// An expert reviewer's account and pool entry (if any).
async fn reviewer(state: &AppState, id: &str) -> Result<(Account, Option<Candidate>), ApiError> {
    let id: AccountId = senim_app::extract::path_id(id, "account")?;
    let account = state.store.account(id).await?;
    if !account.roles.contains(&Role::ExpertReviewer) {
        return Err(ApiError::not_found("reviewer"));
    }
    let entry = state
        .store
        .reviewer_pool()
        .await?
        .into_iter()
        .find(|p| p.account_id == id);
    Ok((account, entry))
}

async fn reviewer_page(
    c: &Ctx,
    state: &AppState,
    account: &Account,
    entry: Option<&Candidate>,
    form: Option<FormData>,
    problems: Problems,
) -> PageResult {
    let mut named = Vec::new();
    for id in entry.map(|e| e.conflicts.clone()).unwrap_or_default() {
        if let Ok(o) = state.store.organisation(id).await {
            named.push((o.bin.as_str().to_string(), o.name.get(c.lang()).to_string()));
        }
    }
    let form = form.unwrap_or_else(|| {
        let mut values = Vec::new();
        if let Some(e) = entry {
            values.extend(
                e.sectors
                    .iter()
                    .map(|s| ("sectors".to_string(), s.as_str().to_string())),
            );
        }
        if entry.is_none_or(|e| e.active) {
            values.push(("active".to_string(), "yes".to_string()));
        }
        let bins: Vec<&str> = named.iter().map(|(bin, _)| bin.as_str()).collect();
        values.push(("conflicts".to_string(), bins.join("\n")));
        FormData(values)
    });
    let failed = !problems.is_empty();
    let email = account.email.as_str().to_string();
    let mut r = c.render(&ReviewerPage {
        crumbs: vec![
            ("/supervisor".to_string(), c.t("desk-supervisor")),
            ("/supervisor/reviewers".to_string(), c.t("reviewers-title")),
            (String::new(), email.clone()),
        ],
        problems,
        id: account.id.to_string(),
        email,
        form,
        sectors: Sector::ALL
            .iter()
            .map(|s| (s.as_str(), c.t.term("sector", s.as_str())))
            .collect(),
        named,
        c,
    });
    if failed {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

/// `GET /supervisor/reviewers/{id}`: one reviewer's form.
pub async fn show(c: Ctx, State(state): State<AppState>, Path(id): Path<String>) -> PageResult {
    require(&c, &state)?;
    let (account, entry) = reviewer(&state, &id).await?;
    reviewer_page(
        &c,
        &state,
        &account,
        entry.as_ref(),
        None,
        Problems::default(),
    )
    .await
}

/// `POST /supervisor/reviewers/{id}`: the reviewer's sectors, conflicts (by
/// BIN) and availability.
pub async fn set(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { ctx: c, form }: Posted,
) -> PageResult {
    require(&c, &state)?;
    let (account, entry) = reviewer(&state, &id).await?;
    let mut problems = Problems::default();
    let sectors: Vec<Sector> = form
        .all("sectors")
        .iter()
        .filter_map(|s| s.parse().ok())
        .collect();
    if sectors.is_empty() {
        problems.push("sectors", c.t("reviewers-sectors-missing"));
    }
    let mut conflicts = Vec::new();
    let conflicts_text = form.text("conflicts");
    let bins: Vec<&str> = conflicts_text
        .split(|ch: char| ch == ',' || ch.is_whitespace())
        .filter(|b| !b.is_empty())
        .collect();
    if bins.len() > MAX_CONFLICTS {
        problems.push(
            "conflicts",
            c.t.t1("reviewers-too-many-conflicts", "max", MAX_CONFLICTS),
        );
    }
    for bin in bins.into_iter().take(MAX_CONFLICTS) {
        match state.store.organisation_by_bin(bin).await {
            Ok(o) => conflicts.push(o.id),
            Err(senim_store::StoreError::NotFound { .. }) => {
                problems.push("conflicts", c.t.t1("reviewers-unknown-bin", "bin", bin))
            }
            Err(e) => return Err(e.into()),
        }
    }
    if !problems.is_empty() {
        return reviewer_page(&c, &state, &account, entry.as_ref(), Some(form), problems).await;
    }
    let input = ReviewerInput {
        sectors,
        conflicts,
        active: form.get("active") == Some("yes"),
    };
    match put_reviewer(&state, &c.caller, account.id, input).await {
        Ok(_) => Ok(c.redirect("/supervisor/reviewers?done=saved")),
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            problems.push("sectors", crate::conflict_or(&c, &e));
            reviewer_page(&c, &state, &account, entry.as_ref(), Some(form), problems).await
        }
        Err(e) => Err(e.into()),
    }
}
