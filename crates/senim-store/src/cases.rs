//! Cases, the reviewer pool and inboxes: their writes, replays and reads.
//!
//! A case step arrives decided (the domain's pure step functions worked out
//! the case after it); the store only checks that nobody changed the case or
//! the system since they were read, numbers what needs a number, and writes
//! the case, its assignees, the system's new status and the notices in one
//! transaction with the event.

use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::{AnyConnection, Row};

use senim_domain::case::{Candidate, Notice, Notification, Recipient, ReviewerProfile};
use senim_domain::profile::Sector;
use senim_domain::{
    Account, AccountId, Case, CaseId, CaseKind, CourseId, SystemId, SystemStatus, Timestamp, Viewer,
};

use crate::command::{store_system, Applied, EventDraft, Step};
use crate::error::StoreError;
use crate::logged::{CaseStepped, ReviewFlagged, ReviewerSet};
use crate::query::{self, Page};
use crate::record::{self, Recorded};
use crate::rows::{data, Sql};
use crate::Store;

/// A case after a step, to be written if nothing changed meanwhile.
#[derive(Debug, Clone)]
pub struct CaseWrite {
    pub case: Case,
    /// The revision the step was decided on; `None` for a new case.
    pub expected_revision: Option<i64>,
    /// The event's kind, e.g. `registration.recommended`.
    pub event: &'static str,
    /// The step as the caller sent it (recorded in the event).
    pub step: serde_json::Value,
    /// The system's status the step was decided on, and its new status.
    pub system_status: Option<(SystemStatus, SystemStatus)>,
    /// The system's current version the step was decided on (checked with
    /// the status: an answer must not point at a version replaced meanwhile).
    pub system_version: Option<i64>,
    /// Give the system the next registry number (`KZ-AI-<year>-<nnnnnn>`).
    pub assign_registry_number: bool,
    pub notices: Vec<Notice>,
    /// A new case the step opens (an investigation escalated from a report).
    pub opened: Option<Case>,
    /// A mail to a person the step answers outside any account (a report's
    /// tracking code to the address its reporter gave): written to the
    /// outbox with the case, never to the log; its `number` argument and
    /// reference are the case's number, given as the case is written.
    pub mail: Option<(String, crate::mail::DirectMail)>,
}

/// A notice as written, with the id it keeps through a rebuild.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct StoredNotice {
    pub(crate) id: String,
    #[serde(flatten)]
    pub(crate) notice: Notice,
}

impl StoredNotice {
    pub(crate) fn new(notice: Notice) -> StoredNotice {
        StoredNotice {
            id: uuid::Uuid::now_v7().to_string(),
            notice,
        }
    }
}

/// The next `<prefix>-<year>-<nnnnnn>` (the writer holds the write lock,
/// so two batches never take the same one): one row of `number_counters`,
/// filled on its stem's first use from the highest number stored.
pub(crate) async fn next_number(
    conn: &mut AnyConnection,
    table: &str,
    column: &str,
    prefix: &str,
    year: i32,
) -> Result<String, StoreError> {
    let stem = format!("{prefix}-{year}-");
    let counted =
        sqlx::query("UPDATE number_counters SET last = last + 1 WHERE stem = $1 RETURNING last")
            .bind(stem.clone())
            .fetch_optional(&mut *conn)
            .await?;
    let n = match counted {
        Some(row) => row.try_get::<i64, _>("last")?,
        None => {
            let last: Option<String> = sqlx::query(&format!(
                "SELECT {column} AS n FROM {table} WHERE {column} LIKE $1 ORDER BY {column} DESC LIMIT 1"
            ))
            .bind(format!("{stem}%"))
            .fetch_optional(&mut *conn)
            .await?
            .map(|row| row.try_get("n"))
            .transpose()?;
            let n = last
                .and_then(|l| l.strip_prefix(&stem).and_then(|d| d.parse::<i64>().ok()))
                .unwrap_or(0)
                + 1;
            sqlx::query("INSERT INTO number_counters (stem, last) VALUES ($1, $2)")
                .bind(stem.clone())
                .bind(n)
                .execute(&mut *conn)
                .await?;
            n
        }
    };
    Ok(format!("{stem}{n:06}"))
}

