//! The AI system profile: the fixed vocabulary every rule pack reads
//! (`LAW.md` section 4).
//!
//! A profile records facts about a system, never conclusions: the rule packs
//! turn facts into a classification, so when the law changes the same facts
//! are classified again without asking the developer anything. Field names and
//! values are part of the public API; the JSON form uses exactly the names in
//! the law's table.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{Problems, ValidationError};

/// Defines a closed vocabulary: an enum whose JSON form is its snake_case
/// name, with the full list of values for error messages and rule checking.
macro_rules! vocabulary {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        // snake_case of each variant is exactly its text (a test checks it);
        // rename_all rather than a per-variant rename because the OpenAPI
        // generator does not see attributes built from macro fragments.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub const NAMES: &'static [&'static str] = &[$($text),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(format!(
                        "unknown value `{other}`; allowed values: {}",
                        $name::NAMES.join(", ")
                    )),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use vocabulary;

vocabulary!(
    /// The sectors a system is used in.
    Sector {
        Healthcare => "healthcare",
        Education => "education",
        Justice => "justice",
        LawEnforcement => "law_enforcement",
        MigrationBorder => "migration_border",
        Employment => "employment",
        EssentialServices => "essential_services",
        Finance => "finance",
        CriticalInfrastructure => "critical_infrastructure",
        UrbanInfrastructure => "urban_infrastructure",
        Transport => "transport",
        PublicAdministration => "public_administration",
        Elections => "elections",
        Media => "media",
        DefenceSecurity => "defence_security",
        Consumer => "consumer",
        Industry => "industry",
        Agriculture => "agriculture",
        Other => "other",
    }
);

vocabulary!(
    /// What the system does.
    Function {
        BiometricIdentification => "biometric_identification",
        BiometricVerification => "biometric_verification",
        BiometricCategorisation => "biometric_categorisation",
        EmotionRecognition => "emotion_recognition",
        Profiling => "profiling",
        SocialScoring => "social_scoring",
        CrimePrediction => "crime_prediction",
        FacialImageScraping => "facial_image_scraping",
        BehaviouralInfluence => "behavioural_influence",
        ContentGeneration => "content_generation",
        Conversational => "conversational",
        Recommendation => "recommendation",
        DecisionSupport => "decision_support",
        AutomatedDecision => "automated_decision",
        Monitoring => "monitoring",
        SafetyComponent => "safety_component",
        Other => "other",
    }
);

vocabulary!(
    /// How far the system decides on its own (Law 230-VIII Art. 17 §2).
    Autonomy {
        Low => "low",
        Medium => "medium",
        High => "high",
    }
);

vocabulary!(
    /// What the system's output affects.
    Affects {
        Health => "health",
        Safety => "safety",
        FundamentalRights => "fundamental_rights",
        EssentialServicesAccess => "essential_services_access",
        LegalStatus => "legal_status",
        Employment => "employment",
        EducationAccess => "education_access",
        Property => "property",
        None => "none",
    }
);

vocabulary!(
    /// The impact of a failure or termination of the system (Art. 17 §1).
    FailureImpact {
        Minimal => "minimal",
        Moderate => "moderate",
        Severe => "severe",
    }
);

vocabulary!(
    /// People the system targets or mainly serves who are vulnerable.
    VulnerableGroup {
        Children => "children",
        Elderly => "elderly",
        PersonsWithDisabilities => "persons_with_disabilities",
        SociallyDisadvantaged => "socially_disadvantaged",
    }
);

vocabulary!(
    /// Special categories of personal data processed.
    SpecialCategory {
        Biometric => "biometric",
        Health => "health",
        Ethnicity => "ethnicity",
        Religion => "religion",
        PoliticalOpinion => "political_opinion",
        SexualOrientation => "sexual_orientation",
        TradeUnion => "trade_union",
    }
);

vocabulary!(
    /// A legal basis for biometric identification by law enforcement.
    LegalException {
        MissingPersonsSearch => "missing_persons_search",
        ImminentThreat => "imminent_threat",
        SeriousCrimeSuspect => "serious_crime_suspect",
    }
);

/// The facts about an AI system that the rule packs classify.
///
/// Lists are kept sorted and without duplicates, so two profiles with the
/// same facts are equal and serialize identically.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Sectors the system is used in; at least one.
    pub sectors: Vec<Sector>,
    /// What the system does; at least one.
    pub functions: Vec<Function>,
    /// Processes live input (identification at the moment of capture).
    #[serde(default)]
    pub real_time: bool,
    /// Deployed in publicly accessible spaces.
    #[serde(default)]
    pub public_spaces: bool,
    /// Autonomy level (Law 230-VIII Art. 17 §2).
    pub autonomy: Autonomy,
    /// What its output affects; `none` alone when nothing else applies.
    pub affects: Vec<Affects>,
    /// Impact of a failure or termination (Art. 17 §1).
    pub failure_impact: FailureImpact,
    /// Vulnerable people it targets or mainly serves.
    #[serde(default)]
    pub vulnerable_groups: Vec<VulnerableGroup>,
    /// Uses such a vulnerability to change what people do.
    #[serde(default)]
    pub exploits_vulnerability: bool,
    /// People subject to behavioural influence, emotion recognition or biometric analysis give informed consent.
    #[serde(default)]
    pub informed_consent: bool,
    /// Processes personal data.
    #[serde(default)]
    pub personal_data: bool,
    /// Special categories of personal data processed.
    #[serde(default)]
    pub special_categories: Vec<SpecialCategory>,
    /// Critical ICT infrastructure, or forms a state electronic information resource.
    #[serde(default)]
    pub critical_ict_or_state_resource: bool,
    /// A legal basis for biometric identification by law enforcement, if any.
    #[serde(default)]
    pub legal_exception: Option<LegalException>,
    /// Only a narrow procedural or preparatory task (EU AI Act Art. 6(3)).
    #[serde(default)]
    pub narrow_procedural_task: bool,
}

