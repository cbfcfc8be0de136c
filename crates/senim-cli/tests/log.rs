//! The audit log from the outside, with the real binary: `senim verify`
//! against a live server, tampering with the database behind its back, a
//! SIGKILL in the middle of a write burst, and two servers sharing one
//! PostgreSQL log.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use common::{fresh_postgres_url, senim, start, Server};
use senim_client::Client;
use senim_domain::api::Receipt;
use senim_domain::{SystemInput, TokenScope};
use senim_tlog::nodes::{append_tiles, range_hash, MissingTile};
use senim_tlog::{leaf_hash, Checkpoint, Hash, NoteSigner, NoteVerifier};
use sqlx::{Connection, Row, SqliteConnection};

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/system.toml");

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn login(server: &Server, email: &str) -> String {
    let password = server
        .logins
        .iter()
        .find(|(e, _)| e == email)
        .map(|(_, p)| p.clone())
        .expect("a demo login");
    let (ok, token, err) = senim(
        server,
        None,
        &["login", "--email", email, "--password-stdin"],
        Some(&password),
    );
    assert!(ok, "{err}");
    token.trim().to_string()
}

fn example(name: &str) -> SystemInput {
    let mut value: serde_json::Value =
        toml::from_str::<toml::Value>(&std::fs::read_to_string(EXAMPLE).unwrap())
            .unwrap()
            .try_into()
            .unwrap();
    value["name"]["en"] = name.into();
    serde_json::from_value(value).unwrap()
}

fn verify(server: &Server, args: &[&str]) -> (bool, String, String) {
    let mut all = vec!["verify", "--server", &server.url];
    all.extend_from_slice(args);
    senim(server, None, &all, None)
}

async fn sqlite(dir: &std::path::Path) -> SqliteConnection {
    let url = format!("sqlite://{}", dir.join("senim.db").display());
    SqliteConnection::connect(&url).await.unwrap()
}

/// What an administrator with the database and the key could do: rewrite
/// entry `index`, recompute every tile and sign a checkpoint of the same size.
async fn rewrite_history(dir: &std::path::Path, index: i64) {
    let mut db = sqlite(dir).await;
    sqlx::query("UPDATE events SET entry = replace(entry, '\"kind\"', '\"kind \"') WHERE idx = $1")
        .bind(index)
        .execute(&mut db)
        .await
        .unwrap();
    let entries: Vec<String> =
        sqlx::query("SELECT entry FROM events WHERE idx IS NOT NULL ORDER BY idx")
            .fetch_all(&mut db)
            .await
            .unwrap()
            .iter()
            .map(|r| r.get("entry"))
            .collect();
    let leaves: Vec<Hash> = entries.iter().map(|e| leaf_hash(e.as_bytes())).collect();
    let mut tiles = std::collections::HashMap::<(u8, u64), Vec<Hash>>::new();
    for (level, idx, hashes) in append_tiles(0, &leaves, |l, i, w| {
        Err(MissingTile {
            level: l,
            index: i,
            width: w,
        })
    })
    .unwrap()
    {
        let key = ((u64::from(level) << 56) | idx) as i64;
        let bytes: Vec<u8> = hashes.iter().flatten().copied().collect();
        sqlx::query("UPDATE log_tiles SET hashes = $1 WHERE key = $2")
            .bind(bytes)
            .bind(key)
            .execute(&mut db)
            .await
            .unwrap();
        tiles.insert((level, idx), hashes);
    }
    let size = leaves.len() as u64;
    let signer = NoteSigner::parse(&std::fs::read_to_string(dir.join("log.key")).unwrap()).unwrap();
    let checkpoint = Checkpoint {
        origin: signer.name().to_string(),
        size,
        root: range_hash(&tiles, 0, size).unwrap(),
    };
    sqlx::query("UPDATE log_checkpoints SET note = $1, root = $2 WHERE size = $3")
        .bind(signer.sign(&checkpoint.body()).unwrap())
        .bind(checkpoint.root.to_vec())
        .bind(size as i64)
        .execute(&mut db)
        .await
        .unwrap();
}

#[test]
fn verify_passes_and_detects_changed_removed_forked_and_badly_signed_logs() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let server = start(&["--data-dir", data.to_str().unwrap()]);
    let state = dir.path().join("state.json");
    let state = state.to_str().unwrap();
    let (ok, vkey, err) = senim(
        &server,
        None,
        &["log", "key", "--data-dir", data.to_str().unwrap()],
        None,
    );
    assert!(ok, "{err}");
    let vkey = vkey.trim().to_string();
    assert!(vkey.starts_with("localhost/senim+"), "{vkey}");

    // A developer registers a system and keeps the receipt; anyone with the
    // key checks it offline.
    let token = login(&server, "developer@hospital.demo");
    let receipt = dir.path().join("receipt.json");
    let (ok, _, err) = senim(
        &server,
        Some(&token),
        &[
            "system",
            "register",
            "--file",
            EXAMPLE,
            "--receipt",
            receipt.to_str().unwrap(),
        ],
        None,
    );
    assert!(ok, "{err}");
    assert!(err.contains("receipt saved"), "{err}");
    let check_receipt = || {
        let args = [
            "verify",
            "--receipt",
            receipt.to_str().unwrap(),
            "--vkey",
            &vkey,
        ];
        senim(&server, None, &args, None)
    };
    let (ok, out, err) = check_receipt();
    assert!(ok, "{err}");
    assert!(out.contains("its entry matches"), "{out}");
    let mut forged: Receipt = serde_json::from_slice(&std::fs::read(&receipt).unwrap()).unwrap();
    // The entry of a draft shows its status and digests (its name is
    // private): a changed status is a changed entry.
    let entry = forged.entry.unwrap();
    assert!(
        entry.contains("\"draft\"") && !entry.contains("Paediatric"),
        "{entry}"
    );
    forged.entry = Some(entry.replace("\"draft\"", "\"registered\""));
    std::fs::write(&receipt, serde_json::to_vec(&forged).unwrap()).unwrap();
    let (ok, _, err) = check_receipt();
    assert!(
        !ok && err.contains("does not have the receipt's leaf hash"),
        "{err}"
    );

    // The whole log verifies, first time and after more writes.
    let (ok, out, err) = verify(&server, &["--vkey", &vkey, "--state", state]);
    assert!(ok, "{err}");
    assert!(out.contains("first verification"), "{out}");
    let (ok, _, err) = senim(
        &server,
        Some(&token),
        &["system", "register", "--file", EXAMPLE],
        None,
    );
    assert!(ok, "{err}");
    let (ok, out, err) = verify(&server, &["--state", state]);
    assert!(ok, "{err}");
    assert!(out.contains("consistent with the"), "{out}");

    let rt = runtime();
    // A changed entry.
    let original: String = rt.block_on(async {
        let mut db = sqlite(&data).await;
        let original: String = sqlx::query("SELECT entry FROM events WHERE idx = 5")
            .fetch_one(&mut db)
            .await
            .unwrap()
            .get("entry");
        sqlx::query(
            "UPDATE events SET entry = replace(entry, '\"time\"', '\"time \"') WHERE idx = 5",
        )
        .execute(&mut db)
        .await
        .unwrap();
        original
    });
    let (ok, _, err) = verify(&server, &["--state", state]);
    assert!(!ok && err.contains("entry 5 has been changed"), "{err}");
    rt.block_on(async {
        let mut db = sqlite(&data).await;
        sqlx::query("UPDATE events SET entry = $1 WHERE idx = 5")
            .bind(original)
            .execute(&mut db)
            .await
            .unwrap();
    });
    let (ok, _, err) = verify(&server, &["--state", state]);
    assert!(ok, "restored: {err}");

    // A checkpoint signed by another key.
    let other = NoteSigner::from_seed("localhost/senim", &[7; 32]).unwrap();
    let fresh_state = dir.path().join("other.json");
    let (ok, _, err) = verify(
        &server,
        &[
            "--vkey",
            &other.verifier_key(),
            "--state",
            fresh_state.to_str().unwrap(),
        ],
    );
    assert!(!ok && err.contains("signature does not verify"), "{err}");

    // History rewritten and re-signed by someone holding the key: the tiles
    // agree with each other, but not with what was verified before.
    rt.block_on(rewrite_history(&data, 3));
    // The server refuses to start on it: the checkpoint it published last,
    // kept beside its key, is of another history (issue 19).
    drop(server);
    let (ok, err) = serve_until_it_stops(&data).expect("the server started on another history");
    assert!(!ok);
    assert!(err.contains("it is another history"), "{err}");
    // Started anyway (the rollback accepted and recorded as the next entry),
    // the rewritten history is what the server serves; the verifier refuses
    // it and cites the announcement.
    let server = start(&["--data-dir", data.to_str().unwrap(), "--accept-rollback"]);
    let (ok, _, err) = verify(&server, &["--state", state]);
    assert!(!ok && err.contains("the log was rewritten"), "{err}");
    assert!(err.contains("announces a restore from a backup"), "{err}");

    // A removed entry.
    rt.block_on(async {
        let mut db = sqlite(&data).await;
        sqlx::query("DELETE FROM events WHERE idx = 2")
            .execute(&mut db)
            .await
            .unwrap();
    });
    let (ok, _, err) = verify(
        &server,
        &["--state", fresh_state.to_str().unwrap(), "--vkey", &vkey],
    );
    assert!(!ok && err.contains("missing"), "{err}");
}

