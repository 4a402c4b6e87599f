//! The Party-format report writer: what it writes reads back as the header, title, body tables
//! and signature a reader of the printed report would see, in order.

use std::io::Read;

use chrono::NaiveDate;
use danvan_server::report::{
    Block, PartyReport, ReportError, Section, Signature, Table, read_back, write,
};

fn report() -> PartyReport {
    PartyReport {
        issuer_parent: "ĐẢNG BỘ THÀNH PHỐ HẢI PHÒNG".into(),
        issuer: "BAN TUYÊN GIÁO VÀ DÂN VẬN THÀNH ỦY".into(),
        number: "Số 12-BC/BTGDVTU".into(),
        place: "Hải Phòng".into(),
        date: NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(),
        title: "BÁO CÁO".into(),
        subject: "Kết quả thực hiện Kết luận 114-KL/TW của Ban Bí thư về nâng cao chất lượng, \
                  hiệu quả công tác dân vận 6 tháng đầu năm 2026"
            .into(),
        sections: vec![
            Section {
                heading: "I. KẾT QUẢ THỰC HIỆN".into(),
                blocks: vec![
                    Block::Paragraph(
                        "Các cấp ủy, tổ chức đảng đã quán triệt, triển khai thực hiện \
                         nghiêm túc Kết luận 114-KL/TW; công tác hòa giải ở cơ sở được \
                         quan tâm, chất lượng được nâng lên."
                            .into(),
                    ),
                    Block::Subheading("1. Công tác hòa giải ở cơ sở".into()),
                    Block::Table(Table {
                        caption: "Bảng 1. Kết quả hòa giải ở cơ sở".into(),
                        header: vec![
                            "STT".into(),
                            "Đơn vị".into(),
                            "Số vụ việc tiếp nhận".into(),
                            "Hòa giải thành".into(),
                            "Tỷ lệ".into(),
                        ],
                        rows: vec![
                            vec![
                                "1".into(),
                                "Phường Hồng Bàng".into(),
                                "1.204".into(),
                                "1.087".into(),
                                "90,3%".into(),
                            ],
                            vec![
                                "2".into(),
                                "Xã Thủy Nguyên".into(),
                                "356".into(),
                                "298".into(),
                                "83,7%".into(),
                            ],
                        ],
                        total: Some(vec![
                            String::new(),
                            "Tổng cộng".into(),
                            "1.560".into(),
                            "1.385".into(),
                            "88,8%".into(),
                        ]),
                        note: Some("Số liệu tính đến ngày 31 tháng 12 năm 2025.".into()),
                    }),
                ],
            },
            Section {
                heading: "II. NHIỆM VỤ TRỌNG TÂM 6 THÁNG CUỐI NĂM".into(),
                blocks: vec![Block::Paragraph(
                    "Tiếp tục đổi mới nội dung, phương thức công tác dân vận.\n\n\
                     Phát huy vai trò của Mặt trận Tổ quốc và các đoàn thể."
                        .into(),
                )],
            },
        ],
        recipients: vec![
            "Thường trực Thành ủy,".into(),
            "- Ban Dân vận Trung ương,".into(),
            "Lưu VT.".into(),
        ],
        signature: Signature {
            on_behalf: "K/T TRƯỞNG BAN".into(),
            title: "PHÓ TRƯỞNG BAN".into(),
            name: "Nguyễn Thị Hương".into(),
        },
    }
}

/// The cell's lines, for cells whose paragraphs are joined with `\n`.
fn lines(cell: &str) -> Vec<&str> {
    cell.split('\n').collect()
}

