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
