//! Checking, compiling and applying a pack.

use std::collections::{BTreeMap, HashSet};
use std::str::FromStr;

use toml::Spanned;

use senim_domain::oversight::Severity;
use senim_domain::profile::Autonomy;
use senim_domain::system::DocumentationItem;
use senim_domain::{Documentation, Profile, RiskLevel};

use crate::facts::{BoolField, Cond, EnumField, Facts, Field, ListField};
use crate::raw::{Form, RawCondition, RawPack, RawSource, Text};
use crate::PackError;
pub use senim_domain::classification::{
    ChangedOutcome, CheckProblem, Citation, Classification, Gap, Lang, LegalStatus, ObligationView,
    Outcome, PackCitation, PackRef, PackSummary, RationaleEntry, Sanction, Texts,
};

#[derive(Debug, Clone)]
struct Level {
    registration: bool,
    expert_review: bool,
    reviewers: u32,
    documentation: Vec<DocumentationItem>,
    obligations: Vec<usize>,
}

#[derive(Debug, Clone)]
struct Obligation {
    id: String,
    citation: usize,
    documentation: Vec<DocumentationItem>,
    title: Texts,
}

#[derive(Debug, Clone)]
struct Rule {
    id: String,
    citation: usize,
    risk: RiskLevel,
    prohibited: Vec<String>,
    obligations: Vec<usize>,
    registration: bool,
    expert_review: bool,
    reviewers: u32,
    autonomy: Option<Autonomy>,
    note: Option<String>,
    when: Cond,
    rationale: Texts,
}

#[derive(Debug, Clone)]
struct Threshold {
    metric: String,
    min: Option<f64>,
    max: Option<f64>,
    severity: Severity,
    obligation: usize,
    citation: usize,
    title: Texts,
}

/// The metrics a threshold may name: the single figures of the algorithmic
/// audit engine (`senim-fairness`), by Fairlearn's and AIF360's names.
pub const THRESHOLD_METRICS: &[&str] = &[
    "demographic_parity_difference",
    "demographic_parity_ratio",
    "equalized_odds_difference",
    "equalized_odds_ratio",
    "equal_opportunity_difference",
    "equal_opportunity_ratio",
    "statistical_parity_difference",
    "disparate_impact",
    "average_odds_difference",
];

/// A pack's limit on an audit metric, in one language.
#[derive(Debug, Clone, PartialEq)]
pub struct ThresholdView {
    pub metric: String,
    /// The value breaches the threshold below `min` or above `max`.
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub severity: Severity,
    pub obligation: ObligationView,
    pub citation: Citation,
    pub title: String,
}

impl ThresholdView {
    /// Whether `value` breaches the threshold (an undefined value does not).
    pub fn breached_by(&self, value: f64) -> bool {
        !value.is_nan()
            && (self.min.is_some_and(|m| value < m) || self.max.is_some_and(|m| value > m))
    }
}

/// A checked, compiled pack.
#[derive(Debug, Clone)]
pub struct RulePack {
    pub id: String,
    pub version: String,
    pub jurisdiction: String,
    pub effective: String,
    /// Draft, enacted or foreign law.
    pub status: LegalStatus,
    pub title: Texts,
    citations: Vec<PackCitation>,
    default_citation: usize,
    default_text: Texts,
    /// Indexed by [`risk_index`].
    levels: Vec<Level>,
    obligations: Vec<Obligation>,
    rules: Vec<Rule>,
    pub deadlines: BTreeMap<String, u32>,
    sanctions_citation: usize,
    sanctions: Vec<Sanction>,
    thresholds: Vec<Threshold>,
    /// The file as written, kept so a pack can be served and re-published.
    pub source: String,
}

const RISK_ORDER: [RiskLevel; 4] = [
    RiskLevel::Minimal,
    RiskLevel::Medium,
    RiskLevel::High,
    RiskLevel::Prohibited,
];

/// Severity order: minimal 0 < medium 1 < high 2 < prohibited 3.
pub fn risk_index(level: RiskLevel) -> usize {
    match level {
        RiskLevel::Minimal => 0,
        RiskLevel::Medium => 1,
        RiskLevel::High => 2,
        RiskLevel::Prohibited => 3,
    }
}

fn autonomy_index(a: Autonomy) -> usize {
    Autonomy::ALL.iter().position(|x| *x == a).unwrap_or(0)
}

/// The 1-based line of a byte offset (counted in bytes, so an offset inside
/// a multi-byte character cannot panic).
pub(crate) fn line_of(source: &str, offset: usize) -> usize {
    let end = offset.min(source.len());
    source.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

struct Checker<'a> {
    source: &'a str,
    problems: Vec<CheckProblem>,
    /// Whether what became required after a pack was stored (translated
    /// sources, the legal status) is required: true for a pack offered
    /// now, false for one read back from the store.
    strict: bool,
}

impl<'a> Checker<'a> {
    fn line(&self, offset: usize) -> usize {
        line_of(self.source, offset)
    }

    fn at<T>(&mut self, spanned: &Spanned<T>, message: impl Into<String>) {
        let line = self.line(spanned.span().start);
        self.problems.push(CheckProblem {
            line,
            message: message.into(),
        });
    }

    fn texts(&mut self, text: &Spanned<Text>, what: &str) -> Texts {
        let t = text.get_ref();
        let mut take = |lang: &str, v: &Option<String>| match v.as_deref().map(str::trim) {
            Some(s) if !s.is_empty() => s.to_string(),
            _ => {
                self.at(text, format!("{what}: missing {lang} translation"));
                String::new()
            }
        };
        Texts {
            kk: take("kk", &t.kk),
            ru: take("ru", &t.ru),
            en: take("en", &t.en),
        }
    }

