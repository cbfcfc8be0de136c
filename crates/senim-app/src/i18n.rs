//! The pages' words in Kazakh, Russian and English, with Project Fluent.
//!
//! Each language is one `.ftl` file in `locales/`, compiled into the binary
//! and parsed once at start. A message missing from Kazakh or Russian falls
//! back to English (a unit test makes sure none is missing). The language of
//! a request is chosen, in order, by `?lang=`, the `senim_lang` cookie that a
//! choice leaves, and the browser's `Accept-Language`; Kazakh, the state
//! language, when none of them names one of the three.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use senim_domain::classification::Lang;

/// The cookie that remembers a reader's choice of language.
pub const LANG_COOKIE: &str = "senim_lang";

const SOURCES: [(Lang, &str, &str); 3] = [
    (Lang::Kk, "kk", include_str!("../locales/kk.ftl")),
    (Lang::Ru, "ru", include_str!("../locales/ru.ftl")),
    (Lang::En, "en", include_str!("../locales/en.ftl")),
];

struct Bundles {
    kk: FluentBundle<FluentResource>,
    ru: FluentBundle<FluentResource>,
    en: FluentBundle<FluentResource>,
}

fn bundle(code: &str, source: &str) -> FluentBundle<FluentResource> {
    // The files are part of the binary and checked by the unit tests, so a
    // syntax error cannot reach a release; still, keep what did parse.
    let resource = match FluentResource::try_new(source.to_string()) {
        Ok(r) => r,
        Err((r, errors)) => {
            tracing::error!(language = code, ?errors, "errors in a locale file");
            r
        }
    };
    let langid = code.parse().unwrap_or_default();
    let mut bundle = FluentBundle::new_concurrent(vec![langid]);
    // No Unicode isolation marks around arguments: the pages are all
    // left-to-right and the marks would end up in copied text.
    bundle.set_use_isolating(false);
    if let Err(errors) = bundle.add_resource(resource) {
        tracing::error!(
            language = code,
            ?errors,
            "duplicate messages in a locale file"
        );
    }
    bundle
}

fn bundles() -> &'static Bundles {
    static BUNDLES: OnceLock<Bundles> = OnceLock::new();
    BUNDLES.get_or_init(|| Bundles {
        kk: bundle("kk", SOURCES[0].2),
        ru: bundle("ru", SOURCES[1].2),
        en: bundle("en", SOURCES[2].2),
    })
}

/// The words of one language; cheap to copy.
#[derive(Clone, Copy)]
pub struct Tr {
    pub lang: Lang,
    bundle: &'static FluentBundle<FluentResource>,
}

impl Tr {
    pub fn new(lang: Lang) -> Tr {
        let b = bundles();
        let bundle = match lang {
            Lang::Kk => &b.kk,
            Lang::Ru => &b.ru,
            Lang::En => &b.en,
        };
        Tr { lang, bundle }
    }

