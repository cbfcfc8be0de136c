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

use crate::access::{AccessState, DataAccess};
use crate::allocation::{Allocation, AllocationState};
use crate::application::{Application, ApplicationState};
use crate::education::{Enrolment, EnrolmentState};
use crate::oversight::{
    Audit, AuditState, Investigation, InvestigationState, Report, ReportState,
    TrustedListApplication, TrustedListState,
};
use crate::sandbox::{Sandbox, SandboxState};

vocabulary!(
    /// What a case is about.
    CaseKind {
        Registration => "registration",
        Report => "report",
        Audit => "audit",
        Investigation => "investigation",
        TrustedList => "trusted_list",
        DataAccess => "data_access",
        Application => "application",
        Allocation => "allocation",
        Enrolment => "enrolment",
        Sandbox => "sandbox",
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
            CaseKind::Application => "APP",
            CaseKind::Allocation => "ALC",
            CaseKind::Enrolment => "ENR",
            CaseKind::Sandbox => "SBX",
        }
    }

    /// The steps a case of this kind takes through `POST /api/v1/cases/{id}/steps`,
    /// by name; each is also the access policy's action `case.{name}`.
    pub fn steps(self) -> &'static [&'static str] {
        match self {
            CaseKind::Registration => crate::registration::Step::NAMES,
            CaseKind::Report => crate::oversight::ReportStep::NAMES,
            CaseKind::Audit => crate::oversight::AuditStep::NAMES,
            CaseKind::Investigation => crate::oversight::InvestigationStep::NAMES,
            CaseKind::TrustedList => crate::oversight::ListStep::NAMES,
            CaseKind::DataAccess => crate::access::AccessStep::NAMES,
            CaseKind::Application => crate::application::ApplicationStep::NAMES,
            CaseKind::Allocation => crate::allocation::AllocationStep::NAMES,
            CaseKind::Enrolment => crate::education::EnrolmentStep::NAMES,
            CaseKind::Sandbox => crate::sandbox::SandboxStep::NAMES,
        }
    }
}

/// A case as stored and served: what every kind shares, and its [`CaseBody`].
///
/// On the wire (the API, the store's `data` column, the log's event
/// payloads) a case is the flat JSON object of [`wire::Case`]: `kind` and
/// `state` as strings and the kind's body under its own key. The log commits
/// to those bytes, so the typed form converts to and from exactly that shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "wire::Case", into = "wire::Case")]
pub struct Case {
    pub id: CaseId,
    /// Human-readable and unique, e.g. `REG-2026-000042`; given by the store.
    pub number: String,
    /// Open cases are worked on; closed ones are history.
    pub open: bool,
    pub system_id: Option<SystemId>,
    /// The organisation the case concerns (a system's owner).
    pub organisation_id: Option<OrganisationId>,
    /// The organisation operating the system, when another.
    pub holder_organisation_id: Option<OrganisationId>,
    /// The ETag: every step names the revision it was decided on.
    pub revision: i64,
    /// The authority's running deadline, if one runs.
    pub deadline: Option<Deadline>,
    /// Accounts working on the case (reviewers, an auditor), for their queues.
    pub assignees: Vec<AccountId>,
    /// Related cases: the report an investigation came from, duplicates, ...
    pub links: Vec<CaseId>,
    /// The kind, its state and its body.
    pub body: CaseBody,
    /// Personal data of people outside the register (a complainant's
    /// contact details): shown to the authority only, and only as a digest
    /// in the log.
    pub private: Option<PrivatePart>,
    /// The officials' electronic digital signatures of its decisions, in
    /// the order they were taken (issue 21).
    pub signatures: Vec<StepSignature>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The steps that are decisions an official may sign with their electronic
/// digital signature, and a deployment may require signed (issue 21): a
/// supervisor's decision on a registration, its suspension, reinstatement
/// or revocation, a sanction and the decision on its appeal, closing an
/// investigation without one, an expert's recommendation, an audit's
/// report.
pub const SIGNED_STEPS: [&str; 9] = [
    "recommend",
    "decide",
    "suspend",
    "reinstate",
    "revoke",
    "decide_violation",
    "close_investigation",
    "decide_appeal",
    "close_audit",
];

/// An official's electronic digital signature of a step (issue 21): what
/// anyone who may read the case may check of it. The signature (a CMS
/// message) and the document it signs are kept as files by their SHA-256
/// and downloaded from the case; the signer's IIN is in the certificate
/// inside the signature, never in this record or the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct StepSignature {
    /// The step signed.
    pub step: String,
    /// The case's revision the step was decided on.
    pub revision: i64,
    /// The SHA-256 of the signature (CMS, DER), hex.
    pub signature_sha256: String,
    /// The SHA-256 of the document signed, hex.
    pub document_sha256: String,
    /// The signer, as their certificate names them.
    pub signer: String,
    /// Their organisation, for an organisation's key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation: Option<String>,
    /// The certificate's serial number (hex) and its issuer.
    pub certificate_serial: String,
    pub issuer: String,
    /// When the server verified it.
    pub signed_at: Timestamp,
}

