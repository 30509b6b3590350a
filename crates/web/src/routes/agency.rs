//! Agency pages: the agency admin's home and an agency's page, scoped so an
//! agency admin sees only their own agency and an assessor only assigned ones.

use crate::AppState;
use crate::auth::{CurrentUser, may_see_agency};
use crate::error::{AppError, ErrorCode};
use crate::pages::{FieldErrors, PageCtx};
use crate::routes::admin::state_text;
use crate::views::agency::{
    AgencyPage, CodesPage, IndicatorRow, PosterPage, RoundCard, ScoreView, ToolCollection,
};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use itas_core::analysis::analyse;
use itas_core::directory::{Phase, Role};
use itas_core::framework::Framework;
use itas_store::agencies::Agency;
use itas_store::rounds::{Participation, RoundState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/agency", get(home))
        .route(
            "/agency/rounds/{round}/links/{tool}/rotate",
            post(rotate_link),
        )
        .route(
            "/agency/rounds/{round}/links/{tool}/require-code",
            post(set_require_code),
        )
        .route(
            "/agency/rounds/{round}/links/{tool}/codes",
            post(make_codes),
        )
        .route("/agency/rounds/{round}/links/{tool}/poster", get(poster))
        .route(
            "/agency/rounds/{round}/links/{tool}/poster.pdf",
            get(poster_pdf),
        )
        .route("/agency/rounds/{round}/populations", post(set_populations))
        .route("/agencies/{id}", get(agency_page))
}

pub fn score_view(
    ctx: &PageCtx,
    fw: &Framework,
    given: std::collections::BTreeMap<u32, itas_core::Score>,
) -> Option<ScoreView> {
    let card = itas_app::published::scorecard(fw, given)?;
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
        level: itas_app::figures::level_head(ctx.lang, fw, &card.level),
        short: Vec::new(),
    })
}

/// Whether an agency may still change what collection depends on.
use itas_app::collection::{QualityOutcome, collection_open};

