//! Accounts and roles.
//!
//! A person holds one account and any number of roles. Developers and data
//! stewards act for an organisation, so those roles need one; the roles of
//! the authorized body (supervisor, expert reviewer, auditor) and the
//! administrator do not.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::clock::Timestamp;
use crate::error::{bounded_text, Problems, ValidationError};
use crate::ids::{AccountId, OrganisationId};
use crate::organisation::parse_email;
use crate::profile::vocabulary;

vocabulary!(
    /// What an account may do; the access policies give each role its rights.
    Role {
        Developer => "developer",
        ExpertReviewer => "expert_reviewer",
        Supervisor => "supervisor",
        Auditor => "auditor",
        DataSteward => "data_steward",
        ProgrammeManager => "programme_manager",
        ResourceProvider => "resource_provider",
        Instructor => "instructor",
        Administrator => "administrator",
    }
);

impl Role {
    /// Roles that act for an organisation and so need one.
    pub fn needs_organisation(self) -> bool {
        matches!(
            self,
            Role::Developer
                | Role::DataSteward
                | Role::ProgrammeManager
                | Role::ResourceProvider
                | Role::Instructor
        )
    }

    /// Roles of the authorized body, who see authority-only fields.
    pub fn is_authority(self) -> bool {
        matches!(
            self,
            Role::Supervisor | Role::ExpertReviewer | Role::Auditor | Role::Administrator
        )
    }
}

vocabulary!(
    /// Whether an account can sign in.
    AccountStatus {
        Active => "active",
        Withdrawn => "withdrawn",
    }
);

/// A lower-cased, checked e-mail address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[schema(value_type = String, format = "email")]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(value: &str) -> Result<Email, String> {
        parse_email(value).map(Email)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Email {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        Email::parse(&value)
    }
}

impl From<Email> for String {
    fn from(value: Email) -> String {
        value.0
    }
}

/// The minimum password length; long passphrases beat complexity rules.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// What an administrator sends to create or change an account.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountInput {
    pub email: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    #[serde(default)]
    pub organisation_id: Option<OrganisationId>,
    /// The initial password (at least 12 characters). On update, omit to keep the current one.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub password: Option<Password>,
}

/// A password in transit; its `Debug` form never shows it.
#[derive(Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Password(pub String);

impl Password {
    /// Whether it is long enough to choose: at least
    /// [`MIN_PASSWORD_CHARS`] characters, at most 1024.
    pub fn check(&self) -> Result<(), String> {
        let n = self.0.chars().count();
        if n < MIN_PASSWORD_CHARS {
            Err(format!(
                "must be at least {MIN_PASSWORD_CHARS} characters, got {n}"
            ))
        } else if n > 1024 {
            Err("must be at most 1024 characters".into())
        } else {
            Ok(())
        }
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// A valid account request.
#[derive(Debug, Clone)]
pub struct ValidAccount {
    pub email: Email,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub organisation_id: Option<OrganisationId>,
    pub password: Option<Password>,
}

impl AccountInput {
    pub fn parse(self) -> Result<ValidAccount, ValidationError> {
        let mut problems = Problems::new();
        let email = problems.check("email", Email::parse(&self.email));
        let display_name = problems.check("display_name", bounded_text(&self.display_name, 200));
        let mut roles = self.roles.clone();
        roles.sort();
        roles.dedup();
        if roles.is_empty() {
            problems.add("roles", "must list at least one role");
        }
        if self.organisation_id.is_none() {
            if let Some(role) = roles.iter().find(|r| r.needs_organisation()) {
                problems.add(
                    "organisation_id",
                    format!("is required for the role `{role}`"),
                );
            }
        }
        if let Some(p) = &self.password {
            problems.check("password", p.check());
        }
        problems.finish(|| {
            Some(ValidAccount {
                email: email?,
                display_name: display_name?,
                roles,
                organisation_id: self.organisation_id,
                password: self.password,
            })
        })
    }
}

/// An account as stored (without its password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Account {
    pub id: AccountId,
    pub email: Email,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub organisation_id: Option<OrganisationId>,
    pub status: AccountStatus,
    pub revision: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Account {
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    pub fn is_authority(&self) -> bool {
        self.roles.iter().any(|r| r.is_authority())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn developer_needs_an_organisation() {
        let input: AccountInput = serde_json::from_value(serde_json::json!({
            "email": "dev@x.kz", "display_name": "Dev", "roles": ["developer"]
        }))
        .unwrap();
        let err = input.parse().unwrap_err();
        assert_eq!(err.0[0].field, "organisation_id");
    }

    #[test]
    fn password_is_never_printed() {
        let p = Password("correct horse battery staple".into());
        assert!(!format!("{p:?}").contains("horse"));
    }
}
