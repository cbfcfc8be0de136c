//! `/api/v1/session` and `/api/v1/tokens`: passwords, cookies, CSRF, rate limits.

use reqwest::Method;

use crate::helpers::{TestApp, Who, PASSWORD};

crate::on_both_backends!(
    cookie_session_needs_csrf_for_writes,
    login_is_rate_limited,
    password_gives_api_token
);

async fn cookie_session_needs_csrf_for_writes(app: TestApp) {
    let login = app
        .http
        .post(app.url("/api/v1/session"))
        .json(&serde_json::json!({"email": "dev@hospital.kz", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let cookie = login.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let session = cookie.split(';').next().unwrap().to_string();
    let body: serde_json::Value = login.json().await.unwrap();
    let csrf = body["csrf_token"].as_str().unwrap().to_string();
    let me = app
        .http
        .get(app.url("/api/v1/accounts/me"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    let without = app
        .http
        .post(app.url("/api/v1/systems"))
        .header("cookie", &session)
        .json(&crate::helpers::system_json("Cookie"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        without.status(),
        403,
        "a cookie write without the CSRF token is refused"
    );
    let with = app
        .http
        .post(app.url("/api/v1/systems"))
        .header("cookie", &session)
        .header("x-csrf-token", &csrf)
        .json(&crate::helpers::system_json("Cookie"))
        .send()
        .await
        .unwrap();
    assert_eq!(with.status(), 201);
    let logout = app
        .http
        .delete(app.url("/api/v1/session"))
        .header("cookie", &session)
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 204);
    let after = app
        .http
        .get(app.url("/api/v1/accounts/me"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 401);
}

async fn login_is_rate_limited(app: TestApp) {
    for _ in 0..senim_app::auth::LOGIN_FAILURES_PER_KEY {
        let r = app
            .http
            .post(app.url("/api/v1/session"))
            .json(&serde_json::json!({"email": "dev@hospital.kz", "password": "wrong password!"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
    }
    let blocked = app
        .http
        .post(app.url("/api/v1/session"))
        .json(&serde_json::json!({"email": "dev@hospital.kz", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(blocked.status(), 429, "even the right password waits");
    assert!(blocked.headers().contains_key("retry-after"));
    let unknown = app
        .http
        .post(app.url("/api/v1/session"))
        .json(&serde_json::json!({"email": "nobody@x.kz", "password": "whatever it is"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        unknown.status(),
        401,
        "an unknown e-mail looks like a wrong password"
    );
}

async fn password_gives_api_token(app: TestApp) {
    let client = app.client(Who::Anonymous);
    let created = client
        .token_login(
            "dev@hospital.kz",
            PASSWORD,
            None,
            "laptop",
            vec![senim_domain::TokenScope::Write],
            Some(30),
        )
        .await
        .unwrap();
    let me = client.with_token(Some(created.token)).me().await.unwrap();
    assert_eq!(me.id, app.accounts[&Who::Developer]);
    let r = app
        .request(Who::Anonymous, Method::GET, "/api/v1/session")
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(body["account"].is_null());
}

/// Issue 19, finding 1: behind the reverse proxy every client shared one
/// address, so twenty made-up sign-ins locked every user out. Now the
/// client's address is read from the trusted proxy's `X-Forwarded-For`, and
/// failures slow down only the address that made them, for the account it
/// tried.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strangers_cannot_lock_users_out_through_the_proxy() {
    let app = crate::helpers::spawn_app_with(crate::helpers::Backend::Sqlite, |config| {
        config.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    let sign_in = |from: &'static str, email: String, password: &'static str| {
        let r = app
            .http
            .post(app.url("/api/v1/session"))
            .json(&serde_json::json!({"email": email, "password": password}));
        let r = if from.is_empty() {
            r
        } else {
            r.header("x-forwarded-for", from)
        };
        async move { r.send().await.unwrap().status().as_u16() }
    };
    let attacker = "203.0.113.66";
    let user = "198.51.100.7";
    for i in 0..senim_app::auth::LOGIN_FAILURES_PER_ADDRESS {
        let status = sign_in(attacker, format!("made-up-{i}@x.kz"), "wrong password!").await;
        assert_eq!(status, 401);
    }
    assert_eq!(sign_in(user, "dev@hospital.kz".into(), PASSWORD).await, 200);
    // Even from the attacker's own address: it never failed for this account.
    assert_eq!(
        sign_in(attacker, "dev@hospital.kz".into(), PASSWORD).await,
        200
    );

    // Guessing one account's password slows that address for that account.
    for _ in 0..senim_app::auth::LOGIN_FAILURES_PER_KEY {
        let status = sign_in(attacker, "dev@hospital.kz".into(), "wrong password!").await;
        assert_eq!(status, 401);
    }
    assert_eq!(
        sign_in(attacker, "dev@hospital.kz".into(), PASSWORD).await,
        429
    );
    assert_eq!(sign_in(user, "dev@hospital.kz".into(), PASSWORD).await, 200);
    // A client that writes its own X-Forwarded-For in front of the proxy's
    // is still the address the proxy saw.
    assert_eq!(
        sign_in("10.9.9.9, 203.0.113.66", "dev@hospital.kz".into(), PASSWORD).await,
        429
    );
}

/// Without a trusted proxy, every request here comes from one address:
/// made-up e-mails from it still do not keep a user out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn made_up_emails_from_one_address_do_not_lock_anyone_out() {
    let app = crate::helpers::spawn_app(crate::helpers::Backend::Sqlite).await;
    for i in 0..senim_app::auth::LOGIN_FAILURES_PER_ADDRESS + 2 {
        let r = app
            .http
            .post(app.url("/api/v1/session"))
            .json(&serde_json::json!({"email": format!("made-up-{i}@x.kz"), "password": "wrong password!"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
    }
    let r = app
        .http
        .post(app.url("/api/v1/session"))
        .json(&serde_json::json!({"email": "dev@hospital.kz", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

/// Issue 19, finding 5: `POST /api/v1/reports` accepted 500 of 500 in a
/// second from one address. Now an address files a few an hour and
/// everyone together a bounded number a minute; the authority is not
/// limited, and nothing is written for a refused report.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_public_intake_holds_under_a_flood() {
    let app = crate::helpers::spawn_app_with(crate::helpers::Backend::Sqlite, |config| {
        config.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
        config.reports_per_address_per_hour = 3;
        config.reports_per_minute = 5;
    })
    .await;
    let report = serde_json::json!({"type": "tip",
        "description": "The chatbot of the bank asks for my ID number in a chat window."});
    let file = |from: &'static str| {
        let r = app
            .http
            .post(app.url("/api/v1/reports"))
            .header("x-forwarded-for", from)
            .json(&report);
        async move {
            let r = r.send().await.unwrap();
            let wait = r
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_string());
            (r.status().as_u16(), wait)
        }
    };
    let flooder = "203.0.113.66";
    for _ in 0..3 {
        assert_eq!(file(flooder).await.0, 201);
    }
    let events = app.store.event_count().await.unwrap();
    let (status, wait) = file(flooder).await;
    assert_eq!(status, 429);
    assert_eq!(wait.as_deref(), Some("3600"));
    assert_eq!(
        app.store.event_count().await.unwrap(),
        events,
        "nothing written"
    );
    // Another address still files, until everyone's minute is full.
    assert_eq!(file("198.51.100.1").await.0, 201);
    assert_eq!(file("198.51.100.2").await.0, 201);
    let (status, wait) = file("198.51.100.3").await;
    assert_eq!(status, 429);
    assert!(wait.is_some());
    // A supervisor entering a report is not limited.
    let (status, body) = crate::routes::datasets::send(
        &app,
        Who::Supervisor,
        Method::POST,
        "/api/v1/reports",
        None,
        Some(report.clone()),
    )
    .await;
    assert_eq!(status, 201, "{body}");
}

/// Issue 19, item 2: a report from the public carries a proof of work the
/// register asked for. Without one it shares a small minute (a browser
/// without JavaScript still reports; a flood without proofs stops there);
/// a forged, spent or too easy one is refused (422, naming `proof`) and
/// nothing is written; the client library solves the challenge; the
/// authority needs none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_needs_a_proof_of_work() {
    let app = crate::helpers::spawn_app_with(crate::helpers::Backend::Sqlite, |config| {
        config.report_proof_bits = 12;
        config.reports_without_proof_per_minute = 1;
    })
    .await;
    let report = serde_json::json!({"type": "tip",
        "description": "The chatbot of the bank asks for my ID number in a chat window."});
    let post = |proof: Option<String>| {
        let mut r = app.http.post(app.url("/api/v1/reports")).json(&report);
        if let Some(p) = proof {
            r = r.header("senim-proof", p);
        }
        async move { crate::helpers::error_fields(r.send().await.unwrap()).await }
    };
    let r = app
        .http
        .post(app.url("/api/v1/reports"))
        .json(&report)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "one without a proof passes");
    let events = app.store.event_count().await.unwrap();
    let r = app
        .http
        .post(app.url("/api/v1/reports"))
        .json(&report)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429, "the minute without proofs is full");
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("/api/v1/reports/challenge"));
    let challenge: serde_json::Value = app.read(Who::Anonymous, "/api/v1/reports/challenge").await;
    assert_eq!(challenge["bits"], 12);
    let challenge = challenge["challenge"].as_str().unwrap().to_string();
    // Asking for fewer bits than issued is a forgery.
    let edited = challenge.replacen("1.12.", "1.1.", 1);
    let (status, _, fields) = post(senim_domain::proof::solve(&edited)).await;
    assert_eq!((status, fields[0].1.contains("did not issue")), (422, true));
    let unsolved = (0..10_000)
        .map(|n| format!("{challenge}:{n}"))
        .find(|p| senim_domain::proof::proof_bits(p) < 12)
        .unwrap();
    let (status, _, fields) = post(Some(unsolved)).await;
    assert_eq!(
        (status, fields[0].1.contains("does not solve")),
        (422, true)
    );
    assert_eq!(
        app.store.event_count().await.unwrap(),
        events,
        "nothing written"
    );
    let proof = senim_domain::proof::solve(&challenge).unwrap();
    let r = app
        .http
        .post(app.url("/api/v1/reports"))
        .header("senim-proof", &proof)
        .json(&report)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let (status, _, fields) = post(Some(proof)).await;
    assert_eq!((status, fields[0].1.contains("already used")), (422, true));
    // The client library (and `senim report`) solves the challenge itself.
    let filed = app
        .client(Who::Anonymous)
        .file_report(&report)
        .await
        .unwrap();
    assert!(filed.value["number"].as_str().unwrap().starts_with("RPT-"));
    // The authority's own accounts need no proof.
    let (status, body) = crate::routes::datasets::send(
        &app,
        Who::Supervisor,
        Method::POST,
        "/api/v1/reports",
        None,
        Some(report.clone()),
    )
    .await;
    assert_eq!(status, 201, "{body}");
}

/// Issue 19, item 2: a flood of one text (or the same harm reported twice)
/// leaves one open report in the supervisors' queue: each near-duplicate
/// is received merged into it, with a number and a tracking code of its own
/// that show the merge.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn near_duplicates_are_merged_into_the_open_report() {
    let app = crate::helpers::spawn_app_with(crate::helpers::Backend::Sqlite, |config| {
        config.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    let file = |from: String, text: &str| {
        let report = serde_json::json!({"type": "tip", "system_name": "Dala Bank chatbot",
            "description": text});
        let r = app
            .http
            .post(app.url("/api/v1/reports"))
            .header("x-forwarded-for", from)
            .json(&report);
        async move {
            let r = r.send().await.unwrap();
            assert_eq!(r.status(), 201);
            r.json::<serde_json::Value>().await.unwrap()
        }
    };
    let text = "The chatbot of the bank asks for my ID number and PIN in a chat window.";
    let first = file("203.0.113.1".into(), text).await;
    let mut codes = Vec::new();
    for i in 0..5 {
        let variant = format!("{text} {}", ["Again.", "", "!", "Again.", ""][i]);
        let again = file(format!("198.51.100.{}", i + 1), &variant).await;
        assert_ne!(again["number"], first["number"]);
        codes.push(again["tracking_code"].as_str().unwrap().to_string());
    }
    let other = file(
        "192.0.2.1".into(),
        "The chatbot refused my complaint about a card fee and closed the chat.",
    )
    .await;
    let open: serde_json::Value = app
        .read(Who::Supervisor, "/api/v1/cases?kind=report&open=true")
        .await;
    let numbers: Vec<&str> = open["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["number"].as_str().unwrap())
        .collect();
    assert_eq!(numbers.len(), 2, "{numbers:?}");
    assert!(numbers.contains(&first["number"].as_str().unwrap()));
    assert!(numbers.contains(&other["number"].as_str().unwrap()));
    let status: serde_json::Value = app
        .read(Who::Anonymous, &format!("/api/v1/reports/{}", codes[0]))
        .await;
    assert_eq!(status["state"], "merged", "{status}");
    // It names the report it joined (issue 20, finding 8).
    assert_eq!(status["merged_into"], first["number"], "{status}");
}

/// Issue 21, item 5: authority roles sign in with a second factor when
/// the deployment says so. A supervisor enrols an authenticator app at the
/// first sign-in (a QR code and its key), then gives its code after the
/// password; a wrong code, a code used once already and a missing one are
/// refused with their reasons, five wrong codes end the sign-in, the API's
/// password sign-ins take the code too, and a role the configuration does
/// not name signs in as before.
async fn authority_roles_sign_in_with_a_second_factor(backend: crate::helpers::Backend) {
    use senim_domain::totp;
    let app = crate::helpers::spawn_app_with(backend, |config| {
        config.two_factor_roles = vec![
            senim_domain::Role::Supervisor,
            senim_domain::Role::ExpertReviewer,
        ];
    })
    .await;
    let http = crate::pages::no_redirects();
    let now = || {
        use senim_domain::Clock;
        app.clock.now().unix_millis().div_euclid(1000)
    };
    // The password, then the page that asks for the code.
    let password_step = |email: &'static str| {
        let http = http.clone();
        let app = &app;
        async move {
            let (csrf, token) = crate::pages::form_token(app, "/login").await;
            let r = http
                .post(app.url("/login"))
                .header("cookie", &csrf)
                .form(&[
                    ("email", email),
                    ("password", PASSWORD),
                    ("csrf_token", &token),
                ])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 303);
            let to = r.headers()["location"].to_str().unwrap().to_string();
            let waiting = r
                .headers()
                .get_all("set-cookie")
                .iter()
                .any(|c| c.to_str().unwrap().starts_with("senim_session="));
            assert!(!waiting, "no session before the code");
            let challenge = crate::pages::set_cookie(&r, "senim_sign_in");
            (to, format!("{csrf}; {challenge}"), token)
        }
    };
    let send_code = |cookies: String, token: String, code: String| {
        let http = http.clone();
        let app = &app;
        async move {
            http.post(app.url("/login/code"))
                .header("cookie", cookies)
                .header("accept-language", "en")
                .form(&[("code", code.as_str()), ("csrf_token", &token)])
                .send()
                .await
                .unwrap()
        }
    };
    // The page that asks for the code (or enrols the app).
    let code_page = |cookies: String| {
        let http = http.clone();
        let app = &app;
        async move {
            http.get(app.url("/login/code"))
                .header("cookie", cookies)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    let (to, cookies, token) = password_step("supervisor@ministry.kz").await;
    assert_eq!(to, "/login/code");
    let page = code_page(cookies.clone()).await;
    assert!(page.contains("<svg"), "enrolment shows a QR code: {page}");
    let key = page
        .split("<code id=\"secret\" class=\"hash\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap()
        .replace(' ', "");
    let secret = totp::from_base32(&key).unwrap();
    assert_eq!(secret.len(), totp::SECRET_BYTES);
    let right = |at: i64| format!("{:06}", totp::code_at(&secret, totp::step_of(at)));
    let wrong = |at: i64| {
        format!(
            "{:06}",
            (totp::code_at(&secret, totp::step_of(at)) + 500_000) % 1_000_000
        )
    };
    // A wrong code is refused beside the field, and no session starts.
    let r = send_code(cookies.clone(), token.clone(), wrong(now())).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("is not the code your authenticator app shows now"),
        "{html}"
    );
    // The right one confirms the app and starts the session.
    let first = right(now());
    let r = send_code(cookies.clone(), token.clone(), first.clone()).await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/supervisor");
    let session = crate::pages::set_cookie(&r, "senim_session");
    let desk = http
        .get(app.url("/supervisor"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(desk.status(), 200);
    // Next time the code is asked for without enrolment; the code already
    // used is refused until the next one comes.
    let (to, cookies, token) = password_step("supervisor@ministry.kz").await;
    assert_eq!(to, "/login/code");
    let page = code_page(cookies.clone()).await;
    assert!(!page.contains("<svg"), "no second enrolment: {page}");
    let r = send_code(cookies.clone(), token.clone(), first.clone()).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("was used already"));
    app.clock.advance_seconds(30);
    let r = send_code(cookies.clone(), token.clone(), right(now())).await;
    assert_eq!(r.status(), 303);
    // Five wrong codes end the waiting sign-in: the password is asked again.
    let (_, cookies, token) = password_step("supervisor@ministry.kz").await;
    for attempt in 1..=5 {
        let r = send_code(cookies.clone(), token.clone(), wrong(now())).await;
        let expected = if attempt < 5 { 422 } else { 401 };
        assert_eq!(r.status(), expected, "attempt {attempt}");
    }
    let r = send_code(cookies.clone(), token.clone(), right(now())).await;
    assert_eq!(r.status(), 401, "the sign-in is over");
    // Over the API: the code is required, checked and taken once.
    let token_request = |code: Option<String>| {
        let mut body = serde_json::json!({"email": "supervisor@ministry.kz", "password": PASSWORD,
            "name": "laptop", "scopes": ["read"]});
        if let Some(code) = code {
            body["code"] = serde_json::json!(code);
        }
        app.http.post(app.url("/api/v1/tokens")).json(&body).send()
    };
    let (status, _, fields) =
        crate::helpers::error_fields(token_request(None).await.unwrap()).await;
    assert_eq!(status, 422);
    assert_eq!(fields[0].0, "code", "{fields:?}");
    assert!(fields[0].1.starts_with("is required"), "{fields:?}");
    app.clock.advance_seconds(30);
    let code = right(now());
    assert_eq!(
        token_request(Some(code.clone())).await.unwrap().status(),
        201
    );
    let (status, _, fields) =
        crate::helpers::error_fields(token_request(Some(code)).await.unwrap()).await;
    assert_eq!(status, 422, "{fields:?}");
    assert!(fields[0].1.starts_with("was used already"), "{fields:?}");
    // An expert, whose role requires a factor and who has none, is sent to
    // the sign-in page to enrol; the API does not start a session.
    let r = app
        .http
        .post(app.url("/api/v1/session"))
        .json(&serde_json::json!({"email": "expert@ministry.kz", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // A developer's role is not named: the password is enough.
    let (csrf, token) = crate::pages::form_token(&app, "/login").await;
    let r = http
        .post(app.url("/login"))
        .header("cookie", &csrf)
        .form(&[
            ("email", "dev@hospital.kz"),
            ("password", PASSWORD),
            ("csrf_token", &token),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_ne!(r.headers()["location"], "/login/code");
    crate::pages::set_cookie(&r, "senim_session");
    // A lost phone: the operator removes the app (`senim admin account
    // reset-second-factor`); the supervisor's sessions end with it, and the
    // next sign-in enrols a new app.
    app.store
        .execute(
            senim_store::Actor::operator(),
            senim_store::Command::RemoveSecondFactor {
                account_id: app.accounts[&Who::Supervisor],
            },
        )
        .await
        .unwrap();
    let desk = http
        .get(app.url("/supervisor"))
        .header("cookie", &session)
        .send()
        .await
        .unwrap();
    assert_ne!(desk.status(), 200, "the session ended");
    let (_, cookies, _) = password_step("supervisor@ministry.kz").await;
    let page = code_page(cookies.clone()).await;
    assert!(page.contains("<svg"), "a new enrolment: {page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authority_roles_sign_in_with_a_second_factor_on_sqlite() {
    authority_roles_sign_in_with_a_second_factor(crate::helpers::Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authority_roles_sign_in_with_a_second_factor_on_postgres() {
    authority_roles_sign_in_with_a_second_factor(crate::helpers::Backend::Postgres).await;
}

/// Someone who has a supervisor's password guesses codes over the API: a
/// waiting page allows five, but the API had no limit, so a million codes
/// could be tried. Ten wrong codes in a row now hold the account's codes
/// back for a quarter of an hour, even the right one; then it works again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessing_codes_holds_the_accounts_codes_back() {
    use senim_domain::{totp, Clock};
    let app = crate::helpers::spawn_app_with(crate::helpers::Backend::Sqlite, |config| {
        config.two_factor_roles = vec![senim_domain::Role::Supervisor];
    })
    .await;
    let secret = b"12345678901234567890";
    let supervisor = app.accounts[&Who::Supervisor];
    for command in [
        senim_store::Command::EnrolSecondFactor {
            account_id: supervisor,
            secret: totp::base32(secret),
        },
        senim_store::Command::PassSecondFactor {
            account_id: supervisor,
            step: 1,
            challenge: None,
        },
    ] {
        app.store
            .execute(senim_store::Actor::operator(), command)
            .await
            .unwrap();
    }
    let now = || app.clock.now().unix_millis().div_euclid(1000);
    let right = || format!("{:06}", totp::code_at(secret, totp::step_of(now())));
    let wrong = || {
        format!(
            "{:06}",
            (totp::code_at(secret, totp::step_of(now())) + 500_000) % 1_000_000
        )
    };
    let send = |code: String| {
        app.http
            .post(app.url("/api/v1/tokens"))
            .json(
                &serde_json::json!({"email": "supervisor@ministry.kz", "password": PASSWORD,
                "code": code, "name": "laptop", "scopes": ["read"]}),
            )
            .send()
    };
    for _ in 0..10 {
        let (status, _, fields) = crate::helpers::error_fields(send(wrong()).await.unwrap()).await;
        assert_eq!(status, 422);
        assert!(fields[0].1.starts_with("is not the code"), "{fields:?}");
    }
    let (status, _, fields) = crate::helpers::error_fields(send(right()).await.unwrap()).await;
    assert_eq!(status, 422);
    assert!(
        fields[0].1.starts_with("cannot be checked now"),
        "{fields:?}"
    );
    app.clock.advance_seconds(15 * 60 + 30);
    assert_eq!(send(right()).await.unwrap().status(), 201);
}
