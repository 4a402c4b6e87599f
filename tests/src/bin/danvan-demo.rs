//! `danvan-demo`: the main job on the embedded default. Starts a danvan server on SQLite with
//! the sample Hải Phòng units, enrolls a few phones, and plays a short day of field work:
//! cases recorded offline, synced, merged, a conflict resolved, scope and roles enforced.
//!
//! `cargo run -p danvan-e2e --bin danvan-demo -- [--lang en] [--data-dir DIR] [--serve]
//! [--port N] [--dashboard-password PW]`
//!
//! After the sync it prints the commune's and the city's reports from the aggregation engine;
//! with `--serve` it adds field work in a second commune, creates two dashboard officers and
//! prints the dashboard's address and their logins (and, for scripts, `DEVICE_ENROLL_CODE=`, a
//! team leader's one-time enrollment code, then `DASHBOARD_URL=`).

use std::path::PathBuf;

use anyhow::Result;
use clap::Parser;
use danvan_core::model::mediation::{MediationCategory, MediationSubtype};
use danvan_core::store::ListQuery;
use danvan_core::sync::{self, SyncOptions};
use danvan_core::{Coded, Lang, RecordBody};
use danvan_e2e::*;
use danvan_server::Role;
use indicatif::{ProgressBar, ProgressStyle};

/// Run the danvan demo: a server with sample units and devices syncing into it.
#[derive(Parser)]
struct Args {
    /// Language of the output: vi (default) or en.
    #[arg(long, default_value = "vi")]
    lang: String,
    /// Keep the server's SQLite database here (default: a temporary directory).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// After the demo, keep the server running until Ctrl-C, with dashboard officers.
    #[arg(long)]
    serve: bool,
    /// Port of the server on 127.0.0.1 (default: any free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Password of the dashboard officers created with `--serve` (default: random, printed).
    #[arg(long, env = "DANVAN_DEMO_DASHBOARD_PASSWORD")]
    dashboard_password: Option<String>,
}

struct Out {
    lang: Lang,
}

impl Out {
    fn t<'a>(&self, vi: &'a str, en: &'a str) -> &'a str {
        match self.lang {
            Lang::Vi => vi,
            Lang::En => en,
        }
    }
    fn step(&self, vi: &str, en: &str) {
        println!("\n▶ {}", self.t(vi, en));
    }
}

fn sync_with_bar(o: &Out, d: &mut Device) -> Result<sync::SyncProgress> {
    let bar = ProgressBar::new(1).with_style(
        ProgressStyle::with_template("  {spinner} {msg} [{bar:20}] {pos}/{len}")?
            .progress_chars("=> "),
    );
    let p = sync::run_sync(
        &mut d.store,
        &d.transport,
        &d.creds,
        SyncOptions::default(),
        |p| {
            bar.set_length(p.to_push.max(1));
            bar.set_position(p.pushed);
            bar.set_message(format!("{} {}", o.t("vòng", "round"), p.rounds));
        },
    )?;
    bar.finish_and_clear();
    println!(
        "  {}: {} {} · {} {} · {} {} · {} {} · {} B ↑ {} B ↓",
        d.person,
        p.rounds,
        o.t("lượt gửi-nhận", "round trip(s)"),
        p.accepted,
        o.t("được nhận", "accepted"),
        p.rejected,
        o.t("bị từ chối", "rejected"),
        p.pulled,
        o.t("hồ sơ tải về", "record(s) received"),
        p.bytes_sent,
        p.bytes_received
    );
    Ok(p)
}

