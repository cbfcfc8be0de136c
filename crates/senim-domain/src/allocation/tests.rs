use super::*;
use crate::application::{
    open_application, Application, ApplicationInput, AwardDecision, Outcome, Report, ReportKind,
    Tranche,
};
use crate::calendar::CalendarSpec;
use crate::programme::{Budget, CallInput, Criterion, EvaluationMode, Programme, ProgrammeKind};

fn text(en: &str) -> LocalizedText {
    LocalizedText {
        en: Some(en.into()),
        ..Default::default()
    }
}

fn at(day: &str) -> Timestamp {
    Timestamp::parse(&format!("{day}T06:00:00.000Z")).unwrap()
}

fn day(d: &str) -> Day {
    Day::parse(d).unwrap()
}

fn call() -> Call {
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
        opens: day("2027-01-11"),
        closes: day("2027-02-26"),
        budget: Budget {
            unit: BudgetUnit::Credits,
            amount: 1_000_000,
        },
        evaluation: EvaluationMode::OnArrival,
        reviewers: 1,
        rubric: vec![Criterion {
            id: "excellence".into(),
            title: text("Excellence"),
            weight: 1,
            scale: 5,
        }],
        pass_threshold: 60,
        questions: vec![],
        reports_after_months: vec![1, 9],
        tranches: vec![50, 50],
        min_usable_days: 14,
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

fn gpu(provider: OrganisationId, dataset: Option<DatasetId>) -> PlatformResource {
    let (kind, unit, model) = match dataset {
        Some(_) => (ResourceKind::Dataset, ResourceUnit::AccessDays, None),
        None => (ResourceKind::ComputePool, ResourceUnit::GpuHours, None),
    };
    ResourceInput {
        kind,
        title: text("A100 pool"),
        description: LocalizedText::default(),
        unit,
        capacity: 10_000,
        credits_per_unit: 100,
        dataset_id: dataset,
        model,
    }
    .parse(PlatformResourceId::generate(), provider, at("2027-01-04"))
    .unwrap()
}

/// An application accepted on 2027-02-01, awarded 400,000 credits usable
/// until 2027-06-30, with its first half released.
fn accepted(call: &Call) -> Case {
    let mut case = open_application(
        CaseId::generate(),
        call,
        AccountId::generate(),
        OrganisationId::generate(),
        ApplicationInput {
            title: "Triage model".into(),
            requested: 400_000,
            ..Default::default()
        },
        at("2027-01-12"),
    )
    .unwrap()
    .case;
    let app: &mut Application = case.application_mut().unwrap();
    app.decision = Some(AwardDecision {
        by: AccountId::generate(),
        at: at("2027-01-29"),
        outcome: Outcome::Award,
        amount: 400_000,
        usable_until: Some(day("2027-06-30")),
        reasons: "Strong".into(),
    });
    app.tranches = vec![Tranche {
        amount: 200_000,
        released_at: at("2027-02-01"),
        after_report: None,
    }];
    app.pending_shares = vec![50];
    app.reports = vec![Report {
        kind: ReportKind::Progress,
        due: day("2027-03-01"),
        submitted_at: None,
        text: String::new(),
        outputs: vec![],
        review: None,
    }];
    case.body = match case.body {
        CaseBody::Application { body, .. } => CaseBody::Application {
            state: ApplicationState::Accepted,
            body,
        },
        other => other,
    };
    case
}

struct World {
    call: Call,
    calendar: Calendar,
    resource: PlatformResource,
    application: Case,
    provider: AccountId,
}

impl World {
    fn new(dataset: Option<DatasetId>) -> World {
        let call = call();
        let application = accepted(&call);
        World {
            resource: gpu(OrganisationId::generate(), dataset),
            application,
            call,
            // Nauryz: Monday 22 and Tuesday 23 March 2027 off.
            calendar: Calendar::new(&CalendarSpec {
                weekend: None,
                holidays: vec![day("2027-03-22"), day("2027-03-23")],
                working_weekends: vec![],
            })
            .unwrap(),
            provider: AccountId::generate(),
        }
    }

    fn ctx(&self, on: &str) -> AllocationContext<'_> {
        AllocationContext {
            now: at(on),
            actor: self.provider,
            calendar: &self.calendar,
            call: &self.call,
            resource: &self.resource,
        }
    }

    fn request(&self, on: &str, units: i64, committed: i64) -> Result<Stepped, Refusal> {
        request_allocation(
            CaseId::generate(),
            &self.ctx(on),
            &self.application,
            Credits {
                committed,
                ..Credits::default()
            },
            AllocationInput {
                resource_id: self.resource.id,
                units,
                starts: day("2027-02-15").max(day(on)),
                ends: day("2027-03-30"),
            },
        )
    }

    fn step(&self, case: &Case, on: &str, step: AllocationStep) -> Result<Stepped, Refusal> {
        allocation_step(&self.ctx(on), case, step, CaseId::generate())
    }

    fn active(&self) -> Case {
        let requested = self.request("2027-02-10", 1_000, 0).unwrap().case;
        self.step(
            &requested,
            "2027-02-11",
            AllocationStep::ApproveAllocation {
                instructions: Some("ssh gpu.platform.kz".into()),
                renewable: true,
            },
        )
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

#[test]
fn an_exchange_costs_credits_at_the_resources_rate_and_never_more_than_was_released() {
    let w = World::new(None);
    let stepped = w.request("2027-02-10", 2_000, 0).unwrap();
    let alloc = stepped.case.allocation().unwrap();
    assert_eq!(alloc.credits, 200_000);
    assert_eq!(stepped.case.state(), "requested");
    assert_eq!(
        stepped.case.due(),
        Some(day("2027-02-17")),
        "five working days"
    );
    // 2,001 GPU-hours cost 200,100 credits; only 200,000 were released.
    assert_eq!(
        fields(w.request("2027-02-10", 2_001, 0).unwrap_err()),
        ["units"]
    );
    // What other allocations hold is not available again.
    assert_eq!(
        fields(w.request("2027-02-10", 1_000, 150_000).unwrap_err()),
        ["units"]
    );
}

#[test]
fn an_exchange_outside_the_award_or_too_short_names_each_field() {
    let w = World::new(None);
    let r = request_allocation(
        CaseId::generate(),
        &w.ctx("2027-02-10"),
        &w.application,
        Credits::default(),
        AllocationInput {
            resource_id: w.resource.id,
            units: 10,
            starts: day("2027-02-09"),
            ends: day("2027-07-01"),
        },
    )
    .unwrap_err();
    assert_eq!(fields(r), ["starts", "ends"]);
    let r = request_allocation(
        CaseId::generate(),
        &w.ctx("2027-02-10"),
        &w.application,
        Credits::default(),
        AllocationInput {
            resource_id: w.resource.id,
            units: 10,
            starts: day("2027-06-20"),
            ends: day("2027-06-30"),
        },
    )
    .unwrap_err();
    assert_eq!(fields(r), ["ends"], "less than the call's 14 usable days");
}

#[test]
fn an_overdue_report_blocks_new_exchanges() {
    let w = World::new(None);
    assert!(
        w.request("2027-03-01", 10, 0).is_ok(),
        "due today: not overdue"
    );
    match w.request("2027-03-02", 10, 0).unwrap_err() {
        Refusal::State { current, message } => {
            assert_eq!(current, "report_overdue");
            assert!(message.contains("2027-03-01"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn approval_provisions_and_a_dataset_allocation_opens_a_library_grant_to_its_last_day() {
    let dataset = DatasetId::generate();
    let w = World::new(Some(dataset));
    let requested = w.request("2027-02-10", 20, 0).unwrap().case;
    let stepped = w
        .step(
            &requested,
            "2027-02-16",
            AllocationStep::ApproveAllocation {
                instructions: None,
                renewable: false,
            },
        )
        .unwrap();
    assert_eq!(stepped.event, "allocation.approved");
    let alloc = stepped.case.allocation().unwrap();
    assert_eq!(alloc.starts, day("2027-02-16"), "starts when approved");
    let grant = stepped.opened.expect("a grant of the dataset");
    let access = grant.data_access().unwrap();
    assert_eq!(access.dataset_id, dataset);
    assert_eq!(access.requester, alloc.awardee);
    assert_eq!(access.granted_until, Some(day("2027-03-30")));
    assert!(access.holds(AccessState::Granted, day("2027-03-30")));
    assert!(!access.holds(AccessState::Granted, day("2027-03-31")));
    assert_eq!(alloc.grants, vec![grant.id]);
    // Not renewable: no extension.
    let active = stepped.case;
    assert!(matches!(
        w.step(
            &active,
            "2027-03-01",
            AllocationStep::RequestExtension {
                until: day("2027-04-30"),
                reasons: "More time".into()
            }
        ),
        Err(Refusal::State { .. })
    ));
}

#[test]
fn an_approval_that_would_leave_too_little_time_is_refused() {
    let w = World::new(None);
    let requested = w.request("2027-02-10", 20, 0).unwrap().case;
    let late = w.step(
        &requested,
        "2027-03-20",
        AllocationStep::ApproveAllocation {
            instructions: None,
            renewable: true,
        },
    );
    assert!(matches!(late, Err(Refusal::State { .. })), "{late:?}");
}

#[test]
fn usage_within_dates_and_capacity_only() {
    let w = World::new(None);
    let active = w.active();
    let usage = |on: &str, d: &str, units: i64| {
        w.step(
            &active,
            on,
            AllocationStep::ReportUsage {
                day: day(d),
                units,
                note: None,
            },
        )
    };
    let used = usage("2027-02-20", "2027-02-19", 400).unwrap().case;
    assert_eq!(used.allocation().unwrap().used, 400);
    assert_eq!(
        fields(usage("2027-02-20", "2027-02-10", 1).unwrap_err()),
        ["day"]
    );
    assert_eq!(
        fields(usage("2027-02-20", "2027-02-21", 1).unwrap_err()),
        ["day"]
    );
    assert_eq!(
        fields(usage("2027-02-20", "2027-02-19", 1_001).unwrap_err()),
        ["units"]
    );
    let more = w
        .step(
            &used,
            "2027-02-21",
            AllocationStep::ReportUsage {
                day: day("2027-02-20"),
                units: 601,
                note: None,
            },
        )
        .unwrap_err();
    assert_eq!(fields(more), ["units"], "400 used, 600 left");
}

#[test]
fn reminders_fall_on_the_working_day_at_or_before_30_14_7_and_0_days_and_the_allocation_ends_by_itself(
) {
    let w = World::new(None);
    let mut case = w.active();
    // Last day Tuesday 30 March 2027. 30 days before is Sunday 28 February:
    // the reminder goes out on Friday the 26th. 7 days before is Tuesday
    // 23 March, a holiday after another and a weekend: Friday the 19th.
    let mut sent = Vec::new();
    let mut d = day("2027-02-20");
    while d <= day("2027-04-02") {
        if let Some(step) = due_step(&w.calendar, &case, d) {
            let name = match &step {
                AllocationStep::Remind { days } => format!("remind {days}"),
                other => other.name().to_string(),
            };
            sent.push((d.to_string(), name));
            case = allocation_step(
                &AllocationContext {
                    now: at(&d.to_string()),
                    actor: w.provider,
                    calendar: &w.calendar,
                    call: &w.call,
                    resource: &w.resource,
                },
                &case,
                step,
                CaseId::generate(),
            )
            .unwrap()
            .case;
        }
        d = d.next();
    }
    let sent: Vec<(&str, &str)> = sent.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    assert_eq!(
        sent,
        [
            ("2027-02-26", "remind 30"),
            ("2027-03-16", "remind 14"),
            ("2027-03-19", "remind 7"),
            ("2027-03-30", "remind 0"),
            ("2027-03-31", "expire"),
        ]
    );
    assert_eq!(case.state(), "expired");
    assert!(!case.open);
}

#[test]
fn after_downtime_only_the_latest_reminder_goes_out() {
    let w = World::new(None);
    let case = w.active();
    assert_eq!(
        due_step(&w.calendar, &case, day("2027-03-20")),
        Some(AllocationStep::Remind { days: 7 })
    );
    let after = w
        .step(&case, "2027-03-20", AllocationStep::Remind { days: 7 })
        .unwrap()
        .case;
    assert_eq!(after.allocation().unwrap().reminded, vec![30, 14, 7]);
    assert_eq!(due_step(&w.calendar, &after, day("2027-03-26")), None);
    // A reminder not due is refused (a second server's sweep, say).
    assert!(w
        .step(&after, "2027-03-26", AllocationStep::Remind { days: 7 })
        .is_err());
}

#[test]
fn an_extension_is_decided_by_the_programme_and_restarts_the_reminders() {
    let dataset = DatasetId::generate();
    let w = World::new(Some(dataset));
    let requested = w.request("2027-02-10", 20, 0).unwrap().case;
    let active = w
        .step(
            &requested,
            "2027-02-11",
            AllocationStep::ApproveAllocation {
                instructions: None,
                renewable: true,
            },
        )
        .unwrap()
        .case;
    let reminded = w
        .step(&active, "2027-03-01", AllocationStep::Remind { days: 30 })
        .unwrap()
        .case;
    let asked = w
        .step(
            &reminded,
            "2027-03-02",
            AllocationStep::RequestExtension {
                until: day("2027-05-31"),
                reasons: "The second experiment".into(),
            },
        )
        .unwrap();
    assert_eq!(
        asked.case.due(),
        Some(day("2027-03-16")),
        "ten working days"
    );
    let extended = w
        .step(
            &asked.case,
            "2027-03-03",
            AllocationStep::DecideExtension {
                approve: true,
                reasons: "Good progress".into(),
            },
        )
        .unwrap();
    let alloc = extended.case.allocation().unwrap();
    assert_eq!(alloc.ends, day("2027-05-31"));
    assert!(alloc.reminded.is_empty());
    let grant = extended.opened.expect("a grant for the added days");
    let access = grant.data_access().unwrap();
    assert_eq!(access.granted_until, Some(day("2027-05-31")));
    assert_eq!(alloc.grants.len(), 2);
}

#[test]
fn a_resource_names_each_wrong_field() {
    let bad = ResourceInput {
        kind: ResourceKind::Model,
        title: LocalizedText::default(),
        description: LocalizedText::default(),
        unit: ResourceUnit::GpuHours,
        capacity: 0,
        credits_per_unit: -1,
        dataset_id: Some(DatasetId::generate()),
        model: None,
    }
    .parse(
        PlatformResourceId::generate(),
        OrganisationId::generate(),
        at("2027-01-04"),
    )
    .unwrap_err();
    let fields: Vec<String> = bad.0.into_iter().map(|f| f.field).collect();
    assert!(fields.iter().any(|f| f.starts_with("title")), "{fields:?}");
    for f in [
        "capacity",
        "credits_per_unit",
        "unit",
        "dataset_id",
        "model",
    ] {
        assert!(fields.iter().any(|x| x == f), "{f} in {fields:?}");
    }
}

#[test]
fn an_extension_never_passes_the_awards_last_day_and_a_pending_one_holds_off_the_end() {
    let w = World::new(None);
    let active = w.active();
    // The award is usable until 30 June 2027.
    let past = w
        .step(
            &active,
            "2027-03-20",
            AllocationStep::RequestExtension {
                until: day("2027-07-01"),
                reasons: "More".into(),
            },
        )
        .unwrap_err();
    assert_eq!(fields(past), ["until"]);
    let asked = w
        .step(
            &active,
            "2027-03-29",
            AllocationStep::RequestExtension {
                until: day("2027-06-30"),
                reasons: "The last experiment".into(),
            },
        )
        .unwrap()
        .case;
    // The last day passes while the programme decides: the sweep waits.
    assert_eq!(due_step(&w.calendar, &asked, day("2027-04-02")), None);
    assert!(w
        .step(&asked, "2027-04-02", AllocationStep::Expire)
        .is_err());
    let refused = w
        .step(
            &asked,
            "2027-04-05",
            AllocationStep::DecideExtension {
                approve: false,
                reasons: "The budget is spent".into(),
            },
        )
        .unwrap()
        .case;
    assert_eq!(
        due_step(&w.calendar, &refused, day("2027-04-05")),
        Some(AllocationStep::Expire)
    );
}

#[test]
fn an_undecided_exchange_lapses_after_the_providers_deadline_and_can_be_withdrawn_before() {
    let w = World::new(None);
    let requested = w.request("2027-02-10", 10, 0).unwrap().case;
    // Due on 17 February (five working days).
    assert_eq!(due_step(&w.calendar, &requested, day("2027-02-17")), None);
    assert!(w
        .step(&requested, "2027-02-17", AllocationStep::Lapse)
        .is_err());
    assert_eq!(
        due_step(&w.calendar, &requested, day("2027-02-18")),
        Some(AllocationStep::Lapse)
    );
    let lapsed = w
        .step(&requested, "2027-02-18", AllocationStep::Lapse)
        .unwrap();
    assert_eq!(lapsed.case.state(), "refused");
    assert_eq!(lapsed.notices.len(), 2);
    let withdrawn = w
        .step(&requested, "2027-02-12", AllocationStep::WithdrawAllocation)
        .unwrap()
        .case;
    assert_eq!(withdrawn.state(), "withdrawn");
    assert!(!withdrawn.open);
    assert_eq!(due_step(&w.calendar, &withdrawn, day("2027-03-01")), None);
}
