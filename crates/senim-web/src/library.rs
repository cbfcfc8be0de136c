//! The data library's pages: search with facets (the API's own search), a
//! dataset's page with its files and metadata, and a request for access to
//! a restricted dataset.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use senim_domain::dataset::Theme;
use senim_domain::{AccessLevel, Dataset, DatasetId};

use crate::public::date;
use crate::PageResult;
use crate::{Ctx, Posted, Problems};
use senim_app::cases::{open_case, CaseInput};
use senim_app::datasets::{self, DatasetQuery};
use senim_app::state::AppState;

/// A facet on the library page: its parameter, legend and values.
pub struct LibFacet {
    pub name: &'static str,
    pub legend: String,
    pub values: Vec<(String, String, u64, bool)>,
    /// Whether a value is chosen (otherwise "any" is).
    pub any_checked: bool,
}

/// A dataset in a result list.
pub struct Hit {
    pub id: String,
    pub title: String,
    pub description: String,
    pub access: String,
    pub producer: String,
    pub updated: String,
}

#[derive(askama::Template)]
#[template(path = "library.html")]
struct LibraryPage<'a> {
    c: &'a Ctx,
    crumbs: Vec<(String, String)>,
    q: String,
    problems: Problems,
    facets: Vec<LibFacet>,
    hits: Vec<Hit>,
    total: i64,
    next: Option<String>,
}

fn excerpt(text: &str) -> String {
    let mut out: String = text.chars().take(240).collect();
    if text.chars().count() > 240 {
        out.push('…');
    }
    out
}

fn hit(c: &Ctx, d: &Dataset) -> Hit {
    Hit {
        id: d.id.to_string(),
        title: d.metadata.title.get(c.lang()).to_string(),
        description: excerpt(d.metadata.description.get(c.lang())),
        access: c.t.term("access", d.metadata.access.as_str()),
        producer: d.metadata.producer.name.clone(),
        updated: date(&d.updated_at.to_rfc3339()),
    }
}

