//! Commands: every change to the register, and how each is applied.
//!
//! A command arrives already parsed (domain types only), so applying it can
//! fail only for reasons that need the database: a record that does not
//! exist, a stale revision, a duplicate. Each register change appends one
//! event describing it, in the same transaction.

use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::{AnyConnection, Row};

use senim_domain::account::ValidAccount;
use senim_domain::organisation::ValidOrganisation;
use senim_domain::system::ValidVersion;
use senim_domain::{
    Account, AccountId, AccountStatus, Organisation, OrganisationId, OrganisationStatus, Role,
    System, SystemId, SystemStatus, SystemVersion, Timestamp, TokenId, Viewer,
};

use crate::error::{is_unique_violation, StoreError};
use crate::log;
use crate::query;
use senim_domain::classification::{Assessment, ChangeReport, ChangedOutcome, PackRef};
use senim_domain::token::{TokenInfo, TokenScope};

/// Who issued a command, as recorded in its event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// The account, or none for the operator's own tools (`senim admin`, the demo loader).
    pub account_id: Option<AccountId>,
    pub roles: Vec<Role>,
    pub organisation_id: Option<OrganisationId>,
}

impl Actor {
    /// The operator at the console: `senim admin`, migrations, the demo loader.
    pub fn operator() -> Actor {
        Actor {
            account_id: None,
            roles: vec![Role::Administrator],
            organisation_id: None,
        }
    }

    pub fn of(account: &Account) -> Actor {
        Actor {
            account_id: Some(account.id),
            roles: account.roles.clone(),
            organisation_id: account.organisation_id,
        }
    }
}

/// A token to store; the secret itself never reaches the store, only its hash.
#[derive(Debug, Clone)]
pub struct NewToken {
    pub id: TokenId,
    pub account_id: AccountId,
    pub name: String,
    pub scopes: Vec<TokenScope>,
    pub expires_at: Timestamp,
    pub token_hash: String,
}

/// Every write the store accepts.
#[derive(Debug, Clone)]
pub enum Command {
    CreateOrganisation(ValidOrganisation),
    UpdateOrganisation {
        id: OrganisationId,
        expected_revision: i64,
        organisation: ValidOrganisation,
    },
    WithdrawOrganisation {
        id: OrganisationId,
        expected_revision: Option<i64>,
        reason: Option<String>,
    },
    CreateAccount {
        account: ValidAccount,
        password_hash: Option<String>,
    },
    UpdateAccount {
        id: AccountId,
        expected_revision: i64,
        account: ValidAccount,
        /// A new password hash, or `None` to keep the current one.
        password_hash: Option<String>,
    },
    WithdrawAccount {
        id: AccountId,
        expected_revision: Option<i64>,
    },
    CreateSystem {
        owner: OrganisationId,
        version: ValidVersion,
        /// The classification under the pack in force, with its gap report.
        assessment: Option<Assessment>,
    },
    AddVersion {
        id: SystemId,
        expected_version: i64,
        version: ValidVersion,
        assessment: Option<Assessment>,
    },
    /// Makes a pack version known (the built-in packs at start); nothing
    /// happens if it is already there.
    InstallRulePack {
        pack: PackRef,
        source: String,
    },
    /// Publishes a pack version and stores the new classification of every
    /// system given (all registered systems when the pack is in force).
    PublishRulePack {
        pack: PackRef,
        source: String,
        reassessments: Vec<Reassessment>,
        report: ChangeReport,
        /// What the new classification does to registered systems (a new
        /// review, a suspension), written in the same transaction.
        cases: Vec<crate::cases::CaseWrite>,
    },
    WithdrawSystem {
        id: SystemId,
        expected_version: Option<i64>,
        reason: Option<String>,
    },
    CreateToken(NewToken),
    RevokeToken {
        id: TokenId,
        /// When set, only this account's token may be revoked.
        account_id: Option<AccountId>,
    },
    CreateSession {
        token_hash: String,
        account_id: AccountId,
        csrf_token: String,
        expires_at: Timestamp,
    },
    DeleteSession {
        token_hash: String,
    },
    /// Writes a case after a step, if it is still at the revision the step
    /// was decided on (the domain's step functions decide it).
    SaveCase(Box<crate::cases::CaseWrite>),
    /// A new dataset in the library, owned by `owner`.
    CreateDataset {
        owner: OrganisationId,
        metadata: senim_domain::DatasetInput,
    },
    /// New metadata for a dataset, from the revision the steward read.
    UpdateDataset {
        id: senim_domain::DatasetId,
        expected_revision: i64,
        metadata: senim_domain::DatasetInput,
    },
    /// A file, already in the blob storage, joins its dataset.
    AddResource(Box<senim_domain::Resource>),
    /// A download of restricted data (the downloader stays private).
    RecordDownload {
        resource: Box<senim_domain::Resource>,
        downloader: AccountId,
        grant: Option<senim_domain::CaseId>,
    },
    /// Flags a registered system whose annual risk review is overdue.
    FlagReviewDue(crate::cases::ReviewDue),
    /// Puts a reviewer in the pool or changes their competences.
    SetReviewer(senim_domain::case::ReviewerProfile),
    /// Empties every query table and fills it again from the events, in log
    /// order (`senim admin rebuild`). Sessions are not events: everyone
    /// signs in again.
    Rebuild,
}

/// What a command produced.
#[derive(Debug, Clone)]
pub enum Applied {
    Organisation(Organisation),
    Account(Account),
    System {
        system: System,
        version: Box<SystemVersion>,
    },
    Token(TokenInfo),
    /// A pack publication and its change report.
    Published(Box<ChangeReport>),
    /// A case after a step, and its system when the step changed it.
    Case {
        case: Box<senim_domain::Case>,
        system: Option<Box<System>>,
    },
    Reviewer(senim_domain::case::ReviewerProfile),
    Dataset(Box<senim_domain::Dataset>),
    Resource(Box<senim_domain::Resource>),
    /// The query tables were rebuilt from this many events.
    Rebuilt(u64),
    Done,
}

/// A system's new assessment under a newly published pack.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Reassessment {
    pub system_id: SystemId,
    pub version: i64,
    pub assessment: Assessment,
    /// The change against the previous outcome, when there was one.
    pub change: Option<ChangedOutcome>,
    /// The risk level before, if the system was classified.
    pub previous_risk: Option<senim_domain::RiskLevel>,
}

pub(crate) struct EventDraft {
    pub(crate) kind: &'static str,
    pub(crate) subject_type: &'static str,
    pub(crate) subject_id: String,
    /// Everything the change needs to be replayed.
    pub(crate) payload: serde_json::Value,
    /// What the public log shows, when some of `payload` is private
    /// (personal data, confidential documentation): top-level fields that
    /// differ appear in the log only as salted digests.
    pub(crate) public: Option<serde_json::Value>,
    /// What a rebuild needs besides the payload (a password hash, a pack's
    /// text, every re-classification of a publication), as JSON text: kept
    /// with the event, never part of its log entry.
    pub(crate) replay: Option<String>,
}

