//! The regulatory sandbox: the Platform's operator opens a sandbox call
//! whose form asks for the plan; the hospital applies with its triage
//! system, asking first for more time than a stay can last; the call's
//! expert scores it, it is admitted and accepts, which opens its
//! participation; the programme and the authority add supervision notes;
//! the exit report is returned once and then accepted; the public reads the
//! plan and the exit report's summary, not the notes or the findings; and
//! the system's registration links its sandbox record.

use reqwest::Method;
use serde_json::{json, Value};

use senim_domain::Role;

use crate::helpers::{TestApp, Who};
use crate::routes::datasets::send;
use crate::routes::programmes::{as_token, call_json, fields, manager, step};

crate::on_both_backends!(a_system_goes_through_the_sandbox_to_registration,);

fn plan_questions() -> Value {
    let q = |id: &str, answer: &str| json!({"id": id, "text": {"en": id}, "answer": answer, "required": true});
    json!([
        q("objectives", "text"),
        q("conditions", "text"),
        q("relaxed_rules", "text"),
        q("risk_containment", "text"),
        q("months", "number"),
        q("methodology", "text"),
        q("exit_strategy", "text"),
        {"id": "system", "text": {"en": "The system's id in the register"}, "answer": "text"}
    ])
}

fn answers(months: &str, system: &str) -> Value {
    json!([
        {"question": "objectives", "value": "Check that triage advice is safe in two emergency departments."},
        {"question": "conditions", "value": "Nurses decide; the system only advises; 1,200 patients at most."},
        {"question": "relaxed_rules", "value": "Registration before use, for the two departments only."},
        {"question": "risk_containment", "value": "Every advice is checked by the nurse on duty; weekly incident review."},
        {"question": "months", "value": months},
        {"question": "methodology", "value": "Advice compared with nurses' decisions, by age group and sex."},
        {"question": "exit_strategy", "value": "Registration if the advice matches in 90% of cases; withdrawal otherwise."},
        {"question": "system", "value": system}
    ])
}

async fn public(app: &TestApp, id: &str) -> Value {
    app.read(Who::Anonymous, &format!("/api/v1/cases/{id}"))
        .await
}

