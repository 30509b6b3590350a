//! The OIT evidence workflow: the agency enters URLs and an explanation per
//! checklist item and submits; the assessor assigned to it passes or fails
//! each item (round 1); the agency revises the failed ones; the assessor
//! decides them again (round 2). Scores come from the final decisions.

use crate::auth::CurrentUser;
use crate::error::{ApiJson, AppError, ErrorCode};
use crate::pages::{FieldErrors, PageCtx};
use crate::routes::api::api;
use crate::views::oit::{AgencyOitPage, AssessorOitPage, ItemView};
use crate::{AppState, today};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use itas_core::directory::{Phase, Role};
use itas_core::framework::{Framework, ItemKind};
use itas_core::oit::{self, Decision, FailReason, Review};
use itas_core::scoring::{Inputs, score_available};
use itas_store::oit::{Evidence, StoredDecision};
use itas_store::rounds::{self, Round};
use std::collections::BTreeMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/agency/rounds/{round}/oit",
            get(agency_page).post(agency_save),
        )
        .route("/agency/rounds/{round}/oit/check", post(agency_check))
        .route(
            "/assessor/rounds/{round}/agencies/{agency}/oit",
            get(assessor_page),
        )
        .route(
            "/assessor/rounds/{round}/agencies/{agency}/oit/snapshots/{check}",
            get(snapshot),
        )
        .route(
            "/assessor/rounds/{round}/agencies/{agency}/oit/{item}",
            post(assessor_decide),
        )
        .route("/api/v1/rounds/{round}/oit", get(api_items))
        .route(
            "/api/v1/rounds/{round}/oit/items/{item}",
            axum::routing::put(api_put_item),
        )
        .route("/api/v1/rounds/{round}/oit/submit", post(api_submit))
        .route("/api/v1/rounds/{round}/oit/check", post(api_check))
        .route(
            "/api/v1/rounds/{round}/agencies/{agency}/oit",
            get(api_review_items),
        )
        .route(
            "/api/v1/rounds/{round}/agencies/{agency}/oit/items/{item}/decision",
            axum::routing::put(api_decide),
        )
}

use itas_app::oit::{AgencyScope, AssessorScope, Checks, MAX_URL_LEN};

fn phase_text(ctx: &PageCtx, phase: Option<Phase>) -> String {
    match phase {
        Some(p) => ctx.pick(p.name_th(), p.name_en()).to_string(),
        None => ctx
            .pick("ไม่อยู่ในช่วงดำเนินการ", "No phase open today")
            .to_string(),
    }
}

