//! Two registers witnessing each other (issue 22, items 1 and 2): two
//! `senim serve` processes with their own log keys and origins, each the
//! other's witness (C2SP tlog-witness) and each asking the other to
//! cosign its checkpoints. Both checkpoints come to carry the other's
//! cosignature, a new write is cosigned from the size last cosigned, and
//! a forked history shown to a witness under the log's real key gets a
//! 409 or a 422, never a cosignature.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::start_exactly;

use senim_tlog::witness::{add_checkpoint_body, CosignatureVerifier, Cosigner};
use senim_tlog::{leaf_hash, Checkpoint, NoteSigner};

/// A free port on the loopback (bound and let go).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Register {
    origin: String,
    port: u16,
    log: NoteSigner,
    witness: Cosigner,
    dir: tempfile::TempDir,
    /// `postgres://...` for a PostgreSQL register (a schema of its own).
    database_url: Option<String>,
}

impl Register {
    fn new(name: &str, seed: u8, postgres: bool) -> Register {
        let origin = format!("{name}.example.kz/senim");
        Register {
            database_url: postgres
                .then(|| common::fresh_postgres_url(&format!("witness_register_{name}"))),
            log: NoteSigner::from_seed(&origin, &[seed; 32]).unwrap(),
            witness: Cosigner::from_seed(&format!("{name}.example.kz/witness"), &[seed + 100; 32])
                .unwrap(),
            origin,
            port: free_port(),
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Its configuration: its own keys, the other's log to witness, the
    /// other as its witness.
    fn config(&self, other: &Register) -> String {
        let path = |name: &str, text: String| {
            let file = self.dir.path().join(name);
            std::fs::write(&file, format!("{text}\n")).unwrap();
            file.display().to_string()
        };
        let log_key = path("log.key", self.log.private_key());
        let witness_key = path("witness.key", self.witness.private_key());
        let config = format!(
            r#"bind = "127.0.0.1:{port}"
data_dir = "{data}"
{database}demo = true
log_origin = "{origin}"
log_key_file = "{log_key}"
cosign_interval_ms = 100

[witness]
name = "{witness_name}"
key_file = "{witness_key}"

[[witness.logs]]
origin = "{other_origin}"
keys = ["{other_log}"]

[[log_witnesses]]
url = "{other_url}/witness"
key = "{other_witness}"
"#,
            port = self.port,
            data = self.dir.path().join("data").display(),
            database = self
                .database_url
                .as_ref()
                .map(|url| format!("database_url = \"{url}\"\n"))
                .unwrap_or_default(),
            origin = self.origin,
            witness_name = self.witness.name(),
            other_origin = other.origin,
            other_log = other.log.verifier_key(),
            other_url = other.url(),
            other_witness = other.witness.verifier_key(),
        );
        path("senim.toml", config)
    }
}

fn get(url: &str) -> (u16, String) {
    common::block_on(async {
        let r = reqwest::get(url).await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    })
}

fn post(url: &str, body: String) -> (u16, String) {
    common::block_on(async {
        let r = reqwest::Client::new()
            .post(url)
            .body(body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    })
}

/// `register`'s checkpoint once it carries `witness`'s cosignature of it,
/// and its size.
fn cosigned(register: &Register, witness: &Register, larger_than: u64) -> (String, u64) {
    let key = CosignatureVerifier::parse(&witness.witness.verifier_key()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (status, note) = get(&format!("{}/log/checkpoint", register.url()));
        if status == 200 {
            let checkpoint = Checkpoint::parse(senim_tlog::note_text(&note).unwrap()).unwrap();
            if checkpoint.size > larger_than && key.verify(&note).is_ok() {
                register.log.verifier().open(&note).unwrap();
                return (note, checkpoint.size);
            }
        }
        assert!(
            Instant::now() < deadline,
            "{} never served a checkpoint cosigned by {}: {note}",
            register.origin,
            witness.origin
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn two_registers_witness_each_other_on_sqlite() {
    two_registers_witness_each_other(false);
}

#[test]
fn two_registers_witness_each_other_on_postgres() {
    two_registers_witness_each_other(true);
}

fn two_registers_witness_each_other(postgres: bool) {
    let a = Register::new("a", 1, postgres);
    let b = Register::new("b", 2, postgres);
    let (config_a, config_b) = (a.config(&b), b.config(&a));
    let server_a = start_exactly(&["--config", &config_a]);
    let mut server_b = start_exactly(&["--config", &config_b]);

    // Each serves its checkpoint with the other's cosignature.
    let (_, size_a) = cosigned(&a, &b, 0);
    let (_, size_b) = cosigned(&b, &a, 0);
    assert!(size_a > 0 && size_b > 0);

    // A write on A (an API token made, a logged change): its next
    // checkpoint is cosigned by B from the size B last cosigned (a
    // consistency proof between them).
    let token = common::login(&server_a, "admin@senim.demo");
    assert!(token.starts_with("senim_"));
    let (note, later) = cosigned(&a, &b, size_a);
    assert!(later > size_a, "{note}");

    // `senim verify` with a trust policy (C2SP tlog-policy): met when B's
    // cosignature is required, refused when a witness that never cosigned
    // is required too; a receipt of A's newest entry carries B's
    // cosignature and meets the policy offline.
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy");
    let b_key = b.witness.verifier_key();
    std::fs::write(&policy, format!("witness B {b_key}\nquorum B\n")).unwrap();
    let stranger = Cosigner::from_seed("c.example.kz/witness", &[77; 32]).unwrap();
    let strict = dir.path().join("strict");
    std::fs::write(
        &strict,
        format!(
            "witness B {b_key}\nwitness C {}\ngroup both all B C\nquorum both\n",
            stranger.verifier_key()
        ),
    )
    .unwrap();
    let a_vkey = a.log.verifier_key();
    let verify = |policy: &std::path::Path, extra: &[&str]| {
        let state = dir.path().join(format!("state-{}", extra.len()));
        let mut args = vec![
            "verify",
            "--vkey",
            &a_vkey,
            "--witness-policy",
            policy.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let state = state.to_str().unwrap().to_string();
        if extra.is_empty() {
            args.extend_from_slice(&["--state", &state]);
        }
        common::senim(&server_a, None, &args, None)
    };
    // (Retried: A's newest checkpoint may be a moment ahead of B.)
    let mut live = verify(&policy, &[]);
    for _ in 0..100 {
        if live.0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        live = verify(&policy, &[]);
    }
    let (ok, out, err) = live;
    assert!(ok, "{out}{err}");
    assert!(out.contains("witnessed by B"), "{out}");
    let (ok, _, err) = verify(&strict, &[]);
    assert!(!ok);
    assert!(
        err.contains("not witnessed") && err.contains("cosigned by B"),
        "{err}"
    );
    // (The newest checkpoint may be a moment ahead of B's cosignature.)
    let b_verifier = CosignatureVerifier::parse(&b_key).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let entry = loop {
        let (_, entry) = get(&format!("{}/api/v1/log/entries/{}", a.url(), later - 1));
        let value: serde_json::Value = serde_json::from_str(&entry).unwrap();
        if b_verifier
            .verify(value["checkpoint"].as_str().unwrap())
            .is_ok()
        {
            break entry;
        }
        assert!(
            Instant::now() < deadline,
            "no receipt with B's cosignature: {entry}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let receipt = dir.path().join("receipt.json");
    std::fs::write(&receipt, &entry).unwrap();
    let (ok, out, err) = verify(&policy, &["--receipt", receipt.to_str().unwrap()]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("witnessed by B"), "{out}");
    let (ok, _, _) = verify(&strict, &["--receipt", receipt.to_str().unwrap()]);
    assert!(!ok);

    // The audit log's page names B among the witnesses.
    let (status, page) = get(&format!("{}/audit-log", a.url()));
    assert_eq!(status, 200);
    assert!(
        page.contains("<td class=\"mono\">b.example.kz/witness</td>"),
        "{page}"
    );

    // How far B is behind A's newest checkpoint is a metric.
    let (_, metrics) = get(&format!("{}/metrics", a.url()));
    assert!(
        metrics.contains("senim_log_witness_lag_entries{witness=\"b.example.kz/witness\"}"),
        "{metrics}"
    );

    // B, as A's witness, holds A's latest cosigned checkpoint for monitors.
    let hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(a.origin.as_bytes()));
    let (status, held) = get(&format!("{}/witness/{hash}/checkpoint", b.url()));
    assert_eq!(status, 200);
    let held_size = Checkpoint::parse(senim_tlog::note_text(&held).unwrap())
        .unwrap()
        .size;
    assert!(held_size >= later, "{held}");

    // A forked history of A, re-signed with A's real key, shown to B: the
    // same size with another root is 422, another old size 409; never a
    // cosignature.
    let fork = Checkpoint {
        origin: a.origin.clone(),
        size: held_size,
        root: leaf_hash(b"another history"),
    };
    let forged = a.log.sign(&fork.body()).unwrap();
    let submit = format!("{}/witness/add-checkpoint", b.url());
    let (status, answer) = post(&submit, add_checkpoint_body(held_size, &[], &forged));
    assert_eq!(status, 422, "{answer}");
    let (status, answer) = post(&submit, add_checkpoint_body(0, &[], &forged));
    assert_eq!(status, 409, "{answer}");
    assert_eq!(answer, format!("{held_size}\n"));
    let grown = Checkpoint {
        origin: a.origin.clone(),
        size: held_size + 5,
        root: leaf_hash(b"another history"),
    };
    let (status, answer) = post(
        &submit,
        add_checkpoint_body(
            held_size,
            &[leaf_hash(b"x")],
            &a.log.sign(&grown.body()).unwrap(),
        ),
    );
    assert_eq!(status, 422, "{answer}");
    // B still holds A's real history.
    let (_, still) = get(&format!("{}/witness/{hash}/checkpoint", b.url()));
    let still = Checkpoint::parse(senim_tlog::note_text(&still).unwrap()).unwrap();
    assert!(still.size >= held_size);
    assert_ne!(still.root, fork.root);

    // B killed (SIGKILL): a write on A is not held up by its witness being
    // gone; B started again on its database cosigns A's next checkpoint
    // from where it was.
    server_b.child.kill().unwrap();
    server_b.child.wait().unwrap();
    let (_, before) = cosigned(&a, &b, 0);
    let started = Instant::now();
    common::login(&server_a, "supervisor@ministry.demo");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the write waited for the witness"
    );
    let _server_b = start_exactly(&["--config", &config_b]);
    let (_, after) = cosigned(&a, &b, before);
    assert!(after > before);

    // A killed (SIGKILL) and started again: the cosignatures it received
    // are kept, and it goes on witnessing B.
    drop(server_a);
    let _server_a = start_exactly(&["--config", &config_a]);
    cosigned(&a, &b, before);
    cosigned(&b, &a, 0);
}

/// `POST /witness/add-checkpoint` over a plain connection (for threads
/// with no runtime): the status and the body, or `None` when the server is
/// gone.
fn post_raw(port: u16, body: &str) -> Option<(u16, String)> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let request = format!(
        "POST /witness/add-checkpoint HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    let status = answer.get(9..12)?.parse().ok()?;
    let (_, text) = answer.split_once("\r\n\r\n")?;
    Some((status, text.to_string()))
}

/// Issue 22, bad input: a witness killed (SIGKILL) during a burst of
/// add-checkpoint calls from four clients, some showing it a forked
/// history under the log's real key, and started again on its database:
/// every size it acknowledged is kept (it never goes back), it never
/// cosigned a root other than the real one, and it goes on from there.
#[test]
fn a_witness_killed_mid_burst_never_goes_back_nor_forks_on_sqlite() {
    killed_mid_burst(None);
}

#[test]
fn a_witness_killed_mid_burst_never_goes_back_nor_forks_on_postgres() {
    killed_mid_burst(Some(common::fresh_postgres_url("witness_burst")));
}

fn killed_mid_burst(database_url: Option<String>) {
    use std::collections::BTreeMap;
    use std::sync::{Arc, Mutex};

    const ORIGIN: &str = "l.example.kz/senim";
    const N: u64 = 600;
    let log = Arc::new(NoteSigner::from_seed(ORIGIN, &[5; 32]).unwrap());
    let leaves: Arc<Vec<[u8; 32]>> = Arc::new(
        (0..N)
            .map(|i| leaf_hash(format!("l {i}").as_bytes()))
            .collect(),
    );
    let fork: Arc<Vec<[u8; 32]>> = Arc::new(
        (0..N)
            .map(|i| leaf_hash(format!("forged {i}").as_bytes()))
            .collect(),
    );
    let witness = Cosigner::from_seed("w.example.kz/witness", &[6; 32]).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let key_file = dir.path().join("witness.key");
    std::fs::write(&key_file, format!("{}\n", witness.private_key())).unwrap();
    let config = dir.path().join("senim.toml");
    std::fs::write(
        &config,
        format!(
            "bind = \"127.0.0.1:{port}\"\ndata_dir = \"{}\"\n{}log_origin = \"w.example.kz/senim\"\n\n[witness]\nname = \"w.example.kz/witness\"\nkey_file = \"{}\"\n\n[[witness.logs]]\norigin = \"{ORIGIN}\"\nkeys = [\"{}\"]\n",
            dir.path().join("data").display(),
            database_url
                .map(|url| format!("database_url = \"{url}\"\n"))
                .unwrap_or_default(),
            key_file.display(),
            log.verifier_key()
        ),
    )
    .unwrap();
    let config = config.to_str().unwrap().to_string();
    let mut server = start_exactly(&["--config", &config]);

    // The request from `old` to `new` leaves of `tree`, signed by the log.
    let body = {
        let log = log.clone();
        move |tree: &[[u8; 32]], old: u64, new: u64| {
            let checkpoint = Checkpoint {
                origin: ORIGIN.into(),
                size: new,
                root: senim_tlog::root(&tree[..new as usize]),
            };
            let proof = if old == 0 || old == new {
                Vec::new()
            } else {
                senim_tlog::consistency_proof(old, &tree[..new as usize]).unwrap()
            };
            add_checkpoint_body(old, &proof, &log.sign(&checkpoint.body()).unwrap())
        }
    };
    // The real history's first checkpoint, so a fork can never be first.
    let (status, _) = post_raw(port, &body(&leaves, 0, 1)).unwrap();
    assert_eq!(status, 200);

    // Sizes acknowledged with a cosignature, and the root each was for.
    let acknowledged: Arc<Mutex<BTreeMap<u64, [u8; 32]>>> = Arc::new(Mutex::new(BTreeMap::new()));
    let mut clients = Vec::new();
    for client in 0..4u64 {
        let (leaves, fork, acknowledged, body) = (
            leaves.clone(),
            fork.clone(),
            acknowledged.clone(),
            body.clone(),
        );
        clients.push(std::thread::spawn(move || {
            let mut old = 1;
            for round in 0u64.. {
                let forged = (round + client) % 4 == 0;
                let tree = if forged { &fork } else { &leaves };
                let new = (old + 1 + (round * 7 + client * 3) % 5).min(N);
                let Some((status, text)) = post_raw(port, &body(tree, old, new)) else {
                    return;
                };
                match status {
                    200 => {
                        assert!(!forged, "a forked history was cosigned at {new}");
                        let root = senim_tlog::root(&tree[..new as usize]);
                        let mut seen = acknowledged.lock().unwrap();
                        if let Some(before) = seen.insert(new, root) {
                            assert_eq!(before, root, "two roots cosigned for size {new}");
                        }
                        old = new;
                    }
                    409 => old = text.trim().parse().unwrap(),
                    422 if forged => {}
                    other => panic!("{other}: {text}"),
                }
                if old >= N {
                    return;
                }
            }
        }));
    }
    // Kill it mid-burst.
    let started = Instant::now();
    while acknowledged.lock().unwrap().len() < 20 && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(5));
    }
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    for client in clients {
        client.join().unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    let (&largest, _) = acknowledged
        .last_key_value()
        .expect("cosignatures before the kill");

    // Started again on its database: it holds at least the largest size it
    // acknowledged, with the real root, and goes on from there.
    let _again = start_exactly(&["--config", &config]);
    let (status, held) = post_raw(port, &body(&leaves, 0, 1)).unwrap();
    assert_eq!(status, 409, "{held}");
    let kept: u64 = held.trim().parse().unwrap();
    assert!(kept >= largest, "kept {kept}, acknowledged {largest}");
    let hash = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(ORIGIN.as_bytes()));
    let (status, note) = get(&format!(
        "http://127.0.0.1:{port}/witness/{hash}/checkpoint"
    ));
    assert_eq!(status, 200);
    let checkpoint = Checkpoint::parse(senim_tlog::note_text(&note).unwrap()).unwrap();
    assert_eq!(checkpoint.size, kept);
    assert_eq!(checkpoint.root, senim_tlog::root(&leaves[..kept as usize]));
    CosignatureVerifier::parse(&witness.verifier_key())
        .unwrap()
        .verify(&note)
        .unwrap();
    if kept < N {
        let (status, answer) = post_raw(port, &body(&leaves, kept, N)).unwrap();
        assert_eq!(status, 200, "{answer}");
    }
}
