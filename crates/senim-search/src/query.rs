//! The search language: what `q` and `fq` say, in the Solr-like syntax CKAN
//! clients send, parsed into clauses the index understands.
//!
//! - free words: each must appear in the title, description, keywords,
//!   producer, spatial coverage or provenance (any language);
//! - `*:*` or nothing: every dataset;
//! - `field:value` and `field:"a value"`: see [`Field`];
//! - `field:[FROM TO TO]` on `metadata_modified` and `metadata_created`, with
//!   `*` for an open end and dates as `2024-01-31` or RFC 3339;
//! - `-clause` or `NOT clause` excludes; `+clause` and `AND` change nothing
//!   (every clause is required); `a OR b` needs one of them.

use std::fmt;

/// A field a clause may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    /// The dataset's id (`id:`, `name:`).
    Id,
    /// Words of the title only (`title:`).
    Title,
    /// Words of the description only (`notes:`, `description:`).
    Description,
    /// Words anywhere (`text:`).
    Text,
    /// A facet: an exact value.
    Facet(Facet),
    /// A date range on the last change (`metadata_modified:`).
    Modified,
    /// A date range on the creation (`metadata_created:`).
    Created,
    /// Fields every dataset in the library has one value of (`state:active`,
    /// `dataset_type:dataset`, `type:dataset`, `capacity:public`).
    Constant(&'static str),
}

/// The fields the index counts values of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Facet {
    Organisation,
    Tag,
    Format,
    Licence,
    Theme,
    Access,
}

impl Facet {
    pub const ALL: [Facet; 6] = [
        Facet::Organisation,
        Facet::Tag,
        Facet::Format,
        Facet::Licence,
        Facet::Theme,
        Facet::Access,
    ];

    /// The index's field name.
    pub fn field_name(self) -> &'static str {
        match self {
            Facet::Organisation => "organization",
            Facet::Tag => "tags",
            Facet::Format => "res_format",
            Facet::Licence => "license_id",
            Facet::Theme => "theme",
            Facet::Access => "access",
        }
    }

    /// Reads a facet's name as clients write it (CKAN's names, and ours).
    pub fn parse(name: &str) -> Option<Facet> {
        Some(match name {
            "organization" | "organisation" | "owner_org" => Facet::Organisation,
            "tags" | "tag" | "keywords" => Facet::Tag,
            "res_format" | "format" => Facet::Format,
            "license_id" | "license" | "licence" => Facet::Licence,
            "groups" | "theme" | "themes" => Facet::Theme,
            "access" | "access_level" => Facet::Access,
            _ => return None,
        })
    }
}

impl Field {
    fn parse(name: &str) -> Option<Field> {
        if let Some(f) = Facet::parse(name) {
            return Some(Field::Facet(f));
        }
        Some(match name {
            "id" | "name" => Field::Id,
            "title" => Field::Title,
            "notes" | "description" => Field::Description,
            "text" => Field::Text,
            "metadata_modified" => Field::Modified,
            "metadata_created" => Field::Created,
            "state" => Field::Constant("active"),
            "dataset_type" | "type" => Field::Constant("dataset"),
            "capacity" => Field::Constant("public"),
            _ => return None,
        })
    }
}

/// One requirement on a dataset.
#[derive(Debug, Clone, PartialEq)]
pub enum Clause {
    /// Every dataset.
    All,
    /// Words in a text scope (`Title`, `Description` or `Text`).
    Words { scope: Field, text: String },
    /// An exact value of a field (`Id` or a facet).
    Exact { field: Field, value: String },
    /// A range of instants, in Unix milliseconds, both ends included.
    Range {
        field: Field,
        from: Option<i64>,
        to: Option<i64>,
    },
    /// A constant field asked for a value it never has.
    Nothing,
    /// At least one of these.
    Any(Vec<Clause>),
    /// Not this.
    Not(Box<Clause>),
}

/// What is wrong with a query, in words a user can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError(pub String);

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for QueryError {}

/// Longest query accepted, in bytes.
pub const MAX_QUERY_BYTES: usize = 2000;

