//! Reports from the public, audits, investigations and sanctions: the
//! authority's cases besides registration, each a small state machine on
//! the same mechanism (`crate::case`).
//!
//! ```text
//! report:        received ─triage─▶ triaged ─forward─▶ forwarded ─respond_report─▶ responded
//!                any open ─merge─▶ merged · ─escalate─▶ escalated (opens an investigation) · ─close─▶ closed
//! audit:         open ─finding─▶ open ─close─▶ closed   (the owner answers findings while open)
//! investigation: open ─decide_violation─▶ decided ─appeal─▶ appealed ─decide_appeal─▶ final
//!                open ─close─▶ closed (no violation)
//! trusted list:  submitted ─check(complete)─▶ listed ─publish─▶ published ─delist─▶ delisted
//!                submitted|resubmitted ─check(deficient)─▶ deficient ─resubmit─▶ resubmitted
//!                submitted|resubmitted ─reject─▶ rejected
//! ```

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::account::Role;
use crate::calendar::{Calendar, Day, Deadline};
use crate::case::{
    invalid, next, notice, refuse_state, require_state, text, Case, CaseBody, Contact, PrivatePart,
    Recipient, Refusal, Stepped,
};
use crate::classification::{Citation, PackRef};
use crate::clock::Timestamp;
use crate::error::optional_text;
use crate::ids::{AccountId, CaseId, OrganisationId, SystemId};
use crate::organisation::SizeClass;
use crate::profile::vocabulary;
use crate::system::{System, SystemStatus};

vocabulary!(
    /// Where a report stands.
    ReportState {
        Received => "received",
        Triaged => "triaged",
        Merged => "merged",
        Forwarded => "forwarded",
        Responded => "responded",
        Escalated => "escalated",
        Closed => "closed",
    }
);

vocabulary!(
    /// Where an audit stands.
    AuditState {
        Open => "open",
        Closed => "closed",
    }
);

vocabulary!(
    /// Where an investigation stands.
    InvestigationState {
        Open => "open",
        Decided => "decided",
        Closed => "closed",
        Appealed => "appealed",
        Final => "final",
    }
);

vocabulary!(
    /// Where an application for the trusted list stands.
    TrustedListState {
        Submitted => "submitted",
        Resubmitted => "resubmitted",
        Deficient => "deficient",
        Listed => "listed",
        Rejected => "rejected",
        Published => "published",
        Delisted => "delisted",
    }
);

vocabulary!(
    /// What a member of the public reports.
    ReportType {
        Incident => "incident",
        Complaint => "complaint",
        Tip => "tip",
    }
);

vocabulary!(
    /// Which of the users' rights a complaint is about (Law 230-VIII Arts. 7, 16).
    ComplaintGround {
        Explanation => "explanation",
        Objection => "objection",
        RefusalToInteract => "refusal_to_interact",
        Discrimination => "discrimination",
    }
);

vocabulary!(
    /// How serious a report or a finding is.
    Severity {
        Low => "low",
        Medium => "medium",
        High => "high",
        Critical => "critical",
    }
);

/// What the public intake accepts, with no account.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportInput {
    #[serde(rename = "type")]
    pub report_type: ReportType,
    /// For a complaint: which right.
    #[serde(default)]
    pub ground: Option<ComplaintGround>,
    /// The system, when the submitter found it in the register.
    #[serde(default)]
    pub system_id: Option<SystemId>,
    /// The system as the submitter knows it, otherwise.
    #[serde(default)]
    pub system_name: Option<String>,
    pub description: String,
    #[serde(default)]
    pub occurred_on: Option<Day>,
    /// How to reach the submitter: private, only a digest enters the log.
    #[serde(default)]
    pub contact: Option<Contact>,
}

/// The longest description of a report, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 20_000;

/// A report from the public.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Report {
    #[serde(rename = "type")]
    pub report_type: ReportType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ground: Option<ComplaintGround>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_name: Option<String>,
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occurred_on: Option<Day>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    /// Registered systems the report concerns, as triaged.
    #[serde(default)]
    pub systems: Vec<SystemId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<CaseId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forwarded: Option<Forward>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<OwnerResponse>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub investigation: Option<CaseId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// Files the reporter sent with the report (a letter, a screenshot of a
    /// decision): confidential, read by those who may read the case whole.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<crate::case::Attachment>,
}

/// The largest file a report from the public takes (anyone may send one,
/// so less than a step's).
pub const MAX_REPORT_ATTACHMENT_BYTES: u64 = 10 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Forward {
    pub organisation_id: OrganisationId,
    pub question: String,
    pub at: Timestamp,
    pub response_due: Day,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OwnerResponse {
    pub text: String,
    pub at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<AccountId>,
    /// Files sent with the response (evidence of a correction, a test).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<crate::case::Attachment>,
}

/// A new report from the public intake. `tracking_hash` is the SHA-256 of
/// the code handed to the submitter; `system` is the one they named, if any.
pub fn open_report(
    id: CaseId,
    input: ReportInput,
    system: Option<&System>,
    tracking_hash: String,
    now: Timestamp,
) -> Result<Stepped, Refusal> {
    let description = crate::error::bounded_text(&input.description, MAX_DESCRIPTION_CHARS)
        .map_err(|r| invalid("description", r))?;
    let system_name = match input.system_name {
        Some(n) => Some(optional_text(&n, 500).map_err(|r| invalid("system_name", r))?)
            .filter(|n| !n.is_empty()),
        None => None,
    };
    if input.ground.is_some() && input.report_type != ReportType::Complaint {
        return Err(invalid("ground", "is given only for a complaint"));
    }
    if input.report_type == ReportType::Complaint && input.ground.is_none() {
        return Err(invalid(
            "ground",
            format!(
                "is required for a complaint: one of {}",
                ComplaintGround::NAMES.join(", ")
            ),
        ));
    }
    let contact = match input.contact {
        Some(c) => Some(Contact {
            name: short("contact.name", c.name)?,
            email: short("contact.email", c.email)?,
            phone: short("contact.phone", c.phone)?,
        }),
        None => None,
    }
    .filter(|c| c.name.is_some() || c.email.is_some() || c.phone.is_some());
    let mut case = Case::new(
        id,
        CaseBody::Report {
            state: ReportState::Received,
            body: None,
        },
        now,
    );
    case.system_id = system.map(|s| s.id);
    case.organisation_id = system.map(|s| s.owner_organisation_id);
    case.body = CaseBody::Report {
        state: ReportState::Received,
        body: Some(Report {
            report_type: input.report_type,
            ground: input.ground,
            system_name,
            description,
            occurred_on: input.occurred_on,
            severity: None,
            systems: system.map(|s| vec![s.id]).unwrap_or_default(),
            merged_into: None,
            forwarded: None,
            response: None,
            investigation: None,
            outcome: None,
            attachments: Vec::new(),
        }),
    };
    case.private = Some(PrivatePart {
        contact,
        tracking_hash: Some(tracking_hash),
    });
    let mut stepped = Stepped::new(case, "report.received");
    stepped.notices.push(notice(
        Recipient::Role(Role::Supervisor),
        "notice-report-received",
        &[("report_type", input.report_type.to_string())],
        format!("A new {} was reported.", input.report_type),
    ));
    Ok(stepped)
}

/// How long an open report takes in near-duplicates of itself, in days.
pub const DUPLICATE_WINDOW_DAYS: i64 = 30;

/// The words of a text, as near-duplicates are compared: runs of letters
/// and digits, lower-cased (Kazakh, Russian and English alike).
fn words(text: &str) -> std::collections::BTreeSet<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Whether two reports' texts say nearly the same: at least four in five of
/// the words either uses are used by both (a flood of one text with a word
/// changed, or the same harm reported twice by one person).
pub fn near_duplicate(a: &str, b: &str) -> bool {
    let (a, b) = (words(a), words(b));
    if a.is_empty() || b.is_empty() {
        return false;
    }
    let both = a.intersection(&b).count();
    let either = a.union(&b).count();
    both * 5 >= either * 4
}

/// The open report that `new` (just received) repeats, if any: of the same
/// type, about the same system (the same one of the register, or the same
/// name given), received within [`DUPLICATE_WINDOW_DAYS`], with nearly the
/// same text. The oldest such report wins.
pub fn duplicate_of<'a>(new: &Case, open: impl IntoIterator<Item = &'a Case>) -> Option<CaseId> {
    let CaseBody::Report {
        body: Some(new_report),
        ..
    } = &new.body
    else {
        return None;
    };
    let name = |r: &Report| r.system_name.as_deref().map(words);
    let since = new.created_at.plus_seconds(-DUPLICATE_WINDOW_DAYS * 86_400);
    open.into_iter()
        .filter(|c| c.id != new.id && c.open && c.created_at >= since)
        .filter_map(|c| match &c.body {
            CaseBody::Report {
                state,
                body: Some(r),
            } if OPEN_REPORT.contains(state) => Some((c, r)),
            _ => None,
        })
        .filter(|(c, r)| {
            r.report_type == new_report.report_type
                && c.system_id == new.system_id
                && (new.system_id.is_some() || name(r) == name(new_report))
                && near_duplicate(&r.description, &new_report.description)
        })
        .min_by_key(|(c, _)| (c.created_at, c.id))
        .map(|(c, _)| c.id)
}

