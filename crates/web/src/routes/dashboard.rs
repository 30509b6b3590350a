//! Dashboards of a round, from one agency up to the nation: level
//! distribution, average and share at the pass mark by agency kind, province
//! or parent agency; a sortable, paged table of agencies; exports (CSV, XLSX)
//! and open data (JSON). Public once the round is published; the central
//! office sees every round.

use crate::AppState;
use crate::auth::{MaybeUser, UserLang};
use crate::error::{AppError, ErrorCode};
use crate::overview::{
    Scope, TrendPoint, cached_overview, cached_provinces, draw, draw_trend, province_figures,
};
use crate::pages::PageCtx;
use crate::views::dashboard::{AgencyLine, ComparisonView, DashboardPage, RoundsPage, SummaryLine};
use askama::Template;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use itas_app::published::{GroupSummary, ResultRow, round_rows, summarise};
use itas_core::directory::{AgencyKind, Role};
use itas_core::framework::Framework;
use itas_store::rounds::Round;
use std::collections::BTreeMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/results", get(rounds_page))
        .route("/results/{round}", get(dashboard))
        .route("/results/{round}/results.csv", get(export_csv))
        .route("/results/{round}/results.xlsx", get(export_xlsx))
        .route("/results/{round}/open-data.json", get(open_data))
        .route("/results/{round}/infographic.pdf", get(infographic_pdf))
        .route("/api/v1/rounds/{round}/dashboard", get(api_figures))
        .route("/api/v1/rounds/{round}/results", get(api_results))
}

/// Agencies per page of the table: a national round has about 8,300.
const PAGE_SIZE: usize = 100;

pub(crate) async fn visible(
    state: &AppState,
    user: &MaybeUser,
    round: &Round,
) -> Result<bool, AppError> {
    let actor = user.0.as_ref().map(crate::auth::CurrentUser::actor);
    Ok(itas_app::access::may_see_round_results(state, actor.as_ref(), round).await?)
}

async fn load(
    state: &AppState,
    user: &MaybeUser,
    lang: crate::i18n::Lang,
    round_id: &str,
) -> Result<
    (
        Round,
        std::sync::Arc<Framework>,
        std::sync::Arc<Vec<ResultRow>>,
    ),
    AppError,
> {
    let round = visible_round(state, user, lang, round_id).await?;
    let fw = itas_app::survey::round_framework(state, &round.id).await?;
    let rows = round_rows(state, &round, &fw).await?;
    Ok((round, fw, rows))
}

/// The round, if this reader may see its results (otherwise not found:
/// an unpublished round does not exist for the public).
async fn visible_round(
    state: &AppState,
    user: &MaybeUser,
    lang: crate::i18n::Lang,
    round_id: &str,
) -> Result<Round, AppError> {
    let lang = user.0.as_ref().map_or(lang, |u| u.lang);
    let not_found = || AppError::new(ErrorCode::NotFound).in_lang(lang);
    let round = itas_app::rounds::get(state, round_id)
        .await
        .map_err(|_| not_found())?;
    if !visible(state, user, &round).await? {
        return Err(not_found());
    }
    Ok(round)
}

fn ctx_of(user: &MaybeUser, lang: crate::i18n::Lang) -> PageCtx {
    match &user.0 {
        Some(u) => PageCtx::for_user(u),
        None => PageCtx::anonymous(lang),
    }
}

async fn rounds_page(
    State(state): State<AppState>,
    user: MaybeUser,
    UserLang(lang): UserLang,
) -> Result<Response, AppError> {
    let mut out = Vec::new();
    for s in itas_app::rounds::standings(&state).await? {
        let published = itas_app::published::results_public(&s.round, s.state);
        if published
            || user
                .0
                .as_ref()
                .is_some_and(|u| u.role == Role::CentralAdmin)
        {
            out.push((s.round, published));
        }
    }
    Ok(Html(
        RoundsPage {
            ctx: ctx_of(&user, lang),
            rounds: out,
        }
        .render()?,
    )
    .into_response())
}

#[derive(serde::Deserialize, Default)]
pub struct DashboardQuery {
    #[serde(default)]
    by: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    dir: String,
    #[serde(default)]
    page: Option<usize>,
    /// One province of the round (its dashboard, from the map).
    #[serde(default)]
    province: Option<String>,
    /// One parent agency (its id) and the agencies under it.
    #[serde(default)]
    parent: Option<String>,
}

impl DashboardQuery {
    /// The view asked for, as one key: what the page does not tell apart
    /// (an unknown sort, say) is one view.
    fn cache_key(&self, round_id: &str, lang: crate::i18n::Lang) -> String {
        let sort = match self.sort.as_str() {
            s @ ("name" | "code") => s,
            _ => "score",
        };
        let dir = if self.dir == "asc" { "asc" } else { "desc" };
        format!(
            "dashboard|{round_id}|{}|{}|{sort}|{dir}|{}|{}",
            lang.code(),
            GroupBy::parse(&self.by).code(),
            self.page.unwrap_or(1).max(1),
            Scope::of(self.province.as_deref(), self.parent.as_deref()).query()
        )
    }
}

/// How agencies are grouped.
#[derive(Clone, Copy, PartialEq, Eq)]
enum GroupBy {
    Kind,
    Province,
    Parent,
}

