//! The regulatory sandbox's participations (issue 18): intake is a call's
//! (`crate::programmes`), admission opens the participation when a sandbox
//! award is accepted (`crate::cases::apply_step`), and its steps are case
//! steps. This module finds the system an application puts in the sandbox,
//! and sweeps the participations whose last day passed without an exit
//! report.

use senim_domain::{Case, Day, SystemId};

use crate::error::ApiError;
use crate::state::AppState;

/// The system of the register a sandbox application puts under test: its
/// optional `system` answer, which must name a system of the applicant's
/// own organisation (refused, naming the answer, otherwise).
pub async fn system_under_test(
    state: &AppState,
    application: &Case,
) -> Result<Option<SystemId>, ApiError> {
    let Some(app) = application.application() else {
        return Ok(None);
    };
    let Some(answer) = app.answers.iter().find(|a| a.question == "system") else {
        return Ok(None);
    };
    let refuse = |reason: &str| {
        ApiError::invalid(vec![senim_domain::FieldError {
            field: "answers.system".into(),
            reason: reason.into(),
        }])
    };
    let id: SystemId = answer
        .value
        .trim()
        .parse()
        .map_err(|_| refuse("must be the id of a system of the register"))?;
    match state.store.system(id).await {
        Ok(system)
            if Some(system.owner_organisation_id) == application.organisation_id
                || system.holder_organisation_id.is_some()
                    && system.holder_organisation_id == application.organisation_id =>
        {
            Ok(Some(id))
        }
        Ok(_) => Err(refuse("names a system of another organisation")),
        Err(senim_store::StoreError::NotFound { .. }) => {
            Err(refuse("names no system of the register"))
        }
        Err(e) => Err(e.into()),
    }
}

/// Reminds, once, each participant whose last day passed without an exit
/// report (and tells the programme); returns how many. Each reminder is a
/// step in the log (`sandbox.exit_due`), so two servers sweeping at once
/// cannot send one twice: the second's write names a revision that is gone.
pub async fn sweep(state: &AppState) -> Result<usize, ApiError> {
    let now = state.clock.now();
    let today = Day::of(now);
    let mut count = 0;
    for case in state.store.sandboxes_running().await? {
        let Some(step) = senim_domain::sandbox::due_step(&case, today) else {
            continue;
        };
        let value = serde_json::to_value(&step).map_err(|_| ApiError::internal())?;
        let actor = senim_domain::AccountId(uuid::Uuid::nil());
        let stepped = match senim_domain::sandbox::sandbox_step(now, actor, &case, step) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(case = %case.id, error = ?e, "sandbox sweep skipped a case");
                continue;
            }
        };
        if crate::sweeps::save_step(state, &case, stepped, value).await? {
            count += 1;
        }
    }
    Ok(count)
}
