//! The central evaluation office: rounds and phases, agencies (with import),
//! users, assessor assignments (the audit log is in routes::audit).

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{AppError, ErrorCode};
use crate::pages::{FieldErrors, PageCtx};
use crate::views::admin::{
    AgenciesPage, AgencyForm, HomePage, ImportPage, Kept, NewRoundPage, Publication, RoundForm,
    RoundPage, RoundRow, UserForm, UsersPage,
};
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use itas_app::participants::{ParticipantRow, kept_participant_rows};
use itas_core::directory::{Phase, Role};
use itas_core::framework;
use itas_store::agencies::NewAgency;
use itas_store::rounds::{self, Round, RoundState};
use std::collections::HashMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin", get(home))
        .route("/admin/rounds/new", get(new_round_page))
        .route("/admin/rounds", post(create_round))
        .route("/admin/rounds/framework-file", post(framework_file))
        .route("/admin/rounds/{id}", get(round_page))
        .route("/admin/rounds/{id}/{file}", get(round_framework_download))
        .route("/admin/rounds/{id}/phases", post(set_phases))
        .route("/admin/rounds/{id}/compute", post(compute_scores))
        .route("/admin/rounds/{id}/publish", post(publish_results))
        .route("/admin/rounds/{id}/withdraw", post(withdraw_results))
        .route("/admin/rounds/{id}/participants", post(add_participants))
        .route("/admin/rounds/{id}/sizes", post(set_sizes))
        .route("/admin/rounds/{id}/assignments", post(assign))
        .route("/admin/rounds/{id}/assignments/remove", post(unassign))
        .route("/admin/agencies", get(agencies_page).post(create_agency))
        .route(
            "/admin/agencies/import",
            get(import_page).post(import_agencies),
        )
        .route("/admin/users", get(users_page).post(create_user))
        .route("/admin/users/{id}/password", post(set_password))
        .route("/admin/users/{id}/active", post(set_active))
        .route("/admin/users/{id}/email", post(set_email))
        .route("/admin/users/{id}/unlock", post(unlock_sign_in))
}

fn central(u: &CurrentUser) -> Result<(), AppError> {
    u.require(Role::CentralAdmin)
}

/// A round's state in words, in the reader's language.
pub fn state_text(ctx: &PageCtx, s: RoundState) -> String {
    match s {
        RoundState::NotStarted => ctx.t("not_started").to_string(),
        RoundState::In(p) => ctx.phase_name(&p).to_string(),
        RoundState::Between(p) => format!("{} {}", ctx.t("between_phases"), ctx.phase_name(&p)),
        RoundState::Closed => ctx.t("closed").to_string(),
    }
}

async fn home(State(state): State<AppState>, user: CurrentUser) -> Result<Html<String>, AppError> {
    central(&user)?;
    let ctx = PageCtx::for_user(&user);
    let mut rows = Vec::new();
    for s in itas_app::rounds::standings(&state).await? {
        let participants = itas_app::rounds::participant_count(&state, &s.round.id).await?;
        rows.push(RoundRow {
            state: state_text(&ctx, s.state),
            participants,
            round: s.round,
        });
    }
    Ok(Html(HomePage { ctx, rounds: rows }.render()?))
}

fn new_round_view(
    ctx: PageCtx,
    form: RoundForm,
    errors: FieldErrors,
) -> Result<Html<String>, AppError> {
    let embedded = framework::EMBEDDED.iter().map(|(n, _)| *n).collect();
    Ok(Html(
        NewRoundPage {
            ctx,
            form,
            errors,
            embedded,
            phases: Phase::ALL.to_vec(),
        }
        .render()?,
    ))
}

async fn new_round_page(user: CurrentUser) -> Result<Html<String>, AppError> {
    central(&user)?;
    let form = RoundForm {
        // The newest embedded framework.
        framework: framework::EMBEDDED
            .last()
            .map_or("ita-2564", |(n, _)| n)
            .into(),
        ..Default::default()
    };
    new_round_view(PageCtx::for_user(&user), form, FieldErrors::default())
}