/// Receives `stepped` (a report just opened) as merged into `into`, the
/// open report it repeats: the submitter keeps a number and a tracking
/// code of their own, which show the merge; the supervisors' queue holds
/// one report. The step is the supervisors' own `merge`, taken on receipt.
pub fn merge_on_receipt(stepped: &mut Stepped, into: CaseId) {
    let case = &mut stepped.case;
    if let CaseBody::Report {
        state,
        body: Some(report),
    } = &mut case.body
    {
        merge(state, report, &mut case.links, into);
        case.open = false;
        case.deadline = None;
        // The supervisors hear of the report it repeats, not of this one.
        stepped.notices.clear();
    }
}

/// What `merge` changes in a report.
fn merge(state: &mut ReportState, report: &mut Report, links: &mut Vec<CaseId>, into: CaseId) {
    report.merged_into = Some(into);
    links.push(into);
    *state = ReportState::Merged;
}

fn short(field: &str, value: Option<String>) -> Result<Option<String>, Refusal> {
    match value {
        Some(v) => {
            Ok(Some(optional_text(&v, 300).map_err(|r| invalid(field, r))?)
                .filter(|v| !v.is_empty()))
        }
        None => Ok(None),
    }
}

/// A step on a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum ReportStep {
    /// Supervisor: set the severity and link the registered systems concerned.
    Triage {
        severity: Severity,
        #[serde(default)]
        systems: Vec<SystemId>,
    },
    /// Supervisor: this report repeats another; it closes into that one.
    Merge { into: CaseId },
    /// Supervisor: ask the owner of the linked system to respond.
    Forward { question: String },
    /// Owner: the response the submitter will read.
    RespondReport {
        response: String,
        /// Files sent with the response, each stored first.
        #[serde(default)]
        attachments: Vec<crate::case::Attachment>,
    },
    /// Supervisor: open an investigation of the linked system.
    Escalate { reasons: String },
    /// Supervisor: close with an outcome the submitter will read.
    Close { outcome: String },
}

impl ReportStep {
    /// Every step's name, in the order of [`Self::name`].
    pub const NAMES: &'static [&'static str] = &[
        "triage",
        "merge",
        "forward",
        "respond_report",
        "escalate",
        "close",
    ];

    pub fn name(&self) -> &'static str {
        match self {
            ReportStep::Triage { .. } => "triage",
            ReportStep::Merge { .. } => "merge",
            ReportStep::Forward { .. } => "forward",
            ReportStep::RespondReport { .. } => "respond_report",
            ReportStep::Escalate { .. } => "escalate",
            ReportStep::Close { .. } => "close",
        }
    }
}

/// What a step on a report, an audit or an investigation may look at.
pub struct Ctx<'a> {
    pub now: Timestamp,
    pub calendar: &'a Calendar,
    pub actor: AccountId,
    /// The system the case concerns (for a report: the first linked one).
    pub system: Option<&'a System>,
    /// The systems a triage links, as looked up (their owners).
    pub linked: &'a [System],
    /// The pack in force's deadlines, fines and obligations.
    pub pack: &'a PackFacts,
    /// The offender's size class and whether it already had a violation
    /// decided in the last 12 months (for investigations).
    pub offender: Option<(SizeClass, bool)>,
    /// The configured value of one MCI, in KZT.
    pub mci_kzt: u64,
}

/// What the pack in force says that these steps need.
#[derive(Debug, Clone, Default)]
pub struct PackFacts {
    pub pack: Option<PackRef>,
    pub deadlines: std::collections::BTreeMap<String, u32>,
    /// Fines in MCI by size class: (first offence, repeat within a year).
    pub fines: Vec<(SizeClass, u32, u32)>,
    pub sanctions_citation: Option<Citation>,
    /// Every obligation: id, title, citation.
    pub obligations: Vec<(String, String, Citation)>,
}

impl PackFacts {
    pub fn days(&self, name: &str) -> u32 {
        self.deadlines
            .get(name)
            .copied()
            .unwrap_or(crate::case::DEFAULT_DEADLINE_DAYS)
    }
}

const OPEN_REPORT: [ReportState; 4] = [
    ReportState::Received,
    ReportState::Triaged,
    ReportState::Forwarded,
    ReportState::Responded,
];

pub fn report_step(ctx: &Ctx<'_>, current: &Case, step: ReportStep) -> Result<Stepped, Refusal> {
    let mut case = next(current, ctx.now);
    let today = Day::of(ctx.now);
    let CaseBody::Report {
        state,
        body: Some(report),
    } = &mut case.body
    else {
        return Err(refuse_state(current.state(), "the case is not a report"));
    };
    let mut notices = Vec::new();
    let mut opened = None;
    let event = match step {
        ReportStep::Triage { severity, systems } => {
            require_state(
                *state,
                &[
                    ReportState::Received,
                    ReportState::Triaged,
                    ReportState::Responded,
                ],
                "triage",
            )?;
            report.severity = Some(severity);
            if !systems.is_empty() {
                report.systems = systems;
            }
            *state = ReportState::Triaged;
            if let Some(first) = ctx.linked.first() {
                case.system_id = Some(first.id);
                case.organisation_id = Some(first.owner_organisation_id);
                case.holder_organisation_id = first.holder_organisation_id;
            }
            "report.triaged"
        }
        ReportStep::Merge { into } => {
            require_state(*state, &OPEN_REPORT, "merge")?;
            if into == current.id {
                return Err(invalid("into", "is this report itself"));
            }
            merge(state, report, &mut case.links, into);
            case.open = false;
            case.deadline = None;
            "report.merged"
        }
        ReportStep::Forward { question } => {
            require_state(
                *state,
                &[ReportState::Triaged, ReportState::Responded],
                "forward",
            )?;
            let question = text("question", &question)?;
            let Some(org) = case.organisation_id else {
                return Err(refuse_state(
                    current.state(),
                    "link the report to a registered system (step `triage`) before forwarding it to its owner",
                ));
            };
            let days = ctx.pack.days(crate::case::ANSWER_DEADLINE);
            let due = ctx.calendar.add_working_days(today, days);
            report.forwarded = Some(Forward {
                organisation_id: org,
                question,
                at: ctx.now,
                response_due: due,
            });
            *state = ReportState::Forwarded;
            notices.push(notice(
                Recipient::Organisation(org),
                "notice-report-forwarded",
                &[("due", due.to_string())],
                format!("A report about your system was forwarded to you; respond by {due}."),
            ));
            "report.forwarded"
        }
        ReportStep::RespondReport {
            response,
            attachments,
        } => {
            require_state(*state, &[ReportState::Forwarded], "respond_report")?;
            crate::case::Attachment::check_all("attachments", &attachments)
                .map_err(Refusal::Invalid)?;
            report.response = Some(OwnerResponse {
                text: text("response", &response)?,
                at: ctx.now,
                by: Some(ctx.actor),
                attachments,
            });
            *state = ReportState::Responded;
            notices.push(notice(
                Recipient::Role(Role::Supervisor),
                "notice-report-responded",
                &[],
                "The owner responded to a forwarded report.".into(),
            ));
            "report.responded"
        }
        ReportStep::Escalate { reasons } => {
            require_state(
                *state,
                &[
                    ReportState::Triaged,
                    ReportState::Forwarded,
                    ReportState::Responded,
                ],
                "escalate",
            )?;
            let reasons = text("reasons", &reasons)?;
            let Some(system) = ctx.system else {
                return Err(refuse_state(
                    current.state(),
                    "link the report to a registered system (step `triage`) before escalating it",
                ));
            };
            let mut investigation = open_investigation_case(
                CaseId::generate(),
                system,
                reasons,
                ctx.now,
                ctx.calendar,
                ctx.pack,
            );
            investigation.links.push(current.id);
            if let Some(inv) = investigation.investigation_mut() {
                inv.from_report = Some(current.id);
            }
            report.investigation = Some(investigation.id);
            case.links.push(investigation.id);
            *state = ReportState::Escalated;
            case.open = false;
            case.deadline = None;
            opened = Some(investigation);
            "report.escalated"
        }
        ReportStep::Close { outcome } => {
            require_state(*state, &OPEN_REPORT, "close")?;
            report.outcome = Some(text("outcome", &outcome)?);
            *state = ReportState::Closed;
            case.open = false;
            case.deadline = None;
            "report.closed"
        }
    };
    let mut stepped = Stepped::new(case, event);
    stepped.notices = notices;
    stepped.opened = opened;
    Ok(stepped)
}