impl GroupBy {
    fn parse(s: &str) -> GroupBy {
        match s {
            "province" => GroupBy::Province,
            "parent" => GroupBy::Parent,
            _ => GroupBy::Kind,
        }
    }
    fn code(self) -> &'static str {
        match self {
            GroupBy::Kind => "kind",
            GroupBy::Province => "province",
            GroupBy::Parent => "parent",
        }
    }
}

/// A level as a column head: a letter band by its letter, a label by its name.
fn level_head(ctx: &PageCtx, fw: &Framework, code: &str) -> String {
    itas_app::figures::level_head(ctx.lang, fw, code)
}

fn comparison_view(
    ctx: &PageCtx,
    before_round: &Round,
    before_fw: &Framework,
    fw: &Framework,
    c: &itas_app::published::RoundComparison,
) -> ComparisonView {
    use itas_core::Score;
    let change = |b: Score, a: Score| {
        let d = a.hundredths() - b.hundredths();
        let sign = if d > 0 { "+" } else { "" };
        (
            ctx.num(&format!("{sign}{}", Score::from_hundredths(d))),
            d > 0,
        )
    };
    let mut rows = Vec::new();
    for (what, b, a) in &c.averages {
        let name = if what == "overall" {
            ctx.pick("คะแนนเฉลี่ยภาพรวม", "Average overall").to_string()
        } else {
            format!("{} {what}", ctx.pick("คะแนนเฉลี่ย", "Average"))
        };
        let (d, up) = change(*b, *a);
        rows.push((
            name,
            ctx.num(&b.to_string()),
            ctx.num(&a.to_string()),
            d,
            up,
        ));
    }
    let (d, up) = change(c.share_before, c.share_now);
    rows.push((
        ctx.pick("ร้อยละที่ได้ ๘๕ ขึ้นไป", "% at 85 or more").to_string(),
        ctx.num(&c.share_before.to_string()),
        ctx.num(&c.share_now.to_string()),
        d,
        up,
    ));
    ComparisonView {
        round_id: before_round.id.clone(),
        round_name: before_round.name.clone(),
        agencies: ctx.num(&c.agencies.to_string()),
        rows,
        now_levels: c
            .levels_now
            .iter()
            .map(|l| level_head(ctx, fw, l))
            .collect(),
        transitions: c
            .levels_before
            .iter()
            .zip(&c.counts)
            .map(|(l, counts)| {
                (
                    level_head(ctx, before_fw, l),
                    counts.iter().map(|n| ctx.num(&n.to_string())).collect(),
                )
            })
            .collect(),
        different_rules: before_fw.result_rule != fw.result_rule,
    }
}

/// The scope's name as a heading: "จังหวัดขอนแก่น", a parent agency's name.
async fn scope_name(
    state: &AppState,
    ctx: &PageCtx,
    scope: &Scope,
) -> Result<Option<String>, AppError> {
    Ok(itas_app::figures::scope_name(state, ctx.lang, scope).await?)
}

/// The scope in every round this reader may see and every imported year
/// no round covers, up to this round's year, oldest first; years where the
/// scope has no result are left out.
async fn trend_points(
    state: &AppState,
    user: &MaybeUser,
    ctx: &PageCtx,
    round: &Round,
    scope: &Scope,
) -> Result<Vec<TrendPoint>, AppError> {
    let mut rounds_seen: Vec<Round> = Vec::new();
    for r in itas_app::rounds::list(state).await? {
        if r.fiscal_year <= round.fiscal_year && visible(state, user, &r).await? {
            rounds_seen.push(r);
        }
    }
    rounds_seen.sort_by_key(|r| (r.fiscal_year, r.created_at));
    let mut points: Vec<(i64, TrendPoint)> = Vec::new();
    for r in &rounds_seen {
        let fw = itas_app::survey::round_framework(state, &r.id).await?;
        let table = round_rows(state, r, &fw).await?;
        let figures = cached_overview(state, &r.id, &fw, &table, scope).await?;
        if figures.summary.agencies == 0 {
            continue;
        }
        points.push((
            r.fiscal_year,
            TrendPoint {
                label: r.name.clone(),
                round_id: r.id.clone(),
                overview: (*figures).clone(),
            },
        ));
    }
    // The years the NACC published before itas, where no round covers them.
    let imported = ctx.pick("นำเข้า", "imported");
    for year in itas_app::history::imported_years(state).await? {
        if year > round.fiscal_year || rounds_seen.iter().any(|r| r.fiscal_year == year) {
            continue;
        }
        let Some((fw, table)) = itas_app::history::year_table(state, year).await? else {
            continue;
        };
        let key = itas_app::history::year_key(year);
        let figures = cached_overview(state, &key, &fw, &table, scope).await?;
        if figures.summary.agencies == 0 {
            continue;
        }
        points.push((
            year,
            TrendPoint {
                label: format!("ITA {year} ({imported})"),
                round_id: key,
                overview: (*figures).clone(),
            },
        ));
    }
    // Stable: two rounds of one year keep their order.
    points.sort_by_key(|(year, _)| *year);
    Ok(points.into_iter().map(|(_, p)| p).collect())
}