/// Applies [`crate::Command::SaveCase`].
pub(crate) async fn save_case(
    conn: &mut AnyConnection,
    write: CaseWrite,
    now: Timestamp,
) -> Result<Step, StoreError> {
    let CaseWrite {
        mut case,
        expected_revision,
        event,
        step,
        system_status,
        system_version,
        assign_registry_number,
        notices,
        opened,
        mail,
    } = write;
    let year = senim_domain::Day::of(now).year();
    match expected_revision {
        Some(expected) => {
            let row = sqlx::query("SELECT revision, state FROM cases WHERE id = $1")
                .bind(case.id.to_string())
                .fetch_optional(&mut *conn)
                .await?
                .ok_or_else(|| StoreError::NotFound {
                    what: "case",
                    id: case.id.to_string(),
                })?;
            let (revision, state): (i64, String) = (row.try_get(0)?, row.try_get(1)?);
            if revision != expected {
                return Err(StoreError::conflict(
                    format!(
                        "the case is at revision {revision} (state {state}), not {expected}: someone acted on it since you read it; reload and try again"
                    ),
                    revision.to_string(),
                ));
            }
        }
        None => {
            case.number =
                next_number(conn, "cases", "number", case.kind().number_prefix(), year).await?;
        }
    }
    let system = match (system_status, case.system_id) {
        (Some((expected, status)), Some(id)) => {
            let mut system = query::system(&mut *conn, id).await?;
            if let Some(version) = system_version.filter(|v| *v != system.current_version) {
                return Err(StoreError::conflict(
                    format!(
                        "the system has version {} now, not {version}: it changed since you read it; reload and try again",
                        system.current_version
                    ),
                    system.current_version.to_string(),
                ));
            }
            if system.status != expected {
                return Err(StoreError::conflict(
                    format!(
                        "the system is {}, not {expected}: it changed since you read it; reload and try again",
                        system.status
                    ),
                    system.status.as_str(),
                ));
            }
            system.move_to(status, now);
            system.updated_at = now;
            if assign_registry_number && system.registry_number.is_none() {
                system.registry_number =
                    Some(next_number(conn, "systems", "registry_number", "KZ-AI", year).await?);
            }
            Some(system)
        }
        _ => None,
    };
    let stored: Vec<StoredNotice> = notices.into_iter().map(StoredNotice::new).collect();
    write_case(conn, &case, expected_revision.is_none()).await?;
    let opened = match opened {
        Some(mut other) => {
            other.number =
                next_number(conn, "cases", "number", other.kind().number_prefix(), year).await?;
            write_case(conn, &other, true).await?;
            Some(other)
        }
        None => None,
    };
    // A system this step makes public for the first time (its submission)
    // shows its version in the log: the draft's entries held it as digests.
    let mut published = None;
    if let Some(system) = &system {
        let version = query::system_version(&mut *conn, system.id, system.current_version).await?;
        store_system(conn, system, &version, system.current_version).await?;
        if system.public_since == Some(now) {
            published = Some(version);
        }
    }
    write_notices(conn, &stored, Some(case.id), case.system_id, event, now).await?;
    crate::mail::queue(conn, &stored, now).await?;
    if let Some((address, mut mail)) = mail {
        // The case's number is known only now.
        mail.args.insert("number".into(), case.number.clone());
        mail.reference = Some(case.number.clone());
        crate::mail::queue_direct(conn, &address, &mail, now).await?;
    }
    // The private part travels beside the case, so the log holds only its digest.
    let mut logged = case.clone();
    let private = logged.private.take();
    let public = CaseStepped::<StoredNotice> {
        case: public_case(&case),
        private: None,
        opened: opened.as_ref().map(public_case),
        system: system.as_ref().map(Recorded::to_record),
        // A signed decision shows its signature's and document's digests.
        step: match step.get("signature") {
            Some(signature) => json!({ "action": step.get("action"), "signature": signature }),
            None => json!({ "action": step.get("action") }),
        },
        // Notices name the accounts they reach (a requester, a reviewer):
        // inbox plumbing, not part of the public record.
        notices: None,
        version: published
            .clone()
            .map(|v| v.redacted(senim_domain::Viewer::PUBLIC).to_record()),
    };
    let payload = CaseStepped {
        case: logged,
        private,
        opened,
        system: system.as_ref().map(Recorded::to_record),
        step,
        notices: Some(stored),
        version: published.as_ref().map(Recorded::to_record),
    };
    let draft = EventDraft::logged(event, "case", case.id.to_string(), &payload)?.shown(&public)?;
    let applied = Applied::Case {
        case: Box::new(case.clone()),
        system: system.map(Box::new),
    };
    Ok((applied, Some(draft)))
}

