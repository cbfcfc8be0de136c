//! A mixed oversight load through the HTTP API: many dossiers moving
//! through review at once. Each worker takes dossiers one after another:
//! registers a high-risk system, submits it, lets its two assigned reviewers
//! declare, check and recommend (every fourth dossier first goes through a
//! request for information and the developer's answer), and has the
//! supervisor decide. Every step is a durable, logged write with `If-Match`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context};
use serde_json::{json, Value};

use senim_client::{Client, Method};
use senim_domain::SystemInput;

use crate::percentile;

pub struct Desks {
    pub developer: Client,
    pub supervisor: Client,
    /// Reviewers by account id.
    pub reviewers: HashMap<String, Client>,
}

/// Tokens into clients, with each reviewer's account id.
pub async fn desks(
    server: &str,
    developer: String,
    supervisor: String,
    reviewers: Vec<String>,
) -> anyhow::Result<Desks> {
    let mut by_id = HashMap::new();
    for token in reviewers {
        let client = Client::new(server, Some(token))?;
        let me = client.me().await?;
        by_id.insert(me.id.to_string(), client);
    }
    Ok(Desks {
        developer: Client::new(server, Some(developer))?,
        supervisor: Client::new(server, Some(supervisor))?,
        reviewers: by_id,
    })
}

struct Timed {
    steps: Vec<Duration>,
    dossiers: u64,
}

async fn step(
    client: &Client,
    case: &Value,
    body: Value,
    timed: &mut Timed,
) -> anyhow::Result<Value> {
    let id = case["id"]
        .as_str()
        .ok_or_else(|| anyhow!("a case without id"))?;
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

async fn dossier(
    desks: &Desks,
    input: &SystemInput,
    n: u64,
    timed: &mut Timed,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let created = desks.developer.register_system(input).await?;
    timed.steps.push(started.elapsed());
    let started = Instant::now();
    let submitted = desks
        .developer
        .send::<Value, Value>(
            Method::POST,
            "/api/v1/cases",
            Some(&json!({"kind": "registration", "system_id": created.value.system.id})),
            None,
        )
        .await?;
    timed.steps.push(started.elapsed());
    let mut case = submitted.value;
    let assigned: Vec<String> = case["assignees"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a.as_str().map(str::to_string))
        .collect();
    if assigned.len() < 2 {
        return Err(anyhow!(
            "the dossier got {} reviewer(s); is the pool set up?",
            assigned.len()
        ));
    }
    for (i, reviewer) in assigned.iter().enumerate() {
        let client = desks
            .reviewers
            .get(reviewer)
            .ok_or_else(|| anyhow!("no token for reviewer {reviewer}"))?;
        case = step(
            client,
            &case,
            json!({"action": "declare", "conflict": false}),
            timed,
        )
        .await?;
        if i == 0 && n.is_multiple_of(4) {
            case = step(
                client,
                &case,
                json!({"action": "request_information",
                "questions": "Which validation data do you have?"}),
                timed,
            )
            .await?;
            case = step(
                &desks.developer,
                &case,
                json!({"action": "respond",
                "answer": "Held-out admissions of 2024."}),
                timed,
            )
            .await?;
        }
        let marks: Vec<Value> = case["registration"]["checklist"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| json!({"item": c["item"], "mark": "satisfied"}))
            .collect();
        case = step(
            client,
            &case,
            json!({"action": "check", "marks": marks}),
            timed,
        )
        .await?;
        case = step(
            client,
            &case,
            json!({"action": "recommend", "verdict": "register",
            "reasons": "Complete."}),
            timed,
        )
        .await?;
    }
    case = step(
        &desks.supervisor,
        &case,
        json!({"action": "decide", "verdict": "register",
        "reasons": "Both recommend."}),
        timed,
    )
    .await?;
    if case["state"] != "registered" {
        return Err(anyhow!("dossier ended {}", case["state"]));
    }
    timed.dossiers += 1;
    Ok(())
}

pub async fn run(
    desks: Desks,
    input: SystemInput,
    workers: usize,
    seconds: u64,
) -> anyhow::Result<()> {
    let desks = std::sync::Arc::new(desks);
    let until = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let tasks: Vec<_> = (0..workers)
        .map(|w| {
            let desks = desks.clone();
            let input = input.clone();
            tokio::spawn(async move {
                let mut timed = Timed {
                    steps: Vec::new(),
                    dossiers: 0,
                };
                let mut n = w as u64;
                while Instant::now() < until {
                    dossier(&desks, &input, n, &mut timed).await?;
                    n += workers as u64;
                }
                anyhow::Ok(timed)
            })
        })
        .collect();
    let mut steps = Vec::new();
    let mut dossiers = 0;
    for task in tasks {
        let timed = task.await??;
        steps.extend(timed.steps);
        dossiers += timed.dossiers;
    }
    let elapsed = started.elapsed().as_secs_f64();
    steps.sort();
    let report = json!({
        "mode": "workflow",
        "workers": workers,
        "seconds": elapsed,
        "dossiers_registered": dossiers,
        "dossiers_per_second": dossiers as f64 / elapsed,
        "writes": steps.len(),
        "writes_per_second": steps.len() as f64 / elapsed,
        "write_latency_ms": {
            "p50": percentile(&steps, 50.0).as_secs_f64() * 1000.0,
            "p99": percentile(&steps, 99.0).as_secs_f64() * 1000.0,
            "max": steps.last().copied().unwrap_or_default().as_secs_f64() * 1000.0,
        }
    });
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}
