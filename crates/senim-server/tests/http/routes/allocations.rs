//! What an award buys: a compute centre offers GPU-hours and a bank's
//! steward a restricted dataset; the hospital's award, released in two
//! halves, is exchanged for both; the providers approve, usage is reported,
//! an overdue report blocks new exchanges until it is in and accepted (which
//! releases the second half), reminders go out, an extension is granted, and
//! the allocations end by themselves, taking the dataset's access with them.

use reqwest::Method;
use serde_json::{json, Value};

use senim_domain::{Clock, Role};
use senim_store::{Actor, Command};

use crate::helpers::{TestApp, Who};
use crate::routes::datasets::{chunk, dataset_json, send};
use crate::routes::programmes::{as_token, call_json, fields, manager, step};

crate::on_both_backends!(
    an_award_buys_gpu_hours_and_data_that_end_by_themselves,
    a_resource_assessed_in_review_is_provisioned_at_once,
);

async fn reread(app: &TestApp, token: &str, case: &Value) -> Value {
    let path = format!("/api/v1/cases/{}", case["id"].as_str().unwrap());
    as_token(app, token, Method::GET, &path, None, None).await.1
}

async fn sweep(app: &TestApp) -> usize {
    let (status, body) = send(
        app,
        Who::Supervisor,
        Method::POST,
        "/api/v1/review-due/sweep",
        None,
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["allocations"].as_u64().unwrap() as usize
}

/// Moves the clock to 09:00 UTC of `day`.
pub(crate) fn set_day(app: &TestApp, day: &str) {
    let target = senim_domain::Timestamp::parse(&format!("{day}T09:00:00Z")).unwrap();
    let now = app.clock.now();
    app.clock
        .advance_seconds((target.unix_millis() - now.unix_millis()) / 1000);
}

pub(crate) async fn an_award_buys_gpu_hours_and_data_that_end_by_themselves(app: TestApp) {
    // The Platform's operator runs a compute programme: half of an award on
    // acceptance, half after the first progress report.
    let operator = app.organisation("Platform operator", "19014000012").await;
    let (_, manager) = app
        .account_with_token(
            "manager@platform.kz",
            vec![Role::ProgrammeManager],
            Some(operator),
        )
        .await;
    let (_, programme) = as_token(
        &app,
        &manager,
        Method::POST,
        "/api/v1/programmes",
        None,
        Some(json!({"kind": "compute", "title": {"en": "National compute for AI"}})),
    )
    .await;
    let mut terms = call_json();
    terms["reports_after_months"] = json!([1, 9]);
    terms["tranches"] = json!([50, 50]);
    let (status, call) = as_token(
        &app,
        &manager,
        Method::POST,
        &format!(
            "/api/v1/programmes/{}/calls",
            programme["id"].as_str().unwrap()
        ),
        None,
        Some(terms.clone()),
    )
    .await;
    assert_eq!(status, 201, "{call}");
    // Shares that do not add up to 100 are refused, naming the field.
    terms["tranches"] = json!([50, 40]);
    let (status, body) = as_token(
        &app,
        &manager,
        Method::POST,
        &format!(
            "/api/v1/programmes/{}/calls",
            programme["id"].as_str().unwrap()
        ),
        None,
        Some(terms),
    )
    .await;
    assert_eq!((status, fields(&body)), (422, vec!["tranches".to_string()]));

    // Two independent experts.
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

    // The hospital applies and is awarded 400,000 credits.
    let hospital = app.token(Who::Developer).unwrap().to_string();
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
            "title": "Sepsis early warning",
            "sectors": ["healthcare"],
            "requested": 400000,
            "answers": [{"question": "plan", "value": "Train on two years of admissions."}]
        })),
    )
    .await;
    assert_eq!(status, 201, "{draft}");
    let case = step(
        &app,
        &hospital,
        &draft,
        json!({"action": "submit_application"}),
    )
    .await
    .1;
    let mut case = step(&app, &manager, &case, json!({"action": "admit"}))
        .await
        .1;
    for t in &experts {
        case = step(
            &app,
            t,
            &case,
            json!({"action": "declare_interest", "conflict": false}),
        )
        .await
        .1;
        let (status, next) = step(
            &app,
            t,
            &case,
            json!({"action": "score", "marks": [
                {"criterion": "excellence", "mark": 5, "reason": "Clear method."},
                {"criterion": "impact", "mark": 4, "reason": "Every regional hospital."}
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
        json!({"action": "decide_application", "outcome": "award", "usable_until": "2026-06-30", "reasons": "First of the call."}),
    )
    .await;
    assert_eq!(status, 200, "{case}");
    // Nothing can be exchanged before the award is accepted.
    let exchange = format!(
        "/api/v1/applications/{}/allocations",
        case["id"].as_str().unwrap()
    );
    let (status, accepted) = step(&app, &hospital, &case, json!({"action": "accept_award"})).await;
    assert_eq!(status, 200, "{accepted}");
    let tranches = accepted["application"]["tranches"].as_array().unwrap();
    assert_eq!(tranches.len(), 1);
    assert_eq!(tranches[0]["amount"], 200_000);
    let reports = accepted["application"]["reports"].as_array().unwrap();
    assert_eq!(reports[0]["due"], "2026-04-02");
    assert_eq!(reports[1]["kind"], "final");

    // A compute centre offers GPU-hours; the bank's steward offers its
    // restricted admissions data (a developer may offer nothing).
    let centre = app.organisation("Compute centre", "20094000019").await;
    let (_, provider) = app
        .account_with_token("ops@compute.kz", vec![Role::ResourceProvider], Some(centre))
        .await;
    let gpu_input = json!({
        "kind": "compute_pool", "title": {"en": "A100 pool", "ru": "Пул A100", "kk": "A100 пулы"},
        "unit": "gpu_hours", "capacity": 5000, "credits_per_unit": 100
    });
    let (status, _) = as_token(
        &app,
        &hospital,
        Method::POST,
        "/api/v1/platform-resources",
        None,
        Some(gpu_input.clone()),
    )
    .await;
    assert_eq!(status, 403);
    let (status, gpu) = as_token(
        &app,
        &provider,
        Method::POST,
        "/api/v1/platform-resources",
        None,
        Some(gpu_input),
    )
    .await;
    assert_eq!(status, 201, "{gpu}");
    let (_, dataset) = send(
        &app,
        Who::DataSteward,
        Method::POST,
        "/api/v1/datasets",
        None,
        Some(dataset_json("Admissions for sepsis models", "restricted")),
    )
    .await;
    let csv = b"stay_id,lactate\n1,2.4\n2,5.1\n";
    let (_, upload) = send(
        &app,
        Who::DataSteward,
        Method::POST,
        &format!(
            "/api/v1/datasets/{}/uploads",
            dataset["id"].as_str().unwrap()
        ),
        None,
        Some(json!({"name": "admissions.csv", "size": csv.len(),
                     "sha256": crate::routes::datasets::sha256(csv)})),
    )
    .await;
    let (status, _, file) = chunk(
        &app,
        Who::DataSteward,
        upload["id"].as_str().unwrap(),
        0,
        csv,
    )
    .await;
    assert_eq!(status, 201, "{file}");
    let download = format!("/api/v1/resources/{}/file", file["id"].as_str().unwrap());
    let (status, data) = send(
        &app,
        Who::DataSteward,
        Method::POST,
        "/api/v1/platform-resources",
        None,
        Some(json!({
            "kind": "dataset", "title": {"en": "Admissions, restricted"},
            "unit": "access_days", "capacity": 365, "credits_per_unit": 100,
            "dataset_id": dataset["id"]
        })),
    )
    .await;
    assert_eq!(status, 201, "{data}");
    // The bank's own resource provider may not offer its restricted data:
    // that is its data steward's decision, as the library's grants are.
    let (_, bank_ops) = app
        .account_with_token("ops@bank.kz", vec![Role::ResourceProvider], Some(app.bank))
        .await;
    let (status, _) = as_token(
        &app,
        &bank_ops,
        Method::POST,
        "/api/v1/platform-resources",
        None,
        Some(json!({
            "kind": "dataset", "title": {"en": "Admissions again"},
            "unit": "access_days", "capacity": 10, "credits_per_unit": 1,
            "dataset_id": dataset["id"]
        })),
    )
    .await;
    assert_eq!(status, 403);
    let listed = app.read(Who::Anonymous, "/api/v1/platform-resources").await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 2);

    // More than was released is refused, naming the field; so is a period
    // past the award's last day.
    let ask = |resource: &Value, units: i64, starts: &str, ends: &str| json!({"resource_id": resource["id"], "units": units, "starts": starts, "ends": ends});
    let (status, body) = as_token(
        &app,
        &hospital,
        Method::POST,
        &exchange,
        None,
        Some(ask(&gpu, 2001, "2026-03-02", "2026-04-30")),
    )
    .await;
    assert_eq!(
        (status, fields(&body)),
        (422, vec!["units".to_string()]),
        "{body}"
    );
    let (status, body) = as_token(
        &app,
        &hospital,
        Method::POST,
        &exchange,
        None,
        Some(ask(&gpu, 10, "2026-03-02", "2026-07-01")),
    )
    .await;
    assert_eq!(
        (status, fields(&body)),
        (422, vec!["ends".to_string()]),
        "{body}"
    );
    // Another organisation may not spend the hospital's award.
    let (status, _) = send(
        &app,
        Who::OtherDeveloper,
        Method::POST,
        &exchange,
        None,
        Some(ask(&gpu, 10, "2026-03-02", "2026-04-30")),
    )
    .await;
    assert_eq!(status, 403);
    let (status, compute) = as_token(
        &app,
        &hospital,
        Method::POST,
        &exchange,
        None,
        Some(ask(&gpu, 1500, "2026-03-02", "2026-04-30")),
    )
    .await;
    assert_eq!(status, 201, "{compute}");
    assert_eq!(compute["kind"], "allocation");
    assert_eq!(compute["state"], "requested");
    assert_eq!(compute["allocation"]["credits"], 150_000);
    // Five working days, Monday 9 March being the day off for the 8th.
    assert_eq!(compute["deadline"]["due"], "2026-03-10");
    // Only the provider approves.
    let (status, _) = step(
        &app,
        &hospital,
        &compute,
        json!({"action": "approve_allocation"}),
    )
    .await;
    assert_eq!(status, 403);
    let provided = as_token(
        &app,
        &provider,
        Method::GET,
        "/api/v1/allocations/provided",
        None,
        None,
    )
    .await
    .1;
    assert_eq!(provided["items"].as_array().unwrap().len(), 1, "{provided}");
    let (status, compute) = step(
        &app,
        &provider,
        &compute,
        json!({"action": "approve_allocation", "instructions": "ssh sepsis@a100.compute.kz"}),
    )
    .await;
    assert_eq!(status, 200, "{compute}");
    assert_eq!(compute["state"], "active");
    // The public sees what the award bought, not how to reach it.
    let public = app
        .read(
            Who::Anonymous,
            &format!("/api/v1/cases/{}", compute["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(public["allocation"]["units"], 1500, "{public}");
    assert!(
        public["allocation"].get("instructions").is_none(),
        "{public}"
    );
    // The statistics: one application, awarded the day it was submitted,
    // usable the same day; in healthcare.
    let stats = app
        .read(Who::Anonymous, "/api/v1/programmes/statistics")
        .await;
    let line = stats["by_call"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["call_id"] == call["id"])
        .unwrap()
        .clone();
    assert_eq!(line["submitted"], 1, "{stats}");
    assert_eq!(line["awarded"], 1);
    assert_eq!(line["success_percent"], 100);
    assert_eq!(line["median_days_to_decision"], 0);
    assert_eq!(line["median_days_to_usable"], 0);
    assert_eq!(stats["by_sector"][0]["sector"], "healthcare");
    let csv = app
        .request(
            Who::Anonymous,
            Method::GET,
            "/api/v1/programmes/statistics?format=csv",
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        csv.contains("\r\nsector,healthcare,,1,1,1,100,0,0\r\n"),
        "{csv}"
    );

    // Usage, from the provider's accounting; beyond the units or the dates
    // it is refused.
    let usage = format!(
        "/api/v1/allocations/{}/usage",
        compute["id"].as_str().unwrap()
    );
    set_day(&app, "2026-03-10");
    let (status, body) = as_token(
        &app,
        &provider,
        Method::POST,
        &usage,
        None,
        Some(json!({"day": "2026-03-09", "units": 400})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["allocation"]["used"], 400);
    for (day, units, field) in [
        ("2026-03-09", 1101, "units"),
        ("2026-03-11", 1, "day"),
        ("2026-03-01", 1, "day"),
    ] {
        let (status, body) = as_token(
            &app,
            &provider,
            Method::POST,
            &usage,
            None,
            Some(json!({"day": day, "units": units})),
        )
        .await;
        assert_eq!(
            (status, fields(&body)),
            (422, vec![field.to_string()]),
            "{body}"
        );
    }
    let (status, _) = send(
        &app,
        Who::Developer,
        Method::POST,
        &usage,
        None,
        Some(json!({"day": "2026-03-09", "units": 1})),
    )
    .await;
    assert_eq!(status, 403);

    // An exchange the provider never decides lapses by itself after its
    // five working days (below), giving the credits back.
    let (status, forgotten) = as_token(
        &app,
        &hospital,
        Method::POST,
        &exchange,
        None,
        Some(ask(&gpu, 10, "2026-03-10", "2026-04-30")),
    )
    .await;
    assert_eq!(status, 201, "{forgotten}");

    // The dataset: 40 days of access for 4,000 credits, approved by the
    // bank's steward, which opens the file to the hospital's developer.
    assert_eq!(
        app.request(Who::Developer, Method::GET, &download)
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    let (status, access) = as_token(
        &app,
        &hospital,
        Method::POST,
        &exchange,
        None,
        Some(ask(&data, 40, "2026-03-10", "2026-04-30")),
    )
    .await;
    assert_eq!(status, 201, "{access}");
    let (status, _) = step(
        &app,
        &bank_ops,
        &access,
        json!({"action": "approve_allocation"}),
    )
    .await;
    assert_eq!(
        status, 403,
        "the steward decides access to data, not a resource provider"
    );
    let (status, access) = send(
        &app,
        Who::DataSteward,
        Method::POST,
        &format!("/api/v1/cases/{}/steps", access["id"].as_str().unwrap()),
        Some(access["revision"].as_i64().unwrap()),
        Some(json!({"action": "approve_allocation", "renewable": false})),
    )
    .await;
    assert_eq!(status, 200, "{access}");
    assert_eq!(access["allocation"]["grants"].as_array().unwrap().len(), 1);
    assert_eq!(
        app.request(Who::Developer, Method::GET, &download)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    // The first progress report was due on 2 April; on the 3rd it is
    // overdue and no more credits can be exchanged.
    set_day(&app, "2026-04-03");
    let (status, body) = as_token(
        &app,
        &hospital,
        Method::POST,
        &exchange,
        None,
        Some(ask(&gpu, 10, "2026-04-03", "2026-06-30")),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("2026-04-02"),
        "{body}"
    );
    // The overdue report shows on the hospital's desk, with its day.
    let session = crate::pages::sign_in(&app, "dev@hospital.kz").await;
    let (status, desk) = crate::pages::page_with(&app, &session, "/developer").await;
    assert_eq!(status, 200);
    let row = desk
        .split("<tr>")
        .find(|r| r.contains(accepted["number"].as_str().unwrap()))
        .unwrap_or_else(|| panic!("no row of the award on the desk: {desk}"));
    assert!(
        row.contains("Overdue") && row.contains("2026-04-02"),
        "{row}"
    );
    // What is left of the award and what it bought are the awardee's to
    // see on its page; the public reads the award itself.
    let award_page = format!("/desk/cases/{}", accepted["id"].as_str().unwrap());
    let (_, own) = crate::pages::page_with(&app, &session, &award_page).await;
    assert!(own.contains("Credits left to exchange"), "{own}");
    let anonymous = app
        .http
        .post(app.url(&exchange))
        .json(&ask(&gpu, 1, "2026-04-03", "2026-04-30"))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(anonymous.as_u16(), 401);
    let (status, public_page) = crate::pages::page_with(&app, "", &award_page).await;
    assert_eq!(status, 200);
    assert!(
        !public_page.contains("Credits left to exchange"),
        "{}",
        &public_page[public_page.find("<main").unwrap_or(0)..]
    );
    assert!(!public_page.contains("ALC-2026-"), "{public_page}");
    let award = reread(&app, &hospital, &accepted).await;
    let (status, reported) = step(
        &app,
        &hospital,
        &award,
        json!({"action": "submit_report", "text": "The first model is trained.",
               "outputs": [{"kind": "model", "title": "Sepsis v1", "reference": "https://models.example.kz/sepsis-v1"}]}),
    )
    .await;
    assert_eq!(status, 200, "{reported}");
    // The awardee cannot accept their own report; the programme can.
    let (status, _) = step(
        &app,
        &hospital,
        &reported,
        json!({"action": "review_report", "accept": true, "reasons": "Mine."}),
    )
    .await;
    assert_eq!(status, 403);
    let (status, reviewed) = step(
        &app,
        &manager,
        &reported,
        json!({"action": "review_report", "accept": true, "reasons": "On track."}),
    )
    .await;
    assert_eq!(status, 200, "{reviewed}");
    let tranches = reviewed["application"]["tranches"].as_array().unwrap();
    assert_eq!(tranches.len(), 2, "{reviewed}");
    assert_eq!(tranches[1]["amount"], 200_000);
    assert_eq!(tranches[1]["after_report"], 0);

    // An extension of the compute, asked by the hospital and granted by the
    // programme; the dataset's was approved as not renewable.
    set_day(&app, "2026-04-20");
    let compute = reread(&app, &hospital, &compute).await;
    let (status, asked) = step(
        &app,
        &hospital,
        &compute,
        json!({"action": "request_extension", "until": "2026-05-31", "reasons": "The second experiment."}),
    )
    .await;
    assert_eq!(status, 200, "{asked}");
    let (status, _) = step(
        &app,
        &provider,
        &asked,
        json!({"action": "decide_extension", "approve": true, "reasons": "Mine to give?"}),
    )
    .await;
    assert_eq!(status, 403, "the programme decides, not the provider");
    let (status, extended) = step(
        &app,
        &manager,
        &asked,
        json!({"action": "decide_extension", "approve": true, "reasons": "Good progress."}),
    )
    .await;
    assert_eq!(status, 200, "{extended}");
    assert_eq!(extended["allocation"]["ends"], "2026-05-31");

    // The sweep reminds of the dataset's last day (30 April) and, after it,
    // ends the dataset's allocation and with it the access; the extended
    // compute runs on.
    assert!(sweep(&app).await >= 1, "a reminder of 30 April is due");
    let forgotten = reread(&app, &hospital, &forgotten).await;
    assert_eq!(forgotten["state"], "refused", "{forgotten}");
    assert!(forgotten["allocation"]["reasons"]
        .as_str()
        .unwrap()
        .contains("did not decide"));
    set_day(&app, "2026-05-01");
    assert!(sweep(&app).await >= 1);
    let access = reread(&app, &hospital, &access).await;
    assert_eq!(access["state"], "expired", "{access}");
    assert_eq!(reread(&app, &hospital, &compute).await["state"], "active");
    assert_eq!(
        app.request(Who::Developer, Method::GET, &download)
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    let inbox = app.read(Who::Developer, "/api/v1/inbox").await;
    let texts = inbox.to_string();
    assert!(texts.contains("can be used until"), "{texts}");
    assert!(texts.contains("has ended"), "{texts}");
    // A second sweep finds nothing more to do today.
    assert_eq!(sweep(&app).await, 0);
    set_day(&app, "2026-06-01");
    sweep(&app).await;
    assert_eq!(reread(&app, &hospital, &compute).await["state"], "expired");

    // The register rebuilt from the log is the same.
    let before = app.store.fingerprint().await.unwrap();
    app.store
        .execute(Actor::operator(), Command::Rebuild)
        .await
        .unwrap();
    assert_eq!(before, app.store.fingerprint().await.unwrap());
}

/// The providers' technical assessment: the hospital's application names
/// 1,000 GPU-hours of the centre's pool; admission asks the centre to
/// assess them, and no award is made before it has; another organisation
/// cannot assess them; once assessed feasible and awarded, the exchange is
/// provisioned at once, with no second wait, up to the units assessed.
pub(crate) async fn a_resource_assessed_in_review_is_provisioned_at_once(app: TestApp) {
    let manager = manager(&app).await;
    let (_, programme) = as_token(
        &app,
        &manager,
        Method::POST,
        "/api/v1/programmes",
        None,
        Some(json!({"kind": "compute", "title": {"en": "National compute for AI"}})),
    )
    .await;
    let (_, call) = as_token(
        &app,
        &manager,
        Method::POST,
        &format!(
            "/api/v1/programmes/{}/calls",
            programme["id"].as_str().unwrap()
        ),
        None,
        Some(call_json()),
    )
    .await;
    let centre = app.organisation("Compute centre", "20094000019").await;
    let (_, provider) = app
        .account_with_token("ops@compute.kz", vec![Role::ResourceProvider], Some(centre))
        .await;
    let (_, gpu) = as_token(
        &app,
        &provider,
        Method::POST,
        "/api/v1/platform-resources",
        None,
        Some(json!({"kind": "compute_pool", "title": {"en": "A100 pool"},
            "unit": "gpu_hours", "capacity": 5000, "credits_per_unit": 100})),
    )
    .await;
    let gpu_id = gpu["id"].as_str().unwrap().to_string();
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
    let hospital = app.token(Who::Developer).unwrap().to_string();
    let apply = |resources: Value| {
        json!({"title": "Sepsis warning", "sectors": ["healthcare"], "requested": 400000,
            "answers": [{"question": "plan", "value": "Retrain on 2025 admissions."}],
            "resources": resources})
    };
    let applications = format!(
        "/api/v1/calls/{}/applications",
        call["id"].as_str().unwrap()
    );
    // An unknown resource, or one named twice, is refused and named.
    let (status, body) = as_token(
        &app,
        &hospital,
        Method::POST,
        &applications,
        None,
        Some(apply(
            json!([{"resource_id": "01910000-0000-7000-8000-000000000000", "units": 10}]),
        )),
    )
    .await;
    assert_eq!(
        (status, fields(&body)),
        (422, vec!["resources[0].resource_id".to_string()]),
        "{body}"
    );
    let (status, body) = as_token(
        &app,
        &hospital,
        Method::POST,
        &applications,
        None,
        Some(apply(
            json!([{"resource_id": gpu_id, "units": 10}, {"resource_id": gpu_id, "units": 0}]),
        )),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        fields(&body),
        vec![
            "resources[1].resource_id".to_string(),
            "resources[1].units".to_string()
        ]
    );
    let (status, draft) = as_token(
        &app,
        &hospital,
        Method::POST,
        &applications,
        None,
        Some(apply(json!([{"resource_id": gpu_id, "units": 1000}]))),
    )
    .await;
    assert_eq!(status, 201, "{draft}");
    let case = step(
        &app,
        &hospital,
        &draft,
        json!({"action": "submit_application"}),
    )
    .await
    .1;
    let (status, mut case) = step(&app, &manager, &case, json!({"action": "admit"})).await;
    assert_eq!(status, 200, "{case}");
    let assessments = case["application"]["assessments"].as_array().unwrap();
    assert_eq!(assessments.len(), 1);
    assert_eq!(
        assessments[0]["provider_organisation_id"],
        centre.to_string()
    );
    assert_eq!(assessments[0].get("feasible"), None);
    let inbox = as_token(&app, &provider, Method::GET, "/api/v1/inbox", None, None)
        .await
        .1;
    assert!(
        inbox
            .to_string()
            .contains("assess whether it can be provided"),
        "{inbox}"
    );
    for t in &experts {
        case = step(
            &app,
            t,
            &case,
            json!({"action": "declare_interest", "conflict": false}),
        )
        .await
        .1;
        let (status, next) = step(
            &app,
            t,
            &case,
            json!({"action": "score", "marks": [
                {"criterion": "excellence", "mark": 5, "reason": "Clear method."},
                {"criterion": "impact", "mark": 4, "reason": "Every regional hospital."}
            ]}),
        )
        .await;
        assert_eq!(status, 200, "{next}");
        case = next;
    }
    let decide = json!({"action": "decide_application", "outcome": "award", "usable_until": "2026-12-31", "reasons": "Ranked first."});
    let (status, body) = step(&app, &manager, &case, decide.clone()).await;
    assert_eq!(
        status, 409,
        "no award before the provider's assessment: {body}"
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("technical assessment"),
        "{body}"
    );

    // The provider reads what is asked, not the answers; the bank's steward
    // (another organisation) cannot assess the centre's pool.
    let (status, seen) = as_token(
        &app,
        &provider,
        Method::GET,
        &format!("/api/v1/cases/{}", case["id"].as_str().unwrap()),
        None,
        None,
    )
    .await;
    assert_eq!(status, 200, "{seen}");
    assert_eq!(seen["application"]["answers"], json!([]));
    assert_eq!(seen["application"]["resources"][0]["units"], 1000);
    let assess = json!({"action": "assess_feasibility", "resource_id": gpu_id, "feasible": true,
        "note": "1,000 GPU-hours fit the second quarter's plan."});
    let steward = app.token(Who::DataSteward).unwrap().to_string();
    assert_eq!(step(&app, &steward, &case, assess.clone()).await.0, 403);
    let (status, body) = step(
        &app,
        &provider,
        &case,
        json!({"action": "assess_feasibility",
        "resource_id": gpu_id, "feasible": true, "note": " "}),
    )
    .await;
    assert_eq!((status, fields(&body)), (422, vec!["note".to_string()]));
    // The provider's queue lists it until it is assessed.
    let queue = |token: String| {
        let app = &app;
        async move {
            let (status, body) = as_token(
                app,
                &token,
                Method::GET,
                "/api/v1/applications/to-assess",
                None,
                None,
            )
            .await;
            assert_eq!(status, 200, "{body}");
            body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    let id = case["id"].as_str().unwrap().to_string();
    assert_eq!(queue(provider.clone()).await, [id]);
    assert_eq!(queue(steward.clone()).await, Vec::<String>::new());
    let (status, case) = step(&app, &provider, &case, assess).await;
    assert_eq!(status, 200, "{case}");
    assert_eq!(case["application"]["assessments"][0]["feasible"], true);
    assert_eq!(queue(provider.clone()).await, Vec::<String>::new());
    let (status, case) = step(&app, &manager, &case, decide).await;
    assert_eq!(status, 200, "{case}");
    let (status, _) = step(&app, &hospital, &case, json!({"action": "accept_award"})).await;
    assert_eq!(status, 200);

    // The exchange the provider assessed is provisioned at once; beyond
    // the units assessed, the provider decides as usual.
    let exchange = format!(
        "/api/v1/applications/{}/allocations",
        case["id"].as_str().unwrap()
    );
    let (status, first) = as_token(&app, &hospital, Method::POST, &exchange, None,
        Some(json!({"resource_id": gpu_id, "units": 800, "starts": "2026-03-02", "ends": "2026-06-30"}))).await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["state"], "active", "no second wait: {first}");
    assert!(first["allocation"]["approved_at"].is_string());
    let (status, second) = as_token(&app, &hospital, Method::POST, &exchange, None,
        Some(json!({"resource_id": gpu_id, "units": 300, "starts": "2026-03-02", "ends": "2026-06-30"}))).await;
    assert_eq!(status, 201, "{second}");
    assert_eq!(
        second["state"], "requested",
        "800 + 300 is more than the 1,000 assessed"
    );
}
