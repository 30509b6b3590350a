//! Agency pages: the agency admin's home and an agency's page, scoped so an
//! agency admin sees only their own agency and an assessor only assigned ones.

use crate::AppState;
use crate::auth::{CurrentUser, may_see_agency};
use crate::error::{AppError, ErrorCode};
use crate::pages::{FieldErrors, PageCtx};
use crate::routes::admin::state_text;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use itas_core::analysis::analyse;
use itas_core::directory::{Phase, Role};
use itas_core::framework::Framework;
use itas_core::scoring::{Inputs, score};
use itas_store::agencies::Agency;
use itas_store::rounds::{self, Participation, Round, RoundState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/agency", get(home))
        .route("/agency/rounds/{round}/populations", post(set_populations))
        .route("/agencies/{id}", get(agency_page))
}

/// One indicator row of a results table.
pub struct IndicatorRow {
    pub number: u32,
    pub name: String,
    pub tool: String,
    pub score: String,
    pub below: bool,
}

/// An agency's published results, computed by the engine from stored scores.
pub struct ScoreView {
    pub rows: Vec<IndicatorRow>,
    pub tools: Vec<(String, String, String)>,
    pub overall: String,
    pub level: String,
}

pub fn score_view(
    ctx: &PageCtx,
    fw: &Framework,
    given: std::collections::BTreeMap<u32, itas_core::Score>,
) -> Option<ScoreView> {
    if given.len() != fw.indicators.len() {
        return None;
    }
    let card = score(
        fw,
        &Inputs {
            given,
            ..Default::default()
        },
    )
    .ok()?;
    let a = analyse(fw, &card);
    let rows = fw
        .indicators
        .iter()
        .map(|i| IndicatorRow {
            number: i.number,
            name: ctx.pick(&i.name_th, &i.name_en).to_string(),
            tool: i.tool.clone(),
            score: ctx.num(&card.indicators[&i.number].to_string()),
            below: a.below_pass.contains(&i.number),
        })
        .collect();
    let tools = fw
        .tools
        .iter()
        .map(|t| {
            (
                t.code.clone(),
                ctx.pick(&t.name_th, &t.name_en).to_string(),
                ctx.num(&card.tools[&t.code].to_string()),
            )
        })
        .collect();
    Some(ScoreView {
        rows,
        tools,
        overall: ctx.num(&card.overall.to_string()),
        level: card.level,
    })
}

fn today() -> time::Date {
    time::OffsetDateTime::now_utc()
        .to_offset(time::macros::offset!(+7))
        .date()
}

/// Whether an agency may still change what collection depends on.
fn collection_open(st: RoundState) -> bool {
    matches!(
        st,
        RoundState::NotStarted | RoundState::In(Phase::Setup | Phase::Collection)
    )
}

/// An agency's standing in one round.
pub struct RoundCard {
    pub round: Round,
    /// Populations can be changed only before and during collection.
    pub open: bool,
    pub state: String,
    pub todo: String,
    pub participation: Participation,
    pub min_iit: Option<u32>,
    pub min_eit: Option<u32>,
    pub scores: Option<ScoreView>,
}

async fn round_cards(
    state: &AppState,
    ctx: &PageCtx,
    agency_id: &str,
) -> Result<Vec<RoundCard>, AppError> {
    let today = time::OffsetDateTime::now_utc()
        .to_offset(time::macros::offset!(+7))
        .date();
    let mut out = Vec::new();
    for round in rounds::rounds_of_agency(&state.db, agency_id).await? {
        let fw = round.framework()?;
        let phases = rounds::phases(&state.db, &round.id).await?;
        let st = rounds::state_on(&phases, today);
        let todo = match st {
            RoundState::In(p) => ctx.pick(p.agency_todo_th(), p.name_en()).to_string(),
            _ => String::new(),
        };
        let participation = rounds::participation(&state.db, &round.id, agency_id)
            .await?
            .ok_or(ErrorCode::NotFound)?;
        let min = |code: &str, population: i64| {
            fw.tool(code)
                .and_then(|t| t.min_sample)
                .map(|m| m.required(u32::try_from(population).unwrap_or(0)))
        };
        let scores = score_view(
            ctx,
            &fw,
            rounds::indicator_scores(&state.db, &round.id, agency_id).await?,
        );
        out.push(RoundCard {
            open: collection_open(st),
            state: state_text(ctx, st),
            todo,
            min_iit: min("IIT", participation.iit_population),
            min_eit: min("EIT", participation.eit_population),
            participation,
            scores,
            round,
        });
    }
    Ok(out)
}

