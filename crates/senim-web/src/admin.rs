//! The administrator's desk: organisations and accounts, listed; new ones
//! added, existing ones changed or closed, each through the API's own paths
//! (`organisations::{add, change, close}`, `accounts::{add, change, close}`),
//! so the same checks apply (a BIN's check digit, a password's length, roles
//! that need an organisation, the revision the form was read at).

use axum::extract::{Path, State};
use axum::http::StatusCode;

use senim_domain::organisation::{Contacts, OrganisationKind, SizeClass};
use senim_domain::text::LocalizedText;
use senim_domain::{Account, AccountInput, Organisation, OrganisationInput, Role};
use senim_store::{AccountFilter, OrganisationFilter};

use crate::PageResult;
use crate::{Ctx, FormData, Posted, Problems};
use senim_app::error::ApiError;
use senim_app::policy::{Action, Resource};
use senim_app::state::AppState;

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
    pub id: String,
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
    /// The lists' search words and role, as asked.
    q: String,
    role: &'static str,
    form: FormData,
    done: Option<String>,
    /// Mails that failed every attempt, and how many wait to be sent
    /// (`None` for a reader who may not manage mail).
    mail: Option<(Vec<senim_store::mail::DeadLetter>, i64)>,
    /// The public's requests for an organisation's account still to decide:
    /// (id, organisation, BIN, person, received).
    requests: Vec<(String, String, String, String, String)>,
}

impl AdminPage<'_> {
    fn account_fields(&self) -> [(&'static str, &'static str, String); 3] {
        account_fields(self.c, false)
    }

    /// Whether a form whose fields start with `prefix` came back with problems.
    fn failed(&self, prefix: &str) -> bool {
        self.problems
            .list
            .iter()
            .any(|p| p.field.starts_with(prefix))
    }
}

