//! The data library's datasets and requests for restricted data.

use reqwest::Method;
use serde_json::{json, Value};

use senim_store::{Actor, Applied, Command};

use crate::helpers::{error_fields, system_json, TestApp, Who};

crate::on_both_backends!(
    stewards_describe_datasets_and_anyone_reads_them,
    restricted_data_is_requested_and_granted,
);

pub fn dataset_json(title: &str, access: &str) -> Value {
    json!({
        "title": {"en": title, "ru": "Госпитализации"},
        "description": {"en": "Anonymised hospital admissions, one row per stay."},
        "keywords": ["health", "admissions"],
        "themes": ["health"],
        "spatial": "Almaty",
        "temporal": {"start": "2019-01-01", "end": "2024-12-31"},
        "licence": "CC-BY-4.0",
        "producer": {"name": "City Hospital No. 1", "bin": crate::helpers::bin("94054000013")},
        "provenance": "Exported from the hospital information system; identifiers removed.",
        "personal_data": true,
        "legal_basis": "anonymised",
        "training_opt_out": false,
        "access": access,
        "version": "1.0"
    })
}

async fn send(
    app: &TestApp,
    who: Who,
    method: Method,
    path: &str,
    rev: Option<i64>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut r = app.request(who, method, path);
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

async fn stewards_describe_datasets_and_anyone_reads_them(app: TestApp) {
    // The bank's data steward publishes; a developer may not.
    let (status, dataset) = send(
        &app,
        Who::DataSteward,
        Method::POST,
        "/api/v1/datasets",
        None,
        Some(dataset_json("Card transactions", "restricted")),
    )
    .await;
    assert_eq!(status, 201, "{dataset}");
    assert_eq!(dataset["organisation_id"], app.bank.to_string());
    assert_eq!(
        dataset["metadata"]["keywords"],
        json!(["health", "admissions"])
    );
    let (status, _) = send(
        &app,
        Who::Developer,
        Method::POST,
        "/api/v1/datasets",
        None,
        Some(dataset_json("Mine", "open")),
    )
    .await;
    assert_eq!(status, 403);
    // Bad input names every field and changes nothing.
    let mut bad = dataset_json("Bad", "open");
    bad["licence"] = json!("WTFPL-9");
    bad["legal_basis"] = Value::Null;
    let response = app
        .request(Who::DataSteward, Method::POST, "/api/v1/datasets")
        .json(&bad)
        .send()
        .await
        .unwrap();
    let (status, _, fields) = error_fields(response).await;
    assert_eq!(status, 422);
    let names: Vec<&str> = fields.iter().map(|(f, _)| f.as_str()).collect();
    assert!(
        names.contains(&"licence") && names.contains(&"legal_basis"),
        "{fields:?}"
    );
    // Anyone reads and searches; a closed dataset is described too.
    send(
        &app,
        Who::DataSteward,
        Method::POST,
        "/api/v1/datasets",
        None,
        Some(dataset_json("Court registry extract", "closed")),
    )
    .await;
    let (_, list) = send(
        &app,
        Who::Anonymous,
        Method::GET,
        "/api/v1/datasets?q=court",
        None,
        None,
    )
    .await;
    assert_eq!(list["total"], 1);
    let (_, list) = send(
        &app,
        Who::Anonymous,
        Method::GET,
        "/api/v1/datasets?access=restricted",
        None,
        None,
    )
    .await;
    assert_eq!(list["total"], 1);
    let id = dataset["id"].as_str().unwrap();
    let (status, shown) = send(
        &app,
        Who::Anonymous,
        Method::GET,
        &format!("/api/v1/datasets/{id}"),
        None,
        None,
    )
    .await;
    assert_eq!(
        (status, shown["metadata"]["producer"]["name"].as_str()),
        (200, Some("City Hospital No. 1"))
    );
    // Updates name their revision.
    let mut v2 = dataset_json("Card transactions", "restricted");
    v2["version"] = json!("1.1");
    v2["changelog"] = json!("2024 added.");
    let (status, updated) = send(
        &app,
        Who::DataSteward,
        Method::PUT,
        &format!("/api/v1/datasets/{id}"),
        Some(1),
        Some(v2.clone()),
    )
    .await;
    assert_eq!((status, updated["revision"].as_i64()), (200, Some(2)));
    let (status, _) = send(
        &app,
        Who::DataSteward,
        Method::PUT,
        &format!("/api/v1/datasets/{id}"),
        Some(1),
        Some(v2),
    )
    .await;
    assert_eq!(status, 409);
}

async fn restricted_data_is_requested_and_granted(app: TestApp) {
    let (_, restricted) = send(
        &app,
        Who::DataSteward,
        Method::POST,
        "/api/v1/datasets",
        None,
        Some(dataset_json("Card transactions", "restricted")),
    )
    .await;
    let (_, open) = send(
        &app,
        Who::DataSteward,
        Method::POST,
        "/api/v1/datasets",
        None,
        Some(dataset_json("Branch locations", "open")),
    )
    .await;
    let (_, closed) = send(
        &app,
        Who::DataSteward,
        Method::POST,
        "/api/v1/datasets",
        None,
        Some(dataset_json("Credit files", "closed")),
    )
    .await;
    let system = app.system().await;
    let ask = |dataset: &Value| {
        json!({"kind": "data_access", "dataset_id": dataset["id"],
        "purpose": "Validate the triage model on an independent population.", "system_id": system})
    };

    // Only restricted data is requested.
    for (dataset, level) in [(&open, "open"), (&closed, "closed")] {
        let (status, body) = send(
            &app,
            Who::Developer,
            Method::POST,
            "/api/v1/cases",
            None,
            Some(ask(dataset)),
        )
        .await;
        assert_eq!(status, 409, "{body}");
        assert_eq!(body["error"]["current"], level);
    }
    let (status, _) = send(
        &app,
        Who::Anonymous,
        Method::POST,
        "/api/v1/cases",
        None,
        Some(ask(&restricted)),
    )
    .await;
    assert_eq!(status, 401);
    let (status, request) = send(
        &app,
        Who::Developer,
        Method::POST,
        "/api/v1/cases",
        None,
        Some(ask(&restricted)),
    )
    .await;
    assert_eq!(status, 201, "{request}");
    assert_eq!(request["state"], "requested");
    assert!(request["number"].as_str().unwrap().starts_with("DA-2026-"));
    let id = request["id"].as_str().unwrap().to_string();
    let steps = format!("/api/v1/cases/{id}/steps");

    // The steward is told and decides; the requester cannot grant themselves.
    let (_, inbox) = send(
        &app,
        Who::DataSteward,
        Method::GET,
        "/api/v1/inbox",
        None,
        None,
    )
    .await;
    assert!(
        inbox.to_string().contains("data_access.requested"),
        "{inbox}"
    );
    let (status, _) = send(
        &app,
        Who::Developer,
        Method::POST,
        &steps,
        Some(1),
        Some(json!({"action": "grant", "days": 30})),
    )
    .await;
    assert_eq!(status, 403);
    let (status, body) = send(
        &app,
        Who::DataSteward,
        Method::POST,
        &steps,
        Some(1),
        Some(json!({"action": "grant", "days": 400})),
    )
    .await;
    assert_eq!(
        (status, body["error"]["fields"][0]["field"].as_str()),
        (422, Some("days"))
    );
    let (status, granted) = send(&app, Who::DataSteward, Method::POST, &steps, Some(1),
        Some(json!({"action": "grant", "days": 30, "conditions": "No re-identification; delete after the study."}))).await;
    assert_eq!(status, 200, "{granted}");
    assert_eq!(granted["data_access"]["granted_until"], "2026-04-01");
    // The requester reads their request; the public does not, and the log
    // does not say who asked.
    let (status, mine) = send(
        &app,
        Who::Developer,
        Method::GET,
        &format!("/api/v1/cases/{id}"),
        None,
        None,
    )
    .await;
    assert_eq!((status, mine["state"].as_str()), (200, Some("granted")));
    assert!(mine["data_access"]["purpose"].is_string());
    let (status, _) = send(
        &app,
        Who::Anonymous,
        Method::GET,
        &format!("/api/v1/cases/{id}"),
        None,
        None,
    )
    .await;
    assert_eq!(status, 401);
    let (_, inbox) = send(
        &app,
        Who::Developer,
        Method::GET,
        "/api/v1/inbox",
        None,
        None,
    )
    .await;
    assert!(
        inbox.to_string().contains("granted until 2026-04-01"),
        "{inbox}"
    );
    let (status, _) = send(
        &app,
        Who::DataSteward,
        Method::POST,
        &steps,
        Some(2),
        Some(json!({"action": "refuse", "reasons": "x"})),
    )
    .await;
    assert_eq!(status, 409);
    let (status, revoked) = send(
        &app,
        Who::DataSteward,
        Method::POST,
        &steps,
        Some(2),
        Some(json!({"action": "revoke_access", "reasons": "The study ended early."})),
    )
    .await;
    assert_eq!((status, revoked["state"].as_str()), (200, Some("revoked")));

    let before = app.store.fingerprint().await.unwrap();
    assert!(
        before.iter().any(|(t, n, _)| t == "datasets" && *n == 3),
        "{before:?}"
    );
    let Applied::Rebuilt(_) = app
        .store
        .execute(Actor::operator(), Command::Rebuild)
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(before, app.store.fingerprint().await.unwrap());
    let _ = system_json;
}
