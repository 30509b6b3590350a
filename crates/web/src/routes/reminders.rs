//! Deadline reminders by email: the central office's page for a round, and
//! each user's setting. Who gets one and what it says is
//! `itas_app::reminders`'; sending is this crate's mailer.

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::pages::PageCtx;
use crate::views::reminders::{RecipientLine, ReminderSettingPage, RemindersPage, SentLine};
use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Html;
use axum::routing::get;
use itas_app::reminders::{Reminder, ReminderPlan, Sent, Status};
use itas_core::directory::Role;
use serde::Deserialize;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/rounds/{id}/reminders", get(page).post(send))
        .route("/account/reminders", get(setting).post(set_setting))
}

#[derive(Deserialize, Default)]
struct Chosen {
    #[serde(default)]
    reminder: String,
}

fn chosen(q: &Chosen) -> Result<Reminder, AppError> {
    if q.reminder.is_empty() {
        return Ok(Reminder::EitBehind);
    }
    Ok(itas_app::reminders::reminder_named(&q.reminder)?)
}

fn view(
    state: &AppState,
    ctx: PageCtx,
    plan: &ReminderPlan,
    base: &str,
    outcome: Option<SentLine>,
) -> Result<Html<String>, AppError> {
    let lang = ctx.lang;
    let recipients = plan
        .recipients
        .iter()
        .map(|r| RecipientLine {
            name: r.user_name.clone(),
            email: r.email.clone().unwrap_or_else(|| "–".into()),
            about: r.about.clone(),
            figures: lang.pick(&r.figures_th, &r.figures_en).to_string(),
            status: lang
                .pick(r.status.name_th(), r.status.name_en())
                .to_string(),
            ready: r.status == Status::Ready,
        })
        .collect();
    let sample = plan.ready().next().map(|r| {
        let l = plan.letter(r, base);
        (l.subject, l.lines)
    });
    Ok(Html(
        RemindersPage {
            reminders: Reminder::ALL
                .iter()
                .map(|r| {
                    (
                        r.code().to_string(),
                        lang.pick(r.name_th(), r.name_en()).to_string(),
                        *r == plan.reminder,
                    )
                })
                .collect(),
            chosen: plan.reminder.code().to_string(),
            deadline: plan
                .deadline
                .map(|d| match lang {
                    crate::i18n::Lang::Th => {
                        itas_core::thai::format_date(d, itas_core::thai::Digits::Thai)
                    }
                    crate::i18n::Lang::En => d.to_string(),
                })
                .unwrap_or_default(),
            ready: ctx.num(&plan.ready().count().to_string()),
            recipients,
            sample,
            mail_off: state.config.mailer.is_none(),
            outcome,
            round: plan.round.clone(),
            ctx,
        }
        .render()?,
    ))
}

async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<Chosen>,
) -> Result<Html<String>, AppError> {
    user.require(Role::CentralAdmin)?;
    let plan = itas_app::reminders::plan(&state, &user.actor(), &id, chosen(&q)?).await?;
    let base = crate::routes::agency::base_url(&state, &headers);
    view(&state, PageCtx::for_user(&user), &plan, &base, None)
}

/// Sends the chosen reminder to everyone it is ready for, one message each;
/// a failed send is listed with the mail server's reason and released.
async fn send(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(q): Form<Chosen>,
) -> Result<Html<String>, AppError> {
    user.require(Role::CentralAdmin)?;
    let actor = user.actor();
    let plan = itas_app::reminders::plan(&state, &actor, &id, chosen(&q)?).await?;
    let base = crate::routes::agency::base_url(&state, &headers);
    let ctx = PageCtx::for_user(&user);
    let Some(mailer) = state.config.mailer.clone() else {
        return view(&state, ctx, &plan, &base, None);
    };
    let mut done = Sent::default();
    for r in &plan.recipients {
        if r.status != Status::Ready {
            let why = ctx.pick(r.status.name_th(), r.status.name_en()).to_string();
            *done.left_out.entry(why).or_default() += 1;
            continue;
        }
        let Some(email) = r.email.as_deref() else {
            continue;
        };
        if !itas_app::reminders::claim(&state, &plan, r).await? {
            let why = ctx
                .pick(
                    Status::RemindedToday.name_th(),
                    Status::RemindedToday.name_en(),
                )
                .to_string();
            *done.left_out.entry(why).or_default() += 1;
            continue;
        }
        let letter = plan.letter(r, &base);
        let mail = crate::mail::Mail {
            subject: letter.subject,
            text: letter.lines.join("\n\n"),
            html: letter
                .lines
                .iter()
                .filter(|l| !l.is_empty())
                .map(|l| format!("<p>{}</p>", crate::mail::html_escape(l)))
                .collect(),
        };
        match mailer.send(email, mail).await {
            Ok(()) => done.sent += 1,
            Err(e) => {
                tracing::warn!(user = %r.user_id, "reminder not sent: {e}");
                itas_app::reminders::release(&state, &plan, r).await?;
                done.failed.push((email.to_string(), e));
            }
        }
    }
    itas_app::reminders::record(&state, &actor, &plan, &done).await?;
    // The list as it stands now: who was just reminded shows so.
    let after = itas_app::reminders::plan(&state, &actor, &id, plan.reminder).await?;
    let outcome = SentLine {
        sent: ctx.num(&done.sent.to_string()),
        failed: done.failed,
        left_out: done
            .left_out
            .into_iter()
            .map(|(why, n)| (why, ctx.num(&n.to_string())))
            .collect(),
    };
    view(&state, ctx, &after, &base, Some(outcome))
}

async fn setting(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<Html<String>, AppError> {
    let off = itas_app::reminders::is_opted_out(&state, &user.actor()).await?;
    Ok(Html(
        ReminderSettingPage {
            ctx: PageCtx::for_user(&user),
            off,
            saved: false,
        }
        .render()?,
    ))
}

#[derive(Deserialize)]
struct Setting {
    off: bool,
}

async fn set_setting(
    State(state): State<AppState>,
    user: CurrentUser,
    Form(f): Form<Setting>,
) -> Result<Html<String>, AppError> {
    itas_app::reminders::set_opted_out(&state, &user.actor(), f.off).await?;
    Ok(Html(
        ReminderSettingPage {
            ctx: PageCtx::for_user(&user),
            off: f.off,
            saved: true,
        }
        .render()?,
    ))
}