    /// The language's code: `kk`, `ru` or `en`.
    pub fn code(&self) -> &'static str {
        code(self.lang)
    }

    fn format(&self, id: &str, args: Option<&FluentArgs>) -> String {
        for bundle in [self.bundle, &bundles().en] {
            let Some(pattern) = bundle.get_message(id).and_then(|m| m.value()) else {
                continue;
            };
            let mut errors = Vec::new();
            return bundle
                .format_pattern(pattern, args, &mut errors)
                .into_owned();
        }
        // A missing message shows its id, which a test would catch first.
        id.to_string()
    }

    /// The message `id`.
    pub fn t(&self, id: &str) -> String {
        self.format(id, None)
    }

    /// The message `id` with one argument.
    pub fn t1(&self, id: &str, name: &str, value: impl ToArg) -> String {
        let mut args = FluentArgs::new();
        args.set(name.to_string(), value.to_arg());
        self.format(id, Some(&args))
    }

    /// The message `id` with two arguments.
    pub fn t2(&self, id: &str, n1: &str, v1: impl ToArg, n2: &str, v2: impl ToArg) -> String {
        let mut args = FluentArgs::new();
        args.set(n1.to_string(), v1.to_arg());
        args.set(n2.to_string(), v2.to_arg());
        self.format(id, Some(&args))
    }

    /// The message `id` with its named arguments.
    pub fn tn(&self, id: &str, args: &[(&str, String)]) -> String {
        let mut fluent = FluentArgs::new();
        for (name, value) in args {
            fluent.set(name.to_string(), FluentValue::from(value.clone()));
        }
        self.format(id, Some(&fluent))
    }

    /// The label of a vocabulary value, `{prefix}-{value}` (for example
    /// `risk-high`); the value itself when there is no such message.
    pub fn term(&self, prefix: &str, value: &str) -> String {
        let id = format!("{prefix}-{}", value.replace('_', "-"));
        if self.has(&id) {
            self.t(&id)
        } else {
            value.replace('_', " ")
        }
    }

    /// A notice's message in this language: `key` with `args`, where an
    /// argument naming a vocabulary (a risk level, a sanction) is shown as
    /// its term; `text` (the English the notice kept) when the message is
    /// unknown, as on notices written before messages had ids.
    pub fn notice(&self, key: &str, args: &BTreeMap<String, String>, text: &str) -> String {
        if key.is_empty() || !self.has(key) {
            return text.to_string();
        }
        let mut fluent = FluentArgs::new();
        for (name, value) in args {
            let shown = match NOTICE_TERMS.iter().find(|(n, _)| n == name) {
                Some((_, prefix)) => self.term(prefix, value),
                None => value.clone(),
            };
            fluent.set(name.clone(), FluentValue::from(shown));
        }
        self.format(key, Some(&fluent))
    }

    /// A refused field's reason in this language. The domain writes its
    /// reasons in English, each from a `reason-*` message of the English
    /// file with its arguments filled in (the English words are the
    /// message's key, as gettext's msgid is); the message that made it is
    /// found, its arguments read back, and the same message formatted
    /// here. A reason no message makes is shown as written.
    pub fn reason(&self, english: &str) -> String {
        if self.lang == Lang::En {
            return english.to_string();
        }
        match reason_of(english) {
            Some((id, args)) => self.tn(id, &args),
            None => english.to_string(),
        }
    }

    /// Whether the message exists in this language or in English.
    pub fn has(&self, id: &str) -> bool {
        self.bundle.has_message(id) || bundles().en.has_message(id)
    }

    /// The message `id`, or nothing when there is none (an optional hint).
    pub fn or_empty(&self, id: &str) -> String {
        if self.has(id) {
            self.t(id)
        } else {
            String::new()
        }
    }
}

/// A `reason-*` message of the English file as pieces: `literals[0]`, the
/// first variable, `literals[1]`, ..., the last variable, the last literal.
struct ReasonPattern {
    id: &'static str,
    literals: Vec<String>,
    variables: Vec<&'static str>,
}

impl ReasonPattern {
    fn of(message: &fluent_syntax::ast::Message<&'static str>) -> Option<ReasonPattern> {
        use fluent_syntax::ast::{Expression, InlineExpression, PatternElement};
        let id = message.id.name;
        if !id.starts_with("reason-") {
            return None;
        }
        let mut literals = vec![String::new()];
        let mut variables = Vec::new();
        for element in &message.value.as_ref()?.elements {
            match element {
                PatternElement::TextElement { value } => literals.last_mut()?.push_str(value),
                PatternElement::Placeable {
                    expression: Expression::Inline(InlineExpression::StringLiteral { value }),
                } => literals
                    .last_mut()?
                    .push_str(&fluent_syntax::unicode::unescape_unicode_to_string(value)),
                PatternElement::Placeable {
                    expression: Expression::Inline(InlineExpression::VariableReference { id }),
                } => {
                    variables.push(id.name);
                    literals.push(String::new());
                }
                // Selectors and functions cannot be read back from the text.
                PatternElement::Placeable { .. } => return None,
            }
        }
        Some(ReasonPattern {
            id,
            literals,
            variables,
        })
    }

    /// The arguments that make `text` from this pattern, if it does. Each
    /// variable takes at least one character, up to the first place the
    /// literal after it follows (the last one, to the literal that ends the
    /// text).
    fn read(&self, text: &str) -> Option<Vec<(&'static str, String)>> {
        let mut rest = text.strip_prefix(self.literals[0].as_str())?;
        let mut args = Vec::with_capacity(self.variables.len());
        let last = self.variables.len();
        for (i, name) in self.variables.iter().enumerate() {
            let after = &self.literals[i + 1];
            let first = rest.chars().next()?.len_utf8();
            let end = if i + 1 == last {
                let end = rest.len().checked_sub(after.len())?;
                (end >= first && rest.ends_with(after.as_str())).then_some(end)?
            } else if after.is_empty() {
                // Two variables side by side cannot be told apart.
                return None;
            } else {
                first + rest[first..].find(after.as_str())?
            };
            args.push((*name, rest[..end].to_string()));
            rest = &rest[end + after.len()..];
        }
        rest.is_empty().then_some(args)
    }

