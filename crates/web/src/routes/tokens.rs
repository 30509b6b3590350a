//! API tokens: each user makes, names, lists and revokes their own, on a page
//! (`/account/tokens`) and through the API (`/api/v1/tokens`). A token acts as
//! its user, never wider: "read" tokens may only read.

use crate::AppState;
use crate::auth::{CurrentUser, random_token, token_hash};
use crate::error::{AppError, ErrorCode};
use crate::pages::{FieldErrors, PageCtx};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use itas_store::api_tokens::{self, Scope, Token};
use serde_json::json;

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

fn view(t: &Token) -> serde_json::Value {
    json!({
        "id": t.id,
        "name": t.name,
        "scope": t.scope.code(),
        "created_at": t.created_at,
        "expires_at": t.expires_at,
        "last_used_at": t.last_used_at,
        "revoked": t.revoked_at.is_some(),
    })
}

async fn list_api(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Json<serde_json::Value>, AppError> {
    let tokens = api_tokens::of_user(&state.db, user.id())
        .await
        .map_err(|e| AppError::from(e).as_json())?;
    Ok(Json(
        json!({ "tokens": tokens.iter().map(view).collect::<Vec<_>>() }),
    ))
}

#[derive(serde::Deserialize)]
struct CreateBody {
    name: String,
    #[serde(default = "read")]
    scope: String,
    #[serde(default)]
    days: Option<i64>,
}

/// Makes a token through the API. A token cannot make another token wider
/// than itself: a "read" token makes only "read" tokens.
async fn create_api(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: axum::http::HeaderMap,
    Json(b): Json<CreateBody>,
) -> Result<Response, AppError> {
    let bad = || {
        AppError::new(ErrorCode::Invalid)
            .in_lang(user.lang)
            .as_json()
    };
    let name = b.name.trim();
    let scope = Scope::parse(&b.scope).ok_or_else(bad)?;
    let days = b.days.unwrap_or(90);
    if name.is_empty() || name.chars().count() > 100 || !(1..=MAX_DAYS).contains(&days) {
        return Err(bad().detail("name 1–100 characters, days 1–365"));
    }
    if scope == Scope::Write
        && crate::auth::bearer_scope(&headers, &state).await == Some(Scope::Read)
    {
        return Err(AppError::new(ErrorCode::Forbidden)
            .in_lang(user.lang)
            .as_json());
    }
    let (id, token) = make(&state, &user, name, scope, days).await?;
    Ok((
        StatusCode::CREATED,
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        Json(json!({ "id": id, "token": token, "scope": scope.code(), "days": days })),
    )
        .into_response())
}

async fn revoke_api(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    api_tokens::revoke(&state.db, user.id(), &id, itas_store::now_ms())
        .await
        .map_err(|e| AppError::from(e).as_json())?;
    Ok(StatusCode::NO_CONTENT)
}