/// The one-page infographic of a round, a province or a parent agency (A4 PDF).
async fn infographic_pdf(
    State(state): State<AppState>,
    user: MaybeUser,
    UserLang(lang): UserLang,
    Path(round_id): Path<String>,
    Query(q): Query<DashboardQuery>,
) -> Result<Response, AppError> {
    let (round, _, _) = load(&state, &user, lang, &round_id).await?;
    let scope = Scope::of(q.province.as_deref(), q.parent.as_deref());
    let pdf = infographic_of(&state, &round, &scope).await?;
    let name = match &scope {
        Scope::Nation => format!("ita-{}-infographic.pdf", round.fiscal_year),
        Scope::Province(_) => format!("ita-{}-infographic-province.pdf", round.fiscal_year),
        Scope::Parent(_) => format!("ita-{}-infographic-parent.pdf", round.fiscal_year),
    };
    Ok(download("application/pdf", name, Body::from(pdf)))
}

/// The infographic's PDF, in Thai, from the same figures as the dashboard.
pub async fn infographic_of(
    state: &AppState,
    round: &Round,
    scope: &Scope,
) -> Result<axum::body::Bytes, AppError> {
    let g = itas_app::infographic::document(state, round, scope).await?;
    let key = crate::renders::Renders::key("infographic.pdf", &g);
    let pdf = state
        .renders
        .get_or_make(key, move || {
            itas_reports::infographic::render(&g).map_err(|e| e.to_string())
        })
        .await?;
    Ok(pdf)
}

fn line(ctx: &PageCtx, name: String, s: &GroupSummary, target_percent: u32) -> SummaryLine {
    SummaryLine {
        name,
        agencies: ctx.num(&s.agencies.to_string()),
        average: ctx.num(&s.average.to_string()),
        share: ctx.num(&s.share_at_pass.to_string()),
        meets_target: s.share_at_pass.hundredths() >= i64::from(target_percent) * 100,
        levels: s
            .levels
            .iter()
            .map(|(_, n)| ctx.num(&n.to_string()))
            .collect(),
    }
}

/// Groups rows by the chosen dimension; the group's display name is resolved
/// afterwards (a parent agency by name, a kind by its Thai name).
fn group_rows<'a>(rows: &[&'a ResultRow], by: GroupBy) -> BTreeMap<String, Vec<&'a ResultRow>> {
    let mut groups: BTreeMap<String, Vec<&ResultRow>> = BTreeMap::new();
    for r in rows.iter().copied() {
        let key = match by {
            GroupBy::Kind => r.kind.clone(),
            GroupBy::Province => r.province.clone(),
            GroupBy::Parent => r.parent_id.clone().unwrap_or_default(),
        };
        groups.entry(key).or_default().push(r);
    }
    groups
}

/// A group's name for the reader: a kind by its name, a parent agency by its
/// name (mostly a participant itself; the store is asked for the rest).
async fn group_name(
    state: &AppState,
    ctx: &PageCtx,
    by: GroupBy,
    key: &str,
    names: &std::collections::HashMap<&str, &str>,
) -> Result<String, AppError> {
    Ok(match by {
        GroupBy::Kind => key
            .parse::<AgencyKind>()
            .map(|k| ctx.pick(k.name_th(), k.name_en()).to_string())
            .unwrap_or(key.to_string()),
        GroupBy::Province if key.is_empty() => ctx.pick("(ไม่ระบุ)", "(none)").to_string(),
        GroupBy::Province => key.to_string(),
        GroupBy::Parent if key.is_empty() => {
            ctx.pick("(ไม่มีหน่วยงานต้นสังกัด)", "(no parent)").to_string()
        }
        GroupBy::Parent => match names.get(key) {
            Some(n) => n.to_string(),
            None => itas_app::agencies::named(state, key)
                .await?
                .map(|a| a.name_th)
                .unwrap_or(key.to_string()),
        },
    })
}

async fn dashboard(
    State(state): State<AppState>,
    user: MaybeUser,
    UserLang(lang): UserLang,
    Path(round_id): Path<String>,
    Query(q): Query<DashboardQuery>,
) -> Result<Response, AppError> {
    let round = visible_round(&state, &user, lang, &round_id).await?;
    if user.0.is_some() {
        let page = dashboard_page(&state, &user, lang, round, &q).await?;
        return Ok(Html(page).into_response());
    }
    // The public's view is the same for every reader in one language: made
    // once per view and kept until anything it shows changes.
    // Past its age a view is made again off the request: no reader waits
    // for a national round's page to be remade.
    let key = q.cache_key(&round.id, lang);
    let pages = state.public_pages.clone();
    let page = itas_app::cache::kept_or_refreshed(
        &pages,
        |m| m,
        &key,
        itas_app::cache::public_generation(),
        move || {
            move || async move {
                dashboard_page(&state, &user, lang, round, &q)
                    .await
                    .map(axum::body::Bytes::from)
            }
        },
    )
    .await?;
    Ok(Html((*page).clone()).into_response())
}

/// Publishes a round's results and makes the public's default dashboard
/// at once, so the first readers on results day do not all wait while it
/// is computed.
pub(crate) async fn publish(
    state: &AppState,
    user: &crate::auth::CurrentUser,
    round_id: &str,
) -> Result<itas_store::rounds::Round, AppError> {
    let round = itas_app::rounds::publish(state, &user.actor(), round_id)
        .await
        .map_err(|e| AppError::from(e).in_lang(user.lang))?;
    // Published is published; a page not made here is made by its first reader.
    if let Err(e) = prepare_public_dashboard(state, round_id).await {
        tracing::warn!(round = round_id, error = ?e.code, "public dashboard not prepared");
    }
    Ok(round)
}

