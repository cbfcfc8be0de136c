//! The report: typed values for the server, the JSON for `--format json`,
//! and a plain-text table for the terminal.
//!
//! The JSON schema is documented in METRICS.md ("JSON output"); this module
//! is its only producer.

use crate::bootstrap::{Interval, Scheme};
use crate::metrics::{Aggs, FairlearnFunctions, Methods, Metric, Sections, Side, Value};
use crate::options::Format;
use serde::Serialize;
use serde_json::{json, Map, Value as Json};
use std::fmt::Write as _;

/// The disparate-impact threshold of the four-fifths rule.
pub const FOUR_FIFTHS_THRESHOLD: f64 = 0.8;

/// `(feature, value)` pairs naming a group or a stratum.
pub type Labels = Vec<(String, String)>;

/// Name and version of the engine that computed a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Engine {
    /// `senim-fairness`.
    pub name: String,
    /// The crate version.
    pub version: String,
}

/// Facts about the input.
#[derive(Debug, Clone, PartialEq)]
pub struct InputFacts {
    /// CSV or Parquet.
    pub format: Format,
    /// Data rows read (header excluded).
    pub rows_read: u64,
    /// The `y_true` column.
    pub y_true: String,
    /// The `y_pred` column.
    pub y_pred: String,
    /// The score column, if any.
    pub score: Option<String>,
    /// The sample-weight column, if any.
    pub sample_weight: Option<String>,
    /// Sensitive feature columns.
    pub sensitive: Vec<String>,
    /// Control feature columns.
    pub control: Vec<String>,
    /// The canonical positive label.
    pub pos_label: String,
    /// The distinct canonical labels found (one or two).
    pub labels: Vec<String>,
    /// The privileged group definition (AIF360), possibly empty.
    pub privileged: Labels,
}

/// One group of a stratum.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// Sensitive feature → value.
    pub values: Labels,
    /// Whether the group is privileged (AIF360).
    pub privileged: bool,
}

/// One stratum (one combination of control values; a single stratum with
/// no control values when there are no control features).
#[derive(Debug, Clone, PartialEq)]
pub struct Stratum {
    /// Control feature → value (empty without control features).
    pub control: Labels,
    /// Rows in the stratum.
    pub rows: u64,
    /// Its groups, in report order (only groups that occur).
    pub groups: Vec<Group>,
}

/// Bootstrap settings and intervals.
#[derive(Debug, Clone, PartialEq)]
pub struct BootstrapReport {
    /// Replicates.
    pub n_boot: u32,
    /// Seed.
    pub seed: u64,
    /// Quantiles, in the order of every interval's values.
    pub quantiles: Vec<f64>,
    /// How replicates were drawn.
    pub scheme: Scheme,
    /// (cell, class) pairs whose resampled weight sum used the normal approximation.
    pub approximated_cells: usize,
    /// The intervals, shaped like the point estimates.
    pub intervals: Sections<Interval>,
}

/// A named scalar for thresholds and findings.
#[derive(Debug, Clone, PartialEq)]
pub struct Scalar {
    /// Canonical name, e.g. `demographic_parity_difference.between_groups`,
    /// `aif360.disparate_impact`, `difference.to_overall.selection_rate`.
    pub name: String,
    /// The stratum (empty without control features).
    pub control: Labels,
    /// The value.
    pub value: Value,
}

/// The result of an audit computation.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Engine name and version.
    pub engine: Engine,
    /// Input facts.
    pub input: InputFacts,
    /// The metrics computed, in column order of every metric vector.
    pub metrics: Vec<Metric>,
    /// Strata and their groups, in the order of every per-stratum vector.
    pub strata: Vec<Stratum>,
    /// The point estimates.
    pub estimates: Sections<Value>,
    /// Bootstrap intervals, when asked for.
    pub bootstrap: Option<BootstrapReport>,
}

fn labels_json(labels: &Labels) -> Json {
    Json::Object(
        labels
            .iter()
            .map(|(k, v)| (k.clone(), Json::String(v.clone())))
            .collect(),
    )
}

fn number_json(x: f64) -> Json {
    serde_json::Number::from_f64(x).map_or(Json::Null, Json::Number)
}