/// What anyone may read of a case, and what its log entry shows (the log
/// keeps a salted digest of the whole case beside it).
///
/// A registration dossier and a published decision are public records: all
/// of them but the developer's answers and descriptions of documents
/// (their files show as names and digests), the reviewers' declaration
/// statements and checklist notes. A report, an audit, a trusted-list
/// application and an undecided investigation show only that the case
/// exists and where it stands (a report not even which system it names).
pub fn public_case(case: &Case) -> Case {
    let mut case = case.clone();
    case.private = None;
    let record = case.kind() == CaseKind::Registration
        || (matches!(
            case.kind(),
            CaseKind::Investigation
                | CaseKind::Application
                | CaseKind::Allocation
                | CaseKind::Sandbox
        ) && case.published());
    if !record {
        if matches!(
            case.kind(),
            CaseKind::Report | CaseKind::DataAccess | CaseKind::Application | CaseKind::Allocation
        ) {
            case.system_id = None;
            case.organisation_id = None;
            case.holder_organisation_id = None;
        }
        case.assignees = Vec::new();
        case.links = Vec::new();
        case.signatures = Vec::new();
        case.body.clear();
        return case;
    }
    blank_statements(&mut case);
    if let Some(app) = case.application_mut() {
        // An award shows who, what, how much and for what; the answers,
        // the reviews and who drafted it stay with the parties.
        app.answers = Vec::new();
        app.reviews = Vec::new();
        app.conflicts = Vec::new();
        app.applicant = AccountId(uuid::Uuid::nil());
        for a in &mut app.assessments {
            a.note = None;
        }
        // A report's text and outputs are the award's public results; who
        // reviewed it is not.
        for report in &mut app.reports {
            if let Some(review) = report.review.as_mut() {
                review.by = AccountId(uuid::Uuid::nil());
            }
        }
        case.assignees = Vec::new();
    }
    if let Some(alloc) = case.allocation_mut() {
        // What an award bought and how much was used is public; how to reach
        // it, who asked, and the library grants it opened stay private.
        alloc.awardee = AccountId(uuid::Uuid::nil());
        alloc.instructions = None;
        alloc.grants = Vec::new();
        for u in &mut alloc.usage {
            u.note = None;
        }
        if let Some(e) = alloc.extension.as_mut() {
            e.reasons = String::new();
        }
        for e in &mut alloc.extensions {
            e.reasons = String::new();
        }
    }
    if let Some(sandbox) = case.sandbox_mut() {
        // The plan, the dates and the exit report's summary and outcome are
        // public; the supervisors' notes, the findings, the reasons and who
        // applied stay with the parties.
        sandbox.participant = AccountId(uuid::Uuid::nil());
        sandbox.notes = Vec::new();
        sandbox.reasons = None;
        if let Some(r) = sandbox.exit_report.as_mut() {
            r.findings = String::new();
            r.returned = None;
        }
    }
    if let Some(inv) = case.investigation_mut() {
        // A published decision shows the violation, the sanction and the
        // appeal's outcome; why the investigation was opened, and the
        // owner's grounds of appeal, stay with the parties.
        inv.reasons = String::new();
        inv.closed_reasons = None;
        if let Some(appeal) = inv.appeal.as_mut() {
            appeal.grounds = String::new();
        }
    }
    if let Some(reg) = case.registration_mut() {
        for request in &mut reg.information_requests {
            if let Some(answer) = request.answer.as_mut() {
                answer.text = String::new();
            }
        }
        for documents in &mut reg.documents {
            documents.description = String::new();
        }
        for review in &mut reg.reviews {
            for mark in &mut review.marks {
                mark.note = None;
            }
        }
    }
    case
}

/// Reviewers' conflict statements (often about the owner) are for the
/// authority; an applicant reads the reviews' marks and reasons, not who
/// wrote them.
fn blank_statements(case: &mut Case) {
    if let Some(app) = case.application_mut() {
        for review in &mut app.reviews {
            review.reviewer = AccountId(uuid::Uuid::nil());
            if let Some(d) = review.declaration.as_mut() {
                d.statement = None;
            }
        }
        app.conflicts = Vec::new();
        case.assignees = Vec::new();
    }
    if let Some(reg) = case.registration_mut() {
        for review in &mut reg.reviews {
            if let Some(d) = review.declaration.as_mut() {
                d.statement = None;
            }
        }
    }
}

/// The case as `viewer` may see it: all of it for the authority; for the
/// owner and holder all but the private part and the reviewers' statements;
/// the public part for everyone else.
pub fn case_for(mut case: Case, viewer: Viewer) -> Case {
    if viewer.authority {
        case
    } else if viewer.owner {
        case.private = None;
        blank_statements(&mut case);
        case
    } else {
        public_case(&case)
    }
}

