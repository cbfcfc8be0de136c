//! API tokens: what a program may do on an account's behalf.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::clock::Timestamp;
use crate::ids::{AccountId, TokenId};

/// What an API token may be used for; its rights are the account's rights
/// narrowed to these scopes. Each scope includes the ones before it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum TokenScope {
    /// Read what the account may see.
    Read,
    /// Create and change records (systems, versions, organisation details).
    Write,
    /// Administration: accounts, organisations, roles, tokens.
    Admin,
}

impl TokenScope {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenScope::Read => "read",
            TokenScope::Write => "write",
            TokenScope::Admin => "admin",
        }
    }
}

impl std::str::FromStr for TokenScope {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "read" => Ok(TokenScope::Read),
            "write" => Ok(TokenScope::Write),
            "admin" => Ok(TokenScope::Admin),
            other => Err(format!(
                "unknown scope `{other}`; allowed values: read, write, admin"
            )),
        }
    }
}

/// An API token as listed (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TokenInfo {
    pub id: TokenId,
    pub account_id: AccountId,
    pub name: String,
    pub scopes: Vec<TokenScope>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}
