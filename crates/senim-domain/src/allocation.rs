//! The Platform's resources and the allocations an award buys (issue 18).
//!
//! A **resource** is something a provider organisation offers through the
//! Platform: a compute pool (GPU-hours, CPU-hours, storage), a ready model
//! (with its model card, licence and the library's datasets it was trained
//! on), or a restricted dataset of the library. It has a capacity in its
//! unit and an exchange rate: how many platform credits one unit costs.
//!
//! An **allocation** is a case (`crate::case`) of kind `allocation`: the
//! awardee of an accepted credits award exchanges released credits for units
//! of one resource, for a period; the resource's provider approves (which
//! provisions it: a dataset's allocation opens a grant through the library's
//! own access mechanism) or refuses within [`EXCHANGE_DAYS`] working days.
//! The provider reports usage against it; it ends by itself after its last
//! day, with reminders 30, 14, 7 and 0 days before (on the working day at or
//! before each, so a weekend or a holiday never hides one). An extension is a
//! small application of its own, decided by the programme.
//!
//! ```text
//! requested ─approve_allocation─▶ active ─expire─▶ expired
//! requested ─refuse_allocation─▶ refused
//! requested ─lapse─▶ refused   (the provider let the deadline pass)
//! requested ─withdraw_allocation─▶ withdrawn
//! active ─request_extension─▶ active (extension pending) ─decide_extension─▶ active
//! active ─report_usage / remind─▶ active
//! ```

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::access::{AccessState, DataAccess};
use crate::application::ApplicationState;
use crate::calendar::{Calendar, Day, Deadline};
use crate::case::{
    invalid, next, notice, refuse_state, require_state, text, Case, CaseBody, Recipient, Refusal,
    Stepped,
};
use crate::clock::Timestamp;
use crate::error::{Problems, ValidationError};
use crate::ids::{AccountId, CallId, CaseId, DatasetId, OrganisationId, PlatformResourceId};
use crate::profile::vocabulary;
use crate::programme::{BudgetUnit, Call};
use crate::text::LocalizedText;

vocabulary!(
    /// What a resource of the Platform is.
    ResourceKind {
        ComputePool => "compute_pool",
        Model => "model",
        Dataset => "dataset",
    }
);

vocabulary!(
    /// The unit a resource is allocated in.
    ResourceUnit {
        GpuHours => "gpu_hours",
        CpuHours => "cpu_hours",
        StorageGbMonths => "storage_gb_months",
        AccessDays => "access_days",
    }
);

vocabulary!(
    /// Where an allocation stands.
    AllocationState {
        Requested => "requested",
        Active => "active",
        Refused => "refused",
        Expired => "expired",
        Withdrawn => "withdrawn",
    }
);

/// The working days a provider has to approve or refuse an exchange.
pub const EXCHANGE_DAYS: u32 = 5;
/// The working days a programme has to decide an extension.
pub const EXTENSION_DAYS: u32 = 10;
/// Reminders before an allocation's last day, in days.
pub const REMINDER_DAYS: [u16; 4] = [30, 14, 7, 0];
/// The largest capacity and rate a resource may have.
pub const MAX_CAPACITY: i64 = 1_000_000_000_000;

/// A ready model's card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModelCard {
    /// The licence's SPDX identifier or name.
    pub licence: String,
    /// What it does, how it was evaluated, its limits.
    #[serde(default)]
    pub card: LocalizedText,
    /// The library's datasets it was trained on.
    #[serde(default)]
    pub trained_on: Vec<DatasetId>,
}

/// A resource as its provider describes it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResourceInput {
    pub kind: ResourceKind,
    pub title: LocalizedText,
    #[serde(default)]
    pub description: LocalizedText,
    pub unit: ResourceUnit,
    /// How many units can be allocated at once (requested and active
    /// allocations together).
    pub capacity: i64,
    /// Platform credits per unit.
    pub credits_per_unit: i64,
    /// For a dataset: the library's restricted dataset.
    #[serde(default)]
    pub dataset_id: Option<DatasetId>,
    /// For a model: its card.
    #[serde(default)]
    pub model: Option<ModelCard>,
}