/// The base of survey links: the configured public address, else this request's host.
pub fn base_url(state: &AppState, headers: &axum::http::HeaderMap) -> String {
    if let Some(u) = &state.config.public_url {
        return u.trim_end_matches('/').to_string();
    }
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1:8080");
    let scheme = if state.config.secure_cookies {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{host}")
}

pub(crate) async fn collection(
    state: &AppState,
    ctx: &PageCtx,
    base: &str,
    fw: &Framework,
    kind: &str,
    p: &Participation,
) -> Result<Vec<ToolCollection>, AppError> {
    let tools = itas_app::collection::survey_tools(state, fw, kind, p).await?;
    Ok(tools
        .into_iter()
        .map(|t| {
            let url = t
                .link_code
                .map(|c| format!("{base}/s/{c}"))
                .unwrap_or_default();
            ToolCollection {
                qr_svg: if url.is_empty() {
                    String::new()
                } else {
                    crate::qr::svg(&url, 180)
                },
                name: ctx.pick(&t.name_th, &t.name_en).to_string(),
                tool: t.tool,
                url,
                count: t.count,
                behind: t.behind,
                min: t.min,
                require_code: t.require_code,
                codes_to_population: t.codes_to_population,
                over_population: t.over_population,
                quality_decision: t.quality.map(|q| match q {
                    QualityOutcome::EveryAnswerCounts => ctx
                        .pick(
                            "สำนักงานกลางพิจารณาคุณภาพข้อมูลแล้ว: ใช้คำตอบทั้งหมด",
                            "The central office reviewed the data quality: every answer counts",
                        )
                        .to_string(),
                    QualityOutcome::SomeLeftOut { reason } => format!(
                        "{} {reason}",
                        ctx.pick(
                            "สำนักงานกลางพิจารณาคุณภาพข้อมูลแล้ว: ตัดคำตอบบางส่วนออก เหตุผล:",
                            "The central office reviewed the data quality: some answers are left out. Reason:",
                        ),
                    ),
                }),
                codes_issued: t.codes_issued,
                codes_used: t.codes_used,
                central: t.central,
                count_hidden: t.count_hidden,
            }
        })
        .collect())
}

/// The fixed minimums that apply to an agency of this kind and size, one
/// line per tool ("EIT: เกณฑ์ของ องค์การบริหารส่วนตำบล ขนาด M ๔๐ คน …"), or
/// why none applies when the framework has a table.
fn min_basis_text(ctx: &PageCtx, fw: &Framework, kind: &str, size: &str) -> Vec<String> {
    let kind_name = ctx.kind_name(kind);
    let mut out = Vec::new();
    for t in &fw.tools {
        if let Some(row) = fw.min_sample_row(&t.code, kind, size) {
            let size_text = if row.size.is_empty() {
                ctx.pick("ทุกขนาด", "any size").to_string()
            } else {
                format!("{} {}", ctx.pick("ขนาด", "size"), row.size)
            };
            out.push(format!(
                "{}: {} {} {} {} {}",
                t.code,
                ctx.pick("เกณฑ์ของ", "the minimum for"),
                kind_name,
                size_text,
                ctx.num(&row.required.to_string()),
                ctx.pick(
                    "คน (ตามตารางของกรอบการประเมิน)",
                    "responses (the framework's table)"
                )
            ));
        }
    }
    if out.is_empty() && !fw.min_samples.is_empty() {
        let size_text = if size.is_empty() {
            ctx.pick("ยังไม่ได้กำหนดขนาดหน่วยงาน", "no agency size set yet")
        } else {
            ctx.pick(
                "ไม่มีเกณฑ์ตายตัวสำหรับกลุ่มและขนาดนี้",
                "no fixed minimum for this group and size",
            )
        };
        out.push(format!(
            "{}: {}",
            size_text,
            ctx.pick(
                "ใช้เกณฑ์ร้อยละของจำนวนประชากร",
                "the percentage of the population applies"
            )
        ));
    }
    out
}

async fn round_cards(
    state: &AppState,
    user: &CurrentUser,
    ctx: &PageCtx,
    base: &str,
    agency: &Agency,
) -> Result<Vec<RoundCard>, AppError> {
    let (agency_id, kind) = (agency.id.as_str(), agency.kind.clone());
    let mut out = Vec::new();
    for round in itas_app::rounds::of_agency(state, agency_id).await? {
        let fw = round.framework()?;
        let st = itas_app::rounds::standing(state, &round.id).await?.state;
        let todo = match st {
            RoundState::In(p) => ctx.pick(p.agency_todo_th(), p.name_en()).to_string(),
            _ => String::new(),
        };
        let participation = itas_app::rounds::participation(state, &round.id, agency_id).await?;
        let min = |code: &str, population: i64| {
            fw.required_sample(
                code,
                &kind,
                &participation.size,
                u32::try_from(population).unwrap_or(0),
            )
        };
        let min_basis = min_basis_text(ctx, &fw, &kind, &participation.size);
        // The same rule as the results page: before publication, never
        // the agency's own (docs/privacy.md).
        let mut scores = None;
        let actor = user.actor();
        if let Some((given, samples)) =
            itas_app::results::visible_scores(state, Some(&actor), agency_id, &round.id).await?
        {
            scores = score_view(ctx, &fw, given);
            if let Some(v) = &mut scores {
                v.short = crate::pages::sample_remarks(ctx, &samples);
            }
        }
        // Links and counts matter from setup until the round closes.
        let tools = if matches!(st, RoundState::Closed) {
            Vec::new()
        } else {
            collection(state, ctx, base, &fw, &kind, &participation).await?
        };
        out.push(RoundCard {
            open: collection_open(st),
            collecting: matches!(
                st,
                RoundState::NotStarted
                    | RoundState::In(Phase::Setup | Phase::Collection)
                    | RoundState::Between(Phase::Setup)
            ),
            state: state_text(ctx, st),
            todo,
            min_iit: min("IIT", participation.iit_population),
            min_eit: min("EIT", participation.eit_population),
            min_basis,
            participation,
            scores,
            collection: tools,
            round,
        });
    }
    Ok(out)
}

async fn page(
    state: &AppState,
    user: &CurrentUser,
    base: &str,
    agency_id: &str,
    notice: Option<String>,
    errors: FieldErrors,
) -> Result<Response, AppError> {
    page_keeping(state, user, base, agency_id, notice, errors, None).await
}

async fn page_keeping(
    state: &AppState,
    user: &CurrentUser,
    base: &str,
    agency_id: &str,
    notice: Option<String>,
    errors: FieldErrors,
    typed_populations: Option<(String, String, String)>,
) -> Result<Response, AppError> {
    if !may_see_agency(state, user, agency_id).await? {
        return Err(AppError::new(ErrorCode::Forbidden).in_lang(user.lang));
    }
    let agency = itas_app::agencies::get(state, &user.actor(), agency_id).await?;
    let parent = itas_app::agencies::parent_of(state, &user.actor(), &agency).await?;
    let mut ctx = PageCtx::for_user(user);
    ctx.notice = notice;
    let rounds = round_cards(state, user, &ctx, base, &agency).await?;
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
                typed_populations,
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

async fn home(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let agency_id = own_agency(&user)?;
    page(
        &state,
        &user,
        &base_url(&state, &headers),
        &agency_id,
        None,
        FieldErrors::default(),
    )
    .await
}

async fn agency_page(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    page(
        &state,
        &user,
        &base_url(&state, &headers),
        &id,
        None,
        FieldErrors::default(),
    )
    .await
}

#[derive(serde::Deserialize)]
struct PopulationForm {
    #[serde(default)]
    iit_population: String,
    #[serde(default)]
    eit_population: String,
}

/// The round must be one the agency takes part in, with collection still open.
/// The caller's agency, if it takes part in the round and collection is open.
pub(crate) async fn open_round(
    state: &AppState,
    user: &CurrentUser,
    round: &str,
) -> Result<String, AppError> {
    user.require(Role::AgencyAdmin)?;
    itas_app::collection::open_round(state, &user.actor(), round)
        .await
        .map_err(|e| AppError::from(e).in_lang(user.lang))
}

async fn set_populations(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path(round): Path<String>,
    Form(f): Form<PopulationForm>,
) -> Result<Response, AppError> {
    use itas_app::collection::{NumberInput, Populations};
    let lang = user.lang;
    let base = base_url(&state, &headers);
    let input = Populations {
        iit_population: NumberInput::Text(f.iit_population.clone()),
        eit_population: NumberInput::Text(f.eit_population.clone()),
    };
    let notice =
        match itas_app::collection::set_populations(&state, &user.actor(), &round, &input).await {
            Ok(_) => Some(crate::i18n::t(lang, "saved").into()),
            Err(e) if !e.fields.is_empty() => {
                let agency_id = itas_app::collection::own_agency(&user.actor())?;
                let errors = FieldErrors::of(&e.fields, lang);
                let typed = Some((round.clone(), f.iit_population, f.eit_population));
                return page_keeping(&state, &user, &base, &agency_id, None, errors, typed).await;
            }
            Err(e) => return Err(AppError::from(e).in_lang(lang)),
        };
    let agency_id = itas_app::collection::own_agency(&user.actor())?;
    page(
        &state,
        &user,
        &base,
        &agency_id,
        notice,
        FieldErrors::default(),
    )
    .await
}

async fn rotate_link(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path((round, tool)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let agency_id = open_round(&state, &user, &round).await?;
    itas_app::collection::rotate_link(&state, &user.actor(), &round, &tool)
        .await
        .map_err(|e| AppError::from(e).in_lang(user.lang))?;
    let notice = user.lang.pick(
        "เปลี่ยนลิงก์แล้ว ลิงก์เดิมใช้ไม่ได้อีกต่อไป กรุณาเผยแพร่ลิงก์และ QR Code ใหม่",
        "Link replaced: the old one no longer works. Publish the new link and QR code",
    );
    page(
        &state,
        &user,
        &base_url(&state, &headers),
        &agency_id,
        Some(notice.into()),
        FieldErrors::default(),
    )
    .await
}

#[derive(serde::Deserialize)]
struct RequireForm {
    #[serde(default)]
    on: String,
}

async fn set_require_code(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path((round, tool)): Path<(String, String)>,
    Form(f): Form<RequireForm>,
) -> Result<Response, AppError> {
    let agency_id = open_round(&state, &user, &round).await?;
    itas_app::collection::set_require_code(&state, &user.actor(), &round, &tool, f.on == "1")
        .await
        .map_err(|e| AppError::from(e).in_lang(user.lang))?;
    page(
        &state,
        &user,
        &base_url(&state, &headers),
        &agency_id,
        Some(crate::i18n::t(user.lang, "saved").into()),
        FieldErrors::default(),
    )
    .await
}

#[derive(serde::Deserialize)]
struct CodesForm {
    #[serde(default)]
    count: String,
    #[serde(default)]
    format: String,
}

/// Issues single-use codes. They are shown once (printable page or CSV); only their hashes are kept.
async fn make_codes(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path((round, tool)): Path<(String, String)>,
    Form(f): Form<CodesForm>,
) -> Result<Response, AppError> {
    let agency_id = open_round(&state, &user, &round).await?;
    let lang = user.lang;
    let refuse = async |errors: FieldErrors| {
        page(
            &state,
            &user,
            &base_url(&state, &headers),
            &agency_id,
            None,
            errors,
        )
        .await
    };
    // A bound per user (per server) on top of the population's.
    if !state.codes_limiter.allow(user.id(), itas_store::now_ms()) {
        let mut errors = FieldErrors::default();
        errors.add(
            &format!("codes_{tool}"),
            lang.pick(
                "ออกรหัสบ่อยเกินไป กรุณารอหนึ่งนาทีแล้วลองใหม่",
                "Codes were issued too often; wait a minute and try again",
            ),
        );
        return refuse(errors).await;
    }
    let count = itas_app::collection::NumberInput::Text(f.count.clone());
    let issued =
        match itas_app::collection::issue_codes(&state, &user.actor(), &round, &tool, &count).await
        {
            Ok(issued) => issued,
            Err(e) if !e.fields.is_empty() => {
                return refuse(FieldErrors::of(&e.fields, lang)).await;
            }
            Err(e) => return Err(AppError::from(e).in_lang(lang)),
        };
    let codes = issued.codes;
    let url = format!("{}/s/{}", base_url(&state, &headers), issued.link_code);
    if f.format == "csv" {
        let mut body = String::from("\u{feff}code,link\n");
        for c in &codes {
            body.push_str(&format!("{c},{url}\n"));
        }
        let name = format!("attachment; filename=\"itas-{tool}-codes.csv\"");
        return Ok((
            [
                (
                    axum::http::header::CONTENT_TYPE,
                    "text/csv; charset=utf-8".to_string(),
                ),
                (axum::http::header::CONTENT_DISPOSITION, name),
            ],
            body,
        )
            .into_response());
    }
    let agency = itas_app::agencies::get(&state, &user.actor(), &agency_id).await?;
    Ok(Html(
        CodesPage {
            ctx: PageCtx::for_user(&user),
            agency: agency.name_th,
            tool,
            url,
            codes,
        }
        .render()?,
    )
    .into_response())
}

/// The A4 poster as a PDF (Typst, Sarabun embedded) for printing.
async fn poster_pdf(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path((round, tool)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let p = poster_data(&state, &user, &headers, &round, &tool).await?;
    // "Answer by …": the last day of the collection phase, as a Thai date.
    let deadline = itas_app::rounds::standing(&state, &round)
        .await?
        .phases
        .iter()
        .find(|ph| ph.phase == Phase::Collection)
        .map(|ph| {
            format!(
                "ตอบได้ถึงวันที่ {} · {}",
                itas_core::thai::format_date(ph.ends_on, itas_core::thai::Digits::Thai),
                p.round
            )
        })
        .unwrap_or_else(|| p.round.clone());
    let pdf = tokio::task::spawn_blocking(move || {
        let audience = if p.tool == "IIT" {
            "ขอเชิญบุคลากรของหน่วยงานทุกท่านตอบแบบวัดการรับรู้"
        } else {
            "ขอเชิญผู้มารับบริการและผู้ที่เคยติดต่อหน่วยงานตอบแบบวัดการรับรู้"
        };
        itas_reports::poster::render(&itas_reports::poster::Poster {
            agency: &p.agency,
            survey: &format!("{} ({})", p.tool_name, p.tool),
            audience,
            url: &p.url,
            qr_svg: &p.qr_svg,
            deadline: &deadline,
            code_note: &p.code_note,
        })
    })
    .await
    .map_err(|e| AppError::new(ErrorCode::Internal).detail(e.to_string()))?
    .map_err(|e| AppError::new(ErrorCode::Internal).detail(e.to_string()))?;
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/pdf".to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("inline; filename=\"ita-poster-{tool}.pdf\""),
            ),
        ],
        pdf,
    )
        .into_response())
}

async fn poster_data(
    state: &AppState,
    user: &CurrentUser,
    headers: &HeaderMap,
    round: &str,
    tool: &str,
) -> Result<PosterPage, AppError> {
    let facts = itas_app::collection::poster(state, &user.actor(), round, tool)
        .await
        .map_err(|e| AppError::from(e).in_lang(user.lang))?;
    let url = format!("{}/s/{}", base_url(state, headers), facts.link_code);
    Ok(PosterPage {
        agency: facts.agency_th,
        tool_name: facts.tool_th,
        tool: tool.to_string(),
        qr_svg: crate::qr::svg(&url, 520),
        url,
        round: facts.round_name,
        code_note: if facts.needs_code {
            itas_app::collection::POSTER_CODE_NOTE.to_string()
        } else {
            String::new()
        },
    })
}

async fn poster(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path((round, tool)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let page = poster_data(&state, &user, &headers, &round, &tool).await?;
    Ok(Html(page.render()?).into_response())
}
