//! Statistics: the register by sector and risk level, by status, how long
//! reviews take, and reports per month, each as a server-drawn SVG chart
//! with the same numbers in a table beside it.

use std::collections::BTreeMap;

use senim_domain::oversight::ReportType;
use senim_domain::{Case, CaseKind};
use senim_store::CaseFilter;

use crate::error::ApiError;
use crate::state::AppState;

pub async fn all_cases(state: &AppState, kind: CaseKind) -> Result<Vec<Case>, ApiError> {
    let mut out = Vec::new();
    let mut offset = 0;
    loop {
        let page = state
            .store
            .cases(&CaseFilter {
                kind: Some(kind),
                offset,
                limit: 500,
                ..Default::default()
            })
            .await?;
        let n = page.items.len() as u64;
        out.extend(page.items);
        if page.next_after.is_none() || n == 0 {
            break;
        }
        offset += n;
    }
    Ok(out)
}

/// What the charts count from the cases, read once and kept until the next
/// case changes ([`crate::state::AppState::execute`] forgets it), so a flood
/// of anonymous requests does not read every case each time.
#[derive(Debug, Default)]
pub struct CaseFigures {
    /// Calendar days from submission to decision, by month of the decision.
    pub review_days: BTreeMap<String, Vec<f64>>,
    /// Each report's type and the month it came in.
    pub reports: Vec<(ReportType, String)>,
}

pub async fn case_figures(state: &AppState) -> Result<std::sync::Arc<CaseFigures>, ApiError> {
    if let Some(kept) = state.stats_cache.lock().ok().and_then(|c| c.clone()) {
        return Ok(kept);
    }
    let mut figures = CaseFigures::default();
    for case in all_cases(state, CaseKind::Registration).await? {
        if let Some(decision) = case.registration().and_then(|r| r.decision.as_ref()) {
            let d =
                (decision.at.unix_millis() - case.created_at.unix_millis()) as f64 / 86_400_000.0;
            let month = decision.at.to_rfc3339().get(..7).unwrap_or("").to_string();
            figures
                .review_days
                .entry(month)
                .or_default()
                .push(d.max(0.0));
        }
    }
    for case in all_cases(state, CaseKind::Report).await? {
        if let Some(r) = case.report() {
            let month = case
                .created_at
                .to_rfc3339()
                .get(..7)
                .unwrap_or("")
                .to_string();
            figures.reports.push((r.report_type, month));
        }
    }
    let figures = std::sync::Arc::new(figures);
    if let Ok(mut cache) = state.stats_cache.lock() {
        *cache = Some(figures.clone());
    }
    Ok(figures)
}
