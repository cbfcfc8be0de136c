//! Revocation through a W3C Bitstring Status List.

use std::io::{Read, Write};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ed25519_dalek::VerifyingKey;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::OffsetDateTime;

use crate::canon::CREDENTIALS_V2_CONTEXT;
use crate::credential::{absolute_iri, xsd_date_time};
use crate::{proof, BadgeError, Issuer};

/// The one status purpose Senim uses: a set bit revokes, for good.
pub const STATUS_PURPOSE: &str = "revocation";

/// A list of revocation bits, one per credential, published as a signed
/// `BitstringStatusListCredential`.
///
/// Bit `i` is the `i`-th bit from the left of the bitstring (the most
/// significant bit of byte `i / 8` first), as the specification orders them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusList {
    bits: Vec<u8>,
}

impl Default for StatusList {
    fn default() -> Self {
        Self::new()
    }
}

impl StatusList {
    /// The smallest list the specification allows (16 KiB uncompressed), so
    /// that one credential's entry says little about which credential it is.
    pub const MIN_LEN: u64 = 131_072;
    /// The largest list this crate makes or reads (8 MiB uncompressed).
    pub const MAX_LEN: u64 = 1 << 26;

    /// A list of [`StatusList::MIN_LEN`] entries, none revoked.
    pub fn new() -> Self {
        Self {
            bits: vec![0; (Self::MIN_LEN / 8) as usize],
        }
    }

    /// A list of `len` entries, none revoked: a multiple of 8 from
    /// [`StatusList::MIN_LEN`] to [`StatusList::MAX_LEN`].
    pub fn with_len(len: u64) -> Result<Self, BadgeError> {
        if !(Self::MIN_LEN..=Self::MAX_LEN).contains(&len) || !len.is_multiple_of(8) {
            return Err(BadgeError::InvalidInput(format!(
                "a status list has a multiple of 8 entries from {} to {}, not {len}",
                Self::MIN_LEN,
                Self::MAX_LEN
            )));
        }
        Ok(Self {
            bits: vec![0; (len / 8) as usize],
        })
    }

    /// The number of entries.
    pub fn len(&self) -> u64 {
        self.bits.len() as u64 * 8
    }

    /// Never: a list has at least [`StatusList::MIN_LEN`] entries.
    pub fn is_empty(&self) -> bool {
        self.bits.is_empty()
    }

    fn position(&self, index: u64) -> Result<(usize, u8), BadgeError> {
        if index >= self.len() {
            return Err(BadgeError::IndexOutOfRange {
                index,
                len: self.len(),
            });
        }
        Ok(((index / 8) as usize, 0x80 >> (index % 8)))
    }

    /// Revokes the credential at `index`. Revocation is final: there is no
    /// way back.
    pub fn revoke(&mut self, index: u64) -> Result<(), BadgeError> {
        let (byte, mask) = self.position(index)?;
        if let Some(b) = self.bits.get_mut(byte) {
            *b |= mask;
        }
        Ok(())
    }

    /// Whether the credential at `index` is revoked.
    pub fn is_revoked(&self, index: u64) -> Result<bool, BadgeError> {
        let (byte, mask) = self.position(index)?;
        Ok(self.bits.get(byte).is_some_and(|b| b & mask != 0))
    }

    /// The `encodedList`: multibase base64url without padding (`u`) of the
    /// GZIP-compressed bitstring.
    pub fn encode(&self) -> Result<String, BadgeError> {
        let mut gz = GzEncoder::new(Vec::new(), Compression::best());
        gz.write_all(&self.bits)
            .map_err(|e| BadgeError::StatusList(e.to_string()))?;
        let compressed = gz
            .finish()
            .map_err(|e| BadgeError::StatusList(e.to_string()))?;
        Ok(format!("u{}", URL_SAFE_NO_PAD.encode(compressed)))
    }

    /// Reads an `encodedList` back. Refuses a list shorter than
    /// [`StatusList::MIN_LEN`] or longer than [`StatusList::MAX_LEN`]
    /// entries, without inflating more than that.
    pub fn decode(encoded: &str) -> Result<Self, BadgeError> {
        let bad = |why: String| BadgeError::StatusList(why);
        let base64 = encoded
            .strip_prefix('u')
            .ok_or_else(|| bad("encodedList is not multibase base64url ('u')".into()))?;
        let compressed = URL_SAFE_NO_PAD
            .decode(base64)
            .map_err(|e| bad(format!("base64url: {e}")))?;
        let mut bits = Vec::new();
        GzDecoder::new(compressed.as_slice())
            .take(Self::MAX_LEN / 8 + 1)
            .read_to_end(&mut bits)
            .map_err(|e| bad(format!("gzip: {e}")))?;
        let len = bits.len() as u64 * 8;
        if !(Self::MIN_LEN..=Self::MAX_LEN).contains(&len) {
            return Err(bad(format!(
                "{len} entries: a status list has from {} to {}",
                Self::MIN_LEN,
                Self::MAX_LEN
            )));
        }
        Ok(Self { bits })
    }

