//! `POST /api/v1/cases/{id}/metrics`: the algorithmic audit of an audit case.
//! The auditor sends the system's predictions on an evaluation set (CSV or
//! Parquet, the body) and names its columns; Senim keeps the file as a blob
//! (its digest goes into the case and the log), computes the metrics with
//! `senim-fairness`, checks them against the thresholds of the audit's rule
//! pack, and records the run on the case, with a finding for each breach.

use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use utoipa::IntoParams;

use senim_domain::case::Case;
use senim_domain::classification::Lang;
use senim_domain::oversight::{record_metrics, AuditItem, Breach, Ctx, MetricsRun, ThresholdCheck};
use senim_domain::{CaseKind, FieldError};
use senim_fairness::{Format, Options, Report, PRIVILEGED_METRICS};
use senim_rules::ThresholdView;

use crate::auth::Caller;
use crate::cases::{check_revision, pack_facts, resource, write};
use crate::error::ApiError;
use crate::policy::Action;
use crate::state::AppState;

/// The largest predictions file taken in one request.
pub const MAX_PREDICTIONS_BYTES: usize = 256 << 20;

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

/// A metrics run checked as far as it can be before its file is read.
pub struct Pending {
    case: Case,
    expected: i64,
    options: Options,
    format: Format,
    /// Whether the format was named (else a file starting `PAR1` is Parquet).
    format_named: bool,
    record: Option<senim_store::SystemRecord>,
    thresholds: Vec<ThresholdView>,
    facts: senim_domain::oversight::PackFacts,
    actor: senim_domain::AccountId,
}

/// Everything that can refuse a metrics run before its file is read: the
/// policy, the case's kind and revision, the columns, the privileged group
/// an AIF360 threshold needs, and the domain's own refusals (a closed audit,
/// another auditor). Nobody else makes the server hold a file.
pub async fn prepare(
    state: &AppState,
    caller: &Caller,
    case: Case,
    expected: i64,
    query: &MetricsQuery,
) -> Result<Pending, ApiError> {
    caller.require(state, Action::CaseFinding, &resource(&case, caller))?;
    let Some(account) = &caller.account else {
        return Err(ApiError::unauthenticated());
    };
    if case.kind() != CaseKind::Audit {
        return Err(invalid("id", "is not an audit"));
    }
    check_revision(&case, expected)?;
    let (options, format) = query.options()?;
    let record = match case.system_id {
        Some(id) => Some(state.store.system_with_current(id).await?),
        None => None,
    };
    // The pack the audit was opened under decides the thresholds.
    let (thresholds, facts) = {
        let book = state.rules.read().await;
        let pack = case
            .audit()
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
            .find(|t| PRIVILEGED_METRICS.contains(&t.metric.as_str()))
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
    let pending = Pending {
        case,
        expected,
        options,
        format,
        format_named: query.format.is_some(),
        record,
        thresholds,
        facts,
        actor: account.id,
    };
    record_metrics(
        &pending.ctx(state),
        &pending.case,
        pending.blank_run(state),
        Vec::new(),
    )?;
    Ok(pending)
}

impl Pending {
    fn ctx<'a>(&'a self, state: &'a AppState) -> Ctx<'a> {
        Ctx {
            now: state.clock.now(),
            calendar: &state.config.calendar,
            actor: self.actor,
            system: self.record.as_ref().map(|r| &r.system),
            linked: &[],
            pack: &self.facts,
            offender: None,
            mci_kzt: state.config.mci_kzt,
        }
    }

    fn blank_run(&self, state: &AppState) -> MetricsRun {
        MetricsRun {
            number: 0,
            file_sha256: String::new(),
            file_size: 0,
            format: String::new(),
            report: String::new(),
            checks: Vec::new(),
            at: state.clock.now(),
            by: self.actor,
        }
    }

    /// Computes the metrics on `file`, keeps the file, checks the pack's
    /// thresholds and records the run (with a finding for each breach).
    pub async fn run(
        self,
        state: &AppState,
        caller: &Caller,
        file: bytes::Bytes,
    ) -> Result<Case, ApiError> {
        let format = if !self.format_named && file.starts_with(b"PAR1") {
            Format::Parquet
        } else {
            self.format
        };
        let bytes = file.clone();
        let computing = self.options.clone();
        let (report, text, sha256) = tokio::task::spawn_blocking(move || {
            let sha256 = hex::encode(Sha256::digest(&bytes));
            senim_fairness::compute_bytes(bytes, format, &computing).map(|report| {
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
        let file_size = file.len() as u64;
        state.blobs.put_bytes(&sha256, file).await.map_err(|e| {
            tracing::error!(error = %e, "predictions file not kept");
            ApiError::internal()
        })?;
        let (checks, breaches) = check(&report, &self.thresholds);
        let run = MetricsRun {
            file_sha256: sha256.clone(),
            file_size,
            format: format.as_str().into(),
            report: text,
            checks,
            ..self.blank_run(state)
        };
        let stepped = record_metrics(&self.ctx(state), &self.case, run, breaches)?;
        let step = json!({
            "action": "metrics",
            "file_sha256": sha256,
            "file_size": file_size,
            "format": format.as_str(),
            "y_true": self.options.y_true,
            "y_pred": self.options.y_pred,
            "sensitive": self.options.sensitive,
        });
        write(
            state,
            caller,
            stepped,
            Some(self.expected),
            self.record.as_ref().map(|r| &r.system),
            step,
        )
        .await
    }
}

pub fn invalid(field: &str, reason: impl Into<String>) -> ApiError {
    ApiError::invalid(vec![FieldError {
        field: field.into(),
        reason: reason.into(),
    }])
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
            .map(|pair| Options::privileged_pair(&pair))
            .collect::<Result<_, _>>()
            .map_err(|e| invalid("privileged", e.to_string()))?;
        let format = match self.format.as_deref() {
            Some(f) => f
                .parse::<Format>()
                .map_err(|_| invalid("format", "must be csv or parquet"))?,
            None => Format::Csv,
        };
        Ok((options, format))
    }
}

/// The largest report kept with an audit (it is in the case and its events).
const MAX_REPORT_BYTES: usize = 1 << 20;

pub fn list(value: Option<&str>) -> Vec<String> {
    value
        .unwrap_or("")
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// The pack's thresholds checked against the report: with control features,
/// the worst stratum decides.
pub fn check(report: &Report, thresholds: &[ThresholdView]) -> (Vec<ThresholdCheck>, Vec<Breach>) {
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
