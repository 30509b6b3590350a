//! Improvement-plan tracking: the measures an agency commits to after a
//! round's results, kept up to date month by month. The agency admin edits;
//! the central office and the agency's assessors read. Overdue measures
//! stand out; the next round's results page links back here.

use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::pages::{FieldErrors, PageCtx};
use crate::views::plan::{
    MeasureForm, MeasureView, PlanPage, PlanSummary, ProgressForm, PublicPageView,
};
use crate::{AppState, today};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use itas_app::published::agency_card;
use itas_core::thai::Digits;
use itas_reports::analysis_report::period_text;
use itas_store::plans::Status;
use itas_store::rounds::Round;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/agencies/{id}/plan/{round}", get(plan_page))
        .route("/agencies/{id}/plan/{round}/prefill", post(prefill))
        .route("/agencies/{id}/plan/{round}/measures", post(add_measure))
        .route(
            "/agencies/{id}/plan/{round}/measures/{measure}",
            post(update_measure),
        )
        .route(
            "/agencies/{id}/plan/{round}/measures/{measure}/progress",
            post(record_progress),
        )
}

use itas_app::plans::PlanScope as Scope;

/// Insiders read the plan; only the agency's own admin changes it.
async fn scope(
    state: &AppState,
    user: &CurrentUser,
    agency_id: &str,
    round_id: &str,
    write: bool,
) -> Result<Scope, AppError> {
    itas_app::plans::scope(state, &user.actor(), agency_id, round_id, write)
        .await
        .map_err(|e| AppError::from(e).in_lang(user.lang))
}

fn current_month() -> String {
    let d = today();
    format!("{}-{:02}", d.year(), u8::from(d.month()))
}

struct Kept {
    new_form: MeasureForm,
    /// (measure id, its form as typed) when an edit was refused.
    edit: Option<(String, MeasureForm)>,
    progress: Option<(String, ProgressForm)>,
}

