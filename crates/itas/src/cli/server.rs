//! `itas serve`, `itas migrate`, `itas backup`, `itas import-agencies`, `itas create-user`:
//! the commands that touch a database.

use itas_core::directory::Role;
use itas_store::Db;
use itas_web::{AppState, Config};
use std::process::ExitCode;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/itas.sqlite3";

#[derive(clap::Args, Clone)]
pub struct DbArgs {
    /// `sqlite://PATH` (default) or `postgres://USER@HOST/DB`.
    #[arg(long, env = "ITAS_DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub(crate) database_url: String,
}

#[derive(clap::Args)]
pub struct ServeArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Address to listen on.
    #[arg(long, env = "ITAS_LISTEN", default_value = "127.0.0.1:8080")]
    listen: String,
    /// Address of a separate listener serving Prometheus metrics at
    /// /metrics (off by default; never the public port: keep it on a
    /// private address).
    #[arg(long, env = "ITAS_METRICS_LISTEN")]
    metrics_listen: Option<String>,
    /// Load the demo round and print the demo users' passwords.
    #[arg(long, env = "ITAS_DEMO")]
    demo: bool,
    /// Use this password for every demo user instead of random ones.
    #[arg(long, env = "ITAS_DEMO_PASSWORD")]
    demo_password: Option<String>,
    /// Mark cookies Secure (serve over TLS, directly or behind a proxy).
    #[arg(long, env = "ITAS_SECURE_COOKIES")]
    secure_cookies: bool,
    /// Behind one reverse proxy of yours: the client is the address it
    /// appended to X-Forwarded-For (or Forwarded), the rightmost, never what
    /// the client wrote.
    #[arg(long, env = "ITAS_TRUST_PROXY")]
    trust_proxy: bool,
    /// Behind several proxies: their networks (CIDR, comma-separated); the
    /// client is the rightmost forwarded address outside them.
    #[arg(long, env = "ITAS_TRUSTED_PROXIES", value_parser = itas_web::client_address::Proxies::networks)]
    trusted_proxies: Option<itas_web::client_address::Proxies>,
    /// Outgoing mail (one-time sign-in links): smtp://host:25,
    /// smtp://user:pass@host:587?tls=required or smtps://user:pass@host:465.
    /// Off when not set; what needs it says so.
    #[arg(long, env = "ITAS_SMTP_URL")]
    smtp_url: Option<String>,
    /// The sender of itas's mail.
    #[arg(
        long,
        env = "ITAS_MAIL_FROM",
        default_value = "itas <no-reply@localhost>"
    )]
    mail_from: String,
    /// Survey submissions accepted per link per minute (per server).
    #[arg(long, env = "ITAS_LINK_RATE_PER_MINUTE", default_value_t = 1200)]
    link_rate_per_minute: u32,
    /// Questionnaire pages saved per link per minute (per server); each save
    /// may create a draft, so a flood of them is stopped like one of submissions.
    #[arg(long, env = "ITAS_PAGE_RATE_PER_MINUTE", default_value_t = 7200)]
    page_rate_per_minute: u32,
    /// API calls accepted per user per minute (per server), all of its tokens together.
    #[arg(long, env = "ITAS_API_CALLS_PER_MINUTE", default_value_t = itas_web::auth::USER_API_CALLS_PER_MINUTE)]
    api_calls_per_minute: u32,
    /// Unfinished questionnaires kept per survey link; past it, the least
    /// recently used go first.
    #[arg(long, env = "ITAS_DRAFTS_PER_LINK", default_value_t = 5000)]
    drafts_per_link: i64,
    /// Unfinished questionnaires kept in all.
    #[arg(long, env = "ITAS_DRAFTS_TOTAL", default_value_t = 500_000)]
    drafts_total: i64,
    /// Megabytes of unfinished answers kept in all (per link: a 64th of this, at least 1).
    #[arg(long, env = "ITAS_DRAFTS_TOTAL_MB", default_value_t = 1024)]
    drafts_total_mb: i64,
    /// The public address respondents use, for survey links and QR codes.
    #[arg(long, env = "ITAS_PUBLIC_URL")]
    public_url: Option<String>,
    /// Who publishes the results, as open-data catalogs name it.
    #[arg(long, env = "ITAS_PUBLISHER", default_value = itas_web::DEFAULT_PUBLISHER)]
    publisher: String,
    /// Let OIT evidence checks fetch internal addresses (an intranet whose
    /// agency sites are on private networks). Off: such URLs are refused.
    #[arg(long, env = "ITAS_EVIDENCE_ALLOW_INTERNAL")]
    evidence_allow_internal: bool,
    /// Largest evidence snapshot kept per fetch, in kilobytes (bodies live in
    /// the database: lower it for a national round, see docs/operations.md).
    #[arg(long, env = "ITAS_EVIDENCE_MAX_KB", default_value_t = 2048)]
    evidence_max_kb: usize,
    /// Seconds requests in flight may take to finish after SIGTERM or Ctrl-C;
    /// then the server exits, whatever connections remain open.
    #[arg(long, env = "ITAS_SHUTDOWN_GRACE_SECS", default_value_t = 10)]
    shutdown_grace_secs: u64,
}

