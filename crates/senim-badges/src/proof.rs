//! Data Integrity proofs with the `eddsa-rdfc-2022` cryptosuite, and did:key
//! identifiers for Ed25519 keys.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::canon::canonicalize;
use crate::BadgeError;

/// The proof type.
pub const PROOF_TYPE: &str = "DataIntegrityProof";
/// The cryptosuite: Ed25519 over RDFC-1.0 canonical N-Quads.
pub const CRYPTOSUITE: &str = "eddsa-rdfc-2022";
/// The proof purpose of an issuer's assertion.
pub const PROOF_PURPOSE: &str = "assertionMethod";

/// The multicodec prefix of an Ed25519 public key (`ed25519-pub`, 0xed, as
/// an unsigned varint).
const ED25519_PUB: [u8; 2] = [0xed, 0x01];

/// A `DataIntegrityProof` as it appears in a credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct Proof {
    #[serde(rename = "type")]
    pub kind: String,
    pub cryptosuite: String,
    pub created: String,
    pub verification_method: String,
    pub proof_purpose: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof_value: Option<String>,
}

/// The public key as a Multikey value: multibase base58btc (`z`) of the
/// multicodec `ed25519-pub` prefix and the 32 key bytes (`z6Mk…`).
pub fn multikey(key: &VerifyingKey) -> String {
    let mut bytes = Vec::with_capacity(34);
    bytes.extend_from_slice(&ED25519_PUB);
    bytes.extend_from_slice(key.as_bytes());
    format!("z{}", bs58::encode(bytes).into_string())
}

/// The key's `did:key` DID: `did:key:z6Mk…`.
pub fn did_key(key: &VerifyingKey) -> String {
    format!("did:key:{}", multikey(key))
}

/// The key's verification method in its `did:key` document:
/// `did:key:z6Mk…#z6Mk…`.
pub fn verification_method(key: &VerifyingKey) -> String {
    let multikey = multikey(key);
    format!("did:key:{multikey}#{multikey}")
}

/// The Ed25519 public key a `did:key` DID (or one of its DID URLs) carries.
pub fn key_of_did(did: &str) -> Result<VerifyingKey, BadgeError> {
    let bad = || BadgeError::WrongKey(format!("not an Ed25519 did:key: {did}"));
    let rest = did.strip_prefix("did:key:z").ok_or_else(bad)?;
    let encoded = rest.split('#').next().unwrap_or(rest);
    let bytes = bs58::decode(encoded).into_vec().map_err(|_| bad())?;
    let key = bytes.strip_prefix(&ED25519_PUB[..]).ok_or_else(bad)?;
    let key: [u8; 32] = key.try_into().map_err(|_| bad())?;
    VerifyingKey::from_bytes(&key).map_err(|_| bad())
}

/// The data the proof signs: SHA-256 of the canonical proof configuration
/// (the proof without `proofValue`, with the document's `@context`) followed
/// by SHA-256 of the canonical document without its proof.
fn hash_data(unsecured: &Value, options: &Proof) -> Result<Vec<u8>, BadgeError> {
    let mut config = serde_json::to_value(options)?;
    if let (Some(config), Some(context)) = (config.as_object_mut(), unsecured.get("@context")) {
        config.insert("@context".to_owned(), context.clone());
    }
    let mut out = Sha256::digest(canonicalize(&config)?.as_bytes()).to_vec();
    out.extend_from_slice(&Sha256::digest(canonicalize(unsecured)?.as_bytes()));
    Ok(out)
}

