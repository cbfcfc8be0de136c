//! Who may apply to a call (issue 18): eligibility rules as data, written in
//! the rule packs' condition language (`all`, `any`, `not`, and a `field`
//! with `has`, `has_any`, `is` or `in`) over what is known of an applicant
//! rather than of an AI system. Each rule names the requirement in the three
//! languages, so an ineligible applicant is told every rule it does not
//! meet, not just the first.
//!
//! ```toml
//! [[rules]]
//! id = "resident"
//! text = { kk = "...", ru = "...", en = "A resident of Kazakhstan" }
//! requires = { field = "resident", is = true }
//! ```
//!
//! The classifier compiles its own conditions over a profile's bit masks,
//! on its hot path; the two compilers share the syntax and its forms
//! (`raw::RawCondition::form`), and each compiles fields of its own.

use serde::Deserialize;
use toml::Spanned;

use senim_domain::classification::CheckProblem;
use senim_domain::organisation::{OrganisationKind, SizeClass};
use senim_domain::profile::Sector;

use crate::pack::line_of;
use crate::raw::{Form, RawCondition, Text};
use crate::PackError;

/// What is known of an applicant when it applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applicant {
    pub organisation_kind: OrganisationKind,
    pub size_class: SizeClass,
    /// The sectors the application is about.
    pub sectors: Vec<Sector>,
    /// Whether the applicant's organisation has a registered AI system.
    pub registered_system: bool,
    /// Whether the applicant is resident in Kazakhstan.
    pub resident: bool,
}

/// The facts a rule can test, by name.
const FIELDS: [(&str, Kind); 5] = [
    ("organisation_kind", Kind::Enum(OrganisationKind::NAMES)),
    ("size_class", Kind::Enum(SizeClass::NAMES)),
    ("sectors", Kind::List(Sector::NAMES)),
    ("registered_system", Kind::Bool),
    ("resident", Kind::Bool),
];

#[derive(Debug, Clone, Copy)]
enum Kind {
    List(&'static [&'static str]),
    Enum(&'static [&'static str]),
    Bool,
}

/// A compiled condition: each field by its index in [`FIELDS`], each set of
/// values as a bit mask over the field's vocabulary.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Cond {
    All(Vec<Cond>),
    Any(Vec<Cond>),
    Not(Box<Cond>),
    /// The field (a list, or one value) has one of the mask's values.
    Among(usize, u64),
    Is(usize, bool),
}

/// An applicant's facts as masks, in [`FIELDS`] order.
struct Facts([u64; 5]);

fn bit(values: &[&str], value: &str) -> u64 {
    values
        .iter()
        .position(|v| *v == value)
        .map_or(0, |i| 1 << i)
}

impl Facts {
    fn of(a: &Applicant) -> Facts {
        Facts([
            bit(OrganisationKind::NAMES, a.organisation_kind.as_str()),
            bit(SizeClass::NAMES, a.size_class.as_str()),
            a.sectors
                .iter()
                .fold(0, |m, s| m | bit(Sector::NAMES, s.as_str())),
            u64::from(a.registered_system),
            u64::from(a.resident),
        ])
    }
}

impl Cond {
    fn holds(&self, f: &Facts) -> bool {
        match self {
            Cond::All(cs) => cs.iter().all(|c| c.holds(f)),
            Cond::Any(cs) => cs.iter().any(|c| c.holds(f)),
            Cond::Not(c) => !c.holds(f),
            Cond::Among(field, mask) => f.0[*field] & mask != 0,
            Cond::Is(field, value) => (f.0[*field] != 0) == *value,
        }
    }
}

/// One requirement of a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    pub id: String,
    /// What it requires, in kk, ru, en.
    pub text: [String; 3],
    when: Cond,
}

/// A call's eligibility rules, checked.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Eligibility {
    requirements: Vec<Requirement>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEligibility {
    #[serde(default)]
    rules: Vec<Spanned<RawRequirement>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRequirement {
    id: Spanned<String>,
    text: Spanned<Text>,
    requires: Spanned<RawCondition>,
}

struct Checker<'a> {
    source: &'a str,
    problems: Vec<CheckProblem>,
}

