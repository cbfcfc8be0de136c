//! Tile paths as C2SP `tlog-tiles` writes them, and tile contents that
//! rebuild the same roots as the Merkle tree.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use senim_tlog::{decode_bundle, encode_bundle, leaf_hash, node_hash, root, Hash, Tile};

#[test]
fn paths_group_the_index_by_three_digits() {
    let t = |level, index, width| Tile {
        level,
        index,
        width,
    };
    assert_eq!(t(0, 1_234_067, 256).path(), "tile/0/x001/x234/067");
    assert_eq!(t(1, 5, 256).path(), "tile/1/005");
    assert_eq!(t(2, 1_000, 7).path(), "tile/2/x001/000.p/7");
    assert_eq!(
        t(0, 1_234_067, 8).entries_path(),
        "tile/entries/x001/x234/067.p/8"
    );
    for tile in [t(0, 1_234_067, 256), t(3, 0, 1), t(1, 999, 255)] {
        assert_eq!(Tile::parse(&tile.path()), Some((Some(tile.level), tile)));
        assert_eq!(
            Tile::parse(&tile.entries_path()),
            Some((None, Tile { level: 0, ..tile }))
        );
    }
    for bad in [
        "tile/0/1234067",
        "tile/0/x01/067",
        "tile/0/067.p/256",
        "tile/0/067.p/0",
        "tile/01/067",
        "tile/0/067.p/07",
        "tiles/0/067",
    ] {
        assert_eq!(Tile::parse(bad), None, "{bad}");
    }
}

#[test]
fn a_tree_has_the_tiles_its_size_needs() {
    assert!(Tile::for_tree(0).is_empty());
    assert_eq!(
        Tile::for_tree(3),
        vec![Tile {
            level: 0,
            index: 0,
            width: 3
        }]
    );
    let tiles = Tile::for_tree(256 * 3 + 5);
    assert_eq!(tiles.len(), 5, "{tiles:?}");
    assert_eq!(
        tiles[3],
        Tile {
            level: 0,
            index: 3,
            width: 5
        }
    );
    assert_eq!(
        tiles[4],
        Tile {
            level: 1,
            index: 0,
            width: 3
        }
    );
}

#[test]
fn level_one_hashes_are_roots_of_full_level_zero_tiles() {
    let leaves: Vec<Hash> = (0..(256 * 2 + 9))
        .map(|i: u32| leaf_hash(&i.to_be_bytes()))
        .collect();
    let l0 = Tile {
        level: 0,
        index: 1,
        width: 256,
    }
    .hashes(&leaves);
    assert_eq!(l0, leaves[256..512].to_vec());
    let l1 = Tile {
        level: 1,
        index: 0,
        width: 2,
    }
    .hashes(&leaves);
    assert_eq!(l1, vec![root(&leaves[..256]), root(&leaves[256..512])]);
    // The root of the first 512 leaves follows from the level-1 tile alone.
    assert_eq!(node_hash(&l1[0], &l1[1]), root(&leaves[..512]));
}

#[test]
fn bundles_round_trip_and_truncation_is_detected() {
    let entries: Vec<&[u8]> = vec![b"", b"{\"kind\":\"system.created\"}", &[0u8; 300]];
    let bundle = encode_bundle(&entries).unwrap();
    let back = decode_bundle(&bundle).unwrap();
    assert_eq!(
        back.iter().map(|e| e.as_slice()).collect::<Vec<_>>(),
        entries
    );
    assert!(decode_bundle(&bundle[..bundle.len() - 1]).is_none());
    assert!(
        encode_bundle(&[&[0u8; 70_000]]).is_none(),
        "entries are at most 64 KiB"
    );
}

#[test]
fn a_tile_beyond_the_tree_has_no_hashes() {
    let leaves: Vec<Hash> = (0..10u8).map(|i| leaf_hash(&[i])).collect();
    // No log has a tile this far out (its first entry would be past 2^64);
    // its path names nothing, and such a tile has no hashes.
    assert!(Tile::parse("tile/0/x018/x446/x744/x073/x709/x551/615").is_none());
    assert!(
        Tile::parse("tile/0/x000/001").is_none(),
        "one path per tile"
    );
    let far = Tile {
        level: 0,
        index: u64::MAX / 2,
        width: 256,
    };
    assert!(far.hashes(&leaves).is_empty());
    assert!(Tile {
        level: 9,
        index: 3,
        width: 1
    }
    .hashes(&leaves)
    .is_empty());
}
