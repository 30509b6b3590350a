//! The restore drill, as docs/operations.md tells it: `itas backup` while
//! answers arrive, `itas restore` into a fresh data folder, a server started
//! on it, and every answer acknowledged before the backup began is there.
//! A restore under a running server is refused and changes nothing.

use crate::procs::{free_port, random_uuid, start, wait_ready};
use crate::support::{itas, stderr, stdout};
use itas_web::loadgen::{Conn, answers_body};
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const CLIENTS: usize = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_under_load_restores_every_answer_acknowledged_before_it() {
    let dir = std::env::temp_dir().join(format!("itas-restore-{}", random_uuid()));
    let (live_dir, fresh_dir) = (dir.join("live"), dir.join("fresh"));
    std::fs::create_dir_all(&live_dir).unwrap();
    let live = format!("sqlite://{}/itas.sqlite3", live_dir.display());
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let mut server = start(&live, port);
    wait_ready(port).await;
    let db = itas_store::Db::connect(&live).await.unwrap();
    let (round, agency, code) = crate::app::demo_link(&db, "EIT").await;
    let body = Arc::new(answers_body(&itas_core::framework::ita_2564(), "EIT", 11));

    // Phones send answers until told to stop; each acknowledged one is noted.
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut phones = Vec::new();
    for _ in 0..CLIENTS {
        let (addr, body, acked, stop, code) = (
            addr.clone(),
            body.clone(),
            acked.clone(),
            stop.clone(),
            code.clone(),
        );
        phones.push(tokio::spawn(async move {
            let mut c = Conn::connect(&addr).await.unwrap();
            while !stop.load(Ordering::Relaxed) {
                let sid = random_uuid();
                let s = c
                    .post_form(
                        &format!("/s/{code}/submit"),
                        &format!("{body}&sid={sid}"),
                        Duration::from_secs(10),
                    )
                    .await
                    .unwrap();
                if s == 303 {
                    acked.lock().unwrap().push(sid);
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    // What was acknowledged before the backup began, then the backup while
    // the phones go on.
    let before: Vec<String> = acked.lock().unwrap().clone();
    let backup = dir.join("backups").join("itas-drill.sqlite3");
    let backup_arg = backup.to_str().unwrap().to_string();
    let live_arg = live.clone();
    let o = tokio::task::spawn_blocking(move || {
        itas(&["backup", &backup_arg, "--database-url", &live_arg])
    })
    .await
    .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    for p in phones {
        p.await.unwrap();
    }
    let after = acked.lock().unwrap().len();
    assert!(
        before.len() > 50 && after > before.len(),
        "answers arrived before and during the backup: {} then {after}",
        before.len()
    );

    // Under the running server, a restore is refused and touches nothing.
    let live_file = live_dir.join("itas.sqlite3");
    let size_before = std::fs::metadata(&live_file).unwrap().len();
    let o = itas(&["restore", backup.to_str().unwrap(), "--database-url", &live]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("a server is serving") && stderr(&o).contains("nothing was changed"),
        "{}",
        stderr(&o)
    );
    assert!(live_file.exists() && std::fs::metadata(&live_file).unwrap().len() >= size_before);
    assert!(
        std::fs::read_dir(&live_dir).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .contains("before-restore")),
        "nothing moved aside"
    );
    server.kill().unwrap();
    server.wait().unwrap();
    db.close().await;

    // Not a database at all: refused before anything is touched.
    let junk = dir.join("junk.sqlite3");
    std::fs::write(&junk, b"not a database").unwrap();
    let fresh = format!("sqlite://{}/itas.sqlite3", fresh_dir.display());
    let o = itas(&["restore", junk.to_str().unwrap(), "--database-url", &fresh]);
    assert!(!o.status.success(), "{}", stdout(&o));
    assert!(!fresh_dir.join("itas.sqlite3").exists());

    // Into a fresh data folder, then a server on it.
    let o = itas(&[
        "restore",
        backup.to_str().unwrap(),
        "--database-url",
        &fresh,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("restored"), "{}", stdout(&o));
    let port = free_port();
    let mut restored = start(&fresh, port);
    wait_ready(port).await;
    let db = itas_store::Db::connect(&fresh).await.unwrap();
    let stored: HashSet<String> = itas_store::surveys::response_ids(&db, &round, &agency)
        .await
        .unwrap()
        .into_iter()
        .collect();
    let lost: Vec<&String> = before.iter().filter(|s| !stored.contains(*s)).collect();
    assert!(
        lost.is_empty(),
        "{} of {} answers acknowledged before the backup are missing",
        lost.len(),
        before.len()
    );
    // The restored server takes answers again.
    let mut c = Conn::connect(&format!("127.0.0.1:{port}")).await.unwrap();
    let s = c
        .post_form(
            &format!("/s/{code}/submit"),
            &format!("{body}&sid={}", random_uuid()),
            Duration::from_secs(10),
        )
        .await
        .unwrap();
    assert_eq!(s, 303);
    // A second restore over it, once stopped, keeps what it replaces.
    restored.kill().unwrap();
    restored.wait().unwrap();
    db.close().await;
    let o = itas(&[
        "restore",
        backup.to_str().unwrap(),
        "--database-url",
        &fresh,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("kept what it replaced"),
        "{}",
        stdout(&o)
    );
    println!(
        "restore drill: {} acknowledged before the backup, {} after it began, {} in the restored database, 0 lost",
        before.len(),
        after - before.len(),
        stored.len()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
