//! The single pass over the rows.
//!
//! Readers (CSV, Parquet) turn each row into: is `y_true` positive, is
//! `y_pred` positive, the weight, the score, and one interned id per
//! sensitive/control feature. The accumulator interns the tuple of ids into
//! a *cell* (one intersection of sensitive and control values) and adds the
//! row's weight to that cell's 2×2 confusion matrix. Nothing else is kept
//! per row, except `(score, weight, cell, class)` when a score column is
//! given (ROC AUC needs the ranking), and compact weight summaries per
//! confusion cell when a bootstrap is asked for.

use crate::error::{Error, Result};
use crate::hash::FastMap;
use crate::label::LabelTable;
use crate::metrics::Conf;
use crate::options::Options;

/// At most this many distinct values per feature, and intersections.
pub(crate) const MAX_GROUPS: usize = 1_000_000;

/// Interns one feature's values (raw bytes, untrimmed) to small integers.
#[derive(Debug, Default)]
pub(crate) struct Interner {
    ids: FastMap<Box<[u8]>, u32>,
    pub(crate) values: Vec<Box<[u8]>>,
}

impl Interner {
    #[inline]
    pub(crate) fn intern(&mut self, raw: &[u8], column: &str, row: u64) -> Result<u32> {
        if let Some(id) = self.ids.get(raw) {
            return Ok(*id);
        }
        if self.values.len() >= MAX_GROUPS {
            return Err(Error::TooManyGroups {
                limit: MAX_GROUPS,
                column: column.to_string(),
                row,
            });
        }
        let id = self.values.len() as u32;
        self.values.push(raw.into());
        self.ids.insert(raw.into(), id);
        Ok(id)
    }

    pub(crate) fn value(&self, id: u32) -> String {
        self.values
            .get(id as usize)
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .unwrap_or_default()
    }
}

/// One scored row, kept for ROC AUC (and row-level bootstrap).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ScoredRow {
    pub(crate) score: f64,
    pub(crate) weight: f64,
    pub(crate) cell: u32,
    /// `2 * y_true_positive + y_pred_positive`.
    pub(crate) class: u8,
}

/// A Neumaier-compensated running sum.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Sum {
    sum: f64,
    compensation: f64,
}

impl Sum {
    #[inline]
    pub(crate) fn add(&mut self, x: f64) {
        let t = self.sum + x;
        if self.sum.abs() >= x.abs() {
            self.compensation += (self.sum - t) + x;
        } else {
            self.compensation += (x - t) + self.sum;
        }
        self.sum = t;
    }

