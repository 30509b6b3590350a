//! The templates and view models of `routes::plan`.

use crate::pages::{FieldErrors, PageCtx};
use askama::Template;
use itas_store::agencies::Agency;
use itas_store::plans::Measure;
use itas_store::rounds::Round;

/// A measure's form as typed (kept when refused).
#[derive(serde::Deserialize, Clone, Debug, Default)]
pub struct MeasureForm {
    #[serde(default)]
    pub tool: String,
    #[serde(default)]
    pub measure: String,
    #[serde(default)]
    pub weakness: String,
    #[serde(default)]
    pub owner: String,
    #[serde(default)]
    pub starts_on: String,
    #[serde(default)]
    pub ends_on: String,
    #[serde(default)]
    pub follow_up: String,
    #[serde(default)]
    pub status: String,
}

impl MeasureForm {
    pub(crate) fn of(m: &Measure) -> MeasureForm {
        let f = &m.fields;
        MeasureForm {
            tool: f.tool.clone(),
            measure: f.measure.clone(),
            weakness: f.weakness.clone(),
            owner: f.owner.clone(),
            starts_on: f.starts_on.to_string(),
            ends_on: f.ends_on.to_string(),
            follow_up: f.follow_up.clone(),
            status: f.status.code().to_string(),
        }
    }

    pub(crate) fn input(&self) -> itas_app::plans::MeasureInput {
        itas_app::plans::MeasureInput {
            tool: self.tool.clone(),
            measure: self.measure.clone(),
            weakness: self.weakness.clone(),
            owner: self.owner.clone(),
            starts_on: self.starts_on.clone(),
            ends_on: self.ends_on.clone(),
            follow_up: self.follow_up.clone(),
            status: self.status.clone(),
        }
    }
}

#[derive(serde::Deserialize, Clone, Debug, Default)]
pub struct ProgressForm {
    #[serde(default)]
    pub month: String,
    #[serde(default)]
    pub percent: String,
    #[serde(default)]
    pub note: String,
}

pub struct MeasureView {
    pub id: String,
    pub form: MeasureForm,
    pub period: String,
    pub overdue: bool,
    pub done: bool,
    pub percent: String,
    pub progress: Vec<(String, String, String)>,
    /// Progress form as typed (kept when refused).
    pub progress_form: ProgressForm,
}

#[derive(Template)]
#[template(path = "plan.html")]
pub(crate) struct PlanPage {
    pub(crate) ctx: PageCtx,
    pub(crate) agency: Agency,
    pub(crate) round: Round,
    pub(crate) editable: bool,
    pub(crate) has_results: bool,
    pub(crate) tools: Vec<(String, String)>,
    pub(crate) measures: Vec<MeasureView>,
    pub(crate) overdue: usize,
    pub(crate) done: usize,
    pub(crate) new_form: MeasureForm,
    pub(crate) errors: FieldErrors,
    pub(crate) public_page: PublicPageView,
}

/// The agency's public ITA page for this round, as the plan page shows it.
pub struct PublicPageView {
    /// "none", "published" or "withdrawn".
    pub state: &'static str,
    pub url: String,
    /// OIT items of later rounds this page serves as evidence for, e.g. "o42, o43".
    pub serves: String,
}

/// A plan's standing, for the results page of the round that follows it.
pub struct PlanSummary {
    pub round_id: String,
    pub round_name: String,
    pub measures: usize,
    pub done: usize,
    pub overdue: usize,
}
