//! What an agency's report says about its scorecard: strongest and weakest
//! indicators, indicators below the pass mark, and the OIT path to a target.

use crate::exact::{Exact, Score, exact, mean};
use crate::framework::{Framework, Stage, ToolKind};
use crate::scoring::Scorecard;
use std::collections::BTreeSet;

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ToolAnalysis {
    pub tool: String,
    pub score: Score,
    /// Indicators sharing the highest score within the tool (usually one).
    pub highest: Vec<u32>,
    pub lowest: Vec<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Analysis {
    pub overall: Score,
    pub level: String,
    pub pass_mark: Score,
    pub highest: Vec<u32>,
    pub lowest: Vec<u32>,
    pub below_pass: Vec<u32>,
    pub tools: Vec<ToolAnalysis>,
}

fn extremes(scores: &[(u32, Score)]) -> (Vec<u32>, Vec<u32>) {
    let Some(max) = scores.iter().map(|s| s.1).max() else {
        return (vec![], vec![]);
    };
    let min = scores.iter().map(|s| s.1).min().unwrap_or(max);
    let pick = |v: Score| scores.iter().filter(|s| s.1 == v).map(|s| s.0).collect();
    (pick(max), pick(min))
}

/// Reads the scorecard the way the report does.
pub fn analyse(fw: &Framework, card: &Scorecard) -> Analysis {
    let all: Vec<(u32, Score)> = card.indicators.iter().map(|(n, s)| (*n, *s)).collect();
    let (highest, lowest) = extremes(&all);
    let below_pass = all
        .iter()
        .filter(|(_, s)| *s < fw.pass_mark)
        .map(|(n, _)| *n)
        .collect();
    let tools = fw
        .tools
        .iter()
        .map(|t| {
            let scores: Vec<_> = fw
                .indicators_of(&t.code)
                .filter_map(|i| card.indicators.get(&i.number).map(|s| (i.number, *s)))
                .collect();
            let (highest, lowest) = extremes(&scores);
            ToolAnalysis {
                tool: t.code.clone(),
                score: card.tools.get(&t.code).copied().unwrap_or_default(),
                highest,
                lowest,
            }
        })
        .collect();
    Analysis {
        overall: card.overall,
        level: card.level.clone(),
        pass_mark: fw.pass_mark,
        highest,
        lowest,
        below_pass,
        tools,
    }
}

/// One checklist item to pass, with what it alone adds to the overall score.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PlanStep {
    pub item: String,
    pub indicator: u32,
    pub subindicator: Option<String>,
    /// Exact marginal gain on the overall score, rounded for display.
    pub gain: Score,
}

/// The smallest set of failed checklist items whose passing reaches a target.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Plan {
    pub target: Score,
    pub current: Score,
    /// The overall score once every step is passed (or, when the target is
    /// out of reach, once every failed item is passed).
    pub projected: Score,
    pub reachable: bool,
    /// Ranked by gain, highest first.
    pub steps: Vec<PlanStep>,
}

/// One checklist tool in the planner: `best[c]` is the best weighted, published
/// tool value with `c` more passes, reached by `choice[c]` passes per indicator.
struct ToolTable {
    weight: Exact,
    best: Vec<Exact>,
    choice: Vec<Vec<usize>>,
    indicators: Vec<u32>,
}