/// Makes the public's default dashboard of a round just published, so the
/// first readers on results day do not wait together while it is computed.
pub(crate) async fn prepare_public_dashboard(
    state: &AppState,
    round_id: &str,
) -> Result<(), AppError> {
    let anonymous = MaybeUser(None);
    let lang = crate::i18n::Lang::Th;
    let round = match visible_round(state, &anonymous, lang, round_id).await {
        Ok(r) => r,
        // Not yet in its publication phase: nothing the public can see.
        Err(e) if e.code == ErrorCode::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    let q = DashboardQuery::default();
    state
        .public_pages
        .get_or_compute(
            &q.cache_key(&round.id, lang),
            itas_app::cache::public_generation(),
            || async {
                dashboard_page(state, &anonymous, lang, round, &q)
                    .await
                    .map(axum::body::Bytes::from)
            },
        )
        .await?;
    Ok(())
}

async fn dashboard_page(
    state: &AppState,
    user: &MaybeUser,
    lang: crate::i18n::Lang,
    round: Round,
    q: &DashboardQuery,
) -> Result<String, AppError> {
    let fw = itas_app::survey::round_framework(state, &round.id).await?;
    let table = round_rows(state, &round, &fw).await?;
    let scope = Scope::of(q.province.as_deref(), q.parent.as_deref());
    let mut rows: Vec<&ResultRow> = table.iter().filter(|r| scope.keeps(r)).collect();
    let ctx = ctx_of(user, lang);
    let by = GroupBy::parse(&q.by);
    let target = fw.national_target_percent;
    let all: Vec<&ResultRow> = rows.clone();
    let participants = itas_app::rounds::participant_count(state, &round.id).await?;
    let missing = (participants - table.len() as i64).max(0);
    let not_included = (missing > 0 && scope == Scope::Nation).then(|| {
        format!(
            "{} {} {} {}",
            ctx.pick("ผู้เข้าร่วมรอบนี้", "Of the round's"),
            ctx.num(&participants.to_string()),
            ctx.pick(
                "หน่วยงาน ยังไม่มีผลและไม่รวมอยู่ในตัวเลขนี้",
                "participants, these have no result and are not included:"
            ),
            ctx.num(&missing.to_string())
        )
    });
    let short = all.iter().filter(|r| !r.short.is_empty()).count();
    let short_samples = (short > 0).then(|| {
        format!(
            "{} {} {}",
            ctx.pick("ในตัวเลขนี้มี", "Of these,"),
            ctx.num(&short.to_string()),
            ctx.pick(
                "หน่วยงานที่คะแนนคำนวณจากผู้ตอบน้อยกว่าจำนวนขั้นต่ำ (ระบุไว้ในตารางรายหน่วยงาน)",
                "agencies' scores are computed from fewer responses than the minimum (marked in the table of agencies)"
            )
        )
    });
    let held_back = itas_app::published::held_back_counts(&fw, &all)
        .into_iter()
        .map(|(t, n)| (t, ctx.num(&n.to_string())))
        .collect();
    let previous = if scope == Scope::Nation {
        itas_app::published::previous_round(state, &round).await?
    } else {
        None
    };
    let comparison = match previous {
        Some(before) => {
            let before_fw = itas_app::survey::round_framework(state, &before.id).await?;
            // Kept like the tables it is made from: not redone on every view.
            let c = state
                .caches
                .comparisons
                .get_or_compute(
                    &format!("{}>{}", round.id, before.id),
                    itas_app::cache::scores_generation(),
                    || async {
                        let before_rows = round_rows(state, &before, &before_fw).await?;
                        Ok::<_, AppError>(itas_app::published::compare_rounds(
                            &fw,
                            &table,
                            &before_fw,
                            &before_rows,
                        ))
                    },
                )
                .await?;
            (c.agencies > 0).then(|| comparison_view(&ctx, &before, &before_fw, &fw, &c))
        }
        None => None,
    };
    let total = line(
        &ctx,
        ctx.pick("ทั้งหมด", "All").to_string(),
        &summarise(&fw, String::new(), &all),
        target,
    );
    let mut groups = Vec::new();
    let mut group_summaries: Vec<(String, itas_app::published::GroupSummary)> = Vec::new();
    let names: std::collections::HashMap<&str, &str> = table
        .iter()
        .map(|r| (r.agency_id.as_str(), r.name_th.as_str()))
        .collect();
    for (key, members) in group_rows(&all, by) {
        let name = group_name(state, &ctx, by, &key, &names).await?;
        let s = summarise(&fw, key, &members);
        groups.push(line(&ctx, name.clone(), &s, target));
        group_summaries.push((name, s));
    }
    let level_codes: Vec<String> = fw
        .levels
        .iter()
        .map(|l| level_head(&ctx, &fw, &l.code))
        .collect();
    let figures = cached_overview(state, &round.id, &fw, &table, &scope).await?;
    let map_figures = if scope == Scope::Nation {
        let provinces = cached_provinces(state, &round.id, &fw, &table).await?;
        Some(province_figures(&ctx, &round.id, &provinces))
    } else {
        None
    };
    let drawn = draw(
        &ctx,
        &fw,
        &level_codes,
        &figures,
        &group_summaries,
        map_figures.as_deref(),
    );
    let points = trend_points(state, user, &ctx, &round, &scope).await?;
    let trend = (points.len() > 1).then(|| draw_trend(&ctx, &points));
    let scope_name = scope_name(state, &ctx, &scope).await?;

    let desc = q.dir != "asc";
    match q.sort.as_str() {
        "name" => rows.sort_by(|a, b| a.name_th.cmp(&b.name_th)),
        "code" => rows.sort_by(|a, b| a.code.cmp(&b.code)),
        _ => rows.sort_by(|a, b| {
            a.card
                .overall
                .cmp(&b.card.overall)
                .then_with(|| b.code.cmp(&a.code))
        }),
    }
    let sort = match q.sort.as_str() {
        "name" | "code" => q.sort.clone(),
        _ => "score".to_string(),
    };
    if (sort == "score") == desc {
        rows.reverse();
    }
    let pages = rows.len().div_ceil(PAGE_SIZE).max(1);
    let page = q.page.unwrap_or(1).clamp(1, pages);
    let agencies = rows
        .iter()
        .skip((page - 1) * PAGE_SIZE)
        .take(PAGE_SIZE)
        .map(|r| AgencyLine {
            id: r.agency_id.clone(),
            code: r.code.clone(),
            name: r.name_th.clone(),
            kind: ctx.kind_name(&r.kind),
            province: r.province.clone(),
            overall: ctx.num(&r.card.overall.to_string()),
            level: level_head(&ctx, &fw, &r.card.level),
            short: ctx.num(&itas_core::sample::short_cell(&r.short)),
        })
        .collect();
    let dir = if desc { "desc" } else { "asc" }.to_string();
    let scope_query = match scope.query() {
        q if q.is_empty() => String::new(),
        q => format!("&{q}"),
    };
    let query = format!("by={}&sort={sort}&dir={dir}{scope_query}", by.code());
    Ok(DashboardPage {
        not_included,
        short_samples,
        drawn,
        trend,
        scope_name,
        infographic_href: match scope.query() {
            q if q.is_empty() => format!("/results/{}/infographic.pdf", round.id),
            q => format!("/results/{}/infographic.pdf?{q}", round.id),
        },
        scope_query,
        level_codes,
        held_back,
        comparison,
        target: ctx.num(&target.to_string()),
        by: by.code(),
        sort,
        dir,
        total,
        groups,
        agencies,
        page,
        pages,
        query,
        round,
        ctx,
    }
    .render()?)
}

/// Column heads of the exports, Thai then English.
pub(crate) fn export_header(fw: &Framework) -> Vec<String> {
    let mut h: Vec<String> = [
        "รหัสหน่วยงาน (code)",
        "ชื่อหน่วยงาน (name)",
        "ประเภท (kind)",
        "ชื่อประเภท (kind name)",
        "จังหวัด (province)",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for i in &fw.indicators {
        h.push(format!("ตัวชี้วัดที่ {} ({})", i.number, i.tool));
    }
    for t in &fw.tools {
        h.push(t.code.clone());
    }
    h.push("คะแนนรวม (overall)".into());
    h.push("ระดับ (level)".into());
    h.push("ผลการประเมิน (result)".into());
    if !fw.parts.is_empty() {
        h.push("ผู้ตอบแต่ละส่วน (responses by part)".into());
    }
    h.push("ผู้ตอบน้อยกว่าขั้นต่ำ (below minimum sample)".into());
    h
}

fn export_cells(fw: &Framework, r: &ResultRow) -> Vec<String> {
    let mut c = vec![
        r.code.clone(),
        r.name_th.clone(),
        r.kind.clone(),
        crate::i18n::Lang::Th.kind_name(&r.kind),
        r.province.clone(),
    ];
    for i in &fw.indicators {
        c.push(
            r.card
                .indicators
                .get(&i.number)
                .map(ToString::to_string)
                .unwrap_or_default(),
        );
    }
    for t in &fw.tools {
        c.push(
            r.card
                .tools
                .get(&t.code)
                .map(ToString::to_string)
                .unwrap_or_default(),
        );
    }
    c.push(r.card.overall.to_string());
    c.push(r.card.level.clone());
    c.push(r.card.level_th.clone());
    if !fw.parts.is_empty() {
        c.push(itas_core::sample::parts_cell(&r.parts));
    }
    c.push(itas_core::sample::short_cell(&r.short));
    c
}

fn download(content_type: &'static str, name: String, body: Body) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// A cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab or
/// CR first) gets a leading apostrophe, so an agency named `=HYPERLINK(…)`
/// is shown as text, never evaluated. Plain numbers are left as they are.
fn neutralise(c: &str) -> std::borrow::Cow<'_, str> {
    let risky = c.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && c.parse::<f64>().is_err() {
        std::borrow::Cow::Owned(format!("'{c}"))
    } else {
        std::borrow::Cow::Borrowed(c)
    }
}

pub(crate) fn csv_line(cells: &[String]) -> String {
    let quoted: Vec<String> = cells
        .iter()
        .map(|c| neutralise(c))
        .map(|c| {
            if c.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", c.replace('"', "\"\""))
            } else {
                c.into_owned()
            }
        })
        .collect();
    format!("{}\r\n", quoted.join(","))
}

/// CSV (UTF-8 with a byte-order mark so Excel reads Thai), sent in chunks as
/// it is written rather than built whole.
async fn export_csv(
    State(state): State<AppState>,
    user: MaybeUser,
    UserLang(lang): UserLang,
    Path(round_id): Path<String>,
) -> Result<Response, AppError> {
    let (round, fw, rows) = load(&state, &user, lang, &round_id).await?;
    let head = format!("\u{feff}{}", csv_line(&export_header(&fw)));
    let starts = (0..rows.len()).step_by(500);
    let chunks = std::iter::once(head).chain(starts.map(move |start| {
        rows[start..]
            .iter()
            .take(500)
            .map(|r| csv_line(&export_cells(&fw, r)))
            .collect::<String>()
    }));
    let stream = futures_util::stream::iter(
        chunks.map(|s| Ok::<_, std::convert::Infallible>(axum::body::Bytes::from(s))),
    );
    Ok(download(
        "text/csv; charset=utf-8",
        format!("ita-results-{}.csv", round.fiscal_year),
        Body::from_stream(stream),
    ))
}

async fn export_xlsx(
    State(state): State<AppState>,
    user: MaybeUser,
    UserLang(lang): UserLang,
    Path(round_id): Path<String>,
) -> Result<Response, AppError> {
    let (round, fw, rows) = load(&state, &user, lang, &round_id).await?;
    let bytes = tokio::task::spawn_blocking(move || xlsx(&fw, &rows))
        .await
        .map_err(|e| AppError::new(ErrorCode::Internal).detail(e.to_string()))?
        .map_err(|e| AppError::new(ErrorCode::Internal).detail(e.to_string()))?;
    Ok(download(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        format!("ita-results-{}.xlsx", round.fiscal_year),
        Body::from(bytes),
    ))
}

/// Scores go in as numbers with two decimals shown; the decimal text comes
/// from the engine's exact hundredths.
fn xlsx(fw: &Framework, rows: &[ResultRow]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    // Rows go to a temporary file as they are written, not into memory.
    let sheet = book.add_worksheet_with_constant_memory()?;
    sheet.set_name("ITA")?;
    let bold = Format::new().set_bold();
    let two = Format::new().set_num_format("0.00");
    for (c, h) in export_header(fw).iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, h, &bold)?;
    }
    for (i, r) in rows.iter().enumerate() {
        let row = i as u32 + 1;
        for (c, v) in export_cells(fw, r).iter().enumerate() {
            let col = c as u16;
            match v.parse::<itas_core::Score>() {
                // Text columns (code, name) stay text even when they look numeric.
                Ok(s) if c >= 5 => {
                    let n: f64 = s.to_string().parse().unwrap_or_default();
                    sheet.write_number_with_format(row, col, n, &two)?;
                }
                _ => {
                    sheet.write_string(row, col, v)?;
                }
            }
        }
    }
    sheet.set_freeze_panes(1, 2)?;
    book.save_to_buffer()
}