    pub(crate) fn value(&self) -> f64 {
        self.sum + self.compensation
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct CellSums {
    n: u64,
    w: [Sum; 4],
}

/// Distinct weights per confusion cell kept exactly before falling back.
pub(crate) const MAX_DISTINCT_WEIGHTS: usize = 64;
/// Rows per confusion cell whose weights are kept one by one before
/// falling back to moments.
pub(crate) const MAX_EXPLICIT_WEIGHTS: usize = 4096;

/// What the bootstrap knows about the weights of one confusion cell.
#[derive(Debug, Clone)]
pub(crate) enum WeightStore {
    /// Few distinct weights: `(weight, rows)`; resampling is exact.
    Distinct(Vec<(f64, u64)>),
    /// Few rows: every weight; resampling is exact.
    Explicit(Vec<f64>),
    /// Many rows with many distinct weights: only mean and variance
    /// (normal approximation of the resampled sum).
    Moments,
}

/// Weight summary of one (cell, class) for the bootstrap.
#[derive(Debug, Clone)]
pub(crate) struct BootCell {
    pub(crate) n: u64,
    pub(crate) mean: f64,
    pub(crate) m2: f64,
    pub(crate) store: WeightStore,
}

impl BootCell {
    fn new() -> BootCell {
        BootCell {
            n: 0,
            mean: 0.0,
            m2: 0.0,
            store: WeightStore::Distinct(Vec::new()),
        }
    }

    #[inline]
    fn add(&mut self, w: f64) {
        self.n += 1;
        let delta = w - self.mean;
        self.mean += delta / self.n as f64;
        self.m2 += delta * (w - self.mean);
        match &mut self.store {
            WeightStore::Distinct(entries) => {
                if let Some(entry) = entries.iter_mut().find(|e| e.0.to_bits() == w.to_bits()) {
                    entry.1 += 1;
                } else if entries.len() < MAX_DISTINCT_WEIGHTS {
                    entries.push((w, 1));
                } else if self.n as usize <= MAX_EXPLICIT_WEIGHTS {
                    let mut all = Vec::with_capacity(self.n as usize);
                    for (value, count) in entries.iter() {
                        all.extend(std::iter::repeat_n(*value, *count as usize));
                    }
                    all.push(w);
                    self.store = WeightStore::Explicit(all);
                } else {
                    self.store = WeightStore::Moments;
                }
            }
            WeightStore::Explicit(all) => {
                if all.len() < MAX_EXPLICIT_WEIGHTS {
                    all.push(w);
                } else {
                    self.store = WeightStore::Moments;
                }
            }
            WeightStore::Moments => {}
        }
    }
}

/// The running state of one pass over a predictions file.
#[derive(Debug)]
pub(crate) struct Accumulator {
    pub(crate) labels: LabelTable,
    /// Sensitive features first, then control features.
    pub(crate) features: Vec<Interner>,
    cell_ids: FastMap<Box<[u32]>, u32>,
    pub(crate) cell_keys: Vec<Box<[u32]>>,
    cells: Vec<CellSums>,
    pub(crate) rows: u64,
    pub(crate) scored: Option<Vec<ScoredRow>>,
    pub(crate) boot: Option<Vec<BootCell>>,
    /// The input's size in bytes, when known: lets a CSV reader reserve the
    /// scored rows once instead of doubling (a doubling copies the rows
    /// under allocators that do not move large blocks in place).
    pub(crate) input_bytes: Option<u64>,
}

impl Accumulator {
    pub(crate) fn new(options: &Options) -> Accumulator {
        let feature_count = options.sensitive.len() + options.control.len();
        Accumulator {
            labels: LabelTable::new(&options.pos_label),
            features: (0..feature_count).map(|_| Interner::default()).collect(),
            cell_ids: FastMap::default(),
            cell_keys: Vec::new(),
            cells: Vec::new(),
            rows: 0,
            scored: options.score.as_ref().map(|_| Vec::new()),
            boot: options.bootstrap.as_ref().map(|_| Vec::new()),
            input_bytes: None,
        }
    }

    /// Reserves room for `rows` scored rows in all (none kept without a score).
    pub(crate) fn reserve_rows(&mut self, rows: u64) {
        if let Some(scored) = self.scored.as_mut() {
            let more = usize::try_from(rows)
                .unwrap_or(usize::MAX)
                .saturating_sub(scored.len());
            scored.reserve_exact(more);
        }
    }

    /// After `rows` rows in `bytes` bytes of a CSV, reserves for the whole
    /// input at that rate, with 2% to spare.
    pub(crate) fn reserve_by_rate(&mut self, rows: u64, bytes: u64) {
        if let (Some(total), true) = (self.input_bytes, bytes > 0) {
            let estimate = (total as f64 / bytes as f64 * rows as f64 * 1.02) as u64;
            self.reserve_rows(estimate);
        }
    }

    /// Adds one row. `key` holds one interned id per feature.
    #[inline]
    pub(crate) fn push(
        &mut self,
        y_true: bool,
        y_pred: bool,
        weight: f64,
        score: f64,
        key: &[u32],
        row: u64,
    ) -> Result<()> {
        let cell = match self.cell_ids.get(key) {
            Some(id) => *id,
            None => self.new_cell(key, row)?,
        };
        let class = usize::from(y_true) * 2 + usize::from(y_pred);
        if let Some(sums) = self.cells.get_mut(cell as usize) {
            sums.n += 1;
            if let Some(sum) = sums.w.get_mut(class) {
                sum.add(weight);
            }
        }
        if let Some(scored) = &mut self.scored {
            scored.push(ScoredRow {
                score,
                weight,
                cell,
                class: class as u8,
            });
        }
        if let Some(boot) = &mut self.boot {
            if let Some(b) = boot.get_mut(cell as usize * 4 + class) {
                b.add(weight);
            }
        }
        self.rows += 1;
        Ok(())
    }

    fn new_cell(&mut self, key: &[u32], row: u64) -> Result<u32> {
        if self.cell_keys.len() >= MAX_GROUPS {
            return Err(Error::TooManyGroups {
                limit: MAX_GROUPS,
                column: "<intersection>".into(),
                row,
            });
        }
        let id = self.cell_keys.len() as u32;
        self.cell_keys.push(key.into());
        self.cell_ids.insert(key.into(), id);
        self.cells.push(CellSums::default());
        if let Some(boot) = &mut self.boot {
            boot.extend((0..4).map(|_| BootCell::new()));
        }
        Ok(id)
    }

    /// The weighted confusion matrix of every cell.
    pub(crate) fn confusions(&self) -> Vec<Conf> {
        self.cells
            .iter()
            .map(|c| Conf {
                n: c.n,
                w: [
                    c.w[0].value(),
                    c.w[1].value(),
                    c.w[2].value(),
                    c.w[3].value(),
                ],
            })
            .collect()
    }
}

/// Parses a score or weight cell.
#[inline]
pub(crate) fn parse_number(raw: &[u8], column: &str, row: u64) -> Result<f64> {
    let text = std::str::from_utf8(raw).map_err(|_| Error::InvalidNumber {
        column: column.to_string(),
        row,
        value: String::from_utf8_lossy(raw).into_owned(),
    })?;
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::MissingNumber {
            column: column.to_string(),
            row,
        });
    }
    text.parse::<f64>().map_err(|_| Error::InvalidNumber {
        column: column.to_string(),
        row,
        value: text.to_string(),
    })
}

/// Checks a weight: finite and not negative.
#[inline]
pub(crate) fn check_weight(value: f64, column: &str, row: u64) -> Result<f64> {
    if !value.is_finite() {
        return Err(Error::NonFiniteNumber {
            column: column.to_string(),
            row,
            value,
        });
    }
    if value < 0.0 {
        return Err(Error::NegativeWeight {
            column: column.to_string(),
            row,
            value,
        });
    }
    // -0.0 is 0.0.
    Ok(value + 0.0)
}

/// Checks a score: finite (scikit-learn's `assert_all_finite`).
#[inline]
pub(crate) fn check_score(value: f64, column: &str, row: u64) -> Result<f64> {
    if !value.is_finite() {
        return Err(Error::NonFiniteNumber {
            column: column.to_string(),
            row,
            value,
        });
    }
    Ok(value + 0.0)
}
