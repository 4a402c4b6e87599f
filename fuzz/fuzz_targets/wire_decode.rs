//! cargo-fuzz target `wire_decode`: the checks are in `danvan_fuzz::wire_decode` (fuzz/src/wire_decode.rs).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| danvan_fuzz::wire_decode::run(data));
