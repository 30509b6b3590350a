//! The templates and view models of `routes::agency`.

use crate::pages::{FieldErrors, PageCtx};
use askama::Template;
use itas_store::agencies::Agency;
use itas_store::rounds::{Participation, Round};

/// One indicator row of a results table.
pub struct IndicatorRow {
    pub number: u32,
    pub name: String,
    pub tool: String,
    pub score: String,
    pub below: bool,
}

/// An agency's published results, computed by the engine from stored scores.
pub struct ScoreView {
    pub rows: Vec<IndicatorRow>,
    pub tools: Vec<(String, String, String)>,
    pub overall: String,
    pub level: String,
    /// Remarks on scores computed below a minimum sample.
    pub short: Vec<String>,
}

/// One survey tool of an agency during collection.
pub struct ToolCollection {
    pub tool: String,
    pub name: String,
    pub url: String,
    pub qr_svg: String,
    pub count: i64,
    pub min: Option<u32>,
    pub behind: bool,
    pub require_code: bool,
    pub codes_issued: i64,
    pub codes_used: i64,
    /// Codes still to issue to cover the population (the form's default).
    pub codes_to_population: i64,
    /// More responses than the stated population (IIT): not counted until the
    /// central office decides.
    pub over_population: bool,
    /// The central office's data-quality decision, as the agency is told it
    /// (the outcome, never the detection details).
    pub quality_decision: Option<String>,
    /// A part the central office collects (the EIT's part 2): no link here.
    pub central: bool,
    /// Its count is not shown until collection closes.
    pub count_hidden: bool,
}

/// An agency's standing in one round.
pub struct RoundCard {
    pub round: Round,
    /// Populations can be changed only before and during collection.
    pub open: bool,
    /// Links, QR codes, posters and codes are shown while answers are
    /// collected; after, only the counts.
    pub collecting: bool,
    pub state: String,
    pub todo: String,
    pub participation: Participation,
    pub min_iit: Option<u32>,
    pub min_eit: Option<u32>,
    /// Which table rows set the minimums (agency group and size), in words.
    pub min_basis: Vec<String>,
    pub scores: Option<ScoreView>,
    /// Links and counts (never scores), while collection is open.
    pub collection: Vec<ToolCollection>,
}

#[derive(Template)]
#[template(path = "agency_home.html")]
pub(crate) struct AgencyPage {
    pub(crate) ctx: PageCtx,
    pub(crate) agency: Agency,
    pub(crate) parent: Option<Agency>,
    pub(crate) rounds: Vec<RoundCard>,
    pub(crate) editable: bool,
    pub(crate) errors: FieldErrors,
    /// A refused populations form: (round, staff, people served) as typed.
    pub(crate) typed_populations: Option<(String, String, String)>,
}

impl AgencyPage {
    /// A population field's value: what was typed into a refused form, or
    /// what is stored.
    pub(crate) fn population_value(&self, round_id: &str, field: &str, stored: &i64) -> String {
        match &self.typed_populations {
            Some((r, iit, eit)) if r == round_id => {
                if field == "iit" {
                    iit.clone()
                } else {
                    eit.clone()
                }
            }
            _ => stored.to_string(),
        }
    }
}

#[derive(Template)]
#[template(path = "codes_print.html")]
pub(crate) struct CodesPage {
    pub(crate) ctx: PageCtx,
    pub(crate) agency: String,
    pub(crate) tool: String,
    pub(crate) url: String,
    pub(crate) codes: Vec<String>,
}

#[derive(Template)]
#[template(path = "poster.html")]
pub(crate) struct PosterPage {
    pub(crate) agency: String,
    pub(crate) tool: String,
    pub(crate) tool_name: String,
    pub(crate) url: String,
    pub(crate) qr_svg: String,
    pub(crate) round: String,
    /// That a single-use code from the agency is needed, or empty.
    pub(crate) code_note: String,
}
