//! Published results: when a round's results are public, an agency's engine
//! scorecard from its stored indicator scores, and the round-wide table the
//! dashboards and exports read.

use crate::App;
use crate::error::Error;
use itas_core::directory::Phase;
use itas_core::framework::Framework;
use itas_core::scoring::{Inputs, score};
use itas_core::{Score, Scorecard};
use itas_store::rounds::{self, Round, RoundState};
use std::collections::BTreeMap;

/// Results are public from the publication phase on.
pub fn is_published(st: RoundState) -> bool {
    match st {
        RoundState::In(p) | RoundState::Between(p) => p >= Phase::Publication,
        RoundState::Closed => true,
        RoundState::NotStarted => false,
    }
}

/// Results are public once the central office has published them (after
/// computing and reviewing), and only from the publication phase on.
pub fn results_public(round: &Round, st: RoundState) -> bool {
    round.published_at.is_some() && is_published(st)
}

pub async fn round_is_published(app: &App, round_id: &str) -> Result<bool, Error> {
    let Some(round) = rounds::get(&app.db, round_id).await? else {
        return Ok(false);
    };
    let phases = rounds::phases(&app.db, round_id).await?;
    Ok(results_public(
        &round,
        rounds::state_on(&phases, crate::today()),
    ))
}

/// The engine's scorecard for a complete set of stored indicator scores.
pub fn scorecard(fw: &Framework, given: BTreeMap<u32, Score>) -> Option<Scorecard> {
    if given.len() != fw.indicators.len() {
        return None;
    }
    score(
        fw,
        &Inputs {
            given,
            ..Default::default()
        },
    )
    .ok()
}

/// An agency's scorecard in a round, when every indicator has a score.
pub async fn agency_card(
    app: &App,
    round: &Round,
    fw: &Framework,
    agency_id: &str,
) -> Result<Option<Scorecard>, Error> {
    let given = rounds::indicator_scores(&app.db, &round.id, agency_id).await?;
    Ok(scorecard(fw, given))
}

/// The agency's latest earlier round with complete results, for
/// comparison: the round, its framework and the agency's scorecard.
pub async fn previous_card(
    app: &App,
    round: &Round,
    agency_id: &str,
) -> Result<Option<(Round, std::sync::Arc<Framework>, Scorecard)>, Error> {
    for r in rounds::rounds_of_agency(&app.db, agency_id).await? {
        if r.id == round.id || r.fiscal_year >= round.fiscal_year {
            continue;
        }
        let fw = crate::survey::round_framework(app, &r.id).await?;
        if let Some(card) = agency_card(app, &r, &fw, agency_id).await? {
            return Ok(Some((r, fw, card)));
        }
    }
    Ok(None)
}

/// One agency's line in a round's national table.
#[derive(Clone, Debug)]
pub struct ResultRow {
    pub agency_id: String,
    pub code: String,
    pub name_th: String,
    pub kind: String,
    pub province: String,
    pub parent_id: Option<String>,
    pub card: Scorecard,
    /// The survey samples short of their minimum (computed scores only).
    pub short: Vec<itas_core::sample::Sample>,
    /// Each part's sample of the tools collected in parts (computed scores
    /// only): the exports give each part's count.
    pub parts: Vec<itas_core::sample::Sample>,
}

/// Publishes a round's results (audited).
pub async fn publish(app: &App, actor: &str, round_id: &str) -> Result<(), Error> {
    rounds::publish(&app.db, Some(actor), round_id, itas_store::now_ms()).await?;
    Ok(())
}

/// Every participant with complete results, scored by the engine; kept for
/// a while, since every dashboard view and export of a round reads it all.
pub async fn round_rows(
    app: &App,
    round: &Round,
    fw: &Framework,
) -> Result<std::sync::Arc<Vec<ResultRow>>, Error> {
    // The generation before reading: a write during the read makes the
    // table stale at once rather than kept as fresh.
    let generation = itas_store::rounds::scores_generation();
    // Past its age the table is read again off the request: every view and
    // export meanwhile uses the kept one.
    app.caches
        .kept_or_refreshed(
            |c| &c.results,
            &round.id,
            generation,
            || {
                let (app, round, fw) = (app.clone(), round.clone(), fw.clone());
                move || async move { score_table(&app, &round, &fw).await }
            },
        )
        .await
}

