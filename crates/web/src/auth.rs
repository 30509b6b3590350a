//! Signing in: argon2 password hashes, session cookies backed by the database,
//! and the extractors that tell a handler who is asking.

use crate::AppState;
use crate::error::{AppError, ErrorCode};
use crate::i18n::Lang;

use axum::extract::FromRequestParts;
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use itas_core::directory::Role;
use itas_store::users::User;

pub const SESSION_COOKIE: &str = "itas_session";
pub const LANG_COOKIE: &str = "itas_lang";
pub use itas_app::secrets::{
    MIN_PASSWORD_LEN, hash_password, random_password, random_token, token_hash, verify_password,
};

pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

pub fn set_cookie(
    name: &str,
    value: &str,
    max_age_s: i64,
    secure: bool,
) -> (axum::http::HeaderName, HeaderValue) {
    let secure = if secure { "; Secure" } else { "" };
    let v = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_s}{secure}");
    (
        SET_COOKIE,
        HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static("")),
    )
}

pub fn lang_of(headers: &HeaderMap) -> Lang {
    cookie(headers, LANG_COOKIE)
        .map(|c| Lang::from_code(&c))
        .unwrap_or_default()
}

/// The language of a request: under `/api/` the caller's `Accept-Language`
/// (its most preferred of Thai and English) decides, as docs/api.md says;
/// pages follow the language cookie the header's switch sets (Thai by
/// default, whatever the browser's own language).
pub fn lang_for(path: &str, headers: &HeaderMap) -> Lang {
    if path.starts_with("/api/")
        && let Some(l) = headers
            .get(axum::http::header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(preferred_of_ours)
    {
        return l;
    }
    lang_of(headers)
}

/// The caller's most preferred of Thai and English in an `Accept-Language`
/// value (`en-GB,en;q=0.9,th;q=0.8`); None when it names neither.
fn preferred_of_ours(value: &str) -> Option<Lang> {
    let mut best: Option<(u32, Lang)> = None;
    for part in value.split(',') {
        let mut fields = part.split(';');
        let tag = fields.next().unwrap_or("").trim().to_ascii_lowercase();
        let lang = match tag.split('-').next() {
            Some("th") => Lang::Th,
            Some("en") => Lang::En,
            _ => continue,
        };
        // q in thousandths; a malformed q counts as 1, as most servers read it.
        let q = fields
            .find_map(|f| f.trim().strip_prefix("q=").map(str::to_string))
            .and_then(|q| q.parse::<f32>().ok())
            .map_or(1000, |q| (q.clamp(0.0, 1.0) * 1000.0) as u32);
        if q > 0 && best.is_none_or(|(b, _)| q > b) {
            best = Some((q, lang));
        }
    }
    best.map(|(_, l)| l)
}

/// The signed-in user; pages without one redirect to the sign-in page,
/// API calls get a 401 JSON error.
#[derive(Clone, Debug)]
pub struct CurrentUser {
    pub user: User,
    pub role: Role,
    pub lang: Lang,
    /// For the central office: the storage fault in force, as a banner line.
    pub storage_alert: Option<String>,
    /// The scope of the API token this request came with; none for a session.
    pub token_scope: Option<itas_store::api_tokens::Scope>,
}

impl CurrentUser {
    /// Who is asking, as the application's rules read it.
    pub fn actor(&self) -> itas_app::access::Actor {
        itas_app::access::Actor {
            user_id: self.user.id.clone(),
            role: self.role,
            agency_id: self.user.agency_id.clone(),
        }
    }

    pub fn id(&self) -> &str {
        &self.user.id
    }

    /// Refuses unless the user has `role`.
    pub fn require(&self, role: Role) -> Result<(), AppError> {
        if self.role == role {
            Ok(())
        } else {
            Err(AppError::new(ErrorCode::Forbidden).in_lang(self.lang))
        }
    }
}

pub struct SignInRedirect {
    api: bool,
    next: String,
    lang: Lang,
    /// A bearer token that was refused, and why (answered as JSON).
    refused: Option<AppError>,
}

impl IntoResponse for SignInRedirect {
    fn into_response(self) -> Response {
        if let Some(e) = self.refused {
            return e.into_response();
        }
        if self.api {
            return crate::error::api_error(ErrorCode::NotSignedIn, self.lang).into_response();
        }
        let next: String = self
            .next
            .chars()
            .filter(|c| c.is_ascii_graphic() && *c != '&')
            .collect();
        Redirect::to(&format!("/login?next={next}")).into_response()
    }
}

/// The sign-in page, coming back to `next` afterwards (for handlers that
/// decide late that a visitor must sign in).
pub fn sign_in_redirect(next: &str, lang: Lang) -> Response {
    SignInRedirect {
        api: false,
        next: next.to_string(),
        lang,
        refused: None,
    }
    .into_response()
}

/// The token of an `Authorization: Bearer …` header.
pub fn bearer_token(headers: &HeaderMap) -> Option<String> {
    let v = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = v.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
        .filter(|t| !t.is_empty())
}

/// API calls per user per minute (per server), shared by all of the user's
/// tokens: making more tokens does not make more calls.
pub const USER_API_CALLS_PER_MINUTE: u32 = 600;

/// The user behind a bearer token: refused when unknown, expired, revoked,
/// too frequent, or a read-only token asked to change something. Every
/// accepted use is audited.
async fn token_user(
    parts: &Parts,
    state: &AppState,
    token: &str,
    lang: Lang,
) -> Result<(User, itas_store::api_tokens::Scope), AppError> {
    let now = itas_store::now_ms();
    let refused = |code: ErrorCode| crate::error::api_error(code, lang);
    let t = itas_app::tokens::find(state, token, now)
        .await
        .map_err(|e| crate::error::api_error(e, lang))?
        .ok_or_else(|| refused(ErrorCode::BadToken))?;
    if !state.token_limiter.allow(&t.user_id, now) {
        return Err(refused(ErrorCode::ApiSlowDown));
    }
    let reads = matches!(
        parts.method,
        axum::http::Method::GET | axum::http::Method::HEAD
    );
    let request = format!("{} {}", parts.method, parts.uri.path());
    let user = itas_app::tokens::accept(state, &t, !reads, &request, now)
        .await
        .map_err(|e| crate::error::api_error(e, lang))?;
    Ok((user, t.scope))
}

async fn session_user(parts: &Parts, state: &AppState) -> Option<User> {
    let token = cookie(&parts.headers, SESSION_COOKIE)?;
    itas_app::sign_in::session_user(state, &token)
        .await
        .ok()
        .flatten()
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = SignInRedirect;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let lang = lang_for(parts.uri.path(), &parts.headers);
        let api = parts.uri.path().starts_with("/api/");
        let mut token_scope = None;
        let user = match bearer_token(&parts.headers).filter(|_| api) {
            Some(token) => match token_user(parts, state, &token, lang).await {
                Ok((u, scope)) => {
                    token_scope = Some(scope);
                    Some(u)
                }
                Err(e) => {
                    return Err(SignInRedirect {
                        api,
                        next: String::new(),
                        lang,
                        refused: Some(e),
                    });
                }
            },
            None => session_user(parts, state).await,
        };
        match user.and_then(|u| u.role().map(|r| (u, r))) {
            Some((user, role)) => {
                let storage_alert = match role {
                    Role::CentralAdmin => state.health.fault().map(|f| storage_alert(&f, lang)),
                    _ => None,
                };
                Ok(CurrentUser {
                    user,
                    role,
                    lang,
                    storage_alert,
                    token_scope,
                })
            }
            None => Err(SignInRedirect {
                api,
                next: parts
                    .uri
                    .path_and_query()
                    .map_or("/", |p| p.as_str())
                    .to_string(),
                lang,
                refused: None,
            }),
        }
    }
}