    /// Letters of literal text: the more, the more specific the pattern.
    fn weight(&self) -> usize {
        self.literals.iter().map(|l| l.len()).sum()
    }
}

/// The English file's `reason-*` messages, the most specific first.
fn reason_patterns() -> &'static [ReasonPattern] {
    static PATTERNS: OnceLock<Vec<ReasonPattern>> = OnceLock::new();
    PATTERNS.get_or_init(|| {
        let resource = match fluent_syntax::parser::parse(SOURCES[2].2) {
            Ok(r) => r,
            Err((r, _)) => r,
        };
        let mut patterns: Vec<ReasonPattern> = resource
            .body
            .iter()
            .filter_map(|entry| match entry {
                fluent_syntax::ast::Entry::Message(m) => ReasonPattern::of(m),
                _ => None,
            })
            .collect();
        patterns.sort_by_key(|p| std::cmp::Reverse(p.weight()));
        patterns
    })
}

/// The `reason-*` message that makes `english`, with its arguments.
pub fn reason_of(english: &str) -> Option<(&'static str, Vec<(&'static str, String)>)> {
    reason_patterns()
        .iter()
        .find_map(|p| Some((p.id, p.read(english)?)))
}

/// The notice arguments that name a vocabulary value, and the prefix of
/// its terms.
const NOTICE_TERMS: [(&str, &str); 7] = [
    ("risk", "risk"),
    ("status", "status"),
    ("sector", "sector"),
    ("severity", "severity"),
    ("basis", "basis"),
    ("sanction", "sanction"),
    ("outcome", "appeal"),
];

/// What a message's argument can be: a number or a text, or a reference
/// to one (templates pass references).
pub trait ToArg {
    fn to_arg(&self) -> FluentValue<'static>;
}

impl<T: ToArg + ?Sized> ToArg for &T {
    fn to_arg(&self) -> FluentValue<'static> {
        (**self).to_arg()
    }
}
impl ToArg for str {
    fn to_arg(&self) -> FluentValue<'static> {
        FluentValue::from(self.to_string())
    }
}
impl ToArg for String {
    fn to_arg(&self) -> FluentValue<'static> {
        FluentValue::from(self.clone())
    }
}
macro_rules! number_arg {
    ($($t:ty),*) => {$(
        impl ToArg for $t {
            fn to_arg(&self) -> FluentValue<'static> {
                FluentValue::from(*self)
            }
        }
    )*};
}
number_arg!(i64, u64, usize, u32, i32, u8);

/// The code of a language.
pub fn code(lang: Lang) -> &'static str {
    match lang {
        Lang::Kk => "kk",
        Lang::Ru => "ru",
        Lang::En => "en",
    }
}

/// Parses a language code, taking only its primary subtag (`ru-KZ` is `ru`).
pub fn parse(code: &str) -> Option<Lang> {
    let primary = code.trim().split(['-', '_']).next()?.to_ascii_lowercase();
    match primary.as_str() {
        "kk" => Some(Lang::Kk),
        "ru" => Some(Lang::Ru),
        "en" => Some(Lang::En),
        _ => None,
    }
}

/// The best of the three languages for an `Accept-Language` header: the
/// highest `q` among those we have, the earlier one on a tie.
pub fn from_accept_language(header: &str) -> Option<Lang> {
    let mut best: Option<(f32, Lang)> = None;
    for part in header.split(',').take(32) {
        let mut pieces = part.split(';');
        let Some(lang) = pieces.next().and_then(parse) else {
            continue;
        };
        let q = pieces
            .filter_map(|p| p.trim().strip_prefix("q="))
            .filter_map(|q| q.trim().parse::<f32>().ok())
            .next()
            .unwrap_or(1.0);
        if q > 0.0 && best.is_none_or(|(b, _)| q > b) {
            best = Some((q, lang));
        }
    }
    best.map(|(_, l)| l)
}