/// The `file` field of a multipart form: its name and bytes, if sent.
pub(crate) async fn uploaded_file(
    multipart: &mut Multipart,
) -> Result<Option<(String, Vec<u8>)>, AppError> {
    let mut file = None;
    // A body past the limit can surface at either step; say so, not "invalid".
    let refused = |e: axum::extract::multipart::MultipartError| {
        let code = if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            ErrorCode::TooLarge
        } else {
            ErrorCode::Invalid
        };
        AppError::new(code).detail(e.body_text())
    };
    while let Some(field) = multipart.next_field().await.map_err(refused)? {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or("upload").to_string();
            let bytes = field.bytes().await.map_err(refused)?;
            file = Some((name, bytes.to_vec()));
        }
    }
    Ok(file)
}

/// A framework file uploaded on the new-round page (XLSX or TOML): checked
/// with every problem listed at once (by sheet, row and column for a
/// workbook), and when valid put into the form as the round's framework.
async fn framework_file(
    State(_state): State<AppState>,
    user: CurrentUser,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    central(&user)?;
    let lang = user.lang;
    let file = uploaded_file(&mut multipart).await?;
    let mut form = RoundForm::default();
    let mut errors = FieldErrors::default();
    let mut ctx = PageCtx::for_user(&user);
    let checked = match &file {
        None => Err(lang.pick("กรุณาเลือกไฟล์", "Choose a file").to_string()),
        Some((name, bytes)) if name.to_ascii_lowercase().ends_with(".xlsx") => {
            itas_app::framework_xlsx::import(bytes).map_err(|problems| {
                problems
                    .iter()
                    .map(|p| p.to_string())
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
        Some((name, bytes)) => match String::from_utf8(bytes.clone()) {
            Ok(text) => framework::parse(name, &text)
                .map(|_| text)
                .map_err(|e| lang.pick(&e.in_thai(), &e.to_string()).to_string()),
            Err(_) => Err(lang
                .pick(
                    "ไฟล์ต้องเป็น XLSX หรือ TOML (UTF-8)",
                    "The file must be XLSX or TOML (UTF-8)",
                )
                .to_string()),
        },
    };
    let status = match checked {
        Ok(toml) => {
            let fw = framework::parse("framework.toml", &toml)
                .map_err(|e| AppError::new(ErrorCode::Invalid).detail(e.to_string()))?;
            ctx.notice = Some(format!(
                "{} {} ({} {})",
                lang.pick("ตรวจกรอบการประเมินแล้ว ถูกต้อง:", "Framework checked, valid:"),
                fw.code,
                lang.pick("ข้อ", "items"),
                fw.items.len()
            ));
            form.fiscal_year = fw.fiscal_year.to_string();
            form.framework_toml = toml;
            StatusCode::OK
        }
        Err(problems) => {
            errors.add("framework_file", problems);
            StatusCode::UNPROCESSABLE_ENTITY
        }
    };
    Ok((status, new_round_view(ctx, form, errors)?).into_response())
}

/// The round's framework as a workbook (or TOML) to edit for next year.
async fn round_framework_download(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, file)): Path<(String, String)>,
) -> Result<Response, AppError> {
    central(&user)?;
    let round = itas_app::rounds::get(&state, &id).await?;
    let fw = round.framework()?;
    let (body, content_type) = match file.as_str() {
        "framework.xlsx" => (
            itas_app::framework_xlsx::export(&fw)
                .map_err(|e| AppError::new(ErrorCode::Internal).detail(e.to_string()))?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        "framework.toml" => (
            round.framework_source.clone().into_bytes(),
            "application/toml; charset=utf-8",
        ),
        _ => return Err(ErrorCode::NotFound.into()),
    };
    let ext = file.rsplit('.').next().unwrap_or("xlsx");
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, content_type.to_string()),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}.{ext}\"", fw.code),
            ),
        ],
        body,
    )
        .into_response())
}

/// Reads `start_<phase>` / `end_<phase>` fields; a phase left blank is skipped.
/// The phase dates of a round's form (`start_setup`, `end_setup`, …), the
/// phases left blank out.
fn phase_inputs(f: &HashMap<String, String>) -> Vec<itas_app::rounds::PhaseInput> {
    Phase::ALL
        .iter()
        .filter_map(|p| {
            let get = |k: &str| {
                f.get(&format!("{k}_{}", p.code()))
                    .cloned()
                    .unwrap_or_default()
            };
            let (starts_on, ends_on) = (get("start"), get("end"));
            (!(starts_on.trim().is_empty() && ends_on.trim().is_empty())).then(|| {
                itas_app::rounds::PhaseInput {
                    phase: p.code().to_string(),
                    starts_on,
                    ends_on,
                }
            })
        })
        .collect()
}

