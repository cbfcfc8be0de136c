//! Applications to one call through review and award, over the HTTP API
//! (issue 18's benchmark). Setup, not timed: an administrator's token
//! creates `applicants` organisations, each with a developer and a token;
//! the programme manager publishes a programme and one call big enough for
//! all of them. Timed: workers take applicants one after another; each
//! application is drafted and submitted by its developer, admitted by the
//! manager (reviewers come from the pool), declared on and scored by its two
//! reviewers, awarded by the manager and accepted by the developer: nine
//! durable, logged writes, each with `If-Match`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context};
use serde_json::{json, Value};

use senim_client::{Client, Method};

use crate::percentile;

/// A valid BIN for `n`: ten digits of `n` after a fixed prefix, and the
/// check digit (numbers without one are skipped by the caller).
fn bin(n: usize) -> Option<String> {
    senim_domain::bin::complete(&format!("7{:010}", n))
}

async fn post(client: &Client, path: &str, body: &Value) -> anyhow::Result<Value> {
    Ok(client
        .send::<Value, Value>(Method::POST, path, Some(body), None)
        .await
        .with_context(|| format!("POST {path}"))?
        .value)
}

/// The applicants' developer tokens, created through the API.
async fn applicants(admin: &Client, count: usize, workers: usize) -> anyhow::Result<Vec<String>> {
    let next = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..workers.max(1))
        .map(|_| {
            let admin = admin.clone();
            let next = next.clone();
            tokio::spawn(async move {
                let mut tokens = Vec::new();
                loop {
                    let n = next.fetch_add(1, Ordering::SeqCst);
                    if n >= count * 2 {
                        break;
                    }
                    // About one number in eleven has no check digit.
                    let Some(bin) = bin(n) else { continue };
                    let org = post(&admin, "/api/v1/organisations", &json!({
                        "name": {"en": format!("Applicant {n}")},
                        "bin": bin, "kind": "private", "size_class": "small",
                        "contacts": {"email": format!("org{n}@bench.kz")},
                    }))
                    .await?;
                    let account = post(&admin, "/api/v1/accounts", &json!({
                        "email": format!("dev{n}@bench.kz"), "display_name": format!("Developer {n}"),
                        "roles": ["developer"], "organisation_id": org["id"],
                    }))
                    .await?;
                    let id = account["id"].as_str().ok_or_else(|| anyhow!("no account id"))?;
                    let token = post(&admin, &format!("/api/v1/accounts/{id}/tokens"),
                        &json!({"name": "bench", "scopes": ["write"]}))
                    .await?;
                    tokens.push(
                        token["token"]
                            .as_str()
                            .ok_or_else(|| anyhow!("no token"))?
                            .to_string(),
                    );
                }
                anyhow::Ok(tokens)
            })
        })
        .collect();
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await??);
    }
    all.truncate(count);
    if all.len() < count {
        return Err(anyhow!("made {} applicants of {count}", all.len()));
    }
    Ok(all)
}

struct Timed {
    steps: Vec<Duration>,
    awarded: u64,
}

async fn step(
    client: &Client,
    case: &Value,
    body: Value,
    timed: &mut Timed,
) -> anyhow::Result<Value> {
    let id = case["id"]
        .as_str()
        .ok_or_else(|| anyhow!("a case without id: {case}"))?;
    let started = Instant::now();
    let answer = client
        .send::<Value, Value>(
            Method::POST,
            &format!("/api/v1/cases/{id}/steps"),
            Some(&body),
            case["revision"].as_i64(),
        )
        .await
        .with_context(|| format!("step {body}"))?;
    timed.steps.push(started.elapsed());
    Ok(answer.value)
}

struct Desks {
    manager: Client,
    reviewers: HashMap<String, Client>,
    call: String,
    until: String,
}

