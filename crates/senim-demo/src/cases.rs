//! The demo's oversight work, so a newcomer finds every desk busy: systems
//! submitted for registration (some registered after a full review, one
//! waiting for the developer's answer, the rest in review), a complaint
//! from the public forwarded to its owner, an audit with a finding, and a
//! published decision. Every step goes through the same pure step functions
//! and store commands as the API's.

use std::collections::HashMap;

use senim_domain::case::{Case, CheckMark, Stepped};
use senim_domain::oversight::{
    audit_step, investigation_step, open_audit, open_investigation, open_report, report_step,
    AuditBasis, AuditItem, AuditStep, ComplaintGround, Ctx, InvestigationStep, ReportInput,
    ReportStep, ReportType, SanctionKind, Severity,
};
use senim_domain::registration::{self, Context, MarkInput, Step};
use senim_domain::{
    Account, CaseId, OrganisationId, RiskLevel, System, SystemStatus, SystemVersion,
};
use senim_store::{Actor, Applied, CaseWrite, Command, Store};

use crate::DemoError;
use senim_app::cases::{pack_facts, review_path};

fn data(e: impl std::fmt::Debug) -> DemoError {
    DemoError::Data(format!("demo oversight: {e:?}"))
}

pub(crate) async fn account(store: &Store, email: &str) -> Result<Account, DemoError> {
    store
        .account_by_email(email)
        .await?
        .map(|(a, _)| a)
        .ok_or_else(|| data(format!("no account {email}")))
}

/// Writes what a step produced, as `actor`.
pub(crate) async fn save(
    store: &Store,
    actor: &Account,
    stepped: Stepped,
    expected: Option<i64>,
    system: Option<&System>,
) -> Result<Case, DemoError> {
    let write = CaseWrite {
        system_status: match (stepped.system_status, system) {
            (Some(s), Some(system)) => Some((system.status, s)),
            _ => None,
        },
        system_version: system.map(|s| s.current_version),
        case: stepped.case,
        expected_revision: expected,
        event: stepped.event,
        step: serde_json::json!({ "action": "demo" }),
        assign_registry_number: stepped.assign_registry_number,
        notices: stepped.notices,
        opened: stepped.opened,
        mail: None,
    };
    match store
        .execute(Actor::of(actor), Command::SaveCase(Box::new(write)))
        .await?
    {
        Applied::Case { case, .. } => Ok(*case),
        other => Err(data(other)),
    }
}

struct Desk<'a> {
    store: &'a Store,
    rules: &'a senim_rules::RuleBook,
    config: &'a senim_app::Config,
}

impl Desk<'_> {
    /// One registration step on `case` by `actor`.
    async fn step(&self, actor: &Account, case: &Case, step: Step) -> Result<Case, DemoError> {
        let system_id = case
            .system_id
            .ok_or_else(|| data("a dossier without a system"))?;
        let record = self.store.system_with_current(system_id).await?;
        let (path, _) = review_path(self.rules.in_force(), &record.version);
        let pool = self.store.reviewer_pool().await?;
        let ctx = Context {
            now: self.store.clock().now(),
            calendar: &self.config.calendar,
            actor: actor.id,
            supervisor: actor.has_role(senim_domain::Role::Supervisor),
            system: &record.system,
            path: &path,
            pool: &pool,
        };
        let stepped = registration::step(&ctx, case, step).map_err(data)?;
        save(
            self.store,
            actor,
            stepped,
            Some(case.revision),
            Some(&record.system),
        )
        .await
    }

    fn ctx<'b>(
        &'b self,
        actor: &Account,
        system: Option<&'b System>,
        linked: &'b [System],
        facts: &'b senim_domain::oversight::PackFacts,
        offender: Option<(senim_domain::SizeClass, bool)>,
    ) -> Ctx<'b> {
        Ctx {
            now: self.store.clock().now(),
            calendar: &self.config.calendar,
            actor: actor.id,
            system,
            linked,
            pack: facts,
            offender,
            mci_kzt: self.config.mci_kzt,
        }
    }
}

