//! What the caller asks for: which columns hold what, the positive label,
//! the privileged group and the bootstrap.

use crate::error::{Error, Result};
use crate::label::canonical_label;

/// The file format of a predictions file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated values with a header row (RFC 4180 quoting).
    Csv,
    /// Apache Parquet (snappy or uncompressed; more codecs with the
    /// `parquet-all-codecs` feature).
    Parquet,
}

impl Format {
    /// Infers the format from a file name's extension (`.csv`, `.parquet`,
    /// `.pq`), case-insensitively.
    pub fn from_path(path: &std::path::Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Some(Format::Csv),
            "parquet" | "pq" => Some(Format::Parquet),
            _ => None,
        }
    }

    /// `"csv"` or `"parquet"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Parquet => "parquet",
        }
    }
}

impl std::str::FromStr for Format {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "csv" => Ok(Format::Csv),
            "parquet" | "pq" => Ok(Format::Parquet),
            _ => Err(Error::InvalidOption {
                option: "format".into(),
                reason: format!("{s:?} is not csv or parquet"),
            }),
        }
    }
}

/// Bootstrap confidence intervals (see METRICS.md, "Bootstrap").
#[derive(Debug, Clone, PartialEq)]
pub struct Bootstrap {
    /// Number of bootstrap replicates (Fairlearn's `n_boot`), at least 1.
    pub n: u32,
    /// Seed of the xoshiro256** generator (Fairlearn's `random_state`).
    pub seed: u64,
    /// Quantiles to report (Fairlearn's `ci_quantiles`), each in (0, 1).
    pub quantiles: Vec<f64>,
    /// Largest `rows × n` for which rows are resampled one by one (exact,
    /// needed for `roc_auc_score`); above it the confusion-matrix metrics
    /// use the cell multinomial and `roc_auc_score` gets no interval.
    pub row_resampling_limit: u64,
}

impl Default for Bootstrap {
    fn default() -> Self {
        Bootstrap {
            n: 1000,
            seed: 0,
            quantiles: vec![0.025, 0.975],
            row_resampling_limit: 1_000_000_000,
        }
    }
}

/// What to compute from which columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Column of true labels.
    pub y_true: String,
    /// Column of predicted labels.
    pub y_pred: String,
    /// Optional column of scores (enables `roc_auc_score`).
    pub score: Option<String>,
    /// Optional column of non-negative sample weights.
    pub weight: Option<String>,
    /// Sensitive feature columns; several give intersectional groups.
    pub sensitive: Vec<String>,
    /// Control feature columns; they stratify every aggregate.
    pub control: Vec<String>,
    /// The positive label, compared after canonicalisation (default `"1"`).
    pub pos_label: String,
    /// Privileged group for the AIF360 metrics: a conjunction of
    /// `(sensitive column, value)` pairs. Empty: no AIF360 section.
    pub privileged: Vec<(String, String)>,
    /// Bootstrap confidence intervals, if wanted.
    pub bootstrap: Option<Bootstrap>,
    /// CSV field delimiter (default `b','`).
    pub delimiter: u8,
}

/// The metrics that compare the privileged group with the others (AIF360's):
/// a report has them only when [`Options::privileged`] is given.
pub const PRIVILEGED_METRICS: [&str; 3] = [
    "statistical_parity_difference",
    "disparate_impact",
    "average_odds_difference",
];

impl Options {
    /// One condition of the privileged group, written `COL=VALUE`.
    pub fn privileged_pair(pair: &str) -> Result<(String, String)> {
        pair.split_once('=')
            .map(|(c, v)| (c.trim().to_string(), v.trim().to_string()))
            .ok_or_else(|| Error::InvalidOption {
                option: "privileged".into(),
                reason: format!("expected COL=VALUE, got `{pair}`"),
            })
    }

    /// Options with the required columns and every default.
    pub fn new(
        y_true: impl Into<String>,
        y_pred: impl Into<String>,
        sensitive: Vec<String>,
    ) -> Options {
        Options {
            y_true: y_true.into(),
            y_pred: y_pred.into(),
            score: None,
            weight: None,
            sensitive,
            control: Vec::new(),
            pos_label: "1".into(),
            privileged: Vec::new(),
            bootstrap: None,
            delimiter: b',',
        }
    }

    /// Checks the options make sense before any data is read.
    pub(crate) fn validate(&self) -> Result<()> {
        let bad = |option: &str, reason: String| Error::InvalidOption {
            option: option.into(),
            reason,
        };
        if self.sensitive.is_empty() {
            return Err(bad(
                "sensitive",
                "at least one sensitive feature is required".into(),
            ));
        }
        let mut names: Vec<&str> = self
            .sensitive
            .iter()
            .chain(&self.control)
            .map(String::as_str)
            .collect();
        names.sort_unstable();
        if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
            return Err(bad(
                "sensitive/control",
                format!("feature {:?} is named twice", w[0]),
            ));
        }
        if canonical_label(&self.pos_label).is_empty() {
            return Err(bad("pos_label", "the positive label is empty".into()));
        }
        for (column, _) in &self.privileged {
            if !self.sensitive.contains(column) {
                return Err(bad(
                    "privileged",
                    format!(
                        "{column:?} is not one of the sensitive features {:?}",
                        self.sensitive
                    ),
                ));
            }
        }
        let mut privileged: Vec<&str> = self.privileged.iter().map(|(c, _)| c.as_str()).collect();
        privileged.sort_unstable();
        if privileged.windows(2).any(|w| w[0] == w[1]) {
            return Err(bad("privileged", "a column is given twice".into()));
        }
        if let Some(b) = &self.bootstrap {
            if b.n == 0 {
                return Err(bad("bootstrap.n", "must be at least 1".into()));
            }
            if b.quantiles.is_empty() {
                return Err(bad(
                    "bootstrap.quantiles",
                    "at least one quantile is needed".into(),
                ));
            }
            if let Some(q) = b.quantiles.iter().find(|q| !(**q > 0.0 && **q < 1.0)) {
                return Err(bad("bootstrap.quantiles", format!("{q} is not in (0, 1)")));
            }
        }
        Ok(())
    }
}
