//! `itas bench submissions`: the figures the README quotes come from it, so
//! it must run on both backends and count what it claims; and a run that
//! fails midway must not leave its PostgreSQL schema behind.

use crate::app::{Backend, pg_url};
use crate::support::{stderr, stdout};
use std::process::{Command, Output};

/// Runs the bench briefly; returns its output and the process id (which
/// names its PostgreSQL schema).
fn bench(backend: Backend, flow: &str, env: &[(&str, &str)]) -> (Output, u32) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_itas"));
    cmd.args([
        "bench",
        "submissions",
        "--flow",
        flow,
        "--seconds",
        "2",
        "--concurrency",
        "8",
        "--agencies",
        "10",
    ]);
    if backend == Backend::Postgres {
        cmd.args(["--database-url", &pg_url()]);
    }
    cmd.envs(env.iter().copied())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = cmd.spawn().expect("run itas bench");
    let pid = child.id();
    (child.wait_with_output().expect("wait for itas bench"), pid)
}

async fn schema_exists(name: &str) -> bool {
    let db = itas_store::Db::connect(&pg_url())
        .await
        .expect("PostgreSQL");
    let itas_store::Db::Postgres(pool) = &db else {
        unreachable!()
    };
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = $1")
            .bind(name)
            .fetch_one(pool)
            .await
            .expect("list schemas");
    db.close().await;
    n > 0
}

/// The acknowledged answers the bench counted, checked against what it found stored.
fn acknowledged(o: &Output) -> usize {
    let out = stdout(o);
    let line = out
        .lines()
        .find(|l| l.starts_with("stored "))
        .unwrap_or_else(|| panic!("no stored line in:\n{out}\n{}", stderr(o)));
    let (stored, acked) = line
        .trim_start_matches("stored ")
        .split_once(" (acknowledged ")
        .expect("stored N (acknowledged M)");
    let acked = acked.split(')').next().unwrap();
    assert_eq!(stored, acked, "{line}");
    assert!(line.ends_with(": equal"), "{line}");
    stored.parse().unwrap()
}

async fn runs_and_counts(backend: Backend) {
    for flow in ["whole", "pages"] {
        let (o, pid) = bench(backend, flow, &[]);
        assert!(o.status.success(), "{flow}: {}\n{}", stdout(&o), stderr(&o));
        assert!(acknowledged(&o) > 0, "{flow}: nothing acknowledged");
        if backend == Backend::Postgres {
            assert!(
                !schema_exists(&format!("itas_bench_submissions_{pid}")).await,
                "{flow}: the bench's schema is left"
            );
        }
    }
}

#[tokio::test]
async fn the_submissions_bench_stores_what_it_acknowledges_sqlite() {
    runs_and_counts(Backend::Sqlite).await;
}

#[tokio::test]
async fn the_submissions_bench_stores_what_it_acknowledges_postgres() {
    runs_and_counts(Backend::Postgres).await;
}

#[tokio::test]
async fn a_bench_that_fails_midway_leaves_no_schema_behind() {
    // The server's log cannot be made, so the run fails after its schema
    // was made and filled.
    let (o, pid) = bench(
        Backend::Postgres,
        "whole",
        &[("ITAS_BENCH_SERVER_LOG", "/nonexistent/itas/server.log")],
    );
    assert!(!o.status.success(), "{}", stdout(&o));
    assert!(stderr(&o).contains("the server log"), "{}", stderr(&o));
    assert!(
        !schema_exists(&format!("itas_bench_submissions_{pid}")).await,
        "the failed run's schema is left"
    );
}
