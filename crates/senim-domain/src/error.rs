//! Validation errors: every problem with an input, each naming its field.
//!
//! Parsing collects all problems instead of stopping at the first, because a
//! developer filling a long registration form wants the whole list at once.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One problem with one field of an input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FieldError {
    /// The path of the field, dotted (`profile.sectors[1]`, `name.kk`).
    pub field: String,
    /// Why the value was refused, in plain words.
    pub reason: String,
}

/// An input that could not be parsed into a domain value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid input: {}", summary(.0))]
pub struct ValidationError(pub Vec<FieldError>);

fn summary(fields: &[FieldError]) -> String {
    fields
        .iter()
        .map(|f| format!("{}: {}", f.field, f.reason))
        .collect::<Vec<_>>()
        .join("; ")
}

impl ValidationError {
    /// An error about one field.
    pub fn single(field: impl Into<String>, reason: impl Into<String>) -> Self {
        ValidationError(vec![FieldError {
            field: field.into(),
            reason: reason.into(),
        }])
    }
}

/// Collects field errors while an input is parsed.
#[derive(Debug, Default)]
pub struct Problems {
    fields: Vec<FieldError>,
    prefix: String,
}

impl Problems {
    pub fn new() -> Self {
        Self::default()
    }

    /// A collector whose fields are reported under `prefix.`.
    pub fn nested(&self, prefix: &str) -> Problems {
        Problems {
            fields: Vec::new(),
            prefix: self.path(prefix),
        }
    }

    /// Takes the problems found by a nested collector.
    pub fn absorb(&mut self, other: Problems) {
        self.fields.extend(other.fields);
    }

    fn path(&self, field: &str) -> String {
        if self.prefix.is_empty() {
            field.to_string()
        } else if field.is_empty() {
            self.prefix.clone()
        } else if field.starts_with('[') {
            format!("{}{}", self.prefix, field)
        } else {
            format!("{}.{}", self.prefix, field)
        }
    }

    pub fn add(&mut self, field: &str, reason: impl Into<String>) {
        self.fields.push(FieldError {
            field: self.path(field),
            reason: reason.into(),
        });
    }

    /// Records the error of a fallible parse and returns its value if any.
    pub fn check<T>(&mut self, field: &str, result: Result<T, String>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(reason) => {
                self.add(field, reason);
                None
            }
        }
    }

    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// `Ok(value)` when no problem was found.
    pub fn finish<T>(self, value: impl FnOnce() -> Option<T>) -> Result<T, ValidationError> {
        if !self.fields.is_empty() {
            return Err(ValidationError(self.fields));
        }
        value().ok_or_else(|| ValidationError::single("", "invalid input"))
    }
}

/// Checks a required free-text field: trimmed, non-empty, at most `max` characters,
/// no control characters other than line breaks and tabs.
pub fn bounded_text(value: &str, max: usize) -> Result<String, String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err("must not be empty".into());
    }
    optional_text(trimmed, max)
}

/// Like [`bounded_text`] but an empty value is allowed.
pub fn optional_text(value: &str, max: usize) -> Result<String, String> {
    let trimmed = value.trim();
    let count = trimmed.chars().count();
    if count > max {
        return Err(format!("must be at most {max} characters, got {count}"));
    }
    if trimmed
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err("must not contain control characters".into());
    }
    Ok(trimmed.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_paths_are_dotted() {
        let mut top = Problems::new();
        let mut inner = top.nested("profile");
        inner.add("sectors[1]", "unknown");
        inner.add("autonomy", "missing");
        top.absorb(inner);
        let err = top.finish(|| Some(())).unwrap_err();
        assert_eq!(err.0[0].field, "profile.sectors[1]");
        assert_eq!(err.0[1].field, "profile.autonomy");
    }

    #[test]
    fn bounded_text_refuses_empty_long_and_control() {
        assert!(bounded_text("  ", 10).is_err());
        assert!(bounded_text("abcdefghijk", 10).is_err());
        assert!(bounded_text("a\u{0}b", 10).is_err());
        assert_eq!(bounded_text(" әғқ ", 10).unwrap(), "әғқ");
    }
}
