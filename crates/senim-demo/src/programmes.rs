//! The demo's support programmes, so the manager's, the applicants' and the
//! reviewers' pages have work on them: a compute programme with an open
//! call (an award accepted, an application in review, one waiting for its
//! administrative check, a draft) and a research programme whose call
//! closed (an award, a place on the waiting list, a refusal). Every step
//! goes through the domain's pure step functions and the store's commands,
//! as the API's do. The closed call's applications were drafted and
//! submitted while it was open: those steps are taken with a past time.

use senim_domain::application::{
    application_step, open_application, AnswerValue, ApplicationInput, ApplicationStep, Context,
    CriterionMark, Outcome,
};
use senim_domain::case::{Case, Stepped};
use senim_domain::profile::Sector;
use senim_domain::programme::{Call, CallInput, ProgrammeInput};
use senim_domain::{Account, CaseId, Day, ProgrammeId, Timestamp};
use senim_store::{Actor, Applied, Command, Store};

use crate::cases::account;
use crate::DemoError;

/// Writes what a step produced, as `actor` (no system: applications have none).
async fn save(
    store: &Store,
    actor: &Account,
    stepped: Stepped,
    expected: Option<i64>,
) -> Result<Case, DemoError> {
    crate::cases::save(store, actor, stepped, expected, None).await
}

fn data(e: impl std::fmt::Debug) -> DemoError {
    DemoError::Data(format!("demo programmes: {e:?}"))
}

struct Desk<'a> {
    store: &'a Store,
    config: &'a senim_app::Config,
}

impl Desk<'_> {
    /// One step on `case` by `actor`, at `now` (the store's clock if none).
    async fn step(
        &self,
        actor: &Account,
        call: &Call,
        case: &Case,
        step: ApplicationStep,
        now: Option<Timestamp>,
    ) -> Result<Case, DemoError> {
        let pool = self.store.reviewer_pool().await?;
        let remaining = self.store.call_figures(call).await?.remaining;
        let resources: Vec<_> = self
            .store
            .platform_resources()
            .await?
            .into_iter()
            .map(|(r, _)| r)
            .collect();
        let ctx = Context {
            now: now.unwrap_or_else(|| self.store.clock().now()),
            actor: actor.id,
            calendar: &self.config.calendar,
            call,
            pool: &pool,
            related: &[],
            unmet: &[],
            remaining,
            resources: &resources,
        };
        let stepped = application_step(&ctx, case, step).map_err(data)?;
        save(self.store, actor, stepped, Some(case.revision)).await
    }

    /// A submitted application of `applicant`'s organisation, drafted and
    /// submitted at `at`.
    async fn submitted(
        &self,
        applicant: &Account,
        call: &Call,
        input: ApplicationInput,
        at: Timestamp,
    ) -> Result<Case, DemoError> {
        let draft = self.draft(applicant, call, input, at).await?;
        self.step(
            applicant,
            call,
            &draft,
            ApplicationStep::SubmitApplication,
            Some(at),
        )
        .await
    }

    async fn draft(
        &self,
        applicant: &Account,
        call: &Call,
        input: ApplicationInput,
        at: Timestamp,
    ) -> Result<Case, DemoError> {
        let org = applicant
            .organisation_id
            .ok_or_else(|| data("an applicant without an organisation"))?;
        let stepped = open_application(CaseId::generate(), call, applicant.id, org, input, at)
            .map_err(data)?;
        save(self.store, applicant, stepped, None).await
    }

    /// Every active reviewer declares no conflict and scores.
    async fn reviewed(
        &self,
        call: &Call,
        mut case: Case,
        marks: &[u8],
        only: Option<usize>,
        at: Option<Timestamp>,
    ) -> Result<Case, DemoError> {
        let reviewers: Vec<_> = case
            .application()
            .map(|a| a.active_reviews().map(|r| r.reviewer).collect())
            .unwrap_or_default();
        for reviewer in reviewers.iter().take(only.unwrap_or(usize::MAX)) {
            let actor = self.store.account(*reviewer).await?;
            case = self
                .step(
                    &actor,
                    call,
                    &case,
                    ApplicationStep::DeclareInterest {
                        conflict: false,
                        statement: None,
                    },
                    at,
                )
                .await?;
            let scores = call
                .rubric
                .iter()
                .zip(marks)
                .map(|(criterion, mark)| CriterionMark {
                    criterion: criterion.id.clone(),
                    mark: *mark,
                    reason: format!(
                        "{}: the plan is specific and the team has done this before.",
                        criterion.title.en.as_deref().unwrap_or(&criterion.id)
                    ),
                })
                .collect();
            case = self
                .step(
                    &actor,
                    call,
                    &case,
                    ApplicationStep::Score { marks: scores },
                    at,
                )
                .await?;
        }
        Ok(case)
    }
}

