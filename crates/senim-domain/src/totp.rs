//! The second factor of a sign-in (issue 21): time-based one-time codes
//! (TOTP, RFC 6238) as authenticator apps compute them: HMAC-SHA-1 of the
//! number of 30-second steps since 1970, truncated to six digits
//! (HOTP, RFC 4226). The secret is 20 random bytes, shown to the person
//! once, in base32 (RFC 4648) and as an `otpauth://` address.
//!
//! A code is accepted for the step it was made in and the steps either
//! side (a phone's clock a little off), and only for a step later than the
//! last one used, so a code seen over a shoulder cannot be used again.

use hmac::{Hmac, Mac};
use sha1::Sha1;

/// Seconds per step.
pub const STEP_SECONDS: i64 = 30;
/// Digits of a code.
pub const DIGITS: u32 = 6;
/// Bytes of a secret (160 bits, RFC 4226's recommendation).
pub const SECRET_BYTES: usize = 20;

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// `bytes` in base32, without padding (as authenticator apps take it).
pub fn base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(BASE32[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(BASE32[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// The bytes of a base32 text (any case, spaces and padding ignored), or
/// `None` if it holds another character.
pub fn from_base32(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for c in text.chars().filter(|c| !c.is_whitespace() && *c != '=') {
        let value = BASE32
            .iter()
            .position(|&b| char::from(b) == c.to_ascii_uppercase())?;
        buffer = (buffer << 5) | value as u32;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    Some(out)
}

/// The step `unix_seconds` falls in.
pub fn step_of(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(STEP_SECONDS)
}

/// The code of `step` (HOTP of the step's number).
pub fn code_at(secret: &[u8], step: i64) -> u32 {
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(secret) else {
        // HMAC takes a key of any length; this cannot happen.
        return 0;
    };
    mac.update(&step.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[digest.len() - 1] & 0x0f);
    let value = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]);
    value % 10u32.pow(DIGITS)
}

/// Why a code was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Not six digits.
    Malformed,
    /// Not the code of this step or the steps either side.
    Wrong,
    /// The code of a step already used.
    Used,
}

impl Refused {
    /// The reason, as a field's problem.
    pub fn reason(self) -> &'static str {
        match self {
            Refused::Malformed => "must be the six digits your authenticator app shows",
            Refused::Wrong => "is not the code your authenticator app shows now",
            Refused::Used => "was used already: wait for the next code",
        }
    }
}

/// Checks `code` (spaces allowed, as apps show "123 456") against the
/// steps around `unix_seconds`: the step it matches, which must then be
/// recorded as used. `last_used` is the last step used (0 for none).
pub fn verify(
    secret: &[u8],
    code: &str,
    unix_seconds: i64,
    last_used: i64,
) -> Result<i64, Refused> {
    let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() != DIGITS as usize || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Refused::Malformed);
    }
    let wanted: u32 = digits.parse().map_err(|_| Refused::Malformed)?;
    let now = step_of(unix_seconds);
    let matched = (now - 1..=now + 1).find(|s| code_at(secret, *s) == wanted);
    match matched {
        Some(step) if step > last_used => Ok(step),
        Some(_) => Err(Refused::Used),
        None => Err(Refused::Wrong),
    }
}

/// The address an authenticator app reads (as a QR code or a link):
/// the account's name, the issuer, the secret.
pub fn otpauth_uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'@' => {
                    char::from(b).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        enc(issuer),
        enc(account),
        base32(secret),
        enc(issuer)
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// RFC 6238, Appendix B: the SHA-1 key and its eight-digit codes; the
    /// six-digit code is the last six digits.
    #[test]
    fn codes_match_rfc_6238() {
        let secret = b"12345678901234567890";
        for (time, eight) in [
            (59, 94287082u32),
            (1111111109, 7081804),
            (1111111111, 14050471),
            (1234567890, 89005924),
            (2000000000, 69279037),
            (20000000000, 65353130),
        ] {
            assert_eq!(code_at(secret, step_of(time)), eight % 1_000_000, "{time}");
        }
    }

    /// RFC 4648's test vectors, and the way back.
    #[test]
    fn base32_matches_rfc_4648() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ] {
            assert_eq!(base32(plain.as_bytes()), encoded);
            assert_eq!(from_base32(encoded).unwrap(), plain.as_bytes());
        }
        assert_eq!(from_base32("mzxw 6ytb oi==").unwrap(), b"foobar");
        assert_eq!(from_base32("MZXW1"), None);
    }

    #[test]
    fn a_code_is_taken_once_and_only_near_its_time() {
        let secret = b"12345678901234567890";
        let now = 1_234_567_890;
        let code = format!("{:06}", code_at(secret, step_of(now)));
        let step = verify(secret, &code, now, 0).unwrap();
        assert_eq!(step, step_of(now));
        assert_eq!(verify(secret, &code, now, step), Err(Refused::Used));
        // A phone's clock half a minute off still works; two minutes do not.
        assert_eq!(verify(secret, &code, now + 30, 0), Ok(step));
        assert_eq!(verify(secret, &code, now + 120, 0), Err(Refused::Wrong));
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert_eq!(verify(secret, &spaced, now, 0), Ok(step));
        assert_eq!(verify(secret, "12345", now, 0), Err(Refused::Malformed));
        assert_eq!(verify(secret, "12345a", now, 0), Err(Refused::Malformed));
    }

    #[test]
    fn the_address_names_the_issuer_and_the_secret() {
        let uri = otpauth_uri("Senim", "expert@ministry.kz", b"foobar");
        assert_eq!(
            uri,
            "otpauth://totp/Senim:expert@ministry.kz?secret=MZXW6YTBOI&issuer=Senim&algorithm=SHA1&digits=6&period=30"
        );
    }
}
