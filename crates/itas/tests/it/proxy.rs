//! `itas serve` behind a real nginx (Debian's package), one hop and two: the
//! client address is what our proxy saw, never what the client wrote into
//! `X-Forwarded-For`, so a guesser who changes that header each time still
//! meets the sign-in back-off, and someone at another address does not.

use crate::app::Backend;
use crate::procs::{database, free_port, start_with, wait_ready};
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// An nginx in the foreground with its own prefix, killed when dropped.
pub(crate) struct Nginx {
    child: Child,
    _dir: PathBuf,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts nginx with `servers`: (listen port, upstream port) pairs, each
/// appending the address it received the request from, as nginx's own
/// `$proxy_add_x_forwarded_for` does.
async fn nginx(servers: &[(u16, u16)]) -> Nginx {
    let mut http = String::new();
    for (listen, upstream) in servers {
        http.push_str(&format!(
            "server {{ listen 127.0.0.1:{listen}; location / {{ proxy_pass http://127.0.0.1:{upstream}; \
             proxy_set_header Host $host; proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; }} }}\n"
        ));
    }
    let ports: Vec<u16> = servers.iter().map(|(listen, _)| *listen).collect();
    run_nginx(&http, &ports).await
}

/// Starts nginx in the foreground with `http` inside its `http {}` block,
/// in a folder of its own; returns once it listens on every one of `ports`.
pub(crate) async fn run_nginx(http: &str, ports: &[u16]) -> Nginx {
    let dir =
        std::env::temp_dir().join(format!("itas-nginx-{}-{}", std::process::id(), free_port()));
    std::fs::create_dir_all(&dir).unwrap();
    let d = dir.display();
    let conf = format!(
        "worker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\nevents {{ worker_connections 64; }}\n\
         http {{\naccess_log off;\nclient_body_temp_path {d}/body;\nproxy_temp_path {d}/proxy;\n\
         fastcgi_temp_path {d}/fastcgi;\nuwsgi_temp_path {d}/uwsgi;\nscgi_temp_path {d}/scgi;\n{http}}}\n"
    );
    std::fs::write(dir.join("nginx.conf"), conf).unwrap();
    let child = Command::new("nginx")
        .args(["-p", &d.to_string(), "-e", &format!("{d}/error.log"), "-c"])
        .arg(dir.join("nginx.conf"))
        .args(["-g", "daemon off;"])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("nginx (Debian package nginx-light or nginx; scripts/test installs it)");
    for listen in ports {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while tokio::net::TcpStream::connect(("127.0.0.1", *listen))
            .await
            .is_err()
        {
            assert!(
                std::time::Instant::now() < deadline,
                "nginx did not listen on {listen}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    Nginx { child, _dir: dir }
}

/// One sign-in through the proxy at `port`, from the local address `from`,
/// with the X-Forwarded-For the client chose; the status.
async fn sign_in(port: u16, from: &str, claimed: &str, password: &str) -> u16 {
    let mut c = itas_web::loadgen::Conn::connect_from(
        &format!("127.0.0.1:{port}"),
        from.parse::<IpAddr>().unwrap(),
    )
    .await
    .unwrap();
    let body = format!("username=admin&password={password}");
    let (status, _, _) = c
        .exchange_bytes(
            "POST",
            "/login",
            "application/x-www-form-urlencoded",
            body.as_bytes(),
            &format!("X-Forwarded-For: {claimed}\r\n"),
            Duration::from_secs(30),
        )
        .await
        .unwrap();
    status
}

/// Five wrong passwords from `guesser`, each claiming another address: the
/// sixth try is held back all the same; `other` signs in at once.
async fn back_off_follows_the_real_address(port: u16, guesser: &str, other: &str) {
    for k in 0..5 {
        let status = sign_in(port, guesser, &format!("198.51.100.{k}"), "wrong-guess").await;
        assert_eq!(status, 401, "guess {k}");
    }
    assert_eq!(
        sign_in(port, guesser, "198.51.100.99", "crash-test-password").await,
        429,
        "a new X-Forwarded-For value each time must not escape the back-off"
    );
    assert_eq!(
        sign_in(port, other, "198.51.100.0", "crash-test-password").await,
        303,
        "another address is not held back, even claiming the guesser's"
    );
}

async fn one_hop(backend: Backend) {
    let (url, _db) = database(backend).await;
    let port = free_port();
    let mut server = start_with(&url, port, &["--trust-proxy"], &[]);
    wait_ready(port).await;
    let front = free_port();
    let _nginx = nginx(&[(front, port)]).await;
    back_off_follows_the_real_address(front, "127.0.0.5", "127.0.0.6").await;
    let _ = server.kill();
    let _ = server.wait();
}

async fn two_hops(backend: Backend) {
    let (url, _db) = database(backend).await;
    let port = free_port();
    // Both proxies connect from 127.0.0.1; the clients come from other
    // loopback addresses, as they would from the Internet.
    let mut server = start_with(&url, port, &["--trusted-proxies", "127.0.0.1/32"], &[]);
    wait_ready(port).await;
    let (outer, inner) = (free_port(), free_port());
    let _nginx = nginx(&[(outer, inner), (inner, port)]).await;
    back_off_follows_the_real_address(outer, "127.0.0.7", "127.0.0.8").await;
    let _ = server.kill();
    let _ = server.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_one_nginx_the_client_is_what_nginx_saw_sqlite() {
    one_hop(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_one_nginx_the_client_is_what_nginx_saw_postgres() {
    one_hop(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_two_proxies_the_client_is_the_rightmost_untrusted_address_sqlite() {
    two_hops(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_two_proxies_the_client_is_the_rightmost_untrusted_address_postgres() {
    two_hops(Backend::Postgres).await;
}
