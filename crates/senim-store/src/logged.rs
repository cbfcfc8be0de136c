//! What each event's payload carries, and what its `replay` column keeps:
//! one type per kind of payload, written when a command appends its event
//! and read back when `senim admin rebuild` replays it.
//!
//! The log commits to these payloads, so their JSON must never change
//! meaning: they hold the store's record types (`crate::record`), never the
//! API's, and their field names are today's keys. A change to one of them
//! is a new version of the payload, which the rebuild must tell from the
//! old one, and `tests/replay_of_recorded_events.rs` must still pass on the
//! events earlier versions wrote. Each struct lists its fields in the order
//! the earlier `json!` literals did, so the stored text is unchanged too.

use serde::{Deserialize, Serialize};

use senim_domain::case::PrivatePart;
use senim_domain::classification::{Assessment, Outcome, PackRef, SystemChange};
use senim_domain::{AccountId, Case, CaseId, DatasetId, ResourceId, Role, SystemStatus};
use senim_domain::{AccountStatus, OrganisationId, Timestamp, TokenId, TokenScope};

use crate::record;

/// `organisation.created`, `organisation.updated`; the public log shows
/// the organisation redacted (no contact person).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct OrganisationChanged {
    pub organisation: record::Organisation,
}

/// `organisation.withdrawn`.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct OrganisationWithdrawn {
    pub organisation: record::Organisation,
    pub reason: Option<String>,
}

/// `account.created`, `account.updated`, `account.withdrawn`.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct AccountChanged {
    pub account: record::Account,
}

/// What the public log shows of an account change: a person's name and
/// e-mail are personal data.
#[derive(Debug, Serialize)]
pub(crate) struct AccountShown {
    pub account: PublicAccount,
}

#[derive(Debug, Serialize)]
pub(crate) struct PublicAccount {
    pub id: AccountId,
    pub roles: Vec<Role>,
    pub organisation_id: Option<OrganisationId>,
    pub status: AccountStatus,
    pub revision: i64,
}

/// The replay data of `account.created` and `account.updated`.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct AccountReplay {
    pub password_hash: Option<String>,
}

/// `token.created`.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct TokenCreated {
    pub token: record::Token,
    pub token_hash: String,
}

/// `token.revoked`.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct TokenRevoked {
    pub token: record::Token,
}

/// What the public log shows of a token: no name, no hash.
#[derive(Debug, Serialize)]
pub(crate) struct TokenShown {
    pub token: PublicToken,
}

#[derive(Debug, Serialize)]
pub(crate) struct PublicToken {
    pub id: TokenId,
    pub scopes: Vec<TokenScope>,
    pub expires_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}

/// `system.created`, `system.version_added` (details [`Classified`]) and
/// `system.withdrawn` (details [`SystemWithdrawn`]); the public log shows
/// the version redacted.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct SystemChanged<D> {
    pub system: record::System,
    pub version: Option<record::SystemVersion>,
    pub details: D,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Classified {
    pub classification: Option<Outcome>,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct SystemWithdrawn {
    pub reason: Option<String>,
    pub previous_status: SystemStatus,
}

/// The replay data of a classified version: its assessment with the gap report.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct SystemReplay {
    pub assessment: Option<Assessment>,
    /// The notice to an organisation the version names as operator.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notices: Vec<crate::cases::StoredNotice>,
}

/// `system.reclassified` (the publication's replay data carries the change).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct SystemReclassified {
    pub pack: PackRef,
    pub change: SystemChange,
}

/// `rulepack.installed`.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct PackInstalled {
    pub pack: PackRef,
    pub source_sha256: String,
}

/// The replay data of `rulepack.installed`.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct PackReplay {
    pub source: String,
}

/// `rulepack.published`.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct PackPublished {
    pub pack: PackRef,
    pub source_sha256: String,
    pub in_force: bool,
    pub reclassified: u64,
    pub changed: usize,
    pub report_sha256: String,
}

/// The replay data of `rulepack.published`, serialized straight from the
/// borrowed parts: a publication may carry 100,000 re-classifications.
#[derive(Debug, Serialize)]
pub(crate) struct PublicationReplay<'a> {
    pub source: &'a str,
    pub report: &'a str,
    pub reassessments: &'a [crate::Reassessment],
}