/// Plans the fewest checklist items to pass so the overall reaches `target`.
///
/// `card` must hold every indicator; checklist indicators are recomputed from
/// `passed`. The search is exact under the framework's rounding policy: inside
/// a sub-indicator items are interchangeable, inside an indicator passes go
/// first to the smallest sub-indicators (each is worth most there), and across
/// indicators and tools a small dynamic programme picks the split, because
/// every published level is a monotone function of the levels below it.
pub fn plan_to_target(
    fw: &Framework,
    card: &Scorecard,
    passed: &BTreeSet<String>,
    target: Score,
) -> Plan {
    let policy = fw.rounding;
    let at = |stage: Stage| {
        move |x: Exact| {
            if policy.rounds(stage) {
                Score::round_half_up(x).exact()
            } else {
                x
            }
        }
    };
    let publish_indicator = at(Stage::Indicator);
    let publish_tool = at(Stage::Tool);

    // Fixed contribution of survey tools.
    let mut fixed = Exact::from_integer(0);
    // Per checklist tool: best[c] = best published tool value with c more passes.
    let mut tool_tables: Vec<ToolTable> = Vec::new();
    for tool in &fw.tools {
        let inds: Vec<u32> = fw.indicators_of(&tool.code).map(|i| i.number).collect();
        if tool.kind == ToolKind::Survey {
            let v = mean(
                inds.iter()
                    .map(|n| publish_indicator(card.indicators[n].exact())),
            )
            .unwrap_or_default();
            fixed += tool.weight * publish_tool(v);
            continue;
        }
        // For each indicator: best sum of published indicator values by count.
        let mut acc: Vec<Exact> = vec![Exact::from_integer(0)];
        let mut choice: Vec<Vec<usize>> = vec![vec![]];
        for &n in &inds {
            let table = indicator_table(fw, n, passed, &publish_indicator);
            let mut next = vec![None::<(Exact, Vec<usize>)>; acc.len() + table.len() - 1];
            for (a, av) in acc.iter().enumerate() {
                for (b, bv) in table.iter().enumerate() {
                    let v = *av + *bv;
                    let slot = &mut next[a + b];
                    if slot.as_ref().is_none_or(|(best, _)| v > *best) {
                        let mut ch = choice[a].clone();
                        ch.push(b);
                        *slot = Some((v, ch));
                    }
                }
            }
            acc = next
                .iter()
                .map(|s| s.as_ref().map(|x| x.0).unwrap_or_default())
                .collect();
            choice = next
                .into_iter()
                .map(|s| s.map(|x| x.1).unwrap_or_default())
                .collect();
        }
        let m = exact(inds.len() as i128);
        let best: Vec<Exact> = acc
            .iter()
            .map(|s| tool.weight * publish_tool(*s / m))
            .collect();
        tool_tables.push(ToolTable {
            weight: tool.weight,
            best,
            choice,
            indicators: inds,
        });
    }

    // Across checklist tools: best overall contribution by total count.
    let mut total: Vec<(Exact, Vec<usize>)> = vec![(Exact::from_integer(0), vec![])];
    for ToolTable { best, .. } in &tool_tables {
        let mut next = vec![None::<(Exact, Vec<usize>)>; total.len() + best.len() - 1];
        for (a, (av, ach)) in total.iter().enumerate() {
            for (b, bv) in best.iter().enumerate() {
                let v = *av + *bv;
                let slot = &mut next[a + b];
                if slot.as_ref().is_none_or(|(cur, _)| v > *cur) {
                    let mut ch = ach.clone();
                    ch.push(b);
                    *slot = Some((v, ch));
                }
            }
        }
        total = next.into_iter().map(|s| s.unwrap_or_default()).collect();
    }

    let overall_at = |k: usize| Score::round_half_up(fixed + total[k].0);
    let k_max = total.len() - 1;
    let k = (0..=k_max).find(|&k| overall_at(k) >= target);
    let reachable = k.is_some();
    let k = k.unwrap_or(k_max);

    // Turn counts back into items.
    let mut steps = Vec::new();
    for (
        ToolTable {
            weight,
            choice,
            indicators: inds,
            ..
        },
        &count,
    ) in tool_tables.iter().zip(&total[k].1)
    {
        for (&n, &c) in inds.iter().zip(&choice[count]) {
            for code in items_to_pass(fw, n, passed, c) {
                let it = fw.item(&code);
                let gain = item_gain(
                    fw,
                    *weight,
                    n,
                    it.and_then(|i| i.subindicator.as_deref()),
                    inds.len(),
                );
                steps.push(PlanStep {
                    subindicator: it.and_then(|i| i.subindicator.clone()),
                    item: code,
                    indicator: n,
                    gain: Score::round_half_up(gain),
                });
            }
        }
    }
    steps.sort_by(|a, b| {
        b.gain
            .cmp(&a.gain)
            .then_with(|| natural(&a.item).cmp(&natural(&b.item)))
    });
    Plan {
        target,
        current: card.overall,
        projected: overall_at(k),
        reachable,
        steps,
    }
}

/// Sorts "o2" before "o10".
fn natural(code: &str) -> (String, u64) {
    let digits: String = code.chars().filter(char::is_ascii_digit).collect();
    (
        code.chars().filter(|c| !c.is_ascii_digit()).collect(),
        digits.parse().unwrap_or(0),
    )
}

