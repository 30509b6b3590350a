//! Crash safety: a real `itas serve` process under a submission load is
//! killed with SIGKILL at random moments and restarted; every acknowledged
//! response must be stored, none twice, and the counts must agree.

use crate::app::{Backend, fresh_db, pg_url};
use itas_web::loadgen::{Conn, answers_body};
use std::collections::HashSet;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const KILLS: usize = 3;
const CLIENTS: usize = 16;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start(url: &str, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_itas"))
        .args([
            "serve",
            "--demo",
            "--demo-password",
            "crash-test-password",
            "--database-url",
            url,
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .env("ITAS_LINK_RATE_PER_MINUTE", "100000000")
        .env("ITAS_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start itas serve")
}

async fn wait_ready(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(mut s) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let _ = s
                .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .await;
            let mut buf = Vec::new();
            let _ = s.read_to_end(&mut buf).await;
            if buf.starts_with(b"HTTP/1.1 200") {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("itas serve did not come up on port {port}");
}

/// Database URL for the server process and a handle for the checks.
async fn database(backend: Backend) -> (String, itas_store::Db) {
    match backend {
        Backend::Sqlite => {
            let dir = std::env::temp_dir().join(format!(
                "itas-crash-{}-{}",
                std::process::id(),
                free_port()
            ));
            std::fs::create_dir_all(&dir).unwrap();
            let url = format!("sqlite://{}/itas.sqlite3", dir.display());
            (url.clone(), itas_store::Db::connect(&url).await.unwrap())
        }
        Backend::Postgres => {
            let db = fresh_db(Backend::Postgres).await;
            let itas_store::Db::Postgres(pool) = &db else {
                unreachable!()
            };
            let (schema,): (String,) = sqlx::query_as("SELECT current_schema()::text")
                .fetch_one(pool)
                .await
                .unwrap();
            (
                format!("{}?options=-c%20search_path%3D{schema}", pg_url()),
                db,
            )
        }
    }
}

async fn crash_test(backend: Backend) {
    let (url, db) = database(backend).await;
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let mut server = start(&url, port);
    wait_ready(port).await;
    db.migrate().await.unwrap();
    let (round, agency, code) = crate::app::demo_link(&db, "EIT").await;
    let fw = itas_core::framework::ita_2564();
    let body = Arc::new(answers_body(&fw, "EIT", 42));
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let attempted: Arc<Mutex<HashSet<String>>> = Arc::default();
    let mut seed = std::process::id() as u64 * 2_654_435_761;
    for round_no in 0..=KILLS {
        let mut clients = Vec::new();
        let stop_at = Instant::now()
            + Duration::from_millis(if round_no == KILLS {
                800
            } else {
                400 + seed % 900
            });
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        for _ in 0..CLIENTS {
            let (addr, body, acked, attempted, code) = (
                addr.clone(),
                body.clone(),
                acked.clone(),
                attempted.clone(),
                code.clone(),
            );
            clients.push(tokio::spawn(async move {
                let Ok(mut c) = Conn::connect(&addr).await else {
                    return;
                };
                while Instant::now() < stop_at + Duration::from_millis(300) {
                    let sid = uuid_v4();
                    attempted.lock().unwrap().insert(sid.clone());
                    match c
                        .post_form(
                            &format!("/s/{code}/submit"),
                            &format!("{body}&sid={sid}"),
                            Duration::from_secs(5),
                        )
                        .await
                    {
                        Ok(303) => acked.lock().unwrap().push(sid),
                        Ok(_) => {}
                        Err(_) => return,
                    }
                }
            }));
        }
        tokio::time::sleep_until(stop_at.into()).await;
        if round_no < KILLS {
            server.kill().expect("SIGKILL");
            server.wait().unwrap();
        }
        for c in clients {
            c.await.unwrap();
        }
        if round_no < KILLS {
            server = start(&url, port);
            wait_ready(port).await;
        }
    }
    // Retrying acknowledged submissions after the crashes changes nothing.
    let retry: Vec<String> = acked.lock().unwrap().iter().take(20).cloned().collect();
    let mut c = Conn::connect(&addr).await.unwrap();
    for sid in &retry {
        assert_eq!(
            c.post_form(
                &format!("/s/{code}/submit"),
                &format!("{body}&sid={sid}"),
                Duration::from_secs(5)
            )
            .await
            .unwrap(),
            303
        );
    }
    server.kill().unwrap();
    server.wait().unwrap();

    let stored: Vec<String> = itas_store::surveys::response_ids(&db, &round, &agency)
        .await
        .unwrap();
    let stored_set: HashSet<&String> = stored.iter().collect();
    let acked = acked.lock().unwrap().clone();
    let attempted = attempted.lock().unwrap().clone();
    assert!(
        acked.len() > 100,
        "the load was too small to prove anything: {}",
        acked.len()
    );
    let lost: Vec<&String> = acked.iter().filter(|s| !stored_set.contains(s)).collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged responses lost after {KILLS} SIGKILLs",
        lost.len()
    );
    assert_eq!(stored_set.len(), stored.len(), "no response stored twice");
    assert!(
        stored.iter().all(|s| attempted.contains(s)),
        "nothing stored that was not sent"
    );
    let count = itas_store::surveys::count(&db, &round, &agency, "EIT")
        .await
        .unwrap();
    assert_eq!(
        count as usize,
        stored.len(),
        "the live count equals the stored responses"
    );
    let tallies = itas_store::surveys::tallies(&db, &round, &agency)
        .await
        .unwrap();
    let e1: u64 = tallies["e1"][0].iter().sum();
    assert_eq!(
        e1 as usize,
        stored.len(),
        "the tallies equal the stored responses"
    );
    println!(
        "crash test ({backend:?}): {KILLS} SIGKILLs, {} acknowledged, {} stored, {} sent but unacknowledged, 0 lost, 0 duplicated",
        acked.len(),
        stored.len(),
        attempted.len() - acked.len()
    );
    db.close().await;
}

fn uuid_v4() -> String {
    let mut b = [0u8; 16];
    getrandom_fill(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn getrandom_fill(b: &mut [u8]) {
    use std::io::Read;
    std::fs::File::open("/dev/urandom")
        .unwrap()
        .read_exact(b)
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_under_load_loses_nothing_acknowledged_sqlite() {
    crash_test(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_under_load_loses_nothing_acknowledged_postgres() {
    crash_test(Backend::Postgres).await;
}
