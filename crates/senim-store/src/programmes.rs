//! The Platform's support programmes: programmes and their calls (writes,
//! replays and reads), and the index of applications to each call that the
//! case writes keep (`applications`), which holds a call's budget.

use std::collections::BTreeSet;

use sqlx::{AnyConnection, Row};

use senim_domain::application::ApplicationState;
use senim_domain::calendar::Day;
use senim_domain::programme::{Call, CallFigures, Programme, ValidCall, ValidProgramme};
use senim_domain::{CallId, Case, CaseId, OrganisationId, ProgrammeId, Timestamp};

use crate::command::{Applied, EventDraft, Step};
use crate::error::StoreError;
use crate::logged::{CallPublished, ProgrammeCreated};
use crate::record::{self, Recorded};
use crate::rows::data;
use crate::Store;

async fn insert_programme(conn: &mut AnyConnection, p: &Programme) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO programmes (id, organisation_id, kind, data, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(p.id.to_string())
    .bind(p.organisation_id.to_string())
    .bind(p.kind.as_str())
    .bind(record::json(p)?)
    .bind(p.created_at.to_rfc3339())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn insert_call(conn: &mut AnyConnection, c: &Call) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO calls (id, number, programme_id, organisation_id, opens, closes, budget, \
         applications, submitted, awards, awarded, data, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 0, 0, 0, 0, $8, $9)",
    )
    .bind(c.id.to_string())
    .bind(c.number.clone())
    .bind(c.programme_id.to_string())
    .bind(c.organisation_id.to_string())
    .bind(c.opens.to_string())
    .bind(c.closes.to_string())
    .bind(c.budget.amount)
    .bind(record::json(c)?)
    .bind(c.created_at.to_rfc3339())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Applies [`crate::Command::CreateProgramme`].
pub(crate) async fn create_programme(
    conn: &mut AnyConnection,
    organisation: OrganisationId,
    programme: ValidProgramme,
    now: Timestamp,
) -> Result<Step, StoreError> {
    crate::command::require_organisation(conn, "organisation_id", organisation).await?;
    let record = Programme {
        id: ProgrammeId::generate(),
        kind: programme.kind,
        title: programme.title,
        description: programme.description,
        organisation_id: organisation,
        created_at: now,
    };
    insert_programme(conn, &record).await?;
    let event = EventDraft::logged(
        "programme.created",
        "programme",
        record.id.to_string(),
        &ProgrammeCreated {
            programme: record.to_record(),
        },
    )?;
    Ok((Applied::Programme(Box::new(record)), Some(event)))
}

/// Applies [`crate::Command::PublishCall`]: the call gets the next number
/// of its year (`CALL-2027-000001`) under the write lock.
pub(crate) async fn publish_call(
    conn: &mut AnyConnection,
    programme: ProgrammeId,
    call: ValidCall,
    now: Timestamp,
) -> Result<Step, StoreError> {
    let programme = programme_in(conn, programme).await?;
    let mut record = Call::new(CallId::generate(), &programme, call, now);
    record.number = crate::cases::next_number(
        conn,
        "calls",
        "number",
        "CALL",
        senim_domain::Day::of(now).year(),
    )
    .await?;
    insert_call(conn, &record).await?;
    let event = EventDraft::logged(
        "call.published",
        "call",
        record.id.to_string(),
        &CallPublished {
            call: record.to_record(),
        },
    )?;
    Ok((Applied::Call(Box::new(record)), Some(event)))
}

pub(crate) async fn replay(
    conn: &mut AnyConnection,
    kind: &str,
    payload: &serde_json::Value,
) -> Result<(), StoreError> {
    if kind == "programme.created" {
        let event: ProgrammeCreated = serde_json::from_value(payload.clone())?;
        insert_programme(conn, &Programme::from_record(event.programme)).await
    } else {
        let event: CallPublished = serde_json::from_value(payload.clone())?;
        insert_call(conn, &Call::from_record(event.call)).await
    }
}

