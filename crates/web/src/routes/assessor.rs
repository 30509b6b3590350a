//! The assessor's home: agencies assigned to them, per round.

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::pages::PageCtx;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Html;
use axum::routing::get;
use itas_core::directory::Role;
use itas_store::agencies::Agency;
use itas_store::rounds::Round;

pub fn routes() -> Router<AppState> {
    Router::new().route("/assessor", get(home))
}

#[derive(Template)]
#[template(path = "assessor_home.html")]
struct AssessorPage {
    ctx: PageCtx,
    rounds: Vec<(Round, Vec<Agency>)>,
}

async fn home(State(state): State<AppState>, user: CurrentUser) -> Result<Html<String>, AppError> {
    user.require(Role::Assessor)?;
    let mut rounds = Vec::new();
    for r in itas_store::rounds::list(&state.db).await? {
        let agencies = itas_store::assignments::agencies_of(&state.db, &r.id, user.id()).await?;
        if !agencies.is_empty() {
            rounds.push((r, agencies));
        }
    }
    Ok(Html(
        AssessorPage {
            ctx: PageCtx::for_user(&user),
            rounds,
        }
        .render()?,
    ))
}
