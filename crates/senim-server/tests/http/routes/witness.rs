//! Senim as a witness (issue 22, item 1, C2SP `tlog-witness` v1) over
//! HTTP: a peer log's checkpoints cosigned from the size last cosigned,
//! each refusal with the spec's status and a one-line reason, nothing kept
//! from a refused request, racing requests never rolling the size back,
//! and monitors reading the latest cosigned checkpoint.

use reqwest::Method;
use sha2::{Digest, Sha256};

use senim_tlog::witness::{add_checkpoint_body, CosignatureVerifier, Cosigner};
use senim_tlog::{consistency_proof, leaf_hash, root, Checkpoint, NoteSigner};

use crate::helpers::{Backend, TestApp};

const PEER: &str = "peer.example.kz/senim";

fn peer_key() -> NoteSigner {
    NoteSigner::from_seed(PEER, &[11; 32]).unwrap()
}

fn leaves(n: u64) -> Vec<[u8; 32]> {
    (0..n)
        .map(|i| leaf_hash(format!("peer entry {i}").as_bytes()))
        .collect()
}

fn signed(n: u64) -> String {
    let checkpoint = Checkpoint {
        origin: PEER.into(),
        size: n,
        root: root(&leaves(n)),
    };
    peer_key().sign(&checkpoint.body()).unwrap()
}

/// The request moving the witness from `old` to `new` leaves of the peer.
fn request(old: u64, new: u64) -> String {
    let proof = if old == 0 || old == new {
        Vec::new()
    } else {
        consistency_proof(old, &leaves(new)).unwrap()
    };
    add_checkpoint_body(old, &proof, &signed(new))
}

async fn app(backend: Backend) -> TestApp {
    crate::helpers::spawn_app_with(backend, |c| {
        c.witness = senim_app::witness::WitnessConfig {
            name: Some("witness.senim.kz/w1".into()),
            key_file: None,
            logs: vec![senim_app::witness::WitnessedLog {
                origin: PEER.into(),
                keys: vec![peer_key().verifier_key()],
            }],
        };
    })
    .await
}

