//! Issuing, verifying and revoking in Rust alone.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{certificate, issuer, status, LIST_URL};
use ed25519_dalek::SigningKey;
use senim_badges::{
    canonicalize, issue, verify, verify_with_status, BadgeError, Recipient, StatusList,
};
use serde_json::{json, Value};
use time::macros::datetime;

fn credential() -> Value {
    issue(&issuer(), &certificate(), &status()).unwrap()
}

fn fresh_list() -> Value {
    StatusList::new()
        .credential(&issuer(), LIST_URL, datetime!(2025-01-15 09:30:00 UTC))
        .unwrap()
}

#[test]
fn an_issued_credential_verifies_and_says_what_it_is() {
    let issuer = issuer();
    let c = credential();
    assert_eq!(
        c["@context"],
        json!([
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
        ])
    );
    assert_eq!(
        c["type"],
        json!(["VerifiableCredential", "OpenBadgeCredential"])
    );
    assert_eq!(c["issuer"]["id"], issuer.id());
    assert!(issuer.id().starts_with("did:key:z6Mk"));
    assert_eq!(c["validFrom"], "2025-01-15T09:30:00Z");
    assert_eq!(
        c["credentialSubject"]["type"],
        json!(["AchievementSubject"])
    );
    assert_eq!(
        c["credentialSubject"]["achievement"]["criteria"]["narrative"],
        certificate().achievement.criteria
    );
    assert_eq!(
        c["credentialSubject"]["achievement"]["creditsAvailable"],
        36
    );
    assert_eq!(
        c["credentialSubject"]["identifier"][0]["identityHash"],
        "sha256$451777bf41f7bbfbfbba968164ef7f5b91782412106e037be161f0de693f9f9b"
    );
    assert_eq!(c["credentialStatus"]["type"], "BitstringStatusListEntry");
    assert_eq!(c["credentialStatus"]["statusPurpose"], "revocation");
    assert_eq!(c["credentialStatus"]["statusListIndex"], "94567");
    assert_eq!(c["proof"]["cryptosuite"], "eddsa-rdfc-2022");
    assert_eq!(c["proof"]["created"], "2025-01-15T09:30:00Z");
    let proof_value = c["proof"]["proofValue"].as_str().unwrap();
    assert!(proof_value.starts_with('z'));

    let verified = verify(&c, &issuer.verifying_key()).unwrap();
    assert_eq!(verified.credential_id, certificate().credential_id);
    assert_eq!(verified.issuer, issuer.id());
    assert_eq!(verified.achievement_id, certificate().achievement.id);
    assert_eq!(verified.valid_from, datetime!(2025-01-15 09:30:00 UTC));
    assert_eq!(verified.valid_until, None);
    assert_eq!(verified.status, status());

    verify_with_status(
        &c,
        &fresh_list(),
        &issuer.verifying_key(),
        datetime!(2025-06-01 00:00:00 UTC),
    )
    .unwrap();
}

#[test]
fn issuing_is_deterministic() {
    assert_eq!(credential(), credential());
}

/// Each change to what the certificate says breaks its signature.
#[test]
fn tampering_with_any_field_fails() {
    let key = issuer().verifying_key();
    let changes: [(&str, Value); 12] = [
        ("/name", json!("Something else")),
        (
            "/credentialSubject/achievement/name",
            json!("Этика ИИ: продвинутый"),
        ),
        (
            "/credentialSubject/achievement/id",
            json!("https://senim.example.kz/courses/x"),
        ),
        (
            "/credentialSubject/achievement/creditsAvailable",
            json!(360),
        ),
        (
            "/credentialSubject/achievement/criteria/narrative",
            json!("Nothing."),
        ),
        (
            "/credentialSubject/identifier/0/identityHash",
            json!("sha256$0000000000000000000000000000000000000000000000000000000000000000"),
        ),
        ("/credentialSubject/identifier/0/salt", json!("other")),
        ("/validFrom", json!("2024-01-15T09:30:00Z")),
        ("/issuer/name", json!("Someone else")),
        ("/credentialStatus/statusListIndex", json!("1")),
        (
            "/id",
            json!("urn:uuid:00000000-0000-0000-0000-000000000000"),
        ),
        ("/proof/created", json!("2030-01-01T00:00:00Z")),
    ];
    for (pointer, value) in changes {
        let mut c = credential();
        let field = c.pointer_mut(pointer).expect(pointer);
        assert_ne!(*field, value, "{pointer} already holds that");
        *field = value;
        let err = verify(&c, &key).expect_err(pointer);
        assert!(matches!(err, BadgeError::BadSignature), "{pointer}: {err}");
    }
}