    /// The signed `BitstringStatusListCredential` publishing this list at
    /// `list_url` (the URL every credential's `statusListCredential` names),
    /// valid and signed from `valid_from`. Publish it again, re-signed, after
    /// each revocation.
    pub fn credential(
        &self,
        issuer: &Issuer,
        list_url: &str,
        valid_from: OffsetDateTime,
    ) -> Result<Value, BadgeError> {
        list_url_without_fragment(list_url)?;
        let valid_from = xsd_date_time(valid_from)?;
        let credential = StatusListCredential {
            context: vec![CREDENTIALS_V2_CONTEXT.to_owned()],
            id: list_url.to_owned(),
            kind: STATUS_LIST_CREDENTIAL_TYPES.map(str::to_owned).to_vec(),
            issuer: issuer.id().to_owned(),
            valid_from: valid_from.clone(),
            credential_subject: StatusListSubject {
                id: format!("{list_url}#list"),
                kind: "BitstringStatusList".into(),
                status_purpose: STATUS_PURPOSE.into(),
                encoded_list: self.encode()?,
            },
            proof: None,
        };
        proof::sign(
            serde_json::to_value(&credential)?,
            issuer.signing_key(),
            valid_from,
        )
    }

    /// Verifies a `BitstringStatusListCredential` made by
    /// [`StatusList::credential`] with `key` (shape, issuer, proof) and
    /// returns its URL and list.
    pub fn verify_credential(
        credential: &Value,
        key: &VerifyingKey,
    ) -> Result<(String, Self), BadgeError> {
        let parsed: StatusListCredential = serde_json::from_value(credential.clone())
            .map_err(|e| BadgeError::Malformed(format!("status list credential: {e}")))?;
        if parsed.context != [CREDENTIALS_V2_CONTEXT]
            || parsed.kind != STATUS_LIST_CREDENTIAL_TYPES
            || parsed.credential_subject.kind != "BitstringStatusList"
            || parsed.credential_subject.status_purpose != STATUS_PURPOSE
        {
            return Err(BadgeError::Malformed(
                "not a revocation BitstringStatusListCredential".into(),
            ));
        }
        let expected = proof::did_key(key);
        if parsed.issuer != expected {
            return Err(BadgeError::WrongKey(format!(
                "status list issuer {}, expected {expected}",
                parsed.issuer
            )));
        }
        proof::verify(credential, key)?;
        let list = Self::decode(&parsed.credential_subject.encoded_list)?;
        Ok((parsed.id, list))
    }
}

pub(crate) fn list_url_without_fragment(list_url: &str) -> Result<(), BadgeError> {
    absolute_iri("status list url", list_url)?;
    if list_url.contains('#') {
        return Err(BadgeError::InvalidIri {
            field: "status list url (without a fragment)",
            value: list_url.to_owned(),
        });
    }
    Ok(())
}

const STATUS_LIST_CREDENTIAL_TYPES: [&str; 2] =
    ["VerifiableCredential", "BitstringStatusListCredential"];

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct StatusListCredential {
    #[serde(rename = "@context")]
    context: Vec<String>,
    id: String,
    #[serde(rename = "type")]
    kind: Vec<String>,
    issuer: String,
    valid_from: String,
    credential_subject: StatusListSubject,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    proof: Option<Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct StatusListSubject {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    status_purpose: String,
    encoded_list: String,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn bits_are_numbered_from_the_left() {
        let mut list = StatusList::new();
        list.revoke(0).unwrap();
        list.revoke(9).unwrap();
        list.revoke(StatusList::MIN_LEN - 1).unwrap();
        assert_eq!(list.bits[0], 0b1000_0000);
        assert_eq!(list.bits[1], 0b0100_0000);
        assert_eq!(list.bits[list.bits.len() - 1], 0b0000_0001);
        assert!(list.is_revoked(9).unwrap());
        assert!(!list.is_revoked(8).unwrap());
        assert!(!list.is_revoked(10).unwrap());
    }

    #[test]
    fn out_of_range_is_an_error() {
        let mut list = StatusList::new();
        assert!(matches!(
            list.revoke(StatusList::MIN_LEN),
            Err(BadgeError::IndexOutOfRange { .. })
        ));
        assert!(list.is_revoked(u64::MAX).is_err());
    }

    #[test]
    fn encoding_round_trips_and_is_base64url_gzip() {
        let mut list = StatusList::new();
        list.revoke(94_567).unwrap();
        let encoded = list.encode().unwrap();
        assert!(encoded.starts_with('u'));
        let gz = URL_SAFE_NO_PAD.decode(&encoded[1..]).unwrap();
        assert_eq!(&gz[..2], &[0x1f, 0x8b], "GZIP magic");
        assert_eq!(StatusList::decode(&encoded).unwrap(), list);
    }

    #[test]
    fn decoding_refuses_short_long_and_foreign_lists() {
        let gz = |bytes: &[u8]| {
            let mut e = GzEncoder::new(Vec::new(), Compression::fast());
            e.write_all(bytes).unwrap();
            format!("u{}", URL_SAFE_NO_PAD.encode(e.finish().unwrap()))
        };
        assert!(StatusList::decode(&gz(&[0; 100])).is_err());
        let too_long = vec![0; (StatusList::MAX_LEN / 8 + 1) as usize];
        assert!(StatusList::decode(&gz(&too_long)).is_err());
        assert!(StatusList::decode("zabc").is_err());
        assert!(StatusList::decode("u!!!").is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(StatusList::new().len(), 131_072);
        assert!(StatusList::with_len(131_072 * 2).is_ok());
        assert!(StatusList::with_len(1024).is_err());
        assert!(StatusList::with_len(131_073).is_err());
    }
}
