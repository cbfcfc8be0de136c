//! One entry point for every request parser, for the fuzz target in `fuzz/`
//! and for the property test that runs in the ordinary test suite.
//!
//! The contract: whatever the bytes, parsing returns a value or an error
//! that names a field, and never panics.

use senim_domain::api::{LoginInput, TokenLoginInput, TokenRequest, WithdrawInput};
use senim_domain::{AccountInput, OrganisationInput, Profile, SystemInput, VersionInput};

use crate::extract::decode_json;

fn built_in_packs() -> &'static [senim_rules::RulePack] {
    static PACKS: std::sync::OnceLock<Vec<senim_rules::RulePack>> = std::sync::OnceLock::new();
    PACKS.get_or_init(|| senim_rules::built_in_packs().unwrap_or_default())
}

/// Runs `data` through the parser chosen by its first byte.
pub fn request_parsers(data: &[u8]) {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    match selector % 10 {
        0 => {
            if let Ok(input) = decode_json::<SystemInput>(body) {
                let _ = VersionInput::from(input).parse();
            }
        }
        1 => {
            if let Ok(input) = decode_json::<VersionInput>(body) {
                let _ = input.parse();
            }
        }
        2 => {
            if let Ok(input) = decode_json::<OrganisationInput>(body) {
                let _ = input.parse();
            }
        }
        3 => {
            if let Ok(input) = decode_json::<AccountInput>(body) {
                let _ = input.parse();
            }
        }
        4 => {
            if let Ok(p) = decode_json::<Profile>(body) {
                let _ = p.parse_alone();
            }
        }
        5 => {
            let _ = decode_json::<TokenRequest>(body);
            let _ = decode_json::<TokenLoginInput>(body);
        }
        6 => {
            let _ = decode_json::<LoginInput>(body);
            let _ = decode_json::<WithdrawInput>(body);
        }
        8 => {
            // The pack parser and checker: any text is a pack or a list of problems.
            if let Ok(text) = std::str::from_utf8(body) {
                let _ = senim_rules::RulePack::parse(text, "fuzz.toml");
            }
        }
        9 => {
            // The classify endpoint's work: parse the request, classify under every pack.
            if let Ok(input) = decode_json::<senim_domain::api::ClassifyInput>(body) {
                if let Ok(profile) = input.profile.parse_alone() {
                    for pack in built_in_packs() {
                        let outcome = pack.classify(&profile);
                        let _ = pack.explain(&outcome, input.lang.unwrap_or_default());
                    }
                }
            }
        }
        _ => {
            if let Ok(text) = std::str::from_utf8(body) {
                let _ = senim_domain::Bin::parse(text);
                let _ = senim_domain::Email::parse(text);
                let _ = senim_domain::organisation::check_url(text);
                let _ = senim_domain::Timestamp::parse(text);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn pack_parser_never_panics_on_mangled_packs(cut in 0usize..20_000, junk in "[\\[\\]{}=\",a-z0-9 \n]{0,40}") {
            let text = senim_rules::BUILT_IN[0].1;
            let cut = cut.min(text.len());
            let cut = (0..=cut).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
            let mangled = format!("{}{}{}", &text[..cut], junk, &text[cut..]);
            let mut data = vec![8u8];
            data.extend_from_slice(mangled.as_bytes());
            request_parsers(&data);
        }

        #[test]
        fn parsers_never_panic_on_bytes(data in proptest::collection::vec(any::<u8>(), 0..400)) {
            request_parsers(&data);
        }

        #[test]
        fn parsers_never_panic_on_near_json(selector in 0u8..10, text in r#"\{("[a-z_]{1,12}":("[^"]{0,20}"|\[("[a-z_]{1,10}",?){0,4}\]|[0-9]{1,13}|true|null|\{\}),?){0,6}\}"#) {
            let mut data = vec![selector];
            data.extend_from_slice(text.as_bytes());
            request_parsers(&data);
        }
    }
}
