//! RFC 8785 JSON Canonicalization Scheme, for log entries: the same event
//! always becomes the same bytes, so its leaf hash can be recomputed by
//! anyone with any JSON library that implements the RFC.
//!
//! Object members are sorted by the UTF-16 code units of their names,
//! nothing is indented, strings are escaped as ECMAScript's `JSON.stringify`
//! does. Numbers: log entries hold integers only (ids, sizes, versions), so
//! integers within ±2^53 are written as ECMAScript would and anything else
//! is refused rather than risk a representation another implementation
//! would write differently.

use serde_json::Value;

/// Why a value has no canonical form here.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JcsError {
    #[error("number {0} is not an integer within ±2^53; log entries hold integers only")]
    Number(String),
}

const MAX_SAFE: i64 = (1 << 53) - 1;

/// The canonical form of `value`.
pub fn canonical(value: &Value) -> Result<String, JcsError> {
    let mut out = String::new();
    write(value, &mut out)?;
    Ok(out)
}

fn write(value: &Value, out: &mut String) -> Result<(), JcsError> {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            let ok = n
                .as_i64()
                .filter(|i| (-MAX_SAFE..=MAX_SAFE).contains(i))
                .map(|i| i.to_string())
                .or_else(|| {
                    n.as_u64()
                        .filter(|u| *u <= MAX_SAFE as u64)
                        .map(|u| u.to_string())
                });
            match ok {
                Some(text) => out.push_str(&text),
                None => return Err(JcsError::Number(n.to_string())),
            }
        }
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(item, out)?;
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            members.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
            out.push('{');
            for (i, (key, item)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(key, out);
                out.push(':');
                write(item, out)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}