fn main() -> Result<()> {
    let args = Args::parse();
    // The server's log (refused and failed requests, with their causes) on stderr, only when
    // asked for: `RUST_LOG=error` (scripts/attack-api.sh) or finer.
    if std::env::var_os("RUST_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .init();
    }
    let o = Out {
        lang: Lang::parse(&args.lang),
    };
    let (tmp, dir) = match &args.data_dir {
        Some(d) => {
            std::fs::create_dir_all(d)?;
            (None, d.clone())
        }
        None => {
            let t = tempfile::tempdir()?;
            let p = t.path().to_path_buf();
            (Some(t), p)
        }
    };

    o.step(
        "Khởi động máy chủ danvan (SQLite, không cần cấu hình)",
        "Starting the danvan server (SQLite, no configuration)",
    );
    let server = TestServer::start_on(None, &dir, tmp, args.port)?;
    let tree = server.units.tree();
    let today = chrono::NaiveDate::from_ymd_opt(2025, 9, 1).unwrap_or_default();
    println!(
        "  {} {} · {}: {} · {}",
        o.t("Máy chủ:", "Server:"),
        server.url,
        o.t("đơn vị cấp xã của Hải Phòng", "Hải Phòng communes"),
        tree.children("31", today).len(),
        dir.join("danvan.sqlite3").display()
    );

    o.step(
        "Cấp mã đăng ký thiết bị (dùng một lần)",
        "Issuing one-time enrollment codes",
    );
    let code = server.enrollment_code("Nguyễn Thị Lan", Role::Mediator, VILLAGE_HOA_BINH_1)?;
    println!(
        "  {} Nguyễn Thị Lan ({}, {VILLAGE_HOA_BINH_1}): {code}",
        o.t("Mã cho", "Code for"),
        Role::Mediator.label().get(o.lang)
    );
    if let Ok(qr) = danvan_server::enrollment::render_qr(&danvan_server::enrollment::qr_payload(
        &code,
        Some(&server.url),
    )) {
        println!("{qr}");
    }
    let mut lan = Device::enroll(&server.url, &code, "Điện thoại của Lan")?;
    let mut hung = server.enroll("Trần Văn Hùng", Role::TeamLeader, VILLAGE_HOA_BINH_1)?;
    let mut mai = server.enroll("Phạm Thị Mai", Role::Mediator, VILLAGE_THUY_NGUYEN_1)?;
    let mut thu = server.enroll("Lê Thị Thu", Role::CommuneOfficer, COMMUNE_HOA_BINH)?;
    let mut bao = server.enroll("Đặng Quốc Bảo", Role::CityOfficer, "31")?;
    for d in [&lan, &hung, &mai, &thu, &bao] {
        let role = d
            .role
            .parse::<Role>()
            .map(|r| r.label().get(o.lang))
            .unwrap_or("?");
        println!(
            "  ✓ {} — {role}, {} {}",
            d.person,
            o.t("đơn vị", "unit"),
            d.unit
        );
    }

    o.step(
        "Lan ghi 3 vụ việc khi không có mạng",
        "Lan records 3 cases offline",
    );
    let subjects = [
        (
            "Tranh chấp lối đi chung giữa hai hộ liền kề",
            MediationCategory::Conflict,
            MediationSubtype::Path,
        ),
        (
            "Mâu thuẫn về ranh giới đất vườn",
            MediationCategory::Civil,
            MediationSubtype::LandBoundary,
        ),
        (
            "Mâu thuẫn vợ chồng về chăm sóc con",
            MediationCategory::MarriageFamily,
            MediationSubtype::Spouses,
        ),
    ];
    let mut ids = Vec::new();
    for (i, (summary, cat, sub)) in subjects.iter().enumerate() {
        let mut body = mediation_case(VILLAGE_HOA_BINH_1, COMMUNE_HOA_BINH);
        if let RecordBody::Mediation(m) = &mut body {
            m.summary = (*summary).into();
            m.category = *cat;
            m.subtype = *sub;
            m.logbook_no = Some(i as u32 + 1);
        }
        let r = lan.create(body, day(9, 2 + i as u32))?;
        println!(
            "  + {} · {} / {}",
            summary,
            cat.label().get(o.lang),
            sub.label().get(o.lang)
        );
        ids.push(r.id().to_string());
    }
    lan.store
        .transition(&ids[0], "mediating", day(9, 4), None)?;
    let overdue = lan.store.overdue(day(9, 10))?;
    println!(
        "  {} {}:",
        overdue.len(),
        o.t(
            "việc quá hạn tính đến 10/09/2025",
            "overdue item(s) as of 2025-09-10"
        )
    );
    for (id, _, od) in &overdue {
        let case = ids
            .iter()
            .position(|i| i == id)
            .map(|n| subjects[n].0)
            .unwrap_or("?");
        let text = match o.lang {
            Lang::Vi => &od.vi,
            Lang::En => &od.en,
        };
        println!(
            "    ⏰ {case}: {text} ({} {}, {} {})",
            o.t("hạn", "due"),
            od.due_on,
            od.days_late,
            o.t("ngày trễ", "days late")
        );
    }

    o.step("Có mạng: Lan đồng bộ", "Network is back: Lan syncs");
    sync_with_bar(&o, &mut lan)?;
    for (id, (summary, _, _)) in ids.iter().zip(subjects.iter()) {
        let st = lan.store.sync_state(id)?;
        println!("  {} → {}", summary, st.state.code());
    }

    o.step(
        "Tổ trưởng Hùng đồng bộ và nhận các vụ việc",
        "Team leader Hùng syncs and receives the cases",
    );
    sync_with_bar(&o, &mut hung)?;

    o.step(
        "Cả hai sửa cùng một vụ việc khi mất mạng",
        "Both edit the same case while offline",
    );
    lan.store.update(&ids[0], |r| {
        if let RecordBody::Mediation(m) = &mut r.body {
            m.started_on = Some(day(9, 4));
            m.summary = "Tranh chấp lối đi chung (đã đo lại mốc giới)".into();
        }
        Ok(())
    })?;
    hung.store.update(&ids[0], |r| {
        if let RecordBody::Mediation(m) = &mut r.body {
            m.summary = "Tranh chấp lối đi chung rộng 1,2 m".into();
            m.notes = Some("Mời trưởng tổ dân phố cùng tham gia".into());
        }
        Ok(())
    })?;
    sync_with_bar(&o, &mut lan)?;
    sync_with_bar(&o, &mut hung)?;
    sync_with_bar(&o, &mut lan)?;
    let conflicts = lan.store.conflicts(&ids[0])?;
    for c in &conflicts {
        println!(
            "  ⚠ {} {}:",
            o.t("Xung đột ở trường", "Conflict on"),
            c.path
        );
        for v in &c.values {
            let who = [&lan, &hung]
                .iter()
                .find(|d| d.id().to_string() == v.author)
                .map(|d| d.person.clone())
                .unwrap_or_default();
            println!("     - «{}» ({who})", v.value);
        }
    }
    if let Some(c) = conflicts.first() {
        let keep = c
            .values
            .iter()
            .position(|v| v.value.contains("1,2 m"))
            .unwrap_or(0);
        lan.store.resolve_conflict(&ids[0], &c.path, keep)?;
        println!(
            "  ✓ {}",
            o.t(
                "Lan chọn bản của Hùng; đồng bộ lại",
                "Lan keeps Hùng's version; syncing again"
            )
        );
        sync_with_bar(&o, &mut lan)?;
        sync_with_bar(&o, &mut hung)?;
    }
    let same = lan.store.get(&ids[0])? == hung.store.get(&ids[0])?;
    println!(
        "  {} {}",
        if same { "✓" } else { "✗" },
        o.t(
            "Hai máy hiển thị cùng một hồ sơ, không còn xung đột",
            "Both phones show the same record, no conflict left"
        )
    );

    o.step("Phạm vi và vai trò", "Scope and roles");
    let p = sync_with_bar(&o, &mut mai)?;
    println!(
        "  {} {}",
        p.pulled,
        o.t(
            "hồ sơ của xã khác đến máy Mai (phải là 0)",
            "records of another commune reached Mai (must be 0)"
        )
    );
    let p = sync_with_bar(&o, &mut thu)?;
    println!(
        "  {} {}",
        p.pulled,
        o.t(
            "hồ sơ đến cán bộ tư pháp xã Hòa Bình",
            "records reached the Hòa Bình commune officer"
        )
    );
    bao.create(
        mediation_case(VILLAGE_HOA_BINH_1, COMMUNE_HOA_BINH),
        day(9, 5),
    )?;
    sync_with_bar(&o, &mut bao)?;
    for r in bao.store.list(&ListQuery::default())? {
        let st = bao.store.sync_state(&r.id)?;
        if let Some(rej) = st.rejection {
            println!(
                "  ✗ {}: {} — {}",
                o.t("Cán bộ thành phố ghi hồ sơ", "City officer's write"),
                rej.code,
                rej.message
            );
        }
    }

    o.step("Trên máy chủ", "On the server");
    let stats = server.block_on(server.storage.doc_stats())?;
    println!(
        "  {} {} · {} {} · {} B",
        stats.documents,
        o.t("hồ sơ", "records"),
        stats.seq,
        o.t("thay đổi đã nhận", "accepted changes"),
        stats.bytes
    );
    let s = lan.store.summary(day(9, 30))?;
    println!(
        "  {}: {} {}, {} {}, {} {}",
        o.t("Màn hình chính của Lan", "Lan's home screen"),
        s.total,
        o.t("hồ sơ", "records"),
        s.unsynced,
        o.t("chưa đồng bộ", "unsynced"),
        s.conflicts,
        o.t("xung đột", "conflicts")
    );

    o.step(
        "Ngày tiếp công dân ở phường Hòa Bình: 3 đơn thư và 1 buổi đối thoại của Bí thư Đảng ủy",
        "A reception day in Phường Hòa Bình: 3 petitions and the Party secretary's dialogue",
    );
    let overdue = dashboard::reception_day(&server)?;
    println!(
        "  {} ({}):",
        o.t(
            "Đơn quá hạn trên điện thoại cán bộ tiếp công dân",
            "Overdue petitions on the reception officer's phone"
        ),
        overdue.len()
    );
    for line in &overdue {
        println!("    - {line}");
    }

    if args.serve {
        o.step(
            "Thêm số liệu: xã Thủy Nguyên ghi 2 vụ việc, cán bộ xã Hòa Bình ghi 1 cuộc kiểm tra dân chủ",
            "More field work: Thủy Nguyên records 2 cases, the Hòa Bình officer a democracy check",
        );
        dashboard::more_field_work(&mut mai, &mut thu)?;
        dashboard::lock_then_late_case(&server)?;
        dashboard::historical_case(&server)?;
        dashboard::overdue_recommendation(&server)?;
    }

    o.step(
        "Báo cáo tổng hợp (tính từ dữ liệu đã đồng bộ)",
        "Reports (aggregated from the synced records)",
    );
    dashboard::print_report(&dashboard::report(&server, COMMUNE_HOA_BINH)?, o.lang, true);
    dashboard::print_report(&dashboard::report(&server, "31")?, o.lang, true);

    o.step(
        "Báo cáo kết quả thực hiện Kết luận 114-KL/TW (công tác dân vận) của thành phố",
        "The city's mass-mobilisation report (Conclusion 114-KL/TW)",
    );
    let path = mass_report(&server)?;
    println!("  {}: {}", o.t("Đã ghi", "Written"), path.display());

    if args.serve {
        o.step("Trang quản lý cho cán bộ", "Officers' dashboard");
        let logins = dashboard::create_users(&server, args.dashboard_password.as_deref())?;
        println!(
            "  {}: {}/dashboard?unit=31&period={}",
            o.t("Địa chỉ", "Address"),
            server.url,
            dashboard::DEMO_PERIOD
        );
        for l in &logins {
            println!(
                "  {} {} / {} ({}, {} {})",
                o.t("Đăng nhập:", "Login:"),
                l.username,
                l.password,
                l.role.label().get(o.lang),
                o.t("đơn vị", "unit"),
                l.unit
            );
        }
        // A one-time code for scripts that exercise the devices' API (scripts/attack-api.sh);
        // printed before the address, which they wait for.
        let code = server.enrollment_code("Máy thử API", Role::TeamLeader, VILLAGE_HOA_BINH_1)?;
        println!("DEVICE_ENROLL_CODE={code}");
        println!("DASHBOARD_URL={}", server.url);
        println!(
            "\n{} {} (Ctrl-C)",
            o.t("Máy chủ tiếp tục chạy tại", "Server keeps running at"),
            server.url
        );
        server.block_on(async {
            let _ = tokio::signal::ctrl_c().await;
        });
    }
    Ok(())
}

