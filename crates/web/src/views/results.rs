//! The templates and view models of `routes::results`.

use crate::pages::PageCtx;
use askama::Template;
use itas_store::agencies::Agency;
use itas_store::rounds::Round;

#[derive(Template)]
#[template(path = "results.html")]
pub(crate) struct ResultsPage {
    pub(crate) ctx: PageCtx,
    pub(crate) agency: Agency,
    pub(crate) round: Round,
    pub(crate) overall: String,
    pub(crate) level: String,
    pub(crate) level_name: String,
    /// Conditions rule: the result a tool below its floor holds back, in words.
    pub(crate) held_back: String,
    /// Conditions rule: each better result, what blocks it or the OIT items that reach it.
    pub(crate) outlook: Vec<String>,
    /// Letter bands (2564) or result labels (2566 on).
    pub(crate) labels: bool,
    pub(crate) table_html: String,
    pub(crate) bars_svg: String,
    pub(crate) previous: Option<String>,
    pub(crate) below: usize,
    pub(crate) may_download: bool,
    /// OIT items to pass to reach the pass mark: (item, text, gain).
    pub(crate) oit_steps: Vec<(String, String, String, bool)>,
    /// The agency over the rounds it took part in, when more than one has
    /// results this reader may see: (chart, round heads, rows).
    pub(crate) trend: Option<crate::overview::DrawnTrend>,
    pub(crate) oit_plan_text: Option<String>,
    /// This round's plan, for insiders.
    pub(crate) plan: Option<crate::views::plan::PlanSummary>,
    /// The plan made after the previous round: did it work?
    pub(crate) previous_plan: Option<crate::views::plan::PlanSummary>,
    /// Remarks on scores computed below a minimum sample.
    pub(crate) short_samples: Vec<String>,
    /// Each part's count of a tool collected in parts.
    pub(crate) part_counts: Vec<String>,
}