async fn render(c: &Ctx, state: &AppState, form: FormData, problems: Problems) -> PageResult {
    c.caller.require(
        state,
        Action::AccountCreate,
        &Resource::Collection("accounts"),
    )?;
    let orgs = all_organisations(state).await?;
    // The lists' search: words in names, BINs and e-mail addresses (the
    // store's search text), and an account's role.
    let q = c.param("q").unwrap_or_default().trim().to_string();
    let text = Some(q.clone()).filter(|q| !q.is_empty());
    let role = c.param("role").and_then(|r| r.parse::<Role>().ok());
    let shown_orgs = match &text {
        None => orgs.clone(),
        Some(_) => {
            state
                .store
                .organisations(&OrganisationFilter {
                    text: text.clone(),
                    limit: 1000,
                    ..Default::default()
                })
                .await?
                .items
        }
    };
    let accounts = state
        .store
        .accounts(&AccountFilter {
            role,
            text,
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
    let mail = if c
        .caller
        .may(state, Action::MailManage, &Resource::Collection("mail"))?
    {
        Some((
            state.store.dead_letters(200).await?,
            state.store.mail_waiting().await?,
        ))
    } else {
        None
    };
    let requests = state
        .store
        .organisation_requests(Some("open"), 200)
        .await?
        .into_iter()
        .map(|r| {
            (
                r.id,
                r.name.get(c.lang()).to_string(),
                r.bin,
                r.person,
                crate::public::date(&r.created_at.to_rfc3339()),
            )
        })
        .collect();
    let page = AdminPage {
        mail,
        requests,
        crumbs: vec![(String::new(), c.t("desk-admin"))],
        accounts: accounts
            .iter()
            .map(|a| AccountRow {
                id: a.id.to_string(),
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
        orgs: org_rows(c, &shown_orgs),
        q,
        role: role.map(|r| r.as_str()).unwrap_or_default(),
        kinds: choices(c, "org-kind", OrganisationKind::ALL, |k| k.as_str()),
        sizes: choices(c, "org-size", SizeClass::ALL, |k| k.as_str()),
        roles: choices(c, "role", Role::ALL, |r| r.as_str()),
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
pub async fn show(c: Ctx, State(state): State<AppState>) -> PageResult {
    render(&c, &state, FormData::default(), Problems::default()).await
}

/// The problems of a refused write, each on its field (the API names them).
pub(crate) fn problems_of(c: &Ctx, prefix: &str, e: &ApiError) -> Problems {
    let first = if prefix == "acc_" {
        "acc_email"
    } else {
        "org_name"
    };
    crate::refusal(c, e, first, |path| {
        // `contacts.email` is the form's `org_email`.
        let path = path.strip_prefix("contacts.").unwrap_or(path);
        let field = path.split(['.', '[']).next().unwrap_or("");
        (
            format!("{prefix}{field}"),
            c.t(&format!("admin-field-{}", field.replace('_', "-"))),
        )
    })
}

fn optional(form: &FormData, name: &str) -> Option<String> {
    Some(form.text(name)).filter(|v| !v.is_empty())
}

/// An account's text fields: (name, input type, label); on a change the
/// password is a new one, left empty to keep the current.
fn account_fields(c: &Ctx, changing: bool) -> [(&'static str, &'static str, String); 3] {
    let password = if changing {
        "admin-field-new-password"
    } else {
        "admin-field-password"
    };
    [
        ("acc_email", "email", c.t("admin-field-email")),
        ("acc_display_name", "text", c.t("admin-field-display-name")),
        ("acc_password", "password", c.t(password)),
    ]
}

/// A vocabulary's values with their terms in the reader's language.
pub(crate) fn choices<T: Copy>(
    c: &Ctx,
    prefix: &str,
    all: &[T],
    name: fn(T) -> &'static str,
) -> Vec<(&'static str, String)> {
    all.iter()
        .map(|v| (name(*v), c.t.term(prefix, name(*v))))
        .collect()
}

async fn all_organisations(state: &AppState) -> Result<Vec<Organisation>, ApiError> {
    Ok(state
        .store
        .organisations(&OrganisationFilter {
            limit: 1000,
            ..Default::default()
        })
        .await?
        .items)
}

fn org_rows(c: &Ctx, orgs: &[Organisation]) -> Vec<OrgRow> {
    orgs.iter()
        .map(|o| OrgRow {
            id: o.id.to_string(),
            name: o.name.get(c.lang()).to_string(),
            bin: o.bin.as_str().to_string(),
            kind: c.t.term("org-kind", o.kind.as_str()),
            status: c.t.term("org-status", o.status.as_str()),
        })
        .collect()
}

/// The organisation the form's `org_` fields describe.
pub(crate) fn org_input(form: &FormData) -> OrganisationInput {
    OrganisationInput {
        name: LocalizedText {
            kk: optional(form, "org_name_kk"),
            ru: optional(form, "org_name_ru"),
            en: optional(form, "org_name_en"),
        },
        bin: form.text("org_bin"),
        kind: form
            .text("org_kind")
            .parse()
            .unwrap_or(OrganisationKind::Private),
        size_class: form.text("org_size").parse().unwrap_or(SizeClass::Small),
        contacts: Contacts {
            email: optional(form, "org_email"),
            phone: optional(form, "org_phone"),
            website: optional(form, "org_website"),
            address: optional(form, "org_address"),
            contact_person: optional(form, "org_contact_person"),
        },
    }
}

/// An organisation as the form's `org_` fields.
fn org_form(o: &Organisation) -> FormData {
    let mut f = vec![
        ("org_bin", o.bin.as_str().to_string()),
        ("org_kind", o.kind.as_str().to_string()),
        ("org_size", o.size_class.as_str().to_string()),
    ];
    for (name, value) in [
        ("org_name_kk", &o.name.kk),
        ("org_name_ru", &o.name.ru),
        ("org_name_en", &o.name.en),
        ("org_email", &o.contacts.email),
        ("org_phone", &o.contacts.phone),
        ("org_website", &o.contacts.website),
        ("org_address", &o.contacts.address),
        ("org_contact_person", &o.contacts.contact_person),
    ] {
        f.extend(value.clone().map(|v| (name, v)));
    }
    FormData(f.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

/// The account the form's `acc_` fields describe.
fn account_input(form: &FormData) -> AccountInput {
    AccountInput {
        email: form.text("acc_email"),
        display_name: form.text("acc_display_name"),
        roles: form
            .all("acc_roles")
            .iter()
            .filter_map(|r| r.parse().ok())
            .collect(),
        organisation_id: form.text("acc_organisation_id").parse().ok(),
        password: optional(form, "acc_password").map(senim_domain::account::Password),
    }
}

/// An account as the form's `acc_` fields (never a password).
fn account_form(a: &Account) -> FormData {
    let mut f = vec![
        ("acc_email".to_string(), a.email.as_str().to_string()),
        ("acc_display_name".to_string(), a.display_name.clone()),
    ];
    f.extend(
        a.roles
            .iter()
            .map(|r| ("acc_roles".to_string(), r.as_str().to_string())),
    );
    f.extend(
        a.organisation_id
            .map(|o| ("acc_organisation_id".to_string(), o.to_string())),
    );
    FormData(f)
}

/// A form shown again: everything typed but a password.
fn without_password(form: &FormData) -> FormData {
    let mut kept = form.clone();
    kept.0.retain(|(k, _)| k != "acc_password");
    kept
}

/// Whether a refusal goes back to the form it came from.
fn shown_on_form(e: &ApiError) -> bool {
    e.status == StatusCode::UNPROCESSABLE_ENTITY || e.status == StatusCode::CONFLICT
}

/// `POST /admin/organisations`.
/// `POST /admin/mail/retry`: dead letters (one, with `id`, or all) are
/// sent again.
pub async fn retry_mail(
    State(state): State<AppState>,
    Posted { ctx: c, form }: Posted,
) -> PageResult {
    c.caller
        .require(&state, Action::MailManage, &Resource::Collection("mail"))?;
    let id = Some(form.text("id")).filter(|i| !i.is_empty());
    state
        .execute(c.caller.actor(), senim_store::Command::RetryMail { id })
        .await
        .map_err(ApiError::from)?;
    Ok(c.redirect("/admin?done=mail_retried#mail"))
}

pub async fn add_organisation(
    State(state): State<AppState>,
    Posted { ctx: c, form }: Posted,
) -> PageResult {
    let input = org_input(&form);
    match senim_app::organisations::add(&state, &c.caller, input).await {
        Ok(_) => Ok(c.redirect("/admin?done=organisation")),
        Err(e) if shown_on_form(&e) => {
            let p = problems_of(&c, "org_", &e);
            render(&c, &state, form, p).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /admin/accounts`.
pub async fn add_account(
    State(state): State<AppState>,
    Posted { ctx: c, form }: Posted,
) -> PageResult {
    let input = account_input(&form);
    match senim_app::accounts::add(&state, &c.caller, input).await {
        Ok(_) => Ok(c.redirect("/admin?done=account")),
        Err(e) if shown_on_form(&e) => {
            let p = problems_of(&c, "acc_", &e);
            render(&c, &state, without_password(&form), p).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Only administrators reach a record's page, before anything is read (so
/// nobody else learns which ids exist).
fn administrator(c: &Ctx, state: &AppState) -> Result<(), ApiError> {
    c.caller.require(
        state,
        Action::AccountCreate,
        &Resource::Collection("accounts"),
    )
}

/// An organisation or an account, which the administrator changes or closes.
enum Record {
    Organisation(Organisation),
    Account(Account),
}

impl Record {
    async fn load(state: &AppState, kind: &str, id: &str) -> Result<Record, ApiError> {
        Ok(match kind {
            "organisations" => Record::Organisation(
                state
                    .store
                    .organisation(senim_app::extract::path_id(id, "organisation")?)
                    .await?,
            ),
            "accounts" => Record::Account(
                state
                    .store
                    .account(senim_app::extract::path_id(id, "account")?)
                    .await?,
            ),
            _ => return Err(ApiError::not_found("page")),
        })
    }

    fn revision(&self) -> i64 {
        match self {
            Record::Organisation(o) => o.revision,
            Record::Account(a) => a.revision,
        }
    }

    fn target(&self) -> String {
        match self {
            Record::Organisation(o) => format!("/admin/organisations/{}", o.id),
            Record::Account(a) => format!("/admin/accounts/{}", a.id),
        }
    }

    fn form(&self) -> FormData {
        match self {
            Record::Organisation(o) => org_form(o),
            Record::Account(a) => account_form(a),
        }
    }
}

#[derive(askama::Template)]
#[template(path = "admin_record.html")]
struct RecordPage<'a> {
    c: &'a Ctx,
    crumbs: Vec<(String, String)>,
    problems: Problems,
    form: FormData,
    kinds: Vec<(&'static str, String)>,
    sizes: Vec<(&'static str, String)>,
    roles: Vec<(&'static str, String)>,
    orgs: Vec<OrgRow>,
    title: String,
    status: String,
    /// Whether it is an organisation (else an account).
    organisation: bool,
    /// Whether it may still be changed (closed ones are kept as they were).
    active: bool,
    target: String,
    revision: i64,
    done: Option<String>,
}

impl RecordPage<'_> {
    fn account_fields(&self) -> [(&'static str, &'static str, String); 3] {
        account_fields(self.c, true)
    }
}

async fn record_page(
    c: &Ctx,
    state: &AppState,
    record: &Record,
    form: Option<FormData>,
    problems: Problems,
) -> PageResult {
    let (title, status, active, organisation) = match record {
        Record::Organisation(o) => {
            c.caller.require(
                state,
                Action::OrganisationUpdate,
                &Resource::Organisation(o.id),
            )?;
            (
                o.name.get(c.lang()).to_string(),
                c.t.term("org-status", o.status.as_str()),
                o.status == senim_domain::OrganisationStatus::Active,
                true,
            )
        }
        Record::Account(a) => {
            c.caller
                .require(state, Action::AccountUpdate, &Resource::Account(a.id))?;
            (
                a.email.as_str().to_string(),
                c.t.term("account-status", a.status.as_str()),
                a.status == senim_domain::AccountStatus::Active,
                false,
            )
        }
    };
    // The account's organisation is a choice among them; an organisation's
    // page needs none.
    let orgs = if organisation {
        Vec::new()
    } else {
        all_organisations(state).await?
    };
    let failed = !problems.is_empty();
    let page_form = form.unwrap_or_else(|| record.form());
    let page = RecordPage {
        crumbs: vec![
            ("/admin".to_string(), c.t("desk-admin")),
            (String::new(), title.clone()),
        ],
        problems,
        form: page_form.clone(),
        kinds: choices(c, "org-kind", OrganisationKind::ALL, |k| k.as_str()),
        sizes: choices(c, "org-size", SizeClass::ALL, |k| k.as_str()),
        roles: choices(c, "role", Role::ALL, |r| r.as_str()),
        orgs: org_rows(c, &orgs),
        title,
        status,
        organisation,
        active,
        target: record.target(),
        // A form shown again keeps the revision it was read at, so a change
        // made meanwhile is refused rather than overwritten.
        revision: page_form
            .text("revision")
            .parse()
            .unwrap_or_else(|_| record.revision()),
        done: c.done("admin-done"),
        c,
    };
    let mut r = c.render(&page);
    if failed {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

/// `GET /admin/organisations/{id}` and `GET /admin/accounts/{id}`: the
/// record's form, filled in, and the form that closes it.
pub async fn record(
    c: Ctx,
    State(state): State<AppState>,
    Path((kind, id)): Path<(String, String)>,
) -> PageResult {
    administrator(&c, &state)?;
    let record = Record::load(&state, &kind, &id).await?;
    record_page(&c, &state, &record, None, Problems::default()).await
}

/// `POST /admin/organisations/{id}` and `POST /admin/accounts/{id}`: the
/// change, from the revision the form was read at.
pub async fn change(
    State(state): State<AppState>,
    Path((kind, id)): Path<(String, String)>,
    Posted { ctx: c, form }: Posted,
) -> PageResult {
    administrator(&c, &state)?;
    let record = Record::load(&state, &kind, &id).await?;
    let revision = form.revision()?;
    let changed = match &record {
        Record::Organisation(o) => {
            senim_app::organisations::change(&state, &c.caller, o.id, revision, org_input(&form))
                .await
                .map(drop)
        }
        Record::Account(a) => {
            senim_app::accounts::change(&state, &c.caller, a.id, revision, account_input(&form))
                .await
                .map(drop)
        }
    };
    match changed {
        Ok(()) => Ok(c.redirect(&format!("{}?done=updated", record.target()))),
        Err(e) if shown_on_form(&e) => {
            let prefix = if kind == "organisations" {
                "org_"
            } else {
                "acc_"
            };
            let p = problems_of(&c, prefix, &e);
            let record = Record::load(&state, &kind, &id).await?;
            record_page(&c, &state, &record, Some(without_password(&form)), p).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /admin/organisations/{id}/close` and `POST /admin/accounts/{id}/close`:
/// withdraws the record, once the administrator ticked that they mean it.
pub async fn close(
    State(state): State<AppState>,
    Path((kind, id)): Path<(String, String)>,
    Posted { ctx: c, form }: Posted,
) -> PageResult {
    administrator(&c, &state)?;
    let record = Record::load(&state, &kind, &id).await?;
    if form.get("confirm") != Some("yes") {
        let mut p = Problems::default();
        p.push("confirm", c.t("admin-close-confirm-missing"));
        return record_page(&c, &state, &record, None, p).await;
    }
    let revision = form.optional_revision()?;
    let closed = match &record {
        Record::Organisation(o) => senim_app::organisations::close(
            &state,
            &c.caller,
            o.id,
            revision,
            optional(&form, "reason"),
        )
        .await
        .map(drop),
        Record::Account(a) => senim_app::accounts::close(&state, &c.caller, a.id, revision)
            .await
            .map(drop),
    };
    match closed {
        Ok(()) => Ok(c.redirect(&format!("{}?done=closed", record.target()))),
        Err(e) if shown_on_form(&e) => {
            let mut p = Problems::default();
            p.push("confirm", crate::conflict_or(&c, &e));
            let record = Record::load(&state, &kind, &id).await?;
            record_page(&c, &state, &record, None, p).await
        }
        Err(e) => Err(e.into()),
    }
}
