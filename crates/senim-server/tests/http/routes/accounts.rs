//! `/api/v1/accounts` and API tokens.

use reqwest::Method;
use senim_domain::TokenScope;

use crate::helpers::{error_fields, TestApp, Who};

crate::on_both_backends!(
    admin_manages_accounts_and_withdrawal_ends_access,
    tokens_are_shown_once_scoped_and_revocable,
    a_new_password_revokes_the_accounts_tokens,
);

async fn a_new_password_revokes_the_accounts_tokens(app: TestApp) {
    let token = app.scoped_token(Who::Auditor, vec![TokenScope::Read]).await;
    let id = app.accounts[&Who::Auditor].to_string();
    let reset = app
        .request(
            Who::Administrator,
            Method::PUT,
            &format!("/api/v1/accounts/{id}"),
        )
        .header("If-Match", "1")
        .json(
            &serde_json::json!({"email": "auditor@ministry.kz", "display_name": "Auditor",
            "roles": ["auditor"], "password": "a brand new passphrase"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 200);
    let after = app
        .http
        .get(app.url("/api/v1/accounts/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        after.status(),
        401,
        "whoever held the old credentials is shut out"
    );
}

async fn admin_manages_accounts_and_withdrawal_ends_access(app: TestApp) {
    let body = serde_json::json!({
        "email": "New.Reviewer@Ministry.kz",
        "display_name": "New Reviewer",
        "roles": ["expert_reviewer", "auditor"],
        "password": "a long enough passphrase"
    });
    let created = app
        .request(Who::Administrator, Method::POST, "/api/v1/accounts")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let account: serde_json::Value = created.json().await.unwrap();
    assert_eq!(account["email"], "new.reviewer@ministry.kz");
    assert!(account.get("password").is_none() && !account.to_string().contains("argon2"));
    let id = account["id"].as_str().unwrap();
    let dup = app
        .request(Who::Administrator, Method::POST, "/api/v1/accounts")
        .json(&body)
        .send()
        .await
        .unwrap();
    let (status, _, fields) = error_fields(dup).await;
    assert_eq!((status, fields[0].0.as_str()), (422, "email"));
    let list: serde_json::Value = app
        .read(Who::Supervisor, "/api/v1/accounts?role=auditor")
        .await;
    assert_eq!(list["total"], 2);
    let token = app
        .scoped_token(Who::Developer, vec![TokenScope::Read])
        .await;
    let me = app
        .http
        .get(app.url("/api/v1/accounts/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    let dev_id = app.accounts[&Who::Developer].to_string();
    let withdrawn = app
        .request(
            Who::Administrator,
            Method::POST,
            &format!("/api/v1/accounts/{dev_id}/withdraw"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(withdrawn.status(), 200);
    let after = app
        .http
        .get(app.url("/api/v1/accounts/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        after.status(),
        401,
        "a withdrawn account's tokens stop working"
    );
    let listed: serde_json::Value = app
        .read(
            Who::Administrator,
            &format!("/api/v1/accounts/{dev_id}/tokens"),
        )
        .await;
    assert!(
        listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["revoked_at"].is_string()),
        "the list shows the tokens as revoked: {listed}"
    );
    let _ = id;
}

pub(crate) async fn tokens_are_shown_once_scoped_and_revocable(app: TestApp) {
    let dev = app.accounts[&Who::Developer].to_string();
    let created = app
        .request(
            Who::Developer,
            Method::POST,
            &format!("/api/v1/accounts/{dev}/tokens"),
        )
        .json(&serde_json::json!({"name": "CI", "scopes": ["read"], "expires_in_days": 7}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let body: serde_json::Value = created.json().await.unwrap();
    let secret = body["token"].as_str().unwrap().to_string();
    assert!(secret.starts_with("senim_"));
    let token_id = body["info"]["id"].as_str().unwrap().to_string();
    let listed = app
        .request(
            Who::Developer,
            Method::GET,
            &format!("/api/v1/accounts/{dev}/tokens"),
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !listed.contains(&secret),
        "a listed token never shows its secret"
    );
    let write = app
        .http
        .post(app.url("/api/v1/systems"))
        .bearer_auth(&secret)
        .json(&crate::helpers::system_json("X"))
        .send()
        .await
        .unwrap();
    let (status, _, _) = error_fields(write).await;
    assert_eq!(status, 403, "a read token cannot write");
    let other = app
        .request(
            Who::OtherDeveloper,
            Method::GET,
            &format!("/api/v1/accounts/{dev}/tokens"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 403);
    let revoked = app
        .request(
            Who::Developer,
            Method::DELETE,
            &format!("/api/v1/accounts/{dev}/tokens/{token_id}"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    let after = app
        .http
        .get(app.url("/api/v1/accounts/me"))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 401);
    let bad = app
        .request(
            Who::Developer,
            Method::POST,
            &format!("/api/v1/accounts/{dev}/tokens"),
        )
        .json(&serde_json::json!({"name": "", "scopes": [], "expires_in_days": 1000}))
        .send()
        .await
        .unwrap();
    let (status, _, fields) = error_fields(bad).await;
    assert_eq!(status, 422);
    let names: Vec<&str> = fields.iter().map(|f| f.0.as_str()).collect();
    assert_eq!(names, ["name", "scopes", "expires_in_days"]);
}
