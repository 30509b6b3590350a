//! Improvement-plan tracking: the measures an agency commits to after a
//! round's results, kept up to date month by month. The agency admin edits;
//! the central office and the agency's assessors read. Overdue measures
//! stand out; the next round's results page links back here.

use crate::auth::{CurrentUser, may_see_agency};
use crate::error::{AppError, ErrorCode};
use crate::pages::{FieldErrors, PageCtx};
use crate::{AppState, today};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use itas_app::published::agency_card;
use itas_core::directory::Role;
use itas_core::thai::Digits;
use itas_reports::analysis_report::period_text;
use itas_store::agencies::Agency;
use itas_store::plans::{self, Measure, MeasureFields, Status};
use itas_store::rounds::Round;
use time::Date;

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

/// Longest text of a measure's description, weakness or follow-up.
pub const MAX_MEASURE_CHARS: usize = 2_000;

/// A measure's form as typed (kept when refused).
#[derive(serde::Deserialize, Clone, Debug, Default)]
pub struct MeasureForm {
    #[serde(default)]
    pub tool: String,
    #[serde(default)]
    pub measure: String,
    #[serde(default)]
    pub weakness: String,
    #[serde(default)]
    pub owner: String,
    #[serde(default)]
    pub starts_on: String,
    #[serde(default)]
    pub ends_on: String,
    #[serde(default)]
    pub follow_up: String,
    #[serde(default)]
    pub status: String,
}

impl MeasureForm {
    fn of(m: &Measure) -> MeasureForm {
        let f = &m.fields;
        MeasureForm {
            tool: f.tool.clone(),
            measure: f.measure.clone(),
            weakness: f.weakness.clone(),
            owner: f.owner.clone(),
            starts_on: f.starts_on.to_string(),
            ends_on: f.ends_on.to_string(),
            follow_up: f.follow_up.clone(),
            status: f.status.code().to_string(),
        }
    }

    fn parse(
        &self,
        ctx: &PageCtx,
        tools: &[String],
        prefix: &str,
    ) -> Result<MeasureFields, FieldErrors> {
        let mut e = FieldErrors::default();
        let day = |v: &str| {
            Date::parse(
                v.trim(),
                time::macros::format_description!("[year]-[month]-[day]"),
            )
            .ok()
        };
        if !tools.contains(&self.tool) {
            e.add(
                &format!("{prefix}tool"),
                ctx.pick("กรุณาเลือกเครื่องมือ", "Choose a tool"),
            );
        }
        if self.measure.trim().is_empty() {
            e.add(
                &format!("{prefix}measure"),
                ctx.pick("กรุณากรอกมาตรการ", "Describe the measure"),
            );
        }
        // Room for a real plan's text; far longer ran off the report's page.
        for (field, value, max) in [
            ("measure", &self.measure, MAX_MEASURE_CHARS),
            ("weakness", &self.weakness, MAX_MEASURE_CHARS),
            ("owner", &self.owner, 300),
            ("follow_up", &self.follow_up, MAX_MEASURE_CHARS),
        ] {
            let n = value.trim().chars().count();
            if n > max {
                e.add(
                    &format!("{prefix}{field}"),
                    format!(
                        "{} {} {} {}",
                        ctx.pick("ยาวเกินไป:", "Too long:"),
                        ctx.num(&n.to_string()),
                        ctx.pick("ตัวอักษร ใส่ได้ไม่เกิน", "characters; at most"),
                        ctx.num(&max.to_string())
                    ),
                );
            }
        }
        let starts = day(&self.starts_on);
        let ends = day(&self.ends_on);
        if starts.is_none() {
            e.add(
                &format!("{prefix}starts_on"),
                ctx.pick("วันที่ไม่ถูกต้อง", "Not a valid date"),
            );
        }
        if ends.is_none() {
            e.add(
                &format!("{prefix}ends_on"),
                ctx.pick("วันที่ไม่ถูกต้อง", "Not a valid date"),
            );
        }
        if let (Some(s), Some(t)) = (starts, ends)
            && t < s
        {
            e.add(
                &format!("{prefix}ends_on"),
                ctx.pick(
                    "วันสิ้นสุดต้องไม่ก่อนวันเริ่ม",
                    "The end cannot come before the start",
                ),
            );
        }
        let status = Status::parse(&self.status).unwrap_or(Status::Open);
        match (starts, ends) {
            (Some(starts_on), Some(ends_on)) if e.is_empty() => Ok(MeasureFields {
                tool: self.tool.clone(),
                measure: self.measure.trim().to_string(),
                weakness: self.weakness.trim().to_string(),
                owner: self.owner.trim().to_string(),
                starts_on,
                ends_on,
                follow_up: self.follow_up.trim().to_string(),
                status,
            }),
            _ => Err(e),
        }
    }
}

#[derive(serde::Deserialize, Clone, Debug, Default)]
pub struct ProgressForm {
    #[serde(default)]
    pub month: String,
    #[serde(default)]
    pub percent: String,
    #[serde(default)]
    pub note: String,
}

pub struct MeasureView {
    pub id: String,
    pub form: MeasureForm,
    pub period: String,
    pub overdue: bool,
    pub done: bool,
    pub percent: String,
    pub progress: Vec<(String, String, String)>,
    /// Progress form as typed (kept when refused).
    pub progress_form: ProgressForm,
}

