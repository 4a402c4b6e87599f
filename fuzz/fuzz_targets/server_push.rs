//! cargo-fuzz target `server_push`: the checks are in `danvan_fuzz::server_push` (fuzz/src/server_push.rs).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    danvan_fuzz::let_danvan_catch_automerge_panics();
    danvan_fuzz::server_push::run(data)
});
