//! A load generator for what `wrk` cannot do: durable writes that must carry
//! the right `If-Match`. Each worker owns one system and adds version after
//! version to it through the HTTP API, as a developer's tool would; the
//! server acknowledges a write only after its commit reached the disk.
//!
//!     senim-loadgen versions --server http://127.0.0.1:8080 --token senim_... \
//!         --workers 64 --seconds 10

mod library;
mod log;
mod programmes;
mod workflow;

use std::time::{Duration, Instant};

use anyhow::{anyhow, Context};
use clap::{Parser, Subcommand};

use senim_client::{Client, ClientError};
use senim_domain::{SystemInput, VersionInput};

#[derive(Parser)]
#[command(about = "Load generator for Senim's write path")]
struct Cli {
    #[command(subcommand)]
    command: Mode,
}

#[derive(Subcommand)]
enum Mode {
    /// Fill a data directory with many registered systems (directly through
    /// the store, as the server would), for the re-classification benchmark.
    Populate {
        #[arg(long)]
        data_dir: std::path::PathBuf,
        #[arg(long, default_value_t = 100_000)]
        systems: usize,
        /// Case files whose profiles are cycled through.
        #[arg(long, default_value = "rulepacks/cases")]
        cases: std::path::PathBuf,
    },
    /// Fill a data directory with many library datasets (directly through
    /// the store), for the search benchmark.
    Datasets {
        #[arg(long)]
        data_dir: std::path::PathBuf,
        #[arg(long, default_value_t = 100_000)]
        count: usize,
        #[arg(long, default_value_t = 50)]
        organisations: usize,
    },
    /// Durable audit log appends through the store's writer (no HTTP): real
    /// register changes from many concurrent callers, for a fixed time.
    LogAppends {
        #[arg(long)]
        data_dir: std::path::PathBuf,
        #[arg(long, default_value_t = 30)]
        seconds: u64,
        #[arg(long, default_value_t = 1024)]
        concurrency: usize,
        /// Commands per transaction, at most (the server's default is 256).
        #[arg(long, default_value_t = 256)]
        max_batch: usize,
    },
    /// Fill the audit log to a number of entries, for the read benchmarks.
    LogFill {
        #[arg(long)]
        data_dir: std::path::PathBuf,
        #[arg(long, default_value_t = 10_000_000)]
        entries: u64,
        #[arg(long, default_value_t = 100_000)]
        chunk: u64,
    },
    /// Many dossiers through expert review at once: register, submit,
    /// declare, check, (ask and answer), recommend, decide; for a fixed time.
    Workflow {
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        server: String,
        /// The owner's developer token (write scope).
        #[arg(long)]
        developer: String,
        /// A supervisor's token (write scope).
        #[arg(long)]
        supervisor: String,
        /// Every expert reviewer's token in the pool (write scope), comma-separated.
        #[arg(long, value_delimiter = ',')]
        reviewers: Vec<String>,
        #[arg(long, default_value_t = 16)]
        workers: usize,
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        /// A high-risk system description.
        #[arg(long, default_value = "bench/triage.toml")]
        file: std::path::PathBuf,
    },
    /// Applications to one call through review and award: `applications`
    /// organisations apply (made first, not timed), each application takes
    /// nine logged steps.
    Programmes {
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        server: String,
        /// An administrator's token (admin scope), to make the applicants.
        #[arg(long)]
        admin: String,
        /// A programme manager's token (write scope).
        #[arg(long)]
        manager: String,
        /// Every expert reviewer's token in the pool (write scope), comma-separated.
        #[arg(long, value_delimiter = ',')]
        reviewers: Vec<String>,
        #[arg(long, default_value_t = 10_000)]
        applications: usize,
        #[arg(long, default_value_t = 32)]
        workers: usize,
    },
    /// Add versions to systems, one system per worker, for a fixed time.
    Versions {
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        server: String,
        /// A developer's API token with the write scope.
        #[arg(long, env = "SENIM_TOKEN")]
        token: String,
        #[arg(long, default_value_t = 64)]
        workers: usize,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// The system description to register and re-submit.
        #[arg(long, default_value = "examples/system.toml")]
        file: std::path::PathBuf,
    },
}

