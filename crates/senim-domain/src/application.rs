//! Applications to a programme's call (issue 18): a case (`crate::case`) of
//! kind `application`, so every step is an event in the log, with the
//! deadlines, notices, reviewer pool and access rules every case has.
//!
//! ```text
//! draft ─submit_application─▶ submitted ─admit─▶ in_review ─decide_application─▶ awarded | waitlisted | refused
//!   ▲                             │
//!   └──── return_application ─────┘   (for correction, while the call is open)
//! submitted ─decide_application(refusal)─▶ refused   (inadmissible)
//! waitlisted ─decide_application─▶ awarded | refused
//! awarded ─accept_award─▶ accepted · awarded ─decline_award─▶ declined
//! draft | submitted | in_review | waitlisted ─withdraw_application─▶ withdrawn
//! in_review ─assign_reviewers─▶ in_review   (the pool was short)
//! ```
//!
//! Submission checks the call's eligibility rules (worked out by the caller,
//! which knows the rules and the applicant) and the form's completeness at
//! once and names every problem. Admission assigns reviewers from the pool,
//! leaving out every reviewer with a conflict of interest (the applicant's
//! own organisation, one it worked with, a declared standing conflict) and
//! recording why. A decision needs the call's number of scored reviews; an
//! award needs the reviews' mean to reach the call's threshold and enough
//! time left to use it, and never exceeds what was asked (the store checks
//! the budget in the same transaction).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::calendar::{Calendar, Day, Deadline};
use crate::case::{
    choose_reviewers, invalid, next, notice, refuse_state, require_state, text, AssignedBy,
    Candidate, Case, CaseBody, Declaration, Recipient, Refusal, Stepped,
};
use crate::clock::Timestamp;
use crate::error::{Problems, ValidationError};
use crate::ids::{AccountId, CallId, CaseId, OrganisationId, PlatformResourceId};
use crate::profile::{vocabulary, Sector};
use crate::programme::{AnswerKind, BudgetUnit, Call, CallStatus, EvaluationMode, Rubric};

vocabulary!(
    /// Where an application stands.
    ApplicationState {
        Draft => "draft",
        Submitted => "submitted",
        InReview => "in_review",
        Awarded => "awarded",
        Waitlisted => "waitlisted",
        Refused => "refused",
        Accepted => "accepted",
        Declined => "declined",
        Withdrawn => "withdrawn",
        Completed => "completed",
    }
);

vocabulary!(
    /// A report an awardee owes: progress reports on the call's schedule,
    /// the last of them the final report.
    ReportKind {
        Progress => "progress",
        Final => "final",
    }
);

vocabulary!(
    /// What a report says came out of the work.
    OutputKind {
        Paper => "paper",
        Dataset => "dataset",
        Model => "model",
        Software => "software",
        System => "system",
    }
);

vocabulary!(
    /// Where a report stands on a day.
    ReportStatus {
        Upcoming => "upcoming",
        Overdue => "overdue",
        Submitted => "submitted",
        Returned => "returned",
        Accepted => "accepted",
    }
);

vocabulary!(
    /// What a programme manager decides on an application.
    Outcome {
        Award => "award",
        PartialAward => "partial_award",
        WaitingList => "waiting_list",
        Refusal => "refusal",
    }
);

/// The deadlines of an application, in working days: the administrative
/// check after submission, then review and decision after admission.
pub const ADMISSION_DAYS: u32 = 10;
pub const DECISION_DAYS: u32 = 30;

/// The most outputs one report lists.
pub const MAX_OUTPUTS: usize = 100;

/// The longest answer to a question, in characters.
pub const MAX_ANSWER_CHARS: usize = 20_000;

/// What an applicant writes (a draft's content, replaced whole on each edit).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationInput {
    pub title: String,
    #[serde(default)]
    pub summary: String,
    /// The sectors the work is in (eligibility rules may ask for some).
    #[serde(default)]
    pub sectors: Vec<Sector>,
    /// What is asked, in the call's unit (tiyn or credits).
    pub requested: i64,
    /// Answers to the call's questions, by question id.
    #[serde(default)]
    pub answers: Vec<AnswerValue>,
    /// For a credits call: the Platform's resources the award will be
    /// exchanged for, assessed by their providers during review.
    #[serde(default)]
    pub resources: Vec<ResourceAsk>,
    /// Other organisations applying jointly with the applicant's (a
    /// consortium). Their reviewers have a conflict of interest, and so,
    /// for three years, do the reviewers of anyone they applied with.
    #[serde(default)]
    pub partners: Vec<OrganisationId>,
}

/// The most partner organisations one application names.
pub const MAX_PARTNERS: usize = 20;

/// How long applying together or running an AI system together makes two
/// organisations related, in months: their reviewers review neither.
pub const JOINT_WORK_MONTHS: u32 = 36;

/// A resource of the Platform an application means to use, and how much.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResourceAsk {
    pub resource_id: PlatformResourceId,
    pub units: i64,
}

/// A provider's technical assessment of a resource an application asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Assessment {
    pub resource_id: PlatformResourceId,
    pub provider_organisation_id: OrganisationId,
    pub units: i64,
    /// None until the provider assessed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feasible: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assessed_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerValue {
    pub question: String,
    pub value: String,
}

/// An application's body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Application {
    pub call_id: CallId,
    /// The organisation that runs the call's programme (its managers decide).
    pub programme_organisation_id: OrganisationId,
    /// The account that opened the draft.
    pub applicant: AccountId,
    pub title: String,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub sectors: Vec<Sector>,
    pub unit: BudgetUnit,
    /// Expert reviews the call needs before a decision.
    #[serde(default)]
    pub reviewers_required: u8,
    pub requested: i64,
    #[serde(default)]
    pub answers: Vec<AnswerValue>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submitted_at: Option<Timestamp>,
    /// Why it was returned for correction, the last time it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub returned: Option<String>,
    /// Every reviewer ever assigned, with their declaration and scores.
    #[serde(default)]
    pub reviews: Vec<ApplicationReview>,
    /// Reviewers of the pool left out for a conflict of interest, and why.
    #[serde(default)]
    pub conflicts: Vec<DetectedConflict>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<AwardDecision>,
    /// When the awardee accepted or declined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered_at: Option<Timestamp>,
    /// The award's shares released so far.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tranches: Vec<Tranche>,
    /// The shares still to come, in percent, each after the next accepted
    /// report (fixed on acceptance from the call's terms).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending_shares: Vec<u8>,
    /// The reports owed, from acceptance on the call's schedule.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reports: Vec<Report>,
    /// The Platform's resources it means to use.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<ResourceAsk>,
    /// Their providers' technical assessments, opened on admission.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assessments: Vec<Assessment>,
    /// The organisations applying jointly with the applicant's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub partners: Vec<OrganisationId>,
}

impl Application {
    /// The units of `resource` its provider found feasible, if it did.
    pub fn feasible_units(&self, resource: PlatformResourceId) -> Option<i64> {
        self.assessments
            .iter()
            .find(|a| a.resource_id == resource && a.feasible == Some(true))
            .map(|a| a.units)
    }
}

/// A share of an award, released.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Tranche {
    /// In the award's unit.
    pub amount: i64,
    pub released_at: Timestamp,
    /// The report whose acceptance released it (its index); none for the
    /// share released on acceptance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_report: Option<usize>,
}

/// A report the awardee owes, and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Report {
    pub kind: ReportKind,
    /// The last day to submit it.
    pub due: Day,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submitted_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub text: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outputs: Vec<ReportOutput>,
    /// The last review of it: accepted, or returned with the reasons.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<ReportReview>,
}

impl Report {
    pub fn status(&self, today: Day) -> ReportStatus {
        match (&self.review, self.submitted_at) {
            (Some(r), _) if r.accepted => ReportStatus::Accepted,
            (Some(r), Some(at)) if at > r.at => ReportStatus::Submitted,
            (None, Some(_)) => ReportStatus::Submitted,
            (Some(_), _) if today > self.due => ReportStatus::Overdue,
            (Some(_), _) => ReportStatus::Returned,
            (None, None) if today > self.due => ReportStatus::Overdue,
            (None, None) => ReportStatus::Upcoming,
        }
    }
}

