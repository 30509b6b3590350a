//! API tokens: each user makes, names, lists and revokes their own, on a page
//! (`/account/tokens`) and through the API (`/api/v1/tokens`). A token acts as
//! its user, never wider: "read" tokens may only read.

use crate::AppState;
use crate::auth::{CurrentUser, random_token, token_hash};
use crate::error::{ApiJson, AppError, ErrorCode};
use crate::pages::{FieldErrors, PageCtx};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use itas_store::api_tokens::{self, Scope, Token};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/account/tokens", get(page).post(create_on_page))
        .route("/account/tokens/{id}/revoke", post(revoke_on_page))
        .route("/api/v1/tokens", get(list_api).post(create_api))
        .route("/api/v1/tokens/{id}", axum::routing::delete(revoke_api))
}

/// Longest life of a token, in days.
pub const MAX_DAYS: i64 = 365;
/// Tokens start with this, so they are easy to find in a leaked file.
pub const PREFIX: &str = "itas_";

#[derive(serde::Deserialize, Clone, Debug)]
pub struct TokenForm {
    #[serde(default)]
    pub name: String,
    #[serde(default = "read")]
    pub scope: String,
    #[serde(default = "ninety")]
    pub days: String,
}

fn read() -> String {
    "read".into()
}
fn ninety() -> String {
    "90".into()
}

impl Default for TokenForm {
    fn default() -> Self {
        TokenForm {
            name: String::new(),
            scope: read(),
            days: ninety(),
        }
    }
}

impl TokenForm {
    fn parse(&self, ctx: &PageCtx) -> Result<(String, Scope, i64), FieldErrors> {
        let mut e = FieldErrors::default();
        let name = self.name.trim();
        if name.is_empty() {
            e.add("name", ctx.pick("กรุณาตั้งชื่อโทเคน", "Name the token"));
        } else if name.chars().count() > 100 {
            e.add(
                "name",
                ctx.pick("ชื่อยาวเกิน ๑๐๐ ตัวอักษร", "At most 100 characters"),
            );
        }
        let scope = Scope::parse(&self.scope);
        if scope.is_none() {
            e.add(
                "scope",
                ctx.pick("สิทธิ์ต้องเป็น read หรือ write", "Scope is read or write"),
            );
        }
        let days = itas_core::thai::arabic_digits(self.days.trim())
            .parse::<i64>()
            .ok()
            .filter(|d| (1..=MAX_DAYS).contains(d));
        if days.is_none() {
            e.add(
                "days",
                ctx.pick("อายุต้องเป็นจำนวนวัน ๑ ถึง ๓๖๕", "Between 1 and 365 days"),
            );
        }
        match (scope, days) {
            (Some(s), Some(d)) if e.is_empty() => Ok((name.to_string(), s, d)),
            _ => Err(e),
        }
    }
}

/// Makes a token for `user`; returns (id, the token itself).
async fn make(
    state: &AppState,
    user: &CurrentUser,
    name: &str,
    scope: Scope,
    days: i64,
) -> Result<(String, String), AppError> {
    let token = format!("{PREFIX}{}", random_token());
    let now = itas_store::now_ms();
    let id = api_tokens::create(
        &state.db,
        user.id(),
        name,
        &token_hash(&token),
        scope,
        now,
        now + days * 86_400_000,
    )
    .await?;
    Ok((id, token))
}

pub struct TokenLine {
    pub id: String,
    pub name: String,
    pub scope: &'static str,
    pub created: String,
    pub expires: String,
    pub last_used: String,
    pub status: String,
    pub active: bool,
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    ctx: PageCtx,
    tokens: Vec<TokenLine>,
    new_token: Option<String>,
    form: TokenForm,
    errors: FieldErrors,
}

async fn render(
    state: &AppState,
    user: &CurrentUser,
    new_token: Option<String>,
    form: TokenForm,
    errors: FieldErrors,
) -> Result<Response, AppError> {
    let ctx = PageCtx::for_user(user);
    let now = itas_store::now_ms();
    let tokens = api_tokens::of_user(&state.db, user.id())
        .await?
        .into_iter()
        .map(|t| TokenLine {
            active: t.usable(now),
            status: if t.revoked_at.is_some() {
                ctx.pick("เพิกถอนแล้ว", "revoked").to_string()
            } else if now >= t.expires_at {
                ctx.pick("หมดอายุ", "expired").to_string()
            } else {
                ctx.pick("ใช้ได้", "active").to_string()
            },
            created: ctx.date(&t.created_at),
            expires: ctx.date(&t.expires_at),
            last_used: t
                .last_used_at
                .map(|m| ctx.date(&m))
                .unwrap_or_else(|| "–".into()),
            scope: match t.scope {
                Scope::Read => ctx.pick("อ่านอย่างเดียว", "read only"),
                Scope::Write => ctx.pick("อ่านและแก้ไข", "read and write"),
            },
            name: t.name,
            id: t.id,
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = TokensPage {
        ctx,
        tokens,
        new_token,
        form,
        errors,
    };
    Ok((
        status,
        // The one page that shows a token: never kept by a cache.
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        Html(page.render()?),
    )
        .into_response())
}

async fn page(State(state): State<AppState>, user: CurrentUser) -> Result<Response, AppError> {
    render(
        &state,
        &user,
        None,
        TokenForm::default(),
        FieldErrors::default(),
    )
    .await
}

async fn create_on_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(f): Form<TokenForm>,
) -> Result<Response, AppError> {
    match f.parse(&PageCtx::for_user(&user)) {
        Ok((name, scope, days)) => {
            let (_, token) = make(&state, &user, &name, scope, days).await?;
            render(
                &state,
                &user,
                Some(token),
                TokenForm::default(),
                FieldErrors::default(),
            )
            .await
        }
        Err(errors) => render(&state, &user, None, f, errors).await,
    }
}

async fn revoke_on_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    api_tokens::revoke(&state.db, user.id(), &id, itas_store::now_ms()).await?;
    Ok(Redirect::to("/account/tokens").into_response())
}

