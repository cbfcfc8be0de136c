//! The Open Badges 3.0 `OpenBadgeCredential`: issuing and verifying.

use ed25519_dalek::{SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::canon::{CREDENTIALS_V2_CONTEXT, OPEN_BADGES_V3_CONTEXT};
use crate::status::{list_url_without_fragment, StatusList, STATUS_PURPOSE};
use crate::{proof, BadgeError};

/// An issuer: the Ed25519 key that signs, and the Open Badges `Profile` the
/// credentials name. Its id is the key's `did:key`, so a verifier needs
/// nothing but the credential to find the key.
#[derive(Clone)]
pub struct Issuer {
    key: SigningKey,
    id: String,
    name: String,
    url: Option<String>,
}

impl std::fmt::Debug for Issuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issuer")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl Issuer {
    /// An issuer signing with `key`, named `name`, with an optional web page
    /// (an absolute URL).
    pub fn new(key: SigningKey, name: &str, url: Option<&str>) -> Result<Self, BadgeError> {
        non_empty("issuer name", name)?;
        if let Some(url) = url {
            absolute_iri("issuer url", url)?;
        }
        Ok(Self {
            id: Self::did_key(&key.verifying_key()),
            key,
            name: name.to_owned(),
            url: url.map(str::to_owned),
        })
    }

    /// The `did:key` DID of an Ed25519 public key: `did:key:z6Mk…`.
    pub fn did_key(key: &VerifyingKey) -> String {
        proof::did_key(key)
    }

    /// The issuer's id: the `did:key` of its key.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The issuer's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The issuer's web page, if any.
    pub fn url(&self) -> Option<&str> {
        self.url.as_deref()
    }

    /// The public key that verifies the issuer's credentials.
    pub fn verifying_key(&self) -> VerifyingKey {
        self.key.verifying_key()
    }

    pub(crate) fn signing_key(&self) -> &SigningKey {
        &self.key
    }
}

/// What was achieved: the Open Badges `Achievement` (for Senim, a course).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Achievement {
    /// The achievement's URL (the course's page), the same in every
    /// certificate for it.
    pub id: String,
    /// Its name.
    pub name: String,
    /// What it is.
    pub description: String,
    /// What a learner did to earn it (`criteria.narrative`).
    pub criteria: String,
    /// Hours of study, written as `creditsAvailable` (Open Badges' only
    /// numeric measure of an achievement's workload).
    pub hours: Option<u32>,
    /// The language of the course, a BCP 47 tag (`kk`, `ru`, `en`).
    pub language: Option<String>,
    /// The Open Badges `achievementType`, such as `"Course"` or
    /// `"CertificateOfCompletion"`.
    pub achievement_type: Option<String>,
}

/// Who earned it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    /// An identifier of the recipient (an absolute IRI: a DID, a profile URL).
    Id(String),
    /// An e-mail address, written only as a salted SHA-256 hash in an Open
    /// Badges `IdentityObject`: whoever knows the address (and the salt, which
    /// the credential carries) can check it, nobody can read it.
    Email {
        /// The address; trimmed and lower-cased before hashing.
        email: String,
        /// A random salt, different for each credential.
        salt: String,
    },
}

/// A certificate to issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateInput {
    /// The credential's own id, unique to this certificate: an absolute IRI
    /// such as `urn:uuid:…` or the URL where it is published.
    pub credential_id: String,
    /// What was achieved.
    pub achievement: Achievement,
    /// Who achieved it.
    pub recipient: Recipient,
    /// When it was issued: `validFrom` and the proof's `created`.
    pub issued: OffsetDateTime,
    /// When it stops being valid (`validUntil`), if ever.
    pub expires: Option<OffsetDateTime>,
}

/// Where a credential's revocation bit is: an entry of a status list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusRef {
    /// The URL of the `BitstringStatusListCredential`.
    pub list_url: String,
    /// The credential's index in that list.
    pub index: u64,
}

/// What a verified credential says, for the checks left to the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The credential's id.
    pub credential_id: String,
    /// The issuer's id (its `did:key`).
    pub issuer: String,
    /// The achievement's id.
    pub achievement_id: String,
    /// `validFrom`.
    pub valid_from: OffsetDateTime,
    /// `validUntil`, if any.
    pub valid_until: Option<OffsetDateTime>,
    /// Where its revocation bit is.
    pub status: StatusRef,
}

