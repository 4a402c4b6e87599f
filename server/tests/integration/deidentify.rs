//! No personal field above the commune: a city officer crawls every dashboard page reachable by
//! links, every API route and every export, and none holds a party's, mediator's, invited
//! person's or board member's name, address or phone; the commune officer's record detail
//! does show them.

use std::collections::{BTreeSet, VecDeque};
use std::io::Cursor;

use axum::http::StatusCode;
use calamine::{Reader, Xlsx};

use crate::dash::*;

fn links(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(|h| h.replace("&amp;", "&").replace("&#38;", "&"))
        .filter(|h| h.starts_with('/') && !h.starts_with("//"))
        .collect()
}

fn assert_clean(what: &str, text: &str) {
    for s in SECRETS {
        assert!(!text.contains(s), "{what} leaks {s:?}");
    }
}

fn xlsx_text(bytes: &[u8]) -> String {
    let mut wb: Xlsx<_> = Xlsx::new(Cursor::new(bytes.to_vec())).unwrap();
    let mut out = String::new();
    for name in wb.sheet_names() {
        let range = wb.worksheet_range(&name).unwrap();
        for row in range.rows() {
            for c in row {
                out.push_str(&c.to_string());
                out.push('\t');
            }
        }
    }
    out
}

#[tokio::test]
async fn city_officer_never_sees_personal_fields() {
    let d = dash().await;
    let c = Client::login(&d.router, CITY).await;
    let mut seen = BTreeSet::new();
    let mut queue = VecDeque::from([
        format!("/dashboard?unit=31&period={PERIOD}"),
        format!("/dashboard?unit={HOA_BINH}&period={PERIOD}&lang=en"),
        format!("/dashboard?unit={HOA_BINH}&period=2025-Q3"),
    ]);
    let mut pages = 0;
    let mut units = BTreeSet::new();
    while let Some(url) = queue.pop_front() {
        if !seen.insert(url.clone()) || pages >= 400 {
            continue;
        }
        let r = c.get(&url).await;
        pages += 1;
        let text = r.text();
        assert_clean(&url, &text);
        if url.starts_with("/export/") && url.contains(".xlsx") {
            assert_eq!(r.status, StatusCode::OK, "{url}");
            assert_clean(&url, &xlsx_text(&r.body));
            continue;
        }
        if let Some(u) = url.split("unit=").nth(1) {
            units.insert(u.split('&').next().unwrap_or("").to_string());
        }
        for l in links(&text) {
            // Stay on the period under test (the picker lists many others); follow every
            // unit, ranking, export and record link.
            let other_period =
                l.contains("period=") && !l.contains(PERIOD) && !l.contains("2025-Q3");
            if !other_period && !l.contains("lang=") {
                queue.push_back(l);
            }
        }
    }
    assert!(pages > 20, "the crawl reached only {pages} pages");
    // The crawl reaches the communes, and no link leads below them (ADR 0012).
    assert!(units.contains(HOA_BINH), "{units:?}");
    assert!(
        !units.iter().any(|u| u.contains("-T")),
        "a link down to a village: {units:?}"
    );

    // Every API route, for the units crawled.
    let mut api = vec![
        "/api/v1/session".to_string(),
        "/api/v1/periods".to_string(),
        "/api/openapi.json".to_string(),
    ];
    for u in ["31", HOA_BINH, "11533-T01", THUY_NGUYEN] {
        for p in [PERIOD, "2025-Q3", "2025"] {
            api.push(format!("/api/v1/aggregates?unit={u}&period={p}"));
            api.push(format!("/api/v1/completeness?unit={u}&period={p}"));
            for ind in [
                "mediation_received",
                "mediation_success_rate",
                "inspection_recommendations",
            ] {
                api.push(format!(
                    "/api/v1/ranking?unit={u}&period={p}&indicator={ind}"
                ));
            }
            for f in ["mediation.csv", "inspection.csv", "democracy.csv"] {
                api.push(format!("/export/{f}?unit={u}&period={p}"));
            }
        }
        api.push(format!("/api/v1/units/{u}?as_of=2025-09-30"));
        api.push(format!("/api/v1/records?unit={u}"));
    }
    for url in &api {
        let r = c.get(url).await;
        assert!(r.status != StatusCode::INTERNAL_SERVER_ERROR, "{url}");
        assert_clean(url, &r.text());
    }
    for u in ["31", HOA_BINH] {
        let r = c
            .get(&format!(
                "/export/mediation-moj.xlsx?unit={u}&period={PERIOD}"
            ))
            .await;
        assert_clean("moj xlsx", &xlsx_text(&r.body));
    }

    // The records routes refuse the city officer, even with a valid record id.
    let commune = Client::login(&d.router, COMMUNE).await;
    let list = commune
        .get(&format!("/api/v1/records?unit={HOA_BINH}"))
        .await
        .json();
    let id = list[0]["id"].as_str().unwrap().to_string();
    for url in [
        format!("/dashboard/records?unit={HOA_BINH}"),
        format!("/dashboard/records/{id}"),
    ] {
        let r = c.get(&url).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{url}");
        assert!(r.text().contains("records_forbidden"));
        assert_clean(&url, &r.text());
    }
}

#[tokio::test]
async fn commune_officer_sees_the_names_in_record_detail() {
    let d = dash().await;
    let c = Client::login(&d.router, COMMUNE).await;
    let page = c
        .get(&format!("/dashboard?unit={HOA_BINH}&period={PERIOD}"))
        .await
        .text();
    assert!(page.contains("id=\"records-link\""));
    let list = c.get(&format!("/dashboard/records?unit={HOA_BINH}")).await;
    assert_eq!(list.status, StatusCode::OK);
    let details: Vec<String> = links(&list.text())
        .into_iter()
        .filter(|l| l.starts_with("/dashboard/records/"))
        .collect();
    assert_eq!(details.len(), 9);
    let mut all = String::new();
    for l in &details {
        let r = c.get(l).await;
        assert_eq!(r.status, StatusCode::OK, "{l}");
        all.push_str(&r.text());
    }
    for s in SECRETS {
        assert!(all.contains(s), "the commune officer should see {s:?}");
    }
    // Another commune's officer cannot open them.
    let other = Client::login(&d.router, OTHER_COMMUNE).await;
    let r = other.get(&details[0]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.text().contains("out_of_scope"));
    assert_clean("other commune's detail", &r.text());
}
