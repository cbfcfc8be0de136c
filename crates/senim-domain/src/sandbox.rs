//! The regulatory sandbox (issue 18): a programme of kind `sandbox` admits
//! AI systems for a limited time under an agreed plan, supervises them, and
//! lets them out with an exit report; a system that leaves continues to
//! registration with its sandbox record linked.
//!
//! Intake is a call like any other (competitive, reviewed, decided): a
//! sandbox call's form asks for the plan, as questions with fixed ids
//! ([`PLAN`]), so the application's form, its completeness check and its
//! review are the calls' own. Accepting a sandbox award opens a case of
//! kind `sandbox` (the participation) with the plan, from that day for the
//! plan's months (at most [`MAX_MONTHS`]):
//!
//! ```text
//! active ─submit_exit_report─▶ exit_reported ─review_exit_report(accept)─▶ exited
//! exit_reported ─review_exit_report(return)─▶ active
//! active / exit_reported ─terminate_sandbox─▶ terminated
//! active / exit_reported ─add_note─▶ (the same)   (supervision notes)
//! active ─remind_exit─▶ active   (the server: the last day passed, no exit report)
//! ```
//!
//! The participation is public: the plan (what is tested, which rules are
//! relaxed and how risks are contained), its dates and state, and once out
//! the exit report's public summary and outcome. The supervision notes, the
//! exit report's findings and the reasons of a termination stay with the
//! parties.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::application::{AnswerValue, Application};
use crate::calendar::Day;
use crate::case::{
    next, notice, refuse_state, require_state, text, Case, CaseBody, Recipient, Refusal, Stepped,
};
use crate::clock::Timestamp;
use crate::error::{Problems, ValidationError};
use crate::ids::{AccountId, CallId, CaseId, OrganisationId, SystemId};
use crate::profile::vocabulary;
use crate::programme::{AnswerKind, Call, ProgrammeKind, Question};

vocabulary!(
    /// Where a participation in the sandbox stands.
    SandboxState {
        Active => "active",
        ExitReported => "exit_reported",
        Exited => "exited",
        Terminated => "terminated",
    }
);

vocabulary!(
    /// What the participant concludes on leaving: the system is ready to be
    /// registered, needs changes first, or the work stops.
    ExitOutcome {
        ReadyForRegistration => "ready_for_registration",
        NeedsChanges => "needs_changes",
        Discontinued => "discontinued",
    }
);

/// The longest stay in the sandbox, in months (EU AI Act Art. 58 and the
/// sandboxes it learned from plan for at most a year).
pub const MAX_MONTHS: i64 = 12;

/// The plan's questions, by id, that every sandbox call asks (required).
pub const PLAN: [(&str, AnswerKind); 7] = [
    ("objectives", AnswerKind::Text),
    ("conditions", AnswerKind::Text),
    ("relaxed_rules", AnswerKind::Text),
    ("risk_containment", AnswerKind::Text),
    ("months", AnswerKind::Number),
    ("methodology", AnswerKind::Text),
    ("exit_strategy", AnswerKind::Text),
];

/// Refuses a sandbox call whose form does not ask for the whole plan, and
/// a maximum stay on a call of another kind.
pub fn check_call(
    kind: ProgrammeKind,
    questions: &[Question],
    max_months: Option<u8>,
) -> Result<(), ValidationError> {
    let mut problems = Problems::new();
    if kind != ProgrammeKind::Sandbox {
        if max_months.is_some() {
            problems.add("max_months", "only a sandbox call sets a maximum stay");
        }
        return problems.finish(|| Some(()));
    }
    for (id, answer) in PLAN {
        let asked = questions
            .iter()
            .any(|q| q.id == id && q.answer == answer && q.required);
        if !asked {
            problems.add(
                "questions",
                format!("a sandbox call asks for the plan: a required `{id}` question ({answer})"),
            );
        }
    }
    problems.finish(|| Some(()))
}

/// The months an application's plan asks for, if it is a whole number.
fn months_of(answers: &[AnswerValue]) -> Option<i64> {
    answers
        .iter()
        .find(|a| a.question == "months")
        .and_then(|a| a.value.parse().ok())
}

/// Refuses a sandbox application whose plan asks for more time than a
/// stay in the call's sandbox can last.
pub fn check_plan(app: &Application, call: &Call) -> Result<(), ValidationError> {
    let max = call.max_months();
    match months_of(&app.answers) {
        Some(m) if !(1..=max).contains(&m) => Err(ValidationError::single(
            "answers.months",
            format!("must be from 1 to {max} months, the call's longest stay"),
        )),
        _ => Ok(()),
    }
}

