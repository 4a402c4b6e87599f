//! Shared fixture of the dashboard tests: a SQLite server with the Hải Phòng units, records of
//! two communes whose parties and officials have distinctive names, and three officers; a
//! cookie-keeping client over the router.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use danvan_core::model::common::Date;
use danvan_core::model::mediation::{MediationCategory, MediationSubtype};
use danvan_core::model::{DemocracyCheck, InspectionActivity, MediationCase, PersonEntry};
use danvan_core::sync::merge::{MergeLimits, Stored, merge_stored};
use danvan_core::sync::wire::Push;
use danvan_core::{Record, RecordBody, RecordDoc, RulesConfig};
use danvan_server::roles::Role;
use danvan_server::state::AppState;
use danvan_server::storage::Storage;
use danvan_server::{ServerConfig, app};
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::support::{TestDb, haiphong};

/// Names that must never leave the commune.
pub const SECRETS: &[&str] = &[
    "Nguyễn Văn Bímật",
    "Trần Thị Kínđáo",
    "Lê Văn Riêngtư",
    "Phạm Thị Ẩndanh",
    "Hoàng Văn Giấutên",
    "0987 654 321",
    "ngõ Bímật",
];

pub const CITY: (&str, &str) = ("bao.city", "mật khẩu thành phố 31");
pub const COMMUNE: (&str, &str) = ("thu.hoabinh", "mật khẩu xã Hòa Bình");
pub const OTHER_COMMUNE: (&str, &str) = ("mai.thuynguyen", "mật khẩu xã Thủy Nguyên");
pub const HOA_BINH: &str = "11533";
pub const THUY_NGUYEN: &str = "11560";
pub const PERIOD: &str = "2025-09";

fn d(m: u32, day: u32) -> Date {
    Date::ymd(2025, m, day).unwrap()
}

fn named(name: &str, role: &str) -> PersonEntry {
    PersonEntry::named(name, Some(role))
}

fn secret_case(village: &str, commune: &str) -> MediationCase {
    let mut c = MediationCase::example();
    c.village = village.into();
    c.commune = commune.into();
    c.team = format!("{village}-HG");
    c.parties[0].name = SECRETS[0].into();
    c.parties[0].address = format!("Số 9, {}", SECRETS[6]);
    c.parties[0].phone = Some(SECRETS[5].into());
    c.parties[1].name = SECRETS[1].into();
    c.mediators = vec![named(SECRETS[2], "hòa giải viên")];
    c.invited = vec![named(SECRETS[3], "trưởng tổ dân phố")];
    c
}

/// Store one record as a device would push it (merge + validation + fact row).
pub async fn store(storage: &dyn Storage, record: &Record) {
    let device = uuid::Uuid::now_v7();
    let mut doc = RecordDoc::create(record, &device).unwrap();
    let heads = doc.heads().iter().map(|h| h.0).collect();
    let push = Push {
        id: record.id().parse().unwrap(),
        changes: doc.save(),
        heads,
    };
    let rules = RulesConfig::default();
    let limits = MergeLimits::default();
    let decide = |stored: Option<Stored<'_>>, p: &Push| {
        merge_stored(stored, p, &rules, &limits, |_, _| Ok(()))
    };
    let verdicts = storage
        .apply_pushes(&device.to_string(), &[push], &decide, &rules)
        .await
        .unwrap();
    assert!(
        matches!(
            verdicts[0].outcome,
            danvan_core::sync::wire::Outcome::Accepted { .. }
        ),
        "{verdicts:?}"
    );
}

