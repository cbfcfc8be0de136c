//! `/api/v1/systems`: register, read, list, add versions, withdraw.

use serde::Deserialize;
use utoipa::IntoParams;

use senim_domain::{
    FieldError, System, SystemId, SystemInput, SystemVersion, VersionInput, Viewer,
};
use senim_store::{Applied, Command, Drafts};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::policy::{Action, Resource};

use crate::extract::{parse_reason, path_id};
use crate::state::AppState;
use senim_domain::api::SystemDetail;
use senim_domain::classification::{Assessment, Lang};
use senim_domain::system::{OperatorDecision, OperatorRequest, ValidVersion};
use senim_domain::OrganisationId;

use crate::assess::assess_version;

/// `?lang=` on a system read: the language of the classification's texts.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LangQuery {
    /// kk, ru or en (default en).
    pub lang: Option<Lang>,
}

/// Registers a new system, its first version classified under the pack in
/// force (the API's and the registration wizard's one path).
pub async fn register(
    state: &AppState,
    caller: &Caller,
    input: SystemInput,
    lang: Lang,
) -> Result<SystemDetail, ApiError> {
    let Some(account) = &caller.account else {
        return Err(ApiError::unauthenticated());
    };
    let owner = input
        .owner_organisation_id
        .or(account.organisation_id)
        .ok_or_else(|| {
            ApiError::invalid(vec![FieldError {
                field: "owner_organisation_id".into(),
                reason: "is required: your account belongs to no organisation".into(),
            }])
        })?;
    caller.require(state, Action::SystemCreate, &Resource::new_system(owner))?;
    let version = VersionInput::from(input).parse()?;
    write_classified(
        state,
        caller,
        version,
        None,
        lang,
        move |version, assessment| Command::CreateSystem {
            owner,
            version,
            assessment: Some(assessment),
        },
    )
    .await
}

/// Adds a version to a system, starting from `expected_version` (the API's
/// and the registration wizard's one path).
pub async fn new_version(
    state: &AppState,
    caller: &Caller,
    id: SystemId,
    expected_version: i64,
    input: VersionInput,
    lang: Lang,
) -> Result<SystemDetail, ApiError> {
    let (system, resource) = load(state, caller, &id.to_string()).await?;
    caller.require(state, Action::SystemUpdate, &resource)?;
    let version = input.parse()?;
    let id = system.id;
    write_classified(
        state,
        caller,
        version,
        Some(&resource),
        lang,
        move |version, assessment| Command::AddVersion {
            id,
            expected_version,
            version,
            assessment: Some(assessment),
        },
    )
    .await
}

/// Withdraws system `id` for `caller`, from `expected_version` when given;
/// the API and the pages both withdraw through here.
pub async fn withdraw_system(
    state: &AppState,
    caller: &Caller,
    id: &str,
    expected_version: Option<i64>,
    reason: Option<String>,
) -> Result<(System, SystemVersion, Resource), ApiError> {
    let (system, resource) = load(state, caller, id).await?;
    caller.require(state, Action::SystemWithdraw, &resource)?;
    let reason = parse_reason(reason)?;
    let command = Command::WithdrawSystem {
        id: system.id,
        expected_version,
        reason,
    };
    // Under the rule book's read lock, like every other system write, so a
    // publication never re-classifies a system withdrawn while it ran.
    let book = state.rules.read().await;
    let applied = state.execute(caller.actor(), command).await?;
    drop(book);
    match applied {
        Applied::System { system, version } => Ok((system, *version, resource)),
        _ => Err(ApiError::internal()),
    }
}

/// The caller's organisation answers being named as system `id`'s
/// operator (the API and the pages both answer through here).
pub async fn answer_operator(
    state: &AppState,
    caller: &Caller,
    id: &str,
    decision: OperatorDecision,
) -> Result<System, ApiError> {
    let id: SystemId = path_id(id, "system")?;
    let Some(account) = &caller.account else {
        return Err(ApiError::unauthenticated());
    };
    let Some(organisation) = account.organisation_id else {
        return Err(ApiError::forbidden());
    };
    caller.require(
        state,
        Action::OrganisationAnswerOperator,
        &Resource::Organisation(organisation),
    )?;
    // Only the organisation named may answer; with no request at all, the
    // store says there is nothing to answer (409).
    if let Some(request) = state.store.operator_request(id).await? {
        if request.organisation_id != organisation {
            return Err(ApiError::forbidden());
        }
    }
    let command = Command::AnswerOperator {
        id,
        organisation,
        decision,
    };
    match state.execute(caller.actor(), command).await? {
        Applied::System { system, .. } => Ok(system),
        _ => Err(ApiError::internal()),
    }
}