/// Failed items of an indicator grouped by sub-indicator, smallest group first.
fn failed_groups(
    fw: &Framework,
    indicator: u32,
    passed: &BTreeSet<String>,
) -> Vec<(usize, Vec<String>, usize)> {
    let subs: Vec<_> = fw.subindicators_of(indicator).collect();
    let groups: Vec<Vec<&str>> = if subs.is_empty() {
        vec![fw.items_of(indicator).map(|i| i.code.as_str()).collect()]
    } else {
        subs.iter()
            .map(|s| fw.items_of_sub(&s.code).map(|i| i.code.as_str()).collect())
            .collect()
    };
    let mut out: Vec<(usize, Vec<String>, usize)> = groups
        .into_iter()
        .map(|g| {
            let n = g.len();
            let ok = g.iter().filter(|c| passed.contains(**c)).count();
            let mut failed: Vec<String> = g
                .iter()
                .filter(|c| !passed.contains(**c))
                .map(|c| c.to_string())
                .collect();
            failed.sort_by_key(|c| natural(c));
            (n, failed, ok)
        })
        .collect();
    out.sort_by_key(|g| g.0);
    out
}

/// best[c] = published indicator value with `c` more passes, placed best.
fn indicator_table(
    fw: &Framework,
    indicator: u32,
    passed: &BTreeSet<String>,
    publish: &dyn Fn(Exact) -> Exact,
) -> Vec<Exact> {
    let groups = failed_groups(fw, indicator, passed);
    let total_failed: usize = groups.iter().map(|g| g.1.len()).sum();
    (0..=total_failed)
        .map(|c| {
            let mut left = c;
            let shares = groups.iter().map(|(n, failed, ok)| {
                let add = left.min(failed.len());
                left -= add;
                Exact::new(100 * (ok + add) as i128, (*n).max(1) as i128)
            });
            publish(mean(shares.collect::<Vec<_>>()).unwrap_or_default())
        })
        .collect()
}

fn items_to_pass(
    fw: &Framework,
    indicator: u32,
    passed: &BTreeSet<String>,
    count: usize,
) -> Vec<String> {
    let mut left = count;
    let mut out = Vec::new();
    for (_, failed, _) in failed_groups(fw, indicator, passed) {
        let take = left.min(failed.len());
        out.extend(failed.into_iter().take(take));
        left -= take;
    }
    out
}