impl Checker<'_> {
    fn at<T>(&mut self, spanned: &Spanned<T>, message: impl Into<String>) {
        self.problems.push(CheckProblem {
            line: line_of(self.source, spanned.span().start),
            message: message.into(),
        });
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
        let Some(index) = FIELDS.iter().position(|(n, _)| *n == name) else {
            let names: Vec<&str> = FIELDS.iter().map(|(n, _)| *n).collect();
            self.at(
                c,
                format!(
                    "rule {rule}: unknown applicant field `{name}`; allowed fields: {}",
                    names.join(", ")
                ),
            );
            return Cond::All(Vec::new());
        };
        if raw.present.is_some() {
            self.at(
                c,
                format!("rule {rule}: `present` does not apply to `{name}`"),
            );
            return Cond::All(Vec::new());
        }
        let values = match (FIELDS[index].1, &raw.has, &raw.has_any, &raw.is, &raw.in_) {
            (Kind::Bool, None, None, Some(toml::Value::Boolean(v)), None) => {
                return Cond::Is(index, *v);
            }
            (Kind::Bool, ..) => {
                self.at(
                    c,
                    format!("rule {rule}: `{name}` is true or false: use is = true or is = false"),
                );
                return Cond::All(Vec::new());
            }
            (Kind::List(values), Some(v), None, None, None) => (values, vec![v.clone()]),
            (Kind::List(values), None, Some(vs), None, None) => (values, vs.clone()),
            (Kind::List(_), ..) => {
                self.at(
                    c,
                    format!("rule {rule}: `{name}` is a list: use has or has_any"),
                );
                return Cond::All(Vec::new());
            }
            (Kind::Enum(values), None, None, Some(v), None) => (values, vec![v.clone()]),
            (Kind::Enum(values), None, None, None, Some(vs)) => (values, vs.clone()),
            (Kind::Enum(_), ..) => {
                self.at(
                    c,
                    format!("rule {rule}: `{name}` has one value: use is or in"),
                );
                return Cond::All(Vec::new());
            }
        };
        let (vocabulary, wanted) = values;
        let mut mask = 0;
        for v in &wanted {
            match v.as_str().map(|text| bit(vocabulary, text)) {
                Some(b) if b != 0 => mask |= b,
                _ => self.at(
                    c,
                    format!(
                        "rule {rule}: unknown value `{v}` for `{name}`; allowed values: {}",
                        vocabulary.join(", ")
                    ),
                ),
            }
        }
        Cond::Among(index, mask)
    }
}

impl Eligibility {
    /// Parses and checks a call's rules (TOML); every problem is reported
    /// with its line, and nothing is kept unless all is well.
    pub fn parse(source: &str, file: &str) -> Result<Eligibility, PackError> {
        let fail = |problems| PackError {
            file: file.to_string(),
            problems,
        };
        let raw: RawEligibility = toml::from_str(source).map_err(|e| {
            fail(vec![CheckProblem {
                line: e.span().map_or(1, |s| line_of(source, s.start)),
                message: e.message().to_string(),
            }])
        })?;
        let mut ck = Checker {
            source,
            problems: Vec::new(),
        };
        let mut requirements: Vec<Requirement> = Vec::new();
        for rule in &raw.rules {
            let r = rule.get_ref();
            let id = r.id.get_ref().clone();
            let valid = !id.is_empty()
                && id.len() <= 64
                && id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !valid {
                ck.at(&r.id, "id: use 1 to 64 lower-case letters, digits and _");
            } else if requirements.iter().any(|x| x.id == id) {
                ck.at(&r.id, format!("rule {id}: another rule has this id"));
            }
            let t = r.text.get_ref();
            let mut text = [String::new(), String::new(), String::new()];
            for (slot, (lang, value)) in
                text.iter_mut()
                    .zip([("kk", &t.kk), ("ru", &t.ru), ("en", &t.en)])
            {
                match value.as_deref().map(str::trim) {
                    Some(v) if !v.is_empty() => *slot = v.to_string(),
                    _ => ck.at(&r.text, format!("rule {id}: missing {lang} text")),
                }
            }
            let when = ck.condition(&r.requires, &id);
            requirements.push(Requirement { id, text, when });
        }
        if !ck.problems.is_empty() {
            return Err(fail(ck.problems));
        }
        Ok(Eligibility { requirements })
    }

    pub fn requirements(&self) -> &[Requirement] {
        &self.requirements
    }

