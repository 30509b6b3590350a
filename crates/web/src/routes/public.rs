//! Pages anyone can reach: home, sign-in, language, health, assets.

use crate::AppState;
use crate::auth::{self, MaybeUser, PeerAddr, UserLang};
use crate::error::{AppError, ErrorCode};
use crate::pages::{HomePage, LoginPage, PageCtx};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{AppendHeaders, Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use itas_core::directory::Role;
use std::net::SocketAddr;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/healthz", get(healthz))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/lang/{code}", get(set_lang))
        .route("/assets/app.css", get(css))
        .route("/assets/fonts/{name}", get(font))
}

pub fn home_of(role: Role) -> &'static str {
    match role {
        Role::CentralAdmin => "/admin",
        Role::Assessor => "/assessor",
        Role::AgencyAdmin => "/agency",
    }
}

async fn home(MaybeUser(user): MaybeUser, UserLang(lang): UserLang) -> Result<Response, AppError> {
    if let Some(u) = user {
        return Ok(Redirect::to(home_of(u.role)).into_response());
    }
    Ok(Html(
        HomePage {
            ctx: PageCtx::anonymous(lang),
        }
        .render()?,
    )
    .into_response())
}

/// For load balancers and monitoring: 200 "ok" while the database answers
/// and takes writes; 503 with the reason (disk full, I/O error, unreachable)
/// otherwise. The free space of the data folder is reported for alerts.
async fn healthz(State(state): State<AppState>) -> Response {
    let free = state
        .config
        .data_dir
        .as_deref()
        .and_then(itas_store::health::free_bytes)
        .map(|b| format!("\nfree_bytes {b}"))
        .unwrap_or_default();
    // How much the single response writer has done and how busy it is.
    let (batches, items, busy_us, commit_us) = state.ingest.stats().snapshot();
    let (syncs, sync_us) = state.ingest.stats().syncs();
    let restarts = state
        .ingest
        .stats()
        .restarts
        .load(std::sync::atomic::Ordering::Relaxed);
    let dropped = crate::log_sink::dropped_lines();
    let free = format!(
        "{free}\nwriter_batches {batches}\nwriter_items {items}\nwriter_busy_us {busy_us}\nwriter_commit_us {commit_us}\nwriter_syncs {syncs}\nwriter_sync_us {sync_us}\nwriter_restarts {restarts}\nlog_lines_dropped {dropped}"
    );
    if let Some(f) = state.health.fault() {
        let since = time::OffsetDateTime::from_unix_timestamp(f.since_ms / 1000)
            .ok()
            .and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            })
            .unwrap_or_default();
        let body = format!(
            "unavailable: {}\n{}\nsince {since}\nlast error: {}{free}\n",
            f.kind.code(),
            f.kind.message_en(),
            f.detail
        );
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, "10")],
            body,
        )
            .into_response();
    }
    match itas_store::rounds::list(&state.db).await {
        Ok(_) => (StatusCode::OK, format!("ok{free}")).into_response(),
        Err(e) => {
            state.health.record_error(&e);
            tracing::error!(error = %e, "health check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                format!("unavailable: database_unreachable\n{e}\n"),
            )
                .into_response()
        }
    }
}

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../assets/app.css"),
    )
        .into_response()
}

/// The web fonts, compiled into the binary.
const FONTS: &[(&str, &[u8])] = &[
    (
        "sarabun-thai-400-normal.woff2",
        include_bytes!("../../assets/fonts/sarabun-thai-400-normal.woff2"),
    ),
    (
        "sarabun-thai-700-normal.woff2",
        include_bytes!("../../assets/fonts/sarabun-thai-700-normal.woff2"),
    ),
    (
        "sarabun-latin-400-normal.woff2",
        include_bytes!("../../assets/fonts/sarabun-latin-400-normal.woff2"),
    ),
    (
        "sarabun-latin-700-normal.woff2",
        include_bytes!("../../assets/fonts/sarabun-latin-700-normal.woff2"),
    ),
];

