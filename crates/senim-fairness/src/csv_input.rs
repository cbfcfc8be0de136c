//! Streaming CSV reader: one reused `ByteRecord`, no allocation per row
//! once every label spelling and group value has been seen.

use crate::accumulate::{check_score, check_weight, parse_number, Accumulator};
use crate::error::{Error, Result};
use crate::options::Options;
use std::io::Read;

/// Rows read before the input's rate of bytes per row is taken to reserve
/// room for the rest.
const RATE_ROWS: u64 = 4096;

/// Finds a column by exact name (falling back to a trimmed match) and
/// refuses names that are missing or ambiguous.
pub(crate) fn find_column(names: &[String], column: &str) -> Result<usize> {
    let exact: Vec<usize> = (0..names.len()).filter(|i| names[*i] == column).collect();
    let found = if exact.is_empty() {
        (0..names.len())
            .filter(|i| names[*i].trim() == column.trim())
            .collect()
    } else {
        exact
    };
    match found.as_slice() {
        [i] => Ok(*i),
        [] => Err(Error::MissingColumn {
            column: column.to_string(),
            available: names.to_vec(),
        }),
        _ => Err(Error::DuplicateColumn {
            column: column.to_string(),
        }),
    }
}

fn csv_error(error: csv::Error, row: u64) -> Error {
    match error.kind() {
        csv::ErrorKind::Io(_) => Error::Csv {
            row,
            message: error.to_string(),
        },
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => Error::Csv {
            row,
            message: format!("the row has {len} fields but the header has {expected_len}"),
        },
        _ => Error::Csv {
            row,
            message: error.to_string(),
        },
    }
}

/// Reads every row of a CSV stream into the accumulator.
pub(crate) fn read_csv<R: Read>(input: R, options: &Options, acc: &mut Accumulator) -> Result<()> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(options.delimiter)
        .has_headers(true)
        .flexible(false)
        .buffer_capacity(1 << 17)
        .from_reader(input);
    let header = reader.byte_headers().map_err(|e| csv_error(e, 0))?.clone();
    if header.is_empty() {
        return Err(Error::EmptyFile);
    }
    let names: Vec<String> = header
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let name = String::from_utf8_lossy(h).into_owned();
            if i == 0 {
                name.trim_start_matches('\u{feff}').to_string()
            } else {
                name
            }
        })
        .collect();
    let y_true = find_column(&names, &options.y_true)?;
    let y_pred = find_column(&names, &options.y_pred)?;
    let score = options
        .score
        .as_deref()
        .map(|c| find_column(&names, c))
        .transpose()?;
    let weight = options
        .weight
        .as_deref()
        .map(|c| find_column(&names, c))
        .transpose()?;
    let feature_names: Vec<&String> = options.sensitive.iter().chain(&options.control).collect();
    let features: Vec<usize> = feature_names
        .iter()
        .map(|c| find_column(&names, c))
        .collect::<Result<_>>()?;
    let score_name = options.score.as_deref().unwrap_or_default();
    let weight_name = options.weight.as_deref().unwrap_or_default();

    let mut record = csv::ByteRecord::new();
    let mut key = vec![0u32; features.len()];
    let mut row: u64 = 0;
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(csv_error(e, row + 1)),
        }
        row += 1;
        if row == RATE_ROWS {
            acc.reserve_by_rate(row, reader.position().byte());
        }
        let field = |i: usize| record.get(i).unwrap_or_default();
        let truth = acc
            .labels
            .is_positive(field(y_true), &options.y_true, row)?;
        let prediction = acc
            .labels
            .is_positive(field(y_pred), &options.y_pred, row)?;
        let w = match weight {
            Some(i) => check_weight(parse_number(field(i), weight_name, row)?, weight_name, row)?,
            None => 1.0,
        };
        let s = match score {
            Some(i) => check_score(parse_number(field(i), score_name, row)?, score_name, row)?,
            None => 0.0,
        };
        for (f, (slot, column)) in key.iter_mut().zip(&features).enumerate() {
            if let (Some(interner), Some(name)) = (acc.features.get_mut(f), feature_names.get(f)) {
                *slot = interner.intern(field(*column), name, row)?;
            }
        }
        acc.push(truth, prediction, w, s, &key, row)?;
    }
    if row == 0 {
        return Err(Error::EmptyFile);
    }
    Ok(())
}
