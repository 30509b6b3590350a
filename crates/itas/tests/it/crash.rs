//! Crash safety: a real `itas serve` process under a submission load is
//! killed with SIGKILL at random moments and restarted; every acknowledged
//! response must be stored, none twice, and the counts must agree.

use crate::app::Backend;
use crate::procs::{database, free_port, random_uuid, start, wait_ready};
use itas_web::loadgen::{Conn, answers_body};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const KILLS: usize = 3;
const CLIENTS: usize = 16;

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
                    let sid = random_uuid();
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

    let acked = acked.lock().unwrap().clone();
    let attempted = attempted.lock().unwrap().clone();
    assert!(
        acked.len() > 100,
        "the load was too small to prove anything: {}",
        acked.len()
    );
    // After the SIGKILLs, every acknowledged answer once:
    let stored = crate::procs::stored_exactly_once(&db, &round, &agency, &acked, &attempted).await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_under_load_loses_nothing_acknowledged_sqlite() {
    crash_test(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_under_load_loses_nothing_acknowledged_postgres() {
    crash_test(Backend::Postgres).await;
}
