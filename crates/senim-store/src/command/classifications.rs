//! The classification history: every assessment a system's versions got,
//! one at a time or in bulk when a rule pack is published.

use sqlx::AnyConnection;

use senim_domain::classification::Assessment;
use senim_domain::{SystemId, Timestamp};

use super::Reassessment;
use crate::error::StoreError;

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
pub(super) async fn record_reassessments(
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
pub(super) async fn record_assessment(
    conn: &mut AnyConnection,
    system: SystemId,
    version: i64,
    assessment: &Assessment,
    now: Timestamp,
) -> Result<(), StoreError> {
    insert_classifications(conn, &[(system, version, assessment)], now).await
}
