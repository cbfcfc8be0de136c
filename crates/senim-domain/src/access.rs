//! Requests for restricted data: a developer asks for a restricted dataset,
//! stating the purpose and, where there is one, the AI system it serves; a
//! steward of the dataset's organisation grants it for a limited time or
//! refuses with a reason. Each request is a case (`crate::case`), so every
//! grant and refusal is an event in the log; the requester's identity is not
//! in its public form.
//!
//! ```text
//! requested ─grant─▶ granted ─revoke_access─▶ revoked
//! requested ─refuse─▶ refused
//! ```

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::calendar::Day;
use crate::case::{
    invalid, next, notice, refuse_state, require_state, text, Case, CaseBody, Recipient, Refusal,
    Stepped,
};
use crate::clock::Timestamp;
use crate::dataset::{AccessLevel, Dataset};
use crate::ids::{AccountId, CaseId, DatasetId, SystemId};
use crate::profile::vocabulary;

vocabulary!(
    /// Where a request for restricted data stands.
    AccessState {
        Requested => "requested",
        Granted => "granted",
        Refused => "refused",
        Revoked => "revoked",
    }
);

/// The longest grant, in days.
pub const MAX_GRANT_DAYS: u32 = 366;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DataAccess {
    pub dataset_id: DatasetId,
    pub requester: AccountId,
    pub purpose: String,
    /// The registered AI system the data is for, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_id: Option<SystemId>,
    /// The last day the grant holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granted_until: Option<Day>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<String>,
    /// Why it was refused or revoked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasons: Option<String>,
}

impl DataAccess {
    /// Whether the grant holds on `today`.
    pub fn holds(&self, state: AccessState, today: Day) -> bool {
        state == AccessState::Granted && self.granted_until.is_some_and(|until| today <= until)
    }
}

/// A new request for `dataset`.
pub fn request_access(
    id: CaseId,
    dataset: &Dataset,
    requester: AccountId,
    purpose: &str,
    system_id: Option<SystemId>,
    now: Timestamp,
) -> Result<Stepped, Refusal> {
    let level = dataset.metadata.access;
    let why = match level {
        AccessLevel::Restricted => None,
        AccessLevel::Closed => Some("the dataset is closed: only its description is published"),
        AccessLevel::Open => Some("the dataset is open: anyone may download it without a request"),
        AccessLevel::Registered => {
            Some("the dataset is open to every account: sign in and download it without a request")
        }
    };
    if let Some(why) = why {
        return Err(refuse_state(level.as_str(), why));
    }
    let purpose = text("purpose", purpose)?;
    let mut case = Case::new(
        id,
        CaseBody::DataAccess {
            state: AccessState::Requested,
            body: None,
        },
        now,
    );
    case.organisation_id = Some(dataset.organisation_id);
    case.system_id = system_id;
    case.body = CaseBody::DataAccess {
        state: AccessState::Requested,
        body: Some(DataAccess {
            dataset_id: dataset.id,
            requester,
            purpose,
            system_id,
            granted_until: None,
            conditions: None,
            reasons: None,
        }),
    };
    let mut stepped = Stepped::new(case, "data_access.requested");
    stepped.notices.push(notice(
        Recipient::Organisation(dataset.organisation_id),
        "notice-access-requested",
        &[],
        "Someone asks for access to one of your restricted datasets.".into(),
    ));
    Ok(stepped)
}

/// A steward's decision on a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum AccessStep {
    /// Grant for this many days (1 to 366), with conditions if any.
    Grant {
        days: u32,
        #[serde(default)]
        conditions: Option<String>,
    },
    /// Refuse, with the reason.
    Refuse { reasons: String },
    /// End a grant early, with the reason.
    RevokeAccess { reasons: String },
}

impl AccessStep {
    /// Every step's name, in the order of [`Self::name`].
    pub const NAMES: &'static [&'static str] = &["grant", "refuse", "revoke_access"];

    pub fn name(&self) -> &'static str {
        match self {
            AccessStep::Grant { .. } => "grant",
            AccessStep::Refuse { .. } => "refuse",
            AccessStep::RevokeAccess { .. } => "revoke_access",
        }
    }
}

pub fn access_step(now: Timestamp, current: &Case, step: AccessStep) -> Result<Stepped, Refusal> {
    let mut case = next(current, now);
    let CaseBody::DataAccess {
        state,
        body: Some(access),
    } = &mut case.body
    else {
        return Err(refuse_state(
            current.state(),
            "the case is not a data access request",
        ));
    };
    let requester = access.requester;
    let (event, message) = match step {
        AccessStep::Grant { days, conditions } => {
            require_state(*state, &[AccessState::Requested], "grant")?;
            if days == 0 || days > MAX_GRANT_DAYS {
                return Err(invalid(
                    "days",
                    format!("must be between 1 and {MAX_GRANT_DAYS}"),
                ));
            }
            // `days` days including today.
            let until = Day::of(now).plus_days(i64::from(days) - 1);
            access.granted_until = Some(until);
            access.conditions = match conditions {
                Some(c) => Some(text("conditions", &c)?),
                None => None,
            };
            *state = AccessState::Granted;
            case.open = false;
            (
                "data_access.granted",
                notice(
                    Recipient::Account(requester),
                    "notice-access-granted",
                    &[("until", until.to_string())],
                    format!("Your request for data was granted until {until}."),
                ),
            )
        }
        AccessStep::Refuse { reasons } => {
            require_state(*state, &[AccessState::Requested], "refuse")?;
            access.reasons = Some(text("reasons", &reasons)?);
            *state = AccessState::Refused;
            case.open = false;
            (
                "data_access.refused",
                notice(
                    Recipient::Account(requester),
                    "notice-access-refused",
                    &[],
                    "Your request for data was refused.".to_string(),
                ),
            )
        }
        AccessStep::RevokeAccess { reasons } => {
            require_state(*state, &[AccessState::Granted], "revoke_access")?;
            access.reasons = Some(text("reasons", &reasons)?);
            *state = AccessState::Revoked;
            (
                "data_access.revoked",
                notice(
                    Recipient::Account(requester),
                    "notice-access-revoked",
                    &[],
                    "Your access to a dataset was revoked.".to_string(),
                ),
            )
        }
    };
    let mut stepped = Stepped::new(case, event);
    stepped.notices.push(message);
    Ok(stepped)
}
