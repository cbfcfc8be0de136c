//! The store's own record types: what a row keeps in its `data` column, and
//! what an event's payload carries of a record.
//!
//! The domain's types (`senim_domain::Organisation`, `System`, ...) are the
//! API's JSON: they carry the OpenAPI schema, and the typed client shares
//! them. What the store writes is another matter: the rows must be read back
//! by every later version, and the events are committed to the public audit
//! log and replayed by `senim admin rebuild`. So the store writes these
//! types, which have no schema and are converted from and to the domain's at
//! this one boundary; renaming or adding a field of the API changes the
//! conversion below, never what the log committed to. Their serde names
//! reproduce, byte for byte, the JSON the store wrote when the domain types
//! were written directly (`tests/replay_of_recorded_events.rs` holds events
//! of that time and requires them to rebuild the same tables).
//!
//! The record shapes (the structs an API designer would rename a field of
//! or add one to) are copied here. Values that are the register's stable
//! vocabulary or already have a fixed text form are shared with the domain:
//! ids, `Timestamp`, `Day`, `LocalizedText`, `Bin`, `Email`, the law's
//! enums (roles, statuses, risk levels, the profile's vocabulary), and the
//! nested values whose form the law or a standard fixes (`Profile`,
//! `Documentation`, `Contacts`, a dataset's producer, temporal coverage,
//! legal basis and table schema).
//!
//! A case is stored in its flat form, `senim_domain::case::wire::Case`,
//! which is already separate from the typed `Case` the domain works with and
//! is pinned byte for byte by the domain's own fixtures
//! (`senim-domain/tests/case_json.rs`); copying its every kind's body here
//! would double a large tree for no gain today. The API serializes cases
//! through the same flat form, so the day the API wants a different case
//! JSON, the API gets its own type and this one stays.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use senim_domain::case::ReviewerProfile;
use senim_domain::dataset::{AccessLevel, LegalBasis, Producer, TableSchema, Temporal, Theme};
use senim_domain::organisation::{Contacts, OrganisationKind, SizeClass};
use senim_domain::profile::Sector;
use senim_domain::programme::{Budget, Criterion, EvaluationMode, ProgrammeKind, Question};
use senim_domain::system::Translations;
use senim_domain::token::{TokenInfo, TokenScope};
use senim_domain::{
    AccountId, AccountStatus, Bin, CallId, Case, DatasetId, DatasetLink, Day, Documentation,
    DocumentationItem, Email, LocalizedText, OrganisationId, OrganisationStatus, Profile,
    ProgrammeId, ResourceId, RiskLevel, Role, SystemId, SystemStatus, Timestamp, TokenId,
    Visibility,
};

use crate::error::StoreError;

/// A domain type the store keeps: the record type it is written as, and the
/// conversions both ways.
pub(crate) trait Recorded: Sized {
    type Record: Serialize + DeserializeOwned;
    fn to_record(&self) -> Self::Record;
    fn from_record(record: Self::Record) -> Self;
}

/// The JSON text a row's `data` column keeps of `value`.
pub(crate) fn json<T: Recorded>(value: &T) -> Result<String, StoreError> {
    Ok(serde_json::to_string(&value.to_record())?)
}

/// A value from a row's `data` column.
pub(crate) fn from_json<T: Recorded>(text: &str) -> Result<T, StoreError> {
    Ok(T::from_record(serde_json::from_str(text)?))
}

/// `From<$from> for $to` for two structs whose fields have the same names:
/// each field moves across.
macro_rules! same_fields {
    ($from:ty => $to:ty { $($field:ident),+ $(,)? }) => {
        impl From<$from> for $to {
            fn from(value: $from) -> $to {
                Self { $($field: value.$field.into()),+ }
            }
        }
    };
}

/// Implements [`Recorded`] for a domain struct and its record whose fields
/// have the same names: the conversion moves each field across.
macro_rules! recorded {
    ($domain:ty => $record:ident { $($field:ident),+ $(,)? }) => {
        impl Recorded for $domain {
            type Record = $record;
            fn to_record(&self) -> $record {
                $record::from(self.clone())
            }
            fn from_record(record: $record) -> $domain {
                <$domain>::from(record)
            }
        }
        same_fields!($domain => $record { $($field),+ });
        same_fields!($record => $domain { $($field),+ });
    };
}

