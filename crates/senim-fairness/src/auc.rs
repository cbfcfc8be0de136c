//! ROC AUC exactly as scikit-learn's `roc_auc_score` computes it: rows of
//! zero weight dropped, rows sorted by decreasing score, one ROC point per
//! distinct score (ties move TP and FP together, i.e. a diagonal segment),
//! area by the trapezoidal rule.
//!
//! All rows are sorted once by decreasing score; each cell and each stratum
//! then walks its own subsequence (which is sorted too) in a single pass,
//! keeping its running TP/FP weight and the area so far.

use crate::accumulate::ScoredRow;
use crate::metrics::{AucValues, Conf, Undefined, Value};

/// Sorts rows by decreasing score (the order every walk below expects).
pub(crate) fn sort_by_score(rows: &mut [ScoredRow]) {
    rows.sort_unstable_by(|a, b| b.score.total_cmp(&a.score));
}

/// The running state of one ROC curve.
#[derive(Debug, Clone, Copy, Default)]
struct Curve {
    tp: f64,
    fp: f64,
    tp_at_last_threshold: f64,
    fp_at_last_threshold: f64,
    twice_area: f64,
    last_score: f64,
    started: bool,
}

impl Curve {
    #[inline]
    fn push(&mut self, score: f64, positive: bool, weight: f64) {
        if !self.started {
            self.started = true;
            self.last_score = score;
        } else if score != self.last_score {
            self.close_threshold();
            self.last_score = score;
        }
        if positive {
            self.tp += weight;
        } else {
            self.fp += weight;
        }
    }

    #[inline]
    fn close_threshold(&mut self) {
        self.twice_area +=
            (self.fp - self.fp_at_last_threshold) * (self.tp + self.tp_at_last_threshold);
        self.tp_at_last_threshold = self.tp;
        self.fp_at_last_threshold = self.fp;
    }

    fn finish(mut self) -> Value {
        if self.started {
            self.close_threshold();
        }
        if self.tp <= 0.0 && self.fp <= 0.0 {
            Value::Undefined(Undefined::ZeroTotalWeight)
        } else if self.tp <= 0.0 || self.fp <= 0.0 {
            Value::Undefined(Undefined::SingleClassInYTrue)
        } else {
            Value::Number(self.twice_area / 2.0 / (self.tp * self.fp))
        }
    }
}

/// ROC AUC per cell and per stratum over rows sorted by [`sort_by_score`].
///
/// With `multiplicity`, row `i` counts `multiplicity[i]` times (a bootstrap
/// replicate) and `confs`, if given, receives each cell's confusion matrix.
pub(crate) fn auc_values(
    rows: &[ScoredRow],
    multiplicity: Option<&[u32]>,
    stratum_of_cell: &[usize],
    strata: usize,
    mut confs: Option<&mut [Conf]>,
) -> AucValues {
    let mut cells = vec![Curve::default(); stratum_of_cell.len()];
    let mut overall = vec![Curve::default(); strata];
    for (i, row) in rows.iter().enumerate() {
        let times = match multiplicity {
            Some(m) => match m.get(i) {
                Some(0) | None => continue,
                Some(t) => *t,
            },
            None => 1,
        };
        let weight = row.weight * f64::from(times);
        let positive = row.class >= 2;
        let cell = row.cell as usize;
        if let Some(curve) = cells.get_mut(cell) {
            curve.push(row.score, positive, weight);
        }
        if let Some(curve) = stratum_of_cell.get(cell).and_then(|s| overall.get_mut(*s)) {
            curve.push(row.score, positive, weight);
        }
        if let Some(conf) = confs.as_deref_mut().and_then(|c| c.get_mut(cell)) {
            conf.n += u64::from(times);
            if let Some(w) = conf.w.get_mut(usize::from(row.class)) {
                *w += weight;
            }
        }
    }
    AucValues {
        by_cell: cells.into_iter().map(Curve::finish).collect(),
        by_stratum: overall.into_iter().map(Curve::finish).collect(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn rows(data: &[(f64, bool, f64)]) -> Vec<ScoredRow> {
        let mut rows: Vec<ScoredRow> = data
            .iter()
            .map(|(score, positive, weight)| ScoredRow {
                score: *score,
                weight: *weight,
                cell: 0,
                class: if *positive { 2 } else { 0 },
            })
            .collect();
        sort_by_score(&mut rows);
        rows
    }

    fn auc(data: &[(f64, bool, f64)]) -> Value {
        auc_values(&rows(data), None, &[0], 1, None).by_cell[0]
    }

    #[test]
    fn sklearn_doc_example() {
        // roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75
        let v = auc(&[
            (0.1, false, 1.0),
            (0.4, false, 1.0),
            (0.35, true, 1.0),
            (0.8, true, 1.0),
        ]);
        assert!((v.get().unwrap() - 0.75).abs() < 1e-15);
    }

    #[test]
    fn ties_between_classes_count_half() {
        // One positive and one negative with the same score: AUC 0.5.
        let v = auc(&[(0.5, true, 1.0), (0.5, false, 1.0)]);
        assert_eq!(v.get().unwrap(), 0.5);
        // roc_auc_score([1,0,1,0], [0.9,0.9,0.1,0.5]) = 0.375
        let v = auc(&[
            (0.9, true, 1.0),
            (0.9, false, 1.0),
            (0.1, true, 1.0),
            (0.5, false, 1.0),
        ]);
        assert!((v.get().unwrap() - 0.375).abs() < 1e-15);
    }

    #[test]
    fn weights_and_zero_weights() {
        // Weighted: roc_auc_score([1,0,0],[0.9,0.8,0.95],sample_weight=[2,1,3]) = 0.25
        let v = auc(&[(0.9, true, 2.0), (0.8, false, 1.0), (0.95, false, 3.0)]);
        assert!((v.get().unwrap() - 0.25).abs() < 1e-15);
        // A zero-weight row changes nothing.
        let w = auc(&[
            (0.9, true, 2.0),
            (0.8, false, 1.0),
            (0.95, false, 3.0),
            (0.85, true, 0.0),
        ]);
        assert_eq!(v, w);
    }

    #[test]
    fn single_class_is_undefined() {
        assert_eq!(
            auc(&[(0.2, true, 1.0), (0.3, true, 1.0)]),
            Value::Undefined(Undefined::SingleClassInYTrue)
        );
        // Positives present but with zero weight: scikit-learn's NaN too.
        assert_eq!(
            auc(&[(0.2, true, 0.0), (0.3, false, 1.0)]),
            Value::Undefined(Undefined::SingleClassInYTrue)
        );
    }
}