/// What the submitter of a report sees with their tracking code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReportStatus {
    pub number: String,
    pub state: String,
    #[serde(rename = "type")]
    pub report_type: ReportType,
    pub received_at: Timestamp,
    pub updated_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    /// The owner's response, once given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<String>,
    /// The outcome, once closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// The investigation it led to, if any (its decision is published).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub investigation: Option<CaseId>,
    /// The registered system it concerns, once the authority has said which.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_id: Option<SystemId>,
    /// The system as the submitter named it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_name: Option<String>,
    /// The last day of the authority's running deadline, if one runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<Day>,
    /// The number of the report this one was joined with (state `merged`):
    /// the authority handles them together.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<String>,
}

impl ReportStatus {
    /// What the submitter sees of `case`; `merged_into` is filled by the
    /// caller, which can read the other case's number.
    pub fn of(case: &Case) -> Option<ReportStatus> {
        let report = case.report()?;
        Some(ReportStatus {
            system_id: case.system_id.or_else(|| report.systems.first().copied()),
            system_name: report.system_name.clone(),
            due: case.deadline.as_ref().and_then(|d| d.due),
            merged_into: None,
            number: case.number.clone(),
            state: case.state().to_string(),
            report_type: report.report_type,
            received_at: case.created_at,
            updated_at: case.updated_at,
            severity: report.severity,
            response: report.response.as_ref().map(|r| r.text.clone()),
            outcome: report.outcome.clone(),
            investigation: report.investigation,
        })
    }
}

// ---------------------------------------------------------------------------
// Audits
// ---------------------------------------------------------------------------

vocabulary!(
    /// Why an audit is held.
    AuditBasis {
        Planned => "planned",
        ForCause => "for_cause",
    }
);

/// The audit checklist's item for the pack's prohibited practices (beside
/// one item per obligation).
pub const PROHIBITED_ITEM: &str = "prohibited_capabilities";

/// One process the auditor checks: an obligation of the system's
/// classification, or the check for prohibited capabilities.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AuditItem {
    pub id: String,
    pub title: String,
    pub citation: Citation,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CorrectiveAction {
    pub description: String,
    pub due: Day,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Finding {
    /// 1, 2, 3, ... within the audit.
    pub number: u32,
    /// The checklist item it is about.
    pub item: String,
    pub severity: Severity,
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrective_action: Option<CorrectiveAction>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<OwnerResponse>,
    pub at: Timestamp,
    pub by: AccountId,
    /// The auditor's evidence for the finding.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<crate::case::Attachment>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Audit {
    pub basis: AuditBasis,
    pub auditor: AccountId,
    /// The system version audited.
    pub version: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pack: Option<PackRef>,
    pub checklist: Vec<AuditItem>,
    pub findings: Vec<Finding>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conclusion: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<Timestamp>,
    /// Algorithmic audits run on the system's predictions, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub metrics: Vec<MetricsRun>,
}

/// One run of the algorithmic audit engine on a predictions file: the file
/// by its digest, the engine's report, and the pack's thresholds checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MetricsRun {
    /// 1, 2, 3, ... within the audit.
    pub number: u32,
    /// The predictions file's SHA-256 (hex): the blob kept in storage.
    pub file_sha256: String,
    pub file_size: u64,
    /// `csv` or `parquet`.
    pub format: String,
    /// The engine's report (docs/METRICS.md), as JSON text: the columns
    /// used, rows read, `overall`, `by_group` and every aggregate, by
    /// Fairlearn's names. Text, because the public log's entries hold no
    /// fractional numbers (canonical JSON); likewise the values below are
    /// decimal strings that read back to the same `f64`.
    pub report: String,
    /// Each of the pack's thresholds, checked against the report.
    pub checks: Vec<ThresholdCheck>,
    pub at: Timestamp,
    pub by: AccountId,
}

/// A pack threshold checked against a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ThresholdCheck {
    pub metric: String,
    /// The metric's value as a decimal string; absent when undefined (e.g.
    /// 0/0) or not computed.
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<String>,
    pub breached: bool,
    pub title: String,
    pub citation: Citation,
    /// The finding recorded for the breach.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finding: Option<u32>,
}

/// A breached threshold, as the server found it: the finding to record.
#[derive(Debug, Clone)]
pub struct Breach {
    /// The check's index in the run's `checks`.
    pub check: usize,
    /// The checklist item (the threshold's obligation), added to the
    /// checklist when the system's classification did not put it there.
    pub item: AuditItem,
    pub severity: Severity,
    pub description: String,
}

/// Records a metrics run on an open audit (its auditor only): the run, and
/// a finding for each breached threshold, against its obligation.
pub fn record_metrics(
    ctx: &Ctx<'_>,
    current: &Case,
    mut run: MetricsRun,
    breaches: Vec<Breach>,
) -> Result<Stepped, Refusal> {
    let mut case = next(current, ctx.now);
    let owner = case.organisation_id;
    let CaseBody::Audit {
        state,
        body: Some(audit),
    } = &mut case.body
    else {
        return Err(refuse_state(current.state(), "the case is not an audit"));
    };
    require_state(*state, &[AuditState::Open], "record metrics")?;
    if ctx.actor != audit.auditor {
        return Err(Refusal::Forbidden(
            "only the audit's auditor runs its metrics".into(),
        ));
    }
    run.number = audit.metrics.len() as u32 + 1;
    run.at = ctx.now;
    run.by = ctx.actor;
    let mut notices = Vec::new();
    for breach in breaches {
        if !audit.checklist.iter().any(|i| i.id == breach.item.id) {
            audit.checklist.push(breach.item.clone());
        }
        let number = audit.findings.len() as u32 + 1;
        audit.findings.push(Finding {
            number,
            item: breach.item.id,
            severity: breach.severity,
            description: breach.description,
            corrective_action: None,
            response: None,
            at: ctx.now,
            by: ctx.actor,
            attachments: Vec::new(),
        });
        if let Some(check) = run.checks.get_mut(breach.check) {
            check.finding = Some(number);
        }
        if let Some(org) = owner {
            notices.push(notice(
                Recipient::Organisation(org),
                "notice-finding-recorded",
                &[
                    ("number", number.to_string()),
                    ("severity", breach.severity.to_string()),
                ],
                format!(
                    "The audit recorded finding {number} ({}); please respond.",
                    breach.severity
                ),
            ));
        }
    }
    audit.metrics.push(run);
    let mut stepped = Stepped::new(case, "audit.metrics_recorded");
    stepped.notices = notices;
    Ok(stepped)
}