#[test]
fn a_written_report_reads_back_in_party_layout() {
    let bytes = write(&report()).unwrap();
    let doc = read_back(&bytes).unwrap();

    // Header, signature block, and the one figures table, in that order.
    assert_eq!(doc.tables.len(), 3, "{:#?}", doc.tables);
    let masthead = &doc.tables[0];
    assert_eq!(masthead.len(), 1);
    assert_eq!(
        lines(&masthead[0][0]),
        [
            "ĐẢNG BỘ THÀNH PHỐ HẢI PHÒNG",
            "BAN TUYÊN GIÁO VÀ DÂN VẬN THÀNH ỦY",
            "*",
            "Số 12-BC/BTGDVTU"
        ]
    );
    assert_eq!(
        lines(&masthead[0][1]),
        [
            "ĐẢNG CỘNG SẢN VIỆT NAM",
            "Hải Phòng, ngày 05 tháng 01 năm 2026"
        ]
    );

    // Title, subject and rule open the body; headings follow in order.
    assert_eq!(doc.paragraphs[0], "BÁO CÁO");
    assert!(doc.paragraphs[1].starts_with("Kết quả thực hiện Kết luận 114-KL/TW"));
    assert_eq!(doc.paragraphs[2], "-----");
    let position = |text: &str| {
        doc.paragraphs
            .iter()
            .position(|p| p == text)
            .unwrap_or_else(|| panic!("{text:?} not in {:#?}", doc.paragraphs))
    };
    let first = position("I. KẾT QUẢ THỰC HIỆN");
    let sub = position("1. Công tác hòa giải ở cơ sở");
    let caption = position("Bảng 1. Kết quả hòa giải ở cơ sở");
    let note = position("Số liệu tính đến ngày 31 tháng 12 năm 2025.");
    let second = position("II. NHIỆM VỤ TRỌNG TÂM 6 THÁNG CUỐI NĂM");
    assert!(first < sub && sub < caption && caption < note && note < second);
    // Each non-blank line of a narrative is its own paragraph.
    assert_eq!(
        &doc.paragraphs[second + 1..],
        [
            "Tiếp tục đổi mới nội dung, phương thức công tác dân vận.",
            "Phát huy vai trò của Mặt trận Tổ quốc và các đoàn thể."
        ]
    );

    // The figures table: header, rows, total last.
    let figures = &doc.tables[1];
    assert_eq!(
        figures[0],
        [
            "STT",
            "Đơn vị",
            "Số vụ việc tiếp nhận",
            "Hòa giải thành",
            "Tỷ lệ"
        ]
    );
    assert_eq!(
        figures[1],
        ["1", "Phường Hồng Bàng", "1.204", "1.087", "90,3%"]
    );
    assert_eq!(figures[2], ["2", "Xã Thủy Nguyên", "356", "298", "83,7%"]);
    assert_eq!(figures[3], ["", "Tổng cộng", "1.560", "1.385", "88,8%"]);
    assert_eq!(figures.len(), 4);

    // Recipients (a leading "- " added once) and the signature.
    let closing = &doc.tables[2];
    assert_eq!(
        lines(&closing[0][0]),
        [
            "Nơi nhận:",
            "- Thường trực Thành ủy,",
            "- Ban Dân vận Trung ương,",
            "- Lưu VT."
        ]
    );
    assert_eq!(
        lines(&closing[0][1]),
        ["K/T TRƯỞNG BAN", "PHÓ TRƯỞNG BAN", "Nguyễn Thị Hương"]
    );
}

#[test]
fn the_output_is_a_zip_holding_the_main_document() {
    let bytes = write(&report()).unwrap();
    assert!(bytes.starts_with(b"PK\x03\x04"), "not a zip");
    // The document part is plain UTF-8 XML carrying the Vietnamese text as written.
    let xml = zip_entry(&bytes, "word/document.xml");
    assert!(xml.contains("Hải Phòng, ngày 05 tháng 01 năm 2026"));
    // A4 portrait; margins 20 mm top and bottom, 30 mm left, 15 mm right (in twips).
    assert!(
        xml.contains(r#"<w:pgSz w:w="11906" w:h="16838" />"#),
        "not A4"
    );
    assert!(
        xml.contains(r#"w:top="1134" w:right="850" w:bottom="1134" w:left="1701""#),
        "margins not as the Party's format"
    );
    assert!(zip_entry(&bytes, "word/styles.xml").contains(r#"w:ascii="Times New Roman""#));
}

#[test]
fn a_ragged_table_is_refused() {
    let mut r = report();
    let Block::Table(t) = &mut r.sections[0].blocks[2] else {
        panic!("the fixture's third block is the table");
    };
    t.rows[1].pop();
    match write(&r) {
        Err(ReportError::RaggedRow {
            section: 0,
            block: 2,
            row: 1,
            expected: 5,
            found: 4,
        }) => {}
        other => panic!("expected a ragged-row error, got {other:?}"),
    }
}

#[test]
fn bytes_that_are_not_a_docx_are_an_error() {
    assert!(matches!(read_back(b"not a zip"), Err(ReportError::Read(_))));
}

/// Writes the sample report where a person can open it in Word or LibreOffice.
#[test]
fn the_sample_report_is_left_in_target_for_a_human() {
    // CARGO_TARGET_TMPDIR is `<target>/tmp`: its parent is the target directory in use.
    let tmp = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let dir = tmp.parent().unwrap_or(tmp).join("test-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bao-cao-ket-luan-114.docx");
    std::fs::write(&path, write(&report()).unwrap()).unwrap();
    let back = std::fs::read(&path).unwrap();
    assert_eq!(read_back(&back).unwrap().paragraphs[0], "BÁO CÁO");
}

/// The text of one part of the zip, which must be there.
fn zip_entry(bytes: &[u8], name: &str) -> String {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut text = String::new();
    archive
        .by_name(name)
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    text
}
