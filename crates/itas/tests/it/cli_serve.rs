//! Starting the server: what it says when the database URL is wrong or the
//! database cannot be reached.

use std::process::Command;
use std::time::{Duration, Instant};

/// `itas serve` in a fresh folder, its output and how long it took.
fn serve(url: &str) -> (std::process::Output, Duration, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!(
        "itas-tests/serve-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let t = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_itas"))
        .args(["serve", "--listen", "127.0.0.1:0", "--database-url", url])
        .current_dir(&dir)
        .env("ITAS_LOG", "info")
        .output()
        .expect("run itas");
    (out, t.elapsed(), dir)
}

#[test]
fn a_database_url_of_another_kind_is_refused_and_creates_nothing() {
    for url in ["mysql://root:secret@x/db", "x.sqlite3"] {
        let (out, _, dir) = serve(url);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{url}: {err}");
        assert!(err.contains("use sqlite://PATH"), "{url}: {err}");
        assert!(!err.contains("secret"), "the password never appears: {err}");
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            0,
            "{url}: nothing created in the working folder"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn an_unreachable_postgresql_is_said_at_once_and_fails_within_about_ten_seconds() {
    // Nothing listens on this port (it is bound and released first).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (out, took, dir) = serve(&format!("postgres://nobody:pw@127.0.0.1:{port}/x"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("connecting to postgres://nobody@127.0.0.1"),
        "{err}"
    );
    assert!(!err.contains(":pw@"), "{err}");
    assert!(
        err.to_lowercase().contains("refused"),
        "the reason is given: {err}"
    );
    assert!(took < Duration::from_secs(15), "took {took:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
