//! The certificate's chain to a trusted root: each issuer's signature, the
//! periods of validity, and revocation.

use der::Encode;
use x509_cert::ext::pkix::{BasicConstraints, KeyUsage};
use x509_cert::Certificate;

use crate::{der_of, CertificateStatus, Refusal, RefusalKind, Verifier};

/// Certificates longer than this from a root are not followed.
const MAX_DEPTH: usize = 6;

/// The chain from `signer` up to a configured root (the root last).
pub(crate) fn build(
    verifier: &Verifier,
    signer: &Certificate,
    carried: &[Certificate],
) -> Result<Vec<Certificate>, Refusal> {
    let mut chain = vec![signer.clone()];
    if is_root(verifier, signer) {
        return Err(Refusal::new(
            RefusalKind::UnknownRoot,
            "the signer's certificate is a root",
        ));
    }
    loop {
        if chain.len() > MAX_DEPTH {
            return Err(Refusal::new(
                RefusalKind::UnknownRoot,
                "the chain is too long",
            ));
        }
        let current = chain.last().cloned().unwrap_or_else(|| signer.clone());
        let issuer_name = &current.tbs_certificate.issuer;
        // The configured roots first, then the configured intermediates,
        // then the message's own certificates.
        let candidates: Vec<&Certificate> = verifier
            .roots
            .iter()
            .chain(verifier.intermediates.iter())
            .chain(carried.iter())
            .filter(|c| c.tbs_certificate.subject == *issuer_name)
            .collect();
        if candidates.is_empty() {
            return Err(Refusal::new(
                RefusalKind::UnknownRoot,
                format!("no certificate of its issuer {issuer_name}"),
            ));
        }
        let issuer = candidates
            .into_iter()
            .find(|c| signed_by(verifier, &current, c).is_ok())
            .ok_or_else(|| {
                Refusal::new(
                    RefusalKind::ForgedCertificate,
                    format!(
                        "{} is not signed by any certificate of {issuer_name}",
                        current.tbs_certificate.subject
                    ),
                )
            })?;
        if !is_authority(issuer) {
            return Err(Refusal::new(
                RefusalKind::ForgedCertificate,
                format!(
                    "{} is not a certification authority",
                    issuer.tbs_certificate.subject
                ),
            ));
        }
        let root = is_root(verifier, issuer);
        chain.push(issuer.clone());
        if root {
            return Ok(chain);
        }
    }
}

fn is_root(verifier: &Verifier, c: &Certificate) -> bool {
    let der = der_of(c);
    verifier.roots.iter().any(|r| der_of(r) == der)
}

/// Whether `c` may issue certificates: a CA with `keyCertSign`.
fn is_authority(c: &Certificate) -> bool {
    let ca = matches!(
        c.tbs_certificate.get::<BasicConstraints>(),
        Ok(Some((_, BasicConstraints { ca: true, .. })))
    );
    let signs = match c.tbs_certificate.get::<KeyUsage>() {
        Ok(Some((_, usage))) => usage.key_cert_sign(),
        Ok(None) => true,
        Err(_) => false,
    };
    ca && signs
}

/// Whether `issuer`'s key made `c`'s signature.
fn signed_by(verifier: &Verifier, c: &Certificate, issuer: &Certificate) -> Result<(), Refusal> {
    let tbs = c
        .tbs_certificate
        .to_der()
        .map_err(|e| Refusal::new(RefusalKind::Malformed, e.to_string()))?;
    let key = &issuer.tbs_certificate.subject_public_key_info;
    let algorithm = verifier.algorithm_for(&key.algorithm.oid)?;
    algorithm.verify(
        key,
        &c.signature_algorithm,
        None,
        &tbs,
        c.signature.raw_bytes(),
    )
}

/// Every certificate of the chain is valid at `now`.
pub(crate) fn check_validity(chain: &[Certificate], now: u64) -> Result<(), Refusal> {
    for c in chain {
        let validity = &c.tbs_certificate.validity;
        let subject = &c.tbs_certificate.subject;
        if now < validity.not_before.to_unix_duration().as_secs() {
            return Err(Refusal::new(
                RefusalKind::NotYetValid,
                format!("{subject} is valid from {}", validity.not_before),
            ));
        }
        if now > validity.not_after.to_unix_duration().as_secs() {
            return Err(Refusal::new(
                RefusalKind::Expired,
                format!("{subject} expired on {}", validity.not_after),
            ));
        }
    }
    Ok(())
}

/// No certificate below the root is revoked: each is looked up in a
/// current CRL of its issuer (signed by the issuer's key), or asked of the
/// OCSP responder where there is none.
pub(crate) fn check_revocation(
    verifier: &Verifier,
    chain: &[Certificate],
    now: u64,
) -> Result<(), Refusal> {
    for pair in chain.windows(2) {
        let [c, issuer] = pair else { continue };
        let subject = &c.tbs_certificate.subject;
        let crl = verifier.crls.iter().find(|crl| {
            let tbs = &crl.tbs_cert_list;
            tbs.issuer == issuer.tbs_certificate.subject
                && tbs
                    .next_update
                    .is_some_and(|next| next.to_unix_duration().as_secs() >= now)
                && crl_signed_by(verifier, crl, issuer)
        });
        let status = match crl {
            Some(crl) => {
                let listed = crl
                    .tbs_cert_list
                    .revoked_certificates
                    .iter()
                    .flatten()
                    .any(|r| r.serial_number == c.tbs_certificate.serial_number);
                if listed {
                    CertificateStatus::Revoked
                } else {
                    CertificateStatus::Good
                }
            }
            None => match &verifier.ocsp {
                Some(responder) => responder.status(c, issuer),
                None => CertificateStatus::Unknown,
            },
        };
        match status {
            CertificateStatus::Good => {}
            CertificateStatus::Revoked => {
                return Err(Refusal::new(
                    RefusalKind::Revoked,
                    format!("{subject} (serial {})", c.tbs_certificate.serial_number),
                ))
            }
            CertificateStatus::Unknown => {
                return Err(Refusal::new(
                    RefusalKind::RevocationUnknown,
                    format!(
                        "no current CRL of {} is installed",
                        issuer.tbs_certificate.subject
                    ),
                ))
            }
        }
    }
    Ok(())
}

fn crl_signed_by(
    verifier: &Verifier,
    crl: &x509_cert::crl::CertificateList,
    issuer: &Certificate,
) -> bool {
    let Ok(tbs) = crl.tbs_cert_list.to_der() else {
        return false;
    };
    let key = &issuer.tbs_certificate.subject_public_key_info;
    let Ok(algorithm) = verifier.algorithm_for(&key.algorithm.oid) else {
        return false;
    };
    algorithm
        .verify(
            key,
            &crl.signature_algorithm,
            None,
            &tbs,
            crl.signature.raw_bytes(),
        )
        .is_ok()
}
