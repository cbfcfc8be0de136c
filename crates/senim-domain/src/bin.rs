//! The business identification number (BIN) of a Kazakh legal entity.
//!
//! Twelve digits, the last a check digit computed with two rounds of weights
//! modulo 11 (the same scheme as the individual IIN). A number whose check
//! digit would be 10 in both rounds is never issued, so it is refused.

use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A BIN whose length and check digit are valid.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[schema(value_type = String, example = "940540000131")]
#[serde(try_from = "String", into = "String")]
pub struct Bin(String);

impl Bin {
    pub fn parse(value: &str) -> Result<Bin, String> {
        let value = value.trim();
        if value.len() != 12 || !value.bytes().all(|b| b.is_ascii_digit()) {
            return Err("must be exactly 12 digits".into());
        }
        let digits: Vec<u32> = value.bytes().map(|b| u32::from(b - b'0')).collect();
        let expected = check_digit(&digits[..11])
            .ok_or_else(|| "is not a valid BIN: no check digit exists for it".to_string())?;
        if digits[11] != expected {
            return Err(format!(
                "has a wrong check digit: the last digit should be {expected}"
            ));
        }
        Ok(Bin(value.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The check digit for the first eleven digits, or `None` when the number is unusable.
pub fn check_digit(first_eleven: &[u32]) -> Option<u32> {
    let round = |weights: &[u32]| -> u32 {
        first_eleven
            .iter()
            .zip(weights)
            .map(|(d, w)| d * w)
            .sum::<u32>()
            % 11
    };
    let first = round(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    if first != 10 {
        return Some(first);
    }
    let second = round(&[3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2]);
    (second != 10).then_some(second)
}

/// The whole BIN for eleven digits (their check digit appended), or `None`
/// when they are not eleven digits or no check digit exists for them.
pub fn complete(first_eleven: &str) -> Option<String> {
    if first_eleven.len() != 11 || !first_eleven.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits: Vec<u32> = first_eleven.bytes().map(|b| u32::from(b - b'0')).collect();
    check_digit(&digits).map(|d| format!("{first_eleven}{d}"))
}

impl TryFrom<String> for Bin {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Bin::parse(&value)
    }
}

impl From<Bin> for String {
    fn from(value: Bin) -> Self {
        value.0
    }
}

impl fmt::Display for Bin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn with_check(first: &str) -> String {
        let digits: Vec<u32> = first.bytes().map(|b| u32::from(b - b'0')).collect();
        format!("{first}{}", check_digit(&digits).unwrap())
    }

    #[test]
    fn known_bin_is_accepted() {
        // 9405 4 0 000 13 6 — first round: sum of d*i mod 11 = 6.
        let bin = with_check("94054000013");
        assert!(Bin::parse(&bin).is_ok(), "{bin}");
    }

    #[test]
    fn wrong_length_and_letters_are_refused() {
        assert!(Bin::parse("12345").is_err());
        assert!(Bin::parse("12345678901a").is_err());
        assert!(Bin::parse("1234567890123").is_err());
    }

    proptest! {
        #[test]
        fn exactly_one_last_digit_passes(first in "[0-9]{11}") {
            let digits: Vec<u32> = first.bytes().map(|b| u32::from(b - b'0')).collect();
            let passing: Vec<u32> = (0..10)
                .filter(|d| Bin::parse(&format!("{first}{d}")).is_ok())
                .collect();
            match check_digit(&digits) {
                Some(c) => prop_assert_eq!(passing, vec![c]),
                None => prop_assert!(passing.is_empty()),
            }
        }
    }
}
