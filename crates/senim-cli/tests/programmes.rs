//! The support programmes from the command line, against `senim serve
//! --demo`: a programme manager creates a programme and publishes a call
//! from TOML files (a bad rule is named with its line), a developer applies
//! from a TOML file and submits with `senim case step`, the manager finds
//! it in the queue and admits it; the public reads the call and its awards;
//! a resource provider offers a resource and reports usage.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{senim, start, Server};
use serde_json::Value;

fn run(server: &Server, token: Option<&str>, args: &[&str]) -> String {
    let (ok, out, err) = senim(server, token, args, None);
    assert!(ok, "senim {args:?} failed: {err}");
    out
}

const TERMS: &str = r#"
title = { en = "Teaching AI in regional colleges", ru = "Обучение ИИ в региональных колледжах" }
opens = "2026-01-05"
closes = "2099-12-31"
budget = { unit = "tiyn", amount = 1000000000 }
evaluation = "on_arrival"
reviewers = 2
pass_threshold = 60
reports_after_months = [6]
min_usable_days = 90

[[rubric]]
id = "quality"
title = { en = "Quality of the syllabus" }
weight = 100
scale = 5

[[questions]]
id = "syllabus"
text = { en = "The syllabus, week by week" }
answer = "text"
required = true
"#;

const RULES: &str = r#"
[[rules]]
id = "not_a_state_body"
text = { kk = "Мемлекеттік орган емес", ru = "Не государственный орган", en = "Not a state body" }
requires = { not = { field = "organisation_kind", is = "state_body" } }
"#;

const APPLICATION: &str = r#"
title = "A twelve-week course on trustworthy AI"
summary = "For nurses and doctors of the city hospital."
sectors = ["healthcare", "education"]
requested = 150000000

[[answers]]
question = "syllabus"
value = "Weeks 1-4: data; 5-8: models; 9-12: oversight and the law."
"#;

#[test]
fn a_call_is_published_applied_to_and_admitted_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(&["--data-dir", dir.path().join("data").to_str().unwrap()]);
    let manager = common::login(&server, "programmes@platform.demo");
    let developer = common::login(&server, "developer@hospital.demo");

    let list: Value = serde_json::from_str(&run(&server, None, &["programme", "list"])).unwrap();
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        4,
        "the demo's programmes: compute, research, education, sandbox"
    );
    let created: Value = serde_json::from_str(&run(
        &server,
        Some(&manager),
        &[
            "programme",
            "create",
            "--kind",
            "education",
            "--title-en",
            "AI literacy",
        ],
    ))
    .unwrap();
    let programme = created["id"].as_str().unwrap().to_string();

    let terms = dir.path().join("terms.toml");
    std::fs::write(&terms, TERMS).unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[[rules]]\nid = \"x\"\ntext = { en = \"X\" }\nrequires = { field = \"colour\", is = \"red\" }\n").unwrap();
    let (ok, _, err) = senim(
        &server,
        Some(&manager),
        &[
            "programme",
            "publish-call",
            &programme,
            "--terms",
            terms.to_str().unwrap(),
            "--eligibility",
            bad.to_str().unwrap(),
        ],
        None,
    );
    assert!(!ok);
    assert!(
        err.contains("eligibility:4"),
        "the bad rule's line is named: {err}"
    );
    let rules = dir.path().join("rules.toml");
    std::fs::write(&rules, RULES).unwrap();
    let call: Value = serde_json::from_str(&run(
        &server,
        Some(&manager),
        &[
            "programme",
            "publish-call",
            &programme,
            "--terms",
            terms.to_str().unwrap(),
            "--eligibility",
            rules.to_str().unwrap(),
        ],
    ))
    .unwrap();
    let call_id = call["id"].as_str().unwrap().to_string();
    assert!(call["number"].as_str().unwrap().starts_with("CALL-"));

    let file = dir.path().join("application.toml");
    std::fs::write(&file, APPLICATION).unwrap();
    let draft: Value = serde_json::from_str(&run(
        &server,
        Some(&developer),
        &[
            "programme",
            "apply",
            &call_id,
            "--file",
            file.to_str().unwrap(),
        ],
    ))
    .unwrap();
    let case = draft["id"].as_str().unwrap().to_string();
    let out = run(
        &server,
        Some(&developer),
        &["case", "step", &case, "submit_application"],
    );
    assert!(out.contains("submitted"), "{out}");

    let queue: Value =
        serde_json::from_str(&run(&server, Some(&manager), &["programme", "managed"])).unwrap();
    assert!(queue["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["id"] == case.as_str()));
    let out = run(&server, Some(&manager), &["case", "step", &case, "admit"]);
    assert!(out.contains("in_review"), "{out}");

    let shown: Value =
        serde_json::from_str(&run(&server, None, &["programme", "call", &call_id])).unwrap();
    assert_eq!(shown["status"], "open");
    assert_eq!(shown["figures"]["applications"], 1);
    let csv = run(&server, None, &["programme", "awards", &call_id]);
    assert!(csv.starts_with("number,organisation_id,title"), "{csv}");

    // The Platform's resources; the compute team offers one more from a
    // TOML file, finds the demo's running allocation and reports a day's use.
    let compute = common::login(&server, "compute@platform.demo");
    let resources: Value =
        serde_json::from_str(&run(&server, None, &["programme", "resources"])).unwrap();
    assert_eq!(
        resources["items"].as_array().unwrap().len(),
        3,
        "{resources}"
    );
    let offer = dir.path().join("resource.toml");
    std::fs::write(
        &offer,
        "kind = \"compute_pool\"\ntitle = { en = \"CPU nodes\" }\nunit = \"cpu_hours\"\ncapacity = 100000\ncredits_per_unit = 2\n",
    )
    .unwrap();
    let offered: Value = serde_json::from_str(&run(
        &server,
        Some(&compute),
        &["programme", "offer", "--file", offer.to_str().unwrap()],
    ))
    .unwrap();
    assert_eq!(offered["unit"], "cpu_hours");
    let provided: Value =
        serde_json::from_str(&run(&server, Some(&compute), &["programme", "provided"])).unwrap();
    let running = provided["items"][0]["id"].as_str().unwrap().to_string();
    let used_before = provided["items"][0]["allocation"]["used"].as_i64().unwrap();
    let today = provided["items"][0]["allocation"]["usage"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()["day"]
        .as_str()
        .unwrap()
        .to_string();
    let after: Value = serde_json::from_str(&run(
        &server,
        Some(&compute),
        &[
            "programme",
            "usage",
            &running,
            "--day",
            &today,
            "--units",
            "5",
        ],
    ))
    .unwrap();
    assert_eq!(
        after["allocation"]["used"].as_i64().unwrap(),
        used_before + 5
    );
    // Beyond what is left is refused, naming the field.
    let (ok, _, err) = senim(
        &server,
        Some(&compute),
        &[
            "programme",
            "usage",
            &running,
            "--day",
            &today,
            "--units",
            "99999",
        ],
        None,
    );
    assert!(!ok);
    assert!(err.contains("units"), "{err}");
}