/// A resource the Platform offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PlatformResource {
    pub id: PlatformResourceId,
    pub kind: ResourceKind,
    /// The organisation that provides it (its providers approve exchanges).
    pub provider_organisation_id: OrganisationId,
    pub title: LocalizedText,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<LocalizedText>,
    pub unit: ResourceUnit,
    pub capacity: i64,
    pub credits_per_unit: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset_id: Option<DatasetId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<ModelCard>,
    pub created_at: Timestamp,
}

impl ResourceInput {
    /// A resource of `provider` from this input, or every problem with it.
    pub fn parse(
        self,
        id: PlatformResourceId,
        provider: OrganisationId,
        now: Timestamp,
    ) -> Result<PlatformResource, ValidationError> {
        let mut problems = Problems::new();
        let mut nested = problems.nested("title");
        let title = self.title.parse(300, &mut nested);
        problems.absorb(nested);
        let description = if [
            &self.description.kk,
            &self.description.ru,
            &self.description.en,
        ]
        .iter()
        .all(|t| t.as_deref().is_none_or(|t| t.trim().is_empty()))
        {
            None
        } else {
            let mut nested = problems.nested("description");
            let d = self.description.parse(20_000, &mut nested);
            problems.absorb(nested);
            d
        };
        if !(1..=MAX_CAPACITY).contains(&self.capacity) {
            problems.add("capacity", format!("must be from 1 to {MAX_CAPACITY}"));
        }
        if !(1..=MAX_CAPACITY).contains(&self.credits_per_unit) {
            problems.add(
                "credits_per_unit",
                format!("must be from 1 to {MAX_CAPACITY}"),
            );
        }
        let access_unit = self.unit == ResourceUnit::AccessDays;
        match self.kind {
            ResourceKind::ComputePool if access_unit => problems.add(
                "unit",
                "a compute pool is allocated in GPU-hours, CPU-hours or storage",
            ),
            ResourceKind::Model | ResourceKind::Dataset if !access_unit => problems.add(
                "unit",
                "a model or a dataset is allocated in days of access (`access_days`)",
            ),
            _ => {}
        }
        match (self.kind, &self.dataset_id) {
            (ResourceKind::Dataset, None) => problems.add(
                "dataset_id",
                "a dataset resource names the library's dataset",
            ),
            (ResourceKind::ComputePool | ResourceKind::Model, Some(_)) => {
                problems.add("dataset_id", "only a dataset resource names a dataset")
            }
            _ => {}
        }
        let model = match (self.kind, self.model) {
            (ResourceKind::Model, None) => {
                problems.add("model", "a model resource has a model card");
                None
            }
            (ResourceKind::Model, Some(card)) => {
                let licence = problems.check(
                    "model.licence",
                    crate::error::bounded_text(&card.licence, 200),
                );
                let mut nested = problems.nested("model.card");
                let text = card.card.parse(20_000, &mut nested);
                problems.absorb(nested);
                match (licence, text) {
                    (Some(licence), Some(card_text)) => Some(ModelCard {
                        licence,
                        card: card_text,
                        trained_on: card.trained_on,
                    }),
                    _ => None,
                }
            }
            (_, Some(_)) => {
                problems.add("model", "only a model resource has a model card");
                None
            }
            (_, None) => None,
        };
        problems.finish(|| {
            Some(PlatformResource {
                id,
                kind: self.kind,
                provider_organisation_id: provider,
                title: title?,
                description,
                unit: self.unit,
                capacity: self.capacity,
                credits_per_unit: self.credits_per_unit,
                dataset_id: self.dataset_id,
                model,
                created_at: now,
            })
        })
    }
}

/// An allocation's body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Allocation {
    /// The accepted application whose credits pay for it.
    pub application_id: CaseId,
    pub call_id: CallId,
    /// The organisation running the call's programme (it decides extensions).
    pub programme_organisation_id: OrganisationId,
    pub resource_id: PlatformResourceId,
    pub resource_kind: ResourceKind,
    pub provider_organisation_id: OrganisationId,
    /// The account that asked (the application's applicant).
    pub awardee: AccountId,
    pub unit: ResourceUnit,
    pub units: i64,
    /// What it costs, in credits (units × the resource's rate).
    pub credits: i64,
    pub starts: Day,
    /// The last day it can be used.
    pub ends: Day,
    /// The award's last usable day: no extension goes past it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub award_until: Option<Day>,
    /// Units used so far, as the provider reported them.
    #[serde(default)]
    pub used: i64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub usage: Vec<UsageRecord>,
    /// False when the provider said it cannot be extended.
    #[serde(default = "yes")]
    pub renewable: bool,
    /// How to reach it (the provider's instructions), once approved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instructions: Option<String>,
    /// When the provider approved it: from then on it can be used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved_at: Option<Timestamp>,
    /// Why it was refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasons: Option<String>,
    /// Reminders sent, in days before the last day.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reminded: Vec<u16>,
    /// An extension asked for and not yet decided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension: Option<Extension>,
    /// Extensions decided, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extensions: Vec<Extension>,
    /// For a dataset: the library's access grants it opened.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<CaseId>,
}