/// Turns values into JSON and remembers why undefined ones are undefined.
trait Cell {
    fn json(&self, path: &str, undefined: &mut Vec<Json>) -> Json;
}

impl Cell for Value {
    fn json(&self, path: &str, undefined: &mut Vec<Json>) -> Json {
        match self {
            Value::Number(x) => number_json(*x),
            Value::Undefined(reason) => {
                undefined.push(json!({"path": path, "reason": reason.code()}));
                Json::Null
            }
        }
    }
}

impl Cell for Interval {
    fn json(&self, _path: &str, _undefined: &mut Vec<Json>) -> Json {
        Json::Array(
            self.iter()
                .map(|v| v.map_or(Json::Null, number_json))
                .collect(),
        )
    }
}

struct Writer<'a> {
    metrics: &'a [Metric],
    undefined: Vec<Json>,
}

impl Writer<'_> {
    fn metric_map<T: Cell>(&mut self, values: &[T], path: &str) -> Json {
        let mut map = Map::new();
        for (metric, value) in self.metrics.iter().zip(values) {
            let p = format!("{path}/{}", metric.name());
            map.insert(metric.name().into(), value.json(&p, &mut self.undefined));
        }
        Json::Object(map)
    }

    fn methods<T: Cell>(&mut self, m: &Methods<T>, path: &str) -> Json {
        json!({
            "between_groups": m.between_groups.json(&format!("{path}/between_groups"), &mut self.undefined),
            "to_overall": m.to_overall.json(&format!("{path}/to_overall"), &mut self.undefined),
        })
    }

    fn aggs<T: Cell>(&mut self, a: &Aggs<T>, path: &str) -> Json {
        json!({
            "worst_case": self.methods(&a.worst_case, &format!("{path}/worst_case")),
            "mean": self.methods(&a.mean, &format!("{path}/mean")),
        })
    }

    fn side<T: Cell>(&mut self, s: &Side<T>, path: &str) -> Json {
        let mut map = Map::new();
        for (name, v) in [
            ("count", &s.count),
            ("total_weight", &s.total_weight),
            ("selection_rate", &s.selection_rate),
            ("true_positive_rate", &s.true_positive_rate),
            ("false_positive_rate", &s.false_positive_rate),
        ] {
            map.insert(
                name.into(),
                v.json(&format!("{path}/{name}"), &mut self.undefined),
            );
        }
        Json::Object(map)
    }

    fn fairlearn<T: Cell>(&mut self, f: &FairlearnFunctions<T>, path: &str) -> Map<String, Json> {
        let mut map = Map::new();
        let mut put_methods = |w: &mut Self, name: &str, m: &Methods<T>| {
            map.insert(name.into(), w.methods(m, &format!("{path}/{name}")));
        };
        put_methods(
            self,
            "demographic_parity_difference",
            &f.demographic_parity_difference,
        );
        put_methods(
            self,
            "demographic_parity_ratio",
            &f.demographic_parity_ratio,
        );
        put_methods(
            self,
            "equal_opportunity_difference",
            &f.equal_opportunity_difference,
        );
        put_methods(self, "equal_opportunity_ratio", &f.equal_opportunity_ratio);
        map.insert(
            "equalized_odds_difference".into(),
            self.aggs(
                &f.equalized_odds_difference,
                &format!("{path}/equalized_odds_difference"),
            ),
        );
        map.insert(
            "equalized_odds_ratio".into(),
            self.aggs(
                &f.equalized_odds_ratio,
                &format!("{path}/equalized_odds_ratio"),
            ),
        );
        map
    }

    /// The sections common to estimates and intervals; `prefix` is the JSON
    /// pointer of the object they go into.
    fn sections<T: Cell>(
        &mut self,
        strata: &[Stratum],
        s: &Sections<T>,
        prefix: &str,
        point: bool,
    ) -> Map<String, Json> {
        let mut out = Map::new();
        let control = |i: usize| {
            strata
                .get(i)
                .map_or(Json::Object(Map::new()), |s| labels_json(&s.control))
        };
        let mut overall = Vec::new();
        for (i, values) in s.overall.iter().enumerate() {
            let mut entry = Map::new();
            entry.insert("control".into(), control(i));
            if point {
                entry.insert("rows".into(), json!(strata.get(i).map_or(0, |s| s.rows)));
            }
            entry.insert(
                "metrics".into(),
                self.metric_map(values, &format!("{prefix}/overall/{i}/metrics")),
            );
            overall.push(Json::Object(entry));
        }
        out.insert("overall".into(), Json::Array(overall));
        let mut by_group = Vec::new();
        for (i, groups) in s.by_group.iter().enumerate() {
            for (g, values) in groups.iter().enumerate() {
                let index = by_group.len();
                let group = strata.get(i).and_then(|s| s.groups.get(g));
                let mut entry = Map::new();
                entry.insert("control".into(), control(i));
                entry.insert(
                    "group".into(),
                    group.map_or(Json::Null, |g| labels_json(&g.values)),
                );
                if point && !strata.is_empty() {
                    if let Some(g) = group {
                        entry.insert("privileged".into(), Json::Bool(g.privileged));
                    }
                }
                entry.insert(
                    "metrics".into(),
                    self.metric_map(values, &format!("{prefix}/by_group/{index}/metrics")),
                );
                by_group.push(Json::Object(entry));
            }
        }
        out.insert("by_group".into(), Json::Array(by_group));
        for (name, rows) in [("group_min", &s.group_min), ("group_max", &s.group_max)] {
            let mut list = Vec::new();
            for (i, values) in rows.iter().enumerate() {
                list.push(json!({
                    "control": control(i),
                    "metrics": self.metric_map(values, &format!("{prefix}/{name}/{i}/metrics")),
                }));
            }
            out.insert(name.into(), Json::Array(list));
        }
        for (name, rows) in [("difference", &s.difference), ("ratio", &s.ratio)] {
            let mut list = Vec::new();
            for (i, m) in rows.iter().enumerate() {
                list.push(json!({
                    "control": control(i),
                    "between_groups": self.metric_map(&m.between_groups, &format!("{prefix}/{name}/{i}/between_groups")),
                    "to_overall": self.metric_map(&m.to_overall, &format!("{prefix}/{name}/{i}/to_overall")),
                }));
            }
            out.insert(name.into(), Json::Array(list));
        }
        let mut fairlearn = Vec::new();
        for (i, f) in s.fairlearn.iter().enumerate() {
            let mut entry = Map::new();
            entry.insert("control".into(), control(i));
            entry.extend(self.fairlearn(f, &format!("{prefix}/fairlearn/{i}")));
            fairlearn.push(Json::Object(entry));
        }
        out.insert("fairlearn".into(), Json::Array(fairlearn));
        let aif = s.aif360.as_ref().map(|strata_aif| {
            let mut list = Vec::new();
            for (i, a) in strata_aif.iter().enumerate() {
                let path = format!("{prefix}/aif360/{i}");
                let mut entry = Map::new();
                entry.insert("control".into(), control(i));
                entry.insert(
                    "privileged".into(),
                    self.side(&a.privileged, &format!("{path}/privileged")),
                );
                entry.insert(
                    "unprivileged".into(),
                    self.side(&a.unprivileged, &format!("{path}/unprivileged")),
                );
                for (name, v) in [
                    (
                        "statistical_parity_difference",
                        &a.statistical_parity_difference,
                    ),
                    ("disparate_impact", &a.disparate_impact),
                    ("average_odds_difference", &a.average_odds_difference),
                    (
                        "equal_opportunity_difference",
                        &a.equal_opportunity_difference,
                    ),
                ] {
                    entry.insert(
                        name.into(),
                        v.json(&format!("{path}/{name}"), &mut self.undefined),
                    );
                }
                list.push(Json::Object(entry));
            }
            Json::Array(list)
        });
        out.insert("aif360".into(), aif.unwrap_or(Json::Null));
        out
    }
}

