//! Senim's certificates checked by a verifier that shares no code with this
//! crate: `tools/ob-verify` (Digital Bazaar's `@digitalbazaar/vc`,
//! `data-integrity`, `eddsa-rdfc-2022-cryptosuite` and
//! `vc-bitstring-status-list` from npm, with jsonld.js and rdf-canonize).
//!
//! Needs `npm ci --prefix tools/ob-verify`. Without it these tests say so and
//! pass, unless `SENIM_REQUIRE_VERIFIERS=1` (as `scripts/test.sh` sets), when
//! they fail.
//!
//! A second verifier, PyPI's `openbadgeslib[ldp]` 4.6.3 (with PyLD), runs
//! `tools/ob-verify/verify_openbadgeslib.py` with the Python named by
//! `SENIM_OB_PYTHON` (default: `~/.cache/senim/venv/bin/python`, the virtual
//! environment `scripts/test.sh` makes), under the same rule.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{certificate, issuer, status, LIST_URL};
use ed25519_dalek::SigningKey;
use senim_badges::{canonicalize, issue, Issuer, Recipient, StatusList};
use serde_json::{json, Value};
use time::macros::datetime;

fn verifier_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/ob-verify")
}

/// Whether a verifier can run (`why_not` is None); fails the test when it
/// cannot but must.
fn ready(verifier: &str, why_not: Option<String>, install: &str) -> bool {
    let Some(why) = why_not else {
        return true;
    };
    if std::env::var("SENIM_REQUIRE_VERIFIERS").as_deref() == Ok("1") {
        panic!("SENIM_REQUIRE_VERIFIERS=1 but {verifier} cannot run: {why} ({install})");
    }
    eprintln!("SKIPPED: {verifier} cannot run: {why}; install it with `{install}`");
    false
}

/// Whether tools/ob-verify's npm packages are installed and node runs.
fn verifier_ready() -> bool {
    let modules = verifier_dir().join("node_modules");
    let node = Command::new("node").arg("--version").output();
    let why_not = if !modules.is_dir() {
        Some(format!("{} is missing", modules.display()))
    } else if !node.is_ok_and(|o| o.status.success()) {
        Some("`node` does not run".to_owned())
    } else {
        None
    };
    ready(
        "the independent verifier",
        why_not,
        "npm ci --prefix tools/ob-verify",
    )
}

fn python() -> PathBuf {
    match std::env::var_os("SENIM_OB_PYTHON") {
        Some(python) => PathBuf::from(python),
        None => Path::new(&std::env::var_os("HOME").unwrap_or_default())
            .join(".cache/senim/venv/bin/python"),
    }
}

/// Whether openbadgeslib (with PyLD) imports in that Python.
fn openbadgeslib_ready() -> bool {
    let out = Command::new(python())
        .args(["-c", "import openbadgeslib.ob3.ldp, pyld"])
        .output();
    let why_not = match out {
        Ok(out) if out.status.success() => None,
        Ok(out) => Some(String::from_utf8_lossy(&out.stderr).trim().to_owned()),
        Err(e) => Some(format!("{}: {e}", python().display())),
    };
    ready(
        "openbadgeslib",
        why_not,
        "pip install 'openbadgeslib[ldp]==4.6.3' into SENIM_OB_PYTHON's environment",
    )
}

fn write(dir: &Path, name: &str, value: &Value) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec_pretty(value).unwrap()).unwrap();
    path
}

fn node(script: &str, args: &[&Path]) -> Output {
    Command::new("node")
        .arg(verifier_dir().join(script))
        .args(args)
        .output()
        .expect("run node")
}

/// Runs a verifier on a credential and a status list: Ok(stdout) when it
/// verifies, Err(stderr) when it refuses.
fn run_verifier(command: &mut Command, credential: &Value, list: &Value) -> Result<String, String> {
    let dir = tempfile::tempdir().unwrap();
    let c = write(dir.path(), "credential.json", credential);
    let l = write(dir.path(), "status-list.json", list);
    let out = command.arg(c).arg(l).output().expect("run the verifier");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    match out.status.code() {
        Some(0) => Ok(stdout),
        Some(1) => Err(stderr),
        other => panic!("{command:?} exited with {other:?}: {stdout}{stderr}"),
    }
}

/// tools/ob-verify/verify.mjs (Digital Bazaar's libraries).
fn independent_verify(credential: &Value, list: &Value) -> Result<String, String> {
    let mut command = Command::new("node");
    command.arg(verifier_dir().join("verify.mjs"));
    run_verifier(&mut command, credential, list)
}

/// tools/ob-verify/verify_openbadgeslib.py (openbadgeslib and PyLD).
fn openbadgeslib_verify(credential: &Value, list: &Value) -> Result<String, String> {
    let mut command = Command::new(python());
    command.arg(verifier_dir().join("verify_openbadgeslib.py"));
    run_verifier(&mut command, credential, list)
}

fn list_credential(issuer: &Issuer, list: &StatusList) -> Value {
    list.credential(issuer, LIST_URL, datetime!(2025-01-15 09:30:00 UTC))
        .unwrap()
}

#[test]
fn accepted_then_refused_after_revocation() {
    if !verifier_ready() {
        return;
    }
    let issuer = issuer();
    let credential = issue(&issuer, &certificate(), &status()).unwrap();
    let mut list = StatusList::new();

    let out = independent_verify(&credential, &list_credential(&issuer, &list))
        .unwrap_or_else(|e| panic!("a fresh certificate was refused: {e}"));
    assert_eq!(out.trim(), "verified");

    list.revoke(status().index).unwrap();
    let err = independent_verify(&credential, &list_credential(&issuer, &list))
        .expect_err("a revoked certificate was accepted");
    assert!(err.contains("revoked"), "{err}");
    assert!(err.contains(&status().index.to_string()), "{err}");

    // Another entry revoked leaves this one valid.
    let mut list = StatusList::new();
    list.revoke(status().index + 1).unwrap();
    independent_verify(&credential, &list_credential(&issuer, &list)).unwrap();
}

