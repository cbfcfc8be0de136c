//! `senim admin restore`: puts a backup in the register's place, checked
//! first, and records the rollback it causes in the log.
//!
//! SQLite: the backup directory `senim admin backup` wrote is checked as it
//! lies (its log against its newest checkpoint, and against the checkpoint
//! this register published last, kept beside the log key); only then is
//! the data directory's database moved aside (kept, for the investigation)
//! and the backup's copied in its place, with the library files it lacks.
//! PostgreSQL: the operator restores the dump with `pg_restore` first; this
//! command then checks that database in place.
//!
//! A backup whose log is behind the published checkpoint is refused unless
//! the operator accepts the rollback (`--accept-rollback=REASON`). The
//! restored register is then opened once, which records the rollback in the
//! log (`senim_store::rollback`) before anything else can be written, so the
//! next `senim serve` starts normally and announces it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context};
use clap::Args;

use senim_store::{DataDirLock, Location, Store, StoreOptions};

use crate::StoreArgs;

#[derive(Args, Debug)]
pub struct RestoreArgs {
    /// The backup directory `senim admin backup` wrote (SQLite); none for
    /// PostgreSQL, restored with `pg_restore` beforehand.
    source: Option<PathBuf>,
    /// Accept that the backup takes the log back behind the checkpoint this
    /// register published last; REASON is announced with it on the home page
    /// and in the log.
    #[arg(long, num_args = 0..=1, default_missing_value = "", value_name = "REASON")]
    accept_rollback: Option<String>,
}

/// What the checks of a database to restore found.
struct Checked {
    size: u64,
    rollback: Option<senim_store::rollback::RollbackFound>,
}

/// Opens the database `options` describe read-only and checks it as a
/// server would before it starts; refuses a log that fails its own check,
/// and a rollback the operator did not accept.
async fn check(
    options: StoreOptions,
    what: &str,
    accept: &Option<String>,
) -> anyhow::Result<Checked> {
    let store = Store::open(
        StoreOptions {
            read_only: true,
            read_connections: 1,
            ..options
        },
        Arc::new(senim_domain::SystemClock),
    )
    .await?;
    let found = store.read_only().cloned().unwrap_or_default();
    let size = store.checkpoint().await?.map_or(0, |c| c.size);
    store.close().await;
    let rollback_problem = found.rollback.as_ref().map(|r| r.problem.as_str());
    let broken: Vec<&String> = found
        .findings
        .iter()
        .filter(|f| Some(f.as_str()) != rollback_problem)
        .collect();
    if !broken.is_empty() {
        let list: Vec<&str> = broken.iter().map(|s| s.as_str()).collect();
        bail!(
            "{what} fails its check, so nothing was restored: {}",
            list.join("; ")
        );
    }
    if let (Some(rollback), None) = (&found.rollback, accept) {
        let lost = rollback
            .published_size
            .map(|p| {
                format!(
                    " ({} entries published since are lost)",
                    p.saturating_sub(size)
                )
            })
            .unwrap_or_default();
        bail!(
            "{}{lost}. Nothing was restored. If this is the restore you decided on, run again with \
             --accept-rollback=\"REASON\": the rollback is recorded in the log and announced with the reason \
             (docs/OPERATIONS.md, \"Backups and restores\")",
            rollback.problem
        );
    }
    Ok(Checked {
        size,
        rollback: found.rollback,
    })
}

