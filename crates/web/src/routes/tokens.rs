//! API tokens: each user makes, names, lists and revokes their own, on a page
//! (`/account/tokens`) and through the API (`/api/v1/tokens`); the central
//! office lists and revokes everyone's (`/admin/tokens`, `/api/v1/admin/tokens`).
//! A token acts as its user, never wider: "read" tokens may only read, and
//! only a signed-in session makes tokens.

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiJson, AppError};
use crate::pages::{FieldErrors, PageCtx};
use crate::views::tokens::{AdminTokenLine, AllTokensPage, TokenForm, TokenLine, TokensPage};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use itas_core::directory::Role;
use itas_store::api_tokens::{Scope, Token};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/account/tokens", get(page).post(create_on_page))
        .route("/account/tokens/{id}/revoke", post(revoke_on_page))
        .route("/api/v1/tokens", get(list_api).post(create_api))
        .route("/api/v1/tokens/{id}", axum::routing::delete(revoke_api))
        .route("/admin/tokens", get(all_page))
        .route("/admin/tokens/{id}/revoke", post(revoke_any_on_page))
        .route("/api/v1/admin/tokens", get(all_api))
        .route(
            "/api/v1/admin/tokens/{id}",
            axum::routing::delete(revoke_any_api),
        )
}

/// How this request was signed in, for the rule that a token never makes tokens.
fn via(user: &CurrentUser) -> itas_app::tokens::Via {
    if user.token_scope.is_some() {
        itas_app::tokens::Via::Token
    } else {
        itas_app::tokens::Via::Session
    }
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
    let tokens = itas_app::tokens::mine(state, &user.actor())
        .await?
        .iter()
        .map(|t| token_line(&ctx, t, now))
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
    match itas_app::tokens::make(&state, &user.actor(), via(&user), &f.input()).await {
        Ok(made) => {
            render(
                &state,
                &user,
                Some(made.token),
                TokenForm::default(),
                FieldErrors::default(),
            )
            .await
        }
        Err(e) if !e.fields.is_empty() => {
            let errors = FieldErrors::of(&e.fields, user.lang);
            render(&state, &user, None, f, errors).await
        }
        Err(e) => Err(AppError::from(e).in_lang(user.lang)),
    }
}

async fn revoke_on_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    itas_app::tokens::revoke_mine(&state, &user.actor(), &id).await?;
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
    let tokens = itas_app::tokens::mine(&state, &user.actor())
        .await
        .map_err(|e| crate::routes::api::api(e, Some(&user)))?;
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

/// Makes a token for the caller, no wider than the caller, from a signed-in
/// session only: a token cannot make tokens. At most ten live tokens a user.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "account",
    request_body = NewToken,
    responses((status = 201, description = "Made; the token is in the answer, this once", body = CreatedToken)))]