/// One output a report lists: a paper, a dataset of the library, a model,
/// software, or a registered AI system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportOutput {
    pub kind: OutputKind,
    pub title: String,
    /// Where it is: a DOI or an address for a paper or software, the
    /// dataset's or the system's id in Senim.
    pub reference: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReportReview {
    pub by: AccountId,
    pub at: Timestamp,
    pub accepted: bool,
    pub reasons: String,
}

impl Application {
    /// The reviews that count: reviewers who did not step aside.
    pub fn active_reviews(&self) -> impl Iterator<Item = &ApplicationReview> {
        self.reviews.iter().filter(|r| r.active())
    }

    /// The awarded amount, once awarded (or accepted).
    pub fn awarded(&self, state: ApplicationState) -> i64 {
        match (state, &self.decision) {
            (
                ApplicationState::Awarded
                | ApplicationState::Accepted
                | ApplicationState::Completed,
                Some(d),
            ) => d.amount,
            _ => 0,
        }
    }

    /// What has been released of the award so far.
    pub fn released(&self) -> i64 {
        self.tranches.iter().map(|t| t.amount).sum()
    }

    /// The first report past its day and not submitted (or returned and not
    /// submitted again): it blocks the next share and new exchanges.
    pub fn overdue_report(&self, today: Day) -> Option<(usize, &Report)> {
        self.reports
            .iter()
            .enumerate()
            .find(|(_, r)| r.status(today) == ReportStatus::Overdue)
    }

    /// The last day the award can be used.
    pub fn usable_until(&self) -> Option<Day> {
        self.decision.as_ref().and_then(|d| d.usable_until)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ApplicationReview {
    pub reviewer: AccountId,
    pub assigned_by: AssignedBy,
    pub assigned_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declaration: Option<Declaration>,
    /// The marks, one per criterion of the call's rubric, each with a reason.
    #[serde(default)]
    pub marks: Vec<CriterionMark>,
    /// The weighted score in tenths of a percent, once scored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_mille: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scored_at: Option<Timestamp>,
}

impl ApplicationReview {
    pub fn active(&self) -> bool {
        !self.declaration.as_ref().is_some_and(|d| d.conflict)
    }

    pub fn declared(&self) -> bool {
        self.declaration.as_ref().is_some_and(|d| !d.conflict)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CriterionMark {
    pub criterion: String,
    pub mark: u8,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DetectedConflict {
    pub reviewer: AccountId,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AwardDecision {
    pub by: AccountId,
    pub at: Timestamp,
    pub outcome: Outcome,
    /// Awarded, in the call's unit (0 unless an award).
    pub amount: i64,
    /// The last day the award can be used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usable_until: Option<Day>,
    pub reasons: String,
}

/// A rule of the call the applicant does not meet, in three languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnmetRule {
    pub id: String,
    pub text: String,
}

/// What a step on an application needs besides the case.
pub struct Context<'a> {
    pub now: Timestamp,
    pub actor: AccountId,
    pub calendar: &'a Calendar,
    pub call: &'a Call,
    /// The reviewer pool, for admission and replacement.
    pub pool: &'a [Candidate],
    /// Organisations the applicant or a partner worked with within
    /// [`JOINT_WORK_MONTHS`] (the other party of an AI system, another
    /// organisation of a joint application): their reviewers have a
    /// conflict.
    pub related: &'a [OrganisationId],
    /// For a submission: the call's rules the applicant does not meet.
    pub unmet: &'a [UnmetRule],
    /// What is left of the call's budget (the store checks it again).
    pub remaining: i64,
    /// The Platform's resources the application asks for (for admission:
    /// who assesses each).
    pub resources: &'a [crate::allocation::PlatformResource],
}

impl Context<'_> {
    fn today(&self) -> Day {
        Day::of(self.now)
    }
}

/// A step on an application, as the API and the pages send it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum ApplicationStep {
    /// Applicant: replace the draft's content.
    EditApplication { application: ApplicationInput },
    /// Applicant: submit the draft (eligibility and completeness checked).
    SubmitApplication,
    /// Manager: the administrative check passed; reviewers are assigned.
    Admit,
    /// Manager: back to the applicant for correction, with the reasons.
    ReturnApplication { reasons: String },
    /// Manager: assign reviewers from the pool again, when it was short.
    AssignReviewers,
    /// Assigned reviewer: declare whether they have a conflict of interest.
    DeclareInterest {
        conflict: bool,
        #[serde(default)]
        statement: Option<String>,
    },
    /// Assigned reviewer who declared no conflict: a mark per criterion.
    Score { marks: Vec<CriterionMark> },
    /// Manager: the decision.
    DecideApplication {
        outcome: Outcome,
        /// For a partial award: the amount; an award gives what was asked.
        #[serde(default)]
        amount: Option<i64>,
        /// For an award: the last day it can be used.
        #[serde(default)]
        usable_until: Option<Day>,
        reasons: String,
    },
    /// Applicant: accept the award.
    AcceptAward,
    /// Applicant: decline the award.
    DeclineAward,
    /// Applicant: withdraw the application.
    WithdrawApplication,
    /// Awardee: the next report owed, with what came out of the work.
    SubmitReport {
        text: String,
        #[serde(default)]
        outputs: Vec<ReportOutput>,
    },
    /// Manager: accept the submitted report (releasing the next share, and
    /// completing the award after the final report), or return it.
    ReviewReport { accept: bool, reasons: String },
    /// A resource's provider: whether what the application asks of the
    /// resource can be provided, with a note.
    AssessFeasibility {
        resource_id: PlatformResourceId,
        feasible: bool,
        note: String,
    },
}

impl ApplicationStep {
    /// Every step's name, in the order of [`Self::name`].
    pub const NAMES: &'static [&'static str] = &[
        "edit_application",
        "submit_application",
        "admit",
        "return_application",
        "assign_reviewers",
        "declare_interest",
        "score",
        "decide_application",
        "accept_award",
        "decline_award",
        "withdraw_application",
        "submit_report",
        "review_report",
        "assess_feasibility",
    ];

    pub fn name(&self) -> &'static str {
        match self {
            ApplicationStep::EditApplication { .. } => "edit_application",
            ApplicationStep::SubmitApplication => "submit_application",
            ApplicationStep::Admit => "admit",
            ApplicationStep::ReturnApplication { .. } => "return_application",
            ApplicationStep::AssignReviewers => "assign_reviewers",
            ApplicationStep::DeclareInterest { .. } => "declare_interest",
            ApplicationStep::Score { .. } => "score",
            ApplicationStep::DecideApplication { .. } => "decide_application",
            ApplicationStep::AcceptAward => "accept_award",
            ApplicationStep::DeclineAward => "decline_award",
            ApplicationStep::WithdrawApplication => "withdraw_application",
            ApplicationStep::SubmitReport { .. } => "submit_report",
            ApplicationStep::ReviewReport { .. } => "review_report",
            ApplicationStep::AssessFeasibility { .. } => "assess_feasibility",
        }
    }
}

