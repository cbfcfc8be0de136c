//! Open Badges 3.0 certificates for Senim: issued, verified and revoked
//! offline.
//!
//! A certificate is an Open Badges 3.0 `OpenBadgeCredential`, which is a W3C
//! Verifiable Credential (data model 2.0). [`issue`] signs it, [`verify`] and
//! [`verify_with_status`] check it, and a [`StatusList`] revokes it. Any
//! Open Badges 3.0 verifier can check a Senim certificate without asking
//! Senim anything but the status list; the tests run one that shares no code
//! with this crate (`tools/ob-verify`, Digital Bazaar's JavaScript libraries).
//!
//! ```
//! use ed25519_dalek::SigningKey;
//! use senim_badges::*;
//! use time::macros::datetime;
//!
//! let issuer = Issuer::new(SigningKey::from_bytes(&[1; 32]), "Senim", None)?;
//! let input = CertificateInput {
//!     credential_id: "urn:uuid:0191d7a2-3c4b-7d8e-9f00-112233445566".into(),
//!     achievement: Achievement {
//!         id: "https://senim.example.kz/courses/ai-101".into(),
//!         name: "AI 101".into(),
//!         description: "The basics of AI.".into(),
//!         criteria: "Passed the final test.".into(),
//!         hours: Some(12),
//!         language: Some("kk".into()),
//!         achievement_type: Some("Course".into()),
//!     },
//!     recipient: Recipient::Email { email: "a@example.kz".into(), salt: "5a1t".into() },
//!     issued: datetime!(2025-01-15 09:30 UTC),
//!     expires: None,
//! };
//! let list_url = "https://senim.example.kz/badges/status/1";
//! let status = StatusRef { list_url: list_url.into(), index: 7 };
//! let credential = issue(&issuer, &input, &status)?;
//!
//! let mut list = StatusList::new();
//! let now = datetime!(2025-02-01 00:00 UTC);
//! let published = list.credential(&issuer, list_url, now)?;
//! verify_with_status(&credential, &published, &issuer.verifying_key(), now)?;
//!
//! list.revoke(7)?;
//! let published = list.credential(&issuer, list_url, now)?;
//! let refused = verify_with_status(&credential, &published, &issuer.verifying_key(), now);
//! assert!(matches!(refused, Err(BadgeError::Revoked { index: 7, .. })));
//! # Ok::<(), BadgeError>(())
//! ```
//!
//! # Format choices
//!
//! - **Proof: Data Integrity, cryptosuite `eddsa-rdfc-2022`.** It is the
//!   Ed25519 suite of the W3C Data Integrity EdDSA Cryptosuites, the
//!   embedded proof Open Badges 3.0 names and the 1EdTech validator
//!   accepts, and Senim already signs with Ed25519. The credential and the proof options are
//!   canonicalized with RDFC-1.0 (JSON-LD to RDF with `oxjsonld`, then
//!   `rdf-canon`); the signature covers SHA-256 of each, and is written as
//!   multibase base58btc (`z…`). A credential stays plain JSON that any
//!   wallet can show.
//! - **Issuer id: `did:key`.** The issuer's id is the `did:key` of its public
//!   key, and the proof's verification method is that key in the DID's
//!   document (`did:key:z6Mk…#z6Mk…`): a verifier resolves it from the
//!   identifier alone, offline. Moving later to `did:web` changes the id
//!   and the verification method, not the signature. Callers of [`verify`]
//!   still say which key they trust: a `did:key` proves only that the
//!   credential matches the key it names.
//! - **Revocation: Bitstring Status List.** Each credential names one entry
//!   of a status list credential, which the issuer re-signs after each
//!   revocation. A list has at least 131,072 entries (16 KiB, the
//!   specification's minimum, a few hundred bytes once GZIP-compressed) so
//!   that fetching the list does not say which certificate is checked. The
//!   status purpose is `revocation`: final.
//! - **Strict shape.** Verification accepts exactly the properties this crate
//!   writes. JSON-LD silently drops a property its contexts do not define,
//!   leaving it outside the signature; refusing unknown properties keeps
//!   what is read equal to what was signed, and keeps hostile input (a
//!   blank-node graph built to make canonicalization slow) out of RDFC-1.0.
//! - **Offline.** The JSON-LD contexts (VC 2.0 and Open Badges 3.0.3) are
//!   embedded; a document naming any other context is refused. The crate
//!   reads no clock: dates are passed in.
//! - **Recipient.** Either an identifier (an absolute IRI) or an e-mail
//!   address written only as a salted SHA-256 `identityHash`
//!   ([`email_identity_hash`]). Hours of study go to `creditsAvailable` as a
//!   whole number.

mod canon;
mod credential;
mod error;
mod proof;
mod status;

pub use canon::{canonicalize, CREDENTIALS_V2_CONTEXT, OPEN_BADGES_V3_CONTEXT};
pub use credential::{
    email_identity_hash, issue, verify, verify_with_status, Achievement, CertificateInput, Issuer,
    Recipient, StatusRef, Verified,
};
pub use error::BadgeError;
pub use proof::{did_key, key_of_did, verification_method, CRYPTOSUITE};
pub use status::{StatusList, STATUS_PURPOSE};