fn items(
    fw: &Framework,
    evidence: &BTreeMap<String, Evidence>,
    decisions: &[StoredDecision],
    checks: &Checks,
) -> Vec<ItemView> {
    let plain: Vec<Decision> = decisions.iter().map(StoredDecision::decision).collect();
    let finals = oit::final_results(&plain);
    fw.checklist_items()
        .map(|i| {
            let requirement = match &i.kind {
                ItemKind::Checklist { requirement_th, .. } => requirement_th.clone(),
                ItemKind::Survey { .. } => String::new(),
            };
            let e = evidence.get(&i.code);
            let find = |r: Review| {
                decisions
                    .iter()
                    .find(|d| d.item == i.code && d.review == r)
                    .cloned()
            };
            ItemView {
                code: i.code.clone(),
                indicator: i.indicator,
                sub: i
                    .subindicator
                    .as_deref()
                    .and_then(|s| fw.subindicator(s))
                    .map(|s| format!("{} {}", s.code, s.name_th))
                    .unwrap_or_default(),
                text: i.th.clone(),
                requirement,
                urls: e.map(|e| e.urls.clone()).unwrap_or_default(),
                url_list: e
                    .map(|e| e.url_list().iter().map(|u| u.to_string()).collect())
                    .unwrap_or_default(),
                checks: e
                    .map(|e| {
                        e.url_list()
                            .iter()
                            .filter_map(|u| checks.get(&(i.code.clone(), u.to_string())))
                            .map(|c| {
                                let light = itas_core::evidence::Light::parse(&c.light)
                                    .unwrap_or(itas_core::evidence::Light::Amber);
                                let findings: Vec<&str> = c
                                    .findings
                                    .iter()
                                    .filter_map(|f| f.parse::<itas_core::evidence::Finding>().ok())
                                    .map(|f| f.name_th())
                                    .collect();
                                (
                                    c.url.clone(),
                                    c.light.clone(),
                                    light.name_th().to_string(),
                                    findings.join(" · "),
                                    c.id.clone(),
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                explanation: e.map(|e| e.explanation.clone()).unwrap_or_default(),
                editable: false,
                first: find(Review::First),
                second: find(Review::Second),
                decide: None,
                final_passed: finals.get(&i.code).copied(),
                itas_page: matches!(
                    i.kind,
                    ItemKind::Checklist {
                        itas_page: true,
                        ..
                    }
                ),
            }
        })
        .collect()
}

/// OIT indicator and tool scores from the final decisions, once every item
/// has one.
fn oit_scores(fw: &Framework, decisions: &[StoredDecision]) -> Option<Vec<(String, String)>> {
    let plain: Vec<Decision> = decisions.iter().map(StoredDecision::decision).collect();
    let finals = oit::final_results(&plain);
    if fw.checklist_items().any(|i| !finals.contains_key(&i.code)) {
        return None;
    }
    let s = score_available(
        fw,
        &Inputs {
            passed: Some(oit::passed_items(&plain)),
            ..Default::default()
        },
    )
    .ok()?;
    let mut out: Vec<(String, String)> = s
        .indicators
        .iter()
        .map(|(n, v)| (format!("ตัวชี้วัดที่ {n}"), v.to_string()))
        .collect();
    for (t, v) in &s.tools {
        out.push((t.clone(), v.to_string()));
    }
    Some(out)
}

/// The newest public itas page the agency published for an earlier round:
/// its full address and fiscal year.
async fn itas_offer(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    agency_id: &str,
    round: &Round,
) -> Result<Option<(String, i64)>, AppError> {
    let base = crate::routes::agency::base_url(state, headers);
    Ok(
        itas_app::public_pages::latest_before(state, agency_id, round.fiscal_year)
            .await?
            .map(|(path, year)| (format!("{base}{path}"), year)),
    )
}

async fn agency_scope(
    state: &AppState,
    user: &CurrentUser,
    round_id: &str,
) -> Result<AgencyScope, AppError> {
    user.require(Role::AgencyAdmin)?;
    itas_app::oit::agency_scope(state, &user.actor(), round_id)
        .await
        .map_err(|e| AppError::from(e).in_lang(user.lang))
}

async fn render_agency(
    state: &AppState,
    user: &CurrentUser,
    headers: &axum::http::HeaderMap,
    s: AgencyScope,
    typed: Option<&BTreeMap<String, String>>,
    errors: FieldErrors,
    notice: Option<String>,
) -> Result<Response, AppError> {
    let mut ctx = PageCtx::for_user(user);
    ctx.notice = notice;
    let plain: Vec<Decision> = s.decisions.iter().map(StoredDecision::decision).collect();
    let mut list = items(&s.fw, &s.evidence, &s.decisions, &s.checks);
    for it in &mut list {
        it.editable = oit::agency_may_edit(s.phase, s.submitted, &it.code, &plain);
        if let Some(t) = typed {
            if let Some(u) = t.get(&format!("{}.urls", it.code)) {
                it.urls = u.clone();
            }
            if let Some(x) = t.get(&format!("{}.explanation", it.code)) {
                it.explanation = x.clone();
            }
        }
    }
    let published = itas_app::published::round_is_published(state, &s.round.id).await?;
    // Assessors' decisions are shown as they come; the score only after publication.
    let scores = if published {
        oit_scores(&s.fw, &s.decisions)
    } else {
        None
    };
    let phase = phase_text(&ctx, s.phase);
    let offer = itas_offer(state, headers, &s.agency_id, &s.round).await?;
    let itas_plan_link = if offer.is_none() && list.iter().any(|i| i.itas_page) {
        itas_app::rounds::of_agency(state, &s.agency_id)
            .await?
            .into_iter()
            .filter(|r| r.fiscal_year < s.round.fiscal_year)
            .max_by_key(|r| r.fiscal_year)
            .map(|r| format!("/agencies/{}/plan/{}#public-page", s.agency_id, r.id))
    } else {
        None
    };
    let page = AgencyOitPage {
        itas_offer: offer.map(|(u, y)| (u, ctx.num(&y.to_string()))),
        itas_plan_link,
        empty: list.iter().filter(|i| i.url_list.is_empty()).count(),
        can_submit: !s.submitted && matches!(s.phase, Some(Phase::Setup | Phase::Collection)),
        submitted: s.submitted,
        phase,
        items: list,
        errors,
        scores,
        round: s.round,
        ctx,
    };
    let status = if page.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((status, Html(page.render()?)).into_response())
}

async fn agency_page(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: axum::http::HeaderMap,
    Path(round_id): Path<String>,
) -> Result<Response, AppError> {
    let s = agency_scope(&state, &user, &round_id).await?;
    render_agency(
        &state,
        &user,
        &headers,
        s,
        None,
        FieldErrors::default(),
        None,
    )
    .await
}

async fn agency_save(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: axum::http::HeaderMap,
    Path(round_id): Path<String>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let s = agency_scope(&state, &user, &round_id).await?;
    let mut typed: BTreeMap<String, String> = form.into_iter().collect();
    // "Use my published itas page": the item's URLs gain the page's address,
    // and everything else typed is saved with it.
    let mut anchor = String::new();
    if let Some(code) = typed.get("itas_page").cloned() {
        let serves = s.fw.item(&code).is_some_and(|i| {
            matches!(
                i.kind,
                ItemKind::Checklist {
                    itas_page: true,
                    ..
                }
            )
        });
        let offer = itas_offer(&state, &headers, &s.agency_id, &s.round).await?;
        if let (true, Some((url, _))) = (serves, offer) {
            let key = format!("{code}.urls");
            let current = typed
                .get(&key)
                .cloned()
                .or_else(|| s.evidence.get(&code).map(|e| e.urls.clone()))
                .unwrap_or_default();
            if !current.lines().any(|l| l.trim() == url) {
                let joined = if current.trim().is_empty() {
                    url
                } else {
                    format!("{}\n{url}", current.trim_end())
                };
                typed.insert(key, joined);
            }
            typed
                .entry(format!("{code}.explanation"))
                .or_insert_with(|| {
                    s.evidence
                        .get(&code)
                        .map(|e| e.explanation.clone())
                        .unwrap_or_default()
                });
            anchor = format!("#{code}");
        }
    }
    let inputs: Vec<itas_app::oit::EvidenceInput> =
        s.fw.checklist_items()
            .filter_map(|item| {
                let urls = typed.get(&format!("{}.urls", item.code))?;
                let explanation = typed.get(&format!("{}.explanation", item.code))?;
                Some(itas_app::oit::EvidenceInput {
                    item: item.code.clone(),
                    urls: vec![urls.clone()],
                    explanation: explanation.clone(),
                })
            })
            .collect();
    if !inputs.is_empty() {
        match itas_app::oit::save_evidence(&state, &user.actor(), &s, &inputs).await {
            Ok(_) => {}
            Err(e) if !e.fields.is_empty() => {
                let errors = FieldErrors::of(&e.fields, user.lang);
                return render_agency(&state, &user, &headers, s, Some(&typed), errors, None).await;
            }
            Err(e) => return Err(AppError::from(e).in_lang(user.lang)),
        }
    }
    if typed.get("action").is_some_and(|a| a == "submit") {
        itas_app::oit::submit(&state, &user.actor(), &s)
            .await
            .map_err(|e| AppError::from(e).in_lang(user.lang))?;
        // The snapshot of what was there when the agency submitted.
        crate::routes::public_page::spawn_check(
            &state,
            s.agency_id.clone(),
            round_id.clone(),
            None,
            "submit",
        );
    }
    Ok(Redirect::to(&format!("/agency/rounds/{round_id}/oit?saved=1{anchor}")).into_response())
}

/// What an assessor is told when the review phases are not open today.
fn review_note(ctx: &PageCtx, phases: &[rounds::PhaseDates], today: time::Date) -> Option<String> {
    let date = |d: time::Date| itas_core::thai::format_date(d, itas_core::thai::Digits::Thai);
    let of = |p: Phase| phases.iter().find(|x| x.phase == p);
    let (r1, r2) = (of(Phase::Review1), of(Phase::Review2));
    let open = |x: Option<&rounds::PhaseDates>| {
        x.is_some_and(|x| x.starts_on <= today && today <= x.ends_on)
    };
    if open(r1) || open(r2) {
        return None;
    }
    if let Some(r) = r1.filter(|r| today < r.starts_on) {
        return Some(format!(
            "{} {} – {}",
            ctx.pick(
                "ยังไม่ถึงช่วงตรวจ การตรวจรอบที่ ๑ เปิดให้บันทึกผล",
                "Not a review phase yet: review round 1 opens"
            ),
            date(r.starts_on),
            date(r.ends_on)
        ));
    }
    if let Some(r) = r2.filter(|r| today < r.starts_on) {
        return Some(format!(
            "{} {} – {}",
            ctx.pick(
                "หน่วยงานกำลังแก้ไขข้อมูล การตรวจรอบที่ ๒ (เฉพาะข้อที่ไม่ผ่าน) เปิดให้บันทึกผล",
                "The agency is revising: review round 2 (failed items only) opens"
            ),
            date(r.starts_on),
            date(r.ends_on)
        ));
    }
    let last = r2.or(r1)?;
    Some(format!(
        "{} {}",
        ctx.pick("ช่วงตรวจ OIT สิ้นสุดแล้วเมื่อ", "The OIT review phases ended on"),
        date(last.ends_on)
    ))
}

async fn assessor_scope(
    state: &AppState,
    user: &CurrentUser,
    round_id: &str,
    agency_id: &str,
) -> Result<AssessorScope, AppError> {
    user.require(Role::Assessor)?;
    itas_app::oit::assessor_scope(state, &user.actor(), round_id, agency_id)
        .await
        .map_err(|e| AppError::from(e).in_lang(user.lang))
}

async fn render_assessor(
    user: &CurrentUser,
    s: AssessorScope,
    errors: FieldErrors,
) -> Result<Response, AppError> {
    let ctx = PageCtx::for_user(user);
    let plain: Vec<Decision> = s.decisions.iter().map(StoredDecision::decision).collect();
    let mut list = items(&s.fw, &s.evidence, &s.decisions, &s.checks);
    for it in &mut list {
        it.decide = if s.submitted {
            oit::assessor_may_decide(s.phase, &it.code, &plain).map(Review::number)
        } else {
            None
        };
    }
    let phase = phase_text(&ctx, s.phase);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = AssessorOitPage {
        review_note: review_note(&ctx, &s.phases, today()),
        decided: list.iter().filter(|i| i.final_passed.is_some()).count(),
        scores: oit_scores(&s.fw, &s.decisions),
        reasons: FailReason::ALL
            .iter()
            .map(|r| (r.code(), ctx.pick(r.name_th(), r.name_en())))
            .collect(),
        items: list,
        phase,
        submitted: s.submitted,
        round: s.round,
        agency: s.agency,
        errors,
        ctx,
    };
    Ok((status, Html(page.render()?)).into_response())
}

async fn assessor_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((round_id, agency_id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let s = assessor_scope(&state, &user, &round_id, &agency_id).await?;
    render_assessor(&user, s, FieldErrors::default()).await
}

#[derive(serde::Deserialize)]
struct DecisionForm {
    #[serde(default)]
    result: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    comment: String,
}

async fn assessor_decide(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((round_id, agency_id, item)): Path<(String, String, String)>,
    Form(f): Form<DecisionForm>,
) -> Result<Response, AppError> {
    let s = assessor_scope(&state, &user, &round_id, &agency_id).await?;
    let input = itas_app::oit::DecisionInput {
        passed: match f.result.as_str() {
            "pass" => Some(true),
            "fail" => Some(false),
            _ => None,
        },
        reason: f.reason.parse::<FailReason>().ok(),
        comment: f.comment,
    };
    match itas_app::oit::decide(&state, &user.actor(), &s, &item, &input).await {
        Ok(_) => {
            // The snapshot of what the assessor judged.
            crate::routes::public_page::spawn_check(
                &state,
                agency_id.clone(),
                round_id.clone(),
                Some(item.clone()),
                "review",
            );
            // Back to the page, at the next item: the keyboard flow of a review.
            let next =
                s.fw.checklist_items()
                    .skip_while(|i| i.code != item)
                    .nth(1)
                    .map(|i| format!("#{}", i.code))
                    .unwrap_or_default();
            Ok(Redirect::to(&format!(
                "/assessor/rounds/{round_id}/agencies/{agency_id}/oit{next}"
            ))
            .into_response())
        }
        Err(e) if !e.fields.is_empty() => {
            render_assessor(&user, s, FieldErrors::of(&e.fields, user.lang)).await
        }
        Err(e) => Err(AppError::from(e).in_lang(user.lang)),
    }
}

/// "Check my links now": runs in the background; results appear on the page.
async fn agency_check(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(round_id): Path<String>,
) -> Result<Response, AppError> {
    let s = agency_scope(&state, &user, &round_id).await?;
    crate::routes::public_page::spawn_check(&state, s.agency_id, round_id.clone(), None, "check");
    Ok(Redirect::to(&format!("/agency/rounds/{round_id}/oit?checking=1")).into_response())
}

/// A stored snapshot, served in a sandbox: no scripts, no same-origin access,
/// so a hostile page cannot act as itas.
async fn snapshot(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((round_id, agency_id, check)): Path<(String, String, String)>,
) -> Result<Response, AppError> {
    user.require(Role::Assessor)?;
    let snap = itas_app::oit::snapshot(&state, &user.actor(), &round_id, &agency_id, &check)
        .await
        .map_err(|e| AppError::from(e).in_lang(user.lang))?;
    let (url, at, sha, body) = (
        snap.url,
        snap.checked_at,
        snap.sha256,
        snap.body.unwrap_or_default(),
    );
    let ct = if snap.content_type.is_empty() {
        "application/octet-stream".to_string()
    } else {
        snap.content_type
    };
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, ct),
            (
                axum::http::header::CONTENT_SECURITY_POLICY,
                "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'".to_string(),
            ),
            (
                axum::http::header::X_CONTENT_TYPE_OPTIONS,
                "nosniff".to_string(),
            ),
            (
                axum::http::HeaderName::from_static("x-itas-snapshot"),
                format!("url={url}; fetched_ms={at}; sha256={sha}")
                    .chars()
                    .filter(|c| c.is_ascii() && !c.is_ascii_control())
                    .collect(),
            ),
        ],
        body,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use itas_app::oit::url_problem;

    #[test]
    fn a_url_is_refused_with_the_rule_it_breaks() {
        assert_eq!(url_problem("https://www.example.go.th/ita"), None);
        assert_eq!(url_problem("http://www.example.go.th/ita"), None);
        let rule = |u: &str| url_problem(u).map(|(th, _)| th).unwrap_or("");
        assert!(rule("www.example.go.th").contains("ต้องขึ้นต้นด้วย"));
        // An http:// URL is never told to start with http://.
        assert!(rule("http://www.example .go.th").contains("ช่องว่าง"));
        assert!(rule("http://intranet/ita").contains("ชื่อเว็บไซต์"));
        assert!(rule(&format!("https://a.go.th/{}", "x".repeat(2_000))).contains("ยาวเกิน"));
    }
}

// The same workflow as JSON, for an agency's own systems (a CMS pushing its
// OIT URLs). The same rules as the page: the agency admin of the agency, the
// same phases, the same URL checks; errors as JSON in the caller's language.

/// The latest automatic check of one URL.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct UrlCheck {
    url: String,
    #[schema(inline)]
    light: LightCode,
    /// What the check found, as finding codes (e.g. `unreachable`, `no_tls`, `other_domain`).
    findings: Vec<String>,
    /// When the check ran, in milliseconds since 1970 (compare with a
    /// submit's or a check's `started_at` to wait for the new lights).
    checked_at: Option<i64>,
}

/// The latest check of each of an item's URLs, for the API.
fn url_checks(it: &ItemView, checks: &Checks) -> Vec<UrlCheck> {
    it.checks
        .iter()
        .map(|(url, light, _, _, _)| UrlCheck {
            url: url.clone(),
            light: itas_core::evidence::Light::parse(light)
                .unwrap_or(itas_core::evidence::Light::Amber)
                .into(),
            findings: checks
                .get(&(it.code.clone(), url.clone()))
                .map(|c| c.findings.clone())
                .unwrap_or_default(),
            checked_at: checks
                .get(&(it.code.clone(), url.clone()))
                .map(|c| c.checked_at),
        })
        .collect()
}

/// The traffic light of a URL check: green (looks right), amber (look at it),
/// red (the assessor will not find the evidence there).
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum LightCode {
    Green,
    Amber,
    Red,
}

impl From<itas_core::evidence::Light> for LightCode {
    fn from(l: itas_core::evidence::Light) -> LightCode {
        use itas_core::evidence::Light;
        match l {
            Light::Green => LightCode::Green,
            Light::Amber => LightCode::Amber,
            Light::Red => LightCode::Red,
        }
    }
}

/// One checklist item of the agency's OIT evidence.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct OitItem {
    /// The item's code in the framework (e.g. o1, O25).
    item: String,
    indicator: u32,
    title_th: String,
    requirement_th: String,
    /// The agency's published itas page can be this item's evidence.
    itas_page: bool,
    urls: Vec<String>,
    explanation: String,
    /// Whether the agency may change it now.
    editable: bool,
    checks: Vec<UrlCheck>,
    /// The assessors' final decision; null until there is one.
    passed: Option<bool>,
}

/// The agency's OIT checklist in a round.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct OitChecklist {
    round: String,
    agency: String,
    /// The round's phase today; null outside every phase.
    phase: Option<String>,
    /// Whether the agency has submitted its evidence to the assessors.
    submitted: bool,
    items: Vec<OitItem>,
}

/// The round's checklist for the caller's agency: each item with its
/// requirement, the URLs and explanation entered, whether it may be edited
/// now, the latest automatic check of each URL, and the final decision.
#[utoipa::path(get, path = "/api/v1/rounds/{round}/oit", tag = "oit",
    params(("round" = String, Path, description = "The round's id")),
    responses((status = 200, description = "The checklist", body = OitChecklist)))]
