//! The profile questions (`LAW.md` section 4) as data, so the self-check
//! and the registration wizard ask them the same way: each question's kind,
//! its values, and the prefix of its labels in the locale files. The
//! answers travel as form fields named after the profile's JSON fields, and
//! become the API's profile JSON, checked by the domain's own parser.

use senim_domain::profile::{
    Affects, Autonomy, FailureImpact, Function, LegalException, Sector, SpecialCategory,
    VulnerableGroup,
};
use senim_domain::Profile;

use crate::{Ctx, FormData, Problems};

/// How a question is answered.
#[derive(Clone, Copy)]
pub enum Kind {
    /// Any number of values (checkboxes).
    Many(&'static [&'static str]),
    /// Exactly one value (radios).
    One(&'static [&'static str]),
    /// One value or none (radios with "none of these").
    MaybeOne(&'static [&'static str]),
    /// Yes or no.
    YesNo,
}

/// One question.
pub struct Question {
    /// The profile's field.
    pub field: &'static str,
    /// The prefix of its values' labels.
    pub labels: &'static str,
    pub kind: Kind,
    pub required: bool,
}

/// Every question, in the order asked, and the step each belongs to.
pub const QUESTIONS: &[(u8, Question)] = &[
    (
        1,
        Question {
            field: "sectors",
            labels: "sector",
            kind: Kind::Many(Sector::NAMES),
            required: true,
        },
    ),
    (
        1,
        Question {
            field: "functions",
            labels: "function",
            kind: Kind::Many(Function::NAMES),
            required: true,
        },
    ),
    (
        1,
        Question {
            field: "real_time",
            labels: "",
            kind: Kind::YesNo,
            required: false,
        },
    ),
    (
        1,
        Question {
            field: "public_spaces",
            labels: "",
            kind: Kind::YesNo,
            required: false,
        },
    ),
    (
        2,
        Question {
            field: "affects",
            labels: "affects",
            kind: Kind::Many(Affects::NAMES),
            required: true,
        },
    ),
    (
        2,
        Question {
            field: "failure_impact",
            labels: "impact",
            kind: Kind::One(FailureImpact::NAMES),
            required: true,
        },
    ),
    (
        2,
        Question {
            field: "autonomy",
            labels: "autonomy",
            kind: Kind::One(Autonomy::NAMES),
            required: true,
        },
    ),
    (
        2,
        Question {
            field: "vulnerable_groups",
            labels: "vulnerable",
            kind: Kind::Many(VulnerableGroup::NAMES),
            required: false,
        },
    ),
    (
        2,
        Question {
            field: "exploits_vulnerability",
            labels: "",
            kind: Kind::YesNo,
            required: false,
        },
    ),
    (
        2,
        Question {
            field: "informed_consent",
            labels: "",
            kind: Kind::YesNo,
            required: false,
        },
    ),
    (
        3,
        Question {
            field: "personal_data",
            labels: "",
            kind: Kind::YesNo,
            required: false,
        },
    ),
    (
        3,
        Question {
            field: "special_categories",
            labels: "special",
            kind: Kind::Many(SpecialCategory::NAMES),
            required: false,
        },
    ),
    (
        3,
        Question {
            field: "critical_ict_or_state_resource",
            labels: "",
            kind: Kind::YesNo,
            required: false,
        },
    ),
    (
        3,
        Question {
            field: "legal_exception",
            labels: "exception",
            kind: Kind::MaybeOne(LegalException::NAMES),
            required: false,
        },
    ),
    (
        3,
        Question {
            field: "narrow_procedural_task",
            labels: "",
            kind: Kind::YesNo,
            required: false,
        },
    ),
];

/// The number of steps.
pub const STEPS: u8 = 3;

/// One answer choice as the form shows it.
pub struct Option_ {
    pub id: String,
    pub value: String,
    pub label: String,
    pub checked: bool,
}

/// A question as the form shows it.
pub struct Shown {
    pub field: &'static str,
    pub legend: String,
    pub hint: String,
    pub multiple: bool,
    pub options: Vec<Option_>,
    pub error: Option<String>,
}

/// The question in the reader's language with the reader's answers.
pub fn show(c: &Ctx, q: &Question, form: &FormData, problems: &Problems) -> Shown {
    let chosen = form.all(q.field);
    let option = |value: &str, label: String| Option_ {
        id: format!("{}-{}", q.field, value),
        value: value.to_string(),
        label,
        checked: chosen.contains(&value),
    };
    let options = match q.kind {
        Kind::Many(values) | Kind::One(values) => values
            .iter()
            .map(|v| option(v, c.t.term(q.labels, v)))
            .collect(),
        Kind::MaybeOne(values) => values
            .iter()
            .map(|v| option(v, c.t.term(q.labels, v)))
            .chain(std::iter::once(option("", c.t("profile-none-of-these"))))
            .map(|mut o| {
                if o.value.is_empty() && chosen.is_empty() {
                    o.checked = true;
                }
                o
            })
            .collect(),
        Kind::YesNo => vec![option("true", c.t("yes")), option("false", c.t("no"))]
            .into_iter()
            .map(|mut o| {
                if o.value == "false" && chosen.is_empty() {
                    o.checked = true;
                }
                o
            })
            .collect(),
    };
    let key = q.field.replace('_', "-");
    Shown {
        field: q.field,
        legend: c.t(&format!("profile-{key}")),
        hint: c.t(&format!("profile-{key}-hint")),
        multiple: matches!(q.kind, Kind::Many(_)),
        options,
        error: problems.of(q.field).map(str::to_string),
    }
}

