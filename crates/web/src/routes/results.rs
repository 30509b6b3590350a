//! An agency's results in a round: the seed's table, a bar chart, the
//! comparison with its previous round, and the analysis report to download.

use crate::AppState;
use crate::auth::{MaybeUser, UserLang, may_see_agency, may_see_results, sign_in_redirect};
use crate::error::{AppError, ErrorCode};
use crate::pages::PageCtx;
use crate::views::results::ResultsPage;
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use itas_app::published::agency_card;
use itas_app::results::{AgencyResults as Loaded, previous_of, report_document, stored_plan};
use itas_core::thai::Digits;
use itas_reports::analysis_report;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/agencies/{id}/results/{round}", get(results_page))
        .route("/agencies/{id}/results/{round}/report.pdf", get(report_pdf))
        .route(
            "/agencies/{id}/results/{round}/report.docx",
            get(report_docx),
        )
}

#[derive(serde::Deserialize, Default)]
pub struct ReportQuery {
    /// "arabic" for Arabic digits; Thai digits otherwise, as formal letters use.
    #[serde(default)]
    digits: String,
}

impl ReportQuery {
    fn digits(&self) -> Digits {
        if self.digits == "arabic" {
            Digits::Arabic
        } else {
            Digits::Thai
        }
    }
}

/// Who may see what: results are public once the round publishes them; before
/// that only the agency, its assessors and the central office see them; the
/// report (an internal memo) is never public. A visitor who is not allowed is
/// sent to sign in; a signed-in user who is not allowed is refused.
enum Refusal {
    SignIn {
        next: String,
        lang: crate::i18n::Lang,
    },
    Error(AppError),
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Refusal::SignIn { next, lang } => sign_in_redirect(&next, lang),
            Refusal::Error(e) => e.into_response(),
        }
    }
}

impl<E: Into<AppError>> From<E> for Refusal {
    fn from(e: E) -> Refusal {
        Refusal::Error(e.into())
    }
}

async fn load(
    state: &AppState,
    user: &MaybeUser,
    lang: crate::i18n::Lang,
    agency_id: &str,
    round_id: &str,
    for_report: bool,
) -> Result<Loaded, Refusal> {
    let lang = user.0.as_ref().map_or(lang, |u| u.lang);
    let insider = match &user.0 {
        Some(u) => may_see_agency(state, u, agency_id).await?,
        None => false,
    };
    // The report (with the plan) is the insiders'; the scores anyone's once
    // published; before that, never the agency's own (docs/privacy.md).
    let results = may_see_results(state, user.0.as_ref(), agency_id, round_id).await?;
    let allowed = results && (insider || !for_report);
    if !allowed {
        return Err(match user.0 {
            None => Refusal::SignIn {
                next: format!("/agencies/{agency_id}/results/{round_id}"),
                lang,
            },
            Some(_) => Refusal::Error(AppError::new(ErrorCode::Forbidden).in_lang(lang)),
        });
    }
    Ok(itas_app::results::load(state, agency_id, round_id)
        .await
        .map_err(|e| AppError::from(e).in_lang(lang))?)
}