/// The central office's banner line for a storage fault.
fn storage_alert(f: &itas_store::health::Fault, lang: Lang) -> String {
    let since = time::OffsetDateTime::from_unix_timestamp(f.since_ms / 1000)
        .map(|t| t.to_offset(time::macros::offset!(+7)))
        .ok()
        .and_then(|t| {
            t.format(time::macros::format_description!("[hour]:[minute]"))
                .ok()
        })
        .unwrap_or_default();
    match lang {
        Lang::Th => format!(
            "{} ตั้งแต่ {since} น. ระบบรับคำตอบและบันทึกข้อมูลไม่ได้จนกว่าจะแก้ไข (ดูคู่มือการดูแลระบบ หัวข้อ \"เมื่อดิสก์เต็ม\") ระบบจะกลับมาทำงานเองเมื่อมีพื้นที่ว่าง",
            f.kind.message_th()
        ),
        Lang::En => format!(
            "{} since {since} (Bangkok). Nothing new can be stored until this is fixed (see the operations guide, \"When the disk fills\"); the server resumes by itself once there is room.",
            f.kind.message_en()
        ),
    }
}

/// The signed-in user when there is one; never rejects.
pub struct MaybeUser(pub Option<CurrentUser>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(MaybeUser(
            CurrentUser::from_request_parts(parts, state).await.ok(),
        ))
    }
}

