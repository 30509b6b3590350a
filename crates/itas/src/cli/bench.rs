//! `itas bench submissions`: sustained survey submissions over real HTTP
//! (`itas bench reports` lives in `bench_reports.rs`).
//!
//! Sets up a round with many agencies on a fresh database, serves the real
//! application on 127.0.0.1, and drives complete questionnaires through
//! keep-alive connections for a fixed time. Prints the acknowledged rate,
//! latency percentiles, and checks that stored = acknowledged.

use itas_core::directory::Phase;
use itas_core::framework::ITA_2564_SOURCE;
use itas_store::Db;
use itas_store::rounds::PhaseDates;
use itas_web::loadgen::{Conn, answers_body, respondent_path};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

#[derive(clap::Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    what: BenchWhat,
}

#[derive(clap::Subcommand)]
enum BenchWhat {
    /// Survey submissions per second and their latency.
    Submissions(SubmissionArgs),
    /// Rendering the analysis report of every agency of a national round.
    Reports(super::bench_reports::ReportsArgs),
    /// The data-quality flags of a national round, from its aggregates.
    Quality(super::bench_quality::QualityArgs),
    /// The central office's work on a national round: scoring, dashboards,
    /// round page, results pages, exports, memory.
    Round(super::bench_round::RoundArgs),
    /// Server memory while many download reports at once, and what hostile
    /// uploads (a sparse sheet, a zip bomb) cost.
    Downloads(super::bench_downloads::DownloadsArgs),
    /// Importing a national file of earlier years' published results.
    History(super::bench_history::HistoryArgs),
}

