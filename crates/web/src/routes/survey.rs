//! What respondents see: `/s/{code}`, on a cheap phone, with no account.
//!
//! One page per indicator; answers are kept in a server-side draft under a
//! random cookie, so a dropped connection loses nothing and the respondent
//! resumes where they were. Nothing stored links an answer to a person.

use crate::AppState;
use crate::auth::{self, PeerAddr, UserLang};
use crate::error::{AppError, ErrorCode};
use crate::i18n::Lang;
use crate::pages::PageCtx;
use crate::views::survey::{
    CellView, LandingPage, OptionView, QuestionPage, QuestionView, ThanksPage,
};
use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{AppendHeaders, Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use itas_core::directory::Phase;
use itas_core::framework::{Framework, ItemKind};
use itas_core::quality::SpeedBucket;
use itas_core::survey::{self, AnswerProblem, Answers};
use itas_store::drafts::Draft;
use itas_store::ingest::Outcome;
use itas_store::rounds::RoundState;
use itas_store::surveys::Link;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

pub const DRAFT_COOKIE: &str = "itas_draft";
/// When the respondent saved a first page (epoch seconds), kept in the
/// browser only: the server counts the completion time as a bucket and never
/// stores a time beside the answers.
pub const STARTED_COOKIE: &str = "itas_started";
/// The link whose questionnaire this browser sent last (browser only), so a
/// page reached again with Back says the answers were already sent.
pub const SENT_COOKIE: &str = "itas_sent";
/// A questionnaire form is a few kilobytes; anything far larger is refused.
pub const MAX_SURVEY_BODY: usize = 64 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/s/{code}", get(landing).post(start))
        .route("/s/{code}/q/{page}", get(page).post(save_page))
        .route("/s/{code}/submit", axum::routing::post(submit_all))
        .route("/s/{code}/thanks", get(thanks))
        .layer(DefaultBodyLimit::max(MAX_SURVEY_BODY))
}

/// A survey link that can take answers now, with what its pages need.
struct Open {
    link: Link,
    fw: Arc<Framework>,
    agency_name: String,
    tool_name: String,
    require_code: bool,
}

async fn open_link(state: &AppState, code: &str, lang: Lang) -> Result<Open, AppError> {
    let gone = |msg: (&str, &str)| {
        AppError::new(ErrorCode::LinkClosed)
            .in_lang(lang)
            .detail(lang.pick(msg.0, msg.1).to_string())
    };
    let o = itas_app::survey::load_link(state, code)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound).in_lang(lang))?;
    if o.link.revoked_at.is_some() {
        return Err(gone((
            "หน่วยงานได้เปลี่ยนลิงก์แบบวัดนี้แล้ว กรุณาใช้ลิงก์หรือ QR Code ใหม่ที่หน่วยงานเผยแพร่",
            "The agency has replaced this link; please use the new link or QR code it published",
        )));
    }
    match o.state {
        RoundState::In(Phase::Collection) => {}
        RoundState::NotStarted | RoundState::In(Phase::Setup) => {
            return Err(gone((
                "แบบวัดนี้ยังไม่เปิดให้ตอบ",
                "This questionnaire is not open yet",
            )));
        }
        _ => {
            return Err(gone((
                "แบบวัดนี้ปิดรับคำตอบแล้ว ขอบคุณที่ให้ความสนใจ",
                "This questionnaire is closed; thank you for your interest",
            )));
        }
    }
    Ok(Open {
        link: o.link.clone(),
        fw: o.fw.clone(),
        agency_name: lang.pick(&o.agency_th, &o.agency_en).to_string(),
        tool_name: lang.pick(&o.tool_th, &o.tool_en).to_string(),
        require_code: o.require_code,
    })
}

/// The draft's contents: answers so far and the hash of the code that opened it.
#[derive(serde::Serialize, serde::Deserialize, Default)]
struct DraftBody {
    #[serde(default)]
    a: Answers,
    #[serde(default)]
    c: Option<String>,
    /// Choices of questions not yet fully answered (field → option code),
    /// kept when the respondent goes back a page before finishing them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    t: BTreeMap<String, String>,
}

