//! The central office's reminders page and a user's reminder setting.

use crate::pages::PageCtx;
use askama::Template;
use itas_store::rounds::Round;

/// One recipient as the page lists them.
pub(crate) struct RecipientLine {
    pub(crate) name: String,
    pub(crate) email: String,
    pub(crate) about: String,
    pub(crate) figures: String,
    pub(crate) status: String,
    pub(crate) ready: bool,
}

/// What a sending did, as printed.
pub(crate) struct SentLine {
    pub(crate) sent: String,
    /// (address, why).
    pub(crate) failed: Vec<(String, String)>,
    pub(crate) left_out: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "admin_reminders.html")]
pub(crate) struct RemindersPage {
    pub(crate) ctx: PageCtx,
    pub(crate) round: Round,
    /// (code, name, selected).
    pub(crate) reminders: Vec<(String, String, bool)>,
    pub(crate) chosen: String,
    pub(crate) deadline: String,
    pub(crate) recipients: Vec<RecipientLine>,
    pub(crate) ready: String,
    /// The message the first recipient would get: subject, then its lines.
    pub(crate) sample: Option<(String, Vec<String>)>,
    pub(crate) mail_off: bool,
    pub(crate) outcome: Option<SentLine>,
}

#[derive(Template)]
#[template(path = "account_reminders.html")]
pub(crate) struct ReminderSettingPage {
    pub(crate) ctx: PageCtx,
    pub(crate) off: bool,
    pub(crate) saved: bool,
}
