//! Proofs from stored hashes: which complete subtrees a proof or a root
//! needs, and where each lives in the tiles.
//!
//! Every element of an RFC 6962 proof, and the root itself, is the hash of a
//! range of leaves `[a, b)` in which `a` is a multiple of the largest power of
//! two not above `b - a`. Such a range splits into complete, aligned subtrees
//! (one per set bit of `b - a`, largest first), whose hashes fold right to
//! left into the range's hash. A complete subtree of height `h` is either one
//! stored hash (when `h` is a multiple of 8) or the root of `2^(h mod 8)`
//! consecutive hashes of one tile. So a proof reads O(log n) tiles and never
//! the whole tree.

use crate::merkle::{node_hash, root, Hash, ProofError};
use crate::tile::TILE_WIDTH;

/// A complete subtree: `2^height` leaves starting at `index · 2^height`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Node {
    pub height: u8,
    pub index: u64,
}

/// Where a node's hash comes from: the root of `count` hashes starting at
/// `offset` in tile (`level`, `tile`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TileSpan {
    pub level: u8,
    pub tile: u64,
    pub offset: usize,
    pub count: usize,
}

impl Node {
    /// The tile hashes this node's hash is the root of.
    pub fn span(&self) -> TileSpan {
        let level = self.height / 8;
        let rest = self.height % 8;
        let first = self.index << rest;
        TileSpan {
            level,
            tile: first / TILE_WIDTH,
            offset: (first % TILE_WIDTH) as usize,
            count: 1usize << rest,
        }
    }
}

/// The complete subtrees of the range `[a, b)`, left to right.
pub fn range_nodes(a: u64, b: u64) -> Vec<Node> {
    let mut nodes = Vec::new();
    let mut start = a;
    while start < b {
        let height = 63 - (b - start).leading_zeros() as u8;
        nodes.push(Node {
            height,
            index: start >> height,
        });
        start += 1u64 << height;
    }
    nodes
}

/// The hash of a range from the hashes of its nodes, in `range_nodes` order.
pub fn fold(hashes: &[Hash]) -> Hash {
    let mut iter = hashes.iter().rev();
    let Some(last) = iter.next() else {
        return crate::merkle::empty_root();
    };
    iter.fold(*last, |right, left| node_hash(left, &right))
}

/// The largest power of two strictly below `n` (`n` ≥ 2).
fn split(n: u64) -> u64 {
    1u64 << (63 - (n - 1).leading_zeros())
}

fn path(index: u64, a: u64, b: u64, out: &mut Vec<(u64, u64)>) {
    if b - a <= 1 {
        return;
    }
    let k = split(b - a);
    if index < a + k {
        path(index, a, a + k, out);
        out.push((a + k, b));
    } else {
        path(index, a + k, b, out);
        out.push((a, a + k));
    }
}

/// The leaf ranges whose hashes make the inclusion proof of `index` in a
/// tree of `size` leaves, in proof order.
pub fn inclusion_ranges(index: u64, size: u64) -> Result<Vec<(u64, u64)>, ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let mut out = Vec::new();
    path(index, 0, size, &mut out);
    Ok(out)
}

fn subproof(m: u64, a: u64, b: u64, whole: bool, out: &mut Vec<(u64, u64)>) {
    if a + m == b {
        if !whole {
            out.push((a, b));
        }
        return;
    }
    let k = split(b - a);
    if m <= k {
        subproof(m, a, a + k, whole, out);
        out.push((a + k, b));
    } else {
        subproof(m - k, a + k, b, false, out);
        out.push((a, a + k));
    }
}

/// The leaf ranges whose hashes make the consistency proof from `old` to
/// `new` leaves, in proof order.
pub fn consistency_ranges(old: u64, new: u64) -> Result<Vec<(u64, u64)>, ProofError> {
    if old > new {
        return Err(ProofError::SizesOutOfOrder { old, new });
    }
    let mut out = Vec::new();
    if old > 0 && old < new {
        subproof(old, 0, new, true, &mut out);
    }
    Ok(out)
}

/// Hashes tiles in memory: what the log's readers and the verifier fill
/// from storage or from the network. Tiles may be longer than a proof needs
/// (a tree only grows, and a tile's first hashes never change).
pub trait TileSource {
    /// The first hashes of tile (`level`, `index`), at least `min_width` of
    /// them, or `None` when they are not available.
    fn tile(&self, level: u8, index: u64, min_width: usize) -> Option<&[Hash]>;

    /// The hash of a complete subtree inside a tile, when the source has it
    /// ready (see [`TileTree`]); otherwise it is computed from the tile.
    fn subtree(&self, _span: &TileSpan) -> Option<Hash> {
        None
    }
}

/// A tile with every complete subtree hash inside it computed once (the
/// hashes, then their pairs, ... up to the root of a full tile: 511 hashes
/// for 256), so any proof element inside the tile is a lookup. Worth keeping
/// for tiles that are read again: a full tile never changes, and a partial
/// one only grows, so its subtrees stay valid for every tree it is part of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TileTree {
    /// `levels[h]` holds the hashes of the tile's subtrees of height `h`.
    levels: Vec<Vec<Hash>>,
}

