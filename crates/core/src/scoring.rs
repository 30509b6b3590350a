//! The scoring engine: inputs for one agency → item, sub-indicator, indicator,
//! tool and overall scores and the level. Pure and exact.
//!
//! Survey answers arrive as *tallies*: for every cell of an item, how many
//! respondents chose each option. A tally is what the store keeps per agency,
//! updated as answers arrive, so scoring never scans raw responses and the
//! order in which answers came cannot matter.

use crate::exact::{Exact, Score, mean};
use crate::framework::{Framework, ItemKind, Rounding, Stage, ToolKind};
use num_integer::Integer;
use num_traits::Zero;
use std::collections::{BTreeMap, BTreeSet};

/// Option counts per cell of one survey item: `counts[cell][option]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ItemTally {
    pub counts: Vec<Vec<u64>>,
}

impl ItemTally {
    /// An empty tally shaped for `cells` cells of `options` options each.
    pub fn new(cells: usize, options: usize) -> ItemTally {
        ItemTally {
            counts: vec![vec![0; options]; cells],
        }
    }

    /// Adds one respondent's choice (option index) for each cell.
    pub fn add(&mut self, choices: &[usize]) {
        for (cell, &choice) in self.counts.iter_mut().zip(choices) {
            if let Some(c) = cell.get_mut(choice) {
                *c += 1;
            }
        }
    }
}

/// Everything known about one agency in one round.
#[derive(Clone, Debug, Default)]
pub struct Inputs {
    /// Indicator scores given directly (as published, or typed by a user).
    pub given: BTreeMap<u32, Score>,
    /// Survey tallies by item code.
    pub tallies: BTreeMap<String, ItemTally>,
    /// Checklist items that passed; `None` when no decisions are known.
    /// With `Some`, every checklist item not in the set failed.
    pub passed: Option<BTreeSet<String>>,
}

/// Why a scorecard could not be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScoringError {
    #[error("indicator {0} has no input: give its score, its answers or its checklist decisions")]
    MissingIndicator(u32),
    #[error("item {0} is not in the framework")]
    UnknownItem(String),
    #[error("item {item} has {got} cells in its tally, the framework has {expected}")]
    TallyShape {
        item: String,
        got: usize,
        expected: usize,
    },
    #[error("indicator {0} is not in the framework")]
    UnknownIndicator(u32),
    #[error("item {0}: its option scores and answer counts are too large to compute exactly")]
    TooLarge(String),
}

/// The computed result. Published values are two-decimal [`Score`]s.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Scorecard {
    pub framework: String,
    /// Survey item means and checklist item results (100 or 0), where known.
    pub items: BTreeMap<String, Score>,
    /// Checklist sub-indicators (share of items passed), where known.
    pub subindicators: BTreeMap<String, Score>,
    pub indicators: BTreeMap<u32, Score>,
    pub tools: BTreeMap<String, Score>,
    pub overall: Score,
    /// The level code (a letter or a label) under the framework's result rule.
    pub level: String,
    pub level_th: String,
    /// Conditions rule: the tools below the floor of the nearest better level
    /// whose overall condition holds (empty when nothing holds the result back).
    pub held_back_by: Vec<String>,
}

/// A value on its way up: the exact one and the one published for it.
#[derive(Clone, Copy)]
struct Staged {
    exact: Exact,
    published: Score,
}

impl Staged {
    fn new(exact: Exact) -> Staged {
        Staged {
            exact,
            published: Score::round_half_up(exact),
        }
    }

    fn given(s: Score) -> Staged {
        Staged {
            exact: s.exact(),
            published: s,
        }
    }

    /// What the next level up is computed from under `policy`, for a value
    /// published at `stage`.
    fn carried(self, policy: Rounding, stage: Stage) -> Exact {
        if policy.rounds(stage) {
            self.published.exact()
        } else {
            self.exact
        }
    }
}