/// Where a command's events go: who issued it, when, and the batch's log.
pub(crate) struct Events<'a> {
    pub actor: &'a Actor,
    pub now: Timestamp,
    pub log: &'a mut log::Appender,
}

/// Applies one command inside the writer's open transaction; also returns
/// the log index of the event that records it, if it changed the register.
pub(crate) async fn apply(
    conn: &mut AnyConnection,
    events: &mut Events<'_>,
    command: Command,
) -> Result<(Applied, Option<u64>), StoreError> {
    let (actor, now) = (events.actor, events.now);
    let (applied, event) = match command {
        Command::CreateOrganisation(org) => create_organisation(conn, org, now).await?,
        Command::UpdateOrganisation {
            id,
            expected_revision,
            organisation,
        } => update_organisation(conn, id, expected_revision, organisation, now).await?,
        Command::WithdrawOrganisation {
            id,
            expected_revision,
            reason,
        } => withdraw_organisation(conn, id, expected_revision, reason, now).await?,
        Command::CreateAccount {
            account,
            password_hash,
        } => create_account(conn, account, password_hash, now).await?,
        Command::UpdateAccount {
            id,
            expected_revision,
            account,
            password_hash,
        } => update_account(conn, id, expected_revision, account, password_hash, now).await?,
        Command::WithdrawAccount {
            id,
            expected_revision,
        } => withdraw_account(conn, id, expected_revision, now).await?,
        Command::CreateSystem {
            owner,
            version,
            assessment,
        } => create_system(conn, actor, owner, version, assessment, now).await?,
        Command::AddVersion {
            id,
            expected_version,
            version,
            assessment,
        } => add_version(conn, actor, id, expected_version, version, assessment, now).await?,
        Command::InstallRulePack { pack, source } => install_pack(conn, pack, source, now).await?,
        Command::PublishRulePack {
            pack,
            source,
            reassessments,
            report,
            cases,
        } => publish_pack(conn, events, pack, source, reassessments, report, cases).await?,
        Command::WithdrawSystem {
            id,
            expected_version,
            reason,
        } => withdraw_system(conn, id, expected_version, reason, now).await?,
        Command::CreateToken(token) => create_token(conn, token, now).await?,
        Command::RevokeToken { id, account_id } => revoke_token(conn, id, account_id, now).await?,
        Command::CreateSession {
            token_hash,
            account_id,
            csrf_token,
            expires_at,
        } => {
            sqlx::query(
                "INSERT INTO sessions (token_hash, account_id, csrf_token, expires_at, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(token_hash)
            .bind(account_id.to_string())
            .bind(csrf_token)
            .bind(expires_at.to_rfc3339())
            .bind(now.to_rfc3339())
            .execute(&mut *conn)
            .await?;
            // Sessions are sign-ins, not changes to the register: no event.
            (Applied::Done, None)
        }
        Command::SaveCase(write) => crate::cases::save_case(conn, *write, now).await?,
        Command::SetReviewer(reviewer) => crate::cases::set_reviewer(conn, reviewer).await?,
        Command::FlagReviewDue(due) => crate::cases::flag_review_due(conn, due, now).await?,
        Command::AddResource(resource) => crate::library::add_resource(conn, *resource).await?,
        Command::RecordDownload {
            resource,
            downloader,
            grant,
        } => crate::library::record_download(&resource, downloader, grant),
        Command::CreateDataset { owner, metadata } => {
            crate::library::create(conn, owner, metadata, now).await?
        }
        Command::UpdateDataset {
            id,
            expected_revision,
            metadata,
        } => crate::library::update(conn, id, expected_revision, metadata, now).await?,
        Command::Rebuild => (Applied::Rebuilt(rebuild(conn).await?), None),
        Command::DeleteSession { token_hash } => {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                .bind(token_hash)
                .execute(&mut *conn)
                .await?;
            (Applied::Done, None)
        }
    };
    let index = match event {
        Some(event) => Some(append_event(conn, events, event).await?),
        None => None,
    };
    Ok((applied, index))
}

/// Appends an event and its entry in the audit log (the public form, with
/// digests of the private parts); returns the entry's index.
async fn append_event(
    conn: &mut AnyConnection,
    events: &mut Events<'_>,
    event: EventDraft,
) -> Result<u64, StoreError> {
    let salt = log::new_salt();
    // Who asks for or downloads restricted data is private: the public
    // entry keeps the actor's roles, not their organisation.
    let private_actor =
        event.kind.starts_with("data_access.") || event.kind == "resource.downloaded";
    let shown = Actor {
        account_id: None,
        roles: events.actor.roles.clone(),
        organisation_id: None,
    };
    let mut draft = log::draft_entry(
        events.now,
        event.kind,
        (event.subject_type, &event.subject_id),
        if private_actor { &shown } else { events.actor },
        &event.payload,
        event.public.as_ref(),
        &salt,
    )?;
    // The log commits to the replay data too, so a rebuild can check it.
    if let Some(replay) = &event.replay {
        draft["replay_sha256"] = json!(sha256_hex(replay));
    }
    let row = log::EventRow {
        time: events.now.to_rfc3339(),
        kind: event.kind,
        subject_type: event.subject_type,
        subject_id: event.subject_id,
        actor: serde_json::to_string(events.actor)?,
        payload: serde_json::to_string(&event.payload)?,
        salt,
        replay: event.replay,
        entry: String::new(),
        index: 0,
    };
    events.log.append(conn, row, draft).await
}

fn lower_search(parts: &[&str]) -> String {
    parts.join(" ").to_lowercase()
}

fn organisation_search(org: &Organisation) -> String {
    lower_search(&[&org.name.joined(), org.bin.as_str()])
}

pub(crate) type Step = (Applied, Option<EventDraft>);

fn org_event(
    kind: &'static str,
    org: &Organisation,
    extra: Option<serde_json::Value>,
) -> EventDraft {
    let mut payload = json!({ "organisation": org });
    if let (Some(extra), Some(map)) = (extra, payload.as_object_mut()) {
        if let Some(obj) = extra.as_object() {
            for (k, v) in obj {
                map.insert(k.clone(), v.clone());
            }
        }
    }
    let mut public = payload.clone();
    public["organisation"] = json!(org.clone().redacted(Viewer::PUBLIC));
    EventDraft {
        kind,
        subject_type: "organisation",
        subject_id: org.id.to_string(),
        payload,
        public: Some(public),
        replay: None,
    }
}

fn duplicate_bin(e: sqlx::Error) -> StoreError {
    if is_unique_violation(&e) {
        StoreError::invalid("bin", "is already registered to another organisation")
    } else {
        StoreError::Database(e)
    }
}

async fn create_organisation(
    conn: &mut AnyConnection,
    org: ValidOrganisation,
    now: Timestamp,
) -> Result<Step, StoreError> {
    let record = Organisation {
        id: OrganisationId::generate(),
        name: org.name,
        bin: org.bin,
        kind: org.kind,
        size_class: org.size_class,
        contacts: org.contacts,
        status: OrganisationStatus::Active,
        revision: 1,
        created_at: now,
        updated_at: now,
    };
    insert_organisation(conn, &record).await?;
    let event = org_event("organisation.created", &record, None);
    Ok((Applied::Organisation(record), Some(event)))
}

async fn insert_organisation(
    conn: &mut AnyConnection,
    record: &Organisation,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO organisations (id, bin, status, revision, search_text, data, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(record.id.to_string())
    .bind(record.bin.as_str().to_string())
    .bind(record.status.as_str())
    .bind(record.revision)
    .bind(organisation_search(record))
    .bind(serde_json::to_string(record)?)
    .bind(record.created_at.to_rfc3339())
    .bind(record.updated_at.to_rfc3339())
    .execute(&mut *conn)
    .await
    .map_err(duplicate_bin)?;
    Ok(())
}

async fn store_organisation(
    conn: &mut AnyConnection,
    record: &Organisation,
    expected_revision: i64,
) -> Result<(), StoreError> {
    let result = sqlx::query(
        "UPDATE organisations SET bin = $1, status = $2, revision = $3, search_text = $4, data = $5, \
         updated_at = $6 WHERE id = $7 AND revision = $8",
    )
    .bind(record.bin.as_str().to_string())
    .bind(record.status.as_str())
    .bind(record.revision)
    .bind(organisation_search(record))
    .bind(serde_json::to_string(record)?)
    .bind(record.updated_at.to_rfc3339())
    .bind(record.id.to_string())
    .bind(expected_revision)
    .execute(&mut *conn)
    .await
    .map_err(duplicate_bin)?;
    if result.rows_affected() != 1 {
        return Err(StoreError::conflict(
            "the organisation was changed by someone else; reload it and try again",
            "",
        ));
    }
    Ok(())
}

/// Refuses an update that starts from a stale revision (`unit` is
/// "revision" or "version").
fn check_current(what: &str, unit: &str, expected: i64, current: i64) -> Result<(), StoreError> {
    if expected != current {
        return Err(StoreError::conflict(
            format!(
                "the {what} is at {unit} {current}, not {expected}: someone changed it since you read it; reload and try again"
            ),
            current.to_string(),
        ));
    }
    Ok(())
}

fn check_revision(what: &str, expected: i64, current: i64) -> Result<(), StoreError> {
    check_current(what, "revision", expected, current)
}

/// Refuses to act on a withdrawn record.
fn refuse_withdrawn(withdrawn: bool, message: &str, current: i64) -> Result<(), StoreError> {
    if withdrawn {
        return Err(StoreError::conflict(message, current.to_string()));
    }
    Ok(())
}

async fn update_organisation(
    conn: &mut AnyConnection,
    id: OrganisationId,
    expected_revision: i64,
    org: ValidOrganisation,
    now: Timestamp,
) -> Result<Step, StoreError> {
    let current = query::organisation(&mut *conn, id).await?;
    check_revision("organisation", expected_revision, current.revision)?;
    refuse_withdrawn(
        current.status == OrganisationStatus::Withdrawn,
        "the organisation is withdrawn and cannot be changed",
        current.revision,
    )?;
    let record = Organisation {
        name: org.name,
        bin: org.bin,
        kind: org.kind,
        size_class: org.size_class,
        contacts: org.contacts,
        revision: current.revision + 1,
        updated_at: now,
        ..current
    };
    store_organisation(conn, &record, expected_revision).await?;
    let event = org_event("organisation.updated", &record, None);
    Ok((Applied::Organisation(record), Some(event)))
}

async fn withdraw_organisation(
    conn: &mut AnyConnection,
    id: OrganisationId,
    expected_revision: Option<i64>,
    reason: Option<String>,
    now: Timestamp,
) -> Result<Step, StoreError> {
    let current = query::organisation(&mut *conn, id).await?;
    if let Some(expected) = expected_revision {
        check_revision("organisation", expected, current.revision)?;
    }
    refuse_withdrawn(
        current.status == OrganisationStatus::Withdrawn,
        "the organisation is already withdrawn",
        current.revision,
    )?;
    let revision = current.revision;
    let record = Organisation {
        status: OrganisationStatus::Withdrawn,
        revision: revision + 1,
        updated_at: now,
        ..current
    };
    store_organisation(conn, &record, revision).await?;
    let event = org_event(
        "organisation.withdrawn",
        &record,
        Some(json!({ "reason": reason })),
    );
    Ok((Applied::Organisation(record), Some(event)))
}

pub(crate) async fn require_organisation(
    conn: &mut AnyConnection,
    field: &str,
    id: OrganisationId,
) -> Result<Organisation, StoreError> {
    match query::organisation(&mut *conn, id).await {
        Ok(org) if org.status == OrganisationStatus::Active => Ok(org),
        Ok(_) => Err(StoreError::invalid(field, "names a withdrawn organisation")),
        Err(StoreError::NotFound { .. }) => Err(StoreError::invalid(
            field,
            "names no organisation in the register",
        )),
        Err(e) => Err(e),
    }
}

fn account_event(kind: &'static str, account: &Account) -> EventDraft {
    EventDraft {
        kind,
        subject_type: "account",
        subject_id: account.id.to_string(),
        payload: json!({ "account": account }),
        // A person's name and e-mail are personal data.
        public: Some(json!({ "account": {
            "id": account.id,
            "roles": account.roles,
            "organisation_id": account.organisation_id,
            "status": account.status,
            "revision": account.revision,
        }})),
        replay: None,
    }
}

fn duplicate_email(e: sqlx::Error) -> StoreError {
    if is_unique_violation(&e) {
        StoreError::invalid("email", "is already used by another account")
    } else {
        StoreError::Database(e)
    }
}

async fn write_roles(conn: &mut AnyConnection, account: &Account) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM account_roles WHERE account_id = $1")
        .bind(account.id.to_string())
        .execute(&mut *conn)
        .await?;
    for role in &account.roles {
        sqlx::query("INSERT INTO account_roles (account_id, role) VALUES ($1, $2)")
            .bind(account.id.to_string())
            .bind(role.as_str())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

async fn create_account(
    conn: &mut AnyConnection,
    account: ValidAccount,
    password_hash: Option<String>,
    now: Timestamp,
) -> Result<Step, StoreError> {
    if let Some(org) = account.organisation_id {
        require_organisation(conn, "organisation_id", org).await?;
    }
    let record = Account {
        id: AccountId::generate(),
        email: account.email,
        display_name: account.display_name,
        roles: account.roles,
        organisation_id: account.organisation_id,
        status: AccountStatus::Active,
        revision: 1,
        created_at: now,
        updated_at: now,
    };
    insert_account(conn, &record, password_hash.clone()).await?;
    let mut event = account_event("account.created", &record);
    event.replay = Some(json!({ "password_hash": password_hash }).to_string());
    Ok((Applied::Account(record), Some(event)))
}

async fn insert_account(
    conn: &mut AnyConnection,
    record: &Account,
    password_hash: Option<String>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO accounts (id, email, organisation_id, status, revision, password_hash, data, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(record.id.to_string())
    .bind(record.email.as_str().to_string())
    .bind(record.organisation_id.map(|o| o.to_string()))
    .bind(record.status.as_str())
    .bind(record.revision)
    .bind(password_hash)
    .bind(serde_json::to_string(record)?)
    .bind(record.created_at.to_rfc3339())
    .bind(record.updated_at.to_rfc3339())
    .execute(&mut *conn)
    .await
    .map_err(duplicate_email)?;
    write_roles(conn, record).await
}

async fn store_account(
    conn: &mut AnyConnection,
    record: &Account,
    expected_revision: i64,
    password_hash: Option<String>,
) -> Result<(), StoreError> {
    let result = sqlx::query(
        "UPDATE accounts SET email = $1, organisation_id = $2, status = $3, revision = $4, \
         password_hash = COALESCE($5, password_hash), data = $6, updated_at = $7 \
         WHERE id = $8 AND revision = $9",
    )
    .bind(record.email.as_str().to_string())
    .bind(record.organisation_id.map(|o| o.to_string()))
    .bind(record.status.as_str())
    .bind(record.revision)
    .bind(password_hash)
    .bind(serde_json::to_string(record)?)
    .bind(record.updated_at.to_rfc3339())
    .bind(record.id.to_string())
    .bind(expected_revision)
    .execute(&mut *conn)
    .await
    .map_err(duplicate_email)?;
    if result.rows_affected() != 1 {
        return Err(StoreError::conflict(
            "the account was changed by someone else; reload it and try again",
            "",
        ));
    }
    write_roles(conn, record).await
}

async fn update_account(
    conn: &mut AnyConnection,
    id: AccountId,
    expected_revision: i64,
    account: ValidAccount,
    password_hash: Option<String>,
    now: Timestamp,
) -> Result<Step, StoreError> {
    let current = query::account(&mut *conn, id).await?;
    check_revision("account", expected_revision, current.revision)?;
    refuse_withdrawn(
        current.status == AccountStatus::Withdrawn,
        "the account is withdrawn and cannot be changed",
        current.revision,
    )?;
    if let Some(org) = account.organisation_id {
        require_organisation(conn, "organisation_id", org).await?;
    }
    let record = Account {
        email: account.email,
        display_name: account.display_name,
        roles: account.roles,
        organisation_id: account.organisation_id,
        revision: current.revision + 1,
        updated_at: now,
        ..current
    };
    let password_changed = password_hash.is_some();
    let replay = json!({ "password_hash": password_hash }).to_string();
    store_account(conn, &record, expected_revision, password_hash).await?;
    if password_changed {
        // A new password after a compromise must shut out whoever held the
        // old one: sessions end and API tokens are revoked.
        end_sessions(conn, id).await?;
        revoke_tokens(conn, id, now).await?;
    }
    let mut event = account_event("account.updated", &record);
    event.replay = Some(replay);
    Ok((Applied::Account(record), Some(event)))
}

async fn revoke_tokens(
    conn: &mut AnyConnection,
    id: AccountId,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE api_tokens SET revoked_at = $1 WHERE account_id = $2 AND revoked_at IS NULL",
    )
    .bind(now.to_rfc3339())
    .bind(id.to_string())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn end_sessions(conn: &mut AnyConnection, id: AccountId) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM sessions WHERE account_id = $1")
        .bind(id.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn withdraw_account(
    conn: &mut AnyConnection,
    id: AccountId,
    expected_revision: Option<i64>,
    now: Timestamp,
) -> Result<Step, StoreError> {
    let current = query::account(&mut *conn, id).await?;
    if let Some(expected) = expected_revision {
        check_revision("account", expected, current.revision)?;
    }
    refuse_withdrawn(
        current.status == AccountStatus::Withdrawn,
        "the account is already withdrawn",
        current.revision,
    )?;
    let revision = current.revision;
    let record = Account {
        status: AccountStatus::Withdrawn,
        revision: revision + 1,
        updated_at: now,
        ..current
    };
    store_account(conn, &record, revision, None).await?;
    // A withdrawn account can no longer act: end its sessions, revoke its tokens.
    end_sessions(conn, id).await?;
    revoke_tokens(conn, id, now).await?;
    let event = account_event("account.withdrawn", &record);
    Ok((Applied::Account(record), Some(event)))
}

/// The text a system's words are matched in: its names and its public
/// documentation, lower-cased (what `Store::systems` filters on, and what
/// the server's register summaries keep).
pub fn system_search(version: &SystemVersion) -> String {
    let docs = version.documentation.joined_public(&version.visibility);
    lower_search(&[&version.name.joined(), &docs])
}

fn system_event(
    kind: &'static str,
    system: &System,
    version: Option<&SystemVersion>,
    extra: serde_json::Value,
) -> EventDraft {
    EventDraft {
        kind,
        subject_type: "system",
        subject_id: system.id.to_string(),
        payload: json!({ "system": system, "version": version, "details": extra }),
        public: Some(json!({
            "system": system,
            "version": version.map(|v| v.clone().redacted(Viewer::PUBLIC)),
            "details": extra,
        })),
        replay: None,
    }
}

async fn insert_version(
    conn: &mut AnyConnection,
    version: &SystemVersion,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO system_versions (system_id, version, data, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(version.system_id.to_string())
    .bind(version.version)
    .bind(serde_json::to_string(version)?)
    .bind(version.created_at.to_rfc3339())
    .execute(&mut *conn)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            StoreError::conflict(
                "another version was added at the same moment; reload and try again",
                "",
            )
        } else {
            StoreError::Database(e)
        }
    })?;
    Ok(())
}

async fn write_sectors(conn: &mut AnyConnection, system: &System) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM system_sectors WHERE system_id = $1")
        .bind(system.id.to_string())
        .execute(&mut *conn)
        .await?;
    for sector in &system.sectors {
        sqlx::query("INSERT INTO system_sectors (system_id, sector) VALUES ($1, $2)")
            .bind(system.id.to_string())
            .bind(sector.as_str())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

fn new_version(
    id: SystemId,
    number: i64,
    actor: &Actor,
    version: ValidVersion,
    now: Timestamp,
) -> SystemVersion {
    SystemVersion {
        system_id: id,
        version: number,
        name: version.name,
        holder_organisation_id: version.holder_organisation_id,
        profile: version.profile,
        documentation: version.documentation,
        visibility: version.visibility,
        withheld: Vec::new(),
        change_note: version.change_note,
        datasets: version.datasets,
        created_by: actor.account_id,
        created_at: now,
    }
}

async fn create_system(
    conn: &mut AnyConnection,
    actor: &Actor,
    owner: OrganisationId,
    version: ValidVersion,
    assessment: Option<Assessment>,
    now: Timestamp,
) -> Result<Step, StoreError> {
    require_organisation(conn, "owner_organisation_id", owner).await?;
    if let Some(holder) = version.holder_organisation_id {
        require_organisation(conn, "holder_organisation_id", holder).await?;
    }
    let id = SystemId::generate();
    let version = new_version(id, 1, actor, version, now);
    let system = System {
        id,
        name: version.name.clone(),
        owner_organisation_id: owner,
        holder_organisation_id: version.holder_organisation_id,
        status: SystemStatus::Draft,
        registry_number: None,
        risk_level: assessment.as_ref().map(|a| a.outcome.risk_level),
        sectors: version.profile.sectors.clone(),
        current_version: 1,
        created_at: now,
        updated_at: now,
    };
    insert_system(conn, &system, &version, assessment.as_ref()).await?;
    Ok(classified_step(
        "system.created",
        system,
        version,
        assessment,
    ))
}

/// The result and event of a new classified version (a system's first or a
/// later one); the event keeps the assessment for rebuilds.
fn classified_step(
    kind: &'static str,
    system: System,
    version: SystemVersion,
    assessment: Option<Assessment>,
) -> Step {
    let mut event = system_event(
        kind,
        &system,
        Some(&version),
        json!({ "classification": assessment.as_ref().map(|a| &a.outcome) }),
    );
    event.replay = Some(json!({ "assessment": assessment }).to_string());
    (
        Applied::System {
            system,
            version: Box::new(version),
        },
        Some(event),
    )
}

/// Writes a new system: its row, sectors, first version and classification.
async fn insert_system(
    conn: &mut AnyConnection,
    system: &System,
    version: &SystemVersion,
    assessment: Option<&Assessment>,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO systems (id, owner_organisation_id, holder_organisation_id, status, risk_level, \
         registry_number, current_version, search_text, data, created_at, updated_at, profile, documented) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(system.id.to_string())
    .bind(system.owner_organisation_id.to_string())
    .bind(system.holder_organisation_id.map(|h| h.to_string()))
    .bind(system.status.as_str())
    .bind(system.risk_level.map(|r| r.as_str()))
    .bind(system.registry_number.clone())
    .bind(system.current_version)
    .bind(system_search(version))
    .bind(serde_json::to_string(system)?)
    .bind(system.created_at.to_rfc3339())
    .bind(system.updated_at.to_rfc3339())
    .bind(serde_json::to_string(&version.profile)?)
    .bind(documented(version))
    .execute(&mut *conn)
    .await?;
    write_sectors(conn, system).await?;
    insert_version(conn, version).await?;
    crate::library::link_datasets(conn, version).await?;
    if let Some(a) = assessment {
        record_assessment(conn, system.id, version.version, a, system.updated_at).await?;
    }
    Ok(())
}

/// A new version of a system: its row, the system's row, its classification.
async fn insert_next_version(
    conn: &mut AnyConnection,
    system: &System,
    version: &SystemVersion,
    assessment: Option<&Assessment>,
) -> Result<(), StoreError> {
    insert_version(conn, version).await?;
    store_system(conn, system, version, system.current_version - 1).await?;
    crate::library::link_datasets(conn, version).await?;
    if let Some(a) = assessment {
        record_assessment(conn, system.id, version.version, a, system.updated_at).await?;
    }
    Ok(())
}

pub(crate) async fn store_system(
    conn: &mut AnyConnection,
    system: &System,
    version: &SystemVersion,
    expected_version: i64,
) -> Result<(), StoreError> {
    let result = sqlx::query(
        "UPDATE systems SET holder_organisation_id = $1, status = $2, risk_level = $3, \
         registry_number = $4, current_version = $5, search_text = $6, data = $7, updated_at = $8, \
         profile = $11, documented = $12 \
         WHERE id = $9 AND current_version = $10",
    )
    .bind(system.holder_organisation_id.map(|h| h.to_string()))
    .bind(system.status.as_str())
    .bind(system.risk_level.map(|r| r.as_str()))
    .bind(system.registry_number.clone())
    .bind(system.current_version)
    .bind(system_search(version))
    .bind(serde_json::to_string(system)?)
    .bind(system.updated_at.to_rfc3339())
    .bind(system.id.to_string())
    .bind(expected_version)
    .bind(serde_json::to_string(&version.profile)?)
    .bind(documented(version))
    .execute(&mut *conn)
    .await?;
    if result.rows_affected() != 1 {
        return Err(StoreError::conflict(
            "the system was changed by someone else; reload it and try again",
            "",
        ));
    }
    write_sectors(conn, system).await
}

async fn add_version(
    conn: &mut AnyConnection,
    actor: &Actor,
    id: SystemId,
    expected_version: i64,
    version: ValidVersion,
    assessment: Option<Assessment>,
    now: Timestamp,
) -> Result<Step, StoreError> {
    let current = query::system(&mut *conn, id).await?;
    check_current(
        "system",
        "version",
        expected_version,
        current.current_version,
    )?;
    refuse_withdrawn(
        current.status == SystemStatus::Withdrawn,
        "the system is withdrawn; a withdrawn system cannot get new versions",
        current.current_version,
    )?;
    if matches!(
        current.status,
        SystemStatus::Submitted | SystemStatus::InExpertReview | SystemStatus::Recommended
    ) {
        return Err(StoreError::conflict(
            format!(
                "the system is {}: its documentation is under review and can change only when the reviewers ask for information",
                current.status
            ),
            current.current_version.to_string(),
        ));
    }
    if let Some(holder) = version.holder_organisation_id {
        require_organisation(conn, "holder_organisation_id", holder).await?;
    }
    let number = current.current_version + 1;
    let version = new_version(id, number, actor, version, now);
    let system = System {
        name: version.name.clone(),
        holder_organisation_id: version.holder_organisation_id,
        sectors: version.profile.sectors.clone(),
        current_version: number,
        risk_level: assessment
            .as_ref()
            .map(|a| a.outcome.risk_level)
            .or(current.risk_level),
        updated_at: now,
        ..current
    };
    insert_next_version(conn, &system, &version, assessment.as_ref()).await?;
    Ok(classified_step(
        "system.version_added",
        system,
        version,
        assessment,
    ))
}

async fn withdraw_system(
    conn: &mut AnyConnection,
    id: SystemId,
    expected_version: Option<i64>,
    reason: Option<String>,
    now: Timestamp,
) -> Result<Step, StoreError> {
    let current = query::system(&mut *conn, id).await?;
    if let Some(expected) = expected_version {
        check_current("system", "version", expected, current.current_version)?;
    }
    refuse_withdrawn(
        current.status == SystemStatus::Withdrawn,
        "the system is already withdrawn",
        current.current_version,
    )?;
    if current.status.in_review() {
        return Err(StoreError::conflict(
            format!(
                "the system is {}: withdraw its application first (step `withdraw` on the registration case)",
                current.status
            ),
            current.current_version.to_string(),
        ));
    }
    let version = query::system_version(&mut *conn, id, current.current_version).await?;
    let number = current.current_version;
    let previous_status = current.status;
    let system = System {
        status: SystemStatus::Withdrawn,
        updated_at: now,
        ..current
    };
    store_system(conn, &system, &version, number).await?;
    let event = system_event(
        "system.withdrawn",
        &system,
        None,
        json!({ "reason": reason, "previous_status": previous_status }),
    );
    Ok((
        Applied::System {
            system,
            version: Box::new(version),
        },
        Some(event),
    ))
}

async fn create_token(
    conn: &mut AnyConnection,
    token: NewToken,
    now: Timestamp,
) -> Result<Step, StoreError> {
    let account = query::account(&mut *conn, token.account_id).await?;
    if account.status != AccountStatus::Active {
        return Err(StoreError::invalid(
            "account_id",
            "names a withdrawn account",
        ));
    }
    let info = TokenInfo {
        id: token.id,
        account_id: token.account_id,
        name: token.name,
        scopes: token.scopes,
        created_at: now,
        expires_at: token.expires_at,
        revoked_at: None,
    };
    insert_token(conn, &info, &token.token_hash).await?;
    let event = EventDraft {
        kind: "token.created",
        subject_type: "account",
        subject_id: info.account_id.to_string(),
        payload: json!({ "token": info, "token_hash": token.token_hash }),
        public: Some(public_token(&info)),
        replay: None,
    };
    Ok((Applied::Token(info), Some(event)))
}

async fn insert_token(
    conn: &mut AnyConnection,
    info: &TokenInfo,
    token_hash: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO api_tokens (id, account_id, token_hash, data, expires_at, revoked_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, NULL, $6)",
    )
    .bind(info.id.to_string())
    .bind(info.account_id.to_string())
    .bind(token_hash.to_string())
    .bind(serde_json::to_string(info)?)
    .bind(info.expires_at.to_rfc3339())
    .bind(info.created_at.to_rfc3339())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn store_revoked_token(conn: &mut AnyConnection, info: &TokenInfo) -> Result<(), StoreError> {
    sqlx::query("UPDATE api_tokens SET revoked_at = $1, data = $2 WHERE id = $3")
        .bind(info.revoked_at.map(|t| t.to_rfc3339()))
        .bind(serde_json::to_string(info)?)
        .bind(info.id.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn revoke_token(
    conn: &mut AnyConnection,
    id: TokenId,
    account_id: Option<AccountId>,
    now: Timestamp,
) -> Result<Step, StoreError> {
    let info = query::token(&mut *conn, id).await?;
    if let Some(account) = account_id {
        if info.account_id != account {
            return Err(StoreError::NotFound {
                what: "token",
                id: id.to_string(),
            });
        }
    }
    if info.revoked_at.is_some() {
        return Err(StoreError::conflict("the token is already revoked", ""));
    }
    let info = TokenInfo {
        revoked_at: Some(now),
        ..info
    };
    store_revoked_token(conn, &info).await?;
    let event = EventDraft {
        kind: "token.revoked",
        subject_type: "account",
        subject_id: info.account_id.to_string(),
        payload: json!({ "token": info }),
        public: Some(public_token(&info)),
        replay: None,
    };
    Ok((Applied::Token(info), Some(event)))
}

/// A token as the public log shows it: no name, no hash.
fn public_token(info: &TokenInfo) -> serde_json::Value {
    json!({ "token": {
        "id": info.id,
        "scopes": info.scopes,
        "expires_at": info.expires_at,
        "revoked_at": info.revoked_at,
    }})
}

/// The documentation items a version fills, comma-separated.
fn documented(version: &SystemVersion) -> String {
    version
        .documentation
        .filled_items()
        .iter()
        .map(|i| i.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// A gap report as stored: without citations, which the pack restores on
/// reading (`RulePack::cite_gaps`).
fn compact_gaps(gaps: &[senim_domain::classification::Gap]) -> Result<String, StoreError> {
    let stripped: Vec<_> = gaps
        .iter()
        .map(|g| senim_domain::classification::Gap {
            citations: Vec::new(),
            ..g.clone()
        })
        .collect();
    Ok(serde_json::to_string(&stripped)?)
}

/// Rows written per statement when re-classifying in bulk. Not more: the
/// SQLite driver looks up every parameter's name in a list as long as the
/// statement's parameters, so the cost of a statement grows with the square
/// of its rows (measured: 200 rows a statement spent 16% of a 100,000-system
/// publication in that lookup).
pub(crate) const ROWS_PER_STATEMENT: usize = 32;

/// Appends classifications to the history, many rows per statement. Each
/// system's current classification is its newest row.
async fn insert_classifications(
    conn: &mut AnyConnection,
    rows: &[(SystemId, i64, &Assessment)],
    now: Timestamp,
) -> Result<(), StoreError> {
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let mut insert = String::from(
            "INSERT INTO classifications (system_id, version, pack_id, pack_version, risk_level, outcome, gaps, created_at) VALUES ",
        );
        for i in 0..chunk.len() {
            let b = i * 8;
            if i > 0 {
                insert.push_str(", ");
            }
            let params: Vec<String> = (b + 1..=b + 8).map(|n| format!("${n}")).collect();
            insert.push_str(&format!("({})", params.join(", ")));
        }
        let mut q = sqlx::query(&insert);
        for (system, version, assessment) in chunk {
            q = q
                .bind(system.to_string())
                .bind(*version)
                .bind(assessment.outcome.pack.id.clone())
                .bind(assessment.outcome.pack.version.clone())
                .bind(assessment.outcome.risk_level.as_str())
                .bind(serde_json::to_string(&assessment.outcome)?)
                .bind(compact_gaps(&assessment.gaps)?)
                .bind(now.to_rfc3339());
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Stores a publication's new assessments and moves the risk level of the
/// systems whose level changed.
async fn record_reassessments(
    conn: &mut AnyConnection,
    reassessments: &[Reassessment],
    now: Timestamp,
) -> Result<(), StoreError> {
    let rows: Vec<(SystemId, i64, &Assessment)> = reassessments
        .iter()
        .map(|r| (r.system_id, r.version, &r.assessment))
        .collect();
    insert_classifications(conn, &rows, now).await?;
    // Only systems whose level moved need their row rewritten.
    for r in reassessments {
        let moved = match &r.change {
            Some(c) => c.from_risk_level != c.to_risk_level,
            None => r.previous_risk != Some(r.assessment.outcome.risk_level),
        };
        if moved {
            sqlx::query("UPDATE systems SET risk_level = $1 WHERE id = $2")
                .bind(r.assessment.outcome.risk_level.as_str())
                .bind(r.system_id.to_string())
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(())
}

/// Appends one classification to the history (the system's own insert or
/// update has set its risk level).
async fn record_assessment(
    conn: &mut AnyConnection,
    system: SystemId,
    version: i64,
    assessment: &Assessment,
    now: Timestamp,
) -> Result<(), StoreError> {
    insert_classifications(conn, &[(system, version, assessment)], now).await
}

async fn install_pack(
    conn: &mut AnyConnection,
    pack: PackRef,
    source: String,
    now: Timestamp,
) -> Result<Step, StoreError> {
    let inserted = insert_pack(conn, &pack, &source, now).await?;
    if !inserted {
        return Ok((Applied::Done, None));
    }
    let event = EventDraft {
        kind: "rulepack.installed",
        subject_type: "rulepack",
        subject_id: format!("{}/{}", pack.id, pack.version),
        payload: json!({ "pack": pack, "source_sha256": sha256_hex(&source) }),
        public: None,
        replay: Some(json!({ "source": source }).to_string()),
    };
    Ok((Applied::Done, Some(event)))
}

/// Stores a pack version's text; false when that version is already there.
async fn insert_pack(
    conn: &mut AnyConnection,
    pack: &PackRef,
    source: &str,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let inserted = sqlx::query(
        "INSERT INTO rulepacks (id, version, source, published_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (id, version) DO NOTHING",
    )
    .bind(pack.id.clone())
    .bind(pack.version.clone())
    .bind(source.to_string())
    .bind(now.to_rfc3339())
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

fn sha256_hex(text: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(text.as_bytes()))
}

/// What a publication's event keeps for a rebuild.
#[derive(Serialize)]
struct PublishReplay<'a> {
    source: &'a str,
    report: &'a str,
    reassessments: &'a [Reassessment],
}

async fn insert_publication(
    conn: &mut AnyConnection,
    pack: &PackRef,
    report: &ChangeReport,
    report_json: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO rulepack_publications (pack_id, pack_version, published_at, reclassified, changed, report) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(pack.id.clone())
    .bind(pack.version.clone())
    .bind(now.to_rfc3339())
    .bind(report.reclassified as i64)
    .bind(report.changed.len() as i64)
    .bind(report_json.to_string())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn publish_pack(
    conn: &mut AnyConnection,
    events: &mut Events<'_>,
    pack: PackRef,
    source: String,
    reassessments: Vec<Reassessment>,
    report: ChangeReport,
    cases: Vec<crate::cases::CaseWrite>,
) -> Result<Step, StoreError> {
    let now = events.now;
    let inserted = insert_pack(conn, &pack, &source, now).await?;
    if !inserted {
        return Err(StoreError::Conflict {
            message: format!(
                "version {} of pack {} is already published; a changed pack needs a new version number",
                pack.version, pack.id
            ),
            current: Some(pack.version.clone()),
        });
    }
    // Many rows per statement: a publication may re-classify every system in
    // the register, and one statement per row would spend its time in round
    // trips rather than in the database.
    record_reassessments(conn, &reassessments, now).await?;
    // The `risk_level` column is the truth; readers put it into the record
    // (see query.rs), so the JSON needs no rewrite here.
    for change in &report.changed {
        let draft = EventDraft {
            kind: "system.reclassified",
            subject_type: "system",
            subject_id: change.system_id.to_string(),
            payload: json!({ "pack": pack, "change": change }),
            public: None,
            replay: None,
        };
        append_event(conn, events, draft).await?;
    }
    for write in cases {
        if let (_, Some(draft)) = crate::cases::save_case(conn, write, now).await? {
            append_event(conn, events, draft).await?;
        }
    }
    let report_json = serde_json::to_string(&report)?;
    insert_publication(conn, &pack, &report, &report_json, now).await?;
    let event = EventDraft {
        kind: "rulepack.published",
        subject_type: "rulepack",
        subject_id: format!("{}/{}", pack.id, pack.version),
        payload: json!({
            "pack": pack,
            "source_sha256": sha256_hex(&source),
            "in_force": report.in_force,
            "reclassified": report.reclassified,
            "changed": report.changed.len(),
            "report_sha256": sha256_hex(&report_json),
        }),
        public: None,
        // Serialized straight from the structs: a publication may carry
        // 100,000 re-classifications, too many to build as a JSON tree first.
        replay: Some(serde_json::to_string(&PublishReplay {
            source: &source,
            report: &report_json,
            reassessments: &reassessments,
        })?),
    };
    Ok((Applied::Published(Box::new(report)), Some(event)))
}

/// The query tables, children before parents.
const QUERY_TABLES: [&str; 18] = [
    "system_datasets",
    "notifications",
    "case_assignees",
    "cases",
    "resources",
    "datasets",
    "reviewers",
    "classifications",
    "rulepack_publications",
    "system_versions",
    "system_sectors",
    "systems",
    "sessions",
    "api_tokens",
    "account_roles",
    "accounts",
    "organisations",
    "rulepacks",
];

/// Events read at a time while rebuilding.
const REBUILD_PAGE: i64 = 500;

async fn rebuild(conn: &mut AnyConnection) -> Result<u64, StoreError> {
    for table in QUERY_TABLES {
        sqlx::query(&format!("DELETE FROM {table}"))
            .execute(&mut *conn)
            .await?;
    }
    let mut after = -1i64;
    let mut count = 0u64;
    loop {
        let rows = sqlx::query(
            "SELECT idx, time, kind, payload, replay, entry FROM events WHERE idx > $1 ORDER BY idx LIMIT $2",
        )
        .bind(after)
        .bind(REBUILD_PAGE)
        .fetch_all(&mut *conn)
        .await?;
        if rows.is_empty() {
            return Ok(count);
        }
        for row in &rows {
            let index: i64 = row.try_get("idx")?;
            let kind: String = row.try_get("kind")?;
            let time = Timestamp::parse(&row.try_get::<String, _>("time")?)
                .map_err(|e| StoreError::Corrupt(format!("event {index}: time: {e}")))?;
            let mut payload: serde_json::Value =
                serde_json::from_str(&row.try_get::<String, _>("payload")?)?;
            let replay_text = row.try_get::<Option<String>, _>("replay")?;
            let entry: serde_json::Value =
                serde_json::from_str(&row.try_get::<String, _>("entry")?)?;
            let committed = entry.get("replay_sha256").and_then(|d| d.as_str());
            if replay_text.as_deref().map(sha256_hex).as_deref() != committed {
                return Err(StoreError::Corrupt(format!(
                    "event {index} ({kind}): its replay data does not match its log entry"
                )));
            }
            if let Some(text) = replay_text {
                payload["replay"] = serde_json::from_str(&text)?;
            }
            replay(conn, &kind, time, payload)
                .await
                .map_err(|e| StoreError::Corrupt(format!("event {index} ({kind}): {e}")))?;
            after = index;
            count += 1;
        }
    }
}

fn field<T: serde::de::DeserializeOwned>(
    payload: &serde_json::Value,
    path: &[&str],
) -> Result<T, StoreError> {
    let mut value = payload;
    for key in path {
        value = value.get(key).ok_or_else(|| {
            StoreError::Corrupt(format!(
                "no `{}`: the event was written before rebuilds were possible",
                path.join(".")
            ))
        })?;
    }
    Ok(serde_json::from_value(value.clone())?)
}

/// Applies one event's change to the query tables, with the same writes as
/// the command that made it.
async fn replay(
    conn: &mut AnyConnection,
    kind: &str,
    time: Timestamp,
    payload: serde_json::Value,
) -> Result<(), StoreError> {
    match kind {
        "organisation.created" => {
            let org: Organisation = field(&payload, &["organisation"])?;
            insert_organisation(conn, &org).await
        }
        "organisation.updated" | "organisation.withdrawn" => {
            let org: Organisation = field(&payload, &["organisation"])?;
            store_organisation(conn, &org, org.revision - 1).await
        }
        "account.created" => {
            let account: Account = field(&payload, &["account"])?;
            let hash: Option<String> = field(&payload, &["replay", "password_hash"])?;
            insert_account(conn, &account, hash).await
        }
        "account.updated" => {
            let account: Account = field(&payload, &["account"])?;
            let hash: Option<String> = field(&payload, &["replay", "password_hash"])?;
            let changed = hash.is_some();
            store_account(conn, &account, account.revision - 1, hash).await?;
            if changed {
                end_sessions(conn, account.id).await?;
                revoke_tokens(conn, account.id, time).await?;
            }
            Ok(())
        }
        "account.withdrawn" => {
            let account: Account = field(&payload, &["account"])?;
            store_account(conn, &account, account.revision - 1, None).await?;
            end_sessions(conn, account.id).await?;
            revoke_tokens(conn, account.id, time).await
        }
        "token.created" => {
            let info: TokenInfo = field(&payload, &["token"])?;
            let hash: String = field(&payload, &["token_hash"])?;
            insert_token(conn, &info, &hash).await
        }
        "token.revoked" => {
            let info: TokenInfo = field(&payload, &["token"])?;
            store_revoked_token(conn, &info).await
        }
        "system.created" | "system.version_added" => {
            let system: System = field(&payload, &["system"])?;
            let version: SystemVersion = field(&payload, &["version"])?;
            let assessment: Option<Assessment> = field(&payload, &["replay", "assessment"])?;
            if kind == "system.created" {
                insert_system(conn, &system, &version, assessment.as_ref()).await
            } else {
                insert_next_version(conn, &system, &version, assessment.as_ref()).await
            }
        }
        "system.withdrawn" => {
            let system: System = field(&payload, &["system"])?;
            let version =
                query::system_version(&mut *conn, system.id, system.current_version).await?;
            store_system(conn, &system, &version, system.current_version).await
        }
        "system.reclassified" => Ok(()), // the publication's event carries it
        "system.review_due" => crate::cases::replay_review_due(conn, time, &payload).await,
        "dataset.created" | "dataset.updated" => crate::library::replay(conn, kind, &payload).await,
        "resource.added" => crate::library::replay_resource(conn, &payload).await,
        "resource.downloaded" => Ok(()), // changes no table
        "reviewer.set" => {
            let reviewer: senim_domain::case::ReviewerProfile = field(&payload, &["reviewer"])?;
            crate::cases::write_reviewer(conn, &reviewer).await
        }
        case if crate::cases::is_case_event(case) => {
            crate::cases::replay_case(conn, kind, time, &payload).await
        }
        "rulepack.installed" => {
            let pack: PackRef = field(&payload, &["pack"])?;
            let source: String = field(&payload, &["replay", "source"])?;
            insert_pack(conn, &pack, &source, time).await.map(|_| ())
        }
        "rulepack.published" => {
            let pack: PackRef = field(&payload, &["pack"])?;
            let source: String = field(&payload, &["replay", "source"])?;
            let report_json: String = field(&payload, &["replay", "report"])?;
            let report: ChangeReport = serde_json::from_str(&report_json)?;
            let reassessments: Vec<Reassessment> = field(&payload, &["replay", "reassessments"])?;
            insert_pack(conn, &pack, &source, time).await?;
            record_reassessments(conn, &reassessments, time).await?;
            insert_publication(conn, &pack, &report, &report_json, time).await
        }
        other => Err(StoreError::Corrupt(format!(
            "no rebuild is defined for events of kind `{other}`"
        ))),
    }
}

/// A value of any column, as text, for comparing table contents.
fn cell(row: &sqlx::any::AnyRow, i: usize) -> String {
    if let Ok(v) = row.try_get::<Option<String>, _>(i) {
        return format!("{v:?}");
    }
    if let Ok(v) = row.try_get::<Option<i64>, _>(i) {
        return format!("{v:?}");
    }
    if let Ok(v) = row.try_get::<Option<Vec<u8>>, _>(i) {
        return format!("{:?}", v.map(hex::encode));
    }
    if let Ok(v) = row.try_get::<Option<f64>, _>(i) {
        return format!("{v:?}");
    }
    "?".to_string()
}

/// What every query table holds, one digest per table (sessions left out,
/// and the history tables' own sequence numbers): equal digests, equal
/// contents, whatever order the rows were written in.
pub(crate) async fn fingerprint<'c, E>(
    executor: E,
) -> Result<Vec<(String, u64, String)>, StoreError>
where
    E: sqlx::Executor<'c, Database = sqlx::Any> + Copy,
{
    use sqlx::Column;
    let mut out = Vec::new();
    for table in QUERY_TABLES.iter().filter(|t| **t != "sessions") {
        let rows = sqlx::query(&format!("SELECT * FROM {table}"))
            .fetch_all(executor)
            .await?;
        let mut lines: Vec<String> = rows
            .iter()
            .map(|row| {
                row.columns()
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| c.name() != "seq")
                    .map(|(i, c)| format!("{}={}", c.name(), cell(row, i)))
                    .collect::<Vec<_>>()
                    .join("|")
            })
            .collect();
        lines.sort();
        use sha2::Digest;
        let digest = sha2::Sha256::digest(lines.join("\n").as_bytes());
        out.push((table.to_string(), lines.len() as u64, hex::encode(digest)));
    }
    Ok(out)
}