/// A new audit of `system` by `auditor`, with the checklist the pack gives
/// for the system's classification.
pub fn open_audit(
    id: CaseId,
    system: &System,
    basis: AuditBasis,
    auditor: AccountId,
    checklist: Vec<AuditItem>,
    pack: Option<PackRef>,
    now: Timestamp,
) -> Stepped {
    let mut case = Case::new(
        id,
        CaseBody::Audit {
            state: AuditState::Open,
            body: None,
        },
        now,
    );
    case.system_id = Some(system.id);
    case.organisation_id = Some(system.owner_organisation_id);
    case.holder_organisation_id = system.holder_organisation_id;
    case.assignees = vec![auditor];
    case.body = CaseBody::Audit {
        state: AuditState::Open,
        body: Some(Audit {
            basis,
            auditor,
            version: system.current_version,
            pack,
            checklist,
            findings: Vec::new(),
            conclusion: None,
            closed_at: None,
            metrics: Vec::new(),
        }),
    };
    let mut stepped = Stepped::new(case, "audit.opened");
    stepped.notices = vec![
        notice(
            Recipient::Account(auditor),
            "notice-audit-assigned",
            &[],
            "You were assigned an audit.".into(),
        ),
        notice(
            Recipient::Organisation(system.owner_organisation_id),
            "notice-audit-opened",
            &[("basis", basis.to_string())],
            format!("An audit ({basis}) of your system was opened."),
        ),
    ];
    stepped
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectiveActionInput {
    pub description: String,
    /// Working days the owner has to complete it.
    pub working_days: u32,
}

/// A step on an audit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum AuditStep {
    /// Auditor: record a finding, with a corrective action and its due date.
    Finding {
        item: String,
        severity: Severity,
        description: String,
        #[serde(default)]
        corrective_action: Option<CorrectiveActionInput>,
        /// The auditor's evidence (a test protocol, a screenshot), each
        /// file stored first.
        #[serde(default)]
        attachments: Vec<crate::case::Attachment>,
    },
    /// Owner: answer a finding.
    RespondFinding {
        finding: u32,
        response: String,
        /// Files sent with the response, each stored first.
        #[serde(default)]
        attachments: Vec<crate::case::Attachment>,
    },
    /// Auditor: close the audit with a conclusion.
    CloseAudit { conclusion: String },
}

impl AuditStep {
    /// Every step's name, in the order of [`Self::name`].
    pub const NAMES: &'static [&'static str] = &["finding", "respond_finding", "close_audit"];

    pub fn name(&self) -> &'static str {
        match self {
            AuditStep::Finding { .. } => "finding",
            AuditStep::RespondFinding { .. } => "respond_finding",
            AuditStep::CloseAudit { .. } => "close_audit",
        }
    }
}

pub fn audit_step(ctx: &Ctx<'_>, current: &Case, step: AuditStep) -> Result<Stepped, Refusal> {
    let mut case = next(current, ctx.now);
    let owner = case.organisation_id;
    let CaseBody::Audit {
        state,
        body: Some(audit),
    } = &mut case.body
    else {
        return Err(refuse_state(current.state(), "the case is not an audit"));
    };
    require_state(*state, &[AuditState::Open], "an audit step")?;
    let mut notices = Vec::new();
    let event = match step {
        AuditStep::Finding {
            item,
            severity,
            description,
            corrective_action,
            attachments,
        } => {
            if ctx.actor != audit.auditor {
                return Err(Refusal::Forbidden(
                    "only the audit's auditor records findings".into(),
                ));
            }
            if !audit.checklist.iter().any(|i| i.id == item) {
                let ids: Vec<&str> = audit.checklist.iter().map(|i| i.id.as_str()).collect();
                return Err(invalid(
                    "item",
                    format!("is not on this audit's checklist: {}", ids.join(", ")),
                ));
            }
            let corrective_action = match corrective_action {
                Some(a) => {
                    if a.working_days == 0 || a.working_days > 250 {
                        return Err(invalid(
                            "corrective_action.working_days",
                            "must be between 1 and 250",
                        ));
                    }
                    Some(CorrectiveAction {
                        description: text("corrective_action.description", &a.description)?,
                        due: ctx
                            .calendar
                            .add_working_days(Day::of(ctx.now), a.working_days),
                    })
                }
                None => None,
            };
            crate::case::Attachment::check_all("attachments", &attachments)
                .map_err(Refusal::Invalid)?;
            let number = audit.findings.len() as u32 + 1;
            audit.findings.push(Finding {
                number,
                item,
                severity,
                description: text("description", &description)?,
                corrective_action,
                response: None,
                at: ctx.now,
                by: ctx.actor,
                attachments,
            });
            if let Some(org) = owner {
                notices.push(notice(
                    Recipient::Organisation(org),
                    "notice-finding-recorded",
                    &[
                        ("number", number.to_string()),
                        ("severity", severity.to_string()),
                    ],
                    format!("The audit recorded finding {number} ({severity}); please respond."),
                ));
            }
            "audit.finding_recorded"
        }
        AuditStep::RespondFinding {
            finding,
            response,
            attachments,
        } => {
            crate::case::Attachment::check_all("attachments", &attachments)
                .map_err(Refusal::Invalid)?;
            let auditor = audit.auditor;
            let Some(f) = audit.findings.iter_mut().find(|f| f.number == finding) else {
                return Err(invalid(
                    "finding",
                    format!("no finding {finding} in this audit"),
                ));
            };
            f.response = Some(OwnerResponse {
                text: text("response", &response)?,
                at: ctx.now,
                by: Some(ctx.actor),
                attachments,
            });
            notices.push(notice(
                Recipient::Account(auditor),
                "notice-finding-answered",
                &[("finding", finding.to_string())],
                format!("The owner responded to finding {finding}."),
            ));
            "audit.finding_answered"
        }
        AuditStep::CloseAudit { conclusion } => {
            if ctx.actor != audit.auditor {
                return Err(Refusal::Forbidden(
                    "only the audit's auditor closes it".into(),
                ));
            }
            audit.conclusion = Some(text("conclusion", &conclusion)?);
            audit.closed_at = Some(ctx.now);
            *state = AuditState::Closed;
            case.open = false;
            if let Some(org) = owner {
                notices.push(notice(
                    Recipient::Organisation(org),
                    "notice-audit-closed",
                    &[],
                    "The audit of your system is closed; its report is available.".into(),
                ));
            }
            "audit.closed"
        }
    };
    let mut stepped = Stepped::new(case, event);
    stepped.notices = notices;
    Ok(stepped)
}

// ---------------------------------------------------------------------------
// Investigations, violations and sanctions
// ---------------------------------------------------------------------------

vocabulary!(
    /// The sanction decided for a violation.
    SanctionKind {
        Fine => "fine",
        Suspension => "suspension",
        Ban => "ban",
    }
);

vocabulary!(
    /// What an appeal decision does to the sanction.
    AppealOutcome {
        Uphold => "uphold",
        Change => "change",
        Overturn => "overturn",
    }
);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Violation {
    /// The obligation breached (its id in the pack).
    pub obligation: String,
    pub title: String,
    pub citation: Citation,
    pub description: String,
}

