//! Registration dossiers over HTTP: the whole story of a high-risk system
//! from submission to registration, and every refusal on the way.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use reqwest::Method;
use serde_json::{json, Value};

use senim_domain::api::Receipt;
use senim_domain::Role;
use senim_store::{Actor, Applied, Command};
use senim_tlog::NoteVerifier;

use crate::helpers::{error_fields, system_json, TestApp, Who};

crate::on_both_backends!(
    a_high_risk_system_goes_through_review_to_the_register,
    illegal_steps_are_refused_and_change_nothing,
    the_pack_decides_the_path,
    a_citizen_reports_harm_and_the_authority_acts,
    a_sector_body_keeps_its_trusted_list,
    a_new_pack_puts_registered_systems_on_its_path,
    an_audit_runs_metrics_against_the_packs_thresholds,
    queues_put_overdue_dossiers_first,
    a_dossier_cannot_be_steered_around_the_rules,
    an_answer_carries_the_file_it_was_asked_for,
    a_dossier_takes_the_owners_documents_and_a_finding_its_evidence,
    a_draft_is_its_organisations_own_until_submitted,
);

/// Issue 20, item 4: a draft made by the wizard or the API was listed in
/// the public register, readable by anyone, and its name and documentation
/// were in the public log. A draft is now its organisation's own until it
/// is submitted: the public, another organisation and reviewers neither list
/// nor read it, the log shows it only as digests, and from its submission on
/// it is public, even when the application is later withdrawn.
async fn a_draft_is_its_organisations_own_until_submitted(app: TestApp) {
    let mut s = Session {
        app: &app,
        receipts: Vec::new(),
    };
    let developer = token(&app, Who::Developer);
    let mut minimal = system_json("Quokka bed forecast");
    minimal["profile"] = json!({"sectors": ["healthcare"], "functions": ["other"], "autonomy": "low",
        "affects": ["none"], "failure_impact": "minimal"});
    let (status, system) = s
        .send(
            &developer,
            Method::POST,
            "/api/v1/systems",
            None,
            Some(minimal),
        )
        .await;
    assert_eq!(status, 201);
    let id = system["system"]["id"].as_str().unwrap().to_string();
    let created = s.receipts.last().unwrap().index;
    let path = format!("/api/v1/systems/{id}");
    let reads = |who: Who| {
        let path = path.clone();
        let app = &app;
        async move {
            app.request(who, Method::GET, &path)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(reads(Who::Anonymous).await, 401);
    for who in [Who::OtherDeveloper, Who::ExpertReviewer, Who::DataSteward] {
        assert_eq!(reads(who).await, 404, "{who:?}");
    }
    for who in [Who::Developer, Who::Supervisor, Who::Auditor] {
        assert_eq!(reads(who).await, 200, "{who:?}");
    }
    let listed = |body: &Value| {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["id"].as_str() == Some(id.as_str()))
    };
    let other = token(&app, Who::OtherDeveloper);
    let supervisor = token(&app, Who::Supervisor);
    for q in ["/api/v1/systems?limit=500", "/api/v1/systems?q=quokka"] {
        for (who, sees) in [
            ("", false),
            (&*other, false),
            (&*developer, true),
            (&*supervisor, true),
        ] {
            let (status, body) = s.send(who, Method::GET, q, None, None).await;
            assert_eq!((status, listed(&body)), (200, sees), "{q} as {who:?}");
        }
    }
    let page = app
        .http
        .get(app.url("/register?q=quokka"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !page.contains("Quokka"),
        "the public register lists a draft"
    );
    // The public log shows that a draft was made, and nothing of it.
    let (_, entry) = s
        .send(
            "",
            Method::GET,
            &format!("/api/v1/log/entries/{created}"),
            None,
            None,
        )
        .await;
    let text = entry["entry"].as_str().unwrap().to_string();
    assert!(!text.contains("Quokka"), "{text}");
    assert!(!text.contains("emergency queue"), "{text}");
    let event: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(event["payload"]["system"]["status"], "draft");
    for private in ["system", "version", "details"] {
        assert_eq!(
            event["private"][private].as_str().unwrap().len(),
            64,
            "{private}"
        );
    }

    // Submitted (no review on this path), it is public at once.
    let (status, case) = s
        .send(
            &developer,
            Method::POST,
            "/api/v1/cases",
            None,
            Some(json!({"kind": "registration", "system_id": id})),
        )
        .await;
    assert_eq!((status, case["state"].as_str()), (201, Some("registered")));
    assert_eq!(reads(Who::Anonymous).await, 200);
    // Its submission's entry shows the version as the public reads it.
    let submitted = s.receipts.last().unwrap().index;
    let (_, entry) = s
        .send(
            "",
            Method::GET,
            &format!("/api/v1/log/entries/{submitted}"),
            None,
            None,
        )
        .await;
    let text = entry["entry"].as_str().unwrap().to_string();
    assert!(text.contains("Orders the emergency queue"), "{text}");
    assert!(!text.contains("120,000 anonymised"), "{text}");
    let (_, body) = s
        .send("", Method::GET, "/api/v1/systems?q=quokka", None, None)
        .await;
    assert!(listed(&body));
    let (_, body) = s.send("", Method::GET, &path, None, None).await;
    assert!(body["system"]["public_since"].is_string(), "{body}");
    // Withdrawn from the register, it stays public: its history is.
    let (status, _) = s
        .send(
            &developer,
            Method::POST,
            &format!("{path}/withdraw"),
            None,
            Some(json!({"reason": "Replaced"})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(reads(Who::Anonymous).await, 200);

    // A draft withdrawn before it was ever submitted stays private, and so
    // does its withdrawal in the log.
    let (_, draft) = s
        .send(
            &developer,
            Method::POST,
            "/api/v1/systems",
            None,
            Some(system_json("Quokka never sent")),
        )
        .await;
    let draft = draft["system"]["id"].as_str().unwrap().to_string();
    let (status, _) = s
        .send(
            &developer,
            Method::POST,
            &format!("/api/v1/systems/{draft}/withdraw"),
            None,
            None,
        )
        .await;
    assert_eq!(status, 200);
    let withdrawn = s.receipts.last().unwrap().index;
    let (status, _) = s
        .send(
            &other,
            Method::GET,
            &format!("/api/v1/systems/{draft}"),
            None,
            None,
        )
        .await;
    assert_eq!(status, 404);
    let (_, entry) = s
        .send(
            "",
            Method::GET,
            &format!("/api/v1/log/entries/{withdrawn}"),
            None,
            None,
        )
        .await;
    let text = entry["entry"].as_str().unwrap();
    assert!(!text.contains("Quokka"), "{text}");
    assert!(text.contains("system.withdrawn"), "{text}");
}

/// Issue 20, finding 5: an information request asked to "attach the
/// validation report", but the answer was a text box. The answer now takes
/// a file: its kind checked by its content, kept by its SHA-256, named in
/// the answer, and read back only by those who may read the dossier.
async fn an_answer_carries_the_file_it_was_asked_for(app: TestApp) {
    let mut s = Session {
        app: &app,
        receipts: Vec::new(),
    };
    let (reviewers, _) = pool(&app, &mut s).await;
    let developer = token(&app, Who::Developer);
    let (_, system) = s
        .send(
            &developer,
            Method::POST,
            "/api/v1/systems",
            None,
            Some(system_json("Attached triage")),
        )
        .await;
    let system_id = system["system"]["id"].as_str().unwrap().to_string();
    let (_, mut case) = s
        .send(
            &developer,
            Method::POST,
            "/api/v1/cases",
            None,
            Some(json!({"kind": "registration", "system_id": system_id})),
        )
        .await;
    let reviewer = reviewers_of(&case)[0].clone();
    let t = reviewers
        .iter()
        .find(|(r, _)| *r == reviewer)
        .unwrap()
        .1
        .clone();
    case = s
        .step(&t, &case, json!({"action": "declare", "conflict": false}))
        .await;
    case = s
        .step(
            &t,
            &case,
            json!({"action": "request_information", "questions": "Attach the validation report."}),
        )
        .await;
    let id = case["id"].as_str().unwrap().to_string();
    // A step naming a file the server does not hold is refused.
    let (status, body) = s
        .send(
            &developer,
            Method::POST,
            &format!("/api/v1/cases/{id}/steps"),
            case["revision"].as_i64(),
            Some(json!({"action": "respond", "answer": "Attached.", "attachments": [
                {"sha256": "0".repeat(64), "name": "report.pdf", "media_type": "application/pdf", "size": 10}
            ]})),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["error"]["fields"][0]["field"], "attachments[0].sha256",
        "{body}"
    );
    let revision = case["revision"].as_i64().unwrap().to_string();
    let session = crate::pages::sign_in(&app, "dev@hospital.kz").await;
    let html = crate::pages::page_as(&app, &session, &format!("/desk/cases/{id}"), "en").await;
    assert!(
        html.contains(&format!("action=\"/desk/cases/{id}/respond\"")),
        "the answer is a form with a file: {html}"
    );
    assert!(html.contains("enctype=\"multipart/form-data\""), "{html}");
    let csrf = crate::pages::field_value(&html, "csrf_token");
    let to = format!("/desk/cases/{id}/respond");
    let fields = [
        ("csrf_token", csrf.as_str()),
        ("revision", revision.as_str()),
        ("action", "respond"),
        ("answer", "The report is attached."),
    ];
    // A picture named as a PDF is refused, and nothing is answered.
    let png = b"\x89PNG\r\n\x1a\nnot really a picture";
    let (status, _, html) =
        crate::pages::post_multipart(&app, &session, &to, &fields, Some(("validation.pdf", png)))
            .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("does not hold what its name says"), "{html}");
    // A PDF is kept and named in the answer.
    let pdf = b"%PDF-1.4\n% validation report\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n";
    let (status, location, html) =
        crate::pages::post_multipart(&app, &session, &to, &fields, Some(("validation.pdf", pdf)))
            .await;
    assert_eq!(status, 303, "{html}");
    assert!(location.contains("done=respond"), "{location}");
    let (_, shown) = s
        .send(
            &developer,
            Method::GET,
            &format!("/api/v1/cases/{id}"),
            None,
            None,
        )
        .await;
    let attachment = &shown["registration"]["information_requests"][0]["answer"]["attachments"][0];
    let sha = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(pdf))
    };
    assert_eq!(attachment["sha256"], sha, "{shown}");
    assert_eq!(attachment["media_type"], "application/pdf");
    assert_eq!(attachment["name"], "validation.pdf");
    // The owner reads it back, as a download; another organisation and the
    // public do not learn it exists.
    let href = format!("/desk/cases/{id}/attachments/{sha}");
    let html = crate::pages::page_as(&app, &session, &format!("/desk/cases/{id}"), "en").await;
    assert!(html.contains(&href), "the case page lists the file: {html}");
    let r = app
        .http
        .get(app.url(&href))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    assert_eq!(r.bytes().await.unwrap().as_ref(), pdf);
    let bank = crate::pages::sign_in(&app, "dev@bank.kz").await;
    for cookie in [bank.as_str(), ""] {
        let r = app
            .http
            .get(app.url(&href))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{cookie}");
    }
    // A response to an audit's finding takes its evidence the same way.
    let supervisor = token(&app, Who::Supervisor);
    let auditor = token(&app, Who::Auditor);
    let registered = registered_system(&mut s, &developer).await;
    let (status, audit) = s
        .send(
            &supervisor,
            Method::POST,
            "/api/v1/cases",
            None,
            Some(
                json!({"kind": "audit", "system_id": registered, "basis": "planned",
                          "auditor": app.accounts[&Who::Auditor].to_string()}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{audit}");
    let item = audit["audit"]["checklist"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let audit = s
        .step(
            &auditor,
            &audit,
            json!({"action": "finding", "item": item, "severity": "low",
            "description": "The incident log is not reviewed."}),
        )
        .await;
    let audit_id = audit["id"].as_str().unwrap().to_string();
    let html =
        crate::pages::page_as(&app, &session, &format!("/desk/cases/{audit_id}"), "en").await;
    let csrf = crate::pages::field_value(&html, "csrf_token");
    let revision = audit["revision"].as_i64().unwrap().to_string();
    let csv = b"date,reviewed_by\n2026-03-01,quality board\n";
    let (status, location, html) = crate::pages::post_multipart(
        &app,
        &session,
        &format!("/desk/cases/{audit_id}/respond"),
        &[
            ("csrf_token", csrf.as_str()),
            ("revision", revision.as_str()),
            ("action", "respond_finding"),
            ("finding", "1"),
            (
                "response",
                "The log is now reviewed monthly; the record is attached.",
            ),
        ],
        Some(("incident-reviews.csv", csv)),
    )
    .await;
    assert_eq!(status, 303, "{html}");
    assert!(location.contains("done=respond_finding"), "{location}");
    let (_, shown) = s
        .send(
            &auditor,
            Method::GET,
            &format!("/api/v1/cases/{audit_id}"),
            None,
            None,
        )
        .await;
    let file = &shown["audit"]["findings"][0]["response"]["attachments"][0];
    assert_eq!(file["media_type"], "text/csv", "{shown}");
    assert_eq!(file["name"], "incident-reviews.csv");
    // Over the API: stored for a step the caller may take, read back by those
    // who may read the dossier, refused to another organisation.
    let sha = file["sha256"].as_str().unwrap().to_string();
    let path = format!("/api/v1/cases/{audit_id}/attachments");
    let r = app
        .request(Who::Developer, Method::GET, &format!("{path}/{sha}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap().as_ref(), csv);
    let r = app
        .request(Who::OtherDeveloper, Method::GET, &format!("{path}/{sha}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = app
        .request(
            Who::Developer,
            Method::POST,
            &format!("{path}?action=respond_finding&name=notes.pdf"),
        )
        .body("not a PDF")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let r = app
        .request(
            Who::Developer,
            Method::POST,
            &format!("{path}?action=respond_finding&name=notes.txt"),
        )
        .body("Notes of the quality board.")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let stored: Value = r.json().await.unwrap();
    assert_eq!(stored["media_type"], "text/plain", "{stored}");
    let r = app
        .request(
            Who::OtherDeveloper,
            Method::POST,
            &format!("{path}?action=respond_finding&name=notes.txt"),
        )
        .body("Not mine to send.")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}

/// Issue 20, item 5: "dossiers, findings ... take files", but a dossier
/// took no document from its owner outside an answer, and an auditor's
/// finding took no evidence. The owner now adds documents to a dossier
/// under review (what they are, and the file), the reviewers are told and
/// read them beside the documentation, the public sees only their names
/// and digests; a finding takes the auditor's evidence.
async fn a_dossier_takes_the_owners_documents_and_a_finding_its_evidence(app: TestApp) {
    let mut s = Session {
        app: &app,
        receipts: Vec::new(),
    };
    let (reviewers, _) = pool(&app, &mut s).await;
    let developer = token(&app, Who::Developer);
    let (_, system) = s
        .send(
            &developer,
            Method::POST,
            "/api/v1/systems",
            None,
            Some(system_json("Documented triage")),
        )
        .await;
    let system_id = system["system"]["id"].as_str().unwrap().to_string();
    let (_, case) = s
        .send(
            &developer,
            Method::POST,
            "/api/v1/cases",
            None,
            Some(json!({"kind": "registration", "system_id": system_id})),
        )
        .await;
    let id = case["id"].as_str().unwrap().to_string();
    let revision = case["revision"].as_i64().unwrap();
    // Over the API: no file, or a file the server does not hold, is refused.
    for (attachments, field) in [
        (json!([]), "attachments"),
        (
            json!([{"sha256": "0".repeat(64), "name": "report.pdf", "media_type": "application/pdf", "size": 10}]),
            "attachments[0].sha256",
        ),
    ] {
        let (status, body) = s
            .send(
                &developer,
                Method::POST,
                &format!("/api/v1/cases/{id}/steps"),
                Some(revision),
                Some(
                    json!({"action": "add_documents", "description": "The validation report.",
                    "attachments": attachments}),
                ),
            )
            .await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["error"]["fields"][0]["field"], field, "{body}");
    }
    // Another organisation may not add documents to the dossier.
    let (status, body) = s
        .send(
            &token(&app, Who::OtherDeveloper),
            Method::POST,
            &format!("/api/v1/cases/{id}/steps"),
            Some(revision),
            Some(json!({"action": "add_documents", "description": "Mine.", "attachments": []})),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    // From the case page: a form with a file, its label saying the file is
    // needed; sent without one, it is refused beside the file and changes
    // nothing.
    let session = crate::pages::sign_in(&app, "dev@hospital.kz").await;
    let html = crate::pages::page_as(&app, &session, &format!("/desk/cases/{id}"), "en").await;
    assert!(
        html.contains("Add documents to the dossier"),
        "the owner is offered the step: {html}"
    );
    assert!(html.contains("What the documents are"), "{html}");
    let csrf = crate::pages::field_value(&html, "csrf_token");
    let to = format!("/desk/cases/{id}/respond");
    let revision_text = revision.to_string();
    let description = "Validation report of version 1, 2,000 admissions from two hospitals.";
    let fields = [
        ("csrf_token", csrf.as_str()),
        ("revision", revision_text.as_str()),
        ("action", "add_documents"),
        ("description", description),
    ];
    let (status, _, html) = crate::pages::post_multipart(&app, &session, &to, &fields, None).await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("must hold at least one file"), "{html}");
    let (_, unchanged) = s
        .send(
            &developer,
            Method::GET,
            &format!("/api/v1/cases/{id}"),
            None,
            None,
        )
        .await;
    assert_eq!(unchanged["revision"], revision, "{unchanged}");
    let pdf = b"%PDF-1.4\n% validation report\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n";
    let (status, location, html) = crate::pages::post_multipart(
        &app,
        &session,
        &to,
        &fields,
        Some(("validation-v1.pdf", pdf)),
    )
    .await;
    assert_eq!(status, 303, "{html}");
    assert!(location.contains("done=add_documents"), "{location}");
    let (_, shown) = s
        .send(
            &developer,
            Method::GET,
            &format!("/api/v1/cases/{id}"),
            None,
            None,
        )
        .await;
    let documents = &shown["registration"]["documents"][0];
    assert_eq!(documents["description"], description, "{shown}");
    assert_eq!(documents["version"], 1);
    let sha = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(pdf))
    };
    assert_eq!(documents["attachments"][0]["sha256"], sha.as_str());
    assert_eq!(documents["attachments"][0]["name"], "validation-v1.pdf");
    assert_eq!(shown["state"], case["state"], "the review goes on");
    // The reviewers are told, and read the documents beside the
    // documentation once they declared.
    for reviewer in reviewers_of(&shown) {
        let t = &reviewers.iter().find(|(r, _)| *r == reviewer).unwrap().1;
        let (_, inbox) = s.send(t, Method::GET, "/api/v1/inbox", None, None).await;
        assert!(
            inbox["items"]
                .as_array()
                .unwrap()
                .iter()
                .any(|n| n["key"] == "notice-documents-added"),
            "{inbox}"
        );
    }
    let dossier =
        crate::pages::page_as(&app, &session, &format!("/desk/cases/{id}/dossier"), "ru").await;
    assert!(dossier.contains("Документы разработчика"), "{dossier}");
    assert!(
        dossier.contains(&format!("/desk/cases/{id}/attachments/{sha}")),
        "{dossier}"
    );
    let r = app
        .http
        .get(app.url(&format!("/desk/cases/{id}/attachments/{sha}")))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap().as_ref(), pdf);
    // The public reads the file's name and digest, not what the owner
    // wrote of it; the log entry neither.
    // The page's step is the entry after the submission's.
    let entry = s.receipts.last().unwrap().index + 1;
    let (_, public) = s
        .send("", Method::GET, &format!("/api/v1/cases/{id}"), None, None)
        .await;
    assert_eq!(
        public["registration"]["documents"][0]["description"], "",
        "{public}"
    );
    assert_eq!(
        public["registration"]["documents"][0]["attachments"][0]["sha256"],
        sha.as_str()
    );
    let (_, log) = s
        .send(
            "",
            Method::GET,
            &format!("/api/v1/log/entries/{entry}"),
            None,
            None,
        )
        .await;
    let text = log["entry"].as_str().unwrap();
    assert!(text.contains("registration.documents_added"), "{text}");
    assert!(
        text.contains(&sha),
        "the log holds the file's digest: {text}"
    );
    assert!(!text.contains("2,000 admissions"), "{text}");

    // An auditor's finding takes its evidence, stored first over the API.
    let supervisor = token(&app, Who::Supervisor);
    let auditor = token(&app, Who::Auditor);
    let registered = registered_system(&mut s, &developer).await;
    let (_, audit) = s
        .send(
            &supervisor,
            Method::POST,
            "/api/v1/cases",
            None,
            Some(
                json!({"kind": "audit", "system_id": registered, "basis": "planned",
                          "auditor": app.accounts[&Who::Auditor].to_string()}),
            ),
        )
        .await;
    let audit_id = audit["id"].as_str().unwrap().to_string();
    let item = audit["audit"]["checklist"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let protocol = b"case,expected,got\n1,urgent,routine\n";
    let r = app
        .request(
            Who::Auditor,
            Method::POST,
            &format!("/api/v1/cases/{audit_id}/attachments?action=finding&name=protocol.csv"),
        )
        .body(protocol.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let stored: Value = r.json().await.unwrap();
    let audit = s
        .step(
            &auditor,
            &audit,
            json!({"action": "finding", "item": item, "severity": "high",
                "description": "One urgent case of the protocol was routed as routine.",
                "attachments": [stored]}),
        )
        .await;
    assert_eq!(
        audit["audit"]["findings"][0]["attachments"][0]["media_type"], "text/csv",
        "{audit}"
    );
    // The owner reads the evidence; another organisation does not.
    let sha = stored["sha256"].as_str().unwrap();
    let path = format!("/api/v1/cases/{audit_id}/attachments/{sha}");
    let r = app
        .request(Who::Developer, Method::GET, &path)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap().as_ref(), protocol);
    let r = app
        .request(Who::OtherDeveloper, Method::GET, &path)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // The auditor's form takes the file from the page.
    let auditor_session = crate::pages::sign_in(&app, "auditor@ministry.kz").await;
    let html = crate::pages::page_as(
        &app,
        &auditor_session,
        &format!("/desk/cases/{audit_id}"),
        "en",
    )
    .await;
    assert!(html.contains("Attach evidence (optional)"), "{html}");
    assert!(
        html.contains(&format!("action=\"/desk/cases/{audit_id}/respond\"")),
        "{html}"
    );
}

/// Sends JSON with a bearer token (and `If-Match` when given); keeps receipts.
struct Session<'a> {
    app: &'a TestApp,
    receipts: Vec<Receipt>,
}

impl Session<'_> {
    async fn send(
        &mut self,
        token: &str,
        method: Method,
        path: &str,
        if_match: Option<i64>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut r = self.app.http.request(method, self.app.url(path));
        if !token.is_empty() {
            r = r.bearer_auth(token);
        }
        if let Some(rev) = if_match {
            r = r.header("if-match", format!("\"{rev}\""));
        }
        if let Some(b) = body {
            r = r.json(&b);
        }
        let response = r.send().await.unwrap();
        let status = response.status().as_u16();
        if let Some(h) = response.headers().get("senim-receipt") {
            self.receipts.push(
                serde_json::from_slice(&URL_SAFE_NO_PAD.decode(h.as_bytes()).unwrap()).unwrap(),
            );
        }
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// A step that must succeed; returns the case after it.
    async fn step(&mut self, token: &str, case: &Value, body: Value) -> Value {
        let path = format!("/api/v1/cases/{}/steps", case["id"].as_str().unwrap());
        let (status, answer) = self
            .send(
                token,
                Method::POST,
                &path,
                case["revision"].as_i64(),
                Some(body.clone()),
            )
            .await;
        assert_eq!(status, 200, "{body} -> {answer}");
        answer
    }
}

fn token(app: &TestApp, who: Who) -> String {
    app.token(who).unwrap().to_string()
}

fn reviewers_of(case: &Value) -> Vec<String> {
    case["assignees"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect()
}

/// Every checklist item marked satisfied.
fn all_marks(case: &Value) -> Value {
    let marks: Vec<Value> = case["registration"]["checklist"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| json!({"item": c["item"], "mark": "satisfied"}))
        .collect();
    json!({"action": "check", "marks": marks})
}

/// Three reviewers in the pool (the seeded one and two more, all competent
/// in healthcare) and a second supervisor; returns tokens by account id.
async fn pool(app: &TestApp, s: &mut Session<'_>) -> (Vec<(String, String)>, String) {
    let mut reviewers = vec![(
        app.accounts[&Who::ExpertReviewer].to_string(),
        token(app, Who::ExpertReviewer),
    )];
    for email in ["expert2@ministry.kz", "expert3@ministry.kz"] {
        let (id, t) = app
            .account_with_token(email, vec![Role::ExpertReviewer], None)
            .await;
        reviewers.push((id.to_string(), t));
    }
    let supervisor = token(app, Who::Supervisor);
    for (id, _) in &reviewers {
        let (status, body) = s
            .send(
                &supervisor,
                Method::PUT,
                &format!("/api/v1/reviewers/{id}"),
                None,
                Some(json!({"sectors": ["healthcare"]})),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    let (_, second) = app
        .account_with_token("supervisor2@ministry.kz", vec![Role::Supervisor], None)
        .await;
    (reviewers, second)
}

pub(crate) async fn a_high_risk_system_goes_through_review_to_the_register(app: TestApp) {
    let mut s = Session {
        app: &app,
        receipts: Vec::new(),
    };
    let (reviewers, second_supervisor) = pool(&app, &mut s).await;
    let token_of = |id: &str| -> String {
        reviewers
            .iter()
            .find(|(r, _)| r == id)
            .map(|(_, t)| t.clone())
            .unwrap()
    };
    let developer = token(&app, Who::Developer);
    let supervisor = token(&app, Who::Supervisor);

    // A hospital registers a high-risk triage system and submits it.
    let (status, system) = s
        .send(
            &developer,
            Method::POST,
            "/api/v1/systems",
            None,
            Some(system_json("Sepsis triage")),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(system["classification"]["risk_level"], "high");
    let system_id = system["system"]["id"].as_str().unwrap().to_string();
    let (status, case) = s
        .send(
            &developer,
            Method::POST,
            "/api/v1/cases",
            None,
            Some(json!({"kind": "registration", "system_id": system_id})),
        )
        .await;
    assert_eq!(status, 201, "{case}");
    assert_eq!(case["state"], "in_expert_review");
    assert!(case["number"].as_str().unwrap().starts_with("REG-2026-"));
    // Two reviewers (the seed pack's four eyes), chosen by competence then load.
    let assigned = reviewers_of(&case);
    assert_eq!(assigned.len(), 2);
    // 20 working days from Monday 2 March 2026 on the Kazakh calendar: the
    // moved 8 March holiday and Nauryz (23-25 March) do not count.
    assert_eq!(case["deadline"]["due"], "2026-04-03");
    assert_eq!(case["overdue"], false);
    let (_, shown) = s
        .send(
            &developer,
            Method::GET,
            &format!("/api/v1/systems/{system_id}"),
            None,
            None,
        )
        .await;
    assert_eq!(shown["system"]["status"], "in_expert_review");

    // The reviewer's queue shows it; the dossier stays closed until the
    // reviewer declares, and the public system page hides the confidential
    // documentation from reviewers too.
    let first = token_of(&assigned[0]);
    let (_, queue) = s
        .send(
            &first,
            Method::GET,
            "/api/v1/cases?mine=true&open=true",
            None,
            None,
        )
        .await;
    assert_eq!(queue["total"], 1);
    let dossier_path = format!("/api/v1/cases/{}/dossier", case["id"].as_str().unwrap());
    let (status, body) = s.send(&first, Method::GET, &dossier_path, None, None).await;
    assert_eq!(status, 403, "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("declare"));
    let (_, public_view) = s
        .send(
            &first,
            Method::GET,
            &format!("/api/v1/systems/{system_id}"),
            None,
            None,
        )
        .await;
    assert!(public_view["version"]["documentation"]["training_data"].is_null());

    // The first reviewer has a conflict and steps aside: the third replaces them.
    let case = s
        .step(&first, &case, json!({"action": "declare", "conflict": true, "statement": "I consulted for this hospital in 2025."}))
        .await;
    let now_assigned = reviewers_of(&case);
    assert_eq!(now_assigned.len(), 2);
    assert!(!now_assigned.contains(&assigned[0]));
    assert_eq!(case["state"], "in_expert_review");
    let (status, _) = s.send(&first, Method::GET, &dossier_path, None, None).await;
    assert_eq!(status, 403, "a replaced reviewer cannot open the dossier");

    // Both reviewers declare no conflict; the dossier opens in full.
    let mut case = case;
    for id in &now_assigned {
        case = s
            .step(
                &token_of(id),
                &case,
                json!({"action": "declare", "conflict": false}),
            )
            .await;
    }
    let (status, dossier) = s
        .send(
            &token_of(&now_assigned[0]),
            Method::GET,
            &dossier_path,
            None,
            None,
        )
        .await;
    assert_eq!(status, 200, "{dossier}");
    assert!(dossier["version"]["documentation"]["training_data"].is_string());

    // Information is requested: the clock pauses and the developer is told.
    let case = s
        .step(
            &token_of(&now_assigned[0]),
            &case,
            json!({"action": "request_information", "questions": "How was under-triage measured?"}),
        )
        .await;
    assert_eq!(case["state"], "information_requested");
    assert!(case["deadline"]["due"].is_null());
    assert_eq!(case["deadline"]["paused_since"], "2026-03-02");
    let (_, inbox) = s
        .send(&developer, Method::GET, "/api/v1/inbox", None, None)
        .await;
    assert!(
        inbox["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "registration.information_requested"
                && n["key"] == "notice-information-requested"
                && n["args"]["due"].is_string()),
        "{inbox}"
    );

    // The developer adds a version with the answer's documentation, then answers.
    let mut version = system_json("Sepsis triage");
    version["documentation"]["validation_data"] =
        json!("Prospective validation, 3 hospitals, 2025.");
    version["change_note"] = json!("Validation data added at the reviewers' request.");
    let (status, body) = s
        .send(
            &developer,
            Method::POST,
            &format!("/api/v1/systems/{system_id}/versions"),
            Some(1),
            Some(version),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let case = s
        .step(&developer, &case, json!({"action": "respond", "answer": "Against triage nurses' second reading; see validation_data."}))
        .await;
    assert_eq!(case["state"], "in_expert_review");
    assert_eq!(case["registration"]["version"], 2);
    assert_eq!(
        case["deadline"]["due"], "2026-04-03",
        "a same-day pause costs no time"
    );

    // Both work through the checklist and recommend registration.
    let mut case = case;
    for id in &now_assigned {
        let t = token_of(id);
        case = s.step(&t, &case, all_marks(&case)).await;
        case = s
            .step(&t, &case, json!({"action": "recommend", "verdict": "register", "reasons": "Documentation complete; oversight adequate."}))
            .await;
    }
    assert_eq!(case["state"], "recommended");

    // Two supervisors decide at once: exactly one wins.
    let path = format!("/api/v1/cases/{}/steps", case["id"].as_str().unwrap());
    let decide = json!({"action": "decide", "verdict": "register", "reasons": "Both reviewers recommend; no open issues."});
    let send = |t: String| {
        let request = app
            .http
            .post(app.url(&path))
            .bearer_auth(t)
            .header("if-match", format!("\"{}\"", case["revision"]))
            .json(&decide);
        async move { request.send().await.unwrap() }
    };
    let (a, b) = tokio::join!(send(supervisor.clone()), send(second_supervisor.clone()));
    let mut statuses = vec![a.status().as_u16(), b.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, vec![200, 409]);
    for r in [a, b] {
        if let Some(h) = r.headers().get("senim-receipt") {
            s.receipts.push(
                serde_json::from_slice(&URL_SAFE_NO_PAD.decode(h.as_bytes()).unwrap()).unwrap(),
            );
        }
    }

    let (_, shown) = s
        .send(
            &developer,
            Method::GET,
            &format!("/api/v1/systems/{system_id}"),
            None,
            None,
        )
        .await;
    assert_eq!(shown["system"]["status"], "registered");
    assert_eq!(shown["system"]["registry_number"], "KZ-AI-2026-000001");
    let (_, registered) = s
        .send(
            &developer,
            Method::GET,
            "/api/v1/systems?status=registered",
            None,
            None,
        )
        .await;
    assert_eq!(registered["total"], 1);

    // The public reads the case without the developer's answers or the
    // declaration statements.
    let (status, public_case) = s
        .send(
            "",
            Method::GET,
            &format!("/api/v1/cases/{}", case["id"].as_str().unwrap()),
            None,
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(public_case["state"], "registered");
    assert_eq!(
        public_case["registration"]["information_requests"][0]["answer"]["text"],
        ""
    );
    assert!(!public_case
        .to_string()
        .contains("consulted for this hospital"));

    // Every receipt along the way verifies against the log's key.
    let key = app
        .http
        .get(app.url("/log/key"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let verifier = NoteVerifier::parse(key.trim()).unwrap();
    assert!(s.receipts.len() >= 14, "{} receipts", s.receipts.len());
    for receipt in &s.receipts {
        senim_client::verify::verify_receipt(receipt, &verifier).unwrap();
    }

    // The query tables come back the same from the log alone.
    let before = app.store.fingerprint().await.unwrap();
    for table in ["cases", "case_assignees", "reviewers", "notifications"] {
        assert!(
            before.iter().any(|(t, n, _)| t == table && *n > 0),
            "{table}: {before:?}"
        );
    }
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

async fn illegal_steps_are_refused_and_change_nothing(app: TestApp) {
    let mut s = Session {
        app: &app,
        receipts: Vec::new(),
    };
    let (reviewers, _) = pool(&app, &mut s).await;
    let developer = token(&app, Who::Developer);
    let supervisor = token(&app, Who::Supervisor);
    let (_, system) = s
        .send(
            &developer,
            Method::POST,
            "/api/v1/systems",
            None,
            Some(system_json("Triage")),
        )
        .await;
    let system_id = system["system"]["id"].as_str().unwrap().to_string();
    let submit = json!({"kind": "registration", "system_id": system_id});

    // Another organisation's developer cannot submit it; a reviewer neither.
    let (status, _) = s
        .send(
            &token(&app, Who::OtherDeveloper),
            Method::POST,
            "/api/v1/cases",
            None,
            Some(submit.clone()),
        )
        .await;
    assert_eq!(status, 403);
    let (status, _) = s
        .send(
            &reviewers[0].1,
            Method::POST,
            "/api/v1/cases",
            None,
            Some(submit.clone()),
        )
        .await;
    assert_eq!(status, 403);
    let (status, case) = s
        .send(
            &developer,
            Method::POST,
            "/api/v1/cases",
            None,
            Some(submit.clone()),
        )
        .await;
    assert_eq!(status, 201);
    // A second submission while one is in review.
    let (status, body) = s
        .send(
            &developer,
            Method::POST,
            "/api/v1/cases",
            None,
            Some(submit.clone()),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("in_expert_review"));

    let id = case["id"].as_str().unwrap();
    let path = format!("/api/v1/cases/{id}/steps");
    let decide = json!({"action": "decide", "verdict": "register", "reasons": "Fine."});
    let refusals: Vec<(String, Option<i64>, Value, u16, &str)> = vec![
        // Wrong state: nothing is recommended yet.
        (
            supervisor.clone(),
            Some(1),
            decide.clone(),
            409,
            "in_expert_review",
        ),
        // Wrong role: a developer cannot decide, a reviewer cannot assign.
        (developer.clone(), Some(1), decide.clone(), 403, ""),
        (
            reviewers[0].1.clone(),
            Some(1),
            json!({"action": "assign"}),
            403,
            "",
        ),
        // A reviewer who is not assigned cannot declare.
        (
            token(&app, Who::Auditor),
            Some(1),
            json!({"action": "declare", "conflict": false}),
            403,
            "",
        ),
        // Stale revision.
        (
            developer.clone(),
            Some(7),
            json!({"action": "withdraw"}),
            409,
            "revision 1",
        ),
        // No If-Match at all.
        (
            developer.clone(),
            None,
            json!({"action": "withdraw"}),
            428,
            "",
        ),
        // Bad input names the field.
        (
            supervisor.clone(),
            Some(1),
            json!({"action": "request_information", "questions": "  "}),
            422,
            "questions",
        ),
        (
            supervisor.clone(),
            Some(1),
            json!({"action": "fly"}),
            422,
            "action",
        ),
        // Respond when nothing was asked.
        (
            developer.clone(),
            Some(1),
            json!({"action": "respond", "answer": "Here."}),
            409,
            "in_expert_review",
        ),
    ];
    for (t, rev, body, expected, mentions) in refusals {
        let (status, answer) = s
            .send(&t, Method::POST, &path, rev, Some(body.clone()))
            .await;
        assert_eq!(status, expected, "{body} -> {answer}");
        assert!(answer.to_string().contains(mentions), "{body} -> {answer}");
    }
    // A reviewer must declare before checking, and mark everything before recommending.
    let reviewer = reviewers_of(&case)[0].clone();
    let t = reviewers
        .iter()
        .find(|(r, _)| *r == reviewer)
        .unwrap()
        .1
        .clone();
    let (status, _) = s
        .send(&t, Method::POST, &path, Some(1), Some(all_marks(&case)))
        .await;
    assert_eq!(status, 403);
    let case = s
        .step(&t, &case, json!({"action": "declare", "conflict": false}))
        .await;
    let (status, body) = s
        .send(
            &t,
            Method::POST,
            &path,
            case["revision"].as_i64(),
            Some(json!({"action": "recommend", "verdict": "register", "reasons": "ok"})),
        )
        .await;
    assert_eq!(status, 422);
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("unmarked"));
    let (status, body) = s
        .send(
            &t,
            Method::POST,
            &path,
            case["revision"].as_i64(),
            Some(
                json!({"action": "check", "marks": [{"item": "source_code", "mark": "satisfied"}]}),
            ),
        )
        .await;
    assert_eq!(status, 422, "{body}");

    // While in review, the documentation cannot change and the system
    // cannot be withdrawn behind the reviewers' backs.
    let (status, body) = s
        .send(
            &developer,
            Method::POST,
            &format!("/api/v1/systems/{system_id}/versions"),
            Some(1),
            Some(system_json("Triage")),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    let (status, _) = s
        .send(
            &developer,
            Method::POST,
            &format!("/api/v1/systems/{system_id}/withdraw"),
            None,
            None,
        )
        .await;
    assert_eq!(status, 409);

    // Nothing above changed the case.
    let (_, after) = s
        .send(
            &supervisor,
            Method::GET,
            &format!("/api/v1/cases/{id}"),
            None,
            None,
        )
        .await;
    assert_eq!(after["revision"], case["revision"]);
    assert_eq!(after["state"], "in_expert_review");

    // The owner withdraws the application: the system returns to draft.
    let case = s
        .step(
            &developer,
            &after,
            json!({"action": "withdraw", "reasons": "We will resubmit after the pilot."}),
        )
        .await;
    assert_eq!(case["state"], "withdrawn");
    assert_eq!(case["open"], false);
    let (_, shown) = s
        .send(
            &developer,
            Method::GET,
            &format!("/api/v1/systems/{system_id}"),
            None,
            None,
        )
        .await;
    assert_eq!(shown["system"]["status"], "draft");
    let (_, queue) = s
        .send(
            &t,
            Method::GET,
            "/api/v1/cases?mine=true&open=true",
            None,
            None,
        )
        .await;
    assert_eq!(queue["total"], 0);
    let (status, _) = s
        .send(&developer, Method::GET, "/api/v1/reviewers", None, None)
        .await;
    assert_eq!(status, 403);
    let _ = error_fields;
}

async fn the_pack_decides_the_path(app: TestApp) {
    let mut s = Session {
        app: &app,
        receipts: Vec::new(),
    };
    let developer = token(&app, Who::Developer);
    // Prohibited: real-time facial recognition in public spaces.
    let mut prohibited = system_json("Metro face search");
    prohibited["profile"] = json!({"sectors": ["law_enforcement"], "functions": ["biometric_identification"],
        "real_time": true, "public_spaces": true, "autonomy": "medium", "affects": ["fundamental_rights"],
        "failure_impact": "severe", "personal_data": true, "special_categories": ["biometric"]});
    let (status, system) = s
        .send(
            &developer,
            Method::POST,
            "/api/v1/systems",
            None,
            Some(prohibited),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(system["classification"]["risk_level"], "prohibited");
    let (status, body) = s
        .send(
            &developer,
            Method::POST,
            "/api/v1/cases",
            None,
            Some(json!({"kind": "registration", "system_id": system["system"]["id"]})),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("prohibited") && message.contains("rule "),
        "{message}"
    );
    assert_eq!(body["error"]["current"], "prohibited");

    // Minimal risk: no expert review, so submission registers at once.
    let mut minimal = system_json("Grain forecast");
    minimal["profile"] = json!({"sectors": ["agriculture"], "functions": ["other"], "autonomy": "low",
        "affects": ["none"], "failure_impact": "minimal"});
    let (_, system) = s
        .send(
            &developer,
            Method::POST,
            "/api/v1/systems",
            None,
            Some(minimal),
        )
        .await;
    assert_eq!(system["classification"]["risk_level"], "minimal");
    let (status, case) = s
        .send(
            &developer,
            Method::POST,
            "/api/v1/cases",
            None,
            Some(json!({"kind": "registration", "system_id": system["system"]["id"]})),
        )
        .await;
    assert_eq!(status, 201, "{case}");
    assert_eq!(case["state"], "registered");
    assert_eq!(case["open"], false);
    let (_, shown) = s
        .send(
            &developer,
            Method::GET,
            &format!(
                "/api/v1/systems/{}",
                system["system"]["id"].as_str().unwrap()
            ),
            None,
            None,
        )
        .await;
    assert!(shown["system"]["registry_number"]
        .as_str()
        .unwrap()
        .starts_with("KZ-AI-2026-"));

    // A supervisor suspends, reinstates and revokes it; each is a step.
    let supervisor = token(&app, Who::Supervisor);
    let case = s
        .step(
            &supervisor,
            &case,
            json!({"action": "suspend", "reasons": "Incident under investigation."}),
        )
        .await;
    assert_eq!(case["state"], "suspended");
    let case = s
        .step(
            &supervisor,
            &case,
            json!({"action": "reinstate", "reasons": "Investigation closed."}),
        )
        .await;
    assert_eq!(case["state"], "registered");
    let case = s
        .step(
            &supervisor,
            &case,
            json!({"action": "revoke", "reasons": "Repeated violation."}),
        )
        .await;
    assert_eq!(case["state"], "revoked");
    let path = format!("/api/v1/cases/{}/steps", case["id"].as_str().unwrap());
    let (status, body) = s
        .send(
            &supervisor,
            Method::POST,
            &path,
            case["revision"].as_i64(),
            Some(json!({"action": "reinstate", "reasons": "x"})),
        )
        .await;
    assert_eq!(status, 409);
    assert_eq!(body["error"]["current"], "revoked");
}

/// A minimal-risk system of the hospital, registered at once; its id.
async fn registered_system(s: &mut Session<'_>, developer: &str) -> String {
    let mut minimal = system_json("Bed occupancy forecast");
    minimal["profile"] = json!({"sectors": ["healthcare"], "functions": ["other"], "autonomy": "low",
        "affects": ["none"], "failure_impact": "minimal"});
    let (_, system) = s
        .send(
            developer,
            Method::POST,
            "/api/v1/systems",
            None,
            Some(minimal),
        )
        .await;
    let id = system["system"]["id"].as_str().unwrap().to_string();
    let (status, case) = s
        .send(
            developer,
            Method::POST,
            "/api/v1/cases",
            None,
            Some(json!({"kind": "registration", "system_id": id})),
        )
        .await;
    assert_eq!((status, case["state"].as_str()), (201, Some("registered")));
    id
}

pub(crate) async fn a_citizen_reports_harm_and_the_authority_acts(app: TestApp) {
    let mut s = Session {
        app: &app,
        receipts: Vec::new(),
    };
    let developer = token(&app, Who::Developer);
    let supervisor = token(&app, Who::Supervisor);
    let auditor = token(&app, Who::Auditor);
    let system_id = registered_system(&mut s, &developer).await;

    // A citizen reports harm, with no account; their e-mail stays private.
    let incident = json!({"type": "incident", "system_id": system_id,
        "description": "The forecast sent my mother home; she was readmitted the next day.",
        "occurred_on": "2026-02-27",
        "contact": {"name": "Aigerim S.", "email": "aigerim@example.kz"}});
    let (status, receipt) = s
        .send(
            "",
            Method::POST,
            "/api/v1/reports",
            None,
            Some(incident.clone()),
        )
        .await;
    assert_eq!(status, 201, "{receipt}");
    let code = receipt["tracking_code"].as_str().unwrap().to_string();
    assert!(receipt["number"].as_str().unwrap().starts_with("RPT-2026-"));
    let (_, followed) = s
        .send(
            "",
            Method::GET,
            &format!("/api/v1/reports/{code}"),
            None,
            None,
        )
        .await;
    assert_eq!(followed["state"], "received");
    // Issue 20, finding 8: a code typed in lower case, with spaces or
    // without dashes was refused. Any spacing, dashes and case are read.
    for typed in [
        code.to_lowercase(),
        code.replace('-', ""),
        code.replace('-', "%20"),
        format!("%20{}%20", code.replace('-', "%20-%20").to_lowercase()),
    ] {
        let (status, again) = s
            .send(
                "",
                Method::GET,
                &format!("/api/v1/reports/{typed}"),
                None,
                None,
            )
            .await;
        assert_eq!(status, 200, "{typed}: {again}");
        assert_eq!(again["number"], followed["number"], "{typed}");
    }
    // Issue 20, finding 8: the status showed only "Received". It names the
    // system and says what happens next, in the reader's language.
    assert_eq!(followed["system_id"], system_id.as_str(), "{followed}");
    let (cookie, csrf) = crate::pages::form_token(&app, "/report/status").await;
    for (lang, next, name) in [
        ("en", "What happens next", "Bed occupancy forecast"),
        ("ru", "Что будет дальше", "Сортировка пациентов"),
        ("kk", "Әрі қарай не болады", ""),
    ] {
        let page = app
            .http
            .post(app.url("/report/status"))
            .header("cookie", &cookie)
            .header("accept-language", lang)
            .form(&[
                ("code", code.to_lowercase().replace('-', " ")),
                ("csrf_token", csrf.clone()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(html.contains(next), "{lang}: {html}");
        assert!(
            html.contains(&format!("/systems/{system_id}")),
            "{lang}: the system is named"
        );
        assert!(html.contains(name), "{lang}: in the reader's language");
    }
    let (status, _) = s
        .send(
            "",
            Method::GET,
            "/api/v1/reports/AAAA-BBBB-CCCC-DDDD",
            None,
            None,
        )
        .await;
    assert_eq!(status, 404);
    // The log entry holds only a digest of the contact details.
    let index = s.receipts.last().unwrap().index;
    let (_, entry) = s
        .send(
            "",
            Method::GET,
            &format!("/api/v1/log/entries/{index}"),
            None,
            None,
        )
        .await;
    let logged = entry.to_string();
    assert!(
        !logged.contains("aigerim@example.kz") && !logged.contains("Aigerim"),
        "{logged}"
    );
    // Reports are not public; the owner reads it without the contact, the supervisor with it.
    let (_, queue) = s
        .send(
            &supervisor,
            Method::GET,
            "/api/v1/cases?kind=report&open=true",
            None,
            None,
        )
        .await;
    assert_eq!(queue["total"], 1);
    let report = queue["items"][0].clone();
    let report_path = format!("/api/v1/cases/{}", report["id"].as_str().unwrap());
    assert_eq!(report["private"]["contact"]["email"], "aigerim@example.kz");
    let (status, _) = s.send("", Method::GET, &report_path, None, None).await;
    assert_eq!(status, 401);
    let (status, own) = s
        .send(&developer, Method::GET, &report_path, None, None)
        .await;
    assert_eq!(status, 200);
    assert!(own["private"].is_null());

    // A near-duplicate is received merged into it (issue 19)...
    let (_, dup) = s
        .send(
            "",
            Method::POST,
            "/api/v1/reports",
            None,
            Some(incident.clone()),
        )
        .await;
    let (_, all) = s
        .send(
            &supervisor,
            Method::GET,
            "/api/v1/cases?kind=report",
            None,
            None,
        )
        .await;
    let dup_case = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["number"] == dup["number"])
        .unwrap()
        .clone();
    assert_eq!(dup_case["state"], "merged");
    assert_eq!(dup_case["links"][0], report["id"]);
    // ...and a supervisor merges by hand what says the same in other words.
    let mut retold = incident.clone();
    retold["description"] = json!(
        "The bed forecast discharged my aunt too early as well; she came back after two days."
    );
    let (_, retold) = s
        .send("", Method::POST, "/api/v1/reports", None, Some(retold))
        .await;
    let (_, open) = s
        .send(
            &supervisor,
            Method::GET,
            "/api/v1/cases?kind=report&open=true",
            None,
            None,
        )
        .await;
    let retold_case = open["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["number"] == retold["number"])
        .unwrap()
        .clone();
    let merged = s
        .step(
            &supervisor,
            &retold_case,
            json!({"action": "merge", "into": report["id"]}),
        )
        .await;
    assert_eq!(merged["state"], "merged");

    // Triage, forward to the owner, the owner responds; the citizen reads it.
    let (status, _) = s
        .send(
            &developer,
            Method::POST,
            &format!("{report_path}/steps"),
            Some(1),
            Some(json!({"action": "triage", "severity": "high"})),
        )
        .await;
    assert_eq!(status, 403, "a developer cannot triage");
    let report = s
        .step(
            &supervisor,
            &report,
            json!({"action": "triage", "severity": "high", "systems": [system_id]}),
        )
        .await;
    let report = s.step(&supervisor, &report, json!({"action": "forward", "question": "Explain the discharge forecast of 26 February."})).await;
    assert_eq!(report["state"], "forwarded");
    let report = s.step(&developer, &report, json!({"action": "respond_report", "response": "The forecast used a stale lab feed; fixed on 1 March."})).await;
    assert!(
        report["private"].is_null() && !report.to_string().contains("aigerim@example.kz"),
        "the owner's step answer holds no contact details: {report}"
    );
    let (status, reviewer_view) = s
        .send(
            &token(&app, Who::ExpertReviewer),
            Method::GET,
            &report_path,
            None,
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert!(
        reviewer_view["report"].is_null(),
        "a reviewer sees only that the report exists"
    );
    assert!(
        reviewer_view["private"].is_null(),
        "only those who handle reports see the contact"
    );
    let (_, followed) = s
        .send(
            "",
            Method::GET,
            &format!("/api/v1/reports/{code}"),
            None,
            None,
        )
        .await;
    assert_eq!(followed["state"], "responded");
    assert!(followed["response"]
        .as_str()
        .unwrap()
        .contains("stale lab feed"));

    // An audit for cause finds a defect; the owner answers; the report prints.
    let auditor_id = app.accounts[&Who::Auditor].to_string();
    let (status, audit) = s
        .send(&supervisor, Method::POST, "/api/v1/cases", None,
              Some(json!({"kind": "audit", "system_id": system_id, "basis": "for_cause", "auditor": auditor_id})))
        .await;
    assert_eq!(status, 201, "{audit}");
    let items: Vec<String> = audit["audit"]["checklist"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect();
    assert!(
        items.contains(&"document-purpose-methods-limitations".to_string()),
        "{items:?}"
    );
    assert!(items.contains(&"prohibited_capabilities".to_string()));
    let (status, _) = s
        .send(&token(&app, Who::ExpertReviewer), Method::POST,
              &format!("/api/v1/cases/{}/steps", audit["id"].as_str().unwrap()), Some(1),
              Some(json!({"action": "finding", "item": items[0], "severity": "low", "description": "x"})))
        .await;
    assert_eq!(status, 403, "only the assigned auditor records findings");
    let audit = s
        .step(&auditor, &audit, json!({"action": "finding", "item": "document-purpose-methods-limitations",
            "severity": "high", "description": "Limitations omit the <lab feed> dependency.",
            "corrective_action": {"description": "Document the lab feed and its failure mode.", "working_days": 10}}))
        .await;
    assert_eq!(
        audit["audit"]["findings"][0]["corrective_action"]["due"],
        "2026-03-17"
    );
    let (status, body) = s
        .send(&auditor, Method::POST, &format!("/api/v1/cases/{}/steps", audit["id"].as_str().unwrap()),
              audit["revision"].as_i64(),
              Some(json!({"action": "finding", "item": items[0], "severity": "major", "description": "x"})))
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["fields"][0]["field"], "severity", "{body}");
    let audit = s
        .step(&developer, &audit, json!({"action": "respond_finding", "finding": 1, "response": "Documented in version 2."}))
        .await;
    let audit = s
        .step(
            &auditor,
            &audit,
            json!({"action": "close_audit", "conclusion": "One major finding, answered."}),
        )
        .await;
    assert_eq!(audit["state"], "closed");
    let page = app
        .request(
            Who::Developer,
            Method::GET,
            &format!(
                "/api/v1/cases/{}/audit-report",
                audit["id"].as_str().unwrap()
            ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("default-src 'none'"));
    let html = page.text().await.unwrap();
    assert!(
        html.contains("&lt;lab feed&gt;") && !html.contains("<lab feed>"),
        "escaped"
    );
    assert!(html.contains("Documented in version 2."));

    // The report is escalated to an investigation, which finds a violation:
    // a fine by the pack's table (a large organisation, first offence).
    let report = s
        .step(
            &supervisor,
            &report,
            json!({"action": "escalate", "reasons": "Harm confirmed by the audit."}),
        )
        .await;
    assert_eq!(report["state"], "escalated");
    let inv_id = report["report"]["investigation"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, inv) = s
        .send(
            &supervisor,
            Method::GET,
            &format!("/api/v1/cases/{inv_id}"),
            None,
            None,
        )
        .await;
    assert_eq!((status, inv["state"].as_str()), (200, Some("open")));
    let (status, _) = s
        .send(
            "",
            Method::GET,
            &format!("/api/v1/cases/{inv_id}"),
            None,
            None,
        )
        .await;
    assert_eq!(status, 401, "an open investigation is not public");
    let (status, body) = s
        .send(&supervisor, Method::POST, &format!("/api/v1/cases/{inv_id}/steps"), Some(1),
              Some(json!({"action": "decide_violation", "obligation": "no-such-duty", "description": "x", "sanction": "fine", "reasons": "x"})))
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["fields"][0]["field"], "obligation");
    let inv = s
        .step(&supervisor, &inv, json!({"action": "decide_violation", "obligation": "document-purpose-methods-limitations",
            "description": "The documented limitations omitted a known failure mode that caused harm.",
            "sanction": "fine", "reasons": "Harm to a patient; first violation."}))
        .await;
    assert_eq!(inv["state"], "decided");
    let sanction = &inv["investigation"]["sanction"];
    assert_eq!(
        (sanction["fine_mci"].as_u64(), sanction["fine_kzt"].as_u64()),
        (Some(100), Some(432_500))
    );
    assert_eq!(sanction["repeat"], false);
    assert_eq!(sanction["citation"]["id"], "coao-641-1");
    let (_, decisions) = s
        .send("", Method::GET, "/api/v1/decisions", None, None)
        .await;
    assert_eq!(decisions["items"][0]["case_id"], inv["id"]);
    let (status, _) = s
        .send(
            "",
            Method::GET,
            &format!("/api/v1/cases/{inv_id}"),
            None,
            None,
        )
        .await;
    assert_eq!(status, 200, "a decided investigation is published");

    // The owner appeals in time; the appeal changes the fine into a suspension.
    let inv = s
        .step(
            &developer,
            &inv,
            json!({"action": "appeal", "grounds": "The fault was the lab's feed."}),
        )
        .await;
    assert_eq!(inv["state"], "appealed");
    let (_, second_supervisor) = app
        .account_with_token("supervisor2@ministry.kz", vec![Role::Supervisor], None)
        .await;
    let (status, body) = s
        .send(
            &supervisor,
            Method::POST,
            &format!("/api/v1/cases/{inv_id}/steps"),
            inv["revision"].as_i64(),
            Some(json!({"action": "decide_appeal", "outcome": "uphold", "reasons": "Mine."})),
        )
        .await;
    assert_eq!(
        status, 403,
        "the supervisor who decided cannot decide the appeal: {body}"
    );
    let inv = s
        .step(
            &second_supervisor,
            &inv,
            json!({"action": "decide_appeal", "outcome": "change", "sanction": "suspension",
            "reasons": "Suspend until the feed is validated instead of a fine."}),
        )
        .await;
    assert_eq!(inv["state"], "final");
    assert_eq!(inv["investigation"]["sanction"]["kind"], "suspension");
    assert_eq!(inv["investigation"]["original_sanction"]["kind"], "fine");
    let (_, shown) = s
        .send(
            &developer,
            Method::GET,
            &format!("/api/v1/systems/{system_id}"),
            None,
            None,
        )
        .await;
    assert_eq!(shown["system"]["status"], "suspended");

    // A second violation within a year is a repeat: the higher fine.
    let (_, second) = s
        .send(&supervisor, Method::POST, "/api/v1/cases", None,
              Some(json!({"kind": "investigation", "system_id": system_id, "reasons": "Operated while suspended."})))
        .await;
    let second = s
        .step(
            &supervisor,
            &second,
            json!({"action": "decide_violation", "obligation": "assess-risk-level",
            "description": "Kept operating.", "sanction": "fine", "reasons": "Repeat."}),
        )
        .await;
    assert_eq!(second["investigation"]["sanction"]["repeat"], true);
    assert_eq!(second["investigation"]["sanction"]["fine_mci"], 200);
    // Unappealed, it becomes final once its appeal deadline has passed.
    let (_, swept) = s
        .send(
            &supervisor,
            Method::POST,
            "/api/v1/review-due/sweep",
            None,
            None,
        )
        .await;
    assert_eq!(swept["finalized"], 0, "the owner may still appeal");
    app.clock.advance_seconds(20 * 86_400);
    let (_, swept) = s
        .send(
            &supervisor,
            Method::POST,
            "/api/v1/review-due/sweep",
            None,
            None,
        )
        .await;
    assert_eq!(swept["finalized"], 1);
    let (_, second) = s
        .send(
            &supervisor,
            Method::GET,
            &format!("/api/v1/cases/{}", second["id"].as_str().unwrap()),
            None,
            None,
        )
        .await;
    assert_eq!(
        (second["state"].as_str(), second["open"].as_bool()),
        (Some("final"), Some(false))
    );
    let (status, body) = s
        .send(
            &developer,
            Method::POST,
            &format!("/api/v1/cases/{}/steps", second["id"].as_str().unwrap()),
            second["revision"].as_i64(),
            Some(json!({"action": "appeal", "grounds": "Late."})),
        )
        .await;
    assert_eq!(status, 409, "{body}");

    let (_, inbox) = s
        .send(&developer, Method::GET, "/api/v1/inbox", None, None)
        .await;
    let kinds: Vec<&str> = inbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap())
        .collect();
    for kind in [
        "report.forwarded",
        "audit.finding_recorded",
        "investigation.violation_decided",
        "investigation.appeal_decided",
    ] {
        assert!(kinds.contains(&kind), "{kind} not in {kinds:?}");
    }

    // No report text, owner's answer, finding or contact reached the public log.
    let indices: Vec<u64> = s.receipts.iter().map(|r| r.index).collect();
    for index in indices {
        let (_, entry) = s
            .send(
                "",
                Method::GET,
                &format!("/api/v1/log/entries/{index}"),
                None,
                None,
            )
            .await;
        let text = entry["entry"].to_string();
        for secret in [
            "readmitted",
            "stale lab feed",
            "Documented in version 2",
            "lab feed> dependency",
            "aigerim@example.kz",
            "Harm confirmed by the audit",
            "The fault was the lab",
        ] {
            assert!(
                !text.contains(secret),
                "entry {index} shows `{secret}`: {text}"
            );
        }
    }
    let key = app
        .http
        .get(app.url("/log/key"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let verifier = NoteVerifier::parse(key.trim()).unwrap();
    for receipt in &s.receipts {
        senim_client::verify::verify_receipt(receipt, &verifier).unwrap();
    }
    let before = app.store.fingerprint().await.unwrap();
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

/// A high-risk hospital system taken through review to the register; its id.
async fn registered_high_risk(app: &TestApp, s: &mut Session<'_>) -> String {
    let (reviewers, _) = pool(app, s).await;
    let developer = token(app, Who::Developer);
    let supervisor = token(app, Who::Supervisor);
    let (_, system) = s
        .send(
            &developer,
            Method::POST,
            "/api/v1/systems",
            None,
            Some(system_json("Listed triage")),
        )
        .await;
    let id = system["system"]["id"].as_str().unwrap().to_string();
    let (_, mut case) = s
        .send(
            &developer,
            Method::POST,
            "/api/v1/cases",
            None,
            Some(json!({"kind": "registration", "system_id": id})),
        )
        .await;
    for reviewer in reviewers_of(&case) {
        let t = reviewers
            .iter()
            .find(|(r, _)| *r == reviewer)
            .unwrap()
            .1
            .clone();
        case = s
            .step(&t, &case, json!({"action": "declare", "conflict": false}))
            .await;
        case = s.step(&t, &case, all_marks(&case)).await;
        case = s
            .step(
                &t,
                &case,
                json!({"action": "recommend", "verdict": "register", "reasons": "Complete."}),
            )
            .await;
    }
    let case = s
        .step(
            &supervisor,
            &case,
            json!({"action": "decide", "verdict": "register", "reasons": "Recommended."}),
        )
        .await;
    assert_eq!(case["state"], "registered");
    id
}

pub(crate) async fn a_sector_body_keeps_its_trusted_list(app: TestApp) {
    let mut s = Session {
        app: &app,
        receipts: Vec::new(),
    };
    let developer = token(&app, Who::Developer);
    let supervisor = token(&app, Who::Supervisor);
    let auditor = token(&app, Who::Auditor);
    let system_id = registered_high_risk(&app, &mut s).await;
    let apply = |audit: &str| {
        json!({"kind": "trusted_list", "system_id": system_id, "sector": "healthcare",
        "audit_case": audit, "copyright": "Certificate KZ-IP-2026-0042"})
    };

    // The law requires an audit report: an open audit is not enough.
    let (_, audit) = s
        .send(
            &supervisor,
            Method::POST,
            "/api/v1/cases",
            None,
            Some(
                json!({"kind": "audit", "system_id": system_id, "basis": "planned",
                          "auditor": app.accounts[&Who::Auditor].to_string()}),
            ),
        )
        .await;
    let audit_id = audit["id"].as_str().unwrap().to_string();
    let (status, body) = s
        .send(
            &developer,
            Method::POST,
            "/api/v1/cases",
            None,
            Some(apply(&audit_id)),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["fields"][0]["field"], "audit_case");
    s.step(&auditor, &audit, json!({"action": "close_audit", "conclusion": "Training data legitimate; no prohibited capability."})).await;

    // Filed: the check is due in 10 working days: 17 March from 2 March,
    // because 9 March is off (8 March fell on a Sunday).
    let (status, app_case) = s
        .send(
            &developer,
            Method::POST,
            "/api/v1/cases",
            None,
            Some(apply(&audit_id)),
        )
        .await;
    assert_eq!(status, 201, "{app_case}");
    assert_eq!(app_case["state"], "submitted");
    assert_eq!(app_case["deadline"]["due"], "2026-03-17");
    // Deficient, resubmitted (re-check in 5), listed (publication in 5), published.
    let (status, body) = s
        .send(
            &supervisor,
            Method::POST,
            &format!("/api/v1/cases/{}/steps", app_case["id"].as_str().unwrap()),
            Some(1),
            Some(json!({"action": "check_application", "complete": false})),
        )
        .await;
    assert_eq!(status, 422);
    assert_eq!(body["error"]["fields"][0]["field"], "deficiencies");
    let c = s
        .step(
            &supervisor,
            &app_case,
            json!({"action": "check_application", "complete": false,
        "deficiencies": "The copyright certificate does not name the model."}),
        )
        .await;
    assert_eq!(c["state"], "deficient");
    let c = s
        .step(
            &developer,
            &c,
            json!({"action": "resubmit", "copyright": "Agreement 17/2026 with the model's author",
        "note": "Agreement attached."}),
        )
        .await;
    assert_eq!(
        (c["state"].as_str(), c["deadline"]["due"].as_str()),
        (Some("resubmitted"), Some("2026-03-10"))
    );
    let c = s
        .step(
            &supervisor,
            &c,
            json!({"action": "check_application", "complete": true}),
        )
        .await;
    assert_eq!(
        (c["state"].as_str(), c["deadline"]["what"].as_str()),
        (Some("listed"), Some("trusted_list_publication"))
    );
    let (_, list) = s
        .send(
            "",
            Method::GET,
            "/api/v1/trusted-lists/healthcare",
            None,
            None,
        )
        .await;
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        0,
        "listed but not yet published"
    );
    let c = s.step(&supervisor, &c, json!({"action": "publish"})).await;
    assert_eq!(c["state"], "published");
    let (_, list) = s
        .send(
            "",
            Method::GET,
            "/api/v1/trusted-lists/healthcare",
            None,
            None,
        )
        .await;
    assert_eq!(list["items"][0]["system_id"], system_id.as_str());
    assert!(list["items"][0]["registry_number"]
        .as_str()
        .unwrap()
        .starts_with("KZ-AI-"));
    let (_, other) = s
        .send(
            "",
            Method::GET,
            "/api/v1/trusted-lists/education",
            None,
            None,
        )
        .await;
    assert_eq!(
        other["items"].as_array().unwrap().len(),
        0,
        "one list per sector"
    );
    let (status, _) = s
        .send("", Method::GET, "/api/v1/trusted-lists/space", None, None)
        .await;
    assert_eq!(status, 404);
    // Only the owner applies; only the sector body publishes.
    let (status, _) = s
        .send(
            &token(&app, Who::OtherDeveloper),
            Method::POST,
            "/api/v1/cases",
            None,
            Some(apply(&audit_id)),
        )
        .await;
    assert_eq!(status, 403);
}

pub(crate) async fn a_new_pack_puts_registered_systems_on_its_path(app: TestApp) {
    let mut s = Session {
        app: &app,
        receipts: Vec::new(),
    };
    let developer = token(&app, Who::Developer);
    let supervisor = token(&app, Who::Supervisor);
    // Two systems registered without review: a healthcare one and a farm one.
    let clinic = registered_system(&mut s, &developer).await;
    let mut farm = system_json("Irrigation planner");
    farm["profile"] = json!({"sectors": ["agriculture"], "functions": ["other"], "autonomy": "low",
        "affects": ["none"], "failure_impact": "minimal"});
    let (_, farm) = s
        .send(
            &developer,
            Method::POST,
            "/api/v1/systems",
            None,
            Some(farm),
        )
        .await;
    let farm = farm["system"]["id"].as_str().unwrap().to_string();
    let (status, _) = s
        .send(
            &developer,
            Method::POST,
            "/api/v1/cases",
            None,
            Some(json!({"kind": "registration", "system_id": farm})),
        )
        .await;
    assert_eq!(status, 201);

    // Version 1.1.0 prohibits healthcare systems and makes farming high-risk.
    let mut source = super::rulepacks::stricter_seed("1.1.0");
    source.push_str(
        r#"
[[rules]]
id = "test-agriculture-high"
citation = "seed-5"
risk = "high"
when = { field = "sectors", has = "agriculture" }
[rules.rationale]
kk = "Сынақ."
ru = "Тест."
en = "Test high risk."
"#,
    );
    let (status, report) = s
        .send(
            &supervisor,
            Method::POST,
            "/api/v1/rulepacks",
            None,
            Some(json!({"source": source})),
        )
        .await;
    assert_eq!(status, 201, "{report}");

    // The prohibited one is suspended, citing the rule; the owner is told.
    let (_, clinic_now) = s
        .send(
            &developer,
            Method::GET,
            &format!("/api/v1/systems/{clinic}"),
            None,
            None,
        )
        .await;
    assert_eq!(clinic_now["system"]["status"], "suspended");
    let (_, cases) = s
        .send(
            &developer,
            Method::GET,
            &format!("/api/v1/cases?system={clinic}"),
            None,
            None,
        )
        .await;
    let measures = cases["items"][0]["registration"]["measures"].to_string();
    assert!(measures.contains("test-healthcare-ban"), "{measures}");
    // The farm system keeps its number and goes through the review it now needs.
    let (_, farm_now) = s
        .send(
            &developer,
            Method::GET,
            &format!("/api/v1/systems/{farm}"),
            None,
            None,
        )
        .await;
    assert_eq!(farm_now["system"]["status"], "submitted");
    assert!(farm_now["system"]["registry_number"]
        .as_str()
        .unwrap()
        .starts_with("KZ-AI-"));
    let (_, farm_cases) = s
        .send(
            &supervisor,
            Method::GET,
            &format!("/api/v1/cases?system={farm}&open=true"),
            None,
            None,
        )
        .await;
    assert_eq!(
        farm_cases["items"][0]["registration"]["expert_review"],
        true
    );
    let (_, inbox) = s
        .send(&developer, Method::GET, "/api/v1/inbox", None, None)
        .await;
    let kinds = inbox.to_string();
    assert!(
        kinds.contains("registration.review_required") && kinds.contains("registration.suspended"),
        "{kinds}"
    );

    let before = app.store.fingerprint().await.unwrap();
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

/// A message's headers and its body decoded from its transfer encoding
/// (base64 or quoted-printable, which lettre chooses for long lines).
pub(crate) fn decoded(message: &str) -> String {
    use base64::Engine;
    let Some((head, body)) = message.split_once("\n\n") else {
        return message.to_string();
    };
    let encoding = head
        .lines()
        .find_map(|l| l.strip_prefix("Content-Transfer-Encoding: "))
        .unwrap_or("8bit")
        .trim()
        .to_ascii_lowercase();
    let text = match encoding.as_str() {
        "base64" => {
            let joined: String = body.split_whitespace().collect();
            String::from_utf8(
                base64::engine::general_purpose::STANDARD
                    .decode(joined)
                    .unwrap(),
            )
            .unwrap()
        }
        "quoted-printable" => {
            let mut bytes = Vec::new();
            for line in body.lines() {
                let (line, soft) = match line.strip_suffix('=') {
                    Some(l) => (l, true),
                    None => (line, false),
                };
                let raw = line.as_bytes();
                let mut i = 0;
                while i < raw.len() {
                    if raw[i] == b'=' && i + 2 < raw.len() {
                        let hex = std::str::from_utf8(&raw[i + 1..i + 3]).unwrap();
                        bytes.push(u8::from_str_radix(hex, 16).unwrap());
                        i += 3;
                    } else {
                        bytes.push(raw[i]);
                        i += 1;
                    }
                }
                if !soft {
                    bytes.push(b'\n');
                }
            }
            String::from_utf8(bytes).unwrap()
        }
        _ => body.to_string(),
    };
    format!("{head}\n\n{}", text.replace("\r\n", "\n"))
}

/// A local SMTP sink: accepts every message and keeps it (envelope
/// recipient and text, decoded).
async fn smtp_sink() -> (
    String,
    std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>,
) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let mails = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let kept = mails.clone();
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                return;
            };
            let kept = kept.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 sink ready\r\n").await.unwrap();
                let mut to = String::new();
                while let Ok(Some(line)) = lines.next_line().await {
                    let upper = line.to_ascii_uppercase();
                    if upper.starts_with("EHLO") {
                        write
                            .write_all(b"250-sink\r\n250 8BITMIME\r\n")
                            .await
                            .unwrap();
                    } else if upper.starts_with("RCPT TO:") {
                        to = line[8..].trim_matches(['<', '>', ' ']).to_string();
                        write.write_all(b"250 ok\r\n").await.unwrap();
                    } else if upper == "DATA" {
                        write.write_all(b"354 go on\r\n").await.unwrap();
                        let mut text = String::new();
                        while let Ok(Some(l)) = lines.next_line().await {
                            if l == "." {
                                break;
                            }
                            text.push_str(&l);
                            text.push('\n');
                        }
                        kept.lock().unwrap().push((to.clone(), decoded(&text)));
                        write.write_all(b"250 kept\r\n").await.unwrap();
                    } else if upper == "QUIT" {
                        write.write_all(b"221 bye\r\n").await.unwrap();
                        return;
                    } else {
                        write.write_all(b"250 ok\r\n").await.unwrap();
                    }
                }
            });
        }
    });
    (address, mails)
}

async fn overdue_reviews_are_flagged_and_mailed(backend: crate::helpers::Backend) {
    let (relay, mails) = smtp_sink().await;
    let app = crate::helpers::spawn_app_with(backend, |c| c.smtp = Some(relay.clone())).await;
    let mut s = Session {
        app: &app,
        receipts: Vec::new(),
    };
    let developer = token(&app, Who::Developer);
    let supervisor = token(&app, Who::Supervisor);
    let system_id = registered_system(&mut s, &developer).await;

    // Within the year nothing is due.
    let (status, swept) = s
        .send(
            &supervisor,
            Method::POST,
            "/api/v1/review-due/sweep",
            None,
            None,
        )
        .await;
    assert_eq!((status, swept["flagged"].as_u64()), (200, Some(0)));
    let (status, _) = s
        .send(
            &developer,
            Method::POST,
            "/api/v1/review-due/sweep",
            None,
            None,
        )
        .await;
    assert_eq!(status, 403);
    // A year and a day later the system is flagged, once.
    app.clock.advance_seconds(366 * 86_400);
    let (_, swept) = s
        .send(
            &supervisor,
            Method::POST,
            "/api/v1/review-due/sweep",
            None,
            None,
        )
        .await;
    assert_eq!(swept["flagged"], 1);
    let (_, swept) = s
        .send(
            &supervisor,
            Method::POST,
            "/api/v1/review-due/sweep",
            None,
            None,
        )
        .await;
    assert_eq!(swept["flagged"], 0, "flagged once per unreviewed version");
    let (_, inbox) = s
        .send(&developer, Method::GET, "/api/v1/inbox", None, None)
        .await;
    let due: Vec<&Value> = inbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "system.review_due")
        .collect();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0]["system_id"], system_id.as_str());
    let (_, inbox) = s
        .send(&supervisor, Method::GET, "/api/v1/inbox", None, None)
        .await;
    assert!(inbox.to_string().contains("system.review_due"));
    // A new version is the review: the clock starts again.
    let mut version = system_json("Bed occupancy forecast");
    version["profile"] = json!({"sectors": ["healthcare"], "functions": ["other"], "autonomy": "low",
        "affects": ["none"], "failure_impact": "minimal"});
    version["change_note"] = json!("Annual risk review 2027: no change in risks.");
    let (status, body) = s
        .send(
            &developer,
            Method::POST,
            &format!("/api/v1/systems/{system_id}/versions"),
            Some(1),
            Some(version),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (_, swept) = s
        .send(
            &supervisor,
            Method::POST,
            "/api/v1/review-due/sweep",
            None,
            None,
        )
        .await;
    assert_eq!(swept["flagged"], 0);

    // The notices went out by mail too: to the hospital's developer and the supervisor.
    for _ in 0..50 {
        if mails.lock().unwrap().len() >= 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let mails = mails.lock().unwrap().clone();
    assert!(
        mails.iter().any(|(to, text)| to == "dev@hospital.kz"
            && text.contains("the law asks for a review at least once a year")
            && text.contains("заң оларды жылына кемінде бір рет қайта қарауды талап етеді")
            && text.contains("закон требует пересмотра не реже раза в год")),
        "{mails:?}"
    );
    assert!(
        mails.iter().any(|(to, _)| to == "supervisor@ministry.kz"),
        "{mails:?}"
    );
    assert!(
        mails
            .iter()
            .any(|(to, text)| to == "dev@hospital.kz" && text.contains("registered")),
        "the registration's notice was mailed too: {mails:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overdue_reviews_are_flagged_and_mailed_on_sqlite() {
    overdue_reviews_are_flagged_and_mailed(crate::helpers::Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overdue_reviews_are_flagged_and_mailed_on_postgres() {
    overdue_reviews_are_flagged_and_mailed(crate::helpers::Backend::Postgres).await;
}

async fn queues_put_overdue_dossiers_first(app: TestApp) {
    let mut s = Session {
        app: &app,
        receipts: Vec::new(),
    };
    let (reviewers, _) = pool(&app, &mut s).await;
    let developer = token(&app, Who::Developer);
    let supervisor = token(&app, Who::Supervisor);
    let mut submitted = Vec::new();
    for name in ["Early triage", "Late triage", "Paused triage"] {
        if name == "Late triage" {
            // Forty days later (11 April): the first, due 3 April, is overdue.
            app.clock.advance_seconds(40 * 86_400);
        }
        let (_, system) = s
            .send(
                &developer,
                Method::POST,
                "/api/v1/systems",
                None,
                Some(system_json(name)),
            )
            .await;
        let (status, case) = s
            .send(
                &developer,
                Method::POST,
                "/api/v1/cases",
                None,
                Some(json!({"kind": "registration", "system_id": system["system"]["id"]})),
            )
            .await;
        assert_eq!(status, 201);
        submitted.push(case);
    }
    // The third is paused by a request for information: no running clock.
    let paused = submitted[2].clone();
    let reviewer = reviewers_of(&paused)[0].clone();
    let t = reviewers
        .iter()
        .find(|(r, _)| *r == reviewer)
        .unwrap()
        .1
        .clone();
    let paused = s
        .step(&t, &paused, json!({"action": "declare", "conflict": false}))
        .await;
    let paused = s
        .step(
            &t,
            &paused,
            json!({"action": "request_information", "questions": "Which data?"}),
        )
        .await;
    assert!(paused["deadline"]["due"].is_null());

    let (_, queue) = s
        .send(
            &supervisor,
            Method::GET,
            "/api/v1/cases?kind=registration&open=true",
            None,
            None,
        )
        .await;
    let items = queue["items"].as_array().unwrap();
    let ids: Vec<&Value> = items.iter().map(|c| &c["id"]).collect();
    assert_eq!(
        ids,
        vec![&submitted[0]["id"], &submitted[1]["id"], &paused["id"]],
        "{queue}"
    );
    assert_eq!(
        items
            .iter()
            .map(|c| c["overdue"].as_bool().unwrap())
            .collect::<Vec<_>>(),
        vec![true, false, false]
    );
}

async fn a_dossier_cannot_be_steered_around_the_rules(app: TestApp) {
    let mut s = Session {
        app: &app,
        receipts: Vec::new(),
    };
    let (reviewers, _) = pool(&app, &mut s).await;
    let developer = token(&app, Who::Developer);
    let supervisor = token(&app, Who::Supervisor);
    let (_, system) = s
        .send(
            &developer,
            Method::POST,
            "/api/v1/systems",
            None,
            Some(system_json("Steered triage")),
        )
        .await;
    let system_id = system["system"]["id"].as_str().unwrap().to_string();
    let (_, case) = s
        .send(
            &developer,
            Method::POST,
            "/api/v1/cases",
            None,
            Some(json!({"kind": "registration", "system_id": system_id})),
        )
        .await;
    // The owner reads the dossier as the owner: authority-only items withheld.
    let (status, dossier) = s
        .send(
            &developer,
            Method::GET,
            &format!("/api/v1/cases/{}/dossier", case["id"].as_str().unwrap()),
            None,
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert!(
        dossier["version"]["documentation"]["performance"].is_null(),
        "{dossier}"
    );
    assert!(dossier["version"]["documentation"]["training_data"].is_string());
    // A ban or a suspension needs a registered system.
    let (_, inv) = s
        .send(
            &supervisor,
            Method::POST,
            "/api/v1/cases",
            None,
            Some(json!({"kind": "investigation", "system_id": system_id, "reasons": "Tip."})),
        )
        .await;
    let (status, body) = s
        .send(&supervisor, Method::POST, &format!("/api/v1/cases/{}/steps", inv["id"].as_str().unwrap()), Some(1),
              Some(json!({"action": "decide_violation", "obligation": "human-oversight", "description": "x",
                          "sanction": "ban", "reasons": "x"})))
        .await;
    assert_eq!(status, 409, "{body}");
    // While information is requested the owner adds a prohibited version:
    // the answer is refused, citing the rule.
    let reviewer = reviewers_of(&case)[0].clone();
    let t = reviewers
        .iter()
        .find(|(r, _)| *r == reviewer)
        .unwrap()
        .1
        .clone();
    let case = s
        .step(&t, &case, json!({"action": "declare", "conflict": false}))
        .await;
    let case = s
        .step(
            &t,
            &case,
            json!({"action": "request_information", "questions": "More?"}),
        )
        .await;
    let mut prohibited = system_json("Steered triage");
    prohibited["profile"] = json!({"sectors": ["law_enforcement"], "functions": ["biometric_identification"],
        "real_time": true, "public_spaces": true, "autonomy": "medium", "affects": ["fundamental_rights"],
        "failure_impact": "severe", "personal_data": true, "special_categories": ["biometric"]});
    let (status, _) = s
        .send(
            &developer,
            Method::POST,
            &format!("/api/v1/systems/{system_id}/versions"),
            Some(1),
            Some(prohibited),
        )
        .await;
    assert_eq!(status, 201);
    let (status, body) = s
        .send(
            &developer,
            Method::POST,
            &format!("/api/v1/cases/{}/steps", case["id"].as_str().unwrap()),
            case["revision"].as_i64(),
            Some(json!({"action": "respond", "answer": "Changed it."})),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("prohibited"),
        "{body}"
    );
    // A report cannot be merged into something that is not an open report.
    let (_, _) = s
        .send(
            "",
            Method::POST,
            "/api/v1/reports",
            None,
            Some(json!({"type": "tip", "description": "Something odd."})),
        )
        .await;
    let (_, reports) = s
        .send(
            &supervisor,
            Method::GET,
            "/api/v1/cases?kind=report",
            None,
            None,
        )
        .await;
    let report = reports["items"][0].clone();
    let (status, body) = s
        .send(
            &supervisor,
            Method::POST,
            &format!("/api/v1/cases/{}/steps", report["id"].as_str().unwrap()),
            Some(1),
            Some(json!({"action": "merge", "into": case["id"]})),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["fields"][0]["field"], "into");
}

/// Credit decisions where women are approved half as often as men: 60 of
/// 100 men and 30 of 100 women, so disparate impact is 0.5.
fn skewed_predictions() -> String {
    let mut csv = String::from("applicant,repaid,approved,sex\n");
    for i in 0..200 {
        let sex = if i < 100 { "male" } else { "female" };
        let approved = if i < 100 { i < 60 } else { i < 130 };
        let repaid = i % 3 != 0;
        csv.push_str(&format!("A{i},{},{},{sex}\n", repaid as u8, approved as u8));
    }
    csv
}

pub(crate) async fn an_audit_runs_metrics_against_the_packs_thresholds(app: TestApp) {
    let mut s = Session {
        app: &app,
        receipts: Vec::new(),
    };
    let developer = token(&app, Who::Developer);
    let supervisor = token(&app, Who::Supervisor);
    let auditor = token(&app, Who::Auditor);
    // A version of the pack with the four-fifths rule.
    let mut source = super::rulepacks::stricter_seed("1.0.1");
    source = source[..source
        .find("\n[[rules]]\nid = \"test-healthcare-ban\"")
        .unwrap()]
        .to_string();
    source.push_str(
        r#"
[[thresholds]]
metric = "disparate_impact"
min = 0.8
severity = "high"
obligation = "assess-risk-level"
citation = "seed-5"
title = { kk = "Төрттен бес ережесі", ru = "Правило четырёх пятых", en = "The four-fifths rule" }
"#,
    );
    let (status, report) = s
        .send(
            &supervisor,
            Method::POST,
            "/api/v1/rulepacks",
            None,
            Some(json!({"source": source})),
        )
        .await;
    assert_eq!(status, 201, "{report}");
    let system_id = registered_system(&mut s, &developer).await;
    let (status, audit) = s
        .send(
            &supervisor,
            Method::POST,
            "/api/v1/cases",
            None,
            Some(
                json!({"kind": "audit", "system_id": system_id, "basis": "planned",
                          "auditor": app.accounts[&Who::Auditor].to_string()}),
            ),
        )
        .await;
    assert_eq!(status, 201, "{audit}");
    assert_eq!(audit["audit"]["pack"]["version"], "1.0.1");
    let path = format!("/api/v1/cases/{}/metrics", audit["id"].as_str().unwrap());
    let csv = skewed_predictions();
    let post = |token: &str, query: &str, revision: i64| {
        app.http
            .post(app.url(&format!("{path}?{query}")))
            .bearer_auth(token)
            .header("if-match", format!("\"{revision}\""))
            .header("content-type", "text/csv")
            .body(csv.clone())
            .send()
    };
    let query = "y_true=repaid&y_pred=approved&sensitive=sex&privileged=sex%3Dmale";
    let revision = audit["revision"].as_i64().unwrap();
    // Only the audit's auditor; a missing column is named; nothing changes.
    let r = post(&developer, query, revision).await.unwrap();
    assert_eq!(r.status(), 403);
    // The pack's four-fifths rule needs the privileged group: never skipped.
    let r = post(
        &auditor,
        "y_true=repaid&y_pred=approved&sensitive=sex",
        revision,
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["fields"][0]["field"], "privileged", "{body}");
    let r = post(
        &auditor,
        "y_true=outcome&y_pred=approved&sensitive=sex&privileged=sex%3Dmale",
        revision,
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["fields"][0]["field"], "file", "{body}");
    assert!(
        body["error"]["fields"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("outcome"),
        "{body}"
    );
    let (_, unchanged) = s
        .send(
            &auditor,
            Method::GET,
            &format!("/api/v1/cases/{}", audit["id"].as_str().unwrap()),
            None,
            None,
        )
        .await;
    assert_eq!(unchanged["revision"], audit["revision"]);

    let r = post(&auditor, query, revision).await.unwrap();
    assert_eq!(r.status(), 200, "{:?}", r.text().await);
    assert!(
        r.headers().contains_key("senim-receipt"),
        "the run is an entry in the public log"
    );
    let case: Value = r.json().await.unwrap();
    let run = &case["audit"]["metrics"][0];
    assert_eq!(run["number"], 1);
    use sha2::Digest;
    assert_eq!(
        run["file_sha256"],
        hex::encode(sha2::Sha256::digest(csv.as_bytes()))
    );
    let report: Value = serde_json::from_str(run["report"].as_str().unwrap()).unwrap();
    assert_eq!(report["input"]["rows_read"], 200, "{report}");
    assert!(report["by_group"].is_array(), "{report}");
    let check = &run["checks"][0];
    assert_eq!(check["metric"], "disparate_impact");
    assert_eq!(check["value"], "0.5", "{check}");
    assert_eq!(check["min"], "0.8");
    assert_eq!(check["breached"], true);
    assert_eq!(check["finding"], 1);
    let finding = &case["audit"]["findings"][0];
    assert_eq!(finding["item"], "assess-risk-level");
    assert_eq!(finding["severity"], "high");
    let description = finding["description"].as_str().unwrap();
    assert!(
        description.contains("The four-fifths rule"),
        "{description}"
    );
    assert!(case["audit"]["checklist"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["id"] == "assess-risk-level"));
    // The owner is told, and may answer the finding like any other.
    let (_, inbox) = s
        .send(&developer, Method::GET, "/api/v1/inbox", None, None)
        .await;
    assert!(
        inbox.to_string().contains("notice-finding-recorded"),
        "{inbox}"
    );
}