fn yes() -> bool {
    true
}

impl Allocation {
    /// Whether it can be used on `today`.
    pub fn usable(&self, state: AllocationState, today: Day) -> bool {
        state == AllocationState::Active && self.starts <= today && today <= self.ends
    }
}

/// Usage the provider reported for one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct UsageRecord {
    pub day: Day,
    pub units: i64,
    pub at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Extension {
    pub until: Day,
    pub reasons: String,
    pub requested_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approved: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<String>,
}

/// What an awardee asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AllocationInput {
    pub resource_id: PlatformResourceId,
    pub units: i64,
    pub starts: Day,
    pub ends: Day,
}

/// What opening or stepping an allocation needs besides the case.
pub struct AllocationContext<'a> {
    pub now: Timestamp,
    pub actor: AccountId,
    pub calendar: &'a Calendar,
    pub call: &'a Call,
    pub resource: &'a PlatformResource,
}

impl AllocationContext<'_> {
    fn today(&self) -> Day {
        Day::of(self.now)
    }
}

/// Credits of `application` committed to allocations not refused, as the
/// store sums them; passed in so the refusal can say how much is left.
#[derive(Default)]
pub struct Credits {
    pub committed: i64,
    /// Units of the resource already provisioned at once under its
    /// provider's assessment.
    pub assessed_used: i64,
}

