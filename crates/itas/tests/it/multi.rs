//! Several `itas serve` processes on one PostgreSQL: two with clients spread
//! over both (what a round-robin load balancer does), where sessions, global
//! sign-in limits, answers, counts and tally compaction must stay
//! consistent; and three behind a real nginx, one killed and restarted under
//! load, where no acknowledged answer may be lost or stored twice.

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

/// The EIT responses a server counts for `agency` in `round`, as the
/// participants API gives them to the central office.
async fn counted_by(addr: &str, cookie: &str, round: &str, agency: &str) -> i64 {
    let mut c = Conn::connect(addr).await.unwrap();
    let (status, _, body) = c
        .exchange(
            "GET",
            &format!("/api/v1/rounds/{round}/participants?limit=1000"),
            "",
            cookie,
            T,
        )
        .await
        .unwrap();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let list: serde_json::Value = serde_json::from_slice(&body).unwrap();
    list["participants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["agency_id"] == agency)
        .and_then(|p| {
            p["tools"].as_array()?.iter().find(|t| t["tool"] == "EIT")?["responses"].as_i64()
        })
        .expect("the agency's EIT count")
}

/// Three servers behind a real nginx over one PostgreSQL, one of them killed
/// (SIGKILL) and started again while phones send answers through the proxy:
/// every acknowledged answer is stored exactly once, and every server's
/// count agrees with the database within the participants table's 5 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_servers_behind_nginx_lose_nothing_when_one_dies() {
    let (url, db) = database(Backend::Postgres).await;
    let ports = [free_port(), free_port(), free_port()];
    let mut servers = Vec::new();
    for (i, p) in ports.iter().enumerate() {
        servers.push(start(&url, *p));
        // The first loads the demo before the others start.
        if i == 0 {
            wait_ready(*p).await;
        }
    }
    for p in &ports[1..] {
        wait_ready(*p).await;
    }
    let front = free_port();
    let upstreams: String = ports
        .iter()
        .map(|p| format!("server 127.0.0.1:{p} max_fails=1 fail_timeout=2s; "))
        .collect();
    // A POST the dying server never answered goes to the next one: the
    // answer's id makes the retry harmless (stored once).
    let _nginx = crate::proxy::run_nginx(
        &format!(
            "upstream itas {{ {upstreams} }}\n\
             server {{ listen 127.0.0.1:{front}; location / {{ proxy_pass http://itas; \
             proxy_http_version 1.1; proxy_set_header Connection \"\"; \
             proxy_next_upstream error timeout http_502 http_503 non_idempotent; \
             proxy_connect_timeout 2s; proxy_set_header Host $host; \
             proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; }} }}\n"
        ),
        &[front],
    )
    .await;
    let via = format!("127.0.0.1:{front}");
    let (round, agency, code) = crate::app::demo_link(&db, "EIT").await;
    let body = Arc::new(answers_body(&itas_core::framework::ita_2564(), "EIT", 5));
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let attempted: Arc<Mutex<HashSet<String>>> = Arc::default();
    let refused = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut phones = Vec::new();
    for _ in 0..12 {
        let (via, body, acked, attempted, refused, stop, code) = (
            via.clone(),
            body.clone(),
            acked.clone(),
            attempted.clone(),
            refused.clone(),
            stop.clone(),
            code.clone(),
        );
        phones.push(tokio::spawn(async move {
            let mut c = Conn::connect(&via).await.unwrap();
            while !stop.load(Ordering::Relaxed) {
                let sid = random_uuid();
                attempted.lock().unwrap().insert(sid.clone());
                match c
                    .post_form(
                        &format!("/s/{code}/submit"),
                        &format!("{body}&sid={sid}"),
                        T,
                    )
                    .await
                {
                    Ok(303) => acked.lock().unwrap().push(sid),
                    // Not acknowledged: the phone would say so and keep the answers.
                    Ok(_) => {
                        refused.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(_) => {
                        refused.fetch_add(1, Ordering::Relaxed);
                        c = Conn::connect(&via).await.unwrap();
                    }
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(800)).await;
    let before_kill = acked.lock().unwrap().len();
    servers[1].kill().expect("SIGKILL");
    servers[1].wait().unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    servers[1] = start(&url, ports[1]);
    wait_ready(ports[1]).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    stop.store(true, Ordering::Relaxed);
    for p in phones {
        p.await.unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    let attempted = attempted.lock().unwrap().clone();
    assert!(
        before_kill > 50 && acked.len() > before_kill + 50,
        "answers flowed before the kill and after: {before_kill}, then {}",
        acked.len()
    );
    let stored = crate::procs::stored_exactly_once(&db, &round, &agency, &acked, &attempted).await;
    let count = stored.len() as i64;

    // Each server, asked directly, tells the central office the same count
    // within the participants table's 5 s.
    let mut c = Conn::connect(&via).await.unwrap();
    let (status, cookies) = c
        .send(
            "POST",
            "/login",
            &format!("username=admin&password={PASSWORD}"),
            "",
            T,
        )
        .await
        .unwrap();
    assert_eq!(status, 303);
    let cookie = format!(
        "Cookie: {}\r\n",
        cookies
            .into_iter()
            .find(|c| c.starts_with("itas_session="))
            .unwrap()
            .split(';')
            .next()
            .unwrap()
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(8);
    for p in ports {
        loop {
            let n = counted_by(&format!("127.0.0.1:{p}"), &cookie, &round, &agency).await;
            if n == count {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "server {p} counts {n}, the database {count}"
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
    for s in &mut servers {
        let _ = s.kill();
        let _ = s.wait();
    }
    println!(
        "three servers behind nginx, one killed and restarted: {} acknowledged, {} not acknowledged, {} stored, 0 lost, 0 twice",
        acked.len(),
        refused.load(Ordering::Relaxed),
        stored.len()
    );
    db.close().await;
}
