//! An agency's result beside its earlier round's, when the two rounds ran on
//! different frameworks: tools and the overall always, indicators where their
//! names match (numbers move between editions), and the result by its own
//! year's rule.

use crate::exact::Score;
use crate::framework::Framework;
use crate::scoring::Scorecard;
use std::collections::BTreeMap;

/// How the result moved between the two rounds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResultChange {
    Better,
    Same,
    Worse,
    /// The rounds name results under different rules (AA…F and labels, or
    /// two label lists): each is shown under its own year's rule.
    DifferentRules,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YearComparison {
    pub same_framework: bool,
    /// This round's indicator number → the earlier score of the indicator
    /// with the same number (same framework) or the same name in the same tool.
    pub indicators: BTreeMap<u32, Score>,
    /// This round's indicators with no counterpart in the earlier round.
    pub unmatched: Vec<u32>,
    /// Earlier tool scores, by tool code (tools present in both rounds).
    pub tools: BTreeMap<String, Score>,
    pub overall: Score,
    pub level: String,
    pub level_th: String,
    pub change: ResultChange,
}

/// A name as compared: spaces collapsed, so a re-typed name still matches.
fn normalised(name: &str) -> String {
    name.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// This round's indicator number → the earlier round's number for the same
/// indicator: by number on the same framework, else by name within the tool.
pub fn matching_indicators(now: &Framework, before: &Framework) -> BTreeMap<u32, u32> {
    let mut out = BTreeMap::new();
    for i in &now.indicators {
        let other = if now.code == before.code {
            before.indicator(i.number)
        } else {
            let name = normalised(&i.name_th);
            before
                .indicators
                .iter()
                .find(|b| b.tool == i.tool && normalised(&b.name_th) == name)
        };
        if let Some(b) = other {
            out.insert(i.number, b.number);
        }
    }
    out
}

/// Whether two frameworks rank results on the same list of levels.
fn same_rule(now: &Framework, before: &Framework) -> bool {
    now.result_rule == before.result_rule
        && now.levels.len() == before.levels.len()
        && now
            .levels
            .iter()
            .zip(&before.levels)
            .all(|(a, b)| a.code == b.code)
}

pub fn compare_years(
    now_fw: &Framework,
    now: &Scorecard,
    before_fw: &Framework,
    before: &Scorecard,
) -> YearComparison {
    let map = matching_indicators(now_fw, before_fw);
    let mut indicators = BTreeMap::new();
    let mut unmatched = Vec::new();
    for i in &now_fw.indicators {
        match map.get(&i.number).and_then(|b| before.indicators.get(b)) {
            Some(s) => {
                indicators.insert(i.number, *s);
            }
            None => unmatched.push(i.number),
        }
    }
    let tools = now_fw
        .tools
        .iter()
        .filter_map(|t| Some((t.code.clone(), *before.tools.get(&t.code)?)))
        .collect();
    let rank = |fw: &Framework, code: &str| fw.levels.iter().position(|l| l.code == code);
    let change = if same_rule(now_fw, before_fw) {
        match (rank(now_fw, &now.level), rank(before_fw, &before.level)) {
            // Levels are listed from the best down.
            (Some(a), Some(b)) if a < b => ResultChange::Better,
            (Some(a), Some(b)) if a > b => ResultChange::Worse,
            (Some(_), Some(_)) => ResultChange::Same,
            _ => ResultChange::DifferentRules,
        }
    } else {
        ResultChange::DifferentRules
    };
    YearComparison {
        same_framework: now_fw.code == before_fw.code,
        indicators,
        unmatched,
        tools,
        overall: before.overall,
        level: before.level.clone(),
        level_th: before.level_th.clone(),
        change,
    }
}

/// The earlier result as a person reads it: a letter band as its letter, a
/// label by its name.
pub fn shown_level(level: &str, level_th: &str) -> String {
    if !level.is_empty() && level.chars().all(|c| c.is_ascii_uppercase()) {
        level.to_string()
    } else {
        level_th.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::{embedded, ita_2564};
    use crate::scoring::{Inputs, score};

    fn card(fw: &Framework, scores: &[i64]) -> Scorecard {
        let given = scores
            .iter()
            .enumerate()
            .map(|(i, h)| (i as u32 + 1, Score::from_hundredths(*h)))
            .collect();
        score(
            fw,
            &Inputs {
                given,
                ..Default::default()
            },
        )
        .unwrap()
    }

    #[test]
    fn indicators_are_matched_by_name_when_the_numbers_move() {
        let before = ita_2564();
        let mut now = embedded("ita-2569").unwrap();
        // A later edition that swaps indicators 1 and 2 and renames 3.
        now.indicators[0].name_th = before.indicators[1].name_th.clone();
        now.indicators[1].name_th = format!("  {}  ", before.indicators[0].name_th);
        now.indicators[2].name_th = "ตัวชี้วัดใหม่".into();
        let map = matching_indicators(&now, &before);
        assert_eq!(map.get(&1), Some(&2));
        assert_eq!(map.get(&2), Some(&1), "spaces do not matter");
        assert_eq!(map.get(&3), None, "a renamed indicator has no counterpart");
        assert_eq!(map.get(&10), Some(&10));
        // The same framework lines up by number, whatever the names.
        assert_eq!(matching_indicators(&before, &before).len(), 10);
    }

    #[test]
    fn a_result_is_compared_under_each_years_own_rule() {
        let fw64 = ita_2564();
        let fw69 = embedded("ita-2569").unwrap();
        let before = card(&fw64, &[9000; 10]);
        let now = card(&fw69, &[9600; 10]);
        let c = compare_years(&fw69, &now, &fw64, &before);
        assert!(!c.same_framework);
        assert_eq!(c.change, ResultChange::DifferentRules);
        assert_eq!(c.overall, Score::from_hundredths(9000));
        assert_eq!(c.tools.len(), 3);
        assert_eq!(c.indicators.len(), 10);
        assert_eq!(shown_level(&c.level, &c.level_th), before.level);

        // Same rule: better, same, worse by the level order.
        let pass = card(
            &fw69,
            &[9000, 9000, 9000, 9000, 9000, 8400, 8400, 8400, 9000, 9000],
        );
        let good = card(&fw69, &[9000; 10]);
        assert_eq!(pass.level, "pass");
        assert_eq!(good.level, "good");
        let fw68 = embedded("ita-2568").unwrap();
        assert_eq!(
            compare_years(&fw69, &good, &fw68, &pass).change,
            ResultChange::Better
        );
        assert_eq!(
            compare_years(&fw69, &pass, &fw68, &good).change,
            ResultChange::Worse
        );
        assert_eq!(
            compare_years(&fw69, &good, &fw68, &good).change,
            ResultChange::Same
        );
    }
}