#[derive(clap::Args)]
struct SubmissionArgs {
    /// Database to fill (default: a fresh SQLite file in a temporary folder;
    /// in a PostgreSQL database, a schema of the run's own, dropped after).
    #[arg(long)]
    database_url: Option<String>,
    #[arg(long, default_value_t = 200)]
    agencies: usize,
    /// Open connections sending submissions back to back.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Runtime threads of the load generator (the server is its own process).
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Pins the server process to these CPUs (a `taskset -c` list, e.g. `0`).
    #[arg(long)]
    server_cpus: Option<String>,
    /// Serves from inside the bench process (one runtime for server and load,
    /// as earlier versions of this bench measured) instead of `itas serve`.
    #[arg(long)]
    in_process: bool,
    /// `whole`: one POST of the whole questionnaire per respondent; `pages`:
    /// the path on a phone (landing, each page shown and saved as a draft,
    /// the thanks page: 12 requests for the IIT, 8 for the EIT).
    #[arg(long, value_enum, default_value_t = Flow::Whole)]
    flow: Flow,
    /// One second in, the central office imports an agency list of this many
    /// rows through the API; the latency of the answers sent meanwhile is
    /// reported on its own line.
    #[arg(long)]
    during_import: Option<usize>,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Flow {
    Whole,
    Pages,
}

pub fn run(a: BenchArgs) -> Result<ExitCode, String> {
    let a = match a.what {
        BenchWhat::Submissions(a) => a,
        BenchWhat::Reports(r) => return super::bench_reports::run(r),
        BenchWhat::Quality(q) => return super::bench_quality::run(q),
        BenchWhat::Round(r) => return super::bench_round::run(r),
        BenchWhat::Downloads(d) => return super::bench_downloads::run(d),
        BenchWhat::History(h) => return super::bench_history::run(h),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(a.threads)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(submissions(a))
}

/// A bench's database: the one `--database-url` names, or a fresh SQLite
/// file in a temporary folder of its own, migrated.
pub(super) struct BenchDb {
    pub db: Db,
    pub url: String,
    temp: Option<std::path::PathBuf>,
    /// A PostgreSQL schema made for this run: (the database's own URL, the schema).
    schema: Option<(String, String)>,
}

impl BenchDb {
    /// The database `given` as it is (a bench that builds on what an earlier
    /// run kept), or a fresh SQLite file.
    pub async fn open(name: &str, given: Option<String>) -> Result<BenchDb, String> {
        BenchDb::opened(name, given, None).await
    }

    /// A fresh, empty database unless a SQLite file is given: a PostgreSQL database gets
    /// a schema of this run's own, dropped by [`BenchDb::finish`], so that
    /// every run starts as empty as a SQLite run's new file (one that grew
    /// with every earlier run would be slower run by run, and the two
    /// backends would not be compared alike).
    async fn open_fresh(name: &str, given: Option<String>) -> Result<BenchDb, String> {
        let base = match given {
            Some(url) if url.starts_with("postgres") => url,
            // A SQLite URL is used as given, as `open` does; none, a new file.
            other => return BenchDb::open(name, other).await,
        };
        let schema = format!("itas_bench_{name}_{}", std::process::id());
        let url = Db::fresh_postgres_schema(&base, &schema)
            .await
            .map_err(|e| format!("making the bench's schema: {e}"))?;
        BenchDb::opened(name, Some(url), Some((base, schema))).await
    }

    /// Runs `measure` on a fresh database ([`BenchDb::open_fresh`]) and
    /// removes that database whatever the run comes to, so a run that fails
    /// midway leaves no schema behind in the PostgreSQL database it was given.
    pub async fn with_fresh<T>(
        name: &str,
        given: Option<String>,
        measure: impl AsyncFnOnce(&BenchDb) -> Result<T, String>,
    ) -> Result<T, String> {
        let bench_db = BenchDb::open_fresh(name, given).await?;
        let result = measure(&bench_db).await;
        bench_db.finish(false).await;
        result
    }

    async fn opened(
        name: &str,
        given: Option<String>,
        schema: Option<(String, String)>,
    ) -> Result<BenchDb, String> {
        let (url, temp) = match given {
            Some(url) => (url, None),
            None => {
                let dir =
                    std::env::temp_dir().join(format!("itas-bench-{name}-{}", std::process::id()));
                (
                    format!("sqlite://{}/{name}.sqlite3", dir.display()),
                    Some(dir),
                )
            }
        };
        let db = Db::connect(&url).await.map_err(|e| e.to_string())?;
        db.migrate().await.map_err(|e| e.to_string())?;
        Ok(BenchDb {
            db,
            url,
            temp,
            schema,
        })
    }

    /// Closes it; a temporary one (file or schema) is removed unless `keep`.
    pub async fn finish(self, keep: bool) {
        self.db.close().await;
        if let Some((base, schema)) = self.schema {
            if keep {
                out!("database kept: {}", self.url);
            } else if let Err(e) = Db::drop_postgres_schema(&base, &schema).await {
                out!("the bench's schema {schema} is left in place: {e}");
            }
        }
        if let Some(dir) = self.temp {
            if keep {
                out!("database kept: {}", self.url);
            } else {
                let _ = std::fs::remove_dir_all(&dir);
            }
        }
    }
}

/// `itas serve` in a process of its own, stopped when dropped: the server's
/// memory and CPU are its own, not the load generator's.
pub(super) struct ServerProcess {
    child: std::process::Child,
    pub addr: String,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ServerProcess {
    /// Starts the server on `url` without flood limits and waits until
    /// `/healthz` answers. `cpus` (a `taskset` list such as `0`) pins it.
    pub async fn start(url: &str, cpus: Option<&str>) -> Result<ServerProcess, String> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let addr = format!("127.0.0.1:{port}");
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        let mut cmd = match cpus {
            Some(list) => {
                let mut c = std::process::Command::new("taskset");
                c.args(["-c", list]).arg(exe);
                c
            }
            None => std::process::Command::new(exe),
        };
        // ITAS_BENCH_SERVER_LOG=FILE keeps the server's log (at info, e.g.
        // each scoring run's split between reading and writing).
        let (level, out, err) = match std::env::var_os("ITAS_BENCH_SERVER_LOG") {
            Some(path) => {
                let file = std::fs::File::create(&path)
                    .map_err(|e| format!("the server log {}: {e}", path.to_string_lossy()))?;
                let copy = file.try_clone().map_err(|e| e.to_string())?;
                ("info", file.into(), copy.into())
            }
            None => (
                "warn",
                std::process::Stdio::null(),
                std::process::Stdio::null(),
            ),
        };
        let child = cmd
            .args([
                "serve",
                "--database-url",
                url,
                "--listen",
                &addr,
                "--link-rate-per-minute",
                "100000000",
                "--page-rate-per-minute",
                "100000000",
            ])
            .env("ITAS_LOG", level)
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("starting the server: {e}"))?;
        let server = ServerProcess { child, addr };
        for _ in 0..200 {
            if server.health().await.is_some() {
                return Ok(server);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err("the server did not start".into())
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The `/healthz` body when it answers 200.
    pub async fn health(&self) -> Option<String> {
        let mut c = Conn::connect(&self.addr).await.ok()?;
        let (status, _, body) = c
            .exchange("GET", "/healthz", "", "", Duration::from_secs(5))
            .await
            .ok()?;
        (status == 200).then(|| String::from_utf8_lossy(&body).into_owned())
    }
}

/// CPU seconds (user + system) a process has used so far (Linux).
pub(super) fn cpu_seconds(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<f64> = rest
        .split_whitespace()
        .map(|v| v.parse().unwrap_or(0.0))
        .collect();
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 here.
    let ticks = f.get(11).copied().unwrap_or(0.0) + f.get(12).copied().unwrap_or(0.0);
    ticks / 100.0
}

/// The response writer's counters from a `/healthz` body.
fn writer_counters(health: &str) -> [f64; 6] {
    let get = |name: &str| {
        health
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0.0)
    };
    [
        get("writer_batches "),
        get("writer_items "),
        get("writer_busy_us "),
        get("writer_commit_us "),
        get("writer_syncs "),
        get("writer_sync_us "),
    ]
}

async fn setup(db: &Db, agencies: usize) -> Result<Vec<(String, String)>, String> {
    let today = time::OffsetDateTime::now_utc().date();
    let phases = vec![PhaseDates {
        phase: Phase::Collection,
        starts_on: today - time::Duration::days(1),
        ends_on: today + time::Duration::days(1),
    }];
    let round = itas_store::rounds::create(
        db,
        None,
        &format!("bench {}", itas_store::new_id()),
        Some(2570),
        ITA_2564_SOURCE,
        &phases,
    )
    .await
    .map_err(|e| e.to_string())?;
    let prefix = &round.id[24..];
    let rows = (0..agencies)
        .map(|i| {
            (
                i + 1,
                itas_store::agencies::NewAgency {
                    code: format!("B{prefix}-{i:05}"),
                    name_th: format!("หน่วยงานทดสอบ {i}"),
                    kind: "sao".into(),
                    ..Default::default()
                },
            )
        })
        .collect();
    itas_store::agencies::import(db, None, rows)
        .await
        .map_err(|e| e.to_string())?;
    let mut ids = Vec::new();
    for i in 0..agencies {
        ids.push(
            itas_store::agencies::by_code(db, &format!("B{prefix}-{i:05}"))
                .await
                .map_err(|e| e.to_string())?
                .ok_or("agency")?
                .id,
        );
    }
    itas_store::rounds::join(db, None, &round.id, &ids)
        .await
        .map_err(|e| e.to_string())?;
    let mut links = Vec::new();
    for id in &ids {
        for tool in ["IIT", "EIT"] {
            let l = itas_store::surveys::ensure_link(db, None, &round.id, id, tool)
                .await
                .map_err(|e| e.to_string())?;
            // The bench measures open links (the IIT asks for codes by default).
            itas_store::surveys::set_require_code(db, None, &round.id, id, tool, false)
                .await
                .map_err(|e| e.to_string())?;
            links.push((l.code, tool.to_string()));
        }
    }
    Ok(links)
}

async fn submissions(a: SubmissionArgs) -> Result<ExitCode, String> {
    let url = a.database_url.clone();
    BenchDb::with_fresh("submissions", url, async move |bench_db| {
        measure_submissions(a, bench_db).await
    })
    .await
}

async fn measure_submissions(a: SubmissionArgs, bench_db: &BenchDb) -> Result<ExitCode, String> {
    let (db, url) = (bench_db.db.clone(), bench_db.url.clone());
    let links = Arc::new(setup(&db, a.agencies).await?);
    let (server, in_process) = if a.in_process {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| e.to_string())?;
        let addr = listener
            .local_addr()
            .map_err(|e| e.to_string())?
            .to_string();
        let config = itas_web::Config {
            link_rate_per_minute: u32::MAX,
            page_rate_per_minute: u32::MAX,
            ..Default::default()
        };
        let state = itas_web::AppState::new(db.clone(), config);
        let stats = state.ingest.clone();
        tokio::spawn(itas_web::serve(
            listener,
            state,
            itas_web::DEFAULT_SHUTDOWN_GRACE,
        ));
        (None, Some((addr, stats)))
    } else {
        (
            Some(ServerProcess::start(&url, a.server_cpus.as_deref()).await?),
            None,
        )
    };
    let addr = match (&server, &in_process) {
        (Some(s), _) => s.addr.clone(),
        (None, Some((a, _))) => a.clone(),
        (None, None) => unreachable!(),
    };
    let writer_now = async || match (&server, &in_process) {
        (Some(s), _) => writer_counters(&s.health().await.unwrap_or_default()),
        (None, Some((_, ingest))) => {
            let (b, i, busy, commit) = ingest.stats().snapshot();
            let (syncs, sync) = ingest.stats().syncs();
            [b, i, busy, commit, syncs, sync].map(|n| n as f64)
        }
        (None, None) => unreachable!(),
    };
    let fw = itas_core::framework::ita_2564();
    let bodies = Arc::new(
        (0..64u64)
            .map(|s| {
                (
                    answers_body(&fw, "IIT", s * 7919 + 1),
                    answers_body(&fw, "EIT", s * 104_729 + 3),
                )
            })
            .collect::<Vec<_>>(),
    );
    out!(
        "bench: {} agencies, {} connections, {} s, server at {addr} on {}",
        a.agencies,
        a.concurrency,
        a.seconds,
        url.split("://").next().unwrap_or("")
    );
    let stop = Arc::new(AtomicBool::new(false));
    let importing = Arc::new(AtomicBool::new(false));
    let server_pid = server
        .as_ref()
        .map_or_else(|| "self".to_string(), |s| s.pid().to_string());
    let (server_cpu0, load_cpu0) = (cpu_seconds(&server_pid), cpu_seconds("self"));
    let writer0 = writer_now().await;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..a.concurrency {
        let (links, bodies, stop, addr, importing) = (
            links.clone(),
            bodies.clone(),
            stop.clone(),
            addr.clone(),
            importing.clone(),
        );
        let flow = a.flow;
        let pages = Arc::new((
            itas_core::survey::pages(&fw, "IIT").len(),
            itas_core::survey::pages(&fw, "EIT").len(),
        ));
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut lat_during = Vec::new();
            let mut requests = Vec::new();
            let mut errors = 0u64;
            let mut conn = Conn::connect(&addr).await.ok();
            let mut k = w;
            while !stop.load(Ordering::Relaxed) {
                let (code, tool) = &links[k % links.len()];
                let (iit, eit) = &bodies[k % bodies.len()];
                let body = format!(
                    "{}&sid={}",
                    if tool == "IIT" { iit } else { eit },
                    uuid::Uuid::new_v4()
                );
                k += a_stride(links.len());
                let t0 = Instant::now();
                let during = importing.load(Ordering::Relaxed);
                let Some(c) = conn.as_mut() else {
                    conn = Conn::connect(&addr).await.ok();
                    errors += 1;
                    continue;
                };
                let outcome = match flow {
                    Flow::Whole => c
                        .post_form(&format!("/s/{code}/submit"), &body, Duration::from_secs(10))
                        .await
                        .map(|s| {
                            if s == 303 {
                                Ok(vec![t0.elapsed()])
                            } else {
                                Err(s)
                            }
                        }),
                    Flow::Pages => {
                        let n = if tool == "IIT" { pages.0 } else { pages.1 };
                        respondent_path(c, code, n, &body, Duration::from_secs(10)).await
                    }
                };
                match outcome {
                    Ok(Ok(times)) => {
                        lat.push(t0.elapsed());
                        if during {
                            lat_during.push(t0.elapsed());
                        }
                        requests.extend(times);
                    }
                    Ok(Err(_)) => errors += 1,
                    Err(_) => {
                        errors += 1;
                        conn = Conn::connect(&addr).await.ok();
                    }
                }
            }
            (lat, lat_during, requests, errors)
        }));
    }
    let import = match a.during_import {
        Some(rows) => {
            let (db, addr, importing) = (db.clone(), addr.clone(), importing.clone());
            Some(tokio::spawn(async move {
                tokio::time::sleep(Duration::from_secs(1)).await;
                import_agencies(&db, &addr, rows, &importing).await
            }))
        }
        None => None,
    };
    tokio::time::sleep(Duration::from_secs(a.seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut lat = Vec::new();
    let mut lat_during = Vec::new();
    let mut requests = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (l, d, r, e) = t.await.map_err(|e| e.to_string())?;
        lat.extend(l);
        lat_during.extend(d);
        requests.extend(r);
        errors += e;
    }
    if let Some(import) = import {
        let line = import.await.map_err(|e| e.to_string())??;
        lat_during.sort();
        let p = |q: f64| {
            lat_during
                .get(
                    ((lat_during.len() as f64 * q) as usize)
                        .min(lat_during.len().saturating_sub(1)),
                )
                .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
        };
        out!(
            "{line}; {} answers acknowledged meanwhile: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            lat_during.len(),
            p(0.5),
            p(0.99),
            p(1.0)
        );
    }
    let elapsed = started.elapsed().as_secs_f64();
    let (server_cpu, load_cpu) = (
        cpu_seconds(&server_pid) - server_cpu0,
        cpu_seconds("self") - load_cpu0,
    );
    let writer1 = writer_now().await;
    let [batches, items, busy_us, commit_us, syncs, sync_us] =
        std::array::from_fn(|i| writer1[i] - writer0[i]);
    lat.sort();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    let acked = lat.len();
    let mut stored = 0i64;
    let round = itas_store::rounds::list(&db)
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .find(|r| r.name.starts_with("bench"))
        .ok_or("round")?;
    for n in itas_store::surveys::counts(&db, &round.id)
        .await
        .map_err(|e| e.to_string())?
        .values()
    {
        stored += n;
    }
    out!(
        "acknowledged {acked} submissions in {elapsed:.1} s: {:.0} submissions/s",
        acked as f64 / elapsed
    );
    out!(
        "{} p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; errors {errors}",
        if a.flow == Flow::Pages {
            "whole respondent path"
        } else {
            "latency"
        },
        pct(0.50),
        pct(0.99),
        pct(1.0)
    );
    if a.flow == Flow::Pages {
        requests.sort();
        let rp = |p: f64| {
            requests
                .get(((requests.len() as f64 * p) as usize).min(requests.len().saturating_sub(1)))
                .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
        };
        out!(
            "{} requests ({:.0}/s): each p50 {:.1} ms, p99 {:.1} ms",
            requests.len(),
            requests.len() as f64 / elapsed,
            rp(0.50),
            rp(0.99)
        );
    }
    out!(
        "stored {stored} (acknowledged {acked}): {}",
        if stored as usize == acked {
            "equal"
        } else {
            "DIFFERENT"
        }
    );
    if server.is_some() {
        out!(
            "server process: {:.2} cores busy; load generator: {:.2} cores",
            server_cpu / elapsed,
            load_cpu / elapsed
        );
    } else {
        out!(
            "server and load generator in one process: {:.2} cores busy",
            load_cpu / elapsed
        );
    }
    out!(
        "response writer: {batches:.0} transactions, {:.1} items each, busy {:.0} % of the time \
         ({:.0} % in COMMIT), {:.2} ms a transaction",
        items / batches.max(1.0),
        busy_us / 1e4 / elapsed,
        commit_us / 1e4 / elapsed,
        busy_us / 1e3 / batches.max(1.0)
    );
    if syncs > 0.0 {
        out!(
            "log syncs beside it: {syncs:.0}, {:.1} transactions each, {:.2} ms a sync, syncing {:.0} % of the time",
            batches / syncs,
            sync_us / 1e3 / syncs,
            sync_us / 1e4 / elapsed
        );
    }
    drop(server);
    Ok(if stored as usize == acked {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// A session of a new central-office user, as the `Cookie:` header line a
/// bench sends (the benches act as the central office through its pages).
pub(super) async fn central_office_cookie(db: &Db) -> Result<String, String> {
    let admin = itas_store::users::create(
        db,
        None,
        &itas_store::users::NewUser {
            username: format!("bench-{}", itas_store::new_id()),
            display_name: "bench".into(),
            password_hash: String::new(),
            role: itas_core::directory::Role::CentralAdmin,
            agency_id: None,
            email: None,
        },
    )
    .await
    .map_err(|e| e.to_string())?;
    let token = uuid::Uuid::new_v4().to_string();
    let now = itas_store::now_ms();
    itas_store::sessions::create(
        db,
        &itas_app::secrets::token_hash(&token),
        &admin.id,
        now,
        now + 86_400_000,
    )
    .await
    .map_err(|e| e.to_string())?;
    Ok(format!(
        "Cookie: {}={token}\r\n",
        itas_web::auth::SESSION_COOKIE
    ))
}

/// The central office's action on a round (`compute`, `publish`) from its
/// round page, over `conn`; an answer other than 200 or 303 is an error
/// naming the step and the start of the body.
pub(super) async fn round_action(
    conn: &mut Conn,
    cookie: &str,
    round_id: &str,
    step: &str,
) -> Result<(), String> {
    let (status, _, body) = conn
        .exchange(
            "POST",
            &format!("/admin/rounds/{round_id}/{step}"),
            "",
            cookie,
            Duration::from_secs(300),
        )
        .await
        .map_err(|e| e.to_string())?;
    if matches!(status, 200 | 303) {
        return Ok(());
    }
    Err(format!(
        "{step}: status {status}: {}",
        String::from_utf8_lossy(&body)
            .chars()
            .take(300)
            .collect::<String>()
    ))
}

/// Imports `rows` new agencies through the API as a central administrator,
/// with `importing` set while it runs; what it came to, as a line.
async fn import_agencies(
    db: &Db,
    addr: &str,
    rows: usize,
    importing: &AtomicBool,
) -> Result<String, String> {
    let cookie = central_office_cookie(db).await?;
    let prefix = &itas_store::new_id()[..8];
    let mut csv = String::from("code,name_th,name_en,kind,province,parent_code,website\r\n");
    for i in 0..rows {
        csv.push_str(&format!(
            "IMP-{prefix}-{i:06},อบต.นำเข้า {i},SAO {i},sao,ขอนแก่น,,https://imp-{i}.go.th\r\n"
        ));
    }
    let mut conn = Conn::connect(addr).await.map_err(|e| e.to_string())?;
    importing.store(true, Ordering::Relaxed);
    let t = Instant::now();
    let answer = conn
        .exchange_bytes(
            "POST",
            "/api/v1/agencies/import",
            "text/csv",
            csv.as_bytes(),
            &cookie,
            Duration::from_secs(600),
        )
        .await;
    importing.store(false, Ordering::Relaxed);
    let (status, _, body) = answer.map_err(|e| e.to_string())?;
    let report: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    Ok(format!(
        "import of {rows} agencies ({} KB): status {status}, {} inserted, in {:.2} s",
        csv.len() / 1024,
        report["inserted"],
        t.elapsed().as_secs_f64()
    ))
}

/// Spreads consecutive submissions of one connection over the links.
fn a_stride(n: usize) -> usize {
    if n > 7 { 7 } else { 1 }
}