/// Keeps the application index current after a write of an application
/// case, and refuses the write if the call's awards would exceed its budget
/// (the writer holds the write lock, so the sum cannot move meanwhile).
pub(crate) async fn index_application(
    conn: &mut AnyConnection,
    case: &Case,
) -> Result<(), StoreError> {
    let (Some(app), Some(org)) = (case.application(), case.organisation_id) else {
        return Ok(());
    };
    let state: ApplicationState = case.state().parse().map_err(StoreError::Corrupt)?;
    let active = !matches!(
        state,
        ApplicationState::Refused | ApplicationState::Declined | ApplicationState::Withdrawn
    );
    let awarded = app.awarded(state);
    let submitted = app.submitted_at.is_some();
    // What the row said before, so the call's totals move by the difference.
    let before = sqlx::query("SELECT awarded, submitted_at FROM applications WHERE case_id = $1")
        .bind(case.id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    let (was_new, was_awarded, was_submitted) = match &before {
        None => (true, 0i64, false),
        Some(row) => (
            false,
            row.try_get::<i64, _>("awarded")?,
            row.try_get::<Option<String>, _>("submitted_at")?.is_some(),
        ),
    };
    // An update in place (not a delete and an insert): fewer dead rows for
    // PostgreSQL's vacuum to chase on a busy call.
    let sql = if was_new {
        "INSERT INTO applications (case_id, call_id, organisation_id, state, active, awarded, submitted_at, decided_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    } else {
        "UPDATE applications SET call_id = $2, organisation_id = $3, state = $4, active = $5, \
         awarded = $6, submitted_at = $7, decided_at = $8 WHERE case_id = $1"
    };
    let inserted = sqlx::query(sql)
        .bind(case.id.to_string())
        .bind(app.call_id.to_string())
        .bind(org.to_string())
        .bind(state.as_str())
        .bind(i64::from(active))
        .bind(awarded)
        .bind(app.submitted_at.map(|t| t.to_rfc3339()))
        .bind(app.decision.as_ref().map(|d| d.at.to_rfc3339()))
        .execute(&mut *conn)
        .await;
    match inserted {
        Err(e) if crate::error::is_unique_violation(&e) => {
            return Err(StoreError::conflict(
                "your organisation already has an application to this call; continue it or withdraw it first",
                state.as_str(),
            ))
        }
        other => other?,
    };
    // A joint application's organisations, as submitted (a resubmission
    // after a return may name other partners).
    if state == ApplicationState::Submitted && (!app.partners.is_empty() || app.returned.is_some())
    {
        sqlx::query("DELETE FROM application_parties WHERE case_id = $1")
            .bind(case.id.to_string())
            .execute(&mut *conn)
            .await?;
        let submitted = app.submitted_at.unwrap_or(case.updated_at).to_rfc3339();
        if !app.partners.is_empty() {
            for party in std::iter::once(org).chain(app.partners.iter().copied()) {
                sqlx::query(
                    "INSERT INTO application_parties (case_id, organisation_id, submitted_at) VALUES ($1, $2, $3)",
                )
                .bind(case.id.to_string())
                .bind(party.to_string())
                .bind(&submitted)
                .execute(&mut *conn)
                .await?;
            }
        }
    }
    let count = |now: bool, then: bool| i64::from(now) - i64::from(then);
    let row = sqlx::query(
        "UPDATE calls SET applications = applications + $2, submitted = submitted + $3, \
         awards = awards + $4, awarded = awarded + $5 WHERE id = $1 RETURNING budget, awarded",
    )
    .bind(app.call_id.to_string())
    .bind(i64::from(was_new))
    .bind(count(submitted, was_submitted))
    .bind(count(awarded > 0, was_awarded > 0))
    .bind(awarded - was_awarded)
    .fetch_one(&mut *conn)
    .await?;
    let (budget, total): (i64, i64) = (row.try_get("budget")?, row.try_get("awarded")?);
    if awarded > was_awarded && total > budget {
        return Err(StoreError::invalid(
            "amount",
            format!(
                "the call's budget has {} {} left",
                budget - (total - awarded + was_awarded),
                app.unit
            ),
        ));
    }
    Ok(())
}

async fn programme_in(conn: &mut AnyConnection, id: ProgrammeId) -> Result<Programme, StoreError> {
    let row = sqlx::query("SELECT data FROM programmes WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            what: "programme",
            id: id.to_string(),
        })?;
    data(&row)
}

impl Store {
    pub async fn programme(&self, id: ProgrammeId) -> Result<Programme, StoreError> {
        let mut conn = self.reader().acquire().await?;
        programme_in(&mut conn, id).await
    }

    /// Every programme, oldest first (a handful: no paging).
    pub async fn programmes(&self) -> Result<Vec<Programme>, StoreError> {
        let rows = sqlx::query("SELECT data FROM programmes ORDER BY id")
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(data).collect()
    }

