//! The shipped packs: each parses and passes the checker, classifies every
//! case in `rulepacks/cases/` as the case expects, and keeps the algebraic
//! properties the law implies.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use proptest::prelude::*;
use senim_domain::profile::{Affects, FailureImpact, Function, Sector};
use senim_domain::{Profile, RiskLevel};
use senim_rules::{Lang, RuleBook, RulePack, BUILT_IN};

fn packs() -> Vec<RulePack> {
    BUILT_IN
        .iter()
        .map(|(file, text)| RulePack::parse(text, file).unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

#[derive(Debug, serde::Deserialize)]
struct Expected {
    risk_level: RiskLevel,
    #[serde(default)]
    prohibited: Vec<String>,
    #[serde(default)]
    reason: String,
}

#[derive(Debug, serde::Deserialize)]
struct Case {
    name: String,
    #[allow(dead_code)]
    description: String,
    profile: Profile,
    expected: BTreeMap<String, Expected>,
}

fn cases() -> Vec<(String, Case)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../rulepacks/cases");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let case: Case =
            toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        out.push((
            path.file_name().unwrap().to_string_lossy().to_string(),
            case,
        ));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn shipped_packs_pass_the_checker_and_round_trip() {
    for pack in packs() {
        let again = RulePack::parse(&pack.to_toml(), "canonical.toml")
            .unwrap_or_else(|e| panic!("{}: {e}", pack.id));
        assert!(pack.same_as(&again), "{} does not round-trip", pack.id);
    }
    let book = RuleBook::built_in(senim_rules::DEFAULT_PACK).unwrap();
    assert_eq!(book.in_force().id, "kz-seed-2025");
}

#[test]
fn every_case_classifies_as_expected_under_every_pack() {
    let packs = packs();
    let cases = cases();
    assert!(
        cases.len() >= 40,
        "at least 40 realistic systems, found {}",
        cases.len()
    );
    let mut mismatches = Vec::new();
    for (file, case) in &cases {
        let profile = case
            .profile
            .clone()
            .parse_alone()
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        for pack in &packs {
            let Some(expected) = case.expected.get(&pack.id) else {
                panic!("{file} has no expectation for {}", pack.id)
            };
            let outcome = pack.classify(&profile);
            let mut got_prohibited = outcome.prohibited_practices.clone();
            got_prohibited.sort();
            let mut want_prohibited = expected.prohibited.clone();
            want_prohibited.sort();
            let prohibited_ok = pack.id == "kz-seed-2025" || got_prohibited == want_prohibited;
            if outcome.risk_level != expected.risk_level || !prohibited_ok {
                mismatches.push(format!(
                    "{file} ({}) under {}: expected {} {:?}, got {} {:?} by rules {:?}\n    case says: {}",
                    case.name,
                    pack.id,
                    expected.risk_level.as_str(),
                    want_prohibited,
                    outcome.risk_level.as_str(),
                    got_prohibited,
                    outcome.rules,
                    expected.reason
                ));
            }
            let explained = pack.explain(&outcome, Lang::Kk);
            assert!(!explained.rationale.is_empty());
            assert!(explained
                .rationale
                .iter()
                .all(|r| !r.text.is_empty() && !r.citation.source.is_empty()));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

fn profile_strategy() -> impl Strategy<Value = Profile> {
    let sectors = proptest::sample::subsequence(Sector::ALL.to_vec(), 1..4);
    let functions = proptest::sample::subsequence(Function::ALL.to_vec(), 1..4);
    let affects = prop_oneof![
        Just(vec![Affects::None]),
        proptest::sample::subsequence(Affects::ALL[..Affects::ALL.len() - 1].to_vec(), 1..4),
    ];
    (
        sectors,
        functions,
        affects,
        proptest::sample::select(senim_domain::profile::Autonomy::ALL.to_vec()),
        proptest::sample::select(FailureImpact::ALL.to_vec()),
        proptest::collection::vec(any::<bool>(), 7),
        proptest::sample::subsequence(senim_domain::profile::VulnerableGroup::ALL.to_vec(), 0..3),
        proptest::sample::subsequence(senim_domain::profile::SpecialCategory::ALL.to_vec(), 0..3),
        proptest::option::of(proptest::sample::select(
            senim_domain::profile::LegalException::ALL.to_vec(),
        )),
    )
        .prop_map(
            |(
                sectors,
                functions,
                affects,
                autonomy,
                failure_impact,
                b,
                vulnerable,
                special,
                legal,
            )| {
                let mut vulnerable_groups = vulnerable;
                if b[2] && vulnerable_groups.is_empty() {
                    vulnerable_groups.push(senim_domain::profile::VulnerableGroup::Children);
                }
                Profile {
                    sectors,
                    functions,
                    real_time: b[0],
                    public_spaces: b[1],
                    autonomy,
                    affects,
                    failure_impact,
                    vulnerable_groups,
                    exploits_vulnerability: b[2],
                    informed_consent: b[3],
                    personal_data: b[4],
                    special_categories: special,
                    critical_ict_or_state_resource: b[5],
                    legal_exception: legal,
                    narrow_procedural_task: b[6],
                }
                .parse_alone()
                .unwrap()
            },
        )
}

fn severity(r: RiskLevel) -> u8 {
    match r {
        RiskLevel::Minimal => 0,
        RiskLevel::Medium => 1,
        RiskLevel::High => 2,
        RiskLevel::Prohibited => 3,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn every_valid_profile_gets_exactly_one_result(profile in profile_strategy()) {
        for pack in packs() {
            let outcome = pack.classify(&profile);
            prop_assert_eq!(outcome.risk_level == RiskLevel::Prohibited, !outcome.prohibited_practices.is_empty());
            if outcome.risk_level == RiskLevel::Prohibited {
                prop_assert!(!outcome.registration_required);
            }
            prop_assert_eq!(pack.classify(&profile), outcome, "deterministic");
        }
    }

    #[test]
    fn a_more_severe_failure_impact_never_lowers_the_risk(profile in profile_strategy()) {
        for pack in packs() {
            let mut worse = profile.clone();
            worse.failure_impact = match profile.failure_impact {
                FailureImpact::Minimal => FailureImpact::Moderate,
                _ => FailureImpact::Severe,
            };
            let before = pack.classify(&profile).risk_level;
            let after = pack.classify(&worse).risk_level;
            prop_assert!(severity(after) >= severity(before), "{}: {:?} -> {:?}", pack.id, before, after);
        }
    }

    #[test]
    fn adding_a_prohibited_function_never_lowers_the_risk(profile in profile_strategy()) {
        for pack in packs() {
            let before = pack.classify(&profile).risk_level;
            for f in [Function::SocialScoring, Function::FacialImageScraping, Function::BehaviouralInfluence,
                      Function::EmotionRecognition, Function::BiometricCategorisation, Function::CrimePrediction] {
                let mut more = profile.clone();
                more.functions.push(f);
                let more = more.parse_alone().unwrap();
                let after = pack.classify(&more).risk_level;
                prop_assert!(severity(after) >= severity(before), "{} adding {:?}: {:?} -> {:?}", pack.id, f, before, after);
            }
        }
    }
}

/// The checker proves a rule can fire only when its condition mentions at
/// most 20 values; this covers the rest: every rule of every shipped pack
/// fires for some profile among the cases and 20,000 generated ones.
#[test]
fn every_shipped_rule_fires_for_some_profile() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let packs = packs();
    let mut profiles: Vec<Profile> = cases()
        .into_iter()
        .map(|(_, c)| c.profile.parse_alone().unwrap())
        .collect();
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    let strategy = profile_strategy();
    for _ in 0..20_000 {
        profiles.push(strategy.new_tree(&mut runner).unwrap().current());
    }
    for pack in &packs {
        let mut fired = std::collections::HashSet::new();
        for p in &profiles {
            fired.extend(pack.classify(p).rules);
        }
        let content: toml::Value = toml::from_str(&pack.to_toml()).unwrap();
        let never: Vec<&str> = content["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap())
            .filter(|id| !fired.contains(*id))
            .collect();
        assert!(
            never.is_empty(),
            "{}: rules that never fired: {never:?}",
            pack.id
        );
    }
}