/// A sanction as decided, with how it was computed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SanctionDecision {
    pub kind: SanctionKind,
    pub size_class: SizeClass,
    /// Another violation by the same organisation was decided in the 12 months before.
    pub repeat: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fine_mci: Option<u32>,
    /// The value of one MCI used, in KZT.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mci_kzt: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fine_kzt: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub citation: Option<Citation>,
    pub reasons: String,
    pub decided_at: Timestamp,
    /// The supervisor who decided; another one decides an appeal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<AccountId>,
    /// The owner may appeal until this day.
    pub appeal_due: Day,
    /// The system's status before a suspension or ban, to restore on overturn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_status: Option<SystemStatus>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Appeal {
    pub grounds: String,
    pub filed_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<AppealOutcome>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasons: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Investigation {
    pub reasons: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_report: Option<CaseId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub violation: Option<Violation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sanction: Option<SanctionDecision>,
    /// The sanction before an appeal changed or overturned it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_sanction: Option<SanctionDecision>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appeal: Option<Appeal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_reasons: Option<String>,
}

fn open_investigation_case(
    id: CaseId,
    system: &System,
    reasons: String,
    now: Timestamp,
    calendar: &Calendar,
    pack: &PackFacts,
) -> Case {
    let mut case = Case::new(
        id,
        CaseBody::Investigation {
            state: InvestigationState::Open,
            body: None,
        },
        now,
    );
    case.system_id = Some(system.id);
    case.organisation_id = Some(system.owner_organisation_id);
    case.holder_organisation_id = system.holder_organisation_id;
    case.deadline = Some(Deadline::start(
        calendar,
        "investigation",
        pack.days("investigation"),
        Day::of(now),
    ));
    case.body = CaseBody::Investigation {
        state: InvestigationState::Open,
        body: Some(Investigation {
            reasons,
            from_report: None,
            violation: None,
            sanction: None,
            original_sanction: None,
            appeal: None,
            closed_reasons: None,
        }),
    };
    case
}

/// A new investigation of `system`, opened by a supervisor.
pub fn open_investigation(ctx: &Ctx<'_>, id: CaseId, reasons: &str) -> Result<Stepped, Refusal> {
    let reasons = text("reasons", reasons)?;
    let Some(system) = ctx.system else {
        return Err(invalid("system_id", "is required"));
    };
    let case = open_investigation_case(id, system, reasons, ctx.now, ctx.calendar, ctx.pack);
    let mut stepped = Stepped::new(case, "investigation.opened");
    stepped.notices.push(notice(
        Recipient::Organisation(system.owner_organisation_id),
        "notice-investigation-opened",
        &[],
        "An investigation of your system was opened.".into(),
    ));
    Ok(stepped)
}

/// A step on an investigation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum InvestigationStep {
    /// Supervisor: record the violation (an obligation of the pack) and
    /// decide the sanction; a fine is computed from the pack's table.
    DecideViolation {
        obligation: String,
        description: String,
        sanction: SanctionKind,
        reasons: String,
    },
    /// Supervisor: close without a violation.
    CloseInvestigation { reasons: String },
    /// Owner: appeal the decision within the pack's deadline.
    Appeal { grounds: String },
    /// Supervisor: decide the appeal; `change` needs the new sanction.
    DecideAppeal {
        outcome: AppealOutcome,
        reasons: String,
        #[serde(default)]
        sanction: Option<SanctionKind>,
    },
}

impl InvestigationStep {
    /// Every step's name, in the order of [`Self::name`].
    pub const NAMES: &'static [&'static str] = &[
        "decide_violation",
        "close_investigation",
        "appeal",
        "decide_appeal",
    ];

    pub fn name(&self) -> &'static str {
        match self {
            InvestigationStep::DecideViolation { .. } => "decide_violation",
            InvestigationStep::CloseInvestigation { .. } => "close_investigation",
            InvestigationStep::Appeal { .. } => "appeal",
            InvestigationStep::DecideAppeal { .. } => "decide_appeal",
        }
    }
}

/// The pack's fine in MCI for a size class, first or repeat offence.
fn fine_mci(ctx: &Ctx<'_>, size_class: SizeClass, repeat: bool) -> Result<u32, Refusal> {
    let (_, first, again) = ctx
        .pack
        .fines
        .iter()
        .find(|(c, _, _)| *c == size_class)
        .ok_or_else(|| {
            refuse_state(
                "open",
                format!("the pack in force has no fine for size class {size_class}"),
            )
        })?;
    Ok(if repeat { *again } else { *first })
}

/// The sanction the pack gives for `kind`, for this offender, decided now.
fn sanction(
    ctx: &Ctx<'_>,
    kind: SanctionKind,
    reasons: String,
    previous_status: Option<SystemStatus>,
) -> Result<SanctionDecision, Refusal> {
    let Some((size_class, repeat)) = ctx.offender else {
        return Err(refuse_state(
            "open",
            "the offender's organisation is unknown",
        ));
    };
    let today = Day::of(ctx.now);
    let appeal_due = ctx
        .calendar
        .add_working_days(today, ctx.pack.days("appeal"));
    let mut decision = SanctionDecision {
        kind,
        size_class,
        repeat,
        fine_mci: None,
        mci_kzt: None,
        fine_kzt: None,
        citation: ctx.pack.sanctions_citation.clone(),
        reasons,
        decided_at: ctx.now,
        decided_by: Some(ctx.actor),
        appeal_due,
        previous_status,
    };
    if kind == SanctionKind::Fine {
        let mci = fine_mci(ctx, size_class, repeat)?;
        decision.fine_mci = Some(mci);
        decision.mci_kzt = Some(ctx.mci_kzt);
        decision.fine_kzt = Some(u64::from(mci) * ctx.mci_kzt);
    }
    Ok(decision)
}

/// A suspension applies to a registered system, a ban to a registered or
/// suspended one; a fine to any.
fn measure_allowed(
    kind: SanctionKind,
    system: Option<SystemStatus>,
    case_state: &str,
) -> Result<(), Refusal> {
    let ok = match kind {
        SanctionKind::Fine => true,
        SanctionKind::Suspension => system == Some(SystemStatus::Registered),
        SanctionKind::Ban => matches!(
            system,
            Some(SystemStatus::Registered | SystemStatus::Suspended)
        ),
    };
    if ok {
        return Ok(());
    }
    Err(refuse_state(
        case_state,
        format!(
            "a {kind} applies to a registered system; this one is {}",
            system.map(|s| s.as_str()).unwrap_or("unknown")
        ),
    ))
}

/// The system status a sanction puts the system in, if any.
fn sanction_status(kind: SanctionKind) -> Option<SystemStatus> {
    match kind {
        SanctionKind::Fine => None,
        SanctionKind::Suspension => Some(SystemStatus::Suspended),
        SanctionKind::Ban => Some(SystemStatus::Revoked),
    }
}

