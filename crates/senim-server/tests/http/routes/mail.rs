//! Reliable mail (issue 19, finding 7: mail was best effort, with no retry):
//! notices leave through an outbox written with them, are tried again with
//! back-off while the relay refuses for now, and become dead letters that
//! an administrator can retry when it refuses for good.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use reqwest::Method;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::helpers::{system_json, Backend, TestApp, Who};

/// How the test relay answers `RCPT TO`.
#[derive(Clone, Copy)]
enum Refusal {
    /// `451`: try again later.
    ForNow,
    /// `550`: never.
    ForGood,
}

/// A local relay that refuses the first `refusals` messages to
/// dev@bank.kz at `RCPT TO` (the bank's other accounts get theirs), then
/// keeps every message (recipient and decoded text); it counts the
/// attempts to dev@bank.kz.
struct Relay {
    address: String,
    kept: Arc<Mutex<Vec<(String, String)>>>,
    attempts: Arc<AtomicUsize>,
}

async fn relay(refusals: usize, how: Refusal) -> Relay {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let kept = Arc::new(Mutex::new(Vec::new()));
    let attempts = Arc::new(AtomicUsize::new(0));
    let (k, a) = (kept.clone(), attempts.clone());
    tokio::spawn(async move {
        loop {
            let Ok((socket, _)) = listener.accept().await else {
                return;
            };
            let (kept, attempts) = (k.clone(), a.clone());
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 test relay\r\n").await.unwrap();
                let mut to = String::new();
                while let Ok(Some(line)) = lines.next_line().await {
                    let upper = line.to_ascii_uppercase();
                    let reply: &[u8] = if upper.starts_with("EHLO") {
                        b"250-relay\r\n250 8BITMIME\r\n"
                    } else if upper.starts_with("RCPT TO:") {
                        to = line[8..].trim_matches(['<', '>', ' ']).to_string();
                        let n = if to == "dev@bank.kz" {
                            attempts.fetch_add(1, Ordering::SeqCst)
                        } else {
                            usize::MAX
                        };
                        if n < refusals {
                            match how {
                                Refusal::ForNow => b"451 4.3.0 busy, try later\r\n",
                                Refusal::ForGood => b"550 5.1.1 no such mailbox\r\n",
                            }
                        } else {
                            b"250 ok\r\n"
                        }
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
                        kept.lock()
                            .unwrap()
                            .push((to.clone(), super::cases::decoded(&text)));
                        b"250 kept\r\n"
                    } else if upper == "QUIT" {
                        write.write_all(b"221 bye\r\n").await.unwrap();
                        return;
                    } else {
                        b"250 ok\r\n"
                    };
                    if write.write_all(reply).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    Relay {
        address,
        kept,
        attempts,
    }
}

/// Waits (up to five seconds) until `done` holds.
async fn until(mut done: impl FnMut() -> bool) {
    for _ in 0..250 {
        if done() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(done(), "timed out");
}

/// Names the bank as a system's operator: one notice to the bank's account.
async fn name_the_bank(app: &TestApp) {
    let mut json = system_json("Card scoring");
    json["holder_organisation_id"] = serde_json::json!(app.bank.to_string());
    let r = app
        .request(Who::Developer, Method::POST, "/api/v1/systems")
        .json(&json)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
}

async fn retries(backend: Backend) {
    let relay = relay(2, Refusal::ForNow).await;
    let address = relay.address.clone();
    let app = crate::helpers::spawn_app_with(backend, |c| {
        c.smtp = Some(address);
        c.smtp_tls = senim_app::config::SmtpTls::None;
        c.mail_retry_seconds = 60;
    })
    .await;
    name_the_bank(&app).await;
    // The first attempt is refused for now; the mail waits.
    until(|| relay.attempts.load(Ordering::SeqCst) == 1).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(
        relay.attempts.load(Ordering::SeqCst),
        1,
        "no retry before the wait"
    );
    assert_eq!(app.store.mail_waiting().await.unwrap(), 1);
    // A minute later, the second (refused again); two minutes after, the third.
    app.clock.advance_seconds(60);
    until(|| relay.attempts.load(Ordering::SeqCst) == 2).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    app.clock.advance_seconds(60);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(relay.attempts.load(Ordering::SeqCst), 2, "the wait doubled");
    app.clock.advance_seconds(60);
    let to_dev = || {
        relay
            .kept
            .lock()
            .unwrap()
            .iter()
            .filter(|(to, _)| to == "dev@bank.kz")
            .map(|(_, text)| text.clone())
            .collect::<Vec<_>>()
    };
    until(|| to_dev().len() == 1).await;
    assert!(to_dev()[0].contains("Card scoring"), "{:?}", to_dev());
    until(|| relay.attempts.load(Ordering::SeqCst) == 3).await;
    for _ in 0..50 {
        if app.store.mail_waiting().await.unwrap() == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(
        app.store.mail_waiting().await.unwrap(),
        0,
        "sent mail leaves the outbox"
    );
    assert!(app.store.dead_letters(10).await.unwrap().is_empty());
}

async fn dead_letters(backend: Backend) {
    let relay = relay(1, Refusal::ForGood).await;
    let address = relay.address.clone();
    let app = crate::helpers::spawn_app_with(backend, |c| {
        c.smtp = Some(address);
        c.smtp_tls = senim_app::config::SmtpTls::None;
    })
    .await;
    name_the_bank(&app).await;
    until(|| relay.attempts.load(Ordering::SeqCst) == 1).await;
    let mut dead = Vec::new();
    for _ in 0..100 {
        dead = app.store.dead_letters(10).await.unwrap();
        if !dead.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(dead.len(), 1, "a permanent refusal is not retried");
    assert_eq!(dead[0].address, "dev@bank.kz");
    assert!(
        dead[0]
            .last_error
            .as_deref()
            .unwrap_or("")
            .contains("no such mailbox"),
        "{dead:?}"
    );
    // The administrator sees it on their page and sends it again.
    let session = crate::pages::sign_in(&app, "admin@senim.kz").await;
    let html = crate::pages::page_as(&app, &session, "/admin", "en").await;
    assert!(html.contains("dev@bank.kz"), "{html}");
    assert!(html.contains("no such mailbox"));
    let retried = app
        .store
        .execute(
            senim_store::Actor::operator(),
            senim_store::Command::RetryMail { id: None },
        )
        .await
        .unwrap();
    assert!(matches!(retried, senim_store::Applied::Counted(1)));
    until(|| {
        relay
            .kept
            .lock()
            .unwrap()
            .iter()
            .any(|(to, _)| to == "dev@bank.kz")
    })
    .await;
}

/// The mails a relay kept for `to`, decoded.
fn kept_for(relay: &Relay, to: &str) -> Vec<String> {
    relay
        .kept
        .lock()
        .unwrap()
        .iter()
        .filter(|(t, _)| t == to)
        .map(|(_, text)| text.clone())
        .collect()
}

/// Issue 20, findings 8 and 9: a report's tracking code was shown once and
/// never mailed, and no one could choose a new password without an
/// administrator. Both are direct mails: written to the outbox with what
/// they answer, sent, and gone from it once sent.
async fn direct_mails(backend: Backend) {
    let relay = relay(0, Refusal::ForNow).await;
    let address = relay.address.clone();
    let app = crate::helpers::spawn_app_with(backend, |c| {
        c.smtp = Some(address);
        c.smtp_tls = senim_app::config::SmtpTls::None;
    })
    .await;
    // A report with an address: the code arrives by mail.
    let r = app
        .http
        .post(app.url("/api/v1/reports"))
        .json(&serde_json::json!({"type": "incident",
            "description": "The chatbot refused my claim without a reason.",
            "occurred_on": "2026-02-27",
            "contact": {"email": "aigerim@example.kz"}}))
        .send()
        .await
        .unwrap();
    let status = r.status();
    let receipt: serde_json::Value = r.json().await.unwrap();
    assert_eq!(status, 201, "{receipt}");
    let code = receipt["tracking_code"].as_str().unwrap().to_string();
    let number = receipt["number"].as_str().unwrap().to_string();
    until(|| !kept_for(&relay, "aigerim@example.kz").is_empty()).await;
    let mail = &kept_for(&relay, "aigerim@example.kz")[0];
    assert!(mail.contains(&code), "{mail}");
    assert!(mail.contains(&number), "{mail}");
    // Without `public_url` configured, a direct mail's link is its path.
    assert!(mail.contains("Open it in Senim: /report/status"), "{mail}");
    assert!(!mail.contains("inbox"), "a reporter has no inbox: {mail}");
    // Forgot the password: the same answer for an address no account has,
    // and a mail only to the account's.
    // (The anonymous form token is set once per client; it serves every form.)
    let (cookie, token) = crate::pages::form_token(&app, "/password/forgot").await;
    for email in ["nobody@example.kz", "dev@bank.kz"] {
        let r = app
            .http
            .post(app.url("/password/forgot"))
            .header("cookie", &cookie)
            .header("accept-language", "en")
            .form(&[("csrf_token", token.as_str()), ("email", email)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let html = r.text().await.unwrap();
        assert!(html.contains("Check your mail"), "{html}");
    }
    until(|| !kept_for(&relay, "dev@bank.kz").is_empty()).await;
    assert!(kept_for(&relay, "nobody@example.kz").is_empty());
    let mail = &kept_for(&relay, "dev@bank.kz")[0];
    let link = mail
        .split("Open it in Senim: /password/reset?token=")
        .nth(1)
        .unwrap_or_else(|| panic!("no link in {mail}"));
    let secret: String = link
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    assert!(secret.len() >= 40, "{secret}");
    // The secrets left the outbox with the mails.
    for _ in 0..100 {
        if app.store.mail_waiting().await.unwrap() == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(app.store.mail_waiting().await.unwrap(), 0);
    // The link sets a new password once; the old one stops working.
    let choose = |password: &'static str| {
        let app = &app;
        let secret = secret.clone();
        let (cookie, token) = (cookie.clone(), token.clone());
        async move {
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap()
                .post(app.url("/password/reset"))
                .header("cookie", &cookie)
                .header("accept-language", "en")
                .form(&[
                    ("csrf_token", token.as_str()),
                    ("token", secret.as_str()),
                    ("password", password),
                    ("password_again", password),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let r = choose("a new long enough passphrase").await;
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/login?password=changed");
    let again = choose("another long enough passphrase").await;
    assert_eq!(again.status(), 422);
    let html = again.text().await.unwrap();
    assert!(html.contains("has expired or was already used"), "{html}");
    let signed_in = |password: &'static str| {
        let app = &app;
        async move {
            app.http
                .post(app.url("/api/v1/session"))
                .json(&serde_json::json!({"email": "dev@bank.kz", "password": password}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(signed_in("a new long enough passphrase").await, 200);
    assert_eq!(signed_in(crate::helpers::PASSWORD).await, 401);
    // The change is in the log, as any change of an account.
    let (account, _) = app
        .store
        .account_by_email("dev@bank.kz")
        .await
        .unwrap()
        .unwrap();
    let events = app
        .store
        .events_of("account", &account.id.to_string())
        .await
        .unwrap();
    assert_eq!(events.last().unwrap().kind, "account.updated");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reporter_and_a_forgetful_account_are_mailed_on_sqlite() {
    direct_mails(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reporter_and_a_forgetful_account_are_mailed_on_postgres() {
    direct_mails(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_mail_is_retried_with_back_off_on_sqlite() {
    retries(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_mail_is_retried_with_back_off_on_postgres() {
    retries(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mail_refused_for_good_is_a_dead_letter_on_sqlite() {
    dead_letters(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mail_refused_for_good_is_a_dead_letter_on_postgres() {
    dead_letters(Backend::Postgres).await;
}