async fn write_case(conn: &mut AnyConnection, case: &Case, new: bool) -> Result<(), StoreError> {
    let data = record::json(case)?;
    let due = case.due().map(|d| d.to_string()).filter(|_| case.open);
    let open = i64::from(case.open);
    let tracking = case.private.as_ref().and_then(|p| p.tracking_hash.clone());
    let insert = sqlx::query(
        "INSERT INTO cases (id, kind, number, state, is_open, system_id, organisation_id, revision, \
         due_date, data, created_at, updated_at, tracking_hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    );
    let update = sqlx::query(
        "UPDATE cases SET kind = $2, number = $3, state = $4, is_open = $5, system_id = $6, \
         organisation_id = $7, revision = $8, due_date = $9, data = $10, created_at = $11, \
         updated_at = $12, tracking_hash = $13 WHERE id = $1",
    );
    let result = if new { insert } else { update }
        .bind(case.id.to_string())
        .bind(case.kind().as_str())
        .bind(case.number.clone())
        .bind(case.state())
        .bind(open)
        .bind(case.system_id.map(|s| s.to_string()))
        .bind(case.organisation_id.map(|o| o.to_string()))
        .bind(case.revision)
        .bind(due)
        .bind(data)
        .bind(case.created_at.to_rfc3339())
        .bind(case.updated_at.to_rfc3339())
        .bind(tracking)
        .execute(&mut *conn)
        .await;
    match result {
        Err(e) if crate::error::is_unique_violation(&e) => {
            let message = match case.kind() {
                CaseKind::TrustedList => "the system already has an open trusted-list application",
                CaseKind::Registration => "the system already has an application in review",
                _ => "a case with this number or tracking code already exists",
            };
            return Err(StoreError::conflict(message, case.state().to_string()));
        }
        other => other?,
    };
    crate::programmes::index_application(conn, case).await?;
    crate::allocations::index_allocation(conn, case).await?;
    crate::education::index_enrolment(conn, case).await?;
    write_assignees(conn, case, open).await
}

/// Brings the case's rows of `case_assignees` to its assignees, touching
/// only the rows that change: most steps leave them as they were, and on
/// PostgreSQL every row deleted and written again is a dead version that
/// the reviewer pool's load count wades through until vacuum.
async fn write_assignees(
    conn: &mut AnyConnection,
    case: &Case,
    open: i64,
) -> Result<(), StoreError> {
    let id = case.id.to_string();
    let rows = sqlx::query("SELECT account_id, is_open FROM case_assignees WHERE case_id = $1")
        .bind(&id)
        .fetch_all(&mut *conn)
        .await?;
    let mut stored = std::collections::BTreeMap::new();
    for row in &rows {
        stored.insert(
            row.try_get::<String, _>("account_id")?,
            row.try_get::<i64, _>("is_open")?,
        );
    }
    let wanted: std::collections::BTreeSet<String> =
        case.assignees.iter().map(ToString::to_string).collect();
    for (account, was_open) in &stored {
        if !wanted.contains(account) {
            sqlx::query("DELETE FROM case_assignees WHERE case_id = $1 AND account_id = $2")
                .bind(&id)
                .bind(account)
                .execute(&mut *conn)
                .await?;
        } else if *was_open != open {
            sqlx::query(
                "UPDATE case_assignees SET is_open = $3 WHERE case_id = $1 AND account_id = $2",
            )
            .bind(&id)
            .bind(account)
            .bind(open)
            .execute(&mut *conn)
            .await?;
        }
    }
    for account in wanted.iter().filter(|a| !stored.contains_key(*a)) {
        sqlx::query(
            "INSERT INTO case_assignees (case_id, account_id, is_open) VALUES ($1, $2, $3)",
        )
        .bind(&id)
        .bind(account)
        .bind(open)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// A notice's message id and arguments, as the `message` column keeps them.
#[derive(Default, Serialize, Deserialize)]
struct StoredMessage {
    #[serde(default)]
    key: String,
    #[serde(default)]
    args: std::collections::BTreeMap<String, String>,
}

fn message_json(notice: &Notice) -> Result<Option<String>, StoreError> {
    if notice.key.is_empty() {
        return Ok(None);
    }
    Ok(Some(serde_json::to_string(&StoredMessage {
        key: notice.key.clone(),
        args: notice.args.clone(),
    })?))
}

pub(crate) async fn write_notices(
    conn: &mut AnyConnection,
    notices: &[StoredNotice],
    case: Option<CaseId>,
    system: Option<SystemId>,
    kind: &str,
    now: Timestamp,
) -> Result<(), StoreError> {
    for n in notices {
        sqlx::query(
            "INSERT INTO notifications (id, recipient, case_id, system_id, kind, text, message, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(n.id.clone())
        .bind(n.notice.recipient.key())
        .bind(case.map(|c| c.to_string()))
        .bind(system.map(|s| s.to_string()))
        .bind(kind.to_string())
        .bind(n.notice.text.clone())
        .bind(message_json(&n.notice)?)
        .bind(now.to_rfc3339())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Replays a case event: the case, the system and the notices it wrote.
pub(crate) async fn replay_case(
    conn: &mut AnyConnection,
    kind: &str,
    time: Timestamp,
    payload: &serde_json::Value,
) -> Result<(), StoreError> {
    let stepped: CaseStepped<StoredNotice> = serde_json::from_value(payload.clone())?;
    let mut case = stepped.case;
    case.private = stepped.private;
    if let Some(opened) = stepped.opened {
        write_case(conn, &opened, true).await?;
    }
    let exists = sqlx::query("SELECT 1 FROM cases WHERE id = $1")
        .bind(case.id.to_string())
        .fetch_optional(&mut *conn)
        .await?
        .is_some();
    write_case(conn, &case, !exists).await?;
    if let Some(system) = stepped.system {
        let system = senim_domain::System::from(system);
        let version = query::system_version(&mut *conn, system.id, system.current_version).await?;
        store_system(conn, &system, &version, system.current_version).await?;
    }
    let notices = stepped.notices.unwrap_or_default();
    write_notices(conn, &notices, Some(case.id), case.system_id, kind, time).await
}

/// A registered system whose owner has not reviewed its risks for a year.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReviewDue {
    pub system_id: SystemId,
    pub owner: senim_domain::OrganisationId,
    /// When the current version (the last risk review) was made.
    pub last_review: Timestamp,
}

/// Applies [`crate::Command::Notify`].
pub(crate) async fn notify(
    conn: &mut AnyConnection,
    notices: Vec<Notice>,
    kind: &str,
    now: Timestamp,
) -> Result<Step, StoreError> {
    let stored: Vec<StoredNotice> = notices.into_iter().map(StoredNotice::new).collect();
    write_notices(conn, &stored, None, None, kind, now).await?;
    crate::mail::queue(conn, &stored, now).await?;
    Ok((Applied::Done, None))
}

/// Applies [`crate::Command::FlagReviewDue`]: a notice to each owner and to
/// the supervisors, once per version that has gone a year unreviewed.
pub(crate) async fn flag_review_due(
    conn: &mut AnyConnection,
    due: ReviewDue,
    now: Timestamp,
) -> Result<Step, StoreError> {
    // Another server may have flagged it since the sweep read the list.
    let flagged = sqlx::query(
        "SELECT 1 FROM notifications WHERE system_id = $1 AND kind = 'system.review_due' AND created_at > $2",
    )
    .bind(due.system_id.to_string())
    .bind(due.last_review.to_rfc3339())
    .fetch_optional(&mut *conn)
    .await?
    .is_some();
    if flagged {
        return Ok((Applied::Done, None));
    }
    let notices: Vec<StoredNotice> =
        senim_domain::registration::review_due_notices(due.owner, due.last_review)
            .into_iter()
            .map(StoredNotice::new)
            .collect();
    write_notices(
        conn,
        &notices,
        None,
        Some(due.system_id),
        "system.review_due",
        now,
    )
    .await?;
    crate::mail::queue(conn, &notices, now).await?;
    Ok((
        Applied::Done,
        Some(EventDraft::logged(
            "system.review_due",
            "system",
            due.system_id.to_string(),
            &ReviewFlagged { due, notices },
        )?),
    ))
}

pub(crate) async fn replay_review_due(
    conn: &mut AnyConnection,
    time: Timestamp,
    payload: &serde_json::Value,
) -> Result<(), StoreError> {
    let ReviewFlagged::<StoredNotice> { due, notices } = serde_json::from_value(payload.clone())?;
    write_notices(
        conn,
        &notices,
        None,
        Some(due.system_id),
        "system.review_due",
        time,
    )
    .await
}

/// True for the kinds of events a case step writes.
pub(crate) fn is_case_event(kind: &str) -> bool {
    CaseKind::ALL.iter().any(|k| {
        kind.strip_prefix(k.as_str())
            .is_some_and(|r| r.starts_with('.'))
    })
}

/// Applies [`crate::Command::SetReviewer`].
pub(crate) async fn set_reviewer(
    conn: &mut AnyConnection,
    reviewer: ReviewerProfile,
) -> Result<Step, StoreError> {
    let account = query::account(&mut *conn, reviewer.account_id).await?;
    if !account.roles.contains(&senim_domain::Role::ExpertReviewer) {
        return Err(StoreError::invalid(
            "account_id",
            "does not hold the expert_reviewer role",
        ));
    }
    write_reviewer(conn, &reviewer).await?;
    Ok((
        Applied::Reviewer(reviewer.clone()),
        Some(EventDraft::logged(
            "reviewer.set",
            "account",
            reviewer.account_id.to_string(),
            &ReviewerSet {
                reviewer: reviewer.to_record(),
            },
        )?),
    ))
}

pub(crate) async fn write_reviewer(
    conn: &mut AnyConnection,
    reviewer: &ReviewerProfile,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM reviewers WHERE account_id = $1")
        .bind(reviewer.account_id.to_string())
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO reviewers (account_id, active, data, updated_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(reviewer.account_id.to_string())
    .bind(i64::from(reviewer.active))
    .bind(record::json(reviewer)?)
    .bind(reviewer.updated_at.to_rfc3339())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// What a case list shows.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub kind: Option<CaseKind>,
    pub open: Option<bool>,
    pub state: Option<String>,
    pub assignee: Option<AccountId>,
    pub organisation: Option<senim_domain::OrganisationId>,
    pub system: Option<SystemId>,
    /// Rows to skip (the cursor of a queue is an offset: queues sort by due date).
    pub offset: u64,
    pub limit: u32,
}

impl Store {
    pub async fn case(&self, id: CaseId) -> Result<Case, StoreError> {
        let row = sqlx::query("SELECT data FROM cases WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(self.reader())
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: "case",
                id: id.to_string(),
            })?;
        data(&row)
    }

    /// Cases in queue order: the earliest due first (so overdue ones lead),
    /// then those without a running clock, then by id.
    pub async fn cases(&self, filter: &CaseFilter) -> Result<Page<Case>, StoreError> {
        let mut sql = Sql::default();
        if let Some(kind) = filter.kind {
            sql.push(" AND kind = ").bind(kind.as_str());
        }
        if let Some(open) = filter.open {
            sql.push(&format!(" AND is_open = {}", i64::from(open)));
        }
        if let Some(state) = &filter.state {
            sql.push(" AND state = ").bind(state.clone());
        }
        if let Some(account) = filter.assignee {
            sql.push(" AND id IN (SELECT case_id FROM case_assignees WHERE account_id = ")
                .bind(account.to_string())
                .push(")");
        }
        if let Some(org) = filter.organisation {
            sql.push(" AND organisation_id = ").bind(org.to_string());
        }
        if let Some(system) = filter.system {
            sql.push(" AND system_id = ").bind(system.to_string());
        }
        let limit = filter.limit.clamp(1, 500);
        let mut count = Sql::new("SELECT COUNT(*) AS n FROM cases WHERE 1=1");
        count.push(&sql.text);
        count.binds.extend(sql.binds.iter().cloned());
        let total: i64 = count.query().fetch_one(self.reader()).await?.try_get("n")?;
        let mut select = Sql::new("SELECT data FROM cases WHERE 1=1");
        select.push(&sql.text);
        select.binds.extend(sql.binds.iter().cloned());
        select.push(&format!(
            " ORDER BY CASE WHEN due_date IS NULL THEN 1 ELSE 0 END, due_date, id LIMIT {} OFFSET {}",
            limit + 1,
            filter.offset
        ));
        let rows = select.query().fetch_all(self.reader()).await?;
        let items = rows
            .iter()
            .take(limit as usize)
            .map(data)
            .collect::<Result<Vec<Case>, _>>()?;
        let next_after =
            (rows.len() > limit as usize).then(|| (filter.offset + u64::from(limit)).to_string());
        Ok(Page {
            items,
            next_after,
            total,
        })
    }

    /// The report a tracking code (by its SHA-256) follows.
    pub async fn case_by_tracking(&self, tracking_hash: &str) -> Result<Case, StoreError> {
        let row = sqlx::query("SELECT data FROM cases WHERE tracking_hash = $1")
            .bind(tracking_hash.to_string())
            .fetch_optional(self.reader())
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: "report",
                id: "tracking code".into(),
            })?;
        data(&row)
    }

    /// Investigations of an organisation, newest first.
    pub async fn investigations_of(
        &self,
        organisation: senim_domain::OrganisationId,
    ) -> Result<Vec<Case>, StoreError> {
        let rows = sqlx::query(
            "SELECT data FROM cases WHERE kind = 'investigation' AND organisation_id = $1 \
             ORDER BY created_at DESC",
        )
        .bind(organisation.to_string())
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(data).collect()
    }

    /// Every published decision's case (investigations decided, appealed or final).
    pub async fn decided_investigations(&self, limit: u32) -> Result<Vec<Case>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT data FROM cases WHERE kind = 'investigation' \
             AND state IN ('decided', 'appealed', 'final') ORDER BY updated_at DESC LIMIT {}",
            limit.clamp(1, 1000)
        ))
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(data).collect()
    }

    /// Open investigations decided and waiting for a possible appeal.
    pub async fn decided_open_investigations(&self) -> Result<Vec<Case>, StoreError> {
        let rows = sqlx::query(
            "SELECT data FROM cases WHERE kind = 'investigation' AND state = 'decided' AND is_open = 1 ORDER BY id",
        )
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(data).collect()
    }

    /// Trusted-list applications whose system is published on a list.
    pub async fn published_list_entries(&self) -> Result<Vec<Case>, StoreError> {
        let rows = sqlx::query(
            "SELECT data FROM cases WHERE kind = 'trusted_list' AND state = 'published' ORDER BY updated_at, id",
        )
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(data).collect()
    }

    /// Registered systems whose current version was made before `before`
    /// and that have not been flagged since that version.
    pub async fn review_due(&self, before: Timestamp) -> Result<Vec<ReviewDue>, StoreError> {
        let rows = sqlx::query(
            "SELECT s.id, s.owner_organisation_id, v.created_at FROM systems s \
             JOIN system_versions v ON v.system_id = s.id AND v.version = s.current_version \
             WHERE s.status = 'registered' AND v.created_at < $1 AND NOT EXISTS ( \
               SELECT 1 FROM notifications n WHERE n.system_id = s.id \
               AND n.kind = 'system.review_due' AND n.created_at > v.created_at) \
             ORDER BY s.id",
        )
        .bind(before.to_rfc3339())
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|row| {
                let id: String = row.try_get(0)?;
                let owner: String = row.try_get(1)?;
                let at: String = row.try_get(2)?;
                let corrupt = |what: &str| StoreError::Corrupt(format!("review due: {what}"));
                Ok(ReviewDue {
                    system_id: id.parse().map_err(|_| corrupt("system id"))?,
                    owner: owner.parse().map_err(|_| corrupt("owner"))?,
                    last_review: Timestamp::parse(&at).map_err(|_| corrupt("time"))?,
                })
            })
            .collect()
    }

    /// The system's latest registration case, if it ever had one.
    pub async fn registration_of(&self, system: SystemId) -> Result<Option<Case>, StoreError> {
        let row = sqlx::query(
            "SELECT data FROM cases WHERE system_id = $1 AND kind = 'registration' \
             ORDER BY created_at DESC, id DESC LIMIT 1",
        )
        .bind(system.to_string())
        .fetch_optional(self.reader())
        .await?;
        row.as_ref().map(data).transpose()
    }

    pub async fn reviewer(
        &self,
        account: AccountId,
    ) -> Result<Option<ReviewerProfile>, StoreError> {
        let row = sqlx::query("SELECT data FROM reviewers WHERE account_id = $1")
            .bind(account.to_string())
            .fetch_optional(self.reader())
            .await?;
        row.as_ref().map(data).transpose()
    }

    /// The reviewer pool with each reviewer's organisation and open dossiers.
    pub async fn reviewer_pool(&self) -> Result<Vec<Candidate>, StoreError> {
        let rows = sqlx::query(
            // Correlated lookups rather than a join: a handful of reviewers
            // among many accounts, and PostgreSQL, with no statistics for
            // the small `reviewers` table, would hash-join every account.
            "SELECT r.data, \
             (SELECT a.organisation_id FROM accounts a WHERE a.id = r.account_id) AS organisation_id, \
             (SELECT a.status FROM accounts a WHERE a.id = r.account_id) AS status, \
             (SELECT COUNT(*) FROM case_assignees c WHERE c.account_id = r.account_id AND c.is_open = 1) AS load \
             FROM reviewers r ORDER BY r.account_id",
        )
        .fetch_all(self.reader())
        .await?;
        // Sectors whose reviewers must hold a course's certificate, and the
        // certificates each account holds.
        let required: Vec<(Sector, CourseId)> =
            crate::education::pool_requirements(self.reader()).await?;
        let held: std::collections::HashSet<(AccountId, CourseId)> = if required.is_empty() {
            std::collections::HashSet::new()
        } else {
            crate::education::certified(self.reader()).await?
        };
        // The organisations the reviewers belonged to before.
        let mut former: std::collections::HashMap<String, Vec<senim_domain::case::Affiliation>> =
            std::collections::HashMap::new();
        for row in sqlx::query(
            "SELECT f.account_id, f.organisation_id, f.until_at FROM affiliations f \
             WHERE f.account_id IN (SELECT account_id FROM reviewers)",
        )
        .fetch_all(self.reader())
        .await?
        {
            let account: String = row.try_get("account_id")?;
            let organisation: String = row.try_get("organisation_id")?;
            let until: String = row.try_get("until_at")?;
            former
                .entry(account)
                .or_default()
                .push(senim_domain::case::Affiliation {
                    organisation_id: organisation.parse().map_err(StoreError::Corrupt)?,
                    until: senim_domain::calendar::Day::of(
                        senim_domain::Timestamp::parse(&until).map_err(StoreError::Corrupt)?,
                    ),
                });
        }
        rows.iter()
            .map(|row| {
                let profile: ReviewerProfile = data(row)?;
                let mut uncertified: Vec<Sector> = required
                    .iter()
                    .filter(|(_, course)| !held.contains(&(profile.account_id, *course)))
                    .map(|(sector, _)| *sector)
                    .collect();
                uncertified.sort();
                uncertified.dedup();
                let org: Option<String> = row.try_get("organisation_id")?;
                let status: String = row.try_get("status")?;
                let load: i64 = row.try_get("load")?;
                Ok(Candidate {
                    account_id: profile.account_id,
                    organisation_id: org.and_then(|o| o.parse().ok()),
                    sectors: profile.sectors,
                    conflicts: profile.conflicts,
                    load: u32::try_from(load).unwrap_or(u32::MAX),
                    active: profile.active && status == "active",
                    uncertified,
                    former: former
                        .remove(&profile.account_id.to_string())
                        .unwrap_or_default(),
                })
            })
            .collect()
    }

    /// The account's inbox: notices to it, its organisation and its roles,
    /// newer than `after`, oldest first.
    pub async fn inbox(
        &self,
        account: &Account,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Notification>, StoreError> {
        self.notifications(account, after, false, limit).await
    }

    /// The account's inbox newest first, older than `before`: a page to read.
    pub async fn inbox_newest(
        &self,
        account: &Account,
        before: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Notification>, StoreError> {
        self.notifications(account, before, true, limit).await
    }

    async fn notifications(
        &self,
        account: &Account,
        cursor: Option<&str>,
        newest_first: bool,
        limit: u32,
    ) -> Result<Vec<Notification>, StoreError> {
        let mut keys = vec![Recipient::Account(account.id).key()];
        if let Some(org) = account.organisation_id {
            keys.push(Recipient::Organisation(org).key());
        }
        keys.extend(account.roles.iter().map(|r| Recipient::Role(*r).key()));
        let mut sql = Sql::new(
            "SELECT id, recipient, case_id, system_id, kind, text, message, created_at FROM notifications WHERE recipient IN (",
        );
        for (i, key) in keys.into_iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(key);
        }
        sql.push(")");
        let (compare, order) = if newest_first {
            (" AND id < ", "DESC")
        } else {
            (" AND id > ", "ASC")
        };
        if let Some(cursor) = cursor {
            sql.push(compare).bind(cursor.to_string());
        }
        // Ids are time-ordered UUIDs written in the event, so the order and
        // the cursor survive a rebuild.
        sql.push(&format!(
            " ORDER BY id {order} LIMIT {}",
            limit.clamp(1, 500)
        ));
        let rows = sql.query().fetch_all(self.reader()).await?;
        rows.iter()
            .map(|row| {
                let recipient: String = row.try_get("recipient")?;
                let case_id: Option<String> = row.try_get("case_id")?;
                let system_id: Option<String> = row.try_get("system_id")?;
                let created: String = row.try_get("created_at")?;
                let message: Option<String> = row.try_get("message")?;
                let message: StoredMessage = match message {
                    Some(m) => serde_json::from_str(&m)?,
                    None => StoredMessage::default(),
                };
                Ok(Notification {
                    id: row.try_get("id")?,
                    recipient: Recipient::from_key(&recipient).ok_or_else(|| {
                        StoreError::Corrupt(format!("notification recipient `{recipient}`"))
                    })?,
                    case_id: case_id.and_then(|c| c.parse().ok()),
                    system_id: system_id.and_then(|c| c.parse().ok()),
                    kind: row.try_get("kind")?,
                    text: row.try_get("text")?,
                    key: message.key,
                    args: message.args,
                    created_at: Timestamp::parse(&created).map_err(StoreError::Corrupt)?,
                })
            })
            .collect()
    }
}

impl Store {
    /// The sandbox participations still running (the sweep's work).
    pub async fn sandboxes_running(&self) -> Result<Vec<Case>, StoreError> {
        let rows = sqlx::query(
            "SELECT data FROM cases WHERE kind = 'sandbox' AND state = 'active' ORDER BY id",
        )
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(data).collect()
    }

    /// The sandbox participations of a system, newest first.
    pub async fn sandboxes_of(&self, system: SystemId) -> Result<Vec<Case>, StoreError> {
        let rows = sqlx::query(
            "SELECT data FROM cases WHERE kind = 'sandbox' AND system_id = $1 \
             ORDER BY created_at DESC, id",
        )
        .bind(system.to_string())
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(data).collect()
    }
}
