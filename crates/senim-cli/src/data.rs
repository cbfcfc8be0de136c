//! `senim data`: the data library's files from a terminal. `push` sends a
//! file in chunks and resumes where the server says it stands after an
//! interruption; `pull` streams a file down, resumes a partial one, and
//! checks its SHA-256.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context};
use clap::{Args, Subcommand};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use senim_client::{Chunked, Client, ClientError, Method};

use crate::client::ServerArgs;

#[derive(Args, Debug)]
pub struct DataArgs {
    #[command(flatten)]
    server: ServerArgs,
    #[command(subcommand)]
    command: DataCommand,
}

#[derive(Subcommand, Debug)]
enum DataCommand {
    /// Upload a file to a dataset (a steward); run again to resume.
    Push {
        file: PathBuf,
        #[arg(long)]
        dataset: String,
        /// Chunk size in MiB.
        #[arg(long, default_value_t = 64)]
        chunk_mib: u64,
        /// The media type [default: from the file's extension].
        #[arg(long)]
        media_type: Option<String>,
    },
    /// Download a resource's file, checking its SHA-256; resumes a partial file.
    Pull {
        resource: String,
        /// Where to write it [default: the resource's name].
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

fn progress(label: &str, done: u64, total: u64) {
    let pct = (done * 100).checked_div(total).unwrap_or(100);
    eprint!(
        "\r{label} {pct:>3}%  {:.1} / {:.1} MiB",
        done as f64 / 1_048_576.0,
        total as f64 / 1_048_576.0
    );
    let _ = std::io::stderr().flush();
}

fn sha256_of(path: &Path, size: u64) -> anyhow::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut done = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        done += n as u64;
        if done % (256 << 20) < (1 << 20) {
            progress("hashing  ", done, size);
        }
    }
    progress("hashing  ", size, size);
    eprintln!();
    Ok(hex::encode(hasher.finalize()))
}

/// Where an interrupted push remembers its upload.
fn state_file(sha256: &str, dataset: &str) -> PathBuf {
    let base = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("senim/uploads")
        .join(format!("{dataset}-{sha256}.json"))
}

async fn push(
    client: &Client,
    file: &Path,
    dataset: &str,
    chunk_mib: u64,
    media_type: Option<String>,
) -> anyhow::Result<()> {
    let size = std::fs::metadata(file)
        .with_context(|| format!("cannot read {}", file.display()))?
        .len();
    let name = file
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| anyhow!("{} has no usable file name", file.display()))?
        .to_string();
    let sha256 = sha256_of(file, size)?;
    let state = state_file(&sha256, dataset);
    // Resume the upload this file started, if the server still has it.
    let mut resumed = None;
    if let Ok(id) = std::fs::read_to_string(&state) {
        let id = id.trim().to_string();
        if let Ok(status) = client
            .send::<Value, Value>(Method::GET, &format!("/api/v1/uploads/{id}"), None, None)
            .await
        {
            let offset = status.value["offset"].as_u64().unwrap_or(0);
            eprintln!("resuming upload {id} at {offset} bytes");
            resumed = Some((id, offset));
        }
    }
    let (id, mut offset) = match resumed {
        Some(r) => r,
        None => {
            let mut body = json!({"name": name, "size": size, "sha256": sha256});
            if let Some(m) = media_type {
                body["media_type"] = json!(m);
            }
            let declared = client
                .send::<Value, Value>(
                    Method::POST,
                    &format!("/api/v1/datasets/{dataset}/uploads"),
                    Some(&body),
                    None,
                )
                .await?;
            let id = declared.value["id"]
                .as_str()
                .ok_or_else(|| anyhow!("the server gave no upload id"))?
                .to_string();
            if let Some(dir) = state.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(&state, &id)?;
            (id, 0)
        }
    };
    let chunk = (chunk_mib.max(1) << 20) as usize;
    let mut f = std::fs::File::open(file)?;
    let mut buf = vec![0u8; chunk];
    loop {
        f.seek(SeekFrom::Start(offset))?;
        let want = (size.saturating_sub(offset) as usize).min(chunk);
        let mut n = 0;
        while n < want {
            let read = f.read(&mut buf[n..want])?;
            if read == 0 {
                break;
            }
            n += read;
        }
        if n < want {
            return Err(anyhow!(
                "{} changed while it was being sent (it is shorter than when it was hashed); push it again",
                file.display()
            ));
        }
        match client.upload_chunk(&id, offset, buf[..n].to_vec()).await {
            Ok(Chunked::At(at)) => {
                offset = at;
                progress("uploading", offset, size);
            }
            Ok(Chunked::Done(resource)) => {
                progress("uploading", size, size);
                eprintln!();
                let _ = std::fs::remove_file(&state);
                println!("{}", serde_json::to_string_pretty(&resource)?);
                return Ok(());
            }
            // The server has a different offset (an earlier attempt got
            // further, or less far): go on from there.
            Err(ClientError::Api {
                status: 409,
                current: Some(current),
                ..
            }) if current.parse::<u64>().is_ok() => {
                offset = current.parse().unwrap_or(offset);
            }
            Err(e) => {
                if matches!(e, ClientError::Api { status: 422, .. }) {
                    // The file did not check out: the server discarded it.
                    let _ = std::fs::remove_file(&state);
                }
                eprintln!();
                return Err(e.into());
            }
        }
    }
}