/// A case's kind, with the state it is in (one of the kind's own states)
/// and its body. The body is `None` only in a case's public form, which
/// shows that the case exists and where it stands.
// A case is read, stepped and written one at a time; boxing the larger
// bodies would buy nothing and cost every pattern a dereference.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseBody {
    Registration {
        state: SystemStatus,
        body: Option<Registration>,
    },
    Report {
        state: ReportState,
        body: Option<Report>,
    },
    Audit {
        state: AuditState,
        body: Option<Audit>,
    },
    Investigation {
        state: InvestigationState,
        body: Option<Investigation>,
    },
    TrustedList {
        state: TrustedListState,
        body: Option<TrustedListApplication>,
    },
    DataAccess {
        state: AccessState,
        body: Option<DataAccess>,
    },
    Application {
        state: ApplicationState,
        body: Option<Application>,
    },
    Allocation {
        state: AllocationState,
        body: Option<Allocation>,
    },
    Enrolment {
        state: EnrolmentState,
        body: Option<Enrolment>,
    },
    Sandbox {
        state: SandboxState,
        body: Option<Sandbox>,
    },
}

/// Every kind the same way: the macro keeps the per-kind lists (the kind,
/// its state's name, the body's absence) in one place.
macro_rules! each_kind {
    ($body:expr, $state:ident, $inner:ident => $e:expr) => {
        match $body {
            CaseBody::Registration {
                state: $state,
                body: $inner,
            } => $e,
            CaseBody::Report {
                state: $state,
                body: $inner,
            } => $e,
            CaseBody::Audit {
                state: $state,
                body: $inner,
            } => $e,
            CaseBody::Investigation {
                state: $state,
                body: $inner,
            } => $e,
            CaseBody::TrustedList {
                state: $state,
                body: $inner,
            } => $e,
            CaseBody::DataAccess {
                state: $state,
                body: $inner,
            } => $e,
            CaseBody::Application {
                state: $state,
                body: $inner,
            } => $e,
            CaseBody::Allocation {
                state: $state,
                body: $inner,
            } => $e,
            CaseBody::Enrolment {
                state: $state,
                body: $inner,
            } => $e,
            CaseBody::Sandbox {
                state: $state,
                body: $inner,
            } => $e,
        }
    };
}

impl CaseBody {
    pub fn kind(&self) -> CaseKind {
        match self {
            CaseBody::Registration { .. } => CaseKind::Registration,
            CaseBody::Report { .. } => CaseKind::Report,
            CaseBody::Audit { .. } => CaseKind::Audit,
            CaseBody::Investigation { .. } => CaseKind::Investigation,
            CaseBody::TrustedList { .. } => CaseKind::TrustedList,
            CaseBody::DataAccess { .. } => CaseKind::DataAccess,
            CaseBody::Application { .. } => CaseKind::Application,
            CaseBody::Allocation { .. } => CaseKind::Allocation,
            CaseBody::Enrolment { .. } => CaseKind::Enrolment,
            CaseBody::Sandbox { .. } => CaseKind::Sandbox,
        }
    }

