//! Audit log load: durable appends through the store's writer, and filling
//! a log with millions of entries for the proof, tile and verification
//! benchmarks.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::anyhow;
use futures::StreamExt;
use sqlx::Connection;

use senim_store::{Actor, Command, Location, Store, StoreOptions};

fn open_options(data_dir: PathBuf, max_batch: usize) -> StoreOptions {
    StoreOptions {
        max_batch,
        ..StoreOptions::new(Location::DataDir(data_dir))
    }
}

/// A valid BIN for the `n`th benchmark organisation.
fn bin(n: u64) -> Option<String> {
    senim_domain::bin::complete(&format!("9{n:010}"))
}

fn organisation(n: u64) -> anyhow::Result<Option<Command>> {
    let Some(bin) = bin(n) else { return Ok(None) };
    let input: senim_domain::OrganisationInput = serde_json::from_value(serde_json::json!({
        "name": {"en": format!("Appender {n}"), "ru": format!("Организация {n}")},
        "bin": bin, "kind": "private", "size_class": "small",
        "contacts": {"email": "office@example.kz", "contact_person": "A. Person"}
    }))?;
    Ok(Some(Command::CreateOrganisation(input.parse()?)))
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

/// Registers organisations from `concurrency` callers for `seconds`: every
/// one a real register change whose event is sequenced, hashed into the
/// tree and covered by a signed checkpoint before it is acknowledged.
pub async fn appends(
    data_dir: PathBuf,
    seconds: u64,
    concurrency: usize,
    max_batch: usize,
) -> anyhow::Result<()> {
    let store = Store::open(
        open_options(data_dir, max_batch),
        Arc::new(senim_domain::SystemClock),
    )
    .await?;
    let size_before = store.checkpoint().await?.map(|c| c.size).unwrap_or(0);
    let until = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut latencies = Vec::new();
    let mut pending = futures::stream::FuturesUnordered::new();
    let mut n = 0u64;
    let mut batches = std::collections::BTreeSet::new();
    loop {
        while pending.len() < concurrency && Instant::now() < until {
            n += 1;
            let Some(command) = organisation(n)? else {
                continue;
            };
            let store = store.clone();
            pending.push(async move {
                let t = Instant::now();
                let committed = store.execute_logged(Actor::operator(), command).await;
                (t.elapsed(), committed)
            });
        }
        match pending.next().await {
            Some((latency, committed)) => {
                let committed = committed?;
                let position = committed
                    .log
                    .ok_or_else(|| anyhow!("a change without a log position"))?;
                batches.insert(position.size);
                latencies.push(latency);
            }
            None => break,
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let size_after = store.checkpoint().await?.map(|c| c.size).unwrap_or(0);
    latencies.sort();
    let appended = size_after - size_before;
    let report = serde_json::json!({
        "mode": "log-appends",
        "concurrency": concurrency,
        "seconds": elapsed,
        "entries_appended": appended,
        "entries_per_second": appended as f64 / elapsed,
        "signed_checkpoints": batches.len(),
        "mean_batch": appended as f64 / batches.len().max(1) as f64,
        "latency_ms": {
            "p50": percentile(&latencies, 50.0),
            "p99": percentile(&latencies, 99.0),
        },
        "log_size": size_after,
    });
    println!("{}", serde_json::to_string_pretty(&report)?);
    store.close().await;
    Ok(())
}

/// Fills the log to `entries`: events are written in bulk, `chunk` at a
/// time, and each chunk is sequenced by the store's own writer (the path
/// that also takes in events written before the log existed), one signed
/// checkpoint per chunk. Entries look like `system.reclassified` events, the
/// most numerous kind: a pack publication writes one per system.
pub async fn fill(data_dir: PathBuf, entries: u64, chunk: u64) -> anyhow::Result<()> {
    let store = Store::open(
        open_options(data_dir.clone(), 16),
        Arc::new(senim_domain::SystemClock),
    )
    .await?;
    let url = format!("sqlite://{}", data_dir.join("senim.db").display());
    let mut db = sqlx::SqliteConnection::connect(&url).await?;
    sqlx::query("PRAGMA synchronous=NORMAL")
        .execute(&mut db)
        .await?;
    let started = Instant::now();
    let mut size = store.checkpoint().await?.map(|c| c.size).unwrap_or(0);
    while size < entries {
        let count = chunk.min(entries - size);
        let mut tx = db.begin().await?;
        for i in 0..count {
            let n = size + i;
            let system = uuid::Uuid::now_v7().to_string();
            let entry = serde_json::json!({
                "time": "2026-11-27T08:00:00.000Z",
                "kind": "system.reclassified",
                "subject": {"type": "system", "id": system},
                "actor": {"roles": ["administrator"], "organisation_id": null},
                "payload": {
                    "pack": {"id": "kz-seed-2025", "version": "1.1.0"},
                    "change": {"system_id": system, "version": 1 + n % 7,
                               "from": "limited", "to": "high",
                               "rules": ["health-decision-support", "severe-failure-impact"]}
                },
            });
            sqlx::query(
                "INSERT INTO events (id, time, kind, subject_type, subject_id, actor, payload, entry, salt) \
                 VALUES ($1, $2, 'system.reclassified', 'system', $3, '{}', '{}', $4, '')",
            )
            .bind(uuid::Uuid::now_v7().to_string())
            .bind("2026-11-27T08:00:00.000Z")
            .bind(system)
            .bind(entry.to_string())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        // Any command runs a batch, and every batch sequences what is waiting.
        store
            .execute(
                Actor::operator(),
                Command::DeleteSession {
                    token_hash: String::new(),
                },
            )
            .await?;
        size = store.checkpoint().await?.map(|c| c.size).unwrap_or(0);
        eprintln!(
            "{size} entries, {:.0} s, {:.0} entries/s",
            started.elapsed().as_secs_f64(),
            size as f64 / started.elapsed().as_secs_f64()
        );
    }
    println!(
        "{size} entries in the log after {:.1} s",
        started.elapsed().as_secs_f64()
    );
    store.close().await;
    Ok(())
}
