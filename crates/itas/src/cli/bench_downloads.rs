//! `itas bench downloads`: what anyone on the internet can make the server
//! spend by asking for documents at once, and what a hostile upload costs.
//!
//! Builds a published round of `--agencies` agencies, starts `itas serve` in
//! a process of its own, and measures its resident memory (now and at its
//! peak) while: a sparse workbook and a zip bomb are uploaded (refused, and
//! how fast); `--concurrency` people download the same report at once, then
//! again; and as many download as many different reports at once.

use itas_core::directory::Phase;
use itas_store::rounds::PhaseDates;
use itas_web::loadgen::Conn;
use std::process::ExitCode;
use std::time::{Duration, Instant};

#[derive(clap::Args)]
pub struct DownloadsArgs {
    /// Database to fill (default: a fresh SQLite file in a temporary folder).
    #[arg(long)]
    database_url: Option<String>,
    /// Agencies with published results (at least `--concurrency`).
    #[arg(long, default_value_t = 220)]
    agencies: usize,
    /// Downloads at the same time.
    #[arg(long, default_value_t = 200)]
    concurrency: usize,
}

pub fn run(a: DownloadsArgs) -> Result<ExitCode, String> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?
        .block_on(bench(a))
}

/// The statuses of `paths` asked for at once, each on its own connection
/// (0: no HTTP answer), and the time the last took.
async fn at_once(addr: &str, cookie: &str, paths: Vec<String>) -> (Vec<u16>, f64) {
    let t = Instant::now();
    let tasks: Vec<_> = paths
        .into_iter()
        .map(|path| {
            let (addr, cookie) = (addr.to_string(), cookie.to_string());
            tokio::spawn(async move {
                let Ok(mut c) = Conn::connect(&addr).await else {
                    return 0;
                };
                c.exchange("GET", &path, "", &cookie, Duration::from_secs(300))
                    .await
                    .map_or(0, |(s, _, _)| s)
            })
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap_or(0));
    }
    (out, t.elapsed().as_secs_f64())
}

fn summary(statuses: &[u16]) -> String {
    let mut counts = std::collections::BTreeMap::new();
    for s in statuses {
        *counts.entry(*s).or_insert(0) += 1;
    }
    counts
        .iter()
        .map(|(s, n)| {
            if *s == 0 {
                format!("{n} no answer")
            } else {
                format!("{n} × {s}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

async fn bench(a: DownloadsArgs) -> Result<ExitCode, String> {
    let url = a.database_url.clone();
    super::bench::BenchDb::with_fresh("downloads", url, async move |bench_db| {
        measure(a, bench_db).await
    })
    .await
}

async fn measure(a: DownloadsArgs, bench_db: &super::bench::BenchDb) -> Result<ExitCode, String> {
    let (db, url) = (bench_db.db.clone(), bench_db.url.clone());
    let today = time::OffsetDateTime::now_utc().date();
    let bars = super::progress::Steps::new();
    let progress = |s: &str, d: u64, t: u64| bars.step(s, d, t);
    let spec = itas_app::synthetic::Spec {
        agencies: a.agencies.max(a.concurrency),
        responses: a.agencies.max(a.concurrency) * 60,
        framework_source: itas_core::framework::ITA_2569_SOURCE,
        name: format!("bench downloads {}", itas_store::new_id()),
        fiscal_year: 2569,
        phases: vec![PhaseDates {
            phase: Phase::Publication,
            starts_on: today - time::Duration::days(1),
            ends_on: today + time::Duration::days(30),
        }],
        seed: 2570,
    };
    let built = itas_app::synthetic::build(&db, &spec, &progress).await?;
    let cookie = super::bench::central_office_cookie(&db).await?;

    let server = super::bench::ServerProcess::start(&url, None).await?;
    let (addr, pid) = (server.addr.clone(), server.pid());
    let mut conn = Conn::connect(&addr).await.map_err(|e| e.to_string())?;
    for step in ["compute", "publish"] {
        super::bench::round_action(&mut conn, &cookie, &built.round.id, step).await?;
    }
    let (rss, peak) = super::bench_round::rss_mb(pid);
    out!(
        "bench downloads: {} agencies published; server {rss:.0} MB now, {peak:.0} MB at its peak",
        built.agencies.len()
    );

    // Hostile uploads, before any document is made: their cost stands alone.
    for (what, file) in [
        (
            "sparse workbook (A1:C1 and XFD1048576)",
            itas_app::spreadsheet::hostile::sparse_workbook("agencies"),
        ),
        (
            "zip bomb (300 MB of zeros)",
            itas_app::spreadsheet::hostile::zip_bomb(),
        ),
    ] {
        let (before, _) = super::bench_round::rss_mb(pid);
        let t = Instant::now();
        let (status, _, body) = conn
            .exchange_bytes(
                "POST",
                "/api/v1/agencies/import",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                &file,
                &cookie,
                Duration::from_secs(60),
            )
            .await
            .map_err(|e| e.to_string())?;
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        let (_, peak) = super::bench_round::rss_mb(pid);
        let refused = String::from_utf8_lossy(&body).contains("\"inserted\":0");
        out!(
            "  upload {what}, {} KB: status {status}, refused {refused}, in {ms:.0} ms; server {before:.0} MB before, peak {peak:.0} MB",
            file.len() / 1024
        );
    }

    let reports: Vec<String> = built
        .agencies
        .iter()
        .take(a.concurrency)
        .map(|(id, _)| format!("/agencies/{id}/results/{}/report.pdf", built.round.id))
        .collect();
    let same = vec![reports[0].clone(); a.concurrency];
    for (what, paths) in [
        ("the same report, first time", same.clone()),
        ("the same report again", same),
        ("different reports", reports),
    ] {
        let (statuses, secs) = at_once(&addr, &cookie, paths).await;
        let (rss, peak) = super::bench_round::rss_mb(pid);
        out!(
            "  {} at once, {what}: {} in {secs:.1} s; server {rss:.0} MB now, peak {peak:.0} MB",
            a.concurrency,
            summary(&statuses)
        );
    }
    drop(server);
    Ok(ExitCode::SUCCESS)
}
