//! The agency's public ITA page: its result and the engine's analysis, its
//! measures with owners and periods, and their monthly progress, at a stable
//! address (`/p/{agency code}/ita/{fiscal year}`). The agency publishes it when
//! it chooses; it is what o42/o43 (2564) and O25/O26 (2569) ask an agency to
//! put on its website, kept true through the year as progress is recorded.
//!
//! The page never names a person the agency did not type, and never shows a
//! response count.

use crate::auth::{CurrentUser, UserLang};
use crate::error::{AppError, ErrorCode};
use crate::i18n::Lang;
use crate::pages::PageCtx;
use crate::routes::results::{attachment, file_name};
use crate::views::public_page::{MeasureView, PublicPage, ResultView};
use crate::{AppState, today};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use itas_app::results::{AgencyResults as Loaded, report_document, stored_plan};
use itas_core::framework::ResultRule;
use itas_core::thai::{Digits, format_date};
use itas_reports::analysis_report::period_text;
use itas_store::agencies::Agency;
use itas_store::public_pages::{FoundPage, PageState};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/p/{code}/ita/{year}", get(page))
        .route("/p/{code}/ita/{year}/report.pdf", get(report_pdf))
        .route("/p/{code}/ita/{year}/report.docx", get(report_docx))
        .route(
            "/agencies/{id}/plan/{round}/public-page",
            post(publish_or_withdraw),
        )
}

/// Finds the agency and the page its address names.
async fn find(
    state: &AppState,
    code: &str,
    year: &str,
    lang: Lang,
) -> Result<(Agency, FoundPage), AppError> {
    itas_app::public_pages::find(state, code, year)
        .await
        .map_err(|e| AppError::from(e).in_lang(lang))
}

/// The page's HTML as anyone sees it now. The context is anonymous even for
/// a signed-in reader, so no user's name can appear on it.
pub async fn render(
    state: &AppState,
    code: &str,
    year: &str,
    lang: Lang,
) -> Result<String, AppError> {
    let (agency, found) = find(state, code, year, lang).await?;
    let ctx = PageCtx::respondent(lang);
    let digits = if lang == Lang::En {
        Digits::Arabic
    } else {
        Digits::Thai
    };
    let round = itas_app::rounds::get(state, &found.round_id)
        .await
        .map_err(|e| AppError::from(e).in_lang(lang))?;
    let fw = itas_app::survey::round_framework(state, &round.id).await?;
    let result = if itas_app::published::round_is_published(state, &round.id).await? {
        match itas_app::results::load(state, &agency.id, &round.id).await {
            Ok(l) => Some(result_view(state, &l, digits).await?),
            Err(e) if e.code == ErrorCode::NoResults => None,
            Err(e) => return Err(AppError::from(e).in_lang(lang)),
        }
    } else {
        None
    };
    let stored = itas_app::plans::measures_of(state, &agency.id, &round.id).await?;
    let status_text = |s: itas_store::plans::Status| match s {
        itas_store::plans::Status::Open => ctx.pick("กำลังดำเนินการ", "In progress"),
        itas_store::plans::Status::Done => ctx.pick("ดำเนินการแล้วเสร็จ", "Done"),
        itas_store::plans::Status::Dropped => ctx.pick("ยกเลิก", "Dropped"),
    };
    let measures: Vec<MeasureView> = stored
        .iter()
        .enumerate()
        .map(|(i, m)| MeasureView {
            number: ctx.num(&(i + 1).to_string()),
            tool: m.fields.tool.clone(),
            status: status_text(m.fields.status).to_string(),
            measure: m.fields.measure.clone(),
            weakness: m.fields.weakness.clone(),
            owner: m.fields.owner.clone(),
            period: period_text(m.fields.starts_on, m.fields.ends_on, digits),
            follow_up: m.fields.follow_up.clone(),
            percent: ctx.num(&m.latest_percent().to_string()),
            progress: m
                .progress
                .iter()
                .map(|p| {
                    (
                        itas_core::thai::format_iso_month(&p.month, digits),
                        ctx.num(&p.percent.to_string()),
                        p.note.clone(),
                    )
                })
                .collect(),
        })
        .collect();
    let done = stored
        .iter()
        .filter(|m| m.fields.status == itas_store::plans::Status::Done)
        .count();
    let published_on = match found.state {
        PageState::Published(ms) | PageState::Withdrawn(ms) => {
            time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
                .map(|t| format_date(t.to_offset(time::macros::offset!(+7)).date(), digits))
                .unwrap_or_default()
        }
    };
    let fiscal_year = ctx.num(&round.fiscal_year.to_string());
    // Read as the public reads it: published years only.
    let trend =
        crate::routes::results::agency_trend(state, None, &ctx, &agency.id, round.fiscal_year)
            .await?;
    let page = PublicPage {
        trend,
        title: format!(
            "{} {} {}",
            ctx.pick(
                "การนำผลการประเมิน ITA ไปพัฒนาหน่วยงาน: ผล การวิเคราะห์ และมาตรการ ปีงบประมาณ พ.ศ.",
                "Using the ITA result: result, analysis and measures, fiscal year"
            ),
            fiscal_year,
            ctx.pick(&agency.name_th, &agency.name_en)
        ),
        framework_name: fw.name_th.clone(),
        next_fiscal_year: ctx.num(&(round.fiscal_year + 1).to_string()),
        fiscal_year,
        as_of: format_date(today(), digits),
        published_on,
        base_path: itas_app::public_pages::path_of(&agency.code, round.fiscal_year),
        result,
        measure_count: ctx.num(&measures.len().to_string()),
        done_count: ctx.num(&done.to_string()),
        measures,
        agency,
        round,
        ctx,
    };
    Ok(page.render()?)
}

