//! The data library's datasets and requests for restricted data.

use reqwest::Method;
use serde_json::{json, Value};

use senim_store::{Actor, Applied, Command};

use crate::helpers::{error_fields, system_json, TestApp, Who};

crate::on_both_backends!(
    stewards_describe_datasets_and_anyone_reads_them,
    restricted_data_is_requested_and_granted,
    files_arrive_in_chunks_and_leave_by_range,
    systems_name_the_datasets_they_learned_from,
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

pub(crate) async fn send(
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

pub(crate) async fn stewards_describe_datasets_and_anyone_reads_them(app: TestApp) {
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

pub(crate) async fn restricted_data_is_requested_and_granted(app: TestApp) {
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
    assert_eq!(granted["data_access"]["granted_until"], "2026-03-31");
    // The public log names neither the requester nor their organisation.
    let last = app.store.event_count().await.unwrap() - 1;
    for index in [last - 1, last] {
        let entry: Value = app
            .read(Who::Anonymous, &format!("/api/v1/log/entries/{index}"))
            .await;
        let text = entry["entry"].to_string();
        for secret in [
            app.accounts[&Who::Developer].to_string(),
            app.hospital.to_string(),
            "independent population".to_string(),
        ] {
            assert!(
                !text.contains(&secret),
                "entry {index} shows {secret}: {text}"
            );
        }
    }
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
        inbox.to_string().contains("granted until 2026-03-31"),
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
}

pub(crate) fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// PATCHes a chunk; returns the status, the new offset header and the body.
pub(crate) async fn chunk(
    app: &TestApp,
    who: Who,
    upload: &str,
    offset: u64,
    bytes: &[u8],
) -> (u16, Option<u64>, Value) {
    let response = app
        .request(who, Method::PATCH, &format!("/api/v1/uploads/{upload}"))
        .header("Upload-Offset", offset.to_string())
        .header("Content-Type", "application/offset+octet-stream")
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let offset = response
        .headers()
        .get("upload-offset")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    (status, offset, response.json().await.unwrap_or(Value::Null))
}

pub(crate) async fn files_arrive_in_chunks_and_leave_by_range(app: TestApp) {
    let csv = b"stay_id,age_band,triage,lactate,admitted_on\n1,60-69,2,2.4,2024-03-01\n2,30-39,4,,2024-03-02\n3,70-79,1,5.1,2024-03-02\n";
    let (_, dataset) = send(
        &app,
        Who::DataSteward,
        Method::POST,
        "/api/v1/datasets",
        None,
        Some(dataset_json("Admissions sample", "restricted")),
    )
    .await;
    let id = dataset["id"].as_str().unwrap().to_string();
    let declare =
        |sha: String, size: usize| json!({"name": "admissions.csv", "size": size, "sha256": sha});

    // A wrong checksum discards the upload; nothing partial is visible.
    let (status, bad) = send(
        &app,
        Who::DataSteward,
        Method::POST,
        &format!("/api/v1/datasets/{id}/uploads"),
        None,
        Some(declare("0".repeat(64), csv.len())),
    )
    .await;
    assert_eq!(status, 201, "{bad}");
    let (status, _, body) =
        chunk(&app, Who::DataSteward, bad["id"].as_str().unwrap(), 0, csv).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["fields"][0]["field"], "sha256");
    let (status, _) = send(
        &app,
        Who::DataSteward,
        Method::GET,
        &format!("/api/v1/uploads/{}", bad["id"].as_str().unwrap()),
        None,
        None,
    )
    .await;
    assert_eq!(status, 404);
    let (_, list) = send(
        &app,
        Who::Anonymous,
        Method::GET,
        &format!("/api/v1/datasets/{id}/resources"),
        None,
        None,
    )
    .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 0);
    // Too large, a bad name, a developer: refused.
    let (status, _) = send(
        &app,
        Who::DataSteward,
        Method::POST,
        &format!("/api/v1/datasets/{id}/uploads"),
        None,
        Some(declare(sha256(csv), usize::MAX / 2)),
    )
    .await;
    assert_eq!(status, 413);
    let (status, body) = send(
        &app,
        Who::DataSteward,
        Method::POST,
        &format!("/api/v1/datasets/{id}/uploads"),
        None,
        Some(json!({"name": "../etc/passwd", "size": 3, "sha256": "x"})),
    )
    .await;
    assert_eq!(status, 422);
    let fields = body["error"]["fields"].to_string();
    assert!(
        fields.contains("\"name\"") && fields.contains("\"sha256\""),
        "{fields}"
    );
    let (status, _) = send(
        &app,
        Who::Developer,
        Method::POST,
        &format!("/api/v1/datasets/{id}/uploads"),
        None,
        Some(declare(sha256(csv), csv.len())),
    )
    .await;
    assert_eq!(status, 403);

    // In chunks: out of order refused with the offset to resume from;
    // beyond the declared size refused; then the rest.
    let (_, up) = send(
        &app,
        Who::DataSteward,
        Method::POST,
        &format!("/api/v1/datasets/{id}/uploads"),
        None,
        Some(declare(sha256(csv), csv.len())),
    )
    .await;
    let up = up["id"].as_str().unwrap().to_string();
    let (status, offset, _) = chunk(&app, Who::DataSteward, &up, 0, &csv[..20]).await;
    assert_eq!((status, offset), (204, Some(20)));
    let (status, _, body) = chunk(&app, Who::DataSteward, &up, 10, &csv[10..]).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["current"], "20");
    let mut too_long = csv[20..].to_vec();
    too_long.extend_from_slice(b"extra");
    let (status, _, _) = chunk(&app, Who::DataSteward, &up, 20, &too_long).await;
    assert_eq!(status, 413);
    let (_, status_body) = send(
        &app,
        Who::DataSteward,
        Method::GET,
        &format!("/api/v1/uploads/{up}"),
        None,
        None,
    )
    .await;
    assert_eq!(
        status_body["offset"], 20,
        "a refused chunk leaves nothing behind"
    );
    let (status, _) = send(
        &app,
        Who::OtherDeveloper,
        Method::GET,
        &format!("/api/v1/uploads/{up}"),
        None,
        None,
    )
    .await;
    assert_eq!(status, 404, "an upload is its uploader's");
    let (status, _, resource) = chunk(&app, Who::DataSteward, &up, 20, &csv[20..]).await;
    assert_eq!(status, 201, "{resource}");
    assert_eq!(resource["sha256"], sha256(csv));
    assert_eq!(resource["media_type"], "text/csv");
    assert_eq!(resource["schema"]["rows"], 3);
    let types: Vec<&str> = resource["schema"]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, vec!["integer", "text", "integer", "number", "date"]);
    let rid = resource["id"].as_str().unwrap().to_string();

    // The same bytes in another dataset are stored once.
    let (_, other) = send(
        &app,
        Who::DataSteward,
        Method::POST,
        "/api/v1/datasets",
        None,
        Some(dataset_json("Admissions, open sample", "open")),
    )
    .await;
    let (_, up2) = send(
        &app,
        Who::DataSteward,
        Method::POST,
        &format!("/api/v1/datasets/{}/uploads", other["id"].as_str().unwrap()),
        None,
        Some(declare(sha256(csv), csv.len())),
    )
    .await;
    let (status, _, open_resource) =
        chunk(&app, Who::DataSteward, up2["id"].as_str().unwrap(), 0, csv).await;
    assert_eq!(status, 201);
    let stored = walk(&app.files.path().join("library"));
    assert_eq!(stored, 1, "one copy of identical content");

    // Downloads: restricted needs a grant; each is logged without naming the downloader.
    let file = format!("/api/v1/resources/{rid}/file");
    let get = |who: Who, range: Option<&'static str>| {
        let mut r = app.request(who, Method::GET, &file);
        if let Some(range) = range {
            r = r.header("Range", range);
        }
        async move { r.send().await.unwrap() }
    };
    assert_eq!(get(Who::Anonymous, None).await.status(), 401);
    assert_eq!(get(Who::Developer, None).await.status(), 403);
    let (_, request) = send(
        &app,
        Who::Developer,
        Method::POST,
        "/api/v1/cases",
        None,
        Some(json!({"kind": "data_access", "dataset_id": id, "purpose": "Validation."})),
    )
    .await;
    send(
        &app,
        Who::DataSteward,
        Method::POST,
        &format!("/api/v1/cases/{}/steps", request["id"].as_str().unwrap()),
        Some(1),
        Some(json!({"action": "grant", "days": 7})),
    )
    .await;
    let before = app.store.event_count().await.unwrap();
    let whole = get(Who::Developer, None).await;
    assert_eq!(whole.status(), 200);
    assert_eq!(whole.headers()["accept-ranges"], "bytes");
    assert_eq!(whole.bytes().await.unwrap().as_ref(), csv);
    assert_eq!(
        app.store.event_count().await.unwrap(),
        before + 1,
        "the download is an event"
    );
    let part = get(Who::Developer, Some("bytes=2-5")).await;
    assert_eq!(part.status(), 206);
    assert_eq!(
        part.headers()["content-range"],
        format!("bytes 2-5/{}", csv.len())
    );
    assert_eq!(part.bytes().await.unwrap().as_ref(), &csv[2..6]);
    let tail = get(Who::Developer, Some("bytes=-4")).await;
    assert_eq!(tail.bytes().await.unwrap().as_ref(), &csv[csv.len() - 4..]);
    assert_eq!(get(Who::Developer, Some("bytes=900-")).await.status(), 416);
    let entry: Value = app
        .read(Who::Anonymous, &format!("/api/v1/log/entries/{before}"))
        .await;
    let text = entry["entry"].to_string();
    assert!(text.contains("resource.downloaded"), "{text}");
    assert!(
        !text.contains(&app.accounts[&Who::Developer].to_string()),
        "the downloader is private: {text}"
    );
    // Open data: anyone, no event.
    let before = app.store.event_count().await.unwrap();
    let open_file = format!(
        "/api/v1/resources/{}/file",
        open_resource["id"].as_str().unwrap()
    );
    let r = app
        .request(Who::Anonymous, Method::GET, &open_file)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(app.store.event_count().await.unwrap(), before);

    let fingerprint = app.store.fingerprint().await.unwrap();
    let Applied::Rebuilt(_) = app
        .store
        .execute(Actor::operator(), Command::Rebuild)
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(fingerprint, app.store.fingerprint().await.unwrap());
}

