//! Metric definitions and their Fairlearn / scikit-learn / AIF360
//! semantics, computed from weighted 2×2 confusion matrices.
//!
//! Everything here works on per-cell confusion matrices (and per-cell ROC
//! AUC values), so the same code serves the point estimates and every
//! bootstrap replicate. METRICS.md gives each formula and edge case with the
//! library function it matches.

use serde::Serialize;

/// A weighted 2×2 confusion matrix plus its row count.
///
/// `w` holds the summed weights of `[TN, FP, FN, TP]`, indexed by
/// `2 * y_true_positive + y_pred_positive`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Conf {
    /// Rows (unweighted), Fairlearn's `count`.
    pub n: u64,
    /// Summed weights of TN, FP, FN, TP.
    pub w: [f64; 4],
}

impl Conf {
    /// Adds another matrix to this one.
    pub fn add(&mut self, other: &Conf) {
        self.n += other.n;
        for (a, b) in self.w.iter_mut().zip(other.w.iter()) {
            *a += *b;
        }
    }
    fn tn(&self) -> f64 {
        self.w[0]
    }
    fn fp(&self) -> f64 {
        self.w[1]
    }
    fn fn_(&self) -> f64 {
        self.w[2]
    }
    fn tp(&self) -> f64 {
        self.w[3]
    }
    fn total(&self) -> f64 {
        self.w[0] + self.w[1] + self.w[2] + self.w[3]
    }
    fn positives(&self) -> f64 {
        self.w[2] + self.w[3]
    }
    fn negatives(&self) -> f64 {
        self.w[0] + self.w[1]
    }
}

/// The per-group metrics, named after the Fairlearn/scikit-learn functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// `fairlearn.metrics.count`: rows in the group.
    Count,
    /// `fairlearn.metrics.selection_rate`.
    SelectionRate,
    /// `fairlearn.metrics.true_positive_rate`.
    TruePositiveRate,
    /// `fairlearn.metrics.false_positive_rate`.
    FalsePositiveRate,
    /// `fairlearn.metrics.true_negative_rate`.
    TrueNegativeRate,
    /// `fairlearn.metrics.false_negative_rate`.
    FalseNegativeRate,
    /// `sklearn.metrics.precision_score` (zero_division="warn", i.e. 0).
    PrecisionScore,
    /// `sklearn.metrics.accuracy_score`.
    AccuracyScore,
    /// `sklearn.metrics.balanced_accuracy_score`.
    BalancedAccuracyScore,
    /// `sklearn.metrics.roc_auc_score` (only with a score column).
    RocAucScore,
}

impl Metric {
    /// The metric's name (the Python function's name).
    pub fn name(self) -> &'static str {
        match self {
            Metric::Count => "count",
            Metric::SelectionRate => "selection_rate",
            Metric::TruePositiveRate => "true_positive_rate",
            Metric::FalsePositiveRate => "false_positive_rate",
            Metric::TrueNegativeRate => "true_negative_rate",
            Metric::FalseNegativeRate => "false_negative_rate",
            Metric::PrecisionScore => "precision_score",
            Metric::AccuracyScore => "accuracy_score",
            Metric::BalancedAccuracyScore => "balanced_accuracy_score",
            Metric::RocAucScore => "roc_auc_score",
        }
    }

    /// The metrics computed, in report order.
    pub fn all(with_score: bool) -> Vec<Metric> {
        let mut metrics = vec![
            Metric::Count,
            Metric::SelectionRate,
            Metric::TruePositiveRate,
            Metric::FalsePositiveRate,
            Metric::TrueNegativeRate,
            Metric::FalseNegativeRate,
            Metric::PrecisionScore,
            Metric::AccuracyScore,
            Metric::BalancedAccuracyScore,
        ];
        if with_score {
            metrics.push(Metric::RocAucScore);
        }
        metrics
    }
}