pub(crate) async fn api_items(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(round_id): Path<String>,
) -> Result<axum::Json<OitChecklist>, AppError> {
    let s = agency_scope(&state, &user, &round_id)
        .await
        .map_err(|e| api(e, Some(&user)))?;
    let plain: Vec<Decision> = s.decisions.iter().map(StoredDecision::decision).collect();
    let list = items(&s.fw, &s.evidence, &s.decisions, &s.checks);
    let items = list
        .into_iter()
        .map(|it| OitItem {
            editable: oit::agency_may_edit(s.phase, s.submitted, &it.code, &plain),
            checks: url_checks(&it, &s.checks),
            item: it.code,
            indicator: it.indicator,
            title_th: it.text,
            requirement_th: it.requirement,
            itas_page: it.itas_page,
            urls: it.url_list,
            explanation: it.explanation,
            passed: it.final_passed,
        })
        .collect();
    Ok(axum::Json(OitChecklist {
        round: s.round.id,
        agency: s.agency_id,
        phase: s.phase.map(|p| p.code().to_string()),
        submitted: s.submitted,
        items,
    }))
}

/// One item's evidence: at most five http(s) URLs and an explanation.
#[derive(serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct ItemEvidence {
    #[serde(default)]
    #[schema(max_items = 5)]
    urls: Vec<UrlText>,
    /// At most 4,000 characters.
    #[serde(default)]
    #[schema(max_length = 4000)]
    explanation: String,
}

