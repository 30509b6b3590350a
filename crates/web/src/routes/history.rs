//! Earlier years' published results: the central office's import (page and
//! API) and an agency's years (API). The rules are `itas_app::history`'s.

use crate::AppState;
use crate::auth::{CurrentUser, UserLang};
use crate::error::{AppError, ErrorCode};
use crate::pages::PageCtx;
use crate::routes::api::{Workbook, api};
use crate::views::history::{HistoryPage, ImportOutcome};
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use itas_app::history::{HistoryYear, ImportReport};
use itas_core::directory::Role;
use serde::Serialize;
use utoipa::ToSchema;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/history", get(page).post(import_page))
        .route("/api/v1/results/import", post(import_api))
        .route("/api/v1/agencies/{id}/history", get(history_api))
}

async fn held(
    state: &AppState,
    user: &CurrentUser,
    ctx: &PageCtx,
) -> Result<Vec<(String, String)>, AppError> {
    Ok(itas_app::history::years_held(state, &user.actor())
        .await?
        .into_iter()
        .map(|(year, n)| {
            (
                ctx.num(&year.to_string()),
                ctx.num(&itas_core::thai::group_thousands(n)),
            )
        })
        .collect())
}

async fn page(State(state): State<AppState>, user: CurrentUser) -> Result<Html<String>, AppError> {
    user.require(Role::CentralAdmin)?;
    let ctx = PageCtx::for_user(&user);
    Ok(Html(
        HistoryPage {
            held: held(&state, &user, &ctx).await?,
            ctx,
            outcome: None,
            error: String::new(),
        }
        .render()?,
    ))
}

fn outcome(ctx: &PageCtx, r: &ImportReport) -> ImportOutcome {
    let n = |x: i64| ctx.num(&itas_core::thai::group_thousands(x));
    ImportOutcome {
        stored: n(r.stored as i64),
        years: r
            .years
            .iter()
            .map(|(year, (before, after))| {
                let what = if *before > 0 {
                    format!(
                        "{} {} {} {} {}",
                        ctx.pick("แทนที่", "replaced"),
                        n(*before),
                        ctx.pick("แถวเดิมด้วย", "earlier rows with"),
                        n(*after),
                        ctx.pick("แถว", "rows")
                    )
                } else {
                    format!("{} {}", n(*after), ctx.pick("แถว", "rows"))
                };
                (ctx.num(&year.to_string()), what)
            })
            .collect(),
        problems: r
            .problems
            .iter()
            .map(|p| {
                (
                    ctx.num(&p.line.to_string()),
                    ctx.pick(&p.th, &p.en).to_string(),
                )
            })
            .collect(),
    }
}

async fn import_page(
    State(state): State<AppState>,
    user: CurrentUser,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    user.require(Role::CentralAdmin)?;
    let file = crate::routes::admin::uploaded_file(&mut multipart).await?;
    let ctx = PageCtx::for_user(&user);
    let render = |ctx: PageCtx, held, outcome, error: String| -> Result<String, AppError> {
        Ok(HistoryPage {
            ctx,
            held,
            outcome,
            error,
        }
        .render()?)
    };
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        let held = held(&state, &user, &ctx).await?;
        let error = user.lang.pick("กรุณาเลือกไฟล์", "Choose a file").to_string();
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            Html(render(ctx, held, None, error)?),
        )
            .into_response());
    };
    match itas_app::history::import(&state, &user.actor(), bytes, &name).await {
        Ok(report) => {
            let outcome = outcome(&ctx, &report);
            let held = held(&state, &user, &ctx).await?;
            Ok(Html(render(ctx, held, Some(outcome), String::new())?).into_response())
        }
        Err(e) if e.code == ErrorCode::Invalid => {
            let error = e.detail_in(user.lang).unwrap_or_default();
            let held = held(&state, &user, &ctx).await?;
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                Html(render(ctx, held, None, error)?),
            )
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// A row the import refused.
#[derive(Serialize, ToSchema)]
pub(crate) struct ResultProblem {
    /// The file's line (the header is line 1).
    line: usize,
    /// Why, in the caller's language.
    message: String,
    message_th: String,
    message_en: String,
}

/// One fiscal year the import replaced.
#[derive(Serialize, ToSchema)]
pub(crate) struct YearReplaced {
    fiscal_year: i64,
    /// Rows the year held before.
    before: i64,
    /// Rows it holds now.
    after: i64,
}

/// What an import of published results did.
#[derive(Serialize, ToSchema)]
pub(crate) struct ResultsImportReport {
    stored: usize,
    years: Vec<YearReplaced>,
    problems: Vec<ResultProblem>,
}

/// Imports earlier years' published results, as the page at /admin/history
/// does (central office): the CSV or XLSX file as the body. Every row is
/// checked against its year's framework; the good rows replace their years
/// in one transaction (audited) and each bad row is reported with its line.
#[utoipa::path(post, path = "/api/v1/results/import", tag = "results",
    request_body(content(
        (String = "text/csv"),
        (Workbook = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ), description = "A CSV file (UTF-8, header first: agency_code, fiscal_year, framework, overall, IIT, EIT, OIT, indicator_1 … indicator_10, label; English or Thai headers) or an XLSX workbook with the same columns"),
    responses((status = 200, description = "What was stored and what was not", body = ResultsImportReport)))]