impl DraftBody {
    /// Takes a page's form into the draft: whole answers into `a`, the
    /// choices of questions still incomplete into `t`.
    fn take_page(
        &mut self,
        fw: &Framework,
        indicator: u32,
        answers: Answers,
        form: &HashMap<String, String>,
    ) {
        let fields = survey::page_fields(fw, indicator);
        self.t
            .retain(|f, _| !fields.iter().any(|(_, field)| field == f));
        for (item, f) in &fields {
            if answers.contains_key(item) {
                continue;
            }
            if let Some(v) = form.get(f).map(|v| v.trim()).filter(|v| !v.is_empty()) {
                self.t.insert(f.clone(), v.to_string());
            }
        }
        self.a.extend(answers);
    }
}

struct DraftState {
    token: String,
    submission_id: String,
    body: DraftBody,
    is_new: bool,
}

/// The draft cookie's value: the draft's token, then a dot and the version
/// of the last save acknowledged to this browser (a cookie from before
/// versions has the token alone).
fn draft_cookie_of(headers: &HeaderMap) -> Option<(String, Option<String>)> {
    let value = auth::cookie(headers, DRAFT_COOKIE)?;
    let (token, version) = match value.split_once('.') {
        Some((token, version)) => (token, Some(version)),
        None => (value.as_str(), None),
    };
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let version = version.filter(|v| itas_app::draft_cache::is_version(v));
    Some((token.to_string(), version.map(str::to_string)))
}

async fn draft_of(
    state: &AppState,
    headers: &HeaderMap,
    code: &str,
) -> Result<DraftState, AppError> {
    if let Some((token, version)) = draft_cookie_of(headers)
        && let Some(d) = itas_app::survey::draft(state, &token, version.as_deref()).await?
        && d.link_code == code
    {
        let body = serde_json::from_str(&d.answers).unwrap_or_default();
        return Ok(DraftState {
            token,
            submission_id: d.submission_id,
            body,
            is_new: false,
        });
    }
    Ok(DraftState {
        token: auth::random_token(),
        submission_id: uuid::Uuid::new_v4().to_string(),
        body: DraftBody::default(),
        is_new: true,
    })
}

/// Saves the draft; answers the draft cookie that names this save.
async fn store_draft(
    state: &AppState,
    link: &Link,
    d: &DraftState,
) -> Result<(axum::http::HeaderName, axum::http::HeaderValue), AppError> {
    let answers = serde_json::to_string(&d.body)
        .map_err(|e| AppError::new(ErrorCode::Internal).detail(e.to_string()))?;
    let draft = Draft {
        link_code: link.code.clone(),
        submission_id: d.submission_id.clone(),
        answers,
    };
    let version = itas_app::survey::save_draft(
        state,
        &state.ingest,
        &link.agency_id,
        &d.token,
        d.is_new,
        draft,
        state.config.draft_budget,
    )
    .await?;
    Ok(draft_cookie(
        state,
        &format!("{}.{version}", d.token),
        7 * 24 * 3600,
    ))
}

/// A submission id as the server stores it: a random UUID (version 4) in its
/// canonical form. Anything else (a v1 holds a time and a MAC address, a v7 a
/// time) is refused, so no stored id can date or place a respondent.
pub fn submission_id(s: &str) -> Option<String> {
    uuid::Uuid::parse_str(s.trim())
        .ok()
        .filter(|u| u.get_version_num() == 4)
        .map(|u| u.hyphenated().to_string())
}

/// Why a page could not be saved, said on the page itself with the answers kept.
fn page_refusal(e: &AppError, lang: Lang) -> Option<(StatusCode, String)> {
    match e.code {
        ErrorCode::StorageFault | ErrorCode::Unavailable | ErrorCode::SlowDown => Some((
            crate::error::status_of(e.code),
            format!(
                "{} {}",
                e.code.message(lang),
                lang.pick(
                    "คำตอบที่ท่านเลือกไว้ยังอยู่ในหน้านี้ กดปุ่มอีกครั้งได้เลย",
                    "The answers you chose are still on this page; press the button again."
                )
            ),
        )),
        _ => None,
    }
}

fn started_cookie(state: &AppState) -> (axum::http::HeaderName, axum::http::HeaderValue) {
    let now = state.config.clock.now().unix_timestamp().to_string();
    auth::set_cookie(
        STARTED_COOKIE,
        &now,
        7 * 24 * 3600,
        state.config.secure_cookies,
    )
}

