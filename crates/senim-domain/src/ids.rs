//! Identifiers: UUID v7 (time-ordered) behind a type per kind of thing, so an
//! organisation id can never be passed where a system id is expected.
//!
//! Time order matters: list endpoints page by id, and a v7 id sorts by
//! creation time, so pages are stable while new rows arrive.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new time-ordered id.
            pub fn generate() -> Self {
                $name(Uuid::now_v7())
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s)
                    .map($name)
                    .map_err(|_| "is not a valid id (a UUID)".to_string())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .format(Some(utoipa::openapi::SchemaFormat::Custom("uuid".into())))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

id_type!(
    /// An organisation.
    OrganisationId
);
id_type!(
    /// A person's account.
    AccountId
);
id_type!(
    /// An AI system in the register.
    SystemId
);
id_type!(
    /// An API token.
    TokenId
);
id_type!(
    /// A case: a registration dossier, an audit, a report, an investigation.
    CaseId
);
id_type!(
    /// A dataset in the data library.
    DatasetId
);
id_type!(
    /// A file of a dataset.
    ResourceId
);
id_type!(
    /// A support programme of the National AI Platform.
    ProgrammeId
);
id_type!(
    /// A call of a programme, which applications answer.
    CallId
);
id_type!(
    /// A resource of the National AI Platform: a compute pool, a ready
    /// model or a restricted dataset.
    PlatformResourceId
);
id_type!(
    /// A course of an education programme of the Platform.
    CourseId
);
