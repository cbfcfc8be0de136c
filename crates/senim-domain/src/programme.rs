//! The National AI Platform's support programmes (issue 18): a call, as a
//! programme manager publishes it, parsed from its input. A call says what an
//! application asks, how much there is to award and in which unit, how
//! applications are evaluated and scored, how long an award must be usable,
//! and when awardees report. Who may apply (eligibility, as conditions in the
//! rule packs' language), applications, awards and allocations build on it.
//!
//! Money is an integer number of tiyn (a hundredth of a tenge), never a
//! float; platform credits are whole numbers. A review's marks give a score
//! with integer arithmetic only, so the same marks always pass or fail the
//! same threshold.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::calendar::Day;
use crate::clock::Timestamp;
use crate::error::{Problems, ValidationError};
use crate::ids::{CallId, OrganisationId, ProgrammeId};
use crate::profile::vocabulary;
use crate::text::LocalizedText;

vocabulary!(
    /// What a programme supports (the signed law's support measures).
    ProgrammeKind {
        ResearchGrant => "research_grant",
        Compute => "compute",
        ModelAccess => "model_access",
        DataAccess => "data_access",
        Education => "education",
        Sandbox => "sandbox",
    }
);

vocabulary!(
    /// The unit of a budget and of an award: money in tiyn, or platform
    /// credits exchanged later for resources.
    BudgetUnit {
        Tiyn => "tiyn",
        Credits => "credits",
    }
);

vocabulary!(
    /// When applications are evaluated: each as it arrives, or all together
    /// after the call closes.
    EvaluationMode {
        OnArrival => "on_arrival",
        CutOff => "cut_off",
    }
);

vocabulary!(
    /// What an application's answer to a question is.
    AnswerKind {
        Text => "text",
        Number => "number",
        YesNo => "yes_no",
        File => "file",
    }
);

/// The largest budget a call may have, in its unit (a trillion tenge in
/// tiyn): far above any real call, far below `i64::MAX`, so sums of awards
/// never overflow.
pub const MAX_BUDGET: i64 = 100_000_000_000_000;

/// The most reviewers a call may require for each application.
pub const MAX_REVIEWERS: u8 = 7;

/// The most criteria in a rubric and questions in a form.
pub const MAX_CRITERIA: usize = 20;
pub const MAX_QUESTIONS: usize = 50;

/// A sum in a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Budget {
    pub unit: BudgetUnit,
    /// In tiyn for money, in credits for credits; at least 1.
    pub amount: i64,
}

/// One criterion of a scoring rubric.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    /// Short name, unique in the rubric (`excellence`, `impact`, ...).
    pub id: String,
    pub title: LocalizedText,
    /// Its weight against the others, 1 to 100.
    pub weight: u32,
    /// The highest mark; marks run from 0 to it (2 to 10).
    pub scale: u8,
}

/// One question of a call's application form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// Short name, unique in the form.
    pub id: String,
    pub text: LocalizedText,
    pub answer: AnswerKind,
    #[serde(default)]
    pub required: bool,
}

/// A call as a programme manager writes it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallInput {
    pub title: LocalizedText,
    #[serde(default)]
    pub description: LocalizedText,
    /// The first day applications are accepted.
    pub opens: Day,
    /// The last day applications are accepted.
    pub closes: Day,
    pub budget: Budget,
    pub evaluation: EvaluationMode,
    /// Expert reviews each application needs before a decision (1 to 7).
    pub reviewers: u8,
    pub rubric: Vec<Criterion>,
    /// The share of the highest weighted score an application needs, in
    /// percent (0 to 100).
    pub pass_threshold: u8,
    #[serde(default)]
    pub questions: Vec<Question>,
    /// When awardees report, in months after the award, increasing; the
    /// last is the final report.
    #[serde(default)]
    pub reports_after_months: Vec<u16>,
    /// How an award is released, in percent of it: the first share on
    /// acceptance, each next one when the next report is accepted; the
    /// shares add up to 100. Empty: all of it on acceptance.
    #[serde(default)]
    pub tranches: Vec<u8>,
    /// The shortest time an award must leave its holder to use it: an award
    /// with less time left is refused, not made.
    pub min_usable_days: u16,
    /// Who may apply: rules in the rule packs' condition language (TOML,
    /// `[[rules]]` with `id`, `text` and `requires`); empty for anyone.
    #[serde(default)]
    pub eligibility: String,
    /// A sandbox call only: the longest stay its plans may ask for, in
    /// months (1 to 12; 12 when left out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_months: Option<u8>,
}

