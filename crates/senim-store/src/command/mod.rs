//! Commands: every change to the register, and how each is applied.
//!
//! A command arrives already parsed (domain types only), so applying it can
//! fail only for reasons that need the database: a record that does not
//! exist, a stale revision, a duplicate. Each register change appends one
//! event describing it, in the same transaction.
//!
//! This module holds the protocol itself (the [`Command`] and [`Applied`]
//! types and [`apply`], which sends each command to the module of the record
//! it changes) and the machinery every record type shares: events
//! ([`events`]) and the optimistic-concurrency checks ([`revision`]). Each
//! record type's writes, and the replays that repeat them, live in a module
//! of their own.

mod accounts;
mod classifications;
mod events;
mod organisations;
mod rebuild;
mod revision;
mod rulepacks;
mod sessions;
mod systems;
mod tokens;

use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;

use senim_domain::account::ValidAccount;
use senim_domain::classification::{Assessment, ChangeReport, ChangedOutcome, PackRef};
use senim_domain::organisation::ValidOrganisation;
use senim_domain::system::ValidVersion;
use senim_domain::token::{TokenInfo, TokenScope};
use senim_domain::{
    Account, AccountId, Organisation, OrganisationId, Role, System, SystemId, SystemVersion,
    Timestamp, TokenId,
};

use crate::error::StoreError;
use events::append_event;