struct Acknowledged {
    id: String,
    receipt: Receipt,
}

/// Writes systems from `workers` concurrent clients until `stop`, keeping
/// every acknowledged write; also keeps the newest checkpoint served.
async fn burst(
    client: Client,
    workers: usize,
    stop: Arc<std::sync::atomic::AtomicBool>,
    acknowledged: Arc<Mutex<Vec<Acknowledged>>>,
    served: Arc<Mutex<Option<String>>>,
) {
    let mut tasks = Vec::new();
    for w in 0..workers {
        let client = client.clone();
        let stop = stop.clone();
        let acknowledged = acknowledged.clone();
        tasks.push(tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                n += 1;
                match client
                    .register_system(&example(&format!("Burst {w}-{n}")))
                    .await
                {
                    Ok(created) => acknowledged.lock().unwrap().push(Acknowledged {
                        id: created.value.system.id.to_string(),
                        receipt: created.receipt.expect("a receipt"),
                    }),
                    Err(_) => break, // the server is gone
                }
            }
        }));
    }
    let watcher = {
        let client = client.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                match client.get_bytes("/log/checkpoint").await {
                    Ok(Some(note)) => {
                        *served.lock().unwrap() = Some(String::from_utf8(note).unwrap())
                    }
                    _ => break,
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };
    for t in tasks {
        let _ = t.await;
    }
    let _ = watcher.await;
}

fn checkpoint(note: &str, verifier: &NoteVerifier) -> Checkpoint {
    Checkpoint::parse(verifier.open(note).unwrap()).unwrap()
}

fn decode(hash: &str) -> Hash {
    base64::engine::general_purpose::STANDARD
        .decode(hash)
        .unwrap()
        .try_into()
        .unwrap()
}

/// After a restart: every acknowledged write is there with the entry its
/// receipt proves, the log extends the last checkpoint served before the
/// crash, and `senim verify` passes.
async fn check_after_crash(
    client: &Client,
    verifier: &NoteVerifier,
    acknowledged: &[Acknowledged],
    served: &str,
) {
    for ack in acknowledged {
        client
            .system(&ack.id)
            .await
            .unwrap_or_else(|e| panic!("acknowledged {} lost: {e}", ack.id));
        senim_client::verify::verify_receipt(&ack.receipt, verifier).unwrap();
        let entry = client.log_entry(ack.receipt.index).await.unwrap();
        assert_eq!(
            entry.leaf_hash, ack.receipt.leaf_hash,
            "entry {}",
            ack.receipt.index
        );
    }
    let before = checkpoint(served, verifier);
    let now = checkpoint(
        &String::from_utf8(client.get_bytes("/log/checkpoint").await.unwrap().unwrap()).unwrap(),
        verifier,
    );
    assert!(now.size >= before.size);
    let proof: senim_domain::api::ConsistencyProof = client
        .send::<(), _>(
            reqwest::Method::GET,
            &format!(
                "/api/v1/log/proof/consistency?old={}&new={}",
                before.size, now.size
            ),
            None,
            None,
        )
        .await
        .unwrap()
        .value;
    let proof: Vec<Hash> = proof.proof.iter().map(|h| decode(h)).collect();
    assert!(senim_tlog::verify_consistency(
        before.size,
        now.size,
        &before.root,
        &now.root,
        &proof
    ));
    senim_client::verify::verify_log(client, verifier, None, 8)
        .await
        .unwrap();
}

#[test]
fn sigkill_during_a_write_burst_loses_no_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut server = start(&["--data-dir", data.to_str().unwrap()]);
    let token = login(&server, "developer@hospital.demo");
    let rt = runtime();
    let client = Client::new(&server.url, Some(token.clone())).unwrap();
    let verifier = rt.block_on(async {
        let key = client.get_bytes("/log/key").await.unwrap().unwrap();
        NoteVerifier::parse(String::from_utf8(key).unwrap().trim()).unwrap()
    });
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let served = Arc::new(Mutex::new(None));
    let handle = rt.spawn(burst(
        client,
        16,
        stop.clone(),
        acknowledged.clone(),
        served.clone(),
    ));
    let started = Instant::now();
    while acknowledged.lock().unwrap().len() < 150 && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(10));
    }
    server.child.kill().unwrap(); // SIGKILL: no shutdown, no flush
    server.child.wait().unwrap();
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    rt.block_on(handle).unwrap();
    let acknowledged = std::mem::take(&mut *acknowledged.lock().unwrap());
    let served = served
        .lock()
        .unwrap()
        .clone()
        .expect("a checkpoint was served");
    assert!(acknowledged.len() >= 150, "{} writes", acknowledged.len());

    let again = start(&["--data-dir", data.to_str().unwrap()]);
    let client = Client::new(&again.url, Some(token)).unwrap();
    rt.block_on(check_after_crash(
        &client,
        &verifier,
        &acknowledged,
        &served,
    ));
}