    /// The requirements `applicant` does not meet, in the call's order;
    /// empty when it may apply.
    pub fn unmet(&self, applicant: &Applicant) -> Vec<&Requirement> {
        let facts = Facts::of(applicant);
        self.requirements
            .iter()
            .filter(|r| !r.when.holds(&facts))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: &str = r#"
[[rules]]
id = "resident"
text = { kk = "Қазақстан резиденті", ru = "Резидент Казахстана", en = "A resident of Kazakhstan" }
requires = { field = "resident", is = true }

[[rules]]
id = "research_or_small"
text = { kk = "Зерттеу ұйымы немесе шағын кәсіпорын", ru = "Научная организация или малое предприятие", en = "A public research body or a small business" }
requires = { any = [
  { field = "organisation_kind", in = ["public", "non_profit"] },
  { all = [ { field = "organisation_kind", is = "private" }, { field = "size_class", in = ["individual", "small"] } ] },
] }

[[rules]]
id = "health_or_education"
text = { kk = "Денсаулық немесе білім", ru = "Здравоохранение или образование", en = "Health or education" }
requires = { field = "sectors", has_any = ["healthcare", "education"] }

[[rules]]
id = "nothing_registered_yet"
text = { kk = "Тіркелген жүйесі жоқ", ru = "Нет зарегистрированной системы", en = "No registered system yet" }
requires = { not = { field = "registered_system", is = true } }
"#;

    fn university() -> Applicant {
        Applicant {
            organisation_kind: OrganisationKind::Public,
            size_class: SizeClass::Large,
            sectors: vec![Sector::Healthcare],
            registered_system: false,
            resident: true,
        }
    }

    fn ids(unmet: Vec<&Requirement>) -> Vec<&str> {
        unmet.iter().map(|r| r.id.as_str()).collect()
    }

    #[test]
    fn an_eligible_applicant_meets_every_rule() {
        let rules = Eligibility::parse(RULES, "call.toml").unwrap();
        assert_eq!(rules.requirements().len(), 4);
        assert!(rules.unmet(&university()).is_empty());
    }

    #[test]
    fn an_ineligible_applicant_is_told_every_rule_it_does_not_meet() {
        let rules = Eligibility::parse(RULES, "call.toml").unwrap();
        let large_firm = Applicant {
            organisation_kind: OrganisationKind::Private,
            size_class: SizeClass::Large,
            sectors: vec![Sector::Finance],
            registered_system: true,
            resident: false,
        };
        assert_eq!(
            ids(rules.unmet(&large_firm)),
            [
                "resident",
                "research_or_small",
                "health_or_education",
                "nothing_registered_yet"
            ]
        );
        let small_firm = Applicant {
            organisation_kind: OrganisationKind::Private,
            size_class: SizeClass::Small,
            ..university()
        };
        assert!(rules.unmet(&small_firm).is_empty());
        let unmet = rules.unmet(&Applicant {
            resident: false,
            ..university()
        });
        assert_eq!(unmet[0].text[1], "Резидент Казахстана");
    }

    #[test]
    fn every_vocabulary_fits_a_mask() {
        for (name, kind) in FIELDS {
            if let Kind::List(values) | Kind::Enum(values) = kind {
                assert!(values.len() <= 64, "{name}");
            }
        }
    }

    #[test]
    fn no_rules_let_anyone_apply() {
        let rules = Eligibility::parse("", "call.toml").unwrap();
        assert!(rules.unmet(&university()).is_empty());
    }

    #[test]
    fn every_problem_of_the_rules_is_named_with_its_line() {
        let source = r#"
[[rules]]
id = "Bad Id"
text = { en = "Only English" }
requires = { field = "turnover", is = 5 }

[[rules]]
id = "kinds"
text = { kk = "а", ru = "б", en = "c" }
requires = { field = "organisation_kind", has = "private" }

[[rules]]
id = "sizes"
text = { kk = "а", ru = "б", en = "c" }
requires = { field = "size_class", in = ["huge"] }

[[rules]]
id = "sizes"
text = { kk = "а", ru = "б", en = "c" }
requires = { field = "resident", is = "yes" }
"#;
        let err = Eligibility::parse(source, "call.toml").unwrap_err();
        let problems: Vec<String> = err
            .problems
            .iter()
            .map(|p| format!("{}: {}", p.line, p.message))
            .collect();
        let expected = [
            "3: id: use 1 to 64 lower-case letters, digits and _",
            "4: rule Bad Id: missing kk text",
            "4: rule Bad Id: missing ru text",
            "5: rule Bad Id: unknown applicant field `turnover`",
            "10: rule kinds: `organisation_kind` has one value: use is or in",
            "15: rule sizes: unknown value `\"huge\"` for `size_class`",
            "18: rule sizes: another rule has this id",
            "20: rule sizes: `resident` is true or false",
        ];
        assert_eq!(problems.len(), expected.len(), "{problems:#?}");
        for (got, want) in problems.iter().zip(expected) {
            assert!(got.starts_with(want), "{got} should start with {want}");
        }
        // A syntax error has its line too.
        let err = Eligibility::parse("[[rules]]\nid = ", "call.toml").unwrap_err();
        assert_eq!(err.problems[0].line, 2, "{err}");
    }
}
