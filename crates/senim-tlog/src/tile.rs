//! C2SP `tlog-tiles`: the log's hashes as tiles of height 8, addressed by
//! paths any static file server can serve.
//!
//! A tile at level `L` and index `N` holds up to 256 consecutive hashes of
//! tree level `8·L`: level 0 holds leaf hashes, level 1 the roots of complete
//! 256-leaf subtrees, and so on. A partial tile (width `W` < 256) exists for
//! the right edge of a tree whose size is not a multiple. Index `N` is written
//! in groups of three digits, every group but the last prefixed with `x`
//! (`1234067` → `x001/x234/067`). Entry bundles hold the entries themselves,
//! each as a big-endian 16-bit length and its bytes.

use crate::merkle::{root, Hash};

/// Hashes per full tile (tile height 8).
pub const TILE_WIDTH: u64 = 256;

/// One tile: level, index and width (256 for a full tile).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tile {
    pub level: u8,
    pub index: u64,
    pub width: u16,
}

fn encode_index(mut n: u64) -> String {
    let mut groups = vec![format!("{:03}", n % 1000)];
    n /= 1000;
    while n > 0 {
        groups.push(format!("x{:03}", n % 1000));
        n /= 1000;
    }
    groups.reverse();
    groups.join("/")
}

fn decode_index(parts: &[&str]) -> Option<u64> {
    let (last, rest) = parts.split_last()?;
    let mut n: u64 = 0;
    for group in rest {
        let digits = group.strip_prefix('x')?;
        if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        n = n
            .checked_mul(1000)?
            .checked_add(digits.parse::<u64>().ok()?)?;
    }
    if last.len() != 3 || !last.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    n.checked_mul(1000)?.checked_add(last.parse::<u64>().ok()?)
}

impl Tile {
    /// The path below the log's prefix: `tile/<L>/<N>[.p/<W>]`.
    pub fn path(&self) -> String {
        format!(
            "tile/{}/{}{}",
            self.level,
            encode_index(self.index),
            self.partial_suffix()
        )
    }

    /// The path of the entry bundle with the same index and width (level 0 only).
    pub fn entries_path(&self) -> String {
        format!(
            "tile/entries/{}{}",
            encode_index(self.index),
            self.partial_suffix()
        )
    }

    fn partial_suffix(&self) -> String {
        if u64::from(self.width) == TILE_WIDTH {
            String::new()
        } else {
            format!(".p/{}", self.width)
        }
    }

    /// Parses a tile path (`tile/<L>/...` or `tile/entries/...`, the latter as
    /// level `None`).
    pub fn parse(path: &str) -> Option<(Option<u8>, Tile)> {
        let rest = path.strip_prefix("tile/")?;
        let (level_text, rest) = rest.split_once('/')?;
        let level = if level_text == "entries" {
            None
        } else {
            let l: u8 = level_text.parse().ok()?;
            (l < 64 && level_text == l.to_string()).then_some(l)?;
            Some(l)
        };
        let (index_text, width) = match rest.split_once(".p/") {
            Some((index, w)) => {
                let w: u16 = w.parse().ok()?;
                if !(1..TILE_WIDTH as u16).contains(&w)
                    || w.to_string() != rest.split_once(".p/")?.1
                {
                    return None;
                }
                (index, w)
            }
            None => (rest, TILE_WIDTH as u16),
        };
        let parts: Vec<&str> = index_text.split('/').collect();
        let index = decode_index(&parts)?;
        // One path per tile (no `x000/` in front), and no index whose first
        // entry would be beyond any log (2^64 entries).
        if encode_index(index) != index_text || index >= 1 << 56 {
            return None;
        }
        Some((
            level,
            Tile {
                level: level.unwrap_or(0),
                index,
                width,
            },
        ))
    }

    /// The tiles at every level that a tree of `size` leaves has, partial
    /// ones included.
    pub fn for_tree(size: u64) -> Vec<Tile> {
        let mut tiles = Vec::new();
        let mut level = 0u8;
        let mut count = size; // hashes at this tile level
        while count > 0 {
            let full = count / TILE_WIDTH;
            for index in 0..full {
                tiles.push(Tile {
                    level,
                    index,
                    width: TILE_WIDTH as u16,
                });
            }
            let rest = count % TILE_WIDTH;
            if rest > 0 {
                tiles.push(Tile {
                    level,
                    index: full,
                    width: rest as u16,
                });
            }
            count = full;
            level += 1;
        }
        tiles
    }

    /// The tile's contents: the hashes it holds, from all leaf hashes of a tree.
    pub fn hashes(&self, leaves: &[Hash]) -> Vec<Hash> {
        // A parsed path may name any index: out-of-range arithmetic gives no
        // hashes rather than an overflow.
        let span =
            usize::try_from(TILE_WIDTH.saturating_pow(u32::from(self.level))).unwrap_or(usize::MAX);
        let Some(first) = usize::try_from(self.index)
            .ok()
            .and_then(|i| i.checked_mul(TILE_WIDTH as usize))
        else {
            return Vec::new();
        };
        (first..first.saturating_add(usize::from(self.width)))
            .filter_map(|i| {
                let start = i.checked_mul(span)?;
                let end = start.checked_add(span)?;
                (end <= leaves.len()).then(|| root(&leaves[start..end]))
            })
            .collect()
    }
}

/// An entry bundle: each entry as a big-endian 16-bit length and its bytes.
pub fn encode_bundle(entries: &[&[u8]]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    for e in entries {
        let len = u16::try_from(e.len()).ok()?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(e);
    }
    Some(out)
}

/// The entries of a bundle, or `None` when it is truncated.
pub fn decode_bundle(mut bytes: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        if bytes.len() < 2 {
            return None;
        }
        let len = usize::from(u16::from_be_bytes([bytes[0], bytes[1]]));
        let end = 2 + len;
        if bytes.len() < end {
            return None;
        }
        out.push(bytes[2..end].to_vec());
        bytes = &bytes[end..];
    }
    Some(out)
}

/// A hash tile's bytes as hashes; `None` unless they are whole hashes.
pub fn tile_hashes(bytes: &[u8]) -> Option<Vec<Hash>> {
    if !bytes.len().is_multiple_of(32) {
        return None;
    }
    Some(
        bytes
            .chunks_exact(32)
            .map(|c| {
                let mut hash = [0u8; 32];
                hash.copy_from_slice(c);
                hash
            })
            .collect(),
    )
}
