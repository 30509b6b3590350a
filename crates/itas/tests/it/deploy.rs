//! The deploy recipe of docs/deploy, as shipped: the systemd units pass
//! `systemd-analyze verify` without a warning, and the nginx site, with only
//! its ports and certificate paths changed, terminates TLS in front of a real
//! `itas serve --trust-proxy`, redirects plain HTTP, lets itas answer an
//! upload over its limit with its own page and stops a larger one itself.

use crate::procs::{free_port, random_uuid, start_with, wait_ready};
use std::path::{Path, PathBuf};
use std::process::Command;

fn deploy_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/deploy"))
}

#[test]
fn the_systemd_units_verify_cleanly() {
    let dir = std::env::temp_dir().join(format!("itas-units-{}", random_uuid()));
    std::fs::create_dir_all(&dir).unwrap();
    // The binary where the units expect it is this build's.
    for unit in ["itas.service", "itas-backup.service", "itas-backup.timer"] {
        let text = std::fs::read_to_string(deploy_dir().join(unit)).unwrap();
        std::fs::write(
            dir.join(unit),
            text.replace("/usr/local/bin/itas", env!("CARGO_BIN_EXE_itas")),
        )
        .unwrap();
    }
    let o = Command::new("systemd-analyze")
        .current_dir(&dir)
        .args([
            "verify",
            "--man=no",
            "itas.service",
            "itas-backup.service",
            "itas-backup.timer",
        ])
        .output()
        .expect("systemd-analyze (Debian package systemd) must be installed");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(o.status.success(), "{said}");
    assert!(
        said.trim().is_empty(),
        "every line of the units is understood: {said}"
    );
    let unit = std::fs::read_to_string(deploy_dir().join("itas.service")).unwrap();
    for hardening in [
        "User=itas",
        "ProtectSystem=strict",
        "ReadWritePaths=/var/lib/itas",
        "NoNewPrivileges=yes",
        "Restart=on-failure",
    ] {
        assert!(unit.contains(hardening), "{hardening}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `curl` over the proxy: (status, headers and body).
fn curl(args: &[&str]) -> (u16, String) {
    let o = Command::new("curl")
        .args(["-sk", "-i", "--max-time", "60", "-w", "\n%{http_code}"])
        .args(args)
        .output()
        .expect("curl (Debian package curl; scripts/test installs it)");
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", "0"));
    (code.trim().parse().unwrap_or(0), body.to_string())
}

fn self_signed(dir: &Path) -> (PathBuf, PathBuf) {
    let (cert, key) = (dir.join("fullchain.pem"), dir.join("privkey.pem"));
    let o = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args(["-subj", "/CN=ita.example.go.th", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    (cert, key)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_nginx_site_serves_itas_over_tls_with_its_limits() {
    let dir = std::env::temp_dir().join(format!("itas-site-{}", random_uuid()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key) = self_signed(&dir);
    let (itas_port, http, https) = (free_port(), free_port(), free_port());
    let url = format!("sqlite://{}/itas.sqlite3", dir.display());
    let mut server = start_with(&url, itas_port, &["--trust-proxy"], &[]);
    wait_ready(itas_port).await;
    let site = std::fs::read_to_string(deploy_dir().join("nginx-itas.conf"))
        .unwrap()
        .replace("listen 80;", &format!("listen 127.0.0.1:{http};"))
        .replace("listen 443 ssl;", &format!("listen 127.0.0.1:{https} ssl;"))
        .replace(
            "server 127.0.0.1:8080;",
            &format!("server 127.0.0.1:{itas_port};"),
        )
        .replace(
            "/etc/letsencrypt/live/ita.example.go.th/fullchain.pem",
            cert.to_str().unwrap(),
        )
        .replace(
            "/etc/letsencrypt/live/ita.example.go.th/privkey.pem",
            key.to_str().unwrap(),
        );
    assert!(site.contains(&format!("{https} ssl")) && site.contains(cert.to_str().unwrap()));
    let _nginx = crate::proxy::run_nginx(&site, &[http, https]).await;

    let base = format!("https://127.0.0.1:{https}");
    let (status, text) = curl(&[&format!("{base}/healthz")]);
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("\nok"), "{text}");
    // Plain HTTP goes to HTTPS on the same name.
    let (status, text) = curl(&[
        "-H",
        "Host: ita.example.go.th",
        &format!("http://127.0.0.1:{http}/results"),
    ]);
    assert_eq!(status, 301, "{text}");
    assert!(
        text.contains("Location: https://ita.example.go.th/results"),
        "{text}"
    );
    // Over itas's 8 MB: itas's own page, in Thai; over 16 MB: nginx stops it.
    for (mb, from_itas) in [(9usize, true), (17, false)] {
        let body = dir.join(format!("{mb}mb.txt"));
        std::fs::write(&body, vec![b'a'; mb << 20]).unwrap();
        let (status, text) = curl(&[
            "-H",
            "Content-Type: application/x-www-form-urlencoded",
            "--data-binary",
            &format!("@{}", body.display()),
            &format!("{base}/login"),
        ]);
        assert_eq!(status, 413, "{mb} MB: {}", &text[..text.len().min(400)]);
        assert_eq!(
            text.contains("ไฟล์หรือข้อมูลมีขนาดใหญ่เกินไป"),
            from_itas,
            "{mb} MB: {}",
            &text[..text.len().min(600)]
        );
    }
    server.kill().unwrap();
    server.wait().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
