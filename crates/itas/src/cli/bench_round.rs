//! `itas bench round`: the central office's work on results day, at national
//! size. Builds a generated round (8,300 agencies in a real tree, 1.35 M
//! IIT/EIT answers through the live response writer, OIT reviews of every
//! item), then measures the scoring run, the public dashboards, the central
//! round page, the agency results page, the exports, the data-quality page
//! and the server's peak memory, and the dashboards again while submissions
//! arrive at a steady rate. Prints one table.

use itas_app::synthetic::{Spec, build};
use itas_core::directory::Phase;
use itas_store::rounds::PhaseDates;
use itas_web::loadgen::{Conn, answers_body};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(clap::Args)]
pub struct RoundArgs {
    /// Database to fill (default: a fresh SQLite file in a temporary folder).
    #[arg(long)]
    database_url: Option<String>,
    #[arg(long, default_value_t = 8300)]
    agencies: usize,
    #[arg(long, default_value_t = 1_350_000)]
    responses: usize,
    /// Concurrent readers of each page.
    #[arg(long, default_value_t = 32)]
    readers: usize,
    /// Seconds each page is read for.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Timed scoring runs.
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Submissions per second arriving while the dashboards are read.
    #[arg(long, default_value_t = 1000)]
    submissions_per_second: u64,
    /// Keep the database afterwards (a temporary SQLite file is removed).
    #[arg(long)]
    keep: bool,
    /// Measure the newest round an earlier run built in `--database-url`
    /// instead of building one (a national round at 10× takes half an hour).
    #[arg(long, requires = "database_url")]
    measure_only: bool,
}

pub fn run(a: RoundArgs) -> Result<ExitCode, String> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?
        .block_on(bench(a))
}

/// Latencies of one measurement, in milliseconds.
struct Timing {
    requests: usize,
    errors: u64,
    p50: f64,
    p99: f64,
    max: f64,
    per_second: f64,
}

fn timing(mut lat: Vec<Duration>, errors: u64, elapsed: f64) -> Timing {
    lat.sort();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    Timing {
        requests: lat.len(),
        errors,
        p50: pct(0.50),
        p99: pct(0.99),
        max: pct(1.0),
        per_second: lat.len() as f64 / elapsed,
    }
}

/// `readers` connections GET the paths (taken in turn) for `seconds`.
async fn read_load(
    addr: &str,
    paths: Arc<Vec<String>>,
    readers: usize,
    seconds: u64,
    cookie: &str,
) -> Timing {
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for r in 0..readers {
        let (paths, stop, addr, cookie) = (
            paths.clone(),
            stop.clone(),
            addr.to_string(),
            cookie.to_string(),
        );
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0u64;
            let mut conn = Conn::connect(&addr).await.ok();
            let mut k = r;
            while !stop.load(Ordering::Relaxed) {
                let path = &paths[k % paths.len()];
                k += readers;
                let Some(c) = conn.as_mut() else {
                    errors += 1;
                    conn = Conn::connect(&addr).await.ok();
                    continue;
                };
                let t0 = Instant::now();
                match c
                    .exchange("GET", path, "", &cookie, Duration::from_secs(30))
                    .await
                {
                    Ok((200, _, _)) => lat.push(t0.elapsed()),
                    Ok(_) => errors += 1,
                    Err(_) => {
                        errors += 1;
                        conn = Conn::connect(&addr).await.ok();
                    }
                }
            }
            (lat, errors)
        }));
    }
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut lat = Vec::new();
    let mut errors = 0;
    for t in tasks {
        if let Ok((l, e)) = t.await {
            lat.extend(l);
            errors += e;
        }
    }
    timing(lat, errors, started.elapsed().as_secs_f64())
}

