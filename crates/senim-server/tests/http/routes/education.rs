//! Education: the Platform's operator publishes a course that a university
//! teaches and that qualifies expert reviewers for healthcare; an expert
//! enrols, the course fills, the university's instructor records the
//! completion, the expert's certificate is an Open Badges 3.0 credential
//! that Senim and an independent verifier accept, the reviewer pool offers
//! the expert for healthcare only from then on, and after the programme
//! revokes the certificate both refuse it.

use std::path::{Path, PathBuf};
use std::process::Command as Process;

use reqwest::Method;
use serde_json::{json, Value};

use senim_domain::Role;

use crate::helpers::{TestApp, Who};
use crate::routes::datasets::send;
use crate::routes::programmes::{as_token, fields, step};

crate::on_both_backends!(a_course_certifies_a_reviewer_until_revoked,);

fn course_json(provider: &str) -> Value {
    json!({
        "provider_organisation_id": provider,
        "title": {"en": "Reviewing medical AI", "ru": "Экспертиза медицинского ИИ", "kk": "Медициналық ЖИ сараптамасы"},
        "syllabus": {"en": "Risk, clinical evidence, bias, post-market monitoring."},
        "criteria": {"en": "Passed the final case study."},
        "hours": 24,
        "language": "ru",
        "seats": 2
    })
}

fn verifier_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/ob-verify")
}

/// The independent verifier's answer (`tools/ob-verify/verify.mjs`, Digital
/// Bazaar's libraries) on a credential and its status list, or None when it
/// is not installed and need not be.
fn independent(credential: &Value, list: &Value) -> Option<(bool, String)> {
    let dir = verifier_dir();
    if !dir.join("node_modules").is_dir() {
        assert_ne!(
            std::env::var("SENIM_REQUIRE_VERIFIERS").as_deref(),
            Ok("1"),
            "the independent verifier is not installed (npm ci --prefix tools/ob-verify)"
        );
        eprintln!("SKIPPED: the independent verifier is not installed");
        return None;
    }
    let files = tempfile::tempdir().unwrap();
    let c = files.path().join("credential.json");
    let l = files.path().join("list.json");
    std::fs::write(&c, credential.to_string()).unwrap();
    std::fs::write(&l, list.to_string()).unwrap();
    let out = Process::new("node")
        .arg(dir.join("verify.mjs"))
        .arg(&c)
        .arg(&l)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Some((out.status.success(), text))
}

async fn raw(app: &TestApp, token: Option<&str>, path: &str) -> (u16, String) {
    let mut r = app.http.get(app.url(path));
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let response = r.send().await.unwrap();
    (
        response.status().as_u16(),
        response.text().await.unwrap_or_default(),
    )
}

async fn verify(app: &TestApp, credential: &Value) -> Value {
    let response = app
        .http
        .post(app.url("/api/v1/certificates/verify"))
        .json(credential)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    response.json().await.unwrap()
}