#[test]
fn two_servers_on_one_postgres_database_keep_one_log() {
    let url = fresh_postgres_url("log");
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("log.key");
    let args = |sub: &str| {
        vec![
            "--database-url".to_string(),
            url.clone(),
            "--data-dir".to_string(),
            dir.path().join(sub).to_str().unwrap().to_string(),
            "--log-key-file".to_string(),
            key.to_str().unwrap().to_string(),
        ]
    };
    let first_args = args("one");
    let first = start(&first_args.iter().map(String::as_str).collect::<Vec<_>>());
    let second_args = args("two");
    let second = start(&second_args.iter().map(String::as_str).collect::<Vec<_>>());
    let rt = runtime();
    let password = first
        .logins
        .iter()
        .find(|(e, _)| e == "developer@hospital.demo")
        .map(|(_, p)| p.clone())
        .unwrap();
    let token = rt.block_on(async {
        Client::new(&first.url, None)
            .unwrap()
            .token_login(
                "developer@hospital.demo",
                &password,
                None,
                "log test",
                vec![TokenScope::Read, TokenScope::Write],
                None,
            )
            .await
            .unwrap()
            .token
    });
    let clients = [
        Client::new(&first.url, Some(token.clone())).unwrap(),
        Client::new(&second.url, Some(token)).unwrap(),
    ];
    let verifier = rt.block_on(async {
        let key = clients[1].get_bytes("/log/key").await.unwrap().unwrap();
        NoteVerifier::parse(String::from_utf8(key).unwrap().trim()).unwrap()
    });
    let receipts: Vec<Receipt> = rt.block_on(async {
        let mut tasks = Vec::new();
        for (c, client) in clients.iter().enumerate() {
            for w in 0..8 {
                let client = client.clone();
                tasks.push(tokio::spawn(async move {
                    let mut out = Vec::new();
                    for n in 0..15 {
                        let created = client
                            .register_system(&example(&format!("Shared {c}-{w}-{n}")))
                            .await
                            .unwrap();
                        out.push(created.receipt.unwrap());
                    }
                    out
                }));
            }
        }
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.unwrap());
        }
        all
    });
    assert_eq!(receipts.len(), 240);
    let mut indices: Vec<u64> = receipts.iter().map(|r| r.index).collect();
    indices.sort_unstable();
    indices.dedup();
    assert_eq!(indices.len(), 240, "no two writes share an entry");
    for r in &receipts {
        senim_client::verify::verify_receipt(r, &verifier).unwrap();
    }
    rt.block_on(async {
        // Each server sees the other's checkpoints within a second of its
        // clock (the store's conformance suite pins the rule): both come to
        // serve the same log, with no gap and no fork.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let a = clients[0].get_bytes("/log/checkpoint").await.unwrap();
            let b = clients[1].get_bytes("/log/checkpoint").await.unwrap();
            if a == b {
                break;
            }
            assert!(Instant::now() < deadline, "the servers never agreed");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        for client in &clients {
            let verified = senim_client::verify::verify_log(client, &verifier, None, 8)
                .await
                .unwrap();
            assert!(verified.checkpoint.size > 240);
        }
    });
}

#[test]
fn admin_rebuild_recomputes_the_tables_and_names_those_that_differed() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_arg = data.to_str().unwrap().to_string();
    let server = start(&["--data-dir", &data_arg]);
    let token = login(&server, "developer@hospital.demo");
    let (ok, _, err) = senim(
        &server,
        Some(&token),
        &["system", "register", "--file", EXAMPLE],
        None,
    );
    assert!(ok, "{err}");
    let (ok, out, err) = senim(
        &server,
        None,
        &["admin", "--data-dir", &data_arg, "rebuild"],
        None,
    );
    assert!(ok, "{err}");
    assert!(out.contains("rebuilt the register from"), "{out}");
    assert!(!out.contains("DIFFERED"), "{out}");
    // A table changed behind the log's back is put back, and named.
    runtime().block_on(async {
        let mut db = sqlite(&data).await;
        sqlx::query("UPDATE systems SET risk_level = 'minimal'")
            .execute(&mut db)
            .await
            .unwrap();
    });
    let (ok, out, err) = senim(
        &server,
        None,
        &["admin", "--data-dir", &data_arg, "rebuild"],
        None,
    );
    assert!(!ok, "{out}");
    assert!(out.contains("DIFFERED"), "{out}");
    assert!(
        err.contains("the tables systems did not match the log"),
        "{err}"
    );
    // Issue 19, finding 2: a payload changed behind the log's back was
    // rebuilt into the tables while `senim verify` passed. Now the rebuild
    // checks each payload against its entry and names the one that differs.
    runtime().block_on(async {
        let mut db = sqlite(&data).await;
        let changed = sqlx::query(
            "UPDATE events SET payload = replace(payload, 'Paediatric sepsis', 'TAMPERED') \
             WHERE kind = 'system.created' AND payload LIKE '%Paediatric sepsis%'",
        )
        .execute(&mut db)
        .await
        .unwrap();
        assert!(changed.rows_affected() > 0);
    });
    let (ok, _, err) = senim(
        &server,
        None,
        &["admin", "--data-dir", &data_arg, "rebuild"],
        None,
    );
    assert!(!ok);
    assert!(err.contains("(system.created): its"), "{err}");
    assert!(err.contains("log entry"), "{err}");
    assert!(err.contains("restore the events table"), "{err}");
    runtime().block_on(async {
        let mut db = sqlite(&data).await;
        sqlx::query(
            "UPDATE events SET payload = replace(payload, 'TAMPERED', 'Paediatric sepsis')",
        )
        .execute(&mut db)
        .await
        .unwrap();
    });
    // Replay data changed behind the log's back is refused: the log commits
    // to it, and nothing is rebuilt.
    runtime().block_on(async {
        let mut db = sqlite(&data).await;
        sqlx::query(
            "UPDATE events SET replay = replace(replay, '\"high\"', '\"minimal\"') \
             WHERE kind = 'system.created'",
        )
        .execute(&mut db)
        .await
        .unwrap();
    });
    let (ok, _, err) = senim(
        &server,
        None,
        &["admin", "--data-dir", &data_arg, "rebuild"],
        None,
    );
    assert!(!ok);
    assert!(
        err.contains("replay data does not match its log entry"),
        "{err}"
    );
    drop(server);
}

/// Deletes the newest entry of the log in `dir`'s database behind the
/// server's back: a hole the start-up check finds.
fn delete_last_entry(dir: &std::path::Path) {
    runtime().block_on(async {
        let mut db = sqlite(dir).await;
        sqlx::query("DELETE FROM events WHERE idx = (SELECT MAX(idx) FROM events)")
            .execute(&mut db)
            .await
            .unwrap();
    });
}

