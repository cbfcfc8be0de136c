//! A case's JSON is what the log has committed to: the store's `data`
//! column, the API's responses and, above all, the events' payloads, which
//! must replay for ever. These fixtures were captured from the code before
//! cases had typed states and one body enum (the HTTP test suite's
//! databases: the `data` column and the events' payloads, one case of every
//! kind in every state it reached), so any change to the wire form shows here.

use senim_domain::Case;

const CASES: &str = include_str!("fixtures/cases.jsonl");
const PUBLIC_CASES: &str = include_str!("fixtures/public_cases.jsonl");

#[test]
fn every_kind_and_state_round_trips_to_the_same_bytes() {
    let mut seen = Vec::new();
    for line in CASES.lines() {
        let case: Case = serde_json::from_str(line).unwrap();
        assert_eq!(serde_json::to_string(&case).unwrap(), line);
        let value: serde_json::Value = serde_json::from_str(line).unwrap();
        seen.push((value["kind"].clone(), value["state"].clone()));
    }
    // Every kind is in the fixtures, in more than one state where it has them.
    for kind in [
        "registration",
        "report",
        "audit",
        "investigation",
        "trusted_list",
        "data_access",
    ] {
        assert!(seen.iter().any(|(k, _)| k == kind), "no {kind} case");
    }
    assert_eq!(seen.len(), 28);
}

#[test]
fn public_cases_without_their_bodies_round_trip() {
    for line in PUBLIC_CASES.lines() {
        let value: serde_json::Value = serde_json::from_str(line).unwrap();
        let case: Case = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(serde_json::to_value(&case).unwrap(), value);
    }
}

#[test]
fn a_state_the_kind_does_not_have_is_refused() {
    let line = CASES
        .lines()
        .find(|l| l.contains(r#""kind":"report""#))
        .unwrap();
    let mut value: serde_json::Value = serde_json::from_str(line).unwrap();
    value["state"] = "registered".into();
    assert!(serde_json::from_value::<Case>(value).is_err());
}
