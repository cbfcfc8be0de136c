//! The registration lifecycle: submission, preliminary expert review,
//! decision, and the measures on a registered system.
//!
//! Every function here is pure: it takes the case as read (and what the
//! caller looked up: the pack's path, the reviewer pool, the calendar) and
//! returns the case after the step with what else must change, or a refusal
//! naming the current state. The store writes the result only if the case's
//! revision is still the one read.
//!
//! The states are the system's statuses:
//!
//! ```text
//! draft ─submit─▶ submitted ─assign─▶ in_expert_review ─request─▶ information_requested
//!   │                 ▲  (a conflict leaves too few)  ▲ └─────────resubmitted──────┘
//!   │                 └───────────────────────────────┤
//!   │                                    all recommend▼
//!   │                                            recommended ─decide─▶ registered | refused
//!   └─submit (no expert review required)─────────────────────────────▶ registered
//! registered ─suspend─▶ suspended ─reinstate─▶ registered; registered|suspended ─revoke─▶ revoked
//! any review state ─withdraw (owner)─▶ withdrawn (the system returns to draft)
//! ```

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::account::Role;
use crate::calendar::{Calendar, Day, Deadline};
use crate::case::{
    invalid, notice, refuse_state, text, Answer, AssignedBy, Candidate, Case, CaseBody, CheckMark,
    ChecklistItem, Decision, Declaration, Documents, InformationRequest, Mark, Measure, Notice,
    Recipient, Recommendation, Refusal, Registration, Review, Stepped, Verdict, MAX_REASONS_CHARS,
};
use crate::classification::PackRef;
use crate::clock::Timestamp;
use crate::error::optional_text;
use crate::ids::{AccountId, CaseId, OrganisationId};

use crate::system::{DocumentationItem, RiskLevel, System, SystemStatus};

/// The pack's deadline names this lifecycle uses.
pub const REVIEW_DEADLINE: &str = "preliminary_expert_review";
pub use crate::case::{ANSWER_DEADLINE, DEFAULT_DEADLINE_DAYS};
pub const DECISION_DEADLINE: &str = "recommendation_to_decision";

/// What the pack in force requires of the version submitted.
#[derive(Debug, Clone)]
pub struct Path {
    pub pack: PackRef,
    pub risk_level: RiskLevel,
    pub expert_review: bool,
    pub reviewers: u32,
    /// The rules that prohibit the system, each with its citation, when the
    /// classification is `prohibited`.
    pub prohibited_by: Vec<(String, String)>,
    /// The documentation the pack requires, and whether the version has it.
    pub checklist: Vec<ChecklistItem>,
    /// The pack's `[deadlines]`, in working days.
    pub deadlines: BTreeMap<String, u32>,
}

impl Path {
    fn days(&self, name: &str) -> u32 {
        self.deadlines
            .get(name)
            .copied()
            .unwrap_or(DEFAULT_DEADLINE_DAYS)
    }
}

/// One mark in a `check` step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkInput {
    pub item: DocumentationItem,
    pub mark: CheckMark,
    #[serde(default)]
    pub note: Option<String>,
}

/// A step on a registration dossier, as sent to `POST /api/v1/cases/{id}/steps`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum Step {
    /// Supervisor: assign these reviewers, or (without a list) let the pool
    /// choose by competence, then load.
    Assign {
        #[serde(default)]
        reviewers: Option<Vec<AccountId>>,
    },
    /// Assigned reviewer: declare, before the dossier opens, whether you have
    /// a conflict of interest. A reviewer with a conflict is replaced.
    Declare {
        conflict: bool,
        #[serde(default)]
        statement: Option<String>,
    },
    /// Assigned reviewer: mark checklist items.
    Check { marks: Vec<MarkInput> },
    /// Assigned reviewer or supervisor: ask the developer; the review clock pauses.
    RequestInformation { questions: String },
    /// Owner: answer the open request (after adding a new version if the
    /// documentation changed); the review resumes on the current version.
    Respond {
        answer: String,
        /// Files sent with the answer, each stored first
        /// (`POST /api/v1/cases/{id}/attachments`).
        #[serde(default)]
        attachments: Vec<crate::case::Attachment>,
    },
    /// Owner: add documents to the dossier while it is under review (a
    /// test report, a conformity statement, instructions for use), saying
    /// what they are; the files are stored first, as an answer's are. The
    /// reviewers are told.
    AddDocuments {
        description: String,
        #[serde(default)]
        attachments: Vec<crate::case::Attachment>,
    },
    /// Assigned reviewer: a reasoned recommendation.
    Recommend { verdict: Verdict, reasons: String },
    /// Supervisor: the decision, with reasons.
    Decide { verdict: Verdict, reasons: String },
    /// Supervisor: suspend a registered system.
    Suspend { reasons: String },
    /// Supervisor: lift a suspension.
    Reinstate { reasons: String },
    /// Supervisor: take a system off the register for good.
    Revoke { reasons: String },
    /// Owner: withdraw the application; the system returns to draft.
    Withdraw {
        #[serde(default)]
        reasons: Option<String>,
    },
}

