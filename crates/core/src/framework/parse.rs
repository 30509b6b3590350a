//! Reading a framework file: TOML → raw structs with positions → validated model.
//!
//! Every problem is reported with the file, line and column it comes from, and
//! all problems are reported at once, so an author fixes a file in one pass.

use super::model::*;
use crate::exact::{Exact, Score, exact, parse_decimal};
use num_traits::{One, Zero};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use toml::Spanned;

/// One problem in a framework file, said in English and in Thai.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: usize,
    pub column: usize,
    pub message: String,
    pub message_th: String,
}

/// Why a framework file was refused: every problem found, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameworkError {
    pub file: String,
    pub problems: Vec<Problem>,
}

impl fmt::Display for FrameworkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{}:{}:{}: {}", self.file, p.line, p.column, p.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for FrameworkError {}

impl FrameworkError {
    /// Every problem in Thai, one a line, each after its place in the file
    /// (the English of [`fmt::Display`] is for logs and the command line).
    pub fn in_thai(&self) -> String {
        self.problems
            .iter()
            .map(|p| {
                format!(
                    "{} บรรทัด {} คอลัมน์ {}: {}",
                    self.file, p.line, p.column, p.message_th
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// A number as a framework author may write it: `30`, `0.30`, `"33.33"` or `"100/3"`.
/// A TOML float is read back through its shortest decimal form, which is the
/// literal the author wrote, so `0.30` means exactly 3/10.
#[derive(Deserialize, Debug, Clone)]
#[serde(untagged)]
enum RawNumber {
    Int(i64),
    Float(f64),
    Text(String),
}

impl RawNumber {
    fn exact(&self) -> Option<Exact> {
        match self {
            RawNumber::Int(i) => Some(exact(i128::from(*i))),
            RawNumber::Float(f) if f.is_finite() => parse_decimal(&format!("{f}")),
            RawNumber::Float(_) => None,
            RawNumber::Text(s) => parse_decimal(s),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFramework {
    code: Spanned<String>,
    fiscal_year: u32,
    name_th: String,
    #[serde(default)]
    name_en: String,
    #[serde(default = "default_rounding")]
    rounding: Rounding,
    #[serde(default = "default_rule")]
    result_rule: Spanned<ResultRule>,
    #[serde(default)]
    provisional: BTreeMap<String, String>,
    pass_mark: Spanned<RawNumber>,
    #[serde(default = "default_target")]
    national_target_percent: u32,
    #[serde(default)]
    levels: Vec<Spanned<RawLevel>>,
    #[serde(default)]
    scales: BTreeMap<String, Spanned<RawScale>>,
    #[serde(default)]
    tools: Vec<Spanned<RawTool>>,
    #[serde(default)]
    indicators: Vec<Spanned<RawIndicator>>,
    #[serde(default)]
    subindicators: Vec<Spanned<RawSubIndicator>>,
    #[serde(default)]
    items: Vec<Spanned<RawItem>>,
    #[serde(default)]
    min_samples: Vec<Spanned<RawMinSampleRow>>,
    #[serde(default)]
    parts: Vec<Spanned<RawPart>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPart {
    tool: String,
    number: u32,
    name_th: String,
    #[serde(default)]
    name_en: String,
    collected_by: Collector,
    weight: Option<RawNumber>,
    min_sample: Option<RawMinSample>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMinSampleRow {
    tool: String,
    kind: String,
    #[serde(default)]
    size: String,
    required: u32,
}

fn default_rounding() -> Rounding {
    Rounding::Staged
}
fn default_rule() -> Spanned<ResultRule> {
    Spanned::new(0..0, ResultRule::Bands)
}

impl<'de> Deserialize<'de> for ResultRule {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        match s.as_str() {
            "bands" => Ok(ResultRule::Bands),
            "conditions" => Ok(ResultRule::Conditions),
            other => Err(serde::de::Error::custom(format!(
                "unknown result rule '{other}' (expected 'bands' or 'conditions')"
            ))),
        }
    }
}
fn default_target() -> u32 {
    80
}

impl<'de> Deserialize<'de> for Rounding {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        match s.as_str() {
            "staged" => Ok(Rounding::Staged),
            "final-only" => Ok(Rounding::FinalOnly),
            "tools-and-overall" => Ok(Rounding::ToolsAndOverall),
            other => Err(serde::de::Error::custom(format!(
                "unknown rounding policy '{other}' (expected 'staged', 'final-only' or 'tools-and-overall')"
            ))),
        }
    }
}

impl<'de> Deserialize<'de> for ToolKind {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        match s.as_str() {
            "survey" => Ok(ToolKind::Survey),
            "checklist" => Ok(ToolKind::Checklist),
            other => Err(serde::de::Error::custom(format!(
                "unknown tool kind '{other}' (expected 'survey' or 'checklist')"
            ))),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLevel {
    code: String,
    min: RawNumber,
    /// Bands only; a conditions level runs to 100.
    max: Option<RawNumber>,
    #[serde(default)]
    name_th: String,
    #[serde(default)]
    name_en: String,
    /// Conditions only: every tool must score at least this.
    tool_floor: Option<RawNumber>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScale {
    options: Vec<Spanned<RawOption>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOption {
    code: String,
    th: String,
    #[serde(default)]
    en: String,
    score: RawNumber,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTool {
    code: String,
    kind: ToolKind,
    weight: RawNumber,
    name_th: String,
    #[serde(default)]
    name_en: String,
    min_sample: Option<RawMinSample>,
    #[serde(default)]
    combine: Combine,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMinSample {
    percent: u32,
    #[serde(default)]
    at_least: u32,
    at_most: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndicator {
    number: u32,
    tool: String,
    name_th: String,
    #[serde(default)]
    name_en: String,
    #[serde(default)]
    suggestion_th: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSubIndicator {
    code: String,
    indicator: u32,
    name_th: String,
    #[serde(default)]
    name_en: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawItem {
    code: String,
    indicator: Option<u32>,
    subindicator: Option<String>,
    th: String,
    #[serde(default)]
    en: String,
    /// Survey items: the answer type (a scale defined under `[scales]`).
    answer: Option<String>,
    #[serde(default)]
    reverse: bool,
    cells: Option<Vec<RawCell>>,
    /// Checklist items: what the assessor looks for.
    requirement_th: Option<String>,
    #[serde(default)]
    keywords: Vec<String>,
    /// Checklist items: "current" (default) or "previous" fiscal year.
    year: Option<String>,
    /// Checklist items: the agency's published itas page is evidence for it.
    #[serde(default)]
    itas_page: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCell {
    th: String,
    #[serde(default)]
    en: String,
    #[serde(default)]
    reverse: bool,
}

/// Collects problems with their positions while validating.
struct Checker<'a> {
    source: &'a str,
    problems: Vec<Problem>,
}

impl Checker<'_> {
    fn at(&mut self, offset: usize, en: impl Into<String>, th: impl Into<String>) {
        let (line, column) = line_col(self.source, offset);
        self.problems.push(Problem {
            line,
            column,
            message: en.into(),
            message_th: th.into(),
        });
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(source: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(source.len());
    let before = &source[..source.floor_char_boundary(offset)];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// Parses and validates a framework file. `file` names it in messages.
pub fn parse(file: &str, source: &str) -> Result<Framework, FrameworkError> {
    let fail = |problems| FrameworkError {
        file: file.to_string(),
        problems,
    };
    let raw: RawFramework = match toml::from_str(source) {
        Ok(r) => r,
        Err(e) => {
            let offset = e.span().map_or(0, |s| s.start);
            let (line, column) = line_col(source, offset);
            let message = e.message().trim().to_string();
            // The TOML reader's own words are English only; say in Thai what
            // kind of mistake it is and keep its detail.
            let message_th = format!("เขียนไม่ถูกรูปแบบ TOML: {message}");
            return Err(fail(vec![Problem {
                line,
                column,
                message,
                message_th,
            }]));
        }
    };
    let mut c = Checker {
        source,
        problems: Vec::new(),
    };
    let fw = build(&raw, &mut c);
    if c.problems.is_empty() {
        Ok(fw)
    } else {
        c.problems.sort_by_key(|p| (p.line, p.column));
        c.problems.dedup();
        Err(fail(c.problems))
    }
}

fn build(raw: &RawFramework, c: &mut Checker<'_>) -> Framework {
    if raw.code.get_ref().trim().is_empty() {
        c.at(
            raw.code.span().start,
            "framework code is empty",
            "ไม่ได้ใส่รหัสกรอบการประเมิน (code)",
        );
    }
    let pass_mark = score_field(
        c,
        raw.pass_mark.span().start,
        raw.pass_mark.get_ref(),
        ("pass_mark", "เกณฑ์ผ่าน (pass_mark)"),
    );
    if raw.national_target_percent > 100 {
        c.at(
            0,
            "national_target_percent must be 0 to 100",
            "national_target_percent ต้องอยู่ระหว่าง 0 ถึง 100",
        );
    }

    let levels = build_levels(raw, c);
    let scales = build_scales(raw, c);
    let tools = build_tools(raw, c);
    let indicators = build_indicators(raw, c, &tools);
    let subindicators = build_subindicators(raw, c, &tools, &indicators);
    let items = build_items(raw, c, &tools, &indicators, &subindicators, &scales);
    check_coverage(raw, c, &tools, &indicators, &subindicators, &items);
    let parts = build_parts(raw, c, &tools);
    let min_samples = build_min_samples(raw, c, &tools, &parts);

    Framework {
        code: raw.code.get_ref().clone(),
        fiscal_year: raw.fiscal_year,
        name_th: raw.name_th.clone(),
        name_en: raw.name_en.clone(),
        rounding: raw.rounding,
        result_rule: *raw.result_rule.get_ref(),
        provisional: raw.provisional.clone(),
        pass_mark,
        national_target_percent: raw.national_target_percent,
        levels,
        scales,
        tools,
        indicators,
        subindicators,
        items,
        min_samples,
        parts,
    }
}

/// A survey tool's parts: numbered 1, 2, … with no gap, at least two, the
/// first taking the tool's own minimum; weights on every part summing to 1
/// exactly when the tool combines its parts by weight, and on none otherwise.
fn build_parts(raw: &RawFramework, c: &mut Checker<'_>, tools: &[Tool]) -> Vec<ToolPart> {
    let mut out: Vec<ToolPart> = Vec::new();
    for part in &raw.parts {
        let at = part.span().start;
        let r = part.get_ref();
        match tools.iter().find(|t| t.code == r.tool) {
            None => c.at(
                at,
                format!("parts: unknown tool '{}'", r.tool),
                format!("parts: ไม่มีเครื่องมือ '{}'", r.tool),
            ),
            Some(t) if t.kind != ToolKind::Survey => c.at(
                at,
                format!("parts: tool '{}' is not a survey", r.tool),
                format!("parts: เครื่องมือ '{}' ไม่ใช่แบบสำรวจ", r.tool),
            ),
            Some(_) => {}
        }
        let expected = out.iter().filter(|p| p.tool == r.tool).count() + 1;
        if r.number as usize != expected {
            c.at(
                at,
                format!(
                    "parts: part {} of {} should be part {expected} (parts are numbered 1, 2, … in order)",
                    r.number, r.tool
                ),
                format!(
                    "parts: ส่วนที่ {} ของ {} ควรเป็นส่วนที่ {expected} (เรียงเลขส่วน 1, 2, … ตามลำดับ)",
                    r.number, r.tool
                ),
            );
        }
        if r.name_th.trim().is_empty() {
            c.at(
                at,
                format!("parts: part {} of {} has no Thai name", r.number, r.tool),
                format!("parts: ส่วนที่ {} ของ {} ไม่มีชื่อภาษาไทย", r.number, r.tool),
            );
        }
        if r.number == 1 && r.min_sample.is_some() {
            c.at(
                at,
                format!(
                    "parts: part 1 of {} takes the tool's min_sample; give it there",
                    r.tool
                ),
                format!(
                    "parts: ส่วนที่ 1 ของ {} ใช้ min_sample ของเครื่องมือ ให้ระบุไว้ที่เครื่องมือ",
                    r.tool
                ),
            );
        }
        let weight = r.weight.as_ref().map(|w| match w.exact() {
            Some(w) if w > Exact::zero() && w <= Exact::one() => w,
            _ => {
                c.at(
                    at,
                    format!(
                        "parts: part {} of {}: weight must be above 0 and at most 1",
                        r.number, r.tool
                    ),
                    format!(
                        "parts: ส่วนที่ {} ของ {}: น้ำหนักต้องมากกว่า 0 และไม่เกิน 1",
                        r.number, r.tool
                    ),
                );
                Exact::zero()
            }
        });
        let min_sample = r.min_sample.as_ref().map(|m| {
            let whose = (
                format!("{} part {}", r.tool, r.number),
                format!("{} ส่วนที่ {}", r.tool, r.number),
            );
            min_sample_rule(c, at, (&whose.0, &whose.1), m)
        });
        out.push(ToolPart {
            tool: r.tool.clone(),
            number: r.number,
            name_th: r.name_th.clone(),
            name_en: r.name_en.clone(),
            collected_by: r.collected_by,
            weight,
            min_sample,
        });
    }
    for t in tools {
        let at = raw
            .tools
            .iter()
            .find(|r| r.get_ref().code == t.code)
            .map_or(0, |r| r.span().start);
        let parts: Vec<&ToolPart> = out.iter().filter(|p| p.tool == t.code).collect();
        if parts.len() == 1 {
            c.at(
                at,
                format!(
                    "tool {}: one part is no split; give two parts or none",
                    t.code
                ),
                format!(
                    "เครื่องมือ {}: มีส่วนเดียวไม่ใช่การแบ่งส่วน ให้ระบุอย่างน้อยสองส่วนหรือไม่ระบุเลย",
                    t.code
                ),
            );
        }
        match t.combine {
            Combine::Pooled => {
                if parts.iter().any(|p| p.weight.is_some()) {
                    c.at(
                        at,
                        format!(
                            "tool {}: its parts are pooled, so they take no weight (set combine = \"weighted\" to weight them)",
                            t.code
                        ),
                        format!(
                            "เครื่องมือ {}: รวมคำตอบทุกส่วนเข้าด้วยกัน (pooled) จึงไม่ใช้น้ำหนักของส่วน (ตั้ง combine = \"weighted\" หากจะถ่วงน้ำหนัก)",
                            t.code
                        ),
                    );
                }
            }
            Combine::Weighted => {
                if parts.is_empty() {
                    c.at(
                        at,
                        format!("tool {}: combine = \"weighted\" needs [[parts]]", t.code),
                        format!(
                            "เครื่องมือ {}: combine = \"weighted\" ต้องมี [[parts]] ของเครื่องมือนี้",
                            t.code
                        ),
                    );
                } else if parts.iter().any(|p| p.weight.is_none()) {
                    c.at(
                        at,
                        format!("tool {}: every part needs a weight", t.code),
                        format!("เครื่องมือ {}: ทุกส่วนต้องมีน้ำหนัก", t.code),
                    );
                } else {
                    let sum: Exact = parts.iter().filter_map(|p| p.weight).sum();
                    if sum != Exact::one() {
                        c.at(
                            at,
                            format!(
                                "tool {}: part weights sum to {} instead of 1",
                                t.code,
                                show_exact(sum)
                            ),
                            format!(
                                "เครื่องมือ {}: น้ำหนักของส่วนรวมกันได้ {} แทนที่จะเป็น 1",
                                t.code,
                                show_exact(sum)
                            ),
                        );
                    }
                }
            }
        }
    }
    out
}

/// A percentage minimum as written, checked.
fn min_sample_rule(
    c: &mut Checker<'_>,
    at: usize,
    (whose, whose_th): (&str, &str),
    m: &RawMinSample,
) -> MinSample {
    if m.percent > 100 {
        c.at(
            at,
            format!("{whose}: min_sample.percent must be 0 to 100"),
            format!("{whose_th}: min_sample.percent ต้องอยู่ระหว่าง 0 ถึง 100"),
        );
    }
    if let Some(cap) = m.at_most
        && cap < m.at_least
    {
        c.at(
            at,
            format!("{whose}: min_sample.at_most is below at_least"),
            format!("{whose_th}: min_sample.at_most น้อยกว่า at_least"),
        );
    }
    MinSample {
        percent: m.percent,
        at_least: m.at_least,
        at_most: m.at_most,
    }
}

/// The fixed minimum table: a survey tool, a known agency kind, a short size
/// code, a positive number, and one row per tool, kind and size.
fn build_min_samples(
    raw: &RawFramework,
    c: &mut Checker<'_>,
    tools: &[Tool],
    parts: &[ToolPart],
) -> Vec<MinSampleRow> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for row in &raw.min_samples {
        let at = row.span().start;
        let r = row.get_ref();
        // A later part's table is keyed by the part (`EIT.2`).
        let is_part = super::model::part_number(&r.tool).is_some_and(|n| n >= 2);
        if is_part && !parts.iter().any(|p| p.key() == r.tool) {
            c.at(
                at,
                format!("min_samples: unknown part '{}'", r.tool),
                format!("min_samples: ไม่มีส่วน '{}' ใน [[parts]]", r.tool),
            );
        }
        match tools
            .iter()
            .find(|t| t.code == super::model::tool_code(&r.tool))
        {
            None => c.at(
                at,
                format!("min_samples: unknown tool '{}'", r.tool),
                format!("min_samples: ไม่มีเครื่องมือ '{}'", r.tool),
            ),
            Some(t) if t.kind != ToolKind::Survey => c.at(
                at,
                format!("min_samples: tool '{}' is not a survey", r.tool),
                format!("min_samples: เครื่องมือ '{}' ไม่ใช่แบบสำรวจ", r.tool),
            ),
            Some(_) => {}
        }
        if r.kind.parse::<crate::directory::AgencyKind>().is_err() {
            let known = crate::directory::AgencyKind::ALL
                .iter()
                .map(|k| k.code())
                .collect::<Vec<_>>()
                .join(", ");
            c.at(
                at,
                format!(
                    "min_samples: unknown agency kind '{}' (expected one of {known})",
                    r.kind
                ),
                format!("min_samples: ไม่มีประเภทหน่วยงาน '{}' (ใช้ได้: {known})", r.kind),
            );
        }
        let size = r.size.trim();
        if size.chars().count() > 8 || size.chars().any(|ch| !ch.is_alphanumeric()) {
            c.at(
                at,
                format!(
                    "min_samples: size '{}' must be a short code such as S, M or L",
                    r.size
                ),
                format!(
                    "min_samples: ขนาด '{}' ต้องเป็นรหัสสั้น ๆ เช่น S, M หรือ L",
                    r.size
                ),
            );
        }
        if r.required == 0 {
            c.at(
                at,
                "min_samples: required must be at least 1",
                "min_samples: จำนวนที่ต้องได้ (required) ต้องไม่น้อยกว่า 1",
            );
        }
        if !seen.insert((r.tool.clone(), r.kind.clone(), size.to_string())) {
            c.at(
                at,
                format!(
                    "min_samples: a second row for {} {} size '{}'",
                    r.tool, r.kind, size
                ),
                format!(
                    "min_samples: มีแถวของ {} {} ขนาด '{}' ซ้ำ",
                    r.tool, r.kind, size
                ),
            );
        }
        out.push(MinSampleRow {
            tool: r.tool.clone(),
            kind: r.kind.clone(),
            size: size.to_string(),
            required: r.required,
        });
    }
    out
}

/// A level's score fields, named in both languages in its problems.
#[derive(Clone, Copy)]
enum LevelField {
    Min,
    Max,
    ToolFloor,
}

/// A level's `min`, `max` or `tool_floor`, checked as a score.
fn level_field(
    c: &mut Checker<'_>,
    at: usize,
    n: &RawNumber,
    code: &str,
    field: LevelField,
) -> Score {
    let (en, th) = match field {
        LevelField::Min => ("min", "คะแนนต่ำสุด (min)"),
        LevelField::Max => ("max", "คะแนนสูงสุด (max)"),
        LevelField::ToolFloor => ("tool_floor", "คะแนนขั้นต่ำรายเครื่องมือ (tool_floor)"),
    };
    score_field(
        c,
        at,
        n,
        (
            &format!("level {code} {en}"),
            &format!("{th} ของระดับ {code}"),
        ),
    )
}

/// `what` names the field in English and in Thai.
fn score_field(c: &mut Checker<'_>, at: usize, n: &RawNumber, what: (&str, &str)) -> Score {
    let (en, th) = what;
    match n.exact() {
        None => {
            c.at(
                at,
                format!("{en} is not a number"),
                format!("{th} ไม่ใช่ตัวเลข"),
            );
            Score::ZERO
        }
        Some(x) => {
            let h = x * exact(100);
            if !h.is_integer() {
                c.at(
                    at,
                    format!("{en} has more than two decimals"),
                    format!("{th} มีทศนิยมเกินสองตำแหน่ง"),
                );
                Score::ZERO
            } else if h < Exact::zero() || h > exact(10_000) {
                c.at(
                    at,
                    format!("{en} must be between 0 and 100"),
                    format!("{th} ต้องอยู่ระหว่าง 0 ถึง 100"),
                );
                Score::ZERO
            } else {
                Score::from_hundredths(h.to_integer() as i64)
            }
        }
    }
}

fn build_levels(raw: &RawFramework, c: &mut Checker<'_>) -> Vec<Level> {
    if raw.levels.is_empty() {
        c.at(
            0,
            "no level bands: add [[levels]] covering 0 to 100",
            "ไม่มีระดับผลการประเมิน: เพิ่ม [[levels]] ให้ครอบคลุม 0 ถึง 100",
        );
        return Vec::new();
    }
    if *raw.result_rule.get_ref() == ResultRule::Conditions {
        return build_condition_levels(raw, c);
    }
    let mut seen = BTreeSet::new();
    let mut levels: Vec<(usize, Level)> = Vec::new();
    for l in &raw.levels {
        let at = l.span().start;
        let r = l.get_ref();
        if !seen.insert(r.code.clone()) {
            c.at(
                at,
                format!("duplicate level code '{}'", r.code),
                format!("รหัสระดับ '{}' ซ้ำ", r.code),
            );
        }
        let min = level_field(c, at, &r.min, &r.code, LevelField::Min);
        let max = match &r.max {
            Some(m) => level_field(c, at, m, &r.code, LevelField::Max),
            None => {
                c.at(
                    at,
                    format!("level {} has no max (bands need min and max)", r.code),
                    format!("ระดับ {} ไม่มี max (ช่วงคะแนนต้องมีทั้ง min และ max)", r.code),
                );
                Score::ZERO
            }
        };
        if r.tool_floor.is_some() {
            c.at(
                at,
                format!(
                    "level {}: tool_floor needs result_rule = \"conditions\"",
                    r.code
                ),
                format!(
                    "ระดับ {}: ใช้ tool_floor ได้เมื่อ result_rule = \"conditions\" เท่านั้น",
                    r.code
                ),
            );
        }
        if min > max {
            c.at(
                at,
                format!("level {}: min {min} is above max {max}", r.code),
                format!("ระดับ {}: min {min} สูงกว่า max {max}", r.code),
            );
        }
        levels.push((
            at,
            Level {
                code: r.code.clone(),
                min,
                max,
                name_th: r.name_th.clone(),
                name_en: r.name_en.clone(),
                tool_floor: None,
            },
        ));
    }
    levels.sort_by_key(|l| std::cmp::Reverse(l.1.min));
    if let Some((at, top)) = levels.first()
        && top.max != Score::HUNDRED
    {
        c.at(
            *at,
            format!(
                "the highest level {} must end at 100, not {}",
                top.code, top.max
            ),
            format!("ระดับสูงสุด {} ต้องสิ้นสุดที่ 100 ไม่ใช่ {}", top.code, top.max),
        );
    }
    if let Some((at, bottom)) = levels.last()
        && bottom.min != Score::ZERO
    {
        c.at(
            *at,
            format!(
                "the lowest level {} must start at 0, not {}",
                bottom.code, bottom.min
            ),
            format!("ระดับต่ำสุด {} ต้องเริ่มที่ 0 ไม่ใช่ {}", bottom.code, bottom.min),
        );
    }
    for pair in levels.windows(2) {
        let (hi_at, hi) = &pair[0];
        let (_, lo) = &pair[1];
        let next = lo.max.hundredths() + 1;
        if next < hi.min.hundredths() {
            c.at(
                *hi_at,
                format!(
                    "gap between levels {} (to {}) and {} (from {})",
                    lo.code, lo.max, hi.code, hi.min
                ),
                format!(
                    "ช่วงคะแนนขาดตอนระหว่างระดับ {} (ถึง {}) และ {} (ตั้งแต่ {})",
                    lo.code, lo.max, hi.code, hi.min
                ),
            );
        } else if next > hi.min.hundredths() {
            c.at(
                *hi_at,
                format!(
                    "levels {} (to {}) and {} (from {}) overlap",
                    lo.code, lo.max, hi.code, hi.min
                ),
                format!(
                    "ระดับ {} (ถึง {}) และ {} (ตั้งแต่ {}) มีช่วงคะแนนทับกัน",
                    lo.code, lo.max, hi.code, hi.min
                ),
            );
        }
    }
    levels.into_iter().map(|(_, l)| l).collect()
}

/// Levels of the conditions rule, in file order (best first): each needs the
/// overall at least `min` and, with `tool_floor`, every tool at least that;
/// the first that holds is the result, so the last must always hold.
fn build_condition_levels(raw: &RawFramework, c: &mut Checker<'_>) -> Vec<Level> {
    let mut seen = BTreeSet::new();
    let mut out: Vec<Level> = Vec::new();
    for l in &raw.levels {
        let at = l.span().start;
        let r = l.get_ref();
        if !seen.insert(r.code.clone()) {
            c.at(
                at,
                format!("duplicate level code '{}'", r.code),
                format!("รหัสระดับ '{}' ซ้ำ", r.code),
            );
        }
        let min = level_field(c, at, &r.min, &r.code, LevelField::Min);
        if let Some(m) = &r.max {
            let max = level_field(c, at, m, &r.code, LevelField::Max);
            if max != Score::HUNDRED {
                c.at(
                    at,
                    format!(
                        "level {}: under the conditions rule a level runs to 100 (max {max} given)",
                        r.code
                    ),
                    format!(
                        "ระดับ {}: ตามกฎแบบเงื่อนไข (conditions) ทุกระดับสิ้นสุดที่ 100 (ให้ max {max})",
                        r.code
                    ),
                );
            }
        }
        let tool_floor = r
            .tool_floor
            .as_ref()
            .map(|f| level_field(c, at, f, &r.code, LevelField::ToolFloor));
        if let Some(prev) = out.last()
            && min > prev.min
        {
            c.at(
                at,
                format!(
                    "level {} (from {min}) comes after {} (from {}): list levels from the best down",
                    r.code, prev.code, prev.min
                ),
                format!(
                    "ระดับ {} (ตั้งแต่ {min}) อยู่หลัง {} (ตั้งแต่ {}): เรียงระดับจากดีที่สุดลงมา",
                    r.code, prev.code, prev.min
                ),
            );
        }
        out.push(Level {
            code: r.code.clone(),
            min,
            max: Score::HUNDRED,
            name_th: r.name_th.clone(),
            name_en: r.name_en.clone(),
            tool_floor,
        });
    }
    if let (Some(last), Some(raw_last)) = (out.last(), raw.levels.last())
        && (last.min != Score::ZERO || last.tool_floor.is_some())
    {
        c.at(
            raw_last.span().start,
            format!(
                "the last level {} must always apply: min 0 and no tool_floor",
                last.code
            ),
            format!(
                "ระดับสุดท้าย {} ต้องใช้ได้เสมอ: min 0 และไม่มี tool_floor",
                last.code
            ),
        );
    }
    out
}

fn build_scales(raw: &RawFramework, c: &mut Checker<'_>) -> Vec<Scale> {
    let mut out = Vec::new();
    for (code, s) in &raw.scales {
        let at = s.span().start;
        let r = s.get_ref();
        if r.options.len() < 2 {
            c.at(
                at,
                format!("answer type '{code}' needs at least two options"),
                format!("ชนิดคำตอบ '{code}' ต้องมีตัวเลือกอย่างน้อยสองตัว"),
            );
        }
        let mut seen = BTreeSet::new();
        let mut options = Vec::new();
        for o in &r.options {
            let oat = o.span().start;
            let o = o.get_ref();
            if !seen.insert(o.code.clone()) {
                c.at(
                    oat,
                    format!("duplicate option code '{}' in answer type '{code}'", o.code),
                    format!("รหัสตัวเลือก '{}' ซ้ำในชนิดคำตอบ '{code}'", o.code),
                );
            }
            let score = match o.score.exact() {
                Some(x) if x >= Exact::zero() && x <= exact(100) => x,
                Some(_) => {
                    c.at(
                        oat,
                        format!(
                            "option '{}' of '{code}': score must be between 0 and 100",
                            o.code
                        ),
                        format!(
                            "ตัวเลือก '{}' ของ '{code}': คะแนนต้องอยู่ระหว่าง 0 ถึง 100",
                            o.code
                        ),
                    );
                    Exact::zero()
                }
                None => {
                    c.at(
                        oat,
                        format!("option '{}' of '{code}': score is not a number", o.code),
                        format!("ตัวเลือก '{}' ของ '{code}': คะแนนไม่ใช่ตัวเลข", o.code),
                    );
                    Exact::zero()
                }
            };
            options.push(ScaleOption {
                code: o.code.clone(),
                th: o.th.clone(),
                en: o.en.clone(),
                score,
            });
        }
        out.push(Scale {
            code: code.clone(),
            options,
        });
    }
    out
}

fn build_tools(raw: &RawFramework, c: &mut Checker<'_>) -> Vec<Tool> {
    if raw.tools.is_empty() {
        c.at(
            0,
            "no tools: add at least one [[tools]]",
            "ไม่มีเครื่องมือ: เพิ่ม [[tools]] อย่างน้อยหนึ่งรายการ",
        );
    }
    let mut seen = BTreeSet::new();
    let mut sum = Exact::zero();
    let mut tools = Vec::new();
    for t in &raw.tools {
        let at = t.span().start;
        let r = t.get_ref();
        if !seen.insert(r.code.clone()) {
            c.at(
                at,
                format!("duplicate tool code '{}'", r.code),
                format!("รหัสเครื่องมือ '{}' ซ้ำ", r.code),
            );
        }
        let weight = match r.weight.exact() {
            Some(w) if w > Exact::zero() && w <= Exact::one() => w,
            Some(_) => {
                c.at(
                    at,
                    format!("tool {}: weight must be above 0 and at most 1", r.code),
                    format!("เครื่องมือ {}: น้ำหนักต้องมากกว่า 0 และไม่เกิน 1", r.code),
                );
                Exact::zero()
            }
            None => {
                c.at(
                    at,
                    format!("tool {}: weight is not a number", r.code),
                    format!("เครื่องมือ {}: น้ำหนักไม่ใช่ตัวเลข", r.code),
                );
                Exact::zero()
            }
        };
        sum += weight;
        let min_sample = r.min_sample.as_ref().map(|m| {
            let whose = (format!("tool {}", r.code), format!("เครื่องมือ {}", r.code));
            min_sample_rule(c, at, (&whose.0, &whose.1), m)
        });
        tools.push(Tool {
            code: r.code.clone(),
            kind: r.kind,
            weight,
            name_th: r.name_th.clone(),
            name_en: r.name_en.clone(),
            min_sample,
            combine: r.combine,
        });
    }
    if !raw.tools.is_empty() && sum != Exact::one() {
        let at = raw.tools[0].span().start;
        c.at(
            at,
            format!("tool weights sum to {} instead of 1", show_exact(sum)),
            format!("น้ำหนักของเครื่องมือรวมกันได้ {} แทนที่จะเป็น 1", show_exact(sum)),
        );
    }
    tools
}

fn show_exact(x: Exact) -> String {
    let h = x * exact(100);
    if h.is_integer() {
        Score::from_hundredths(h.to_integer() as i64)
            .to_string()
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    } else {
        format!("{}/{}", x.numer(), x.denom())
    }
}

fn build_indicators(raw: &RawFramework, c: &mut Checker<'_>, tools: &[Tool]) -> Vec<Indicator> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for i in &raw.indicators {
        let at = i.span().start;
        let r = i.get_ref();
        if !seen.insert(r.number) {
            c.at(
                at,
                format!("duplicate indicator number {}", r.number),
                format!("ตัวชี้วัดที่ {} ซ้ำ", r.number),
            );
        }
        if !tools.iter().any(|t| t.code == r.tool) {
            c.at(
                at,
                format!("indicator {}: unknown tool '{}'", r.number, r.tool),
                format!("ตัวชี้วัดที่ {}: ไม่มีเครื่องมือ '{}'", r.number, r.tool),
            );
        }
        out.push(Indicator {
            number: r.number,
            tool: r.tool.clone(),
            name_th: r.name_th.clone(),
            name_en: r.name_en.clone(),
            suggestion_th: r.suggestion_th.clone(),
        });
    }
    out.sort_by_key(|i| i.number);
    out
}

fn build_subindicators(
    raw: &RawFramework,
    c: &mut Checker<'_>,
    tools: &[Tool],
    indicators: &[Indicator],
) -> Vec<SubIndicator> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for s in &raw.subindicators {
        let at = s.span().start;
        let r = s.get_ref();
        if !seen.insert(r.code.clone()) {
            c.at(
                at,
                format!("duplicate sub-indicator code '{}'", r.code),
                format!("รหัสตัวชี้วัดย่อย '{}' ซ้ำ", r.code),
            );
        }
        match indicators.iter().find(|i| i.number == r.indicator) {
            None => c.at(
                at,
                format!(
                    "sub-indicator {}: unknown indicator {}",
                    r.code, r.indicator
                ),
                format!("ตัวชี้วัดย่อย {}: ไม่มีตัวชี้วัดที่ {}", r.code, r.indicator),
            ),
            Some(ind) => {
                if tools
                    .iter()
                    .any(|t| t.code == ind.tool && t.kind != ToolKind::Checklist)
                {
                    c.at(
                        at,
                        format!(
                            "sub-indicator {}: indicator {} is not on a checklist tool",
                            r.code, r.indicator
                        ),
                        format!(
                            "ตัวชี้วัดย่อย {}: ตัวชี้วัดที่ {} ไม่ได้อยู่ในเครื่องมือแบบรายการตรวจ (checklist)",
                            r.code, r.indicator
                        ),
                    );
                }
            }
        }
        out.push(SubIndicator {
            code: r.code.clone(),
            indicator: r.indicator,
            name_th: r.name_th.clone(),
            name_en: r.name_en.clone(),
        });
    }
    out
}

fn build_items(
    raw: &RawFramework,
    c: &mut Checker<'_>,
    tools: &[Tool],
    indicators: &[Indicator],
    subs: &[SubIndicator],
    scales: &[Scale],
) -> Vec<Item> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for it in &raw.items {
        let at = it.span().start;
        let r = it.get_ref();
        if r.code.trim().is_empty() {
            c.at(at, "item code is empty", "ไม่ได้ใส่รหัสข้อ (code)");
        }
        // A respondent or an assessor reads this text; blank, they see nothing.
        if r.th.trim().is_empty() {
            c.at(
                at,
                format!("item {}: its Thai text (th) is empty", r.code),
                format!("ข้อ {}: ไม่มีข้อความภาษาไทย (th)", r.code),
            );
        }
        for (n, cell) in r.cells.iter().flatten().enumerate() {
            if cell.th.trim().is_empty() {
                c.at(
                    at,
                    format!(
                        "item {}: the Thai text (th) of cell {} is empty",
                        r.code,
                        n + 1
                    ),
                    format!("ข้อ {}: ช่องที่ {} ไม่มีข้อความภาษาไทย (th)", r.code, n + 1),
                );
            }
        }
        if !seen.insert(r.code.clone()) {
            c.at(
                at,
                format!("duplicate item code '{}'", r.code),
                format!("รหัสข้อ '{}' ซ้ำ", r.code),
            );
        }
        // The indicator comes from the item or from its sub-indicator.
        let sub = r.subindicator.as_ref().and_then(|code| {
            let found = subs.iter().find(|s| &s.code == code);
            if found.is_none() {
                c.at(
                    at,
                    format!("item {}: unknown sub-indicator '{code}'", r.code),
                    format!("ข้อ {}: ไม่มีตัวชี้วัดย่อย '{code}'", r.code),
                );
            }
            found
        });
        let indicator = match (r.indicator, sub) {
            (Some(n), Some(s)) if n != s.indicator => {
                c.at(
                    at,
                    format!(
                        "item {}: indicator {n} disagrees with sub-indicator {} (indicator {})",
                        r.code, s.code, s.indicator
                    ),
                    format!(
                        "ข้อ {}: ตัวชี้วัดที่ {n} ไม่ตรงกับตัวชี้วัดย่อย {} (ตัวชี้วัดที่ {})",
                        r.code, s.code, s.indicator
                    ),
                );
                n
            }
            (Some(n), _) => n,
            (None, Some(s)) => s.indicator,
            (None, None) => {
                if r.subindicator.is_none() {
                    c.at(
                        at,
                        format!("item {}: give its indicator or subindicator", r.code),
                        format!(
                            "ข้อ {}: ระบุตัวชี้วัด (indicator) หรือตัวชี้วัดย่อย (subindicator)",
                            r.code
                        ),
                    );
                }
                0
            }
        };
        let ind = indicators.iter().find(|i| i.number == indicator);
        if ind.is_none() && indicator != 0 {
            c.at(
                at,
                format!("item {}: unknown indicator {indicator}", r.code),
                format!("ข้อ {}: ไม่มีตัวชี้วัดที่ {indicator}", r.code),
            );
        }
        let kind = ind
            .and_then(|i| tools.iter().find(|t| t.code == i.tool))
            .map(|t| t.kind);
        let item_kind = match kind {
            Some(ToolKind::Checklist) => {
                if r.answer.is_some() || r.cells.is_some() {
                    c.at(
                        at,
                        format!(
                            "item {}: a checklist item has no answer type or cells",
                            r.code
                        ),
                        format!(
                            "ข้อ {}: ข้อของรายการตรวจไม่มีชนิดคำตอบหรือช่องย่อย (answer, cells)",
                            r.code
                        ),
                    );
                }
                if sub.is_none() && subs.iter().any(|s| s.indicator == indicator) {
                    c.at(
                        at,
                        format!(
                            "item {}: indicator {indicator} has sub-indicators; name one",
                            r.code
                        ),
                        format!(
                            "ข้อ {}: ตัวชี้วัดที่ {indicator} มีตัวชี้วัดย่อย ระบุตัวชี้วัดย่อยของข้อนี้",
                            r.code
                        ),
                    );
                }
                let year = match r.year.as_deref() {
                    None | Some("current") => YearRef::Current,
                    Some("previous") => YearRef::Previous,
                    Some(other) => {
                        c.at(
                            at,
                            format!(
                                "item {}: year '{other}' (expected 'current' or 'previous')",
                                r.code
                            ),
                            format!(
                                "ข้อ {}: ปี '{other}' (ใช้ได้: 'current' หรือ 'previous')",
                                r.code
                            ),
                        );
                        YearRef::Current
                    }
                };
                ItemKind::Checklist {
                    requirement_th: r.requirement_th.clone().unwrap_or_default(),
                    keywords: r.keywords.clone(),
                    year,
                    itas_page: r.itas_page,
                }
            }
            _ => {
                if r.requirement_th.is_some() {
                    c.at(
                        at,
                        format!("item {}: requirement_th is for checklist items", r.code),
                        format!("ข้อ {}: requirement_th ใช้กับข้อของรายการตรวจเท่านั้น", r.code),
                    );
                }
                if r.itas_page {
                    c.at(
                        at,
                        format!("item {}: itas_page is for checklist items", r.code),
                        format!("ข้อ {}: itas_page ใช้กับข้อของรายการตรวจเท่านั้น", r.code),
                    );
                }
                let scale = match &r.answer {
                    None => {
                        if kind.is_some() {
                            c.at(
                                at,
                                format!("item {}: survey item without an answer type", r.code),
                                format!("ข้อ {}: ข้อคำถามแบบสำรวจไม่มีชนิดคำตอบ (answer)", r.code),
                            );
                        }
                        String::new()
                    }
                    Some(a) => {
                        if !scales.iter().any(|s| &s.code == a) {
                            let known: Vec<_> = scales.iter().map(|s| s.code.as_str()).collect();
                            c.at(
                                at,
                                format!(
                                    "item {}: unknown answer type '{a}' (known: {})",
                                    r.code,
                                    known.join(", ")
                                ),
                                format!(
                                    "ข้อ {}: ไม่มีชนิดคำตอบ '{a}' (ที่มี: {})",
                                    r.code,
                                    known.join(", ")
                                ),
                            );
                        }
                        a.clone()
                    }
                };
                let cells = match &r.cells {
                    None => vec![Cell {
                        th: r.th.clone(),
                        en: r.en.clone(),
                        reverse: r.reverse,
                    }],
                    Some(cells) => {
                        if cells.is_empty() {
                            c.at(
                                at,
                                format!("item {}: cells is empty", r.code),
                                format!("ข้อ {}: cells ว่าง", r.code),
                            );
                        }
                        if r.reverse {
                            c.at(
                                at,
                                format!("item {}: with cells, set reverse on each cell", r.code),
                                format!("ข้อ {}: เมื่อมี cells ให้กำหนด reverse ที่แต่ละช่อง", r.code),
                            );
                        }
                        cells
                            .iter()
                            .map(|x| Cell {
                                th: x.th.clone(),
                                en: x.en.clone(),
                                reverse: x.reverse,
                            })
                            .collect()
                    }
                };
                ItemKind::Survey { scale, cells }
            }
        };
        out.push(Item {
            code: r.code.clone(),
            indicator,
            subindicator: r.subindicator.clone(),
            th: r.th.clone(),
            en: r.en.clone(),
            kind: item_kind,
        });
    }
    out
}

fn check_coverage(
    raw: &RawFramework,
    c: &mut Checker<'_>,
    tools: &[Tool],
    indicators: &[Indicator],
    subs: &[SubIndicator],
    items: &[Item],
) {
    for (t, rt) in tools.iter().zip(&raw.tools) {
        if !indicators.iter().any(|i| i.tool == t.code) {
            c.at(
                rt.span().start,
                format!("tool {} has no indicators", t.code),
                format!("เครื่องมือ {} ไม่มีตัวชี้วัด", t.code),
            );
        }
    }
    for ri in &raw.indicators {
        let n = ri.get_ref().number;
        if !items.iter().any(|i| i.indicator == n) {
            c.at(
                ri.span().start,
                format!("indicator {n} has no items"),
                format!("ตัวชี้วัดที่ {n} ไม่มีข้อคำถาม"),
            );
        }
    }
    for (s, rs) in subs.iter().zip(&raw.subindicators) {
        if !items
            .iter()
            .any(|i| i.subindicator.as_deref() == Some(&s.code))
        {
            c.at(
                rs.span().start,
                format!("sub-indicator {} has no items", s.code),
                format!("ตัวชี้วัดย่อย {} ไม่มีข้อคำถาม", s.code),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_characters() {
        let s = "ab\nกขค\nx";
        assert_eq!(line_col(s, 0), (1, 1));
        assert_eq!(line_col(s, 3), (2, 1));
        assert_eq!(line_col(s, 6), (2, 2));
        assert_eq!(line_col(s, s.len()), (3, 2));
    }

    #[test]
    fn float_literals_are_read_as_written() {
        assert_eq!(RawNumber::Float(0.3).exact(), parse_decimal("0.3"));
        assert_eq!(RawNumber::Float(33.33).exact(), parse_decimal("33.33"));
        assert_eq!(
            RawNumber::Text("100/3".into()).exact(),
            parse_decimal("100/3")
        );
    }
}
