//! Senim's full-text indexes: the data library's datasets (here) and the
//! register's systems ([`systems`]).
//!
//! The data library's index.
//!
//! Every dataset is one document: its titles and descriptions analysed per
//! language (Russian and English stemmed by Snowball; Kazakh, which Snowball
//! has no stemmer for, lower-cased and split on word boundaries), and the
//! values it is filtered and counted by (organisation, keywords, file
//! formats, licence, themes, access level) kept verbatim. The index holds
//! nothing the database does not: it is built from the database when the
//! server starts and updated after each write, so it can always be thrown
//! away and rebuilt ([`DatasetIndex::rebuild`]).

mod facets;
mod live;
pub mod query;
pub mod systems;

use std::collections::BTreeMap;

use tantivy::collector::sort_key::{SortByErasedType, SortByStaticFastValue};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, EmptyQuery, Occur, Query, RangeQuery,
    TermQuery,
};
use tantivy::schema::{
    Field as IndexField, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, INDEXED,
    STRING,
};
use tantivy::tokenizer::{
    Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, TextAnalyzer,
};
use tantivy::{Index, TantivyDocument, Term};

use senim_domain::{Dataset, DatasetId, Resource};

pub use query::{parse, scored, Clause, Facet, Field, QueryError};
pub use systems::{SystemDoc, SystemIndex};
pub use tantivy::Order;

/// Why a search or an index update failed.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("{0}")]
    Query(#[from] QueryError),
    #[error("the search index failed: {0}")]
    Index(#[from] tantivy::TantivyError),
}

const LANGUAGES: [&str; 3] = ["kk", "ru", "en"];

/// What the index holds of one dataset.
#[derive(Debug, Clone)]
pub struct DatasetDoc {
    pub id: DatasetId,
    pub organisation: String,
    pub titles: [Option<String>; 3],
    pub descriptions: [Option<String>; 3],
    /// Keywords, producer, spatial coverage, provenance: matched as words in
    /// every language.
    pub other: Vec<String>,
    pub tags: Vec<String>,
    pub formats: Vec<String>,
    pub licence: String,
    pub themes: Vec<String>,
    pub access: String,
    /// Sorting by title: the English title, or the first there is, lower-cased.
    pub title_sort: String,
    /// Unix milliseconds.
    pub created: i64,
    pub modified: i64,
}

impl DatasetDoc {
    /// The document for a dataset and its files.
    pub fn new(d: &Dataset, resources: &[Resource]) -> DatasetDoc {
        let m = &d.metadata;
        let by_lang = |t: &senim_domain::LocalizedText| [t.kk.clone(), t.ru.clone(), t.en.clone()];
        let mut formats: Vec<String> = resources.iter().map(Resource::format).collect();
        formats.sort();
        formats.dedup();
        let mut other = m.keywords.clone();
        other.push(m.producer.name.clone());
        other.extend(m.spatial.clone());
        other.extend(m.provenance.clone());
        DatasetDoc {
            id: d.id,
            organisation: d.organisation_id.to_string(),
            titles: by_lang(&m.title),
            descriptions: by_lang(&m.description),
            other,
            tags: m.keywords.clone(),
            formats,
            licence: m.licence.clone(),
            themes: m.themes.iter().map(|t| t.as_str().to_string()).collect(),
            access: m.access.as_str().to_string(),
            title_sort: m.title.get("en").to_lowercase(),
            created: d.created_at.unix_millis(),
            modified: d.updated_at.unix_millis(),
        }
    }
}

/// A sort key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Score,
    Modified,
    Created,
    Title,
    Id,
}

impl SortKey {
    /// Reads CKAN's sort field names.
    pub fn parse(name: &str) -> Option<SortKey> {
        Some(match name {
            "score" => SortKey::Score,
            "metadata_modified" => SortKey::Modified,
            "metadata_created" => SortKey::Created,
            "title_string" | "title" => SortKey::Title,
            "name" | "id" => SortKey::Id,
            _ => return None,
        })
    }
}

/// A search: clauses every hit meets, the order, the page and the facets to count.
#[derive(Debug, Clone)]
pub struct Search {
    pub clauses: Vec<Clause>,
    /// At most two keys; the id breaks what ties remain (so pages never
    /// overlap or skip).
    pub sort: Vec<(SortKey, Order)>,
    pub offset: usize,
    pub limit: usize,
    pub facets: Vec<Facet>,
    /// How many values of each facet to give, most frequent first.
    pub facet_limit: usize,
    /// Leave out facet values counted fewer times.
    pub facet_min_count: u64,
}

