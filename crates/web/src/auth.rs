//! Signing in: argon2 password hashes, session cookies backed by the database,
//! and the extractors that tell a handler who is asking.

use crate::AppState;
use crate::error::{AppError, ErrorCode};
use crate::i18n::Lang;
use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use axum::extract::FromRequestParts;
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use itas_core::directory::Role;
use itas_store::users::User;
use sha2::{Digest, Sha256};

pub const SESSION_COOKIE: &str = "itas_session";
pub const LANG_COOKIE: &str = "itas_lang";
pub const SESSION_TTL_MS: i64 = 12 * 60 * 60 * 1000;
pub const MIN_PASSWORD_LEN: usize = 10;

/// Hashes a password off the async threads (argon2 is deliberately slow).
pub async fn hash_password(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
    })
    .await
    .map_err(|e| AppError::new(ErrorCode::Internal).detail(e.to_string()))?
    .map_err(|e| AppError::new(ErrorCode::Internal).detail(e.to_string()))
}

/// Checks a password against a stored hash; false for any malformed hash.
pub async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash).is_ok_and(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
    })
    .await
    .unwrap_or(false)
}

/// 256 random bits as hex.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    // The OS generator failing means the machine cannot run securely at all.
    getrandom::fill(&mut b).expect("operating system random number generator");
    hex::encode(b)
}

/// A random password of `len` letters and digits, for demo and reset use.
pub fn random_password(len: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut b = vec![0u8; len];
    getrandom::fill(&mut b).expect("operating system random number generator");
    b.iter()
        .map(|x| ALPHABET[*x as usize % ALPHABET.len()] as char)
        .collect()
}

/// What the database keeps of a session token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

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
            return AppError::new(ErrorCode::NotSignedIn)
                .in_lang(self.lang)
                .as_json()
                .into_response();
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
    let refused = |code: ErrorCode| AppError::new(code).in_lang(lang).as_json();
    let t = itas_store::api_tokens::by_hash(&state.db, &token_hash(token))
        .await
        .map_err(|e| AppError::from(e).as_json())?
        .filter(|t| t.usable(now))
        .ok_or_else(|| refused(ErrorCode::BadToken))?;
    if !state.token_limiter.allow(&t.user_id, now) {
        return Err(refused(ErrorCode::ApiSlowDown));
    }
    let reads = matches!(
        parts.method,
        axum::http::Method::GET | axum::http::Method::HEAD
    );
    if t.scope == itas_store::api_tokens::Scope::Read && !reads {
        return Err(
            refused(ErrorCode::Forbidden).detail("a read-only token cannot change anything")
        );
    }
    let user = itas_store::users::get(&state.db, &t.user_id)
        .await
        .map_err(|e| AppError::from(e).as_json())?
        .filter(|u| u.active)
        .ok_or_else(|| refused(ErrorCode::BadToken))?;
    let request = format!("{} {}", parts.method, parts.uri.path());
    itas_store::api_tokens::record_use(&state.db, &t, &request, !reads, now)
        .await
        .map_err(|e| AppError::from(e).as_json())?;
    Ok((user, t.scope))
}

async fn session_user(parts: &Parts, state: &AppState) -> Option<User> {
    let token = cookie(&parts.headers, SESSION_COOKIE)?;
    itas_store::sessions::user(&state.db, &token_hash(&token), itas_store::now_ms())
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
        let lang = lang_of(&parts.headers);
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
        Ok(UserLang(lang_of(&parts.headers)))
    }
}

/// Whether `user` may read the data of `agency_id`: the central office always,
/// an agency admin for their own agency, an assessor for an agency assigned to
/// them in any round.
pub async fn may_see_agency(
    state: &AppState,
    user: &CurrentUser,
    agency_id: &str,
) -> Result<bool, AppError> {
    Ok(match user.role {
        Role::CentralAdmin => true,
        Role::AgencyAdmin => user.user.agency_id.as_deref() == Some(agency_id),
        Role::Assessor => {
            let rounds = itas_store::rounds::rounds_of_agency(&state.db, agency_id).await?;
            let mut ok = false;
            for r in rounds {
                if itas_store::assignments::is_assigned(&state.db, &r.id, agency_id, user.id())
                    .await?
                {
                    ok = true;
                    break;
                }
            }
            ok
        }
    })
}

/// Whether this reader may see an agency's computed scores in a round.
/// Once the round is published, anyone. Before, the central office and the
/// agency's assessors, and never the agency itself: its own scores would
/// tell its admin, answer by answer, what staff and clients said
/// (docs/privacy.md, "What the agency can and cannot learn").
pub async fn may_see_results(
    state: &AppState,
    user: Option<&CurrentUser>,
    agency_id: &str,
    round_id: &str,
) -> Result<bool, AppError> {
    if crate::published::round_is_published(state, round_id).await? {
        return Ok(true);
    }
    Ok(match user {
        Some(u) if u.role != Role::AgencyAdmin => may_see_agency(state, u, agency_id).await?,
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_reject() {
        let h = hash_password("correct horse battery".into()).await.unwrap();
        assert!(h.starts_with("$argon2"));
        assert!(verify_password("correct horse battery".into(), h.clone()).await);
        assert!(!verify_password("wrong".into(), h).await);
        assert!(!verify_password("x".into(), "not a hash".into()).await);
    }

    #[test]
    fn cookies_are_read_from_any_cookie_header() {
        let mut h = HeaderMap::new();
        h.append(COOKIE, HeaderValue::from_static("a=1; itas_session=abc"));
        h.append(COOKIE, HeaderValue::from_static("itas_lang=en"));
        assert_eq!(cookie(&h, SESSION_COOKIE).as_deref(), Some("abc"));
        assert_eq!(lang_of(&h), Lang::En);
        assert_eq!(random_token().len(), 64);
        assert_eq!(random_password(12).len(), 12);
    }
}
