//! The templates and view models of `routes::public_page`.

use crate::pages::PageCtx;
use askama::Template;
use itas_store::agencies::Agency;
use itas_store::rounds::Round;

#[derive(Template)]
#[template(path = "public_page.html")]
pub(crate) struct PublicPage {
    pub(crate) ctx: PageCtx,
    pub(crate) title: String,
    pub(crate) agency: Agency,
    pub(crate) round: Round,
    pub(crate) framework_name: String,
    pub(crate) fiscal_year: String,
    pub(crate) next_fiscal_year: String,
    pub(crate) as_of: String,
    pub(crate) published_on: String,
    pub(crate) base_path: String,
    pub(crate) result: Option<ResultView>,
    /// The agency's published years up to this one, imported years marked.
    pub(crate) trend: Option<crate::overview::DrawnTrend>,
    pub(crate) measures: Vec<MeasureView>,
    pub(crate) measure_count: String,
    pub(crate) done_count: String,
}

pub(crate) struct ResultView {
    pub(crate) overall: String,
    pub(crate) result: String,
    pub(crate) analysis_html: String,
}

pub(crate) struct MeasureView {
    pub(crate) number: String,
    pub(crate) tool: String,
    pub(crate) status: String,
    pub(crate) measure: String,
    pub(crate) weakness: String,
    pub(crate) owner: String,
    pub(crate) period: String,
    pub(crate) follow_up: String,
    pub(crate) percent: String,
    pub(crate) progress: Vec<(String, String, String)>,
}
