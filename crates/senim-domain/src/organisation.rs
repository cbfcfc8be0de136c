//! Organisations: the legal entities that own, operate or supervise AI systems.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::bin::Bin;
use crate::clock::Timestamp;
use crate::error::{optional_text, Problems, ValidationError};
use crate::ids::OrganisationId;
use crate::profile::vocabulary;
use crate::text::LocalizedText;
use crate::visibility::{Viewer, Visibility};

vocabulary!(
    /// The legal form that matters to the register.
    OrganisationKind {
        StateBody => "state_body",
        Public => "public",
        Private => "private",
        NonProfit => "non_profit",
    }
);

vocabulary!(
    /// The size class sanctions depend on (Code of Administrative Offences Art. 641-1).
    SizeClass {
        Individual => "individual",
        Small => "small",
        Medium => "medium",
        Large => "large",
    }
);

vocabulary!(
    /// Whether an organisation is active in the register.
    OrganisationStatus {
        Active => "active",
        Withdrawn => "withdrawn",
    }
);

/// Public contact details of an organisation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Contacts {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// The person the authority talks to; visible to the organisation and the authority only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact_person: Option<String>,
}

/// What a client sends to create or update an organisation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganisationInput {
    pub name: LocalizedText,
    /// 12-digit business identification number with a valid check digit.
    pub bin: String,
    pub kind: OrganisationKind,
    pub size_class: SizeClass,
    #[serde(default)]
    pub contacts: Contacts,
}

/// A valid organisation, as parsed from [`OrganisationInput`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidOrganisation {
    pub name: LocalizedText,
    pub bin: Bin,
    pub kind: OrganisationKind,
    pub size_class: SizeClass,
    pub contacts: Contacts,
}

/// The visibility of each organisation field that is not public.
pub const CONTACT_PERSON_VISIBILITY: Visibility = Visibility::OwnerAndAuthority;

impl OrganisationInput {
    pub fn parse(self) -> Result<ValidOrganisation, ValidationError> {
        let mut problems = Problems::new();
        let mut name_problems = problems.nested("name");
        let name = self.name.parse(300, &mut name_problems);
        problems.absorb(name_problems);
        let bin = problems.check("bin", Bin::parse(&self.bin));
        let mut cp = problems.nested("contacts");
        let contacts = parse_contacts(self.contacts, &mut cp);
        problems.absorb(cp);
        problems.finish(|| {
            Some(ValidOrganisation {
                name: name?,
                bin: bin?,
                kind: self.kind,
                size_class: self.size_class,
                contacts,
            })
        })
    }
}

/// A request from the public for an organisation's account (issue 20): the
/// organisation as an administrator would register it, and the person who
/// will hold its first account. An administrator approves it (the
/// organisation and a developer account are made, and the person is
/// mailed a link to choose a password) or refuses it with reasons.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganisationRequestInput {
    pub organisation: OrganisationInput,
    /// The person's name, as their account shows it.
    pub person: String,
    /// The person's address: the account's e-mail, where the answer goes.
    pub email: String,
    /// What the organisation will use Senim for.
    #[serde(default)]
    pub purpose: String,
}

/// A checked request, as stored until an administrator decides it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OrganisationRequest {
    pub id: String,
    pub name: LocalizedText,
    pub bin: String,
    pub kind: OrganisationKind,
    pub size_class: SizeClass,
    pub contacts: Contacts,
    pub person: String,
    pub email: String,
    pub purpose: String,
    /// `open`, `approved` or `refused`.
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasons: Option<String>,
    pub created_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<Timestamp>,
}

impl OrganisationRequestInput {
    /// The request checked as the administrators' forms would check it.
    pub fn parse(self, id: String, now: Timestamp) -> Result<OrganisationRequest, ValidationError> {
        let mut problems = Problems::new();
        let organisation = match self.organisation.parse() {
            Ok(o) => Some(o),
            Err(e) => {
                let mut nested = problems.nested("organisation");
                for f in e.0 {
                    nested.add(&f.field, f.reason);
                }
                problems.absorb(nested);
                None
            }
        };
        let person = problems.check("person", crate::error::bounded_text(&self.person, 300));
        let email = problems.check("email", parse_email(&self.email));
        let purpose = problems.check("purpose", optional_text(&self.purpose, 2000));
        problems.finish(|| {
            let o = organisation?;
            Some(OrganisationRequest {
                id,
                name: o.name,
                bin: o.bin.as_str().to_string(),
                kind: o.kind,
                size_class: o.size_class,
                contacts: o.contacts,
                person: person?,
                email: email?,
                purpose: purpose?,
                status: "open".into(),
                reasons: None,
                created_at: now,
                decided_at: None,
            })
        })
    }
}