/// Reads a `q` or `fq` string into clauses, all of which a dataset must meet.
pub fn parse(text: &str) -> Result<Vec<Clause>, QueryError> {
    if text.len() > MAX_QUERY_BYTES {
        return Err(QueryError(format!(
            "is {} bytes long; at most {MAX_QUERY_BYTES}",
            text.len()
        )));
    }
    let tokens = tokens(text)?;
    let mut clauses: Vec<Clause> = Vec::new();
    let mut negate_next = false;
    let mut or_next = false;
    let mut words = String::new();
    for token in tokens {
        match token {
            Token::Op(Op::And) | Token::Op(Op::Plus) => {}
            Token::Op(Op::Not) => negate_next = true,
            Token::Op(Op::Or) => {
                flush_words(&mut words, &mut clauses);
                if clauses.is_empty() {
                    return Err(QueryError("`OR` needs a clause on each side".into()));
                }
                or_next = true;
            }
            Token::Term {
                field,
                value,
                quoted,
            } => {
                let clause = clause(field.as_deref(), &value, quoted)?;
                let plain_word =
                    field.is_none() && !negate_next && !or_next && clause != Clause::All;
                if plain_word {
                    // Free words gather into one clause, so they are
                    // analysed together.
                    if !words.is_empty() {
                        words.push(' ');
                    }
                    words.push_str(&value);
                    continue;
                }
                flush_words(&mut words, &mut clauses);
                let clause = if std::mem::take(&mut negate_next) {
                    Clause::Not(Box::new(clause))
                } else {
                    clause
                };
                if std::mem::take(&mut or_next) {
                    let previous = clauses.pop().unwrap_or(Clause::Nothing);
                    clauses.push(match previous {
                        Clause::Any(mut any) => {
                            any.push(clause);
                            Clause::Any(any)
                        }
                        other => Clause::Any(vec![other, clause]),
                    });
                } else {
                    clauses.push(clause);
                }
            }
        }
    }
    if negate_next || or_next {
        return Err(QueryError(
            "ends with an operator (`NOT`, `-` or `OR`) that has nothing after it".into(),
        ));
    }
    flush_words(&mut words, &mut clauses);
    clauses.retain(|c| *c != Clause::All);
    Ok(clauses)
}

/// Whether the clauses have words to rank by (anywhere but under a NOT).
pub fn scored(clauses: &[Clause]) -> bool {
    clauses.iter().any(|c| match c {
        Clause::Words { .. } => true,
        Clause::Any(any) => scored(any),
        _ => false,
    })
}

fn flush_words(words: &mut String, clauses: &mut Vec<Clause>) {
    if !words.is_empty() {
        clauses.push(Clause::Words {
            scope: Field::Text,
            text: std::mem::take(words),
        });
    }
}

fn clause(field: Option<&str>, value: &str, quoted: bool) -> Result<Clause, QueryError> {
    let Some(name) = field else {
        return Ok(if value == "*" && !quoted {
            Clause::All
        } else {
            Clause::Words {
                scope: Field::Text,
                text: value.to_string(),
            }
        });
    };
    if name == "*" && value == "*" {
        return Ok(Clause::All);
    }
    let field = Field::parse(name).ok_or_else(|| {
        QueryError(format!(
            "names an unknown field `{name}`; the fields are id, name, title, notes, text, \
             organization, tags, res_format, license_id, groups, access_level, \
             metadata_modified, metadata_created"
        ))
    })?;
    if value == "*" && !quoted {
        return Ok(Clause::All);
    }
    Ok(match field {
        Field::Title | Field::Description | Field::Text => Clause::Words {
            scope: field,
            text: value.to_string(),
        },
        Field::Id | Field::Facet(_) => Clause::Exact {
            field,
            value: value.to_string(),
        },
        Field::Constant(only) => {
            if value == only {
                Clause::All
            } else {
                Clause::Nothing
            }
        }
        Field::Modified | Field::Created => {
            let (from, to) = range(name, value)?;
            Clause::Range { field, from, to }
        }
    })
}