fn programme_input(kind: &str, en: &str, ru: &str, kk: &str) -> Result<ProgrammeInput, DemoError> {
    serde_json::from_value(serde_json::json!({
        "kind": kind, "title": {"en": en, "ru": ru, "kk": kk},
    }))
    .map_err(data)
}

async fn programme(
    store: &Store,
    manager: &Account,
    input: ProgrammeInput,
) -> Result<ProgrammeId, DemoError> {
    let org = manager
        .organisation_id
        .ok_or_else(|| data("the manager has no organisation"))?;
    match store
        .execute(
            Actor::of(manager),
            Command::CreateProgramme {
                organisation: org,
                programme: input.parse().map_err(data)?,
            },
        )
        .await?
    {
        Applied::Programme(p) => Ok(p.id),
        other => Err(data(other)),
    }
}

async fn call(
    store: &Store,
    manager: &Account,
    programme: ProgrammeId,
    input: serde_json::Value,
) -> Result<Call, DemoError> {
    let input: CallInput = serde_json::from_value(input).map_err(data)?;
    match store
        .execute(
            Actor::of(manager),
            Command::PublishCall {
                programme,
                call: Box::new(input.parse().map_err(data)?),
            },
        )
        .await?
    {
        Applied::Call(c) => Ok(*c),
        other => Err(data(other)),
    }
}

const HEALTH_RULES: &str = r#"
[[rules]]
id = "organisation"
text = { kk = "Ұйым мемлекеттік орган емес", ru = "Организация не является государственным органом", en = "An organisation that is not a state body" }
requires = { field = "organisation_kind", in = ["public", "private", "non_profit"] }
"#;

fn application(title: &str, summary: &str, sectors: &[Sector], requested: i64) -> ApplicationInput {
    ApplicationInput {
        title: title.into(),
        summary: summary.into(),
        sectors: sectors.to_vec(),
        requested,
        answers: vec![AnswerValue {
            question: "plan".into(),
            value: summary.into(),
        }],
        resources: Vec::new(),
        partners: Vec::new(),
    }
}

