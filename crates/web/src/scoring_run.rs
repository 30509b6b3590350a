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
    pub skipped: Vec<(String, Skip)>,
}

/// Why an agency's scores were not computed, said in Thai and English.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Skip {
    OitReviewIncomplete,
    OverPopulation { responses: i64, population: i64 },
    NoResponses(Vec<String>),
}

impl Skip {
    /// A stable code for the API.
    pub fn code(&self) -> &'static str {
        match self {
            Skip::OitReviewIncomplete => "oit_review_incomplete",
            Skip::OverPopulation { .. } => "over_population",
            Skip::NoResponses(_) => "no_responses",
        }
    }

    pub fn text(&self, lang: crate::i18n::Lang) -> String {
        use crate::i18n::Lang;
        match (self, lang) {
            (Skip::OitReviewIncomplete, Lang::Th) => "ผู้ประเมินยังตรวจ OIT ไม่ครบทุกข้อ".into(),
            (Skip::OitReviewIncomplete, Lang::En) => "the OIT review is incomplete".into(),
            (
                Skip::OverPopulation {
                    responses,
                    population,
                },
                Lang::Th,
            ) => format!(
                "คำตอบ IIT ({}) เกินจำนวนบุคลากร ({}) ต้องพิจารณาคุณภาพข้อมูลก่อน",
                itas_core::thai::thai_digits(&responses.to_string()),
                itas_core::thai::thai_digits(&population.to_string())
            ),
            (
                Skip::OverPopulation {
                    responses,
                    population,
                },
                Lang::En,
            ) => format!(
                "IIT responses ({responses}) exceed the population ({population}): a data-quality decision is needed"
            ),
            (Skip::NoResponses(tools), Lang::Th) => {
                format!("ยังไม่มีผู้ตอบแบบวัด {}", tools.join(" "))
            }
            (Skip::NoResponses(tools), Lang::En) => {
                format!("no responses for {}", tools.join(", "))
            }
        }
    }
}

/// The final OIT passes of an agency, or why they are not final yet. An
/// agency that never submitted has every item failed.
pub async fn final_passes(
    state: &AppState,
    fw: &Framework,
    round_id: &str,
    agency_id: &str,
) -> Result<Result<BTreeSet<String>, Skip>, AppError> {
    let submitted = itas_store::oit::submitted_at(&state.db, agency_id, round_id)
        .await?
        .is_some();
    let decisions: Vec<oit::Decision> = itas_store::oit::decisions(&state.db, agency_id, round_id)
        .await?
        .iter()
        .map(itas_store::oit::StoredDecision::decision)
        .collect();
    Ok(passes_of(fw, submitted, &decisions))
}

/// The final OIT passes from an agency's stored decisions.
fn passes_of(
    fw: &Framework,
    submitted: bool,
    decisions: &[oit::Decision],
) -> Result<BTreeSet<String>, Skip> {
    if !submitted {
        return Ok(BTreeSet::new());
    }
    let finals = oit::final_results(decisions);
    if fw.checklist_items().any(|i| !finals.contains_key(&i.code)) {
        return Err(Skip::OitReviewIncomplete);
    }
    Ok(oit::passed_items(decisions))
}

/// The item codes of a tool.
fn tool_items(fw: &Framework, tool: &str) -> BTreeSet<String> {
    fw.items
        .iter()
        .filter(|it| fw.indicator(it.indicator).is_some_and(|i| i.tool == tool))
        .map(|it| it.code.clone())
        .collect()
}

/// What replaces a tool's tallies when the central office left its flagged
/// answers out: (tool, the tallies kept).
type Replacements = Vec<(String, Counts)>;

