//! `/api/v1/classify` and `/api/v1/rulepacks`: the law as data.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;

use senim_domain::api::{
    ClassifyInput, PublishRulePackInput, RulePackDetail, RulePackList, RulePackListItem,
};
use senim_domain::classification::{ChangeReport, Classification};
use senim_domain::FieldError;
use senim_rules::{RuleBook, RulePack};
use senim_store::{Applied, Command};

use crate::assess::{lang, reassess_all};
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::extract::JsonBody;
use crate::policy::{Action, Resource};
use crate::state::AppState;

fn find<'a>(
    book: &'a RuleBook,
    id: Option<&str>,
    version: Option<&str>,
) -> Result<&'a RulePack, ApiError> {
    let id = id.unwrap_or(book.in_force_id());
    let pack = match version {
        Some(v) => book.get(id, v),
        None => book.latest(id),
    };
    pack.ok_or_else(|| {
        ApiError::invalid(vec![FieldError {
            field: if version.is_some() {
                "version".into()
            } else {
                "pack".into()
            },
            reason: format!(
                "names no published pack; known packs: {}",
                book.ids().join(", ")
            ),
        }])
    })
}

/// Classify a profile under a pack; stateless, public, no account needed.
#[utoipa::path(post, path = "/api/v1/classify", tag = "rules", request_body = ClassifyInput,
    responses((status = 200, body = Classification), (status = 422, body = ErrorBody)))]
pub async fn classify(
    State(state): State<AppState>,
    body: Result<JsonBody<ClassifyInput>, ApiError>,
) -> Result<Json<Classification>, ApiError> {
    let JsonBody(input) = body?;
    let profile = input.profile.parse_alone()?;
    let book = state.rules.read().await;
    let pack = find(&book, input.pack.as_deref(), input.version.as_deref())?;
    Ok(Json(
        pack.explain(&pack.classify(&profile), lang(input.lang)),
    ))
}

fn item(book: &RuleBook, pack: &RulePack) -> RulePackListItem {
    RulePackListItem {
        summary: pack.summary(),
        in_force: book.in_force().id == pack.id && book.in_force().version == pack.version,
    }
}

/// Every published pack version.
#[utoipa::path(get, path = "/api/v1/rulepacks", tag = "rules",
    responses((status = 200, body = RulePackList)))]
pub async fn list(State(state): State<AppState>) -> Json<RulePackList> {
    let book = state.rules.read().await;
    Json(RulePackList {
        items: book.all().iter().map(|p| item(&book, p)).collect(),
    })
}

/// One pack version as data, with its citations and its text.
#[utoipa::path(get, path = "/api/v1/rulepacks/{id}/{version}", tag = "rules",
    params(("id" = String, Path, description = "Pack id"), ("version" = String, Path, description = "Pack version")),
    responses((status = 200, body = RulePackDetail), (status = 404, body = ErrorBody)))]
pub async fn show(
    State(state): State<AppState>,
    Path((id, version)): Path<(String, String)>,
) -> Result<Json<RulePackDetail>, ApiError> {
    let book = state.rules.read().await;
    let pack = book
        .get(&id, &version)
        .ok_or_else(|| ApiError::not_found("rule pack"))?;
    let content: toml::Value = toml::from_str(&pack.to_toml()).map_err(|_| ApiError::internal())?;
    Ok(Json(RulePackDetail {
        summary: pack.summary(),
        in_force: item(&book, pack).in_force,
        citations: pack.citations().to_vec(),
        content: serde_json::to_value(content).map_err(|_| ApiError::internal())?,
        source: pack.source.clone(),
    }))
}

/// Publish a new pack version (supervisors). The checker runs first; a pack
/// with problems is refused with each problem's line and the pack in force
/// stays in force. When the pack is the one in force, every system is
/// re-classified and the change report lists each system whose outcome
/// changed. With `dry_run`, only the report is computed.
#[utoipa::path(post, path = "/api/v1/rulepacks", tag = "rules", request_body = PublishRulePackInput,
    responses((status = 201, body = ChangeReport), (status = 200, body = ChangeReport, description = "dry run"),
              (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn publish(
    State(state): State<AppState>,
    caller: Caller,
    body: Result<JsonBody<PublishRulePackInput>, ApiError>,
) -> Result<impl IntoResponse, ApiError> {
    caller.require(
        &state,
        Action::RulePackPublish,
        &Resource::Collection("rulepacks"),
    )?;
    let JsonBody(input) = body?;
    let dry_run = input.dry_run;
    let report = publish_pack(&state, &caller, input).await?;
    let status = if dry_run {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(report)))
}

/// Checks a pack's text and publishes it, or with `dry_run` only computes
/// the change report (the API's and the supervisor desk's one path).
pub async fn publish_pack(
    state: &AppState,
    caller: &Caller,
    input: PublishRulePackInput,
) -> Result<ChangeReport, ApiError> {
    caller.require(
        state,
        Action::RulePackPublish,
        &Resource::Collection("rulepacks"),
    )?;
    let pack = RulePack::parse(&input.source, "source").map_err(|e| {
        ApiError::invalid(
            e.problems
                .iter()
                .map(|p| FieldError {
                    field: format!("source:{}", p.line),
                    reason: p.message.clone(),
                })
                .collect(),
        )
    })?;
    // Hold the book for writing from reading the systems to the commit, so no
    // version is classified meanwhile under the pack being replaced.
    let mut book = state.rules.write().await;
    if !book.is_newer(&pack.id, &pack.version) {
        let current = book
            .latest(&pack.id)
            .map(|p| p.version.clone())
            .unwrap_or_default();
        return Err(ApiError {
            current: Some(current.clone()),
            ..ApiError::new(
                StatusCode::CONFLICT,
                "conflict",
                format!(
                    "pack {} is at version {current}; a new text needs a higher version than that",
                    pack.id
                ),
            )
        });
    }
    let in_force = pack.id == book.in_force_id();
    let (reassessments, report) = if in_force {
        let inputs = state.store.classification_inputs().await?;
        let previous = book.latest(&pack.id).cloned();
        reassess_all(&pack, previous.as_ref(), inputs, |i| i.name.clone())
    } else {
        (
            Vec::new(),
            ChangeReport {
                pack: pack.pack_ref(),
                previous: book.latest(&pack.id).map(|p| p.pack_ref()),
                in_force: false,
                reclassified: 0,
                changed: Vec::new(),
            },
        )
    };
    if input.dry_run {
        return Ok(report);
    }
    let cases = crate::routes::cases::repaths(state, &pack, &report).await?;
    let notices: Vec<_> = cases.iter().flat_map(|c| c.notices.clone()).collect();
    let command = Command::PublishRulePack {
        pack: pack.pack_ref(),
        source: pack.source.clone(),
        reassessments,
        report,
        cases,
    };
    let writing = std::time::Instant::now();
    let applied = state.execute(caller.actor(), command).await?;
    tracing::info!(
        write_ms = writing.elapsed().as_millis() as u64,
        "publication committed"
    );
    match applied {
        Applied::Published(report) => {
            crate::mail::deliver(
                state,
                notices,
                format!("{} {}", pack.id, pack.version),
                None,
            );
            book.add(pack);
            Ok(*report)
        }
        _ => Err(ApiError::internal()),
    }
}
