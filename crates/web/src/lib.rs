//! itas-web: the HTTP face of itas.
//!
//! Server-rendered pages that work without JavaScript (askama), a JSON API
//! under `/api/v1`, sign-in with database-backed sessions, and role checks.
//! All state lives in the database, so several servers can share one.

pub mod auth;
pub mod client_address;
pub mod error;
pub mod i18n;
pub mod loadgen;
pub mod log_sink;
pub mod mail;
pub mod metrics;
pub mod overview;
pub mod pages;
pub mod qr;
pub mod rate;
pub mod renders;
pub(crate) mod routes;
mod views;

use axum::Router;
use itas_store::Db;
use std::net::SocketAddr;
use std::time::Duration;
use tower_http::limit::RequestBodyLimitLayer;

/// Settings of a running server.
#[derive(Clone, Debug)]
pub struct Config {
    /// Submissions accepted per survey link per minute: stops a flood, never an
    /// office of hundreds behind one shared address (limits are per link, not per IP).
    pub link_rate_per_minute: u32,
    /// The address respondents use, for links and QR codes (e.g. https://ita.example.go.th).
    /// Without it, links are built from the request's Host header.
    pub public_url: Option<String>,
    /// Who publishes the results (open-data catalogs name it).
    pub publisher: String,
    /// Mark cookies `Secure` (set when served over TLS, directly or behind a proxy).
    pub secure_cookies: bool,
    /// Which reverse proxies in front of itas are ours: the client is the
    /// rightmost forwarded address that is not one of them.
    pub proxies: client_address::Proxies,
    /// Outgoing mail (one-time sign-in links); None when `--smtp-url` is not set.
    pub mailer: Option<mail::Mailer>,
    /// How OIT evidence URLs are fetched (timeouts, politeness, size cap).
    pub evidence: itas_app::evidence_check::CheckerConfig,
    /// Questionnaire pages saved per survey link per minute (per server): a
    /// respondent saves one per page, so this is several times the submission limit.
    pub page_rate_per_minute: u32,
    /// API calls per user per minute (per server), all of its tokens together.
    pub api_calls_per_minute: u32,
    /// How many unfinished questionnaires may wait, per link and in total.
    pub draft_budget: itas_store::drafts::DraftBudget,
    /// The folder whose free space `/healthz` reports (the SQLite database's).
    pub data_dir: Option<std::path::PathBuf>,
    /// What time it is (tests move it to spread answers over hours).
    pub clock: Clock,
    /// Count and time requests for Prometheus (`--metrics-listen`); off,
    /// requests pass no metrics layer at all.
    pub metrics: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            link_rate_per_minute: 1200,
            public_url: None,
            publisher: DEFAULT_PUBLISHER.to_string(),
            secure_cookies: false,
            proxies: client_address::Proxies::None,
            mailer: None,
            evidence: itas_app::evidence_check::CheckerConfig::default(),
            page_rate_per_minute: 7200,
            api_calls_per_minute: auth::USER_API_CALLS_PER_MINUTE,
            draft_budget: itas_store::drafts::DraftBudget::default(),
            data_dir: None,
            clock: Clock::default(),
            metrics: false,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    /// The application: the database, its caches and the clock. Handlers
    /// reach it through `Deref` (`state.db`), and pass `&state` where an
    /// action takes `&App`.
    pub app: itas_app::App,
    pub config: Config,
    /// The group-commit writer of survey responses.
    pub ingest: itas_store::ingest::Ingestor,
    pub link_limiter: std::sync::Arc<rate::WindowLimiter>,
    /// Page saves (drafts) per link, limited like submissions.
    pub page_limiter: std::sync::Arc<rate::WindowLimiter>,
    /// API calls per token.
    pub token_limiter: std::sync::Arc<rate::WindowLimiter>,
    /// One client's share of a link's submissions (per link and address).
    pub client_limiter: std::sync::Arc<rate::WindowLimiter>,
    /// One client's share of a link's page saves (per link and address, and
    /// per link and draft cookie).
    pub client_page_limiter: std::sync::Arc<rate::WindowLimiter>,
    /// New drafts one address may start on a link a minute.
    pub new_draft_limiter: std::sync::Arc<rate::WindowLimiter>,
    /// Batches of single-use codes issued per user.
    pub codes_limiter: std::sync::Arc<rate::WindowLimiter>,
    /// Report PDFs, DOCX and infographics: made a few at a time, kept once made.
    pub renders: std::sync::Arc<renders::Renders>,
    /// Whether the database takes writes now (see `itas_store::health`).
    pub health: std::sync::Arc<itas_store::health::StorageHealth>,
    /// Public dashboards as the public sees them (no one signed in), keyed by
    /// round, language and the view asked for: on results day thousands of
    /// readers ask for the same few views.
    pub public_pages: std::sync::Arc<itas_app::cache::Memo<axum::body::Bytes>>,
}