async fn create_round(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, AppError> {
    central(&user)?;
    let lang = user.lang;
    let form = RoundForm {
        name: f.get("name").cloned().unwrap_or_default(),
        fiscal_year: f.get("fiscal_year").cloned().unwrap_or_default(),
        framework: f.get("framework").cloned().unwrap_or_default(),
        framework_toml: f.get("framework_toml").cloned().unwrap_or_default(),
        dates: f
            .iter()
            .filter(|(k, _)| k.starts_with("start_") || k.starts_with("end_"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    };
    let input = itas_app::rounds::NewRound {
        name: form.name.clone(),
        fiscal_year: Some(itas_app::collection::NumberInput::Text(
            form.fiscal_year.clone(),
        )),
        framework: if form.framework_toml.trim().is_empty() {
            itas_app::rounds::FrameworkChoice::Embedded(form.framework.clone())
        } else {
            itas_app::rounds::FrameworkChoice::Toml(form.framework_toml.clone())
        },
        phases: phase_inputs(&f),
    };
    match itas_app::rounds::create(&state, &user.actor(), &input).await {
        Ok(r) => Ok(Redirect::to(&format!("/admin/rounds/{}", r.id)).into_response()),
        Err(e) if !e.fields.is_empty() => {
            let ctx = PageCtx::for_user(&user);
            let errors = FieldErrors::of(&e.fields, lang);
            Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                new_round_view(ctx, form, errors)?,
            )
                .into_response())
        }
        Err(e) => Err(AppError::from(e).in_lang(lang)),
    }
}

async fn round_view(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    notice: Option<String>,
    errors: FieldErrors,
) -> Result<Response, AppError> {
    round_view_keeping(state, user, id, notice, errors, HashMap::new(), 1).await
}

/// Participants shown per page of the round page (the counts above the
/// table cover all of them).
const PARTICIPANTS_PER_PAGE: usize = 100;

/// The round page, with a refused form's text put back where it was typed.
async fn round_view_keeping(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    notice: Option<String>,
    errors: FieldErrors,
    kept: HashMap<String, String>,
    page: usize,
) -> Result<Response, AppError> {
    central(user)?;
    let itas_app::rounds::Standing {
        round,
        phases,
        state: round_state,
    } = itas_app::rounds::standing(state, id).await?;
    let mut ctx = PageCtx::for_user(user);
    ctx.notice = notice;
    let st = state_text(&ctx, round_state);
    let phase_rows = Phase::ALL
        .iter()
        .map(|p| {
            let d = phases.iter().find(|x| x.phase == *p);
            (
                *p,
                d.map_or(String::new(), |d| d.starts_on.to_string()),
                d.map_or(String::new(), |d| d.ends_on.to_string()),
            )
        })
        .collect();
    let fw = round.framework()?;
    let participants = kept_participant_rows(state, id, &fw).await?;
    let behind = participants.iter().filter(|r| r.behind()).count();
    let participant_total = participants.len();
    let pages = participant_total.div_ceil(PARTICIPANTS_PER_PAGE).max(1);
    let page = page.clamp(1, pages);
    let participants: Vec<ParticipantRow> = participants
        .iter()
        .skip((page - 1) * PARTICIPANTS_PER_PAGE)
        .take(PARTICIPANTS_PER_PAGE)
        .cloned()
        .collect();
    let assessors = itas_app::users::list(state, &user.actor())
        .await?
        .into_iter()
        .filter(|u| u.role == "assessor" && u.active)
        .collect();
    let names: HashMap<&str, (&str, &str)> = participants
        .iter()
        .map(|r| {
            (
                r.p.agency_id.as_str(),
                (r.p.code.as_str(), r.p.name_th.as_str()),
            )
        })
        .collect();
    // Assignments of the agencies on this page; the total covers the round.
    let all_assignments = itas_app::rounds::assignments(state, &user.actor(), id).await?;
    let assigned_total = all_assignments.len();
    let assignments = all_assignments
        .into_iter()
        .filter_map(|(agency, assessor_id, assessor_name)| {
            let (code, name) = names.get(agency.as_str()).copied()?;
            Some((
                code.to_string(),
                name.to_string(),
                assessor_id,
                assessor_name,
            ))
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let provisional = fw.provisional.values().cloned().collect();
    let sizes = fw.sizes().into_iter().map(str::to_string).collect();
    let publication = publication_of(state, &ctx, &round, round_state).await?;
    let central_parts = fw
        .collections()
        .iter()
        .filter(|c| c.collected_by() == itas_core::framework::Collector::Central)
        .map(|c| central_part_label(&ctx, c))
        .collect();
    let page = RoundPage {
        central_parts,
        publication,
        provisional,
        sizes,
        kept: Kept(kept),
        ctx,
        round,
        state: st,
        phases: phase_rows,
        participants,
        participant_total,
        page,
        pages,
        behind,
        assessors,
        assignments,
        assigned_total,
        errors,
    };
    Ok((status, Html(page.render()?)).into_response())
}

#[derive(serde::Deserialize, Default)]
struct RoundPageQuery {
    #[serde(default)]
    page: Option<usize>,
}

async fn round_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<RoundPageQuery>,
) -> Result<Response, AppError> {
    round_view_keeping(
        &state,
        &user,
        &id,
        None,
        FieldErrors::default(),
        HashMap::new(),
        q.page.unwrap_or(1),
    )
    .await
}

async fn publication_of(
    state: &AppState,
    ctx: &PageCtx,
    round: &Round,
    st: rounds::RoundState,
) -> Result<Publication, AppError> {
    #[derive(serde::Deserialize)]
    struct Last {
        computed: usize,
        skipped: Vec<(String, itas_app::scoring_run::Skip)>,
    }
    let last: Option<Last> =
        serde_json::from_str(&itas_app::rounds::last_scoring(state, &round.id).await?).ok();
    Ok(Publication {
        computed: last.as_ref().map(|l| l.computed),
        not_computed: last
            .map(|l| {
                l.skipped
                    .into_iter()
                    .map(|(code, why)| (code, why.text(ctx.lang)))
                    .collect()
            })
            .unwrap_or_default(),
        published: round.published_at.map(|at| {
            if at == 0 {
                ctx.pick(
                    "ก่อนที่ระบบจะบันทึกเวลาเผยแพร่",
                    "before publishing times were recorded",
                )
                .to_string()
            } else {
                ctx.date(&at)
            }
        }),
        phase_reached: itas_app::published::is_published(st),
    })
}

/// Publishes a round's results after the central office has reviewed them.
async fn publish_results(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    set_publication(&state, &user, &id, true).await
}

/// Takes published results out of public view again.
async fn withdraw_results(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    set_publication(&state, &user, &id, false).await
}

async fn set_publication(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    publish: bool,
) -> Result<Response, AppError> {
    central(user)?;
    let notice = if publish {
        crate::routes::dashboard::publish(state, user, id).await?;
        user.lang.pick(
            "เผยแพร่ผลการประเมินแล้ว ผู้ใช้ทั่วไปเห็นผลได้ตั้งแต่ขั้นตอนประมวลผลและประกาศผล",
            "Results published: the public sees them from the publication phase on",
        )
    } else {
        itas_app::rounds::withdraw(state, &user.actor(), id)
            .await
            .map_err(|e| AppError::from(e).in_lang(user.lang))?;
        user.lang.pick(
            "ถอนการเผยแพร่ผลแล้ว ผู้ใช้ทั่วไปจะไม่เห็นผลของรอบนี้จนกว่าจะเผยแพร่อีกครั้ง",
            "Publication withdrawn: the public no longer sees this round's results",
        )
    };
    round_view(state, user, id, Some(notice.into()), FieldErrors::default()).await
}

/// Computes every participant's indicator scores from tallies and OIT decisions.
async fn compute_scores(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    central(&user)?;
    let run = itas_app::rounds::compute(&state, &user.actor(), &id)
        .await
        .map_err(|e| AppError::from(e).in_lang(user.lang))?;
    let lang = user.lang;
    let mut notice = format!(
        "{} {}",
        lang.pick("คำนวณคะแนนแล้ว (หน่วยงาน):", "Scores computed (agencies):"),
        run.computed
    );
    if !run.skipped.is_empty() {
        let list: Vec<String> = run
            .skipped
            .iter()
            .map(|(code, why)| format!("{code} ({})", why.text(lang)))
            .collect();
        notice.push_str(&format!(
            " · {} {}",
            lang.pick("ยังคำนวณไม่ได้:", "Not computed:"),
            list.join(", ")
        ));
    }
    round_view(&state, &user, &id, Some(notice), FieldErrors::default()).await
}

async fn set_phases(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> Result<Response, AppError> {
    central(&user)?;
    match itas_app::rounds::set_phases(&state, &user.actor(), &id, &phase_inputs(&f)).await {
        Ok(()) => {}
        Err(e) if !e.fields.is_empty() => {
            let errors = FieldErrors::of(&e.fields, user.lang);
            return round_view(&state, &user, &id, None, errors).await;
        }
        Err(e) => return Err(AppError::from(e).in_lang(user.lang)),
    }
    round_view(
        &state,
        &user,
        &id,
        Some(crate::i18n::t(user.lang, "saved").into()),
        FieldErrors::default(),
    )
    .await
}

#[derive(serde::Deserialize)]
struct ParticipantsForm {
    #[serde(default)]
    codes: String,
}

async fn add_participants(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(f): Form<ParticipantsForm>,
) -> Result<Response, AppError> {
    central(&user)?;
    let lang = user.lang;
    let joining = itas_app::rounds::Joining::from_text(&f.codes);
    let added = match itas_app::rounds::join(&state, &user.actor(), &id, &joining).await {
        Ok((added, _)) => added,
        Err(e) if !e.fields.is_empty() => {
            let errors = FieldErrors::of(&e.fields, lang);
            let kept = HashMap::from([("codes".to_string(), f.codes.clone())]);
            return round_view_keeping(&state, &user, &id, None, errors, kept, 1).await;
        }
        Err(e) => return Err(AppError::from(e).in_lang(lang)),
    };
    let notice = format!(
        "{} {}",
        lang.pick("เพิ่มหน่วยงานแล้ว", "Agencies added:"),
        added
    );
    round_view(&state, &user, &id, Some(notice), FieldErrors::default()).await
}

#[derive(serde::Deserialize)]
struct SizesForm {
    #[serde(default)]
    sizes: String,
}

/// Sets agencies' sizes for the framework's minimum-sample table.
async fn set_sizes(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(f): Form<SizesForm>,
) -> Result<Response, AppError> {
    central(&user)?;
    let lang = user.lang;
    match itas_app::rounds::set_sizes(&state, &user.actor(), &id, &f.sizes).await {
        Ok(changed) => {
            let notice = format!(
                "{} {}",
                lang.pick(
                    "บันทึกขนาดหน่วยงานแล้ว (เปลี่ยน):",
                    "Agency sizes saved (changed):"
                ),
                changed
            );
            round_view(&state, &user, &id, Some(notice), FieldErrors::default()).await
        }
        Err(e) if !e.fields.is_empty() => {
            let errors = FieldErrors::of(&e.fields, lang);
            let kept = HashMap::from([("sizes".to_string(), f.sizes.clone())]);
            round_view_keeping(&state, &user, &id, None, errors, kept, 1).await
        }
        Err(e) => Err(AppError::from(e).in_lang(lang)),
    }
}

#[derive(serde::Deserialize)]
struct AssignForm {
    #[serde(default)]
    assessor_id: String,
    #[serde(default)]
    agency_code: String,
}

async fn assign(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(f): Form<AssignForm>,
) -> Result<Response, AppError> {
    central(&user)?;
    let lang = user.lang;
    match itas_app::rounds::assign(&state, &user.actor(), &id, &f.agency_code, &f.assessor_id).await
    {
        Ok(()) => {
            round_view(
                &state,
                &user,
                &id,
                Some(crate::i18n::t(lang, "saved").into()),
                FieldErrors::default(),
            )
            .await
        }
        Err(e) if !e.fields.is_empty() => {
            round_view(&state, &user, &id, None, FieldErrors::of(&e.fields, lang)).await
        }
        Err(e) => Err(AppError::from(e).in_lang(lang)),
    }
}

async fn unassign(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(f): Form<AssignForm>,
) -> Result<Response, AppError> {
    central(&user)?;
    itas_app::rounds::unassign(&state, &user.actor(), &id, &f.agency_code, &f.assessor_id)
        .await
        .map_err(|e| AppError::from(e).in_lang(user.lang))?;
    Ok(Redirect::to(&format!("/admin/rounds/{id}")).into_response())
}

#[derive(serde::Deserialize, Default)]
struct AgencyQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: i64,
}

const PAGE_SIZE: i64 = 50;

async fn agencies_view(
    state: &AppState,
    user: &CurrentUser,
    q: AgencyQuery,
    form: AgencyForm,
    error: String,
    notice: Option<String>,
) -> Result<Response, AppError> {
    let page = q.page.max(0);
    let paging = itas_app::paging::Paging {
        limit: PAGE_SIZE,
        offset: page * PAGE_SIZE,
    };
    let (agencies, total) = itas_app::agencies::list_for(state, &user.actor(), &q.q, paging)
        .await
        .map_err(|e| AppError::from(e).in_lang(user.lang))?;
    let mut ctx = PageCtx::for_user(user);
    ctx.notice = notice;
    let status = if error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let pages = (total + PAGE_SIZE - 1) / PAGE_SIZE;
    Ok((
        status,
        Html(
            AgenciesPage {
                ctx,
                q: q.q,
                agencies,
                total,
                page,
                pages,
                form,
                error,
            }
            .render()?,
        ),
    )
        .into_response())
}

async fn agencies_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<AgencyQuery>,
) -> Result<Response, AppError> {
    central(&user)?;
    agencies_view(&state, &user, q, AgencyForm::default(), String::new(), None).await
}

async fn create_agency(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(f): Form<AgencyForm>,
) -> Result<Response, AppError> {
    central(&user)?;
    let row = NewAgency {
        code: f.code.clone(),
        name_th: f.name_th.clone(),
        name_en: f.name_en.clone(),
        kind: f.kind.clone(),
        province: f.province.clone(),
        parent_code: Some(f.parent_code.clone()).filter(|p| !p.trim().is_empty()),
        website: f.website.clone(),
    };
    match itas_app::agencies::create(&state, &user.actor(), row).await {
        Ok(()) => {}
        Err(e) if !e.fields.is_empty() => {
            let reason = e.fields[0].message(user.lang).to_string();
            return agencies_view(&state, &user, AgencyQuery::default(), f, reason, None).await;
        }
        Err(e) => return Err(AppError::from(e).in_lang(user.lang)),
    }
    let notice = format!("{} {}", crate::i18n::t(user.lang, "saved"), f.code.trim());
    agencies_view(
        &state,
        &user,
        AgencyQuery {
            q: f.code.trim().into(),
            page: 0,
        },
        AgencyForm::default(),
        String::new(),
        Some(notice),
    )
    .await
}

async fn import_page(user: CurrentUser) -> Result<Html<String>, AppError> {
    central(&user)?;
    Ok(Html(
        ImportPage {
            ctx: PageCtx::for_user(&user),
            report: None,
            error: String::new(),
        }
        .render()?,
    ))
}

async fn import_agencies(
    State(state): State<AppState>,
    user: CurrentUser,
    mut multipart: Multipart,
) -> Result<Response, AppError> {
    central(&user)?;
    let file = uploaded_file(&mut multipart).await?;
    let ctx = PageCtx::for_user(&user);
    let refuse = |ctx: PageCtx, error: String| -> Result<Response, AppError> {
        Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            Html(
                ImportPage {
                    ctx,
                    report: None,
                    error,
                }
                .render()?,
            ),
        )
            .into_response())
    };
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return refuse(ctx, user.lang.pick("กรุณาเลือกไฟล์", "Choose a file").into());
    };
    let rows = match itas_app::import::parse_agencies_off_the_runtime(bytes, name.clone()).await {
        Ok(r) => r,
        Err(e) => return refuse(ctx, e),
    };
    tracing::info!(file = %name, "agency import from a file");
    let report = itas_app::agencies::import(&state, &user.actor(), rows).await?;
    Ok(Html(
        ImportPage {
            ctx,
            report: Some(report),
            error: String::new(),
        }
        .render()?,
    )
    .into_response())
}