impl Step {
    /// Whether the step may take reviewers from the pool (an assignment, a
    /// replacement after a conflict, more reviewers after an answer).
    pub fn assigns_reviewers(&self) -> bool {
        matches!(
            self,
            Step::Assign { .. } | Step::Declare { .. } | Step::Respond { .. }
        )
    }

    /// Every step's name, in the order of [`Self::name`].
    pub const NAMES: &'static [&'static str] = &[
        "assign",
        "declare",
        "check",
        "request_information",
        "respond",
        "add_documents",
        "recommend",
        "decide",
        "suspend",
        "reinstate",
        "revoke",
        "withdraw",
    ];

    /// The step's name (`assign`, `declare`, ...), also its access-policy action.
    pub fn name(&self) -> &'static str {
        match self {
            Step::Assign { .. } => "assign",
            Step::Declare { .. } => "declare",
            Step::Check { .. } => "check",
            Step::RequestInformation { .. } => "request_information",
            Step::Respond { .. } => "respond",
            Step::AddDocuments { .. } => "add_documents",
            Step::Recommend { .. } => "recommend",
            Step::Decide { .. } => "decide",
            Step::Suspend { .. } => "suspend",
            Step::Reinstate { .. } => "reinstate",
            Step::Revoke { .. } => "revoke",
            Step::Withdraw { .. } => "withdraw",
        }
    }
}

/// Everything a step may look at besides the case.
pub struct Context<'a> {
    pub now: Timestamp,
    pub calendar: &'a Calendar,
    /// Who takes the step.
    pub actor: AccountId,
    /// The actor is a supervisor (may request information without being assigned).
    pub supervisor: bool,
    /// The system as it is now.
    pub system: &'a System,
    /// The path of the system's current version (for a resubmission).
    pub path: &'a Path,
    /// The reviewer pool, for automatic assignment and replacement.
    pub pool: &'a [Candidate],
}

impl Context<'_> {
    fn today(&self) -> Day {
        Day::of(self.now)
    }
}

/// The notices for a registered system whose risks went unreviewed for a
/// year since `last_review`: its owner is asked for a new version, the
/// supervisors are told.
pub fn review_due_notices(owner: OrganisationId, last_review: Timestamp) -> Vec<Notice> {
    let day = Day::of(last_review);
    vec![
        notice(
            Recipient::Organisation(owner),
            "notice-review-due",
            &[("since", day.to_string())],
            format!(
                "Your system's risks were last reviewed on {day}; the law asks for a review at least once a year. Add a version with the review."
            ),
        ),
        notice(
            Recipient::Role(Role::Supervisor),
            "notice-review-overdue",
            &[],
            "A registered system's annual risk review is overdue.".into(),
        ),
    ]
}

fn state_of(case: &Case) -> SystemStatus {
    match case.body {
        CaseBody::Registration { state, .. } => state,
        _ => SystemStatus::Draft,
    }
}

/// Puts a registration dossier in `to`.
fn set_state(case: &mut Case, to: SystemStatus) {
    if let CaseBody::Registration { state, .. } = &mut case.body {
        *state = to;
    }
}

/// Picks up to `wanted` reviewers for `system` (its owner and holder are
/// the parties no reviewer may belong to or be in conflict with).
pub fn choose_reviewers(
    pool: &[Candidate],
    system: &System,
    today: Day,
    excluded: &BTreeSet<AccountId>,
    wanted: usize,
) -> Vec<AccountId> {
    crate::case::choose_reviewers(
        pool,
        &parties(system),
        &system.sectors,
        today,
        excluded,
        wanted,
    )
}

fn parties(system: &System) -> Vec<OrganisationId> {
    std::iter::once(system.owner_organisation_id)
        .chain(system.holder_organisation_id)
        .collect()
}

