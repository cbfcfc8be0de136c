//! The Platform's support programmes: a manager publishes a programme and a
//! call, organisations apply, experts score, the manager awards, the
//! awardee accepts; budgets, duplicates, conflicts and deadlines refused.

use reqwest::Method;
use serde_json::{json, Value};

use senim_domain::{Role, TokenScope};
use senim_store::{Actor, Command};

use crate::helpers::{TestApp, Who};
use crate::routes::allocations::set_day;
use crate::routes::datasets::send;

crate::on_both_backends!(
    a_university_is_awarded_compute_through_a_call,
    calls_and_applications_refuse_bad_input_naming_each_field,
    joint_work_and_former_organisations_keep_reviewers_out_for_a_while,
);

const ELIGIBILITY: &str = r#"
[[rules]]
id = "research_or_business"
text = { kk = "Ұйым", ru = "Организация", en = "A private or public organisation" }
requires = { field = "organisation_kind", in = ["private", "public"] }

[[rules]]
id = "health"
text = { kk = "Денсаулық", ru = "Здравоохранение", en = "Work in healthcare" }
requires = { field = "sectors", has = "healthcare" }
"#;

pub fn call_json() -> Value {
    json!({
        "title": {"en": "GPU-hours for health AI, 2026", "ru": "GPU-часы для ИИ в здравоохранении", "kk": "Денсаулық сақтаудағы ЖИ үшін GPU-сағаттар"},
        "description": {"en": "Compute for training and piloting models that help hospitals."},
        "opens": "2026-03-02",
        "closes": "2026-04-30",
        "budget": {"unit": "credits", "amount": 1000000},
        "evaluation": "on_arrival",
        "reviewers": 2,
        "rubric": [
            {"id": "excellence", "title": {"en": "Scientific excellence"}, "weight": 60, "scale": 5},
            {"id": "impact", "title": {"en": "Impact on care"}, "weight": 40, "scale": 5}
        ],
        "pass_threshold": 60,
        "questions": [
            {"id": "plan", "text": {"en": "What will you train, on which data?"}, "answer": "text", "required": true},
            {"id": "gpu_hours", "text": {"en": "GPU-hours needed"}, "answer": "number"}
        ],
        "reports_after_months": [1, 3, 9],
        "min_usable_days": 30,
        "eligibility": ELIGIBILITY
    })
}

/// A programme manager of the Platform's operator, and the operator.
pub(crate) async fn manager(app: &TestApp) -> String {
    let operator = app.organisation("Platform operator", "19014000012").await;
    app.account_with_token(
        "manager@platform.kz",
        vec![Role::ProgrammeManager],
        Some(operator),
    )
    .await
    .1
}

pub(crate) async fn as_token(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    rev: Option<i64>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut r = app.http.request(method, app.url(path)).bearer_auth(token);
    if let Some(rev) = rev {
        r = r.header("If-Match", format!("\"{rev}\""));
    }
    if let Some(b) = body {
        r = r.json(&b);
    }
    let response = r.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

pub(crate) fn fields(body: &Value) -> Vec<String> {
    body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap().to_string())
        .collect()
}

async fn programme_and_call(app: &TestApp, manager: &str) -> (String, String) {
    let (status, programme) = as_token(
        app,
        manager,
        Method::POST,
        "/api/v1/programmes",
        None,
        Some(json!({"kind": "compute", "title": {"en": "National compute for AI", "ru": "Национальные вычисления для ИИ", "kk": "ЖИ үшін ұлттық есептеу"}})),
    )
    .await;
    assert_eq!(status, 201, "{programme}");
    let pid = programme["id"].as_str().unwrap().to_string();
    let (status, call) = as_token(
        app,
        manager,
        Method::POST,
        &format!("/api/v1/programmes/{pid}/calls"),
        None,
        Some(call_json()),
    )
    .await;
    assert_eq!(status, 201, "{call}");
    assert_eq!(call["number"], "CALL-2026-000001");
    (pid, call["id"].as_str().unwrap().to_string())
}