fn draft_cookie(
    state: &AppState,
    value: &str,
    max_age_s: i64,
) -> (axum::http::HeaderName, axum::http::HeaderValue) {
    auth::set_cookie(DRAFT_COOKIE, value, max_age_s, state.config.secure_cookies)
}

async fn landing(
    State(state): State<AppState>,
    UserLang(lang): UserLang,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> Result<Response, AppError> {
    let open = open_link(&state, &code, lang).await?;
    let d = draft_of(&state, &headers, &code).await?;
    let page = LandingPage {
        ctx: PageCtx::respondent(lang),
        resume: !d.is_new && (!d.body.a.is_empty() || !d.body.t.is_empty()),
        resume_page: survey::first_unanswered_page(&open.fw, &open.link.tool, &d.body.a),
        sent: d.is_new && sent_here(&headers, &code),
        code,
        agency: open.agency_name,
        tool: open.tool_name,
        tool_code: open.link.tool,
        require_code: open.require_code && d.body.c.is_none(),
        error: String::new(),
        typed: String::new(),
    };
    Ok(no_store(Html(page.render()?)))
}

#[derive(serde::Deserialize)]
struct StartForm {
    #[serde(default)]
    access_code: String,
}

/// Starts a questionnaire that needs a single-use code.
async fn start(
    State(state): State<AppState>,
    UserLang(lang): UserLang,
    headers: HeaderMap,
    PeerAddr(peer): PeerAddr,
    Path(code): Path<String>,
    form: Result<Form<StartForm>, FormRejection>,
) -> Result<Response, AppError> {
    let Form(f) = form.map_err(|e| form_error(e, lang))?;
    let open = open_link(&state, &code, lang).await?;
    let mut d = draft_of(&state, &headers, &code).await?;
    if open.require_code {
        let hash = itas_app::survey::access_code_hash(&f.access_code);
        let open_code = match &hash {
            Some(h) => itas_app::survey::access_code_open(&state, &open.link, h).await?,
            None => false,
        };
        if !open_code {
            let page = LandingPage {
                ctx: PageCtx::respondent(lang),
                code,
                agency: open.agency_name,
                tool: open.tool_name,
                tool_code: open.link.tool,
                require_code: true,
                resume: false,
                resume_page: 0,
                sent: false,
                error: lang
                    .pick(
                        "รหัสนี้ไม่ถูกต้องหรือถูกใช้ไปแล้ว กรุณาตรวจสอบรหัสที่ได้รับจากหน่วยงาน",
                        "This code is wrong or already used; check the code the agency gave you",
                    )
                    .into(),
                typed: f.access_code,
            };
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response());
        }
        d.body.c = hash;
    }
    page_limited(
        &state,
        &code,
        &Client::of(&state, &headers, peer),
        d.is_new,
        lang,
    )?;
    let cookie = store_draft(&state, &open.link, &d).await?;
    let resume = survey::first_unanswered_page(&open.fw, &open.link.tool, &d.body.a);
    Ok((
        AppendHeaders([cookie, started_cookie(&state)]),
        Redirect::to(&format!("/s/{code}/q/{resume}")),
    )
        .into_response())
}