async fn render(
    state: &AppState,
    user: &CurrentUser,
    headers: &axum::http::HeaderMap,
    s: Scope,
    kept: Kept,
    errors: FieldErrors,
    notice: Option<String>,
) -> Result<Response, AppError> {
    let mut ctx = PageCtx::for_user(user);
    ctx.notice = notice;
    let fw = s.round.framework()?;
    let has_results = agency_card(state, &s.round, &fw, &s.agency.id)
        .await?
        .is_some();
    let digits = if ctx.lang == crate::i18n::Lang::En {
        Digits::Arabic
    } else {
        Digits::Thai
    };
    let day = today();
    let stored = itas_app::plans::measures(state, &s).await?;
    let measures: Vec<MeasureView> = stored
        .iter()
        .map(|m| MeasureView {
            id: m.id.clone(),
            form: match &kept.edit {
                Some((id, f)) if *id == m.id => f.clone(),
                _ => MeasureForm::of(m),
            },
            period: period_text(m.fields.starts_on, m.fields.ends_on, digits),
            overdue: m.overdue(day),
            done: m.fields.status == Status::Done,
            percent: ctx.num(&m.latest_percent().to_string()),
            progress: m
                .progress
                .iter()
                .map(|p| {
                    (
                        match ctx.lang {
                            crate::i18n::Lang::Th => itas_core::thai::format_iso_month(
                                &p.month,
                                itas_core::thai::Digits::Thai,
                            ),
                            crate::i18n::Lang::En => p.month.clone(),
                        },
                        ctx.num(&p.percent.to_string()),
                        p.note.clone(),
                    )
                })
                .collect(),
            progress_form: match &kept.progress {
                Some((id, f)) if *id == m.id => f.clone(),
                _ => ProgressForm {
                    month: current_month(),
                    ..Default::default()
                },
            },
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let public_page = PublicPageView {
        state: match itas_app::public_pages::state_of(state, &s.agency.id, &s.round.id).await? {
            None => "none",
            Some(itas_store::public_pages::PageState::Published(_)) => "published",
            Some(itas_store::public_pages::PageState::Withdrawn(_)) => "withdrawn",
        },
        url: format!(
            "{}{}",
            crate::routes::agency::base_url(state, headers),
            itas_app::public_pages::path_of(&s.agency.code, s.round.fiscal_year)
        ),
        serves: itas_page_items(state).await?,
    };
    let page = PlanPage {
        public_page,
        overdue: measures.iter().filter(|m| m.overdue).count(),
        done: measures.iter().filter(|m| m.done).count(),
        tools: fw
            .tools
            .iter()
            .map(|t| (t.code.clone(), ctx.pick(&t.name_th, &t.name_en).to_string()))
            .collect(),
        has_results,
        measures,
        new_form: kept.new_form,
        errors,
        editable: s.editable,
        agency: s.agency,
        round: s.round,
        ctx,
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// The OIT items, in the frameworks of the rounds on record, that an itas
/// public page can serve as evidence for ("o42, o43, O25, O26").
async fn itas_page_items(state: &AppState) -> Result<String, AppError> {
    let mut codes: Vec<String> = Vec::new();
    for r in itas_app::rounds::list(state).await? {
        let fw = itas_app::survey::round_framework(state, &r.id).await?;
        for i in fw.checklist_items() {
            if matches!(
                i.kind,
                itas_core::framework::ItemKind::Checklist {
                    itas_page: true,
                    ..
                }
            ) && !codes.contains(&i.code)
            {
                codes.push(i.code.clone());
            }
        }
    }
    Ok(codes.join(", "))
}

fn nothing_kept() -> Kept {
    Kept {
        new_form: MeasureForm::default(),
        edit: None,
        progress: None,
    }
}

async fn plan_page(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: axum::http::HeaderMap,
    Path((agency_id, round_id)): Path<(String, String)>,
    Query(q): Query<PlanQuery>,
) -> Result<Response, AppError> {
    let s = scope(&state, &user, &agency_id, &round_id, false).await?;
    let ctx = PageCtx::for_user(&user);
    let notice = match q.page.as_deref() {
        Some("published") => Some(ctx.pick(
            "เผยแพร่หน้าผลการประเมินและมาตรการแล้ว นำที่อยู่ของหน้าไปใส่ในเว็บไซต์ของหน่วยงานได้ทันที",
            "The page of the result and measures is published; link to it from the agency's website",
        )),
        Some("withdrawn") => Some(ctx.pick(
            "ถอนหน้าเผยแพร่แล้ว ผู้ที่เปิดที่อยู่เดิมจะเห็นว่าหน้านี้ถูกถอน",
            "The page is withdrawn; its address now says so",
        )),
        _ => None,
    };
    render(
        &state,
        &user,
        &headers,
        s,
        nothing_kept(),
        FieldErrors::default(),
        notice.map(str::to_string),
    )
    .await
}

#[derive(serde::Deserialize, Default)]
pub struct PlanQuery {
    /// After publishing or withdrawing the public page.
    #[serde(default)]
    page: Option<String>,
}

fn back(agency_id: &str, round_id: &str) -> Response {
    Redirect::to(&format!("/agencies/{agency_id}/plan/{round_id}")).into_response()
}

/// Starts the plan from the engine's weaknesses: one measure per indicator
/// below the pass mark (or the weakest of each tool), over the next fiscal year.
async fn prefill(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((agency_id, round_id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let s = scope(&state, &user, &agency_id, &round_id, true).await?;
    itas_app::plans::prefill(&state, &user.actor(), &s)
        .await
        .map_err(|e| AppError::from(e).in_lang(user.lang))?;
    Ok(back(&agency_id, &round_id))
}

async fn add_measure(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: axum::http::HeaderMap,
    Path((agency_id, round_id)): Path<(String, String)>,
    Form(f): Form<MeasureForm>,
) -> Result<Response, AppError> {
    let s = scope(&state, &user, &agency_id, &round_id, true).await?;
    match itas_app::plans::add_measure(&state, &user.actor(), &s, &f.input()).await {
        Ok(()) => Ok(back(&agency_id, &round_id)),
        Err(e) if e.fields.is_empty() => Err(AppError::from(e).in_lang(user.lang)),
        Err(e) => {
            let errors = FieldErrors::of(&e.fields, user.lang);
            let kept = Kept {
                new_form: f,
                edit: None,
                progress: None,
            };
            render(&state, &user, &headers, s, kept, errors, None).await
        }
    }
}

async fn update_measure(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: axum::http::HeaderMap,
    Path((agency_id, round_id, measure)): Path<(String, String, String)>,
    Form(f): Form<MeasureForm>,
) -> Result<Response, AppError> {
    let s = scope(&state, &user, &agency_id, &round_id, true).await?;
    match itas_app::plans::update_measure(&state, &user.actor(), &s, &measure, &f.input()).await {
        Ok(()) => Ok(back(&agency_id, &round_id)),
        Err(e) if e.fields.is_empty() => Err(AppError::from(e).in_lang(user.lang)),
        Err(e) => {
            let errors = FieldErrors::of(&e.fields, user.lang);
            let kept = Kept {
                new_form: MeasureForm::default(),
                edit: Some((measure, f)),
                progress: None,
            };
            render(&state, &user, &headers, s, kept, errors, None).await
        }
    }
}

async fn record_progress(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: axum::http::HeaderMap,
    Path((agency_id, round_id, measure)): Path<(String, String, String)>,
    Form(f): Form<ProgressForm>,
) -> Result<Response, AppError> {
    let s = scope(&state, &user, &agency_id, &round_id, true).await?;
    let input = itas_app::plans::ProgressInput {
        month: f.month.clone(),
        percent: f.percent.clone(),
        note: f.note.clone(),
    };
    match itas_app::plans::record_progress(&state, &user.actor(), &s, &measure, &input).await {
        Ok(()) => Ok(back(&agency_id, &round_id)),
        Err(e) if e.fields.is_empty() => Err(AppError::from(e).in_lang(user.lang)),
        Err(e) => {
            let errors = FieldErrors::of(&e.fields, user.lang);
            let kept = Kept {
                new_form: MeasureForm::default(),
                edit: None,
                progress: Some((measure, f)),
            };
            render(&state, &user, &headers, s, kept, errors, None).await
        }
    }
}

pub async fn summary(
    state: &AppState,
    agency_id: &str,
    round: &Round,
) -> Result<Option<PlanSummary>, AppError> {
    let ms = itas_app::plans::measures_of(state, agency_id, &round.id).await?;
    if ms.is_empty() {
        return Ok(None);
    }
    let day = today();
    Ok(Some(PlanSummary {
        round_id: round.id.clone(),
        round_name: round.name.clone(),
        measures: ms.len(),
        done: ms
            .iter()
            .filter(|m| m.fields.status == Status::Done)
            .count(),
        overdue: ms.iter().filter(|m| m.overdue(day)).count(),
    }))
}
