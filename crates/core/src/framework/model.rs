//! A validated framework: the instrument of one assessment round.
//!
//! Built only by [`super::parse`], so every value here has passed the rules
//! (weights sum to 1, bands cover 0–100, every indicator has items, …).

use crate::exact::{Exact, Score};

/// How published values are rounded on the way up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rounding {
    /// Each published level (item, indicator, tool, overall) is rounded to two
    /// decimals and the next level is computed from the rounded values (NACC).
    Staged,
    /// Exact values are carried up; only what is shown is rounded.
    FinalOnly,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ToolKind {
    /// Perception survey answered by respondents (IIT, EIT).
    Survey,
    /// Pass/fail checklist judged by assessors (OIT).
    Checklist,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Level {
    pub code: String,
    pub min: Score,
    pub max: Score,
    pub name_th: String,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ScaleOption {
    pub code: String,
    pub th: String,
    pub en: String,
    #[serde(serialize_with = "ser_exact")]
    pub score: Exact,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Scale {
    pub code: String,
    pub options: Vec<ScaleOption>,
}

impl Scale {
    /// The score of option `index` in a cell, mirrored for reverse-scored cells.
    pub fn option_score(&self, index: usize, reverse: bool) -> Option<Exact> {
        let n = self.options.len();
        let i = if reverse {
            n.checked_sub(1 + index)?
        } else {
            index
        };
        self.options.get(i).map(|o| o.score)
    }

    pub fn option_index(&self, code: &str) -> Option<usize> {
        self.options.iter().position(|o| o.code == code)
    }
}

/// Minimum responses: `percent` of the population, at least `at_least`
/// (everyone when the population is smaller), at most `at_most`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct MinSample {
    pub percent: u32,
    pub at_least: u32,
    pub at_most: Option<u32>,
}

impl MinSample {
    pub fn required(&self, population: u32) -> u32 {
        let share = (u64::from(population) * u64::from(self.percent)).div_ceil(100);
        let share = u32::try_from(share).unwrap_or(u32::MAX);
        let mut n = share.max(self.at_least);
        if let Some(cap) = self.at_most {
            n = n.min(cap);
        }
        n.min(population)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Tool {
    pub code: String,
    pub kind: ToolKind,
    #[serde(serialize_with = "ser_exact")]
    pub weight: Exact,
    pub name_th: String,
    pub name_en: String,
    pub min_sample: Option<MinSample>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Indicator {
    pub number: u32,
    pub tool: String,
    pub name_th: String,
    pub name_en: String,
    /// Advice the analysis report attaches when this indicator is weak.
    pub suggestion_th: String,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SubIndicator {
    pub code: String,
    pub indicator: u32,
    pub name_th: String,
    pub name_en: String,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Cell {
    pub th: String,
    pub en: String,
    pub reverse: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum ItemKind {
    Survey {
        scale: String,
        cells: Vec<Cell>,
    },
    Checklist {
        requirement_th: String,
        keywords: Vec<String>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Item {
    pub code: String,
    pub indicator: u32,
    pub subindicator: Option<String>,
    pub th: String,
    pub en: String,
    #[serde(flatten)]
    pub kind: ItemKind,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Framework {
    pub code: String,
    pub fiscal_year: u32,
    pub name_th: String,
    pub name_en: String,
    pub rounding: Rounding,
    pub pass_mark: Score,
    pub national_target_percent: u32,
    /// Highest band first.
    pub levels: Vec<Level>,
    pub scales: Vec<Scale>,
    pub tools: Vec<Tool>,
    /// Sorted by number.
    pub indicators: Vec<Indicator>,
    pub subindicators: Vec<SubIndicator>,
    pub items: Vec<Item>,
}

impl Framework {
    pub fn tool(&self, code: &str) -> Option<&Tool> {
        self.tools.iter().find(|t| t.code == code)
    }

    pub fn indicator(&self, number: u32) -> Option<&Indicator> {
        self.indicators.iter().find(|i| i.number == number)
    }

    pub fn item(&self, code: &str) -> Option<&Item> {
        self.items.iter().find(|i| i.code == code)
    }

    pub fn scale(&self, code: &str) -> Option<&Scale> {
        self.scales.iter().find(|s| s.code == code)
    }

    pub fn subindicator(&self, code: &str) -> Option<&SubIndicator> {
        self.subindicators.iter().find(|s| s.code == code)
    }

    pub fn indicators_of<'a>(&'a self, tool: &'a str) -> impl Iterator<Item = &'a Indicator> + 'a {
        self.indicators.iter().filter(move |i| i.tool == tool)
    }

    pub fn items_of(&self, indicator: u32) -> impl Iterator<Item = &Item> + '_ {
        self.items.iter().filter(move |i| i.indicator == indicator)
    }

    pub fn subindicators_of(&self, indicator: u32) -> impl Iterator<Item = &SubIndicator> + '_ {
        self.subindicators
            .iter()
            .filter(move |s| s.indicator == indicator)
    }

    pub fn items_of_sub<'a>(&'a self, sub: &'a str) -> impl Iterator<Item = &'a Item> + 'a {
        self.items
            .iter()
            .filter(move |i| i.subindicator.as_deref() == Some(sub))
    }

    pub fn tool_of_indicator(&self, number: u32) -> Option<&Tool> {
        self.indicator(number).and_then(|i| self.tool(&i.tool))
    }

    /// The level band holding `score`.
    pub fn level_for(&self, score: Score) -> &Level {
        self.levels
            .iter()
            .find(|l| score >= l.min && score <= l.max)
            // Bands are validated to cover 0–100; clamp anything outside.
            .unwrap_or_else(|| {
                if score > Score::HUNDRED {
                    &self.levels[0]
                } else {
                    &self.levels[self.levels.len() - 1]
                }
            })
    }

    /// Checklist items, in file order.
    pub fn checklist_items(&self) -> impl Iterator<Item = &Item> + '_ {
        self.items
            .iter()
            .filter(|i| matches!(i.kind, ItemKind::Checklist { .. }))
    }
}

fn ser_exact<S: serde::Serializer>(x: &Exact, s: S) -> Result<S::Ok, S::Error> {
    if *x.denom() == 1 {
        s.serialize_str(&x.numer().to_string())
    } else {
        s.serialize_str(&format!("{}/{}", x.numer(), x.denom()))
    }
}
