//! Rule packs: the law as data, and the classifier that applies it.
//!
//! A pack is a TOML file (format and precedence in `docs/RULEPACKS.md`). It
//! is parsed into raw tables that keep their source positions ([`raw`]),
//! checked and compiled into a [`RulePack`] whose conditions are bit masks
//! over a profile's facts ([`facts`]), and applied by [`RulePack::classify`],
//! which returns a language-neutral [`Outcome`]. [`RulePack::explain`] turns
//! an outcome into the citizen-readable [`Classification`] in Kazakh, Russian
//! or English, and [`RulePack::gaps`] lists the documentation the outcome
//! requires that a version lacks.
//!
//! No rule lives in this crate: it knows the rule language only.

mod book;
pub mod eligibility;
pub mod facts;
mod pack;
pub mod raw;

pub use book::{built_in_packs, RuleBook, BUILT_IN, DEFAULT_PACK};
pub use pack::{
    ChangedOutcome, CheckProblem, Citation, Classification, Gap, Lang, ObligationView, Outcome,
    PackRef, PackSummary, RationaleEntry, RulePack, Sanction, ThresholdView, THRESHOLD_METRICS,
};

/// Why a pack was refused: every problem, each with its line.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}", render(.file, .problems))]
pub struct PackError {
    pub file: String,
    pub problems: Vec<CheckProblem>,
}

fn render(file: &str, problems: &[CheckProblem]) -> String {
    problems
        .iter()
        .map(|p| format!("{file}:{}: {}", p.line, p.message))
        .collect::<Vec<_>>()
        .join("\n")
}