    /// The state's name, as the wire and the pages give it.
    pub fn state(&self) -> &'static str {
        each_kind!(self, state, _body => state.as_str())
    }

    /// Drops the body, keeping the kind and the state (a case's public form).
    pub fn clear(&mut self) {
        each_kind!(self, _state, body => { *body = None; })
    }
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
    /// A new open case of the body's kind and in its state, with nothing else yet.
    pub fn new(id: CaseId, body: CaseBody, now: Timestamp) -> Case {
        Case {
            id,
            number: String::new(),
            open: true,
            system_id: None,
            organisation_id: None,
            holder_organisation_id: None,
            revision: 1,
            deadline: None,
            assignees: Vec::new(),
            links: Vec::new(),
            body,
            private: None,
            signatures: Vec::new(),
            created_at: now,
            updated_at: now,
        }
    }

    pub fn kind(&self) -> CaseKind {
        self.body.kind()
    }

    /// The state's name (the kind's own state, as the wire gives it).
    pub fn state(&self) -> &'static str {
        self.body.state()
    }

    /// The body of a registration case.
    pub fn registration(&self) -> Option<&Registration> {
        match &self.body {
            CaseBody::Registration { body, .. } => body.as_ref(),
            _ => None,
        }
    }

    pub fn registration_mut(&mut self) -> Option<&mut Registration> {
        match &mut self.body {
            CaseBody::Registration { body, .. } => body.as_mut(),
            _ => None,
        }
    }

    /// The body of a report case.
    pub fn report(&self) -> Option<&Report> {
        match &self.body {
            CaseBody::Report { body, .. } => body.as_ref(),
            _ => None,
        }
    }

    pub fn report_mut(&mut self) -> Option<&mut Report> {
        match &mut self.body {
            CaseBody::Report { body, .. } => body.as_mut(),
            _ => None,
        }
    }

    /// The body of a audit case.
    pub fn audit(&self) -> Option<&Audit> {
        match &self.body {
            CaseBody::Audit { body, .. } => body.as_ref(),
            _ => None,
        }
    }

    pub fn audit_mut(&mut self) -> Option<&mut Audit> {
        match &mut self.body {
            CaseBody::Audit { body, .. } => body.as_mut(),
            _ => None,
        }
    }

    /// The body of a investigation case.
    pub fn investigation(&self) -> Option<&Investigation> {
        match &self.body {
            CaseBody::Investigation { body, .. } => body.as_ref(),
            _ => None,
        }
    }

    pub fn investigation_mut(&mut self) -> Option<&mut Investigation> {
        match &mut self.body {
            CaseBody::Investigation { body, .. } => body.as_mut(),
            _ => None,
        }
    }

    /// The body of a trusted list case.
    pub fn trusted_list(&self) -> Option<&TrustedListApplication> {
        match &self.body {
            CaseBody::TrustedList { body, .. } => body.as_ref(),
            _ => None,
        }
    }

    pub fn trusted_list_mut(&mut self) -> Option<&mut TrustedListApplication> {
        match &mut self.body {
            CaseBody::TrustedList { body, .. } => body.as_mut(),
            _ => None,
        }
    }

    /// The body of a data access case.
    pub fn data_access(&self) -> Option<&DataAccess> {
        match &self.body {
            CaseBody::DataAccess { body, .. } => body.as_ref(),
            _ => None,
        }
    }

    pub fn data_access_mut(&mut self) -> Option<&mut DataAccess> {
        match &mut self.body {
            CaseBody::DataAccess { body, .. } => body.as_mut(),
            _ => None,
        }
    }

    pub fn application(&self) -> Option<&Application> {
        match &self.body {
            CaseBody::Application { body, .. } => body.as_ref(),
            _ => None,
        }
    }

    pub fn application_mut(&mut self) -> Option<&mut Application> {
        match &mut self.body {
            CaseBody::Application { body, .. } => body.as_mut(),
            _ => None,
        }
    }

    pub fn allocation(&self) -> Option<&Allocation> {
        match &self.body {
            CaseBody::Allocation { body, .. } => body.as_ref(),
            _ => None,
        }
    }

    pub fn enrolment(&self) -> Option<&Enrolment> {
        match &self.body {
            CaseBody::Enrolment { body, .. } => body.as_ref(),
            _ => None,
        }
    }

    pub fn sandbox(&self) -> Option<&Sandbox> {
        match &self.body {
            CaseBody::Sandbox { body, .. } => body.as_ref(),
            _ => None,
        }
    }

    pub fn sandbox_mut(&mut self) -> Option<&mut Sandbox> {
        match &mut self.body {
            CaseBody::Sandbox { body, .. } => body.as_mut(),
            _ => None,
        }
    }

    pub fn enrolment_mut(&mut self) -> Option<&mut Enrolment> {
        match &mut self.body {
            CaseBody::Enrolment { body, .. } => body.as_mut(),
            _ => None,
        }
    }

    pub fn allocation_mut(&mut self) -> Option<&mut Allocation> {
        match &mut self.body {
            CaseBody::Allocation { body, .. } => body.as_mut(),
            _ => None,
        }
    }

    /// Whether anyone may read the case's public part: registration
    /// dossiers, investigations once decided (published decisions), and
    /// awarded applications.
    /// Reports and audits are read by the parties and the authority only.
    pub fn published(&self) -> bool {
        match &self.body {
            CaseBody::Registration { .. } => true,
            CaseBody::Investigation { body, .. } => body
                .as_ref()
                .is_some_and(|i| i.sanction.is_some() || i.appeal.is_some()),
            CaseBody::TrustedList { state, .. } => *state == TrustedListState::Published,
            // An award is public: who, what, how much, for what.
            CaseBody::Application { state, .. } => {
                matches!(
                    state,
                    ApplicationState::Awarded
                        | ApplicationState::Accepted
                        | ApplicationState::Completed
                )
            }
            // What an award bought, and how much of it was used, is public.
            CaseBody::Allocation { state, .. } => {
                matches!(state, AllocationState::Active | AllocationState::Expired)
            }
            // Who is in the sandbox, under which plan, is public.
            CaseBody::Sandbox { .. } => true,
            // Who studies what is the learner's own business.
            CaseBody::Report { .. }
            | CaseBody::Audit { .. }
            | CaseBody::DataAccess { .. }
            | CaseBody::Enrolment { .. } => false,
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
    /// Documents the owner added to the dossier under review (a test
    /// report, a conformity statement), in the order added.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub documents: Vec<Documents>,
}

/// Files the owner added to a dossier in one step, with what they are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Documents {
    pub by: AccountId,
    pub at: Timestamp,
    /// What the files are, in the owner's words (kept from the public, as
    /// an answer's text is).
    pub description: String,
    /// The system version under review when they were added.
    pub version: i64,
    pub attachments: Vec<Attachment>,
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
    /// Files sent with the answer (a validation report, a test protocol).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
}

