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