async fn pull(client: &Client, resource: &str, out: Option<PathBuf>) -> anyhow::Result<()> {
    let meta = client
        .send::<Value, Value>(
            Method::GET,
            &format!("/api/v1/resources/{resource}"),
            None,
            None,
        )
        .await?
        .value;
    let size = meta["size"].as_u64().unwrap_or(0);
    let expected = meta["sha256"].as_str().unwrap_or_default().to_string();
    let out = match out {
        Some(o) => o,
        None => PathBuf::from(
            senim_domain::dataset::check_file_name(meta["name"].as_str().unwrap_or("download"))
                .map_err(|e| anyhow!("the resource's name {e}"))?,
        ),
    };
    if out.exists() {
        return Err(anyhow!(
            "{} exists already: choose another --out, or remove it",
            out.display()
        ));
    }
    // The bytes go to `<out>.part`, which a later pull continues; the file
    // takes its name only once its SHA-256 checked out.
    let mut partial = out.clone().into_os_string();
    partial.push(".part");
    let partial = PathBuf::from(partial);
    let have = std::fs::metadata(&partial).map(|m| m.len()).unwrap_or(0);
    let from = if have < size { have } else { 0 };
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(from > 0)
        .write(true)
        .truncate(from == 0)
        .open(&partial)
        .with_context(|| format!("cannot write {}", partial.display()))?;
    if from > 0 {
        eprintln!("resuming {} at {from} bytes", partial.display());
    }
    client
        .download_into(
            &format!("/api/v1/resources/{resource}/file"),
            from,
            &mut file,
            |n| {
                if n % (64 << 20) < (1 << 16) {
                    progress("downloading", from + n, size)
                }
            },
        )
        .await?;
    file.sync_all()?;
    progress("downloading", size, size);
    eprintln!();
    let actual = sha256_of(&partial, size)?;
    if actual != expected {
        let _ = std::fs::remove_file(&partial);
        return Err(anyhow!(
            "the download has SHA-256 {actual}, not the {expected} the library lists: it was deleted; pull again"
        ));
    }
    std::fs::rename(&partial, &out)?;
    eprintln!("{}: {size} bytes, SHA-256 checked", out.display());
    Ok(())
}

pub async fn data(args: DataArgs) -> anyhow::Result<()> {
    let client = args.server.client()?;
    match args.command {
        DataCommand::Push {
            file,
            dataset,
            chunk_mib,
            media_type,
        } => push(&client, &file, &dataset, chunk_mib, media_type).await,
        DataCommand::Pull { resource, out } => pull(&client, &resource, out).await,
    }
}
