//! Electronic digital signatures (EDS) as Kazakhstan's National
//! Certification Authority (NCA) issues them, checked without the network
//! (issue 21).
//!
//! A person's key, held by NCALayer or a token, signs a text as a CMS
//! `SignedData` (RFC 5652), the text attached or detached. [`Verifier`]
//! checks, in order:
//!
//! 1. the CMS: one signer, its certificate in the message, the signed
//!    attributes' digest of the text, and the text is the one expected
//!    (the sign-in page's nonce, or the document being signed);
//! 2. the signature, with the certificate's key ([`SignatureVerifier`]:
//!    RSA is built in; GOST keys go to a verifier the deployment connects,
//!    and without one they get a clear refusal, never a failure);
//! 3. the chain, from the certificate through the intermediates (the
//!    message's and the configured ones) to a configured root, each
//!    issuer's signature, each period of validity at `now`;
//! 4. revocation: each certificate below the root against its issuer's
//!    CRL, whose own signature is checked and which must still be current;
//!    without one, an [`OcspResponder`] if the deployment has one; without
//!    either, the signature is refused (a revocation that cannot be checked
//!    is not taken as none);
//! 5. the key's purpose: signing in takes an authentication key (extended
//!    key usage `clientAuth`, as the NCA's `AUTH_RSA256_...` keys), signing
//!    a decision a signing key (`nonRepudiation`, the `RSA256_...` keys);
//! 6. the subject: the person's IIN (`SERIALNUMBER=IIN...`) and, for an
//!    organisation's key, its BIN (`OU=BIN...`) and name.
//!
//! Every refusal is a [`Refusal`]: a reason for the person (worded in each
//! language by the pages) and a detail for the server's security log.

mod chain;
mod message;
mod names;

use std::sync::Arc;

use der::asn1::ObjectIdentifier;
use der::{Decode, Encode};
pub use names::{Holder, Signer};
use sha2::Digest;
use x509_cert::crl::CertificateList;
use x509_cert::spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
pub use x509_cert::spki::{
    AlgorithmIdentifierOwned as Algorithm, SubjectPublicKeyInfoOwned as PublicKey,
};
pub use x509_cert::Certificate;

/// What the signature is for: the key must be made for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Signing in: an authentication key (`clientAuth`).
    SignIn,
    /// Signing a decision or a document: a signing key (`nonRepudiation`).
    Sign,
}

/// Why a signature was refused, as the person reads it (each a `reason-*`
/// message of the pages' English file).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalKind {
    Malformed,
    NotOneSigner,
    NoCertificate,
    WrongContent,
    BadSignature,
    UnknownRoot,
    ForgedCertificate,
    NotYetValid,
    Expired,
    Revoked,
    RevocationUnknown,
    NotForSignIn,
    NotForSigning,
    NoIin,
    Gost,
    Algorithm,
}

impl RefusalKind {
    /// Every kind, for the tests that check each is worded in each language.
    pub const ALL: [RefusalKind; 16] = [
        RefusalKind::Malformed,
        RefusalKind::NotOneSigner,
        RefusalKind::NoCertificate,
        RefusalKind::WrongContent,
        RefusalKind::BadSignature,
        RefusalKind::UnknownRoot,
        RefusalKind::ForgedCertificate,
        RefusalKind::NotYetValid,
        RefusalKind::Expired,
        RefusalKind::Revoked,
        RefusalKind::RevocationUnknown,
        RefusalKind::NotForSignIn,
        RefusalKind::NotForSigning,
        RefusalKind::NoIin,
        RefusalKind::Gost,
        RefusalKind::Algorithm,
    ];