pub fn investigation_step(
    ctx: &Ctx<'_>,
    current: &Case,
    step: InvestigationStep,
) -> Result<Stepped, Refusal> {
    let mut case = next(current, ctx.now);
    let owner = case.organisation_id;
    let system_status_now = ctx.system.map(|s| s.status);
    let CaseBody::Investigation {
        state,
        body: Some(inv),
    } = &mut case.body
    else {
        return Err(refuse_state(
            current.state(),
            "the case is not an investigation",
        ));
    };
    let mut notices = Vec::new();
    let mut system_status = None;
    let event = match step {
        InvestigationStep::DecideViolation {
            obligation,
            description,
            sanction: kind,
            reasons,
        } => {
            require_state(*state, &[InvestigationState::Open], "decide_violation")?;
            let Some((id, title, citation)) = ctx
                .pack
                .obligations
                .iter()
                .find(|(id, _, _)| *id == obligation)
            else {
                let ids: Vec<&str> = ctx
                    .pack
                    .obligations
                    .iter()
                    .map(|(i, _, _)| i.as_str())
                    .collect();
                return Err(invalid(
                    "obligation",
                    format!(
                        "is not an obligation of the pack in force: {}",
                        ids.join(", ")
                    ),
                ));
            };
            inv.violation = Some(Violation {
                obligation: id.clone(),
                title: title.clone(),
                citation: citation.clone(),
                description: text("description", &description)?,
            });
            let reasons = text("reasons", &reasons)?;
            measure_allowed(kind, system_status_now, current.state())?;
            let previous = sanction_status(kind).and(system_status_now);
            let decision = sanction(ctx, kind, reasons, previous)?;
            system_status = sanction_status(kind);
            let due = decision.appeal_due;
            inv.sanction = Some(decision);
            *state = InvestigationState::Decided;
            case.deadline = None;
            if let Some(org) = owner {
                notices.push(notice(
                    Recipient::Organisation(org),
                    "notice-violation-decided",
                    &[("sanction", kind.to_string()), ("due", due.to_string())],
                    format!("A violation was decided with a {kind}; you may appeal until {due}."),
                ));
            }
            "investigation.violation_decided"
        }
        InvestigationStep::CloseInvestigation { reasons } => {
            require_state(*state, &[InvestigationState::Open], "close_investigation")?;
            inv.closed_reasons = Some(text("reasons", &reasons)?);
            *state = InvestigationState::Closed;
            case.open = false;
            case.deadline = None;
            "investigation.closed"
        }
        InvestigationStep::Appeal { grounds } => {
            require_state(*state, &[InvestigationState::Decided], "appeal")?;
            let due = inv.sanction.as_ref().map(|s| s.appeal_due);
            let today = Day::of(ctx.now);
            if let Some(due) = due.filter(|d| today > *d) {
                return Err(refuse_state(
                    current.state(),
                    format!("the appeal deadline passed on {due}"),
                ));
            }
            inv.appeal = Some(Appeal {
                grounds: text("grounds", &grounds)?,
                filed_at: ctx.now,
                outcome: None,
                reasons: None,
                decided_at: None,
            });
            *state = InvestigationState::Appealed;
            case.deadline = Some(Deadline::start(
                ctx.calendar,
                "appeal_decision",
                ctx.pack.days("appeal"),
                today,
            ));
            notices.push(notice(
                Recipient::Role(Role::Supervisor),
                "notice-appealed",
                &[],
                "A sanction was appealed.".into(),
            ));
            "investigation.appealed"
        }
        InvestigationStep::DecideAppeal {
            outcome,
            reasons,
            sanction: new_kind,
        } => {
            require_state(*state, &[InvestigationState::Appealed], "decide_appeal")?;
            let reasons = text("reasons", &reasons)?;
            let before = inv.sanction.clone();
            if before.as_ref().and_then(|s| s.decided_by) == Some(ctx.actor) {
                return Err(Refusal::Forbidden(
                    "the supervisor who decided the sanction cannot also decide its appeal".into(),
                ));
            }
            // Give the system back its earlier status only if the sanction's
            // measure is still what holds it (nobody has acted on it since).
            let in_force = before
                .as_ref()
                .and_then(|s| sanction_status(s.kind))
                .is_some_and(|s| Some(s) == system_status_now);
            let restore = before
                .as_ref()
                .and_then(|s| s.previous_status)
                .filter(|_| in_force);
            match outcome {
                AppealOutcome::Uphold => {
                    if new_kind.is_some() {
                        return Err(invalid("sanction", "is given only to change the sanction"));
                    }
                }
                AppealOutcome::Overturn => {
                    if new_kind.is_some() {
                        return Err(invalid("sanction", "is given only to change the sanction"));
                    }
                    inv.original_sanction = before.clone();
                    inv.sanction = None;
                    // A suspension or ban overturned gives the system back its status.
                    if before
                        .as_ref()
                        .is_some_and(|s| sanction_status(s.kind).is_some())
                    {
                        system_status = restore;
                    }
                }
                AppealOutcome::Change => {
                    let Some(kind) = new_kind else {
                        return Err(invalid("sanction", "is required to change the sanction"));
                    };
                    // The measure under appeal is still in force: judge the
                    // new one against the status it replaced.
                    measure_allowed(kind, restore.or(system_status_now), current.state())?;
                    let previous = restore.or(sanction_status(kind).and(system_status_now));
                    let mut changed = sanction(ctx, kind, reasons.clone(), previous)?;
                    if let Some(b) = &before {
                        // The offence keeps its date and its repeat status;
                        // only the sanction changes.
                        changed.appeal_due = b.appeal_due;
                        changed.decided_at = b.decided_at;
                        changed.repeat = b.repeat;
                        if kind == SanctionKind::Fine {
                            let mci = fine_mci(ctx, b.size_class, b.repeat)?;
                            changed.fine_mci = Some(mci);
                            changed.fine_kzt = Some(u64::from(mci) * ctx.mci_kzt);
                        }
                    }
                    system_status = match (sanction_status(kind), restore) {
                        (Some(s), _) => Some(s),
                        (None, Some(r)) => Some(r),
                        (None, None) => None,
                    };
                    inv.original_sanction = before;
                    inv.sanction = Some(changed);
                }
            }
            if let Some(appeal) = inv.appeal.as_mut() {
                appeal.outcome = Some(outcome);
                appeal.reasons = Some(reasons);
                appeal.decided_at = Some(ctx.now);
            }
            *state = InvestigationState::Final;
            case.open = false;
            case.deadline = None;
            if let Some(org) = owner {
                notices.push(notice(
                    Recipient::Organisation(org),
                    "notice-appeal-decided",
                    &[("outcome", outcome.to_string())],
                    format!("Your appeal was decided: {outcome}."),
                ));
            }
            "investigation.appeal_decided"
        }
    };
    let mut stepped = Stepped::new(case, event);
    stepped.notices = notices;
    stepped.system_status = system_status.filter(|s| Some(*s) != system_status_now);
    Ok(stepped)
}

/// A decided investigation whose appeal deadline has passed unappealed
/// becomes final (the sweeps take this step as the operator); `None` while
/// the owner may still appeal.
pub fn finalize_unappealed(current: &Case, now: Timestamp) -> Option<Stepped> {
    let inv = current.investigation()?;
    let due = inv.sanction.as_ref()?.appeal_due;
    if !matches!(
        current.body,
        CaseBody::Investigation {
            state: InvestigationState::Decided,
            ..
        }
    ) || Day::of(now) <= due
    {
        return None;
    }
    let mut case = next(current, now);
    if let CaseBody::Investigation { state, .. } = &mut case.body {
        *state = InvestigationState::Final;
    }
    case.open = false;
    case.deadline = None;
    Some(Stepped::new(case, "investigation.final"))
}

/// A published decision: the public fields of a decided investigation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PublishedDecision {
    pub case_id: CaseId,
    pub number: String,
    pub state: String,
    pub system_id: Option<SystemId>,
    pub organisation_id: Option<OrganisationId>,
    pub violation: Option<Violation>,
    pub sanction: Option<SanctionDecision>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_sanction: Option<SanctionDecision>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appeal_outcome: Option<AppealOutcome>,
    pub updated_at: Timestamp,
}

impl PublishedDecision {
    pub fn of(case: &Case) -> Option<PublishedDecision> {
        let inv = case.investigation()?;
        case.published().then(|| PublishedDecision {
            case_id: case.id,
            number: case.number.clone(),
            state: case.state().to_string(),
            system_id: case.system_id,
            organisation_id: case.organisation_id,
            violation: inv.violation.clone(),
            sanction: inv.sanction.clone(),
            original_sanction: inv.original_sanction.clone(),
            appeal_outcome: inv.appeal.as_ref().and_then(|a| a.outcome),
            updated_at: case.updated_at,
        })
    }
}

// ---------------------------------------------------------------------------
// Trusted lists (Law 230-VIII Arts. 19-20)
// ---------------------------------------------------------------------------

