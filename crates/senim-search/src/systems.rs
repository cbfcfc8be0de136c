//! The register's full-text index: one document per AI system.
//!
//! A system is found by any word a reader may know it by, in any of the
//! three languages: its names and public documentation, its organisations'
//! names, its sectors' names, its registry number. Each word of a query
//! must be found (in any field), as:
//!
//! - the word itself (lower-cased), or its Russian or English stem
//!   (Snowball), so "больницы" finds "больница" and "hospitals" finds
//!   "hospital";
//! - the beginning of a longer word (from three letters): Kazakh, which
//!   Snowball has no stemmer for, adds its endings to the stem ("дала" finds
//!   "даланың"), and a word being typed finds what it begins;
//! - a word one or two letters away (from five and eight letters): "sepsys"
//!   finds "sepsis".
//!
//! Codes are found exactly, however they are typed: a registry number
//! (`KZ-AI-2026-000004`, also with spaces or in lower case), a system's id,
//! an organisation's BIN or id. A query that finds nothing gets a "did you
//! mean" from the words the index holds ([`SystemIndex::suggest`]).
//!
//! Like the library's index, it holds nothing the register does not and is
//! rebuilt whenever the register's summaries are.

use std::collections::{BTreeSet, HashMap};

use std::sync::Arc;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::ColumnValues;
use tantivy::query::{BooleanQuery, BoostQuery, FuzzyTermQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, STRING,
};
use tantivy::{DocId, Index, Score, SegmentOrdinal, SegmentReader, TantivyDocument, Term};

use crate::live::Live;
use crate::{analyzer, SearchError};

/// What the index holds of one system.
#[derive(Debug, Clone, Default)]
pub struct SystemDoc {
    pub id: uuid::Uuid,
    /// Every word it is found by, in any language and order.
    pub text: String,
    /// Codes found exactly (registry number, ids, BINs), in any case.
    pub codes: Vec<String>,
}

/// The shortest beginning of a word that finds it.
const PREFIX_FROM: usize = 3;
/// Beginnings are indexed up to this many letters (longer ones are the
/// word itself or a typo of it).
const PREFIX_TO: usize = 16;

struct Fields {
    id_hi: Field,
    id_lo: Field,
    /// Lower-cased words.
    plain: Field,
    /// Stemmed, Russian and English.
    ru: Field,
    en: Field,
    /// Every beginning of every word, from three letters.
    prefix: Field,
    code: Field,
}

/// The register's index; see the module documentation.
pub struct SystemIndex {
    live: Live,
    fields: Fields,
}

/// The words of `text` as the plain field holds them.
fn words(text: &str) -> Vec<String> {
    let mut analyzer = analyzer("plain");
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while let Some(token) = stream.next() {
        out.push(token.text.clone());
    }
    out
}

/// A code as the index holds it: lower case, spaces and underscores as
/// dashes ("KZ AI 2026 000004" is "kz-ai-2026-000004").
pub fn normalize_code(code: &str) -> String {
    code.split(|c: char| c.is_whitespace() || c == '_')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-")
        .to_lowercase()
}

/// The edit distance between two words (with transpositions), or `None`
/// when it is above `max`.
fn distance(a: &[char], b: &[char], max: usize) -> Option<usize> {
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    let mut before: Vec<usize> = Vec::new();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut current = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (previous[j] + 1)
                .min(current[j - 1] + 1)
                .min(previous[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(before[j - 2] + 1);
            }
            current[j] = d;
        }
        if current.iter().min().copied().unwrap_or(0) > max {
            return None;
        }
        before = std::mem::replace(&mut previous, current);
    }
    Some(previous[b.len()]).filter(|d| *d <= max)
}

/// Kazakh endings (case, plural, possessive), longest first: a query word
/// that ends with one is also looked for without it ("ауруханада" finds
/// "аурухана"), since Snowball has no Kazakh stemmer.
const KAZAKH_ENDINGS: &[&str] = &[
    "лардың",
    "лердің",
    "дардың",
    "дердің",
    "тардың",
    "тердің",
    "ларға",
    "лерге",
    "ларда",
    "лерде",
    "лардан",
    "лерден",
    "ларын",
    "лерін",
    "ның",
    "нің",
    "дың",
    "дің",
    "тың",
    "тің",
    "нда",
    "нде",
    "дан",
    "ден",
    "тан",
    "тен",
    "нан",
    "нен",
    "мен",
    "бен",
    "пен",
    "лар",
    "лер",
    "дар",
    "дер",
    "тар",
    "тер",
    "ға",
    "ге",
    "қа",
    "ке",
    "на",
    "не",
    "да",
    "де",
    "та",
    "те",
    "ны",
    "ні",
    "ды",
    "ді",
    "ты",
    "ті",
    "сы",
    "сі",
    "ым",
    "ім",
    "ың",
    "ің",
];

