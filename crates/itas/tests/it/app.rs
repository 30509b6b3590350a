//! `spawn_app`: a fresh database on the chosen backend with the demo loaded,
//! and the real router driven in-process with a cookie jar per client.

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use itas_store::Db;
use itas_web::{AppState, Config};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use tower::ServiceExt;

pub const DEMO_PASSWORD: &str = "demo-password-for-tests";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// PostgreSQL for tests: `ITAS_TEST_PG_URL`, or the local server every CI machine runs.
pub fn pg_url() -> String {
    std::env::var("ITAS_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique() -> String {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    format!(
        "{now}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// A fresh, migrated, empty database. PostgreSQL gets its own schema, named
/// with its creation time so later runs can drop the leftovers.
pub async fn fresh_db(backend: Backend) -> Db {
    match backend {
        Backend::Sqlite => {
            let dir = std::env::temp_dir().join("itas-tests");
            std::fs::create_dir_all(&dir).unwrap();
            let path = dir.join(format!("{}.sqlite3", unique()));
            let db = Db::connect(&format!("sqlite://{}", path.display()))
                .await
                .expect("open SQLite");
            db.migrate().await.expect("migrate SQLite");
            db
        }
        Backend::Postgres => {
            let admin = Db::connect(&pg_url()).await.unwrap_or_else(|e| {
                panic!(
                    "PostgreSQL tests need a server at {} (set ITAS_TEST_PG_URL): {e}",
                    pg_url()
                )
            });
            let Db::Postgres(pool) = &admin else {
                unreachable!()
            };
            drop_old_schemas(pool).await;
            let schema = format!("itas_t_{}", unique());
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
                .execute(pool)
                .await
                .expect("create schema");
            admin.close().await;
            let url = format!("{}?options=-c%20search_path%3D{schema}", pg_url());
            let db = Db::connect(&url).await.expect("open PostgreSQL schema");
            db.migrate().await.expect("migrate PostgreSQL");
            db
        }
    }
}

/// Drops test schemas older than an hour (left by earlier or crashed runs).
async fn drop_old_schemas(pool: &sqlx::PgPool) {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT nspname::text FROM pg_namespace WHERE nspname LIKE 'itas_t_%'")
            .fetch_all(pool)
            .await
            .unwrap_or_default();
    let cutoff = time::OffsetDateTime::now_utc().unix_timestamp() - 3600;
    for (name,) in rows {
        let born: i64 = name
            .trim_start_matches("itas_t_")
            .split('_')
            .next()
            .and_then(|s| s.parse().ok())
            .unwrap_or(i64::MAX);
        if born < cutoff {
            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                "DROP SCHEMA IF EXISTS {name} CASCADE"
            )))
            .execute(pool)
            .await;
        }
    }
}

pub struct TestApp {
    pub db: Db,
    pub router: Router,
}

pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, Config::default()).await
}

pub async fn spawn_app_with(backend: Backend, config: Config) -> TestApp {
    let db = fresh_db(backend).await;
    let today = time::OffsetDateTime::now_utc().date();
    itas_app::demo::load(&db, Some(DEMO_PASSWORD), today)
        .await
        .expect("demo loads");
    let router = itas_web::app(AppState::new(db.clone(), config));
    TestApp { db, router }
}

/// A response, with its body read.
pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
    pub bytes: Vec<u8>,
}

impl Reply {
    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// One browser: a cookie jar over the app.
pub struct Client<'a> {
    app: &'a TestApp,
    cookies: BTreeMap<String, String>,
    pub extra_headers: Vec<(String, String)>,
}

impl TestApp {
    /// A second server over the same database, with caches of its own (what
    /// a load balancer in front of several `itas serve` has).
    pub fn another_server(&self) -> TestApp {
        TestApp {
            db: self.db.clone(),
            router: itas_web::app(AppState::new(self.db.clone(), Config::default())),
        }
    }

    pub fn client(&self) -> Client<'_> {
        Client {
            app: self,
            cookies: BTreeMap::new(),
            extra_headers: Vec::new(),
        }
    }

    /// A client signed in as `username` with the demo password.
    pub async fn signed_in(&self, username: &str) -> Client<'_> {
        let mut c = self.client();
        let r = c
            .post_form(
                "/login",
                &[("username", username), ("password", DEMO_PASSWORD)],
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "sign-in of {username}: {}",
            r.body
        );
        c
    }

    pub async fn agency_id(&self, code: &str) -> String {
        itas_store::agencies::by_code(&self.db, code)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("agency {code}"))
            .id
    }

    /// The demo's current round (collection open today).
    pub async fn current_round(&self) -> String {
        itas_store::rounds::list(&self.db)
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.name.contains("สาธิต"))
            .expect("current round")
            .id
    }

    pub async fn round_id(&self, name_prefix: &str) -> String {
        round_named(&self.db, name_prefix).await
    }
}

