//! CSV and XLSX exports: content, encoding, and the Ministry of Justice table against the API.

use std::io::Cursor;

use axum::http::{StatusCode, header};
use calamine::{Data, Reader, Xlsx};

use crate::dash::*;

#[tokio::test]
async fn csv_has_bom_vietnamese_headers_rows_per_child_and_total() {
    let d = dash().await;
    let c = Client::login(&d.router, CITY).await;
    let r = c
        .get(&format!("/export/mediation.csv?unit=31&period={PERIOD}"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.headers.get(header::CONTENT_TYPE).unwrap(),
        "text/csv; charset=utf-8"
    );
    assert!(
        r.headers
            .get(header::CONTENT_DISPOSITION)
            .unwrap()
            .to_str()
            .unwrap()
            .contains("danvan-mediation-31-2025-09.csv")
    );
    assert_eq!(&r.body[..3], b"\xEF\xBB\xBF", "UTF-8 BOM for Excel");
    let text = String::from_utf8(r.body[3..].to_vec()).unwrap();
    let mut rd = csv::Reader::from_reader(text.as_bytes());
    let head: Vec<String> = rd.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(head[0], "Mã đơn vị");
    assert_eq!(head[1], "Đơn vị");
    let col = head.iter().position(|h| h == "Hòa giải thành").unwrap();
    let rows: Vec<csv::StringRecord> = rd.records().map(|r| r.unwrap()).collect();
    let hb = rows.iter().find(|r| &r[0] == HOA_BINH).unwrap();
    assert_eq!(&hb[1], "Phường Hòa Bình");
    assert_eq!(&hb[col], "3");
    let total = rows.last().unwrap();
    assert_eq!(&total[1], "Tổng cộng");
    assert_eq!(&total[col], "4");
    // One row per commune of the city (plus the total).
    let api = c
        .get(&format!("/api/v1/aggregates?unit=31&period={PERIOD}"))
        .await
        .json();
    assert!(rows.len() > api["children"].as_array().unwrap().len());

    for kind in ["inspection", "democracy"] {
        let r = c
            .get(&format!(
                "/export/{kind}.csv?unit={HOA_BINH}&period={PERIOD}"
            ))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{kind}");
        assert!(
            r.text().lines().count() >= 3,
            "{kind}: header, villages, total"
        );
    }
    let r = c
        .get(&format!("/export/other.csv?unit=31&period={PERIOD}"))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // English headers on request.
    let r = c
        .get(&format!(
            "/export/mediation.csv?unit=31&period={PERIOD}&lang=en"
        ))
        .await;
    assert!(r.text().contains("Unit code,Unit,"));
}

fn num(cell: &Data) -> f64 {
    match cell {
        Data::Float(f) => *f,
        Data::Int(i) => *i as f64,
        other => panic!("not a number: {other:?}"),
    }
}

#[tokio::test]
async fn moj_xlsx_matches_the_api() {
    let d = dash().await;
    let c = Client::login(&d.router, CITY).await;
    let r = c
        .get(&format!(
            "/export/mediation-moj.xlsx?unit=31&period={PERIOD}"
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.headers
            .get(header::CONTENT_TYPE)
            .unwrap()
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );
    let api = c
        .get(&format!("/api/v1/aggregates?unit=31&period={PERIOD}"))
        .await
        .json();
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(r.body.clone())).unwrap();
    let ws = wb.worksheet_range("Hoa giai").unwrap();
    let s = |r: u32, c: u32| {
        ws.get_value((r, c))
            .map(|d| d.to_string())
            .unwrap_or_default()
    };
    assert_eq!(s(0, 0), "KẾT QUẢ HOẠT ĐỘNG HÒA GIẢI Ở CƠ SỞ");
    assert!(s(1, 0).contains("Thành phố Hải Phòng"));
    assert!(s(1, 0).contains("30/09/2025"), "cut-off shown: {}", s(1, 0));
    assert_eq!(s(4, 0), "STT");
    assert_eq!(s(4, 1), "Đơn vị");
    assert_eq!(s(4, 2), "Tổng số vụ việc tiếp nhận");
    assert_eq!(s(5, 3), "Kỳ trước chuyển sang");
    assert_eq!(s(5, 4), "Mới tiếp nhận");
    assert_eq!(s(5, 5), "Hòa giải thành");
    assert_eq!(s(5, 6), "Hòa giải không thành");
    assert_eq!(s(5, 7), "Đang giải quyết");
    assert_eq!(s(5, 9), "Mâu thuẫn giữa các bên");
    let last = ws.height() as u32;
    let total_row = (6..last)
        .find(|r| s(*r, 1) == "Tổng cộng")
        .expect("a Tổng cộng row");
    let t = &api["totals"]["mediation"];
    assert_eq!(
        num(ws.get_value((total_row, 4)).unwrap()),
        t["received"].as_f64().unwrap()
    );
    assert_eq!(
        num(ws.get_value((total_row, 5)).unwrap()),
        t["successful"].as_f64().unwrap()
    );
    assert_eq!(
        num(ws.get_value((total_row, 6)).unwrap()),
        t["unsuccessful"].as_f64().unwrap()
    );
    assert_eq!(
        num(ws.get_value((total_row, 7)).unwrap()),
        t["in_progress"].as_f64().unwrap()
    );
    let hb_row = (6..total_row)
        .find(|r| s(*r, 1) == "Phường Hòa Bình")
        .unwrap();
    let hb = api["children"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["unit"]["code"] == HOA_BINH)
        .unwrap();
    assert_eq!(
        num(ws.get_value((hb_row, 5)).unwrap()),
        hb["indicators"]["mediation"]["successful"]
            .as_f64()
            .unwrap()
    );
    // Success rate in percent: 3 of 4 mediated in Hòa Bình.
    let rate_col = (0..40)
        .find(|c| s(5, *c) == "Tỷ lệ hòa giải thành (%)" || s(4, *c) == "Tỷ lệ hòa giải thành (%)")
        .unwrap();
    assert_eq!(num(ws.get_value((hb_row, rate_col)).unwrap()), 75.0);
    // Merged header cells.
    let merges = wb.merge_cells_by_sheet_name("Hoa giai").unwrap();
    assert!(merges.len() >= 6, "{merges:?}");
}

#[tokio::test]
async fn exports_obey_scope() {
    let d = dash().await;
    let c = Client::login(&d.router, OTHER_COMMUNE).await;
    let r = c
        .get(&format!(
            "/export/mediation-moj.xlsx?unit={HOA_BINH}&period={PERIOD}"
        ))
        .await;
    assert_eq!(r.code(), "out_of_scope");
    let r = c
        .get(&format!("/export/mediation.csv?unit=31&period={PERIOD}"))
        .await;
    assert_eq!(r.code(), "out_of_scope");
}