impl Report {
    /// The report as JSON (the schema in METRICS.md).
    pub fn to_json(&self) -> Json {
        let mut writer = Writer {
            metrics: &self.metrics,
            undefined: Vec::new(),
        };
        let mut root = Map::new();
        root.insert("engine".into(), json!(self.engine));
        let i = &self.input;
        root.insert(
            "input".into(),
            json!({
                "format": i.format.as_str(),
                "rows_read": i.rows_read,
                "columns": {
                    "y_true": i.y_true,
                    "y_pred": i.y_pred,
                    "score": i.score,
                    "sample_weight": i.sample_weight,
                    "sensitive": i.sensitive,
                    "control": i.control,
                },
                "pos_label": i.pos_label,
                "labels": i.labels,
                "privileged": i.privileged.iter().map(|(c, v)| json!({"column": c, "value": v})).collect::<Vec<_>>(),
                "strata": self.strata.len(),
                "groups": self.strata.iter().map(|s| s.groups.len()).sum::<usize>(),
            }),
        );
        root.insert(
            "metrics".into(),
            Json::Array(
                self.metrics
                    .iter()
                    .map(|m| Json::String(m.name().into()))
                    .collect(),
            ),
        );
        let mut sections = writer.sections(&self.strata, &self.estimates, "", true);
        if let (Some(Json::Array(list)), Some(aif)) =
            (sections.get_mut("aif360"), &self.estimates.aif360)
        {
            for (entry, a) in list.iter_mut().zip(aif) {
                if let Json::Object(map) = entry {
                    let violated = a
                        .disparate_impact
                        .get()
                        .map(|di| di < FOUR_FIFTHS_THRESHOLD);
                    map.insert(
                        "four_fifths_rule".into(),
                        json!({"threshold": FOUR_FIFTHS_THRESHOLD, "violated": violated}),
                    );
                }
            }
        }
        root.extend(sections);
        let bootstrap = self.bootstrap.as_ref().map(|b| {
            let mut map = Map::new();
            map.insert("n_boot".into(), json!(b.n_boot));
            map.insert("seed".into(), json!(b.seed));
            map.insert("quantiles".into(), json!(b.quantiles));
            map.insert("scheme".into(), json!(b.scheme.code()));
            map.insert("approximated_cells".into(), json!(b.approximated_cells));
            map.extend(writer.sections(&self.strata, &b.intervals, "/bootstrap", false));
            Json::Object(map)
        });
        root.insert("bootstrap".into(), bootstrap.unwrap_or(Json::Null));
        root.insert("undefined".into(), Json::Array(writer.undefined));
        Json::Object(root)
    }