/// `word` without the longest Kazakh ending it has, keeping at least
/// three letters; `None` when it has none.
fn without_ending(word: &str) -> Option<&str> {
    KAZAKH_ENDINGS.iter().find_map(|ending| {
        let stem = word.strip_suffix(ending)?;
        (stem.chars().count() >= PREFIX_FROM).then_some(stem)
    })
}

/// How far a word may be from what it finds: none below five letters,
/// one from five, two from eight.
fn tolerance(letters: usize) -> u8 {
    match letters {
        0..=4 => 0,
        5..=7 => 1,
        _ => 2,
    }
}

/// Collects every hit as (the system's id, its score), in no order: a
/// ranked top-k would keep a heap as large as the register for a word every
/// system has.
struct EveryHit;

/// One segment's hits, with the segment's id columns.
struct SegmentHits {
    hi: Arc<dyn ColumnValues<u64>>,
    lo: Arc<dyn ColumnValues<u64>>,
    hits: Vec<(u128, Score)>,
}

impl Collector for EveryHit {
    type Fruit = Vec<(u128, Score)>;
    type Child = SegmentHits;

    fn for_segment(
        &self,
        _: SegmentOrdinal,
        segment: &SegmentReader,
    ) -> tantivy::Result<SegmentHits> {
        let fast = segment.fast_fields();
        Ok(SegmentHits {
            hi: fast.u64("id_hi")?.first_or_default_col(0),
            lo: fast.u64("id_lo")?.first_or_default_col(0),
            hits: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, fruits: Vec<Vec<(u128, Score)>>) -> tantivy::Result<Self::Fruit> {
        Ok(fruits.concat())
    }
}

impl SegmentCollector for SegmentHits {
    type Fruit = Vec<(u128, Score)>;

    fn collect(&mut self, doc: DocId, score: Score) {
        let id = (u128::from(self.hi.get_val(doc)) << 64) | u128::from(self.lo.get_val(doc));
        self.hits.push((id, score));
    }

    fn harvest(self) -> Self::Fruit {
        self.hits
    }
}

impl SystemIndex {
    /// An empty index in memory.
    pub fn new() -> Result<SystemIndex, SearchError> {
        let mut schema = Schema::builder();
        let text = |tokenizer: &str, positions: bool| {
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(tokenizer)
                    .set_index_option(if positions {
                        IndexRecordOption::WithFreqsAndPositions
                    } else {
                        IndexRecordOption::WithFreqs
                    }),
            )
        };
        let id_hi = schema.add_u64_field("id_hi", FAST);
        let id_lo = schema.add_u64_field("id_lo", FAST);
        let plain = schema.add_text_field("plain", text("plain", false));
        let ru = schema.add_text_field("ru", text("ru", false));
        let en = schema.add_text_field("en", text("en", false));
        let prefix = schema.add_text_field("prefix", text("plain", false));
        let code = schema.add_text_field("code", STRING);
        let index = Index::create_in_ram(schema.build());
        for language in ["plain", "ru", "en"] {
            index.tokenizers().register(language, analyzer(language));
        }
        Ok(SystemIndex {
            live: Live::new(&index)?,
            fields: Fields {
                id_hi,
                id_lo,
                plain,
                ru,
                en,
                prefix,
                code,
            },
        })
    }

    fn document(&self, d: &SystemDoc) -> TantivyDocument {
        let f = &self.fields;
        let mut doc = TantivyDocument::default();
        let id = d.id.as_u128();
        doc.add_u64(f.id_hi, (id >> 64) as u64);
        doc.add_u64(f.id_lo, id as u64);
        for field in [f.plain, f.ru, f.en] {
            doc.add_text(field, &d.text);
        }
        // Each distinct word's beginnings, once.
        let distinct: BTreeSet<String> = words(&d.text).into_iter().collect();
        let mut beginnings = String::new();
        for word in &distinct {
            let letters: Vec<char> = word.chars().collect();
            for n in PREFIX_FROM..letters.len().min(PREFIX_TO) {
                beginnings.extend(&letters[..n]);
                beginnings.push(' ');
            }
        }
        doc.add_text(f.prefix, beginnings);
        doc.add_text(f.code, d.id.to_string());
        for code in &d.codes {
            doc.add_text(f.code, normalize_code(code));
        }
        doc
    }

    /// Puts (or replaces) systems and makes them visible to searches.
    pub fn upsert(&self, docs: &[SystemDoc]) -> Result<(), SearchError> {
        self.live.put(docs.iter().map(|d| {
            let id = Term::from_field_text(self.fields.code, &d.id.to_string());
            (id, self.document(d))
        }))
    }

    /// Replaces everything with `docs` in one commit.
    pub fn rebuild(&self, docs: impl IntoIterator<Item = SystemDoc>) -> Result<u64, SearchError> {
        self.live
            .rebuild(docs.into_iter().map(|d| self.document(&d)))
    }

    fn term(&self, field: Field, text: &str, boost: f32) -> (Occur, Box<dyn Query>) {
        let query = TermQuery::new(
            Term::from_field_text(field, text),
            IndexRecordOption::WithFreqs,
        );
        (
            Occur::Should,
            Box::new(BoostQuery::new(Box::new(query), boost)),
        )
    }

    fn stem(language: &str, word: &str) -> Option<String> {
        let mut analyzer = analyzer(language);
        let mut stream = analyzer.token_stream(word);
        stream.next().map(|t| t.text.clone())
    }

    /// The query `text` stands for (see the module documentation).
    fn query(&self, text: &str) -> Box<dyn Query> {
        let f = &self.fields;
        let mut each: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for word in words(text) {
            let letters = word.chars().count();
            let prefixed = (PREFIX_FROM..PREFIX_TO).contains(&letters);
            let mut any = vec![self.term(f.plain, &word, 2.0)];
            for (field, language) in [(f.ru, "ru"), (f.en, "en")] {
                match Self::stem(language, &word) {
                    // A word that is its own stem finds, by its stem, the
                    // word itself and words it begins: the plain and the
                    // prefix terms find them already (and a search for a
                    // word every system has reads two lists fewer).
                    Some(stem) if stem == word && prefixed => {}
                    Some(stem) => any.push(self.term(field, &stem, 1.5)),
                    None => {}
                }
            }
            if prefixed {
                any.push(self.term(f.prefix, &word, 1.0));
            }
            if let Some(stem) = without_ending(&word) {
                any.push(self.term(f.plain, stem, 1.0));
                any.push(self.term(f.prefix, stem, 0.8));
            }
            let tolerated = tolerance(letters);
            if tolerated > 0 {
                let fuzzy =
                    FuzzyTermQuery::new(Term::from_field_text(f.plain, &word), tolerated, true);
                any.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(fuzzy), 0.5)),
                ));
            }
            each.push((Occur::Must, Box::new(BooleanQuery::new(any))));
        }
        let mut alternatives: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if !each.is_empty() {
            alternatives.push((Occur::Should, Box::new(BooleanQuery::new(each))));
        }
        let code = normalize_code(text);
        if !code.is_empty() {
            alternatives.push(self.term(f.code, &code, 10.0));
        }
        Box::new(BooleanQuery::new(alternatives))
    }

    /// Every system `text` finds, with how well it matches.
    pub fn find(&self, text: &str) -> Result<HashMap<uuid::Uuid, f32>, SearchError> {
        let searcher = self.live.searcher();
        if searcher.num_docs() == 0 || text.trim().is_empty() {
            return Ok(HashMap::new());
        }
        // Every hit, unordered: the register counts its facets over all of
        // them and orders only the page it shows.
        let found = searcher.search(&self.query(text), &EveryHit)?;
        Ok(found
            .into_iter()
            .map(|(id, score)| (uuid::Uuid::from_u128(id), score))
            .collect())
    }

    /// For a query that finds nothing: the same words with each one the
    /// index does not hold replaced by the nearest it does (one or two
    /// letters away; the more frequent first), if any was replaced.
    pub fn suggest(&self, text: &str) -> Result<Option<String>, SearchError> {
        let searcher = self.live.searcher();
        let mut changed = false;
        let mut out = Vec::new();
        for word in words(text) {
            let letters: Vec<char> = word.chars().collect();
            let known = searcher.doc_freq(&Term::from_field_text(self.fields.plain, &word))? > 0
                || searcher.doc_freq(&Term::from_field_text(self.fields.prefix, &word))? > 0;
            // One letter more than a search tolerates (it found nothing).
            let max = (usize::from(tolerance(letters.len())) + 1).min(2);
            if known || letters.len() < 4 {
                out.push(word);
                continue;
            }
            // Only the words within `max` letters are read: the term
            // dictionary is walked with a Levenshtein automaton, not word
            // by word. (distance, -frequency, word): the best is the smallest.
            let near = FuzzyTermQuery::new(
                Term::from_field_text(self.fields.plain, &word),
                max as u8,
                true,
            );
            let mut best: Option<(usize, i64, String)> = None;
            for segment in searcher.segment_readers() {
                let inverted = segment.inverted_index(self.fields.plain)?;
                let mut stream = inverted
                    .terms()
                    .search(near.automaton()?)
                    .into_stream()
                    .map_err(tantivy::TantivyError::from)?;
                while stream.advance() {
                    let Ok(candidate) = std::str::from_utf8(stream.key()) else {
                        continue;
                    };
                    let chars: Vec<char> = candidate.chars().collect();
                    if let Some(d) = distance(&letters, &chars, max) {
                        let key = (
                            d,
                            -i64::from(stream.value().doc_freq),
                            candidate.to_string(),
                        );
                        if best.as_ref().is_none_or(|b| key < *b) {
                            best = Some(key);
                        }
                    }
                }
            }
            match best {
                Some((_, _, better)) => {
                    changed = true;
                    out.push(better);
                }
                None => out.push(word),
            }
        }
        Ok(changed.then(|| out.join(" ")))
    }

    /// How many systems the index holds.
    pub fn len(&self) -> u64 {
        self.live.searcher().num_docs()
    }

    /// Whether the index holds no system.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn doc(n: u128, text: &str, codes: &[&str]) -> SystemDoc {
        SystemDoc {
            id: uuid::Uuid::from_u128(n),
            text: text.into(),
            codes: codes.iter().map(|c| c.to_string()).collect(),
        }
    }

    fn index() -> SystemIndex {
        let index = SystemIndex::new().unwrap();
        index
            .rebuild([
                doc(
                    1,
                    "Sepsis early warning. Ранее предупреждение сепсиса. Городская больница №1. Қалалық аурухана. Healthcare Здравоохранение Денсаулық сақтау kz-ai-2026-000004",
                    &["KZ-AI-2026-000004", "940540000138"],
                ),
                doc(
                    2,
                    "Credit scoring. Кредитный скоринг. Дала банкі. Finance Финансы Қаржы",
                    &["050340000186"],
                ),
            ])
            .unwrap();
        index
    }

    fn found(index: &SystemIndex, q: &str) -> Vec<u128> {
        let mut ids: Vec<u128> = index.find(q).unwrap().keys().map(|u| u.as_u128()).collect();
        ids.sort();
        ids
    }

    #[test]
    fn finds_by_code_name_stem_beginning_and_typo() {
        let index = index();
        for (q, want) in [
            ("KZ-AI-2026-000004", vec![1]),
            ("kz ai 2026 000004", vec![1]),
            ("940540000138", vec![1]),
            ("00000000-0000-0000-0000-000000000002", vec![2]),
            ("Healthcare", vec![1]),
            ("здравоохранение", vec![1]),
            ("больницы", vec![1]),
            ("Дала", vec![2]),
            ("даланың", vec![2]),
            ("ауруханада", vec![1]),
            ("сеп", vec![1]),
            ("sepsys", vec![1]),
            ("sepsis warning", vec![1]),
            ("sepsis credit", vec![]),
            ("scoring", vec![2]),
        ] {
            assert_eq!(found(&index, q), want, "{q}");
        }
    }

    #[test]
    fn suggests_the_nearest_known_words() {
        let index = index();
        assert_eq!(index.suggest("scorng").unwrap().as_deref(), Some("scoring"));
        assert_eq!(index.suggest("scoring").unwrap(), None);
        assert_eq!(index.suggest("zzzzzzzz").unwrap(), None);
    }

    #[test]
    fn distance_counts_transpositions_as_one() {
        let d = |a: &str, b: &str| {
            distance(
                &a.chars().collect::<Vec<_>>(),
                &b.chars().collect::<Vec<_>>(),
                2,
            )
        };
        assert_eq!(d("sepsis", "sepsys"), Some(1));
        assert_eq!(d("sepsis", "sepsis"), Some(0));
        assert_eq!(d("ab", "ba"), Some(1));
        assert_eq!(d("abcdef", "uvwxyz"), None);
    }
}