/// Seeds the programmes.
pub(crate) async fn seed(store: &Store, config: &senim_app::Config) -> Result<(), DemoError> {
    let manager = account(store, "programmes@platform.demo").await?;
    let desk = Desk { store, config };
    let now = store.clock().now();
    let today = Day::of(now);
    let day = |offset: i64| today.plus_days(offset).to_string();
    let rubric = serde_json::json!([
        {"id": "excellence", "title": {"en": "Scientific excellence", "ru": "Научный уровень", "kk": "Ғылыми деңгейі"}, "weight": 50, "scale": 5},
        {"id": "feasibility", "title": {"en": "Feasibility", "ru": "Реализуемость", "kk": "Іске асырылуы"}, "weight": 30, "scale": 5},
        {"id": "impact", "title": {"en": "Impact", "ru": "Влияние", "kk": "Әсері"}, "weight": 20, "scale": 5}
    ]);
    let plan = serde_json::json!([{"id": "plan", "answer": "text", "required": true,
        "text": {"en": "What will you build or train, and on which data?", "ru": "Что вы создадите или обучите и на каких данных?", "kk": "Не жасайсыз немесе үйретесіз, қандай деректермен?"}}]);

    // Compute: an open call, evaluated as applications arrive.
    let compute = programme(
        store,
        &manager,
        programme_input(
            "compute",
            "National compute for AI",
            "Национальные вычислительные ресурсы для ИИ",
            "ЖИ үшін ұлттық есептеу ресурстары",
        )?,
    )
    .await?;
    let gpu = call(store, &manager, compute, serde_json::json!({
        "title": {"en": "GPU-hours for health and public-service AI", "ru": "GPU-часы для ИИ в здравоохранении и госуслугах", "kk": "Денсаулық сақтау мен мемлекеттік қызметтердегі ЖИ үшін GPU-сағаттар"},
        "description": {"en": "Credits on the Platform's GPU cluster for training and piloting models, exchanged for GPU-hours at 100 credits per hour.",
                        "ru": "Кредиты на GPU-кластере Платформы для обучения и пилотной эксплуатации моделей; 100 кредитов за GPU-час.",
                        "kk": "Модельдерді үйрету және сынақтан өткізу үшін Платформаның GPU-кластеріндегі кредиттер; бір GPU-сағат 100 кредит."},
        "opens": day(-30), "closes": day(45),
        "budget": {"unit": "credits", "amount": 3_000_000},
        "evaluation": "on_arrival", "reviewers": 2, "rubric": rubric, "pass_threshold": 60,
        "questions": plan, "reports_after_months": [1, 3, 9], "tranches": [50, 50],
        "min_usable_days": 30, "eligibility": HEALTH_RULES,
    })).await?;
    let startup = account(store, "developer@startup.demo").await?;
    let hospital = account(store, "developer@hospital.demo").await?;
    let bank = account(store, "developer@bank.demo").await?;
    let earlier = now.plus_seconds(-20 * 86_400);
    let days_ago = |n: i64| now.plus_seconds(-n * 86_400);
    // The start-up: admitted, scored, awarded and accepted.
    let case = desk
        .submitted(
            &startup,
            &gpu,
            application(
                "Kazakh speech recognition for emergency calls",
                "Fine-tune an open speech model on 2,000 hours of anonymised 112 calls.",
                &[Sector::EssentialServices, Sector::Healthcare],
                800_000,
            ),
            earlier,
        )
        .await?;
    let case = desk
        .step(
            &manager,
            &gpu,
            &case,
            ApplicationStep::Admit,
            Some(days_ago(18)),
        )
        .await?;
    let case = desk
        .reviewed(&gpu, case, &[5, 4, 4], None, Some(days_ago(17)))
        .await?;
    let case = desk
        .step(
            &manager,
            &gpu,
            &case,
            ApplicationStep::DecideApplication {
                outcome: Outcome::Award,
                amount: None,
                usable_until: Some(today.plus_days(180)),
                reasons: "Ranked first: a clear plan, the data in hand, and a public service that needs it.".into(),
            },
            Some(days_ago(16)),
        )
        .await?;
    let awarded = desk
        .step(
            &startup,
            &gpu,
            &case,
            ApplicationStep::AcceptAward,
            Some(days_ago(15)),
        )
        .await?;
    crate::allocations::seed(store, config, &gpu, &awarded, &startup).await?;
    // The hospital: admitted, one of two reviews in.
    let case = desk
        .submitted(
            &hospital,
            &gpu,
            {
                // It names the GPU-hours it will use: admission asks the
                // cluster's team to assess them.
                let mut input = application(
                    "Sepsis early warning, retrained on 2025 admissions",
                    "Retrain the sepsis warning model on 40,000 admissions and validate it on two other hospitals.",
                    &[Sector::Healthcare],
                    450_000,
                );
                // It validates with the university, a partner of the
                // joint application.
                input.partners = vec![store.organisation_by_bin("960640005526").await?.id];
                input.resources = store
                    .platform_resources()
                    .await?
                    .into_iter()
                    .filter(|(r, _)| r.unit == senim_domain::allocation::ResourceUnit::GpuHours)
                    .map(|(r, _)| senim_domain::application::ResourceAsk {
                        resource_id: r.id,
                        units: 2_500,
                    })
                    .collect();
                input
            },
            now.plus_seconds(-5 * 86_400),
        )
        .await?;
    let case = desk
        .step(&manager, &gpu, &case, ApplicationStep::Admit, None)
        .await?;
    desk.reviewed(&gpu, case, &[4, 4, 3], Some(1), None).await?;
    // The bank: submitted, waiting for the administrative check.
    desk.submitted(
        &bank,
        &gpu,
        application(
            "Explainable credit scoring in Kazakh and Russian",
            "Train a scoring model whose explanations customers can read in their language.",
            &[Sector::Finance],
            600_000,
        ),
        now,
    )
    .await?;

    // Research grants: a call that closed, evaluated at its cut-off.
    let research = programme(
        store,
        &manager,
        programme_input(
            "research_grant",
            "Research grants for trustworthy AI",
            "Гранты на исследования надёжного ИИ",
            "Сенімді ЖИ зерттеулеріне гранттар",
        )?,
    )
    .await?;
    let grants = call(store, &manager, research, serde_json::json!({
        "title": {"en": "Fairness and robustness of public-sector AI, 2026", "ru": "Справедливость и надёжность ИИ в госсекторе, 2026", "kk": "Мемлекеттік сектордағы ЖИ-дің әділдігі мен сенімділігі, 2026"},
        "opens": day(-120), "closes": day(-20),
        "budget": {"unit": "tiyn", "amount": 5_000_000_000i64},
        "evaluation": "cut_off", "reviewers": 2, "rubric": rubric, "pass_threshold": 70,
        "questions": plan, "reports_after_months": [6, 12], "min_usable_days": 180,
    })).await?;
    let while_open = now.plus_seconds(-40 * 86_400);
    let mut decided = Vec::new();
    for (who, title, sectors, requested, marks) in [
        (
            &hospital,
            "Auditing triage models for bias against rural patients",
            &[Sector::Healthcare][..],
            3_500_000_000i64,
            [5u8, 5, 4],
        ),
        (
            &bank,
            "Robustness of scoring models to data drift",
            &[Sector::Finance][..],
            1_800_000_000,
            [4, 4, 3],
        ),
        (
            &startup,
            "A benchmark of Kazakh-language chat assistants",
            &[Sector::Education][..],
            1_500_000_000,
            [2, 3, 2],
        ),
    ] {
        let case = desk
            .submitted(
                who,
                &grants,
                application(
                    title,
                    "Methods, data and a public report within a year.",
                    sectors,
                    requested,
                ),
                while_open,
            )
            .await?;
        let case = desk
            .step(&manager, &grants, &case, ApplicationStep::Admit, None)
            .await?;
        decided.push((who, desk.reviewed(&grants, case, &marks, None, None).await?));
    }
    let outcomes = [
        (Outcome::Award, "Ranked first of the call."),
        (
            Outcome::WaitingList,
            "Passed the threshold; the budget left does not cover it.",
        ),
        (
            Outcome::Refusal,
            "Below the call's threshold of 70 %: the reviews found the benchmark's scope unclear.",
        ),
    ];
    for ((who, case), (outcome, reasons)) in decided.into_iter().zip(outcomes) {
        let case = desk
            .step(
                &manager,
                &grants,
                &case,
                ApplicationStep::DecideApplication {
                    outcome,
                    amount: None,
                    usable_until: (outcome == Outcome::Award).then(|| today.plus_days(365)),
                    reasons: reasons.into(),
                },
                None,
            )
            .await?;
        if outcome == Outcome::Award {
            desk.step(who, &grants, &case, ApplicationStep::AcceptAward, None)
                .await?;
        }
    }
    sandbox(&desk, &manager, &bank, rubric).await
}