/// The id of the first round whose name starts with `name_prefix`.
pub async fn round_named(db: &Db, name_prefix: &str) -> String {
    itas_store::rounds::list(db)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.name.starts_with(name_prefix))
        .expect("round")
        .id
}

impl Client<'_> {
    /// The same browser, its next requests reaching `app` (another server).
    pub fn on<'b>(&self, app: &'b TestApp) -> Client<'b> {
        Client {
            app,
            cookies: self.cookies.clone(),
            extra_headers: self.extra_headers.clone(),
        }
    }

    /// A cookie the client chose itself (as an attacker's script would).
    pub fn set_cookie(&mut self, name: &str, value: &str) {
        self.cookies.insert(name.to_string(), value.to_string());
    }

    /// The value of a cookie the server set, if any.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.get(name).cloned()
    }

    pub async fn request(
        &mut self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Reply {
        let mut req = Request::builder().method(method).uri(path);
        if !self.cookies.is_empty() {
            let c: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            req = req.header(header::COOKIE, c.join("; "));
        }
        if let Some(ct) = content_type {
            req = req.header(header::CONTENT_TYPE, ct);
        }
        for (k, v) in &self.extra_headers {
            req = req.header(k.as_str(), v.as_str());
        }
        let resp = self
            .app
            .router
            .clone()
            .oneshot(req.body(Body::from(body)).unwrap())
            .await
            .unwrap();
        for v in resp.headers().get_all(header::SET_COOKIE) {
            let v = v.to_str().unwrap();
            let (kv, attrs) = v.split_once(';').unwrap_or((v, ""));
            if let Some((k, val)) = kv.split_once('=') {
                if val.is_empty() || attrs.contains("Max-Age=0") {
                    self.cookies.remove(k);
                } else {
                    self.cookies.insert(k.to_string(), val.to_string());
                }
            }
        }
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            bytes: bytes.to_vec(),
        }
    }

    pub async fn get(&mut self, path: &str) -> Reply {
        self.request(Method::GET, path, None, Vec::new()).await
    }

    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let body: Vec<String> = fields
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect();
        self.request(
            Method::POST,
            path,
            Some("application/x-www-form-urlencoded"),
            body.join("&").into_bytes(),
        )
        .await
    }

    /// POSTs a body that is already form-encoded.
    pub async fn post_form_raw(&mut self, path: &str, body: &str) -> Reply {
        self.request(
            Method::POST,
            path,
            Some("application/x-www-form-urlencoded"),
            body.as_bytes().to_vec(),
        )
        .await
    }

    pub async fn post_json(&mut self, path: &str, v: &serde_json::Value) -> Reply {
        self.request(
            Method::POST,
            path,
            Some("application/json"),
            v.to_string().into_bytes(),
        )
        .await
    }

    pub async fn post_file(
        &mut self,
        path: &str,
        field: &str,
        filename: &str,
        bytes: &[u8],
    ) -> Reply {
        let boundary = "itas-test-boundary-7d1f";
        let mut body = Vec::new();
        body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
        body.extend(bytes);
        body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
        self.request(
            Method::POST,
            path,
            Some(&format!("multipart/form-data; boundary={boundary}")),
            body,
        )
        .await
    }
}

fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Runs an async test body once per backend, as two named tests.
#[macro_export]
macro_rules! both_backends {
    ($name:ident, |$app:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn run($app: $crate::app::TestApp) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                run($crate::app::spawn_app($crate::app::Backend::Sqlite).await).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                run($crate::app::spawn_app($crate::app::Backend::Postgres).await).await
            }
        }
    };
}

/// The demo's current round, the seed agency (KK-HUANONG) and its active link for `tool`.
pub async fn demo_link(db: &Db, tool: &str) -> (String, String, String) {
    let round = itas_store::rounds::list(db)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.name.contains("สาธิต"))
        .expect("current round")
        .id;
    let agency = itas_store::agencies::by_code(db, "KK-HUANONG")
        .await
        .unwrap()
        .expect("seed agency")
        .id;
    let code = itas_store::surveys::ensure_link(db, None, &round, &agency, tool)
        .await
        .unwrap()
        .code;
    (round, agency, code)
}