    /// Every aggregate scalar (not the per-group values), named canonically,
    /// per stratum.
    pub fn scalars(&self) -> Vec<Scalar> {
        let mut out = Vec::new();
        let e = &self.estimates;
        for (i, stratum) in self.strata.iter().enumerate() {
            let mut push = |name: String, value: Value| {
                out.push(Scalar {
                    name,
                    control: stratum.control.clone(),
                    value,
                })
            };
            for (section, rows) in [
                ("overall", &e.overall),
                ("group_min", &e.group_min),
                ("group_max", &e.group_max),
            ] {
                if let Some(values) = rows.get(i) {
                    for (m, v) in self.metrics.iter().zip(values) {
                        push(format!("{section}.{}", m.name()), *v);
                    }
                }
            }
            for (section, rows) in [("difference", &e.difference), ("ratio", &e.ratio)] {
                if let Some(methods) = rows.get(i) {
                    for (method, values) in [
                        ("between_groups", &methods.between_groups),
                        ("to_overall", &methods.to_overall),
                    ] {
                        for (m, v) in self.metrics.iter().zip(values) {
                            push(format!("{section}.{method}.{}", m.name()), *v);
                        }
                    }
                }
            }
            if let Some(f) = e.fairlearn.get(i) {
                for (name, m) in [
                    (
                        "demographic_parity_difference",
                        &f.demographic_parity_difference,
                    ),
                    ("demographic_parity_ratio", &f.demographic_parity_ratio),
                    (
                        "equal_opportunity_difference",
                        &f.equal_opportunity_difference,
                    ),
                    ("equal_opportunity_ratio", &f.equal_opportunity_ratio),
                ] {
                    push(format!("{name}.between_groups"), m.between_groups);
                    push(format!("{name}.to_overall"), m.to_overall);
                }
                for (name, a) in [
                    ("equalized_odds_difference", &f.equalized_odds_difference),
                    ("equalized_odds_ratio", &f.equalized_odds_ratio),
                ] {
                    for (agg, m) in [("worst_case", &a.worst_case), ("mean", &a.mean)] {
                        push(format!("{name}.{agg}.between_groups"), m.between_groups);
                        push(format!("{name}.{agg}.to_overall"), m.to_overall);
                    }
                }
            }
            if let Some(a) = e.aif360.as_ref().and_then(|a| a.get(i)) {
                push(
                    "aif360.statistical_parity_difference".into(),
                    a.statistical_parity_difference,
                );
                push("aif360.disparate_impact".into(), a.disparate_impact);
                push(
                    "aif360.average_odds_difference".into(),
                    a.average_odds_difference,
                );
                push(
                    "aif360.equal_opportunity_difference".into(),
                    a.equal_opportunity_difference,
                );
            }
        }
        out
    }

