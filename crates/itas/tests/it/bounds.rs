//! Bounded under abuse: what anyone (or any account) can make the server
//! spend has a limit, and a bug in the response writer costs one batch, not
//! collection. In-process on both backends where the rule lives in the
//! database; through a real server where the client's address matters.

use crate::app::{Backend, TestApp, demo_link, fresh_db, spawn_app};
use axum::http::{Method, StatusCode};
use itas_web::{AppState, Config};
use std::time::{Duration, Instant};

fn fw() -> itas_core::Framework {
    itas_core::framework::ita_2564()
}

/// A whole EIT questionnaire for the submit form, with its id.
fn eit_form(seed: u64) -> (String, String) {
    let sid = crate::procs::random_uuid();
    (
        format!(
            "{}&sid={sid}",
            itas_web::loadgen::answers_body(&fw(), "EIT", seed)
        ),
        sid,
    )
}

async fn writer_is_supervised(backend: Backend) {
    let db = fresh_db(backend).await;
    itas_app::demo::load(
        &db,
        Some(crate::app::DEMO_PASSWORD),
        time::OffsetDateTime::now_utc().date(),
    )
    .await
    .unwrap();
    let state = AppState::new(db.clone(), Config::default());
    let app = TestApp {
        db: db.clone(),
        router: itas_web::app(state.clone()),
    };
    let (round, agency, code) = demo_link(&db, "EIT").await;
    let mut c = app.client();
    let submit = format!("/s/{code}/submit");

    let (body, before) = eit_form(1);
    assert_eq!(c.post_form_raw(&submit, &body).await.status, 303);

    // A bug meets the next batch.
    state.ingest.panic_in_next_batch_for_tests();
    let (body, lost) = eit_form(2);
    let r = c.post_form_raw(&submit, &body).await;
    assert_eq!(
        r.status, 503,
        "the answer in the panicking batch: {}",
        r.body
    );
    assert!(r.headers.contains_key("retry-after"));
    assert!(r.body.contains("กรุณาลองใหม่"), "a Thai try-again page");
    let health = c.get("/healthz").await;
    assert_eq!(health.status, 503, "{}", health.body);
    assert!(health.body.contains("writer_restarting"), "{}", health.body);

    // Within seconds answers are acknowledged again, with no restart of the server.
    let deadline = Instant::now() + Duration::from_secs(10);
    let after = loop {
        let (body, sid) = eit_form(3);
        let r = c.post_form_raw(&submit, &body).await;
        if r.status == 303 {
            break sid;
        }
        assert!(
            Instant::now() < deadline,
            "answers refused 10 s after the panic"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let health = c.get("/healthz").await;
    assert_eq!(health.status, 200, "{}", health.body);
    assert!(health.body.contains("writer_restarts 1"), "{}", health.body);
    let stored = itas_store::surveys::response_ids(&db, &round, &agency)
        .await
        .unwrap();
    assert!(stored.contains(&before) && stored.contains(&after));
    assert!(!stored.contains(&lost), "the refused answer was not stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_writer_that_panics_is_started_again_sqlite() {
    writer_is_supervised(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_writer_that_panics_is_started_again_postgres() {
    writer_is_supervised(Backend::Postgres).await;
}

async fn codes_are_bounded(backend: Backend) {
    let app = spawn_app(backend).await;
    let round = app.current_round().await;
    let agency = app.agency_id("KK-HUANONG").await;
    let mut c = app.signed_in("huanong").await;
    let r = c
        .post_form(
            &format!("/agency/rounds/{round}/populations"),
            &[("iit_population", "42"), ("eit_population", "300")],
        )
        .await;
    assert!(
        r.status.is_success() || r.status.is_redirection(),
        "{}",
        r.body
    );
    let issued = async || {
        itas_store::surveys::access_code_room(&app.db, &round, &agency, "IIT")
            .await
            .unwrap()
            .1
    };
    let start = issued().await;
    let codes = format!("/agency/rounds/{round}/links/IIT/codes");
    let ask = async |c: &mut crate::app::Client<'_>, n: &str| {
        c.post_form(&codes, &[("count", n), ("format", "csv")])
            .await
    };
    // 42 people, and 10 spare slips: 52 unused codes at most.
    let r = ask(&mut c, "5000").await;
    assert!(r.body.contains("ออกรหัสได้อีกไม่เกิน"), "{}", r.body);
    assert_eq!(issued().await, start);
    let room = 52 - start;
    let r = ask(&mut c, &(room - 6).to_string()).await;
    assert!(
        r.body.starts_with("\u{feff}code,link"),
        "issued: {}",
        r.body
    );
    let r = ask(&mut c, "7").await;
    assert!(r.body.contains("ออกรหัสได้อีกไม่เกิน 6 รหัส"), "{}", r.body);
    let r = ask(&mut c, "6").await;
    assert!(r.body.starts_with("\u{feff}code,link"));
    assert_eq!(issued().await, 52);
    // The store holds the line by itself, whoever calls it.
    let more = vec!["ff".repeat(32)];
    let e = itas_store::surveys::add_access_codes(&app.db, None, &round, &agency, "IIT", &more)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("allows 52 unused codes"), "{e}");
    // Issuing itself is paced: 6 batches a minute per user.
    for _ in 0..2 {
        ask(&mut c, "1").await;
    }
    let r = ask(&mut c, "1").await;
    assert!(r.body.contains("ออกรหัสบ่อยเกินไป"), "{}", r.body);
    assert_eq!(issued().await, 52);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_use_codes_stop_at_the_population_sqlite() {
    codes_are_bounded(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_use_codes_stop_at_the_population_postgres() {
    codes_are_bounded(Backend::Postgres).await;
}

use itas_app::spreadsheet::hostile::{sparse_workbook, zip_bomb};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

async fn hostile_workbooks_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut admin = app.signed_in("admin").await;
    let sparse = sparse_workbook("agencies");
    assert!(sparse.len() < 8 * 1024, "{} bytes", sparse.len());
    // The framework reader reads its sheets by name: the attack goes in one.
    let sparse_framework = sparse_workbook("framework");
    let bomb = zip_bomb();
    assert!(bomb.len() < 2 << 20, "{} bytes", bomb.len());
    for (what, file, framework_file, says) in [
        ("sparse", &sparse, &sparse_framework, "1,048,576"),
        ("bomb", &bomb, &bomb, "คลายการบีบอัด"),
    ] {
        let r = admin
            .request(
                Method::POST,
                "/api/v1/agencies/import",
                Some(XLSX),
                file.clone(),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{what}: {}", r.body);
        let report = r.json();
        assert_eq!(report["inserted"], 0, "{what}");
        let message = report["errors"][0]["message"].as_str().unwrap();
        assert!(message.contains(says), "{what}: {message}");
        let r = admin
            .post_file("/admin/agencies/import", "file", "agencies.xlsx", file)
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{what}");
        assert!(r.body.contains(says), "{what}: the page names the limit");
        let r = admin
            .post_file(
                "/admin/rounds/framework-file",
                "file",
                "framework.xlsx",
                framework_file,
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{what}");
        assert!(
            r.body.contains(says),
            "{what}: the framework upload names the limit"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sparse_sheet_and_a_zip_bomb_are_refused_sqlite() {
    hostile_workbooks_are_refused(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sparse_sheet_and_a_zip_bomb_are_refused_postgres() {
    hostile_workbooks_are_refused(Backend::Postgres).await;
}

#[test]
fn the_cli_refuses_hostile_workbooks_too() {
    let dir = std::env::temp_dir().join(format!("itas-bounds-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let output = dir.join("out.toml");
    for (name, bytes) in [
        ("sparse.xlsx", sparse_workbook("framework")),
        ("bomb.xlsx", zip_bomb()),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        for args in [
            vec![
                "framework",
                "import",
                path.to_str().unwrap(),
                "--output",
                output.to_str().unwrap(),
            ],
            vec![
                "import-agencies",
                path.to_str().unwrap(),
                "--database-url",
                &format!("sqlite://{}/cli.sqlite3", dir.display()),
            ],
        ] {
            let out = std::process::Command::new(env!("CARGO_BIN_EXE_itas"))
                .args(&args)
                .output()
                .unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
            assert!(
                err.contains("past the limit") || err.contains("unpacks to more than"),
                "{args:?}: {err}"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_cli_ends_quietly_on_a_closed_pipe() {
    use std::io::Read;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_itas"))
        .args(["framework", "ita-2569", "--json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Read a little, then close the pipe, as `| head` does.
    let mut first = [0u8; 16];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert!(out.status.success(), "{:?}: {err}", out.status);
}

async fn bodies_past_the_limit(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut admin = app.signed_in("admin").await;
    let big = vec![b' '; 9 << 20];
    let r = admin
        .request(
            Method::POST,
            "/api/v1/agencies/import",
            Some("application/json"),
            big.clone(),
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    let e = r.json();
    assert_eq!(e["error"], "too_large");
    assert!(
        e["detail"].as_str().unwrap().contains("8 MB"),
        "names the limit: {e}"
    );
    let r = admin
        .request(
            Method::POST,
            "/api/v1/rounds",
            Some("application/json"),
            big,
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    assert_eq!(r.json()["error"], "too_large");

    let (_, _, code) = demo_link(&app.db, "EIT").await;
    let mut phone = app.client();
    let body = format!("e1.0={}", "1".repeat(100 * 1024));
    let r = phone
        .post_form_raw(&format!("/s/{code}/submit"), &body)
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(r.body.contains("คำตอบที่ส่งมามีขนาดใหญ่เกิน"), "{}", r.body);
    assert!(!r.body.contains("8 MB"), "nothing about uploads");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_past_the_limit_are_named_per_route_sqlite() {
    bodies_past_the_limit(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_past_the_limit_are_named_per_route_postgres() {
    bodies_past_the_limit(Backend::Postgres).await;
}

// Through a real server: client addresses, connections and memory.

use crate::procs::{database, free_port, peak_mb, start_with, wait_ready};
use itas_web::loadgen::Conn;

const T: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_client_cannot_take_a_links_whole_minute() {
    let (url, db) = database(Backend::Sqlite).await;
    let port = free_port();
    // 40 answers a minute for the link; 10 for any one client.
    let server = start_with(&url, port, &[], &[("ITAS_LINK_RATE_PER_MINUTE", "40")]);
    wait_ready(port).await;
    let (_, _, code) = demo_link(&db, "EIT").await;
    let addr = format!("127.0.0.1:{port}");
    let submit = format!("/s/{code}/submit");
    let mut flooder = Conn::connect(&addr).await.unwrap();
    let mut statuses = Vec::new();
    for i in 0..15 {
        let (body, _) = eit_form(i);
        statuses.push(flooder.post_form(&submit, &body, T).await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 303).count(),
        10,
        "{statuses:?}"
    );
    assert!(statuses[10..].iter().all(|s| *s == 429), "{statuses:?}");
    // Someone else on the same link is not held back by the flooder.
    let mut neighbour = Conn::connect_from(&addr, "127.0.0.2".parse().unwrap())
        .await
        .unwrap();
    for i in 0..5 {
        let (body, _) = eit_form(100 + i);
        assert_eq!(neighbour.post_form(&submit, &body, T).await.unwrap(), 303);
    }
    // Nor are new drafts: a flood of first pages from one address is slowed
    // long before it could push anyone's questionnaire out of the budget.
    let fw = fw();
    let first = itas_core::survey::pages(&fw, "EIT")[0];
    let page: Vec<String> = itas_core::survey::items(&fw, "EIT")
        .into_iter()
        .filter(|(it, _, _)| it.indicator == first)
        .flat_map(|(it, scale, cells)| {
            (0..cells).map(move |c| format!("{}.{c}={}", it.code, scale.options[1].code))
        })
        .collect();
    let page = page.join("&");
    let mut slowed = 0;
    for _ in 0..150 {
        // No cookie: every save starts a new draft.
        let s = flooder
            .post_form(&format!("/s/{code}/q/0"), &page, T)
            .await
            .unwrap();
        if s == 429 {
            slowed += 1;
        }
    }
    assert!(slowed >= 40, "{slowed} of 150 new drafts slowed");
    let _ = server_stop(server);
}

fn server_stop(mut child: std::process::Child) -> Duration {
    let t = Instant::now();
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return t.elapsed();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the server did not stop within 30 s of SIGTERM");
}

async fn shutdown_is_bounded(backend: Backend) {
    let (url, db) = database(backend).await;
    let port = free_port();
    let server = start_with(&url, port, &["--shutdown-grace-secs", "2"], &[]);
    wait_ready(port).await;
    let (round, agency, code) = demo_link(&db, "EIT").await;
    let addr = format!("127.0.0.1:{port}");
    // Connections that send half a request and go quiet.
    let mut half = Vec::new();
    for _ in 0..5 {
        use tokio::io::AsyncWriteExt;
        let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
        s.write_all(
            format!(
                "POST /s/{code}/submit HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\ne1.0="
            )
            .as_bytes(),
        )
        .await
        .unwrap();
        half.push(s);
    }
    // Respondents answering while the server is told to stop.
    let acked = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let (acked, addr, code) = (acked.clone(), addr.clone(), code.clone());
        tasks.push(tokio::spawn(async move {
            let Ok(mut c) = Conn::connect(&addr).await else {
                return;
            };
            for i in 0..10_000 {
                let (body, sid) = eit_form(i);
                match c.post_form(&format!("/s/{code}/submit"), &body, T).await {
                    Ok(303) => acked.lock().unwrap().push(sid),
                    Ok(_) => {}
                    Err(_) => return,
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    let took = tokio::task::spawn_blocking(move || server_stop(server))
        .await
        .unwrap();
    for t in tasks {
        let _ = t.await;
    }
    drop(half);
    assert!(
        took < Duration::from_secs(6),
        "stopped {took:?} after SIGTERM with a 2 s grace period"
    );
    let acked = acked.lock().unwrap().clone();
    assert!(
        !acked.is_empty(),
        "answers were acknowledged before the stop"
    );
    let stored: std::collections::HashSet<String> =
        itas_store::surveys::response_ids(&db, &round, &agency)
            .await
            .unwrap()
            .into_iter()
            .collect();
    let lost = acked.iter().filter(|s| !stored.contains(*s)).count();
    assert_eq!(
        lost,
        0,
        "{lost} of {} acknowledged answers lost",
        acked.len()
    );
    db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_with_half_sent_requests_stops_within_the_grace_period_sqlite() {
    shutdown_is_bounded(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_with_half_sent_requests_stops_within_the_grace_period_postgres() {
    shutdown_is_bounded(Backend::Postgres).await;
}

/// `n` downloads of `path` at once, each on its own connection; the statuses.
async fn at_once(addr: &str, paths: Vec<String>) -> Vec<u16> {
    let tasks: Vec<_> = paths
        .into_iter()
        .map(|path| {
            let addr = addr.to_string();
            tokio::spawn(async move {
                let mut c = Conn::connect(&addr).await.expect("connect");
                match c
                    .exchange("GET", &path, "", "", Duration::from_secs(120))
                    .await
                {
                    Ok((status, _, body)) => {
                        if status == 200 {
                            assert!(body.starts_with(b"%PDF"), "a PDF");
                        }
                        status
                    }
                    Err(_) => 0,
                }
            })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_report_downloads_stay_within_memory() {
    let (url, _db) = database(Backend::Sqlite).await;
    let port = free_port();
    let server = start_with(&url, port, &[], &[]);
    wait_ready(port).await;
    let pid = server.id();
    // Held to 400 MB by the kernel where this machine can: past it the server
    // would be killed and the downloads below would go unanswered.
    let cgroup = crate::procs::MemoryCgroup::limit(pid, 400);
    if cgroup.is_none() {
        eprintln!("parallel downloads: no memory cgroup here; the server's own peak is checked");
    }
    let addr = format!("127.0.0.1:{port}");
    let report = "/p/KK-HUANONG/ita/2564/report.pdf".to_string();
    let statuses = at_once(&addr, vec![report.clone(); 200]).await;
    let ok = statuses.iter().filter(|s| **s == 200).count();
    assert!(ok >= 1, "{statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 503),
        "every download answered (200, or 503 to retry): {statuses:?}"
    );
    // Kept once made: now every one of 200 is served.
    let statuses = at_once(&addr, vec![report; 200]).await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    // Documents that differ (the infographic per scope) are made a few at a time.
    let round = {
        let db = itas_store::Db::connect(&url).await.unwrap();
        let r = itas_store::rounds::list(&db)
            .await
            .unwrap()
            .into_iter()
            .find(|r| r.name.starts_with("ITA 2564"))
            .unwrap()
            .id;
        db.close().await;
        r
    };
    let paths: Vec<String> = (0..100)
        .map(|i| {
            if i % 2 == 0 {
                format!("/results/{round}/infographic.pdf")
            } else {
                format!(
                    "/results/{round}/infographic.pdf?province={}",
                    itas_web::loadgen::enc("ขอนแก่น")
                )
            }
        })
        .collect();
    let statuses = at_once(&addr, paths).await;
    assert!(
        statuses.iter().all(|s| [200, 404, 503].contains(s)),
        "{statuses:?}"
    );
    let peak = peak_mb(pid);
    assert!(peak < 400, "server peak {peak} MB");
    if let Some(g) = &cgroup {
        println!(
            "parallel downloads: server peak {peak} MB; its cgroup (page cache included) {} MB, limit hit {} times",
            g.peak_mb(),
            g.failcnt()
        );
    }
    let _ = server_stop(server);
    drop(cgroup);
}
