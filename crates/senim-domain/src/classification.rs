//! Classification results: what a rule pack decided about a profile, as data.
//!
//! The types live here, beside the profile they describe, so that the store,
//! the API and the client can carry them; the logic that produces them is in
//! `senim-rules`.

use std::str::FromStr;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::profile::Autonomy;
use crate::system::DocumentationItem;
use crate::RiskLevel;

/// A language of the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Kk,
    Ru,
    #[default]
    En,
}

impl FromStr for Lang {
    type Err = String;
    fn from_str(s: &str) -> Result<Lang, String> {
        match s {
            "kk" => Ok(Lang::Kk),
            "ru" => Ok(Lang::Ru),
            "en" => Ok(Lang::En),
            other => Err(format!(
                "unknown language `{other}`; allowed values: kk, ru, en"
            )),
        }
    }
}

/// A text in the three languages, all present (the checker makes sure).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Texts {
    pub kk: String,
    pub ru: String,
    pub en: String,
}

impl Texts {
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Kk => &self.kk,
            Lang::Ru => &self.ru,
            Lang::En => &self.en,
        }
    }
}

/// A source of law the pack cites, in one language: as a classification,
/// an obligation or a decision quotes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Citation {
    pub id: String,
    pub source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// A source of law as the pack declares it, in the three languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PackCitation {
    pub id: String,
    pub source: Texts,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

impl PackCitation {
    /// The citation as quoted in `lang`.
    pub fn quote(&self, lang: Lang) -> Citation {
        Citation {
            id: self.id.clone(),
            source: self.source.get(lang).to_string(),
            url: self.url.clone(),
        }
    }
}

/// What a pack's text is in law, shown beside its title so that a draft is
/// never read as the law in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LegalStatus {
    /// A bill or a summary of one: not law.
    Draft,
    /// A law signed and published in the pack's jurisdiction.
    Enacted,
    /// Another jurisdiction's law, read for comparison.
    Foreign,
}

impl LegalStatus {
    pub const ALL: [LegalStatus; 3] = [
        LegalStatus::Draft,
        LegalStatus::Enacted,
        LegalStatus::Foreign,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LegalStatus::Draft => "draft",
            LegalStatus::Enacted => "enacted",
            LegalStatus::Foreign => "foreign",
        }
    }
}

impl FromStr for LegalStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<LegalStatus, String> {
        LegalStatus::ALL
            .into_iter()
            .find(|x| x.as_str() == s)
            .ok_or_else(|| format!("unknown status `{s}`; allowed values: draft, enacted, foreign"))
    }
}

/// One row of the fines table, in MCI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Sanction {
    pub size_class: crate::SizeClass,
    pub first: u32,
    pub repeat: u32,
}

/// The pack's identity.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub struct PackRef {
    pub id: String,
    pub version: String,
}

/// What a pack decides about a profile, without texts: stored with every
/// system version, compared between pack versions, explained on request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Outcome {
    pub pack: PackRef,
    pub risk_level: RiskLevel,
    pub autonomy: Autonomy,
    pub prohibited_practices: Vec<String>,
    pub registration_required: bool,
    pub expert_review_required: bool,
    pub reviewers: u32,
    /// Obligation ids, in the pack's order.
    pub obligations: Vec<String>,
    pub documentation_required: Vec<DocumentationItem>,
    /// The rules that fired, in the pack's order.
    pub rules: Vec<String>,
}

/// An obligation as shown to people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ObligationView {
    pub id: String,
    pub title: String,
    pub citation: Citation,
    pub documentation: Vec<DocumentationItem>,
}

/// One reason in a classification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RationaleEntry {
    /// The rule that fired, or `default` when none did.
    pub rule: String,
    pub risk_level: RiskLevel,
    pub citation: Citation,
    pub text: String,
}

/// A classification a person can read (`LAW.md`, end of section 4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Classification {
    pub pack: PackRef,
    pub lang: Lang,
    pub risk_level: RiskLevel,
    pub autonomy: Autonomy,
    pub prohibited_practices: Vec<String>,
    pub registration_required: bool,
    pub expert_review_required: bool,
    pub reviewers: u32,
    pub obligations: Vec<ObligationView>,
    pub documentation_required: Vec<DocumentationItem>,
    pub rationale: Vec<RationaleEntry>,
}

/// A documentation item the classification requires and the version lacks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Gap {
    pub item: DocumentationItem,
    /// The obligations (or `level:<risk>`) that require it.
    pub required_by: Vec<String>,
    /// The sources of those requirements. Stored gap reports leave them out
    /// (the pack that made the outcome restores them), which keeps a
    /// re-classification of the whole register small.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub citations: Vec<Citation>,
}

/// How an outcome changed between two packs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ChangedOutcome {
    pub from_risk_level: RiskLevel,
    pub to_risk_level: RiskLevel,
    pub from_prohibited: Vec<String>,
    pub to_prohibited: Vec<String>,
    pub from_expert_review: bool,
    pub to_expert_review: bool,
    /// Rules that fire now and did not before.
    pub rules_added: Vec<String>,
    /// Rules that fired before and do not now.
    pub rules_removed: Vec<String>,
    pub obligations_added: Vec<String>,
    pub obligations_removed: Vec<String>,
}

/// A pack in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PackSummary {
    pub id: String,
    pub version: String,
    pub jurisdiction: String,
    pub effective: String,
    pub title: Texts,
    /// Draft, enacted or foreign law.
    pub status: LegalStatus,
    pub rules: usize,
}

/// One problem the checker found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CheckProblem {
    pub line: usize,
    pub message: String,
}

impl Outcome {
    /// How `self` (before) differs from `after`, or `None` when they decide the same.
    pub fn change_to(&self, after: &Outcome) -> Option<ChangedOutcome> {
        let same = self.risk_level == after.risk_level
            && self.prohibited_practices == after.prohibited_practices
            && self.registration_required == after.registration_required
            && self.expert_review_required == after.expert_review_required
            && self.reviewers == after.reviewers
            && self.obligations == after.obligations;
        if same {
            return None;
        }
        let minus = |a: &[String], b: &[String]| -> Vec<String> {
            a.iter().filter(|x| !b.contains(x)).cloned().collect()
        };
        Some(ChangedOutcome {
            from_risk_level: self.risk_level,
            to_risk_level: after.risk_level,
            from_prohibited: self.prohibited_practices.clone(),
            to_prohibited: after.prohibited_practices.clone(),
            from_expert_review: self.expert_review_required,
            to_expert_review: after.expert_review_required,
            rules_added: minus(&after.rules, &self.rules),
            rules_removed: minus(&self.rules, &after.rules),
            obligations_added: minus(&after.obligations, &self.obligations),
            obligations_removed: minus(&self.obligations, &after.obligations),
        })
    }
}

/// A classification with its gap report, as stored with a system version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Assessment {
    pub outcome: Outcome,
    pub gaps: Vec<Gap>,
}

/// One system in a change report: how a new pack version changed its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SystemChange {
    pub system_id: crate::SystemId,
    pub name: String,
    #[serde(flatten)]
    pub change: ChangedOutcome,
}

/// What publishing a pack version did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ChangeReport {
    pub pack: PackRef,
    /// The pack version it replaced as the one in force, if any.
    pub previous: Option<PackRef>,
    /// Whether this pack is the one in force, so systems were re-classified.
    pub in_force: bool,
    pub reclassified: u64,
    pub changed: Vec<SystemChange>,
}