    /// The canonical name for a short name: `demographic_parity_difference`
    /// means its `between_groups` value, `equalized_odds_difference` its
    /// `worst_case.between_groups`, `disparate_impact` the AIF360 one.
    pub fn canonical_name(name: &str) -> String {
        const METHODS: [&str; 4] = [
            "demographic_parity_difference",
            "demographic_parity_ratio",
            "equal_opportunity_difference",
            "equal_opportunity_ratio",
        ];
        const AGGS: [&str; 2] = ["equalized_odds_difference", "equalized_odds_ratio"];
        const AIF: [&str; 3] = [
            "statistical_parity_difference",
            "disparate_impact",
            "average_odds_difference",
        ];
        if AIF.contains(&name) {
            return format!("aif360.{name}");
        }
        if METHODS.contains(&name) {
            return format!("{name}.between_groups");
        }
        if AGGS.contains(&name) {
            return format!("{name}.worst_case.between_groups");
        }
        for base in AGGS {
            if let Some(rest) = name.strip_prefix(base).and_then(|r| r.strip_prefix('.')) {
                return match rest {
                    "worst_case" | "mean" => format!("{base}.{rest}.between_groups"),
                    "between_groups" | "to_overall" => format!("{base}.worst_case.{rest}"),
                    _ => name.to_string(),
                };
            }
        }
        name.to_string()
    }

    /// A scalar of the first stratum by name (see [`Report::canonical_name`]
    /// for short names); `None` when unknown or undefined.
    pub fn value(&self, name: &str) -> Option<f64> {
        self.values(name).first().and_then(|(_, v)| v.get())
    }

    /// A scalar in every stratum, by name.
    pub fn values(&self, name: &str) -> Vec<(Labels, Value)> {
        let canonical = Report::canonical_name(name);
        self.scalars()
            .into_iter()
            .filter(|s| s.name == canonical)
            .map(|s| (s.control, s.value))
            .collect()
    }

