//! A round's workflow as JSON, for scripts at the central office and for
//! ministries' dashboards: who takes part and how far each agency's surveys
//! have come against the minimum samples; computing the scores; publishing
//! and withdrawing the results. Each operation has the rights of its page.

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{AppError, ErrorCode, JsonInteger};
use crate::routes::api::api;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use itas_core::directory::Role;
use itas_store::rounds;
use serde::Serialize;
use utoipa::ToSchema;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/rounds", post(create_round))
        .route("/api/v1/rounds/{round}", get(round))
        .route("/api/v1/rounds/{round}/phases", put(set_phases))
        .route(
            "/api/v1/rounds/{round}/participants",
            get(participants).post(add_participants),
        )
        .route("/api/v1/rounds/{round}/populations", put(set_populations))
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
    itas_app::rounds::get(state, id)
        .await
        .map_err(|e| api(e, Some(user)))
}

fn central(user: &CurrentUser) -> Result<(), AppError> {
    user.require(Role::CentralAdmin)
        .map_err(|e| api(e, Some(user)))
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
/// admin its own, an assessor those assigned to them (in any round: the
/// rule of every page, docs/access.md). Counts only: nothing about any
/// respondent.
#[utoipa::path(get, path = "/api/v1/rounds/{round}/participants", tag = "rounds",
    params(("round" = String, Path, description = "The round's id"), PageQuery),
    responses((status = 200, description = "A page of participants", body = ParticipantList)))]
pub(crate) async fn participants(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<Json<ParticipantList>, AppError> {
    let itas_app::paging::Paging { limit, offset } =
        itas_app::paging::Paging::new(q.limit, q.offset).map_err(|e| api(e, Some(&user)))?;
    let round = round_of(&state, &user, &id).await?;
    let fw = round.framework().map_err(|e| api(e, Some(&user)))?;
    let rows = itas_app::participants::kept_participant_rows(&state, &id, &fw)
        .await
        .map_err(|e| api(e, Some(&user)))?;
    let visible = itas_app::access::visible_agencies(&state, &user.actor())
        .await
        .map_err(|e| api(e, Some(&user)))?;
    let mine: Vec<&itas_app::participants::ParticipantRow> = rows
        .iter()
        .filter(|r| visible.contains(&r.p.agency_id))
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
}

#[derive(Serialize, ToSchema)]
pub(crate) struct SurveyLinks {
    round: String,
    agency: String,
    links: Vec<SurveyLink>,
}

/// The caller's agency's survey links in a round, with responses against
/// the minimum samples and single-use codes (agency admin); never a score,
/// which the agency sees only once published (docs/privacy.md). A closed
/// round has none.
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
        .map_err(|e| api(e, Some(&user)))?;
    let agency_id = user
        .user
        .agency_id
        .clone()
        .ok_or_else(|| api(ErrorCode::Forbidden, Some(&user)))?;
    let round = round_of(&state, &user, &id).await?;
    let agency = itas_app::agencies::get(&state, &user.actor(), &agency_id)
        .await
        .map_err(|e| api(e, Some(&user)))?;
    let participation = itas_app::rounds::participation(&state, &id, &agency_id)
        .await
        .map_err(|e| api(e, Some(&user)))?;
    let closed = matches!(
        itas_app::rounds::standing(&state, &id)
            .await
            .map_err(|e| api(e, Some(&user)))?
            .state,
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
        // A part the central office collects is listed once its count may be
        // shown, and never with a link.
        links: tools
            .into_iter()
            .filter(|t| !t.count_hidden)
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
    let run = itas_app::rounds::compute(&state, &user.actor(), &id)
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
    let round = if publish {
        crate::routes::dashboard::publish(state, user, id).await
    } else {
        itas_app::rounds::withdraw(state, &user.actor(), id)
            .await
            .map_err(AppError::from)
    }
    .map_err(|e| api(e, Some(user)))?;
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

/// One phase's dates (both days included, Bangkok calendar).
#[derive(Serialize, serde::Deserialize, ToSchema)]
pub(crate) struct PhaseBody {
    /// setup, collection, review1, revision, review2, publication or follow_up.
    #[schema(pattern = "^(setup|collection|review1|revision|review2|publication|follow_up)$")]
    phase: String,
    /// YYYY-MM-DD (Gregorian).
    #[schema(format = Date)]
    starts_on: String,
    #[schema(format = Date)]
    ends_on: String,
}

/// A round with its phases and where it stands today.
#[derive(Serialize, ToSchema)]
pub(crate) struct RoundDetail {
    round: crate::routes::api::RoundView,
    /// not_started, in, between (after `phase`, before the next) or closed.
    state: String,
    /// The phase it is in, or the last one it finished when between two.
    phase: Option<String>,
    phases: Vec<PhaseBody>,
}

async fn round_detail(
    state: &AppState,
    user: &CurrentUser,
    round: rounds::Round,
) -> Result<RoundDetail, AppError> {
    let itas_app::rounds::Standing {
        round,
        phases,
        state: round_state,
    } = itas_app::rounds::standing(state, &round.id)
        .await
        .map_err(|e| api(e, Some(user)))?;
    let (st, phase) = match round_state {
        rounds::RoundState::NotStarted => ("not_started", None),
        rounds::RoundState::In(p) => ("in", Some(p.code().to_string())),
        rounds::RoundState::Between(p) => ("between", Some(p.code().to_string())),
        rounds::RoundState::Closed => ("closed", None),
    };
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    let day = |d: time::Date| d.format(fmt).unwrap_or_default();
    Ok(RoundDetail {
        round: round.into(),
        state: st.to_string(),
        phase,
        phases: phases
            .into_iter()
            .map(|p| PhaseBody {
                phase: p.phase.code().to_string(),
                starts_on: day(p.starts_on),
                ends_on: day(p.ends_on),
            })
            .collect(),
    })
}

/// The phases of a body as the action reads them.
fn phase_inputs(body: Vec<PhaseBody>) -> Vec<itas_app::rounds::PhaseInput> {
    body.into_iter()
        .map(|p| itas_app::rounds::PhaseInput {
            phase: p.phase,
            starts_on: p.starts_on,
            ends_on: p.ends_on,
        })
        .collect()
}

/// One round with its phases (anyone signed in, as the round list).
#[utoipa::path(get, path = "/api/v1/rounds/{round}", tag = "rounds",
    params(("round" = String, Path, description = "The round's id")),
    responses((status = 200, description = "The round", body = RoundDetail)))]