/// Checks what an applicant wrote against the call's form; names every problem.
fn parse_input(
    call: &Call,
    applicant: Option<OrganisationId>,
    input: ApplicationInput,
) -> Result<ApplicationInput, ValidationError> {
    let mut problems = Problems::new();
    let title = problems.check("title", crate::error::bounded_text(&input.title, 300));
    let summary = problems.check(
        "summary",
        crate::error::optional_text(&input.summary, MAX_ANSWER_CHARS),
    );
    if input.requested < 1 || input.requested > call.budget.amount {
        problems.add(
            "requested",
            format!(
                "must be a whole number from 1 to the call's budget, {} {}",
                call.budget.amount, call.budget.unit
            ),
        );
    }
    let mut seen = BTreeSet::new();
    let mut answers = Vec::with_capacity(input.answers.len());
    for (i, a) in input.answers.into_iter().enumerate() {
        let field = format!("answers[{i}]");
        let Some(question) = call.questions.iter().find(|q| q.id == a.question) else {
            problems.add(
                &format!("{field}.question"),
                "is not a question of this call",
            );
            continue;
        };
        if !seen.insert(a.question.clone()) {
            problems.add(&format!("{field}.question"), "is answered twice");
            continue;
        }
        let value = a.value.trim().to_string();
        let bad = match question.answer {
            AnswerKind::Number => value
                .parse::<i64>()
                .err()
                .map(|_| "must be a whole number".to_string()),
            AnswerKind::YesNo => {
                (!matches!(value.as_str(), "yes" | "no")).then(|| "must be yes or no".to_string())
            }
            AnswerKind::Text | AnswerKind::File => (value.chars().count() > MAX_ANSWER_CHARS)
                .then(|| format!("must be at most {MAX_ANSWER_CHARS} characters")),
        };
        match bad {
            Some(reason) => problems.add(&format!("{field}.value"), reason),
            None if value.is_empty() => {}
            None => answers.push(AnswerValue {
                question: a.question,
                value,
            }),
        }
    }
    let mut asked = BTreeSet::new();
    if !input.resources.is_empty() && call.budget.unit != BudgetUnit::Credits {
        problems.add(
            "resources",
            "only an application to a credits call names the Platform's resources",
        );
    }
    for (i, r) in input.resources.iter().enumerate() {
        if !asked.insert(r.resource_id) {
            problems.add(&format!("resources[{i}].resource_id"), "is named twice");
        }
        if !(1..=crate::allocation::MAX_CAPACITY).contains(&r.units) {
            problems.add(
                &format!("resources[{i}].units"),
                "must be a whole number of at least 1",
            );
        }
    }
    if input.partners.len() > MAX_PARTNERS {
        problems.add(
            "partners",
            format!("must name at most {MAX_PARTNERS} organisations"),
        );
    }
    let mut named = BTreeSet::new();
    for (i, p) in input.partners.iter().enumerate() {
        if Some(*p) == applicant {
            problems.add(
                &format!("partners[{i}]"),
                "is the applicant's own organisation",
            );
        } else if !named.insert(*p) {
            problems.add(&format!("partners[{i}]"), "is named twice");
        }
    }
    problems.finish(|| {
        Some(ApplicationInput {
            title: title?,
            summary: summary?,
            sectors: input.sectors,
            requested: input.requested,
            answers,
            resources: input.resources,
            partners: input.partners,
        })
    })
}

/// A new draft for `call` by `applicant` of `organisation`.
pub fn open_application(
    id: CaseId,
    call: &Call,
    applicant: AccountId,
    organisation: OrganisationId,
    input: ApplicationInput,
    now: Timestamp,
) -> Result<Stepped, Refusal> {
    if call.status(Day::of(now)) == CallStatus::Closed {
        return Err(refuse_state(
            CallStatus::Closed.as_str(),
            format!("the call closed on {}", call.closes),
        ));
    }
    let input = parse_input(call, Some(organisation), input).map_err(Refusal::Invalid)?;
    let application = Application {
        call_id: call.id,
        programme_organisation_id: call.organisation_id,
        applicant,
        title: input.title,
        summary: input.summary,
        sectors: input.sectors,
        unit: call.budget.unit,
        reviewers_required: call.reviewers,
        requested: input.requested,
        answers: input.answers,
        resources: input.resources,
        assessments: Vec::new(),
        partners: input.partners,
        submitted_at: None,
        returned: None,
        reviews: Vec::new(),
        conflicts: Vec::new(),
        decision: None,
        answered_at: None,
        tranches: Vec::new(),
        pending_shares: Vec::new(),
        reports: Vec::new(),
    };
    let mut case = Case::new(
        id,
        CaseBody::Application {
            state: ApplicationState::Draft,
            body: Some(application),
        },
        now,
    );
    case.organisation_id = Some(organisation);
    Ok(Stepped::new(case, "application.drafted"))
}

fn state_of(case: &Case) -> ApplicationState {
    match case.body {
        CaseBody::Application { state, .. } => state,
        _ => ApplicationState::Draft,
    }
}

fn set_state(case: &mut Case, to: ApplicationState) {
    if let CaseBody::Application { state, .. } = &mut case.body {
        *state = to;
    }
}

/// The problems that keep a draft from being submitted: every unmet rule
/// of the call and every required question left unanswered.
fn completeness(ctx: &Context<'_>, app: &Application) -> Result<(), Refusal> {
    let mut problems = Problems::new();
    for rule in ctx.unmet {
        problems.add(
            &format!("eligibility.{}", rule.id),
            format!("not met: {}", rule.text),
        );
    }
    for q in ctx.call.questions.iter().filter(|q| q.required) {
        if !app.answers.iter().any(|a| a.question == q.id) {
            problems.add(&format!("answers.{}", q.id), "is required");
        }
    }
    if app.requested > ctx.call.budget.amount {
        problems.add("requested", "is more than the call's budget");
    }
    problems.finish(|| Some(())).map_err(Refusal::Invalid)
}

/// Adds reviewers from the pool until the call's number of active ones is
/// reached, leaving out those with a conflict of interest and noting why.
fn fill_reviewers(
    ctx: &Context<'_>,
    case: &mut Case,
    by: AssignedBy,
    notices: &mut Vec<crate::case::Notice>,
) {
    let applicant = case.organisation_id;
    let Some(app) = application_mut(case) else {
        return;
    };
    let active = app.active_reviews().count();
    let wanted = usize::from(ctx.call.reviewers).saturating_sub(active);
    let parties: Vec<OrganisationId> = applicant
        .into_iter()
        .chain(app.partners.iter().copied())
        .collect();
    let today = ctx.today();
    let mut excluded: BTreeSet<AccountId> = app.reviews.iter().map(|r| r.reviewer).collect();
    for c in ctx.pool.iter().filter(|c| c.active) {
        if let Some(reason) = conflict_of(c, &parties, ctx.related, today) {
            excluded.insert(c.account_id);
            if !app.conflicts.iter().any(|d| d.reviewer == c.account_id) {
                app.conflicts.push(DetectedConflict {
                    reviewer: c.account_id,
                    reason: reason.to_string(),
                });
            }
        }
    }
    let chosen = choose_reviewers(ctx.pool, &parties, &app.sectors, today, &excluded, wanted);
    for reviewer in &chosen {
        app.reviews.push(ApplicationReview {
            reviewer: *reviewer,
            assigned_by: by,
            assigned_at: ctx.now,
            declaration: None,
            marks: Vec::new(),
            per_mille: None,
            scored_at: None,
        });
        notices.push(notice(
            Recipient::Account(*reviewer),
            "notice-application-reviewer-assigned",
            &[],
            "You were assigned an application to a call to review; declare any conflict of interest to open it.".into(),
        ));
    }
    let short = wanted.saturating_sub(chosen.len());
    if short > 0 {
        notices.push(notice(
            Recipient::Organisation(ctx.call.organisation_id),
            "notice-pool-short",
            &[("count", short.to_string())],
            format!("The reviewer pool has too few eligible reviewers for this application: {short} more to assign."),
        ));
    }
}

/// Why a reviewer of the pool may not review an application whose
/// `parties` are the applicant and its partners, if so. `related` are the
/// organisations that applied or ran an AI system with one of them within
/// [`JOINT_WORK_MONTHS`].
pub fn conflict_of(
    c: &Candidate,
    parties: &[OrganisationId],
    related: &[OrganisationId],
    today: Day,
) -> Option<&'static str> {
    if c.organisation_id.is_some_and(|o| parties.contains(&o)) {
        return Some("belongs to the applicant's organisation or a partner's");
    }
    if c.conflicts.iter().any(|o| parties.contains(o)) {
        return Some("declared a standing conflict of interest with the applicant or a partner");
    }
    if c.recently_left(parties, today) {
        return Some(
            "belonged to the applicant's organisation or a partner's within the last two years",
        );
    }
    if c.organisation_id.is_some_and(|o| related.contains(&o)) {
        return Some(
            "belongs to an organisation that applied or ran an AI system with the applicant or a partner within the last three years",
        );
    }
    None
}

/// The reviewers still working on an application: those who did not step
/// aside and have not scored yet (their queues).
fn working(case: &Case) -> Vec<AccountId> {
    case.application()
        .map(|a| {
            a.active_reviews()
                .filter(|r| r.scored_at.is_none())
                .map(|r| r.reviewer)
                .collect()
        })
        .unwrap_or_default()
}

fn application_mut(case: &mut Case) -> Option<&mut Application> {
    match &mut case.body {
        CaseBody::Application { body, .. } => body.as_mut(),
        _ => None,
    }
}