/// An organisation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Organisation {
    pub id: OrganisationId,
    pub name: LocalizedText,
    pub bin: Bin,
    pub kind: OrganisationKind,
    pub size_class: SizeClass,
    pub contacts: Contacts,
    pub status: OrganisationStatus,
    pub revision: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

recorded!(senim_domain::Organisation => Organisation {
    id, name, bin, kind, size_class, contacts, status, revision, created_at, updated_at,
});

/// An account (its password hash has a column of its own).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Account {
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

recorded!(senim_domain::Account => Account {
    id, email, display_name, roles, organisation_id, status, revision, created_at, updated_at,
});

/// An API token (its hash has a column of its own).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Token {
    pub id: TokenId,
    pub account_id: AccountId,
    pub name: String,
    pub scopes: Vec<TokenScope>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}

recorded!(TokenInfo => Token {
    id, account_id, name, scopes, created_at, expires_at, revoked_at,
});

/// A system; `risk_level` as of the write (the column is the truth).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct System {
    pub id: SystemId,
    pub name: LocalizedText,
    pub owner_organisation_id: OrganisationId,
    pub holder_organisation_id: Option<OrganisationId>,
    pub status: SystemStatus,
    pub registry_number: Option<String>,
    pub risk_level: Option<RiskLevel>,
    pub sectors: Vec<Sector>,
    pub current_version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Absent in records written before drafts were private, and in drafts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_since: Option<Timestamp>,
}

recorded!(senim_domain::System => System {
    id, name, owner_organisation_id, holder_organisation_id, status, registry_number,
    risk_level, sectors, current_version, created_at, updated_at, public_since,
});

/// One version of a system, whole (the public log shows it redacted, with
/// the withheld items named).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SystemVersion {
    pub system_id: SystemId,
    pub version: i64,
    pub name: LocalizedText,
    pub holder_organisation_id: Option<OrganisationId>,
    pub profile: Profile,
    pub documentation: Documentation,
    /// Absent in versions without translations (and in every older record).
    #[serde(default, skip_serializing_if = "Translations::is_empty")]
    pub translations: Translations,
    pub visibility: BTreeMap<DocumentationItem, Visibility>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub withheld: Vec<DocumentationItem>,
    pub change_note: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub datasets: Vec<DatasetLink>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<AccountId>,
    pub created_at: Timestamp,
}

recorded!(senim_domain::SystemVersion => SystemVersion {
    system_id, version, name, holder_organisation_id, profile, documentation, translations,
    visibility, withheld, change_note, datasets, created_by, created_at,
});

/// A support programme of the National AI Platform.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Programme {
    pub id: ProgrammeId,
    pub kind: ProgrammeKind,
    pub title: LocalizedText,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<LocalizedText>,
    pub organisation_id: OrganisationId,
    pub created_at: Timestamp,
}

recorded!(senim_domain::programme::Programme => Programme {
    id, kind, title, description, organisation_id, created_at,
});

/// A published call. Its terms (budget, rubric criteria, questions) are
/// values whose form the call's publication fixed, shared with the domain.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Call {
    pub id: CallId,
    pub number: String,
    pub programme_id: ProgrammeId,
    pub kind: ProgrammeKind,
    pub organisation_id: OrganisationId,
    pub title: LocalizedText,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<LocalizedText>,
    pub opens: Day,
    pub closes: Day,
    pub budget: Budget,
    pub evaluation: EvaluationMode,
    pub reviewers: u8,
    pub rubric: Vec<Criterion>,
    pub pass_threshold: u8,
    pub questions: Vec<Question>,
    pub reports_after_months: Vec<u16>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tranches: Vec<u8>,
    pub min_usable_days: u16,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub eligibility: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_months: Option<u8>,
    pub created_at: Timestamp,
}

recorded!(senim_domain::programme::Call => Call {
    id, number, programme_id, kind, organisation_id, title, description, opens, closes,
    budget, evaluation, reviewers, rubric, pass_threshold, questions,
    reports_after_months, tranches, min_usable_days, eligibility, max_months, created_at,
});