/// [`PublicationReplay`] as a rebuild reads it.
#[derive(Debug, Deserialize)]
pub(crate) struct PublicationReplayed {
    pub source: String,
    /// The change report as JSON text, exactly as `rulepack_publications` keeps it.
    pub report: String,
    pub reassessments: Vec<crate::Reassessment>,
}

/// `dataset.created`, `dataset.updated`.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct DatasetChanged {
    pub dataset: record::Dataset,
}

/// `programme.created`.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct ProgrammeCreated {
    pub programme: record::Programme,
}

/// `call.published`.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct CallPublished {
    pub call: record::Call,
}

/// `platform_resource.created`.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct PlatformResourceCreated {
    pub resource: record::PlatformResource,
}

/// `course.created`.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct CourseCreated {
    pub course: record::Course,
}

/// `course.reviewer_sectors_set`: the sectors whose reviewers the pool
/// asks the course's certificate of, as the authority's supervisors set them.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct CourseReviewerSectorsSet {
    pub course_id: senim_domain::CourseId,
    pub sectors: Vec<senim_domain::profile::Sector>,
}

/// `resource.added`.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct ResourceAdded {
    pub resource: record::Resource,
}

/// `resource.downloaded`; the public log shows neither the downloader nor
/// the grant.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct ResourceDownloaded {
    pub resource_id: ResourceId,
    pub dataset_id: DatasetId,
    pub sha256: String,
    pub downloader: Option<AccountId>,
    pub grant: Option<CaseId>,
}

/// `reviewer.set`.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct ReviewerSet {
    pub reviewer: record::Reviewer,
}

/// `system.review_due`.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct ReviewFlagged<N> {
    pub due: crate::ReviewDue,
    pub notices: Vec<N>,
}

/// Every step of a case (`<kind>.<step>`): the case after it (its private
/// part beside it), a case it opened, the system it changed, the step as
/// sent and the notices it left. The public log shows the cases in their
/// public form, the step's action only, and neither the private part nor
/// the notices.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct CaseStepped<N> {
    pub case: Case,
    pub private: Option<PrivatePart>,
    pub opened: Option<Case>,
    pub system: Option<record::System>,
    #[serde(default)]
    pub step: serde_json::Value,
    pub notices: Option<Vec<N>>,
    /// The system's version, when this step first made the system public
    /// (its submission): the draft's entries hold it only as digests, so the
    /// log shows it here, as the public may read it. Not needed to replay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<record::SystemVersion>,
}