pub(crate) async fn round(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<RoundDetail>, AppError> {
    let round = round_of(&state, &user, &id).await?;
    Ok(Json(round_detail(&state, &user, round).await?))
}

/// A new round.
#[derive(serde::Deserialize, ToSchema)]
pub(crate) struct NewRound {
    /// Unique among rounds, e.g. "ITA 2570".
    #[schema(min_length = 1)]
    name: String,
    /// Buddhist era (2400–2800); the framework's own year if absent.
    #[schema(value_type = Option<i64>, minimum = 2400, maximum = 2800)]
    fiscal_year: Option<JsonInteger>,
    /// An embedded framework's code (ita-2564 … ita-2569), unless
    /// `framework_toml` is given.
    framework: Option<String>,
    /// A framework file's text (TOML), as on the new-round page.
    framework_toml: Option<String>,
    #[serde(default, deserialize_with = "crate::error::objects")]
    phases: Vec<PhaseBody>,
}

/// Opens a round from a framework (central office; audited), as the
/// new-round page does.
#[utoipa::path(post, path = "/api/v1/rounds", tag = "rounds",
    request_body = NewRound,
    responses((status = 201, description = "The round", body = RoundDetail)))]
pub(crate) async fn create_round(
    State(state): State<AppState>,
    user: CurrentUser,
    crate::error::ApiJson(b): crate::error::ApiJson<NewRound>,
) -> Result<(axum::http::StatusCode, Json<RoundDetail>), AppError> {
    central(&user)?;
    let framework = match (b.framework_toml, b.framework) {
        (Some(toml), _) if !toml.trim().is_empty() => itas_app::rounds::FrameworkChoice::Toml(toml),
        (_, code) => itas_app::rounds::FrameworkChoice::Embedded(code.unwrap_or_default()),
    };
    let input = itas_app::rounds::NewRound {
        name: b.name,
        fiscal_year: b
            .fiscal_year
            .map(|y| itas_app::collection::NumberInput::Number(y.0)),
        framework,
        phases: phase_inputs(b.phases),
    };
    let round = itas_app::rounds::create(&state, &user.actor(), &input)
        .await
        .map_err(|e| api(e, Some(&user)))?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(round_detail(&state, &user, round).await?),
    ))
}

