//! The packs a server or a command knows: the built-in ones and those
//! published since, every version kept, one pack id in force.

use senim_domain::classification::{Citation, Lang};

use crate::{PackError, RulePack};

/// The packs that ship with Senim (`rulepacks/` at build time).
pub const BUILT_IN: &[(&str, &str)] = &[
    (
        "rulepacks/kz-seed-2025.toml",
        include_str!("../../../rulepacks/kz-seed-2025.toml"),
    ),
    (
        "rulepacks/kz-230-viii.toml",
        include_str!("../../../rulepacks/kz-230-viii.toml"),
    ),
    (
        "rulepacks/eu-ai-act.toml",
        include_str!("../../../rulepacks/eu-ai-act.toml"),
    ),
];

/// The pack in force unless configured otherwise.
pub const DEFAULT_PACK: &str = "kz-seed-2025";

/// The built-in packs, parsed.
pub fn built_in_packs() -> Result<Vec<RulePack>, PackError> {
    BUILT_IN
        .iter()
        .map(|(file, text)| RulePack::parse(text, file))
        .collect()
}

/// Semantic version as numbers, for ordering.
fn version_key(version: &str) -> Vec<u64> {
    version.split('.').map(|p| p.parse().unwrap_or(0)).collect()
}

/// Every known pack version.
#[derive(Debug, Clone)]
pub struct RuleBook {
    packs: Vec<RulePack>,
    in_force: String,
}

impl RuleBook {
    /// The built-in packs, with `in_force` as the pack in force.
    pub fn built_in(in_force: &str) -> Result<RuleBook, PackError> {
        RuleBook::new(built_in_packs()?, in_force)
    }

    pub fn new(packs: Vec<RulePack>, in_force: &str) -> Result<RuleBook, PackError> {
        let mut book = RuleBook {
            packs: Vec::new(),
            in_force: in_force.to_string(),
        };
        for pack in packs {
            book.add(pack);
        }
        if book.latest(in_force).is_none() {
            return Err(PackError {
                file: "configuration".into(),
                problems: vec![crate::CheckProblem {
                    line: 0,
                    message: format!(
                        "the pack in force `{in_force}` is not known; known packs: {}",
                        book.ids().join(", ")
                    ),
                }],
            });
        }
        Ok(book)
    }

    /// Adds a version (replacing an identical id and version).
    pub fn add(&mut self, pack: RulePack) {
        self.packs
            .retain(|p| !(p.id == pack.id && p.version == pack.version));
        self.packs.push(pack);
        self.packs.sort_by(|a, b| {
            a.id.cmp(&b.id)
                .then(version_key(&a.version).cmp(&version_key(&b.version)))
        });
    }

    pub fn ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.packs.iter().map(|p| p.id.clone()).collect();
        ids.dedup();
        ids
    }

    pub fn all(&self) -> &[RulePack] {
        &self.packs
    }

    /// The newest version of a pack.
    pub fn latest(&self, id: &str) -> Option<&RulePack> {
        self.packs.iter().rev().find(|p| p.id == id)
    }

    pub fn get(&self, id: &str, version: &str) -> Option<&RulePack> {
        self.packs
            .iter()
            .find(|p| p.id == id && p.version == version)
    }

    /// The id of the pack in force.
    pub fn in_force_id(&self) -> &str {
        &self.in_force
    }

    /// The newest version of the pack in force.
    pub fn in_force(&self) -> &RulePack {
        match self.latest(&self.in_force) {
            Some(p) => p,
            // `new` refuses a book without its pack in force, and packs are never removed.
            None => &self.packs[0],
        }
    }

    /// A citation as a record quoted it (in English, when the record was
    /// made), in `lang`: the words of a known pack that declares the same
    /// citation with the same English words (the pack in force first), or
    /// the quotation as it stands when none does, since a record must never
    /// be shown citing words it did not cite.
    pub fn requote(&self, quoted: &Citation, lang: Lang) -> Citation {
        self.candidates()
            .flat_map(|p| p.citations())
            .find(|c| c.id == quoted.id && c.source.en == quoted.source)
            .map(|c| c.quote(lang))
            .unwrap_or_else(|| quoted.clone())
    }

    /// An obligation's title as a record quoted it (in English), in `lang`,
    /// on the same terms as [`RuleBook::requote`].
    pub fn retitle(&self, obligation: &str, quoted: &str, lang: Lang) -> String {
        self.candidates()
            .filter_map(|p| p.obligation(obligation, Lang::En).map(|o| (p, o)))
            .find(|(_, o)| o.title == quoted)
            .and_then(|(p, _)| p.obligation(obligation, lang))
            .map(|o| o.title)
            .unwrap_or_else(|| quoted.to_string())
    }

    /// A threshold's title as a record quoted it (in English), in `lang`,
    /// on the same terms as [`RuleBook::requote`].
    pub fn threshold_title(&self, metric: &str, quoted: &str, lang: Lang) -> String {
        self.candidates()
            .flat_map(|p| {
                let en = p.thresholds(Lang::En);
                let shown = p.thresholds(lang);
                en.into_iter().zip(shown)
            })
            .find(|(en, _)| en.metric == metric && en.title == quoted)
            .map(|(_, shown)| shown.title)
            .unwrap_or_else(|| quoted.to_string())
    }

    /// The pack in force, then every other version, newest first.
    fn candidates(&self) -> impl Iterator<Item = &RulePack> {
        std::iter::once(self.in_force()).chain(self.packs.iter().rev())
    }

    /// Whether `version` would be newer than every known version of `id`.
    pub fn is_newer(&self, id: &str, version: &str) -> bool {
        self.latest(id)
            .map(|p| version_key(version) > version_key(&p.version))
            .unwrap_or(true)
    }
}