fn application(title: &str, requested: i64) -> Value {
    json!({
        "title": title,
        "summary": "Fine-tune a triage model on the library's admissions data.",
        "sectors": ["healthcare"],
        "requested": requested,
        "answers": [{"question": "gpu_hours", "value": "4000"}]
    })
}

/// Steps the case as a token, from its current revision; returns the case.
pub(crate) async fn step(app: &TestApp, token: &str, case: &Value, body: Value) -> (u16, Value) {
    let id = case["id"].as_str().unwrap();
    let rev = case["revision"].as_i64().unwrap();
    as_token(
        app,
        token,
        Method::POST,
        &format!("/api/v1/cases/{id}/steps"),
        Some(rev),
        Some(body),
    )
    .await
}

fn marks(excellence: u8, impact: u8) -> Value {
    json!({"action": "score", "marks": [
        {"criterion": "excellence", "mark": excellence, "reason": "A sound, well-argued method."},
        {"criterion": "impact", "mark": impact, "reason": "Reaches every regional hospital."}
    ]})
}

pub(crate) async fn a_university_is_awarded_compute_through_a_call(app: TestApp) {
    let manager = manager(&app).await;
    // A developer may not publish a programme.
    let (status, _) = send(
        &app,
        Who::Developer,
        Method::POST,
        "/api/v1/programmes",
        None,
        Some(json!({"kind": "compute", "title": {"en": "Mine"}})),
    )
    .await;
    assert_eq!(status, 403);
    let (pid, call_id) = programme_and_call(&app, &manager).await;
    // Anyone reads the programme, the call and its figures.
    let programme = app
        .read(Who::Anonymous, &format!("/api/v1/programmes/{pid}"))
        .await;
    assert_eq!(programme["calls"][0]["id"], call_id.as_str());
    let call = app
        .read(Who::Anonymous, &format!("/api/v1/calls/{call_id}"))
        .await;
    assert_eq!(call["status"], "open");
    assert_eq!(call["figures"]["remaining"], 1_000_000);

    // The reviewer pool: one of the bank's own experts (a conflict for the
    // bank's application) and three independent ones.
    let bank = app.bank;
    let mut reviewers = Vec::new();
    for (email, org) in [
        ("expert@bank.kz", Some(bank)),
        ("a@experts.kz", None),
        ("b@experts.kz", None),
        ("c@experts.kz", None),
    ] {
        let (id, token) = app
            .account_with_token(email, vec![Role::ExpertReviewer], org)
            .await;
        let (status, body) = send(
            &app,
            Who::Supervisor,
            Method::PUT,
            &format!("/api/v1/reviewers/{id}"),
            None,
            Some(json!({"sectors": ["healthcare"]})),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        reviewers.push((id.to_string(), token));
    }

    // The bank drafts; a second draft of the same organisation is refused.
    let apply = format!("/api/v1/calls/{call_id}/applications");
    let (status, draft) = send(
        &app,
        Who::OtherDeveloper,
        Method::POST,
        &apply,
        None,
        Some(application("Triage model for emergency rooms", 400_000)),
    )
    .await;
    assert_eq!(status, 201, "{draft}");
    assert_eq!(draft["state"], "draft");
    let (status, again) = send(
        &app,
        Who::OtherDeveloper,
        Method::POST,
        &apply,
        None,
        Some(application("Again", 1)),
    )
    .await;
    assert_eq!(status, 409, "{again}");

    // Submitting without the required answer names it; nothing changes.
    let dev = app.token(Who::OtherDeveloper).unwrap().to_string();
    let (status, body) = step(&app, &dev, &draft, json!({"action": "submit_application"})).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(fields(&body), ["answers.plan"]);
    let mut answered = application("Triage model for emergency rooms", 400_000);
    answered["answers"]
        .as_array_mut()
        .unwrap()
        .push(json!({"question": "plan", "value": "Fine-tune on 120,000 admissions."}));
    let (status, case) = step(
        &app,
        &dev,
        &draft,
        json!({"action": "edit_application", "application": answered}),
    )
    .await;
    assert_eq!(status, 200, "{case}");
    let (status, case) = step(&app, &dev, &case, json!({"action": "submit_application"})).await;
    assert_eq!(status, 200, "{case}");
    assert_eq!(case["state"], "submitted");
    assert!(case["deadline"]["due"].is_string());

    // The manager sees it and admits it: two independent reviewers, the
    // bank's own expert left out with the reason.
    let managed = as_token(
        &app,
        &manager,
        Method::GET,
        "/api/v1/applications/managed",
        None,
        None,
    )
    .await;
    assert_eq!(
        managed.1["items"].as_array().unwrap().len(),
        1,
        "{}",
        managed.1
    );
    // A reviewer cannot admit it.
    let (status, _) = step(&app, &reviewers[1].1, &case, json!({"action": "admit"})).await;
    assert_eq!(status, 403);
    let (status, case) = step(&app, &manager, &case, json!({"action": "admit"})).await;
    assert_eq!(status, 200, "{case}");
    assert_eq!(case["state"], "in_review");
    let conflicts = case["application"]["conflicts"].as_array().unwrap();
    assert_eq!(conflicts.len(), 1, "{case}");
    assert_eq!(conflicts[0]["reviewer"], reviewers[0].0.as_str());
    let assigned: Vec<String> = case["application"]["reviews"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reviewer"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(assigned.len(), 2);
    assert!(!assigned.contains(&reviewers[0].0));
    // An assigned reviewer who has not declared knows whose application it
    // is and what about, but not its answers.
    let before = as_token(
        &app,
        &reviewers.iter().find(|r| r.0 == assigned[1]).unwrap().1,
        Method::GET,
        &format!("/api/v1/cases/{}", case["id"].as_str().unwrap()),
        None,
        None,
    )
    .await
    .1;
    assert_eq!(before["organisation_id"], bank.to_string(), "{before}");
    assert_eq!(
        before["application"]["title"],
        "Triage model for emergency rooms"
    );
    assert!(before["application"]["answers"]
        .as_array()
        .unwrap()
        .is_empty());
    // The conflicted expert may not score.
    let (status, _) = step(&app, &reviewers[0].1, &case, marks(5, 5)).await;
    assert_eq!(status, 403);

    // The first assigned reviewer declares a conflict and is replaced.
    let token_of = |id: &str| reviewers.iter().find(|r| r.0 == id).unwrap().1.clone();
    let first = token_of(&assigned[0]);
    let (status, mut case) = step(
        &app,
        &first,
        &case,
        json!({"action": "declare_interest", "conflict": true, "statement": "I advised the bank last year."}),
    )
    .await;
    assert_eq!(status, 200, "{case}");
    // The recused reviewer no longer reads the application; its manager does.
    assert!(case.get("application").is_none(), "{case}");
    let path = format!("/api/v1/cases/{}", case["id"].as_str().unwrap());
    case = as_token(&app, &manager, Method::GET, &path, None, None)
        .await
        .1;
    let active: Vec<String> = case["application"]["reviews"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["declaration"]["conflict"] != true)
        .map(|r| r["reviewer"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(active.len(), 2, "{case}");
    assert!(!active.contains(&assigned[0]));

    // The applicant sees the reviews without who wrote them.
    let own = app
        .read(
            Who::OtherDeveloper,
            &format!("/api/v1/cases/{}", case["id"].as_str().unwrap()),
        )
        .await;
    assert!(own["application"]["reviews"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["reviewer"] == "00000000-0000-0000-0000-000000000000"));
    assert!(own["application"]["conflicts"]
        .as_array()
        .unwrap()
        .is_empty());

    let award = |amount: Option<i64>, until: &str| {
        json!({"action": "decide_application", "outcome": if amount.is_some() {"partial_award"} else {"award"},
               "amount": amount, "usable_until": until, "reasons": "Ranked first of the call."})
    };
    for (i, reviewer) in active.iter().enumerate() {
        let token = token_of(reviewer);
        let (status, next) = step(
            &app,
            &token,
            &case,
            json!({"action": "declare_interest", "conflict": false}),
        )
        .await;
        assert_eq!(status, 200, "{next}");
        let (status, next) = step(&app, &token, &next, marks(4, 4)).await;
        assert_eq!(status, 200, "{next}");
        case = next;
        if i == 0 {
            // One review of the two the call needs: no decision yet.
            let (status, body) = step(&app, &manager, &case, award(None, "2026-12-31")).await;
            assert_eq!(status, 409, "{body}");
        }
    }
    // An award with less than the call's 30 days to use it is refused.
    let (status, body) = step(&app, &manager, &case, award(None, "2026-03-20")).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(fields(&body), ["usable_until"]);
    let (status, case) = step(&app, &manager, &case, award(Some(300_000), "2026-12-31")).await;
    assert_eq!(status, 200, "{case}");
    assert_eq!(case["state"], "awarded");

    // The public sees the award and the budget left; as CSV too.
    let call = app
        .read(Who::Anonymous, &format!("/api/v1/calls/{call_id}"))
        .await;
    assert_eq!(call["figures"]["awarded"], 300_000);
    assert_eq!(call["figures"]["remaining"], 700_000);
    let awards = app
        .read(Who::Anonymous, &format!("/api/v1/calls/{call_id}/awards"))
        .await;
    assert_eq!(awards["items"][0]["amount"], 300_000);
    assert_eq!(awards["items"][0]["organisation_id"], bank.to_string());
    let csv = app
        .request(
            Who::Anonymous,
            Method::GET,
            &format!("/api/v1/calls/{call_id}/awards?format=csv"),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.contains("Triage model for emergency rooms"), "{csv}");
    assert!(csv.contains(",300000,2026-12-31,awarded"), "{csv}");

    // The hospital applies for more than is left: scored, then refused an
    // award beyond the budget.
    let hosp = app.token(Who::Developer).unwrap().to_string();
    let mut big = application("Radiology foundation model", 800_000);
    big["answers"]
        .as_array_mut()
        .unwrap()
        .push(json!({"question": "plan", "value": "Pre-train on 2 million images."}));
    let (status, mut other) = as_token(&app, &hosp, Method::POST, &apply, None, Some(big)).await;
    assert_eq!(status, 201, "{other}");
    for action in [json!({"action": "submit_application"})] {
        other = step(&app, &hosp, &other, action).await.1;
    }
    other = step(&app, &manager, &other, json!({"action": "admit"}))
        .await
        .1;
    let their: Vec<String> = other["application"]["reviews"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reviewer"].as_str().unwrap().to_string())
        .collect();
    // The bank's expert may review the hospital's application.
    assert!(
        their.contains(&reviewers[0].0) || their.len() == 2,
        "{other}"
    );
    for r in &their {
        let t = token_of(r);
        other = step(
            &app,
            &t,
            &other,
            json!({"action": "declare_interest", "conflict": false}),
        )
        .await
        .1;
        other = step(&app, &t, &other, marks(5, 5)).await.1;
    }
    let (status, body) = step(&app, &manager, &other, award(None, "2026-12-31")).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["fields"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("700000"),
        "{body}"
    );
    let (status, waiting) = step(
        &app,
        &manager,
        &other,
        json!({"action": "decide_application", "outcome": "waiting_list", "reasons": "Passed; no budget left."}),
    )
    .await;
    assert_eq!(status, 200, "{waiting}");
    assert_eq!(waiting["state"], "waitlisted");

    // The awardee accepts.
    let (status, accepted) = step(&app, &dev, &case, json!({"action": "accept_award"})).await;
    assert_eq!(status, 200, "{accepted}");
    assert_eq!(accepted["state"], "accepted");

    // The register rebuilt from the log is the same, and numbering goes on
    // after it.
    let before = app.store.fingerprint().await.unwrap();
    app.store
        .execute(Actor::operator(), Command::Rebuild)
        .await
        .unwrap();
    assert_eq!(before, app.store.fingerprint().await.unwrap());
    let college = app.organisation("College", "21044000011").await;
    let (_, teacher) = app
        .account_with_token("dev@college.kz", vec![Role::Developer], Some(college))
        .await;
    let (status, third) = as_token(
        &app,
        &teacher,
        Method::POST,
        &apply,
        None,
        Some(application("Teaching assistant", 10)),
    )
    .await;
    assert_eq!(status, 201, "{third}");
    assert_eq!(third["number"], "APP-2026-000003");
}

pub(crate) async fn calls_and_applications_refuse_bad_input_naming_each_field(app: TestApp) {
    let manager = manager(&app).await;
    let (pid, call_id) = programme_and_call(&app, &manager).await;
    let mut bad = call_json();
    bad["budget"]["amount"] = json!(0);
    bad["eligibility"] = json!("[[rules]]\nid = \"x\"\ntext = { en = \"X\" }\nrequires = { field = \"colour\", is = \"red\" }\n");
    let (status, body) = as_token(
        &app,
        &manager,
        Method::POST,
        &format!("/api/v1/programmes/{pid}/calls"),
        None,
        Some(bad),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let f = fields(&body);
    assert!(f.contains(&"budget.amount".to_string()), "{f:?}");
    assert!(f.iter().any(|f| f.starts_with("eligibility:")), "{f:?}");
    // Another organisation's manager may not publish in this programme.
    let other_org = app.organisation("Another operator", "20014000015").await;
    let (_, stranger) = app
        .account_with_token("m2@other.kz", vec![Role::ProgrammeManager], Some(other_org))
        .await;
    let (status, _) = as_token(
        &app,
        &stranger,
        Method::POST,
        &format!("/api/v1/programmes/{pid}/calls"),
        None,
        Some(call_json()),
    )
    .await;
    assert_eq!(status, 403);
    // An ineligible application names each rule it breaks, in English.
    let apply = format!("/api/v1/calls/{call_id}/applications");
    let mut input = application("Credit scoring", 10);
    input["sectors"] = json!(["finance"]);
    input["answers"] =
        json!([{"question": "plan", "value": "x"}, {"question": "gpu_hours", "value": "many"}]);
    let (status, body) = send(
        &app,
        Who::OtherDeveloper,
        Method::POST,
        &apply,
        None,
        Some(input),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(fields(&body), ["answers[1].value"]);
    let mut input = application("Credit scoring", 10);
    input["sectors"] = json!(["finance"]);
    input["answers"] = json!([{"question": "plan", "value": "x"}]);
    let (status, draft) = send(
        &app,
        Who::OtherDeveloper,
        Method::POST,
        &apply,
        None,
        Some(input),
    )
    .await;
    assert_eq!(status, 201, "{draft}");
    let dev = app.token(Who::OtherDeveloper).unwrap().to_string();
    let (status, body) = step(&app, &dev, &draft, json!({"action": "submit_application"})).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(fields(&body), ["eligibility.health"]);
    assert!(body["error"]["fields"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("Work in healthcare"));
    // Unchanged: still a draft.
    let id = draft["id"].as_str().unwrap();
    let now = app
        .read(Who::OtherDeveloper, &format!("/api/v1/cases/{id}"))
        .await;
    assert_eq!(now["state"], "draft");
    assert_eq!(now["revision"], draft["revision"]);
    // The public does not see a draft's content or who drafted it, not
    // even in the log's entries of its steps.
    let public = app
        .read(Who::Anonymous, &format!("/api/v1/cases/{id}"))
        .await;
    assert!(public.get("application").is_none(), "{public}");
    assert!(public["organisation_id"].is_null(), "{public}");
    let events = app
        .store
        .timeline(&[("case", id.to_string())])
        .await
        .unwrap();
    assert!(!events.is_empty());
    for e in &events {
        let index = e.index.unwrap();
        let entry = app
            .read(Who::Anonymous, &format!("/api/v1/log/entries/{index}"))
            .await;
        assert!(
            !entry.to_string().contains(&app.bank.to_string()),
            "the log names the applicant: {entry}"
        );
    }
    // Nor does the programme's manager, until it is submitted.
    let seen = as_token(
        &app,
        &manager,
        Method::GET,
        &format!("/api/v1/cases/{id}"),
        None,
        None,
    )
    .await
    .1;
    assert!(
        seen.get("application").is_none(),
        "a manager reads a draft: {seen}"
    );
    // After the call closes, no new draft.
    // 2026-03-02 + 63 days: the call closed on 2026-04-30.
    app.clock.advance_seconds(63 * 86_400);
    let (status, body) = send(
        &app,
        Who::Developer,
        Method::POST,
        &apply,
        None,
        Some(application("Late", 10)),
    )
    .await;
    assert_eq!(status, 409, "{body}");
}

/// A call like [`call_json`] open from `opens` to `closes`.
fn call_between(opens: &str, closes: &str) -> Value {
    let mut call = call_json();
    call["opens"] = json!(opens);
    call["closes"] = json!(closes);
    call
}

/// Publishes a call on the programme and returns its applications' address.
async fn publish(app: &TestApp, manager: &str, pid: &str, call: Value) -> String {
    let (status, call) = as_token(
        app,
        manager,
        Method::POST,
        &format!("/api/v1/programmes/{pid}/calls"),
        None,
        Some(call),
    )
    .await;
    assert_eq!(status, 201, "{call}");
    format!(
        "/api/v1/calls/{}/applications",
        call["id"].as_str().unwrap()
    )
}

/// Drafts and submits an application with these partners as `token`.
async fn joint(app: &TestApp, token: &str, apply: &str, partners: &[String]) -> Value {
    let mut body = application("Joint triage study", 100_000);
    body["answers"]
        .as_array_mut()
        .unwrap()
        .push(json!({"question": "plan", "value": "A study of triage across two hospitals."}));
    body["partners"] = json!(partners);
    let (status, draft) = as_token(app, token, Method::POST, apply, None, Some(body)).await;
    assert_eq!(status, 201, "{draft}");
    let (status, case) = step(app, token, &draft, json!({"action": "submit_application"})).await;
    assert_eq!(status, 200, "{case}");
    case
}

/// Automatic conflict detection beyond the applicant's own staff: the
/// partners of a joint application, the organisations any of them applied
/// with in the last three years, and the organisations a reviewer left in
/// the last two; older ties no longer count.
pub(crate) async fn joint_work_and_former_organisations_keep_reviewers_out_for_a_while(
    app: TestApp,
) {
    let operator = app.organisation("Platform operator", "19014000012").await;
    let (manager_id, manager) = app
        .account_with_token(
            "manager@platform.kz",
            vec![Role::ProgrammeManager],
            Some(operator),
        )
        .await;
    let (pid, _) = programme_and_call(&app, &manager).await;
    let university = app.organisation("University", "19014000020").await;
    let lab = app.organisation("Lab", "19014000021").await;
    let old_partner = app.organisation("Old partner", "19014000022").await;
    let institute = app.organisation("Institute", "19014000023").await;
    let (_, lab_dev) = app
        .account_with_token("dev@lab.kz", vec![Role::Developer], Some(lab))
        .await;
    let bank_dev = app.token(Who::OtherDeveloper).unwrap().to_string();

    let mut pool = std::collections::BTreeMap::new();
    for (name, org) in [
        ("of_partner", Some(university)),
        ("moved_lately", Some(university)),
        ("moved_long_ago", Some(app.bank)),
        ("of_lab", Some(lab)),
        ("of_old_partner", Some(old_partner)),
        ("free", None),
    ] {
        let (id, _) = app
            .account_with_token(
                &format!("{name}@experts.kz"),
                vec![Role::ExpertReviewer],
                org,
            )
            .await;
        let (status, body) = send(
            &app,
            Who::Supervisor,
            Method::PUT,
            &format!("/api/v1/reviewers/{id}"),
            None,
            Some(json!({"sectors": ["healthcare"]})),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        pool.insert(name, id.to_string());
    }
    // An administrator moves a reviewer to another organisation.
    let move_to = |who: &'static str, org: senim_domain::OrganisationId| {
        let id = pool[who].clone();
        let app = &app;
        async move {
            let path = format!("/api/v1/accounts/{id}");
            let account = app.read(Who::Administrator, &path).await;
            let (status, body) = send(
                app,
                Who::Administrator,
                Method::PUT,
                &path,
                account["revision"].as_i64(),
                Some(json!({
                    "email": account["email"], "display_name": account["display_name"],
                    "roles": ["expert_reviewer"], "organisation_id": org
                })),
            )
            .await;
            assert_eq!(status, 200, "{body}");
        }
    };

    // March 2026: the bank applies with the old partner; a reviewer leaves the bank.
    let first = format!(
        "/api/v1/calls/{}/applications",
        programme_and_call_id(&app, &pid).await
    );
    joint(&app, &bank_dev, &first, &[old_partner.to_string()]).await;
    move_to("moved_long_ago", institute).await;

    // June 2027: the lab applies with the university.
    set_day(&app, "2027-06-01");
    let second = publish(
        &app,
        &manager,
        &pid,
        call_between("2027-06-01", "2027-07-30"),
    )
    .await;
    joint(&app, &lab_dev, &second, &[university.to_string()]).await;

    // January 2028: a reviewer leaves the university.
    set_day(&app, "2028-01-10");
    move_to("moved_lately", institute).await;

    // June 2029: the bank applies with the university (with new tokens:
    // the first ones expired meanwhile).
    set_day(&app, "2029-06-01");
    let fresh = |id| crate::helpers::make_token(&app.store, id, vec![TokenScope::Admin]);
    let manager = fresh(manager_id).await;
    let bank_dev = fresh(app.accounts[&Who::OtherDeveloper]).await;
    let third = publish(
        &app,
        &manager,
        &pid,
        call_between("2029-06-01", "2029-07-30"),
    )
    .await;
    // A partner that is not in the register, or is the applicant, is named.
    let mut bad = application("Joint triage study", 100_000);
    bad["partners"] = json!([app.bank]);
    let (status, body) = as_token(&app, &bank_dev, Method::POST, &third, None, Some(bad)).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(fields(&body), ["partners[0]"]);
    let mut unknown = application("Joint triage study", 100_000);
    unknown["partners"] = json!([senim_domain::OrganisationId::generate()]);
    let (status, body) = as_token(&app, &bank_dev, Method::POST, &third, None, Some(unknown)).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(fields(&body), ["partners[0]"]);

    let case = joint(&app, &bank_dev, &third, &[university.to_string()]).await;
    let (status, case) = step(&app, &manager, &case, json!({"action": "admit"})).await;
    assert_eq!(status, 200, "{case}");
    let detected: std::collections::BTreeMap<String, String> = case["application"]["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["reviewer"].as_str().unwrap().to_string(),
                d["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let reason = |who: &str| detected.get(&pool[who]).map(String::as_str);
    assert_eq!(
        reason("of_partner"),
        Some("belongs to the applicant's organisation or a partner's"),
        "{case}"
    );
    assert_eq!(
        reason("moved_lately"),
        Some("belonged to the applicant's organisation or a partner's within the last two years")
    );
    assert_eq!(
        reason("of_lab"),
        Some("belongs to an organisation that applied or ran an AI system with the applicant or a partner within the last three years")
    );
    assert_eq!(detected.len(), 3, "{case}");
    let assigned: Vec<&str> = case["application"]["reviews"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["reviewer"].as_str().unwrap())
        .collect();
    assert_eq!(assigned.len(), 2);
    for id in assigned {
        assert!(
            [
                &pool["moved_long_ago"],
                &pool["of_old_partner"],
                &pool["free"]
            ]
            .iter()
            .any(|p| p.as_str() == id),
            "{id} should not review: {case}"
        );
    }
    // The history conflict detection reads is rebuilt from the log.
    let before = app.store.fingerprint().await.unwrap();
    let counted = |table: &str| before.iter().find(|(t, ..)| t == table).unwrap().1;
    assert_eq!(counted("affiliations"), 2);
    assert_eq!(counted("application_parties"), 6);
    app.store
        .execute(senim_store::Actor::operator(), Command::Rebuild)
        .await
        .unwrap();
    assert_eq!(before, app.store.fingerprint().await.unwrap());
}

/// The id of the programme's first call.
async fn programme_and_call_id(app: &TestApp, pid: &str) -> String {
    let programme = app
        .read(Who::Anonymous, &format!("/api/v1/programmes/{pid}"))
        .await;
    programme["calls"][0]["id"].as_str().unwrap().to_string()
}