/// Adds an `eddsa-rdfc-2022` proof to a JSON-LD document (an object without
/// a `proof`), made with `key` at `created` (an XML Schema dateTime).
pub(crate) fn sign(
    mut document: Value,
    key: &SigningKey,
    created: String,
) -> Result<Value, BadgeError> {
    let Some(object) = document.as_object() else {
        return Err(BadgeError::InvalidInput(
            "a credential is a JSON object".into(),
        ));
    };
    if object.contains_key("proof") {
        return Err(BadgeError::InvalidInput(
            "the document already has a proof".into(),
        ));
    }
    let mut proof = Proof {
        kind: PROOF_TYPE.to_owned(),
        cryptosuite: CRYPTOSUITE.to_owned(),
        created,
        verification_method: verification_method(&key.verifying_key()),
        proof_purpose: PROOF_PURPOSE.to_owned(),
        proof_value: None,
    };
    let signature = key.sign(&hash_data(&document, &proof)?);
    proof.proof_value = Some(format!(
        "z{}",
        bs58::encode(signature.to_bytes()).into_string()
    ));
    if let Some(object) = document.as_object_mut() {
        object.insert("proof".to_owned(), serde_json::to_value(&proof)?);
    }
    Ok(document)
}

/// Checks the `eddsa-rdfc-2022` proof of `document` against `key`: the proof
/// must name the key's did:key verification method, and its signature must
/// match the canonical document.
pub(crate) fn verify(document: &Value, key: &VerifyingKey) -> Result<(), BadgeError> {
    let mut unsecured = document.clone();
    let proof = unsecured
        .as_object_mut()
        .and_then(|o| o.remove("proof"))
        .ok_or_else(|| BadgeError::Malformed("no proof".into()))?;
    let mut proof: Proof =
        serde_json::from_value(proof).map_err(|e| BadgeError::UnsupportedProof(e.to_string()))?;
    if proof.kind != PROOF_TYPE {
        return Err(BadgeError::UnsupportedProof(format!(
            "type {:?}",
            proof.kind
        )));
    }
    if proof.cryptosuite != CRYPTOSUITE {
        return Err(BadgeError::UnsupportedProof(format!(
            "cryptosuite {:?}",
            proof.cryptosuite
        )));
    }
    if proof.proof_purpose != PROOF_PURPOSE {
        return Err(BadgeError::UnsupportedProof(format!(
            "proof purpose {:?}",
            proof.proof_purpose
        )));
    }
    let expected = verification_method(key);
    if proof.verification_method != expected {
        return Err(BadgeError::WrongKey(format!(
            "verification method {}, expected {expected}",
            proof.verification_method
        )));
    }
    let value = proof
        .proof_value
        .take()
        .ok_or_else(|| BadgeError::UnsupportedProof("no proofValue".into()))?;
    let signature = value
        .strip_prefix('z')
        .and_then(|b58| bs58::decode(b58).into_vec().ok())
        .and_then(|bytes| <[u8; 64]>::try_from(bytes.as_slice()).ok())
        .map(|bytes| Signature::from_bytes(&bytes))
        .ok_or_else(|| {
            BadgeError::UnsupportedProof(
                "proofValue is not a base58btc multibase Ed25519 signature".into(),
            )
        })?;
    key.verify_strict(&hash_data(&unsecured, &proof)?, &signature)
        .map_err(|_| BadgeError::BadSignature)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn did_key_round_trips_and_starts_like_every_ed25519_did_key() {
        let key = SigningKey::from_bytes(&[7; 32]).verifying_key();
        let did = did_key(&key);
        assert!(did.starts_with("did:key:z6Mk"), "{did}");
        assert_eq!(key_of_did(&did).unwrap(), key);
        assert_eq!(key_of_did(&verification_method(&key)).unwrap(), key);
        assert!(key_of_did("did:key:zQ3s").is_err());
        assert!(key_of_did("did:web:example.org").is_err());
    }

    #[test]
    fn did_key_of_a_known_key() {
        // The first Ed25519 example of the did:key specification: pins the
        // multicodec prefix and the base58btc alphabet.
        let key = VerifyingKey::from_bytes(&[
            0x2e, 0x6f, 0xcc, 0xe3, 0x67, 0x01, 0xdc, 0x79, 0x14, 0x88, 0xe0, 0xd0, 0xb1, 0x74,
            0x5c, 0xc1, 0xe3, 0x3a, 0x4c, 0x1c, 0x9f, 0xcc, 0x41, 0xc6, 0x3b, 0xd3, 0x43, 0xdb,
            0xbe, 0x09, 0x70, 0xe6,
        ])
        .unwrap();
        assert_eq!(
            did_key(&key),
            "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
        );
    }
}
