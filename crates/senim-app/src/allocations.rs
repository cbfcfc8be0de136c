//! The Platform's resources and the allocations awards buy from them
//! (issue 18): a provider's organisation offers a resource; an awardee
//! exchanges released credits for it; every later step (the provider's
//! approval, usage, an extension, reminders and expiry) goes through
//! `cases::apply_step` like every case's, or through [`sweep`] for the
//! server's own.

use senim_domain::allocation::{
    allocation_step, due_step, request_allocation, AllocationContext, AllocationInput,
    AllocationStep, Credits, PlatformResource, ResourceInput,
};
use senim_domain::case::Stepped;
use senim_domain::{Case, CaseId, Day, OrganisationId, PlatformResourceId};
use senim_store::{Applied, Command, StoreError};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::policy::{Action, Resource};
use crate::state::AppState;

/// A new resource of the caller's organisation.
pub async fn create_resource(
    state: &AppState,
    caller: &Caller,
    input: ResourceInput,
) -> Result<PlatformResource, ApiError> {
    let account = caller
        .account
        .as_ref()
        .ok_or_else(ApiError::unauthenticated)?;
    let organisation = account.organisation_id.ok_or_else(ApiError::forbidden)?;
    // A restricted dataset is offered by the organisation's data steward,
    // who decides access to it in the library too; compute and models by
    // its resource providers.
    let action = match input.kind {
        senim_domain::allocation::ResourceKind::Dataset => Action::ResourceOfferDataset,
        _ => Action::ResourceCreate,
    };
    caller.require(state, action, &Resource::Organisation(organisation))?;
    let resource = input.parse(
        PlatformResourceId::generate(),
        organisation,
        state.clock.now(),
    )?;
    match state
        .execute(
            caller.actor(),
            Command::CreatePlatformResource(Box::new(resource)),
        )
        .await?
    {
        Applied::PlatformResource(r) => Ok(*r),
        _ => Err(ApiError::internal()),
    }
}

/// The awardee exchanges credits of the accepted application `application`
/// for units of a resource.
pub async fn request(
    state: &AppState,
    caller: &Caller,
    application: CaseId,
    input: AllocationInput,
) -> Result<Case, ApiError> {
    let case = state.store.case(application).await?;
    let r = crate::cases::resource(&case, caller);
    caller.require(state, Action::AllocationRequest, &r)?;
    let app = case
        .application()
        .ok_or_else(|| ApiError::not_found("application"))?;
    let resource = match state.store.platform_resource(input.resource_id).await {
        Ok(r) => r,
        Err(StoreError::NotFound { .. }) => {
            return Err(ApiError::invalid(vec![senim_domain::FieldError {
                field: "resource_id".into(),
                reason: "names no resource of the Platform".into(),
            }]))
        }
        Err(e) => return Err(e.into()),
    };
    let call = state.store.call(app.call_id).await?;
    let committed = state.store.committed_credits(application).await?;
    // Units of this resource provisioned at once under the provider's
    // assessment so far (approved the moment they were asked).
    let assessed_used = state
        .store
        .allocations_of(application)
        .await?
        .iter()
        .filter(|c| !matches!(c.state(), "refused" | "withdrawn"))
        .filter_map(|c| c.allocation().map(|a| (c.created_at, a)))
        .filter(|(created, a)| a.resource_id == resource.id && a.approved_at == Some(*created))
        .map(|(_, a)| a.units)
        .sum();
    let account = caller
        .account
        .as_ref()
        .ok_or_else(ApiError::unauthenticated)?;
    let ctx = AllocationContext {
        now: state.clock.now(),
        actor: account.id,
        calendar: &state.config.calendar,
        call: &call,
        resource: &resource,
    };
    let stepped = request_allocation(
        CaseId::generate(),
        &ctx,
        &case,
        Credits {
            committed,
            assessed_used,
        },
        input.clone(),
    )?;
    let step = serde_json::json!({
        "action": "request_allocation",
        "application_id": application,
        "resource_id": input.resource_id,
        "units": input.units,
        "starts": input.starts,
        "ends": input.ends,
    });
    crate::cases::write(state, caller, stepped, None, None, step).await
}

