//! `POST /api/v1/cases/{id}/metrics`: the algorithmic audit of an audit case.
//! The auditor sends the system's predictions on an evaluation set (CSV or
//! Parquet, the body) and names its columns; Senim keeps the file as a blob
//! (its digest goes into the case and the log), computes the metrics with
//! `senim-fairness`, checks them against the thresholds of the audit's rule
//! pack, and records the run on the case, with a finding for each breach.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use utoipa::IntoParams;

use senim_domain::case::Case;
use senim_domain::classification::Lang;
use senim_domain::oversight::{record_metrics, AuditItem, Breach, Ctx, MetricsRun, ThresholdCheck};
use senim_domain::{CaseId, CaseKind, FieldError};
use senim_fairness::{Format, Options, Report};
use senim_rules::ThresholdView;

use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{IfMatch, QueryParams};
use crate::policy::Action;
use crate::routes::cases::{pack_facts, refused, resource, respond, shown, write};
use crate::routes::path_id;
use crate::state::AppState;

/// The largest predictions file taken in one request.
pub const MAX_PREDICTIONS_BYTES: usize = 256 << 20;

/// The largest report kept with an audit (it is in the case and its events).
const MAX_REPORT_BYTES: usize = 1 << 20;

/// The metrics that compare a privileged group with the others (AIF360's).
const AIF360_METRICS: [&str; 3] = [
    "statistical_parity_difference",
    "disparate_impact",
    "average_odds_difference",
];

/// Which columns of the file hold what.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct MetricsQuery {
    /// The column of true labels.
    pub y_true: String,
    /// The column of predicted labels.
    pub y_pred: String,
    /// The sensitive feature columns, comma-separated.
    pub sensitive: String,
    /// The column of sample weights.
    pub weight: Option<String>,
    /// The column of scores (for ROC AUC).
    pub score: Option<String>,
    /// Control feature columns, comma-separated.
    pub control: Option<String>,
    /// The positive label (default `1`).
    pub pos_label: Option<String>,
    /// The privileged group for AIF360's metrics: `COL=VALUE[,COL=VALUE]`.
    pub privileged: Option<String>,
    /// `csv` or `parquet`; else a file starting with `PAR1` is Parquet.
    pub format: Option<String>,
}

fn invalid(field: &str, reason: impl Into<String>) -> ApiError {
    ApiError::invalid(vec![FieldError {
        field: field.into(),
        reason: reason.into(),
    }])
}

