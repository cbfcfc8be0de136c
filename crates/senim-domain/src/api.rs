//! The API's wire types: what the HTTP API sends and accepts besides the
//! domain records themselves. Shared by the server and the typed client, so
//! the two cannot drift apart.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::account::{Account, Password};
use crate::classification::{Classification, Gap, Lang, Outcome, PackCitation, PackSummary};
use crate::organisation::Organisation;
use crate::system::{System, SystemVersion};
use crate::token::{TokenInfo, TokenScope};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrganisationList {
    pub items: Vec<Organisation>,
    /// Matching organisations over all pages.
    pub total: i64,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Why something is withdrawn.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawInput {
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SystemList {
    pub items: Vec<System>,
    pub total: i64,
    pub next_cursor: Option<String>,
}

/// A system with its current version, as the reader may see it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SystemDetail {
    pub system: System,
    pub version: SystemVersion,
    /// The classification under the pack in force, in the requested language.
    pub classification: Option<Classification>,
    /// Documentation items the classification requires that this version lacks.
    pub gaps: Vec<Gap>,
}

/// A stateless classification request.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClassifyInput {
    /// A pack id; the pack in force when absent. The newest version is used.
    #[serde(default)]
    pub pack: Option<String>,
    /// The pack version; the newest when absent.
    #[serde(default)]
    pub version: Option<String>,
    pub profile: crate::Profile,
    #[serde(default)]
    pub lang: Option<Lang>,
}

/// A pack in a list.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RulePackListItem {
    #[serde(flatten)]
    pub summary: PackSummary,
    /// Whether this version is the one systems are classified under.
    pub in_force: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RulePackList {
    pub items: Vec<RulePackListItem>,
}

/// One pack version as data: its summary, its canonical content (rules,
/// conditions, levels, obligations, deadlines, sanctions, citations) and its text.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RulePackDetail {
    #[serde(flatten)]
    pub summary: PackSummary,
    pub in_force: bool,
    /// Every source the pack cites, in the three languages.
    pub citations: Vec<PackCitation>,
    #[schema(value_type = Object)]
    pub content: serde_json::Value,
    /// The pack file as published (TOML).
    pub source: String,
}

/// A new pack version to publish.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishRulePackInput {
    /// The pack file (TOML), as `senim rules check` accepts it.
    pub source: String,
    /// Compute the change report without publishing.
    #[serde(default)]
    pub dry_run: bool,
}

/// One entry of a system's classification history.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ClassificationRecord {
    pub version: i64,
    pub outcome: Outcome,
    pub gaps: Vec<Gap>,
    pub classified_at: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ClassificationHistory {
    pub items: Vec<ClassificationRecord>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VersionList {
    pub items: Vec<SystemVersion>,
    pub total: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AccountList {
    pub items: Vec<Account>,
    pub total: i64,
    pub next_cursor: Option<String>,
}

/// A request for a new API token.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    /// What the token is for, e.g. "CI pipeline".
    pub name: String,
    /// `read`, `write`, `admin` (each includes the ones before).
    pub scopes: Vec<TokenScope>,
    /// Days until it expires, 1 to 365 (default 90).
    #[serde(default)]
    pub expires_in_days: Option<i64>,
}

/// A new token: the secret is shown this once and never again.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NewTokenResponse {
    pub token: String,
    pub info: TokenInfo,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenList {
    pub items: Vec<TokenInfo>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginInput {
    pub email: String,
    #[schema(value_type = String)]
    pub password: Password,
    /// The six digits of the account's authenticator app, for an account
    /// that signs in with one (issue 21).
    #[serde(default)]
    pub code: Option<String>,
}

/// A text to sign with an electronic digital signature to sign in
/// (issue 21): taken once, until it expires.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SignInText {
    pub nonce: String,
    pub expires_at: crate::Timestamp,
}

/// Signing in with an electronic digital signature: the text given and
/// the CMS (PKCS#7) signature of it, base64 or PEM, made with an
/// authentication key.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignatureLoginInput {
    pub nonce: String,
    pub signature: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenLoginInput {
    pub email: String,
    #[schema(value_type = String)]
    pub password: Password,
    /// The six digits of the account's authenticator app, for an account
    /// that signs in with one.
    #[serde(default)]
    pub code: Option<String>,
    pub name: String,
    pub scopes: Vec<TokenScope>,
    #[serde(default)]
    pub expires_in_days: Option<i64>,
}

/// The signed-in account and the CSRF token its forms and scripts must send.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SessionInfo {
    pub account: Option<Account>,
    pub csrf_token: Option<String>,
}