/// Runs `senim serve` on `data` and waits for it to stop by itself; its
/// exit status and standard error (None if it kept running for 60 s).
fn serve_until_it_stops(data: &std::path::Path) -> Option<(bool, String)> {
    let mut child = std::process::Command::new(common::SENIM)
        .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(data)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            use std::io::Read;
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            return Some((status.success(), err));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

/// Issue 19, finding 3: with the last entry deleted from the database the
/// server started, accepted a write and signed a checkpoint over the hole.
/// Now it checks its log against the newest checkpoint first, and stops
/// with a message that names the problem; `senim admin check-log` says the
/// same, and a log that passes is reported whole.
#[test]
fn a_server_does_not_start_on_a_log_with_a_hole() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_arg = data.to_str().unwrap().to_string();
    let server = start(&["--data-dir", &data_arg]);
    let (ok, out, err) = senim(
        &server,
        None,
        &["admin", "--data-dir", &data_arg, "check-log"],
        None,
    );
    assert!(ok, "{err}");
    assert!(out.contains("gives the signed root"), "{out}");
    drop(server);
    delete_last_entry(&data);
    let (ok, err) = serve_until_it_stops(&data).expect("the server started on a log with a hole");
    assert!(!ok);
    assert!(err.contains("failed its start-up check"), "{err}");
    assert!(err.contains("entries were deleted"), "{err}");
    let out = std::process::Command::new(common::SENIM)
        .args(["admin", "--data-dir", &data_arg, "check-log"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("entries were deleted"), "{err}");
}

/// Issue 19, finding 3 (the tables): after a clean truncation of the log to
/// an older checkpoint (events, tiles and checkpoints put back, the
/// published checkpoint gone too), the tables kept versions the log no
/// longer has, and the server started. Now the start-up check sees the
/// tables ahead of the log and stops; `senim admin rebuild` brings the
/// tables back to the log, and the server starts again.
#[test]
fn a_server_does_not_start_on_tables_ahead_of_their_log() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_arg = data.to_str().unwrap().to_string();
    let server = start(&["--data-dir", &data_arg]);
    let token = login(&server, "developer@hospital.demo");
    let older = runtime().block_on(async {
        let mut db = sqlite(&data).await;
        sqlx::query_scalar::<_, i64>("SELECT MAX(size) FROM log_checkpoints")
            .fetch_one(&mut db)
            .await
            .unwrap()
    });
    let (ok, _, err) = senim(
        &server,
        Some(&token),
        &["system", "register", "--file", EXAMPLE],
        None,
    );
    assert!(ok, "{err}");
    drop(server);
    // A clean truncation to the older checkpoint: what a botched restore of
    // the log's tables alone, or a hand at the database, leaves.
    runtime().block_on(async {
        let mut db = sqlite(&data).await;
        for sql in [
            "DELETE FROM events WHERE idx >= $1",
            "DELETE FROM log_checkpoints WHERE size > $1",
        ] {
            sqlx::query(sql).bind(older).execute(&mut db).await.unwrap();
        }
        // The tiles are rebuilt from the remaining entries by the check's
        // own reading: those of the older tree are untouched below `older`.
    });
    for entry in std::fs::read_dir(&data).unwrap() {
        let path = entry.unwrap().path();
        if path.to_string_lossy().ends_with(".published") {
            std::fs::remove_file(path).unwrap();
        }
    }
    let (ok, err) =
        serve_until_it_stops(&data).expect("the server started on tables ahead of the log");
    assert!(!ok);
    assert!(err.contains("the tables hold changes up to entry"), "{err}");
    let out = std::process::Command::new(common::SENIM)
        .args(["admin", "--data-dir", &data_arg, "rebuild"])
        .output()
        .unwrap();
    // The rebuild names the tables that held what the log no longer has.
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("systems did not match the log; they now follow it"),
        "{err}"
    );
    let server = start(&["--data-dir", &data_arg]);
    drop(server);
}

/// Issue 19, finding 4: `sqlite3 .backup` did not finish during a write
/// burst and left a partial file. `senim admin backup` copies the register
/// consistently while the server keeps writing, with the checkpoint the copy
/// holds beside it, and the copy passes the log check.
#[test]
fn a_backup_taken_during_a_write_burst_is_whole() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_arg = data.to_str().unwrap().to_string();
    let server = start(&["--data-dir", &data_arg]);
    let token = login(&server, "developer@hospital.demo");
    let rt = runtime();
    let client = Client::new(&server.url, Some(token)).unwrap();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let served = Arc::new(Mutex::new(None));
    let handle = rt.spawn(burst(
        client,
        8,
        stop.clone(),
        acknowledged.clone(),
        served.clone(),
    ));
    let started = Instant::now();
    while acknowledged.lock().unwrap().len() < 50 && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(10));
    }
    let dest = dir.path().join("backup");
    let dest_arg = dest.to_str().unwrap().to_string();
    let (ok, out, err) = senim(
        &server,
        None,
        &["admin", "--data-dir", &data_arg, "backup", &dest_arg],
        None,
    );
    let during = acknowledged.lock().unwrap().len();
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    rt.block_on(handle).unwrap();
    assert!(ok, "{out}{err}");
    assert!(out.contains("backed up the register at log size"), "{out}");
    assert!(during >= 50, "the burst was running: {during} writes");
    // The copy is whole: its log holds the checkpoint written beside it.
    let note = std::fs::read_to_string(dest.join("checkpoint")).unwrap();
    let size: u64 = note.lines().nth(1).unwrap().parse().unwrap();
    assert!(size > 0);
    let key = data.join("log.key");
    let (ok, out, err) = senim(
        &server,
        None,
        &[
            "admin",
            "--data-dir",
            &dest_arg,
            "--log-key-file",
            key.to_str().unwrap(),
            "check-log",
        ],
        None,
    );
    assert!(ok, "{err}");
    assert!(
        out.contains(&format!("checkpoint's {size} entries")),
        "{out}"
    );
    // A second backup into the same directory is refused.
    let (ok, _, err) = senim(
        &server,
        None,
        &["admin", "--data-dir", &data_arg, "backup", &dest_arg],
        None,
    );
    assert!(!ok);
    assert!(err.contains("is not empty"), "{err}");
}