    fn citation(
        &mut self,
        at_line: &Spanned<impl Sized>,
        citation: &Option<Spanned<String>>,
        ids: &[PackCitation],
        what: &str,
    ) -> usize {
        match citation {
            None => {
                self.at(at_line, format!("{what}: missing citation"));
                0
            }
            Some(c) => match ids.iter().position(|x| &x.id == c.get_ref()) {
                Some(i) => i,
                None => {
                    self.at(c, format!("{what}: unknown citation `{}`", c.get_ref()));
                    0
                }
            },
        }
    }

    fn documentation(&mut self, items: &[Spanned<String>], what: &str) -> Vec<DocumentationItem> {
        let mut out = Vec::new();
        for item in items {
            match item.get_ref().parse::<DocumentationItem>() {
                Ok(d) => out.push(d),
                Err(e) => self.at(item, format!("{what}: documentation item {e}")),
            }
        }
        out.sort();
        out.dedup();
        out
    }

    fn obligation_refs(
        &mut self,
        refs: &[Spanned<String>],
        obligations: &[Obligation],
        what: &str,
    ) -> Vec<usize> {
        let mut out = Vec::new();
        for r in refs {
            match obligations.iter().position(|o| &o.id == r.get_ref()) {
                Some(i) => out.push(i),
                None => self.at(r, format!("{what}: unknown obligation `{}`", r.get_ref())),
            }
        }
        out.sort();
        out.dedup();
        out
    }

    fn condition(&mut self, c: &Spanned<RawCondition>, rule: &str) -> Cond {
        let raw = c.get_ref();
        let name = match raw.form() {
            None => {
                self.at(c, format!("rule {rule}: {}", RawCondition::FORM_PROBLEM));
                return Cond::All(Vec::new());
            }
            Some(Form::All(list)) => {
                return Cond::All(list.iter().map(|x| self.condition(x, rule)).collect());
            }
            Some(Form::Any(list)) => {
                return Cond::Any(list.iter().map(|x| self.condition(x, rule)).collect());
            }
            Some(Form::Not(inner)) => return Cond::Not(Box::new(self.condition(inner, rule))),
            Some(Form::Field(name)) => name,
        };
        let Some(field) = Field::parse(name) else {
            self.at(
                c,
                format!(
                    "rule {rule}: unknown profile field `{name}`; allowed fields: {}",
                    senim_domain::profile::PROFILE_FIELDS.join(", ")
                ),
            );
            return Cond::All(Vec::new());
        };
        let ops = [
            raw.has.is_some(),
            raw.has_any.is_some(),
            raw.is.is_some(),
            raw.in_.is_some(),
            raw.present.is_some(),
        ]
        .iter()
        .filter(|x| **x)
        .count();
        if ops != 1 {
            self.at(c, format!("rule {rule}: field `{name}` needs exactly one of has, has_any, is, in, present"));
            return Cond::All(Vec::new());
        }
        match field {
            Field::List(list) => {
                let values: Vec<toml::Value> = match (&raw.has, &raw.has_any) {
                    (Some(v), _) => vec![v.clone()],
                    (_, Some(vs)) => vs.clone(),
                    _ => {
                        self.at(
                            c,
                            format!("rule {rule}: `{name}` is a list: use has or has_any"),
                        );
                        return Cond::All(Vec::new());
                    }
                };
                let mask = self.list_mask(c, rule, name, list, &values);
                Cond::ListHasAny(list, mask)
            }
            Field::Enum(e) => {
                if let Some(present) = raw.present {
                    if e != EnumField::LegalException {
                        self.at(
                            c,
                            format!("rule {rule}: `present` applies to legal_exception only"),
                        );
                        return Cond::All(Vec::new());
                    }
                    return if present {
                        Cond::EnumIn(e, !1 & ((1 << e.width()) - 1))
                    } else {
                        Cond::EnumIn(e, 1)
                    };
                }
                let values: Vec<toml::Value> = match (&raw.is, &raw.in_) {
                    (Some(v), _) => vec![v.clone()],
                    (_, Some(vs)) => vs.clone(),
                    _ => {
                        self.at(
                            c,
                            format!("rule {rule}: `{name}` has one value: use is or in"),
                        );
                        return Cond::All(Vec::new());
                    }
                };
                let mut mask = 0;
                for v in &values {
                    let text = v.as_str().unwrap_or_default();
                    match e.values().iter().position(|x| *x == text) {
                        Some(i) => mask |= e.bit(i),
                        None => self.at(
                            c,
                            format!(
                                "rule {rule}: unknown value `{}` for `{name}`; allowed values: {}",
                                v,
                                e.values().join(", ")
                            ),
                        ),
                    }
                }
                Cond::EnumIn(e, mask)
            }
            Field::Bool(b) => {
                match (&raw.is, raw.present) {
                    (Some(toml::Value::Boolean(v)), None) => Cond::BoolIs(b, *v),
                    _ => {
                        self.at(c, format!("rule {rule}: `{name}` is true or false: use is = true or is = false"));
                        Cond::BoolIs(b, true)
                    }
                }
            }
        }
    }

    fn list_mask(
        &mut self,
        c: &Spanned<RawCondition>,
        rule: &str,
        name: &str,
        list: ListField,
        values: &[toml::Value],
    ) -> u32 {
        let mut mask = 0;
        for v in values {
            let text = v.as_str().unwrap_or_default();
            match list.values().iter().position(|x| *x == text) {
                Some(i) => mask |= 1 << i,
                None => self.at(
                    c,
                    format!(
                        "rule {rule}: unknown value `{v}` for `{name}`; allowed values: {}",
                        list.values().join(", ")
                    ),
                ),
            }
        }
        mask
    }
}