/// `log.key_rotated`: the key that signs the audit log's checkpoints was
/// replaced (`crate::rotation`). Verifiers read it from the entry
/// (`senim_tlog::rotation::RotationStatement`), so its fields never change.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct KeyRotated {
    /// The new verifier key (`name+hexid+base64`).
    pub new_key: String,
    /// The replaced key's id (8 hex digits).
    pub old_key_id: String,
    /// The replaced verifier key, when known (a lost key's may not be).
    pub old_key: Option<String>,
    /// Whether the replaced key signed the rotation's checkpoint too.
    pub co_signed: bool,
    /// `planned`, `compromised` or `lost`.
    pub reason: String,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use serde::de::DeserializeOwned;
    use serde_json::Value;

    use super::*;
    use crate::record::Recorded;

    /// A notice as the cases' events carry it (the store's `StoredNotice`,
    /// whose own serde derive is unchanged).
    type Notice = Value;

    /// Reads a payload as its type and writes it back.
    fn again<T: Serialize + DeserializeOwned>(payload: &Value) -> Value {
        serde_json::to_value(serde_json::from_value::<T>(payload.clone()).unwrap()).unwrap()
    }

    /// The record's JSON equals the JSON of the domain type it converts to,
    /// which is what the store wrote before the record types existed.
    fn same_as_domain<D: Recorded + Serialize>(record: &Value) {
        let domain = D::from_record(serde_json::from_value(record.clone()).unwrap());
        assert_eq!(
            serde_json::to_string(&domain).unwrap(),
            crate::record::json(&domain).unwrap()
        );
        assert_eq!(&serde_json::to_value(&domain).unwrap(), record);
    }

    /// Every payload of the replay fixtures (what the store wrote before
    /// these types) reads as its type and writes back unchanged, and every
    /// record in them is written exactly as the domain's type was.
    #[test]
    fn recorded_payloads_read_and_write_back_unchanged() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/replay");
        let mut seen = 0;
        for file in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(file.unwrap().path()).unwrap();
            for line in text.lines().skip(1) {
                let row: Value = serde_json::from_str(line).unwrap();
                let kind = row["kind"].as_str().unwrap();
                let payload: Value =
                    serde_json::from_str(row["payload"].as_str().unwrap()).unwrap();
                let written = match kind {
                    "organisation.created" | "organisation.updated" => {
                        same_as_domain::<senim_domain::Organisation>(&payload["organisation"]);
                        again::<OrganisationChanged>(&payload)
                    }
                    "organisation.withdrawn" => again::<OrganisationWithdrawn>(&payload),
                    "account.created" | "account.updated" | "account.withdrawn" => {
                        same_as_domain::<senim_domain::Account>(&payload["account"]);
                        again::<AccountChanged>(&payload)
                    }
                    "token.created" => {
                        same_as_domain::<senim_domain::TokenInfo>(&payload["token"]);
                        again::<TokenCreated>(&payload)
                    }
                    "token.revoked" => again::<TokenRevoked>(&payload),
                    "system.created" | "system.version_added" => {
                        same_as_domain::<senim_domain::System>(&payload["system"]);
                        same_as_domain::<senim_domain::SystemVersion>(&payload["version"]);
                        again::<SystemChanged<Classified>>(&payload)
                    }
                    "system.withdrawn" => again::<SystemChanged<SystemWithdrawn>>(&payload),
                    "system.intake_paused" | "system.intake_resumed" => {
                        again::<crate::intake::IntakeSwitched>(&payload)
                    }
                    "system.operator_accepted" | "system.operator_refused" => {
                        again::<SystemChanged<crate::operators::OperatorAnswered>>(&payload)
                    }
                    "system.reclassified" => again::<SystemReclassified>(&payload),
                    "system.review_due" => again::<ReviewFlagged<Notice>>(&payload),
                    "dataset.created" | "dataset.updated" => {
                        same_as_domain::<senim_domain::Dataset>(&payload["dataset"]);
                        again::<DatasetChanged>(&payload)
                    }
                    "resource.added" => {
                        same_as_domain::<senim_domain::Resource>(&payload["resource"]);
                        again::<ResourceAdded>(&payload)
                    }
                    "resource.downloaded" => again::<ResourceDownloaded>(&payload),
                    "reviewer.set" => {
                        same_as_domain::<senim_domain::case::ReviewerProfile>(&payload["reviewer"]);
                        again::<ReviewerSet>(&payload)
                    }
                    "programme.created" => {
                        same_as_domain::<senim_domain::programme::Programme>(&payload["programme"]);
                        again::<ProgrammeCreated>(&payload)
                    }
                    "call.published" => {
                        same_as_domain::<senim_domain::programme::Call>(&payload["call"]);
                        again::<CallPublished>(&payload)
                    }
                    "platform_resource.created" => {
                        same_as_domain::<senim_domain::allocation::PlatformResource>(
                            &payload["resource"],
                        );
                        again::<PlatformResourceCreated>(&payload)
                    }
                    "course.created" => {
                        same_as_domain::<senim_domain::education::Course>(&payload["course"]);
                        again::<CourseCreated>(&payload)
                    }
                    "course.reviewer_sectors_set" => again::<CourseReviewerSectorsSet>(&payload),
                    "log.key_rotated" => again::<KeyRotated>(&payload),
                    "log.rolled_back" => again::<crate::rollback::RolledBack>(&payload),
                    "rulepack.installed" => again::<PackInstalled>(&payload),
                    "rulepack.published" => again::<PackPublished>(&payload),
                    _ => {
                        if !payload["system"].is_null() {
                            same_as_domain::<senim_domain::System>(&payload["system"]);
                        }
                        again::<CaseStepped<Notice>>(&payload)
                    }
                };
                assert_eq!(written, payload, "{kind}");
                seen += 1;
            }
        }
        assert!(seen > 300, "{seen} payloads");
    }
}
