//! The central office's own survey parts (the EIT's part 2): the list of
//! agencies with each part's count, and one agency's session page (its link,
//! its QR code and the count as it rises). Rules are `itas_app::central_parts`'.

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::pages::PageCtx;
use crate::views::central_parts::{PartSessionPage, PartsPage};
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/rounds/{id}/parts", get(list))
        .route("/admin/rounds/{id}/parts/{key}/{agency}", get(session))
        .route(
            "/admin/rounds/{id}/parts/{key}/{agency}/rotate",
            post(rotate),
        )
}

#[derive(Deserialize, Default)]
struct Search {
    #[serde(default)]
    q: String,
    #[serde(default)]
    offset: usize,
}

async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Query(s): Query<Search>,
) -> Result<Html<String>, AppError> {
    let list = itas_app::central_parts::list(&state, &user.actor(), &id, &s.q, s.offset).await?;
    let ctx = PageCtx::for_user(&user);
    let next = (s.offset + itas_app::central_parts::PAGE < list.matching)
        .then(|| s.offset + itas_app::central_parts::PAGE);
    Ok(Html(
        PartsPage {
            parts: list
                .parts
                .iter()
                .map(|p| (p.key.clone(), ctx.pick(&p.name_th, &p.name_en).to_string()))
                .collect(),
            agencies: list.agencies,
            matching: ctx.num(&list.matching.to_string()),
            collecting: list.collecting,
            round: list.round,
            q: s.q,
            next,
            ctx,
        }
        .render()?,
    ))
}

async fn session(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path((id, key, agency)): Path<(String, String, String)>,
) -> Result<Response, AppError> {
    let s = itas_app::central_parts::session(&state, &user.actor(), &id, &key, &agency).await?;
    let ctx = PageCtx::for_user(&user);
    let url = s.link_code.as_ref().map(|code| {
        format!(
            "{}/s/{code}",
            crate::routes::agency::base_url(&state, &headers)
        )
    });
    let page = PartSessionPage {
        qr_svg: url
            .as_ref()
            .map(|u| crate::qr::svg(u, 320))
            .unwrap_or_default(),
        url,
        part: ctx.pick(&s.part.name_th, &s.part.name_en).to_string(),
        agency: ctx.pick(&s.agency_th, &s.agency_en).to_string(),
        count: ctx.num(&s.count.to_string()),
        collecting: s.collecting,
        key: s.part.key,
        agency_id: s.agency_id,
        round: s.round,
        ctx,
    };
    // The page reloads itself for the live count; it must never be served
    // from a cache.
    Ok((
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        Html(page.render()?),
    )
        .into_response())
}

async fn rotate(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, key, agency)): Path<(String, String, String)>,
) -> Result<Redirect, AppError> {
    itas_app::central_parts::rotate(&state, &user.actor(), &id, &key, &agency).await?;
    Ok(Redirect::to(&format!(
        "/admin/rounds/{id}/parts/{key}/{agency}"
    )))
}