/// A new allocation: `application` (an accepted credits award) exchanges
/// credits for units of the context's resource.
pub fn request_allocation(
    id: CaseId,
    ctx: &AllocationContext<'_>,
    application: &Case,
    credits: Credits,
    input: AllocationInput,
) -> Result<Stepped, Refusal> {
    let today = ctx.today();
    let Some(app) = application.application() else {
        return Err(refuse_state(
            application.state(),
            "the case is not an application to a call",
        ));
    };
    let CaseBody::Application { state, .. } = &application.body else {
        return Err(refuse_state(application.state(), "not an application"));
    };
    require_state(*state, &[ApplicationState::Accepted], "request_allocation")?;
    if app.unit != BudgetUnit::Credits {
        return Err(refuse_state(
            application.state(),
            "a money award is paid out, not exchanged for resources",
        ));
    }
    if let Some((i, report)) = app.overdue_report(today) {
        return Err(refuse_state(
            "report_overdue",
            format!(
                "report {} was due on {} and is not in: submit it before exchanging more credits",
                i + 1,
                report.due
            ),
        ));
    }
    let resource = ctx.resource;
    let mut problems = Problems::new();
    if input.units < 1 || input.units > resource.capacity {
        problems.add(
            "units",
            format!(
                "must be from 1 to the resource's capacity, {}",
                resource.capacity
            ),
        );
    }
    if input.starts < today {
        problems.add("starts", format!("must be today ({today}) or later"));
    }
    let until = app.usable_until();
    if let Some(until) = until {
        if input.ends > until {
            problems.add(
                "ends",
                format!("must not be after the award's last usable day, {until}"),
            );
        }
    }
    let min = i64::from(ctx.call.min_usable_days);
    if input.ends < input.starts.plus_days(min - 1) {
        problems.add(
            "ends",
            format!(
                "must leave at least the call's {min} usable days from `starts` ({} or later)",
                input.starts.plus_days(min - 1)
            ),
        );
    }
    let cost = input.units.checked_mul(resource.credits_per_unit);
    let left = app.released() - credits.committed;
    match cost {
        Some(cost) if cost <= left => {}
        _ => problems.add(
            "units",
            format!(
                "would cost {} credits ({} per {}); {left} of the award's released credits are left",
                cost.map_or_else(|| "too many".to_string(), |c| c.to_string()),
                resource.credits_per_unit,
                resource.unit
            ),
        ),
    }
    problems.finish(|| Some(())).map_err(Refusal::Invalid)?;
    let cost = cost.unwrap_or_default();
    // What the provider found feasible during review is provisioned at once:
    // no second wait. Restricted data stays the steward's decision at the
    // exchange, as the library's own grants are.
    let assessed = resource.kind != ResourceKind::Dataset
        && app
            .feasible_units(resource.id)
            .is_some_and(|units| credits.assessed_used + input.units <= units);
    let body = Allocation {
        application_id: application.id,
        call_id: app.call_id,
        programme_organisation_id: app.programme_organisation_id,
        resource_id: resource.id,
        resource_kind: resource.kind,
        provider_organisation_id: resource.provider_organisation_id,
        awardee: app.applicant,
        unit: resource.unit,
        units: input.units,
        credits: cost,
        starts: input.starts,
        ends: input.ends,
        award_until: until,
        used: 0,
        usage: Vec::new(),
        renewable: true,
        instructions: None,
        approved_at: assessed.then_some(ctx.now),
        reasons: None,
        reminded: Vec::new(),
        extension: None,
        extensions: Vec::new(),
        grants: Vec::new(),
    };
    let ends = body.ends;
    let mut case = Case::new(
        id,
        CaseBody::Allocation {
            state: if assessed {
                AllocationState::Active
            } else {
                AllocationState::Requested
            },
            body: Some(body),
        },
        ctx.now,
    );
    case.organisation_id = application.organisation_id;
    case.links = vec![application.id];
    if assessed {
        let mut stepped = Stepped::new(case, "allocation.provisioned");
        stepped.notices.push(notice(
            Recipient::Organisation(resource.provider_organisation_id),
            "notice-allocation-provisioned",
            &[],
            "An exchange you assessed as feasible during review was provisioned.".into(),
        ));
        stepped.notices.push(notice(
            Recipient::Account(app.applicant),
            "notice-allocation-approved",
            &[("until", ends.to_string())],
            format!("Your allocation was approved; it can be used until {ends}."),
        ));
        return Ok(stepped);
    }
    case.deadline = Some(Deadline::start(
        ctx.calendar,
        "exchange_approval",
        EXCHANGE_DAYS,
        today,
    ));
    let mut stepped = Stepped::new(case, "allocation.requested");
    stepped.notices.push(notice(
        Recipient::Organisation(resource.provider_organisation_id),
        "notice-allocation-requested",
        &[],
        "An awardee asks to exchange credits for one of your resources.".into(),
    ));
    Ok(stepped)
}

/// A step on an allocation, as the API and the pages send it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum AllocationStep {
    /// Provider: approve and provision, with how to reach it.
    ApproveAllocation {
        #[serde(default)]
        instructions: Option<String>,
        /// False when it cannot be extended.
        #[serde(default = "yes")]
        renewable: bool,
    },
    /// Provider: refuse, with the reasons (the credits return to the award).
    RefuseAllocation { reasons: String },
    /// Provider: units used on a day.
    ReportUsage {
        day: Day,
        units: i64,
        #[serde(default)]
        note: Option<String>,
    },
    /// Awardee: ask to use it until a later day.
    RequestExtension { until: Day, reasons: String },
    /// Programme manager: decide the extension asked for.
    DecideExtension { approve: bool, reasons: String },
    /// The server: a reminder of the last day (30, 14, 7 or 0 days before).
    Remind { days: u16 },
    /// The server: the last day passed; the allocation ends.
    Expire,
    /// The server: the provider let its deadline pass; the request lapses
    /// and the credits return to the award.
    Lapse,
    /// Awardee: take back a request the provider has not decided.
    WithdrawAllocation,
}

/// The steps only the server's sweep takes (the policies forbid them to
/// everyone else).
pub const SWEEP_STEPS: &[&str] = &["remind", "expire", "lapse"];

