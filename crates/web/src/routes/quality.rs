//! Data quality of a round's IIT/EIT answers, for the central office: the
//! agencies ranked by flags, each flag with its figures, the score with the
//! flagged part left out beside the plain one, and a decision (accept, or
//! exclude with a reason) that compute uses and the audit log keeps.
//! Flags come from aggregates only; nothing here can name a respondent.

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{AppError, ErrorCode};
use crate::pages::PageCtx;
use crate::views::quality::{QualityPage, Row};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use itas_core::directory::Role;
use itas_store::quality::Decision;

use std::collections::HashMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/rounds/{id}/quality", get(page))
        .route("/admin/rounds/{id}/quality/{agency}/{tool}", post(decide))
        .route("/api/v1/rounds/{round}/quality", get(api))
}

/// Flagged agency tools shown per page: each shows its score with the
/// flagged part left out, read from that agency's answers, and a national
/// round can flag a thousand (the counts above the list cover all).
const FLAGGED_PER_PAGE: usize = 50;

/// A decision form refused, with what was typed in it.
struct Refused {
    /// "agency/tool" of the form.
    key: String,
    message: String,
    decision: String,
    reason: String,
}

async fn view(
    state: &AppState,
    user: &CurrentUser,
    round_id: &str,
    refused: Option<Refused>,
    page: usize,
) -> Result<Response, AppError> {
    user.require(Role::CentralAdmin)?;
    let round = itas_app::quality::round(state, &user.actor(), round_id).await?;
    let fw = round.framework()?;
    let started = std::time::Instant::now();
    let decisions = itas_app::quality::decisions(state, round_id).await?;
    let all = itas_app::quality::flagged(state, round_id).await?;
    let flagged_ms = started.elapsed().as_millis() as u64;
    let clean = all.iter().filter(|(_, f)| f.is_empty()).count();
    let flagged: Vec<_> = all.into_iter().filter(|(_, f)| !f.is_empty()).collect();
    let flagged_total = flagged.len();
    let pages = flagged_total.div_ceil(FLAGGED_PER_PAGE).max(1);
    // A refused form is shown on the page that holds it.
    let page = refused
        .as_ref()
        .and_then(|r| {
            flagged
                .iter()
                .position(|(a, _)| format!("{}/{}", a.agency_id, a.tool) == r.key)
        })
        .map_or(page, |i| i / FLAGGED_PER_PAGE + 1)
        .clamp(1, pages);
    let mut rows = Vec::new();
    for (a, f) in flagged
        .into_iter()
        .skip((page - 1) * FLAGGED_PER_PAGE)
        .take(FLAGGED_PER_PAGE)
    {
        let (plain, excluded, remaining) =
            itas_app::quality::exclusion_effect(state, &fw, round_id, &a.agency_id, &a.tool)
                .await?;
        let show = |s: Option<itas_core::exact::Score>| {
            s.map_or("–".to_string(), |s| user_num(user, &s.to_string()))
        };
        let d = decisions.get(&(a.agency_id.clone(), a.tool.clone()));
        rows.push(Row {
            plain: show(plain),
            excluded: show(excluded),
            remaining,
            decision: d.map(|d| {
                user.lang
                    .pick(d.decision.name_th(), d.decision.code())
                    .to_string()
            }),
            reason: d.map(|d| d.reason.clone()).unwrap_or_default(),
            agency_id: a.agency_id,
            code: a.code,
            name: a.name_th,
            tool: a.tool,
            responses: a.aggregates.responses,
            population: a.aggregates.population,
            flags: f,
        });
    }
    tracing::info!(
        round = round_id,
        flagged = flagged_total,
        flags_ms = flagged_ms,
        page_ms = started.elapsed().as_millis() as u64,
        "data-quality page"
    );
    let codes_off = itas_app::quality::codes_turned_off(state, round_id).await?;
    let (error_for, error, kept_decision, kept_reason) = refused
        .map(|r| (r.key, r.message, r.decision, r.reason))
        .unwrap_or_default();
    let status = if error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = QualityPage {
        ctx: PageCtx::for_user(user),
        round_id: round.id,
        round_name: round.name,
        rows,
        flagged_total,
        page,
        pages,
        clean,
        codes_off,
        error_for,
        error,
        kept_decision,
        kept_reason,
    };
    Ok((status, Html(page.render()?)).into_response())
}