/// The infographic of a round (by id or name) in the database, as a PDF.
pub fn infographic(
    db: &DbArgs,
    round: &str,
    province: Option<&str>,
    parent_code: Option<&str>,
) -> Result<Vec<u8>, String> {
    runtime()?.block_on(async {
        let db = open(&db.database_url).await?;
        let rounds = itas_store::rounds::list(&db)
            .await
            .map_err(|e| format!("rounds: {e}"))?;
        let found = rounds
            .iter()
            .find(|r| r.id == round)
            .or_else(|| rounds.iter().find(|r| r.name == round))
            .ok_or_else(|| {
                let names: Vec<&str> = rounds.iter().map(|r| r.name.as_str()).collect();
                format!("no round '{round}' (rounds: {})", names.join(", "))
            })?
            .clone();
        let parent = match parent_code {
            Some(code) => Some(
                itas_store::agencies::by_code(&db, code)
                    .await
                    .map_err(|e| e.to_string())?
                    .ok_or_else(|| format!("no agency with code {code}"))?
                    .id,
            ),
            None => None,
        };
        let scope = itas_app::figures::Scope::of(province, parent.as_deref());
        // The application alone: no server state, no response writer.
        let app = cli_app(db);
        let page = itas_app::infographic::document(&app, &found, &scope)
            .await
            .map_err(|e| format!("{}: {}", e.code.code(), e.detail.unwrap_or_default()))?;
        itas_reports::infographic::render(&page).map_err(|e| format!("infographic: {e}"))
    })
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))
}

/// Logs to standard output through a queue a thread of its own drains, so
/// a slow or full log device never holds up a request; a line the queue has
/// no room for, or the device refuses, is dropped and counted
/// (`itas_web::log_sink`, reported by `/healthz`). The returned guard flushes
/// what is queued when the server stops.
fn init_logs() -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let filter =
        tracing_subscriber::EnvFilter::try_from_env("ITAS_LOG").unwrap_or_else(|_| "info".into());
    // Colour only on a terminal: a log redirected to a file stays plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout())
        && std::env::var_os("NO_COLOR").is_none();
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(true)
        .buffered_lines_limit(LOG_QUEUE_LINES)
        .thread_name("itas-log")
        .finish(itas_web::log_sink::Lossy(std::io::stdout()));
    let queue_drops = writer.error_counter();
    itas_web::log_sink::count_queue_drops(move || queue_drops.dropped_lines() as u64);
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(ansi)
        .with_writer(writer)
        // Never print a failed write with eprintln!: on a full disk that panics.
        .log_internal_errors(false)
        .try_init()
        .ok()
        .map(|()| guard)
}

/// Log lines waiting for the log device at most; past it they are dropped.
const LOG_QUEUE_LINES: usize = 64 * 1024;

/// The application over `db` as the command line uses it: the real clock,
/// the evidence checker's defaults.
pub(super) fn cli_app(db: Db) -> itas_app::App {
    itas_app::App::new(
        db,
        itas_app::Clock::default(),
        itas_app::evidence_check::CheckerConfig::default(),
    )
}