pub async fn run(args: &StoreArgs, restore: RestoreArgs) -> anyhow::Result<()> {
    let config = args.config()?;
    let options = senim_app::store_options(&config)?;
    let accept = restore.accept_rollback;
    // A reason that would be refused is refused before anything is moved.
    if let Some(reason) = &accept {
        senim_store::rollback::reason(reason)?;
    }
    // Held until the restored register has been opened and the rollback
    // recorded: no server starts on the directory meanwhile.
    let _lock = match &options.location {
        Location::DataDir(dir) if restore.source.is_some() => Some(DataDirLock::take(dir, true)?),
        _ => None,
    };
    let checked = match (&options.location, restore.source) {
        (Location::Url(_), Some(source)) => bail!(
            "a PostgreSQL register is restored with pg_restore (docs/OPERATIONS.md, \"Backups and restores\"); \
             then run `senim admin --database-url ... restore` without {} to check it and record the rollback",
            source.display()
        ),
        (Location::DataDir(_), None) => {
            bail!("name the backup directory to restore (the one `senim admin backup` wrote)")
        }
        (Location::Url(_), None) => {
            check(options.clone(), "the restored database", &accept).await?
        }
        (Location::DataDir(dir), Some(source)) => {
            let dir = dir.clone();
            let backup = source.join("senim.db");
            if !backup.is_file() {
                bail!(
                    "{} holds no senim.db: name a directory `senim admin backup` wrote",
                    source.display()
                );
            }
            // The backup is checked from a copy beside the database, so
            // nothing in the backup directory is changed.
            let staged = dir.join("senim.db.restoring");
            remove_database(&staged)?;
            std::fs::copy(&backup, &staged)
                .and_then(|_| std::fs::File::open(&staged)?.sync_all())
                .with_context(|| {
                    format!("cannot copy {} to {}", backup.display(), staged.display())
                })?;
            let checked = check(
                StoreOptions {
                    location: Location::Url(format!("sqlite://{}?mode=rw", staged.display())),
                    ..options.clone()
                },
                &format!("the backup {}", source.display()),
                &accept,
            )
            .await
            .inspect_err(|_| {
                let _ = remove_database(&staged);
            })?;
            settle(&staged).await;
            let current = dir.join("senim.db");
            let aside = if current.exists() {
                let stamp = senim_domain::Clock::now(&senim_domain::SystemClock)
                    .to_rfc3339()
                    .replace(':', "-");
                let aside = dir.join(format!("senim.db.before-restore-{stamp}"));
                move_database(&current, &aside)?;
                Some(aside)
            } else {
                None
            };
            move_database(&staged, &current)?;
            sync_dir(&dir)?;
            let files = crate::admin::copy_tree(&source.join("library"), &dir.join("library"))?;
            match aside {
                Some(aside) => println!(
                    "the database that was in place is kept as {} (with its -wal and -shm files): keep it for the investigation, or delete it",
                    aside.display()
                ),
                None => println!("there was no database in {}", dir.display()),
            }
            println!(
                "restored {} into {}, with {files} library files it did not have",
                backup.display(),
                current.display()
            );
            checked
        }
    };
    // Opened once normally: migrated, checked again, and the rollback
    // recorded before anything else is written.
    let store = Store::open(
        StoreOptions {
            accept_rollback: accept.clone(),
            read_connections: 1,
            ..options
        },
        Arc::new(senim_domain::SystemClock),
    )
    .await?;
    match &checked.rollback {
        Some(rollback) => {
            let recorded = store.log_rollbacks().await?;
            let entry = recorded.last().map_or(0, |r| r.index);
            println!(
                "the log went back to {} entries{}: recorded at entry {entry} with the reason \"{}\", announced on the home page and at /api/v1/log/rollbacks",
                checked.size,
                rollback
                    .published_size
                    .map(|p| format!(" from the {p} published"))
                    .unwrap_or_default(),
                recorded.last().map_or("", |r| r.reason.as_str()),
            );
        }
        None => println!(
            "the restored log holds {} entries and is not behind the checkpoint published last",
            checked.size
        ),
    }
    store.close().await;
    println!("the register is ready: start it with `senim serve` as before");
    Ok(())
}

/// The SQLite database at `path` and its `-wal` and `-shm` companions.
fn companions(path: &Path) -> [PathBuf; 3] {
    let with = |suffix: &str| {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    };
    [path.to_path_buf(), with("-wal"), with("-shm")]
}

/// Waits (up to ten seconds) until SQLite has closed the database at
/// `path`: the last connection folds the WAL into the file and removes it,
/// on the driver's own thread, a moment after the pool says it closed.
async fn settle(path: &Path) {
    let [_, wal, shm] = companions(path);
    for _ in 0..500 {
        if !wal.exists() && !shm.exists() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Moves a database with its companions (a WAL may hold committed pages);
/// a companion that is gone meanwhile was folded in and removed.
fn move_database(from: &Path, to: &Path) -> anyhow::Result<()> {
    for (i, (a, b)) in companions(from).iter().zip(companions(to)).enumerate() {
        match std::fs::rename(a, &b) {
            Ok(()) => {}
            Err(e) if i > 0 && e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(e)
                    .with_context(|| format!("cannot move {} to {}", a.display(), b.display()))
            }
        }
    }
    Ok(())
}

fn remove_database(path: &Path) -> anyhow::Result<()> {
    for file in companions(path) {
        match std::fs::remove_file(&file) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("cannot remove {}", file.display())),
        }
    }
    Ok(())
}

/// Makes the renames in `dir` durable.
fn sync_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("cannot sync {}", dir.display()))
}