/// Why a value is undefined (JSON `null`). The codes are stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Undefined {
    /// The rows' weights sum to zero (selection rate and accuracy divide by it).
    ZeroTotalWeight,
    /// `y_true` has one class (by weight) so ROC AUC is undefined.
    SingleClassInYTrue,
    /// No group value is defined, so no min/max/difference/ratio.
    NoDefinedGroupValue,
    /// The overall value is undefined, so nothing is compared to it.
    OverallUndefined,
    /// A ratio's denominator is zero (0/0, or x/0 in AIF360's ratios).
    ZeroDenominator,
    /// No privileged rows (AIF360).
    NoPrivilegedRows,
    /// No unprivileged rows (AIF360).
    NoUnprivilegedRows,
    /// AIF360 rate with no (weighted) positives in `y_true`.
    NoPositives,
    /// AIF360 rate with no (weighted) negatives in `y_true`.
    NoNegatives,
    /// The group is absent from a bootstrap replicate.
    AbsentFromReplicate,
    /// Not computed (e.g. ROC AUC bootstrap above the row-resampling limit).
    NotComputed,
}

impl Undefined {
    /// The stable reason code used in the JSON.
    pub fn code(self) -> &'static str {
        match self {
            Undefined::ZeroTotalWeight => "zero_total_weight",
            Undefined::SingleClassInYTrue => "single_class_in_y_true",
            Undefined::NoDefinedGroupValue => "no_defined_group_value",
            Undefined::OverallUndefined => "overall_undefined",
            Undefined::ZeroDenominator => "zero_denominator",
            Undefined::NoPrivilegedRows => "no_privileged_rows",
            Undefined::NoUnprivilegedRows => "no_unprivileged_rows",
            Undefined::NoPositives => "no_positives",
            Undefined::NoNegatives => "no_negatives",
            Undefined::AbsentFromReplicate => "absent_from_replicate",
            Undefined::NotComputed => "not_computed",
        }
    }
}

/// A metric value: a number, or undefined with a reason.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    /// A finite number.
    Number(f64),
    /// Undefined (JSON `null`), with the reason.
    Undefined(Undefined),
}

impl Value {
    /// The number, if defined.
    pub fn get(self) -> Option<f64> {
        match self {
            Value::Number(x) => Some(x),
            Value::Undefined(_) => None,
        }
    }

    /// The reason, if undefined.
    pub fn reason(self) -> Option<Undefined> {
        match self {
            Value::Number(_) => None,
            Value::Undefined(reason) => Some(reason),
        }
    }

    fn from_division(numerator: f64, denominator: f64, reason: Undefined) -> Value {
        if denominator == 0.0 {
            Value::Undefined(reason)
        } else {
            Value::Number(numerator / denominator)
        }
    }

    fn combine(self, other: Value, f: impl Fn(f64, f64) -> f64) -> Value {
        match (self, other) {
            (Value::Number(a), Value::Number(b)) => Value::Number(f(a, b)),
            (Value::Undefined(r), _) | (_, Value::Undefined(r)) => Value::Undefined(r),
        }
    }
}

/// Fairlearn's confusion-matrix rate: `normalize="true"` then
/// `nan_to_num`, so 0/0 is 0.
fn fairlearn_rate(numerator: f64, denominator: f64) -> f64 {
    if denominator == 0.0 {
        0.0
    } else {
        numerator / denominator
    }
}

