//! `/api/v1/organisations`: create, read, list, update, withdraw.

use senim_domain::{Organisation, OrganisationId, OrganisationInput};
use senim_store::{Applied, Command};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::policy::{Action, Resource};
use crate::state::AppState;

/// Adds an organisation (the API's and the administrator desk's one path).
pub async fn add(
    state: &AppState,
    caller: &Caller,
    input: OrganisationInput,
) -> Result<Organisation, ApiError> {
    caller.require(
        state,
        Action::OrganisationCreate,
        &Resource::Collection("organisations"),
    )?;
    let valid = input.parse()?;
    match state
        .execute(caller.actor(), Command::CreateOrganisation(valid))
        .await?
    {
        Applied::Organisation(org) => Ok(org),
        _ => Err(ApiError::internal()),
    }
}

/// Replaces an organisation's details from the revision read; its legal
/// facts (BIN, kind, size) only with the right to change them. The API's
/// and the administrator's page's one path.
pub async fn change(
    state: &AppState,
    caller: &Caller,
    id: OrganisationId,
    expected_revision: i64,
    input: OrganisationInput,
) -> Result<Organisation, ApiError> {
    caller.require(
        state,
        Action::OrganisationUpdate,
        &Resource::Organisation(id),
    )?;
    let organisation = input.parse()?;
    let current = state.store.organisation(id).await?;
    if current.bin != organisation.bin
        || current.kind != organisation.kind
        || current.size_class != organisation.size_class
    {
        caller.require(
            state,
            Action::OrganisationUpdateLegal,
            &Resource::Organisation(id),
        )?;
    }
    let command = Command::UpdateOrganisation {
        id,
        expected_revision,
        organisation,
    };
    match state.execute(caller.actor(), command).await? {
        Applied::Organisation(org) => Ok(org),
        _ => Err(ApiError::internal()),
    }
}

/// Withdraws an organisation from the register (from the revision read,
/// when one is given), with its reason.
pub async fn close(
    state: &AppState,
    caller: &Caller,
    id: OrganisationId,
    expected_revision: Option<i64>,
    reason: Option<String>,
) -> Result<Organisation, ApiError> {
    caller.require(
        state,
        Action::OrganisationWithdraw,
        &Resource::Organisation(id),
    )?;
    let reason = crate::extract::parse_reason(reason)?;
    let command = Command::WithdrawOrganisation {
        id,
        expected_revision,
        reason,
    };
    match state.execute(caller.actor(), command).await? {
        Applied::Organisation(org) => Ok(org),
        _ => Err(ApiError::internal()),
    }
}
