//! Deadline reminders by email: the central office picks a round and a
//! reminder (agencies behind on a survey's minimum, OIT not submitted,
//! assessors with review decisions outstanding), reads who gets it with each
//! one's own figures and the message itself, then sends. Who may get one:
//! an active user with an address who has not turned reminders off and was
//! not reminded today. The sending itself is the web crate's (its mailer);
//! the rules are here.

use crate::App;
use crate::access::Actor;
use crate::error::{Error, ErrorCode, Result};
use itas_core::directory::{Phase, Role};
use itas_core::thai::{Digits, format_date};
use itas_store::rounds::Round;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use time::Date;

/// What a reminder is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reminder {
    IitBehind,
    EitBehind,
    OitNotSubmitted,
    ReviewsOutstanding,
}

impl Reminder {
    pub const ALL: [Reminder; 4] = [
        Reminder::IitBehind,
        Reminder::EitBehind,
        Reminder::OitNotSubmitted,
        Reminder::ReviewsOutstanding,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Reminder::IitBehind => "iit_behind",
            Reminder::EitBehind => "eit_behind",
            Reminder::OitNotSubmitted => "oit_not_submitted",
            Reminder::ReviewsOutstanding => "reviews_outstanding",
        }
    }

    pub fn parse(code: &str) -> Option<Reminder> {
        Reminder::ALL.into_iter().find(|r| r.code() == code)
    }

    pub fn name_th(self) -> &'static str {
        match self {
            Reminder::IitBehind => "หน่วยงานที่ผู้ตอบ IIT ยังไม่ถึงขั้นต่ำ",
            Reminder::EitBehind => "หน่วยงานที่ผู้ตอบ EIT ยังไม่ถึงขั้นต่ำ",
            Reminder::OitNotSubmitted => "หน่วยงานที่ยังไม่ได้ส่งข้อมูล OIT",
            Reminder::ReviewsOutstanding => "ผู้ประเมินที่ยังตรวจ OIT ไม่ครบ",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            Reminder::IitBehind => "Agencies below the IIT minimum",
            Reminder::EitBehind => "Agencies below the EIT minimum",
            Reminder::OitNotSubmitted => "Agencies that have not submitted their OIT",
            Reminder::ReviewsOutstanding => "Assessors with OIT decisions outstanding",
        }
    }

    /// The phase whose end is the deadline the reminder names.
    fn phase(self, now: Option<Phase>) -> Phase {
        match self {
            Reminder::ReviewsOutstanding if now == Some(Phase::Review2) => Phase::Review2,
            Reminder::ReviewsOutstanding => Phase::Review1,
            _ => Phase::Collection,
        }
    }
}

/// Whether a recipient gets the reminder now, or why not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Ready,
    NoEmail,
    OptedOut,
    RemindedToday,
}

impl Status {
    pub fn name_th(self) -> &'static str {
        match self {
            Status::Ready => "จะได้รับ",
            Status::NoEmail => "ไม่มีอีเมล",
            Status::OptedOut => "ปิดการรับอีเมลเตือน",
            Status::RemindedToday => "ได้รับอีเมลเตือนแล้ววันนี้",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            Status::Ready => "will receive it",
            Status::NoEmail => "no email address",
            Status::OptedOut => "turned reminders off",
            Status::RemindedToday => "already reminded today",
        }
    }
}

/// One person a reminder is for, with the figures it tells them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Recipient {
    pub user_id: String,
    pub user_name: String,
    pub email: Option<String>,
    /// The agency (its admins) or the assessor the figures are about.
    pub about: String,
    pub figures_th: String,
    pub figures_en: String,
    pub status: Status,
}

/// A reminder ready to read and send.
#[derive(Clone, Debug)]
pub struct ReminderPlan {
    pub round: Round,
    pub reminder: Reminder,
    pub deadline: Option<Date>,
    pub recipients: Vec<Recipient>,
    /// The day reminders are counted by (Asia/Bangkok), `YYYY-MM-DD`.
    pub day: String,
}

/// A message in both languages, Thai first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Letter {
    pub subject: String,
    pub lines: Vec<String>,
}

