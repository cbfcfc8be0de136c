//! The reviewer pool, for supervisors: every expert reviewer with the
//! sectors they are competent in (the pool offers them dossiers of those
//! sectors first), their standing conflicts of interest, whether they take
//! new dossiers, and how many they work on now. Changes go through the
//! API's own path (`cases::put_reviewer`).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use senim_domain::case::ReviewerInput;
use senim_domain::profile::Sector;
use senim_domain::{AccountId, AccountStatus, OrganisationId, Role};
use senim_store::{AccountFilter, OrganisationFilter};

use crate::error::ApiError;
use crate::policy::{Action, Resource};
use crate::routes::cases::put_reviewer;
use crate::state::AppState;
use crate::web::{Ctx, FormData, Posted, Problems};

/// A reviewer as the page shows them, with their form's values.
pub struct ReviewerRow {
    pub id: String,
    pub email: String,
    pub name: String,
    pub sectors: String,
    pub load: u32,
    pub active: bool,
    /// Whether they are in the pool at all (a profile was ever set).
    pub pooled: bool,
    pub form: FormData,
    pub open: bool,
}

#[derive(askama::Template)]
#[template(path = "reviewers.html")]
struct ReviewersPage<'a> {
    c: &'a Ctx,
    crumbs: Vec<(String, String)>,
    problems: Problems,
    rows: Vec<ReviewerRow>,
    sectors: Vec<(&'static str, String)>,
    orgs: Vec<(String, String)>,
    done: Option<String>,
}

async fn render(
    c: &Ctx,
    state: &AppState,
    failed: Option<(AccountId, &FormData)>,
    problems: Problems,
) -> Result<Response, ApiError> {
    c.caller.require(
        state,
        Action::ReviewerManage,
        &Resource::Collection("reviewers"),
    )?;
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
    let orgs: Vec<(String, String)> = state
        .store
        .organisations(&OrganisationFilter {
            limit: 1000,
            ..Default::default()
        })
        .await?
        .items
        .iter()
        .map(|o| (o.id.to_string(), o.name.get(c.lang()).to_string()))
        .collect();
    let rows = accounts
        .iter()
        .map(|a| {
            let profile = pool.iter().find(|p| p.account_id == a.id);
            let mut values = Vec::new();
            if let Some(p) = profile {
                values.extend(
                    p.sectors
                        .iter()
                        .map(|s| ("sectors".to_string(), s.as_str().to_string())),
                );
                values.extend(
                    p.conflicts
                        .iter()
                        .map(|o| ("conflicts".to_string(), o.to_string())),
                );
                if p.active {
                    values.push(("active".to_string(), "yes".to_string()));
                }
            } else {
                values.push(("active".to_string(), "yes".to_string()));
            }
            let again = failed.filter(|(id, _)| *id == a.id).map(|(_, f)| f.clone());
            ReviewerRow {
                id: a.id.to_string(),
                email: a.email.as_str().to_string(),
                name: a.display_name.clone(),
                sectors: profile
                    .map(|p| {
                        p.sectors
                            .iter()
                            .map(|s| c.t.term("sector", s.as_str()))
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default(),
                load: profile.map_or(0, |p| p.load),
                active: profile.is_some_and(|p| p.active),
                pooled: profile.is_some(),
                open: again.is_some(),
                form: again.unwrap_or(FormData(values)),
            }
        })
        .collect();
    let failed = !problems.is_empty();
    let page = ReviewersPage {
        crumbs: vec![
            ("/supervisor".to_string(), c.t("desk-supervisor")),
            (String::new(), c.t("reviewers-title")),
        ],
        problems,
        rows,
        sectors: Sector::ALL
            .iter()
            .map(|s| (s.as_str(), c.t.term("sector", s.as_str())))
            .collect(),
        orgs,
        done: c.done("reviewers-done"),
        c,
    };
    let mut r = c.render(&page);
    if failed {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

/// `GET /supervisor/reviewers`.
pub async fn show(c: Ctx, State(state): State<AppState>) -> Response {
    let result = render(&c, &state, None, Problems::default()).await;
    c.respond(result)
}

/// `POST /supervisor/reviewers/{id}`: one reviewer's sectors, conflicts and
/// availability.
pub async fn set(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { ctx: c, form }: Posted,
) -> Response {
    let result = async {
        let account_id: AccountId = crate::routes::path_id(&id, "account")?;
        let field = format!("sectors-{account_id}");
        let mut problems = Problems::default();
        let sectors: Vec<Sector> = form
            .all("sectors")
            .iter()
            .filter_map(|s| s.parse().ok())
            .collect();
        if sectors.is_empty() {
            problems.push(&field, c.t("reviewers-sectors-missing"));
            return render(&c, &state, Some((account_id, &form)), problems).await;
        }
        let input = ReviewerInput {
            sectors,
            conflicts: form
                .all("conflicts")
                .iter()
                .filter_map(|o| o.parse::<OrganisationId>().ok())
                .collect(),
            active: form.get("active") == Some("yes"),
        };
        match put_reviewer(&state, &c.caller, account_id, input).await {
            Ok(_) => Ok(c.redirect("/supervisor/reviewers?done=saved")),
            Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
                problems.push(&field, crate::web::conflict_or(&c, &e));
                render(&c, &state, Some((account_id, &form)), problems).await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    c.respond(result)
}
