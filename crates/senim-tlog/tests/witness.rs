//! A conformance suite of the witness, written from the text of C2SP
//! `tlog-witness` v1 and `tlog-cosignature` v1: each status the spec gives
//! a request, the byte-exact message a cosignature signs, the layout of a
//! cosignature line, and the spec's own example cosignature.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ed25519_dalek::Verifier as _;
use sha2::{Digest, Sha256};

use senim_tlog::witness::{
    add_checkpoint_body, check, cosigned_message, cosigner_key_id, parse_add_checkpoint,
    CosignatureVerifier, Cosigner, Refusal,
};
use senim_tlog::{consistency_proof, leaf_hash, root, Checkpoint, NoteSigner};

const ORIGIN: &str = "example.kz/senim";

fn log_key() -> NoteSigner {
    NoteSigner::from_seed(ORIGIN, &[7; 32]).unwrap()
}

fn leaves(n: u64) -> Vec<[u8; 32]> {
    (0..n)
        .map(|i| leaf_hash(format!("entry {i}").as_bytes()))
        .collect()
}

/// The log's signed checkpoint of its first `n` leaves.
fn signed(n: u64, key: &NoteSigner) -> String {
    let checkpoint = Checkpoint {
        origin: ORIGIN.into(),
        size: n,
        root: root(&leaves(n)),
    };
    key.sign(&checkpoint.body()).unwrap()
}

/// The request that moves a witness from `old` to `new` leaves.
fn request(old: u64, new: u64) -> String {
    let proof = if old == 0 {
        Vec::new()
    } else {
        consistency_proof(old, &leaves(new)).unwrap()
    };
    add_checkpoint_body(old, &proof, &signed(new, &log_key()))
}

/// The witness's answer to `body` when it last cosigned `latest` leaves.
fn answer(body: &str, latest: Option<u64>) -> Result<u64, Refusal> {
    let req = parse_add_checkpoint(body)?;
    let keys = [log_key().verifier()];
    let origin_known = senim_tlog::witness::checkpoint_of(&req)?.origin == ORIGIN;
    let latest = latest.map(|n| (n, root(&leaves(n))));
    check(&req, origin_known.then_some(&keys[..]), latest).map(|a| a.checkpoint.size)
}

fn status(body: &str, latest: Option<u64>) -> u16 {
    match answer(body, latest) {
        Ok(_) => 200,
        Err(r) => r.status(),
    }
}

#[test]
fn a_consistent_checkpoint_is_accepted_from_the_size_last_cosigned() {
    assert_eq!(answer(&request(0, 5), None), Ok(5));
    assert_eq!(answer(&request(5, 13), Some(5)), Ok(13));
    assert_eq!(
        answer(&request(13, 13), Some(13)),
        Ok(13),
        "the same checkpoint again"
    );
    assert_eq!(answer(&request(0, 0), None), Ok(0), "the empty tree");
}

#[test]
fn an_unknown_origin_is_404() {
    let other = NoteSigner::from_seed("elsewhere.example/log", &[9; 32]).unwrap();
    let checkpoint = Checkpoint {
        origin: "elsewhere.example/log".into(),
        size: 1,
        root: root(&leaves(1)),
    };
    let body = add_checkpoint_body(0, &[], &other.sign(&checkpoint.body()).unwrap());
    assert_eq!(status(&body, None), 404);
}

#[test]
fn a_checkpoint_without_a_valid_signature_by_a_trusted_key_is_403() {
    // Signed by another key under the log's name: ignored, so none trusted.
    let stranger = NoteSigner::from_seed(ORIGIN, &[8; 32]).unwrap();
    let body = add_checkpoint_body(0, &[], &signed(3, &stranger));
    assert_eq!(status(&body, None), 403);
    // The trusted key's name and id, with a signature that fails.
    let good = request(0, 3);
    let forged = good.replace(&root_b64(3), &STANDARD.encode(leaf_hash(b"another root")));
    assert_eq!(status(&forged, None), 403);
}

fn root_b64(n: u64) -> String {
    STANDARD.encode(root(&leaves(n)))
}

#[test]
fn an_old_size_larger_than_the_checkpoint_is_400() {
    let body = add_checkpoint_body(9, &[], &signed(5, &log_key()));
    assert_eq!(status(&body, Some(9)), 400);
}

#[test]
fn an_old_size_other_than_the_last_cosigned_is_409_naming_it() {
    assert_eq!(answer(&request(0, 8), Some(5)), Err(Refusal::Conflict(5)));
    assert_eq!(answer(&request(3, 8), Some(5)), Err(Refusal::Conflict(5)));
    assert_eq!(answer(&request(5, 8), None), Err(Refusal::Conflict(0)));
}