/// An http or https URL of at most 2,000 characters, without spaces, with a
/// site name (the rules of `url_problem`).
#[derive(serde::Deserialize, serde::Serialize)]
#[serde(transparent)]
pub(crate) struct UrlText(String);

impl utoipa::PartialSchema for UrlText {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
        utoipa::openapi::RefOr::T(Schema::Object(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .max_length(Some(MAX_URL_LEN))
                .pattern(Some(
                    r"^https?://([^\s/?#]*\.[^\s/?#]*|localhost[^\s/?#]*)([/?#]\S*)?$",
                ))
                .build(),
        ))
    }
}

impl utoipa::ToSchema for UrlText {}

/// Sets one item's URLs and explanation (a draft until submitted).
#[utoipa::path(put, path = "/api/v1/rounds/{round}/oit/items/{item}", tag = "oit",
    params(("round" = String, Path, description = "The round's id"),
           ("item" = String, Path, description = "The checklist item's code")),
    request_body = ItemEvidence,
    responses((status = 200, description = "Saved, as the server keeps it (trimmed)", body = ItemEvidence)))]
pub(crate) async fn api_put_item(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((round_id, item)): Path<(String, String)>,
    ApiJson(b): ApiJson<ItemEvidence>,
) -> Result<axum::Json<ItemEvidence>, AppError> {
    let s = agency_scope(&state, &user, &round_id)
        .await
        .map_err(|e| api(e, Some(&user)))?;
    let input = itas_app::oit::EvidenceInput {
        item,
        urls: b.urls.into_iter().map(|u| u.0).collect(),
        explanation: b.explanation,
    };
    let saved = itas_app::oit::save_evidence(&state, &user.actor(), &s, &[input])
        .await
        .map_err(|e| api(e, Some(&user)))?;
    let clean = saved.into_iter().next().ok_or_else(|| {
        api(
            AppError::new(ErrorCode::Internal).detail("nothing saved"),
            Some(&user),
        )
    })?;
    Ok(axum::Json(ItemEvidence {
        urls: clean.url_list().into_iter().map(UrlText).collect(),
        explanation: clean.explanation,
    }))
}