async fn score_table(app: &App, round: &Round, fw: &Framework) -> Result<Vec<ResultRow>, Error> {
    let (mut scores, participants, mut samples) = tokio::try_join!(
        rounds::round_scores(&app.db, &round.id),
        rounds::participants(&app.db, &round.id),
        rounds::round_samples(&app.db, &round.id),
    )?;
    let work: Vec<_> = participants
        .into_iter()
        .filter_map(|p| {
            let given = scores.remove(&p.agency_id)?;
            let samples = samples.remove(&p.agency_id).unwrap_or_default();
            Some((p, given, samples))
        })
        .collect();
    // The engine's exact arithmetic is the cost: spread it over the cores.
    let fw = fw.clone();
    let rows = tokio::task::spawn_blocking(move || {
        crate::scoring_run::on_every_core(work, |(p, given, samples)| {
            let card = scorecard(&fw, given)?;
            let short = samples.iter().filter(|s| s.is_short()).cloned().collect();
            let parts = itas_core::sample::of_tools_in_parts(&samples);
            Some(ResultRow {
                agency_id: p.agency_id,
                code: p.code,
                name_th: p.name_th,
                kind: p.kind,
                province: p.province,
                parent_id: p.parent_id,
                card,
                short,
                parts,
            })
        })
    })
    .await
    .map_err(|e| Error::new(crate::error::ErrorCode::Internal).detail(e.to_string()))?;
    Ok(rows.into_iter().flatten().collect())
}

/// Figures for a group of agencies (or the whole round).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupSummary {
    pub key: String,
    pub agencies: usize,
    /// Mean of the published overall scores, rounded half up.
    pub average: Score,
    /// Agencies per level, in the framework's level order.
    pub levels: Vec<(String, usize)>,
    pub at_pass: usize,
    /// Share at the pass mark or above, in hundredths of a percent.
    pub share_at_pass: Score,
}

pub fn summarise(fw: &Framework, key: String, rows: &[&ResultRow]) -> GroupSummary {
    use itas_core::Exact;
    let n = rows.len();
    let average = if n == 0 {
        Score::ZERO
    } else {
        let sum: i64 = rows.iter().map(|r| r.card.overall.hundredths()).sum();
        Score::round_half_up(Exact::new(i128::from(sum), 100 * n as i128))
    };
    let at_pass = rows
        .iter()
        .filter(|r| r.card.overall >= fw.pass_mark)
        .count();
    let share_at_pass = if n == 0 {
        Score::ZERO
    } else {
        Score::round_half_up(Exact::new(100 * at_pass as i128, n as i128))
    };
    let levels = fw
        .levels
        .iter()
        .map(|l| {
            (
                l.code.clone(),
                rows.iter().filter(|r| r.card.level == l.code).count(),
            )
        })
        .collect();
    GroupSummary {
        key,
        agencies: n,
        average,
        levels,
        at_pass,
        share_at_pass,
    }
}

/// A round beside an earlier one, over the agencies assessed in both:
/// averages of the overall and of each tool both rounds have, the share at
/// each year's pass mark, and how many agencies went from each earlier
/// result to each result now (each under its own year's rule).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoundComparison {
    pub agencies: usize,
    /// (what, before, now): "overall" first, then tool codes.
    pub averages: Vec<(String, Score, Score)>,
    pub share_before: Score,
    pub share_now: Score,
    /// Level codes of each round, best first.
    pub levels_before: Vec<String>,
    pub levels_now: Vec<String>,
    /// counts[before level index][now level index]
    pub counts: Vec<Vec<usize>>,
}

