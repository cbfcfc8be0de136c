//! The rule language on a small pack written here: precedence, the checker's
//! messages and lines, explanation, gaps, change reports, round trip.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use senim_domain::{Documentation, Profile, RiskLevel};
use senim_rules::{Lang, RulePack};

const PACK: &str = r#"
id = "test-pack"
version = "1.0.0"
jurisdiction = "KZ"
effective = "2026-01-18"
status = "draft"

[title]
kk = "Сынақ"
ru = "Тест"
en = "Test"

[[citations]]
id = "art-1"
[citations.source]
kk = "Сынақ заңы, 1-бап"
ru = "Тестовый закон, статья 1"
en = "Test law, Article 1"

[[citations]]
id = "art-2"
[citations.source]
kk = "Сынақ заңы, 2-бап"
ru = "Тестовый закон, статья 2"
en = "Test law, Article 2"

[default]
citation = "art-1"
[default.text]
kk = "Ешбір ереже қолданылмады."
ru = "Ни одно правило не применилось."
en = "No rule applied."

[levels.prohibited]
registration = true
expert_review = false
reviewers = 0
documentation = ["purpose"]
obligations = ["stop"]

[levels.high]
registration = true
expert_review = true
reviewers = 2
documentation = ["purpose", "human_oversight"]
obligations = ["document"]

[levels.medium]
registration = false
expert_review = false
reviewers = 0
documentation = ["purpose"]

[levels.minimal]
registration = false
expert_review = false
reviewers = 0

[[obligations]]
id = "document"
citation = "art-2"
documentation = ["limitations", "training_data"]
[obligations.title]
kk = "Құжаттау"
ru = "Документировать"
en = "Document the system"

[[obligations]]
id = "stop"
citation = "art-1"
[obligations.title]
kk = "Тоқтату"
ru = "Прекратить"
en = "Stop using it"

[[obligations]]
id = "disclose"
citation = "art-2"
documentation = ["user_disclosure"]
[obligations.title]
kk = "Ескерту"
ru = "Сообщать"
en = "Tell people"

[[rules]]
id = "health"
citation = "art-2"
risk = "high"
when = { all = [
  { field = "sectors", has = "healthcare" },
  { not = { field = "affects", has = "none" } },
] }
[rules.rationale]
kk = "Денсаулық."
ru = "Здоровье."
en = "Used in healthcare and affects people."

[[rules]]
id = "chat"
citation = "art-2"
risk = "medium"
obligations = ["disclose"]
when = { field = "functions", has_any = ["conversational", "content_generation"] }
[rules.rationale]
kk = "Чат."
ru = "Чат."
en = "Talks with people."

[[rules]]
id = "scoring"
citation = "art-1"
risk = "prohibited"
prohibited = ["social-scoring"]
note = "Read broadly."
when = { field = "functions", has = "social_scoring" }
[rules.rationale]
kk = "Әлеуметтік рейтинг."
ru = "Социальный рейтинг."
en = "Scores people socially."

[[rules]]
id = "face"
citation = "art-1"
risk = "high"
autonomy = "high"
when = { all = [
  { field = "real_time", is = true },
  { field = "legal_exception", present = true },
  { field = "failure_impact", in = ["moderate", "severe"] },
] }
[rules.rationale]
kk = "Бет."
ru = "Лицо."
en = "Face."

[deadlines]
preliminary_expert_review = 20

[sanctions]
citation = "art-1"
[[sanctions.fines]]
size_class = "individual"
first = 15
repeat = 30
[[sanctions.fines]]
size_class = "small"
first = 20
repeat = 50
[[sanctions.fines]]
size_class = "medium"
first = 30
repeat = 70
[[sanctions.fines]]
size_class = "large"
first = 100
repeat = 200
"#;

fn pack() -> RulePack {
    RulePack::parse(PACK, "test.toml").unwrap()
}

fn profile(json: serde_json::Value) -> Profile {
    let mut base = serde_json::json!({
        "sectors": ["other"], "functions": ["other"], "autonomy": "low",
        "affects": ["none"], "failure_impact": "minimal"
    });
    for (k, v) in json.as_object().unwrap() {
        base[k] = v.clone();
    }
    serde_json::from_value::<Profile>(base)
        .unwrap()
        .parse_alone()
        .unwrap()
}

