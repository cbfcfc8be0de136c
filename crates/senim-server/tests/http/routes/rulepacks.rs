//! `/api/v1/classify`, `/api/v1/rulepacks`, and classification on systems.

use reqwest::Method;

use crate::helpers::{error_fields, system_json, TestApp, Who};

crate::on_both_backends!(
    classify_is_public_and_speaks_three_languages,
    classify_names_unknown_fields_and_values,
    packs_are_served_as_data_with_citations,
    every_version_is_classified_with_a_gap_report,
    publishing_reclassifies_and_reports_changes,
    a_bad_pack_is_refused_with_lines_and_nothing_changes,
);

const SEED: &str = include_str!("../../../../../rulepacks/kz-seed-2025.toml");

fn triage_profile() -> serde_json::Value {
    system_json("Triage")["profile"].clone()
}

async fn classify_is_public_and_speaks_three_languages(app: TestApp) {
    let mut texts = Vec::new();
    for lang in ["kk", "ru", "en"] {
        let r = app
            .request(Who::Anonymous, Method::POST, "/api/v1/classify")
            .json(&serde_json::json!({"profile": triage_profile(), "lang": lang}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let c: serde_json::Value = r.json().await.unwrap();
        assert_eq!(
            c["pack"]["id"], "kz-seed-2025",
            "the pack in force by default"
        );
        assert_eq!(c["risk_level"], "high");
        assert_eq!(c["registration_required"], true);
        assert_eq!(c["expert_review_required"], true);
        assert!(
            c["reviewers"].as_u64().unwrap() >= 2,
            "four eyes for high risk"
        );
        let first = &c["rationale"][0];
        assert!(first["citation"]["source"].as_str().unwrap().len() > 10);
        texts.push(first["text"].as_str().unwrap().to_string());
    }
    assert!(
        texts[0] != texts[2] && texts[1] != texts[2],
        "the rationale is translated: {texts:?}"
    );
    for pack in ["kz-230-viii", "eu-ai-act"] {
        let c: serde_json::Value = app
            .request(Who::Anonymous, Method::POST, "/api/v1/classify")
            .json(&serde_json::json!({"pack": pack, "profile": triage_profile()}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(c["pack"]["id"], pack);
    }
}

async fn classify_names_unknown_fields_and_values(app: TestApp) {
    let mut profile = triage_profile();
    profile["sectors"] = serde_json::json!(["healthcare", "astrology"]);
    let r = app
        .request(Who::Anonymous, Method::POST, "/api/v1/classify")
        .json(&serde_json::json!({"profile": profile}))
        .send()
        .await
        .unwrap();
    let (status, _, fields) = error_fields(r).await;
    assert_eq!(status, 422);
    assert_eq!(fields[0].0, "profile.sectors[1]");
    assert!(
        fields[0].1.contains("urban_infrastructure"),
        "the allowed values are listed: {fields:?}"
    );
    let mut profile = triage_profile();
    profile["mood"] = "happy".into();
    let r = app
        .request(Who::Anonymous, Method::POST, "/api/v1/classify")
        .json(&serde_json::json!({"profile": profile}))
        .send()
        .await
        .unwrap();
    let (status, _, fields) = error_fields(r).await;
    assert_eq!((status, fields[0].0.as_str()), (422, "profile.mood"));
    let r = app
        .request(Who::Anonymous, Method::POST, "/api/v1/classify")
        .json(&serde_json::json!({"pack": "kz-2099", "profile": triage_profile()}))
        .send()
        .await
        .unwrap();
    let (status, _, fields) = error_fields(r).await;
    assert_eq!((status, fields[0].0.as_str()), (422, "pack"));
    assert!(fields[0].1.contains("eu-ai-act"));
}

async fn packs_are_served_as_data_with_citations(app: TestApp) {
    let list: serde_json::Value = app.read(Who::Anonymous, "/api/v1/rulepacks").await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    assert_eq!(items.iter().filter(|p| p["in_force"] == true).count(), 1);
    let pack: serde_json::Value = app
        .read(Who::Anonymous, "/api/v1/rulepacks/kz-230-viii/1.0.0")
        .await;
    assert_eq!(pack["id"], "kz-230-viii");
    assert!(pack["citations"].as_array().unwrap().len() > 5);
    assert!(pack["content"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["citation"].is_string()));
    assert!(pack["source"].as_str().unwrap().contains("[[rules]]"));
    let missing = app
        .request(
            Who::Anonymous,
            Method::GET,
            "/api/v1/rulepacks/kz-230-viii/9.9.9",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

async fn every_version_is_classified_with_a_gap_report(app: TestApp) {
    let created = app
        .request(Who::Developer, Method::POST, "/api/v1/systems?lang=ru")
        .json(&system_json("Triage"))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let body: serde_json::Value = created.json().await.unwrap();
    assert_eq!(body["system"]["risk_level"], "high");
    assert_eq!(body["classification"]["lang"], "ru");
    let gaps: Vec<&str> = body["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["item"].as_str().unwrap())
        .collect();
    assert!(
        gaps.contains(&"human_oversight") && gaps.contains(&"limitations"),
        "{gaps:?}"
    );
    assert!(!gaps.contains(&"purpose"), "purpose is documented");
    assert!(body["gaps"][0]["citations"][0]["source"].is_string());
    let id = body["system"]["id"].as_str().unwrap().to_string();
    // Read by its owner: a draft is its organisation's own.
    let high: serde_json::Value = app
        .read(Who::Developer, "/api/v1/systems?risk_level=high")
        .await;
    assert_eq!(
        high["total"], 1,
        "the risk level filter works once systems are classified"
    );
    let mut spam = system_json("Spam filter");
    spam["profile"] = serde_json::json!({"sectors": ["consumer"], "functions": ["other"], "autonomy": "high",
        "affects": ["none"], "failure_impact": "minimal"});
    let v2 = app
        .request(
            Who::Developer,
            Method::POST,
            &format!("/api/v1/systems/{id}/versions"),
        )
        .header("If-Match", "1")
        .json(&spam)
        .send()
        .await
        .unwrap();
    let v2: serde_json::Value = v2.json().await.unwrap();
    assert_eq!(v2["system"]["risk_level"], "minimal");
    let history: serde_json::Value = app
        .read(
            Who::Developer,
            &format!("/api/v1/systems/{id}/classifications"),
        )
        .await;
    let levels: Vec<&str> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["outcome"]["risk_level"].as_str().unwrap())
        .collect();
    assert_eq!(levels, ["high", "minimal"]);
}

pub(super) fn stricter_seed(version: &str) -> String {
    // The new version makes every healthcare system prohibited: a change big
    // enough that each classified system's outcome moves.
    let mut text = SEED.replacen(
        "version = \"1.0.0\"",
        &format!("version = \"{version}\""),
        1,
    );
    text.push_str(
        r#"
[[rules]]
id = "test-healthcare-ban"
citation = "seed-5"
risk = "prohibited"
prohibited = ["test-healthcare-ban"]
when = { field = "sectors", has = "healthcare" }
[rules.rationale]
kk = "Сынақ."
ru = "Тест."
en = "Test ban."
"#,
    );
    text
}

async fn publishing_reclassifies_and_reports_changes(app: TestApp) {
    let client = app.client(Who::Developer);
    let input: senim_domain::SystemInput = serde_json::from_value(system_json("Triage")).unwrap();
    let id = client
        .register_system(&input)
        .await
        .unwrap()
        .value
        .system
        .id
        .to_string();
    let forbidden = app
        .request(Who::Developer, Method::POST, "/api/v1/rulepacks")
        .json(&serde_json::json!({"source": stricter_seed("1.1.0")}))
        .send()
        .await
        .unwrap();
    assert_eq!(forbidden.status(), 403, "only supervisors publish");
    let dry: serde_json::Value = app
        .request(Who::Supervisor, Method::POST, "/api/v1/rulepacks")
        .json(&serde_json::json!({"source": stricter_seed("1.1.0"), "dry_run": true}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(dry["changed"].as_array().unwrap().len(), 1);
    let still: serde_json::Value = client
        .system(&id)
        .await
        .map(|t| serde_json::to_value(t.value).unwrap())
        .unwrap();
    assert_eq!(
        still["system"]["risk_level"], "high",
        "a dry run changes nothing"
    );
    let published = app
        .request(Who::Supervisor, Method::POST, "/api/v1/rulepacks")
        .json(&serde_json::json!({"source": stricter_seed("1.1.0")}))
        .send()
        .await
        .unwrap();
    assert_eq!(published.status(), 201);
    let report: serde_json::Value = published.json().await.unwrap();
    assert_eq!(report["in_force"], true);
    assert_eq!(report["reclassified"], 1);
    assert_eq!(report["previous"]["version"], "1.0.0");
    let change = &report["changed"][0];
    assert_eq!(change["system_id"], id);
    assert_eq!(change["name"], "Triage", "the report names the system");
    assert_eq!(
        (
            change["from_risk_level"].as_str(),
            change["to_risk_level"].as_str()
        ),
        (Some("high"), Some("prohibited"))
    );
    assert_eq!(
        change["rules_added"],
        serde_json::json!(["test-healthcare-ban"]),
        "the rule that made the difference"
    );
    let now: serde_json::Value = app
        .read(Who::Developer, &format!("/api/v1/systems/{id}"))
        .await;
    assert_eq!(now["system"]["risk_level"], "prohibited");
    assert_eq!(now["classification"]["pack"]["version"], "1.1.0");
    let history: serde_json::Value = app
        .read(
            Who::Developer,
            &format!("/api/v1/systems/{id}/classifications"),
        )
        .await;
    let versions: Vec<&str> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["outcome"]["pack"]["version"].as_str().unwrap())
        .collect();
    assert_eq!(
        versions,
        ["1.0.0", "1.1.0"],
        "the previous classification stays in the history"
    );
    let again = app
        .request(Who::Supervisor, Method::POST, "/api/v1/rulepacks")
        .json(&serde_json::json!({"source": stricter_seed("1.1.0")}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        again.status(),
        409,
        "a published version cannot be replaced"
    );
    let events = app.store.events_of("system", &id).await.unwrap();
    assert_eq!(events.last().unwrap().kind, "system.reclassified");
    let classify: serde_json::Value = app
        .request(Who::Anonymous, Method::POST, "/api/v1/classify")
        .json(&serde_json::json!({"profile": triage_profile()}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        classify["risk_level"], "prohibited",
        "the new version is in force"
    );
}

async fn a_bad_pack_is_refused_with_lines_and_nothing_changes(app: TestApp) {
    let bad = stricter_seed("2.0.0").replace(
        "when = { field = \"sectors\", has = \"healthcare\" }",
        "when = { field = \"sectors\", has = \"hospitals\" }",
    );
    let r = app
        .request(Who::Supervisor, Method::POST, "/api/v1/rulepacks")
        .json(&serde_json::json!({"source": bad}))
        .send()
        .await
        .unwrap();
    let (status, _, fields) = error_fields(r).await;
    assert_eq!(status, 422);
    assert!(fields[0].0.starts_with("source:"), "{fields:?}");
    assert!(fields[0].1.contains("hospitals"), "{fields:?}");
    let r = app
        .request(Who::Supervisor, Method::POST, "/api/v1/rulepacks")
        .json(&serde_json::json!({"source": "this is = not [ toml"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let list: serde_json::Value = app.read(Who::Anonymous, "/api/v1/rulepacks").await;
    let in_force: Vec<&serde_json::Value> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["in_force"] == true)
        .collect();
    assert_eq!(
        in_force[0]["version"], "1.0.0",
        "the pack in force stays in force"
    );
}
