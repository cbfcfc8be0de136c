//! Signing in through an OpenID provider (issue 21, item 1), against a
//! real, certified one: npm's `oidc-provider`, configured by
//! `tools/oidc-provider/provider.mjs` and started here on a free port
//! (`scripts/test.sh` installs it). Its `login_hint` names the person, so
//! the flow runs with plain HTTP: Senim sends the browser there, the
//! provider sends it back with a code, Senim checks everything and starts
//! the session, or says why not.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::Method;

use crate::helpers::{Backend, TestApp, PASSWORD};

/// The provider, stopped when dropped.
struct Provider {
    child: Child,
    issuer: String,
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_provider() -> Provider {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    start_provider_on(port, None).await
}

/// The provider on `port`, with a signing key of its own (started again,
/// it has rotated its keys).
async fn start_provider_on(port: u16, spoil: Option<&str>) -> Provider {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tools/oidc-provider");
    assert!(
        std::path::Path::new(dir)
            .join("node_modules/oidc-provider")
            .exists(),
        "the test OpenID provider is not installed: npm ci --prefix tools/oidc-provider (scripts/test.sh does it)"
    );
    let child = Command::new("node")
        .arg(format!("{dir}/provider.mjs"))
        .arg(port.to_string())
        .args(spoil)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("node runs the test OpenID provider");
    let issuer = format!("http://127.0.0.1:{port}");
    let provider = Provider { child, issuer };
    let http = reqwest::Client::new();
    for _ in 0..150 {
        let up = http
            .get(format!(
                "{}/.well-known/openid-configuration",
                provider.issuer
            ))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200);
        if up {
            return provider;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the test OpenID provider did not start");
}

async fn app_with(backend: Backend, provider: &Provider, passwords: bool) -> TestApp {
    let secret = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(secret.path(), "senim-test-secret\n").unwrap();
    let (_, path) = secret.keep().unwrap();
    let issuer = provider.issuer.clone();
    crate::helpers::spawn_app_with(backend, move |c| {
        c.passwords = passwords;
        c.identity_providers = vec![senim_app::oidc::IdentityProvider {
            id: "test".into(),
            name: "Test ID".into(),
            issuer,
            client_id: "senim".into(),
            client_secret_file: Some(path),
            client_secret_env: None,
            scopes: vec!["openid".into(), "email".into()],
            identifier_claim: "sub".into(),
        }];
    })
    .await
}

fn cookie_of(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
        .and_then(|c| c.split(';').next())
        .map(str::to_string)
}

/// A browser's round trip: Senim's sign-in link, the provider (as
/// `person`), and back: Senim's cookie and the callback's query.
async fn round_trip(app: &TestApp, person: &str) -> (String, String) {
    let http = crate::pages::no_redirects();
    let r = http
        .get(app.url("/login/oidc/test?next=/reviewer"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let flow = cookie_of(&r, "senim_oidc").expect("the sign-in is bound to the browser");
    let mut to = format!(
        "{}&login_hint={}",
        r.headers()["location"].to_str().unwrap(),
        form_urlencoded_component(person)
    );
    assert!(to.contains("code_challenge_method=S256"), "{to}");
    let mut jar: Vec<String> = Vec::new();
    for _ in 0..6 {
        let r = http
            .get(&to)
            .header("cookie", jar.join("; "))
            .send()
            .await
            .unwrap();
        for c in r.headers().get_all("set-cookie") {
            let pair = c.to_str().unwrap().split(';').next().unwrap().to_string();
            let name = pair.split('=').next().unwrap().to_string();
            jar.retain(|x| !x.starts_with(&format!("{name}=")));
            jar.push(pair);
        }
        let mut location = r.headers()["location"].to_str().unwrap().to_string();
        if location.starts_with('/') {
            // The provider's own pages, relative to its origin.
            let origin: String = to.splitn(4, '/').take(3).collect::<Vec<_>>().join("/");
            location = format!("{origin}{location}");
        }
        if location.contains("/login/oidc/test/callback") {
            let query = location.split_once('?').unwrap().1.to_string();
            return (flow, query);
        }
        to = location;
    }
    panic!("the provider did not send the browser back");
}

fn form_urlencoded_component(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The callback as the browser makes it: (status, location, page).
async fn callback(app: &TestApp, flow: &str, query: &str) -> (u16, String, String) {
    let r = crate::pages::no_redirects()
        .get(app.url(&format!("/login/oidc/test/callback?{query}")))
        .header("cookie", flow)
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string())
        .unwrap_or_default();
    let session = cookie_of(&r, "senim_session").filter(|c| c != "senim_session=");
    let page = r.text().await.unwrap();
    if status == 303 {
        assert!(session.is_some(), "a session starts");
    } else {
        assert!(session.is_none(), "no session: {page}");
    }
    (status, location, page)
}

fn with_state(query: &str, state: &str) -> String {
    query
        .split('&')
        .map(|kv| {
            if kv.starts_with("state=") {
                format!("state={state}")
            } else {
                kv.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Issue 21, item 1: a person signs in through the provider; an identity
/// nobody linked is refused, an invitation (an account with the verified
/// e-mail) links it; a wrong `state`, a replayed answer, a code from
/// another sign-in and an expired ID token are refused with their reasons,
/// and none starts a session.
async fn people_sign_in_through_an_openid_provider(backend: Backend) {
    let provider = start_provider().await;
    let app = app_with(backend, &provider, true).await;
    let (_, login) = crate::pages::page(&app, "/login", "en").await;
    assert!(login.contains("Sign in with Test ID"), "{login}");
    assert!(login.contains("name=\"password\""), "{login}");

    // Nobody linked this identity and its e-mail is no account's.
    let (flow, query) = round_trip(&app, "stranger@nowhere.kz").await;
    let (status, _, page) = callback(&app, &flow, &query).await;
    assert_eq!(status, 401);
    assert!(
        page.contains("names a person no account here is linked to"),
        "{page}"
    );

    // The expert's account is the invitation: the verified e-mail links it.
    let (flow, query) = round_trip(&app, "expert@ministry.kz").await;
    // A wrong state is refused and leaves the sign-in waiting.
    let (status, _, page) = callback(&app, &flow, &with_state(&query, "forged")).await;
    assert_eq!(status, 401);
    assert!(
        page.contains("is not the one this sign-in was sent with"),
        "{page}"
    );
    let (status, location, page) = callback(&app, &flow, &query).await;
    assert_eq!(status, 303, "{page}");
    assert_eq!(location, "/reviewer", "back to the page that asked");
    // The same answer again is refused: it was taken.
    let (status, _, page) = callback(&app, &flow, &query).await;
    assert_eq!(status, 401);
    assert!(page.contains("names no sign-in waiting here"), "{page}");
    // A used code in another sign-in's answer: the provider refuses it.
    let (flow2, query2) = round_trip(&app, "expert@ministry.kz").await;
    let old_code = query.split('&').find(|kv| kv.starts_with("code=")).unwrap();
    let mixed: String = query2
        .split('&')
        .map(|kv| {
            if kv.starts_with("code=") {
                old_code
            } else {
                kv
            }
        })
        .collect::<Vec<_>>()
        .join("&");
    let (status, _, page) = callback(&app, &flow2, &mixed).await;
    assert_eq!(status, 401);
    assert!(
        page.contains("was refused by the identity provider"),
        "{page}"
    );
    // Without the browser's cookie, an answer is nobody's.
    let (_, query3) = round_trip(&app, "expert@ministry.kz").await;
    let (status, _, page) = callback(&app, "", &query3).await;
    assert_eq!(status, 401);
    assert!(page.contains("names no sign-in waiting here"), "{page}");

    // An identity without an e-mail, linked by an administrator (`senim
    // admin account link-identity`), signs its account in.
    let (flow, query) = round_trip(&app, "auditor-at-provider").await;
    let (status, _, _) = callback(&app, &flow, &query).await;
    assert_eq!(status, 401, "not linked yet");
    app.store
        .execute(
            senim_store::Actor::operator(),
            senim_store::Command::LinkIdentity {
                provider: "test".into(),
                subject: "auditor-at-provider".into(),
                account_id: app.accounts[&crate::helpers::Who::Auditor],
            },
        )
        .await
        .unwrap();
    let (flow, query) = round_trip(&app, "auditor-at-provider").await;
    let (status, _, page) = callback(&app, &flow, &query).await;
    assert_eq!(status, 303, "{page}");

    // An ID token read after it expired (the provider's live an hour): the
    // server's clock is moved to just before, the answer read after.
    {
        use senim_domain::Clock;
        let real = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let fixed = app.clock.now().unix_millis() / 1000;
        app.clock.advance_seconds(real - fixed + 3600 - 180);
    }
    let (flow, query) = round_trip(&app, "expert@ministry.kz").await;
    app.clock.advance_seconds(300);
    let (status, _, page) = callback(&app, &flow, &query).await;
    assert_eq!(status, 401);
    assert!(page.contains("has expired"), "{page}");
}

/// A deployment that switches passwords off: the page offers the provider
/// only, and the API's password sign-ins are refused.
async fn passwords_can_be_switched_off(backend: Backend) {
    let provider = start_provider().await;
    let app = app_with(backend, &provider, false).await;
    let (_, login) = crate::pages::page(&app, "/login", "en").await;
    assert!(login.contains("Sign in with Test ID"), "{login}");
    assert!(!login.contains("name=\"password\""), "{login}");
    let r = app
        .http
        .request(Method::POST, app.url("/api/v1/session"))
        .json(&serde_json::json!({"email": "dev@hospital.kz", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // The provider still signs the developer in (the invitation).
    let (flow, query) = round_trip(&app, "dev@hospital.kz").await;
    let (status, _, _) = callback(&app, &flow, &query).await;
    assert_eq!(status, 303);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_sign_in_through_an_openid_provider_on_sqlite() {
    people_sign_in_through_an_openid_provider(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn people_sign_in_through_an_openid_provider_on_postgres() {
    people_sign_in_through_an_openid_provider(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passwords_can_be_switched_off_on_sqlite() {
    passwords_can_be_switched_off(Backend::Sqlite).await;
}

/// A provider that rotates its signing keys is followed: a signature no
/// key as last read verifies has the keys read again, once. (Before, the
/// keys read at the first sign-in were kept an hour, and every sign-in
/// after a rotation was refused as "not signed by the provider's keys".)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_that_rotates_its_keys_is_followed() {
    let first = start_provider().await;
    let port: u16 = first.issuer.rsplit(':').next().unwrap().parse().unwrap();
    let app = app_with(Backend::Sqlite, &first, true).await;
    let (flow, query) = round_trip(&app, "expert@ministry.kz").await;
    let (status, _, page) = callback(&app, &flow, &query).await;
    assert_eq!(status, 303, "{page}");
    drop(first);
    let _second = start_provider_on(port, None).await;
    let (flow, query) = round_trip(&app, "expert@ministry.kz").await;
    let (status, _, page) = callback(&app, &flow, &query).await;
    assert_eq!(status, 303, "the new keys are read: {page}");
}

/// Issue 21, item 1: an ID token issued for another client, and one signed
/// by a key the provider never published, are refused with their reasons
/// and start no session. The provider spoils its own tokens on the way out
/// (`provider.mjs PORT audience|signature`), as a provider gone wrong or an
/// attacker in the middle would send them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_for_another_client_or_under_another_key_is_refused() {
    for (spoil, reason) in [
        (
            "audience",
            "was issued for another client than this register",
        ),
        ("signature", "is not signed by the identity provider"),
    ] {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let provider = start_provider_on(port, Some(spoil)).await;
        let app = app_with(Backend::Sqlite, &provider, true).await;
        let (flow, query) = round_trip(&app, "expert@ministry.kz").await;
        let (status, _, page) = callback(&app, &flow, &query).await;
        assert_eq!(status, 401, "{spoil}: {page}");
        assert!(page.contains(reason), "{spoil}: {page}");
    }
}