/// Open data: the round's framework and every agency's published results.
async fn open_data(
    State(state): State<AppState>,
    user: MaybeUser,
    UserLang(lang): UserLang,
    Path(round_id): Path<String>,
) -> Result<Response, AppError> {
    let (round, fw, rows) = load(&state, &user, lang, &round_id).await?;
    // Written in pieces as it is sent: the same JSON as one object
    // {"round", "framework", "agencies": [...]}, never held whole.
    let head = format!(
        "{{\"round\":{},\"framework\":{},\"agencies\":[",
        serde_json::json!({"name": round.name, "fiscal_year": round.fiscal_year}),
        serde_json::to_string(&fw)
            .map_err(|e| AppError::new(ErrorCode::Internal).detail(e.to_string()))?
    );
    let starts = (0..rows.len()).step_by(500);
    let pieces = std::iter::once(head)
        .chain(starts.map(move |start| {
            rows[start..]
                .iter()
                .take(500)
                .enumerate()
                .map(|(i, r)| {
                    let mut v = r.card.contract_json(&fw);
                    if let Some(o) = v.as_object_mut() {
                        o.insert("code".into(), r.code.clone().into());
                        o.insert("name_th".into(), r.name_th.clone().into());
                        o.insert("kind".into(), r.kind.clone().into());
                        o.insert(
                            "kind_th".into(),
                            crate::i18n::Lang::Th.kind_name(&r.kind).into(),
                        );
                        o.insert("province".into(), r.province.clone().into());
                        o.insert(
                            "below_minimum_sample".into(),
                            serde_json::to_value(&r.short).unwrap_or_default(),
                        );
                        if !fw.parts.is_empty() {
                            let by_part: serde_json::Map<String, serde_json::Value> = r
                                .parts
                                .iter()
                                .map(|s| (s.tool.clone(), s.counted.into()))
                                .collect();
                            o.insert("responses_by_part".into(), by_part.into());
                        }
                    }
                    let sep = if start + i == 0 { "" } else { "," };
                    format!("{sep}{v}")
                })
                .collect::<String>()
        }))
        .chain(std::iter::once("]}".to_string()));
    let stream = futures_util::stream::iter(
        pieces.map(|s| Ok::<_, std::convert::Infallible>(axum::body::Bytes::from(s))),
    );
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        Body::from_stream(stream),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_that_look_like_formulas_stay_text() {
        assert_eq!(
            csv_line(&[
                "=HYPERLINK(\"http://x\")".into(),
                "+1".into(),
                "-1.5".into(),
                "@SUM(A1)".into(),
                "\tx".into(),
                "ปกติ".into(),
            ]),
            "\"'=HYPERLINK(\"\"http://x\"\")\",+1,-1.5,'@SUM(A1),'\tx,ปกติ\r\n"
        );
    }

    #[test]
    fn csv_quotes_only_what_needs_it() {
        assert_eq!(
            csv_line(&["a".into(), "b,c".into(), "d\"e".into()]),
            "a,\"b,c\",\"d\"\"e\"\r\n"
        );
    }
}

