//! The public intake's proof of work (issue 19), as both sides compute it:
//! a proof `<challenge>:<nonce>` counts when its SHA-256 starts with as
//! many zero bits as the challenge's second field asks. The server issues
//! and checks challenges (`senim-app`'s `intake`); clients solve them.

use sha2::Digest;

/// The leading zero bits of `digest`.
pub fn zero_bits(digest: &[u8]) -> u32 {
    let mut bits = 0;
    for byte in digest {
        if *byte == 0 {
            bits += 8;
        } else {
            return bits + byte.leading_zeros();
        }
    }
    bits
}

/// The zero bits that `proof` (`<challenge>:<nonce>`) has.
pub fn proof_bits(proof: &str) -> u32 {
    zero_bits(&sha2::Sha256::digest(proof.as_bytes()))
}

/// The zero bits a challenge asks (`1.<bits>.<...>`).
pub fn asked_bits(challenge: &str) -> Option<u32> {
    challenge.split('.').nth(1)?.parse().ok()
}

/// A proof for `challenge`: the first decimal nonce that solves it.
pub fn solve(challenge: &str) -> Option<String> {
    let bits = asked_bits(challenge)?;
    (0u64..u64::MAX)
        .map(|n| format!("{challenge}:{n}"))
        .find(|proof| proof_bits(proof) >= bits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_are_counted_from_the_first_byte() {
        assert_eq!(zero_bits(&[0, 0x0f, 0xff]), 12);
        assert_eq!(zero_bits(&[0x80]), 0);
        assert_eq!(zero_bits(&[0, 0]), 16);
        let proof = solve("1.8.0.x.y").unwrap();
        assert!(proof.starts_with("1.8.0.x.y:"));
        assert!(proof_bits(&proof) >= 8);
    }
}