/// What a submit or a check started.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct CheckStarted {
    /// The evidence is with the assessors (no changes after).
    submitted: bool,
    /// Every URL is being checked in the background; the lights appear on
    /// GET …/oit.
    checking: bool,
    /// When the checks started, in milliseconds since 1970: a check whose
    /// `checked_at` is not earlier is one of these.
    started_at: i64,
}

/// Submits the agency's OIT evidence to the assessors (no changes after),
/// and checks every URL in the background.
#[utoipa::path(post, path = "/api/v1/rounds/{round}/oit/submit", tag = "oit",
    params(("round" = String, Path, description = "The round's id")),
    responses((status = 200, description = "Submitted", body = CheckStarted)))]
pub(crate) async fn api_submit(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(round_id): Path<String>,
) -> Result<axum::Json<CheckStarted>, AppError> {
    let s = agency_scope(&state, &user, &round_id)
        .await
        .map_err(|e| api(e, Some(&user)))?;
    itas_app::oit::submit(&state, &user.actor(), &s)
        .await
        .map_err(|e| api(e, Some(&user)))?;
    let started_at = itas_store::now_ms();
    crate::routes::public_page::spawn_check(
        &state,
        s.agency_id.clone(),
        round_id.clone(),
        None,
        "submit",
    );
    Ok(axum::Json(CheckStarted {
        submitted: true,
        checking: true,
        started_at,
    }))
}

