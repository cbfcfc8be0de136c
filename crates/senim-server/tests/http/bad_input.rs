//! Bad input: every malformed request gets 400, 413, 415, 422 or 428 in the
//! error shape, naming each bad field, and changes nothing.

use reqwest::Method;

use crate::helpers::{error_fields, system_json, TestApp, Who};

crate::on_both_backends!(
    unknown_fields_and_values_are_named,
    every_bad_organisation_field_is_listed,
    malformed_oversized_and_wrongly_typed_bodies,
    bad_query_parameters,
);

async fn post_system(
    app: &TestApp,
    body: serde_json::Value,
) -> (u16, String, Vec<(String, String)>) {
    let r = app
        .request(Who::Developer, Method::POST, "/api/v1/systems")
        .json(&body)
        .send()
        .await
        .unwrap();
    error_fields(r).await
}

async fn unknown_fields_and_values_are_named(app: TestApp) {
    let before = app.store.event_count().await.unwrap();
    let mut unknown = system_json("X");
    unknown["profile"]["colour"] = "red".into();
    let (status, code, fields) = post_system(&app, unknown).await;
    assert_eq!((status, code.as_str()), (422, "invalid"));
    assert_eq!(fields[0].0, "profile.colour");
    assert!(fields[0].1.contains("unknown field"), "{fields:?}");

    let mut bad_value = system_json("X");
    bad_value["profile"]["sectors"] = serde_json::json!(["healthcare", "space"]);
    let (status, _, fields) = post_system(&app, bad_value).await;
    assert_eq!(status, 422);
    assert_eq!(fields[0].0, "profile.sectors[1]");
    assert!(
        fields[0].1.contains("urban_infrastructure"),
        "allowed values are listed: {fields:?}"
    );

    let mut empty = system_json("X");
    empty["profile"]["sectors"] = serde_json::json!([]);
    empty["name"] = serde_json::json!({"en": "   "});
    empty["documentation"]["purpose"] = "x".repeat(20_001).into();
    let (status, _, fields) = post_system(&app, empty).await;
    assert_eq!(status, 422);
    let names: Vec<&str> = fields.iter().map(|f| f.0.as_str()).collect();
    assert_eq!(
        names,
        ["name", "profile.sectors", "documentation.purpose"],
        "{fields:?}"
    );

    let mut bad_visibility = system_json("X");
    bad_visibility["visibility"] = serde_json::json!({"secret_sauce": "public"});
    let (status, _, fields) = post_system(&app, bad_visibility).await;
    assert_eq!(status, 422);
    assert!(fields[0].0.starts_with("visibility"), "{fields:?}");
    assert_eq!(
        app.store.event_count().await.unwrap(),
        before,
        "bad input changed nothing"
    );
}

async fn every_bad_organisation_field_is_listed(app: TestApp) {
    let r = app
        .request(Who::Administrator, Method::POST, "/api/v1/organisations")
        .json(&serde_json::json!({
            "name": {"kk": ""},
            "bin": "940540000132",
            "kind": "private",
            "size_class": "small",
            "contacts": {"email": "not-an-email", "website": "javascript:alert(1)", "phone": "call me"}
        }))
        .send()
        .await
        .unwrap();
    let (status, _, fields) = error_fields(r).await;
    assert_eq!(status, 422);
    let names: Vec<&str> = fields.iter().map(|f| f.0.as_str()).collect();
    assert_eq!(
        names,
        [
            "name",
            "bin",
            "contacts.email",
            "contacts.phone",
            "contacts.website"
        ]
    );
    assert!(fields[1].1.contains("check digit"), "{fields:?}");
    let r = app
        .request(Who::Administrator, Method::POST, "/api/v1/organisations")
        .json(&serde_json::json!({"name": {"en": "X"}, "bin": "940540000131", "kind": "corporation", "size_class": "small"}))
        .send()
        .await
        .unwrap();
    let (status, _, fields) = error_fields(r).await;
    assert_eq!(status, 422);
    assert_eq!(fields[0].0, "kind");
    assert!(fields[0].1.contains("state_body"), "{fields:?}");
}

async fn malformed_oversized_and_wrongly_typed_bodies(app: TestApp) {
    let syntax = app
        .request(Who::Developer, Method::POST, "/api/v1/systems")
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    let (status, code, fields) = error_fields(syntax).await;
    assert_eq!(
        (status, code.as_str(), fields[0].0.as_str()),
        (400, "malformed_request", "body")
    );
    let text = app
        .request(Who::Developer, Method::POST, "/api/v1/systems")
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    let (status, code, _) = error_fields(text).await;
    assert_eq!((status, code.as_str()), (415, "unsupported_media_type"));
    // A raw socket, reading while writing: the server answers 413 once it has
    // read past the limit and closes, so the rest of the body may fail to
    // send; the answer must be read as it arrives, not after the write.
    let mut huge = system_json("Huge");
    huge["change_note"] = "x".repeat(2 * 1024 * 1024).into();
    let answer = oversized_post(
        app.address,
        app.token(Who::Developer).unwrap(),
        &huge.to_string(),
    )
    .await;
    assert!(
        answer.starts_with("HTTP/1.1 413"),
        "{}",
        answer.lines().next().unwrap_or("")
    );
    assert!(answer.contains("payload_too_large"), "{answer}");
    let wrong_type = app
        .request(Who::Developer, Method::POST, "/api/v1/systems")
        .json(&serde_json::json!({"name": "just a string"}))
        .send()
        .await
        .unwrap();
    let (status, _, fields) = error_fields(wrong_type).await;
    assert_eq!((status, fields[0].0.as_str()), (422, "name"));
    let bad_if_match = app
        .request(
            Who::Developer,
            Method::POST,
            &format!("/api/v1/systems/{}/versions", app.system().await),
        )
        .header("If-Match", "yesterday")
        .json(&system_json("X"))
        .send()
        .await
        .unwrap();
    let (status, _, fields) = error_fields(bad_if_match).await;
    assert_eq!((status, fields[0].0.as_str()), (400, "If-Match"));
    let bad_token = app
        .http
        .get(app.url("/api/v1/systems"))
        .header("authorization", "Bearer nonsense")
        .send()
        .await
        .unwrap();
    let (status, _, fields) = error_fields(bad_token).await;
    assert_eq!((status, fields[0].0.as_str()), (401, "Authorization"));
}

async fn bad_query_parameters(app: TestApp) {
    for (query, field) in [
        ("sector=space", "sector"),
        ("limit=0", "limit"),
        ("limit=many", "limit"),
        ("cursor=%%%", "cursor"),
        ("colour=red", "colour"),
        ("organisation=not-a-uuid", "organisation"),
    ] {
        let r = app
            .request(
                Who::Anonymous,
                Method::GET,
                &format!("/api/v1/systems?{query}"),
            )
            .send()
            .await
            .unwrap();
        let (status, _, fields) = error_fields(r).await;
        assert_eq!(status, 422, "{query}");
        assert_eq!(fields[0].0, field, "{query}: {fields:?}");
    }
    let r = app
        .request(Who::Anonymous, Method::GET, "/api/v1/systems/not-an-id")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

async fn oversized_post(address: std::net::SocketAddr, token: &str, body: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let head = format!(
        "POST /api/v1/systems HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let body = body.to_string();
    tokio::spawn(async move {
        let _ = writer.write_all(head.as_bytes()).await;
        let _ = writer.write_all(body.as_bytes()).await;
    });
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    while let Ok(n) = reader.read(&mut buffer).await {
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&buffer[..n]);
    }
    String::from_utf8_lossy(&answer).to_string()
}