fn questions(
    fw: &Framework,
    indicator: u32,
    lang: Lang,
    answers: &Answers,
    typed: &HashMap<String, String>,
    problems: &[(String, AnswerProblem)],
) -> Vec<QuestionView> {
    fw.items_of(indicator)
        .filter_map(|it| {
            let ItemKind::Survey { scale, cells } = &it.kind else {
                return None;
            };
            let scale = fw.scale(scale)?;
            let options: Vec<OptionView> = scale
                .options
                .iter()
                .map(|o| OptionView {
                    code: o.code.clone(),
                    label: lang.pick(&o.th, &o.en).to_string(),
                })
                .collect();
            let saved = answers.get(&it.code);
            let cells = cells
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let field = survey::field_name(&it.code, i);
                    let chosen = typed
                        .get(&field)
                        .cloned()
                        .or_else(|| {
                            saved
                                .and_then(|v| v.get(i))
                                .and_then(|o| scale.options.get(*o))
                                .map(|o| o.code.clone())
                        })
                        .unwrap_or_default();
                    let label = if cells.len() > 1 {
                        lang.pick(&c.th, &c.en).to_string()
                    } else {
                        String::new()
                    };
                    CellView {
                        field,
                        label,
                        chosen,
                    }
                })
                .collect();
            let error = problems
                .iter()
                .find(|(code, _)| *code == it.code)
                .map_or(String::new(), |(_, p)| {
                    lang.pick(p.message_th(), p.message_en()).to_string()
                });
            Some(QuestionView {
                code: it.code.clone(),
                text: lang.pick(&it.th, &it.en).to_string(),
                cells,
                options,
                error,
            })
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn render_page(
    open: &Open,
    lang: Lang,
    code: &str,
    page_index: usize,
    d: &DraftState,
    typed: &HashMap<String, String>,
    problems: &[(String, AnswerProblem)],
    alert: Option<String>,
    sent: bool,
) -> Result<Html<String>, AppError> {
    let pages = survey::pages(&open.fw, &open.link.tool);
    let indicator = *pages.get(page_index).ok_or(ErrorCode::NotFound)?;
    let ind = open.fw.indicator(indicator).ok_or(ErrorCode::NotFound)?;
    let mut ctx = PageCtx::respondent(lang);
    ctx.alert = alert;
    // What the form just sent wins over what the draft kept.
    let mut shown: HashMap<String, String> = d
        .body
        .t
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    shown.extend(typed.iter().map(|(k, v)| (k.clone(), v.clone())));
    let questions = questions(&open.fw, indicator, lang, &d.body.a, &shown, problems);
    let first_missing = questions
        .iter()
        .filter(|q| !q.error.is_empty())
        .flat_map(|q| q.cells.iter())
        .find(|c| c.chosen.is_empty())
        .map(|c| c.field.clone())
        .unwrap_or_default();
    let page = QuestionPage {
        first_missing,
        ctx,
        code: code.to_string(),
        agency: open.agency_name.clone(),
        tool: open.tool_name.clone(),
        page: page_index,
        pages: pages.len(),
        heading: lang.pick(&ind.name_th, &ind.name_en).to_string(),
        questions,
        sid: d.submission_id.clone(),
        has_errors: !problems.is_empty(),
        sent,
    };
    Ok(Html(page.render()?))
}

#[derive(serde::Deserialize)]
struct PageQuery {
    /// Present when sending stopped because this page has unanswered
    /// questions (any value: a link is never refused for its query).
    unanswered: Option<String>,
}

async fn page(
    State(state): State<AppState>,
    UserLang(lang): UserLang,
    headers: HeaderMap,
    Path((code, page_index)): Path<(String, usize)>,
    Query(query): Query<PageQuery>,
) -> Result<Response, AppError> {
    let open = open_link(&state, &code, lang).await?;
    let d = draft_of(&state, &headers, &code).await?;
    if open.require_code && d.body.c.is_none() {
        return Ok(Redirect::to(&format!("/s/{code}")).into_response());
    }
    // A first visit stores nothing: the draft is created by the first page
    // saved, so merely opening a link (or a crawler following it) costs no row.
    let sent = d.is_new && sent_here(&headers, &code);
    if sent && page_index > 0 {
        // Back after sending: a new set of answers starts at the beginning,
        // from the page that says the last one was sent, never mid-way.
        return Ok(no_store_redirect(&format!("/s/{code}")));
    }
    let (problems, alert) = if query.unanswered.is_some() {
        let problems = unanswered_on(&open, page_index, &d.body.a);
        let alert = (!problems.is_empty()).then(|| {
            lang.pick(
                "ยังส่งคำตอบไม่ได้ เพราะยังตอบไม่ครบ กรุณาตอบข้อที่มีเครื่องหมายในหน้านี้ แล้วกด “ถัดไป” จนถึงหน้าสุดท้ายเพื่อส่งอีกครั้ง",
                "The answers were not sent yet: some questions are unanswered. Answer the marked questions on this page, then press “Next” to the last page and send again.",
            )
            .to_string()
        });
        (problems, alert)
    } else {
        (Vec::new(), None)
    };
    let html = render_page(
        &open,
        lang,
        &code,
        page_index,
        &d,
        &HashMap::new(),
        &problems,
        alert,
        sent,
    )?;
    Ok(no_store(html))
}

/// The questions of one page that the draft has not answered in full.
fn unanswered_on(
    open: &Open,
    page_index: usize,
    answers: &Answers,
) -> Vec<(String, AnswerProblem)> {
    let Some(&indicator) = survey::pages(&open.fw, &open.link.tool).get(page_index) else {
        return Vec::new();
    };
    survey::items(&open.fw, &open.link.tool)
        .into_iter()
        .filter(|(it, _, cells)| {
            it.indicator == indicator && answers.get(&it.code).is_none_or(|v| v.len() != *cells)
        })
        .map(|(it, _, _)| (it.code.clone(), AnswerProblem::Missing))
        .collect()
}

fn form_error(e: FormRejection, lang: Lang) -> AppError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::new(ErrorCode::AnswersTooLarge).in_lang(lang)
    } else {
        AppError::new(ErrorCode::Invalid)
            .in_lang(lang)
            .detail(e.body_text())
    }
}

