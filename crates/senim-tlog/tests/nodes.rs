//! Proofs from tiles agree with proofs from the whole list of leaves.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;

use proptest::prelude::*;
use senim_tlog::merkle::{consistency_proof, inclusion_proof, leaf_hash, root, Hash};
use senim_tlog::nodes::{
    append_tiles, consistency_ranges, copy_tile, inclusion_ranges, proof_from, range_hash,
    tiles_for,
};

fn leaves(n: u64) -> Vec<Hash> {
    (0..n).map(|i| leaf_hash(&i.to_le_bytes())).collect()
}

/// Builds the tiles of a tree by appending `leaves` in batches of the given sizes.
fn build(leaves: &[Hash], batches: &[usize]) -> HashMap<(u8, u64), Vec<Hash>> {
    let mut tiles: HashMap<(u8, u64), Vec<Hash>> = HashMap::new();
    let mut size = 0usize;
    let mut batches = batches.iter().cycle();
    while size < leaves.len() {
        let step = (*batches.next().unwrap()).max(1).min(leaves.len() - size);
        let written = append_tiles(size as u64, &leaves[size..size + step], |l, i, w| {
            copy_tile(&tiles, l, i, w)
        })
        .unwrap();
        for (l, i, hashes) in written {
            tiles.insert((l, i), hashes);
        }
        size += step;
    }
    tiles
}

#[test]
fn proofs_up_to_600_leaves_match() {
    let all = leaves(600);
    let tiles = build(&all, &[1, 7, 300, 2]);
    // Every size near the tile boundaries, a sample elsewhere.
    for n in (1..=600u64).filter(|n| n % 5 == 0 || (250..=260).contains(n) || *n < 20) {
        let slice = &all[..n as usize];
        assert_eq!(range_hash(&tiles, 0, n).unwrap(), root(slice), "root {n}");
        for i in (0..n).step_by(((n / 20) as usize).max(1)) {
            let ranges = inclusion_ranges(i, n).unwrap();
            assert_eq!(
                proof_from(&tiles, &ranges).unwrap(),
                inclusion_proof(i, slice).unwrap(),
                "inclusion {i} in {n}"
            );
        }
        for old in (0..=n).step_by(((n / 20) as usize).max(1)) {
            let ranges = consistency_ranges(old, n).unwrap();
            assert_eq!(
                proof_from(&tiles, &ranges).unwrap(),
                consistency_proof(old, slice).unwrap(),
                "consistency {old} to {n}"
            );
        }
    }
}

#[test]
fn a_proof_reads_few_tiles() {
    // 70,000 leaves: three tile levels. An inclusion proof needs at most a
    // couple of tiles per level, whatever the index.
    let n = 70_000u64;
    for i in [0, 1, 255, 256, 65_535, 65_536, 69_999] {
        let tiles = tiles_for(&inclusion_ranges(i, n).unwrap());
        assert!(tiles.len() <= 6, "{i}: {tiles:?}");
    }
}

#[test]
fn a_missing_tile_is_named() {
    let tiles: HashMap<(u8, u64), Vec<Hash>> = HashMap::new();
    let err = range_hash(&tiles, 0, 3).unwrap_err();
    assert_eq!((err.level, err.index, err.width), (0, 0, 2));
}

proptest! {
    #[test]
    fn batches_of_any_size_give_the_same_tiles(
        n in 1usize..2000,
        batches in proptest::collection::vec(1usize..700, 1..6),
    ) {
        let all = leaves(n as u64);
        let one_by_one = build(&all, &[n]);
        let batched = build(&all, &batches);
        prop_assert_eq!(one_by_one, batched);
    }
}

#[test]
fn a_tile_tree_answers_every_subtree_of_its_tile() {
    use senim_tlog::nodes::TileTree;
    let hashes = leaves(256);
    let tree = TileTree::new(hashes.clone()).unwrap();
    assert_eq!(tree.hashes(), hashes.as_slice());
    for height in 0..=8u32 {
        let count = 1usize << height;
        for offset in (0..256).step_by(count) {
            assert_eq!(
                tree.subtree(offset, count),
                Some(root(&hashes[offset..offset + count])),
                "{offset}+{count}"
            );
        }
    }
    assert_eq!(tree.subtree(1, 2), None, "not aligned");
    assert_eq!(tree.subtree(0, 3), None, "not a power of two");
    // A partial tile answers its complete subtrees only.
    let partial = TileTree::new(hashes[..150].to_vec()).unwrap();
    assert_eq!(partial.width(), 150);
    assert_eq!(partial.subtree(0, 128), Some(root(&hashes[..128])));
    assert_eq!(partial.subtree(128, 16), Some(root(&hashes[128..144])));
    assert_eq!(
        partial.subtree(144, 8),
        None,
        "beyond the tile's 150 hashes"
    );
    assert!(TileTree::new(Vec::new()).is_none());
    assert!(TileTree::new(leaves(257)).is_none());
}
