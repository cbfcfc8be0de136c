//! The Platform's support programmes (issue 18): publishing programmes and
//! calls, drafting an application, and what a step on an application needs
//! besides the case (the call, the eligibility rules against the applicant,
//! the reviewer pool, the organisations the applicant worked with, the
//! budget left). The steps themselves go through `cases::apply_step`, like
//! every case's.

use senim_domain::application::{open_application, ApplicationInput, Context, UnmetRule};
use senim_domain::programme::{Call, CallFigures, CallInput, Programme, ProgrammeInput, ValidCall};
use senim_domain::{CallId, Case, CaseId, FieldError, ProgrammeId};
use senim_rules::eligibility::{Applicant, Eligibility};
use senim_store::{Applied, Command, StoreError};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::policy::{Action, Resource};
use crate::state::AppState;

fn organisation_of(caller: &Caller) -> Result<senim_domain::OrganisationId, ApiError> {
    let account = caller
        .account
        .as_ref()
        .ok_or_else(ApiError::unauthenticated)?;
    account.organisation_id.ok_or_else(ApiError::forbidden)
}

/// A new programme of the caller's organisation.
pub async fn create_programme(
    state: &AppState,
    caller: &Caller,
    input: ProgrammeInput,
) -> Result<Programme, ApiError> {
    let organisation = organisation_of(caller)?;
    caller.require(
        state,
        Action::ProgrammeCreate,
        &Resource::Organisation(organisation),
    )?;
    let programme = input.parse()?;
    match state
        .execute(
            caller.actor(),
            Command::CreateProgramme {
                organisation,
                programme,
            },
        )
        .await?
    {
        Applied::Programme(p) => Ok(*p),
        _ => Err(ApiError::internal()),
    }
}

/// The call's eligibility rules, checked; every problem is named with its
/// line as `eligibility:<line>`.
pub fn eligibility_of(source: &str) -> Result<Eligibility, ApiError> {
    Eligibility::parse(source, "eligibility").map_err(|e| {
        ApiError::invalid(
            e.problems
                .into_iter()
                .map(|p| FieldError {
                    field: format!("eligibility:{}", p.line),
                    reason: p.message,
                })
                .collect(),
        )
    })
}

/// Publishes a call of one of the caller's organisation's programmes.
pub async fn publish_call(
    state: &AppState,
    caller: &Caller,
    programme: ProgrammeId,
    input: CallInput,
) -> Result<Call, ApiError> {
    let programme = state.store.programme(programme).await?;
    caller.require(
        state,
        Action::CallPublish,
        &Resource::Organisation(programme.organisation_id),
    )?;
    let eligibility = eligibility_of(&input.eligibility);
    let call: Result<ValidCall, ApiError> = input.parse().map_err(ApiError::from);
    // Name the problems of both at once.
    // A sandbox call's form asks for the whole plan.
    let call = call.and_then(|c| {
        senim_domain::sandbox::check_call(programme.kind, &c.questions, c.max_months)?;
        Ok(c)
    });
    let call = match (call, eligibility) {
        (Ok(call), Ok(_)) => call,
        (Err(mut a), Err(b)) => {
            a.fields.extend(b.fields);
            return Err(a);
        }
        (Err(e), _) | (_, Err(e)) => return Err(e),
    };
    match state
        .execute(
            caller.actor(),
            Command::PublishCall {
                programme: programme.id,
                call: Box::new(call),
            },
        )
        .await?
    {
        Applied::Call(c) => Ok(*c),
        _ => Err(ApiError::internal()),
    }
}

/// A call with what it has given so far.
pub async fn call_with_figures(
    state: &AppState,
    id: CallId,
) -> Result<(Call, CallFigures), ApiError> {
    let call = state.store.call(id).await?;
    let figures = state.store.call_figures(&call).await?;
    Ok((call, figures))
}

