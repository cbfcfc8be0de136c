//! `/api/v1/organisations`.

use reqwest::Method;

use crate::helpers::{error_fields, org_json, TestApp, Who};

crate::on_both_backends!(
    admin_creates_reads_updates_and_withdraws,
    stale_update_is_409_and_changes_nothing,
    developer_updates_contacts_but_not_size_class,
    contact_person_is_not_public,
    list_filters_and_pages,
);

pub(crate) async fn admin_creates_reads_updates_and_withdraws(app: TestApp) {
    let created = app
        .request(Who::Administrator, Method::POST, "/api/v1/organisations")
        .json(&org_json("University", "12094000011"))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    assert_eq!(created.headers()["etag"], "\"1\"");
    let org: serde_json::Value = created.json().await.unwrap();
    let id = org["id"].as_str().unwrap().to_string();
    let mut changed = org_json("University of Astana", "12094000011");
    changed["contacts"]["phone"] = "+7 7172 00 00 00".into();
    let updated = app
        .request(
            Who::Administrator,
            Method::PUT,
            &format!("/api/v1/organisations/{id}"),
        )
        .header("If-Match", "\"1\"")
        .json(&changed)
        .send()
        .await
        .unwrap();
    assert_eq!(updated.status(), 200);
    assert_eq!(updated.headers()["etag"], "\"2\"");
    let read: serde_json::Value = app
        .read(Who::Anonymous, &format!("/api/v1/organisations/{id}"))
        .await;
    assert_eq!(read["name"]["en"], "University of Astana");
    assert_eq!(read["revision"], 2);
    let withdrawn = app
        .request(
            Who::Administrator,
            Method::POST,
            &format!("/api/v1/organisations/{id}/withdraw"),
        )
        .json(&serde_json::json!({"reason": "closed"}))
        .send()
        .await
        .unwrap();
    assert_eq!(withdrawn.status(), 200);
    let body: serde_json::Value = withdrawn.json().await.unwrap();
    assert_eq!(body["status"], "withdrawn");
}

async fn stale_update_is_409_and_changes_nothing(app: TestApp) {
    let path = format!("/api/v1/organisations/{}", app.hospital);
    let first = app
        .request(Who::Administrator, Method::PUT, &path)
        .header("If-Match", "\"1\"")
        .json(&org_json("Hospital A", "94054000013"))
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 200);
    let second = app
        .request(Who::Administrator, Method::PUT, &path)
        .header("If-Match", "\"1\"")
        .json(&org_json("Hospital B", "94054000013"))
        .send()
        .await
        .unwrap();
    assert_eq!(second.status(), 409);
    let body: serde_json::Value = second.json().await.unwrap();
    assert_eq!(body["error"]["code"], "conflict");
    assert_eq!(body["error"]["current"], "2");
    let now = app.store.organisation(app.hospital).await.unwrap();
    assert_eq!(now.name.get("en"), "Hospital A");
    let missing = app
        .request(Who::Administrator, Method::PUT, &path)
        .json(&org_json("Hospital C", "94054000013"))
        .send()
        .await
        .unwrap();
    let (status, code, fields) = error_fields(missing).await;
    assert_eq!((status, code.as_str()), (428, "precondition_required"));
    assert_eq!(fields[0].0, "If-Match");
}

async fn developer_updates_contacts_but_not_size_class(app: TestApp) {
    let path = format!("/api/v1/organisations/{}", app.hospital);
    let mut contacts = org_json("Hospital", "94054000013");
    contacts["contacts"]["phone"] = "+7 7172 11 22 33".into();
    let ok = app
        .request(Who::Developer, Method::PUT, &path)
        .header("If-Match", "1")
        .json(&contacts)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let mut smaller = contacts.clone();
    smaller["size_class"] = "small".into();
    let refused = app
        .request(Who::Developer, Method::PUT, &path)
        .header("If-Match", "2")
        .json(&smaller)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    let other = app
        .request(Who::OtherDeveloper, Method::PUT, &path)
        .header("If-Match", "2")
        .json(&contacts)
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 403);
}

async fn contact_person_is_not_public(app: TestApp) {
    let path = format!("/api/v1/organisations/{}", app.hospital);
    for (who, visible) in [
        (Who::Anonymous, false),
        (Who::OtherDeveloper, false),
        (Who::Developer, true),
        (Who::Supervisor, true),
    ] {
        let body: serde_json::Value = app.read(who, &path).await;
        assert_eq!(
            body["contacts"]["contact_person"].is_string(),
            visible,
            "{who:?}"
        );
        let list: serde_json::Value = app.read(who, "/api/v1/organisations").await;
        let hospital = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["id"] == app.hospital.to_string())
            .unwrap();
        assert_eq!(
            hospital["contacts"]["contact_person"].is_string(),
            visible,
            "{who:?}: {list}"
        );
    }
}

async fn list_filters_and_pages(app: TestApp) {
    app.organisation("Әл-Фараби университеті", "12094000011")
        .await;
    let all: serde_json::Value = app
        .read(Who::Anonymous, "/api/v1/organisations?limit=1")
        .await;
    assert_eq!(all["total"], 3);
    assert_eq!(all["items"].as_array().unwrap().len(), 1);
    let cursor = all["next_cursor"].as_str().unwrap();
    let next: serde_json::Value = app
        .read(
            Who::Anonymous,
            &format!("/api/v1/organisations?limit=1&cursor={cursor}"),
        )
        .await;
    assert_ne!(next["items"][0]["id"], all["items"][0]["id"]);
    let found: serde_json::Value = app
        .read(
            Who::Anonymous,
            "/api/v1/organisations?q=%D0%A4%D0%90%D0%A0%D0%90%D0%91%D0%98",
        )
        .await;
    assert_eq!(found["total"], 1, "{found}");
}
