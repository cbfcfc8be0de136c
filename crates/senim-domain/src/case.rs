//! Cases: the authority's files, each a state machine whose every step is an
//! event in the log.
//!
//! One mechanism carries all of the authority's work: a case has a kind, a
//! state, a revision (the ETag every step must name), the accounts working on
//! it, a deadline counted in working days and a body for its kind. A step is a
//! pure function from the case as read to the case after the step; the store
//! writes the result only if the revision is still the one read, so two
//! people acting on the same case at once cannot both win.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::account::Role;
use crate::calendar::{Day, Deadline};
use crate::classification::PackRef;
use crate::clock::Timestamp;
use crate::ids::{AccountId, CaseId, OrganisationId, SystemId};
use crate::profile::vocabulary;
use crate::profile::Sector;
use crate::system::{DocumentationItem, RiskLevel, SystemStatus};

vocabulary!(
    /// What a case is about.
    CaseKind {
        Registration => "registration",
    }
);

impl CaseKind {
    /// The prefix of its human-readable number (`REG-2026-000042`).
    pub fn number_prefix(self) -> &'static str {
        match self {
            CaseKind::Registration => "REG",
        }
    }
}

/// A case as stored and served.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Case {
    pub id: CaseId,
    pub kind: CaseKind,
    /// Human-readable and unique, e.g. `REG-2026-000042`; given by the store.
    pub number: String,
    /// The state, one of the kind's states (for a registration, a system status).
    pub state: String,
    /// Open cases are worked on; closed ones are history.
    pub open: bool,
    pub system_id: Option<SystemId>,
    /// The organisation the case concerns (a system's owner).
    pub organisation_id: Option<OrganisationId>,
    /// The organisation operating the system, when another.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holder_organisation_id: Option<OrganisationId>,
    /// The ETag: every step names the revision it was decided on.
    pub revision: i64,
    /// The authority's running deadline, if one runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<Deadline>,
    /// Accounts working on the case (reviewers, an auditor), for their queues.
    pub assignees: Vec<AccountId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration: Option<Registration>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Case {
    /// The day the authority must act by, when a clock runs.
    pub fn due(&self) -> Option<Day> {
        self.deadline.as_ref().and_then(|d| d.due)
    }

    pub fn overdue(&self, today: Day) -> bool {
        self.open && self.deadline.as_ref().is_some_and(|d| d.overdue(today))
    }
}

vocabulary!(
    /// What a reviewer or the supervisor concludes.
    Verdict {
        Register => "register",
        Refuse => "refuse",
    }
);

vocabulary!(
    /// A reviewer's mark on one checklist item.
    CheckMark {
        Satisfied => "satisfied",
        Deficient => "deficient",
        NotApplicable => "not_applicable",
    }
);

vocabulary!(
    /// How a reviewer came to the case.
    AssignedBy {
        Automatic => "automatic",
        Supervisor => "supervisor",
    }
);

/// A registration dossier: one system version under the path its pack requires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Registration {
    /// The system version the dossier is about (the latest answer may move it on).
    pub version: i64,
    pub pack: PackRef,
    pub risk_level: RiskLevel,
    pub expert_review: bool,
    /// Independent reviewers the pack requires (0 without expert review).
    pub reviewers_required: u32,
    /// Every reviewer ever assigned, including those who declared a conflict.
    pub reviews: Vec<Review>,
    /// The checklist every reviewer works through: the documentation the
    /// pack requires, with whether the version provides it (the gap report).
    pub checklist: Vec<ChecklistItem>,
    pub information_requests: Vec<InformationRequest>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
    /// Suspensions, reinstatements and revocations after registration.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub measures: Vec<Measure>,
}

/// One item the reviewers check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ChecklistItem {
    pub item: DocumentationItem,
    /// Whether the version under review documents it.
    pub provided: bool,
}