async fn users_view(
    state: &AppState,
    user: &CurrentUser,
    form: UserForm,
    errors: FieldErrors,
    notice: Option<String>,
) -> Result<Response, AppError> {
    let mut rows = Vec::new();
    for u in itas_app::users::list(state, &user.actor()).await? {
        let agency = match &u.agency_id {
            Some(id) => itas_app::agencies::named(state, id)
                .await?
                .map(|a| format!("{} {}", a.code, a.name_th))
                .unwrap_or_default(),
            None => String::new(),
        };
        rows.push((u, agency));
    }
    let mut ctx = PageCtx::for_user(user);
    ctx.notice = notice;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok((
        status,
        Html(
            UsersPage {
                ctx,
                users: rows,
                form: UserForm {
                    password: String::new(),
                    ..form
                },
                errors,
                mail_off: state.config.mailer.is_none(),
            }
            .render()?,
        ),
    )
        .into_response())
}

async fn users_page(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Response, AppError> {
    central(&user)?;
    users_view(
        &state,
        &user,
        UserForm::default(),
        FieldErrors::default(),
        None,
    )
    .await
}

async fn create_user(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(f): Form<UserForm>,
) -> Result<Response, AppError> {
    central(&user)?;
    let lang = user.lang;
    let input = itas_app::users::UserInput {
        username: f.username.clone(),
        display_name: f.display_name.clone(),
        role: f.role.parse::<Role>().ok(),
        agency_code: f.agency_code.clone(),
        password: f.password.clone(),
        email: f.email.clone(),
    };
    let actor = user.actor();
    match itas_app::users::create(&state, itas_app::users::Maker::User(&actor), &input).await {
        Ok(u) => {
            users_view(
                &state,
                &user,
                UserForm::default(),
                FieldErrors::default(),
                Some(format!("{} {}", crate::i18n::t(lang, "saved"), u.username)),
            )
            .await
        }
        Err(e) if !e.fields.is_empty() => {
            users_view(&state, &user, f, FieldErrors::of(&e.fields, lang), None).await
        }
        Err(e) => Err(AppError::from(e).in_lang(lang)),
    }
}

#[derive(serde::Deserialize)]
struct PasswordForm {
    #[serde(default)]
    password: String,
}

async fn set_password(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(f): Form<PasswordForm>,
) -> Result<Response, AppError> {
    central(&user)?;
    match itas_app::users::set_password(&state, &user.actor(), &id, &f.password).await {
        Ok(()) => {}
        Err(e) if !e.fields.is_empty() => {
            let errors = FieldErrors::of(&e.fields, user.lang);
            return users_view(&state, &user, UserForm::default(), errors, None).await;
        }
        Err(e) => return Err(AppError::from(e).in_lang(user.lang)),
    }
    users_view(
        &state,
        &user,
        UserForm::default(),
        FieldErrors::default(),
        Some(crate::i18n::t(user.lang, "saved").into()),
    )
    .await
}

#[derive(serde::Deserialize)]
struct EmailForm {
    #[serde(default)]
    email: String,
}

/// Where a user's one-time sign-in links go (empty clears it).
async fn set_email(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(f): Form<EmailForm>,
) -> Result<Response, AppError> {
    central(&user)?;
    match itas_app::users::set_email(&state, &user.actor(), &id, &f.email).await {
        Ok(()) => {}
        Err(e) if !e.fields.is_empty() => {
            let errors = FieldErrors::of(&e.fields, user.lang);
            return users_view(&state, &user, UserForm::default(), errors, None).await;
        }
        Err(e) => return Err(AppError::from(e).in_lang(user.lang)),
    }
    Ok(Redirect::to("/admin/users").into_response())
}

/// Lets a user whose account is under attack sign in from any browser
/// again, by clearing its sign-in failures; audited.
async fn unlock_sign_in(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    central(&user)?;
    itas_app::users::unlock_sign_in(&state, &user.actor(), &id)
        .await
        .map_err(|e| AppError::from(e).in_lang(user.lang))?;
    let notice = user
        .lang
        .pick(
            "ปลดล็อกแล้ว ผู้ใช้เข้าสู่ระบบจากเครื่องใดก็ได้ด้วยรหัสผ่านที่ถูกต้อง หากยังถูกโจมตีอยู่ ควรตั้งรหัสผ่านใหม่ด้วย",
            "Unlocked: the user signs in from any browser with the right password. If the attack goes on, set a new password too",
        )
        .to_string();
    users_view(
        &state,
        &user,
        UserForm::default(),
        FieldErrors::default(),
        Some(notice),
    )
    .await
}

#[derive(serde::Deserialize)]
struct ActiveForm {
    #[serde(default)]
    active: String,
}

async fn set_active(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    Form(f): Form<ActiveForm>,
) -> Result<Response, AppError> {
    central(&user)?;
    itas_app::users::set_active(&state, &user.actor(), &id, f.active == "1")
        .await
        .map_err(|e| AppError::from(e).in_lang(user.lang))?;
    Ok(Redirect::to("/admin/users").into_response())
}

/// A central part's name as the round page lists it.
fn central_part_label(ctx: &PageCtx, c: &itas_core::framework::Collection<'_>) -> String {
    format!("{} ({})", ctx.pick(&c.name_th(), &c.name_en()), c.key())
}