/// The problems of one step's answers, in the reader's language.
pub fn check_step(c: &Ctx, step: u8, form: &FormData) -> Problems {
    let mut problems = Problems::default();
    for (s, q) in QUESTIONS {
        if *s != step {
            continue;
        }
        let chosen = form.all(q.field);
        if q.required && chosen.is_empty() {
            problems.push(
                q.field,
                c.t(&format!("profile-{}-missing", q.field.replace('_', "-"))),
            );
            continue;
        }
        let allowed: &[&str] = match q.kind {
            Kind::Many(v) | Kind::One(v) | Kind::MaybeOne(v) => v,
            Kind::YesNo => &["true", "false"],
        };
        if let Some(bad) = chosen.iter().find(|v| !allowed.contains(v)) {
            problems.push(
                q.field,
                c.t.t2(
                    "problem-unknown-value",
                    "field",
                    c.t(&format!("profile-{}", q.field.replace('_', "-"))),
                    "value",
                    *bad,
                ),
            );
        } else if !matches!(q.kind, Kind::Many(_)) && chosen.len() > 1 {
            problems.push(q.field, c.t("profile-one-only"));
        }
    }
    problems
}

/// The answers as the API's profile JSON.
pub fn to_json(form: &FormData) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    for (_, q) in QUESTIONS {
        let chosen = form.all(q.field);
        let value = match q.kind {
            Kind::Many(_) => serde_json::json!(chosen),
            Kind::One(_) => match chosen.first() {
                Some(v) => serde_json::json!(v),
                None => continue,
            },
            Kind::MaybeOne(_) => match chosen.first() {
                Some(v) => serde_json::json!(v),
                None => serde_json::Value::Null,
            },
            Kind::YesNo => serde_json::json!(chosen.first() == Some(&"true")),
        };
        map.insert(q.field.to_string(), value);
    }
    serde_json::Value::Object(map)
}

/// The answers as a profile, or every problem (the domain's checks).
pub fn parse(c: &Ctx, form: &FormData) -> Result<Profile, Problems> {
    let mut problems = Problems::default();
    for step in 1..=STEPS {
        problems.list.extend(check_step(c, step, form).list);
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let profile: Profile = serde_json::from_value(to_json(form)).map_err(|e| {
        let mut p = Problems::default();
        p.push("sectors", e.to_string());
        p
    })?;
    profile.parse_alone().map_err(|e| {
        let mut p = Problems::default();
        for f in e.0 {
            let field = f.field.trim_start_matches("profile.").to_string();
            let label = c.t(&format!("profile-{}", field.replace('_', "-")));
            p.push(&field, format!("{label}: {}", c.t.reason(&f.reason)));
        }
        p
    })
}

/// The answers to keep as hidden fields while another step is shown.
pub fn hidden(form: &FormData, except_step: u8) -> Vec<(String, String)> {
    QUESTIONS
        .iter()
        .filter(|(s, _)| *s != except_step)
        .flat_map(|(_, q)| {
            form.all(q.field)
                .into_iter()
                .map(|v| (q.field.to_string(), v.to_string()))
        })
        .collect()
}

/// The answers as a query string (the link that reproduces a result).
pub fn query(form: &FormData) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (_, q) in QUESTIONS {
        for v in form.all(q.field) {
            s.append_pair(q.field, v);
        }
    }
    s.finish()
}

/// A question and the reader's answer in words, for "check your answers".
pub fn summary(c: &Ctx, form: &FormData) -> Vec<(u8, String, String)> {
    QUESTIONS
        .iter()
        .map(|(step, q)| {
            let chosen = form.all(q.field);
            let answer = match q.kind {
                Kind::YesNo => {
                    if chosen.first() == Some(&"true") {
                        c.t("yes")
                    } else {
                        c.t("no")
                    }
                }
                _ if chosen.is_empty() => c.t("profile-none"),
                _ => chosen
                    .iter()
                    .map(|v| c.t.term(q.labels, v))
                    .collect::<Vec<_>>()
                    .join(", "),
            };
            (
                *step,
                c.t(&format!("profile-{}", q.field.replace('_', "-"))),
                answer,
            )
        })
        .collect()
}
