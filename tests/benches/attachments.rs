//! Attachment transfer benchmark (ADR 0014, issue 13): 50 photos of about 2 MB uploaded by a
//! mediator and downloaded by her team leader over a throttled loopback link, each direction
//! cut half-way and resumed. Then the phone-to-phone bundles' sizes: 1 and 100 records, whole
//! and with one change each.
//!
//! ```text
//! cargo bench -p danvan-e2e --bench attachments
//! DANVAN_BENCH_RATE=1048576 DANVAN_BENCH_PHOTOS=20 cargo bench -p danvan-e2e --bench attachments
//! ```
//!
//! `DANVAN_BENCH_RATE`: the link's rate each way in bytes per second (default 4 MiB/s, a good
//! 4G link; 1 MiB/s is a fair 3G one). Reported: the time of each pass, the file bytes and the
//! bytes on the wire (headers included, counted by the link), and how much was sent twice
//! because of the cut (at most one piece per file in flight).

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use danvan_core::sync::HttpTransport;
use danvan_e2e::link::Link;
use danvan_e2e::*;
use danvan_server::Role;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A 2,048 × 1,365 photo (already at the phone's size, so downscaling only re-encodes it) of
/// noise-like detail: about 2 MB as JPEG at quality 85, as a phone saves it.
fn photo(seed: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(2048, 1365, |x, y| {
        let v = x.wrapping_mul(7919) ^ y.wrapping_mul(104_729) ^ seed.wrapping_mul(2_246_822_519);
        let h = v.wrapping_mul(2_654_435_761);
        let g = ((x / 8 + y / 8) % 256) as u8;
        image::Rgb([
            (h >> 24) as u8 / 3 + g / 2,
            (h >> 16) as u8 / 3 + g / 2,
            g / 2 + (h >> 8) as u8 / 8,
        ])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(&img)
        .map(|()| out)
        .unwrap_or_default()
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn main() -> Result<()> {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing: run either way.
    let photos = env_u64("DANVAN_BENCH_PHOTOS", 50) as u32;
    let rate = env_u64("DANVAN_BENCH_RATE", 4 * 1024 * 1024);
    let server = TestServer::start()?;
    let mut lan = server.enroll("Nguyễn Thị Lan", Role::Mediator, VILLAGE_HOA_BINH_1)?;
    let mut hoa = server.enroll("Phạm Thị Hoa", Role::TeamLeader, VILLAGE_HOA_BINH_1)?;

    // Ten photos per case (a record takes at most 20 files and 40 MiB).
    let t = Instant::now();
    let mut files: Vec<(String, String)> = Vec::new();
    let mut file_bytes = 0u64;
    let mut record = String::new();
    for i in 0..photos {
        if i % 10 == 0 {
            record = lan
                .create(
                    mediation_case(VILLAGE_HOA_BINH_1, COMMUNE_HOA_BINH),
                    day(9, 2),
                )?
                .id()
                .to_string();
        }
        let (sha, rec) = lan
            .store
            .attach(
                &record,
                &photo(i),
                "image/jpeg",
                &format!("anh-{i:02}.jpg"),
                None,
            )
            .context("attach")?;
        file_bytes += u64::from(rec.attachments[&sha].size);
        files.push((record.clone(), sha));
    }
    let attach_time = t.elapsed();
    lan.sync()?;
    hoa.sync()?;

    let link = Link::start(Link::addr_of(&server.url)?)?;
    link.set_rate(rate);
    let transport = HttpTransport::new(&link.url, Duration::from_secs(600));

    // Upload, cut half-way, resumed.
    link.cut_after(file_bytes / 2);
    let t = Instant::now();
    let first = lan.store.upload_attachments(&transport, &lan.creds, |_| {});
    let up_cut = t.elapsed();
    anyhow::ensure!(first.is_err(), "the link was not cut during the upload");
    let (wire_up_1, _) = link.counts();
    link.restore();
    let t = Instant::now();
    let second = lan
        .store
        .upload_attachments(&transport, &lan.creds, |_| {})?;
    let up_resume = t.elapsed();
    let (wire_up, wire_down_after_up) = link.counts();
    let sent_first: u64 = file_bytes - second.bytes_sent;
    anyhow::ensure!(
        second.uploaded as usize <= files.len() && second.waiting == 0,
        "files left waiting"
    );

    // Download of every file by the team leader, cut half-way, resumed.
    link.cut_after(file_bytes / 2);
    let t = Instant::now();
    let mut cut_down = false;
    for (record, sha) in &files {
        if hoa
            .store
            .download_attachment(&transport, &hoa.creds, record, sha, |_, _| {})
            .is_err()
        {
            cut_down = true;
            break;
        }
    }
    let down_cut = t.elapsed();
    anyhow::ensure!(cut_down, "the link was not cut during the download");
    link.restore();
    let t = Instant::now();
    for (record, sha) in &files {
        hoa.store
            .download_attachment(&transport, &hoa.creds, record, sha, |_, _| {})?;
    }
    let down_resume = t.elapsed();
    let (_, wire_down) = link.counts();
    let wire_down = wire_down - wire_down_after_up;

    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "\n## Attachments: {photos} photos, {:.1} MiB in all ({:.2} MiB each), link {:.1} MiB/s each way\n",
        mib(file_bytes),
        mib(file_bytes) / f64::from(photos.max(1)),
        mib(rate)
    );
    println!("| step | time | file bytes | wire bytes | sent twice |");
    println!("|---|---|---|---|---|");
    println!(
        "| attach on the phone (metadata stripped, hashed, stored) | {:.2} s | {:.1} MiB | – | – |",
        attach_time.as_secs_f64(),
        mib(file_bytes)
    );
    println!(
        "| upload until the cut | {:.2} s | {:.1} MiB | {:.1} MiB | – |",
        up_cut.as_secs_f64(),
        mib(sent_first),
        mib(wire_up_1)
    );
    println!(
        "| upload resumed | {:.2} s | {:.1} MiB | {:.1} MiB | {:.2} MiB |",
        up_resume.as_secs_f64(),
        mib(second.bytes_sent),
        mib(wire_up - wire_up_1),
        mib(wire_up.saturating_sub(file_bytes))
    );
    println!(
        "| download (cut, then resumed) | {:.2} s + {:.2} s | {:.1} MiB | {:.1} MiB | {:.2} MiB |",
        down_cut.as_secs_f64(),
        down_resume.as_secs_f64(),
        mib(file_bytes),
        mib(wire_down),
        mib(wire_down.saturating_sub(file_bytes))
    );
    println!(
        "\nUpload throughput {:.2} MiB/s, download {:.2} MiB/s (link {:.1} MiB/s). \"sent twice\" = wire bytes beyond the files' bytes (HTTP headers, and the piece in flight at the cut). Machine load: {}",
        mib(file_bytes) / (up_cut + up_resume).as_secs_f64(),
        mib(file_bytes) / (down_cut + down_resume).as_secs_f64(),
        mib(rate),
        load.trim()
    );
    bundles()?;
    Ok(())
}

/// Bundle sizes between two phones of one team: 1 and 100 records handed over whole, then the
/// same records with one edit each (the changes only, against the other phone's hello).
fn bundles() -> Result<()> {
    let server = TestServer::start()?;
    let mut lan = server.enroll("Nguyễn Thị Lan", Role::Mediator, VILLAGE_HOA_BINH_1)?;
    let mut hoa = server.enroll("Phạm Thị Hoa", Role::TeamLeader, VILLAGE_HOA_BINH_1)?;
    lan.sync()?;
    hoa.sync()?;
    println!("\n## Phone-to-phone bundles (signed, with attestations)\n");
    println!(
        "| records | whole (new to the other phone) | one edit each (changes only) | hello of the receiver |"
    );
    println!("|---|---|---|---|");
    for n in [1usize, 100] {
        // Fresh records for each size: Hoa's hello names what she has, so the earlier ones
        // are left out of Lan's bundle.
        let mut ids: Vec<String> = Vec::new();
        while ids.len() < n {
            let id = lan
                .create(
                    mediation_case(VILLAGE_HOA_BINH_1, COMMUNE_HOA_BINH),
                    day(9, 2),
                )?
                .id()
                .to_string();
            ids.push(id);
        }
        let hello = hoa.store.hello()?;
        let whole = lan.store.export_bundle(Some(&hello))?;
        hoa.store.import_bundle(&whole)?;
        for id in &ids {
            lan.store.update(id, |r| {
                if let danvan_core::RecordBody::Mediation(m) = &mut r.body {
                    m.notes = Some(format!("ghi chú {n}"));
                }
                Ok(())
            })?;
        }
        let hello = hoa.store.hello()?;
        let edits = lan.store.export_bundle(Some(&hello))?;
        hoa.store.import_bundle(&edits)?;
        println!(
            "| {n} | {} B | {} B | {} B |",
            whole.len(),
            edits.len(),
            hello.len()
        );
    }
    Ok(())
}