fn user_num(user: &CurrentUser, s: &str) -> String {
    match user.lang {
        crate::i18n::Lang::Th => itas_core::thai::thai_digits(s),
        crate::i18n::Lang::En => s.to_string(),
    }
}

#[derive(serde::Deserialize, Default)]
struct PageQuery {
    #[serde(default)]
    page: Option<usize>,
}

async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<PageQuery>,
) -> Result<Response, AppError> {
    view(&state, &user, &id, None, q.page.unwrap_or(1)).await
}

#[derive(serde::Deserialize)]
struct DecisionForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
    /// The list page the form was on, to return to.
    #[serde(default)]
    page: Option<usize>,
}

async fn decide(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, agency, tool)): Path<(String, String, String)>,
    Form(f): Form<DecisionForm>,
) -> Result<Response, AppError> {
    user.require(Role::CentralAdmin)?;
    let page = f.page.unwrap_or(1);
    let input = itas_app::quality::DecisionInput {
        decision: Decision::parse(&f.decision),
        reason: f.reason.clone(),
    };
    match itas_app::quality::decide(&state, &user.actor(), &id, &agency, &tool, &input).await {
        Ok(()) => {
            Ok(Redirect::to(&format!("/admin/rounds/{id}/quality?page={page}")).into_response())
        }
        Err(e) if !e.fields.is_empty() => {
            let refused = Refused {
                key: format!("{agency}/{tool}"),
                message: e.fields[0].message(user.lang).to_string(),
                decision: f.decision.clone(),
                reason: f.reason.clone(),
            };
            view(&state, &user, &id, Some(refused), page).await
        }
        Err(e) => Err(AppError::from(e).in_lang(user.lang)),
    }
}

/// One data-quality flag.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct FlagView {
    /// The flag's code (e.g. straight_lining, burst).
    kind: String,
    /// Where the answers were collected: IIT, EIT, or one part of a tool
    /// collected in parts (EIT.2).
    tool: String,
    /// What was seen, from aggregates only.
    detail: String,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct FlaggedAgency {
    agency_id: String,
    code: String,
    flags: Vec<FlagView>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct QualityReport {
    round_id: String,
    /// Every agency with at least one flag, by code.
    agencies: Vec<FlaggedAgency>,
}

/// Data-quality flags of a round's IIT/EIT answers, from aggregates only
/// (central office): every agency with at least one flag.
#[utoipa::path(get, path = "/api/v1/rounds/{round}/quality", tag = "quality",
    params(("round" = String, Path, description = "The round's id")),
    responses((status = 200, description = "The flags", body = QualityReport)))]
pub(crate) async fn api(
    State(state): State<AppState>,
    user: Result<CurrentUser, crate::auth::SignInRedirect>,
    Path(id): Path<String>,
) -> Result<Json<QualityReport>, AppError> {
    let user = user.map_err(|_| crate::routes::api::api(ErrorCode::NotSignedIn, None))?;
    let json = |e| crate::routes::api::api(e, Some(&user));
    user.require(Role::CentralAdmin).map_err(json)?;
    itas_app::quality::round(&state, &user.actor(), &id)
        .await
        .map_err(|e| json(e.into()))?;
    let rows = itas_app::quality::flagged(&state, &id)
        .await
        .map_err(|e| json(e.into()))?;
    let mut agencies: Vec<FlaggedAgency> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for (a, f) in rows.into_iter().filter(|(_, f)| !f.is_empty()) {
        let i = *index.entry(a.agency_id.clone()).or_insert_with(|| {
            agencies.push(FlaggedAgency {
                agency_id: a.agency_id.clone(),
                code: a.code.clone(),
                flags: vec![],
            });
            agencies.len() - 1
        });
        for flag in f {
            agencies[i].flags.push(FlagView {
                kind: flag.kind.code().to_string(),
                tool: a.tool.clone(),
                detail: flag.detail,
            });
        }
    }
    Ok(Json(QualityReport {
        round_id: id,
        agencies,
    }))
}
