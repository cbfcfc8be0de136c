//! Classifying system versions with the pack in force, and re-classifying
//! every system when a new version of that pack is published.

use senim_domain::classification::{Assessment, ChangeReport, Lang, SystemChange};
use senim_domain::system::ValidVersion;
use senim_domain::{Documentation, Profile};
use senim_rules::{RuleBook, RulePack};
use senim_store::{ClassificationInput, Reassessment};

/// The assessment of a version under `pack`.
pub fn assess(pack: &RulePack, profile: &Profile, documentation: &Documentation) -> Assessment {
    let outcome = pack.classify(profile);
    let gaps = pack.gaps(&outcome, documentation);
    Assessment { outcome, gaps }
}

/// The assessment of a new version under the pack in force.
pub fn assess_version(book: &RuleBook, version: &ValidVersion) -> Assessment {
    assess(book.in_force(), &version.profile, &version.documentation)
}

/// Re-classifies every system under `pack` and reports what changed.
pub fn reassess_all(
    pack: &RulePack,
    previous: Option<&RulePack>,
    inputs: Vec<ClassificationInput>,
    names: impl Fn(&ClassificationInput) -> String,
) -> (Vec<Reassessment>, ChangeReport) {
    let mut reassessments = Vec::with_capacity(inputs.len());
    let mut changed = Vec::new();
    for input in &inputs {
        let outcome = pack.classify(&input.profile);
        // Stored reports leave citations out (the pack restores them on reading).
        let gaps = pack.gaps_uncited(&outcome, &input.documented);
        let assessment = Assessment { outcome, gaps };
        let change = input
            .outcome
            .as_ref()
            .and_then(|before| before.change_to(&assessment.outcome));
        if let Some(c) = &change {
            changed.push(SystemChange {
                system_id: input.system_id,
                name: names(input),
                change: c.clone(),
            });
        }
        reassessments.push(Reassessment {
            system_id: input.system_id,
            version: input.version,
            assessment,
            change,
            previous_risk: input.outcome.as_ref().map(|o| o.risk_level),
        });
    }
    let report = ChangeReport {
        pack: pack.pack_ref(),
        previous: previous.map(|p| p.pack_ref()),
        in_force: true,
        reclassified: reassessments.len() as u64,
        changed,
    };
    (reassessments, report)
}

/// The language asked for, English by default.
pub fn lang(asked: Option<Lang>) -> Lang {
    asked.unwrap_or_default()
}