/// One metric of one group (or overall) from its confusion matrix.
pub(crate) fn metric_value(metric: Metric, conf: &Conf, auc: Value) -> Value {
    if conf.n == 0 {
        return Value::Undefined(Undefined::AbsentFromReplicate);
    }
    let total = conf.total();
    // scikit-learn >= 1.6 raises "Sample weights must contain at least one
    // non-zero number" for every weighted metric of such a group.
    if total == 0.0 && metric != Metric::Count {
        return Value::Undefined(Undefined::ZeroTotalWeight);
    }
    match metric {
        Metric::Count => Value::Number(conf.n as f64),
        Metric::SelectionRate => {
            Value::from_division(conf.fp() + conf.tp(), total, Undefined::ZeroTotalWeight)
        }
        Metric::TruePositiveRate => Value::Number(fairlearn_rate(conf.tp(), conf.positives())),
        Metric::FalsePositiveRate => Value::Number(fairlearn_rate(conf.fp(), conf.negatives())),
        Metric::TrueNegativeRate => Value::Number(fairlearn_rate(conf.tn(), conf.negatives())),
        Metric::FalseNegativeRate => Value::Number(fairlearn_rate(conf.fn_(), conf.positives())),
        // precision_score's zero_division="warn" yields 0.
        Metric::PrecisionScore => Value::Number(fairlearn_rate(conf.tp(), conf.tp() + conf.fp())),
        // accuracy_score raises ZeroDivisionError when weights sum to 0.
        Metric::AccuracyScore => {
            Value::from_division(conf.tp() + conf.tn(), total, Undefined::ZeroTotalWeight)
        }
        Metric::BalancedAccuracyScore => {
            // Per-class recall over the classes present with positive weight
            // (scikit-learn drops the NaN of a class with no true rows).
            let mut sum = 0.0;
            let mut classes = 0.0;
            if conf.negatives() > 0.0 {
                sum += conf.tn() / conf.negatives();
                classes += 1.0;
            }
            if conf.positives() > 0.0 {
                sum += conf.tp() / conf.positives();
                classes += 1.0;
            }
            if classes == 0.0 {
                Value::Undefined(Undefined::ZeroTotalWeight)
            } else {
                Value::Number(sum / classes)
            }
        }
        Metric::RocAucScore => auc,
    }
}

/// A value under both comparison methods of `MetricFrame.difference`/`ratio`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Methods<T> {
    /// `method="between_groups"`.
    pub between_groups: T,
    /// `method="to_overall"`.
    pub to_overall: T,
}

/// A value under both aggregations of the equalized-odds functions.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Aggs<T> {
    /// `agg="worst_case"`.
    pub worst_case: Methods<T>,
    /// `agg="mean"`.
    pub mean: Methods<T>,
}

/// Fairlearn's fairness functions for one stratum.
#[derive(Debug, Clone, PartialEq)]
pub struct FairlearnFunctions<T> {
    /// `demographic_parity_difference`.
    pub demographic_parity_difference: Methods<T>,
    /// `demographic_parity_ratio`.
    pub demographic_parity_ratio: Methods<T>,
    /// `equalized_odds_difference`.
    pub equalized_odds_difference: Aggs<T>,
    /// `equalized_odds_ratio`.
    pub equalized_odds_ratio: Aggs<T>,
    /// `equal_opportunity_difference`.
    pub equal_opportunity_difference: Methods<T>,
    /// `equal_opportunity_ratio`.
    pub equal_opportunity_ratio: Methods<T>,
}

/// Rates of one side (privileged or unprivileged) for AIF360.
#[derive(Debug, Clone, PartialEq)]
pub struct Side<T> {
    /// Rows.
    pub count: T,
    /// Summed weight.
    pub total_weight: T,
    /// P(ŷ=+), weighted.
    pub selection_rate: T,
    /// TP/P, weighted (undefined when P = 0, as AIF360's NaN).
    pub true_positive_rate: T,
    /// FP/N, weighted (undefined when N = 0).
    pub false_positive_rate: T,
}

/// AIF360's signed privileged-vs-unprivileged metrics for one stratum.
#[derive(Debug, Clone, PartialEq)]
pub struct Aif360<T> {
    /// The privileged side.
    pub privileged: Side<T>,
    /// Everyone else.
    pub unprivileged: Side<T>,
    /// `SR_u − SR_p`.
    pub statistical_parity_difference: T,
    /// `SR_u / SR_p`.
    pub disparate_impact: T,
    /// `½[(FPR_u − FPR_p) + (TPR_u − TPR_p)]`.
    pub average_odds_difference: T,
    /// `TPR_u − TPR_p`.
    pub equal_opportunity_difference: T,
}

