//! The administrator's desk: organisations and accounts, listed, and new
//! ones added through the API's own paths (`organisations::add`,
//! `accounts::add`), so the same checks apply (a BIN's check digit, a
//! password's length, roles that need an organisation).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use senim_domain::organisation::{Contacts, OrganisationKind, SizeClass};
use senim_domain::text::LocalizedText;
use senim_domain::{AccountInput, OrganisationInput, Role};
use senim_store::{AccountFilter, OrganisationFilter};

use crate::error::ApiError;
use crate::policy::{Action, Resource};
use crate::state::AppState;
use crate::web::{Ctx, FormData, Posted, Problems};

/// An organisation as a row.
pub struct OrgRow {
    pub id: String,
    pub name: String,
    pub bin: String,
    pub kind: String,
    pub status: String,
}

/// An account as a row.
pub struct AccountRow {
    pub email: String,
    pub name: String,
    pub roles: String,
    pub organisation: String,
    pub status: String,
}

#[derive(askama::Template)]
#[template(path = "admin.html")]
struct AdminPage<'a> {
    c: &'a Ctx,
    crumbs: Vec<(String, String)>,
    problems: Problems,
    orgs: Vec<OrgRow>,
    accounts: Vec<AccountRow>,
    kinds: Vec<(&'static str, String)>,
    sizes: Vec<(&'static str, String)>,
    roles: Vec<(&'static str, String)>,
    form: FormData,
    done: Option<String>,
}

impl AdminPage<'_> {
    /// Whether a form whose fields start with `prefix` came back with problems.
    fn failed(&self, prefix: &str) -> bool {
        self.problems
            .list
            .iter()
            .any(|p| p.field.starts_with(prefix))
    }
}

async fn render(
    c: &Ctx,
    state: &AppState,
    form: FormData,
    problems: Problems,
) -> Result<Response, ApiError> {
    c.caller.require(
        state,
        Action::AccountCreate,
        &Resource::Collection("accounts"),
    )?;
    let orgs = state
        .store
        .organisations(&OrganisationFilter {
            limit: 1000,
            ..Default::default()
        })
        .await?
        .items;
    let accounts = state
        .store
        .accounts(&AccountFilter {
            limit: 1000,
            ..Default::default()
        })
        .await?
        .items;
    let org_name = |id: Option<senim_domain::OrganisationId>| {
        id.and_then(|id| orgs.iter().find(|o| o.id == id))
            .map(|o| o.name.get(c.lang()).to_string())
            .unwrap_or_default()
    };
    let page = AdminPage {
        crumbs: vec![(String::new(), c.t("desk-admin"))],
        accounts: accounts
            .iter()
            .map(|a| AccountRow {
                email: a.email.as_str().to_string(),
                name: a.display_name.clone(),
                roles: a
                    .roles
                    .iter()
                    .map(|r| c.t.term("role", r.as_str()))
                    .collect::<Vec<_>>()
                    .join(", "),
                organisation: org_name(a.organisation_id),
                status: c.t.term("account-status", a.status.as_str()),
            })
            .collect(),
        orgs: orgs
            .iter()
            .map(|o| OrgRow {
                id: o.id.to_string(),
                name: o.name.get(c.lang()).to_string(),
                bin: o.bin.as_str().to_string(),
                kind: c.t.term("org-kind", o.kind.as_str()),
                status: c.t.term("org-status", o.status.as_str()),
            })
            .collect(),
        kinds: OrganisationKind::ALL
            .iter()
            .map(|k| (k.as_str(), c.t.term("org-kind", k.as_str())))
            .collect(),
        sizes: SizeClass::ALL
            .iter()
            .map(|k| (k.as_str(), c.t.term("org-size", k.as_str())))
            .collect(),
        roles: Role::ALL
            .iter()
            .map(|r| (r.as_str(), c.t.term("role", r.as_str())))
            .collect(),
        done: c.done("admin-done"),
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

/// `GET /admin`.
pub async fn show(c: Ctx, State(state): State<AppState>) -> Response {
    let result = render(&c, &state, FormData::default(), Problems::default()).await;
    c.respond(result)
}

/// The problems of a refused write, each on its field (the API names them).
fn problems_of(c: &Ctx, prefix: &str, e: &ApiError) -> Problems {
    let mut p = Problems::default();
    for f in &e.fields {
        let field = f.field.split(['.', '[']).next().unwrap_or("").to_string();
        p.push(
            &format!("{prefix}{field}"),
            format!(
                "{}: {}",
                c.t(&format!("admin-field-{}", field.replace('_', "-"))),
                f.reason
            ),
        );
    }
    if p.is_empty() {
        p.push(&format!("{prefix}name"), e.message.clone());
    }
    p
}

fn optional(form: &FormData, name: &str) -> Option<String> {
    Some(form.text(name)).filter(|v| !v.is_empty())
}

/// `POST /admin/organisations`.
pub async fn add_organisation(
    State(state): State<AppState>,
    Posted { ctx: c, form }: Posted,
) -> Response {
    let result = async {
        let input = OrganisationInput {
            name: LocalizedText {
                kk: optional(&form, "org_name_kk"),
                ru: optional(&form, "org_name_ru"),
                en: optional(&form, "org_name_en"),
            },
            bin: form.text("org_bin"),
            kind: form
                .text("org_kind")
                .parse()
                .unwrap_or(OrganisationKind::Private),
            size_class: form.text("org_size").parse().unwrap_or(SizeClass::Small),
            contacts: Contacts {
                email: optional(&form, "org_email"),
                phone: optional(&form, "org_phone"),
                website: optional(&form, "org_website"),
                address: optional(&form, "org_address"),
                contact_person: optional(&form, "org_contact_person"),
            },
        };
        match crate::routes::organisations::add(&state, &c.caller, input).await {
            Ok(_) => Ok(c.redirect("/admin?done=organisation")),
            Err(e)
                if e.status == StatusCode::UNPROCESSABLE_ENTITY
                    || e.status == StatusCode::CONFLICT =>
            {
                let p = problems_of(&c, "org_", &e);
                render(&c, &state, form, p).await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    c.respond(result)
}

/// `POST /admin/accounts`.
pub async fn add_account(
    State(state): State<AppState>,
    Posted { ctx: c, form }: Posted,
) -> Response {
    let result = async {
        let roles: Vec<Role> = form
            .all("acc_roles")
            .iter()
            .filter_map(|r| r.parse().ok())
            .collect();
        let input = AccountInput {
            email: form.text("acc_email"),
            display_name: form.text("acc_display_name"),
            roles,
            organisation_id: form.text("acc_organisation_id").parse().ok(),
            password: optional(&form, "acc_password").map(senim_domain::account::Password),
        };
        match crate::routes::accounts::add(&state, &c.caller, input).await {
            Ok(_) => Ok(c.redirect("/admin?done=account")),
            Err(e)
                if e.status == StatusCode::UNPROCESSABLE_ENTITY
                    || e.status == StatusCode::CONFLICT =>
            {
                let mut kept = form.clone();
                // A password is never sent back to the page.
                kept.0.retain(|(k, _)| k != "acc_password");
                let p = problems_of(&c, "acc_", &e);
                render(&c, &state, kept, p).await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    c.respond(result)
}