/// A new draft application of the caller's organisation to `call`.
pub async fn open(
    state: &AppState,
    caller: &Caller,
    call: CallId,
    input: ApplicationInput,
) -> Result<Case, ApiError> {
    let organisation = organisation_of(caller)?;
    caller.require(
        state,
        Action::ApplicationOpen,
        &Resource::Organisation(organisation),
    )?;
    let account = caller
        .account
        .as_ref()
        .ok_or_else(ApiError::unauthenticated)?;
    let call = match state.store.call(call).await {
        Ok(c) => c,
        Err(StoreError::NotFound { .. }) => return Err(ApiError::not_found("call")),
        Err(e) => return Err(e.into()),
    };
    check_references(state, &input).await?;
    let stepped = open_application(
        CaseId::generate(),
        &call,
        account.id,
        organisation,
        input,
        state.clock.now(),
    )?;
    let step = serde_json::json!({ "action": "open_application", "call_id": call.id });
    crate::cases::write(state, caller, stepped, None, None, step).await
}

/// What the store knows that a step on an application needs.
pub struct Facts {
    pub call: Call,
    /// The Platform's resources the application asks for (for admission).
    pub resources: Vec<senim_domain::allocation::PlatformResource>,
    pub pool: Vec<senim_domain::case::Candidate>,
    pub related: Vec<senim_domain::OrganisationId>,
    pub unmet: Vec<UnmetRule>,
    pub remaining: i64,
}

impl Facts {
    pub fn context<'a>(
        &'a self,
        state: &'a AppState,
        actor: senim_domain::AccountId,
    ) -> Context<'a> {
        Context {
            now: state.clock.now(),
            actor,
            calendar: &state.config.calendar,
            call: &self.call,
            pool: &self.pool,
            related: &self.related,
            unmet: &self.unmet,
            remaining: self.remaining,
            resources: &self.resources,
        }
    }
}

/// Refuses an application naming a partner organisation the register does
/// not hold or a resource the Platform does not offer, naming each.
pub async fn check_references(state: &AppState, input: &ApplicationInput) -> Result<(), ApiError> {
    let mut fields = Vec::new();
    for (i, partner) in input.partners.iter().enumerate() {
        match state.store.organisation(*partner).await {
            Ok(_) => {}
            Err(StoreError::NotFound { .. }) => fields.push(senim_domain::FieldError {
                field: format!("partners[{i}]"),
                reason: "names no organisation of the register".into(),
            }),
            Err(e) => return Err(e.into()),
        }
    }
    for (i, ask) in input.resources.iter().enumerate() {
        match state.store.platform_resource(ask.resource_id).await {
            Ok(_) => {}
            Err(StoreError::NotFound { .. }) => fields.push(senim_domain::FieldError {
                field: format!("resources[{i}].resource_id"),
                reason: "names no resource of the Platform".into(),
            }),
            Err(e) => return Err(e.into()),
        }
    }
    if fields.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid(fields))
    }
}