#[derive(Template)]
#[template(path = "agency_home.html")]
struct AgencyPage {
    ctx: PageCtx,
    agency: Agency,
    parent: Option<Agency>,
    rounds: Vec<RoundCard>,
    editable: bool,
    errors: FieldErrors,
}

async fn page(
    state: &AppState,
    user: &CurrentUser,
    agency_id: &str,
    notice: Option<String>,
    errors: FieldErrors,
) -> Result<Response, AppError> {
    if !may_see_agency(state, user, agency_id).await? {
        return Err(AppError::new(ErrorCode::Forbidden).in_lang(user.lang));
    }
    let agency = itas_store::agencies::get(&state.db, agency_id)
        .await?
        .ok_or(ErrorCode::NotFound)?;
    let parent = match &agency.parent_id {
        Some(p) => itas_store::agencies::get(&state.db, p).await?,
        None => None,
    };
    let mut ctx = PageCtx::for_user(user);
    ctx.notice = notice;
    let rounds = round_cards(state, &ctx, agency_id).await?;
    let editable = user.role == Role::AgencyAdmin;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((
        status,
        Html(
            AgencyPage {
                ctx,
                agency,
                parent,
                rounds,
                editable,
                errors,
            }
            .render()?,
        ),
    )
        .into_response())
}

fn own_agency(user: &CurrentUser) -> Result<String, AppError> {
    user.require(Role::AgencyAdmin)?;
    user.user
        .agency_id
        .clone()
        .ok_or_else(|| AppError::new(ErrorCode::Forbidden).in_lang(user.lang))
}

async fn home(State(state): State<AppState>, user: CurrentUser) -> Result<Response, AppError> {
    let agency_id = own_agency(&user)?;
    page(&state, &user, &agency_id, None, FieldErrors::default()).await
}

async fn agency_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    page(&state, &user, &id, None, FieldErrors::default()).await
}

#[derive(serde::Deserialize)]
struct PopulationForm {
    #[serde(default)]
    iit_population: String,
    #[serde(default)]
    eit_population: String,
}

async fn set_populations(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(round): Path<String>,
    Form(f): Form<PopulationForm>,
) -> Result<Response, AppError> {
    let agency_id = own_agency(&user)?;
    rounds::participation(&state.db, &round, &agency_id)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound).in_lang(user.lang))?;
    let lang = user.lang;
    let st = rounds::state_on(&rounds::phases(&state.db, &round).await?, today());
    if !collection_open(st) {
        return Err(AppError::new(ErrorCode::PhaseClosed).in_lang(lang));
    }
    let mut errors = FieldErrors::default();
    let parse = |v: &str, field: &str, errors: &mut FieldErrors| -> i64 {
        match itas_core::thai::arabic_digits(v.trim()).parse::<i64>() {
            Ok(n) if (0..=10_000_000).contains(&n) => n,
            _ => {
                errors.add(
                    field,
                    lang.pick(
                        "กรุณากรอกจำนวนเต็มตั้งแต่ 0 ขึ้นไป",
                        "Enter a whole number, 0 or more",
                    ),
                );
                0
            }
        }
    };
    let iit = parse(&f.iit_population, "iit_population", &mut errors);
    let eit = parse(&f.eit_population, "eit_population", &mut errors);
    if !errors.is_empty() {
        return page(&state, &user, &agency_id, None, errors).await;
    }
    rounds::set_populations(&state.db, Some(user.id()), &round, &agency_id, iit, eit).await?;
    page(
        &state,
        &user,
        &agency_id,
        Some(crate::i18n::t(lang, "saved").into()),
        FieldErrors::default(),
    )
    .await
}