/// Whether some profile satisfies `cond`: tries every combination of the
/// values the condition mentions. `None` when there are too many to try.
fn satisfiable(cond: &Cond) -> Option<bool> {
    let mut lists = [0u32; 5];
    let mut enums = [false; 3];
    let mut bools = 0u32;
    cond.mentions(&mut lists, &mut enums, &mut bools);
    // Each mentioned list value and boolean is one free bit; each mentioned
    // enum field takes one of its values.
    let list_bits: Vec<(usize, u32)> = (0..5)
        .flat_map(|f| {
            (0..32)
                .filter(move |b| lists[f] & (1 << b) != 0)
                .map(move |b| (f, 1u32 << b))
        })
        .collect();
    let bool_bits: Vec<u32> = (0..7)
        .filter(|b| bools & (1 << b) != 0)
        .map(|b| 1u32 << b)
        .collect();
    let enum_fields: Vec<EnumField> = [
        EnumField::Autonomy,
        EnumField::FailureImpact,
        EnumField::LegalException,
    ]
    .into_iter()
    .filter(|e| enums[*e as usize])
    .collect();
    let free = list_bits.len() + bool_bits.len();
    let enum_combos: usize = enum_fields.iter().map(|e| e.width()).product();
    if free > 20 || (1usize << free).saturating_mul(enum_combos) > 1 << 22 {
        return None;
    }
    for assignment in 0u64..(1u64 << free) {
        let mut base = Facts {
            enums: [1, 1, 1],
            ..Facts::default()
        };
        for (i, (field, bit)) in list_bits.iter().enumerate() {
            if assignment & (1 << i) != 0 {
                base.lists[*field] |= bit;
            }
        }
        for (i, bit) in bool_bits.iter().enumerate() {
            if assignment & (1 << (list_bits.len() + i)) != 0 {
                base.bools |= bit;
            }
        }
        for mut combo in 0..enum_combos {
            let mut facts = base;
            for e in &enum_fields {
                facts.enums[*e as usize] = 1 << (combo % e.width());
                combo /= e.width();
            }
            if cond.holds(&facts) {
                return Some(true);
            }
        }
    }
    Some(false)
}

fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

impl RulePack {
    /// Parses and checks a pack; every problem is reported with its line.
    pub fn parse(source: &str, file: &str) -> Result<RulePack, PackError> {
        RulePack::parse_as(source, file, true)
    }

    /// Parses a pack the store kept from an earlier publication: as `parse`,
    /// except that a source in one language is quoted as written in every
    /// language and a pack without a legal status reads as a draft, since
    /// those were not required when it was published.
    pub fn parse_stored(source: &str, file: &str) -> Result<RulePack, PackError> {
        RulePack::parse_as(source, file, false)
    }

