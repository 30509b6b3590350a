//! The templates and view models of `routes::dashboard`.

use crate::overview::Drawn;
use crate::pages::PageCtx;
use askama::Template;
use itas_store::rounds::Round;

#[derive(Template)]
#[template(path = "results_rounds.html")]
pub(crate) struct RoundsPage {
    pub(crate) ctx: PageCtx,
    pub(crate) rounds: Vec<(Round, bool)>,
}

/// One line of a table on the page, already formatted.
pub struct SummaryLine {
    pub name: String,
    pub agencies: String,
    pub average: String,
    pub share: String,
    pub meets_target: bool,
    pub levels: Vec<String>,
}

pub struct AgencyLine {
    pub id: String,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub province: String,
    pub overall: String,
    pub level: String,
    /// Its survey samples short of their minimum ("EIT ๑๒/๓๐"); empty if none.
    pub short: String,
}

/// This round beside the previous published one, formatted.
pub struct ComparisonView {
    pub round_id: String,
    pub round_name: String,
    pub agencies: String,
    /// (what, before, now, change, better)
    pub rows: Vec<(String, String, String, String, bool)>,
    pub now_levels: Vec<String>,
    /// (earlier result, counts per result now)
    pub transitions: Vec<(String, Vec<String>)>,
    /// The two rounds name results under different rules.
    pub different_rules: bool,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
pub(crate) struct DashboardPage {
    pub(crate) ctx: PageCtx,
    pub(crate) round: Round,
    /// Agencies whose result a tool below its floor holds back: (tool, count).
    pub(crate) held_back: Vec<(String, String)>,
    /// How many agencies in view were computed below a minimum sample.
    pub(crate) short_samples: Option<String>,
    pub(crate) comparison: Option<ComparisonView>,
    pub(crate) by: &'static str,
    pub(crate) sort: String,
    pub(crate) dir: String,
    pub(crate) level_codes: Vec<String>,
    pub(crate) total: SummaryLine,
    pub(crate) target: String,
    pub(crate) groups: Vec<SummaryLine>,
    pub(crate) agencies: Vec<AgencyLine>,
    pub(crate) page: usize,
    pub(crate) pages: usize,
    /// Query string of the current grouping and sort, for page links.
    pub(crate) query: String,
    /// Participants of the round without a result here (not computed), as text.
    pub(crate) not_included: Option<String>,
    pub(crate) drawn: Drawn,
    /// The scope over the rounds it took part in: (chart, round heads, rows).
    pub(crate) trend: Option<crate::overview::DrawnTrend>,
    /// A province's or a parent agency's name when the page shows only it.
    pub(crate) scope_name: Option<String>,
    /// "&province=…" or "&parent=…" for links that keep the scope.
    pub(crate) scope_query: String,
    pub(crate) infographic_href: String,
}