fn own_review(app: &mut Application, actor: AccountId) -> Result<&mut ApplicationReview, Refusal> {
    app.reviews
        .iter_mut()
        .find(|r| r.reviewer == actor && r.active())
        .ok_or_else(|| Refusal::Forbidden("you are not a reviewer of this application".into()))
}

/// Takes `step` on the application `current`.
pub fn application_step(
    ctx: &Context<'_>,
    current: &Case,
    step: ApplicationStep,
) -> Result<Stepped, Refusal> {
    use ApplicationState as S;
    let state = state_of(current);
    let mut case = next(current, ctx.now);
    let today = ctx.today();
    let owner = case.organisation_id;
    let manager = Recipient::Organisation(ctx.call.organisation_id);
    let applicant = owner.map(Recipient::Organisation);
    if application_mut(&mut case).is_none() {
        return Err(refuse_state(
            current.state(),
            "the case is not an application to a call",
        ));
    }
    let mut notices = Vec::new();
    let event = match step {
        ApplicationStep::EditApplication { application } => {
            require_state(state, &[S::Draft], "edit_application")?;
            let input = parse_input(ctx.call, case.organisation_id, application)
                .map_err(Refusal::Invalid)?;
            if let Some(app) = application_mut(&mut case) {
                app.title = input.title;
                app.summary = input.summary;
                app.sectors = input.sectors;
                app.requested = input.requested;
                app.answers = input.answers;
                app.resources = input.resources;
                app.partners = input.partners;
            }
            "application.edited"
        }
        ApplicationStep::SubmitApplication => {
            require_state(state, &[S::Draft], "submit_application")?;
            if ctx.call.status(today) != CallStatus::Open {
                return Err(refuse_state(
                    state.as_str(),
                    format!(
                        "the call takes applications from {} to {}",
                        ctx.call.opens, ctx.call.closes
                    ),
                ));
            }
            if let Some(app) = application_mut(&mut case) {
                completeness(ctx, app)?;
                app.submitted_at = Some(ctx.now);
            }
            // A call evaluated at its cut-off starts counting after it closes.
            let from = match ctx.call.evaluation {
                EvaluationMode::OnArrival => today,
                EvaluationMode::CutOff => ctx.call.closes.max(today),
            };
            case.deadline = Some(Deadline::start(
                ctx.calendar,
                "application_admission",
                ADMISSION_DAYS,
                from,
            ));
            set_state(&mut case, S::Submitted);
            notices.push(notice(
                manager.clone(),
                "notice-application-submitted",
                &[],
                "An application was submitted to one of your calls.".into(),
            ));
            "application.submitted"
        }
        ApplicationStep::Admit => {
            require_state(state, &[S::Submitted], "admit")?;
            if ctx.call.evaluation == EvaluationMode::CutOff && today <= ctx.call.closes {
                return Err(refuse_state(
                    state.as_str(),
                    format!(
                        "the call is evaluated at its cut-off: applications are admitted after it closes on {}",
                        ctx.call.closes
                    ),
                ));
            }
            set_state(&mut case, S::InReview);
            case.deadline = Some(Deadline::start(
                ctx.calendar,
                "application_decision",
                DECISION_DAYS,
                today,
            ));
            fill_reviewers(ctx, &mut case, AssignedBy::Automatic, &mut notices);
            // Each provider whose resources are asked for assesses them
            // during review, so an award is provisioned without a second wait.
            if let Some(app) = application_mut(&mut case) {
                let mut assessments = Vec::new();
                for ask in &app.resources {
                    let Some(r) = ctx.resources.iter().find(|r| r.id == ask.resource_id) else {
                        return Err(refuse_state(
                            state.as_str(),
                            format!(
                                "resource {} is no longer offered: return the application for correction",
                                ask.resource_id
                            ),
                        ));
                    };
                    assessments.push(Assessment {
                        resource_id: r.id,
                        provider_organisation_id: r.provider_organisation_id,
                        units: ask.units,
                        feasible: None,
                        note: None,
                        assessed_at: None,
                    });
                    notices.push(notice(
                        Recipient::Organisation(r.provider_organisation_id),
                        "notice-assessment-requested",
                        &[],
                        "An application asks for one of your resources: assess whether it can be provided."
                            .into(),
                    ));
                }
                app.assessments = assessments;
            }
            case.assignees = working(&case);
            notices.extend(applicant.clone().map(|r| {
                notice(
                    r,
                    "notice-application-admitted",
                    &[],
                    "Your application passed the administrative check and went to expert review."
                        .into(),
                )
            }));
            "application.admitted"
        }
        ApplicationStep::AssignReviewers => {
            require_state(state, &[S::InReview], "assign_reviewers")?;
            let before = application_mut(&mut case)
                .map(|a| a.reviews.len())
                .unwrap_or_default();
            fill_reviewers(ctx, &mut case, AssignedBy::Supervisor, &mut notices);
            let app = application_mut(&mut case).ok_or_else(|| invalid("case", "no body"))?;
            if app.reviews.len() == before {
                return Err(refuse_state(
                    state.as_str(),
                    "no reviewer to add: the call's number is reached, or the pool has no eligible reviewer left",
                ));
            }
            case.assignees = working(&case);
            "application.reviewers_assigned"
        }
        ApplicationStep::ReturnApplication { reasons } => {
            require_state(state, &[S::Submitted], "return_application")?;
            let reasons = text("reasons", &reasons)?;
            if ctx.call.status(today) == CallStatus::Closed {
                return Err(refuse_state(
                    state.as_str(),
                    "the call has closed: the applicant could not submit again; admit or refuse it",
                ));
            }
            if let Some(app) = application_mut(&mut case) {
                app.returned = Some(reasons);
                app.submitted_at = None;
            }
            case.deadline = None;
            set_state(&mut case, S::Draft);
            notices.extend(applicant.clone().map(|r| {
                notice(
                    r,
                    "notice-application-returned",
                    &[],
                    "Your application was returned for correction; see the reasons, correct it and submit it again.".into(),
                )
            }));
            "application.returned"
        }
        ApplicationStep::DeclareInterest {
            conflict,
            statement,
        } => {
            require_state(state, &[S::InReview], "declare_interest")?;
            let statement = match statement.filter(|s| !s.trim().is_empty()) {
                Some(s) => Some(text("statement", &s)?),
                None => None,
            };
            let app = application_mut(&mut case).ok_or_else(|| invalid("case", "no body"))?;
            let review = own_review(app, ctx.actor)?;
            if review.declaration.is_some() {
                return Err(refuse_state(state.as_str(), "you have already declared"));
            }
            review.declaration = Some(Declaration {
                conflict,
                statement,
                at: ctx.now,
            });
            if conflict {
                let actor = ctx.actor;
                case.assignees.retain(|a| *a != actor);
                fill_reviewers(ctx, &mut case, AssignedBy::Automatic, &mut notices);
                case.assignees = working(&case);
                "application.reviewer_recused"
            } else {
                "application.declared"
            }
        }
        ApplicationStep::Score { marks } => {
            require_state(state, &[S::InReview], "score")?;
            let rubric = Rubric::of(ctx.call);
            let app = application_mut(&mut case).ok_or_else(|| invalid("case", "no body"))?;
            let review = own_review(app, ctx.actor)?;
            if !review.declared() {
                return Err(Refusal::Forbidden(
                    "declare that you have no conflict of interest before scoring".into(),
                ));
            }
            if review.scored_at.is_some() {
                return Err(refuse_state(
                    state.as_str(),
                    "you have already scored this application",
                ));
            }
            let mut problems = Problems::new();
            let mut kept = Vec::with_capacity(marks.len());
            for m in marks {
                match crate::error::bounded_text(&m.reason, crate::case::MAX_REASONS_CHARS) {
                    Ok(reason) => kept.push(CriterionMark { reason, ..m }),
                    Err(r) => problems.add(&format!("marks.{}.reason", m.criterion), r),
                }
            }
            let pairs: Vec<(String, u8)> =
                kept.iter().map(|m| (m.criterion.clone(), m.mark)).collect();
            let score = rubric.score(&pairs);
            if let Err(e) = &score {
                for f in &e.0 {
                    problems.add(&f.field, f.reason.clone());
                }
            }
            let score = problems.finish(|| score.ok()).map_err(Refusal::Invalid)?;
            review.marks = kept;
            review.per_mille = Some(score.per_mille());
            review.scored_at = Some(ctx.now);
            let actor = ctx.actor;
            case.assignees.retain(|a| *a != actor);
            notices.push(notice(
                manager.clone(),
                "notice-application-scored",
                &[],
                "A reviewer scored an application to one of your calls.".into(),
            ));
            "application.scored"
        }
        ApplicationStep::DecideApplication {
            outcome,
            amount,
            usable_until,
            reasons,
        } => {
            let reasons = text("reasons", &reasons)?;
            let allowed: &[S] = if outcome == Outcome::Refusal {
                &[S::Submitted, S::InReview, S::Waitlisted]
            } else {
                &[S::InReview, S::Waitlisted]
            };
            require_state(state, allowed, "decide_application")?;
            if outcome != Outcome::Refusal {
                if let Some(pending) = case
                    .application()
                    .and_then(|a| a.assessments.iter().find(|x| x.feasible.is_none()))
                {
                    return Err(refuse_state(
                        state.as_str(),
                        format!(
                            "the provider's technical assessment of resource {} is not in yet",
                            pending.resource_id
                        ),
                    ));
                }
            }
            let rubric = Rubric::of(ctx.call);
            let app = application_mut(&mut case).ok_or_else(|| invalid("case", "no body"))?;
            let (awarded, until) = if outcome == Outcome::Refusal {
                (0, None)
            } else {
                decide_award(ctx, app, &rubric, outcome, amount, usable_until)?
            };
            app.decision = Some(AwardDecision {
                by: ctx.actor,
                at: ctx.now,
                outcome,
                amount: awarded,
                usable_until: until,
                reasons,
            });
            let (to, key, message) = match outcome {
                Outcome::Award | Outcome::PartialAward => (
                    S::Awarded,
                    "notice-application-awarded",
                    "Your application was awarded; accept the award to use it.",
                ),
                Outcome::WaitingList => (
                    S::Waitlisted,
                    "notice-application-waitlisted",
                    "Your application passed review and is on the waiting list.",
                ),
                Outcome::Refusal => (
                    S::Refused,
                    "notice-application-refused",
                    "Your application was refused; the decision gives the reasons.",
                ),
            };
            set_state(&mut case, to);
            case.assignees.clear();
            case.deadline = None;
            case.open = to != S::Refused;
            notices.extend(
                applicant
                    .clone()
                    .map(|r| notice(r, key, &[], message.into())),
            );
            match to {
                S::Awarded => "application.awarded",
                S::Waitlisted => "application.waitlisted",
                _ => "application.refused",
            }
        }
        ApplicationStep::AcceptAward | ApplicationStep::DeclineAward => {
            let accept = matches!(step, ApplicationStep::AcceptAward);
            require_state(state, &[S::Awarded], step.name())?;
            if let Some(app) = application_mut(&mut case) {
                app.answered_at = Some(ctx.now);
                if accept {
                    start_award(ctx, app);
                }
            }
            set_state(&mut case, if accept { S::Accepted } else { S::Declined });
            case.open = accept;
            notices.push(notice(
                manager.clone(),
                if accept {
                    "notice-award-accepted"
                } else {
                    "notice-award-declined"
                },
                &[],
                if accept {
                    "An awardee accepted an award of one of your calls.".into()
                } else {
                    "An awardee declined an award of one of your calls.".into()
                },
            ));
            if accept {
                "application.accepted"
            } else {
                "application.declined"
            }
        }
        ApplicationStep::SubmitReport {
            text: body,
            outputs,
        } => {
            require_state(state, &[S::Accepted], "submit_report")?;
            let body = text("text", &body)?;
            let outputs = parse_outputs(outputs).map_err(Refusal::Invalid)?;
            let Some(app) = application_mut(&mut case) else {
                return Err(refuse_state(state.as_str(), "not an application"));
            };
            let Some(report) = app
                .reports
                .iter_mut()
                .find(|r| r.status(today) != ReportStatus::Accepted)
            else {
                return Err(refuse_state(
                    state.as_str(),
                    "every report of this award was accepted",
                ));
            };
            if report.status(today) == ReportStatus::Submitted {
                return Err(refuse_state(
                    ReportStatus::Submitted.as_str(),
                    "the report is with the programme for review",
                ));
            }
            report.submitted_at = Some(ctx.now);
            report.text = body;
            report.outputs = outputs;
            notices.push(notice(
                manager.clone(),
                "notice-report-submitted",
                &[],
                "An awardee submitted a report for review.".into(),
            ));
            case.deadline = Some(Deadline::start(
                ctx.calendar,
                "report_review",
                REPORT_REVIEW_DAYS,
                today,
            ));
            "application.report_submitted"
        }
        ApplicationStep::AssessFeasibility {
            resource_id,
            feasible,
            note,
        } => {
            require_state(state, &[S::InReview, S::Waitlisted], "assess_feasibility")?;
            let note = text("note", &note)?;
            let app = application_mut(&mut case).ok_or_else(|| invalid("case", "no body"))?;
            let Some(a) = app
                .assessments
                .iter_mut()
                .find(|a| a.resource_id == resource_id)
            else {
                return Err(invalid(
                    "resource_id",
                    "is not a resource this application asks for",
                ));
            };
            a.feasible = Some(feasible);
            a.note = Some(note);
            a.assessed_at = Some(ctx.now);
            notices.push(notice(
                manager.clone(),
                "notice-assessment-done",
                &[],
                "A provider assessed a resource an application to one of your calls asks for."
                    .into(),
            ));
            "application.assessed"
        }
        ApplicationStep::ReviewReport { accept, reasons } => {
            require_state(state, &[S::Accepted], "review_report")?;
            let reasons = text("reasons", &reasons)?;
            let Some(app) = application_mut(&mut case) else {
                return Err(refuse_state(state.as_str(), "not an application"));
            };
            let count = app.reports.len();
            let Some((index, report)) = app
                .reports
                .iter_mut()
                .enumerate()
                .find(|(_, r)| r.status(today) == ReportStatus::Submitted)
            else {
                return Err(refuse_state(
                    state.as_str(),
                    "no report is waiting for review",
                ));
            };
            report.review = Some(ReportReview {
                by: ctx.actor,
                at: ctx.now,
                accepted: accept,
                reasons,
            });
            let last = index + 1 == count;
            if accept {
                release_share(app, ctx.now, Some(index));
            }
            case.deadline = None;
            if accept && last {
                set_state(&mut case, S::Completed);
                case.open = false;
            }
            notices.extend(applicant.clone().map(|r| {
                if accept {
                    notice(
                        r,
                        "notice-report-accepted",
                        &[],
                        "Your report was accepted.".into(),
                    )
                } else {
                    notice(
                        r,
                        "notice-report-returned",
                        &[],
                        "Your report was returned; the review gives the reasons.".into(),
                    )
                }
            }));
            if accept {
                "application.report_accepted"
            } else {
                "application.report_returned"
            }
        }
        ApplicationStep::WithdrawApplication => {
            require_state(
                state,
                &[S::Draft, S::Submitted, S::InReview, S::Waitlisted],
                "withdraw_application",
            )?;
            set_state(&mut case, S::Withdrawn);
            case.open = false;
            case.assignees.clear();
            case.deadline = None;
            if state != S::Draft {
                notices.push(notice(
                    manager,
                    "notice-application-withdrawn",
                    &[],
                    "An applicant withdrew an application to one of your calls.".into(),
                ));
            }
            "application.withdrawn"
        }
    };
    let mut stepped = Stepped::new(case, event);
    stepped.notices = notices;
    Ok(stepped)
}