    fn parse_as(source: &str, file: &str, strict: bool) -> Result<RulePack, PackError> {
        let fail = |problems| PackError {
            file: file.to_string(),
            problems,
        };
        let raw: RawPack = toml::from_str(source).map_err(|e| {
            let line = e.span().map(|s| line_of(source, s.start)).unwrap_or(1);
            fail(vec![CheckProblem {
                line,
                message: e.message().to_string(),
            }])
        })?;
        let mut ck = Checker {
            source,
            problems: Vec::new(),
            strict,
        };
        if !valid_id(raw.id.get_ref()) {
            ck.at(&raw.id, "id: use lower-case letters, digits and hyphens");
        }
        let version_ok = {
            let parts: Vec<&str> = raw.version.get_ref().split('.').collect();
            parts.len() == 3
                && parts
                    .iter()
                    .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
        };
        if !version_ok {
            ck.at(
                &raw.version,
                "version: use a semantic version such as 1.0.0",
            );
        }
        if senim_domain::Timestamp::parse(&format!("{}T00:00:00Z", raw.effective.get_ref()))
            .is_err()
        {
            ck.at(&raw.effective, "effective: use a date such as 2026-01-18");
        }
        let status = match &raw.status {
            Some(s) => s.get_ref().parse().unwrap_or_else(|e: String| {
                ck.at(s, format!("status: {e}"));
                LegalStatus::Draft
            }),
            None => {
                if ck.strict {
                    ck.at(
                        &raw.id,
                        "status: missing; say what the text is in law: draft, enacted or foreign",
                    );
                }
                LegalStatus::Draft
            }
        };
        let title = ck.texts(&raw.title, "title");
        let mut citations = Vec::new();
        let mut seen = HashSet::new();
        for c in &raw.citations {
            let r = c.get_ref();
            if !seen.insert(r.id.clone()) {
                ck.at(c, format!("citation `{}` is declared twice", r.id));
            }
            let what = format!("citation `{}`: source", r.id);
            let source = match &r.source {
                RawSource::Texts(t) => ck.texts(&Spanned::new(c.span(), t.clone()), &what),
                RawSource::Plain(one) => {
                    if one.trim().is_empty() {
                        ck.at(c, format!("{what}: empty"));
                    } else if ck.strict {
                        ck.at(
                            c,
                            format!(
                                "{what}: give it in kk, ru and en, as a table `[citations.source]`"
                            ),
                        );
                    }
                    let one = one.trim().to_string();
                    Texts {
                        kk: one.clone(),
                        ru: one.clone(),
                        en: one,
                    }
                }
            };
            citations.push(PackCitation {
                id: r.id.clone(),
                source,
                url: r.url.clone(),
            });
        }
        let d = raw.default.get_ref();
        let default_citation = ck.citation(&raw.default, &d.citation, &citations, "default");
        let default_text = ck.texts(&d.text, "default text");

        let mut obligations = Vec::new();
        let mut seen = HashSet::new();
        for o in &raw.obligations {
            let r = o.get_ref();
            if !valid_id(&r.id) {
                ck.at(
                    o,
                    format!(
                        "obligation `{}`: use lower-case letters, digits and hyphens",
                        r.id
                    ),
                );
            }
            if !seen.insert(r.id.clone()) {
                ck.at(o, format!("obligation `{}` is declared twice", r.id));
            }
            let what = format!("obligation {}", r.id);
            obligations.push(Obligation {
                id: r.id.clone(),
                citation: ck.citation(o, &r.citation, &citations, &what),
                documentation: ck.documentation(&r.documentation, &what),
                title: ck.texts(&r.title, &format!("{what} title")),
            });
        }

        let mut levels = Vec::new();
        for level in RISK_ORDER {
            match raw.levels.get(level.as_str()) {
                None => {
                    ck.at(
                        &raw.id,
                        format!("levels: the `{}` level is missing", level.as_str()),
                    );
                    levels.push(Level {
                        registration: false,
                        expert_review: false,
                        reviewers: 0,
                        documentation: Vec::new(),
                        obligations: Vec::new(),
                    });
                }
                Some(l) => {
                    let r = l.get_ref();
                    let what = format!("level {}", level.as_str());
                    if r.expert_review && r.reviewers == 0 {
                        ck.at(
                            l,
                            format!("{what}: expert review needs at least one reviewer"),
                        );
                    }
                    levels.push(Level {
                        registration: r.registration,
                        expert_review: r.expert_review,
                        reviewers: r.reviewers,
                        documentation: ck.documentation(&r.documentation, &what),
                        obligations: ck.obligation_refs(&r.obligations, &obligations, &what),
                    });
                }
            }
        }
        for (key, level) in &raw.levels {
            if RiskLevel::from_str(key).is_err() {
                ck.at(
                    level,
                    format!(
                        "levels: unknown level `{key}`; allowed: prohibited, high, medium, minimal"
                    ),
                );
            }
        }

        let mut rules = Vec::new();
        let mut seen = HashSet::new();
        for spanned in &raw.rules {
            let r = spanned.get_ref();
            if !valid_id(&r.id) {
                ck.at(
                    spanned,
                    format!(
                        "rule `{}`: use lower-case letters, digits and hyphens",
                        r.id
                    ),
                );
            }
            if !seen.insert(r.id.clone()) {
                ck.at(spanned, format!("rule `{}` is declared twice", r.id));
            }
            let what = format!("rule {}", r.id);
            let risk = match RiskLevel::from_str(r.risk.get_ref()) {
                Ok(level) => level,
                Err(e) => {
                    ck.at(&r.risk, format!("{what}: risk {e}"));
                    RiskLevel::Minimal
                }
            };
            if !r.prohibited.is_empty() && risk != RiskLevel::Prohibited {
                ck.at(
                    spanned,
                    format!(
                        "{what}: lists prohibited practices but its risk is `{}`",
                        risk.as_str()
                    ),
                );
            }
            if risk == RiskLevel::Prohibited && r.prohibited.is_empty() {
                ck.at(
                    spanned,
                    format!("{what}: a prohibited rule must name the prohibited practice"),
                );
            }
            let autonomy =
                r.autonomy
                    .as_ref()
                    .and_then(|a| match Autonomy::from_str(a.get_ref()) {
                        Ok(v) => Some(v),
                        Err(e) => {
                            ck.at(a, format!("{what}: autonomy {e}"));
                            None
                        }
                    });
            let when = ck.condition(&r.when, &r.id);
            if satisfiable(&when) == Some(false) {
                ck.at(
                    &r.when,
                    format!("{what} can never fire: no profile satisfies its condition"),
                );
            }
            rules.push(Rule {
                id: r.id.clone(),
                citation: ck.citation(spanned, &r.citation, &citations, &what),
                risk,
                prohibited: r.prohibited.clone(),
                obligations: ck.obligation_refs(&r.obligations, &obligations, &what),
                registration: r.registration.unwrap_or(false),
                expert_review: r.expert_review.unwrap_or(false),
                reviewers: r.reviewers.unwrap_or(0),
                autonomy,
                note: r.note.clone().filter(|n| !n.trim().is_empty()),
                when,
                rationale: ck.texts(&r.rationale, &format!("{what} rationale")),
            });
        }
        if rules.is_empty() {
            ck.at(&raw.id, "the pack has no rules");
        }

        let mut deadlines = BTreeMap::new();
        for (name, days) in &raw.deadlines {
            match u32::try_from(*days.get_ref()) {
                Ok(d) if d > 0 && d <= 365 => {
                    deadlines.insert(name.clone(), d);
                }
                _ => ck.at(
                    days,
                    format!("deadline `{name}`: use 1 to 365 working days"),
                ),
            }
        }
        let s = raw.sanctions.get_ref();
        let sanctions_citation = ck.citation(&raw.sanctions, &s.citation, &citations, "sanctions");
        let mut sanctions = Vec::new();
        for fine in &s.fines {
            let f = fine.get_ref();
            match senim_domain::SizeClass::from_str(&f.size_class) {
                Ok(size_class) => sanctions.push(Sanction {
                    size_class,
                    first: f.first,
                    repeat: f.repeat,
                }),
                Err(e) => ck.at(fine, format!("sanctions: size_class {e}")),
            }
        }
        for size in senim_domain::SizeClass::ALL {
            if !sanctions.iter().any(|x| x.size_class == *size) {
                ck.at(
                    &raw.sanctions,
                    format!("sanctions: no fine for size class `{}`", size.as_str()),
                );
            }
        }
        let mut thresholds = Vec::new();
        for t in &raw.thresholds {
            let r = t.get_ref();
            let metric = r.metric.get_ref().clone();
            let what = format!("threshold {metric}");
            if !THRESHOLD_METRICS.contains(&metric.as_str()) {
                ck.at(
                    &r.metric,
                    format!(
                        "{what}: unknown metric; allowed metrics: {}",
                        THRESHOLD_METRICS.join(", ")
                    ),
                );
            }
            if r.min.is_none() == r.max.is_none() {
                ck.at(t, format!("{what}: give exactly one of min and max"));
            }
            if r.min.or(r.max).is_some_and(|v| !v.is_finite()) {
                ck.at(t, format!("{what}: the limit must be a finite number"));
            }
            let severity = match r.severity.get_ref().parse::<Severity>() {
                Ok(s) => s,
                Err(e) => {
                    ck.at(&r.severity, format!("{what}: severity {e}"));
                    Severity::Medium
                }
            };
            let obligation = match obligations
                .iter()
                .position(|o| &o.id == r.obligation.get_ref())
            {
                Some(i) => i,
                None => {
                    ck.at(
                        &r.obligation,
                        format!("{what}: unknown obligation `{}`", r.obligation.get_ref()),
                    );
                    0
                }
            };
            thresholds.push(Threshold {
                citation: ck.citation(t, &r.citation, &citations, &what),
                title: ck.texts(&r.title, &format!("{what} title")),
                metric,
                min: r.min,
                max: r.max,
                severity,
                obligation,
            });
        }
        if !ck.problems.is_empty() {
            ck.problems.sort_by_key(|p| p.line);
            return Err(fail(ck.problems));
        }
        Ok(RulePack {
            id: raw.id.into_inner(),
            version: raw.version.into_inner(),
            jurisdiction: raw.jurisdiction.into_inner(),
            effective: raw.effective.into_inner(),
            status,
            title,
            citations,
            default_citation,
            default_text,
            levels,
            obligations,
            rules,
            deadlines,
            sanctions_citation,
            sanctions,
            thresholds,
            source: source.to_string(),
        })
    }

