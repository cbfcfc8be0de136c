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

use senim_app::assess::lang;
use senim_app::auth::Caller;
use senim_app::error::{ApiError, ErrorBody};
use senim_app::extract::JsonBody;
use senim_app::policy::{Action, Resource};
use senim_app::rulepacks::publish_pack;
use senim_app::state::AppState;

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