async fn pool_entry(app: &TestApp, expert: &str) -> Value {
    let pool = app.read(Who::Supervisor, "/api/v1/reviewers").await;
    pool["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["account_id"] == expert)
        .cloned()
        .unwrap()
}

pub(crate) async fn a_course_certifies_a_reviewer_until_revoked(app: TestApp) {
    let operator = app.organisation("Platform operator", "19014000012").await;
    let university = app.organisation("Satbayev University", "19014000013").await;
    let (_, manager) = app
        .account_with_token(
            "manager@platform.kz",
            vec![Role::ProgrammeManager],
            Some(operator),
        )
        .await;
    let (_, instructor) = app
        .account_with_token(
            "teacher@satbayev.kz",
            vec![Role::Instructor],
            Some(university),
        )
        .await;
    let (_, stranger) = app
        .account_with_token("teacher@other.kz", vec![Role::Instructor], Some(operator))
        .await;
    let (_, education) = as_token(
        &app,
        &manager,
        Method::POST,
        "/api/v1/programmes",
        None,
        Some(json!({"kind": "education", "title": {"en": "AI skills"}})),
    )
    .await;
    let (_, compute) = as_token(
        &app,
        &manager,
        Method::POST,
        "/api/v1/programmes",
        None,
        Some(json!({"kind": "compute", "title": {"en": "Compute"}})),
    )
    .await;
    let courses_of =
        |p: &Value| format!("/api/v1/programmes/{}/courses", p["id"].as_str().unwrap());
    let provider = university.to_string();

    // Bad input names each field and changes nothing; a course belongs to
    // an education programme; a developer may not publish one.
    let mut bad = course_json(&provider);
    bad["hours"] = json!(0);
    bad["title"] = json!({});
    let (status, body) = as_token(
        &app,
        &manager,
        Method::POST,
        &courses_of(&education),
        None,
        Some(bad),
    )
    .await;
    assert_eq!(
        (status, fields(&body)),
        (422, vec!["title".to_string(), "hours".to_string()]),
        "{body}"
    );
    let (status, body) = as_token(
        &app,
        &manager,
        Method::POST,
        &courses_of(&compute),
        None,
        Some(course_json(&provider)),
    )
    .await;
    assert_eq!(
        (status, fields(&body)),
        (422, vec!["programme_id".to_string()]),
        "{body}"
    );
    let developer = app.token(Who::Developer).unwrap().to_string();
    let (status, _) = as_token(
        &app,
        &developer,
        Method::POST,
        &courses_of(&education),
        None,
        Some(course_json(&provider)),
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(
        app.read(Who::Anonymous, "/api/v1/courses").await["items"],
        json!([])
    );

    let (status, course) = as_token(
        &app,
        &manager,
        Method::POST,
        &courses_of(&education),
        None,
        Some(course_json(&provider)),
    )
    .await;
    assert_eq!(status, 201, "{course}");
    let course_id = course["id"].as_str().unwrap().to_string();
    let enrolments = format!("/api/v1/courses/{course_id}/enrolments");

    // The authority's supervisors make it a condition of the pool for
    // healthcare; the programme cannot, and an unknown sector is named.
    let sectors = format!("/api/v1/courses/{course_id}/reviewer-sectors");
    let (status, _) = as_token(
        &app,
        &manager,
        Method::PUT,
        &sectors,
        None,
        Some(json!({"sectors": ["healthcare"]})),
    )
    .await;
    assert_eq!(status, 403);
    let (status, body) = send(
        &app,
        Who::Supervisor,
        Method::PUT,
        &sectors,
        None,
        Some(json!({"sectors": ["alchemy"]})),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = send(
        &app,
        Who::Supervisor,
        Method::PUT,
        &sectors,
        None,
        Some(json!({"sectors": ["healthcare", "healthcare"]})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["reviewer_sectors"], json!(["healthcare"]));

    // An expert of the pool, competent in healthcare, lacks the certificate
    // the pool now requires for healthcare.
    let (expert_id, expert) = app
        .account_with_token("expert@experts.kz", vec![Role::ExpertReviewer], None)
        .await;
    let (status, _) = send(
        &app,
        Who::Supervisor,
        Method::PUT,
        &format!("/api/v1/reviewers/{expert_id}"),
        None,
        Some(json!({"sectors": ["healthcare"]})),
    )
    .await;
    assert_eq!(status, 200);
    let expert_id = expert_id.to_string();
    assert_eq!(
        pool_entry(&app, &expert_id).await["uncertified"],
        json!(["healthcare"])
    );

    // Anonymous callers cannot enrol; the expert and a second learner take
    // the two seats; a third learner and a second enrolment are refused.
    let (status, _) = raw(&app, None, &enrolments).await;
    assert_eq!(status, 401);
    let (status, enrolment) = as_token(&app, &expert, Method::POST, &enrolments, None, None).await;
    assert_eq!(status, 201, "{enrolment}");
    assert_eq!(enrolment["state"], "enrolled");
    assert!(enrolment["number"].as_str().unwrap().starts_with("ENR-"));
    let (status, body) = as_token(&app, &expert, Method::POST, &enrolments, None, None).await;
    assert_eq!(status, 409, "{body}");
    let (_, second) = app
        .account_with_token("learner@uni.kz", vec![Role::Developer], Some(app.hospital))
        .await;
    let (status, other) = as_token(&app, &second, Method::POST, &enrolments, None, None).await;
    assert_eq!(status, 201, "{other}");
    let (_, third) = app
        .account_with_token("late@uni.kz", vec![Role::Developer], Some(app.bank))
        .await;
    let (status, body) = as_token(&app, &third, Method::POST, &enrolments, None, None).await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("seats"),
        "{body}"
    );

    // The public sees the figures, not who enrolled; the instructors see
    // the enrolments; another organisation's instructor neither.
    let shown = app
        .read(Who::Anonymous, &format!("/api/v1/courses/{course_id}"))
        .await;
    assert_eq!(
        (shown["enrolled"].as_i64(), shown["completed"].as_i64()),
        (Some(2), Some(0))
    );
    let (status, list) = as_token(&app, &instructor, Method::GET, &enrolments, None, None).await;
    assert_eq!(status, 200);
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    let (status, _) = as_token(&app, &stranger, Method::GET, &enrolments, None, None).await;
    assert_eq!(status, 403);
    let (status, _) = step(&app, &stranger, &enrolment, json!({"action": "complete"})).await;
    assert_eq!(status, 403);
    // A learner cannot complete their own enrolment.
    let (status, _) = step(&app, &expert, &enrolment, json!({"action": "complete"})).await;
    assert_eq!(status, 403);
    let (status, _) = raw(
        &app,
        Some(&second),
        &format!("/api/v1/cases/{}", enrolment["id"].as_str().unwrap()),
    )
    .await;
    assert!(
        status == 403 || status == 404,
        "another learner does not see the enrolment: {status}"
    );

    // The second learner withdraws, freeing the seat.
    let (status, withdrawn) = step(
        &app,
        &second,
        &other,
        json!({"action": "withdraw_enrolment"}),
    )
    .await;
    assert_eq!(
        (status, withdrawn["state"].as_str()),
        (200, Some("withdrawn"))
    );
    let (status, _) = as_token(&app, &third, Method::POST, &enrolments, None, None).await;
    assert_eq!(status, 201);

    // The instructor records the completion: the certificate is issued.
    let (status, completed) = step(
        &app,
        &instructor,
        &enrolment,
        json!({"action": "complete", "note": "Case study: excellent."}),
    )
    .await;
    assert_eq!(status, 200, "{completed}");
    assert_eq!(completed["state"], "completed");
    let case_id = completed["id"].as_str().unwrap();
    let certificate_path = format!("/api/v1/enrolments/{case_id}/certificate");
    let (status, _) = raw(&app, Some(&second), &certificate_path).await;
    assert!(status == 403 || status == 404, "{status}");
    let (status, text) = raw(&app, Some(&expert), &certificate_path).await;
    assert_eq!(status, 200, "{text}");
    let credential: Value = serde_json::from_str(&text).unwrap();
    assert!(credential["type"]
        .as_array()
        .unwrap()
        .contains(&json!("OpenBadgeCredential")));
    assert_eq!(
        credential["credentialSubject"]["achievement"]["name"],
        "Экспертиза медицинского ИИ"
    );
    assert!(
        !text.contains("expert@experts.kz"),
        "the address is only hashed"
    );
    // The same facts give the same credential.
    assert_eq!(raw(&app, Some(&expert), &certificate_path).await.1, text);

    let list_url = credential["credentialStatus"]["statusListCredential"]
        .as_str()
        .unwrap()
        .to_string();
    let list_path = format!("/badges/status/{}", list_url.rsplit('/').next().unwrap());
    let (status, list) = raw(&app, None, &list_path).await;
    assert_eq!(status, 200, "{list}");
    let list: Value = serde_json::from_str(&list).unwrap();
    assert_eq!(list["id"], list_url.as_str());
    assert_eq!(raw(&app, None, "/badges/status/1999").await.0, 404);

    let checked = verify(&app, &credential).await;
    assert_eq!(checked["valid"], true, "{checked}");
    if let Some((ok, out)) = independent(&credential, &list) {
        assert!(ok, "the independent verifier refused: {out}");
    }
    // A credential changed after signing is refused.
    let mut forged = credential.clone();
    forged["credentialSubject"]["achievement"]["name"] = json!("Something else");
    assert_eq!(verify(&app, &forged).await["valid"], false);

    // Certified: the pool offers the expert for healthcare now.
    assert_eq!(pool_entry(&app, &expert_id).await.get("uncertified"), None);
    let mine = as_token(
        &app,
        &expert,
        Method::GET,
        "/api/v1/enrolments/mine",
        None,
        None,
    )
    .await
    .1;
    assert_eq!(mine["items"][0]["state"], "completed");

    // The programme revokes it, with reasons: both verifiers refuse it, and
    // the pool no longer offers the expert for healthcare.
    let (status, body) = step(
        &app,
        &manager,
        &completed,
        json!({"action": "revoke_certificate", "reasons": ""}),
    )
    .await;
    assert_eq!((status, fields(&body)), (422, vec!["reasons".to_string()]));
    let (status, revoked) = step(
        &app,
        &manager,
        &completed,
        json!({"action": "revoke_certificate", "reasons": "The final case study was copied."}),
    )
    .await;
    assert_eq!(status, 200, "{revoked}");
    assert_eq!(revoked["state"], "revoked");
    let checked = verify(&app, &credential).await;
    assert_eq!(checked["valid"], false);
    assert!(
        checked["reason"].as_str().unwrap().contains("revoked"),
        "{checked}"
    );
    let list: Value = serde_json::from_str(&raw(&app, None, &list_path).await.1).unwrap();
    if let Some((ok, out)) = independent(&credential, &list) {
        assert!(
            !ok,
            "the independent verifier accepted a revoked certificate: {out}"
        );
    }
    assert_eq!(
        pool_entry(&app, &expert_id).await["uncertified"],
        json!(["healthcare"])
    );

    // The log holds each step, and not the learner's address.
    let mut text = String::new();
    for _ in 0..100 {
        text = app.store.log_entries(0, 100_000).await.unwrap().join("\n");
        if text.contains("enrolment.certificate_revoked") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    for kind in [
        "course.created",
        "enrolment.opened",
        "enrolment.completed",
        "enrolment.certificate_revoked",
    ] {
        assert!(text.contains(kind), "{kind} is not in the log");
    }
    assert!(!text.contains("expert@experts.kz"));
}
