//! The storage suite: written once, run per backend (see `support::both_backends!`).

use std::sync::Arc;

use chrono::{Duration, Utc};
use danvan_server::Error;
use danvan_server::enrollment::{EnrollmentRequest, hash_code, hash_secret, issue, normalize_code};
use danvan_server::roles::Role;
use danvan_server::storage::{NewDevice, NewEnrollment, Redeem, Storage};
use danvan_server::units::{Units, import_csv, level};
use danvan_server::users::{add_user, verify_password};
use uuid::Uuid;

use crate::support::{HAIPHONG_CSV, both_backends, date, haiphong};

both_backends!(
    migrations_run_on_fresh_database,
    haiphong_import_resolves_codes_by_date,
    import_is_idempotent_and_updates,
    bad_row_imports_nothing,
    enrollment_happy_path_reuse_and_expiry,
    revocation_keeps_first_time,
    users_hash_with_argon2,
);

async fn migrations_run_on_fresh_database(s: Arc<dyn Storage>) {
    s.ping().await.unwrap();
    assert!(s.load_units().await.unwrap().is_empty());
    assert!(s.list_devices().await.unwrap().is_empty());
    assert!(s.user("nobody").await.unwrap().is_none());
    assert!(
        s.device_with_secret(Uuid::now_v7())
            .await
            .unwrap()
            .is_none()
    );
}

async fn haiphong_import_resolves_codes_by_date(s: Arc<dyn Storage>) {
    let units = Units::load(s.as_ref()).await.unwrap();
    let counts = import_csv(s.as_ref(), &units, HAIPHONG_CSV.as_bytes())
        .await
        .unwrap();
    assert_eq!(
        (counts.inserted, counts.updated, counts.unchanged),
        (536, 0, 0)
    );
    // The in-memory tree was reloaded; a fresh load from the database agrees.
    let tree = Units::load(s.as_ref()).await.unwrap().tree();
    assert_eq!(tree.len(), units.tree().len());

    let after = date("2025-08-01");
    let before = date("2025-06-01");
    assert_eq!(tree.at_level(level::COMMUNE, after).len(), 114);
    assert_eq!(tree.at_level(level::COMMUNE, before).len(), 375);
    assert!(tree.at_level(level::DISTRICT, after).is_empty());

    // Reused code 11533: Phường An Lư (under old Thủy Nguyên) before, Phường Hòa Bình after.
    let old = tree.unit("11533", before).unwrap();
    assert_eq!(old.name, "Phường An Lư");
    assert_eq!(old.parent.as_deref(), Some("31.thanh-pho-thuy-nguyen"));
    let succ: Vec<_> = old
        .successors
        .iter()
        .map(|s| (s.code.as_str(), s.share.as_deref()))
        .collect();
    assert_eq!(
        succ,
        vec![("11533", Some("phan_con_lai")), ("11560", Some("mot_phan"))]
    );
    let new = tree.unit("11533", after).unwrap();
    assert_eq!(new.name, "Phường Hòa Bình");
    assert_eq!(new.parent.as_deref(), Some("31"));

    // An old Hải Dương commune sits under the legacy province 30 until 2025-06-30.
    let hd = tree.unit("30", before).unwrap();
    assert_eq!(hd.name, "Tỉnh Hải Dương");
    assert!(tree.unit("30", after).is_none());

    let sub_after = tree.subtree("31", after);
    assert_eq!(sub_after.len(), 1 + 114 + 18);
    assert!(sub_after.contains(&"11533-T01".to_string()));
    assert!(tree.is_within("11533-T01", "31", after));
    assert!(!tree.is_within("11533", "31.thanh-pho-thuy-nguyen", after));
    assert!(tree.is_within("11533", "31.thanh-pho-thuy-nguyen", before));
    assert!(
        !tree
            .subtree("31", before)
            .contains(&"11533-T01".to_string())
    );
}