impl ReminderPlan {
    pub fn ready(&self) -> impl Iterator<Item = &Recipient> {
        self.recipients.iter().filter(|r| r.status == Status::Ready)
    }

    /// The message one recipient gets; `base` is the server's public address.
    pub fn letter(&self, r: &Recipient, base: &str) -> Letter {
        let base = base.trim_end_matches('/');
        let th_date = self
            .deadline
            .map(|d| format!(" ภายในวันที่ {}", format_date(d, Digits::Thai)));
        let en_date = self.deadline.map(|d| format!(" by {d}"));
        let (todo_th, todo_en, link) = match self.reminder {
            Reminder::IitBehind | Reminder::EitBehind => (
                "กรุณาเผยแพร่ลิงก์และ QR Code ของแบบวัดให้ผู้ตอบเพิ่มเติม",
                "please share the questionnaire's link and QR code with more respondents",
                format!("{base}/agency"),
            ),
            Reminder::OitNotSubmitted => (
                "กรุณากรอก URL หลักฐานให้ครบและกดส่งข้อมูล OIT",
                "please enter the evidence URLs and submit the OIT",
                format!("{base}/agency"),
            ),
            Reminder::ReviewsOutstanding => (
                "กรุณาตรวจและบันทึกผลการตรวจ OIT ให้ครบ",
                "please review and record the outstanding OIT decisions",
                format!("{base}/assessor"),
            ),
        };
        Letter {
            subject: format!(
                "[{}] เตือนกำหนดส่ง: {} / Reminder: {}",
                self.round.name,
                self.reminder.name_th(),
                self.reminder.name_en()
            ),
            lines: vec![
                format!("เรียน {} ({})", r.user_name, r.about),
                format!(
                    "ในรอบการประเมิน {} {} {}{}",
                    self.round.name,
                    r.figures_th,
                    todo_th,
                    th_date.unwrap_or_default()
                ),
                link.clone(),
                format!(
                    "หากไม่ต้องการรับอีเมลเตือนกำหนดส่ง ปิดได้ที่ {base}/account/reminders (อีเมลเกี่ยวกับบัญชียังส่งถึงท่านตามปกติ)"
                ),
                String::new(),
                format!("Dear {} ({}),", r.user_name, r.about),
                format!(
                    "In {}: {}; {}{}.",
                    self.round.name,
                    r.figures_en,
                    todo_en,
                    en_date.unwrap_or_default()
                ),
                link,
                format!(
                    "To stop deadline reminders, turn them off at {base}/account/reminders (account mail still comes)."
                ),
            ],
        }
    }
}

