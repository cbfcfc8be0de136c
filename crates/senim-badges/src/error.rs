//! What can go wrong issuing or verifying a credential.

/// Why a credential or a status list could not be issued or verified.
#[derive(Debug, thiserror::Error)]
pub enum BadgeError {
    /// A field that must be an absolute IRI is not one; JSON-LD would drop it
    /// silently and so leave it unsigned.
    #[error("{field} is not an absolute IRI: {value:?}")]
    InvalidIri {
        /// Which field.
        field: &'static str,
        /// What it held.
        value: String,
    },
    /// Input that cannot make a credential (an empty name, an expiry before
    /// the issue date, a status list of the wrong size, …).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The credential is not of the shape Senim issues: a missing or unknown
    /// property, a wrong type or context.
    #[error("not a Senim credential: {0}")]
    Malformed(String),
    /// The JSON-LD document could not be turned into RDF.
    #[error("JSON-LD to RDF failed: {0}")]
    JsonLd(String),
    /// RDF Dataset Canonicalization (RDFC-1.0) failed.
    #[error("RDF canonicalization failed: {0}")]
    Canonicalization(String),
    /// The proof is not a `DataIntegrityProof` with cryptosuite
    /// `eddsa-rdfc-2022` and purpose `assertionMethod`, or its value is not
    /// a multibase base58btc Ed25519 signature.
    #[error("unsupported proof: {0}")]
    UnsupportedProof(String),
    /// The credential names a verification method or issuer other than the
    /// key it was checked against.
    #[error("the credential is not from this key: {0}")]
    WrongKey(String),
    /// The Ed25519 signature does not match the canonical credential: it was
    /// changed after signing, or signed by another key.
    #[error("the signature does not match the credential")]
    BadSignature,
    /// A status list index outside the list.
    #[error("status list index {index} is outside the list of {len} entries")]
    IndexOutOfRange {
        /// The index asked for.
        index: u64,
        /// The number of entries in the list.
        len: u64,
    },
    /// A status list's `encodedList` could not be decoded.
    #[error("the status list could not be decoded: {0}")]
    StatusList(String),
    /// The status list credential given is not the one the credential names.
    #[error("the credential's status is in {expected}, but the status list given is {found}")]
    StatusListMismatch {
        /// The list the credential names.
        expected: String,
        /// The list given.
        found: String,
    },
    /// The credential's revocation bit is set.
    #[error("revoked: entry {index} of status list {list_url} is set")]
    Revoked {
        /// The status list credential's URL.
        list_url: String,
        /// The credential's entry in it.
        index: u64,
    },
    /// The credential is not valid yet at the time given.
    #[error("not valid before {0}")]
    NotYetValid(String),
    /// The credential has expired at the time given.
    #[error("expired at {0}")]
    Expired(String),
    /// A date could not be written or read as an XML Schema dateTime.
    #[error("date: {0}")]
    Date(String),
    /// JSON (de)serialisation failed.
    #[error("JSON: {0}")]
    Json(#[from] serde_json::Error),
}