/// The data-quality decisions that bear on an agency's tallies: IIT answers
/// beyond the stated population do not count at all until the central office
/// has decided (an error, the agency is not scored); a tool whose flagged
/// answers are left out gets its kept tallies in place of the whole.
pub async fn replacements(
    state: &AppState,
    round_id: &str,
    p: &rounds::Participant,
    counts: &std::collections::HashMap<(String, String), i64>,
    decisions: &std::collections::BTreeMap<(String, String), itas_store::quality::StoredDecision>,
) -> Result<Result<Replacements, Skip>, AppError> {
    let iit = counts
        .get(&(p.agency_id.clone(), "IIT".to_string()))
        .copied()
        .unwrap_or(0);
    let key = |tool: &str| (p.agency_id.clone(), tool.to_string());
    if p.iit_population > 0 && iit > p.iit_population && !decisions.contains_key(&key("IIT")) {
        return Ok(Err(Skip::OverPopulation {
            responses: iit,
            population: p.iit_population,
        }));
    }
    let mut out = Vec::new();
    for tool in ["IIT", "EIT"] {
        if decisions
            .get(&key(tool))
            .is_some_and(|d| d.decision == itas_store::quality::Decision::Exclude)
        {
            let (kept, _) = itas_store::quality::tallies_without_flagged(
                &state.db,
                round_id,
                &p.agency_id,
                tool,
            )
            .await?;
            out.push((tool.to_string(), kept));
        }
    }
    Ok(Ok(out))
}