    /// The pack's limits on the algorithmic audit's metrics, in `lang`.
    pub fn thresholds(&self, lang: Lang) -> Vec<ThresholdView> {
        self.thresholds
            .iter()
            .filter_map(|t| {
                let o = &self.obligations.get(t.obligation)?;
                Some(ThresholdView {
                    metric: t.metric.clone(),
                    min: t.min,
                    max: t.max,
                    severity: t.severity,
                    obligation: self.obligation(&o.id, lang)?,
                    citation: self.citations.get(t.citation)?.quote(lang),
                    title: t.title.get(lang).to_string(),
                })
            })
            .collect()
    }

    pub fn pack_ref(&self) -> PackRef {
        PackRef {
            id: self.id.clone(),
            version: self.version.clone(),
        }
    }

    pub fn summary(&self) -> PackSummary {
        PackSummary {
            id: self.id.clone(),
            version: self.version.clone(),
            jurisdiction: self.jurisdiction.clone(),
            effective: self.effective.clone(),
            title: self.title.clone(),
            status: self.status,
            rules: self.rules.len(),
        }
    }

    /// Every source the pack cites, in the three languages.
    pub fn citations(&self) -> &[PackCitation] {
        &self.citations
    }

    /// The citation `id` as quoted in `lang`, if the pack declares it: how
    /// a record that quoted it (in English, when it was made) is shown in
    /// the reader's language.
    pub fn citation(&self, id: &str, lang: Lang) -> Option<Citation> {
        self.citations
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.quote(lang))
    }

    /// The fines table and its source, quoted in `lang`.
    pub fn sanctions(&self, lang: Lang) -> (Citation, &[Sanction]) {
        (
            self.citations[self.sanctions_citation].quote(lang),
            &self.sanctions,
        )
    }

    /// The drafting notes: how each rule read an ambiguity in the law, for
    /// the lawyers who maintain the pack (rule id, note). Never part of a
    /// classification, so never on a public page.
    pub fn drafting_notes(&self) -> Vec<(String, String)> {
        self.rules
            .iter()
            .filter_map(|r| Some((r.id.clone(), r.note.clone()?)))
            .collect()
    }

    /// Applies the pack to a profile (precedence in `docs/RULEPACKS.md`).
    pub fn classify(&self, profile: &Profile) -> Outcome {
        let facts = Facts::of(profile);
        let mut fired = Vec::with_capacity(8);
        let mut risk = 0;
        for (i, rule) in self.rules.iter().enumerate() {
            if rule.when.holds(&facts) {
                fired.push(i);
                risk = risk.max(risk_index(rule.risk));
            }
        }
        let level = &self.levels[risk];
        let mut registration = level.registration;
        let mut review = level.expert_review;
        let mut reviewers = level.reviewers;
        let mut autonomy = profile.autonomy;
        let mut rule_autonomy: Option<Autonomy> = None;
        let mut obligation_mask = vec![false; self.obligations.len()];
        for o in &level.obligations {
            obligation_mask[*o] = true;
        }
        let mut prohibited: Vec<String> = Vec::new();
        for &i in &fired {
            let rule = &self.rules[i];
            registration |= rule.registration;
            review |= rule.expert_review;
            reviewers = reviewers.max(rule.reviewers);
            if let Some(a) = rule.autonomy {
                rule_autonomy = Some(match rule_autonomy {
                    Some(b) if autonomy_index(b) >= autonomy_index(a) => b,
                    _ => a,
                });
            }
            for o in &rule.obligations {
                obligation_mask[*o] = true;
            }
            for p in &rule.prohibited {
                if !prohibited.contains(p) {
                    prohibited.push(p.clone());
                }
            }
        }
        // A rule can only raise the autonomy level the profile declares.
        if let Some(a) = rule_autonomy {
            if autonomy_index(a) > autonomy_index(autonomy) {
                autonomy = a;
            }
        }
        // A prohibited system is never registered; everything else keeps the
        // level's and the rules' requirements.
        if risk == 3 {
            registration = false;
        }
        let mut documentation = level.documentation.clone();
        let mut obligations = Vec::new();
        for (i, on) in obligation_mask.iter().enumerate() {
            if *on {
                let o = &self.obligations[i];
                obligations.push(o.id.clone());
                documentation.extend(o.documentation.iter().copied());
            }
        }
        documentation.sort();
        documentation.dedup();
        Outcome {
            pack: self.pack_ref(),
            risk_level: RISK_ORDER[risk],
            autonomy,
            prohibited_practices: prohibited,
            registration_required: registration,
            expert_review_required: review,
            reviewers: if review { reviewers.max(1) } else { 0 },
            obligations,
            documentation_required: documentation,
            rules: fired.iter().map(|i| self.rules[*i].id.clone()).collect(),
        }
    }

    /// Every obligation of the pack, in its order and in `lang`: what a
    /// violation can be a breach of, and what an audit checks.
    pub fn obligation(&self, id: &str, lang: Lang) -> Option<ObligationView> {
        self.obligations
            .iter()
            .find(|o| o.id == id)
            .map(|o| ObligationView {
                id: o.id.clone(),
                title: o.title.get(lang).to_string(),
                citation: self.citations[o.citation].quote(lang),
                documentation: o.documentation.clone(),
            })
    }

    /// The citations of the rules that make a system prohibited, each once.
    pub fn prohibited_citations(&self, lang: Lang) -> Vec<Citation> {
        let mut out: Vec<Citation> = Vec::new();
        for rule in self
            .rules
            .iter()
            .filter(|r| r.risk == RiskLevel::Prohibited)
        {
            let c = &self.citations[rule.citation];
            if !out.iter().any(|x| x.id == c.id) {
                out.push(c.quote(lang));
            }
        }
        out
    }

    /// The ids of every obligation, in the pack's order.
    pub fn obligation_ids(&self) -> Vec<String> {
        self.obligations.iter().map(|o| o.id.clone()).collect()
    }

    /// The outcome in words, in `lang`.
    pub fn explain(&self, outcome: &Outcome, lang: Lang) -> Classification {
        let obligations = outcome
            .obligations
            .iter()
            .filter_map(|id| self.obligations.iter().find(|o| &o.id == id))
            .map(|o| ObligationView {
                id: o.id.clone(),
                title: o.title.get(lang).to_string(),
                citation: self.citations[o.citation].quote(lang),
                documentation: o.documentation.clone(),
            })
            .collect();
        let mut rationale: Vec<RationaleEntry> = outcome
            .rules
            .iter()
            .filter_map(|id| self.rules.iter().find(|r| &r.id == id))
            .map(|r| RationaleEntry {
                rule: r.id.clone(),
                risk_level: r.risk,
                citation: self.citations[r.citation].quote(lang),
                text: r.rationale.get(lang).to_string(),
            })
            .collect();
        if rationale.is_empty() {
            rationale.push(RationaleEntry {
                rule: "default".into(),
                risk_level: RiskLevel::Minimal,
                citation: self.citations[self.default_citation].quote(lang),
                text: self.default_text.get(lang).to_string(),
            });
        }
        Classification {
            pack: outcome.pack.clone(),
            lang,
            risk_level: outcome.risk_level,
            autonomy: outcome.autonomy,
            prohibited_practices: outcome.prohibited_practices.clone(),
            registration_required: outcome.registration_required,
            expert_review_required: outcome.expert_review_required,
            reviewers: outcome.reviewers,
            obligations,
            documentation_required: outcome.documentation_required.clone(),
            rationale,
        }
    }

    /// The documentation items `outcome` requires that `documentation` lacks.
    pub fn gaps(&self, outcome: &Outcome, documentation: &Documentation) -> Vec<Gap> {
        self.gaps_given(outcome, &documentation.filled_items())
    }

    /// [`RulePack::gaps`] from the list of items a version fills, cited in
    /// English (a reader's page cites them again in its language with
    /// [`RulePack::cite_gaps`]).
    pub fn gaps_given(&self, outcome: &Outcome, filled: &[DocumentationItem]) -> Vec<Gap> {
        let mut gaps = self.gaps_uncited(outcome, filled);
        self.cite_gaps(outcome, &mut gaps, Lang::En);
        gaps
    }

    /// [`RulePack::gaps_given`] without citations (as stored; see [`RulePack::cite_gaps`]).
    pub fn gaps_uncited(&self, outcome: &Outcome, filled: &[DocumentationItem]) -> Vec<Gap> {
        let present: HashSet<DocumentationItem> = filled.iter().copied().collect();
        let level = &self.levels[risk_index(outcome.risk_level)];
        let gaps: Vec<Gap> = outcome
            .documentation_required
            .iter()
            .filter(|item| !present.contains(item))
            .map(|item| {
                let mut required_by = Vec::new();
                if level.documentation.contains(item) {
                    required_by.push(format!("level:{}", outcome.risk_level.as_str()));
                }
                for id in &outcome.obligations {
                    if let Some(o) = self.obligations.iter().find(|o| &o.id == id) {
                        if o.documentation.contains(item) {
                            required_by.push(o.id.clone());
                        }
                    }
                }
                Gap {
                    item: *item,
                    required_by,
                    citations: Vec::new(),
                }
            })
            .collect();
        gaps
    }

    /// Fills each gap's citations from what requires it: an obligation's
    /// citation, or for the level's own requirements the citation of the
    /// rule that decided the level.
    pub fn cite_gaps(&self, outcome: &Outcome, gaps: &mut [Gap], lang: Lang) {
        let decisive = outcome
            .rules
            .iter()
            .filter_map(|id| self.rules.iter().find(|r| &r.id == id))
            .find(|r| r.risk == outcome.risk_level)
            .map(|r| r.citation)
            .unwrap_or(self.default_citation);
        for gap in gaps {
            let mut citations: Vec<Citation> = Vec::new();
            for by in &gap.required_by {
                let index = if by.starts_with("level:") {
                    Some(decisive)
                } else {
                    self.obligations
                        .iter()
                        .find(|o| &o.id == by)
                        .map(|o| o.citation)
                };
                if let Some(c) = index.map(|i| self.citations[i].quote(lang)) {
                    if !citations.contains(&c) {
                        citations.push(c);
                    }
                }
            }
            gap.citations = citations;
        }
    }
}

