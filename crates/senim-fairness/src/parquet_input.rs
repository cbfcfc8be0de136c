//! Parquet reader: record batches through the Arrow reader, projected to
//! the needed columns, converted column by column.
//!
//! Labels and group values are read as text: strings as they are, integers
//! in decimal, floats in their shortest form without a trailing `.0`
//! (`3.0` is `"3"`), booleans as `true`/`false`, dictionary-encoded
//! columns (pandas categoricals) through their dictionary. A null group
//! value is the empty group `""`; a null label, score or weight is an error.

use crate::accumulate::{check_score, check_weight, parse_number, Accumulator};
use crate::csv_input::find_column;
use crate::error::{Error, Result};
use crate::label::canonical_number;
use crate::options::Options;
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type, UInt16Type, UInt32Type,
    UInt64Type, UInt8Type,
};
use arrow_array::Array;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ProjectionMask;
use parquet::file::reader::ChunkReader;
use std::fmt::Write as _;

fn parquet_error(error: impl std::fmt::Display) -> Error {
    Error::Parquet {
        message: error.to_string(),
    }
}

fn unsupported(array: &dyn Array, column: &str) -> Error {
    Error::UnsupportedColumnType {
        column: column.to_string(),
        data_type: array.data_type().to_string(),
    }
}

type TextSink<'a> = dyn FnMut(usize, Option<&[u8]>) -> Result<()> + 'a;

macro_rules! integer_text {
    ($array:expr, $sink:expr, $($t:ty),*) => {
        $(
            if let Some(a) = $array.as_primitive_opt::<$t>() {
                let mut buf = String::new();
                for i in 0..a.len() {
                    if a.is_null(i) {
                        $sink(i, None)?;
                    } else {
                        buf.clear();
                        let _ = write!(buf, "{}", a.value(i));
                        $sink(i, Some(buf.as_bytes()))?;
                    }
                }
                return Ok(());
            }
        )*
    };
}

/// Calls `sink(i, text)` for every value of the array, as text.
fn for_each_text(array: &dyn Array, column: &str, sink: &mut TextSink<'_>) -> Result<()> {
    if let Some(a) = array.as_string_opt::<i32>() {
        for i in 0..a.len() {
            sink(i, (!a.is_null(i)).then(|| a.value(i).as_bytes()))?;
        }
        return Ok(());
    }
    if let Some(a) = array.as_string_opt::<i64>() {
        for i in 0..a.len() {
            sink(i, (!a.is_null(i)).then(|| a.value(i).as_bytes()))?;
        }
        return Ok(());
    }
    if let Some(a) = array.as_string_view_opt() {
        for i in 0..a.len() {
            sink(i, (!a.is_null(i)).then(|| a.value(i).as_bytes()))?;
        }
        return Ok(());
    }
    if let Some(d) = array.as_any_dictionary_opt() {
        let values = d.values();
        let mut texts: Vec<Option<Vec<u8>>> = vec![None; values.len()];
        for_each_text(values.as_ref(), column, &mut |i, t| {
            if let Some(slot) = texts.get_mut(i) {
                *slot = t.map(<[u8]>::to_vec);
            }
            Ok(())
        })?;
        for (i, key) in d.normalized_keys().iter().enumerate() {
            if array.is_null(i) {
                sink(i, None)?;
            } else {
                sink(i, texts.get(*key).and_then(|t| t.as_deref()))?;
            }
        }
        return Ok(());
    }
    if let Some(a) = array.as_boolean_opt() {
        for i in 0..a.len() {
            let text: &[u8] = if a.value(i) { b"true" } else { b"false" };
            sink(i, (!a.is_null(i)).then_some(text))?;
        }
        return Ok(());
    }
    integer_text!(
        array, sink, Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type, UInt32Type,
        UInt64Type
    );
    if let Some(a) = array.as_primitive_opt::<Float64Type>() {
        for i in 0..a.len() {
            let text = (!a.is_null(i)).then(|| canonical_number(a.value(i)));
            sink(i, text.as_deref().map(str::as_bytes))?;
        }
        return Ok(());
    }
    if let Some(a) = array.as_primitive_opt::<Float32Type>() {
        for i in 0..a.len() {
            let text = (!a.is_null(i)).then(|| canonical_number(f64::from(a.value(i))));
            sink(i, text.as_deref().map(str::as_bytes))?;
        }
        return Ok(());
    }
    Err(unsupported(array, column))
}

macro_rules! numeric_values {
    ($array:expr, $out:expr, $($t:ty),*) => {
        $(
            if let Some(a) = $array.as_primitive_opt::<$t>() {
                for i in 0..a.len() {
                    $out.push((!a.is_null(i)).then(|| a.value(i) as f64));
                }
                return Ok(());
            }
        )*
    };
}