/// Who gets a reminder of a round now, with their figures.
pub async fn plan(
    app: &App,
    actor: &Actor,
    round_id: &str,
    reminder: Reminder,
) -> Result<ReminderPlan> {
    crate::rounds::require_central(actor)?;
    let round = crate::rounds::get(app, round_id).await?;
    let fw = crate::survey::round_framework(app, &round.id).await?;
    let phases = itas_store::rounds::phases(&app.db, &round.id).await?;
    let today = crate::today();
    let now = match itas_store::rounds::state_on(&phases, today) {
        itas_store::rounds::RoundState::In(p) => Some(p),
        _ => None,
    };
    let deadline = phases
        .iter()
        .find(|p| p.phase == reminder.phase(now))
        .map(|p| p.ends_on);
    let day = today.to_string();
    let users = itas_store::users::list(&app.db).await?;
    let opted_out = itas_store::reminders::opted_out(&app.db).await?;
    let reminded = itas_store::reminders::reminded_on(&app.db, &day).await?;
    let status = |u: &itas_store::users::User| {
        let email = u.email.as_deref().filter(|e| !e.trim().is_empty());
        if email.is_none() {
            Status::NoEmail
        } else if opted_out.contains(&u.id) {
            Status::OptedOut
        } else if reminded.contains(&u.id) {
            Status::RemindedToday
        } else {
            Status::Ready
        }
    };
    // (about, figures th, figures en) per user it is for.
    let mut about: Vec<(&itas_store::users::User, String, String, String)> = Vec::new();
    match reminder {
        Reminder::IitBehind | Reminder::EitBehind | Reminder::OitNotSubmitted => {
            let mut admins: HashMap<&str, Vec<&itas_store::users::User>> = HashMap::new();
            for u in users
                .iter()
                .filter(|u| u.active && u.role() == Some(Role::AgencyAdmin))
            {
                if let Some(a) = u.agency_id.as_deref() {
                    admins.entry(a).or_default().push(u);
                }
            }
            let rows = crate::participants::kept_participant_rows(app, &round.id, &fw).await?;
            let submitted = itas_store::oit::round_submitted(&app.db, &round.id).await?;
            let n = |x: i64| Digits::Thai.apply(&x.to_string());
            for row in rows.iter() {
                let figures = match reminder {
                    Reminder::OitNotSubmitted => {
                        (!submitted.contains(&row.p.agency_id)).then(|| {
                            (
                                "ยังไม่ได้ส่งข้อมูล OIT".to_string(),
                                "the OIT is not submitted yet".to_string(),
                            )
                        })
                    }
                    _ => {
                        let tool = if reminder == Reminder::IitBehind {
                            "IIT"
                        } else {
                            "EIT"
                        };
                        row.tools
                            .iter()
                            .find(|(t, _, _, behind)| t == tool && *behind)
                            .map(|(t, got, min, _)| {
                                if row.p.population(t) == 0 && *min == 0 {
                                    (
                                        format!("ยังไม่ได้กรอกจำนวนประชากรของ {t} จึงยังคำนวณขั้นต่ำไม่ได้"),
                                        format!("the {t} population is not entered, so its minimum is unknown"),
                                    )
                                } else {
                                    let short = (i64::from(*min) - got).max(0);
                                    (
                                        format!(
                                            "มีผู้ตอบ {t} แล้ว {} คน จากขั้นต่ำ {} คน (ขาดอีก {} คน)",
                                            n(*got),
                                            n(i64::from(*min)),
                                            n(short)
                                        ),
                                        format!("{got} {t} responses of the {min} minimum ({short} to go)"),
                                    )
                                }
                            })
                    }
                };
                let Some((th, en)) = figures else { continue };
                for u in admins.get(row.p.agency_id.as_str()).into_iter().flatten() {
                    about.push((u, row.p.name_th.clone(), th.clone(), en.clone()));
                }
            }
        }
        Reminder::ReviewsOutstanding => {
            let review = if now == Some(Phase::Review2) { 2 } else { 1 };
            let submitted = itas_store::oit::round_submitted(&app.db, &round.id).await?;
            let assignments = itas_store::assignments::of_round(&app.db, &round.id).await?;
            let agencies: Vec<String> = assignments
                .iter()
                .map(|(a, _, _)| a.clone())
                .filter(|a| submitted.contains(a))
                .collect();
            let decisions = itas_store::oit::decisions_of(&app.db, &round.id, &agencies).await?;
            let items = fw.checklist_items().count();
            // Items still to decide for each submitted agency.
            let mut open: HashMap<&str, usize> = HashMap::new();
            for a in &agencies {
                let list = decisions
                    .get(a)
                    .map(|d| d.unpack())
                    .transpose()?
                    .unwrap_or_default();
                let first: Vec<&itas_core::oit::Decision> =
                    list.iter().filter(|d| d.review.number() == 1).collect();
                let left = if review == 1 {
                    items.saturating_sub(first.len())
                } else {
                    let failed = first.iter().filter(|d| !d.passed).count();
                    let second = list.iter().filter(|d| d.review.number() == 2).count();
                    failed.saturating_sub(second)
                };
                open.insert(a.as_str(), left);
            }
            let mut per_assessor: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
            for (agency, assessor, _) in &assignments {
                if let Some(left) = open.get(agency.as_str()).filter(|l| **l > 0) {
                    let e = per_assessor.entry(assessor.as_str()).or_default();
                    e.0 += 1;
                    e.1 += left;
                }
            }
            let n = |x: usize| Digits::Thai.apply(&x.to_string());
            for u in users
                .iter()
                .filter(|u| u.active && u.role() == Some(Role::Assessor))
            {
                if let Some((agencies, items)) = per_assessor.get(u.id.as_str()) {
                    about.push((
                        u,
                        format!("ผู้ประเมิน OIT รอบที่ {}", n(review)),
                        format!(
                            "มีหน่วยงานที่ส่ง OIT แล้วแต่ยังตรวจไม่ครบ {} แห่ง (ยังไม่ได้ตัดสิน {} ข้อ)",
                            n(*agencies),
                            n(*items)
                        ),
                        format!("{agencies} submitted agencies still have {items} items to decide"),
                    ));
                }
            }
        }
    }
    let recipients = about
        .into_iter()
        .map(|(u, about, th, en)| Recipient {
            user_id: u.id.clone(),
            user_name: u.display_name.clone(),
            email: u.email.clone().filter(|e| !e.trim().is_empty()),
            about,
            figures_th: th,
            figures_en: en,
            status: status(u),
        })
        .collect();
    Ok(ReminderPlan {
        round,
        reminder,
        deadline,
        recipients,
        day,
    })
}

