//! AI systems and their versions.
//!
//! A system is the stable identity in the register (owner, registry number,
//! status); a version is one complete description of it (name, operator,
//! profile, documentation). Versions are only ever added: an update is a new
//! version that starts from the one the developer last read, and every old
//! version stays readable.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::clock::Timestamp;
use crate::error::{optional_text, Problems, ValidationError};
use crate::ids::{AccountId, OrganisationId, SystemId};
use crate::profile::{vocabulary, Profile};
use crate::text::LocalizedText;
use crate::visibility::{Viewer, Visibility};

vocabulary!(
    /// The risk level a rule pack assigns.
    RiskLevel {
        Prohibited => "prohibited",
        High => "high",
        Medium => "medium",
        Minimal => "minimal",
    }
);

vocabulary!(
    /// Where a system stands in the registration lifecycle.
    SystemStatus {
        Draft => "draft",
        Submitted => "submitted",
        InExpertReview => "in_expert_review",
        InformationRequested => "information_requested",
        Recommended => "recommended",
        Registered => "registered",
        Refused => "refused",
        Suspended => "suspended",
        Revoked => "revoked",
        Withdrawn => "withdrawn",
    }
);

impl SystemStatus {
    /// The statuses of an application under preliminary expert review.
    pub const IN_REVIEW: [SystemStatus; 4] = [
        SystemStatus::Submitted,
        SystemStatus::InExpertReview,
        SystemStatus::InformationRequested,
        SystemStatus::Recommended,
    ];

    /// Whether an application is under review: the system itself cannot be
    /// withdrawn until the application is.
    pub fn in_review(self) -> bool {
        SystemStatus::IN_REVIEW.contains(&self)
    }
}

vocabulary!(
    /// What a system did with a dataset of the library.
    DatasetRole {
        Training => "training",
        Validation => "validation",
        Testing => "testing",
    }
);

/// A dataset of the library a system version was trained, validated or
/// tested on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DatasetLink {
    pub dataset_id: crate::ids::DatasetId,
    pub role: DatasetRole,
}

/// The most datasets one version may name.
pub const MAX_DATASET_LINKS: usize = 100;

/// The longest documentation item, in characters (about ten pages).
pub const MAX_DOCUMENTATION_CHARS: usize = 20_000;

