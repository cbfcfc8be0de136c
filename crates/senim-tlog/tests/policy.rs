//! Trust policies (C2SP `tlog-policy`), from the spec's text: the syntax
//! and its rules, and when a checkpoint counts as witnessed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use senim_tlog::policy::{Policy, PolicyError};
use senim_tlog::witness::Cosigner;
use senim_tlog::{leaf_hash, root, Checkpoint, NoteSigner};

fn log() -> NoteSigner {
    NoteSigner::from_seed("example.kz/senim", &[1; 32]).unwrap()
}

fn witness(n: u8) -> Cosigner {
    Cosigner::from_seed(&format!("w{n}.example"), &[n + 10; 32]).unwrap()
}

/// The log's checkpoint cosigned by the witnesses `by`.
fn note(by: &[u8]) -> String {
    let text = Checkpoint {
        origin: "example.kz/senim".into(),
        size: 3,
        root: root(&[leaf_hash(b"a"), leaf_hash(b"b"), leaf_hash(b"c")]),
    }
    .body();
    let mut note = log().sign(&text).unwrap();
    for n in by {
        note.push_str(&witness(*n).cosign(&text, 1_700_000_000 + u64::from(*n)));
    }
    note
}

/// The spec's example: two of the X witnesses and one of the Y ones.
fn example() -> Policy {
    let w = |n: u8| witness(n).verifier_key();
    Policy::parse(&format!(
        "# the spec's example\nlog {}\n\nwitness X1 {}\nwitness X2 {}\n  witness X3\t{} https://x3.example/\ngroup X-witnesses 2 X1 X2 X3\n\nwitness Y1 {}\nwitness Y2 {}\nwitness Y3 {}\ngroup Y-witnesses any Y1 Y2 Y3\n\ngroup X-and-Y all X-witnesses Y-witnesses\nquorum X-and-Y\n",
        log().verifier_key(),
        w(1), w(2), w(3), w(4), w(5), w(6)
    ))
    .unwrap()
}

#[test]
fn the_specs_example_quorum_needs_two_x_and_one_y() {
    let policy = example();
    assert_eq!(policy.check(&note(&[1, 3, 5])).unwrap(), ["X1", "X3", "Y2"]);
    assert_eq!(
        policy.check(&note(&[1, 4, 5, 6])),
        Err(PolicyError::NotWitnessed {
            cosigned: vec!["X1".into(), "Y1".into(), "Y2".into(), "Y3".into()]
        })
    );
    assert!(policy.check(&note(&[1, 2])).is_err(), "no Y");
    // A cosignature over another checkpoint does not count.
    let other = note(&[1, 2, 4]).replace("\n3\n", "\n4\n");
    assert!(policy.check(&other).is_err());
    // Another log's checkpoint is refused whatever its cosignatures.
    let stranger = NoteSigner::from_seed("example.kz/senim", &[2; 32]).unwrap();
    let text = senim_tlog::note_text(&note(&[])).unwrap().to_string();
    let mut forged = stranger.sign(&text).unwrap();
    for n in [1, 2, 4] {
        forged.push_str(&witness(n).cosign(&text, 1_700_000_000));
    }
    assert_eq!(policy.check(&forged), Err(PolicyError::UnknownLog));
}

#[test]
fn quorum_none_and_a_single_witness() {
    let none = Policy::parse("quorum none\n").unwrap();
    assert_eq!(none.check(&note(&[])).unwrap(), Vec::<String>::new());
    let one = Policy::parse(&format!(
        "witness W {}\nquorum W\n",
        witness(7).verifier_key()
    ))
    .unwrap();
    assert!(one.check(&note(&[])).is_err());
    assert_eq!(one.check(&note(&[7])).unwrap(), ["W"]);
}

#[test]
fn policies_that_break_the_specs_rules_do_not_read() {
    let w = |n: u8| witness(n).verifier_key();
    for (text, why) in [
        (String::new(), "no quorum"),
        (
            format!("witness A {}\nquorum A\nquorum A\n", w(1)),
            "two quorums",
        ),
        ("quorum A\n".to_string(), "undefined"),
        (
            format!("group G any A\nwitness A {}\nquorum G\n", w(1)),
            "defined after",
        ),
        (
            format!("witness A {}\nwitness A {}\nquorum A\n", w(1), w(2)),
            "a name twice",
        ),
        (
            format!("witness A {}\nwitness B {}\nquorum A\n", w(1), w(1)),
            "a key twice",
        ),
        (
            format!("witness A {}\ngroup G any A A\nquorum G\n", w(1)),
            "a member twice",
        ),
        (
            format!("witness A {}\ngroup G 2 A\nquorum G\n", w(1)),
            "k > n",
        ),
        (
            format!("witness A {}\ngroup G 0 A\nquorum G\n", w(1)),
            "k = 0",
        ),
        (
            format!("witness A {}\ngroup G 01 A\nquorum G\n", w(1)),
            "leading zero",
        ),
        (
            format!("witness none {}\nquorum none\n", w(1)),
            "none defined",
        ),
        (
            format!("witness A {}\nquorum A\n", log().verifier_key()),
            "a log key as a witness",
        ),
        (
            format!("log {}\nquorum none\n", w(1)),
            "a witness key as a log",
        ),
        ("frobnicate\nquorum none\n".to_string(), "an unknown line"),
    ] {
        assert!(Policy::parse(&text).is_err(), "{why}: {text}");
    }
}