/// A supervision note.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Note {
    pub at: Timestamp,
    pub by: AccountId,
    pub text: String,
}

/// The participant's exit report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ExitReport {
    pub submitted_at: Timestamp,
    /// What the public reads: what was tested and learned.
    pub public_summary: String,
    /// What only the parties read: incidents, data, commercial detail.
    pub findings: String,
    pub outcome: ExitOutcome,
    /// Why the programme returned it, the last time it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub returned: Option<String>,
}

/// A participation's body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Sandbox {
    /// The accepted application that admitted it.
    pub application_id: CaseId,
    pub call_id: CallId,
    pub programme_organisation_id: OrganisationId,
    /// The account that applied.
    pub participant: AccountId,
    pub title: String,
    /// The plan, as the application answered the call's plan questions.
    pub plan: Vec<AnswerValue>,
    pub starts: Day,
    /// The last day in the sandbox.
    pub ends: Day,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<Note>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_report: Option<ExitReport>,
    /// Why it was terminated, or the programme's words on the exit report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasons: Option<String>,
    /// When the server reminded the participant that the last day passed
    /// without an exit report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_due_reminded: Option<Day>,
}

/// The participation an accepted sandbox award opens, from `now` for the
/// plan's months. `system` is the applicant's system under test, if the
/// application named one of the register.
pub fn admit(
    id: CaseId,
    application: &Case,
    call: &Call,
    system: Option<SystemId>,
    now: Timestamp,
) -> Result<Case, Refusal> {
    let Some(app) = application.application() else {
        return Err(refuse_state(application.state(), "not an application"));
    };
    let max = call.max_months();
    let months = months_of(&app.answers)
        .filter(|m| (1..=max).contains(m))
        .ok_or_else(|| {
            refuse_state(
                application.state(),
                format!("the plan's `months` must be from 1 to {max}, the call's longest stay"),
            )
        })?;
    let starts = Day::of(now);
    // The day before the same date `months` later; where that date does not
    // exist (31 January + 1 month), the month's last day.
    let same = starts.plus_months(months as u32);
    let ends = if same.day_of_month() < starts.day_of_month() {
        same
    } else {
        same.plus_days(-1)
    };
    let plan = app
        .answers
        .iter()
        .filter(|a| PLAN.iter().any(|(id, _)| *id == a.question))
        .cloned()
        .collect();
    let mut case = Case::new(
        id,
        CaseBody::Sandbox {
            state: SandboxState::Active,
            body: Some(Sandbox {
                application_id: application.id,
                call_id: app.call_id,
                programme_organisation_id: app.programme_organisation_id,
                participant: app.applicant,
                title: app.title.clone(),
                plan,
                starts,
                ends,
                notes: Vec::new(),
                exit_report: None,
                reasons: None,
                exit_due_reminded: None,
            }),
        },
        now,
    );
    case.organisation_id = application.organisation_id;
    case.system_id = system;
    case.links = vec![application.id];
    Ok(case)
}

/// A step on a participation, as the API and the pages send it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum SandboxStep {
    /// Programme manager or supervisor: a supervision note.
    AddNote { text: String },
    /// Participant: the exit report.
    SubmitExitReport {
        public_summary: String,
        findings: String,
        outcome: ExitOutcome,
    },
    /// Programme manager: accept the exit report (the participation ends)
    /// or return it with reasons.
    ReviewExitReport { accept: bool, reasons: String },
    /// Programme manager: end the participation early, with reasons.
    TerminateSandbox { reasons: String },
    /// The server: the last day passed and no exit report is in.
    RemindExit,
}

/// The steps only the server's sweep takes (the policies forbid them to
/// everyone else).
pub const SWEEP_STEPS: &[&str] = &["remind_exit"];

/// The sweep's step for a participation on `today`, if one is due: a
/// reminder, once, the day after the last day while no exit report is in.
pub fn due_step(case: &Case, today: Day) -> Option<SandboxStep> {
    let CaseBody::Sandbox {
        state: SandboxState::Active,
        body: Some(b),
    } = &case.body
    else {
        return None;
    };
    (today > b.ends && b.exit_due_reminded.is_none()).then_some(SandboxStep::RemindExit)
}