pub(crate) async fn create_api(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(b): ApiJson<NewToken>,
) -> Result<Response, AppError> {
    let input = itas_app::tokens::NewToken {
        name: b.name,
        scope: Some(match b.scope {
            ScopeName::Read => Scope::Read,
            ScopeName::Write => Scope::Write,
        }),
        days: itas_app::collection::NumberInput::Number(
            b.days.map_or(itas_app::tokens::DEFAULT_DAYS, |d| d.0),
        ),
    };
    let itas_app::tokens::MadeToken {
        id,
        token,
        scope,
        days,
    } = itas_app::tokens::make(&state, &user.actor(), via(&user), &input)
        .await
        .map_err(|e| crate::error::api_error(e, user.lang))?;
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
    itas_app::tokens::revoke_mine(&state, &user.actor(), &id)
        .await
        .map_err(|e| crate::routes::api::api(e, Some(&user)))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Tokens a page of the central office's list shows.
const ADMIN_PAGE_SIZE: i64 = 100;

fn token_line(ctx: &PageCtx, t: &Token, now: i64) -> TokenLine {
    TokenLine {
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
        name: t.name.clone(),
        id: t.id.clone(),
    }
}

#[derive(serde::Deserialize)]
pub(crate) struct ListQuery {
    /// The page of the list, 1 first.
    page: Option<i64>,
}

/// Every user's tokens, for the central office: live ones first.
async fn all_page(
    State(state): State<AppState>,
    user: CurrentUser,
    axum::extract::Query(q): axum::extract::Query<ListQuery>,
) -> Result<Response, AppError> {
    all_page_with(&state, &user, q.page.unwrap_or(1), None).await
}

async fn all_page_with(
    state: &AppState,
    user: &CurrentUser,
    page: i64,
    notice: Option<String>,
) -> Result<Response, AppError> {
    user.require(Role::CentralAdmin)?;
    let ctx = PageCtx::for_user(user);
    let now = itas_store::now_ms();
    let total = itas_app::tokens::count_all(state, &user.actor()).await?;
    let pages = ((total + ADMIN_PAGE_SIZE - 1) / ADMIN_PAGE_SIZE).max(1);
    let page = page.clamp(1, pages);
    let page_of = itas_app::paging::Paging {
        limit: ADMIN_PAGE_SIZE,
        offset: (page - 1) * ADMIN_PAGE_SIZE,
    };
    let listed = itas_app::tokens::all(state, &user.actor(), page_of).await?;
    let tokens = listed
        .iter()
        .map(|l| AdminTokenLine {
            line: token_line(&ctx, &l.token, now),
            user: format!("{} ({})", l.display_name, l.username),
            calls: ctx.num(&l.calls_last_day.to_string()),
        })
        .collect();
    let page = AllTokensPage {
        total: ctx.num(&total.to_string()),
        ctx,
        tokens,
        page,
        pages,
        notice,
    };
    Ok((
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        Html(page.render()?),
    )
        .into_response())
}

async fn revoke_any_on_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    user.require(Role::CentralAdmin)?;
    itas_app::tokens::revoke_any(&state, &user.actor(), &id)
        .await
        .map_err(|e| AppError::from(e).in_lang(user.lang))?;
    let notice = user
        .lang
        .pick("เพิกถอนโทเคนแล้ว มีผลทันที", "Token revoked, at once")
        .to_string();
    all_page_with(&state, &user, 1, Some(notice)).await
}

/// A token as the central office sees it: whose, and how busy.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct ListedToken {
    #[serde(flatten)]
    token: TokenView,
    user_id: String,
    username: String,
    /// Calls in the last 24 hours (reads and writes).
    calls_last_day: i64,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct AllTokens {
    /// Tokens in all, of every state.
    total: i64,
    limit: i64,
    offset: i64,
    /// Live tokens first, then newest first.
    tokens: Vec<ListedToken>,
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct AllQuery {
    /// At most this many (1–1000, 100 if absent).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
    /// Skip this many first.
    #[param(minimum = 0)]
    offset: Option<i64>,
}

/// Every user's API tokens (never the tokens themselves), for the central
/// office after an incident.
#[utoipa::path(get, path = "/api/v1/admin/tokens", tag = "admin",
    params(AllQuery),
    responses((status = 200, description = "A page of tokens", body = AllTokens)))]
pub(crate) async fn all_api(
    State(state): State<AppState>,
    user: CurrentUser,
    axum::extract::Query(q): axum::extract::Query<AllQuery>,
) -> Result<Json<AllTokens>, AppError> {
    let json = |e: AppError| crate::routes::api::api(e, Some(&user));
    user.require(Role::CentralAdmin).map_err(json)?;
    let itas_app::paging::Paging { limit, offset } =
        itas_app::paging::Paging::new(q.limit, q.offset).map_err(|e| json(e.into()))?;
    let actor = user.actor();
    let (listed, total) = tokio::try_join!(
        itas_app::tokens::all(&state, &actor, itas_app::paging::Paging { limit, offset }),
        itas_app::tokens::count_all(&state, &actor),
    )
    .map_err(|e| json(e.into()))?;
    Ok(Json(AllTokens {
        total,
        limit,
        offset,
        tokens: listed
            .iter()
            .map(|l| ListedToken {
                token: TokenView::from(&l.token),
                user_id: l.token.user_id.clone(),
                username: l.username.clone(),
                calls_last_day: l.calls_last_day,
            })
            .collect(),
    }))
}

/// Revokes any user's token at once (audited under the central office).
#[utoipa::path(delete, path = "/api/v1/admin/tokens/{id}", tag = "admin",
    params(("id" = String, Path, description = "The token's id")),
    responses((status = 204, description = "Revoked")))]
pub(crate) async fn revoke_any_api(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    let json = |e: AppError| crate::routes::api::api(e, Some(&user));
    user.require(Role::CentralAdmin).map_err(json)?;
    itas_app::tokens::revoke_any(&state, &user.actor(), &id)
        .await
        .map_err(|e| json(e.into()))?;
    Ok(StatusCode::NO_CONTENT)
}