    /// The reason, completing "The signature ...".
    pub fn reason(self) -> &'static str {
        match self {
            RefusalKind::Malformed => "is not a CMS (PKCS#7) signature the register can read",
            RefusalKind::NotOneSigner => "must be made by exactly one signer",
            RefusalKind::NoCertificate => "does not carry the signer's certificate",
            RefusalKind::WrongContent => "signs another text than the one asked for",
            RefusalKind::BadSignature => {
                "does not match the signer's certificate: the text or the signature was altered"
            }
            RefusalKind::UnknownRoot => {
                "was made with a certificate that no certification authority trusted here issued"
            }
            RefusalKind::ForgedCertificate => {
                "was made with a forged certificate: its issuer's signature on it does not verify"
            }
            RefusalKind::NotYetValid => "was made with a certificate that is not valid yet",
            RefusalKind::Expired => "was made with a certificate that has expired",
            RefusalKind::Revoked => "was made with a certificate that was revoked",
            RefusalKind::RevocationUnknown => {
                "was made with a certificate whose revocation cannot be checked now: there is no current revocation list from its issuer; try again later"
            }
            RefusalKind::NotForSignIn => {
                "was made with a key that is not for signing in: choose your authentication key (AUTH_RSA...)"
            }
            RefusalKind::NotForSigning => {
                "was made with a key that is not for signing documents: choose your signing key (RSA..., not AUTH_RSA...)"
            }
            RefusalKind::NoIin => "was made with a certificate that names no IIN",
            RefusalKind::Gost => {
                "was made with a GOST key, and this deployment cannot verify GOST signatures: sign with your RSA key"
            }
            RefusalKind::Algorithm => "uses an algorithm the register does not accept",
        }
    }
}

/// A refused signature: its reason, and what exactly failed (for the
/// server's security log, never shown).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} ({detail})", kind.reason())]
pub struct Refusal {
    pub kind: RefusalKind,
    pub detail: String,
}

impl Refusal {
    pub(crate) fn new(kind: RefusalKind, detail: impl Into<String>) -> Refusal {
        Refusal {
            kind,
            detail: detail.into(),
        }
    }

    /// The reason the person reads.
    pub fn reason(&self) -> &'static str {
        self.kind.reason()
    }
}

/// A signature that verified: who signed, and when they say they did.
#[derive(Debug, Clone)]
pub struct Verified {
    pub signer: Signer,
    /// The `signing-time` attribute, in Unix seconds, if the signer put one.
    pub signed_at: Option<u64>,
    /// The SHA-256 of the CMS message as received, hex.
    pub signature_sha256: String,
}

/// Verifies signatures of one algorithm family over a message.
pub trait SignatureVerifier: Send + Sync {
    /// Whether keys of this algorithm (the certificate's public key
    /// algorithm) are this verifier's.
    fn knows(&self, key_algorithm: &ObjectIdentifier) -> bool;

    /// Checks `signature` over `message` by `key`. `algorithm` is the
    /// signature's algorithm; `digest` the digest algorithm where the
    /// signature's algorithm names only the key (CMS signer infos).
    fn verify(
        &self,
        key: &SubjectPublicKeyInfoOwned,
        algorithm: &AlgorithmIdentifierOwned,
        digest: Option<&ObjectIdentifier>,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Refusal>;
}

/// What an OCSP responder says of a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertificateStatus {
    Good,
    Revoked,
    Unknown,
}

/// Asks an OCSP responder (RFC 6960) whether a certificate was revoked,
/// for certificates whose issuer has no current CRL installed. Off by
/// default: a deployment with a network path to the NCA's responder
/// (`http://ocsp.pki.gov.kz`) connects one.
pub trait OcspResponder: Send + Sync {
    fn status(&self, certificate: &Certificate, issuer: &Certificate) -> CertificateStatus;
}

/// The algorithms' object identifiers the crate reads.
pub mod oid {
    use der::asn1::ObjectIdentifier as Oid;

    pub const RSA_ENCRYPTION: Oid = Oid::new_unwrap("1.2.840.113549.1.1.1");
    pub const SHA256_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.11");
    pub const SHA384_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.12");
    pub const SHA512_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.13");
    pub const SHA256: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.1");
    pub const SHA384: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.2");
    pub const SHA512: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.3");
    pub const SIGNED_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.2");
    pub const CONTENT_TYPE: Oid = Oid::new_unwrap("1.2.840.113549.1.9.3");
    pub const MESSAGE_DIGEST: Oid = Oid::new_unwrap("1.2.840.113549.1.9.4");
    pub const SIGNING_TIME: Oid = Oid::new_unwrap("1.2.840.113549.1.9.5");
    pub const CLIENT_AUTH: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.3.2");
    /// The NCA's certificate policies: a person's, an organisation's.
    pub const NCA_PERSON: Oid = Oid::new_unwrap("1.2.398.3.3.4.1.1");
    pub const NCA_ORGANISATION: Oid = Oid::new_unwrap("1.2.398.3.3.4.1.2");
    pub const SERIAL_NUMBER: Oid = Oid::new_unwrap("2.5.4.5");
    pub const COMMON_NAME: Oid = Oid::new_unwrap("2.5.4.3");
    pub const ORGANISATION: Oid = Oid::new_unwrap("2.5.4.10");
    pub const ORGANISATIONAL_UNIT: Oid = Oid::new_unwrap("2.5.4.11");