#[test]
fn no_rule_fires_gives_minimal_with_default_rationale() {
    let p = pack();
    let outcome = p.classify(&profile(serde_json::json!({})));
    assert_eq!(outcome.risk_level, RiskLevel::Minimal);
    assert!(outcome.rules.is_empty());
    let c = p.explain(&outcome, Lang::Ru);
    assert_eq!(c.rationale[0].rule, "default");
    assert_eq!(c.rationale[0].text, "Ни одно правило не применилось.");
}

#[test]
fn most_severe_rule_wins_and_requirements_accumulate() {
    let p = pack();
    let o = p.classify(&profile(serde_json::json!({
        "sectors": ["healthcare"], "affects": ["health"], "functions": ["conversational"]
    })));
    assert_eq!(o.risk_level, RiskLevel::High);
    assert_eq!(o.rules, ["health", "chat"]);
    assert!(o.registration_required && o.expert_review_required);
    assert_eq!(o.reviewers, 2);
    assert_eq!(
        o.obligations,
        ["document", "disclose"],
        "the level's, then the rules', in pack order"
    );
    let docs: Vec<&str> = o
        .documentation_required
        .iter()
        .map(|d| d.as_str())
        .collect();
    assert_eq!(
        docs,
        [
            "purpose",
            "limitations",
            "training_data",
            "human_oversight",
            "user_disclosure"
        ]
    );
    let c = p.explain(&o, Lang::En);
    assert_eq!(c.rationale.len(), 2);
    assert_eq!(c.rationale[0].citation.id, "art-2");
    assert_eq!(c.obligations[0].title, "Document the system");
}

#[test]
fn prohibited_beats_everything_and_is_never_registered() {
    let p = pack();
    let o = p.classify(&profile(serde_json::json!({
        "sectors": ["healthcare"], "affects": ["health"], "functions": ["social_scoring"]
    })));
    assert_eq!(o.risk_level, RiskLevel::Prohibited);
    assert_eq!(o.prohibited_practices, ["social-scoring"]);
    assert!(
        !o.registration_required,
        "a prohibited system cannot be registered"
    );
    // The drafting note is for the pack's lawyers: never in a
    // classification, which public pages and the API show.
    let c = p.explain(&o, Lang::Kk);
    let shown = serde_json::to_string(&c).unwrap();
    assert!(!shown.contains("Read broadly"), "{shown}");
    assert_eq!(
        p.drafting_notes(),
        [("scoring".to_string(), "Read broadly.".to_string())]
    );
    // Its citation is quoted in the reader's language.
    assert!(
        c.rationale
            .iter()
            .any(|r| r.citation.source == "Сынақ заңы, 1-бап"),
        "{shown}"
    );
}

#[test]
fn a_pack_offered_now_needs_its_legal_status_and_sources_in_three_languages() {
    let plain = PACK.replace(
        "[citations.source]\nkk = \"Сынақ заңы, 1-бап\"\nru = \"Тестовый закон, статья 1\"\nen = \"Test law, Article 1\"",
        "source = \"Test law, Article 1\"",
    );
    assert_ne!(plain, PACK);
    let msg = problems(&plain);
    assert!(
        msg.contains("citation `art-1`: source: give it in kk, ru and en"),
        "{msg}"
    );
    let no_ru = PACK.replace("ru = \"Тестовый закон, статья 2\"\n", "");
    assert!(
        problems(&no_ru).contains("citation `art-2`: source: missing ru translation"),
        "{}",
        problems(&no_ru)
    );
    let no_status = PACK.replace("status = \"draft\"\n", "");
    assert!(
        problems(&no_status).contains("status: missing; say what the text is in law"),
        "{}",
        problems(&no_status)
    );
    let wrong = PACK.replace("status = \"draft\"", "status = \"in force\"");
    assert!(problems(&wrong).contains("unknown status `in force`"));
    // A pack the store kept from before reads as it was published: its one
    // source in every language, and a draft.
    let old = plain.replace("status = \"draft\"\n", "");
    let p = RulePack::parse_stored(&old, "stored.toml").unwrap();
    assert_eq!(p.status, senim_domain::classification::LegalStatus::Draft);
    assert_eq!(
        p.citation("art-1", Lang::Ru).unwrap().source,
        "Test law, Article 1"
    );
    assert_eq!(
        p.citation("art-2", Lang::Ru).unwrap().source,
        "Тестовый закон, статья 2"
    );
}