pub(crate) use accounts::insert_reset;
pub(crate) use classifications::ROWS_PER_STATEMENT;
pub(crate) use events::{EventDraft, Events, Step};
pub(crate) use organisations::require_organisation;
pub(crate) use rebuild::fingerprint;
pub(crate) use revision::check_current;
pub use systems::system_search;
pub(crate) use systems::{private_draft_event, store_system};

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
    /// Pauses the public intake for a system (with the public reason), or
    /// resumes it (`None`).
    SetIntakePause {
        system: SystemId,
        reason: Option<String>,
    },
    /// The organisation named as a system's operator answers.
    AnswerOperator {
        id: SystemId,
        organisation: OrganisationId,
        decision: senim_domain::system::OperatorDecision,
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
    /// Keeps a new authenticator secret for an account, unconfirmed until a
    /// first code is right (issue 21). Sign-ins are not register changes:
    /// this and the next four append no event.
    EnrolSecondFactor {
        account_id: AccountId,
        /// Base32.
        secret: String,
    },
    /// A sign-in whose password was right, waiting for its code.
    ChallengeSignIn {
        token_hash: String,
        account_id: AccountId,
        expires_at: Timestamp,
    },
    /// A code of `step` was right: the step is used (refused if it or a
    /// later one was), the secret confirmed, and the waiting sign-in, if
    /// any, ended.
    PassSecondFactor {
        account_id: AccountId,
        step: i64,
        challenge: Option<String>,
    },
    /// A wrong code: counted against the account (too many in a row hold
    /// its codes back a while) and its waiting sign-in, if any (the fifth
    /// ends it).
    FailSecondFactor {
        account_id: AccountId,
        challenge: Option<String>,
    },
    /// Removes an account's authenticator secret (a lost phone) and ends
    /// its sessions.
    RemoveSecondFactor {
        account_id: AccountId,
    },
    /// A sign-in through an OpenID provider, waiting for its answer under
    /// the hash of its browser's cookie. No event.
    StartSignInFlow {
        cookie_hash: String,
        flow: crate::sign_in::Flow,
        expires_at: Timestamp,
    },
    /// Takes the waiting sign-in's answer, once. No event.
    EndSignInFlow {
        cookie_hash: String,
    },
    /// Keeps the text the EDS sign-in page gave to sign, by its SHA-256.
    /// No event.
    IssueNonce {
        nonce_hash: String,
        expires_at: Timestamp,
    },
    /// Takes a text given to sign, once (refused when taken or expired).
    /// No event.
    TakeNonce {
        nonce_hash: String,
    },
    /// Replaces the latest checkpoint this witness cosigned for `origin`
    /// by `next`, if the one kept is still of size `old` (issue 22); a
    /// conflict naming the size kept otherwise. No event: the witness's
    /// state is not part of the register.
    Witness {
        origin: String,
        old: u64,
        next: crate::witness::Witnessed,
    },
    /// Records a witness's answer about this register's own log: the size
    /// it cosigned or says it last cosigned, its cosignature line of that
    /// checkpoint, or the error asking it (issue 22). No event.
    RecordCosignature {
        witness: String,
        size: u64,
        line: Option<String>,
        error: Option<String>,
    },
    /// Links an identity at a provider to an account. No event.
    LinkIdentity {
        provider: String,
        subject: String,
        account_id: AccountId,
    },
    /// Leaves a link to choose a new password, for the active account with
    /// this address if there is one, and its mail in the outbox. No event:
    /// nothing in the register changes, and the answer is the same whether
    /// an account has the address or not.
    RequestPasswordReset {
        email: String,
        /// The SHA-256 of the link's token (the token is in the mail only).
        token_hash: String,
        expires_at: Timestamp,
        mail: crate::mail::DirectMail,
    },
    /// Keeps a request from the public for an organisation's account and
    /// tells the administrators (no event: the request holds a person's
    /// name and address, and the register does not change until it is
    /// approved).
    RequestOrganisation {
        request: senim_domain::organisation::OrganisationRequest,
        notice: senim_domain::case::Notice,
    },
    /// Approves or refuses a request, once, and mails its person; an
    /// approval (whose organisation and account were made before, by the
    /// logged commands) stores the link to choose the account's password.
    DecideOrganisationRequest {
        id: String,
        approved: bool,
        reasons: Option<String>,
        mail: crate::mail::DirectMail,
        first_password: Option<crate::requests::FirstPassword>,
    },
    /// Saves the registration wizard half-way, for its account only (no
    /// event: a person's working notes, not the register).
    SaveWizard {
        account: AccountId,
        draft: crate::wizards::WizardDraft,
    },
    /// Throws away one of the account's saved wizards.
    DiscardWizard {
        account: AccountId,
        id: String,
    },
    /// Sets the password of the account a live link names (an
    /// `account.updated` event, as an administrator's change), ends its
    /// sessions and tokens, and uses up its links.
    ResetPassword {
        token_hash: String,
        password_hash: String,
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
    /// A support programme run by `organisation`.
    CreateProgramme {
        organisation: OrganisationId,
        programme: senim_domain::programme::ValidProgramme,
    },
    /// A call of a programme; its terms do not change once published.
    PublishCall {
        programme: senim_domain::ProgrammeId,
        call: Box<senim_domain::programme::ValidCall>,
    },
    /// A resource the Platform offers, provided by its organisation.
    CreatePlatformResource(Box<senim_domain::allocation::PlatformResource>),
    /// A course of an education programme.
    CreateCourse(Box<senim_domain::education::Course>),
    /// The sectors whose expert reviewers must hold a course's certificate
    /// (none: the course is no condition of the pool).
    SetCourseReviewerSectors {
        course: senim_domain::CourseId,
        sectors: Vec<senim_domain::profile::Sector>,
    },
    /// Flags a registered system whose annual risk review is overdue.
    FlagReviewDue(crate::cases::ReviewDue),
    /// Puts notices that are no fact of the register in their inboxes (a
    /// warning to an account's owner of repeated sign-in failures): no log
    /// entry, so a rebuild does not bring them back.
    Notify {
        notices: Vec<senim_domain::case::Notice>,
        kind: String,
    },
    /// Leases up to `limit` due mails of the outbox to the caller's mail
    /// worker for `lease_seconds` (no log entry: mail is no fact of the register).
    ClaimMail {
        limit: u32,
        lease_seconds: i64,
    },
    /// What became of a claimed mail.
    ReportMail {
        id: String,
        outcome: crate::mail::MailOutcome,
    },
    /// Makes a dead letter (or every one, with `None`) due again.
    RetryMail {
        id: Option<String>,
    },
    /// Empties the outbox of what waits (no relay is configured).
    DiscardMail,
    /// Puts a reviewer in the pool or changes their competences.
    SetReviewer(senim_domain::case::ReviewerProfile),
    /// Empties every query table and fills it again from the events, in log
    /// order (`senim admin rebuild`). Sessions are not events: everyone
    /// signs in again.
    Rebuild,
    /// Replaces the key that signs the audit log (`crate::rotation`): the
    /// last command of its batch, whose checkpoint both keys sign.
    RotateLogKey(Box<crate::rotation::KeyRotation>),
    /// Records a rollback the operator accepted on open ([`crate::rollback`]).
    RecordRollback(Box<crate::rollback::Rollback>),
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
    Programme(Box<senim_domain::programme::Programme>),
    Call(Box<senim_domain::programme::Call>),
    PlatformResource(Box<senim_domain::allocation::PlatformResource>),
    Course(Box<senim_domain::education::Course>),
    Resource(Box<senim_domain::Resource>),
    /// The query tables were rebuilt from this many events.
    Rebuilt(u64),
    /// Mails claimed from the outbox.
    Mail(Vec<crate::mail::OutgoingMail>),
    /// How many rows a maintenance command touched.
    Counted(u64),
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

/// Applies one command inside the writer's open transaction; also returns
/// the log index of the event that records it, if it changed the register.
pub(crate) async fn apply(
    conn: &mut AnyConnection,
    events: &mut Events<'_>,
    command: Command,
) -> Result<(Applied, Option<u64>), StoreError> {
    let (actor, now) = (events.actor, events.now);
    let (applied, event) = match command {
        Command::CreateOrganisation(org) => {
            organisations::create_organisation(conn, org, now).await?
        }
        Command::UpdateOrganisation {
            id,
            expected_revision,
            organisation,
        } => {
            organisations::update_organisation(conn, id, expected_revision, organisation, now)
                .await?
        }
        Command::WithdrawOrganisation {
            id,
            expected_revision,
            reason,
        } => organisations::withdraw_organisation(conn, id, expected_revision, reason, now).await?,
        Command::CreateAccount {
            account,
            password_hash,
        } => accounts::create_account(conn, account, password_hash, now).await?,
        Command::UpdateAccount {
            id,
            expected_revision,
            account,
            password_hash,
        } => {
            accounts::update_account(conn, id, expected_revision, account, password_hash, now)
                .await?
        }
        Command::WithdrawAccount {
            id,
            expected_revision,
        } => accounts::withdraw_account(conn, id, expected_revision, now).await?,
        Command::CreateSystem {
            owner,
            version,
            assessment,
        } => systems::create_system(conn, actor, owner, version, assessment, now).await?,
        Command::AddVersion {
            id,
            expected_version,
            version,
            assessment,
        } => {
            systems::add_version(conn, actor, id, expected_version, version, assessment, now)
                .await?
        }
        Command::InstallRulePack { pack, source } => {
            rulepacks::install_pack(conn, pack, source, now).await?
        }
        Command::PublishRulePack {
            pack,
            source,
            reassessments,
            report,
            cases,
        } => {
            rulepacks::publish_pack(conn, events, pack, source, reassessments, report, cases)
                .await?
        }
        Command::WithdrawSystem {
            id,
            expected_version,
            reason,
        } => systems::withdraw_system(conn, id, expected_version, reason, now).await?,
        Command::AnswerOperator {
            id,
            organisation,
            decision,
        } => crate::operators::answer(conn, id, organisation, decision, now).await?,
        Command::SetIntakePause { system, reason } => {
            crate::intake::set(conn, system, reason, now).await?
        }
        Command::CreateToken(token) => tokens::create_token(conn, token, now).await?,
        Command::RevokeToken { id, account_id } => {
            tokens::revoke_token(conn, id, account_id, now).await?
        }
        Command::RequestPasswordReset {
            email,
            token_hash,
            expires_at,
            mail,
        } => {
            accounts::request_reset(conn, &email, token_hash, expires_at, &mail, now).await?;
            (Applied::Done, None)
        }
        Command::SaveWizard { account, draft } => {
            crate::wizards::save(conn, account, draft).await?
        }
        Command::DiscardWizard { account, id } => {
            crate::wizards::discard(conn, account, id).await?
        }
        Command::RequestOrganisation { request, notice } => {
            crate::requests::request(conn, request, notice, now).await?
        }
        Command::DecideOrganisationRequest {
            id,
            approved,
            reasons,
            mail,
            first_password,
        } => {
            crate::requests::decide(conn, id, approved, reasons, mail, first_password, now).await?
        }
        Command::ResetPassword {
            token_hash,
            password_hash,
        } => accounts::reset_password(conn, token_hash, password_hash, now).await?,
        Command::CreateSession {
            token_hash,
            account_id,
            csrf_token,
            expires_at,
        } => {
            sessions::create_session(conn, token_hash, account_id, csrf_token, expires_at, now)
                .await?;
            // Sessions are sign-ins, not changes to the register: no event.
            (Applied::Done, None)
        }
        Command::SaveCase(write) => crate::cases::save_case(conn, *write, now).await?,
        Command::SetReviewer(reviewer) => crate::cases::set_reviewer(conn, reviewer).await?,
        Command::ClaimMail {
            limit,
            lease_seconds,
        } => crate::mail::claim(conn, limit, lease_seconds, now).await?,
        Command::ReportMail { id, outcome } => crate::mail::report(conn, id, outcome, now).await?,
        Command::RetryMail { id } => crate::mail::retry(conn, id, now).await?,
        Command::DiscardMail => crate::mail::discard(conn).await?,
        Command::FlagReviewDue(due) => crate::cases::flag_review_due(conn, due, now).await?,
        Command::Notify { notices, kind } => {
            crate::cases::notify(conn, notices, &kind, now).await?
        }
        Command::AddResource(resource) => crate::library::add_resource(conn, *resource).await?,
        Command::RecordDownload {
            resource,
            downloader,
            grant,
        } => crate::library::record_download(&resource, downloader, grant)?,
        Command::CreateDataset { owner, metadata } => {
            crate::library::create(conn, owner, metadata, now).await?
        }
        Command::UpdateDataset {
            id,
            expected_revision,
            metadata,
        } => crate::library::update(conn, id, expected_revision, metadata, now).await?,
        Command::CreateProgramme {
            organisation,
            programme,
        } => crate::programmes::create_programme(conn, organisation, programme, now).await?,
        Command::PublishCall { programme, call } => {
            crate::programmes::publish_call(conn, programme, *call, now).await?
        }
        Command::CreatePlatformResource(resource) => {
            crate::allocations::create_resource(conn, *resource).await?
        }
        Command::CreateCourse(course) => crate::education::create_course(conn, *course).await?,
        Command::SetCourseReviewerSectors { course, sectors } => {
            crate::education::set_reviewer_sectors(conn, course, sectors).await?
        }
        Command::Rebuild => (Applied::Rebuilt(rebuild::rebuild(conn).await?), None),
        Command::RotateLogKey(rotation) => crate::rotation::rotate(conn, events, *rotation).await?,
        Command::RecordRollback(rollback) => crate::rollback::record(events, *rollback)?,
        Command::DeleteSession { token_hash } => {
            sessions::delete_session(conn, token_hash).await?;
            (Applied::Done, None)
        }
        Command::EnrolSecondFactor { account_id, secret } => {
            crate::sign_in::enrol(conn, account_id, secret, now).await?;
            (Applied::Done, None)
        }
        Command::ChallengeSignIn {
            token_hash,
            account_id,
            expires_at,
        } => {
            crate::sign_in::challenge(conn, token_hash, account_id, expires_at, now).await?;
            (Applied::Done, None)
        }
        Command::PassSecondFactor {
            account_id,
            step,
            challenge,
        } => {
            crate::sign_in::pass(conn, account_id, step, now).await?;
            if let Some(token_hash) = challenge {
                crate::sign_in::end_challenge(conn, token_hash, now).await?;
            }
            (Applied::Done, None)
        }
        Command::FailSecondFactor {
            account_id,
            challenge,
        } => {
            crate::sign_in::fail(conn, account_id, challenge, now).await?;
            (Applied::Done, None)
        }
        Command::StartSignInFlow {
            cookie_hash,
            flow,
            expires_at,
        } => {
            crate::sign_in::start_flow(conn, cookie_hash, flow, expires_at, now).await?;
            (Applied::Done, None)
        }
        Command::EndSignInFlow { cookie_hash } => {
            crate::sign_in::end_flow(conn, cookie_hash, now).await?;
            (Applied::Done, None)
        }
        Command::IssueNonce {
            nonce_hash,
            expires_at,
        } => {
            crate::sign_in::issue_nonce(conn, nonce_hash, expires_at, now).await?;
            (Applied::Done, None)
        }
        Command::TakeNonce { nonce_hash } => {
            crate::sign_in::take_nonce(conn, nonce_hash, now).await?;
            (Applied::Done, None)
        }
        Command::Witness { origin, old, next } => {
            crate::witness::advance(conn, origin, old, next, now).await?;
            (Applied::Done, None)
        }
        Command::RecordCosignature {
            witness,
            size,
            line,
            error,
        } => {
            crate::witness::record_cosignature(conn, witness, size, line, error, now).await?;
            (Applied::Done, None)
        }
        Command::LinkIdentity {
            provider,
            subject,
            account_id,
        } => {
            crate::sign_in::link(conn, provider, subject, account_id, now).await?;
            (Applied::Done, None)
        }
        Command::RemoveSecondFactor { account_id } => {
            crate::sign_in::remove(conn, account_id).await?;
            // A lost phone may be in someone's hands: the account's
            // browser sessions end with it.
            sessions::end_sessions(conn, account_id).await?;
            (Applied::Done, None)
        }
    };
    let index = match event {
        Some(event) => Some(append_event(conn, events, event).await?),
        None => None,
    };
    Ok((applied, index))
}

/// Replaces the rows of a one-to-many table (an account's roles, a system's
/// sectors) that belong to one record: `owner` is its key column and value.
async fn replace_set(
    conn: &mut AnyConnection,
    table: &str,
    owner: (&str, &str),
    value_column: &str,
    values: &[&str],
) -> Result<(), StoreError> {
    let (owner_column, owner_id) = owner;
    sqlx::query(&format!("DELETE FROM {table} WHERE {owner_column} = $1"))
        .bind(owner_id.to_string())
        .execute(&mut *conn)
        .await?;
    let insert = format!("INSERT INTO {table} ({owner_column}, {value_column}) VALUES ($1, $2)");
    for value in values {
        sqlx::query(&insert)
            .bind(owner_id.to_string())
            .bind(value.to_string())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// The lower-cased text a record is searched by.
fn lower_search(parts: &[&str]) -> String {
    parts.join(" ").to_lowercase()
}
