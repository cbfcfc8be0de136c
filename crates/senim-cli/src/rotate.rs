//! `senim admin rotate-log-key`: replacing the key that signs the audit
//! log's checkpoints (docs/OPERATIONS.md, "Rotating the log key").
//!
//! The order makes a crash harmless (see `senim_store::rotation`): the new
//! key is written beside the key file first (`<file>.next`), then the
//! rotation commits (its entry and the checkpoint both keys sign), then the
//! old key is kept as `<file>.retired-<date>-<id>` and the new one takes the
//! file's place. Interrupted before the commit, nothing changed; after it,
//! the next start of the server (or of this command) finishes the swap.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{anyhow, bail, Context};
use clap::Args;

use senim_store::rotation::{install_staged_key, stage_key, KeyRotation, LostKey, RotationReason};
use senim_store::{Store, StoreOptions};
use senim_tlog::{NoteSigner, NoteVerifier};

use crate::StoreArgs;

#[derive(Args, Debug)]
pub struct RotateArgs {
    /// The new key, as `PRIVATE+KEY+name+id+...` named like the log
    /// [default: a new random key]. It is copied; keep the file safe or delete it.
    #[arg(long)]
    new_key: Option<PathBuf>,
    /// Why the key is replaced: `planned`, or `compromised` when others may
    /// know it (it still co-signs; tell verifiers to confirm the new key).
    #[arg(long, default_value = "planned", value_parser = parse_reason)]
    reason: RotationReason,
    /// The old key is lost: the new key signs the rotation alone, and
    /// verifiers must obtain it from the authority out of band.
    #[arg(long, conflicts_with = "reason")]
    old_key_lost: bool,
    /// With --old-key-lost: the lost key's verifier key, as published
    /// (`senim log key` printed it), to check the newest checkpoint with
    /// and to record in the rotation.
    #[arg(long, requires = "old_key_lost")]
    old_vkey: Option<String>,
}

fn parse_reason(text: &str) -> Result<RotationReason, String> {
    match text.parse::<RotationReason>()? {
        RotationReason::Lost => Err("a lost key is rotated with --old-key-lost".into()),
        reason => Ok(reason),
    }
}

fn today() -> String {
    use senim_domain::Clock;
    let now = senim_domain::SystemClock.now().to_rfc3339();
    now.get(..10).unwrap_or("undated").to_string()
}

/// The new key from `--new-key`, or a new one named `origin`.
fn new_key(path: Option<&PathBuf>, origin: &str) -> anyhow::Result<NoteSigner> {
    match path {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("--new-key: cannot read {}", path.display()))?;
            NoteSigner::parse(&text).map_err(|e| {
                anyhow!(
                    "--new-key: {} does not hold a private note key: {e}",
                    path.display()
                )
            })
        }
        None => Ok(senim_store::log::generate_key(origin)?),
    }
}

pub async fn run(store_args: &StoreArgs, args: RotateArgs) -> anyhow::Result<()> {
    let config = store_args.config()?;
    let key_file = config
        .log_key_file
        .clone()
        .unwrap_or_else(|| config.data_dir.join("log.key"));
    let (store, new, reason, lost_key) = if args.old_key_lost {
        if key_file.exists() {
            bail!(
                "{} exists: with --old-key-lost, move it aside first (if it holds the log's key, the key is not lost: rotate without --old-key-lost). Nothing was changed",
                key_file.display()
            );
        }
        let lost_key = args
            .old_vkey
            .as_deref()
            .map(|k| NoteVerifier::parse(k).map_err(|e| anyhow!("--old-vkey: {e}")))
            .transpose()?;
        let origin = lost_key
            .as_ref()
            .map_or(config.log_origin.clone(), |k| k.name().to_string());
        let new = new_key(args.new_key.as_ref(), &origin)?;
        // `senim_app::store_options` would create a key in the missing
        // file: the options are built here, with the new key and the lost
        // one named.
        let mut published = key_file.clone().into_os_string();
        published.push(".published");
        let options = StoreOptions {
            read_connections: 2,
            log_key: Some(Arc::new(NoteSigner::parse(&new.private_key())?)),
            log_key_file: Some(key_file.clone()),
            log_origin: config.log_origin.clone(),
            log_tile_cache: config.log_tile_cache,
            published_checkpoint: Some(published.into()),
            lost_log_key: Some(LostKey {
                verifier: lost_key.clone(),
            }),
            ..StoreOptions::new(senim_app::location(&config))
        };
        let store = Store::open(options, Arc::new(senim_domain::SystemClock))
            .await
            .map_err(|e| match &lost_key {
                Some(_) => anyhow!(e).context(
                    "--old-vkey: the register's newest checkpoint was checked with this key",
                ),
                None => anyhow!(e),
            })?;
        (store, new, RotationReason::Lost, lost_key)
    } else {
        if !key_file.exists() {
            bail!(
                "the log key file {} does not exist: if the key is lost, rotate with --old-key-lost. Nothing was changed",
                key_file.display()
            );
        }
        let options = StoreOptions {
            read_connections: 2,
            ..senim_app::store_options(&config)?
        };
        let store = Store::open(options, Arc::new(senim_domain::SystemClock)).await?;
        let origin = store.log_signer().name().to_string();
        let new = new_key(args.new_key.as_ref(), &origin)?;
        (store, new, args.reason, None)
    };
    let old = store.log_signer();
    stage_key(&key_file, &new)?;
    let rotation = KeyRotation {
        new_key: Arc::new(NoteSigner::parse(&new.private_key())?),
        reason,
        lost_key,
    };
    let done = match store.rotate_log_key(rotation).await {
        Ok(done) => done,
        Err(e) => {
            // Nothing committed: the staged key signed nothing.
            let _ = std::fs::remove_file(senim_store::rotation::staged_key_path(&key_file));
            store.close().await;
            return Err(anyhow!(e).context(
                "the log's key was not rotated; nothing was changed and the old key still signs the log",
            ));
        }
    };
    let retired = install_staged_key(&key_file, &new, &today())?;
    store.close().await;

    println!(
        "rotated the audit log's key at entry {}: the checkpoint of size {} is signed by {}",
        done.index,
        done.checkpoint.size,
        if reason == RotationReason::Lost {
            "the new key alone (the old key was lost)"
        } else {
            "the new key and the old one"
        }
    );
    println!("  new verifier key: {}", new.verifier_key());
    if reason != RotationReason::Lost {
        println!("  old verifier key: {}", old.verifier_key());
    }
    println!("  the new key is in {}", key_file.display());
    if let Some(retired) = retired {
        println!(
            "  the old key was kept in {}: take it off this machine and keep it offline, or destroy it",
            retired.display()
        );
    }
    println!("next: give every server the new key file, start them, publish the new verifier key");
    match reason {
        RotationReason::Planned => println!(
            "  verifiers who trust the old key follow the rotation by themselves (senim verify)"
        ),
        RotationReason::Compromised => println!(
            "  announce the new key out of band too: whoever has the old key could also have co-signed a rotation"
        ),
        RotationReason::Lost => println!(
            "  verifiers cannot follow from the old key: announce the new key out of band (senim verify --vkey NEW_KEY)"
        ),
    }
    Ok(())
}