fn list(value: Option<&str>) -> Vec<String> {
    value
        .unwrap_or("")
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

impl MetricsQuery {
    fn options(&self) -> Result<(Options, Format), ApiError> {
        let mut options = Options::new(
            self.y_true.trim(),
            self.y_pred.trim(),
            list(Some(&self.sensitive)),
        );
        options.weight = self.weight.clone().filter(|w| !w.trim().is_empty());
        options.score = self.score.clone().filter(|s| !s.trim().is_empty());
        options.control = list(self.control.as_deref());
        if let Some(label) = &self.pos_label {
            options.pos_label = label.clone();
        }
        options.privileged = list(self.privileged.as_deref())
            .into_iter()
            .map(|pair| {
                pair.split_once('=')
                    .map(|(c, v)| (c.trim().to_string(), v.trim().to_string()))
                    .ok_or_else(|| {
                        invalid("privileged", format!("expected COL=VALUE, got `{pair}`"))
                    })
            })
            .collect::<Result<_, _>>()?;
        let format = match self.format.as_deref() {
            Some(f) => f
                .parse::<Format>()
                .map_err(|_| invalid("format", "must be csv or parquet"))?,
            None => Format::Csv,
        };
        Ok((options, format))
    }
}

/// The pack's thresholds checked against the report: with control features,
/// the worst stratum decides.
fn check(report: &Report, thresholds: &[ThresholdView]) -> (Vec<ThresholdCheck>, Vec<Breach>) {
    let mut checks = Vec::new();
    let mut breaches = Vec::new();
    for t in thresholds {
        let values = report
            .values(&t.metric)
            .into_iter()
            .filter_map(|(_, v)| v.get());
        let worst = if t.min.is_some() {
            values.reduce(f64::min)
        } else {
            values.reduce(f64::max)
        };
        let breached = worst.is_some_and(|v| t.breached_by(v));
        if let (true, Some(value)) = (breached, worst) {
            let (word, limit) = match (t.min, t.max) {
                (Some(min), _) => ("below the minimum", min),
                (_, Some(max)) => ("above the maximum", max),
                _ => ("outside", f64::NAN),
            };
            breaches.push(Breach {
                check: checks.len(),
                item: AuditItem {
                    id: t.obligation.id.clone(),
                    title: t.obligation.title.clone(),
                    citation: t.obligation.citation.clone(),
                },
                severity: t.severity,
                description: format!(
                    "{} is {value:.4}, {word} {limit} ({}; {}).",
                    t.metric, t.title, t.citation.source
                ),
            });
        }
        checks.push(ThresholdCheck {
            metric: t.metric.clone(),
            value: worst.map(|v| v.to_string()),
            min: t.min.map(|v| v.to_string()),
            max: t.max.map(|v| v.to_string()),
            breached,
            title: t.title.clone(),
            citation: t.citation.clone(),
            finding: None,
        });
    }
    (checks, breaches)
}

/// Run the algorithmic audit on a predictions file (the auditor of an open audit).
///
/// The body is the file (CSV with a header row, or Parquet), at most 256 MiB;
/// the query names its columns. Metrics follow Fairlearn 0.15 (docs/METRICS.md);
/// the audit's rule pack's thresholds become findings with their citation.
#[utoipa::path(post, path = "/api/v1/cases/{id}/metrics", tag = "cases",
    params(("id" = String, Path, description = "Audit case id"),
           ("If-Match" = String, Header, description = "The case's revision"),
           MetricsQuery),
    request_body(content = Vec<u8>, content_type = "text/csv"),
    responses((status = 200, body = crate::routes::cases::CaseDetail), (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn run(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    if_match: IfMatch,
    QueryParams(query): QueryParams<MetricsQuery>,
    body: Body,
) -> Result<impl IntoResponse, ApiError> {
    let id: CaseId = path_id(&id, "case")?;
    let case: Case = state.store.case(id).await?;
    caller.require(&state, Action::CaseFinding, &resource(&case, &caller))?;
    let Some(account) = &caller.account else {
        return Err(ApiError::unauthenticated());
    };
    if case.kind != CaseKind::Audit {
        return Err(invalid("id", "is not an audit"));
    }
    let expected = if_match.required()?;
    if expected != case.revision {
        return Err(ApiError {
            current: Some(case.revision.to_string()),
            ..ApiError::new(
                StatusCode::CONFLICT,
                "conflict",
                format!(
                    "the case is at revision {}, not {expected}: reload and try again",
                    case.revision
                ),
            )
        });
    }
    let (options, mut format) = query.options()?;
    let record = match case.system_id {
        Some(id) => Some(state.store.system_with_current(id).await?),
        None => None,
    };
    // The pack the audit was opened under decides the thresholds.
    let (thresholds, facts) = {
        let book = state.rules.read().await;
        let pack = case
            .audit
            .as_ref()
            .and_then(|a| a.pack.as_ref())
            .and_then(|p| book.get(&p.id, &p.version))
            .unwrap_or_else(|| book.in_force());
        (pack.thresholds(Lang::En), pack_facts(book.in_force()))
    };
    // A threshold on an AIF360 metric cannot pass unseen for want of the
    // privileged group that metric needs.
    if options.privileged.is_empty() {
        if let Some(t) = thresholds
            .iter()
            .find(|t| AIF360_METRICS.contains(&t.metric.as_str()))
        {
            return Err(invalid(
                "privileged",
                format!(
                    "is required: the audit's rule pack sets a threshold on {}, which compares a privileged group with the others",
                    t.metric
                ),
            ));
        }
    }
    let ctx = Ctx {
        now: state.clock.now(),
        calendar: &state.config.calendar,
        actor: account.id,
        system: record.as_ref().map(|r| &r.system),
        linked: &[],
        pack: &facts,
        offender: None,
        mci_kzt: state.config.mci_kzt,
    };
    let mut run = MetricsRun {
        number: 0,
        file_sha256: String::new(),
        file_size: 0,
        format: String::new(),
        report: String::new(),
        checks: Vec::new(),
        at: ctx.now,
        by: account.id,
    };
    // The domain's refusals (a closed audit, another auditor) before the
    // file is read: nobody else makes the server hold it.
    record_metrics(&ctx, &case, run.clone(), Vec::new()).map_err(refused)?;
    let body = axum::body::to_bytes(body, MAX_PREDICTIONS_BYTES)
        .await
        .map_err(|_| {
            ApiError::field(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "body",
                format!("must be at most {} MiB", MAX_PREDICTIONS_BYTES >> 20),
            )
        })?;
    if body.is_empty() {
        return Err(invalid("body", "is empty: send the predictions file"));
    }
    if query.format.is_none() && body.starts_with(b"PAR1") {
        format = Format::Parquet;
    }
    let file = body.clone();
    let computing = options.clone();
    let (report, text, sha256) = tokio::task::spawn_blocking(move || {
        let sha256 = hex::encode(Sha256::digest(&file));
        senim_fairness::compute_bytes(file, format, &computing).map(|report| {
            let text = report.to_json().to_string();
            (report, text, sha256)
        })
    })
    .await
    .map_err(|_| ApiError::internal())?
    .map_err(|e| invalid("file", e.to_string()))?;
    if text.len() > MAX_REPORT_BYTES {
        return Err(invalid(
            "sensitive",
            format!(
                "gives {} groups: too many to keep with the audit (the report would be {} KiB, at most {} KiB)",
                report.strata.iter().map(|st| st.groups.len()).sum::<usize>(),
                text.len() >> 10,
                MAX_REPORT_BYTES >> 10
            ),
        ));
    }
    let file_size = body.len() as u64;
    state.blobs.put_bytes(&sha256, body).await.map_err(|e| {
        tracing::error!(error = %e, "predictions file not kept");
        ApiError::internal()
    })?;
    let (checks, breaches) = check(&report, &thresholds);
    run.file_sha256 = sha256.clone();
    run.file_size = file_size;
    run.format = format.as_str().into();
    run.report = text;
    run.checks = checks;
    let stepped = record_metrics(&ctx, &case, run, breaches).map_err(refused)?;
    let step = json!({
        "action": "metrics",
        "file_sha256": sha256,
        "file_size": file_size,
        "format": format.as_str(),
        "y_true": options.y_true,
        "y_pred": options.y_pred,
        "sensitive": options.sensitive,
    });
    let case = write(
        &state,
        &caller,
        stepped,
        Some(expected),
        record.as_ref().map(|r| &r.system),
        step,
    )
    .await?;
    Ok(respond(&state, StatusCode::OK, shown(&caller, case)))
}