    /// A published call's terms (kept in memory once read: they never
    /// change, and every step on an application reads them).
    pub async fn call(&self, id: CallId) -> Result<Call, StoreError> {
        if let Some(call) = self.cached_call(id) {
            return Ok(call);
        }
        let row = sqlx::query("SELECT data FROM calls WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(self.reader())
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: "call",
                id: id.to_string(),
            })?;
        let call: Call = data(&row)?;
        if let Ok(mut calls) = self.inner.calls.lock() {
            // A bound on memory: a thousand calls' terms; past it, start over.
            if calls.len() >= 1_000 {
                calls.clear();
            }
            calls.insert(id, std::sync::Arc::new(call.clone()));
        }
        Ok(call)
    }

    fn cached_call(&self, id: CallId) -> Option<Call> {
        let calls = self.inner.calls.lock().ok()?;
        calls.get(&id).map(|c| Call::clone(c))
    }

    /// The calls of a programme, or of every programme; newest first.
    pub async fn calls(&self, programme: Option<ProgrammeId>) -> Result<Vec<Call>, StoreError> {
        let rows = match programme {
            Some(p) => {
                sqlx::query("SELECT data FROM calls WHERE programme_id = $1 ORDER BY id DESC")
                    .bind(p.to_string())
                    .fetch_all(self.reader())
                    .await?
            }
            None => {
                sqlx::query("SELECT data FROM calls ORDER BY id DESC")
                    .fetch_all(self.reader())
                    .await?
            }
        };
        rows.iter().map(data).collect()
    }

    /// What a call has received and given, and what is left of its budget
    /// (the totals its application writes keep).
    pub async fn call_figures(&self, call: &Call) -> Result<CallFigures, StoreError> {
        let row =
            sqlx::query("SELECT applications, submitted, awards, awarded FROM calls WHERE id = $1")
                .bind(call.id.to_string())
                .fetch_one(self.reader())
                .await?;
        let awarded: i64 = row.try_get("awarded")?;
        let count = |name: &str| -> Result<u64, StoreError> {
            Ok(u64::try_from(row.try_get::<i64, _>(name)?).unwrap_or(0))
        };
        Ok(CallFigures {
            applications: count("applications")?,
            submitted: count("submitted")?,
            awarded_count: count("awards")?,
            awarded,
            remaining: call.budget.amount - awarded,
        })
    }

    /// A page of a call's awards, by case id after `after`.
    pub async fn awards(
        &self,
        call: CallId,
        after: Option<CaseId>,
        limit: i64,
    ) -> Result<Vec<Case>, StoreError> {
        let rows = sqlx::query(
            "SELECT c.data FROM applications a JOIN cases c ON c.id = a.case_id \
             WHERE a.call_id = $1 AND a.awarded > 0 AND a.case_id > $2 ORDER BY a.case_id LIMIT $3",
        )
        .bind(call.to_string())
        .bind(after.map(|a| a.to_string()).unwrap_or_default())
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(data).collect()
    }

    /// Organisations one of `parties` worked with since `since` (conflict
    /// detection): the other party of an AI system one owns and the other
    /// operates, and the other organisations of a joint application. The
    /// register keeps each system's current owner and holder, so a system
    /// whose operator changed counts for the current one only.
    pub async fn related_organisations(
        &self,
        parties: &[OrganisationId],
        since: Day,
    ) -> Result<Vec<OrganisationId>, StoreError> {
        let mut related = BTreeSet::new();
        for party in parties {
            // The other party of an AI system one owns and the other
            // operates, unless it was withdrawn before `since`; and the
            // other organisations of a joint application submitted since.
            let rows = sqlx::query(
                "SELECT holder_organisation_id AS o FROM systems WHERE owner_organisation_id = $1 \
                 AND holder_organisation_id IS NOT NULL AND (status <> 'withdrawn' OR updated_at >= $2) \
                 UNION SELECT owner_organisation_id AS o FROM systems WHERE holder_organisation_id = $1 \
                 AND (status <> 'withdrawn' OR updated_at >= $2) \
                 UNION SELECT q.organisation_id AS o FROM application_parties p \
                 JOIN application_parties q ON q.case_id = p.case_id \
                 WHERE p.organisation_id = $1 AND p.submitted_at >= $2 AND q.organisation_id <> $1",
            )
            .bind(party.to_string())
            .bind(since.to_string())
            .fetch_all(self.reader())
            .await?;
            for r in &rows {
                let o: String = r.try_get("o")?;
                related.insert(o.parse::<OrganisationId>().map_err(StoreError::Corrupt)?);
            }
        }
        Ok(related.into_iter().collect())
    }

    /// The applications in review that ask `organisation` to assess one of
    /// its resources and that it has not assessed yet, oldest first (a
    /// provider's queue: a few at a time, read from the cases in review).
    pub async fn assessments_awaiting(
        &self,
        organisation: OrganisationId,
    ) -> Result<Vec<Case>, StoreError> {
        let rows = sqlx::query(
            "SELECT c.data FROM applications a JOIN cases c ON c.id = a.case_id \
             WHERE a.state = 'in_review' AND c.data LIKE $1 ORDER BY c.id LIMIT 1000",
        )
        .bind(format!("%\"provider_organisation_id\":\"{organisation}\"%"))
        .fetch_all(self.reader())
        .await?;
        let mut cases = Vec::new();
        for row in &rows {
            let case: Case = data(row)?;
            let pending = case.application().is_some_and(|a| {
                a.assessments
                    .iter()
                    .any(|x| x.provider_organisation_id == organisation && x.feasible.is_none())
            });
            if pending {
                cases.push(case);
            }
        }
        Ok(cases)
    }

    /// Whether the organisation owns or operates a registered AI system.
    pub async fn has_registered_system(
        &self,
        organisation: OrganisationId,
    ) -> Result<bool, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM systems WHERE status = 'registered' \
             AND (owner_organisation_id = $1 OR holder_organisation_id = $1)",
        )
        .bind(organisation.to_string())
        .fetch_one(self.reader())
        .await?;
        Ok(row.try_get::<i64, _>("n")? > 0)
    }

    /// The submitted applications to the calls `organisation` runs: open
    /// ones first, by due day (overdue first), then the rest, newest first.
    /// Every submitted application's call, sectors and times, for the
    /// programmes' statistics (one row each; the sectors and the first
    /// share's release come from the case itself).
    pub async fn application_times(
        &self,
    ) -> Result<Vec<senim_domain::programme::ApplicationTimes>, StoreError> {
        let rows = sqlx::query(
            "SELECT a.call_id, a.awarded, a.submitted_at, a.decided_at, c.data, \
             (SELECT MIN(l.approved_at) FROM allocations l WHERE l.application_id = a.case_id) AS first_allocation \
             FROM applications a JOIN cases c ON c.id = a.case_id \
             WHERE a.submitted_at IS NOT NULL ORDER BY a.call_id",
        )
        .fetch_all(self.reader())
        .await?;
        let time =
            |row: &sqlx::any::AnyRow, column: &str| -> Result<Option<Timestamp>, StoreError> {
                row.try_get::<Option<String>, _>(column)?
                    .map(|t| Timestamp::parse(&t).map_err(StoreError::Corrupt))
                    .transpose()
            };
        rows.iter()
            .map(|row| {
                let call: String = row.try_get("call_id")?;
                let case: Case = data(row)?;
                let app = case.application();
                let awarded = row.try_get::<i64, _>("awarded")? > 0;
                // A money award is usable once accepted (its first share is
                // released then); a credits award once a provider approves
                // its first exchange.
                let usable_at = match app.map(|a| a.unit) {
                    Some(senim_domain::programme::BudgetUnit::Tiyn) => {
                        app.and_then(|a| a.tranches.first()).map(|t| t.released_at)
                    }
                    _ => time(row, "first_allocation")?,
                };
                Ok(senim_domain::programme::ApplicationTimes {
                    call_id: call.parse().map_err(StoreError::Corrupt)?,
                    sectors: app.map(|a| a.sectors.clone()).unwrap_or_default(),
                    awarded,
                    submitted_at: time(row, "submitted_at")?,
                    decided_at: time(row, "decided_at")?,
                    usable_at,
                })
            })
            .collect()
    }

    pub async fn applications_managed_by(
        &self,
        organisation: OrganisationId,
    ) -> Result<Vec<Case>, StoreError> {
        let rows = sqlx::query(
            "SELECT c.data FROM applications a JOIN calls k ON k.id = a.call_id \
             JOIN cases c ON c.id = a.case_id \
             WHERE k.organisation_id = $1 AND a.state <> 'draft' \
             ORDER BY c.is_open DESC, CASE WHEN c.due_date IS NULL THEN 1 ELSE 0 END, c.due_date, c.id DESC \
             LIMIT 1000",
        )
        .bind(organisation.to_string())
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(data).collect()
    }
}