/// Who is asking, for their share of a link's budget: the address (a
/// socket always has one; in-process tests have none and share no budget),
/// and the browser's own draft cookie.
pub(crate) struct Client {
    address: Option<String>,
    draft: Option<String>,
}

impl Client {
    fn of(state: &AppState, headers: &HeaderMap, peer: Option<std::net::SocketAddr>) -> Client {
        Client {
            address: peer.map(|p| crate::routes::public::client_address(state, headers, Some(p))),
            // The token alone: the version after it changes with every save.
            draft: auth::cookie(headers, DRAFT_COOKIE).map(|v| {
                auth::token_hash(v.split_once('.').map_or(v.as_str(), |(token, _)| token))
            }),
        }
    }

    /// The keys this client is counted under on link `code`.
    fn keys(&self, code: &str) -> impl Iterator<Item = String> {
        let address = self.address.as_ref().map(|a| format!("{code}|a|{a}"));
        let draft = self.draft.as_ref().map(|d| format!("{code}|d|{d}"));
        address.into_iter().chain(draft)
    }
}

fn slowed(code: &str, what: &str, lang: Lang) -> AppError {
    tracing::warn!(link = code, what, "survey link rate limited");
    AppError::new(ErrorCode::SlowDown).in_lang(lang)
}

/// The flood limits on submissions: the link's, and one client's share of it.
fn limited(state: &AppState, code: &str, client: &Client, lang: Lang) -> Result<(), AppError> {
    let now = itas_store::now_ms();
    if client
        .keys(code)
        .any(|k| !state.client_limiter.allow(&k, now))
    {
        return Err(slowed(code, "one client's share of submissions", lang));
    }
    if !state.link_limiter.allow(code, now) {
        return Err(slowed(code, "submissions", lang));
    }
    Ok(())
}

/// The flood limits on page saves (each may create or rewrite a draft): the
/// link's, one client's share of it, and the drafts one address may start.
fn page_limited(
    state: &AppState,
    code: &str,
    client: &Client,
    new_draft: bool,
    lang: Lang,
) -> Result<(), AppError> {
    let now = itas_store::now_ms();
    if client
        .keys(code)
        .any(|k| !state.client_page_limiter.allow(&k, now))
    {
        return Err(slowed(code, "one client's share of page saves", lang));
    }
    if new_draft
        && let Some(a) = &client.address
        && !state.new_draft_limiter.allow(&format!("{code}|{a}"), now)
    {
        return Err(slowed(code, "new drafts from one address", lang));
    }
    if !state.page_limiter.allow(code, now) {
        return Err(slowed(code, "page saves", lang));
    }
    Ok(())
}

