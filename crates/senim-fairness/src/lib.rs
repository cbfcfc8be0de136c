//! Senim's algorithmic audit engine: non-discrimination and performance
//! metrics from a predictions file, with Fairlearn's semantics.
//!
//! A predictions file (CSV or Parquet) holds one row per decision: the true
//! label, the predicted label, optionally a score and a sample weight, and
//! the sensitive (and optionally control) features. [`compute_file`] reads
//! it once, as a stream, into weighted confusion matrices per intersection
//! of feature values, and derives from them what Fairlearn's `MetricFrame`
//! reports (`overall`, `by_group`, `group_min`, `group_max`, `difference`,
//! `ratio`), Fairlearn's fairness functions, AIF360's privileged-versus-
//! unprivileged metrics and, on request, bootstrap confidence intervals.
//!
//! The crate has no server dependency: the CLI prints the [`Report`] as a
//! table or JSON, the server turns [`Report::value`]s into findings.
//! METRICS.md documents every formula, edge case and the JSON schema.

#![forbid(unsafe_code)]

mod accumulate;
mod auc;
mod bootstrap;
mod csv_input;
mod error;
mod hash;
mod label;
mod metrics;
mod options;
mod parquet_input;
mod report;

pub use bootstrap::{Interval, Scheme};
pub use error::{Error, Result};
pub use label::canonical_label;
pub use metrics::{
    Aggs, Aif360, Conf, FairlearnFunctions, Methods, Metric, Sections, Side, Undefined, Value,
};
pub use options::{Bootstrap, Format, Options, PRIVILEGED_METRICS};
pub use report::{
    BootstrapReport, Engine, Group, InputFacts, Labels, Report, Scalar, Stratum,
    FOUR_FIFTHS_THRESHOLD,
};

use accumulate::Accumulator;
use label::natural_cmp;
use metrics::{GroupLayout, Layout, StratumLayout};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