/// Defines the documentation items once: the struct, the item vocabulary and
/// the iteration over both, so adding an item is a one-line change.
macro_rules! documentation {
    ($($(#[$doc:meta])* $field:ident => $variant:ident : $text:literal),+ $(,)?) => {
        vocabulary!(
            /// One item of a system's documentation.
            DocumentationItem { $($variant => $text),+ }
        );

        /// The documentation a developer keeps for a system version
        /// (Law 230-VIII Art. 15; the commissioning text, item 7).
        #[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
        #[serde(deny_unknown_fields)]
        pub struct Documentation {
            $(
                $(#[$doc])*
                #[serde(default, skip_serializing_if = "Option::is_none")]
                pub $field: Option<String>,
            )+
        }

        impl Documentation {
            /// Each item with its text, in a fixed order.
            pub fn items(&self) -> Vec<(DocumentationItem, Option<&str>)> {
                vec![$((DocumentationItem::$variant, self.$field.as_deref())),+]
            }

            fn slot(&mut self, item: DocumentationItem) -> &mut Option<String> {
                match item { $(DocumentationItem::$variant => &mut self.$field),+ }
            }
        }
    };
}

documentation! {
    /// What the system is for.
    purpose => Purpose : "purpose",
    /// Who is meant to use it.
    intended_users => IntendedUsers : "intended_users",
    /// The kind of model (e.g. gradient-boosted trees, a fine-tuned transformer).
    model_type => ModelType : "model_type",
    /// How it was built and trained.
    development_method => DevelopmentMethod : "development_method",
    /// Limitations.
    limitations => Limitations : "limitations",
    /// Known failure modes.
    known_failure_modes => KnownFailureModes : "known_failure_modes",
    /// Data used for training.
    training_data => TrainingData : "training_data",
    /// Data used for validation.
    validation_data => ValidationData : "validation_data",
    /// Data used for testing.
    testing_data => TestingData : "testing_data",
    /// Human oversight measures.
    human_oversight => HumanOversight : "human_oversight",
    /// Accuracy and other performance figures.
    performance => Performance : "performance",
    /// Deployment context and sectors.
    deployment_context => DeploymentContext : "deployment_context",
    /// The disclosure text shown to people affected by the system.
    user_disclosure => UserDisclosure : "user_disclosure",
    /// Where people exercise their rights (explanation, objection).
    rights_contact => RightsContact : "rights_contact",
}

impl Documentation {
    fn parse(self, problems: &mut Problems) -> Documentation {
        let mut out = Documentation::default();
        for (item, text) in self.items() {
            if let Some(text) = text {
                if let Some(clean) =
                    problems.check(item.as_str(), optional_text(text, MAX_DOCUMENTATION_CHARS))
                {
                    if !clean.is_empty() {
                        *out.slot(item) = Some(clean);
                    }
                }
            }
        }
        out
    }

    /// Removes the items `viewer` may not see, and returns which were removed.
    pub fn redact(
        &mut self,
        visibility: &BTreeMap<DocumentationItem, Visibility>,
        viewer: Viewer,
    ) -> Vec<DocumentationItem> {
        let mut withheld = Vec::new();
        for (item, vis) in visibility {
            if !vis.visible_to(viewer) {
                let slot = self.slot(*item);
                if slot.take().is_some() {
                    withheld.push(*item);
                }
            }
        }
        withheld
    }

    /// The items that hold text (not missing, not blank).
    pub fn filled_items(&self) -> Vec<DocumentationItem> {
        self.items()
            .into_iter()
            .filter(|(_, t)| t.map(|t| !t.trim().is_empty()).unwrap_or(false))
            .map(|(i, _)| i)
            .collect()
    }

    /// All text, for search.
    pub fn joined_public(&self, visibility: &BTreeMap<DocumentationItem, Visibility>) -> String {
        self.items()
            .into_iter()
            .filter(|(item, _)| {
                visibility.get(item).copied().unwrap_or(Visibility::Public) == Visibility::Public
            })
            .filter_map(|(_, t)| t)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The documentation in other languages than the one it was written in:
/// the same items, translated (the state language, Russian, English), so a
/// reader sees it in their language. An item is translated only when the
/// documentation has it; visibility is the item's, whatever the language.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Translations {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kk: Option<Documentation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ru: Option<Documentation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub en: Option<Documentation>,
}

impl Translations {
    pub fn is_empty(&self) -> bool {
        self.kk.is_none() && self.ru.is_none() && self.en.is_none()
    }

    /// The documentation in `lang` (`kk`, `ru` or `en`), if translated.
    pub fn get(&self, lang: &str) -> Option<&Documentation> {
        match lang {
            "kk" => self.kk.as_ref(),
            "ru" => self.ru.as_ref(),
            "en" => self.en.as_ref(),
            _ => None,
        }
    }

    fn each_mut(&mut self) -> [(&'static str, &mut Option<Documentation>); 3] {
        [
            ("kk", &mut self.kk),
            ("ru", &mut self.ru),
            ("en", &mut self.en),
        ]
    }

    /// Each translation checked as the documentation is, and refused for an
    /// item `original` does not have.
    fn parse(mut self, original: &Documentation, problems: &mut Problems) -> Translations {
        let mut out = Translations::default();
        let has: Vec<DocumentationItem> = original.filled_items();
        for ((lang, slot), (_, into)) in self.each_mut().into_iter().zip(out.each_mut()) {
            let Some(doc) = slot.take() else { continue };
            let mut lp = problems.nested(lang);
            for item in doc.filled_items() {
                if !has.contains(&item) {
                    lp.add(
                        item.as_str(),
                        "translates an item the documentation does not have",
                    );
                }
            }
            let parsed = doc.parse(&mut lp);
            problems.absorb(lp);
            if !parsed.filled_items().is_empty() {
                *into = Some(parsed);
            }
        }
        out
    }

    /// Removes, in every language, the items `viewer` may not see.
    pub fn redact(&mut self, visibility: &BTreeMap<DocumentationItem, Visibility>, viewer: Viewer) {
        for (_, doc) in self.each_mut() {
            if let Some(d) = doc {
                d.redact(visibility, viewer);
            }
        }
    }

    /// Keeps the translations of the items whose text is the same in
    /// `after` as in `before` (a new version): a changed item's translation
    /// would say something else.
    pub fn keep_unchanged(&mut self, before: &Documentation, after: &Documentation) {
        let then = before.items();
        let now = after.items();
        for (_, doc) in self.each_mut() {
            if let Some(d) = doc {
                for ((item, old), (_, new)) in then.iter().zip(&now) {
                    if old != new {
                        *d.slot(*item) = None;
                    }
                }
                if d.filled_items().is_empty() {
                    *doc = None;
                }
            }
        }
    }

    /// The public items of every translation, for search.
    pub fn joined_public(&self, visibility: &BTreeMap<DocumentationItem, Visibility>) -> String {
        [&self.kk, &self.ru, &self.en]
            .into_iter()
            .flatten()
            .map(|d| d.joined_public(visibility))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// What a developer sends to register a new system (its first version).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SystemInput {
    /// The owner; defaults to the developer's own organisation.
    #[serde(default)]
    pub owner_organisation_id: Option<OrganisationId>,
    /// The operator, when another organisation runs the system.
    #[serde(default)]
    pub holder_organisation_id: Option<OrganisationId>,
    pub name: LocalizedText,
    pub profile: Profile,
    #[serde(default)]
    pub documentation: Documentation,
    /// The documentation in other languages (`kk`, `ru`, `en`).
    #[serde(default)]
    pub translations: Translations,
    /// Visibility of documentation items; items not listed are public.
    #[serde(default)]
    pub visibility: BTreeMap<DocumentationItem, Visibility>,
    #[serde(default)]
    pub change_note: Option<String>,
    /// Datasets of the library the system was trained, validated or tested on.
    #[serde(default)]
    pub datasets: Vec<DatasetLink>,
}

/// What a developer sends to add a version: the complete new description.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VersionInput {
    #[serde(default)]
    pub holder_organisation_id: Option<OrganisationId>,
    pub name: LocalizedText,
    pub profile: Profile,
    #[serde(default)]
    pub documentation: Documentation,
    /// The documentation in other languages (`kk`, `ru`, `en`).
    #[serde(default)]
    pub translations: Translations,
    #[serde(default)]
    pub visibility: BTreeMap<DocumentationItem, Visibility>,
    /// What changed, in a sentence.
    #[serde(default)]
    pub change_note: Option<String>,
    /// Datasets of the library the system was trained, validated or tested on.
    #[serde(default)]
    pub datasets: Vec<DatasetLink>,
}

impl From<SystemInput> for VersionInput {
    fn from(s: SystemInput) -> VersionInput {
        VersionInput {
            holder_organisation_id: s.holder_organisation_id,
            name: s.name,
            profile: s.profile,
            documentation: s.documentation,
            translations: s.translations,
            visibility: s.visibility,
            change_note: s.change_note,
            datasets: s.datasets,
        }
    }
}

/// A valid version description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidVersion {
    pub holder_organisation_id: Option<OrganisationId>,
    pub name: LocalizedText,
    pub profile: Profile,
    pub documentation: Documentation,
    pub translations: Translations,
    pub visibility: BTreeMap<DocumentationItem, Visibility>,
    pub change_note: Option<String>,
    /// Sorted, each once.
    pub datasets: Vec<DatasetLink>,
}

impl VersionInput {
    pub fn parse(self) -> Result<ValidVersion, ValidationError> {
        let mut problems = Problems::new();
        let mut np = problems.nested("name");
        let name = self.name.parse(300, &mut np);
        problems.absorb(np);
        let mut pp = problems.nested("profile");
        let profile = self.profile.parse(&mut pp);
        problems.absorb(pp);
        let mut dp = problems.nested("documentation");
        let documentation = self.documentation.parse(&mut dp);
        problems.absorb(dp);
        let mut tp = problems.nested("translations");
        let translations = self.translations.parse(&documentation, &mut tp);
        problems.absorb(tp);
        let change_note = match self.change_note {
            Some(n) => problems
                .check("change_note", optional_text(&n, 2000))
                .filter(|t| !t.is_empty()),
            None => None,
        };
        // Public is the default: storing it explicitly would only add noise.
        let visibility = self
            .visibility
            .into_iter()
            .filter(|(_, v)| *v != Visibility::Public)
            .collect();
        let mut datasets = self.datasets.clone();
        datasets.sort();
        datasets.dedup();
        if datasets.len() > MAX_DATASET_LINKS {
            problems.add(
                "datasets",
                format!("must name at most {MAX_DATASET_LINKS} datasets"),
            );
        }
        problems.finish(|| {
            Some(ValidVersion {
                datasets,
                holder_organisation_id: self.holder_organisation_id,
                name: name?,
                profile: profile?,
                documentation,
                translations,
                visibility,
                change_note,
            })
        })
    }
}

/// A system in the register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct System {
    pub id: SystemId,
    /// The name of the current version.
    pub name: LocalizedText,
    pub owner_organisation_id: OrganisationId,
    pub holder_organisation_id: Option<OrganisationId>,
    pub status: SystemStatus,
    /// Assigned on registration, e.g. `KZ-AI-2026-000123`.
    pub registry_number: Option<String>,
    /// The risk level under the pack in force; absent until classified.
    pub risk_level: Option<RiskLevel>,
    /// The sectors of the current version.
    pub sectors: Vec<crate::profile::Sector>,
    /// The number of the current version; the ETag for updates.
    pub current_version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// When the system was first submitted for registration, which made it
    /// public; absent while it is a draft that was never submitted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_since: Option<Timestamp>,
}

impl System {
    /// Whether anyone may read the system. A draft is its organisation's
    /// own until it is first submitted (and so is a draft withdrawn before
    /// it ever was); from then on the system stays public, whatever its
    /// status. A record written before `public_since` existed is public
    /// unless it is a draft or withdrawn.
    pub fn is_public(&self) -> bool {
        self.public_since.is_some() || makes_public(self.status)
    }

    /// Puts the system in `status`, making it public the first time that
    /// status is one of an application's (or of a decision on it).
    pub fn move_to(&mut self, status: SystemStatus, now: Timestamp) {
        self.status = status;
        if self.public_since.is_none() && makes_public(status) {
            self.public_since = Some(now);
        }
    }
}

/// Whether a system in `status` has been submitted: every status but a
/// draft's and a withdrawal's.
fn makes_public(status: SystemStatus) -> bool {
    !matches!(status, SystemStatus::Draft | SystemStatus::Withdrawn)
}

/// One version of a system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SystemVersion {
    pub system_id: SystemId,
    /// 1 for the first version, then 2, 3, ...
    pub version: i64,
    pub name: LocalizedText,
    pub holder_organisation_id: Option<OrganisationId>,
    pub profile: Profile,
    pub documentation: Documentation,
    /// The documentation in other languages.
    #[serde(default, skip_serializing_if = "Translations::is_empty")]
    pub translations: Translations,
    /// Visibility of documentation items that are not public.
    pub visibility: BTreeMap<DocumentationItem, Visibility>,
    /// Items present but withheld from this reader.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub withheld: Vec<DocumentationItem>,
    pub change_note: Option<String>,
    /// Datasets of the library it was trained, validated or tested on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub datasets: Vec<DatasetLink>,
    /// Who created the version; visible to the owner and the authority only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<AccountId>,
    pub created_at: Timestamp,
}

impl SystemVersion {
    /// The documentation to show a reader of `lang`: each item translated
    /// where it is, else as written.
    pub fn documentation_in(&self, lang: &str) -> Documentation {
        let mut out = self.documentation.clone();
        if let Some(t) = self.translations.get(lang) {
            for (item, text) in t.items() {
                if let (Some(text), Some(slot)) = (text, out.slot(item).as_mut()) {
                    *slot = text.to_string();
                }
            }
        }
        out
    }

    /// The version as `viewer` may see it.
    pub fn redacted(mut self, viewer: Viewer) -> SystemVersion {
        self.withheld = self.documentation.redact(&self.visibility, viewer);
        self.translations.redact(&self.visibility, viewer);
        if !Visibility::OwnerAndAuthority.visible_to(viewer) {
            self.created_by = None;
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> VersionInput {
        serde_json::from_value(serde_json::json!({
            "name": {"en": "Triage"},
            "profile": {"sectors": ["healthcare"], "functions": ["decision_support"],
                        "autonomy": "low", "affects": ["health"], "failure_impact": "severe"},
            "documentation": {"purpose": "Orders the queue.", "training_data": "Secret"},
            "visibility": {"training_data": "owner_and_authority", "purpose": "public"}
        }))
        .unwrap()
    }

    /// Issue 20, item 2: documentation had one language, so a Kazakh reader
    /// read English. A version takes translations of its items; each keeps
    /// its item's visibility, and a translation of an item the
    /// documentation lacks is refused.
    #[test]
    fn translations_keep_each_items_visibility() {
        let mut json = serde_json::to_value(input()).unwrap();
        json["translations"] = serde_json::json!({
            "kk": {"purpose": "Кезекті реттейді.", "training_data": "Құпия"},
            "ru": {"purpose": "Упорядочивает очередь."}
        });
        let v: VersionInput = serde_json::from_value(json.clone()).unwrap();
        let v = v.parse().unwrap();
        let kk = v.translations.get("kk").unwrap();
        assert_eq!(kk.purpose.as_deref(), Some("Кезекті реттейді."));
        let mut public = v.translations.clone();
        public.redact(&v.visibility, Viewer::PUBLIC);
        assert!(public.get("kk").unwrap().training_data.is_none());
        assert!(public.get("kk").unwrap().purpose.is_some());
        assert!(!public.joined_public(&v.visibility).contains("Құпия"));
        json["translations"]["ru"]["limitations"] = "Нет.".into();
        let v: VersionInput = serde_json::from_value(json).unwrap();
        let err = v.parse().unwrap_err();
        assert_eq!(err.0[0].field, "translations.ru.limitations");
        assert_eq!(
            err.0[0].reason,
            "translates an item the documentation does not have"
        );
    }

    #[test]
    fn public_visibility_is_not_stored() {
        let v = input().parse().unwrap();
        assert_eq!(v.visibility.len(), 1);
    }

    #[test]
    fn redaction_removes_hidden_items_and_says_so() {
        let v = input().parse().unwrap();
        let mut doc = v.documentation.clone();
        let withheld = doc.redact(&v.visibility, Viewer::PUBLIC);
        assert_eq!(withheld, vec![DocumentationItem::TrainingData]);
        assert!(doc.training_data.is_none());
        assert!(doc.purpose.is_some());
        let mut doc = v.documentation.clone();
        assert!(doc.redact(&v.visibility, Viewer::OWNER).is_empty());
    }

    #[test]
    fn unknown_documentation_item_is_refused() {
        let r: Result<VersionInput, _> = serde_json::from_value(serde_json::json!({
            "name": {"en": "x"},
            "profile": {"sectors": ["other"], "functions": ["other"], "autonomy": "low",
                        "affects": ["none"], "failure_impact": "minimal"},
            "documentation": {"purpse": "typo"}
        }));
        assert!(r.unwrap_err().to_string().contains("purpse"));
    }

    #[test]
    fn item_names_match_fields() {
        let json = serde_json::to_value(Documentation {
            purpose: Some("x".into()),
            ..Default::default()
        })
        .unwrap();
        assert!(json.get(DocumentationItem::Purpose.as_str()).is_some());
        assert_eq!(DocumentationItem::ALL.len(), 14);
    }
}

/// The operator a system has after a version names `named` as its operator
/// (issue 19): another organisation operates a system only once it has
/// accepted. The owner operating its own system, or the operator it
/// already has, need no answer; anyone else named stays pending and the
/// system has no operator until they answer.
pub fn confirmed_operator(
    owner: OrganisationId,
    confirmed: Option<OrganisationId>,
    named: Option<OrganisationId>,
) -> Option<OrganisationId> {
    match named {
        Some(n) if n == owner || Some(n) == confirmed => Some(n),
        _ => None,
    }
}

/// An organisation named as a system's operator that has not answered yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OperatorRequest {
    pub system_id: SystemId,
    /// The system's name (of its current version).
    pub system_name: LocalizedText,
    /// The organisation that owns the system and named the operator.
    pub owner_organisation_id: OrganisationId,
    /// The organisation named as operator, whose answer is awaited.
    pub organisation_id: OrganisationId,
    /// The version that named it.
    pub version: i64,
    pub requested_at: Timestamp,
}

/// An operator's answer to being named.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OperatorDecision {
    /// The organisation operates the system: it is listed under it.
    Accept,
    /// It does not: the system stays without an operator.
    Refuse,
}

/// What the named organisation sends: its answer.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OperatorAnswer {
    pub decision: OperatorDecision,
}

/// The notice to the organisation named as operator.
pub fn operator_named_notice(
    organisation: OrganisationId,
    system: &LocalizedText,
) -> crate::case::Notice {
    let name = system.get("kk").to_string();
    crate::case::Notice::new(
        crate::case::Recipient::Organisation(organisation),
        "notice-operator-named",
        &[("system", name.clone())],
        format!(
            "Your organisation is named as the operator of the AI system \u{ab}{name}\u{bb}. It is listed under your organisation only once you accept: answer on the system's page."
        ),
    )
}

/// The notice to the owner of the named operator's answer.
pub fn operator_answered_notice(
    owner: OrganisationId,
    system: &LocalizedText,
    decision: OperatorDecision,
) -> crate::case::Notice {
    let name = system.get("kk").to_string();
    let (key, text) = match decision {
        OperatorDecision::Accept => (
            "notice-operator-accepted",
            format!("The organisation you named accepted to be the operator of \u{ab}{name}\u{bb}."),
        ),
        OperatorDecision::Refuse => (
            "notice-operator-refused",
            format!("The organisation you named refused to be the operator of \u{ab}{name}\u{bb}; the system has no operator."),
        ),
    };
    crate::case::Notice::new(
        crate::case::Recipient::Organisation(owner),
        key,
        &[("system", name)],
        text,
    )
}

#[cfg(test)]
mod operator_tests {
    use super::*;

    #[test]
    fn another_organisation_operates_only_once_it_accepts() {
        let owner = OrganisationId::generate();
        let bank = OrganisationId::generate();
        let other = OrganisationId::generate();
        assert_eq!(confirmed_operator(owner, None, Some(bank)), None);
        assert_eq!(confirmed_operator(owner, None, Some(owner)), Some(owner));
        assert_eq!(
            confirmed_operator(owner, Some(bank), Some(bank)),
            Some(bank)
        );
        assert_eq!(confirmed_operator(owner, Some(bank), Some(other)), None);
        assert_eq!(confirmed_operator(owner, Some(bank), None), None);
    }
}
