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
    /// Items and indicators are carried exact from the answers; tool scores
    /// are rounded and the overall is computed from the rounded tools (the
    /// one policy that fits every published 2564 row we hold, see
    /// shared/ita/current-framework.md §2).
    ToolsAndOverall,
}

/// The levels a value is published at on its way up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    Item,
    Indicator,
    Tool,
}

impl Rounding {
    /// Whether the next level up is computed from the value rounded at `stage`.
    pub fn rounds(self, stage: Stage) -> bool {
        match self {
            Rounding::Staged => true,
            Rounding::FinalOnly => false,
            Rounding::ToolsAndOverall => stage == Stage::Tool,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Rounding::Staged => "staged",
            Rounding::FinalOnly => "final-only",
            Rounding::ToolsAndOverall => "tools-and-overall",
        }
    }
}

/// How the overall result is named.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResultRule {
    /// Disjoint bands of the overall score (AA…F, 2564).
    Bands,
    /// Levels from the best down; the first whose conditions hold (overall at
    /// least `min`, and every tool at least `tool_floor`) is the result
    /// (ผ่านดีเยี่ยม / ผ่านดี / ผ่าน … from 2566).
    Conditions,
}

/// The result of one agency under the framework's rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome<'a> {
    pub level: &'a Level,
    /// The nearest better level whose overall condition holds, when tools
    /// below its floor hold the result back, with those tools.
    pub held_back: Option<(&'a Level, Vec<String>)>,
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
    pub name_en: String,
    /// Every tool must score at least this (conditions rule only).
    pub tool_floor: Option<Score>,
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

/// A fixed minimum for the agencies of one kind and size, as the NACC manual
/// sets the EIT minimum (อบต. S/M/L 30/40/50 …). It takes the place of the
/// tool's percentage rule for those agencies.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct MinSampleRow {
    pub tool: String,
    /// An agency kind code (`sao`, `subdistrict_municipality`, …).
    pub kind: String,
    /// A size code (`S`, `M`, `L` …); empty means every size of that kind.
    pub size: String,
    pub required: u32,
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
    /// How the answers of the tool's parts make its score (pooled when the
    /// tool has no parts).
    pub combine: Combine,
}

/// Who collects the answers of a survey part.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Collector {
    /// The agency, through its own link (the EIT's part 1).
    Agency,
    /// The central office itself, from people it invites (the EIT's part 2,
    /// collected by NACC staff in online sessions): the agency never sees its
    /// link, and sees its count only once collection has closed.
    Central,
}

impl Collector {
    pub fn code(self) -> &'static str {
        match self {
            Collector::Agency => "agency",
            Collector::Central => "central",
        }
    }
}

/// How a survey tool split in parts is scored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Combine {
    /// Every part's answers count as one sample (the default).
    #[default]
    Pooled,
    /// Each part is scored on its own and the part scores are weighted
    /// (each item's score is the weighted mean of the parts' item scores).
    Weighted,
}

impl Combine {
    pub fn code(self) -> &'static str {
        match self {
            Combine::Pooled => "pooled",
            Combine::Weighted => "weighted",
        }
    }
}

/// One part of a survey tool, collected on its own (its own links, counts,
/// minimum and data-quality decisions) and combined into the tool's score.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ToolPart {
    pub tool: String,
    /// 1, 2, …: part 1 keeps the tool's collection key (`EIT`), so links,
    /// counts and pages that knew the tool go on working; part N is `EIT.N`.
    pub number: u32,
    pub name_th: String,
    pub name_en: String,
    pub collected_by: Collector,
    /// The part's share of the tool's score (weighted tools only).
    #[serde(serialize_with = "ser_opt_exact")]
    pub weight: Option<Exact>,
    /// The minimum of parts after the first (part 1 has the tool's).
    pub min_sample: Option<MinSample>,
}

impl ToolPart {
    /// The key the part's answers are collected and counted under.
    pub fn key(&self) -> String {
        part_key(&self.tool, self.number)
    }
}