impl TileTree {
    /// The tree of a tile's hashes; `None` for none or more than 256.
    pub fn new(hashes: Vec<Hash>) -> Option<TileTree> {
        if hashes.is_empty() || hashes.len() as u64 > TILE_WIDTH {
            return None;
        }
        let mut levels = vec![hashes];
        while let Some(last) = levels.last().filter(|l| l.len() > 1) {
            let next = last
                .chunks_exact(2)
                .map(|pair| node_hash(&pair[0], &pair[1]))
                .collect();
            levels.push(next);
        }
        Some(TileTree { levels })
    }

    /// The tile's hashes.
    pub fn hashes(&self) -> &[Hash] {
        &self.levels[0]
    }

    /// How many hashes the tile has.
    pub fn width(&self) -> usize {
        self.levels[0].len()
    }

    /// The root of `count` hashes from `offset` (a power of two, aligned).
    pub fn subtree(&self, offset: usize, count: usize) -> Option<Hash> {
        if !count.is_power_of_two() || !offset.is_multiple_of(count) {
            return None;
        }
        let height = count.trailing_zeros() as usize;
        self.levels.get(height)?.get(offset >> height).copied()
    }
}

impl<S: std::hash::BuildHasher> TileSource for std::collections::HashMap<(u8, u64), Vec<Hash>, S> {
    fn tile(&self, level: u8, index: u64, min_width: usize) -> Option<&[Hash]> {
        self.get(&(level, index))
            .map(Vec::as_slice)
            .filter(|t| t.len() >= min_width)
    }
}

/// The first `width` hashes of a tile from `source`, as [`append_tiles`]
/// asks for them.
pub fn copy_tile(
    source: &impl TileSource,
    level: u8,
    index: u64,
    width: usize,
) -> Result<Vec<Hash>, MissingTile> {
    source
        .tile(level, index, width)
        .map(|t| t[..width].to_vec())
        .ok_or(MissingTile {
            level,
            index,
            width,
        })
}

/// A missing tile: which one, and how wide it had to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("tile {level}/{index} with at least {width} hashes is not available")]
pub struct MissingTile {
    pub level: u8,
    pub index: u64,
    pub width: usize,
}

/// The hash of a complete subtree, from its tile.
pub fn node_hash_from(source: &impl TileSource, node: Node) -> Result<Hash, MissingTile> {
    let span = node.span();
    if let Some(hash) = source.subtree(&span) {
        return Ok(hash);
    }
    let end = span.offset + span.count;
    let hashes = source.tile(span.level, span.tile, end).ok_or(MissingTile {
        level: span.level,
        index: span.tile,
        width: end,
    })?;
    Ok(root(&hashes[span.offset..end]))
}

/// The hash of a leaf range, from the tiles.
pub fn range_hash(source: &impl TileSource, a: u64, b: u64) -> Result<Hash, MissingTile> {
    let hashes = range_nodes(a, b)
        .into_iter()
        .map(|n| node_hash_from(source, n))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(fold(&hashes))
}

/// The tiles (`level`, `index`, width needed) that the hashes of these
/// ranges read, without repeats.
pub fn tiles_for(ranges: &[(u64, u64)]) -> Vec<(u8, u64, usize)> {
    let mut needed: Vec<(u8, u64, usize)> = Vec::new();
    for &(a, b) in ranges {
        for node in range_nodes(a, b) {
            let s = node.span();
            let width = s.offset + s.count;
            match needed
                .iter_mut()
                .find(|(l, i, _)| *l == s.level && *i == s.tile)
            {
                Some(entry) => entry.2 = entry.2.max(width),
                None => needed.push((s.level, s.tile, width)),
            }
        }
    }
    needed
}

/// The hashes of proof ranges, in order.
pub fn proof_from(
    source: &impl TileSource,
    ranges: &[(u64, u64)],
) -> Result<Vec<Hash>, MissingTile> {
    ranges
        .iter()
        .map(|&(a, b)| range_hash(source, a, b))
        .collect()
}

/// The stored hashes a batch of new leaves adds, level by level: given the
/// tree's size before and the new leaf hashes, calls `tile` for the right
/// edge tile of each level that must be read back (`None` when it starts
/// empty), and returns every tile (`level`, `index`, hashes) to write.
///
/// `tile` gives the stored hashes of a partial tile; only its first `width`
/// hashes are used.
pub fn append_tiles(
    size: u64,
    leaves: &[Hash],
    mut tile: impl FnMut(u8, u64, usize) -> Result<Vec<Hash>, MissingTile>,
) -> Result<Vec<(u8, u64, Vec<Hash>)>, MissingTile> {
    let mut written = Vec::new();
    let mut level = 0u8;
    let mut before = size; // stored hashes at this level before the batch
    let mut new: Vec<Hash> = leaves.to_vec();
    while !new.is_empty() {
        let mut index = before / TILE_WIDTH;
        let offset = (before % TILE_WIDTH) as usize;
        let mut current = if offset > 0 {
            let mut t = tile(level, index, offset)?;
            t.truncate(offset);
            t
        } else {
            Vec::with_capacity(TILE_WIDTH as usize)
        };
        let mut parents = Vec::new();
        for hash in new {
            current.push(hash);
            if current.len() as u64 == TILE_WIDTH {
                parents.push(root(&current));
                written.push((level, index, std::mem::take(&mut current)));
                index += 1;
            }
        }
        if !current.is_empty() {
            written.push((level, index, current));
        }
        before /= TILE_WIDTH;
        new = parents;
        level += 1;
    }
    Ok(written)
}