#[test]
fn a_recipient_id_and_an_expiry_are_accepted() {
    if !verifier_ready() {
        return;
    }
    let mut input = certificate();
    input.recipient = Recipient::Id("did:example:aigerim".into());
    input.expires = Some(datetime!(2125-01-15 09:30:00 UTC));
    input.achievement.hours = None;
    input.achievement.language = None;
    let credential = issue(&issuer(), &input, &status()).unwrap();
    independent_verify(&credential, &list_credential(&issuer(), &StatusList::new())).unwrap();
}

#[test]
fn tampered_certificates_are_refused() {
    if !verifier_ready() {
        return;
    }
    let issuer = issuer();
    let list = list_credential(&issuer, &StatusList::new());
    let credential = issue(&issuer, &certificate(), &status()).unwrap();

    let mut flipped = credential.clone();
    let value = flipped["proof"]["proofValue"].as_str().unwrap().to_owned();
    let mut signature = bs58::decode(&value[1..]).into_vec().unwrap();
    signature[0] ^= 0x01;
    flipped["proof"]["proofValue"] = json!(format!("z{}", bs58::encode(signature).into_string()));
    let err = independent_verify(&flipped, &list).expect_err("a flipped proof byte was accepted");
    assert!(err.contains("Invalid signature"), "{err}");

    let mut renamed = credential.clone();
    renamed["credentialSubject"]["achievement"]["name"] = json!("Something else");
    let err = independent_verify(&renamed, &list).expect_err("a renamed achievement was accepted");
    assert!(err.contains("Invalid signature"), "{err}");

    let mut redated = credential;
    redated["validFrom"] = json!("2024-01-15T09:30:00Z");
    let err = independent_verify(&redated, &list).expect_err("a changed date was accepted");
    assert!(err.contains("Invalid signature"), "{err}");
}

#[test]
fn a_status_list_from_another_issuer_is_refused() {
    if !verifier_ready() {
        return;
    }
    let credential = issue(&issuer(), &certificate(), &status()).unwrap();
    let stranger = Issuer::new(SigningKey::from_bytes(&[9; 32]), "Stranger", None).unwrap();
    let err = independent_verify(&credential, &list_credential(&stranger, &StatusList::new()))
        .expect_err("a status list signed by someone else was accepted");
    assert!(err.contains("do not match"), "{err}");
}

/// The canonical N-Quads are the ones jsonld.js and rdf-canonize make, byte
/// for byte: for credentials with each optional part and for a status list.
#[test]
fn canonical_form_matches_jsonld_js() {
    if !verifier_ready() {
        return;
    }
    let mut by_id = certificate();
    by_id.recipient = Recipient::Id("https://senim.example.kz/people/42".into());
    by_id.expires = Some(datetime!(2030-01-01 00:00:00 UTC));
    by_id.achievement.hours = None;
    by_id.achievement.achievement_type = None;
    // Characters canonical N-Quads escapes, and some it does not.
    by_id.achievement.description =
        "Line one\nLine \"two\"\t\\ back\u{7}bell\r\u{7f} ✓ Қазақ тілі 😀".into();
    let mut documents = vec![
        issue(&issuer(), &certificate(), &status()).unwrap(),
        issue(&issuer(), &by_id, &status()).unwrap(),
        list_credential(&issuer(), &StatusList::new()),
    ];
    // The proof options as they are signed: the proof without its value, in
    // the document's context.
    let mut proof = documents[0]["proof"].clone();
    proof.as_object_mut().unwrap().remove("proofValue");
    proof["@context"] = documents[0]["@context"].clone();
    documents.push(proof);

    let dir = tempfile::tempdir().unwrap();
    for (i, document) in documents.iter_mut().enumerate() {
        document.as_object_mut().unwrap().remove("proof");
        let path = write(dir.path(), &format!("doc{i}.json"), document);
        let out = node("canonize.mjs", &[&path]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let theirs = String::from_utf8(out.stdout).unwrap();
        assert_eq!(canonicalize(document).unwrap(), theirs, "document {i}");
    }
}

#[test]
fn openbadgeslib_accepts_then_refuses_after_revocation() {
    if !openbadgeslib_ready() {
        return;
    }
    let issuer = issuer();
    let credential = issue(&issuer, &certificate(), &status()).unwrap();
    let mut list = StatusList::new();

    let out = openbadgeslib_verify(&credential, &list_credential(&issuer, &list))
        .unwrap_or_else(|e| panic!("openbadgeslib refused a fresh certificate: {e}"));
    assert_eq!(out.trim(), "verified");

    let mut renamed = credential.clone();
    renamed["credentialSubject"]["achievement"]["name"] = json!("Something else");
    let err = openbadgeslib_verify(&renamed, &list_credential(&issuer, &list))
        .expect_err("openbadgeslib accepted a renamed achievement");
    assert!(err.contains("signature mismatch"), "{err}");

    list.revoke(status().index).unwrap();
    let err = openbadgeslib_verify(&credential, &list_credential(&issuer, &list))
        .expect_err("openbadgeslib accepted a revoked certificate");
    assert!(err.contains("'revocation' is set at index 94567"), "{err}");
}
