//! Label canonicalisation and the binary-label check.
//!
//! Labels are compared as strings after trimming, except that anything that
//! reads as a finite number is compared as that number (`"1"`, `"1.0"`,
//! `" 1 "` and `"1e0"` are one label, written `"1"`), and `true`/`false`
//! (any case) are `"1"`/`"0"`, as pandas would read them and as numpy
//! compares `True == 1`. The positive label goes through the same rule.

use crate::error::{Error, Result};
use std::cmp::Ordering;

/// The canonical form of a label (see the module documentation).
pub fn canonical_label(raw: &str) -> String {
    let text = raw.trim();
    if text.eq_ignore_ascii_case("true") {
        return "1".into();
    }
    if text.eq_ignore_ascii_case("false") {
        return "0".into();
    }
    match text.parse::<f64>() {
        Ok(v) if v.is_finite() => canonical_number(v),
        _ => text.to_string(),
    }
}

/// The canonical text of a numeric label: integers without a fraction.
pub(crate) fn canonical_number(v: f64) -> String {
    if v == v.trunc() && v.abs() < 9.007_199_254_740_992e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// How many raw spellings are remembered before canonicalising every cell.
const RAW_CACHE: usize = 16;

/// The labels seen so far, at most two, and a cache from raw cell bytes to
/// "is this the positive label".
#[derive(Debug)]
pub(crate) struct LabelTable {
    pos_label: String,
    distinct: Vec<String>,
    raw_cache: Vec<(Vec<u8>, bool)>,
}

impl LabelTable {
    pub(crate) fn new(pos_label: &str) -> LabelTable {
        LabelTable {
            pos_label: canonical_label(pos_label),
            distinct: Vec::with_capacity(2),
            raw_cache: Vec::with_capacity(RAW_CACHE),
        }
    }

    /// Is this cell the positive label? Errors on an empty cell or a third
    /// distinct label.
    #[inline]
    pub(crate) fn is_positive(&mut self, raw: &[u8], column: &str, row: u64) -> Result<bool> {
        for (cached, positive) in &self.raw_cache {
            if cached.as_slice() == raw {
                return Ok(*positive);
            }
        }
        self.classify_slow(raw, column, row)
    }

    fn classify_slow(&mut self, raw: &[u8], column: &str, row: u64) -> Result<bool> {
        let text = String::from_utf8_lossy(raw);
        let label = canonical_label(&text);
        if label.is_empty() {
            return Err(Error::MissingLabel {
                column: column.to_string(),
                row,
            });
        }
        if !self.distinct.contains(&label) {
            if self.distinct.len() == 2 {
                return Err(Error::NonBinaryLabels {
                    column: column.to_string(),
                    row,
                    value: label,
                    seen: self.distinct.clone(),
                });
            }
            self.distinct.push(label.clone());
        }
        let positive = label == self.pos_label;
        if self.raw_cache.len() < RAW_CACHE {
            self.raw_cache.push((raw.to_vec(), positive));
        }
        Ok(positive)
    }

    /// The canonical positive label.
    pub(crate) fn pos_label(&self) -> &str {
        &self.pos_label
    }

    /// The distinct labels seen, sorted naturally.
    pub(crate) fn labels(&self) -> Vec<String> {
        let mut labels = self.distinct.clone();
        labels.sort_by(|a, b| natural_cmp(a, b));
        labels
    }

    /// Fairlearn refuses two labels of which neither is the positive one.
    pub(crate) fn check_pos_label(&self) -> Result<()> {
        if self.distinct.len() == 2 && !self.distinct.contains(&self.pos_label) {
            return Err(Error::PosLabelAbsent {
                pos_label: self.pos_label.clone(),
                labels: self.labels(),
            });
        }
        Ok(())
    }
}

/// Orders group values: numerically when both read as numbers, else by
/// bytes; numbers sort before text.
pub(crate) fn natural_cmp(a: &str, b: &str) -> Ordering {
    match (a.trim().parse::<f64>(), b.trim().parse::<f64>()) {
        (Ok(x), Ok(y)) if x.is_finite() && y.is_finite() => x.total_cmp(&y).then_with(|| a.cmp(b)),
        (Ok(x), Err(_)) if x.is_finite() => Ordering::Less,
        (Err(_), Ok(y)) if y.is_finite() => Ordering::Greater,
        _ => a.cmp(b),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn numeric_spellings_are_one_label() {
        for raw in ["1", "1.0", " 1 ", "1e0", "+1", "01", "TRUE", "true"] {
            assert_eq!(canonical_label(raw), "1", "{raw}");
        }
        assert_eq!(canonical_label("0.50"), "0.5");
        assert_eq!(canonical_label("-0"), "0");
        assert_eq!(canonical_label(" yes "), "yes");
        assert_eq!(canonical_label("nan"), "nan");
    }

    #[test]
    fn third_label_is_an_error_naming_column_and_row() {
        let mut table = LabelTable::new("1");
        assert!(table.is_positive(b"1", "y", 1).unwrap());
        assert!(!table.is_positive(b"0", "y", 2).unwrap());
        assert!(table.is_positive(b"1.0", "y", 3).unwrap());
        let err = table.is_positive(b"2", "y_pred", 4).unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains("y_pred") && message.contains("row 4"),
            "{message}"
        );
    }

    #[test]
    fn empty_label_is_an_error() {
        let mut table = LabelTable::new("1");
        let err = table.is_positive(b"  ", "y_true", 7).unwrap_err();
        assert!(matches!(err, Error::MissingLabel { row: 7, .. }));
    }

    #[test]
    fn absent_positive_label_is_refused_only_with_two_labels() {
        let mut table = LabelTable::new("yes");
        table.is_positive(b"a", "y", 1).unwrap();
        assert!(table.check_pos_label().is_ok());
        table.is_positive(b"b", "y", 2).unwrap();
        assert!(table.check_pos_label().is_err());
    }

    #[test]
    fn natural_order_sorts_numbers_numerically() {
        let mut v = vec!["10", "9", "b", "a", ""];
        v.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(v, vec!["9", "10", "", "a", "b"]);
    }
}