impl std::ops::Deref for AppState {
    type Target = itas_app::App;
    fn deref(&self) -> &itas_app::App {
        &self.app
    }
}

/// Public dashboard pages kept at once (each a few hundred KB at most).
pub const PUBLIC_PAGES_KEPT: usize = 96;

impl AppState {
    /// Builds the state and starts the response writer (needs a Tokio runtime).
    pub fn new(db: Db, config: Config) -> AppState {
        let health = std::sync::Arc::new(itas_store::health::StorageHealth::default());
        AppState {
            ingest: itas_store::ingest::Ingestor::spawn(db.clone(), health.clone()),
            health,
            link_limiter: std::sync::Arc::new(rate::WindowLimiter::new(
                config.link_rate_per_minute,
                60_000,
            )),
            page_limiter: std::sync::Arc::new(rate::WindowLimiter::new(
                config.page_rate_per_minute,
                60_000,
            )),
            token_limiter: std::sync::Arc::new(rate::WindowLimiter::new(
                config.api_calls_per_minute,
                60_000,
            )),
            client_limiter: std::sync::Arc::new(rate::WindowLimiter::new(
                client_share(config.link_rate_per_minute),
                60_000,
            )),
            client_page_limiter: std::sync::Arc::new(rate::WindowLimiter::new(
                client_share(config.page_rate_per_minute),
                60_000,
            )),
            new_draft_limiter: std::sync::Arc::new(rate::WindowLimiter::new(
                new_drafts_per_client(config.draft_budget.per_link_rows),
                60_000,
            )),
            codes_limiter: std::sync::Arc::new(rate::WindowLimiter::new(
                CODE_BATCHES_PER_MINUTE,
                60_000,
            )),
            renders: std::sync::Arc::new(renders::Renders::default()),
            public_pages: std::sync::Arc::new(itas_app::cache::Memo::bounded(
                itas_app::cache::RESULTS_TTL,
                PUBLIC_PAGES_KEPT,
            )),
            app: itas_app::App::new(db, config.clock.clone(), config.evidence.clone()),
            config,
        }
    }
}

pub use itas_app::{Clock, today};

/// The publisher open-data catalogs name unless the server is told otherwise
/// (a ministry running its own rounds sets ITAS_PUBLISHER).
pub const DEFAULT_PUBLISHER: &str =
    "สำนักงานคณะกรรมการป้องกันและปราบปรามการทุจริตแห่งชาติ (สำนักงาน ป.ป.ช.)";

/// One client's share of a link's minute: a quarter, so one address (or one
/// browser) can never take the whole of it from the respondents around it,
/// while an office of hundreds behind one shared address still fits.
pub fn client_share(per_link: u32) -> u32 {
    (per_link / 4).max(1)
}

/// New drafts one address may start on a link a minute: a fiftieth of the
/// link's draft budget (100 by default), so one client needs most of an hour
/// to cycle the budget, while a respondent in the middle of the questionnaire
/// saves a page every few minutes and is never the least recently used.
pub fn new_drafts_per_client(per_link_rows: i64) -> u32 {
    (per_link_rows / 50).clamp(10, u32::MAX as i64) as u32
}

/// Batches of single-use codes one user may issue a minute: enough to
/// print slips for several offices, not to fill a disk.
pub const CODE_BATCHES_PER_MINUTE: u32 = 6;

/// Largest request body: imports of a national agency list fit comfortably.
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// The whole application as one router (tests call it without a socket).
pub fn app(state: AppState) -> Router {
    let router = routes::router()
        // Extractors (forms, uploads) take up to the same limit as the whole
        // request; survey pages set their own smaller one.
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            record_storage_faults,
        ))
        .layer(
            tower_http::csrf::CsrfLayer::new().with_rejection_response(|_err| {
                use axum::response::IntoResponse;
                error::AppError::new(error::ErrorCode::CrossSite).into_response()
            }),
        )
        // A backstop above the extractors' limit, so that a body past the limit
        // meets the extractor first and is answered with the page that names it.
        .layer(RequestBodyLimitLayer::new(2 * MAX_BODY_BYTES))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(60),
        ))
        // A bug that panics in a handler answers 500 (then the page below),
        // never a dropped connection.
        .layer(tower_http::catch_panic::CatchPanicLayer::new())
        .layer(axum::middleware::from_fn(
            plain_errors_in_the_users_language,
        ))
        .layer(security_headers());
    // Outermost: every request is counted, the refused ones too.
    let router = if state.config.metrics {
        router.layer(axum::middleware::from_fn(metrics::track))
    } else {
        router
    };
    router.with_state(state)
}

