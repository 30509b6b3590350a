//! A round's workflow as JSON, for scripts at the central office and for
//! ministries' dashboards: who takes part and how far each agency's surveys
//! have come against the minimum samples; computing the scores; publishing
//! and withdrawing the results. Each operation has the rights of its page.

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{AppError, ErrorCode};
use crate::routes::api::api;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use itas_core::directory::Role;
use itas_store::rounds;
use serde::Serialize;
use utoipa::ToSchema;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/rounds/{round}/participants", get(participants))
        .route("/api/v1/rounds/{round}/links", get(links))
        .route("/api/v1/rounds/{round}/compute", post(compute))
        .route("/api/v1/rounds/{round}/publish", post(publish))
        .route("/api/v1/rounds/{round}/withdraw", post(withdraw))
}

async fn round_of(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
) -> Result<rounds::Round, AppError> {
    rounds::get(&state.db, id)
        .await
        .map_err(|e| api(e, Some(user)))?
        .ok_or_else(|| api(ErrorCode::NotFound, Some(user)))
}

fn central(user: &CurrentUser) -> Result<(), AppError> {
    user.require(Role::CentralAdmin)
        .map_err(|e| e.as_json().in_lang(user.lang))
}

/// One survey tool's responses so far against its minimum sample.
#[derive(Serialize, ToSchema)]
pub(crate) struct ToolCount {
    /// IIT or EIT (or the framework's survey tool code).
    tool: String,
    responses: i64,
    /// The minimum sample for this agency's kind, size and population.
    minimum: u32,
    /// Fewer responses than the minimum, or no population given yet.
    behind: bool,
}

/// An agency taking part in a round.
#[derive(Serialize, ToSchema)]
pub(crate) struct ParticipantView {
    agency_id: String,
    code: String,
    name_th: String,
    kind: String,
    province: String,
    parent_id: Option<String>,
    /// Staff (IIT) and people served (EIT) as the agency gave them; 0 until given.
    iit_population: i64,
    eit_population: i64,
    /// The size class the framework's minimum samples depend on; empty if none.
    size: String,
    tools: Vec<ToolCount>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ParticipantList {
    /// Participants the caller may see, in all.
    total: usize,
    /// How many of them are behind on at least one survey.
    behind: usize,
    /// This page of them, by agency code.
    participants: Vec<ParticipantView>,
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct PageQuery {
    /// At most this many (1–1000, 100 if absent).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
    /// Skip this many first.
    #[param(minimum = 0)]
    offset: Option<i64>,
    /// Only those behind on at least one survey.
    behind: Option<bool>,
}

/// A round's participants with each survey's responses against the minimum
/// sample, a page at a time: the central office sees every agency, an agency
/// admin its own, an assessor those assigned to them in this round. Counts
/// only: nothing about any respondent.
#[utoipa::path(get, path = "/api/v1/rounds/{round}/participants", tag = "rounds",
    params(("round" = String, Path, description = "The round's id"), PageQuery),
    responses((status = 200, description = "A page of participants", body = ParticipantList)))]
