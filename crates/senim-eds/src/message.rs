//! The CMS message: its signer, its certificates, its text and the
//! signature over it.

use cms::cert::CertificateChoices;
use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier, SignerInfo};
use der::asn1::{GeneralizedTime, OctetString, UtcTime};
use der::{Decode, Encode};
use x509_cert::Certificate;

use crate::{hash, oid, Refusal, RefusalKind, SignatureVerifier};

pub(crate) struct SignedMessage {
    data: SignedData,
    signer_info: SignerInfo,
    /// The certificates the message carries.
    pub certificates: Vec<Certificate>,
}

fn malformed(detail: impl std::fmt::Display) -> Refusal {
    Refusal::new(RefusalKind::Malformed, detail.to_string())
}

impl SignedMessage {
    pub fn parse(bytes: &[u8]) -> Result<SignedMessage, Refusal> {
        let info = ContentInfo::from_der(bytes).map_err(malformed)?;
        if info.content_type != oid::SIGNED_DATA {
            return Err(malformed(format!(
                "content type {} is not signed data",
                info.content_type
            )));
        }
        let data: SignedData = info.content.decode_as().map_err(malformed)?;
        let mut signers = data.signer_infos.0.iter();
        let signer_info = match (signers.next(), signers.next()) {
            (Some(one), None) => one.clone(),
            (None, _) => return Err(Refusal::new(RefusalKind::NotOneSigner, "no signer")),
            (Some(_), Some(_)) => {
                return Err(Refusal::new(RefusalKind::NotOneSigner, "several signers"))
            }
        };
        let certificates = data
            .certificates
            .iter()
            .flat_map(|set| set.0.iter())
            .filter_map(|choice| match choice {
                CertificateChoices::Certificate(c) => Some(c.clone()),
                CertificateChoices::Other(_) => None,
            })
            .collect();
        Ok(SignedMessage {
            data,
            signer_info,
            certificates,
        })
    }

    /// The certificate the signer names.
    pub fn signer_certificate(&self) -> Result<&Certificate, Refusal> {
        self.certificates
            .iter()
            .find(|c| match &self.signer_info.sid {
                SignerIdentifier::IssuerAndSerialNumber(id) => {
                    c.tbs_certificate.issuer == id.issuer
                        && c.tbs_certificate.serial_number == id.serial_number
                }
                SignerIdentifier::SubjectKeyIdentifier(ski) => {
                    crate::names::subject_key_id(c).as_deref() == Some(ski.0.as_bytes())
                }
            })
            .ok_or_else(|| Refusal::new(RefusalKind::NoCertificate, "no certificate matches"))
    }

    /// The signed text: the attached one, or `expected` for a detached
    /// signature; either way, it must be `expected`, and the signed
    /// attributes' digest (when there are any) must be the text's.
    pub fn check_content(&self, expected: &[u8]) -> Result<(), Refusal> {
        if let Some(attached) = &self.data.encap_content_info.econtent {
            let text: OctetString = attached.decode_as().map_err(malformed)?;
            if text.as_bytes() != expected {
                return Err(Refusal::new(
                    RefusalKind::WrongContent,
                    "the attached text differs",
                ));
            }
        }
        if self.signer_info.signed_attrs.is_none() {
            return Ok(());
        }
        let digest = self
            .attribute(oid::MESSAGE_DIGEST)
            .ok_or_else(|| malformed("signed attributes without a message digest"))?;
        let digest: OctetString = digest.decode_as().map_err(malformed)?;
        let ours = hash(&self.signer_info.digest_alg.oid, expected)?;
        if digest.as_bytes() != ours.as_slice() {
            // With no text attached, the digest is the only link to it.
            return Err(Refusal::new(
                RefusalKind::WrongContent,
                "the message digest is another text's",
            ));
        }
        let content_type = self
            .attribute(oid::CONTENT_TYPE)
            .and_then(|a| a.decode_as::<der::asn1::ObjectIdentifier>().ok());
        if content_type != Some(self.data.encap_content_info.econtent_type) {
            return Err(malformed("the content-type attribute differs"));
        }
        Ok(())
    }

    /// The signer's signature over the signed attributes (or the text).
    pub fn check_signature(
        &self,
        signer: &Certificate,
        algorithm: &dyn SignatureVerifier,
        expected: &[u8],
    ) -> Result<(), Refusal> {
        let message = match &self.signer_info.signed_attrs {
            // The signature covers the attributes' DER as a SET OF.
            Some(attributes) => attributes.to_der().map_err(malformed)?,
            // Without attributes it covers the text itself (compared with
            // the attached one by check_content).
            None => expected.to_vec(),
        };
        algorithm.verify(
            &signer.tbs_certificate.subject_public_key_info,
            &self.signer_info.signature_algorithm,
            Some(&self.signer_info.digest_alg.oid),
            &message,
            self.signer_info.signature.as_bytes(),
        )
    }

    fn attribute(&self, id: der::asn1::ObjectIdentifier) -> Option<&der::Any> {
        self.signer_info
            .signed_attrs
            .as_ref()?
            .iter()
            .find(|a| a.oid == id)?
            .values
            .iter()
            .next()
    }

    /// The `signing-time` attribute, in Unix seconds.
    pub fn signing_time(&self) -> Option<u64> {
        let value = self.attribute(oid::SIGNING_TIME)?;
        let bytes = value.to_der().ok()?;
        if let Ok(t) = UtcTime::from_der(&bytes) {
            return Some(t.to_unix_duration().as_secs());
        }
        GeneralizedTime::from_der(&bytes)
            .ok()
            .map(|t| t.to_unix_duration().as_secs())
    }
}
