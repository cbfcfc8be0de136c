#![no_main]

use libfuzzer_sys::fuzz_target;

// The first byte picks the parser; see `senim_server::fuzzing::request_parsers`.
fuzz_target!(|data: &[u8]| {
    senim_server::fuzzing::request_parsers(data);
});