/// The sandbox: the bank's customer chatbot admitted a month ago under a
/// six-month plan, with a supervision note since.
async fn sandbox(
    desk: &Desk<'_>,
    manager: &Account,
    bank: &Account,
    rubric: serde_json::Value,
) -> Result<(), DemoError> {
    let store = desk.store;
    let now = store.clock().now();
    let today = Day::of(now);
    let days_ago = |n: i64| now.plus_seconds(-n * 86_400);
    let programme_id = programme(
        store,
        manager,
        programme_input(
            "sandbox",
            "Regulatory sandbox for AI",
            "Регуляторная песочница для ИИ",
            "ЖИ үшін реттеушілік құмсалғыш",
        )?,
    )
    .await?;
    let question = |id: &str, answer: &str, en: &str, ru: &str, kk: &str| {
        serde_json::json!({"id": id, "answer": answer, "required": true,
            "text": {"en": en, "ru": ru, "kk": kk}})
    };
    let questions = serde_json::json!([
        question("objectives", "text", "What will you test, and why here?", "Что вы будете испытывать и зачем в песочнице?", "Нені сынайсыз және неге құмсалғышта?"),
        question("conditions", "text", "Under which conditions (users, scale, places)?", "На каких условиях (пользователи, масштаб, места)?", "Қандай шарттармен (пайдаланушылар, ауқым, орындар)?"),
        question("relaxed_rules", "text", "Which rules do you ask to relax?", "Какие требования вы просите смягчить?", "Қандай талаптарды жеңілдетуді сұрайсыз?"),
        question("risk_containment", "text", "How are the risks contained?", "Как сдерживаются риски?", "Тәуекелдер қалай шектеледі?"),
        question("months", "number", "For how many months (at most 12)?", "На сколько месяцев (не более 12)?", "Неше айға (12-ден аспайды)?"),
        question("methodology", "text", "How will you measure the results?", "Как вы измерите результаты?", "Нәтижелерді қалай өлшейсіз?"),
        question("exit_strategy", "text", "What happens at the end?", "Что будет по окончании?", "Соңында не болады?"),
        {"id": "system", "answer": "text", "required": false,
         "text": {"en": "The system's id in the register, if it is there", "ru": "Идентификатор системы в реестре, если она там есть", "kk": "Жүйенің тізілімдегі идентификаторы, егер ол бар болса"}}
    ]);
    let call_terms = serde_json::json!({
        "title": {"en": "Sandbox intake, 2026", "ru": "Набор в песочницу, 2026", "kk": "Құмсалғышқа қабылдау, 2026"},
        "description": {"en": "Up to four systems tested under supervision, with some rules relaxed, for at most a year.",
                        "ru": "До четырёх систем, испытываемых под надзором со смягчением некоторых требований, не более года.",
                        "kk": "Бір жылдан аспайтын мерзімге кейбір талаптар жеңілдетіліп, қадағалаумен сыналатын төрт жүйеге дейін."},
        "opens": today.plus_days(-60).to_string(), "closes": today.plus_days(90).to_string(),
        "budget": {"unit": "credits", "amount": 400_000},
        "evaluation": "on_arrival", "reviewers": 2, "rubric": rubric, "pass_threshold": 60,
        "questions": questions, "reports_after_months": [6], "max_months": 12,
        "min_usable_days": 30, "eligibility": HEALTH_RULES,
    });
    let intake = call(store, manager, programme_id, call_terms).await?;
    let chatbot = store
        .systems(&senim_store::SystemFilter {
            drafts: senim_store::Drafts::All,
            organisation: bank.organisation_id,
            text: Some("chatbot".into()),
            limit: 5,
            ..Default::default()
        })
        .await?
        .items
        .into_iter()
        .next();
    let mut answers = vec![
        ("objectives", "Check that the chatbot answers loan questions correctly and says when a person must decide."),
        ("conditions", "Customers who opt in, in two branches of Karaganda; at most 5,000 conversations."),
        ("relaxed_rules", "The chatbot may answer before its registration, for these customers only."),
        ("risk_containment", "Every answer about credit is reviewed by a loan officer the same day; a human is one tap away."),
        ("months", "6"),
        ("methodology", "Answers compared with the loan officers' on a weekly sample, in Kazakh and Russian."),
        ("exit_strategy", "Registration if 95% of the answers hold; otherwise the chatbot stays on general questions."),
    ]
    .into_iter()
    .map(|(question, value)| AnswerValue {
        question: question.into(),
        value: value.into(),
    })
    .collect::<Vec<_>>();
    if let Some(system) = &chatbot {
        answers.push(AnswerValue {
            question: "system".into(),
            value: system.id.to_string(),
        });
    }
    let input = ApplicationInput {
        title: "Customer chatbot for loan questions".into(),
        summary: "A chatbot that explains loans, under a loan officer's eye.".into(),
        sectors: vec![Sector::Finance],
        requested: 50_000,
        answers,
        resources: Vec::new(),
        partners: Vec::new(),
    };
    let case = desk.submitted(bank, &intake, input, days_ago(45)).await?;
    let case = desk
        .step(
            manager,
            &intake,
            &case,
            ApplicationStep::Admit,
            Some(days_ago(44)),
        )
        .await?;
    let case = desk
        .reviewed(&intake, case, &[4, 4, 5], None, Some(days_ago(40)))
        .await?;
    let case = desk
        .step(
            manager,
            &intake,
            &case,
            ApplicationStep::DecideApplication {
                outcome: Outcome::Award,
                amount: None,
                usable_until: Some(today.plus_days(200)),
                reasons: "A narrow test with a human in the loop: admitted.".into(),
            },
            Some(days_ago(35)),
        )
        .await?;
    // Accepting opens the participation, as the server's step does.
    let pool = store.reviewer_pool().await?;
    let remaining = store.call_figures(&intake).await?.remaining;
    let ctx = Context {
        now: days_ago(30),
        actor: bank.id,
        calendar: &desk.config.calendar,
        call: &intake,
        pool: &pool,
        related: &[],
        unmet: &[],
        remaining,
        resources: &[],
    };
    let mut stepped = application_step(&ctx, &case, ApplicationStep::AcceptAward).map_err(data)?;
    let participation = senim_domain::sandbox::admit(
        CaseId::generate(),
        &stepped.case,
        &intake,
        chatbot.map(|s| s.id),
        days_ago(30),
    )
    .map_err(data)?;
    let participation_id = participation.id;
    stepped.case.links.push(participation_id);
    stepped.opened = Some(participation);
    save(store, bank, stepped, Some(case.revision)).await?;
    let participation = store.case(participation_id).await?;
    let note = senim_domain::sandbox::sandbox_step(
        days_ago(10),
        manager.id,
        &participation,
        senim_domain::sandbox::SandboxStep::AddNote {
            text: "Month one: 1,240 conversations, 31 answers corrected by loan officers, none harmful. Weekly sample continues.".into(),
        },
    )
    .map_err(data)?;
    save(store, manager, note, Some(participation.revision)).await?;
    Ok(())
}