impl AllocationStep {
    /// Every step's name, in the order of [`Self::name`].
    pub const NAMES: &'static [&'static str] = &[
        "approve_allocation",
        "refuse_allocation",
        "report_usage",
        "request_extension",
        "decide_extension",
        "remind",
        "expire",
        "lapse",
        "withdraw_allocation",
    ];

    pub fn name(&self) -> &'static str {
        match self {
            AllocationStep::ApproveAllocation { .. } => "approve_allocation",
            AllocationStep::RefuseAllocation { .. } => "refuse_allocation",
            AllocationStep::ReportUsage { .. } => "report_usage",
            AllocationStep::RequestExtension { .. } => "request_extension",
            AllocationStep::DecideExtension { .. } => "decide_extension",
            AllocationStep::Remind { .. } => "remind",
            AllocationStep::Expire => "expire",
            AllocationStep::Lapse => "lapse",
            AllocationStep::WithdrawAllocation => "withdraw_allocation",
        }
    }
}

fn state_of(case: &Case) -> AllocationState {
    match &case.body {
        CaseBody::Allocation { state, .. } => *state,
        _ => AllocationState::Refused,
    }
}

fn set_state(case: &mut Case, to: AllocationState) {
    if let CaseBody::Allocation { state, .. } = &mut case.body {
        *state = to;
    }
}

/// A grant of the library's dataset to the awardee until `until`, opened
/// by an allocation (the library's own access mechanism decides downloads).
fn dataset_grant(
    id: CaseId,
    allocation: &Case,
    body: &Allocation,
    dataset: DatasetId,
    from: Day,
    until: Day,
    now: Timestamp,
) -> Case {
    let mut grant = Case::new(
        id,
        CaseBody::DataAccess {
            state: AccessState::Granted,
            body: Some(DataAccess {
                dataset_id: dataset,
                requester: body.awardee,
                purpose: format!("Allocation {} of an award", allocation.number),
                system_id: None,
                granted_until: Some(until),
                conditions: Some(format!("from {from}, under the award's terms")),
                reasons: None,
            }),
        },
        now,
    );
    grant.organisation_id = Some(body.provider_organisation_id);
    grant.links = vec![allocation.id];
    grant.open = false;
    grant
}