/// Proof that a change is in the public audit log: its entry's index, the
/// signed checkpoint of the first tree that holds it, and the inclusion
/// proof to that tree. Hashes are base64, as in checkpoints. Anyone with the
/// log's verifier key can check it offline (`senim verify --receipt`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    pub index: u64,
    /// The size of the tree in `checkpoint`.
    pub size: u64,
    /// SHA-256(0x00 || entry).
    pub leaf_hash: String,
    /// The C2SP signed note of the checkpoint.
    pub checkpoint: String,
    pub inclusion_proof: Vec<String>,
    /// The entry itself (canonical JSON), when the receipt was saved with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry: Option<String>,
}

/// One log entry, with its inclusion proof to the newest checkpoint.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LogEntry {
    pub index: u64,
    /// The entry exactly as hashed: canonical JSON (RFC 8785).
    pub entry: String,
    pub leaf_hash: String,
    /// The tree size the proof is for.
    pub size: u64,
    pub checkpoint: String,
    pub inclusion_proof: Vec<String>,
}

/// An inclusion proof of one entry in a tree of `size` entries.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InclusionProof {
    pub index: u64,
    pub size: u64,
    pub proof: Vec<String>,
}

/// A proof that the tree of `old` entries is a prefix of the tree of `new`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ConsistencyProof {
    pub old: u64,
    pub new: u64,
    pub proof: Vec<String>,
}

/// Every rotation of the audit log's signing key, with what a verifier who
/// trusts an earlier key needs to follow them to the key that signs now
/// (`senim verify` does; docs/LOG.md says how).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LogRotations {
    /// The verifier key that signs the log's checkpoints now.
    pub key: String,
    /// The newest checkpoint, which every consistency proof below leads to.
    pub checkpoint: String,
    /// The size of the tree in `checkpoint`.
    pub size: u64,
    /// In log order; empty when the key was never rotated.
    pub rotations: Vec<LogRotation>,
}

/// One restore of the register that took its log back, as its operator
/// accepted and announced it (`GET /api/v1/log/rollbacks`). The entry at
/// `index` (kind `log.rolled_back`) holds these fields; checkpoints signed
/// before it that are larger than `restored_size`, or that `published_checkpoint`
/// is, are no longer extended by the log.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LogRollback {
    /// The announcing entry's position in the log (read it with its proof
    /// at `/api/v1/log/entries/{index}`).
    pub index: u64,
    /// When the rollback was accepted (RFC 3339).
    pub time: String,
    /// The last checkpoint the register had published before the restore,
    /// as it was kept (a signed note).
    pub published_checkpoint: String,
    /// Its size, when it was signed by a key of this log.
    pub published_size: Option<u64>,
    /// The size the log went back to: entries from here on were written
    /// after the restore.
    pub restored_size: u64,
    /// Entries published before and lost (`published_size - restored_size`).
    pub lost_entries: u64,
    /// The operator's reason, as announced.
    pub reason: String,
}

/// One rotation of the log's key. `new_key`, `old_key_id`, `co_signed`,
/// `reason` and `time` are read from `entry` for convenience: a verifier
/// reads them from the entry it checked.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LogRotation {
    /// The rotation entry's position in the log.
    pub index: u64,
    /// The entry exactly as hashed (canonical JSON, kind `log.key_rotated`).
    pub entry: String,
    pub time: String,
    /// The key that signs from this entry on.
    pub new_key: String,
    /// The id (8 hex digits) of the key it replaced.
    pub old_key_id: String,
    /// The replaced key, when the log knew it.
    pub old_key: Option<String>,
    /// Whether the replaced key signed `checkpoint` too (false when it was lost).
    pub co_signed: bool,
    /// `planned`, `compromised` or `lost`.
    pub reason: String,
    /// The first checkpoint that holds the entry: signed by the new key and,
    /// unless the old key was lost, by the old key after it.
    pub checkpoint: String,
    /// The size of the tree in `checkpoint`.
    pub size: u64,
    /// The entry's inclusion proof in `checkpoint`.
    pub inclusion_proof: Vec<String>,
    /// The proof that the newest checkpoint extends `checkpoint`.
    pub consistency_proof: Vec<String>,
}