/// A file sent with a step (issue 20): kept in the blob store by its
/// SHA-256 and read only by those who may read the whole case (its parties
/// and the authority). The case records what the file is; the log, which
/// records the case, records its digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Attachment {
    /// SHA-256 of the file, 64 lower-case hexadecimal digits.
    pub sha256: String,
    /// The file's name as sent (no folders).
    pub name: String,
    /// What the file is, as its content showed it (`application/pdf`, ...).
    pub media_type: String,
    pub size: u64,
}

/// The most files one step may carry.
pub const MAX_ATTACHMENTS: usize = 10;

/// The largest file a step may carry: 25 MiB.
pub const MAX_ATTACHMENT_BYTES: u64 = 25 * 1024 * 1024;

/// The kinds of file a step may carry: (media type, the name endings it goes by).
pub const ATTACHMENT_TYPES: &[(&str, &[&str])] = &[
    ("application/pdf", &["pdf"]),
    ("image/png", &["png"]),
    ("image/jpeg", &["jpg", "jpeg"]),
    ("text/csv", &["csv"]),
    ("text/plain", &["txt", "md"]),
    (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        &["docx"],
    ),
    (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &["xlsx"],
    ),
    ("application/vnd.oasis.opendocument.text", &["odt"]),
];

impl Attachment {
    /// Checks a step's files as sent: each a known kind, named plainly,
    /// within the size; at most [`MAX_ATTACHMENTS`].
    pub fn check_all(field: &str, files: &[Attachment]) -> Result<(), crate::ValidationError> {
        let mut problems = crate::error::Problems::new();
        if files.len() > MAX_ATTACHMENTS {
            problems.add(field, format!("must be at most {MAX_ATTACHMENTS} files"));
        }
        for (i, f) in files.iter().enumerate() {
            let at = format!("{field}[{i}]");
            if f.sha256.len() != 64
                || !f
                    .sha256
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
            {
                problems.add(
                    &format!("{at}.sha256"),
                    "must be a SHA-256: 64 hexadecimal digits",
                );
            }
            if let Err(reason) = attachment_name(&f.name) {
                problems.add(&format!("{at}.name"), reason);
            }
            if !ATTACHMENT_TYPES.iter().any(|(t, _)| *t == f.media_type) {
                problems.add(&format!("{at}.media_type"), "is not a kind of file a step takes: PDF, PNG, JPEG, CSV, plain text, DOCX, XLSX or ODT");
            }
            if f.size == 0 || f.size > MAX_ATTACHMENT_BYTES {
                problems.add(&format!("{at}.size"), "must be from 1 byte to 25 MiB");
            }
        }
        problems.finish(|| Some(()))
    }
}