/// The three languages in the order of the switch.
pub const LANGS: [Lang; 3] = [Lang::Kk, Lang::Ru, Lang::En];

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use fluent_bundle::FluentResource;
    use std::collections::BTreeSet;

    fn ids(source: &str) -> BTreeSet<String> {
        let resource = FluentResource::try_new(source.to_string())
            .unwrap_or_else(|(_, e)| panic!("syntax errors: {e:?}"));
        resource
            .entries()
            .filter_map(|e| match e {
                fluent_syntax::ast::Entry::Message(m) => Some(m.id.name.to_string()),
                _ => None,
            })
            .collect()
    }

    fn variables(source: &str, id: &str) -> BTreeSet<String> {
        use fluent_syntax::ast::{Expression, InlineExpression, Pattern, PatternElement};
        fn walk_inline(e: &InlineExpression<&str>, out: &mut BTreeSet<String>) {
            match e {
                InlineExpression::VariableReference { id } => {
                    out.insert(id.name.to_string());
                }
                InlineExpression::Placeable { expression } => walk(expression, out),
                _ => {}
            }
        }
        fn walk(e: &Expression<&str>, out: &mut BTreeSet<String>) {
            match e {
                Expression::Inline(i) => walk_inline(i, out),
                Expression::Select { selector, variants } => {
                    walk_inline(selector, out);
                    for v in variants {
                        pattern(&v.value, out);
                    }
                }
            }
        }
        fn pattern(p: &Pattern<&str>, out: &mut BTreeSet<String>) {
            for element in &p.elements {
                if let PatternElement::Placeable { expression } = element {
                    walk(expression, out);
                }
            }
        }
        let resource = FluentResource::try_new(source.to_string()).unwrap();
        let mut out = BTreeSet::new();
        for entry in resource.entries() {
            if let fluent_syntax::ast::Entry::Message(m) = entry {
                if m.id.name == id {
                    if let Some(p) = &m.value {
                        pattern(p, &mut out);
                    }
                }
            }
        }
        out
    }

    #[test]
    fn every_language_has_every_message_with_the_same_arguments() {
        for (_, code, source) in &SOURCES {
            let resource = FluentResource::try_new(source.to_string()).unwrap();
            let all = resource
                .entries()
                .filter(|e| matches!(e, fluent_syntax::ast::Entry::Message(_)))
                .count();
            assert_eq!(all, ids(source).len(), "{code}.ftl names a message twice");
        }
        let en = ids(SOURCES[2].2);
        assert!(en.len() > 50);
        for (_, code, source) in &SOURCES[..2] {
            let other = ids(source);
            let missing: Vec<_> = en.difference(&other).collect();
            assert!(missing.is_empty(), "{code}.ftl lacks {missing:?}");
            let extra: Vec<_> = other.difference(&en).collect();
            assert!(
                extra.is_empty(),
                "{code}.ftl has messages English lacks: {extra:?}"
            );
            for id in &en {
                assert_eq!(
                    variables(SOURCES[2].2, id),
                    variables(source, id),
                    "{code}.ftl: `{id}` takes other arguments than in English"
                );
            }
        }
    }

    /// The string literals the domain and this crate write as a refused
    /// field's reason: the first literal after `.add(field,`, `Err(`,
    /// `single(field,`, `invalid(field,` or `reason:` (through `format!(`),
    /// outside test modules, with each `{...}` of a format string as `{}`.
    fn written_reasons() -> Vec<(String, String)> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut files = Vec::new();
        for dir in [
            "senim-domain/src",
            "senim-store/src",
            "senim-app/src",
            "senim-api/src",
            "senim-web/src",
        ] {
            let mut stack = vec![root.join(dir)];
            while let Some(d) = stack.pop() {
                for entry in std::fs::read_dir(&d).unwrap() {
                    let path = entry.unwrap().path();
                    if path.is_dir() {
                        stack.push(path);
                    } else if path.extension().is_some_and(|e| e == "rs")
                        // The log's own checks speak to the operator at the
                        // console, in English (`senim admin ...`); so do
                        // the witness protocol's answers and the errors of
                        // asking witnesses (C2SP tlog-witness: machine
                        // text, the server's log).
                        && ![
                            "senim-store/src/log.rs",
                            "senim-store/src/rotation.rs",
                            "senim-store/src/rollback.rs",
                            "senim-app/src/cosigning.rs",
                            "senim-app/src/witness.rs",
                            "senim-api/src/witness.rs",
                        ]
                        .iter()
                        .any(|f| path.ends_with(f))
                    {
                        files.push(path);
                    }
                }
            }
        }
        let mut out = Vec::new();
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap_or("");
            for marker in [".add(", "Err(", "single(", "invalid(", "reason: "] {
                for (at, _) in code.match_indices(marker) {
                    let mut rest = &code[at + marker.len()..];
                    // A field name first, for the forms that take one.
                    if marker != "Err(" && marker != "reason: " {
                        let Some(comma) = rest.find(',') else {
                            continue;
                        };
                        if rest[..comma].contains([')', ';', '{']) {
                            continue;
                        }
                        rest = &rest[comma + 1..];
                    }
                    let rest = rest.trim_start();
                    let rest = rest.strip_prefix("format!(").unwrap_or(rest).trim_start();
                    let Some(body) = rest.strip_prefix('"') else {
                        continue;
                    };
                    let mut literal = String::new();
                    let mut chars = body.chars();
                    while let Some(ch) = chars.next() {
                        match ch {
                            '"' => break,
                            '\\' => {
                                if let Some(next) = chars.next() {
                                    literal.push(next);
                                }
                            }
                            _ => literal.push(ch),
                        }
                    }
                    // Each `{...}` of the format string is an argument.
                    let mut shaped = String::new();
                    let mut depth = 0;
                    for ch in literal.chars() {
                        match ch {
                            '{' => {
                                if depth == 0 {
                                    shaped.push_str("{}");
                                }
                                depth += 1;
                            }
                            '}' if depth > 0 => depth -= 1,
                            _ if depth > 0 => {}
                            _ => shaped.push(ch),
                        }
                    }
                    let name = file.strip_prefix(&root).unwrap().display().to_string();
                    out.push((name, shaped));
                }
            }
        }
        out
    }

    /// Issue 20, finding 2: a reason was English on every page ("Өндірушінің
    /// БСН: has a wrong check digit"). Every reason the code writes is now a
    /// `reason-*` message, so each language words it.
    #[test]
    fn every_reason_the_code_writes_is_a_message() {
        // What is not a reason a person reads beside a field: internal
        // failures, and the configuration's refusals at start-up.
        const NOT_REASONS: [&str; 5] = [
            "invalid input",
            "no body",
            "a {} case has a `{}` body",
            "cannot read {}: {}",
            "smtp_username needs smtp_tls = \"starttls\" or \"tls\": a password is never sent over a connection that may be unencrypted",
        ];
        let written = written_reasons();
        assert!(written.len() > 100, "{}", written.len());
        let mut missing = Vec::new();
        for (file, shaped) in &written {
            if NOT_REASONS.contains(&shaped.as_str()) || shaped.is_empty() {
                continue;
            }
            // Fill each argument with a sample that no literal contains.
            let sample = shaped.replace("{}", "7x7");
            if reason_of(&sample).is_none() {
                missing.push(format!("{file}: {shaped}"));
            }
        }
        missing.sort();
        missing.dedup();
        assert!(
            missing.is_empty(),
            "reasons without a `reason-*` message in en.ftl:\n{}",
            missing.join("\n")
        );
    }

    /// The signature checks' reasons (senim-eds, outside the scanned
    /// crates) are messages too.
    #[test]
    fn every_signature_refusal_is_a_message() {
        for kind in senim_eds::RefusalKind::ALL {
            let (id, _) = reason_of(kind.reason()).unwrap_or_else(|| panic!("{kind:?}"));
            assert!(id.starts_with("reason-eds-"), "{kind:?}: {id}");
        }
    }

    #[test]
    fn a_reason_is_read_back_and_worded_in_each_language() {
        let english = "has a wrong check digit: the last digit should be 7";
        let (id, args) = reason_of(english).unwrap();
        assert_eq!(id, "reason-bin-check-digit");
        assert_eq!(args, [("expected", "7".to_string())]);
        assert_eq!(Tr::new(Lang::En).reason(english), english);
        let kk = Tr::new(Lang::Kk).reason(english);
        assert!(kk.contains('7') && !kk.contains("check digit"), "{kk}");
        let ru = Tr::new(Lang::Ru).reason(english);
        assert!(ru.contains('7') && !ru.contains("check digit"), "{ru}");
        // Two arguments, and text that only looks like a reason.
        let long = "must be at most 200 characters, got 201";
        let (_, args) = reason_of(long).unwrap();
        assert_eq!(
            args,
            [("max", "200".to_string()), ("count", "201".to_string())]
        );
        assert!(reason_of("must be at most").is_none());
        assert!(reason_of("a sentence no message makes").is_none());
        assert_eq!(
            Tr::new(Lang::Kk).reason("a sentence no message makes"),
            "a sentence no message makes"
        );
    }

    /// Every kind of event the log holds (the store's replay fixtures hold
    /// one of each) has its words on the audit log's pages: one lacking
    /// them showed its code ("course-reviewer sectors set").
    #[test]
    fn every_kind_of_event_has_its_words() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../senim-store/tests/fixtures/replay");
        let en = Tr::new(Lang::En);
        let mut kinds = std::collections::BTreeSet::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                let v: serde_json::Value = serde_json::from_str(line).unwrap();
                if let Some(kind) = v["kind"].as_str() {
                    kinds.insert(kind.to_string());
                }
            }
        }
        assert!(kinds.len() > 50, "{kinds:?}");
        let missing: Vec<_> = kinds
            .iter()
            .filter(|k| !en.has(&format!("event-{}", k.replace(['.', '_'], "-"))))
            .collect();
        assert!(missing.is_empty(), "no words for {missing:?}");
    }

    /// Every notice the domain leaves names a message that exists, with
    /// the arguments it gives; and a notice says in English what the domain
    /// wrote.
    #[test]
    fn every_notice_has_its_message() {
        let sources = [
            include_str!("../../senim-domain/src/registration.rs"),
            include_str!("../../senim-domain/src/oversight.rs"),
            include_str!("../../senim-domain/src/access.rs"),
        ];
        let en = ids(SOURCES[2].2);
        let mut seen = 0;
        for source in sources {
            // The domain's own code, not its tests.
            let source = source.split("#[cfg(test)]").next().unwrap_or(source);
            for (i, _) in source.match_indices("\"notice-") {
                let rest = &source[i + 1..];
                let end = rest.find('"').unwrap_or(rest.len());
                let key = &rest[..end];
                assert!(en.contains(key), "no message `{key}` in en.ftl");
                // The arguments given right after the key: `&[("name", ...)]`.
                let given: BTreeSet<String> = rest[end..]
                    .split_once(']')
                    .map(|(args, _)| args)
                    .unwrap_or("")
                    .split("(\"")
                    .skip(1)
                    .filter_map(|a| a.split('"').next())
                    .map(str::to_string)
                    .collect();
                assert_eq!(
                    variables(SOURCES[2].2, key),
                    given,
                    "`{key}` takes other arguments than the domain gives"
                );
                seen += 1;
            }
        }
        assert!(seen > 30, "only {seen} notices found");
        let notice = senim_domain::registration::review_due_notices(
            senim_domain::OrganisationId::generate(),
            senim_domain::Timestamp::parse("2025-03-01T10:00:00Z").unwrap(),
        );
        let en = Tr::new(Lang::En);
        for n in &notice {
            assert_eq!(en.notice(&n.key, &n.args, "unused"), n.text);
        }
        let ru = Tr::new(Lang::Ru).notice(&notice[0].key, &notice[0].args, "unused");
        assert!(ru.contains("2025-03-01") && ru.starts_with("Риски"), "{ru}");
    }

    #[test]
    fn accept_language_picks_the_best_we_have() {
        assert_eq!(
            from_accept_language("ru-RU,ru;q=0.9,en;q=0.8"),
            Some(Lang::Ru)
        );
        assert_eq!(
            from_accept_language("de-DE,en;q=0.5,kk;q=0.7"),
            Some(Lang::Kk)
        );
        assert_eq!(from_accept_language("fr"), None);
        assert_eq!(from_accept_language("en;q=0,ru;q=0.1"), Some(Lang::Ru));
        assert_eq!(from_accept_language(""), None);
    }

    #[test]
    fn messages_format_with_arguments_and_fall_back() {
        let en = Tr::new(Lang::En);
        assert_eq!(en.t("no-such-message"), "no-such-message");
        let kk = Tr::new(Lang::Kk);
        assert!(!kk.t("site-name").is_empty());
        assert_eq!(en.term("risk", "high"), en.t("risk-high"));
        assert_eq!(en.term("risk", "unheard_of"), "unheard of");
    }
}
