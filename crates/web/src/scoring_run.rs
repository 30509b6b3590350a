//! Computing a round's published indicator scores: IIT and EIT from the
//! survey tallies, OIT from the final review decisions, through the engine.

use crate::AppState;
use crate::error::AppError;
use itas_core::framework::Framework;
use itas_core::oit;
use itas_core::scoring::{Inputs, ItemTally, score_available};
use itas_store::ingest::Counts;
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

/// The item codes of a tool.
fn tool_items(fw: &Framework, tool: &str) -> BTreeSet<String> {
    fw.items
        .iter()
        .filter(|it| fw.indicator(it.indicator).is_some_and(|i| i.tool == tool))
        .map(|it| it.code.clone())
        .collect()
}

/// An agency's survey tallies as they count: with the flagged part left out
/// where the central office decided so. IIT answers beyond the stated
/// population do not count at all until the central office has decided.
pub async fn counted_tallies(
    state: &AppState,
    fw: &Framework,
    round_id: &str,
    p: &rounds::Participant,
    counts: &std::collections::HashMap<(String, String), i64>,
    decisions: &std::collections::BTreeMap<(String, String), itas_store::quality::StoredDecision>,
) -> Result<Result<Counts, String>, AppError> {
    let iit = counts
        .get(&(p.agency_id.clone(), "IIT".to_string()))
        .copied()
        .unwrap_or(0);
    let key = |tool: &str| (p.agency_id.clone(), tool.to_string());
    if p.iit_population > 0 && iit > p.iit_population && !decisions.contains_key(&key("IIT")) {
        return Ok(Err(format!(
            "IIT responses ({iit}) exceed the population ({}): a data-quality decision is needed",
            p.iit_population
        )));
    }
    let mut tallies = itas_store::surveys::tallies(&state.db, round_id, &p.agency_id).await?;
    for tool in ["IIT", "EIT"] {
        if decisions
            .get(&key(tool))
            .is_some_and(|d| d.decision == itas_store::quality::Decision::Exclude)
        {
            let items = tool_items(fw, tool);
            tallies.retain(|item, _| !items.contains(item));
            let (kept, _) = itas_store::quality::tallies_without_flagged(
                &state.db,
                round_id,
                &p.agency_id,
                tool,
            )
            .await?;
            tallies.extend(kept);
        }
    }
    Ok(Ok(tallies))
}

/// A tool's score from tallies (None when the tool has no answers).
pub fn tool_score(fw: &Framework, tallies: &Counts, tool: &str) -> Option<itas_core::exact::Score> {
    let inputs = Inputs {
        tallies: tallies
            .iter()
            .map(|(k, counts)| {
                (
                    k.clone(),
                    ItemTally {
                        counts: counts.clone(),
                    },
                )
            })
            .collect(),
        ..Default::default()
    };
    score_available(fw, &inputs).ok()?.tools.get(tool).copied()
}

pub async fn compute_round(
    state: &AppState,
    actor: &str,
    round: &Round,
) -> Result<RunReport, AppError> {
    let fw = round.framework()?;
    let mut report = RunReport::default();
    let counts = itas_store::surveys::counts(&state.db, &round.id).await?;
    let decisions = itas_store::quality::decisions(&state.db, &round.id).await?;
    for p in rounds::participants(&state.db, &round.id).await? {
        let passed = match final_passes(state, &fw, &round.id, &p.agency_id).await? {
            Ok(set) => set,
            Err(why) => {
                report.skipped.push((p.code, why.to_string()));
                continue;
            }
        };
        let tallies = match counted_tallies(state, &fw, &round.id, &p, &counts, &decisions).await? {
            Ok(t) => t,
            Err(why) => {
                report.skipped.push((p.code, why));
                continue;
            }
        };
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
