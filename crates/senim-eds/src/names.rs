//! Who a certificate names, and what its key is for.

use der::asn1::ObjectIdentifier;
use der::{Tag, Tagged};
use x509_cert::ext::pkix::{CertificatePolicies, ExtendedKeyUsage, KeyUsage, SubjectKeyIdentifier};
use x509_cert::name::Name;
use x509_cert::Certificate;

use crate::{oid, Purpose, Refusal, RefusalKind};

/// Whose key it is, by the NCA's certificate policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    /// A person's own key (policy 1.2.398.3.3.4.1.1).
    Person,
    /// An employee's key for their organisation (1.2.398.3.3.4.1.2, with
    /// the organisation's BIN).
    Organisation,
}

/// The signer, as their certificate names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signer {
    /// The person's IIN (twelve digits).
    pub iin: String,
    /// The organisation's BIN, for an organisation's key.
    pub bin: Option<String>,
    /// The certificate's common name (the person's name, as the NCA
    /// writes it: SURNAME NAME).
    pub name: String,
    /// The organisation's name, for an organisation's key.
    pub organisation: Option<String>,
    pub holder: Holder,
    /// The certificate's serial number, hex.
    pub serial: String,
    /// The issuing authority's name.
    pub issuer: String,
    /// The end of the certificate's validity, Unix seconds.
    pub valid_until: u64,
}

/// An attribute's text, whatever string type it was written in.
fn text_of(value: &der::Any) -> Option<String> {
    let bytes = value.value();
    match value.tag() {
        Tag::Utf8String | Tag::PrintableString | Tag::Ia5String | Tag::VisibleString => {
            std::str::from_utf8(bytes).ok().map(str::to_string)
        }
        Tag::BmpString => {
            let units: Vec<u16> = bytes
                .chunks_exact(2)
                .map(|p| u16::from_be_bytes([p[0], p[1]]))
                .collect();
            String::from_utf16(&units).ok()
        }
        Tag::TeletexString => Some(bytes.iter().map(|b| char::from(*b)).collect()),
        _ => None,
    }
}

/// The texts of a name's attributes of type `id`, in order.
fn attributes(name: &Name, id: ObjectIdentifier) -> Vec<String> {
    name.0
        .iter()
        .flat_map(|rdn| rdn.0.iter())
        .filter(|atv| atv.oid == id)
        .filter_map(|atv| text_of(&atv.value))
        .collect()
}

/// Twelve digits after `prefix` in one of `values`.
fn number_after(values: &[String], prefix: &str) -> Option<String> {
    values.iter().find_map(|v| {
        let digits = v.trim().strip_prefix(prefix)?;
        (digits.len() == 12 && digits.bytes().all(|b| b.is_ascii_digit()))
            .then(|| digits.to_string())
    })
}

pub(crate) fn subject_key_id(c: &Certificate) -> Option<Vec<u8>> {
    match c.tbs_certificate.get::<SubjectKeyIdentifier>() {
        Ok(Some((_, ski))) => Some(ski.0.as_bytes().to_vec()),
        _ => None,
    }
}

/// The key is made for `purpose`.
pub(crate) fn check_purpose(c: &Certificate, purpose: Purpose) -> Result<(), Refusal> {
    let usage = match c.tbs_certificate.get::<KeyUsage>() {
        Ok(Some((_, usage))) => Some(usage),
        Ok(None) => None,
        Err(e) => return Err(Refusal::new(RefusalKind::Malformed, e.to_string())),
    };
    let extended = match c.tbs_certificate.get::<ExtendedKeyUsage>() {
        Ok(Some((_, eku))) => eku.0,
        Ok(None) => Vec::new(),
        Err(e) => return Err(Refusal::new(RefusalKind::Malformed, e.to_string())),
    };
    match purpose {
        Purpose::SignIn => {
            let signs = usage.is_none_or(|u| u.digital_signature());
            if !signs || !extended.contains(&oid::CLIENT_AUTH) {
                return Err(Refusal::new(
                    RefusalKind::NotForSignIn,
                    "no clientAuth extended key usage",
                ));
            }
        }
        Purpose::Sign => {
            if !usage.is_some_and(|u| u.non_repudiation() && u.digital_signature()) {
                return Err(Refusal::new(
                    RefusalKind::NotForSigning,
                    "no nonRepudiation key usage",
                ));
            }
        }
    }
    Ok(())
}

/// The signer a certificate names.
pub(crate) fn signer_of(c: &Certificate) -> Result<Signer, Refusal> {
    let tbs = &c.tbs_certificate;
    let subject = &tbs.subject;
    let iin = number_after(&attributes(subject, oid::SERIAL_NUMBER), "IIN")
        .ok_or_else(|| Refusal::new(RefusalKind::NoIin, format!("{subject}")))?;
    let bin = number_after(&attributes(subject, oid::ORGANISATIONAL_UNIT), "BIN");
    let policies = match tbs.get::<CertificatePolicies>() {
        Ok(Some((_, p))) => p.0.into_iter().map(|p| p.policy_identifier).collect(),
        _ => Vec::new(),
    };
    let organisation_policy = policies.iter().any(|p: &ObjectIdentifier| {
        p.to_string()
            .starts_with(&oid::NCA_ORGANISATION.to_string())
    });
    let holder = if organisation_policy || bin.is_some() {
        Holder::Organisation
    } else {
        Holder::Person
    };
    Ok(Signer {
        iin,
        bin,
        name: attributes(subject, oid::COMMON_NAME)
            .into_iter()
            .next()
            .unwrap_or_default(),
        organisation: attributes(subject, oid::ORGANISATION).into_iter().next(),
        holder,
        serial: hex::encode(tbs.serial_number.as_bytes()),
        issuer: tbs.issuer.to_string(),
        valid_until: tbs.validity.not_after.to_unix_duration().as_secs(),
    })
}