/// One reviewer's part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Review {
    pub reviewer: AccountId,
    pub assigned_by: AssignedBy,
    pub assigned_at: Timestamp,
    /// The conflict-of-interest declaration, made before the dossier opens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declaration: Option<Declaration>,
    /// The reviewer's marks, by checklist item.
    #[serde(default)]
    pub marks: Vec<Mark>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recommendation: Option<Recommendation>,
}

impl Review {
    /// Still one of the case's reviewers (not replaced for a conflict).
    pub fn active(&self) -> bool {
        !self.declaration.as_ref().is_some_and(|d| d.conflict)
    }

    pub fn declared(&self) -> bool {
        self.declaration.as_ref().is_some_and(|d| !d.conflict)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Declaration {
    /// True when the reviewer has a conflict of interest and steps aside.
    pub conflict: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement: Option<String>,
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Mark {
    pub item: DocumentationItem,
    pub mark: CheckMark,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Recommendation {
    pub verdict: Verdict,
    pub reasons: String,
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct InformationRequest {
    pub by: AccountId,
    pub at: Timestamp,
    pub questions: String,
    /// The developer answers by this day.
    pub answer_due: Day,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<Answer>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Answer {
    pub by: AccountId,
    pub at: Timestamp,
    pub text: String,
    /// The system version the answer points to (a new version, when the
    /// developer changed the documentation).
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Decision {
    pub by: AccountId,
    pub at: Timestamp,
    pub verdict: Verdict,
    pub reasons: String,
}

/// A measure taken on a registered system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Measure {
    /// The status it put the system in.
    pub status: SystemStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<AccountId>,
    pub at: Timestamp,
    pub reasons: String,
}

/// A reviewer the pool can offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Candidate {
    pub account_id: AccountId,
    /// The reviewer's own organisation, if any (never the owner's or holder's).
    pub organisation_id: Option<OrganisationId>,
    /// Sectors the reviewer is competent in.
    pub sectors: Vec<Sector>,
    /// Organisations the reviewer declared a standing conflict with.
    pub conflicts: Vec<OrganisationId>,
    /// Open dossiers the reviewer works on now.
    pub load: u32,
    pub active: bool,
}

/// Who receives a notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum Recipient {
    Account(AccountId),
    /// Every account of the organisation.
    Organisation(OrganisationId),
    /// Every account holding the role.
    Role(Role),
}

/// A message to put in someone's inbox (and mail, when configured).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Notice {
    pub recipient: Recipient,
    pub text: String,
}

/// A reviewer in the pool, as a supervisor keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReviewerProfile {
    pub account_id: AccountId,
    /// Sectors the reviewer is competent in; assignment prefers them.
    pub sectors: Vec<Sector>,
    /// Organisations the reviewer has a standing conflict of interest with.
    #[serde(default)]
    pub conflicts: Vec<OrganisationId>,
    /// Whether the reviewer takes new dossiers.
    pub active: bool,
    pub updated_at: Timestamp,
}

/// What a supervisor sends to put a reviewer in the pool or change them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewerInput {
    pub sectors: Vec<Sector>,
    #[serde(default)]
    pub conflicts: Vec<OrganisationId>,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// One notice in an inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Notification {
    /// Increasing: pass the last one seen as `after` to read only newer ones.
    pub seq: i64,
    pub id: String,
    pub recipient: Recipient,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_id: Option<CaseId>,
    /// The event that left it, e.g. `registration.information_requested`.
    pub kind: String,
    pub text: String,
    pub created_at: Timestamp,
}

impl Recipient {
    /// The form stored in `notifications.recipient`.
    pub fn key(&self) -> String {
        match self {
            Recipient::Account(id) => format!("account:{id}"),
            Recipient::Organisation(id) => format!("organisation:{id}"),
            Recipient::Role(role) => format!("role:{role}"),
        }
    }

    pub fn from_key(key: &str) -> Option<Recipient> {
        let (kind, id) = key.split_once(':')?;
        match kind {
            "account" => id.parse().ok().map(Recipient::Account),
            "organisation" => id.parse().ok().map(Recipient::Organisation),
            "role" => id.parse().ok().map(Recipient::Role),
            _ => None,
        }
    }
}