pub fn compare_rounds(
    now_fw: &Framework,
    now: &[ResultRow],
    before_fw: &Framework,
    before: &[ResultRow],
) -> RoundComparison {
    use itas_core::Exact;
    let earlier: BTreeMap<&str, &ResultRow> =
        before.iter().map(|r| (r.agency_id.as_str(), r)).collect();
    let pairs: Vec<(&ResultRow, &ResultRow)> = now
        .iter()
        .filter_map(|r| Some((*earlier.get(r.agency_id.as_str())?, r)))
        .collect();
    let n = pairs.len();
    let mean = |sum: i64| {
        if n == 0 {
            Score::ZERO
        } else {
            Score::round_half_up(Exact::new(i128::from(sum), 100 * n as i128))
        }
    };
    let share = |count: usize| {
        if n == 0 {
            Score::ZERO
        } else {
            Score::round_half_up(Exact::new(100 * count as i128, n as i128))
        }
    };
    let mut averages = vec![(
        "overall".to_string(),
        mean(pairs.iter().map(|(b, _)| b.card.overall.hundredths()).sum()),
        mean(pairs.iter().map(|(_, a)| a.card.overall.hundredths()).sum()),
    )];
    for t in &now_fw.tools {
        if before_fw.tool(&t.code).is_none() {
            continue;
        }
        let of = |r: &ResultRow| r.card.tools.get(&t.code).map_or(0, |s| s.hundredths());
        averages.push((
            t.code.clone(),
            mean(pairs.iter().map(|(b, _)| of(b)).sum()),
            mean(pairs.iter().map(|(_, a)| of(a)).sum()),
        ));
    }
    let levels_before: Vec<String> = before_fw.levels.iter().map(|l| l.code.clone()).collect();
    let levels_now: Vec<String> = now_fw.levels.iter().map(|l| l.code.clone()).collect();
    let mut counts = vec![vec![0; levels_now.len()]; levels_before.len()];
    for (b, a) in &pairs {
        let i = levels_before.iter().position(|c| *c == b.card.level);
        let j = levels_now.iter().position(|c| *c == a.card.level);
        if let (Some(i), Some(j)) = (i, j) {
            counts[i][j] += 1;
        }
    }
    RoundComparison {
        agencies: n,
        averages,
        share_before: share(
            pairs
                .iter()
                .filter(|(b, _)| b.card.overall >= before_fw.pass_mark)
                .count(),
        ),
        share_now: share(
            pairs
                .iter()
                .filter(|(_, a)| a.card.overall >= now_fw.pass_mark)
                .count(),
        ),
        levels_before,
        levels_now,
        counts,
    }
}

/// Agencies whose result a tool below a floor holds back, per tool (the
/// conditions rule; empty under letter bands).
pub fn held_back_counts(fw: &Framework, rows: &[&ResultRow]) -> Vec<(String, usize)> {
    fw.tools
        .iter()
        .map(|t| {
            (
                t.code.clone(),
                rows.iter()
                    .filter(|r| r.card.held_back_by.contains(&t.code))
                    .count(),
            )
        })
        .filter(|(_, n)| *n > 0)
        .collect()
}

/// The latest published round before this one, for comparison.
pub async fn previous_round(app: &App, round: &Round) -> Result<Option<Round>, Error> {
    for r in rounds::list(&app.db).await? {
        if r.id != round.id
            && r.fiscal_year < round.fiscal_year
            && round_is_published(app, &r.id).await?
        {
            return Ok(Some(r));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_are_public_from_publication_on() {
        assert!(!is_published(RoundState::NotStarted));
        assert!(!is_published(RoundState::In(Phase::Review2)));
        assert!(!is_published(RoundState::Between(Phase::Review2)));
        assert!(is_published(RoundState::In(Phase::Publication)));
        assert!(is_published(RoundState::In(Phase::FollowUp)));
        assert!(is_published(RoundState::Closed));
    }
}