#[derive(Template)]
#[template(path = "plan.html")]
struct PlanPage {
    ctx: PageCtx,
    agency: Agency,
    round: Round,
    editable: bool,
    has_results: bool,
    tools: Vec<(String, String)>,
    measures: Vec<MeasureView>,
    overdue: usize,
    done: usize,
    new_form: MeasureForm,
    errors: FieldErrors,
    public_page: PublicPageView,
}

/// The agency's public ITA page for this round, as the plan page shows it.
pub struct PublicPageView {
    /// "none", "published" or "withdrawn".
    pub state: &'static str,
    pub url: String,
    /// OIT items of later rounds this page serves as evidence for, e.g. "o42, o43".
    pub serves: String,
}

struct Scope {
    agency: Agency,
    round: Round,
    editable: bool,
}

/// Insiders read the plan; only the agency's own admin changes it.
async fn scope(
    state: &AppState,
    user: &CurrentUser,
    agency_id: &str,
    round_id: &str,
    write: bool,
) -> Result<Scope, AppError> {
    if !may_see_agency(state, user, agency_id).await? {
        return Err(AppError::new(ErrorCode::Forbidden).in_lang(user.lang));
    }
    let editable =
        user.role == Role::AgencyAdmin && user.user.agency_id.as_deref() == Some(agency_id);
    if write && !editable {
        return Err(AppError::new(ErrorCode::Forbidden).in_lang(user.lang));
    }
    let not_found = || AppError::new(ErrorCode::NotFound).in_lang(user.lang);
    let round = itas_store::rounds::get(&state.db, round_id)
        .await?
        .ok_or_else(not_found)?;
    itas_store::rounds::participation(&state.db, round_id, agency_id)
        .await?
        .ok_or_else(not_found)?;
    let agency = itas_store::agencies::get(&state.db, agency_id)
        .await?
        .ok_or_else(not_found)?;
    Ok(Scope {
        agency,
        round,
        editable,
    })
}

/// The tool codes a measure may name: the round's framework's.
fn tool_codes(round: &Round) -> Result<Vec<String>, AppError> {
    Ok(round
        .framework()?
        .tools
        .iter()
        .map(|t| t.code.clone())
        .collect())
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
    let stored = plans::measures(&state.db, &s.agency.id, &s.round.id).await?;
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
                        p.month.clone(),
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
        state: match itas_store::public_pages::get(&state.db, &s.agency.id, &s.round.id).await? {
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
    for r in itas_store::rounds::list(&state.db).await? {
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
    if !plans::measures(&state.db, &agency_id, &round_id)
        .await?
        .is_empty()
    {
        return Ok(back(&agency_id, &round_id));
    }
    let fw = s.round.framework()?;
    let card = agency_card(&state, &s.round, &fw, &agency_id)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NoResults).in_lang(user.lang))?;
    let new = itas_app::plans::prefilled(&fw, &card, s.round.fiscal_year);
    plans::add(&state.db, Some(user.id()), &agency_id, &round_id, &new).await?;
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
    let tools = tool_codes(&s.round)?;
    match f.parse(&PageCtx::for_user(&user), &tools, "new_") {
        Ok(fields) => {
            plans::add(&state.db, Some(user.id()), &agency_id, &round_id, &[fields]).await?;
            Ok(back(&agency_id, &round_id))
        }
        Err(errors) => {
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
    let tools = tool_codes(&s.round)?;
    let prefix = format!("{measure}_");
    match f.parse(&PageCtx::for_user(&user), &tools, &prefix) {
        Ok(fields) => {
            plans::update(&state.db, Some(user.id()), &agency_id, &measure, &fields).await?;
            Ok(back(&agency_id, &round_id))
        }
        Err(errors) => {
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
    let ctx = PageCtx::for_user(&user);
    let mut errors = FieldErrors::default();
    let percent = itas_core::thai::arabic_digits(f.percent.trim())
        .trim_end_matches('%')
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|p| (0..=100).contains(p));
    if percent.is_none() {
        errors.add(
            &format!("{measure}_percent"),
            ctx.pick("กรุณากรอกร้อยละ 0 ถึง 100", "Enter a percentage from 0 to 100"),
        );
    }
    let month_ok = f.month.len() == 7
        && Date::parse(
            &format!("{}-01", f.month),
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .is_ok();
    if !month_ok {
        errors.add(
            &format!("{measure}_month"),
            ctx.pick("กรุณาเลือกเดือน", "Choose a month"),
        );
    }
    match percent {
        Some(p) if errors.is_empty() => {
            plans::record_progress(
                &state.db,
                Some(user.id()),
                &agency_id,
                &measure,
                &f.month,
                p,
                &f.note,
            )
            .await?;
            Ok(back(&agency_id, &round_id))
        }
        _ => {
            let kept = Kept {
                new_form: MeasureForm::default(),
                edit: None,
                progress: Some((measure, f)),
            };
            render(&state, &user, &headers, s, kept, errors, None).await
        }
    }
}

/// A plan's standing, for the results page of the round that follows it.
pub struct PlanSummary {
    pub round_id: String,
    pub round_name: String,
    pub measures: usize,
    pub done: usize,
    pub overdue: usize,
}

pub async fn summary(
    state: &AppState,
    agency_id: &str,
    round: &Round,
) -> Result<Option<PlanSummary>, AppError> {
    let ms = plans::measures(&state.db, agency_id, &round.id).await?;
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