fn range(name: &str, value: &str) -> Result<(Option<i64>, Option<i64>), QueryError> {
    let inner = value
        .strip_prefix('[')
        .and_then(|v| v.strip_suffix(']'))
        .ok_or_else(|| {
            QueryError(format!(
                "`{name}` takes a range such as [2024-01-01T00:00:00Z TO *]"
            ))
        })?;
    let (from, to) = inner
        .split_once(" TO ")
        .ok_or_else(|| QueryError(format!("`{name}` range needs `FROM TO TO`")))?;
    let end = |s: &str, upper: bool| -> Result<Option<i64>, QueryError> {
        let s = s.trim();
        // Nothing in the library changes in the future: a range up to `NOW`
        // (as DCAT harvesters write it) is open at that end, and needs no clock.
        if s == "*" || (upper && s == "NOW") {
            return Ok(None);
        }
        instant(s, upper).map(Some).ok_or_else(|| {
            QueryError(format!(
                "`{s}` in `{name}` is not a date (2024-01-31) or an instant (2024-01-31T10:00:00Z)"
            ))
        })
    };
    Ok((end(from, false)?, end(to, true)?))
}

/// An instant in Unix milliseconds; a day stands for its first (or, as an
/// upper bound, its last) millisecond in UTC.
fn instant(s: &str, upper: bool) -> Option<i64> {
    use time::format_description::well_known::Rfc3339;
    if let Ok(t) = time::OffsetDateTime::parse(s, &Rfc3339) {
        return Some((t.unix_timestamp_nanos() / 1_000_000) as i64);
    }
    // CKAN stores instants without a zone (UTC): 2024-01-31T10:00:00.123456
    if let Ok(t) = time::PrimitiveDateTime::parse(
        s,
        time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]"
        ),
    ) {
        return Some((t.assume_utc().unix_timestamp_nanos() / 1_000_000) as i64);
    }
    let day =
        time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok()?;
    let start = day.midnight().assume_utc().unix_timestamp() * 1000;
    Some(if upper { start + 86_400_000 - 1 } else { start })
}

#[derive(Debug, Clone, PartialEq)]
enum Op {
    And,
    Or,
    Not,
    Plus,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Op(Op),
    Term {
        field: Option<String>,
        value: String,
        quoted: bool,
    },
}

fn tokens(text: &str) -> Result<Vec<Token>, QueryError> {
    let mut out = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    // Grouping would change what AND, OR and NOT apply to; a query read
    // without its groups would find the wrong datasets.
    let mut quoted_part = false;
    for (k, &c) in chars.iter().enumerate() {
        if c == '"' && (k == 0 || chars[k - 1] != '\\') {
            quoted_part = !quoted_part;
        }
        if !quoted_part && (c == '(' || c == ')') {
            return Err(QueryError(
                "uses parentheses, which this search does not support: write the terms without them (every term is required; `a OR b` needs one of two)".into(),
            ));
        }
    }
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '-' || c == '+' || c == '!' {
            out.push(Token::Op(if c == '+' { Op::Plus } else { Op::Not }));
            i += 1;
            continue;
        }
        if c == '"' {
            let (value, next) = quoted(&chars, i)?;
            out.push(Token::Term {
                field: None,
                value,
                quoted: true,
            });
            i = next;
            continue;
        }
        // A bare word, perhaps `field:` followed by a value.
        let start = i;
        while i < chars.len() && !chars[i].is_whitespace() && chars[i] != ':' {
            i += 1;
        }
        let word: String = chars[start..i].iter().collect();
        if i < chars.len() && chars[i] == ':' {
            i += 1;
            let name = word;
            let field = Some(name.clone());
            if i < chars.len() && chars[i] == '"' {
                let (value, next) = quoted(&chars, i)?;
                out.push(Token::Term {
                    field,
                    value,
                    quoted: true,
                });
                i = next;
            } else if i < chars.len() && chars[i] == '[' {
                let close = chars[i..]
                    .iter()
                    .position(|&c| c == ']')
                    .ok_or_else(|| QueryError("a range `[` is not closed with `]`".into()))?;
                let value: String = chars[i..=i + close].iter().collect();
                out.push(Token::Term {
                    field,
                    value,
                    quoted: false,
                });
                i += close + 1;
            } else {
                let vstart = i;
                while i < chars.len() && !chars[i].is_whitespace() {
                    i += 1;
                }
                let value: String = chars[vstart..i].iter().collect();
                if value.is_empty() {
                    return Err(QueryError(format!("`{name}:` has no value after it")));
                }
                out.push(Token::Term {
                    field,
                    value,
                    quoted: false,
                });
            }
            continue;
        }
        match word.as_str() {
            "AND" | "&&" => out.push(Token::Op(Op::And)),
            "OR" | "||" => out.push(Token::Op(Op::Or)),
            "NOT" => out.push(Token::Op(Op::Not)),
            _ => out.push(Token::Term {
                field: None,
                value: word,
                quoted: false,
            }),
        }
    }
    Ok(out)
}

