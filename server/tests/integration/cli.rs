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

/// `device revoke` twice: the second run says the device was already revoked, and when (the
/// first time, which it keeps), instead of reporting a new revocation.
#[tokio::test]
async fn revoking_a_revoked_device_says_so() {
    use danvan_server::enrollment::{EnrollmentRequest, hash_code, hash_secret, issue};
    use danvan_server::enrollment::{generate_secret, normalize_code};
    use danvan_server::roles::Role;
    use danvan_server::storage::{NewDevice, Redeem};

    let dir = tempfile::tempdir().unwrap();
    let storage = danvan_server::storage::open(None, dir.path())
        .await
        .unwrap();
    let units = crate::support::haiphong(storage.as_ref()).await;
    let req = EnrollmentRequest {
        person: "Nguyễn Thị Lan".into(),
        role: Role::Mediator,
        unit: "11533-T01".into(),
        expires_hours: 1,
        created_by: "test".into(),
    };
    let issued = issue(storage.as_ref(), &units.tree(), &req, None)
        .await
        .unwrap();
    let device = NewDevice {
        id: uuid::Uuid::now_v7(),
        label: None,
        secret_hash: hash_secret(&generate_secret()),
        created_at: chrono::Utc::now(),
    };
    let hash = hash_code(&normalize_code(&issued.code).unwrap());
    let redeemed = storage
        .redeem_enrollment(&hash, chrono::Utc::now(), &device)
        .await
        .unwrap();
    assert!(matches!(redeemed, Redeem::Enrolled(_)));
    drop(storage);

    let revoke = || {
        let out = Command::new(env!("CARGO_BIN_EXE_danvan-server"))
            .env("DANVAN_LOG", "warn")
            .arg("--data-dir")
            .arg(dir.path())
            .args(["device", "revoke", &device.id.to_string()])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let first = revoke();
    assert!(first.contains(" revoked at "), "{first}");
    assert!(!first.contains("already"), "{first}");
    let at = first.trim().rsplit(' ').next().unwrap().to_string();
    let second = revoke();
    assert!(
        second.contains(&format!(
            "device {} (Nguyễn Thị Lan) was already revoked at {at}",
            device.id
        )),
        "{second}"
    );
}