async fn save_page(
    State(state): State<AppState>,
    UserLang(lang): UserLang,
    headers: HeaderMap,
    PeerAddr(peer): PeerAddr,
    Path((code, page_index)): Path<(String, usize)>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Result<Response, AppError> {
    let Form(f) = form.map_err(|e| form_error(e, lang))?;
    let open = open_link(&state, &code, lang).await?;
    let mut d = draft_of(&state, &headers, &code).await?;
    if open.require_code && d.body.c.is_none() {
        return Ok(Redirect::to(&format!("/s/{code}")).into_response());
    }
    let pages = survey::pages(&open.fw, &open.link.tool);
    let indicator = *pages.get(page_index).ok_or(ErrorCode::NotFound)?;
    let (answers, problems) = survey::read_page(&open.fw, indicator, &f);
    // "Previous" keeps whatever is ticked, answered in full or not.
    let back = f.get("go").is_some_and(|g| g == "back");
    if !problems.is_empty() && !back {
        let html = render_page(
            &open, lang, &code, page_index, &d, &f, &problems, None, false,
        )?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response());
    }
    if d.is_new
        && let Some(sid) = f.get("sid").and_then(|s| submission_id(s))
    {
        d.submission_id = sid;
    }
    // Whatever stops the save (a flood limit, a full disk), the respondent
    // stays on this page with every answer still ticked.
    let refused = |e: AppError, d: &DraftState| -> Result<Response, AppError> {
        let Some((status, msg)) = page_refusal(&e, lang) else {
            return Err(e);
        };
        let html = render_page(&open, lang, &code, page_index, d, &f, &[], Some(msg), false)?;
        let mut resp = (status, html).into_response();
        if let Some(kind) = e.fault {
            resp.extensions_mut().insert(crate::error::StorageFaultSeen(
                kind,
                e.detail.clone().unwrap_or_default(),
            ));
        }
        Ok(resp)
    };
    let client = Client::of(&state, &headers, peer);
    if let Err(e) = page_limited(&state, &code, &client, d.is_new, lang) {
        return refused(e, &d);
    }
    d.body.take_page(&open.fw, indicator, answers, &f);
    let started = match auth::cookie(&headers, STARTED_COOKIE) {
        Some(v) if !d.is_new => auth::set_cookie(
            STARTED_COOKIE,
            &v,
            7 * 24 * 3600,
            state.config.secure_cookies,
        ),
        _ => started_cookie(&state),
    };
    if back || page_index + 1 < pages.len() {
        // Going back from an untouched first visit stores nothing.
        let untouched = d.is_new && d.body.a.is_empty() && d.body.t.is_empty();
        let to = if back {
            page_index.saturating_sub(1)
        } else {
            page_index + 1
        };
        if untouched {
            return Ok(Redirect::to(&format!("/s/{code}/q/{to}")).into_response());
        }
        let cookie = match store_draft(&state, &open.link, &d).await {
            Ok(cookie) => cookie,
            Err(e) => return refused(e, &d),
        };
        return Ok((
            AppendHeaders([cookie, started]),
            Redirect::to(&format!("/s/{code}/q/{to}")),
        )
            .into_response());
    }
    // The last page: the whole questionnaire must be answered.
    if let Err((item, _)) = survey::check_complete(&open.fw, &open.link.tool, &d.body.a) {
        let cookie = match store_draft(&state, &open.link, &d).await {
            Ok(cookie) => cookie,
            Err(e) => return refused(e, &d),
        };
        let back = pages
            .iter()
            .position(|n| open.fw.item(&item).is_some_and(|i| i.indicator == *n))
            .unwrap_or(0);
        return Ok((
            [cookie],
            Redirect::to(&format!("/s/{code}/q/{back}?unanswered=1")),
        )
            .into_response());
    }
    if let Err(e) = limited(&state, &code, &client, lang) {
        return refused(e, &d);
    }
    let sid = f
        .get("sid")
        .and_then(|s| submission_id(s))
        .unwrap_or(d.submission_id.clone());
    let speed = auth::cookie(&headers, STARTED_COOKIE)
        .and_then(|v| v.parse::<i64>().ok())
        .map_or(SpeedBucket::Longer, |started| {
            SpeedBucket::from_seconds(state.config.clock.now().unix_timestamp() - started)
        });
    let outcome = match ingest(
        &state,
        &open,
        sid,
        d.body.a.clone(),
        d.body.c.clone(),
        speed,
        Some(auth::token_hash(&d.token)),
        lang,
    )
    .await
    {
        Ok(o) => o,
        Err(e) => {
            // Keep the last page in the draft too, where the storage allows.
            let _ = store_draft(&state, &open.link, &d).await;
            return refused(e, &d);
        }
    };
    // The draft went in the transaction that stored the response.
    finish(&state, &code, outcome, lang)
}