/// Every number of a report, by stratum; `T` is [`Value`] for the point
/// estimates and an interval for the bootstrap.
#[derive(Debug, Clone, PartialEq)]
pub struct Sections<T> {
    /// `MetricFrame.overall`, per stratum, per metric.
    pub overall: Vec<Vec<T>>,
    /// `MetricFrame.by_group`, per stratum, per group, per metric.
    pub by_group: Vec<Vec<Vec<T>>>,
    /// `MetricFrame.group_min()`, per stratum, per metric.
    pub group_min: Vec<Vec<T>>,
    /// `MetricFrame.group_max()`, per stratum, per metric.
    pub group_max: Vec<Vec<T>>,
    /// `MetricFrame.difference(method)`, per stratum, per metric.
    pub difference: Vec<Methods<Vec<T>>>,
    /// `MetricFrame.ratio(method)`, per stratum, per metric.
    pub ratio: Vec<Methods<Vec<T>>>,
    /// Fairlearn's fairness functions, per stratum.
    pub fairlearn: Vec<FairlearnFunctions<T>>,
    /// AIF360's metrics per stratum, when a privileged group is given.
    pub aif360: Option<Vec<Aif360<T>>>,
}

fn map_vec<T, U>(v: &[T], f: &mut impl FnMut(&T) -> U) -> Vec<U> {
    v.iter().map(f).collect()
}

fn map_methods<T, U>(m: &Methods<T>, f: &mut impl FnMut(&T) -> U) -> Methods<U> {
    Methods {
        between_groups: f(&m.between_groups),
        to_overall: f(&m.to_overall),
    }
}

fn map_aggs<T, U>(a: &Aggs<T>, f: &mut impl FnMut(&T) -> U) -> Aggs<U> {
    Aggs {
        worst_case: map_methods(&a.worst_case, f),
        mean: map_methods(&a.mean, f),
    }
}

fn map_side<T, U>(s: &Side<T>, f: &mut impl FnMut(&T) -> U) -> Side<U> {
    Side {
        count: f(&s.count),
        total_weight: f(&s.total_weight),
        selection_rate: f(&s.selection_rate),
        true_positive_rate: f(&s.true_positive_rate),
        false_positive_rate: f(&s.false_positive_rate),
    }
}

impl<T> Sections<T> {
    /// Applies `f` to every value in a fixed order (the order is the same
    /// for every `Sections` of the same layout).
    pub fn map<U>(&self, f: &mut impl FnMut(&T) -> U) -> Sections<U> {
        Sections {
            overall: self.overall.iter().map(|v| map_vec(v, f)).collect(),
            by_group: self
                .by_group
                .iter()
                .map(|groups| groups.iter().map(|v| map_vec(v, f)).collect())
                .collect(),
            group_min: self.group_min.iter().map(|v| map_vec(v, f)).collect(),
            group_max: self.group_max.iter().map(|v| map_vec(v, f)).collect(),
            difference: self
                .difference
                .iter()
                .map(|m| Methods {
                    between_groups: map_vec(&m.between_groups, f),
                    to_overall: map_vec(&m.to_overall, f),
                })
                .collect(),
            ratio: self
                .ratio
                .iter()
                .map(|m| Methods {
                    between_groups: map_vec(&m.between_groups, f),
                    to_overall: map_vec(&m.to_overall, f),
                })
                .collect(),
            fairlearn: self
                .fairlearn
                .iter()
                .map(|x| FairlearnFunctions {
                    demographic_parity_difference: map_methods(&x.demographic_parity_difference, f),
                    demographic_parity_ratio: map_methods(&x.demographic_parity_ratio, f),
                    equalized_odds_difference: map_aggs(&x.equalized_odds_difference, f),
                    equalized_odds_ratio: map_aggs(&x.equalized_odds_ratio, f),
                    equal_opportunity_difference: map_methods(&x.equal_opportunity_difference, f),
                    equal_opportunity_ratio: map_methods(&x.equal_opportunity_ratio, f),
                })
                .collect(),
            aif360: self.aif360.as_ref().map(|strata| {
                strata
                    .iter()
                    .map(|a| Aif360 {
                        privileged: map_side(&a.privileged, f),
                        unprivileged: map_side(&a.unprivileged, f),
                        statistical_parity_difference: f(&a.statistical_parity_difference),
                        disparate_impact: f(&a.disparate_impact),
                        average_odds_difference: f(&a.average_odds_difference),
                        equal_opportunity_difference: f(&a.equal_opportunity_difference),
                    })
                    .collect()
            }),
        }
    }
}