/// A call that can be published, as parsed from [`CallInput`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidCall {
    pub title: LocalizedText,
    pub description: Option<LocalizedText>,
    pub opens: Day,
    pub closes: Day,
    pub budget: Budget,
    pub evaluation: EvaluationMode,
    pub reviewers: u8,
    pub rubric: Rubric,
    pub questions: Vec<Question>,
    pub reports_after_months: Vec<u16>,
    pub tranches: Vec<u8>,
    pub min_usable_days: u16,
    /// The eligibility rules' source, checked by `senim_rules::eligibility`.
    pub eligibility: String,
    pub max_months: Option<u8>,
}

/// A rubric whose criteria and threshold were checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rubric {
    criteria: Vec<Criterion>,
    pass_threshold: u8,
}

/// A common multiple of every scale (2 to 10), so that each mark's share of
/// its scale is a whole number of units.
const SCALE_UNITS: u64 = 2520;

/// A review's score: its weighted marks against the highest possible.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Score {
    units: u64,
    max_units: u64,
}

impl Score {
    /// The score in tenths of a percent, rounded down (for showing).
    pub fn per_mille(self) -> u64 {
        self.units * 1000 / self.max_units
    }
}

impl Rubric {
    /// The rubric of a published call (checked when it was published).
    pub fn of(call: &Call) -> Rubric {
        Rubric {
            criteria: call.rubric.clone(),
            pass_threshold: call.pass_threshold,
        }
    }

    pub fn criteria(&self) -> &[Criterion] {
        &self.criteria
    }

    pub fn pass_threshold(&self) -> u8 {
        self.pass_threshold
    }

    /// The score of one review's marks, one per criterion by id; names
    /// every missing, unknown or out-of-scale mark.
    pub fn score(&self, marks: &[(String, u8)]) -> Result<Score, ValidationError> {
        let mut problems = Problems::new();
        let mut units = 0u64;
        let mut max_units = 0u64;
        for c in &self.criteria {
            let weight = u64::from(c.weight);
            max_units += weight * SCALE_UNITS;
            match marks.iter().find(|(id, _)| *id == c.id) {
                None => problems.add(&format!("marks.{}", c.id), "is missing"),
                Some((_, mark)) if *mark > c.scale => problems.add(
                    &format!("marks.{}", c.id),
                    format!("must be from 0 to {}", c.scale),
                ),
                Some((_, mark)) => {
                    units += weight * u64::from(*mark) * (SCALE_UNITS / u64::from(c.scale));
                }
            }
        }
        let mut seen = HashSet::new();
        for (id, _) in marks {
            if !self.criteria.iter().any(|c| c.id == *id) {
                problems.add(&format!("marks.{id}"), "is not a criterion of this call");
            } else if !seen.insert(id) {
                problems.add(&format!("marks.{id}"), "is given twice");
            }
        }
        problems.finish(|| Some(Score { units, max_units }))
    }

    /// Whether the mean of these reviews' scores (each from this rubric's
    /// [`Rubric::score`]) reaches the threshold. Exact: no rounding decides
    /// a pass.
    pub fn passes(&self, scores: &[Score]) -> bool {
        let Some(first) = scores.first() else {
            return false;
        };
        let total: u64 = scores.iter().map(|s| s.units).sum();
        // mean / max >= threshold / 100, with the mean as total / n.
        total * 100 >= u64::from(self.pass_threshold) * first.max_units * scores.len() as u64
    }
}

vocabulary!(
    /// Where a call stands on a day: before it opens, open, or closed.
    CallStatus {
        Upcoming => "upcoming",
        Open => "open",
        Closed => "closed",
    }
);

/// A programme as a manager describes it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgrammeInput {
    pub kind: ProgrammeKind,
    pub title: LocalizedText,
    #[serde(default)]
    pub description: LocalizedText,
}

