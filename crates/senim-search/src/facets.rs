//! Counting facet values over the hits: per segment, a counter per term
//! ordinal of each facet's column (no allocation per document); the
//! ordinals become strings once per segment, when the counts merge.

use std::collections::HashMap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::StrColumn;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

/// Counts, for each field named, how many hits have each of its values.
pub(crate) struct FacetCounter {
    pub fields: Vec<&'static str>,
}

pub(crate) struct SegmentFacetCounter {
    columns: Vec<Option<(StrColumn, Vec<u64>)>>,
}

impl Collector for FacetCounter {
    type Fruit = Vec<HashMap<String, u64>>;
    type Child = SegmentFacetCounter;

    fn for_segment(
        &self,
        _: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentFacetCounter> {
        let mut columns = Vec::with_capacity(self.fields.len());
        for field in &self.fields {
            columns.push(reader.fast_fields().str(field)?.map(|column| {
                let terms = column.num_terms();
                (column, vec![0u64; terms])
            }));
        }
        Ok(SegmentFacetCounter { columns })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(
        &self,
        segments: Vec<Vec<HashMap<String, u64>>>,
    ) -> tantivy::Result<Vec<HashMap<String, u64>>> {
        let mut merged = vec![HashMap::new(); self.fields.len()];
        for segment in segments {
            for (into, counts) in merged.iter_mut().zip(segment) {
                for (value, n) in counts {
                    *into.entry(value).or_insert(0) += n;
                }
            }
        }
        Ok(merged)
    }
}

impl SegmentCollector for SegmentFacetCounter {
    type Fruit = Vec<HashMap<String, u64>>;

    fn collect(&mut self, doc: DocId, _: Score) {
        for (column, counts) in self.columns.iter_mut().flatten() {
            for ord in column.term_ords(doc) {
                if let Some(n) = counts.get_mut(ord as usize) {
                    *n += 1;
                }
            }
        }
    }

    fn harvest(self) -> Self::Fruit {
        self.columns
            .into_iter()
            .map(|column| {
                let mut out = HashMap::new();
                let Some((column, counts)) = column else {
                    return out;
                };
                let mut text = String::new();
                for (ord, n) in counts.into_iter().enumerate() {
                    if n > 0 && matches!(column.ord_to_str(ord as u64, &mut text), Ok(true)) {
                        out.insert(text.clone(), n);
                    }
                }
                out
            })
            .collect()
    }
}