/// The fixed shape of a report: strata, their groups and the cells behind them.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub(crate) strata: Vec<StratumLayout>,
    pub(crate) has_privileged: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct StratumLayout {
    pub(crate) control: Vec<(String, String)>,
    pub(crate) groups: Vec<GroupLayout>,
}

#[derive(Debug, Clone)]
pub(crate) struct GroupLayout {
    pub(crate) cell: usize,
    pub(crate) group: Vec<(String, String)>,
    pub(crate) privileged: bool,
}

/// ROC AUC per cell and per stratum (overall), when a score is given.
#[derive(Debug, Clone)]
pub(crate) struct AucValues {
    pub(crate) by_cell: Vec<Value>,
    pub(crate) by_stratum: Vec<Value>,
}

/// min, max, differences and ratios of one metric across the groups of a stratum.
struct Aggregate {
    min: Value,
    max: Value,
    difference: Methods<Value>,
    ratio: Methods<Value>,
}

fn aggregate(overall: Value, groups: &[Value]) -> Aggregate {
    let defined: Vec<f64> = groups.iter().filter_map(|v| v.get()).collect();
    let none = Value::Undefined(Undefined::NoDefinedGroupValue);
    let Some(&first) = defined.first() else {
        return Aggregate {
            min: none,
            max: none,
            difference: Methods {
                between_groups: none,
                to_overall: none,
            },
            ratio: Methods {
                between_groups: none,
                to_overall: none,
            },
        };
    };
    let min = defined.iter().copied().fold(first, f64::min);
    let max = defined.iter().copied().fold(first, f64::max);
    // (by_group - group_min).abs().max()
    let between = defined.iter().map(|v| (v - min).abs()).fold(0.0, f64::max);
    let ratio_between = {
        let r = min / max;
        if r.is_finite() {
            Value::Number(r)
        } else {
            Value::Undefined(Undefined::ZeroDenominator)
        }
    };
    let (to_overall, ratio_to_overall) = match overall.get() {
        None => (
            Value::Undefined(Undefined::OverallUndefined),
            Value::Undefined(Undefined::OverallUndefined),
        ),
        Some(o) => {
            let difference = defined.iter().map(|v| (v - o).abs()).fold(0.0, f64::max);
            // ratio_sub_one(by_group / overall), NaN (0/0) skipped by min().
            let ratio = defined
                .iter()
                .map(|v| v / o)
                .filter(|r| !r.is_nan())
                .map(|r| if r > 1.0 { 1.0 / r } else { r })
                .fold(None, |acc: Option<f64>, r| {
                    Some(acc.map_or(r, |a| a.min(r)))
                });
            (
                Value::Number(difference),
                ratio.map_or(Value::Undefined(Undefined::ZeroDenominator), Value::Number),
            )
        }
    };
    Aggregate {
        min: Value::Number(min),
        max: Value::Number(max),
        difference: Methods {
            between_groups: Value::Number(between),
            to_overall,
        },
        ratio: Methods {
            between_groups: ratio_between,
            to_overall: ratio_to_overall,
        },
    }
}

/// Python's builtin `max(series)` over `[a, b]`: a NaN first element wins,
/// a NaN second element is ignored (Fairlearn's `worst_case`).
fn python_max(a: Value, b: Value) -> Value {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if y > x => b,
        _ => a,
    }
}

/// Python's builtin `min(series)` over `[a, b]`, same NaN behaviour.
fn python_min(a: Value, b: Value) -> Value {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if y < x => b,
        _ => a,
    }
}

/// `Series.mean()` over `[a, b]`, skipping NaN.
fn nan_mean(a: Value, b: Value) -> Value {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => Value::Number((x + y) / 2.0),
        (Value::Number(_), Value::Undefined(_)) => a,
        (Value::Undefined(_), Value::Number(_)) => b,
        (Value::Undefined(r), Value::Undefined(_)) => Value::Undefined(r),
    }
}