/// Why a reviewer may not review this system, if they may not.
fn eligible(c: &Candidate, system: &System, today: Day) -> Result<(), &'static str> {
    match crate::case::ineligible_reviewer(c, &parties(system), &system.sectors, today) {
        Some(why) => Err(why),
        None => Ok(()),
    }
}

/// A new registration case for the system's current version: refused for
/// a prohibited classification; registered at once where the pack asks no
/// expert review; otherwise submitted, with reviewers from the pool.
pub fn submit(ctx: &Context<'_>, id: CaseId) -> Result<Stepped, Refusal> {
    let system = ctx.system;
    if !matches!(system.status, SystemStatus::Draft | SystemStatus::Refused) {
        return Err(refuse_state(
            system.status.as_str(),
            format!(
                "a system can be submitted from draft or refused; this one is {}",
                system.status
            ),
        ));
    }
    let path = ctx.path;
    if path.risk_level == RiskLevel::Prohibited {
        let rules = path
            .prohibited_by
            .iter()
            .map(|(rule, citation)| format!("rule {rule} ({citation})"))
            .collect::<Vec<_>>()
            .join("; ");
        return Err(refuse_state(
            "prohibited",
            format!(
                "the system is classified as prohibited under {} {} and cannot be registered: {rules}",
                path.pack.id, path.pack.version
            ),
        ));
    }
    let today = ctx.today();
    let mut case = Case::new(
        id,
        CaseBody::Registration {
            state: SystemStatus::Submitted,
            body: None,
        },
        ctx.now,
    );
    case.system_id = Some(system.id);
    case.organisation_id = Some(system.owner_organisation_id);
    case.holder_organisation_id = system.holder_organisation_id;
    case.body = CaseBody::Registration {
        state: SystemStatus::Submitted,
        body: Some(Registration {
            version: system.current_version,
            pack: path.pack.clone(),
            risk_level: path.risk_level,
            expert_review: path.expert_review,
            reviewers_required: if path.expert_review {
                path.reviewers
            } else {
                0
            },
            reviews: Vec::new(),
            checklist: path.checklist.clone(),
            information_requests: Vec::new(),
            decision: None,
            measures: Vec::new(),
            documents: Vec::new(),
        }),
    };
    let owner = Recipient::Organisation(system.owner_organisation_id);
    if !path.expert_review {
        set_state(&mut case, SystemStatus::Registered);
        case.open = false;
        return Ok(Stepped {
            case,
            event: "registration.registered",
            system_status: Some(SystemStatus::Registered),
            assign_registry_number: true,
            opened: None,
            notices: vec![notice(owner, "notice-registered-without-review", &[("pack", path.pack.id.to_string()), ("version", path.pack.version.to_string()), ("risk", path.risk_level.as_str().to_string())], format!(
                    "The system is registered: {} {} requires no preliminary expert review for {} risk.",
                    path.pack.id, path.pack.version, path.risk_level
                ))],
        });
    }
    case.deadline = Some(Deadline::start(
        ctx.calendar,
        REVIEW_DEADLINE,
        path.days(REVIEW_DEADLINE),
        today,
    ));
    let mut notices = vec![notice(
        owner,
        "notice-submitted",
        &[],
        "The system was submitted for preliminary expert review.".into(),
    )];
    fill_reviewers(ctx, &mut case, AssignedBy::Automatic, &mut notices);
    Ok(Stepped {
        system_status: Some(state_of(&case)),
        case,
        event: "registration.submitted",
        assign_registry_number: false,
        notices,
        opened: None,
    })
}

fn registration(case: &mut Case) -> Result<&mut Registration, Refusal> {
    let state = case.state();
    case.registration_mut()
        .ok_or_else(|| refuse_state(state, "the case is not a registration dossier"))
}

fn active_reviewers(reg: &Registration) -> impl Iterator<Item = &Review> {
    reg.reviews.iter().filter(|r| r.active())
}

/// Recomputes the assignees and, between `submitted` and
/// `in_expert_review`, the state from the reviewers assigned.
fn settle(case: &mut Case) {
    let Some(reg) = case.registration() else {
        return;
    };
    let active = active_reviewers(reg).count() as u32;
    let assignees = active_reviewers(reg).map(|r| r.reviewer).collect();
    let required = reg.reviewers_required;
    case.assignees = assignees;
    let state = state_of(case);
    if state == SystemStatus::Submitted && active >= required {
        set_state(case, SystemStatus::InExpertReview);
    } else if state == SystemStatus::InExpertReview && active < required {
        set_state(case, SystemStatus::Submitted);
    }
}