// The credential exactly as Senim writes it. Verifying parses into these
// types and refuses any property they do not have: JSON-LD drops a property
// that its context does not define, so such a property would be outside the
// signature.

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct OpenBadgeCredential {
    #[serde(rename = "@context")]
    context: Vec<String>,
    id: String,
    #[serde(rename = "type")]
    kind: Vec<String>,
    name: String,
    issuer: Profile,
    valid_from: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    valid_until: Option<String>,
    credential_subject: AchievementSubject,
    credential_status: StatusEntry,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    proof: Option<Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Profile {
    id: String,
    #[serde(rename = "type")]
    kind: Vec<String>,
    name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    url: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AchievementSubject {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(rename = "type")]
    kind: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    identifier: Option<Vec<IdentityObject>>,
    achievement: AchievementJson,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct IdentityObject {
    #[serde(rename = "type")]
    kind: String,
    identity_hash: String,
    identity_type: String,
    hashed: bool,
    salt: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AchievementJson {
    id: String,
    #[serde(rename = "type")]
    kind: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    achievement_type: Option<String>,
    name: String,
    description: String,
    criteria: Criteria,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    credits_available: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    in_language: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Criteria {
    narrative: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct StatusEntry {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    status_purpose: String,
    status_list_index: String,
    status_list_credential: String,
}

const CREDENTIAL_TYPES: [&str; 2] = ["VerifiableCredential", "OpenBadgeCredential"];

/// Issues a signed `OpenBadgeCredential` for `input`, revocable through entry
/// `status.index` of the status list at `status.list_url`.
///
/// The credential carries the VC 2.0 and Open Badges 3.0.3 contexts, the
/// issuer's `Profile`, `validFrom` (and `validUntil`), an `AchievementSubject`
/// with its `Achievement`, a `BitstringStatusListEntry` with purpose
/// `revocation`, and a `DataIntegrityProof` (`eddsa-rdfc-2022`) by the
/// issuer's key, created at the issue date.
pub fn issue(
    issuer: &Issuer,
    input: &CertificateInput,
    status: &StatusRef,
) -> Result<Value, BadgeError> {
    absolute_iri("credential id", &input.credential_id)?;
    let a = &input.achievement;
    absolute_iri("achievement id", &a.id)?;
    non_empty("achievement name", &a.name)?;
    non_empty("achievement description", &a.description)?;
    non_empty("achievement criteria", &a.criteria)?;
    for (field, value) in [
        ("achievement language", &a.language),
        ("achievement type", &a.achievement_type),
    ] {
        if let Some(value) = value {
            non_empty(field, value)?;
        }
    }
    list_url_without_fragment(&status.list_url)?;
    if status.index >= StatusList::MAX_LEN {
        return Err(BadgeError::IndexOutOfRange {
            index: status.index,
            len: StatusList::MAX_LEN,
        });
    }
    let valid_from = xsd_date_time(input.issued)?;
    let valid_until = match input.expires {
        Some(expires) if expires <= input.issued => {
            return Err(BadgeError::InvalidInput(
                "the expiry date is not after the issue date".into(),
            ))
        }
        Some(expires) => Some(xsd_date_time(expires)?),
        None => None,
    };
    let (subject_id, identifier) = match &input.recipient {
        Recipient::Id(id) => {
            absolute_iri("recipient id", id)?;
            (Some(id.clone()), None)
        }
        Recipient::Email { email, salt } => {
            non_empty("recipient e-mail", email)?;
            non_empty("salt", salt)?;
            (
                None,
                Some(vec![IdentityObject {
                    kind: "IdentityObject".into(),
                    identity_hash: email_identity_hash(email, salt),
                    identity_type: "emailAddress".into(),
                    hashed: true,
                    salt: salt.clone(),
                }]),
            )
        }
    };
    let credential = OpenBadgeCredential {
        context: vec![
            CREDENTIALS_V2_CONTEXT.to_owned(),
            OPEN_BADGES_V3_CONTEXT.to_owned(),
        ],
        id: input.credential_id.clone(),
        kind: CREDENTIAL_TYPES.map(str::to_owned).to_vec(),
        name: a.name.clone(),
        issuer: Profile {
            id: issuer.id().to_owned(),
            kind: vec!["Profile".into()],
            name: issuer.name().to_owned(),
            url: issuer.url().map(str::to_owned),
        },
        valid_from: valid_from.clone(),
        valid_until,
        credential_subject: AchievementSubject {
            id: subject_id,
            kind: vec!["AchievementSubject".into()],
            identifier,
            achievement: AchievementJson {
                id: a.id.clone(),
                kind: vec!["Achievement".into()],
                achievement_type: a.achievement_type.clone(),
                name: a.name.clone(),
                description: a.description.clone(),
                criteria: Criteria {
                    narrative: a.criteria.clone(),
                },
                credits_available: a.hours,
                in_language: a.language.clone(),
            },
        },
        credential_status: StatusEntry {
            id: format!("{}#{}", status.list_url, status.index),
            kind: "BitstringStatusListEntry".into(),
            status_purpose: STATUS_PURPOSE.into(),
            status_list_index: status.index.to_string(),
            status_list_credential: status.list_url.clone(),
        },
        proof: None,
    };
    proof::sign(
        serde_json::to_value(&credential)?,
        issuer.signing_key(),
        valid_from,
    )
}

/// Verifies a credential issued by [`issue`] offline: its shape, that its
/// issuer is the `did:key` of `key`, and its proof. Time and revocation are
/// left to the caller (see [`verify_with_status`]), which gets what it needs
/// to check them.
pub fn verify(credential: &Value, key: &VerifyingKey) -> Result<Verified, BadgeError> {
    let parsed: OpenBadgeCredential = serde_json::from_value(credential.clone())
        .map_err(|e| BadgeError::Malformed(e.to_string()))?;
    if parsed.context != [CREDENTIALS_V2_CONTEXT, OPEN_BADGES_V3_CONTEXT] {
        return Err(BadgeError::Malformed(format!(
            "@context {:?}",
            parsed.context
        )));
    }
    if parsed.kind != CREDENTIAL_TYPES {
        return Err(BadgeError::Malformed(format!("type {:?}", parsed.kind)));
    }
    let expected = proof::did_key(key);
    if parsed.issuer.id != expected {
        return Err(BadgeError::WrongKey(format!(
            "issuer {}, expected {expected}",
            parsed.issuer.id
        )));
    }
    let status = status_ref(&parsed.credential_status)?;
    proof::verify(credential, key)?;
    Ok(Verified {
        credential_id: parsed.id,
        issuer: parsed.issuer.id,
        achievement_id: parsed.credential_subject.achievement.id,
        valid_from: parse_date_time(&parsed.valid_from)?,
        valid_until: parsed
            .valid_until
            .as_deref()
            .map(parse_date_time)
            .transpose()?,
        status,
    })
}

/// Verifies a credential completely, as a relying party would at time `now`:
/// [`verify`], then its validity period, then its revocation bit in
/// `status_list_credential` (which must be the list the credential names,
/// signed by the same key).
pub fn verify_with_status(
    credential: &Value,
    status_list_credential: &Value,
    key: &VerifyingKey,
    now: OffsetDateTime,
) -> Result<Verified, BadgeError> {
    let verified = verify(credential, key)?;
    if now < verified.valid_from {
        return Err(BadgeError::NotYetValid(xsd_date_time(verified.valid_from)?));
    }
    if let Some(until) = verified.valid_until {
        if now >= until {
            return Err(BadgeError::Expired(xsd_date_time(until)?));
        }
    }
    let (list_url, list) = StatusList::verify_credential(status_list_credential, key)?;
    if list_url != verified.status.list_url {
        return Err(BadgeError::StatusListMismatch {
            expected: verified.status.list_url,
            found: list_url,
        });
    }
    if list.is_revoked(verified.status.index)? {
        return Err(BadgeError::Revoked {
            list_url,
            index: verified.status.index,
        });
    }
    Ok(verified)
}

fn status_ref(entry: &StatusEntry) -> Result<StatusRef, BadgeError> {
    if entry.kind != "BitstringStatusListEntry" || entry.status_purpose != STATUS_PURPOSE {
        return Err(BadgeError::Malformed(format!(
            "credentialStatus {} with purpose {}",
            entry.kind, entry.status_purpose
        )));
    }
    let index = entry
        .status_list_index
        .parse::<u64>()
        .ok()
        .filter(|i| i.to_string() == entry.status_list_index)
        .ok_or_else(|| {
            BadgeError::Malformed(format!("statusListIndex {:?}", entry.status_list_index))
        })?;
    Ok(StatusRef {
        list_url: entry.status_list_credential.clone(),
        index,
    })
}

/// The Open Badges `identityHash` of an e-mail address: `sha256$` and the
/// lower-case hex SHA-256 of the trimmed, lower-cased address followed by the
/// salt.
pub fn email_identity_hash(email: &str, salt: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(email.trim().to_lowercase().as_bytes());
    hasher.update(salt.as_bytes());
    let digest = hasher.finalize();
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256$");
    for byte in digest {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

/// An instant as an XML Schema `dateTimeStamp` in UTC to the second:
/// `2025-01-15T09:30:00Z`.
pub(crate) fn xsd_date_time(at: OffsetDateTime) -> Result<String, BadgeError> {
    let utc = at.to_offset(time::UtcOffset::UTC);
    if !(1..=9999).contains(&utc.year()) {
        return Err(BadgeError::Date(format!(
            "year {} is out of range",
            utc.year()
        )));
    }
    utc.format(time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
    ))
    .map_err(|e| BadgeError::Date(e.to_string()))
}

fn parse_date_time(value: &str) -> Result<OffsetDateTime, BadgeError> {
    OffsetDateTime::parse(value, &time::format_description::well_known::Rfc3339)
        .map_err(|e| BadgeError::Date(format!("{value:?}: {e}")))
}

/// Refuses a value that is not an absolute IRI (JSON-LD would drop it).
pub(crate) fn absolute_iri(field: &'static str, value: &str) -> Result<(), BadgeError> {
    let bad = || BadgeError::InvalidIri {
        field,
        value: value.to_owned(),
    };
    // oxrdf checks the IRI grammar, and only accepts absolute IRIs.
    oxrdf::NamedNode::new(value).map_err(|_| bad())?;
    Ok(())
}

fn non_empty(field: &str, value: &str) -> Result<(), BadgeError> {
    if value.trim().is_empty() {
        return Err(BadgeError::InvalidInput(format!("{field} is empty")));
    }
    Ok(())
}
