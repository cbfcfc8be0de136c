//! The crate's one error type.
//!
//! Every error a user can cause names what is wrong in their terms: the
//! column, the 1-based data row (the header is not counted) and the reason.
//! The server maps these to HTTP once; the CLI prints them as they are.

use std::path::PathBuf;

/// Everything that can go wrong while reading a predictions file or
/// computing its metrics.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file (or `<input>` for a reader).
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file format could not be inferred from the file name.
    #[error("cannot tell the format of {path}: use a .csv or .parquet extension or give the format explicitly")]
    UnknownFormat {
        /// The file whose extension is not recognised.
        path: PathBuf,
    },
    /// The CSV text itself is malformed (unbalanced quotes, a row with a
    /// different number of fields than the header, ...).
    #[error("CSV error at data row {row}: {message}")]
    Csv {
        /// 1-based data row (0 for the header).
        row: u64,
        /// What the CSV parser reported.
        message: String,
    },
    /// The Parquet file could not be decoded.
    #[error("Parquet error: {message}")]
    Parquet {
        /// What the Parquet reader reported.
        message: String,
    },
    /// A column named in the options is not in the file.
    #[error("column {column:?} not found; the file has columns {available:?}")]
    MissingColumn {
        /// The column asked for.
        column: String,
        /// The columns the file has.
        available: Vec<String>,
    },
    /// A column named in the options appears more than once in the header.
    #[error("column {column:?} appears more than once in the header")]
    DuplicateColumn {
        /// The ambiguous column name.
        column: String,
    },
    /// The file has no data rows.
    #[error("the file has no data rows")]
    EmptyFile,
    /// A label cell is empty or null.
    #[error("column {column:?}, row {row}: the label is empty")]
    MissingLabel {
        /// `y_true` or `y_pred` column name.
        column: String,
        /// 1-based data row.
        row: u64,
    },
    /// A third distinct label value appeared in `y_true` ∪ `y_pred`.
    #[error("column {column:?}, row {row}: label {value:?} is a third distinct value (labels must be binary; already seen {seen:?})")]
    NonBinaryLabels {
        /// The column where the third value appeared.
        column: String,
        /// 1-based data row.
        row: u64,
        /// The offending (canonical) value.
        value: String,
        /// The two values seen before it.
        seen: Vec<String>,
    },
    /// Two distinct labels occur and neither is the positive label
    /// (Fairlearn raises "Must have pos_label in y values").
    #[error("the positive label {pos_label:?} is not one of the labels {labels:?} found in y_true and y_pred")]
    PosLabelAbsent {
        /// The canonical positive label.
        pos_label: String,
        /// The labels found.
        labels: Vec<String>,
    },
    /// A score or weight cell is not a number.
    #[error("column {column:?}, row {row}: {value:?} is not a number")]
    InvalidNumber {
        /// The score or weight column.
        column: String,
        /// 1-based data row.
        row: u64,
        /// The cell as read.
        value: String,
    },
    /// A score or weight is NaN or infinite.
    #[error("column {column:?}, row {row}: {value} is not finite")]
    NonFiniteNumber {
        /// The score or weight column.
        column: String,
        /// 1-based data row.
        row: u64,
        /// The value as parsed.
        value: f64,
    },
    /// A sample weight is negative.
    #[error("column {column:?}, row {row}: weight {value} is negative")]
    NegativeWeight {
        /// The weight column.
        column: String,
        /// 1-based data row.
        row: u64,
        /// The negative weight.
        value: f64,
    },
    /// A score or weight cell is empty or null.
    #[error("column {column:?}, row {row}: the value is missing")]
    MissingNumber {
        /// The score or weight column.
        column: String,
        /// 1-based data row.
        row: u64,
    },
    /// A Parquet column has a type this engine does not read.
    #[error("column {column:?} has unsupported type {data_type}")]
    UnsupportedColumnType {
        /// The column.
        column: String,
        /// Its Arrow data type.
        data_type: String,
    },
    /// The options are inconsistent.
    #[error("invalid option {option}: {reason}")]
    InvalidOption {
        /// The option at fault (`sensitive`, `privileged`, `bootstrap.quantiles`, ...).
        option: String,
        /// Why it is invalid.
        reason: String,
    },
    /// More distinct groups than the engine accepts.
    #[error("more than {limit} distinct values or groups in the sensitive and control features (column {column:?}, row {row})")]
    TooManyGroups {
        /// The limit.
        limit: usize,
        /// The column that overflowed (or `<intersection>`).
        column: String,
        /// 1-based data row.
        row: u64,
    },
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