/// Issue 19, finding 3 (the truncation) and the restore's refusal: a
/// register restored from an older backup is behind the checkpoint its
/// server last published, which is kept beside the key, outside the
/// database. The server refuses it until the operator accepts the rollback
/// for one start.
#[test]
fn a_restored_older_copy_needs_the_operator_to_accept_the_rollback() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_arg = data.to_str().unwrap().to_string();
    let server = start(&["--data-dir", &data_arg]);
    let dest = dir.path().join("backup");
    let dest_arg = dest.to_str().unwrap().to_string();
    let (ok, _, err) = senim(
        &server,
        None,
        &["admin", "--data-dir", &data_arg, "backup", &dest_arg],
        None,
    );
    assert!(ok, "{err}");
    // Written after the backup: lost by the restore, after a verifier saw it.
    let token = login(&server, "developer@hospital.demo");
    let (ok, _, err) = senim(
        &server,
        Some(&token),
        &["system", "register", "--file", EXAMPLE],
        None,
    );
    assert!(ok, "{err}");
    let state = dir.path().join("verified.json");
    let state = state.to_str().unwrap();
    let vkey = std::fs::read_to_string(data.join("log.key")).unwrap();
    let vkey = NoteSigner::parse(&vkey).unwrap().verifier().verifier_key();
    let (ok, _, err) = verify(&server, &["--vkey", &vkey, "--state", state]);
    assert!(ok, "{err}");
    drop(server);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(data.join(format!("senim.db{suffix}")));
    }
    std::fs::copy(dest.join("senim.db"), data.join("senim.db")).unwrap();
    let (ok, err) = serve_until_it_stops(&data).expect("the server started on a rolled-back log");
    assert!(!ok);
    assert!(err.contains("behind the"), "{err}");
    assert!(err.contains("--accept-rollback"), "{err}");
    // Accepted once, with a reason, the server starts and announces it: on
    // the home page, in the list of rollbacks, beside the checkpoint; the
    // next start needs nothing and records nothing more.
    let server = start(&[
        "--data-dir",
        &data_arg,
        "--accept-rollback=disk failure, restored from the backup of the night",
    ]);
    let rollbacks = announced(
        &server,
        "disk failure, restored from the backup of the night",
    );
    assert!(
        rollbacks[0]["lost_entries"].as_u64().unwrap() >= 1,
        "{rollbacks:?}"
    );
    // The verifier still refuses the shorter log, and says what was announced.
    let (ok, _, err) = verify(&server, &["--state", state]);
    assert!(!ok);
    assert!(err.contains("the log shrank"), "{err}");
    assert!(
        err.contains("announces a restore from a backup at entry"),
        "{err}"
    );
    assert!(
        err.contains("disk failure, restored from the backup of the night"),
        "{err}"
    );
    drop(server);
    let server = start(&["--data-dir", &data_arg]);
    assert_eq!(announced(&server, "disk failure").len(), 1);
    drop(server);
}

/// The rollbacks a server lists, after checking that the home page (in
/// Russian too) and `/log/checkpoint` announce the newest with `reason`.
fn announced(server: &Server, reason: &str) -> Vec<serde_json::Value> {
    let rt = runtime();
    rt.block_on(async {
        let http = reqwest::Client::new();
        let list: Vec<serde_json::Value> = http
            .get(format!("{}/api/v1/log/rollbacks", server.url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let newest = list.last().expect("a rollback is listed");
        assert!(
            newest["reason"].as_str().unwrap().contains(reason),
            "{newest}"
        );
        let restored = newest["restored_size"].as_u64().unwrap();
        assert_eq!(newest["index"].as_u64().unwrap(), restored, "{newest}");
        assert!(
            newest["published_size"].as_u64().unwrap() > restored,
            "{newest}"
        );
        for (lang, title) in [
            ("en", "restored from a backup"),
            ("ru", "восстановлен из резервной копии"),
        ] {
            let home = http
                .get(format!("{}/?lang={lang}", server.url))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert!(home.contains(title), "{home}");
            assert!(home.contains(reason), "{home}");
            assert!(
                home.contains(&format!("/audit-log/entries/{restored}")),
                "{home}"
            );
        }
        let checkpoint = http
            .get(format!("{}/log/checkpoint", server.url))
            .send()
            .await
            .unwrap();
        let header = checkpoint.headers()["senim-rollback"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            header.starts_with(&format!("entry={restored}; restored_size={restored}")),
            "{header}"
        );
        // The checkpoint itself stays the three lines C2SP defines.
        let note = checkpoint.text().await.unwrap();
        assert_eq!(
            note.split("\n\n").next().unwrap().lines().count(),
            3,
            "{note}"
        );
        list
    })
}

/// Issue 19, item 4: `senim serve --read-only` starts on a log that fails
/// its start-up check (here: its last entry deleted), so an operator can
/// look; it serves the pages (each saying so), the API's reads and the
/// log, and refuses every change, sign-in included, with 503 `read_only`.
/// Nothing is written: the log and the published checkpoint stay as they
/// were found.
#[test]
fn a_server_started_read_only_serves_reads_and_refuses_every_change() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_arg = data.to_str().unwrap().to_string();
    let server = start(&["--data-dir", &data_arg]);
    let (email, password) = server.logins[0].clone();
    let token = login(&server, "developer@hospital.demo");
    drop(server);
    let count = |sql: &'static str| {
        let data = data.clone();
        runtime().block_on(async move {
            let mut db = sqlite(&data).await;
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&mut db)
                .await
                .unwrap()
        })
    };
    delete_last_entry(&data);
    let events = count("SELECT COUNT(*) FROM events");
    let checkpoints = count("SELECT COUNT(*) FROM log_checkpoints");
    let published = std::fs::read_to_string(data.join("log.key.published")).unwrap();

    let server = start(&["--data-dir", &data_arg, "--read-only"]);
    runtime().block_on(async {
        let http = reqwest::Client::new();
        for (path, banner) in [
            ("/register?lang=en", "open for reading only"),
            ("/?lang=ru", "только для чтения"),
            ("/audit-log?lang=kk", "тек оқу үшін"),
        ] {
            let page = http
                .get(format!("{}{path}", server.url))
                .send()
                .await
                .unwrap();
            assert_eq!(page.status(), 200, "{path}");
            assert!(page.text().await.unwrap().contains(banner), "{path}");
        }
        let systems = http
            .get(format!("{}/api/v1/systems", server.url))
            .send()
            .await
            .unwrap();
        assert_eq!(systems.status(), 200);
        let signed_in = http
            .post(format!("{}/api/v1/session", server.url))
            .json(&serde_json::json!({"email": email, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(signed_in.status(), 503);
        let body: serde_json::Value = signed_in.json().await.unwrap();
        assert_eq!(body["error"]["code"], "read_only", "{body}");
    });
    let (ok, _, err) = senim(
        &server,
        Some(&token),
        &["system", "register", "--file", EXAMPLE],
        None,
    );
    assert!(!ok);
    assert!(err.contains("read-only"), "{err}");
    drop(server);
    assert_eq!(count("SELECT COUNT(*) FROM events"), events);
    assert_eq!(count("SELECT COUNT(*) FROM log_checkpoints"), checkpoints);
    assert_eq!(
        std::fs::read_to_string(data.join("log.key.published")).unwrap(),
        published
    );
}

/// Issue 19, item 5: `senim admin restore` puts a backup in place only
/// after checking it: not while a server runs on the directory, not a
/// backup whose log fails its check, and not a rollback behind the
/// published checkpoint unless accepted. Accepted, the database in place is
/// kept aside, the backup's takes its place, and the rollback is recorded
/// and announced; the server then starts as usual.
#[test]
fn admin_restore_checks_the_backup_and_records_the_rollback() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_arg = data.to_str().unwrap().to_string();
    let server = start(&["--data-dir", &data_arg]);
    let backup = dir.path().join("backup");
    let backup_arg = backup.to_str().unwrap().to_string();
    let (ok, _, err) = senim(
        &server,
        None,
        &["admin", "--data-dir", &data_arg, "backup", &backup_arg],
        None,
    );
    assert!(ok, "{err}");
    let token = login(&server, "developer@hospital.demo");
    register_a_system(&server, &token);
    let restore = |extra: &[&str]| {
        let mut args = vec!["admin", "--data-dir", &data_arg, "restore"];
        args.extend_from_slice(extra);
        offline(&args)
    };
    let (ok, _, err) = restore(&[&backup_arg, "--accept-rollback"]);
    assert!(!ok);
    assert!(err.contains("a server is running on"), "{err}");
    drop(server);
    let versions = || {
        let data = data.clone();
        runtime().block_on(async move {
            let mut db = sqlite(&data).await;
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM system_versions")
                .fetch_one(&mut db)
                .await
                .unwrap()
        })
    };
    let before = versions();

    // A damaged backup is refused, whatever the operator accepts.
    let damaged = dir.path().join("damaged");
    std::fs::create_dir(&damaged).unwrap();
    std::fs::copy(backup.join("senim.db"), damaged.join("senim.db")).unwrap();
    delete_last_entry(&damaged);
    let (ok, _, err) = restore(&[damaged.to_str().unwrap(), "--accept-rollback"]);
    assert!(!ok);
    assert!(
        err.contains("fails its check, so nothing was restored"),
        "{err}"
    );
    assert!(err.contains("entries were deleted"), "{err}");

    // A reason too long to announce is refused before anything is moved.
    let long = format!("--accept-rollback={}", "x".repeat(501));
    let (ok, _, err) = restore(&[&backup_arg, &long]);
    assert!(!ok);
    assert!(
        err.contains("reason: is longer than 500 characters"),
        "{err}"
    );
    assert_eq!(versions(), before, "nothing changed");

    // A rollback must be accepted.
    let (ok, _, err) = restore(&[&backup_arg]);
    assert!(!ok);
    assert!(err.contains("behind the"), "{err}");
    assert!(err.contains("Nothing was restored"), "{err}");
    assert!(err.contains("--accept-rollback"), "{err}");
    assert_eq!(versions(), before, "nothing changed");

    let (ok, out, err) = restore(&[&backup_arg, "--accept-rollback=the disk failed at 02:10"]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("is kept as"), "{out}");
    assert!(out.contains("recorded at entry"), "{out}");
    assert!(
        versions() < before,
        "the version written after the backup is gone"
    );
    let kept: Vec<_> = std::fs::read_dir(&data)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| {
            n.starts_with("senim.db.before-restore-")
                && !n.ends_with("-wal")
                && !n.ends_with("-shm")
        })
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert!(!data.join("senim.db.restoring").exists());
    let (ok, out, err) = offline(&["admin", "--data-dir", &data_arg, "check-log"]);
    assert!(ok, "{out}{err}");
    let server = start(&["--data-dir", &data_arg]);
    announced(&server, "the disk failed at 02:10");
    drop(server);
}