/// A file's name as a step keeps it: 1 to 200 characters, no folders, no
/// control characters.
pub fn attachment_name(name: &str) -> Result<String, String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err("must be 1 to 200 characters".into());
    }
    if name.contains(['/', '\\']) || name.chars().any(char::is_control) || name.starts_with('.') {
        return Err("must be a plain file name, without folders".into());
    }
    Ok(name.to_string())
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
    /// Sectors whose cases the pool does not give the reviewer: each asks
    /// for a course's certificate the reviewer does not hold.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub uncertified: Vec<Sector>,
    /// Organisations the reviewer's account belonged to before, and the
    /// day each membership ended (kept by the store from the account's
    /// changes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub former: Vec<Affiliation>,
}

/// An organisation an account belonged to until a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Affiliation {
    pub organisation_id: OrganisationId,
    pub until: Day,
}

/// How long a reviewer's former organisation stays a conflict of interest,
/// in months after they left it.
pub const FORMER_ORGANISATION_MONTHS: u32 = 24;

impl Candidate {
    /// Whether the reviewer left one of `parties` less than
    /// [`FORMER_ORGANISATION_MONTHS`] before `today`.
    pub fn recently_left(&self, parties: &[OrganisationId], today: Day) -> bool {
        self.former.iter().any(|a| {
            parties.contains(&a.organisation_id)
                && a.until.plus_months(FORMER_ORGANISATION_MONTHS) >= today
        })
    }
}

/// Why a reviewer of the pool may not review a case whose parties are
/// `parties` (a system's owner and holder, an applicant) and whose sectors
/// are `sectors`, if they may not.
pub fn ineligible_reviewer(
    c: &Candidate,
    parties: &[OrganisationId],
    sectors: &[Sector],
    today: Day,
) -> Option<&'static str> {
    if c.uncertified.iter().any(|s| sectors.contains(s)) {
        return Some("lacks the course certificate the pool requires for the case's sector");
    }
    if !c.active {
        return Some("is not an active reviewer in the pool");
    }
    if c.organisation_id.is_some_and(|o| parties.contains(&o)) {
        return Some("belongs to the owner's or the holder's organisation");
    }
    if c.conflicts.iter().any(|o| parties.contains(o)) {
        return Some("has declared a conflict of interest with the owner or the holder");
    }
    if c.recently_left(parties, today) {
        return Some(
            "belonged to the owner's or the holder's organisation within the last two years",
        );
    }
    None
}