/// Errors that layers and the router answer in plain English text (a body
/// over the limit, a timeout, a wrong method) become the same page, in the
/// user's language, as every other error; JSON under `/api`.
async fn plain_errors_in_the_users_language(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let lang = auth::lang_for(req.uri().path(), req.headers());
    let api = req.uri().path().starts_with("/api/");
    let survey = req.uri().path().starts_with("/s/");
    // Monitoring reads /healthz as plain text, faults included.
    if req.uri().path() == "/healthz" {
        return next.run(req).await;
    }
    let resp = next.run(req).await;
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let typed = resp
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html") || t.starts_with("application/json"));
    if typed {
        return resp;
    }
    use axum::http::StatusCode as S;
    let code = match status {
        S::PAYLOAD_TOO_LARGE if survey => error::ErrorCode::AnswersTooLarge,
        S::PAYLOAD_TOO_LARGE => error::ErrorCode::TooLarge,
        S::REQUEST_TIMEOUT => error::ErrorCode::TimedOut,
        S::METHOD_NOT_ALLOWED => error::ErrorCode::MethodNotAllowed,
        S::NOT_FOUND => error::ErrorCode::NotFound,
        S::UNAUTHORIZED => error::ErrorCode::NotSignedIn,
        S::FORBIDDEN => error::ErrorCode::Forbidden,
        s if s.is_client_error() => error::ErrorCode::Invalid,
        _ => error::ErrorCode::Internal,
    };
    tracing::debug!(%status, "plain error from a layer answered as a page");
    let mut e = error::AppError::new(code).in_lang(lang);
    if api && status == S::PAYLOAD_TOO_LARGE {
        e = e.detail(error::body_limit_detail());
    }
    if api {
        e.as_json().into_response()
    } else {
        e.into_response()
    }
}

fn security_headers() -> tower::layer::util::Stack<
    tower_http::set_header::SetResponseHeaderLayer<axum::http::HeaderValue>,
    tower::layer::util::Stack<
        tower_http::set_header::SetResponseHeaderLayer<axum::http::HeaderValue>,
        tower_http::set_header::SetResponseHeaderLayer<axum::http::HeaderValue>,
    >,
> {
    use axum::http::{HeaderValue, header};
    use tower_http::set_header::SetResponseHeaderLayer as H;
    tower::layer::util::Stack::new(
        H::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'; form-action 'self'",
            ),
        ),
        tower::layer::util::Stack::new(
            H::if_not_present(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            H::if_not_present(
                header::REFERRER_POLICY,
                HeaderValue::from_static("same-origin"),
            ),
        ),
    )
}

/// A request that failed on a storage fault marks the server unhealthy, so
/// every write path (not only survey answers) feeds the same state.
async fn record_storage_faults(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let resp = next.run(req).await;
    if let Some(error::StorageFaultSeen(kind, detail)) = resp.extensions().get() {
        state
            .health
            .record_error(&itas_store::StoreError::Fault(*kind, detail.clone()));
    }
    resp
}

/// Housekeeping every server runs: while writes fail, a probe every 2 s (so
/// the server recovers by itself when space returns), otherwise every 15 s;
/// the total draft budget every 15 s; expired sessions and old drafts every 10 min.
pub fn spawn_housekeeping(state: &AppState) -> tokio::task::JoinHandle<()> {
    itas_app::housekeeping::spawn(
        state.db.clone(),
        state.health.clone(),
        state.config.draft_budget,
    )
}

/// How long requests in flight may take to finish after SIGTERM by default.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Serves `app` on `listener` until Ctrl-C or SIGTERM. Then it takes no new
/// connection, lets requests in flight finish for at most `grace`, and
/// returns, whatever connections remain (one that sent half a request and
/// went quiet would otherwise keep the process alive). Nothing acknowledged
/// is lost by that: an answer is acknowledged only once it is durable.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    grace: Duration,
) -> std::io::Result<()> {
    let purge = spawn_housekeeping(&state);
    let (stopping, mut stop_seen) = tokio::sync::watch::channel(false);
    let server = axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown_signal().await;
        tracing::info!(
            grace_ms = grace.as_millis() as u64,
            "stopping: finishing requests in flight"
        );
        let _ = stopping.send(true);
    });
    let deadline = async move {
        let _ = stop_seen.wait_for(|s| *s).await;
        tokio::time::sleep(grace).await;
    };
    let r = tokio::select! {
        r = server.into_future() => r,
        () = deadline => {
            tracing::warn!("connections still open after the grace period are closed");
            Ok(())
        }
    };
    purge.abort();
    r
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