/// An API token as its owner sees it later: never the token itself.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct TokenView {
    id: String,
    name: String,
    /// read (GET only) or write.
    scope: String,
    /// Milliseconds since 1970 (UTC).
    created_at: i64,
    expires_at: i64,
    last_used_at: Option<i64>,
    revoked: bool,
}

impl From<&Token> for TokenView {
    fn from(t: &Token) -> TokenView {
        TokenView {
            id: t.id.clone(),
            name: t.name.clone(),
            scope: t.scope.code().to_string(),
            created_at: t.created_at,
            expires_at: t.expires_at,
            last_used_at: t.last_used_at,
            revoked: t.revoked_at.is_some(),
        }
    }
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct TokenList {
    tokens: Vec<TokenView>,
}

/// The caller's API tokens, newest first (never the tokens themselves).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "account",
    responses((status = 200, description = "The caller's tokens", body = TokenList)))]
pub(crate) async fn list_api(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<TokenList>, AppError> {
    let tokens = api_tokens::of_user(&state.db, user.id())
        .await
        .map_err(|e| AppError::from(e).as_json())?;
    Ok(Json(TokenList {
        tokens: tokens.iter().map(TokenView::from).collect(),
    }))
}

/// A token to make.
#[derive(serde::Deserialize, utoipa::ToSchema)]
pub(crate) struct NewToken {
    /// What it is for, 1–100 characters (not only spaces).
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    name: String,
    /// read (GET only, the default) or write.
    #[serde(default = "read_scope")]
    #[schema(inline)]
    scope: ScopeName,
    /// Days until it expires, 1–365 (90 if absent or null).
    /// (A JSON number: 30 and 30.0 are the same integer to JSON Schema.)
    #[serde(default)]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 365)]
    days: Option<crate::error::JsonInteger>,
}

#[derive(serde::Deserialize, utoipa::ToSchema, Clone, Copy)]
#[serde(rename_all = "lowercase")]
pub(crate) enum ScopeName {
    Read,
    Write,
}

fn read_scope() -> ScopeName {
    ScopeName::Read
}

/// A token just made: the only time the token itself is shown.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct CreatedToken {
    id: String,
    /// Send it as `Authorization: Bearer <token>`. Keep it secret; it is not shown again.
    token: String,
    scope: String,
    days: i64,
}

/// Makes a token for the caller, no wider than the caller. A token cannot
/// make another token wider than itself: a read token makes only read tokens.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "account",
    request_body = NewToken,
    responses((status = 201, description = "Made; the token is in the answer, this once", body = CreatedToken)))]
pub(crate) async fn create_api(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(b): ApiJson<NewToken>,
) -> Result<Response, AppError> {
    let bad = || {
        AppError::new(ErrorCode::Invalid)
            .in_lang(user.lang)
            .as_json()
    };
    let name = b.name.trim();
    let scope = match b.scope {
        ScopeName::Read => Scope::Read,
        ScopeName::Write => Scope::Write,
    };
    let days = b.days.map_or(90, |d| d.0);
    if name.is_empty() || b.name.chars().count() > 100 || !(1..=MAX_DAYS).contains(&days) {
        return Err(bad().detail("name 1–100 characters, days 1–365"));
    }
    if scope == Scope::Write && user.token_scope == Some(Scope::Read) {
        return Err(AppError::new(ErrorCode::Forbidden)
            .in_lang(user.lang)
            .as_json());
    }
    let (id, token) = make(&state, &user, name, scope, days).await?;
    Ok((
        StatusCode::CREATED,
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        Json(CreatedToken {
            id,
            token,
            scope: scope.code().to_string(),
            days,
        }),
    )
        .into_response())
}

/// Revokes one of the caller's tokens at once.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "account",
    params(("id" = String, Path, description = "The token's id")),
    responses((status = 204, description = "Revoked")))]
pub(crate) async fn revoke_api(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    api_tokens::revoke(&state.db, user.id(), &id, itas_store::now_ms())
        .await
        .map_err(|e| AppError::from(e).as_json())?;
    Ok(StatusCode::NO_CONTENT)
}