impl OrganisationRequest {
    /// The organisation it asks for, as the administrators' form takes it.
    pub fn organisation(&self) -> OrganisationInput {
        OrganisationInput {
            name: self.name.clone(),
            bin: self.bin.clone(),
            kind: self.kind,
            size_class: self.size_class,
            contacts: self.contacts.clone(),
        }
    }
}

fn parse_contacts(c: Contacts, problems: &mut Problems) -> Contacts {
    let mut clean =
        |field: &str, value: Option<String>, max: usize, check: fn(&str) -> Result<(), String>| {
            let value = value?;
            let text = problems.check(field, optional_text(&value, max))?;
            if text.is_empty() {
                return None;
            }
            problems.check(field, check(&text))?;
            Some(text)
        };
    Contacts {
        email: clean("email", c.email, 254, |v| parse_email(v).map(|_| ())),
        phone: clean("phone", c.phone, 40, check_phone),
        website: clean("website", c.website, 500, check_url),
        address: clean("address", c.address, 500, |_| Ok(())),
        contact_person: clean("contact_person", c.contact_person, 300, |_| Ok(())),
    }
}

/// Checks an e-mail address: one `@`, a non-empty local part, a domain with a dot,
/// no spaces; returns it lower-cased.
pub fn parse_email(value: &str) -> Result<String, String> {
    let value = value.trim();
    if value.len() > 254 {
        return Err("must be at most 254 characters".into());
    }
    let (local, domain) = value
        .split_once('@')
        .ok_or_else(|| "is not an e-mail address: it has no @".to_string())?;
    let ok_domain = domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && domain
            .chars()
            .all(|c| c.is_alphanumeric() || c == '.' || c == '-');
    if local.is_empty() || local.contains(char::is_whitespace) || domain.contains('@') || !ok_domain
    {
        return Err("is not an e-mail address".into());
    }
    Ok(value.to_lowercase())
}

fn check_phone(value: &str) -> Result<(), String> {
    let digits = value.chars().filter(|c| c.is_ascii_digit()).count();
    let allowed = value
        .chars()
        .all(|c| c.is_ascii_digit() || " +-()".contains(c));
    if !allowed || !(5..=20).contains(&digits) {
        return Err("is not a phone number: use digits, spaces, + - ( )".into());
    }
    Ok(())
}

/// Checks an absolute http(s) URL with a host and no spaces.
pub fn check_url(value: &str) -> Result<(), String> {
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"))
        .ok_or_else(|| "must be an http:// or https:// URL".to_string())?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || value.contains(char::is_whitespace) {
        return Err("must be an http:// or https:// URL with a host".into());
    }
    Ok(())
}

/// An organisation as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Organisation {
    pub id: OrganisationId,
    pub name: LocalizedText,
    pub bin: Bin,
    pub kind: OrganisationKind,
    pub size_class: SizeClass,
    pub contacts: Contacts,
    pub status: OrganisationStatus,
    /// Increases by one with every change; the ETag for updates.
    pub revision: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Organisation {
    /// The organisation as `viewer` may see it.
    pub fn redacted(mut self, viewer: Viewer) -> Organisation {
        if !CONTACT_PERSON_VISIBILITY.visible_to(viewer) {
            self.contacts.contact_person = None;
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_lowercased_and_malformed_ones_refused() {
        assert_eq!(parse_email("A.B@Hospital.kz").unwrap(), "a.b@hospital.kz");
        for bad in ["nobody", "@x.kz", "a@b", "a b@c.kz", "a@b@c.kz", "a@.kz"] {
            assert!(parse_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn only_complete_http_addresses_are_accepted() {
        assert!(check_url("https://senim.kz/x").is_ok());
        assert!(check_url("ftp://senim.kz").is_err());
        assert!(check_url("https://").is_err());
        assert!(check_url("javascript:alert(1)").is_err());
    }

    #[test]
    fn every_bad_field_is_named() {
        let input: OrganisationInput = serde_json::from_value(serde_json::json!({
            "name": {"en": ""},
            "bin": "123",
            "kind": "private",
            "size_class": "small",
            "contacts": {"email": "nope", "website": "x"}
        }))
        .unwrap();
        let err = input.parse().unwrap_err();
        let fields: Vec<_> = err.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            ["name", "bin", "contacts.email", "contacts.website"]
        );
    }
}