/// The working days a programme has to review a submitted report.
pub const REPORT_REVIEW_DAYS: u32 = 10;

/// On acceptance: the reports owed, on the call's schedule from today, and
/// the first share of the award.
fn start_award(ctx: &Context<'_>, app: &mut Application) {
    let today = ctx.today();
    let months = &ctx.call.reports_after_months;
    app.reports = months
        .iter()
        .enumerate()
        .map(|(i, m)| Report {
            kind: if i + 1 == months.len() {
                ReportKind::Final
            } else {
                ReportKind::Progress
            },
            due: today.plus_months(u32::from(*m)),
            submitted_at: None,
            text: String::new(),
            outputs: Vec::new(),
            review: None,
        })
        .collect();
    app.pending_shares = ctx.call.shares();
    release_share(app, ctx.now, None);
}

/// Releases the next share of the award, if one is left; the last share
/// takes what integer division left over, so the shares add up exactly.
fn release_share(app: &mut Application, now: Timestamp, after_report: Option<usize>) {
    if app.pending_shares.is_empty() {
        return;
    }
    let share = app.pending_shares.remove(0);
    let total = app.decision.as_ref().map_or(0, |d| d.amount);
    let amount = if app.pending_shares.is_empty() {
        total - app.released()
    } else {
        total * i64::from(share) / 100
    };
    app.tranches.push(Tranche {
        amount,
        released_at: now,
        after_report,
    });
}

