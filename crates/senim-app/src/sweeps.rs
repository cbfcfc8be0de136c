//! Work the server does on its own schedule: flagging registered systems
//! whose annual risk review is overdue (Law 230-VIII Art. 18: owners review
//! their risks at least once a year), and making final the decisions whose
//! appeal deadline passed unappealed, reminding awardees of their
//! allocations' last day and ending those whose last day passed, and
//! reminding sandbox participants whose last day passed without an exit
//! report.

use std::time::Duration;

use senim_store::{Actor, Command};

use crate::state::AppState;

/// A year, in seconds, as the law's "once a year" is counted here.
const YEAR_SECONDS: i64 = 365 * 86_400;

/// Flags every registered system whose current version (its last risk
/// review) is more than a year old and not yet flagged; returns how many.
pub async fn flag_review_due(state: &AppState) -> Result<usize, senim_store::StoreError> {
    let before = state.clock.now().plus_seconds(-YEAR_SECONDS);
    let due = state.store.review_due(before).await?;
    let mut count = 0;
    for item in due {
        let committed = state
            .store
            .execute_logged(Actor::operator(), Command::FlagReviewDue(item))
            .await?;
        if committed.log.is_none() {
            // Another sweep (another server) flagged it first.
            continue;
        }
        count += 1;
    }
    Ok(count)
}

/// Makes final every decided investigation whose appeal deadline passed
/// without an appeal; returns how many.
pub async fn finalize_decisions(state: &AppState) -> Result<usize, senim_store::StoreError> {
    let now = state.clock.now();
    let mut count = 0;
    for case in state.store.decided_open_investigations().await? {
        let Some(stepped) = senim_domain::oversight::finalize_unappealed(&case, now) else {
            continue;
        };
        let write = senim_store::CaseWrite {
            case: stepped.case,
            expected_revision: Some(case.revision),
            event: stepped.event,
            step: serde_json::json!({ "action": "appeal_deadline_passed" }),
            system_status: None,
            system_version: None,
            assign_registry_number: false,
            notices: Vec::new(),
            opened: None,
            mail: None,
        };
        match state
            .store
            .execute(Actor::operator(), Command::SaveCase(Box::new(write)))
            .await
        {
            Ok(_) => count += 1,
            // Appealed (or finalized by another server) meanwhile.
            Err(senim_store::StoreError::Conflict { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(count)
}

/// Writes a step the server takes on `case` (a reminder, an expiry) as the
/// operator, on the revision it was decided on, and mails its notices;
/// false when someone (another server's sweep) stepped the case meanwhile.
pub(crate) async fn save_step(
    state: &AppState,
    case: &senim_domain::Case,
    stepped: senim_domain::case::Stepped,
    step: serde_json::Value,
) -> Result<bool, senim_store::StoreError> {
    let write = senim_store::CaseWrite {
        case: stepped.case,
        expected_revision: Some(case.revision),
        event: stepped.event,
        step,
        system_status: None,
        system_version: None,
        assign_registry_number: false,
        notices: stepped.notices,
        opened: stepped.opened,
        mail: None,
    };
    match state
        .store
        .execute(Actor::operator(), Command::SaveCase(Box::new(write)))
        .await
    {
        Ok(_) => Ok(true),
        Err(senim_store::StoreError::Conflict { .. }) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Runs the sweeps now and then every `review_sweep_minutes`.
pub fn start(state: AppState) {
    let every = Duration::from_secs(state.config.review_sweep_minutes.max(1) * 60);
    tokio::spawn(async move {
        loop {
            if let Err(e) = flag_review_due(&state).await {
                tracing::warn!(error = %e, "annual review sweep failed");
            }
            if let Err(e) = finalize_decisions(&state).await {
                tracing::warn!(error = %e, "decision finalization sweep failed");
            }
            if let Err(e) = crate::allocations::sweep(&state).await {
                tracing::warn!(error = ?e, "allocation sweep failed");
            }
            if let Err(e) = crate::sandbox::sweep(&state).await {
                tracing::warn!(error = ?e, "sandbox sweep failed");
            }
            tokio::time::sleep(every).await;
        }
    });
}
