//! The public audit log over HTTP: receipts on writes, tlog-tiles, proofs.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use reqwest::Method;
use senim_domain::api::{LogEntry, Receipt};
use senim_tlog::{
    decode_bundle, leaf_hash, root, verify_consistency, verify_inclusion, Checkpoint, Hash,
    NoteVerifier, Tile,
};

use crate::helpers::{error_fields, system_json, TestApp, Who};

crate::on_both_backends!(
    every_write_carries_a_receipt_that_verifies,
    the_tiles_rebuild_the_signed_tree,
    proofs_are_served_and_bad_requests_name_the_field,
);

fn hash(text: &str) -> Hash {
    STANDARD.decode(text).unwrap().try_into().unwrap()
}

fn hashes(texts: &[String]) -> Vec<Hash> {
    texts.iter().map(|t| hash(t)).collect()
}

async fn verifier(app: &TestApp) -> NoteVerifier {
    let r = app.http.get(app.url("/log/key")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    NoteVerifier::parse(r.text().await.unwrap().trim()).unwrap()
}

async fn checkpoint(app: &TestApp, verifier: &NoteVerifier) -> Checkpoint {
    let r = app
        .http
        .get(app.url("/log/checkpoint"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-cache");
    let note = r.text().await.unwrap();
    Checkpoint::parse(verifier.open(&note).unwrap()).unwrap()
}

fn receipt_of(response: &reqwest::Response) -> Receipt {
    let header = response
        .headers()
        .get("senim-receipt")
        .expect("a write's response carries a receipt");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header.as_bytes()).unwrap()).unwrap()
}

async fn every_write_carries_a_receipt_that_verifies(app: TestApp) {
    let verifier = verifier(&app).await;
    let r = app
        .request(Who::Developer, Method::POST, "/api/v1/systems")
        .json(&system_json("Receipted triage"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let receipt = receipt_of(&r);
    let at = Checkpoint::parse(verifier.open(&receipt.checkpoint).unwrap()).unwrap();
    assert_eq!(at.size, receipt.size);
    assert!(verify_inclusion(
        receipt.index,
        receipt.size,
        &hash(&receipt.leaf_hash),
        &hashes(&receipt.inclusion_proof),
        &at.root
    ));

    // The entry behind it: the public event, with the confidential
    // documentation only as a digest.
    let entry: LogEntry = app
        .read(
            Who::Anonymous,
            &format!("/api/v1/log/entries/{}", receipt.index),
        )
        .await
        .pipe(serde_json::from_value)
        .unwrap();
    assert_eq!(entry.leaf_hash, receipt.leaf_hash);
    assert_eq!(
        STANDARD.encode(leaf_hash(entry.entry.as_bytes())),
        receipt.leaf_hash
    );
    let event: serde_json::Value = serde_json::from_str(&entry.entry).unwrap();
    assert_eq!(event["kind"], "system.created");
    assert_eq!(event["actor"]["roles"][0], "developer");
    assert!(!entry.entry.contains("confidential"), "{}", entry.entry);
    assert!(!entry.entry.contains("Under-triage"), "{}", entry.entry);
    assert_eq!(event["private"]["version"].as_str().unwrap().len(), 64);

    // A refused write gets no receipt; a read gets none either.
    let refused = app
        .request(Who::Anonymous, Method::POST, "/api/v1/systems")
        .json(&system_json("Anonymous"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    assert!(refused.headers().get("senim-receipt").is_none());
    let read = app
        .request(Who::Anonymous, Method::GET, "/api/v1/systems")
        .send()
        .await
        .unwrap();
    assert!(read.headers().get("senim-receipt").is_none());

    // Later writes extend the same history.
    let org = app
        .request(Who::Administrator, Method::POST, "/api/v1/organisations")
        .json(&crate::helpers::org_json("Logged Lab", "05064000037"))
        .send()
        .await
        .unwrap();
    assert_eq!(org.status(), 201);
    let later = receipt_of(&org);
    assert!(later.index > receipt.index);
    let newest = checkpoint(&app, &verifier).await;
    let proof: serde_json::Value = app
        .read(
            Who::Anonymous,
            &format!(
                "/api/v1/log/proof/consistency?old={}&new={}",
                receipt.size, newest.size
            ),
        )
        .await;
    let proof: Vec<String> = serde_json::from_value(proof["proof"].clone()).unwrap();
    assert!(verify_consistency(
        receipt.size,
        newest.size,
        &at.root,
        &newest.root,
        &hashes(&proof)
    ));
}

trait Pipe: Sized {
    fn pipe<T>(self, f: impl FnOnce(Self) -> T) -> T {
        f(self)
    }
}
impl<T> Pipe for T {}

async fn get_bytes(app: &TestApp, path: &str) -> (u16, Vec<u8>) {
    let r = app.http.get(app.url(path)).send().await.unwrap();
    let status = r.status().as_u16();
    if status == 200 {
        assert!(r.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable"));
    }
    (status, r.bytes().await.unwrap().to_vec())
}

async fn the_tiles_rebuild_the_signed_tree(app: TestApp) {
    for i in 0..5 {
        app.system_named(&format!("Tiled {i}")).await;
    }
    let verifier = verifier(&app).await;
    let cp = checkpoint(&app, &verifier).await;
    assert!(
        cp.size > 5,
        "the demo accounts and systems are logged: {}",
        cp.size
    );
    let mut leaves = Vec::new();
    for tile in Tile::for_tree(cp.size).into_iter().filter(|t| t.level == 0) {
        let (status, bundle) = get_bytes(&app, &format!("/log/{}", tile.entries_path())).await;
        assert_eq!(status, 200, "{}", tile.entries_path());
        let entries = decode_bundle(&bundle).unwrap();
        assert_eq!(entries.len(), usize::from(tile.width));
        let (status, hashes) = get_bytes(&app, &format!("/log/{}", tile.path())).await;
        assert_eq!(status, 200);
        for (entry, stored) in entries.iter().zip(hashes.chunks_exact(32)) {
            assert_eq!(leaf_hash(entry), stored);
            leaves.push(leaf_hash(entry));
        }
    }
    assert_eq!(root(&leaves), cp.root);
    // A narrower partial tile is a prefix; a wider or full one that does not
    // exist yet is not served; nonsense paths are not found.
    let (status, narrow) = get_bytes(&app, "/log/tile/0/000.p/2").await;
    assert_eq!((status, narrow.len()), (200, 64));
    assert_eq!(narrow[..32], leaves[0]);
    assert_eq!(get_bytes(&app, "/log/tile/0/000").await.0, 404);
    assert_eq!(get_bytes(&app, "/log/tile/entries/001.p/3").await.0, 404);
    for bad in [
        "/log/tile/0/1",
        "/log/tile/x/000",
        "/log/tile/0/000.p/0",
        "/log/tile/0/000.p/256",
        "/log/tile/0/x000/000",
        "/log/tile/entries/x072/x057/x594/x037/x927/936",
    ] {
        assert_eq!(get_bytes(&app, bad).await.0, 404, "{bad}");
    }
}

async fn proofs_are_served_and_bad_requests_name_the_field(app: TestApp) {
    app.system_named("Proved").await;
    let verifier = verifier(&app).await;
    let cp = checkpoint(&app, &verifier).await;
    let entry: LogEntry = serde_json::from_value(
        app.read(
            Who::Anonymous,
            &format!("/api/v1/log/entries/{}", cp.size - 1),
        )
        .await,
    )
    .unwrap();
    let r = app
        .request(
            Who::Anonymous,
            Method::GET,
            &format!("/api/v1/log/proof/inclusion?index=0&size={}", cp.size),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(entry.size, cp.size);
    assert!(verify_inclusion(
        entry.index,
        cp.size,
        &hash(&entry.leaf_hash),
        &hashes(&entry.inclusion_proof),
        &cp.root
    ));
    let beyond = app
        .request(
            Who::Anonymous,
            Method::GET,
            &format!("/api/v1/log/proof/inclusion?index=0&size={}", cp.size + 10),
        )
        .send()
        .await
        .unwrap();
    let (status, _, fields) = error_fields(beyond).await;
    assert_eq!(status, 422);
    assert_eq!(fields[0].0, "size");
    let garbled = app
        .request(
            Who::Anonymous,
            Method::GET,
            "/api/v1/log/proof/consistency?old=x&new=2",
        )
        .send()
        .await
        .unwrap();
    let (status, _, fields) = error_fields(garbled).await;
    assert_eq!(status, 422);
    assert_eq!(fields[0].0, "old");
    let missing = app
        .request(
            Who::Anonymous,
            Method::GET,
            &format!("/api/v1/log/entries/{}", cp.size),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let word = app
        .request(Who::Anonymous, Method::GET, "/api/v1/log/entries/first")
        .send()
        .await
        .unwrap();
    let (status, _, fields) = error_fields(word).await;
    assert_eq!((status, fields[0].0.as_str()), (422, "index"));
}