/// Exact mean score of one survey item from its tally; `None` without answers.
///
/// Each cell's mean is taken over its respondents, and the item is the mean of
/// its cells: with every cell required this equals the mean, over respondents,
/// of each respondent's average over the item's cells.
pub fn survey_item_exact(
    fw: &Framework,
    item: &str,
    tally: &ItemTally,
) -> Result<Option<Exact>, ScoringError> {
    let it = fw
        .item(item)
        .ok_or_else(|| ScoringError::UnknownItem(item.to_string()))?;
    survey_item_value(fw, it, tally)
}

/// [`survey_item_exact`] of an item already found in the framework.
fn survey_item_value(
    fw: &Framework,
    it: &crate::framework::Item,
    tally: &ItemTally,
) -> Result<Option<Exact>, ScoringError> {
    let ItemKind::Survey { scale, cells } = &it.kind else {
        return Err(ScoringError::UnknownItem(it.code.clone()));
    };
    if tally.counts.len() != cells.len() {
        return Err(ScoringError::TallyShape {
            item: it.code.clone(),
            got: tally.counts.len(),
            expected: cells.len(),
        });
    }
    let Some(scale) = fw.scale(scale) else {
        return Ok(None);
    };
    let mut cell_means = Vec::with_capacity(cells.len());
    for (cell, counts) in cells.iter().zip(&tally.counts) {
        if counts.iter().all(|c| *c == 0) {
            return Ok(None);
        }
        let m = cell_mean(counts, |i| {
            scale.option_score(i, cell.reverse).unwrap_or_default()
        })
        .ok_or_else(|| ScoringError::TooLarge(it.code.clone()))?;
        cell_means.push(m);
    }
    Ok(mean(cell_means))
}

/// The mean option score of one cell's answers, which must be some: the sum
/// of count × score over the options is taken over the scores' common
/// denominator, in whole numbers, and made a fraction once. (Adding the
/// fractions one by one reduced every partial sum, which took a national
/// round's scoring longer than reading it.) `None` only where the whole
/// numbers would overflow: no ITA scale comes near it, and fractions added
/// one by one would overflow there too.
fn cell_mean(counts: &[u64], score_of: impl Fn(usize) -> Exact) -> Option<Exact> {
    let n: u64 = counts.iter().sum();
    let chosen = || {
        counts
            .iter()
            .enumerate()
            .filter(|(_, c)| **c > 0)
            .map(|(i, c)| (i128::from(*c), score_of(i)))
    };
    let den = chosen().try_fold(1i128, |l, (_, s)| {
        l.checked_mul(s.denom() / l.gcd(s.denom()))
    })?;
    let mut num: i128 = 0;
    for (c, s) in chosen() {
        let term = c.checked_mul(*s.numer())?.checked_mul(den / s.denom())?;
        num = num.checked_add(term)?;
    }
    Some(Exact::new(num, den.checked_mul(i128::from(n))?))
}

