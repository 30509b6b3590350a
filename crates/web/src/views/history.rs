//! The central office's page for earlier years' published results.

use crate::pages::PageCtx;
use askama::Template;

/// One fiscal year held: (year, agencies), as printed.
pub(crate) type YearLine = (String, String);

/// What the last import did, as the page prints it.
pub(crate) struct ImportOutcome {
    pub(crate) stored: String,
    /// (year, what happened to it), e.g. ("๒๕๖๖", "แทนที่ ๘,๓๒๓ แถวเดิมด้วย ๘,๓๒๕ แถว").
    pub(crate) years: Vec<(String, String)>,
    /// (line, reason).
    pub(crate) problems: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "admin_history.html")]
pub(crate) struct HistoryPage {
    pub(crate) ctx: PageCtx,
    pub(crate) held: Vec<YearLine>,
    pub(crate) outcome: Option<ImportOutcome>,
    pub(crate) error: String,
}