/// Write the city's mass-mobilisation report (.docx) for the half-year holding the demo's
/// records (the demo plays September 2025: 2025-H2, a complete period) to
/// `target/demo/bao-cao-dan-van-<period>.docx`; returns its path.
fn mass_report(server: &TestServer) -> Result<PathBuf> {
    use anyhow::Context;
    use danvan_server::aggregate::PeriodKind;
    use danvan_server::report::{self, mass};
    let agg = dashboard::aggregator(server);
    let demo = agg
        .periods()
        .period(dashboard::DEMO_PERIOD)
        .context("demo period")?;
    let period = agg
        .periods()
        .containing(PeriodKind::HalfYear, demo.start)
        .context("half-year of the demo period")?;
    let tree = server.units.tree();
    let figures = server.block_on(mass::gather(
        &agg,
        server.storage.as_ref(),
        &tree,
        "31",
        None,
        &period,
        // The city's report, as its officers see it (ADR 0012).
        Some(danvan_server::config::DEFAULT_SMALL_CELL_THRESHOLD),
    ))?;
    let today = danvan_core::model::common::Date::today_vn().0;
    let content = mass::build(
        &figures,
        &mass::Edits::default(),
        Lang::Vi,
        today,
        Some(&tree),
    );
    let bytes = report::write(&content.party_report())?;
    let dir = PathBuf::from("target").join("demo");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(format!("bao-cao-dan-van-{}.docx", period.key));
    std::fs::write(&path, bytes)?;
    Ok(std::fs::canonicalize(&path).unwrap_or(path))
}