#[test]
fn a_flipped_signature_byte_fails() {
    let mut c = credential();
    let value = c["proof"]["proofValue"].as_str().unwrap().to_owned();
    let mut signature = bs58::decode(&value[1..]).into_vec().unwrap();
    signature[10] ^= 0x01;
    c["proof"]["proofValue"] = json!(format!("z{}", bs58::encode(signature).into_string()));
    let err = verify(&c, &issuer().verifying_key()).unwrap_err();
    assert!(matches!(err, BadgeError::BadSignature), "{err}");
}

#[test]
fn an_added_property_is_refused_though_json_ld_would_drop_it() {
    let mut c = credential();
    c["credentialSubject"]["achievement"]["grade"] = json!("A+");
    let err = verify(&c, &issuer().verifying_key()).unwrap_err();
    assert!(matches!(err, BadgeError::Malformed(_)), "{err}");
}

#[test]
fn another_key_is_refused() {
    let other = SigningKey::from_bytes(&[9; 32]).verifying_key();
    let err = verify(&credential(), &other).unwrap_err();
    assert!(matches!(err, BadgeError::WrongKey(_)), "{err}");

    // A credential re-signed by another key under the same issuer name still
    // names that other key: the trusted key refuses it.
    let forger = senim_badges::Issuer::new(
        SigningKey::from_bytes(&[9; 32]),
        issuer().name(),
        issuer().url(),
    )
    .unwrap();
    let forged = issue(&forger, &certificate(), &status()).unwrap();
    let err = verify(&forged, &issuer().verifying_key()).unwrap_err();
    assert!(matches!(err, BadgeError::WrongKey(_)), "{err}");
}

#[test]
fn revoking_sets_the_bit_the_signed_list_carries() {
    let issuer = issuer();
    let key = issuer.verifying_key();
    let mut list = StatusList::new();
    assert!(!list.is_revoked(status().index).unwrap());
    list.revoke(status().index).unwrap();
    assert!(list.is_revoked(status().index).unwrap());

    let signed = list
        .credential(&issuer, LIST_URL, datetime!(2025-02-01 00:00:00 UTC))
        .unwrap();
    assert_eq!(
        signed["type"],
        json!(["VerifiableCredential", "BitstringStatusListCredential"])
    );
    assert_eq!(signed["credentialSubject"]["statusPurpose"], "revocation");
    assert_eq!(signed["issuer"], issuer.id());
    let (url, decoded) = StatusList::verify_credential(&signed, &key).unwrap();
    assert_eq!(url, LIST_URL);
    assert_eq!(decoded, list);
    assert!(decoded.is_revoked(status().index).unwrap());
    assert!(!decoded.is_revoked(status().index + 1).unwrap());
    assert!(!decoded.is_revoked(status().index - 1).unwrap());

    let err = verify_with_status(
        &credential(),
        &signed,
        &key,
        datetime!(2025-06-01 00:00:00 UTC),
    )
    .unwrap_err();
    assert!(
        matches!(err, BadgeError::Revoked { index: 94_567, ref list_url } if list_url == LIST_URL),
        "{err}"
    );
}

#[test]
fn a_status_list_with_its_bit_cleared_after_signing_fails() {
    let issuer = issuer();
    let mut list = StatusList::new();
    list.revoke(status().index).unwrap();
    let mut signed = list
        .credential(&issuer, LIST_URL, datetime!(2025-02-01 00:00:00 UTC))
        .unwrap();
    signed["credentialSubject"]["encodedList"] = json!(StatusList::new().encode().unwrap());
    let err = StatusList::verify_credential(&signed, &issuer.verifying_key()).unwrap_err();
    assert!(matches!(err, BadgeError::BadSignature), "{err}");
}

#[test]
fn the_status_list_must_be_the_one_named() {
    let other = StatusList::new()
        .credential(
            &issuer(),
            "https://senim.example.kz/badges/status/2",
            datetime!(2025-01-15 09:30:00 UTC),
        )
        .unwrap();
    let err = verify_with_status(
        &credential(),
        &other,
        &issuer().verifying_key(),
        datetime!(2025-06-01 00:00:00 UTC),
    )
    .unwrap_err();
    assert!(
        matches!(err, BadgeError::StatusListMismatch { .. }),
        "{err}"
    );
}