/// The profile's field names, in the order of `LAW.md`.
pub const PROFILE_FIELDS: &[&str] = &[
    "sectors",
    "functions",
    "real_time",
    "public_spaces",
    "autonomy",
    "affects",
    "failure_impact",
    "vulnerable_groups",
    "exploits_vulnerability",
    "informed_consent",
    "personal_data",
    "special_categories",
    "critical_ict_or_state_resource",
    "legal_exception",
    "narrow_procedural_task",
];

fn canonical<T: Ord + Copy>(values: &[T]) -> Vec<T> {
    let mut out = values.to_vec();
    out.sort();
    out.dedup();
    out
}

impl Profile {
    /// Checks the rules that the types alone cannot express, and returns the
    /// canonical form (sorted lists without duplicates).
    pub fn parse(self, problems: &mut Problems) -> Option<Profile> {
        let start = problems.len();
        if self.sectors.is_empty() {
            problems.add("sectors", "must list at least one sector");
        }
        if self.functions.is_empty() {
            problems.add("functions", "must list at least one function");
        }
        if self.affects.is_empty() {
            problems.add(
                "affects",
                "must list at least one value; use [\"none\"] when nothing is affected",
            );
        } else if self.affects.contains(&Affects::None) && self.affects.len() > 1 {
            problems.add("affects", "`none` cannot be combined with other values");
        }
        if self.exploits_vulnerability && self.vulnerable_groups.is_empty() {
            problems.add(
                "vulnerable_groups",
                "must name the vulnerable group when exploits_vulnerability is true",
            );
        }
        if problems.len() > start {
            return None;
        }
        Some(Profile {
            sectors: canonical(&self.sectors),
            functions: canonical(&self.functions),
            affects: canonical(&self.affects),
            vulnerable_groups: canonical(&self.vulnerable_groups),
            special_categories: canonical(&self.special_categories),
            ..self
        })
    }

    /// Parses a profile on its own (for tools that only have a profile).
    pub fn parse_alone(self) -> Result<Profile, ValidationError> {
        let mut problems = Problems::new();
        let mut nested = problems.nested("profile");
        let parsed = self.parse(&mut nested);
        problems.absorb(nested);
        problems.finish(|| parsed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Profile {
        serde_json::from_value(serde_json::json!({
            "sectors": ["healthcare", "healthcare"],
            "functions": ["decision_support"],
            "autonomy": "low",
            "affects": ["health"],
            "failure_impact": "severe"
        }))
        .unwrap()
    }

    #[test]
    fn lists_become_canonical() {
        let p = sample().parse_alone().unwrap();
        assert_eq!(p.sectors, vec![Sector::Healthcare]);
    }

    #[test]
    fn unknown_field_is_refused() {
        let r: Result<Profile, _> = serde_json::from_value(serde_json::json!({
            "sectors": ["healthcare"], "functions": ["other"], "autonomy": "low",
            "affects": ["none"], "failure_impact": "minimal", "colour": "red"
        }));
        assert!(r.unwrap_err().to_string().contains("colour"));
    }

    #[test]
    fn unknown_value_lists_allowed_values() {
        let err = "space".parse::<Sector>().unwrap_err();
        assert!(err.contains("healthcare") && err.contains("agriculture"));
    }

    #[test]
    fn none_excludes_every_other_answer() {
        let mut p = sample();
        p.affects = vec![Affects::None, Affects::Health];
        let err = p.parse_alone().unwrap_err();
        assert_eq!(err.0[0].field, "profile.affects");
    }

    macro_rules! names_match_serde {
        ($($t:ty),+) => {$(
            for v in <$t>::ALL {
                assert_eq!(serde_json::to_value(v).unwrap(), v.as_str(), "{}", stringify!($t));
                assert_eq!(v.as_str().parse::<$t>().unwrap(), *v);
            }
        )+};
    }

    #[test]
    fn vocabulary_names_match_serde() {
        use crate::account::{AccountStatus, Role};
        use crate::organisation::{OrganisationKind, OrganisationStatus, SizeClass};
        use crate::programme::{AnswerKind, BudgetUnit, EvaluationMode, ProgrammeKind};
        use crate::system::{DocumentationItem, RiskLevel, SystemStatus};
        names_match_serde!(
            Sector,
            Function,
            Autonomy,
            Affects,
            FailureImpact,
            VulnerableGroup,
            SpecialCategory,
            LegalException,
            OrganisationKind,
            SizeClass,
            OrganisationStatus,
            Role,
            AccountStatus,
            RiskLevel,
            SystemStatus,
            DocumentationItem,
            ProgrammeKind,
            BudgetUnit,
            EvaluationMode,
            AnswerKind
        );
    }
}