fn quoted(chars: &[char], open: usize) -> Result<(String, usize), QueryError> {
    let mut value = String::new();
    let mut i = open + 1;
    while i < chars.len() {
        match chars[i] {
            '\\' if i + 1 < chars.len() => {
                value.push(chars[i + 1]);
                i += 2;
            }
            '"' => return Ok((value, i + 1)),
            c => {
                value.push(c);
                i += 1;
            }
        }
    }
    Err(QueryError("a quotation mark `\"` is not closed".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Clause {
        Clause::Words {
            scope: Field::Text,
            text: text.into(),
        }
    }

    #[test]
    fn everything_is_no_clause() {
        assert_eq!(parse("*:*").unwrap(), vec![]);
        assert_eq!(parse("  ").unwrap(), vec![]);
        assert_eq!(parse("state:active +dataset_type:dataset").unwrap(), vec![]);
    }

    #[test]
    fn a_query_splits_into_words_and_field_clauses() {
        assert_eq!(
            parse("hospital admissions tags:health res_format:\"CSV\"").unwrap(),
            vec![
                words("hospital admissions"),
                Clause::Exact {
                    field: Field::Facet(Facet::Tag),
                    value: "health".into()
                },
                Clause::Exact {
                    field: Field::Facet(Facet::Format),
                    value: "CSV".into()
                },
            ]
        );
    }

    #[test]
    fn a_query_negates_and_alternates_clauses() {
        assert_eq!(
            parse("-tags:old license_id:MIT OR license_id:CC0-1.0").unwrap(),
            vec![
                Clause::Not(Box::new(Clause::Exact {
                    field: Field::Facet(Facet::Tag),
                    value: "old".into()
                })),
                Clause::Any(vec![
                    Clause::Exact {
                        field: Field::Facet(Facet::Licence),
                        value: "MIT".into()
                    },
                    Clause::Exact {
                        field: Field::Facet(Facet::Licence),
                        value: "CC0-1.0".into()
                    },
                ]),
            ]
        );
    }

    #[test]
    fn date_ranges_are_open_or_whole_days() {
        assert_eq!(
            parse("metadata_modified:[2024-01-01T00:00:00Z TO *]").unwrap(),
            vec![Clause::Range {
                field: Field::Modified,
                from: Some(1_704_067_200_000),
                to: None
            }]
        );
        assert_eq!(
            parse("metadata_created:[* TO 2024-01-01]").unwrap(),
            vec![Clause::Range {
                field: Field::Created,
                from: None,
                to: Some(1_704_067_200_000 + 86_400_000 - 1)
            }]
        );
        assert_eq!(
            parse("metadata_modified:[2024-01-01 TO NOW]").unwrap(),
            vec![Clause::Range {
                field: Field::Modified,
                from: Some(1_704_067_200_000),
                to: None
            }]
        );
        assert!(parse("metadata_modified:[yesterday TO *]")
            .unwrap_err()
            .0
            .contains("yesterday"));
    }

    #[test]
    fn mistakes_are_named() {
        assert!(parse("colour:red").unwrap_err().0.contains("colour"));
        assert!(parse("title:\"open").unwrap_err().0.contains("not closed"));
        assert!(parse("tags:").unwrap_err().0.contains("no value"));
        assert!(parse("health OR").unwrap_err().0.contains("operator"));
        assert!(parse(&"x".repeat(3000)).is_err());
        assert!(parse("a AND (b OR c)")
            .unwrap_err()
            .0
            .contains("parentheses"));
        assert!(parse("tags:(health OR covid)").is_err());
    }
}