pub(crate) async fn a_system_goes_through_the_sandbox_to_registration(app: TestApp) {
    let manager = manager(&app).await;
    let (_, programme) = as_token(
        &app,
        &manager,
        Method::POST,
        "/api/v1/programmes",
        None,
        Some(json!({"kind": "sandbox", "title": {"en": "Regulatory sandbox for health AI"}})),
    )
    .await;
    let calls = format!(
        "/api/v1/programmes/{}/calls",
        programme["id"].as_str().unwrap()
    );
    // A sandbox call must ask for the whole plan.
    let mut terms = call_json();
    terms["reviewers"] = json!(1);
    let (status, body) = as_token(
        &app,
        &manager,
        Method::POST,
        &calls,
        None,
        Some(terms.clone()),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(fields(&body).iter().all(|f| f == "questions"), "{body}");
    terms["questions"] = plan_questions();
    // Its stays last nine months at most; thirteen is beyond the law's year.
    terms["max_months"] = json!(13);
    let (status, body) = as_token(
        &app,
        &manager,
        Method::POST,
        &calls,
        None,
        Some(terms.clone()),
    )
    .await;
    assert_eq!(
        (status, fields(&body)),
        (422, vec!["max_months".to_string()]),
        "{body}"
    );
    terms["max_months"] = json!(9);
    let (status, call) = as_token(&app, &manager, Method::POST, &calls, None, Some(terms)).await;
    assert_eq!(status, 201, "{call}");

    // Two experts of the pool for healthcare.
    let mut experts = Vec::new();
    for email in ["a@experts.kz", "b@experts.kz"] {
        let (id, token) = app
            .account_with_token(email, vec![Role::ExpertReviewer], None)
            .await;
        send(
            &app,
            Who::Supervisor,
            Method::PUT,
            &format!("/api/v1/reviewers/{id}"),
            None,
            Some(json!({"sectors": ["healthcare"]})),
        )
        .await;
        experts.push(token);
    }

    // The hospital applies with its triage system; ten months is more than
    // a stay in this call's sandbox can last.
    let hospital = app.token(Who::Developer).unwrap().to_string();
    let system = app.system().await.to_string();
    let (status, draft) = as_token(
        &app,
        &hospital,
        Method::POST,
        &format!(
            "/api/v1/calls/{}/applications",
            call["id"].as_str().unwrap()
        ),
        None,
        Some(json!({
            "title": "Emergency triage advice in the sandbox",
            "sectors": ["healthcare"],
            "requested": 1000,
            "answers": answers("10", &system)
        })),
    )
    .await;
    assert_eq!(status, 201, "{draft}");
    let (status, body) = step(
        &app,
        &hospital,
        &draft,
        json!({"action": "submit_application"}),
    )
    .await;
    assert_eq!(
        (status, fields(&body)),
        (422, vec!["answers.months".to_string()]),
        "{body}"
    );
    assert!(
        body["error"]["fields"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("from 1 to 9 months"),
        "{body}"
    );
    let (status, draft) = step(
        &app,
        &hospital,
        &draft,
        json!({"action": "edit_application", "application": {
            "title": "Emergency triage advice in the sandbox",
            "sectors": ["healthcare"],
            "requested": 1000,
            "answers": answers("6", &system)
        }}),
    )
    .await;
    assert_eq!(status, 200, "{draft}");
    let case = step(
        &app,
        &hospital,
        &draft,
        json!({"action": "submit_application"}),
    )
    .await
    .1;
    assert_eq!(case["state"], "submitted", "{case}");
    let mut case = step(&app, &manager, &case, json!({"action": "admit"}))
        .await
        .1;
    // Whichever expert was assigned scores it.
    for t in &experts {
        let (status, next) = step(
            &app,
            t,
            &case,
            json!({"action": "declare_interest", "conflict": false}),
        )
        .await;
        if status != 200 {
            continue;
        }
        let (status, next) = step(
            &app,
            t,
            &next,
            json!({"action": "score", "marks": [
                {"criterion": "excellence", "mark": 5, "reason": "A careful plan."},
                {"criterion": "impact", "mark": 4, "reason": "Two emergency departments."}
            ]}),
        )
        .await;
        assert_eq!(status, 200, "{next}");
        case = next;
    }
    let (status, case) = step(
        &app,
        &manager,
        &case,
        json!({"action": "decide_application", "outcome": "award", "usable_until": "2026-12-31", "reasons": "A safe plan."}),
    )
    .await;
    assert_eq!(status, 200, "{case}");
    let (status, accepted) = step(&app, &hospital, &case, json!({"action": "accept_award"})).await;
    assert_eq!(status, 200, "{accepted}");

    // Accepting opened the participation, from today for six months.
    let system_id: senim_domain::SystemId = system.parse().unwrap();
    let opened = app.store.sandboxes_of(system_id).await.unwrap();
    assert_eq!(opened.len(), 1);
    let sbx = opened[0].id.to_string();
    let shown = public(&app, &sbx).await;
    assert_eq!(shown["state"], "active", "{shown}");
    assert!(shown["number"].as_str().unwrap().starts_with("SBX-"));
    assert_eq!(shown["sandbox"]["starts"], "2026-03-02");
    assert_eq!(shown["sandbox"]["ends"], "2026-09-01");
    assert_eq!(shown["sandbox"]["plan"].as_array().unwrap().len(), 7);
    assert_eq!(
        accepted["links"],
        json!([sbx]),
        "the award links its participation"
    );

    // Supervision: the programme and the authority add notes; a developer
    // of another organisation may not, nor may the participant.
    let read = |token: String| {
        let app = &app;
        let sbx = sbx.clone();
        async move {
            as_token(
                app,
                &token,
                Method::GET,
                &format!("/api/v1/cases/{sbx}"),
                None,
                None,
            )
            .await
            .1
        }
    };
    let current = read(manager.clone()).await;
    let (status, noted) = step(
        &app,
        &manager,
        &current,
        json!({"action": "add_note", "text": "Week 2: incident log reviewed, none."}),
    )
    .await;
    assert_eq!(status, 200, "{noted}");
    let supervisor = app.token(Who::Supervisor).unwrap().to_string();
    let (status, noted) = step(
        &app,
        &supervisor,
        &noted,
        json!({"action": "add_note", "text": "Visited the first department."}),
    )
    .await;
    assert_eq!(status, 200, "{noted}");
    let other = app.token(Who::OtherDeveloper).unwrap().to_string();
    assert_eq!(
        step(
            &app,
            &other,
            &noted,
            json!({"action": "add_note", "text": "x"})
        )
        .await
        .0,
        403
    );
    assert_eq!(
        step(
            &app,
            &hospital,
            &noted,
            json!({"action": "add_note", "text": "x"})
        )
        .await
        .0,
        403
    );
    assert_eq!(
        read(hospital.clone()).await["sandbox"]["notes"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        public(&app, &sbx).await["sandbox"].get("notes"),
        None,
        "notes are not public"
    );

    // The last day passes without an exit report: the sweep reminds the
    // hospital and the programme, once.
    let sweep = || async {
        let (status, body) = send(
            &app,
            Who::Supervisor,
            Method::POST,
            "/api/v1/review-due/sweep",
            None,
            None,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        body["sandboxes"].as_u64().unwrap()
    };
    assert_eq!(sweep().await, 0, "not before the last day");
    app.clock.advance_seconds(200 * 86_400);
    assert_eq!(sweep().await, 1);
    assert_eq!(sweep().await, 0, "once");
    let noted = read(hospital.clone()).await;
    assert_eq!(noted["sandbox"]["exit_due_reminded"], "2026-09-18");
    let inbox = as_token(&app, &hospital, Method::GET, "/api/v1/inbox", None, None)
        .await
        .1;
    assert!(
        inbox.to_string().contains("submit the exit report"),
        "{inbox}"
    );

    // The exit report: empty fields are named; returned once, then accepted.
    let (status, body) = step(&app, &hospital, &noted, json!({"action": "submit_exit_report", "public_summary": "", "findings": " ", "outcome": "ready_for_registration"})).await;
    assert_eq!(
        (status, fields(&body)),
        (
            422,
            vec!["public_summary".to_string(), "findings".to_string()]
        )
    );
    let report = json!({"action": "submit_exit_report",
        "public_summary": "The advice matched the nurses' decisions in 94% of 1,180 cases, alike across ages and sexes.",
        "findings": "Two incidents, both caught by the nurse on duty; details in the incident log.",
        "outcome": "ready_for_registration"});
    let (status, reported) = step(&app, &hospital, &noted, report.clone()).await;
    assert_eq!(
        (status, reported["state"].as_str()),
        (200, Some("exit_reported")),
        "{reported}"
    );
    let (status, returned) = step(&app, &manager, &reported, json!({"action": "review_exit_report", "accept": false, "reasons": "Attach the incident log."})).await;
    assert_eq!((status, returned["state"].as_str()), (200, Some("active")));
    let (_, reported) = step(&app, &hospital, &returned, report).await;
    let (status, exited) = step(
        &app,
        &manager,
        &reported,
        json!({"action": "review_exit_report", "accept": true, "reasons": "Complete."}),
    )
    .await;
    assert_eq!(
        (status, exited["state"].as_str()),
        (200, Some("exited")),
        "{exited}"
    );
    let shown = public(&app, &sbx).await;
    assert_eq!(
        shown["sandbox"]["exit_report"]["outcome"],
        "ready_for_registration"
    );
    assert!(shown["sandbox"]["exit_report"]["public_summary"]
        .as_str()
        .unwrap()
        .contains("94%"));
    assert_eq!(
        shown["sandbox"]["exit_report"]["findings"], "",
        "findings are not public"
    );
    assert_eq!(
        step(
            &app,
            &manager,
            &exited,
            json!({"action": "terminate_sandbox", "reasons": "x"})
        )
        .await
        .0,
        409
    );

    // The system continues to registration with its sandbox record linked.
    let (status, registration) = as_token(
        &app,
        &hospital,
        Method::POST,
        "/api/v1/cases",
        None,
        Some(json!({"kind": "registration", "system_id": system})),
    )
    .await;
    assert_eq!(status, 201, "{registration}");
    assert!(
        registration["links"]
            .as_array()
            .unwrap()
            .contains(&json!(sbx)),
        "{registration}"
    );
}