    /// Whether a key algorithm is of the GOST families: Russia's GOST R
    /// 34.10 (1.2.643.7.1, 1.2.643.2.2) and Kazakhstan's GOST 34.310 and
    /// 34.10-2015 (1.2.398.3.10).
    pub fn is_gost(key: &Oid) -> bool {
        let text = key.to_string();
        ["1.2.643.7.1.", "1.2.643.2.2.", "1.2.398.3.10."]
            .iter()
            .any(|prefix| text.starts_with(prefix))
    }
}

/// RSA with PKCS#1 v1.5 padding and SHA-2 (the NCA's `RSA256` keys).
pub struct Rsa;

impl SignatureVerifier for Rsa {
    fn knows(&self, key_algorithm: &ObjectIdentifier) -> bool {
        *key_algorithm == oid::RSA_ENCRYPTION
    }

    fn verify(
        &self,
        key: &SubjectPublicKeyInfoOwned,
        algorithm: &AlgorithmIdentifierOwned,
        digest: Option<&ObjectIdentifier>,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), Refusal> {
        use rsa::pkcs1::DecodeRsaPublicKey;
        use rsa::traits::PublicKeyParts;
        let digest = match algorithm.oid {
            oid::SHA256_WITH_RSA => oid::SHA256,
            oid::SHA384_WITH_RSA => oid::SHA384,
            oid::SHA512_WITH_RSA => oid::SHA512,
            oid::RSA_ENCRYPTION => *digest.ok_or_else(|| {
                Refusal::new(RefusalKind::Algorithm, "rsaEncryption without a digest")
            })?,
            other => {
                return Err(Refusal::new(
                    RefusalKind::Algorithm,
                    format!("signature algorithm {other}"),
                ))
            }
        };
        let public = rsa::RsaPublicKey::from_pkcs1_der(key.subject_public_key.raw_bytes())
            .map_err(|e| Refusal::new(RefusalKind::Malformed, format!("RSA key: {e}")))?;
        if public.size() < 256 {
            return Err(Refusal::new(
                RefusalKind::Algorithm,
                format!("an RSA key of {} bits", public.size() * 8),
            ));
        }
        let hashed = hash(&digest, message)?;
        let scheme = match digest {
            oid::SHA256 => rsa::Pkcs1v15Sign::new::<sha2::Sha256>(),
            oid::SHA384 => rsa::Pkcs1v15Sign::new::<sha2::Sha384>(),
            _ => rsa::Pkcs1v15Sign::new::<sha2::Sha512>(),
        };
        public
            .verify(scheme, &hashed, signature)
            .map_err(|_| Refusal::new(RefusalKind::BadSignature, "RSA signature"))
    }
}

/// The digest of `data` with the algorithm `digest` (SHA-2 only: SHA-1 is
/// no longer accepted for signatures).
pub(crate) fn hash(digest: &ObjectIdentifier, data: &[u8]) -> Result<Vec<u8>, Refusal> {
    Ok(match *digest {
        oid::SHA256 => sha2::Sha256::digest(data).to_vec(),
        oid::SHA384 => sha2::Sha384::digest(data).to_vec(),
        oid::SHA512 => sha2::Sha512::digest(data).to_vec(),
        other => {
            return Err(Refusal::new(
                RefusalKind::Algorithm,
                format!("digest algorithm {other}"),
            ))
        }
    })
}

/// Certificates from a file's bytes: PEM (one or more) or one DER.
pub fn read_certificates(bytes: &[u8]) -> Result<Vec<Certificate>, String> {
    if bytes.starts_with(b"-----") || bytes.trim_ascii_start().starts_with(b"-----") {
        let text = std::str::from_utf8(bytes).map_err(|e| e.to_string())?;
        Certificate::load_pem_chain(text.as_bytes()).map_err(|e| e.to_string())
    } else {
        Ok(vec![
            Certificate::from_der(bytes).map_err(|e| e.to_string())?
        ])
    }
}

/// A revocation list from a file's bytes: PEM or DER.
pub fn read_crl(bytes: &[u8]) -> Result<CertificateList, String> {
    if bytes.trim_ascii_start().starts_with(b"-----") {
        let text = std::str::from_utf8(bytes).map_err(|e| e.to_string())?;
        let (_, der) = der::pem::decode_vec(text.trim().as_bytes()).map_err(|e| e.to_string())?;
        CertificateList::from_der(&der).map_err(|e| e.to_string())
    } else {
        CertificateList::from_der(bytes).map_err(|e| e.to_string())
    }
}

