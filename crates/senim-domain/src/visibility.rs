//! Who may see a field.
//!
//! Every stored field has a [`Visibility`]; every reader is a [`Viewer`]. The
//! access policies decide which viewer a request is (see `policies/`); this
//! module only says what each viewer may see, in one place.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The audience of a field.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Anyone, with or without an account.
    Public,
    /// The owner and holder organisations' members, and the authority.
    OwnerAndAuthority,
    /// Only the authorized body (supervisors, expert reviewers, auditors, administrators).
    AuthorityOnly,
}

impl Visibility {
    pub const ALL: [Visibility; 3] = [
        Visibility::Public,
        Visibility::OwnerAndAuthority,
        Visibility::AuthorityOnly,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::OwnerAndAuthority => "owner_and_authority",
            Visibility::AuthorityOnly => "authority_only",
        }
    }

    pub fn visible_to(self, viewer: Viewer) -> bool {
        match self {
            Visibility::Public => true,
            Visibility::OwnerAndAuthority => viewer.owner || viewer.authority,
            Visibility::AuthorityOnly => viewer.authority,
        }
    }
}

/// What a reader is, relative to one record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Viewer {
    /// A member of the record's owner (or holder) organisation, or the account itself.
    pub owner: bool,
    /// A member of the authorized body.
    pub authority: bool,
}

impl Viewer {
    pub const PUBLIC: Viewer = Viewer {
        owner: false,
        authority: false,
    };
    pub const AUTHORITY: Viewer = Viewer {
        owner: false,
        authority: true,
    };
    pub const OWNER: Viewer = Viewer {
        owner: true,
        authority: false,
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_sees_only_public() {
        assert!(Visibility::Public.visible_to(Viewer::PUBLIC));
        assert!(!Visibility::OwnerAndAuthority.visible_to(Viewer::PUBLIC));
        assert!(!Visibility::AuthorityOnly.visible_to(Viewer::PUBLIC));
        assert!(Visibility::OwnerAndAuthority.visible_to(Viewer::OWNER));
        assert!(!Visibility::AuthorityOnly.visible_to(Viewer::OWNER));
        assert!(Visibility::AuthorityOnly.visible_to(Viewer::AUTHORITY));
    }
}
