//! What the tests share: an issuer with a fixed key and a certificate.
#![allow(dead_code)]

use ed25519_dalek::SigningKey;
use senim_badges::{Achievement, CertificateInput, Issuer, Recipient, StatusRef};
use time::macros::datetime;

pub const LIST_URL: &str = "https://senim.example.kz/badges/status/1";

pub fn issuer() -> Issuer {
    Issuer::new(
        SigningKey::from_bytes(&[42; 32]),
        "Национальная платформа ИИ",
        Some("https://senim.example.kz"),
    )
    .unwrap()
}

pub fn certificate() -> CertificateInput {
    CertificateInput {
        credential_id: "urn:uuid:0191d7a2-3c4b-7d8e-9f00-112233445566".into(),
        achievement: Achievement {
            id: "https://senim.example.kz/courses/ai-ethics-101".into(),
            name: "Этика ИИ: основы".into(),
            description: "An introduction to the ethics of AI systems in public service.".into(),
            criteria: "Completed every module and passed the final test with 80% or more.".into(),
            hours: Some(36),
            language: Some("ru".into()),
            achievement_type: Some("Course".into()),
        },
        recipient: Recipient::Email {
            email: "Aigerim@Example.kz".into(),
            salt: "d1a2c3b4".into(),
        },
        issued: datetime!(2025-01-15 09:30:00 UTC),
        expires: None,
    }
}

pub fn status() -> StatusRef {
    StatusRef {
        list_url: LIST_URL.into(),
        index: 94_567,
    }
}