/// What a deployment trusts, and how it checks signatures.
#[derive(Clone)]
pub struct Verifier {
    roots: Vec<Certificate>,
    intermediates: Vec<Certificate>,
    crls: Vec<CertificateList>,
    algorithms: Vec<Arc<dyn SignatureVerifier>>,
    ocsp: Option<Arc<dyn OcspResponder>>,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("roots", &self.roots.len())
            .field("intermediates", &self.intermediates.len())
            .field("crls", &self.crls.len())
            .field("algorithms", &self.algorithms.len())
            .field("ocsp", &self.ocsp.is_some())
            .finish()
    }
}

impl Verifier {
    /// Trusts `roots`, knows `intermediates` (the message may carry its
    /// own), checks revocation against `crls`; verifies RSA.
    pub fn new(
        roots: Vec<Certificate>,
        intermediates: Vec<Certificate>,
        crls: Vec<CertificateList>,
    ) -> Verifier {
        Verifier {
            roots,
            intermediates,
            crls,
            algorithms: vec![Arc::new(Rsa)],
            ocsp: None,
        }
    }

    /// Verifies another algorithm family too (GOST, through an external
    /// verifier service).
    pub fn with_algorithm(mut self, verifier: Arc<dyn SignatureVerifier>) -> Verifier {
        self.algorithms.push(verifier);
        self
    }

    /// Asks `responder` about certificates whose issuer has no current CRL.
    pub fn with_ocsp(mut self, responder: Arc<dyn OcspResponder>) -> Verifier {
        self.ocsp = Some(responder);
        self
    }

    /// Whether any root is trusted: a deployment without one takes no
    /// signature.
    pub fn is_configured(&self) -> bool {
        !self.roots.is_empty()
    }

    /// The CRLs installed: their issuer and when each must be replaced
    /// (Unix seconds), for the operator's checks.
    pub fn crl_summary(&self) -> Vec<(String, Option<u64>)> {
        self.crls
            .iter()
            .map(|c| {
                (
                    c.tbs_cert_list.issuer.to_string(),
                    c.tbs_cert_list
                        .next_update
                        .map(|t| t.to_unix_duration().as_secs()),
                )
            })
            .collect()
    }

    /// Checks that `cms` (DER) is a signature, for `purpose`, of exactly
    /// `expected` (attached or detached), by a certificate this deployment
    /// trusts, valid and not revoked at `now` (Unix seconds).
    pub fn verify(
        &self,
        cms: &[u8],
        expected: &[u8],
        purpose: Purpose,
        now: u64,
    ) -> Result<Verified, Refusal> {
        let signed = message::SignedMessage::parse(cms)?;
        let signer = signed.signer_certificate()?;
        let key_algorithm = signer.tbs_certificate.subject_public_key_info.algorithm.oid;
        let algorithm = self.algorithm_for(&key_algorithm)?;
        signed.check_content(expected)?;
        signed.check_signature(signer, algorithm.as_ref(), expected)?;
        let chain = chain::build(self, signer, &signed.certificates)?;
        chain::check_validity(&chain, now)?;
        chain::check_revocation(self, &chain, now)?;
        names::check_purpose(signer, purpose)?;
        let signer = names::signer_of(signer)?;
        Ok(Verified {
            signer,
            signed_at: signed.signing_time(),
            signature_sha256: hex::encode(sha2::Sha256::digest(cms)),
        })
    }

    fn algorithm_for(
        &self,
        key_algorithm: &ObjectIdentifier,
    ) -> Result<Arc<dyn SignatureVerifier>, Refusal> {
        match self.algorithms.iter().find(|a| a.knows(key_algorithm)) {
            Some(a) => Ok(a.clone()),
            None if oid::is_gost(key_algorithm) => Err(Refusal::new(
                RefusalKind::Gost,
                format!("key algorithm {key_algorithm}"),
            )),
            None => Err(Refusal::new(
                RefusalKind::Algorithm,
                format!("key algorithm {key_algorithm}"),
            )),
        }
    }
}

/// A certificate's DER, for comparing certificates.
pub(crate) fn der_of(c: &Certificate) -> Vec<u8> {
    c.to_der().unwrap_or_default()
}