fn texts_value(t: &Texts) -> toml::Value {
    let mut m = toml::Table::new();
    m.insert("kk".into(), t.kk.clone().into());
    m.insert("ru".into(), t.ru.clone().into());
    m.insert("en".into(), t.en.clone().into());
    toml::Value::Table(m)
}

fn strings(values: impl IntoIterator<Item = String>) -> toml::Value {
    toml::Value::Array(values.into_iter().map(toml::Value::String).collect())
}

fn names_of(mask: u32, values: &[&str], shift: usize) -> Vec<String> {
    values
        .iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << (i + shift)) != 0)
        .map(|(_, v)| v.to_string())
        .collect()
}

fn list_name(f: ListField) -> &'static str {
    match f {
        ListField::Sectors => "sectors",
        ListField::Functions => "functions",
        ListField::Affects => "affects",
        ListField::VulnerableGroups => "vulnerable_groups",
        ListField::SpecialCategories => "special_categories",
    }
}

fn enum_name(f: EnumField) -> &'static str {
    match f {
        EnumField::Autonomy => "autonomy",
        EnumField::FailureImpact => "failure_impact",
        EnumField::LegalException => "legal_exception",
    }
}

fn bool_name(f: BoolField) -> &'static str {
    match f {
        BoolField::RealTime => "real_time",
        BoolField::PublicSpaces => "public_spaces",
        BoolField::ExploitsVulnerability => "exploits_vulnerability",
        BoolField::InformedConsent => "informed_consent",
        BoolField::PersonalData => "personal_data",
        BoolField::CriticalIctOrStateResource => "critical_ict_or_state_resource",
        BoolField::NarrowProceduralTask => "narrow_procedural_task",
    }
}