impl SandboxStep {
    /// Every step's name, in the order of [`Self::name`].
    pub const NAMES: &'static [&'static str] = &[
        "add_note",
        "submit_exit_report",
        "review_exit_report",
        "terminate_sandbox",
        "remind_exit",
    ];

    pub fn name(&self) -> &'static str {
        match self {
            SandboxStep::AddNote { .. } => "add_note",
            SandboxStep::SubmitExitReport { .. } => "submit_exit_report",
            SandboxStep::ReviewExitReport { .. } => "review_exit_report",
            SandboxStep::TerminateSandbox { .. } => "terminate_sandbox",
            SandboxStep::RemindExit => "remind_exit",
        }
    }
}

/// A step on a participation taken by `actor` at `now`.
pub fn sandbox_step(
    now: Timestamp,
    actor: AccountId,
    current: &Case,
    step: SandboxStep,
) -> Result<Stepped, Refusal> {
    use SandboxState as S;
    let state = match &current.body {
        CaseBody::Sandbox { state, .. } => *state,
        _ => {
            return Err(refuse_state(
                current.state(),
                "the case is not a sandbox participation",
            ))
        }
    };
    let mut case = next(current, now);
    let Some(mut b) = case.sandbox().cloned() else {
        return Err(refuse_state(current.state(), "the case has no body"));
    };
    let participant = match current.organisation_id {
        Some(org) => Recipient::Organisation(org),
        None => Recipient::Account(b.participant),
    };
    let programme = Recipient::Organisation(b.programme_organisation_id);
    let mut notices = Vec::new();
    let (to, event) = match step {
        SandboxStep::AddNote { text: t } => {
            require_state(state, &[S::Active, S::ExitReported], "add_note")?;
            b.notes.push(Note {
                at: now,
                by: actor,
                text: text("text", &t)?,
            });
            notices.push(notice(
                participant,
                "notice-sandbox-note",
                &[],
                "The sandbox's supervisors added a note to your participation.".into(),
            ));
            (state, "sandbox.noted")
        }
        SandboxStep::SubmitExitReport {
            public_summary,
            findings,
            outcome,
        } => {
            require_state(state, &[S::Active], "submit_exit_report")?;
            let mut problems = Problems::new();
            let summary = problems.check(
                "public_summary",
                crate::error::bounded_text(&public_summary, crate::case::MAX_REASONS_CHARS),
            );
            let findings = problems.check(
                "findings",
                crate::error::bounded_text(&findings, crate::case::MAX_REASONS_CHARS),
            );
            let (summary, findings) = problems
                .finish(|| Some((summary?, findings?)))
                .map_err(Refusal::Invalid)?;
            b.exit_report = Some(ExitReport {
                submitted_at: now,
                public_summary: summary,
                findings,
                outcome,
                returned: None,
            });
            notices.push(notice(
                programme,
                "notice-sandbox-exit-report",
                &[],
                "A sandbox participant submitted its exit report.".into(),
            ));
            (S::ExitReported, "sandbox.exit_reported")
        }
        SandboxStep::ReviewExitReport { accept, reasons } => {
            require_state(state, &[S::ExitReported], "review_exit_report")?;
            let reasons = text("reasons", &reasons)?;
            if accept {
                b.reasons = Some(reasons);
                case.open = false;
                notices.push(notice(
                    participant,
                    "notice-sandbox-exited",
                    &[],
                    "Your exit report was accepted: the participation in the sandbox is over."
                        .into(),
                ));
                (S::Exited, "sandbox.exited")
            } else {
                if let Some(r) = b.exit_report.as_mut() {
                    r.returned = Some(reasons);
                }
                notices.push(notice(
                    participant,
                    "notice-sandbox-exit-returned",
                    &[],
                    "Your exit report was returned for correction.".into(),
                ));
                (S::Active, "sandbox.exit_returned")
            }
        }
        SandboxStep::RemindExit => {
            require_state(state, &[S::Active], "remind_exit")?;
            if Day::of(now) <= b.ends || b.exit_due_reminded.is_some() {
                return Err(refuse_state(
                    state.as_str(),
                    "no reminder is due: the last day has not passed, or it was sent",
                ));
            }
            b.exit_due_reminded = Some(Day::of(now));
            notices.push(notice(
                participant,
                "notice-sandbox-exit-due",
                &[("ends", b.ends.to_string())],
                format!(
                    "Your participation in the sandbox ended on {}: submit the exit report.",
                    b.ends
                ),
            ));
            notices.push(notice(
                programme,
                "notice-sandbox-exit-overdue",
                &[("ends", b.ends.to_string())],
                format!(
                    "A sandbox participation ended on {} without an exit report.",
                    b.ends
                ),
            ));
            (state, "sandbox.exit_due")
        }
        SandboxStep::TerminateSandbox { reasons } => {
            require_state(state, &[S::Active, S::ExitReported], "terminate_sandbox")?;
            b.reasons = Some(text("reasons", &reasons)?);
            case.open = false;
            notices.push(notice(
                participant,
                "notice-sandbox-terminated",
                &[],
                "Your participation in the sandbox was ended.".into(),
            ));
            (S::Terminated, "sandbox.terminated")
        }
    };
    case.body = CaseBody::Sandbox {
        state: to,
        body: Some(b),
    };
    let mut stepped = Stepped::new(case, event);
    stepped.notices = notices;
    Ok(stepped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::LocalizedText;

    fn now() -> Timestamp {
        Timestamp::parse("2027-01-31T09:00:00Z").unwrap()
    }

    fn question(id: &str, answer: AnswerKind) -> Question {
        Question {
            id: id.into(),
            text: LocalizedText {
                en: Some(id.into()),
                ..LocalizedText::default()
            },
            answer,
            required: true,
        }
    }

    fn application(months: &str) -> Case {
        let answers: Vec<AnswerValue> = PLAN
            .iter()
            .map(|(id, _)| AnswerValue {
                question: id.to_string(),
                value: if *id == "months" {
                    months.into()
                } else {
                    format!("The {id}.")
                },
            })
            .chain([AnswerValue {
                question: "budget_note".into(),
                value: "not part of the plan".into(),
            }])
            .collect();
        let json = serde_json::json!({
            "id": CaseId::generate(), "kind": "application", "number": "APP-2027-000001",
            "state": "accepted", "open": true, "system_id": null,
            "organisation_id": OrganisationId::generate(), "revision": 5, "assignees": [],
            "created_at": "2027-01-04T09:00:00Z", "updated_at": "2027-01-30T09:00:00Z",
            "application": {
                "call_id": CallId::generate(), "programme_organisation_id": OrganisationId::generate(),
                "applicant": AccountId::generate(), "title": "Triage chatbot in the sandbox",
                "unit": "credits", "requested": 1, "answers": answers
            }
        });
        serde_json::from_value(json).unwrap()
    }

    /// A sandbox call whose longest stay is `max_months` (12 if none).
    fn call(max_months: Option<u8>) -> Call {
        serde_json::from_value(serde_json::json!({
            "id": CallId::generate(), "number": "CALL-2027-000001",
            "programme_id": crate::ids::ProgrammeId::generate(), "kind": "sandbox",
            "organisation_id": OrganisationId::generate(), "title": {"en": "Sandbox"},
            "opens": "2027-01-04", "closes": "2027-03-31",
            "budget": {"unit": "credits", "amount": 100}, "evaluation": "on_arrival",
            "reviewers": 1, "rubric": [], "pass_threshold": 50, "questions": [],
            "reports_after_months": [], "min_usable_days": 30, "max_months": max_months,
            "created_at": "2027-01-04T09:00:00Z"
        }))
        .unwrap()
    }

    #[test]
    fn a_sandbox_call_asks_for_the_whole_plan() {
        let full: Vec<Question> = PLAN.iter().map(|(id, a)| question(id, *a)).collect();
        assert!(check_call(ProgrammeKind::Sandbox, &full, None).is_ok());
        assert!(check_call(ProgrammeKind::Sandbox, &full, Some(6)).is_ok());
        assert!(check_call(ProgrammeKind::Compute, &[], None).is_ok());
        let err = check_call(ProgrammeKind::Sandbox, &full[1..], None).unwrap_err();
        assert_eq!(err.0.len(), 1);
        assert!(err.0[0].reason.contains("`objectives`"), "{err:?}");
        // Only a sandbox call sets a maximum stay.
        let err = check_call(ProgrammeKind::Compute, &[], Some(6)).unwrap_err();
        assert_eq!(err.0[0].field, "max_months");
    }

    #[test]
    fn a_call_s_own_maximum_stay_caps_the_plan() {
        let six = call(Some(6));
        assert!(check_plan(application("6").application().unwrap(), &six).is_ok());
        let err = check_plan(application("7").application().unwrap(), &six).unwrap_err();
        assert_eq!(err.0[0].field, "answers.months");
        assert!(err.0[0].reason.contains("from 1 to 6"), "{err:?}");
        assert!(check_plan(application("7").application().unwrap(), &call(None)).is_ok());
        assert!(admit(CaseId::generate(), &application("7"), &six, None, now()).is_err());
    }

    #[test]
    fn admission_runs_for_the_plans_months_and_keeps_only_the_plan() {
        let app = application("6");
        let case = admit(CaseId::generate(), &app, &call(None), None, now()).unwrap();
        let b = case.sandbox().unwrap();
        assert_eq!(
            (b.starts.to_string(), b.ends.to_string()),
            ("2027-01-31".into(), "2027-07-30".into())
        );
        assert_eq!(b.plan.len(), 7);
        assert_eq!(case.links, vec![app.id]);
        assert!(check_plan(application("13").application().unwrap(), &call(None)).is_err());
        let short = admit(
            CaseId::generate(),
            &application("1"),
            &call(None),
            None,
            now(),
        )
        .unwrap();
        assert_eq!(short.sandbox().unwrap().ends.to_string(), "2027-02-28");
        assert!(admit(
            CaseId::generate(),
            &application("0"),
            &call(None),
            None,
            now()
        )
        .is_err());
    }

    #[test]
    fn out_through_an_accepted_exit_report() {
        let app = application("3");
        let case = admit(CaseId::generate(), &app, &call(None), None, now()).unwrap();
        let manager = AccountId::generate();
        let noted = sandbox_step(
            now(),
            manager,
            &case,
            SandboxStep::AddNote {
                text: "Week 2: logs reviewed.".into(),
            },
        )
        .unwrap();
        assert_eq!(noted.case.state(), "active");
        let participant = case.sandbox().unwrap().participant;
        let empty = sandbox_step(
            now(),
            participant,
            &noted.case,
            SandboxStep::SubmitExitReport {
                public_summary: " ".into(),
                findings: "".into(),
                outcome: ExitOutcome::ReadyForRegistration,
            },
        );
        let Err(Refusal::Invalid(e)) = empty else {
            panic!("accepted an empty report")
        };
        assert_eq!(
            e.0.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(),
            ["public_summary", "findings"]
        );
        let reported = sandbox_step(
            now(),
            participant,
            &noted.case,
            SandboxStep::SubmitExitReport {
                public_summary: "Triage advice matched nurses' in 94% of 1,200 cases.".into(),
                findings: "Two incidents, both caught by the nurse on duty.".into(),
                outcome: ExitOutcome::ReadyForRegistration,
            },
        )
        .unwrap();
        let returned = sandbox_step(
            now(),
            manager,
            &reported.case,
            SandboxStep::ReviewExitReport {
                accept: false,
                reasons: "Add the incident log.".into(),
            },
        )
        .unwrap();
        assert_eq!(returned.case.state(), "active");
        let again = sandbox_step(
            now(),
            participant,
            &returned.case,
            SandboxStep::SubmitExitReport {
                public_summary: "Triage advice matched nurses' in 94% of 1,200 cases.".into(),
                findings: "Two incidents; the log is attached to the dossier.".into(),
                outcome: ExitOutcome::ReadyForRegistration,
            },
        )
        .unwrap();
        let out = sandbox_step(
            now(),
            manager,
            &again.case,
            SandboxStep::ReviewExitReport {
                accept: true,
                reasons: "Complete.".into(),
            },
        )
        .unwrap();
        assert_eq!(out.case.state(), "exited");
        assert!(!out.case.open);
        assert!(matches!(
            sandbox_step(
                now(),
                manager,
                &out.case,
                SandboxStep::TerminateSandbox {
                    reasons: "x".into()
                }
            ),
            Err(Refusal::State { .. })
        ));
    }

    #[test]
    fn the_sweep_reminds_once_after_the_last_day() {
        let case = admit(
            CaseId::generate(),
            &application("1"),
            &call(None),
            None,
            now(),
        )
        .unwrap();
        let ends = case.sandbox().unwrap().ends;
        assert_eq!(due_step(&case, ends), None);
        assert_eq!(
            due_step(&case, ends.plus_days(1)),
            Some(SandboxStep::RemindExit)
        );
        let at = Timestamp::parse(&format!("{}T06:00:00Z", ends.plus_days(1))).unwrap();
        let reminded = sandbox_step(
            at,
            AccountId(uuid::Uuid::nil()),
            &case,
            SandboxStep::RemindExit,
        )
        .unwrap();
        assert_eq!(reminded.notices.len(), 2);
        assert_eq!(due_step(&reminded.case, ends.plus_days(30)), None);
        let early = sandbox_step(
            now(),
            AccountId(uuid::Uuid::nil()),
            &case,
            SandboxStep::RemindExit,
        );
        assert!(matches!(early, Err(Refusal::State { .. })));
    }
}