pub(crate) fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

async fn worker(
    client: Client,
    input: SystemInput,
    until: Instant,
) -> anyhow::Result<(Vec<Duration>, u64)> {
    let created = client.register_system(&input).await?;
    let id = created.value.system.id.to_string();
    let mut current = created.etag.ok_or_else(|| anyhow!("no ETag"))?;
    let version = VersionInput::from(input);
    let mut latencies = Vec::new();
    let mut conflicts = 0;
    while Instant::now() < until {
        let started = Instant::now();
        match client.add_version(&id, current, &version).await {
            Ok(tagged) => {
                latencies.push(started.elapsed());
                current = tagged.etag.unwrap_or(current + 1);
            }
            Err(ClientError::Api {
                status: 409,
                current: Some(now),
                ..
            }) => {
                conflicts += 1;
                current = now.parse().unwrap_or(current);
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok((latencies, conflicts))
}

async fn populate(
    data_dir: std::path::PathBuf,
    count: usize,
    cases: std::path::PathBuf,
) -> anyhow::Result<()> {
    use senim_store::{Actor, Applied, Command, Location, Store, StoreOptions};
    let store = Store::open(
        StoreOptions::new(Location::DataDir(data_dir)),
        std::sync::Arc::new(senim_domain::SystemClock),
    )
    .await?;
    let book = senim_app::load_rules(&store, senim_rules::DEFAULT_PACK).await?;
    let pack = book.in_force().clone();
    let mut profiles = Vec::new();
    for entry in std::fs::read_dir(&cases)? {
        let text = std::fs::read_to_string(entry?.path())?;
        let table: toml::Table = toml::from_str(&text)?;
        let profile: senim_domain::Profile = table["profile"].clone().try_into()?;
        profiles.push(profile.parse_alone()?);
    }
    if profiles.is_empty() {
        return Err(anyhow!("no case profiles in {}", cases.display()));
    }
    let org: senim_domain::OrganisationInput = serde_json::from_value(serde_json::json!({
        "name": {"en": "Benchmark Holding"}, "bin": "940540000131", "kind": "private", "size_class": "large"
    }))?;
    let owner = match store
        .execute(Actor::operator(), Command::CreateOrganisation(org.parse()?))
        .await?
    {
        Applied::Organisation(o) => o.id,
        _ => return Err(anyhow!("unexpected answer")),
    };
    let calendar = senim_app::Config::default().calendar;
    let started = Instant::now();
    let docs = senim_domain::Documentation {
        purpose: Some("Benchmark system.".into()),
        limitations: Some("None known.".into()),
        ..Default::default()
    };
    let mut pending = futures::stream::FuturesUnordered::new();
    use futures::StreamExt;
    for i in 0..count {
        let profile = profiles[i % profiles.len()].clone();
        let version = senim_domain::system::ValidVersion {
            holder_organisation_id: None,
            name: senim_domain::LocalizedText {
                en: Some(format!("Benchmark system {i}")),
                ..Default::default()
            },
            profile,
            documentation: docs.clone(),
            translations: Default::default(),
            visibility: Default::default(),
            change_note: None,
            datasets: Vec::new(),
        };
        let outcome = pack.classify(&version.profile);
        let gaps = pack.gaps(&outcome, &version.documentation);
        let assessment = senim_domain::classification::Assessment { outcome, gaps };
        let store = store.clone();
        let (pack, calendar) = (pack.clone(), calendar.clone());
        pending.push(async move {
            let Applied::System { system, version } = store
                .execute(
                    Actor::operator(),
                    Command::CreateSystem {
                        owner,
                        version,
                        assessment: Some(assessment),
                    },
                )
                .await?
            else {
                return Err(anyhow!("unexpected answer"));
            };
            // Submitted for registration, as the register's systems are
            // (a draft is its organisation's own, not in the public
            // register); a prohibited one cannot be, and stays a draft.
            let (path, _) = senim_app::cases::review_path(&pack, &version);
            let ctx = senim_domain::registration::Context {
                now: store.clock().now(),
                calendar: &calendar,
                actor: senim_domain::AccountId(uuid::Uuid::nil()),
                supervisor: false,
                system: &system,
                path: &path,
                pool: &[],
            };
            let Ok(stepped) =
                senim_domain::registration::submit(&ctx, senim_domain::CaseId::generate())
            else {
                return Ok(());
            };
            let write = senim_store::CaseWrite {
                system_status: stepped.system_status.map(|s| (system.status, s)),
                system_version: Some(system.current_version),
                case: stepped.case,
                expected_revision: None,
                event: stepped.event,
                step: serde_json::json!({ "action": "submit" }),
                assign_registry_number: stepped.assign_registry_number,
                notices: stepped.notices,
                opened: stepped.opened,
                mail: None,
            };
            store
                .execute(Actor::operator(), Command::SaveCase(Box::new(write)))
                .await?;
            Ok(())
        });
        if pending.len() >= 512 {
            if let Some(r) = pending.next().await {
                r?;
            }
        }
    }
    while let Some(r) = pending.next().await {
        r?;
    }
    println!(
        "{count} systems registered in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    store.close().await;
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (server, token, workers, seconds, file) = match Cli::parse().command {
        Mode::Populate {
            data_dir,
            systems,
            cases,
        } => return populate(data_dir, systems, cases).await,
        Mode::Datasets {
            data_dir,
            count,
            organisations,
        } => return library::populate(data_dir, count, organisations).await,
        Mode::LogAppends {
            data_dir,
            seconds,
            concurrency,
            max_batch,
        } => return log::appends(data_dir, seconds, concurrency, max_batch).await,
        Mode::LogFill {
            data_dir,
            entries,
            chunk,
        } => return log::fill(data_dir, entries, chunk).await,
        Mode::Workflow {
            server,
            developer,
            supervisor,
            reviewers,
            workers,
            seconds,
            file,
        } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            let input: SystemInput = toml::from_str(&text)?;
            let desks = workflow::desks(&server, developer, supervisor, reviewers).await?;
            return workflow::run(desks, input, workers, seconds).await;
        }
        Mode::Programmes {
            server,
            admin,
            manager,
            reviewers,
            applications,
            workers,
        } => {
            return programmes::run(&server, admin, manager, reviewers, applications, workers)
                .await;
        }
        Mode::Versions {
            server,
            token,
            workers,
            seconds,
            file,
        } => (server, token, workers, seconds, file),
    };
    let text =
        std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
    let input: SystemInput = toml::from_str(&text)?;
    let client = Client::new(&server, Some(token))?;
    let until = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let tasks: Vec<_> = (0..workers)
        .map(|_| tokio::spawn(worker(client.clone(), input.clone(), until)))
        .collect();
    let mut latencies = Vec::new();
    let mut conflicts = 0;
    for task in tasks {
        let (l, c) = task.await??;
        latencies.extend(l);
        conflicts += c;
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let report = serde_json::json!({
        "mode": "versions",
        "workers": workers,
        "seconds": elapsed,
        "versions_written": latencies.len(),
        "versions_per_second": latencies.len() as f64 / elapsed,
        "conflicts": conflicts,
        "latency_ms": {
            "p50": percentile(&latencies, 50.0).as_secs_f64() * 1000.0,
            "p99": percentile(&latencies, 99.0).as_secs_f64() * 1000.0,
            "max": latencies.last().copied().unwrap_or_default().as_secs_f64() * 1000.0,
        }
    });
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}
