//! The regulatory sandbox's participations (issue 18): intake is a call's
//! (`crate::programmes`), admission opens the participation when a sandbox
//! award is accepted (`crate::cases::apply_step`), and its steps are case
//! steps. This module finds the system an application puts in the sandbox.

use senim_domain::{Case, SystemId};

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
