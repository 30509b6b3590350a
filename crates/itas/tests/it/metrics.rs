//! Prometheus metrics on their own listener (`itas serve --metrics-listen`):
//! a real server answers, takes answers, renders and scores; the scrape
//! counts each of them, passes `promtool check metrics`, and is not on the
//! public port. The alert rules of docs/prometheus pass `promtool check rules`.

use crate::app::Backend;
use crate::procs::{database, free_port, random_uuid, start_with, wait_ready};
use itas_web::loadgen::{Conn, answers_body};
use std::process::{Command, Stdio};
use std::time::Duration;

const T: Duration = Duration::from_secs(30);

/// The value of one sample line, `name{labels}` exactly as rendered.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no sample {series} in\n{text}"))
}

fn promtool(args: &[&str], stdin: Option<&str>) -> (bool, String) {
    let mut child = Command::new("promtool")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool (Debian package prometheus) must be installed: scripts/test installs it");
    if let Some(text) = stdin {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    } else {
        drop(child.stdin.take());
    }
    let o = child.wait_with_output().unwrap();
    (
        o.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
    )
}

async fn metrics_test(backend: Backend) {
    let (url, db) = database(backend).await;
    let (port, metrics_port) = (free_port(), free_port());
    let addr = format!("127.0.0.1:{port}");
    let metrics_addr = format!("127.0.0.1:{metrics_port}");
    let mut server = start_with(&url, port, &["--metrics-listen", &metrics_addr], &[]);
    wait_ready(port).await;

    // Answers through a survey link: each acknowledged with 303.
    let (_, _, code) = crate::app::demo_link(&db, "EIT").await;
    let body = answers_body(&itas_core::framework::ita_2564(), "EIT", 7);
    let mut phone = Conn::connect(&addr).await.unwrap();
    for _ in 0..3 {
        let status = phone
            .post_form(
                &format!("/s/{code}/submit"),
                &format!("{body}&sid={}", random_uuid()),
                T,
            )
            .await
            .unwrap();
        assert_eq!(status, 303);
    }
    // The public dashboard twice (the second from the kept page), a report
    // rendered, and nothing at /metrics on the public port.
    let r2564 = crate::app::round_named(&db, "ITA 2564").await;
    for _ in 0..2 {
        let (s, _) = crate::faults::get(&addr, &format!("/results/{r2564}"), "").await;
        assert_eq!(s, 200);
    }
    let (s, _) = crate::faults::get(&addr, "/p/KK-HUANONG/ita/2564/report.pdf", "").await;
    assert_eq!(s, 200);
    let (s, _) = crate::faults::get(&addr, "/metrics", "").await;
    assert_eq!(s, 404, "metrics are not on the public port");
    // A scoring run by the central office.
    let mut c = Conn::connect(&addr).await.unwrap();
    let (s, cookies) = c
        .send(
            "POST",
            "/login",
            "username=admin&password=crash-test-password",
            "",
            T,
        )
        .await
        .unwrap();
    assert_eq!(s, 303);
    let session = cookies
        .into_iter()
        .find(|c| c.starts_with("itas_session="))
        .expect("a session")
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let current = crate::app::round_named(&db, "ITA 2569").await;
    let (s, _) = c
        .send(
            "POST",
            &format!("/admin/rounds/{current}/compute"),
            "",
            &format!("Cookie: {session}\r\n"),
            T,
        )
        .await
        .unwrap();
    assert_eq!(s, 200, "the scoring run's page");

    let (s, text) = crate::faults::get(&metrics_addr, "/metrics", "").await;
    assert_eq!(s, 200);
    assert!(
        sample(
            &text,
            "itas_http_requests_total{group=\"survey\",class=\"3xx\"}"
        ) >= 3.0,
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            "itas_http_requests_total{group=\"other\",class=\"4xx\"}"
        ),
        1.0
    );
    assert!(
        sample(
            &text,
            "itas_http_request_duration_seconds_count{group=\"survey\"}"
        ) >= 3.0
    );
    assert!(sample(&text, "itas_writer_items_total") >= 3.0);
    assert!(sample(&text, "itas_writer_batches_total") >= 1.0);
    assert!(sample(&text, "itas_writer_busy_seconds_total") > 0.0);
    assert_eq!(sample(&text, "itas_writer_queue_depth"), 0.0);
    for kind in [
        "disk_full",
        "io_error",
        "database_unreachable",
        "writer_restarting",
    ] {
        assert_eq!(
            sample(&text, &format!("itas_storage_fault{{kind=\"{kind}\"}}")),
            0.0
        );
    }
    assert!(sample(&text, "itas_cache_hits_total{cache=\"public_pages\"}") >= 1.0);
    assert!(sample(&text, "itas_cache_rebuilds_total{cache=\"results\"}") >= 1.0);
    assert_eq!(
        sample(
            &text,
            "itas_render_duration_seconds_count{kind=\"report.pdf\"}"
        ),
        1.0
    );
    assert_eq!(
        sample(&text, "itas_scoring_run_duration_seconds_count"),
        1.0
    );
    assert_eq!(sample(&text, "itas_log_lines_dropped_total"), 0.0);
    let (ok, said) = promtool(&["check", "metrics"], Some(&text));
    assert!(ok, "promtool check metrics: {said}\n{text}");

    server.kill().unwrap();
    server.wait().unwrap();
    db.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_what_the_server_does_sqlite() {
    metrics_test(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_what_the_server_does_postgres() {
    metrics_test(Backend::Postgres).await;
}

#[test]
fn the_alert_rules_pass_promtool() {
    let rules = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/prometheus/alerts.yml"
    );
    let (ok, said) = promtool(&["check", "rules", rules], None);
    assert!(ok, "{said}");
    assert!(said.contains("5 rules found"), "{said}");
}

#[test]
fn the_metrics_listener_is_never_the_public_port() {
    let o = crate::support::itas(&[
        "serve",
        "--database-url",
        "sqlite::memory:",
        "--listen",
        "127.0.0.1:18181",
        "--metrics-listen",
        "127.0.0.1:18181",
    ]);
    assert!(!o.status.success());
    assert!(
        crate::support::stderr(&o).contains("--metrics-listen must differ from --listen"),
        "{}",
        crate::support::stderr(&o)
    );
}