async fn import_is_idempotent_and_updates(s: Arc<dyn Storage>) {
    let units = haiphong(s.as_ref()).await;
    let again = import_csv(s.as_ref(), &units, HAIPHONG_CSV.as_bytes())
        .await
        .unwrap();
    assert_eq!(
        (again.inserted, again.updated, again.unchanged),
        (0, 0, 536)
    );
    let csv = "code,name,level,parent,valid_from,valid_to,successors\n\
               11533-T01,Tổ dân phố Hòa Bình 1 (mẫu),village,11533,2025-07-01,,\n\
               11533-T04,Tổ dân phố số 4 (mẫu),village,11533,2025-07-01,,\n";
    let c = import_csv(s.as_ref(), &units, csv.as_bytes())
        .await
        .unwrap();
    assert_eq!((c.inserted, c.updated, c.unchanged), (1, 1, 0));
    let tree = units.tree();
    assert_eq!(
        tree.unit("11533-T01", date("2025-08-01")).unwrap().name,
        "Tổ dân phố Hòa Bình 1 (mẫu)"
    );
    assert_eq!(tree.children("11533", date("2025-08-01")).len(), 4);
}

async fn bad_row_imports_nothing(s: Arc<dyn Storage>) {
    let units = Units::load(s.as_ref()).await.unwrap();
    let csv = "code,name,level,parent,valid_from,valid_to,successors\n\
               31,Thành phố Hải Phòng,province,,,,\n\
               11533,Phường Hòa Bình,commune,31,2025-07-01,,\n\
               11560,Phường Thủy Nguyên,commune,31,2025-07-01,2025-06-30,\n\
               11557,Phường Thiên Hương,commune,31,2025-07-01,,\n";
    let err = import_csv(s.as_ref(), &units, csv.as_bytes())
        .await
        .unwrap_err();
    let Error::UnitImport(e) = err else {
        panic!("unexpected error {err}")
    };
    assert_eq!(e.problems.len(), 1);
    assert_eq!(e.problems[0].line, 4);
    assert!(e.to_string().contains("line 4"), "{e}");
    assert!(s.load_units().await.unwrap().is_empty());
    assert!(units.tree().is_empty());

    // A row that parses but names a parent that does not exist is caught before writing too.
    let csv = "code,name,level,parent,valid_from,valid_to,successors\n\
               31,Thành phố Hải Phòng,province,,,,\n\
               11533-T01,Thôn (mẫu),village,11533,2025-07-01,,\n";
    let err = import_csv(s.as_ref(), &units, csv.as_bytes())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("line 3: parent 11533"), "{err}");
    assert!(s.load_units().await.unwrap().is_empty());
}

fn new_device() -> (NewDevice, String) {
    let secret = danvan_server::enrollment::generate_secret();
    let d = NewDevice {
        id: Uuid::now_v7(),
        label: Some("Redmi 12".into()),
        secret_hash: hash_secret(&secret),
        created_at: Utc::now(),
    };
    (d, secret)
}

async fn enrollment_happy_path_reuse_and_expiry(s: Arc<dyn Storage>) {
    let units = haiphong(s.as_ref()).await;
    let req = EnrollmentRequest {
        person: "Nguyễn Thị Lan".into(),
        role: Role::Mediator,
        unit: "11533-T01".into(),
        expires_hours: 72,
        created_by: "test".into(),
    };
    let issued = issue(
        s.as_ref(),
        &units.tree(),
        &req,
        Some("https://dv.example.vn"),
    )
    .await
    .unwrap();
    assert!(issued.qr_payload.starts_with("danvan://enroll?code="));
    let hash = hash_code(&normalize_code(&issued.code).unwrap());

    let (dev, _) = new_device();
    let Redeem::Enrolled(d) = s.redeem_enrollment(&hash, Utc::now(), &dev).await.unwrap() else {
        panic!("not enrolled")
    };
    assert_eq!(
        (d.person_name.as_str(), d.role, d.unit.as_str()),
        ("Nguyễn Thị Lan", Role::Mediator, "11533-T01")
    );
    let (stored, secret_hash) = s.device_with_secret(d.id).await.unwrap().unwrap();
    assert_eq!(
        (stored.id, &stored.person_name, &stored.unit),
        (d.id, &d.person_name, &d.unit)
    );
    assert_eq!(stored.label.as_deref(), Some("Redmi 12"));
    assert!(stored.revoked_at.is_none());
    assert_eq!(secret_hash, dev.secret_hash);

    // Reuse: refused, and no second device.
    let (dev2, _) = new_device();
    assert_eq!(
        s.redeem_enrollment(&hash, Utc::now(), &dev2).await.unwrap(),
        Redeem::Used
    );
    assert!(s.device_with_secret(dev2.id).await.unwrap().is_none());

    // Expiry: a code past its time is refused and stays unused.
    let expired = NewEnrollment {
        code_hash: hash_code("0000000000AB"),
        person: "Trần Văn Nam".into(),
        role: Role::Inspector,
        unit: "11533".into(),
        created_at: Utc::now() - Duration::hours(80),
        expires_at: Utc::now() - Duration::hours(8),
        created_by: "test".into(),
    };
    s.create_enrollment(&expired).await.unwrap();
    let (dev3, _) = new_device();
    assert_eq!(
        s.redeem_enrollment(&expired.code_hash, Utc::now(), &dev3)
            .await
            .unwrap(),
        Redeem::Expired
    );
    assert_eq!(
        s.redeem_enrollment(&hash_code("ZZZZZZZZZZZZ"), Utc::now(), &dev3)
            .await
            .unwrap(),
        Redeem::Invalid
    );
    assert_eq!(s.list_devices().await.unwrap().len(), 1);

    // Role and unit must fit: a mediator is enrolled at a village, not a commune.
    let bad = EnrollmentRequest {
        unit: "11533".into(),
        ..req
    };
    let err = issue(s.as_ref(), &units.tree(), &bad, None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Invalid(_)), "{err}");
}