async fn result_view(state: &AppState, l: &Loaded, digits: Digits) -> Result<ResultView, AppError> {
    let stored = stored_plan(state, l).await?;
    let summary = itas_app::results::public_summary(l, digits, &stored);
    let pass = l.fw.pass_mark.hundredths();
    Ok(ResultView {
        overall: digits.apply(&l.card.overall.to_string()),
        result: match l.fw.result_rule {
            ResultRule::Bands => format!("{} ({})", l.card.level, l.card.level_th),
            ResultRule::Conditions => l.card.level_th.clone(),
        },
        analysis_html: itas_reports::html::fragment(&summary, pass),
    })
}

async fn page(
    State(state): State<AppState>,
    UserLang(lang): UserLang,
    Path((code, year)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let html = render(&state, &code, &year, lang).await?;
    Ok((
        StatusCode::OK,
        // Progress shows at once: no shared cache keeps an old copy.
        [(axum::http::header::CACHE_CONTROL, "no-cache")],
        Html(html),
    )
        .into_response())
}

/// The published page's round, once the round's results are public too.
async fn report_source(
    state: &AppState,
    code: &str,
    year: &str,
    lang: Lang,
) -> Result<Loaded, AppError> {
    let (agency, found) = find(state, code, year, lang).await?;
    if !itas_app::published::round_is_published(state, &found.round_id).await? {
        return Err(AppError::new(ErrorCode::NoResults).in_lang(lang));
    }
    itas_app::results::load(state, &agency.id, &found.round_id)
        .await
        .map_err(|e| AppError::from(e).in_lang(lang))
}

async fn report_pdf(
    State(state): State<AppState>,
    UserLang(lang): UserLang,
    Path((code, year)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let l = report_source(&state, &code, &year, lang).await?;
    let stored = stored_plan(&state, &l).await?;
    let doc = report_document(&l, Digits::Thai, &stored);
    let key = crate::renders::Renders::key("report.pdf:thai", &doc);
    let pdf = state
        .renders
        .get_or_make(key, move || {
            itas_reports::pdf::render(&doc, true).map_err(|e| e.to_string())
        })
        .await?;
    Ok(attachment("application/pdf", file_name(&l, "pdf"), pdf))
}

async fn report_docx(
    State(state): State<AppState>,
    UserLang(lang): UserLang,
    Path((code, year)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let l = report_source(&state, &code, &year, lang).await?;
    let stored = stored_plan(&state, &l).await?;
    let doc = report_document(&l, Digits::Thai, &stored);
    let key = crate::renders::Renders::key("report.docx", &doc);
    let docx = state
        .renders
        .get_or_make(key, move || {
            itas_reports::docx::render(&doc, &Default::default()).map_err(|e| e.to_string())
        })
        .await?;
    Ok(attachment(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        file_name(&l, "docx"),
        docx,
    ))
}

#[derive(serde::Deserialize)]
struct PublishForm {
    action: String,
}

/// The agency's own admin publishes or withdraws its page; both are audited.
async fn publish_or_withdraw(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((agency_id, round_id)): Path<(String, String)>,
    Form(f): Form<PublishForm>,
) -> Result<Response, AppError> {
    itas_app::public_pages::require_own(&user.actor(), &agency_id)
        .map_err(|e| AppError::from(e).in_lang(user.lang))?;
    let (publish, done) = match f.action.as_str() {
        "publish" => (true, "published"),
        "withdraw" => (false, "withdrawn"),
        _ => return Err(AppError::new(ErrorCode::Invalid).in_lang(user.lang)),
    };
    itas_app::public_pages::set_published(&state, &user.actor(), &agency_id, &round_id, publish)
        .await
        .map_err(|e| AppError::from(e).in_lang(user.lang))?;
    Ok(Redirect::to(&format!(
        "/agencies/{agency_id}/plan/{round_id}?page={done}#public-page"
    ))
    .into_response())
}

/// This server's public ITA pages, rendered through its own page code.
pub fn own_pages(state: &AppState) -> itas_app::evidence_check::OwnPages {
    let st = state.clone();
    itas_app::evidence_check::OwnPages {
        base: state.config.public_url.clone(),
        render: Some(std::sync::Arc::new(move |code: String, year: i64| {
            let st = st.clone();
            Box::pin(async move {
                // Thai, as a reader of the agency's website sees it first.
                match render(&st, &code, &year.to_string(), Lang::Th).await {
                    Ok(html) => (200, html.into_bytes()),
                    Err(e) => (
                        crate::error::status_of(e.code).as_u16(),
                        e.code.message(Lang::Th).as_bytes().to_vec(),
                    ),
                }
            })
        })),
    }
}

/// Checks an agency's evidence in the background, this server's own
/// public pages rendered in place; failures go to the log.
pub(crate) fn spawn_check(
    state: &AppState,
    agency_id: String,
    round_id: String,
    item: Option<String>,
    purpose: &'static str,
) {
    itas_app::evidence_check::spawn_check(
        state,
        own_pages(state),
        agency_id,
        round_id,
        item,
        purpose,
    );
}