async fn font(Path(name): Path<String>) -> Response {
    match FONTS.iter().find(|(n, _)| *n == name) {
        Some((_, bytes)) => (
            [
                (header::CONTENT_TYPE, "font/woff2"),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            *bytes,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[derive(serde::Deserialize, Default)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

async fn login_page(
    UserLang(lang): UserLang,
    Query(q): Query<NextQuery>,
) -> Result<Html<String>, AppError> {
    Ok(Html(
        LoginPage {
            ctx: PageCtx::anonymous(lang),
            username: String::new(),
            next: q.next,
            error: String::new(),
        }
        .render()?,
    ))
}

#[derive(serde::Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

/// Only same-site relative paths may be a redirect target. Control
/// characters and spaces are refused too: browsers drop a tab or newline
/// from a URL, so "/\t/host" would become the other site's "//host".
fn safe_next(next: &str) -> Option<&str> {
    (next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(|c| c.is_control() || c.is_whitespace()))
    .then_some(next)
}

/// Sign-in limits. Brute force stays slow without letting anyone lock a user
/// out: failures of one username from one address back off (free for the
/// first few, then 1 s, 2 s, 4 s … up to 15 minutes between tries); one
/// address may try any usernames 100 times in 15 minutes; and when a username
/// fails from many places at once (an attack), it can still sign in from a
/// browser that signed in as it before, while other browsers wait.
const FREE_FAILURES_PER_PAIR: i64 = 5;
const MAX_BACKOFF_MS: i64 = 15 * 60 * 1000;
const MAX_ATTEMPTS_PER_ADDRESS: i64 = 100;
const ATTACK_FAILURES_PER_USER: i64 = 50;
const ATTEMPT_WINDOW_MS: i64 = 15 * 60 * 1000;
/// The cookie of a browser that has signed in successfully (see `trusted_devices`).
pub const DEVICE_COOKIE: &str = "itas_device";

/// How long a username+address pair with `failures` must wait after its last failure.
fn backoff_ms(failures: i64) -> i64 {
    if failures < FREE_FAILURES_PER_PAIR {
        return 0;
    }
    let doublings = (failures - FREE_FAILURES_PER_PAIR).min(20) as u32;
    (1000i64 << doublings).min(MAX_BACKOFF_MS)
}

pub(crate) fn client_address(
    state: &AppState,
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
) -> String {
    crate::client_address::client_ip(&state.config.proxies, headers, peer)
}

async fn login(
    State(state): State<AppState>,
    UserLang(lang): UserLang,
    headers: HeaderMap,
    PeerAddr(peer): PeerAddr,
    Form(f): Form<LoginForm>,
) -> Result<Response, AppError> {
    let username = f.username.trim().to_lowercase();
    let refuse = |code: ErrorCode| -> Result<Response, AppError> {
        let page = LoginPage {
            ctx: PageCtx::anonymous(lang),
            username: f.username.clone(),
            next: f.next.clone(),
            error: code.message(lang).to_string(),
        };
        Ok((code.status(), Html(page.render()?)).into_response())
    };
    let now = itas_store::now_ms();
    let addr = client_address(&state, &headers, peer);
    let by_addr = itas_store::rate_limit::hit(
        &state.db,
        &format!("login:addr:{addr}"),
        ATTEMPT_WINDOW_MS,
        now,
    )
    .await?;
    if by_addr > MAX_ATTEMPTS_PER_ADDRESS {
        tracing::warn!(%addr, "sign-in attempts from one address limited");
        return refuse(ErrorCode::TooManyAttempts);
    }
    let pair = format!("login:pair:{username}:{addr}");
    if let Some((last, failures)) =
        itas_store::rate_limit::failures(&state.db, &pair, ATTEMPT_WINDOW_MS, now).await?
        && now < last + backoff_ms(failures)
    {
        tracing::warn!(%addr, user = %username, failures, "sign-in backing off");
        return refuse(ErrorCode::SignInBackOff);
    }
    let user_bucket = format!("login:user:{username}");
    let user = itas_store::users::by_username(&state.db, &username).await?;
    let device = auth::cookie(&headers, DEVICE_COOKIE).filter(|t| t.len() == 64);
    let trusted = match (&user, &device) {
        (Some(u), Some(t)) => {
            itas_store::trusted_devices::is_trusted(&state.db, &auth::token_hash(t), &u.id).await?
        }
        _ => false,
    };
    if !trusted
        && itas_store::rate_limit::failures(&state.db, &user_bucket, ATTEMPT_WINDOW_MS, now)
            .await?
            .is_some_and(|(_, n)| n >= ATTACK_FAILURES_PER_USER)
    {
        tracing::warn!(%addr, user = %username, "account under attack: only trusted browsers may sign in");
        return refuse(ErrorCode::AccountUnderAttack);
    }
    // Verify against a real hash even for unknown users, so timing does not tell which exist.
    let (hash, user) = match user {
        Some(u) if u.active => (u.password_hash.clone(), Some(u)),
        _ => (dummy_hash().await?, None),
    };
    let ok = auth::verify_password(f.password.clone(), hash).await;
    let Some(user) = user.filter(|_| ok) else {
        itas_store::rate_limit::record_failure(&state.db, &pair, ATTEMPT_WINDOW_MS, now).await?;
        itas_store::rate_limit::record_failure(&state.db, &user_bucket, ATTEMPT_WINDOW_MS, now)
            .await?;
        return refuse(ErrorCode::BadLogin);
    };
    itas_store::rate_limit::clear(&state.db, &pair).await?;
    // This browser is now trusted for this user (a new token unless it has one).
    let device = device.unwrap_or_else(auth::random_token);
    itas_store::trusted_devices::add(&state.db, &auth::token_hash(&device), &user.id, now).await?;
    let device_cookie = auth::set_cookie(
        DEVICE_COOKIE,
        &device,
        365 * 24 * 3600,
        state.config.secure_cookies,
    );
    let token = auth::random_token();
    itas_store::sessions::create(
        &state.db,
        &auth::token_hash(&token),
        &user.id,
        now,
        now + auth::SESSION_TTL_MS,
    )
    .await?;
    tracing::info!(user = %user.username, "signed in");
    let target = safe_next(&f.next)
        .map(str::to_string)
        .unwrap_or_else(|| user.role().map_or("/", home_of).to_string());
    let cookie = auth::set_cookie(
        auth::SESSION_COOKIE,
        &token,
        auth::SESSION_TTL_MS / 1000,
        state.config.secure_cookies,
    );
    Ok((
        AppendHeaders([cookie, device_cookie]),
        Redirect::to(&target),
    )
        .into_response())
}

/// An argon2 hash of a random string, so unknown usernames cost the same as known ones.
static DUMMY_HASH: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();

async fn dummy_hash() -> Result<String, AppError> {
    DUMMY_HASH
        .get_or_try_init(|| auth::hash_password(auth::random_token()))
        .await
        .cloned()
}

async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, AppError> {
    if let Some(token) = auth::cookie(&headers, auth::SESSION_COOKIE) {
        itas_store::sessions::delete(&state.db, &auth::token_hash(&token)).await?;
    }
    let cookie = auth::set_cookie(auth::SESSION_COOKIE, "", 0, state.config.secure_cookies);
    Ok(([cookie], Redirect::to("/")).into_response())
}

async fn set_lang(
    State(state): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Response {
    let lang = crate::i18n::Lang::from_code(&code);
    let back = headers
        .get(header::REFERER)
        .and_then(|r| r.to_str().ok())
        .and_then(|r| r.split_once("://").map(|(_, rest)| rest))
        .and_then(|rest| rest.find('/').map(|i| rest[i..].to_string()))
        .filter(|p| safe_next(p).is_some() && !p.starts_with("/lang/"))
        .unwrap_or_else(|| "/".into());
    let cookie = auth::set_cookie(
        auth::LANG_COOKIE,
        lang.code(),
        365 * 24 * 3600,
        state.config.secure_cookies,
    );
    ([cookie], Redirect::to(&back)).into_response()
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_same_site_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next("/agency"), Some("/agency"));
        assert_eq!(safe_next("/results?round=1"), Some("/results?round=1"));
        for bad in [
            "//evil.example/x",
            "/\\evil",
            "/\t/evil.example/x",
            "/\n/x",
            "https://x",
            "x",
            "/ /x",
        ] {
            assert_eq!(safe_next(bad), None, "{bad:?}");
        }
    }
}