async fn revocation_keeps_first_time(s: Arc<dyn Storage>) {
    let units = haiphong(s.as_ref()).await;
    let req = EnrollmentRequest {
        person: "Lê Văn Hùng".into(),
        role: Role::Checker,
        unit: "11629".into(),
        expires_hours: 1,
        created_by: "test".into(),
    };
    let issued = issue(s.as_ref(), &units.tree(), &req, None).await.unwrap();
    let (dev, _) = new_device();
    let hash = hash_code(&normalize_code(&issued.code).unwrap());
    assert!(matches!(
        s.redeem_enrollment(&hash, Utc::now(), &dev).await.unwrap(),
        Redeem::Enrolled(_)
    ));
    let t1 = Utc::now();
    let d = s.revoke_device(dev.id, t1).await.unwrap().unwrap();
    let first = d.revoked_at.unwrap();
    assert!((first - t1).num_milliseconds().abs() < 2);
    let d = s
        .revoke_device(dev.id, t1 + Duration::hours(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(d.revoked_at, Some(first));
    assert!(s.revoke_device(Uuid::now_v7(), t1).await.unwrap().is_none());
    s.touch_device(dev.id, t1).await.unwrap();
    let listed = s.list_devices().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].last_seen_at.is_some());
}

async fn users_hash_with_argon2(s: Arc<dyn Storage>) {
    let units = haiphong(s.as_ref()).await;
    let tree = units.tree();
    add_user(
        s.as_ref(),
        &tree,
        "lan.nguyen",
        Role::CityOfficer,
        "31",
        "một mật khẩu dài",
    )
    .await
    .unwrap();
    let u = s.user("lan.nguyen").await.unwrap().unwrap();
    assert_eq!((u.role, u.unit.as_str()), (Role::CityOfficer, "31"));
    assert!(u.password_hash.starts_with("$argon2id$"));
    assert!(verify_password(&u.password_hash, "một mật khẩu dài"));
    assert!(!verify_password(&u.password_hash, "mot mat khau dai"));
    let dup = add_user(
        s.as_ref(),
        &tree,
        "lan.nguyen",
        Role::Admin,
        "31",
        "another long one",
    )
    .await;
    assert!(matches!(dup, Err(Error::Conflict(_))), "{dup:?}");
    let short = add_user(s.as_ref(), &tree, "x", Role::Admin, "31", "short").await;
    assert!(matches!(short, Err(Error::Invalid(_))));
    // A city officer cannot be placed at a commune.
    let wrong = add_user(
        s.as_ref(),
        &tree,
        "y",
        Role::CityOfficer,
        "11533",
        "long enough pw",
    )
    .await;
    assert!(matches!(wrong, Err(Error::Invalid(_))));
}
