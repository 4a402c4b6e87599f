//! The command-line tool as an operator runs it.

use std::process::{Command, Stdio};

/// `danvan-server device enroll | head -1`: the reader goes away before the code and the QR code
/// are printed; the tool must finish quietly (exit 0, no panic).
#[test]
fn output_into_a_closed_pipe_exits_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_danvan-server");
    let run = |args: &[&str]| {
        Command::new(bin)
            .env("DANVAN_LOG", "warn")
            .arg("--data-dir")
            .arg(dir.path())
            .args(args)
            .output()
            .unwrap()
    };
    assert!(run(&["init"]).status.success());
    let csv = concat!(env!("CARGO_MANIFEST_DIR"), "/data/units/haiphong.csv");
    assert!(run(&["units", "import", csv]).status.success());

    let mut child = Command::new(bin)
        .env("DANVAN_LOG", "warn")
        .arg("--data-dir")
        .arg(dir.path())
        .args([
            "device",
            "enroll",
            "--person",
            "Nguyễn Thị Lan",
            "--role",
            "mediator",
            "--unit",
            "11533-T01",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // the reader is gone before anything is written
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "exit {:?}: {stderr}", out.status);
    assert!(!stderr.contains("panicked"), "{stderr}");

    // Into a live pipe the same command prints the code.
    let listed = run(&[
        "device",
        "enroll",
        "--person",
        "Trần Văn Hùng",
        "--role",
        "team_leader",
        "--unit",
        "11533-T01",
    ]);
    assert!(listed.status.success());
    assert!(String::from_utf8_lossy(&listed.stdout).contains("enrollment code"));
}
