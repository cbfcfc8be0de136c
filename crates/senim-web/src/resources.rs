//! The Platform's resources as pages: the public list (what can be asked
//! for, at which rate, how much is free) and the provider's desk (the
//! exchanges to approve, the allocations running, offering a resource). An
//! allocation's steps are forms on the case page ([`crate::cases`]).

use axum::extract::State;
use axum::http::StatusCode;

use senim_app::allocations;
use senim_app::state::AppState;
use senim_domain::allocation::PlatformResource;

use crate::cases::{rows, QueueRow};
use crate::PageResult;
use crate::{Ctx, FormData, Posted, Problems};

/// A resource as the list shows it.
pub struct ResourceRow {
    pub title: String,
    pub kind: String,
    pub provider: String,
    pub unit: String,
    pub capacity: i64,
    pub free: i64,
    pub rate: i64,
    /// A model's licence and training data, a dataset's link.
    pub about: String,
    pub link: Option<String>,
}

fn resource_row(c: &Ctx, state: &AppState, r: &PlatformResource, held: i64) -> ResourceRow {
    let about = match &r.model {
        Some(m) => {
            let card = m.card.get(c.lang());
            if card.is_empty() {
                m.licence.clone()
            } else {
                format!("{} · {card}", m.licence)
            }
        }
        None => r
            .description
            .as_ref()
            .map(|d| d.get(c.lang()).to_string())
            .unwrap_or_default(),
    };
    ResourceRow {
        title: r.title.get(c.lang()).to_string(),
        kind: c.t.term("resource-kind", r.kind.as_str()),
        provider: state
            .register
            .organisation_name(r.provider_organisation_id, c.lang())
            .unwrap_or_default(),
        unit: c.t.term("resource-unit", r.unit.as_str()),
        capacity: r.capacity,
        free: r.capacity - held,
        rate: r.credits_per_unit,
        about,
        link: r.dataset_id.map(|d| format!("/library/{d}")),
    }
}

#[derive(askama::Template)]
#[template(path = "resources.html")]
struct ResourcesPage<'a> {
    c: &'a Ctx,
    crumbs: Vec<(String, String)>,
    resources: Vec<ResourceRow>,
}

/// `GET /programmes/resources`: every resource of the Platform.
pub async fn list(c: Ctx, State(state): State<AppState>) -> PageResult {
    let resources = state
        .store
        .platform_resources()
        .await?
        .iter()
        .map(|(r, held)| resource_row(&c, &state, r, *held))
        .collect();
    let page = ResourcesPage {
        crumbs: vec![
            ("/programmes".into(), c.t("nav-programmes")),
            (String::new(), c.t("resources-title")),
        ],
        resources,
        c: &c,
    };
    Ok(c.render(&page))
}

#[derive(askama::Template)]
#[template(path = "resource_desk.html")]
struct DeskPage<'a> {
    c: &'a Ctx,
    crumbs: Vec<(String, String)>,
    queue: Vec<QueueRow>,
    /// Applications waiting for the provider's technical assessment.
    assess: Vec<QueueRow>,
    resources: Vec<ResourceRow>,
    problems: Problems,
    form: FormData,
    done: Option<String>,
}

/// A resource as the desk's form starts it.
const RESOURCE_TEMPLATE: &str = r#"kind = "compute_pool"
title = { kk = "", ru = "", en = "" }
description = { kk = "", ru = "", en = "" }
unit = "gpu_hours"
capacity = 10000
credits_per_unit = 100
"#;

async fn desk_page(c: &Ctx, state: &AppState, problems: Problems, form: FormData) -> PageResult {
    c.require_desk("resources")?;
    let org = c.account().and_then(|a| a.organisation_id);
    let queue = allocations::provided(state, &c.caller).await?;
    let assess = allocations::to_assess(state, &c.caller).await?;
    let resources = state
        .store
        .platform_resources()
        .await?
        .iter()
        .filter(|(r, _)| Some(r.provider_organisation_id) == org)
        .map(|(r, held)| resource_row(c, state, r, *held))
        .collect();
    let mut form = form;
    if form.get("resource").is_none() {
        form.0.push(("resource".into(), RESOURCE_TEMPLATE.into()));
    }
    let page = DeskPage {
        crumbs: vec![(String::new(), c.t("desk-resources"))],
        queue: rows(c, state, queue).await,
        assess: rows(c, state, assess).await,
        resources,
        done: c.done("resource-done"),
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

/// `GET /resources/desk`: the provider's desk.
pub async fn desk(c: Ctx, State(state): State<AppState>) -> PageResult {
    desk_page(&c, &state, Problems::default(), FormData(Vec::new())).await
}

/// `POST /resources/desk`: offers a resource, written as TOML.
pub async fn create(State(state): State<AppState>, Posted { ctx: c, form }: Posted) -> PageResult {
    let created = match allocations::resource_from_toml(&form.text("resource")) {
        Ok(input) => allocations::create_resource(&state, &c.caller, input).await,
        Err(e) => Err(e),
    };
    match created {
        Ok(_) => Ok(c.redirect("/resources/desk?done=offered")),
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            let p = crate::refusal(&c, &e, "resource", |field| {
                ("resource".to_string(), field.to_string())
            });
            desk_page(&c, &state, p, form).await
        }
        Err(e) => Err(e.into()),
    }
}