/// A mediation case in `village`: received on `recv`, optionally mediated and closed.
pub fn case(
    village: &str,
    commune: &str,
    recv: Date,
    category: MediationCategory,
    outcome: Option<(&str, Date)>,
) -> Record {
    let mut body = secret_case(village, commune);
    body.received_on = recv;
    body.assigned_on = Some(recv);
    body.category = category;
    body.subtype = match category {
        MediationCategory::Conflict => MediationSubtype::Path,
        MediationCategory::Civil => MediationSubtype::LandBoundary,
        MediationCategory::MarriageFamily => MediationSubtype::Spouses,
        MediationCategory::MinorViolation => MediationSubtype::Scuffle,
    };
    let mut r = Record::new(village, "seed", recv, RecordBody::Mediation(body));
    if let Some((to, on)) = outcome {
        if let RecordBody::Mediation(m) = &mut r.body {
            m.started_on = Some(on);
        }
        r.transition("mediating", on, "seed", None).unwrap();
        if let RecordBody::Mediation(m) = &mut r.body {
            match to {
                "successful" => {
                    let ok = MediationCase::example_successful();
                    m.agreement = ok.agreement.map(|mut a| {
                        a.settlement_on = Some(on);
                        a.due_on = Some(on.plus_days(20));
                        a
                    });
                    m.sessions = ok.sessions;
                    for s in &mut m.sessions {
                        s.held_on = on;
                    }
                }
                "unsuccessful" => m.party_positions = Some("Hai bên giữ ý kiến".into()),
                _ => {}
            }
        }
        if to != "mediating" {
            r.transition(to, on, "seed", None).unwrap();
            if let RecordBody::Mediation(m) = &mut r.body {
                m.closed_on = Some(on);
            }
        }
    }
    r
}

/// Seed both communes: Hòa Bình (11533) has 6 cases in September 2025 (3 successful, 1
/// unsuccessful, 2 open) and 1 in August; Thủy Nguyên (11560) has 2 in September. Plus one
/// inspection activity and one democracy check in Hòa Bình, with named members and checkers.
pub async fn seed(storage: &dyn Storage) {
    use MediationCategory::*;
    let hb1 = "11533-T01";
    let hb2 = "11533-T02";
    let tn1 = "11560-T01";
    let cases = [
        case(
            hb1,
            HOA_BINH,
            d(9, 2),
            Conflict,
            Some(("successful", d(9, 5))),
        ),
        case(hb1, HOA_BINH, d(9, 3), Civil, Some(("successful", d(9, 8)))),
        case(
            hb2,
            HOA_BINH,
            d(9, 4),
            MarriageFamily,
            Some(("successful", d(9, 9))),
        ),
        case(
            hb2,
            HOA_BINH,
            d(9, 6),
            Civil,
            Some(("unsuccessful", d(9, 12))),
        ),
        case(hb1, HOA_BINH, d(9, 15), Conflict, None),
        case(
            hb2,
            HOA_BINH,
            d(9, 20),
            MinorViolation,
            Some(("mediating", d(9, 22))),
        ),
        case(
            hb1,
            HOA_BINH,
            d(8, 10),
            Civil,
            Some(("successful", d(8, 20))),
        ),
        case(
            tn1,
            THUY_NGUYEN,
            d(9, 10),
            Conflict,
            Some(("successful", d(9, 18))),
        ),
        case(tn1, THUY_NGUYEN, d(9, 11), Civil, None),
    ];
    for c in &cases {
        store(storage, c).await;
    }
    let mut insp = InspectionActivity::example();
    for m in &mut insp.members {
        m.person.name = SECRETS[4].into();
    }
    insp.board = format!("{HOA_BINH}-TTND");
    insp.start_on = d(9, 10);
    let r = Record::new(HOA_BINH, "seed", d(9, 10), RecordBody::Inspection(insp));
    store(storage, &r).await;
    let mut dem = DemocracyCheck::example();
    for c in &mut dem.checkers {
        c.person.name = SECRETS[4].into();
    }
    dem.commune = HOA_BINH.into();
    let r = Record::new(HOA_BINH, "seed", d(9, 12), RecordBody::Democracy(dem));
    store(storage, &r).await;
}

/// A seeded dashboard on SQLite.
pub struct Dash {
    pub router: Router,
    pub storage: Arc<dyn Storage>,
    _db: TestDb,
}

pub async fn dash() -> Dash {
    dash_with(|s| s).await
}

