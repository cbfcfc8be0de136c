//! `senim verify` and `senim log`: checking the public audit log from the
//! outside, and the operator's view of its key.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context};
use base64::Engine;
use clap::{Args, Subcommand};

use senim_client::verify::{open_checkpoint, verify_log, verify_receipt, Trusted, VerifyError};
use senim_client::Client;
use senim_domain::api::Receipt;
use senim_tlog::rotation::RotationError;
use senim_tlog::NoteVerifier;

use crate::StoreArgs;

#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// The server whose log to verify.
    #[arg(long, env = "SENIM_SERVER", default_value = "http://127.0.0.1:8080")]
    server: String,
    /// The log's verifier key (`name+id+base64`) you trust. Rotations of the
    /// log's key since are followed from it. Without it, the key kept from
    /// the last verification is used; on the very first run, the key the
    /// server gives, which you should compare with the one it publishes.
    #[arg(long, env = "SENIM_LOG_VKEY")]
    vkey: Option<String>,
    /// Where the last verified checkpoint is kept
    /// [default: ~/.local/state/senim/verify/SERVER.json].
    #[arg(long)]
    state: Option<PathBuf>,
    /// Check one receipt offline instead (needs --vkey).
    #[arg(long, conflicts_with = "state")]
    receipt: Option<PathBuf>,
    /// Check a document downloaded from the register (a PDF: a
    /// registration certificate) offline: the log's receipt it carries,
    /// and that the entry bears out what it states (needs --vkey).
    #[arg(long, conflicts_with_all = ["state", "receipt"])]
    document: Option<PathBuf>,
    /// A trust policy (C2SP tlog-policy: the witnesses and the quorum of
    /// their cosignatures a checkpoint needs): the checkpoint verified, or
    /// the receipt's, is refused unless it meets it.
    #[arg(long)]
    witness_policy: Option<PathBuf>,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 16)]
    parallel: usize,
}

/// Checks `note` (a checkpoint with its signatures) against the trust
/// policy in `path`, if one is given: the witnesses whose cosignatures
/// verify, or why the policy's quorum is not met.
fn witnessed(path: Option<&Path>, note: &str) -> anyhow::Result<Option<Vec<String>>> {
    let Some(path) = path else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(path).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    let policy =
        senim_tlog::policy::Policy::parse(&text).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    let names = policy
        .check(note)
        .map_err(|e| anyhow!("--witness-policy {}: {e}", path.display()))?;
    Ok(Some(names))
}

/// The line that says who witnessed a checkpoint, for a policy met.
fn witnessed_line(names: &Option<Vec<String>>) -> String {
    match names {
        None => String::new(),
        Some(names) if names.is_empty() => {
            "\n  the trust policy asks for no cosignature".to_string()
        }
        Some(names) => format!(
            "\n  witnessed by {} (the trust policy's quorum is met)",
            names.join(", ")
        ),
    }
}

/// What the verifier remembers between runs.
#[derive(serde::Serialize, serde::Deserialize)]
struct State {
    /// The key that signed `checkpoint`: the one trusted, or the one its
    /// rotations led to.
    vkey: String,
    size: u64,
    root: String,
    checkpoint: String,
}

fn default_state_path(server: &str) -> anyhow::Result<PathBuf> {
    let base = match std::env::var_os("XDG_STATE_HOME") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(
            std::env::var_os("HOME")
                .ok_or_else(|| anyhow!("set --state: no HOME to keep it in"))?,
        )
        .join(".local/state"),
    };
    let name: String = server
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    Ok(base.join("senim/verify").join(format!("{name}.json")))
}

fn read_state(path: &Path) -> anyhow::Result<Option<State>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(serde_json::from_str(&text).with_context(|| {
            format!("the verifier's state {} is not readable", path.display())
        })?)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(anyhow!("cannot read {}: {e}", path.display())),
    }
}

fn write_state(path: &Path, state: &State) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    // Write then rename: a crash leaves the old state or the new, never half.
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(state)?)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