    /// A plain-text table for a terminal.
    pub fn to_table(&self) -> String {
        let mut out = String::new();
        let i = &self.input;
        let _ = writeln!(
            out,
            "{} {} — {} rows ({}), positive label {:?}, labels {:?}",
            self.engine.name,
            self.engine.version,
            i.rows_read,
            i.format.as_str(),
            i.pos_label,
            i.labels
        );
        let _ = writeln!(
            out,
            "y_true={} y_pred={} score={} weight={} sensitive={} control={}",
            i.y_true,
            i.y_pred,
            i.score.as_deref().unwrap_or("-"),
            i.sample_weight.as_deref().unwrap_or("-"),
            i.sensitive.join(","),
            if i.control.is_empty() {
                "-".to_string()
            } else {
                i.control.join(",")
            }
        );
        let short = |m: &Metric| match m {
            Metric::Count => "count",
            Metric::SelectionRate => "sel_rate",
            Metric::TruePositiveRate => "TPR",
            Metric::FalsePositiveRate => "FPR",
            Metric::TrueNegativeRate => "TNR",
            Metric::FalseNegativeRate => "FNR",
            Metric::PrecisionScore => "precision",
            Metric::AccuracyScore => "accuracy",
            Metric::BalancedAccuracyScore => "bal_acc",
            Metric::RocAucScore => "roc_auc",
        };
        let cell = |m: &Metric, v: &Value| match (m, v) {
            (_, Value::Undefined(_)) => "—".to_string(),
            (Metric::Count, Value::Number(x)) if x.fract() == 0.0 => format!("{x:.0}"),
            (_, Value::Number(x)) => format!("{x:.4}"),
        };
        let e = &self.estimates;
        for (s, stratum) in self.strata.iter().enumerate() {
            out.push('\n');
            if !stratum.control.is_empty() {
                let _ = writeln!(
                    out,
                    "== stratum {} ({} rows)",
                    join_labels(&stratum.control),
                    stratum.rows
                );
            }
            let mut rows: Vec<(String, Vec<String>)> = Vec::new();
            let header: Vec<String> = self.metrics.iter().map(|m| short(m).to_string()).collect();
            let fmt_row = |values: &[Value]| -> Vec<String> {
                self.metrics
                    .iter()
                    .zip(values)
                    .map(|(m, v)| cell(m, v))
                    .collect()
            };
            if let Some(v) = e.overall.get(s) {
                rows.push(("overall".into(), fmt_row(v)));
            }
            for (g, group) in stratum.groups.iter().enumerate() {
                if let Some(v) = e.by_group.get(s).and_then(|b| b.get(g)) {
                    let mark = if group.privileged { " *" } else { "" };
                    rows.push((format!("{}{mark}", join_labels(&group.values)), fmt_row(v)));
                }
            }
            let aggregates: [(&str, Option<&Vec<Value>>); 6] = [
                ("group_min", e.group_min.get(s)),
                ("group_max", e.group_max.get(s)),
                (
                    "difference (between)",
                    e.difference.get(s).map(|m| &m.between_groups),
                ),
                (
                    "difference (to overall)",
                    e.difference.get(s).map(|m| &m.to_overall),
                ),
                ("ratio (between)", e.ratio.get(s).map(|m| &m.between_groups)),
                ("ratio (to overall)", e.ratio.get(s).map(|m| &m.to_overall)),
            ];
            let separator = rows.len();
            for (name, values) in aggregates {
                if let Some(v) = values {
                    rows.push((
                        name.into(),
                        v.iter().map(|x| cell(&Metric::SelectionRate, x)).collect(),
                    ));
                }
            }
            let first_width = rows
                .iter()
                .map(|r| r.0.chars().count())
                .max()
                .unwrap_or(0)
                .max(5);
            let widths: Vec<usize> = header
                .iter()
                .enumerate()
                .map(|(c, h)| {
                    rows.iter()
                        .filter_map(|r| r.1.get(c))
                        .map(|x| x.chars().count())
                        .max()
                        .unwrap_or(0)
                        .max(h.len())
                })
                .collect();
            let _ = write!(out, "{:first_width$}", "group");
            for (h, w) in header.iter().zip(&widths) {
                let _ = write!(out, "  {h:>w$}");
            }
            out.push('\n');
            for (r, (name, values)) in rows.iter().enumerate() {
                if r == separator {
                    let _ = writeln!(
                        out,
                        "{}",
                        "-".repeat(first_width + widths.iter().map(|w| w + 2).sum::<usize>())
                    );
                }
                let pad = first_width.saturating_sub(name.chars().count());
                let _ = write!(out, "{name}{}", " ".repeat(pad));
                for (v, w) in values.iter().zip(&widths) {
                    let _ = write!(out, "  {v:>w$}");
                }
                out.push('\n');
            }
            let scalar = |v: &Value| match v {
                Value::Number(x) => format!("{x:.4}"),
                Value::Undefined(r) => format!("— ({})", r.code()),
            };
            if let Some(f) = e.fairlearn.get(s) {
                let _ = writeln!(
                    out,
                    "\nfairlearn functions            between_groups   to_overall"
                );
                for (name, m) in [
                    (
                        "demographic_parity_difference",
                        &f.demographic_parity_difference,
                    ),
                    ("demographic_parity_ratio", &f.demographic_parity_ratio),
                    (
                        "equal_opportunity_difference",
                        &f.equal_opportunity_difference,
                    ),
                    ("equal_opportunity_ratio", &f.equal_opportunity_ratio),
                ] {
                    let _ = writeln!(
                        out,
                        "  {name:<32} {:>12} {:>12}",
                        scalar(&m.between_groups),
                        scalar(&m.to_overall)
                    );
                }
                for (name, a) in [
                    ("equalized_odds_difference", &f.equalized_odds_difference),
                    ("equalized_odds_ratio", &f.equalized_odds_ratio),
                ] {
                    let _ = writeln!(
                        out,
                        "  {:<32} {:>12} {:>12}",
                        format!("{name} (worst)"),
                        scalar(&a.worst_case.between_groups),
                        scalar(&a.worst_case.to_overall)
                    );
                    let _ = writeln!(
                        out,
                        "  {:<32} {:>12} {:>12}",
                        format!("{name} (mean)"),
                        scalar(&a.mean.between_groups),
                        scalar(&a.mean.to_overall)
                    );
                }
            }
            if let Some(a) = e.aif360.as_ref().and_then(|a| a.get(s)) {
                let _ = writeln!(
                    out,
                    "\naif360 (privileged: {}, marked *)",
                    join_labels(&i.privileged)
                );
                let _ = writeln!(
                    out,
                    "  statistical_parity_difference  {}",
                    scalar(&a.statistical_parity_difference)
                );
                let four_fifths = match a.disparate_impact.get() {
                    Some(di) if di < FOUR_FIFTHS_THRESHOLD => "  four-fifths rule VIOLATED",
                    Some(_) => "  four-fifths rule met",
                    None => "",
                };
                let _ = writeln!(
                    out,
                    "  disparate_impact               {}{four_fifths}",
                    scalar(&a.disparate_impact)
                );
                let _ = writeln!(
                    out,
                    "  average_odds_difference        {}",
                    scalar(&a.average_odds_difference)
                );
                let _ = writeln!(
                    out,
                    "  equal_opportunity_difference   {}",
                    scalar(&a.equal_opportunity_difference)
                );
            }
            if let Some(b) = &self.bootstrap {
                let q: Vec<String> = b.quantiles.iter().map(|q| format!("{q}")).collect();
                let _ = writeln!(
                    out,
                    "\nbootstrap ({} replicates, seed {}, {}; quantiles {})",
                    b.n_boot,
                    b.seed,
                    b.scheme.code(),
                    q.join(", ")
                );
                let interval = |v: &Interval| {
                    let parts: Vec<String> = v
                        .iter()
                        .map(|x| x.map_or("—".into(), |x| format!("{x:.4}")))
                        .collect();
                    format!("[{}]", parts.join(", "))
                };
                if let Some(values) = b.intervals.overall.get(s) {
                    for (m, v) in self.metrics.iter().zip(values) {
                        let _ = writeln!(out, "  overall {:<26} {}", m.name(), interval(v));
                    }
                }
                if let Some(f) = b.intervals.fairlearn.get(s) {
                    let _ = writeln!(
                        out,
                        "  {:<34} {}",
                        "demographic_parity_difference",
                        interval(&f.demographic_parity_difference.between_groups)
                    );
                    let _ = writeln!(
                        out,
                        "  {:<34} {}",
                        "demographic_parity_ratio",
                        interval(&f.demographic_parity_ratio.between_groups)
                    );
                    let _ = writeln!(
                        out,
                        "  {:<34} {}",
                        "equalized_odds_difference",
                        interval(&f.equalized_odds_difference.worst_case.between_groups)
                    );
                    let _ = writeln!(
                        out,
                        "  {:<34} {}",
                        "equal_opportunity_difference",
                        interval(&f.equal_opportunity_difference.between_groups)
                    );
                }
                if let Some(a) = b.intervals.aif360.as_ref().and_then(|a| a.get(s)) {
                    let _ = writeln!(
                        out,
                        "  {:<34} {}",
                        "aif360.disparate_impact",
                        interval(&a.disparate_impact)
                    );
                    let _ = writeln!(
                        out,
                        "  {:<34} {}",
                        "aif360.statistical_parity_difference",
                        interval(&a.statistical_parity_difference)
                    );
                }
            }
        }
        let undefined: usize = {
            let mut n = 0;
            self.estimates
                .map(&mut |v: &Value| n += usize::from(v.reason().is_some()));
            n
        };
        if undefined > 0 {
            let _ = writeln!(out, "\n— = undefined ({undefined} values; reasons in the JSON output's \"undefined\" list)");
        }
        out
    }
}

fn join_labels(labels: &Labels) -> String {
    labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Serialize for Report {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}
