//! Pages anyone can reach: home, sign-in, language, health, assets.

use crate::AppState;
use crate::auth::{self, MaybeUser, PeerAddr, UserLang};
use crate::error::{AppError, ErrorCode};
use crate::i18n::Lang;
use crate::pages::{HomePage, LoginPage, PageCtx};
use crate::views::public::DeviceCheckPage;
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
        .route(
            "/login/verify/{token}",
            get(device_check_page).post(device_check),
        )
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
    match itas_app::housekeeping::database_answers(&state.db).await {
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

/// The cookie of a browser that has signed in successfully (see
/// `itas_app::sign_in`, whose rules this page follows).
pub const DEVICE_COOKIE: &str = "itas_device";

pub(crate) fn client_address(
    state: &AppState,
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
) -> String {
    crate::client_address::client_ip(&state.config.proxies, headers, peer)
}

/// "ลองใหม่ได้ในอีก ๑๔ นาที": how long a held-back sign-in waits.
fn wait_text(lang: Lang, seconds: i64) -> String {
    let (n, th, en) = if seconds < 60 {
        (seconds, "วินาที", "seconds")
    } else {
        ((seconds + 59) / 60, "นาที", "minutes")
    };
    match lang {
        Lang::Th => format!(
            "ลองใหม่ได้ในอีก {} {th}",
            itas_core::thai::thai_digits(&n.to_string())
        ),
        Lang::En => format!("Try again in {n} {en}."),
    }
}

async fn login(
    State(state): State<AppState>,
    UserLang(lang): UserLang,
    headers: HeaderMap,
    PeerAddr(peer): PeerAddr,
    Form(f): Form<LoginForm>,
) -> Result<Response, AppError> {
    let username = f.username.trim().to_lowercase();
    let refuse_after = |code: ErrorCode, wait: Option<i64>| -> Result<Response, AppError> {
        let mut error = code.message(lang).to_string();
        if let Some(seconds) = wait {
            error = format!("{error} {}", wait_text(lang, seconds));
        }
        let page = LoginPage {
            ctx: PageCtx::anonymous(lang),
            username: f.username.clone(),
            next: f.next.clone(),
            error,
        };
        let mut r = (crate::error::status_of(code), Html(page.render()?)).into_response();
        if let Some(seconds) = wait {
            r.headers_mut()
                .insert(header::RETRY_AFTER, axum::http::HeaderValue::from(seconds));
        }
        Ok(r)
    };
    let refuse = |code: ErrorCode| refuse_after(code, None);
    let now = itas_store::now_ms();
    let addr = client_address(&state, &headers, peer);
    let device = auth::cookie(&headers, DEVICE_COOKIE);
    let attempt = itas_app::sign_in::Attempt {
        username: &username,
        password: &f.password,
        address: &addr,
        device: device.as_deref(),
        now,
    };
    let (user, session, device) = match itas_app::sign_in::attempt(&state, &attempt).await? {
        itas_app::sign_in::Outcome::Refused(code) => return refuse(code),
        itas_app::sign_in::Outcome::Wait { code, seconds } => {
            return refuse_after(code, Some(seconds));
        }
        itas_app::sign_in::Outcome::ProveByEmail(user) => {
            send_device_check(&state, &headers, &user, now).await?;
            return refuse(ErrorCode::AccountUnderAttack);
        }
        itas_app::sign_in::Outcome::SignedIn {
            user,
            session,
            device,
        } => (user, session, device),
    };
    let target = safe_next(&f.next)
        .map(str::to_string)
        .unwrap_or_else(|| user.role().map_or("/", home_of).to_string());
    Ok((
        AppendHeaders(signed_in_cookies(&state, &session, &device)),
        Redirect::to(&target),
    )
        .into_response())
}

/// The cookies of a new session and of the browser it came from.
fn signed_in_cookies(
    state: &AppState,
    session: &str,
    device: &str,
) -> [(header::HeaderName, axum::http::HeaderValue); 2] {
    let secure = state.config.secure_cookies;
    [
        auth::set_cookie(
            auth::SESSION_COOKIE,
            session,
            itas_app::sign_in::SESSION_TTL_MS / 1000,
            secure,
        ),
        auth::set_cookie(DEVICE_COOKIE, device, 365 * 24 * 3600, secure),
    ]
}

/// Mails the user a one-time link that signs this browser in, when mail is
/// set up, the user has an address and fewer than five links went out this
/// hour; sent off the request, so its timing tells nothing either.
async fn send_device_check(
    state: &AppState,
    headers: &HeaderMap,
    user: &itas_store::users::User,
    now: i64,
) -> Result<(), AppError> {
    let (Some(mailer), Some(email)) = (state.config.mailer.clone(), user.email.clone()) else {
        tracing::warn!(user = %user.username, "no one-time link sent: mail is off (--smtp-url) or the user has no email");
        return Ok(());
    };
    let Some(token) = itas_app::sign_in::new_device_check(state, user, now).await? else {
        return Ok(());
    };
    let link = format!(
        "{}/login/verify/{token}",
        crate::routes::agency::base_url(state, headers)
    );
    let mail = device_check_mail(&user.display_name, &link);
    let username = user.username.clone();
    tokio::spawn(async move {
        match mailer.send(&email, mail).await {
            Ok(()) => tracing::info!(user = %username, "one-time sign-in link sent"),
            Err(e) => tracing::error!(user = %username, "one-time sign-in link not sent: {e}"),
        }
    });
    Ok(())
}

/// The message with the one-time link, Thai then English.
fn device_check_mail(name: &str, link: &str) -> crate::mail::Mail {
    let th = format!(
        "เรียน {name}\n\nมีผู้ลองรหัสผ่านของบัญชีของท่านใน itas ผิดจำนวนมากจากหลายแห่ง ระบบจึงให้เข้าสู่ระบบจากเครื่องที่ไม่เคยใช้ได้เมื่อยืนยันทางอีเมลเท่านั้น \
         หากท่านเพิ่งกรอกรหัสผ่านที่ถูกต้อง เปิดลิงก์นี้บนเครื่องที่จะใช้ แล้วกดยืนยัน (ใช้ได้ครั้งเดียวภายใน ๑๕ นาที):\n\n{link}\n\n\
         หากไม่ใช่ท่าน ไม่ต้องทำอะไร และควรแจ้งสำนักงานกลางให้ตั้งรหัสผ่านใหม่"
    );
    let en = format!(
        "Dear {name},\n\nYour itas account has had many wrong passwords from many places, so a browser it has not used signs in only after confirming by email. \
         If you just typed the right password, open this link on the browser you want to use and confirm (it works once, within 15 minutes):\n\n{link}\n\n\
         If it was not you, do nothing, and ask the central office to set a new password."
    );
    let esc = crate::mail::html_escape;
    let html = |text: &str| {
        esc(text)
            .split("\n\n")
            .map(|p| {
                if p == esc(link) {
                    format!("<p><a href=\"{p}\">{p}</a></p>")
                } else {
                    format!("<p>{}</p>", p.replace('\n', "<br>"))
                }
            })
            .collect::<String>()
    };
    crate::mail::Mail {
        subject: "ยืนยันเครื่องที่ใช้เข้าสู่ระบบ itas / Confirm a new browser for itas".into(),
        text: format!("{th}\n\n----\n\n{en}\n"),
        html: format!(
            "<!doctype html><html lang=\"th\"><body>{}<hr><div lang=\"en\">{}</div></body></html>",
            html(&th),
            html(&en)
        ),
    }
}

/// What the one-time link opens: a button, so a mail scanner's visit uses nothing.
async fn device_check_page(
    State(state): State<AppState>,
    UserLang(lang): UserLang,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let valid =
        itas_app::sign_in::device_check_pending(&state, &token, itas_store::now_ms()).await?;
    let page = DeviceCheckPage {
        ctx: PageCtx::anonymous(lang),
        token,
        valid,
    };
    let status = if valid {
        StatusCode::OK
    } else {
        StatusCode::GONE
    };
    Ok((
        status,
        [(header::CACHE_CONTROL, "no-store")],
        Html(page.render()?),
    )
        .into_response())
}

/// Uses the one-time link: this browser becomes the user's and is signed in.
async fn device_check(
    State(state): State<AppState>,
    UserLang(lang): UserLang,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    let now = itas_store::now_ms();
    let device = auth::cookie(&headers, DEVICE_COOKIE);
    let Some((user, session, device)) =
        itas_app::sign_in::use_device_check(&state, &token, device.as_deref(), now).await?
    else {
        let page = DeviceCheckPage {
            ctx: PageCtx::anonymous(lang),
            token: String::new(),
            valid: false,
        };
        return Ok((StatusCode::GONE, Html(page.render()?)).into_response());
    };
    Ok((
        AppendHeaders(signed_in_cookies(&state, &session, &device)),
        Redirect::to(user.role().map_or("/", home_of)),
    )
        .into_response())
}

async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, AppError> {
    if let Some(token) = auth::cookie(&headers, auth::SESSION_COOKIE) {
        itas_app::sign_in::sign_out(&state, &token).await?;
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