/// A programme that can be published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidProgramme {
    pub kind: ProgrammeKind,
    pub title: LocalizedText,
    pub description: Option<LocalizedText>,
}

impl ProgrammeInput {
    pub fn parse(self) -> Result<ValidProgramme, ValidationError> {
        let mut problems = Problems::new();
        let title = localized(&self.title, 300, "title", &mut problems);
        let description = if is_blank(&self.description) {
            None
        } else {
            localized(&self.description, 20_000, "description", &mut problems)
        };
        problems.finish(|| {
            Some(ValidProgramme {
                kind: self.kind,
                title: title?,
                description,
            })
        })
    }
}

/// A support programme: what it supports, who runs it (the manager's
/// organisation), and the calls it publishes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Programme {
    pub id: ProgrammeId,
    pub kind: ProgrammeKind,
    pub title: LocalizedText,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<LocalizedText>,
    /// The organisation that runs it.
    pub organisation_id: OrganisationId,
    pub created_at: Timestamp,
}

/// A published call. Its terms do not change once published: applicants
/// apply to what they read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Call {
    pub id: CallId,
    /// Human-readable and unique, e.g. `CALL-2027-000001`; given by the store.
    pub number: String,
    pub programme_id: ProgrammeId,
    pub kind: ProgrammeKind,
    /// The organisation that runs the programme.
    pub organisation_id: OrganisationId,
    pub title: LocalizedText,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<LocalizedText>,
    pub opens: Day,
    pub closes: Day,
    pub budget: Budget,
    pub evaluation: EvaluationMode,
    pub reviewers: u8,
    pub rubric: Vec<Criterion>,
    pub pass_threshold: u8,
    pub questions: Vec<Question>,
    pub reports_after_months: Vec<u16>,
    /// The award's shares in percent: on acceptance, then after each
    /// accepted report (empty: all on acceptance).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tranches: Vec<u8>,
    pub min_usable_days: u16,
    /// The eligibility rules' source (empty: anyone may apply).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub eligibility: String,
    /// A sandbox call's longest stay, in months, when shorter than the
    /// law-wide [`crate::sandbox::MAX_MONTHS`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_months: Option<u8>,
    pub created_at: Timestamp,
}

impl Call {
    /// The longest stay in the sandbox this call admits, in months.
    pub fn max_months(&self) -> i64 {
        self.max_months
            .map_or(crate::sandbox::MAX_MONTHS, i64::from)
    }

    /// The award's shares in percent, in the order they are released.
    pub fn shares(&self) -> Vec<u8> {
        if self.tranches.is_empty() {
            vec![100]
        } else {
            self.tranches.clone()
        }
    }

    /// A new call of `programme` from its checked terms (the store numbers it).
    pub fn new(id: CallId, programme: &Programme, call: ValidCall, now: Timestamp) -> Call {
        Call {
            id,
            number: String::new(),
            programme_id: programme.id,
            kind: programme.kind,
            organisation_id: programme.organisation_id,
            title: call.title,
            description: call.description,
            opens: call.opens,
            closes: call.closes,
            budget: call.budget,
            evaluation: call.evaluation,
            reviewers: call.reviewers,
            rubric: call.rubric.criteria,
            pass_threshold: call.rubric.pass_threshold,
            questions: call.questions,
            reports_after_months: call.reports_after_months,
            tranches: call.tranches,
            min_usable_days: call.min_usable_days,
            eligibility: call.eligibility,
            max_months: call.max_months,
            created_at: now,
        }
    }

    pub fn status(&self, today: Day) -> CallStatus {
        if today < self.opens {
            CallStatus::Upcoming
        } else if today > self.closes {
            CallStatus::Closed
        } else {
            CallStatus::Open
        }
    }
}

/// What a call has given so far, and what is left of its budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CallFigures {
    pub applications: u64,
    pub submitted: u64,
    pub awarded_count: u64,
    /// Awarded so far, in the budget's unit.
    pub awarded: i64,
    pub remaining: i64,
}

/// A submitted application as the programmes' statistics count it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationTimes {
    pub call_id: CallId,
    pub sectors: Vec<crate::profile::Sector>,
    /// Awarded (and not declined or withdrawn since).
    pub awarded: bool,
    pub submitted_at: Option<Timestamp>,
    pub decided_at: Option<Timestamp>,
    /// When the award could first be used: a money award's acceptance (its
    /// first share released), a credits award's first approved allocation.
    pub usable_at: Option<Timestamp>,
}