/// How the API's dashboard figures are asked for.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct FiguresQuery {
    /// How agencies are grouped: `kind` (the default), `province` or `parent`.
    #[param(pattern = "^(kind|province|parent)$")]
    by: Option<String>,
    /// Only this province's agencies (its Thai name, as in the directory).
    province: Option<String>,
    /// Only this parent agency (its id) and the agencies under it.
    parent: Option<String>,
}

/// Agencies at one result.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct LevelCount {
    /// The level or pass label's code, as in the framework.
    code: String,
    name_th: String,
    agencies: usize,
}

/// One group's figures, or the whole scope's.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct GroupFigures {
    /// A kind's code, a province, a parent agency's id; empty for agencies
    /// with none, and for the whole scope.
    key: String,
    name_th: String,
    /// Agencies with complete results in the group.
    agencies: usize,
    /// Mean of their overall scores, two decimals, half up.
    #[schema(value_type = f64)]
    average: itas_core::Score,
    /// How many are at the framework's pass mark or above.
    at_pass: usize,
    /// Their share in percent, two decimals, half up.
    #[schema(value_type = f64)]
    share_at_pass: itas_core::Score,
    /// In the framework's level order, zeros included.
    levels: Vec<LevelCount>,
}

/// A tool's or an indicator's mean over the scope's agencies.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct MeanFigure {
    /// A tool's code (IIT, EIT, OIT) or an indicator's number.
    code: String,
    name_th: String,
    #[schema(value_type = f64)]
    mean: itas_core::Score,
}

