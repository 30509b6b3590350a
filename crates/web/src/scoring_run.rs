//! Computing a round's published indicator scores: IIT and EIT from the
//! survey tallies, OIT from the final review decisions, through the engine.

use crate::AppState;
use crate::error::AppError;
use itas_core::framework::Framework;
use itas_core::oit;
use itas_core::scoring::{Inputs, ItemTally, score_available};
use itas_store::rounds::{self, Round};
use std::collections::BTreeSet;

/// What a run did, agency by agency.
#[derive(Debug, Default)]
pub struct RunReport {
    pub computed: usize,
    /// (agency code, why its scores were not computed).
    pub skipped: Vec<(String, String)>,
}

/// The final OIT passes of an agency, or why they are not final yet. An
/// agency that never submitted has every item failed.
pub async fn final_passes(
    state: &AppState,
    fw: &Framework,
    round_id: &str,
    agency_id: &str,
) -> Result<Result<BTreeSet<String>, &'static str>, AppError> {
    let submitted = itas_store::oit::submitted_at(&state.db, agency_id, round_id)
        .await?
        .is_some();
    if !submitted {
        return Ok(Ok(BTreeSet::new()));
    }
    let decisions: Vec<oit::Decision> = itas_store::oit::decisions(&state.db, agency_id, round_id)
        .await?
        .iter()
        .map(itas_store::oit::StoredDecision::decision)
        .collect();
    let finals = oit::final_results(&decisions);
    if fw.checklist_items().any(|i| !finals.contains_key(&i.code)) {
        return Ok(Err("OIT review incomplete"));
    }
    Ok(Ok(oit::passed_items(&decisions)))
}

pub async fn compute_round(
    state: &AppState,
    actor: &str,
    round: &Round,
) -> Result<RunReport, AppError> {
    let fw = round.framework()?;
    let mut report = RunReport::default();
    for p in rounds::participants(&state.db, &round.id).await? {
        let passed = match final_passes(state, &fw, &round.id, &p.agency_id).await? {
            Ok(set) => set,
            Err(why) => {
                report.skipped.push((p.code, why.to_string()));
                continue;
            }
        };
        let tallies = itas_store::surveys::tallies(&state.db, &round.id, &p.agency_id).await?;
        let inputs = Inputs {
            tallies: tallies
                .into_iter()
                .map(|(k, counts)| (k, ItemTally { counts }))
                .collect(),
            passed: Some(passed),
            ..Default::default()
        };
        let part = score_available(&fw, &inputs)
            .map_err(|e| AppError::new(crate::error::ErrorCode::Internal).detail(e.to_string()))?;
        let missing: Vec<String> = fw
            .tools
            .iter()
            .filter(|t| !part.tools.contains_key(&t.code))
            .map(|t| t.code.clone())
            .collect();
        if !missing.is_empty() {
            report
                .skipped
                .push((p.code, format!("no responses for {}", missing.join(", "))));
            continue;
        }
        rounds::set_indicator_scores(
            &state.db,
            Some(actor),
            &round.id,
            &p.agency_id,
            &part.indicators,
            "computed",
        )
        .await?;
        report.computed += 1;
    }
    Ok(report)
}
