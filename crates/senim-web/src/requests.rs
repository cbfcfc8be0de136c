//! Requests for an organisation's account (issue 20): the public form
//! (`/organisations/request`) and the administrator's page that approves or
//! refuses one (`/admin/requests/{id}`), through `senim_app::organisations`'
//! `request_account`, `approve_request` and `refuse_request`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use senim_domain::organisation::OrganisationRequestInput;
use senim_domain::organisation::{OrganisationKind, OrganisationRequest, SizeClass};

use crate::admin::{choices, org_input, problems_of};
use crate::public::date;
use crate::{Ctx, FormData, PageResult, Posted, Problems};
use senim_app::auth::ClientIp;
use senim_app::organisations::{approve_request, refuse_request, request_account};
use senim_app::policy::{Action, Resource};
use senim_app::state::AppState;

#[derive(askama::Template)]
#[template(path = "organisation_request.html")]
struct RequestPage<'a> {
    c: &'a Ctx,
    crumbs: Vec<(String, String)>,
    problems: Problems,
    form: FormData,
    kinds: Vec<(&'static str, String)>,
    sizes: Vec<(&'static str, String)>,
    /// The address the answer goes to, once the request is filed.
    sent: Option<String>,
}

fn request_page(c: &Ctx, form: FormData, problems: Problems, sent: Option<String>) -> Response {
    let failed = !problems.is_empty();
    let mut r = c.render(&RequestPage {
        c,
        crumbs: vec![(String::new(), c.t("org-request-title"))],
        problems,
        form,
        kinds: choices(c, "org-kind", OrganisationKind::ALL, |k| k.as_str()),
        sizes: choices(c, "org-size", SizeClass::ALL, |k| k.as_str()),
        sent,
    });
    if failed {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    r
}

/// `GET /organisations/request`.
pub async fn show(c: Ctx) -> Response {
    request_page(&c, FormData::default(), Problems::default(), None)
}

/// `POST /organisations/request`: files the request; the administrators
/// are told, and the answer goes to the address given.
pub async fn submit(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    Posted { ctx: c, form }: Posted,
) -> Response {
    let input = OrganisationRequestInput {
        organisation: org_input(&form),
        person: form.text("person"),
        email: form.text("email"),
        purpose: form.text("purpose"),
    };
    match request_account(&state, client, input).await {
        Ok(request) => request_page(
            &c,
            FormData::default(),
            Problems::default(),
            Some(request.email),
        ),
        Err(e) if e.status == StatusCode::TOO_MANY_REQUESTS => {
            let mut p = Problems::default();
            p.push("person", c.t("error-rate-limited"));
            let mut r = request_page(&c, form, p, None);
            *r.status_mut() = StatusCode::TOO_MANY_REQUESTS;
            r
        }
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            // The organisation's fields are the administrators' form's
            // (`org_...`); the person's are named as they are.
            let mut p = Problems::default();
            for f in &e.fields {
                match f.field.strip_prefix("organisation.") {
                    Some(org) => {
                        let one =
                            senim_app::error::ApiError::invalid(vec![senim_domain::FieldError {
                                field: org.to_string(),
                                reason: f.reason.clone(),
                            }]);
                        for q in problems_of(&c, "org_", &one).list {
                            p.push(&q.field, q.message);
                        }
                    }
                    None => p.push(
                        &f.field,
                        format!(
                            "{}: {}",
                            c.t(&format!("org-request-{}", f.field)),
                            c.t.reason(&f.reason)
                        ),
                    ),
                }
            }
            request_page(&c, form, p, None)
        }
        Err(e) => c.error(e),
    }
}

#[derive(askama::Template)]
#[template(path = "admin_request.html")]
struct DecidePage<'a> {
    c: &'a Ctx,
    crumbs: Vec<(String, String)>,
    problems: Problems,
    request: OrganisationRequest,
    facts: Vec<(String, String)>,
}

async fn decide_page(c: &Ctx, state: &AppState, id: &str, problems: Problems) -> PageResult {
    c.caller.require(
        state,
        Action::OrganisationCreate,
        &Resource::Collection("organisations"),
    )?;
    let request = state.store.organisation_request(id).await?;
    let mut facts = vec![
        (
            c.t("admin-field-name"),
            request.name.get(c.lang()).to_string(),
        ),
        (c.t("admin-field-bin"), request.bin.clone()),
        (
            c.t("admin-field-kind"),
            c.t.term("org-kind", request.kind.as_str()),
        ),
        (
            c.t("admin-field-size-class"),
            c.t.term("org-size", request.size_class.as_str()),
        ),
        (c.t("admin-field-display-name"), request.person.clone()),
        (c.t("admin-field-email"), request.email.clone()),
        (c.t("org-request-purpose"), request.purpose.clone()),
        (
            c.t("org-request-received"),
            date(&request.created_at.to_rfc3339()),
        ),
        (
            c.t("facet-status"),
            c.t.term("org-request-status", &request.status),
        ),
    ];
    for (label, value) in [
        ("admin-field-email", &request.contacts.email),
        ("admin-field-phone", &request.contacts.phone),
        ("admin-field-website", &request.contacts.website),
        ("admin-field-address", &request.contacts.address),
    ] {
        if let Some(v) = value {
            facts.push((c.t(label), v.clone()));
        }
    }
    if let Some(r) = &request.reasons {
        facts.push((c.t("decision-reasons"), r.clone()));
    }
    let failed = !problems.is_empty();
    let mut r = c.render(&DecidePage {
        c,
        crumbs: vec![
            ("/admin".into(), c.t("desk-admin")),
            (String::new(), request.name.get(c.lang()).to_string()),
        ],
        problems,
        request,
        facts,
    });
    if failed {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

/// `GET /admin/requests/{id}`.
pub async fn decide_show(
    c: Ctx,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> PageResult {
    decide_page(&c, &state, &id, Problems::default()).await
}

/// `POST /admin/requests/{id}`: `decision=approve` makes the organisation
/// and its account and mails the person a link to choose a password;
/// `decision=refuse` mails the reasons.
pub async fn decide(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { ctx: c, form }: Posted,
) -> PageResult {
    let result = match form.get("decision") {
        Some("approve") => approve_request(&state, &c.caller, &id)
            .await
            .map(|_| "approved"),
        Some("refuse") => {
            let reasons = form.text("reasons");
            if reasons.is_empty() {
                let mut p = Problems::default();
                p.push("reasons", c.t("org-request-reasons-missing"));
                return decide_page(&c, &state, &id, p).await;
            }
            refuse_request(&state, &c.caller, &id, &reasons)
                .await
                .map(|_| "refused")
        }
        _ => {
            let mut p = Problems::default();
            p.push("reasons", c.t("org-request-choose"));
            return decide_page(&c, &state, &id, p).await;
        }
    };
    match result {
        Ok(done) => Ok(c.redirect(&format!("/admin?done=request_{done}#requests"))),
        Err(e)
            if e.status == StatusCode::UNPROCESSABLE_ENTITY || e.status == StatusCode::CONFLICT =>
        {
            let mut p = Problems::default();
            for f in &e.fields {
                p.push("reasons", format!("{}: {}", f.field, c.t.reason(&f.reason)));
            }
            if p.is_empty() {
                p.push("reasons", crate::conflict_or(&c, &e));
            }
            decide_page(&c, &state, &id, p).await
        }
        Err(e) => Err(e.into()),
    }
}