/// The collection key of part `number` of `tool`: the tool's own code for
/// part 1, `TOOL.N` after it.
pub fn part_key(tool: &str, number: u32) -> String {
    if number <= 1 {
        tool.to_string()
    } else {
        format!("{tool}.{number}")
    }
}

/// The tool a collection key belongs to (`EIT.2` → `EIT`).
pub fn tool_code(key: &str) -> &str {
    key.split_once('.').map_or(key, |(tool, _)| tool)
}

/// The part number a collection key names (1 for a tool's own code).
pub fn part_number(key: &str) -> Option<u32> {
    match key.split_once('.') {
        None => Some(1),
        Some((_, n)) => n.parse().ok().filter(|n| *n >= 2),
    }
}

/// One place a survey's answers are collected: a survey tool, or one part of
/// a tool split in parts.
#[derive(Clone, Copy, Debug)]
pub struct Collection<'a> {
    pub tool: &'a Tool,
    pub part: Option<&'a ToolPart>,
}

impl Collection<'_> {
    pub fn key(&self) -> String {
        self.part
            .map_or_else(|| self.tool.code.clone(), |p| p.key())
    }

    pub fn collected_by(&self) -> Collector {
        self.part.map_or(Collector::Agency, |p| p.collected_by)
    }

    pub fn name_th(&self) -> String {
        match self.part {
            Some(p) => format!("{} {}", self.tool.name_th, p.name_th),
            None => self.tool.name_th.clone(),
        }
    }

    pub fn name_en(&self) -> String {
        match self.part {
            Some(p) => format!("{} {}", self.tool.name_en, p.name_en),
            None => self.tool.name_en.clone(),
        }
    }
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
        /// Which fiscal year the evidence belongs to: the round's own ("plan"
        /// items) or the one before it ("report" items).
        year: YearRef,
        /// The agency's published itas page (its analysis of the last ITA
        /// result, its measures and their progress) can serve as this item's
        /// evidence: the OIT page offers it in one click.
        itas_page: bool,
    },
}

/// The fiscal year an OIT item's evidence refers to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum YearRef {
    /// The round's fiscal year (plans, current data).
    #[default]
    Current,
    /// The fiscal year before the round's (reports of what was done).
    Previous,
}

impl YearRef {
    /// The Buddhist-era fiscal year to look for on the evidence page.
    pub fn fiscal_year(self, round_year: i32) -> i32 {
        match self {
            YearRef::Current => round_year,
            YearRef::Previous => round_year - 1,
        }
    }
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
    pub result_rule: ResultRule,
    /// Parts not confirmed by an official NACC text: part → note. A round on
    /// such a framework shows a notice, and reports never present these parts
    /// as official.
    pub provisional: std::collections::BTreeMap<String, String>,
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
    /// Fixed minimum samples by agency kind and size, in file order.
    pub min_samples: Vec<MinSampleRow>,
    /// Survey tools split in parts, by tool in file order, parts numbered.
    pub parts: Vec<ToolPart>,
}

impl Framework {
    pub fn tool(&self, code: &str) -> Option<&Tool> {
        self.tools.iter().find(|t| t.code == code)
    }