fn side(conf: &Conf, empty: Undefined) -> Side<Value> {
    if conf.n == 0 {
        let u = Value::Undefined(empty);
        return Side {
            count: Value::Number(0.0),
            total_weight: Value::Number(0.0),
            selection_rate: u,
            true_positive_rate: u,
            false_positive_rate: u,
        };
    }
    Side {
        count: Value::Number(conf.n as f64),
        total_weight: Value::Number(conf.total()),
        selection_rate: Value::from_division(
            conf.fp() + conf.tp(),
            conf.total(),
            Undefined::ZeroTotalWeight,
        ),
        true_positive_rate: Value::from_division(
            conf.tp(),
            conf.positives(),
            Undefined::NoPositives,
        ),
        false_positive_rate: Value::from_division(
            conf.fp(),
            conf.negatives(),
            Undefined::NoNegatives,
        ),
    }
}

fn aif360(privileged: &Conf, unprivileged: &Conf) -> Aif360<Value> {
    let p = side(privileged, Undefined::NoPrivilegedRows);
    let u = side(unprivileged, Undefined::NoUnprivilegedRows);
    let disparate_impact = match (u.selection_rate, p.selection_rate) {
        (Value::Number(a), Value::Number(b)) => {
            Value::from_division(a, b, Undefined::ZeroDenominator)
        }
        (Value::Undefined(r), _) | (_, Value::Undefined(r)) => Value::Undefined(r),
    };
    let fpr_difference = u
        .false_positive_rate
        .combine(p.false_positive_rate, |a, b| a - b);
    let tpr_difference = u
        .true_positive_rate
        .combine(p.true_positive_rate, |a, b| a - b);
    Aif360 {
        statistical_parity_difference: u.selection_rate.combine(p.selection_rate, |a, b| a - b),
        disparate_impact,
        average_odds_difference: fpr_difference.combine(tpr_difference, |a, b| 0.5 * (a + b)),
        equal_opportunity_difference: tpr_difference,
        privileged: p,
        unprivileged: u,
    }
}