/// Lets the demo's seed agency take IIT answers without single-use codes in
/// the current round (codes are on by default for the IIT), as an agency may
/// choose; tests of the open survey path use it.
pub async fn iit_without_codes(db: &Db) {
    let (round, agency, _) = demo_link(db, "IIT").await;
    itas_store::surveys::set_require_code(db, None, &round, &agency, "IIT", false)
        .await
        .unwrap();
}

/// A national agency list as Excel saves it (CRLF, every column): `n` rows
/// under the parent `KK`, each about 290 bytes, so 8,300 rows pass 2 MB.
pub fn national_agency_csv(n: usize, prefix: &str) -> String {
    let mut csv = String::from("code,name_th,name_en,kind,province,parent_code,website\r\n");
    for i in 0..n {
        csv.push_str(&format!(
            "{prefix}-{i:05},องค์การบริหารส่วนตำบลทดสอบระดับประเทศลำดับที่ {i},Test Subdistrict Administrative Organisation number {i},sao,ขอนแก่น,KK,https://www.national-test-{i}.go.th/ita\r\n"
        ));
    }
    csv
}

/// The fields of one page of `tool` (ita-2564), every cell on option `o`
/// (or the scale's last option where it has fewer).
pub fn page_fields(tool: &str, page: usize, o: usize) -> Vec<(String, String)> {
    let fw = itas_core::framework::ita_2564();
    let indicator = itas_core::survey::pages(&fw, tool)[page];
    itas_core::survey::items(&fw, tool)
        .into_iter()
        .filter(|(it, _, _)| it.indicator == indicator)
        .flat_map(|(it, scale, cells)| {
            let code = scale.options[o.min(scale.options.len() - 1)].code.clone();
            (0..cells).map(move |c| (format!("{}.{c}", it.code), code.clone()))
        })
        .collect()
}

/// Saves page `page` of `tool` on the survey link `code`, every cell on option `o`.
pub async fn post_page(c: &mut Client<'_>, tool: &str, code: &str, page: usize, o: usize) -> Reply {
    let fields = page_fields(tool, page, o);
    let f: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    c.post_form(&format!("/s/{code}/q/{page}"), &f).await
}

/// Posts one whole questionnaire of `tool` (or of a part, `EIT.2`) on the
/// survey link `code`, as a phone sends the whole form.
pub async fn answer(
    phone: &mut Client<'_>,
    code: &str,
    fw: &itas_core::Framework,
    tool: &str,
    seed: u64,
) {
    let body = itas_web::loadgen::answers_body(fw, tool, seed);
    let r = phone
        .post_form_raw(
            &format!("/s/{code}/submit"),
            &format!("{body}&sid={}", uuid::Uuid::new_v4()),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{tool} {seed}: {}", r.body);
}

/// Moves a round's phases so that today is `(phase, from, to)`'s days
/// around it, each phase given as days before (negative) or after today.
pub async fn set_phases_around_today(
    db: &Db,
    round: &str,
    phases: &[(itas_core::directory::Phase, i64, i64)],
) {
    let today = itas_web::today();
    let day = |d: i64| today + time::Duration::days(d);
    let phases: Vec<itas_store::rounds::PhaseDates> = phases
        .iter()
        .map(|(phase, from, to)| itas_store::rounds::PhaseDates {
            phase: *phase,
            starts_on: day(*from),
            ends_on: day(*to),
        })
        .collect();
    itas_store::rounds::set_phases(db, None, round, &phases)
        .await
        .unwrap();
}

/// The phases of a round whose publication began today: collection is over.
pub const PUBLISHED_TODAY: &[(itas_core::directory::Phase, i64, i64)] = &[
    (itas_core::directory::Phase::Setup, -60, -51),
    (itas_core::directory::Phase::Collection, -50, -21),
    (itas_core::directory::Phase::Review1, -20, -11),
    (itas_core::directory::Phase::Revision, -10, -6),
    (itas_core::directory::Phase::Review2, -5, -1),
    (itas_core::directory::Phase::Publication, 0, 29),
    (itas_core::directory::Phase::FollowUp, 30, 149),
];