/// Gathers the [`Facts`] for a step named `step` on the application `case`.
pub async fn facts(state: &AppState, case: &Case, step: &str) -> Result<Facts, ApiError> {
    let app = case.application().ok_or_else(ApiError::internal)?;
    let call = state.store.call(app.call_id).await?;
    // Only a decision weighs the budget left (and the store checks it again
    // in the decision's own transaction).
    let remaining = if step == "decide_application" {
        state.store.call_figures(&call).await?.remaining
    } else {
        0
    };
    let assigns = matches!(step, "admit" | "declare_interest" | "assign_reviewers");
    let (pool, related) = match (assigns, case.organisation_id) {
        (true, Some(org)) => {
            let parties: Vec<senim_domain::OrganisationId> = std::iter::once(org)
                .chain(app.partners.iter().copied())
                .collect();
            let since = senim_domain::calendar::Day::of(state.clock.now())
                .minus_months(senim_domain::application::JOINT_WORK_MONTHS);
            (
                state.store.reviewer_pool().await?,
                state.store.related_organisations(&parties, since).await?,
            )
        }
        _ => (Vec::new(), Vec::new()),
    };
    let unmet = match (step, case.organisation_id) {
        ("submit_application", Some(org)) => {
            let organisation = state.store.organisation(org).await?;
            let registered = state.store.has_registered_system(org).await?;
            let rules = eligibility_of(&call.eligibility)?;
            let applicant = Applicant {
                organisation_kind: organisation.kind,
                size_class: organisation.size_class,
                sectors: app.sectors.clone(),
                registered_system: registered,
                // Every organisation in the register has a Kazakh BIN.
                resident: true,
            };
            let lang = 2; // the domain's messages are in English
            rules
                .unmet(&applicant)
                .into_iter()
                .map(|r| UnmetRule {
                    id: r.id.clone(),
                    text: r.text[lang].clone(),
                })
                .collect()
        }
        _ => Vec::new(),
    };
    let mut resources = Vec::new();
    if step == "admit" {
        for ask in &app.resources {
            match state.store.platform_resource(ask.resource_id).await {
                Ok(r) => resources.push(r),
                Err(senim_store::StoreError::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(Facts {
        call,
        resources,
        pool,
        related,
        unmet,
        remaining,
    })
}

/// The extensions of allocations waiting for the programmes of the
/// caller's organisation, then the applications to its calls, open ones
/// first by due day.
pub async fn managed(state: &AppState, caller: &Caller) -> Result<Vec<Case>, ApiError> {
    let organisation = organisation_of(caller)?;
    caller.require(
        state,
        Action::ApplicationListManaged,
        &Resource::Organisation(organisation),
    )?;
    // Extensions of allocations are small applications of their own.
    let mut cases = state.store.extensions_awaiting(organisation).await?;
    cases.extend(state.store.applications_managed_by(organisation).await?);
    Ok(cases)
}

/// The line of `text` a TOML error is on (1 when it names no place).
pub(crate) fn toml_error_line(text: &str, e: &toml::de::Error) -> usize {
    e.span()
        .map(|s| text[..s.start.min(text.len())].lines().count().max(1))
        .unwrap_or(1)
}

/// A call's terms as a manager writes them on the desk (TOML: the fields of
/// [`CallInput`] but the eligibility rules, which come as their own text).
pub fn call_from_toml(terms: &str, eligibility: &str) -> Result<CallInput, ApiError> {
    let mut value: toml::Table = toml::from_str(terms).map_err(|e| {
        let line = toml_error_line(terms, &e);
        ApiError::invalid(vec![FieldError {
            field: format!("terms:{line}"),
            reason: e.message().to_string(),
        }])
    })?;
    value.insert(
        "eligibility".into(),
        toml::Value::String(eligibility.to_string()),
    );
    toml::Value::Table(value)
        .try_into()
        .map_err(|e: toml::de::Error| {
            ApiError::invalid(vec![FieldError {
                field: "terms".into(),
                reason: e.message().to_string(),
            }])
        })
}

/// The call's eligibility rules in the reader's language (`kk`, `ru`, `en`).
pub fn requirement_texts(call: &Call, lang: &str) -> Vec<String> {
    let i = match lang {
        "kk" => 0,
        "ru" => 1,
        _ => 2,
    };
    Eligibility::parse(&call.eligibility, "eligibility")
        .map(|e| e.requirements().iter().map(|r| r.text[i].clone()).collect())
        .unwrap_or_default()
}

/// The programmes' statistics: over every submitted application, by call
/// (newest call first) and by sector (an application in two sectors counts
/// in both).
pub struct ProgrammeStatistics {
    pub total: senim_domain::programme::Statistics,
    pub by_call: Vec<(Call, senim_domain::programme::Statistics)>,
    pub by_sector: Vec<(
        senim_domain::profile::Sector,
        senim_domain::programme::Statistics,
    )>,
}

/// Counts the statistics from the applications index.
pub async fn statistics(state: &AppState) -> Result<ProgrammeStatistics, ApiError> {
    use senim_domain::programme::Statistics;
    let times = state.store.application_times().await?;
    let calls = state.store.calls(None).await?;
    let by_call = calls
        .into_iter()
        .map(|call| {
            let s = Statistics::of(times.iter().filter(|t| t.call_id == call.id));
            (call, s)
        })
        .collect();
    let by_sector = senim_domain::profile::Sector::ALL
        .iter()
        .map(|sector| {
            (
                *sector,
                Statistics::of(times.iter().filter(|t| t.sectors.contains(sector))),
            )
        })
        .filter(|(_, s)| s.submitted > 0)
        .collect();
    Ok(ProgrammeStatistics {
        total: Statistics::of(&times),
        by_call,
        by_sector,
    })
}