impl Default for Search {
    fn default() -> Self {
        Search {
            clauses: Vec::new(),
            sort: vec![
                (SortKey::Score, Order::Desc),
                (SortKey::Modified, Order::Desc),
            ],
            offset: 0,
            limit: 10,
            facets: Vec::new(),
            facet_limit: 50,
            facet_min_count: 1,
        }
    }
}

/// What a search found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Hits {
    pub total: u64,
    pub ids: Vec<DatasetId>,
    /// For each facet asked for: its values and how many hits have each,
    /// most frequent first (ties by value).
    pub facets: BTreeMap<Facet, Vec<(String, u64)>>,
}

struct Fields {
    id: IndexField,
    titles: [IndexField; 3],
    descriptions: [IndexField; 3],
    other: [IndexField; 3],
    facets: [(Facet, IndexField); 6],
    title_sort: IndexField,
    /// The id's 16 bytes as two numbers: sorting by them is sorting by the
    /// id (a UUID's text sorts as its bytes), without comparing strings.
    id_hi: IndexField,
    id_lo: IndexField,
    created: IndexField,
    modified: IndexField,
}

/// The index of the library's datasets.
pub struct DatasetIndex {
    live: live::Live,
    fields: Fields,
}

/// A filter: it decides which datasets match, not how well.
fn unscored(query: impl Query) -> Box<dyn Query> {
    Box::new(ConstScoreQuery::new(Box::new(query), 0.0))
}

/// The analyzer of a language's text: words lower-cased, Russian and
/// English stemmed (`plain`, or Kazakh, only lower-cased).
pub(crate) fn analyzer(language: &str) -> TextAnalyzer {
    let base = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(60))
        .filter(LowerCaser);
    match language {
        "ru" => base.filter(Stemmer::new(Language::Russian)).build(),
        "en" => base.filter(Stemmer::new(Language::English)).build(),
        _ => base.build(),
    }
}