/// `GET /library`.
pub async fn search(c: Ctx, State(state): State<AppState>) -> Response {
    let q = c.param("q").unwrap_or("").trim().to_string();
    let mut problems = Problems::default();
    let theme = c.param("theme").and_then(|t| {
        t.parse::<Theme>()
            .map_err(|_| {
                problems.push(
                    "theme",
                    c.t.t2(
                        "problem-unknown-value",
                        "field",
                        c.t("library-theme"),
                        "value",
                        t,
                    ),
                )
            })
            .ok()
    });
    let access = c.param("access").and_then(|a| {
        a.parse::<AccessLevel>()
            .map_err(|_| {
                problems.push(
                    "access",
                    c.t.t2(
                        "problem-unknown-value",
                        "field",
                        c.t("library-access"),
                        "value",
                        a,
                    ),
                )
            })
            .ok()
    });
    let query = DatasetQuery {
        q: Some(q.clone()).filter(|q| !q.is_empty()),
        organisation: None,
        access,
        theme,
        licence: None,
        format: c.param("format").map(str::to_string),
        keyword: None,
        sort: None,
        facets: Some("theme,access,format".into()),
        cursor: c.param("cursor").map(str::to_string),
        limit: Some(20),
    };
    let result = datasets::search(&state, &c.caller, query).await;
    let list = match result {
        Ok(l) => l,
        Err(e) if e.status == StatusCode::UNPROCESSABLE_ENTITY => {
            for f in &e.fields {
                problems.push(
                    &f.field,
                    format!("{}: {}", c.t("library-search-label"), c.t.reason(&f.reason)),
                );
            }
            datasets::DatasetList {
                items: Vec::new(),
                total: 0,
                next_cursor: None,
                facets: Default::default(),
            }
        }
        Err(e) => return c.error(e),
    };
    let chosen = |name: &str| c.param(name).map(str::to_string);
    let facets = [
        ("theme", "library-theme", "theme"),
        ("access", "library-access", "access"),
        ("format", "library-format", ""),
    ]
    .iter()
    .map(|(name, legend, prefix)| LibFacet {
        name,
        legend: c.t(legend),
        values: list
            .facets
            .get(*name)
            .map(|v| {
                v.iter()
                    .map(|f| {
                        let label = if prefix.is_empty() {
                            f.value.clone()
                        } else {
                            c.t.term(prefix, &f.value)
                        };
                        (
                            f.value.clone(),
                            label,
                            f.count,
                            chosen(name).as_deref() == Some(f.value.as_str()),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default(),
        any_checked: chosen(name).is_some(),
    })
    .collect();
    let next = list.next_cursor.as_ref().map(|cursor| {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in &c.query {
            if k != "cursor" {
                s.append_pair(k, v);
            }
        }
        s.append_pair("cursor", cursor);
        format!("/library?{}", s.finish())
    });
    let page = LibraryPage {
        c: &c,
        crumbs: vec![(String::new(), c.t("nav-library"))],
        q,
        problems,
        facets,
        hits: list.items.iter().map(|d| hit(&c, d)).collect(),
        total: list.total,
        next,
    };
    c.render(&page)
}

/// A file of a dataset.
pub struct File {
    pub id: String,
    pub name: String,
    pub format: String,
    pub size: String,
    pub rows: Option<u64>,
    pub columns: usize,
}

#[derive(askama::Template)]
#[template(path = "dataset.html")]
struct DatasetPage<'a> {
    c: &'a Ctx,
    crumbs: Vec<(String, String)>,
    problems: Problems,
    id: String,
    title: String,
    description: String,
    facts: Vec<(String, String)>,
    files: Vec<File>,
    restricted: bool,
    purpose: String,
    done: Option<String>,
    /// Whether the reader looks after this dataset (edit, add files).
    steward: bool,
}

fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 => format!("{:.1} GiB", b as f64 / f64::from(1u32 << 30)),
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / f64::from(1u32 << 20)),
        b if b >= 1 << 10 => format!("{:.1} KiB", b as f64 / 1024.0),
        b => format!("{b} B"),
    }
}

pub(crate) async fn dataset_page(
    c: &Ctx,
    state: &AppState,
    id: &str,
    problems: Problems,
    purpose: String,
) -> PageResult {
    let d =
        datasets::dataset_for(state, &c.caller, id, senim_app::policy::Action::DatasetRead).await?;
    let files = state.store.resources_of(d.id).await?;
    let m = &d.metadata;
    let mut facts = vec![
        (c.t("library-access"), c.t.term("access", m.access.as_str())),
        (c.t("library-producer"), m.producer.name.clone()),
        (c.t("library-licence"), licence_name(c, &m.licence)),
        (
            c.t("library-theme"),
            m.themes
                .iter()
                .map(|t| c.t.term("theme", t.as_str()))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        (c.t("library-keywords"), m.keywords.join(", ")),
        (c.t("library-version"), m.version.clone()),
        (
            c.t("library-personal-data"),
            if m.personal_data {
                c.t("yes")
            } else {
                c.t("no")
            },
        ),
        (
            c.t("library-opt-out"),
            if m.training_opt_out {
                c.t("yes")
            } else {
                c.t("no")
            },
        ),
        (c.t("report-updated"), date(&d.updated_at.to_rfc3339())),
    ];
    if let Some(s) = &m.spatial {
        facts.push((c.t("library-spatial"), s.clone()));
    }
    if let Some(p) = &m.provenance {
        facts.push((c.t("library-provenance"), p.clone()));
    }
    let failed = !problems.is_empty();
    let page = DatasetPage {
        c,
        crumbs: vec![
            ("/library".into(), c.t("nav-library")),
            (String::new(), m.title.get(c.lang()).to_string()),
        ],
        problems,
        id: d.id.to_string(),
        title: m.title.get(c.lang()).to_string(),
        description: m.description.get(c.lang()).to_string(),
        facts,
        files: files
            .iter()
            .map(|f| File {
                id: f.id.to_string(),
                name: f.name.clone(),
                format: f.format(),
                size: size(f.size),
                rows: f.schema.as_ref().map(|s| s.rows),
                columns: f.schema.as_ref().map_or(0, |s| s.columns.len()),
            })
            .collect(),
        restricted: matches!(m.access, AccessLevel::Restricted),
        purpose,
        done: c.done("library-done"),
        steward: c.caller.may(
            state,
            senim_app::policy::Action::DatasetWrite,
            &senim_app::policy::Resource::Organisation(d.organisation_id),
        )?,
    };
    let mut r = c.render(&page);
    if failed {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

/// `GET /library/{id}`.
pub async fn dataset(c: Ctx, State(state): State<AppState>, Path(id): Path<String>) -> PageResult {
    dataset_page(&c, &state, &id, Problems::default(), String::new()).await
}

/// `POST /library/{id}/request`: asks for access to a restricted dataset
/// (the API's data access case).
pub async fn request(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { ctx: c, form }: Posted,
) -> PageResult {
    if c.account().is_none() {
        return Err(senim_app::error::ApiError::unauthenticated().into());
    }
    let dataset_id: DatasetId = senim_app::extract::path_id(&id, "dataset")?;
    let purpose = form.text("purpose");
    if purpose.is_empty() {
        let mut p = Problems::default();
        p.push("purpose", c.t("library-purpose-missing"));
        return dataset_page(&c, &state, &id, p, purpose).await;
    }
    match open_case(
        &state,
        &c.caller,
        CaseInput::DataAccess {
            dataset_id,
            purpose: purpose.clone(),
            system_id: None,
        },
    )
    .await
    {
        Ok(_) => Ok(c.redirect(&format!("/library/{id}?done=requested"))),
        Err(e)
            if e.status == StatusCode::UNPROCESSABLE_ENTITY
                || e.status == StatusCode::CONFLICT
                || e.status == StatusCode::FORBIDDEN =>
        {
            let mut p = Problems::default();
            p.push(
                "purpose",
                e.fields.first().map_or(e.message.clone(), |f| {
                    format!("{}: {}", f.field, c.t.reason(&f.reason))
                }),
            );
            dataset_page(&c, &state, &id, p, purpose).await
        }
        Err(e) => Err(e.into()),
    }
}

/// A licence's name in the reader's language (`licence-<id>`, the SPDX id in
/// lower case with dots as hyphens), with its SPDX id after it for a
/// licence that has one; an id the library does not know is shown as is.
pub fn licence_name(c: &Ctx, id: &str) -> String {
    let key = format!("licence-{}", id.to_ascii_lowercase().replace('.', "-"));
    if senim_domain::dataset::licence(id).is_none() || !c.t.has(&key) {
        return id.to_string();
    }
    let name = c.t(&key);
    if id.starts_with("LicenseRef-") {
        name
    } else {
        format!("{name} ({id})")
    }
}