/// What passing one item adds to the overall, before rounding.
fn item_gain(
    fw: &Framework,
    weight: Exact,
    indicator: u32,
    sub: Option<&str>,
    indicators_in_tool: usize,
) -> Exact {
    let (group_size, groups) = match sub {
        Some(s) => (
            fw.items_of_sub(s).count(),
            fw.subindicators_of(indicator).count(),
        ),
        None => (fw.items_of(indicator).count(), 1),
    };
    weight
        * Exact::new(
            100,
            (group_size * groups * indicators_in_tool).max(1) as i128,
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::ita_2564;
    use crate::scoring::{Inputs, score};

    fn seed() -> (Framework, Scorecard, BTreeSet<String>) {
        let fw = ita_2564();
        let p: BTreeSet<String> = [
            "o1", "o2", "o3", "o4", "o5", "o6", "o7", "o8", "o10", "o11", "o18", "o19", "o20",
            "o21", "o22", "o23", "o25", "o26", "o27", "o28", "o29", "o30", "o31", "o34", "o35",
            "o36",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let given = [9320, 8125, 8626, 8048, 8895, 8006, 8274, 7772]
            .iter()
            .enumerate()
            .map(|(i, h)| (i as u32 + 1, Score::from_hundredths(*h)))
            .collect();
        let card = score(
            &fw,
            &Inputs {
                given,
                passed: Some(p.clone()),
                ..Default::default()
            },
        )
        .unwrap();
        (fw, card, p)
    }

    #[test]
    fn seed_analysis_matches_the_corrected_report() {
        let (fw, card, _) = seed();
        let a = analyse(&fw, &card);
        assert_eq!(a.highest, vec![1]);
        assert_eq!(a.lowest, vec![10]);
        assert_eq!(a.below_pass, vec![2, 4, 6, 7, 8, 9, 10]);
        let weakest: Vec<_> = a
            .tools
            .iter()
            .map(|t| (t.tool.as_str(), t.lowest.clone()))
            .collect();
        assert_eq!(
            weakest,
            vec![("IIT", vec![4]), ("EIT", vec![8]), ("OIT", vec![10])]
        );
    }

    #[test]
    fn plan_reaches_85_with_the_fewest_items_and_is_verified_by_the_engine() {
        let (fw, card, passed) = seed();
        let plan = plan_to_target(&fw, &card, &passed, Score::from_hundredths(8500));
        assert!(plan.reachable);
        assert!(plan.projected >= Score::from_hundredths(8500));
        // The two 10.2 items are worth the most (0.4 · ½ · ½ · 100/2 = 5.00 each).
        assert_eq!(plan.steps[0].gain.to_string(), "5.00");
        assert_eq!(plan.steps[0].subindicator.as_deref(), Some("10.2"));
        // Re-score with the plan applied: the engine agrees with the projection.
        let mut after = passed.clone();
        after.extend(plan.steps.iter().map(|s| s.item.clone()));
        let mut given = card.indicators.clone();
        given.remove(&9);
        given.remove(&10);
        let card2 = score(
            &fw,
            &Inputs {
                given: given.clone(),
                passed: Some(after),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(card2.overall, plan.projected);
        // And one item fewer never suffices, whichever is dropped.
        for drop in 0..plan.steps.len() {
            let mut fewer = passed.clone();
            fewer.extend(
                plan.steps
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| *i != drop)
                    .map(|(_, s)| s.item.clone()),
            );
            let c = score(
                &fw,
                &Inputs {
                    given: given.clone(),
                    passed: Some(fewer),
                    ..Default::default()
                },
            )
            .unwrap();
            assert!(
                c.overall < Score::from_hundredths(8500),
                "dropping {drop} still reaches the target"
            );
        }
    }

    #[test]
    fn unreachable_target_says_so_and_passes_everything() {
        let (fw, card, passed) = seed();
        let plan = plan_to_target(&fw, &card, &passed, Score::from_hundredths(9900));
        assert!(!plan.reachable);
        assert_eq!(plan.steps.len(), 43 - passed.len());
    }

    #[test]
    fn already_at_target_needs_nothing() {
        let (fw, card, passed) = seed();
        let plan = plan_to_target(&fw, &card, &passed, Score::from_hundredths(6000));
        assert!(plan.reachable);
        assert!(plan.steps.is_empty());
        assert_eq!(plan.projected, card.overall);
    }
}

/// A tool below the floor a better result needs: (tool, its score, the floor).
pub type Shortfall = (String, Score, Score);

/// How one result better than the current one can be reached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Way {
    /// Survey tools below the floor this result needs: passing OIT items
    /// cannot lift them.
    Blocked(Vec<Shortfall>),
    /// The fewest OIT items whose passing makes this the result.
    Items(Plan),
    /// No survey tool is below a floor, yet passing every OIT item still
    /// leaves the overall at `best`, under this result: the surveys must rise.
    OutOfReach { best: Score },
    /// Which OIT items would do is not known yet (no review decisions).
    Unknown,
}

/// Under a tool-floor rule (2566 on): every result better than the current
/// one, best first, each with its way there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelOutlook<'a> {
    pub current: &'a crate::framework::Level,
    pub ways: Vec<(&'a crate::framework::Level, Way)>,
}

/// The outlook of a scorecard under the framework's rule; `None` under
/// letter bands (there the plan to the pass mark says it all). `passed` are
/// the OIT items passed so far; without them only what blocks is known.
pub fn label_outlook<'a>(
    fw: &'a Framework,
    card: &Scorecard,
    passed: Option<&BTreeSet<String>>,
) -> Option<LabelOutlook<'a>> {
    use crate::framework::ResultRule;
    if fw.result_rule != ResultRule::Conditions {
        return None;
    }
    let current = fw.result(card.overall, &card.tools).level;
    let better = fw.levels.iter().take_while(|l| l.code != current.code);
    let ways = better
        .map(|level| (level, way_to(fw, card, passed, level)))
        .collect();
    Some(LabelOutlook { current, ways })
}