async fn open(url: &str) -> Result<Db, String> {
    if url.starts_with("postgres") {
        // Said before the wait, so an unreachable server is never silence.
        say_err!("connecting to {} …", redact(url));
    }
    let db = Db::connect(url)
        .await
        .map_err(|e| format!("cannot open database {}: {e}", redact(url)))?;
    db.migrate()
        .await
        .map_err(|e| format!("migration failed: {e}"))?;
    Ok(db)
}

/// The folder of a SQLite database, whose free space the server reports.
fn sqlite_dir(url: &str) -> Option<std::path::PathBuf> {
    let file = super::restore::sqlite_file(url)?;
    Some(match file.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    })
}

/// A database URL without its password, for messages and logs.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}://{user}@{}", &url[..s], &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

pub fn serve(a: ServeArgs) -> Result<ExitCode, String> {
    if a.metrics_listen.as_deref() == Some(a.listen.as_str()) {
        return Err(
            "--metrics-listen must differ from --listen: metrics stay off the public port".into(),
        );
    }
    let _log_flushed_at_exit = init_logs();
    runtime()?.block_on(async move {
        let db = open(&a.db.database_url).await?;
        // Held while serving: `itas restore` refuses to run under it.
        let _serving = super::restore::hold_while_serving(&a.db.database_url)?;
        let demo_again = a.demo
            && itas_app::demo::is_loaded(&db)
                .await
                .map_err(|e| format!("demo: {e}"))?;
        if a.demo {
            let today = itas_app::today();
            let users = itas_app::demo::load(&db, a.demo_password.as_deref(), today)
                .await
                .map_err(|e| format!("demo: {e}"))?;
            out!("Demo users (ผู้ใช้สาธิต):");
            for (u, role, pw) in &users {
                out!("  {u:<10} {pw:<14} {} / {}", role.name_th(), role.name_en());
            }
            if demo_again && a.demo_password.is_none() {
                out!(
                    "  (the demo was already in this database: its data is kept, but these are new \
                     passwords and the earlier ones no longer work; --demo-password keeps one fixed)"
                );
            }
        }
        // Participants that joined before links were made at joining get theirs now.
        for r in itas_store::rounds::list(&db)
            .await
            .map_err(|e| format!("rounds: {e}"))?
        {
            let made = itas_store::rounds::links_for_participants(&db, None, &r.id)
                .await
                .map_err(|e| format!("survey links of round {}: {e}", r.name))?;
            if made > 0 {
                tracing::info!(round = %r.name, made, "survey links created for participants without one");
            }
        }
        let listener = tokio::net::TcpListener::bind(&a.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", a.listen))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        out!(
            "itas is serving http://{addr}/ with {}",
            redact(&a.db.database_url)
        );
        let base = a
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{addr}"));
        if a.demo {
            let (seed_page, page) = itas_app::demo::publish_seed_page(&db, &base)
                .await
                .map_err(|e| format!("demo: {e}"))?;
            let guide = itas_app::demo::guide(&db, base.trim_end_matches('/'), itas_app::today())
                .await
                .map_err(|e| format!("demo: {e}"))?;
            out_raw!("{guide}");
            out!("Huanong's public ITA page of 2564 (its plan and progress): {seed_page}");
            out!(
                "Huanong's public ITA page of 2568 (the current round's O25/O26 evidence): {page}"
            );
        }
        if a.public_url.is_none() && !addr.ip().is_loopback() {
            // Posters and code sheets would carry an address phones cannot use.
            tracing::warn!(
                %addr,
                "listening beyond this machine without ITAS_PUBLIC_URL (--public-url): QR posters and \
                 links take the address from each request's Host header; set the public address, \
                 e.g. https://ita.example.go.th"
            );
        }
        tracing::info!(%addr, "listening");
        let mailer = match &a.smtp_url {
            Some(url) => Some(itas_web::mail::Mailer::new(url, &a.mail_from)?),
            None => {
                tracing::info!("mail is off (--smtp-url): one-time sign-in links cannot be sent; the central office unlocks accounts instead");
                None
            }
        };
        let config = Config {
            mailer,
            secure_cookies: a.secure_cookies,
            proxies: match (&a.trusted_proxies, a.trust_proxy) {
                (Some(networks), _) => networks.clone(),
                (None, true) => itas_web::client_address::Proxies::OneHop,
                (None, false) => itas_web::client_address::Proxies::None,
            },
            link_rate_per_minute: a.link_rate_per_minute,
            public_url: a.public_url.clone(),
            publisher: a.publisher.clone(),
            evidence: itas_app::evidence_check::CheckerConfig {
                allow_internal: a.evidence_allow_internal,
                max_bytes: a.evidence_max_kb.max(16) * 1024,
                ..Default::default()
            },
            page_rate_per_minute: a.page_rate_per_minute,
            api_calls_per_minute: a.api_calls_per_minute,
            draft_budget: itas_store::drafts::DraftBudget {
                per_link_rows: a.drafts_per_link.max(1),
                per_link_bytes: (a.drafts_total_mb.max(1) << 20) / 64,
                total_rows: a.drafts_total.max(1),
                total_bytes: a.drafts_total_mb.max(1) << 20,
            },
            data_dir: sqlite_dir(&a.db.database_url),
            clock: Default::default(),
            metrics: a.metrics_listen.is_some(),
        };
        let state = AppState::new(db.clone(), config);
        if let Some(at) = &a.metrics_listen {
            itas_web::metrics::install()?;
            let metrics = tokio::net::TcpListener::bind(at)
                .await
                .map_err(|e| format!("cannot listen for metrics on {at}: {e}"))?;
            let maddr = metrics.local_addr().map_err(|e| e.to_string())?;
            out!("metrics for Prometheus at http://{maddr}/metrics");
            let s = state.clone();
            tokio::spawn(async move {
                if let Err(e) = itas_web::metrics::serve(metrics, s).await {
                    tracing::error!("metrics listener stopped: {e}");
                }
            });
        }
        itas_web::serve(
            listener,
            state,
            std::time::Duration::from_secs(a.shutdown_grace_secs),
        )
            .await
            .map_err(|e| format!("server: {e}"))?;
        db.close().await;
        Ok(ExitCode::SUCCESS)
    })
}