pub(crate) async fn import_api(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<ResultsImportReport>, AppError> {
    user.require(Role::CentralAdmin)
        .map_err(|e| api(e, Some(&user)))?;
    let content_type = crate::routes::api::media_type(&headers);
    let name = match content_type.as_str() {
        "text/csv" => "results.csv",
        crate::routes::api::XLSX => "results.xlsx",
        _ => return Err(api(ErrorCode::BadContentType, Some(&user))),
    };
    let report = itas_app::history::import(&state, &user.actor(), body.to_vec(), name)
        .await
        .map_err(|e| api(e, Some(&user)))?;
    let lang = user.lang;
    Ok(Json(ResultsImportReport {
        stored: report.stored,
        years: report
            .years
            .iter()
            .map(|(y, (before, after))| YearReplaced {
                fiscal_year: *y,
                before: *before,
                after: *after,
            })
            .collect(),
        problems: report
            .problems
            .into_iter()
            .map(|p| ResultProblem {
                line: p.line,
                message: lang.pick(&p.th, &p.en).to_string(),
                message_th: p.th,
                message_en: p.en,
            })
            .collect(),
    }))
}

/// Where a year's result comes from.
#[derive(Serialize, ToSchema)]
pub(crate) struct YearSource {
    /// `imported` (published by the NACC, loaded from a file) or `round`
    /// (computed and published by itas).
    kind: String,
    /// The round, for `round`.
    round_id: Option<String>,
    round_name: Option<String>,
}

/// One year of an agency's results.
#[derive(Serialize, ToSchema)]
pub(crate) struct HistoryLine {
    fiscal_year: i64,
    framework: String,
    #[schema(value_type = f64)]
    overall: serde_json::Value,
    #[schema(value_type = Object)]
    tools: serde_json::Value,
    /// Empty when the year's file gave none.
    #[schema(value_type = Object)]
    indicators: serde_json::Value,
    /// The level code under that year's own rule, and its names.
    level: String,
    level_th: String,
    level_en: String,
    /// What the central office said of an imported year (e.g. demo figures).
    note: String,
    source: YearSource,
}

/// An agency's years.
#[derive(Serialize, ToSchema)]
pub(crate) struct History {
    agency: String,
    years: Vec<HistoryLine>,
}

fn number(s: itas_core::Score) -> serde_json::Value {
    serde_json::from_str(&s.to_string()).unwrap_or(serde_json::Value::Null)
}

fn line(y: HistoryYear) -> HistoryLine {
    let (kind, round_id, round_name) = match y.source {
        itas_app::history::Source::Imported => ("imported", None, None),
        itas_app::history::Source::Round { id, name } => ("round", Some(id), Some(name)),
    };
    HistoryLine {
        fiscal_year: y.fiscal_year,
        framework: y.framework,
        overall: number(y.overall),
        tools: y
            .tools
            .into_iter()
            .map(|(t, s)| (t, number(s)))
            .collect::<serde_json::Map<_, _>>()
            .into(),
        indicators: y
            .indicators
            .into_iter()
            .map(|(n, s)| (n.to_string(), number(s)))
            .collect::<serde_json::Map<_, _>>()
            .into(),
        level: y.level,
        level_th: y.level_th,
        level_en: y.level_en,
        note: y.note,
        source: YearSource {
            kind: kind.into(),
            round_id,
            round_name,
        },
    }
}

/// Every year of an agency's published results, oldest first: the rounds
/// itas published and the earlier years imported by the central office,
/// each with its level under that year's own rule. Published data: anyone
/// may read it.
#[utoipa::path(get, path = "/api/v1/agencies/{id}/history", tag = "results",
    params(("id" = String, Path, description = "The agency's id")),
    responses((status = 200, description = "The agency's years", body = History)))]
pub(crate) async fn history_api(
    State(state): State<AppState>,
    UserLang(lang): UserLang,
    Path(id): Path<String>,
) -> Result<Json<History>, AppError> {
    let years = itas_app::history::of_agency(&state, &id)
        .await
        .map_err(|e| crate::error::api_error(e, lang))?;
    Ok(Json(History {
        agency: id,
        years: years.into_iter().map(line).collect(),
    }))
}