#[test]
fn a_record_quoting_the_pack_in_english_reads_in_the_readers_language() {
    let book = senim_rules::RuleBook::new(vec![pack()], "test-pack").unwrap();
    let quoted = pack().citation("art-2", Lang::En).unwrap();
    assert_eq!(book.requote(&quoted, Lang::Kk).source, "Сынақ заңы, 2-бап");
    assert_eq!(
        book.retitle("document", "Document the system", Lang::Ru),
        "Документировать"
    );
    // Words the pack does not have (changed since, or never its own) are
    // shown as the record quoted them.
    let changed = senim_domain::classification::Citation {
        source: "Test law, Article 2 (old wording)".into(),
        ..quoted
    };
    assert_eq!(book.requote(&changed, Lang::Kk), changed);
    assert_eq!(book.retitle("document", "Old title", Lang::Ru), "Old title");
}

#[test]
fn optional_enum_and_autonomy_rules() {
    let p = pack();
    let with = p.classify(&profile(serde_json::json!({
        "real_time": true, "legal_exception": "imminent_threat", "failure_impact": "severe"
    })));
    assert_eq!(with.risk_level, RiskLevel::High);
    assert_eq!(
        with.autonomy.as_str(),
        "high",
        "a rule may raise the autonomy level"
    );
    let without = p.classify(&profile(
        serde_json::json!({"real_time": true, "failure_impact": "severe"}),
    ));
    assert_eq!(without.risk_level, RiskLevel::Minimal);
}

#[test]
fn gaps_name_missing_items_with_citations() {
    let p = pack();
    let o = p.classify(&profile(
        serde_json::json!({"sectors": ["healthcare"], "affects": ["health"]}),
    ));
    let docs = Documentation {
        purpose: Some("Triage.".into()),
        limitations: Some("   ".into()),
        ..Default::default()
    };
    let gaps = p.gaps(&o, &docs);
    let items: Vec<&str> = gaps.iter().map(|g| g.item.as_str()).collect();
    assert_eq!(items, ["limitations", "training_data", "human_oversight"]);
    assert_eq!(gaps[0].required_by, ["document"]);
    assert_eq!(gaps[0].citations[0].id, "art-2");
    assert_eq!(gaps[2].required_by, ["level:high"]);
}

#[test]
fn change_report_names_the_rules_that_made_the_difference() {
    let p = pack();
    let stricter = PACK
        .replace(
            "risk = \"medium\"\nobligations = [\"disclose\"]",
            "risk = \"high\"\nobligations = [\"disclose\"]",
        )
        .replace("version = \"1.0.0\"", "version = \"1.1.0\"");
    let q = RulePack::parse(&stricter, "v2.toml").unwrap();
    let chat = profile(serde_json::json!({"functions": ["conversational"]}));
    let change = p.classify(&chat).change_to(&q.classify(&chat)).unwrap();
    assert_eq!(
        (change.from_risk_level, change.to_risk_level),
        (RiskLevel::Medium, RiskLevel::High)
    );
    assert!(change.obligations_added.contains(&"document".to_string()));
    let plain = profile(serde_json::json!({}));
    assert!(p.classify(&plain).change_to(&q.classify(&plain)).is_none());
}

#[test]
fn round_trip_through_the_canonical_form() {
    let p = pack();
    let text = p.to_toml();
    let again = RulePack::parse(&text, "canonical.toml").unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert!(p.same_as(&again), "{text}");
}

fn problems(source: &str) -> String {
    RulePack::parse(source, "bad.toml").unwrap_err().to_string()
}

#[test]
fn checker_reports_unknown_fields_and_values_with_lines() {
    let bad = PACK.replace(
        "{ field = \"sectors\", has = \"healthcare\" }",
        "{ field = \"sector\", has = \"healthcare\" }",
    );
    let msg = problems(&bad);
    assert!(
        msg.contains("bad.toml:90:"),
        "the line of the condition itself: {msg}"
    );
    assert!(msg.contains("unknown profile field `sector`"), "{msg}");
    let bad = PACK.replace("has = \"healthcare\"", "has = \"space\"");
    let msg = problems(&bad);
    assert!(
        msg.contains("unknown value `\"space\"` for `sectors`") && msg.contains("agriculture"),
        "{msg}"
    );
    let bad = PACK.replace(
        "{ field = \"real_time\", is = true }",
        "{ field = \"real_time\", has = true }",
    );
    assert!(problems(&bad).contains("`real_time` is true or false"));
    let bad = PACK.replace("risk = \"medium\"", "risk = \"severe\"");
    assert!(problems(&bad).contains("risk unknown value `severe`"));
    let bad = PACK.replace(
        "jurisdiction = \"KZ\"",
        "jurisdiction = \"KZ\"\ncolour = \"red\"",
    );
    let msg = problems(&bad);
    assert!(
        msg.contains("bad.toml:5:") && msg.contains("colour"),
        "{msg}"
    );
}