pub async fn verify(args: VerifyArgs) -> anyhow::Result<()> {
    let policy = args.witness_policy.as_deref();
    if let Some(path) = &args.document {
        return verify_document(path, args.vkey.as_deref(), policy);
    }
    if let Some(path) = &args.receipt {
        let vkey = args.vkey.as_deref().ok_or_else(|| {
            anyhow!("--receipt needs --vkey: the key the log's checkpoints are signed with")
        })?;
        let verifier = NoteVerifier::parse(vkey).map_err(|e| anyhow!("--vkey: {e}"))?;
        let receipt: Receipt = crate::read_document(path)?;
        let checkpoint = verify_receipt(&receipt, &verifier)?;
        let names = witnessed(policy, &receipt.checkpoint)?;
        println!(
            "receipt verified: entry {} is in the log {} of {} entries{}{}",
            receipt.index,
            checkpoint.origin,
            checkpoint.size,
            if receipt.entry.is_some() {
                ", and its entry matches"
            } else {
                " (the receipt has no entry to compare)"
            },
            witnessed_line(&names)
        );
        return Ok(());
    }
    let client = Client::new(&args.server, None)?;
    let state_path = match &args.state {
        Some(p) => p.clone(),
        None => default_state_path(&args.server)?,
    };
    let previous = read_state(&state_path)?;
    let vkey = match (&args.vkey, &previous) {
        (Some(k), _) => k.clone(),
        (None, Some(state)) => {
            eprintln!(
                "note: using the key kept in {} from the last verification: {}",
                state_path.display(),
                state.vkey
            );
            state.vkey.clone()
        }
        (None, None) => {
            let key = client
                .get_bytes("/log/key")
                .await?
                .ok_or_else(|| anyhow!("the server does not publish a log key; pass --vkey"))?;
            let key = String::from_utf8_lossy(&key).trim().to_string();
            eprintln!(
                "note: trusting the key the server gives on first use: {key}\n      compare it with the key the authority publishes, or pass --vkey"
            );
            key
        }
    };
    let verifier = NoteVerifier::parse(&vkey).map_err(|e| anyhow!("--vkey: {e}"))?;
    let trusted = match &previous {
        Some(state) => {
            // The stored checkpoint must itself verify, with the key it was
            // kept under: a state file is not trusted blindly.
            let kept = NoteVerifier::parse(&state.vkey)
                .map_err(|e| anyhow!("the key kept in {}: {e}", state_path.display()))?;
            let cp = open_checkpoint(&state.checkpoint, &kept)
                .with_context(|| format!("the checkpoint kept in {}", state_path.display()))?;
            if state.vkey != vkey {
                eprintln!(
                    "note: {} was kept under the key {}; the log must still extend its {} entries",
                    state_path.display(),
                    state.vkey,
                    cp.size
                );
            }
            Some(Trusted {
                size: cp.size,
                root: cp.root,
            })
        }
        None => None,
    };
    let verified = match verify_log(&client, &verifier, trusted.as_ref(), args.parallel).await {
        Ok(verified) => verified,
        Err(VerifyError::Rotation(e @ RotationError::LostKey { .. })) => {
            return Err(anyhow!(
                "{e}. Once you have it, run again with --vkey NEW_KEY"
            ))
        }
        Err(e) => return Err(e.into()),
    };
    let cp = &verified.checkpoint;
    let root = base64::engine::general_purpose::STANDARD.encode(cp.root);
    // A policy not met keeps nothing: the next run starts from the
    // checkpoint verified before.
    let names = witnessed(policy, &verified.note)?;
    write_state(
        &state_path,
        &State {
            vkey: verified.key.verifier_key(),
            size: cp.size,
            root: root.clone(),
            checkpoint: verified.note.clone(),
        },
    )?;
    for rotation in &verified.rotations {
        let s = &rotation.statement;
        println!(
            "followed the rotation of the log's key at entry {} ({}, {}): checkpoint {} is signed by {} and by the key before it",
            s.index,
            s.reason,
            s.time,
            rotation.checkpoint.size,
            s.new_key.verifier_key()
        );
        if s.reason == "compromised" {
            eprintln!(
                "warning: the key before entry {} was reported compromised, so its signature proves little: \
                 confirm the new key {} with the authority, out of band",
                s.index,
                s.new_key.verifier_key()
            );
        }
    }
    println!(
        "verified the log {}: {} entries, root {root}{}",
        cp.origin,
        cp.size,
        witnessed_line(&names)
    );
    if !verified.rotations.is_empty() {
        println!(
            "  signed by the log's current key {} (kept for next time)",
            verified.key.verifier_key()
        );
    }
    match trusted {
        Some(t) => println!("  consistent with the {} entries verified before", t.size),
        None => println!("  first verification; kept in {}", state_path.display()),
    }
    Ok(())
}