/// Computes every section from per-cell confusion matrices.
pub(crate) fn build_sections(
    layout: &Layout,
    metrics: &[Metric],
    confs: &[Conf],
    auc: Option<&AucValues>,
) -> Sections<Value> {
    let not_computed = Value::Undefined(Undefined::NotComputed);
    let mut sections = Sections {
        overall: Vec::with_capacity(layout.strata.len()),
        by_group: Vec::with_capacity(layout.strata.len()),
        group_min: Vec::new(),
        group_max: Vec::new(),
        difference: Vec::new(),
        ratio: Vec::new(),
        fairlearn: Vec::new(),
        aif360: layout.has_privileged.then(Vec::new),
    };
    for (s, stratum) in layout.strata.iter().enumerate() {
        let mut overall_conf = Conf::default();
        let mut privileged = Conf::default();
        let mut unprivileged = Conf::default();
        let mut group_confs = Vec::with_capacity(stratum.groups.len());
        for g in &stratum.groups {
            let conf = confs.get(g.cell).copied().unwrap_or_default();
            overall_conf.add(&conf);
            if g.privileged {
                privileged.add(&conf);
            } else {
                unprivileged.add(&conf);
            }
            group_confs.push(conf);
        }
        let overall_auc = auc
            .and_then(|a| a.by_stratum.get(s).copied())
            .unwrap_or(not_computed);
        let overall: Vec<Value> = metrics
            .iter()
            .map(|m| metric_value(*m, &overall_conf, overall_auc))
            .collect();
        let by_group: Vec<Vec<Value>> = stratum
            .groups
            .iter()
            .zip(&group_confs)
            .map(|(g, conf)| {
                let group_auc = auc
                    .and_then(|a| a.by_cell.get(g.cell).copied())
                    .unwrap_or(not_computed);
                metrics
                    .iter()
                    .map(|m| metric_value(*m, conf, group_auc))
                    .collect()
            })
            .collect();
        let aggregates: Vec<Aggregate> = metrics
            .iter()
            .enumerate()
            .map(|(i, _)| {
                let column: Vec<Value> = by_group
                    .iter()
                    .map(|row| row.get(i).copied().unwrap_or(not_computed))
                    .collect();
                aggregate(overall.get(i).copied().unwrap_or(not_computed), &column)
            })
            .collect();
        let find = |metric: Metric| {
            metrics
                .iter()
                .position(|m| *m == metric)
                .and_then(|i| aggregates.get(i))
        };
        let selection = find(Metric::SelectionRate);
        let tpr = find(Metric::TruePositiveRate);
        let fpr = find(Metric::FalsePositiveRate);
        let methods = |a: Option<&Aggregate>, ratio: bool| -> Methods<Value> {
            match a {
                Some(a) if ratio => a.ratio.clone(),
                Some(a) => a.difference.clone(),
                None => Methods {
                    between_groups: not_computed,
                    to_overall: not_computed,
                },
            }
        };
        let (tpr_d, fpr_d) = (methods(tpr, false), methods(fpr, false));
        let (tpr_r, fpr_r) = (methods(tpr, true), methods(fpr, true));
        sections.fairlearn.push(FairlearnFunctions {
            demographic_parity_difference: methods(selection, false),
            demographic_parity_ratio: methods(selection, true),
            equalized_odds_difference: Aggs {
                worst_case: Methods {
                    between_groups: python_max(tpr_d.between_groups, fpr_d.between_groups),
                    to_overall: python_max(tpr_d.to_overall, fpr_d.to_overall),
                },
                mean: Methods {
                    between_groups: nan_mean(tpr_d.between_groups, fpr_d.between_groups),
                    to_overall: nan_mean(tpr_d.to_overall, fpr_d.to_overall),
                },
            },
            equalized_odds_ratio: Aggs {
                worst_case: Methods {
                    between_groups: python_min(tpr_r.between_groups, fpr_r.between_groups),
                    to_overall: python_min(tpr_r.to_overall, fpr_r.to_overall),
                },
                mean: Methods {
                    between_groups: nan_mean(tpr_r.between_groups, fpr_r.between_groups),
                    to_overall: nan_mean(tpr_r.to_overall, fpr_r.to_overall),
                },
            },
            equal_opportunity_difference: tpr_d,
            equal_opportunity_ratio: tpr_r,
        });
        if let Some(aif) = &mut sections.aif360 {
            aif.push(aif360(&privileged, &unprivileged));
        }
        sections
            .group_min
            .push(aggregates.iter().map(|a| a.min).collect());
        sections
            .group_max
            .push(aggregates.iter().map(|a| a.max).collect());
        sections.difference.push(Methods {
            between_groups: aggregates
                .iter()
                .map(|a| a.difference.between_groups)
                .collect(),
            to_overall: aggregates.iter().map(|a| a.difference.to_overall).collect(),
        });
        sections.ratio.push(Methods {
            between_groups: aggregates.iter().map(|a| a.ratio.between_groups).collect(),
            to_overall: aggregates.iter().map(|a| a.ratio.to_overall).collect(),
        });
        sections.overall.push(overall);
        sections.by_group.push(by_group);
    }
    sections
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn conf(tn: f64, fp: f64, fn_: f64, tp: f64) -> Conf {
        Conf {
            n: 1,
            w: [tn, fp, fn_, tp],
        }
    }

    fn number(v: Value) -> f64 {
        v.get().unwrap()
    }

    #[test]
    fn group_without_positives_has_zero_tpr_like_fairlearn() {
        let c = conf(3.0, 1.0, 0.0, 0.0);
        let none = Value::Undefined(Undefined::NotComputed);
        assert_eq!(
            number(metric_value(Metric::TruePositiveRate, &c, none)),
            0.0
        );
        assert_eq!(
            number(metric_value(Metric::FalseNegativeRate, &c, none)),
            0.0
        );
        assert_eq!(
            number(metric_value(Metric::FalsePositiveRate, &c, none)),
            0.25
        );
        // Balanced accuracy of a single-class group is that class's recall.
        assert_eq!(
            number(metric_value(Metric::BalancedAccuracyScore, &c, none)),
            0.75
        );
    }

    #[test]
    fn precision_without_predicted_positives_is_zero() {
        let c = conf(3.0, 0.0, 2.0, 0.0);
        let none = Value::Undefined(Undefined::NotComputed);
        assert_eq!(number(metric_value(Metric::PrecisionScore, &c, none)), 0.0);
    }

    #[test]
    fn zero_total_weight_group_has_only_a_count() {
        let c = conf(0.0, 0.0, 0.0, 0.0);
        let none = Value::Undefined(Undefined::NotComputed);
        assert_eq!(
            metric_value(Metric::SelectionRate, &c, none),
            Value::Undefined(Undefined::ZeroTotalWeight)
        );
        assert_eq!(
            metric_value(Metric::AccuracyScore, &c, none),
            Value::Undefined(Undefined::ZeroTotalWeight)
        );
        assert_eq!(
            metric_value(Metric::TruePositiveRate, &c, none),
            Value::Undefined(Undefined::ZeroTotalWeight)
        );
        assert_eq!(number(metric_value(Metric::Count, &c, none)), 1.0);
    }

    #[test]
    fn ratios_follow_fairlearn_zero_denominator_rules() {
        let a = aggregate(
            Value::Number(0.0),
            &[Value::Number(0.0), Value::Number(0.0)],
        );
        assert_eq!(
            a.ratio.between_groups,
            Value::Undefined(Undefined::ZeroDenominator)
        );
        assert_eq!(
            a.ratio.to_overall,
            Value::Undefined(Undefined::ZeroDenominator)
        );
        let b = aggregate(
            Value::Number(0.0),
            &[Value::Number(0.0), Value::Number(0.5)],
        );
        assert_eq!(number(b.ratio.between_groups), 0.0);
        // 0.5 / 0 = inf, ratio_sub_one(inf) = 0; 0/0 skipped.
        assert_eq!(number(b.ratio.to_overall), 0.0);
        let c = aggregate(
            Value::Number(0.4),
            &[Value::Number(0.2), Value::Number(0.5)],
        );
        assert!((number(c.ratio.to_overall) - 0.5).abs() < 1e-15);
        assert!((number(c.difference.to_overall) - 0.2).abs() < 1e-15);
        assert!((number(c.difference.between_groups) - 0.3).abs() < 1e-15);
    }

    #[test]
    fn python_max_keeps_a_leading_nan() {
        let nan = Value::Undefined(Undefined::ZeroDenominator);
        assert_eq!(python_max(nan, Value::Number(1.0)), nan);
        assert_eq!(python_max(Value::Number(1.0), nan), Value::Number(1.0));
        assert_eq!(
            python_min(Value::Number(1.0), Value::Number(0.5)),
            Value::Number(0.5)
        );
        assert_eq!(nan_mean(nan, Value::Number(1.0)), Value::Number(1.0));
    }

    #[test]
    fn aif360_signs_and_ratio() {
        let privileged = conf(10.0, 10.0, 5.0, 15.0); // SR 25/40
        let unprivileged = conf(20.0, 5.0, 10.0, 5.0); // SR 10/40
        let a = aif360(&privileged, &unprivileged);
        assert!((number(a.statistical_parity_difference) - (0.25 - 0.625)).abs() < 1e-15);
        assert!((number(a.disparate_impact) - 0.4).abs() < 1e-15);
        let tpr_u = 5.0 / 15.0;
        let tpr_p = 15.0 / 20.0;
        let fpr_u = 5.0 / 25.0;
        let fpr_p = 10.0 / 20.0;
        assert!(
            (number(a.average_odds_difference) - 0.5 * ((fpr_u - fpr_p) + (tpr_u - tpr_p))).abs()
                < 1e-15
        );
        assert!((number(a.equal_opportunity_difference) - (tpr_u - tpr_p)).abs() < 1e-15);
    }
}