/// What a set of applications shows: how many, how many won, and how long
/// people waited.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Statistics {
    pub submitted: u64,
    pub decided: u64,
    pub awarded: u64,
    /// Awards per hundred submitted applications, rounded down.
    pub success_percent: u64,
    /// Median whole days from submission to decision (the lower median of
    /// an even count: a wait someone actually had).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub median_days_to_decision: Option<i64>,
    /// Median whole days from the award to its first usable day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub median_days_to_usable: Option<i64>,
}

fn whole_days(from: Timestamp, to: Timestamp) -> i64 {
    (to.unix_millis() - from.unix_millis()).max(0) / 86_400_000
}

fn lower_median(mut values: Vec<i64>) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    Some(values[(values.len() - 1) / 2])
}

impl Statistics {
    /// The statistics of `applications`.
    pub fn of<'a>(applications: impl IntoIterator<Item = &'a ApplicationTimes>) -> Statistics {
        let mut out = Statistics::default();
        let (mut to_decision, mut to_usable) = (Vec::new(), Vec::new());
        for a in applications {
            out.submitted += 1;
            if let (Some(s), Some(d)) = (a.submitted_at, a.decided_at) {
                out.decided += 1;
                to_decision.push(whole_days(s, d));
                if let (true, Some(u)) = (a.awarded, a.usable_at) {
                    to_usable.push(whole_days(d, u));
                }
            }
            out.awarded += u64::from(a.awarded);
        }
        out.success_percent = (out.awarded * 100).checked_div(out.submitted).unwrap_or(0);
        out.median_days_to_decision = lower_median(to_decision);
        out.median_days_to_usable = lower_median(to_usable);
        out
    }
}

/// A short name: lower-case ASCII letters, digits and `_`, 1 to 40, starting
/// with a letter.
fn short_name(value: &str) -> Result<String, String> {
    let ok = !value.is_empty()
        && value.len() <= 40
        && value.starts_with(|c: char| c.is_ascii_lowercase())
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(value.to_string())
    } else {
        Err("must be 1 to 40 lower-case letters, digits or _, starting with a letter".into())
    }
}

fn localized(
    text: &LocalizedText,
    max: usize,
    field: &str,
    problems: &mut Problems,
) -> Option<LocalizedText> {
    let mut nested = problems.nested(field);
    let parsed = text.parse(max, &mut nested);
    problems.absorb(nested);
    parsed
}

/// An item of a list known by its id: the id a short name no other item of
/// the list uses, and its (`field`, text, most characters) in the three
/// languages.
fn named(
    problems: &mut Problems,
    seen: &mut HashSet<String>,
    id: &str,
    (field, text, max): (&str, &LocalizedText, usize),
) -> (Option<String>, Option<LocalizedText>) {
    let id = problems.check("id", short_name(id));
    if id.as_ref().is_some_and(|id| !seen.insert(id.clone())) {
        problems.add("id", "is used by another item of the list");
    }
    (id, localized(text, max, field, problems))
}

fn is_blank(text: &LocalizedText) -> bool {
    [&text.kk, &text.ru, &text.en]
        .iter()
        .all(|t| t.as_deref().is_none_or(|t| t.trim().is_empty()))
}

