//! The checks of an EDS signature, each refusal on its own certificate of
//! the test PKI (`tools/test-pki/make.sh`, NCA-shaped).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use senim_eds::{read_certificates, read_crl, Holder, Purpose, RefusalKind, Verifier};
use senim_testing::pki;

/// 2026-03-02, within every test certificate's validity but the expired one's.
const NOW: u64 = 1_772_442_000;

fn verifier() -> Verifier {
    let roots = read_certificates(&pki::file("root.pem")).unwrap();
    let intermediates = read_certificates(&pki::file("inter.pem")).unwrap();
    let crls = vec![
        read_crl(&pki::file("root.crl")).unwrap(),
        read_crl(&pki::file("inter.crl")).unwrap(),
    ];
    Verifier::new(roots, intermediates, crls)
}

fn refusal(who: &str, signed: &[u8], expected: &[u8], purpose: Purpose) -> RefusalKind {
    let cms = pki::sign(who, signed, true);
    verifier()
        .verify(&cms, expected, purpose, NOW)
        .expect_err("refused")
        .kind
}

#[test]
fn a_persons_authentication_key_signs_in_with_its_iin() {
    for attached in [true, false] {
        let cms = pki::sign("person", b"nonce-1", attached);
        let v = verifier()
            .verify(&cms, b"nonce-1", Purpose::SignIn, NOW)
            .unwrap();
        assert_eq!(v.signer.iin, "880101300123");
        assert_eq!(v.signer.bin, None);
        assert_eq!(v.signer.holder, Holder::Person);
        assert_eq!(v.signer.name, "ТЕСТОВ ТЕСТ");
        assert_eq!(v.signature_sha256.len(), 64);
        assert!(v.signed_at.is_some());
    }
}

#[test]
fn an_organisations_key_names_its_bin_and_name() {
    let cms = pki::sign("org", b"nonce-2", true);
    let v = verifier()
        .verify(&cms, b"nonce-2", Purpose::SignIn, NOW)
        .unwrap();
    assert_eq!(v.signer.iin, "900202400343");
    assert_eq!(v.signer.bin.as_deref(), Some("960640005526"));
    assert_eq!(v.signer.organisation.as_deref(), Some("ТОО «Сенім Тест»"));
    assert_eq!(v.signer.holder, Holder::Organisation);
}

#[test]
fn a_signing_key_signs_documents_and_not_sign_ins() {
    assert_eq!(
        refusal("signer", b"n", b"n", Purpose::SignIn),
        RefusalKind::NotForSignIn
    );
    assert_eq!(
        refusal("person", b"n", b"n", Purpose::Sign),
        RefusalKind::NotForSigning
    );
    for who in ["signer", "org-signer"] {
        let cms = pki::sign(who, b"decision", false);
        verifier()
            .verify(&cms, b"decision", Purpose::Sign, NOW)
            .unwrap();
    }
}

#[test]
fn each_bad_certificate_is_refused_for_its_reason() {
    assert_eq!(
        refusal("expired", b"n", b"n", Purpose::SignIn),
        RefusalKind::Expired
    );
    assert_eq!(
        refusal("revoked", b"n", b"n", Purpose::SignIn),
        RefusalKind::Revoked
    );
    assert_eq!(
        refusal("stranger", b"n", b"n", Purpose::SignIn),
        RefusalKind::UnknownRoot
    );
    assert_eq!(
        refusal("forged", b"n", b"n", Purpose::SignIn),
        RefusalKind::ForgedCertificate
    );
    // Before the certificates' time.
    let cms = pki::sign("person", b"n", true);
    assert_eq!(
        verifier()
            .verify(&cms, b"n", Purpose::SignIn, 1_500_000_000)
            .unwrap_err()
            .kind,
        RefusalKind::NotYetValid
    );
}

#[test]
fn a_signature_of_another_text_is_refused() {
    assert_eq!(
        refusal("person", b"nonce-a", b"nonce-b", Purpose::SignIn),
        RefusalKind::WrongContent
    );
    // Detached: only the digest links the signature to the text.
    let cms = pki::sign("person", b"nonce-a", false);
    assert_eq!(
        verifier()
            .verify(&cms, b"nonce-b", Purpose::SignIn, NOW)
            .unwrap_err()
            .kind,
        RefusalKind::WrongContent
    );
}

