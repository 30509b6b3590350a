//! The assessor's home: agencies assigned to them, per round, with how far
//! each OIT review has come (the queue).

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
    rounds: Vec<(Round, Vec<(Agency, String)>)>,
}

/// "submitted · decided 12 / 43", or "not submitted".
async fn progress(
    state: &AppState,
    ctx: &PageCtx,
    round: &Round,
    agency_id: &str,
) -> Result<String, AppError> {
    if itas_store::oit::submitted_at(&state.db, agency_id, &round.id)
        .await?
        .is_none()
    {
        return Ok(ctx.pick("ยังไม่ส่ง OIT", "OIT not submitted").to_string());
    }
    let total = round.framework()?.checklist_items().count();
    let decisions: Vec<itas_core::oit::Decision> =
        itas_store::oit::decisions(&state.db, agency_id, &round.id)
            .await?
            .iter()
            .map(itas_store::oit::StoredDecision::decision)
            .collect();
    let decided = itas_core::oit::final_results(&decisions).len();
    Ok(format!(
        "{} · {} {} / {}",
        ctx.pick("ส่งแล้ว", "submitted"),
        ctx.pick("ตัดสินแล้ว", "decided"),
        ctx.num(&decided.to_string()),
        ctx.num(&total.to_string())
    ))
}

async fn home(State(state): State<AppState>, user: CurrentUser) -> Result<Html<String>, AppError> {
    user.require(Role::Assessor)?;
    let mut rounds = Vec::new();
    for r in itas_store::rounds::list(&state.db).await? {
        let agencies = itas_store::assignments::agencies_of(&state.db, &r.id, user.id()).await?;
        if !agencies.is_empty() {
            let ctx = PageCtx::for_user(&user);
            let mut queue = Vec::new();
            for a in agencies {
                let p = progress(&state, &ctx, &r, &a.id).await?;
                queue.push((a, p));
            }
            rounds.push((r, queue));
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