/// Issue 19, item 5 (PostgreSQL): a `pg_dump` of a running register,
/// restored with `pg_restore` into a new database, passes the log check,
/// holds what was written before the dump and nothing after; `senim admin
/// restore` refuses it until the rollback is accepted, then records it, and
/// a server starts on it.
#[test]
fn a_pg_dump_restore_is_checked_and_its_rollback_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let base = std::env::var("SENIM_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let server_url = base.rsplit_once('/').unwrap().0.to_string();
    let name = |what: &str| format!("senim_restore_{what}_{}", std::process::id());
    let psql = |sql: String| {
        let status = std::process::Command::new("psql")
            .args([&base, "-q", "-c", &sql])
            .status()
            .unwrap();
        assert!(status.success(), "{sql}");
    };
    for what in ["live", "restored"] {
        psql(format!("DROP DATABASE IF EXISTS {}", name(what)));
        psql(format!("CREATE DATABASE {}", name(what)));
    }
    let live = format!("{server_url}/{}", name("live"));
    let restored = format!("{server_url}/{}", name("restored"));
    let key = dir.path().join("log.key");
    let key_arg = key.to_str().unwrap().to_string();
    let data_arg = dir.path().join("data").to_str().unwrap().to_string();
    let on = |url: &str| {
        vec![
            "--database-url".to_string(),
            url.to_string(),
            "--log-key-file".to_string(),
            key_arg.clone(),
            "--data-dir".to_string(),
            data_arg.clone(),
        ]
    };
    let args = on(&live);
    let server = start(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let token = login(&server, "developer@hospital.demo");
    register_a_system(&server, &token);
    let dump = dir.path().join("senim.dump");
    let status = std::process::Command::new("pg_dump")
        .args(["-Fc", "-f", dump.to_str().unwrap(), &live])
        .status()
        .unwrap();
    assert!(status.success());
    register_a_system(&server, &token);
    drop(server);
    let status = std::process::Command::new("pg_restore")
        .args(["--no-owner", "-d", &restored, dump.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(status.success());

    let mut admin = vec!["admin".to_string()];
    admin.extend(on(&restored));
    admin.push("restore".to_string());
    let admin_args: Vec<&str> = admin.iter().map(String::as_str).collect();
    let (ok, _, err) = offline(&admin_args);
    assert!(!ok);
    assert!(err.contains("behind the"), "{err}");
    let mut accepted = admin_args.clone();
    accepted.push("--accept-rollback=restored from the dump of 01:00");
    let (ok, out, err) = offline(&accepted);
    assert!(ok, "{out}{err}");
    assert!(out.contains("recorded at entry"), "{out}");

    let args = on(&restored);
    let server = start(&args.iter().map(String::as_str).collect::<Vec<_>>());
    announced(&server, "restored from the dump of 01:00");
    let count = |url: &str| -> i64 {
        let out = std::process::Command::new("psql")
            .args([url, "-tAc", "SELECT COUNT(*) FROM systems"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
    };
    assert_eq!(
        count(&restored) + 1,
        count(&live),
        "the system registered after the dump is not restored"
    );
    drop(server);
    let mut check = vec!["admin".to_string()];
    check.extend(on(&restored));
    check.push("check-log".to_string());
    let (ok, out, err) = offline(&check.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(ok, "{out}{err}");
    for what in ["live", "restored"] {
        psql(format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            name(what)
        ));
    }
}

// ---------------------------------------------------------------------------
// Rotating the log's key (issue 19): `senim admin rotate-log-key` on a
// stopped register with entries, which then keeps writing, and `senim
// verify` from the old key; forged rotations; a lost key.

/// Runs `senim` with no server.
fn offline(args: &[&str]) -> (bool, String, String) {
    let out = std::process::Command::new(common::SENIM)
        .args(args)
        .env_remove("SENIM_TOKEN")
        .env_remove("SENIM_SERVER")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn register_a_system(server: &Server, token: &str) {
    let (ok, _, err) = senim(
        server,
        Some(token),
        &["system", "register", "--file", EXAMPLE],
        None,
    );
    assert!(ok, "{err}");
}

/// The verifier key printed after `new verifier key: `.
fn printed_key(out: &str, label: &str) -> String {
    out.lines()
        .find_map(|l| l.trim().strip_prefix(label))
        .unwrap_or_else(|| panic!("no `{label}` in {out}"))
        .trim()
        .to_string()
}

#[test]
fn the_log_key_is_rotated_and_verified_from_the_old_key() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_arg = data.to_str().unwrap();
    let state = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let server = start(&["--data-dir", data_arg]);
    let token = login(&server, "developer@hospital.demo");
    register_a_system(&server, &token);
    let (ok, old, err) = offline(&["log", "key", "--data-dir", data_arg]);
    assert!(ok, "{err}");
    let old = old.trim().to_string();
    let kept = state("kept.json");
    let (ok, _, err) = verify(&server, &["--vkey", &old, "--state", &kept]);
    assert!(ok, "{err}");

    // Bad input changes nothing: a key of another name, a lost key that is not.
    drop(server);
    let stranger = dir.path().join("stranger.key");
    std::fs::write(
        &stranger,
        NoteSigner::from_seed("elsewhere.example/log", &[5; 32])
            .unwrap()
            .private_key(),
    )
    .unwrap();
    let before = std::fs::read_to_string(data.join("log.key")).unwrap();
    let (ok, _, err) = offline(&[
        "admin",
        "--data-dir",
        data_arg,
        "rotate-log-key",
        "--new-key",
        stranger.to_str().unwrap(),
    ]);
    assert!(!ok);
    assert!(
        err.contains("new_key") && err.contains("elsewhere.example/log"),
        "{err}"
    );
    assert!(err.contains("nothing was changed"), "{err}");
    let (ok, _, err) = offline(&[
        "admin",
        "--data-dir",
        data_arg,
        "rotate-log-key",
        "--old-key-lost",
    ]);
    assert!(!ok && err.contains("move it aside"), "{err}");
    assert_eq!(
        std::fs::read_to_string(data.join("log.key")).unwrap(),
        before
    );
    assert!(!data.join("log.key.next").exists());

    // The planned rotation, with the server stopped.
    let (ok, out, err) = offline(&["admin", "--data-dir", data_arg, "rotate-log-key"]);
    assert!(ok, "{err}");
    assert!(
        out.contains("signed by the new key and the old one"),
        "{out}"
    );
    let new = printed_key(&out, "new verifier key:");
    assert_eq!(printed_key(&out, "old verifier key:"), old);
    let (ok, current, err) = offline(&["log", "key", "--data-dir", data_arg]);
    assert!(ok, "{err}");
    assert_eq!(current.trim(), new);
    let retired: Vec<_> = std::fs::read_dir(&data)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with("log.key.retired-"))
        .collect();
    assert_eq!(retired.len(), 1, "{retired:?}");
    assert_eq!(
        NoteSigner::parse(&std::fs::read_to_string(data.join(&retired[0])).unwrap())
            .unwrap()
            .verifier_key(),
        old
    );

    // The register keeps writing, under the new key.
    let server = start(&["--data-dir", data_arg]);
    register_a_system(&server, &token);
    let (ok, out, err) = verify(&server, &["--state", &kept]);
    assert!(ok, "{err}");
    assert!(
        out.contains("followed the rotation of the log's key at entry"),
        "{out}"
    );
    assert!(out.contains("consistent with the"), "{out}");
    let state_file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&kept).unwrap()).unwrap();
    assert_eq!(
        state_file["vkey"],
        new.as_str(),
        "the state keeps the current key"
    );
    let (ok, out, err) = verify(&server, &["--state", &kept]);
    assert!(ok && !out.contains("followed"), "{out}{err}");

    // A second rotation, to a key the operator made, for a compromised key:
    // the chain is followed from the first key, with a warning.
    drop(server);
    let third = NoteSigner::from_seed(old.split('+').next().unwrap(), &[6; 32]).unwrap();
    let third_file = dir.path().join("third.key");
    std::fs::write(&third_file, third.private_key()).unwrap();
    let (ok, out, err) = offline(&[
        "admin",
        "--data-dir",
        data_arg,
        "rotate-log-key",
        "--reason",
        "compromised",
        "--new-key",
        third_file.to_str().unwrap(),
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("out of band"), "{out}");
    let server = start(&["--data-dir", data_arg]);
    register_a_system(&server, &token);
    let (ok, out, err) = verify(&server, &["--vkey", &old, "--state", &state("chain.json")]);
    assert!(ok, "{err}");
    assert_eq!(out.matches("followed the rotation").count(), 2, "{out}");
    assert!(
        err.contains("compromised") && err.contains(&third.verifier_key()),
        "{err}"
    );

    // A retired key does not start the server.
    drop(server);
    let old_key_file = data.join(&retired[0]);
    let (ok, _, err) = offline(&[
        "admin",
        "--data-dir",
        data_arg,
        "--log-key-file",
        old_key_file.to_str().unwrap(),
        "check-log",
    ]);
    assert!(!ok && err.contains("was retired"), "{err}");
    let server = start(&["--data-dir", data_arg]);

    // Forgeries, made in the database behind the server's back.
    let rt = runtime();
    let first_rotation: i64 = rt.block_on(async {
        let mut db = sqlite(&data).await;
        sqlx::query("SELECT MIN(idx) AS idx FROM events WHERE kind = 'log.key_rotated'")
            .fetch_one(&mut db)
            .await
            .unwrap()
            .get("idx")
    });
    let (size, note): (i64, String) = rt.block_on(async {
        let mut db = sqlite(&data).await;
        let row = sqlx::query(
            "SELECT size, note FROM log_checkpoints WHERE size > $1 ORDER BY size LIMIT 1",
        )
        .bind(first_rotation)
        .fetch_one(&mut db)
        .await
        .unwrap();
        (row.get("size"), row.get("note"))
    });
    let set_note = |text: String| {
        rt.block_on(async {
            let mut db = sqlite(&data).await;
            sqlx::query("UPDATE log_checkpoints SET note = $1 WHERE size = $2")
                .bind(text)
                .bind(size)
                .execute(&mut db)
                .await
                .unwrap();
        })
    };
    // 1. The old key's co-signature replaced by a stranger's of the same name.
    let body = senim_tlog::note_text(&note).unwrap().to_string();
    let new_line = note.lines().find(|l| l.starts_with('\u{2014}')).unwrap();
    let impostor = NoteSigner::from_seed(old.split('+').next().unwrap(), &[8; 32]).unwrap();
    let impostor_line = impostor.sign(&body).unwrap();
    let impostor_line = impostor_line.rsplit_once("\n\n").unwrap().1;
    set_note(format!("{body}\n{new_line}\n{impostor_line}"));
    let (ok, _, err) = verify(
        &server,
        &["--vkey", &old, "--state", &state("forged1.json")],
    );
    assert!(!ok, "a forged co-signature was followed");
    assert!(
        err.contains(&format!("forged rotation at entry {first_rotation}")),
        "{err}"
    );
    assert!(
        err.contains(&format!("{:08x}", impostor.key_id())),
        "the message names the signer: {err}"
    );
    // 2. The co-signature missing.
    set_note(format!("{body}\n{new_line}\n"));
    let (ok, _, err) = verify(
        &server,
        &["--vkey", &old, "--state", &state("forged2.json")],
    );
    assert!(!ok && err.contains("forged rotation"), "{err}");
    set_note(note.clone());
    let (ok, _, err) = verify(
        &server,
        &["--vkey", &old, "--state", &state("restored.json")],
    );
    assert!(ok, "restored: {err}");
    // 3. A rotation entry that is not the one in the tree.
    let original: String = rt.block_on(async {
        let mut db = sqlite(&data).await;
        let original: String = sqlx::query("SELECT entry FROM events WHERE idx = $1")
            .bind(first_rotation)
            .fetch_one(&mut db)
            .await
            .unwrap()
            .get("entry");
        sqlx::query(
            "UPDATE events SET entry = replace(entry, '\"planned\"', '\"routine\"') WHERE idx = $1",
        )
        .bind(first_rotation)
        .execute(&mut db)
        .await
        .unwrap();
        original
    });
    let (ok, _, err) = verify(
        &server,
        &["--vkey", &old, "--state", &state("forged3.json")],
    );
    assert!(!ok, "an entry outside the tree was followed");
    assert!(
        err.contains(&format!(
            "rotation entry {first_rotation} is not in the checkpoint"
        )),
        "{err}"
    );
    // 4. The rotations hidden from the list: the log's own entries show them.
    rt.block_on(async {
        let mut db = sqlite(&data).await;
        sqlx::query("UPDATE events SET entry = $1, kind = 'hidden' WHERE idx = $2")
            .bind(&original)
            .bind(first_rotation)
            .execute(&mut db)
            .await
            .unwrap();
    });
    let (ok, _, err) = verify(
        &server,
        &[
            "--vkey",
            &third.verifier_key(),
            "--state",
            &state("forged4.json"),
        ],
    );
    assert!(!ok, "a hidden rotation passed");
    assert!(
        err.contains(&format!(
            "rotation of its key at entry {first_rotation} that the server's list"
        )) && err.contains("leaves out"),
        "{err}"
    );
}

/// A lost key: the rotation is signed by the new key alone, and `senim
/// verify` does not follow it from the old key, until the new key is given.
fn a_lost_key_is_replaced(backend: &[&str], data: &std::path::Path, key_file: &std::path::Path) {
    let dir = data.parent().unwrap();
    let state = dir.join("state.json");
    let state = state.to_str().unwrap();
    let server = start(backend);
    let token = login(&server, "developer@hospital.demo");
    register_a_system(&server, &token);
    let old = NoteSigner::parse(&std::fs::read_to_string(key_file).unwrap())
        .unwrap()
        .verifier_key();
    let (ok, _, err) = verify(&server, &["--vkey", &old, "--state", state]);
    assert!(ok, "{err}");
    drop(server);

    std::fs::remove_file(key_file).unwrap();
    // A verifier key that is not the lost one: refused, nothing written.
    let wrong = NoteSigner::from_seed(old.split('+').next().unwrap(), &[9; 32])
        .unwrap()
        .verifier_key();
    let mut refused = vec!["admin"];
    refused.extend_from_slice(backend);
    refused.extend_from_slice(&["rotate-log-key", "--old-key-lost", "--old-vkey", &wrong]);
    let (ok, _, err) = offline(&refused);
    assert!(!ok, "a wrong --old-vkey was accepted");
    assert!(
        err.contains("--old-vkey") && err.contains("not signed"),
        "{err}"
    );
    assert!(!key_file.exists());
    assert!(!senim_store::rotation::staged_key_path(key_file).exists());
    let mut rotate = vec!["admin"];
    rotate.extend_from_slice(backend);
    rotate.extend_from_slice(&["rotate-log-key", "--old-key-lost", "--old-vkey", &old]);
    let (ok, out, err) = offline(&rotate);
    assert!(ok, "{err}");
    assert!(out.contains("the new key alone"), "{out}");
    let new = printed_key(&out, "new verifier key:");
    assert_eq!(
        NoteSigner::parse(&std::fs::read_to_string(key_file).unwrap())
            .unwrap()
            .verifier_key(),
        new
    );

    let server = start(backend);
    register_a_system(&server, &token);
    let (ok, _, err) = verify(&server, &["--state", state]);
    assert!(!ok, "a lost key's rotation was followed from the old key");
    assert!(
        err.contains("out of band") && err.contains("--vkey NEW_KEY"),
        "{err}"
    );
    let (ok, out, err) = verify(&server, &["--state", state, "--vkey", &new]);
    assert!(ok, "{err}");
    assert!(out.contains("consistent with the"), "{out}");
}

#[test]
fn a_lost_key_is_replaced_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let args = ["--data-dir", data.to_str().unwrap()];
    a_lost_key_is_replaced(&args, &data, &data.join("log.key"));
}

#[test]
fn the_log_key_is_rotated_on_postgres() {
    let url = fresh_postgres_url("rotation");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let key = dir.path().join("log.key");
    let args = [
        "--database-url",
        &url,
        "--data-dir",
        data.to_str().unwrap(),
        "--log-key-file",
        key.to_str().unwrap(),
    ];
    let server = start(&args);
    let token = login(&server, "developer@hospital.demo");
    register_a_system(&server, &token);
    let old = NoteSigner::parse(&std::fs::read_to_string(&key).unwrap())
        .unwrap()
        .verifier_key();
    drop(server);
    let mut rotate = vec!["admin"];
    rotate.extend_from_slice(&args);
    rotate.push("rotate-log-key");
    let (ok, out, err) = offline(&rotate);
    assert!(ok, "{err}");
    let new = printed_key(&out, "new verifier key:");
    let server = start(&args);
    register_a_system(&server, &token);
    let state = dir.path().join("state.json");
    let (ok, out, err) = verify(
        &server,
        &["--vkey", &old, "--state", state.to_str().unwrap()],
    );
    assert!(ok, "{err}");
    assert!(out.contains("followed the rotation"), "{out}");
    assert!(out.contains(&new), "{out}");
    drop(server);

    // A lost key, on PostgreSQL.
    let url_lost = fresh_postgres_url("rotation_lost");
    let lost_dir = tempfile::tempdir().unwrap();
    let lost_data = lost_dir.path().join("data");
    let lost_key = lost_dir.path().join("log.key");
    let lost_args = [
        "--database-url",
        &url_lost,
        "--data-dir",
        lost_data.to_str().unwrap(),
        "--log-key-file",
        lost_key.to_str().unwrap(),
    ];
    a_lost_key_is_replaced(&lost_args, &lost_data, &lost_key);
}