#[test]
fn checker_finds_rules_that_can_never_fire() {
    let bad = PACK.replace(
        "when = { field = \"functions\", has = \"social_scoring\" }",
        "when = { all = [{ field = \"autonomy\", is = \"low\" }, { field = \"autonomy\", is = \"high\" }] }",
    );
    let msg = problems(&bad);
    assert!(msg.contains("rule scoring can never fire"), "{msg}");
    let bad = PACK.replace(
        "when = { field = \"functions\", has = \"social_scoring\" }",
        "when = { all = [{ field = \"real_time\", is = true }, { not = { field = \"real_time\", is = true } }] }",
    );
    assert!(problems(&bad).contains("can never fire"));
}

#[test]
fn checker_finds_missing_translations_and_citations() {
    let bad = PACK.replace("en = \"Talks with people.\"", "");
    let msg = problems(&bad);
    assert!(
        msg.contains("rule chat rationale: missing en translation"),
        "{msg}"
    );
    let bad = PACK.replace("id = \"chat\"\ncitation = \"art-2\"\n", "id = \"chat\"\n");
    assert!(problems(&bad).contains("rule chat: missing citation"));
    let bad = PACK.replace(
        "id = \"chat\"\ncitation = \"art-2\"",
        "id = \"chat\"\ncitation = \"art-9\"",
    );
    assert!(problems(&bad).contains("unknown citation `art-9`"));
    let bad = PACK.replace("obligations = [\"disclose\"]", "obligations = [\"dance\"]");
    assert!(problems(&bad).contains("unknown obligation `dance`"));
    let bad = PACK.replace("[levels.minimal]", "[levels.trivial]");
    let msg = problems(&bad);
    assert!(
        msg.contains("the `minimal` level is missing") && msg.contains("unknown level `trivial`"),
        "{msg}"
    );
    let bad = PACK.replace(
        "risk = \"prohibited\"\nprohibited = [\"social-scoring\"]",
        "risk = \"high\"\nprohibited = [\"social-scoring\"]",
    );
    assert!(problems(&bad).contains("lists prohibited practices but its risk is `high`"));
}

const THRESHOLDS: &str = r#"
[[thresholds]]
metric = "disparate_impact"
min = 0.8
severity = "high"
obligation = "OBLIGATION"
citation = "art-2"
title = { kk = "Төрттен бес ережесі", ru = "Правило четырёх пятых", en = "The four-fifths rule" }
"#;

#[test]
fn thresholds_are_checked_and_round_trip() {
    let obligation = pack().obligation_ids()[0].clone();
    let with = format!("{PACK}{}", THRESHOLDS.replace("OBLIGATION", &obligation));
    let p = RulePack::parse(&with, "t.toml").unwrap_or_else(|e| panic!("{e}"));
    let t = p.thresholds(Lang::Ru);
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].title, "Правило четырёх пятых");
    assert_eq!(t[0].citation.id, "art-2");
    assert!(t[0].breached_by(0.79) && !t[0].breached_by(0.8) && !t[0].breached_by(f64::NAN));
    let again = RulePack::parse(&p.to_toml(), "canonical.toml").unwrap_or_else(|e| panic!("{e}"));
    assert!(p.same_as(&again));
    let bad = with
        .replace("disparate_impact", "disparate_impacts")
        .replace("min = 0.8", "min = 0.8\nmax = 1.25")
        .replace(
            &format!("obligation = \"{obligation}\""),
            "obligation = \"nope\"",
        );
    let msg = problems(&bad);
    assert!(
        msg.contains("unknown metric; allowed metrics: demographic_parity_difference"),
        "{msg}"
    );
    assert!(msg.contains("give exactly one of min and max"), "{msg}");
    assert!(msg.contains("unknown obligation `nope`"), "{msg}");
}