/// The caller of an operation anyone may call: signed in, or no one. Unlike
/// `MaybeUser`, a bearer token that is refused (unknown, expired, over its
/// rate) is answered as such: an integrator must not silently get the
/// public's view instead of their own.
pub struct ApiCaller(pub Option<CurrentUser>);

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = SignInRedirect;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match CurrentUser::from_request_parts(parts, state).await {
            Ok(u) => Ok(ApiCaller(Some(u))),
            Err(r) if r.refused.is_some() => Err(r),
            Err(_) => Ok(ApiCaller(None)),
        }
    }
}

/// The TCP peer's address when the server runs on a socket (absent in
/// in-process tests).
pub struct PeerAddr(pub Option<std::net::SocketAddr>);

impl<S: Send + Sync> FromRequestParts<S> for PeerAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(PeerAddr(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0),
        ))
    }
}

/// The visitor's language from the cookie (Thai by default).
pub struct UserLang(pub Lang);

impl<S: Send + Sync> FromRequestParts<S> for UserLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(UserLang(lang_for(parts.uri.path(), &parts.headers)))
    }
}

/// Whether `user` may read the data of `agency_id` (see `itas_app::access`).
pub async fn may_see_agency(
    state: &AppState,
    user: &CurrentUser,
    agency_id: &str,
) -> Result<bool, AppError> {
    Ok(itas_app::access::may_see_agency(state, &user.actor(), agency_id).await?)
}

/// Whether this reader may see an agency's computed scores in a round (see
/// `itas_app::access`).
pub async fn may_see_results(
    state: &AppState,
    user: Option<&CurrentUser>,
    agency_id: &str,
    round_id: &str,
) -> Result<bool, AppError> {
    let actor = user.map(CurrentUser::actor);
    Ok(itas_app::access::may_see_results(state, actor.as_ref(), agency_id, round_id).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_read_from_any_cookie_header() {
        let mut h = HeaderMap::new();
        h.append(COOKIE, HeaderValue::from_static("a=1; itas_session=abc"));
        h.append(COOKIE, HeaderValue::from_static("itas_lang=en"));
        assert_eq!(cookie(&h, SESSION_COOKIE).as_deref(), Some("abc"));
        assert_eq!(lang_of(&h), Lang::En);
        let mut api = HeaderMap::new();
        let read = |v: &'static str| {
            let mut h = HeaderMap::new();
            h.insert(
                axum::http::header::ACCEPT_LANGUAGE,
                HeaderValue::from_static(v),
            );
            (lang_for("/api/v1/rounds", &h), lang_for("/rounds", &h))
        };
        assert_eq!(read("en"), (Lang::En, Lang::Th), "pages keep to the cookie");
        assert_eq!(read("en-GB,en;q=0.9,th;q=0.8").0, Lang::En);
        assert_eq!(read("de,th;q=0.5,en;q=0.4").0, Lang::Th);
        assert_eq!(read("th-TH,en;q=0.9").0, Lang::Th);
        assert_eq!(read("de").0, Lang::Th, "neither: the default");
        assert_eq!(read("en;q=0").0, Lang::Th, "q=0 means not this one");
        api.insert(COOKIE, HeaderValue::from_static("itas_lang=en"));
        assert_eq!(
            lang_for("/api/v1/rounds", &api),
            Lang::En,
            "no header: the cookie"
        );
        assert_eq!(random_token().len(), 64);
        assert_eq!(random_password(12).len(), 12);
    }
}