impl CallInput {
    /// Checks every field and names each problem; nothing is kept unless
    /// all is well.
    pub fn parse(self) -> Result<ValidCall, ValidationError> {
        let mut problems = Problems::new();
        let title = localized(&self.title, 300, "title", &mut problems);
        let description = if is_blank(&self.description) {
            None
        } else {
            localized(&self.description, 20_000, "description", &mut problems)
        };
        if self.closes < self.opens {
            problems.add("closes", "must not be before `opens`");
        }
        if !(1..=MAX_BUDGET).contains(&self.budget.amount) {
            problems.add(
                "budget.amount",
                format!("must be a whole number from 1 to {MAX_BUDGET}"),
            );
        }
        if !(1..=MAX_REVIEWERS).contains(&self.reviewers) {
            problems.add("reviewers", format!("must be from 1 to {MAX_REVIEWERS}"));
        }
        let rubric = parse_rubric(self.rubric, self.pass_threshold, &mut problems);
        let questions = parse_questions(self.questions, &mut problems);
        let months = &self.reports_after_months;
        if months.iter().any(|m| !(1..=60).contains(m)) {
            problems.add(
                "reports_after_months",
                "each must be from 1 to 60 months after the award",
            );
        } else if months.windows(2).any(|w| w[0] >= w[1]) {
            problems.add("reports_after_months", "must increase");
        }
        if self.min_usable_days == 0 {
            problems.add("min_usable_days", "must be at least 1");
        }
        if let Some(m) = self.max_months {
            if !(1..=crate::sandbox::MAX_MONTHS).contains(&i64::from(m)) {
                problems.add(
                    "max_months",
                    format!("must be from 1 to {} months", crate::sandbox::MAX_MONTHS),
                );
            }
        }
        let shares = &self.tranches;
        if !shares.is_empty() {
            if shares.iter().any(|s| !(1..=100).contains(s))
                || shares.iter().map(|s| u32::from(*s)).sum::<u32>() != 100
            {
                problems.add(
                    "tranches",
                    "each share must be from 1 to 100 percent, and they must add up to 100",
                );
            } else if self.budget.unit == BudgetUnit::Credits
                && !months.is_empty()
                && shares.len() == months.len() + 1
            {
                problems.add(
                    "tranches",
                    "the last share of a credits award would come with the final report, when the award is complete and nothing more can be exchanged: give at most one share per report before the final one",
                );
            } else if shares.len() > months.len() + 1 {
                problems.add(
                    "tranches",
                    format!(
                        "has {} shares but the call has {} reports: one share on acceptance and at most one after each report",
                        shares.len(),
                        months.len()
                    ),
                );
            }
        }
        problems.finish(|| {
            Some(ValidCall {
                title: title?,
                description,
                opens: self.opens,
                closes: self.closes,
                budget: self.budget,
                evaluation: self.evaluation,
                reviewers: self.reviewers,
                rubric: rubric?,
                questions: questions?,
                reports_after_months: self.reports_after_months,
                tranches: self.tranches,
                min_usable_days: self.min_usable_days,
                eligibility: self.eligibility,
                max_months: self.max_months,
            })
        })
    }
}

fn parse_rubric(
    criteria: Vec<Criterion>,
    threshold: u8,
    problems: &mut Problems,
) -> Option<Rubric> {
    if criteria.is_empty() || criteria.len() > MAX_CRITERIA {
        problems.add("rubric", format!("must have 1 to {MAX_CRITERIA} criteria"));
    }
    if threshold > 100 {
        problems.add("pass_threshold", "must be a percentage from 0 to 100");
    }
    let mut seen = HashSet::new();
    let mut ok = true;
    let mut out = Vec::with_capacity(criteria.len());
    for (i, c) in criteria.into_iter().enumerate() {
        let mut p = problems.nested(&format!("rubric[{i}]"));
        let (id, title) = named(&mut p, &mut seen, &c.id, ("title", &c.title, 300));
        if !(1..=100).contains(&c.weight) {
            p.add("weight", "must be from 1 to 100");
        }
        if !(2..=10).contains(&c.scale) {
            p.add("scale", "must be from 2 to 10");
        }
        ok &= p.is_empty();
        problems.absorb(p);
        if let (Some(id), Some(title)) = (id, title) {
            out.push(Criterion { id, title, ..c });
        }
    }
    (ok && threshold <= 100 && !out.is_empty() && out.len() <= MAX_CRITERIA).then_some(Rubric {
        criteria: out,
        pass_threshold: threshold,
    })
}