#[derive(clap::Args)]
pub struct MigrateArgs {
    #[command(flatten)]
    db: DbArgs,
}

pub fn migrate(a: MigrateArgs) -> Result<ExitCode, String> {
    runtime()?.block_on(async move {
        let db = open(&a.db.database_url).await?;
        db.close().await;
        out!("migrations applied to {}", redact(&a.db.database_url));
        Ok(ExitCode::SUCCESS)
    })
}

#[derive(clap::Args)]
pub struct CheckEvidenceArgs {
    /// The round whose OIT evidence to check (its id, as on the round page).
    #[arg(long)]
    round: String,
    /// Only this agency (its code); every participant otherwise.
    #[arg(long)]
    agency: Option<String>,
    /// Seconds before a fetch gives up.
    #[arg(long, default_value_t = 15)]
    timeout: u64,
    /// Hosts fetched at the same time.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Also fetch internal addresses (loopback, private networks): only for an
    /// intranet whose agency sites live there, or a test site.
    #[arg(long)]
    allow_internal_addresses: bool,
    #[command(flatten)]
    db: DbArgs,
}

/// `itas check-evidence`: fetches every submitted OIT URL of a round, judges
/// it, stores the result with a snapshot, and prints a summary per agency.
pub fn check_evidence(a: CheckEvidenceArgs) -> Result<ExitCode, String> {
    runtime()?.block_on(async move {
        let db = open(&a.db.database_url).await?;
        let cfg = itas_app::evidence_check::CheckerConfig {
            timeout: std::time::Duration::from_secs(a.timeout),
            concurrency: a.concurrency,
            allow_internal: a.allow_internal_addresses,
            ..Default::default()
        };
        let mut agencies = Vec::new();
        for p in itas_store::rounds::participants(&db, &a.round)
            .await
            .map_err(|e| e.to_string())?
        {
            if a.agency.as_deref().is_none_or(|c| c == p.code) {
                agencies.push(p);
            }
        }
        if agencies.is_empty() {
            return Err(format!("round {} has no such participant", a.round));
        }
        let bar = super::progress::Bar::new("agencies", agencies.len() as u64);
        for p in agencies {
            let n = itas_app::evidence_check::check_agency(
                &db,
                &cfg,
                &p.agency_id,
                &a.round,
                None,
                "check",
                // From the command line, an itas page is fetched like any
                // other page; it is still judged by the links to it.
                &itas_app::evidence_check::OwnPages {
                    base: std::env::var("ITAS_PUBLIC_URL").ok(),
                    render: None,
                },
            )
            .await
            .map_err(|e| e.to_string())?;
            let latest = itas_store::evidence_checks::latest(&db, &p.agency_id, &a.round)
                .await
                .map_err(|e| e.to_string())?;
            let count = |l: &str| latest.values().filter(|c| c.light == l).count();
            bar.say(&format!(
                "{} {}: {n} URLs checked; green {}, amber {}, red {}",
                p.code,
                p.name_th,
                count("green"),
                count("amber"),
                count("red")
            ));
            for c in latest.values().filter(|c| c.light != "green") {
                bar.say(&format!(
                    "  {} {} [{}] {}",
                    c.item,
                    c.url,
                    c.light,
                    c.findings.join(",")
                ));
            }
            bar.inc();
        }
        bar.finish();
        db.close().await;
        Ok(ExitCode::SUCCESS)
    })
}

