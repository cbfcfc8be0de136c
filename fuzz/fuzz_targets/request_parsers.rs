#![no_main]

use libfuzzer_sys::fuzz_target;

// The first byte picks the parser; see `senim_app::fuzzing::request_parsers`.
fuzz_target!(|data: &[u8]| {
    senim_app::fuzzing::request_parsers(data);
});
