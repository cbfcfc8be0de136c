//! Senim's domain: the values the register is made of, with no I/O.
//!
//! Everything that crosses the edge of the system (an HTTP body, a TOML file,
//! a row read back from a database) becomes one of these types through a
//! single parsing function, so the rest of the code never handles a BIN
//! without a valid check digit, a profile with a value the law does not know,
//! or a name longer than a page. Validation errors carry the field path and a
//! reason, so the server can answer with every problem at once.
//!
//! The crate also owns the [`Clock`], because time is a parameter: the server
//! and the tests inject it, nothing here reads the system clock directly.

pub mod access;
pub mod account;
pub mod allocation;
pub mod api;
pub mod application;
pub mod bin;
pub mod calendar;
pub mod case;
pub mod classification;
pub mod clock;
pub mod dataset;
pub mod education;
pub mod error;
pub mod ids;
pub mod organisation;
pub mod oversight;
pub mod profile;
pub mod programme;
pub mod proof;
pub mod registration;
pub mod sandbox;
pub mod system;
pub mod text;
pub mod token;
pub mod totp;
pub mod visibility;

pub use account::{Account, AccountInput, AccountStatus, Email, Role};
pub use bin::Bin;
pub use calendar::{Calendar, CalendarSpec, Day, Deadline};
pub use case::{Case, CaseKind};
pub use clock::{Clock, FixedClock, SystemClock, Timestamp};
pub use dataset::{AccessLevel, Dataset, DatasetInput, Resource};
pub use error::{FieldError, ValidationError};
pub use ids::{
    AccountId, CallId, CaseId, CourseId, DatasetId, OrganisationId, PlatformResourceId,
    ProgrammeId, ResourceId, SystemId, TokenId,
};
pub use organisation::{
    Contacts, Organisation, OrganisationInput, OrganisationKind, OrganisationStatus, SizeClass,
};
pub use profile::Profile;
pub use system::{
    DatasetLink, DatasetRole, Documentation, DocumentationItem, RiskLevel, System, SystemInput,
    SystemStatus, SystemVersion, VersionInput,
};
pub use text::LocalizedText;
pub use token::{TokenInfo, TokenScope};
pub use visibility::{Viewer, Visibility};