#[derive(clap::Args)]
pub struct BackupArgs {
    /// Where to write the copy (must not exist).
    file: String,
    #[command(flatten)]
    db: DbArgs,
}

pub fn backup(a: BackupArgs) -> Result<ExitCode, String> {
    runtime()?.block_on(async move {
        let db = Db::connect(&a.db.database_url)
            .await
            .map_err(|e| format!("cannot open database: {e}"))?;
        db.backup_sqlite(&a.file)
            .await
            .map_err(|e| format!("backup failed: {e}"))?;
        db.close().await;
        out!("consistent copy written to {}", a.file);
        Ok(ExitCode::SUCCESS)
    })
}

pub fn privacy_maintenance(a: MigrateArgs) -> Result<ExitCode, String> {
    runtime()?.block_on(async move {
        let db = open(&a.db.database_url).await?;
        let done = db
            .privacy_maintenance()
            .await
            .map_err(|e| format!("privacy maintenance failed: {e}"))?;
        db.close().await;
        for line in done {
            out!("{line}");
        }
        Ok(ExitCode::SUCCESS)
    })
}

#[derive(clap::Args)]
pub struct ImportArgs {
    /// A CSV (UTF-8) or XLSX file with columns code, name_th, name_en, kind, province, parent_code, website.
    file: String,
    #[command(flatten)]
    db: DbArgs,
}

pub fn import_agencies(a: ImportArgs) -> Result<ExitCode, String> {
    let bytes = read_upload(&a.file)?;
    let rows = itas_app::import::parse_agencies(&bytes, &a.file)
        .map_err(|e| format!("{}: {e}", a.file))?;
    runtime()?.block_on(async move {
        let db = open(&a.db.database_url).await?;
        // A spinner says it is working, not how far.
        let bar = super::progress::Bar::spinner(&format!("{} rows", rows.len()));
        let report = itas_store::agencies::import(&db, None, rows)
            .await
            .map_err(|e| format!("import failed: {e}"));
        bar.finish();
        let report = report?;
        db.close().await;
        out!(
            "{} agencies imported, {} rows refused",
            report.inserted,
            report.errors.len()
        );
        for (line, reason) in &report.errors {
            out!("  line {line}: {reason}");
        }
        Ok(if report.errors.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        })
    })
}

#[derive(clap::Args)]
pub struct ImportResultsArgs {
    /// A CSV (UTF-8) or XLSX file: agency_code, fiscal_year, framework
    /// (optional, default ita-{year}), overall, a column per tool (IIT, EIT,
    /// OIT), and optionally indicator_1 … indicator_10 and label; Thai
    /// headers are read too (README, "Published history").
    file: String,
    #[command(flatten)]
    db: DbArgs,
}

