//! Cases: the authority's files, each a state machine whose every step is an
//! event in the log.
//!
//! One mechanism carries all of the authority's work: a case has a kind, a
//! state, a revision (the ETag every step must name), the accounts working on
//! it, a deadline counted in working days and a body for its kind. A step is a
//! pure function from the case as read to the case after the step; the store
//! writes the result only if the revision is still the one read, so two
//! people acting on the same case at once cannot both win.

use std::collections::BTreeMap;

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
        Report => "report",
        Audit => "audit",
        Investigation => "investigation",
        TrustedList => "trusted_list",
        DataAccess => "data_access",
    }
);

impl CaseKind {
    /// The prefix of its human-readable number (`REG-2026-000042`).
    pub fn number_prefix(self) -> &'static str {
        match self {
            CaseKind::Registration => "REG",
            CaseKind::Report => "RPT",
            CaseKind::Audit => "AUD",
            CaseKind::Investigation => "INV",
            CaseKind::TrustedList => "TL",
            CaseKind::DataAccess => "DA",
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
    /// Related cases: the report an investigation came from, duplicates, ...
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<CaseId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration: Option<Registration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<crate::oversight::Report>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit: Option<crate::oversight::Audit>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub investigation: Option<crate::oversight::Investigation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trusted_list: Option<crate::oversight::TrustedListApplication>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_access: Option<crate::access::DataAccess>,
    /// Personal data of people outside the register (a complainant's
    /// contact details): shown to the authority only, and only as a digest
    /// in the log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private: Option<PrivatePart>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The private part of a case.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PrivatePart {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<Contact>,
    /// SHA-256 of the tracking code given to a submitter without an account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_hash: Option<String>,
}

/// How to reach a person who filed a report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

impl Case {
    /// A new open case in `state`, with nothing else yet.
    pub fn new(id: CaseId, kind: CaseKind, state: &str, now: Timestamp) -> Case {
        Case {
            id,
            kind,
            number: String::new(),
            state: state.to_string(),
            open: true,
            system_id: None,
            organisation_id: None,
            holder_organisation_id: None,
            revision: 1,
            deadline: None,
            assignees: Vec::new(),
            links: Vec::new(),
            registration: None,
            report: None,
            audit: None,
            investigation: None,
            trusted_list: None,
            data_access: None,
            private: None,
            created_at: now,
            updated_at: now,
        }
    }

    /// Whether anyone may read the case's public part: registration
    /// dossiers, and investigations once decided (published decisions).
    /// Reports and audits are read by the parties and the authority only.
    pub fn published(&self) -> bool {
        match self.kind {
            CaseKind::Registration => true,
            CaseKind::Investigation => self
                .investigation
                .as_ref()
                .is_some_and(|i| i.sanction.is_some() || i.appeal.is_some()),
            CaseKind::TrustedList => self.state == "published",
            CaseKind::Report | CaseKind::Audit | CaseKind::DataAccess => false,
        }
    }

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
    /// The message in English.
    pub text: String,
    /// The message's id in Senim's message catalogues (`notice-...`), so
    /// that the pages and the mail say it in the reader's language. Empty on
    /// notices written before messages had ids.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub key: String,
    /// The message's arguments by name; vocabulary values (a risk level, a
    /// report type) are given as their codes.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub args: BTreeMap<String, String>,
}

impl Notice {
    /// A notice with message `key` and its `args`, and `text`, the same
    /// message in English.
    pub fn new(recipient: Recipient, key: &str, args: &[(&str, String)], text: String) -> Notice {
        Notice {
            recipient,
            text,
            key: key.to_string(),
            args: args
                .iter()
                .map(|(name, value)| (name.to_string(), value.clone()))
                .collect(),
        }
    }
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
    /// Time-ordered: pass the last one seen as `after` to read only newer ones.
    pub id: String,
    pub recipient: Recipient,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_id: Option<CaseId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_id: Option<SystemId>,
    /// The event that left it, e.g. `registration.information_requested`.
    pub kind: String,
    /// The message in English.
    pub text: String,
    /// The message's id and arguments, as in [`Notice`].
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub key: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub args: BTreeMap<String, String>,
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

/// What a step produced.
#[derive(Debug, Clone)]
pub struct Stepped {
    pub case: Case,
    /// The event's kind, e.g. `registration.recommended`.
    pub event: &'static str,
    /// The system's new status, when the step changes it.
    pub system_status: Option<SystemStatus>,
    /// The store gives the system its registry number.
    pub assign_registry_number: bool,
    pub notices: Vec<Notice>,
    /// A case the step opens (an investigation escalated from a report).
    pub opened: Option<Case>,
}

impl Stepped {
    pub fn new(case: Case, event: &'static str) -> Stepped {
        Stepped {
            case,
            event,
            system_status: None,
            assign_registry_number: false,
            notices: Vec::new(),
            opened: None,
        }
    }
}

/// Why a step cannot be taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not in this state (409); names the current state.
    State { message: String, current: String },
    /// The caller is not the one who may take this step here (403).
    Forbidden(String),
    /// A field of the step is wrong (422).
    Invalid(crate::error::ValidationError),
}

pub(crate) fn refuse_state(case_state: &str, message: impl Into<String>) -> Refusal {
    Refusal::State {
        message: message.into(),
        current: case_state.to_string(),
    }
}

pub(crate) fn invalid(field: &str, reason: impl Into<String>) -> Refusal {
    Refusal::Invalid(crate::error::ValidationError::single(field, reason))
}

/// Longest reasons, questions and answers, in characters.
pub const MAX_REASONS_CHARS: usize = 10_000;

/// A required text of a step: trimmed, not empty, at most 10,000 characters.
pub(crate) fn text(field: &str, value: &str) -> Result<String, Refusal> {
    crate::error::bounded_text(value, MAX_REASONS_CHARS).map_err(|r| invalid(field, r))
}

/// Refuses a step unless the case is in one of `allowed`, naming its state.
pub(crate) fn require_state(case: &Case, allowed: &[&str], step: &str) -> Result<(), Refusal> {
    if allowed.contains(&case.state.as_str()) {
        return Ok(());
    }
    Err(refuse_state(
        &case.state,
        format!(
            "`{step}` is possible when the case is {}; it is {}",
            allowed.join(" or "),
            case.state
        ),
    ))
}

/// The case after a step: the next revision, touched now.
pub(crate) fn next(current: &Case, now: Timestamp) -> Case {
    let mut case = current.clone();
    case.revision += 1;
    case.updated_at = now;
    case
}
