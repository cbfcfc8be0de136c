//! `/api/v1/systems`: registration, versions, visibility, withdrawal.

use reqwest::Method;
use senim_client::{ClientError, SystemQuery};
use senim_domain::{SystemInput, VersionInput};

use crate::helpers::{error_fields, system_json, TestApp, Who};

crate::on_both_backends!(
    developer_registers_and_versions_a_system,
    stale_version_is_409_and_nothing_changes,
    public_never_sees_confidential_documentation,
    developer_cannot_register_for_another_organisation,
    withdraw_keeps_versions,
    list_filters_by_sector_status_organisation_and_text,
    an_operator_is_listed_only_once_it_accepts,
    a_supervisor_pauses_reports_about_one_system,
    the_register_finds_what_its_hint_promises,
);

fn input(name: &str) -> SystemInput {
    serde_json::from_value(system_json(name)).unwrap()
}

async fn developer_registers_and_versions_a_system(app: TestApp) {
    let client = app.client(Who::Developer);
    let created = client.register_system(&input("Triage")).await.unwrap();
    assert_eq!(created.etag, Some(1));
    let detail = created.value;
    assert_eq!(
        detail.system.owner_organisation_id, app.hospital,
        "owner defaults to the developer's organisation"
    );
    assert_eq!(detail.system.status.as_str(), "draft");
    assert_eq!(detail.version.version, 1);
    let id = detail.system.id.to_string();
    let mut next: VersionInput = serde_json::from_value(system_json("Triage 2")).unwrap();
    next.change_note = Some("Retrained on 2025 data".into());
    let updated = client.add_version(&id, 1, &next).await.unwrap();
    assert_eq!(updated.etag, Some(2));
    assert_eq!(
        updated.value.version.change_note.as_deref(),
        Some("Retrained on 2025 data")
    );
    let versions = client.system_versions(&id).await.unwrap();
    assert_eq!(versions.total, 2);
    assert_eq!(versions.items[0].name.get("en"), "Triage");
    assert_eq!(versions.items[1].name.get("en"), "Triage 2");
    // A draft: its versions are read by its organisation, asked for a
    // sign-in by anyone else.
    let first: serde_json::Value = app
        .read(Who::Developer, &format!("/api/v1/systems/{id}/versions/1"))
        .await;
    assert_eq!(first["name"]["en"], "Triage");
    let anonymous = app
        .request(
            Who::Anonymous,
            Method::GET,
            &format!("/api/v1/systems/{id}/versions/1"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    let events = app.store.events_of("system", &id).await.unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(
        events[1].actor["account_id"],
        app.accounts[&Who::Developer].to_string()
    );
}

async fn stale_version_is_409_and_nothing_changes(app: TestApp) {
    let id = app.system().await.to_string();
    let client = app.client(Who::Developer);
    let v: VersionInput = serde_json::from_value(system_json("Two")).unwrap();
    client.add_version(&id, 1, &v).await.unwrap();
    let stale = client.add_version(&id, 1, &v).await.unwrap_err();
    match stale {
        ClientError::Api {
            status,
            code,
            current,
            ..
        } => {
            assert_eq!((status, code.as_str()), (409, "conflict"));
            assert_eq!(current.as_deref(), Some("2"));
        }
        other => panic!("{other}"),
    }
    assert_eq!(client.system_versions(&id).await.unwrap().total, 2);
}

async fn public_never_sees_confidential_documentation(app: TestApp) {
    let id = app.system().await;
    // Submitted, so public (a draft is its organisation's own).
    app.submit(Who::Developer, id).await;
    let id = id.to_string();
    for (who, training, performance) in [
        (Who::Anonymous, false, false),
        (Who::OtherDeveloper, false, false),
        (Who::DataSteward, false, false),
        (Who::Developer, true, false),
        // Reviewers read confidential documentation only in the dossiers
        // assigned to them, after declaring (routes::cases).
        (Who::ExpertReviewer, false, false),
        (Who::Supervisor, true, true),
        (Who::Auditor, true, true),
    ] {
        for path in [
            format!("/api/v1/systems/{id}"),
            format!("/api/v1/systems/{id}/versions"),
        ] {
            let text = app
                .request(who, Method::GET, &path)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert_eq!(
                text.contains("120,000 anonymised"),
                training,
                "{who:?} {path}"
            );
            assert_eq!(text.contains("Under-triage"), performance, "{who:?} {path}");
            assert!(
                text.contains("Orders the emergency queue"),
                "{who:?} sees public items"
            );
            if !training {
                assert!(
                    text.contains("\"withheld\":[\"training_data\""),
                    "{who:?} is told an item is withheld: {text}"
                );
            }
        }
    }
}

async fn developer_cannot_register_for_another_organisation(app: TestApp) {
    let mut body = system_json("Not mine");
    body["owner_organisation_id"] = app.bank.to_string().into();
    let r = app
        .request(Who::Developer, Method::POST, "/api/v1/systems")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let total = app.store.systems(&Default::default()).await.unwrap().total;
    assert_eq!(total, 0);
    let anon = app
        .request(Who::Anonymous, Method::POST, "/api/v1/systems")
        .json(&system_json("Anonymous"))
        .send()
        .await
        .unwrap();
    assert_eq!(anon.status(), 401);
    let supervisor = app
        .request(Who::Supervisor, Method::POST, "/api/v1/systems")
        .json(&system_json("Supervisor's"))
        .send()
        .await
        .unwrap();
    let (status, _, fields) = error_fields(supervisor).await;
    assert_eq!(status, 422, "a supervisor has no organisation to own it");
    assert_eq!(fields[0].0, "owner_organisation_id");
}

async fn withdraw_keeps_versions(app: TestApp) {
    let id = app.system().await.to_string();
    let other = app
        .request(
            Who::OtherDeveloper,
            Method::POST,
            &format!("/api/v1/systems/{id}/withdraw"),
        )
        .send()
        .await
        .unwrap();
    // A draft: to another organisation it is no system at all.
    assert_eq!(other.status(), 404);
    let client = app.client(Who::Developer);
    let withdrawn = client
        .withdraw_system(&id, Some("Replaced by v2 product".into()))
        .await
        .unwrap();
    assert_eq!(withdrawn.system.status.as_str(), "withdrawn");
    let again = client.withdraw_system(&id, None).await.unwrap_err();
    assert!(
        matches!(again, ClientError::Api { status: 409, .. }),
        "{again}"
    );
    let v: VersionInput = serde_json::from_value(system_json("Zombie")).unwrap();
    let refused = client.add_version(&id, 1, &v).await.unwrap_err();
    assert!(
        matches!(refused, ClientError::Api { status: 409, .. }),
        "{refused}"
    );
    assert_eq!(client.system_versions(&id).await.unwrap().total, 1);
}

async fn list_filters_by_sector_status_organisation_and_text(app: TestApp) {
    let client = app.client(Who::Developer);
    client.register_system(&input("Радиология")).await.unwrap();
    let mut edu = system_json("Exam proctoring");
    edu["profile"]["sectors"] = serde_json::json!(["education"]);
    let edu: SystemInput = serde_json::from_value(edu).unwrap();
    let proctor = client
        .register_system(&edu)
        .await
        .unwrap()
        .value
        .system
        .id
        .to_string();
    client.withdraw_system(&proctor, None).await.unwrap();
    // Both are drafts never submitted: the public lists neither, their
    // owner's developers list both, with every filter.
    assert_eq!(
        app.client(Who::Anonymous)
            .systems(&SystemQuery::default())
            .await
            .unwrap()
            .total,
        0
    );
    let public = app.client(Who::Developer);
    let q = |f: fn(&mut SystemQuery)| {
        let mut query = SystemQuery::default();
        f(&mut query);
        query
    };
    let health = public
        .systems(&q(|q| q.sector = Some("healthcare".into())))
        .await
        .unwrap();
    assert_eq!(health.total, 1);
    let withdrawn = public
        .systems(&q(|q| q.status = Some("withdrawn".into())))
        .await
        .unwrap();
    assert_eq!(withdrawn.total, 1);
    assert_eq!(withdrawn.items[0].id.to_string(), proctor);
    let text = public
        .systems(&q(|q| q.q = Some("РАДИОЛОГИЯ".into())))
        .await
        .unwrap();
    assert_eq!(text.total, 1);
    let mut by_org = SystemQuery {
        organisation: Some(app.bank.to_string()),
        ..Default::default()
    };
    assert_eq!(public.systems(&by_org).await.unwrap().total, 0);
    by_org.organisation = Some(app.hospital.to_string());
    assert_eq!(public.systems(&by_org).await.unwrap().total, 2);
    let minimal = public
        .systems(&q(|q| q.risk_level = Some("minimal".into())))
        .await
        .unwrap();
    assert_eq!(
        minimal.total, 0,
        "nothing is classified before the rule packs run"
    );
    let mut paged = SystemQuery {
        limit: Some(1),
        ..Default::default()
    };
    let first = public.systems(&paged).await.unwrap();
    assert_eq!(first.items.len(), 1);
    paged.cursor = first.next_cursor.clone();
    let second = public.systems(&paged).await.unwrap();
    assert_eq!(second.items.len(), 1);
    assert!(second.next_cursor.is_none());
    assert_ne!(first.items[0].id, second.items[0].id);
}

/// Issue 19, finding 6: naming an unrelated bank as operator listed the
/// system under the bank at once (201, and the bank's filter found it).
/// Now the bank is asked: the system is listed under it only once one of
/// its developers accepts, and a refusal leaves it without an operator.
pub async fn an_operator_is_listed_only_once_it_accepts(app: TestApp) {
    let owner = app.client(Who::Developer);
    let named = |name: &str| {
        let mut json = system_json(name);
        json["holder_organisation_id"] = serde_json::json!(app.bank.to_string());
        serde_json::from_value::<SystemInput>(json).unwrap()
    };
    let created = owner.register_system(&named("Card scoring")).await.unwrap();
    let id = created.value.system.id.to_string();
    assert_eq!(created.value.system.holder_organisation_id, None);
    let under_bank = || SystemQuery {
        organisation: Some(app.bank.to_string()),
        ..Default::default()
    };
    // The system is a draft: the authority's list, which holds drafts,
    // shows whom it is listed under.
    let public = app.client(Who::Supervisor);
    assert_eq!(public.systems(&under_bank()).await.unwrap().total, 0);

    // The bank sees the request; the owner's developer does not answer it.
    let requests_path = format!("/api/v1/organisations/{}/operator-requests", app.bank);
    let requests = app.read(Who::OtherDeveloper, &requests_path).await;
    assert_eq!(requests.as_array().unwrap().len(), 1, "{requests}");
    assert_eq!(requests[0]["system_id"], id.as_str());
    assert_eq!(
        requests[0]["owner_organisation_id"],
        app.hospital.to_string()
    );
    let forbidden = app
        .request(Who::Developer, Method::GET, &requests_path)
        .send()
        .await
        .unwrap();
    assert_eq!(forbidden.status(), 403);
    let answer_path = format!("/api/v1/systems/{id}/operator");
    let by_owner = app
        .request(Who::Developer, Method::POST, &answer_path)
        .json(&serde_json::json!({"decision": "accept"}))
        .send()
        .await
        .unwrap();
    assert_eq!(by_owner.status(), 403, "the owner is not the one asked");
    let bad = app
        .request(Who::OtherDeveloper, Method::POST, &answer_path)
        .json(&serde_json::json!({"decision": "maybe"}))
        .send()
        .await
        .unwrap();
    let (status, _, fields) = error_fields(bad).await;
    assert_eq!(status, 422);
    assert!(
        fields.iter().any(|(f, _)| f.contains("decision")),
        "{fields:?}"
    );
    assert_eq!(public.systems(&under_bank()).await.unwrap().total, 0);

    // The bank accepts: listed under it, request gone, owner told.
    let accepted = app
        .request(Who::OtherDeveloper, Method::POST, &answer_path)
        .json(&serde_json::json!({"decision": "accept"}))
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 200);
    let system: serde_json::Value = accepted.json().await.unwrap();
    assert_eq!(system["holder_organisation_id"], app.bank.to_string());
    assert_eq!(public.systems(&under_bank()).await.unwrap().total, 1);
    let requests = app.read(Who::OtherDeveloper, &requests_path).await;
    assert_eq!(requests.as_array().unwrap().len(), 0);
    let again = app
        .request(Who::OtherDeveloper, Method::POST, &answer_path)
        .json(&serde_json::json!({"decision": "refuse"}))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409, "answered once");
    let inbox = app.read(Who::Developer, "/api/v1/inbox").await;
    assert!(
        inbox["items"]
            .to_string()
            .contains("notice-operator-accepted"),
        "{inbox}"
    );
    // A later version naming the same operator keeps it.
    let mut next: VersionInput = serde_json::from_value(system_json("Card scoring 2")).unwrap();
    next.holder_organisation_id = Some(app.bank);
    let kept = owner.add_version(&id, 1, &next).await.unwrap();
    assert_eq!(kept.value.system.holder_organisation_id, Some(app.bank));

    // A second system: the bank refuses; it stays without an operator.
    let other = owner.register_system(&named("Loan chatbot")).await.unwrap();
    let other_id = other.value.system.id.to_string();
    let refused = app
        .request(
            Who::OtherDeveloper,
            Method::POST,
            &format!("/api/v1/systems/{other_id}/operator"),
        )
        .json(&serde_json::json!({"decision": "refuse"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 200);
    let shown = app
        .read(Who::Anonymous, &format!("/api/v1/systems/{other_id}"))
        .await;
    assert!(
        shown["system"]["holder_organisation_id"].is_null(),
        "{shown}"
    );
    assert_eq!(public.systems(&under_bank()).await.unwrap().total, 1);

    // A rebuild from the log brings back the same operators and requests.
    let third = owner
        .register_system(&named("Queue forecast"))
        .await
        .unwrap();
    app.store
        .execute(
            senim_store::Actor::operator(),
            senim_store::Command::Rebuild,
        )
        .await
        .unwrap();
    let holder = |id: &str| {
        let store = app.store.clone();
        let id: senim_domain::SystemId = id.parse().unwrap();
        async move { store.system(id).await.unwrap().holder_organisation_id }
    };
    assert_eq!(holder(&id).await, Some(app.bank));
    assert_eq!(holder(&other_id).await, None);
    assert_eq!(holder(&third.value.system.id.to_string()).await, None);
    let requests = app.read(Who::OtherDeveloper, &requests_path).await;
    assert_eq!(requests.as_array().unwrap().len(), 1);
    assert_eq!(
        requests[0]["system_id"],
        third.value.system.id.to_string().as_str()
    );
}

/// Issue 19, item 2: a supervisor's switch pauses the public intake for one
/// system (a flood about it), with a public reason; reports about other
/// systems still come in, the authority still files, and resuming lets
/// them in again.
pub async fn a_supervisor_pauses_reports_about_one_system(app: TestApp) {
    let system = app
        .registered_system_named("Card scoring")
        .await
        .to_string();
    let path = format!("/api/v1/systems/{system}/intake");
    let report = |id: &str| {
        serde_json::json!({"type": "tip", "system_id": id,
            "description": format!("Something about {id} that the public wants the authority to know.")})
    };
    let file = |body: serde_json::Value| {
        let r = app.http.post(app.url("/api/v1/reports")).json(&body);
        async move { crate::helpers::error_or(r.send().await.unwrap()).await }
    };
    assert_eq!(file(report(&system)).await.0, 201);
    let pause = |who: Who, body: serde_json::Value| {
        let r = app.request(who, Method::PUT, &path).json(&body);
        async move { r.send().await.unwrap() }
    };
    let refused = pause(
        Who::Developer,
        serde_json::json!({"paused": true, "reason": "x"}),
    )
    .await;
    assert_eq!(refused.status(), 403);
    let (status, _, fields) =
        error_fields(pause(Who::Supervisor, serde_json::json!({"paused": true})).await).await;
    assert_eq!(status, 422);
    assert_eq!(fields[0].0, "reason");
    let paused = pause(
        Who::Supervisor,
        serde_json::json!({"paused": true,
            "reason": "Thousands of identical reports; write to the authority's office instead."}),
    )
    .await;
    assert_eq!(paused.status(), 200);
    let shown = app.read(Who::Anonymous, &path).await;
    assert!(shown["reason"].as_str().unwrap().contains("Thousands"));
    let events = app.store.event_count().await.unwrap();
    let (status, message) = file(report(&system)).await;
    assert_eq!(status, 409);
    assert!(
        message.contains("write to the authority's office instead"),
        "{message}"
    );
    assert_eq!(
        app.store.event_count().await.unwrap(),
        events,
        "nothing written"
    );
    // Another system, and the authority itself, still report.
    let other = app
        .registered_system_named("Exam proctoring")
        .await
        .to_string();
    assert_eq!(file(report(&other)).await.0, 201);
    let (status, body) = crate::routes::datasets::send(
        &app,
        Who::Supervisor,
        Method::POST,
        "/api/v1/reports",
        None,
        Some(report(&system)),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    // The system's page says so to everyone.
    let (_, html) = crate::pages::page(&app, &format!("/systems/{system}"), "en").await;
    assert!(
        html.contains("The authority has paused reports about this system"),
        "{html}"
    );
    let resumed = pause(Who::Supervisor, serde_json::json!({"paused": false})).await;
    assert_eq!(resumed.status(), 200);
    assert!(app.read(Who::Anonymous, &path).await.is_null());
    assert_eq!(file(report(&system)).await.0, 201);
}

/// Issue 20, finding 1: the register's search found nothing for a sector's
/// name, an organisation's name in Russian or Kazakh, a typo, a registry
/// number. The page and the API's `q` now search one index and find the
/// same systems, in all three languages; words that find nothing get a
/// "did you mean".
async fn the_register_finds_what_its_hint_promises(app: TestApp) {
    let client = app.client(Who::Developer);
    let mut sepsis = system_json("Sepsis early warning");
    sepsis["name"]["kk"] = "Сепсисті ерте анықтау".into();
    let sepsis: SystemInput = serde_json::from_value(sepsis).unwrap();
    let id = client
        .register_system(&sepsis)
        .await
        .unwrap()
        .value
        .system
        .id;
    let mut other = system_json("Exam proctoring");
    other["name"]["ru"] = "Прокторинг экзаменов".into();
    other["profile"]["sectors"] = serde_json::json!(["education"]);
    let other: SystemInput = serde_json::from_value(other).unwrap();
    let other = app
        .client(Who::OtherDeveloper)
        .register_system(&other)
        .await
        .unwrap()
        .value
        .system
        .id;
    // Submitted, both are public.
    app.submit(Who::Developer, id).await;
    app.submit(Who::OtherDeveloper, other).await;
    let public = app.client(Who::Anonymous);
    let hospital_bin = crate::helpers::bin("94054000013");
    for words in [
        "Healthcare",
        "здравоохранение",
        "ДЕНСАУЛЫҚ",
        "Hospital",
        "hospital (қаз)",
        &hospital_bin,
        &id.to_string(),
        "sepsys",
        "сортировки пациента",
        "сепсисті",
        "сепсистің",
        "early warn",
    ] {
        let found = public
            .systems(&SystemQuery {
                q: Some(words.to_string()),
                ..Default::default()
            })
            .await
            .unwrap();
        let names: Vec<&str> = found.items.iter().map(|s| s.name.get("en")).collect();
        assert_eq!(names, ["Sepsis early warning"], "API, {words}");
        let address = form_urlencoded::Serializer::new(String::from("/register?"))
            .append_pair("q", words)
            .finish();
        for lang in ["kk", "ru", "en"] {
            let (status, page) = crate::pages::page(&app, &address, lang).await;
            assert_eq!(status, 200);
            assert!(
                page.contains(&format!("/systems/{id}")),
                "page, {lang}, {words}"
            );
            assert!(!page.contains("Exam proctoring"), "page, {lang}, {words}");
        }
    }
    // Both organisations' systems, each by its own words.
    let found = public
        .systems(&SystemQuery {
            q: Some("экзаменов".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(found.total, 1);
    // Nothing found: the page offers the nearest words the register holds.
    let (_, page) = crate::pages::page(&app, "/register?q=sepzys", "en").await;
    assert!(page.contains("Did you mean:"), "{page}");
    assert!(page.contains("q=sepsis"), "{page}");
    let (_, page) = crate::pages::page(&app, "/register?q=sepzys", "ru").await;
    assert!(page.contains("Возможно, вы имели в виду:"), "{page}");
}