/// The deadline names of the trusted-list procedure in a pack's `[deadlines]`.
pub const LIST_CHECK: &str = "trusted_list_check";
pub const LIST_RECHECK: &str = "trusted_list_recheck";
pub const LIST_PUBLICATION: &str = "trusted_list_publication";

/// An application to a sector body's list of trusted high-risk systems.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TrustedListApplication {
    /// The list: one per sector body, named by its sector.
    pub sector: crate::profile::Sector,
    /// The closed audit whose report the application relies on (it must
    /// also have assessed the training data and checked for prohibited
    /// capabilities).
    pub audit_case: CaseId,
    /// The copyright certificate's number, or the agreement's reference.
    pub copyright: String,
    /// Each completeness check, oldest first.
    pub checks: Vec<ListCheck>,
    /// The applicant's notes on each resubmission, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resubmissions: Vec<Resubmission>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listed_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Resubmission {
    pub at: Timestamp,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ListCheck {
    pub at: Timestamp,
    pub complete: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deficiencies: Option<String>,
}

/// What is checked before an application is accepted for the check.
pub struct ListApplicationFacts<'a> {
    pub system: &'a System,
    pub sector: crate::profile::Sector,
    pub audit: Option<&'a Case>,
    pub copyright: &'a str,
}

/// A new application; the sector body's 10-working-day check starts.
pub fn apply_for_list(
    ctx: &Ctx<'_>,
    id: CaseId,
    facts: ListApplicationFacts<'_>,
) -> Result<Stepped, Refusal> {
    let system = facts.system;
    if system.status != SystemStatus::Registered {
        return Err(refuse_state(
            system.status.as_str(),
            format!(
                "only a registered system can be listed; this one is {}",
                system.status
            ),
        ));
    }
    if system.risk_level != Some(crate::system::RiskLevel::High) {
        return Err(refuse_state(
            system.status.as_str(),
            "trusted lists are lists of high-risk systems; this system is not classified high-risk",
        ));
    }
    if !system.sectors.contains(&facts.sector) {
        return Err(invalid("sector", "is not one of the system's sectors"));
    }
    let audit_ok = facts.audit.is_some_and(|a| {
        a.system_id == Some(system.id)
            && matches!(
                a.body,
                CaseBody::Audit {
                    state: AuditState::Closed,
                    ..
                }
            )
    });
    if !audit_ok {
        return Err(invalid(
            "audit_case",
            "must name a closed audit of this system (the audit report the law requires)",
        ));
    }
    let copyright =
        crate::error::bounded_text(facts.copyright, 500).map_err(|r| invalid("copyright", r))?;
    let mut case = Case::new(
        id,
        CaseBody::TrustedList {
            state: TrustedListState::Submitted,
            body: None,
        },
        ctx.now,
    );
    case.system_id = Some(system.id);
    case.organisation_id = Some(system.owner_organisation_id);
    case.holder_organisation_id = system.holder_organisation_id;
    case.links = facts.audit.map(|a| vec![a.id]).unwrap_or_default();
    case.deadline = Some(Deadline::start(
        ctx.calendar,
        LIST_CHECK,
        ctx.pack.days(LIST_CHECK),
        Day::of(ctx.now),
    ));
    case.body = CaseBody::TrustedList {
        state: TrustedListState::Submitted,
        body: Some(TrustedListApplication {
            sector: facts.sector,
            audit_case: facts.audit.map(|a| a.id).unwrap_or(id),
            copyright,
            checks: Vec::new(),
            resubmissions: Vec::new(),
            listed_at: None,
            published_at: None,
            ended: None,
        }),
    };
    let mut stepped = Stepped::new(case, "trusted_list.applied");
    stepped.notices.push(notice(
        Recipient::Role(Role::Supervisor),
        "notice-list-applied",
        &[("sector", facts.sector.as_str().to_string())],
        format!(
            "An application to the {} trusted list awaits its check.",
            facts.sector
        ),
    ));
    Ok(stepped)
}

/// A step on a trusted-list application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum ListStep {
    /// Sector body: the completeness check; deficiencies are required when incomplete.
    CheckApplication {
        complete: bool,
        #[serde(default)]
        deficiencies: Option<String>,
    },
    /// Owner: resubmit after a deficiency notice (re-checked within 5 working days).
    Resubmit {
        #[serde(default)]
        copyright: Option<String>,
        note: String,
    },
    /// Sector body: refuse the application.
    Reject { reasons: String },
    /// Sector body: publish the listed system (within 5 working days).
    Publish {},
    /// Sector body: take a published system off the list.
    Delist { reasons: String },
}

impl ListStep {
    /// Every step's name, in the order of [`Self::name`].
    pub const NAMES: &'static [&'static str] = &[
        "check_application",
        "resubmit",
        "reject",
        "publish",
        "delist",
    ];

    pub fn name(&self) -> &'static str {
        match self {
            ListStep::CheckApplication { .. } => "check_application",
            ListStep::Resubmit { .. } => "resubmit",
            ListStep::Reject { .. } => "reject",
            ListStep::Publish {} => "publish",
            ListStep::Delist { .. } => "delist",
        }
    }
}

