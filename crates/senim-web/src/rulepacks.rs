//! The supervisor's rule sets: every published pack version, and a new
//! version's text checked, its change report previewed, then published
//! (the API's own publication path).

use axum::extract::State;
use axum::http::StatusCode;

use senim_app::policy::{Action, Resource};
use senim_domain::api::PublishRulePackInput;

use crate::PageResult;
use crate::{Ctx, FormData, Posted, Problems};
use senim_app::rulepacks::publish_pack;
use senim_app::state::AppState;

/// A pack version in the list.
pub struct PackRow {
    pub id: String,
    pub version: String,
    pub title: String,
    pub effective: String,
    /// What the text is in law, in words.
    pub status: String,
    pub in_force: bool,
    /// How each rule read an ambiguity (rule id, note): for the lawyers
    /// who keep the pack, shown only here, in the pack's own words.
    pub notes: Vec<(String, String)>,
}

/// A system whose classification would change.
pub struct Change {
    pub id: String,
    pub name: String,
    pub from: String,
    pub to: String,
}

#[derive(askama::Template)]
#[template(path = "rulepacks.html")]
struct RulePacksPage<'a> {
    c: &'a Ctx,
    crumbs: Vec<(String, String)>,
    problems: Problems,
    packs: Vec<PackRow>,
    source: String,
    preview: Option<(String, bool, u64, Vec<Change>)>,
    done: Option<String>,
}

async fn render(
    c: &Ctx,
    state: &AppState,
    source: String,
    problems: Problems,
    preview: Option<(String, bool, u64, Vec<Change>)>,
) -> PageResult {
    // The page is for whoever the policies let publish a pack.
    c.caller.require(
        state,
        Action::RulePackPublish,
        &Resource::Collection("rulepacks"),
    )?;
    let book = state.rules.read().await;
    let in_force = book.in_force();
    let packs = book
        .all()
        .iter()
        .map(|p| PackRow {
            id: p.id.clone(),
            version: p.version.clone(),
            title: p.title.get(c.t.lang).to_string(),
            effective: p.effective.clone(),
            status: c.t.term("legal-status", p.status.as_str()),
            in_force: p.id == in_force.id && p.version == in_force.version,
            notes: p.drafting_notes(),
        })
        .collect();
    drop(book);
    let failed = !problems.is_empty();
    let page = RulePacksPage {
        crumbs: vec![
            ("/supervisor".into(), c.t("desk-supervisor")),
            (String::new(), c.t("rulepacks-title")),
        ],
        problems,
        packs,
        source,
        preview,
        // The banner names a pack only as a pack id and version can look.
        done: c
            .param("done")
            .filter(|v| {
                v.len() <= 80
                    && v.chars()
                        .all(|ch| ch.is_ascii_alphanumeric() || " .-_+".contains(ch))
            })
            .map(|v| c.t.t1("rulepacks-published", "version", v)),
        c,
    };
    let mut r = c.render(&page);
    if failed {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(r)
}

/// `GET /supervisor/rulepacks`.
pub async fn show(c: Ctx, State(state): State<AppState>) -> PageResult {
    render(&c, &state, String::new(), Problems::default(), None).await
}

/// `POST /supervisor/rulepacks`: `preview` computes the change report,
/// `publish` publishes.
pub async fn submit(State(state): State<AppState>, Posted { ctx: c, form }: Posted) -> PageResult {
    run(&c, &state, &form).await
}

async fn run(c: &Ctx, state: &AppState, form: &FormData) -> PageResult {
    let source = form.get("source").unwrap_or("").to_string();
    let dry_run = form.get("publish").is_none();
    if source.trim().is_empty() {
        let mut p = Problems::default();
        p.push("source", c.t("rulepacks-source-missing"));
        return render(c, state, source, p, None).await;
    }
    let input = PublishRulePackInput {
        source: source.clone(),
        dry_run,
    };
    match publish_pack(state, &c.caller, input).await {
        Ok(report) if dry_run => {
            let changes = report
                .changed
                .iter()
                .map(|ch| Change {
                    id: ch.system_id.to_string(),
                    name: ch.name.clone(),
                    from: c.t.term("risk", ch.change.from_risk_level.as_str()),
                    to: c.t.term("risk", ch.change.to_risk_level.as_str()),
                })
                .collect();
            let name = format!("{} {}", report.pack.id, report.pack.version);
            render(
                c,
                state,
                source,
                Problems::default(),
                Some((name, report.in_force, report.reclassified, changes)),
            )
            .await
        }
        Ok(report) => Ok(c.redirect(&format!(
            "/supervisor/rulepacks?done={}",
            form_urlencoded::byte_serialize(
                format!("{} {}", report.pack.id, report.pack.version).as_bytes()
            )
            .collect::<String>()
        ))),
        Err(e)
            if e.status == StatusCode::UNPROCESSABLE_ENTITY || e.status == StatusCode::CONFLICT =>
        {
            let mut p = Problems::default();
            if e.fields.is_empty() {
                p.push("source", e.message.clone());
            }
            for f in &e.fields {
                let line = f.field.strip_prefix("source:").unwrap_or(&f.field);
                p.push(
                    "source",
                    c.t.t2(
                        "rulepacks-problem",
                        "line",
                        line,
                        "reason",
                        f.reason.as_str(),
                    ),
                );
            }
            render(c, state, source, p, None).await
        }
        Err(e) => Err(e.into()),
    }
}