    /// The parts of a tool (none when it is collected whole).
    pub fn parts_of<'a>(&'a self, tool: &'a str) -> impl Iterator<Item = &'a ToolPart> + 'a {
        self.parts.iter().filter(move |p| p.tool == tool)
    }

    /// Every place survey answers are collected, tool by tool, part by part.
    pub fn collections(&self) -> Vec<Collection<'_>> {
        let mut out = Vec::new();
        for tool in self.tools.iter().filter(|t| t.kind == ToolKind::Survey) {
            let mut parts = self.parts_of(&tool.code).peekable();
            if parts.peek().is_none() {
                out.push(Collection { tool, part: None });
            }
            out.extend(parts.map(|p| Collection {
                tool,
                part: Some(p),
            }));
        }
        out
    }

    /// The collection a key names (`EIT`, `EIT.2`), if the framework has it.
    pub fn collection(&self, key: &str) -> Option<Collection<'_>> {
        self.collections().into_iter().find(|c| c.key() == key)
    }

    /// The responses a collection (a tool, or one part of it) needs from an
    /// agency: the fixed minimum for its kind and size when the framework's
    /// table has one (a row for the size, else a row for the kind), otherwise
    /// the tool's (or the part's) percentage rule. Nobody can be asked for
    /// more answers than the stated population, once stated.
    pub fn required_sample(
        &self,
        tool: &str,
        kind: &str,
        size: &str,
        population: u32,
    ) -> Option<u32> {
        if let Some(row) = self.min_sample_row(tool, kind, size) {
            return Some(if population > 0 {
                row.required.min(population)
            } else {
                row.required
            });
        }
        let rule = match part_number(tool)? {
            1 => self.tool(tool)?.min_sample,
            n => {
                self.parts_of(tool_code(tool))
                    .find(|p| p.number == n)?
                    .min_sample
            }
        };
        rule.map(|m| m.required(population))
    }

    /// The table row that sets a tool's minimum for an agency, if any.
    pub fn min_sample_row(&self, tool: &str, kind: &str, size: &str) -> Option<&MinSampleRow> {
        let of_kind = || {
            self.min_samples
                .iter()
                .filter(move |r| r.tool == tool && r.kind == kind)
        };
        of_kind()
            .find(|r| !size.is_empty() && r.size == size)
            .or_else(|| of_kind().find(|r| r.size.is_empty()))
    }

    /// The size codes the minimum-sample table uses, in first-seen order.
    pub fn sizes(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for r in &self.min_samples {
            if !r.size.is_empty() && !out.contains(&r.size.as_str()) {
                out.push(&r.size);
            }
        }
        out
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

    /// The result of an overall score and tool scores under the framework's rule.
    pub fn result(
        &self,
        overall: Score,
        tools: &std::collections::BTreeMap<String, Score>,
    ) -> Outcome<'_> {
        match self.result_rule {
            ResultRule::Bands => Outcome {
                level: self.level_for(overall),
                held_back: None,
            },
            ResultRule::Conditions => {
                let below = |floor: Option<Score>| -> Vec<String> {
                    floor.map_or_else(Vec::new, |f| {
                        self.tools
                            .iter()
                            .filter(|t| tools.get(&t.code).is_some_and(|s| *s < f))
                            .map(|t| t.code.clone())
                            .collect()
                    })
                };
                let mut held_back = None;
                for l in &self.levels {
                    if overall < l.min {
                        continue;
                    }
                    let short = below(l.tool_floor);
                    if short.is_empty() {
                        return Outcome {
                            level: l,
                            held_back,
                        };
                    }
                    held_back = Some((l, short));
                }
                // Validation makes the last level always apply; be safe anyway.
                Outcome {
                    level: &self.levels[self.levels.len() - 1],
                    held_back,
                }
            }
        }
    }

    /// The level band holding `score` (bands rule; under the conditions rule,
    /// the first level whose overall condition holds, ignoring tool floors).
    pub fn level_for(&self, score: Score) -> &Level {
        if self.result_rule == ResultRule::Conditions {
            return self
                .levels
                .iter()
                .find(|l| score >= l.min)
                .unwrap_or(&self.levels[self.levels.len() - 1]);
        }
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

fn ser_opt_exact<S: serde::Serializer>(x: &Option<Exact>, s: S) -> Result<S::Ok, S::Error> {
    match x {
        Some(x) => ser_exact(x, s),
        None => s.serialize_none(),
    }
}

fn ser_exact<S: serde::Serializer>(x: &Exact, s: S) -> Result<S::Ok, S::Error> {
    if *x.denom() == 1 {
        s.serialize_str(&x.numer().to_string())
    } else {
        s.serialize_str(&format!("{}/{}", x.numer(), x.denom()))
    }
}
