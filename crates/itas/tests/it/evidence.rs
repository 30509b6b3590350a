//! Automatic checks of OIT evidence, against a web server this test starts on
//! 127.0.0.1 (never the internet): a good page, 404, a redirect loop, a slow
//! page, a huge page, a page without the fiscal year, and another domain.

use crate::app::{Backend, TestApp, spawn_app_with};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use itas_store::Db;
use sha2::Digest;
use std::time::Duration;

/// The evidence site; every page but /noyear names `year` (B.E.) in Thai digits.
pub(crate) async fn evidence_site(year: i32) -> u16 {
    let thai_year = itas_core::thai::thai_digits(&year.to_string());
    let ok = format!(
        "<html><head><title>โครงสร้าง</title><script>var y = 1;</script></head><body><h1>แผนผังโครงสร้างหน่วยงาน</h1><p>ประจำปีงบประมาณ พ.ศ. {thai_year} องค์การบริหารส่วนตำบลหัวหนอง อำเภอบ้านไผ่ จังหวัดขอนแก่น</p></body></html>"
    );
    let huge = format!(
        "<html><body><p>{}</p>{}</body></html>",
        ok,
        "ก".repeat(700_000)
    );
    let app = axum::Router::new()
        .route("/ok", get(move || async move { axum::response::Html(ok) }))
        .route("/notfound", get(|| async { (StatusCode::NOT_FOUND, "no such page").into_response() }))
        .route("/loop", get(|| async { Redirect::temporary("/loop") }))
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(4)).await;
                "late"
            }),
        )
        .route("/huge", get(move || async move { axum::response::Html(huge) }))
        .route(
            "/noyear",
            get(|| async {
                axum::response::Html("<html><body><h1>ผู้บริหาร</h1><p>รายชื่อผู้บริหารขององค์การบริหารส่วนตำบลหัวหนอง พร้อมช่องทางติดต่อ ไม่ระบุปี</p></body></html>")
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    port
}

pub(crate) async fn set_website(db: &Db, code: &str, website: &str) {
    const Q: &str = "UPDATE agencies SET website = $1 WHERE code = $2";
    let changed = match db {
        Db::Sqlite { writer, .. } => sqlx::query(Q)
            .bind(website)
            .bind(code)
            .execute(writer)
            .await
            .map(|r| r.rows_affected()),
        Db::Postgres(p) => sqlx::query(Q)
            .bind(website)
            .bind(code)
            .execute(p)
            .await
            .map(|r| r.rows_affected()),
    };
    assert_eq!(changed.unwrap(), 1);
}

pub(crate) fn quick() -> itas_web::Config {
    itas_web::Config {
        evidence: itas_app::evidence_check::CheckerConfig {
            timeout: Duration::from_millis(1500),
            max_bytes: 1024 * 1024,
            retries: 0,
            per_host_gap: Duration::from_millis(20),
            // The test's site is on 127.0.0.1; production refuses internal addresses.
            allow_internal: true,
            ..Default::default()
        },
        ..Default::default()
    }
}

/// Waits for background checks to land.
pub(crate) async fn wait_checks(app: &TestApp, agency: &str, round: &str, purpose: &str, n: usize) {
    for _ in 0..200 {
        let all = itas_store::evidence_checks::latest(&app.db, agency, round)
            .await
            .unwrap();
        if all.values().filter(|c| c.purpose == purpose).count() >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{purpose} checks did not finish");
}

async fn run(backend: Backend) {
    let app = spawn_app_with(backend, quick()).await;
    let round = app.current_round().await;
    let agency = app.agency_id("KK-HUANONG").await;
    let fy = itas_store::rounds::get(&app.db, &round)
        .await
        .unwrap()
        .unwrap()
        .fiscal_year as i32;
    let port = evidence_site(fy).await;
    set_website(&app.db, "KK-HUANONG", &format!("http://localhost:{port}")).await;
    crate::oit::move_to(&app, &round, itas_core::directory::Phase::Collection).await;

    let site = format!("http://localhost:{port}");
    let urls = [
        ("O1", format!("{site}/ok")),
        ("O2", format!("{site}/notfound")),
        ("O3", format!("{site}/loop")),
        ("O4", format!("{site}/slow")),
        ("O5", format!("{site}/huge")),
        ("O6", format!("{site}/noyear")),
        ("O7", format!("http://127.0.0.1:{port}/ok")),
    ];
    let mut fields: Vec<(String, String)> = Vec::new();
    for (code, url) in &urls {
        fields.push((format!("{code}.urls"), url.clone()));
        fields.push((format!("{code}.explanation"), String::new()));
    }
    fields.push(("action".into(), "submit".into()));
    let f: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let mut c = app.signed_in("huanong").await;
    let r = c
        .post_form(&format!("/agency/rounds/{round}/oit"), &f)
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    wait_checks(&app, &agency, &round, "submit", urls.len()).await;

    let latest = itas_store::evidence_checks::latest(&app.db, &agency, &round)
        .await
        .unwrap();
    let get = |code: &str| {
        latest
            .values()
            .find(|c| c.item == code)
            .unwrap_or_else(|| panic!("no check for {code}"))
            .clone()
    };
    let o1 = get("O1");
    assert_eq!(
        (o1.light.as_str(), o1.findings.clone()),
        ("amber", vec!["no_tls".to_string()]),
        "plain http is the only remark"
    );
    assert_eq!(get("O2").light, "red");
    assert_eq!(get("O2").findings, ["http_error"]);
    assert_eq!(get("O2").status, Some(404));
    assert_eq!(get("O3").findings, ["redirect_loop"]);
    assert_eq!(get("O4").findings, ["unreachable"], "slow page times out");
    assert!(get("O5").findings.contains(&"too_large".to_string()));
    assert_eq!(get("O5").bytes, 1024 * 1024, "body capped");
    assert!(get("O6").findings.contains(&"no_fiscal_year".to_string()));
    assert!(get("O7").findings.contains(&"other_domain".to_string()));

    // The agency sees the lights and reasons before the deadline.
    let page = c.get(&format!("/agency/rounds/{round}/oit")).await.body;
    assert!(
        page.contains("มีปัญหา")
            && page.contains("ลิงก์พาไปต่อไม่สิ้นสุด")
            && page.contains("ไม่ได้อยู่บนเว็บไซต์หลักของหน่วยงาน")
    );

    // The assessor sees the snapshot as it was: sandboxed, hash as stored.
    crate::oit::move_to(&app, &round, itas_core::directory::Phase::Review1).await;
    let mut a = app.signed_in("assessor1").await;
    let base = format!("/assessor/rounds/{round}/agencies/{agency}/oit");
    let page = a.get(&base).await.body;
    let snap = format!("{base}/snapshots/{}", o1.id);
    assert!(page.contains(&snap), "snapshot beside the live link");
    let r = a.get(&snap).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.headers["content-security-policy"]
            .to_str()
            .unwrap()
            .starts_with("sandbox")
    );
    assert!(String::from_utf8_lossy(&r.bytes).contains("แผนผังโครงสร้างหน่วยงาน"));
    assert_eq!(hex::encode(sha2::Sha256::digest(&r.bytes)), o1.sha256);
    let mut other = app.signed_in("assessor2").await;
    assert_eq!(other.get(&snap).await.status, StatusCode::FORBIDDEN);

    // A decision snapshots the item again, for the review.
    let stored = itas_store::evidence_checks::stored_bytes(&app.db, &agency)
        .await
        .unwrap();
    let r = a
        .post_form(&format!("{base}/O1"), &[("result", "pass")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    wait_checks(&app, &agency, &round, "review", 1).await;
    // The unchanged page is not stored again, yet its review snapshot shows it.
    assert_eq!(
        itas_store::evidence_checks::stored_bytes(&app.db, &agency)
            .await
            .unwrap(),
        stored,
        "a body seen before costs no bytes"
    );
    let review = itas_store::evidence_checks::latest(&app.db, &agency, &round)
        .await
        .unwrap()
        .values()
        .find(|c| c.item == "O1")
        .unwrap()
        .clone();
    assert_eq!(
        (review.purpose.as_str(), review.sha256.as_str()),
        ("review", o1.sha256.as_str())
    );
    let r = a.get(&format!("{base}/snapshots/{}", review.id)).await;
    assert_eq!(hex::encode(sha2::Sha256::digest(&r.bytes)), o1.sha256);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evidence_checks_against_a_local_site_sqlite() {
    run(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evidence_checks_against_a_local_site_postgres() {
    run(Backend::Postgres).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn itas_check_evidence_on_the_command_line() {
    let dir = std::env::temp_dir().join("itas-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("cli-evidence-{}.sqlite3", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let url = format!("sqlite://{}", path.display());
    let db = Db::connect(&url).await.unwrap();
    db.migrate().await.unwrap();
    itas_app::demo::load(&db, Some("pw-for-cli-test"), itas_web::today())
        .await
        .unwrap();
    let round = itas_store::rounds::list(&db)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.name.contains("สาธิต"))
        .unwrap();
    let agency = itas_store::agencies::by_code(&db, "KK-HUANONG")
        .await
        .unwrap()
        .unwrap();
    let port = evidence_site(round.fiscal_year as i32).await;
    set_website(&db, "KK-HUANONG", &format!("http://localhost:{port}")).await;
    let items = [
        (
            "O1".to_string(),
            format!("http://localhost:{port}/ok"),
            String::new(),
        ),
        (
            "O2".to_string(),
            format!("http://localhost:{port}/notfound"),
            String::new(),
        ),
    ];
    itas_store::oit::save_evidence(&db, None, &agency.id, &round.id, &items)
        .await
        .unwrap();
    db.close().await;
    let out = tokio::task::spawn_blocking(move || {
        crate::support::itas(&[
            "check-evidence",
            "--database-url",
            &url,
            "--round",
            &round.id,
            "--agency",
            "KK-HUANONG",
            "--timeout",
            "2",
            "--allow-internal-addresses",
        ])
    })
    .await
    .unwrap();
    let text = crate::support::stdout(&out);
    assert!(out.status.success(), "{}", crate::support::stderr(&out));
    assert!(
        text.contains("2 URLs checked; green 0, amber 1, red 1"),
        "{text}"
    );
    assert!(text.contains("O2") && text.contains("http_error"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn by_default_an_internal_address_is_refused_not_fetched() {
    let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = hits.clone();
    let app = axum::Router::new().route(
        "/",
        get(move || {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            async { "internal" }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let cfg = itas_app::evidence_check::CheckerConfig::default();
    let url = format!("http://127.0.0.1:{port}/");
    let (f, _) = tokio::task::spawn_blocking(move || itas_app::evidence_check::fetch(&cfg, &url))
        .await
        .unwrap();
    assert!(f.private_address, "refused");
    assert_eq!(
        hits.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "never contacted"
    );
}