/// The systems that name `organisation` as operator and await its answer,
/// for its own accounts and the authority.
pub async fn operator_requests(
    state: &AppState,
    caller: &Caller,
    organisation: OrganisationId,
) -> Result<Vec<OperatorRequest>, ApiError> {
    caller.require(
        state,
        Action::OrganisationReadOwnerFields,
        &Resource::Organisation(organisation),
    )?;
    Ok(state.store.operator_requests(organisation).await?)
}

/// Classifies a new version under the pack in force and runs the command
/// built from both, holding the rule book's read lock until the commit so a
/// publication cannot slip in between. Returns the system as the caller may
/// see it; `resource` is what the caller's view is decided on (the new
/// system's own when `None`).
pub async fn write_classified(
    state: &AppState,
    caller: &Caller,
    version: ValidVersion,
    resource: Option<&Resource>,
    lang: Lang,
    command: impl FnOnce(ValidVersion, Assessment) -> Command,
) -> Result<SystemDetail, ApiError> {
    let book = state.rules.read().await;
    let assessment = assess_version(&book, &version);
    let applied = state
        .execute(caller.actor(), command(version, assessment.clone()))
        .await?;
    drop(book);
    let Applied::System { system, version } = applied else {
        return Err(ApiError::internal());
    };
    let v = match resource {
        Some(resource) => viewer(state, caller, resource)?,
        None => viewer(state, caller, &Resource::system(&system))?,
    };
    Ok(detail_body(state, system, *version, Some(assessment), v, lang).await)
}

pub async fn load(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<(System, Resource), ApiError> {
    let id: SystemId = path_id(id, "system")?;
    let system = state.store.system(id).await?;
    let resource = Resource::system(&system);
    require_read(state, caller, &resource)?;
    Ok((system, resource))
}

/// Which private drafts `caller`'s lists include, as the policies decide:
/// all when they may read a draft of an organisation not theirs (the
/// authority), their organisation's when they may read its drafts, none
/// otherwise.
pub fn drafts_for(state: &AppState, caller: &Caller) -> Result<Drafts, ApiError> {
    let Some(account) = &caller.account else {
        return Ok(Drafts::Hidden);
    };
    let draft_of = |owner| Resource::System {
        id: "draft".into(),
        owner,
        holder: None,
        public: false,
    };
    let stranger = OrganisationId(uuid::Uuid::nil());
    if account.organisation_id != Some(stranger)
        && caller.may(state, Action::SystemRead, &draft_of(stranger))?
    {
        return Ok(Drafts::All);
    }
    match account.organisation_id {
        Some(org) if caller.may(state, Action::SystemRead, &draft_of(org))? => Ok(Drafts::Of(org)),
        _ => Ok(Drafts::Hidden),
    }
}

/// Whether `caller` may read the system. A draft that is another
/// organisation's own is, to a signed-in reader, no system at all; a reader
/// not signed in is asked to sign in, so its owner's link still works.
pub fn require_read(
    state: &AppState,
    caller: &Caller,
    resource: &Resource,
) -> Result<(), ApiError> {
    if caller.account.is_some() && !caller.may(state, Action::SystemRead, resource)? {
        return Err(ApiError::not_found("system"));
    }
    caller.require(state, Action::SystemRead, resource)
}

pub fn viewer(state: &AppState, caller: &Caller, resource: &Resource) -> Result<Viewer, ApiError> {
    Ok(Viewer {
        owner: caller.may(state, Action::SystemReadOwnerFields, resource)?,
        authority: caller.may(state, Action::SystemReadAuthorityFields, resource)?,
    })
}

/// A system as `v` may see it, with its classification explained in `lang`.
pub async fn detail_body(
    state: &AppState,
    system: System,
    version: SystemVersion,
    assessment: Option<Assessment>,
    v: Viewer,
    lang: Lang,
) -> SystemDetail {
    let (classification, gaps) = match assessment {
        Some(mut a) => {
            let book = state.rules.read().await;
            let pack = book.get(&a.outcome.pack.id, &a.outcome.pack.version);
            if let Some(pack) = pack {
                pack.cite_gaps(&a.outcome, &mut a.gaps, lang);
            }
            (pack.map(|p| p.explain(&a.outcome, lang)), a.gaps)
        }
        None => (None, Vec::new()),
    };
    SystemDetail {
        system,
        version: version.redacted(v),
        classification,
        gaps,
    }
}
