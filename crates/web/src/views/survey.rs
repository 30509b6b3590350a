//! The templates and view models of `routes::survey`.

use crate::pages::PageCtx;
use askama::Template;

#[derive(Template)]
#[template(path = "survey_landing.html")]
pub(crate) struct LandingPage {
    pub(crate) ctx: PageCtx,
    pub(crate) code: String,
    pub(crate) agency: String,
    pub(crate) tool: String,
    pub(crate) tool_code: String,
    pub(crate) require_code: bool,
    pub(crate) resume: bool,
    /// The first page with a question not yet answered.
    pub(crate) resume_page: usize,
    /// This browser sent this questionnaire before.
    pub(crate) sent: bool,
    pub(crate) error: String,
    pub(crate) typed: String,
}

pub struct OptionView {
    pub code: String,
    pub label: String,
}

pub struct CellView {
    pub field: String,
    pub label: String,
    pub chosen: String,
}

pub struct QuestionView {
    pub code: String,
    pub text: String,
    pub cells: Vec<CellView>,
    pub options: Vec<OptionView>,
    pub error: String,
}

#[derive(Template)]
#[template(path = "survey_page.html")]
pub(crate) struct QuestionPage {
    pub(crate) ctx: PageCtx,
    pub(crate) code: String,
    pub(crate) agency: String,
    pub(crate) tool: String,
    pub(crate) page: usize,
    pub(crate) pages: usize,
    pub(crate) heading: String,
    pub(crate) questions: Vec<QuestionView>,
    pub(crate) sid: String,
    pub(crate) has_errors: bool,
    /// This browser sent this questionnaire before and holds no draft now.
    pub(crate) sent: bool,
    /// The first unanswered field of a refused page: it gets the focus.
    pub(crate) first_missing: String,
}

#[derive(Template)]
#[template(path = "survey_thanks.html")]
pub(crate) struct ThanksPage {
    pub(crate) ctx: PageCtx,
}