/// Checks every URL now, in the background; the lights appear on GET …/oit.
#[utoipa::path(post, path = "/api/v1/rounds/{round}/oit/check", tag = "oit",
    params(("round" = String, Path, description = "The round's id")),
    responses((status = 202, description = "Checking", body = CheckStarted)))]
pub(crate) async fn api_check(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(round_id): Path<String>,
) -> Result<(StatusCode, axum::Json<CheckStarted>), AppError> {
    let s = agency_scope(&state, &user, &round_id)
        .await
        .map_err(|e| api(e, Some(&user)))?;
    let started_at = itas_store::now_ms();
    crate::routes::public_page::spawn_check(&state, s.agency_id, round_id, None, "check");
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(CheckStarted {
            submitted: s.submitted,
            checking: true,
            started_at,
        }),
    ))
}

// The assessor's review as JSON: the same scope (assigned agencies only), the
// same phases and the same rules as the review page.

/// One review's decision on an item.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct DecisionView {
    /// 1 (first review) or 2 (after the agency's one revision).
    review: i64,
    passed: bool,
    /// Why it failed (a code of FailReason); null when it passed.
    reason: Option<String>,
    comment: String,
}

impl From<&StoredDecision> for DecisionView {
    fn from(d: &StoredDecision) -> DecisionView {
        DecisionView {
            review: d.review.number(),
            passed: d.passed,
            reason: d.reason.map(|r| r.code().to_string()),
            comment: d.comment.clone(),
        }
    }
}