/// A resource of the Platform: a compute pool, a ready model (with its
/// card), or a restricted dataset of the library.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct PlatformResource {
    pub id: senim_domain::PlatformResourceId,
    pub kind: senim_domain::allocation::ResourceKind,
    pub provider_organisation_id: OrganisationId,
    pub title: LocalizedText,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<LocalizedText>,
    pub unit: senim_domain::allocation::ResourceUnit,
    pub capacity: i64,
    pub credits_per_unit: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dataset_id: Option<DatasetId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<senim_domain::allocation::ModelCard>,
    pub created_at: Timestamp,
}

recorded!(senim_domain::allocation::PlatformResource => PlatformResource {
    id, kind, provider_organisation_id, title, description, unit, capacity,
    credits_per_unit, dataset_id, model, created_at,
});

/// A dataset of the library.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Dataset {
    pub id: DatasetId,
    pub organisation_id: OrganisationId,
    pub revision: i64,
    pub metadata: DatasetMetadata,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

recorded!(senim_domain::Dataset => Dataset {
    id, organisation_id, revision, metadata, created_at, updated_at,
});

/// A dataset's description as the steward gave it (the API's
/// `DatasetInput`, which is also what a steward sends).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct DatasetMetadata {
    pub title: LocalizedText,
    pub description: LocalizedText,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub themes: Vec<Theme>,
    #[serde(default)]
    pub spatial: Option<String>,
    #[serde(default)]
    pub temporal: Option<Temporal>,
    pub licence: String,
    pub producer: Producer,
    #[serde(default)]
    pub provenance: Option<String>,
    #[serde(default)]
    pub collection_method: Option<String>,
    pub personal_data: bool,
    #[serde(default)]
    pub legal_basis: Option<LegalBasis>,
    #[serde(default)]
    pub training_opt_out: bool,
    #[serde(default)]
    pub opt_out_reference: Option<String>,
    pub access: AccessLevel,
    pub version: String,
    #[serde(default)]
    pub changelog: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation_id: Option<OrganisationId>,
}

same_fields!(senim_domain::DatasetInput => DatasetMetadata {
    title, description, keywords, themes, spatial, temporal, licence, producer, provenance,
    collection_method, personal_data, legal_basis, training_opt_out, opt_out_reference, access,
    version, changelog, organisation_id,
});
same_fields!(DatasetMetadata => senim_domain::DatasetInput {
    title, description, keywords, themes, spatial, temporal, licence, producer, provenance,
    collection_method, personal_data, legal_basis, training_opt_out, opt_out_reference, access,
    version, changelog, organisation_id,
});

/// A file of a dataset.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Resource {
    pub id: ResourceId,
    pub dataset_id: DatasetId,
    pub name: String,
    pub media_type: String,
    pub size: u64,
    pub sha256: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<TableSchema>,
    pub created_at: Timestamp,
}

recorded!(senim_domain::Resource => Resource {
    id, dataset_id, name, media_type, size, sha256, schema, created_at,
});

/// A reviewer of the pool.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Reviewer {
    pub account_id: AccountId,
    pub sectors: Vec<Sector>,
    #[serde(default)]
    pub conflicts: Vec<OrganisationId>,
    pub active: bool,
    pub updated_at: Timestamp,
}

recorded!(ReviewerProfile => Reviewer {
    account_id, sectors, conflicts, active, updated_at,
});

/// A case is kept in its flat form, `senim_domain::case::wire::Case`
/// (see the module's comment), through which `Case` serializes.
impl Recorded for Case {
    type Record = Case;
    fn to_record(&self) -> Case {
        self.clone()
    }
    fn from_record(record: Case) -> Case {
        record
    }
}

/// A course of an education programme.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Course {
    pub id: senim_domain::CourseId,
    pub programme_id: senim_domain::ProgrammeId,
    pub programme_organisation_id: OrganisationId,
    pub provider_organisation_id: OrganisationId,
    pub title: LocalizedText,
    pub syllabus: LocalizedText,
    pub criteria: LocalizedText,
    pub hours: u32,
    pub language: senim_domain::education::CourseLanguage,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seats: Option<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reviewer_sectors: Vec<senim_domain::profile::Sector>,
    pub created_at: Timestamp,
}

recorded!(senim_domain::education::Course => Course {
    id, programme_id, programme_organisation_id, provider_organisation_id, title, syllabus,
    criteria, hours, language, seats, reviewer_sectors, created_at,
});