#[allow(clippy::too_many_arguments)]
async fn ingest(
    state: &AppState,
    open: &Open,
    id: String,
    answers: Answers,
    code_hash: Option<String>,
    speed: SpeedBucket,
    finishes_draft: Option<String>,
    lang: Lang,
) -> Result<Outcome, AppError> {
    let answered = itas_app::survey::Answered {
        id,
        answers,
        code_hash,
        speed,
        finishes_draft,
    };
    itas_app::survey::submit(state, &state.ingest, &open.link, answered)
        .await
        .map_err(|e| AppError::from(e).in_lang(lang))
}

fn finish(
    state: &AppState,
    code: &str,
    outcome: Outcome,
    lang: Lang,
) -> Result<Response, AppError> {
    let clear = draft_cookie(state, "", 0);
    let clear_started = auth::set_cookie(STARTED_COOKIE, "", 0, state.config.secure_cookies);
    let sent = auth::set_cookie(SENT_COOKIE, code, 24 * 3600, state.config.secure_cookies);
    match outcome {
        Outcome::Stored | Outcome::Duplicate => Ok((
            AppendHeaders([clear, clear_started, sent]),
            Redirect::to(&format!("/s/{code}/thanks")),
        )
            .into_response()),
        Outcome::CodeRejected => Err(AppError::new(ErrorCode::CodeUsed).in_lang(lang)),
    }
}

/// The whole questionnaire in one POST (fields `{item}.{cell}`, `sid`, and
/// `access_code` when required): for clients that collect every answer on one
/// screen, and for the load benchmark. Answers are checked exactly as page by page.
async fn submit_all(
    State(state): State<AppState>,
    UserLang(lang): UserLang,
    headers: HeaderMap,
    PeerAddr(peer): PeerAddr,
    Path(code): Path<String>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Result<Response, AppError> {
    let Form(f) = form.map_err(|e| form_error(e, lang))?;
    let open = open_link(&state, &code, lang).await?;
    let mut answers = Answers::new();
    let mut problems = Vec::new();
    for n in survey::pages(&open.fw, &open.link.tool) {
        let (a, p) = survey::read_page(&open.fw, n, &f);
        answers.extend(a);
        problems.extend(p);
    }
    if let Some((item, p)) = problems.first() {
        let detail = format!("{item}: {}", lang.pick(p.message_th(), p.message_en()));
        return Err(AppError::new(ErrorCode::Invalid)
            .in_lang(lang)
            .detail(detail));
    }
    let sid = f.get("sid").and_then(|s| submission_id(s)).ok_or_else(|| {
        AppError::new(ErrorCode::Invalid)
            .in_lang(lang)
            .detail(lang.pick(
                "ไม่มีรหัสการส่ง (sid) หรือไม่ใช่ UUID แบบสุ่ม (รุ่น 4)",
                "The submission id (sid) is missing or not a random UUID (version 4)",
            ))
    })?;
    let code_hash = match open.require_code {
        false => None,
        true => {
            let typed = f.get("access_code").map_or("", String::as_str);
            match itas_app::survey::access_code_hash(typed) {
                Some(hash) => Some(hash),
                None => return Err(AppError::new(ErrorCode::CodeUsed).in_lang(lang)),
            }
        }
    };
    limited(&state, &code, &Client::of(&state, &headers, peer), lang)?;
    let outcome = ingest(
        &state,
        &open,
        sid,
        answers,
        code_hash,
        SpeedBucket::OneShot,
        None,
        lang,
    )
    .await?;
    finish(&state, &code, outcome, lang)
}

async fn thanks(UserLang(lang): UserLang) -> Result<Html<String>, AppError> {
    Ok(Html(
        ThanksPage {
            ctx: PageCtx::respondent(lang),
        }
        .render()?,
    ))
}

/// Whether this browser sent this link's questionnaire before.
fn sent_here(headers: &HeaderMap, code: &str) -> bool {
    auth::cookie(headers, SENT_COOKIE).is_some_and(|c| c == code)
}

/// Survey pages are never kept by the browser: Back after sending asks the
/// server again, which says the answers were sent instead of showing them.
fn no_store(html: Html<String>) -> Response {
    ([(axum::http::header::CACHE_CONTROL, "no-store")], html).into_response()
}

/// A redirect the browser must ask for again next time, like the pages.
fn no_store_redirect(to: &str) -> Response {
    (
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        Redirect::to(to),
    )
        .into_response()
}