pub fn import_results(a: ImportResultsArgs) -> Result<ExitCode, String> {
    let bytes = read_upload(&a.file)?;
    runtime()?.block_on(async move {
        let db = open(&a.db.database_url).await?;
        let app = cli_app(db.clone());
        let bar = super::progress::Bar::spinner("published results");
        let report = itas_app::history::import_as(&app, None, bytes, &a.file).await;
        bar.finish();
        db.close().await;
        let report = report.map_err(|e| {
            let detail = e
                .detail_in(itas_app::lang::Lang::En)
                .unwrap_or_else(|| e.code.code().to_string());
            format!("{}: {detail}", a.file)
        })?;
        out!(
            "{} results stored, {} rows refused",
            report.stored,
            report.problems.len()
        );
        for (year, (before, after)) in &report.years {
            if *before > 0 {
                out!("  fiscal year {year}: {before} rows replaced by {after}");
            } else {
                out!("  fiscal year {year}: {after} rows");
            }
        }
        for p in &report.problems {
            out!("  line {}: {}", p.line, p.en);
        }
        Ok(if report.problems.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        })
    })
}

/// Reads a file to import, refusing one larger than the server would take
/// (the spreadsheet reader bounds what it unpacks; this bounds what is read).
pub fn read_upload(path: &str) -> Result<Vec<u8>, String> {
    let size = std::fs::metadata(path)
        .map_err(|e| format!("cannot read {path}: {e}"))?
        .len();
    if size > MAX_UPLOAD_BYTES {
        return Err(format!(
            "{path} is {size} bytes; files of at most {} MB are imported",
            MAX_UPLOAD_BYTES >> 20
        ));
    }
    std::fs::read(path).map_err(|e| format!("cannot read {path}: {e}"))
}

/// The largest file the CLI imports: the server's body limit, with room.
const MAX_UPLOAD_BYTES: u64 = 4 * itas_web::MAX_BODY_BYTES as u64;

#[derive(clap::Args)]
pub struct CreateUserArgs {
    username: String,
    /// central_admin, assessor or agency_admin.
    #[arg(long)]
    role: String,
    #[arg(long)]
    display_name: Option<String>,
    /// The agency code, for an agency admin.
    #[arg(long)]
    agency: Option<String>,
    /// Where one-time sign-in links go (device verification during an attack).
    #[arg(long)]
    email: Option<String>,
    /// Read the password from this environment variable (never from the command line).
    #[arg(long, default_value = "ITAS_NEW_PASSWORD")]
    password_env: String,
    #[command(flatten)]
    db: DbArgs,
}

/// Makes a user from the console, by the users page's rule
/// (`itas_app::users::create`).
pub fn create_user(a: CreateUserArgs) -> Result<ExitCode, String> {
    let role: Role = a.role.parse()?;
    let password = std::env::var(&a.password_env)
        .map_err(|_| format!("set the password in ${}", a.password_env))?;
    runtime()?.block_on(async move {
        let db = open(&a.db.database_url).await?;
        let app = cli_app(db.clone());
        let input = itas_app::users::UserInput {
            username: a.username.clone(),
            display_name: a.display_name.clone().unwrap_or_default(),
            role: Some(role),
            agency_code: a.agency.clone().unwrap_or_default(),
            password,
            email: a.email.clone().unwrap_or_default(),
        };
        let made = itas_app::users::create(&app, itas_app::users::Maker::Console, &input).await;
        db.close().await;
        let u = made.map_err(|e| {
            let why = e.detail_in(itas_app::lang::Lang::En).unwrap_or_default();
            format!("{}: {why}", e.code.code())
        })?;
        out!("user {} created ({})", u.username, role.name_en());
        Ok(ExitCode::SUCCESS)
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            super::redact("postgres://itas:s3cret@db:5432/itas"),
            "postgres://itas@db:5432/itas"
        );
        assert_eq!(
            super::redact("sqlite://data/itas.sqlite3"),
            "sqlite://data/itas.sqlite3"
        );
    }
}
