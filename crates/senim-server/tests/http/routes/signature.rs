//! Signing in with an electronic digital signature (issue 21, item 2),
//! with the NCA-shaped test PKI of `tools/test-pki/make.sh` and signatures
//! made by `openssl cms` (what NCALayer makes in production): the API and
//! the pages, every bad certificate and bad message refused for its reason,
//! changing nothing.

use reqwest::Method;

use senim_testing::pki;

use crate::helpers::{error_fields, Backend, TestApp, Who};

async fn app_with_eds(backend: Backend) -> TestApp {
    let dir = pki::dir().to_path_buf();
    crate::helpers::spawn_app_with(backend, move |c| {
        c.eds = senim_app::eds::EdsConfig {
            roots: vec![dir.join("root.pem")],
            intermediates: vec![dir.join("inter.pem")],
            crls: vec![dir.join("root.crl"), dir.join("inter.crl")],
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