/// Picks up to `wanted` reviewers for a case whose parties are `parties`:
/// eligible ones not `excluded`, those competent in one of `sectors` first,
/// then the least loaded, then by id.
pub fn choose_reviewers(
    pool: &[Candidate],
    parties: &[OrganisationId],
    sectors: &[Sector],
    today: Day,
    excluded: &std::collections::BTreeSet<AccountId>,
    wanted: usize,
) -> Vec<AccountId> {
    let mut eligible: Vec<&Candidate> = pool
        .iter()
        .filter(|c| {
            ineligible_reviewer(c, parties, sectors, today).is_none()
                && !excluded.contains(&c.account_id)
        })
        .collect();
    eligible.sort_by_key(|c| {
        let competent = c.sectors.iter().any(|s| sectors.contains(s));
        (!competent, c.load, c.account_id)
    });
    eligible
        .into_iter()
        .take(wanted)
        .map(|c| c.account_id)
        .collect()
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

/// A notice with message `key` and its `args`, and `text`, the same message
/// in English (every kind's steps leave them).
pub(crate) fn notice(
    recipient: Recipient,
    key: &str,
    args: &[(&str, String)],
    text: String,
) -> Notice {
    Notice::new(recipient, key, args, text)
}

/// The pack's deadline for the answer to a question put to a system's owner
/// (a registration's information request, a report forwarded to its owner).
pub const ANSWER_DEADLINE: &str = "information_request_answer";

/// Working days used when a pack names no deadline for a step.
pub const DEFAULT_DEADLINE_DAYS: u32 = 20;

/// Longest reasons, questions and answers, in characters.
pub const MAX_REASONS_CHARS: usize = 10_000;

/// A required text of a step: trimmed, not empty, at most 10,000 characters.
pub(crate) fn text(field: &str, value: &str) -> Result<String, Refusal> {
    crate::error::bounded_text(value, MAX_REASONS_CHARS).map_err(|r| invalid(field, r))
}

/// Refuses a step unless the case's `state` is one of `allowed`, naming it.
pub(crate) fn require_state<S>(state: S, allowed: &[S], step: &str) -> Result<(), Refusal>
where
    S: Copy + PartialEq + std::fmt::Display,
{
    if allowed.contains(&state) {
        return Ok(());
    }
    let names: Vec<String> = allowed.iter().map(ToString::to_string).collect();
    Err(refuse_state(
        &state.to_string(),
        format!(
            "`{step}` is possible when the case is {}; it is {state}",
            names.join(" or "),
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

/// The wire form of a case, exactly as the log has committed to it.
pub mod wire {
    use serde::{Deserialize, Serialize};
    use utoipa::ToSchema;

    use super::{CaseKind, PrivatePart};
    use crate::calendar::Deadline;
    use crate::clock::Timestamp;
    use crate::ids::{AccountId, CaseId, OrganisationId, SystemId};

    /// A case as stored and served.
    #[derive(Serialize, Deserialize, ToSchema)]
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
        pub registration: Option<super::Registration>,
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
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub application: Option<crate::application::Application>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub allocation: Option<crate::allocation::Allocation>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub enrolment: Option<crate::education::Enrolment>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub sandbox: Option<crate::sandbox::Sandbox>,
        /// Personal data of people outside the register (a complainant's
        /// contact details): shown to the authority only, and only as a digest
        /// in the log.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub private: Option<PrivatePart>,
        /// The officials' electronic digital signatures of its decisions.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        pub signatures: Vec<super::StepSignature>,
        pub created_at: Timestamp,
        pub updated_at: Timestamp,
    }
}

impl From<Case> for wire::Case {
    fn from(case: Case) -> wire::Case {
        let kind = case.body.kind();
        let state = case.body.state().to_string();
        let mut wire = wire::Case {
            id: case.id,
            kind,
            number: case.number,
            state,
            open: case.open,
            system_id: case.system_id,
            organisation_id: case.organisation_id,
            holder_organisation_id: case.holder_organisation_id,
            revision: case.revision,
            deadline: case.deadline,
            assignees: case.assignees,
            links: case.links,
            registration: None,
            report: None,
            audit: None,
            investigation: None,
            trusted_list: None,
            data_access: None,
            application: None,
            allocation: None,
            enrolment: None,
            sandbox: None,
            private: case.private,
            signatures: case.signatures,
            created_at: case.created_at,
            updated_at: case.updated_at,
        };
        match case.body {
            CaseBody::Registration { body, .. } => wire.registration = body,
            CaseBody::Report { body, .. } => wire.report = body,
            CaseBody::Audit { body, .. } => wire.audit = body,
            CaseBody::Investigation { body, .. } => wire.investigation = body,
            CaseBody::TrustedList { body, .. } => wire.trusted_list = body,
            CaseBody::DataAccess { body, .. } => wire.data_access = body,
            CaseBody::Application { body, .. } => wire.application = body,
            CaseBody::Allocation { body, .. } => wire.allocation = body,
            CaseBody::Enrolment { body, .. } => wire.enrolment = body,
            CaseBody::Sandbox { body, .. } => wire.sandbox = body,
        }
        wire
    }
}

impl TryFrom<wire::Case> for Case {
    type Error = String;

    /// Refuses a state the kind does not have, and a body of another kind.
    fn try_from(wire: wire::Case) -> Result<Case, String> {
        let kind = wire.kind;
        let name = wire.state.as_str();
        let mut bodies = [
            (CaseKind::Registration, wire.registration.is_some()),
            (CaseKind::Report, wire.report.is_some()),
            (CaseKind::Audit, wire.audit.is_some()),
            (CaseKind::Investigation, wire.investigation.is_some()),
            (CaseKind::TrustedList, wire.trusted_list.is_some()),
            (CaseKind::DataAccess, wire.data_access.is_some()),
            (CaseKind::Application, wire.application.is_some()),
            (CaseKind::Allocation, wire.allocation.is_some()),
            (CaseKind::Enrolment, wire.enrolment.is_some()),
            (CaseKind::Sandbox, wire.sandbox.is_some()),
        ]
        .into_iter()
        .filter(|(other, present)| *present && *other != kind);
        if let Some((other, _)) = bodies.next() {
            return Err(format!("a {kind} case has a `{other}` body"));
        }
        let body = match kind {
            CaseKind::Registration => CaseBody::Registration {
                state: parse_state(kind, name)?,
                body: wire.registration,
            },
            CaseKind::Report => CaseBody::Report {
                state: parse_state(kind, name)?,
                body: wire.report,
            },
            CaseKind::Audit => CaseBody::Audit {
                state: parse_state(kind, name)?,
                body: wire.audit,
            },
            CaseKind::Investigation => CaseBody::Investigation {
                state: parse_state(kind, name)?,
                body: wire.investigation,
            },
            CaseKind::TrustedList => CaseBody::TrustedList {
                state: parse_state(kind, name)?,
                body: wire.trusted_list,
            },
            CaseKind::DataAccess => CaseBody::DataAccess {
                state: parse_state(kind, name)?,
                body: wire.data_access,
            },
            CaseKind::Application => CaseBody::Application {
                state: parse_state(kind, name)?,
                body: wire.application,
            },
            CaseKind::Allocation => CaseBody::Allocation {
                state: parse_state(kind, name)?,
                body: wire.allocation,
            },
            CaseKind::Enrolment => CaseBody::Enrolment {
                state: parse_state(kind, name)?,
                body: wire.enrolment,
            },
            CaseKind::Sandbox => CaseBody::Sandbox {
                state: parse_state(kind, name)?,
                body: wire.sandbox,
            },
        };
        Ok(Case {
            id: wire.id,
            number: wire.number,
            open: wire.open,
            system_id: wire.system_id,
            organisation_id: wire.organisation_id,
            holder_organisation_id: wire.holder_organisation_id,
            revision: wire.revision,
            deadline: wire.deadline,
            assignees: wire.assignees,
            links: wire.links,
            body,
            private: wire.private,
            signatures: wire.signatures,
            created_at: wire.created_at,
            updated_at: wire.updated_at,
        })
    }
}

fn parse_state<S: std::str::FromStr<Err = String>>(
    kind: CaseKind,
    name: &str,
) -> Result<S, String> {
    name.parse()
        .map_err(|e| format!("state of a {kind} case: {e}"))
}

/// The schema of a case is its wire form's (the OpenAPI document names it `Case`).
impl utoipa::PartialSchema for Case {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        <wire::Case as utoipa::PartialSchema>::schema()
    }
}

impl ToSchema for Case {
    fn name() -> std::borrow::Cow<'static, str> {
        <wire::Case as ToSchema>::name()
    }

    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        <wire::Case as ToSchema>::schemas(schemas)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The variants serde knows for a step enum, from its refusal of an unknown one.
    fn variants<T: serde::de::DeserializeOwned>() -> Vec<String> {
        let Err(e) = serde_json::from_str::<T>(r#"{"action":"no_such_step"}"#) else {
            panic!("an unknown step was accepted");
        };
        let e = e.to_string();
        let list = e.split("expected one of ").nth(1).unwrap();
        let list = list.split(" at line").next().unwrap();
        list.split(", ")
            .map(|v| v.trim_matches('`').to_string())
            .collect()
    }

    #[test]
    fn the_pool_offers_no_reviewer_without_the_certificate_a_sector_requires() {
        use crate::profile::Sector;
        let certified = Candidate {
            account_id: AccountId::generate(),
            organisation_id: None,
            sectors: vec![Sector::Healthcare],
            conflicts: vec![],
            load: 5,
            active: true,
            uncertified: vec![],
            former: vec![],
        };
        let uncertified = Candidate {
            account_id: AccountId::generate(),
            load: 0,
            uncertified: vec![Sector::Healthcare],
            ..certified.clone()
        };
        let pool = [certified.clone(), uncertified.clone()];
        let none = std::collections::BTreeSet::new();
        let today = Day::parse("2027-03-01").unwrap();
        assert!(ineligible_reviewer(&uncertified, &[], &[Sector::Healthcare], today).is_some());
        assert!(ineligible_reviewer(&uncertified, &[], &[Sector::Finance], today).is_none());
        // The less loaded reviewer lacks the certificate: only the other is chosen.
        assert_eq!(
            choose_reviewers(&pool, &[], &[Sector::Healthcare], today, &none, 2),
            vec![certified.account_id]
        );
        assert_eq!(
            choose_reviewers(&pool, &[], &[Sector::Finance], today, &none, 1),
            vec![uncertified.account_id]
        );
    }

    #[test]
    fn a_reviewer_who_left_a_party_stays_in_conflict_for_two_years() {
        let owner = OrganisationId::generate();
        let c = Candidate {
            account_id: AccountId::generate(),
            organisation_id: Some(OrganisationId::generate()),
            sectors: vec![],
            conflicts: vec![],
            load: 0,
            active: true,
            uncertified: vec![],
            former: vec![Affiliation {
                organisation_id: owner,
                until: Day::parse("2025-02-28").unwrap(),
            }],
        };
        let day = |d: &str| Day::parse(d).unwrap();
        // Two years to the day is still within; the day after is not.
        assert!(ineligible_reviewer(&c, &[owner], &[], day("2027-02-28")).is_some());
        assert!(ineligible_reviewer(&c, &[owner], &[], day("2027-03-01")).is_none());
        // Another party's reviewer is not concerned by it.
        let other = OrganisationId::generate();
        assert!(ineligible_reviewer(&c, &[other], &[], day("2026-01-01")).is_none());
        let none = std::collections::BTreeSet::new();
        assert!(choose_reviewers(
            std::slice::from_ref(&c),
            &[owner],
            &[],
            day("2026-06-01"),
            &none,
            1
        )
        .is_empty());
        assert_eq!(
            choose_reviewers(
                std::slice::from_ref(&c),
                &[owner],
                &[],
                day("2027-06-01"),
                &none,
                1
            ),
            vec![c.account_id]
        );
    }

    #[test]
    fn each_kind_lists_exactly_the_steps_its_step_enum_takes() {
        let known = [
            (
                CaseKind::Registration,
                variants::<crate::registration::Step>(),
            ),
            (CaseKind::Report, variants::<crate::oversight::ReportStep>()),
            (CaseKind::Audit, variants::<crate::oversight::AuditStep>()),
            (
                CaseKind::Investigation,
                variants::<crate::oversight::InvestigationStep>(),
            ),
            (
                CaseKind::TrustedList,
                variants::<crate::oversight::ListStep>(),
            ),
            (
                CaseKind::DataAccess,
                variants::<crate::access::AccessStep>(),
            ),
            (
                CaseKind::Application,
                variants::<crate::application::ApplicationStep>(),
            ),
            (
                CaseKind::Allocation,
                variants::<crate::allocation::AllocationStep>(),
            ),
            (
                CaseKind::Enrolment,
                variants::<crate::education::EnrolmentStep>(),
            ),
            (CaseKind::Sandbox, variants::<crate::sandbox::SandboxStep>()),
        ];
        for (kind, variants) in known {
            assert_eq!(kind.steps(), variants, "{kind}");
        }
    }

    #[test]
    fn step_names_are_unique_across_kinds() {
        let mut all: Vec<&str> = CaseKind::ALL
            .iter()
            .flat_map(|k| k.steps())
            .copied()
            .collect();
        let count = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), count);
    }
}