/// Adds reviewers from the pool until the pack's number is reached.
fn fill_reviewers(ctx: &Context<'_>, case: &mut Case, by: AssignedBy, notices: &mut Vec<Notice>) {
    let Some(reg) = case.registration_mut() else {
        return;
    };
    let active = active_reviewers(reg).count();
    let wanted = (reg.reviewers_required as usize).saturating_sub(active);
    let excluded: BTreeSet<AccountId> = reg.reviews.iter().map(|r| r.reviewer).collect();
    let chosen = choose_reviewers(ctx.pool, ctx.system, ctx.today(), &excluded, wanted);
    for reviewer in chosen {
        reg.reviews.push(Review {
            reviewer,
            assigned_by: by,
            assigned_at: ctx.now,
            declaration: None,
            marks: Vec::new(),
            recommendation: None,
        });
        notices.push(notice(Recipient::Account(reviewer), "notice-reviewer-assigned", &[], "You were assigned a dossier for preliminary expert review; declare any conflict of interest to open it.".into()));
    }
    let short = wanted.saturating_sub(active_reviewers(reg).count().saturating_sub(active));
    if short > 0 {
        notices.push(notice(Recipient::Role(Role::Supervisor), "notice-pool-short", &[("count", short.to_string())], format!("The reviewer pool has too few eligible reviewers for this dossier: {short} more to assign.")));
    }
    settle(case);
}

fn require_state(case: &Case, allowed: &[SystemStatus], step: &str) -> Result<(), Refusal> {
    crate::case::require_state(state_of(case), allowed, step)
}

/// The actor's active review on the case.
fn own_review(reg: &mut Registration, actor: AccountId) -> Result<&mut Review, Refusal> {
    reg.reviews
        .iter_mut()
        .find(|r| r.reviewer == actor && r.active())
        .ok_or_else(|| Refusal::Forbidden("you are not a reviewer of this dossier".into()))
}

/// Refuses to register, reinstate or resume the review of a system whose
/// current version the pack in force prohibits, naming the rules.
fn refuse_prohibited(ctx: &Context<'_>, state: &str, what: &str) -> Result<(), Refusal> {
    if ctx.path.risk_level != RiskLevel::Prohibited {
        return Ok(());
    }
    let rules = ctx
        .path
        .prohibited_by
        .iter()
        .map(|(rule, citation)| format!("rule {rule} ({citation})"))
        .collect::<Vec<_>>()
        .join("; ");
    Err(refuse_state(
        state,
        format!(
            "cannot {what}: the system's current version is prohibited under {} {}: {rules}",
            ctx.path.pack.id, ctx.path.pack.version
        ),
    ))
}

/// The actor's review, open for work: declared without a conflict, not yet
/// recommended.
fn working_review<'a>(
    reg: &'a mut Registration,
    actor: AccountId,
    state: &str,
) -> Result<&'a mut Review, Refusal> {
    let review = own_review(reg, actor)?;
    if !review.declared() {
        return Err(Refusal::Forbidden(
            "declare your conflict of interest before opening the dossier".into(),
        ));
    }
    if review.recommendation.is_some() {
        return Err(refuse_state(
            state,
            "you have already made your recommendation",
        ));
    }
    Ok(review)
}