impl DatasetIndex {
    /// An empty index in memory.
    pub fn new() -> Result<DatasetIndex, SearchError> {
        let mut schema = Schema::builder();
        let text = |lang: &str| {
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(lang)
                    .set_index_option(IndexRecordOption::WithFreqsAndPositions),
            )
        };
        let id = schema.add_text_field("id", STRING);
        let titles = LANGUAGES.map(|l| schema.add_text_field(&format!("title_{l}"), text(l)));
        let descriptions =
            LANGUAGES.map(|l| schema.add_text_field(&format!("description_{l}"), text(l)));
        let other = LANGUAGES.map(|l| schema.add_text_field(&format!("other_{l}"), text(l)));
        let facets = Facet::ALL.map(|f| (f, schema.add_text_field(f.field_name(), STRING | FAST)));
        let title_sort = schema.add_text_field("title_sort", STRING | FAST);
        let id_hi = schema.add_u64_field("id_hi", FAST);
        let id_lo = schema.add_u64_field("id_lo", FAST);
        let created = schema.add_i64_field("metadata_created", INDEXED | FAST);
        let modified = schema.add_i64_field("metadata_modified", INDEXED | FAST);
        let index = Index::create_in_ram(schema.build());
        for l in LANGUAGES {
            index.tokenizers().register(l, analyzer(l));
        }
        Ok(DatasetIndex {
            live: live::Live::new(&index)?,
            fields: Fields {
                id,
                titles,
                descriptions,
                other,
                facets,
                title_sort,
                id_hi,
                id_lo,
                created,
                modified,
            },
        })
    }

    fn document(&self, d: &DatasetDoc) -> TantivyDocument {
        let f = &self.fields;
        let mut doc = TantivyDocument::default();
        doc.add_text(f.id, d.id.to_string());
        for i in 0..3 {
            if let Some(t) = &d.titles[i] {
                doc.add_text(f.titles[i], t);
            }
            if let Some(t) = &d.descriptions[i] {
                doc.add_text(f.descriptions[i], t);
            }
            for o in &d.other {
                doc.add_text(f.other[i], o);
            }
        }
        for (facet, field) in f.facets {
            let values: Vec<&str> = match facet {
                Facet::Organisation => vec![&d.organisation],
                Facet::Tag => d.tags.iter().map(String::as_str).collect(),
                Facet::Format => d.formats.iter().map(String::as_str).collect(),
                Facet::Licence => vec![&d.licence],
                Facet::Theme => d.themes.iter().map(String::as_str).collect(),
                Facet::Access => vec![&d.access],
            };
            for v in values {
                doc.add_text(field, v);
            }
        }
        doc.add_text(f.title_sort, &d.title_sort);
        let id = d.id.0.as_u128();
        doc.add_u64(f.id_hi, (id >> 64) as u64);
        doc.add_u64(f.id_lo, id as u64);
        doc.add_i64(f.created, d.created);
        doc.add_i64(f.modified, d.modified);
        doc
    }

    /// Puts (or replaces) one dataset and makes it visible to searches.
    pub fn upsert(&self, doc: &DatasetDoc) -> Result<(), SearchError> {
        let term = Term::from_field_text(self.fields.id, &doc.id.to_string());
        self.live.put([(term, self.document(doc))])
    }

    /// Replaces everything with `docs` in one commit (searches see the old
    /// index until it is done).
    pub fn rebuild(&self, docs: impl IntoIterator<Item = DatasetDoc>) -> Result<u64, SearchError> {
        self.live
            .rebuild(docs.into_iter().map(|d| self.document(&d)))
    }

    /// How many datasets the index holds.
    pub fn len(&self) -> u64 {
        self.live.searcher().num_docs()
    }

    /// Whether the index holds no dataset.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn words(&self, scope: Field, text: &str) -> Box<dyn Query> {
        let f = &self.fields;
        let mut scoped: Vec<(IndexField, usize, f32)> = Vec::new();
        for i in 0..3 {
            if matches!(scope, Field::Title | Field::Text) {
                scoped.push((f.titles[i], i, 3.0));
            }
            if matches!(scope, Field::Description | Field::Text) {
                scoped.push((f.descriptions[i], i, 1.0));
            }
            if scope == Field::Text {
                scoped.push((f.other[i], i, 1.5));
            }
        }
        // Each word must be found, in any of the fields and languages.
        let mut must: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for word in text.split_whitespace() {
            let mut any: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            for &(field, lang, boost) in &scoped {
                let mut analyzer = analyzer(LANGUAGES[lang]);
                let mut stream = analyzer.token_stream(word);
                let mut terms: Vec<(Occur, Box<dyn Query>)> = Vec::new();
                while let Some(token) = stream.next() {
                    let term = Term::from_field_text(field, &token.text);
                    terms.push((
                        Occur::Must,
                        Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs)),
                    ));
                }
                if !terms.is_empty() {
                    any.push((
                        Occur::Should,
                        Box::new(BoostQuery::new(Box::new(BooleanQuery::new(terms)), boost)),
                    ));
                }
            }
            if !any.is_empty() {
                must.push((Occur::Must, Box::new(BooleanQuery::new(any))));
            }
        }
        if must.is_empty() {
            return Box::new(AllQuery);
        }
        Box::new(BooleanQuery::new(must))
    }

    fn clause(&self, clause: &Clause) -> Box<dyn Query> {
        let f = &self.fields;
        match clause {
            Clause::All => Box::new(AllQuery),
            Clause::Nothing => Box::new(EmptyQuery),
            Clause::Words { scope, text } => self.words(*scope, text),
            Clause::Exact { field, value } => {
                let index_field = match field {
                    Field::Facet(facet) => {
                        f.facets.iter().find(|(x, _)| x == facet).map(|(_, i)| *i)
                    }
                    Field::Id => Some(f.id),
                    _ => None,
                };
                match index_field {
                    Some(i) => unscored(TermQuery::new(
                        Term::from_field_text(i, value),
                        IndexRecordOption::Basic,
                    )),
                    None => Box::new(EmptyQuery),
                }
            }
            Clause::Range { field, from, to } => {
                let i = if *field == Field::Created {
                    f.created
                } else {
                    f.modified
                };
                use std::ops::Bound;
                let bound = |v: &Option<i64>| match v {
                    Some(v) => Bound::Included(Term::from_field_i64(i, *v)),
                    None => Bound::Unbounded,
                };
                unscored(RangeQuery::new(bound(from), bound(to)))
            }
            Clause::Any(any) => Box::new(BooleanQuery::new(
                any.iter()
                    .map(|c| (Occur::Should, self.clause(c)))
                    .collect(),
            )),
            Clause::Not(inner) => Box::new(BooleanQuery::new(vec![
                (Occur::Must, Box::new(AllQuery) as Box<dyn Query>),
                (Occur::MustNot, self.clause(inner)),
            ])),
        }
    }

    fn sort_key(key: SortKey) -> SortByErasedType {
        match key {
            SortKey::Score => SortByErasedType::for_score(),
            SortKey::Modified => SortByErasedType::for_field("metadata_modified"),
            SortKey::Created => SortByErasedType::for_field("metadata_created"),
            SortKey::Title => SortByErasedType::for_field("title_sort"),
            SortKey::Id => SortByErasedType::for_field("id_hi"),
        }
    }

    /// Runs a search.
    pub fn search(&self, search: &Search) -> Result<Hits, SearchError> {
        let query: Box<dyn Query> = if search.clauses.is_empty() {
            Box::new(AllQuery)
        } else {
            Box::new(BooleanQuery::new(
                search
                    .clauses
                    .iter()
                    .map(|c| (Occur::Must, self.clause(c)))
                    .collect(),
            ))
        };
        // Each facet counted once, however often it is asked for.
        let mut wanted = search.facets.clone();
        wanted.sort();
        wanted.dedup();
        let counter = facets::FacetCounter {
            fields: wanted.iter().map(|f| f.field_name()).collect(),
        };
        let searcher = self.live.searcher();
        // A page past the end is empty: the collector reserves room for
        // offset + limit hits, so neither may exceed what the index holds.
        let held = searcher.num_docs() as usize;
        let offset = search.offset.min(held);
        let limit = search.limit.min(held - offset);
        let top = TopDocs::with_limit(limit.max(1)).and_offset(offset);
        let hi = || SortByStaticFastValue::<u64>::for_field("id_hi");
        let lo = || SortByStaticFastValue::<u64>::for_field("id_lo");
        // Each hit's id comes back in its sort key (the last two numbers), so
        // no stored document is read.
        let id_of = |hi: Option<u64>, lo: Option<u64>| {
            DatasetId(uuid_from(hi.unwrap_or(0), lo.unwrap_or(0)))
        };
        let mut keys: Vec<(SortKey, Order)> = search.sort.clone();
        keys.truncate(2);
        let one_number = match keys.as_slice() {
            [(k, o)] | [(k, o), (SortKey::Id, _)] => match k {
                SortKey::Modified => Some(("metadata_modified", *o)),
                SortKey::Created => Some(("metadata_created", *o)),
                _ => None,
            },
            _ => None,
        };
        let (ids, total, counted) = if limit == 0 {
            let (total, counted) = searcher.search(&query, &(Count, counter))?;
            (Vec::new(), total, counted)
        } else if let Some((field, order)) = one_number {
            // The usual orders (the latest first, the oldest first): typed
            // keys, compared as numbers.
            let top = top.order_by((
                (SortByStaticFastValue::<i64>::for_field(field), order),
                (hi(), Order::Asc),
                (lo(), Order::Asc),
            ));
            let (found, total, counted) = searcher.search(&query, &(top, Count, counter))?;
            let ids = found
                .into_iter()
                .map(|((_, h, l), _)| id_of(h, l))
                .collect();
            (ids, total, counted)
        } else if let [(SortKey::Id, order), ..] = keys.as_slice() {
            let top = top.order_by(((hi(), *order), (lo(), *order)));
            let (found, total, counted) = searcher.search(&query, &(top, Count, counter))?;
            let ids = found.into_iter().map(|((h, l), _)| id_of(h, l)).collect();
            (ids, total, counted)
        } else {
            // Relevance, titles, and two-key orders: keys of any type.
            while keys.len() < 2 {
                keys.push((SortKey::Modified, Order::Desc));
            }
            // Pairs of pairs: tantivy 0.27's four-key tuple drops the orders
            // it is given (its comparator is the default); its pairs keep them.
            let top = top.order_by((
                (
                    (Self::sort_key(keys[0].0), keys[0].1),
                    (Self::sort_key(keys[1].0), keys[1].1),
                ),
                ((hi(), Order::Asc), (lo(), Order::Asc)),
            ));
            let (found, total, counted) = searcher.search(&query, &(top, Count, counter))?;
            let ids = found
                .into_iter()
                .map(|((_, (h, l)), _)| id_of(h, l))
                .collect();
            (ids, total, counted)
        };
        let mut facets = BTreeMap::new();
        for (facet, counts) in wanted.iter().zip(counted) {
            let mut values: Vec<(String, u64)> = counts
                .into_iter()
                .filter(|(_, n)| *n >= search.facet_min_count.max(1))
                .collect();
            values.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            values.truncate(search.facet_limit.max(1));
            facets.insert(*facet, values);
        }
        Ok(Hits {
            total: total as u64,
            ids,
            facets,
        })
    }
}

/// The UUID whose 16 bytes are `hi` then `lo`.
fn uuid_from(hi: u64, lo: u64) -> uuid::Uuid {
    uuid::Uuid::from_u128((u128::from(hi) << 64) | u128::from(lo))
}

#[cfg(test)]
mod tests;
