//! Computing a round's published indicator scores: IIT and EIT from the
//! survey tallies, OIT from the final review decisions, through the engine.

use crate::AppState;
use crate::error::AppError;
use itas_core::framework::Framework;
use itas_core::oit;
use itas_core::scoring::{Inputs, ItemTally, score_available};
use itas_store::ingest::Counts;
use itas_store::rounds::{self, Round};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

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
    let decisions = itas_store::oit::decisions(&state.db, agency_id, round_id).await?;
    Ok(passes_of(fw, submitted, &decisions))
}

/// The final OIT passes from an agency's stored decisions.
fn passes_of(
    fw: &Framework,
    submitted: bool,
    stored: &[itas_store::oit::StoredDecision],
) -> Result<BTreeSet<String>, &'static str> {
    if !submitted {
        return Ok(BTreeSet::new());
    }
    let decisions: Vec<oit::Decision> = stored
        .iter()
        .map(itas_store::oit::StoredDecision::decision)
        .collect();
    let finals = oit::final_results(&decisions);
    if fw.checklist_items().any(|i| !finals.contains_key(&i.code)) {
        return Err("OIT review incomplete");
    }
    Ok(oit::passed_items(&decisions))
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
    mut tallies: Counts,
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

/// Computes and stores every participant's indicator scores in one run: the
/// round's tallies, OIT submissions and decisions are read with one query
/// each, agencies are scored on every core, and the scores are written in
/// one transaction with one audit entry.
pub async fn compute_round(
    state: &AppState,
    actor: &str,
    round: &Round,
) -> Result<RunReport, AppError> {
    let fw = Arc::new(round.framework()?);
    let mut report = RunReport::default();
    let counts = itas_store::surveys::counts(&state.db, &round.id).await?;
    let decisions = itas_store::quality::decisions(&state.db, &round.id).await?;
    let mut tallies = itas_store::surveys::round_tallies(&state.db, &round.id).await?;
    let submitted = itas_store::oit::round_submitted(&state.db, &round.id).await?;
    let mut reviews = itas_store::oit::round_decisions(&state.db, &round.id).await?;
    // What each agency is scored from, or why it is not scored.
    let mut work = Vec::new();
    for p in rounds::participants(&state.db, &round.id).await? {
        let stored = reviews.remove(&p.agency_id).unwrap_or_default();
        let passed = match passes_of(&fw, submitted.contains(&p.agency_id), &stored) {
            Ok(set) => set,
            Err(why) => {
                report.skipped.push((p.code, why.to_string()));
                continue;
            }
        };
        let own = tallies.remove(&p.agency_id).unwrap_or_default();
        let counted =
            match counted_tallies(state, &fw, &round.id, &p, own, &counts, &decisions).await? {
                Ok(t) => t,
                Err(why) => {
                    report.skipped.push((p.code, why));
                    continue;
                }
            };
        work.push((p, passed, counted));
    }
    // Exact arithmetic is the cost: split the agencies over the cores.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per = work.len().div_ceil(threads).max(1);
    let mut handles = Vec::new();
    let mut rest = work;
    while !rest.is_empty() {
        let tail = rest.split_off(per.min(rest.len()));
        let part = std::mem::replace(&mut rest, tail);
        let fw = fw.clone();
        handles.push(tokio::task::spawn_blocking(move || {
            part.into_iter()
                .map(|(p, passed, counted)| score_agency(&fw, p, passed, counted))
                .collect::<Vec<_>>()
        }));
    }
    let mut scores = Vec::new();
    for h in handles {
        let done = h
            .await
            .map_err(|e| AppError::new(crate::error::ErrorCode::Internal).detail(e.to_string()))?;
        for r in done {
            match r? {
                Ok((agency_id, indicators)) => scores.push((agency_id, indicators)),
                Err(skip) => report.skipped.push(skip),
            }
        }
    }
    report.computed = scores.len();
    rounds::set_round_scores(&state.db, Some(actor), &round.id, &scores, "computed").await?;
    Ok(report)
}

type Scored = Result<(String, BTreeMap<u32, itas_core::Score>), (String, String)>;

/// One agency's indicator scores, or (its code, why not).
fn score_agency(
    fw: &Framework,
    p: rounds::Participant,
    passed: BTreeSet<String>,
    counted: Counts,
) -> Result<Scored, AppError> {
    let inputs = Inputs {
        tallies: counted
            .into_iter()
            .map(|(k, counts)| (k, ItemTally { counts }))
            .collect(),
        passed: Some(passed),
        ..Default::default()
    };
    let part = score_available(fw, &inputs)
        .map_err(|e| AppError::new(crate::error::ErrorCode::Internal).detail(e.to_string()))?;
    let missing: Vec<String> = fw
        .tools
        .iter()
        .filter(|t| !part.tools.contains_key(&t.code))
        .map(|t| t.code.clone())
        .collect();
    if !missing.is_empty() {
        return Ok(Err((
            p.code,
            format!("no responses for {}", missing.join(", ")),
        )));
    }
    Ok(Ok((p.agency_id, part.indicators)))
}

/// The same scores, one agency at a time through the per-agency reads, as
/// a reference the set-based run is tested against.
pub async fn score_one_by_one(
    state: &AppState,
    round: &Round,
) -> Result<BTreeMap<String, BTreeMap<u32, itas_core::Score>>, AppError> {
    let fw = round.framework()?;
    let counts = itas_store::surveys::counts(&state.db, &round.id).await?;
    let decisions = itas_store::quality::decisions(&state.db, &round.id).await?;
    let mut out = BTreeMap::new();
    for p in rounds::participants(&state.db, &round.id).await? {
        let Ok(passed) = final_passes(state, &fw, &round.id, &p.agency_id).await? else {
            continue;
        };
        let own = itas_store::surveys::tallies(&state.db, &round.id, &p.agency_id).await?;
        let Ok(counted) =
            counted_tallies(state, &fw, &round.id, &p, own, &counts, &decisions).await?
        else {
            continue;
        };
        if let Ok((agency, scores)) = score_agency(&fw, p, passed, counted)? {
            out.insert(agency, scores);
        }
    }
    Ok(out)
}
