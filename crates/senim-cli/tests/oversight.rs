//! The oversight stories from the command line, against `senim serve --demo`
//! as the README starts it: a hospital registers a high-risk triage system,
//! two reviewers are assigned and one declares a conflict and is replaced,
//! information is requested and supplied, both recommend, the supervisor
//! registers it; a citizen reports an incident and follows it; an audit
//! finds a defect; a sanction is imposed and an appeal changes it. Every
//! receipt verifies, and so does the whole log.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{fresh_postgres_url, senim, start, Server};
use serde_json::Value;

/// Runs a command that must succeed; returns its standard output.
fn run(server: &Server, token: &str, args: &[&str]) -> String {
    let (ok, out, err) = senim(server, Some(token), args, None);
    assert!(ok, "senim {args:?} failed: {err}");
    out
}

fn json(server: &Server, token: &str, args: &[&str]) -> Value {
    serde_json::from_str(&run(server, token, args)).unwrap()
}

/// The id on the `  id:` line of a printed case.
fn case_id(printed: &str) -> String {
    printed
        .lines()
        .find_map(|l| l.trim().strip_prefix("id:"))
        .unwrap_or_else(|| panic!("no id in {printed}"))
        .trim()
        .to_string()
}

const TRIAGE: &str = r#"
[name]
en = "Emergency triage assistant"
ru = "Помощник сортировки в приёмном отделении"

[profile]
sectors = ["healthcare"]
functions = ["decision_support"]
autonomy = "low"
affects = ["health"]
failure_impact = "severe"
personal_data = true
special_categories = ["health"]

[documentation]
purpose = "Orders the emergency queue by urgency."
intended_users = "Triage nurses."
model_type = "Gradient-boosted trees."
development_method = "Trained on anonymised admissions."
limitations = "Not validated for children under 2."
known_failure_modes = "Under-triage of atypical presentations."
training_data = "120,000 anonymised admissions, 2019-2024."
testing_data = "Held-out 2024 admissions."
human_oversight = "A nurse confirms every ordering."
performance = "Under-triage 3.1%."
deployment_context = "Emergency department of the city hospital."
user_disclosure = "Patients are told at registration."
rights_contact = "rights@hospital.demo"
"#;

