//! `senim data push` and `pull` against `senim serve --demo`: chunks,
//! resuming an interrupted upload and a partial download, checksums.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::{Command, Stdio};

use common::{start, Server, SENIM};

/// Runs `senim` with a token and a private state directory.
fn senim(
    server: &Server,
    token: &str,
    state: &std::path::Path,
    args: &[&str],
) -> (bool, String, String) {
    let out = Command::new(SENIM)
        .args(args)
        .env("SENIM_SERVER", &server.url)
        .env("SENIM_TOKEN", token)
        .env("XDG_STATE_HOME", state)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

#[test]
fn push_resumes_and_pull_checks() {
    let data = tempfile::tempdir().unwrap();
    let server = start(&["--data-dir", data.path().to_str().unwrap()]);
    let steward = common::login(&server, "data_steward@hospital.demo");
    let state = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let http = reqwest::Client::new();
    let datasets: serde_json::Value = runtime.block_on(async {
        http.get(format!("{}/api/v1/datasets?q=sepsis", server.url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    let dataset = datasets["items"][0]["id"].as_str().unwrap().to_string();

    // Three chunks of 1 MiB and a bit.
    let bytes: Vec<u8> = (0..(3 << 20) + 12345u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let file = work.path().join("vitals.bin");
    std::fs::write(&file, &bytes).unwrap();
    let (ok, out, err) = senim(
        &server,
        &steward,
        state.path(),
        &[
            "data",
            "push",
            file.to_str().unwrap(),
            "--dataset",
            &dataset,
            "--chunk-mib",
            "1",
        ],
    );
    assert!(ok, "{err}");
    let resource: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(resource["sha256"], sha256(&bytes));
    assert_eq!(resource["size"], bytes.len());

    // An interrupted push: the first chunk went, then the connection dropped.
    let second: Vec<u8> = bytes.iter().rev().copied().collect();
    let file2 = work.path().join("vitals-reversed.bin");
    std::fs::write(&file2, &second).unwrap();
    let upload: serde_json::Value = runtime.block_on(async {
        let declared: serde_json::Value = http
            .post(format!("{}/api/v1/datasets/{dataset}/uploads", server.url))
            .bearer_auth(&steward)
            .json(&serde_json::json!({"name": "vitals-reversed.bin", "size": second.len(), "sha256": sha256(&second)}))
            .send().await.unwrap().json().await.unwrap();
        let r = http
            .patch(format!("{}/api/v1/uploads/{}", server.url, declared["id"].as_str().unwrap()))
            .bearer_auth(&steward)
            .header("Upload-Offset", "0")
            .header("Content-Type", "application/offset+octet-stream")
            .body(second[..1 << 20].to_vec())
            .send().await.unwrap();
        assert_eq!(r.status(), 204);
        declared
    });
    let remembered = state
        .path()
        .join("senim/uploads")
        .join(format!("{dataset}-{}.json", sha256(&second)));
    std::fs::create_dir_all(remembered.parent().unwrap()).unwrap();
    std::fs::write(&remembered, upload["id"].as_str().unwrap()).unwrap();
    let (ok, out, err) = senim(
        &server,
        &steward,
        state.path(),
        &[
            "data",
            "push",
            file2.to_str().unwrap(),
            "--dataset",
            &dataset,
            "--chunk-mib",
            "1",
        ],
    );
    assert!(ok, "{err}");
    assert!(
        err.contains("resuming upload") && err.contains("at 1048576 bytes"),
        "{err}"
    );
    assert!(!remembered.exists(), "a finished push forgets its upload");
    let resumed: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(resumed["sha256"], sha256(&second));

    // Pull, then pull again over a partial copy: it resumes and checks.
    let id = resource["id"].as_str().unwrap();
    let target = work.path().join("pulled.bin");
    let (ok, _, err) = senim(
        &server,
        &steward,
        state.path(),
        &["data", "pull", id, "--out", target.to_str().unwrap()],
    );
    assert!(ok, "{err}");
    assert!(err.contains("SHA-256 checked"), "{err}");
    assert_eq!(std::fs::read(&target).unwrap(), bytes);
    // A file of that name is not overwritten.
    let (ok, _, err) = senim(
        &server,
        &steward,
        state.path(),
        &["data", "pull", id, "--out", target.to_str().unwrap()],
    );
    assert!(!ok && err.contains("exists"), "{err}");
    // An interrupted pull left a partial `.part`: the next one continues it.
    std::fs::remove_file(&target).unwrap();
    let partial = work.path().join("pulled.bin.part");
    std::fs::write(&partial, &bytes[..1_000_000]).unwrap();
    let (ok, _, err) = senim(
        &server,
        &steward,
        state.path(),
        &["data", "pull", id, "--out", target.to_str().unwrap()],
    );
    assert!(ok && err.contains("resuming"), "{err}");
    assert_eq!(std::fs::read(&target).unwrap(), bytes);
    assert!(!partial.exists());
    // A corrupted partial copy is caught by the checksum and dropped.
    std::fs::remove_file(&target).unwrap();
    let mut wrong = bytes[..1_000_000].to_vec();
    wrong[10] ^= 0xff;
    std::fs::write(&partial, &wrong).unwrap();
    let (ok, _, err) = senim(
        &server,
        &steward,
        state.path(),
        &["data", "pull", id, "--out", target.to_str().unwrap()],
    );
    assert!(!ok && err.contains("SHA-256"), "{err}");
    assert!(!target.exists() && !partial.exists());
    // Restricted: a developer without a grant cannot pull.
    let developer = common::login(&server, "developer@bank.demo");
    let (ok, _, err) = senim(
        &server,
        &developer,
        state.path(),
        &[
            "data",
            "pull",
            id,
            "--out",
            work.path().join("x").to_str().unwrap(),
        ],
    );
    assert!(!ok && err.contains("403"), "{err}");
}