#[test]
fn an_altered_signature_is_refused() {
    let mut cms = pki::sign("person", b"nonce", true);
    let last = cms.len() - 1;
    cms[last] ^= 1;
    assert_eq!(
        verifier()
            .verify(&cms, b"nonce", Purpose::SignIn, NOW)
            .unwrap_err()
            .kind,
        RefusalKind::BadSignature
    );
}

#[test]
fn bytes_that_are_no_cms_are_refused() {
    for bytes in [
        &b""[..],
        b"not a signature",
        &[0x30, 0x03, 0x02, 0x01, 0x01],
    ] {
        assert_eq!(
            verifier()
                .verify(bytes, b"n", Purpose::SignIn, NOW)
                .unwrap_err()
                .kind,
            RefusalKind::Malformed
        );
    }
}

#[test]
fn without_a_current_crl_revocation_cannot_be_checked() {
    let roots = read_certificates(&pki::file("root.pem")).unwrap();
    let intermediates = read_certificates(&pki::file("inter.pem")).unwrap();
    let only_root_crl = vec![read_crl(&pki::file("root.crl")).unwrap()];
    let v = Verifier::new(roots.clone(), intermediates.clone(), only_root_crl);
    let cms = pki::sign("person", b"n", true);
    assert_eq!(
        v.verify(&cms, b"n", Purpose::SignIn, NOW).unwrap_err().kind,
        RefusalKind::RevocationUnknown
    );
    // A CRL past its next update is no current CRL.
    let all = verifier();
    let ten_years_on = NOW + 11 * 365 * 86_400;
    let err = all
        .verify(&cms, b"n", Purpose::SignIn, ten_years_on)
        .unwrap_err();
    assert!(
        matches!(
            err.kind,
            RefusalKind::RevocationUnknown | RefusalKind::Expired
        ),
        "{err}"
    );
    // An OCSP responder answers for the issuer without a CRL.
    struct Good;
    impl senim_eds::OcspResponder for Good {
        fn status(
            &self,
            _: &senim_eds::Certificate,
            _: &senim_eds::Certificate,
        ) -> senim_eds::CertificateStatus {
            senim_eds::CertificateStatus::Good
        }
    }
    let v = Verifier::new(
        roots,
        intermediates,
        vec![read_crl(&pki::file("root.crl")).unwrap()],
    )
    .with_ocsp(std::sync::Arc::new(Good));
    v.verify(&cms, b"n", Purpose::SignIn, NOW).unwrap();
}

#[test]
fn a_gost_key_gets_a_clear_answer_and_a_connected_verifier_takes_it() {
    let cms = pki::as_gost(&pki::sign("person", b"n", true));
    let err = verifier()
        .verify(&cms, b"n", Purpose::SignIn, NOW)
        .unwrap_err();
    assert_eq!(err.kind, RefusalKind::Gost, "{err}");
    assert!(err.reason().contains("cannot verify GOST signatures"));

    // A deployment that connects a GOST verifier (an external service in
    // production) has GOST keys go to it.
    struct Accepting;
    impl senim_eds::SignatureVerifier for Accepting {
        fn knows(&self, key: &der::asn1::ObjectIdentifier) -> bool {
            senim_eds::oid::is_gost(key)
        }
        fn verify(
            &self,
            _: &senim_eds::PublicKey,
            _: &senim_eds::Algorithm,
            _: Option<&der::asn1::ObjectIdentifier>,
            _: &[u8],
            _: &[u8],
        ) -> Result<(), senim_eds::Refusal> {
            Ok(())
        }
    }
    let gost_certificates = |name: &str| {
        use der::{Decode, Encode};
        let rsa = read_certificates(&pki::file(name)).unwrap();
        let der = pki::as_gost(&rsa[0].to_der().unwrap());
        vec![senim_eds::Certificate::from_der(&der).unwrap()]
    };
    let crls = vec![
        read_crl(&pki::file("root.crl")).unwrap(),
        read_crl(&pki::file("inter.crl")).unwrap(),
    ];
    let with_gost = Verifier::new(
        gost_certificates("root.pem"),
        gost_certificates("inter.pem"),
        crls,
    )
    .with_algorithm(std::sync::Arc::new(Accepting));
    let v = with_gost.verify(&cms, b"n", Purpose::SignIn, NOW).unwrap();
    assert_eq!(v.signer.iin, "880101300123");
}

#[test]
fn every_refusal_has_a_reason() {
    for kind in RefusalKind::ALL {
        assert!(!kind.reason().is_empty());
    }
}