/// A value as one line of TOML (tables inline).
fn inline_toml(v: &toml::Value) -> String {
    match v {
        toml::Value::Table(t) => {
            let parts: Vec<String> = t
                .iter()
                .map(|(k, v)| format!("{k} = {}", inline_toml(v)))
                .collect();
            format!("{{ {} }}", parts.join(", "))
        }
        toml::Value::Array(a) => {
            let parts: Vec<String> = a.iter().map(inline_toml).collect();
            format!("[{}]", parts.join(", "))
        }
        other => other.to_string(),
    }
}

fn cond_value(c: &Cond) -> toml::Value {
    let mut m = toml::Table::new();
    match c {
        Cond::All(cs) => {
            m.insert(
                "all".into(),
                toml::Value::Array(cs.iter().map(cond_value).collect()),
            );
        }
        Cond::Any(cs) => {
            m.insert(
                "any".into(),
                toml::Value::Array(cs.iter().map(cond_value).collect()),
            );
        }
        Cond::Not(inner) => {
            m.insert("not".into(), cond_value(inner));
        }
        Cond::ListHasAny(f, mask) => {
            m.insert("field".into(), list_name(*f).into());
            m.insert("has_any".into(), strings(names_of(*mask, f.values(), 0)));
        }
        Cond::EnumIn(f, mask) => {
            m.insert("field".into(), enum_name(*f).into());
            let shift = usize::from(*f == EnumField::LegalException);
            if *f == EnumField::LegalException
                && (*mask == 1 || *mask == !1 & ((1 << f.width()) - 1))
            {
                m.insert("present".into(), (*mask != 1).into());
            } else {
                m.insert("in".into(), strings(names_of(*mask, f.values(), shift)));
            }
        }
        Cond::BoolIs(f, v) => {
            m.insert("field".into(), bool_name(*f).into());
            m.insert("is".into(), (*v).into());
        }
    }
    toml::Value::Table(m)
}

