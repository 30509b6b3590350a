//! Real `itas serve` processes for the crash and multi-server tests.

use crate::app::{Backend, fresh_db, pg_url};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn start(url: &str, port: u16) -> Child {
    start_with(url, port, &[], &[])
}

/// `itas serve --demo` with more arguments and environment (later entries
/// win over the defaults here).
pub fn start_with(url: &str, port: u16, args: &[&str], env: &[(&str, &str)]) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_itas"));
    cmd.args([
        "serve",
        "--demo",
        "--demo-password",
        "crash-test-password",
        "--database-url",
        url,
        "--listen",
        &format!("127.0.0.1:{port}"),
    ])
    .args(args)
    .env("ITAS_LINK_RATE_PER_MINUTE", "100000000")
    .env("ITAS_LOG", "warn");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start itas serve")
}

/// The most memory the process `pid` has held (VmHWM), in MB.
pub fn peak_mb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| kb / 1024)
        .expect("VmHWM")
}

pub async fn wait_ready(port: u16) {
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
pub async fn database(backend: Backend) -> (String, itas_store::Db) {
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

/// A random UUIDv4, as a form would send it.
pub fn random_uuid() -> String {
    use std::io::Read;
    let mut b = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .unwrap()
        .read_exact(&mut b)
        .unwrap();
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

/// A memory cgroup (the v1 hierarchy this machine mounts at
/// /sys/fs/cgroup/memory) holding one process under a hard limit: past it the
/// kernel reclaims, and then kills the process. Removed when dropped (once
/// the process has exited).
pub struct MemoryCgroup {
    dir: std::path::PathBuf,
}

impl MemoryCgroup {
    /// Puts `pid` under a limit of `mb`; `None` where cgroups cannot be made
    /// here (not root, or no v1 memory hierarchy).
    pub fn limit(pid: u32, mb: u64) -> Option<MemoryCgroup> {
        let root = std::path::Path::new("/sys/fs/cgroup/memory");
        if !root.join("cgroup.procs").exists() {
            return None;
        }
        let dir = root.join(format!("itas-test-{}-{pid}", std::process::id()));
        std::fs::create_dir(&dir).ok()?;
        let group = MemoryCgroup { dir };
        std::fs::write(
            group.dir.join("memory.limit_in_bytes"),
            (mb << 20).to_string(),
        )
        .ok()?;
        std::fs::write(group.dir.join("cgroup.procs"), pid.to_string()).ok()?;
        Some(group)
    }

    /// The most memory the group has used (page cache included), in MB.
    pub fn peak_mb(&self) -> u64 {
        std::fs::read_to_string(self.dir.join("memory.max_usage_in_bytes"))
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
            .map_or(0, |b| b >> 20)
    }

    /// Times the group hit its limit.
    pub fn failcnt(&self) -> u64 {
        std::fs::read_to_string(self.dir.join("memory.failcnt"))
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0)
    }
}

impl Drop for MemoryCgroup {
    fn drop(&mut self) {
        for _ in 0..50 {
            if std::fs::remove_dir(&self.dir).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// The EIT answers stored for `agency` in `round`, after checking that every
/// acknowledged one is there, none twice, none that was never sent, and
/// that the live count says as many.
pub async fn stored_exactly_once(
    db: &itas_store::Db,
    round: &str,
    agency: &str,
    acked: &[String],
    attempted: &std::collections::HashSet<String>,
) -> Vec<String> {
    let stored = itas_store::surveys::response_ids(db, round, agency)
        .await
        .unwrap();
    let stored_set: std::collections::HashSet<&String> = stored.iter().collect();
    let lost = acked.iter().filter(|s| !stored_set.contains(s)).count();
    assert_eq!(lost, 0, "{lost} acknowledged answers lost");
    assert_eq!(stored_set.len(), stored.len(), "no answer stored twice");
    assert!(
        stored.iter().all(|s| attempted.contains(s)),
        "nothing stored that was not sent"
    );
    let count = itas_store::surveys::count(db, round, agency, "EIT")
        .await
        .unwrap();
    assert_eq!(
        count as usize,
        stored.len(),
        "the live count equals the stored answers"
    );
    stored
}