pub fn list_step(ctx: &Ctx<'_>, current: &Case, step: ListStep) -> Result<Stepped, Refusal> {
    let mut case = next(current, ctx.now);
    let today = Day::of(ctx.now);
    let owner = case.organisation_id;
    let CaseBody::TrustedList {
        state,
        body: Some(app),
    } = &mut case.body
    else {
        return Err(refuse_state(
            current.state(),
            "the case is not a trusted-list application",
        ));
    };
    let mut notices = Vec::new();
    let event = match step {
        ListStep::CheckApplication {
            complete,
            deficiencies,
        } => {
            require_state(
                *state,
                &[TrustedListState::Submitted, TrustedListState::Resubmitted],
                "check_application",
            )?;
            let deficiencies = match deficiencies {
                Some(d) => Some(text("deficiencies", &d)?),
                None if !complete => {
                    return Err(invalid(
                        "deficiencies",
                        "must say what is missing or inconsistent when the file is incomplete",
                    ))
                }
                None => None,
            };
            app.checks.push(ListCheck {
                at: ctx.now,
                complete,
                deficiencies,
            });
            if complete {
                app.listed_at = Some(ctx.now);
                *state = TrustedListState::Listed;
                case.deadline = Some(Deadline::start(
                    ctx.calendar,
                    LIST_PUBLICATION,
                    ctx.pack.days(LIST_PUBLICATION),
                    today,
                ));
                "trusted_list.listed"
            } else {
                *state = TrustedListState::Deficient;
                case.deadline = None;
                if let Some(org) = owner {
                    notices.push(notice(Recipient::Organisation(org), "notice-list-deficiencies", &[], "Your trusted-list application has deficiencies; correct them and resubmit.".into()));
                }
                "trusted_list.deficient"
            }
        }
        ListStep::Resubmit { copyright, note } => {
            require_state(*state, &[TrustedListState::Deficient], "resubmit")?;
            app.resubmissions.push(Resubmission {
                at: ctx.now,
                note: text("note", &note)?,
            });
            if let Some(c) = copyright {
                app.copyright =
                    crate::error::bounded_text(&c, 500).map_err(|r| invalid("copyright", r))?;
            }
            *state = TrustedListState::Resubmitted;
            case.deadline = Some(Deadline::start(
                ctx.calendar,
                LIST_RECHECK,
                ctx.pack.days(LIST_RECHECK),
                today,
            ));
            notices.push(notice(
                Recipient::Role(Role::Supervisor),
                "notice-list-resubmitted",
                &[],
                "A trusted-list application was resubmitted.".into(),
            ));
            "trusted_list.resubmitted"
        }
        ListStep::Reject { reasons } => {
            require_state(
                *state,
                &[
                    TrustedListState::Submitted,
                    TrustedListState::Resubmitted,
                    TrustedListState::Deficient,
                ],
                "reject",
            )?;
            app.ended = Some(text("reasons", &reasons)?);
            *state = TrustedListState::Rejected;
            case.open = false;
            case.deadline = None;
            "trusted_list.rejected"
        }
        ListStep::Publish {} => {
            require_state(*state, &[TrustedListState::Listed], "publish")?;
            app.published_at = Some(ctx.now);
            *state = TrustedListState::Published;
            case.open = false;
            case.deadline = None;
            if let Some(org) = owner {
                notices.push(notice(
                    Recipient::Organisation(org),
                    "notice-list-published",
                    &[("sector", app.sector.as_str().to_string())],
                    format!(
                        "Your system is published on the {} trusted list.",
                        app.sector
                    ),
                ));
            }
            "trusted_list.published"
        }
        ListStep::Delist { reasons } => {
            require_state(*state, &[TrustedListState::Published], "delist")?;
            app.ended = Some(text("reasons", &reasons)?);
            *state = TrustedListState::Delisted;
            "trusted_list.delisted"
        }
    };
    let mut stepped = Stepped::new(case, event);
    stepped.notices = notices;
    Ok(stepped)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::calendar::CalendarSpec;
    use crate::text::LocalizedText;

    fn citation(id: &str) -> Citation {
        Citation {
            id: id.into(),
            source: format!("Law, {id}"),
            url: None,
        }
    }

    fn check(metric: &str, value: f64) -> ThresholdCheck {
        ThresholdCheck {
            metric: metric.into(),
            value: Some(value.to_string()),
            min: Some("0.8".into()),
            max: None,
            breached: value < 0.8,
            title: "The four-fifths rule".into(),
            citation: citation("art-20"),
            finding: None,
        }
    }

    fn received(description: &str, system_name: Option<&str>, at: Timestamp) -> Stepped {
        let input: ReportInput = serde_json::from_value(serde_json::json!({
            "type": "tip", "description": description, "system_name": system_name,
        }))
        .unwrap();
        open_report(CaseId::generate(), input, None, "hash".into(), at).unwrap()
    }

    #[test]
    fn a_near_duplicate_of_an_open_report_is_merged_on_receipt() {
        let t0 = Timestamp::parse("2026-03-02T09:00:00Z").unwrap();
        let text = "The bank's chatbot asks for my ID number and my card's PIN in the chat window.";
        let first = received(text, Some("Dala Bank chatbot"), t0).case;
        // One word changed, the case and punctuation too: the same report.
        let again = received(
            "the bank's chatbot asks for my ID number and my card's PIN in the chat window!!",
            Some("DALA BANK CHATBOT"),
            t0.plus_seconds(3600),
        );
        assert_eq!(duplicate_of(&again.case, [&first]), Some(first.id));
        // A different text, another system, or a month and a day later: new.
        let other = received(
            "The exam proctoring system flagged me for looking away while I was reading the task.",
            Some("Dala Bank chatbot"),
            t0.plus_seconds(60),
        );
        assert_eq!(duplicate_of(&other.case, [&first]), None);
        let elsewhere = received(text, Some("Another chatbot"), t0.plus_seconds(60));
        assert_eq!(duplicate_of(&elsewhere.case, [&first]), None);
        let late = received(
            text,
            Some("Dala Bank chatbot"),
            t0.plus_seconds(31 * 86_400),
        );
        assert_eq!(duplicate_of(&late.case, [&first]), None);
        // Merged on receipt: closed, pointing at the first, no new notice.
        let mut merged = again;
        merge_on_receipt(&mut merged, first.id);
        assert!(!merged.case.open);
        assert!(merged.notices.is_empty());
        assert_eq!(merged.case.state(), "merged");
        assert!(merged.case.links.contains(&first.id));
        // A report merged (or closed) takes in no more.
        assert_eq!(duplicate_of(&late.case, [&merged.case]), None);
    }

    #[test]
    fn a_metrics_run_files_a_finding_for_each_breach() {
        let now = Timestamp::parse("2026-03-02T09:00:00Z").unwrap();
        let auditor = AccountId::generate();
        let owner = OrganisationId::generate();
        let system = System {
            id: SystemId::generate(),
            name: LocalizedText {
                en: Some("Scoring".into()),
                ..Default::default()
            },
            owner_organisation_id: owner,
            holder_organisation_id: None,
            status: SystemStatus::Registered,
            registry_number: None,
            risk_level: None,
            sectors: Vec::new(),
            current_version: 1,
            created_at: now,
            updated_at: now,
            public_since: None,
        };
        let checklist = vec![AuditItem {
            id: "human-oversight".into(),
            title: "Human oversight".into(),
            citation: citation("art-17"),
        }];
        let opened = open_audit(
            CaseId::generate(),
            &system,
            AuditBasis::Planned,
            auditor,
            checklist,
            None,
            now,
        );
        let calendar = Calendar::new(&CalendarSpec::default()).unwrap();
        let pack = PackFacts::default();
        let ctx = |actor| Ctx {
            now,
            calendar: &calendar,
            actor,
            system: Some(&system),
            linked: &[],
            pack: &pack,
            offender: None,
            mci_kzt: 3_932,
        };
        let run = MetricsRun {
            number: 0,
            file_sha256: "ab".repeat(32),
            file_size: 10,
            format: "csv".into(),
            report: "{}".into(),
            checks: vec![
                check("disparate_impact", 0.6),
                check("equal_opportunity_ratio", 0.9),
            ],
            at: now,
            by: auditor,
        };
        let breach = Breach {
            check: 0,
            item: AuditItem {
                id: "non-discrimination".into(),
                title: "No discrimination".into(),
                citation: citation("art-20"),
            },
            severity: Severity::High,
            description: "disparate_impact 0.6 is below 0.8".into(),
        };
        // Only the audit's auditor runs metrics.
        let other = ctx(AccountId::generate());
        assert!(matches!(
            record_metrics(&other, &opened.case, run.clone(), vec![breach.clone()]),
            Err(Refusal::Forbidden(_))
        ));
        let stepped = record_metrics(&ctx(auditor), &opened.case, run, vec![breach]).unwrap();
        assert_eq!(stepped.event, "audit.metrics_recorded");
        let audit = stepped.case.audit().unwrap();
        assert_eq!(audit.metrics.len(), 1);
        assert_eq!(audit.metrics[0].number, 1);
        assert_eq!(audit.metrics[0].checks[0].finding, Some(1));
        assert_eq!(audit.metrics[0].checks[1].finding, None);
        assert_eq!(audit.findings.len(), 1);
        assert_eq!(audit.findings[0].item, "non-discrimination");
        // The obligation joined the checklist, so the owner can answer it.
        assert!(audit.checklist.iter().any(|i| i.id == "non-discrimination"));
        assert_eq!(stepped.notices.len(), 1);
        assert_eq!(stepped.notices[0].key, "notice-finding-recorded");
    }
}

/// The authority's pause of the public intake for one system (issue 19):
/// while it stands, reports naming the system are refused with its reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct IntakePause {
    pub system_id: SystemId,
    /// Why, as the public reads it.
    pub reason: String,
    pub paused_at: Timestamp,
}

/// What a supervisor sends: pause (with the public reason) or resume.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntakePauseInput {
    pub paused: bool,
    /// Required to pause; shown to whoever tries to report the system.
    #[serde(default)]
    pub reason: Option<String>,
}

impl IntakePauseInput {
    /// The reason to pause with, or `None` to resume.
    pub fn parse(self) -> Result<Option<String>, crate::ValidationError> {
        if !self.paused {
            return Ok(None);
        }
        let mut problems = crate::error::Problems::new();
        let reason = problems.check(
            "reason",
            optional_text(self.reason.as_deref().unwrap_or(""), 500),
        );
        match reason {
            Some(r) if !r.is_empty() => Ok(Some(r)),
            Some(_) => {
                problems.add("reason", "is required to pause: the public reads it");
                problems.finish(|| None)
            }
            None => problems.finish(|| None),
        }
    }
}