/// Takes one step on a registration case.
pub fn step(ctx: &Context<'_>, current: &Case, step: Step) -> Result<Stepped, Refusal> {
    let mut case = current.clone();
    // After registration the system's status is the truth: an
    // investigation's suspension or ban moves it without this case.
    let after = [
        SystemStatus::Registered,
        SystemStatus::Suspended,
        SystemStatus::Revoked,
    ];
    if after.contains(&state_of(&case)) && after.contains(&ctx.system.status) {
        set_state(&mut case, ctx.system.status);
    } else if case.open && state_of(&case) != ctx.system.status {
        return Err(refuse_state(
            case.state(),
            format!(
                "the system is {} while its dossier is {}: the dossier cannot proceed",
                ctx.system.status,
                case.state()
            ),
        ));
    }
    let current = &case.clone();
    case.revision += 1;
    case.updated_at = ctx.now;
    let today = ctx.today();
    let owner = Recipient::Organisation(ctx.system.owner_organisation_id);
    let mut notices = Vec::new();
    let mut system_status = None;
    let mut assign_registry_number = false;
    let event: &'static str = match step {
        Step::Assign { reviewers } => {
            require_state(
                &case,
                &[
                    SystemStatus::Submitted,
                    SystemStatus::InExpertReview,
                    SystemStatus::InformationRequested,
                ],
                "assign",
            )?;
            match reviewers {
                None => fill_reviewers(ctx, &mut case, AssignedBy::Supervisor, &mut notices),
                Some(list) => {
                    let reg = registration(&mut case)?;
                    let room = (reg.reviewers_required as usize)
                        .saturating_sub(active_reviewers(reg).count());
                    if list.len() > room {
                        return Err(invalid(
                            "reviewers",
                            format!(
                                "the dossier needs {room} more reviewer(s); {} given",
                                list.len()
                            ),
                        ));
                    }
                    for (i, reviewer) in list.into_iter().enumerate() {
                        let field = format!("reviewers[{i}]");
                        if reg.reviews.iter().any(|r| r.reviewer == reviewer) {
                            return Err(invalid(&field, "was already assigned to this dossier"));
                        }
                        let candidate = ctx
                            .pool
                            .iter()
                            .find(|c| c.account_id == reviewer)
                            .ok_or_else(|| invalid(&field, "is not in the reviewer pool"))?;
                        eligible(candidate, ctx.system, ctx.today())
                            .map_err(|r| invalid(&field, r))?;
                        reg.reviews.push(Review {
                            reviewer,
                            assigned_by: AssignedBy::Supervisor,
                            assigned_at: ctx.now,
                            declaration: None,
                            marks: Vec::new(),
                            recommendation: None,
                        });
                        notices.push(notice(Recipient::Account(reviewer), "notice-reviewer-assigned", &[], "You were assigned a dossier for preliminary expert review; declare any conflict of interest to open it.".into()));
                    }
                    settle(&mut case);
                }
            }
            if state_of(&case) != state_of(current) {
                system_status = Some(state_of(&case));
            }
            "registration.reviewers_assigned"
        }
        Step::Declare {
            conflict,
            statement,
        } => {
            require_state(
                &case,
                &[
                    SystemStatus::Submitted,
                    SystemStatus::InExpertReview,
                    SystemStatus::InformationRequested,
                ],
                "declare",
            )?;
            let statement = match statement {
                Some(s) => Some(
                    optional_text(&s, MAX_REASONS_CHARS).map_err(|r| invalid("statement", r))?,
                )
                .filter(|s| !s.is_empty()),
                None => None,
            };
            if conflict && statement.is_none() {
                return Err(invalid(
                    "statement",
                    "must say what the conflict of interest is",
                ));
            }
            let reg = registration(&mut case)?;
            let review = own_review(reg, ctx.actor)?;
            if review.declaration.is_some() {
                return Err(refuse_state(
                    current.state(),
                    "you have already declared for this dossier",
                ));
            }
            review.declaration = Some(Declaration {
                conflict,
                statement,
                at: ctx.now,
            });
            if conflict {
                notices.push(notice(
                    Recipient::Role(Role::Supervisor),
                    "notice-reviewer-replaced",
                    &[],
                    "A reviewer declared a conflict of interest and was replaced.".into(),
                ));
                fill_reviewers(ctx, &mut case, AssignedBy::Automatic, &mut notices);
                if state_of(&case) != state_of(current) {
                    system_status = Some(state_of(&case));
                }
                "registration.conflict_declared"
            } else {
                "registration.no_conflict_declared"
            }
        }
        Step::Check { marks } => {
            require_state(&case, &[SystemStatus::InExpertReview], "check")?;
            if marks.is_empty() {
                return Err(invalid("marks", "must mark at least one item"));
            }
            let reg = registration(&mut case)?;
            let items: Vec<DocumentationItem> = reg.checklist.iter().map(|c| c.item).collect();
            let review = working_review(reg, ctx.actor, current.state())?;
            for (i, m) in marks.into_iter().enumerate() {
                if !items.contains(&m.item) {
                    return Err(invalid(
                        &format!("marks[{i}].item"),
                        format!("`{}` is not on this dossier's checklist", m.item),
                    ));
                }
                let note = match m.note {
                    Some(n) => optional_text(&n, MAX_REASONS_CHARS)
                        .map_err(|r| invalid(&format!("marks[{i}].note"), r))?,
                    None => String::new(),
                };
                review.marks.retain(|x| x.item != m.item);
                review.marks.push(Mark {
                    item: m.item,
                    mark: m.mark,
                    note: Some(note).filter(|n| !n.is_empty()),
                });
            }
            review.marks.sort_by_key(|m| m.item);
            "registration.checked"
        }
        Step::RequestInformation { questions } => {
            require_state(
                &case,
                &[SystemStatus::InExpertReview],
                "request_information",
            )?;
            let questions = text("questions", &questions)?;
            let calendar = ctx.calendar;
            let reviewing = {
                let reg = registration(&mut case)?;
                reg.reviews
                    .iter()
                    .any(|r| r.reviewer == ctx.actor && r.declared())
            };
            if !reviewing && !ctx.supervisor {
                return Err(Refusal::Forbidden(
                    "only a declared reviewer of this dossier or a supervisor may ask the developer"
                        .into(),
                ));
            }
            let days = ctx.path.days(ANSWER_DEADLINE);
            let answer_due = calendar.add_working_days(today, days);
            registration(&mut case)?
                .information_requests
                .push(InformationRequest {
                    by: ctx.actor,
                    at: ctx.now,
                    questions,
                    answer_due,
                    answer: None,
                });
            if let Some(deadline) = case.deadline.as_mut() {
                deadline.pause(calendar, today);
            }
            set_state(&mut case, SystemStatus::InformationRequested);
            system_status = Some(SystemStatus::InformationRequested);
            notices.push(notice(owner, "notice-information-requested", &[("due", answer_due.to_string())], format!("The reviewers ask for information; answer by {answer_due}. The review is paused until you do.")));
            "registration.information_requested"
        }
        Step::Respond {
            answer,
            attachments,
        } => {
            require_state(&case, &[SystemStatus::InformationRequested], "respond")?;
            let answer = text("answer", &answer)?;
            crate::case::Attachment::check_all("attachments", &attachments)
                .map_err(Refusal::Invalid)?;
            refuse_prohibited(ctx, current.state(), "answer")?;
            let version = ctx.system.current_version;
            let checklist = ctx.path.checklist.clone();
            let reg = registration(&mut case)?;
            let Some(request) = reg
                .information_requests
                .iter_mut()
                .rev()
                .find(|r| r.answer.is_none())
            else {
                return Err(refuse_state(
                    current.state(),
                    "no request is waiting for an answer",
                ));
            };
            request.answer = Some(Answer {
                by: ctx.actor,
                at: ctx.now,
                text: answer,
                version,
                attachments,
            });
            if version != reg.version {
                // The documentation changed: the classification, the
                // checklist and the number of reviewers follow it; marks on
                // items still on the checklist stay.
                reg.version = version;
                reg.checklist = checklist;
                reg.pack = ctx.path.pack.clone();
                reg.risk_level = ctx.path.risk_level;
                if ctx.path.expert_review {
                    reg.reviewers_required = reg.reviewers_required.max(ctx.path.reviewers);
                }
                let items: Vec<DocumentationItem> = reg.checklist.iter().map(|c| c.item).collect();
                for review in &mut reg.reviews {
                    review.marks.retain(|m| items.contains(&m.item));
                }
            }
            let reviewers: Vec<AccountId> = active_reviewers(reg).map(|r| r.reviewer).collect();
            if let Some(deadline) = case.deadline.as_mut() {
                deadline.resume(ctx.calendar, today);
            }
            set_state(&mut case, SystemStatus::InExpertReview);
            for r in reviewers {
                notices.push(notice(
                    Recipient::Account(r),
                    "notice-review-resumes",
                    &[],
                    "The developer answered; the review resumes.".into(),
                ));
            }
            // A conflict while waiting, or more reviewers now required, may
            // leave the dossier short: the pool fills it, or it waits.
            settle(&mut case);
            fill_reviewers(ctx, &mut case, AssignedBy::Automatic, &mut notices);
            system_status = Some(state_of(&case));
            "registration.resubmitted"
        }
        Step::AddDocuments {
            description,
            attachments,
        } => {
            require_state(
                &case,
                &[
                    SystemStatus::Submitted,
                    SystemStatus::InExpertReview,
                    SystemStatus::InformationRequested,
                    SystemStatus::Recommended,
                ],
                "add_documents",
            )?;
            let description = text("description", &description)?;
            if attachments.is_empty() {
                return Err(invalid("attachments", "must hold at least one file"));
            }
            crate::case::Attachment::check_all("attachments", &attachments)
                .map_err(Refusal::Invalid)?;
            let version = ctx.system.current_version;
            let reg = registration(&mut case)?;
            reg.documents.push(Documents {
                by: ctx.actor,
                at: ctx.now,
                description,
                version,
                attachments,
            });
            let reviewers: Vec<AccountId> = active_reviewers(reg).map(|r| r.reviewer).collect();
            for r in reviewers {
                notices.push(notice(
                    Recipient::Account(r),
                    "notice-documents-added",
                    &[],
                    "The developer added documents to a dossier you review.".into(),
                ));
            }
            "registration.documents_added"
        }
        Step::Recommend { verdict, reasons } => {
            require_state(&case, &[SystemStatus::InExpertReview], "recommend")?;
            let reasons = text("reasons", &reasons)?;
            let reg = registration(&mut case)?;
            let items: Vec<DocumentationItem> = reg.checklist.iter().map(|c| c.item).collect();
            let review = working_review(reg, ctx.actor, current.state())?;
            let unmarked: Vec<&str> = items
                .iter()
                .filter(|i| !review.marks.iter().any(|m| m.item == **i))
                .map(|i| i.as_str())
                .collect();
            if !unmarked.is_empty() {
                return Err(invalid(
                    "checklist",
                    format!(
                        "mark every item before recommending; unmarked: {}",
                        unmarked.join(", ")
                    ),
                ));
            }
            review.recommendation = Some(Recommendation {
                verdict,
                reasons,
                at: ctx.now,
            });
            let required = reg.reviewers_required as usize;
            let done = active_reviewers(reg)
                .filter(|r| r.recommendation.is_some())
                .count();
            if done >= required {
                set_state(&mut case, SystemStatus::Recommended);
                system_status = Some(SystemStatus::Recommended);
                case.deadline = Some(Deadline::start(
                    ctx.calendar,
                    DECISION_DEADLINE,
                    ctx.path.days(DECISION_DEADLINE),
                    today,
                ));
                notices.push(notice(
                    Recipient::Role(Role::Supervisor),
                    "notice-recommended",
                    &[],
                    "Every reviewer has recommended; the dossier awaits your decision.".into(),
                ));
            }
            "registration.recommended"
        }
        Step::Decide { verdict, reasons } => {
            require_state(&case, &[SystemStatus::Recommended], "decide")?;
            let reasons = text("reasons", &reasons)?;
            if verdict == Verdict::Register {
                refuse_prohibited(ctx, current.state(), "register")?;
            }
            let reg = registration(&mut case)?;
            if reg.reviews.iter().any(|r| r.reviewer == ctx.actor) {
                return Err(Refusal::Forbidden(
                    "a reviewer of this dossier cannot also decide it (four eyes)".into(),
                ));
            }
            reg.decision = Some(Decision {
                by: ctx.actor,
                at: ctx.now,
                verdict,
                reasons,
            });
            let status = match verdict {
                Verdict::Register => SystemStatus::Registered,
                Verdict::Refuse => SystemStatus::Refused,
            };
            assign_registry_number = verdict == Verdict::Register;
            set_state(&mut case, status);
            case.open = false;
            case.deadline = None;
            system_status = Some(status);
            notices.push(notice(
                owner,
                "notice-decided",
                &[("status", status.as_str().to_string())],
                format!("Decision on your application: {status}."),
            ));
            if verdict == Verdict::Register {
                "registration.registered"
            } else {
                "registration.refused"
            }
        }
        Step::Suspend { reasons } => {
            measure(
                &mut case,
                ctx,
                SystemStatus::Registered,
                SystemStatus::Suspended,
                &reasons,
            )?;
            system_status = Some(SystemStatus::Suspended);
            notices.push(notice(
                owner,
                "notice-suspended",
                &[],
                "The system's registration is suspended.".into(),
            ));
            "registration.suspended"
        }
        Step::Reinstate { reasons } => {
            refuse_prohibited(ctx, current.state(), "reinstate")?;
            measure(
                &mut case,
                ctx,
                SystemStatus::Suspended,
                SystemStatus::Registered,
                &reasons,
            )?;
            system_status = Some(SystemStatus::Registered);
            notices.push(notice(
                owner,
                "notice-reinstated",
                &[],
                "The system's registration is reinstated.".into(),
            ));
            "registration.reinstated"
        }
        Step::Revoke { reasons } => {
            let from = state_of(&case);
            if !matches!(from, SystemStatus::Registered | SystemStatus::Suspended) {
                return Err(refuse_state(
                    case.state(),
                    format!(
                        "`revoke` is possible when the system is registered or suspended; it is {}",
                        case.state()
                    ),
                ));
            }
            measure(&mut case, ctx, from, SystemStatus::Revoked, &reasons)?;
            system_status = Some(SystemStatus::Revoked);
            notices.push(notice(
                owner,
                "notice-revoked",
                &[],
                "The system's registration is revoked.".into(),
            ));
            "registration.revoked"
        }
        Step::Withdraw { reasons } => {
            require_state(&case, &SystemStatus::IN_REVIEW, "withdraw")?;
            let reasons = match reasons {
                Some(r) => {
                    optional_text(&r, MAX_REASONS_CHARS).map_err(|e| invalid("reasons", e))?
                }
                None => String::new(),
            };
            let reviewers = case.assignees.clone();
            registration(&mut case)?.measures.push(Measure {
                status: SystemStatus::Withdrawn,
                by: Some(ctx.actor),
                at: ctx.now,
                reasons,
            });
            set_state(&mut case, SystemStatus::Withdrawn);
            case.open = false;
            case.deadline = None;
            system_status = Some(SystemStatus::Draft);
            for r in reviewers {
                notices.push(notice(
                    Recipient::Account(r),
                    "notice-withdrawn",
                    &[],
                    "The developer withdrew the application.".into(),
                ));
            }
            "registration.withdrawn"
        }
    };
    Ok(Stepped {
        case,
        event,
        system_status,
        assign_registry_number,
        notices,
        opened: None,
    })
}

