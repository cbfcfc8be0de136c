//! RFC 8785's own examples.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use senim_tlog::canonical;
use serde_json::json;

#[test]
fn members_sort_by_utf16_code_units() {
    // RFC 8785 §3.2.3: U+1F600 (surrogates D83D DE00) sorts before U+FB33.
    let value = json!({
        "\u{20ac}": "Euro Sign",
        "\r": "Carriage Return",
        "\u{fb33}": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\u{1f600}": "Emoji: Grinning Face",
        "\u{80}": "Control",
        "\u{f6}": "Latin Small Letter O With Diaeresis"
    });
    let expected = concat!(
        "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u{80}\":\"Control\",",
        "\"\u{f6}\":\"Latin Small Letter O With Diaeresis\",\"\u{20ac}\":\"Euro Sign\",",
        "\"\u{1f600}\":\"Emoji: Grinning Face\",\"\u{fb33}\":\"Hebrew Letter Dalet With Dagesh\"}"
    );
    assert_eq!(canonical(&value).unwrap(), expected);
}

#[test]
fn no_whitespace_and_ecmascript_string_escapes() {
    let value = json!({"b": [1, true, null, "x\"\\\u{1}\n\u{2028}é"], "a": {"z": -9007199254740991_i64, "y": 9007199254740991_u64}});
    assert_eq!(
        canonical(&value).unwrap(),
        "{\"a\":{\"y\":9007199254740991,\"z\":-9007199254740991},\"b\":[1,true,null,\"x\\\"\\\\\\u0001\\n\u{2028}é\"]}"
    );
}

#[test]
fn numbers_other_than_safe_integers_are_refused() {
    assert!(canonical(&json!(1.5)).is_err());
    assert!(canonical(&json!(9007199254740992_u64)).is_err());
    assert!(canonical(&json!({"a": [0.1]})).is_err());
}