/// A process's resident memory now and at its peak, in MB (Linux).
pub(super) fn rss_mb(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

async fn bench(a: RoundArgs) -> Result<ExitCode, String> {
    let bench_db = super::bench::BenchDb::open("round", a.database_url.clone()).await?;
    let (db, url) = (bench_db.db.clone(), bench_db.url.clone());
    let today = time::OffsetDateTime::now_utc().date();
    let bars = super::progress::Steps::new();
    let progress = |s: &str, d: u64, t: u64| bars.step(s, d, t);
    let t = Instant::now();
    let spec = Spec {
        agencies: a.agencies,
        responses: a.responses,
        framework_source: itas_core::framework::ITA_2569_SOURCE,
        name: format!("bench round {}", itas_store::new_id()),
        fiscal_year: 2569,
        // Published today: the dashboards are public.
        phases: vec![PhaseDates {
            phase: Phase::Publication,
            starts_on: today - time::Duration::days(1),
            ends_on: today + time::Duration::days(30),
        }],
        seed: 2569,
    };
    let built = if a.measure_only {
        let round = itas_store::rounds::list(&db)
            .await
            .map_err(|e| e.to_string())?
            .into_iter()
            .find(|r| r.name.starts_with("bench round"))
            .ok_or("no round built by an earlier `itas bench round` in this database")?;
        let agencies = itas_store::rounds::participants(&db, &round.id)
            .await
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|p| (p.agency_id, p.kind))
            .collect();
        let responses = itas_store::surveys::counts(&db, &round.id)
            .await
            .map_err(|e| e.to_string())?
            .values()
            .sum::<i64>() as usize;
        itas_app::synthetic::Built {
            round,
            agencies,
            responses,
            decisions: 0,
        }
    } else {
        build(&db, &spec, &progress).await?
    };
    let build_s = t.elapsed().as_secs_f64();
    out!(
        "bench round: {} agencies, {} answers, {} OIT decisions on {}; {} in {build_s:.0} s",
        built.agencies.len(),
        built.responses,
        built.decisions,
        url.split("://").next().unwrap_or(""),
        if a.measure_only { "found" } else { "built" }
    );

    let cookie = super::bench::central_office_cookie(&db).await?;

    // The server is `itas serve` in its own process, so its memory is its
    // own and not the generator's; it is stopped however the bench ends.
    let server = super::bench::ServerProcess::start(&url, None).await?;
    let (addr, pid) = (server.addr.clone(), server.pid());

    // The scoring run, as the central office starts it from the round page.
    let mut compute = Vec::new();
    let mut conn = Conn::connect(&addr).await.map_err(|e| e.to_string())?;
    for _ in 0..a.runs.max(1) {
        let t = Instant::now();
        super::bench::round_action(&mut conn, &cookie, &built.round.id, "compute").await?;
        compute.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    compute.sort_by(f64::total_cmp);
    // Then published, as the central office does after reviewing the run:
    // only a published round's dashboards and results pages are public.
    let publishing = Instant::now();
    super::bench::round_action(&mut conn, &cookie, &built.round.id, "publish").await?;
    let published_ms = publishing.elapsed().as_secs_f64() * 1000.0;
    // The first reader after publishing, alone: what the crowd would wait for.
    let first_view = {
        let mut reader = Conn::connect(&addr).await.map_err(|e| e.to_string())?;
        let t = Instant::now();
        let (status, _, _) = reader
            .exchange(
                "GET",
                &format!("/results/{}", built.round.id),
                "",
                "",
                Duration::from_secs(60),
            )
            .await
            .map_err(|e| e.to_string())?;
        if status != 200 {
            return Err(format!("first public dashboard: status {status}"));
        }
        t.elapsed().as_secs_f64() * 1000.0
    };
    let computed = itas_store::rounds::round_scores(&db, &built.round.id)
        .await
        .map_err(|e| e.to_string())?
        .len();
    let round = built.round.id.clone();
    let r = |s: &str| Arc::new(vec![s.to_string()]);
    let dashboards = Arc::new(vec![
        format!("/results/{round}"),
        format!("/results/{round}?by=province"),
        format!("/results/{round}?by=parent"),
        format!("/results/{round}?by=kind&sort=name&dir=asc&page=3"),
    ]);
    let agencies: Arc<Vec<String>> = Arc::new(
        built
            .agencies
            .iter()
            .step_by((built.agencies.len() / 500).max(1))
            .map(|(id, _)| format!("/agencies/{id}/results/{round}"))
            .collect(),
    );
    let mut rows: Vec<(String, String, String)> = Vec::new();
    let ms = |x: f64| format!("{x:.0} ms");
    rows.push((
        "compute every agency's scores".into(),
        format!(
            "{} to {} over {} runs ({computed} agencies)",
            ms(compute[0]),
            ms(compute[compute.len() - 1]),
            compute.len()
        ),
        "< 2 s".into(),
    ));
    rows.push((
        "publish, then the first public dashboard".into(),
        format!(
            "publish {} (the public dashboard made with it); first view {:.1} ms",
            ms(published_ms),
            first_view
        ),
        "first view < 100 ms".into(),
    ));
    let show = |t: &Timing| {
        format!(
            "p50 {:.1} ms, p99 {:.1} ms, max {:.0} ms; {:.0} req/s, {} requests, {} errors",
            t.p50, t.p99, t.max, t.per_second, t.requests, t.errors
        )
    };
    let t = read_load(&addr, dashboards.clone(), a.readers, a.seconds, "").await;
    rows.push((
        format!("public dashboard and breakdowns, {} readers", a.readers),
        show(&t),
        "p99 < 100 ms".into(),
    ));
    // Signed in, every view is made for its reader (the central office sees
    // more than the public): what a view costs when it is not kept.
    let t = read_load(
        &addr,
        dashboards.clone(),
        a.readers.min(8),
        a.seconds,
        &cookie,
    )
    .await;
    rows.push((
        format!(
            "the same dashboards for the central office (made on every request), {} readers",
            a.readers.min(8)
        ),
        show(&t),
        "p99 < 300 ms".into(),
    ));
    let t = read_load(
        &addr,
        r(&format!("/admin/rounds/{round}")),
        a.readers.min(8),
        a.seconds,
        &cookie,
    )
    .await;
    rows.push((
        format!("central round page, {} readers", a.readers.min(8)),
        show(&t),
        "p99 < 300 ms".into(),
    ));
    let t = read_load(&addr, agencies.clone(), a.readers, a.seconds, "").await;
    rows.push((
        format!("agency results page, {} readers", a.readers),
        show(&t),
        "p99 < 50 ms".into(),
    ));
    for (what, path) in [
        ("CSV export", format!("/results/{round}/results.csv")),
        ("XLSX export", format!("/results/{round}/results.xlsx")),
        (
            "open data (JSON)",
            format!("/results/{round}/open-data.json"),
        ),
        (
            "data-quality page",
            format!("/admin/rounds/{round}/quality"),
        ),
    ] {
        let mut conn = Conn::connect(&addr).await.map_err(|e| e.to_string())?;
        let (rss_before, _) = rss_mb(pid);
        let mut times = Vec::new();
        let mut size = 0;
        let mut failed = None;
        for _ in 0..3 {
            let t = Instant::now();
            let (status, _, body) = match conn
                .exchange("GET", &path, "", &cookie, Duration::from_secs(120))
                .await
            {
                Ok(r) => r,
                Err(e) => (0, Vec::new(), e.to_string().into_bytes()),
            };
            if status != 200 {
                failed = Some(format!(
                    "failed after {:.1} s: status {status}",
                    t.elapsed().as_secs_f64()
                ));
                break;
            }
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            size = body.len();
        }
        if let Some(why) = failed {
            rows.push((what.into(), why, String::new()));
            conn = Conn::connect(&addr).await.map_err(|e| e.to_string())?;
            drop(conn);
            continue;
        }
        times.sort_by(f64::total_cmp);
        let (rss_after, _) = rss_mb(pid);
        rows.push((
            what.into(),
            format!(
                "{} to {} ({:.1} MB); RSS {:.0} → {:.0} MB",
                ms(times[0]),
                ms(times[2]),
                size as f64 / 1e6,
                rss_before,
                rss_after
            ),
            if what.starts_with("data") {
                "< 2 s".into()
            } else {
                "flat memory".into()
            },
        ));
    }

    // Dashboards while submissions arrive at a steady rate, to an open round
    // of the same agencies.
    let live = itas_store::rounds::create(
        &db,
        None,
        &format!("bench live {}", itas_store::new_id()),
        Some(2570),
        itas_core::framework::ITA_2569_SOURCE,
        &[PhaseDates {
            phase: Phase::Collection,
            starts_on: today - time::Duration::days(1),
            ends_on: today + time::Duration::days(1),
        }],
    )
    .await
    .map_err(|e| e.to_string())?;
    let some: Vec<String> = built
        .agencies
        .iter()
        .take(500)
        .map(|x| x.0.clone())
        .collect();
    itas_store::rounds::join(&db, None, &live.id, &some)
        .await
        .map_err(|e| e.to_string())?;
    let mut links = Vec::new();
    for id in &some {
        let l = itas_store::surveys::ensure_link(&db, None, &live.id, id, "EIT")
            .await
            .map_err(|e| e.to_string())?;
        links.push(l.code);
    }
    let links = Arc::new(links);
    let fw = itas_core::framework::embedded("ita-2569").ok_or("framework")?;
    let bodies: Arc<Vec<String>> = Arc::new(
        (0..32u64)
            .map(|s| answers_body(&fw, "EIT", s * 7919 + 1))
            .collect(),
    );
    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    // Enough senders that latency, not their number, sets the pace.
    let senders = (a.submissions_per_second / 8).max(32);
    let mut tasks = Vec::new();
    for w in 0..senders {
        let (links, bodies, stop, sent, failed, addr) = (
            links.clone(),
            bodies.clone(),
            stop.clone(),
            sent.clone(),
            failed.clone(),
            addr.clone(),
        );
        let every =
            Duration::from_secs_f64(senders as f64 / a.submissions_per_second.max(1) as f64);
        tasks.push(tokio::spawn(async move {
            let mut conn = Conn::connect(&addr).await.ok();
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
            let mut k = w as usize;
            let mut lat = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                tick.tick().await;
                let body = format!("{}&sid={}", bodies[k % bodies.len()], uuid::Uuid::new_v4());
                let code = &links[k % links.len()];
                k += senders as usize;
                let Some(c) = conn.as_mut() else {
                    failed.fetch_add(1, Ordering::Relaxed);
                    conn = Conn::connect(&addr).await.ok();
                    continue;
                };
                let t0 = Instant::now();
                match c
                    .post_form(&format!("/s/{code}/submit"), &body, Duration::from_secs(10))
                    .await
                {
                    Ok(303) => {
                        sent.fetch_add(1, Ordering::Relaxed);
                        lat.push(t0.elapsed());
                    }
                    Ok(_) => {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(_) => {
                        failed.fetch_add(1, Ordering::Relaxed);
                        conn = Conn::connect(&addr).await.ok();
                    }
                }
            }
            lat
        }));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = sent.load(Ordering::Relaxed);
    let t0 = Instant::now();
    let dash = read_load(&addr, dashboards.clone(), a.readers, a.seconds, "").await;
    let rate = (sent.load(Ordering::Relaxed) - before) as f64 / t0.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let mut sub_lat = Vec::new();
    for t in tasks {
        if let Ok(l) = t.await {
            sub_lat.extend(l);
        }
    }
    let subs = timing(sub_lat, failed.load(Ordering::Relaxed), 1.0);
    rows.push((
        format!(
            "dashboards while {} submissions/s arrive",
            a.submissions_per_second
        ),
        format!(
            "dashboards {}; submissions {rate:.0}/s p50 {:.1} ms p99 {:.1} ms, {} errors",
            show(&dash),
            subs.p50,
            subs.p99,
            subs.errors
        ),
        "0 errors".into(),
    ));
    let (_, peak) = rss_mb(pid);
    rows.push((
        "peak RSS of the server (`itas serve`) through all of the above".into(),
        format!("{peak:.0} MB"),
        "< 200 MB".into(),
    ));
    let size = db.size_bytes().await.map_err(|e| e.to_string())? as f64;
    rows.push((
        "database size".into(),
        format!("{:.0} MB", size / 1e6),
        String::new(),
    ));

    out!();
    out!("| what | measured | target |");
    out!("|---|---|---|");
    for (what, measured, target) in &rows {
        out!("| {what} | {measured} | {target} |");
    }
    bench_db.finish(a.keep).await;
    Ok(ExitCode::SUCCESS)
}
