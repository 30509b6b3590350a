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

/// Starts `itas serve --demo` in `dir` and returns what it printed up to its "Next:" line.
fn demo_start(dir: &std::path::Path) -> String {
    use std::io::BufRead;
    let mut child = Command::new(env!("CARGO_BIN_EXE_itas"))
        .args(["serve", "--demo", "--listen", "127.0.0.1:0"])
        .current_dir(dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("run itas");
    let mut out = String::new();
    let reader = std::io::BufReader::new(child.stdout.take().unwrap());
    for line in reader.lines() {
        let line = line.unwrap();
        out.push_str(&line);
        out.push('\n');
        if line.starts_with("Next:") {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    out
}

#[test]
fn the_demo_start_says_who_is_who_where_the_links_are_and_the_phase() {
    let dir = std::env::temp_dir().join(format!("itas-tests/demo-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let first = demo_start(&dir);
    for expected in [
        "huanong",
        "of องค์การบริหารส่วนตำบลหัวหนอง (KK-HUANONG)",
        "Current round: ITA",
        "phase: ",
        "EIT: http://127.0.0.1:",
        "IIT: http://127.0.0.1:",
        "Next: open http://127.0.0.1:",
    ] {
        assert!(first.contains(expected), "{expected}: {first}");
    }
    assert!(!first.contains("already in this database"));
    // A restart says the passwords changed instead of changing them silently.
    let again = demo_start(&dir);
    assert!(again.contains("already in this database"), "{again}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `itas create-user` meets the users page's rule (itas-app's
/// `users::create`): the same refusals, the same stored username.
#[test]
fn the_console_makes_users_by_the_pages_rule() {
    let dir = std::env::temp_dir().join(format!(
        "itas-tests/create-user-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("itas.sqlite3").display());
    let run = |args: &[&str], password: &str| {
        Command::new(env!("CARGO_BIN_EXE_itas"))
            .arg("create-user")
            .args(args)
            .args(["--database-url", &url])
            .env("ITAS_NEW_PASSWORD", password)
            .output()
            .expect("run itas")
    };
    let migrated = Command::new(env!("CARGO_BIN_EXE_itas"))
        .args(["migrate", "--database-url", &url])
        .output()
        .unwrap();
    assert!(migrated.status.success(), "{migrated:?}");
    // A username the page refuses, a short password, a bad email: all named at once.
    let out = run(
        &["ผู้ใช้ ใหม่", "--role", "central_admin", "--email", "not-mail"],
        "short",
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    for said in [
        "username: Letters, digits and - _ . @ only",
        "password: At least 10 characters",
        "email: Not an email address",
    ] {
        assert!(err.contains(said), "{said}: {err}");
    }
    // Taken as the page takes it: lower case, trimmed.
    let out = run(
        &[" Saraban@Example.go.th ", "--role", "central_admin"],
        "a long enough password",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("user saraban@example.go.th created"));
    let again = run(
        &["saraban@example.go.th", "--role", "central_admin"],
        "a long enough password",
    );
    assert!(String::from_utf8_lossy(&again.stderr).contains("This username is taken"));
    let _ = std::fs::remove_dir_all(&dir);
}