/// How many files are below `dir`.
fn walk(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| {
                    let p = e.path();
                    if p.is_dir() {
                        walk(&p)
                    } else {
                        1
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}

pub(crate) async fn systems_name_the_datasets_they_learned_from(app: TestApp) {
    let (_, training) = send(
        &app,
        Who::DataSteward,
        Method::POST,
        "/api/v1/datasets",
        None,
        Some(dataset_json("Admissions for training", "restricted")),
    )
    .await;
    let (_, testing) = send(
        &app,
        Who::DataSteward,
        Method::POST,
        "/api/v1/datasets",
        None,
        Some(dataset_json("Admissions held out", "restricted")),
    )
    .await;
    let mut body = system_json("Learned triage");
    // A path without expert review: registered once submitted, so new
    // versions are taken at once.
    body["profile"] = json!({"sectors": ["healthcare"], "functions": ["other"], "autonomy": "low",
        "affects": ["none"], "failure_impact": "minimal"});
    body["datasets"] = json!([
        {"dataset_id": training["id"], "role": "training"},
        {"dataset_id": testing["id"], "role": "testing"},
        {"dataset_id": training["id"], "role": "training"}
    ]);
    let (status, system) = send(
        &app,
        Who::Developer,
        Method::POST,
        "/api/v1/systems",
        None,
        Some(body.clone()),
    )
    .await;
    assert_eq!(status, 201, "{system}");
    assert_eq!(
        system["version"]["datasets"].as_array().unwrap().len(),
        2,
        "each link once"
    );
    let uses_path = format!(
        "/api/v1/datasets/{}/systems",
        training["id"].as_str().unwrap()
    );
    // A draft is its organisation's own: the dataset does not name it.
    let (_, uses) = send(&app, Who::Anonymous, Method::GET, &uses_path, None, None).await;
    assert_eq!(uses["items"], json!([]));
    let id: senim_domain::SystemId = system["system"]["id"].as_str().unwrap().parse().unwrap();
    app.submit(Who::Developer, id).await;
    let (_, uses) = send(&app, Who::Anonymous, Method::GET, &uses_path, None, None).await;
    assert_eq!(uses["items"][0]["system_id"], system["system"]["id"]);
    assert_eq!(uses["items"][0]["role"], "training");
    // A dataset that does not exist is named; nothing is written.
    body["datasets"] = json!([{"dataset_id": uuid::Uuid::now_v7(), "role": "validation"}]);
    let (status, bad) = send(
        &app,
        Who::Developer,
        Method::POST,
        "/api/v1/systems",
        None,
        Some(body),
    )
    .await;
    assert_eq!(status, 422, "{bad}");
    assert_eq!(bad["error"]["fields"][0]["field"], "datasets[0].dataset_id");
    // A new version without the testing set drops that link.
    let id = system["system"]["id"].as_str().unwrap();
    let mut v2 = system_json("Learned triage");
    v2["datasets"] = json!([{"dataset_id": training["id"], "role": "training"}]);
    let (status, _) = send(
        &app,
        Who::Developer,
        Method::POST,
        &format!("/api/v1/systems/{id}/versions"),
        Some(1),
        Some(v2),
    )
    .await;
    assert_eq!(status, 201);
    let (_, uses) = send(
        &app,
        Who::Anonymous,
        Method::GET,
        &format!(
            "/api/v1/datasets/{}/systems",
            testing["id"].as_str().unwrap()
        ),
        None,
        None,
    )
    .await;
    assert_eq!(uses["items"].as_array().unwrap().len(), 0);

    let before = app.store.fingerprint().await.unwrap();
    assert!(
        before
            .iter()
            .any(|(t, n, _)| t == "system_datasets" && *n == 1),
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
}

/// The S3-compatible server the storage test uses: `SENIM_TEST_S3_URL`
/// (default `http://127.0.0.1:9000`, where `./scripts/test.sh` starts moto)
/// and its bucket `SENIM_TEST_S3_BUCKET` (default `senim-test`).
fn test_s3() -> senim_app::config::S3Storage {
    senim_app::config::S3Storage {
        bucket: std::env::var("SENIM_TEST_S3_BUCKET").unwrap_or_else(|_| "senim-test".into()),
        endpoint: Some(
            std::env::var("SENIM_TEST_S3_URL").unwrap_or_else(|_| "http://127.0.0.1:9000".into()),
        ),
        region: "us-east-1".into(),
        access_key_id: Some("senim-test".into()),
        secret_access_key: Some("senim-test".into()),
        allow_http: true,
    }
}

/// Files go to S3-compatible storage when it is configured: uploaded in
/// parts, checked, stored once by content, and read back whole and by range.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_are_kept_in_s3_compatible_storage() {
    let s3 = test_s3();
    let app = crate::helpers::spawn_app_with(crate::helpers::Backend::Sqlite, |c| {
        c.s3 = Some(s3.clone())
    })
    .await;
    // 20 MiB of varied bytes: two parts of a multipart upload.
    let mut file = Vec::with_capacity(20 << 20);
    let mut x: u64 = std::process::id() as u64 ^ 0x9e37_79b9_7f4a_7c15;
    while file.len() < 20 << 20 {
        x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        file.extend_from_slice(&x.to_le_bytes());
    }
    let sha = sha256(&file);
    let mut ids = Vec::new();
    for title in ["Scans A", "Scans B"] {
        let (_, dataset) = send(
            &app,
            Who::DataSteward,
            Method::POST,
            "/api/v1/datasets",
            None,
            Some(dataset_json(title, "open")),
        )
        .await;
        let id = dataset["id"].as_str().unwrap().to_string();
        let (status, upload) = send(
            &app,
            Who::DataSteward,
            Method::POST,
            &format!("/api/v1/datasets/{id}/uploads"),
            None,
            Some(json!({"name": "scans.bin", "size": file.len(), "sha256": sha})),
        )
        .await;
        assert_eq!(status, 201, "{upload}");
        let upload = upload["id"].as_str().unwrap().to_string();
        let half = file.len() / 2;
        let (status, offset, _) = chunk(&app, Who::DataSteward, &upload, 0, &file[..half]).await;
        assert_eq!((status, offset), (204, Some(half as u64)));
        let (status, _, resource) =
            chunk(&app, Who::DataSteward, &upload, half as u64, &file[half..]).await;
        assert_eq!(status, 201, "{resource}");
        ids.push(resource["id"].as_str().unwrap().to_string());
    }
    // The object is in the bucket under its digest, and not on local disk.
    use object_store::ObjectStoreExt;
    let bucket = object_store::aws::AmazonS3Builder::new()
        .with_bucket_name(&s3.bucket)
        .with_endpoint(s3.endpoint.clone().unwrap())
        .with_region(&s3.region)
        .with_access_key_id("senim-test")
        .with_secret_access_key("senim-test")
        .with_allow_http(true)
        .build()
        .unwrap();
    let head = bucket
        .head(&object_store::path::Path::from(format!(
            "sha256/{}/{sha}",
            &sha[..2]
        )))
        .await
        .unwrap_or_else(|e| panic!("the file is not in the bucket {}: {e}", s3.bucket));
    assert_eq!(head.size, file.len() as u64);
    assert_eq!(walk(&app.files.path().join("library")), 0);
    // Both resources read back whole, and by range across the part boundary.
    for id in &ids {
        let response = app
            .request(
                Who::Anonymous,
                Method::GET,
                &format!("/api/v1/resources/{id}/file"),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(sha256(&response.bytes().await.unwrap()), sha);
    }
    let (from, to) = ((16 << 20) - 10, (16 << 20) + 9);
    let response = app
        .request(
            Who::Anonymous,
            Method::GET,
            &format!("/api/v1/resources/{}/file", ids[0]),
        )
        .header("Range", format!("bytes={from}-{to}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 206);
    assert_eq!(&response.bytes().await.unwrap()[..], &file[from..=to]);
}