impl RulePack {
    /// The pack in its file format, canonical: what `parse` reads back to an
    /// equal pack (the round-trip property the tests check).
    pub fn to_toml(&self) -> String {
        let mut root = toml::Table::new();
        root.insert("id".into(), self.id.clone().into());
        root.insert("version".into(), self.version.clone().into());
        root.insert("jurisdiction".into(), self.jurisdiction.clone().into());
        root.insert("effective".into(), self.effective.clone().into());
        root.insert("status".into(), self.status.as_str().into());
        root.insert("title".into(), texts_value(&self.title));
        let citations = self
            .citations
            .iter()
            .map(|c| {
                let mut m = toml::Table::new();
                m.insert("id".into(), c.id.clone().into());
                m.insert("source".into(), texts_value(&c.source));
                if let Some(url) = &c.url {
                    m.insert("url".into(), url.clone().into());
                }
                toml::Value::Table(m)
            })
            .collect();
        root.insert("citations".into(), toml::Value::Array(citations));
        let mut default = toml::Table::new();
        default.insert(
            "citation".into(),
            self.citations[self.default_citation].id.clone().into(),
        );
        default.insert("text".into(), texts_value(&self.default_text));
        root.insert("default".into(), toml::Value::Table(default));
        let mut levels = toml::Table::new();
        for (i, level) in self.levels.iter().enumerate() {
            let mut m = toml::Table::new();
            m.insert("registration".into(), level.registration.into());
            m.insert("expert_review".into(), level.expert_review.into());
            m.insert("reviewers".into(), i64::from(level.reviewers).into());
            m.insert(
                "documentation".into(),
                strings(level.documentation.iter().map(|d| d.as_str().to_string())),
            );
            m.insert(
                "obligations".into(),
                strings(
                    level
                        .obligations
                        .iter()
                        .map(|o| self.obligations[*o].id.clone()),
                ),
            );
            levels.insert(RISK_ORDER[i].as_str().into(), toml::Value::Table(m));
        }
        root.insert("levels".into(), toml::Value::Table(levels));
        let obligations = self
            .obligations
            .iter()
            .map(|o| {
                let mut m = toml::Table::new();
                m.insert("id".into(), o.id.clone().into());
                m.insert(
                    "citation".into(),
                    self.citations[o.citation].id.clone().into(),
                );
                m.insert(
                    "documentation".into(),
                    strings(o.documentation.iter().map(|d| d.as_str().to_string())),
                );
                m.insert("title".into(), texts_value(&o.title));
                toml::Value::Table(m)
            })
            .collect();
        root.insert("obligations".into(), toml::Value::Array(obligations));
        let rules = self
            .rules
            .iter()
            .map(|r| {
                let mut m = toml::Table::new();
                m.insert("id".into(), r.id.clone().into());
                m.insert(
                    "citation".into(),
                    self.citations[r.citation].id.clone().into(),
                );
                m.insert("risk".into(), r.risk.as_str().into());
                if !r.prohibited.is_empty() {
                    m.insert("prohibited".into(), strings(r.prohibited.clone()));
                }
                if !r.obligations.is_empty() {
                    m.insert(
                        "obligations".into(),
                        strings(
                            r.obligations
                                .iter()
                                .map(|o| self.obligations[*o].id.clone()),
                        ),
                    );
                }
                if r.registration {
                    m.insert("registration".into(), true.into());
                }
                if r.expert_review {
                    m.insert("expert_review".into(), true.into());
                }
                if r.reviewers > 0 {
                    m.insert("reviewers".into(), i64::from(r.reviewers).into());
                }
                if let Some(a) = r.autonomy {
                    m.insert("autonomy".into(), a.as_str().into());
                }
                if let Some(note) = &r.note {
                    m.insert("note".into(), note.clone().into());
                }
                // Conditions are written inline, as people write them; the
                // serializer would make header tables of them.
                m.insert("when".into(), format!("__when_{}__", r.id).into());
                m.insert("rationale".into(), texts_value(&r.rationale));
                toml::Value::Table(m)
            })
            .collect();
        root.insert("rules".into(), toml::Value::Array(rules));
        let mut deadlines = toml::Table::new();
        for (k, v) in &self.deadlines {
            deadlines.insert(k.clone(), i64::from(*v).into());
        }
        root.insert("deadlines".into(), toml::Value::Table(deadlines));
        let mut sanctions = toml::Table::new();
        sanctions.insert(
            "citation".into(),
            self.citations[self.sanctions_citation].id.clone().into(),
        );
        let fines = self
            .sanctions
            .iter()
            .map(|f| {
                let mut m = toml::Table::new();
                m.insert("size_class".into(), f.size_class.as_str().into());
                m.insert("first".into(), i64::from(f.first).into());
                m.insert("repeat".into(), i64::from(f.repeat).into());
                toml::Value::Table(m)
            })
            .collect();
        sanctions.insert("fines".into(), toml::Value::Array(fines));
        root.insert("sanctions".into(), toml::Value::Table(sanctions));
        if !self.thresholds.is_empty() {
            let thresholds = self
                .thresholds
                .iter()
                .map(|t| {
                    let mut m = toml::Table::new();
                    m.insert("metric".into(), t.metric.clone().into());
                    if let Some(min) = t.min {
                        m.insert("min".into(), min.into());
                    }
                    if let Some(max) = t.max {
                        m.insert("max".into(), max.into());
                    }
                    m.insert("severity".into(), t.severity.as_str().into());
                    m.insert(
                        "obligation".into(),
                        self.obligations[t.obligation].id.clone().into(),
                    );
                    m.insert(
                        "citation".into(),
                        self.citations[t.citation].id.clone().into(),
                    );
                    m.insert("title".into(), texts_value(&t.title));
                    toml::Value::Table(m)
                })
                .collect();
            root.insert("thresholds".into(), toml::Value::Array(thresholds));
        }
        let mut text = toml::to_string(&root).unwrap_or_default();
        for r in &self.rules {
            let inline = inline_toml(&cond_value(&r.when));
            text = text.replace(&format!("\"__when_{}__\"", r.id), &inline);
        }
        text
    }

    /// Equal rules, texts and tables (the source text aside).
    pub fn same_as(&self, other: &RulePack) -> bool {
        format!(
            "{:?}",
            RulePack {
                source: String::new(),
                ..self.clone()
            }
        ) == format!(
            "{:?}",
            RulePack {
                source: String::new(),
                ..other.clone()
            }
        )
    }
}