fn way_to(
    fw: &Framework,
    card: &Scorecard,
    passed: Option<&BTreeSet<String>>,
    level: &crate::framework::Level,
) -> Way {
    let short: Vec<Shortfall> = fw
        .tools
        .iter()
        .filter(|t| t.kind == ToolKind::Survey)
        .filter_map(|t| {
            let s = *card.tools.get(&t.code)?;
            level
                .tool_floor
                .filter(|f| s < *f)
                .map(|f| (t.code.clone(), s, f))
        })
        .collect();
    if !short.is_empty() {
        return Way::Blocked(short);
    }
    let Some(passed) = passed else {
        return Way::Unknown;
    };
    // The fewest OIT items whose passing makes this the result: the smallest
    // overall target whose plan also lifts the checklist tools over the
    // level's floor (more items never lower a result, so the search is a
    // bisection over targets in hundredths).
    let rank = |code: &str| fw.levels.iter().position(|l| l.code == code);
    let attempt = |t: i64| -> Option<Plan> {
        let plan = plan_to_target(fw, card, passed, Score::from_hundredths(t));
        if !plan.reachable {
            return None;
        }
        let mut now: BTreeSet<String> = passed.clone();
        now.extend(plan.steps.iter().map(|s| s.item.clone()));
        let given = card
            .indicators
            .iter()
            .filter(|(n, _)| {
                fw.tool_of_indicator(**n)
                    .is_some_and(|t| t.kind == ToolKind::Survey)
            })
            .map(|(n, s)| (*n, *s))
            .collect();
        let inputs = crate::scoring::Inputs {
            given,
            passed: Some(now),
            ..Default::default()
        };
        let after = crate::scoring::score(fw, &inputs).ok()?;
        let got = fw.result(after.overall, &after.tools).level;
        (rank(&got.code) <= rank(&level.code)).then_some(plan)
    };
    // The highest overall passing every failed item gives.
    let most = plan_to_target(fw, card, passed, Score::HUNDRED).projected;
    let (mut lo, mut hi) = (level.min.hundredths(), most.hundredths());
    if lo > hi {
        return Way::OutOfReach { best: most };
    }
    let Some(mut best) = attempt(hi) else {
        return Way::OutOfReach { best: most };
    };
    while lo < hi {
        let mid = (lo + hi) / 2;
        match attempt(mid) {
            Some(p) => {
                best = p;
                hi = mid;
            }
            None => lo = mid + 1,
        }
    }
    if let Some(p) = attempt(lo) {
        best = p;
    }
    Way::Items(best)
}

#[cfg(test)]
mod label_tests {
    use super::*;
    use crate::scoring::{Inputs, score};

    fn card(fw: &Framework, ind: [i64; 8], passed: &BTreeSet<String>) -> Scorecard {
        let given = ind
            .iter()
            .enumerate()
            .map(|(i, h)| (i as u32 + 1, Score::from_hundredths(*h)))
            .collect();
        score(
            fw,
            &Inputs {
                given,
                passed: Some(passed.clone()),
                ..Default::default()
            },
        )
        .unwrap()
    }

    #[test]
    fn a_survey_tool_below_the_floor_blocks_what_oit_cannot_lift() {
        let fw = crate::framework::embedded("ita-2568").unwrap();
        // IIT 95.60, EIT 84.13; OIT: all but one item of each indicator.
        let passed: BTreeSet<String> = fw
            .checklist_items()
            .map(|i| i.code.clone())
            .filter(|c| c != "O1" && c != "O26")
            .collect();
        let c = card(
            &fw,
            [9640, 9510, 9820, 9480, 9350, 8610, 8340, 8290],
            &passed,
        );
        let o = label_outlook(&fw, &c, Some(&passed)).unwrap();
        assert_eq!(o.current.name_th, "ผ่าน");
        let names: Vec<&str> = o.ways.iter().map(|(l, _)| l.name_th.as_str()).collect();
        assert_eq!(names, ["ผ่านดีเยี่ยม", "ผ่านดี"]);
        let Way::Blocked(short) = &o.ways[1].1 else {
            panic!("ผ่านดี is held back by the EIT: {:?}", o.ways[1].1)
        };
        assert_eq!(short.len(), 1);
        assert_eq!(short[0].0, "EIT");
        assert_eq!(short[0].1.to_string(), "84.13");
        assert_eq!(short[0].2.to_string(), "85.00");
        assert!(matches!(o.ways[0].1, Way::Blocked(_)));
    }

    #[test]
    fn oit_items_that_lift_the_result_are_planned() {
        let fw = crate::framework::embedded("ita-2569").unwrap();
        // Surveys at 90: ผ่านดี needs the overall and OIT at 85 or more.
        let passed: BTreeSet<String> = fw
            .checklist_items()
            .take(15)
            .map(|i| i.code.clone())
            .collect();
        let c = card(&fw, [9000; 8], &passed);
        let o = label_outlook(&fw, &c, Some(&passed)).unwrap();
        assert_ne!(o.current.name_th, "ผ่านดี");
        let (level, way) = &o.ways[1];
        assert_eq!(level.name_th, "ผ่านดี");
        let Way::Items(plan) = way else {
            panic!("OIT can lift it: {way:?}")
        };
        assert!(!plan.steps.is_empty());
        // Passing exactly those items gives ผ่านดี; ผ่านดีเยี่ยม is blocked.
        let mut now = passed.clone();
        now.extend(plan.steps.iter().map(|s| s.item.clone()));
        let after = card(&fw, [9000; 8], &now);
        assert_eq!(after.level_th, "ผ่านดี");
        assert_eq!(o.ways[0].0.name_th, "ผ่านดีเยี่ยม");
        assert!(matches!(o.ways[0].1, Way::Blocked(_)));
    }