async fn results_page(
    State(state): State<AppState>,
    user: MaybeUser,
    UserLang(lang): UserLang,
    Path((agency_id, round_id)): Path<(String, String)>,
) -> Result<Response, Refusal> {
    let l = load(&state, &user, lang, &agency_id, &round_id, false).await?;
    let ctx = match &user.0 {
        Some(u) => PageCtx::for_user(u),
        None => PageCtx::anonymous(lang),
    };
    // `load` let this reader see the results, so an insider may download.
    let may_download = match &user.0 {
        Some(u) => may_see_agency(&state, u, &agency_id).await?,
        None => false,
    };
    let digits = if ctx.lang == crate::i18n::Lang::En {
        Digits::Arabic
    } else {
        Digits::Thai
    };
    let prev = previous_of(&l, digits);
    let table = analysis_report::results_table(&l.fw, &l.card, prev.as_ref(), digits);
    let bars = analysis_report::indicator_bars(&l.fw, &l.card, digits);
    let below =
        l.fw.indicators
            .iter()
            .filter(|i| {
                l.card
                    .indicators
                    .get(&i.number)
                    .is_some_and(|s| *s < l.fw.pass_mark)
            })
            .count();
    let (plan, previous_plan) = if may_download {
        (
            super::plan::summary(&state, &agency_id, &l.round).await?,
            match &l.earlier_round {
                Some(r) => super::plan::summary(&state, &agency_id, r).await?,
                None => None,
            },
        )
    } else {
        (None, None)
    };
    let oit_steps = l
        .plan
        .iter()
        .flat_map(|p| &p.steps)
        .map(|st| {
            (
                st.item.to_uppercase(),
                l.fw.item(&st.item)
                    .map(|i| i.th.clone())
                    .unwrap_or_default(),
                ctx.num(&format!("+{}", st.gain)),
                l.fw.item(&st.item).is_some_and(|i| {
                    matches!(
                        i.kind,
                        itas_core::framework::ItemKind::Checklist {
                            itas_page: true,
                            ..
                        }
                    )
                }),
            )
        })
        .collect();
    let oit_plan_text = l.plan.as_ref().filter(|p| !p.steps.is_empty()).map(|p| {
        if p.reachable {
            format!(
                "{} {} {} {}",
                ctx.pick("ผ่านรายการ OIT ต่อไปนี้", "Pass these OIT items"),
                ctx.num(&p.steps.len().to_string()),
                ctx.pick("รายการ คะแนนรวมจะเป็น", "and the overall becomes"),
                ctx.num(&p.projected.to_string())
            )
        } else {
            format!(
                "{} {}",
                ctx.pick(
                    "แม้ผ่าน OIT ทุกข้อ คะแนนรวมจะเป็น",
                    "Even with every OIT item passed the overall would be"
                ),
                ctx.num(&p.projected.to_string())
            )
        }
    });
    let trend = agency_trend(
        &state,
        user.0.as_ref(),
        &ctx,
        &l.agency.id,
        l.round.fiscal_year,
    )
    .await?;
    let page = ResultsPage {
        trend,
        oit_steps,
        oit_plan_text,
        plan,
        previous_plan,
        overall: ctx.num(&l.card.overall.to_string()),
        level: l.card.level.clone(),
        level_name: l
            .fw
            .result(l.card.overall, &l.card.tools)
            .level
            .name_th
            .clone(),
        held_back: held_back_text(&ctx, &l.fw, &l.card),
        short_samples: crate::pages::sample_remarks(&ctx, &l.samples),
        part_counts: itas_core::sample::parts_text(&l.samples)
            .into_iter()
            .map(|(th, en)| ctx.num(ctx.pick(&th, &en)))
            .collect(),
        outlook: itas_app::results::outlook_lines(ctx.lang, &l.fw, &l.card, l.passed.as_ref()),
        labels: l.fw.result_rule == itas_core::framework::ResultRule::Conditions,
        table_html: itas_reports::html::table_html(&table),
        bars_svg: itas_reports::html::bars_svg(&bars, l.fw.pass_mark.hundredths()),
        previous: match (&prev, ctx.lang) {
            (Some(p), crate::i18n::Lang::Th) => {
                Some(analysis_report::comparison_text(&l.fw, &l.card, p, digits))
            }
            _ => l.previous.as_ref().map(|e| match &e.round {
                Some(r) => format!("Compared with {}", r.name),
                None => format!("Compared with ITA {} (imported)", e.fiscal_year),
            }),
        },
        below,
        may_download,
        agency: l.agency,
        round: l.round,
        ctx,
    };
    Ok(Html(page.render()?).into_response())
}

pub(crate) fn attachment(
    content_type: &'static str,
    name: String,
    bytes: impl Into<axum::body::Body>,
) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes.into(),
    )
        .into_response()
}

/// File names stay ASCII: the agency code and the fiscal year say enough.
pub(crate) fn file_name(l: &Loaded, ext: &str) -> String {
    let code: String = l
        .agency
        .code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    format!("ita-report-{code}-{}.{ext}", l.round.fiscal_year)
}

async fn report_pdf(
    State(state): State<AppState>,
    user: MaybeUser,
    UserLang(lang): UserLang,
    Path((agency_id, round_id)): Path<(String, String)>,
    Query(q): Query<ReportQuery>,
) -> Result<Response, Refusal> {
    let l = load(&state, &user, lang, &agency_id, &round_id, true).await?;
    let digits = q.digits();
    let doc = report_document(&l, digits, &stored_plan(&state, &l).await?);
    let thai_numbers = digits == Digits::Thai;
    let key = crate::renders::Renders::key(&format!("report.pdf:{thai_numbers}"), &doc);
    // Typesetting is CPU work: done off the async workers, a few at a time.
    let pdf = state
        .renders
        .get_or_make(key, move || {
            itas_reports::pdf::render(&doc, thai_numbers).map_err(|e| e.to_string())
        })
        .await
        .map_err(AppError::from)?;
    Ok(attachment("application/pdf", file_name(&l, "pdf"), pdf))
}