#[derive(Args, Debug)]
pub struct LogArgs {
    #[command(subcommand)]
    command: LogCommand,
}

#[derive(Subcommand, Debug)]
enum LogCommand {
    /// Print the verifier key of this installation's log (creating the key
    /// if there is none yet): publish it so anyone can verify.
    Key(StoreArgs),
}

pub fn log(args: LogArgs) -> anyhow::Result<()> {
    match args.command {
        LogCommand::Key(store) => {
            let config = store.config()?;
            let key_file = config
                .log_key_file
                .clone()
                .unwrap_or_else(|| config.data_dir.join("log.key"));
            let signer = senim_store::log::load_or_create_key(&key_file, &config.log_origin)?;
            let staged = senim_store::rotation::staged_key_path(&key_file);
            if staged.exists() {
                eprintln!(
                    "note: {} holds a key from a rotation that has not finished: the next start of the server installs it if the rotation committed",
                    staged.display()
                );
            }
            println!("{}", signer.verifier_key());
            Ok(())
        }
    }
}

/// Saves a write's receipt, with its entry, where `--receipt` says.
pub async fn save_receipt(
    client: &Client,
    receipt: Option<Receipt>,
    path: &Path,
) -> anyhow::Result<()> {
    let mut receipt =
        receipt.ok_or_else(|| anyhow!("the server sent no receipt for this change"))?;
    receipt.entry = Some(client.log_entry(receipt.index).await?.entry);
    std::fs::write(path, serde_json::to_vec_pretty(&receipt)?)
        .with_context(|| format!("cannot write {}", path.display()))?;
    eprintln!(
        "audit log entry {}: receipt saved to {}",
        receipt.index,
        path.display()
    );
    Ok(())
}

/// `senim verify --document FILE.pdf --vkey KEY`: the receipt a document
/// carries is checked as `--receipt` checks one (the checkpoint's
/// signature under the key you trust, the entry's inclusion), and the
/// entry must bear out the document's facts (its subject and each value
/// it states, such as the registry number).
fn verify_document(
    path: &std::path::Path,
    vkey: Option<&str>,
    policy: Option<&Path>,
) -> anyhow::Result<()> {
    let bytes = std::fs::read(path).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    let json = senim_documents::find_receipt(&bytes).ok_or_else(|| {
        anyhow!(
            "{}: carries no receipt of the register's audit log (is it a document Senim made?)",
            path.display()
        )
    })?;
    let document: senim_app::documents::DocumentReceipt = serde_json::from_slice(json)
        .map_err(|e| anyhow!("{}: its receipt does not read: {e}", path.display()))?;
    let vkey = vkey.ok_or_else(|| {
        anyhow!(
            "--document needs --vkey: the key the register publishes (this document names {}; compare it with the published one)",
            document.vkey
        )
    })?;
    let verifier = NoteVerifier::parse(vkey).map_err(|e| anyhow!("--vkey: {e}"))?;
    let entry = document
        .receipt
        .entry
        .as_deref()
        .ok_or_else(|| anyhow!("{}: its receipt has no entry", path.display()))?;
    let checkpoint = verify_receipt(&document.receipt, &verifier)?;
    let names = witnessed(policy, &document.receipt.checkpoint)?;
    let subject = document
        .subject
        .split_once(':')
        .map_or(document.subject.as_str(), |(_, id)| id);
    if !entry.contains(subject) {
        anyhow::bail!(
            "{}: the log entry {} is not about {}",
            path.display(),
            document.receipt.index,
            document.subject
        );
    }
    for (name, value) in &document.facts {
        if !entry.contains(&format!("\"{value}\"")) {
            anyhow::bail!(
                "{}: the log entry {} does not bear out its {name} `{value}`",
                path.display(),
                document.receipt.index
            );
        }
    }
    println!(
        "document verified: {} about {}; entry {} of the log {} of {} entries states {}{}",
        document.document,
        document.subject,
        document.receipt.index,
        checkpoint.origin,
        checkpoint.size,
        document
            .facts
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", "),
        witnessed_line(&names)
    );
    Ok(())
}