/// A round's dashboard as figures: what the public dashboard shows, for a
/// ministry's or a province's own.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct DashboardFigures {
    round: crate::routes::api::RoundView,
    /// How the groups are made: kind, province or parent.
    by: String,
    province: Option<String>,
    parent: Option<String>,
    /// The round's participants, with results or not (the whole round).
    participants: i64,
    /// The framework's pass mark and the national target (percent of
    /// agencies at the pass mark or above).
    #[schema(value_type = f64)]
    pass_mark: itas_core::Score,
    national_target_percent: u32,
    /// Every agency of the scope with complete results.
    all: GroupFigures,
    tools: Vec<MeanFigure>,
    indicators: Vec<MeanFigure>,
    /// By `by`, in key order.
    groups: Vec<GroupFigures>,
}

fn group_figures(fw: &Framework, name_th: String, s: &GroupSummary) -> GroupFigures {
    GroupFigures {
        key: s.key.clone(),
        name_th,
        agencies: s.agencies,
        average: s.average,
        at_pass: s.at_pass,
        share_at_pass: s.share_at_pass,
        levels: s
            .levels
            .iter()
            .map(|(code, n)| LevelCount {
                code: code.clone(),
                name_th: fw
                    .levels
                    .iter()
                    .find(|l| &l.code == code)
                    .map_or_else(|| code.clone(), |l| l.name_th.clone()),
                agencies: *n,
            })
            .collect(),
    }
}

/// A round's dashboard figures, whole or for a province or a parent agency,
/// grouped by kind, province or parent: anyone once the round is published,
/// the central office before. Each figure is the engine's, as on the page.
#[utoipa::path(get, path = "/api/v1/rounds/{round}/dashboard", tag = "results",
    params(("round" = String, Path, description = "The round's id"), FiguresQuery),
    responses((status = 200, description = "The figures", body = DashboardFigures)))]