/// A step on an allocation. `grant_id` is the id a dataset grant opened by
/// this step takes.
pub fn allocation_step(
    ctx: &AllocationContext<'_>,
    current: &Case,
    step: AllocationStep,
    grant_id: CaseId,
) -> Result<Stepped, Refusal> {
    use AllocationState as S;
    let state = state_of(current);
    let today = ctx.today();
    let mut case = next(current, ctx.now);
    let Some(body) = case.allocation().cloned() else {
        return Err(refuse_state(
            current.state(),
            "the case is not an allocation",
        ));
    };
    let awardee = Recipient::Account(body.awardee);
    let mut notices = Vec::new();
    let mut opened = None;
    let mut b = body.clone();
    let event = match step {
        AllocationStep::ApproveAllocation {
            instructions,
            renewable,
        } => {
            require_state(state, &[S::Requested], "approve_allocation")?;
            let starts = b.starts.max(today);
            let min = i64::from(ctx.call.min_usable_days);
            if b.ends < starts.plus_days(min - 1) {
                return Err(refuse_state(
                    state.as_str(),
                    format!(
                        "approved today it would leave less than the call's {min} usable days: refuse it, and the awardee can ask again for a later period"
                    ),
                ));
            }
            b.starts = starts;
            b.renewable = renewable;
            b.approved_at = Some(ctx.now);
            b.instructions = match instructions {
                Some(i) if !i.trim().is_empty() => Some(text("instructions", &i)?),
                _ => None,
            };
            if let Some(dataset) = ctx.resource.dataset_id {
                opened = Some(dataset_grant(
                    grant_id, current, &b, dataset, starts, b.ends, ctx.now,
                ));
                b.grants.push(grant_id);
            }
            set_state(&mut case, S::Active);
            case.deadline = None;
            notices.push(notice(
                awardee.clone(),
                "notice-allocation-approved",
                &[("until", b.ends.to_string())],
                format!(
                    "Your allocation was approved; it can be used until {}.",
                    b.ends
                ),
            ));
            "allocation.approved"
        }
        AllocationStep::RefuseAllocation { reasons } => {
            require_state(state, &[S::Requested], "refuse_allocation")?;
            b.reasons = Some(text("reasons", &reasons)?);
            set_state(&mut case, S::Refused);
            case.open = false;
            case.deadline = None;
            notices.push(notice(
                awardee.clone(),
                "notice-allocation-refused",
                &[],
                "Your allocation was refused; the credits are back on the award.".into(),
            ));
            "allocation.refused"
        }
        AllocationStep::ReportUsage { day, units, note } => {
            require_state(state, &[S::Active, S::Expired], "report_usage")?;
            let mut problems = Problems::new();
            if day < b.starts || day > b.ends {
                problems.add(
                    "day",
                    format!("must be within the allocation, {} to {}", b.starts, b.ends),
                );
            }
            if day > today {
                problems.add("day", "must not be in the future");
            }
            if units < 1 || units > b.units - b.used {
                problems.add(
                    "units",
                    format!(
                        "must be from 1 to what is left of the allocation, {} of {} {}",
                        b.units - b.used,
                        b.units,
                        b.unit
                    ),
                );
            }
            let note = match note {
                Some(n) if !n.trim().is_empty() => {
                    problems.check("note", crate::error::bounded_text(&n, 2_000))
                }
                _ => None,
            };
            problems.finish(|| Some(())).map_err(Refusal::Invalid)?;
            b.used += units;
            b.usage.push(UsageRecord {
                day,
                units,
                at: ctx.now,
                note,
            });
            "allocation.usage_reported"
        }
        AllocationStep::RequestExtension { until, reasons } => {
            require_state(state, &[S::Active], "request_extension")?;
            if !b.renewable {
                return Err(refuse_state(
                    state.as_str(),
                    "the provider approved this allocation as not renewable",
                ));
            }
            if b.extension.is_some() {
                return Err(refuse_state(
                    state.as_str(),
                    "an extension is already waiting for a decision",
                ));
            }
            if until <= b.ends {
                return Err(invalid(
                    "until",
                    format!("must be after the allocation's last day, {}", b.ends),
                ));
            }
            if until > b.ends.plus_days(366) {
                return Err(invalid("until", "an extension is at most a year"));
            }
            if let Some(last) = b.award_until.filter(|last| until > *last) {
                return Err(invalid(
                    "until",
                    format!("must not be after the award's last usable day, {last}"),
                ));
            }
            b.extension = Some(Extension {
                until,
                reasons: text("reasons", &reasons)?,
                requested_at: ctx.now,
                approved: None,
                decision: None,
            });
            case.deadline = Some(Deadline::start(
                ctx.calendar,
                "extension_decision",
                EXTENSION_DAYS,
                today,
            ));
            notices.push(notice(
                Recipient::Organisation(b.programme_organisation_id),
                "notice-extension-requested",
                &[],
                "An awardee asks to extend an allocation.".into(),
            ));
            "allocation.extension_requested"
        }
        AllocationStep::DecideExtension { approve, reasons } => {
            require_state(state, &[S::Active], "decide_extension")?;
            let Some(mut ext) = b.extension.take() else {
                return Err(refuse_state(state.as_str(), "no extension was asked for"));
            };
            ext.approved = Some(approve);
            ext.decision = Some(text("reasons", &reasons)?);
            if approve {
                if let Some(dataset) = ctx.resource.dataset_id {
                    opened = Some(dataset_grant(
                        grant_id,
                        current,
                        &b,
                        dataset,
                        b.ends.next(),
                        ext.until,
                        ctx.now,
                    ));
                    b.grants.push(grant_id);
                }
                b.ends = ext.until;
                // The reminders start again for the new last day.
                b.reminded.clear();
            }
            notices.push(notice(
                awardee.clone(),
                if approve {
                    "notice-extension-approved"
                } else {
                    "notice-extension-refused"
                },
                &[("until", b.ends.to_string())],
                if approve {
                    format!("Your allocation was extended until {}.", b.ends)
                } else {
                    "Your request to extend an allocation was refused.".into()
                },
            ));
            b.extensions.push(ext);
            case.deadline = None;
            if approve {
                "allocation.extended"
            } else {
                "allocation.extension_refused"
            }
        }
        AllocationStep::Remind { days } => {
            require_state(state, &[S::Active], "remind")?;
            if reminder_due(ctx.calendar, &b, today) != Some(days) {
                return Err(refuse_state(
                    state.as_str(),
                    format!("no reminder {days} days before the last day is due today"),
                ));
            }
            // A later reminder makes the earlier ones moot (after downtime).
            for d in REMINDER_DAYS {
                if d >= days && !b.reminded.contains(&d) {
                    b.reminded.push(d);
                }
            }
            notices.push(notice(
                awardee.clone(),
                "notice-allocation-ending",
                &[("until", b.ends.to_string())],
                format!("Your allocation can be used until {}.", b.ends),
            ));
            "allocation.reminded"
        }
        AllocationStep::Lapse => {
            require_state(state, &[S::Requested], "lapse")?;
            if !current.overdue(today) {
                return Err(refuse_state(
                    state.as_str(),
                    "the provider's deadline has not passed",
                ));
            }
            b.reasons = Some(
                "The provider did not decide within five working days; the credits are back on the award."
                    .into(),
            );
            set_state(&mut case, S::Refused);
            case.open = false;
            case.deadline = None;
            notices.push(notice(
                awardee.clone(),
                "notice-allocation-lapsed",
                &[],
                "Your exchange lapsed: the provider did not decide in time; the credits are back on the award.".into(),
            ));
            notices.push(notice(
                Recipient::Organisation(b.provider_organisation_id),
                "notice-allocation-lapsed-provider",
                &[],
                "An exchange for one of your resources lapsed undecided.".into(),
            ));
            "allocation.lapsed"
        }
        AllocationStep::WithdrawAllocation => {
            require_state(state, &[S::Requested], "withdraw_allocation")?;
            set_state(&mut case, S::Withdrawn);
            case.open = false;
            case.deadline = None;
            notices.push(notice(
                Recipient::Organisation(b.provider_organisation_id),
                "notice-allocation-withdrawn",
                &[],
                "An awardee withdrew an exchange for one of your resources.".into(),
            ));
            "allocation.withdrawn"
        }
        AllocationStep::Expire => {
            require_state(state, &[S::Active], "expire")?;
            if b.extension.is_some() {
                // The awardee asked in time; the programme's decision, not
                // the calendar, ends it.
                return Err(refuse_state(
                    state.as_str(),
                    "an extension waits for the programme's decision",
                ));
            }
            if today <= b.ends {
                return Err(refuse_state(
                    state.as_str(),
                    format!("the allocation runs until {}", b.ends),
                ));
            }
            set_state(&mut case, S::Expired);
            case.open = false;
            case.deadline = None;
            b.extension = None;
            notices.push(notice(
                awardee,
                "notice-allocation-expired",
                &[],
                "An allocation of yours has ended.".into(),
            ));
            "allocation.expired"
        }
    };
    if let Some(slot) = case.allocation_mut() {
        *slot = b;
    }
    let mut stepped = Stepped::new(case, event);
    stepped.notices = notices;
    stepped.opened = opened;
    Ok(stepped)
}

