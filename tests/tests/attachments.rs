//! Attachments end to end (ADR 0014): a mediator photographs the signed agreement offline, the
//! upload is cut and resumes where it stopped, her team leader downloads it on demand (cut and
//! resumed too); the server keeps the scope and never shows a file above the commune. Runs on
//! SQLite, and on PostgreSQL when `DANVAN_TEST_DATABASE_URL` is set.
#![allow(clippy::unwrap_used)]

use danvan_core::CoreError;
use danvan_core::store::AttachmentState;
use danvan_core::sync::{BlobMethod, BlobReply, BlobRequest, BlobTransport, SyncError};
use danvan_e2e::link::Link;
use danvan_e2e::*;
use danvan_server::Role;

/// A photo as a phone camera takes it: 3,000 × 2,000 pixels of noise-like detail (so it does
/// not compress to nothing), JPEG quality 95, a few megabytes.
fn camera_photo(seed: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(3000, 2000, |x, y| {
        let v = x.wrapping_mul(7919) ^ y.wrapping_mul(104_729) ^ seed.wrapping_mul(31);
        let h = v.wrapping_mul(2_654_435_761);
        image::Rgb([(h >> 24) as u8, (h >> 16) as u8, (h >> 8) as u8])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 95)
        .encode_image(&img)
        .unwrap();
    out
}

fn request(
    t: &impl BlobTransport,
    method: BlobMethod,
    path: &str,
    auth: &str,
    offset: Option<u64>,
    body: &[u8],
) -> BlobReply {
    t.blob(&BlobRequest {
        method,
        path,
        authorization: auth,
        upload_offset: offset,
        range: None,
        body,
    })
    .unwrap()
}

fn scenario(server: &TestServer) {
    let mut lan = server
        .enroll("Nguyễn Thị Lan", Role::Mediator, VILLAGE_HOA_BINH_1)
        .unwrap();
    let mut hoa = server
        .enroll("Phạm Thị Hoa", Role::TeamLeader, VILLAGE_HOA_BINH_1)
        .unwrap();

    // Offline: the case and a photo of the signed agreement.
    let rec = lan
        .create(
            mediation_case(VILLAGE_HOA_BINH_1, COMMUNE_HOA_BINH),
            day(9, 2),
        )
        .unwrap();
    let id = rec.id().to_string();
    let photo = camera_photo(1);
    let (sha, saved) = lan
        .store
        .attach(
            &id,
            &photo,
            "image/jpeg",
            "bien-ban-hoa-giai-thanh.jpg",
            None,
        )
        .unwrap();
    let reference = &saved.attachments[&sha];
    // Downscaled on the phone: the longer side is now 2,048 px, and it is smaller.
    let stored = lan.store.read_attachment(&sha).unwrap();
    let dims = image::load_from_memory(&stored).unwrap();
    assert_eq!((dims.width(), dims.height()), (2048, 1365));
    assert!(
        stored.len() < photo.len(),
        "{} ≥ {}",
        stored.len(),
        photo.len()
    );
    assert_eq!(reference.size as usize, stored.len());
    let status = lan.store.attachments(&id).unwrap();
    assert_eq!(status.len(), 1);
    assert_eq!(status[0].state, AttachmentState::Waiting);

    // Uploading before the record reached the server: the server does not know the record,
    // the file waits.
    let early = lan
        .store
        .upload_attachments(&lan.transport, &lan.creds, |_| {})
        .unwrap();
    assert_eq!((early.uploaded, early.waiting), (0, 1));

    // The record syncs; the upload goes through a link that is cut after 600 KB.
    lan.sync().unwrap();
    let link = Link::start(Link::addr_of(&server.url).unwrap()).unwrap();
    let cut_transport =
        danvan_core::sync::HttpTransport::new(&link.url, std::time::Duration::from_secs(30));
    link.cut_after(600 * 1024);
    let err = lan
        .store
        .upload_attachments(&cut_transport, &lan.creds, |_| {})
        .unwrap_err();
    assert!(
        matches!(err, CoreError::Sync(ref e) if matches!(**e, SyncError::Network(_))),
        "{err:?}"
    );
    assert!(link.is_cut());
    let after_cut = &lan.store.attachments(&id).unwrap()[0];
    assert_eq!(after_cut.state, AttachmentState::Uploading);
    let sent_before = after_cut.transferred;
    assert!(
        sent_before > 0 && sent_before < stored.len() as u64,
        "{sent_before} of {}",
        stored.len()
    );
    // The link comes back: the upload resumes from the server's offset, it does not restart.
    link.restore();
    let resumed = lan
        .store
        .upload_attachments(&cut_transport, &lan.creds, |_| {})
        .unwrap();
    assert_eq!(resumed.uploaded, 1);
    assert_eq!(resumed.bytes_sent, stored.len() as u64 - sent_before);
    assert_eq!(
        lan.store.attachments(&id).unwrap()[0].state,
        AttachmentState::Uploaded
    );
    // Nothing left: a second pass sends nothing.
    let again = lan
        .store
        .upload_attachments(&lan.transport, &lan.creds, |_| {})
        .unwrap();
    assert_eq!((again.uploaded, again.bytes_sent, again.waiting), (0, 0, 0));

    // The team leader's sync brings the reference, not the bytes.
    hoa.sync().unwrap();
    let seen = hoa.store.attachments(&id).unwrap();
    assert_eq!(seen[0].state, AttachmentState::Remote);
    assert_eq!(seen[0].reference.name, "bien-ban-hoa-giai-thanh.jpg");
    assert!(matches!(
        hoa.store.read_attachment(&sha),
        Err(CoreError::NotFound(_))
    ));
    // She downloads it on demand, over a link cut after 300 KB; then it resumes.
    let hoa_transport =
        danvan_core::sync::HttpTransport::new(&link.url, std::time::Duration::from_secs(30));
    link.cut_after(300 * 1024);
    assert!(
        hoa.store
            .download_attachment(&hoa_transport, &hoa.creds, &id, &sha, |_, _| {})
            .is_err()
    );
    let part = &hoa.store.attachments(&id).unwrap()[0];
    assert_eq!(part.state, AttachmentState::Downloading);
    assert!(part.transferred > 0 && part.transferred < stored.len() as u64);
    link.restore();
    let (down_before, _) = (link.counts().1, ());
    let got = hoa
        .store
        .download_attachment(&hoa_transport, &hoa.creds, &id, &sha, |_, _| {})
        .unwrap();
    assert_eq!(got, stored);
    let resumed_down = link.counts().1 - down_before;
    assert!(
        resumed_down < stored.len() as u64 - part.transferred + 64 * 1024,
        "the download restarted: {resumed_down} bytes for the last {}",
        stored.len() as u64 - part.transferred
    );
    assert_eq!(
        hoa.store.attachments(&id).unwrap()[0].state,
        AttachmentState::Downloaded
    );
    assert_eq!(hoa.store.read_attachment(&sha).unwrap(), stored);

    // What the server refuses.
    let path = format!("/v1/attachments/{sha}?record={id}");
    let raw =
        danvan_core::sync::HttpTransport::new(&server.url, std::time::Duration::from_secs(30));
    let t = &raw;
    let auth = lan.creds.authorization();
    // Above the commune: 403, whatever the record.
    let city = server
        .enroll("Cán bộ thành phố", Role::CityOfficer, "31")
        .unwrap();
    let r = request(
        &city.transport,
        BlobMethod::Head,
        &path,
        &city.creds.authorization(),
        None,
        &[],
    );
    assert_eq!(r.status, 403);
    let r = request(
        &city.transport,
        BlobMethod::Get,
        &path,
        &city.creds.authorization(),
        None,
        &[],
    );
    assert_eq!(r.status, 403);
    assert!(String::from_utf8_lossy(&r.body).contains("attachments_forbidden"));
    // A mediator of another commune: as if neither record nor file existed.
    let other = server
        .enroll("Lê Văn Bình", Role::Mediator, VILLAGE_THUY_NGUYEN_1)
        .unwrap();
    let r = request(
        &other.transport,
        BlobMethod::Get,
        &path,
        &other.creds.authorization(),
        None,
        &[],
    );
    assert_eq!(r.status, 404);
    // A hash the record does not name, a bad hash, no record.
    let unnamed = format!("/v1/attachments/{}?record={id}", "ab".repeat(32));
    assert_eq!(
        request(t, BlobMethod::Head, &unnamed, &auth, None, &[]).status,
        404
    );
    let bad = format!("/v1/attachments/ABC?record={id}");
    assert_eq!(
        request(t, BlobMethod::Get, &bad, &auth, None, &[]).status,
        400
    );
    let no_record = format!("/v1/attachments/{sha}");
    assert_eq!(
        request(t, BlobMethod::Head, &no_record, &auth, None, &[]).status,
        400
    );
    // No credentials.
    assert_eq!(
        request(t, BlobMethod::Get, &path, "Bearer nope", None, &[]).status,
        401
    );
    // The file is whole on the server: a PATCH changes nothing and says so.
    let r = request(t, BlobMethod::Patch, &path, &auth, Some(0), b"xyz");
    assert_eq!(
        (r.status, r.upload_offset),
        (204, Some(stored.len() as u64))
    );
    assert_eq!(
        hoa.store
            .download_attachment(&hoa.transport, &hoa.creds, &id, &sha, |_, _| {})
            .unwrap(),
        stored
    );

    // Wrong bytes under a name are discarded: a second photo whose upload is forged.
    let (sha2, _) = lan
        .store
        .attach(&id, &camera_photo(2), "", "anh-hien-truong.jpg", None)
        .unwrap();
    lan.sync().unwrap();
    let size2 = lan.store.read_attachment(&sha2).unwrap().len();
    let path2 = format!("/v1/attachments/{sha2}?record={id}");
    let r = request(t, BlobMethod::Head, &path2, &auth, None, &[]);
    assert_eq!((r.status, r.upload_offset), (200, Some(0)));
    // Out of place: 409 with the server's offset.
    let r = request(t, BlobMethod::Patch, &path2, &auth, Some(10), &[0; 10]);
    assert_eq!((r.status, r.upload_offset), (409, Some(0)));
    // A piece over 1 MiB: refused, nothing written.
    let r = request(
        t,
        BlobMethod::Patch,
        &path2,
        &auth,
        Some(0),
        &vec![0u8; 1024 * 1024 + 1],
    );
    assert_eq!(r.status, 413);
    assert_eq!(
        request(t, BlobMethod::Head, &path2, &auth, None, &[]).upload_offset,
        Some(0)
    );
    // Finish it with zeros: the hash does not match, the bytes are dropped.
    let mut offset = request(t, BlobMethod::Head, &path2, &auth, None, &[])
        .upload_offset
        .unwrap();
    let mut last = 0;
    while offset < size2 as u64 {
        let n = ((size2 as u64 - offset) as usize).min(1024 * 1024);
        let r = request(
            t,
            BlobMethod::Patch,
            &path2,
            &auth,
            Some(offset),
            &vec![0u8; n],
        );
        last = r.status;
        if r.status != 204 {
            break;
        }
        offset = r.upload_offset.unwrap();
    }
    assert_eq!(last, 422);
    assert_eq!(
        request(t, BlobMethod::Head, &path2, &auth, None, &[]).upload_offset,
        Some(0)
    );
    // The phone's own upload then goes through.
    let done = lan
        .store
        .upload_attachments(&lan.transport, &lan.creds, |_| {})
        .unwrap();
    assert_eq!(done.uploaded, 1);
}

#[test]
fn an_attachment_travels_cut_and_resumed_on_sqlite() {
    let server = TestServer::start().unwrap();
    scenario(&server);
}

#[test]
fn an_attachment_travels_cut_and_resumed_on_postgres() {
    let Some(server) = TestServer::start_postgres().unwrap() else {
        return;
    };
    scenario(&server);
}

/// The commune officer sees the record's files on its page and downloads them; the city
/// officer may not (personal data, never above the commune).
#[test]
fn the_commune_officer_downloads_a_file_and_the_city_officer_may_not() {
    use danvan_e2e::web;
    let server = TestServer::start().unwrap();
    let logins = dashboard::create_users(&server, Some("mật khẩu đủ dài 2025")).unwrap();
    let mut lan = server
        .enroll("Nguyễn Thị Lan", Role::Mediator, VILLAGE_HOA_BINH_1)
        .unwrap();
    let id = lan
        .create(
            mediation_case(VILLAGE_HOA_BINH_1, COMMUNE_HOA_BINH),
            day(9, 2),
        )
        .unwrap()
        .id()
        .to_string();
    let pdf = b"%PDF-1.4\n% bien ban hoa giai thanh\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";
    let (sha, _) = lan
        .store
        .attach(&id, pdf, "application/pdf", "biên bản hòa giải.pdf", None)
        .unwrap();
    let (png_sha, _) = lan
        .store
        .attach(&id, &tiny_png(), "image/png", "so-do.png", None)
        .unwrap();
    lan.sync().unwrap();
    let page_path = format!("/dashboard/records/{id}");
    let officer = &logins[0];
    let s = web::login(&server.url, &officer.username, &officer.password);
    // Synced but not uploaded: listed, no link yet.
    let page = web::get(&server.url, &page_path, &s).text();
    assert!(page.contains("biên bản hòa giải.pdf"), "{page}");
    assert!(!page.contains(&format!("/attachments/{sha}")));
    lan.store
        .upload_attachments(&lan.transport, &lan.creds, |_| {})
        .unwrap();
    let page = web::get(&server.url, &page_path, &s).text();
    let link = format!("/dashboard/records/{id}/attachments/{sha}");
    assert!(page.contains(&link), "{page}");
    let r = web::get(&server.url, &link, &s);
    assert_eq!(r.status, 200);
    assert_eq!(r.body, pdf);
    assert_eq!(r.header("content-type"), ["application/pdf"]);
    assert_eq!(r.header("x-content-type-options"), ["nosniff"]);
    assert!(r.header("content-disposition")[0].starts_with("attachment;"));
    // A range, as a PDF viewer asks.
    let r = web::http(
        &server.url,
        "GET",
        &link,
        &[("Cookie", &s.cookie), ("Range", "bytes=0-7")],
        b"",
    );
    assert_eq!((r.status, r.body.as_slice()), (206, &b"%PDF-1.4"[..]));
    // Another record's file through this record: not found.
    let r = web::get(
        &server.url,
        &format!("/dashboard/records/{id}/attachments/{}", "0".repeat(64)),
        &s,
    );
    assert_eq!(r.status, 404);
    assert_eq!(
        web::get(
            &server.url,
            &format!("/dashboard/records/{id}/attachments/{png_sha}"),
            &s
        )
        .status,
        200
    );
    // The city officer: 403, for the page and the file.
    let city = &logins[1];
    let c = web::login(&server.url, &city.username, &city.password);
    assert_eq!(web::get(&server.url, &page_path, &c).status, 403);
    let r = web::get(&server.url, &link, &c);
    assert_eq!(r.status, 403);
    assert!(r.text().contains("records_forbidden"));
}

fn tiny_png() -> Vec<u8> {
    let img = image::RgbImage::from_fn(40, 30, |x, y| image::Rgb([x as u8 * 6, y as u8 * 8, 90]));
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}
