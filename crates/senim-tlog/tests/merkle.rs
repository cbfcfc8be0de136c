//! Known answers from RFC 6962's reference test data, and properties of
//! proofs for every tree size and index up to a few hundred.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use senim_tlog::*;

/// The eight entries of the RFC 6962 reference tests (certificate-transparency).
const LEAVES: [&str; 8] = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
];

/// The roots of the first 1..=8 of those entries.
const ROOTS: [&str; 8] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

fn reference_leaves() -> Vec<Hash> {
    LEAVES
        .iter()
        .map(|l| leaf_hash(&hex::decode(l).unwrap()))
        .collect()
}

fn leaves(n: usize) -> Vec<Hash> {
    (0..n)
        .map(|i| leaf_hash(format!("entry {i}").as_bytes()))
        .collect()
}

#[test]
fn empty_tree_root_is_sha256_of_nothing() {
    assert_eq!(
        hex::encode(empty_root()),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(root(&[]), empty_root());
}

#[test]
fn rfc6962_reference_roots() {
    let l = reference_leaves();
    for (n, expected) in ROOTS.iter().enumerate() {
        assert_eq!(
            hex::encode(root(&l[..n + 1])),
            *expected,
            "tree of {} leaves",
            n + 1
        );
    }
}

#[test]
fn rfc6962_reference_proofs_verify() {
    let l = reference_leaves();
    for n in 1..=8usize {
        let r = root(&l[..n]);
        for i in 0..n {
            let proof = inclusion_proof(i as u64, &l[..n]).unwrap();
            assert!(
                verify_inclusion(i as u64, n as u64, &l[i], &proof, &r),
                "leaf {i} of {n}"
            );
        }
        for m in 0..=n {
            let proof = consistency_proof(m as u64, &l[..n]).unwrap();
            assert!(
                verify_consistency(m as u64, n as u64, &root(&l[..m]), &r, &proof),
                "{m} -> {n}"
            );
        }
    }
}

#[test]
fn every_size_and_index_up_to_300() {
    let all = leaves(300);
    let roots: Vec<Hash> = (0..=300).map(|n| root(&all[..n])).collect();
    for n in 1..=300usize {
        for i in 0..n {
            let proof = inclusion_proof(i as u64, &all[..n]).unwrap();
            assert!(verify_inclusion(
                i as u64, n as u64, &all[i], &proof, &roots[n]
            ));
            // The same proof does not place the leaf anywhere else.
            if n > 1 {
                let other = (i + 1) % n;
                assert!(!verify_inclusion(
                    other as u64,
                    n as u64,
                    &all[i],
                    &proof,
                    &roots[n]
                ));
            }
        }
    }
    for n in (1..=300usize).step_by(7) {
        for m in 0..=n {
            let proof = consistency_proof(m as u64, &all[..n]).unwrap();
            assert!(
                verify_consistency(m as u64, n as u64, &roots[m], &roots[n], &proof),
                "{m} -> {n}"
            );
        }
    }
}

#[test]
fn out_of_range_requests_are_errors() {
    let l = leaves(5);
    assert!(inclusion_proof(5, &l).is_err());
    assert!(consistency_proof(6, &l).is_err());
    assert!(!verify_inclusion(5, 5, &l[0], &[], &root(&l)));
    assert!(!verify_consistency(6, 5, &root(&l), &root(&l), &[]));
}

#[test]
fn a_forked_history_is_not_consistent() {
    let honest = leaves(20);
    let mut forked = honest.clone();
    forked[3] = leaf_hash(b"rewritten decision");
    let proof = consistency_proof(10, &honest).unwrap();
    assert!(!verify_consistency(
        10,
        20,
        &root(&forked[..10]),
        &root(&honest),
        &proof
    ));
}

proptest! {
    #[test]
    fn any_altered_inclusion_proof_is_rejected(n in 2usize..200, i_seed in any::<usize>(), which in any::<usize>(), bit in 0usize..256) {
        let l = leaves(n);
        let i = i_seed % n;
        let r = root(&l);
        let mut proof = inclusion_proof(i as u64, &l).unwrap();
        prop_assume!(!proof.is_empty());
        let w = which % proof.len();
        proof[w][bit / 8] ^= 1 << (bit % 8);
        prop_assert!(!verify_inclusion(i as u64, n as u64, &l[i], &proof, &r));
        let mut shorter = inclusion_proof(i as u64, &l).unwrap();
        shorter.pop();
        prop_assert!(!verify_inclusion(i as u64, n as u64, &l[i], &shorter, &r));
    }

    #[test]
    fn any_altered_consistency_proof_is_rejected(n in 3usize..200, m_seed in any::<usize>(), which in any::<usize>(), bit in 0usize..256) {
        let l = leaves(n);
        let m = 1 + m_seed % (n - 1);
        let mut proof = consistency_proof(m as u64, &l).unwrap();
        prop_assume!(!proof.is_empty());
        let w = which % proof.len();
        proof[w][bit / 8] ^= 1 << (bit % 8);
        prop_assert!(!verify_consistency(m as u64, n as u64, &root(&l[..m]), &root(&l), &proof));
        let mut extra = consistency_proof(m as u64, &l).unwrap();
        extra.push(leaf_hash(b"x"));
        prop_assert!(!verify_consistency(m as u64, n as u64, &root(&l[..m]), &root(&l), &extra));
    }
}
