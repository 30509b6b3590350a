//! The assessor's home: agencies assigned to them, per round, with how far
//! each OIT review has come (the queue).

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::pages::PageCtx;
use crate::views::assessor::AssessorPage;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Html;
use axum::routing::get;
use itas_core::directory::Role;

pub fn routes() -> Router<AppState> {
    Router::new().route("/assessor", get(home))
}

/// "submitted · decided 12 / 43", or "not submitted".
fn progress(ctx: &PageCtx, p: &itas_app::oit::ReviewProgress) -> String {
    if !p.submitted {
        return ctx.pick("ยังไม่ส่ง OIT", "OIT not submitted").to_string();
    }
    format!(
        "{} · {} {} / {}",
        ctx.pick("ส่งแล้ว", "submitted"),
        ctx.pick("ตัดสินแล้ว", "decided"),
        ctx.num(&p.decided.to_string()),
        ctx.num(&p.items.to_string())
    )
}

async fn home(State(state): State<AppState>, user: CurrentUser) -> Result<Html<String>, AppError> {
    user.require(Role::Assessor)?;
    let ctx = PageCtx::for_user(&user);
    let rounds = itas_app::oit::review_queue(&state, &user.actor())
        .await?
        .into_iter()
        .map(|(r, queue)| {
            let queue = queue
                .into_iter()
                .map(|(a, p)| {
                    let text = progress(&ctx, &p);
                    (a, text)
                })
                .collect();
            (r, queue)
        })
        .collect();
    Ok(Html(AssessorPage { ctx, rounds }.render()?))
}