/// One checklist item as the assessor reviews it.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct ReviewItem {
    item: String,
    indicator: u32,
    title_th: String,
    requirement_th: String,
    urls: Vec<String>,
    explanation: String,
    checks: Vec<UrlCheck>,
    first: Option<DecisionView>,
    second: Option<DecisionView>,
    /// The review the caller may decide now (1 or 2); null when none.
    decide: Option<i64>,
    /// The final decision; null until there is one.
    passed: Option<bool>,
}

/// An agency's OIT evidence as its assessor reviews it.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct ReviewChecklist {
    round: String,
    agency: String,
    phase: Option<String>,
    /// Whether the agency has submitted; nothing can be decided before.
    submitted: bool,
    items: Vec<ReviewItem>,
}

/// An assigned agency's checklist with its evidence, the automatic checks,
/// both reviews' decisions and which review may be decided now (assessor).
#[utoipa::path(get, path = "/api/v1/rounds/{round}/agencies/{agency}/oit", tag = "oit",
    params(("round" = String, Path, description = "The round's id"),
           ("agency" = String, Path, description = "The agency's id")),
    responses((status = 200, description = "The checklist under review", body = ReviewChecklist)))]
pub(crate) async fn api_review_items(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((round_id, agency_id)): Path<(String, String)>,
) -> Result<axum::Json<ReviewChecklist>, AppError> {
    let s = assessor_scope(&state, &user, &round_id, &agency_id)
        .await
        .map_err(|e| api(e, Some(&user)))?;
    let plain: Vec<Decision> = s.decisions.iter().map(StoredDecision::decision).collect();
    let items = items(&s.fw, &s.evidence, &s.decisions, &s.checks)
        .into_iter()
        .map(|it| ReviewItem {
            decide: oit::assessor_may_decide(s.phase, &it.code, &plain)
                .filter(|_| s.submitted)
                .map(Review::number),
            checks: url_checks(&it, &s.checks),
            first: it.first.as_ref().map(DecisionView::from),
            second: it.second.as_ref().map(DecisionView::from),
            item: it.code,
            indicator: it.indicator,
            title_th: it.text,
            requirement_th: it.requirement,
            urls: it.url_list,
            explanation: it.explanation,
            passed: it.final_passed,
        })
        .collect();
    Ok(axum::Json(ReviewChecklist {
        round: s.round.id,
        agency: s.agency.id,
        phase: s.phase.map(|p| p.code().to_string()),
        submitted: s.submitted,
        items,
    }))
}