async fn application(
    desks: &Desks,
    developer: &Client,
    n: usize,
    timed: &mut Timed,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let draft = developer
        .send::<Value, Value>(
            Method::POST,
            &format!("/api/v1/calls/{}/applications", desks.call),
            Some(&json!({
                "title": format!("Model {n}"), "summary": "Fine-tune a model on the library's data.",
                "sectors": ["healthcare"], "requested": 100,
                "answers": [{"question": "plan", "value": "Three experiments."}],
            })),
            None,
        )
        .await
        .context("drafting")?
        .value;
    timed.steps.push(started.elapsed());
    let case = step(
        developer,
        &draft,
        json!({"action": "submit_application"}),
        timed,
    )
    .await?;
    let case = step(&desks.manager, &case, json!({"action": "admit"}), timed).await?;
    let reviewers: Vec<String> = case["application"]["reviews"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["reviewer"].as_str().map(str::to_string))
        .collect();
    if reviewers.len() < 2 {
        return Err(anyhow!(
            "the application got {} reviewer(s); is the pool set up?",
            reviewers.len()
        ));
    }
    let mut case = case;
    for reviewer in &reviewers {
        let client = desks
            .reviewers
            .get(reviewer)
            .ok_or_else(|| anyhow!("no token for reviewer {reviewer}"))?;
        case = step(
            client,
            &case,
            json!({"action": "declare_interest", "conflict": false}),
            timed,
        )
        .await?;
        case = step(
            client,
            &case,
            json!({"action": "score", "marks": [
                {"criterion": "excellence", "mark": 4, "reason": "Sound."},
                {"criterion": "impact", "mark": 4, "reason": "Useful."}
            ]}),
            timed,
        )
        .await?;
    }
    // A reviewer's answer shows only what a reviewer may read; the
    // manager's next step needs the case's revision, which it carries.
    case = step(
        &desks.manager,
        &case,
        json!({"action": "decide_application", "outcome": "award",
        "usable_until": desks.until, "reasons": "Ranked well."}),
        timed,
    )
    .await?;
    case = step(developer, &case, json!({"action": "accept_award"}), timed).await?;
    if case["state"] != "accepted" {
        return Err(anyhow!("application ended {}", case["state"]));
    }
    timed.awarded += 1;
    Ok(())
}

/// Runs the benchmark; prints a JSON report, the call's id among it.
pub async fn run(
    server: &str,
    admin: String,
    manager: String,
    reviewers: Vec<String>,
    applications: usize,
    workers: usize,
) -> anyhow::Result<()> {
    let admin = Client::new(server, Some(admin))?;
    let manager = Client::new(server, Some(manager))?;
    let mut by_id = HashMap::new();
    for token in reviewers {
        let client = Client::new(server, Some(token))?;
        by_id.insert(client.me().await?.id.to_string(), client);
    }
    let setup = Instant::now();
    let tokens = applicants(&admin, applications, workers).await?;
    let programme = post(
        &manager,
        "/api/v1/programmes",
        &json!({"kind": "compute", "title": {"en": "Benchmark compute"}}),
    )
    .await?;
    let today = time::OffsetDateTime::now_utc().date();
    let day = |d: i64| (today + time::Duration::days(d)).to_string();
    let call = post(&manager, &format!("/api/v1/programmes/{}/calls", programme["id"].as_str().unwrap_or("")), &json!({
        "title": {"en": "Benchmark call"}, "opens": day(-1), "closes": day(60),
        "budget": {"unit": "credits", "amount": 100 * applications as i64 + 1},
        "evaluation": "on_arrival", "reviewers": 2,
        "rubric": [{"id": "excellence", "title": {"en": "Excellence"}, "weight": 60, "scale": 5},
                   {"id": "impact", "title": {"en": "Impact"}, "weight": 40, "scale": 5}],
        "pass_threshold": 60,
        "questions": [{"id": "plan", "text": {"en": "Plan"}, "answer": "text", "required": true}],
        "min_usable_days": 30,
    })).await?;
    let call_id = call["id"]
        .as_str()
        .ok_or_else(|| anyhow!("no call id: {call}"))?
        .to_string();
    let setup = setup.elapsed().as_secs_f64();

    let desks = Arc::new(Desks {
        manager,
        reviewers: by_id,
        call: call_id.clone(),
        until: day(200),
    });
    let developers: Arc<Vec<Client>> = Arc::new(
        tokens
            .into_iter()
            .map(|t| Client::new(server, Some(t)))
            .collect::<Result<_, _>>()?,
    );
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let tasks: Vec<_> = (0..workers)
        .map(|_| {
            let desks = desks.clone();
            let developers = developers.clone();
            let next = next.clone();
            tokio::spawn(async move {
                let mut timed = Timed {
                    steps: Vec::new(),
                    awarded: 0,
                };
                loop {
                    let n = next.fetch_add(1, Ordering::SeqCst);
                    let Some(developer) = developers.get(n) else {
                        break;
                    };
                    application(&desks, developer, n, &mut timed).await?;
                }
                anyhow::Ok(timed)
            })
        })
        .collect();
    let mut steps = Vec::new();
    let mut awarded = 0;
    for task in tasks {
        let timed = task.await??;
        steps.extend(timed.steps);
        awarded += timed.awarded;
    }
    let elapsed = started.elapsed().as_secs_f64();
    steps.sort();
    let report = json!({
        "mode": "programmes",
        "workers": workers,
        "setup_seconds": setup,
        "call_id": call_id,
        "applications_awarded": awarded,
        "seconds": elapsed,
        "logged_steps": steps.len(),
        "logged_steps_per_second": steps.len() as f64 / elapsed,
        "step_latency_ms": {
            "p50": percentile(&steps, 50.0).as_secs_f64() * 1000.0,
            "p99": percentile(&steps, 99.0).as_secs_f64() * 1000.0,
            "max": steps.last().copied().unwrap_or_default().as_secs_f64() * 1000.0,
        }
    });
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}