fn story(server: Server, data_dir: &str) {
    let developer = common::login(&server, "developer@hospital.demo");
    let supervisor = common::login(&server, "supervisor@ministry.demo");
    let supervisor2 = common::login(&server, "supervisor2@ministry.demo");
    let auditor = common::login(&server, "auditor@audit.demo");
    let experts: Vec<String> = [
        "expert@ministry.demo",
        "expert2@ministry.demo",
        "expert3@ministry.demo",
    ]
    .iter()
    .map(|e| common::login(&server, e))
    .collect();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("triage.toml");
    std::fs::write(&file, TRIAGE).unwrap();

    // Register and submit.
    let out = run(
        &server,
        &developer,
        &[
            "system",
            "register",
            "--file",
            file.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    let system: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(system["classification"]["risk_level"], "high");
    let system_id = system["system"]["id"].as_str().unwrap().to_string();
    let first_receipt = dir.path().join("submitted.json");
    let out = run(
        &server,
        &developer,
        &[
            "case",
            "submit",
            &system_id,
            "--receipt",
            first_receipt.to_str().unwrap(),
        ],
    );
    assert!(out.contains("in_expert_review"), "{out}");
    let case = case_id(&out);

    // Which experts got it (each sees it in their own queue).
    let assigned = |experts: &[String]| -> Vec<usize> {
        (0..experts.len())
            .filter(|i| {
                let queue = json(
                    &server,
                    &experts[*i],
                    &["case", "list", "--mine", "--open", "--format", "json"],
                );
                queue["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|c| c["id"] == case.as_str())
            })
            .collect()
    };
    let first = assigned(&experts);
    assert_eq!(first.len(), 2, "four eyes");
    // One declares a conflict and is replaced.
    run(
        &server,
        &experts[first[0]],
        &[
            "case",
            "step",
            &case,
            "declare",
            "conflict=true",
            "statement=My spouse works in this hospital's IT department.",
        ],
    );
    let now = assigned(&experts);
    assert_eq!(now.len(), 2);
    assert!(!now.contains(&first[0]));
    // Both declare; one asks for information; the developer answers.
    for i in &now {
        run(
            &server,
            &experts[*i],
            &["case", "step", &case, "declare", "conflict=false"],
        );
    }
    let dossier = json(&server, &experts[now[0]], &["case", "dossier", &case]);
    assert!(dossier["version"]["documentation"]["training_data"].is_string());
    let out = run(
        &server,
        &experts[now[0]],
        &[
            "case",
            "step",
            &case,
            "request_information",
            "questions=Which validation data do you have?",
        ],
    );
    assert!(out.contains("information_requested"), "{out}");
    let out = run(
        &server,
        &developer,
        &[
            "case",
            "step",
            &case,
            "respond",
            "answer=Held-out 2024 admissions; see testing_data.",
        ],
    );
    assert!(out.contains("in_expert_review"), "{out}");
    // Both check and recommend; the supervisor registers it.
    for i in &now {
        run(&server, &experts[*i], &["case", "check-all", &case]);
        run(
            &server,
            &experts[*i],
            &[
                "case",
                "step",
                &case,
                "recommend",
                "verdict=register",
                "reasons=Complete documentation; oversight by a nurse.",
            ],
        );
    }
    let decided = dir.path().join("decided.json");
    let out = run(
        &server,
        &supervisor,
        &[
            "case",
            "step",
            &case,
            "decide",
            "verdict=register",
            "reasons=Both reviewers recommend.",
            "--receipt",
            decided.to_str().unwrap(),
        ],
    );
    assert!(out.contains("registered"), "{out}");
    let shown = json(
        &server,
        &developer,
        &["system", "show", &system_id, "--format", "json"],
    );
    let number = shown["system"]["registry_number"].as_str().unwrap();
    assert!(number.starts_with("KZ-AI-"), "{number}");

    // A refused step names the state and changes nothing.
    let (ok, _, err) = senim(
        &server,
        Some(&supervisor),
        &[
            "case",
            "step",
            &case,
            "decide",
            "verdict=refuse",
            "reasons=x",
        ],
        None,
    );
    assert!(!ok && err.contains("registered"), "{err}");

    // A citizen reports an incident with no account and follows it.
    let (ok, code, err) = senim(
        &server,
        None,
        &[
            "report",
            "file",
            "--type",
            "incident",
            "--system",
            &system_id,
            "--description",
            "My father waited four hours with chest pain; the assistant ranked him low.",
            "--email",
            "son@example.kz",
        ],
        None,
    );
    assert!(ok, "{err}");
    let code = code.trim().to_string();
    let (ok, status, _) = senim(&server, None, &["report", "status", &code], None);
    assert!(ok && status.contains("received"), "{status}");
    let reports = json(
        &server,
        &supervisor,
        &[
            "case", "list", "--kind", "report", "--open", "--system", &system_id, "--format",
            "json",
        ],
    );
    let report = reports["items"][0]["id"].as_str().unwrap().to_string();
    run(
        &server,
        &supervisor,
        &[
            "case",
            "step",
            &report,
            "triage",
            "severity=high",
            &format!("systems=[\"{system_id}\"]"),
        ],
    );

    // An audit for cause finds a defect; the owner answers; the report prints.
    let auditor_id = json(&server, &auditor, &["me"])["id"]
        .as_str()
        .unwrap()
        .to_string();
    let out = run(
        &server,
        &supervisor,
        &[
            "case",
            "audit",
            "--system",
            &system_id,
            "--auditor",
            &auditor_id,
            "--basis",
            "for_cause",
        ],
    );
    let audit = case_id(&out);
    run(
        &server,
        &auditor,
        &[
            "case",
            "step",
            &audit,
            "finding",
            "item=human-oversight",
            "severity=high",
            "description=Nurses confirm the ordering only on the day shift.",
            r#"corrective_action={"description": "Confirm every ordering on every shift.", "working_days": 10}"#,
        ],
    );
    run(
        &server,
        &developer,
        &[
            "case",
            "step",
            &audit,
            "respond_finding",
            "finding=1",
            "response=Night shift added on 1 December.",
        ],
    );
    run(
        &server,
        &auditor,
        &[
            "case",
            "step",
            &audit,
            "close_audit",
            "conclusion=One high finding, answered.",
        ],
    );
    let page = dir.path().join("audit.html");
    run(
        &server,
        &developer,
        &[
            "case",
            "audit-report",
            &audit,
            "--out",
            page.to_str().unwrap(),
        ],
    );
    assert!(std::fs::read_to_string(&page)
        .unwrap()
        .contains("Night shift added"));

    // The report is escalated; the investigation fines the hospital (large: 100 MCI).
    let escalated = json(
        &server,
        &supervisor,
        &[
            "case",
            "step",
            &report,
            "escalate",
            "reasons=The audit confirmed the defect.",
            "--format",
            "json",
        ],
    );
    let investigation = escalated["report"]["investigation"]
        .as_str()
        .unwrap()
        .to_string();
    let out = run(
        &server,
        &supervisor,
        &[
            "case",
            "step",
            &investigation,
            "decide_violation",
            "obligation=human-oversight",
            "description=No human confirmation at night.",
            "sanction=fine",
            "reasons=Harm to a patient.",
        ],
    );
    assert!(out.contains("fine 100 MCI = 432500 KZT"), "{out}");
    let (ok, status, _) = senim(&server, None, &["report", "status", &code], None);
    assert!(ok && status.contains("escalated"), "{status}");
    // The owner appeals; the appeal changes the fine into a suspension.
    run(
        &server,
        &developer,
        &[
            "case",
            "step",
            &investigation,
            "appeal",
            "grounds=The night shift was understaffed by the city.",
        ],
    );
    let out = run(
        &server,
        &supervisor2,
        &[
            "case",
            "step",
            &investigation,
            "decide_appeal",
            "outcome=change",
            "sanction=suspension",
            "reasons=Suspend until every shift confirms.",
        ],
    );
    assert!(out.contains("final") && out.contains("suspension"), "{out}");
    let shown = json(
        &server,
        &developer,
        &["system", "show", &system_id, "--format", "json"],
    );
    assert_eq!(shown["system"]["status"], "suspended");
    let (ok, decisions, _) = senim(&server, None, &["public", "decisions"], None);
    assert!(ok && decisions.contains(&investigation), "{decisions}");
    let inbox = run(&server, &developer, &["inbox"]);
    assert!(inbox.contains("investigation.appeal_decided"), "{inbox}");

    // Every receipt verifies offline, and the whole log verifies.
    let (ok, vkey, err) = senim(&server, None, &["log", "key", "--data-dir", data_dir], None);
    assert!(ok, "{err}");
    let vkey = vkey.trim().to_string();
    for receipt in [&first_receipt, &decided] {
        let (ok, out, err) = senim(
            &server,
            None,
            &[
                "verify",
                "--receipt",
                receipt.to_str().unwrap(),
                "--vkey",
                &vkey,
            ],
            None,
        );
        assert!(ok, "{out}{err}");
    }
    let (ok, out, err) = senim(
        &server,
        None,
        &["verify", "--server", &server.url, "--vkey", &vkey],
        None,
    );
    assert!(ok, "{out}{err}");
}

#[test]
fn oversight_stories_from_the_cli_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_str().unwrap();
    story(start(&["--data-dir", data_dir]), data_dir);
}

#[test]
fn oversight_stories_from_the_cli_on_postgres() {
    let url = fresh_postgres_url("oversight");
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().to_str().unwrap();
    story(
        start(&["--database-url", &url, "--data-dir", data_dir]),
        data_dir,
    );
}