/// Why an item fails.
#[derive(serde::Deserialize, utoipa::ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub(crate) enum FailReasonCode {
    NoUrl,
    Unreachable,
    NotOwnSite,
    WrongContent,
    Incomplete,
    WrongYear,
    Other,
}

impl From<FailReasonCode> for FailReason {
    fn from(r: FailReasonCode) -> FailReason {
        match r {
            FailReasonCode::NoUrl => FailReason::NoUrl,
            FailReasonCode::Unreachable => FailReason::Unreachable,
            FailReasonCode::NotOwnSite => FailReason::NotOwnSite,
            FailReasonCode::WrongContent => FailReason::WrongContent,
            FailReasonCode::Incomplete => FailReason::Incomplete,
            FailReasonCode::WrongYear => FailReason::WrongYear,
            FailReasonCode::Other => FailReason::Other,
        }
    }
}

/// A decision on one item: a fail needs its reason, and "other" a comment.
#[derive(serde::Deserialize, utoipa::ToSchema)]
pub(crate) struct DecisionBody {
    passed: bool,
    #[serde(default)]
    #[schema(inline)]
    reason: Option<FailReasonCode>,
    /// At most 2,000 characters; required (not blank) when the reason is "other".
    #[serde(default)]
    #[schema(max_length = 2000)]
    comment: String,
}

/// Decides one item in the review that is open now (assessor, after the
/// agency submitted): the first review, or the second after the agency's
/// one revision. The decision is audited and a snapshot of the evidence kept.
#[utoipa::path(put, path = "/api/v1/rounds/{round}/agencies/{agency}/oit/items/{item}/decision", tag = "oit",
    params(("round" = String, Path, description = "The round's id"),
           ("agency" = String, Path, description = "The agency's id"),
           ("item" = String, Path, description = "The checklist item's code")),
    request_body = DecisionBody,
    responses((status = 200, description = "Decided", body = DecisionView)))]
pub(crate) async fn api_decide(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((round_id, agency_id, item)): Path<(String, String, String)>,
    ApiJson(b): ApiJson<DecisionBody>,
) -> Result<axum::Json<DecisionView>, AppError> {
    let s = assessor_scope(&state, &user, &round_id, &agency_id)
        .await
        .map_err(|e| api(e, Some(&user)))?;
    let input = itas_app::oit::DecisionInput {
        passed: Some(b.passed),
        reason: b.reason.map(FailReason::from),
        comment: b.comment,
    };
    let d = itas_app::oit::decide(&state, &user.actor(), &s, &item, &input)
        .await
        .map_err(|e| api(e, Some(&user)))?;
    crate::routes::public_page::spawn_check(
        &state,
        agency_id,
        round_id,
        Some(item.clone()),
        "review",
    );
    Ok(axum::Json(DecisionView {
        review: d.review.number(),
        passed: d.passed,
        reason: d.reason.map(|r| r.code().to_string()),
        comment: d.comment,
    }))
}
