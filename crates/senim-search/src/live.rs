//! What both indexes share: an index in memory, one writer behind a lock,
//! and a reader that sees each change once it is committed.

use std::sync::Mutex;

use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

use crate::SearchError;

pub(crate) struct Live {
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
}

impl Live {
    /// The writer and reader of `index` (one writing thread, 50 MB).
    pub(crate) fn new(index: &Index) -> Result<Live, SearchError> {
        let writer = index.writer_with_num_threads(1, 50_000_000)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Live {
            reader,
            writer: Mutex::new(writer),
        })
    }

    pub(crate) fn searcher(&self) -> tantivy::Searcher {
        self.reader.searcher()
    }

    /// Replaces the documents each `(term, document)` names by its term
    /// with that document, in one commit, and makes them visible.
    pub(crate) fn put(
        &self,
        docs: impl IntoIterator<Item = (Term, TantivyDocument)>,
    ) -> Result<(), SearchError> {
        // A panic while holding the writer leaves it usable: each change
        // commits or is rolled back as a whole.
        let mut writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        for (term, doc) in docs {
            writer.delete_term(term);
            writer.add_document(doc)?;
        }
        writer.commit()?;
        drop(writer);
        self.reader.reload()?;
        Ok(())
    }

    /// Replaces everything with `docs` in one commit (searches see the old
    /// index until it is done); returns how many there are.
    pub(crate) fn rebuild(
        &self,
        docs: impl IntoIterator<Item = TantivyDocument>,
    ) -> Result<u64, SearchError> {
        let mut writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        writer.delete_all_documents()?;
        let mut n = 0;
        for doc in docs {
            writer.add_document(doc)?;
            n += 1;
        }
        writer.commit()?;
        drop(writer);
        self.reader.reload()?;
        Ok(n)
    }
}