pub async fn dash_with(f: impl FnOnce(AppState) -> AppState) -> Dash {
    let db = TestDb::sqlite().await;
    let storage = db.storage();
    let units = haiphong(storage.as_ref()).await;
    seed(storage.as_ref()).await;
    let tree = units.tree();
    for ((user, pw), role, unit) in [
        (CITY, Role::CityOfficer, "31"),
        (COMMUNE, Role::CommuneOfficer, HOA_BINH),
        (OTHER_COMMUNE, Role::CommuneOfficer, THUY_NGUYEN),
    ] {
        danvan_server::users::add_user(storage.as_ref(), &tree, user, role, unit, pw)
            .await
            .unwrap();
    }
    let state = f(AppState::new(
        storage.clone(),
        units,
        ServerConfig::default(),
    ));
    Dash {
        router: app(state),
        storage,
        _db: db,
    }
}

/// A response.
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
    pub fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or("")
            .to_string()
    }
    pub fn location(&self) -> String {
        self.headers
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    }
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect()
    }
}

/// A browser-like client: keeps the session cookie, knows the CSRF token.
#[derive(Clone)]
pub struct Client {
    pub router: Router,
    pub cookie: Option<String>,
    pub csrf: String,
}

pub fn cookie_of(resp: &Resp, name: &str) -> Option<String> {
    resp.set_cookies().iter().find_map(|c| {
        let first = c.split(';').next()?;
        let (k, v) = first.split_once('=')?;
        (k == name && !v.is_empty()).then(|| v.to_string())
    })
}

pub fn hidden(html: &str, name: &str) -> String {
    let pat = format!("name=\"{name}\" value=\"");
    let start = html.find(&pat).map(|i| i + pat.len()).unwrap_or(0);
    html[start..].split('"').next().unwrap_or("").to_string()
}

impl Client {
    pub fn anonymous(router: &Router) -> Client {
        Client {
            router: router.clone(),
            cookie: None,
            csrf: String::new(),
        }
    }

    /// Log in through the HTML form (GET /login for the token, POST /login).
    pub async fn login(router: &Router, user: (&str, &str)) -> Client {
        let c = Client::anonymous(router);
        let page = c.get("/login").await;
        let token = hidden(&page.text(), "csrf");
        let login_cookie = cookie_of(&page, "danvan_login_csrf").unwrap();
        let body = format!(
            "username={}&password={}&csrf={}&next=%2Fdashboard",
            enc(user.0),
            enc(user.1),
            enc(&token)
        );
        let resp = c
            .send(
                Request::post("/login")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .header(header::COOKIE, format!("danvan_login_csrf={login_cookie}"))
                    .body(Body::from(body))
                    .unwrap(),
            )
            .await;
        assert_eq!(resp.status, StatusCode::SEE_OTHER, "{}", resp.text());
        let session = cookie_of(&resp, "danvan_session").unwrap();
        let mut c = Client {
            router: router.clone(),
            cookie: Some(format!("danvan_session={session}")),
            csrf: String::new(),
        };
        c.csrf = c.get("/api/v1/session").await.json()["csrf_token"]
            .as_str()
            .unwrap()
            .to_string();
        c
    }

    pub async fn send(&self, mut req: Request<Body>) -> Resp {
        if let Some(c) = &self.cookie
            && !req.headers().contains_key(header::COOKIE)
        {
            req.headers_mut().insert(header::COOKIE, c.parse().unwrap());
        }
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec();
        Resp {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, uri: &str) -> Resp {
        self.send(Request::get(uri).body(Body::empty()).unwrap())
            .await
    }

    pub async fn post_form(&self, uri: &str, body: &str) -> Resp {
        self.send(
            Request::post(uri)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await
    }

    pub async fn post_json(&self, uri: &str, body: serde_json::Value, csrf: Option<&str>) -> Resp {
        let mut b = Request::post(uri).header(header::CONTENT_TYPE, "application/json");
        if let Some(t) = csrf {
            b = b.header("x-csrf-token", t);
        }
        self.send(b.body(Body::from(body.to_string())).unwrap())
            .await
    }
}

pub fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