/// Seeds the oversight desks from the demo's systems.
pub(crate) async fn seed(
    store: &Store,
    rules: &senim_rules::RuleBook,
    config: &senim_app::Config,
    systems: Vec<(System, SystemVersion)>,
) -> Result<(), DemoError> {
    let desk = Desk {
        store,
        rules,
        config,
    };
    let mut developers: HashMap<OrganisationId, Account> = HashMap::new();
    for email in [
        "developer@hospital.demo",
        "developer@startup.demo",
        "developer@bank.demo",
    ] {
        let a = account(store, email).await?;
        if let Some(org) = a.organisation_id {
            developers.insert(org, a);
        }
    }
    let supervisor = account(store, "supervisor@ministry.demo").await?;
    let auditor = account(store, "auditor@audit.demo").await?;
    let pack = rules.in_force();

    // Every system whose owner has a developer is submitted, except the
    // prohibited ones (submission would be refused) and two left in draft.
    let mut in_review = Vec::new();
    let mut registered = Vec::new();
    for (system, version) in &systems {
        let Some(developer) = developers.get(&system.owner_organisation_id) else {
            continue;
        };
        let (path, _) = review_path(pack, version);
        if path.risk_level == RiskLevel::Prohibited {
            continue;
        }
        let pool = store.reviewer_pool().await?;
        let ctx = Context {
            now: store.clock().now(),
            calendar: &config.calendar,
            actor: developer.id,
            supervisor: false,
            system,
            path: &path,
            pool: &pool,
        };
        let stepped = registration::submit(&ctx, CaseId::generate()).map_err(data)?;
        let case = save(store, developer, stepped, None, Some(system)).await?;
        if case.state() == SystemStatus::Registered.as_str() {
            registered.push(system.clone());
        } else {
            in_review.push((case, developer.clone()));
        }
    }

    // The first two dossiers in review go all the way to the register.
    let reviewers: HashMap<senim_domain::AccountId, Account> = {
        let mut map = HashMap::new();
        for email in [
            "expert@ministry.demo",
            "expert2@ministry.demo",
            "expert3@ministry.demo",
        ] {
            let a = account(store, email).await?;
            map.insert(a.id, a);
        }
        map
    };
    for (index, (case, developer)) in in_review.iter().enumerate().take(3) {
        let mut case = case.clone();
        for reviewer_id in case.assignees.clone() {
            let Some(reviewer) = reviewers.get(&reviewer_id) else {
                continue;
            };
            case = desk
                .step(
                    reviewer,
                    &case,
                    Step::Declare {
                        conflict: false,
                        statement: None,
                    },
                )
                .await?;
            if index == 2 {
                // The third waits for the developer's answer.
                desk.step(
                    reviewer,
                    &case,
                    Step::RequestInformation {
                        questions: "Please describe how the system was validated on patients over 65, and attach the validation report.".into(),
                    },
                )
                .await?;
                break;
            }
            let marks = case
                .registration()
                .map(|r| {
                    r.checklist
                        .iter()
                        .map(|c| MarkInput {
                            item: c.item,
                            mark: CheckMark::Satisfied,
                            note: None,
                        })
                        .collect()
                })
                .unwrap_or_default();
            case = desk.step(reviewer, &case, Step::Check { marks }).await?;
            case = desk
                .step(
                    reviewer,
                    &case,
                    Step::Recommend {
                        verdict: senim_domain::case::Verdict::Register,
                        reasons: "The documentation covers every item the pack requires; human oversight is described and tested.".into(),
                    },
                )
                .await?;
        }
        if index < 2 && case.state() == SystemStatus::Recommended.as_str() {
            desk.step(
                &supervisor,
                &case,
                Step::Decide {
                    verdict: senim_domain::case::Verdict::Register,
                    reasons: "Both reviewers recommend registration; no open issues.".into(),
                },
            )
            .await?;
            if let Some(id) = case.system_id {
                registered.push(store.system(id).await?);
            }
        }
        let _ = developer;
    }

    let facts = pack_facts(pack);
    // A complaint from the public about a registered system, forwarded to its owner.
    if let Some(system) = registered.first() {
        let input = ReportInput {
            report_type: ReportType::Complaint,
            ground: Some(ComplaintGround::Explanation),
            system_id: Some(system.id),
            system_name: None,
            description: "I was told the system decided my case but nobody could explain why. I would like an explanation.".into(),
            occurred_on: None,
            contact: Some(senim_domain::case::Contact {
                name: Some("Demo Citizen".into()),
                email: Some("citizen@example.demo".into()),
                phone: None,
            }),
        };
        let stepped = open_report(
            CaseId::generate(),
            input,
            Some(system),
            "demo-tracking-code-not-issued".into(),
            store.clock().now(),
        )
        .map_err(data)?;
        let case = save(store, &supervisor, stepped, None, Some(system)).await?;
        let linked = vec![system.clone()];
        let ctx = desk.ctx(&supervisor, Some(system), &linked, &facts, None);
        let stepped = report_step(
            &ctx,
            &case,
            ReportStep::Triage {
                severity: Severity::Medium,
                systems: vec![system.id],
            },
        )
        .map_err(data)?;
        let case = save(store, &supervisor, stepped, Some(case.revision), None).await?;
        let stepped = report_step(
            &ctx,
            &case,
            ReportStep::Forward {
                question: "Please give the complainant an explanation of the result and the data it used (users' right to an explanation).".into(),
            },
        )
        .map_err(data)?;
        save(store, &supervisor, stepped, Some(case.revision), None).await?;

        // A planned audit of the same system, with one finding.
        let outcome = pack.classify(&store.system_with_current(system.id).await?.version.profile);
        let checklist: Vec<AuditItem> = outcome
            .obligations
            .iter()
            .filter_map(|id| pack.obligation(id, senim_domain::classification::Lang::En))
            .map(|o| AuditItem {
                id: o.id,
                title: o.title,
                citation: o.citation,
            })
            .collect();
        let first_item = checklist.first().map(|i| i.id.clone());
        let stepped = open_audit(
            CaseId::generate(),
            system,
            AuditBasis::Planned,
            auditor.id,
            checklist,
            Some(pack.pack_ref()),
            store.clock().now(),
        );
        let audit = save(store, &supervisor, stepped, None, Some(system)).await?;
        if let Some(item) = first_item {
            let ctx = desk.ctx(&auditor, Some(system), &[], &facts, None);
            let stepped = audit_step(
                &ctx,
                &audit,
                AuditStep::Finding {
                    item,
                    severity: Severity::Medium,
                    description:
                        "The risk assessment was last updated before the model was retrained."
                            .into(),
                    corrective_action: Some(senim_domain::oversight::CorrectiveActionInput {
                        description: "Update the risk assessment for the retrained model.".into(),
                        working_days: 15,
                    }),
                    attachments: Vec::new(),
                },
            )
            .map_err(data)?;
            save(store, &auditor, stepped, Some(audit.revision), None).await?;
        }
    }

    // A published decision: a fine for a directly registered system.
    if let Some(system) = registered
        .iter()
        .rev()
        .find(|s| s.risk_level != Some(RiskLevel::High))
    {
        let org = store.organisation(system.owner_organisation_id).await?;
        let ctx = desk.ctx(
            &supervisor,
            Some(system),
            &[],
            &facts,
            Some((org.size_class, false)),
        );
        let stepped = open_investigation(
            &ctx,
            CaseId::generate(),
            "Users were not told they were talking to an AI system (demo).",
        )
        .map_err(data)?;
        let case = save(store, &supervisor, stepped, None, Some(system)).await?;
        let obligation = facts
            .obligations
            .iter()
            .find(|(id, _, _)| id.contains("disclose") || id.contains("tell-users"))
            .or(facts.obligations.first())
            .map(|(id, _, _)| id.clone())
            .unwrap_or_default();
        let stepped = investigation_step(
            &ctx,
            &case,
            InvestigationStep::DecideViolation {
                obligation,
                description: "The chat window did not say that answers come from an AI system."
                    .into(),
                sanction: SanctionKind::Fine,
                reasons: "First violation; the disclosure was added within a week.".into(),
            },
        )
        .map_err(data)?;
        save(
            store,
            &supervisor,
            stepped,
            Some(case.revision),
            Some(system),
        )
        .await?;
    }
    Ok(())
}
