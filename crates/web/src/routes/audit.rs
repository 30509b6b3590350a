//! The audit log for the central office: every change, newest first, paged
//! without an upper limit, narrowed by who, what, agency, round and dates,
//! each entry with its before and after; the same selection as CSV.

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::pages::PageCtx;
use crate::views::audit::{AuditPage, AuditQuery, EntryLine};
use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use itas_core::directory::Role;
use itas_store::audit::AuditEntry;
use std::collections::HashMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/audit", get(page))
        .route("/admin/audit.csv", get(csv))
}

/// Entries a page shows.
const PAGE_SIZE: i64 = 100;
/// Rows of one CSV: a selection past it is narrowed first (the page says so).
const CSV_ROWS: i64 = 100_000;

/// Every action the store writes, in Thai and English; a test checks that
/// each `audit!` of the store has a line here.
const ACTIONS: &[(&str, &str, &str)] = &[
    ("create", "สร้างรายการ", "create"),
    ("set_password", "ตั้งรหัสผ่านใหม่", "set a password"),
    ("set_active", "ระงับหรือเปิดใช้บัญชี", "suspend or reactivate"),
    ("set_email", "ตั้งอีเมลของผู้ใช้", "set a user's email"),
    ("unlock_sign_in", "ปลดล็อกการเข้าสู่ระบบ", "unlock sign-in"),
    (
        "send_device_check",
        "ส่งลิงก์ยืนยันเครื่องทางอีเมล",
        "mail a one-time sign-in link",
    ),
    (
        "verify_device",
        "ยืนยันเครื่องด้วยลิงก์ทางอีเมล",
        "a browser confirmed by its link",
    ),
    ("create_api_token", "สร้างโทเคน API", "make an API token"),
    ("revoke_api_token", "เพิกถอนโทเคน API", "revoke an API token"),
    (
        "api_token_use",
        "แก้ไขข้อมูลผ่านโทเคน API",
        "a change through an API token",
    ),
    ("set_phases", "กำหนดช่วงเวลาของรอบ", "set the round's phases"),
    ("join", "เพิ่มหน่วยงานเข้ารอบ", "add agencies to a round"),
    ("set_sizes", "กำหนดขนาดหน่วยงาน", "set agency sizes"),
    (
        "set_populations",
        "กำหนดจำนวนบุคลากรและผู้รับบริการ",
        "set populations",
    ),
    ("create_links", "สร้างลิงก์แบบวัด", "make survey links"),
    ("rotate_link", "เปลี่ยนลิงก์แบบวัดใหม่", "replace a survey link"),
    (
        "require_code",
        "เปิดหรือปิดการใช้รหัสตอบแบบวัด",
        "require codes or not",
    ),
    ("add_codes", "ออกรหัสสำหรับตอบแบบวัด", "issue single-use codes"),
    ("assign", "มอบหมายผู้ประเมิน", "assign an assessor"),
    ("unassign", "ยกเลิกการมอบหมายผู้ประเมิน", "unassign an assessor"),
    ("save_evidence", "บันทึกหลักฐาน OIT", "save OIT evidence"),
    ("submit_oit", "ส่งหลักฐาน OIT", "submit OIT evidence"),
    ("oit_decision", "ผลการตรวจข้อ OIT", "an OIT review decision"),
    ("load_reviews", "นำเข้าผลการตรวจ OIT", "load OIT reviews"),
    (
        "quality_decision",
        "พิจารณาคุณภาพข้อมูล",
        "a data-quality decision",
    ),
    (
        "set_scores",
        "บันทึกคะแนนของหน่วยงาน",
        "enter an agency's scores",
    ),
    (
        "set_round_scores",
        "ประมวลผลคะแนนทั้งรอบ",
        "compute the round's scores",
    ),
    ("publish_results", "เผยแพร่ผลการประเมิน", "publish results"),
    (
        "withdraw_results",
        "ถอนการเผยแพร่ผลการประเมิน",
        "withdraw results",
    ),
    ("add_measure", "เพิ่มมาตรการ", "add a measure"),
    ("update_measure", "แก้ไขมาตรการ", "change a measure"),
    (
        "record_progress",
        "รายงานความคืบหน้ามาตรการ",
        "record progress",
    ),
    (
        "publish_public_page",
        "เผยแพร่หน้าผลการประเมินของหน่วยงาน",
        "publish the agency's page",
    ),
    (
        "withdraw_public_page",
        "ถอนหน้าผลการประเมินของหน่วยงาน",
        "withdraw the agency's page",
    ),
];

/// An action's name in the reader's language; the code itself if unknown.
pub fn action_name(code: &str, lang: Lang) -> String {
    ACTIONS.iter().find(|(c, _, _)| *c == code).map_or_else(
        || code.to_string(),
        |(_, th, en)| lang.pick(th, en).to_string(),
    )
}

/// Names where the log keeps ids: users, rounds and agencies.
struct Names {
    users: HashMap<String, String>,
    others: HashMap<String, String>,
}

impl Names {
    async fn load(
        state: &AppState,
        user: &CurrentUser,
        entries: &[AuditEntry],
    ) -> Result<Names, AppError> {
        let n = itas_app::audit::names(state, &user.actor(), entries).await?;
        Ok(Names {
            users: n.users,
            others: n.others,
        })
    }