pub(crate) async fn api_figures(
    State(state): State<AppState>,
    crate::auth::ApiCaller(caller): crate::auth::ApiCaller,
    crate::auth::UserLang(lang): crate::auth::UserLang,
    Path(round_id): Path<String>,
    Query(q): Query<FiguresQuery>,
) -> Result<axum::Json<DashboardFigures>, AppError> {
    let fail = |e: AppError| crate::error::api_error(e, lang);
    let by = match q.by.as_deref().unwrap_or("kind") {
        b @ ("kind" | "province" | "parent") => GroupBy::parse(b),
        _ => {
            return Err(fail(
                AppError::new(ErrorCode::Invalid).detail("by: kind, province or parent"),
            ));
        }
    };
    let user = MaybeUser(caller);
    let round = visible_round(&state, &user, lang, &round_id)
        .await
        .map_err(fail)?;
    let fw = itas_app::survey::round_framework(&state, &round.id)
        .await
        .map_err(|e| fail(e.into()))?;
    let table = round_rows(&state, &round, &fw)
        .await
        .map_err(|e| fail(e.into()))?;
    let scope = Scope::of(q.province.as_deref(), q.parent.as_deref());
    let rows: Vec<&ResultRow> = table.iter().filter(|r| scope.keeps(r)).collect();
    let figures = cached_overview(&state, &round.id, &fw, &table, &scope)
        .await
        .map_err(|e| fail(e.into()))?;
    let participants = itas_app::rounds::participant_count(&state, &round.id)
        .await
        .map_err(|e| fail(e.into()))?;
    let thai = PageCtx::anonymous(crate::i18n::Lang::Th);
    let names: std::collections::HashMap<&str, &str> = table
        .iter()
        .map(|r| (r.agency_id.as_str(), r.name_th.as_str()))
        .collect();
    let mut groups = Vec::new();
    for (key, members) in group_rows(&rows, by) {
        let name = group_name(&state, &thai, by, &key, &names)
            .await
            .map_err(fail)?;
        groups.push(group_figures(&fw, name, &summarise(&fw, key, &members)));
    }
    let (province, parent) = match &scope {
        Scope::Nation => (None, None),
        Scope::Province(p) => (Some(p.clone()), None),
        Scope::Parent(p) => (None, Some(p.clone())),
    };
    Ok(axum::Json(DashboardFigures {
        by: by.code().to_string(),
        province,
        parent,
        participants,
        pass_mark: fw.pass_mark,
        national_target_percent: fw.national_target_percent,
        all: group_figures(&fw, "ทั้งหมด".to_string(), &figures.summary),
        tools: figures
            .tools
            .iter()
            .map(|(code, name, mean)| MeanFigure {
                code: code.clone(),
                name_th: name.clone(),
                mean: *mean,
            })
            .collect(),
        indicators: figures
            .indicators
            .iter()
            .map(|(n, name, mean)| MeanFigure {
                code: n.to_string(),
                name_th: name.clone(),
                mean: *mean,
            })
            .collect(),
        groups,
        round: round.into(),
    }))
}

/// A page of a round's results.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ResultsQuery {
    /// At most this many (1–1000, 100 if absent).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
    /// Skip this many first (in agency code order).
    #[param(minimum = 0)]
    offset: Option<i64>,
}

/// One agency's published results.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct AgencyResult {
    agency_id: String,
    code: String,
    name_th: String,
    /// The kind's code (e.g. sao, provincial_office).
    kind: String,
    province: String,
    parent_id: Option<String>,
    #[serde(flatten)]
    scores: crate::routes::api::ScoreResult,
    /// Survey tools computed below their minimum sample (empty when none).
    below_minimum_sample: Vec<crate::routes::api::ShortSample>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct ResultsPage {
    /// Agencies with complete results in the round, in all.
    total: usize,
    limit: i64,
    offset: i64,
    /// This page of them, by agency code.
    agencies: Vec<AgencyResult>,
}

/// A round's results, every agency with complete results, a page at a time
/// in agency code order: the open-data export (`/results/{round}/open-data.json`
/// streams all of it at once) for scripts that page. Anyone once the round
/// is published, the central office before.
#[utoipa::path(get, path = "/api/v1/rounds/{round}/results", tag = "results",
    params(("round" = String, Path, description = "The round's id"), ResultsQuery),
    responses((status = 200, description = "A page of results", body = ResultsPage)))]
pub(crate) async fn api_results(
    State(state): State<AppState>,
    crate::auth::ApiCaller(caller): crate::auth::ApiCaller,
    crate::auth::UserLang(lang): crate::auth::UserLang,
    Path(round_id): Path<String>,
    Query(q): Query<ResultsQuery>,
) -> Result<axum::Json<ResultsPage>, AppError> {
    let fail = |e: AppError| crate::error::api_error(e, lang);
    let itas_app::paging::Paging { limit, offset } =
        itas_app::paging::Paging::new(q.limit, q.offset).map_err(|e| fail(e.into()))?;
    let user = MaybeUser(caller);
    let round = visible_round(&state, &user, lang, &round_id)
        .await
        .map_err(fail)?;
    let fw = itas_app::survey::round_framework(&state, &round.id)
        .await
        .map_err(|e| fail(e.into()))?;
    let table = round_rows(&state, &round, &fw)
        .await
        .map_err(|e| fail(e.into()))?;
    let mut rows: Vec<&ResultRow> = table.iter().collect();
    rows.sort_by(|a, b| a.code.cmp(&b.code));
    let agencies = rows
        .iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(limit as usize)
        .map(|r| AgencyResult {
            agency_id: r.agency_id.clone(),
            code: r.code.clone(),
            name_th: r.name_th.clone(),
            kind: r.kind.clone(),
            province: r.province.clone(),
            parent_id: r.parent_id.clone(),
            scores: crate::routes::api::ScoreResult::new(&r.card, &fw),
            below_minimum_sample: crate::routes::api::ShortSample::of(&r.short),
        })
        .collect();
    Ok(axum::Json(ResultsPage {
        total: rows.len(),
        limit,
        offset,
        agencies,
    }))
}