async fn report_docx(
    State(state): State<AppState>,
    user: MaybeUser,
    UserLang(lang): UserLang,
    Path((agency_id, round_id)): Path<(String, String)>,
    Query(q): Query<ReportQuery>,
) -> Result<Response, Refusal> {
    let l = load(&state, &user, lang, &agency_id, &round_id, true).await?;
    let doc = report_document(&l, q.digits(), &stored_plan(&state, &l).await?);
    let key = crate::renders::Renders::key("report.docx", &doc);
    let docx = state
        .renders
        .get_or_make(key, move || {
            itas_reports::docx::render(&doc, &Default::default()).map_err(|e| e.to_string())
        })
        .await
        .map_err(AppError::from)?;
    Ok(attachment(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        file_name(&l, "docx"),
        docx,
    ))
}

/// "ยังไม่ได้ผ่านดี เพราะ EIT 84.99 ต่ำกว่า 85" when a tool floor holds the result back.
pub fn held_back_text(
    ctx: &PageCtx,
    fw: &itas_core::Framework,
    card: &itas_core::Scorecard,
) -> String {
    let Some((better, tools)) = fw.result(card.overall, &card.tools).held_back else {
        return String::new();
    };
    let floor = ctx.num(&better.tool_floor.unwrap_or(fw.pass_mark).to_string());
    let low: Vec<String> = tools
        .iter()
        .map(|t| format!("{t} {}", ctx.num(&card.tools[t].to_string())))
        .collect();
    ctx.pick(
        &format!(
            "ยังไม่ได้ \"{}\" เพราะ {} ต่ำกว่า {floor} ซึ่งเป็นเกณฑ์ขั้นต่ำของทุกแบบวัดในระดับนั้น คะแนน OIT เพียงอย่างเดียวยกระดับนี้ไม่ได้",
            better.name_th,
            low.join(", ")
        ),
        &format!(
            "Not \"{}\": {} below {floor}, the floor every tool must reach for it; OIT alone cannot lift it",
            if better.name_en.is_empty() { &better.name_th } else { &better.name_en },
            low.join(", ")
        ),
    )
    .to_string()
}

/// The agency's results in every round it took part in that this reader may
/// see (published, or the agency's own insiders), up to this round, and the
/// earlier years the central office imported (marked so), oldest first.
pub(crate) async fn agency_trend(
    state: &AppState,
    reader: Option<&crate::auth::CurrentUser>,
    ctx: &PageCtx,
    agency_id: &str,
    up_to_year: i64,
) -> Result<Option<crate::overview::DrawnTrend>, AppError> {
    let mut points: Vec<(i64, String, itas_core::Scorecard)> = Vec::new();
    for r in itas_app::rounds::of_agency(state, agency_id).await? {
        if r.fiscal_year > up_to_year || !may_see_results(state, reader, agency_id, &r.id).await? {
            continue;
        }
        let fw = itas_app::survey::round_framework(state, &r.id).await?;
        if let Some(card) = agency_card(state, &r, &fw, agency_id).await? {
            points.push((r.fiscal_year, r.name.clone(), card));
        }
    }
    // Rounds came newest first; two of one year keep their order.
    points.reverse();
    for y in itas_app::history::imported_of(state, agency_id).await? {
        if y.fiscal_year > up_to_year || points.iter().any(|(year, ..)| *year == y.fiscal_year) {
            continue;
        }
        let imported = ctx.pick("นำเข้า", "imported");
        let label = if y.note.is_empty() {
            format!("ITA {} ({imported})", y.fiscal_year)
        } else {
            format!("ITA {} ({imported} · {})", y.fiscal_year, y.note)
        };
        points.push((y.fiscal_year, label, y.card()));
    }
    points.sort_by_key(|(year, ..)| *year);
    let points: Vec<(String, itas_core::Scorecard)> = points
        .into_iter()
        .map(|(_, name, card)| (name, card))
        .collect();
    Ok((points.len() > 1).then(|| crate::overview::draw_agency_trend(ctx, &points)))
}
