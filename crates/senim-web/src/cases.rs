//! A case as the people who work on it see it, with the steps they may
//! take as forms. Each form posts to `/desk/cases/{id}` with its action, the
//! revision it was read at and its fields; the fields become the API's step
//! JSON and go through the same path as `POST /api/v1/cases/{id}/steps`
//! ([`senim_app::cases::apply_step`]), so the pages add no rule of their
//! own: the policies say who may, the domain says when.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use serde_json::{json, Value};

use senim_domain::case::Verdict;
use senim_domain::oversight::{AppealOutcome, SanctionKind, Severity};
use senim_domain::{Case, CaseId, CaseKind, Day};

use crate::public::date;
use crate::upload::PostedFile;
use crate::PageResult;
use crate::{Ctx, FormData, Posted, Problems};
use senim_app::audit::{prepare, MetricsQuery, MAX_PREDICTIONS_BYTES};
use senim_app::cases::{apply_step, resource, shown, Expected};
use senim_app::error::ApiError;
use senim_app::extract::path_id;
use senim_app::policy::Action;
use senim_app::state::AppState;

/// How a step's field is asked.
#[derive(Clone, Copy, PartialEq)]
pub enum Input {
    /// One line of text.
    Line,
    /// A paragraph.
    Para,
    /// Yes or no.
    YesNo,
    /// One of these values (labels from `{prefix}-{value}`).
    Choice(&'static str, &'static [&'static str]),
    /// A whole number.
    Number,
    /// Identifiers separated by spaces or commas.
    Ids,
    /// One mark per checklist item (registration reviews).
    Marks,
    /// Expert reviewers of the pool, ticked (an assignment).
    Reviewers,
    /// A file: the form goes as `multipart/form-data` to the step's own
    /// address, and the file is its last field.
    File,
    /// One mark and its reason per criterion of the call's rubric (an
    /// application's review).
    Scores,
    /// One answer per question of the call's form (an application's draft).
    Answers,
    /// What came out of the work, a line each: `kind | title | reference`.
    Outputs,
    /// One of the options the page lists for the step: a Platform resource
    /// (an exchange of credits), an item of the audit's checklist (a
    /// finding).
    Listed,
    /// Units of each of the Platform's resources (what an application to a
    /// credits call will use, for their providers to assess).
    Asks,
}

/// One field of a step's form.
pub struct Field {
    pub name: &'static str,
    pub input: Input,
    pub required: bool,
}

const fn f(name: &'static str, input: Input, required: bool) -> Field {
    Field {
        name,
        input,
        required,
    }
}

/// Every step the pages offer, by case kind, with its fields; the names
/// and fields are the API's (`docs/OVERSIGHT.md`).
pub const STEPS: &[(CaseKind, &str, &[Field])] = &[
    (
        CaseKind::Registration,
        "assign",
        &[f("reviewers", Input::Reviewers, false)],
    ),
    (
        CaseKind::Registration,
        "declare",
        &[
            f("conflict", Input::YesNo, true),
            f("statement", Input::Para, false),
        ],
    ),
    (
        CaseKind::Registration,
        "check",
        &[f("marks", Input::Marks, true)],
    ),
    (
        CaseKind::Registration,
        "request_information",
        &[f("questions", Input::Para, true)],
    ),
    (
        CaseKind::Registration,
        "respond",
        &[
            f("answer", Input::Para, true),
            f("attachment", Input::File, false),
        ],
    ),
    (
        CaseKind::Registration,
        "add_documents",
        &[
            f("description", Input::Para, true),
            f("attachment", Input::File, true),
        ],
    ),
    (
        CaseKind::Registration,
        "recommend",
        &[
            f("verdict", Input::Choice("verdict", Verdict::NAMES), true),
            f("reasons", Input::Para, true),
        ],
    ),
    (
        CaseKind::Registration,
        "decide",
        &[
            f("verdict", Input::Choice("verdict", Verdict::NAMES), true),
            f("reasons", Input::Para, true),
        ],
    ),
    (
        CaseKind::Registration,
        "suspend",
        &[f("reasons", Input::Para, true)],
    ),
    (
        CaseKind::Registration,
        "reinstate",
        &[f("reasons", Input::Para, true)],
    ),
    (
        CaseKind::Registration,
        "revoke",
        &[f("reasons", Input::Para, true)],
    ),
    (
        CaseKind::Registration,
        "withdraw",
        &[f("reasons", Input::Para, false)],
    ),
    (
        CaseKind::Report,
        "triage",
        &[
            f("severity", Input::Choice("severity", Severity::NAMES), true),
            f("systems", Input::Ids, false),
        ],
    ),
    (
        CaseKind::Report,
        "forward",
        &[f("question", Input::Para, true)],
    ),
    (
        CaseKind::Report,
        "respond_report",
        &[
            f("response", Input::Para, true),
            f("attachment", Input::File, false),
        ],
    ),
    (
        CaseKind::Report,
        "escalate",
        &[f("reasons", Input::Para, true)],
    ),
    (CaseKind::Report, "merge", &[f("into", Input::Line, true)]),
    (
        CaseKind::Report,
        "close",
        &[f("outcome", Input::Para, true)],
    ),
    (
        CaseKind::Audit,
        "finding",
        &[
            f("item", Input::Listed, true),
            f("severity", Input::Choice("severity", Severity::NAMES), true),
            f("description", Input::Para, true),
            f("attachment", Input::File, false),
        ],
    ),
    (
        CaseKind::Audit,
        "respond_finding",
        &[
            f("finding", Input::Number, true),
            f("response", Input::Para, true),
            f("attachment", Input::File, false),
        ],
    ),
    (
        CaseKind::Audit,
        "metrics",
        &[
            f("y_true", Input::Line, true),
            f("y_pred", Input::Line, true),
            f("sensitive", Input::Line, true),
            f("pos_label", Input::Line, false),
            f("privileged", Input::Line, false),
            f("weight", Input::Line, false),
            f("score", Input::Line, false),
            f("control", Input::Line, false),
            f("file", Input::File, true),
        ],
    ),
    (
        CaseKind::Audit,
        "close_audit",
        &[f("conclusion", Input::Para, true)],
    ),
    (
        CaseKind::Investigation,
        "decide_violation",
        &[
            f("obligation", Input::Line, true),
            f("description", Input::Para, true),
            f(
                "sanction",
                Input::Choice("sanction", SanctionKind::NAMES),
                true,
            ),
            f("reasons", Input::Para, true),
        ],
    ),
    (
        CaseKind::Investigation,
        "close_investigation",
        &[f("reasons", Input::Para, true)],
    ),
    (
        CaseKind::Investigation,
        "appeal",
        &[f("grounds", Input::Para, true)],
    ),
    (
        CaseKind::Investigation,
        "decide_appeal",
        &[
            f(
                "outcome",
                Input::Choice("appeal", AppealOutcome::NAMES),
                true,
            ),
            f("reasons", Input::Para, true),
        ],
    ),
    (
        CaseKind::TrustedList,
        "check_application",
        &[
            f("complete", Input::YesNo, true),
            f("deficiencies", Input::Para, false),
        ],
    ),
    (
        CaseKind::TrustedList,
        "resubmit",
        &[
            f("copyright", Input::Line, false),
            f("note", Input::Para, true),
        ],
    ),
    (
        CaseKind::TrustedList,
        "reject",
        &[f("reasons", Input::Para, true)],
    ),
    (CaseKind::TrustedList, "publish", &[]),
    (
        CaseKind::TrustedList,
        "delist",
        &[f("reasons", Input::Para, true)],
    ),
    (
        CaseKind::DataAccess,
        "grant",
        &[
            f("days", Input::Number, true),
            f("conditions", Input::Para, false),
        ],
    ),
    (
        CaseKind::DataAccess,
        "refuse",
        &[f("reasons", Input::Para, true)],
    ),
    (
        CaseKind::DataAccess,
        "revoke_access",
        &[f("reasons", Input::Para, true)],
    ),
    (
        CaseKind::Application,
        "edit_application",
        &[
            f("title", Input::Line, true),
            f("summary", Input::Para, false),
            f("sectors", Input::Ids, false),
            f("requested", Input::Number, true),
            f("answers", Input::Answers, false),
            f("resources", Input::Asks, false),
            f("partners", Input::Ids, false),
        ],
    ),
    (CaseKind::Application, "submit_application", &[]),
    (CaseKind::Application, "admit", &[]),
    (CaseKind::Application, "assign_reviewers", &[]),
    (
        CaseKind::Application,
        "return_application",
        &[f("reasons", Input::Para, true)],
    ),
    (
        CaseKind::Application,
        "declare_interest",
        &[
            f("conflict", Input::YesNo, true),
            f("statement", Input::Para, false),
        ],
    ),
    (
        CaseKind::Application,
        "score",
        &[f("marks", Input::Scores, true)],
    ),
    (
        CaseKind::Application,
        "decide_application",
        &[
            f("outcome", Input::Choice("outcome", OUTCOMES), true),
            f("amount", Input::Number, false),
            f("usable_until", Input::Line, false),
            f("reasons", Input::Para, true),
        ],
    ),
    (
        CaseKind::Application,
        "assess_feasibility",
        &[
            f("resource_id", Input::Listed, true),
            f("feasible", Input::YesNo, true),
            f("note", Input::Para, true),
        ],
    ),
    (CaseKind::Application, "accept_award", &[]),
    (CaseKind::Application, "decline_award", &[]),
    (CaseKind::Application, "withdraw_application", &[]),
    (
        CaseKind::Application,
        "submit_report",
        &[
            f("text", Input::Para, true),
            f("outputs", Input::Outputs, false),
        ],
    ),
    (
        CaseKind::Application,
        "review_report",
        &[
            f("accept", Input::YesNo, true),
            f("reasons", Input::Para, true),
        ],
    ),
    // Not a step of the application: it opens an allocation case
    // (`allocation.request`), posted to the same page.
    (
        CaseKind::Application,
        "request_allocation",
        &[
            f("resource_id", Input::Listed, true),
            f("units", Input::Number, true),
            f("starts", Input::Line, true),
            f("ends", Input::Line, true),
        ],
    ),
    (
        CaseKind::Allocation,
        "approve_allocation",
        &[
            f("instructions", Input::Para, false),
            f("renewable", Input::YesNo, false),
        ],
    ),
    (
        CaseKind::Allocation,
        "refuse_allocation",
        &[f("reasons", Input::Para, true)],
    ),
    (CaseKind::Allocation, "withdraw_allocation", &[]),
    (
        CaseKind::Allocation,
        "report_usage",
        &[
            f("day", Input::Line, true),
            f("units", Input::Number, true),
            f("note", Input::Para, false),
        ],
    ),
    (
        CaseKind::Allocation,
        "request_extension",
        &[
            f("until", Input::Line, true),
            f("reasons", Input::Para, true),
        ],
    ),
    (
        CaseKind::Allocation,
        "decide_extension",
        &[
            f("approve", Input::YesNo, true),
            f("reasons", Input::Para, true),
        ],
    ),
    (
        CaseKind::Enrolment,
        "complete",
        &[f("note", Input::Para, false)],
    ),
    (
        CaseKind::Enrolment,
        "not_completed",
        &[f("reasons", Input::Para, true)],
    ),
    (CaseKind::Enrolment, "withdraw_enrolment", &[]),
    (
        CaseKind::Enrolment,
        "revoke_certificate",
        &[f("reasons", Input::Para, true)],
    ),
    (
        CaseKind::Sandbox,
        "add_note",
        &[f("text", Input::Para, true)],
    ),
    (
        CaseKind::Sandbox,
        "submit_exit_report",
        &[
            f("public_summary", Input::Para, true),
            f("findings", Input::Para, true),
            f(
                "outcome",
                Input::Choice("exit-outcome", EXIT_OUTCOMES),
                true,
            ),
        ],
    ),
    (
        CaseKind::Sandbox,
        "review_exit_report",
        &[
            f("accept", Input::YesNo, true),
            f("reasons", Input::Para, true),
        ],
    ),
    (
        CaseKind::Sandbox,
        "terminate_sandbox",
        &[f("reasons", Input::Para, true)],
    ),
];

const EXIT_OUTCOMES: &[&str] = senim_domain::sandbox::ExitOutcome::NAMES;

/// What a report's output line may name first.
const OUTPUT_KINDS: &[&str] = &["paper", "dataset", "model", "software", "system"];

const OUTCOMES: &[&str] = &["award", "partial_award", "waiting_list", "refusal"];

/// Who may take a step: the API's step policies, and for the algorithmic
/// audit (its own route, `POST /api/v1/cases/{id}/metrics`) the finding's.
fn step_policy(action: &str) -> Option<Action> {
    match action {
        "metrics" => Some(Action::CaseFinding),
        "request_allocation" => Some(Action::AllocationRequest),
        _ => Action::case_step(action),
    }
}

/// Which registration steps make sense in which state; the domain refuses
/// the rest anyway, this only keeps the page to what can be done now.
fn offered(case: &Case, action: &str, me: Option<senim_domain::AccountId>, today: Day) -> bool {
    use senim_domain::case::CaseBody;
    use senim_domain::SystemStatus::*;
    if let CaseBody::Application { state, body } = &case.body {
        return application_offered(*state, body.as_ref(), action, me, today);
    }
    if let CaseBody::Allocation { state, body } = &case.body {
        use senim_domain::allocation::AllocationState::*;
        let b = body.as_ref();
        return match action {
            "approve_allocation" | "refuse_allocation" | "withdraw_allocation" => {
                *state == Requested
            }
            "report_usage" => matches!(state, Active | Expired),
            "request_extension" => {
                *state == Active && b.is_some_and(|b| b.renewable && b.extension.is_none())
            }
            "decide_extension" => *state == Active && b.is_some_and(|b| b.extension.is_some()),
            _ => false,
        };
    }
    if let CaseBody::Sandbox { state, .. } = &case.body {
        use senim_domain::sandbox::SandboxState::*;
        return match action {
            "add_note" | "terminate_sandbox" => matches!(state, Active | ExitReported),
            "submit_exit_report" => *state == Active,
            "review_exit_report" => *state == ExitReported,
            _ => false,
        };
    }
    if let CaseBody::Enrolment { state, .. } = &case.body {
        use senim_domain::education::EnrolmentState::*;
        return match action {
            "complete" | "not_completed" | "withdraw_enrolment" => *state == Enrolled,
            "revoke_certificate" => *state == Completed,
            _ => false,
        };
    }
    let CaseBody::Registration { state, body } = &case.body else {
        return case.open || matches!(action, "appeal" | "delist" | "revoke_access");
    };
    // A reviewer declares once, and works on the dossier only after that.
    let declared = body.as_ref().is_some_and(|r| {
        r.reviews
            .iter()
            .any(|x| Some(x.reviewer) == me && x.declaration.is_some())
    });
    match action {
        "assign" => matches!(state, Submitted | InExpertReview),
        "declare" => *state == InExpertReview && !declared,
        "check" | "recommend" => *state == InExpertReview && declared,
        "request_information" => matches!(state, InExpertReview | Recommended),
        "respond" => *state == InformationRequested,
        "add_documents" => matches!(
            state,
            Submitted | InExpertReview | InformationRequested | Recommended
        ),
        "decide" => matches!(state, Recommended | Submitted),
        "suspend" | "revoke" => *state == Registered,
        "reinstate" => *state == Suspended,
        "withdraw" => matches!(
            state,
            Submitted | InExpertReview | InformationRequested | Recommended
        ),
        _ => false,
    }
}

/// Which application steps make sense in which state (the domain refuses
/// the rest anyway).
fn application_offered(
    state: senim_domain::application::ApplicationState,
    body: Option<&senim_domain::application::Application>,
    action: &str,
    me: Option<senim_domain::AccountId>,
    today: Day,
) -> bool {
    use senim_domain::application::ApplicationState::*;
    let mine = body.and_then(|b| b.reviews.iter().rfind(|r| Some(r.reviewer) == me));
    match action {
        "edit_application" | "submit_application" => state == Draft,
        "admit" | "return_application" => state == Submitted,
        "assign_reviewers" => {
            state == InReview
                && body
                    .is_some_and(|b| b.active_reviews().count() < usize::from(b.reviewers_required))
        }
        "declare_interest" => state == InReview && mine.is_some_and(|r| r.declaration.is_none()),
        "score" => state == InReview && mine.is_some_and(|r| r.declared() && r.scored_at.is_none()),
        "decide_application" => matches!(state, Submitted | InReview | Waitlisted),
        "accept_award" | "decline_award" => state == Awarded,
        "assess_feasibility" => {
            matches!(state, InReview | Waitlisted)
                && body.is_some_and(|b| !b.assessments.is_empty())
        }
        "withdraw_application" => matches!(state, Draft | Submitted | InReview | Waitlisted),
        "submit_report" | "review_report" | "request_allocation" => {
            use senim_domain::application::ReportStatus as R;
            let wanted: &[R] = match action {
                "submit_report" => &[R::Upcoming, R::Overdue, R::Returned],
                "review_report" => &[R::Submitted],
                _ => &[],
            };
            state == Accepted
                && body.is_some_and(|b| {
                    if action == "request_allocation" {
                        return b.unit == senim_domain::programme::BudgetUnit::Credits;
                    }
                    // The next report not accepted is the one worked on.
                    b.reports
                        .iter()
                        .map(|r| r.status(today))
                        .find(|s| *s != R::Accepted)
                        .is_some_and(|s| wanted.contains(&s))
                })
        }
        _ => false,
    }
}

/// One choice of a field.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

/// A field as the form shows it.
pub struct ShownField {
    pub id: String,
    pub name: &'static str,
    pub label: String,
    pub hint: String,
    pub kind: &'static str,
    pub value: String,
    pub choices: Vec<Choice>,
    pub error: Option<String>,
    /// For marks: (item, label, provided, the documentation's text) of
    /// each checklist item, so the expert reads what they mark beside it.
    pub marks: Vec<(String, String, bool, String)>,
    /// For scores and answers: each criterion or question of the call.
    pub rows: Vec<FormRow>,
}

/// A criterion's mark and reason, or a question's answer, on a form.
pub struct FormRow {
    pub id: String,
    pub label: String,
    pub value: String,
    /// A mark's reason, kept when a refused form comes back.
    pub reason: String,
    /// A mark's highest value (the criterion's scale).
    pub max: u8,
}

/// A step's form.
/// Steps that end or take away something (an application, a registration,
/// access, a place on a list): never the form a page opens by itself, and
/// their button is marked as a warning.
const DESTRUCTIVE: &[&str] = &[
    "withdraw",
    "revoke",
    "suspend",
    "reject",
    "refuse",
    "revoke_access",
    "delist",
];

pub struct StepForm {
    pub action: &'static str,
    /// See [`DESTRUCTIVE`].
    pub destructive: bool,
    pub title: String,
    pub fields: Vec<ShownField>,
    pub open: bool,
    /// Where it posts: the case page, or a step's own address.
    pub target: String,
    /// Whether it carries a file (`multipart/form-data`).
    pub multipart: bool,
    /// A decision the official may sign with their electronic digital
    /// signature (where a certification authority is trusted), and whether
    /// the deployment requires it (then it is the only button).
    pub sign: bool,
    pub must_sign: bool,
}

/// A threshold checked by a metrics run, as the page shows it.
pub struct CheckView {
    pub metric: String,
    /// The metric's name in the reader's language.
    pub name: String,
    pub title: String,
    pub value: String,
    pub limit: String,
    pub breached: bool,
}

/// A metrics run of an audit, as the page shows it.
pub struct RunView {
    pub number: u32,
    pub at: String,
    pub file_sha256: String,
    pub file_size: u64,
    pub format: String,
    pub rows: String,
    pub checks: Vec<CheckView>,
    /// Fairlearn's fairness functions and AIF360's disparate impact.
    pub fairness: Vec<FigureView>,
    pub groups: Vec<GroupRow>,
}

/// A fairness figure: its name and one-sentence meaning in the reader's
/// language, its code as the report and the packs name it, its value.
pub struct FigureView {
    pub code: String,
    pub name: String,
    pub meaning: String,
    /// The control stratum (`col=value, ...`), empty without control features.
    pub stratum: String,
    pub value: String,
}

impl FigureView {
    fn new(c: &Ctx, code: &str, stratum: String, value: String) -> FigureView {
        FigureView {
            code: code.to_string(),
            name: c.t.term("metric", code),
            meaning: c.t.term("metric-meaning", code),
            stratum,
            value,
        }
    }
}

/// A group's figures in a metrics run.
pub struct GroupRow {
    /// The control stratum (`col=value, ...`), empty without control features.
    pub control: String,
    pub group: String,
    /// Count, selection rate, true and false positive rates, accuracy.
    pub figures: Vec<String>,
}

/// The most groups a run's table shows (the whole report has them all).
const MAX_GROUP_ROWS: usize = 100;

/// The figures a run's page shows, read from its report (docs/METRICS.md).
fn headline(c: &Ctx, report: &Value) -> (Vec<FigureView>, Vec<GroupRow>) {
    let number = |v: Option<&Value>| {
        v.and_then(Value::as_f64)
            .map_or_else(|| "—".to_string(), |x| format!("{x:.4}"))
    };
    let labels = |v: Option<&Value>| {
        v.and_then(Value::as_object)
            .map(|o| {
                o.iter()
                    .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default()
    };
    let mut fairness = Vec::new();
    let strata = |key: &str| {
        report
            .get(key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    for stratum in strata("fairlearn") {
        let control = labels(stratum.get("control"));
        for (name, path) in [
            (
                "demographic_parity_difference",
                "/demographic_parity_difference/between_groups",
            ),
            (
                "demographic_parity_ratio",
                "/demographic_parity_ratio/between_groups",
            ),
            (
                "equalized_odds_difference",
                "/equalized_odds_difference/worst_case/between_groups",
            ),
            (
                "equal_opportunity_difference",
                "/equal_opportunity_difference/between_groups",
            ),
        ] {
            fairness.push(FigureView::new(
                c,
                name,
                control.clone(),
                number(stratum.pointer(path)),
            ));
        }
    }
    for stratum in strata("aif360") {
        fairness.push(FigureView::new(
            c,
            "disparate_impact",
            labels(stratum.get("control")),
            number(stratum.get("disparate_impact")),
        ));
    }
    let groups = strata("by_group")
        .iter()
        .take(MAX_GROUP_ROWS)
        .map(|g| {
            let m = g.get("metrics");
            let figure = |name: &str| number(m.and_then(|m| m.get(name)));
            GroupRow {
                control: labels(g.get("control")),
                group: labels(g.get("group")),
                figures: vec![
                    m.and_then(|m| m.get("count"))
                        .and_then(Value::as_f64)
                        .map_or_else(String::new, |c| format!("{c}")),
                    figure("selection_rate"),
                    figure("true_positive_rate"),
                    figure("false_positive_rate"),
                    figure("accuracy_score"),
                ],
            }
        })
        .collect();
    (fairness, groups)
}

/// The case as the page shows it.
pub struct CaseView {
    /// Files sent with the case's steps: (name, size, address).
    pub files: Vec<(String, String, String)>,
    pub id: String,
    pub number: String,
    pub kind: String,
    pub state: String,
    pub revision: i64,
    pub due: Option<String>,
    pub overdue: bool,
    pub system: Option<(String, String)>,
    pub organisation: String,
    pub facts: Vec<Fact>,
    pub record: String,
    /// The printable report, for an audit.
    pub report: Option<String>,
    /// The report as a document (PDF), for a closed audit.
    pub report_pdf: Option<String>,
    /// The certificate to download, for a completed enrolment's learner.
    pub certificate: Option<String>,
    /// Related cases the reader may open: (id, number, kind).
    pub links: Vec<(String, String, String)>,
    /// The algorithmic audit's runs, for an audit.
    pub runs: Vec<RunView>,
}

#[derive(askama::Template)]
#[template(path = "case.html")]
struct CasePage<'a> {
    c: &'a Ctx,
    crumbs: Vec<(String, String)>,
    problems: Problems,
    case: CaseView,
    /// The officials' signatures of its decisions.
    signatures: Vec<crate::SignatureView>,
    forms: Vec<StepForm>,
    timeline: Vec<(String, String, Option<u64>)>,
    dossier: bool,
    done: Option<String>,
    /// After a step: what happens next and who acts.
    next: Option<String>,
}

/// An audit checklist item's title and citation in the reader's language.
pub fn audit_item(
    c: &Ctx,
    book: &senim_rules::RuleBook,
    item: &senim_domain::oversight::AuditItem,
) -> (String, senim_domain::classification::Citation) {
    senim_app::documents::audit_item(&c.t, book, item)
}

/// The label of a case's state in the reader's language.
pub fn state_label(c: &Ctx, kind: CaseKind, state: &str) -> String {
    match kind {
        CaseKind::Registration => c.t.term("status", state),
        CaseKind::Report => c.t.term("report-state", state),
        CaseKind::Sandbox => c.t.term("sandbox-state", state),
        _ => c.t.term("case-state", state),
    }
}

/// A case's human facts, kind by kind.
/// A case's facts in words. What the record quotes from a rule pack (in
/// English, as it was when the case was made) is shown in the pack's words
/// in the reader's language where `book` still has them.
/// One line of a case's summary: its label, words in the page's language
/// (a verdict, a severity), and what people wrote after them (reasons, a
/// finding, a report), which the page marks with its own language.
pub struct Fact {
    pub label: String,
    pub lead: String,
    pub said: String,
}

impl Fact {
    fn both(label: String, lead: String, said: String) -> Fact {
        Fact { label, lead, said }
    }
}

impl From<(String, String)> for Fact {
    /// A label and its value, marked with the value's language when it is
    /// not the page's (a date or a translated term is the page's).
    fn from((label, said): (String, String)) -> Fact {
        Fact {
            label,
            lead: String::new(),
            said,
        }
    }
}

fn facts(c: &Ctx, book: &senim_rules::RuleBook, case: &Case) -> Vec<Fact> {
    let mut out = Vec::new();
    if let Some(r) = case.registration() {
        out.push(Fact::from((
            c.t("facet-risk"),
            c.t.term("risk", r.risk_level.as_str()),
        )));
        out.push(Fact::from((
            c.t("case-rule-set"),
            format!("{} {}", r.pack.id, r.pack.version),
        )));
        let active = r.reviews.iter().filter(|x| x.active()).count();
        out.push(Fact::from((
            c.t("case-reviewers"),
            format!("{active} / {}", r.reviewers_required),
        )));
        for (i, review) in r.reviews.iter().filter(|x| x.active()).enumerate() {
            let state = if review.declared() {
                c.t("case-declared")
            } else {
                c.t("case-not-declared")
            };
            let label = c.t.t1("case-reviewer-n", "n", i + 1);
            out.push(match &review.recommendation {
                Some(rec) => Fact::both(
                    label,
                    format!("{}: ", c.t.term("verdict", rec.verdict.as_str())),
                    rec.reasons.clone(),
                ),
                None => Fact::from((label, state)),
            });
        }
        for q in &r.information_requests {
            out.push(Fact::from((c.t("case-question"), q.questions.clone())));
            out.push(Fact::from((
                c.t("case-answer-due"),
                q.answer_due.to_string(),
            )));
            if let Some(a) = &q.answer {
                out.push(Fact::from((c.t("case-answer"), a.text.clone())));
            }
        }
        if let Some(d) = &r.decision {
            out.push(Fact::both(
                c.t("case-decision"),
                format!("{}: ", c.t.term("verdict", d.verdict.as_str())),
                d.reasons.clone(),
            ));
        }
    }
    if let Some(r) = case.report() {
        out.push(Fact::from((
            c.t("report-kind"),
            c.t.term("report-type", r.report_type.as_str()),
        )));
        if let Some(g) = r.ground {
            out.push(Fact::from((
                c.t("case-ground"),
                c.t.term("ground", g.as_str()),
            )));
        }
        if let Some(n) = &r.system_name {
            out.push(Fact::from((c.t("report-field-system-name"), n.clone())));
        }
        out.push(Fact::from((
            c.t("report-field-description"),
            r.description.clone(),
        )));
        if let Some(d) = r.occurred_on {
            out.push(Fact::from((c.t("report-field-occurred-on"), d.to_string())));
        }
        if let Some(s) = r.severity {
            out.push(Fact::from((
                c.t("case-severity"),
                c.t.term("severity", s.as_str()),
            )));
        }
        if let Some(resp) = &r.response {
            out.push(Fact::from((c.t("report-response"), resp.text.clone())));
        }
        if let Some(o) = &r.outcome {
            out.push(Fact::from((c.t("report-outcome"), o.clone())));
        }
    }
    if let Some(a) = case.audit() {
        out.push(Fact::from((
            c.t("case-basis"),
            c.t.term("basis", a.basis.as_str()),
        )));
        for item in &a.checklist {
            let (title, citation) = audit_item(c, book, item);
            out.push(Fact::from((
                c.t("case-audit-item"),
                format!("{title} ({})", citation.source),
            )));
        }
        for finding in &a.findings {
            let item = a
                .checklist
                .iter()
                .find(|i| i.id == finding.item)
                .map(|i| audit_item(c, book, i).0)
                .unwrap_or_else(|| finding.item.clone());
            out.push(Fact::both(
                c.t.t1("case-finding-n", "n", finding.number),
                format!(
                    "{} · {} · ",
                    item,
                    c.t.term("severity", finding.severity.as_str())
                ),
                finding.description.clone(),
            ));
        }
        if let Some(conclusion) = &a.conclusion {
            out.push(Fact::from((c.t("case-conclusion"), conclusion.clone())));
        }
    }
    if let Some(i) = case.investigation() {
        if let Some(v) = &i.violation {
            let title = book.retitle(&v.obligation, &v.title, c.t.lang);
            out.push(Fact::both(
                c.t("decision-violation"),
                format!("{title} — "),
                v.description.clone(),
            ));
        }
        if let Some(s) = &i.sanction {
            out.push(Fact::both(
                c.t("decision-sanction"),
                format!("{} · ", c.t.term("sanction", s.kind.as_str())),
                s.reasons.clone(),
            ));
        }
    }
    if let Some(p) = case.private.as_ref().and_then(|p| p.contact.as_ref()) {
        let contact = [&p.name, &p.email, &p.phone]
            .into_iter()
            .flatten()
            .cloned()
            .collect::<Vec<_>>()
            .join(" · ");
        if !contact.is_empty() {
            out.push(Fact::from((c.t("case-contact"), contact)));
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn show_field(
    c: &Ctx,
    case: &Case,
    call: Option<&senim_domain::programme::Call>,
    action: &str,
    field: &Field,
    form: Option<&FormData>,
    problems: &Problems,
    options: &[(String, String)],
    documentation: &[(String, String)],
) -> ShownField {
    let id = format!("{action}-{}", field.name);
    let draft = case.application().filter(|_| action == "edit_application");
    let value = match (form, draft) {
        (Some(f), _) => f.get(field.name).unwrap_or("").to_string(),
        (None, Some(app)) => match field.name {
            "title" => app.title.clone(),
            "summary" => app.summary.clone(),
            "requested" => app.requested.to_string(),
            "sectors" => app
                .sectors
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            "partners" => app
                .partners
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" "),
            _ => String::new(),
        },
        (None, None) => String::new(),
    };
    let rows = match (field.input, call) {
        (Input::Scores, Some(call)) => call
            .rubric
            .iter()
            .map(|cr| {
                let label = format!("{} (0–{})", cr.title.get(c.lang()), cr.scale);
                let get = |prefix: &str| {
                    form.and_then(|f| f.get(&format!("{prefix}-{}", cr.id)))
                        .unwrap_or("")
                        .to_string()
                };
                FormRow {
                    id: cr.id.clone(),
                    label,
                    value: get("score"),
                    reason: get("reason"),
                    max: cr.scale,
                }
            })
            .collect(),
        (Input::Answers, Some(call)) => call
            .questions
            .iter()
            .map(|q| {
                let mut label = q.text.get(c.lang()).to_string();
                if q.required {
                    label.push_str(" *");
                }
                let v = match (form, draft) {
                    (Some(f), _) => f.get(&format!("answer-{}", q.id)).unwrap_or("").to_string(),
                    (None, Some(app)) => app
                        .answers
                        .iter()
                        .find(|a| a.question == q.id)
                        .map(|a| a.value.clone())
                        .unwrap_or_default(),
                    (None, None) => String::new(),
                };
                FormRow {
                    id: q.id.clone(),
                    label,
                    value: v,
                    reason: String::new(),
                    max: 0,
                }
            })
            .collect(),
        (Input::Asks, Some(call))
            if call.budget.unit == senim_domain::programme::BudgetUnit::Credits =>
        {
            options
                .iter()
                .map(|(id, label)| {
                    let v = match (form, draft) {
                        (Some(f), _) => f.get(&format!("units-{id}")).unwrap_or("").to_string(),
                        (None, Some(app)) => app
                            .resources
                            .iter()
                            .find(|r| r.resource_id.to_string() == *id)
                            .map(|r| r.units.to_string())
                            .unwrap_or_default(),
                        (None, None) => String::new(),
                    };
                    FormRow {
                        id: id.clone(),
                        label: label.clone(),
                        value: v,
                        reason: String::new(),
                        max: 0,
                    }
                })
                .collect()
        }
        _ => Vec::new(),
    };
    let (kind, choices) = match field.input {
        Input::Line => ("line", Vec::new()),
        Input::Para => ("para", Vec::new()),
        Input::Number => ("number", Vec::new()),
        Input::Ids => ("line", Vec::new()),
        Input::Marks => ("marks", Vec::new()),
        Input::Scores => ("scores", Vec::new()),
        Input::Answers => ("answers", Vec::new()),
        Input::Asks => ("asks", Vec::new()),
        Input::Outputs => ("para", Vec::new()),
        Input::File => ("file", Vec::new()),
        Input::Listed => (
            "choice",
            options
                .iter()
                .map(|(id, label)| Choice {
                    value: id.clone(),
                    label: label.clone(),
                    checked: value == *id,
                })
                .collect(),
        ),
        Input::Reviewers => {
            let chosen = form.map(|f| f.all(field.name)).unwrap_or_default();
            (
                "many",
                options
                    .iter()
                    .map(|(id, label)| Choice {
                        value: id.clone(),
                        label: label.clone(),
                        checked: chosen.contains(&id.as_str()),
                    })
                    .collect(),
            )
        }
        Input::YesNo => (
            "choice",
            [("true", c.t("yes")), ("false", c.t("no"))]
                .into_iter()
                .map(|(v, label)| Choice {
                    value: v.into(),
                    label,
                    checked: value == v,
                })
                .collect(),
        ),
        Input::Choice(prefix, values) => (
            "choice",
            values
                .iter()
                .map(|v| Choice {
                    value: v.to_string(),
                    label: c.t.term(prefix, v),
                    checked: value == *v,
                })
                .collect(),
        ),
    };
    let marks = if field.input == Input::Marks {
        case.registration()
            .map(|r| {
                r.checklist
                    .iter()
                    .map(|i| {
                        let item = i.item.as_str().to_string();
                        let text = documentation
                            .iter()
                            .find(|(k, _)| *k == item)
                            .map(|(_, t)| t.clone())
                            .unwrap_or_default();
                        (item, c.t.term("doc", i.item.as_str()), i.provided, text)
                    })
                    .collect()
            })
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let key = field_key(c, action, field.name);
    ShownField {
        error: problems.of(&id).map(str::to_string),
        id,
        name: field.name,
        label: c.t(&key),
        hint: if c.t.has(&format!("{key}-hint")) {
            c.t(&format!("{key}-hint"))
        } else {
            String::new()
        },
        kind,
        value,
        choices,
        marks,
        rows,
    }
}

/// The message id of a step's field's label: the step's own wording if it
/// has one (a file it requires, say), else the field's.
fn field_key(c: &Ctx, action: &str, field: &str) -> String {
    let own = format!("field-{action}-{field}").replace('_', "-");
    if c.t.has(&own) {
        own
    } else {
        format!("field-{}", field.replace('_', "-"))
    }
}

/// The step's JSON from its form, or the problems of its fields.
fn step_json(c: &Ctx, action: &str, fields: &[Field], form: &FormData) -> Result<Value, Problems> {
    let mut problems = Problems::default();
    let mut map = serde_json::Map::new();
    map.insert("action".into(), json!(action));
    for field in fields {
        let id = format!("{action}-{}", field.name);
        let text = form.text(field.name);
        let value = match field.input {
            // The handler reads the file itself, once the rest is accepted.
            Input::File => continue,
            Input::Marks => {
                // Notes by item, read once (not one scan of the form per mark).
                let notes: std::collections::HashMap<&str, &str> = form
                    .0
                    .iter()
                    .filter_map(|(k, v)| Some((k.strip_prefix("note-")?, v.trim())))
                    .collect();
                // "All satisfied, after reading": every item left unmarked
                // is satisfied; a mark given stays as given.
                let all_satisfied = form.get("all_satisfied").is_some();
                let marks: Vec<Value> = form
                    .0
                    .iter()
                    .filter_map(|(k, v)| Some((k.strip_prefix("mark-")?, v.as_str())))
                    .map(|(item, mark)| {
                        let mark = if mark.is_empty() && all_satisfied {
                            "satisfied"
                        } else {
                            mark
                        };
                        (item, mark)
                    })
                    .filter(|(_, v)| !v.is_empty())
                    .map(|(item, mark)| {
                        let note = notes.get(item).copied().unwrap_or("");
                        json!({ "item": item, "mark": mark, "note": Some(note).filter(|n| !n.is_empty()) })
                    })
                    .collect();
                if marks.is_empty() {
                    None
                } else {
                    Some(json!(marks))
                }
            }
            Input::Scores => {
                let reasons: std::collections::HashMap<&str, &str> = form
                    .0
                    .iter()
                    .filter_map(|(k, v)| Some((k.strip_prefix("reason-")?, v.trim())))
                    .collect();
                let mut marks = Vec::new();
                for (criterion, mark) in form
                    .0
                    .iter()
                    .filter_map(|(k, v)| Some((k.strip_prefix("score-")?, v.trim())))
                    .filter(|(_, v)| !v.is_empty())
                {
                    match mark.parse::<u8>() {
                        Ok(m) => marks.push(json!({
                            "criterion": criterion,
                            "mark": m,
                            "reason": reasons.get(criterion).copied().unwrap_or(""),
                        })),
                        Err(_) => problems.push(&id, c.t("problem-number")),
                    }
                }
                (!marks.is_empty()).then(|| json!(marks))
            }
            Input::Asks => {
                let mut asks = Vec::new();
                for (resource, units) in form
                    .0
                    .iter()
                    .filter_map(|(k, v)| Some((k.strip_prefix("units-")?, v.trim())))
                    .filter(|(_, v)| !v.is_empty())
                {
                    match units.replace([' ', '\u{a0}'], "").parse::<i64>() {
                        Ok(n) => asks.push(json!({"resource_id": resource, "units": n})),
                        Err(_) => problems.push(&id, c.t("problem-number")),
                    }
                }
                Some(json!(asks))
            }
            Input::Answers => {
                let answers: Vec<Value> = form
                    .0
                    .iter()
                    .filter_map(|(k, v)| Some((k.strip_prefix("answer-")?, v.trim())))
                    .filter(|(_, v)| !v.is_empty())
                    .map(|(q, v)| json!({"question": q, "value": v}))
                    .collect();
                Some(json!(answers))
            }
            _ if text.is_empty() => None,
            Input::Outputs => {
                let mut outputs = Vec::new();
                for (i, line) in text
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .enumerate()
                {
                    let parts: Vec<&str> = line.splitn(3, '|').map(str::trim).collect();
                    match parts.as_slice() {
                        [kind, title, reference] if OUTPUT_KINDS.contains(kind) => outputs
                            .push(json!({"kind": kind, "title": title, "reference": reference})),
                        _ => {
                            problems.push(&id, c.t.t1("problem-output-line", "n", i + 1));
                            break;
                        }
                    }
                }
                Some(json!(outputs))
            }
            Input::Line | Input::Para | Input::Listed => Some(json!(text)),
            Input::YesNo => Some(json!(text == "true")),
            Input::Choice(_, values) => {
                if !values.contains(&text.as_str()) {
                    problems.push(
                        &id,
                        c.t.t2(
                            "problem-unknown-value",
                            "field",
                            c.t(&format!("field-{}", field.name.replace('_', "-"))),
                            "value",
                            text.as_str(),
                        ),
                    );
                }
                Some(json!(text))
            }
            Input::Number => match text.parse::<i64>() {
                Ok(n) => Some(json!(n)),
                Err(_) => {
                    problems.push(&id, c.t("problem-number"));
                    None
                }
            },
            Input::Reviewers => {
                let ticked = form.all(field.name);
                (!ticked.is_empty()).then(|| json!(ticked))
            }

            Input::Ids => Some(json!(text
                .split(|ch: char| ch == ',' || ch.is_whitespace())
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>())),
        };
        match value {
            Some(v) => {
                map.insert(field.name.into(), v);
            }
            None if field.required && problems.of(&id).is_none() => {
                problems.push(
                    &id,
                    c.t.t1(
                        "problem-required",
                        "field",
                        c.t(&format!("field-{}", field.name.replace('_', "-"))),
                    ),
                );
            }
            None => {}
        }
    }
    if problems.is_empty() {
        if action == "edit_application" {
            // The draft's fields travel as the step's `application`.
            let action = map.remove("action");
            let mut step = serde_json::Map::new();
            step.insert("action".into(), action.unwrap_or(Value::Null));
            step.insert("application".into(), Value::Object(map));
            return Ok(Value::Object(step));
        }
        Ok(Value::Object(map))
    } else {
        Err(problems)
    }
}

async fn load(c: &Ctx, state: &AppState, id: &str) -> Result<Case, ApiError> {
    let id: CaseId = path_id(id, "case")?;
    let case = state.store.case(id).await?;
    c.caller
        .require(state, Action::CaseRead, &resource(&case, &c.caller))?;
    Ok(case)
}

async fn page(
    c: &Ctx,
    state: &AppState,
    case: Case,
    failed: Option<(&str, &FormData)>,
    problems: Problems,
    done: Option<String>,
) -> PageResult {
    let r = resource(&case, &c.caller);
    let today = Day::of(state.clock.now());
    // The pool, for an assignment form: active expert reviewers; for an
    // exchange of credits, the Platform's resources.
    let options: Vec<(String, String)> =
        if case.kind() == CaseKind::Registration && offered(&case, "assign", None, today) {
            state
                .store
                .accounts(&senim_store::AccountFilter {
                    role: Some(senim_domain::Role::ExpertReviewer),
                    status: Some(senim_domain::AccountStatus::Active),
                    limit: 500,
                    ..Default::default()
                })
                .await?
                .items
                .iter()
                .map(|a| (a.id.to_string(), a.email.as_str().to_string()))
                .collect()
        } else if case.kind() == CaseKind::Application
            && (offered(&case, "request_allocation", None, today)
                || offered(&case, "assess_feasibility", None, today)
                || offered(&case, "edit_application", None, today))
        {
            // An assessment names one of the resources the application asks for.
            let asked: Vec<_> = case
                .application()
                .filter(|_| offered(&case, "assess_feasibility", None, today))
                .map(|a| a.assessments.iter().map(|x| x.resource_id).collect())
                .unwrap_or_default();
            state
                .store
                .platform_resources()
                .await?
                .into_iter()
                .filter(|(r, _)| asked.is_empty() || asked.contains(&r.id))
                .map(|(r, held)| {
                    let label = c.t.tn(
                        "resource-option",
                        &[
                            ("title", r.title.get(c.lang()).to_string()),
                            ("rate", r.credits_per_unit.to_string()),
                            ("unit", c.t.term("resource-unit", r.unit.as_str())),
                            ("free", (r.capacity - held).to_string()),
                        ],
                    );
                    (r.id.to_string(), label)
                })
                .collect()
        } else if case.kind() == CaseKind::Audit && offered(&case, "finding", None, today) {
            // A finding is against one item of the audit's checklist.
            let book = state.rules.read().await;
            case.audit()
                .map(|a| {
                    a.checklist
                        .iter()
                        .map(|item| (item.id.clone(), audit_item(c, &book, item).0))
                        .collect()
                })
                .unwrap_or_default()
        } else {
            Vec::new()
        };
    // A check marks the documentation: each item's text beside its mark
    // (the dossier, for a reviewer who may read it).
    let documentation: Vec<(String, String)> =
        if offered(&case, "check", c.account().map(|a| a.id), today) {
            match senim_app::cases::dossier(state, &c.caller, case.id, Some(c.t.lang)).await {
                Ok(d) => d
                    .version
                    .documentation_in(c.lang())
                    .items()
                    .into_iter()
                    .filter_map(|(item, text)| Some((item.as_str().to_string(), text?.to_string())))
                    .collect(),
                Err(_) => Vec::new(),
            }
        } else {
            Vec::new()
        };
    // An application's forms ask the call's questions and criteria.
    let call = match case.application() {
        Some(app) => Some(state.store.call(app.call_id).await?),
        None => None,
    };
    let mut forms = Vec::new();
    for (kind, action, fields) in STEPS {
        if *kind != case.kind() || !offered(&case, action, c.account().map(|a| a.id), today) {
            continue;
        }
        let Some(policy_action) = step_policy(action) else {
            continue;
        };
        if !c.caller.may(state, policy_action, &r)? {
            continue;
        }
        let form = failed.filter(|(a, _)| a == action).map(|(_, f)| f);
        let destructive = DESTRUCTIVE.contains(action);
        let sign = state.eds.enabled() && senim_domain::case::SIGNED_STEPS.contains(action);
        forms.push(StepForm {
            action,
            destructive,
            sign,
            must_sign: sign && state.config.eds.require_signed_decisions,
            title: c.t(&format!("step-{}", action.replace('_', "-"))),
            fields: fields
                .iter()
                .map(|fl| {
                    show_field(
                        c,
                        &case,
                        call.as_ref(),
                        action,
                        fl,
                        form,
                        &problems,
                        &options,
                        &documentation,
                    )
                })
                .collect(),
            // The first step that is not destructive opens by itself (a
            // form sent back with problems always does).
            open: form.is_some()
                || (!destructive && !forms.iter().any(|f: &StepForm| !f.destructive)),
            multipart: fields.iter().any(|f| f.input == Input::File),
            target: match *action {
                "metrics" => format!("/desk/cases/{}/metrics", case.id),
                a if senim_app::attachments::STEPS_WITH_FILES.contains(&a) => {
                    format!("/desk/cases/{}/respond", case.id)
                }
                _ => format!("/desk/cases/{}", case.id),
            },
        });
    }
    // A reviewer opens the dossier once declared.
    let dossier = case.kind() == CaseKind::Registration
        && c.caller.may(state, Action::CaseDossier, &r)?
        && !senim_app::cases::must_declare_first(state, &c.caller, &r)?;
    let timeline = state
        .store
        .timeline(&[("case", case.id.to_string())])
        .await?
        .into_iter()
        .map(|e| {
            (
                c.t.term("event", &e.kind.replace('.', "-")),
                date(&e.time),
                e.index,
            )
        })
        .collect();
    let overdue = case.overdue(today);
    let shown_case = shown(state, &c.caller, case);
    // What the page says about the system comes from the case as this
    // reader may see it (a report's system is hidden from some readers).
    let system = shown_case.system_id.and_then(|id| {
        state
            .register
            .system_name(id, c.lang())
            .map(|name| (id.to_string(), name))
    });
    let view = CaseView {
        id: shown_case.id.to_string(),
        number: shown_case.number.clone(),
        kind: c.t.term("case-kind", shown_case.kind().as_str()),
        state: state_label(c, shown_case.kind(), shown_case.state()),
        // A step's form shown again keeps the revision it was read at, so a
        // step taken meanwhile by someone else is refused, not acted past.
        revision: failed
            .and_then(|(_, f)| f.text("revision").parse().ok())
            .unwrap_or(shown_case.revision),
        due: shown_case
            .deadline
            .as_ref()
            .and_then(|d| d.due)
            .map(|d| d.to_string()),
        overdue,
        organisation: shown_case
            .organisation_id
            .and_then(|o| state.register.organisation_name(o, c.lang()))
            .unwrap_or_default(),
        facts: {
            let mut all = facts(c, &*state.rules.read().await, &shown_case);
            all.extend(
                programme_facts(c, state, &shown_case, today)
                    .await?
                    .into_iter()
                    .map(Fact::from),
            );
            all
        },
        files: senim_app::attachments::held(&shown_case)
            .iter()
            .map(|a| {
                (
                    a.name.clone(),
                    format!("{} KB", a.size.div_ceil(1024)),
                    format!("/desk/cases/{}/attachments/{}", shown_case.id, a.sha256),
                )
            })
            .collect(),
        record: serde_json::to_string_pretty(&shown_case).unwrap_or_default(),
        report: (shown_case.kind() == CaseKind::Audit)
            .then(|| format!("/api/v1/cases/{}/audit-report", shown_case.id)),
        report_pdf: shown_case
            .audit()
            .and_then(|a| a.closed_at)
            .map(|_| format!("/desk/cases/{}/audit-report.pdf", shown_case.id)),
        runs: runs(c, &*state.rules.read().await, &shown_case),
        links: linked(c, state, &shown_case).await,
        certificate: shown_case
            .enrolment()
            .filter(|e| e.certificate.is_some() && Some(e.learner) == c.account().map(|a| a.id))
            .map(|_| format!("/api/v1/enrolments/{}/certificate", shown_case.id)),
        system,
    };
    let failed_status = !problems.is_empty();
    let page = CasePage {
        c,
        crumbs: vec![(String::new(), view.number.clone())],
        problems,
        signatures: crate::signature_views(c, &shown_case),
        case: view,
        forms,
        timeline,
        dossier,
        next: done.as_ref().and_then(|_| c.done("step-next")),
        done,
    };
    let mut response = c.render(&page);
    if failed_status {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

/// What an award released and owes, and what its allocations hold; what
/// an allocation is of, how much of it was used, and until when.
async fn programme_facts(
    c: &Ctx,
    state: &AppState,
    case: &Case,
    today: Day,
) -> Result<Vec<(String, String)>, ApiError> {
    let mut out = Vec::new();
    let unit = |u: &str| c.t.term("budget-unit", u);
    if let Some(app) = case.application() {
        if !app.partners.is_empty() {
            let mut names = Vec::new();
            for id in &app.partners {
                match state.store.organisation(*id).await {
                    Ok(o) => names.push(format!("{} ({})", o.name.get(c.lang()), o.bin)),
                    Err(_) => names.push(id.to_string()),
                }
            }
            out.push((c.t("case-partners"), names.join("; ")));
        }
        // Who was left out of the review and why (not who: the pool's
        // members are not the applicant's to know).
        for d in &app.conflicts {
            out.push((c.t("case-conflict-detected"), d.reason.clone()));
        }
        if let Some(d) = app.decision.as_ref().filter(|d| d.amount > 0) {
            let until = d.usable_until.map(|u| u.to_string()).unwrap_or_default();
            out.push((
                c.t("case-award"),
                c.t.tn(
                    "case-award-value",
                    &[
                        ("amount", d.amount.to_string()),
                        ("unit", unit(app.unit.as_str())),
                        ("until", until),
                    ],
                ),
            ));
        }
        if !app.tranches.is_empty() {
            let total = app.decision.as_ref().map_or(0, |d| d.amount);
            out.push((
                c.t("case-released"),
                c.t.t2(
                    "case-released-value",
                    "released",
                    app.released(),
                    "total",
                    total,
                ),
            ));
        }
        for (i, r) in app.reports.iter().enumerate() {
            let mut value = c.t.tn(
                "case-report-value",
                &[
                    ("kind", c.t.term("award-report", r.kind.as_str())),
                    (
                        "status",
                        c.t.term("award-report-status", r.status(today).as_str()),
                    ),
                    ("due", r.due.to_string()),
                ],
            );
            if let Some(review) = r.review.as_ref().filter(|x| !x.accepted) {
                value = format!("{value} — {}", review.reasons);
            }
            out.push((c.t.t1("case-report-n", "n", i + 1), value));
        }
        // What is left and what it bought so far are the awardee's and the
        // programme's to see, exactly when the case as shown to this reader
        // names its applicant (its public form does not); the public sees
        // each allocation's own record.
        let party = app.applicant != senim_domain::AccountId(uuid::Uuid::nil());
        if party
            && app.unit == senim_domain::programme::BudgetUnit::Credits
            && !app.tranches.is_empty()
        {
            let left = senim_app::allocations::credits_left(state, case).await?;
            out.push((c.t("case-credits-left"), left.to_string()));
            for a in state.store.allocations_of(case.id).await? {
                let Some(b) = a.allocation() else { continue };
                let title = state
                    .store
                    .platform_resource(b.resource_id)
                    .await
                    .map(|r| r.title.get(c.lang()).to_string())
                    .unwrap_or_default();
                out.push((
                    a.number.clone(),
                    format!(
                        "{title} · {} {} · {} · {}–{}",
                        b.units,
                        c.t.term("resource-unit", b.unit.as_str()),
                        c.t.term("case-state", a.state()),
                        b.starts,
                        b.ends
                    ),
                ));
            }
        }
    }
    if let Some(b) = case.sandbox() {
        out.push((c.t("case-sandbox-title"), b.title.clone()));
        out.push((
            c.t("case-sandbox-period"),
            format!("{} – {}", b.starts, b.ends),
        ));
        for a in &b.plan {
            out.push((c.t.term("sandbox-plan", &a.question), a.value.clone()));
        }
        for n in &b.notes {
            out.push((
                c.t.t1("case-sandbox-note", "day", Day::of(n.at).to_string()),
                n.text.clone(),
            ));
        }
        if let Some(r) = &b.exit_report {
            out.push((
                c.t("case-exit-report"),
                format!(
                    "{} — {}",
                    c.t.term("exit-outcome", r.outcome.as_str()),
                    r.public_summary
                ),
            ));
            if !r.findings.is_empty() {
                out.push((c.t("field-findings"), r.findings.clone()));
            }
            if let Some(why) = &r.returned {
                out.push((c.t("case-exit-returned"), why.clone()));
            }
        }
        if let Some(r) = &b.reasons {
            out.push((c.t("field-reasons"), r.clone()));
        }
    }
    if let Some(e) = case.enrolment() {
        if let Ok(course) = state.store.course(e.course_id).await {
            out.push((
                c.t("case-course"),
                course.course.title.get(c.lang()).to_string(),
            ));
        }
        if let Some(done) = &e.completion {
            let mut value = Day::of(done.at).to_string();
            if let Some(note) = &done.note {
                value = format!("{value} — {note}");
            }
            out.push((c.t("case-completed"), value));
        }
        if let Some(cert) = &e.certificate {
            out.push((
                c.t("case-certificate"),
                format!("{} · {}", cert.id, Day::of(cert.issued_at)),
            ));
        }
        if let Some(r) = &e.reasons {
            out.push((c.t("field-reasons"), r.clone()));
        }
    }
    if let Some(app) = case.application() {
        for a in &app.assessments {
            let title = state
                .store
                .platform_resource(a.resource_id)
                .await
                .map(|r| r.title.get(c.lang()).to_string())
                .unwrap_or_default();
            let verdict = match a.feasible {
                None => c.t("case-assessment-pending"),
                Some(true) => c.t("case-assessment-feasible"),
                Some(false) => c.t("case-assessment-infeasible"),
            };
            let note = a
                .note
                .as_deref()
                .map(|n| format!(" — {n}"))
                .unwrap_or_default();
            out.push((
                c.t("case-assessment"),
                format!("{title} · {} · {verdict}{note}", a.units),
            ));
        }
    }
    if let Some(b) = case.allocation() {
        if let Ok(r) = state.store.platform_resource(b.resource_id).await {
            out.push((c.t("case-resource"), r.title.get(c.lang()).to_string()));
        }
        let unit = c.t.term("resource-unit", b.unit.as_str());
        out.push((
            c.t("case-allocation"),
            c.t.tn(
                "case-allocation-value",
                &[
                    ("units", b.units.to_string()),
                    ("unit", unit.clone()),
                    ("credits", b.credits.to_string()),
                    ("starts", b.starts.to_string()),
                    ("ends", b.ends.to_string()),
                ],
            ),
        ));
        out.push((
            c.t("case-used"),
            c.t.t2("case-used-value", "used", b.used, "units", b.units),
        ));
        if let Some(i) = &b.instructions {
            out.push((c.t("field-instructions"), i.clone()));
        }
        if let Some(e) = &b.extension {
            out.push((
                c.t("case-extension"),
                format!("{} — {}", e.until, e.reasons),
            ));
        }
        if let Some(r) = &b.reasons {
            out.push((c.t("field-reasons"), r.clone()));
        }
    }
    Ok(out)
}

/// The cases `case` links to that the reader may read (a sandbox
/// participation and the award that opened it, a registration and the
/// system's sandbox record, an allocation and its award).
async fn linked(c: &Ctx, state: &AppState, case: &Case) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for id in &case.links {
        let Ok(other) = state.store.case(*id).await else {
            continue;
        };
        let r = resource(&other, &c.caller);
        if c.caller.may(state, Action::CaseRead, &r).unwrap_or(false) {
            out.push((
                other.id.to_string(),
                other.number.clone(),
                c.t.term("case-kind", other.kind().as_str()),
            ));
        }
    }
    out
}

/// `GET /desk/cases/{id}`.
pub async fn show(c: Ctx, State(state): State<AppState>, Path(id): Path<String>) -> PageResult {
    let case = load(&c, &state, &id).await?;
    let done = c.done("step-done");
    page(&c, &state, case, None, Problems::default(), done).await
}

/// `POST /desk/cases/{id}`: one step.
pub async fn step(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { ctx: c, form }: Posted,
) -> PageResult {
    let case = load(&c, &state, &id).await?;
    let action = form.text("action");
    // A step with a file posts to its own address.
    let Some((_, name, fields)) = STEPS.iter().find(|(k, a, fields)| {
        *k == case.kind() && *a == action && !fields.iter().any(|f| f.input == Input::File)
    }) else {
        return Err(ApiError::invalid(vec![senim_domain::FieldError {
            field: "action".into(),
            reason: "is not a step of this case".into(),
        }])
        .into());
    };
    // Whether the reader may take this step at all, before its fields are read.
    let policy = step_policy(name).ok_or_else(ApiError::internal)?;
    c.caller
        .require(&state, policy, &resource(&case, &c.caller))?;
    let revision = form.revision()?;
    let mut value = match step_json(&c, name, fields, &form) {
        Ok(v) => v,
        Err(problems) => return page(&c, &state, case, Some((name, &form)), problems, None).await,
    };
    if *name == "edit_application" {
        // Partners are named by their BIN on the page (or by their identifier).
        if let Err(problems) = partners_by_bin(&c, &state, &mut value).await {
            return page(&c, &state, case, Some((name, &form)), problems, None).await;
        }
    }
    let case_id = case.id;
    if *name == "request_allocation" {
        // An exchange opens an allocation case of its own: its page is next.
        let mut value = value;
        if let Some(fields) = value.as_object_mut() {
            fields.remove("action");
        }
        let input: Result<senim_domain::allocation::AllocationInput, ApiError> =
            serde_json::from_value(value.clone()).map_err(|e| {
                senim_app::cases::name_the_field(
                    ApiError::invalid(vec![senim_domain::FieldError {
                        field: "body".into(),
                        reason: e.to_string(),
                    }]),
                    &value,
                )
            });
        let opened = match input {
            Ok(input) => senim_app::allocations::request(&state, &c.caller, case_id, input).await,
            Err(e) => Err(e),
        };
        return match opened {
            Ok(allocation) => Ok(c.redirect(&format!(
                "/desk/cases/{}?done=request_allocation",
                allocation.id
            ))),
            Err(e) => stepped(&c, &state, case_id, (name, fields), &form, Err(e)).await,
        };
    }
    // A decision to sign goes to its signing page first.
    if form.get("sign") == Some("1") && senim_domain::case::SIGNED_STEPS.contains(name) {
        return sign_page(
            &c,
            &state,
            &case,
            name,
            revision,
            &value,
            Problems::default(),
        )
        .await;
    }
    let taken = apply_step(&state, &c.caller, case, Expected::Revision(revision), value).await;
    stepped(&c, &state, case_id, (name, fields), &form, taken.map(drop)).await
}

#[derive(askama::Template)]
#[template(path = "case_sign.html")]
struct SignPage<'a> {
    c: &'a Ctx,
    crumbs: Vec<(String, String)>,
    problems: Problems,
    case_id: CaseId,
    title: String,
    revision: i64,
    /// The step as JSON, sent back with the signature.
    step: String,
    /// The step as people read it: each field's label and value.
    summary: Vec<(String, String)>,
    /// The document the signature signs.
    document: String,
}

/// A step's fields as the signing page shows them above the document: the
/// field's label, and its value (a vocabulary's value by its label).
fn step_summary(c: &Ctx, name: &str, value: &Value) -> Vec<(String, String)> {
    let Some(fields) = value.as_object() else {
        return Vec::new();
    };
    fields
        .iter()
        .filter(|(field, _)| field.as_str() != "action")
        .map(|(field, v)| {
            let text = match v {
                Value::String(s) => {
                    let term = format!("{field}-{}", s.replace('_', "-"));
                    if c.t.has(&term) {
                        c.t(&term)
                    } else {
                        s.clone()
                    }
                }
                Value::Null => String::new(),
                other => other.to_string(),
            };
            (c.t(&field_key(c, name, field)), text)
        })
        .collect()
}

/// The page that has a decision's document signed with the official's
/// key (NCALayer, or a signature made elsewhere and pasted in).
async fn sign_page(
    c: &Ctx,
    state: &AppState,
    case: &Case,
    name: &str,
    revision: i64,
    value: &Value,
    problems: Problems,
) -> PageResult {
    let document = senim_app::eds::step_document(state, case, revision, value)?;
    let failed = !problems.is_empty();
    let title = c.t(&format!("step-{}", name.replace('_', "-")));
    let mut r = c.render(&SignPage {
        c,
        crumbs: vec![
            (format!("/desk/cases/{}", case.id), case.number.clone()),
            (String::new(), title.clone()),
        ],
        problems,
        case_id: case.id,
        title,
        revision,
        step: value.to_string(),
        summary: step_summary(c, name, value),
        document,
    });
    if failed {
        *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    if let Ok(v) = axum::http::HeaderValue::from_str(&crate::PAGE_CSP.replace(
        "connect-src 'self'",
        "connect-src 'self' wss://127.0.0.1:13579",
    )) {
        r.headers_mut()
            .insert(axum::http::header::CONTENT_SECURITY_POLICY, v);
    }
    Ok(r)
}

/// `POST /desk/cases/{id}/signed`: a decision with its signature, taken
/// through the one path every step takes; a refusal returns to the signing
/// page with its reason.
pub async fn signed(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Posted { ctx: c, form }: Posted,
) -> PageResult {
    let case = load(&c, &state, &id).await?;
    let revision = form.revision()?;
    let value: Value = serde_json::from_str(form.get("step").unwrap_or("")).map_err(|_| {
        ApiError::invalid(vec![senim_domain::FieldError {
            field: "step".into(),
            reason: "is not a step".into(),
        }])
    })?;
    let name = value
        .get("action")
        .and_then(Value::as_str)
        .and_then(|a| senim_domain::case::SIGNED_STEPS.iter().find(|s| **s == a))
        .copied()
        .ok_or_else(|| {
            ApiError::invalid(vec![senim_domain::FieldError {
                field: "action".into(),
                reason: "is not a step of this case".into(),
            }])
        })?;
    let mut sent = value.clone();
    if let Some(fields) = sent.as_object_mut() {
        fields.insert(
            "signature".into(),
            json!(form.get("signature").unwrap_or("")),
        );
    }
    let case_id = case.id;
    match apply_step(
        &state,
        &c.caller,
        case.clone(),
        Expected::Revision(revision),
        sent,
    )
    .await
    {
        Ok(_) => Ok(c.redirect(&format!("/desk/cases/{case_id}?done={name}"))),
        Err(e) if e.fields.iter().any(|f| f.field == "signature") => {
            let problems = crate::refusal(&c, &e, "signature", |_| {
                ("signature".into(), c.t("login-eds-signature"))
            });
            sign_page(&c, &state, &case, name, revision, &value, problems).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Puts each partner a draft's form names by its 12-digit BIN as the
/// organisation's identifier; names the BINs the register does not hold.
async fn partners_by_bin(c: &Ctx, state: &AppState, value: &mut Value) -> Result<(), Problems> {
    let Some(partners) = value.get_mut("partners").and_then(Value::as_array_mut) else {
        return Ok(());
    };
    let mut problems = Problems::default();
    for partner in partners.iter_mut() {
        let Some(text) = partner.as_str() else {
            continue;
        };
        if text.len() != 12 || !text.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        match state.store.organisation_by_bin(text).await {
            Ok(o) => *partner = json!(o.id.to_string()),
            Err(_) => problems.push(
                "edit_application-partners",
                c.t.t1("reviewers-unknown-bin", "bin", text),
            ),
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// After a step: to the case with its banner, or back to the step's form
/// with the refusal's reasons beside its fields (the case read again).
async fn stepped(
    c: &Ctx,
    state: &AppState,
    case_id: CaseId,
    (name, fields): (&str, &[Field]),
    form: &FormData,
    taken: Result<(), ApiError>,
) -> PageResult {
    match taken {
        Ok(()) => Ok(c.redirect(&format!("/desk/cases/{case_id}?done={name}"))),
        Err(e) if shown_on_form(&e) => {
            let problems = step_problems(c, name, fields, &e);
            let case = state.store.case(case_id).await?;
            page(c, state, case, Some((name, form)), problems, None).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Whether a step's refusal goes back to its form (rather than an error page).
fn shown_on_form(e: &ApiError) -> bool {
    matches!(
        e.status,
        StatusCode::UNPROCESSABLE_ENTITY | StatusCode::CONFLICT | StatusCode::PAYLOAD_TOO_LARGE
    )
}

/// A refused step's reasons, each beside its field in the reader's language
/// (the field's name translated; the domain's reason as it gave it).
fn step_problems(c: &Ctx, name: &str, fields: &[Field], e: &ApiError) -> Problems {
    let first = format!("{name}-{}", fields.first().map_or("action", |f| f.name));
    crate::refusal(c, e, &first, |path| {
        let field = path.split(['.', '[']).next().unwrap_or("");
        // The API's body and attachments are the form's file.
        let field = match field {
            "body" => "file",
            "attachments" => "attachment",
            f => f,
        };
        (format!("{name}-{field}"), c.t(&field_key(c, name, field)))
    })
}

/// `POST /desk/cases/{id}/metrics`: the auditor sends a predictions file
/// and names its columns; the API's own path computes, keeps and checks it
/// ([`senim_app::audit`]). Everything that can refuse the run is
/// checked before the file is read.
pub async fn metrics(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PostedFile { ctx: c, form, file }: PostedFile,
) -> PageResult {
    let case = load(&c, &state, &id).await?;
    let (_, name, fields) = STEPS
        .iter()
        .find(|(k, a, _)| *k == CaseKind::Audit && *a == "metrics")
        .ok_or_else(ApiError::internal)?;
    let case_id = case.id;
    let mut problems = step_json(&c, name, fields, &form).err().unwrap_or_default();
    if file.is_none() {
        problems.push(
            "metrics-file",
            c.t.t1("problem-required", "field", c.t("field-file")),
        );
    }
    let Some(file) = file.filter(|_| problems.is_empty()) else {
        return page(&c, &state, case, Some((name, &form)), problems, None).await;
    };
    let optional = |name: &str| Some(form.text(name)).filter(|v| !v.is_empty());
    let query = MetricsQuery {
        y_true: form.text("y_true"),
        y_pred: form.text("y_pred"),
        sensitive: form.text("sensitive"),
        weight: optional("weight"),
        score: optional("score"),
        control: optional("control"),
        pos_label: optional("pos_label"),
        privileged: optional("privileged"),
        format: file
            .name
            .to_lowercase()
            .ends_with(".parquet")
            .then(|| "parquet".to_string()),
    };
    let revision = form.revision()?;
    let run = async {
        let pending = prepare(&state, &c.caller, case, revision, &query).await?;
        let bytes = file.bytes(MAX_PREDICTIONS_BYTES).await?;
        if bytes.is_empty() {
            return Err(ApiError::invalid(vec![senim_domain::FieldError {
                field: "file".into(),
                reason: c.t("problem-empty-file"),
            }]));
        }
        pending.run(&state, &c.caller, bytes).await
    };
    stepped(
        &c,
        &state,
        case_id,
        (name, fields),
        &form,
        run.await.map(drop),
    )
    .await
}

/// `GET /desk/cases/{id}/metrics/{n}`: a metrics run's whole report, as
/// the engine wrote it (JSON, Fairlearn's names; docs/METRICS.md).
pub async fn metrics_report(
    c: Ctx,
    State(state): State<AppState>,
    Path((id, n)): Path<(String, u32)>,
) -> PageResult {
    let case = shown(&state, &c.caller, load(&c, &state, &id).await?);
    let run = case
        .audit()
        .and_then(|a| a.metrics.iter().find(|r| r.number == n))
        .ok_or_else(|| ApiError::not_found("metrics run"))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        run.report.clone(),
    )
        .into_response())
}

/// An audit's metrics runs, newest first.
fn runs(c: &Ctx, book: &senim_rules::RuleBook, case: &Case) -> Vec<RunView> {
    let Some(audit) = case.audit() else {
        return Vec::new();
    };
    audit
        .metrics
        .iter()
        .rev()
        .map(|run| {
            let report = serde_json::from_str::<Value>(&run.report).unwrap_or(Value::Null);
            let rows = report
                .pointer("/input/rows_read")
                .and_then(Value::as_u64)
                .map(|n| n.to_string())
                .unwrap_or_default();
            let (fairness, groups) = headline(c, &report);
            RunView {
                number: run.number,
                at: date(&run.at.to_rfc3339()),
                file_sha256: run.file_sha256.clone(),
                file_size: run.file_size,
                format: run.format.to_uppercase(),
                rows,
                fairness,
                groups,
                checks: run
                    .checks
                    .iter()
                    .map(|ch| CheckView {
                        metric: ch.metric.clone(),
                        name: c.t.term("metric", &ch.metric),
                        title: book.threshold_title(&ch.metric, &ch.title, c.t.lang),
                        value: ch.value.as_deref().map_or_else(
                            || c.t("metrics-undefined"),
                            |v| {
                                v.parse::<f64>()
                                    .map_or(v.to_string(), |x| format!("{x:.4}"))
                            },
                        ),
                        limit: match (&ch.min, &ch.max) {
                            (Some(min), _) => format!("≥ {min}"),
                            (_, Some(max)) => format!("≤ {max}"),
                            _ => String::new(),
                        },
                        breached: ch.breached,
                    })
                    .collect(),
            }
        })
        .collect()
}

/// A case in a queue.
pub struct QueueRow {
    pub id: String,
    pub number: String,
    pub kind: String,
    pub state: String,
    pub system: String,
    pub due: String,
    pub overdue: bool,
    /// The step the reader can take next (the first the case offers them
    /// that ends or takes away nothing), in words; empty when none.
    pub next: String,
}

/// The first step `case` offers the reader now that is not destructive:
/// what a queue says they owe.
fn next_step(c: &Ctx, state: &AppState, case: &Case, today: Day) -> String {
    let r = resource(case, &c.caller);
    STEPS
        .iter()
        .filter(|(kind, action, _)| {
            *kind == case.kind()
                && !DESTRUCTIVE.contains(action)
                && offered(case, action, c.account().map(|a| a.id), today)
        })
        .find(|(_, action, _)| {
            step_policy(action)
                .and_then(|p| c.caller.may(state, p, &r).ok())
                .unwrap_or(false)
        })
        .map(|(_, action, _)| c.t(&format!("step-{}", action.replace('_', "-"))))
        .unwrap_or_default()
}

/// Cases as queue rows (the store orders them by due date, overdue first).
pub async fn rows(c: &Ctx, state: &AppState, cases: Vec<Case>) -> Vec<QueueRow> {
    let today = Day::of(state.clock.now());
    let mut out = Vec::with_capacity(cases.len());
    for case in cases {
        let overdue_report = case
            .application()
            .filter(|_| case.open)
            .and_then(|a| a.overdue_report(today))
            .map(|(_, r)| r.due);
        // What the case is about: its AI system, or what was applied for,
        // or what an award bought.
        let system = case
            .system_id
            .and_then(|id| state.register.system_name(id, c.lang()))
            .or_else(|| case.application().map(|a| a.title.clone()))
            .or_else(|| {
                case.allocation()
                    .map(|a| format!("{} {}", a.units, c.t.term("resource-unit", a.unit.as_str())))
            })
            .unwrap_or_default();
        // An enrolment: the course, and who is learning.
        let system = match case.enrolment() {
            Some(e) => {
                let course = state
                    .store
                    .course(e.course_id)
                    .await
                    .map(|f| f.course.title.get(c.lang()).to_string())
                    .unwrap_or_default();
                let learner = state
                    .store
                    .account(e.learner)
                    .await
                    .map(|a| a.display_name)
                    .unwrap_or_default();
                format!("{course} — {learner}")
            }
            None => system,
        };
        out.push(QueueRow {
            id: case.id.to_string(),
            number: case.number.clone(),
            kind: c.t.term("case-kind", case.kind().as_str()),
            state: state_label(c, case.kind(), case.state()),
            system,
            // An award's overdue report shows on its holder's and its
            // programme's desks with the day it was due.
            due: overdue_report
                .map(|d| d.to_string())
                .or_else(|| {
                    case.deadline
                        .as_ref()
                        .and_then(|d| d.due)
                        .map(|d| d.to_string())
                })
                .unwrap_or_default(),
            overdue: case.overdue(today) || overdue_report.is_some(),
            next: next_step(c, state, &case, today),
        });
    }
    out
}

/// `POST /desk/cases/{id}/respond`: an owner's answer to an information
/// request, or response to a finding or a forwarded report (`action`),
/// with the file chosen, if any (the validation report, the evidence): the
/// file is checked and stored first, then named in the step.
pub async fn respond(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PostedFile { ctx: c, form, file }: PostedFile,
) -> PageResult {
    let case = load(&c, &state, &id).await?;
    let action = form.text("action");
    let Some((_, name, fields)) = STEPS.iter().find(|(k, a, _)| {
        *k == case.kind() && *a == action && senim_app::attachments::STEPS_WITH_FILES.contains(a)
    }) else {
        return Err(ApiError::invalid(vec![senim_domain::FieldError {
            field: "action".into(),
            reason: "is not a step that takes a file".into(),
        }])
        .into());
    };
    let policy = step_policy(name).ok_or_else(ApiError::internal)?;
    c.caller
        .require(&state, policy, &resource(&case, &c.caller))?;
    let case_id = case.id;
    let revision = form.revision()?;
    let mut value = match step_json(&c, name, fields, &form) {
        Ok(v) => v,
        Err(problems) => return page(&c, &state, case, Some((name, &form)), problems, None).await,
    };
    let run = async {
        if let Some(file) = file {
            let file_name = file.name.clone();
            let limit =
                usize::try_from(senim_domain::case::MAX_ATTACHMENT_BYTES).unwrap_or(usize::MAX);
            let bytes = file.bytes(limit).await?;
            // A file input left empty sends no bytes: an answer without a file.
            if !bytes.is_empty() {
                let attached = senim_app::attachments::attach(
                    &state, &c.caller, case_id, name, &file_name, bytes,
                )
                .await?;
                value["attachments"] = serde_json::json!([attached]);
            }
        }
        apply_step(&state, &c.caller, case, Expected::Revision(revision), value)
            .await
            .map(drop)
    };
    stepped(&c, &state, case_id, (name, fields), &form, run.await).await
}

/// `GET /desk/cases/{id}/attachments/{sha256}`: a file sent with a step,
/// for those who may read the case's dossier; sent as a download, never
/// shown in the page's origin.
pub async fn attachment(
    c: Ctx,
    State(state): State<AppState>,
    Path((id, sha256)): Path<(String, String)>,
) -> PageResult {
    let case_id = senim_app::extract::path_id(&id, "case")?;
    // To a reader who may not read the dossier, the file does not exist.
    let found = senim_app::attachments::find(&state, &c.caller, case_id, &sha256)
        .await
        .map_err(|e| {
            if e.status == StatusCode::UNAUTHORIZED || e.status == StatusCode::FORBIDDEN {
                ApiError::not_found("attachment")
            } else {
                e
            }
        })?;
    let stream = state.blobs.read(&found.sha256, None).await?;
    let disposition = format!(
        "attachment; filename*=UTF-8''{}",
        form_urlencoded::byte_serialize(found.name.as_bytes())
            .collect::<String>()
            .replace('+', "%20")
    );
    let mut r = axum::response::Response::new(axum::body::Body::from_stream(stream));
    let headers = r.headers_mut();
    for (name, value) in [
        ("content-type", found.media_type.clone()),
        ("content-length", found.size.to_string()),
        ("content-disposition", disposition),
        ("x-content-type-options", "nosniff".into()),
        ("cache-control", "private, no-store".into()),
        (
            "content-security-policy",
            "sandbox; default-src 'none'".into(),
        ),
    ] {
        if let Ok(v) = axum::http::HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table is checked against the kinds' own steps, so a step added
    /// to a kind shows on its page (an audit's metrics run is its own route;
    /// an exchange of credits opens a case of its own).
    #[test]
    fn the_page_offers_every_step_of_every_kind_and_no_other() {
        for &kind in CaseKind::ALL {
            // An exchange of credits opens an allocation from the
            // application's page; it is not a step of the application.
            let mut page: Vec<&str> = STEPS
                .iter()
                .filter(|(k, action, _)| {
                    *k == kind && !matches!(*action, "metrics" | "request_allocation")
                })
                .map(|(_, action, _)| *action)
                .collect();
            // Reminders and expiry are the server's own steps.
            let mut steps: Vec<&str> = kind
                .steps()
                .iter()
                .copied()
                .filter(|s| {
                    !senim_domain::allocation::SWEEP_STEPS.contains(s)
                        && !senim_domain::sandbox::SWEEP_STEPS.contains(s)
                })
                .collect();
            page.sort_unstable();
            steps.sort_unstable();
            assert_eq!(page, steps, "{kind}");
        }
    }
}
