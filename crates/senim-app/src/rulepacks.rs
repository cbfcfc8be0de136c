//! `/api/v1/classify` and `/api/v1/rulepacks`: the law as data.

use senim_domain::api::PublishRulePackInput;
use senim_domain::classification::ChangeReport;
use senim_domain::FieldError;
use senim_rules::RulePack;
use senim_store::{Applied, Command};

use crate::assess::reassess_all;
use crate::auth::Caller;
use crate::error::ApiError;
use crate::error::ErrorCode;
use crate::policy::{Action, Resource};
use crate::state::AppState;

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
                ErrorCode::Conflict,
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
    let cases = crate::cases::repaths(state, &pack, &report).await?;
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
            book.add(pack);
            Ok(*report)
        }
        _ => Err(ApiError::internal()),
    }
}