pub(crate) async fn participants(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Json<ParticipantList>, AppError> {
    let limit = q.limit.unwrap_or(100);
    let offset = q.offset.unwrap_or(0);
    if !(1..=1000).contains(&limit) || offset < 0 {
        return Err(api(
            AppError::new(ErrorCode::Invalid).detail("limit 1–1000, offset ≥ 0"),
            Some(&user),
        ));
    }
    let round = round_of(&state, &user, &id).await?;
    let fw = round.framework().map_err(|e| api(e, Some(&user)))?;
    let rows = state
        .caches
        .participants
        .get_or_compute(&id, rounds::participants_generation(), || {
            crate::routes::admin::participant_rows(&state, &id, &fw)
        })
        .await
        .map_err(|e| api(e, Some(&user)))?;
    let visible: Option<std::collections::HashSet<String>> = match user.role {
        Role::CentralAdmin => None,
        Role::AgencyAdmin => Some(user.user.agency_id.iter().cloned().collect()),
        Role::Assessor => Some(
            itas_store::assignments::agencies_of(&state.db, &id, user.id())
                .await
                .map_err(|e| api(e, Some(&user)))?
                .into_iter()
                .map(|a| a.id)
                .collect(),
        ),
    };
    let mine: Vec<&crate::routes::admin::ParticipantRow> = rows
        .iter()
        .filter(|r| visible.as_ref().is_none_or(|v| v.contains(&r.p.agency_id)))
        .collect();
    let behind = mine.iter().filter(|r| r.behind()).count();
    let chosen: Vec<_> = mine
        .into_iter()
        .filter(|r| q.behind.is_none_or(|b| r.behind() == b))
        .collect();
    let total = chosen.len();
    let participants = chosen
        .into_iter()
        .skip(offset as usize)
        .take(limit as usize)
        .map(|r| ParticipantView {
            agency_id: r.p.agency_id.clone(),
            code: r.p.code.clone(),
            name_th: r.p.name_th.clone(),
            kind: r.p.kind.clone(),
            province: r.p.province.clone(),
            parent_id: r.p.parent_id.clone(),
            iit_population: r.p.iit_population,
            eit_population: r.p.eit_population,
            size: r.p.size.clone(),
            tools: r
                .tools
                .iter()
                .map(|(tool, responses, minimum, behind)| ToolCount {
                    tool: tool.clone(),
                    responses: *responses,
                    minimum: *minimum,
                    behind: *behind,
                })
                .collect(),
        })
        .collect();
    Ok(Json(ParticipantList {
        total,
        behind,
        participants,
    }))
}

/// A provisional indicator score from the answers so far.
#[derive(Serialize, ToSchema)]
pub(crate) struct ProvisionalScore {
    indicator: u32,
    name: String,
    /// As the page shows it (two decimals).
    score: String,
}

/// One survey's link and how far it has come.
#[derive(Serialize, ToSchema)]
pub(crate) struct SurveyLink {
    /// IIT or EIT.
    tool: String,
    name: String,
    /// The address respondents open (also behind the QR poster).
    url: String,
    responses: i64,
    /// The minimum sample; null until the population is given.
    minimum: Option<u32>,
    behind: bool,
    /// Respondents need a single-use code.
    require_code: bool,
    codes_issued: i64,
    codes_used: i64,
    /// More IIT responses than the stated staff: not counted until the
    /// central office decides.
    over_population: bool,
    /// Scores so far, only once enough responses exist that no one can be
    /// singled out (otherwise empty and null).
    provisional: Vec<ProvisionalScore>,
    tool_score: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct SurveyLinks {
    round: String,
    agency: String,
    links: Vec<SurveyLink>,
}

/// The caller's agency's survey links in a round, with responses against
/// the minimum samples, single-use codes, and provisional scores once enough
/// answers protect everyone's anonymity (agency admin). A closed round has none.
#[utoipa::path(get, path = "/api/v1/rounds/{round}/links", tag = "rounds",
    params(("round" = String, Path, description = "The round's id")),
    responses((status = 200, description = "The links", body = SurveyLinks)))]
