//! `/account/tokens`: the signed-in account's API tokens. A token is made
//! here for a script or a CI pipeline (its secret shown once, on the answer
//! to the form), listed without its secret, and revoked. Through the API's
//! own `new_token` and `end_token`, so the same rules hold.

use axum::extract::{Path, State};
use axum::http::StatusCode;

use senim_domain::api::TokenRequest;
use senim_domain::token::TokenScope;
use senim_domain::TokenId;

use crate::public::date;
use crate::PageResult;
use crate::{Ctx, FormData, Posted, Problems};
use senim_app::accounts::{end_token, new_token};
use senim_app::error::ApiError;
use senim_app::policy::{Action, Resource};
use senim_app::state::AppState;

/// A token as the page lists it.
pub struct TokenRow {
    pub id: String,
    pub name: String,
    pub scope: String,
    pub created: String,
    pub expires: String,
    /// When it was revoked, or that it expired; empty while it works.
    pub ended: String,
}

#[derive(askama::Template)]
#[template(path = "tokens.html")]
struct TokensPage<'a> {
    c: &'a Ctx,
    crumbs: Vec<(String, String)>,
    rows: Vec<TokenRow>,
    /// The secret of the token just made: shown this once.
    secret: Option<String>,
    problems: Problems,
    token_name: String,
    scope: String,
    token_days: String,
    /// The scopes the account may give: (value, label).
    scopes: Vec<(&'static str, String)>,
    done: Option<String>,
}

async fn page(
    c: &Ctx,
    state: &AppState,
    form: &FormData,
    secret: Option<String>,
    problems: Problems,
) -> PageResult {
    let Some(account) = c.account() else {
        return Err(ApiError::unauthenticated().into());
    };
    c.caller
        .require(state, Action::TokenList, &Resource::Account(account.id))?;
    let now = state.clock.now();
    let rows = state
        .store
        .tokens_of(account.id)
        .await?
        .into_iter()
        .map(|t| TokenRow {
            id: t.id.to_string(),
            // Each scope includes the ones before it: the widest says all.
            scope: t
                .scopes
                .iter()
                .max()
                .map(|s| c.t.term("token-scope", s.as_str()))
                .unwrap_or_default(),
            name: t.name,
            created: date(&t.created_at.to_rfc3339()),
            expires: date(&t.expires_at.to_rfc3339()),
            ended: match t.revoked_at {
                Some(at) => c.t.t1("token-revoked-on", "date", date(&at.to_rfc3339())),
                None if t.expires_at <= now => c.t("token-expired"),
                None => String::new(),
            },
        })
        .collect();
    // Administration is offered to those the policies let do something
    // that needs it (administrators; supervisors publish rule packs).
    let mut scopes = vec![
        ("read", c.t("token-scope-read")),
        ("write", c.t("token-scope-write")),
    ];
    if administers(state, account) {
        scopes.push(("admin", c.t("token-scope-admin")));
    }
    let status = if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = TokensPage {
        crumbs: vec![(String::new(), c.t("tokens-title"))],
        rows,
        secret,
        problems,
        token_name: form.text("name"),
        scope: Some(form.text("scope"))
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "read".into()),
        token_days: Some(form.text("days"))
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "90".into()),
        scopes,
        done: c.done("tokens-done"),
        c,
    };
    let mut response = c.render(&page);
    *response.status_mut() = status;
    Ok(response)
}

/// `GET /account/tokens`.
pub async fn show(c: Ctx, State(state): State<AppState>) -> PageResult {
    page(&c, &state, &FormData::default(), None, Problems::default()).await
}

/// `POST /account/tokens`: makes a token and shows its secret once.
pub async fn create(State(state): State<AppState>, Posted { ctx: c, form }: Posted) -> PageResult {
    let Some(account) = c.account() else {
        return Err(ApiError::unauthenticated().into());
    };
    let mut problems = Problems::default();
    // Each scope includes the ones before it.
    let scopes: Vec<TokenScope> = match form.text("scope").as_str() {
        "read" => vec![TokenScope::Read],
        "write" => vec![TokenScope::Read, TokenScope::Write],
        "admin" => vec![TokenScope::Read, TokenScope::Write, TokenScope::Admin],
        _ => {
            problems.push("scope", c.t("token-scope-missing"));
            Vec::new()
        }
    };
    let days = form.text("days").trim().parse::<i64>().ok();
    if days.is_none_or(|d| !(1..=365).contains(&d)) {
        problems.push("days", c.t("token-days-invalid"));
    }
    if form.text("name").trim().is_empty() {
        problems.push("name", c.t("token-name-missing"));
    }
    if !problems.is_empty() {
        return page(&c, &state, &form, None, problems).await;
    }
    let request = TokenRequest {
        name: form.text("name"),
        scopes,
        expires_in_days: days,
    };
    match new_token(&state, &c.caller, account.id, request).await {
        Ok(created) => {
            page(
                &c,
                &state,
                &FormData::default(),
                Some(created.token),
                problems,
            )
            .await
        }
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            // The API's field names, as the page's fields.
            for f in &e.fields {
                let field = match f.field.as_str() {
                    "scopes" => "scope",
                    "expires_in_days" => "days",
                    other => other,
                };
                problems.push(field, c.t.reason(&f.reason));
            }
            page(&c, &state, &form, None, problems).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /account/tokens/{id}/revoke`.
pub async fn revoke(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { ctx: c, .. }: Posted,
) -> PageResult {
    let Some(account) = c.account() else {
        return Err(ApiError::unauthenticated().into());
    };
    let token: TokenId = senim_app::extract::path_id(&id, "token")?;
    end_token(&state, &c.caller, account.id, token).await?;
    Ok(c.redirect("/account/tokens?done=revoked"))
}

/// Whether the policies let `account` take an action that needs an API
/// token's administration scope.
fn administers(state: &AppState, account: &senim_domain::Account) -> bool {
    [
        (Action::OrganisationCreate, "organisations"),
        (Action::AccountCreate, "accounts"),
        (Action::RulePackPublish, "rulepacks"),
    ]
    .into_iter()
    .any(|(action, collection)| {
        state
            .policies
            .allows(Some(account), action, &Resource::Collection(collection))
            .unwrap_or(false)
    })
}