#[test]
fn validity_period_is_checked_at_the_time_given() {
    let mut input = certificate();
    input.expires = Some(datetime!(2026-01-15 09:30:00 UTC));
    let c = issue(&issuer(), &input, &status()).unwrap();
    assert_eq!(c["validUntil"], "2026-01-15T09:30:00Z");
    let key = issuer().verifying_key();
    let at = |now| verify_with_status(&c, &fresh_list(), &key, now);
    at(datetime!(2025-06-01 00:00:00 UTC)).unwrap();
    assert!(matches!(
        at(datetime!(2026-01-15 09:30:00 UTC)),
        Err(BadgeError::Expired(_))
    ));
    assert!(matches!(
        at(datetime!(2025-01-15 09:29:59 UTC)),
        Err(BadgeError::NotYetValid(_))
    ));

    input.expires = Some(input.issued);
    assert!(matches!(
        issue(&issuer(), &input, &status()),
        Err(BadgeError::InvalidInput(_))
    ));
}

#[test]
fn a_recipient_id_is_the_subject_id() {
    let mut input = certificate();
    input.recipient = Recipient::Id("did:example:aigerim".into());
    let c = issue(&issuer(), &input, &status()).unwrap();
    assert_eq!(c["credentialSubject"]["id"], "did:example:aigerim");
    assert!(c["credentialSubject"].get("identifier").is_none());
    verify(&c, &issuer().verifying_key()).unwrap();
}

#[test]
fn relative_iris_are_refused_at_issue() {
    let mut input = certificate();
    input.achievement.id = "/courses/ai-ethics-101".into();
    assert!(matches!(
        issue(&issuer(), &input, &status()),
        Err(BadgeError::InvalidIri { .. })
    ));
    let mut input = certificate();
    input.recipient = Recipient::Id("aigerim".into());
    assert!(matches!(
        issue(&issuer(), &input, &status()),
        Err(BadgeError::InvalidIri { .. })
    ));
    let mut bad_status = status();
    bad_status.list_url = "https://senim.example.kz/status#1".into();
    assert!(matches!(
        issue(&issuer(), &certificate(), &bad_status),
        Err(BadgeError::InvalidIri { .. })
    ));
}

#[test]
fn canonicalization_is_deterministic_and_ignores_key_order() {
    let mut c = credential();
    c.as_object_mut().unwrap().remove("proof");
    let first = canonicalize(&c).unwrap();
    assert_eq!(canonicalize(&c).unwrap(), first);

    // The same document written with its keys in reverse order.
    fn reversed(v: &Value) -> String {
        match v {
            Value::Object(map) => {
                let fields: Vec<String> = map
                    .iter()
                    .rev()
                    .map(|(k, v)| format!("{}:{}", Value::from(k.as_str()), reversed(v)))
                    .collect();
                format!("{{{}}}", fields.join(","))
            }
            Value::Array(items) => {
                format!(
                    "[{}]",
                    items.iter().map(reversed).collect::<Vec<_>>().join(",")
                )
            }
            other => other.to_string(),
        }
    }
    let text = reversed(&c);
    // (serde_json sorts keys, or keeps their order when another crate of
    // the workspace turns on `preserve_order`: either way, reversed differs.)
    assert_ne!(text, serde_json::to_string(&c).unwrap());
    let reordered: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(canonicalize(&reordered).unwrap(), first);

    // Canonical N-Quads: sorted lines, blank nodes named _:c14nN, and the
    // typed literals the contexts ask for (the Open Badges context writes
    // its XML Schema datatypes with https).
    let lines: Vec<&str> = first.lines().collect();
    let mut sorted = lines.clone();
    sorted.sort_unstable();
    assert_eq!(lines, sorted);
    assert!(first.contains("_:c14n0"));
    assert!(first.contains(
        "<https://www.w3.org/2018/credentials#validFrom> \"2025-01-15T09:30:00Z\"^^<http://www.w3.org/2001/XMLSchema#dateTime>"
    ));
    assert!(first.contains(
        "<https://purl.imsglobal.org/spec/vc/ob/vocab.html#creditsAvailable> \"36\"^^<https://www.w3.org/2001/XMLSchema#float>"
    ));
    assert!(first.contains(
        "<https://purl.imsglobal.org/spec/vc/ob/vocab.html#hashed> \"true\"^^<https://www.w3.org/2001/XMLSchema#boolean>"
    ));
}
