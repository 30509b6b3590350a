//! The templates and view models of `routes::quality`.

use crate::pages::PageCtx;
use askama::Template;
use itas_core::quality::Flag;

/// One agency's tool on the quality page.
pub struct Row {
    pub agency_id: String,
    pub code: String,
    pub name: String,
    pub tool: String,
    pub responses: u64,
    pub population: Option<u64>,
    pub flags: Vec<Flag>,
    /// The tool score on every answer, and with the flagged part left out (and how many remain).
    pub plain: String,
    pub excluded: String,
    pub remaining: u64,
    pub decision: Option<String>,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "admin_quality.html")]
pub(crate) struct QualityPage {
    pub(crate) ctx: PageCtx,
    pub(crate) round_id: String,
    pub(crate) round_name: String,
    pub(crate) rows: Vec<Row>,
    pub(crate) flagged_total: usize,
    pub(crate) page: usize,
    pub(crate) pages: usize,
    pub(crate) clean: usize,
    pub(crate) codes_off: Vec<(String, String)>,
    pub(crate) error_for: String,
    pub(crate) error: String,
    /// The refused form's choice and reason, put back where they were typed.
    pub(crate) kept_decision: String,
    pub(crate) kept_reason: String,
}
