//! Signing in with an electronic digital signature (issue 21, item 2),
//! with the NCA-shaped test PKI of `tools/test-pki/make.sh` and signatures
//! made by `openssl cms` (what NCALayer makes in production): the API and
//! the pages, every bad certificate and bad message refused for its reason,
//! changing nothing.

use reqwest::Method;

use senim_testing::pki;

use crate::helpers::{error_fields, Backend, TestApp, Who};

async fn app_with_eds(backend: Backend) -> TestApp {
    app_with(backend, false).await
}

async fn app_with(backend: Backend, require_signed_decisions: bool) -> TestApp {
    let dir = pki::dir().to_path_buf();
    crate::helpers::spawn_app_with(backend, move |c| {
        c.eds = senim_app::eds::EdsConfig {
            roots: vec![dir.join("root.pem")],
            intermediates: vec![dir.join("inter.pem")],
            crls: vec![dir.join("root.crl"), dir.join("inter.crl")],
            require_signed_decisions,
        };
    })
    .await
}

fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A fresh text to sign from the API.
async fn text(app: &TestApp) -> String {
    let r = app
        .http
        .request(Method::POST, app.url("/api/v1/session/signature/text"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(body["expires_at"].is_string());
    body["nonce"].as_str().unwrap().to_string()
}

/// Signs in through the API with `signature` of `nonce`: the status, the
/// refused fields, and whether a session cookie was set.
async fn sign_in(
    app: &TestApp,
    nonce: &str,
    signature: &str,
) -> (u16, Vec<(String, String)>, Option<serde_json::Value>) {
    let r = app
        .http
        .request(Method::POST, app.url("/api/v1/session/signature"))
        .json(&serde_json::json!({"nonce": nonce, "signature": signature}))
        .send()
        .await
        .unwrap();
    if r.status() == 200 {
        assert!(
            r.headers()
                .get_all("set-cookie")
                .iter()
                .any(|v| v.to_str().unwrap().starts_with("senim_session=")),
            "a session starts"
        );
        return (200, Vec::new(), Some(r.json().await.unwrap()));
    }
    assert!(
        r.headers().get("set-cookie").is_none(),
        "a refused signature starts no session"
    );
    let (status, _, fields) = error_fields(r).await;
    (status, fields, None)
}

/// The refusal of `who`'s signature of a fresh text (or of `other` text).
async fn refused_for(app: &TestApp, who: &str, other: Option<&str>) -> (String, String) {
    let nonce = text(app).await;
    let signed = other.unwrap_or(&nonce).to_string();
    let cms = pki::sign(who, signed.as_bytes(), true);
    let (status, fields, _) = sign_in(app, &nonce, &base64(&cms)).await;
    assert_eq!(status, 422, "{who}: {fields:?}");
    fields.into_iter().next().unwrap()
}

fn link_iin(app: &TestApp, who: Who, iin: &str) -> senim_store::Command {
    let _ = app;
    senim_store::Command::LinkIdentity {
        provider: senim_app::eds::PROVIDER.into(),
        subject: iin.into(),
        account_id: app.accounts[&who],
    }
}

/// Issue 21, item 2: a person signs in with their authentication key once
/// an administrator linked their IIN; each bad signature is refused with
/// its reason, on the API and the pages, in the reader's language.
async fn people_sign_in_with_an_electronic_digital_signature(backend: Backend) {
    let app = app_with_eds(backend).await;
    let (_, login) = crate::pages::page(&app, "/login", "en").await;
    assert!(
        login.contains("href=\"/login/signature\""),
        "the sign-in page offers it: {login}"
    );

    // Not linked yet: a valid signature names nobody here.
    let (field, reason) = refused_for(&app, "person", None).await;
    assert_eq!(field, "signature");
    assert!(reason.contains("no account here is linked to"), "{reason}");
    app.store
        .execute(
            senim_store::Actor::operator(),
            link_iin(&app, Who::Developer, "880101300123"),
        )
        .await
        .unwrap();

    // Attached and detached signatures both sign in.
    for attached in [true, false] {
        let nonce = text(&app).await;
        let cms = pki::sign("person", nonce.as_bytes(), attached);
        let (status, fields, body) = sign_in(&app, &nonce, &base64(&cms)).await;
        assert_eq!(status, 200, "{fields:?}");
        let body = body.unwrap();
        assert_eq!(body["account"]["email"], "dev@hospital.kz");
        assert!(body["csrf_token"].is_string());

        // The same text and signature again: the text was taken.
        let (status, fields, _) = sign_in(&app, &nonce, &base64(&cms)).await;
        assert_eq!(status, 422);
        assert_eq!(fields[0].0, "nonce");
        assert!(fields[0].1.contains("was used already"), "{fields:?}");
    }

    // Each bad certificate, for its reason.
    for (who, expected) in [
        ("expired", "with a certificate that has expired"),
        ("revoked", "with a certificate that was revoked"),
        ("stranger", "no certification authority trusted here issued"),
        ("forged", "with a forged certificate"),
        ("signer", "with a key that is not for signing in"),
    ] {
        let (field, reason) = refused_for(&app, who, None).await;
        assert_eq!(field, "signature", "{who}");
        assert!(reason.contains(expected), "{who}: {reason}");
    }
    // A signature of another text (another page's nonce).
    let other = text(&app).await;
    let (_, reason) = refused_for(&app, "person", Some(&other)).await;
    assert!(reason.contains("signs another text"), "{reason}");
    // Not a signature at all, and not even base64.
    let nonce = text(&app).await;
    let (status, fields, _) = sign_in(&app, &nonce, &base64(b"not a signature")).await;
    assert_eq!(status, 422);
    assert!(
        fields[0].1.contains("is not a CMS (PKCS#7) signature"),
        "{fields:?}"
    );
    let nonce = text(&app).await;
    let (_, fields, _) = sign_in(&app, &nonce, "%%% not base64 %%%").await;
    assert!(
        fields[0].1.contains("is not a CMS (PKCS#7) signature"),
        "{fields:?}"
    );
    // A GOST key: a clear answer, not a failure.
    let nonce = text(&app).await;
    let gost = senim_testing::pki::as_gost(&pki::sign("person", nonce.as_bytes(), true));
    let (status, fields, _) = sign_in(&app, &nonce, &base64(&gost)).await;
    assert_eq!(status, 422);
    assert!(
        fields[0].1.contains("cannot verify GOST signatures"),
        "{fields:?}"
    );
    // A text signed after it expired.
    let nonce = text(&app).await;
    app.clock.advance_seconds(senim_app::eds::NONCE_SECONDS + 1);
    let cms = pki::sign("person", nonce.as_bytes(), true);
    let (_, fields, _) = sign_in(&app, &nonce, &base64(&cms)).await;
    assert_eq!(fields[0].0, "nonce");
    // A text never given.
    let (_, fields, _) = sign_in(&app, "Senim sign-in made up", &base64(&cms)).await;
    assert_eq!(fields[0].0, "nonce");

    // The pages: the text to sign, the pasted signature, the desk.
    let http = crate::pages::no_redirects();
    let r = http
        .get(app.url("/login/signature?next=/systems"))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("wss://127.0.0.1:13579"),
        "NCALayer is reachable: {csp}"
    );
    let csrf = crate::pages::set_cookie(&r, "senim_csrf");
    let html = r.text().await.unwrap();
    let token = crate::pages::field_value(&html, "csrf_token");
    let nonce = crate::pages::field_value(&html, "nonce");
    assert!(html.contains(&nonce), "the text is shown to sign by hand");
    let post = |fields: Vec<(&'static str, String)>, lang: &'static str| {
        let http = http.clone();
        let csrf = csrf.clone();
        let url = app.url("/login/signature");
        async move {
            let r = http
                .post(url)
                .header("cookie", csrf)
                .header("accept-language", lang)
                .form(&fields)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let location = r
                .headers()
                .get("location")
                .map(|v| v.to_str().unwrap().to_string());
            let cookie = r
                .headers()
                .get_all("set-cookie")
                .iter()
                .any(|v| v.to_str().unwrap().starts_with("senim_session="));
            (status, location, cookie, r.text().await.unwrap())
        }
    };
    // A revoked key, in Russian: the reason in Russian, a new text to sign.
    let revoked = pki::sign("revoked", nonce.as_bytes(), true);
    let (status, _, session, page) = post(
        vec![
            ("csrf_token", token.clone()),
            ("next", "/systems".into()),
            ("nonce", nonce.clone()),
            ("signature", base64(&revoked)),
        ],
        "ru",
    )
    .await;
    assert_eq!(status, 401);
    assert!(!session);
    assert!(
        page.contains("отозванному регистрационному свидетельству"),
        "{page}"
    );
    let fresh = crate::pages::field_value(&page, "nonce");
    assert_ne!(fresh, nonce, "a refused try gets a new text");
    // The person's own key, pasted as PEM.
    let cms = pki::sign("person", fresh.as_bytes(), true);
    let pem = format!("-----BEGIN CMS-----\n{}\n-----END CMS-----\n", base64(&cms));
    let (status, location, session, page) = post(
        vec![
            ("csrf_token", token.clone()),
            ("next", "/systems".into()),
            ("nonce", fresh),
            ("signature", pem),
        ],
        "en",
    )
    .await;
    assert_eq!(status, 303, "{page}");
    assert_eq!(location.as_deref(), Some("/systems"));
    assert!(session);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_sign_in_with_an_electronic_digital_signature_on_sqlite() {
    people_sign_in_with_an_electronic_digital_signature(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_sign_in_with_an_electronic_digital_signature_on_postgres() {
    people_sign_in_with_an_electronic_digital_signature(Backend::Postgres).await;
}

/// Without a certification authority configured, there is no such sign-in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_trusted_authorities_there_is_no_signature_sign_in() {
    let app = crate::helpers::spawn_app(Backend::Sqlite).await;
    let (status, _) = crate::pages::page(&app, "/login/signature", "en").await;
    assert_eq!(status, 404);
    let (_, login) = crate::pages::page(&app, "/login", "en").await;
    assert!(!login.contains("/login/signature"));
    let r = app
        .http
        .request(Method::POST, app.url("/api/v1/session/signature/text"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

/// The registration case of a registered system, as the supervisor reads it.
async fn registration_of(app: &TestApp, name: &str) -> serde_json::Value {
    let system = app.registered_system_named(name).await;
    let cases = app
        .read(
            Who::Supervisor,
            &format!("/api/v1/cases?system={system}&kind=registration"),
        )
        .await;
    cases["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "registration")
        .cloned()
        .unwrap()
}

/// The document to sign for `step` on `case`, from the API.
async fn document_for(app: &TestApp, case: &serde_json::Value, step: &serde_json::Value) -> String {
    document_as(app, Who::Supervisor, case, step).await
}

/// The document `who` signs for `step` on `case`, from the API.
async fn document_as(
    app: &TestApp,
    who: Who,
    case: &serde_json::Value,
    step: &serde_json::Value,
) -> String {
    let r = app
        .request(
            who,
            Method::POST,
            &format!(
                "/api/v1/cases/{}/steps/document",
                case["id"].as_str().unwrap()
            ),
        )
        .header("if-match", format!("\"{}\"", case["revision"]))
        .json(step)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    body["document"].as_str().unwrap().to_string()
}

/// Takes `step` with `signature` on `case` as the supervisor.
async fn take(
    app: &TestApp,
    case: &serde_json::Value,
    step: &serde_json::Value,
    signature: Option<String>,
) -> (u16, serde_json::Value) {
    take_as(app, Who::Supervisor, case, step, signature).await
}

/// Takes `step` with `signature` on `case` as `who`.
async fn take_as(
    app: &TestApp,
    who: Who,
    case: &serde_json::Value,
    step: &serde_json::Value,
    signature: Option<String>,
) -> (u16, serde_json::Value) {
    let mut body = step.clone();
    if let Some(s) = signature {
        body["signature"] = s.into();
    }
    let r = app
        .request(
            who,
            Method::POST,
            &format!("/api/v1/cases/{}/steps", case["id"].as_str().unwrap()),
        )
        .header("if-match", format!("\"{}\"", case["revision"]))
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

fn reason_of(answer: &serde_json::Value) -> (String, String) {
    let field = &answer["error"]["fields"][0];
    (
        field["field"].as_str().unwrap_or("").to_string(),
        field["reason"].as_str().unwrap_or("").to_string(),
    )
}

/// Issue 21, item 3: a supervisor signs a decision with their signing
/// key; the signature of anything else, with another key or by someone
/// else is refused and changes nothing; the signature and the document are
/// kept with the case and downloaded by anyone, the log entry names their
/// digests and no IIN; a deployment can require signed decisions.
async fn decisions_are_signed_with_the_officials_key(backend: Backend) {
    let app = app_with_eds(backend).await;
    app.store
        .execute(
            senim_store::Actor::operator(),
            link_iin(&app, Who::Supervisor, "880101300123"),
        )
        .await
        .unwrap();
    let case = registration_of(&app, "Signed triage").await;
    let id = case["id"].as_str().unwrap().to_string();
    let step = serde_json::json!({"action": "suspend", "reasons": "Incident under investigation."});
    let document = document_for(&app, &case, &step).await;
    assert!(document.contains("\"revision\":"), "{document}");
    assert!(document.contains(&id), "{document}");

    // An authentication key, a text of another decision, someone else's
    // key: each refused, and the case is as it was.
    let other = document.replace("Incident", "Accident");
    for (who, text, expected) in [
        ("person", &document, "not for signing documents"),
        ("signer", &other, "signs another text"),
        (
            "org-signer",
            &document,
            "someone else than the account taking this step",
        ),
    ] {
        let cms = pki::sign(who, text.as_bytes(), false);
        let (status, answer) = take(&app, &case, &step, Some(base64(&cms))).await;
        assert_eq!(status, 422, "{who}: {answer}");
        let (field, reason) = reason_of(&answer);
        assert_eq!(field, "signature");
        assert!(reason.contains(expected), "{who}: {reason}");
    }
    let (_, bad) = take(&app, &case, &step, Some("%%%".into())).await;
    assert!(reason_of(&bad).1.contains("is not a CMS"), "{bad}");
    let now = app
        .read(Who::Supervisor, &format!("/api/v1/cases/{id}"))
        .await;
    assert_eq!(now["state"], "registered");
    assert_eq!(now["revision"], case["revision"]);

    // The supervisor's own signing key: the decision is taken and signed.
    let cms = pki::sign("signer", document.as_bytes(), false);
    let (status, decided) = take(&app, &case, &step, Some(base64(&cms))).await;
    assert_eq!(status, 200, "{decided}");
    assert_eq!(decided["state"], "suspended");
    let signature = &decided["signatures"][0];
    assert_eq!(signature["step"], "suspend");
    assert_eq!(signature["signer"], "ТЕСТОВ ТЕСТ");
    assert_eq!(signature["revision"], case["revision"]);
    let sig_sha = signature["signature_sha256"].as_str().unwrap().to_string();
    let doc_sha = signature["document_sha256"].as_str().unwrap().to_string();

    // Anyone downloads both; the signature verifies over the document.
    let r = app
        .request(
            Who::Anonymous,
            Method::GET,
            &format!("/api/v1/cases/{id}/signatures/{sig_sha}"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/pkcs7-signature");
    assert_eq!(r.bytes().await.unwrap().as_ref(), cms.as_slice());
    let r = app
        .request(
            Who::Anonymous,
            Method::GET,
            &format!("/api/v1/cases/{id}/signatures/{doc_sha}"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), document);
    let r = app
        .request(
            Who::Anonymous,
            Method::GET,
            &format!("/api/v1/cases/{id}/signatures/{}", "0".repeat(64)),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    // The log entry names the digests, and no IIN.
    let events = app.store.timeline(&[("case", id.clone())]).await.unwrap();
    let last = events.last().unwrap().index.unwrap();
    let entry = app
        .read(Who::Anonymous, &format!("/api/v1/log/entries/{last}"))
        .await;
    let text = entry["entry"].as_str().unwrap();
    assert!(text.contains(&sig_sha), "{text}");
    assert!(text.contains(&doc_sha), "{text}");
    assert!(!text.contains("880101300123"), "{text}");

    // The case's page shows the signature and its files.
    let session = crate::pages::sign_in(&app, "supervisor@ministry.kz").await;
    let page = crate::pages::page_as(&app, &session, &format!("/desk/cases/{id}"), "en").await;
    assert!(page.contains("Signatures"), "{page}");
    assert!(
        page.contains(&format!("/api/v1/cases/{id}/signatures/{sig_sha}")),
        "{page}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decisions_are_signed_with_the_officials_key_on_sqlite() {
    decisions_are_signed_with_the_officials_key(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decisions_are_signed_with_the_officials_key_on_postgres() {
    decisions_are_signed_with_the_officials_key(Backend::Postgres).await;
}

/// A deployment that requires signed decisions refuses an unsigned one,
/// and its pages offer only the signed way; other steps need none. The
/// pages' way: the decision's form, its signing page, the signature
/// pasted, the decision taken.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deployment_can_require_signed_decisions() {
    let app = app_with(Backend::Sqlite, true).await;
    app.store
        .execute(
            senim_store::Actor::operator(),
            link_iin(&app, Who::Supervisor, "880101300123"),
        )
        .await
        .unwrap();
    let case = registration_of(&app, "Required triage").await;
    let id = case["id"].as_str().unwrap().to_string();
    let step = serde_json::json!({"action": "suspend", "reasons": "Incident."});
    let (status, answer) = take(&app, &case, &step, None).await;
    assert_eq!(status, 422);
    let (field, reason) = reason_of(&answer);
    assert_eq!(field, "signature");
    assert!(reason.contains("is required"), "{reason}");

    // The pages: the form says the decision is signed, and sends it to its
    // signing page.
    let session = crate::pages::sign_in(&app, "supervisor@ministry.kz").await;
    let http = crate::pages::no_redirects();
    let html = http
        .get(app.url(&format!("/desk/cases/{id}")))
        .header("cookie", &session)
        .header("accept-language", "en")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Decisions here are signed with your electronic digital signature"),
        "{html}"
    );
    assert!(
        html.contains("<input type=\"hidden\" name=\"sign\" value=\"1\">"),
        "{html}"
    );
    let token = crate::pages::field_value(&html, "csrf_token");
    let revision = case["revision"].to_string();
    let r = http
        .post(app.url(&format!("/desk/cases/{id}")))
        .header("cookie", &session)
        .header("accept-language", "en")
        .form(&[
            ("csrf_token", token.as_str()),
            ("action", "suspend"),
            ("revision", revision.as_str()),
            ("reasons", "Incident."),
            ("sign", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("Sign the decision"), "{html}");
    // The decision as people read it, above the document signed.
    assert!(
        html.contains("<dt>Reasons</dt><dd lang=\"en\">Incident.</dd>")
            || html.contains("<dt>Reasons</dt><dd>Incident.</dd>"),
        "{html}"
    );
    let document = document_for(&app, &case, &step).await;
    assert_eq!(
        crate::pages::field_value(&html, "text"),
        document.replace('"', "&#34;"),
        "the page signs the API's very document"
    );
    let step_json = crate::pages::field_value(&html, "step").replace("&#34;", "\"");
    let cms = pki::sign("signer", document.as_bytes(), true);
    let r = http
        .post(app.url(&format!("/desk/cases/{id}/signed")))
        .header("cookie", &session)
        .header("accept-language", "en")
        .form(&[
            ("csrf_token", token.as_str()),
            ("revision", revision.as_str()),
            ("step", step_json.as_str()),
            ("signature", base64(&cms).as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let now = app
        .read(Who::Supervisor, &format!("/api/v1/cases/{id}"))
        .await;
    assert_eq!(now["state"], "suspended");
    assert_eq!(now["signatures"][0]["step"], "suspend");
}

/// `who`'s download of `path`: its status, and for a PDF its embedded
/// receipt.
async fn document(
    app: &TestApp,
    who: Who,
    path: &str,
) -> (u16, Option<senim_app::documents::DocumentReceipt>) {
    let r = app.request(who, Method::GET, path).send().await.unwrap();
    let status = r.status().as_u16();
    if status != 200 {
        return (status, None);
    }
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let bytes = r.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    let json = senim_documents::find_receipt(&bytes).expect("the receipt is embedded");
    (status, Some(serde_json::from_slice(json).unwrap()))
}

/// `who`'s download of `path`, waiting while the log catches up (503).
async fn document_when_logged(
    app: &TestApp,
    who: Who,
    path: &str,
) -> senim_app::documents::DocumentReceipt {
    for _ in 0..100 {
        match document(app, who, path).await {
            (200, Some(receipt)) => return receipt,
            (503, _) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
            (status, _) => panic!("{path}: {status}"),
        }
    }
    panic!("{path}: the log never recorded it");
}

/// A document's receipt: about `subject`, its facts each in its entry.
fn check_receipt(receipt: &senim_app::documents::DocumentReceipt, kind: &str, subject: &str) {
    assert_eq!(receipt.document, kind);
    assert_eq!(receipt.subject, format!("case:{subject}"));
    let entry = receipt.receipt.entry.as_deref().unwrap();
    assert!(entry.contains(subject), "{entry}");
    for (name, value) in &receipt.facts {
        assert!(entry.contains(&format!("\"{value}\"")), "{name}: {entry}");
    }
    assert!(!entry.contains("880101300123") && !entry.contains("900202400343"));
}

/// Issue 21, item 4: a decision on a violation and an audit's report
/// download as documents that list their signatures, whose receipts'
/// entries hold each signature's digest; the decision for anyone once it
/// is published, the report for the audit's parties once it is closed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_decisions_and_audit_reports_download_as_documents() {
    let app = app_with_eds(Backend::Sqlite).await;
    for (who, iin) in [
        (Who::Supervisor, "880101300123"),
        (Who::Auditor, "900202400343"),
    ] {
        app.store
            .execute(senim_store::Actor::operator(), link_iin(&app, who, iin))
            .await
            .unwrap();
    }
    let system = app.registered_system_named("Documented triage").await;
    let create = |body: serde_json::Value| {
        let app = &app;
        async move {
            let r = app
                .request(Who::Supervisor, Method::POST, "/api/v1/cases")
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 201);
            r.json::<serde_json::Value>().await.unwrap()
        }
    };
    let audit = create(serde_json::json!({"kind": "audit", "system_id": system,
        "basis": "planned", "auditor": app.accounts[&Who::Auditor].to_string()}))
    .await;
    let audit_id = audit["id"].as_str().unwrap().to_string();
    let obligation = audit["audit"]["checklist"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let report = format!("/api/v1/cases/{audit_id}/audit-report/document?lang=kk");

    // An open audit has no report yet.
    let (status, _) = document(&app, Who::Auditor, &report).await;
    assert_eq!(status, 409);

    // The auditor closes it with their signature.
    let step = serde_json::json!({"action": "close_audit", "conclusion": "Processes match the documentation."});
    let text = document_as(&app, Who::Auditor, &audit, &step).await;
    let cms = pki::sign("org-signer", text.as_bytes(), false);
    let (status, closed) = take_as(&app, Who::Auditor, &audit, &step, Some(base64(&cms))).await;
    assert_eq!(status, 200, "{closed}");
    let signed = closed["signatures"][0]["signature_sha256"]
        .as_str()
        .unwrap()
        .to_string();

    // Its parties download it; the receipt's entry holds the signature's
    // digest. Nobody else does.
    let receipt = document_when_logged(&app, Who::Developer, &report).await;
    check_receipt(&receipt, "audit-report", &audit_id);
    assert_eq!(receipt.facts["state"], "closed");
    assert_eq!(receipt.facts["signature_1_sha256"], signed);
    document_when_logged(&app, Who::Auditor, &report).await;
    for (who, refused) in [(Who::Anonymous, 401), (Who::OtherDeveloper, 403)] {
        let (status, _) = document(&app, who, &report).await;
        assert_eq!(status, refused, "{who:?}");
    }

    // An investigation: no decision to download until one is taken.
    let inv = create(
        serde_json::json!({"kind": "investigation", "system_id": system,
        "reasons": "The audit's evidence."}),
    )
    .await;
    let inv_id = inv["id"].as_str().unwrap().to_string();
    let decision = format!("/api/v1/decisions/{inv_id}/document?lang=ru");
    let (status, _) = document(&app, Who::Anonymous, &decision).await;
    assert_eq!(status, 404);
    let step = serde_json::json!({"action": "decide_violation", "obligation": obligation,
        "description": "The documentation was not kept up to date.",
        "sanction": "fine", "reasons": "First violation."});
    let text = document_for(&app, &inv, &step).await;
    let cms = pki::sign("signer", text.as_bytes(), false);
    let (status, decided) = take(&app, &inv, &step, Some(base64(&cms))).await;
    assert_eq!(status, 200, "{decided}");
    let signed = decided["signatures"][0]["signature_sha256"]
        .as_str()
        .unwrap()
        .to_string();
    let receipt = document_when_logged(&app, Who::Anonymous, &decision).await;
    check_receipt(&receipt, "sanction-decision", &inv_id);
    assert_eq!(receipt.facts["number"], decided["number"].as_str().unwrap());
    assert_eq!(receipt.facts["state"], "decided");
    assert_eq!(receipt.facts["sanction"], "fine");
    assert_eq!(receipt.facts["signature_1_sha256"], signed);

    // The pages offer both.
    let (_, page) = crate::pages::page(&app, &format!("/decisions/{inv_id}"), "kk").await;
    assert!(
        page.contains(&format!("/decisions/{inv_id}/decision.pdf")),
        "{page}"
    );
    let r = app
        .http
        .get(app.url(&format!("/decisions/{inv_id}/decision.pdf")))
        .header("accept-language", "kk")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let session = crate::pages::sign_in(&app, "dev@hospital.kz").await;
    let page =
        crate::pages::page_as(&app, &session, &format!("/desk/cases/{audit_id}"), "ru").await;
    assert!(
        page.contains(&format!("/desk/cases/{audit_id}/audit-report.pdf")),
        "{page}"
    );
}