fn parse_outputs(outputs: Vec<ReportOutput>) -> Result<Vec<ReportOutput>, ValidationError> {
    let mut problems = Problems::new();
    if outputs.len() > MAX_OUTPUTS {
        problems.add("outputs", format!("must be at most {MAX_OUTPUTS}"));
    }
    let mut out = Vec::with_capacity(outputs.len());
    for (i, o) in outputs.into_iter().enumerate() {
        let title = problems.check(
            &format!("outputs[{i}].title"),
            crate::error::bounded_text(&o.title, 500),
        );
        let reference = problems.check(
            &format!("outputs[{i}].reference"),
            crate::error::bounded_text(&o.reference, 500),
        );
        if let (Some(title), Some(reference)) = (title, reference) {
            out.push(ReportOutput {
                kind: o.kind,
                title,
                reference,
            });
        }
    }
    problems.finish(|| Some(out))
}

/// The amount and last usable day of an award or a place on the waiting
/// list, or why it cannot be made.
fn decide_award(
    ctx: &Context<'_>,
    app: &Application,
    rubric: &Rubric,
    outcome: Outcome,
    amount: Option<i64>,
    usable_until: Option<Day>,
) -> Result<(i64, Option<Day>), Refusal> {
    let needed = usize::from(ctx.call.reviewers);
    let scores: Vec<crate::programme::Score> = app
        .active_reviews()
        .filter(|r| r.scored_at.is_some())
        .filter_map(|r| {
            let pairs: Vec<(String, u8)> = r
                .marks
                .iter()
                .map(|m| (m.criterion.clone(), m.mark))
                .collect();
            rubric.score(&pairs).ok()
        })
        .collect();
    if scores.len() < needed {
        return Err(refuse_state(
            "in_review",
            format!(
                "the call needs {needed} scored reviews before a decision; this application has {}",
                scores.len()
            ),
        ));
    }
    if !rubric.passes(&scores) {
        return Err(invalid(
            "outcome",
            format!(
                "the reviews' mean is below the call's threshold of {} %: only a refusal is possible",
                rubric.pass_threshold()
            ),
        ));
    }
    if outcome == Outcome::WaitingList {
        return Ok((0, None));
    }
    let awarded = match (outcome, amount) {
        (Outcome::Award, None) => app.requested,
        (Outcome::Award, Some(a)) if a == app.requested => a,
        (Outcome::Award, Some(_)) => {
            return Err(invalid(
                "amount",
                "an award gives what was asked; give a smaller amount as a partial award",
            ))
        }
        (_, Some(a)) if (1..app.requested).contains(&a) => a,
        (_, _) => {
            return Err(invalid(
                "amount",
                format!(
                    "a partial award needs an amount from 1 to {} (less than was asked)",
                    app.requested - 1
                ),
            ))
        }
    };
    if awarded > ctx.remaining {
        return Err(invalid(
            "amount",
            format!(
                "the call's budget has {} {} left",
                ctx.remaining, ctx.call.budget.unit
            ),
        ));
    }
    let Some(until) = usable_until else {
        return Err(invalid(
            "usable_until",
            "an award needs its last usable day",
        ));
    };
    let today = Day::of(ctx.now);
    let min = i64::from(ctx.call.min_usable_days);
    if until < today.plus_days(min - 1) {
        return Err(invalid(
            "usable_until",
            format!(
                "leaves less than the call's {min} days to use the award: an award with too little time left is not made; give {} or later",
                today.plus_days(min - 1)
            ),
        ));
    }
    Ok((awarded, Some(until)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::programme::{
        AnswerKind, Budget, CallInput, Criterion, EvaluationMode, Programme, ProgrammeKind,
        Question,
    };
    use crate::text::LocalizedText;

    fn text(en: &str) -> LocalizedText {
        LocalizedText {
            en: Some(en.into()),
            ..Default::default()
        }
    }

    fn at(day: &str) -> Timestamp {
        Timestamp::parse(&format!("{day}T06:00:00.000Z")).unwrap()
    }

    fn call(evaluation: EvaluationMode) -> Call {
        let programme = Programme {
            id: crate::ids::ProgrammeId::generate(),
            kind: ProgrammeKind::Compute,
            title: text("Compute"),
            description: None,
            organisation_id: OrganisationId::generate(),
            created_at: at("2027-01-04"),
        };
        let input = CallInput {
            title: text("GPU-hours 2027"),
            description: LocalizedText::default(),
            opens: Day::parse("2027-01-11").unwrap(),
            closes: Day::parse("2027-02-26").unwrap(),
            budget: Budget {
                unit: BudgetUnit::Credits,
                amount: 1_000_000,
            },
            evaluation,
            reviewers: 2,
            rubric: vec![
                Criterion {
                    id: "excellence".into(),
                    title: text("Excellence"),
                    weight: 60,
                    scale: 5,
                },
                Criterion {
                    id: "impact".into(),
                    title: text("Impact"),
                    weight: 40,
                    scale: 5,
                },
            ],
            pass_threshold: 60,
            questions: vec![Question {
                id: "plan".into(),
                text: text("Plan"),
                answer: AnswerKind::Text,
                required: true,
            }],
            reports_after_months: vec![3, 9],
            tranches: vec![50, 50],
            min_usable_days: 30,
            eligibility: String::new(),
            max_months: None,
        };
        Call::new(
            CallId::generate(),
            &programme,
            input.parse().unwrap(),
            at("2027-01-04"),
        )
    }

    fn reviewer(org: Option<OrganisationId>) -> Candidate {
        Candidate {
            account_id: AccountId::generate(),
            organisation_id: org,
            sectors: vec![],
            conflicts: vec![],
            load: 0,
            active: true,
            uncertified: vec![],
            former: vec![],
        }
    }

    struct World {
        call: Call,
        calendar: Calendar,
        pool: Vec<Candidate>,
        related: Vec<OrganisationId>,
        unmet: Vec<UnmetRule>,
        applicant_org: OrganisationId,
        manager: AccountId,
    }

    impl World {
        fn new(evaluation: EvaluationMode) -> World {
            World {
                call: call(evaluation),
                calendar: Calendar::weekends_only(),
                pool: vec![],
                related: vec![],
                unmet: vec![],
                applicant_org: OrganisationId::generate(),
                manager: AccountId::generate(),
            }
        }

        fn ctx(&self, actor: AccountId, day: &str) -> Context<'_> {
            Context {
                now: at(day),
                actor,
                calendar: &self.calendar,
                call: &self.call,
                pool: &self.pool,
                related: &self.related,
                unmet: &self.unmet,
                remaining: 1_000_000,
                resources: &[],
            }
        }

        fn draft(&self, answered: bool) -> Case {
            let input = ApplicationInput {
                title: "Triage model for emergency rooms".into(),
                summary: String::new(),
                sectors: vec![Sector::Healthcare],
                requested: 400_000,
                answers: if answered {
                    vec![AnswerValue {
                        question: "plan".into(),
                        value: "Fine-tune on the library's triage data".into(),
                    }]
                } else {
                    vec![]
                },
                resources: vec![],
                partners: vec![],
            };
            open_application(
                CaseId::generate(),
                &self.call,
                AccountId::generate(),
                self.applicant_org,
                input,
                at("2027-01-12"),
            )
            .unwrap()
            .case
        }

        fn step(&self, case: &Case, actor: AccountId, day: &str, step: ApplicationStep) -> Case {
            application_step(&self.ctx(actor, day), case, step)
                .unwrap()
                .case
        }
    }

    fn fields(r: Refusal) -> Vec<String> {
        match r {
            Refusal::Invalid(e) => e.0.into_iter().map(|f| f.field).collect(),
            other => panic!("not invalid: {other:?}"),
        }
    }

    fn marks(excellence: u8, impact: u8) -> ApplicationStep {
        ApplicationStep::Score {
            marks: vec![
                CriterionMark {
                    criterion: "excellence".into(),
                    mark: excellence,
                    reason: "Sound method".into(),
                },
                CriterionMark {
                    criterion: "impact".into(),
                    mark: impact,
                    reason: "Many hospitals".into(),
                },
            ],
        }
    }

    #[test]
    fn a_submission_names_every_unmet_rule_and_missing_answer() {
        let mut w = World::new(EvaluationMode::OnArrival);
        w.unmet = vec![UnmetRule {
            id: "resident".into(),
            text: "A resident of Kazakhstan".into(),
        }];
        let draft = w.draft(false);
        let err = application_step(
            &w.ctx(AccountId::generate(), "2027-01-13"),
            &draft,
            ApplicationStep::SubmitApplication,
        )
        .unwrap_err();
        assert_eq!(fields(err), ["eligibility.resident", "answers.plan"]);
    }

    #[test]
    fn a_cut_off_call_admits_only_after_it_closes() {
        let w = World::new(EvaluationMode::CutOff);
        let submitted = w.step(
            &w.draft(true),
            AccountId::generate(),
            "2027-01-13",
            ApplicationStep::SubmitApplication,
        );
        // The admission clock starts when the call closes.
        assert_eq!(submitted.due().unwrap(), Day::parse("2027-03-12").unwrap());
        let early = application_step(
            &w.ctx(w.manager, "2027-02-26"),
            &submitted,
            ApplicationStep::Admit,
        );
        assert!(matches!(early, Err(Refusal::State { .. })));
        w.step(&submitted, w.manager, "2027-03-01", ApplicationStep::Admit);
    }

    #[test]
    fn a_partner_s_reviewers_and_those_who_left_a_party_lately_are_left_out() {
        let mut w = World::new(EvaluationMode::OnArrival);
        let partner = OrganisationId::generate();
        let of_partner = reviewer(Some(partner));
        let left_lately = Candidate {
            former: vec![crate::case::Affiliation {
                organisation_id: partner,
                until: Day::parse("2025-06-30").unwrap(),
            }],
            ..reviewer(None)
        };
        let left_long_ago = Candidate {
            former: vec![crate::case::Affiliation {
                organisation_id: w.applicant_org,
                until: Day::parse("2024-12-31").unwrap(),
            }],
            ..reviewer(None)
        };
        let other = reviewer(None);
        w.pool = vec![
            of_partner.clone(),
            left_lately.clone(),
            left_long_ago.clone(),
            other.clone(),
        ];
        let mut draft = w.draft(true);
        application_mut(&mut draft).unwrap().partners = vec![partner];
        let submitted = w.step(
            &draft,
            AccountId::generate(),
            "2027-01-13",
            ApplicationStep::SubmitApplication,
        );
        let admitted = w.step(&submitted, w.manager, "2027-01-14", ApplicationStep::Admit);
        let app = admitted.application().unwrap();
        let detected: Vec<(AccountId, &str)> = app
            .conflicts
            .iter()
            .map(|d| (d.reviewer, d.reason.as_str()))
            .collect();
        assert_eq!(
            detected,
            [
                (
                    of_partner.account_id,
                    "belongs to the applicant's organisation or a partner's"
                ),
                (
                    left_lately.account_id,
                    "belonged to the applicant's organisation or a partner's within the last two years"
                ),
            ]
        );
        // Two years after leaving, a reviewer is eligible again.
        let mut reviewers: Vec<AccountId> = app.reviews.iter().map(|r| r.reviewer).collect();
        reviewers.sort();
        let mut expected = vec![left_long_ago.account_id, other.account_id];
        expected.sort();
        assert_eq!(reviewers, expected);
    }

    #[test]
    fn conflicted_reviewers_are_left_out_and_replaced_and_decisions_wait_for_the_reviews() {
        let mut w = World::new(EvaluationMode::OnArrival);
        let partner = OrganisationId::generate();
        w.related = vec![partner];
        let own = reviewer(Some(w.applicant_org));
        let worked_with = reviewer(Some(partner));
        let (a, b, c) = (reviewer(None), reviewer(None), reviewer(None));
        w.pool = vec![
            own.clone(),
            worked_with.clone(),
            a.clone(),
            b.clone(),
            c.clone(),
        ];
        let submitted = w.step(
            &w.draft(true),
            AccountId::generate(),
            "2027-01-13",
            ApplicationStep::SubmitApplication,
        );
        let admitted = w.step(&submitted, w.manager, "2027-01-14", ApplicationStep::Admit);
        let app = admitted.application().unwrap();
        let reviewers: Vec<AccountId> = app.reviews.iter().map(|r| r.reviewer).collect();
        assert_eq!(reviewers.len(), 2);
        assert!(!reviewers.contains(&own.account_id));
        assert!(!reviewers.contains(&worked_with.account_id));
        let detected: Vec<AccountId> = app.conflicts.iter().map(|d| d.reviewer).collect();
        assert_eq!(detected, [own.account_id, worked_with.account_id]);
        assert_eq!(admitted.assignees, reviewers);

        // The first reviewer declares a conflict and is replaced.
        let first = reviewers[0];
        let recused = w.step(
            &admitted,
            first,
            "2027-01-15",
            ApplicationStep::DeclareInterest {
                conflict: true,
                statement: Some("Former colleague".into()),
            },
        );
        let active: Vec<AccountId> = recused
            .application()
            .unwrap()
            .active_reviews()
            .map(|r| r.reviewer)
            .collect();
        assert_eq!(active.len(), 2);
        assert!(!active.contains(&first));
        // A recused reviewer cannot score.
        let refused = application_step(&w.ctx(first, "2027-01-15"), &recused, marks(5, 5));
        assert!(matches!(refused, Err(Refusal::Forbidden(_))));
        // Nor can one who has not declared.
        let undeclared = application_step(&w.ctx(active[0], "2027-01-15"), &recused, marks(5, 5));
        assert!(matches!(undeclared, Err(Refusal::Forbidden(_))));

        let mut case = recused;
        let decide = |outcome, amount, until: &str| ApplicationStep::DecideApplication {
            outcome,
            amount,
            usable_until: Some(Day::parse(until).unwrap()),
            reasons: "Ranked well".into(),
        };
        for (i, r) in active.iter().enumerate() {
            case = w.step(
                &case,
                *r,
                "2027-01-18",
                ApplicationStep::DeclareInterest {
                    conflict: false,
                    statement: None,
                },
            );
            case = w.step(&case, *r, "2027-01-19", marks(4, 3 + i as u8));
            if i == 0 {
                // One scored review of two: no decision yet.
                let early = application_step(
                    &w.ctx(w.manager, "2027-01-19"),
                    &case,
                    decide(Outcome::Award, None, "2027-06-30"),
                );
                assert!(matches!(early, Err(Refusal::State { .. })), "{early:?}");
            }
        }
        // Too little time left to use it: refused, not made.
        let short = application_step(
            &w.ctx(w.manager, "2027-01-20"),
            &case,
            decide(Outcome::Award, None, "2027-02-10"),
        )
        .unwrap_err();
        assert_eq!(fields(short), ["usable_until"]);
        // More than the budget has left.
        let mut ctx = w.ctx(w.manager, "2027-01-20");
        ctx.remaining = 100;
        let over =
            application_step(&ctx, &case, decide(Outcome::Award, None, "2027-06-30")).unwrap_err();
        assert_eq!(fields(over), ["amount"]);
        let awarded = w.step(
            &case,
            w.manager,
            "2027-01-20",
            decide(Outcome::PartialAward, Some(300_000), "2027-06-30"),
        );
        assert_eq!(awarded.state(), "awarded");
        assert!(awarded.published());
        assert_eq!(
            awarded
                .application()
                .unwrap()
                .awarded(ApplicationState::Awarded),
            300_000
        );
        let accepted = w.step(
            &awarded,
            AccountId::generate(),
            "2027-01-21",
            ApplicationStep::AcceptAward,
        );
        assert_eq!(accepted.state(), "accepted");
    }

    #[test]
    fn a_review_below_the_threshold_allows_only_a_refusal() {
        let mut w = World::new(EvaluationMode::OnArrival);
        let (a, b) = (reviewer(None), reviewer(None));
        w.pool = vec![a.clone(), b.clone()];
        let mut case = w.step(
            &w.draft(true),
            AccountId::generate(),
            "2027-01-13",
            ApplicationStep::SubmitApplication,
        );
        case = w.step(&case, w.manager, "2027-01-14", ApplicationStep::Admit);
        for r in [a.account_id, b.account_id] {
            case = w.step(
                &case,
                r,
                "2027-01-15",
                ApplicationStep::DeclareInterest {
                    conflict: false,
                    statement: None,
                },
            );
            case = w.step(&case, r, "2027-01-15", marks(2, 2));
        }
        let award = application_step(
            &w.ctx(w.manager, "2027-01-16"),
            &case,
            ApplicationStep::DecideApplication {
                outcome: Outcome::Award,
                amount: None,
                usable_until: Some(Day::parse("2027-06-30").unwrap()),
                reasons: "x".into(),
            },
        )
        .unwrap_err();
        assert_eq!(fields(award), ["outcome"]);
        let refused = w.step(
            &case,
            w.manager,
            "2027-01-16",
            ApplicationStep::DecideApplication {
                outcome: Outcome::Refusal,
                amount: None,
                usable_until: None,
                reasons: "Below the threshold".into(),
            },
        );
        assert_eq!(refused.state(), "refused");
        assert!(!refused.open);
    }

    #[test]
    fn shares_add_up_exactly_reports_release_them_and_the_final_report_completes_the_award() {
        let mut w = World::new(EvaluationMode::OnArrival);
        let (a, b) = (reviewer(None), reviewer(None));
        w.pool = vec![a.clone(), b.clone()];
        let mut case = w.step(
            &w.draft(true),
            AccountId::generate(),
            "2027-01-13",
            ApplicationStep::SubmitApplication,
        );
        case = w.step(&case, w.manager, "2027-01-14", ApplicationStep::Admit);
        for r in [a.account_id, b.account_id] {
            case = w.step(
                &case,
                r,
                "2027-01-15",
                ApplicationStep::DeclareInterest {
                    conflict: false,
                    statement: None,
                },
            );
            case = w.step(&case, r, "2027-01-15", marks(5, 5));
        }
        // An odd amount: the halves are 166,666 and 166,667.
        case = w.step(
            &case,
            w.manager,
            "2027-01-18",
            ApplicationStep::DecideApplication {
                outcome: Outcome::PartialAward,
                amount: Some(333_333),
                usable_until: Some(Day::parse("2027-12-31").unwrap()),
                reasons: "First".into(),
            },
        );
        let holder = AccountId::generate();
        case = w.step(&case, holder, "2027-01-31", ApplicationStep::AcceptAward);
        let app = case.application().unwrap();
        assert_eq!(app.released(), 166_666);
        // Three months after 31 January is the last day of April.
        assert_eq!(app.reports[0].due, Day::parse("2027-04-30").unwrap());
        assert_eq!(app.reports[1].kind, ReportKind::Final);
        let report = |text: &str| ApplicationStep::SubmitReport {
            text: text.into(),
            outputs: vec![ReportOutput {
                kind: OutputKind::Dataset,
                title: "Triage admissions, anonymised".into(),
                reference: "/library/0190".into(),
            }],
        };
        let review = |accept: bool| ApplicationStep::ReviewReport {
            accept,
            reasons: "Read".into(),
        };
        // Nothing to review before a report is in; a returned report does
        // not release the share.
        assert!(application_step(&w.ctx(w.manager, "2027-04-01"), &case, review(true)).is_err());
        case = w.step(&case, holder, "2027-04-01", report("Progress"));
        case = w.step(&case, w.manager, "2027-04-02", review(false));
        assert_eq!(case.application().unwrap().released(), 166_666);
        assert_eq!(
            case.application().unwrap().reports[0].status(Day::parse("2027-04-02").unwrap()),
            ReportStatus::Returned
        );
        assert_eq!(
            case.application().unwrap().reports[0].status(Day::parse("2027-05-01").unwrap()),
            ReportStatus::Overdue
        );
        case = w.step(&case, holder, "2027-04-05", report("Progress, corrected"));
        case = w.step(&case, w.manager, "2027-04-06", review(true));
        let app = case.application().unwrap();
        assert_eq!(app.released(), 333_333);
        assert_eq!(app.tranches[1].after_report, Some(0));
        assert_eq!(case.state(), "accepted");
        case = w.step(&case, holder, "2027-10-20", report("Final"));
        case = w.step(&case, w.manager, "2027-10-21", review(true));
        assert_eq!(case.state(), "completed");
        assert!(!case.open);
        assert!(application_step(&w.ctx(holder, "2027-10-22"), &case, report("More")).is_err());
    }

    #[test]
    fn a_short_pool_is_made_up_later_by_the_manager() {
        let mut w = World::new(EvaluationMode::OnArrival);
        let first = reviewer(None);
        w.pool = vec![first.clone()];
        let submitted = w.step(
            &w.draft(true),
            AccountId::generate(),
            "2027-01-13",
            ApplicationStep::SubmitApplication,
        );
        let admitted = w.step(&submitted, w.manager, "2027-01-14", ApplicationStep::Admit);
        assert_eq!(admitted.application().unwrap().reviews.len(), 1);
        // Nobody to add yet: refused, not a silent step.
        let none = application_step(
            &w.ctx(w.manager, "2027-01-14"),
            &admitted,
            ApplicationStep::AssignReviewers,
        );
        assert!(matches!(none, Err(Refusal::State { .. })), "{none:?}");
        let second = reviewer(None);
        w.pool.push(second.clone());
        let filled = w.step(
            &admitted,
            w.manager,
            "2027-01-15",
            ApplicationStep::AssignReviewers,
        );
        let reviewers: Vec<AccountId> = filled
            .application()
            .unwrap()
            .reviews
            .iter()
            .map(|r| r.reviewer)
            .collect();
        assert_eq!(reviewers, [first.account_id, second.account_id]);
        assert_eq!(filled.assignees, reviewers);
    }

    #[test]
    fn each_step_is_named_as_serde_names_it() {
        let steps = [
            ApplicationStep::EditApplication {
                application: ApplicationInput::default(),
            },
            ApplicationStep::SubmitApplication,
            ApplicationStep::Admit,
            ApplicationStep::ReturnApplication {
                reasons: String::new(),
            },
            ApplicationStep::AssignReviewers,
            ApplicationStep::DeclareInterest {
                conflict: false,
                statement: None,
            },
            ApplicationStep::Score { marks: vec![] },
            ApplicationStep::DecideApplication {
                outcome: Outcome::Refusal,
                amount: None,
                usable_until: None,
                reasons: String::new(),
            },
            ApplicationStep::AcceptAward,
            ApplicationStep::DeclineAward,
            ApplicationStep::WithdrawApplication,
            ApplicationStep::SubmitReport {
                text: String::new(),
                outputs: vec![],
            },
            ApplicationStep::ReviewReport {
                accept: true,
                reasons: String::new(),
            },
            ApplicationStep::AssessFeasibility {
                resource_id: PlatformResourceId::generate(),
                feasible: true,
                note: String::new(),
            },
        ];
        let names: Vec<&str> = steps.iter().map(ApplicationStep::name).collect();
        assert_eq!(names, ApplicationStep::NAMES);
        for step in &steps {
            let json = serde_json::to_value(step).unwrap();
            assert_eq!(json["action"], step.name());
        }
    }

    #[test]
    fn a_draft_names_bad_answers() {
        let w = World::new(EvaluationMode::OnArrival);
        let partner = OrganisationId::generate();
        let err = open_application(
            CaseId::generate(),
            &w.call,
            AccountId::generate(),
            w.applicant_org,
            ApplicationInput {
                title: " ".into(),
                summary: String::new(),
                sectors: vec![],
                requested: 2_000_000,
                answers: vec![AnswerValue {
                    question: "budget".into(),
                    value: "x".into(),
                }],
                resources: vec![],
                partners: vec![w.applicant_org, partner, partner],
            },
            at("2027-01-12"),
        )
        .unwrap_err();
        assert_eq!(
            fields(err),
            [
                "title",
                "requested",
                "answers[0].question",
                "partners[0]",
                "partners[2]"
            ]
        );
    }
}
