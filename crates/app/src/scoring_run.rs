//! Computing a round's published indicator scores: IIT and EIT from the
//! survey tallies, OIT from the final review decisions, through the engine.

use crate::App;
use crate::error::Error;
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

    pub fn text(&self, lang: crate::lang::Lang) -> String {
        use crate::lang::Lang;
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
    app: &App,
    fw: &Framework,
    round_id: &str,
    agency_id: &str,
) -> Result<Result<BTreeSet<String>, Skip>, Error> {
    let submitted = itas_store::oit::submitted_at(&app.db, agency_id, round_id)
        .await?
        .is_some();
    let decisions: Vec<oit::Decision> = itas_store::oit::decisions(&app.db, agency_id, round_id)
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

/// What replaces a collection's tallies (a tool's, or one part's) when the
/// central office left its flagged answers out: (key, the tallies kept, the
/// answers kept).
type Replacements = Vec<(String, Counts, u64)>;

/// The data-quality decisions that bear on an agency's tallies: IIT answers
/// beyond the stated population do not count at all until the central office
/// has decided (an error, the agency is not scored); a tool whose flagged
/// answers are left out gets its kept tallies in place of the whole.
pub async fn replacements(
    app: &App,
    round_id: &str,
    p: &rounds::Participant,
    counts: &std::collections::HashMap<(String, String), i64>,
    decisions: &std::collections::BTreeMap<(String, String), itas_store::quality::StoredDecision>,
) -> Result<Result<Replacements, Skip>, Error> {
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
    // Every collection of this agency the central office decided on: IIT,
    // EIT, and each part of a tool in parts.
    let excluded: Vec<String> = decisions
        .range(key("")..)
        .take_while(|((agency, _), _)| *agency == p.agency_id)
        .filter(|(_, d)| d.decision == itas_store::quality::Decision::Exclude)
        .map(|((_, tool), _)| tool.clone())
        .collect();
    for tool in excluded {
        let (kept, n) =
            itas_store::quality::tallies_without_flagged(&app.db, round_id, &p.agency_id, &tool)
                .await?;
        out.push((tool, kept, n));
    }
    Ok(Ok(out))
}

/// An agency's tallies as they count: by collection key, the replaced
/// collections swapped in, then each tool's parts combined as its framework
/// says (pooled, or weighted).
pub fn counted(
    fw: &Framework,
    mut by_key: BTreeMap<String, Counts>,
    replaced: Replacements,
) -> Result<Counts, Error> {
    for (key, kept, _) in replaced {
        by_key.insert(key, kept);
    }
    itas_core::parts::combine(fw, &by_key).map_err(|e| {
        Error::new(crate::error::ErrorCode::Internal).detail(format!("combining parts: {e:?}"))
    })
}

/// What each survey tool of an agency counted against its minimum: the
/// stored answers, or those kept where the central office left some out.
pub fn samples_of(
    fw: &Framework,
    p: &rounds::Participant,
    counts: &std::collections::HashMap<(String, String), i64>,
    replaced: &Replacements,
) -> Vec<rounds::Sample> {
    fw.collections()
        .into_iter()
        .filter_map(|c| {
            let key = c.key();
            // A part without a minimum of its own still has its count kept.
            let required = match p.required_sample(fw, &key) {
                Some(r) => r,
                None if c.part.is_some() => None,
                None => return None,
            };
            let counted = match replaced.iter().find(|(tool, _, _)| *tool == key) {
                Some((_, _, kept)) => i64::try_from(*kept).unwrap_or(i64::MAX),
                None => counts
                    .get(&(p.agency_id.clone(), key.clone()))
                    .copied()
                    .unwrap_or(0),
            };
            Some(rounds::Sample {
                tool: key,
                counted,
                required,
            })
        })
        .collect()
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
/// read, and each slice's scores are written while the next is scored, all
/// in one transaction with one audit entry, committed once the last slice is.
pub async fn compute_round(app: &App, actor: &str, round: &Round) -> Result<RunReport, Error> {
    let fw = Arc::new(round.framework()?);
    let mut report = RunReport::default();
    let started = std::time::Instant::now();
    let mut waited_for_scoring = std::time::Duration::ZERO;
    let participants = rounds::participants(&app.db, &round.id).await?;
    let mut slices = participants.chunks(SLICE);
    // The next slice is read while this one is handed over: reading is the
    // run's longest path, so it never waits for the rest. The first is read
    // while the round-wide figures are.
    let mut next = slices.next().map(|s| (s, read_slice(app, &round.id, s)));
    let (counts, decisions, submitted) = tokio::try_join!(
        itas_store::surveys::counts(&app.db, &round.id),
        itas_store::quality::decisions(&app.db, &round.id),
        itas_store::oit::round_submitted(&app.db, &round.id),
    )?;
    let round_wide = started.elapsed();
    // Two slices may wait for the writer: memory stays bounded if it lags.
    let (to_writer, parts) = tokio::sync::mpsc::channel(2);
    let writer = {
        let (db, actor, round_id) = (app.db.clone(), actor.to_string(), round.id.clone());
        tokio::spawn(async move {
            rounds::write_round_scores(&db, Some(&actor), &round_id, "computed", parts).await
        })
    };
    let mut to_writer = Writer {
        parts: to_writer,
        task: writer,
    };
    let mut waited_for_reads = std::time::Duration::ZERO;
    let mut scoring: Option<tokio::task::JoinHandle<Vec<Result<Scored, Error>>>> = None;
    while let Some((slice, reading)) = next.take() {
        next = slices.next().map(|s| (s, read_slice(app, &round.id, s)));
        let t = std::time::Instant::now();
        let (mut tallies, mut reviews) = reading
            .await
            .map_err(|e| Error::new(crate::error::ErrorCode::Internal).detail(e.to_string()))??;
        waited_for_reads += t.elapsed();
        // What each agency is scored from; the scoring threads unpack it.
        let mut work = Vec::with_capacity(slice.len());
        for p in slice {
            let replaced = replacements(app, &round.id, p, &counts, &decisions).await?;
            work.push(AgencyWork {
                submitted: submitted.contains(&p.agency_id),
                decisions: reviews.remove(&p.agency_id).unwrap_or_default(),
                tallies: tallies.remove(&p.agency_id).unwrap_or_default(),
                samples: match &replaced {
                    Ok(r) => samples_of(&fw, p, &counts, r),
                    Err(_) => Vec::new(),
                },
                replaced,
                participant: p.clone(),
            });
        }
        // The previous slice was scored while this one was read.
        if let Some(h) = scoring.take() {
            waited_for_scoring += to_writer.hand_over(h, &mut report).await?;
        }
        let fw = fw.clone();
        scoring = Some(tokio::task::spawn_blocking(move || score_slice(&fw, work)));
    }
    if let Some(h) = scoring.take() {
        waited_for_scoring += to_writer.hand_over(h, &mut report).await?;
    }
    let read_and_scored = started.elapsed();
    report.computed = to_writer.finish().await?;
    // Kept for the review before publishing.
    let kept = serde_json::json!({ "computed": report.computed, "skipped": report.skipped });
    rounds::set_last_scoring(&app.db, &round.id, &kept.to_string()).await?;
    // The dashboards read the new table next: build it now, off this request.
    {
        let (app, round, fw) = (app.clone(), round.clone(), fw.clone());
        tokio::spawn(async move {
            if let Err(e) = crate::published::round_rows(&app, &round, &fw).await {
                tracing::warn!(round = %round.id, "results table after scoring: {e:?}");
            }
        });
    }
    tracing::info!(
        round = %round.id,
        agencies = report.computed,
        skipped = report.skipped.len(),
        round_wide_reads_ms = round_wide.as_millis() as u64,
        waited_for_reads_ms = waited_for_reads.as_millis() as u64,
        read_and_scored_ms = read_and_scored.as_millis() as u64,
        waited_for_scoring_ms = waited_for_scoring.as_millis() as u64,
        waited_for_writer_ms = (started.elapsed() - read_and_scored).as_millis() as u64,
        "scoring run"
    );
    metrics::histogram!(DURATION_METRIC).record(started.elapsed().as_secs_f64());
    Ok(report)
}

/// The metric of completed scoring runs' durations.
pub const DURATION_METRIC: &str = "itas_scoring_run_duration_seconds";

/// The task writing a run's scores, and the way its slices reach it.
struct Writer {
    parts: tokio::sync::mpsc::Sender<rounds::ScoresPart>,
    task: tokio::task::JoinHandle<itas_store::Result<usize>>,
}

impl Writer {
    /// Waits for a slice being scored, notes its skipped agencies in
    /// `report` and hands its scores over; the time spent waiting for it.
    async fn hand_over(
        &mut self,
        scoring: tokio::task::JoinHandle<Vec<Result<Scored, Error>>>,
        report: &mut RunReport,
    ) -> Result<std::time::Duration, Error> {
        let t = std::time::Instant::now();
        let scored = collect(scoring, report).await?;
        let waited = t.elapsed();
        self.send(scored).await?;
        Ok(waited)
    }

    /// Hands a slice's scores over. When the writer has stopped (a
    /// database error), its own error is the run's.
    async fn send(&mut self, scored: Vec<rounds::ScoredAgency>) -> Result<(), Error> {
        if scored.is_empty() {
            return Ok(());
        }
        if self
            .parts
            .send(rounds::ScoresPart::Scored(scored))
            .await
            .is_err()
        {
            return Err(writer_outcome((&mut self.task).await)
                .err()
                .unwrap_or_else(|| {
                    Error::new(crate::error::ErrorCode::Internal)
                        .detail("the score writer stopped early")
                }));
        }
        Ok(())
    }

    /// Commits the run; the number of agencies written.
    async fn finish(self) -> Result<usize, Error> {
        // A writer that already stopped has its error waiting in the task.
        let _ = self.parts.send(rounds::ScoresPart::Done).await;
        drop(self.parts);
        writer_outcome(self.task.await)
    }
}

fn writer_outcome(
    joined: Result<itas_store::Result<usize>, tokio::task::JoinError>,
) -> Result<usize, Error> {
    joined
        .map_err(|e| Error::new(crate::error::ErrorCode::Internal).detail(e.to_string()))?
        .map_err(Error::from)
}

/// A slice's stored tallies and packed OIT decisions, by agency.
type SliceRead = (
    std::collections::HashMap<String, Vec<(String, String)>>,
    std::collections::HashMap<String, itas_store::oit::PackedDecisions>,
);

/// Starts reading a slice's tallies and decisions, both at once, on a task
/// of its own.
fn read_slice(
    app: &App,
    round_id: &str,
    slice: &[rounds::Participant],
) -> tokio::task::JoinHandle<Result<SliceRead, Error>> {
    let (db, round_id) = (app.db.clone(), round_id.to_string());
    let ids: Vec<String> = slice.iter().map(|p| p.agency_id.clone()).collect();
    tokio::spawn(async move {
        Ok(tokio::try_join!(
            itas_store::surveys::tally_texts_of(&db, &round_id, &ids),
            itas_store::oit::decisions_of(&db, &round_id, &ids),
        )?)
    })
}

/// What one agency is scored from, as read.
struct AgencyWork {
    participant: rounds::Participant,
    submitted: bool,
    decisions: itas_store::oit::PackedDecisions,
    /// Stored (collection key, tally text) pairs, parsed on the scoring threads.
    tallies: Vec<(String, String)>,
    replaced: Result<Replacements, Skip>,
    samples: Vec<rounds::Sample>,
}

/// One slice's agencies scored on every core. An agency whose OIT review is
/// incomplete is skipped for that before any data-quality reason.
fn score_slice(fw: &Framework, work: Vec<AgencyWork>) -> Vec<Result<Scored, Error>> {
    on_every_core(work, |w| {
        let decisions = w.decisions.unpack().map_err(Error::from)?;
        let p = w.participant;
        let passed = match passes_of(fw, w.submitted, &decisions) {
            Ok(set) => set,
            Err(why) => return Ok(Err((p.code, why))),
        };
        let replaced = match w.replaced {
            Ok(r) => r,
            Err(why) => return Ok(Err((p.code, why))),
        };
        let tallies = itas_store::surveys::parse_tallies(&w.tallies).map_err(Error::from)?;
        Ok(
            score_agency(fw, p, passed, counted(fw, tallies, replaced)?)?.map(
                |(agency_id, indicators)| rounds::ScoredAgency {
                    agency_id,
                    indicators,
                    samples: w.samples,
                },
            ),
        )
    })
}

/// `f` over `items` on every core, the results in the items' order, on
/// rayon's threads: they live as long as the server, so a national run does
/// not start two threads (and two allocator heaps) for every slice. A panic
/// in `f` is raised here, never dropped with its share of the work.
pub fn on_every_core<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync + Send) -> Vec<R> {
    use rayon::prelude::*;
    items.into_par_iter().map(f).collect()
}

/// A scored slice: its agencies' scores, and the skipped noted in `report`.
async fn collect(
    h: tokio::task::JoinHandle<Vec<Result<Scored, Error>>>,
    report: &mut RunReport,
) -> Result<Vec<rounds::ScoredAgency>, Error> {
    let done = h
        .await
        .map_err(|e| Error::new(crate::error::ErrorCode::Internal).detail(e.to_string()))?;
    let mut scores = Vec::with_capacity(done.len());
    for r in done {
        match r? {
            Ok(s) => scores.push(s),
            Err(skip) => report.skipped.push(skip),
        }
    }
    Ok(scores)
}

type Scored = Result<rounds::ScoredAgency, (String, Skip)>;

/// One agency's (id, indicator scores), or (its code, why not).
type AgencyScores = Result<(String, BTreeMap<u32, itas_core::Score>), (String, Skip)>;

/// One agency's indicator scores, or (its code, why not).
fn score_agency(
    fw: &Framework,
    p: rounds::Participant,
    passed: BTreeSet<String>,
    counted: Counts,
) -> Result<AgencyScores, Error> {
    let inputs = Inputs {
        tallies: counted
            .into_iter()
            .map(|(k, counts)| (k, ItemTally { counts }))
            .collect(),
        passed: Some(passed),
        ..Default::default()
    };
    let part = score_available(fw, &inputs)
        .map_err(|e| Error::new(crate::error::ErrorCode::Internal).detail(e.to_string()))?;
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
    app: &App,
    round: &Round,
) -> Result<BTreeMap<String, BTreeMap<u32, itas_core::Score>>, Error> {
    let fw = round.framework()?;
    let counts = itas_store::surveys::counts(&app.db, &round.id).await?;
    let decisions = itas_store::quality::decisions(&app.db, &round.id).await?;
    let mut out = BTreeMap::new();
    for p in rounds::participants(&app.db, &round.id).await? {
        let Ok(passed) = final_passes(app, &fw, &round.id, &p.agency_id).await? else {
            continue;
        };
        let own = itas_store::surveys::tallies_by_key(&app.db, &round.id, &p.agency_id).await?;
        let Ok(replaced) = replacements(app, &round.id, &p, &counts, &decisions).await? else {
            continue;
        };
        if let Ok((agency, scores)) = score_agency(&fw, p, passed, counted(&fw, own, replaced)?)? {
            out.insert(agency, scores);
        }
    }
    Ok(out)
}