/// Computes the scorecard of one agency.
pub fn score(fw: &Framework, inputs: &Inputs) -> Result<Scorecard, ScoringError> {
    let policy = fw.rounding;
    for n in inputs.given.keys() {
        if fw.indicator(*n).is_none() {
            return Err(ScoringError::UnknownIndicator(*n));
        }
    }
    for code in inputs.tallies.keys() {
        if fw.item(code).is_none() {
            return Err(ScoringError::UnknownItem(code.clone()));
        }
    }
    if let Some(passed) = &inputs.passed {
        for code in passed {
            match fw.item(code) {
                Some(i) if matches!(i.kind, ItemKind::Checklist { .. }) => {}
                _ => return Err(ScoringError::UnknownItem(code.clone())),
            }
        }
    }

    let mut items = BTreeMap::new();
    let mut subindicators = BTreeMap::new();
    let mut indicators: BTreeMap<u32, Staged> = BTreeMap::new();

    for ind in &fw.indicators {
        let v = indicator_value(fw, ind.number, inputs, &mut items, &mut subindicators)?;
        let v = v.ok_or(ScoringError::MissingIndicator(ind.number))?;
        indicators.insert(ind.number, v);
    }

    let mut tools = BTreeMap::new();
    let mut overall = Exact::zero();
    for tool in &fw.tools {
        let values = fw
            .indicators_of(&tool.code)
            .map(|i| indicators[&i.number].carried(policy, Stage::Indicator));
        let st = Staged::new(mean(values).unwrap_or_default());
        tools.insert(tool.code.clone(), st.published);
        overall += tool.weight * st.carried(policy, Stage::Tool);
    }
    let overall = Score::round_half_up(overall);
    let outcome = fw.result(overall, &tools);
    let (level, level_th) = (outcome.level.code.clone(), outcome.level.name_th.clone());
    let held_back_by = outcome.held_back.map(|(_, t)| t).unwrap_or_default();
    Ok(Scorecard {
        framework: fw.code.clone(),
        items,
        subindicators,
        indicators: indicators
            .into_iter()
            .map(|(n, s)| (n, s.published))
            .collect(),
        tools,
        overall,
        level,
        level_th,
        held_back_by,
    })
}

/// One indicator from whatever input covers it; `None` when nothing does.
fn indicator_value(
    fw: &Framework,
    number: u32,
    inputs: &Inputs,
    items: &mut BTreeMap<String, Score>,
    subindicators: &mut BTreeMap<String, Score>,
) -> Result<Option<Staged>, ScoringError> {
    let policy = fw.rounding;
    if let Some(s) = inputs.given.get(&number) {
        return Ok(Some(Staged::given(*s)));
    }
    let Some(ind) = fw.indicator(number) else {
        return Err(ScoringError::UnknownIndicator(number));
    };
    let value = match fw.tool(&ind.tool).map(|t| t.kind) {
        Some(ToolKind::Survey) => {
            let mut values = Vec::new();
            for it in fw.items_of(number) {
                let Some(t) = inputs.tallies.get(&it.code) else {
                    continue;
                };
                if let Some(x) = survey_item_value(fw, it, t)? {
                    let st = Staged::new(x);
                    items.insert(it.code.clone(), st.published);
                    values.push(st.carried(policy, Stage::Item));
                }
            }
            // An indicator needs every one of its items answered.
            if values.len() == fw.items_of(number).count() {
                mean(values)
            } else {
                None
            }
        }
        Some(ToolKind::Checklist) => inputs
            .passed
            .as_ref()
            .map(|passed| checklist_indicator(fw, number, passed, items, subindicators)),
        None => None,
    };
    Ok(value.map(Staged::new))
}

/// Scores known so far: every indicator its inputs cover, and every tool whose
/// indicators are all covered (during collection, before OIT is reviewed).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct PartialScores {
    pub items: BTreeMap<String, Score>,
    pub indicators: BTreeMap<u32, Score>,
    pub tools: BTreeMap<String, Score>,
}

pub fn score_available(fw: &Framework, inputs: &Inputs) -> Result<PartialScores, ScoringError> {
    let mut items = BTreeMap::new();
    let mut subs = BTreeMap::new();
    let mut staged = BTreeMap::new();
    for ind in &fw.indicators {
        if let Some(v) = indicator_value(fw, ind.number, inputs, &mut items, &mut subs)? {
            staged.insert(ind.number, v);
        }
    }
    let mut tools = BTreeMap::new();
    for tool in &fw.tools {
        let values: Option<Vec<Exact>> = fw
            .indicators_of(&tool.code)
            .map(|i| {
                staged
                    .get(&i.number)
                    .map(|s| s.carried(fw.rounding, Stage::Indicator))
            })
            .collect();
        if let Some(v) = values.filter(|v| !v.is_empty()) {
            tools.insert(
                tool.code.clone(),
                Score::round_half_up(mean(v).unwrap_or_default()),
            );
        }
    }
    Ok(PartialScores {
        items,
        indicators: staged.into_iter().map(|(n, s)| (n, s.published)).collect(),
        tools,
    })
}