#[derive(serde::Deserialize, ToSchema)]
pub(crate) struct Phases {
    /// Every phase the round has, in order; those left out are removed.
    #[serde(deserialize_with = "crate::error::objects")]
    phases: Vec<PhaseBody>,
}

/// Sets a round's phase dates (central office; audited), as the round page does.
#[utoipa::path(put, path = "/api/v1/rounds/{round}/phases", tag = "rounds",
    params(("round" = String, Path, description = "The round's id")),
    request_body = Phases,
    responses((status = 200, description = "The round", body = RoundDetail)))]
pub(crate) async fn set_phases(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    crate::error::ApiJson(b): crate::error::ApiJson<Phases>,
) -> Result<Json<RoundDetail>, AppError> {
    central(&user)?;
    itas_app::rounds::set_phases(&state, &user.actor(), &id, &phase_inputs(b.phases))
        .await
        .map_err(|e| api(e, Some(&user)))?;
    let round = round_of(&state, &user, &id).await?;
    Ok(Json(round_detail(&state, &user, round).await?))
}

/// Agencies to add to a round.
#[derive(serde::Deserialize, ToSchema)]
pub(crate) struct Joining {
    /// Agency codes from the directory.
    #[serde(default)]
    codes: Vec<String>,
    /// Every agency in the directory instead.
    #[serde(default)]
    all: bool,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct Joined {
    /// Agencies added now (those already taking part are not counted).
    added: usize,
    /// The round's participants after it.
    participants: i64,
}

/// Adds agencies to a round (central office; audited). An unknown code adds
/// nothing and is named in the error, as on the round page.
#[utoipa::path(post, path = "/api/v1/rounds/{round}/participants", tag = "rounds",
    params(("round" = String, Path, description = "The round's id")),
    request_body = Joining,
    responses((status = 200, description = "Added", body = Joined)))]
pub(crate) async fn add_participants(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    crate::error::ApiJson(b): crate::error::ApiJson<Joining>,
) -> Result<Json<Joined>, AppError> {
    central(&user)?;
    let joining = itas_app::rounds::Joining {
        codes: b.codes,
        all: b.all,
    };
    let (added, participants) = itas_app::rounds::join(&state, &user.actor(), &id, &joining)
        .await
        .map_err(|e| api(e, Some(&user)))?;
    Ok(Json(Joined {
        added,
        participants,
    }))
}

/// An agency's populations, which set its minimum samples.
#[derive(Serialize, serde::Deserialize, ToSchema)]
pub(crate) struct Populations {
    /// Staff (the IIT's population).
    #[schema(value_type = i64, minimum = 0, maximum = 10_000_000)]
    iit_population: JsonInteger,
    /// People served in the fiscal year (the EIT's).
    #[schema(value_type = i64, minimum = 0, maximum = 100_000_000)]
    eit_population: JsonInteger,
}

/// Sets the caller's agency's populations for a round (agency admin, during
/// setup and collection; audited), as the agency page does.
#[utoipa::path(put, path = "/api/v1/rounds/{round}/populations", tag = "rounds",
    params(("round" = String, Path, description = "The round's id")),
    request_body = Populations,
    responses((status = 200, description = "Saved", body = Populations)))]
pub(crate) async fn set_populations(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    crate::error::ApiJson(b): crate::error::ApiJson<Populations>,
) -> Result<Json<Populations>, AppError> {
    use itas_app::collection::{NumberInput, Populations as Input};
    user.require(Role::AgencyAdmin)
        .map_err(|e| api(e, Some(&user)))?;
    let input = Input {
        iit_population: NumberInput::Number(b.iit_population.0),
        eit_population: NumberInput::Number(b.eit_population.0),
    };
    itas_app::collection::set_populations(&state, &user.actor(), &id, &input)
        .await
        .map_err(|e| api(e, Some(&user)))?;
    Ok(Json(b))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_phase_pattern_names_every_phase() {
        let codes: Vec<&str> = itas_core::directory::Phase::ALL
            .iter()
            .map(|p| p.code())
            .collect();
        // The pattern of `PhaseBody::phase` (a literal in its attribute).
        assert_eq!(
            "^(setup|collection|review1|revision|review2|publication|follow_up)$",
            format!("^({})$", codes.join("|")),
            "the schema's pattern lists the phases in order"
        );
    }
}