/// Claims a recipient's reminder of the day before it is sent: false when
/// it was taken meanwhile (another click, another server).
pub async fn claim(app: &App, plan: &ReminderPlan, r: &Recipient) -> Result<bool> {
    Ok(itas_store::reminders::claim(
        &app.db,
        &r.user_id,
        &plan.day,
        &plan.round.id,
        plan.reminder.code(),
    )
    .await?)
}

/// Gives the claim back when the message could not be sent, so a later
/// attempt the same day may send it.
pub async fn release(app: &App, plan: &ReminderPlan, r: &Recipient) -> Result<()> {
    Ok(itas_store::reminders::release(&app.db, &r.user_id, &plan.day).await?)
}

/// What one sending did, for the page and the audit log.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Sent {
    pub sent: usize,
    /// (address, why), each failure as the mail server said it.
    pub failed: Vec<(String, String)>,
    /// Left out, by reason (no address, turned off, reminded today).
    pub left_out: BTreeMap<String, usize>,
}

/// Audits a sending with its counts.
pub async fn record(app: &App, actor: &Actor, plan: &ReminderPlan, sent: &Sent) -> Result<()> {
    let summary = serde_json::json!({
        "reminder": plan.reminder.code(),
        "sent": sent.sent,
        "failed": sent.failed.len(),
        "left_out": sent.left_out,
    });
    itas_store::reminders::record(&app.db, Some(&actor.user_id), &plan.round.id, &summary).await?;
    tracing::info!(
        round = %plan.round.id,
        reminder = plan.reminder.code(),
        sent = sent.sent,
        failed = sent.failed.len(),
        "reminders sent"
    );
    Ok(())
}

/// Whether a user gets deadline reminders.
pub async fn is_opted_out(app: &App, actor: &Actor) -> Result<bool> {
    Ok(itas_store::reminders::is_opted_out(&app.db, &actor.user_id).await?)
}

/// A user turns their own reminders off or on again.
pub async fn set_opted_out(app: &App, actor: &Actor, off: bool) -> Result<()> {
    Ok(itas_store::reminders::set_opted_out(&app.db, &actor.user_id, off).await?)
}

/// A reminder by its code, or the error the form shows.
pub fn reminder_named(code: &str) -> Result<Reminder> {
    Reminder::parse(code)
        .ok_or_else(|| Error::new(ErrorCode::Invalid).detail(format!("unknown reminder '{code}'")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reminder_has_a_code_and_both_names() {
        for r in Reminder::ALL {
            assert_eq!(Reminder::parse(r.code()), Some(r));
            assert!(!r.name_th().is_empty() && !r.name_en().is_empty());
        }
        assert_eq!(Reminder::parse("nope"), None);
        for st in [
            Status::Ready,
            Status::NoEmail,
            Status::OptedOut,
            Status::RemindedToday,
        ] {
            assert!(!st.name_th().is_empty() && !st.name_en().is_empty());
        }
    }
}