pub(crate) async fn links(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: axum::http::HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<SurveyLinks>, AppError> {
    user.require(Role::AgencyAdmin)
        .map_err(|e| e.as_json().in_lang(user.lang))?;
    let agency_id = user
        .user
        .agency_id
        .clone()
        .ok_or_else(|| api(ErrorCode::Forbidden, Some(&user)))?;
    let round = round_of(&state, &user, &id).await?;
    let agency = itas_store::agencies::get(&state.db, &agency_id)
        .await
        .map_err(|e| api(e, Some(&user)))?
        .ok_or_else(|| api(ErrorCode::NotFound, Some(&user)))?;
    let participation = rounds::participation(&state.db, &id, &agency_id)
        .await
        .map_err(|e| api(e, Some(&user)))?
        .ok_or_else(|| api(ErrorCode::NotFound, Some(&user)))?;
    let phases = rounds::phases(&state.db, &id)
        .await
        .map_err(|e| api(e, Some(&user)))?;
    let closed = matches!(
        rounds::state_on(&phases, crate::today()),
        rounds::RoundState::Closed
    );
    let fw = round.framework().map_err(|e| api(e, Some(&user)))?;
    let ctx = crate::pages::PageCtx::for_user(&user);
    let base = crate::routes::agency::base_url(&state, &headers);
    let tools = if closed {
        Vec::new()
    } else {
        crate::routes::agency::collection(&state, &ctx, &base, &fw, &agency.kind, &participation)
            .await
            .map_err(|e| api(e, Some(&user)))?
    };
    Ok(Json(SurveyLinks {
        round: round.id,
        agency: agency_id,
        links: tools
            .into_iter()
            .map(|t| SurveyLink {
                tool: t.tool,
                name: t.name,
                url: t.url,
                responses: t.count,
                minimum: t.min,
                behind: t.behind,
                require_code: t.require_code,
                codes_issued: t.codes_issued,
                codes_used: t.codes_used,
                over_population: t.over_population,
                provisional: t
                    .provisional
                    .into_iter()
                    .map(|(indicator, name, score)| ProvisionalScore {
                        indicator,
                        name,
                        score,
                    })
                    .collect(),
                tool_score: t.tool_score,
            })
            .collect(),
    }))
}

/// An agency whose scores could not be computed, and why.
#[derive(Serialize, ToSchema)]
pub(crate) struct SkippedAgency {
    code: String,
    /// oit_review_incomplete, over_population or no_responses.
    reason: String,
    /// The reason in the caller's language.
    message: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ComputeReport {
    /// Agencies whose indicator scores were computed and stored.
    computed: usize,
    skipped: Vec<SkippedAgency>,
}

/// Computes every participant's indicator scores from the survey tallies and
/// the assessors' OIT decisions, as the round page's button does (central
/// office). Published results change only when computed again.
#[utoipa::path(post, path = "/api/v1/rounds/{round}/compute", tag = "rounds",
    params(("round" = String, Path, description = "The round's id")),
    responses((status = 200, description = "What was computed", body = ComputeReport)))]
pub(crate) async fn compute(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<ComputeReport>, AppError> {
    central(&user)?;
    let round = round_of(&state, &user, &id).await?;
    let run = crate::scoring_run::compute_round(&state, user.id(), &round)
        .await
        .map_err(|e| api(e, Some(&user)))?;
    Ok(Json(ComputeReport {
        computed: run.computed,
        skipped: run
            .skipped
            .into_iter()
            .map(|(code, why)| SkippedAgency {
                code,
                reason: why.code().to_string(),
                message: why.text(user.lang),
            })
            .collect(),
    }))
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Publication {
    round: String,
    /// When the results were published (milliseconds since 1970, UTC); null
    /// once withdrawn.
    published_at: Option<i64>,
}

async fn set_publication(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    publish: bool,
) -> Result<Json<Publication>, AppError> {
    central(user)?;
    round_of(state, user, id).await?;
    let result = if publish {
        crate::published::publish(state, user.id(), id).await
    } else {
        rounds::withdraw(&state.db, Some(user.id()), id).await
    };
    result.map_err(|e| api(e, Some(user)))?;
    let round = round_of(state, user, id).await?;
    Ok(Json(Publication {
        round: round.id,
        published_at: round.published_at,
    }))
}

/// Publishes the round's results: the public sees them from the
/// publication phase on (central office; audited).
#[utoipa::path(post, path = "/api/v1/rounds/{round}/publish", tag = "rounds",
    params(("round" = String, Path, description = "The round's id")),
    responses((status = 200, description = "Published", body = Publication)))]
pub(crate) async fn publish(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Publication>, AppError> {
    set_publication(&state, &user, &id, true).await
}

/// Takes the round's results out of public view again (central office; audited).
#[utoipa::path(post, path = "/api/v1/rounds/{round}/withdraw", tag = "rounds",
    params(("round" = String, Path, description = "The round's id")),
    responses((status = 200, description = "Withdrawn", body = Publication)))]
pub(crate) async fn withdraw(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<Publication>, AppError> {
    set_publication(&state, &user, &id, false).await
}