/// The reminder due on `today`, if one is: the smallest of 30, 14, 7 and 0
/// days before the last day whose working day (the day itself, or the last
/// working day before it) has come and which was not sent.
pub fn reminder_due(calendar: &Calendar, allocation: &Allocation, today: Day) -> Option<u16> {
    if today > allocation.ends {
        return None;
    }
    REMINDER_DAYS
        .iter()
        .copied()
        .filter(|d| !allocation.reminded.contains(d))
        .filter(|d| {
            let on = allocation.ends.plus_days(-i64::from(*d));
            calendar.working_day_on_or_before(on) <= today
        })
        .min()
}

/// What the server's sweep does to an allocation today, if anything.
pub fn due_step(calendar: &Calendar, case: &Case, today: Day) -> Option<AllocationStep> {
    if let CaseBody::Allocation {
        state: AllocationState::Requested,
        ..
    } = &case.body
    {
        return case.overdue(today).then_some(AllocationStep::Lapse);
    }
    let CaseBody::Allocation {
        state: AllocationState::Active,
        body: Some(b),
    } = &case.body
    else {
        return None;
    };
    if today > b.ends {
        // An extension asked for in time is decided first.
        return b.extension.is_none().then_some(AllocationStep::Expire);
    }
    reminder_due(calendar, b, today).map(|days| AllocationStep::Remind { days })
}

#[cfg(test)]
mod tests;