/// A checklist indicator: the plain mean of its sub-indicators' pass shares
/// (or the pass share of its items when it has no sub-indicators).
fn checklist_indicator(
    fw: &Framework,
    indicator: u32,
    passed: &BTreeSet<String>,
    items: &mut BTreeMap<String, Score>,
    subs_out: &mut BTreeMap<String, Score>,
) -> Exact {
    let share = |codes: Vec<&str>, items: &mut BTreeMap<String, Score>| -> Exact {
        let n = codes.len() as i128;
        let mut ok = 0i128;
        for c in codes {
            let p = passed.contains(c);
            ok += i128::from(p);
            items.insert(c.to_string(), if p { Score::HUNDRED } else { Score::ZERO });
        }
        if n == 0 {
            Exact::zero()
        } else {
            Exact::new(100 * ok, n)
        }
    };
    let subs: Vec<_> = fw.subindicators_of(indicator).collect();
    if subs.is_empty() {
        let codes = fw.items_of(indicator).map(|i| i.code.as_str()).collect();
        return share(codes, items);
    }
    let values = subs.iter().map(|s| {
        let codes = fw.items_of_sub(&s.code).map(|i| i.code.as_str()).collect();
        let v = share(codes, items);
        subs_out.insert(s.code.clone(), Score::round_half_up(v));
        v
    });
    mean(values.collect::<Vec<_>>()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::ita_2564;

    fn seed_given() -> BTreeMap<u32, Score> {
        [9320, 8125, 8626, 8048, 8895, 8006, 8274, 7772, 7192, 1875]
            .iter()
            .enumerate()
            .map(|(i, h)| (i as u32 + 1, Score::from_hundredths(*h)))
            .collect()
    }

    /// The mean as it was taken before: fractions added one by one.
    fn cell_mean_term_by_term(counts: &[u64], score_of: impl Fn(usize) -> Exact) -> Option<Exact> {
        let n: u64 = counts.iter().sum();
        (n > 0).then(|| {
            let sum = counts
                .iter()
                .enumerate()
                .fold(Exact::zero(), |sum, (i, c)| {
                    sum + score_of(i) * Exact::from_integer(i128::from(*c))
                });
            sum / Exact::from_integer(i128::from(n))
        })
    }

    proptest::proptest! {
        #[test]
        fn a_cell_mean_in_whole_numbers_equals_the_fractions_added_one_by_one(
            counts in proptest::collection::vec(0u64..2_000_000, 1..12),
            reverse: bool,
        ) {
            for (code, _) in crate::framework::EMBEDDED {
                let fw = crate::framework::embedded(code).unwrap();
                for scale in &fw.scales {
                    let counts = &counts[..counts.len().min(scale.options.len())];
                    if counts.iter().all(|c| *c == 0) {
                        continue;
                    }
                    let score_of = |i| scale.option_score(i, reverse).unwrap_or_default();
                    proptest::prop_assert_eq!(
                        cell_mean(counts, score_of),
                        cell_mean_term_by_term(counts, score_of),
                        "{} scale {}", code, scale.code
                    );
                }
            }
        }

        #[test]
        fn a_cell_mean_too_large_for_whole_numbers_is_refused_never_wrapped(
            counts in proptest::collection::vec(1u64 << 40..1u64 << 50, 2..6),
        ) {
            // Denominators near 10^30 that share no factor: their common one overflows.
            let score_of = |i: usize| Exact::new(1, 10i128.pow(30) + 2 * i as i128 + 1);
            proptest::prop_assert_eq!(cell_mean(&counts, score_of), None);
        }
    }

    #[test]
    fn seed_agency_scores_68_00_level_c() {
        let fw = ita_2564();
        let card = score(
            &fw,
            &Inputs {
                given: seed_given(),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(card.tools["IIT"].to_string(), "86.03");
        assert_eq!(card.tools["EIT"].to_string(), "80.17");
        assert_eq!(card.tools["OIT"].to_string(), "45.34");
        assert_eq!(card.overall.to_string(), "68.00");
        assert_eq!(card.level, "C");
    }

    fn with(indicators: &[(u32, i64)]) -> Inputs {
        Inputs {
            given: indicators
                .iter()
                .map(|(n, h)| (*n, Score::from_hundredths(*h)))
                .collect(),
            ..Default::default()
        }
    }

    /// Ten indicator values making the given tool scores (each tool's
    /// indicators all equal to it).
    fn tools(iit: i64, eit: i64, oit: i64) -> Inputs {
        let mut v = Vec::new();
        for n in 1..=5 {
            v.push((n, iit));
        }
        for n in 6..=8 {
            v.push((n, eit));
        }
        for n in 9..=10 {
            v.push((n, oit));
        }
        with(&v)
    }

    #[test]
    fn labels_with_tool_floors_on_the_published_cases() {
        let fw = crate::framework::embedded("ita-2568").unwrap();
        let card = |i, e, o| score(&fw, &tools(i, e, o)).unwrap();
        // OAG 2568: 94.64 and ผ่าน, because its EIT was below 85.
        let c = card(9860, 8420, 9950);
        assert_eq!(c.overall.to_string(), "94.64");
        assert_eq!((c.level.as_str(), c.level_th.as_str()), ("pass", "ผ่าน"));
        assert_eq!(c.held_back_by, ["EIT"]);
        // Thai PBS 2566: 95.81, ผ่านดี (one tool below 95).
        let c = card(9703, 9300, 9700);
        assert_eq!(c.overall.to_string(), "95.81");
        assert_eq!(c.level_th, "ผ่านดี");
        assert_eq!(c.held_back_by, ["EIT"], "held back from ผ่านดีเยี่ยม");
        // Uttaradit 2567: 98.82, ผ่านดีเยี่ยม.
        let c = card(9907, 9700, 10_000);
        assert_eq!(c.overall.to_string(), "98.82");
        assert_eq!(c.level_th, "ผ่านดีเยี่ยม");
        assert!(c.held_back_by.is_empty());
        // OAG 2567: 92.43, ผ่านดี (every tool at least 85).
        assert_eq!(card(9500, 8800, 9300).level_th, "ผ่านดี");
        // Below 85: the two bands.
        assert_eq!(card(8400, 8400, 8499).level_th, "ต้องปรับปรุง");
        assert_eq!(card(6000, 7000, 7000).level_th, "ต้องปรับปรุงโดยด่วน");
    }

    #[test]
    fn an_eit_of_84_99_holds_an_overall_of_94_at_pass() {
        let fw = crate::framework::embedded("ita-2569").unwrap();
        let c = score(&fw, &tools(9501, 8499, 10_000)).unwrap();
        assert_eq!(c.tools["EIT"].to_string(), "84.99");
        assert_eq!(c.overall.to_string(), "94.00");
        assert_eq!(c.level_th, "ผ่าน");
        assert_eq!(c.held_back_by, ["EIT"]);
        let out = fw.result(c.overall, &c.tools);
        assert_eq!(out.held_back.unwrap().0.name_th, "ผ่านดี");
        let json = c.contract_json(&fw);
        assert_eq!(json["level"], "pass");
        assert_eq!(json["level_th"], "ผ่าน");
        assert_eq!(json["held_back_by"], serde_json::json!(["EIT"]));
    }

    #[test]
    fn tools_and_overall_rounding_carries_indicators_exact_and_rounds_tools() {
        let exact = Exact::new(800_045, 10_000); // 80.0045
        let st = Staged::new(exact);
        assert_eq!(st.published.to_string(), "80.00");
        let p = Rounding::ToolsAndOverall;
        assert_eq!(st.carried(p, Stage::Item), exact);
        assert_eq!(st.carried(p, Stage::Indicator), exact);
        assert_eq!(st.carried(p, Stage::Tool), st.published.exact());
        assert_eq!(
            st.carried(Rounding::Staged, Stage::Indicator),
            st.published.exact()
        );
        assert_eq!(st.carried(Rounding::FinalOnly, Stage::Tool), exact);
        // The seed reproduces under it too: its tools are rounded before the overall.
        let mut fw = ita_2564();
        fw.rounding = Rounding::ToolsAndOverall;
        let card = score(
            &fw,
            &Inputs {
                given: seed_given(),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(card.overall.to_string(), "68.00");
    }

    #[test]
    fn final_only_rounding_carries_exact_values() {
        let mut fw = ita_2564();
        fw.rounding = Rounding::FinalOnly;
        let card = score(
            &fw,
            &Inputs {
                given: seed_given(),
                ..Default::default()
            },
        )
        .unwrap();
        // 0.3·86.028 + 0.3·80.17333… + 0.4·45.335 = 67.99440 → 67.99
        assert_eq!(card.overall.to_string(), "67.99");
    }

    fn passed(codes: &[&str]) -> Option<BTreeSet<String>> {
        Some(codes.iter().map(|s| s.to_string()).collect())
    }

    #[test]
    fn oit_patterns_reproduce_71_92_and_18_75() {
        let fw = ita_2564();
        // 9.1: 8/9, 9.2: 2/8, 9.3: 6/7, 9.4: 4/4, 9.5: 3/5; 10.1: 3/8, 10.2: 0/2.
        let p = [
            "o1", "o2", "o3", "o4", "o5", "o6", "o7", "o8", "o10", "o11", "o18", "o19", "o20",
            "o21", "o22", "o23", "o25", "o26", "o27", "o28", "o29", "o30", "o31", "o34", "o35",
            "o36",
        ];
        let mut given = seed_given();
        given.remove(&9);
        given.remove(&10);
        let card = score(
            &fw,
            &Inputs {
                given,
                passed: passed(&p),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(card.indicators[&9].to_string(), "71.92");
        assert_eq!(card.indicators[&10].to_string(), "18.75");
        assert_eq!(card.subindicators["10.1"].to_string(), "37.50");
        assert_eq!(card.subindicators["9.1"].to_string(), "88.89");
        assert_eq!(card.items["o9"], Score::ZERO);
        assert_eq!(card.items["o1"], Score::HUNDRED);
        assert_eq!(card.overall.to_string(), "68.00");
    }

    #[test]
    fn survey_tallies_score_with_reverse_cells() {
        let fw = ita_2564();
        // i4 is yes/no with three reverse cells: "no" (index 0) scores 100.
        let mut t = ItemTally::new(3, 2);
        t.add(&[0, 0, 0]);
        t.add(&[1, 0, 0]);
        // cells: (100+0)/2=50, 100, 100 → mean 83.33…
        let x = survey_item_exact(&fw, "i4", &t).unwrap().unwrap();
        assert_eq!(Score::round_half_up(x).to_string(), "83.33");
        // i9 is a reverse four-level item: "least" (index 0) scores 100.
        let mut t = ItemTally::new(1, 4);
        t.add(&[0]);
        t.add(&[2]);
        let x = survey_item_exact(&fw, "i9", &t).unwrap().unwrap();
        assert_eq!(Score::round_half_up(x).to_string(), "66.67");
    }

    #[test]
    fn a_missing_indicator_is_an_error_not_a_zero() {
        let fw = ita_2564();
        let mut given = seed_given();
        given.remove(&3);
        assert_eq!(
            score(
                &fw,
                &Inputs {
                    given,
                    ..Default::default()
                }
            ),
            Err(ScoringError::MissingIndicator(3))
        );
    }

    #[test]
    fn unknown_checklist_item_is_refused() {
        let fw = ita_2564();
        let r = score(
            &fw,
            &Inputs {
                given: seed_given(),
                passed: passed(&["o99"]),
                ..Default::default()
            },
        );
        assert_eq!(r, Err(ScoringError::UnknownItem("o99".into())));
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use crate::framework::{Framework, ita_2564};
    use proptest::prelude::*;

    /// A tiny deterministic generator so one u64 seed describes a whole round.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }
    }

    /// (item, per-respondent choices per cell) for every survey item.
    type Answers = Vec<(String, Vec<Vec<usize>>)>;

    fn answers(fw: &Framework, seed: u64, respondents: usize) -> Answers {
        let mut rng = Rng(seed | 1);
        fw.items
            .iter()
            .filter_map(|it| match &it.kind {
                ItemKind::Survey { scale, cells } => {
                    let n = fw.scale(scale)?.options.len();
                    let rows = (0..respondents)
                        .map(|_| cells.iter().map(|_| rng.next(n)).collect())
                        .collect();
                    Some((it.code.clone(), rows))
                }
                _ => None,
            })
            .collect()
    }

    fn tallies(fw: &Framework, a: &Answers, reverse_order: bool) -> BTreeMap<String, ItemTally> {
        a.iter()
            .map(|(code, rows)| {
                let it = fw.item(code).unwrap();
                let ItemKind::Survey { scale, cells } = &it.kind else {
                    unreachable!()
                };
                let mut t = ItemTally::new(cells.len(), fw.scale(scale).unwrap().options.len());
                let mut rows: Vec<&Vec<usize>> = rows.iter().collect();
                if reverse_order {
                    rows.reverse();
                }
                for r in rows {
                    t.add(r);
                }
                (code.clone(), t)
            })
            .collect()
    }

    fn passes(fw: &Framework, seed: u64) -> BTreeSet<String> {
        let mut rng = Rng(seed.rotate_left(17) | 1);
        fw.checklist_items()
            .filter(|_| rng.next(2) == 1)
            .map(|i| i.code.clone())
            .collect()
    }

    fn card(fw: &Framework, t: BTreeMap<String, ItemTally>, p: BTreeSet<String>) -> Scorecard {
        score(
            fw,
            &Inputs {
                tallies: t,
                passed: Some(p),
                ..Default::default()
            },
        )
        .unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn scores_stay_within_0_and_100(seed in any::<u64>(), n in 1usize..12) {
            let fw = ita_2564();
            let c = card(&fw, tallies(&fw, &answers(&fw, seed, n), false), passes(&fw, seed));
            let all = c.items.values().chain(c.indicators.values()).chain(c.tools.values()).chain(Some(&c.overall));
            for s in all {
                prop_assert!(*s >= Score::ZERO && *s <= Score::HUNDRED);
            }
        }

        #[test]
        fn the_order_of_answers_does_not_matter(seed in any::<u64>(), n in 1usize..12) {
            let fw = ita_2564();
            let a = answers(&fw, seed, n);
            let p = passes(&fw, seed);
            prop_assert_eq!(card(&fw, tallies(&fw, &a, false), p.clone()), card(&fw, tallies(&fw, &a, true), p));
        }

        #[test]
        fn a_better_answer_never_lowers_a_score(seed in any::<u64>(), n in 1usize..8, pick in any::<u64>()) {
            let fw = ita_2564();
            let mut a = answers(&fw, seed, n);
            let p = passes(&fw, seed);
            let before = card(&fw, tallies(&fw, &a, false), p.clone());
            let mut rng = Rng(pick | 1);
            let i = rng.next(a.len());
            let (code, rows) = &mut a[i];
            let it = fw.item(code).unwrap();
            let ItemKind::Survey { scale, cells } = &it.kind else { unreachable!() };
            let scale = fw.scale(scale).unwrap();
            let r = rng.next(rows.len());
            let cidx = rng.next(cells.len());
            let current = scale.option_score(rows[r][cidx], cells[cidx].reverse).unwrap();
            // Move to the option with the highest score for this cell.
            let best = (0..scale.options.len()).max_by_key(|&o| scale.option_score(o, cells[cidx].reverse).unwrap()).unwrap();
            prop_assume!(scale.option_score(best, cells[cidx].reverse).unwrap() > current);
            rows[r][cidx] = best;
            let code = code.clone();
            let after = card(&fw, tallies(&fw, &a, false), p);
            prop_assert!(after.items[&code] >= before.items[&code]);
            let ind = it.indicator;
            prop_assert!(after.indicators[&ind] >= before.indicators[&ind]);
            prop_assert!(after.overall >= before.overall);
        }

        #[test]
        fn passing_one_more_item_never_lowers_a_score(seed in any::<u64>(), pick in any::<u64>()) {
            let fw = ita_2564();
            let t = tallies(&fw, &answers(&fw, seed, 3), false);
            let p = passes(&fw, seed);
            let failed: Vec<String> = fw.checklist_items().filter(|i| !p.contains(&i.code)).map(|i| i.code.clone()).collect();
            prop_assume!(!failed.is_empty());
            let before = card(&fw, t.clone(), p.clone());
            let mut more = p;
            more.insert(failed[(pick % failed.len() as u64) as usize].clone());
            let after = card(&fw, t, more);
            prop_assert!(after.tools["OIT"] >= before.tools["OIT"]);
            prop_assert!(after.overall >= before.overall);
        }

        #[test]
        fn indicator_level_and_item_level_inputs_agree(seed in any::<u64>(), n in 1usize..12) {
            let fw = ita_2564();
            let from_items = card(&fw, tallies(&fw, &answers(&fw, seed, n), false), passes(&fw, seed));
            let from_indicators = score(&fw, &Inputs { given: from_items.indicators.clone(), ..Default::default() }).unwrap();
            prop_assert_eq!(&from_items.tools, &from_indicators.tools);
            prop_assert_eq!(from_items.overall, from_indicators.overall);
            prop_assert_eq!(&from_items.level, &from_indicators.level);
        }
    }
}

impl Scorecard {
    /// The scoring contract's JSON, shared by `itas score --json` and the API:
    /// `{"framework","indicators","tools","overall","level","below_pass"}`, each
    /// score a JSON number with its exact two-decimal digits.
    pub fn contract_json(&self, fw: &Framework) -> serde_json::Value {
        let num = |s: Score| serde_json::to_value(s).unwrap_or(serde_json::Value::Null);
        let mut out = serde_json::Map::new();
        out.insert("framework".into(), self.framework.clone().into());
        let ind: serde_json::Map<String, serde_json::Value> = self
            .indicators
            .iter()
            .map(|(n, s)| (n.to_string(), num(*s)))
            .collect();
        out.insert("indicators".into(), ind.into());
        let tools: serde_json::Map<String, serde_json::Value> = fw
            .tools
            .iter()
            .filter_map(|t| self.tools.get(&t.code).map(|s| (t.code.clone(), num(*s))))
            .collect();
        out.insert("tools".into(), tools.into());
        out.insert("overall".into(), num(self.overall));
        out.insert("level".into(), self.level.clone().into());
        out.insert("level_th".into(), self.level_th.clone().into());
        if fw.result_rule == crate::framework::ResultRule::Conditions {
            out.insert("held_back_by".into(), self.held_back_by.clone().into());
        }
        let below: Vec<u32> = self
            .indicators
            .iter()
            .filter(|(_, s)| **s < fw.pass_mark)
            .map(|(n, _)| *n)
            .collect();
        out.insert("below_pass".into(), below.into());
        serde_json::Value::Object(out)
    }
}
