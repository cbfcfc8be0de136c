//! Decoding rows: the `data` column holds the record as JSON, in the
//! store's record types (`crate::record`).

use sqlx::any::AnyRow;
use sqlx::Row;

use crate::error::StoreError;
use crate::record::Recorded;

/// The record a row keeps in its `data` column, as the domain's value.
pub(crate) fn data<T: Recorded>(row: &AnyRow) -> Result<T, StoreError> {
    let text: String = row.try_get("data")?;
    crate::record::from_json(&text)
}

/// A SQL statement under construction with numbered placeholders, so that
/// filters can be combined without string-pasting values.
#[derive(Default)]
pub(crate) struct Sql {
    pub text: String,
    pub binds: Vec<String>,
}

impl Sql {
    pub fn new(text: &str) -> Sql {
        Sql {
            text: text.to_string(),
            binds: Vec::new(),
        }
    }

    pub fn push(&mut self, text: &str) -> &mut Sql {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder bound to `value`.
    pub fn bind(&mut self, value: impl Into<String>) -> &mut Sql {
        self.binds.push(value.into());
        self.text.push_str(&format!("${}", self.binds.len()));
        self
    }

    /// Appends `(<placeholder>, ...)`, one bound to each value (`(NULL)`,
    /// which `IN` matches nothing with, when there is none).
    pub fn push_list(&mut self, values: impl IntoIterator<Item = String>) -> &mut Sql {
        self.push("(");
        let mut none = true;
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(v);
            none = false;
        }
        if none {
            self.push("NULL");
        }
        self.push(")")
    }

    pub fn query(&self) -> sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments<'_>> {
        let mut q = sqlx::query(&self.text);
        for b in &self.binds {
            q = q.bind(b.as_str());
        }
        q
    }
}

/// Escapes `%`, `_` and `\` for a `LIKE ... ESCAPE '\'` pattern.
pub(crate) fn like_pattern(text: &str) -> String {
    let mut out = String::from("%");
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}
