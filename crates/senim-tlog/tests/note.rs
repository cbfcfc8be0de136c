//! Signed notes against the known answer of Go's `sumdb/note` tests and the
//! example of the C2SP specification, and
//! checkpoints.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use senim_tlog::{leaf_hash, root, Checkpoint, NoteError, NoteSigner, NoteVerifier};

const SKEY: &str = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const TEXT: &str = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const SIGNATURE: &str = "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

#[test]
fn go_sumdb_note_known_answer() {
    let signer = NoteSigner::parse(SKEY).unwrap();
    assert_eq!(signer.verifier_key(), VKEY);
    assert_eq!(signer.private_key(), SKEY);
    let note = signer.sign(TEXT).unwrap();
    assert_eq!(
        note,
        format!("{TEXT}\n{SIGNATURE}"),
        "Ed25519 signing is deterministic"
    );
    let verifier = NoteVerifier::parse(VKEY).unwrap();
    assert_eq!(verifier.open(&note).unwrap(), TEXT);
}

#[test]
fn changed_text_and_bad_keys_are_refused() {
    let verifier = NoteVerifier::parse(VKEY).unwrap();
    let note = format!("{TEXT}\n{SIGNATURE}");
    let forged = note.replace("cryptography", "cryptographY");
    assert_eq!(
        verifier.open(&forged),
        Err(NoteError::BadSignature("PeterNeumann".into()))
    );
    let other = NoteSigner::from_seed("PeterNeumann", &[7; 32]).unwrap();
    let by_other = other.sign(TEXT).unwrap();
    assert_eq!(
        verifier.open(&by_other),
        Err(NoteError::UnknownKey),
        "same name, different key id"
    );
    assert!(NoteVerifier::parse(
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
    )
    .is_err());
    assert!(NoteVerifier::parse("nonsense").is_err());
    assert!(verifier.open("no signatures at all\n").is_err());
    assert!(NoteSigner::parse(SKEY)
        .unwrap()
        .sign("no final newline")
        .is_err());
}

#[test]
fn checkpoint_round_trips_and_signs() {
    let leaves: Vec<_> = (0..5).map(|i| leaf_hash(&[i])).collect();
    let cp = Checkpoint {
        origin: "senim.example.kz/log".into(),
        size: 5,
        root: root(&leaves),
    };
    let body = cp.body();
    assert_eq!(body.lines().count(), 3);
    assert_eq!(Checkpoint::parse(&body).unwrap(), cp);
    let signer = NoteSigner::from_seed("senim.example.kz/log", &[1; 32]).unwrap();
    let note = signer.sign(&body).unwrap();
    let verifier = NoteVerifier::parse(&signer.verifier_key()).unwrap();
    assert_eq!(
        Checkpoint::parse(verifier.open(&note).unwrap()).unwrap(),
        cp
    );
    assert!(
        Checkpoint::parse("origin\n0012\nAAAA\n").is_err(),
        "sizes have no leading zeros"
    );
    assert!(Checkpoint::parse("origin\n12\nnot-base64\n").is_err());
}

/// The example note of the C2SP signed-note specification. Its public key is
/// not published, so the vector checks the format rules around it: the text
/// (which has a blank line of its own) ends at the last blank line, and a
/// signature by an unknown key is ignored, not an error, when a known key
/// also signed.
const C2SP_EXAMPLE: &str = "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned \u{e8} subito sera.\n\n\u{2014} quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n";

#[test]
fn c2sp_specification_example() {
    let text = "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned \u{e8} subito sera.\n";
    // Nobody here holds quasimodo's key: a verifier with that name but
    // another key finds no signature of its own.
    let stranger = NoteSigner::from_seed("quasimodo.example/salvatore", &[1; 32]).unwrap();
    let stranger = NoteVerifier::parse(&stranger.verifier_key()).unwrap();
    assert_eq!(stranger.open(C2SP_EXAMPLE), Err(NoteError::UnknownKey));
    // A second signature on the same text: ours verifies, theirs is skipped.
    let ours = NoteSigner::from_seed("senim.test/log", &[2; 32]).unwrap();
    let our_line = ours.sign(text).unwrap();
    let cosigned = format!("{C2SP_EXAMPLE}{}", our_line.rsplit_once("\n\n").unwrap().1);
    let verifier = NoteVerifier::parse(&ours.verifier_key()).unwrap();
    assert_eq!(verifier.open(&cosigned).unwrap(), text);
    // The key id in the example's signature is its first four bytes.
    let blob = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD
            .decode(C2SP_EXAMPLE.rsplit_once(' ').unwrap().1.trim())
            .unwrap()
    };
    assert_eq!(blob.len(), 4 + 64, "a key id and an Ed25519 signature");
}