    fn line(&self, ctx: &PageCtx, e: &AuditEntry) -> EntryLine {
        EntryLine {
            at: ctx.date(&e.at),
            who: e
                .actor_id
                .as_ref()
                .and_then(|a| self.users.get(a))
                .cloned()
                .unwrap_or_else(|| ctx.pick("ระบบ", "system").to_string()),
            action: action_name(&e.action, ctx.lang),
            action_code: e.action.clone(),
            what: {
                let named: Vec<String> = e
                    .entity_id
                    .split('/')
                    .filter_map(|id| self.others.get(id).cloned())
                    .collect();
                if named.is_empty() {
                    format!("{} {}", e.entity, e.entity_id)
                } else {
                    format!("{}: {}", e.entity, named.join(" · "))
                }
            },
            before: e.before_json.clone().unwrap_or_default(),
            after: e.after_json.clone().unwrap_or_default(),
        }
    }
}

async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<AuditQuery>,
) -> Result<Response, AppError> {
    user.require(Role::CentralAdmin)?;
    let ctx = PageCtx::for_user(&user);
    let (entries, total, error, page, pages) = match q.filter(&state, user.lang).await {
        Ok(f) => {
            let total = itas_app::audit::count(&state, &user.actor(), &f).await?;
            let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
            let page = q.page.unwrap_or(1).clamp(1, pages);
            let offset = (page - 1) * PAGE_SIZE;
            let entries =
                itas_app::audit::entries(&state, &user.actor(), &f, PAGE_SIZE, offset).await?;
            (entries, total, None, page, pages)
        }
        Err(e) => (Vec::new(), 0, e.detail, 1, 1),
    };
    let names = Names::load(&state, &user, &entries).await?;
    let lines = entries.iter().map(|e| names.line(&ctx, e)).collect();
    let mut users: Vec<(String, String)> = names.users.clone().into_iter().collect();
    users.sort_by(|a, b| a.1.cmp(&b.1));
    let actions = itas_app::audit::actions(&state, &user.actor())
        .await?
        .into_iter()
        .map(|a| (action_name(&a, user.lang), a))
        .map(|(name, a)| (a, name))
        .collect();
    let rounds = itas_app::rounds::list(&state)
        .await?
        .into_iter()
        .map(|r| (r.id, r.name))
        .collect();
    let status = if error.is_some() {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    let page = AuditPage {
        total: ctx.num(&total.to_string()),
        query: q.query(),
        ctx,
        q,
        entries: lines,
        page,
        pages,
        users,
        actions,
        rounds,
        error,
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// The selection as CSV (UTF-8 with BOM for Excel), Thai action names
/// beside the codes, before and after as stored.
async fn csv(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<AuditQuery>,
) -> Result<Response, AppError> {
    user.require(Role::CentralAdmin)?;
    let f = q.filter(&state, user.lang).await?;
    let entries = itas_app::audit::entries(&state, &user.actor(), &f, CSV_ROWS, 0).await?;
    let ctx = PageCtx::for_user(&user);
    let names = Names::load(&state, &user, &entries).await?;
    let mut out = String::from("\u{feff}");
    out.push_str(&crate::routes::dashboard::csv_line(&[
        "เวลา (when)".into(),
        "ผู้ดำเนินการ (who)".into(),
        "การดำเนินการ (action)".into(),
        "รหัสการดำเนินการ (action code)".into(),
        "รายการ (what)".into(),
        "ก่อน (before)".into(),
        "หลัง (after)".into(),
    ]));
    for e in &entries {
        let l = names.line(&ctx, e);
        out.push_str(&crate::routes::dashboard::csv_line(&[
            l.at,
            l.who,
            l.action,
            l.action_code,
            l.what,
            l.before,
            l.after,
        ]));
    }
    if entries.len() as i64 == CSV_ROWS {
        tracing::info!("audit CSV cut at {CSV_ROWS} rows");
    }
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "text/csv; charset=utf-8".to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                "attachment; filename=\"itas-audit.csv\"".to_string(),
            ),
        ],
        out,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every action the store writes has a Thai and an English name: read
    /// from the store's own source, so a new action without one fails here.
    #[test]
    fn every_stored_action_has_a_name_in_both_languages() {
        let sources = [
            include_str!("../../../store/src/agencies.rs"),
            include_str!("../../../store/src/api_tokens.rs"),
            include_str!("../../../store/src/assignments.rs"),
            include_str!("../../../store/src/device_checks.rs"),
            include_str!("../../../store/src/oit.rs"),
            include_str!("../../../store/src/plans.rs"),
            include_str!("../../../store/src/public_pages.rs"),
            include_str!("../../../store/src/quality.rs"),
            include_str!("../../../store/src/rounds.rs"),
            include_str!("../../../store/src/surveys.rs"),
            include_str!("../../../store/src/users.rs"),
        ];
        let mut found = Vec::new();
        for src in sources {
            for (i, _) in src.match_indices("audit!(") {
                // The action is the first string literal after the actor:
                // the first quoted word in the call that is not SQL.
                let call = &src[i..src[i..].find(")?;").map_or(src.len(), |e| i + e)];
                for part in call.split('"').skip(1).step_by(2) {
                    if part.chars().all(|c| c.is_ascii_lowercase() || c == '_') && !part.is_empty()
                    {
                        found.push(part.to_string());
                        break;
                    }
                }
            }
        }
        assert!(found.len() >= 25, "{found:?}");
        for action in &found {
            assert!(
                ACTIONS.iter().any(|(c, _, _)| c == action),
                "the action {action} has no Thai name in routes::audit::ACTIONS"
            );
        }
        for (code, th, en) in ACTIONS {
            assert!(!th.is_empty() && !en.is_empty(), "{code}");
        }
    }
}