fn parse_questions(questions: Vec<Question>, problems: &mut Problems) -> Option<Vec<Question>> {
    if questions.len() > MAX_QUESTIONS {
        problems.add("questions", format!("must be at most {MAX_QUESTIONS}"));
        return None;
    }
    let mut seen = HashSet::new();
    let mut ok = true;
    let mut out = Vec::with_capacity(questions.len());
    for (i, q) in questions.into_iter().enumerate() {
        let mut p = problems.nested(&format!("questions[{i}]"));
        let (id, text) = named(&mut p, &mut seen, &q.id, ("text", &q.text, 2_000));
        ok &= p.is_empty();
        problems.absorb(p);
        if let (Some(id), Some(text)) = (id, text) {
            out.push(Question { id, text, ..q });
        }
    }
    ok.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(en: &str) -> LocalizedText {
        LocalizedText {
            en: Some(en.into()),
            ..Default::default()
        }
    }

    fn criterion(id: &str, weight: u32, scale: u8) -> Criterion {
        Criterion {
            id: id.into(),
            title: text(id),
            weight,
            scale,
        }
    }

    fn compute_call() -> CallInput {
        CallInput {
            title: text("GPU-hours for health AI, 2027"),
            description: LocalizedText::default(),
            opens: Day::parse("2027-01-11").unwrap(),
            closes: Day::parse("2027-02-26").unwrap(),
            budget: Budget {
                unit: BudgetUnit::Credits,
                amount: 3_000_000,
            },
            evaluation: EvaluationMode::CutOff,
            reviewers: 2,
            rubric: vec![
                criterion("excellence", 50, 5),
                criterion("feasibility", 30, 4),
                criterion("impact", 20, 10),
            ],
            pass_threshold: 70,
            questions: vec![Question {
                id: "plan".into(),
                text: text("What will you train, on which data?"),
                answer: AnswerKind::Text,
                required: true,
            }],
            tranches: vec![],
            reports_after_months: vec![1, 3, 9],
            min_usable_days: 30,
            eligibility: String::new(),
            max_months: None,
        }
    }

    fn marks(list: &[(&str, u8)]) -> Vec<(String, u8)> {
        list.iter().map(|(id, m)| (id.to_string(), *m)).collect()
    }

    #[test]
    fn a_credits_share_after_the_final_report_is_refused() {
        let mut input = CallInput {
            title: text("GPU-hours"),
            description: LocalizedText::default(),
            opens: Day::parse("2027-01-11").unwrap(),
            closes: Day::parse("2027-02-26").unwrap(),
            budget: Budget {
                unit: BudgetUnit::Credits,
                amount: 1_000,
            },
            evaluation: EvaluationMode::OnArrival,
            reviewers: 1,
            rubric: vec![criterion("impact", 1, 5)],
            pass_threshold: 50,
            questions: vec![],
            reports_after_months: vec![3, 9],
            tranches: vec![40, 30, 30],
            min_usable_days: 30,
            eligibility: String::new(),
            max_months: None,
        };
        let e = input.clone().parse().unwrap_err();
        assert_eq!(e.0[0].field, "tranches", "{e:?}");
        // Paid in money, the last share may follow the final report.
        input.budget.unit = BudgetUnit::Tiyn;
        assert!(input.clone().parse().is_ok());
        input.budget.unit = BudgetUnit::Credits;
        input.tranches = vec![50, 50];
        assert!(input.parse().is_ok());
    }

    #[test]
    fn statistics_count_wins_and_take_the_lower_median_of_whole_days() {
        let call = CallId::generate();
        let t =
            |day: &str, hour: u8| Timestamp::parse(&format!("{day}T{hour:02}:00:00.000Z")).unwrap();
        let app = |submitted: &str, decided: Option<&str>, usable: Option<&str>, awarded: bool| {
            ApplicationTimes {
                call_id: call,
                sectors: vec![],
                awarded,
                submitted_at: Some(t(submitted, 9)),
                decided_at: decided.map(|d| t(d, 8)),
                usable_at: usable.map(|u| t(u, 10)),
            }
        };
        let apps = [
            // 9 days and 23 hours: nine whole days; usable 2 days after.
            app("2027-01-01", Some("2027-01-11"), Some("2027-01-13"), true),
            // 3 days and 23 hours; refused.
            app("2027-01-01", Some("2027-01-05"), None, false),
            // 20 days; awarded, not usable yet.
            app("2027-01-01", Some("2027-01-21"), None, true),
            // 30 days; awarded, usable 10 days after.
            app("2027-01-01", Some("2027-01-31"), Some("2027-02-10"), true),
            // Not decided.
            app("2027-01-01", None, None, false),
        ];
        let s = Statistics::of(&apps);
        assert_eq!((s.submitted, s.decided, s.awarded), (5, 4, 3));
        assert_eq!(s.success_percent, 60);
        // 3, 9, 19, 29 (the decisions at 08:00 fall an hour short of a day): lower median 9.
        assert_eq!(s.median_days_to_decision, Some(9));
        // 2 and 10: lower median 2.
        assert_eq!(s.median_days_to_usable, Some(2));
        assert_eq!(Statistics::of(&[]), Statistics::default());
    }

    #[test]
    fn a_well_formed_call_parses() {
        let call = compute_call().parse().unwrap();
        assert_eq!(call.rubric.criteria().len(), 3);
        assert_eq!(call.description, None);
        assert_eq!(call.reports_after_months, vec![1, 3, 9]);
    }

    #[test]
    fn every_problem_of_a_call_is_named_with_its_field() {
        let mut call = compute_call();
        call.title = LocalizedText::default();
        call.closes = Day::parse("2027-01-01").unwrap();
        call.budget.amount = 0;
        call.reviewers = 0;
        call.pass_threshold = 101;
        call.rubric.push(criterion("excellence", 0, 11));
        call.questions.push(Question {
            id: "Plan B".into(),
            text: text(""),
            answer: AnswerKind::File,
            required: false,
        });
        call.reports_after_months = vec![3, 3];
        call.min_usable_days = 0;
        let fields: Vec<String> = call
            .parse()
            .unwrap_err()
            .0
            .into_iter()
            .map(|f| f.field)
            .collect();
        for expected in [
            "title",
            "closes",
            "budget.amount",
            "reviewers",
            "pass_threshold",
            "rubric[3].id",
            "rubric[3].weight",
            "rubric[3].scale",
            "questions[1].id",
            "questions[1].text",
            "reports_after_months",
            "min_usable_days",
        ] {
            assert!(
                fields.iter().any(|f| f == expected),
                "{expected} in {fields:?}"
            );
        }
    }

    #[test]
    fn a_score_weighs_each_mark_against_its_own_scale() {
        let rubric = compute_call().parse().unwrap().rubric;
        // Full marks: 100 %.
        let full = rubric
            .score(&marks(&[
                ("excellence", 5),
                ("feasibility", 4),
                ("impact", 10),
            ]))
            .unwrap();
        assert_eq!(full.per_mille(), 1000);
        // 50 × 4/5 + 30 × 2/4 + 20 × 5/10 = 40 + 15 + 10 = 65 %.
        let some = rubric
            .score(&marks(&[
                ("excellence", 4),
                ("feasibility", 2),
                ("impact", 5),
            ]))
            .unwrap();
        assert_eq!(some.per_mille(), 650);
        assert!(!rubric.passes(&[some]));
        // 50 + 15 + 10 = 75 %: with 65 %, a mean of exactly the 70 %
        // threshold, which passes; 73 % with 65 % does not.
        let better = rubric
            .score(&marks(&[
                ("excellence", 5),
                ("feasibility", 2),
                ("impact", 5),
            ]))
            .unwrap();
        assert_eq!(better.per_mille(), 750);
        assert!(rubric.passes(&[some, better]));
        let nearly = rubric
            .score(&marks(&[
                ("excellence", 5),
                ("feasibility", 2),
                ("impact", 4),
            ]))
            .unwrap();
        assert_eq!(nearly.per_mille(), 730);
        assert!(!rubric.passes(&[some, nearly]));
        assert!(!rubric.passes(&[]));
    }

    #[test]
    fn a_review_with_missing_unknown_or_out_of_scale_marks_is_refused() {
        let rubric = compute_call().parse().unwrap().rubric;
        let err = rubric
            .score(&marks(&[
                ("excellence", 6),
                ("impact", 5),
                ("novelty", 3),
                ("impact", 9),
            ]))
            .unwrap_err();
        let problems: Vec<String> = err
            .0
            .iter()
            .map(|f| format!("{} {}", f.field, f.reason))
            .collect();
        assert_eq!(
            problems,
            [
                "marks.excellence must be from 0 to 5",
                "marks.feasibility is missing",
                "marks.novelty is not a criterion of this call",
                "marks.impact is given twice",
            ]
        );
    }
}