/// An agency's tallies as they count, the replaced tools swapped in.
pub fn counted(fw: &Framework, mut tallies: Counts, replaced: Replacements) -> Counts {
    for (tool, kept) in replaced {
        let items = tool_items(fw, &tool);
        tallies.retain(|item, _| !items.contains(item));
        tallies.extend(kept);
    }
    tallies
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

/// Agencies read and scored together: bounds the memory of a national run.
const SLICE: usize = 500;

/// Computes and stores every participant's indicator scores in one run: the
/// round is read in slices of agencies (one query per slice for tallies and
/// for OIT decisions), each slice is scored on every core while the next is
/// read, and the scores are written in one transaction with one audit entry.
pub async fn compute_round(
    state: &AppState,
    actor: &str,
    round: &Round,
) -> Result<RunReport, AppError> {
    let fw = Arc::new(round.framework()?);
    let mut report = RunReport::default();
    let started = std::time::Instant::now();
    let mut waited_for_scoring = std::time::Duration::ZERO;
    let counts = itas_store::surveys::counts(&state.db, &round.id).await?;
    let decisions = itas_store::quality::decisions(&state.db, &round.id).await?;
    let submitted = itas_store::oit::round_submitted(&state.db, &round.id).await?;
    let participants = rounds::participants(&state.db, &round.id).await?;
    let round_wide = started.elapsed();
    let mut reading_slices = std::time::Duration::ZERO;
    let mut scores = Vec::new();
    let mut scoring: Option<tokio::task::JoinHandle<Vec<Result<Scored, AppError>>>> = None;
    for slice in participants.chunks(SLICE) {
        let reading = std::time::Instant::now();
        let ids: Vec<String> = slice.iter().map(|p| p.agency_id.clone()).collect();
        // Tallies stay as stored text here; the scoring threads parse them.
        let mut tallies = itas_store::surveys::tally_texts_of(&state.db, &round.id, &ids).await?;
        let mut reviews = itas_store::oit::decisions_of(&state.db, &round.id, &ids).await?;
        reading_slices += reading.elapsed();
        // What each agency is scored from, or why it is not scored.
        let mut work = Vec::new();
        for p in slice {
            let stored = reviews.remove(&p.agency_id).unwrap_or_default();
            let passed = match passes_of(&fw, submitted.contains(&p.agency_id), &stored) {
                Ok(set) => set,
                Err(why) => {
                    report.skipped.push((p.code.clone(), why));
                    continue;
                }
            };
            let own = tallies.remove(&p.agency_id).unwrap_or_default();
            match replacements(state, &round.id, p, &counts, &decisions).await? {
                Ok(r) => work.push((p.clone(), passed, own, r)),
                Err(why) => report.skipped.push((p.code.clone(), why)),
            }
        }
        // Score the previous slice's results in while this one was read.
        if let Some(h) = scoring.take() {
            let t = std::time::Instant::now();
            collect(h, &mut scores, &mut report).await?;
            waited_for_scoring += t.elapsed();
        }
        let fw = fw.clone();
        scoring = Some(tokio::task::spawn_blocking(move || score_slice(&fw, work)));
    }
    if let Some(h) = scoring.take() {
        let t = std::time::Instant::now();
        collect(h, &mut scores, &mut report).await?;
        waited_for_scoring += t.elapsed();
    }
    let read_and_scored = started.elapsed();
    report.computed = scores.len();
    rounds::set_round_scores(&state.db, Some(actor), &round.id, &scores, "computed").await?;
    // Kept for the review before publishing.
    let kept = serde_json::json!({ "computed": report.computed, "skipped": report.skipped });
    rounds::set_last_scoring(&state.db, &round.id, &kept.to_string()).await?;
    // The dashboards read the new table next: build it now, off this request.
    {
        let (state, round, fw) = (state.clone(), round.clone(), fw.clone());
        tokio::spawn(async move {
            if let Err(e) = crate::published::round_rows(&state, &round, &fw).await {
                tracing::warn!(round = %round.id, "results table after scoring: {e:?}");
            }
        });
    }
    tracing::info!(
        round = %round.id,
        agencies = report.computed,
        skipped = report.skipped.len(),
        round_wide_reads_ms = round_wide.as_millis() as u64,
        slice_reads_ms = reading_slices.as_millis() as u64,
        read_and_scored_ms = read_and_scored.as_millis() as u64,
        waited_for_scoring_ms = waited_for_scoring.as_millis() as u64,
        written_ms = (started.elapsed() - read_and_scored).as_millis() as u64,
        "scoring run"
    );
    Ok(report)
}

/// One slice's agencies scored on every core.
fn score_slice(
    fw: &Framework,
    work: Vec<(
        rounds::Participant,
        BTreeSet<String>,
        Vec<String>,
        Replacements,
    )>,
) -> Vec<Result<Scored, AppError>> {
    on_every_core(work, |(p, passed, texts, replaced)| {
        let tallies = itas_store::surveys::parse_tallies(&texts).map_err(AppError::from)?;
        score_agency(fw, p, passed, counted(fw, tallies, replaced))
    })
}

/// `f` over `items` on every core, the results in the items' order. A
/// panic in `f` is raised here, never dropped with its share of the work.
pub fn on_every_core<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per = items.len().div_ceil(threads).max(1);
    let mut parts: Vec<Vec<T>> = Vec::new();
    let mut rest = items;
    while !rest.is_empty() {
        let tail = rest.split_off(per.min(rest.len()));
        parts.push(std::mem::replace(&mut rest, tail));
    }
    let f = &f;
    std::thread::scope(|s| {
        let handles: Vec<_> = parts
            .into_iter()
            .map(|part| s.spawn(move || part.into_iter().map(f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

async fn collect(
    h: tokio::task::JoinHandle<Vec<Result<Scored, AppError>>>,
    scores: &mut Vec<(String, BTreeMap<u32, itas_core::Score>)>,
    report: &mut RunReport,
) -> Result<(), AppError> {
    let done = h
        .await
        .map_err(|e| AppError::new(crate::error::ErrorCode::Internal).detail(e.to_string()))?;
    for r in done {
        match r? {
            Ok(s) => scores.push(s),
            Err(skip) => report.skipped.push(skip),
        }
    }
    Ok(())
}

type Scored = Result<(String, BTreeMap<u32, itas_core::Score>), (String, Skip)>;

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
        return Ok(Err((p.code, Skip::NoResponses(missing))));
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
        let Ok(replaced) = replacements(state, &round.id, &p, &counts, &decisions).await? else {
            continue;
        };
        if let Ok((agency, scores)) = score_agency(&fw, p, passed, counted(&fw, own, replaced))? {
            out.insert(agency, scores);
        }
    }
    Ok(out)
}
