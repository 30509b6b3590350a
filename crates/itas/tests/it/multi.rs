//! Two `itas serve` processes on one PostgreSQL, clients spread over both
//! (what a round-robin load balancer does): sessions, global sign-in limits,
//! answers, counts and tally compaction must all stay consistent.

use crate::app::Backend;
use crate::procs::{database, free_port, random_uuid, start, wait_ready};
use itas_web::loadgen::{Conn, answers_body};
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const PASSWORD: &str = "crash-test-password";
const T: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_postgresql_stay_consistent() {
    let (url, db) = database(Backend::Postgres).await;
    let (pa, pb) = (free_port(), free_port());
    let mut a = start(&url, pa);
    wait_ready(pa).await;
    // The second server starts after the first has loaded the demo.
    let mut b = start(&url, pb);
    wait_ready(pb).await;
    let (addr_a, addr_b) = (format!("127.0.0.1:{pa}"), format!("127.0.0.1:{pb}"));

    // A session made on one server works on the other.
    let mut ca = Conn::connect(&addr_a).await.unwrap();
    let mut cb = Conn::connect(&addr_b).await.unwrap();
    let (status, cookies) = ca
        .send(
            "POST",
            "/login",
            &format!("username=huanong&password={PASSWORD}"),
            "",
            T,
        )
        .await
        .unwrap();
    assert_eq!(status, 303);
    let session = cookies
        .into_iter()
        .find(|c| c.starts_with("itas_session="))
        .expect("session cookie");
    let cookie = format!("Cookie: {session}\r\n");
    assert_eq!(
        cb.send("GET", "/agency", "", &cookie, T).await.unwrap().0,
        200,
        "the session from A is valid on B"
    );

    // The sign-in back-off holds across servers: 5 failures spread over both,
    // then the next try at once is held back, on either server.
    for i in 0..5 {
        let c = if i % 2 == 0 { &mut ca } else { &mut cb };
        assert_eq!(
            c.send(
                "POST",
                "/login",
                "username=banphai&password=wrong-guess",
                "",
                T
            )
            .await
            .unwrap()
            .0,
            401
        );
    }
    assert_eq!(
        ca.send(
            "POST",
            "/login",
            &format!("username=banphai&password={PASSWORD}"),
            "",
            T
        )
        .await
        .unwrap()
        .0,
        429
    );

    // Answers through both servers, while both keep reading (and compacting) the tallies.
    let (round, agency, code) = crate::app::demo_link(&db, "EIT").await;
    let fw = itas_core::framework::ita_2564();
    let body = Arc::new(answers_body(&fw, "EIT", 7));
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for i in 0..16 {
        let addr = if i % 2 == 0 {
            addr_a.clone()
        } else {
            addr_b.clone()
        };
        let (body, acked, stop, code) = (body.clone(), acked.clone(), stop.clone(), code.clone());
        tasks.push(tokio::spawn(async move {
            let mut c = Conn::connect(&addr).await.unwrap();
            while !stop.load(Ordering::Relaxed) {
                let sid = random_uuid();
                let status = c
                    .post_form(
                        &format!("/s/{code}/submit"),
                        &format!("{body}&sid={sid}"),
                        T,
                    )
                    .await
                    .unwrap();
                assert_eq!(status, 303);
                acked.lock().unwrap().push(sid);
            }
        }));
    }
    let readers = {
        let (stop, cookie, addr_a, addr_b) =
            (stop.clone(), cookie.clone(), addr_a.clone(), addr_b.clone());
        tokio::spawn(async move {
            let mut ra = Conn::connect(&addr_a).await.unwrap();
            let mut rb = Conn::connect(&addr_b).await.unwrap();
            let mut reads = 0;
            while !stop.load(Ordering::Relaxed) {
                assert_eq!(
                    ra.send("GET", "/agency", "", &cookie, T).await.unwrap().0,
                    200
                );
                assert_eq!(
                    rb.send("GET", "/agency", "", &cookie, T).await.unwrap().0,
                    200
                );
                reads += 2;
            }
            reads
        })
    };
    tokio::time::sleep(Duration::from_millis(2500)).await;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.unwrap();
    }
    let reads = readers.await.unwrap();
    let _ = (a.kill(), b.kill(), a.wait(), b.wait());

    let acked = acked.lock().unwrap().clone();
    let stored = itas_store::surveys::response_ids(&db, &round, &agency)
        .await
        .unwrap();
    let stored_set: HashSet<&String> = stored.iter().collect();
    assert!(acked.len() > 100, "load too small: {}", acked.len());
    assert!(
        acked.iter().all(|s| stored_set.contains(s)),
        "every acknowledged answer is stored"
    );
    assert_eq!(
        stored.len(),
        acked.len(),
        "nothing stored twice or out of nowhere"
    );
    assert_eq!(
        itas_store::surveys::count(&db, &round, &agency, "EIT")
            .await
            .unwrap() as usize,
        stored.len()
    );
    let tallies = itas_store::surveys::tallies(&db, &round, &agency)
        .await
        .unwrap();
    assert_eq!(
        tallies["e1"][0].iter().sum::<u64>() as usize,
        stored.len(),
        "compaction on two servers lost or doubled nothing"
    );
    println!(
        "two servers: {} answers through both, {reads} agency pages read meanwhile, all consistent",
        acked.len()
    );
    db.close().await;
}