fn measure(
    case: &mut Case,
    ctx: &Context<'_>,
    from: SystemStatus,
    to: SystemStatus,
    reasons: &str,
) -> Result<(), Refusal> {
    let step = match to {
        SystemStatus::Suspended => "suspend",
        SystemStatus::Revoked => "revoke",
        _ => "reinstate",
    };
    require_state(case, &[from], step)?;
    let reasons = text("reasons", reasons)?;
    registration(case)?.measures.push(Measure {
        status: to,
        by: Some(ctx.actor),
        at: ctx.now,
        reasons,
    });
    set_state(case, to);
    Ok(())
}

/// What a newly published pack does to a registered system whose
/// classification it changed: a prohibited classification suspends the
/// registration; a requirement of expert review that the registration did
/// not go through opens a new review. `registration` is the system's latest
/// registration case (absent for systems registered before cases existed).
/// `None` when the new path asks nothing more.
pub fn repath(ctx: &Context<'_>, registration: Option<&Case>, new_case: CaseId) -> Option<Stepped> {
    let system = ctx.system;
    let path = ctx.path;
    if !matches!(system.status, SystemStatus::Registered) {
        return None;
    }
    let pack = format!("{} {}", path.pack.id, path.pack.version);
    if path.risk_level == RiskLevel::Prohibited {
        let rules = path
            .prohibited_by
            .iter()
            .map(|(rule, citation)| format!("rule {rule} ({citation})"))
            .collect::<Vec<_>>()
            .join("; ");
        let reasons = format!(
            "Suspended on the publication of {pack}, which classifies the system as prohibited: {rules}."
        );
        let current = registration?;
        let mut case = current.clone();
        case.revision += 1;
        case.updated_at = ctx.now;
        set_state(&mut case, SystemStatus::Suspended);
        if let Some(reg) = case.registration_mut() {
            reg.measures.push(Measure {
                status: SystemStatus::Suspended,
                by: None,
                at: ctx.now,
                reasons: reasons.clone(),
            });
        }
        let mut stepped = Stepped::new(case, "registration.suspended");
        stepped.system_status = Some(SystemStatus::Suspended);
        stepped.notices.push(notice(
            Recipient::Organisation(system.owner_organisation_id),
            "notice-suspended-prohibited",
            &[("pack", pack.clone()), ("rules", rules.clone())],
            reasons,
        ));
        return Some(stepped);
    }
    let reviewed = registration
        .and_then(|c| c.registration())
        .is_some_and(|r| r.expert_review);
    if !path.expert_review || reviewed {
        return None;
    }
    // The new pack requires a review the registration did not have: the
    // system keeps its registry number and goes through review now.
    let mut stepped = submit(
        &Context {
            system: &System {
                status: SystemStatus::Draft,
                ..system.clone()
            },
            ..*ctx
        },
        new_case,
    )
    .ok()?;
    stepped.event = "registration.review_required";
    stepped.notices.insert(
        0,
        notice(Recipient::Organisation(system.owner_organisation_id), "notice-review-required", &[("pack", pack.clone())], format!(
                "{pack} now requires preliminary expert review of your registered system; it was submitted for review."
            )),
    );
    Some(stepped)
}