/// Reads a numeric (score or weight) column; text columns are parsed.
fn numbers(
    array: &dyn Array,
    column: &str,
    first_row: u64,
    out: &mut Vec<Option<f64>>,
) -> Result<()> {
    out.clear();
    numeric_values!(
        array,
        out,
        Float64Type,
        Float32Type,
        Int8Type,
        Int16Type,
        Int32Type,
        Int64Type,
        UInt8Type,
        UInt16Type,
        UInt32Type,
        UInt64Type
    );
    if array.as_string_opt::<i32>().is_some()
        || array.as_string_opt::<i64>().is_some()
        || array.as_string_view_opt().is_some()
    {
        return for_each_text(array, column, &mut |i, t| {
            let value = match t {
                None => None,
                Some(bytes) => Some(parse_number(bytes, column, first_row + i as u64)?),
            };
            out.push(value);
            Ok(())
        });
    }
    Err(unsupported(array, column))
}

/// Reads every row of a Parquet file into the accumulator.
pub(crate) fn read_parquet<T: ChunkReader + 'static>(
    input: T,
    options: &Options,
    acc: &mut Accumulator,
) -> Result<()> {
    let builder = ParquetRecordBatchReaderBuilder::try_new(input).map_err(parquet_error)?;
    acc.reserve_rows(u64::try_from(builder.metadata().file_metadata().num_rows()).unwrap_or(0));
    let names: Vec<String> = builder
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let feature_names: Vec<&String> = options.sensitive.iter().chain(&options.control).collect();
    let mut wanted: Vec<&str> = vec![options.y_true.as_str(), options.y_pred.as_str()];
    wanted.extend(options.score.as_deref());
    wanted.extend(options.weight.as_deref());
    wanted.extend(feature_names.iter().map(|s| s.as_str()));
    let mut roots: Vec<usize> = wanted
        .iter()
        .map(|c| find_column(&names, c))
        .collect::<Result<_>>()?;
    roots.sort_unstable();
    roots.dedup();
    let mask = ProjectionMask::roots(builder.parquet_schema(), roots);
    let reader = builder
        .with_projection(mask)
        .with_batch_size(64 * 1024)
        .build()
        .map_err(parquet_error)?;

    let mut truth: Vec<bool> = Vec::new();
    let mut prediction: Vec<bool> = Vec::new();
    let mut weights: Vec<Option<f64>> = Vec::new();
    let mut scores: Vec<Option<f64>> = Vec::new();
    let mut ids: Vec<Vec<u32>> = vec![Vec::new(); feature_names.len()];
    let mut key = vec![0u32; feature_names.len()];
    let mut rows_before: u64 = 0;
    for batch in reader {
        let batch = batch.map_err(parquet_error)?;
        let n = batch.num_rows();
        let column = |name: &str| -> Result<&arrow_array::ArrayRef> {
            let index = find_column(
                &batch
                    .schema()
                    .fields()
                    .iter()
                    .map(|f| f.name().clone())
                    .collect::<Vec<_>>(),
                name,
            )?;
            Ok(batch.column(index))
        };
        for (labels, name) in [
            (&mut truth, &options.y_true),
            (&mut prediction, &options.y_pred),
        ] {
            labels.clear();
            let table = &mut acc.labels;
            for_each_text(column(name)?.as_ref(), name, &mut |i, t| {
                let row = rows_before + i as u64 + 1;
                let text = t.ok_or_else(|| Error::MissingLabel {
                    column: name.clone(),
                    row,
                })?;
                labels.push(table.is_positive(text, name, row)?);
                Ok(())
            })?;
        }
        if let Some(name) = &options.weight {
            numbers(column(name)?.as_ref(), name, rows_before + 1, &mut weights)?;
        }
        if let Some(name) = &options.score {
            numbers(column(name)?.as_ref(), name, rows_before + 1, &mut scores)?;
        }
        for (f, name) in feature_names.iter().enumerate() {
            let (Some(out), Some(interner)) = (ids.get_mut(f), acc.features.get_mut(f)) else {
                continue;
            };
            out.clear();
            for_each_text(column(name)?.as_ref(), name, &mut |i, t| {
                let row = rows_before + i as u64 + 1;
                out.push(interner.intern(t.unwrap_or_default(), name, row)?);
                Ok(())
            })?;
        }
        for i in 0..n {
            let row = rows_before + i as u64 + 1;
            let w = match &options.weight {
                Some(name) => match weights.get(i).copied().flatten() {
                    Some(w) => check_weight(w, name, row)?,
                    None => {
                        return Err(Error::MissingNumber {
                            column: name.clone(),
                            row,
                        })
                    }
                },
                None => 1.0,
            };
            let s = match &options.score {
                Some(name) => match scores.get(i).copied().flatten() {
                    Some(s) => check_score(s, name, row)?,
                    None => {
                        return Err(Error::MissingNumber {
                            column: name.clone(),
                            row,
                        })
                    }
                },
                None => 0.0,
            };
            for (slot, column_ids) in key.iter_mut().zip(&ids) {
                *slot = column_ids.get(i).copied().unwrap_or_default();
            }
            let t = truth.get(i).copied().unwrap_or_default();
            let p = prediction.get(i).copied().unwrap_or_default();
            acc.push(t, p, w, s, &key, row)?;
        }
        rows_before += n as u64;
    }
    if rows_before == 0 {
        return Err(Error::EmptyFile);
    }
    Ok(())
}
