//! Improvement plans: the measures an agency commits to after its results.

use itas_core::thai::{Digits, FiscalYear};
use itas_reports::analysis_report::suggested_measures;
use itas_store::plans::{MeasureFields, Status};

/// The engine's measures for a round's weaknesses, over the next fiscal year.
pub fn prefilled(
    fw: &itas_core::Framework,
    card: &itas_core::Scorecard,
    fiscal_year: i64,
) -> Vec<MeasureFields> {
    let fy = FiscalYear(fiscal_year as i32);
    let next = FiscalYear(fy.be() + 1);
    suggested_measures(fw, card, fy, Digits::Thai)
        .into_iter()
        .map(|m| MeasureFields {
            tool: m.tool,
            measure: m.measure,
            weakness: m.weakness,
            owner: m.owner,
            starts_on: next.start(),
            ends_on: next.end(),
            follow_up: m.follow_up,
            status: Status::Open,
        })
        .collect()
}