/// The engine's name in reports.
pub const ENGINE_NAME: &str = "senim-fairness";
/// The engine's version in reports.
pub const ENGINE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Computes the report for a file; the format comes from the extension
/// unless given.
pub fn compute_file(path: &Path, format: Option<Format>, options: &Options) -> Result<Report> {
    let format = match format {
        Some(f) => f,
        None => Format::from_path(path).ok_or_else(|| Error::UnknownFormat {
            path: path.to_path_buf(),
        })?,
    };
    options.validate()?;
    let file = std::fs::File::open(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut acc = Accumulator::new(options);
    acc.input_bytes = file.metadata().ok().map(|m| m.len());
    match format {
        Format::Csv => csv_input::read_csv(file, options, &mut acc)?,
        Format::Parquet => parquet_input::read_parquet(file, options, &mut acc)?,
    }
    finish(acc, format, options)
}

/// Computes the report from a reader. CSV is streamed; Parquet needs random
/// access, so its bytes are read into memory first (use [`compute_bytes`]
/// when they already are).
pub fn compute_reader<R: Read>(mut reader: R, format: Format, options: &Options) -> Result<Report> {
    options.validate()?;
    match format {
        Format::Csv => {
            let mut acc = Accumulator::new(options);
            csv_input::read_csv(reader, options, &mut acc)?;
            finish(acc, format, options)
        }
        Format::Parquet => {
            let mut buffer = Vec::new();
            reader
                .read_to_end(&mut buffer)
                .map_err(|source| Error::Io {
                    path: "<input>".into(),
                    source,
                })?;
            compute_bytes(bytes::Bytes::from(buffer), format, options)
        }
    }
}

/// Computes the report from bytes in memory (e.g. an upload read back from
/// blob storage).
pub fn compute_bytes(data: bytes::Bytes, format: Format, options: &Options) -> Result<Report> {
    options.validate()?;
    let mut acc = Accumulator::new(options);
    acc.input_bytes = Some(data.len() as u64);
    match format {
        Format::Csv => csv_input::read_csv(data.as_ref(), options, &mut acc)?,
        Format::Parquet => parquet_input::read_parquet(data, options, &mut acc)?,
    }
    finish(acc, format, options)
}

/// Does a group value match the privileged value? Exactly, or as the same
/// canonical label (so `1` matches `1.0`).
fn same_value(a: &str, b: &str) -> bool {
    a == b || canonical_label(a) == canonical_label(b)
}

fn finish(mut acc: Accumulator, format: Format, options: &Options) -> Result<Report> {
    if acc.rows == 0 {
        return Err(Error::EmptyFile);
    }
    acc.labels.check_pos_label()?;
    let sensitive_count = options.sensitive.len();
    let feature_names: Vec<&String> = options.sensitive.iter().chain(&options.control).collect();
    // Values as text, per feature.
    let texts: Vec<Vec<String>> = acc
        .features
        .iter()
        .map(|interner| {
            (0..interner.values.len() as u32)
                .map(|id| interner.value(id))
                .collect()
        })
        .collect();
    let text = |f: usize, id: u32| -> String {
        texts
            .get(f)
            .and_then(|t| t.get(id as usize))
            .cloned()
            .unwrap_or_default()
    };
    let privileged_index: Vec<(usize, &String)> = options
        .privileged
        .iter()
        .filter_map(|(column, value)| {
            options
                .sensitive
                .iter()
                .position(|s| s == column)
                .map(|i| (i, value))
        })
        .collect();
    let confs = acc.confusions();

    // Strata: one per distinct control tuple.
    let mut strata_map: BTreeMap<Vec<u32>, Vec<usize>> = BTreeMap::new();
    for (cell, key) in acc.cell_keys.iter().enumerate() {
        let control = key.get(sensitive_count..).unwrap_or_default().to_vec();
        strata_map.entry(control).or_default().push(cell);
    }
    let label_pairs = |key: &[u32], offset: usize| -> Labels {
        key.iter()
            .enumerate()
            .map(|(j, id)| {
                let f = offset + j;
                (
                    feature_names
                        .get(f)
                        .map(|s| s.to_string())
                        .unwrap_or_default(),
                    text(f, *id),
                )
            })
            .collect()
    };
    let compare = |a: &Labels, b: &Labels| {
        a.iter()
            .zip(b)
            .map(|(x, y)| natural_cmp(&x.1, &y.1))
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    };
    let mut strata: Vec<(Labels, Vec<GroupLayout>)> = strata_map
        .into_iter()
        .map(|(control, cells)| {
            let mut groups: Vec<GroupLayout> = cells
                .into_iter()
                .map(|cell| {
                    let key = acc
                        .cell_keys
                        .get(cell)
                        .map(|k| k.as_ref())
                        .unwrap_or_default();
                    let sensitive = key.get(..sensitive_count).unwrap_or_default();
                    let group = label_pairs(sensitive, 0);
                    let privileged = !privileged_index.is_empty()
                        && privileged_index.iter().all(|(i, value)| {
                            group.get(*i).is_some_and(|(_, v)| same_value(v, value))
                        });
                    GroupLayout {
                        cell,
                        group,
                        privileged,
                    }
                })
                .collect();
            groups.sort_by(|a, b| compare(&a.group, &b.group));
            (label_pairs(&control, sensitive_count), groups)
        })
        .collect();
    strata.sort_by(|a, b| compare(&a.0, &b.0));
    let layout = Layout {
        strata: strata
            .into_iter()
            .map(|(control, groups)| StratumLayout { control, groups })
            .collect(),
        has_privileged: !options.privileged.is_empty(),
    };
    let mut stratum_of_cell = vec![0usize; confs.len()];
    for (s, stratum) in layout.strata.iter().enumerate() {
        for g in &stratum.groups {
            if let Some(slot) = stratum_of_cell.get_mut(g.cell) {
                *slot = s;
            }
        }
    }

    let metrics = Metric::all(options.score.is_some());
    let mut scored = acc.scored.take();
    let auc = scored.as_mut().map(|rows| {
        auc::sort_by_score(rows);
        auc::auc_values(rows, None, &stratum_of_cell, layout.strata.len(), None)
    });
    let estimates = metrics::build_sections(&layout, &metrics, &confs, auc.as_ref());

    let bootstrap = match &options.bootstrap {
        None => None,
        Some(b) => {
            let boot_cells = acc.boot.take().unwrap_or_default();
            let outcome = bootstrap::run(
                &bootstrap::Input {
                    layout: &layout,
                    metrics: &metrics,
                    stratum_of_cell: &stratum_of_cell,
                    rows: acc.rows,
                    scored: scored.as_deref(),
                    boot_cells: &boot_cells,
                    point: &estimates,
                },
                b,
            )?;
            Some(BootstrapReport {
                n_boot: b.n,
                seed: b.seed,
                quantiles: b.quantiles.clone(),
                scheme: outcome.scheme,
                approximated_cells: outcome.approximated_cells,
                intervals: outcome.intervals,
            })
        }
    };

    let strata = layout
        .strata
        .iter()
        .map(|s| Stratum {
            control: s.control.clone(),
            rows: s
                .groups
                .iter()
                .map(|g| confs.get(g.cell).map_or(0, |c| c.n))
                .sum(),
            groups: s
                .groups
                .iter()
                .map(|g| Group {
                    values: g.group.clone(),
                    privileged: g.privileged,
                })
                .collect(),
        })
        .collect();
    Ok(Report {
        engine: Engine {
            name: ENGINE_NAME.into(),
            version: ENGINE_VERSION.into(),
        },
        input: InputFacts {
            format,
            rows_read: acc.rows,
            y_true: options.y_true.clone(),
            y_pred: options.y_pred.clone(),
            score: options.score.clone(),
            sample_weight: options.weight.clone(),
            sensitive: options.sensitive.clone(),
            control: options.control.clone(),
            pos_label: acc.labels.pos_label().to_string(),
            labels: acc.labels.labels(),
            privileged: options.privileged.clone(),
        },
        metrics,
        strata,
        estimates,
        bootstrap,
    })
}
