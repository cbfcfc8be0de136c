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

/// How long the link to choose an approved account's first password lives.
pub const FIRST_PASSWORD_DAYS: i64 = 7;

/// The requests for an account one address may file in an hour.
const REQUEST_QUOTAS: crate::intake::Quotas = crate::intake::Quotas {
    per_address_per_hour: 5,
    per_minute: 30,
    without_proof_per_minute: 30,
};

/// Files a request from the public for an organisation's account: anyone
/// may, a few an hour from one address; the administrators are told.
pub async fn request_account(
    state: &AppState,
    client: std::net::IpAddr,
    input: senim_domain::organisation::OrganisationRequestInput,
) -> Result<senim_domain::organisation::OrganisationRequest, ApiError> {
    let now = state.clock.now();
    let request = input.parse(uuid::Uuid::now_v7().to_string(), now)?;
    // The register of organisations is public: say at once that the BIN has
    // its organisation already, whose administrator gives accounts.
    if state.store.organisation_by_bin(&request.bin).await.is_ok() {
        return Err(ApiError::invalid(vec![senim_domain::FieldError {
            field: "organisation.bin".into(),
            reason: "is already registered to another organisation".into(),
        }]));
    }
    if let Err((_, wait)) = state.resets.check(client, now, true, REQUEST_QUOTAS) {
        return Err(ApiError {
            retry_after: Some(wait),
            ..ApiError::new(
                crate::error::ErrorCode::RateLimited,
                format!("too many requests from here; try again in {wait} seconds"),
            )
        });
    }
    let name = request.name.get("en").to_string();
    let notice = senim_domain::case::Notice::new(
        senim_domain::case::Recipient::Role(senim_domain::Role::Administrator),
        "notice-organisation-requested",
        &[("organisation", name.clone()), ("bin", request.bin.clone())],
        format!(
            "{name} (BIN {}) asks for an organisation's account; approve or refuse it on your desk.",
            request.bin
        ),
    );
    state
        .execute(
            senim_store::Actor::operator(),
            Command::RequestOrganisation {
                request: request.clone(),
                notice,
            },
        )
        .await?;
    Ok(request)
}

/// Approves a request: its organisation and a developer account for its
/// person, made as an administrator makes them (each a logged change), then
/// the decision and the mail with a link to choose the account's password.
/// What could refuse it is checked before anything is written.
pub async fn approve_request(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<(Organisation, senim_domain::Account), ApiError> {
    caller.require(
        state,
        Action::OrganisationCreate,
        &Resource::Collection("organisations"),
    )?;
    caller.require(
        state,
        Action::AccountCreate,
        &Resource::Collection("accounts"),
    )?;
    let request = open_request(state, id).await?;
    if state.store.organisation_by_bin(&request.bin).await.is_ok() {
        return Err(ApiError::invalid(vec![senim_domain::FieldError {
            field: "bin".into(),
            reason: "is already in the register: refuse the request, or give the person an account in that organisation by hand".into(),
        }]));
    }
    if state
        .store
        .account_by_email(&request.email)
        .await?
        .is_some()
    {
        return Err(ApiError::invalid(vec![senim_domain::FieldError {
            field: "email".into(),
            reason: "already has an account: add the organisation by hand and give that account its role".into(),
        }]));
    }
    let organisation = add(state, caller, request.organisation()).await?;
    let account = crate::accounts::add(
        state,
        caller,
        senim_domain::account::AccountInput {
            email: request.email.clone(),
            display_name: request.person.clone(),
            roles: vec![senim_domain::Role::Developer],
            organisation_id: Some(organisation.id),
            password: None,
        },
    )
    .await?;
    let token = crate::auth::random_secret("");
    let now = state.clock.now();
    let command = Command::DecideOrganisationRequest {
        id: request.id.clone(),
        approved: true,
        reasons: None,
        mail: senim_store::mail::DirectMail {
            key: "mail-organisation-approved".into(),
            args: [
                (
                    "organisation".to_string(),
                    request.name.get("en").to_string(),
                ),
                ("email".to_string(), request.email.clone()),
                ("days".to_string(), FIRST_PASSWORD_DAYS.to_string()),
            ]
            .into(),
            path: format!("/password/reset?token={token}"),
            reference: None,
        },
        first_password: Some(senim_store::requests::FirstPassword {
            account: account.id,
            token_hash: crate::auth::secret_hash(&token),
            expires_at: now.plus_seconds(FIRST_PASSWORD_DAYS * 86_400),
        }),
    };
    state.execute(caller.actor(), command).await?;
    Ok((organisation, account))
}

/// Refuses a request with the reasons its person is mailed.
pub async fn refuse_request(
    state: &AppState,
    caller: &Caller,
    id: &str,
    reasons: &str,
) -> Result<(), ApiError> {
    caller.require(
        state,
        Action::OrganisationCreate,
        &Resource::Collection("organisations"),
    )?;
    let request = open_request(state, id).await?;
    let reasons = senim_domain::error::bounded_text(reasons, 2000).map_err(|reason| {
        ApiError::invalid(vec![senim_domain::FieldError {
            field: "reasons".into(),
            reason,
        }])
    })?;
    let command = Command::DecideOrganisationRequest {
        id: request.id.clone(),
        approved: false,
        reasons: Some(reasons.clone()),
        mail: senim_store::mail::DirectMail {
            key: "mail-organisation-refused".into(),
            args: [
                (
                    "organisation".to_string(),
                    request.name.get("en").to_string(),
                ),
                ("reasons".to_string(), reasons),
            ]
            .into(),
            path: "/organisations/request".into(),
            reference: None,
        },
        first_password: None,
    };
    state.execute(caller.actor(), command).await?;
    Ok(())
}

/// A request still waiting for a decision.
async fn open_request(
    state: &AppState,
    id: &str,
) -> Result<senim_domain::organisation::OrganisationRequest, ApiError> {
    let request = state.store.organisation_request(id).await?;
    if request.status != "open" {
        return Err(ApiError::new(
            crate::error::ErrorCode::Conflict,
            format!("the request was already {}", request.status),
        ));
    }
    Ok(request)
}
