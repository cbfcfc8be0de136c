//! The pack file as written, with the position of every table, so that the
//! checker can name the line of each problem.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use toml::Spanned;

/// A text in the three languages.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Text {
    #[serde(default)]
    pub kk: Option<String>,
    #[serde(default)]
    pub ru: Option<String>,
    #[serde(default)]
    pub en: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPack {
    pub id: Spanned<String>,
    pub version: Spanned<String>,
    pub jurisdiction: Spanned<String>,
    pub effective: Spanned<String>,
    /// What the text is in law: draft, enacted or foreign. Required of a
    /// pack published now; a pack stored before the field existed reads as
    /// a draft.
    #[serde(default)]
    pub status: Option<Spanned<String>>,
    pub title: Spanned<Text>,
    #[serde(default)]
    pub citations: Vec<Spanned<RawCitation>>,
    pub default: Spanned<RawDefault>,
    pub levels: BTreeMap<String, Spanned<RawLevel>>,
    #[serde(default)]
    pub obligations: Vec<Spanned<RawObligation>>,
    #[serde(default)]
    pub rules: Vec<Spanned<RawRule>>,
    #[serde(default)]
    pub deadlines: BTreeMap<String, Spanned<i64>>,
    pub sanctions: Spanned<RawSanctions>,
    /// Limits on the algorithmic audit's metrics; a breach is a finding.
    #[serde(default)]
    pub thresholds: Vec<Spanned<RawThreshold>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawThreshold {
    /// A metric the audit engine computes, by Fairlearn's or AIF360's name.
    pub metric: Spanned<String>,
    #[serde(default)]
    pub min: Option<f64>,
    #[serde(default)]
    pub max: Option<f64>,
    /// The finding's severity: low, medium, high or critical.
    pub severity: Spanned<String>,
    /// The obligation a breach is a finding against.
    pub obligation: Spanned<String>,
    #[serde(default)]
    pub citation: Option<Spanned<String>>,
    pub title: Spanned<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCitation {
    pub id: String,
    pub source: RawSource,
    #[serde(default)]
    pub url: Option<String>,
}

/// A citation's source: a table in the three languages, or (in a pack
/// stored before sources were translated) one string.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawSource {
    Plain(String),
    Texts(Text),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDefault {
    #[serde(default)]
    pub citation: Option<Spanned<String>>,
    pub text: Spanned<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLevel {
    pub registration: bool,
    pub expert_review: bool,
    pub reviewers: u32,
    #[serde(default)]
    pub documentation: Vec<Spanned<String>>,
    #[serde(default)]
    pub obligations: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawObligation {
    pub id: String,
    #[serde(default)]
    pub citation: Option<Spanned<String>>,
    #[serde(default)]
    pub documentation: Vec<Spanned<String>>,
    pub title: Spanned<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    pub id: String,
    #[serde(default)]
    pub citation: Option<Spanned<String>>,
    pub risk: Spanned<String>,
    #[serde(default)]
    pub prohibited: Vec<String>,
    #[serde(default)]
    pub obligations: Vec<Spanned<String>>,
    #[serde(default)]
    pub registration: Option<bool>,
    #[serde(default)]
    pub expert_review: Option<bool>,
    #[serde(default)]
    pub reviewers: Option<u32>,
    #[serde(default)]
    pub autonomy: Option<Spanned<String>>,
    #[serde(default)]
    pub note: Option<String>,
    pub when: Spanned<RawCondition>,
    pub rationale: Spanned<Text>,
}

/// One condition; exactly one form must be used (checked, not typed, so the
/// message can say which keys were mixed).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCondition {
    #[serde(default)]
    pub all: Option<Vec<Spanned<RawCondition>>>,
    #[serde(default)]
    pub any: Option<Vec<Spanned<RawCondition>>>,
    #[serde(default)]
    pub not: Option<Box<Spanned<RawCondition>>>,
    #[serde(default)]
    pub field: Option<String>,
    #[serde(default)]
    pub has: Option<toml::Value>,
    #[serde(default)]
    pub has_any: Option<Vec<toml::Value>>,
    #[serde(default)]
    pub is: Option<toml::Value>,
    #[serde(default, rename = "in")]
    pub in_: Option<Vec<toml::Value>>,
    #[serde(default)]
    pub present: Option<bool>,
}

/// Which form a condition takes.
pub enum Form<'a> {
    All(&'a [Spanned<RawCondition>]),
    Any(&'a [Spanned<RawCondition>]),
    Not(&'a Spanned<RawCondition>),
    /// A field test: the field's name (its operator still to check).
    Field(&'a str),
}

impl RawCondition {
    /// The condition's form, or `None` when it does not use exactly one of
    /// `all`, `any`, `not`, `field` (say [`RawCondition::FORM_PROBLEM`]).
    pub fn form(&self) -> Option<Form<'_>> {
        match (&self.all, &self.any, &self.not, &self.field) {
            (Some(list), None, None, None) => Some(Form::All(list)),
            (None, Some(list), None, None) => Some(Form::Any(list)),
            (None, None, Some(inner), None) => Some(Form::Not(inner)),
            (None, None, None, Some(name)) => Some(Form::Field(name)),
            _ => None,
        }
    }

    pub const FORM_PROBLEM: &'static str = "a condition needs exactly one of all, any, not, field";
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSanctions {
    #[serde(default)]
    pub citation: Option<Spanned<String>>,
    #[serde(default)]
    pub fines: Vec<Spanned<RawFine>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFine {
    pub size_class: String,
    pub first: u32,
    pub repeat: u32,
}