/// Posts `body`: the status, the content type, the body.
async fn post(app: &TestApp, body: impl Into<reqwest::Body>) -> (u16, String, String) {
    let r = app
        .http
        .request(Method::POST, app.url("/witness/add-checkpoint"))
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let kind = r.headers()[reqwest::header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_string();
    (status, kind, r.text().await.unwrap())
}

async fn monitored(app: &TestApp) -> (u16, String) {
    let hash = hex::encode(Sha256::digest(PEER.as_bytes()));
    let r = app
        .http
        .get(app.url(&format!("/witness/{hash}/checkpoint")))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn a_peer_logs_checkpoints_are_witnessed(backend: Backend) {
    let app = app(backend).await;
    let key = std::fs::read_to_string(app.files.path().join("witness.key")).unwrap();
    let witness =
        CosignatureVerifier::parse(&Cosigner::parse(&key).unwrap().verifier_key()).unwrap();
    assert_eq!(witness.name(), "witness.senim.kz/w1");
    assert!(
        !key.contains(&app.store.log_signer().private_key()),
        "the witness's key is not the log's"
    );
    assert_eq!(monitored(&app).await.0, 404, "nothing cosigned yet");

    // The first checkpoint, from 0; then one from its size.
    let (status, kind, line) = post(&app, request(0, 5)).await;
    assert_eq!(
        (status, kind.as_str()),
        (200, "text/plain; charset=utf-8"),
        "{line}"
    );
    assert!(line.starts_with("\u{2014} witness.senim.kz/w1 ") && line.ends_with('\n'));
    let time = witness.verify(&format!("{}{line}", signed(5))).unwrap();
    assert!(time > 0);
    let (status, _, line) = post(&app, request(5, 13)).await;
    assert_eq!(status, 200, "{line}");
    witness.verify(&format!("{}{line}", signed(13))).unwrap();

    // Monitors read it with the peer's signature and the cosignature.
    let (status, note) = monitored(&app).await;
    assert_eq!(status, 200);
    assert!(note.starts_with(&signed(13)), "{note}");
    witness.verify(&note).unwrap();
    peer_key().verifier().open(&note).unwrap();

    // Each refusal: the spec's status, one line, nothing kept.
    let fork = Checkpoint {
        origin: PEER.into(),
        size: 13,
        root: leaf_hash(b"another history"),
    };
    let other = NoteSigner::from_seed("elsewhere.example/log", &[12; 32]).unwrap();
    let elsewhere = Checkpoint {
        origin: "elsewhere.example/log".into(),
        size: 1,
        root: leaf_hash(b"x"),
    };
    let stranger = NoteSigner::from_seed(PEER, &[13; 32]).unwrap();
    for (body, expected) in [
        (
            add_checkpoint_body(0, &[], &other.sign(&elsewhere.body()).unwrap()),
            404,
        ),
        (
            add_checkpoint_body(13, &[], &stranger.sign(&fork.body()).unwrap()),
            403,
        ),
        (add_checkpoint_body(20, &[], &signed(14)), 400),
        (
            add_checkpoint_body(13, &[], &peer_key().sign(&fork.body()).unwrap()),
            422,
        ),
        (format!("old 013\n\n{}", signed(14)), 400),
        ("old 13\n".to_string(), 400),
        ("x".repeat(70_000), 400),
    ] {
        let (status, kind, reason) = post(&app, body.clone()).await;
        assert_eq!(status, expected, "{body:.80}: {reason}");
        assert_eq!(kind, "text/plain; charset=utf-8");
        assert!(
            reason.ends_with('\n') && reason.lines().count() == 1,
            "{reason:?}"
        );
    }
    let (status, _, _) = post(&app, vec![0xff, 0xfe, b'\n']).await;
    assert_eq!(status, 400, "not UTF-8");

    // An old size that is not the one last cosigned: 409, naming it.
    let (status, kind, body) = post(&app, request(5, 14)).await;
    assert_eq!(
        (status, kind.as_str(), body.as_str()),
        (409, "text/x.tlog.size", "13\n")
    );
    let (status, _, body) = post(&app, request(0, 14)).await;
    assert_eq!((status, body.as_str()), (409, "13\n"));
    assert!(
        monitored(&app).await.1.starts_with(&signed(13)),
        "nothing kept"
    );

    // Racing requests from 13: exactly one moves it; the others learn the
    // new size; it never goes back.
    let mut racing = Vec::new();
    for new in [20, 17, 30, 14, 25, 18] {
        let app = &app;
        racing.push(async move { (new, post(app, request(13, new)).await) });
    }
    let answers = futures::future::join_all(racing).await;
    let won: Vec<u64> = answers
        .iter()
        .filter(|(_, (status, _, _))| *status == 200)
        .map(|(new, _)| *new)
        .collect();
    assert_eq!(won.len(), 1, "{answers:?}");
    for (_, (status, _, body)) in &answers {
        if *status != 200 {
            assert_eq!((*status, body.clone()), (409, format!("{}\n", won[0])));
        }
    }
    assert!(monitored(&app).await.1.starts_with(&signed(won[0])));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_logs_checkpoints_are_witnessed_on_sqlite() {
    a_peer_logs_checkpoints_are_witnessed(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_logs_checkpoints_are_witnessed_on_postgres() {
    a_peer_logs_checkpoints_are_witnessed(Backend::Postgres).await;
}

/// A register that witnesses no log has no witness key and answers 404.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_register_that_witnesses_nothing_says_so() {
    let app = crate::helpers::spawn_app_with(Backend::Sqlite, |_| {}).await;
    let (status, _, reason) = post(&app, request(0, 3)).await;
    assert_eq!(status, 404, "{reason}");
    assert!(!app.files.path().join("witness.key").exists());
}
