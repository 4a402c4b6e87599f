//! cargo-fuzz target `units_csv`: the checks are in `danvan_fuzz::units_csv` (fuzz/src/units_csv.rs).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| danvan_fuzz::units_csv::run(data));