/// A step on an allocation case, with what it needs besides the case.
pub async fn step(
    state: &AppState,
    case: &Case,
    actor: senim_domain::AccountId,
    step: AllocationStep,
) -> Result<Stepped, ApiError> {
    let alloc = case.allocation().ok_or_else(ApiError::internal)?;
    let call = state.store.call(alloc.call_id).await?;
    let resource = state.store.platform_resource(alloc.resource_id).await?;
    let ctx = AllocationContext {
        now: state.clock.now(),
        actor,
        calendar: &state.config.calendar,
        call: &call,
        resource: &resource,
    };
    Ok(allocation_step(&ctx, case, step, CaseId::generate())?)
}

/// The caller's organisation, when it may read a provider's queues (its
/// resources' allocations, the applications it is to assess).
fn provider_of(state: &AppState, caller: &Caller) -> Result<OrganisationId, ApiError> {
    let account = caller
        .account
        .as_ref()
        .ok_or_else(ApiError::unauthenticated)?;
    let organisation = account.organisation_id.ok_or_else(ApiError::forbidden)?;
    caller.require(
        state,
        Action::AllocationListProvided,
        &Resource::Organisation(organisation),
    )?;
    Ok(organisation)
}

/// The allocations of the caller's organisation's resources.
pub async fn provided(state: &AppState, caller: &Caller) -> Result<Vec<Case>, ApiError> {
    let organisation = provider_of(state, caller)?;
    Ok(state.store.allocations_provided_by(organisation).await?)
}

/// The applications in review waiting for the caller's organisation (a
/// provider) to assess the resources they ask for, oldest first.
pub async fn to_assess(state: &AppState, caller: &Caller) -> Result<Vec<Case>, ApiError> {
    let organisation = provider_of(state, caller)?;
    Ok(state.store.assessments_awaiting(organisation).await?)
}

/// Sends the reminders due today and ends the allocations whose last day
/// passed; returns how many steps were taken. Each is a step in the log
/// (`allocation.reminded`, `allocation.expired`), so two servers sweeping
/// at once cannot send one twice: the second's write names a revision that
/// is gone.
pub async fn sweep(state: &AppState) -> Result<usize, ApiError> {
    let now = state.clock.now();
    let today = Day::of(now);
    let calendar = &state.config.calendar;
    // Reminders reach 30 days ahead; a weekend or holidays before the day
    // bring one forward by a few days more.
    let mut count = 0;
    for case in state.store.allocations_ending(today.plus_days(40)).await? {
        let Some(next) = due_step(calendar, &case, today) else {
            continue;
        };
        let value = serde_json::to_value(&next).map_err(|_| ApiError::internal())?;
        // One allocation that cannot be stepped (its call or resource
        // unreadable) must not hold up the others: say so and go on.
        let actor = senim_domain::AccountId(uuid::Uuid::nil());
        let stepped = match step(state, &case, actor, next).await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(case = %case.id, error = %e.message, "allocation sweep skipped a case");
                continue;
            }
        };
        if crate::sweeps::save_step(state, &case, stepped, value).await? {
            count += 1;
        }
    }
    Ok(count)
}

/// What the awardee may still exchange: released credits less those held
/// by allocations not refused.
pub async fn credits_left(state: &AppState, application: &Case) -> Result<i64, ApiError> {
    let released = application.application().map_or(0, |a| a.released());
    Ok(released - state.store.committed_credits(application.id).await?)
}

/// A resource as a provider writes it on the desk (TOML: the fields of
/// [`ResourceInput`]); a syntax error is named with its line as
/// `resource:<line>`.
pub fn resource_from_toml(text: &str) -> Result<ResourceInput, ApiError> {
    toml::from_str(text).map_err(|e: toml::de::Error| {
        let line = crate::programmes::toml_error_line(text, &e);
        ApiError::invalid(vec![senim_domain::FieldError {
            field: format!("resource:{line}"),
            reason: e.message().to_string(),
        }])
    })
}