    /// Every result better than the card's own has its way, and each way is
    /// true: a blocking tool is below the floor, the planned items reach the
    /// result, and "out of reach" is what passing every item gives.
    fn check_every_way(fw: &Framework, ind: [i64; 8], passed: &BTreeSet<String>) -> Vec<String> {
        let c = card(fw, ind, passed);
        let o = label_outlook(fw, &c, Some(passed)).unwrap();
        let own = fw
            .levels
            .iter()
            .position(|l| l.code == o.current.code)
            .unwrap();
        assert_eq!(o.ways.len(), own, "one way per better result");
        let everything: BTreeSet<String> = fw.checklist_items().map(|i| i.code.clone()).collect();
        let mut kinds = Vec::new();
        for (level, way) in &o.ways {
            match way {
                Way::Blocked(short) => {
                    assert!(!short.is_empty());
                    for (tool, s, floor) in short {
                        assert_eq!(c.tools[tool], *s);
                        assert!(s < floor && Some(*floor) == level.tool_floor);
                    }
                    kinds.push(format!("{}: blocked", level.code));
                }
                Way::Items(plan) => {
                    let mut now = passed.clone();
                    now.extend(plan.steps.iter().map(|s| s.item.clone()));
                    let after = card(fw, ind, &now);
                    let rank = |code: &str| fw.levels.iter().position(|l| l.code == code);
                    let got = fw.result(after.overall, &after.tools).level;
                    assert!(
                        rank(&got.code) <= rank(&level.code),
                        "{} gives {}",
                        level.code,
                        got.code
                    );
                    // One item fewer (the last, the smallest gain) falls short.
                    let mut fewer = passed.clone();
                    fewer.extend(
                        plan.steps
                            .iter()
                            .take(plan.steps.len() - 1)
                            .map(|s| s.item.clone()),
                    );
                    let short_of = card(fw, ind, &fewer);
                    let got = fw.result(short_of.overall, &short_of.tools).level;
                    assert!(
                        rank(&got.code) > rank(&level.code),
                        "{} reached with fewer",
                        level.code
                    );
                    kinds.push(format!("{}: {} items", level.code, plan.steps.len()));
                }
                Way::OutOfReach { best } => {
                    let all = card(fw, ind, &everything);
                    assert_eq!(all.overall, *best);
                    assert!(*best < level.min);
                    kinds.push(format!("{}: out of reach at {best}", level.code));
                }
                Way::Unknown => panic!("the decisions are known"),
            }
        }
        kinds
    }

    fn first(fw: &Framework, n: usize) -> BTreeSet<String> {
        fw.checklist_items()
            .take(n)
            .map(|i| i.code.clone())
            .collect()
    }

    #[test]
    fn below_seventy_every_better_result_has_its_way() {
        let fw = crate::framework::embedded("ita-2568").unwrap();
        let kinds = check_every_way(&fw, [6000; 8], &first(&fw, 5));
        assert_eq!(
            kinds,
            [
                "excellent: blocked",
                "good: blocked",
                "pass: out of reach at 76.00",
                "improve: 15 items"
            ]
        );
    }

    #[test]
    fn between_seventy_and_eighty_five_every_better_result_has_its_way() {
        let fw = crate::framework::embedded("ita-2568").unwrap();
        let kinds = check_every_way(&fw, [8000; 8], &first(&fw, 22));
        assert_eq!(
            kinds,
            ["excellent: blocked", "good: blocked", "pass: 4 items"]
        );
    }

    #[test]
    fn above_eighty_five_every_better_result_has_its_way() {
        let fw = crate::framework::embedded("ita-2568").unwrap();
        let kinds = check_every_way(&fw, [9000; 8], &first(&fw, 24));
        assert_eq!(kinds, ["excellent: blocked", "good: 1 items"]);
    }
}
