//! The OpenAPI document: generated from the code, snapshot-tested so every
//! API change shows in review (`cargo insta review` after a deliberate change).

use crate::helpers::{spawn_app, Backend};

#[test]
fn openapi_document_snapshot() {
    let doc = serde_json::to_value(senim_api::openapi::document()).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    insta::assert_json_snapshot!("openapi", doc);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_is_served_and_lists_every_route() {
    let app = spawn_app(Backend::Sqlite).await;
    let served: serde_json::Value = app
        .http
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let paths = served["paths"].as_object().unwrap();
    for path in [
        "/api/v1/organisations",
        "/api/v1/organisations/{id}",
        "/api/v1/organisations/{id}/withdraw",
        "/api/v1/accounts",
        "/api/v1/accounts/me",
        "/api/v1/accounts/{id}",
        "/api/v1/accounts/{id}/withdraw",
        "/api/v1/accounts/{id}/tokens",
        "/api/v1/accounts/{id}/tokens/{token_id}",
        "/api/v1/systems",
        "/api/v1/systems/{id}",
        "/api/v1/systems/{id}/versions",
        "/api/v1/systems/{id}/versions/{version}",
        "/api/v1/systems/{id}/withdraw",
        "/api/v1/session",
        "/api/v1/tokens",
    ] {
        assert!(paths.contains_key(path), "OpenAPI lacks {path}");
    }
    // The profile vocabulary is part of the public API: every value is listed.
    let sector = &served["components"]["schemas"]["Sector"];
    assert!(
        sector.to_string().contains("urban_infrastructure"),
        "{sector}"
    );
}
