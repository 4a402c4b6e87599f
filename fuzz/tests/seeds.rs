//! The committed seeds through the fuzz targets' checks (with the stable toolchain, no
//! libFuzzer): every seed passes, and the `server_push` seeds reach the decisions they were
//! written for, so the corpus starts deep in the code under test.
//! `cargo test --manifest-path fuzz/Cargo.toml`.

use std::path::Path;

fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("seeds")
        .join(target);
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .expect("seed directory")
        .map(|f| {
            let path = f.expect("seed file").path();
            let name = path
                .file_name()
                .expect("a name")
                .to_string_lossy()
                .into_owned();
            (name, std::fs::read(&path).expect("seed bytes"))
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no seed for {target}");
    out
}

#[test]
fn wire_decode_seeds_pass_and_decode() {
    use danvan_core::sync::wire::{SyncRequest, SyncResponse};
    for (name, data) in seeds("wire_decode") {
        danvan_fuzz::wire_decode::run(&data);
        let decodes = danvan_fuzz::wire_decode::check::<SyncRequest>(&data).is_some()
            || danvan_fuzz::wire_decode::check::<SyncResponse>(&data).is_some();
        assert!(
            decodes,
            "{name} decodes as neither a request nor a response"
        );
    }
}

#[test]
fn server_push_seeds_reach_their_decisions() {
    let mut accepted_edits = 0;
    for (name, data) in seeds("server_push") {
        let got = danvan_fuzz::server_push::outcome(&data).expect("a push");
        let want: &[&str] = if name.starts_with("found-") {
            // Inputs the fuzzer found: changes Automerge panics on, and bundle chunks (one
            // panicking, one expanding to hundreds of MB), all malformed pushes (sync/merge.rs).
            &["malformed"]
        } else if name == "js-base.automerge.bin" {
            // JavaScript's document is not a danvan record.
            &["malformed"]
        } else if name == "js-js-changes.automerge.bin" {
            // Changes on top of that document, alone.
            &["missing_history"]
        } else if name.ends_with("-retry.bin") {
            &["unchanged"]
        } else if name.ends_with("-foreign.bin") || name.ends_with("-unknown-key.bin") {
            &["malformed"]
        } else if name.ends_with("-invalid.bin") {
            &["invalid"]
        } else if name.starts_with("new-") {
            &["accepted"]
        } else {
            // A status the example records lack the fields for is refused as invalid.
            &["accepted", "invalid"]
        };
        assert!(
            want.contains(&got),
            "{name}: {got}, expected one of {want:?}"
        );
        if !name.starts_with("new-") && got == "accepted" {
            accepted_edits += 1;
        }
    }
    assert!(
        accepted_edits >= 3,
        "only {accepted_edits} accepted edits of stored records"
    );
}

#[test]
fn units_csv_seeds_pass() {
    for (name, data) in seeds("units_csv") {
        danvan_fuzz::units_csv::run(&data);
        if name.starts_with("haiphong") {
            assert!(
                danvan_server::units::parse_csv(data.as_slice()).is_ok(),
                "{name}"
            );
        }
    }
}

#[test]
fn fixed_checksums_are_what_automerge_checks() {
    // Fixing the checksums of untouched chunks changes nothing. The inputs the fuzzer found
    // (`found-*`) are kept as it wrote them: their flags may ask the target to fix checksums.
    for (_, data) in seeds("server_push")
        .into_iter()
        .filter(|(name, _)| !name.starts_with("found-"))
    {
        let mut fixed = data.clone();
        danvan_fuzz::server_push::fix_checksums(&mut fixed[2 + 32 * usize::from(data[1])..]);
        assert_eq!(fixed, data);
    }
}