#[test]
fn inconsistent_checkpoints_are_422() {
    // Size 0 with another root.
    let zero = Checkpoint {
        origin: ORIGIN.into(),
        size: 0,
        root: leaf_hash(b"x"),
    };
    let body = add_checkpoint_body(0, &[], &log_key().sign(&zero.body()).unwrap());
    assert_eq!(status(&body, None), 422);
    // A proof with old 0.
    let body = add_checkpoint_body(0, &[leaf_hash(b"x")], &signed(4, &log_key()));
    assert_eq!(status(&body, None), 422);
    // A proof that does not verify.
    let mut proof = consistency_proof(5, &leaves(13)).unwrap();
    proof[0][0] ^= 1;
    let body = add_checkpoint_body(5, &proof, &signed(13, &log_key()));
    assert_eq!(status(&body, Some(5)), 422);
    // A fork: the same size as last cosigned, another root, re-signed with
    // the log's real key.
    let fork = Checkpoint {
        origin: ORIGIN.into(),
        size: 5,
        root: root(&[leaves(4), vec![leaf_hash(b"rewritten")]].concat()),
    };
    let body = add_checkpoint_body(5, &[], &log_key().sign(&fork.body()).unwrap());
    assert_eq!(status(&body, Some(5)), 422);
    // A forked history that grows: its proof does not reach the root cosigned.
    let forked: Vec<_> = [
        leaves(4),
        vec![leaf_hash(b"rewritten")],
        leaves(13)[5..].to_vec(),
    ]
    .concat();
    let grown = Checkpoint {
        origin: ORIGIN.into(),
        size: 13,
        root: root(&forked),
    };
    let proof = consistency_proof(5, &forked).unwrap();
    let body = add_checkpoint_body(5, &proof, &log_key().sign(&grown.body()).unwrap());
    assert_eq!(status(&body, Some(5)), 422);
}

#[test]
fn malformed_requests_are_400() {
    let note = signed(3, &log_key());
    let hash = STANDARD.encode([1u8; 32]);
    for body in [
        format!("old 00\n\n{note}"),
        format!("old 01\n\n{note}"),
        format!("old -1\n\n{note}"),
        format!("old  1\n\n{note}"),
        format!("old\n\n{note}"),
        format!("new 0\n\n{note}"),
        format!("old 0\n{note}"),
        "old 0\n\n".to_string(),
        "old 0".to_string(),
        format!("old 1\nnot base64!\n\n{note}"),
        format!("old 1\n{}\n\n{note}", STANDARD.encode([1u8; 31])),
        format!(
            "old 1\n{}\n{note}",
            (0..64).map(|_| hash.clone()).collect::<Vec<_>>().join("\n")
        ),
        format!("old 0\n\n{}", note.replace('\u{2014}', "-")),
    ] {
        assert_eq!(status(&body, Some(1)), 400, "{body:?}");
    }
    // 63 proof lines are allowed (and then fail as a proof).
    let body = format!(
        "old 1\n{}\n\n{note}",
        (0..63).map(|_| hash.clone()).collect::<Vec<_>>().join("\n")
    );
    assert_eq!(status(&body, Some(1)), 422);
}

#[test]
fn a_cosignature_signs_the_spec_message_byte_for_byte() {
    let witness = Cosigner::from_seed("witness.example.kz/w1", &[3; 32]).unwrap();
    let text = Checkpoint {
        origin: ORIGIN.into(),
        size: 20852163,
        root: root(&leaves(3)),
    }
    .body();
    assert_eq!(
        cosigned_message(&text, 1679315147),
        format!(
            "cosignature/v1\ntime 1679315147\n{ORIGIN}\n20852163\n{}\n",
            root_b64(3)
        )
    );
    let line = witness.cosign(&text, 1679315147);
    let (name, blob) = line
        .strip_prefix("\u{2014} ")
        .unwrap()
        .trim_end_matches('\n')
        .split_once(' ')
        .unwrap();
    assert_eq!(name, "witness.example.kz/w1");
    assert!(line.ends_with('\n'));
    let blob = STANDARD.decode(blob).unwrap();
    assert_eq!(blob.len(), 4 + 8 + 64);
    // The key id: SHA-256(name || "\n" || 0x04 || public key)[:4].
    let public = ed25519_dalek::SigningKey::from_bytes(&[3; 32]).verifying_key();
    let mut h = Sha256::new();
    h.update(b"witness.example.kz/w1\n\x04");
    h.update(public.as_bytes());
    assert_eq!(&blob[..4], &h.finalize()[..4]);
    assert_eq!(
        u32::from_be_bytes(blob[..4].try_into().unwrap()),
        cosigner_key_id("witness.example.kz/w1", public.as_bytes())
    );
    assert_eq!(
        u64::from_be_bytes(blob[4..12].try_into().unwrap()),
        1679315147
    );
    let signature = ed25519_dalek::Signature::from_slice(&blob[12..]).unwrap();
    public
        .verify(cosigned_message(&text, 1679315147).as_bytes(), &signature)
        .unwrap();
    // A verifier configured with the witness's key reads it back from the
    // cosigned checkpoint, beside the log's own line.
    let note = format!("{}{line}", log_key().sign(&text).unwrap());
    let verifier = CosignatureVerifier::parse(&witness.verifier_key()).unwrap();
    assert_eq!(verifier.verify(&note), Ok(1679315147));
    let other = format!(
        "{}{line}",
        log_key()
            .sign(&text.replace("20852163", "20852164"))
            .unwrap()
    );
    assert!(verifier.verify(&other).is_err());
    // Its private key reads back, and is not a note signer's key.
    let again = Cosigner::parse(&witness.private_key()).unwrap();
    assert_eq!(again.verifier_key(), witness.verifier_key());
    assert!(NoteSigner::parse(&witness.private_key()).is_err());
}

/// The cosignature in the spec's own example (`tlog-cosignature`), whose
/// key the spec does not give: its layout reads, and its timestamp is the
/// one of the spec's example signed message.
#[test]
fn the_specs_example_cosignature_reads() {
    let line = "\u{2014} witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==";
    let blob = STANDARD.decode(line.rsplit_once(' ').unwrap().1).unwrap();
    assert_eq!(blob.len(), 4 + 8 + 64);
    assert_eq!(
        u64::from_be_bytes(blob[4..12].try_into().unwrap()),
        1679315147
    );
}
